//! The checklist on the telephone: the engine's effects as speech, and
//! keypad input as the text the engine understands. Pure functions; the
//! webhook handlers (`routes`) add the URLs and the state.
//!
//! Keys, the same on every question:
//! - digits then `#`: a number (`*` is the decimal comma: `38*9#` is 38,9;
//!   on blood pressure `120*80#` is 120/80);
//! - `*` alone: skip («ved ikke»);
//! - `#` alone, or silence: the question again;
//! - `0` alone: straight through to the physician («læge nu»);
//! - on the danger-sign question, `9`: not the right resident («forkert»).

use akutlinje_core::engine::{Effect, Expect, Prompt};
use akutlinje_core::i18n::{Lang, Localizer, Msg};
use chrono::NaiveDate;

/// What the caller keyed, as engine input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keyed {
    /// Text for the engine.
    Text(String),
    /// Put through to the physician now.
    Physician,
    /// Nothing usable: ask again.
    Repeat,
}

/// Maps the keys pressed on `prompt` to engine input.
pub fn keys_to_input(prompt: Option<&Prompt>, digits: &str) -> Keyed {
    let d: String = digits
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '*')
        .collect();
    match d.as_str() {
        "" => return Keyed::Repeat,
        "0" => return Keyed::Physician,
        "*" => return Keyed::Text("ved ikke".into()),
        _ => {}
    }
    let Some(p) = prompt else {
        return Keyed::Text(d);
    };
    match &p.expect {
        Expect::YesNo => match d.as_str() {
            "1" => Keyed::Text("ja".into()),
            "2" => Keyed::Text("nej".into()),
            _ => Keyed::Text(d),
        },
        Expect::Choice { multiple: true, .. } => {
            if d == "9" && p.msg.id == "ask-red-flags" {
                return Keyed::Text("forkert".into());
            }
            // Each key is one choice: "13#" is choices 1 and 3.
            let picks: Vec<String> = d
                .chars()
                .filter(char::is_ascii_digit)
                .map(|c| c.to_string())
                .collect();
            Keyed::Text(picks.join(" "))
        }
        Expect::Choice { .. } => Keyed::Text(d.replace('*', "")),
        Expect::Number { .. } => {
            let sep = if p.msg.id == "ask-systolic" { "/" } else { "," };
            Keyed::Text(d.replace('*', sep))
        }
        Expect::Text => Keyed::Text(d),
    }
}

/// How a question is answered on the phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Keys; `num_digits` ends input without `#` (one-key menus).
    Keys { num_digits: Option<u32> },
    /// A spoken answer, recorded; `*` skips when `skippable`.
    Voice { skippable: bool },
}

/// The mode for a prompt.
pub fn mode(p: &Prompt) -> Mode {
    // The resident is named by room number on the phone.
    if p.msg.id == "ask-resident" {
        return Mode::Keys { num_digits: None };
    }
    match &p.expect {
        Expect::Text => Mode::Voice {
            skippable: p.skippable,
        },
        Expect::YesNo => Mode::Keys {
            num_digits: Some(1),
        },
        Expect::Choice {
            count,
            multiple: false,
        } if *count <= 8 => Mode::Keys {
            num_digits: Some(1),
        },
        _ => Mode::Keys { num_digits: None },
    }
}

/// Speech for the telephone.
pub struct Speaker<'a> {
    pub loc: &'a Localizer,
    pub lang: Lang,
}

impl Speaker<'_> {
    /// A message in its telephone form (`ivr-<id>`) when there is one.
    pub fn msg(&self, m: &Msg) -> String {
        let ivr = format!("ivr-{}", m.id);
        let text = if self.loc.has(self.lang, &ivr) {
            self.loc.render(
                self.lang,
                &Msg {
                    id: ivr,
                    args: m.args.clone(),
                },
            )
        } else {
            self.loc.render(self.lang, m)
        };
        speakable(&text)
    }

    /// A text by id.
    pub fn text(&self, id: &str) -> String {
        self.msg(&Msg::new(id))
    }

    /// A question with its choices and the keys that answer it.
    pub fn prompt(&self, p: &Prompt) -> String {
        let mut parts = vec![self.msg(&p.msg)];
        for (i, c) in p.choices.iter().enumerate() {
            parts.push(
                self.msg(
                    &Msg::new("ivr-choice")
                        .arg("n", i + 1)
                        .arg("label", self.msg(c)),
                ),
            );
        }
        if matches!(p.expect, Expect::Choice { multiple: true, .. }) {
            parts.push(self.text("ivr-choices-multiple"));
        }
        if p.skippable && matches!(p.expect, Expect::Number { .. }) {
            parts.push(self.text("ivr-keys-skip"));
        }
        parts.retain(|s| !s.is_empty());
        parts.join(" ")
    }
}

/// What a turn sounds like, and what happens after.
#[derive(Debug, Clone, PartialEq)]
pub struct Spoken {
    /// Said in order; the 112 advice is said twice.
    pub lines: Vec<(String, u32)>,
    pub next: Next,
}

/// After the speech.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// Ask this question.
    Ask(Prompt),
    /// The physician is paged: into the conference.
    Conference,
    /// The case is over (cancelled or finished without a page).
    Hangup,
}

/// Renders a turn's effects for the telephone. Everything after a page is
/// left out: the caller goes into the conference (on a red flag, the
/// physician asks for the vital signs there).
pub fn speak(s: &Speaker<'_>, today: NaiveDate, effects: &[Effect]) -> Spoken {
    let mut lines = Vec::new();
    let mut next = Next::Hangup;
    for e in effects {
        match e {
            Effect::Say(m) => {
                // "Noteret: RF 22" is noise on the phone.
                if m.id == "noted" {
                    continue;
                }
                lines.push((s.msg(m), 1));
            }
            Effect::Advise112(m) => lines.push((s.msg(m), 2)),
            Effect::Ask(p) => next = Next::Ask(p.clone()),
            Effect::ShowResidentCard(r) => {
                let card = akutlinje_core::isbar::render_card(s.loc, s.lang, r, today);
                let mut it = card.lines();
                let mut said = vec![it.next().unwrap_or_default().to_string()];
                said.push(s.text("ivr-card-treatment"));
                said.extend(
                    it.filter(|l| l.starts_with("  "))
                        .map(|l| l.trim().to_string()),
                );
                lines.push((speakable(&said.join(". ")), 1));
            }
            Effect::Page { .. } | Effect::UpdatePage { .. } => {
                next = Next::Conference;
                break;
            }
            Effect::ShowIsbar(_)
            | Effect::Record(_)
            | Effect::LookupResident(_)
            | Effect::Finished => {}
        }
    }
    lines.retain(|(l, _)| !l.is_empty());
    Spoken { lines, next }
}

/// Text a speech synthesiser reads well: no emoji, quotes or bullets, one line.
pub fn speakable(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            '«' | '»' | '"' | '•' | '*' => ' ',
            '–' | '—' => ',',
            c => c,
        })
        .filter(|c| {
            let u = *c as u32;
            // Emoji, pictographs, dingbats, variation selectors.
            !((0x1F000..=0x1FFFF).contains(&u)
                || (0x2600..=0x27BF).contains(&u)
                || (0xFE00..=0xFE0F).contains(&u)
                || u == 0x200D)
        })
        .collect();
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    // "Reagerer ikke / kan ikke vækkes": a slash would be read out as a word.
    words
        .join(" ")
        .replace(" / ", ", ")
        .replace(" ,", ",")
        .replace(":.", ":")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt(id: &str, expect: Expect) -> Prompt {
        Prompt {
            msg: Msg::new(id),
            choices: vec![],
            expect,
            skippable: true,
        }
    }

    #[test]
    fn keys_become_what_the_engine_reads() {
        let temp = prompt(
            "ask-temp",
            Expect::Number {
                min: 25,
                max: 45,
                decimal: true,
            },
        );
        let bp = prompt(
            "ask-systolic",
            Expect::Number {
                min: 40,
                max: 300,
                decimal: false,
            },
        );
        let yn = prompt("ask-oxygen", Expect::YesNo);
        let flags = prompt(
            "ask-red-flags",
            Expect::Choice {
                count: 7,
                multiple: true,
            },
        );
        let t = |p: &Prompt, d: &str| keys_to_input(Some(p), d);
        assert_eq!(t(&temp, "38*9"), Keyed::Text("38,9".into()));
        assert_eq!(t(&bp, "120*80"), Keyed::Text("120/80".into()));
        assert_eq!(t(&yn, "1"), Keyed::Text("ja".into()));
        assert_eq!(t(&yn, "2"), Keyed::Text("nej".into()));
        assert_eq!(t(&flags, "13"), Keyed::Text("1 3".into()));
        assert_eq!(t(&flags, "9"), Keyed::Text("forkert".into()));
        assert_eq!(t(&temp, "*"), Keyed::Text("ved ikke".into()));
        assert_eq!(t(&temp, "0"), Keyed::Physician);
        assert_eq!(t(&temp, ""), Keyed::Repeat);
        assert_eq!(t(&temp, "#"), Keyed::Repeat);
        // Zero inside a number is a digit, not the physician.
        assert_eq!(t(&bp, "100"), Keyed::Text("100".into()));
    }

    #[test]
    fn speech_has_no_symbols() {
        assert_eq!(
            speakable("🚨 RING 112 NU 🚨\nSkriv «ved ikke» – tak"),
            "RING 112 NU Skriv ved ikke, tak"
        );
    }

    #[test]
    fn every_question_has_a_telephone_form() {
        let loc = Localizer::builtin().expect("texts");
        for lang in [Lang::Da, Lang::En] {
            for id in [
                "ask-resident",
                "ask-red-flags",
                "ask-resp-rate",
                "ask-spo2",
                "ask-oxygen",
                "ask-systolic",
                "ask-pulse",
                "ask-consciousness",
                "ask-temp",
                "ask-situation",
                "ask-concern",
                "advise-112",
                "no-112-by-decision",
            ] {
                assert!(loc.has(lang, &format!("ivr-{id}")), "{lang:?} ivr-{id}");
            }
        }
    }
}
