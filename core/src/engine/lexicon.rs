//! Staff's own words: how the danger-sign and consciousness questions read a
//! sentence such as "hun har svært ved at trække vejret" or "er ikke til at få
//! kontakt med".
//!
//! The words are data (`akutlinje-prompts`, `lexicon/<lang>.toml`); this
//! module owns only the matching rules, documented at the top of
//! `lexicon/da.toml`: phrases of words and stems in order with small gaps,
//! and negation within a clause. The rules lean towards a danger sign: a
//! gap never swallows a negation ("reagerer ikke på tiltale" is not
//! "reagerer på tiltale"), and a negation reaches a phrase only across
//! filler words ("hun har det ikke godt, har brystsmerter" is chest pain).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use super::DefinitionError;
use crate::i18n::Lang;
use crate::vitals::TobsConsciousness;

/// One word of a phrase.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pat {
    Word(String),
    Stem(String),
}

impl Pat {
    fn matches(&self, token: &str) -> bool {
        match self {
            Pat::Word(w) => w == token,
            Pat::Stem(s) => token.starts_with(s.as_str()),
        }
    }
}

/// A phrase from the lexicon, ready to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    pats: Vec<Pat>,
    source: String,
}

impl Phrase {
    /// Parses "svær* ved at trække vejret"; `None` for an empty phrase or one
    /// with a lone `*`.
    pub fn parse(source: &str) -> Option<Phrase> {
        let pats: Vec<Pat> = tokens(source)
            .into_iter()
            .filter_map(|t| match t {
                Token::Word(w) => Some(w),
                Token::Break => None,
            })
            .map(|w| match w.strip_suffix('*') {
                Some(stem) => Pat::Stem(stem.to_string()),
                None => Pat::Word(w),
            })
            .collect();
        // A lone `*` would match any word; the gap already allows some.
        if pats.iter().any(|p| *p == Pat::Stem(String::new())) {
            return None;
        }
        (!pats.is_empty()).then(|| Phrase {
            pats,
            source: source.trim().to_lowercase(),
        })
    }

    /// The phrase as written, without stem marks.
    pub fn words(&self) -> String {
        self.source.replace('*', "")
    }
}

/// A word of the caller's text, or the end of a clause.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Break,
}

/// Lower-cased words; punctuation ends a clause. A `*` stays on a word so a
/// lexicon phrase can be read by the same function.
fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.to_lowercase().chars() {
        let c = if c == '’' { '\'' } else { c };
        if c.is_alphanumeric() || c == '\'' || c == '*' {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            out.push(Token::Word(std::mem::take(&mut word)));
        }
        if matches!(c, ',' | '.' | ';' | ':' | '!' | '?' | '(' | ')' | '–' | '-') {
            out.push(Token::Break);
        }
    }
    if !word.is_empty() {
        out.push(Token::Word(word));
    }
    out
}

/// The words of one language.
#[derive(Debug, Clone)]
pub struct Lexicon {
    gap: usize,
    negations: Vec<String>,
    fillers: Vec<String>,
    breaks: Vec<String>,
    flags: HashMap<String, Vec<Phrase>>,
    consciousness: Vec<(TobsConsciousness, Vec<Phrase>)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLexicon {
    gap: usize,
    negations: Vec<String>,
    fillers: Vec<String>,
    clause_breaks: Vec<String>,
    flags: HashMap<String, Vec<String>>,
    consciousness: Vec<RawLevel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLevel {
    level: String,
    phrases: Vec<String>,
}

/// A caller's text split into clauses of words.
struct Text {
    words: Vec<String>,
    /// The clause each word belongs to.
    clause: Vec<usize>,
}

impl Lexicon {
    /// Parses one language's lexicon.
    pub fn parse(tag: &str, src: &str) -> Result<Lexicon, DefinitionError> {
        let bad = |problem: String| DefinitionError::Step {
            step: format!("lexicon/{tag}"),
            problem,
        };
        let raw: RawLexicon = toml::from_str(src).map_err(|e| bad(e.to_string()))?;
        let phrases = |ws: &[String]| -> Result<Vec<Phrase>, DefinitionError> {
            ws.iter()
                .map(|w| {
                    Phrase::parse(w).ok_or_else(|| bad(format!("{w:?} is empty or has a lone *")))
                })
                .collect()
        };
        let mut flags = HashMap::new();
        for (id, ws) in &raw.flags {
            flags.insert(id.clone(), phrases(ws)?);
        }
        let mut consciousness = Vec::new();
        for l in &raw.consciousness {
            let level = TobsConsciousness::parse(&l.level)
                .map_err(|_| bad(format!("unknown consciousness level {}", l.level)))?;
            consciousness.push((level, phrases(&l.phrases)?));
        }
        let lower = |v: Vec<String>| v.into_iter().map(|w| w.to_lowercase()).collect();
        Ok(Lexicon {
            gap: raw.gap,
            negations: lower(raw.negations),
            fillers: lower(raw.fillers),
            breaks: lower(raw.clause_breaks),
            flags,
            consciousness,
        })
    }

    fn text(&self, raw: &str) -> Text {
        let mut words = Vec::new();
        let mut clause = Vec::new();
        let mut n = 0;
        for t in tokens(raw) {
            match t {
                Token::Break => n += 1,
                Token::Word(w) if self.breaks.contains(&w) => n += 1,
                Token::Word(w) => {
                    words.push(w);
                    clause.push(n);
                }
            }
        }
        Text { words, clause }
    }

    fn is_negation(&self, w: &str) -> bool {
        self.negations.iter().any(|n| n == w)
    }

    /// Where `p` occurs in `t` not negated, if anywhere.
    fn occurs(&self, p: &Phrase, t: &Text) -> bool {
        (0..t.words.len()).any(|start| {
            self.ends_at(p, t, start)
                .is_some_and(|end| !self.negated(t, start, end))
        })
    }

    /// The index of the phrase's last word when it starts at `start`.
    fn ends_at(&self, p: &Phrase, t: &Text, start: usize) -> Option<usize> {
        let (first, rest) = p.pats.split_first()?;
        if !first.matches(&t.words[start]) {
            return None;
        }
        let mut at = start;
        for pat in rest {
            let mut found = None;
            for j in at + 1..=(at + 1 + self.gap).min(t.words.len().saturating_sub(1)) {
                if pat.matches(&t.words[j]) {
                    found = Some(j);
                    break;
                }
                // A gap never swallows a negation or crosses a clause.
                if self.is_negation(&t.words[j]) || t.clause[j] != t.clause[start] {
                    break;
                }
            }
            at = found?;
        }
        Some(at)
    }

    /// A negation right before (across fillers only) or right after, in the clause.
    fn negated(&self, t: &Text, start: usize, end: usize) -> bool {
        let clause = t.clause[start];
        let mut i = start;
        while i > 0 && t.clause[i - 1] == clause {
            i -= 1;
            let w = &t.words[i];
            if self.is_negation(w) {
                return true;
            }
            if !self.fillers.contains(w) {
                break;
            }
        }
        t.words
            .get(end + 1)
            .is_some_and(|w| t.clause[end + 1] == clause && self.is_negation(w))
    }

    /// Whether `text` names the danger sign `flag` (and not negated).
    pub fn names_flag(&self, flag: &str, text: &str) -> bool {
        let Some(ps) = self.flags.get(flag) else {
            return false;
        };
        self.any_of(ps, text)
    }

    /// Whether one of `phrases` occurs in `text`, not negated.
    pub fn any_of(&self, phrases: &[Phrase], text: &str) -> bool {
        let t = self.text(text);
        phrases.iter().any(|p| self.occurs(p, &t))
    }

    /// The state of consciousness `text` describes: the first level in the
    /// lexicon's order with a phrase in it.
    pub fn consciousness(&self, text: &str) -> Option<TobsConsciousness> {
        let t = self.text(text);
        self.consciousness
            .iter()
            .find(|(_, ps)| ps.iter().any(|p| self.occurs(p, &t)))
            .map(|(level, _)| *level)
    }

    /// The phrases for a danger sign.
    pub fn flag_phrases(&self, flag: &str) -> &[Phrase] {
        self.flags.get(flag).map(Vec::as_slice).unwrap_or_default()
    }

    /// The danger signs this lexicon has words for.
    pub fn flag_ids(&self) -> impl Iterator<Item = &str> {
        self.flags.keys().map(String::as_str)
    }

    /// Every phrase, as written (for the check that adapters hold none).
    pub fn all_words(&self) -> impl Iterator<Item = String> + '_ {
        self.flags
            .values()
            .flatten()
            .chain(self.consciousness.iter().flat_map(|(_, ps)| ps))
            .map(Phrase::words)
    }
}

/// The lexicons of every language, from `akutlinje-prompts`.
#[derive(Debug, Clone)]
pub struct Lexicons(HashMap<Lang, Lexicon>);

impl Lexicons {
    /// The built-in lexicons, parsed once. An error here is an error in the
    /// shipped data; `Checklist::builtin_acute` reports it at start-up.
    pub fn builtin() -> Result<&'static Lexicons, DefinitionError> {
        static BUILTIN: OnceLock<Result<Lexicons, DefinitionError>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                let mut m = HashMap::new();
                for (tag, src) in akutlinje_prompts::LEXICONS {
                    let lang = Lang::parse(tag).ok_or_else(|| DefinitionError::Step {
                        step: format!("lexicon/{tag}"),
                        problem: "unknown language".into(),
                    })?;
                    m.insert(lang, Lexicon::parse(tag, src)?);
                }
                Ok(Lexicons(m))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// One language's lexicon.
    pub fn get(&self, lang: Lang) -> Option<&Lexicon> {
        self.0.get(&lang)
    }

    /// Every language's lexicon.
    pub fn all(&self) -> impl Iterator<Item = (Lang, &Lexicon)> {
        self.0.iter().map(|(l, x)| (*l, x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn da() -> &'static Lexicon {
        Lexicons::builtin()
            .expect("lexicons")
            .get(Lang::Da)
            .expect("da")
    }

    #[test]
    fn a_stem_and_a_gap_match_and_a_gap_never_swallows_a_negation() {
        let x = da();
        assert!(x.names_flag("stroke", "ansigtet er helt skævt"));
        assert!(x.names_flag("seizure", "krampeanfald"));
        assert!(x.names_flag("unresponsive", "reagerer ikke på tiltale"));
        assert_eq!(
            x.consciousness("reagerer ikke på tiltale"),
            Some(TobsConsciousness::Unresponsive)
        );
        assert_eq!(
            x.consciousness("reagerer på tiltale"),
            Some(TobsConsciousness::Voice)
        );
    }

    #[test]
    fn a_negation_reaches_across_fillers_within_its_clause_only() {
        let x = da();
        assert!(!x.names_flag("bleeding", "ingen tegn på blødning"));
        assert!(!x.names_flag("bleeding", "hun bløder ikke"));
        assert!(!x.names_flag("chest_pain", "har ikke nogen brystsmerter"));
        assert!(x.names_flag("chest_pain", "hun har det ikke godt, har brystsmerter"));
        assert!(x.names_flag("chest_pain", "hun har det ikke godt har brystsmerter"));
        assert!(x.names_flag("bleeding", "ingen brystsmerter men hun bløder"));
        assert!(x.names_flag("bleeding", "hun har ikke feber og hun bløder fra næsen"));
    }

    #[test]
    fn every_shipped_lexicon_parses_and_names_every_danger_sign() {
        let all = Lexicons::builtin().expect("lexicons");
        for lang in [Lang::Da, Lang::En] {
            let x = all.get(lang).expect("language");
            for flag in [
                "not_breathing",
                "unresponsive",
                "chest_pain",
                "stroke",
                "bleeding",
                "seizure",
            ] {
                assert!(x.flag_phrases(flag).len() >= 5, "{lang:?} {flag}");
            }
            assert_eq!(x.consciousness.len(), 6, "{lang:?}");
        }
    }
}
