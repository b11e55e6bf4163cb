//! Resident data only in the home's own encrypted room and the physician's direct room; the golden record.

use super::*;

/// A room bound to another home, and an unencrypted room, open no case; a
/// physician's "ok" in a home's room is not an acknowledgement and their
/// words there never reach a case; in their direct room they count. A
/// device of Anna's that nobody signed gets no room keys: it cannot read
/// what the bot writes.
#[tokio::test]
async fn rooms_of_other_homes_unencrypted_rooms_physicians_outside_their_dm_and_unsigned_devices() {
    use akutlinje_core::escalation::EscalationState;
    let s = Synapse::start().await;
    let bot_id = s.register("akutbot", "password-123").await;
    s.register("anna", "password-123").await;
    let lund_id = s.register("lund", "password-123").await;
    let db = crate::common::Db::sqlite().await;
    map_people(
        &db,
        &[("anna", "@anna:localhost"), ("dr-lund", "@lund:localhost")],
    )
    .await;
    let h = db.hotline();
    let store = tempfile::tempdir().expect("dir");
    let running = start_bot_in(&s, h.clone(), &db, store.path()).await;
    let bot = running.client.clone();
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().expect("dir")).collect();
    let anna = logged_in(&s, "anna", dirs[0].path()).await;
    let staff = Inbox::of(&anna);
    let lund = logged_in(&s, "lund", dirs[1].path()).await;
    let doc = Inbox::of(&lund);
    let bot_user = <&UserId>::try_from(bot_id.as_str()).expect("id");

    no_case_in_another_homes_or_an_unencrypted_room(&db, &anna, &staff, &bot, bot_user).await;

    // The home's own room: a red flag pages Dr. Lund in his direct room.
    let room = room_with_bot(&db, &anna, &bot, &bot_id).await;
    let root = open_case(&room, &anna, &staff).await;
    in_thread(&room, &root, "14").await;
    staff.wait_for(&anna, "faresignaler").await;
    in_thread(&room, &root, "3").await;
    staff.wait_for(&anna, "RING 112 NU").await;
    let case = db.store.cases(None, 1).await.expect("cases")[0].id;
    let esc = escalator(&db, &h, &policies_naming("dr-lund", "dr-berg"));
    let t0 = chrono::Utc::now();
    esc.tick(t0).await.expect("tick");
    outbox(&db, &h, &bot).tick(t0).await.expect("outbox");
    let dm = accept_invite(&lund).await;
    doc.wait_for(&lund, "hastegrad RØD").await;
    // Delivering the page showed him the ISBAR: a read, in the access log.
    let log = db
        .store
        .access_log_of(&"sol-14".parse().expect("id"), None, None)
        .await
        .expect("log");
    assert!(log
        .iter()
        .any(|e| e.person.as_ref().map(|p| p.as_str()) == Some("dr-lund")
            && e.channel == Some(akutlinje_core::record::Channel::Matrix)
            && e.detail.as_deref() == Some("page")));

    // Dr. Lund is let into the home's room (physicians may read every home)
    // and writes "ok" and advice there: neither counts.
    room.invite_user_by_id(<&UserId>::try_from(lund_id.as_str()).expect("id"))
        .await
        .expect("invite");
    let home_room = joined(&lund, &room).await;
    sync(&lund).await;
    home_room
        .send(RoomMessageEventContent::text_plain("ok"))
        .await
        .expect("send");
    doc.wait_for(&lund, "kun imod i din direkte samtale med mig")
        .await;
    home_room
        .send(RoomMessageEventContent::text_plain("Giv hende ilt"))
        .await
        .expect("send");
    for _ in 0..5 {
        sync(&lund).await;
        sync(&anna).await;
    }
    assert_eq!(
        db.store
            .escalation(case)
            .await
            .expect("read")
            .expect("esc")
            .state,
        EscalationState::Pending,
        "an ok outside the direct room acknowledges nothing"
    );
    assert!(
        !staff
            .bodies()
            .iter()
            .any(|b| b.contains("Råd fra vagtlæge")),
        "words outside the direct room are never relayed: {:?}",
        staff.bodies()
    );
    // In his direct room they count.
    dm.send(RoomMessageEventContent::text_plain("ok"))
        .await
        .expect("ack");
    doc.wait_for(&lund, "Kvitteret.").await;
    assert_eq!(
        db.store
            .escalation(case)
            .await
            .expect("read")
            .expect("esc")
            .state,
        EscalationState::Acknowledged
    );

    an_unsigned_device_cannot_read_the_advice(&s, dirs[2].path(), &dm, &anna, &staff).await;
    running.stop().await;
    db.close().await;
}

/// The golden record of a Matrix case: "akut" in the home's room, room 14,
/// no red flag, a few vitals, the rest skipped, the situation, the page in
/// the physician's direct room, "ok", advice and a decision. Kept in
/// tests/fixtures/golden/matrix.jsonl.
#[tokio::test]
async fn golden_record_of_a_matrix_case() {
    let s = Synapse::start().await;
    let bot_id = s.register("akutbot", "password-123").await;
    s.register("anna", "password-123").await;
    s.register("lund", "password-123").await;
    let db = crate::common::Db::sqlite().await;
    map_people(
        &db,
        &[("anna", "@anna:localhost"), ("dr-lund", "@lund:localhost")],
    )
    .await;
    let h = db.hotline();
    let store = tempfile::tempdir().expect("dir");
    let running = start_bot_in(&s, h.clone(), &db, store.path()).await;
    let bot = running.client.clone();
    let dirs: Vec<tempfile::TempDir> = (0..2).map(|_| tempfile::tempdir().expect("dir")).collect();
    let anna = logged_in(&s, "anna", dirs[0].path()).await;
    let staff = Inbox::of(&anna);
    let lund = logged_in(&s, "lund", dirs[1].path()).await;
    let doc = Inbox::of(&lund);
    let room = room_with_bot(&db, &anna, &bot, &bot_id).await;
    let root = open_case(&room, &anna, &staff).await;
    for (answer, next) in [
        ("14", "faresignaler"),
        ("nej", "Respirationsfrekvens"),
        ("22", "Iltmætning"),
        ("95", "ilt"),
        ("nej", "Blodtryk"),
        ("ved ikke", "Puls"),
        ("98", "Bevidsthed"),
        ("1", "Temperatur"),
        ("38,9", "hvad der er sket"),
        ("Feber og hoste siden i aftes", "bekymret"),
        ("spring over", "Vagtlægen er kaldt"),
    ] {
        in_thread(&room, &root, answer).await;
        staff.wait_for(&anna, next).await;
    }
    let case = db.store.cases(None, 1).await.expect("cases")[0].id;
    let esc = escalator(&db, &h, &policies_naming("dr-lund", "dr-berg"));
    let t0 = chrono::Utc::now();
    esc.tick(t0).await.expect("tick");
    outbox(&db, &h, &bot).tick(t0).await.expect("outbox");
    let dm = accept_invite(&lund).await;
    doc.wait_for(&lund, "hastegrad GUL").await;
    sync(&lund).await;
    for (text, reply) in [
        ("ok", "Kvitteret."),
        ("Giv paracetamol 1 g og mål igen om en time.", ""),
        ("!beslutning 6", "Beslutning registreret"),
    ] {
        dm.send(RoomMessageEventContent::text_plain(text))
            .await
            .expect("send");
        if reply.is_empty() {
            staff.wait_for(&anna, "Giv paracetamol").await;
        } else {
            doc.wait_for(&lund, reply).await;
        }
    }
    crate::common::golden::check("matrix", &db.store.events(case).await.expect("events"));
    running.stop().await;
    db.close().await;
}

/// A room bound to another home, and a room without encryption: the bot
/// says why and opens no case.
async fn no_case_in_another_homes_or_an_unencrypted_room(
    db: &crate::common::Db,
    anna: &matrix_sdk::Client,
    staff: &Inbox,
    bot: &matrix_sdk::Client,
    bot_user: &UserId,
) {
    // Bound to Birkely by mistake: Anna (Solgården) opens no case there.
    let wrong = anna.create_dm(bot_user).await.expect("room");
    bind(db, wrong.room_id(), "birkely").await;
    bot_joined(bot, wrong.room_id()).await;
    sync(anna).await;
    wrong
        .send(RoomMessageEventContent::text_plain("akut"))
        .await
        .expect("send");
    staff.wait_for(anna, "hører til Plejecenter Birkely").await;
    // Not encrypted: no case either.
    use matrix_sdk::ruma::api::client::room::create_room::v3::Request as CreateRoom;
    let mut req = CreateRoom::new();
    req.invite = vec![bot_user.to_owned()];
    let plain = anna.create_room(req).await.expect("room");
    bind(db, plain.room_id(), "solgaarden").await;
    bot_joined(bot, plain.room_id()).await;
    sync(anna).await;
    plain
        .send(RoomMessageEventContent::text_plain("akut"))
        .await
        .expect("send");
    staff.wait_for(anna, "ikke krypteret").await;
    assert!(db.store.cases(None, 10).await.expect("cases").is_empty());
}

/// `client` accepts its invitation to `room` and has joined it.
async fn joined(client: &matrix_sdk::Client, room: &matrix_sdk::Room) -> matrix_sdk::Room {
    loop {
        sync(client).await;
        if let Some(r) = client.get_room(room.room_id()) {
            if r.state() == matrix_sdk::RoomState::Invited {
                r.join().await.expect("join");
            }
            if r.state() == matrix_sdk::RoomState::Joined {
                return r;
            }
        }
    }
}

/// A new device of Anna's that nobody signed: the bot's next message in
/// the room is not decryptable there, while her signed device reads it.
async fn an_unsigned_device_cannot_read_the_advice(
    s: &Synapse,
    dir: &std::path::Path,
    dm: &matrix_sdk::Room,
    anna: &matrix_sdk::Client,
    staff: &Inbox,
) {
    let unsigned = logged_in_unsigned(s, "anna", dir).await;
    let undecrypted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let u2 = undecrypted.clone();
    unsigned.add_event_handler(
        move |_: matrix_sdk::ruma::events::room::encrypted::OriginalSyncRoomEncryptedEvent| {
            let u2 = u2.clone();
            async move {
                u2.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        },
    );
    let unsigned_seen = Inbox::of(&unsigned);
    sync(&unsigned).await;
    // The bot learns of the new device before it next speaks.
    tokio::time::sleep(Duration::from_secs(2)).await;
    dm.send(RoomMessageEventContent::text_plain(
        "Læg ham i aflåst sideleje; jeg ringer om 5 min.",
    ))
    .await
    .expect("advice");
    staff.wait_for(anna, "Læg ham i aflåst sideleje").await;
    for _ in 0..10 {
        sync(&unsigned).await;
    }
    assert!(
        !unsigned_seen
            .bodies()
            .iter()
            .any(|b| b.contains("sideleje")),
        "the unsigned device read the advice: {:?}",
        unsigned_seen.bodies()
    );
    assert!(
        undecrypted.load(std::sync::atomic::Ordering::SeqCst) > 0,
        "the unsigned device saw the message, encrypted"
    );
}
