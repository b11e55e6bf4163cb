//! Every read access-logged; rooms bound to homes over the API.

use super::*;

/// Every read of a resident's data through the API is in the access log
/// with who, which resident, which case and which channel: the case list
/// (it names residents), the record, the printable page; a staff member
/// asking for another home's case leaves a `denied` entry. Admins get the
/// log of one resident as JSON or CSV; nobody else does.
#[tokio::test]
async fn every_api_read_is_access_logged_and_admins_get_the_residents_log() {
    use akutlinje_core::record::AccessAction;
    let app = spawn(Db::sqlite().await).await;
    let store = app.db.store.clone();
    let anna = app.db.person("anna").await;
    let home = app.db.home("solgaarden").await;
    let case = CaseId::from_uuid(uuid::Uuid::new_v4());
    let started = Utc::now();
    app.hotline
        .open_case(case, &anna, &home, Channel::Console, Lang::Da, Utc::now())
        .await
        .expect("open");
    app.hotline
        .input(case, &anna, Channel::Console, "14", None, Utc::now())
        .await
        .expect("input");
    let poul: akutlinje_core::ids::ResidentId = "sol-14".parse().expect("id");
    let entries = |who: &'static str, detail: Option<&'static str>| {
        let store = store.clone();
        let poul = poul.clone();
        async move {
            store
                .access_log_of(&poul, None, None)
                .await
                .expect("log")
                .into_iter()
                .filter(|e| {
                    e.person.as_ref().map(|p| p.as_str()) == Some(who)
                        && e.case == Some(case)
                        && e.channel == Some(Channel::Api)
                        && (detail.is_none() || e.detail.as_deref() == detail)
                })
                .map(|e| e.action)
                .collect::<Vec<_>>()
        }
    };
    // The list names residents: a read per listed case.
    let r = app.get("/api/v1/cases", Some("dr-lund")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let listed: Vec<serde_json::Value> = r.json().await.expect("json");
    assert_eq!(listed[0]["resident"], "sol-14");
    assert_eq!(
        entries("dr-lund", Some("case_list")).await,
        [AccessAction::Read]
    );
    // The record and the printable page.
    assert_eq!(
        app.get(&format!("/api/v1/cases/{case}"), Some("dr-lund"))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/api/v1/cases/{case}/print"), Some("dr-lund"))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        entries("dr-lund", Some("print")).await,
        [AccessAction::Read]
    );
    assert_eq!(entries("dr-lund", None).await.len(), 3);
    // Bo works at Birkely: refused as if the case did not exist, and logged.
    let r = app.get(&format!("/api/v1/cases/{case}"), Some("bo")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(entries("bo", None).await, [AccessAction::Denied]);

    the_residents_log_is_for_admins(&app, case, started).await;
}

/// Coordinators and admins bind Matrix rooms to homes over the API; staff
/// and physicians may not; a home's rooms are listed for whoever may read
/// the home; a bad room id names the problem.
#[tokio::test]
async fn rooms_are_bound_to_homes_by_coordinators_over_the_api() {
    let app = spawn(Db::sqlite().await).await;
    let body = r#"{"room_id": "!abcdef:matrix.region.dk"}"#;
    let path = "/api/v1/homes/solgaarden/rooms";
    for who in ["anna", "dr-lund"] {
        assert_eq!(
            app.post(path, Some(who), body, "application/json")
                .await
                .status(),
            StatusCode::FORBIDDEN,
            "{who}"
        );
    }
    let r = app
        .post(path, Some("karin"), body, "application/json")
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let bound: serde_json::Value = r.json().await.expect("json");
    assert_eq!(bound["home"], "solgaarden");
    assert_eq!(bound["bound_by"], "karin");
    let r = app
        .post(
            path,
            Some("karin"),
            r##"{"room_id": "#alias:x"}"##,
            "application/json",
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("room_id"));
    assert_eq!(
        app.post(
            "/api/v1/homes/nowhere/rooms",
            Some("karin"),
            body,
            "application/json"
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
    // Anna sees her home's rooms, not Birkely's.
    let rooms: Vec<serde_json::Value> = app
        .get(path, Some("anna"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(rooms.len(), 1);
    assert_eq!(
        app.get("/api/v1/homes/birkely/rooms", Some("anna"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let all: Vec<serde_json::Value> = app
        .get("/api/v1/rooms", Some("admin"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(all.len(), 1);
    let r = app
        .http
        .delete(format!(
            "{}/api/v1/rooms/%21abcdef%3Amatrix.region.dk",
            app.base
        ))
        .bearer_auth(app.db.token("karin"))
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(app
        .db
        .store
        .home_rooms(None)
        .await
        .expect("rooms")
        .is_empty());
}

/// The resident's access log: for admins only, as JSON and CSV, with its
/// filters and refusals.
async fn the_residents_log_is_for_admins(app: &App, case: CaseId, started: chrono::DateTime<Utc>) {
    for who in ["anna", "dr-lund", "karin"] {
        let r = app
            .get("/api/v1/access-log?resident=sol-14", Some(who))
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who}");
    }
    let r = app
        .get("/api/v1/access-log?resident=sol-14", Some("admin"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let lines: Vec<serde_json::Value> = r.json().await.expect("json");
    let mine: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["case"] == case.to_string())
        .collect();
    assert!(mine.len() >= 5, "{mine:?}");
    assert!(mine.iter().any(|l| l["person"] == "dr-lund"
        && l["name"] == "Mette Lund"
        && l["role"] == "physician"
        && l["channel"] == "api"));
    assert!(mine
        .iter()
        .any(|l| l["person"] == "bo" && l["action"] == "denied"));
    // Staff's own look-up at the keyboard is there too.
    assert!(mine
        .iter()
        .any(|l| l["person"] == "anna" && l["channel"] == "console"));
    let r = app
        .get(
            &format!(
                "/api/v1/access-log?resident=sol-14&format=csv&from={}",
                (started - chrono::Duration::seconds(1))
                    .to_rfc3339()
                    .replace('+', "%2B")
            ),
            Some("admin"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .expect("ct")
        .starts_with("text/csv"));
    let csv = r.text().await.expect("csv");
    let mut rows = csv.lines();
    assert_eq!(
        rows.next(),
        Some("at,at_local,person,name,role,action,channel,case,detail")
    );
    assert!(rows.count() >= 5, "{csv}");
    // An interval that holds nothing, an unknown resident, a bad format.
    let r = app
        .get(
            "/api/v1/access-log?resident=sol-14&to=2000-01-01%2000:00",
            Some("admin"),
        )
        .await;
    assert_eq!(
        r.json::<Vec<serde_json::Value>>()
            .await
            .expect("json")
            .len(),
        0
    );
    assert_eq!(
        app.get("/api/v1/access-log?resident=nobody", Some("admin"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(
            "/api/v1/access-log?resident=sol-14&format=xml",
            Some("admin")
        )
        .await
        .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
}
