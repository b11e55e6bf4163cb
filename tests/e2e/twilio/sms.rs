//! SMS replies, and what the phone says after a physician's decision.

use super::*;

#[tokio::test]
async fn an_sms_reply_acknowledges_the_page_once() {
    let r = rig().await;
    let call = "CA00000000000000000000000000000600";
    // Vitals in one go are not possible on the phone; a medium case:
    let case = r
        .checklist_by_keys(
            call,
            "12",
            ["22", "95", "2", "125", "98", "1", "38*9"],
            "RE0600",
        )
        .await;
    r.tick(Utc::now()).await;
    let code = akutlinje_telephony::case_code(case);
    // A bare "OK" is not an acknowledgement: the reply asks for the code.
    let bare = r
        .hook(
            "/twilio/sms/incoming",
            &[("MessageSid", "SM600"), ("From", LUND), ("Body", "OK")],
        )
        .await;
    assert!(
        said_message(&bare).contains("Skriv sagens nummer"),
        "{bare}"
    );
    assert_eq!(
        r.db.store
            .escalation(case)
            .await
            .expect("read")
            .expect("esc")
            .state,
        EscalationState::Pending,
        "a bare OK acknowledged nothing"
    );
    // A wrong code is refused; the right one acknowledges; a retry is a no-op.
    let wrong = r
        .hook(
            "/twilio/sms/incoming",
            &[
                ("MessageSid", "SM601"),
                ("From", LUND),
                ("Body", "OK 99999"),
            ],
        )
        .await;
    assert!(said_message(&wrong).contains("kender ikke sag"), "{wrong}");
    let body = format!("ok {code}");
    let ok = r
        .hook(
            "/twilio/sms/incoming",
            &[("MessageSid", "SM602"), ("From", LUND), ("Body", &body)],
        )
        .await;
    assert!(
        said_message(&ok).contains(&format!("Kvitteret for sag {code}")),
        "{ok}"
    );
    let again = r
        .hook(
            "/twilio/sms/incoming",
            &[("MessageSid", "SM602"), ("From", LUND), ("Body", &body)],
        )
        .await;
    assert_eq!(again, ok);
    let acks =
        r.db.events(case)
            .await
            .iter()
            .filter(|e| matches!(e.event.kind, EventKind::PageAcknowledged { .. }))
            .count();
    assert_eq!(acks, 1);
    assert_eq!(
        r.db.store
            .escalation(case)
            .await
            .expect("read")
            .expect("esc")
            .state,
        EscalationState::Acknowledged
    );
    // Staff cannot open cases by SMS.
    let staff = r
        .hook(
            "/twilio/sms/incoming",
            &[("MessageSid", "SM603"), ("From", ANNA), ("Body", "Hjælp")],
        )
        .await;
    assert!(
        said_message(&staff).contains("Ring til akutlinjen"),
        "{staff}"
    );
    r.close().await;
}

fn said_message(xml: &str) -> String {
    check_twiml(xml)
        .into_iter()
        .filter(|(n, _, _)| n == "Message")
        .map(|(_, _, t)| t)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Karen (room 12) has declined admission. After "do not ring 112
/// regardless", nothing the caller hears afterwards — the conference
/// introduction, the waiting updates, the update once nobody answered —
/// tells them to hang up and ring 112; each keeps "in doubt about the
/// decision, ring 112". A full-treatment resident still hears "ring 112".
#[tokio::test]
async fn after_a_decision_against_admission_no_phone_text_contradicts_it() {
    let r = rig().await;
    let call = "CA00000000000000000000000000000700";
    r.call_in(call, ANNA).await;
    r.keys(call, 1, "12").await;
    // Chest pain: the red flag, ruled out of 112 by the decision.
    let t = r.keys(call, 2, "3").await;
    let s = said(&t);
    assert!(s.contains("Ring derfor ikke 112 uden videre"), "{s}");
    let after = s
        .split("Ring derfor ikke 112 uden videre")
        .nth(1)
        .expect("text after the decision");
    assert!(
        !after.contains("læg på, og ring 112") && !after.contains("Ved livsfare"),
        "contradicts the decision: {after}"
    );
    assert!(
        after.contains("Vagtlægen kaldes nu. Bliv i røret")
            && after.contains("Er du i tvivl om beslutningen, så ring 112"),
        "{after}"
    );
    let case = r.case_of(call).await;
    let wait_path = format!("/twilio/voice/wait?case={case}");
    let w = said(&r.hook(&wait_path, &[("CallSid", call)]).await);
    assert_eq!(
        w,
        "Vagtlægen kaldes stadig. Bliv i røret. Er du i tvivl om beslutningen, så ring 112."
    );
    // Nobody answers: once the escalation is exhausted the update says what
    // to do without contradicting the decision.
    let t0 = Utc::now();
    for minutes in [0, 2, 4, 6, 8] {
        r.tick(t0 + Duration::minutes(minutes)).await;
    }
    assert_eq!(
        r.db.store
            .escalation(case)
            .await
            .expect("read")
            .expect("esc")
            .state,
        EscalationState::Exhausted
    );
    let w = said(&r.hook(&wait_path, &[("CallSid", call)]).await);
    assert!(
        !w.contains("Ved livsfare") && w.contains("Er du i tvivl om beslutningen, så ring 112"),
        "{w}"
    );

    // Poul (room 14, full treatment): the same red flag says ring 112, and so
    // does the waiting update.
    let call = "CA00000000000000000000000000000701";
    r.call_in(call, ANNA).await;
    r.keys(call, 1, "14").await;
    let s = said(&r.keys(call, 2, "3").await);
    assert!(s.starts_with("Ring 112 nu"), "{s}");
    assert!(s.contains("Ved livsfare: læg på, og ring 112"), "{s}");
    let case = r.case_of(call).await;
    let w = said(
        &r.hook(
            &format!("/twilio/voice/wait?case={case}"),
            &[("CallSid", call)],
        )
        .await,
    );
    assert!(w.contains("Ved livsfare: læg på, og ring 112"), "{w}");
    r.close().await;
}
