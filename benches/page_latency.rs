//! Page latency over Matrix: the time from the staff client sending the
//! answer that pages (a red flag) to the physician's client receiving the
//! page — through the bot, the checklist engine, the store, the escalation
//! scheduler, the outbox and an end-to-end encrypted DM — against the anchor:
//! a plain encrypted message between the same two clients through the same
//! Synapse, measured in the same run, interleaved case by case.
//!
//! Run: `cargo bench --bench page_latency` (AKUTLINJE_BENCH_CASES=N, default
//! 200). Needs Synapse: the bench installs it like the tests do
//! (`scripts/synapse-venv.sh`, or AKUTLINJE_SYNAPSE_PYTHON).
#![recursion_limit = "256"]

#[allow(dead_code)]
#[path = "../tests/e2e/common/synapse.rs"]
mod synapse;

use std::sync::Arc;
use std::time::{Duration, Instant};

use akutlinje_core::engine::Checklist;
use akutlinje_core::i18n::Localizer;
use akutlinje_core::service::Hotline;
use akutlinje_core::store::Store;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::ruma::events::relation::Thread;
use matrix_sdk::ruma::events::room::message::{
    MessageType, OriginalSyncRoomMessageEvent, Relation, RoomMessageEventContent,
};
use matrix_sdk::ruma::{OwnedEventId, UserId};
use matrix_sdk::{Client, Room};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

struct Got {
    at: Instant,
    body: String,
}

/// A logged-in client that syncs on its own and reports every text message.
async fn client(
    s: &synapse::Synapse,
    user: &str,
    dir: &std::path::Path,
) -> (Client, UnboundedReceiver<Got>) {
    let c = Client::builder()
        .homeserver_url(&s.url)
        .sqlite_store(dir, Some("bench store passphrase"))
        .build()
        .await
        .expect("client");
    c.matrix_auth()
        .login_username(user, "password-123")
        .await
        .expect("login");
    c.sync_once(SyncSettings::default())
        .await
        .expect("first sync");
    synapse::cross_sign(&c, user, "password-123").await;
    let (tx, rx) = unbounded_channel();
    c.add_event_handler(move |ev: OriginalSyncRoomMessageEvent| {
        let tx = tx.clone();
        async move {
            if let MessageType::Text(t) = ev.content.msgtype {
                let _ = tx.send(Got {
                    at: Instant::now(),
                    body: t.body,
                });
            }
        }
    });
    let c2 = c.clone();
    tokio::spawn(async move {
        loop {
            if c2
                .sync_once(SyncSettings::default().timeout(Duration::from_secs(30)))
                .await
                .is_err()
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            for r in c2.invited_rooms() {
                let _ = r.join().await;
            }
        }
    });
    (c, rx)
}

async fn wait(rx: &mut UnboundedReceiver<Got>, needle: &str) -> Instant {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(g)) if g.body.contains(needle) => return g.at,
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => panic!("never received {needle:?}"),
        }
    }
}

async fn in_thread(room: &Room, root: &OwnedEventId, text: &str) {
    let mut c = RoomMessageEventContent::text_plain(text);
    c.relates_to = Some(Relation::Thread(Thread::plain(root.clone(), root.clone())));
    room.send(c).await.expect("send");
}

async fn dm_with(from: &Client, to: &str) -> Room {
    let room = from
        .create_dm(<&UserId>::try_from(to).expect("id"))
        .await
        .expect("DM");
    room
}

/// The stages of a page, as the case's record times them.
const STAGES: [&str; 5] = [
    "staff client sends «3» → the bot has it in the record (Synapse → bot sync)",
    "answer in the record → page requested (checklist, store)",
    "page requested → escalation step fired (scheduler wake-up)",
    "step fired → page delivered to Synapse (outbox, encryption, send)",
    "delivered → the physician's client has it (Synapse → physician sync)",
];

/// How long each stage of the newest case's page took: the record's own
/// times (`at` of the answer, the page request, the step, the delivery)
/// between the staff client's send (`t0`) and the physician's receipt
/// (`total_ms` after it).
async fn where_it_went(
    store: &Arc<dyn Store>,
    t0: chrono::DateTime<chrono::Utc>,
    total_ms: f64,
) -> [f64; 5] {
    use akutlinje_core::record::EventKind;
    let case = store.cases(None, 1).await.expect("cases")[0].id;
    let events = store.events(case).await.expect("events");
    let at = |pick: &dyn Fn(&EventKind) -> bool| {
        events
            .iter()
            .rev()
            .find(|e| pick(&e.event.kind))
            .map(|e| e.event.at)
            .unwrap_or(t0)
    };
    let answered =
        at(&|k| matches!(k, EventKind::InputReceived { text, .. } if text.as_str() == "3"));
    let requested = at(&|k| matches!(k, EventKind::PageRequested { .. }));
    let fired = at(&|k| matches!(k, EventKind::PageSent { .. }));
    let delivered = at(&|k| matches!(k, EventKind::NotificationDelivered { .. }));
    let ms = |a: chrono::DateTime<chrono::Utc>, b: chrono::DateTime<chrono::Utc>| {
        (b - a).num_microseconds().unwrap_or(0) as f64 / 1000.0
    };
    let received = t0 + chrono::Duration::microseconds((total_ms * 1000.0) as i64);
    [
        ms(t0, answered),
        ms(answered, requested),
        ms(requested, fired),
        ms(fired, delivered),
        ms(delivered, received),
    ]
}

#[tokio::main]
async fn main() {
    let cases: usize = std::env::var("AKUTLINJE_BENCH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let s = synapse::Synapse::start().await;
    let bot_id = s.register("akutbot", "password-123").await;
    s.register("anna", "password-123").await;
    let lund_id = s.register("lund", "password-123").await;

    let db = akutlinje_store::testing::sqlite().await;
    let store: Arc<dyn Store> = Arc::new(db.store.clone());
    akutlinje::demo::seed(&store).await.expect("demo data");
    for (id, mxid) in [("anna", "@anna:localhost"), ("dr-lund", "@lund:localhost")] {
        let mut p = store
            .person(&id.parse().expect("id"))
            .await
            .expect("read")
            .expect("demo person");
        p.matrix_user = Some(mxid.into());
        store.upsert_person(&p).await.expect("map");
    }
    let loc = Arc::new(Localizer::builtin().expect("texts"));
    let def = Arc::new(Checklist::builtin_acute(&loc).expect("checklist"));
    let wake = Arc::new(tokio::sync::Notify::new());
    let hotline = Hotline::new(store.clone(), def.clone(), loc.clone()).on_escalation_change({
        let wake = wake.clone();
        Arc::new(move || wake.notify_one())
    });

    // The bot and the scheduler, as `serve` runs them.
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().expect("dir")).collect();
    let cfg = akutlinje_bot::BotConfig {
        homeserver: s.url.clone(),
        user: "akutbot".into(),
        password: "password-123".into(),
        store_dir: dirs[0].path().join("bot"),
        store_passphrase: "bench bot passphrase".into(),
        recovery_key_file: None,
    };
    let bot = akutlinje_bot::connect(&cfg).await.expect("bot");
    let roster = Arc::new(akutlinje::oncall::RotaRoster::new(
        store.clone(),
        "akutlaege".parse().expect("id"),
    ));
    let ctx = akutlinje_bot::BotContext::new(hotline.clone(), roster, store.clone());
    tokio::spawn(akutlinje_bot::run(bot.clone(), ctx, std::future::pending()));
    // Every urgency pages dr-lund; nobody acknowledges, so steps wait an hour.
    let policies: String = ["red", "high", "medium", "low", "routine"]
        .iter()
        .map(|u| {
            format!(
                "[[policy]]\nurgency = \"{u}\"\nrepeats = 0\nalert_tier = \"coordinator\"\n\
                 steps = [ {{ person = \"dr-lund\", channels = [\"matrix\"], wait_minutes = 60 }} ]\n\n"
            )
        })
        .collect();
    let escalator = akutlinje_scheduler::escalation::Escalator::new(
        store.clone(),
        akutlinje_scheduler::escalation::Policies::parse(&policies).expect("policies"),
        "akutlaege".parse().expect("id"),
        def,
        loc.clone(),
        "bench",
    );
    let sender = akutlinje_bot::sender::MatrixSender::new(loc);
    sender.connected(bot.clone());
    let outbox = akutlinje_scheduler::escalation::Outbox::new(
        store.clone(),
        vec![Arc::new(sender)],
        "bench",
    );
    tokio::spawn(akutlinje_scheduler::escalation::run_woken(
        escalator,
        outbox,
        Arc::new(akutlinje_scheduler::escalation::SystemClock),
        Duration::from_secs(1),
        wake,
        std::future::pending(),
    ));

    let (anna, mut anna_rx) = client(&s, "anna", dirs[1].path()).await;
    let (_lund, mut lund_rx) = client(&s, "lund", dirs[2].path()).await;
    let to_bot = dm_with(&anna, &bot_id).await;
    // Bound to the home by an admin: the bot runs cases only in such rooms.
    store
        .bind_room(&akutlinje_core::person::HomeRoom {
            room: to_bot.room_id().as_str().parse().expect("room id"),
            home: "solgaarden".parse().expect("home"),
            bound_by: None,
            bound_at: chrono::Utc::now(),
        })
        .await
        .expect("bind");
    wait(&mut anna_rx, "Skriv «akut»").await;
    let to_lund = dm_with(&anna, &lund_id).await;
    // Warm-up: the first page creates the bot's DM with the physician.
    let mut page = Vec::with_capacity(cases);
    let mut plain = Vec::with_capacity(cases);
    let mut stages: Vec<[f64; 5]> = Vec::with_capacity(cases);
    eprintln!("page latency: {cases} red-flag cases, each against a plain message");
    for i in 0..=cases {
        let root = to_bot
            .send(RoomMessageEventContent::text_plain("akut"))
            .await
            .expect("send")
            .response
            .event_id;
        wait(&mut anna_rx, "Hvilken beboer").await;
        in_thread(&to_bot, &root, "14").await;
        wait(&mut anna_rx, "faresignaler").await;
        let (t0, t0_wall) = (Instant::now(), chrono::Utc::now());
        in_thread(&to_bot, &root, "3").await;
        let got = wait(&mut lund_rx, "kald, hastegrad").await;
        let p = got.duration_since(t0).as_secs_f64() * 1000.0;
        if i > 0 {
            stages.push(where_it_went(&store, t0_wall, p).await);
        }
        let t0 = Instant::now();
        let marker = format!("ping {i}");
        to_lund
            .send(RoomMessageEventContent::text_plain(marker.as_str()))
            .await
            .expect("send");
        let got = wait(&mut lund_rx, &marker).await;
        let m = got.duration_since(t0).as_secs_f64() * 1000.0;
        if i > 0 {
            page.push(p);
            plain.push(m);
        }
        if i % 20 == 0 {
            eprintln!("  {i}/{cases}");
        }
    }
    page.sort_by(f64::total_cmp);
    plain.sort_by(f64::total_cmp);
    let (pm, pp) = (percentile(&page, 0.5), percentile(&page, 0.99));
    let (mm, mp) = (percentile(&plain, 0.5), percentile(&plain, 0.99));
    println!("| path ({cases} cases, one run) | median ms | p99 ms |");
    println!("|---|---:|---:|");
    println!("| plain E2EE message, staff → physician (anchor) | {mm:.0} | {mp:.0} |");
    println!("| red-flag answer → page received by the physician | {pm:.0} | {pp:.0} |");
    println!("| ratio page / anchor | {:.2} | {:.2} |", pm / mm, pp / mp);
    println!();
    println!("Where a page's time goes (median of each stage, from the case's record; ms):");
    println!("| stage | median ms |");
    println!("|---|---:|");
    for (k, name) in STAGES.iter().enumerate() {
        let mut v: Vec<f64> = stages.iter().map(|s| s[k]).collect();
        v.sort_by(f64::total_cmp);
        println!("| {name} | {:.0} |", percentile(&v, 0.5));
    }
    drop(db);
    drop(s);
}
