//! The FHIR R4 export of cases from every channel, validated by a FHIR
//! library nobody here wrote (`fhir.resources` 5.1.1 from PyPI, R4 4.0.1):
//! the API's `GET /api/v1/cases/{id}/fhir` and `akutlinje cases export`.

use super::*;
use akutlinje_core::escalation::Disposition;
use akutlinje_core::record::{Author, EventKind, NewEvent};
use akutlinje_core::service::Via;
use akutlinje_core::store::NewAttachment;
use std::process::Command;

fn python() -> String {
    if let Ok(p) = std::env::var("AKUTLINJE_FHIR_PYTHON") {
        return p;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/fhir-venv.sh");
    let out = Command::new("bash")
        .arg(script)
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("run scripts/fhir-venv.sh");
    assert!(out.status.success(), "installing fhir.resources failed");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Runs the validator on the files; its output (it must pass).
fn validate(files: &[std::path::PathBuf]) -> String {
    let (ok, text) = run_validator(files);
    assert!(ok, "{text}");
    text
}

/// Runs the validator; whether it passed, and its output.
fn run_validator(files: &[std::path::PathBuf]) -> (bool, String) {
    let out = Command::new(python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/fhir-validate.py"
        ))
        .args(files)
        .output()
        .expect("run the validator");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// A case as a channel makes it: a red flag or a full set of vitals, a
/// voice note with its machine transcript, the physician's decision and advice.
pub(super) async fn case_from(app: &App, channel: Channel, red: bool) -> CaseId {
    let anna = app.db.person("anna").await;
    let lund = app.db.person("dr-lund").await;
    let home = app.db.home("solgaarden").await;
    let case = CaseId::from_uuid(uuid::Uuid::new_v4());
    let now = Utc::now();
    app.hotline
        .open_case(case, &anna, &home, channel, Lang::Da, now)
        .await
        .expect("open");
    let answers: &[&str] = if red {
        &[
            "14",
            "hun har ondt i brystet",
            "ved ikke",
            "ved ikke",
            "ved ikke",
            "ved ikke",
            "ved ikke",
            "1",
            "ved ikke",
            "Trykken for brystet",
            "spring over",
        ]
    } else {
        &[
            "12",
            "nej",
            "22",
            "95",
            "nej",
            "125/80",
            "98",
            "2",
            "38,9",
            "Feber og hoste",
            "spring over",
        ]
    };
    for a in answers {
        app.hotline
            .input(case, &anna, channel, *a, None, now)
            .await
            .expect("input");
    }
    let (attachment, _) = app
        .hotline
        .attach_audio(
            case,
            &anna,
            channel,
            &NewAttachment {
                mime: "audio/wav".into(),
                data: vec![1, 2, 3, 4],
                external_id: None,
            },
            Some(4200),
            now,
        )
        .await
        .expect("audio");
    app.db
        .store
        .append_event(
            case,
            &NewEvent {
                at: now,
                author: Author::system(),
                channel: Channel::System,
                kind: EventKind::Transcribed {
                    attachment,
                    text: akutlinje_core::ids::Text::parse(
                        "t",
                        "Hun er mere forvirret end i går",
                        4000,
                    )
                    .expect("text"),
                    language: "da".into(),
                    model: "ggml-base.bin".into(),
                    audio_ms: 4200,
                    processing_ms: 900,
                },
                corrects: None,
                external_id: None,
            },
        )
        .await
        .expect("transcript");
    app.hotline
        .record_disposition(
            case,
            &lund,
            Via::from(channel),
            Disposition::WatchAtHome,
            Some("Væske og ny måling om en time"),
            now,
        )
        .await
        .expect("disposition");
    app.hotline
        .annotate(
            case,
            &lund,
            Via::from(channel),
            "Ring igen ved RF over 25",
            None,
            now,
        )
        .await
        .expect("advice");
    case
}

#[tokio::test]
async fn fhir_bundles_of_cases_from_every_channel_validate_as_r4() {
    let app = spawn(Db::sqlite().await).await;
    let dir = tempfile::tempdir().expect("dir");
    let mut files = Vec::new();
    let mut first = None;
    for (i, (channel, red)) in [
        (Channel::Matrix, false),
        (Channel::Twilio, true),
        (Channel::Sip, false),
        (Channel::Console, true),
        (Channel::Web, false),
    ]
    .into_iter()
    .enumerate()
    {
        let case = case_from(&app, channel, red).await;
        let r = app
            .get(&format!("/api/v1/cases/{case}/fhir"), Some("dr-lund"))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            r.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/fhir+json")
        );
        let v: serde_json::Value = r.json().await.expect("json");
        let path = dir.path().join(format!("case-{i}.json"));
        std::fs::write(&path, serde_json::to_vec_pretty(&v).expect("json")).expect("write");
        files.push(path);
        first.get_or_insert((case, v));
    }
    let out = validate(&files);
    assert_eq!(out.matches("valid R4 Bundle").count(), 5, "{out}");
    // What is in it, by code: the medium Matrix case.
    let (case, v) = first.expect("a case");
    let entries = v["entry"].as_array().expect("entries");
    let of = |t: &str| -> Vec<&serde_json::Value> {
        entries
            .iter()
            .map(|e| &e["resource"])
            .filter(|r| r["resourceType"] == t)
            .collect()
    };
    let loinc = |r: &serde_json::Value| {
        r["code"]["coding"][0]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let obs = of("Observation");
    let rr = obs
        .iter()
        .find(|o| loinc(o) == "9279-1")
        .expect("respiratory rate");
    assert_eq!(rr["valueQuantity"]["value"], 22.0);
    assert_eq!(rr["valueQuantity"]["code"], "/min");
    let temp = obs
        .iter()
        .find(|o| loinc(o) == "8310-5")
        .expect("temperature");
    assert_eq!(temp["valueQuantity"]["value"], 38.9);
    assert_eq!(temp["valueQuantity"]["code"], "Cel");
    let bp = obs
        .iter()
        .find(|o| loinc(o) == "85354-9")
        .expect("blood pressure");
    assert_eq!(bp["component"][0]["valueQuantity"]["value"], 125.0);
    assert_eq!(bp["component"][1]["valueQuantity"]["value"], 80.0);
    let news2 = obs
        .iter()
        .find(|o| o["code"]["text"] == "NEWS2")
        .expect("NEWS2");
    // RR 22 → 2, SpO2 95 → 1, pulse 98 → 1, new confusion → 3, 38,9 → 1.
    assert_eq!(news2["valueInteger"], 8);
    assert_eq!(
        of("Encounter")[0]["identifier"][0]["value"],
        case.to_string()
    );
    let advice: Vec<String> = of("Communication")
        .iter()
        .filter(|c| c["category"][0]["text"] == "advice")
        .map(|c| {
            c["payload"][0]["contentString"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(advice.len(), 2, "{advice:?}");
    assert!(
        advice[0].contains("Væske og ny måling om en time"),
        "{advice:?}"
    );
    let doc = &of("DocumentReference")[0];
    assert_eq!(doc["content"][0]["attachment"]["contentType"], "audio/wav");
    let transcript = &doc["content"][1]["attachment"];
    assert!(transcript["title"]
        .as_str()
        .is_some_and(|t| t.starts_with("Maskinel transskription (ggml-base.bin)")));
    assert!(doc["description"]
        .as_str()
        .is_some_and(|d| d.contains("lyden er kilden")));
    // A red flag case has a Flag per danger sign, and the treatment decisions.
    let red: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&files[1]).expect("read")).expect("json");
    let red_entries = red["entry"].as_array().expect("entries");
    assert!(red_entries
        .iter()
        .any(|e| e["resource"]["resourceType"] == "Flag"
            && e["resource"]["code"]["text"] == "Brystsmerter"));
    assert!(red_entries
        .iter()
        .any(|e| e["resource"]["resourceType"] == "Consent"));
    // The printable record shows the machine transcript under its audio,
    // marked as machine-made.
    let page = app
        .get(&format!("/api/v1/cases/{case}/print"), Some("dr-lund"))
        .await
        .text()
        .await
        .expect("page");
    let audio = page
        .find("Talebesked på 5 sekunder gemt")
        .expect("the audio");
    let machine = page
        .find("<div class=\"machine\">Maskinel transskription (talegenkendelse, kan indeholde fejl – lyden er kilden): «Hun er mere forvirret end i går»")
        .expect("the transcript, marked");
    assert!(audio < machine, "the transcript follows its audio");
    // The validator is not a rubber stamp: an Observation without its
    // status, or with an element R4 does not have, is refused.
    let mut broken = v.clone();
    if let Some(o) = broken["entry"].as_array_mut().and_then(|es| {
        es.iter_mut()
            .find(|e| e["resource"]["resourceType"] == "Observation")
    }) {
        o["resource"].as_object_mut().map(|m| m.remove("status"));
        o["resource"]["interpretationText"] = serde_json::json!("høj");
    }
    let bad = dir.path().join("broken.json");
    std::fs::write(&bad, serde_json::to_vec(&broken).expect("json")).expect("write");
    let (ok, text) = run_validator(&[bad]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("\"status\"") && text.contains("interpretationText"),
        "{text}"
    );
    // Another home's staff: the same 404 as no case at all.
    let r = app
        .get(&format!("/api/v1/cases/{case}/fhir"), Some("bo"))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Every export is an access-logged read.
    let log = app.db.store.access_log(None, 500).await.expect("log");
    assert!(log.iter().any(|e| e.case == Some(case)
        && e.detail.as_deref() == Some("fhir")
        && e.person.as_ref().map(|p| p.as_str()) == Some("dr-lund")));
}
