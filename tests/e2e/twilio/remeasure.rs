//! A re-measure order on a phone case: the reminder goes out as an SMS, the
//! nurse calls back, keys the PIN, is offered the ordered re-measurement and
//! keys it in; worse, the physician is paged again with the trend.

use super::*;
use akutlinje_core::escalation::NotificationKind;
use akutlinje_core::service::Via;

#[tokio::test]
async fn a_phone_case_is_reminded_by_sms_and_the_nurse_keys_the_new_values_on_a_call_back() {
    let r = rig().await;
    let call = "CA00000000000000000000000000000301";
    // Room 12 by keys: RR 22, SpO2 95, air, BP 125, pulse 98, awake, 38,9.
    let case = r
        .checklist_by_keys(
            call,
            "12",
            ["22", "95", "2", "125", "98", "1", "38*9"],
            "RE0301",
        )
        .await;
    let lund = r.db.person("dr-lund").await;
    let t0 = Utc::now();
    let due = r
        .hotline
        .order_remeasure(
            case,
            &lund,
            Via::from(akutlinje_core::record::Channel::Api),
            30,
            t0,
        )
        .await
        .expect("order");
    // At the due time: an SMS to the nurse, with the last values.
    r.escalator.tick(due).await.expect("tick");
    let reminder =
        r.db.store
            .notifications(case)
            .await
            .expect("notifications")
            .into_iter()
            .find(|n| n.new.kind == NotificationKind::FollowUp)
            .expect("a reminder");
    assert_eq!(reminder.new.person.as_str(), "anna");
    assert_eq!(reminder.new.channel, NotifyChannel::Sms);
    assert!(
        reminder
            .new
            .text
            .contains("Ring til akutlinjen, tast din kode og derefter 1.")
            && reminder.new.text.contains("Seneste værdier: RF 22"),
        "{}",
        reminder.new.text
    );
    // The nurse calls back: after the PIN, the order is offered.
    let back = "CA00000000000000000000000000000302";
    let offer = r.call_in(back, ANNA).await;
    assert!(
        said(&offer).contains("Lægen har bestilt en ny måling for værelse 12"),
        "{}",
        said(&offer)
    );
    let els = check_twiml(&offer);
    let action = element(&els, "Gather")
        .and_then(|g| g.1.get("action").cloned())
        .expect("a gather");
    assert!(
        action.ends_with(&format!("/twilio/voice/remeasure?case={case}")),
        "{action}"
    );
    let path = format!("/twilio/voice/remeasure?case={case}");
    let t = r
        .hook(&path, &[("CallSid", back), ("Digits", "1"), ("From", ANNA)])
        .await;
    assert!(said(&t).contains("Ny måling"), "{}", said(&t));
    assert!(said(&t).contains("Tast 3 for Brystsmerter"), "{}", said(&t));
    // No danger sign; worse: RR 28, SpO2 92, air, BP 125, pulse 112, awake, 38,9.
    let mut last = String::new();
    for (n, keys) in (1..).zip(["7", "28", "92", "2", "125", "112", "1", "38*9"]) {
        last = r.keys(back, n, keys).await;
    }
    let s = said(&last);
    assert!(
        s.contains("NEWS2 5 → 8, RF 22 → 28, SpO2 95 % → 92 %, Puls 98 → 112"),
        "{s}"
    );
    assert!(
        check_twiml(&last).iter().any(|(n, _, _)| n == "Dial"),
        "worse: into the conference to wait for the physician"
    );
    let events = r.db.events(case).await;
    let k = kinds(&events);
    assert!(
        k.contains(&"remeasure_started") && k.contains(&"remeasure_assessed"),
        "{k:?}"
    );
    assert!(events.iter().any(|e| matches!(
        e.event.kind,
        EventKind::PageRequested {
            urgency: akutlinje_core::engine::Urgency::High
        }
    )));
    // The order is done: no second reminder.
    let ups = r.db.store.follow_ups(case).await.expect("follow-ups");
    assert!(ups.iter().all(|f| !f.pending || f.stage == 100), "{ups:?}");
    // A forged case id in the webhook opens a new case, not someone else's.
    let third = "CA00000000000000000000000000000303";
    r.call_in(third, ANNA).await;
    let t = r
        .hook(
            "/twilio/voice/remeasure?case=00000000-0000-0000-0000-000000000001",
            &[("CallSid", third), ("Digits", "1"), ("From", ANNA)],
        )
        .await;
    assert!(
        said(&t).contains("Tast beboerens værelsesnummer"),
        "{}",
        said(&t)
    );
    r.close().await;
}

/// Read-back on a phone case: the advice goes to the nurse by SMS at once;
/// she confirms with «FORSTÅET <code>»; on a second case she calls back and
/// hears the advice after the PIN, keys 1, and the call goes on to a new case.
#[tokio::test]
async fn a_phone_nurse_confirms_advice_by_sms_or_by_key_1_on_a_call_back() {
    use akutlinje_core::escalation::Disposition;
    let r = rig().await;
    let call = "CA00000000000000000000000000000311";
    let case = r
        .checklist_by_keys(
            call,
            "12",
            ["22", "95", "2", "125", "98", "1", "38*9"],
            "RE0311",
        )
        .await;
    let lund = r.db.person("dr-lund").await;
    let t0 = Utc::now();
    r.hotline
        .record_disposition(
            case,
            &lund,
            Via::from(akutlinje_core::record::Channel::Api),
            Disposition::WatchAtHome,
            Some("Giv væske og 1 g paracetamol"),
            t0,
        )
        .await
        .expect("decide");
    let code = case.code();
    let sms =
        r.db.store
            .notifications(case)
            .await
            .expect("notifications")
            .into_iter()
            .find(|n| n.new.kind == NotificationKind::FollowUp)
            .expect("the advice by SMS");
    assert_eq!(sms.new.person.as_str(), "anna");
    assert_eq!(sms.new.channel, NotifyChannel::Sms);
    assert!(
        sms.new.text.contains("Giv væske og 1 g paracetamol")
            && sms
                .new
                .text
                .contains(&format!("svar FORSTÅET {code} på denne SMS")),
        "{}",
        sms.new.text
    );
    // Not confirmed after 5 minutes: sent again (SMS first) and the physician told.
    r.escalator
        .tick(t0 + Duration::minutes(5))
        .await
        .expect("tick");
    let notes: Vec<_> =
        r.db.store
            .notifications(case)
            .await
            .expect("notifications")
            .into_iter()
            .filter(|n| n.new.kind == NotificationKind::FollowUp)
            .collect();
    assert_eq!(notes.len(), 3, "{notes:?}");
    assert!(notes[1]
        .new
        .text
        .starts_with(&format!("Påmindelse, sag {code}")));
    assert_eq!(notes[2].new.person.as_str(), "dr-lund");
    // The nurse answers the SMS.
    let body = format!("FORSTÅET {code}");
    let answer = r
        .hook(
            "/twilio/sms/incoming",
            &[("MessageSid", "SM900"), ("From", ANNA), ("Body", &body)],
        )
        .await;
    assert!(
        answer.contains(&format!(
            "bekræftelse af lægens råd i sag {code} er noteret"
        )),
        "{answer}"
    );
    let confirmed =
        r.db.events(case)
            .await
            .into_iter()
            .filter(|e| matches!(e.event.kind, EventKind::AdviceConfirmed))
            .map(|e| e.event.author.person.map(|p| p.to_string()))
            .collect::<Vec<_>>();
    assert_eq!(confirmed, vec![Some("anna".to_string())]);
    // A second case, advice by the physician; the nurse calls back instead.
    let call2 = "CA00000000000000000000000000000312";
    let case2 = r
        .checklist_by_keys(
            call2,
            "14",
            ["20", "96", "2", "130", "80", "1", "37*5"],
            "RE0312",
        )
        .await;
    r.hotline
        .annotate(
            case2,
            &lund,
            Via::from(akutlinje_core::record::Channel::Api),
            "Mål igen om en time og ring ved feber",
            None,
            Utc::now(),
        )
        .await
        .expect("advice");
    let back = "CA00000000000000000000000000000313";
    let offer = r.call_in(back, ANNA).await;
    let s = said(&offer);
    assert!(
        s.contains("Lægens råd: Note: Mål igen om en time og ring ved feber"),
        "{s}"
    );
    assert!(s.contains("Tast 1, hvis du har forstået rådet"), "{s}");
    let t = r
        .hook(
            &format!("/twilio/voice/readback?case={case2}"),
            &[("CallSid", back), ("Digits", "1"), ("From", ANNA)],
        )
        .await;
    let s = said(&t);
    assert!(s.starts_with("Tak. Din bekræftelse er noteret."), "{s}");
    assert!(
        s.contains("Tast beboerens værelsesnummer"),
        "then a new case: {s}"
    );
    assert!(r
        .db
        .events(case2)
        .await
        .iter()
        .any(|e| matches!(e.event.kind, EventKind::AdviceConfirmed)));
    r.close().await;
}

/// The physician orders a re-measurement by keys after the talk: "3, the
/// minutes, #" on the page call; anything else ends the call.
#[tokio::test]
async fn the_physician_orders_a_remeasurement_by_keys_after_the_talk() {
    let r = rig().await;
    let call = "CA00000000000000000000000000000321";
    let case = r
        .checklist_by_keys(
            call,
            "12",
            ["22", "95", "2", "125", "98", "1", "38*9"],
            "RE0321",
        )
        .await;
    r.tick(Utc::now()).await;
    let vcall = r
        .fake
        .requests()
        .into_iter()
        .find(|q| q.path.ends_with("/Calls.json"))
        .expect("a voice page");
    let path = vcall
        .get("Url")
        .and_then(|u| u.strip_prefix(&r.hooks.base))
        .expect("our own URL")
        .to_string();
    let pcall =
        r.db.store
            .notifications(case)
            .await
            .expect("notes")
            .into_iter()
            .find(|n| n.new.channel == NotifyChannel::Voice)
            .and_then(|n| n.external_id)
            .expect("the call was placed");
    let menu = r
        .hook(
            &path,
            &[
                ("CallSid", &pcall),
                ("AnsweredBy", "human"),
                ("CallStatus", "in-progress"),
            ],
        )
        .await;
    let action = |xml: &str, which: &str| {
        check_twiml(xml)
            .into_iter()
            .filter(|(n, _, _)| n == "Gather")
            .filter_map(|(_, a, _)| a.get("action").cloned())
            .find(|a| a.contains(which))
            .and_then(|a| a.strip_prefix(&r.hooks.base).map(str::to_string))
    };
    let answer = action(&menu, "/page/answer").expect("the page menu");
    let joined = r
        .hook(&answer, &[("CallSid", &pcall), ("Digits", "1")])
        .await;
    let els = check_twiml(&joined);
    let conf = els
        .iter()
        .position(|(n, _, _)| n == "Dial")
        .expect("into the conference");
    let after_at = els
        .iter()
        .position(|(n, _, _)| n == "Gather")
        .expect("a menu after the talk");
    assert!(after_at > conf, "the menu comes after the talk");
    let after = action(&joined, "/page/after").expect("the after-talk menu");
    let done = r
        .hook(&after, &[("CallSid", &pcall), ("Digits", "360")])
        .await;
    assert!(
        said(&done).contains("Ny måling er bestilt om 60 minutter"),
        "{}",
        said(&done)
    );
    let orders: Vec<(u32, Option<String>)> =
        r.db.events(case)
            .await
            .into_iter()
            .filter_map(|e| match e.event.kind {
                EventKind::RemeasureOrdered { minutes, .. } => {
                    Some((minutes, e.event.author.person.map(|p| p.to_string())))
                }
                _ => None,
            })
            .collect();
    assert_eq!(orders, vec![(60, Some("dr-lund".to_string()))]);
    r.close().await;
}

/// At the due time a phone case's nurse is also rung: the call asks for her
/// PIN (nothing about a resident before), then offers the ordered
/// re-measurement, which she keys in on that call.
#[tokio::test]
async fn the_hotline_rings_the_nurse_at_the_due_time_and_she_keys_the_new_values() {
    let r = rig().await;
    let call = "CA00000000000000000000000000000331";
    let case = r
        .checklist_by_keys(
            call,
            "12",
            ["22", "95", "2", "125", "98", "1", "38*9"],
            "RE0331",
        )
        .await;
    let lund = r.db.person("dr-lund").await;
    let due = r
        .hotline
        .order_remeasure(
            case,
            &lund,
            Via::from(akutlinje_core::record::Channel::Api),
            30,
            Utc::now(),
        )
        .await
        .expect("order");
    r.fake.clear();
    r.tick(due).await;
    let placed = r
        .fake
        .requests()
        .into_iter()
        .find(|q| q.path.ends_with("/Calls.json") && q.get("To") == Some(ANNA))
        .expect("the nurse is rung");
    assert!(
        placed
            .get("Url")
            .is_some_and(|u| u.ends_with("/twilio/voice/callback")),
        "{placed:?}"
    );
    let sid = r
        .db
        .store
        .notifications(case)
        .await
        .expect("notes")
        .into_iter()
        .find(|n| n.new.channel == NotifyChannel::Voice && n.new.kind == NotificationKind::FollowUp)
        .and_then(|n| n.external_id)
        .expect("the call was placed");
    let hello = r
        .hook(
            "/twilio/voice/callback",
            &[("CallSid", &sid), ("CallStatus", "in-progress")],
        )
        .await;
    let s = said(&hello);
    assert!(
        s.contains("Lægen har bestilt en ny måling") && s.contains("Tast din personlige kode"),
        "{s}"
    );
    assert!(
        !s.contains("12") && !s.contains("Karen"),
        "nothing about the resident before the PIN: {s}"
    );
    let offer = r.pin(&sid, 1, PIN).await;
    assert!(
        said(&offer).contains("Lægen har bestilt en ny måling for værelse 12"),
        "{}",
        said(&offer)
    );
    let path = format!("/twilio/voice/remeasure?case={case}");
    let t = r.hook(&path, &[("CallSid", &sid), ("Digits", "1")]).await;
    assert!(said(&t).contains("Tast 3 for Brystsmerter"), "{}", said(&t));
    let mut last = String::new();
    for (n, keys) in (1..).zip(["7", "20", "96", "2", "130", "90", "1", "37*8"]) {
        last = r.keys(&sid, n, keys).await;
    }
    assert!(said(&last).contains("Ikke dårligere"), "{}", said(&last));
    let events = r.db.events(case).await;
    assert!(events.iter().any(|e| matches!(&e.event.kind,
        EventKind::RemeasureAssessed { trend } if !trend.is_worse())));
    r.close().await;
}
