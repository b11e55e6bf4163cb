//! Engine tests: the checklist driven input by input, with look-ups answered
//! from an in-test roster (the real store is exercised in the console tests).

use super::*;
use crate::i18n::Localizer;
use crate::resident::{Cognition, DecisionKind, TreatmentDecision};
use crate::vitals::RespRate;

mod own_words;

struct Run {
    def: Checklist,
    loc: Localizer,
    state: CaseState,
    roster: Vec<Resident>,
    all: Vec<Effect>,
}

fn resident(id: &str, room: &str, name: &str, decisions: &[DecisionKind]) -> Resident {
    Resident {
        id: ResidentId::parse(id).expect("id"),
        home: HomeId::parse("solgaarden").expect("home"),
        room: Room::parse(room).expect("room"),
        name: Text::parse("name", name, 100).expect("name"),
        born: NaiveDate::from_ymd_opt(1937, 5, 1),
        baseline_cognition: Cognition::Moderate,
        diagnoses: vec![],
        allergies: vec![],
        contact: None,
        spo2_scale2: false,
        decisions: decisions
            .iter()
            .map(|k| TreatmentDecision {
                kind: *k,
                note: None,
                recorded_by: Text::parse("by", "Dr. Lund", 100).expect("by"),
                recorded_on: NaiveDate::from_ymd_opt(2025, 1, 10).expect("date"),
            })
            .collect(),
    }
}

impl Run {
    fn new(roster: Vec<Resident>) -> Run {
        Run::new_in(roster, Lang::Da)
    }

    fn new_in(roster: Vec<Resident>, lang: Lang) -> Run {
        let loc = Localizer::builtin().expect("texts");
        let def = Checklist::builtin_acute(&loc).expect("checklist");
        let caller = Caller {
            person: Some(PersonId::parse("anna").expect("id")),
            name: Some(Text::parse("name", "Anna", 50).expect("name")),
            role: Some(Role::Staff),
            home: HomeId::parse("solgaarden").expect("home"),
            home_name: "Plejecenter Solgården".into(),
        };
        let state = CaseState::new(
            &def,
            caller,
            lang,
            NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
        );
        let mut r = Run {
            def,
            loc,
            state,
            roster,
            all: vec![],
        };
        r.feed(Input::Start);
        r
    }

    fn feed(&mut self, input: Input) -> Vec<Effect> {
        let (s, fx) = step(&self.def, self.state.clone(), input);
        self.state = s;
        let mut out = fx.clone();
        for f in fx {
            if let Effect::LookupResident(q) = f {
                let found: Vec<&Resident> = self
                    .roster
                    .iter()
                    .filter(|r| match &q {
                        ResidentQuery::Room(room) => &r.room == room,
                        ResidentQuery::Name(n) => r
                            .name
                            .as_str()
                            .to_lowercase()
                            .contains(&n.as_str().to_lowercase()),
                        ResidentQuery::Id(id) => &r.id == id,
                    })
                    .collect();
                let l = match found.as_slice() {
                    [] => Lookup::NotFound,
                    [one] => Lookup::Found(Box::new((*one).clone())),
                    many => Lookup::Many(
                        many.iter()
                            .map(|r| Candidate {
                                id: r.id.clone(),
                                room: r.room.clone(),
                                name: r.name.clone(),
                            })
                            .collect(),
                    ),
                };
                out.extend(self.feed(Input::Lookup(l)));
            }
        }
        self.all.extend(out.clone());
        out
    }

    fn say(&mut self, text: &str) -> Vec<Effect> {
        self.feed(Input::text(text))
    }

    fn texts(&self, fx: &[Effect]) -> String {
        fx.iter()
            .filter_map(|f| match f {
                Effect::Say(m) | Effect::Advise112(m) => Some(self.loc.render(self.state.lang, m)),
                Effect::Ask(p) => Some(
                    std::iter::once(&p.msg)
                        .chain(&p.choices)
                        .map(|m| self.loc.render(self.state.lang, m))
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn pages(&self) -> Vec<Urgency> {
        self.all
            .iter()
            .filter_map(|f| {
                if let Effect::Page { urgency, .. } = f {
                    Some(*urgency)
                } else {
                    None
                }
            })
            .collect()
    }
}

#[test]
fn medium_case_with_fever_scores_news2_five() {
    let mut r = Run::new(vec![resident(
        "r1",
        "12",
        "Karen Test",
        &[DecisionKind::FullTreatment],
    )]);
    assert_eq!(r.state.step, "resident");
    let fx = r.say("12");
    assert!(fx.iter().any(|f| matches!(f, Effect::ShowResidentCard(_))));
    r.say("nej");
    for answer in ["22", "95", "nej", "125/80", "98", "1", "38,9"] {
        r.say(answer);
    }
    r.say("Feber og hoste siden i aftes");
    let fx = r.say("spring over");
    let isbar = fx.iter().find_map(|f| {
        if let Effect::Page { isbar, urgency } = f {
            Some((isbar, *urgency))
        } else {
            None
        }
    });
    let (isbar, urgency) = isbar.expect("paged");
    // RR 22 → 2, SpO2 95 → 1, air 0, SBP 125 → 0, pulse 98 → 1, A 0, 38,9 → 1.
    assert_eq!(isbar.news2.total, 5);
    assert_eq!(urgency, Urgency::Medium);
    assert!(fx.iter().any(|f| matches!(f, Effect::Finished)));
}

#[test]
fn several_values_in_one_message_fill_their_steps() {
    let mut r = Run::new(vec![resident("r1", "12", "Karen Test", &[])]);
    r.say("12");
    r.say("nej");
    let fx = r.say("RF 24, spo2 93 %, puls 105, BT 110/70, temp 38,9");
    assert!(r.texts(&fx).contains("Noteret"));
    // The current step was respiration, which was given: next unanswered is oxygen.
    assert_eq!(r.state.step, "oxygen");
    r.say("nej");
    assert_eq!(r.state.step, "consciousness");
    r.say("1");
    assert_eq!(r.state.step, "situation");
    assert_eq!(r.state.news2().total, 7);
}

#[test]
fn invalid_vital_reasks_and_keeps_answers() {
    let mut r = Run::new(vec![resident("r1", "12", "Karen Test", &[])]);
    r.say("12");
    r.say("nej");
    r.say("22");
    let fx = r.say("1050");
    let t = r.texts(&fx);
    assert!(t.contains("mellem") || t.contains("fra 50 til 100"), "{t}");
    assert_eq!(r.state.step, "spo2");
    assert_eq!(
        r.state.vitals.resp_rate.value().map(RespRate::get),
        Some(22)
    );
}

#[test]
fn red_flag_with_full_treatment_advises_112_first_and_pages_red() {
    let mut r = Run::new(vec![resident(
        "r1",
        "12",
        "Karen Test",
        &[DecisionKind::FullTreatment],
    )]);
    r.say("12");
    let fx = r.say("3");
    let first_visible = fx
        .iter()
        .find(|f| matches!(f, Effect::Say(_) | Effect::Advise112(_) | Effect::Ask(_)));
    assert!(
        matches!(first_visible, Some(Effect::Advise112(_))),
        "{fx:?}"
    );
    assert!(r.texts(&fx).contains("RING 112 NU"));
    assert_eq!(r.pages(), vec![Urgency::Red]);
}

#[test]
fn red_flag_with_no_admission_pages_red_without_112() {
    let mut r = Run::new(vec![resident(
        "r1",
        "12",
        "Karen Test",
        &[DecisionKind::NoCpr, DecisionKind::NoAdmission],
    )]);
    r.say("12");
    let fx = r.say("brystsmerter");
    assert!(!fx.iter().any(|f| matches!(f, Effect::Advise112(_))));
    assert!(r.texts(&fx).contains("fravalgt indlæggelse"));
    let page = fx
        .iter()
        .find_map(|f| {
            if let Effect::Page { isbar, .. } = f {
                Some(isbar)
            } else {
                None
            }
        })
        .expect("paged");
    let text = page.render(&r.loc, Lang::Da);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[1].contains("RØD"), "{text}");
    assert!(
        lines
            .iter()
            .take(6)
            .any(|l| l.contains("Ingen genoplivning")),
        "{text}"
    );
}

/// After a decision against admission, no later text in the chat tells
/// staff to ring 112 regardless; "in doubt about the decision" always may.
#[test]
fn texts_after_a_decision_against_admission_do_not_contradict_it() {
    let karen = || {
        resident(
            "r1",
            "12",
            "Karen Test",
            &[DecisionKind::NoCpr, DecisionKind::NoAdmission],
        )
    };
    let mut r = Run::new(vec![karen()]);
    r.say("12");
    let fx = r.say("brystsmerter");
    let said = r.texts(&fx);
    let after = said.split("uden videre").nth(1).expect("the decision");
    assert!(!after.contains("Ved livsfare"), "{said}");
    assert!(said.contains("Er du i tvivl om beslutningen, så ring 112"));
    // Without a red flag: the page at the end of the checklist.
    let mut r = Run::new(vec![karen()]);
    r.say("12");
    r.say("nej");
    for _ in 0..7 {
        r.say("ved ikke");
    }
    r.say("Virker træt");
    let fx = r.say("ved ikke");
    let said = r.texts(&fx);
    assert!(said.contains("Vagtlægen er kaldt"), "{said}");
    assert!(!said.contains("Ved livsfare"), "{said}");
    assert!(
        said.contains("Er du i tvivl om beslutningen, så ring 112"),
        "{said}"
    );
    // Full treatment: "ring 112" stays.
    let mut r = Run::new(vec![resident("r2", "14", "Poul Test", &[])]);
    r.say("14");
    r.say("nej");
    for _ in 0..7 {
        r.say("ved ikke");
    }
    r.say("Virker træt");
    let fx = r.say("ved ikke");
    let said = r.texts(&fx);
    assert!(said.contains("Ved livsfare: ring 112"), "{said}");
}

#[test]
fn unresponsive_reported_as_a_vital_raises_a_red_flag() {
    let mut r = Run::new(vec![resident("r1", "12", "Karen Test", &[])]);
    r.say("12");
    r.say("nej");
    for _ in 0..5 {
        r.say("ved ikke");
    }
    assert_eq!(r.state.step, "consciousness");
    let fx = r.say("6");
    assert!(fx.iter().any(|f| matches!(f, Effect::Advise112(_))));
    assert_eq!(r.pages(), vec![Urgency::Red]);
}

#[test]
fn all_vitals_skipped_is_routine_and_says_so() {
    let mut r = Run::new(vec![resident("r1", "12", "Karen Test", &[])]);
    r.say("12");
    r.say("nej");
    for _ in 0..7 {
        r.say("ved ikke");
    }
    r.say("Virker træt");
    let fx = r.say("ved ikke");
    let (urgency, isbar) = fx
        .iter()
        .find_map(|f| {
            if let Effect::Page { urgency, isbar } = f {
                Some((*urgency, isbar))
            } else {
                None
            }
        })
        .expect("paged");
    assert_eq!(urgency, Urgency::Routine);
    assert!(isbar.render(&r.loc, Lang::Da).contains("ingen målinger"));
}

#[test]
fn unknown_room_is_asked_again() {
    let mut r = Run::new(vec![resident("r1", "12", "Karen Test", &[])]);
    let fx = r.say("99");
    assert!(r.texts(&fx).contains("kan ikke finde"));
    assert_eq!(r.state.step, "resident");
    r.say("12");
    assert_eq!(r.state.step, "red_flags");
}

#[test]
fn two_matching_names_are_offered_as_choices() {
    let mut r = Run::new(vec![
        resident("r1", "12", "Karen Hansen", &[]),
        resident("r2", "14", "Karen Jensen", &[]),
    ]);
    let fx = r.say("karen");
    assert!(fx
        .iter()
        .any(|f| matches!(f, Effect::Ask(p) if p.choices.len() == 2)));
    r.say("2");
    assert_eq!(
        r.state.resident.as_ref().map(|x| x.id.as_str().to_string()),
        Some("r2".into())
    );
}

#[test]
fn wrong_resident_goes_back() {
    let mut r = Run::new(vec![resident("r1", "12", "Karen Test", &[])]);
    r.say("12");
    r.say("forkert");
    assert_eq!(r.state.step, "resident");
    assert!(r.state.resident.is_none());
}

#[test]
fn cancel_and_help() {
    let mut r = Run::new(vec![]);
    let fx = r.say("hjælp");
    assert!(r.texts(&fx).contains("ved ikke"));
    assert_eq!(r.state.step, "resident");
    r.say("afbryd");
    assert_eq!(r.state.phase, Phase::Cancelled);
}

#[test]
fn state_survives_serialisation_mid_case() {
    let mut r = Run::new(vec![resident("r1", "12", "Karen Test", &[])]);
    r.say("12");
    r.say("nej");
    r.say("38,9 temp");
    let json = serde_json::to_value(&r.state).expect("serialise");
    let back: CaseState = serde_json::from_value(json).expect("deserialise");
    assert_eq!(back, r.state);
}

#[test]
fn a_no_with_a_danger_sign_in_words_is_a_red_flag() {
    let mut r = Run::new(vec![resident(
        "r1",
        "12",
        "Karen Test",
        &[DecisionKind::FullTreatment],
    )]);
    r.say("12");
    let fx = r.say("nej, men hun klager over brystsmerter");
    assert!(fx.iter().any(|f| matches!(f, Effect::Advise112(_))));
    assert_eq!(r.pages(), vec![Urgency::Red]);
}

#[test]
fn contradictory_or_unknown_red_flag_answers_are_asked_again() {
    let mut r = Run::new(vec![resident("r1", "12", "Karen Test", &[])]);
    r.say("12");
    for answer in ["2 7", "9", "måske"] {
        let fx = r.say(answer);
        assert!(
            r.texts(&fx)
                .contains("Svar med tallet for hvert faresignal"),
            "{answer}"
        );
        assert_eq!(r.state.step, "red_flags");
    }
    r.say("7");
    assert_eq!(r.state.red_flags, Some(vec![]));
    assert!(r.pages().is_empty());
}

#[test]
fn a_negated_danger_sign_is_not_a_red_flag() {
    let mut r = Run::new(vec![resident("r1", "12", "Karen Test", &[])]);
    r.say("12");
    r.say("nej, ingen brystsmerter");
    assert_eq!(r.state.red_flags, Some(vec![]));
    assert!(r.pages().is_empty());
}

#[test]
fn asking_for_the_physician_pages_at_least_high_with_what_is_known() {
    let mut r = Run::new(vec![resident("r1", "12", "Karen Test", &[])]);
    r.say("12");
    r.say("nej");
    r.say("22");
    let fx = r.say("læge nu");
    assert!(fx
        .iter()
        .any(|f| matches!(f, Effect::Record(EventKind::PhysicianRequested))));
    // RR 22 alone scores 2 (low), but the caller is holding the line.
    assert_eq!(r.pages(), vec![Urgency::High]);
    let reason = fx.iter().find_map(|f| match f {
        Effect::Record(EventKind::UrgencyAssessed { reason, .. }) => Some(reason.clone()),
        _ => None,
    });
    assert_eq!(
        reason.as_deref(),
        Some("caller_requested_physician;news2_partial:2:missing=spo2,oxygen,systolic,pulse,consciousness,temp")
    );
    assert_eq!(r.state.phase, Phase::Finished);
    let isbar = fx
        .iter()
        .find_map(|f| match f {
            Effect::ShowIsbar(i) => Some(i.render(&r.loc, Lang::Da)),
            _ => None,
        })
        .expect("summary shown");
    assert!(isbar.contains("bad om at få lægen"), "{isbar}");
}

#[test]
fn asking_for_the_physician_keeps_a_red_urgency() {
    let mut r = Run::new(vec![resident("r1", "12", "Karen Test", &[])]);
    r.say("12");
    r.say("3");
    assert_eq!(r.pages(), vec![Urgency::Red]);
    let fx = r.say("læge nu");
    assert!(fx.iter().any(|f| matches!(
        f,
        Effect::UpdatePage {
            urgency: Urgency::Red,
            ..
        }
    )));
    assert_eq!(r.pages(), vec![Urgency::Red], "paged once");
}

/// The records a run produced, in order.
fn records(fx: &[Effect]) -> Vec<EventKind> {
    fx.iter()
        .filter_map(|f| match f {
            Effect::Record(k) => Some(k.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn typed_answers_and_words_make_the_same_case() {
    let roster = || vec![resident("r1", "14", "Karen Test", &[])];
    let mut words = Run::new(roster());
    for w in [
        "14", "7", "22", "ved ikke", "nej", "125/80", "98", "1", "38,9", "Feber",
    ] {
        words.say(w);
    }
    words.say("spring over");
    let mut typed = Run::new(roster());
    let temp = Decimal::from_digits("38", Some("9")).expect("38,9");
    for e in [
        Entry::Room(Room::parse("14").expect("room")),
        Entry::Choices(vec![7]),
        Entry::Number(Decimal::whole(22)),
        Entry::Unknown,
        Entry::No,
        Entry::Pair(125, 80),
        Entry::Number(Decimal::whole(98)),
        Entry::Choices(vec![1]),
        Entry::Number(temp),
        Entry::Text("Feber".into()),
    ] {
        typed.feed(Input::Said(e.into()));
    }
    typed.feed(Input::Said(Command::Skip.into()));
    assert_eq!(typed.state, words.state);
    assert_eq!(records(&typed.all), records(&words.all));
    assert_eq!(typed.pages(), vec![Urgency::Low]);
}

#[test]
fn typed_commands_act_like_their_words() {
    let mut r = Run::new(vec![resident("r1", "14", "Karen Test", &[])]);
    r.feed(Input::Said(
        Entry::Room(Room::parse("14").expect("room")).into(),
    ));
    assert!(r.state.resident.is_some());
    // "Not this resident" from a key: back to finding the resident.
    let fx = r.feed(Input::Said(Command::WrongResident.into()));
    assert!(records(&fx)
        .iter()
        .any(|k| matches!(k, EventKind::ResidentRejected { .. })));
    assert_eq!(r.state.step, "resident");
    // Skipping a question that must be answered asks it again.
    let fx = r.feed(Input::Said(Command::Skip.into()));
    assert!(r.texts(&fx).contains("beboer"), "{}", r.texts(&fx));
    assert_eq!(r.state.step, "resident");
    r.feed(Input::Said(
        Entry::Room(Room::parse("14").expect("room")).into(),
    ));
    // Keys that make no answer: a hint and the question again, nothing stored.
    let fx = r.feed(Input::Said(Entry::Keys("9*9*9".into()).into()));
    assert!(records(&fx).is_empty());
    assert_eq!(r.state.step, "red_flags");
    r.feed(Input::Said(Entry::No.into()));
    let fx = r.feed(Input::Said(Entry::Keys("38*9*1".into()).into()));
    assert!(records(&fx).is_empty());
    assert_eq!(r.state.step, "resp_rate");
    r.feed(Input::Said(Command::PhysicianNow.into()));
    assert!(r.state.physician_requested);
    assert_eq!(r.pages(), vec![Urgency::High]);
}

#[test]
fn the_spoken_page_names_no_one_and_gives_the_reason() {
    let mut r = Run::new(vec![resident("r1", "14", "Karen Test", &[])]);
    r.say("14");
    let said = |r: &Run| r.loc.render(Lang::Da, &r.state.spoken_page(&r.def));
    assert!(said(&r).contains("ingen målinger"), "{}", said(&r));
    r.say("nej");
    r.say("28");
    let partial = said(&r);
    assert!(partial.contains("værelse 14"), "{partial}");
    assert!(partial.contains("NEWS mindst 3"), "{partial}");
    assert!(!partial.contains("Karen"), "{partial}");
    let mut red = Run::new(vec![resident("r1", "14", "Karen Test", &[])]);
    red.say("14");
    red.say("3");
    let text = said(&red);
    assert!(text.contains("rødt faresignal"), "{text}");
    assert!(
        text.starts_with("Akut opkald fra Plejecenter Solgården"),
        "{text}"
    );
}

/// A finished medium case (NEWS2 5: RR 22, SpO2 95, pulse 98, 38,9).
fn paged_medium_case() -> Run {
    let mut r = Run::new(vec![resident(
        "r1",
        "12",
        "Karen Test",
        &[DecisionKind::FullTreatment],
    )]);
    r.say("12");
    r.say("nej");
    for answer in ["22", "95", "nej", "125/80", "98", "1", "38,9"] {
        r.say(answer);
    }
    r.say("Feber og hoste siden i aftes");
    r.say("spring over");
    assert_eq!(r.pages(), vec![Urgency::Medium]);
    r
}

fn trend_of(fx: &[Effect]) -> Option<crate::trend::Trend> {
    fx.iter().find_map(|f| match f {
        Effect::Record(EventKind::RemeasureAssessed { trend }) => Some((**trend).clone()),
        _ => None,
    })
}

#[test]
fn a_worse_remeasurement_pages_again_at_the_new_urgency_with_the_trend() {
    let mut r = paged_medium_case();
    let fx = r.say("ny måling");
    assert!(records(&fx).contains(&EventKind::RemeasureStarted));
    assert_eq!(r.state.step, "red_flags");
    r.say("nej");
    // RR 28 → 3, SpO2 92 → 2, air, SBP 125, pulse 112 → 2, A, 38,9 → 1: NEWS2 8.
    let mut last = vec![];
    for answer in ["28", "92", "nej", "125", "112", "1", "38,9"] {
        last = r.say(answer);
    }
    let trend = trend_of(&last).expect("a trend");
    assert_eq!(trend.news2, (5, 8));
    assert!(trend.is_worse());
    assert_eq!(r.pages(), vec![Urgency::Medium, Urgency::High]);
    let said = r.texts(&last);
    assert!(
        said.contains("NEWS2 5 → 8, RF 22 → 28, SpO2 95 % → 92 %, Puls 98 → 112"),
        "{said}"
    );
    // The situation is not asked again; the case is finished once more.
    assert_eq!(r.state.phase, Phase::Finished);
    assert!(r.state.trend.is_some());
}

#[test]
fn a_remeasurement_that_is_not_worse_pages_nobody() {
    let mut r = paged_medium_case();
    r.say("ny måling");
    r.say("nej");
    let mut last = vec![];
    for answer in ["20", "96", "nej", "125", "90", "1", "38,2"] {
        last = r.say(answer);
    }
    let trend = trend_of(&last).expect("a trend");
    assert!(!trend.is_worse(), "{trend:?}");
    assert_eq!(r.pages(), vec![Urgency::Medium]);
    assert!(r.texts(&last).contains("Ikke dårligere"));
}

#[test]
fn a_new_danger_sign_at_a_remeasurement_pages_red_at_once() {
    let mut r = paged_medium_case();
    r.say("ny måling");
    let fx = r.say("hun har fået ondt i brystet");
    assert!(fx.iter().any(|f| matches!(f, Effect::Advise112(_))));
    assert_eq!(r.pages(), vec![Urgency::Medium, Urgency::Red]);
}

#[test]
fn staff_confirm_the_advice_after_the_page() {
    let mut r = paged_medium_case();
    for word in ["Forstået", "✅", "forstået."] {
        let fx = r.say(word);
        assert_eq!(records(&fx), vec![EventKind::AdviceConfirmed], "{word}");
    }
    let fx = r.say("hun sover nu");
    assert!(matches!(records(&fx).as_slice(), [EventKind::Note { .. }]));
}
