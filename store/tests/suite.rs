//! One test suite, run against both backends: a real SQLite file and a real
//! PostgreSQL database (created per test, dropped after).

use std::sync::Arc;

use akutlinje_core::engine::{CaseState, Checklist, Urgency};
use akutlinje_core::i18n::{Lang, Localizer};
use akutlinje_core::ids::{CaseId, HomeId, PersonId, ResidentId, Text};
use akutlinje_core::person::{Home, Person, Role};
use akutlinje_core::phone::PhoneNumber;
use akutlinje_core::record::{AccessAction, Author, CaseStatus, Channel, EventKind, NewEvent};
use akutlinje_core::resident::{parse_import, DecisionKind, ImportFormat, Room};
use akutlinje_core::service::Hotline;
use akutlinje_core::store::{NewCase, Store, StoreError};
use akutlinje_store::testing;
use chrono::{TimeZone, Utc};

macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let t = akutlinje_store::testing::sqlite().await;
                super::$name(std::sync::Arc::new(t.store.clone())).await;
            }
            #[tokio::test]
            async fn postgres() {
                let t = akutlinje_store::testing::postgres().await;
                super::$name(std::sync::Arc::new(t.store.clone())).await;
                t.drop_db().await;
            }
        }
    )*};
}

both!(
    people_and_tokens,
    import_round_trip_and_supersede,
    import_is_all_or_nothing,
    search_by_room_and_name,
    case_record_is_ordered_and_status_derived,
    cases_come_with_their_events_in_one_query,
    redelivered_input_is_recorded_once,
    stale_version_is_refused,
    lookup_in_another_home_is_refused_and_logged,
    racing_inputs_are_both_recorded,
    rota_round_trip,
    web_login_state,
    calendar_feed_tokens,
    matrix_threads,
    attachments_are_stored_with_their_event,
    telephony_lookups_and_webhook_answers,
    transcription_queue_is_durable_and_finishes_once,
    old_webhook_answers_and_expired_sessions_are_purged,
    a_stopped_instances_claims_are_released,
    notifications_are_claimed_per_channel,
);

async fn a_stopped_instances_claims_are_released(s: Arc<dyn Store>) {
    use akutlinje_core::escalation::{NewNotification, NotificationKind, NotifyChannel};
    use akutlinje_core::store::Worker;
    seed(&s).await;
    let c = new_case(&s).await;
    let now = Utc::now();
    let page = NewNotification {
        case: Some(c),
        person: id("anna"),
        kind: NotificationKind::Page,
        channel: NotifyChannel::Voice,
        fallback: vec![],
        text: "kald".into(),
        not_before: now,
    };
    assert!(s.enqueue_once("k", &[page], now).await.expect("queue"));
    let worker = |name: &str, pid: u32| Worker {
        id: name.into(),
        host: "vm1".into(),
        pid,
        started_at: now,
    };
    let (dead, alive) = (worker("vm1-100-aaaa", 100), worker("vm1-200-bbbb", 200));
    s.worker_heartbeat(&dead, now - chrono::Duration::seconds(30))
        .await
        .expect("beat");
    s.worker_heartbeat(&alive, now).await.expect("beat");
    let lease = chrono::Duration::seconds(60);
    let claimed = s
        .claim_due_notifications(now, &dead.id, lease, 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    // Held by the dead instance's lease: nobody else gets it...
    assert!(s
        .claim_due_notifications(now, &alive.id, lease, 10)
        .await
        .expect("claim")
        .is_empty());
    assert_eq!(s.workers_on("vm1").await.expect("list").len(), 2);
    // ...until its stale heartbeat releases it.
    let released = s
        .release_dead_workers(now - chrono::Duration::seconds(6), &[])
        .await
        .expect("release");
    assert_eq!(released, 1);
    let left: Vec<String> = s
        .workers_on("vm1")
        .await
        .expect("list")
        .into_iter()
        .map(|w| w.id)
        .collect();
    assert_eq!(left, vec![alive.id.clone()]);
    let again = s
        .claim_due_notifications(now, &alive.id, lease, 10)
        .await
        .expect("claim");
    assert_eq!(again.len(), 1);
    // A dead one named explicitly (its process is gone) is released at once,
    // even with a fresh heartbeat.
    s.worker_heartbeat(&dead, now).await.expect("beat");
    let released = s
        .release_dead_workers(
            now - chrono::Duration::seconds(6),
            std::slice::from_ref(&alive.id),
        )
        .await
        .expect("release");
    assert_eq!(released, 1);
    assert_eq!(
        s.claim_due_notifications(now, &dead.id, lease, 10)
            .await
            .expect("claim")
            .len(),
        1
    );
}

async fn notifications_are_claimed_per_channel(s: Arc<dyn Store>) {
    use akutlinje_core::escalation::{NewNotification, NotificationKind, NotifyChannel};
    seed(&s).await;
    let c = new_case(&s).await;
    let now = Utc::now();
    let n = |channel| NewNotification {
        case: Some(c),
        person: id("anna"),
        kind: NotificationKind::Page,
        channel,
        fallback: vec![],
        text: "kald".into(),
        not_before: now,
    };
    assert!(s
        .enqueue_once(
            "k",
            &[
                n(NotifyChannel::Matrix),
                n(NotifyChannel::Sms),
                n(NotifyChannel::Sms)
            ],
            now
        )
        .await
        .expect("queue"));
    let lease = chrono::Duration::seconds(60);
    let sms = s
        .claim_due_notifications_on(NotifyChannel::Sms, now, "w", lease, 10)
        .await
        .expect("claim");
    assert_eq!(sms.len(), 2);
    assert!(sms.iter().all(|x| x.new.channel == NotifyChannel::Sms));
    let due = s
        .next_notification_due_on(NotifyChannel::Matrix)
        .await
        .expect("due")
        .expect("one is due");
    assert!((due - now).num_milliseconds().abs() < 1, "{due} vs {now}");
    let m = s
        .claim_due_notifications_on(NotifyChannel::Matrix, now, "w", lease, 10)
        .await
        .expect("claim");
    assert_eq!(m.len(), 1);
    assert!(s
        .claim_due_notifications_on(NotifyChannel::Voice, now, "w", lease, 10)
        .await
        .expect("claim")
        .is_empty());
}

async fn old_webhook_answers_and_expired_sessions_are_purged(s: Arc<dyn Store>) {
    seed(&s).await;
    let now = Utc::now();
    let week = chrono::Duration::days(7);
    s.save_webhook_answer(
        "CA-old",
        "incoming",
        "<Response>Karen</Response>",
        now - week - chrono::Duration::minutes(1),
    )
    .await
    .expect("old answer");
    s.save_webhook_answer(
        "CA-new",
        "incoming",
        "<Response/>",
        now - chrono::Duration::days(6),
    )
    .await
    .expect("new answer");
    s.create_session(
        "expired",
        &id("anna"),
        "csrf",
        now - chrono::Duration::hours(13),
        now - chrono::Duration::hours(1),
    )
    .await
    .expect("session");
    s.create_session(
        "live",
        &id("anna"),
        "csrf",
        now,
        now + chrono::Duration::hours(12),
    )
    .await
    .expect("session");
    let purged = s.purge_expired(now, now - week).await.expect("purge");
    assert_eq!((purged.webhook_answers, purged.sessions), (1, 1));
    assert!(s
        .webhook_answer("CA-old", "incoming")
        .await
        .expect("read")
        .is_none());
    assert!(s
        .webhook_answer("CA-new", "incoming")
        .await
        .expect("read")
        .is_some());
    assert!(s.session("live", now).await.expect("read").is_some());
    let again = s.purge_expired(now, now - week).await.expect("purge");
    assert_eq!((again.webhook_answers, again.sessions), (0, 0));
}

fn id<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().expect("valid id")
}

async fn seed(s: &Arc<dyn Store>) {
    for (h, n) in [
        ("solgaarden", "Plejecenter Solgården"),
        ("birkely", "Birkely"),
    ] {
        s.upsert_home(&Home {
            id: id(h),
            name: n.into(),
        })
        .await
        .expect("home");
    }
    s.upsert_person(&Person {
        id: id("anna"),
        name: Text::parse("name", "Anna Sosu", 100).expect("name"),
        role: Role::Staff,
        home: Some(id("solgaarden")),
        phone: Some(PhoneNumber::parse("+4520000001").expect("phone")),
        matrix_user: None,
    })
    .await
    .expect("person");
}

const RESIDENTS: &str = r#"[
 {"id":"r-karen","home":"solgaarden","room":"12","name":"Karen Østergård","born":"1936-02-01","baseline_cognition":"moderate",
  "diagnoses":["KOL"],"allergies":["Penicillin"],"contact":{"name":"Ole","relation":"søn","phone":"+4511111111"},
  "decisions":[{"kind":"no_cpr","recorded_by":"Dr. Lund","recorded_on":"2025-01-10"},
               {"kind":"no_admission","recorded_by":"Dr. Lund","recorded_on":"2025-01-10"},
               {"kind":"own_wish","note":"Vil dø hjemme","recorded_by":"SSA Mette","recorded_on":"2025-01-12"}]},
 {"id":"r-poul","home":"solgaarden","room":"14","name":"Poul 100% Hansen","baseline_cognition":"normal",
  "decisions":[{"kind":"full_treatment","recorded_by":"Dr. Lund","recorded_on":"2025-01-10"}]},
 {"id":"r-birk","home":"birkely","room":"12","name":"Bente Birk","baseline_cognition":"normal"}
]"#;

async fn import(s: &Arc<dyn Store>) {
    let rs = parse_import(ImportFormat::Json, RESIDENTS).expect("valid file");
    let sum = s.import_residents(&rs, Utc::now()).await.expect("import");
    assert_eq!((sum.created, sum.updated), (3, 0));
}

async fn people_and_tokens(s: Arc<dyn Store>) {
    seed(&s).await;
    let p = s.person(&id("anna")).await.expect("read").expect("exists");
    assert_eq!(
        (p.role, p.home.as_ref().map(HomeId::as_str)),
        (Role::Staff, Some("solgaarden"))
    );
    assert_eq!(s.homes().await.expect("homes").len(), 2);
    let with_matrix = Person {
        matrix_user: Some("@anna:localhost".into()),
        ..p.clone()
    };
    s.upsert_person(&with_matrix).await.expect("matrix id");
    assert_eq!(
        s.person_by_matrix_user("@anna:localhost")
            .await
            .expect("lookup")
            .map(|x| x.id),
        Some(id("anna"))
    );
    assert!(s
        .person_by_matrix_user("@mallory:localhost")
        .await
        .expect("lookup")
        .is_none());
    s.add_token(&p.id, "hash-1", Utc::now())
        .await
        .expect("token");
    assert_eq!(
        s.person_by_token("hash-1")
            .await
            .expect("lookup")
            .map(|p| p.id),
        Some(id("anna"))
    );
    assert!(s.person_by_token("hash-2").await.expect("lookup").is_none());
    assert_eq!(s.revoke_tokens(&p.id, Utc::now()).await.expect("revoke"), 1);
    assert!(s.person_by_token("hash-1").await.expect("lookup").is_none());
    let bad = Person {
        home: Some(id("nowhere")),
        ..p
    };
    assert!(matches!(
        s.upsert_person(&bad).await,
        Err(StoreError::UnknownHome(_))
    ));
}

async fn import_round_trip_and_supersede(s: Arc<dyn Store>) {
    seed(&s).await;
    import(&s).await;
    let karen = s
        .resident(&id("r-karen"))
        .await
        .expect("read")
        .expect("exists");
    let expected = parse_import(ImportFormat::Json, RESIDENTS)
        .expect("valid")
        .remove(0);
    assert_eq!(karen, expected);
    assert!(karen.rules_out_112());
    // Re-import with a changed decision: updated, old decisions superseded, not deleted.
    let mut changed = expected.clone();
    changed
        .decisions
        .retain(|d| d.kind != DecisionKind::NoAdmission);
    let sum = s
        .import_residents(&[changed.clone()], Utc::now())
        .await
        .expect("re-import");
    assert_eq!((sum.created, sum.updated), (0, 1));
    let karen = s
        .resident(&id("r-karen"))
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(karen.decisions, changed.decisions);
    assert!(!karen.rules_out_112());
}

async fn import_is_all_or_nothing(s: Arc<dyn Store>) {
    seed(&s).await;
    let mut rs = parse_import(ImportFormat::Json, RESIDENTS).expect("valid");
    rs[2].home = id("unknown-home");
    assert!(
        matches!(s.import_residents(&rs, Utc::now()).await, Err(StoreError::UnknownHome(h)) if h.as_str() == "unknown-home")
    );
    assert!(
        s.resident(&id("r-karen")).await.expect("read").is_none(),
        "the first rows must not be stored"
    );
    // A room conflict with an existing resident also stores nothing.
    import(&s).await;
    let mut clash = rs[1].clone();
    clash.id = id("r-new");
    clash.room = Room::parse("12").expect("room");
    let fresh = {
        let mut f = rs[1].clone();
        f.id = id("r-other");
        f.room = Room::parse("99").expect("room");
        f
    };
    assert!(matches!(
        s.import_residents(&[fresh, clash], Utc::now()).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(s.resident(&id("r-other")).await.expect("read").is_none());
}

async fn search_by_room_and_name(s: Arc<dyn Store>) {
    seed(&s).await;
    import(&s).await;
    let in_12 = s
        .residents_in_room(&Room::parse("12").expect("room"))
        .await
        .expect("room");
    assert_eq!(in_12.len(), 2, "room 12 exists in both homes");
    let named = s.residents_named("østergård").await.expect("name");
    assert_eq!(
        named.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        vec!["r-karen"]
    );
    // LIKE wildcards in the needle are literal.
    assert_eq!(s.residents_named("100%").await.expect("name").len(), 1);
    assert!(s.residents_named("_").await.expect("name").is_empty());
    assert!(s.residents_named("1%h").await.expect("name").is_empty());
    assert_eq!(
        s.residents_of_home(&id("solgaarden"))
            .await
            .expect("home")
            .len(),
        2
    );
}

fn ev(kind: EventKind, ext: Option<&str>) -> NewEvent {
    NewEvent {
        at: Utc
            .with_ymd_and_hms(2026, 11, 23, 2, 0, 0)
            .single()
            .expect("time"),
        author: Author {
            person: Some(id::<PersonId>("anna")),
            role: Some(Role::Staff),
        },
        channel: Channel::Console,
        kind,
        corrects: None,
        external_id: ext.map(String::from),
    }
}

async fn new_case(s: &Arc<dyn Store>) -> CaseId {
    let c = CaseId::from_uuid(uuid::Uuid::new_v4());
    s.create_case(
        &NewCase {
            id: c,
            home: id("solgaarden"),
            opened_at: Utc::now(),
            opened_by: Some(id("anna")),
            channel: Channel::Console,
        },
        &[ev(
            EventKind::CaseOpened {
                home: id("solgaarden"),
            },
            None,
        )],
        &serde_json::json!({"step": "resident"}),
    )
    .await
    .expect("create");
    c
}

async fn case_record_is_ordered_and_status_derived(s: Arc<dyn Store>) {
    seed(&s).await;
    import(&s).await;
    let c = new_case(&s).await;
    let seqs = s
        .commit_step(
            c,
            0,
            &[
                ev(
                    EventKind::ResidentIdentified {
                        resident: id("r-karen"),
                    },
                    Some("m1"),
                ),
                ev(
                    EventKind::PageRequested {
                        urgency: Urgency::Red,
                    },
                    None,
                ),
            ],
            &serde_json::json!({"step": "vitals"}),
        )
        .await
        .expect("commit");
    assert_eq!(seqs.len(), 2);
    let first = seqs[0];
    let note = ev(
        EventKind::Correction {
            text: Text::parse("t", "Værelse var 14, ikke 12", 100).expect("t"),
        },
        None,
    );
    let note = NewEvent {
        corrects: Some(first),
        ..note
    };
    s.append_event(c, &note).await.expect("correction");
    let events = s.events(c).await.expect("events");
    assert_eq!(events.len(), 4);
    assert!(events.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(events[0].event.kind.tag(), "case_opened");
    assert_eq!(events[3].event.corrects, Some(first));
    assert_eq!(events[1].event.external_id.as_deref(), Some("m1"));
    let summary = s.case(c).await.expect("case").expect("exists");
    assert_eq!(summary.status, CaseStatus::Paged);
    assert_eq!(
        summary.status,
        CaseStatus::derive(events.iter().map(|e| &e.event.kind))
    );
    assert_eq!(summary.urgency, Some(Urgency::Red));
    assert_eq!(
        summary.resident.as_ref().map(ResidentId::as_str),
        Some("r-karen")
    );
    assert_eq!(
        s.cases(Some(&id("solgaarden")), 10)
            .await
            .expect("list")
            .len(),
        1
    );
    assert!(s
        .cases(Some(&id("birkely")), 10)
        .await
        .expect("list")
        .is_empty());
    let (state, version) = s.case_state(c).await.expect("state").expect("exists");
    assert_eq!((state["step"].as_str(), version), (Some("vitals"), 1));
}

async fn cases_come_with_their_events_in_one_query(s: Arc<dyn Store>) {
    seed(&s).await;
    let (a, b) = (new_case(&s).await, new_case(&s).await);
    s.commit_step(
        b,
        0,
        &[ev(
            EventKind::PageRequested {
                urgency: Urgency::High,
            },
            None,
        )],
        &serde_json::json!({"step": "paged"}),
    )
    .await
    .expect("commit");
    let since = Utc::now() - chrono::Duration::hours(1);
    let all = s
        .cases_with_events(Some(&id("solgaarden")), since)
        .await
        .expect("cases");
    let of = |c: CaseId| {
        all.iter()
            .find(|(x, _)| x.id == c)
            .map(|(_, e)| e.iter().map(|e| e.event.kind.tag()).collect::<Vec<_>>())
    };
    assert_eq!(all.len(), 2);
    assert_eq!(of(a), Some(vec!["case_opened"]));
    assert_eq!(of(b), Some(vec!["case_opened", "page_requested"]));
    assert!(all.iter().all(|(c, e)| e.iter().all(|e| e.case == c.id)));
    assert!(s
        .cases_with_events(Some(&id("birkely")), since)
        .await
        .expect("other home")
        .is_empty());
    let later = Utc::now() + chrono::Duration::minutes(1);
    assert!(s
        .cases_with_events(None, later)
        .await
        .expect("none yet")
        .is_empty());
}

async fn redelivered_input_is_recorded_once(s: Arc<dyn Store>) {
    seed(&s).await;
    let c = new_case(&s).await;
    let step = [ev(EventKind::ResidentNotFound, Some("$event-1"))];
    s.commit_step(c, 0, &step, &serde_json::json!({"n": 1}))
        .await
        .expect("first");
    let again = s
        .commit_step(c, 1, &step, &serde_json::json!({"n": 2}))
        .await;
    assert!(matches!(again, Err(StoreError::Duplicate)), "{again:?}");
    let (state, version) = s.case_state(c).await.expect("state").expect("exists");
    assert_eq!(
        (state["n"].as_i64(), version),
        (Some(1), 1),
        "a duplicate stores nothing, not even state"
    );
    assert_eq!(s.events(c).await.expect("events").len(), 2);
}

async fn stale_version_is_refused(s: Arc<dyn Store>) {
    seed(&s).await;
    let c = new_case(&s).await;
    s.commit_step(
        c,
        0,
        &[ev(EventKind::ResidentNotFound, None)],
        &serde_json::json!({}),
    )
    .await
    .expect("first");
    let stale = s
        .commit_step(
            c,
            0,
            &[ev(EventKind::ResidentNotFound, None)],
            &serde_json::json!({}),
        )
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))));
    assert_eq!(s.events(c).await.expect("events").len(), 2);
}

fn hotline(s: &Arc<dyn Store>) -> Hotline {
    let loc = Arc::new(Localizer::builtin().expect("texts"));
    let def = Arc::new(Checklist::builtin_acute(&loc).expect("checklist"));
    Hotline::new(s.clone(), def, loc)
}

async fn racing_inputs_are_both_recorded(s: Arc<dyn Store>) {
    seed(&s).await;
    import(&s).await;
    let h = hotline(&s);
    let anna = s.person(&id("anna")).await.expect("read").expect("exists");
    let home = s
        .home(&id("solgaarden"))
        .await
        .expect("read")
        .expect("exists");
    let c = CaseId::from_uuid(uuid::Uuid::new_v4());
    h.open_case(c, &anna, &home, Channel::Console, Lang::Da, Utc::now())
        .await
        .expect("open");
    // Two messages for one case at the same moment (two devices, a redelivery
    // racing a new message): both are stored, neither overwrites the other.
    let (a, b) = tokio::join!(
        h.input(
            c,
            &anna,
            Channel::Matrix,
            "14",
            Some("$a".into()),
            Utc::now()
        ),
        h.input(
            c,
            &anna,
            Channel::Matrix,
            "nej",
            Some("$b".into()),
            Utc::now()
        ),
    );
    a.expect("first input");
    b.expect("second input");
    let events = s.events(c).await.expect("events");
    let inputs = events
        .iter()
        .filter(|e| e.event.kind.tag() == "input_received")
        .count();
    assert_eq!(inputs, 2);
    let (_, version) = s.case_state(c).await.expect("state").expect("exists");
    assert_eq!(version, 2);
    // A redelivery of either is recorded once.
    let again = h
        .input(
            c,
            &anna,
            Channel::Matrix,
            "14",
            Some("$a".into()),
            Utc::now(),
        )
        .await
        .expect("redelivery");
    assert!(again.duplicate);
    assert_eq!(s.events(c).await.expect("events").len(), events.len());
}

#[tokio::test]
async fn a_briefly_locked_sqlite_database_delays_but_loses_nothing() {
    use sqlx::Connection;
    let t = testing::sqlite().await;
    let s: Arc<dyn Store> = Arc::new(t.store.clone());
    seed(&s).await;
    import(&s).await;
    let h = hotline(&s);
    let anna = s.person(&id("anna")).await.expect("read").expect("exists");
    let home = s
        .home(&id("solgaarden"))
        .await
        .expect("read")
        .expect("exists");
    let c = CaseId::from_uuid(uuid::Uuid::new_v4());
    h.open_case(c, &anna, &home, Channel::Console, Lang::Da, Utc::now())
        .await
        .expect("open");
    // Another process holds the write lock for a second.
    let mut other = sqlx::SqliteConnection::connect(&t.url)
        .await
        .expect("second connection");
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .expect("lock");
    let holder = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
        sqlx::query("COMMIT")
            .execute(&mut other)
            .await
            .expect("unlock");
    });
    let started = std::time::Instant::now();
    let turn = h
        .input(c, &anna, Channel::Console, "14", None, Utc::now())
        .await
        .expect("waits, then stores");
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(900),
        "it really waited for the lock"
    );
    assert!(turn.state.resident.is_some());
    holder.await.expect("holder");
    assert!(s
        .events(c)
        .await
        .expect("events")
        .iter()
        .any(|e| e.event.kind.tag() == "resident_identified"));
}

async fn lookup_in_another_home_is_refused_and_logged(s: Arc<dyn Store>) {
    seed(&s).await;
    import(&s).await;
    let hotline = hotline(&s);
    let anna = s.person(&id("anna")).await.expect("read").expect("exists");
    let home = s
        .home(&id("solgaarden"))
        .await
        .expect("read")
        .expect("exists");
    let c = CaseId::from_uuid(uuid::Uuid::new_v4());
    hotline
        .open_case(c, &anna, &home, Channel::Console, Lang::Da, Utc::now())
        .await
        .expect("open");
    // Bente lives at Birkely; Anna works at Solgården.
    let turn = hotline
        .input(c, &anna, Channel::Console, "Bente Birk", None, Utc::now())
        .await
        .expect("input");
    let state: CaseState = turn.state;
    assert!(state.resident.is_none());
    assert_eq!(state.step, "resident");
    let log = s.access_log(Some(&id("r-birk")), 10).await.expect("log");
    assert_eq!(log.len(), 1);
    assert_eq!(
        (
            log[0].action,
            log[0].case,
            log[0].person.as_ref().map(PersonId::as_str)
        ),
        (AccessAction::Denied, Some(c), Some("anna"))
    );
    // Her own resident is found, and the read is logged.
    hotline
        .input(c, &anna, Channel::Console, "12", None, Utc::now())
        .await
        .expect("input");
    let log = s.access_log(Some(&id("r-karen")), 10).await.expect("log");
    assert_eq!(log.first().map(|e| e.action), Some(AccessAction::Read));
    // Room 12 also exists at Birkely: that match was refused and logged too.
    assert_eq!(
        s.access_log(Some(&id("r-birk")), 10)
            .await
            .expect("log")
            .len(),
        2
    );
    let events = s.events(c).await.expect("events");
    assert!(events
        .iter()
        .any(|e| matches!(e.event.kind, EventKind::ResidentNotFound)));
    assert!(events.iter().any(|e| matches!(&e.event.kind, EventKind::ResidentIdentified { resident } if resident.as_str() == "r-karen")));
}

#[tokio::test]
async fn the_record_is_append_only_on_sqlite() {
    let t = testing::sqlite().await;
    let s: Arc<dyn Store> = Arc::new(t.store.clone());
    seed(&s).await;
    let _ = new_case(&s).await;
    let upd = sqlx::query("UPDATE case_events SET kind = 'x'")
        .execute(t.store.pool())
        .await;
    assert!(upd.is_err());
    let del = sqlx::query("DELETE FROM case_events")
        .execute(t.store.pool())
        .await;
    assert!(del
        .expect_err("must fail")
        .to_string()
        .contains("append-only"));
}

#[tokio::test]
async fn the_record_is_append_only_on_postgres() {
    let t = testing::postgres().await;
    let s: Arc<dyn Store> = Arc::new(t.store.clone());
    seed(&s).await;
    let _ = new_case(&s).await;
    let upd = sqlx::query("UPDATE case_events SET kind = 'x'")
        .execute(t.store.pool())
        .await;
    assert!(upd
        .expect_err("must fail")
        .to_string()
        .contains("append-only"));
    let del = sqlx::query("DELETE FROM case_events")
        .execute(t.store.pool())
        .await;
    assert!(del
        .expect_err("must fail")
        .to_string()
        .contains("append-only"));
    t.drop_db().await;
}

/// What the database must refuse on the append-only tables, per backend.
async fn decisions_refusals(exec: impl Fn(&'static str) -> futures_like::BoxFut) {
    // Changing what a decision says, deleting it, un-superseding it: refused.
    for sql in [
        "UPDATE resident_decisions SET kind = 'full_treatment'",
        "UPDATE resident_decisions SET note = 'rettet'",
        "UPDATE resident_decisions SET recorded_by = 'someone else'",
        "DELETE FROM resident_decisions",
    ] {
        let err = exec(sql).await.expect_err(sql);
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    // Superseding once is what an import does; a second time is refused.
    exec("UPDATE resident_decisions SET superseded_at = '2026-11-25T00:00:00Z' WHERE superseded_at IS NULL")
        .await
        .expect("supersede once");
    let err = exec("UPDATE resident_decisions SET superseded_at = '2026-11-26T00:00:00Z'")
        .await
        .expect_err("twice");
    assert!(err.contains("append-only"), "{err}");
}

mod futures_like {
    pub type BoxFut =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<u64, String>> + Send>>;
}

#[tokio::test]
async fn treatment_decisions_are_append_only_on_sqlite() {
    let t = testing::sqlite().await;
    let s: Arc<dyn Store> = Arc::new(t.store.clone());
    seed(&s).await;
    import(&s).await;
    let pool = t.store.pool().clone();
    decisions_refusals(move |sql| {
        let pool = pool.clone();
        Box::pin(async move {
            sqlx::query(sql)
                .execute(&pool)
                .await
                .map(|r| r.rows_affected())
                .map_err(|e| e.to_string())
        })
    })
    .await;
    // An import still supersedes and adds (only superseded_at is set).
    reimport(&s).await;
}

/// Imports the residents again; their decisions were all superseded, so
/// new current ones are added.
async fn reimport(s: &Arc<dyn Store>) {
    let rs = parse_import(ImportFormat::Json, RESIDENTS).expect("valid");
    s.import_residents(&rs, Utc::now())
        .await
        .expect("re-import");
    let karen = s
        .resident(&id("r-karen"))
        .await
        .expect("read")
        .expect("karen");
    assert!(karen.rules_out_112(), "current decisions again");
}

#[tokio::test]
async fn the_record_cannot_be_truncated_and_decisions_are_append_only_on_postgres() {
    let t = testing::postgres().await;
    let s: Arc<dyn Store> = Arc::new(t.store.clone());
    seed(&s).await;
    import(&s).await;
    let _ = new_case(&s).await;
    let pool = t.store.pool().clone();
    let exec = move |sql: &'static str| -> futures_like::BoxFut {
        let pool = pool.clone();
        Box::pin(async move {
            sqlx::query(sql)
                .execute(&pool)
                .await
                .map(|r| r.rows_affected())
                .map_err(|e| e.to_string())
        })
    };
    for table in [
        "TRUNCATE case_events",
        "TRUNCATE access_log",
        "TRUNCATE attachments CASCADE",
        "TRUNCATE resident_decisions CASCADE",
        "TRUNCATE cases CASCADE",
    ] {
        let err = exec(table).await.expect_err(table);
        assert!(err.contains("append-only"), "{table}: {err}");
    }
    assert!(!s
        .events(s.cases(None, 1).await.expect("cases")[0].id)
        .await
        .expect("events")
        .is_empty());
    decisions_refusals(exec).await;
    reimport(&s).await;
    t.drop_db().await;
}

async fn rota_round_trip(s: Arc<dyn Store>) {
    use akutlinje_core::rota::{OverrideSpec, RotationSpec, Service, SwapSpec};
    seed(&s).await;
    for who in ["dr-a", "dr-b"] {
        s.upsert_person(&Person {
            id: id(who),
            name: Text::parse("n", who, 50).expect("name"),
            role: Role::Physician,
            home: None,
            phone: None,
            matrix_user: None,
        })
        .await
        .expect("person");
    }
    let svc = Service {
        id: id("akut"),
        name: "Akutlæge".into(),
        tiers: vec![id("primary"), id("backup")],
    };
    s.upsert_service(&svc).await.expect("service");
    assert_eq!(
        s.service(&id("akut")).await.expect("read"),
        Some(svc.clone())
    );
    let rot = RotationSpec {
        id: id("nights"),
        service: id("akut"),
        tier: id("primary"),
        layer: 0,
        members: vec![id("dr-a"), id("dr-b")],
        shift_start: "0 0 22 * * *".into(),
        shift_minutes: 600,
        anchor: Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .expect("time"),
        until: None,
    };
    s.upsert_rotation(&rot).await.expect("rotation");
    let unknown = RotationSpec {
        id: id("bad"),
        members: vec![id("nobody")],
        ..rot.clone()
    };
    assert!(
        matches!(s.upsert_rotation(&unknown).await, Err(StoreError::Conflict(m)) if m.contains("nobody"))
    );
    let no_service = RotationSpec {
        id: id("bad2"),
        service: id("nope"),
        ..rot.clone()
    };
    assert!(
        matches!(s.upsert_rotation(&no_service).await, Err(StoreError::Conflict(m)) if m.contains("nope"))
    );
    let from = Utc
        .with_ymd_and_hms(2026, 11, 10, 10, 0, 0)
        .single()
        .expect("time");
    let o = OverrideSpec {
        id: 0,
        service: id("akut"),
        tier: id("primary"),
        person: id("dr-b"),
        replaces: Some(id("dr-a")),
        from,
        to: from + chrono::Duration::hours(2),
    };
    let oid = s.add_override(&o).await.expect("override");
    let w = SwapSpec {
        id: 0,
        rotation: id("nights"),
        a: id("dr-a"),
        a_shift: from,
        b: id("dr-b"),
        b_shift: from + chrono::Duration::days(1),
    };
    let wid = s.add_swap(&w).await.expect("swap");
    let rota = s.rota(&id("akut")).await.expect("rota");
    assert_eq!(rota.rotations, vec![rot.clone()]);
    assert_eq!(rota.overrides, vec![OverrideSpec { id: oid, ..o }]);
    assert_eq!(rota.swaps, vec![SwapSpec { id: wid, ..w }]);
    assert!(s.delete_override(oid).await.expect("delete"));
    assert!(!s.delete_override(oid).await.expect("delete again"));
    assert!(s.delete_rotation(&id("nights")).await.expect("delete"));
    let rota = s.rota(&id("akut")).await.expect("rota");
    assert!(rota.rotations.is_empty() && rota.overrides.is_empty() && rota.swaps.is_empty());
}

async fn web_login_state(s: Arc<dyn Store>) {
    seed(&s).await;
    let anna: PersonId = id("anna");
    let now = Utc
        .with_ymd_and_hms(2026, 11, 23, 2, 0, 0)
        .single()
        .expect("time");
    assert!(s.password_hash(&anna).await.expect("read").is_none());
    s.set_password_hash(&anna, "$argon2id$x", now)
        .await
        .expect("set");
    assert_eq!(
        s.password_hash(&anna).await.expect("read").as_deref(),
        Some("$argon2id$x")
    );
    // Throttling: free attempts, then growing waits; a held-back attempt
    // is not counted; a good log-in resets the source's keys and makes the
    // source a usual one.
    use akutlinje_core::person::ThrottleRule;
    use akutlinje_core::store::LoginGate;
    let rule = ThrottleRule {
        free: 2,
        max_delay_secs: 60,
        window_secs: 3600,
    };
    let keys = vec![("acct:anna|src:192.0.2.1".to_string(), rule)];
    let at = |secs: i64| now + chrono::Duration::seconds(secs);
    assert_eq!(
        s.login_attempt(&keys, at(0)).await.expect("1"),
        LoginGate::Go
    );
    assert_eq!(
        s.login_attempt(&keys, at(0)).await.expect("2"),
        LoginGate::Go
    );
    // The third failure sets a wait of 1 s; meanwhile attempts are refused.
    assert_eq!(
        s.login_attempt(&keys, at(0)).await.expect("3"),
        LoginGate::Go
    );
    assert_eq!(
        s.login_attempt(&keys, at(0)).await.expect("held"),
        LoginGate::Wait {
            until: at(1),
            key: keys[0].0.clone()
        }
    );
    assert_eq!(
        s.login_attempt(&keys, at(1)).await.expect("4"),
        LoginGate::Go
    );
    assert_eq!(
        s.login_attempt(&keys, at(1)).await.expect("held"),
        LoginGate::Wait {
            until: at(3),
            key: keys[0].0.clone()
        },
        "the wait doubles, and held-back attempts did not count"
    );
    // After the window the count starts again.
    assert_eq!(
        s.login_attempt(&keys, at(4000)).await.expect("new window"),
        LoginGate::Go
    );
    assert_eq!(
        s.login_attempt(&keys, at(4000)).await.expect("2nd"),
        LoginGate::Go
    );
    assert!(!s
        .known_login_source(&anna, "192.0.2.1", now - chrono::Duration::days(90))
        .await
        .expect("read"));
    s.login_succeeded(&anna, "192.0.2.1", &[keys[0].0.clone()], at(4001))
        .await
        .expect("clear");
    assert!(s
        .known_login_source(&anna, "192.0.2.1", now - chrono::Duration::days(90))
        .await
        .expect("read"));
    for _ in 0..3 {
        assert_eq!(
            s.login_attempt(&keys, at(4002)).await.expect("reset"),
            LoginGate::Go
        );
    }
    // A changed password ends every session of the person.
    s.create_session("h0", &anna, "csrf-0", now, now + chrono::Duration::hours(8))
        .await
        .expect("session");
    s.set_password_hash(&anna, "$argon2id$y", now)
        .await
        .expect("change");
    assert!(
        s.session("h0", now).await.expect("read").is_none(),
        "revoked"
    );
    s.create_session("h1", &anna, "csrf-1", now, now + chrono::Duration::hours(8))
        .await
        .expect("session");
    let (p, csrf) = s.session("h1", now).await.expect("read").expect("live");
    assert_eq!((p.id.as_str(), csrf.as_str()), ("anna", "csrf-1"));
    assert!(
        s.session("h1", now + chrono::Duration::hours(9))
            .await
            .expect("read")
            .is_none(),
        "expired"
    );
    s.delete_session("h1").await.expect("delete");
    assert!(s.session("h1", now).await.expect("read").is_none());
}

async fn calendar_feed_tokens(s: Arc<dyn Store>) {
    use akutlinje_core::store::CalendarFeed;
    seed(&s).await;
    let feed = CalendarFeed::Person(id("anna"));
    s.add_calendar_feed("h-1", &feed, Utc::now())
        .await
        .expect("add");
    assert_eq!(
        s.calendar_feed("h-1").await.expect("read"),
        Some(feed.clone())
    );
    assert_eq!(s.calendar_feed("h-2").await.expect("read"), None);
    assert_eq!(
        s.revoke_calendar_feeds(&feed, Utc::now())
            .await
            .expect("revoke"),
        1
    );
    assert_eq!(s.calendar_feed("h-1").await.expect("read"), None);
}

async fn matrix_threads(s: Arc<dyn Store>) {
    seed(&s).await;
    let c = new_case(&s).await;
    s.link_matrix_thread("!room:localhost", "$root", c, Utc::now())
        .await
        .expect("link");
    s.link_matrix_thread("!room:localhost", "$root", c, Utc::now())
        .await
        .expect("linking twice is harmless");
    assert_eq!(
        s.case_of_matrix_thread("!room:localhost", "$root")
            .await
            .expect("read"),
        Some(c)
    );
    assert_eq!(
        s.case_of_matrix_thread("!room:localhost", "$other")
            .await
            .expect("read"),
        None
    );
    // The current question: taken once, then gone.
    s.set_matrix_prompt("!room:localhost", "$root", Some("$q1"))
        .await
        .expect("set");
    assert_eq!(
        s.take_matrix_prompt("!room:localhost", "$q0")
            .await
            .expect("read"),
        None,
        "not the current question"
    );
    assert_eq!(
        s.take_matrix_prompt("!room:localhost", "$q1")
            .await
            .expect("take"),
        Some((c, "$root".to_string()))
    );
    assert_eq!(
        s.take_matrix_prompt("!room:localhost", "$q1")
            .await
            .expect("take again"),
        None,
        "a second tap on the same question is not an answer"
    );
}

async fn attachments_are_stored_with_their_event(s: Arc<dyn Store>) {
    use akutlinje_core::store::NewAttachment;
    seed(&s).await;
    let c = new_case(&s).await;
    let data: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    let a = NewAttachment {
        mime: "audio/ogg".into(),
        data: data.clone(),
        external_id: Some("$voice".into()),
    };
    let kind = EventKind::AudioAttached {
        attachment: 0,
        mime: "audio/ogg".into(),
        bytes: data.len() as u64,
        duration_ms: Some(4200),
    };
    let (id, seq) = s
        .attach(c, &a, &ev(kind.clone(), Some("$voice")))
        .await
        .expect("attach");
    let stored = s.attachment(id).await.expect("read").expect("stored");
    assert_eq!(stored.data, data);
    assert_eq!((stored.case, stored.mime.as_str()), (c, "audio/ogg"));
    let events = s.events(c).await.expect("events");
    let e = events.iter().find(|e| e.seq == seq).expect("event");
    assert!(
        matches!(e.event.kind, EventKind::AudioAttached { attachment, .. } if attachment == id),
        "the event points at the stored audio: {:?}",
        e.event.kind
    );
    // A redelivery stores nothing: no second event, no second attachment.
    let again = s.attach(c, &a, &ev(kind, Some("$voice"))).await;
    assert!(matches!(again, Err(StoreError::Duplicate)), "{again:?}");
    assert_eq!(s.events(c).await.expect("events").len(), events.len());
    assert!(s.attachment(id + 1).await.expect("read").is_none());
}

async fn telephony_lookups_and_webhook_answers(s: Arc<dyn Store>) {
    use akutlinje_core::store::{CallLeg, CallRole};
    seed(&s).await;
    // However a number is written, it is one number: stored in E.164 and
    // found by any spelling of it.
    let phone = |n: &str| PhoneNumber::parse(n).expect("a phone number");
    let anna = s
        .person_by_phone(&phone("(+45) 2000 0001"))
        .await
        .expect("by phone");
    assert_eq!(
        anna.map(|p| p.id.as_str().to_string()).as_deref(),
        Some("anna")
    );
    let mut bo = s.person(&id("anna")).await.expect("anna").expect("exists");
    bo.id = id("bo");
    bo.phone = Some(phone("+45 30 00-00 02"));
    s.upsert_person(&bo).await.expect("bo");
    let found = s
        .person_by_phone(&phone("+4530000002"))
        .await
        .expect("by phone")
        .expect("bo");
    assert_eq!(found.id.as_str(), "bo");
    assert_eq!(
        found.phone.as_ref().map(PhoneNumber::e164),
        Some("+4530000002")
    );
    assert!(s
        .person_by_phone(&phone("+4599999999"))
        .await
        .expect("unknown")
        .is_none());

    // The first answer to a webhook is kept; a racing second gets it back.
    assert!(s
        .webhook_answer("CA1", "gather:3")
        .await
        .expect("read")
        .is_none());
    let first = s
        .save_webhook_answer("CA1", "gather:3", "<Response/>", Utc::now())
        .await
        .expect("save");
    assert_eq!(first, "<Response/>");
    let second = s
        .save_webhook_answer(
            "CA1",
            "gather:3",
            "<Response><Hangup/></Response>",
            Utc::now(),
        )
        .await
        .expect("save again");
    assert_eq!(second, "<Response/>");
    assert!(s
        .webhook_answer("CA1", "gather:4")
        .await
        .expect("read")
        .is_none());

    let c = new_case(&s).await;
    let leg = CallLeg {
        sid: "CA1".into(),
        role: CallRole::Caller,
        case: None,
        person: Some(id("anna")),
        notification: None,
        status: "ringing".into(),
        at: Utc::now(),
    };
    s.upsert_call(&leg).await.expect("call");
    s.upsert_call(&CallLeg {
        case: Some(c),
        person: None,
        status: "in-progress".into(),
        ..leg.clone()
    })
    .await
    .expect("update");
    let stored = s.call("CA1").await.expect("read").expect("stored");
    assert_eq!(stored.case, Some(c));
    assert_eq!(
        stored.person.map(|p| p.as_str().to_string()).as_deref(),
        Some("anna"),
        "kept"
    );
    assert_eq!(stored.status, "in-progress");
    assert_eq!(stored.role, CallRole::Caller);
    s.upsert_call(&CallLeg {
        sid: "CA2".into(),
        role: CallRole::Physician,
        case: Some(c),
        person: Some(id("anna")),
        notification: Some(7),
        status: "queued".into(),
        at: Utc::now(),
    })
    .await
    .expect("second leg");
    let legs = s.calls_of_case(c).await.expect("legs");
    assert_eq!(legs.len(), 2);
    assert_eq!(legs[1].notification, Some(7));
    assert!(s.call("CA3").await.expect("read").is_none());
}

async fn transcription_queue_is_durable_and_finishes_once(s: Arc<dyn Store>) {
    use akutlinje_core::store::NewAttachment;
    seed(&s).await;
    let c = new_case(&s).await;
    let at = Utc
        .with_ymd_and_hms(2026, 11, 23, 2, 0, 0)
        .single()
        .expect("time");
    let lease = chrono::Duration::seconds(60);
    let mut ids = Vec::new();
    for n in 0..2 {
        let a = NewAttachment {
            mime: "audio/ogg".into(),
            data: vec![n; 10],
            external_id: Some(format!("$note{n}")),
        };
        let kind = EventKind::AudioAttached {
            attachment: 0,
            mime: "audio/ogg".into(),
            bytes: 10,
            duration_ms: None,
        };
        let (id, _) = s.attach(c, &a, &ev(kind, None)).await.expect("attach");
        ids.push(id);
    }
    // Storing a note queued it, in the same transaction.
    assert_eq!(s.transcriptions_pending().await.expect("count"), 2);
    let first = s
        .claim_transcriptions(at, "w1", lease, 1)
        .await
        .expect("claim");
    assert_eq!(first.len(), 1);
    assert_eq!(
        (first[0].attachment, first[0].case, first[0].attempts),
        (ids[0], c, 1)
    );
    // Claimed notes are not handed out twice while the lease holds.
    let second = s
        .claim_transcriptions(at, "w2", lease, 5)
        .await
        .expect("claim");
    assert_eq!(
        second.iter().map(|j| j.attachment).collect::<Vec<_>>(),
        vec![ids[1]]
    );
    assert!(s
        .claim_transcriptions(at, "w3", lease, 5)
        .await
        .expect("claim")
        .is_empty());
    // w1 dies; after its lease w3 takes the note again, as a second attempt.
    let later = at + chrono::Duration::seconds(61);
    let retaken = s
        .claim_transcriptions(later, "w3", lease, 1)
        .await
        .expect("claim");
    assert_eq!(
        retaken
            .iter()
            .map(|j| (j.attachment, j.attempts))
            .collect::<Vec<_>>(),
        vec![(ids[0], 2)]
    );
    let done = |text: &str| {
        ev(
            EventKind::Transcribed {
                attachment: ids[0],
                text: Text::parse("t", text, 100).expect("text"),
                language: "da".into(),
                model: "ggml-base.bin".into(),
                audio_ms: 1000,
                processing_ms: 500,
            },
            None,
        )
    };
    // The dead worker's late result is refused; the holder's is recorded once.
    assert_eq!(
        s.finish_transcription(ids[0], "w1", &done("stale"), &[])
            .await
            .expect("finish"),
        None
    );
    assert!(!s
        .extend_transcription(ids[0], "w1", later + lease)
        .await
        .expect("extend"));
    assert!(s
        .extend_transcription(ids[0], "w3", later + lease)
        .await
        .expect("extend"));
    let seq = s
        .finish_transcription(ids[0], "w3", &done("hun har feber"), &[])
        .await
        .expect("finish");
    assert!(seq.is_some());
    assert_eq!(
        s.finish_transcription(ids[0], "w3", &done("again"), &[])
            .await
            .expect("finish"),
        None
    );
    let transcripts: Vec<_> = s
        .events(c)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| matches!(e.event.kind, EventKind::Transcribed { .. }))
        .collect();
    assert_eq!(transcripts.len(), 1);
    assert!(
        matches!(&transcripts[0].event.kind, EventKind::Transcribed { text, .. } if text.as_str() == "hun har feber")
    );
    // A released note comes back when it is due, not before.
    assert!(s
        .release_transcription(ids[1], "w2", later + chrono::Duration::seconds(30))
        .await
        .expect("release"));
    assert!(s
        .claim_transcriptions(later, "w4", lease, 5)
        .await
        .expect("claim")
        .is_empty());
    let back = s
        .claim_transcriptions(later + chrono::Duration::seconds(31), "w4", lease, 5)
        .await
        .expect("claim");
    assert_eq!(
        back.iter()
            .map(|j| (j.attachment, j.attempts))
            .collect::<Vec<_>>(),
        vec![(ids[1], 2)]
    );
    assert_eq!(s.transcriptions_pending().await.expect("count"), 1);
}
