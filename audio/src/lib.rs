//! Decodes voice notes into what Whisper listens to: 16 kHz mono `f32`.
//!
//! Owns the audio formats the hotline receives — Element voice messages
//! (Ogg/Opus, 48 kHz), Twilio recordings (WAV, MP3) and telephone audio (raw
//! G.711 µ-law/A-law, 8 kHz) — and the resampling to 16 kHz. Everything here
//! treats its input as hostile: a broken, empty, silent, too long or
//! unsupported file is refused with an [`AudioError`] that says why, and no
//! input makes it panic or allocate without bound (the decoders are fuzzed,
//! see `fuzz/`).
//!
//! ```
//! let tone: Vec<u8> = (0..8000u32)
//!     .map(|i| akutlinje_audio::g711::encode_mulaw(((i as f32 * 0.3).sin() * 8000.0) as i16))
//!     .collect();
//! let clip = akutlinje_audio::decode(&tone, "audio/PCMU", &Default::default()).unwrap();
//! assert_eq!(clip.format, akutlinje_audio::Format::MuLaw);
//! assert_eq!(clip.samples.len(), 16_000); // one second at 16 kHz
//! ```
#![deny(missing_docs)]

pub mod g711;
mod opus;
mod resample;
mod symphonia_dec;

use std::time::Duration;

/// Whisper's sample rate.
pub const SAMPLE_RATE: u32 = 16_000;

/// The formats we take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Ogg with Opus inside (Element and most chat apps' voice messages).
    OggOpus,
    /// RIFF WAVE with PCM or G.711 inside (Twilio recordings).
    Wav,
    /// MPEG audio layer III (Twilio recordings fetched as `.mp3`).
    Mp3,
    /// Raw G.711 µ-law, 8 kHz mono (telephone audio).
    MuLaw,
    /// Raw G.711 A-law, 8 kHz mono (telephone audio).
    ALaw,
}

impl Format {
    /// A short name, for records and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::OggOpus => "ogg-opus",
            Format::Wav => "wav",
            Format::Mp3 => "mp3",
            Format::MuLaw => "g711-ulaw",
            Format::ALaw => "g711-alaw",
        }
    }

    /// Tells the format from the first bytes, or for headerless G.711 from
    /// the MIME type the channel gave. Magic bytes win over the MIME type:
    /// clients mislabel files (`audio/mpeg` for an Ogg file is common).
    pub fn sniff(data: &[u8], mime: &str) -> Result<Format, AudioError> {
        if data.starts_with(b"OggS") {
            return Ok(Format::OggOpus);
        }
        if data.len() >= 12 && &data[0..4] == b"RIFF" && &data[8..12] == b"WAVE" {
            return Ok(Format::Wav);
        }
        if data.starts_with(b"ID3")
            || (data.len() >= 2 && data[0] == 0xFF && data[1] & 0xE6 == 0xE2)
        {
            // An ID3 tag, or an MPEG-1/2 layer III frame sync.
            return Ok(Format::Mp3);
        }
        let essence = mime
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "audio/basic" | "audio/pcmu" | "audio/x-mulaw" | "audio/mulaw" | "audio/x-ulaw" => {
                Ok(Format::MuLaw)
            }
            "audio/pcma" | "audio/x-alaw" | "audio/alaw" => Ok(Format::ALaw),
            _ => Err(AudioError::Unsupported {
                mime: essence.chars().take(60).collect(),
            }),
        }
    }
}

/// How much audio we accept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Longer recordings are refused (a voice note is a minute or two; an
    /// hour-long file is a mistake or an attack, and would block the queue).
    pub max_duration: Duration,
    /// Shorter recordings are refused: nothing useful is said in less.
    pub min_duration: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_duration: Duration::from_secs(5 * 60),
            min_duration: Duration::from_millis(300),
        }
    }
}

/// Why a recording was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AudioError {
    /// No bytes, or no audio in them.
    #[error("the recording is empty")]
    Empty,
    /// Shorter than [`Limits::min_duration`].
    #[error("the recording is too short ({millis} ms)")]
    TooShort {
        /// Its length.
        millis: u64,
    },
    /// Longer than [`Limits::max_duration`].
    #[error("the recording is longer than the {max_seconds} s allowed")]
    TooLong {
        /// The limit.
        max_seconds: u64,
    },
    /// A format we do not decode.
    #[error("unsupported audio format ({mime})")]
    Unsupported {
        /// The MIME type it came with.
        mime: String,
    },
    /// A codec inside a known container that we do not decode.
    #[error("unsupported codec in the {format} file: {detail}")]
    UnsupportedCodec {
        /// The container.
        format: &'static str,
        /// The decoder's words.
        detail: String,
    },
    /// The bytes are not what they claim to be.
    #[error("the {format} file is broken: {detail}")]
    Broken {
        /// The format it claims.
        format: &'static str,
        /// The decoder's words.
        detail: String,
    },
    /// Decoded fine, but there is no sound in it.
    #[error("the recording is silent")]
    Silent,
}

impl AudioError {
    /// A stable code for records and translations.
    pub fn code(&self) -> &'static str {
        match self {
            AudioError::Empty => "empty",
            AudioError::TooShort { .. } => "too_short",
            AudioError::TooLong { .. } => "too_long",
            AudioError::Unsupported { .. } | AudioError::UnsupportedCodec { .. } => "unsupported",
            AudioError::Broken { .. } => "broken",
            AudioError::Silent => "silent",
        }
    }
}

/// A decoded recording, ready for Whisper.
#[derive(Clone, PartialEq)]
pub struct Clip {
    /// 16 kHz mono, nominally in -1.0..=1.0.
    pub samples: Vec<f32>,
    /// The format it was decoded from.
    pub format: Format,
    /// The sample rate the file had.
    pub source_rate: u32,
    /// The channels the file had.
    pub source_channels: u16,
}

impl std::fmt::Debug for Clip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clip")
            .field("format", &self.format)
            .field("duration", &self.duration())
            .field("source_rate", &self.source_rate)
            .field("source_channels", &self.source_channels)
            .finish()
    }
}

impl Clip {
    /// How long it plays.
    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.samples.len() as f64 / f64::from(SAMPLE_RATE))
    }
}

/// Mono samples at the file's own rate, as a decoder hands them over.
pub(crate) struct Pcm {
    pub samples: Vec<f32>,
    pub rate: u32,
    pub channels: u16,
}

/// Collects decoded audio, mixing it to mono and refusing it as soon as it
/// is longer than allowed (so a hostile file cannot fill the memory).
pub(crate) struct MonoSink {
    samples: Vec<f32>,
    max_frames: usize,
    max_seconds: u64,
}

impl MonoSink {
    pub fn new(rate: u32, limits: &Limits) -> MonoSink {
        let max_frames = (limits.max_duration.as_secs_f64() * f64::from(rate)).ceil() as usize;
        MonoSink {
            samples: Vec::new(),
            max_frames,
            max_seconds: limits.max_duration.as_secs(),
        }
    }

    /// Appends interleaved frames of `channels` channels.
    pub fn push_interleaved(&mut self, data: &[f32], channels: usize) -> Result<(), AudioError> {
        let channels = channels.max(1);
        let frames = data.len() / channels;
        if self.samples.len() + frames > self.max_frames {
            return Err(AudioError::TooLong {
                max_seconds: self.max_seconds,
            });
        }
        if channels == 1 {
            self.samples.extend_from_slice(data);
        } else {
            let scale = 1.0 / channels as f32;
            self.samples.extend(
                data.chunks_exact(channels)
                    .map(|frame| frame.iter().sum::<f32>() * scale),
            );
        }
        Ok(())
    }

    pub fn into_samples(self) -> Vec<f32> {
        self.samples
    }
}

/// Decodes `data` (whose channel said it is `mime`) to 16 kHz mono.
pub fn decode(data: &[u8], mime: &str, limits: &Limits) -> Result<Clip, AudioError> {
    if data.is_empty() {
        return Err(AudioError::Empty);
    }
    let format = Format::sniff(data, mime)?;
    let pcm = match format {
        Format::OggOpus => opus::decode(data, limits)?,
        Format::Wav | Format::Mp3 => symphonia_dec::decode(data, format, limits)?,
        Format::MuLaw | Format::ALaw => g711::decode(data, format, limits)?,
    };
    if pcm.samples.is_empty() {
        return Err(AudioError::Empty);
    }
    let duration = Duration::from_secs_f64(pcm.samples.len() as f64 / f64::from(pcm.rate));
    if duration < limits.min_duration {
        return Err(AudioError::TooShort {
            millis: duration.as_millis() as u64,
        });
    }
    if !audible(&pcm.samples) {
        return Err(AudioError::Silent);
    }
    let samples = resample::to_16k(&pcm.samples, pcm.rate, format)?;
    Ok(Clip {
        samples,
        format,
        source_rate: pcm.rate,
        source_channels: pcm.channels,
    })
}

/// The fuzz target's body (`fuzz/fuzz_targets/decode.rs`), shared with the
/// test that replays its corpus, so the two cannot drift apart.
#[doc(hidden)]
pub mod fuzzing {
    use super::{decode, AudioError, Clip, Limits};
    use std::time::Duration;

    /// The MIME types channels label recordings with.
    pub const MIMES: [&str; 6] = [
        "audio/ogg",
        "audio/x-wav",
        "audio/mpeg",
        "audio/basic",
        "audio/PCMA",
        "application/octet-stream",
    ];

    /// Short, so the fuzzer spends its time on parsing, not on resampling.
    pub const LIMITS: Limits = Limits {
        max_duration: Duration::from_secs(20),
        min_duration: Duration::from_millis(300),
    };

    /// An input as the fuzzer makes it: the first byte picks the MIME type.
    pub fn split(data: &[u8]) -> Option<(&'static str, &[u8])> {
        let (&pick, bytes) = data.split_first()?;
        Some((MIMES[usize::from(pick) % MIMES.len()], bytes))
    }

    /// Decodes `bytes` as `mime`, and panics if what must always hold does
    /// not: a decoded clip is never longer than the limit.
    pub fn check(bytes: &[u8], mime: &str) -> Result<Clip, AudioError> {
        let result = decode(bytes, mime, &LIMITS);
        if let Ok(clip) = &result {
            let max = (LIMITS.max_duration.as_secs() as usize + 1) * super::SAMPLE_RATE as usize;
            assert!(
                clip.samples.len() <= max,
                "{} samples over the limit",
                clip.samples.len()
            );
        }
        result
    }
}

/// Whether any 50 ms stretch is louder than -55 dBFS (RMS). Line noise on a
/// telephone and dither sit well below; speech sits 30 dB or more above.
fn audible(samples: &[f32]) -> bool {
    const THRESHOLD: f32 = 0.001_778; // 10^(-55/20)
    samples.chunks(800).any(|w| {
        let sum: f32 = w.iter().filter(|x| x.is_finite()).map(|x| x * x).sum();
        (sum / w.len() as f32).sqrt() > THRESHOLD
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_win_over_the_mime_type() {
        assert_eq!(
            Format::sniff(b"OggS\0\x02rest", "audio/mpeg"),
            Ok(Format::OggOpus)
        );
        assert_eq!(
            Format::sniff(b"RIFF\0\0\0\0WAVEfmt ", "application/octet-stream"),
            Ok(Format::Wav)
        );
        assert_eq!(Format::sniff(b"ID3\x04", ""), Ok(Format::Mp3));
        assert_eq!(Format::sniff(&[0xFF, 0xFB, 0x90], ""), Ok(Format::Mp3));
        assert_eq!(
            Format::sniff(&[1, 2, 3], "audio/PCMA; rate=8000"),
            Ok(Format::ALaw)
        );
        assert_eq!(Format::sniff(&[1, 2, 3], "audio/basic"), Ok(Format::MuLaw));
        assert_eq!(
            Format::sniff(b"%PDF-1.4", "application/pdf"),
            Err(AudioError::Unsupported {
                mime: "application/pdf".into()
            })
        );
    }

    #[test]
    fn empty_short_and_silent_recordings_are_refused_with_their_reason() {
        let l = Limits::default();
        assert_eq!(decode(&[], "audio/ogg", &l), Err(AudioError::Empty));
        assert_eq!(
            decode(&[0xFF; 800], "audio/basic", &l).map(|c| c.format),
            Err(AudioError::TooShort { millis: 100 })
        );
        // µ-law 0xFF is digital silence.
        assert_eq!(
            decode(&[0xFF; 16_000], "audio/basic", &l).map(|c| c.format),
            Err(AudioError::Silent)
        );
    }

    #[test]
    fn a_long_recording_is_refused_before_it_is_all_decoded() {
        let l = Limits {
            max_duration: Duration::from_secs(2),
            ..Limits::default()
        };
        let three_seconds = vec![0x10u8; 24_000];
        assert_eq!(
            decode(&three_seconds, "audio/PCMA", &l).map(|c| c.format),
            Err(AudioError::TooLong { max_seconds: 2 })
        );
    }
}
