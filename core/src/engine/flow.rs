//! Moving through the checklist: entering a step (asking its question),
//! raising the alarm on a danger sign, and the summary that pages.

use super::parse::CONSCIOUSNESS_CHOICES;
use super::{
    ask, tobs_consciousness_name, CaseState, Checklist, Effect, Expect, FlagId, Phase, Prompt,
    StepKind, Urgency,
};
use crate::i18n::Msg;
use crate::isbar;
use crate::record::EventKind;
use crate::resident::{DecisionKind, Resident};
use crate::trend::{Baseline, Trend, Worse};
use crate::vitals::{Param, Pulse, RespRate, Spo2, Systolic};

pub(super) fn enter(def: &Checklist, state: &mut CaseState, id: &str, fx: &mut Vec<Effect>) {
    // Bounded: a definition has finitely many steps and `say`/answered steps
    // always move forward; the guard stops a malformed cycle.
    let mut id = id.to_string();
    for _ in 0..=def.steps().len() {
        let Some(step) = def.step(&id) else { return };
        state.step = step.id.clone();
        let next = step.next.clone().unwrap_or_default();
        let prompt = match &step.kind {
            StepKind::CallerName { .. } if state.caller.name.is_some() => None,
            StepKind::CallerName { ask } => Some(Prompt::new(Msg::new(ask), Expect::Text)),
            StepKind::Resident { ask } => Some(Prompt::new(Msg::new(ask), Expect::Resident)),
            StepKind::RedFlags { ask, flags, .. } => {
                let mut choices: Vec<Msg> = flags
                    .iter()
                    .filter_map(|f| def.flag(f))
                    .map(|f| Msg::new(&f.label))
                    .collect();
                choices.push(Msg::new("choice-none"));
                let expect = Expect::Choice {
                    count: choices.len(),
                    multiple: true,
                };
                Some(Prompt {
                    choices,
                    ..Prompt::new(Msg::new(ask), expect)
                })
            }
            StepKind::Say { say } => {
                fx.push(Effect::Say(Msg::new(say)));
                None
            }
            StepKind::Vital { param, .. } if state.vitals.answered(*param) => None,
            StepKind::Vital { param, ask } => Some(vital_prompt(state, *param, ask)),
            // A re-measurement asks for the danger signs and the vital
            // signs only; the situation was told the first time.
            StepKind::FreeText { .. } if state.remeasure.is_some() => None,
            StepKind::FreeText { ask, skippable, .. } => Some(Prompt {
                skippable: *skippable,
                ..Prompt::new(Msg::new(ask), Expect::Text)
            }),
            StepKind::Summary => return summary(def, state, fx),
        };
        match prompt {
            Some(p) => {
                let keys = step.keys.clone();
                return ask(state, fx, Prompt { keys, ..p });
            }
            None => id = next,
        }
    }
}

fn vital_prompt(state: &CaseState, param: Param, ask_id: &str) -> Prompt {
    let number = |min: u16, max: u16, decimal: bool, pair: bool| Expect::Number {
        min,
        max,
        decimal,
        pair,
    };
    let expect = match param {
        Param::RespRate => number(RespRate::MIN, RespRate::MAX, false, false),
        Param::Spo2 => number(Spo2::MIN, Spo2::MAX, false, false),
        // A blood pressure may come with its diastolic ("120/80").
        Param::Systolic => number(Systolic::MIN, Systolic::MAX, false, true),
        Param::Pulse => number(Pulse::MIN, Pulse::MAX, false, false),
        Param::Temp => number(25, 45, true, false),
        Param::Oxygen => Expect::YesNo,
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
            let msg =
                Msg::new(ask_id).arg_msg("baseline", Msg::new(format!("cognition-{baseline}")));
            let expect = Expect::Choice {
                count: choices.len(),
                multiple: false,
            };
            return Prompt {
                choices,
                skippable: true,
                ..Prompt::new(msg, expect)
            };
        }
    };
    Prompt {
        skippable: true,
        ..Prompt::new(Msg::new(ask_id), expect)
    }
}

/// A red flag: 112 advice first, unless the treatment decisions rule it out,
/// and the physician paged at once at the highest urgency either way.
pub(super) fn raise_red(
    def: &Checklist,
    state: &mut CaseState,
    new_flags: Vec<FlagId>,
    fx: &mut Vec<Effect>,
) {
    // A danger sign a re-measurement finds that was not there before pages
    // again, even when the case was paged red the first time.
    let fresh = state
        .remeasure
        .as_ref()
        .is_some_and(|b| new_flags.iter().any(|f| !b.red_flags.contains(f)));
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
    if state.paged != Some(Urgency::Red) || fresh {
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

/// Starts a re-measurement after the page: the case as it stands becomes the
/// baseline, and the danger signs and vital signs are asked again.
pub(super) fn start_remeasure(def: &Checklist, state: &mut CaseState, fx: &mut Vec<Effect>) {
    let (urgency, _) = state.urgency();
    let flags = state.red_flags.clone().unwrap_or_default();
    let base = Baseline::of(state.vitals, &state.news2(), urgency, &flags);
    fx.push(Effect::Record(EventKind::RemeasureStarted));
    fx.push(Effect::Say(Msg::new("say-remeasure-intro")));
    state.remeasure = Some(Box::new(base));
    state.vitals = Default::default();
    state.red_flags = None;
    state.phase = Phase::Running;
    let first = def
        .steps()
        .iter()
        .find(|s| matches!(s.kind, StepKind::RedFlags { .. }))
        .map(|s| s.id.clone())
        .unwrap_or_default();
    enter(def, state, &first, fx);
}

/// The end of a re-measurement: the trend against the baseline, a new page at
/// the new urgency with the trend first when worse, a quiet note otherwise.
fn remeasure_summary(def: &Checklist, state: &mut CaseState, base: Baseline, fx: &mut Vec<Effect>) {
    let (urgency, reason) = state.urgency();
    let flags = state.red_flags.clone().unwrap_or_default();
    let trend = Trend::between(&base, &state.vitals, &state.news2(), urgency, &flags);
    let isbar = Box::new(state.isbar(def));
    fx.push(Effect::Record(EventKind::UrgencyAssessed {
        urgency,
        reason: reason.code(),
    }));
    fx.push(Effect::Record(EventKind::IsbarComposed {
        isbar: isbar.clone(),
    }));
    fx.push(Effect::Record(EventKind::RemeasureAssessed {
        trend: Box::new(trend.clone()),
    }));
    state.trend = Some(Box::new(trend.clone()));
    fx.push(Effect::Say(
        Msg::new("say-remeasure-trend").arg_msg("trend", trend.line()),
    ));
    fx.push(Effect::ShowIsbar(isbar.clone()));
    if trend.is_worse() {
        // Through the normal escalation, at the new urgency; a new danger
        // sign paged red already when the answer came.
        if !trend.worse.contains(&Worse::NewRedFlag) {
            fx.push(Effect::Record(EventKind::PageRequested { urgency }));
            fx.push(Effect::Page { urgency, isbar });
            state.paged = Some(urgency);
        }
        fx.push(Effect::Say(Msg::new("say-remeasure-worse")));
    } else {
        fx.push(Effect::Say(Msg::new("say-remeasure-not-worse")));
    }
    fx.push(Effect::Record(EventKind::ChecklistCompleted));
    fx.push(Effect::Finished);
    state.phase = Phase::Finished;
}

pub(super) fn summary(def: &Checklist, state: &mut CaseState, fx: &mut Vec<Effect>) {
    if let Some(base) = state.remeasure.take() {
        return remeasure_summary(def, state, *base, fx);
    }
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
