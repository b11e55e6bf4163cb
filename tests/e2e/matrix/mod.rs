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
    crate::common::synapse::cross_sign(c, user, "password-123").await;
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
    let roster = std::sync::Arc::new(akutlinje::oncall::RotaRoster::new(
        db.store.clone(),
        "akutlaege".parse().expect("service"),
    ));
    sender.with_context(akutlinje_bot::BotContext::new(
        h.clone(),
        roster,
        db.store.clone(),
    ));
    akutlinje_scheduler::escalation::Outbox::new(
        db.store.clone(),
        vec![std::sync::Arc::new(sender)],
        "w",
    )
}

/// The default policies with the red and medium steps naming people, so the
/// test does not depend on today's rota.
fn policies_naming(primary: &str, backup: &str) -> String {
    include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scheduler/policies.toml"
    ))
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

mod escalation;
mod failover;
mod groundwork;
mod medium_case;
mod rooms;
mod staff;
