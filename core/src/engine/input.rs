//! What a caller gives the checklist, typed.
//!
//! Key design decision: a channel that knows what the caller meant (a keypad,
//! a button) hands the engine a [`Command`] or an [`Entry`]; a channel that
//! only has words hands it [`Said::Text`], and core's parser ([`super::parse`])
//! reads those words. Either way the same step logic runs, and no adapter
//! needs to know a single Danish word to drive the checklist.
//!
//! The record keeps what was given as text ([`Said::record_text`]): words as
//! typed, and a typed input in the words a caller would have typed for it
//! ("ved ikke", "125/80"), so the record reads the same whichever channel the
//! answer came from.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;
use crate::resident::Room;

/// Something the caller may ask for whatever the question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// Stop the checklist and put the physician on the case now
    /// ("læge nu"): the physician asks for what they need.
    PhysicianNow,
    /// Leave this question without an answer ("spring over"); only skippable
    /// questions take it.
    Skip,
    /// Ask the question again.
    Repeat,
    /// Explain how to answer, then ask again.
    Help,
    /// Cancel the case.
    Cancel,
    /// The resident found is not the one the caller means: find again.
    WrongResident,
}

impl Command {
    /// The words a caller would type for it, as the record shows them.
    pub fn words(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Command::PhysicianNow, Lang::Da) => "læge nu",
            (Command::PhysicianNow, Lang::En) => "physician now",
            (Command::Skip, Lang::Da) => "spring over",
            (Command::Skip, Lang::En) => "skip",
            (Command::Repeat, Lang::Da) => "gentag",
            (Command::Repeat, Lang::En) => "repeat",
            (Command::Help, Lang::Da) => "hjælp",
            (Command::Help, Lang::En) => "help",
            (Command::Cancel, Lang::Da) => "afbryd",
            (Command::Cancel, Lang::En) => "cancel",
            (Command::WrongResident, Lang::Da) => "forkert",
            (Command::WrongResident, Lang::En) => "wrong",
        }
    }
}

/// A number as keyed: digits with an optional decimal part ("38,9").
/// The decimals are kept as digits, so "38,90" stays what was keyed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Decimal {
    whole: u32,
    decimals: Option<String>,
}

impl Decimal {
    /// A whole number.
    pub fn whole(n: u32) -> Decimal {
        Decimal {
            whole: n,
            decimals: None,
        }
    }

    /// From the digits before and after the decimal mark; `None` unless both
    /// are digits only (and the whole part fits).
    pub fn from_digits(whole: &str, decimals: Option<&str>) -> Option<Decimal> {
        let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        if !digits(whole) || decimals.is_some_and(|d| !digits(d)) {
            return None;
        }
        Some(Decimal {
            whole: whole.parse().ok()?,
            decimals: decimals.map(str::to_string),
        })
    }
}

/// Written the Danish way ("38,9"), which the parser reads in every language.
impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.decimals {
            Some(d) => write!(f, "{},{d}", self.whole),
            None => write!(f, "{}", self.whole),
        }
    }
}

/// A typed answer to the question asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// Yes.
    Yes,
    /// No.
    No,
    /// The caller does not have this value ("ved ikke").
    Unknown,
    /// Numbered choices as offered, counted from 1.
    Choices(Vec<u32>),
    /// A number.
    Number(Decimal),
    /// Two numbers: a blood pressure, systolic over diastolic.
    Pair(u32, u32),
    /// A room, to find the resident by.
    Room(Room),
    /// Words the channel holds as such (a name, a voice note's label).
    Text(String),
    /// Keys that make no answer ("38*9*1"), kept as keyed for the record:
    /// the engine explains the question again.
    Keys(String),
}

impl Entry {
    fn record_text(&self, lang: Lang) -> String {
        match self {
            Entry::Yes => if lang == Lang::Da { "ja" } else { "yes" }.into(),
            Entry::No => if lang == Lang::Da { "nej" } else { "no" }.into(),
            Entry::Unknown => if lang == Lang::Da {
                "ved ikke"
            } else {
                "don't know"
            }
            .into(),
            Entry::Choices(ns) => ns.iter().map(u32::to_string).collect::<Vec<_>>().join(" "),
            Entry::Number(d) => d.to_string(),
            Entry::Pair(a, b) => format!("{a}/{b}"),
            Entry::Room(r) => r.as_str().to_string(),
            Entry::Text(t) | Entry::Keys(t) => t.clone(),
        }
    }
}

/// What a caller gave: their own words, a command or a typed answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Said {
    /// Words, as typed or transcribed; core's parser reads them.
    Text(String),
    /// A command.
    Command(Command),
    /// A typed answer.
    Answer(Entry),
}

impl Said {
    /// The input as the record keeps it (see the module documentation).
    pub fn record_text(&self, lang: Lang) -> String {
        match self {
            Said::Text(t) => t.clone(),
            Said::Command(c) => c.words(lang).to_string(),
            Said::Answer(e) => e.record_text(lang),
        }
    }
}

impl From<&str> for Said {
    fn from(t: &str) -> Said {
        Said::Text(t.to_string())
    }
}

impl From<&String> for Said {
    fn from(t: &String) -> Said {
        Said::Text(t.clone())
    }
}

impl From<String> for Said {
    fn from(t: String) -> Said {
        Said::Text(t)
    }
}

impl From<Command> for Said {
    fn from(c: Command) -> Said {
        Said::Command(c)
    }
}

impl From<Entry> for Said {
    fn from(e: Entry) -> Said {
        Said::Answer(e)
    }
}

/// What a channel does after the caller has been silent `silences` times in
/// a row on the same question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterSilence {
    /// Ask the question again.
    AskAgain,
    /// Put the caller through to the physician: someone who cannot answer
    /// (cannot use the keypad, cannot speak, has left the phone to help the
    /// resident) still gets a physician.
    Physician,
}

/// Silences in a row on one question before the caller is put through to
/// the physician.
pub const SILENCES_BEFORE_PHYSICIAN: u32 = 3;

/// The rule for silence on a question (docs/design.md § Urgency: nobody is left without
/// a physician because they could not answer).
pub fn after_silence(silences: u32) -> AfterSilence {
    if silences >= SILENCES_BEFORE_PHYSICIAN {
        AfterSilence::Physician
    } else {
        AfterSilence::AskAgain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_input_reads_in_the_record_as_a_caller_would_type_it() {
        let da = |s: Said| s.record_text(Lang::Da);
        assert_eq!(da(Command::PhysicianNow.into()), "læge nu");
        assert_eq!(da(Command::Skip.into()), "spring over");
        assert_eq!(da(Entry::Unknown.into()), "ved ikke");
        assert_eq!(da(Entry::No.into()), "nej");
        assert_eq!(da(Entry::Pair(125, 80).into()), "125/80");
        assert_eq!(da(Entry::Choices(vec![1, 3]).into()), "1 3");
        let t = Decimal::from_digits("38", Some("9")).map(Entry::Number);
        assert_eq!(t.map(|e| da(e.into())).as_deref(), Some("38,9"));
        assert_eq!(Said::from("puls 105").record_text(Lang::En), "puls 105");
        assert_eq!(Said::from(Entry::Yes).record_text(Lang::En), "yes");
    }

    #[test]
    fn decimals_take_digits_only() {
        assert_eq!(Decimal::from_digits("", None), None);
        assert_eq!(Decimal::from_digits("38", Some("")), None);
        assert_eq!(Decimal::from_digits("3a", None), None);
        assert_eq!(Decimal::from_digits("99999999999", None), None);
        assert_eq!(
            Decimal::from_digits("38", Some("90")).map(|d| d.to_string()),
            Some("38,90".into())
        );
    }

    #[test]
    fn the_third_silence_goes_to_the_physician() {
        assert_eq!(after_silence(1), AfterSilence::AskAgain);
        assert_eq!(after_silence(2), AfterSilence::AskAgain);
        assert_eq!(after_silence(3), AfterSilence::Physician);
    }
}
