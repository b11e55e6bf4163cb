//! Any bytes, under any of the MIME types channels send: decoding may refuse
//! them, never panic, hang or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;

const MIMES: [&str; 6] = [
    "audio/ogg",
    "audio/x-wav",
    "audio/mpeg",
    "audio/basic",
    "audio/PCMA",
    "application/octet-stream",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let limits = akutlinje_audio::Limits {
        // Short, so the fuzzer spends its time on parsing, not on resampling.
        max_duration: std::time::Duration::from_secs(20),
        ..Default::default()
    };
    if let Ok(clip) = akutlinje_audio::decode(bytes, MIMES[usize::from(pick) % MIMES.len()], &limits) {
        assert!(clip.samples.len() <= 16_000 * 21);
    }
});
