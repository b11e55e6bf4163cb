//! Resampling to Whisper's 16 kHz with rubato's FFT resampler (fixed ratio,
//! the whole clip at once).

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};

use crate::{AudioError, Format, SAMPLE_RATE};

pub(crate) fn to_16k(samples: &[f32], rate: u32, format: Format) -> Result<Vec<f32>, AudioError> {
    if rate == SAMPLE_RATE {
        return Ok(samples.to_vec());
    }
    let broken = |detail: String| AudioError::Broken {
        format: format.as_str(),
        detail,
    };
    // Rates a decoder accepted but no recording has (0, or absurd ones that
    // would make the FFT sizes explode) are refused, not resampled.
    if !(4_000..=192_000).contains(&rate) {
        return Err(broken(format!("sample rate {rate} Hz")));
    }
    let mut resampler = Fft::<f32>::new(
        rate as usize,
        SAMPLE_RATE as usize,
        1024,
        1,
        FixedSync::Input,
    )
    .map_err(|e| broken(format!("cannot resample from {rate} Hz: {e}")))?;
    let input = InterleavedSlice::new(samples, 1, samples.len())
        .map_err(|e| broken(format!("resampler input: {e}")))?;
    let out = resampler
        .process_all(&input, samples.len(), None)
        .map_err(|e| broken(format!("resampling: {e}")))?;
    Ok(out.take_data())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Signal-to-noise ratio of `got` against the best-fitting sine of
    /// `freq` at 16 kHz (any phase: a sub-sample delay is harmless), and the
    /// fitted amplitude.
    fn snr_db(got: &[f32], freq: f32) -> (f32, f32) {
        // Skip the edges, where the filter rings.
        let mid = &got[800..got.len() - 800];
        let w = 2.0 * std::f64::consts::PI * f64::from(freq) / 16_000.0;
        let n = mid.len() as f64;
        let (mut a, mut b) = (0.0f64, 0.0f64);
        for (i, &y) in mid.iter().enumerate() {
            a += f64::from(y) * (w * i as f64).sin();
            b += f64::from(y) * (w * i as f64).cos();
        }
        let (a, b) = (2.0 * a / n, 2.0 * b / n);
        let (mut sig, mut err) = (0.0f64, 0.0f64);
        for (i, &y) in mid.iter().enumerate() {
            let fit = a * (w * i as f64).sin() + b * (w * i as f64).cos();
            sig += fit * fit;
            err += (f64::from(y) - fit).powi(2);
        }
        ((10.0 * (sig / err).log10()) as f32, a.hypot(b) as f32)
    }

    #[test]
    fn a_tone_keeps_its_shape_from_every_rate_we_see() {
        for rate in [8_000u32, 22_050, 44_100, 48_000] {
            let n = rate as usize; // one second
            let tone: Vec<f32> = (0..n)
                .map(|i| (2.0 * std::f32::consts::PI * 440.0 * i as f32 / rate as f32).sin() * 0.5)
                .collect();
            let out = to_16k(&tone, rate, Format::Wav).expect("resampled");
            assert!(
                (out.len() as i64 - 16_000).abs() <= 1,
                "{rate} Hz: {} samples",
                out.len()
            );
            let (snr, amplitude) = snr_db(&out, 440.0);
            assert!(snr > 60.0, "{rate} Hz: SNR {snr:.1} dB");
            assert!(
                (amplitude - 0.5).abs() < 0.01,
                "{rate} Hz: amplitude {amplitude}"
            );
        }
    }

    #[test]
    fn absurd_rates_are_refused() {
        assert!(matches!(
            to_16k(&[0.0; 10], 1, Format::Wav),
            Err(AudioError::Broken { .. })
        ));
    }
}
