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

fn hotline(db: &common::Db) -> akutlinje_core::service::Hotline {
    let loc = std::sync::Arc::new(akutlinje_core::i18n::Localizer::builtin().expect("texts"));
    let def = std::sync::Arc::new(
        akutlinje_core::engine::Checklist::builtin_acute(&loc).expect("checklist"),
    );
    akutlinje_core::service::Hotline::new(db.store.clone(), def, loc)
}

/// The bot connected to a test Synapse and running, until `stop`.
struct RunningBot {
    client: Client,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<(), akutlinje_bot::BotError>>,
    _dir: tempfile::TempDir,
}

impl RunningBot {
    async fn stop(self) {
        let _ = self.stop.send(true);
        self.task.await.expect("bot task").expect("bot ran");
    }
}

async fn start_bot(s: &Synapse, hotline: akutlinje_core::service::Hotline) -> RunningBot {
    let dir = tempfile::tempdir().expect("dir");
    let cfg = akutlinje_bot::BotConfig {
        homeserver: s.url.clone(),
        user: "akutbot".into(),
        password: "password-123".into(),
        store_dir: dir.path().join("bot"),
        store_passphrase: "bot store passphrase".into(),
    };
    let client = akutlinje_bot::connect(&cfg).await.expect("bot");
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(akutlinje_bot::run(client.clone(), hotline, async move {
        let _ = stopped.wait_for(|s| *s).await;
    }));
    RunningBot {
        client,
        stop,
        task,
        _dir: dir,
    }
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

    let running = start_bot(&s, hotline(&db)).await;
    let bot = running.client.clone();

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
    running.stop().await;
    db.close().await;
}

/// Collects the text bodies a client receives.
fn collect(c: &Client) -> std::sync::Arc<std::sync::Mutex<Vec<String>>> {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let s2 = seen.clone();
    c.add_event_handler(move |ev: OriginalSyncRoomMessageEvent| {
        let s2 = s2.clone();
        async move {
            if let MessageType::Text(t) = ev.content.msgtype {
                if let Ok(mut v) = s2.lock() {
                    v.push(t.body);
                }
            }
        }
    });
    seen
}

async fn wait_for(
    c: &Client,
    seen: &std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    needle: &str,
) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        sync(c).await;
        let v = seen.lock().map(|v| v.clone()).unwrap_or_default();
        if v.iter().any(|b| b.contains(needle)) {
            return v;
        }
        assert!(Instant::now() < deadline, "never saw {needle:?}; saw {v:?}");
    }
}

#[tokio::test]
async fn staff_open_a_case_in_a_thread_and_strangers_learn_nothing() {
    use matrix_sdk::ruma::events::relation::Thread;
    use matrix_sdk::ruma::events::room::message::Relation;
    let s = Synapse::start().await;
    let bot_id = s.register("akutbot", "password-123").await;
    s.register("anna", "password-123").await;
    let mallory_id = s.register("mallory", "password-123").await;
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
        .expect("map anna");
    let running = start_bot(&s, hotline(&db)).await;
    let bot = running.client.clone();

    let dirs = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let anna = logged_in(&s, "anna", dirs.0.path()).await;
    let seen = collect(&anna);
    let room = anna
        .create_dm(<&UserId>::try_from(bot_id.as_str()).expect("id"))
        .await
        .expect("room");
    let deadline = Instant::now() + Duration::from_secs(30);
    while bot.get_room(room.room_id()).map(|r| r.state()) != Some(matrix_sdk::RoomState::Joined) {
        assert!(Instant::now() < deadline, "the bot never joined");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sync(&anna).await;
    let akut = room
        .send(RoomMessageEventContent::text_plain("akut"))
        .await
        .expect("send")
        .response
        .event_id;
    let got = wait_for(&anna, &seen, "Hvilken beboer drejer det sig om?").await;
    assert!(
        got.iter()
            .any(|b| b == "Akutlinjen – ny sag for Plejecenter Solgården."),
        "{got:?}"
    );
    let mut reply = RoomMessageEventContent::text_plain("14");
    reply.relates_to = Some(Relation::Thread(Thread::plain(akut.clone(), akut.clone())));
    room.send(reply).await.expect("reply in the thread");
    let got = wait_for(&anna, &seen, "Er der lige nu et af disse faresignaler?").await;
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

    // The record: opened over Matrix, the reply stored with its event id.
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

    // A stranger in the room gets one polite refusal and nothing about residents.
    room.invite_user_by_id(<&UserId>::try_from(mallory_id.as_str()).expect("id"))
        .await
        .expect("invite");
    let mallory = logged_in(&s, "mallory", dirs.1.path()).await;
    let mallory_seen = collect(&mallory);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mroom = loop {
        sync(&mallory).await;
        if let Some(r) = mallory.get_room(room.room_id()) {
            break r;
        }
        assert!(Instant::now() < deadline, "no invite for mallory");
    };
    mroom.join().await.expect("join");
    sync(&mallory).await;
    mroom
        .send(RoomMessageEventContent::text_plain("stue 12?"))
        .await
        .expect("send");
    let got = wait_for(&mallory, &mallory_seen, "Jeg kender dig ikke").await;
    assert!(
        !got.iter()
            .any(|b| b.contains("Karen") || b.contains("Beboer:")),
        "{got:?}"
    );
    running.stop().await;
    db.close().await;
}

#[tokio::test]
async fn a_page_arrives_as_an_encrypted_direct_message_with_a_mention() {
    use akutlinje_core::escalation::{NewNotification, NotificationKind, NotifyChannel};
    let s = Synapse::start().await;
    s.register("akutbot", "password-123").await;
    s.register("lund", "password-123").await;
    let db = common::Db::sqlite().await;
    let mut lund = db
        .store
        .person(&"dr-lund".parse().expect("id"))
        .await
        .expect("read")
        .expect("exists");
    lund.matrix_user = Some("@lund:localhost".into());
    db.store.upsert_person(&lund).await.expect("map dr-lund");
    let running = start_bot(&s, hotline(&db)).await;
    let bot = running.client.clone();
    let ldir = tempfile::tempdir().expect("dir");
    let physician = logged_in(&s, "lund", ldir.path()).await;
    let seen = collect(&physician);

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
    let sender = akutlinje_bot::sender::MatrixSender::new();
    sender.connected(bot.clone());
    let outbox = akutlinje_scheduler::escalation::Outbox::new(
        db.store.clone(),
        vec![std::sync::Arc::new(sender)],
        "w",
    );
    outbox.tick(now).await.expect("outbox");
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

    // The physician accepts the DM and reads the page.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        sync(&physician).await;
        if let Some(r) = physician.invited_rooms().into_iter().next() {
            r.join().await.expect("join");
            break;
        }
        assert!(Instant::now() < deadline, "no DM invite");
    }
    let got = wait_for(&physician, &seen, "hastegrad RØD").await;
    assert!(
        got.iter()
            .any(|b| b == "📟 Akutlinjen – kald, hastegrad RØD. <test>"),
        "{got:?}"
    );
    running.stop().await;
    db.close().await;
}

#[tokio::test]
async fn a_red_flag_case_from_the_staff_thread_to_the_physicians_advice() {
    use akutlinje_core::escalation::EscalationState;
    use matrix_sdk::ruma::events::relation::Thread;
    use matrix_sdk::ruma::events::room::message::Relation;
    let s = Synapse::start().await;
    let bot_id = s.register("akutbot", "password-123").await;
    s.register("anna", "password-123").await;
    s.register("lund", "password-123").await;
    let db = common::Db::sqlite().await;
    for (id, mxid) in [("anna", "@anna:localhost"), ("dr-lund", "@lund:localhost")] {
        let mut p = db
            .store
            .person(&id.parse().expect("id"))
            .await
            .expect("read")
            .expect("exists");
        p.matrix_user = Some(mxid.into());
        db.store.upsert_person(&p).await.expect("map");
    }
    let h = hotline(&db);
    let running = start_bot(&s, h.clone()).await;
    let bot = running.client.clone();
    let dirs = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let anna = logged_in(&s, "anna", dirs.0.path()).await;
    let anna_seen = collect(&anna);
    let room = anna
        .create_dm(<&UserId>::try_from(bot_id.as_str()).expect("id"))
        .await
        .expect("room");
    let deadline = Instant::now() + Duration::from_secs(30);
    while bot.get_room(room.room_id()).map(|r| r.state()) != Some(matrix_sdk::RoomState::Joined) {
        assert!(Instant::now() < deadline, "the bot never joined");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sync(&anna).await;
    let root = room
        .send(RoomMessageEventContent::text_plain("akut"))
        .await
        .expect("send")
        .response
        .event_id;
    wait_for(&anna, &anna_seen, "Hvilken beboer").await;
    for (answer, expect) in [("14", "faresignaler"), ("3", "RING 112 NU")] {
        let mut c = RoomMessageEventContent::text_plain(answer);
        c.relates_to = Some(Relation::Thread(Thread::plain(root.clone(), root.clone())));
        room.send(c).await.expect("answer");
        wait_for(&anna, &anna_seen, expect).await;
    }
    let case = db.store.cases(None, 1).await.expect("cases")[0].id;
    // The physician's phone is signed in before the page is sent (a device
    // that does not exist yet cannot receive the room key).
    let lund = logged_in(&s, "lund", dirs.1.path()).await;
    let lund_seen = collect(&lund);

    // Escalation pages dr-lund (a step naming him), the outbox sends it over Matrix.
    let toml = include_str!("../scheduler/policies.toml").replacen(
        r#"{ tier = "primary", channels = ["matrix", "sms", "voice"], wait_minutes = 2 },"#,
        r#"{ person = "dr-lund", channels = ["matrix"], wait_minutes = 2 },"#,
        1,
    );
    let esc = akutlinje_scheduler::escalation::Escalator::new(
        db.store.clone(),
        akutlinje_scheduler::escalation::Policies::parse(&toml).expect("policies"),
        "akutlaege".parse().expect("id"),
        h.checklist().clone(),
        h.localizer().clone(),
        "w",
    );
    let now = chrono::Utc::now();
    assert_eq!(esc.tick(now).await.expect("tick"), 1);
    let sender = akutlinje_bot::sender::MatrixSender::new();
    sender.connected(bot.clone());
    akutlinje_scheduler::escalation::Outbox::new(
        db.store.clone(),
        vec![std::sync::Arc::new(sender)],
        "w",
    )
    .tick(now)
    .await
    .expect("outbox");

    let deadline = Instant::now() + Duration::from_secs(30);
    let dm = loop {
        sync(&lund).await;
        if let Some(r) = lund.invited_rooms().into_iter().next() {
            r.join().await.expect("join");
            break r;
        }
        assert!(Instant::now() < deadline, "no page");
    };
    let page = wait_for(&lund, &lund_seen, "hastegrad RØD").await;
    assert!(
        page.iter()
            .any(|b| b.contains("Personalet er rådet til at ringe 112.")),
        "{page:?}"
    );
    sync(&lund).await;
    dm.send(RoomMessageEventContent::text_plain("ok"))
        .await
        .expect("ack");
    wait_for(&lund, &lund_seen, "Kvitteret.").await;
    let e = db
        .store
        .escalation(case)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(e.state, EscalationState::Acknowledged);
    wait_for(&anna, &anna_seen, "Vagtlæge Mette Lund har kvitteret").await;
    dm.send(RoomMessageEventContent::text_plain(
        "Læg hende ned og tæl pulsen; jeg ringer om 5 min.",
    ))
    .await
    .expect("advice");
    wait_for(
        &anna,
        &anna_seen,
        "Råd fra vagtlæge Mette Lund: Læg hende ned og tæl pulsen; jeg ringer om 5 min.",
    )
    .await;
    let events = db.store.events(case).await.expect("events");
    assert!(events.iter().any(|e| matches!(
        &e.event.kind,
        akutlinje_core::record::EventKind::Note { .. }
    ) && e.event.author.person.as_ref().map(|p| p.as_str())
        == Some("dr-lund")));
    running.stop().await;
    db.close().await;
}
