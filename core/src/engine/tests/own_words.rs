//! Staff's own words at the danger-sign and consciousness questions: phrasings
//! written as night staff write or say them, each fed as the first answer to
//! the question. Every danger sign is recognised at once, none is ever taken
//! as "no danger signs", a plain no (with or without more to say) raises no
//! alarm, and an unclear answer is asked again with the options.

use super::*;
use crate::engine::parse::{parse_vital, VitalValue};
use crate::vitals::{Param, TobsConsciousness as C};

/// What the first answer should give.
enum Want {
    /// These danger signs (at least), never "none".
    Flags(&'static [&'static str]),
    /// No danger signs.
    No,
    /// Asked again, with the options.
    Again,
}
use Want::*;

const DA: &[(&str, Want)] = &[
    (
        "hun har svært ved at trække vejret",
        Flags(&["not_breathing"]),
    ),
    ("Han kan ikke få luft!!", Flags(&["not_breathing"])),
    ("hun gisper efter vejret", Flags(&["not_breathing"])),
    (
        "han snapper efter luft og er blå om læberne",
        Flags(&["not_breathing"]),
    ),
    (
        "trækker vejret meget tungt og besværet",
        Flags(&["not_breathing"]),
    ),
    (
        "hun har fået noget galt i halsen og kan ikke få vejret",
        Flags(&["not_breathing"]),
    ),
    (
        "hun er ikke til at få kontakt med",
        Flags(&["unresponsive"]),
    ),
    ("vi kan ikke vække ham", Flags(&["unresponsive"])),
    (
        "hun reagerer ikke når vi taler til hende",
        Flags(&["unresponsive"]),
    ),
    ("fundet bevidstløs på gulvet", Flags(&["unresponsive"])),
    ("han er besvimet", Flags(&["unresponsive"])),
    ("hun klager over ondt i brystet", Flags(&["chest_pain"])),
    ("trykken for brystet siden kl 2", Flags(&["chest_pain"])),
    ("nej men han har brystsmerter", Flags(&["chest_pain"])),
    (
        "han holder sig for brystet og sveder",
        Flags(&["chest_pain"]),
    ),
    (
        "smerter bag brystbenet der stråler ud i armen",
        Flags(&["chest_pain"]),
    ),
    ("hun hænger i mundvigen", Flags(&["stroke"])),
    ("ansigtet er helt skævt i venstre side", Flags(&["stroke"])),
    (
        "han taler sløret og kan ikke løfte armen",
        Flags(&["stroke"]),
    ),
    ("hun snøvler pludselig", Flags(&["stroke"])),
    ("lammet i højre side", Flags(&["stroke"])),
    (
        "kan ikke finde ordene, er det en blodprop?",
        Flags(&["stroke"]),
    ),
    ("det fosser blod fra et sår på benet", Flags(&["bleeding"])),
    ("han kaster blod op", Flags(&["bleeding"])),
    ("sort tjæreagtig afføring og bleg", Flags(&["bleeding"])),
    ("hun bløder kraftigt fra næsen", Flags(&["bleeding"])),
    ("der er blod overalt i sengen", Flags(&["bleeding"])),
    ("han rykker i hele kroppen", Flags(&["seizure"])),
    ("krampeanfald der ikke stopper", Flags(&["seizure"])),
    ("hun har kramper", Flags(&["seizure"])),
    ("trækninger i arme og ben", Flags(&["seizure"])),
    ("ingen brystsmerter, men hun bløder", Flags(&["bleeding"])),
    (
        "hun har det ikke godt og har brystsmerter",
        Flags(&["chest_pain"]),
    ),
    (
        "han er gul og grå og har svært ved at få luft",
        Flags(&["not_breathing"]),
    ),
    (
        "krampede og nu reagerer hun ikke",
        Flags(&["seizure", "unresponsive"]),
    ),
    ("nej", No),
    ("nej, ingen af dem, men hun er forvirret", No),
    ("ingen", No),
    ("nej ingen brystsmerter og hun trækker vejret fint", No),
    ("nej, hun bløder ikke", No),
    ("nej, ingen tegn på blodprop", No),
    ("nej hun har ikke nogen kramper", No),
    ("7", No),
    ("hun har det skidt", Again),
    ("ved ikke helt", Again),
    ("måske", Again),
];

const EN: &[(&str, Want)] = &[
    ("she can't breathe", Flags(&["not_breathing"])),
    ("He is struggling to breathe", Flags(&["not_breathing"])),
    ("gasping for air", Flags(&["not_breathing"])),
    (
        "very short of breath and his lips are blue",
        Flags(&["not_breathing"]),
    ),
    ("she has stopped breathing", Flags(&["not_breathing"])),
    (
        "laboured breathing since midnight",
        Flags(&["not_breathing"]),
    ),
    ("we can't wake her", Flags(&["unresponsive"])),
    ("he is not responding to us", Flags(&["unresponsive"])),
    ("found unconscious on the floor", Flags(&["unresponsive"])),
    ("she collapsed in the bathroom", Flags(&["unresponsive"])),
    ("he passed out", Flags(&["unresponsive"])),
    ("she says her chest hurts", Flags(&["chest_pain"])),
    (
        "pain in her chest going down the arm",
        Flags(&["chest_pain"]),
    ),
    ("no, but he has chest pain", Flags(&["chest_pain"])),
    ("tightness in his chest", Flags(&["chest_pain"])),
    ("clutching his chest and sweaty", Flags(&["chest_pain"])),
    ("her face is drooping on one side", Flags(&["stroke"])),
    ("his speech is slurred", Flags(&["stroke"])),
    ("she can't lift her right arm", Flags(&["stroke"])),
    ("mouth drooping, I think it's a stroke", Flags(&["stroke"])),
    ("weak on one side since 2 am", Flags(&["stroke"])),
    ("cannot find his words", Flags(&["stroke"])),
    ("blood pouring from a cut on his leg", Flags(&["bleeding"])),
    ("she is vomiting blood", Flags(&["bleeding"])),
    ("black tarry stools", Flags(&["bleeding"])),
    ("heavy nose bleed, bleeding a lot", Flags(&["bleeding"])),
    ("coughing up blood", Flags(&["bleeding"])),
    ("he is jerking all over", Flags(&["seizure"])),
    ("she had a fit and is still fitting", Flags(&["seizure"])),
    ("seizures that will not stop", Flags(&["seizure"])),
    ("convulsing", Flags(&["seizure"])),
    ("no chest pain but she is bleeding", Flags(&["bleeding"])),
    ("he isn't well and has chest pain", Flags(&["chest_pain"])),
    (
        "seized and now he's unresponsive",
        Flags(&["seizure", "unresponsive"]),
    ),
    (
        "shaking all over and can't breathe",
        Flags(&["seizure", "not_breathing"]),
    ),
    ("no", No),
    ("no, none of those, but she is confused", No),
    ("none", No),
    ("no chest pain and she is breathing fine", No),
    ("no, she is not bleeding", No),
    ("no, no signs of a stroke", No),
    ("no seizures", No),
    ("7", No),
    ("she's poorly", Again),
    ("not sure", Again),
    ("maybe", Again),
];

fn first_answer(lang: Lang, text: &str) -> (Run, Vec<Effect>) {
    let mut r = Run::new_in(
        vec![resident(
            "r1",
            "12",
            "Karen Test",
            &[DecisionKind::FullTreatment],
        )],
        lang,
    );
    r.say("12");
    assert_eq!(r.state.step, "red_flags");
    let fx = r.say(text);
    (r, fx)
}

fn answered(fx: &[Effect]) -> Option<Vec<String>> {
    fx.iter().find_map(|f| match f {
        Effect::Record(EventKind::RedFlagsAnswered { flags }) => {
            Some(flags.iter().map(|f| f.0.clone()).collect())
        }
        _ => None,
    })
}

fn check(lang: Lang, cases: &[(&str, Want)], options: &str) {
    assert!(cases.len() >= 40, "{} phrasings", cases.len());
    let mut wrong = Vec::new();
    for (text, want) in cases {
        let (r, fx) = first_answer(lang, text);
        let got = answered(&fx);
        let ok = match want {
            Flags(flags) => {
                got.as_ref().is_some_and(|g| {
                    !g.is_empty() && flags.iter().all(|f| g.iter().any(|x| x == f))
                }) && r.pages() == vec![Urgency::Red]
            }
            No => got == Some(vec![]) && r.pages().is_empty(),
            Again => {
                got.is_none()
                    && r.state.step == "red_flags"
                    && r.texts(&fx).contains(options)
                    && r.pages().is_empty()
            }
        };
        if !ok {
            wrong.push(format!("{text:?}: got {got:?}, pages {:?}", r.pages()));
        }
    }
    assert!(wrong.is_empty(), "{lang:?}:\n{}", wrong.join("\n"));
}

#[test]
fn danish_staff_words_for_danger_signs_are_read_at_the_first_answer() {
    // The options are the question again, with its numbered list.
    check(Lang::Da, DA, "Brystsmerter");
}

#[test]
fn english_staff_words_for_danger_signs_are_read_at_the_first_answer() {
    check(Lang::En, EN, "Chest pain");
}

#[test]
fn staff_words_for_consciousness_give_the_level_or_are_asked_again() {
    let cases: &[(&str, Option<C>)] = &[
        ("hun er ikke til at få kontakt med", Some(C::Unresponsive)),
        ("reagerer ikke på tiltale", Some(C::Unresponsive)),
        ("reagerer kun når vi kniber hende", Some(C::Pain)),
        ("reagerer på smerte", Some(C::Pain)),
        ("hun er meget døsig men kan vækkes", Some(C::Voice)),
        ("svær at holde vågen", Some(C::Voice)),
        ("urolig og vil ud af sengen", Some(C::Agitated)),
        (
            "hun er forvirret, ved ikke hvor hun er",
            Some(C::NewConfusion),
        ),
        ("mere forvirret end hun plejer", Some(C::NewConfusion)),
        ("vågen og klar som hun plejer", Some(C::Habitual)),
        ("som vanligt", Some(C::Habitual)),
        ("ikke vågen", None),
        ("she is drowsy but wakes when spoken to", Some(C::Voice)),
        ("only responds to pain", Some(C::Pain)),
        ("not responding at all", Some(C::Unresponsive)),
        ("agitated, lashing out", Some(C::Agitated)),
        ("confused and not herself", Some(C::NewConfusion)),
        ("alert, her usual self", Some(C::Habitual)),
        ("4", Some(C::Voice)),
        ("blå", None),
    ];
    let mut wrong = Vec::new();
    for (text, want) in cases {
        let got = match parse_vital(Param::Consciousness, text) {
            Ok(VitalValue::Consciousness(c)) => Some(c),
            _ => None,
        };
        if got != *want {
            wrong.push(format!("{text:?}: {got:?}, want {want:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_no_with_more_to_say_keeps_the_words_in_the_record() {
    let (_, fx) = first_answer(Lang::Da, "nej, ingen af dem, men hun er forvirret");
    assert_eq!(answered(&fx), Some(vec![]));
}
