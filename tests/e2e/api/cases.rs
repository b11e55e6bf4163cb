//! A case's record as JSON and printable HTML; physicians' decisions and answers to pages.

use super::*;

#[tokio::test]
async fn a_case_record_as_json_and_as_printable_html() {
    let app = spawn(Db::sqlite().await).await;
    let store = app.db.store.clone();
    let anna = app.db.person("anna").await;
    let home = app.db.home("solgaarden").await;
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
    // Events read as Danish sentences, not kinds and JSON.
    assert!(html.contains("Sag oprettet fra"), "{html}");
    assert!(html.contains("Situation: &lt;script&gt;"), "{html}");
    assert!(
        html.contains(&format!("{} (plejepersonale)", anna.name)),
        "{html}"
    );
    for raw in ["situation_recorded", "case_opened", "{&quot;", "{\""] {
        assert!(!html.contains(raw), "{raw} in the printable record");
    }
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
async fn physicians_record_a_disposition_over_http() {
    let app = spawn(Db::sqlite().await).await;
    let store = app.db.store.clone();
    let anna = app.db.person("anna").await;
    let home = app.db.home("solgaarden").await;
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
    let anna = app.db.person("anna").await;
    let home = app.db.home("solgaarden").await;
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
    let berg = app.db.person("dr-berg").await;
    assert!(matches!(
        h.respond_to_page(case, &berg, Channel::Matrix, false, None, Utc::now())
            .await,
        Err(akutlinje_core::service::ServiceError::NotAllowed)
    ));
}

/// Re-measure orders and the read-back over HTTP: a physician orders (alone
/// or with the decision), staff of the case's home confirm; staff of another
/// home get the same 404 as a case that does not exist, other roles 403, a
/// wait outside 1 minute to a day 422 — and nothing is recorded for them.
#[tokio::test]
async fn remeasure_orders_and_the_read_back_over_http() {
    use akutlinje_core::record::EventKind;
    let app = spawn(Db::sqlite().await).await;
    let store = app.db.store.clone();
    let anna = app.db.person("anna").await;
    let home = app.db.home("solgaarden").await;
    let case = CaseId::from_uuid(uuid::Uuid::new_v4());
    app.hotline
        .open_case(case, &anna, &home, Channel::Matrix, Lang::Da, Utc::now())
        .await
        .expect("open");
    let order = format!("/api/v1/cases/{case}/remeasure");
    let json = "application/json";
    assert_eq!(
        app.post(&order, Some("anna"), r#"{"minutes":60}"#, json)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    for bad in [
        r#"{"minutes":0}"#,
        r#"{"minutes":2000}"#,
        r#"{"minutes":"en time"}"#,
    ] {
        let r = app.post(&order, Some("dr-lund"), bad, json).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let r = app
        .post(&order, Some("dr-lund"), r#"{"minutes":45}"#, json)
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: serde_json::Value = r.json().await.expect("json");
    assert!(
        v["due_at"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{v}"
    );
    let r = app
        .post(
            &format!("/api/v1/cases/{case}/disposition"),
            Some("dr-lund"),
            r#"{"disposition":"watch_at_home","advice":"Væske","remeasure_minutes":30}"#,
            json,
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let readback = format!("/api/v1/cases/{case}/readback");
    assert_eq!(
        app.post(&readback, Some("bo"), "", json).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(&readback, Some("dr-lund"), "", json)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(&readback, Some("anna"), "", json).await.status(),
        StatusCode::CREATED
    );
    let events = store.events(case).await.expect("events");
    let orders: Vec<u32> = events
        .iter()
        .filter_map(|e| match &e.event.kind {
            EventKind::RemeasureOrdered { minutes, .. } => Some(*minutes),
            _ => None,
        })
        .collect();
    assert_eq!(orders, vec![45, 30]);
    let confirmed: Vec<Option<&str>> = events
        .iter()
        .filter(|e| matches!(e.event.kind, EventKind::AdviceConfirmed))
        .map(|e| e.event.author.person.as_ref().map(|p| p.as_str()))
        .collect();
    assert_eq!(confirmed, vec![Some("anna")]);
    let ups = store.follow_ups(case).await.expect("follow-ups");
    let remeasure = ups
        .iter()
        .find(|f| f.kind == akutlinje_core::followup::FollowUpKind::Remeasure)
        .expect("the order runs");
    // The later order replaces the earlier one.
    assert!(remeasure.pending);
    assert_eq!(
        remeasure.due_at - remeasure.started_at,
        chrono::Duration::minutes(30)
    );
}

/// Municipal alternatives over HTTP: read by whoever may read the home (the
/// demo's are there), replaced by coordinators as CSV, TOML or JSON with
/// every problem named and nothing stored then; a decision for the
/// municipal acute team records whom staff are to call; the pilot figures
/// count it as kept out of hospital.
#[tokio::test]
async fn municipal_alternatives_over_http_and_in_the_record() {
    use akutlinje_core::escalation::Disposition;
    use akutlinje_core::record::EventKind;
    let app = spawn(Db::sqlite().await).await;
    let path = "/api/v1/homes/solgaarden/alternatives";
    let list: Vec<serde_json::Value> = app
        .get(path, Some("anna"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list[0]["name"], "Akutteam Solbakken Kommune");
    assert_eq!(list[0]["phone"], "+4587131313");
    // Staff of another home: 404, as for a home that does not exist.
    assert_eq!(
        app.get(path, Some("bo")).await.status(),
        StatusCode::NOT_FOUND
    );
    let csv = "home,kind,name,phone,hours,services\n\
        solgaarden,akutteam,Akutteam Vest,87 31 31 31,døgnet rundt,\"IV-væske, blodprøver\"\n";
    assert_eq!(
        app.put(path, Some("anna"), csv, "text/csv").await.status(),
        StatusCode::FORBIDDEN
    );
    let bad = "home,kind,name,phone,hours,services\n\
        solgaarden,lægevagt,X,87313131,altid,\n\
        birkely,akutteam,Y,12,altid,\n";
    let r = app.put(path, Some("karin"), bad, "text/csv").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.expect("body");
    assert!(
        body.contains("line 2: kind") && body.contains("line 3: phone"),
        "{body}"
    );
    let r = app.put(path, Some("karin"), csv, "text/csv").await;
    assert_eq!(r.status(), StatusCode::OK);
    let toml = "[[alternative]]\nhome = \"solgaarden\"\nkind = \"akutpladser\"\nname = \"Akutpladser Øst\"\nphone = \"+4587000000\"\nhours = \"kl. 8–22\"\n";
    let r = app.put(path, Some("karin"), toml, "application/toml").await;
    assert_eq!(r.status(), StatusCode::OK);
    let json = r#"[{"kind":"acute_team","name":"Akutteam Vest","phone":"87313131","hours":"døgnet rundt","services":"IV-væske"},{"kind":"acute_places","name":"","phone":"87","hours":"x"}]"#;
    let r = app.put(path, Some("karin"), json, "application/json").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.expect("body");
    assert!(
        body.contains("entry 2: name") && body.contains("entry 2: phone"),
        "{body}"
    );
    let r = app
        .put(
            path,
            Some("karin"),
            &json.replace(
                r#",{"kind":"acute_places","name":"","phone":"87","hours":"x"}"#,
                "",
            ),
            "application/json",
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let home: akutlinje_core::ids::HomeId = "solgaarden".parse().expect("id");
    let stored = app.db.store.alternatives(&home).await.expect("read");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].phone.e164(), "+4587313131");
    // The decision for the municipal acute team: the record says whom to call.
    let anna = app.db.person("anna").await;
    let lund = app.db.person("dr-lund").await;
    let h = app.db.home("solgaarden").await;
    let case = CaseId::from_uuid(uuid::Uuid::new_v4());
    app.hotline
        .open_case(case, &anna, &h, Channel::Matrix, Lang::Da, Utc::now())
        .await
        .expect("open");
    app.hotline
        .record_disposition(
            case,
            &lund,
            Channel::Api.into(),
            Disposition::MunicipalAcuteTeam,
            None,
            Utc::now(),
        )
        .await
        .expect("decide");
    let events = app.db.store.events(case).await.expect("events");
    assert!(events.iter().any(|e| matches!(&e.event.kind,
        EventKind::AlternativeAdvised { name, phone } if name.as_str() == "Akutteam Vest" && phone == "+4587313131")));
    let figures: Vec<_> = vec![(
        app.db.store.case(case).await.expect("read").expect("case"),
        events,
    )];
    let f = akutlinje_core::figures::PilotFigures::of(&figures);
    assert_eq!(f.kept_against_admitted(), (1, 0));
}
