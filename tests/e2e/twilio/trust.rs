//! Resident data on the phone only after a PIN, every read logged; a slow homeserver delays no SMS; the golden record.

use super::*;

/// On the phone the resident's card is a read when it is spoken, again when
/// Twilio repeats a webhook and the stored answer is replayed, and the
/// physician hearing the page's summary (with the room) is a read too.
#[tokio::test]
async fn spoken_cards_replays_and_heard_pages_are_access_logged() {
    use akutlinje_core::record::{AccessAction, Channel};
    let r = rig().await;
    let call = "CA00000000000000000000000000000800";
    r.call_in(call, ANNA).await;
    let first = r.keys(call, 1, "14").await;
    assert!(said(&first).contains("Poul"), "the card is spoken");
    let case = r.case_of(call).await;
    let poul: akutlinje_core::ids::ResidentId = "sol-14".parse().expect("id");
    let log = |r: &Rig| {
        let store = r.db.store.clone();
        let poul = poul.clone();
        async move { store.access_log_of(&poul, None, None).await.expect("log") }
    };
    let twilio_reads =
        |entries: &[akutlinje_core::record::AccessEntry], who: &str, detail: Option<&str>| {
            entries
                .iter()
                .filter(|e| {
                    e.case == Some(case)
                        && e.channel == Some(Channel::Twilio)
                        && e.person.as_ref().map(|p| p.as_str()) == Some(who)
                        && e.action == AccessAction::Read
                        && e.detail.as_deref() == detail
                })
                .count()
        };
    assert_eq!(twilio_reads(&log(&r).await, "anna", None), 1, "the look-up");
    // Twilio retries the webhook: the same answer, and a second read.
    let again = r.keys(call, 1, "14").await;
    assert_eq!(again, first);
    assert_eq!(twilio_reads(&log(&r).await, "anna", Some("replay")), 1);
    // A red flag pages Dr. Lund by voice; he picks up and hears the summary.
    r.keys(call, 2, "3").await;
    r.tick(Utc::now()).await;
    let placed = r
        .fake
        .requests()
        .into_iter()
        .find(|q| q.path.ends_with("/Calls.json"))
        .expect("a page call");
    let url = placed
        .get("Url")
        .expect("url")
        .strip_prefix(&r.hooks.base)
        .expect("ours")
        .to_string();
    let heard = r
        .hook(&url, &[("CallSid", "CA801"), ("AnsweredBy", "human")])
        .await;
    assert!(said(&heard).contains("værelse 14"), "{}", said(&heard));
    assert_eq!(twilio_reads(&log(&r).await, "dr-lund", Some("page")), 1);
    r.close().await;
}

/// Caller id is not proof: staff key a PIN before anything about a resident
/// is said. Three wrong PINs (or none set) put the caller through to the
/// physician on call without resident data; a home may share one PIN.
#[tokio::test]
async fn staff_key_a_pin_before_any_resident_data_and_help_is_never_blocked() {
    let r = rig().await;
    let no_resident = |xml: &str| {
        let s = said(xml);
        assert!(
            !s.contains("Karen")
                && !s.contains("Poul")
                && !s.contains("værelse")
                && !s.contains("Beboer"),
            "{s}"
        );
    };
    // The right number is not enough: the PIN first, nothing else.
    let call = "CA00000000000000000000000000000900";
    let t = r.ring(call, ANNA).await;
    assert!(
        said(&t).contains("Tast din personlige kode"),
        "{}",
        said(&t)
    );
    no_resident(&t);
    let gather = element(&check_twiml(&t), "Gather").expect("keys").1.clone();
    assert_eq!(gather.get("finishOnKey").map(String::as_str), Some("#"));
    assert!(r.db.store.cases(None, 10).await.expect("cases").is_empty());
    // Wrong twice, then wrong a third time: put through to the physician.
    let t = r.pin(call, 1, "1111").await;
    assert!(said(&t).contains("Koden var forkert"), "{}", said(&t));
    let t = r.pin(call, 2, "").await;
    assert!(said(&t).contains("Koden var forkert"), "{}", said(&t));
    let t = r.pin(call, 3, "9999").await;
    assert!(
        said(&t).contains("stilles nu om til vagtlægen"),
        "{}",
        said(&t)
    );
    no_resident(&t);
    let next = check_twiml(&t)
        .into_iter()
        .find(|(n, _, _)| n == "Redirect")
        .map(|(_, _, u)| u)
        .expect("redirect");
    let d = r
        .hook(
            next.strip_prefix(&r.hooks.base).expect("ours"),
            &[("CallSid", call)],
        )
        .await;
    let els = check_twiml(&d);
    let number = element(&els, "Number").expect("put through");
    assert!([LUND, BERG].contains(&number.2.as_str()), "{}", number.2);
    assert!(
        r.db.store.cases(None, 10).await.expect("cases").is_empty(),
        "no case, no resident data"
    );
    // Zero at the PIN: straight through, too.
    let call = "CA00000000000000000000000000000901";
    r.ring(call, ANNA).await;
    let t = r.pin(call, 1, "0").await;
    assert!(
        said(&t).contains("Du stilles om til vagtlægen"),
        "{}",
        said(&t)
    );
    // The right PIN opens the case.
    let call = "CA00000000000000000000000000000902";
    r.ring(call, ANNA).await;
    let t = r.pin(call, 1, PIN).await;
    assert!(
        said(&t).contains("Du ringer fra Plejecenter Solgården"),
        "{}",
        said(&t)
    );
    assert_eq!(r.db.store.cases(None, 10).await.expect("cases").len(), 1);
    // Bo (Birkely) has no PIN of his own and his home none: put through.
    let bo_phone = "+4520000002";
    let mut bo = r.db.person("bo").await;
    bo.phone = Some(PhoneNumber::parse(bo_phone).expect("a phone number"));
    r.db.store.upsert_person(&bo).await.expect("phone");
    let call = "CA00000000000000000000000000000903";
    r.ring(call, bo_phone).await;
    let t = r.pin(call, 1, "2468").await;
    assert!(said(&t).contains("ikke sat en kode op"), "{}", said(&t));
    no_resident(&t);
    // Birkely's shared PIN works for him.
    let hash = akutlinje::web::hash_password("2468").expect("hash");
    r.db.store
        .set_home_pin(&"birkely".parse().expect("id"), &hash, Utc::now())
        .await
        .expect("home pin");
    let call = "CA00000000000000000000000000000904";
    r.ring(call, bo_phone).await;
    let t = r.pin(call, 1, "2468").await;
    assert!(
        said(&t).contains("Du ringer fra Plejecenter Birkely"),
        "{}",
        said(&t)
    );
    r.close().await;
}

/// A homeserver that accepts the connection and never answers: the Matrix
/// page hangs (until its own timeout), and the SMS pages of the same red
/// steps still leave within a second of their step; nothing waits for Matrix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_homeserver_that_never_answers_delays_no_sms_page() {
    let r = rig().await;
    let matrix = akutlinje_bot::sender::MatrixSender::new(r.hotline.localizer().clone());
    matrix.connected(a_homeserver_that_never_answers().await);
    let mut lund = r.db.person("dr-lund").await;
    lund.matrix_user = Some("@lund:localhost".into());
    r.db.store.upsert_person(&lund).await.expect("matrix id");
    let policies = policies().replacen(
        r#"{ person = "dr-lund", channels = ["voice"], wait_minutes = 2 },"#,
        r#"{ person = "dr-lund", channels = ["matrix", "sms"], wait_minutes = 2 },"#,
        1,
    );
    let escalator = Escalator::new(
        r.db.store.clone(),
        Policies::parse(&policies).expect("policies"),
        "akutlaege".parse().expect("id"),
        r.hotline.checklist().clone(),
        r.hotline.localizer().clone(),
        "loop",
    );
    let outbox = Outbox::new(
        r.db.store.clone(),
        vec![
            Arc::new(matrix),
            Arc::new(r.tel.sms_sender()),
            Arc::new(r.tel.voice_sender()),
        ],
        "loop",
    );
    let wake = Arc::new(tokio::sync::Notify::new());
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(akutlinje_scheduler::escalation::run_woken(
        escalator,
        outbox,
        Arc::new(akutlinje_scheduler::escalation::SystemClock),
        std::time::Duration::from_millis(200),
        wake.clone(),
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        },
    ));
    // Five red-flag cases, one after the other, as staff would open them.
    let cases = five_red_flag_cases(&r, &wake).await;
    // Every SMS page left within a second of its step, while every Matrix
    // page of the same steps is still hanging.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let sms_to_lund = |r: &Rig| {
        r.fake
            .requests()
            .into_iter()
            .filter(|q| q.path.ends_with("/Messages.json") && q.get("To") == Some(LUND))
            .collect::<Vec<_>>()
    };
    while sms_to_lund(&r).len() < 5 {
        assert!(
            std::time::Instant::now() < deadline,
            "only {} SMS pages left",
            sms_to_lund(&r).len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let sms = sms_to_lund(&r);
    let mut lags = Vec::new();
    for case in &cases {
        let events = r.db.events(*case).await;
        let stepped = events
            .iter()
            .find(|e| matches!(e.event.kind, EventKind::PageSent { .. }))
            .expect("the step fired")
            .event
            .at;
        let code = akutlinje_telephony::case_code(*case);
        let sent = sms
            .iter()
            .find(|q| q.get("Body").is_some_and(|b| b.contains(&code)))
            .expect("the case's SMS")
            .at;
        lags.push((sent - stepped).num_milliseconds());
        let notes =
            r.db.store
                .notifications(*case)
                .await
                .expect("notifications");
        assert!(
            notes.iter().any(|n| n.new.channel == NotifyChannel::Matrix
                && n.status == akutlinje_core::escalation::NotificationStatus::Pending),
            "the Matrix page is still pending: {notes:?}"
        );
    }
    eprintln!("SMS page lag after its step (ms): {lags:?}");
    assert!(lags.iter().all(|l| *l < 1000), "{lags:?}");
    let _ = stop.send(true);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(20), task).await;
    r.close().await;
}

/// The golden record of a phone case: PIN, room, no red flag, vitals on the
/// keypad (a skip, a decimal, blood pressure with the star), a voice note,
/// the concern skipped, the page by SMS and its acknowledgement. Kept in
/// tests/fixtures/golden/phone.jsonl.
#[tokio::test]
async fn golden_record_of_a_phone_case() {
    let r = rig().await;
    let call = "CA00000000000000000000000000000950";
    let case = r
        .checklist_by_keys(
            call,
            "14",
            ["22", "*", "2", "125*80", "98", "1", "38*9"],
            "RE0950",
        )
        .await;
    r.tick(Utc::now()).await;
    let code = akutlinje_telephony::case_code(case);
    r.hook(
        "/twilio/sms/incoming",
        &[
            ("MessageSid", "SM950"),
            ("From", LUND),
            ("Body", &format!("OK {code}")),
        ],
    )
    .await;
    crate::common::golden::check("phone", &r.db.events(case).await);
    r.close().await;
}

/// A Matrix client logged in (by a made-up session) to a stand-in that
/// accepts connections, reads nothing and answers nothing.
async fn a_homeserver_that_never_answers() -> matrix_sdk::Client {
    use matrix_sdk::authentication::matrix::MatrixSession;
    let standin = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let standin_url = format!("http://{}", standin.local_addr().expect("addr"));
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = standin.accept().await {
            held.push(sock);
        }
    });
    let client = matrix_sdk::Client::builder()
        .homeserver_url(&standin_url)
        .build()
        .await
        .expect("client");
    let session: MatrixSession = serde_json::from_value(serde_json::json!({
        "user_id": "@akutbot:localhost",
        "device_id": "STANDIN",
        "access_token": "token",
    }))
    .expect("session");
    client.restore_session(session).await.expect("session");
    client
}

/// Five red-flag cases on the console, 300 ms apart, each waking the loop.
async fn five_red_flag_cases(r: &Rig, wake: &tokio::sync::Notify) -> Vec<CaseId> {
    use akutlinje_core::record::Channel;
    let anna = r.db.person("anna").await;
    let home = r.db.home("solgaarden").await;
    let mut cases = Vec::new();
    for _ in 0..5 {
        let case = CaseId::from_uuid(uuid::Uuid::new_v4());
        r.hotline
            .open_case(
                case,
                &anna,
                &home,
                Channel::Console,
                akutlinje_core::i18n::Lang::Da,
                Utc::now(),
            )
            .await
            .expect("open");
        for text in ["14", "3"] {
            r.hotline
                .input(case, &anna, Channel::Console, text, None, Utc::now())
                .await
                .expect("input");
        }
        wake.notify_one();
        cases.push(case);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    cases
}
