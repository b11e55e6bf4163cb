//! Escalation against real databases, with explicit clock values (no sleeps):
//! steps at exactly their deadlines, acknowledgement, repeats and the final
//! alert, restarts, two instances on one PostgreSQL database, and the outbox's
//! retries and fall-over.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use crate::common::{on_both, Db};
use akutlinje_core::engine::Checklist;
use akutlinje_core::escalation::{
    EscalationState, Notification, NotificationKind, NotificationStatus, NotifyChannel,
};
use akutlinje_core::i18n::{Lang, Localizer};
use akutlinje_core::ids::CaseId;
use akutlinje_core::person::Person;
use akutlinje_core::record::{Author, CaseStatus, Channel, EventKind, NewEvent};
use akutlinje_core::service::Hotline;
use akutlinje_scheduler::escalation::{Escalator, Outbox, Policies, SendError, Sender};
use akutlinje_scheduler::rota::instant;
use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};

fn t(s: &str) -> DateTime<Utc> {
    instant(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time"))
}

/// Tuesday night 03:00: primary dr-berg, backup dr-lund, no coordinator (demo rota).
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

    /// A red-flag case for Poul (full treatment), paged at `at`.
    async fn red_case(&self, at: DateTime<Utc>) -> CaseId {
        let anna = self.db.person("anna").await;
        let home = self.db.home("solgaarden").await;
        let case = CaseId::from_uuid(uuid::Uuid::new_v4());
        self.hotline
            .open_case(case, &anna, &home, Channel::Console, Lang::Da, at)
            .await
            .expect("open");
        self.hotline
            .input(case, &anna, Channel::Console, "14", None, at)
            .await
            .expect("room");
        self.hotline
            .input(case, &anna, Channel::Console, "3", None, at)
            .await
            .expect("red flag");
        case
    }

    async fn pages(&self, case: CaseId) -> Vec<(String, u32, u32, DateTime<Utc>)> {
        self.db
            .events(case)
            .await
            .into_iter()
            .filter_map(|e| match e.event.kind {
                EventKind::PageSent {
                    person,
                    step,
                    round,
                    ..
                } => Some((person.to_string(), step, round, e.event.at)),
                _ => None,
            })
            .collect()
    }

    async fn respond(&self, case: CaseId, who: &str, at: DateTime<Utc>, decline: bool) -> bool {
        let person = who.parse().expect("id");
        let kind = if decline {
            EventKind::PageDeclined { person }
        } else {
            EventKind::PageAcknowledged {
                person,
                takeover: false,
            }
        };
        let ev = NewEvent {
            at,
            author: Author {
                person: Some(who.parse().expect("id")),
                role: Some(akutlinje_core::person::Role::Physician),
            },
            channel: Channel::Console,
            kind,
            corrects: None,
            external_id: None,
        };
        self.db
            .store
            .respond_to_page(case, &ev, decline)
            .await
            .expect("respond")
    }
}

async fn next_step_fires_at_exactly_its_deadline(s: Setup) {
    let t0 = t(NIGHT);
    let case = s.red_case(t0).await;
    let esc = s.escalator("w1");
    assert_eq!(esc.tick(t0).await.expect("tick"), 1);
    assert_eq!(s.pages(case).await, vec![("dr-berg".into(), 0, 0, t0)]);
    // Red: 2 minutes to acknowledge. One second before, nothing.
    assert_eq!(
        esc.tick(t0 + Duration::seconds(119)).await.expect("tick"),
        0
    );
    assert_eq!(esc.tick(t0 + Duration::minutes(2)).await.expect("tick"), 1);
    let pages = s.pages(case).await;
    assert_eq!(
        pages[1],
        ("dr-lund".into(), 1, 0, t0 + Duration::minutes(2))
    );
    // The page text holds the ISBAR, with the 112 advice noted.
    // Red pages on every channel at once, each falling back to the record.
    let notes = s.db.store.notifications(case).await.expect("notifications");
    assert_eq!(notes.len(), 6);
    assert!(notes.iter().all(|n| n.new.kind == NotificationKind::Page));
    assert_eq!(
        notes
            .iter()
            .take(3)
            .map(|n| n.new.channel)
            .collect::<Vec<_>>(),
        vec![
            NotifyChannel::Matrix,
            NotifyChannel::Sms,
            NotifyChannel::Voice
        ]
    );
    assert!(notes
        .iter()
        .all(|n| n.new.fallback == vec![NotifyChannel::Log]));
    assert!(
        notes[0].new.text.contains("HASTEGRAD RØD"),
        "{}",
        notes[0].new.text
    );
    assert!(notes[0]
        .new
        .text
        .contains("Personalet er rådet til at ringe 112."));
    s.db.close().await;
}

on_both!(next_step_fires_at_exactly_its_deadline_on);

async fn next_step_fires_at_exactly_its_deadline_on(db: Db) {
    next_step_fires_at_exactly_its_deadline(setup(db).await).await;
}

#[tokio::test]
async fn an_acknowledgement_cancels_and_a_late_one_is_still_recorded() {
    let s = setup(Db::sqlite().await).await;
    let t0 = t(NIGHT);
    let case = s.red_case(t0).await;
    let esc = s.escalator("w1");
    esc.tick(t0).await.expect("tick");
    assert!(
        s.respond(case, "dr-berg", t0 + Duration::seconds(40), false)
            .await,
        "stops the pending escalation"
    );
    assert_eq!(esc.tick(t0 + Duration::minutes(30)).await.expect("tick"), 0);
    assert_eq!(s.pages(case).await.len(), 1);
    let e =
        s.db.store
            .escalation(case)
            .await
            .expect("read")
            .expect("exists");
    assert_eq!(e.state, EscalationState::Acknowledged);
    assert_eq!(
        s.db.store
            .case(case)
            .await
            .expect("read")
            .expect("exists")
            .status,
        CaseStatus::Acknowledged
    );
    // A second, late acknowledgement changes nothing but is recorded.
    assert!(
        !s.respond(case, "dr-lund", t0 + Duration::minutes(5), false)
            .await
    );
    let acks =
        s.db.events(case)
            .await
            .into_iter()
            .filter(|e| matches!(e.event.kind, EventKind::PageAcknowledged { .. }))
            .count();
    assert_eq!(acks, 2);
    s.db.close().await;
}

#[tokio::test]
async fn a_decline_moves_on_at_once() {
    let s = setup(Db::sqlite().await).await;
    let t0 = t(NIGHT);
    let case = s.red_case(t0).await;
    let esc = s.escalator("w1");
    esc.tick(t0).await.expect("tick");
    let t1 = t0 + Duration::seconds(20);
    assert!(s.respond(case, "dr-berg", t1, true).await);
    assert_eq!(esc.tick(t1).await.expect("tick"), 1);
    assert_eq!(s.pages(case).await[1], ("dr-lund".into(), 1, 0, t1));
    s.db.close().await;
}

#[tokio::test]
async fn repeats_then_alerts_the_coordinator_and_tells_the_staff() {
    let s = setup(Db::sqlite().await).await;
    let t0 = t(NIGHT);
    // A coordinator on duty tonight, so there is someone to alert.
    s.db.store
        .add_override(&akutlinje_core::rota::OverrideSpec {
            id: 0,
            service: "akutlaege".parse().expect("id"),
            tier: "coordinator".parse().expect("id"),
            person: "karin".parse().expect("id"),
            replaces: None,
            from: t0 - Duration::hours(4),
            to: t0 + Duration::hours(4),
        })
        .await
        .expect("override");
    let case = s.red_case(t0).await;
    let esc = s.escalator("w1");
    // Red: 2 steps × 3 passes, 2 minutes apart; then the last wait; then the alert.
    let mut fired = 0;
    for minute in 0..=14 {
        fired += esc
            .tick(t0 + Duration::minutes(minute))
            .await
            .expect("tick");
    }
    assert_eq!(fired, 7, "6 pages and the final alert");
    let pages = s.pages(case).await;
    let who: Vec<(&str, u32, u32)> = pages
        .iter()
        .map(|(p, st, r, _)| (p.as_str(), *st, *r))
        .collect();
    assert_eq!(
        who,
        vec![
            ("dr-berg", 0, 0),
            ("dr-lund", 1, 0),
            ("dr-berg", 0, 1),
            ("dr-lund", 1, 1),
            ("dr-berg", 0, 2),
            ("dr-lund", 1, 2)
        ]
    );
    assert!(pages
        .iter()
        .enumerate()
        .all(|(i, p)| p.3 == t0 + Duration::minutes(2 * i as i64)));
    let events = s.db.events(case).await;
    let exhausted = events
        .iter()
        .find(|e| matches!(e.event.kind, EventKind::EscalationExhausted))
        .expect("exhausted");
    assert_eq!(exhausted.event.at, t0 + Duration::minutes(12));
    assert!(events.iter().any(|e| matches!(&e.event.kind, EventKind::CoordinatorAlerted { person: Some(p) } if p.as_str() == "karin")));
    assert!(events.iter().any(|e| matches!(&e.event.kind, EventKind::StaffAdvised { person: Some(p) } if p.as_str() == "anna")));
    let notes = s.db.store.notifications(case).await.expect("notifications");
    let advice = notes
        .iter()
        .find(|n| n.new.kind == NotificationKind::StaffAdvice)
        .expect("staff advice");
    assert!(
        advice
            .new
            .text
            .contains("Ingen læge har kvitteret for kaldet endnu"),
        "{}",
        advice.new.text
    );
    assert!(advice.new.text.contains("ring 112"), "{}", advice.new.text);
    assert!(notes
        .iter()
        .any(|n| n.new.kind == NotificationKind::Alert && n.new.person.as_str() == "karin"));
    assert_eq!(
        s.db.store
            .escalation(case)
            .await
            .expect("read")
            .expect("exists")
            .state,
        EscalationState::Exhausted
    );
    assert_eq!(
        esc.tick(t0 + Duration::hours(2)).await.expect("tick"),
        0,
        "nothing after the alert"
    );
    s.db.close().await;
}

#[tokio::test]
async fn nobody_on_call_moves_to_the_next_tier_at_once() {
    let s = setup(Db::sqlite().await).await;
    // Tuesday 10:00: primary is covered, backup is not (08–16 gap in the demo rota).
    let t0 = t("2026-11-24 10:00");
    let case = s.red_case(t0).await;
    let esc = s.escalator("w1");
    esc.tick(t0).await.expect("tick");
    esc.tick(t0 + Duration::minutes(2)).await.expect("tick");
    let events = s.db.events(case).await;
    assert!(events.iter().any(|e| matches!(&e.event.kind, EventKind::NobodyOnCall { tier, step: 1, .. } if tier.as_str() == "backup")));
    // The gap cost no time: the next pass starts at once with primary.
    let pages = s.pages(case).await;
    assert_eq!(pages.len(), 2);
    assert_eq!(
        (pages[1].1, pages[1].2, pages[1].3),
        (0, 1, t0 + Duration::minutes(2))
    );
    s.db.close().await;
}

// On PostgreSQL the fence is one statement for the whole batch (`unnest`).
on_both!(after_a_restart_overdue_steps_fire_once);

async fn after_a_restart_overdue_steps_fire_once(db: Db) {
    let s = setup(db).await;
    let t0 = t(NIGHT);
    let case = s.red_case(t0).await;
    // The first instance claims the first step and dies before firing it.
    let claimed =
        s.db.store
            .claim_due_escalations(t0, "dead", Duration::seconds(60), 10)
            .await
            .expect("claim");
    assert_eq!(claimed.len(), 1);
    let fresh = s.escalator("fresh");
    assert_eq!(
        fresh.tick(t0 + Duration::seconds(30)).await.expect("tick"),
        0,
        "the claim is still held"
    );
    // Back 5 minutes later: the lease is over; the overdue step fires once.
    let later = t0 + Duration::minutes(5);
    assert_eq!(fresh.tick(later).await.expect("tick"), 1);
    assert_eq!(fresh.tick(later).await.expect("tick"), 0);
    assert_eq!(s.pages(case).await, vec![("dr-berg".into(), 0, 0, later)]);
    // The dead instance's late attempt to fire is fenced out.
    let e = &claimed[0];
    let next = akutlinje_core::escalation::EscalationNext {
        step: 1,
        round: 0,
        due_at: t0,
        state: EscalationState::Pending,
    };
    assert!(
        !s.db
            .store
            .fire_escalation(e, "dead", next, &[], &[])
            .await
            .expect("fire"),
        "a fenced-out step fired"
    );
    s.db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_fire_each_step_exactly_once() {
    let s = setup(Db::postgres().await).await;
    let t0 = t(NIGHT);
    let mut cases = Vec::new();
    for _ in 0..30 {
        cases.push(s.red_case(t0).await);
    }
    // Small batches so the two really compete for rows.
    let (a, b) = (
        s.escalator("instance-a").with_batch(3),
        s.escalator("instance-b").with_batch(3),
    );
    let (ra, rb) = tokio::join!(
        async {
            let mut n = 0;
            for _ in 0..5 {
                n += a.tick(t0).await.expect("tick a");
            }
            n
        },
        async {
            let mut n = 0;
            for _ in 0..5 {
                n += b.tick(t0).await.expect("tick b");
            }
            n
        },
    );
    assert_eq!(ra + rb, 30, "a: {ra}, b: {rb}");
    for c in &cases {
        assert_eq!(s.pages(*c).await.len(), 1, "case {c}");
    }
    println!(
        "two instances fired {ra} + {rb} = {} steps for 30 cases",
        ra + rb
    );
    s.db.close().await;
}

/// Fails `failures` times (retryable or not), then succeeds.
struct Flaky {
    channel: NotifyChannel,
    failures: u32,
    retryable: bool,
    calls: AtomicU32,
}

#[async_trait]
impl Sender for Flaky {
    fn channel(&self) -> NotifyChannel {
        self.channel
    }
    async fn send(&self, n: &Notification, _to: &Person) -> Result<Option<String>, SendError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        if call < self.failures {
            Err(SendError {
                retryable: self.retryable,
                message: format!("simulated failure {call}"),
            })
        } else {
            Ok(Some(format!("{}-{}", self.channel, n.id)))
        }
    }
}

#[tokio::test]
async fn the_outbox_retries_with_backoff_then_falls_over() {
    let s = setup(Db::sqlite().await).await;
    let t0 = t(NIGHT);
    let case = s.red_case(t0).await;
    s.escalator("w1").tick(t0).await.expect("tick");
    // Matrix fails (retryably) for good; SMS refuses outright; the record takes it.
    let matrix = Arc::new(Flaky {
        channel: NotifyChannel::Matrix,
        failures: 100,
        retryable: true,
        calls: AtomicU32::new(0),
    });
    let sms = Arc::new(Flaky {
        channel: NotifyChannel::Sms,
        failures: 100,
        retryable: false,
        calls: AtomicU32::new(0),
    });
    let outbox = Outbox::new(s.db.store.clone(), vec![matrix.clone(), sms.clone()], "w1");
    let mut now = t0;
    for _ in 0..20 {
        outbox.tick(now).await.expect("tick");
        now += Duration::seconds(30);
    }
    assert_eq!(
        matrix.calls.load(Ordering::SeqCst),
        4,
        "max_attempts on matrix"
    );
    assert_eq!(
        sms.calls.load(Ordering::SeqCst),
        1,
        "no retry of a permanent failure"
    );
    let notes = s.db.store.notifications(case).await.expect("notifications");
    let chain: Vec<(NotifyChannel, NotificationStatus)> =
        notes.iter().map(|n| (n.new.channel, n.status)).collect();
    // A red page goes out on all three channels at once; each that fails
    // for good (voice has no sender here) falls over to the record.
    assert_eq!(
        chain,
        vec![
            (NotifyChannel::Matrix, NotificationStatus::Failed),
            (NotifyChannel::Sms, NotificationStatus::Failed),
            (NotifyChannel::Voice, NotificationStatus::Failed),
            (NotifyChannel::Log, NotificationStatus::Sent),
            (NotifyChannel::Log, NotificationStatus::Sent),
            (NotifyChannel::Log, NotificationStatus::Sent),
        ]
    );
    assert_eq!(notes[0].attempts, 4);
    let events = s.db.events(case).await;
    let failed: Vec<Option<NotifyChannel>> = events
        .iter()
        .filter_map(|e| match &e.event.kind {
            EventKind::NotificationFailed { fallover, .. } => Some(*fallover),
            _ => None,
        })
        .collect();
    assert_eq!(failed, vec![Some(NotifyChannel::Log); 3]);
    assert!(events.iter().any(|e| matches!(
        e.event.kind,
        EventKind::NotificationDelivered {
            channel: NotifyChannel::Log,
            ..
        }
    )));
    // Backoff is capped.
    assert_eq!(Outbox::backoff(0), Duration::seconds(10));
    assert_eq!(Outbox::backoff(1), Duration::seconds(20));
    assert_eq!(Outbox::backoff(20), Duration::seconds(300));
    s.db.close().await;
}

#[tokio::test]
async fn a_retryable_failure_is_retried_and_then_delivered() {
    let s = setup(Db::sqlite().await).await;
    let t0 = t(NIGHT);
    let case = s.red_case(t0).await;
    s.escalator("w1").tick(t0).await.expect("tick");
    let matrix = Arc::new(Flaky {
        channel: NotifyChannel::Matrix,
        failures: 2,
        retryable: true,
        calls: AtomicU32::new(0),
    });
    let outbox = Outbox::new(s.db.store.clone(), vec![matrix.clone()], "w1");
    outbox.tick(t0).await.expect("first attempt");
    // Not before the backoff is over.
    outbox
        .tick(t0 + Duration::seconds(9))
        .await
        .expect("too early");
    assert_eq!(matrix.calls.load(Ordering::SeqCst), 1);
    outbox
        .tick(t0 + Duration::seconds(10))
        .await
        .expect("second");
    outbox
        .tick(t0 + Duration::seconds(30))
        .await
        .expect("third");
    assert_eq!(matrix.calls.load(Ordering::SeqCst), 3);
    let notes = s.db.store.notifications(case).await.expect("notifications");
    // Matrix, SMS and voice at once; SMS and voice have no sender here and
    // went to the record.
    assert_eq!(notes.len(), 5);
    assert_eq!(
        (notes[0].new.channel, notes[0].status, notes[0].attempts),
        (NotifyChannel::Matrix, NotificationStatus::Sent, 3)
    );
    assert_eq!(
        notes[0].external_id.as_deref(),
        Some(format!("matrix-{}", notes[0].id).as_str())
    );
    s.db.close().await;
}

#[tokio::test]
async fn a_step_may_name_a_person_and_every_page_says_why() {
    let s = setup(Db::sqlite().await).await;
    let mut toml = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scheduler/policies.toml"
    ))
    .to_string();
    toml = toml.replacen(
        r#"{ tier = "backup", channels = ["matrix", "sms", "voice"], wait_minutes = 2 },"#,
        r#"{ person = "karin", channels = ["sms"], wait_minutes = 2 },"#,
        1,
    );
    let policies = Policies::parse(&toml).expect("valid policies");
    let esc = Escalator::new(
        s.db.store.clone(),
        policies,
        "akutlaege".parse().expect("id"),
        s.def.clone(),
        s.loc.clone(),
        "w1",
    );
    let t0 = t(NIGHT);
    let case = s.red_case(t0).await;
    esc.tick(t0).await.expect("tick");
    esc.tick(t0 + Duration::minutes(2)).await.expect("tick");
    let sent: Vec<(String, Option<String>, String)> =
        s.db.events(case)
            .await
            .into_iter()
            .filter_map(|e| match e.event.kind {
                EventKind::PageSent {
                    person,
                    tier,
                    reason,
                    ..
                } => Some((person.to_string(), tier.map(|t| t.to_string()), reason)),
                _ => None,
            })
            .collect();
    assert_eq!(
        sent,
        vec![
            (
                "dr-berg".into(),
                Some("primary".into()),
                "first_page".into()
            ),
            ("karin".into(), None, "no_acknowledgement".into()),
        ]
    );
    let both = toml.replacen(
        r#"{ person = "karin","#,
        r#"{ person = "karin", tier = "backup","#,
        1,
    );
    let e = Policies::parse(&both).expect_err("a step with both");
    assert!(
        e.to_string()
            .contains("every step names either a tier or a person"),
        "{e}"
    );
    let missing = toml.replacen("urgency = \"routine\"", "urgency = \"low\"", 1);
    assert!(Policies::parse(&missing)
        .expect_err("two lows, no routine")
        .to_string()
        .contains("defined twice"));
    s.db.close().await;
}
