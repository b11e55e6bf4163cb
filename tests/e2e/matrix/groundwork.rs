//! The groundwork: encryption across a real Synapse, a restored and cross-signed bot, who may invite it.

use super::*;

#[tokio::test]
async fn an_encrypted_message_crosses_a_real_synapse() {
    let s = Synapse::start().await;
    let alice_id = s.register("alice", "password-123").await;
    let bob_id = s.register("bob", "password-123").await;
    assert_eq!(alice_id, "@alice:localhost");
    let dirs = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let alice = logged_in(&s, "alice", dirs.0.path()).await;
    let bob = logged_in(&s, "bob", dirs.1.path()).await;

    let room = alice
        .create_dm(<&UserId>::try_from(bob_id.as_str()).expect("user id"))
        .await
        .expect("DM");
    let deadline = Instant::now() + Duration::from_secs(30);
    let bob_room = loop {
        sync(&bob).await;
        if let Some(r) = bob.get_room(room.room_id()) {
            break r;
        }
        assert!(Instant::now() < deadline, "the invite never arrived");
    };
    bob_room.join().await.expect("join");
    sync(&alice).await;
    assert!(
        room.latest_encryption_state()
            .await
            .expect("state")
            .is_encrypted(),
        "the DM is encrypted"
    );

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    bob.add_event_handler(move |ev: OriginalSyncRoomMessageEvent| {
        let tx = tx.clone();
        async move {
            if let MessageType::Text(t) = ev.content.msgtype {
                let _ = tx.send(t.body);
            }
        }
    });
    room.send(RoomMessageEventContent::text_plain(
        "Beboeren på stue 12 har feber",
    ))
    .await
    .expect("send");
    let deadline = Instant::now() + Duration::from_secs(30);
    let got = loop {
        sync(&bob).await;
        if let Ok(body) = rx.try_recv() {
            break body;
        }
        assert!(Instant::now() < deadline, "the message was never decrypted");
    };
    assert_eq!(got, "Beboeren på stue 12 har feber");
}

#[tokio::test]
async fn the_bot_restores_its_session_and_is_cross_signed() {
    let s = Synapse::start().await;
    let bot_id = s.register("akutbot", "password-123").await;
    s.register("alice", "password-123").await;
    let dir = tempfile::tempdir().expect("dir");
    let cfg = bot_config(&s, dir.path());
    let first = akutlinje_bot::connect(&cfg).await.expect("first log-in");
    let device = first.device_id().expect("device").to_owned();
    // Cross-signed on first log-in, with a recovery key written for the operator.
    let status = first
        .encryption()
        .cross_signing_status()
        .await
        .expect("status");
    assert!(status.is_complete(), "{status:?}");
    let key_file = cfg.recovery_key_path();
    let key = std::fs::read_to_string(&key_file).expect("recovery key written");
    assert!(
        key.split_whitespace().count() >= 12,
        "a recovery key: {key:?}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "only the owner reads the recovery key");
    }
    // Another user sees the bot's device signed by the bot's identity.
    let adir = tempfile::tempdir().expect("dir");
    let alice = logged_in(&s, "alice", adir.path()).await;
    let bot_user = <&UserId>::try_from(bot_id.as_str()).expect("id");
    alice
        .encryption()
        .request_user_identity(bot_user)
        .await
        .expect("query")
        .expect("the bot has an identity");
    let seen = alice
        .encryption()
        .get_device(bot_user, &device)
        .await
        .expect("device query")
        .expect("device known");
    assert!(
        seen.is_cross_signed_by_owner(),
        "the bot's device is cross-signed"
    );
    drop(first);

    // A restart: no password needed, same device, same keys, same identity.
    let again = akutlinje_bot::connect(&akutlinje_bot::BotConfig {
        password: "not used".into(),
        ..cfg.clone()
    })
    .await
    .expect("restore");
    sync(&again).await;
    assert_eq!(again.device_id().map(|d| d.to_owned()), Some(device));
    assert!(again
        .encryption()
        .cross_signing_status()
        .await
        .is_some_and(|s| s.is_complete()));
    assert_eq!(
        std::fs::read_to_string(&key_file).expect("still there"),
        key,
        "the recovery key is written once"
    );
    drop(again);
    // The store is encrypted with the passphrase: a wrong one is refused.
    let wrong = akutlinje_bot::connect(&akutlinje_bot::BotConfig {
        store_passphrase: "wrong".into(),
        ..cfg
    })
    .await;
    assert!(
        wrong.is_err(),
        "a store opened with the wrong passphrase must fail"
    );
}

#[tokio::test]
async fn only_known_people_can_invite_the_bot() {
    use matrix_sdk::RoomState;
    let s = Synapse::start().await;
    let bot_id = s.register("akutbot", "password-123").await;
    s.register("anna", "password-123").await;
    s.register("mallory", "password-123").await;
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
    let anna_seen = Inbox::of(&anna);
    let mallory = logged_in(&s, "mallory", dirs.1.path()).await;
    let bot_user = <&UserId>::try_from(bot_id.as_str()).expect("user id");
    let from_anna = anna.create_dm(bot_user).await.expect("DM");
    let from_mallory = mallory.create_dm(bot_user).await.expect("DM");
    let state = |id: &matrix_sdk::ruma::RoomId| bot.get_room(id).map(|r| r.state());
    let deadline = Instant::now() + Duration::from_secs(30);
    while state(from_anna.room_id()) != Some(RoomState::Joined)
        || state(from_mallory.room_id()) != Some(RoomState::Left)
    {
        assert!(
            Instant::now() < deadline,
            "anna: {:?}, mallory: {:?}",
            state(from_anna.room_id()),
            state(from_mallory.room_id())
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Anna's room is not bound to a home yet: the bot says so, with the
    // room id a coordinator needs, and opens no case there.
    let said = anna_seen
        .wait_for(&anna, "ikke knyttet til et plejecenter")
        .await;
    assert!(said.body.contains(from_anna.room_id().as_str()), "{said:?}");
    from_anna
        .send(RoomMessageEventContent::text_plain("akut"))
        .await
        .expect("send");
    let deadline = Instant::now() + Duration::from_secs(30);
    while anna_seen
        .bodies()
        .iter()
        .filter(|b| b.contains("ikke knyttet til et plejecenter"))
        .count()
        < 2
    {
        assert!(Instant::now() < deadline, "{:?}", anna_seen.bodies());
        sync(&anna).await;
    }
    assert!(db.store.cases(None, 10).await.expect("cases").is_empty());
    // Bound by a coordinator, the same room runs cases.
    bind(&db, from_anna.room_id(), "solgaarden").await;
    from_anna
        .send(RoomMessageEventContent::text_plain("akut"))
        .await
        .expect("send");
    anna_seen.wait_for(&anna, "Hvilken beboer").await;
    running.stop().await;
    db.close().await;
}
