//! Video when words are not enough: a per-case room with an unguessable
//! name, a personal link in the physician's page and for staff on request,
//! and who opened it in the record.

use crate::common::{AppOptions, Db, TestApp};
use akutlinje_core::escalation::NotificationKind;
use akutlinje_core::i18n::{Lang, Localizer};
use akutlinje_core::ids::CaseId;
use akutlinje_core::record::{Channel, EventKind};
use akutlinje_core::service::{ServiceError, Via};
use akutlinje_scheduler::escalation::{Escalator, Policies};
use chrono::Utc;
use std::sync::Arc;

const TEMPLATE: &str = "https://meet.jit.si/akutlinje-{room}";

#[tokio::test]
async fn the_page_and_staff_get_personal_links_to_one_room_and_opening_is_recorded() {
    let db = Db::sqlite().await;
    let app = TestApp::spawn_with(
        &db,
        AppOptions {
            video: Some(TEMPLATE),
            ..Default::default()
        },
    )
    .await;
    let h = &app.hotline;
    let anna = db.person("anna").await;
    let home = db.home("solgaarden").await;
    let now = Utc::now();
    let case = CaseId::from_uuid(uuid::Uuid::new_v4());
    h.open_case(case, &anna, &home, Channel::Matrix, Lang::Da, now)
        .await
        .expect("open");
    for a in ["14", "3"] {
        h.input(case, &anna, Channel::Matrix, a, None, now)
            .await
            .expect("input");
    }
    let loc = Arc::new(Localizer::builtin().expect("texts"));
    let esc = Escalator::new(
        db.store.clone(),
        Policies::default_policies().expect("policies"),
        "akutlaege".parse().expect("id"),
        h.checklist().clone(),
        loc,
        "w1",
    )
    .with_video(h.video().cloned());
    esc.tick(now).await.expect("page");
    let page = db
        .store
        .notifications(case)
        .await
        .expect("notifications")
        .into_iter()
        .find(|n| n.new.kind == NotificationKind::Page)
        .expect("a page");
    let line = page
        .new
        .text
        .lines()
        .find(|l| l.starts_with("Video (hvis ord ikke er nok): http://video.test/v/"))
        .unwrap_or_else(|| panic!("{}", page.new.text))
        .to_string();
    let doctor_token = line.rsplit('/').next().expect("token").to_string();
    assert_eq!(doctor_token.len(), 32);
    // Staff ask for video: their own link, to the same room.
    let staff_link = h
        .offer_video(
            case,
            &anna,
            Via::from(Channel::Matrix),
            uuid::Uuid::new_v4(),
            now,
        )
        .await
        .expect("offer")
        .expect("configured");
    let staff_token = staff_link.rsplit('/').next().expect("token").to_string();
    assert_ne!(staff_token, doctor_token);
    let events = db.events(case).await;
    let rooms: Vec<String> = events
        .iter()
        .filter_map(|e| match &e.event.kind {
            EventKind::VideoOffered { url, .. } => Some(url.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(rooms.len(), 2, "offered to the physician and to anna");
    assert_eq!(rooms[0], rooms[1], "one room per case");
    let room = rooms[0]
        .strip_prefix("https://meet.jit.si/akutlinje-")
        .expect("the template");
    assert_eq!(room.len(), 32);
    assert!(room.chars().all(|c| c.is_ascii_hexdigit()));
    assert!(!rooms[0].contains(&doctor_token) && !rooms[0].contains(&staff_token));
    // Staff of another home get nothing.
    let bo = db.person("bo").await;
    assert!(matches!(
        h.offer_video(
            case,
            &bo,
            Via::from(Channel::Matrix),
            uuid::Uuid::new_v4(),
            now
        )
        .await,
        Err(ServiceError::UnknownCase)
    ));
    // Opening a link: recorded with who, then on to the room.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let r = http
        .get(format!("{}/v/{doctor_token}", app.base))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers().get("location").and_then(|v| v.to_str().ok()),
        Some(rooms[0].as_str())
    );
    let opened: Vec<(Option<String>, Option<String>)> = db
        .events(case)
        .await
        .iter()
        .filter_map(|e| match &e.event.kind {
            EventKind::VideoOpened { person } => Some((
                person.as_ref().map(|p| p.to_string()),
                e.event.author.person.as_ref().map(|p| p.to_string()),
            )),
            _ => None,
        })
        .collect();
    let berg_or_lund = opened[0].0.clone().expect("a person");
    assert!(berg_or_lund.starts_with("dr-"), "{opened:?}");
    assert_eq!(opened[0].1, opened[0].0, "the opener is the author");
    // Guessing gets nothing: a made-up token, or not a token at all.
    for bad in [
        "0123456789abcdef0123456789abcdef",
        "x",
        "not-a-token-at-all",
    ] {
        let r = http
            .get(format!("{}/v/{bad}", app.base))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), reqwest::StatusCode::NOT_FOUND, "{bad}");
    }
    // A second case has a room of its own.
    let other = CaseId::from_uuid(uuid::Uuid::new_v4());
    h.open_case(other, &anna, &home, Channel::Matrix, Lang::Da, now)
        .await
        .expect("open");
    h.offer_video(
        other,
        &anna,
        Via::from(Channel::Matrix),
        uuid::Uuid::new_v4(),
        now,
    )
    .await
    .expect("offer");
    let other_room = db
        .events(other)
        .await
        .iter()
        .find_map(|e| match &e.event.kind {
            EventKind::VideoOffered { url, .. } => Some(url.clone()),
            _ => None,
        });
    assert!(other_room.is_some_and(|r| r != rooms[0]));
}
