//! The fuzzer's corpus (`fuzz/corpus/decode`, grown by `cargo fuzz run
//! decode`) replayed on every test run with the fuzz target's own body
//! (`akutlinje_audio::fuzzing`), under every MIME type the target can pick —
//! a channel's label is a claim, the bytes decide. Each input must decode or
//! be refused with a reason, never panic or exceed the limit. This keeps
//! what the fuzzer found in the ordinary test suite, on stable Rust, without
//! libFuzzer.

use akutlinje_audio::fuzzing;

#[test]
fn every_input_in_the_fuzz_corpus_is_decoded_or_refused() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/decode");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    files.sort();
    assert!(files.len() >= 4, "the corpus is missing: {}", dir.display());
    let (mut decoded, mut refused) = (0, std::collections::BTreeMap::new());
    for file in &files {
        let data = std::fs::read(file).expect("corpus file");
        let Some((_, bytes)) = fuzzing::split(&data) else {
            continue;
        };
        for mime in fuzzing::MIMES {
            match fuzzing::check(bytes, mime) {
                Ok(_) => decoded += 1,
                Err(e) => *refused.entry(e.code()).or_insert(0) += 1,
            }
        }
    }
    eprintln!(
        "{} corpus files: {decoded} decodings, refused {refused:?}",
        files.len()
    );
    assert!(decoded > 0, "the real seed files decode");
}
