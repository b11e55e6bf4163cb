//! Ogg/Opus (RFC 7845), as Element and other chat apps send voice messages:
//! the Ogg pages are unpacked with `ogg`, the packets decoded by libopus.

use std::io::Cursor;

use crate::{AudioError, Limits, MonoSink, Pcm};

/// Opus always decodes at 48 kHz; the header's "input rate" is only a hint.
const RATE: u32 = 48_000;
/// The longest Opus packet: 120 ms at 48 kHz.
const MAX_FRAME: usize = 5_760;

fn broken(detail: impl Into<String>) -> AudioError {
    AudioError::Broken {
        format: "Ogg/Opus",
        detail: detail.into(),
    }
}

/// The identification header (RFC 7845 §5.1).
struct Head {
    channels: u8,
    pre_skip: u64,
}

fn parse_head(p: &[u8]) -> Result<Head, AudioError> {
    if p.len() < 19 || !p.starts_with(b"OpusHead") {
        if p.starts_with(b"\x01vorbis") {
            return Err(AudioError::UnsupportedCodec {
                format: "Ogg",
                detail: "Vorbis".into(),
            });
        }
        return Err(AudioError::UnsupportedCodec {
            format: "Ogg",
            detail: "not Opus".into(),
        });
    }
    if p[8] >> 4 != 0 {
        return Err(broken(format!("header version {}", p[8])));
    }
    let channels = p[9];
    let mapping = p[18];
    if channels == 0 {
        return Err(broken("zero channels"));
    }
    if channels > 2 || mapping != 0 {
        return Err(AudioError::UnsupportedCodec {
            format: "Ogg/Opus",
            detail: format!("{channels} channels (mapping family {mapping})"),
        });
    }
    Ok(Head {
        channels,
        pre_skip: u64::from(u16::from_le_bytes([p[10], p[11]])),
    })
}

pub(crate) fn decode(data: &[u8], limits: &Limits) -> Result<Pcm, AudioError> {
    let mut reader = ogg::PacketReader::new(Cursor::new(data));
    let next = |r: &mut ogg::PacketReader<Cursor<&[u8]>>| {
        r.read_packet().map_err(|e| broken(format!("Ogg: {e}")))
    };
    let head_packet = next(&mut reader)?.ok_or(AudioError::Empty)?;
    let serial = head_packet.stream_serial();
    let head = parse_head(&head_packet.data)?;
    let channels = match head.channels {
        1 => opus::Channels::Mono,
        _ => opus::Channels::Stereo,
    };
    let mut decoder =
        opus::Decoder::new(RATE, channels).map_err(|e| broken(format!("decoder: {e}")))?;
    let n_channels = usize::from(head.channels);
    let mut sink = MonoSink::new(RATE, limits);
    let mut frame = vec![0f32; MAX_FRAME * n_channels];
    let mut tags_seen = false;
    let mut last_granule = None;
    let mut bad_packets = 0usize;
    let mut good_packets = 0usize;
    while let Some(packet) = next(&mut reader)? {
        if packet.stream_serial() != serial {
            // Another logical stream (a video or a second track): not ours.
            continue;
        }
        if !tags_seen {
            // The comment header (RFC 7845 §5.2) carries no audio.
            tags_seen = true;
            if packet.data.starts_with(b"OpusTags") {
                continue;
            }
            return Err(broken("the comment header is missing"));
        }
        if packet.last_in_page() {
            last_granule = Some(packet.absgp_page());
        }
        match decoder.decode_float(&packet.data, &mut frame, false) {
            Ok(n) => {
                good_packets += 1;
                sink.push_interleaved(&frame[..n * n_channels], n_channels)?;
            }
            // A damaged packet loses its 20 ms, not the whole note; libopus
            // conceals the gap from the packets around it.
            Err(_) => bad_packets += 1,
        }
    }
    if good_packets == 0 && bad_packets > 0 {
        return Err(broken(format!(
            "none of its {bad_packets} audio packets could be decoded"
        )));
    }
    let mut samples = sink.into_samples();
    // The end: the last granule position counts samples including the
    // pre-skip, so anything past it is encoder padding.
    if let Some(end) = last_granule.and_then(|g| g.checked_sub(head.pre_skip)) {
        let end = usize::try_from(end).unwrap_or(usize::MAX);
        let total = end.saturating_add(head.pre_skip as usize);
        samples.truncate(total);
    }
    // The start: the encoder's look-ahead, to be thrown away.
    let skip = (head.pre_skip as usize).min(samples.len());
    samples.drain(..skip);
    Ok(Pcm {
        samples,
        rate: RATE,
        channels: u16::from(head.channels),
    })
}
