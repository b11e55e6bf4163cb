#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    akutlinje_telephony::sip::fuzz::sdp_body(&String::from_utf8_lossy(data));
});
