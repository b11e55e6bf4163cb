//! G.711 µ-law and A-law (ITU-T G.711), as telephone networks and SIP trunks
//! carry speech: 8 kHz, one byte per sample. Bit-exact with sox.

use crate::{AudioError, Format, Limits, MonoSink, Pcm};

/// The telephone rate.
pub const RATE: u32 = 8_000;

/// One µ-law byte to linear 16-bit PCM.
pub fn decode_mulaw(byte: u8) -> i16 {
    let u = !byte;
    let exponent = (u >> 4) & 0x07;
    let mantissa = i32::from(u & 0x0F);
    let magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
    (if u & 0x80 != 0 { -magnitude } else { magnitude }) as i16
}

/// One A-law byte to linear 16-bit PCM.
pub fn decode_alaw(byte: u8) -> i16 {
    let a = byte ^ 0x55;
    let mut t = i32::from(a & 0x0F) << 4;
    let segment = (a & 0x70) >> 4;
    match segment {
        0 => t += 8,
        1 => t += 0x108,
        _ => {
            t += 0x108;
            t <<= segment - 1;
        }
    }
    (if a & 0x80 != 0 { t } else { -t }) as i16
}

/// Linear 16-bit PCM to µ-law (for tests and, later, for SIP audio out).
pub fn encode_mulaw(pcm: i16) -> u8 {
    const BIAS: i32 = 0x84;
    const CLIP: i32 = 32_635;
    let mut s = i32::from(pcm);
    let sign = if s < 0 {
        s = -s;
        0x80
    } else {
        0
    };
    s = s.min(CLIP) + BIAS;
    let mut exponent = 7u8;
    let mut mask = 0x4000;
    while s & mask == 0 && exponent > 0 {
        exponent -= 1;
        mask >>= 1;
    }
    let mantissa = ((s >> (exponent + 3)) & 0x0F) as u8;
    !(sign | (exponent << 4) | mantissa)
}

/// Linear 16-bit PCM to A-law.
pub fn encode_alaw(pcm: i16) -> u8 {
    let mut s = i32::from(pcm);
    let sign = if s >= 0 {
        0x80
    } else {
        s = -s - 1;
        0
    };
    s = s.min(32_767);
    let value = if s < 256 {
        (s >> 4) as u8
    } else {
        let mut segment = 1u8;
        let mut top = s >> 8;
        while top > 1 {
            segment += 1;
            top >>= 1;
        }
        (segment << 4) | (((s >> (segment + 3)) & 0x0F) as u8)
    };
    (sign | value) ^ 0x55
}

pub(crate) fn decode(data: &[u8], format: Format, limits: &Limits) -> Result<Pcm, AudioError> {
    let one: fn(u8) -> i16 = match format {
        Format::ALaw => decode_alaw,
        _ => decode_mulaw,
    };
    let mut sink = MonoSink::new(RATE, limits);
    let mut buf = Vec::with_capacity(4096);
    for chunk in data.chunks(4096) {
        buf.clear();
        buf.extend(chunk.iter().map(|&b| f32::from(one(b)) / 32_768.0));
        sink.push_interleaved(&buf, 1)?;
    }
    Ok(Pcm {
        samples: sink.into_samples(),
        rate: RATE,
        channels: 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_survives_a_round_trip() {
        for b in 0..=255u8 {
            let m = encode_mulaw(decode_mulaw(b));
            // µ-law has two zeros (0x7F and 0xFF); both decode to 0.
            assert!(m == b || decode_mulaw(b) == 0, "µ-law {b:#04x} -> {m:#04x}");
            assert_eq!(encode_alaw(decode_alaw(b)), b, "A-law {b:#04x}");
        }
    }

    #[test]
    fn known_values_match_the_standard_tables() {
        // Values from ITU-T G.711 / sox: the loudest and quietest codes.
        assert_eq!(decode_mulaw(0x00), -32_124);
        assert_eq!(decode_mulaw(0x80), 32_124);
        assert_eq!(decode_mulaw(0xFF), 0);
        assert_eq!(decode_alaw(0xD5), 8);
        assert_eq!(decode_alaw(0x55), -8);
        assert_eq!(decode_alaw(0xAA), 32_256);
        assert_eq!(decode_alaw(0x2A), -32_256);
    }

    proptest::proptest! {
        #[test]
        fn encoding_is_close_to_the_input(x in proptest::num::i16::ANY) {
            let m = i32::from(decode_mulaw(encode_mulaw(x)));
            let a = i32::from(decode_alaw(encode_alaw(x)));
            let x = i32::from(x);
            // Logarithmic companding: the step grows with the magnitude.
            let tol = (x.abs() / 16).max(16) + 8;
            proptest::prop_assert!((m - x).abs() <= tol.max(x.abs() - 32_124 + tol), "µ {x} -> {m}");
            proptest::prop_assert!((a - x).abs() <= tol.max(x.abs() - 32_256 + tol), "A {x} -> {a}");
        }
    }
}
