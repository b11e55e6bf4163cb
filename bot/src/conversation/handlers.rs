//! The sync loop's handlers for messages and reactions: who wrote, and where
//! it goes (a case thread, a physician's direct room, a new case).

use super::*;

/// Who wrote, if we know them; strangers are refused once per room.
pub(super) async fn known_sender(ctx: &BotContext, room: &Room, sender: &UserId) -> Option<Person> {
    match ctx.db.people.person_by_matrix_user(sender.as_str()).await {
        Ok(Some(p)) => Some(p),
        Ok(None) => {
            let key = (room.room_id().to_string(), sender.to_string());
            let first = ctx
                .refused
                .lock()
                .map(|mut s| s.insert(key))
                .unwrap_or(false);
            tracing::warn!(sender = %sender, room = %room.room_id(), "message from an unknown user refused");
            if first {
                send_text(room, ctx.text("bot-refusal")).await;
            }
            None
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot look up the sender");
            None
        }
    }
}

/// A message in a room the bot is in.
pub(crate) async fn on_message(
    ev: OriginalSyncRoomMessageEvent,
    room: Room,
    client: Client,
    Ctx(ctx): Ctx<BotContext>,
) {
    if room.state() != RoomState::Joined || client.user_id() == Some(ev.sender.as_ref()) {
        return;
    }
    // How long the message took from its sender's homeserver to us.
    let sent_ms = i64::from(ev.origin_server_ts.get());
    let lag_ms = Utc::now().timestamp_millis() - sent_ms;
    metrics::histogram!("akutlinje_matrix_event_lag_seconds").record(lag_ms.max(0) as f64 / 1000.0);
    let span = tracing::info_span!("matrix_message", room = %room.room_id(), event = %ev.event_id);
    let _ = async {
        let Some(person) = known_sender(&ctx, &room, &ev.sender).await else {
            return;
        };
        let thread_root = match &ev.content.relates_to {
            Some(Relation::Thread(t)) => Some(t.event_id.clone()),
            _ => None,
        };
        let body = match &ev.content.msgtype {
            MessageType::Text(t) => Some(t.body.clone()),
            MessageType::Notice(_) => return,
            MessageType::Audio(a) => {
                voice_note(&ctx, &client, &room, &person, thread_root, &ev.event_id, a).await;
                return;
            }
            _ => None,
        };
        let Some(body) = body else { return };
        if akutlinje_core::reply::asks_who_is_on_call(&body) {
            send_text(&room, crate::physician::oncall_text(&ctx, Utc::now()).await).await;
            return;
        }
        match thread_root {
            Some(root) => {
                case_thread_message(&ctx, &client, &room, &person, root, &ev.event_id, &body)
                    .await
            }
            None if person.role == Role::Physician => {
                // Commands and advice count only in the physician's direct
                // room with the bot: words elsewhere never reach a case.
                if crate::trust::is_direct_with(&ctx, &client, &room, &person).await {
                    crate::physician::physician_message(
                        &ctx,
                        &client,
                        &room,
                        &person,
                        &body,
                        &ev.event_id,
                    )
                    .await
                } else if akutlinje_core::reply::PageReply::parse(&body).is_command() {
                    tracing::info!(person = %person.id, room = %room.room_id(), "physician command outside the direct room ignored");
                    send_text(&room, ctx.text("bot-physician-dm-only")).await;
                }
            }
            None => open_case(&ctx, &client, &room, &person, &ev.event_id, &body).await,
        }
    }
    .instrument(span)
    .await;
}

/// A reaction: a number on the current question of a case thread answers
/// it; ✅/❌ on a page acknowledges or declines it.
pub(crate) async fn on_reaction(
    ev: OriginalSyncReactionEvent,
    room: Room,
    client: Client,
    Ctx(ctx): Ctx<BotContext>,
) {
    if room.state() != RoomState::Joined || client.user_id() == Some(ev.sender.as_ref()) {
        return;
    }
    let span = tracing::info_span!("matrix_reaction", room = %room.room_id(), event = %ev.event_id);
    let _ = async {
        let key = ev.content.relates_to.key.as_str();
        let target = &ev.content.relates_to.event_id;
        if let Some(n) = keycap_number(key) {
            // Who tapped, and whether the room may show the case, come
            // first: a stranger's (or a visitor's) tap never takes the
            // question away from the nurse.
            let Some(person) = known_sender(&ctx, &room, &ev.sender).await else {
                return;
            };
            let Some(home) = person.home.clone().filter(|_| person.role == Role::Staff) else {
                return;
            };
            let verdict = crate::trust::home_room(&ctx, &client, &room, &home).await;
            if verdict != crate::trust::Verdict::Safe {
                tracing::warn!(room = %room.room_id(), reason = verdict.code(), "tap in an unsafe room not taken");
                send_text(&room, crate::trust::refusal(&ctx, &room, &home, &verdict).await).await;
                return;
            }
            let found = match ctx.db.channels
                .take_matrix_prompt(room.room_id().as_str(), target.as_str())
                .await
            {
                Ok(f) => f,
                Err(e) => {
                    tracing::error!(error = %e, "cannot look up the question");
                    return;
                }
            };
            let Some((case, root)) = found else {
                // An answered question, or not the bot's: ignored.
                return;
            };
            let Ok(root) = OwnedEventId::try_from(root.as_str()) else {
                return;
            };
            staff_input(
                &ctx,
                &client,
                &room,
                &person,
                case,
                &root,
                &n.to_string(),
                ev.event_id.as_str(),
            )
            .await;
            return;
        }
        let decline = match akutlinje_core::reply::PageReply::from_reaction(key) {
            Some(akutlinje_core::reply::PageReply::Acknowledge { .. }) => false,
            Some(akutlinje_core::reply::PageReply::Decline { .. }) => true,
            _ => return,
        };
        let Some(person) = known_sender(&ctx, &room, &ev.sender).await else {
            return;
        };
        crate::physician::react_to_page(
            &ctx,
            &client,
            &room,
            &person,
            target,
            decline,
            &ev.event_id,
        )
        .await;
    }
    .instrument(span)
    .await;
}
