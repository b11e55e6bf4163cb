//! The HTTP API over a real socket, on a real SQLite file (and PostgreSQL for
//! the access-control test), with the demo data.

use crate::common::{on_both, Db, TestApp};
use akutlinje_core::i18n::Lang;
use akutlinje_core::ids::CaseId;
use akutlinje_core::record::{AccessAction, Channel};
use akutlinje_core::service::Hotline;
use chrono::Utc;
use reqwest::StatusCode;

struct App {
    base: String,
    http: reqwest::Client,
    hotline: Hotline,
    db: Db,
}

async fn spawn(db: Db) -> App {
    let TestApp { base, hotline } = TestApp::spawn(&db).await;
    App {
        base,
        http: reqwest::Client::new(),
        hotline,
        db,
    }
}

impl App {
    async fn get(&self, path: &str, who: Option<&str>) -> reqwest::Response {
        let mut r = self.http.get(format!("{}{path}", self.base));
        if let Some(p) = who {
            r = r.bearer_auth(self.db.token(p));
        }
        r.send().await.expect("request")
    }

    async fn post(
        &self,
        path: &str,
        who: Option<&str>,
        body: &str,
        content_type: &str,
    ) -> reqwest::Response {
        let mut r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body.to_string());
        if let Some(p) = who {
            r = r.bearer_auth(self.db.token(p));
        }
        r.send().await.expect("request")
    }
}

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

#[tokio::test]
async fn a_case_record_as_json_and_as_printable_html() {
    let app = spawn(Db::sqlite().await).await;
    let store = app.db.store.clone();
    let anna = store
        .person(&"anna".parse().expect("id"))
        .await
        .expect("read")
        .expect("exists");
    let home = store
        .home(&"solgaarden".parse().expect("id"))
        .await
        .expect("read")
        .expect("exists");
    let case = CaseId::from_uuid(uuid::Uuid::new_v4());
    app.hotline
        .open_case(case, &anna, &home, Channel::Console, Lang::Da, Utc::now())
        .await
        .expect("open");
    for line in [
        "14",
        "nej",
        "ved ikke",
        "ved ikke",
        "ved ikke",
        "ved ikke",
        "ved ikke",
        "1",
        "ved ikke",
        "<script>alert(1)</script> falder",
        "ved ikke",
    ] {
        app.hotline
            .input(case, &anna, Channel::Console, line, None, Utc::now())
            .await
            .expect("input");
    }
    let v: serde_json::Value = app
        .get(&format!("/api/v1/cases/{case}"), Some("dr-lund"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["case"]["status"], "paged");
    assert_eq!(v["case"]["urgency"], "routine");
    let events = v["events"].as_array().expect("events");
    assert_eq!(events[0]["kind"]["kind"], "case_opened");
    assert!(
        events
            .iter()
            .all(|e| e["at"].as_str().is_some_and(|t| t.ends_with('Z'))),
        "UTC timestamps"
    );
    // Staff of another home: the same 404 as a case that does not exist.
    let r = app.get(&format!("/api/v1/cases/{case}"), Some("bo")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let cases: Vec<serde_json::Value> = app
        .get("/api/v1/cases", Some("bo"))
        .await
        .json()
        .await
        .expect("json");
    assert!(cases.is_empty());
    // The printable page escapes what staff typed.
    let r = app
        .get(&format!("/api/v1/cases/{case}/print"), Some("dr-lund"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .expect("ct")
        .starts_with("text/html"));
    let html = r.text().await.expect("body");
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; falder"));
    assert!(html.contains("HASTEGRAD BLÅ (rutine)"));
    // A correction is a new event pointing at the corrected one.
    let situation_seq = events
        .iter()
        .find(|e| e["kind"]["kind"] == "situation_recorded")
        .expect("situation")["seq"]
        .as_i64()
        .expect("seq");
    let r = app
        .post(
            &format!("/api/v1/cases/{case}/notes"),
            Some("anna"),
            &format!(r#"{{"text":"Faldt ikke, gled ned af stolen","corrects":{situation_seq}}}"#),
            "application/json",
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let after: serde_json::Value = app
        .get(&format!("/api/v1/cases/{case}"), Some("dr-lund"))
        .await
        .json()
        .await
        .expect("json");
    let last = after["events"]
        .as_array()
        .expect("events")
        .last()
        .cloned()
        .expect("last");
    assert_eq!(
        (last["kind"]["kind"].as_str(), last["corrects"].as_i64()),
        (Some("correction"), Some(situation_seq))
    );
    assert_eq!(
        after["events"].as_array().expect("events").len(),
        events.len() + 1
    );
    let r = app
        .post(
            &format!("/api/v1/cases/{case}/notes"),
            Some("anna"),
            r#"{"text":"x","corrects":999999}"#,
            "application/json",
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Reading the record is itself in the access log.
    let log = store
        .access_log(Some(&"sol-14".parse().expect("id")), 50)
        .await
        .expect("log");
    assert!(log
        .iter()
        .any(|e| e.person.as_ref().map(|p| p.as_str()) == Some("dr-lund") && e.case == Some(case)));
}

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

#[tokio::test]
async fn physicians_record_a_disposition_over_http() {
    let app = spawn(Db::sqlite().await).await;
    let store = app.db.store.clone();
    let anna = store
        .person(&"anna".parse().expect("id"))
        .await
        .expect("read")
        .expect("exists");
    let home = store
        .home(&"solgaarden".parse().expect("id"))
        .await
        .expect("read")
        .expect("exists");
    let case = CaseId::from_uuid(uuid::Uuid::new_v4());
    app.hotline
        .open_case(case, &anna, &home, Channel::Console, Lang::Da, Utc::now())
        .await
        .expect("open");
    let path = format!("/api/v1/cases/{case}/disposition");
    let body = r#"{"disposition":"ses_an","advice":"Væske og ny måling kl. 6"}"#;
    assert_eq!(
        app.post(&path, Some("anna"), body, "application/json")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let r = app
        .post(
            &path,
            Some("dr-lund"),
            r#"{"disposition":"måske"}"#,
            "application/json",
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("watch_at_home"));
    assert_eq!(
        app.post(&path, Some("dr-lund"), body, "application/json")
            .await
            .status(),
        StatusCode::CREATED
    );
    let events = store.events(case).await.expect("events");
    let d = events.iter().find_map(|e| match &e.event.kind {
        akutlinje_core::record::EventKind::DispositionRecorded {
            disposition,
            advice,
        } => Some((disposition.as_str(), advice.as_ref().map(|a| a.to_string()))),
        _ => None,
    });
    assert_eq!(
        d,
        Some((
            "watch_at_home",
            Some("Væske og ny måling kl. 6".to_string())
        ))
    );
}

/// Acknowledging or declining a page over the API: only the physician the
/// case paged, or a coordinator taking it over (never declining), and the
/// record says which. Anyone else gets 403 and nothing is recorded.
#[tokio::test]
async fn only_the_paged_physician_or_a_coordinator_answers_a_page() {
    use akutlinje_core::escalation::{
        EscalationState, NewNotification, NotificationKind, NotifyChannel,
    };
    use akutlinje_core::record::EventKind;
    let app = spawn(Db::sqlite().await).await;
    let store = app.db.store.clone();
    let anna = store
        .person(&"anna".parse().expect("id"))
        .await
        .expect("read")
        .expect("exists");
    let home = store
        .home(&"solgaarden".parse().expect("id"))
        .await
        .expect("read")
        .expect("exists");
    let case = CaseId::from_uuid(uuid::Uuid::new_v4());
    let h = &app.hotline;
    h.open_case(case, &anna, &home, Channel::Console, Lang::Da, Utc::now())
        .await
        .expect("open");
    for text in ["14", "læge nu"] {
        h.input(case, &anna, Channel::Console, text, None, Utc::now())
            .await
            .expect("input");
    }
    // The escalation paged Dr. Lund (the row the scheduler would write).
    let page = NewNotification {
        case: Some(case),
        person: "dr-lund".parse().expect("id"),
        kind: NotificationKind::Page,
        channel: NotifyChannel::Log,
        fallback: vec![],
        text: "kald".into(),
        not_before: Utc::now(),
    };
    assert!(store
        .enqueue_once("page-lund", &[page], Utc::now())
        .await
        .expect("queue"));
    let post = |who: &'static str, what: &'static str| {
        let path = format!("/api/v1/cases/{case}/{what}");
        let app = &app;
        async move {
            app.post(&path, Some(who), "", "application/json")
                .await
                .status()
        }
    };
    // Not paged, not allowed: refused, nothing recorded.
    assert_eq!(post("dr-berg", "ack").await, StatusCode::FORBIDDEN);
    assert_eq!(post("dr-berg", "decline").await, StatusCode::FORBIDDEN);
    assert_eq!(post("anna", "ack").await, StatusCode::FORBIDDEN);
    assert_eq!(post("admin", "ack").await, StatusCode::FORBIDDEN);
    assert_eq!(post("karin", "decline").await, StatusCode::FORBIDDEN);
    let answers = |events: &[akutlinje_core::record::CaseEvent]| {
        events
            .iter()
            .filter_map(|e| match &e.event.kind {
                EventKind::PageAcknowledged { person, takeover } => {
                    Some(format!("ack:{person}:{takeover}"))
                }
                EventKind::PageDeclined { person } => Some(format!("decline:{person}")),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert!(answers(&store.events(case).await.expect("events")).is_empty());
    assert_eq!(
        store
            .escalation(case)
            .await
            .expect("read")
            .expect("esc")
            .state,
        EscalationState::Pending
    );
    // The coordinator takes it over: the escalation stops, the record says so.
    assert_eq!(post("karin", "ack").await, StatusCode::OK);
    assert_eq!(
        store
            .escalation(case)
            .await
            .expect("read")
            .expect("esc")
            .state,
        EscalationState::Acknowledged
    );
    // The paged physician may still acknowledge (late, recorded).
    assert_eq!(post("dr-lund", "ack").await, StatusCode::OK);
    assert_eq!(
        answers(&store.events(case).await.expect("events")),
        ["ack:karin:true", "ack:dr-lund:false"]
    );
    // The same rule on every channel: the service refuses an unpaged physician.
    let berg = store
        .person(&"dr-berg".parse().expect("id"))
        .await
        .expect("read")
        .expect("exists");
    assert!(matches!(
        h.respond_to_page(case, &berg, Channel::Matrix, false, None, Utc::now())
            .await,
        Err(akutlinje_core::service::ServiceError::NotAllowed)
    ));
}

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
    let anna = store
        .person(&"anna".parse().expect("id"))
        .await
        .expect("read")
        .expect("exists");
    let home = store
        .home(&"solgaarden".parse().expect("id"))
        .await
        .expect("read")
        .expect("exists");
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

    // The resident's log, for admins only.
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
