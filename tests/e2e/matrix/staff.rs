//! Staff open a case in a thread; strangers learn nothing; a page arrives as an encrypted, mentioning direct message.

use super::*;

#[tokio::test]
async fn staff_open_a_case_in_a_thread_and_strangers_learn_nothing() {
    let s = Synapse::start().await;
    let bot_id = s.register("akutbot", "password-123").await;
    s.register("anna", "password-123").await;
    let mallory_id = s.register("mallory", "password-123").await;
    let db = crate::common::Db::sqlite().await;
    map_people(&db, &[("anna", "@anna:localhost")]).await;
    let store = tempfile::tempdir().expect("dir");
    let running = start_bot_in(&s, db.hotline(), &db, store.path()).await;
    let bot = running.client.clone();

    let dirs = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let anna = logged_in(&s, "anna", dirs.0.path()).await;
    let seen = Inbox::of(&anna);
    let room = room_with_bot(&db, &anna, &bot, &bot_id).await;
    let akut = room
        .send(RoomMessageEventContent::text_plain("akut"))
        .await
        .expect("send")
        .response
        .event_id;
    seen.wait_for(&anna, "Hvilken beboer drejer det sig om?")
        .await;
    let got = seen.bodies();
    assert!(
        got.iter()
            .any(|b| b == "Akutlinjen – ny sag for Plejecenter Solgården."),
        "{got:?}"
    );
    in_thread(&room, &akut, "14").await;
    seen.wait_for(&anna, "Er der lige nu et af disse faresignaler?")
        .await;
    let got = seen.bodies();
    assert!(
        got.iter()
            .any(|b| b.starts_with("Beboer: Poul Hansen, værelse 14")),
        "{got:?}"
    );
    assert!(
        got.iter()
            .any(|b| b.contains("1. Trækker ikke vejret normalt")),
        "numbered choices: {got:?}"
    );

    the_case_is_recorded_with_matrix_event_ids(&db).await;

    // A stranger in the room gets one polite refusal and nothing about residents.
    room.invite_user_by_id(<&UserId>::try_from(mallory_id.as_str()).expect("id"))
        .await
        .expect("invite");
    let mallory = logged_in(&s, "mallory", dirs.1.path()).await;
    let mallory_seen = Inbox::of(&mallory);
    let mroom = accept_invite(&mallory).await;
    sync(&mallory).await;
    a_stranger_is_refused_once_and_learns_nothing(&db, &mallory, &mallory_seen, &mroom).await;

    // With the stranger in the room the flow stops: Anna's answer is not
    // taken, the bot says why in one line naming the stranger (never the
    // resident), and the record says the data was withheld.
    let case = db.store.cases(None, 1).await.expect("cases")[0].id;
    let before = inputs(&db.store.events(case).await.expect("events"));
    let question = seen
        .all()
        .into_iter()
        .find(|r| r.body.contains("Er der lige nu et af disse faresignaler?"))
        .expect("the red-flag question");
    in_thread(&room, &akut, "nej").await;
    let line = seen.wait_for(&anna, "har ikke adgang til").await;
    assert!(line.body.contains(mallory_id.as_str()), "{line:?}");
    assert!(!line.body.contains("Poul"), "{line:?}");
    assert!(!line.body.contains('\n'), "one line: {line:?}");
    let events = db.store.events(case).await.expect("events");
    assert_eq!(inputs(&events), before, "the answer was not taken");
    assert!(events.iter().any(|e| matches!(&e.event.kind,
        akutlinje_core::record::EventKind::ResidentDataWithheld { reason, member: Some(m) }
            if reason == "member_not_allowed" && m == &mallory_id)));
    // The stranger's tap on the question does not take it from Anna.
    react(&mroom, question.event_id.as_str(), "1️⃣").await;
    for _ in 0..3 {
        sync(&mallory).await;
    }
    assert_eq!(
        inputs(&db.store.events(case).await.expect("events")),
        before
    );
    // The stranger leaves; Anna taps 3 (chest pain) on the same question:
    // it is still hers to answer, and the flow goes on.
    mroom.leave().await.expect("leave");
    until_only_anna_and_the_bot_are_in(&room, &anna).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    react(&room, question.event_id.as_str(), "3️⃣").await;
    seen.wait_for(&anna, "RING 112 NU").await;
    assert_eq!(
        inputs(&db.store.events(case).await.expect("events")),
        before + 1
    );
    // Anna read the card in the room: her reads are in the access log.
    let log = db
        .store
        .access_log_of(&"sol-14".parse().expect("id"), None, None)
        .await
        .expect("log");
    assert!(log
        .iter()
        .any(|e| e.person.as_ref().map(|p| p.as_str()) == Some("anna")
            && e.channel == Some(akutlinje_core::record::Channel::Matrix)
            && e.detail.as_deref() == Some("room")));
    running.stop().await;
    db.close().await;
}

#[tokio::test]
async fn a_page_arrives_as_an_encrypted_direct_message_with_a_mention() {
    use akutlinje_core::escalation::{NewNotification, NotificationKind, NotifyChannel};
    let s = Synapse::start().await;
    s.register("akutbot", "password-123").await;
    s.register("lund", "password-123").await;
    let db = crate::common::Db::sqlite().await;
    map_people(&db, &[("dr-lund", "@lund:localhost")]).await;
    let h = db.hotline();
    let store = tempfile::tempdir().expect("dir");
    let running = start_bot_in(&s, h.clone(), &db, store.path()).await;
    let bot = running.client.clone();
    let ldir = tempfile::tempdir().expect("dir");
    let physician = logged_in(&s, "lund", ldir.path()).await;
    let seen = Inbox::of(&physician);

    let now = chrono::Utc::now();
    let page = NewNotification {
        case: None,
        person: "dr-lund".parse().expect("id"),
        kind: NotificationKind::Page,
        channel: NotifyChannel::Matrix,
        fallback: vec![NotifyChannel::Log],
        text: "📟 Akutlinjen – kald, hastegrad RØD. <test>".into(),
        not_before: now,
    };
    assert!(db
        .store
        .enqueue_once("test-page", &[page], now)
        .await
        .expect("queue"));
    outbox(&db, &h, &bot).tick(now).await.expect("outbox");
    let sent = db
        .store
        .claim_due_notifications(
            now + chrono::Duration::days(1),
            "probe",
            chrono::Duration::seconds(1),
            10,
        )
        .await
        .expect("claim");
    assert!(sent.is_empty(), "nothing left pending");

    accept_invite(&physician).await;
    let got = seen.wait_for(&physician, "hastegrad RØD").await;
    assert!(
        got.body
            .starts_with("📟 Akutlinjen – kald, hastegrad RØD. <test>"),
        "{got:?}"
    );
    assert!(got.body.contains("reagere på beskeden med ✅"), "{got:?}");
    let html = got.html.expect("HTML body");
    assert!(
        html.contains("https://matrix.to/#/@lund:localhost"),
        "mention: {html}"
    );
    assert!(html.contains("&lt;test&gt;"), "escaped: {html}");
    assert!(!html.contains("<test>"), "escaped: {html}");
    running.stop().await;
    db.close().await;
}

/// The case was opened over Matrix, and the replies are stored with their
/// Matrix event ids.
async fn the_case_is_recorded_with_matrix_event_ids(db: &crate::common::Db) {
    let cases = db.store.cases(None, 10).await.expect("cases");
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].channel, akutlinje_core::record::Channel::Matrix);
    let events = db.store.events(cases[0].id).await.expect("events");
    assert!(
        events.iter().any(|e| e
            .event
            .external_id
            .as_deref()
            .is_some_and(|x| x.starts_with('$'))),
        "event ids kept"
    );
}

/// A stranger who writes in the room gets one polite refusal, and nothing
/// about residents (the case was before their join and they have no keys).
async fn a_stranger_is_refused_once_and_learns_nothing(
    db: &crate::common::Db,
    mallory: &matrix_sdk::Client,
    mallory_seen: &Inbox,
    mroom: &matrix_sdk::Room,
) {
    for text in ["stue 12?", "hallo?"] {
        mroom
            .send(RoomMessageEventContent::text_plain(text))
            .await
            .expect("send");
    }
    mallory_seen.wait_for(mallory, "Jeg kender dig ikke").await;
    let got = mallory_seen.bodies();
    for _ in 0..5 {
        sync(mallory).await;
    }
    let got_now = mallory_seen.bodies();
    assert_eq!(
        got_now
            .iter()
            .filter(|b| b.contains("Jeg kender dig ikke"))
            .count(),
        1,
        "refused once: {got_now:?}"
    );
    // Only what was in the room before the stranger came: no resident data
    // reaches them (the case was before their join and they have no keys).
    assert!(
        !got.iter()
            .any(|b| b.contains("Poul") || b.contains("Beboer:")),
        "{got:?}"
    );
    assert_eq!(
        db.store.cases(None, 10).await.expect("cases").len(),
        1,
        "a stranger opens no case"
    );
}

/// How many inputs the record holds.
fn inputs(events: &[akutlinje_core::record::CaseEvent]) -> usize {
    events
        .iter()
        .filter(|e| {
            matches!(
                e.event.kind,
                akutlinje_core::record::EventKind::InputReceived { .. }
            )
        })
        .count()
}

/// Waits until the room holds only Anna and the bot again.
async fn until_only_anna_and_the_bot_are_in(room: &matrix_sdk::Room, anna: &matrix_sdk::Client) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while room
        .members(matrix_sdk::RoomMemberships::ACTIVE)
        .await
        .map(|m| m.len())
        .unwrap_or(0)
        > 2
    {
        assert!(Instant::now() < deadline, "mallory never left");
        sync(anna).await;
    }
}
