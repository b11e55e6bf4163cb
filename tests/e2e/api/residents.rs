//! Roles and homes; residents imported all or nothing.

use super::*;

async fn roles_and_homes(app: &App) {
    // Staff may not write residents: 403, whatever the body names.
    let r = app
        .post("/api/v1/residents", Some("anna"), "[]", "application/json")
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Staff see their own home's residents, and those reads are logged.
    let own: Vec<serde_json::Value> = app
        .get("/api/v1/residents", Some("anna"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(own.len(), 6);
    assert!(own.iter().all(|r| r["home"] == "solgaarden"));
    // Another home's resident looks exactly like one that does not exist.
    let other = app.get("/api/v1/residents/bir-12", Some("anna")).await;
    let missing = app.get("/api/v1/residents/nobody-here", Some("anna")).await;
    assert_eq!(
        (other.status(), missing.status()),
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    assert_eq!(
        other.text().await.expect("body"),
        missing.text().await.expect("body")
    );
    let log = app
        .db
        .store
        .access_log(Some(&"bir-12".parse().expect("id")), 5)
        .await
        .expect("log");
    assert_eq!(log.first().map(|e| e.action), Some(AccessAction::Denied));
    let r = app
        .get("/api/v1/residents?home=birkely", Some("anna"))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // A physician reads any home; the read is logged with who.
    let r = app.get("/api/v1/residents/bir-12", Some("dr-lund")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["decisions"][0]["kind"], "full_treatment");
    let log = app
        .db
        .store
        .access_log(Some(&"bir-12".parse().expect("id")), 5)
        .await
        .expect("log");
    assert_eq!(
        (log[0].action, log[0].person.as_ref().map(|p| p.as_str())),
        (AccessAction::Read, Some("dr-lund"))
    );
}

on_both!(roles_and_homes_on);

async fn roles_and_homes_on(db: Db) {
    let app = spawn(db).await;
    roles_and_homes(&app).await;
    app.db.close().await;
}

#[tokio::test]
async fn coordinators_import_all_or_nothing() {
    let app = spawn(Db::sqlite().await).await;
    let good = r#"[{"id":"sol-20","home":"solgaarden","room":"20","name":"Ny Beboer","baseline_cognition":"normal"}]"#;
    let r = app
        .post("/api/v1/residents", Some("karin"), good, "application/json")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.json::<serde_json::Value>().await.expect("json"),
        serde_json::json!({"created": 1, "updated": 0})
    );
    let csv =
        "id,home,room,name,treatment\nsol-21,solgaarden,21,Else,no_cpr\nsol-22,solgaarden,,Ib,\n";
    let r = app
        .post("/api/v1/residents", Some("admin"), csv, "text/csv")
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: serde_json::Value = r.json().await.expect("json");
    let problems = e["details"].as_array().expect("problems");
    assert!(
        problems
            .iter()
            .any(|p| p["line"] == 2 && p["field"] == "treatment_recorded_by"),
        "{e}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p["line"] == 3 && p["field"] == "room"),
        "{e}"
    );
    assert_eq!(
        app.get("/api/v1/residents/sol-21", Some("karin"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let unknown_home = r#"[{"id":"x-1","home":"nowhere","room":"1","name":"X"}]"#;
    let r = app
        .post(
            "/api/v1/residents",
            Some("karin"),
            unknown_home,
            "application/json",
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .expect("body")
        .contains("unknown home nowhere"));
}
