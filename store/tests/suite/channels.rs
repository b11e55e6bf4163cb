//! Channel state: Matrix threads, attachments, call legs and webhook answers, the transcription queue.

use super::*;

both!(
    matrix_threads,
    attachments_are_stored_with_their_event,
    telephony_lookups_and_webhook_answers,
    transcription_queue_is_durable_and_finishes_once,
);

async fn matrix_threads(s: Arc<dyn Store>) {
    seed(&s).await;
    let c = new_case(&s).await;
    s.link_matrix_thread("!room:localhost", "$root", c, Utc::now())
        .await
        .expect("link");
    s.link_matrix_thread("!room:localhost", "$root", c, Utc::now())
        .await
        .expect("linking twice is harmless");
    assert_eq!(
        s.case_of_matrix_thread("!room:localhost", "$root")
            .await
            .expect("read"),
        Some(c)
    );
    assert_eq!(
        s.case_of_matrix_thread("!room:localhost", "$other")
            .await
            .expect("read"),
        None
    );
    // The current question: taken once, then gone.
    s.set_matrix_prompt("!room:localhost", "$root", Some("$q1"))
        .await
        .expect("set");
    assert_eq!(
        s.take_matrix_prompt("!room:localhost", "$q0")
            .await
            .expect("read"),
        None,
        "not the current question"
    );
    assert_eq!(
        s.take_matrix_prompt("!room:localhost", "$q1")
            .await
            .expect("take"),
        Some((c, "$root".to_string()))
    );
    assert_eq!(
        s.take_matrix_prompt("!room:localhost", "$q1")
            .await
            .expect("take again"),
        None,
        "a second tap on the same question is not an answer"
    );
}

async fn attachments_are_stored_with_their_event(s: Arc<dyn Store>) {
    use akutlinje_core::store::NewAttachment;
    seed(&s).await;
    let c = new_case(&s).await;
    let data: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    let a = NewAttachment {
        mime: "audio/ogg".into(),
        data: data.clone(),
        external_id: Some("$voice".into()),
    };
    let kind = EventKind::AudioAttached {
        attachment: 0,
        mime: "audio/ogg".into(),
        bytes: data.len() as u64,
        duration_ms: Some(4200),
    };
    let (id, seq) = s
        .attach(c, &a, &ev(kind.clone(), Some("$voice")))
        .await
        .expect("attach");
    let stored = s.attachment(id).await.expect("read").expect("stored");
    assert_eq!(stored.data, data);
    assert_eq!((stored.case, stored.mime.as_str()), (c, "audio/ogg"));
    let events = s.events(c).await.expect("events");
    let e = events.iter().find(|e| e.seq == seq).expect("event");
    assert!(
        matches!(e.event.kind, EventKind::AudioAttached { attachment, .. } if attachment == id),
        "the event points at the stored audio: {:?}",
        e.event.kind
    );
    // A redelivery stores nothing: no second event, no second attachment.
    let again = s.attach(c, &a, &ev(kind, Some("$voice"))).await;
    assert!(matches!(again, Err(StoreError::Duplicate)), "{again:?}");
    assert_eq!(s.events(c).await.expect("events").len(), events.len());
    assert!(s.attachment(id + 1).await.expect("read").is_none());
}

async fn telephony_lookups_and_webhook_answers(s: Arc<dyn Store>) {
    use akutlinje_core::store::{CallLeg, CallRole};
    seed(&s).await;
    // However a number is written, it is one number: stored in E.164 and
    // found by any spelling of it.
    let phone = |n: &str| PhoneNumber::parse(n).expect("a phone number");
    let anna = s
        .person_by_phone(&phone("(+45) 2000 0001"))
        .await
        .expect("by phone");
    assert_eq!(
        anna.map(|p| p.id.as_str().to_string()).as_deref(),
        Some("anna")
    );
    let mut bo = s.person(&id("anna")).await.expect("anna").expect("exists");
    bo.id = id("bo");
    bo.phone = Some(phone("+45 30 00-00 02"));
    s.upsert_person(&bo).await.expect("bo");
    let found = s
        .person_by_phone(&phone("+4530000002"))
        .await
        .expect("by phone")
        .expect("bo");
    assert_eq!(found.id.as_str(), "bo");
    assert_eq!(
        found.phone.as_ref().map(PhoneNumber::e164),
        Some("+4530000002")
    );
    assert!(s
        .person_by_phone(&phone("+4599999999"))
        .await
        .expect("unknown")
        .is_none());

    // The first answer to a webhook is kept; a racing second gets it back.
    assert!(s
        .webhook_answer("CA1", "gather:3")
        .await
        .expect("read")
        .is_none());
    let first = s
        .save_webhook_answer("CA1", "gather:3", "<Response/>", Utc::now())
        .await
        .expect("save");
    assert_eq!(first, "<Response/>");
    let second = s
        .save_webhook_answer(
            "CA1",
            "gather:3",
            "<Response><Hangup/></Response>",
            Utc::now(),
        )
        .await
        .expect("save again");
    assert_eq!(second, "<Response/>");
    assert!(s
        .webhook_answer("CA1", "gather:4")
        .await
        .expect("read")
        .is_none());

    let c = new_case(&s).await;
    let leg = CallLeg {
        sid: "CA1".into(),
        role: CallRole::Caller,
        case: None,
        person: Some(id("anna")),
        notification: None,
        status: "ringing".into(),
        at: Utc::now(),
    };
    s.upsert_call(&leg).await.expect("call");
    s.upsert_call(&CallLeg {
        case: Some(c),
        person: None,
        status: "in-progress".into(),
        ..leg.clone()
    })
    .await
    .expect("update");
    let stored = s.call("CA1").await.expect("read").expect("stored");
    assert_eq!(stored.case, Some(c));
    assert_eq!(
        stored.person.map(|p| p.as_str().to_string()).as_deref(),
        Some("anna"),
        "kept"
    );
    assert_eq!(stored.status, "in-progress");
    assert_eq!(stored.role, CallRole::Caller);
    s.upsert_call(&CallLeg {
        sid: "CA2".into(),
        role: CallRole::Physician,
        case: Some(c),
        person: Some(id("anna")),
        notification: Some(7),
        status: "queued".into(),
        at: Utc::now(),
    })
    .await
    .expect("second leg");
    let legs = s.calls_of_case(c).await.expect("legs");
    assert_eq!(legs.len(), 2);
    assert_eq!(legs[1].notification, Some(7));
    assert!(s.call("CA3").await.expect("read").is_none());
}

async fn transcription_queue_is_durable_and_finishes_once(s: Arc<dyn Store>) {
    use akutlinje_core::store::NewAttachment;
    seed(&s).await;
    let c = new_case(&s).await;
    let at = Utc
        .with_ymd_and_hms(2026, 11, 23, 2, 0, 0)
        .single()
        .expect("time");
    let lease = chrono::Duration::seconds(60);
    let mut ids = Vec::new();
    for n in 0..2 {
        let a = NewAttachment {
            mime: "audio/ogg".into(),
            data: vec![n; 10],
            external_id: Some(format!("$note{n}")),
        };
        let kind = EventKind::AudioAttached {
            attachment: 0,
            mime: "audio/ogg".into(),
            bytes: 10,
            duration_ms: None,
        };
        let (id, _) = s.attach(c, &a, &ev(kind, None)).await.expect("attach");
        ids.push(id);
    }
    // Storing a note queued it, in the same transaction.
    assert_eq!(s.transcriptions_pending().await.expect("count"), 2);
    let first = s
        .claim_transcriptions(at, "w1", lease, 1)
        .await
        .expect("claim");
    assert_eq!(first.len(), 1);
    assert_eq!(
        (first[0].attachment, first[0].case, first[0].attempts),
        (ids[0], c, 1)
    );
    // Claimed notes are not handed out twice while the lease holds.
    let second = s
        .claim_transcriptions(at, "w2", lease, 5)
        .await
        .expect("claim");
    assert_eq!(
        second.iter().map(|j| j.attachment).collect::<Vec<_>>(),
        vec![ids[1]]
    );
    assert!(s
        .claim_transcriptions(at, "w3", lease, 5)
        .await
        .expect("claim")
        .is_empty());
    // w1 dies; after its lease w3 takes the note again, as a second attempt.
    let later = at + chrono::Duration::seconds(61);
    let retaken = s
        .claim_transcriptions(later, "w3", lease, 1)
        .await
        .expect("claim");
    assert_eq!(
        retaken
            .iter()
            .map(|j| (j.attachment, j.attempts))
            .collect::<Vec<_>>(),
        vec![(ids[0], 2)]
    );
    let done = |text: &str| {
        ev(
            EventKind::Transcribed {
                attachment: ids[0],
                text: Text::parse("t", text, 100).expect("text"),
                language: "da".into(),
                model: "ggml-base.bin".into(),
                audio_ms: 1000,
                processing_ms: 500,
            },
            None,
        )
    };
    // The dead worker's late result is refused; the holder's is recorded once.
    assert_eq!(
        s.finish_transcription(ids[0], "w1", &done("stale"), &[])
            .await
            .expect("finish"),
        None
    );
    assert!(!s
        .extend_transcription(ids[0], "w1", later + lease)
        .await
        .expect("extend"));
    assert!(s
        .extend_transcription(ids[0], "w3", later + lease)
        .await
        .expect("extend"));
    let seq = s
        .finish_transcription(ids[0], "w3", &done("hun har feber"), &[])
        .await
        .expect("finish");
    assert!(seq.is_some());
    assert_eq!(
        s.finish_transcription(ids[0], "w3", &done("again"), &[])
            .await
            .expect("finish"),
        None
    );
    let transcripts: Vec<_> = s
        .events(c)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| matches!(e.event.kind, EventKind::Transcribed { .. }))
        .collect();
    assert_eq!(transcripts.len(), 1);
    assert!(
        matches!(&transcripts[0].event.kind, EventKind::Transcribed { text, .. } if text.as_str() == "hun har feber")
    );
    // A released note comes back when it is due, not before.
    assert!(s
        .release_transcription(ids[1], "w2", later + chrono::Duration::seconds(30))
        .await
        .expect("release"));
    assert!(s
        .claim_transcriptions(later, "w4", lease, 5)
        .await
        .expect("claim")
        .is_empty());
    let back = s
        .claim_transcriptions(later + chrono::Duration::seconds(31), "w4", lease, 5)
        .await
        .expect("claim");
    assert_eq!(
        back.iter()
            .map(|j| (j.attachment, j.attempts))
            .collect::<Vec<_>>(),
        vec![(ids[1], 2)]
    );
    assert_eq!(s.transcriptions_pending().await.expect("count"), 1);
}
