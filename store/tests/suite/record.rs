//! The case record: order, status, redeliveries, versions, races, locks, the access log, and what cannot be changed.

use super::*;

both!(
    case_record_is_ordered_and_status_derived,
    cases_come_with_their_events_in_one_query,
    redelivered_input_is_recorded_once,
    stale_version_is_refused,
    lookup_in_another_home_is_refused_and_logged,
    racing_inputs_are_both_recorded,
);

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
