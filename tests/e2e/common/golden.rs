//! Golden records: a scripted case's record (kinds, payloads, order; ids and
//! times normalised) kept as a fixture in `tests/fixtures/golden/`, so a
//! rebuild of the house can show that behaviour did not change.
//!
//! `AKUTLINJE_GOLDEN=update` rewrites the fixtures (review the diff!); a
//! missing fixture fails the test after writing it, so it is never silently
//! created in CI.

use akutlinje_core::record::CaseEvent;

/// The record as stable JSON lines: what happened, by whom, through which
/// channel — without the times, ids and channel ids that differ per run.
pub fn normalise(events: &[CaseEvent]) -> String {
    // Channels are sent side by side: deliveries that follow one another
    // may come in any order, so a run of them is kept sorted.
    let mut lines: Vec<String> = Vec::new();
    let mut run: Vec<String> = Vec::new();
    for e in events {
        let v = serde_json::json!({
            "kind": e.event.kind,
            "author": e.event.author,
            "channel": e.event.channel,
            "corrects": e.event.corrects.map(|_| "<seq>"),
            "external_id": e.event.external_id.as_ref().map(|_| "<external>"),
        });
        let line = scrub(&v.to_string());
        if e.event.kind.tag().starts_with("notification_") {
            run.push(line);
            continue;
        }
        run.sort();
        lines.append(&mut run);
        lines.push(line);
    }
    run.sort();
    lines.append(&mut run);
    lines.iter().map(|l| format!("{l}\n")).collect()
}

fn scrub(s: &str) -> String {
    let mut t = s.to_string();
    for (pat, with) in [
        // UUIDs (case ids)
        (
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "<uuid>",
        ),
        // RFC 3339 times
        (
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
            "<time>",
        ),
        // Matrix event and room ids
        (r"\$[A-Za-z0-9_+/=-]{10,}", "<event>"),
        (r"![A-Za-z0-9_.:-]{6,}", "<room>"),
        // Twilio SIDs
        (r"\b(CA|SM|RE|CF)[0-9a-fA-F]{32}\b", "<sid>"),
        // Row ids of notifications and attachments
        (r#""(notification|attachment)":\d+"#, r#""$1":"<id>""#),
        // Four-digit case codes
        (r"\b[Ss]ag \d{4}\b", "Sag <code>"),
        // Ages move with the calendar
        (r"\b\d{2,3} år\b", "<age> år"),
        (r"\baged \d{2,3}\b", "aged <age>"),
    ] {
        t = regex_replace(&t, pat, with);
    }
    t
}

fn regex_replace(s: &str, pat: &str, with: &str) -> String {
    match regex::Regex::new(pat) {
        Ok(re) => re.replace_all(s, with).into_owned(),
        Err(_) => s.to_string(),
    }
}

/// Compares with (or, on request, writes) `tests/fixtures/golden/<name>.jsonl`.
pub fn check(name: &str, events: &[CaseEvent]) {
    let got = normalise(events);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/golden")
        .join(format!("{name}.jsonl"));
    let update = std::env::var("AKUTLINJE_GOLDEN").is_ok_and(|v| v == "update");
    match std::fs::read_to_string(&path) {
        Ok(want) if !update => {
            if want != got {
                let diff: Vec<String> = want
                    .lines()
                    .zip(got.lines())
                    .enumerate()
                    .filter(|(_, (a, b))| a != b)
                    .take(5)
                    .map(|(i, (a, b))| format!("line {}:\n  want {a}\n  got  {b}", i + 1))
                    .collect();
                panic!(
                    "the {name} record changed ({} lines wanted, {} got):\n{}\n(AKUTLINJE_GOLDEN=update rewrites {})",
                    want.lines().count(),
                    got.lines().count(),
                    diff.join("\n"),
                    path.display()
                );
            }
        }
        _ => {
            std::fs::write(&path, &got).expect("write the golden record");
            assert!(
                update,
                "no golden record for {name}; written to {}: review and commit it",
                path.display()
            );
        }
    }
}
