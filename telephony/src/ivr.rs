//! The checklist on the telephone: the engine's effects as speech, and
//! keypad input as typed engine input. Pure functions; the webhook handlers
//! (`routes`) add the URLs and the state.
//!
//! Keys, the same on every question:
//! - digits then `#`: a number (`*` is the decimal comma: `38*9#` is 38,9;
//!   where a second number may follow, `120*80#` is 120/80);
//! - `*` alone: no value («ved ikke»);
//! - `#` alone, or silence: the question again;
//! - `0` alone: straight through to the physician («læge nu»).
//!
//! A question may add single keys of its own (the checklist definition's
//! `keys`: on the danger-sign question, `9` is «not this resident»).

use akutlinje_core::engine::{Command, Decimal, Effect, Entry, Expect, Prompt, Said};
use akutlinje_core::i18n::{Lang, Localizer, Msg};
use akutlinje_core::resident::Room;
use chrono::NaiveDate;

/// What the caller keyed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keyed {
    /// Input for the engine.
    Said(Said),
    /// Nothing usable: ask again.
    Repeat,
}

/// The key that puts the caller through to the physician on every question.
pub const PHYSICIAN_KEY: &str = "0";
/// The key that gives "no value" on every question.
pub const NO_VALUE_KEY: &str = "*";

/// Maps the keys pressed on `prompt` to engine input.
pub fn keys_to_input(prompt: Option<&Prompt>, digits: &str) -> Keyed {
    let d: String = digits
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '*')
        .collect();
    let said = |s: Said| Keyed::Said(s);
    match d.as_str() {
        "" => return Keyed::Repeat,
        PHYSICIAN_KEY => return said(Command::PhysicianNow.into()),
        NO_VALUE_KEY => return said(Entry::Unknown.into()),
        _ => {}
    }
    let Some(p) = prompt else {
        return said(Entry::Keys(d).into());
    };
    if let Some(c) = d
        .chars()
        .next()
        .filter(|_| d.len() == 1)
        .and_then(|k| p.key(k))
    {
        return said(c.into());
    }
    let entry = match &p.expect {
        Expect::YesNo => match d.as_str() {
            "1" => Entry::Yes,
            "2" => Entry::No,
            _ => Entry::Keys(d),
        },
        // Each key is one choice: "13#" is choices 1 and 3.
        Expect::Choice { multiple: true, .. } => {
            Entry::Choices(d.chars().filter_map(|c| c.to_digit(10)).collect::<Vec<_>>())
        }
        Expect::Choice { .. } => match d.replace('*', "").parse() {
            Ok(n) => Entry::Choices(vec![n]),
            Err(_) => Entry::Keys(d),
        },
        Expect::Number { pair, .. } => number(&d, *pair).unwrap_or(Entry::Keys(d)),
        Expect::Resident => match Room::parse(&d.replace('*', "")) {
            Some(r) => Entry::Room(r),
            None => Entry::Keys(d),
        },
        Expect::Text => Entry::Keys(d),
    };
    said(entry.into())
}

/// "389" → 389, "38*9" → 38,9, and where a second number may follow,
/// "120*80" → 120/80.
fn number(keys: &str, pair: bool) -> Option<Entry> {
    match keys.split_once('*') {
        None => Decimal::from_digits(keys, None).map(Entry::Number),
        Some((a, b)) if pair => Some(Entry::Pair(a.parse().ok()?, b.parse().ok()?)),
        Some((a, b)) => Decimal::from_digits(a, Some(b)).map(Entry::Number),
    }
}

/// How a question is answered on the phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Keys; `num_digits` ends input without `#` (one-key menus).
    Keys {
        /// How many keys end the input.
        num_digits: Option<u32>,
    },
    /// A spoken answer, recorded; `*` skips when `skippable`.
    Voice {
        /// Whether `*` skips the question.
        skippable: bool,
    },
}

/// The mode for a prompt.
pub fn mode(p: &Prompt) -> Mode {
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
        // The resident is named by room number on the phone.
        Expect::Resident | Expect::Number { .. } | Expect::Choice { .. } => {
            Mode::Keys { num_digits: None }
        }
    }
}

/// Speech for the telephone.
pub struct Speaker<'a> {
    /// The texts.
    pub loc: &'a Localizer,
    /// The language spoken.
    pub lang: Lang,
}

impl Speaker<'_> {
    /// A message's telephone form (`ivr-<id>`) when there is one.
    pub fn telephone_form(&self, m: &Msg) -> Msg {
        let ivr = format!("ivr-{}", m.id);
        if self.loc.has(self.lang, &ivr) {
            Msg {
                id: ivr,
                args: m.args.clone(),
            }
        } else {
            m.clone()
        }
    }

    /// A message in its telephone form, as speakable text.
    pub fn msg(&self, m: &Msg) -> String {
        speakable(&self.loc.render(self.lang, &self.telephone_form(m)))
    }

    /// What is said, as text.
    pub fn utterance(&self, u: &Utterance) -> String {
        match u {
            Utterance::Msg(m) => self.msg(m),
            Utterance::Private(t) => t.clone(),
        }
    }

    /// A text by id.
    pub fn text(&self, id: &str) -> String {
        self.msg(&Msg::new(id))
    }

    /// A question with its choices and the keys that answer it.
    pub fn prompt(&self, p: &Prompt) -> String {
        let mut parts: Vec<String> = self.prompt_parts(p).iter().map(|m| self.msg(m)).collect();
        parts.retain(|s| !s.is_empty());
        parts.join(" ")
    }

    /// The messages a question is said in, each in its telephone form.
    pub fn prompt_parts(&self, p: &Prompt) -> Vec<Msg> {
        let mut parts = vec![self.telephone_form(&p.msg)];
        for (i, c) in p.choices.iter().enumerate() {
            parts.push(
                Msg::new("ivr-choice")
                    .arg("n", i + 1)
                    .arg_msg("label", self.telephone_form(c)),
            );
        }
        if matches!(p.expect, Expect::Choice { multiple: true, .. }) {
            parts.push(Msg::new("ivr-choices-multiple"));
        }
        if p.skippable && matches!(p.expect, Expect::Number { .. }) {
            parts.push(Msg::new("ivr-keys-skip"));
        }
        parts
    }
}

/// One thing said on the phone.
#[derive(Debug, Clone, PartialEq)]
pub enum Utterance {
    /// A message of the locale (its telephone form is said).
    Msg(Msg),
    /// Text about a resident (their card): said, never cached as audio.
    Private(String),
}

/// What a turn sounds like, and what happens after.
#[derive(Debug, Clone, PartialEq)]
pub struct Spoken {
    /// Said in order; the 112 advice is said twice.
    pub lines: Vec<(Utterance, u32)>,
    /// What Twilio does after the question.
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
                lines.push((Utterance::Msg(m.clone()), 1));
            }
            Effect::Advise112(m) => lines.push((Utterance::Msg(m.clone()), 2)),
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
                lines.push((Utterance::Private(speakable(&said.join(". "))), 1));
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
    lines.retain(|(l, _)| !s.utterance(l).is_empty());
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
    use akutlinje_core::engine::{Checklist, StepKind};

    fn prompt(expect: Expect) -> Prompt {
        Prompt {
            skippable: true,
            ..Prompt::new(Msg::new("question"), expect)
        }
    }

    fn number(decimal: bool, pair: bool) -> Prompt {
        prompt(Expect::Number {
            min: 1,
            max: 300,
            decimal,
            pair,
        })
    }

    #[test]
    fn keys_become_typed_input() {
        let temp = number(true, false);
        let bp = number(false, true);
        let yn = prompt(Expect::YesNo);
        let flags = Prompt {
            keys: vec![('9', Command::WrongResident)],
            ..prompt(Expect::Choice {
                count: 7,
                multiple: true,
            })
        };
        let room = prompt(Expect::Resident);
        let t = |p: &Prompt, d: &str| keys_to_input(Some(p), d);
        let said = |s: Said| Keyed::Said(s);
        assert_eq!(
            t(&temp, "38*9"),
            said(Entry::Number(Decimal::from_digits("38", Some("9")).expect("38,9")).into())
        );
        assert_eq!(t(&bp, "120*80"), said(Entry::Pair(120, 80).into()));
        assert_eq!(t(&yn, "1"), said(Entry::Yes.into()));
        assert_eq!(t(&yn, "2"), said(Entry::No.into()));
        assert_eq!(t(&flags, "13"), said(Entry::Choices(vec![1, 3]).into()));
        assert_eq!(t(&flags, "9"), said(Command::WrongResident.into()));
        // A question's own key is only that question's.
        assert_eq!(t(&yn, "9"), said(Entry::Keys("9".into()).into()));
        assert_eq!(t(&temp, "*"), said(Entry::Unknown.into()));
        assert_eq!(t(&temp, "0"), said(Command::PhysicianNow.into()));
        assert_eq!(t(&temp, ""), Keyed::Repeat);
        assert_eq!(t(&temp, "#"), Keyed::Repeat);
        assert_eq!(
            t(&room, "14"),
            said(Entry::Room(Room::parse("14").expect("room")).into())
        );
        // Zero inside a number is a digit, not the physician.
        assert_eq!(
            t(&bp, "100"),
            said(Entry::Number(Decimal::whole(100)).into())
        );
        // Keys that make no number are passed on as keyed, for a hint.
        assert_eq!(
            t(&temp, "38*9*1"),
            said(Entry::Keys("38*9*1".into()).into())
        );
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
        let def = Checklist::builtin_acute(&loc).expect("checklist");
        let mut ids: Vec<String> = def
            .steps()
            .iter()
            .filter_map(|s| match &s.kind {
                StepKind::CallerName { .. } | StepKind::Say { .. } | StepKind::Summary => None,
                StepKind::Resident { ask }
                | StepKind::RedFlags { ask, .. }
                | StepKind::Vital { ask, .. }
                | StepKind::FreeText { ask, .. } => Some(ask.clone()),
            })
            .collect();
        assert!(ids.len() >= 10, "{ids:?}");
        // The alarm is said twice and must be clear without punctuation.
        ids.extend(["advise-112".into(), "no-112-by-decision".into()]);
        for lang in [Lang::Da, Lang::En] {
            for id in &ids {
                assert!(loc.has(lang, &format!("ivr-{id}")), "{lang:?} ivr-{id}");
            }
        }
    }
}
