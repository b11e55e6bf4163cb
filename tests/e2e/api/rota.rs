//! Who is on call, gaps and calendar feeds over HTTP.

use super::*;

#[tokio::test]
async fn oncall_and_gaps_over_http() {
    let app = spawn(Db::sqlite().await).await;
    let r = app
        .get(
            "/api/v1/oncall?service=akutlaege&at=2026-11-24T03:00:00%2B01:00",
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = app
        .get(
            "/api/v1/oncall?service=akutlaege&at=2026-11-24T03:00:00%2B01:00",
            Some("anna"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["tiers"][0]["person"], "dr-berg");
    assert_eq!(v["tiers"][0]["start"], "2026-11-23T07:00:00Z");
    assert_eq!(v["tiers"][0]["end"], "2026-11-24T07:00:00Z");
    assert_eq!(
        app.get("/api/v1/oncall?service=nope", Some("anna"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let r = app
        .get("/api/v1/oncall?service=akutlaege&at=tomorrow", Some("anna"))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.get("/api/v1/rotas/gaps?service=akutlaege", Some("anna"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let r = app
        .get(
            "/api/v1/rotas/gaps?service=akutlaege&days=7&from=2026-11-23T00:00:00%2B01:00",
            Some("karin"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["tiers"][0]["uncovered_minutes"], 0);
    // Backup is open 08–16 every day: 7 × 8 h.
    assert_eq!(v["tiers"][1]["uncovered_minutes"], 7 * 8 * 60);
}

#[tokio::test]
async fn calendar_feeds_behind_revocable_token_urls() {
    use akutlinje_core::store::CalendarFeed;
    let app = spawn(Db::sqlite().await).await;
    let feed = CalendarFeed::Person("dr-lund".parse().expect("id"));
    let path = akutlinje::calendar::issue(&app.db.store, &feed)
        .await
        .expect("issue");
    let r = app.get(&path, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/calendar; charset=utf-8");
    let ics = r.text().await.expect("body");
    assert!(ics.starts_with("BEGIN:VCALENDAR"), "{ics}");
    assert!(
        ics.contains("SUMMARY:Vagt: Akutlæge\\, Region Sjælland (demo) – primary")
            || ics.contains("SUMMARY:Vagt: Akutlæge"),
        "{ics}"
    );
    assert!(
        !ics.contains("Jonas Berg"),
        "a person's feed holds only their own shifts"
    );
    let events = ics.matches("BEGIN:VEVENT").count();
    assert!(events > 20, "{events} events");
    // A guessed token gets nothing.
    assert_eq!(
        app.get("/calendar/akl_guess.ics", None).await.status(),
        StatusCode::NOT_FOUND
    );
    let service = akutlinje::calendar::issue(
        &app.db.store,
        &CalendarFeed::Service("akutlaege".parse().expect("id")),
    )
    .await
    .expect("issue");
    let ics = app.get(&service, None).await.text().await.expect("body");
    assert!(
        ics.contains("primary: Jonas Berg") && ics.contains("backup: Mette Lund"),
        "{ics}"
    );
    // Revoked: gone.
    assert_eq!(
        app.db
            .store
            .revoke_calendar_feeds(&feed, Utc::now())
            .await
            .expect("revoke"),
        1
    );
    assert_eq!(app.get(&path, None).await.status(), StatusCode::NOT_FOUND);
}
