//! Reading what night staff type: "38,9", "93 %", "puls 105", "BT 110/70",
//! "ved ikke", "ja", "2 3". Lenient about form, strict about meaning: a
//! value is taken only when it is unambiguous.

use super::Command;
use crate::i18n::Lang;
use crate::vitals::{
    Oxygen, Param, Pulse, RespRate, Spo2, Systolic, TempSite, Temperature, TobsConsciousness,
    VitalError,
};

/// A parsed vital value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VitalValue {
    /// A respiration rate.
    RespRate(RespRate),
    /// An oxygen saturation.
    Spo2(Spo2),
    /// Air or oxygen.
    Oxygen(Oxygen),
    /// A blood pressure: systolic, and the diastolic if given.
    Systolic(Systolic, Option<u16>),
    /// A pulse.
    Pulse(Pulse),
    /// A state of consciousness.
    Consciousness(TobsConsciousness),
    /// A temperature and where it was taken.
    Temp(Temperature, TempSite),
}

/// Normalises input for matching: lower case, single spaces, no trailing punctuation.
pub fn normalise(raw: &str) -> String {
    raw.trim()
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches(['.', '!'])
        .to_string()
}

/// Commands in words that hold whatever the question.
const COMMANDS: [(&str, Command); 16] = [
    ("afbryd", Command::Cancel),
    ("annuller", Command::Cancel),
    ("cancel", Command::Cancel),
    ("stop sagen", Command::Cancel),
    ("hjælp", Command::Help),
    ("help", Command::Help),
    ("?", Command::Help),
    ("gentag", Command::Repeat),
    ("repeat", Command::Repeat),
    ("igen", Command::Repeat),
    ("læge nu", Command::PhysicianNow),
    ("laege nu", Command::PhysicianNow),
    ("ring til lægen", Command::PhysicianNow),
    ("stil mig om til lægen", Command::PhysicianNow),
    ("physician now", Command::PhysicianNow),
    ("doctor now", Command::PhysicianNow),
];

const WRONG_RESIDENT: [&str; 5] = [
    "forkert",
    "forkert beboer",
    "wrong",
    "wrong resident",
    "anden beboer",
];

const NONE: [&str; 4] = ["ingen", "none", "ingen af dem", "nej ingen"];

const SKIP: [&str; 18] = [
    "ved ikke",
    "ved det ikke",
    "vides ikke",
    "ikke målt",
    "ikke målt endnu",
    "kan ikke måles",
    "kunne ikke måles",
    "kan ikke",
    "spring over",
    "spring",
    "skip",
    "don't know",
    "dont know",
    "do not know",
    "not measured",
    "unknown",
    "-",
    "ukendt",
];

/// A staff member's words asking for a new case (a chat's first message).
const OPEN: [&str; 4] = ["akut", "ny sag", "ny", "hjælp"];

/// Staff confirming the physician's advice (read-back).
const CONFIRM: [&str; 9] = [
    "forstået",
    "forstaaet",
    "ok forstået",
    "forstået tak",
    "✅",
    "✔",
    "👍",
    "understood",
    "ok understood",
];

/// Staff starting a re-measurement after the page.
const REMEASURE: [&str; 5] = [
    "ny måling",
    "ny maaling",
    "nye målinger",
    "new measurement",
    "remeasure",
];

/// "forstået", ✅: staff confirm the physician's advice.
pub fn confirms_advice(text: &str) -> bool {
    let t = normalise(text).replace('\u{fe0f}', "");
    CONFIRM.contains(&t.trim_end_matches([',', '.', '!']))
}

/// The words that start a re-measurement, for a channel that offers it by
/// a key (the phone): what the record shows the caller as having said.
pub fn remeasure_words(lang: Lang) -> &'static str {
    match lang {
        Lang::Da => REMEASURE[0],
        Lang::En => REMEASURE[3],
    }
}

/// "ny måling": staff start a re-measurement.
pub fn asks_for_remeasure(text: &str) -> bool {
    REMEASURE.contains(&normalise(text).as_str())
}

const YES: [&str; 6] = ["ja", "j", "yes", "y", "jo", "jep"];
const NO: [&str; 4] = ["nej", "n", "no", "nope"];

/// A command in words that holds whatever the question ("afbryd", "hjælp",
/// "gentag", "læge nu"). Skipping and "wrong resident" are read by the
/// questions that take them ([`is_skip`], [`is_wrong_resident`]): elsewhere
/// "ved ikke" may be a name, and "forkert" an answer.
pub fn command(text: &str) -> Option<Command> {
    let t = normalise(text);
    COMMANDS.iter().find(|(w, _)| *w == t).map(|(_, c)| *c)
}

/// "forkert", "wrong resident": the resident found is not the one meant.
pub fn is_wrong_resident(text: &str) -> bool {
    WRONG_RESIDENT.contains(&normalise(text).as_str())
}

/// "ingen", "none": none of the danger signs.
pub fn is_none(text: &str) -> bool {
    NONE.contains(&normalise(text).as_str())
}

/// "ved ikke", "spring over", "skip", ...: the caller has no value.
pub fn is_skip(text: &str) -> bool {
    let t = normalise(text);
    SKIP.contains(&t.as_str()) || t.starts_with("ved ikke") || t.starts_with("spring over")
}

/// Whether a message is only a request for a new case ("akut", "ny sag").
pub fn asks_for_a_case(text: &str) -> bool {
    OPEN.contains(&normalise(text).as_str())
}

/// Yes or no in Danish or English.
pub fn yes_no(text: &str) -> Option<bool> {
    let t = normalise(text);
    let first = t.split([' ', ',']).next().unwrap_or("");
    if YES.contains(&first) {
        Some(true)
    } else if NO.contains(&first) {
        Some(false)
    } else {
        None
    }
}

/// Every word and phrase this parser reads, so that a check can prove no
/// channel reads words of its own.
pub fn vocabulary() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = COMMANDS.iter().map(|(w, _)| *w).collect();
    v.extend(WRONG_RESIDENT);
    v.extend(NONE);
    v.extend(SKIP);
    v.extend(OPEN);
    v.extend(YES);
    v.extend(NO);
    v.extend(CONFIRM);
    v.extend(REMEASURE);
    v.extend(LABELS.iter().map(|(w, _)| *w));
    v.extend(SITES.iter().map(|(w, _)| *w));
    v
}

/// The numbers in a text, in order: "1 3", "1, 3", "1 og 3" -> [1, 3].
pub fn numbers(text: &str) -> Vec<u32> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// Whether the text is only numbers and separators ("1", "2 3", "1,3", "1 og 3").
pub fn only_numbers(text: &str) -> bool {
    let t = normalise(text);
    !t.is_empty()
        && t.split(|c: char| c.is_whitespace() || c == ',' || c == '+' || c == '&')
            .filter(|w| !w.is_empty())
            .all(|w| w.chars().all(|c| c.is_ascii_digit()) || w == "og" || w == "and")
}

fn tokens(text: &str) -> Vec<String> {
    // "puls 105, BT 110/70" -> ["puls", "105", "bt", "110/70"]. A comma between
    // digits is a Danish decimal comma and stays; other commas separate.
    let lower = text.to_lowercase();
    let chars: Vec<char> = lower.chars().collect();
    let mut cleaned = String::with_capacity(lower.len());
    for (i, c) in chars.iter().enumerate() {
        let decimal = (*c == ',' || *c == '.')
            && i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
        if decimal || !matches!(c, ',' | ';' | ':' | '=' | '(' | ')') {
            cleaned.push(*c);
        } else {
            cleaned.push(' ');
        }
    }
    cleaned
        .split_whitespace()
        .map(|w| w.trim_end_matches('.').to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Labels of vital signs in a message ("puls 105, BT 110/70").
const LABELS: [(&str, Param); 34] = [
    ("rf", Param::RespRate),
    ("rr", Param::RespRate),
    ("resp", Param::RespRate),
    ("respiration", Param::RespRate),
    ("respirationsfrekvens", Param::RespRate),
    ("vejrtrækning", Param::RespRate),
    ("vejrtrækninger", Param::RespRate),
    ("af", Param::RespRate),
    ("spo2", Param::Spo2),
    ("sat", Param::Spo2),
    ("saturation", Param::Spo2),
    ("iltmætning", Param::Spo2),
    ("mætning", Param::Spo2),
    ("saturering", Param::Spo2),
    ("sp02", Param::Spo2),
    ("bt", Param::Systolic),
    ("bp", Param::Systolic),
    ("blodtryk", Param::Systolic),
    ("blodtrykket", Param::Systolic),
    ("puls", Param::Pulse),
    ("pulsen", Param::Pulse),
    ("pulse", Param::Pulse),
    ("hr", Param::Pulse),
    ("p", Param::Pulse),
    ("temp", Param::Temp),
    ("temperatur", Param::Temp),
    ("temperaturen", Param::Temp),
    ("t", Param::Temp),
    ("tp", Param::Temp),
    ("ilt", Param::Oxygen),
    ("oxygen", Param::Oxygen),
    ("o2", Param::Oxygen),
    ("bevidsthed", Param::Consciousness),
    ("acvpu", Param::Consciousness),
];

fn label(word: &str) -> Option<Param> {
    LABELS.iter().find(|(w, _)| *w == word).map(|(_, p)| *p)
}

fn is_number_token(w: &str) -> bool {
    let w = w.trim_end_matches(['%', '°', 'c']);
    !w.is_empty() && w.chars().next().is_some_and(|c| c.is_ascii_digit())
}

/// Where a temperature was taken.
const SITES: [(&str, TempSite); 19] = [
    ("armhule", TempSite::Axillary),
    ("armhulen", TempSite::Axillary),
    ("aksil", TempSite::Axillary),
    ("aksillært", TempSite::Axillary),
    ("axillary", TempSite::Axillary),
    ("armpit", TempSite::Axillary),
    ("mund", TempSite::Oral),
    ("munden", TempSite::Oral),
    ("oral", TempSite::Oral),
    ("oralt", TempSite::Oral),
    ("mouth", TempSite::Oral),
    ("øre", TempSite::Ear),
    ("øret", TempSite::Ear),
    ("ear", TempSite::Ear),
    ("tympanisk", TempSite::Ear),
    ("rektal", TempSite::Rectal),
    ("rektalt", TempSite::Rectal),
    ("rectal", TempSite::Rectal),
    ("rectally", TempSite::Rectal),
];

fn site_word(w: &str) -> Option<TempSite> {
    SITES.iter().find(|(s, _)| *s == w).map(|(_, t)| *t)
}

/// Values given with labels, e.g. "puls 105, BT 110/70, temp 38,9".
/// Returns each labelled parameter with its parse result. Empty when the text
/// has no label followed by a value.
pub fn labelled(text: &str) -> Vec<(Param, Result<VitalValue, VitalError>)> {
    let toks = tokens(text);
    let mut out: Vec<(Param, Result<VitalValue, VitalError>)> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let Some(p) = label(&toks[i]) else {
            i += 1;
            continue;
        };
        let Some(value) = toks.get(i + 1) else { break };
        let takes = match p {
            Param::Oxygen => yes_no(value).is_some() || is_number_token(value),
            _ => is_number_token(value),
        };
        if !takes || out.iter().any(|(q, _)| *q == p) {
            i += 1;
            continue;
        }
        let mut rest = value.clone();
        if let Some(next) = toks.get(i + 2) {
            if next == "%"
                || next == "°c"
                || next == "°"
                || site_word(next).is_some()
                || next.starts_with('/')
            {
                rest = format!("{rest} {next}");
                i += 1;
            }
        }
        let parsed = match p {
            Param::Oxygen => Ok(VitalValue::Oxygen(if yes_no(value) == Some(false) {
                Oxygen::Air
            } else {
                Oxygen::Oxygen
            })),
            _ => parse_vital(p, &rest),
        };
        out.push((p, parsed));
        i += 2;
    }
    out
}

/// Parses an unlabelled answer for one parameter.
pub fn parse_vital(p: Param, text: &str) -> Result<VitalValue, VitalError> {
    let toks = tokens(text);
    let nums: Vec<&String> = toks.iter().filter(|w| is_number_token(w)).collect();
    let one_number = |field: &'static str, expected: &'static str| -> Result<String, VitalError> {
        match nums.as_slice() {
            [n] => Ok(n.trim_end_matches(['%', '°', 'c']).to_string()),
            _ => Err(VitalError::Unparseable {
                field,
                value: text.trim().chars().take(20).collect(),
                expected,
            }),
        }
    };
    match p {
        Param::RespRate => Ok(VitalValue::RespRate(RespRate::parse(&one_number(
            "resp_rate",
            "a number",
        )?)?)),
        Param::Spo2 => Ok(VitalValue::Spo2(Spo2::parse(&one_number(
            "spo2", "a number",
        )?)?)),
        Param::Pulse => Ok(VitalValue::Pulse(Pulse::parse(&one_number(
            "pulse", "a number",
        )?)?)),
        Param::Systolic => {
            // "110/70", "110 / 70", "110".
            let joined: String = toks
                .iter()
                .filter(|w| is_number_token(w) || w.starts_with('/'))
                .cloned()
                .collect::<Vec<_>>()
                .join("");
            let (sys, dia) = match joined.split_once('/') {
                Some((s, d)) => (s.to_string(), d.parse::<u16>().ok()),
                None => (one_number("systolic", "mmHg, e.g. 120/80")?, None),
            };
            Ok(VitalValue::Systolic(Systolic::parse(&sys)?, dia))
        }
        Param::Temp => {
            let n = one_number("temp", "degrees, e.g. 38,9")?;
            let site = toks.iter().find_map(|w| site_word(w)).unwrap_or_default();
            Ok(VitalValue::Temp(Temperature::parse(&n)?, site))
        }
        Param::Oxygen => match yes_no(text) {
            Some(true) => Ok(VitalValue::Oxygen(Oxygen::Oxygen)),
            Some(false) => Ok(VitalValue::Oxygen(Oxygen::Air)),
            None => {
                let t = normalise(text);
                if t.contains("ingen ilt") || t.contains("uden ilt") || t == "luft" || t == "air" {
                    Ok(VitalValue::Oxygen(Oxygen::Air))
                } else if t.contains("liter")
                    || t.contains(" l")
                    || t.contains("l/min")
                    || t.starts_with("på ilt")
                {
                    Ok(VitalValue::Oxygen(Oxygen::Oxygen))
                } else {
                    Oxygen::parse(&t).map(VitalValue::Oxygen)
                }
            }
        },
        Param::Consciousness => parse_consciousness(text).map(VitalValue::Consciousness),
    }
}

/// The consciousness choices, in the order they are offered.
pub const CONSCIOUSNESS_CHOICES: [TobsConsciousness; 6] = [
    TobsConsciousness::Habitual,
    TobsConsciousness::NewConfusion,
    TobsConsciousness::Agitated,
    TobsConsciousness::Voice,
    TobsConsciousness::Pain,
    TobsConsciousness::Unresponsive,
];

fn parse_consciousness(text: &str) -> Result<TobsConsciousness, VitalError> {
    let t = normalise(text);
    if only_numbers(&t) {
        if let [n] = numbers(&t).as_slice() {
            if (1..=6).contains(n) {
                return Ok(CONSCIOUSNESS_CHOICES[(*n - 1) as usize]);
            }
        }
    }
    // The words are staff's own (prompts' lexicon), tried Danish first; a
    // call in either language may mix them.
    let lexicons = super::lexicon::Lexicons::builtin().ok();
    [Lang::Da, Lang::En]
        .into_iter()
        .filter_map(|l| lexicons.and_then(|x| x.get(l)))
        .find_map(|x| x.consciousness(&t))
        .ok_or(VitalError::Unparseable {
            field: "consciousness",
            value: t.chars().take(20).collect(),
            expected: "a number from 1 to 6",
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn every_command_reads_back_from_the_words_the_record_shows() {
        for lang in [Lang::Da, Lang::En] {
            for c in [
                Command::PhysicianNow,
                Command::Repeat,
                Command::Help,
                Command::Cancel,
            ] {
                assert_eq!(command(c.words(lang)), Some(c), "{c:?} {lang:?}");
            }
            assert!(is_skip(Command::Skip.words(lang)));
            assert!(is_wrong_resident(Command::WrongResident.words(lang)));
            assert_eq!(command(Command::Skip.words(lang)), None);
        }
        assert_eq!(command("Læge nu!"), Some(Command::PhysicianNow));
        assert_eq!(command("ved ikke"), None);
    }

    #[test]
    fn danish_numbers_and_units() {
        assert_eq!(
            parse_vital(Param::Temp, "38,9"),
            Ok(VitalValue::Temp(
                Temperature::parse("38.9").expect("t"),
                TempSite::Rectal
            ))
        );
        assert_eq!(
            parse_vital(Param::Spo2, "93 %"),
            Ok(VitalValue::Spo2(Spo2::new(93).expect("s")))
        );
        assert_eq!(
            parse_vital(Param::Spo2, "93%"),
            Ok(VitalValue::Spo2(Spo2::new(93).expect("s")))
        );
        assert_eq!(
            parse_vital(Param::Pulse, "puls 105"),
            Ok(VitalValue::Pulse(Pulse::new(105).expect("p")))
        );
        assert_eq!(
            parse_vital(Param::Systolic, "BT 110/70"),
            Ok(VitalValue::Systolic(
                Systolic::new(110).expect("s"),
                Some(70)
            ))
        );
        assert_eq!(
            parse_vital(Param::Temp, "37,8 armhule"),
            Ok(VitalValue::Temp(
                Temperature::parse("37,8").expect("t"),
                TempSite::Axillary
            ))
        );
        assert!(parse_vital(Param::Pulse, "hurtig").is_err());
        assert!(parse_vital(Param::Pulse, "90 eller 100").is_err());
        assert!(parse_vital(Param::Pulse, "1050").is_err());
    }

    #[test]
    fn several_labelled_values_in_one_message() {
        let v = labelled("puls 105, BT 110/70, temp 38,9");
        let params: Vec<Param> = v.iter().map(|(p, _)| *p).collect();
        assert_eq!(params, vec![Param::Pulse, Param::Systolic, Param::Temp]);
        assert!(v.iter().all(|(_, r)| r.is_ok()));
        assert_eq!(
            v[2].1,
            Ok(VitalValue::Temp(
                Temperature::parse("38,9").expect("t"),
                TempSite::Rectal
            ))
        );
        assert!(labelled("38,9").is_empty());
        assert!(labelled("hun har det skidt").is_empty());
        let bad = labelled("puls 1050");
        assert!(bad[0].1.is_err());
    }

    #[test]
    fn skip_words() {
        for s in [
            "ved ikke",
            "Ved ikke.",
            "spring over",
            "skip",
            "ikke målt",
            "-",
        ] {
            assert!(is_skip(s), "{s}");
        }
        assert!(!is_skip("38,9"));
    }

    #[test]
    fn choices_and_yes_no() {
        assert_eq!(numbers("2 og 3"), vec![2, 3]);
        assert!(only_numbers("1, 3"));
        assert!(!only_numbers("1 bryst"));
        assert_eq!(yes_no("Ja, 2 liter"), Some(true));
        assert_eq!(yes_no("nej"), Some(false));
        assert_eq!(
            parse_vital(Param::Oxygen, "2 liter"),
            Ok(VitalValue::Oxygen(Oxygen::Oxygen))
        );
        assert_eq!(
            parse_vital(Param::Consciousness, "2"),
            Ok(VitalValue::Consciousness(TobsConsciousness::NewConfusion))
        );
        assert_eq!(
            parse_vital(Param::Consciousness, "reagerer ikke"),
            Ok(VitalValue::Consciousness(TobsConsciousness::Unresponsive))
        );
        assert!(parse_vital(Param::Consciousness, "7").is_err());
    }
}
