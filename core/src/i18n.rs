//! Localised text through Fluent. Effects carry message ids and arguments
//! ([`Msg`]); a channel renders them in the caller's language.

use std::collections::HashMap;
use std::fmt;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::{Deserialize, Serialize};

/// A language the system speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    /// Danish, the default.
    #[default]
    Da,
    /// English.
    En,
}

impl Lang {
    /// The BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Da => "da",
            Lang::En => "en",
        }
    }

    /// Parses "da"/"en" (and "da-DK", "en-GB", ...).
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_lowercase();
        if s == "da" || s.starts_with("da-") || s == "dansk" {
            Some(Lang::Da)
        } else if s == "en" || s.starts_with("en-") || s == "english" {
            Some(Lang::En)
        } else {
            None
        }
    }
}

/// A message to render: an id in the Fluent files, and its arguments.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Msg {
    /// The message id.
    pub id: String,
    /// Its arguments by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<(String, Arg)>,
}

/// An argument value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Arg {
    /// Plain text, inserted as is.
    Text(String),
    /// Another message, rendered first in the same language.
    #[schema(no_recursion)]
    Msg(Box<Msg>),
    /// Several messages, rendered and joined with ", ".
    #[schema(no_recursion)]
    List(Vec<Msg>),
}

impl Msg {
    /// A message without arguments.
    pub fn new(id: impl Into<String>) -> Msg {
        Msg {
            id: id.into(),
            args: Vec::new(),
        }
    }

    /// Adds a text argument.
    pub fn arg(mut self, name: &str, value: impl fmt::Display) -> Msg {
        self.args.push((name.into(), Arg::Text(value.to_string())));
        self
    }

    /// Adds an argument that is a list of messages, joined with ", ".
    pub fn arg_list(mut self, name: &str, value: Vec<Msg>) -> Msg {
        self.args.push((name.into(), Arg::List(value)));
        self
    }

    /// Adds an argument that is itself a message.
    pub fn arg_msg(mut self, name: &str, value: Msg) -> Msg {
        self.args.push((name.into(), Arg::Msg(Box::new(value))));
        self
    }
}

impl fmt::Debug for Msg {
    /// Arguments may hold personal data; only the id is printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Msg({}, {} args)", self.id, self.args.len())
    }
}

/// Why the Fluent files could not be loaded. Only at start-up, and tested.
#[derive(Debug, thiserror::Error)]
pub enum I18nError {
    /// A Fluent file that does not parse.
    #[error("Fluent syntax error in {lang}/{file}: {detail}")]
    Syntax {
        /// The language.
        lang: String,
        /// The file.
        file: String,
        /// The parser's words.
        detail: String,
    },
    /// A message defined twice.
    #[error("message {id} is defined twice in {lang}")]
    Duplicate {
        /// The language.
        lang: String,
        /// The message id.
        id: String,
    },
    /// A language tag that does not parse.
    #[error("unknown language tag {0}")]
    BadLang(String),
}

/// The loaded bundles for every language.
pub struct Localizer {
    bundles: HashMap<Lang, FluentBundle<FluentResource>>,
}

impl fmt::Debug for Localizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Localizer")
            .field("langs", &self.bundles.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Localizer {
    /// Loads the texts compiled in from `akutlinje-prompts`.
    pub fn builtin() -> Result<Localizer, I18nError> {
        Localizer::from_sources(akutlinje_prompts::LOCALES)
    }

    /// Loads Fluent sources: (language tag, [(file name, content)]).
    pub fn from_sources(sources: &[(&str, &[(&str, &str)])]) -> Result<Localizer, I18nError> {
        let mut bundles = HashMap::new();
        for (tag, files) in sources {
            let lang = Lang::parse(tag).ok_or_else(|| I18nError::BadLang((*tag).into()))?;
            let langid: unic_langid::LanguageIdentifier =
                tag.parse().map_err(|_| I18nError::BadLang((*tag).into()))?;
            let mut bundle = FluentBundle::new_concurrent(vec![langid]);
            // Unicode isolation marks would end up in SMS, TwiML and terminals.
            bundle.set_use_isolating(false);
            for (file, src) in *files {
                let res = FluentResource::try_new((*src).to_string()).map_err(|(_, errs)| {
                    I18nError::Syntax {
                        lang: (*tag).into(),
                        file: (*file).into(),
                        detail: errs
                            .iter()
                            .map(|e| format!("{e:?}"))
                            .collect::<Vec<_>>()
                            .join("; "),
                    }
                })?;
                bundle
                    .add_resource(res)
                    .map_err(|errs| I18nError::Duplicate {
                        lang: (*tag).into(),
                        id: errs
                            .iter()
                            .map(|e| format!("{e:?}"))
                            .collect::<Vec<_>>()
                            .join("; "),
                    })?;
            }
            bundles.insert(lang, bundle);
        }
        Ok(Localizer { bundles })
    }

    /// Whether `id` exists in `lang`.
    pub fn has(&self, lang: Lang, id: &str) -> bool {
        self.bundles.get(&lang).is_some_and(|b| b.has_message(id))
    }

    /// Renders a message. A missing id renders as the id in brackets, so a
    /// gap is visible rather than silent; tests assert no such gaps exist.
    pub fn render(&self, lang: Lang, msg: &Msg) -> String {
        let Some(bundle) = self
            .bundles
            .get(&lang)
            .or_else(|| self.bundles.get(&Lang::Da))
        else {
            return format!("[{}]", msg.id);
        };
        let Some(pattern) = bundle.get_message(&msg.id).and_then(|m| m.value()) else {
            return format!("[{}]", msg.id);
        };
        let mut args = FluentArgs::new();
        for (name, value) in &msg.args {
            let v = match value {
                Arg::Text(t) => t.clone(),
                Arg::Msg(m) => self.render(lang, m),
                Arg::List(ms) => ms
                    .iter()
                    .map(|m| self.render(lang, m))
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            args.set(name.clone(), FluentValue::from(v));
        }
        let mut errors = Vec::new();
        let out = bundle.format_pattern(pattern, Some(&args), &mut errors);
        out.into_owned()
    }

    /// Shorthand for a message without arguments.
    pub fn text(&self, lang: Lang, id: &str) -> String {
        self.render(lang, &Msg::new(id))
    }

    /// Every message id of a language (for completeness tests).
    pub fn ids(&self, lang: Lang) -> Vec<String> {
        let mut ids = Vec::new();
        for (tag, files) in akutlinje_prompts::LOCALES {
            if Lang::parse(tag) != Some(lang) {
                continue;
            }
            for (_, src) in *files {
                for line in src.lines() {
                    if let Some((id, _)) = line.split_once(" =") {
                        if !id.starts_with([' ', '#']) && !id.is_empty() {
                            ids.push(id.trim().to_string());
                        }
                    }
                }
            }
        }
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_texts_load_and_render_with_arguments() {
        let l = Localizer::builtin().expect("prompts load");
        let m = Msg::new("case-opened").arg("home", "Solgården");
        assert_eq!(l.render(Lang::Da, &m), "Akutlinjen – ny sag for Solgården.");
        assert_eq!(
            l.render(Lang::En, &m),
            "Acute hotline – new case for Solgården."
        );
    }

    #[test]
    fn danish_and_english_define_the_same_ids() {
        let l = Localizer::builtin().expect("prompts load");
        let mut da = l.ids(Lang::Da);
        let mut en = l.ids(Lang::En);
        da.sort();
        en.sort();
        assert!(da.len() > 50, "only {} ids", da.len());
        assert_eq!(da, en);
    }

    #[test]
    fn a_missing_id_is_visible() {
        let l = Localizer::builtin().expect("prompts load");
        assert_eq!(l.text(Lang::Da, "no-such-id"), "[no-such-id]");
    }
}
