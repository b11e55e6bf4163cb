//! The Matrix groundwork against a real Synapse (installed from PyPI into a
//! cached venv and started on 127.0.0.1 by the test): two matrix-sdk clients
//! with passphrase-encrypted SQLite stores exchange an end-to-end encrypted
//! message, and a client restored from its saved session keeps its device.

use std::time::{Duration, Instant};

use crate::common::synapse::Synapse;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::ruma::events::reaction::ReactionEventContent;
use matrix_sdk::ruma::events::relation::{Annotation, Thread};
use matrix_sdk::ruma::events::room::message::{
    MessageType, OriginalSyncRoomMessageEvent, Relation, RoomMessageEventContent,
};
use matrix_sdk::ruma::{OwnedEventId, UserId};
use matrix_sdk::Client;

async fn client(s: &Synapse, dir: &std::path::Path) -> Client {
    Client::builder()
        .homeserver_url(&s.url)
        .sqlite_store(dir, Some("test store passphrase"))
        .build()
        .await
        .expect("client")
}

/// A client logged in and cross-signed, as Element sets up a new account:
/// the bot shares room keys only with devices their owner signed.
async fn logged_in(s: &Synapse, user: &str, dir: &std::path::Path) -> Client {
    let c = logged_in_unsigned(s, user, dir).await;
    cross_sign(&c, user).await;
    c
}

/// A client logged in on a device nobody signed.
async fn logged_in_unsigned(s: &Synapse, user: &str, dir: &std::path::Path) -> Client {
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

/// Sets up cross-signing (the homeserver asks for the password once).
async fn cross_sign(c: &Client, user: &str) {
    use matrix_sdk::ruma::api::client::uiaa;
    let enc = c.encryption();
    if let Err(e) = enc.bootstrap_cross_signing(None).await {
        let info = e
            .as_uiaa_response()
            .expect("the homeserver asks for the password");
        let mut password = uiaa::Password::new(
            uiaa::UserIdentifier::Matrix(uiaa::MatrixUserIdentifier::new(user.to_string())),
            "password-123".to_string(),
        );
        password.session = info.session.clone();
        enc.bootstrap_cross_signing(Some(uiaa::AuthData::Password(password)))
            .await
            .expect("cross-signing");
    }
    c.sync_once(SyncSettings::default().timeout(Duration::from_millis(200)))
        .await
        .expect("sync");
}

/// Binds a room to a home, as an admin does (`akutlinje homes room`).
async fn bind(db: &crate::common::Db, room: &matrix_sdk::ruma::RoomId, home: &str) {
    db.store
        .bind_room(&akutlinje_core::person::HomeRoom {
            room: room.as_str().parse().expect("room id"),
            home: home.parse().expect("home"),
            bound_by: None,
            bound_at: chrono::Utc::now(),
        })
        .await
        .expect("bind");
}

/// Gives demo people their Matrix ids.
async fn map_people(db: &crate::common::Db, pairs: &[(&str, &str)]) {
    for (id, mxid) in pairs {
        let mut p = db
            .store
            .person(&id.parse().expect("id"))
            .await
            .expect("read")
            .expect("exists");
        p.matrix_user = Some((*mxid).into());
        db.store.upsert_person(&p).await.expect("map");
    }
}

/// The bot connected to a test Synapse and running, until `stop`.
struct RunningBot {
    client: Client,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<(), akutlinje_bot::BotError>>,
}

impl RunningBot {
    async fn stop(self) {
        let _ = self.stop.send(true);
        self.task.await.expect("bot task").expect("bot ran");
    }
}

fn bot_config(s: &Synapse, store: &std::path::Path) -> akutlinje_bot::BotConfig {
    akutlinje_bot::BotConfig {
        homeserver: s.url.clone(),
        user: "akutbot".into(),
        password: "password-123".into(),
        store_dir: store.join("bot"),
        store_passphrase: "bot store passphrase".into(),
        recovery_key_file: None,
    }
}

/// Connects (or reconnects, with the same store) and runs the bot.
async fn start_bot_in(
    s: &Synapse,
    hotline: akutlinje_core::service::Hotline,
    db: &crate::common::Db,
    store: &std::path::Path,
) -> RunningBot {
    let client = akutlinje_bot::connect(&bot_config(s, store))
        .await
        .expect("bot");
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let roster = std::sync::Arc::new(akutlinje::oncall::RotaRoster::new(
        db.store.clone(),
        "akutlaege".parse().expect("service"),
    ));
    let ctx = akutlinje_bot::BotContext::new(hotline, roster, db.store.clone());
    let task = tokio::spawn(akutlinje_bot::run(client.clone(), ctx, async move {
        let _ = stopped.wait_for(|s| *s).await;
    }));
    RunningBot { client, stop, task }
}

async fn sync(c: &Client) {
    c.sync_once(SyncSettings::default().timeout(Duration::from_millis(200)))
        .await
        .expect("sync");
}

/// What a test client has received: (event id, sender, plain body, HTML body).
#[derive(Clone, Default)]
struct Inbox(std::sync::Arc<std::sync::Mutex<Vec<Received>>>);

#[derive(Clone, Debug)]
struct Received {
    event_id: String,
    body: String,
    html: Option<String>,
}

impl Inbox {
    fn of(c: &Client) -> Inbox {
        let inbox = Inbox::default();
        let i2 = inbox.clone();
        c.add_event_handler(move |ev: OriginalSyncRoomMessageEvent| {
            let i2 = i2.clone();
            async move {
                if let MessageType::Text(t) = ev.content.msgtype {
                    if let Ok(mut v) = i2.0.lock() {
                        v.push(Received {
                            event_id: ev.event_id.to_string(),
                            body: t.body,
                            html: t.formatted.map(|f| f.body),
                        });
                    }
                }
            }
        });
        inbox
    }

    fn all(&self) -> Vec<Received> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }

    fn bodies(&self) -> Vec<String> {
        self.all().into_iter().map(|r| r.body).collect()
    }

    /// Syncs `c` until a message containing `needle` arrived; returns it.
    async fn wait_for(&self, c: &Client, needle: &str) -> Received {
        let deadline = Instant::now() + Duration::from_secs(45);
        loop {
            sync(c).await;
            if let Some(r) = self.all().into_iter().find(|r| r.body.contains(needle)) {
                return r;
            }
            assert!(
                Instant::now() < deadline,
                "never saw {needle:?}; saw {:?}",
                self.bodies()
            );
        }
    }
}

/// A room of Solgården with the staff member and the bot (bound to the
/// home by an admin), once the bot has joined it.
async fn room_with_bot(
    db: &crate::common::Db,
    staff: &Client,
    bot: &Client,
    bot_id: &str,
) -> matrix_sdk::Room {
    let room = staff
        .create_dm(<&UserId>::try_from(bot_id).expect("id"))
        .await
        .expect("room");
    bind(db, room.room_id(), "solgaarden").await;
    bot_joined(bot, room.room_id()).await;
    sync(staff).await;
    room
}

/// "akut" in the main timeline; returns the case thread's root once the bot
/// asks for the resident.
async fn open_case(room: &matrix_sdk::Room, staff: &Client, inbox: &Inbox) -> OwnedEventId {
    let root = room
        .send(RoomMessageEventContent::text_plain("akut"))
        .await
        .expect("send")
        .response
        .event_id;
    inbox.wait_for(staff, "Hvilken beboer").await;
    root
}

/// Sends `text` in the thread under `root`; returns its event id.
async fn in_thread(room: &matrix_sdk::Room, root: &OwnedEventId, text: &str) -> OwnedEventId {
    let mut c = RoomMessageEventContent::text_plain(text);
    c.relates_to = Some(Relation::Thread(Thread::plain(root.clone(), root.clone())));
    room.send(c)
        .await
        .expect("send in thread")
        .response
        .event_id
}

async fn react(room: &matrix_sdk::Room, to: &str, key: &str) -> OwnedEventId {
    let target: OwnedEventId = to.try_into().expect("event id");
    room.send(ReactionEventContent::new(Annotation::new(
        target,
        key.into(),
    )))
    .await
    .expect("react")
    .response
    .event_id
}

/// Waits until the bot has joined `room`.
async fn bot_joined(bot: &Client, room: &matrix_sdk::ruma::RoomId) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while bot.get_room(room).map(|r| r.state()) != Some(matrix_sdk::RoomState::Joined) {
        assert!(Instant::now() < deadline, "the bot never joined");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Accepts the first invite `c` gets (the bot's DM with a page).
async fn accept_invite(c: &Client) -> matrix_sdk::Room {
    let deadline = Instant::now() + Duration::from_secs(45);
    loop {
        sync(c).await;
        if let Some(r) = c.invited_rooms().into_iter().next() {
            r.join().await.expect("join");
            return r;
        }
        assert!(Instant::now() < deadline, "no DM invite");
    }
}

fn escalator(
    db: &crate::common::Db,
    h: &akutlinje_core::service::Hotline,
    toml: &str,
) -> akutlinje_scheduler::escalation::Escalator {
    akutlinje_scheduler::escalation::Escalator::new(
        db.store.clone(),
        akutlinje_scheduler::escalation::Policies::parse(toml).expect("policies"),
        "akutlaege".parse().expect("id"),
        h.checklist().clone(),
        h.localizer().clone(),
        "w",
    )
}

fn outbox(
    db: &crate::common::Db,
    h: &akutlinje_core::service::Hotline,
    bot: &Client,
) -> akutlinje_scheduler::escalation::Outbox {
    let sender = akutlinje_bot::sender::MatrixSender::new(h.localizer().clone());
    sender.connected(bot.clone());
    akutlinje_scheduler::escalation::Outbox::new(
        db.store.clone(),
        vec![std::sync::Arc::new(sender)],
        "w",
    )
}

/// The default policies with the red and medium steps naming people, so the
/// test does not depend on today's rota.
fn policies_naming(primary: &str, backup: &str) -> String {
    include_str!("../../scheduler/policies.toml")
        .replacen(
            r#"{ tier = "primary", channels = ["matrix", "sms", "voice"], wait_minutes = 2 },"#,
            &format!(r#"{{ person = "{primary}", channels = ["matrix"], wait_minutes = 2 }},"#),
            1,
        )
        .replacen(
            r#"{ tier = "backup", channels = ["matrix", "sms", "voice"], wait_minutes = 2 },"#,
            &format!(r#"{{ person = "{backup}", channels = ["matrix"], wait_minutes = 2 }},"#),
            1,
        )
        .replacen(
            r#"{ tier = "primary", channels = ["matrix", "sms"], wait_minutes = 10 },"#,
            &format!(r#"{{ person = "{primary}", channels = ["matrix"], wait_minutes = 10 }},"#),
            1,
        )
}

fn kinds(events: &[akutlinje_core::record::CaseEvent]) -> Vec<&'static str> {
    events.iter().map(|e| e.event.kind.tag()).collect()
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
    let mallory_seen = Inbox::of(&mallory);
    let mroom = accept_invite(&mallory).await;
    sync(&mallory).await;
    for text in ["stue 12?", "hallo?"] {
        mroom
            .send(RoomMessageEventContent::text_plain(text))
            .await
            .expect("send");
    }
    mallory_seen.wait_for(&mallory, "Jeg kender dig ikke").await;
    let got = mallory_seen.bodies();
    for _ in 0..5 {
        sync(&mallory).await;
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

    // With the stranger in the room the flow stops: Anna's answer is not
    // taken, the bot says why in one line naming the stranger (never the
    // resident), and the record says the data was withheld.
    let case = db.store.cases(None, 1).await.expect("cases")[0].id;
    let inputs = |events: &[akutlinje_core::record::CaseEvent]| {
        events
            .iter()
            .filter(|e| {
                matches!(
                    e.event.kind,
                    akutlinje_core::record::EventKind::InputReceived { .. }
                )
            })
            .count()
    };
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
    let deadline = Instant::now() + Duration::from_secs(30);
    while room
        .members(matrix_sdk::RoomMemberships::ACTIVE)
        .await
        .map(|m| m.len())
        .unwrap_or(0)
        > 2
    {
        assert!(Instant::now() < deadline, "mallory never left");
        sync(&anna).await;
    }
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

/// A medium case over Matrix from "akut" to the physician's decision: typed
/// answers, reactions as numbered answers, a voice note, the page by DM, ✅ on
/// the page, advice relayed, the decision by command — and the record.
#[tokio::test]
async fn a_medium_case_from_akut_to_the_physicians_decision() {
    use akutlinje_core::escalation::EscalationState;
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
    let dirs = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let anna = logged_in(&s, "anna", dirs.0.path()).await;
    let staff = Inbox::of(&anna);
    let lund = logged_in(&s, "lund", dirs.1.path()).await;
    let doc = Inbox::of(&lund);
    let room = room_with_bot(&db, &anna, &bot, &bot_id).await;

    // Who is on call, from the staff room.
    room.send(RoomMessageEventContent::text_plain("!vagt"))
        .await
        .expect("send");
    let oncall = staff.wait_for(&anna, "Vagt nu – Akutlæge").await;
    assert!(
        oncall.body.contains("primary: Mette Lund (til ")
            || oncall.body.contains("primary: Jonas Berg (til "),
        "{oncall:?}"
    );

    let root = open_case(&room, &anna, &staff).await;
    in_thread(&room, &root, "14").await;
    let flags = staff.wait_for(&anna, "faresignaler").await;
    assert!(flags.body.contains("7. nej, ingen af dem"), "{flags:?}");
    // A tap on 7️⃣ (the bot put the numbers there) answers "none".
    let flags_reaction = react(&room, &flags.event_id, "7️⃣").await;
    staff.wait_for(&anna, "Respirationsfrekvens").await;
    // A voice note in the thread is stored with the case.
    let voice = b"OggS\x00\x02 not really opus, but bytes the bot must keep".to_vec();
    let file = anna
        .upload_encrypted_file(&mut voice.as_slice())
        .await
        .expect("upload");
    let mut audio = matrix_sdk::ruma::events::room::message::AudioMessageEventContent::encrypted(
        "Lydbesked".into(),
        file,
    );
    let mut info = matrix_sdk::ruma::events::room::message::AudioInfo::new();
    info.mimetype = Some("audio/ogg".into());
    info.duration = Some(Duration::from_millis(4200));
    audio.info = Some(Box::new(info));
    let mut content = RoomMessageEventContent::new(MessageType::Audio(audio));
    content.relates_to = Some(Relation::Thread(Thread::plain(root.clone(), root.clone())));
    let voice_event = room.send(content).await.expect("voice").response.event_id;
    staff.wait_for(&anna, "Lydbeskeden er gemt i sagen.").await;
    for (answer, next) in [
        ("22", "Iltmætning"),
        ("95 %", "Får beboeren ilt"),
        ("nej", "Blodtryk"),
        ("BT 125/80", "Puls"),
        ("puls 98", "Bevidsthed"),
    ] {
        in_thread(&room, &root, answer).await;
        staff.wait_for(&anna, next).await;
    }
    let cons = staff.wait_for(&anna, "Bevidsthed").await;
    react(&room, &cons.event_id, "1️⃣").await;
    staff.wait_for(&anna, "Temperatur").await;
    // A reaction on an old, answered question changes nothing.
    react(&room, &flags.event_id, "3️⃣").await;
    for (answer, next) in [
        ("38,9", "Beskriv kort"),
        (
            "Feber og hoste siden i aftes, mere træt end vanligt",
            "mest bekymret",
        ),
        ("spring over", "Vagtlægen kaldes"),
    ] {
        in_thread(&room, &root, answer).await;
        staff.wait_for(&anna, next).await;
    }
    assert!(
        !staff.bodies().iter().any(|b| b.contains("112 NU")),
        "no 112 advice in a medium case"
    );
    let case = db.store.cases(None, 1).await.expect("cases")[0].id;

    // The escalation pages dr-lund over Matrix.
    let esc = escalator(&db, &h, &policies_naming("dr-lund", "dr-berg"));
    let now = chrono::Utc::now();
    assert_eq!(esc.tick(now).await.expect("tick"), 1);
    outbox(&db, &h, &bot).tick(now).await.expect("outbox");
    let dm = accept_invite(&lund).await;
    let page = doc.wait_for(&lund, "hastegrad GUL").await;
    assert!(
        page.body.contains("S – Situation: Feber og hoste"),
        "{page:?}"
    );
    // ✅ on the page acknowledges it; staff are told.
    sync(&lund).await;
    react(&dm, &page.event_id, "✅").await;
    doc.wait_for(&lund, "Kvitteret.").await;
    staff
        .wait_for(&anna, "Vagtlæge Mette Lund har kvitteret")
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
        "Giv 1 g paracetamol og sørg for væske. Ring igen, hvis RF over 25.",
    ))
    .await
    .expect("advice");
    staff
        .wait_for(
            &anna,
            "Råd fra vagtlæge Mette Lund: Giv 1 g paracetamol og sørg for væske. Ring igen, hvis RF over 25.",
        )
        .await;
    dm.send(RoomMessageEventContent::text_plain("!beslutning"))
        .await
        .expect("ask for the list");
    let list = doc.wait_for(&lund, "Hvad er din beslutning?").await;
    assert!(
        list.body.contains("6. Ses an / behandles på plejecentret"),
        "{list:?}"
    );
    dm.send(RoomMessageEventContent::text_plain(
        "!beslutning 6 Ny måling kl. 6",
    ))
    .await
    .expect("decide");
    doc.wait_for(&lund, "Beslutning registreret: Ses an").await;
    staff
        .wait_for(
            &anna,
            "Vagtlæge Mette Lund har besluttet: Ses an / behandles på plejecentret.",
        )
        .await;

    the_matrix_record_holds_the_case(&db, case, &flags_reaction, &voice_event, &voice).await;
    running.stop().await;
    db.close().await;
}

/// The record of the medium Matrix case, event by event: every input once
/// with its Matrix event id (a reaction is an answer like any other), the
/// voice note byte for byte, the page, the acknowledgement and the decision.
async fn the_matrix_record_holds_the_case(
    db: &crate::common::Db,
    case: akutlinje_core::ids::CaseId,
    flags_reaction: &OwnedEventId,
    voice_event: &OwnedEventId,
    voice: &[u8],
) {
    use akutlinje_core::escalation::Disposition;
    use akutlinje_core::record::EventKind;
    let events = db.store.events(case).await.expect("events");
    let k = kinds(&events);
    let inputs = events
        .iter()
        .filter(|e| matches!(e.event.kind, EventKind::InputReceived { .. }))
        .count();
    // 14, 7️⃣, 22, 95 %, nej, BT, puls, 1️⃣, 38,9, situation, spring over.
    assert_eq!(inputs, 11, "{k:?}");
    assert_eq!(k[0], "case_opened");
    let mut ids: Vec<&str> = events
        .iter()
        .filter_map(|e| e.event.external_id.as_deref())
        .collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "every Matrix event recorded once");
    // The tap on 7️⃣ is an answer like any other, stored with the reaction's id.
    assert!(
        events.iter().any(|e| e.event.external_id.as_deref()
            == Some(flags_reaction.as_str())
            && matches!(&e.event.kind, EventKind::InputReceived { text, .. } if text.as_str() == "7")),
        "{k:?}"
    );
    assert!(events.iter().any(
        |e| matches!(&e.event.kind, EventKind::RedFlagsAnswered { flags } if flags.is_empty())
    ));
    let audio = events
        .iter()
        .find_map(|e| match &e.event.kind {
            EventKind::AudioAttached {
                attachment,
                mime,
                bytes,
                duration_ms,
            } => Some((e, *attachment, mime.clone(), *bytes, *duration_ms)),
            _ => None,
        })
        .expect("the voice note is in the record");
    assert_eq!(
        audio.0.event.external_id.as_deref(),
        Some(voice_event.as_str())
    );
    assert_eq!(
        (audio.2.as_str(), audio.3, audio.4),
        ("audio/ogg", voice.len() as u64, Some(4200))
    );
    let stored = db
        .store
        .attachment(audio.1)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(stored.data, voice, "decrypted and kept byte for byte");
    assert_eq!(stored.case, case);
    let tail: Vec<&str> = k
        .iter()
        .copied()
        .filter(|t| !t.starts_with("notification_"))
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    assert_eq!(
        tail,
        [
            "page_sent",
            "page_acknowledged",
            "note",
            "disposition_recorded"
        ],
        "{k:?}"
    );
    let last = events.last().expect("events");
    assert!(
        matches!(
            &last.event.kind,
            EventKind::DispositionRecorded { disposition: Disposition::WatchAtHome, advice: Some(a) } if a.as_str() == "Ny måling kl. 6"
        ),
        "{:?}",
        last.event.kind
    );
    assert_eq!(
        last.event.author.person.as_ref().map(|p| p.as_str()),
        Some("dr-lund")
    );
    assert!(k.contains(&"notification_delivered"), "{k:?}");
}

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
    let anna = db
        .store
        .person(&"anna".parse().expect("id"))
        .await
        .expect("read")
        .expect("anna");
    let home = db
        .store
        .home(&"solgaarden".parse().expect("id"))
        .await
        .expect("read")
        .expect("home");
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
        escalator(&db, &h, include_str!("../../scheduler/policies.toml")),
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

    // Bound to Birkely by mistake: Anna (Solgården) opens no case there.
    let wrong = anna.create_dm(bot_user).await.expect("room");
    bind(&db, wrong.room_id(), "birkely").await;
    bot_joined(&bot, wrong.room_id()).await;
    sync(&anna).await;
    wrong
        .send(RoomMessageEventContent::text_plain("akut"))
        .await
        .expect("send");
    staff.wait_for(&anna, "hører til Plejecenter Birkely").await;
    // Not encrypted: no case either.
    use matrix_sdk::ruma::api::client::room::create_room::v3::Request as CreateRoom;
    let mut req = CreateRoom::new();
    req.invite = vec![bot_user.to_owned()];
    let plain = anna.create_room(req).await.expect("room");
    bind(&db, plain.room_id(), "solgaarden").await;
    bot_joined(&bot, plain.room_id()).await;
    sync(&anna).await;
    plain
        .send(RoomMessageEventContent::text_plain("akut"))
        .await
        .expect("send");
    staff.wait_for(&anna, "ikke krypteret").await;
    assert!(db.store.cases(None, 10).await.expect("cases").is_empty());

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
    let home_room = loop {
        sync(&lund).await;
        if let Some(r) = lund.get_room(room.room_id()) {
            if r.state() == matrix_sdk::RoomState::Invited {
                r.join().await.expect("join");
            }
            if r.state() == matrix_sdk::RoomState::Joined {
                break r;
            }
        }
    };
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

    // A new device of Anna's that nobody signed: the bot's next message in
    // the room is not decryptable there, while her signed device reads it.
    let unsigned = logged_in_unsigned(&s, "anna", dirs[2].path()).await;
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
    staff.wait_for(&anna, "Læg ham i aflåst sideleje").await;
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
