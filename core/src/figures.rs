//! The pilot's figures, computed from the record: cases per night and per
//! home, minutes from page to acknowledgement, the course of the cases and
//! the physician's decisions. The record is the only source, so a figure can
//! always be traced back to the events that made it.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Europe::Copenhagen;

use crate::ids::HomeId;
use crate::record::{CaseEvent, CaseSummary, EventKind};

/// What happened in a case, counted once per event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Course {
    /// A physician acknowledged a page.
    Acknowledged,
    /// Staff were told to ring 112.
    Advised112,
    /// Nobody acknowledged before the escalation ran out.
    Exhausted,
    /// A red flag, but the treatment decisions rule out 112.
    No112,
}

/// The outcome groups of the pilot, in the order they are reported; `none`
/// is a case without a recorded decision.
pub const OUTCOME_GROUPS: [&str; 6] = ["home", "municipal", "gp", "admitted", "112", "none"];

/// The figures over a set of cases.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PilotFigures {
    /// How many cases.
    pub cases: usize,
    /// Cases per night; a night runs from noon to noon on the Copenhagen
    /// clock, so a case at 03:00 counts for the evening before.
    pub per_night: BTreeMap<NaiveDate, u32>,
    /// Cases per home.
    pub per_home: BTreeMap<HomeId, u32>,
    /// Minutes from the first page request to the first acknowledgement, per
    /// acknowledged case, sorted.
    pub ack_minutes: Vec<f64>,
    /// Events of each [`Course`].
    pub course: BTreeMap<Course, u32>,
    /// Cases per outcome group (see [`OUTCOME_GROUPS`]): the physician's
    /// last recorded decision.
    pub outcomes: BTreeMap<&'static str, u32>,
}

impl PilotFigures {
    /// Cases kept out of hospital (treated at the home or by a municipal
    /// alternative) against cases admitted (admission or 112).
    pub fn kept_against_admitted(&self) -> (u32, u32) {
        let n = |g: &str| self.outcomes.get(g).copied().unwrap_or(0);
        (n("home") + n("municipal"), n("admitted") + n("112"))
    }

    /// The figures of these cases, each with its events in record order.
    pub fn of(cases: &[(CaseSummary, Vec<CaseEvent>)]) -> PilotFigures {
        let mut f = PilotFigures {
            cases: cases.len(),
            ..PilotFigures::default()
        };
        for (case, events) in cases {
            *f.per_night.entry(night_of(case.opened_at)).or_default() += 1;
            *f.per_home.entry(case.home.clone()).or_default() += 1;
            if let Some(m) = minutes_to_acknowledge(events) {
                f.ack_minutes.push(m);
            }
            let decision = events.iter().rev().find_map(|e| match e.event.kind {
                EventKind::DispositionRecorded { disposition, .. } => Some(disposition.outcome()),
                _ => None,
            });
            *f.outcomes.entry(decision.unwrap_or("none")).or_default() += 1;
            for e in events {
                let course = match e.event.kind {
                    EventKind::Advised112 { .. } => Course::Advised112,
                    EventKind::No112ByTreatmentDecision { .. } => Course::No112,
                    EventKind::EscalationExhausted => Course::Exhausted,
                    EventKind::PageAcknowledged { .. } => Course::Acknowledged,
                    _ => continue,
                };
                *f.course.entry(course).or_default() += 1;
            }
        }
        f.ack_minutes.sort_by(f64::total_cmp);
        f
    }

    /// The `p` quantile of the minutes to acknowledgement.
    pub fn ack_quantile(&self, p: f64) -> Option<f64> {
        percentile(&self.ack_minutes, p)
    }
}

/// The night a moment belongs to (noon to noon, Copenhagen).
pub fn night_of(t: DateTime<Utc>) -> NaiveDate {
    (t.with_timezone(&Copenhagen).naive_local() - Duration::hours(12)).date()
}

fn minutes_to_acknowledge(events: &[CaseEvent]) -> Option<f64> {
    let first = |want: fn(&EventKind) -> bool| {
        events
            .iter()
            .find(|e| want(&e.event.kind))
            .map(|e| e.event.at)
    };
    let paged = first(|k| matches!(k, EventKind::PageRequested { .. }))?;
    let acked = first(|k| matches!(k, EventKind::PageAcknowledged { .. }))?;
    Some((acked - paged).num_seconds() as f64 / 60.0)
}

/// The `p` quantile of sorted values with linear interpolation (the median
/// of 4 and 10 is 7).
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let pos = last as f64 * p;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(sorted[lo] + (sorted[hi.min(last)] - sorted[lo]) * (pos - lo as f64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assessment::Urgency;
    use crate::escalation::Disposition;
    use crate::ids::{CaseId, PersonId};
    use crate::record::{Author, CaseStatus, Channel, NewEvent};
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, h, m, 0)
            .single()
            .expect("time")
    }

    fn case(
        n: u128,
        home: &str,
        opened: DateTime<Utc>,
        kinds: Vec<(DateTime<Utc>, EventKind)>,
    ) -> (CaseSummary, Vec<CaseEvent>) {
        let id = CaseId::from_uuid(uuid::Uuid::from_u128(n));
        let events = kinds
            .into_iter()
            .enumerate()
            .map(|(i, (t, kind))| CaseEvent {
                seq: i as i64 + 1,
                case: id,
                event: NewEvent {
                    at: t,
                    author: Author::system(),
                    channel: Channel::Console,
                    kind,
                    corrects: None,
                    external_id: None,
                },
            })
            .collect();
        let summary = CaseSummary {
            id,
            home: HomeId::parse(home).expect("home"),
            opened_at: opened,
            opened_by: None,
            channel: Channel::Console,
            resident: None,
            urgency: None,
            status: CaseStatus::Open,
        };
        (summary, events)
    }

    #[test]
    fn percentiles_interpolate() {
        assert_eq!(percentile(&[4.0, 10.0], 0.5), Some(7.0));
        let eleven: Vec<f64> = (1..=11).map(f64::from).collect();
        assert_eq!(percentile(&eleven, 0.9), Some(10.0));
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[3.0], 0.9), Some(3.0));
    }

    #[test]
    fn a_night_runs_from_noon_to_noon_in_copenhagen() {
        // 02:30 UTC is 03:30 in Copenhagen (CET): the night of the 23rd.
        assert_eq!(
            night_of(at(2, 30)),
            NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
        );
        // 11:30 UTC is 12:30 local: the night of the 24th has begun.
        assert_eq!(
            night_of(at(11, 30)),
            NaiveDate::from_ymd_opt(2026, 11, 24).expect("date")
        );
    }

    #[test]
    fn figures_come_from_the_events_of_each_case() {
        let anna = PersonId::parse("anna").expect("id");
        let page = |t| {
            (
                t,
                EventKind::PageRequested {
                    urgency: Urgency::High,
                },
            )
        };
        let ack = |t| {
            (
                t,
                EventKind::PageAcknowledged {
                    person: anna.clone(),
                    takeover: false,
                },
            )
        };
        let decide = |t, d| {
            (
                t,
                EventKind::DispositionRecorded {
                    disposition: d,
                    advice: None,
                },
            )
        };
        let cases = vec![
            // Acknowledged after 4 minutes, first sent to admission, then
            // changed to watch at home: the last decision counts.
            case(
                1,
                "solgaarden",
                at(2, 0),
                vec![
                    page(at(2, 10)),
                    ack(at(2, 14)),
                    decide(at(2, 20), Disposition::AcuteAdmission),
                    decide(at(2, 25), Disposition::WatchAtHome),
                ],
            ),
            // Acknowledged after 10 minutes (the second ack is not counted
            // for the time, but is an acknowledgement in the course).
            case(
                2,
                "solgaarden",
                at(3, 0),
                vec![
                    page(at(3, 0)),
                    page(at(3, 5)),
                    ack(at(3, 10)),
                    ack(at(3, 11)),
                    (at(3, 12), EventKind::Advised112 { flags: vec![] }),
                ],
            ),
            // Nobody answered; no decision.
            case(
                3,
                "birkely",
                at(13, 0),
                vec![
                    page(at(13, 0)),
                    (at(13, 30), EventKind::EscalationExhausted),
                ],
            ),
            // A case with no events at all still counts.
            case(4, "birkely", at(14, 0), vec![]),
        ];
        let f = PilotFigures::of(&cases);
        assert_eq!(f.cases, 4);
        assert_eq!(f.ack_minutes, vec![4.0, 10.0]);
        assert_eq!(f.ack_quantile(0.5), Some(7.0));
        let night = |d| NaiveDate::from_ymd_opt(2026, 11, d).expect("date");
        assert_eq!(f.per_night.get(&night(23)), Some(&2));
        assert_eq!(f.per_night.get(&night(24)), Some(&2));
        assert_eq!(
            f.per_home.get(&HomeId::parse("solgaarden").expect("id")),
            Some(&2)
        );
        assert_eq!(
            f.per_home.get(&HomeId::parse("birkely").expect("id")),
            Some(&2)
        );
        assert_eq!(f.course.get(&Course::Acknowledged), Some(&3));
        assert_eq!(f.course.get(&Course::Advised112), Some(&1));
        assert_eq!(f.course.get(&Course::Exhausted), Some(&1));
        assert_eq!(f.course.get(&Course::No112), None);
        assert_eq!(f.outcomes.get("home"), Some(&1));
        assert_eq!(f.outcomes.get("admitted"), None);
        assert_eq!(f.outcomes.get("none"), Some(&3));
    }
}
