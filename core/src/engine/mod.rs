//! The checklist engine: a pure, deterministic state machine,
//! `(state, input) -> (state, effects)`.
//!
//! Key design decision: the engine never performs I/O, not even a database
//! look-up. When it needs a resident it emits [`Effect::LookupResident`] and
//! the caller answers with [`Input::Lookup`]. Every channel (console, Matrix,
//! IVR) drives the same engine and renders the same effects, so clinical logic
//! lives here and nowhere else. The state is plain serialisable data, so a
//! case survives a restart of whichever process holds it.

mod definition;
pub mod parse;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use crate::assessment::{
    assess, tobs_consciousness_name, Answer, FlagId, Reason, Urgency, Vitals,
};
pub use definition::{Checklist, DefinitionError, Flag, Step, StepKind, TextField};
use parse::{VitalValue, CONSCIOUSNESS_CHOICES};

use crate::i18n::{Lang, Msg};
use crate::ids::{HomeId, PersonId, ResidentId, Text};
use crate::isbar::{self, Isbar};
use crate::news2::{self, News2Partial, News2Score};
use crate::person::Role;
use crate::record::EventKind;
use crate::resident::{DecisionKind, Resident, Room};
use crate::tobs::{self, TobsPartial, TobsScore};
use crate::vitals::{
    Oxygen, Param, Pulse, RespRate, Spo2, Spo2Scale, Systolic, TobsConsciousness, VitalError,
};

impl Vitals {
    fn answered(&self, p: Param) -> bool {
        match p {
            Param::RespRate => self.resp_rate.is_answered(),
            Param::Spo2 => self.spo2.is_answered(),
            Param::Oxygen => self.oxygen.is_answered(),
            Param::Systolic => self.systolic.is_answered(),
            Param::Pulse => self.pulse.is_answered(),
            Param::Consciousness => self.consciousness.is_answered(),
            Param::Temp => self.temp.is_answered(),
        }
    }

    fn skip(&mut self, p: Param) {
        match p {
            Param::RespRate => self.resp_rate = Answer::Skipped,
            Param::Spo2 => self.spo2 = Answer::Skipped,
            Param::Oxygen => self.oxygen = Answer::Skipped,
            Param::Systolic => self.systolic = Answer::Skipped,
            Param::Pulse => self.pulse = Answer::Skipped,
            Param::Consciousness => self.consciousness = Answer::Skipped,
            Param::Temp => self.temp = Answer::Skipped,
        }
    }

    fn set(&mut self, v: VitalValue) -> Param {
        match v {
            VitalValue::RespRate(x) => {
                self.resp_rate = Answer::Given(x);
                Param::RespRate
            }
            VitalValue::Spo2(x) => {
                self.spo2 = Answer::Given(x);
                Param::Spo2
            }
            VitalValue::Oxygen(x) => {
                self.oxygen = Answer::Given(x);
                Param::Oxygen
            }
            VitalValue::Systolic(x, d) => {
                self.systolic = Answer::Given(x);
                self.diastolic = d;
                Param::Systolic
            }
            VitalValue::Pulse(x) => {
                self.pulse = Answer::Given(x);
                Param::Pulse
            }
            VitalValue::Consciousness(x) => {
                self.consciousness = Answer::Given(x);
                Param::Consciousness
            }
            VitalValue::Temp(x, site) => {
                self.temp = Answer::Given(x);
                self.temp_site = site;
                Param::Temp
            }
        }
    }

    /// The NEWS2 inputs; scale 2 only when prescribed for the resident.
    pub fn news2(&self, scale: Spo2Scale) -> News2Partial {
        News2Partial {
            resp_rate: self.resp_rate.value(),
            spo2: self.spo2.value(),
            spo2_scale: scale,
            oxygen: self.oxygen.value(),
            systolic: self.systolic.value(),
            pulse: self.pulse.value(),
            consciousness: self.consciousness.value().map(TobsConsciousness::to_acvpu),
            temp: self.temp.value(),
        }
    }

    /// The TOBS inputs.
    pub fn tobs(&self) -> TobsPartial {
        TobsPartial {
            resp_rate: self.resp_rate.value(),
            systolic: self.systolic.value(),
            pulse: self.pulse.value(),
            consciousness: self.consciousness.value(),
            temp: self.temp.value(),
            temp_site: self.temp_site,
        }
    }

    /// The value as shown in the record, for one parameter; `None` if skipped.
    pub fn display(&self, p: Param) -> Option<String> {
        match p {
            Param::RespRate => self.resp_rate.value().map(|v| v.to_string()),
            Param::Spo2 => self.spo2.value().map(|v| format!("{v} %")),
            Param::Oxygen => self.oxygen.value().map(|v| match v {
                Oxygen::Air => "air".to_string(),
                Oxygen::Oxygen => "oxygen".to_string(),
            }),
            Param::Systolic => self.systolic.value().map(|v| match self.diastolic {
                Some(d) => format!("{v}/{d}"),
                None => v.to_string(),
            }),
            Param::Pulse => self.pulse.value().map(|v| v.to_string()),
            Param::Consciousness => self.consciousness.value().map(|v| {
                serde_json::to_value(v)
                    .ok()
                    .and_then(|j| j.as_str().map(String::from))
                    .unwrap_or_default()
            }),
            Param::Temp => self.temp.value().map(|v| v.to_string()),
        }
    }
}

/// Who is calling, as the channel knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    pub person: Option<PersonId>,
    pub name: Option<Text>,
    pub role: Option<Role>,
    pub home: HomeId,
    pub home_name: String,
}

/// A resident offered when several match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub id: ResidentId,
    pub room: Room,
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
    Found(Box<Resident>),
    Many(Vec<Candidate>),
    NotFound,
}

/// Input to the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Begin the checklist.
    Start,
    /// What the caller typed or said.
    Text(String),
    /// The answer to [`Effect::LookupResident`].
    Lookup(Lookup),
}

/// What kind of answer a question expects (so the IVR can pick a keypad mode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Expect {
    Text,
    Number { min: u16, max: u16, decimal: bool },
    YesNo,
    Choice { count: usize, multiple: bool },
}

/// A question to the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    pub msg: Msg,
    /// Numbered choices, shown as "1. ...".
    pub choices: Vec<Msg>,
    pub expect: Expect,
    pub skippable: bool,
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
    Page { urgency: Urgency, isbar: Box<Isbar> },
    /// Send the physician an updated summary of a case already paged.
    UpdatePage { urgency: Urgency, isbar: Box<Isbar> },
    /// Append to the case record (stored before anything is shown).
    Record(EventKind),
    /// The checklist is finished.
    Finished,
}

/// Where a case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Running,
    Finished,
    Cancelled,
}

/// The whole state of one case's checklist. Serialisable, so it can be stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseState {
    pub step: String,
    pub lang: Lang,
    pub phase: Phase,
    /// The date the case was opened (for ages), in Europe/Copenhagen.
    pub opened_on: NaiveDate,
    pub caller: Caller,
    pub resident: Option<Box<Resident>>,
    pub candidates: Vec<Candidate>,
    /// What the caller typed to find the resident (shown back if not found).
    pub last_query: Option<Text>,
    pub red_flags: Option<Vec<FlagId>>,
    pub vitals: Vitals,
    pub situation: Option<Text>,
    pub concern: Answer<Text>,
    pub advised_112: bool,
    pub no_112_by_decision: bool,
    pub paged: Option<Urgency>,
    /// The caller asked to be put through to the physician now.
    #[serde(default)]
    pub physician_requested: bool,
    /// The last question, to repeat it after a hint.
    pub last_prompt: Option<Prompt>,
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
            enter(def, &mut state, &start, &mut fx);
        }
        Input::Lookup(l) => on_lookup(def, &mut state, l, &mut fx),
        Input::Text(t) => on_text(def, &mut state, &t, &mut fx),
    }
    (state, fx)
}

fn ask(state: &mut CaseState, fx: &mut Vec<Effect>, prompt: Prompt) {
    state.last_prompt = Some(prompt.clone());
    fx.push(Effect::Ask(prompt));
}

fn reask(state: &mut CaseState, fx: &mut Vec<Effect>) {
    if let Some(p) = state.last_prompt.clone() {
        fx.push(Effect::Ask(p));
    }
}

fn enter(def: &Checklist, state: &mut CaseState, id: &str, fx: &mut Vec<Effect>) {
    // Bounded: a definition has finitely many steps and `say`/answered steps
    // always move forward; the guard stops a malformed cycle.
    let mut id = id.to_string();
    for _ in 0..=def.steps().len() {
        let Some(step) = def.step(&id) else { return };
        state.step = step.id.clone();
        let next = step.next.clone();
        match &step.kind {
            StepKind::CallerName { ask: a } => {
                if state.caller.name.is_some() {
                    id = next.unwrap_or_default();
                    continue;
                }
                ask(
                    state,
                    fx,
                    Prompt {
                        msg: Msg::new(a),
                        choices: vec![],
                        expect: Expect::Text,
                        skippable: false,
                    },
                );
            }
            StepKind::Resident { ask: a } => {
                ask(
                    state,
                    fx,
                    Prompt {
                        msg: Msg::new(a),
                        choices: vec![],
                        expect: Expect::Text,
                        skippable: false,
                    },
                );
            }
            StepKind::RedFlags { ask: a, flags, .. } => {
                let mut choices: Vec<Msg> = flags
                    .iter()
                    .filter_map(|f| def.flag(f))
                    .map(|f| Msg::new(&f.label))
                    .collect();
                choices.push(Msg::new("choice-none"));
                let count = choices.len();
                ask(
                    state,
                    fx,
                    Prompt {
                        msg: Msg::new(a),
                        choices,
                        expect: Expect::Choice {
                            count,
                            multiple: true,
                        },
                        skippable: false,
                    },
                );
            }
            StepKind::Say { say } => {
                fx.push(Effect::Say(Msg::new(say)));
                id = next.unwrap_or_default();
                continue;
            }
            StepKind::Vital { param, ask: a } => {
                if state.vitals.answered(*param) {
                    id = next.unwrap_or_default();
                    continue;
                }
                let prompt = vital_prompt(state, *param, a);
                ask(state, fx, prompt);
            }
            StepKind::FreeText {
                ask: a, skippable, ..
            } => {
                ask(
                    state,
                    fx,
                    Prompt {
                        msg: Msg::new(a),
                        choices: vec![],
                        expect: Expect::Text,
                        skippable: *skippable,
                    },
                );
            }
            StepKind::Summary => summary(def, state, fx),
        }
        return;
    }
}

fn vital_prompt(state: &CaseState, param: Param, ask_id: &str) -> Prompt {
    let (expect, choices, msg) = match param {
        Param::RespRate => (
            Expect::Number {
                min: RespRate::MIN,
                max: RespRate::MAX,
                decimal: false,
            },
            vec![],
            Msg::new(ask_id),
        ),
        Param::Spo2 => (
            Expect::Number {
                min: Spo2::MIN,
                max: Spo2::MAX,
                decimal: false,
            },
            vec![],
            Msg::new(ask_id),
        ),
        Param::Systolic => (
            Expect::Number {
                min: Systolic::MIN,
                max: Systolic::MAX,
                decimal: false,
            },
            vec![],
            Msg::new(ask_id),
        ),
        Param::Pulse => (
            Expect::Number {
                min: Pulse::MIN,
                max: Pulse::MAX,
                decimal: false,
            },
            vec![],
            Msg::new(ask_id),
        ),
        Param::Temp => (
            Expect::Number {
                min: 25,
                max: 45,
                decimal: true,
            },
            vec![],
            Msg::new(ask_id),
        ),
        Param::Oxygen => (Expect::YesNo, vec![], Msg::new(ask_id)),
        Param::Consciousness => {
            let baseline = state
                .resident
                .as_ref()
                .map(|r| r.baseline_cognition.as_str())
                .unwrap_or("unknown");
            let choices = CONSCIOUSNESS_CHOICES
                .iter()
                .map(|c| Msg::new(format!("cons-{}", tobs_consciousness_name(*c))))
                .collect::<Vec<_>>();
            (
                Expect::Choice {
                    count: choices.len(),
                    multiple: false,
                },
                choices,
                Msg::new(ask_id).arg_msg("baseline", Msg::new(format!("cognition-{baseline}"))),
            )
        }
    };
    Prompt {
        msg,
        choices,
        expect,
        skippable: true,
    }
}

fn on_text(def: &Checklist, state: &mut CaseState, raw: &str, fx: &mut Vec<Effect>) {
    let text = parse::normalise(raw);
    match state.phase {
        Phase::Cancelled => {
            fx.push(Effect::Say(Msg::new("say-cancelled")));
            return;
        }
        Phase::Finished => {
            if let Ok(t) = Text::parse("note", raw, 4000) {
                fx.push(Effect::Record(EventKind::Note { text: t }));
                fx.push(Effect::Say(Msg::new("say-note-recorded")));
            }
            return;
        }
        Phase::Running => {}
    }
    match text.as_str() {
        "afbryd" | "annuller" | "cancel" | "stop sagen" => {
            state.phase = Phase::Cancelled;
            fx.push(Effect::Record(EventKind::CaseCancelled));
            fx.push(Effect::Say(Msg::new("say-cancelled")));
            return;
        }
        "hjælp" | "help" | "?" => {
            fx.push(Effect::Say(Msg::new("help")));
            reask(state, fx);
            return;
        }
        "gentag" | "repeat" | "igen" => {
            reask(state, fx);
            return;
        }
        "læge nu"
        | "laege nu"
        | "ring til lægen"
        | "stil mig om til lægen"
        | "doctor now"
        | "physician now" => {
            // The rest of the checklist is skipped: the physician asks what
            // they need. Pages (or updates the page) with what is known.
            if !state.physician_requested {
                state.physician_requested = true;
                fx.push(Effect::Record(EventKind::PhysicianRequested));
            }
            summary(def, state, fx);
            return;
        }
        _ => {}
    }
    let Some(step) = def.step(&state.step).cloned() else {
        return;
    };
    let next = step.next.clone().unwrap_or_default();
    match &step.kind {
        StepKind::CallerName { .. } => match Text::parse("name", raw, 200) {
            Ok(name) => {
                state.caller.name = Some(name.clone());
                fx.push(Effect::Record(EventKind::CallerNamed { name }));
                enter(def, state, &next, fx);
            }
            Err(_) => reask(state, fx),
        },
        StepKind::Resident { .. } => on_resident_text(state, raw, fx),
        StepKind::RedFlags { flags, on_flag, .. } => {
            on_red_flags(def, state, &text, flags, on_flag, &next, fx)
        }
        StepKind::Vital { param, .. } => on_vital(def, state, *param, raw, &next, fx),
        StepKind::FreeText {
            field, skippable, ..
        } => {
            let skip = *skippable && parse::is_skip(raw);
            let value = if skip {
                None
            } else {
                Text::parse("text", raw, 4000).ok()
            };
            if value.is_none() && !skip {
                fx.push(Effect::Say(Msg::new("hint-text-required")));
                reask(state, fx);
                return;
            }
            match field {
                TextField::Situation => {
                    if let Some(t) = value.clone() {
                        state.situation = Some(t.clone());
                        fx.push(Effect::Record(EventKind::SituationRecorded { text: t }));
                    }
                }
                TextField::Concern => {
                    state.concern = value.clone().map_or(Answer::Skipped, Answer::Given);
                    fx.push(Effect::Record(EventKind::ConcernRecorded { text: value }));
                }
            }
            enter(def, state, &next, fx);
        }
        StepKind::Say { .. } | StepKind::Summary => enter(def, state, &next, fx),
    }
}

fn on_resident_text(state: &mut CaseState, raw: &str, fx: &mut Vec<Effect>) {
    let text = parse::normalise(raw);
    // Answering a choice among offered candidates.
    if !state.candidates.is_empty() && parse::only_numbers(&text) {
        if let [n] = parse::numbers(&text).as_slice() {
            if let Some(c) = state.candidates.get((*n as usize).wrapping_sub(1)) {
                fx.push(Effect::LookupResident(ResidentQuery::Id(c.id.clone())));
                return;
            }
        }
        fx.push(Effect::Say(
            Msg::new("hint-choice").arg("max", state.candidates.len()),
        ));
        reask(state, fx);
        return;
    }
    state.candidates.clear();
    let Ok(q) = Text::parse("query", raw, 100) else {
        fx.push(Effect::Say(Msg::new("hint-resident")));
        reask(state, fx);
        return;
    };
    state.last_query = Some(q.clone());
    // A room is short and holds a digit ("12", "12b", "værelse 3"); anything else is a name.
    let room = Room::parse(raw)
        .filter(|r| r.as_str().chars().any(|c| c.is_ascii_digit()) && r.as_str().len() <= 6);
    let query = match room {
        Some(r) => ResidentQuery::Room(r),
        None => ResidentQuery::Name(q),
    };
    fx.push(Effect::LookupResident(query));
}

fn on_lookup(def: &Checklist, state: &mut CaseState, l: Lookup, fx: &mut Vec<Effect>) {
    match l {
        Lookup::Found(r) => {
            state.candidates.clear();
            fx.push(Effect::Record(EventKind::ResidentIdentified {
                resident: r.id.clone(),
            }));
            fx.push(Effect::ShowResidentCard(r.clone()));
            fx.push(Effect::Say(Msg::new("resident-wrong-hint")));
            state.resident = Some(r);
            let next = def
                .step(&state.step)
                .and_then(|s| s.next.clone())
                .unwrap_or_default();
            enter(def, state, &next, fx);
        }
        Lookup::Many(c) => {
            let choices = c
                .iter()
                .map(|x| {
                    Msg::new("resident-choice")
                        .arg("room", &x.room)
                        .arg("name", &x.name)
                })
                .collect::<Vec<_>>();
            let count = choices.len();
            state.candidates = c;
            let msg = Msg::new("resident-ambiguous");
            ask(
                state,
                fx,
                Prompt {
                    msg,
                    choices,
                    expect: Expect::Choice {
                        count,
                        multiple: false,
                    },
                    skippable: false,
                },
            );
        }
        Lookup::NotFound => {
            fx.push(Effect::Record(EventKind::ResidentNotFound));
            let q = state
                .last_query
                .as_ref()
                .map(|t| t.as_str().to_string())
                .unwrap_or_default();
            fx.push(Effect::Say(
                Msg::new("resident-not-found")
                    .arg("query", q)
                    .arg("home", &state.caller.home_name),
            ));
            reask(state, fx);
        }
    }
}

fn on_red_flags(
    def: &Checklist,
    state: &mut CaseState,
    text: &str,
    flags: &[FlagId],
    on_flag: &str,
    next: &str,
    fx: &mut Vec<Effect>,
) {
    if matches!(
        text,
        "forkert" | "forkert beboer" | "wrong" | "wrong resident" | "anden beboer"
    ) {
        if let Some(r) = state.resident.take() {
            fx.push(Effect::Record(EventKind::ResidentRejected {
                resident: r.id.clone(),
            }));
        }
        fx.push(Effect::Say(Msg::new("resident-rejected")));
        if let Some(s) = def.first_of(|k| matches!(k, StepKind::Resident { .. })) {
            let id = s.id.clone();
            enter(def, state, &id, fx);
        }
        return;
    }
    let none_choice = flags.len() as u32 + 1;
    // Words naming a danger sign win over a "no" in the same answer:
    // "nej, men hun har brystsmerter" is a red flag.
    let named: Vec<FlagId> = flags
        .iter()
        .filter(|f| {
            def.flag(f)
                .is_some_and(|d| d.mentioned_in(state.lang, text))
        })
        .cloned()
        .collect();
    let chosen: Option<Vec<FlagId>> = if parse::only_numbers(text) {
        let ns = parse::numbers(text);
        if !ns.is_empty() && ns.iter().all(|n| (1..=none_choice).contains(n)) {
            let mut v: Vec<FlagId> = ns
                .iter()
                .filter(|n| **n < none_choice)
                .map(|n| flags[*n as usize - 1].clone())
                .collect();
            v.sort();
            v.dedup();
            if !v.is_empty() && ns.contains(&none_choice) {
                // "2 7": a sign and "none of them" at once; ask again rather than guess.
                None
            } else {
                Some(v)
            }
        } else if ns == [0] {
            Some(vec![])
        } else {
            None
        }
    } else if !named.is_empty() {
        Some(named)
    } else if parse::yes_no(text) == Some(false)
        || matches!(text, "ingen" | "none" | "ingen af dem" | "nej ingen")
    {
        Some(vec![])
    } else {
        None
    };
    let Some(chosen) = chosen else {
        fx.push(Effect::Say(Msg::new("hint-red-flags")));
        reask(state, fx);
        return;
    };
    fx.push(Effect::Record(EventKind::RedFlagsAnswered {
        flags: chosen.clone(),
    }));
    if chosen.is_empty() {
        state.red_flags = Some(vec![]);
        enter(def, state, next, fx);
    } else {
        raise_red(def, state, chosen, fx);
        enter(def, state, on_flag, fx);
    }
}

/// A red flag: 112 advice first, unless the treatment decisions rule it out,
/// and the physician paged at once at the highest urgency either way.
fn raise_red(def: &Checklist, state: &mut CaseState, new_flags: Vec<FlagId>, fx: &mut Vec<Effect>) {
    let mut all = state.red_flags.clone().unwrap_or_default();
    for f in new_flags {
        if !all.contains(&f) {
            all.push(f);
        }
    }
    state.red_flags = Some(all.clone());
    let labels = flag_labels(def, &all);
    let resident = state.resident.as_deref();
    let source = |kind: DecisionKind| -> Msg {
        resident
            .and_then(|r| r.decisions.iter().find(|d| d.kind == kind))
            .map(isbar::decision_source)
            .unwrap_or_else(|| Msg::new("isbar-not-stated"))
    };
    if resident.is_some_and(Resident::rules_out_112) {
        if !state.no_112_by_decision {
            let kind = if resident.is_some_and(|r| r.has(DecisionKind::NoAdmission)) {
                DecisionKind::NoAdmission
            } else {
                DecisionKind::PalliativeOnly
            };
            fx.push(Effect::Say(
                Msg::new("no-112-by-decision")
                    .arg_list("flags", labels)
                    .arg_msg("source", source(kind)),
            ));
            fx.push(Effect::Record(EventKind::No112ByTreatmentDecision {
                flags: all.clone(),
            }));
            state.no_112_by_decision = true;
        }
    } else if !state.advised_112 {
        fx.push(Effect::Advise112(
            Msg::new("advise-112").arg_list("flags", labels),
        ));
        if resident.is_some_and(|r| r.has(DecisionKind::NoCpr)) {
            fx.push(Effect::Say(
                Msg::new("advise-112-no-cpr").arg_msg("source", source(DecisionKind::NoCpr)),
            ));
        }
        fx.push(Effect::Record(EventKind::Advised112 { flags: all.clone() }));
        state.advised_112 = true;
    }
    if state.paged != Some(Urgency::Red) {
        let isbar = Box::new(state.isbar(def));
        fx.push(Effect::Record(EventKind::PageRequested {
            urgency: Urgency::Red,
        }));
        fx.push(Effect::Page {
            urgency: Urgency::Red,
            isbar,
        });
        state.paged = Some(Urgency::Red);
    }
}

/// The labels of flags, for a list argument.
pub fn flag_labels(def: &Checklist, flags: &[FlagId]) -> Vec<Msg> {
    flags
        .iter()
        .filter_map(|f| def.flag(f))
        .map(|d| Msg::new(&d.label))
        .collect()
}

fn on_vital(
    def: &Checklist,
    state: &mut CaseState,
    param: Param,
    raw: &str,
    next: &str,
    fx: &mut Vec<Effect>,
) {
    if parse::is_skip(raw) {
        state.vitals.skip(param);
        fx.push(Effect::Record(EventKind::VitalRecorded {
            param,
            value: None,
        }));
        enter(def, state, next, fx);
        return;
    }
    let labelled = parse::labelled(raw);
    let results: Vec<(Param, Result<VitalValue, VitalError>)> = if labelled.is_empty() {
        vec![(param, parse::parse_vital(param, raw))]
    } else {
        labelled
    };
    let mut noted = Vec::new();
    let mut failed = None;
    for (p, r) in results {
        match r {
            Ok(v) => {
                let p = state.vitals.set(v);
                fx.push(Effect::Record(EventKind::VitalRecorded {
                    param: p,
                    value: state.vitals.display(p),
                }));
                noted.push(p);
            }
            Err(e) => failed = Some((p, e)),
        }
    }
    if noted.len() > 1 || (noted.len() == 1 && noted[0] != param) {
        let values = noted
            .iter()
            .map(|p| {
                Msg::new("noted-value")
                    .arg_msg("param", Msg::new(format!("param-{}", p.field())))
                    .arg("value", state.vitals.display(*p).unwrap_or_default())
            })
            .collect::<Vec<_>>();
        fx.push(Effect::Say(Msg::new("noted").arg_list("values", values)));
    }
    if noted.contains(&Param::Consciousness)
        && state.vitals.consciousness.value() == Some(TobsConsciousness::Unresponsive)
    {
        // An unresponsive resident is a red flag wherever it is reported.
        if let Some(f) = def
            .first_of(|k| matches!(k, StepKind::RedFlags { .. }))
            .and_then(|s| match &s.kind {
                StepKind::RedFlags { flags, .. } => {
                    flags.iter().find(|f| f.as_str() == "unresponsive").cloned()
                }
                _ => None,
            })
        {
            if !state.red_flags.as_ref().is_some_and(|v| v.contains(&f)) {
                fx.push(Effect::Record(EventKind::RedFlagsAnswered {
                    flags: vec![f.clone()],
                }));
                raise_red(def, state, vec![f], fx);
            }
        }
    }
    if let Some((p, e)) = failed {
        fx.push(Effect::Say(hint_for(p, &e)));
        if p != param && state.vitals.answered(param) {
            enter(def, state, next, fx);
        } else {
            reask(state, fx);
        }
        return;
    }
    if state.vitals.answered(param) {
        enter(def, state, next, fx);
    } else {
        reask(state, fx);
    }
}

fn hint_for(p: Param, _e: &VitalError) -> Msg {
    let (min, max, unit) = match p {
        Param::RespRate => (RespRate::MIN, RespRate::MAX, " /min"),
        Param::Spo2 => (Spo2::MIN, Spo2::MAX, " %"),
        Param::Systolic => (Systolic::MIN, Systolic::MAX, " mmHg"),
        Param::Pulse => (Pulse::MIN, Pulse::MAX, " /min"),
        Param::Temp => return Msg::new("hint-temp"),
        Param::Oxygen => return Msg::new("hint-yes-no"),
        Param::Consciousness => {
            return Msg::new("hint-choice").arg("max", CONSCIOUSNESS_CHOICES.len())
        }
    };
    Msg::new("hint-number")
        .arg_msg("what", Msg::new(format!("param-name-{}", p.field())))
        .arg("min", min)
        .arg("max", max)
        .arg("unit", unit)
}

fn summary(def: &Checklist, state: &mut CaseState, fx: &mut Vec<Effect>) {
    let (urgency, reason) = state.urgency();
    let isbar = Box::new(state.isbar(def));
    fx.push(Effect::Record(EventKind::UrgencyAssessed {
        urgency,
        reason: reason.code(),
    }));
    fx.push(Effect::Record(EventKind::IsbarComposed {
        isbar: isbar.clone(),
    }));
    fx.push(Effect::Say(Msg::new("say-summary-intro")));
    fx.push(Effect::ShowIsbar(isbar.clone()));
    if state.paged.is_some() {
        fx.push(Effect::Record(EventKind::PageUpdated { urgency }));
        fx.push(Effect::UpdatePage { urgency, isbar });
        fx.push(Effect::Say(Msg::new("say-page-updated")));
    } else {
        fx.push(Effect::Record(EventKind::PageRequested { urgency }));
        fx.push(Effect::Page { urgency, isbar });
        state.paged = Some(urgency);
        let id = if state.admission_ruled_out() {
            "say-paged-limited"
        } else {
            "say-paged"
        };
        fx.push(Effect::Say(
            Msg::new(id).arg_msg("urgency", urgency.label()),
        ));
    }
    fx.push(Effect::Record(EventKind::ChecklistCompleted));
    fx.push(Effect::Finished);
    state.phase = Phase::Finished;
}

#[cfg(test)]
mod tests;
