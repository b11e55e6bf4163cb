//! A crash costs seconds, not a minute: `akutlinje serve` is killed with
//! SIGKILL while it is sending voice pages for 20 phone cases (the carrier
//! accepted the calls and hangs), then started again on the same database.
//! Every page the dead process had claimed, or not reached, goes out within
//! 10 s of the restart; duplicates are bounded by the sends in flight.

use std::time::{Duration, Instant};

use crate::common::twilio::{FakeTwilio, Webhooks, ACCOUNT, HOTLINE, TOKEN};
use crate::common::{free_port, Serve};
use akutlinje_core::escalation::{NotificationStatus, NotifyChannel};
use akutlinje_core::ids::CaseId;

const ANNA: &str = "+4520000001";
const LUND: &str = "+4530000001";

async fn serve(db_url: &str, port: u16, fake: &str, policies: &std::path::Path) -> Serve {
    let dir = tempfile::tempdir().expect("dir");
    let serve = crate::common::serve(
        port,
        dir.path(),
        &[
            ("AKUTLINJE_DATABASE_URL", db_url.to_string()),
            ("AKUTLINJE_POLICIES", policies.display().to_string()),
            ("AKUTLINJE_TWILIO_ACCOUNT_SID", ACCOUNT.to_string()),
            ("AKUTLINJE_TWILIO_AUTH_TOKEN", TOKEN.to_string()),
            ("AKUTLINJE_TWILIO_FROM", HOTLINE.to_string()),
            (
                "AKUTLINJE_TWILIO_PUBLIC_URL",
                format!("http://127.0.0.1:{port}"),
            ),
            ("AKUTLINJE_TWILIO_API_BASE", fake.to_string()),
            ("AKUTLINJE_PHONE_PIN", "off".to_string()),
        ],
    )
    .await;
    std::mem::forget(dir);
    serve
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_kill_9_the_claimed_voice_pages_go_out_within_seconds_of_the_restart() {
    let db = crate::common::Db::sqlite().await;
    for (id, phone) in [("anna", ANNA), ("dr-lund", LUND)] {
        let mut p = db
            .store
            .person(&id.parse().expect("id"))
            .await
            .expect("read")
            .expect("demo person");
        p.phone = Some(akutlinje_core::phone::PhoneNumber::parse(phone).expect("a phone number"));
        db.store.upsert_person(&p).await.expect("phone");
    }
    // Red pages call Dr. Lund, whatever today's rota says.
    let policies = tempfile::NamedTempFile::new().expect("file");
    let one_step = |u: &str| {
        format!(
            "[[policy]]\nurgency = \"{u}\"\nrepeats = 0\nalert_tier = \"coordinator\"\n\
             steps = [ {{ person = \"dr-lund\", channels = [\"voice\"], wait_minutes = 30 }} ]\n\n"
        )
    };
    let text: String = ["red", "high", "medium", "low", "routine"]
        .iter()
        .map(|u| one_step(u))
        .collect();
    std::fs::write(policies.path(), text).expect("policies");
    let fake = FakeTwilio::start().await;
    fake.hang_calls(true);
    let port = free_port();
    let first = serve(&db.url, port, &fake.url, policies.path()).await;
    let hooks = Webhooks::new(format!("http://127.0.0.1:{port}"));
    // Twenty red-flag calls.
    let mut calls = Vec::new();
    for i in 0..20 {
        let sid = format!("CA{:032}", 7000 + i);
        let base = [
            ("CallSid", sid.as_str()),
            ("AccountSid", ACCOUNT),
            ("From", ANNA),
            ("To", HOTLINE),
        ];
        let (s, b) = hooks.post("/twilio/voice/incoming", &base).await;
        assert_eq!(s, 200, "{b}");
        for (n, digits) in [(1, "14"), (2, "3")] {
            let mut p = base.to_vec();
            p.push(("Digits", digits));
            let (s, b) = hooks.post(&format!("/twilio/voice/gather?n={n}"), &p).await;
            assert_eq!(s, 200, "{b}");
        }
        calls.push(sid);
    }
    let mut cases = Vec::new();
    for sid in &calls {
        cases.push(
            db.store
                .call(sid)
                .await
                .expect("read")
                .and_then(|c| c.case)
                .expect("a case"),
        );
    }
    let page_calls = |fake: &FakeTwilio| {
        fake.requests()
            .into_iter()
            .filter(|q| q.path.ends_with("/Calls.json") && q.get("To") == Some(LUND))
            .count()
    };
    // The carrier holds the first sends; the rest wait their turn.
    let deadline = Instant::now() + Duration::from_secs(20);
    while page_calls(&fake) < 8 {
        assert!(
            Instant::now() < deadline,
            "only {} page calls in flight",
            page_calls(&fake)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let in_flight = page_calls(&fake);
    let voice = |store: std::sync::Arc<dyn akutlinje_core::store::Store>, case: CaseId| async move {
        store
            .notifications(case)
            .await
            .expect("read")
            .into_iter()
            .filter(|n| n.new.channel == NotifyChannel::Voice)
            .collect::<Vec<_>>()
    };
    let mut sent_before = 0;
    for c in &cases {
        sent_before += voice(db.store.clone(), *c)
            .await
            .iter()
            .filter(|n| n.status == NotificationStatus::Sent)
            .count();
    }
    assert_eq!(sent_before, 0, "nothing was answered before the crash");

    // kill -9, the carrier answers again, start again.
    drop(first);
    fake.hang_calls(false);
    let restarted = Instant::now();
    let _second = serve(&db.url, free_port(), &fake.url, policies.path()).await;
    let deadline = restarted + Duration::from_secs(10);
    loop {
        let mut pending = 0;
        for c in &cases {
            pending += voice(db.store.clone(), *c)
                .await
                .iter()
                .filter(|n| n.status != NotificationStatus::Sent)
                .count();
        }
        if pending == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{pending} voice pages still not sent 10 s after the restart"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let took = restarted.elapsed();
    let total = page_calls(&fake);
    eprintln!(
        "all 20 voice pages sent {:.1} s after the restart; {in_flight} were in flight at the kill, \
         the carrier saw {total} page calls in all ({} repeated)",
        took.as_secs_f64(),
        total - 20
    );
    assert!(
        total <= 20 + in_flight,
        "duplicates are bounded by the sends in flight: {total}"
    );
    db.close().await;
}
