//! The hazard log (`docs/safety/hazard-log.md`) names the tests that verify
//! each control (`✔ name`). A control is only as good as its test: this
//! check fails when a named test does not exist (renamed, deleted), and
//! when a hazard neither names a test nor says it is open.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name();
        if name == "target" || name == ".git" || name == "fuzz" {
            continue;
        }
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every test in the workspace: functions under a test attribute, and the
/// names given to the both-backends macros.
fn tests_in(root: &Path) -> BTreeSet<String> {
    let attributed = regex::Regex::new(
        r"#\[(?:tokio::)?test[^\]]*\]\s*(?:#\[[^\]]*\]\s*)*(?:pub\s+)?(?:async\s+)?fn\s+([a-z0-9_]+)",
    )
    .expect("pattern");
    let both = regex::Regex::new(r"\b(?:on_)?both!\(\s*([^)]*)\)").expect("pattern");
    let mut files = Vec::new();
    rust_files(root, &mut files);
    let mut names = BTreeSet::new();
    for f in files {
        let Ok(src) = std::fs::read_to_string(&f) else {
            continue;
        };
        names.extend(attributed.captures_iter(&src).map(|c| c[1].to_string()));
        for c in both.captures_iter(&src) {
            names.extend(
                c[1].split(',')
                    .map(str::trim)
                    .filter(|n| {
                        !n.is_empty()
                            && n.chars().all(|ch| {
                                ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_'
                            })
                    })
                    .map(str::to_string),
            );
        }
    }
    names
}

#[test]
fn every_control_in_the_hazard_log_names_tests_that_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let log = std::fs::read_to_string(root.join("docs/safety/hazard-log.md"))
        .expect("docs/safety/hazard-log.md");
    let tests = tests_in(root);
    assert!(tests.len() > 200, "the scan found {} tests", tests.len());
    let named = regex::Regex::new(r"✔ `([a-z0-9_]+)`").expect("pattern");
    let mut missing = Vec::new();
    let mut hazards = 0;
    for section in log.split("\n### ").skip(1) {
        hazards += 1;
        let title = section.lines().next().unwrap_or_default();
        let refs: Vec<&str> = named
            .captures_iter(section)
            .filter_map(|c| c.get(1).map(|m| m.as_str()))
            .collect();
        assert!(
            !refs.is_empty() || section.contains("(open"),
            "{title}: names no test and is not marked open"
        );
        missing.extend(
            refs.into_iter()
                .filter(|r| !tests.contains(*r))
                .map(|r| format!("{title}: {r}")),
        );
    }
    assert!(hazards >= 20, "{hazards} hazards");
    assert!(
        missing.is_empty(),
        "tests named in the hazard log that do not exist:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_check_notices_a_test_that_does_not_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tests = tests_in(root);
    assert!(tests.contains("every_control_in_the_hazard_log_names_tests_that_exist"));
    assert!(tests.contains("people_and_tokens"), "names inside both!(…)");
    assert!(!tests.contains("a_test_nobody_wrote"));
}
