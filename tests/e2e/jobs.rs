//! Handover notices, reminders and the gap report: queued once each, across
//! ticks and across a restart (a new instance), on a real SQLite file.

use std::sync::Arc;

use crate::common::Db;
use akutlinje_core::escalation::NotificationKind;
use akutlinje_core::i18n::Localizer;
use akutlinje_scheduler::jobs::{JobSettings, RotaJobs};
use akutlinje_scheduler::rota::instant;
use chrono::{DateTime, NaiveDateTime, Utc};

fn t(s: &str) -> DateTime<Utc> {
    instant(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time"))
}

fn jobs(db: &Db) -> RotaJobs {
    RotaJobs::new(
        db.store.clone(),
        "akutlaege".parse().expect("id"),
        Arc::new(Localizer::builtin().expect("texts")),
        JobSettings::default(),
    )
}

async fn queued(db: &Db) -> Vec<(String, NotificationKind, String)> {
    let now = t("2026-12-31 00:00");
    let claimed = db
        .store
        .claim_due_notifications(now, "probe", chrono::Duration::seconds(1), 1000)
        .await
        .expect("claim");
    claimed
        .into_iter()
        .map(|n| (n.new.person.to_string(), n.new.kind, n.new.text))
        .collect()
}

#[tokio::test]
async fn handovers_reminders_and_gap_reports_are_sent_once() {
    let db = Db::sqlite().await;
    let j = jobs(&db);
    // Tuesday 08:05: primary (Mette Lund) and coordinator (Karin) started at 08:00.
    assert!(j.tick(t("2026-11-24 08:05")).await.expect("tick") >= 3);
    assert_eq!(
        j.tick(t("2026-11-24 08:06")).await.expect("tick"),
        0,
        "nothing twice"
    );
    assert_eq!(
        jobs(&db).tick(t("2026-11-24 08:07")).await.expect("tick"),
        0,
        "nor after a restart"
    );
    let q = queued(&db).await;
    let handovers: Vec<&(String, NotificationKind, String)> = q
        .iter()
        .filter(|(_, k, _)| *k == NotificationKind::Handover)
        .collect();
    assert_eq!(handovers.len(), 2, "{q:?}");
    assert!(handovers.iter().any(|(p, _, text)| p == "dr-lund" && text == "Din vagt begynder nu: primary i Akutlæge, Region Sjælland (demo), til 25.11. 08:00."), "{handovers:?}");
    assert!(handovers
        .iter()
        .any(|(p, _, text)| p == "karin" && text.contains("coordinator")));
    // The gap report goes to the coordinator on duty and lists the open stretches.
    let report = q
        .iter()
        .find(|(_, k, _)| *k == NotificationKind::Alert)
        .expect("gap report");
    assert_eq!(report.0, "karin");
    assert!(
        report.2.starts_with(
            "Nye huller i vagtplanen for Akutlæge, Region Sjælland (demo) de næste 14 dage:"
        ),
        "{}",
        report.2
    );
    assert!(
        report
            .2
            .contains("backup: 24.11. 08:00–24.11. 16:00 ikke dækket"),
        "{}",
        report.2
    );

    // 14:05: a reminder for the backup shift at 16:00 (two hours ahead).
    j.tick(t("2026-11-24 14:05")).await.expect("tick");
    let q = queued(&db).await;
    let reminders: Vec<_> = q
        .iter()
        .filter(|(_, k, text)| *k == NotificationKind::Handover && text.starts_with("Påmindelse"))
        .collect();
    assert_eq!(reminders.len(), 1, "{q:?}");
    assert!(
        reminders[0].2.contains("backup") && reminders[0].2.contains("24.11. 16:00"),
        "{}",
        reminders[0].2
    );
    db.close().await;
}

#[tokio::test]
async fn no_gap_report_before_the_report_hour() {
    let db = Db::sqlite().await;
    let j = jobs(&db);
    j.tick(t("2026-11-24 07:00")).await.expect("tick");
    assert!(queued(&db)
        .await
        .iter()
        .all(|(_, k, _)| *k != NotificationKind::Alert));
    db.close().await;
}
