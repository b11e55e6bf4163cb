//! End-to-end cases at the terminal console: the real binary, a real SQLite
//! file (and PostgreSQL for one case), the demo data. Each test reads what a
//! night-shift worker would see and checks the case record event by event.

use crate::common::{after_answer, console, on_both, Db};
use akutlinje_core::engine::Urgency;
use akutlinje_core::record::{AccessAction, CaseStatus, EventKind};

fn kinds(events: &[akutlinje_core::record::CaseEvent]) -> Vec<&'static str> {
    events.iter().map(|e| e.event.kind.tag()).collect()
}

#[tokio::test]
async fn fever_with_news2_five_is_medium() {
    let db = Db::sqlite().await;
    // Poul Hansen, room 14, full treatment. One typo on the way (pulse 1050).
    let script = [
        "14",
        "nej",
        "22",
        "95 %",
        "nej",
        "BT 125/80",
        "1050",
        "puls 98",
        "1",
        "38,9",
        "Feber og hoste siden i aftes, mere træt end vanligt",
        "spring over",
    ];
    let run = console(&db.url, "solgaarden", "anna", &script, &[]);
    assert!(run.ok, "{}\n{}", run.stdout, run.stderr);
    let out = &run.stdout;
    // The invalid pulse was refused with a hint; the answers before it were kept.
    let typo = after_answer(out, 6);
    assert!(
        typo.contains("Pulsen skal være et tal fra 20 til 300"),
        "{typo}"
    );
    assert!(typo.contains("Puls – slag pr. minut?"), "{typo}");
    // The summary and the page.
    assert!(out.contains("HASTEGRAD GUL (mellem) – NEWS2 5"), "{out}");
    assert!(
        out.contains(
            "NEWS2 5 (mellem): RF 2 · SpO2 1 · Ilt 0 · BT 0 · Puls 1 · Bevidsthed 0 · Temp 1"
        ),
        "{out}"
    );
    assert!(
        out.contains("TOBS 4: Puls 1 · RF 2 · BT 0 · Temp 1 · Bevidsthed 0"),
        "{out}"
    );
    assert!(
        out.contains("Fuld behandling (Dr. Ida Friis, egen læge, 02.03.2025)"),
        "{out}"
    );
    assert!(
        out.contains("S – Situation: Feber og hoste siden i aftes"),
        "{out}"
    );
    assert!(out.contains("A – Analyse: RF 22, SpO2 95 % (luft), BT 125/80, Puls 98, Bevidsthed som vanligt, Temp 38,9"), "{out}");
    assert!(
        out.contains("📟 PAGE → vagthavende læge · hastegrad GUL (mellem)"),
        "{out}"
    );
    assert!(!out.contains("112 NU"), "{out}");
    // The record, event by event.
    let case = run.case.expect("case id printed");
    let events = db.events(case).await;
    let k = kinds(&events);
    assert_eq!(k[0], "case_opened");
    assert_eq!(
        k.iter().filter(|k| **k == "input_received").count(),
        script.len()
    );
    assert_eq!(k.iter().filter(|k| **k == "vital_recorded").count(), 7);
    let tail: Vec<_> = k.iter().rev().take(5).rev().copied().collect();
    assert_eq!(
        tail,
        [
            "concern_recorded",
            "urgency_assessed",
            "isbar_composed",
            "page_requested",
            "checklist_completed"
        ]
    );
    assert!(events
        .iter()
        .all(|e| e.event.channel == akutlinje_core::record::Channel::Console));
    assert!(events
        .iter()
        .filter(|e| e.event.kind.tag() == "input_received")
        .all(|e| e.event.author.person.as_ref().map(|p| p.as_str()) == Some("anna")));
    assert!(events.iter().any(|e| matches!(&e.event.kind, EventKind::UrgencyAssessed { urgency: Urgency::Medium, reason } if reason == "news2:5")));
    let summary = db.store.case(case).await.expect("case").expect("exists");
    assert_eq!(
        (summary.status, summary.urgency),
        (CaseStatus::Paged, Some(Urgency::Medium))
    );
    assert_eq!(
        summary.resident.as_ref().map(|r| r.as_str()),
        Some("sol-14")
    );
    db.close().await;
}

#[tokio::test]
async fn red_flag_with_full_treatment_advises_112_first_and_pages_red() {
    let db = Db::sqlite().await;
    let run = console(&db.url, "solgaarden", "anna", &["14", "3"], &[]);
    assert!(run.ok, "{}", run.stderr);
    let reply = after_answer(&run.stdout, 1);
    let first_line = reply.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    assert!(
        first_line.starts_with("!!!!"),
        "the 112 advice must come first:\n{reply}"
    );
    assert!(
        reply
            .lines()
            .nth(1)
            .is_some_and(|l| l.contains("🚨 RING 112 NU 🚨")),
        "{reply}"
    );
    assert!(reply.contains("Faresignal: Brystsmerter."), "{reply}");
    let advice = reply.find("RING 112 NU").expect("advice");
    let page = reply
        .find("📟 PAGE → vagthavende læge · hastegrad RØD")
        .expect("red page");
    assert!(advice < page);
    assert!(
        reply.contains("Personalet er rådet til at ringe 112."),
        "{reply}"
    );
    // Then the vitals continue, if staff can.
    assert!(reply.contains("Respirationsfrekvens"), "{reply}");
    let events = db.events(run.case.expect("case")).await;
    let k = kinds(&events);
    let i_flags = k
        .iter()
        .position(|k| *k == "red_flags_answered")
        .expect("flags");
    assert_eq!(
        &k[i_flags..i_flags + 3],
        ["red_flags_answered", "advised112", "page_requested"]
    );
    assert!(events.iter().any(|e| matches!(
        e.event.kind,
        EventKind::PageRequested {
            urgency: Urgency::Red
        }
    )));
    assert!(!k.contains(&"no112_by_treatment_decision"));
    db.close().await;
}

async fn red_flag_limited(db: &Db) {
    // Karen Østergaard, room 12: no CPR and no admission.
    let run = console(&db.url, "solgaarden", "anna", &["12", "brystsmerter"], &[]);
    assert!(run.ok, "{}", run.stderr);
    let reply = after_answer(&run.stdout, 1);
    assert!(!reply.contains("RING 112 NU"), "{reply}");
    assert!(reply.starts_with("⚠ Faresignal: Brystsmerter."), "{reply}");
    assert!(
        reply.contains("Beboeren har fravalgt indlæggelse (Dr. Ida Friis, egen læge, 10.01.2025)"),
        "{reply}"
    );
    assert!(
        reply.contains("Vagtlægen kaldes nu med højeste hast"),
        "{reply}"
    );
    // The page: urgency, then the decisions, before the I-S-B-A-R body.
    let page = &reply[reply
        .find("📟 PAGE → vagthavende læge · hastegrad RØD")
        .expect("red page")..];
    let no_cpr = page
        .find("⚠ Ingen genoplivning ved hjertestop")
        .expect("no CPR shown");
    let no_adm = page
        .find("⚠ Ingen indlæggelse")
        .expect("no admission shown");
    let ident = page.find("I – Identifikation").expect("ISBAR body");
    assert!(no_cpr < ident && no_adm < ident, "{page}");
    assert!(
        page.contains("112 er IKKE rådet på grund af behandlingsniveau"),
        "{page}"
    );
    let events = db.events(run.case.expect("case")).await;
    let k = kinds(&events);
    assert!(k.contains(&"no112_by_treatment_decision"));
    assert!(!k.contains(&"advised112"));
    assert!(events.iter().any(|e| matches!(
        e.event.kind,
        EventKind::PageRequested {
            urgency: Urgency::Red
        }
    )));
}

on_both!(red_flag_with_no_cpr_no_admission_pages_red_without_112);

async fn red_flag_with_no_cpr_no_admission_pages_red_without_112(db: Db) {
    red_flag_limited(&db).await;
    db.close().await;
}

#[tokio::test]
async fn all_vitals_skipped_is_routine_and_says_so() {
    let db = Db::sqlite().await;
    let mut script = vec!["14", "nej"];
    script.extend([
        "ved ikke",
        "spring over",
        "ved ikke",
        "-",
        "skip",
        "ved ikke",
        "ikke målt",
    ]);
    script.extend(["Virker træt og spiser ikke", "ved ikke"]);
    let run = console(&db.url, "solgaarden", "anna", &script, &[]);
    assert!(run.ok, "{}", run.stderr);
    let out = &run.stdout;
    assert!(
        out.contains("HASTEGRAD BLÅ (rutine) – ingen målinger – hastegraden er sat uden målinger"),
        "{out}"
    );
    assert!(out.contains("NEWS2: ingen målinger"), "{out}");
    assert!(
        out.contains("📟 PAGE → vagthavende læge · hastegrad BLÅ (rutine)"),
        "{out}"
    );
    let events = db.events(run.case.expect("case")).await;
    let skipped = events
        .iter()
        .filter(|e| matches!(e.event.kind, EventKind::VitalRecorded { value: None, .. }))
        .count();
    assert_eq!(skipped, 7);
    assert!(events.iter().any(|e| matches!(&e.event.kind, EventKind::UrgencyAssessed { urgency: Urgency::Routine, reason } if reason == "no_vitals")));
    db.close().await;
}

#[tokio::test]
async fn unknown_room_is_asked_again_and_nothing_is_lost() {
    let db = Db::sqlite().await;
    let run = console(
        &db.url,
        "solgaarden",
        "anna",
        &["99", "14", "nej", "20"],
        &[],
    );
    assert!(run.ok, "{}", run.stderr);
    let first = after_answer(&run.stdout, 0);
    assert!(
        first.contains("Jeg kan ikke finde nogen beboer med «99» på Plejecenter Solgården"),
        "{first}"
    );
    assert!(
        first.contains("Hvilken beboer drejer det sig om?"),
        "{first}"
    );
    assert!(!first.contains("Beboerkort"), "{first}");
    let second = after_answer(&run.stdout, 1);
    assert!(
        second.contains("Beboer: Poul Hansen, værelse 14"),
        "{second}"
    );
    let events = db.events(run.case.expect("case")).await;
    let k = kinds(&events);
    let nf = k
        .iter()
        .position(|k| *k == "resident_not_found")
        .expect("not found recorded");
    let id = k
        .iter()
        .position(|k| *k == "resident_identified")
        .expect("identified");
    assert!(nf < id);
    let inputs: Vec<String> = events
        .iter()
        .filter_map(|e| match &e.event.kind {
            EventKind::InputReceived { text, .. } => Some(text.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(inputs, ["99", "14", "nej", "20"]);
    db.close().await;
}

#[tokio::test]
async fn resident_of_another_home_is_refused_shows_nothing_and_is_logged() {
    let db = Db::sqlite().await;
    // Bente Birk lives at Birkely; Anna works at Solgården.
    let run = console(&db.url, "solgaarden", "anna", &["Bente Birk"], &[]);
    assert!(run.ok, "{}", run.stderr);
    let reply = after_answer(&run.stdout, 0);
    assert!(
        reply.contains("Jeg kan ikke finde nogen beboer med «Bente Birk» på Plejecenter Solgården"),
        "{reply}"
    );
    for secret in [
        "Hypertension",
        "Birkely",
        "værelse 12",
        "Fuld behandling",
        "Beboerkort",
    ] {
        assert!(
            !run.stdout.contains(secret),
            "leaked {secret:?}:\n{}",
            run.stdout
        );
    }
    let case = run.case.expect("case");
    let log = db
        .store
        .access_log(Some(&"bir-12".parse().expect("id")), 10)
        .await
        .expect("log");
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].action, AccessAction::Denied);
    assert_eq!(log[0].case, Some(case));
    assert_eq!(log[0].person.as_ref().map(|p| p.as_str()), Some("anna"));
    // Nothing about her in the case record either.
    let events = db.events(case).await;
    assert!(!events
        .iter()
        .any(|e| matches!(e.event.kind, EventKind::ResidentIdentified { .. })));
    db.close().await;
}

#[tokio::test]
async fn staff_cannot_open_a_case_for_another_home() {
    let db = Db::sqlite().await;
    let run = console(&db.url, "birkely", "anna", &["12"], &[]);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("anna does not work at birkely"),
        "{}",
        run.stderr
    );
    assert!(db.store.cases(None, 10).await.expect("cases").is_empty());
    db.close().await;
}

#[tokio::test]
async fn english_console_and_several_values_at_once() {
    let db = Db::sqlite().await;
    let run = console(
        &db.url,
        "solgaarden",
        "anna",
        &[
            "Poul",
            "no",
            "RF 26, spo2 91, puls 120, BT 95/60, temp 39,2",
        ],
        &["--lang", "en"],
    );
    assert!(run.ok, "{}", run.stderr);
    let reply = after_answer(&run.stdout, 2);
    assert!(
        reply.contains("Noted: RR 26, SpO2 91 %, Pulse 120, SBP 95/60, Temp 39,2."),
        "{reply}"
    );
    assert!(
        reply.contains("Is the resident on oxygen right now?"),
        "{reply}"
    );
    db.close().await;
}

#[tokio::test]
async fn unresponsive_reported_as_a_vital_triggers_112() {
    let db = Db::sqlite().await;
    let run = console(
        &db.url,
        "solgaarden",
        "anna",
        &[
            "14", "nej", "ved ikke", "ved ikke", "ved ikke", "ved ikke", "ved ikke", "6",
        ],
        &[],
    );
    assert!(run.ok, "{}", run.stderr);
    let reply = after_answer(&run.stdout, 7);
    assert!(reply.contains("RING 112 NU"), "{reply}");
    assert!(reply.contains("Reagerer ikke / kan ikke vækkes"), "{reply}");
    db.close().await;
}

/// The golden record of a console case: a red flag ruled out by the
/// treatment decision (Karen), a typo, several values in one line, a
/// correction note. Kept in tests/fixtures/golden/console.jsonl.
#[tokio::test]
async fn golden_record_of_a_console_case() {
    let db = Db::sqlite().await;
    let script = [
        "12",
        "nej",
        "rf 24, spo2 93",
        "nej",
        "BT 110/70",
        "puls 1050",
        "puls 105",
        "2",
        "38,9",
        "Falder sammen, svær at vække",
        "ved ikke",
    ];
    let run = console(&db.url, "solgaarden", "anna", &script, &[]);
    assert!(run.ok, "{}\n{}", run.stdout, run.stderr);
    let case = run.case.expect("a case");
    crate::common::golden::check("console", &db.events(case).await);
    db.close().await;
}
