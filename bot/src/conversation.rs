//! Staff conversations: a case per Matrix thread in the home's room.
//!
//! Why threads rather than a new room per case: night staff stay in the one
//! room they know (their home's), see every open case of the night as a thread
//! there, and need not accept an invite at 3 a.m. before they can answer. The
//! room is end-to-end encrypted like any other.
//!
//! Every message in a case thread goes through `Hotline::input` with its event
//! id, so a redelivered event is recorded once; the engine's effects come back
//! already stored and are rendered here — plain text plus escaped HTML, never
//! user text as markup.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use akutlinje_core::engine::Effect;
use akutlinje_core::i18n::{Lang, Localizer, Msg};
use akutlinje_core::ids::CaseId;
use akutlinje_core::person::{Person, Role};
use akutlinje_core::record::Channel;
use akutlinje_core::service::Hotline;
use chrono::Utc;
use matrix_sdk::event_handler::Ctx;
use matrix_sdk::ruma::events::relation::Thread;
use matrix_sdk::ruma::events::room::message::{
    MessageType, OriginalSyncRoomMessageEvent, Relation, RoomMessageEventContent,
};
use matrix_sdk::ruma::OwnedEventId;
use matrix_sdk::{Client, Room, RoomState};

/// What the bot's handlers share.
#[derive(Clone)]
pub struct BotContext {
    pub hotline: Hotline,
    /// (room, user) pairs already told "I do not know you": told once.
    refused: Arc<Mutex<HashSet<(String, String)>>>,
}

impl BotContext {
    /// A context around the hotline service.
    pub fn new(hotline: Hotline) -> BotContext {
        BotContext {
            hotline,
            refused: Arc::new(Mutex::new(HashSet::new())),
        }
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

/// The engine's effects as Matrix messages: (plain, html).
pub fn render(
    loc: &Localizer,
    lang: Lang,
    today: chrono::NaiveDate,
    effects: &[Effect],
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let shows_isbar = effects.iter().any(|e| matches!(e, Effect::ShowIsbar(_)));
    for e in effects {
        match e {
            Effect::Say(m) => {
                let t = loc.render(lang, m);
                out.push((t.clone(), lines_html(&t)));
            }
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
                out.push((t, h));
            }
            Effect::Advise112(m) => {
                // The first thing sent, and impossible to miss.
                let t = loc.render(lang, m);
                let mut lines = t.lines();
                let head = lines.next().unwrap_or_default().to_string();
                let rest: Vec<&str> = lines.collect();
                out.push((
                    t.clone(),
                    format!(
                        "<h2>{}</h2><p><strong>{}</strong></p>",
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
                out.push((
                    t.clone(),
                    format!("<blockquote>{}</blockquote>", lines_html(&t)),
                ));
            }
            Effect::ShowIsbar(i) => {
                let t = i.render(loc, lang);
                out.push((t.clone(), format!("<pre>{}</pre>", escape(&t))));
            }
            Effect::Page { urgency, isbar } => {
                let head = format!(
                    "📟 Vagtlægen kaldes · hastegrad {}",
                    loc.render(lang, &urgency.label())
                );
                if shows_isbar {
                    out.push((head.clone(), format!("<p><em>{}</em></p>", escape(&head))));
                } else {
                    let body = isbar.render(loc, lang);
                    out.push((
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

async fn send_in_thread(room: &Room, root: &OwnedEventId, messages: Vec<(String, String)>) {
    for (plain, html) in messages {
        let mut content = RoomMessageEventContent::text_html(plain, html);
        content.relates_to = Some(Relation::Thread(Thread::plain(root.clone(), root.clone())));
        if let Err(e) = room.send(content).await {
            tracing::error!(room = %room.room_id(), error = %e, "sending a reply failed");
        }
    }
}

/// A bot text from the prompts, in Danish (the bot's language for now).
fn bot_text(ctx: &BotContext, id: &str) -> String {
    ctx.hotline.localizer().text(Lang::Da, id)
}
const OPEN_WORDS: [&str; 4] = ["akut", "ny sag", "ny", "hjælp"];

/// A message in a room the bot is in.
pub(crate) async fn on_message(
    ev: OriginalSyncRoomMessageEvent,
    room: Room,
    client: Client,
    Ctx(ctx): Ctx<BotContext>,
) {
    tracing::debug!(room = %room.room_id(), event = %ev.event_id, state = ?room.state(), "message");
    if room.state() != RoomState::Joined || client.user_id() == Some(ev.sender.as_ref()) {
        return;
    }
    let MessageType::Text(text) = &ev.content.msgtype else {
        return;
    };
    let store = ctx.hotline.store().clone();
    let person: Person = match store.person_by_matrix_user(ev.sender.as_str()).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            let key = (room.room_id().to_string(), ev.sender.to_string());
            let first = ctx
                .refused
                .lock()
                .map(|mut s| s.insert(key))
                .unwrap_or(false);
            tracing::warn!(sender = %ev.sender, room = %room.room_id(), "message from an unknown user refused");
            if first {
                let _ = room
                    .send(RoomMessageEventContent::text_plain(bot_text(
                        &ctx,
                        "bot-refusal",
                    )))
                    .await;
            }
            return;
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot look up the sender");
            return;
        }
    };
    tracing::debug!(person = %person.id, "known sender");
    let loc = ctx.hotline.localizer().clone();
    let thread_root = match &ev.content.relates_to {
        Some(Relation::Thread(t)) => Some(t.event_id.clone()),
        _ => None,
    };
    let now = Utc::now();
    match thread_root {
        Some(root) => {
            let case = match store
                .case_of_matrix_thread(room.room_id().as_str(), root.as_str())
                .await
            {
                Ok(Some(c)) => c,
                _ => return,
            };
            match ctx
                .hotline
                .input(
                    case,
                    &person,
                    Channel::Matrix,
                    &text.body,
                    Some(ev.event_id.to_string()),
                    now,
                )
                .await
            {
                Ok(turn) if !turn.duplicate => {
                    let msgs = render(&loc, turn.state.lang, turn.state.opened_on, &turn.effects);
                    send_in_thread(&room, &root, msgs).await;
                }
                Ok(_) => {}
                Err(e) => tracing::error!(case = %case, error = %e, "input failed"),
            }
        }
        None if person.role == Role::Physician => {
            physician_message(&ctx, &client, &room, &person, &text.body).await
        }
        None => {
            // In the main timeline: a staff member's first message opens a case.
            let word = text.body.trim().to_lowercase();
            tracing::debug!(role = person.role.as_str(), "main timeline message");
            if person.role != Role::Staff {
                if OPEN_WORDS.contains(&word.as_str()) {
                    let _ = room
                        .send(RoomMessageEventContent::text_plain(bot_text(
                            &ctx,
                            "bot-not-staff",
                        )))
                        .await;
                }
                return;
            }
            let Some(home_id) = person.home.clone() else {
                return;
            };
            let Ok(Some(home)) = store.home(&home_id).await else {
                return;
            };
            let case = CaseId::from_uuid(uuid::Uuid::new_v4());
            let root = ev.event_id.clone();
            match ctx
                .hotline
                .open_case(case, &person, &home, Channel::Matrix, Lang::Da, now)
                .await
            {
                Ok(turn) => {
                    // Staff answer only after the bot's first question, so linking
                    // once the case exists loses no reply.
                    if let Err(e) = store
                        .link_matrix_thread(room.room_id().as_str(), root.as_str(), case, now)
                        .await
                    {
                        tracing::error!(case = %case, error = %e, "cannot link the case to its thread");
                        return;
                    }
                    let msgs = render(&loc, turn.state.lang, turn.state.opened_on, &turn.effects);
                    send_in_thread(&room, &root, msgs).await;
                }
                Err(e) => tracing::error!(error = %e, "opening a case failed"),
            }
        }
    }
}

/// A physician writing to the bot (in their DM): "ok" acknowledges the latest
/// page, "nej" declines it, anything else is advice, relayed verbatim with
/// their name to the staff's thread and recorded in the case.
async fn physician_message(
    ctx: &BotContext,
    client: &Client,
    room: &Room,
    person: &Person,
    body: &str,
) {
    let store = ctx.hotline.store().clone();
    let now = Utc::now();
    let reply = |t: &str| RoomMessageEventContent::text_plain(t.to_string());
    let Ok(Some(case)) = store.latest_page_to(&person.id).await else {
        let _ = room.send(reply(&bot_text(ctx, "bot-no-page"))).await;
        return;
    };
    let word = body.trim().to_lowercase();
    let staff_line = match word.as_str() {
        "ok" | "ja" | "✅" | "kvitter" | "kvitteret" => {
            if let Err(e) = ctx
                .hotline
                .respond_to_page(case, person, Channel::Matrix, false, now)
                .await
            {
                tracing::error!(case = %case, error = %e, "acknowledgement failed");
                return;
            }
            let _ = room.send(reply(&bot_text(ctx, "bot-acknowledged"))).await;
            ctx.hotline.localizer().render(
                Lang::Da,
                &Msg::new("bot-staff-acknowledged").arg("name", &person.name),
            )
        }
        "nej" | "❌" | "afvis" => {
            if let Err(e) = ctx
                .hotline
                .respond_to_page(case, person, Channel::Matrix, true, now)
                .await
            {
                tracing::error!(case = %case, error = %e, "decline failed");
                return;
            }
            let _ = room.send(reply(&bot_text(ctx, "bot-declined"))).await;
            return;
        }
        _ => {
            if let Err(e) = ctx
                .hotline
                .annotate(case, person, Channel::Matrix, body, None, now)
                .await
            {
                tracing::error!(case = %case, error = %e, "advice could not be recorded");
                return;
            }
            ctx.hotline.localizer().render(
                Lang::Da,
                &Msg::new("bot-staff-advice")
                    .arg("name", &person.name)
                    .arg("advice", body.trim()),
            )
        }
    };
    // To the staff's thread, if the case came in over Matrix.
    if let Ok(Some((room_id, root))) = store.matrix_thread_of_case(case).await {
        let staff_room = matrix_sdk::ruma::RoomId::parse(&room_id)
            .ok()
            .and_then(|id| client.get_room(&id));
        let root: Option<OwnedEventId> = root.as_str().try_into().ok();
        if let (Some(r), Some(root)) = (staff_room, root) {
            send_in_thread(&r, &root, vec![(staff_line.clone(), escape(&staff_line))]).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_escaped() {
        assert_eq!(
            escape("<b>x</b> & 'y'"),
            "&lt;b&gt;x&lt;/b&gt; &amp; &#39;y&#39;"
        );
    }
}
