//! Parsing a checklist definition (TOML from `akutlinje-prompts`) into a
//! checked structure: every step reachable by id, every branch pointing at a
//! real step, every text present in every language.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::lexicon::{Lexicons, Phrase};
use super::{Command, FlagId};
use crate::i18n::{Lang, Localizer};
use crate::vitals::Param;

/// Why a definition was refused (at start-up, never at 3 a.m.).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum DefinitionError {
    /// The file is not TOML, or not the shape of a checklist.
    #[error("checklist is not valid TOML: {0}")]
    Toml(String),
    /// A step that is wrong.
    #[error("step {step}: {problem}")]
    Step {
        /// The step.
        step: String,
        /// What is wrong.
        problem: String,
    },
    /// The start step does not exist.
    #[error("start step {0} does not exist")]
    NoStart(String),
    /// A message id without a text in a language.
    #[error("text {id} is missing in language {lang}")]
    MissingText {
        /// The message id.
        id: String,
        /// The language.
        lang: &'static str,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChecklist {
    id: String,
    #[allow(dead_code)]
    version: u32,
    start: String,
    step: Vec<RawStep>,
    #[serde(default)]
    flags: BTreeMap<String, RawFlag>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    id: String,
    kind: String,
    ask: Option<String>,
    say: Option<String>,
    next: Option<String>,
    on_flag: Option<String>,
    flags: Option<Vec<String>>,
    vital: Option<String>,
    field: Option<String>,
    skippable: Option<bool>,
    #[serde(default)]
    keys: BTreeMap<String, Command>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlag {
    label: String,
    #[serde(default)]
    words: HashMap<String, Vec<String>>,
}

/// Which free-text answer a step collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextField {
    /// The situation in the caller's words (ISBAR S).
    Situation,
    /// The caller's own concern (ISBAR A).
    Concern,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepKind {
    /// Asks the caller's name (skipped when the channel knows the person).
    CallerName {
        /// The question's message id.
        ask: String,
    },
    /// Asks which resident (room or name).
    Resident {
        /// The question's message id.
        ask: String,
    },
    /// Asks for the danger signs.
    RedFlags {
        /// The question's message id.
        ask: String,
        /// The signs offered.
        flags: Vec<FlagId>,
        /// The step taken when any is present.
        on_flag: String,
    },
    /// Says something and moves on.
    Say {
        /// The message id.
        say: String,
    },
    /// Asks one vital sign.
    Vital {
        /// Which one.
        param: Param,
        /// The question's message id.
        ask: String,
    },
    /// Asks for words (the situation, the concern).
    FreeText {
        /// Which field of the case they fill.
        field: TextField,
        /// The question's message id.
        ask: String,
        /// Whether the caller may skip it.
        skippable: bool,
    },
    /// Assesses the urgency, composes the ISBAR and pages.
    Summary,
}

/// One step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The step's id.
    pub id: String,
    /// What it does.
    pub kind: StepKind,
    /// The step after this one; `None` only for the summary.
    pub next: Option<String>,
    /// Single keys that give a command on this step's question (a keypad's
    /// shortcuts, e.g. 9 for "not this resident" right after the card).
    pub keys: Vec<(char, Command)>,
}

/// A danger sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// The sign's id.
    pub id: FlagId,
    /// Message id of its label.
    pub label: String,
    /// The phrases that name it per language: the checklist's own `words`
    /// and the built-in lexicon's (`akutlinje-prompts`, `lexicon/`).
    phrases: HashMap<Lang, Vec<Phrase>>,
}

impl Flag {
    /// Whether `text` names this sign in `lang`, not negated in its clause
    /// ("ingen brystsmerter", "hun bløder ikke"); the rules are the lexicon's.
    pub fn mentioned_in(&self, lang: Lang, text: &str) -> bool {
        let Some(ps) = self.phrases.get(&lang) else {
            return false;
        };
        Lexicons::builtin()
            .ok()
            .and_then(|all| all.get(lang))
            .is_some_and(|x| x.any_of(ps, text))
    }
}

/// A checked checklist definition.
#[derive(Debug, Clone)]
pub struct Checklist {
    /// The checklist's id.
    pub id: String,
    /// The first step.
    pub start: String,
    steps: Vec<Step>,
    index: HashMap<String, usize>,
    flags: Vec<Flag>,
}

impl Checklist {
    /// The acute checklist from `akutlinje-prompts`, checked against the built-in texts.
    pub fn builtin_acute(loc: &Localizer) -> Result<Checklist, DefinitionError> {
        let c = Checklist::parse(akutlinje_prompts::ACUTE_CHECKLIST)?;
        c.check_texts(loc)?;
        Ok(c)
    }

    /// Parses and checks the structure of a definition.
    pub fn parse(toml_src: &str) -> Result<Checklist, DefinitionError> {
        let raw: RawChecklist =
            toml::from_str(toml_src).map_err(|e| DefinitionError::Toml(e.to_string()))?;
        let lexicons = Lexicons::builtin()?;
        let mut flags = Vec::new();
        for (id, f) in raw.flags {
            let mut phrases: HashMap<Lang, Vec<Phrase>> = HashMap::new();
            for (tag, ws) in f.words {
                let lang = Lang::parse(&tag).ok_or_else(|| DefinitionError::Step {
                    step: format!("flags.{id}"),
                    problem: format!("unknown language {tag}"),
                })?;
                phrases
                    .entry(lang)
                    .or_default()
                    .extend(ws.iter().filter_map(|w| Phrase::parse(w)));
            }
            for (lang, x) in lexicons.all() {
                phrases
                    .entry(lang)
                    .or_default()
                    .extend(x.flag_phrases(&id).iter().cloned());
            }
            flags.push(Flag {
                id: FlagId(id),
                label: f.label,
                phrases,
            });
        }
        let mut steps = Vec::new();
        for s in raw.step {
            let err = |problem: &str| DefinitionError::Step {
                step: s.id.clone(),
                problem: problem.into(),
            };
            let ask = || s.ask.clone().ok_or_else(|| err("needs `ask`"));
            let kind = match s.kind.as_str() {
                "caller_name" => StepKind::CallerName { ask: ask()? },
                "resident" => StepKind::Resident { ask: ask()? },
                "red_flags" => {
                    let ids = s.flags.clone().ok_or_else(|| err("needs `flags`"))?;
                    let mut fl = Vec::new();
                    for id in ids {
                        if !flags.iter().any(|f| f.id.0 == id) {
                            return Err(err(&format!("flag {id} is not defined under [flags]")));
                        }
                        fl.push(FlagId(id));
                    }
                    StepKind::RedFlags {
                        ask: ask()?,
                        flags: fl,
                        on_flag: s.on_flag.clone().ok_or_else(|| err("needs `on_flag`"))?,
                    }
                }
                "say" => StepKind::Say {
                    say: s.say.clone().ok_or_else(|| err("needs `say`"))?,
                },
                "vital" => {
                    let v = s.vital.clone().ok_or_else(|| err("needs `vital`"))?;
                    let param =
                        Param::from_field(&v).ok_or_else(|| err(&format!("unknown vital {v}")))?;
                    StepKind::Vital { param, ask: ask()? }
                }
                "free_text" => {
                    let field = match s.field.as_deref() {
                        Some("situation") => TextField::Situation,
                        Some("concern") => TextField::Concern,
                        _ => return Err(err("`field` must be situation or concern")),
                    };
                    StepKind::FreeText {
                        field,
                        ask: ask()?,
                        skippable: s.skippable.unwrap_or(true),
                    }
                }
                "summary" => StepKind::Summary,
                other => return Err(err(&format!("unknown kind {other}"))),
            };
            if s.next.is_none() && kind != StepKind::Summary {
                return Err(err("needs `next`"));
            }
            let mut keys = Vec::new();
            for (key, command) in &s.keys {
                let choices = match &kind {
                    StepKind::RedFlags { flags, .. } => flags.len() as u32 + 1,
                    StepKind::Vital {
                        param: Param::Consciousness,
                        ..
                    } => super::parse::CONSCIOUSNESS_CHOICES.len() as u32,
                    _ => 0,
                };
                match key.chars().collect::<Vec<_>>().as_slice() {
                    [k] if k.to_digit(10).is_some_and(|d| d > choices) => keys.push((*k, *command)),
                    _ => {
                        return Err(err(&format!(
                            "key {key:?} must be one digit that is not a choice (1-{choices})"
                        )))
                    }
                }
            }
            steps.push(Step {
                id: s.id,
                kind,
                next: s.next,
                keys,
            });
        }
        let mut index = HashMap::new();
        for (i, s) in steps.iter().enumerate() {
            if index.insert(s.id.clone(), i).is_some() {
                return Err(DefinitionError::Step {
                    step: s.id.clone(),
                    problem: "defined twice".into(),
                });
            }
        }
        for s in &steps {
            let targets = s.next.iter().chain(match &s.kind {
                StepKind::RedFlags { on_flag, .. } => Some(on_flag),
                _ => None,
            });
            for t in targets {
                if !index.contains_key(t) {
                    return Err(DefinitionError::Step {
                        step: s.id.clone(),
                        problem: format!("goes to unknown step {t}"),
                    });
                }
            }
        }
        if !index.contains_key(&raw.start) {
            return Err(DefinitionError::NoStart(raw.start));
        }
        Ok(Checklist {
            id: raw.id,
            start: raw.start,
            steps,
            index,
            flags,
        })
    }

    /// Every text the definition names: questions, sayings, flag labels.
    pub fn message_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::new();
        for s in &self.steps {
            match &s.kind {
                StepKind::CallerName { ask }
                | StepKind::Resident { ask }
                | StepKind::RedFlags { ask, .. }
                | StepKind::Vital { ask, .. }
                | StepKind::FreeText { ask, .. } => ids.push(ask),
                StepKind::Say { say } => ids.push(say),
                StepKind::Summary => {}
            }
        }
        ids.extend(self.flags.iter().map(|f| f.label.as_str()));
        ids
    }

    /// Every phrase the definition lets a caller name a danger sign by.
    pub fn flag_words(&self) -> Vec<String> {
        self.flags
            .iter()
            .flat_map(|f| f.phrases.values().flatten().map(Phrase::words))
            .collect()
    }

    /// Checks that every text the definition names exists in every language.
    pub fn check_texts(&self, loc: &Localizer) -> Result<(), DefinitionError> {
        let ids = self.message_ids();
        for lang in [Lang::Da, Lang::En] {
            for id in &ids {
                if !loc.has(lang, id) {
                    return Err(DefinitionError::MissingText {
                        id: (*id).to_string(),
                        lang: lang.tag(),
                    });
                }
            }
        }
        Ok(())
    }

    /// A step by id.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.index.get(id).map(|i| &self.steps[*i])
    }

    /// The first step of a kind.
    pub fn first_of(&self, pred: impl Fn(&StepKind) -> bool) -> Option<&Step> {
        self.steps.iter().find(|s| pred(&s.kind))
    }

    /// A flag by id.
    pub fn flag(&self, id: &FlagId) -> Option<&Flag> {
        self.flags.iter().find(|f| &f.id == id)
    }

    /// All steps, in file order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_checklist_is_complete() {
        let loc = Localizer::builtin().expect("texts");
        let c = Checklist::builtin_acute(&loc).expect("checklist");
        assert!(c.step("summary").is_some());
        assert_eq!(
            c.steps()
                .iter()
                .filter(|s| matches!(s.kind, StepKind::Vital { .. }))
                .count(),
            7
        );
    }

    #[test]
    fn broken_branches_are_refused() {
        let src = r#"id = "x"
version = 1
start = "a"
[[step]]
id = "a"
kind = "say"
say = "help"
next = "nowhere"
"#;
        let e = Checklist::parse(src).expect_err("must fail");
        assert_eq!(
            e,
            DefinitionError::Step {
                step: "a".into(),
                problem: "goes to unknown step nowhere".into()
            }
        );
    }

    #[test]
    fn missing_texts_are_refused() {
        let loc = Localizer::builtin().expect("texts");
        let src = r#"id = "x"
version = 1
start = "a"
[[step]]
id = "a"
kind = "say"
say = "no-such-text"
next = "b"
[[step]]
id = "b"
kind = "summary"
"#;
        let c = Checklist::parse(src).expect("structure is fine");
        assert!(matches!(
            c.check_texts(&loc),
            Err(DefinitionError::MissingText { .. })
        ));
    }
}
