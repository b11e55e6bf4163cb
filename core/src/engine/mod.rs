//! The checklist engine: a pure, deterministic state machine,
//! `(state, input) -> (state, effects)`. The clinical rules it applies (red
//! flags first, the treatment level before 112, NEWS2 bands to urgency) are
//! those of docs/clinical.md and docs/design.md § Urgency.
//!
//! Key design decision: the engine never performs I/O, not even a database
//! look-up. When it needs a resident it emits [`Effect::LookupResident`] and
//! the caller answers with [`Input::Lookup`]. Every channel (console, Matrix,
//! IVR) drives the same engine and renders the same effects, so clinical logic
//! lives here and nowhere else. The state is plain serialisable data, so a
//! case survives a restart of whichever process holds it.
//!
//! The parts: [`definition`](Checklist) reads the checklist from
//! `akutlinje-prompts`; [`input`](Said) is what a caller gives (words, or a
//! typed command or answer); [`parse`] reads words; `answers` applies an
//! input to the question asked; `flow` moves between questions, raises the
//! alarm on a danger sign and writes the summary.

mod answers;
mod definition;
mod flow;
mod input;
pub mod lexicon;
mod measures;
pub mod parse;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use crate::assessment::{
    assess, tobs_consciousness_name, Answer, FlagId, Reason, Urgency, Vitals,
};
pub use definition::{Checklist, DefinitionError, Flag, Step, StepKind, TextField};
pub use flow::flag_labels;
pub use input::{
    after_silence, AfterSilence, Command, Decimal, Entry, Said, SILENCES_BEFORE_PHYSICIAN,
};

use crate::i18n::{Lang, Msg};
use crate::ids::{HomeId, PersonId, ResidentId, Text};
use crate::isbar::Isbar;
use crate::news2::{self, News2Score};
use crate::person::Role;
use crate::record::EventKind;
use crate::resident::{Resident, Room};
use crate::tobs::{self, TobsScore};
use crate::vitals::Spo2Scale;

/// Who is calling, as the channel knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    /// The known person, if the channel knows them.
    pub person: Option<PersonId>,
    /// The name they gave, if asked.
    pub name: Option<Text>,
    /// Their role, if known.
    pub role: Option<Role>,
    /// The home calling.
    pub home: HomeId,
    /// The home's name.
    pub home_name: String,
}

/// A resident offered when several match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// The resident.
    pub id: ResidentId,
    /// Their room.
    pub room: Room,
    /// Their name.
    pub name: Text,
}

/// What the engine asks the caller to look up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResidentQuery {
    /// By room, within the caller's home.
    Room(Room),
    /// By (part of) the name, within the caller's home.
    Name(Text),
    /// One of the offered candidates.
    Id(ResidentId),
}

/// The answer to a look-up. It only ever holds residents of the caller's own
/// home: the driver filters before answering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lookup {
    /// Exactly one resident.
    Found(Box<Resident>),
    /// Several: the caller chooses.
    Many(Vec<Candidate>),
    /// Nobody in the caller's home.
    NotFound,
}

/// Input to the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Begin the checklist.
    Start,
    /// What the caller gave: words, a command or a typed answer.
    Said(Said),
    /// The answer to [`Effect::LookupResident`].
    Lookup(Lookup),
}

impl Input {
    /// The caller's own words.
    pub fn text(t: impl Into<String>) -> Input {
        Input::Said(Said::Text(t.into()))
    }
}

/// What kind of answer a question expects, so that a channel can offer the
/// right way to give it (a keypad mode, buttons).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Expect {
    /// Words.
    Text,
    /// Who the case is about: a room number, or a name where words can be given.
    Resident,
    /// A number in a range; `decimal` takes a decimal part, `pair` a second
    /// number (a blood pressure's diastolic).
    Number {
        /// The smallest value accepted.
        min: u16,
        /// The largest value accepted.
        max: u16,
        /// Whether a decimal part is accepted.
        decimal: bool,
        /// Whether a second number is accepted.
        #[serde(default)]
        pair: bool,
    },
    /// Yes or no.
    YesNo,
    /// One of the numbered choices, or several when `multiple`.
    Choice {
        /// How many choices.
        count: usize,
        /// Whether several may be chosen.
        multiple: bool,
    },
}

/// A question to the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    /// The question.
    pub msg: Msg,
    /// Numbered choices, shown as "1. ...".
    pub choices: Vec<Msg>,
    /// What kind of answer it expects.
    pub expect: Expect,
    /// Whether the caller may skip it ("ved ikke").
    pub skippable: bool,
    /// Single keys that give a command on this question (from the checklist
    /// definition: on the danger-sign question, 9 is "not this resident").
    #[serde(default)]
    pub keys: Vec<(char, Command)>,
}

impl Prompt {
    /// A question without choices, not skippable, with no keys of its own.
    pub fn new(msg: Msg, expect: Expect) -> Prompt {
        Prompt {
            msg,
            choices: Vec::new(),
            expect,
            skippable: false,
            keys: Vec::new(),
        }
    }

    /// The command a single key gives on this question, if any.
    pub fn key(&self, key: char) -> Option<Command> {
        self.keys.iter().find(|(k, _)| *k == key).map(|(_, c)| *c)
    }
}

/// What the engine wants done. Values only: channels render them.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Tell the caller something.
    Say(Msg),
    /// Ask the caller a question.
    Ask(Prompt),
    /// Tell the caller to call 112 now: rendered so it cannot be missed.
    Advise112(Msg),
    /// Look up a resident in the caller's home and answer with [`Input::Lookup`].
    LookupResident(ResidentQuery),
    /// Show the resident's card (treatment level and wishes first).
    ShowResidentCard(Box<Resident>),
    /// Show the ISBAR summary to the caller.
    ShowIsbar(Box<Isbar>),
    /// Page the on-call physician.
    Page {
        /// The urgency.
        urgency: Urgency,
        /// The summary.
        isbar: Box<Isbar>,
    },
    /// Send the physician an updated summary of a case already paged.
    UpdatePage {
        /// The urgency now.
        urgency: Urgency,
        /// The summary now.
        isbar: Box<Isbar>,
    },
    /// Append to the case record (stored before anything is shown).
    Record(EventKind),
    /// The checklist is finished.
    Finished,
}

/// Where a case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The checklist is running.
    Running,
    /// The checklist is done.
    Finished,
    /// The caller cancelled.
    Cancelled,
}

/// The whole state of one case's checklist. Serialisable, so it can be stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseState {
    /// The current step.
    pub step: String,
    /// The caller's language.
    pub lang: Lang,
    /// Running, finished or cancelled.
    pub phase: Phase,
    /// The date the case was opened (for ages), in Europe/Copenhagen.
    pub opened_on: NaiveDate,
    /// Who is calling.
    pub caller: Caller,
    /// The resident, once identified.
    pub resident: Option<Box<Resident>>,
    /// The residents offered when several matched.
    pub candidates: Vec<Candidate>,
    /// What the caller typed to find the resident (shown back if not found).
    pub last_query: Option<Text>,
    /// The danger signs, once answered.
    pub red_flags: Option<Vec<FlagId>>,
    /// The vital signs so far.
    pub vitals: Vitals,
    /// The situation in the caller's words.
    pub situation: Option<Text>,
    /// The caller's concern.
    pub concern: Answer<Text>,
    /// Whether staff were told to ring 112.
    pub advised_112: bool,
    /// Whether a red flag met a decision that rules out 112.
    pub no_112_by_decision: bool,
    /// The urgency paged at, once paged.
    pub paged: Option<Urgency>,
    /// The caller asked to be put through to the physician now.
    #[serde(default)]
    pub physician_requested: bool,
    /// The last question, to repeat it after a hint.
    pub last_prompt: Option<Prompt>,
    /// While a re-measurement runs (after the page): the measurement it is
    /// compared with.
    #[serde(default)]
    pub remeasure: Option<Box<crate::trend::Baseline>>,
    /// The last re-measurement's trend, which a new page shows first.
    #[serde(default)]
    pub trend: Option<Box<crate::trend::Trend>>,
}

impl CaseState {
    /// The ISBAR summary of the case as it stands, for the physician.
    pub fn isbar(&self, def: &Checklist) -> Isbar {
        let (urgency, reason) = self.urgency();
        let red_flags = self.red_flags.clone().unwrap_or_default();
        let resident = self.resident.as_deref();
        Isbar {
            urgency,
            reason,
            red_flag_labels: flag_labels(def, &red_flags),
            red_flags,
            advised_112: self.advised_112,
            no_112_by_decision: self.no_112_by_decision,
            decisions: resident
                .map(|r| r.decisions_in_order().into_iter().cloned().collect())
                .unwrap_or_default(),
            news2: self.news2(),
            tobs: self.tobs(),
            vitals: self.vitals,
            caller_name: self.caller.name.clone(),
            caller_role: self.caller.role,
            home: self.caller.home.clone(),
            home_name: self.caller.home_name.clone(),
            resident: resident.map(|r| crate::isbar::brief(r, self.opened_on)),
            situation: self.situation.clone(),
            concern: match &self.concern {
                Answer::Given(t) => Some(t.clone()),
                _ => None,
            },
        }
    }

    /// What a physician hears when paged by voice: where from, how urgent
    /// and why, without names (the call may be answered anywhere).
    pub fn spoken_page(&self, def: &Checklist) -> Msg {
        let (urgency, _) = self.urgency();
        let news2 = self.news2();
        let flags = flag_labels(def, self.red_flags.as_deref().unwrap_or(&[]));
        // The reason a physician acts on first: a danger sign, then the
        // score, and a score from some of the measurements is said as such.
        let reason = if !flags.is_empty() {
            Msg::new("reason-red-flag").arg_list("flags", flags)
        } else if news2.is_empty() {
            Msg::new("reason-no-vitals")
        } else if news2.is_complete() {
            Msg::new("page-spoken-news").arg("total", news2.total)
        } else {
            Msg::new("page-spoken-news-partial").arg("total", news2.total)
        };
        let msg = Msg::new("page-spoken").arg("home", &self.caller.home_name);
        let msg = match &self.resident {
            Some(r) => msg.arg_msg("room", Msg::new("page-spoken-room").arg("room", &r.room)),
            None => msg.arg("room", ""),
        };
        msg.arg_msg("urgency", urgency.label())
            .arg_msg("reason", reason)
    }

    /// Whether the resident's treatment decisions rule out 112 (no admission,
    /// palliative care only). Every text said after that decision must agree
    /// with it: no "ring 112" that contradicts it, while doubt may always
    /// lead to 112.
    pub fn admission_ruled_out(&self) -> bool {
        self.resident.as_ref().is_some_and(|r| r.rules_out_112())
    }

    /// A fresh case at the checklist's start.
    pub fn new(def: &Checklist, caller: Caller, lang: Lang, opened_on: NaiveDate) -> CaseState {
        CaseState {
            step: def.start.clone(),
            lang,
            phase: Phase::Running,
            opened_on,
            caller,
            resident: None,
            candidates: Vec::new(),
            last_query: None,
            red_flags: None,
            vitals: Vitals::default(),
            situation: None,
            concern: Answer::Pending,
            advised_112: false,
            no_112_by_decision: false,
            paged: None,
            physician_requested: false,
            last_prompt: None,
            remeasure: None,
            trend: None,
        }
    }

    /// The NEWS2 score so far.
    pub fn news2(&self) -> News2Score {
        let scale = if self.resident.as_ref().is_some_and(|r| r.spo2_scale2) {
            Spo2Scale::Scale2
        } else {
            Spo2Scale::Scale1
        };
        news2::score_partial(&self.vitals.news2(scale))
    }

    /// The TOBS score so far.
    pub fn tobs(&self) -> TobsScore {
        tobs::score_partial(&self.vitals.tobs())
    }

    /// The urgency so far.
    pub fn urgency(&self) -> (Urgency, Reason) {
        let (urgency, reason) = assess(self.red_flags.as_deref().unwrap_or(&[]), &self.news2());
        if self.physician_requested && urgency < Urgency::High {
            return (Urgency::High, Reason::CallerRequest(Box::new(reason)));
        }
        (urgency, reason)
    }
}

/// Runs one input through the checklist.
pub fn step(def: &Checklist, mut state: CaseState, input: Input) -> (CaseState, Vec<Effect>) {
    let mut fx = Vec::new();
    match input {
        Input::Start => {
            fx.push(Effect::Say(
                Msg::new("case-opened").arg("home", &state.caller.home_name),
            ));
            let start = state.step.clone();
            flow::enter(def, &mut state, &start, &mut fx);
        }
        Input::Lookup(l) => answers::on_lookup(def, &mut state, l, &mut fx),
        Input::Said(s) => answers::on_said(def, &mut state, s, &mut fx),
    }
    (state, fx)
}

pub(super) fn ask(state: &mut CaseState, fx: &mut Vec<Effect>, prompt: Prompt) {
    state.last_prompt = Some(prompt.clone());
    fx.push(Effect::Ask(prompt));
}

pub(super) fn reask(state: &mut CaseState, fx: &mut Vec<Effect>) {
    if let Some(p) = state.last_prompt.clone() {
        fx.push(Effect::Ask(p));
    }
}

#[cfg(test)]
mod tests;
