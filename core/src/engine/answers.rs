//! Applying what the caller gave to the question asked.
//!
//! Words go through core's parser here and nowhere else; a typed command or
//! answer skips the reading and meets the same step logic. Each step has one
//! function that takes either, so a keypad and a chat cannot drift apart.

use super::flow::{enter, raise_red, summary};
use super::parse::{self, VitalValue, CONSCIOUSNESS_CHOICES};
use super::{
    ask, reask, Answer, CaseState, Checklist, Command, Effect, Entry, Expect, FlagId, Lookup,
    Phase, Prompt, ResidentQuery, Said, StepKind, TextField,
};
use crate::i18n::Msg;
use crate::ids::Text;
use crate::record::EventKind;
use crate::resident::Room;
use crate::vitals::{
    Oxygen, Param, Pulse, RespRate, Spo2, Systolic, TobsConsciousness, VitalError,
};

/// An answer to the step's question, as words or typed.
enum Given {
    /// Words, read by the step with core's parser.
    Words(String),
    /// A typed answer.
    Entry(Entry),
}

pub(super) fn on_said(def: &Checklist, state: &mut CaseState, said: Said, fx: &mut Vec<Effect>) {
    match state.phase {
        Phase::Cancelled => {
            fx.push(Effect::Say(Msg::new("say-cancelled")));
            return;
        }
        Phase::Finished => {
            let text = said.record_text(state.lang);
            if parse::confirms_advice(&text) {
                fx.push(Effect::Record(EventKind::AdviceConfirmed));
                fx.push(Effect::Say(Msg::new("say-advice-confirmed")));
                return;
            }
            if parse::asks_for_remeasure(&text) {
                return super::flow::start_remeasure(def, state, fx);
            }
            // After the page, whatever comes in is a note for the physician.
            if let Ok(t) = Text::parse("note", &said.record_text(state.lang), 4000) {
                fx.push(Effect::Record(EventKind::Note { text: t }));
                fx.push(Effect::Say(Msg::new("say-note-recorded")));
            }
            return;
        }
        Phase::Running => {}
    }
    let given = match said {
        Said::Command(c) => return on_command(def, state, c, fx),
        Said::Text(raw) => match parse::command(&raw) {
            Some(c) => return on_command(def, state, c, fx),
            None => Given::Words(raw),
        },
        Said::Answer(Entry::Text(t)) => Given::Words(t),
        Said::Answer(e) => Given::Entry(e),
    };
    on_answer(def, state, given, fx);
}

fn on_command(def: &Checklist, state: &mut CaseState, c: Command, fx: &mut Vec<Effect>) {
    match c {
        Command::Cancel => {
            state.phase = Phase::Cancelled;
            fx.push(Effect::Record(EventKind::CaseCancelled));
            fx.push(Effect::Say(Msg::new("say-cancelled")));
        }
        Command::Help => {
            fx.push(Effect::Say(Msg::new("help")));
            reask(state, fx);
        }
        Command::Repeat => reask(state, fx),
        Command::PhysicianNow => {
            // The rest of the checklist is skipped: the physician asks what
            // they need. Pages (or updates the page) with what is known.
            if !state.physician_requested {
                state.physician_requested = true;
                fx.push(Effect::Record(EventKind::PhysicianRequested));
            }
            summary(def, state, fx);
        }
        // Leaving a question is the same as not having the value; questions
        // that cannot be left say so.
        Command::Skip => on_answer(def, state, Given::Entry(Entry::Unknown), fx),
        Command::WrongResident if state.resident.is_some() => reject_resident(def, state, fx),
        Command::WrongResident => reask(state, fx),
    }
}

fn on_answer(def: &Checklist, state: &mut CaseState, given: Given, fx: &mut Vec<Effect>) {
    let Some(step) = def.step(&state.step).cloned() else {
        return;
    };
    let next = step.next.clone().unwrap_or_default();
    match &step.kind {
        StepKind::CallerName { .. } => {
            let name = match &given {
                Given::Words(raw) => Text::parse("name", raw, 200).ok(),
                Given::Entry(_) => None,
            };
            match name {
                Some(name) => {
                    state.caller.name = Some(name.clone());
                    fx.push(Effect::Record(EventKind::CallerNamed { name }));
                    enter(def, state, &next, fx);
                }
                None => reask(state, fx),
            }
        }
        StepKind::Resident { .. } => on_resident(state, given, fx),
        StepKind::RedFlags { flags, on_flag, .. } => {
            on_red_flags(def, state, given, flags, on_flag, &next, fx)
        }
        StepKind::Vital { param, .. } => on_vital(def, state, *param, given, &next, fx),
        StepKind::FreeText {
            field, skippable, ..
        } => on_free_text(def, state, given, *field, *skippable, &next, fx),
        StepKind::Say { .. } | StepKind::Summary => enter(def, state, &next, fx),
    }
}

fn on_free_text(
    def: &Checklist,
    state: &mut CaseState,
    given: Given,
    field: TextField,
    skippable: bool,
    next: &str,
    fx: &mut Vec<Effect>,
) {
    let (skip, value) = match &given {
        Given::Words(raw) if skippable && parse::is_skip(raw) => (true, None),
        Given::Words(raw) => (false, Text::parse("text", raw, 4000).ok()),
        Given::Entry(Entry::Unknown) => (skippable, None),
        Given::Entry(_) => (false, None),
    };
    if value.is_none() && !skip {
        fx.push(Effect::Say(Msg::new("hint-text-required")));
        reask(state, fx);
        return;
    }
    match field {
        TextField::Situation => {
            if let Some(t) = value {
                state.situation = Some(t.clone());
                fx.push(Effect::Record(EventKind::SituationRecorded { text: t }));
            }
        }
        TextField::Concern => {
            state.concern = value.clone().map_or(Answer::Skipped, Answer::Given);
            fx.push(Effect::Record(EventKind::ConcernRecorded { text: value }));
        }
    }
    enter(def, state, next, fx);
}

fn on_resident(state: &mut CaseState, given: Given, fx: &mut Vec<Effect>) {
    // Answering a choice among offered candidates.
    let picked = match &given {
        Given::Words(raw) if !state.candidates.is_empty() => {
            let text = parse::normalise(raw);
            parse::only_numbers(&text).then(|| parse::numbers(&text))
        }
        Given::Entry(Entry::Choices(ns)) => Some(ns.clone()),
        _ => None,
    };
    if let Some(ns) = picked {
        let chosen = match ns.as_slice() {
            [n] => state.candidates.get((*n as usize).wrapping_sub(1)),
            _ => None,
        };
        if let Some(c) = chosen {
            fx.push(Effect::LookupResident(ResidentQuery::Id(c.id.clone())));
        } else if state.candidates.is_empty() {
            fx.push(Effect::Say(Msg::new("hint-resident")));
            reask(state, fx);
        } else {
            fx.push(Effect::Say(
                Msg::new("hint-choice").arg("max", state.candidates.len()),
            ));
            reask(state, fx);
        }
        return;
    }
    let words = match given {
        Given::Words(raw) => raw,
        Given::Entry(Entry::Room(r)) => r.as_str().to_string(),
        Given::Entry(Entry::Number(d)) => d.to_string(),
        Given::Entry(_) => String::new(),
    };
    state.candidates.clear();
    let Ok(q) = Text::parse("query", &words, 100) else {
        fx.push(Effect::Say(Msg::new("hint-resident")));
        reask(state, fx);
        return;
    };
    state.last_query = Some(q.clone());
    // A room is short and holds a digit ("12", "12b", "værelse 3"); anything else is a name.
    let room = Room::parse(&words)
        .filter(|r| r.as_str().chars().any(|c| c.is_ascii_digit()) && r.as_str().len() <= 6);
    let query = match room {
        Some(r) => ResidentQuery::Room(r),
        None => ResidentQuery::Name(q),
    };
    fx.push(Effect::LookupResident(query));
}

pub(super) fn on_lookup(def: &Checklist, state: &mut CaseState, l: Lookup, fx: &mut Vec<Effect>) {
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
            let expect = Expect::Choice {
                count: choices.len(),
                multiple: false,
            };
            state.candidates = c;
            let prompt = Prompt {
                choices,
                ..Prompt::new(Msg::new("resident-ambiguous"), expect)
            };
            ask(state, fx, prompt);
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

fn reject_resident(def: &Checklist, state: &mut CaseState, fx: &mut Vec<Effect>) {
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
}

/// The danger signs picked by number: 1..=n a sign, n+1 "none of them".
/// `None` when the numbers make no answer.
fn flags_by_number(flags: &[FlagId], ns: &[u32]) -> Option<Vec<FlagId>> {
    let none_choice = flags.len() as u32 + 1;
    if ns == [0] {
        return Some(vec![]);
    }
    if ns.is_empty() || !ns.iter().all(|n| (1..=none_choice).contains(n)) {
        return None;
    }
    let mut v: Vec<FlagId> = ns
        .iter()
        .filter(|n| **n < none_choice)
        .map(|n| flags[*n as usize - 1].clone())
        .collect();
    v.sort();
    v.dedup();
    if !v.is_empty() && ns.contains(&none_choice) {
        // "2 7": a sign and "none of them" at once; ask again rather than guess.
        return None;
    }
    Some(v)
}

/// The danger signs named in words; `None` when the words make no answer.
fn flags_in_words(
    def: &Checklist,
    state: &CaseState,
    flags: &[FlagId],
    raw: &str,
) -> Option<Vec<FlagId>> {
    let text = parse::normalise(raw);
    if parse::only_numbers(&text) {
        return flags_by_number(flags, &parse::numbers(&text));
    }
    // Words naming a danger sign win over a "no" in the same answer:
    // "nej, men hun har brystsmerter" is a red flag.
    let named: Vec<FlagId> = flags
        .iter()
        .filter(|f| {
            def.flag(f)
                .is_some_and(|d| d.mentioned_in(state.lang, &text))
        })
        .cloned()
        .collect();
    if !named.is_empty() {
        Some(named)
    } else if parse::yes_no(&text) == Some(false) || parse::is_none(&text) {
        Some(vec![])
    } else {
        None
    }
}

fn on_red_flags(
    def: &Checklist,
    state: &mut CaseState,
    given: Given,
    flags: &[FlagId],
    on_flag: &str,
    next: &str,
    fx: &mut Vec<Effect>,
) {
    let chosen = match &given {
        Given::Words(raw) if parse::is_wrong_resident(raw) => {
            return reject_resident(def, state, fx);
        }
        Given::Words(raw) => flags_in_words(def, state, flags, raw),
        Given::Entry(Entry::Choices(ns)) => flags_by_number(flags, ns),
        Given::Entry(Entry::No) => Some(vec![]),
        Given::Entry(_) => None,
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

/// A typed answer as a value for `p`.
fn typed_vital(p: Param, e: &Entry) -> Result<VitalValue, VitalError> {
    let unreadable = || VitalError::Unparseable {
        field: p.field(),
        value: String::new(),
        expected: "an answer to the question",
    };
    match (p, e) {
        (Param::Oxygen, Entry::Yes) => Ok(VitalValue::Oxygen(Oxygen::Oxygen)),
        (Param::Oxygen, Entry::No) => Ok(VitalValue::Oxygen(Oxygen::Air)),
        (Param::Consciousness, Entry::Choices(ns)) => match ns.as_slice() {
            [n] if (1..=CONSCIOUSNESS_CHOICES.len() as u32).contains(n) => Ok(
                VitalValue::Consciousness(CONSCIOUSNESS_CHOICES[*n as usize - 1]),
            ),
            _ => Err(unreadable()),
        },
        (Param::Systolic, Entry::Pair(s, d)) => Ok(VitalValue::Systolic(
            Systolic::new(i32::try_from(*s).unwrap_or(i32::MAX))?,
            u16::try_from(*d).ok(),
        )),
        (Param::Consciousness | Param::Oxygen, _) => Err(unreadable()),
        (_, Entry::Number(d)) => parse::parse_vital(p, &d.to_string()),
        (_, Entry::Choices(ns)) if ns.len() == 1 => parse::parse_vital(p, &ns[0].to_string()),
        _ => Err(unreadable()),
    }
}

fn on_vital(
    def: &Checklist,
    state: &mut CaseState,
    param: Param,
    given: Given,
    next: &str,
    fx: &mut Vec<Effect>,
) {
    let results: Vec<(Param, Result<VitalValue, VitalError>)> = match &given {
        Given::Words(raw) if parse::is_skip(raw) => vec![],
        Given::Entry(Entry::Unknown) => vec![],
        Given::Words(raw) => {
            let labelled = parse::labelled(raw);
            if labelled.is_empty() {
                vec![(param, parse::parse_vital(param, raw))]
            } else {
                labelled
            }
        }
        Given::Entry(e) => vec![(param, typed_vital(param, e))],
    };
    if results.is_empty() {
        state.vitals.skip(param);
        fx.push(Effect::Record(EventKind::VitalRecorded {
            param,
            value: None,
        }));
        enter(def, state, next, fx);
        return;
    }
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
        unresponsive_is_a_red_flag(def, state, fx);
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

/// An unresponsive resident is a red flag wherever it is reported.
fn unresponsive_is_a_red_flag(def: &Checklist, state: &mut CaseState, fx: &mut Vec<Effect>) {
    let flag = def
        .first_of(|k| matches!(k, StepKind::RedFlags { .. }))
        .and_then(|s| match &s.kind {
            StepKind::RedFlags { flags, .. } => {
                flags.iter().find(|f| f.as_str() == "unresponsive").cloned()
            }
            _ => None,
        });
    if let Some(f) = flag {
        if !state.red_flags.as_ref().is_some_and(|v| v.contains(&f)) {
            fx.push(Effect::Record(EventKind::RedFlagsAnswered {
                flags: vec![f.clone()],
            }));
            raise_red(def, state, vec![f], fx);
        }
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
