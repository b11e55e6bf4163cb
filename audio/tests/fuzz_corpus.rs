//! The fuzzer's corpus (`fuzz/corpus/decode`, grown by `cargo fuzz run
//! decode`) replayed on every test run, the way the fuzz target reads it:
//! the first byte picks the MIME type, the rest is the file. Each input must
//! decode or be refused with a reason — never panic, never exceed the limit.
//! This keeps what the fuzzer found in the ordinary test suite, on stable
//! Rust, without libFuzzer.

use std::time::Duration;

const MIMES: [&str; 6] = [
    "audio/ogg",
    "audio/x-wav",
    "audio/mpeg",
    "audio/basic",
    "audio/PCMA",
    "application/octet-stream",
];

#[test]
fn every_input_in_the_fuzz_corpus_is_decoded_or_refused() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/decode");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    files.sort();
    assert!(files.len() >= 4, "the corpus is missing: {}", dir.display());
    let limits = akutlinje_audio::Limits {
        max_duration: Duration::from_secs(20),
        ..Default::default()
    };
    let (mut decoded, mut refused) = (0, std::collections::BTreeMap::new());
    for file in &files {
        let data = std::fs::read(file).expect("corpus file");
        let Some((&pick, bytes)) = data.split_first() else {
            continue;
        };
        // Every input under its own MIME type and under every other one:
        // a channel's label is a claim, the bytes decide.
        for mime in std::iter::once(MIMES[usize::from(pick) % MIMES.len()]).chain(MIMES) {
            match akutlinje_audio::decode(bytes, mime, &limits) {
                Ok(clip) => {
                    assert!(
                        clip.samples.len() <= 16_000 * 21,
                        "{}: {} samples over the 20 s limit",
                        file.display(),
                        clip.samples.len()
                    );
                    decoded += 1;
                }
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
