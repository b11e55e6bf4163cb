//! A medium case by phone, from the first ring to the physician in the conference.

use super::*;

#[tokio::test]
async fn a_medium_case_by_phone_from_the_first_ring_to_the_conference() {
    let r = rig().await;
    let call = "CA00000000000000000000000000000100";
    let case = medium_case_keys_through_the_checklist(&r, call).await;
    medium_case_voice_note_then_the_conference(&r, call, case).await;
    medium_case_the_physician_is_paged_and_answers(&r, call, case).await;
    medium_case_the_record_holds_the_call(&r, case).await;
    r.close().await;
}

/// Anna calls, keys room 12, no danger sign and the vital signs (a wrong
/// value, a silence); returns the case.
async fn medium_case_keys_through_the_checklist(r: &Rig, call: &str) -> CaseId {
    let first = r.call_in(call, ANNA).await;
    let s = said(&first);
    assert!(s.contains("Du ringer fra Plejecenter Solgården"), "{s}");
    assert!(s.contains("Tast beboerens værelsesnummer"), "{s}");
    let els = check_twiml(&first);
    let g = element(&els, "Gather").expect("a question");
    assert_eq!(g.1.get("finishOnKey").map(String::as_str), Some("#"));
    let case = r.case_of(call).await;

    // Room 12: the card (treatment level first) and the danger signs.
    let t = r.keys(call, 1, "12").await;
    let s = said(&t);
    assert!(s.contains("Karen Østergaard"), "{s}");
    assert!(s.contains("Behandlingsniveau"), "{s}");
    assert!(s.contains("Tast 3 for Brystsmerter"), "{s}");
    // Twilio retries the same webhook: the same answer, nothing twice.
    let before = r.db.events(case).await.len();
    let again = r.keys(call, 1, "12").await;
    assert_eq!(again, t);
    assert_eq!(r.db.events(case).await.len(), before);

    // No danger sign (7), then the vital signs by keypad.
    let t = r.keys(call, 2, "7").await;
    assert!(said(&t).contains("Respirationsfrekvens"), "{}", said(&t));
    r.keys(call, 3, "22").await;
    let t = r.keys(call, 4, "95").await;
    assert!(said(&t).contains("Tast 1 for ja"), "{}", said(&t));
    let els = check_twiml(&t);
    assert_eq!(
        element(&els, "Gather")
            .expect("gather")
            .1
            .get("numDigits")
            .map(String::as_str),
        Some("1")
    );
    r.keys(call, 5, "2").await;
    // A wrong value is explained and asked again; the case keeps its answers.
    let t = r.keys(call, 6, "999").await;
    assert!(said(&t).contains("skal være et tal fra"), "{}", said(&t));
    r.keys(call, 7, "125*80").await;
    r.keys(call, 8, "98").await;
    r.keys(call, 9, "1").await;
    // Silence: the question again, then on.
    let t = r
        .hook(
            "/twilio/voice/silence?n=10&tries=1",
            &[("CallSid", call), ("AccountSid", ACCOUNT)],
        )
        .await;
    assert!(said(&t).contains("Jeg hørte ikke noget"), "{}", said(&t));
    let t = r.keys(call, 10, "38*9").await;
    let els = check_twiml(&t);
    let rec = element(&els, "Record").expect("the situation is spoken");
    assert_eq!(rec.1.get("finishOnKey").map(String::as_str), Some("#0"));

    case
}

/// The situation as a voice note (stored once, though Twilio reports it
/// twice), the concern skipped: into the conference to wait.
async fn medium_case_voice_note_then_the_conference(r: &Rig, call: &str, case: CaseId) {
    // The voice note: Twilio posts the action, then the recording is ready.
    let rec_url = format!(
        "{}/2010-04-01/Accounts/{ACCOUNT}/Recordings/RE0001",
        r.fake.url
    );
    let t = r
        .hook(
            "/twilio/voice/record?n=11",
            &[
                ("CallSid", call),
                ("AccountSid", ACCOUNT),
                ("RecordingUrl", &rec_url),
                ("RecordingDuration", "7"),
                ("RecordingSid", "RE0001"),
                ("Digits", "#"),
            ],
        )
        .await;
    assert!(said(&t).contains("mest bekymret"), "{}", said(&t));
    for _ in 0..2 {
        r.hook(
            "/twilio/voice/recording",
            &[
                ("CallSid", call),
                ("AccountSid", ACCOUNT),
                ("RecordingSid", "RE0001"),
                ("RecordingUrl", &rec_url),
                ("RecordingStatus", "completed"),
                ("RecordingDuration", "7"),
            ],
        )
        .await;
    }
    let fetched = r
        .fake
        .requests()
        .into_iter()
        .filter(|q| q.method == "GET")
        .count();
    assert_eq!(fetched, 1, "fetched once, though Twilio said it twice");

    // The concern is skipped with *: the summary, the page, the conference.
    let t = r
        .hook(
            "/twilio/voice/record?n=12",
            &[
                ("CallSid", call),
                ("AccountSid", ACCOUNT),
                ("RecordingDuration", "0"),
                ("Digits", "*"),
            ],
        )
        .await;
    let els = check_twiml(&t);
    let conf = element(&els, "Conference").expect("into the conference");
    assert_eq!(conf.2, format!("akutlinje-{case}"));
    assert_eq!(
        conf.1.get("startConferenceOnEnter").map(String::as_str),
        Some("false")
    );
    assert!(conf
        .1
        .get("waitUrl")
        .is_some_and(|u| u.contains("/twilio/voice/wait")));
    assert!(said(&t).contains("Vagtlægen kaldes nu"), "{}", said(&t));
    r.hook(
        "/twilio/voice/status",
        &[
            ("CallSid", call),
            ("AccountSid", ACCOUNT),
            ("CallStatus", "in-progress"),
        ],
    )
    .await;
}

/// The physician gets an SMS without personal data and a call; they hear
/// the case without names, press 1 and join the caller.
async fn medium_case_the_physician_is_paged_and_answers(r: &Rig, call: &str, case: CaseId) {
    // Paging: medium is SMS by policy; the caller is on the phone, so the
    // physician is called as well.
    let t0 = Utc::now();
    r.tick(t0).await;
    let reqs = r.fake.requests();
    let sms = reqs
        .iter()
        .find(|q| q.path.ends_with("/Messages.json"))
        .expect("an SMS page");
    let body = sms.get("Body").expect("body");
    let code = akutlinje_telephony::case_code(case);
    assert!(
        body.contains(&format!("OK {code}")) && body.contains("Plejecenter Solgården"),
        "{body}"
    );
    assert!(
        !body.contains("Karen") && !body.contains("Østergaard") && !body.contains("12"),
        "no personal data by SMS: {body}"
    );
    assert_eq!(sms.get("To"), Some(LUND));
    let vcall = reqs
        .iter()
        .find(|q| q.path.ends_with("/Calls.json"))
        .expect("a voice page");
    assert_eq!(vcall.get("MachineDetection"), Some("Enable"));
    let url = vcall.get("Url").expect("url");
    let path = url
        .strip_prefix(&r.hooks.base)
        .expect("our own URL")
        .to_string();

    // The waiting caller hears where things stand.
    let w = r
        .hook(
            &format!("/twilio/voice/wait?case={case}"),
            &[("CallSid", call), ("ConferenceSid", "CF1")],
        )
        .await;
    assert!(said(&w).contains("Vagtlægen kaldes stadig"), "{}", said(&w));

    // The physician picks up, hears the case without names, presses 1.
    // The call leg Twilio created for the voice page.
    let pcall =
        r.db.store
            .notifications(case)
            .await
            .expect("notes")
            .into_iter()
            .find(|n| n.new.channel == NotifyChannel::Voice)
            .and_then(|n| n.external_id)
            .expect("the call was placed");
    let pcall = pcall.as_str();
    let p = r
        .hook(
            &path,
            &[
                ("CallSid", pcall),
                ("AccountSid", ACCOUNT),
                ("AnsweredBy", "human"),
                ("CallStatus", "in-progress"),
            ],
        )
        .await;
    let s = said(&p);
    assert!(
        s.contains("Akut opkald fra Plejecenter Solgården, værelse 12"),
        "{s}"
    );
    assert!(s.contains("NEWS 5") && s.contains("Tryk 1"), "{s}");
    assert!(!s.contains("Karen"), "{s}");
    let answer_path = check_twiml(&p)
        .into_iter()
        .find(|(n, _, _)| n == "Gather")
        .and_then(|(_, a, _)| a.get("action").cloned())
        .expect("action");
    let answer_path = answer_path
        .strip_prefix(&r.hooks.base)
        .expect("ours")
        .to_string();
    let a = r
        .hook(
            &answer_path,
            &[("CallSid", pcall), ("AccountSid", ACCOUNT), ("Digits", "1")],
        )
        .await;
    let els = check_twiml(&a);
    let conf = element(&els, "Conference").expect("the physician joins");
    assert_eq!(conf.2, format!("akutlinje-{case}"));
    assert_eq!(
        conf.1.get("startConferenceOnEnter").map(String::as_str),
        Some("true")
    );
    let esc =
        r.db.store
            .escalation(case)
            .await
            .expect("read")
            .expect("escalation");
    assert_eq!(esc.state, EscalationState::Acknowledged);
    for st in ["ringing", "in-progress", "completed"] {
        r.hook(
            "/twilio/voice/status",
            &[
                ("CallSid", pcall),
                ("AccountSid", ACCOUNT),
                ("CallStatus", st),
            ],
        )
        .await;
    }
    r.hook(
        &format!("/twilio/voice/conference?case={case}"),
        &[
            ("ConferenceSid", "CF1"),
            ("CallSid", pcall),
            ("StatusCallbackEvent", "participant-join"),
        ],
    )
    .await;
    // The SMS delivery report lands in the record too.
    let sms_sid =
        r.db.store
            .notifications(case)
            .await
            .expect("notes")
            .into_iter()
            .find(|n| n.new.channel == NotifyChannel::Sms)
            .and_then(|n| n.external_id)
            .expect("the SMS was sent");
    r.hook(
        "/twilio/sms/status",
        &[("MessageSid", &sms_sid), ("MessageStatus", "delivered")],
    )
    .await;
}

/// Every step, input, status and the recording are in the record, once.
async fn medium_case_the_record_holds_the_call(r: &Rig, case: CaseId) {
    let events = r.db.events(case).await;
    let k = kinds(&events);
    eprintln!("record: {k:?}");
    for want in [
        "case_opened",
        "resident_identified",
        "red_flags_answered",
        "vital_recorded",
        "situation_recorded",
        "audio_attached",
        "urgency_assessed",
        "page_requested",
        "page_sent",
        "notification_delivered",
        "page_acknowledged",
        "telephony_status",
    ] {
        assert!(k.contains(&want), "{want} missing from {k:?}");
    }
    let inputs: Vec<String> = events
        .iter()
        .filter_map(|e| match &e.event.kind {
            EventKind::InputReceived { text, .. } => Some(text.as_str().to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(
        inputs,
        [
            "12",
            "7",
            "22",
            "95",
            "nej",
            "999",
            "125/80",
            "98",
            "1",
            "38,9",
            "Talebesked på 7 sekunder, optaget i telefonen. Lydfilen ligger i sagen.",
            "spring over"
        ]
    );
    let audio = events
        .iter()
        .find_map(|e| match &e.event.kind {
            EventKind::AudioAttached { attachment, .. } => Some(*attachment),
            _ => None,
        })
        .expect("audio");
    let stored =
        r.db.store
            .attachment(audio)
            .await
            .expect("read")
            .expect("stored");
    assert_eq!(
        stored.data, r.fake.recording,
        "the recording, byte for byte"
    );
    let statuses: Vec<(String, String)> = events
        .iter()
        .filter_map(|e| match &e.event.kind {
            EventKind::TelephonyStatus { leg, status, .. } => Some((leg.clone(), status.clone())),
            _ => None,
        })
        .collect();
    for want in [
        ("caller", "ringing"),
        ("caller", "in-progress"),
        ("physician", "completed"),
        ("conference", "participant-join"),
        ("sms", "delivered"),
    ] {
        assert!(
            statuses.contains(&(want.0.into(), want.1.into())),
            "{want:?} not in {statuses:?}"
        );
    }
    let ids: Vec<&String> = events
        .iter()
        .filter_map(|e| e.event.external_id.as_ref())
        .collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(ids.len(), unique.len(), "every external id once");
    r.print_transcript("a medium case by phone");
    let (summary, _) = (r.db.store.case(case).await.expect("case"), ());
    eprintln!("case: {summary:?}");
    for e in &events {
        eprintln!(
            "{:>3} {} {}",
            e.seq,
            e.event.kind.tag(),
            serde_json::to_string(&e.event.kind).unwrap_or_default()
        );
    }
}
