//! A check on the house: the adapters (the bot, the telephone, this crate)
//! drive the checklist with typed input or pass words on untouched; none of
//! them reads or writes the checklist's own words or names its texts. The
//! words and the ids come from core and the checklist definition, so the
//! check grows with them.

use std::path::{Path, PathBuf};

use akutlinje_core::engine::lexicon::Lexicons;
use akutlinje_core::engine::{parse, Checklist};
use akutlinje_core::i18n::Localizer;
use akutlinje_core::reply;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The string literals of a Rust source, lower-cased.
fn literals(src: &str) -> Vec<String> {
    let re = regex::Regex::new(r#""((?:[^"\\]|\\.)*)""#).expect("pattern");
    re.captures_iter(src).map(|c| c[1].to_lowercase()).collect()
}

#[test]
fn adapters_hold_no_checklist_words_or_message_ids() {
    let loc = Localizer::builtin().expect("texts");
    let def = Checklist::builtin_acute(&loc).expect("checklist");
    // One-letter words ("j", "t") and signs ("?", "-") are too common in
    // code to mean anything; every word with two letters or more counts.
    let lexicon_words: Vec<String> = Lexicons::builtin()
        .expect("lexicons")
        .all()
        .flat_map(|(_, x)| x.all_words().collect::<Vec<_>>())
        .collect();
    let mut banned: Vec<String> = parse::vocabulary()
        .into_iter()
        .map(str::to_string)
        .chain(def.flag_words())
        .chain(lexicon_words)
        .chain(reply::vocabulary().into_iter().map(str::to_string))
        .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2)
        .map(|w| w.trim().to_lowercase())
        .collect();
    banned.extend(def.message_ids().into_iter().map(str::to_string));
    assert!(banned.len() > 150, "{} words", banned.len());
    // English words that are also plain code: a TwiML attribute, a stand-in
    // for a missing value, a group in the figures, a documented default, the
    // health check's answer, an ARIA role.
    const CODE_WORDS: [&str; 6] = ["voice", "unknown", "none", "rectal", "ok", "alert"];
    banned.retain(|w| !CODE_WORDS.contains(&w.as_str()));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["bot/src", "telephony/src", "src"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 30, "{} files", files.len());
    let mut found = Vec::new();
    for f in &files {
        let src = std::fs::read_to_string(f).expect("source");
        for lit in literals(&src) {
            if banned.contains(&lit) {
                found.push(format!("{}: \"{lit}\"", f.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "checklist words in adapters:\n{}",
        found.join("\n")
    );
}
