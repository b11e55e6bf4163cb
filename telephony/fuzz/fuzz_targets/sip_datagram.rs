#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    akutlinje_telephony::sip::fuzz::sip_datagram(data);
});
