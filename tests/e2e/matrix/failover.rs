//! Two `akutlinje serve` instances on one PostgreSQL database and one
//! Synapse: exactly one runs the Matrix bot (it holds the lease); the
//! holder is killed with `kill -9` mid-case, a staff message is written
//! while nobody runs the bot, and the other instance takes the bot over
//! within 30 s and answers that message once.

use super::*;
use crate::common::{free_port, Serve};

/// `akutlinje serve` with the Matrix bot, on `db_url`, the bot's store in
/// `bot_store` (shared by the instances, as on a shared volume).
async fn serve(s: &Synapse, db_url: &str, bot_store: &std::path::Path) -> Serve {
    let dir = tempfile::tempdir().expect("dir");
    let serve = crate::common::serve(
        free_port(),
        dir.path(),
        &[
            ("AKUTLINJE_DATABASE_URL", db_url.to_string()),
            ("AKUTLINJE_MATRIX_HOMESERVER", s.url.clone()),
            ("AKUTLINJE_MATRIX_USER", "akutbot".to_string()),
            ("AKUTLINJE_MATRIX_PASSWORD", "password-123".to_string()),
            (
                "AKUTLINJE_MATRIX_STORE_DIR",
                bot_store.display().to_string(),
            ),
            (
                "AKUTLINJE_MATRIX_STORE_PASSPHRASE",
                "bot store passphrase".to_string(),
            ),
        ],
    )
    .await;
    std::mem::forget(dir);
    serve
}

/// The worker id holding the bot's lease, once someone holds it.
async fn bot_holder(db: &crate::common::Db) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some((holder, until)) = db.store.lease_holder("matrix-bot").await.expect("lease") {
            if until > chrono::Utc::now() {
                return holder;
            }
        }
        assert!(Instant::now() < deadline, "nobody took the bot");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_other_instance_takes_the_bot_over_within_30_s_of_kill_9_and_answers_once() {
    let s = Synapse::start().await;
    let bot_id = s.register("akutbot", "password-123").await;
    s.register("anna", "password-123").await;
    let db = crate::common::Db::postgres().await;
    map_people(&db, &[("anna", "@anna:localhost")]).await;
    let shared = tempfile::tempdir().expect("dir");
    let bot_store = shared.path().join("bot");

    // The first instance logs the bot in and takes the role; the second
    // waits.
    let first = serve(&s, &db.url, &bot_store).await;
    let holder = bot_holder(&db).await;
    let second = serve(&s, &db.url, &bot_store).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(bot_holder(&db).await, holder, "the role stays where it is");

    let dir = tempfile::tempdir().expect("dir");
    let anna = logged_in(&s, "anna", dir.path()).await;
    let seen = Inbox::of(&anna);
    let room = anna
        .create_dm(<&UserId>::try_from(bot_id.as_str()).expect("id"))
        .await
        .expect("room");
    bind(&db, room.room_id(), "solgaarden").await;
    // The bot joins (the holder accepts the invite).
    let deadline = Instant::now() + Duration::from_secs(45);
    loop {
        sync(&anna).await;
        let joined = room
            .members(matrix_sdk::RoomMemberships::JOIN)
            .await
            .expect("members")
            .iter()
            .any(|m| m.user_id().as_str() == bot_id);
        if joined {
            break;
        }
        assert!(Instant::now() < deadline, "the bot never joined");
    }
    let root = open_case(&room, &anna, &seen).await;

    // kill -9 the holder mid-case; Anna answers meanwhile.
    let mut first = first;
    first.0.kill().expect("kill -9");
    let _ = first.0.wait();
    let killed = Instant::now();
    in_thread(&room, &root, "14").await;
    seen.wait_for(&anna, "Er der lige nu et af disse faresignaler?")
        .await;
    let took = killed.elapsed();
    assert!(took < Duration::from_secs(30), "taken over after {took:?}");
    let new_holder = bot_holder(&db).await;
    assert_ne!(new_holder, holder, "the other instance runs the bot now");
    eprintln!("kill -9 → the answer from the other instance: {took:?}");

    // Answered once; nothing answered before is answered again.
    for _ in 0..5 {
        sync(&anna).await;
    }
    let bodies = seen.bodies();
    let count = |needle: &str| bodies.iter().filter(|b| b.contains(needle)).count();
    assert_eq!(
        count("Er der lige nu et af disse faresignaler?"),
        1,
        "{bodies:?}"
    );
    assert_eq!(count("Hvilken beboer drejer det sig om?"), 1, "{bodies:?}");
    let case = db.store.cases(None, 1).await.expect("cases")[0].id;
    let events = db.store.events(case).await.expect("events");
    let inputs = events
        .iter()
        .filter(|e| {
            matches!(&e.event.kind, akutlinje_core::record::EventKind::InputReceived { text, .. } if text.as_str() == "14")
        })
        .count();
    assert_eq!(
        inputs,
        1,
        "the answer «14» recorded once: {:?}",
        kinds(&events)
    );
    drop(second);
    db.close().await;
}
