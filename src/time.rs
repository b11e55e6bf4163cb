//! Times as people type them on the command line and in the API: RFC 3339
//! or Copenhagen wall-clock time, within the years a rota can hold
//! (`akutlinje_scheduler::rota::parse_time` is the one parser).

use chrono::Utc;

/// Parses RFC 3339, or "YYYY-MM-DD HH:MM" on the Copenhagen wall clock,
/// within the years a rota can hold.
pub fn parse_time(what: &str, s: &str) -> anyhow::Result<chrono::DateTime<Utc>> {
    akutlinje_scheduler::rota::parse_time(s).ok_or_else(|| {
        let years = akutlinje_scheduler::rota::YEARS;
        anyhow::anyhow!(
            "{what}: {s:?} is not a time like 2026-11-23T03:00:00+01:00 or \"2026-11-23 03:00\" (Copenhagen) between the years {} and {}",
            years.start(),
            years.end()
        )
    })
}
