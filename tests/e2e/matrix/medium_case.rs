//! A medium case from "akut" to the physician's decision, and its record.

use super::*;

/// A medium case over Matrix from "akut" to the physician's decision: typed
/// answers, reactions as numbered answers, a voice note, the page by DM, ✅ on
/// the page, advice relayed, the decision by command — and the record.
#[tokio::test]
async fn a_medium_case_from_akut_to_the_physicians_decision() {
    use akutlinje_core::escalation::EscalationState;
    let s = Synapse::start().await;
    let bot_id = s.register("akutbot", "password-123").await;
    s.register("anna", "password-123").await;
    s.register("lund", "password-123").await;
    let db = crate::common::Db::sqlite().await;
    map_people(
        &db,
        &[("anna", "@anna:localhost"), ("dr-lund", "@lund:localhost")],
    )
    .await;
    let h = db.hotline();
    let store = tempfile::tempdir().expect("dir");
    let running = start_bot_in(&s, h.clone(), &db, store.path()).await;
    let bot = running.client.clone();
    let dirs = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let anna = logged_in(&s, "anna", dirs.0.path()).await;
    let staff = Inbox::of(&anna);
    let lund = logged_in(&s, "lund", dirs.1.path()).await;
    let doc = Inbox::of(&lund);
    let room = room_with_bot(&db, &anna, &bot, &bot_id).await;

    // Who is on call, from the staff room.
    room.send(RoomMessageEventContent::text_plain("!vagt"))
        .await
        .expect("send");
    let oncall = staff.wait_for(&anna, "Vagt nu – Akutlæge").await;
    assert!(
        oncall.body.contains("primary: Mette Lund (til ")
            || oncall.body.contains("primary: Jonas Berg (til "),
        "{oncall:?}"
    );

    let root = open_case(&room, &anna, &staff).await;
    in_thread(&room, &root, "14").await;
    let flags = staff.wait_for(&anna, "faresignaler").await;
    assert!(flags.body.contains("7. nej, ingen af dem"), "{flags:?}");
    // A tap on 7️⃣ (the bot put the numbers there) answers "none".
    let flags_reaction = react(&room, &flags.event_id, "7️⃣").await;
    staff.wait_for(&anna, "Respirationsfrekvens").await;
    // A voice note in the thread is stored with the case.
    let voice = b"OggS\x00\x02 not really opus, but bytes the bot must keep".to_vec();
    let voice_event = send_voice_note(&anna, &room, &root, &voice).await;
    staff.wait_for(&anna, "Lydbeskeden er gemt i sagen.").await;
    for (answer, next) in [
        ("22", "Iltmætning"),
        ("95 %", "Får beboeren ilt"),
        ("nej", "Blodtryk"),
        ("BT 125/80", "Puls"),
        ("puls 98", "Bevidsthed"),
    ] {
        in_thread(&room, &root, answer).await;
        staff.wait_for(&anna, next).await;
    }
    let cons = staff.wait_for(&anna, "Bevidsthed").await;
    react(&room, &cons.event_id, "1️⃣").await;
    staff.wait_for(&anna, "Temperatur").await;
    // A reaction on an old, answered question changes nothing.
    react(&room, &flags.event_id, "3️⃣").await;
    for (answer, next) in [
        ("38,9", "Beskriv kort"),
        (
            "Feber og hoste siden i aftes, mere træt end vanligt",
            "mest bekymret",
        ),
        ("spring over", "Vagtlægen kaldes"),
    ] {
        in_thread(&room, &root, answer).await;
        staff.wait_for(&anna, next).await;
    }
    assert!(
        !staff.bodies().iter().any(|b| b.contains("112 NU")),
        "no 112 advice in a medium case"
    );
    let case = db.store.cases(None, 1).await.expect("cases")[0].id;

    // The escalation pages dr-lund over Matrix.
    let esc = escalator(&db, &h, &policies_naming("dr-lund", "dr-berg"));
    let now = chrono::Utc::now();
    assert_eq!(esc.tick(now).await.expect("tick"), 1);
    outbox(&db, &h, &bot).tick(now).await.expect("outbox");
    let dm = accept_invite(&lund).await;
    let page = doc.wait_for(&lund, "hastegrad GUL").await;
    assert!(
        page.body.contains("S – Situation: Feber og hoste"),
        "{page:?}"
    );
    // ✅ on the page acknowledges it; staff are told.
    sync(&lund).await;
    react(&dm, &page.event_id, "✅").await;
    doc.wait_for(&lund, "Kvitteret.").await;
    staff
        .wait_for(&anna, "Vagtlæge Mette Lund har kvitteret")
        .await;
    assert_eq!(
        db.store
            .escalation(case)
            .await
            .expect("read")
            .expect("exists")
            .state,
        EscalationState::Acknowledged
    );
    dm.send(RoomMessageEventContent::text_plain(
        "Giv 1 g paracetamol og sørg for væske. Ring igen, hvis RF over 25.",
    ))
    .await
    .expect("advice");
    staff
        .wait_for(
            &anna,
            "Råd fra vagtlæge Mette Lund: Giv 1 g paracetamol og sørg for væske. Ring igen, hvis RF over 25.",
        )
        .await;
    dm.send(RoomMessageEventContent::text_plain("!beslutning"))
        .await
        .expect("ask for the list");
    let list = doc.wait_for(&lund, "Hvad er din beslutning?").await;
    assert!(
        list.body.contains("6. Ses an / behandles på plejecentret"),
        "{list:?}"
    );
    // With the choices, the home's municipal alternatives.
    assert!(
        list.body.contains("Kommunale alternativer til indlæggelse:\n• Akutteam Solbakken Kommune (akutteam), tlf. +4587131313, døgnet rundt"),
        "{list:?}"
    );
    dm.send(RoomMessageEventContent::text_plain(
        "!beslutning 6 Ny måling kl. 6",
    ))
    .await
    .expect("decide");
    doc.wait_for(&lund, "Beslutning registreret: Ses an").await;
    staff
        .wait_for(
            &anna,
            "Vagtlæge Mette Lund har besluttet: Ses an / behandles på plejecentret.",
        )
        .await;

    the_matrix_record_holds_the_case(&db, case, &flags_reaction, &voice_event, &voice).await;

    // Read-back: staff are asked to confirm the advice, and do so in the thread.
    staff
        .wait_for(&anna, "Skriv «forstået», når du har læst rådet")
        .await;
    // A re-measure order on its own, in the physician's words.
    dm.send(RoomMessageEventContent::text_plain("ny måling om 60 min"))
        .await
        .expect("order");
    doc.wait_for(&lund, "har bestilt en ny måling om 60 minutter")
        .await;
    staff
        .wait_for(
            &anna,
            "Vagtlæge Mette Lund har bestilt en ny måling om 60 minutter (kl. ",
        )
        .await;
    in_thread(&room, &root, "Forstået").await;
    staff
        .wait_for(&anna, "Tak – din bekræftelse af lægens råd er noteret.")
        .await;
    // !sag: the record in words, in the thread.
    in_thread(&room, &root, "!sag").await;
    let record = staff.wait_for(&anna, "Akutsag ").await;
    for line in [
        "(plejepersonale): Puls 98",
        "Mette Lund (læge): Lægens beslutning: Ses an / behandles på plejecentret.",
        "Mette Lund (læge): Ny måling bestilt om 60 minutter",
        // People by name, questions by their label, not by id.
        "Mette Lund har taget opkaldet",
        "(plejepersonale): Svar (faresignaler): 7",
    ] {
        assert!(
            record.body.contains(line),
            "{line:?} missing:\n{}",
            record.body
        );
    }
    assert!(
        !record.body.contains("vital_recorded") && !record.body.contains("dr-lund"),
        "{}",
        record.body
    );
    // Video on request: this hotline has none set up, and says so.
    in_thread(&room, &root, "video").await;
    staff
        .wait_for(&anna, "Video er ikke sat op for akutlinjen her.")
        .await;
    let events = db.store.events(case).await.expect("events");
    let ordered = events
        .iter()
        .find_map(|e| match &e.event.kind {
            akutlinje_core::record::EventKind::RemeasureOrdered { minutes, due_at } => {
                Some((*minutes, *due_at - e.event.at))
            }
            _ => None,
        })
        .expect("the order is in the record");
    assert_eq!(ordered, (60, chrono::Duration::minutes(60)));
    let confirmed = events
        .iter()
        .find(|e| {
            matches!(
                e.event.kind,
                akutlinje_core::record::EventKind::AdviceConfirmed
            )
        })
        .expect("the confirmation is in the record");
    assert_eq!(
        confirmed.event.author.person.as_ref().map(|p| p.as_str()),
        Some("anna")
    );
    let ups = db.store.follow_ups(case).await.expect("follow-ups");
    assert!(
        ups.iter()
            .any(|f| f.kind == akutlinje_core::followup::FollowUpKind::Readback && !f.pending),
        "{ups:?}"
    );
    assert!(
        ups.iter()
            .any(|f| f.kind == akutlinje_core::followup::FollowUpKind::Remeasure && f.pending),
        "{ups:?}"
    );
    // At the due time the reminder comes in the case's own thread, with
    // the last values.
    let due = chrono::Utc::now() + chrono::Duration::minutes(61);
    esc.tick(due).await.expect("tick");
    outbox(&db, &h, &bot).tick(due).await.expect("outbox");
    let reminder = staff
        .wait_for(&anna, "tid til ny måling, som lægen har bestilt")
        .await;
    assert!(
        reminder.body.contains("Seneste værdier: RF 22, SpO2 95 %"),
        "{reminder:?}"
    );
    // The municipal acute team: staff are told whom to call, now.
    dm.send(RoomMessageEventContent::text_plain("!beslutning 7"))
        .await
        .expect("decide");
    staff
        .wait_for(
            &anna,
            "Ring nu til Akutteam Solbakken Kommune: +4587131313 (døgnet rundt).",
        )
        .await;
    running.stop().await;
    db.close().await;
}

/// The record of the medium Matrix case, event by event: every input once
/// with its Matrix event id (a reaction is an answer like any other), the
/// voice note byte for byte, the page, the acknowledgement and the decision.
async fn the_matrix_record_holds_the_case(
    db: &crate::common::Db,
    case: akutlinje_core::ids::CaseId,
    flags_reaction: &OwnedEventId,
    voice_event: &OwnedEventId,
    voice: &[u8],
) {
    use akutlinje_core::escalation::Disposition;
    use akutlinje_core::record::EventKind;
    let events = db.store.events(case).await.expect("events");
    let k = kinds(&events);
    let inputs = events
        .iter()
        .filter(|e| matches!(e.event.kind, EventKind::InputReceived { .. }))
        .count();
    // 14, 7️⃣, 22, 95 %, nej, BT, puls, 1️⃣, 38,9, situation, spring over.
    assert_eq!(inputs, 11, "{k:?}");
    assert_eq!(k[0], "case_opened");
    let mut ids: Vec<&str> = events
        .iter()
        .filter_map(|e| e.event.external_id.as_deref())
        .collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "every Matrix event recorded once");
    // The tap on 7️⃣ is an answer like any other, stored with the reaction's id.
    assert!(
        events.iter().any(|e| e.event.external_id.as_deref()
            == Some(flags_reaction.as_str())
            && matches!(&e.event.kind, EventKind::InputReceived { text, .. } if text.as_str() == "7")),
        "{k:?}"
    );
    assert!(events.iter().any(
        |e| matches!(&e.event.kind, EventKind::RedFlagsAnswered { flags } if flags.is_empty())
    ));
    let audio = events
        .iter()
        .find_map(|e| match &e.event.kind {
            EventKind::AudioAttached {
                attachment,
                mime,
                bytes,
                duration_ms,
            } => Some((e, *attachment, mime.clone(), *bytes, *duration_ms)),
            _ => None,
        })
        .expect("the voice note is in the record");
    assert_eq!(
        audio.0.event.external_id.as_deref(),
        Some(voice_event.as_str())
    );
    assert_eq!(
        (audio.2.as_str(), audio.3, audio.4),
        ("audio/ogg", voice.len() as u64, Some(4200))
    );
    let stored = db
        .store
        .attachment(audio.1)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(stored.data, voice, "decrypted and kept byte for byte");
    assert_eq!(stored.case, case);
    let tail: Vec<&str> = k
        .iter()
        .copied()
        .filter(|t| !t.starts_with("notification_"))
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    assert_eq!(
        tail,
        [
            "page_sent",
            "page_acknowledged",
            "note",
            "disposition_recorded"
        ],
        "{k:?}"
    );
    let last = events.last().expect("events");
    assert!(
        matches!(
            &last.event.kind,
            EventKind::DispositionRecorded { disposition: Disposition::WatchAtHome, advice: Some(a) } if a.as_str() == "Ny måling kl. 6"
        ),
        "{:?}",
        last.event.kind
    );
    assert_eq!(
        last.event.author.person.as_ref().map(|p| p.as_str()),
        Some("dr-lund")
    );
    assert!(k.contains(&"notification_delivered"), "{k:?}");
}

/// An encrypted Ogg voice note of 4.2 s in the case's thread; its event id.
async fn send_voice_note(
    anna: &matrix_sdk::Client,
    room: &matrix_sdk::Room,
    root: &OwnedEventId,
    voice: &[u8],
) -> OwnedEventId {
    let file = anna
        .upload_encrypted_file(&mut &voice[..])
        .await
        .expect("upload");
    let mut audio = matrix_sdk::ruma::events::room::message::AudioMessageEventContent::encrypted(
        "Lydbesked".into(),
        file,
    );
    let mut info = matrix_sdk::ruma::events::room::message::AudioInfo::new();
    info.mimetype = Some("audio/ogg".into());
    info.duration = Some(Duration::from_millis(4200));
    audio.info = Some(Box::new(info));
    let mut content = RoomMessageEventContent::new(MessageType::Audio(audio));
    content.relates_to = Some(Relation::Thread(Thread::plain(root.clone(), root.clone())));
    room.send(content).await.expect("voice").response.event_id
}
