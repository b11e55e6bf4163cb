//! What the bot writes: the engine's effects as text and escaped HTML, the
//! numbered choices as reactions, sent into a case's thread.

use super::*;

/// Escapes text for Matrix's HTML body.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

pub(super) fn lines_html(text: &str) -> String {
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
