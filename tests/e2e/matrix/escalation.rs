//! Escalation over Matrix: the backup after a silent primary, a bot restarted mid-case, a homeserver that was down.

use super::*;

/// A red flag: the 112 advice comes first and cannot be missed; the primary
/// does not answer, the backup is paged, acknowledges and advises.
#[tokio::test]
async fn a_red_flag_case_pages_the_backup_when_the_primary_is_silent() {
    use akutlinje_core::escalation::EscalationState;
    use akutlinje_core::record::EventKind;
    let s = Synapse::start().await;
    let bot_id = s.register("akutbot", "password-123").await;
    s.register("anna", "password-123").await;
    s.register("lund", "password-123").await;
    s.register("berg", "password-123").await;
    let db = crate::common::Db::sqlite().await;
    map_people(
        &db,
        &[
            ("anna", "@anna:localhost"),
            ("dr-lund", "@lund:localhost"),
            ("dr-berg", "@berg:localhost"),
        ],
    )
    .await;
    let h = db.hotline();
    let store = tempfile::tempdir().expect("dir");
    let running = start_bot_in(&s, h.clone(), &db, store.path()).await;
    let bot = running.client.clone();
    let dirs = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let anna = logged_in(&s, "anna", dirs.0.path()).await;
    let staff = Inbox::of(&anna);
    // Both physicians' phones are signed in before any page is sent (a
    // device that does not exist yet cannot receive the room key).
    let lund = logged_in(&s, "lund", dirs.1.path()).await;
    let lund_seen = Inbox::of(&lund);
    let berg = logged_in(&s, "berg", dirs.2.path()).await;
    let berg_seen = Inbox::of(&berg);
    let room = room_with_bot(&db, &anna, &bot, &bot_id).await;
    let root = open_case(&room, &anna, &staff).await;
    in_thread(&room, &root, "14").await;
    staff.wait_for(&anna, "faresignaler").await;
    let before = staff.all().len();
    in_thread(&room, &root, "3").await;
    staff.wait_for(&anna, "RING 112 NU").await;
    // The first thing after the answer is the 112 advice, as a red heading.
    let after = staff.all();
    // Skip Anna's own "3" as it comes back from the homeserver.
    let first = after[before..]
        .iter()
        .find(|r| r.body != "3")
        .expect("a reply");
    assert!(first.body.starts_with("🚨 RING 112 NU 🚨"), "{after:?}");
    let html = first.html.clone().expect("HTML");
    assert!(
        html.starts_with("<h1><font color=\"#d00000\" data-mx-color=\"#d00000\">🚨 RING 112 NU 🚨</font></h1><p><strong>"),
        "{html}"
    );
    assert!(html.contains("Faresignal:"), "{html}");
    let case = db.store.cases(None, 1).await.expect("cases")[0].id;

    // The page goes out at once (red: primary first, 2 minutes to answer).
    let esc = escalator(&db, &h, &policies_naming("dr-lund", "dr-berg"));
    let ob = outbox(&db, &h, &bot);
    let t0 = chrono::Utc::now();
    assert_eq!(esc.tick(t0).await.expect("tick"), 1);
    ob.tick(t0).await.expect("outbox");
    accept_invite(&lund).await;
    lund_seen.wait_for(&lund, "hastegrad RØD").await;
    // Dr. Lund does not answer. After the step's 2 minutes the backup is paged.
    let t1 = t0 + chrono::Duration::seconds(121);
    assert_eq!(esc.tick(t1).await.expect("tick"), 1);
    ob.tick(t1).await.expect("outbox");
    let dm = accept_invite(&berg).await;
    let page = berg_seen.wait_for(&berg, "hastegrad RØD").await;
    assert!(
        page.body.contains("Personalet er rådet til at ringe 112."),
        "{page:?}"
    );
    sync(&berg).await;
    dm.send(RoomMessageEventContent::text_plain("ok"))
        .await
        .expect("ack");
    berg_seen.wait_for(&berg, "Kvitteret.").await;
    staff
        .wait_for(&anna, "Vagtlæge Jonas Berg har kvitteret")
        .await;
    assert_eq!(
        db.store
            .escalation(case)
            .await
            .expect("read")
            .expect("exists")
            .state,
        EscalationState::Acknowledged
    );
    dm.send(RoomMessageEventContent::text_plain(
        "Læg ham ned og tæl pulsen; jeg ringer om 5 min.",
    ))
    .await
    .expect("advice");
    staff
        .wait_for(
            &anna,
            "Råd fra vagtlæge Jonas Berg: Læg ham ned og tæl pulsen; jeg ringer om 5 min.",
        )
        .await;
    // The record says who was paged, why, and who answered.
    let events = db.store.events(case).await.expect("events");
    let pages: Vec<(String, String)> = events
        .iter()
        .filter_map(|e| match &e.event.kind {
            EventKind::PageSent { person, reason, .. } => {
                Some((person.to_string(), reason.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        pages,
        [
            ("dr-lund".to_string(), "first_page".to_string()),
            ("dr-berg".to_string(), "no_acknowledgement".to_string())
        ]
    );
    assert!(events.iter().any(|e| matches!(&e.event.kind,
        EventKind::PageAcknowledged { person, .. } if person.as_str() == "dr-berg")));
    assert!(events
        .iter()
        .any(|e| matches!(&e.event.kind, EventKind::Note { .. })
            && e.event.author.person.as_ref().map(|p| p.as_str()) == Some("dr-berg")));
    let k = kinds(&events);
    assert!(
        k.iter().position(|t| *t == "advised112") < k.iter().position(|t| *t == "page_sent"),
        "{k:?}"
    );
    running.stop().await;
    db.close().await;
}

/// The bot is stopped in the middle of a case; staff write while it is away;
/// it comes back with the same device and store, decrypts what was written,
/// continues the case, and records nothing twice.
#[tokio::test]
async fn the_bot_restarted_mid_case_continues_and_records_nothing_twice() {
    use akutlinje_core::record::EventKind;
    let s = Synapse::start().await;
    let bot_id = s.register("akutbot", "password-123").await;
    s.register("anna", "password-123").await;
    let db = crate::common::Db::sqlite().await;
    map_people(&db, &[("anna", "@anna:localhost")]).await;
    let h = db.hotline();
    let store = tempfile::tempdir().expect("dir");
    let running = start_bot_in(&s, h.clone(), &db, store.path()).await;
    let bot = running.client.clone();
    let adir = tempfile::tempdir().expect("dir");
    let anna = logged_in(&s, "anna", adir.path()).await;
    let staff = Inbox::of(&anna);
    let room = room_with_bot(&db, &anna, &bot, &bot_id).await;
    let root = open_case(&room, &anna, &staff).await;
    in_thread(&room, &root, "14").await;
    staff.wait_for(&anna, "faresignaler").await;
    let device = bot.device_id().expect("device").to_owned();

    // The bot goes away.
    running.stop().await;
    drop(bot);
    // Staff answer while it is away.
    in_thread(&room, &root, "nej").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let case = db.store.cases(None, 1).await.expect("cases")[0].id;
    let inputs = |events: &[akutlinje_core::record::CaseEvent]| {
        events
            .iter()
            .filter(|e| matches!(e.event.kind, EventKind::InputReceived { .. }))
            .count()
    };
    assert_eq!(
        inputs(&db.store.events(case).await.expect("events")),
        1,
        "only '14' so far"
    );

    // It comes back: same device, the answer written meanwhile is decrypted and handled.
    let running = start_bot_in(&s, h.clone(), &db, store.path()).await;
    assert_eq!(
        running.client.device_id().map(|d| d.to_owned()),
        Some(device)
    );
    staff.wait_for(&anna, "Respirationsfrekvens").await;
    in_thread(&room, &root, "22").await;
    staff.wait_for(&anna, "Iltmætning").await;

    let events = db.store.events(case).await.expect("events");
    assert_eq!(inputs(&events), 3, "14, nej, 22: {:?}", kinds(&events));
    let mut ids: Vec<&str> = events
        .iter()
        .filter_map(|e| e.event.external_id.as_deref())
        .collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "nothing recorded twice");
    assert_eq!(
        db.store.cases(None, 10).await.expect("cases").len(),
        1,
        "the first message did not open a second case"
    );
    // Each question asked once: the restart did not replay the conversation.
    assert_eq!(
        staff
            .bodies()
            .iter()
            .filter(|b| b.contains("Respirationsfrekvens"))
            .count(),
        1
    );
    running.stop().await;
    db.close().await;
}

/// Synapse is away for 30 s while a page is due: the outbox retries and the
/// page is delivered when it is back; the record says when and how.
#[tokio::test]
async fn a_page_due_while_synapse_is_down_is_delivered_when_it_is_back() {
    use akutlinje_core::escalation::{
        NewNotification, NotificationKind, NotificationStatus, NotifyChannel,
    };
    use akutlinje_core::record::{Channel, EventKind};
    let mut s = Synapse::start().await;
    s.register("akutbot", "password-123").await;
    s.register("lund", "password-123").await;
    let db = crate::common::Db::sqlite().await;
    map_people(&db, &[("dr-lund", "@lund:localhost")]).await;
    let h = db.hotline();
    let store = tempfile::tempdir().expect("dir");
    let running = start_bot_in(&s, h.clone(), &db, store.path()).await;
    let bot = running.client.clone();
    let ldir = tempfile::tempdir().expect("dir");
    let lund = logged_in(&s, "lund", ldir.path()).await;
    let doc = Inbox::of(&lund);
    // A case to page for.
    let anna = db.person("anna").await;
    let home = db.home("solgaarden").await;
    let case = akutlinje_core::ids::CaseId::from_uuid(uuid::Uuid::new_v4());
    h.open_case(
        case,
        &anna,
        &home,
        Channel::Console,
        akutlinje_core::i18n::Lang::Da,
        chrono::Utc::now(),
    )
    .await
    .expect("case");

    // The homeserver goes away; then the page falls due.
    s.stop();
    let down_at = chrono::Utc::now();
    let page = NewNotification {
        case: Some(case),
        person: "dr-lund".parse().expect("id"),
        kind: NotificationKind::Page,
        channel: NotifyChannel::Matrix,
        fallback: vec![NotifyChannel::Log],
        text: "📟 Akutlinjen – kald, hastegrad GUL. Testsag.".into(),
        not_before: down_at,
    };
    assert!(db
        .store
        .enqueue_once("down-page", &[page], down_at)
        .await
        .expect("queue"));
    // The real scheduler loop, on the wall clock.
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let loop_task = tokio::spawn(akutlinje_scheduler::escalation::run(
        escalator(
            &db,
            &h,
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/scheduler/policies.toml"
            )),
        ),
        outbox(&db, &h, &bot),
        std::sync::Arc::new(akutlinje_scheduler::escalation::SystemClock),
        Duration::from_millis(500),
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        },
    ));
    tokio::time::sleep(Duration::from_secs(30)).await;
    let pending = db.store.notifications(case).await.expect("read");
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(
        pending[0].status,
        NotificationStatus::Pending,
        "{pending:?}"
    );
    assert!(pending[0].attempts >= 1, "tried while away: {pending:?}");
    assert!(pending[0].last_error.is_some(), "{pending:?}");

    s.restart().await;
    let back_at = chrono::Utc::now();
    // Delivered once the outbox's next retry finds the homeserver back.
    let deadline = Instant::now() + Duration::from_secs(90);
    let delivered = loop {
        let n = db.store.notifications(case).await.expect("read");
        if let Some(d) = n.iter().find(|n| n.status == NotificationStatus::Sent) {
            break d.clone();
        }
        assert!(Instant::now() < deadline, "never delivered: {n:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let _ = stop.send(true);
    loop_task.await.expect("scheduler loop");
    assert_eq!(
        delivered.new.channel,
        NotifyChannel::Matrix,
        "{delivered:?}"
    );
    assert!(delivered.attempts >= 2, "{delivered:?}");
    let events = db.store.events(case).await.expect("events");
    let record = events
        .iter()
        .find(|e| matches!(e.event.kind, EventKind::NotificationDelivered { .. }))
        .expect("the delivery is in the record");
    assert!(
        record.event.at >= back_at,
        "delivered after the homeserver came back"
    );
    assert!(matches!(
        &record.event.kind,
        EventKind::NotificationDelivered { channel: NotifyChannel::Matrix, external_id: Some(id), .. } if id.starts_with('$')
    ));
    accept_invite(&lund).await;
    doc.wait_for(&lund, "Testsag.").await;
    // And the bot's own sync came back too: it answers in the DM.
    let dm = lund.joined_rooms().into_iter().next().expect("the DM");
    dm.send(RoomMessageEventContent::text_plain("ok"))
        .await
        .expect("ack");
    doc.wait_for(&lund, "Kvitteret.").await;
    running.stop().await;
    db.close().await;
}
