//! The terminal console: the whole checklist at the keyboard, without any
//! chat server. Renders the engine's effects as text; the same effects go to
//! Matrix and the telephone in their own adapters.

use std::io::{BufRead, Write};

use akutlinje_core::engine::Effect;
use akutlinje_core::i18n::{Lang, Localizer, Msg};
use akutlinje_core::ids::CaseId;
use akutlinje_core::person::{Home, Person};
use akutlinje_core::record::Channel;
use akutlinje_core::service::Hotline;
use anyhow::Context;
use chrono::Utc;

fn framed(title: &str, body: &str) -> String {
    let bar = "─".repeat(60);
    format!(
        "┌{bar}\n│ {title}\n├{bar}\n{}\n└{bar}",
        body.lines()
            .map(|l| format!("│ {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    )
}

/// Renders one turn's effects as console text.
pub fn render(loc: &Localizer, lang: Lang, today: chrono::NaiveDate, effects: &[Effect]) -> String {
    let mut out = Vec::new();
    let shows_isbar = effects.iter().any(|e| matches!(e, Effect::ShowIsbar(_)));
    for e in effects {
        match e {
            Effect::Say(m) => out.push(loc.render(lang, m)),
            Effect::Ask(p) => {
                let mut s = loc.render(lang, &p.msg);
                for (i, c) in p.choices.iter().enumerate() {
                    s.push_str(&format!("\n  {}. {}", i + 1, loc.render(lang, c)));
                }
                out.push(s);
            }
            Effect::Advise112(m) => {
                let bang = "!".repeat(62);
                out.push(format!("{bang}\n{}\n{bang}", loc.render(lang, m)));
            }
            Effect::ShowResidentCard(r) => out.push(framed(
                &loc.text(lang, "card-frame-title"),
                &akutlinje_core::isbar::render_card(loc, lang, r, today),
            )),
            Effect::ShowIsbar(i) => out.push(framed("ISBAR", &i.render(loc, lang))),
            Effect::Page { urgency, isbar } => {
                let head = loc.render(
                    lang,
                    &Msg::new("console-page").arg_msg("urgency", urgency.label()),
                );
                if shows_isbar {
                    out.push(head);
                } else {
                    out.push(framed(&head, &isbar.render(loc, lang)));
                }
            }
            Effect::UpdatePage { urgency, .. } => out.push(loc.render(
                lang,
                &Msg::new("console-page-update").arg_msg("urgency", urgency.label()),
            )),
            Effect::Record(_) | Effect::LookupResident(_) | Effect::Finished => {}
        }
    }
    out.join("\n")
}

/// Runs a case at the terminal: reads lines from `input`, writes to `output`.
/// Ends at end of input; the case stays in the record either way.
pub async fn run(
    hotline: &Hotline,
    who: &Person,
    home: &Home,
    lang: Lang,
    input: impl BufRead,
    mut output: impl Write,
) -> anyhow::Result<CaseId> {
    let loc = hotline.localizer().clone();
    let case = CaseId::from_uuid(uuid::Uuid::new_v4());
    let turn = hotline
        .open_case(case, who, home, Channel::Console, lang, Utc::now())
        .await
        .context("cannot open the case")?;
    let today = turn.state.opened_on;
    writeln!(output, "Sag {case}")?;
    writeln!(output, "{}", render(&loc, lang, today, &turn.effects))?;
    write!(output, "> ")?;
    output.flush()?;
    for line in input.lines() {
        let line = line.context("cannot read input")?;
        if line.trim().is_empty() {
            write!(output, "> ")?;
            output.flush()?;
            continue;
        }
        match hotline
            .input(case, who, Channel::Console, &line, None, Utc::now())
            .await
        {
            Ok(turn) => writeln!(output, "{}", render(&loc, lang, today, &turn.effects))?,
            Err(akutlinje_core::service::ServiceError::BadInput(m)) => writeln!(output, "({m})")?,
            Err(e) => {
                return Err(anyhow::Error::new(e)
                    .context("the input could not be stored; it was not accepted"))
            }
        }
        write!(output, "> ")?;
        output.flush()?;
    }
    writeln!(output)?;
    Ok(case)
}
