//! The API contract (`/api/v1/openapi.json`) checked by tools nobody here
//! wrote, from PyPI: `openapi-spec-validator` says it is valid OpenAPI 3.1,
//! and `schemathesis` fuzzes every operation with each demo role's token
//! against a server holding real cases: no 5xx, and every answer (status,
//! content type, headers, body) as the contract says.

use super::*;
use std::process::Command;

/// The venv's bin directory (installed once by scripts/openapi-venv.sh).
fn tools() -> std::path::PathBuf {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/openapi-venv.sh");
    let out = Command::new("bash")
        .arg(script)
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("run scripts/openapi-venv.sh");
    assert!(out.status.success(), "installing the OpenAPI tools failed");
    String::from_utf8_lossy(&out.stdout).trim().into()
}

/// Every route of `/api/v1`, as `METHOD path`.
const OPERATIONS: [&str; 23] = [
    "GET /api/v1/access-log",
    "GET /api/v1/cases",
    "GET /api/v1/cases/{id}",
    "POST /api/v1/cases/{id}/ack",
    "POST /api/v1/cases/{id}/decline",
    "POST /api/v1/cases/{id}/disposition",
    "GET /api/v1/cases/{id}/fhir",
    "POST /api/v1/cases/{id}/notes",
    "GET /api/v1/cases/{id}/print",
    "POST /api/v1/cases/{id}/readback",
    "POST /api/v1/cases/{id}/remeasure",
    "GET /api/v1/homes/{home}/alternatives",
    "PUT /api/v1/homes/{home}/alternatives",
    "GET /api/v1/homes/{home}/rooms",
    "POST /api/v1/homes/{home}/rooms",
    "GET /api/v1/oncall",
    "GET /api/v1/residents",
    "POST /api/v1/residents",
    "GET /api/v1/residents/{id}",
    "GET /api/v1/rooms",
    "DELETE /api/v1/rooms/{room}",
    "GET /api/v1/rotas/gaps",
    "POST /api/v1/scores/news2",
];

/// What schemathesis checks of every answer (its `--checks`).
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
response_schema_conformance,response_headers_conformance,ignored_auth";

async fn contract(app: &App) -> serde_json::Value {
    let resp = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(resp.status(), StatusCode::OK, "served without a token");
    resp.json().await.expect("JSON")
}

#[tokio::test]
async fn the_contract_is_valid_openapi_3_1_and_describes_every_route() {
    let app = spawn(Db::sqlite().await).await;
    let spec = contract(&app).await;
    assert_eq!(spec["openapi"], "3.1.0");

    let mut operations: Vec<String> = spec["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("a path item")
                .keys()
                .filter(|m| ["get", "put", "post", "delete", "patch"].contains(&m.as_str()))
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .collect();
    operations.sort();
    let mut expected: Vec<String> = OPERATIONS.iter().map(|s| s.to_string()).collect();
    expected.push("POST /api/v1/scores/tobs".into());
    expected.sort();
    assert_eq!(operations, expected);

    // Every operation needs the token, and says what its errors look like.
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            assert_eq!(
                op["security"],
                serde_json::json!([{ "bearer": [] }]),
                "{method} {path}"
            );
            for status in ["401", "403", "404", "422", "503"] {
                assert_eq!(
                    op["responses"][status]["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{method} {path} {status}"
                );
            }
        }
    }
    // The record's events are described kind by kind (47 today).
    let kinds: Vec<String> = spec["components"]["schemas"]["EventKind"]["oneOf"]
        .as_array()
        .expect("EventKind is one of its kinds")
        .iter()
        .map(|k| {
            k["properties"]["kind"]["enum"][0]
                .as_str()
                .unwrap_or("?")
                .to_string()
        })
        .collect();
    assert!(kinds.len() >= 47, "{} event kinds described", kinds.len());
    for kind in [
        "case_opened",
        "isbar_composed",
        "page_acknowledged",
        "transcribed",
        "remeasure_assessed",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }

    // The command line prints the same contract, without a database.
    let (code, stdout, stderr) = crate::common::cli(None, &["openapi"]);
    assert_eq!(code, 0, "{stderr}");
    let printed: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(
        printed, spec,
        "`akutlinje openapi` is what the service serves"
    );

    // A validator nobody here wrote agrees it is OpenAPI 3.1.
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&spec).expect("json")).expect("write");
    let out = Command::new(tools().join("openapi-spec-validator"))
        .arg(&file)
        .output()
        .expect("run openapi-spec-validator");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // (It prints the whole document with an error: its first lines say what.)
    let short: String = text.chars().take(800).collect();
    assert!(out.status.success(), "openapi-spec-validator: {short}");
    assert!(text.contains("OK"), "{text}");
    eprintln!("openapi-spec-validator: {}", text.trim());

    // A contract it refuses is refused: the validator can fail.
    let mut broken = spec.clone();
    broken["paths"]["/api/v1/cases/{id}"]["get"]["parameters"][0]["in"] = "body".into();
    std::fs::write(&file, serde_json::to_vec(&broken).expect("json")).expect("write");
    let out = Command::new(tools().join("openapi-spec-validator"))
        .arg(&file)
        .output()
        .expect("run openapi-spec-validator");
    assert!(
        !out.status.success(),
        "a parameter `in: body` must be refused"
    );
    app.db.close().await;
}

/// Gives parameters of the contract the ids of real things (`(path
/// prefix, parameter, value)`), so that schemathesis reads real records and
/// rotas, not only 404s, besides what it invents.
fn with_examples(mut spec: serde_json::Value, ids: &[(&str, &str, &str)]) -> serde_json::Value {
    let paths = spec["paths"].as_object_mut().expect("paths");
    for (path, item) in paths.iter_mut() {
        for op in item.as_object_mut().expect("item").values_mut() {
            let Some(params) = op.get_mut("parameters").and_then(|p| p.as_array_mut()) else {
                continue;
            };
            for p in params {
                for (prefix, name, value) in ids {
                    if path.starts_with(prefix) && p["name"] == *name {
                        p["example"] = (*value).into();
                    }
                }
            }
        }
    }
    spec
}

#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_answer_outside_the_contract_for_any_role() {
    let app = spawn(Db::sqlite().await).await;
    // Real cases from several channels: their records hold most kinds of
    // event (vitals, urgency, ISBAR, page, voice note, transcript, decision).
    let mut cases = Vec::new();
    for (channel, red) in [(Channel::Twilio, false), (Channel::Matrix, true)] {
        cases.push(super::fhir::case_from(&app, channel, red).await);
    }
    let case = cases[0].to_string();
    let spec = with_examples(
        contract(&app).await,
        &[
            ("/api/v1/cases/", "id", &case),
            ("/api/v1/residents/", "id", "sol-12"),
            ("/api/v1/homes/", "home", "solgaarden"),
            ("/api/v1/oncall", "service", "akutlaege"),
            ("/api/v1/rotas/", "service", "akutlaege"),
            ("/api/v1/access-log", "resident", "sol-12"),
        ],
    );
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, serde_json::to_vec(&spec).expect("json")).expect("write");

    let bin = tools();
    let checks = std::env::var("AKUTLINJE_SCHEMATHESIS_CHECKS").unwrap_or_else(|_| CHECKS.into());
    let mut summary = Vec::new();
    for person in ["anna", "dr-lund", "karin", "admin"] {
        // Async: the server under test runs on this test's own runtime.
        let out = tokio::process::Command::new(bin.join("schemathesis"))
            .args(["run", file.to_str().expect("utf-8 path")])
            .args(["--url", &app.base])
            .args([
                "--header",
                &format!("Authorization: Bearer {}", app.db.token(person)),
            ])
            .args(["--checks", &checks])
            .args(["--max-examples", "25", "--seed", "17", "--no-color"])
            .args(["--request-timeout", "10"])
            .env("SCHEMATHESIS_HOOKS", "")
            .current_dir(dir.path())
            .output()
            .await
            .expect("run schemathesis");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let tail: String = text
            .lines()
            .rev()
            .take(12)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            out.status.success(),
            "schemathesis as {person} found problems:\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        summary.push(format!("as {person}:\n{tail}"));
    }
    eprintln!("{}", summary.join("\n"));

    // The checks bite: told that a case can only be `open`, schemathesis
    // finds the paged case the server answers with.
    let mut wrong = spec.clone();
    wrong["components"]["schemas"]["CaseStatus"]["enum"] = serde_json::json!(["open"]);
    std::fs::write(&file, serde_json::to_vec(&wrong).expect("json")).expect("write");
    let out = tokio::process::Command::new(bin.join("schemathesis"))
        .args(["run", file.to_str().expect("utf-8 path")])
        .args(["--url", &app.base])
        .args([
            "--header",
            &format!("Authorization: Bearer {}", app.db.token("dr-lund")),
        ])
        .args(["--checks", "response_schema_conformance"])
        .args([
            "--include-path",
            "/api/v1/cases/{id}",
            "--include-method",
            "GET",
        ])
        .args(["--max-examples", "5", "--seed", "17", "--no-color"])
        .current_dir(dir.path())
        .output()
        .await
        .expect("run schemathesis");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "a wrong contract passed:\n{text}");
    assert!(text.contains("Response violates schema"), "{text}");

    // The fuzzing read real records: their reads are in the access log.
    let reads = app
        .db
        .store
        .access_log_of(&"sol-12".parse().expect("id"), None, None)
        .await
        .expect("log");
    assert!(
        reads
            .iter()
            .any(|e| e.action == AccessAction::Read && e.channel == Some(Channel::Api)),
        "no API read of r-1001 was logged"
    );
    app.db.close().await;
}
