//! `akutlinje serve` with the SIP bridge, as an operator starts it: a nurse
//! calls, the process is killed with SIGKILL mid-checklist, and every
//! answer keyed before is in the record; started again, the case goes on by
//! another channel and the bridge answers calls again.

use std::time::{Duration, Instant};

use super::phone::{self, Phone};
use super::{ANNA, PIN};
use akutlinje_core::assessment::Answer;
use akutlinje_core::phone::PhoneNumber;
use chrono::Utc;

pub(super) use crate::common::{free_port as free_tcp, Serve};

async fn serve(db_url: &str, http: u16, sip: u16, dir: &std::path::Path) -> Serve {
    serve_with(
        db_url,
        http,
        sip,
        dir,
        &[("AKUTLINJE_SIP_TRUNK_PEERS", "127.0.0.1".to_string())],
    )
    .await
}

/// `akutlinje serve` with the SIP bridge on `sip`, and `env` besides.
pub(super) async fn serve_with(
    db_url: &str,
    http: u16,
    sip: u16,
    dir: &std::path::Path,
    env: &[(&str, String)],
) -> Serve {
    let mut all = vec![
        ("AKUTLINJE_DATABASE_URL", db_url.to_string()),
        ("AKUTLINJE_SIP_BIND", format!("127.0.0.1:{sip}")),
        ("AKUTLINJE_SIP_DIAL", "sip:{number}@127.0.0.1:9".to_string()),
        (
            "AKUTLINJE_SIP_PROMPT_CACHE",
            super::prompt_cache().display().to_string(),
        ),
    ];
    all.extend(env.iter().cloned());
    crate::common::serve(http, dir, &all).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_call_loses_no_answer_and_the_case_goes_on() {
    let db = crate::common::Db::sqlite().await;
    let mut anna = db.person("anna").await;
    anna.phone = Some(PhoneNumber::parse(ANNA).expect("number"));
    db.store.upsert_person(&anna).await.expect("phone");
    let hash = akutlinje::web::hash_password(PIN).expect("hash");
    db.store
        .set_person_pin(&anna.id, &hash, Utc::now())
        .await
        .expect("pin");
    let hotline = db.hotline();
    let dir = tempfile::tempdir().expect("dir");
    let quiet = phone::silence(dir.path(), 600);
    let (http, sip) = (free_tcp(), phone::free_port_pair());
    let first = serve(&db.url, http, sip, dir.path()).await;
    let mut nurse = Phone::start(ANNA, &quiet, false);
    nurse.dial(&format!("sip:akutlinje@127.0.0.1:{sip}"));
    assert!(
        nurse
            .wait_for("CALL_ESTABLISHED", Duration::from_secs(30))
            .await
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    nurse.keys(&format!("{PIN}#"));
    let deadline = Instant::now() + Duration::from_secs(30);
    let case = loop {
        if let Some(c) = db
            .store
            .cases(None, 1)
            .await
            .expect("cases")
            .into_iter()
            .next()
        {
            break c.id;
        }
        assert!(Instant::now() < deadline, "a case");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Room 14, no danger sign, RF 22 — each taken before the next.
    for keys in ["14#", "7#", "22#"] {
        let step = hotline.case_state(case).await.expect("state").step;
        nurse.keys(keys);
        let deadline = Instant::now() + Duration::from_secs(30);
        while hotline.case_state(case).await.expect("state").step == step {
            assert!(Instant::now() < deadline, "{keys} taken");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // SIGKILL, mid-call.
    drop(first);
    nurse.hangup();
    let state = hotline.case_state(case).await.expect("state");
    assert_eq!(state.resident.as_ref().map(|r| r.room.as_str()), Some("14"));
    assert_eq!(
        state.red_flags.as_deref(),
        Some(&[][..]),
        "no danger sign, kept"
    );
    assert!(
        matches!(state.vitals.resp_rate, Answer::Given(_)),
        "RF kept"
    );
    // Started again: the case goes on by another channel (a physician's
    // note through the API), and the bridge answers calls again.
    let _second = serve(&db.url, http, sip, dir.path()).await;
    let note = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{http}/api/v1/cases/{case}/notes"))
        .bearer_auth(db.token("karin"))
        .json(&serde_json::json!({"text": "Ringet tilbage til plejecentret efter nedbrud"}))
        .send()
        .await
        .expect("note");
    assert_eq!(note.status(), 201, "{:?}", note.text().await);
    let mut again = Phone::start(ANNA, &quiet, false);
    again.dial(&format!("sip:akutlinje@127.0.0.1:{sip}"));
    assert!(
        again
            .wait_for("CALL_ESTABLISHED", Duration::from_secs(30))
            .await,
        "the restarted bridge answers"
    );
    again.hangup();
}
