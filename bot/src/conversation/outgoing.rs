//! What the bot writes: the engine's effects as text and HTML (built with
//! maud, so text is escaped by construction and never becomes markup), the
//! numbered choices as reactions, sent into a case's thread.

use maud::{html, Markup};

use super::*;

/// Text as HTML, its lines kept as lines.
pub fn lines(text: &str) -> Markup {
    html! {
        @for (i, line) in text.split('\n').enumerate() {
            @if i > 0 { br; }
            (line)
        }
    }
}

/// One message to send: plain text, its HTML, and how many numbered choices
/// it offers (answerable with a reaction).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The text (also what clients without HTML show).
    pub plain: String,
    /// The same as HTML (`formatted_body`).
    pub html: String,
    /// How many numbered choices it offers.
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
        let html = lines(&plain).into_string();
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
                let question = loc.render(lang, &p.msg);
                let choices: Vec<String> = p.choices.iter().map(|c| loc.render(lang, c)).collect();
                let mut t = question.clone();
                for (i, c) in choices.iter().enumerate() {
                    t.push_str(&format!("\n{}. {c}", i + 1));
                }
                let h = html! {
                    (lines(&question))
                    @if !choices.is_empty() {
                        ol { @for c in &choices { li { (c) } } }
                    }
                };
                out.push(Outgoing {
                    plain: t,
                    html: h.into_string(),
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
                let h = html! {
                    h1 { font color="#d00000" data-mx-color="#d00000" { (head) } }
                    p { strong { (self::lines(&rest.join("\n"))) } }
                };
                out.push(Outgoing::new(t.clone(), h.into_string()));
            }
            Effect::ShowResidentCard(r) => {
                let t = akutlinje_core::isbar::render_card(loc, lang, r, today);
                let h = html! { blockquote { (lines(&t)) } };
                out.push(Outgoing::new(t, h.into_string()));
            }
            Effect::ShowIsbar(i) => {
                let t = i.render(loc, lang);
                let h = html! { pre { (t) } };
                out.push(Outgoing::new(t, h.into_string()));
            }
            Effect::Page { urgency, isbar } => {
                let head = loc.render(
                    lang,
                    &Msg::new("bot-paging").arg_msg("urgency", urgency.label()),
                );
                if shows_isbar {
                    let h = html! { p { em { (head) } } };
                    out.push(Outgoing::new(head, h.into_string()));
                } else {
                    let body = isbar.render(loc, lang);
                    let h = html! { p { em { (head) } } pre { (body) } };
                    out.push(Outgoing::new(format!("{head}\n{body}"), h.into_string()));
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
            lines("<b>x</b> & \"y\"\nnext").into_string(),
            "&lt;b&gt;x&lt;/b&gt; &amp; &quot;y&quot;<br>next"
        );
        let out = Outgoing::text("<script>alert(1)</script>".into());
        assert_eq!(out.html, "&lt;script&gt;alert(1)&lt;/script&gt;");
    }
}
