//! The Matrix groundwork against a real Synapse (installed from PyPI into a
//! cached venv and started on 127.0.0.1 by the test): two matrix-sdk clients
//! with passphrase-encrypted SQLite stores exchange an end-to-end encrypted
//! message, and a client restored from its saved session keeps its device.
#![recursion_limit = "256"]

mod common;

use std::time::{Duration, Instant};

use common::synapse::Synapse;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::ruma::events::room::message::{
    MessageType, OriginalSyncRoomMessageEvent, RoomMessageEventContent,
};
use matrix_sdk::ruma::UserId;
use matrix_sdk::Client;

async fn client(s: &Synapse, dir: &std::path::Path) -> Client {
    Client::builder()
        .homeserver_url(&s.url)
        .sqlite_store(dir, Some("test store passphrase"))
        .build()
        .await
        .expect("client")
}

async fn logged_in(s: &Synapse, user: &str, dir: &std::path::Path) -> Client {
    let c = client(s, dir).await;
    c.matrix_auth()
        .login_username(user, "password-123")
        .initial_device_display_name("akutlinje test")
        .await
        .expect("login");
    // The first sync uploads the device and one-time keys.
    c.sync_once(SyncSettings::default())
        .await
        .expect("first sync");
    c
}

async fn sync(c: &Client) {
    c.sync_once(SyncSettings::default().timeout(Duration::from_millis(200)))
        .await
        .expect("sync");
}

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
async fn the_bot_restores_its_session_and_device() {
    let s = Synapse::start().await;
    s.register("akutbot", "password-123").await;
    let dir = tempfile::tempdir().expect("dir");
    let cfg = akutlinje_bot::BotConfig {
        homeserver: s.url.clone(),
        user: "akutbot".into(),
        password: "password-123".into(),
        store_dir: dir.path().join("bot"),
        store_passphrase: "bot store passphrase".into(),
    };
    let first = akutlinje_bot::connect(&cfg).await.expect("first log-in");
    sync(&first).await;
    let device = first.device_id().expect("device").to_owned();
    drop(first);
    // A restart: no password needed, same device, same keys.
    let again = akutlinje_bot::connect(&akutlinje_bot::BotConfig {
        password: "not used".into(),
        ..cfg.clone()
    })
    .await
    .expect("restore");
    sync(&again).await;
    assert_eq!(again.device_id().map(|d| d.to_owned()), Some(device));
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
    let db = common::Db::sqlite().await;
    let mut anna_person = db
        .store
        .person(&"anna".parse().expect("id"))
        .await
        .expect("read")
        .expect("exists");
    anna_person.matrix_user = Some("@anna:localhost".into());
    db.store
        .upsert_person(&anna_person)
        .await
        .expect("map anna's Matrix id");

    let dir = tempfile::tempdir().expect("dir");
    let cfg = akutlinje_bot::BotConfig {
        homeserver: s.url.clone(),
        user: "akutbot".into(),
        password: "password-123".into(),
        store_dir: dir.path().join("bot"),
        store_passphrase: "bot store passphrase".into(),
    };
    let bot = akutlinje_bot::connect(&cfg).await.expect("bot");
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let runner = tokio::spawn(akutlinje_bot::run(
        bot.clone(),
        db.store.clone(),
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        },
    ));

    let dirs = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let anna = logged_in(&s, "anna", dirs.0.path()).await;
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
    let _ = stop.send(true);
    runner.await.expect("runner").expect("bot ran");
    db.close().await;
}
