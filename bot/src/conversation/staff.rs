//! Night staff's case threads: opening a case, answers into the checklist,
//! voice notes — each message checked against the room first (`trust`).

use super::*;

/// Sends a turn's messages — each only after the room was checked again
/// (a stranger who joins mid-case stops the flow) — and remembers its
/// question for reactions. Every member shown the messages has read the
/// resident's data: that is written to the access log.
pub(super) async fn reply_turn(
    ctx: &BotContext,
    client: &Client,
    room: &Room,
    root: &OwnedEventId,
    case: CaseId,
    msgs: Vec<Outgoing>,
) {
    for m in msgs {
        if !room_is_safe_for(ctx, client, room, root, case).await {
            // What was stored stays stored; the rest is not shown here.
            return;
        }
        let prompt = send_in_thread(room, root, vec![m]).await;
        if prompt.is_some() {
            remember_prompt(ctx, room, root, prompt).await;
        }
    }
    log_room_readers(ctx, client, room, case).await;
}

/// The members of a case's room (but the bot) have read its resident.
pub(super) async fn log_room_readers(ctx: &BotContext, client: &Client, room: &Room, case: CaseId) {
    let Ok(Some(resident)) = ctx
        .hotline
        .case_summary(case)
        .await
        .map(|c| c.and_then(|c| c.resident))
    else {
        return;
    };
    let Ok(members) = room
        .members_no_sync(matrix_sdk::RoomMemberships::JOIN)
        .await
    else {
        return;
    };
    let now = Utc::now();
    for m in members {
        if client.user_id() == Some(m.user_id()) {
            continue;
        }
        if let Ok(Some(p)) = ctx
            .db
            .people
            .person_by_matrix_user(m.user_id().as_str())
            .await
        {
            let entry = akutlinje_core::record::AccessEntry::new(
                now,
                Some(p.id),
                resident.clone(),
                Some(case),
                akutlinje_core::record::AccessAction::Read,
                Channel::Matrix,
            )
            .detail("room");
            if let Err(e) = ctx.hotline.log_access(&entry).await {
                tracing::error!(case = %case, error = %e, "cannot log a room read");
            }
        }
    }
}

pub(super) async fn remember_prompt(
    ctx: &BotContext,
    room: &Room,
    root: &OwnedEventId,
    prompt: Option<OwnedEventId>,
) {
    if let Err(e) = ctx
        .db
        .channels
        .set_matrix_prompt(
            room.room_id().as_str(),
            root.as_str(),
            prompt.as_ref().map(|p| p.as_str()),
        )
        .await
    {
        tracing::error!(room = %room.room_id(), error = %e, "cannot remember the current question");
    }
}

/// A message in a case's thread: staff answer the checklist; anyone else's
/// words (a physician's advice, a coordinator) are notes in the record.
pub(super) async fn case_thread_message(
    ctx: &BotContext,
    client: &Client,
    room: &Room,
    person: &Person,
    root: OwnedEventId,
    event: &OwnedEventId,
    body: &str,
) {
    let case = match ctx
        .db
        .channels
        .case_of_matrix_thread(room.room_id().as_str(), root.as_str())
        .await
    {
        Ok(Some(c)) => c,
        Ok(None) => return,
        Err(e) => {
            tracing::error!(error = %e, "cannot find the thread's case");
            return;
        }
    };
    let now = Utc::now();
    if akutlinje_core::reply::asks_for_record(body) {
        return show_record(ctx, client, room, person, &root, case, now).await;
    }
    if akutlinje_core::reply::asks_for_video(body) {
        return offer_video(ctx, client, room, person, &root, case, event, now).await;
    }
    if person.role != Role::Staff {
        match ctx
            .hotline
            .annotate(
                case,
                person,
                Via {
                    channel: Channel::Matrix,
                    external_id: Some(event.as_str()),
                },
                body,
                None,
                now,
            )
            .await
        {
            Ok(_) => {
                tracing::info!(case = %case, person = %person.id, "note from the thread recorded")
            }
            Err(ServiceError::Store(StoreError::Duplicate)) => {}
            Err(e) => tracing::error!(case = %case, error = %e, "note could not be recorded"),
        }
        return;
    }
    // The checklist shows the resident's data: only in a safe room. An
    // answer in an unsafe one is not taken (it stays in the room; staff
    // repeat it once the room is safe, or phone).
    if !room_is_safe_for(ctx, client, room, &root, case).await {
        return;
    }
    staff_input(ctx, client, room, person, case, &root, body, event.as_str()).await;
}

/// `!sag`: the case's record in words in its thread, for anyone who may read
/// the home, in a room safe for it; the read is access-logged for the asker
/// and for every member who can now read it.
async fn show_record(
    ctx: &BotContext,
    client: &Client,
    room: &Room,
    person: &Person,
    root: &OwnedEventId,
    case: CaseId,
    now: chrono::DateTime<Utc>,
) {
    if !room_is_safe_for(ctx, client, room, root, case).await {
        return;
    }
    match ctx
        .hotline
        .record_in_words(
            case,
            person,
            Channel::Matrix,
            Some("record_in_thread"),
            Lang::Da,
            now,
        )
        .await
    {
        Ok(words) => {
            send_in_thread(room, root, vec![Outgoing::text(words)]).await;
            log_room_readers(ctx, client, room, case).await;
        }
        Err(ServiceError::UnknownCase | ServiceError::NotAllowed) => {
            send_in_thread(
                room,
                root,
                vec![Outgoing::text(ctx.text("bot-record-not-allowed"))],
            )
            .await;
        }
        Err(e) => tracing::error!(case = %case, error = %e, "the record could not be read"),
    }
}

/// «video»: a personal link to the case's video room, in the thread (a safe
/// room only: the link leads to the resident's case).
#[allow(clippy::too_many_arguments)]
async fn offer_video(
    ctx: &BotContext,
    client: &Client,
    room: &Room,
    person: &Person,
    root: &OwnedEventId,
    case: CaseId,
    event: &OwnedEventId,
    now: chrono::DateTime<Utc>,
) {
    if !room_is_safe_for(ctx, client, room, root, case).await {
        return;
    }
    let via = Via {
        channel: Channel::Matrix,
        external_id: Some(event.as_str()),
    };
    let line = match ctx
        .hotline
        .offer_video(case, person, via, uuid::Uuid::new_v4(), now)
        .await
    {
        Ok(Some(link)) => ctx.render(&Msg::new("video-staff-line").arg("link", link)),
        Ok(None) => ctx.text("video-not-configured"),
        Err(ServiceError::Store(StoreError::Duplicate)) => return,
        Err(ServiceError::UnknownCase | ServiceError::NotAllowed) => {
            ctx.text("bot-record-not-allowed")
        }
        Err(e) => {
            tracing::error!(case = %case, error = %e, "no video link");
            return;
        }
    };
    send_in_thread(room, root, vec![Outgoing::text(line)]).await;
}

/// Checks the room for the case's home; when it is not safe, says why in
/// one line in the thread and records that the data was withheld.
pub(super) async fn room_is_safe_for(
    ctx: &BotContext,
    client: &Client,
    room: &Room,
    root: &OwnedEventId,
    case: CaseId,
) -> bool {
    let home = match ctx.hotline.case_summary(case).await {
        Ok(Some(c)) => c.home,
        Ok(None) => return false,
        Err(e) => {
            tracing::error!(case = %case, error = %e, "cannot read the case");
            return false;
        }
    };
    let verdict = crate::trust::home_room(ctx, client, room, &home).await;
    if verdict == crate::trust::Verdict::Safe {
        return true;
    }
    withhold(ctx, room, Some(root), case, &home, &verdict).await;
    false
}

/// Resident data was not shown: one line to the room, an event in the case.
pub(super) async fn withhold(
    ctx: &BotContext,
    room: &Room,
    root: Option<&OwnedEventId>,
    case: CaseId,
    home: &akutlinje_core::ids::HomeId,
    verdict: &crate::trust::Verdict,
) {
    tracing::warn!(case = %case, room = %room.room_id(), reason = verdict.code(), member = ?verdict.outsider(), "resident data withheld from the room");
    let line = crate::trust::refusal(ctx, room, home, verdict).await;
    match root {
        Some(r) => {
            send_in_thread(room, r, vec![Outgoing::text(line)]).await;
        }
        None => send_text(room, line).await,
    }
    let kind = akutlinje_core::record::EventKind::ResidentDataWithheld {
        reason: verdict.code().to_string(),
        member: verdict.outsider().map(str::to_string),
    };
    if let Err(e) = ctx
        .hotline
        .channel_event(case, kind, Channel::Matrix, None, Utc::now())
        .await
    {
        tracing::error!(case = %case, error = %e, "cannot record the withheld data");
    }
}

/// Staff input into the checklist, idempotent by `external_id`.
#[allow(clippy::too_many_arguments)]
pub(super) async fn staff_input(
    ctx: &BotContext,
    client: &Client,
    room: &Room,
    person: &Person,
    case: CaseId,
    root: &OwnedEventId,
    body: &str,
    external_id: &str,
) {
    // The question is being answered: a tap on it from now on is not an
    // answer to whatever comes next.
    if let Err(e) = ctx
        .db
        .channels
        .set_matrix_prompt(room.room_id().as_str(), root.as_str(), None)
        .await
    {
        tracing::error!(case = %case, error = %e, "cannot clear the current question");
    }
    let loc = ctx.hotline.localizer().clone();
    match ctx
        .hotline
        .input(
            case,
            person,
            Channel::Matrix,
            body,
            Some(external_id.to_string()),
            Utc::now(),
        )
        .await
    {
        Ok(turn) if !turn.duplicate => {
            let msgs = render(&loc, turn.state.lang, turn.state.opened_on, &turn.effects);
            reply_turn(ctx, client, room, root, case, msgs).await;
        }
        Ok(_) => {}
        Err(e) => tracing::error!(case = %case, error = %e, "input failed"),
    }
}

/// In the main timeline: a staff member's first message opens a case, in a
/// thread under that message.
pub(super) async fn open_case(
    ctx: &BotContext,
    client: &Client,
    room: &Room,
    person: &Person,
    event: &OwnedEventId,
    body: &str,
) {
    if person.role != Role::Staff {
        if akutlinje_core::engine::parse::asks_for_a_case(body) {
            send_text(room, ctx.text("bot-not-staff")).await;
        }
        return;
    }
    let Some(home_id) = person.home.clone() else {
        return;
    };
    // A redelivered first message must not open a second case.
    match ctx
        .db
        .channels
        .case_of_matrix_thread(room.room_id().as_str(), event.as_str())
        .await
    {
        Ok(None) => {}
        Ok(Some(_)) => return,
        Err(e) => {
            tracing::error!(error = %e, "cannot check the thread");
            return;
        }
    }
    let home = match ctx.db.people.home(&home_id).await {
        Ok(Some(h)) => h,
        _ => return,
    };
    // A case opens only in a room that may show this home's residents.
    let verdict = crate::trust::home_room(ctx, client, room, &home.id).await;
    if verdict != crate::trust::Verdict::Safe {
        tracing::warn!(person = %person.id, room = %room.room_id(), reason = verdict.code(), member = ?verdict.outsider(), "no case opened: the room is not safe");
        send_text(
            room,
            crate::trust::refusal(ctx, room, &home.id, &verdict).await,
        )
        .await;
        return;
    }
    let case = CaseId::from_uuid(uuid::Uuid::new_v4());
    let now = Utc::now();
    let loc = ctx.hotline.localizer().clone();
    match ctx
        .hotline
        .open_case(case, person, &home, Channel::Matrix, Lang::Da, now)
        .await
    {
        Ok(turn) => {
            // Staff answer only after the bot's first question, so linking
            // once the case exists loses no reply.
            if let Err(e) = ctx
                .db
                .channels
                .link_matrix_thread(room.room_id().as_str(), event.as_str(), case, now)
                .await
            {
                tracing::error!(case = %case, error = %e, "cannot link the case to its thread");
                return;
            }
            tracing::info!(case = %case, person = %person.id, "case opened over Matrix");
            let msgs = render(&loc, turn.state.lang, turn.state.opened_on, &turn.effects);
            reply_turn(ctx, client, room, event, case, msgs).await;
        }
        Err(e) => tracing::error!(error = %e, "opening a case failed"),
    }
}

/// The largest voice note kept (about 20 minutes of Element's Opus); a
/// bigger file is refused rather than held in memory and the database.
pub(super) const MAX_VOICE_BYTES: u64 = 20 * 1024 * 1024;

/// A voice note: in a case thread it is downloaded (decrypted by the SDK)
/// and attached to the case; elsewhere staff are told where to send it.
pub(super) async fn voice_note(
    ctx: &BotContext,
    client: &Client,
    room: &Room,
    person: &Person,
    thread_root: Option<OwnedEventId>,
    event: &OwnedEventId,
    audio: &AudioMessageEventContent,
) {
    let case = match &thread_root {
        Some(root) => ctx
            .db
            .channels
            .case_of_matrix_thread(room.room_id().as_str(), root.as_str())
            .await
            .ok()
            .flatten(),
        None => None,
    };
    let (Some(case), Some(root)) = (case, thread_root) else {
        send_text(room, ctx.text("bot-voice-outside-case")).await;
        return;
    };
    let too_large = |n: u64| n > MAX_VOICE_BYTES;
    if audio
        .info
        .as_deref()
        .and_then(|i| i.size)
        .is_some_and(|n| too_large(n.into()))
    {
        tracing::warn!(case = %case, "voice note refused: larger than the limit");
        send_in_thread(
            room,
            &root,
            vec![Outgoing::text(ctx.text("bot-voice-too-large"))],
        )
        .await;
        return;
    }
    let data = match client.media().get_file(audio, false).await {
        Ok(Some(d)) if too_large(d.len() as u64) => {
            tracing::warn!(case = %case, "voice note refused: larger than the limit");
            send_in_thread(
                room,
                &root,
                vec![Outgoing::text(ctx.text("bot-voice-too-large"))],
            )
            .await;
            return;
        }
        Ok(Some(d)) if !d.is_empty() => d,
        Ok(_) => {
            tracing::warn!(case = %case, "voice note without content");
            send_in_thread(
                room,
                &root,
                vec![Outgoing::text(ctx.text("bot-voice-failed"))],
            )
            .await;
            return;
        }
        Err(e) => {
            tracing::warn!(case = %case, error = %e, "voice note download failed");
            send_in_thread(
                room,
                &root,
                vec![Outgoing::text(ctx.text("bot-voice-failed"))],
            )
            .await;
            return;
        }
    };
    let info = audio.info.as_deref();
    let mime = info
        .and_then(|i| i.mimetype.clone())
        .filter(|m| m.starts_with("audio/") && m.len() < 100)
        .unwrap_or_else(|| "audio/ogg".into());
    let duration_ms = info
        .and_then(|i| i.duration)
        .map(|d| d.as_millis().min(u128::from(u64::MAX)) as u64);
    let attachment = NewAttachment {
        mime,
        data,
        external_id: Some(event.to_string()),
    };
    match ctx
        .hotline
        .attach_audio(
            case,
            person,
            Channel::Matrix,
            &attachment,
            duration_ms,
            Utc::now(),
        )
        .await
    {
        Ok(_) => {
            send_in_thread(
                room,
                &root,
                vec![Outgoing::text(ctx.text("bot-voice-attached"))],
            )
            .await;
        }
        Err(ServiceError::Store(StoreError::Duplicate)) => {}
        Err(e) => {
            tracing::error!(case = %case, error = %e, "voice note could not be stored");
            send_in_thread(
                room,
                &root,
                vec![Outgoing::text(ctx.text("bot-voice-failed"))],
            )
            .await;
        }
    }
}

/// A line in the case's thread, for the outbox (a reminder after the
/// advice): `Ok(None)` when the case has no thread (the caller sends it
/// elsewhere), `Ok(Some(id))` when posted, `Err` when the room may not show
/// it now (the caller falls over to another channel).
pub async fn post_in_case_thread(
    ctx: &BotContext,
    client: &Client,
    case: CaseId,
    line: &str,
) -> Result<Option<String>, String> {
    let Ok(Some((room_id, root))) = ctx.db.channels.matrix_thread_of_case(case).await else {
        return Ok(None);
    };
    let staff_room = matrix_sdk::ruma::RoomId::parse(&room_id)
        .ok()
        .and_then(|id| client.get_room(&id));
    let root: Option<OwnedEventId> = root.as_str().try_into().ok();
    let (Some(r), Some(root)) = (staff_room, root) else {
        return Ok(None);
    };
    let home = match ctx.hotline.case_summary(case).await {
        Ok(Some(c)) => c.home,
        _ => return Err("the case could not be read".into()),
    };
    let verdict = crate::trust::home_room(ctx, client, &r, &home).await;
    if verdict != crate::trust::Verdict::Safe {
        withhold(ctx, &r, Some(&root), case, &home, &verdict).await;
        return Err(format!(
            "the case's room may not show it now ({})",
            verdict.code()
        ));
    }
    let mut content =
        matrix_sdk::ruma::events::room::message::RoomMessageEventContent::text_plain(line);
    content.relates_to = Some(matrix_sdk::ruma::events::room::message::Relation::Thread(
        matrix_sdk::ruma::events::relation::Thread::plain(root.clone(), root.clone()),
    ));
    let sent = r.send(content).await.map_err(|e| e.to_string())?;
    log_room_readers(ctx, client, &r, case).await;
    Ok(Some(sent.response.event_id.to_string()))
}

/// Sends a line to the staff's case thread, if the case came in over
/// Matrix and the room may show it now. `Err` says why it was not shown.
pub(crate) async fn tell_staff(
    ctx: &BotContext,
    client: &Client,
    case: CaseId,
    line: &str,
) -> Result<(), String> {
    let Ok(Some((room_id, root))) = ctx.db.channels.matrix_thread_of_case(case).await else {
        return Ok(());
    };
    let staff_room = matrix_sdk::ruma::RoomId::parse(&room_id)
        .ok()
        .and_then(|id| client.get_room(&id));
    let root: Option<OwnedEventId> = root.as_str().try_into().ok();
    let (Some(r), Some(root)) = (staff_room, root) else {
        return Ok(());
    };
    let home = match ctx.hotline.case_summary(case).await {
        Ok(Some(c)) => c.home,
        _ => return Err(ctx.text("bot-room-check-failed")),
    };
    let verdict = crate::trust::home_room(ctx, client, &r, &home).await;
    if verdict != crate::trust::Verdict::Safe {
        withhold(ctx, &r, Some(&root), case, &home, &verdict).await;
        return Err(crate::trust::refusal(ctx, &r, &home, &verdict).await);
    }
    send_in_thread(&r, &root, vec![Outgoing::text(line.to_string())]).await;
    log_room_readers(ctx, client, &r, case).await;
    Ok(())
}
