//! Any bytes, under any of the MIME types channels send: decoding may refuse
//! them, never panic, hang or allocate without bound.
#![no_main]

use akutlinje_audio::fuzzing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((mime, bytes)) = fuzzing::split(data) {
        let _ = fuzzing::check(bytes, mime);
    }
});
