//! Staff conversations: a case per Matrix thread in the home's room.
//!
//! Why threads rather than a new room per case: night staff stay in the one
//! room they know (their home's), see every open case of the night as a thread
//! there, and need not accept an invite at 3 a.m. before they can answer. The
//! room is end-to-end encrypted like any other.
//!
//! Every message in a case thread lands in the case record with its event id,
//! so a redelivered event is recorded once: staff messages go through
//! `Hotline::input` (the checklist), anyone else's are notes, voice notes are
//! attached. The engine's effects come back already stored and are rendered
//! here — plain text plus escaped HTML, never user text as markup. A numbered
//! question gets the numbers as reactions, so staff can answer with a tap.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use akutlinje_core::engine::Effect;
use akutlinje_core::i18n::{Lang, Localizer, Msg};
use akutlinje_core::ids::CaseId;
use akutlinje_core::person::{Person, Role};
use akutlinje_core::record::Channel;
use akutlinje_core::rota::ServiceId;
use akutlinje_core::service::Hotline;
use akutlinje_core::service::{ServiceError, Via};
use akutlinje_core::store::{NewAttachment, StoreError};
use chrono::Utc;
use matrix_sdk::event_handler::Ctx;
use matrix_sdk::ruma::events::reaction::{OriginalSyncReactionEvent, ReactionEventContent};
use matrix_sdk::ruma::events::relation::{Annotation, Thread};
use matrix_sdk::ruma::events::room::message::{
    AudioMessageEventContent, MessageType, OriginalSyncRoomMessageEvent, Relation,
    RoomMessageEventContent,
};
use matrix_sdk::ruma::{OwnedEventId, UserId};
use matrix_sdk::{Client, Room, RoomState};
use tracing::Instrument;

/// What the bot's handlers share.
#[derive(Clone)]
pub struct BotContext {
    pub hotline: Hotline,
    /// The on-call service `!vagt` shows.
    pub service: ServiceId,
    /// (room, user) pairs already told "I do not know you": told once.
    refused: Arc<Mutex<HashSet<(String, String)>>>,
}

impl BotContext {
    /// A context around the hotline service; `service` is the paging service.
    pub fn new(hotline: Hotline, service: ServiceId) -> BotContext {
        BotContext {
            hotline,
            service,
            refused: Arc::new(Mutex::new(HashSet::new())),
        }
    }

    /// A bot text from the prompts, in Danish (the bot's language for now).
    pub(crate) fn text(&self, id: &str) -> String {
        self.hotline.localizer().text(Lang::Da, id)
    }

    pub(crate) fn render(&self, msg: &Msg) -> String {
        self.hotline.localizer().render(Lang::Da, msg)
    }
}

/// Escapes text for Matrix's HTML body.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn lines_html(text: &str) -> String {
    escape(text).replace('\n', "<br>")
}

/// One message to send: plain text, its HTML, and how many numbered choices
/// it offers (answerable with a reaction).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub plain: String,
    pub html: String,
    pub choices: usize,
}

impl Outgoing {
    fn new(plain: String, html: String) -> Outgoing {
        Outgoing {
            plain,
            html,
            choices: 0,
        }
    }

    /// Plain text, its HTML escaped line by line.
    pub fn text(plain: String) -> Outgoing {
        let html = lines_html(&plain);
        Outgoing::new(plain, html)
    }
}

/// The reactions that answer choices 1–10.
pub const KEYCAPS: [&str; 10] = ["1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟"];

/// The choice number a reaction stands for (keycaps, with or without the
/// variation selector some clients drop).
pub fn keycap_number(key: &str) -> Option<usize> {
    let k = key.replace('\u{fe0f}', "");
    KEYCAPS
        .iter()
        .position(|c| c.replace('\u{fe0f}', "") == k)
        .map(|i| i + 1)
}

/// The engine's effects as Matrix messages.
pub fn render(
    loc: &Localizer,
    lang: Lang,
    today: chrono::NaiveDate,
    effects: &[Effect],
) -> Vec<Outgoing> {
    let mut out = Vec::new();
    let shows_isbar = effects.iter().any(|e| matches!(e, Effect::ShowIsbar(_)));
    for e in effects {
        match e {
            Effect::Say(m) => out.push(Outgoing::text(loc.render(lang, m))),
            Effect::Ask(p) => {
                let mut t = loc.render(lang, &p.msg);
                let mut h = lines_html(&t);
                if !p.choices.is_empty() {
                    h.push_str("<ol>");
                    for (i, c) in p.choices.iter().enumerate() {
                        let c = loc.render(lang, c);
                        t.push_str(&format!("\n{}. {c}", i + 1));
                        h.push_str(&format!("<li>{}</li>", escape(&c)));
                    }
                    h.push_str("</ol>");
                }
                out.push(Outgoing {
                    plain: t,
                    html: h,
                    choices: p.choices.len(),
                });
            }
            Effect::Advise112(m) => {
                // The first thing sent, and impossible to miss: a red heading,
                // the rest in bold.
                let t = loc.render(lang, m);
                let mut lines = t.lines();
                let head = lines.next().unwrap_or_default().to_string();
                let rest: Vec<&str> = lines.collect();
                out.push(Outgoing::new(
                    t.clone(),
                    format!(
                        "<h1><font color=\"#d00000\" data-mx-color=\"#d00000\">{}</font></h1><p><strong>{}</strong></p>",
                        escape(&head),
                        rest.iter()
                            .map(|l| escape(l))
                            .collect::<Vec<_>>()
                            .join("<br>")
                    ),
                ));
            }
            Effect::ShowResidentCard(r) => {
                let t = akutlinje_core::isbar::render_card(loc, lang, r, today);
                let h = format!("<blockquote>{}</blockquote>", lines_html(&t));
                out.push(Outgoing::new(t, h));
            }
            Effect::ShowIsbar(i) => {
                let t = i.render(loc, lang);
                let h = format!("<pre>{}</pre>", escape(&t));
                out.push(Outgoing::new(t, h));
            }
            Effect::Page { urgency, isbar } => {
                let head = loc.render(
                    lang,
                    &Msg::new("bot-paging").arg_msg("urgency", urgency.label()),
                );
                if shows_isbar {
                    let h = format!("<p><em>{}</em></p>", escape(&head));
                    out.push(Outgoing::new(head, h));
                } else {
                    let body = isbar.render(loc, lang);
                    out.push(Outgoing::new(
                        format!("{head}\n{body}"),
                        format!(
                            "<p><em>{}</em></p><pre>{}</pre>",
                            escape(&head),
                            escape(&body)
                        ),
                    ));
                }
            }
            Effect::UpdatePage { .. }
            | Effect::Record(_)
            | Effect::LookupResident(_)
            | Effect::Finished => {}
        }
    }
    out
}

/// Sends messages into a thread; returns the event id of the last question
/// with choices, if any (the one reactions may answer). Its numbers are added
/// as reactions so a tap answers.
pub(crate) async fn send_in_thread(
    room: &Room,
    root: &OwnedEventId,
    messages: Vec<Outgoing>,
) -> Option<OwnedEventId> {
    let mut prompt = None;
    for m in messages {
        let mut content = RoomMessageEventContent::text_html(m.plain, m.html);
        content.relates_to = Some(Relation::Thread(Thread::plain(root.clone(), root.clone())));
        match room.send(content).await {
            Ok(sent) if m.choices > 0 => {
                let id = sent.response.event_id;
                prompt = Some((id, m.choices));
            }
            Ok(_) => {}
            Err(e) => tracing::error!(room = %room.room_id(), error = %e, "sending a reply failed"),
        }
    }
    let (id, n) = prompt?;
    // After the question, so the question is not delayed; in order, so the
    // numbers line up.
    let room = room.clone();
    let target = id.clone();
    tokio::spawn(async move {
        for key in KEYCAPS.iter().take(n) {
            let r = ReactionEventContent::new(Annotation::new(target.clone(), (*key).to_string()));
            if let Err(e) = room.send(r).await {
                tracing::warn!(room = %room.room_id(), error = %e, "adding a choice reaction failed");
                break;
            }
        }
    });
    Some(id)
}

pub(crate) async fn send_text(room: &Room, text: String) {
    let m = Outgoing::text(text);
    if let Err(e) = room
        .send(RoomMessageEventContent::text_html(m.plain, m.html))
        .await
    {
        tracing::error!(room = %room.room_id(), error = %e, "sending a reply failed");
    }
}

/// Sends a turn's messages — each only after the room was checked again
/// (a stranger who joins mid-case stops the flow) — and remembers its
/// question for reactions. Every member shown the messages has read the
/// resident's data: that is written to the access log.
async fn reply_turn(
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
async fn log_room_readers(ctx: &BotContext, client: &Client, room: &Room, case: CaseId) {
    let store = ctx.hotline.store();
    let Ok(Some(resident)) = store.case(case).await.map(|c| c.and_then(|c| c.resident)) else {
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
        if let Ok(Some(p)) = store.person_by_matrix_user(m.user_id().as_str()).await {
            let entry = akutlinje_core::record::AccessEntry::new(
                now,
                Some(p.id),
                resident.clone(),
                Some(case),
                akutlinje_core::record::AccessAction::Read,
                Channel::Matrix,
            )
            .detail("room");
            if let Err(e) = store.log_access(&entry).await {
                tracing::error!(case = %case, error = %e, "cannot log a room read");
            }
        }
    }
}

async fn remember_prompt(
    ctx: &BotContext,
    room: &Room,
    root: &OwnedEventId,
    prompt: Option<OwnedEventId>,
) {
    if let Err(e) = ctx
        .hotline
        .store()
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

const OPEN_WORDS: [&str; 4] = ["akut", "ny sag", "ny", "hjælp"];

/// Who wrote, if we know them; strangers are refused once per room.
async fn known_sender(ctx: &BotContext, room: &Room, sender: &UserId) -> Option<Person> {
    match ctx
        .hotline
        .store()
        .person_by_matrix_user(sender.as_str())
        .await
    {
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
        if body.trim().eq_ignore_ascii_case("!vagt") {
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
                } else if crate::physician::PhysicianCommand::parse(&body).is_command() {
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

/// A message in a case's thread: staff answer the checklist; anyone else's
/// words (a physician's advice, a coordinator) are notes in the record.
async fn case_thread_message(
    ctx: &BotContext,
    client: &Client,
    room: &Room,
    person: &Person,
    root: OwnedEventId,
    event: &OwnedEventId,
    body: &str,
) {
    let store = ctx.hotline.store();
    let case = match store
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

/// Checks the room for the case's home; when it is not safe, says why in
/// one line in the thread and records that the data was withheld.
async fn room_is_safe_for(
    ctx: &BotContext,
    client: &Client,
    room: &Room,
    root: &OwnedEventId,
    case: CaseId,
) -> bool {
    let home = match ctx.hotline.store().case(case).await {
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
async fn withhold(
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
    let event = akutlinje_core::record::NewEvent {
        at: Utc::now(),
        author: akutlinje_core::record::Author::system(),
        channel: Channel::Matrix,
        kind: akutlinje_core::record::EventKind::ResidentDataWithheld {
            reason: verdict.code().to_string(),
            member: verdict.outsider().map(str::to_string),
        },
        corrects: None,
        external_id: None,
    };
    if let Err(e) = ctx.hotline.store().append_event(case, &event).await {
        tracing::error!(case = %case, error = %e, "cannot record the withheld data");
    }
}

/// Staff input into the checklist, idempotent by `external_id`.
#[allow(clippy::too_many_arguments)]
async fn staff_input(
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
        .hotline
        .store()
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
async fn open_case(
    ctx: &BotContext,
    client: &Client,
    room: &Room,
    person: &Person,
    event: &OwnedEventId,
    body: &str,
) {
    let store = ctx.hotline.store().clone();
    let word = body.trim().to_lowercase();
    if person.role != Role::Staff {
        if OPEN_WORDS.contains(&word.as_str()) {
            send_text(room, ctx.text("bot-not-staff")).await;
        }
        return;
    }
    let Some(home_id) = person.home.clone() else {
        return;
    };
    // A redelivered first message must not open a second case.
    match store
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
    let home = match store.home(&home_id).await {
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
            if let Err(e) = store
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
const MAX_VOICE_BYTES: u64 = 20 * 1024 * 1024;

/// A voice note: in a case thread it is downloaded (decrypted by the SDK)
/// and attached to the case; elsewhere staff are told where to send it.
async fn voice_note(
    ctx: &BotContext,
    client: &Client,
    room: &Room,
    person: &Person,
    thread_root: Option<OwnedEventId>,
    event: &OwnedEventId,
    audio: &AudioMessageEventContent,
) {
    let store = ctx.hotline.store();
    let case = match &thread_root {
        Some(root) => store
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
            let store = ctx.hotline.store();
            let found = match store
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
        let decline = match key.replace('\u{fe0f}', "").as_str() {
            "✅" | "✔" | "👍" => false,
            "❌" | "✖" | "👎" => true,
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

/// Sends a line to the staff's case thread, if the case came in over
/// Matrix and the room may show it now. `Err` says why it was not shown.
pub(crate) async fn tell_staff(
    ctx: &BotContext,
    client: &Client,
    case: CaseId,
    line: &str,
) -> Result<(), String> {
    let Ok(Some((room_id, root))) = ctx.hotline.store().matrix_thread_of_case(case).await else {
        return Ok(());
    };
    let staff_room = matrix_sdk::ruma::RoomId::parse(&room_id)
        .ok()
        .and_then(|id| client.get_room(&id));
    let root: Option<OwnedEventId> = root.as_str().try_into().ok();
    let (Some(r), Some(root)) = (staff_room, root) else {
        return Ok(());
    };
    let home = match ctx.hotline.store().case(case).await {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keycaps_answer_their_number() {
        assert_eq!(keycap_number("1️⃣"), Some(1));
        assert_eq!(
            keycap_number("3\u{20e3}"),
            Some(3),
            "without the variation selector"
        );
        assert_eq!(keycap_number("🔟"), Some(10));
        assert_eq!(keycap_number("✅"), None);
    }

    #[test]
    fn the_112_advice_is_a_red_heading_and_user_text_stays_text() {
        let loc = Localizer::builtin().expect("texts");
        let fx = [Effect::Advise112(Msg::new("advise-112"))];
        let out = render(&loc, Lang::Da, chrono::NaiveDate::MIN, &fx);
        assert_eq!(out.len(), 1);
        assert!(
            out[0].html.starts_with("<h1><font color=\"#d00000\""),
            "{}",
            out[0].html
        );
        assert!(
            out[0].plain.starts_with("🚨 RING 112 NU 🚨"),
            "{}",
            out[0].plain
        );
        assert!(
            out[0]
                .html
                .contains("🚨 RING 112 NU 🚨</font></h1><p><strong>"),
            "{}",
            out[0].html
        );
    }

    #[test]
    fn user_text_is_escaped() {
        assert_eq!(
            escape("<b>x</b> & 'y'"),
            "&lt;b&gt;x&lt;/b&gt; &amp; &#39;y&#39;"
        );
    }
}
