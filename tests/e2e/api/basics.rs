//! Health, scores over HTTP, and what no token gets.

use super::*;

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn(Db::sqlite().await).await;
    assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK);
    let r = app.get("/readyz", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.json::<serde_json::Value>().await.expect("json")["status"],
        "ready"
    );
}

#[tokio::test]
async fn scores_over_http_match_the_cli_example() {
    let app = spawn(Db::sqlite().await).await;
    let body = r#"{"resp_rate":24,"spo2":93,"spo2_scale":1,"oxygen":"no","systolic":110,"pulse":105,"consciousness":"A","temp":38.9}"#;
    let r = app
        .post(
            "/api/v1/scores/news2",
            Some("anna"),
            body,
            "application/json",
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["total"], 7);
    assert_eq!(v["band"], "high");
    assert_eq!(v["red_flag"], false);
    assert_eq!(v["monitoring"], "continuous");
    assert_eq!(v["subscores"]["resp_rate"], 2);
    assert_eq!(v["subscores"]["spo2"], 2);
    // Out of range: refused, naming the field and the range.
    let bad = body.replace("\"resp_rate\":24", "\"resp_rate\":150");
    let r = app
        .post(
            "/api/v1/scores/news2",
            Some("anna"),
            &bad,
            "application/json",
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: serde_json::Value = r.json().await.expect("json");
    assert_eq!(
        e["error"],
        "resp_rate: 150 is outside the accepted range 1–80 /min"
    );
    // Missing field.
    let r = app
        .post(
            "/api/v1/scores/news2",
            Some("anna"),
            r#"{"resp_rate":20}"#,
            "application/json",
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .expect("body")
        .contains("missing field `spo2`"));
    // TOBS with the gap value 130 closed upwards.
    let tobs =
        r#"{"resp_rate":16,"systolic":130,"pulse":130,"consciousness":"habitual","temp":"37,0"}"#;
    let v: serde_json::Value = app
        .post(
            "/api/v1/scores/tobs",
            Some("anna"),
            tobs,
            "application/json",
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (v["total"].as_u64(), v["subscores"]["pulse"].as_u64()),
        (Some(3), Some(3))
    );
}

#[tokio::test]
async fn no_token_is_401_and_reveals_nothing() {
    let app = spawn(Db::sqlite().await).await;
    for path in [
        "/api/v1/residents",
        "/api/v1/residents/sol-12",
        "/api/v1/residents/does-not-exist",
        "/api/v1/cases",
    ] {
        let r = app.get(path, None).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(
            r.text().await.expect("body"),
            r#"{"error":"missing or invalid API token"}"#,
            "{path}"
        );
    }
    let r = app
        .http
        .get(format!("{}/api/v1/residents/sol-12", app.base))
        .bearer_auth("akl_0000000000000000000000000000000000000000000000000000000000000000")
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = app
        .post("/api/v1/scores/news2", None, "{}", "application/json")
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}
