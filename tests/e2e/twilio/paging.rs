//! Red flags, pages nobody answers, and callers the line does not know.

use super::*;

#[tokio::test]
async fn a_red_flag_call_advises_112_and_the_page_rings_down_the_rota() {
    let r = rig().await;
    let call = "CA00000000000000000000000000000300";
    r.call_in(call, ANNA).await;
    r.keys(call, 1, "14").await;
    // Chest pain: 112 first (said twice), then straight into the conference.
    let t = r.keys(call, 2, "3").await;
    let els = check_twiml(&t);
    let first_say = element(&els, "Say").expect("speech");
    assert!(first_say.2.starts_with("Ring 112 nu"), "{}", first_say.2);
    assert_eq!(first_say.1.get("loop").map(String::as_str), Some("2"));
    assert!(element(&els, "Conference").is_some());
    r.hook(
        "/twilio/voice/status",
        &[("CallSid", call), ("CallStatus", "in-progress")],
    )
    .await;
    let case = r.case_of(call).await;
    let events = r.db.events(case).await;
    let k = kinds(&events);
    let advised = k.iter().position(|x| *x == "advised112").expect("advised");
    let paged = k
        .iter()
        .position(|x| *x == "page_requested")
        .expect("paged");
    assert!(advised < paged);

    // Dr. Lund's phone: voicemail. Not an acknowledgement.
    let t0 = Utc::now();
    r.tick(t0).await;
    let calls = |r: &Rig| {
        r.fake
            .requests()
            .into_iter()
            .filter(|q| q.path.ends_with("/Calls.json"))
            .collect::<Vec<_>>()
    };
    let c1 = calls(&r);
    assert_eq!(c1.len(), 1);
    assert_eq!(c1[0].get("To"), Some(LUND));
    let url = c1[0]
        .get("Url")
        .expect("url")
        .strip_prefix(&r.hooks.base)
        .expect("ours")
        .to_string();
    let v = r
        .hook(
            &url,
            &[("CallSid", "CA301"), ("AnsweredBy", "machine_start")],
        )
        .await;
    assert_eq!(
        check_twiml(&v).first().map(|e| e.0.clone()),
        Some("Hangup".into())
    );
    assert_eq!(
        r.db.store
            .escalation(case)
            .await
            .expect("read")
            .expect("esc")
            .state,
        EscalationState::Pending
    );

    // Two minutes on, the backup is called; Dr. Berg declines (2): the next
    // step is at once, back to Dr. Lund, who takes it (1).
    r.tick(t0 + Duration::minutes(2)).await;
    let c2 = calls(&r);
    assert_eq!(c2.len(), 2);
    assert_eq!(c2[1].get("To"), Some(BERG));
    let url = c2[1]
        .get("Url")
        .expect("url")
        .strip_prefix(&r.hooks.base)
        .expect("ours")
        .to_string();
    let p = r
        .hook(&url, &[("CallSid", "CA302"), ("AnsweredBy", "human")])
        .await;
    assert!(said(&p).contains("Brystsmerter"), "{}", said(&p));
    let action = check_twiml(&p)
        .into_iter()
        .find(|(n, _, _)| n == "Gather")
        .and_then(|(_, a, _)| a.get("action").cloned())
        .expect("action");
    let berg_action = action
        .strip_prefix(&r.hooks.base)
        .expect("ours")
        .to_string();
    let d = r
        .hook(&berg_action, &[("CallSid", "CA302"), ("Digits", "2")])
        .await;
    assert!(said(&d).contains("Afvist"), "{}", said(&d));
    r.tick(t0 + Duration::minutes(2) + Duration::seconds(1))
        .await;
    let c3 = calls(&r);
    assert_eq!(c3.len(), 3, "the next step at once after a decline");
    assert_eq!(c3[2].get("To"), Some(LUND));
    let url = c3[2]
        .get("Url")
        .expect("url")
        .strip_prefix(&r.hooks.base)
        .expect("ours")
        .to_string();
    let p = r
        .hook(&url, &[("CallSid", "CA303"), ("AnsweredBy", "human")])
        .await;
    let action = check_twiml(&p)
        .into_iter()
        .find(|(n, _, _)| n == "Gather")
        .and_then(|(_, a, _)| a.get("action").cloned())
        .expect("action");
    let a = r
        .hook(
            action.strip_prefix(&r.hooks.base).expect("ours"),
            &[("CallSid", "CA303"), ("Digits", "1")],
        )
        .await;
    assert!(element(&check_twiml(&a), "Conference").is_some(), "{a}");
    // Dr. Berg's late "1" on the old call is recorded but does not take the call.
    let late = r
        .hook(
            &berg_action.replace("try=1", "try=2"),
            &[("CallSid", "CA302"), ("Digits", "1")],
        )
        .await;
    assert!(said(&late).contains("En anden læge"), "{}", said(&late));
    let events = r.db.events(case).await;
    let acks: Vec<String> = events
        .iter()
        .filter_map(|e| match &e.event.kind {
            EventKind::PageAcknowledged { person, .. } => Some(person.as_str().to_string()),
            EventKind::PageDeclined { person } => Some(format!("declined:{}", person.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(acks, ["declined:dr-berg", "dr-lund", "dr-berg"]);
    // Nothing more is sent after the acknowledgement.
    r.tick(t0 + Duration::minutes(30)).await;
    assert_eq!(calls(&r).len(), 3);
    r.close().await;
}

#[tokio::test]
async fn a_page_nobody_answers_keeps_escalating() {
    let r = rig().await;
    let call = "CA00000000000000000000000000000400";
    r.call_in(call, ANNA).await;
    r.keys(call, 1, "14").await;
    // 0 at any time: straight to the physician (at least high urgency).
    let t = r.keys(call, 2, "0").await;
    assert!(element(&check_twiml(&t), "Conference").is_some(), "{t}");
    let case = r.case_of(call).await;
    let esc =
        r.db.store
            .escalation(case)
            .await
            .expect("read")
            .expect("esc");
    assert_eq!(esc.urgency, akutlinje_core::engine::Urgency::High);
    let t0 = Utc::now();
    r.tick(t0).await;
    // Ring, no answer: Twilio reports no-answer; nobody pressed anything.
    let first = r
        .fake
        .requests()
        .into_iter()
        .filter(|q| q.path.ends_with("/Calls.json"))
        .count();
    assert_eq!(first, 1);
    let sid =
        r.db.store
            .notifications(case)
            .await
            .expect("notes")
            .into_iter()
            .find_map(|n| n.external_id)
            .expect("placed");
    r.hook(
        "/twilio/voice/status",
        &[("CallSid", &sid), ("CallStatus", "no-answer")],
    )
    .await;
    for minutes in [3, 6, 9, 12] {
        r.tick(t0 + Duration::minutes(minutes)).await;
    }
    let placed: Vec<String> = r
        .fake
        .requests()
        .into_iter()
        .filter(|q| q.path.ends_with("/Calls.json"))
        .filter_map(|q| q.get("To").map(str::to_string))
        .collect();
    assert_eq!(
        placed,
        [LUND, BERG, LUND, BERG],
        "down the rota and round again"
    );
    let k = kinds(&r.db.events(case).await);
    assert!(k.contains(&"escalation_exhausted"), "{k:?}");
    assert!(k.contains(&"physician_requested"), "{k:?}");
    r.close().await;
}

#[tokio::test]
async fn an_unknown_caller_hears_nothing_about_residents_and_can_reach_the_physician() {
    let r = rig().await;
    let cases_before =
        r.db.store
            .cases(None, 100)
            .await
            .map(|c| c.len())
            .unwrap_or(0);
    let call = "CA00000000000000000000000000000500";
    let t = r.call_in(call, "+4599999999").await;
    let s = said(&t);
    assert!(s.contains("ikke registreret") && s.contains("112"), "{s}");
    let t = r
        .hook(
            "/twilio/voice/unknown",
            &[("CallSid", call), ("Digits", "0")],
        )
        .await;
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
    let number = element(&els, "Number").expect("put through to a physician");
    assert!([LUND, BERG].contains(&number.2.as_str()), "{}", number.2);
    assert_eq!(
        element(&els, "Dial")
            .and_then(|d| d.1.get("callerId"))
            .map(String::as_str),
        Some(HOTLINE)
    );
    for text in [&t, &d] {
        assert!(
            !text.contains("Karen") && !text.contains("værelse"),
            "{text}"
        );
    }
    assert_eq!(
        r.db.store
            .cases(None, 100)
            .await
            .map(|c| c.len())
            .unwrap_or(0),
        cases_before,
        "no case for an unknown number"
    );
    // By SMS too.
    let sms = r
        .hook(
            "/twilio/sms/incoming",
            &[
                ("MessageSid", "SM500"),
                ("From", "+4599999999"),
                ("Body", "OK 1234"),
            ],
        )
        .await;
    let els = check_twiml(&sms);
    assert!(
        element(&els, "Message").is_some_and(|m| m.2.contains("ikke registreret")),
        "{sms}"
    );
    r.close().await;
}
