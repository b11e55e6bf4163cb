//! One side of a conversation on the SIP bridge: prompts said (a key
//! stops them), keys collected, speech recorded — each ending at once when
//! the far end hangs up.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::media::Media;
use super::recording::Recording;

/// The far end hung up (or the line failed): nothing more can be said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the call has ended")]
pub struct Ended;

/// How long the first key of an answer is waited for.
pub const FIRST_KEY: Duration = Duration::from_secs(8);
/// How long a further key is waited for before the answer counts as given.
pub const NEXT_KEY: Duration = Duration::from_secs(5);

/// How a voice note is recorded.
#[derive(Debug, Clone, Copy)]
pub struct RecordLimits {
    /// Speech is over after this much quiet.
    pub silence: Duration,
    /// The longest note.
    pub max: Duration,
}

impl Default for RecordLimits {
    fn default() -> RecordLimits {
        RecordLimits {
            silence: Duration::from_secs(5),
            max: Duration::from_secs(120),
        }
    }
}

/// A recorded answer.
#[derive(Debug)]
pub struct Recorded {
    /// 8 kHz audio, placed by RTP timestamp.
    pub pcm: Vec<i16>,
    /// The key that ended it, if one did.
    pub key: Option<char>,
    /// Whether anything above the noise floor was heard.
    pub speech: bool,
}

/// A call's media, its hang-up and its SIP INFO keys.
#[derive(Debug)]
pub struct Talk {
    /// The RTP of the call.
    pub media: Media,
    /// Cancelled when the far end hangs up.
    pub hangup: CancellationToken,
    /// Keys sent as SIP INFO rather than in the RTP stream.
    pub info_keys: mpsc::UnboundedReceiver<char>,
}

/// A phone that sends no RTP for this long has gone without a BYE (a
/// dropped network, a crashed PBX): the call is over.
pub const RTP_TIMEOUT: Duration = Duration::from_secs(60);

/// The next SIP INFO key; never, once the call's signalling is gone.
async fn info_key(rx: &mut mpsc::UnboundedReceiver<char>) -> char {
    match rx.recv().await {
        Some(k) => k,
        None => std::future::pending().await,
    }
}

/// A 20 ms frame louder than this (RMS, 16-bit) is speech, not line noise.
const SPEECH_RMS: f64 = 300.0;

impl Talk {
    /// Says `audio`; a key pressed meanwhile stops it and is returned.
    pub async fn say(&mut self, audio: &[i16]) -> Result<Option<char>, Ended> {
        self.alive()?;
        tokio::select! {
            () = self.hangup.cancelled() => Err(Ended),
            k = info_key(&mut self.info_keys) => Ok(Some(k)),
            played = self.media.play(audio) => played.map_err(|_| Ended),
        }
    }

    /// Waits up to `wait` for one key.
    pub async fn key(&mut self, wait: Duration) -> Result<Option<char>, Ended> {
        self.alive()?;
        tokio::select! {
            () = self.hangup.cancelled() => Err(Ended),
            k = info_key(&mut self.info_keys) => Ok(Some(k)),
            k = self.media.key(wait, None) => k.map_err(|_| Ended),
        }
    }

    /// Ended, when the far end has sent nothing for [`RTP_TIMEOUT`].
    fn alive(&self) -> Result<(), Ended> {
        if self.hangup.is_cancelled() || self.media.quiet_for() >= RTP_TIMEOUT {
            return Err(Ended);
        }
        Ok(())
    }

    /// Keys up to `#`, or `max` of them, the first already pressed perhaps
    /// (during the prompt). Empty when nothing was pressed within the wait.
    pub async fn keys(&mut self, first: Option<char>, max: Option<u32>) -> Result<String, Ended> {
        let mut keys = String::new();
        let mut next = first;
        loop {
            let key = match next.take() {
                Some(k) => Some(k),
                None => {
                    let wait = if keys.is_empty() { FIRST_KEY } else { NEXT_KEY };
                    self.key(wait).await?
                }
            };
            match key {
                None | Some('#') => return Ok(keys),
                Some(k) => keys.push(k),
            }
            if max.is_some_and(|m| keys.chars().count() >= m as usize) {
                return Ok(keys);
            }
        }
    }

    /// Records what is said until a key, `limits.silence` of quiet after
    /// speech (or from the start, when nothing is said), or `limits.max`.
    pub async fn record(&mut self, limits: RecordLimits) -> Result<Recorded, Ended> {
        // The beep callers know from answering machines: speak now (a key
        // during the beep is ignored).
        self.say(&beep()).await?;
        let mut rec = Recording::new((limits.max.as_millis() as usize) * 8);
        let started = tokio::time::Instant::now();
        let mut last_voice = started;
        let mut speech = false;
        let mut checked = 0usize;
        loop {
            self.alive()?;
            let key = tokio::select! {
                () = self.hangup.cancelled() => return Err(Ended),
                k = info_key(&mut self.info_keys) => Some(k),
                k = self.media.key(Duration::from_millis(200), Some(&mut rec)) => k.map_err(|_| Ended)?,
            };
            let samples = rec.samples();
            for frame in samples[checked.min(samples.len())..].chunks(160) {
                if frame.len() == 160 && rms(frame) > SPEECH_RMS {
                    speech = true;
                    last_voice = tokio::time::Instant::now();
                }
            }
            checked = samples.len() / 160 * 160;
            let quiet = last_voice.elapsed() >= limits.silence;
            if key.is_some() || quiet || rec.is_full() || started.elapsed() >= limits.max {
                return Ok(Recorded {
                    pcm: rec.samples().to_vec(),
                    key,
                    speech,
                });
            }
        }
    }
}

/// 150 ms of 880 Hz at a moderate level.
fn beep() -> Vec<i16> {
    (0..1200)
        .map(|i| {
            ((f64::from(i) * 2.0 * std::f64::consts::PI * 880.0 / 8000.0).sin() * 6000.0) as i16
        })
        .collect()
}

fn rms(frame: &[i16]) -> f64 {
    let sum: f64 = frame.iter().map(|s| f64::from(*s).powi(2)).sum();
    (sum / frame.len() as f64).sqrt()
}

/// 8 kHz mono audio as a WAV file (how a voice note is stored).
pub fn wav(pcm: &[i16]) -> Vec<u8> {
    let mut out = Vec::with_capacity(44 + pcm.len() * 2);
    let data = (pcm.len() * 2) as u32;
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&8000u32.to_le_bytes());
    out.extend_from_slice(&16000u32.to_le_bytes()); // bytes per second
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data.to_le_bytes());
    for s in pcm {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::rtp::Packet;
    use crate::sip::sdp::{Codec, Direction, Negotiated};

    /// A talk on a fresh socket, and the phone's socket.
    async fn talk() -> (Talk, tokio::net::UdpSocket, mpsc::UnboundedSender<char>) {
        let bridge = tokio::net::UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let phone = tokio::net::UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let agreed = Negotiated {
            remote: phone.local_addr().expect("addr"),
            codec: Codec::Pcmu,
            codec_type: 0,
            dtmf_type: Some(101),
            direction: Direction::SendRecv,
        };
        let (keys, info_keys) = mpsc::unbounded_channel();
        let t = Talk {
            media: Media::new(bridge, &agreed, 3),
            hangup: CancellationToken::new(),
            info_keys,
        };
        (t, phone, keys)
    }

    #[tokio::test]
    async fn a_voice_note_ends_after_the_quiet_that_follows_speech() {
        let (mut t, phone, _keys) = talk().await;
        let to = t.media.local_addr().expect("addr");
        // One second of speech-level audio, then the phone goes quiet
        // (silence packets, as phones send them).
        tokio::spawn(async move {
            let loud: Vec<u8> = (0..160)
                .map(|i| akutlinje_audio::g711::encode_mulaw(if i % 2 == 0 { 4000 } else { -4000 }))
                .collect();
            let quiet = vec![akutlinje_audio::g711::encode_mulaw(0); 160];
            for seq in 0u16..150 {
                let payload = if seq < 50 { &loud } else { &quiet };
                let p = Packet {
                    payload_type: 0,
                    marker: false,
                    sequence: seq,
                    timestamp: u32::from(seq) * 160,
                    ssrc: 1,
                    payload,
                };
                phone.send_to(&p.to_bytes(), to).await.ok();
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        let limits = RecordLimits {
            silence: Duration::from_secs(1),
            max: Duration::from_secs(10),
        };
        let started = tokio::time::Instant::now();
        let r = t.record(limits).await.expect("recorded");
        let took = started.elapsed();
        assert!(r.speech && r.key.is_none());
        // The beep (150 ms), one second of speech, one of quiet: not the
        // ten-second limit.
        assert!(took < Duration::from_secs(4), "{took:?}");
        assert!(took >= Duration::from_millis(1_900), "{took:?}");
        assert!(r.pcm.len() >= 8_000, "{} samples", r.pcm.len());
    }

    #[tokio::test]
    async fn keys_by_sip_info_count_like_keys_in_the_stream() {
        let (mut t, _phone, keys) = talk().await;
        for k in "38*9#".chars() {
            keys.send(k).expect("send");
        }
        assert_eq!(t.keys(None, None).await.expect("keys"), "38*9");
        // A hang-up ends whatever is waiting.
        t.hangup.cancel();
        assert_eq!(t.key(Duration::from_secs(5)).await, Err(Ended));
    }

    #[test]
    fn a_voice_note_is_a_wav_hound_reads_back() {
        let pcm: Vec<i16> = (0..800).map(|i| (i * 7 % 3000) as i16).collect();
        let bytes = wav(&pcm);
        let r = hound::WavReader::new(std::io::Cursor::new(bytes)).expect("wav");
        assert_eq!((r.spec().sample_rate, r.spec().channels), (8000, 1));
        let back: Vec<i16> = r.into_samples().collect::<Result<_, _>>().expect("samples");
        assert_eq!(back, pcm);
    }
}
