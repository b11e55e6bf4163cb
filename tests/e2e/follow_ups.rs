//! After the advice, against real databases with explicit clock values (no
//! sleeps): the read-back (advice sent again and the physician told after 5
//! minutes, the coordinator 10 minutes later, nothing once confirmed) and
//! re-measure orders (reminded at the due time with the last values, again
//! after 15 minutes, the coordinator and physician after 30; a worse
//! re-measurement pages again with the trend first, one that is not worse
//! reaches the physician as a note). Durable: a new scheduler instance picks
//! up where the first left.

use std::sync::Arc;

use crate::common::{on_both, Db};
use akutlinje_core::engine::Checklist;
use akutlinje_core::escalation::{Disposition, Notification, NotificationKind};
use akutlinje_core::followup::FollowUpKind;
use akutlinje_core::i18n::{Lang, Localizer};
use akutlinje_core::ids::CaseId;
use akutlinje_core::record::{Channel, EventKind};
use akutlinje_core::service::{Hotline, Via};
use akutlinje_scheduler::escalation::{Escalator, Policies};
use akutlinje_scheduler::rota::instant;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};

fn t(s: &str) -> DateTime<Utc> {
    instant(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time"))
}

/// Tuesday night 03:00: primary dr-berg, backup dr-lund (demo rota).
const NIGHT: &str = "2026-11-24 03:00";

struct Setup {
    db: Db,
    hotline: Hotline,
    def: Arc<Checklist>,
    loc: Arc<Localizer>,
}

async fn setup(db: Db) -> Setup {
    let loc = Arc::new(Localizer::builtin().expect("texts"));
    let def = Arc::new(Checklist::builtin_acute(&loc).expect("checklist"));
    let hotline = Hotline::new(db.store.clone(), def.clone(), loc.clone());
    let t0 = t(NIGHT);
    // A coordinator on duty tonight, so there is someone to alert.
    db.store
        .add_override(&akutlinje_core::rota::OverrideSpec {
            id: 0,
            service: "akutlaege".parse().expect("id"),
            tier: "coordinator".parse().expect("id"),
            person: "karin".parse().expect("id"),
            replaces: None,
            from: t0 - Duration::hours(4),
            to: t0 + Duration::hours(6),
        })
        .await
        .expect("override");
    Setup {
        db,
        hotline,
        def,
        loc,
    }
}

impl Setup {
    fn escalator(&self, worker: &str) -> Escalator {
        Escalator::new(
            self.db.store.clone(),
            Policies::default_policies().expect("policies"),
            "akutlaege".parse().expect("id"),
            self.def.clone(),
            self.loc.clone(),
            worker,
        )
    }

    async fn say(&self, case: CaseId, text: &str, at: DateTime<Utc>) {
        let anna = self.db.person("anna").await;
        self.hotline
            .input(case, &anna, Channel::Matrix, text, None, at)
            .await
            .expect("input");
    }

    /// A medium case from the Matrix thread (Poul, room 14: NEWS2 5),
    /// paged at `at` and acknowledged by dr-berg a minute later.
    async fn medium_case(&self, at: DateTime<Utc>) -> CaseId {
        let anna = self.db.person("anna").await;
        let home = self.db.home("solgaarden").await;
        let case = CaseId::from_uuid(uuid::Uuid::new_v4());
        self.hotline
            .open_case(case, &anna, &home, Channel::Matrix, Lang::Da, at)
            .await
            .expect("open");
        for answer in [
            "14",
            "nej",
            "22",
            "95",
            "nej",
            "125/80",
            "98",
            "1",
            "38,9",
            "Feber og hoste",
            "spring over",
        ] {
            self.say(case, answer, at).await;
        }
        let berg = self.db.person("dr-berg").await;
        self.escalator("w0").tick(at).await.expect("page");
        self.hotline
            .respond_to_page(
                case,
                &berg,
                Channel::Matrix,
                false,
                None,
                at + Duration::minutes(1),
            )
            .await
            .expect("ack");
        case
    }

    async fn advise(&self, case: CaseId, at: DateTime<Utc>) {
        let berg = self.db.person("dr-berg").await;
        self.hotline
            .record_disposition(
                case,
                &berg,
                Via::from(Channel::Matrix),
                Disposition::WatchAtHome,
                Some("Giv Panodil 1 g og mere at drikke"),
                at,
            )
            .await
            .expect("disposition");
    }

    async fn order(&self, case: CaseId, minutes: u32, at: DateTime<Utc>) -> DateTime<Utc> {
        let berg = self.db.person("dr-berg").await;
        self.hotline
            .order_remeasure(case, &berg, Via::from(Channel::Matrix), minutes, at)
            .await
            .expect("order")
    }

    async fn kinds(&self, case: CaseId) -> Vec<EventKind> {
        self.db
            .events(case)
            .await
            .into_iter()
            .map(|e| e.event.kind)
            .collect()
    }

    async fn follow_up_notes(&self, case: CaseId) -> Vec<Notification> {
        self.db
            .store
            .notifications(case)
            .await
            .expect("notifications")
            .into_iter()
            .filter(|n| n.new.kind == NotificationKind::FollowUp)
            .collect()
    }
}

fn count(kinds: &[EventKind], f: impl Fn(&EventKind) -> bool) -> usize {
    kinds.iter().filter(|k| f(k)).count()
}

async fn unconfirmed_advice_is_sent_again_then_the_coordinator_is_alerted(db: Db) {
    let s = setup(db).await;
    let t0 = t(NIGHT);
    let case = s.medium_case(t0).await;
    let t1 = t0 + Duration::minutes(3);
    s.advise(case, t1).await;
    let esc = s.escalator("w1");
    // One second before the 5 minutes: nothing.
    esc.tick(t1 + Duration::seconds(299)).await.expect("tick");
    assert!(s.follow_up_notes(case).await.is_empty());
    esc.tick(t1 + Duration::minutes(5)).await.expect("tick");
    let notes = s.follow_up_notes(case).await;
    let to = |who: &str| {
        notes
            .iter()
            .find(|n| n.new.person.as_str() == who)
            .map(|n| n.new.text.clone())
            .unwrap_or_default()
    };
    assert!(to("anna").contains("«forstået»"), "{}", to("anna"));
    assert!(
        to("anna").contains("Giv Panodil 1 g og mere at drikke"),
        "{}",
        to("anna")
    );
    assert!(
        to("dr-berg").contains("endnu ikke bekræftet dit råd (sendt for 5 minutter siden)"),
        "{}",
        to("dr-berg")
    );
    let kinds = s.kinds(case).await;
    assert_eq!(
        count(&kinds, |k| matches!(
            k,
            EventKind::AdviceUnconfirmed { stage: 0 }
        )),
        1
    );
    // A new scheduler instance (a restart) carries on: 10 minutes later, the coordinator.
    let esc2 = s.escalator("w2");
    esc2.tick(t1 + Duration::minutes(15) - Duration::seconds(1))
        .await
        .expect("tick");
    assert_eq!(s.follow_up_notes(case).await.len(), 2);
    esc2.tick(t1 + Duration::minutes(15)).await.expect("tick");
    let notes = s.follow_up_notes(case).await;
    let karin = notes
        .iter()
        .find(|n| n.new.person.as_str() == "karin")
        .expect("the coordinator alerted");
    assert!(
        karin
            .new
            .text
            .contains("ikke bekræftet af personalet efter 15 minutter"),
        "{}",
        karin.new.text
    );
    let kinds = s.kinds(case).await;
    assert!(kinds.iter().any(
        |k| matches!(k, EventKind::CoordinatorAlerted { person: Some(p) } if p.as_str() == "karin")
    ));
    // And then nothing more.
    esc2.tick(t1 + Duration::hours(2)).await.expect("tick");
    assert_eq!(s.follow_up_notes(case).await.len(), 3);
}
on_both!(unconfirmed_advice_is_sent_again_then_the_coordinator_is_alerted);

async fn confirmed_advice_is_recorded_with_who_and_when_and_nothing_follows(db: Db) {
    let s = setup(db).await;
    let t0 = t(NIGHT);
    let case = s.medium_case(t0).await;
    let t1 = t0 + Duration::minutes(3);
    s.advise(case, t1).await;
    s.say(case, "Forstået", t1 + Duration::minutes(2)).await;
    let events = s.db.events(case).await;
    let confirmed = events
        .iter()
        .find(|e| matches!(e.event.kind, EventKind::AdviceConfirmed))
        .expect("confirmed");
    assert_eq!(
        confirmed.event.author.person.as_ref().map(|p| p.as_str()),
        Some("anna")
    );
    assert_eq!(confirmed.event.at, t1 + Duration::minutes(2));
    let esc = s.escalator("w1");
    esc.tick(t1 + Duration::hours(1)).await.expect("tick");
    assert!(s.follow_up_notes(case).await.is_empty());
    let ups = s.db.store.follow_ups(case).await.expect("follow-ups");
    assert!(ups
        .iter()
        .all(|f| f.kind != FollowUpKind::Readback || !f.pending));
}
on_both!(confirmed_advice_is_recorded_with_who_and_when_and_nothing_follows);

async fn a_remeasure_order_reminds_at_the_due_time_again_and_then_alerts(db: Db) {
    let s = setup(db).await;
    let t0 = t(NIGHT);
    let case = s.medium_case(t0).await;
    let t1 = t0 + Duration::minutes(3);
    s.say(case, "forstået", t1).await;
    let due = s.order(case, 60, t1).await;
    assert_eq!(due, t1 + Duration::minutes(60));
    let esc = s.escalator("w1");
    esc.tick(due - Duration::seconds(1)).await.expect("tick");
    assert!(s.follow_up_notes(case).await.is_empty());
    esc.tick(due).await.expect("tick");
    let notes = s.follow_up_notes(case).await;
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].new.person.as_str(), "anna");
    let text = &notes[0].new.text;
    assert!(text.contains("tid til ny måling"), "{text}");
    assert!(
        text.contains("Seneste værdier: RF 22, SpO2 95 % (luft), BT 125/80, Puls 98"),
        "{text}"
    );
    esc.tick(due + Duration::minutes(15)).await.expect("tick");
    let notes = s.follow_up_notes(case).await;
    assert_eq!(notes.len(), 2);
    assert!(
        notes[1].new.text.contains("mangler stadig"),
        "{}",
        notes[1].new.text
    );
    // A restart in between: a new instance fires the last stage.
    let esc2 = s.escalator("w2");
    esc2.tick(due + Duration::minutes(30) - Duration::seconds(1))
        .await
        .expect("tick");
    assert_eq!(s.follow_up_notes(case).await.len(), 2);
    esc2.tick(due + Duration::minutes(30)).await.expect("tick");
    let notes = s.follow_up_notes(case).await;
    let who: Vec<&str> = notes.iter().map(|n| n.new.person.as_str()).collect();
    assert_eq!(who, vec!["anna", "anna", "karin", "dr-berg"]);
    let kinds = s.kinds(case).await;
    for stage in 0..=2 {
        assert_eq!(
            count(
                &kinds,
                |k| matches!(k, EventKind::RemeasureReminded { stage: s } if *s == stage)
            ),
            1,
            "stage {stage}"
        );
    }
}
on_both!(a_remeasure_order_reminds_at_the_due_time_again_and_then_alerts);

async fn a_worse_remeasurement_pages_again_with_the_trend_first(db: Db) {
    let s = setup(db).await;
    let t0 = t(NIGHT);
    let case = s.medium_case(t0).await;
    let t1 = t0 + Duration::minutes(3);
    s.say(case, "forstået", t1).await;
    let due = s.order(case, 30, t1).await;
    let t2 = due - Duration::minutes(2);
    s.say(case, "ny måling", t2).await;
    for answer in ["nej", "28", "92", "nej", "125", "112", "1", "38,9"] {
        s.say(case, answer, t2).await;
    }
    let kinds = s.kinds(case).await;
    let trend = kinds
        .iter()
        .find_map(|k| match k {
            EventKind::RemeasureAssessed { trend } => Some(trend.clone()),
            _ => None,
        })
        .expect("assessed");
    assert_eq!(trend.news2, (5, 8));
    assert!(trend.is_worse());
    assert!(kinds.iter().any(|k| matches!(
        k,
        EventKind::PageRequested {
            urgency: akutlinje_core::engine::Urgency::High
        }
    )));
    // The escalation runs again; the page shows the trend first.
    let esc = s.escalator("w1");
    esc.tick(t2).await.expect("tick");
    let pages: Vec<Notification> =
        s.db.store
            .notifications(case)
            .await
            .expect("notifications")
            .into_iter()
            .filter(|n| n.new.kind == NotificationKind::Page)
            .collect();
    let last = pages.last().expect("a new page");
    assert_eq!(last.new.person.as_str(), "dr-berg");
    let second_line = last.new.text.lines().nth(1).unwrap_or_default();
    assert_eq!(
        second_line,
        "DÅRLIGERE VED NY MÅLING: NEWS2 5 → 8, RF 22 → 28, SpO2 95 % → 92 %, Puls 98 → 112"
    );
    // The ISBAR's footer: the home's municipal alternatives.
    assert!(
        last.new.text.contains("Kommunale alternativer til indlæggelse:\n• Akutteam Solbakken Kommune (akutteam), tlf. +4587131313, døgnet rundt"),
        "{}",
        last.new.text
    );
    // Done: no reminder at the due time.
    esc.tick(due + Duration::minutes(45)).await.expect("tick");
    assert!(s.follow_up_notes(case).await.is_empty());
}
on_both!(a_worse_remeasurement_pages_again_with_the_trend_first);

async fn a_remeasurement_that_is_not_worse_is_a_quiet_note_to_the_physician(db: Db) {
    let s = setup(db).await;
    let t0 = t(NIGHT);
    let case = s.medium_case(t0).await;
    let t1 = t0 + Duration::minutes(3);
    s.say(case, "forstået", t1).await;
    let due = s.order(case, 60, t1).await;
    let esc = s.escalator("w1");
    esc.tick(due).await.expect("reminder");
    let t2 = due + Duration::minutes(5);
    s.say(case, "ny måling", t2).await;
    for answer in ["nej", "18", "97", "nej", "130", "84", "1", "37,6"] {
        s.say(case, answer, t2).await;
    }
    esc.tick(t2).await.expect("tick");
    let notes = s.follow_up_notes(case).await;
    let berg = notes
        .iter()
        .find(|n| n.new.person.as_str() == "dr-berg")
        .expect("a note to the physician");
    assert!(
        berg.new
            .text
            .contains("ikke dårligere: NEWS2 5 → 0, RF 22 → 18"),
        "{}",
        berg.new.text
    );
    let kinds = s.kinds(case).await;
    assert!(kinds
        .iter()
        .any(|k| matches!(k, EventKind::TrendReported { person } if person.as_str() == "dr-berg")));
    // No second reminder, no new page.
    esc.tick(due + Duration::hours(2)).await.expect("tick");
    assert_eq!(s.follow_up_notes(case).await.len(), 2);
    assert_eq!(
        count(&kinds, |k| matches!(k, EventKind::PageRequested { .. })),
        1
    );
}
on_both!(a_remeasurement_that_is_not_worse_is_a_quiet_note_to_the_physician);
