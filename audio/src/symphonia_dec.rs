//! WAV (PCM and G.711 inside) and MP3, with symphonia.

use std::io::Cursor;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{DecoderOptions, CODEC_TYPE_NULL};
use symphonia::core::errors::Error;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use crate::{AudioError, Format, Limits, MonoSink, Pcm};

/// More channels than a voice note has: a header that says so is lying, and
/// believing it would make the sample buffers huge.
const MAX_CHANNELS: usize = 8;

pub(crate) fn decode(data: &[u8], format: Format, limits: &Limits) -> Result<Pcm, AudioError> {
    let name = match format {
        Format::Mp3 => "MP3",
        _ => "WAV",
    };
    let broken = |detail: String| AudioError::Broken {
        format: name,
        detail,
    };
    let mut hint = Hint::new();
    hint.with_extension(match format {
        Format::Mp3 => "mp3",
        _ => "wav",
    });
    let source = MediaSourceStream::new(Box::new(Cursor::new(data.to_vec())), Default::default());
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            source,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .map_err(|e| match e {
            Error::Unsupported(what) => AudioError::UnsupportedCodec {
                format: name,
                detail: what.to_string(),
            },
            e => broken(e.to_string()),
        })?;
    let mut reader = probed.format;
    let track = reader
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or(AudioError::Empty)?;
    let track_id = track.id;
    let params = track.codec_params.clone();
    let rate = params
        .sample_rate
        .ok_or_else(|| broken("no sample rate".into()))?;
    if let Some(ch) = params.channels {
        if ch.count() > MAX_CHANNELS {
            return Err(AudioError::UnsupportedCodec {
                format: name,
                detail: format!("{} channels", ch.count()),
            });
        }
    }
    let mut decoder = symphonia::default::get_codecs()
        .make(&params, &DecoderOptions::default())
        .map_err(|e| match e {
            Error::Unsupported(what) => AudioError::UnsupportedCodec {
                format: name,
                detail: what.to_string(),
            },
            e => broken(e.to_string()),
        })?;
    let mut sink = MonoSink::new(rate, limits);
    let mut channels = 1usize;
    let mut buffer: Option<SampleBuffer<f32>> = None;
    let (mut good, mut bad) = (0usize, 0usize);
    let mut last_error = String::new();
    loop {
        let packet = match reader.next_packet() {
            Ok(p) => p,
            Err(Error::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(Error::ResetRequired) => break,
            Err(e) => {
                // A truncated or damaged tail: keep what was decoded.
                if good > 0 {
                    break;
                }
                return Err(broken(e.to_string()));
            }
        };
        if packet.track_id() != track_id {
            continue;
        }
        match decoder.decode(&packet) {
            Ok(decoded) => {
                let spec = *decoded.spec();
                if spec.rate != rate {
                    return Err(broken(format!(
                        "the sample rate changes from {rate} to {} Hz",
                        spec.rate
                    )));
                }
                channels = spec.channels.count().max(1);
                if channels > MAX_CHANNELS {
                    return Err(AudioError::UnsupportedCodec {
                        format: name,
                        detail: format!("{channels} channels"),
                    });
                }
                let frames = decoded.capacity() as u64;
                let buf = match &mut buffer {
                    Some(b) if b.capacity() >= decoded.capacity() * channels => b,
                    _ => buffer.insert(SampleBuffer::new(frames, spec)),
                };
                buf.copy_interleaved_ref(decoded);
                sink.push_interleaved(buf.samples(), channels)?;
                good += 1;
            }
            Err(Error::DecodeError(e)) => {
                // One bad MP3 frame loses 26 ms, not the note.
                bad += 1;
                last_error = e.to_string();
            }
            Err(Error::IoError(_)) if good > 0 => break,
            Err(e) => return Err(broken(e.to_string())),
        }
    }
    if good == 0 && bad > 0 {
        return Err(broken(format!(
            "none of its {bad} frames could be decoded ({last_error})"
        )));
    }
    Ok(Pcm {
        samples: sink.into_samples(),
        rate,
        channels: channels as u16,
    })
}
