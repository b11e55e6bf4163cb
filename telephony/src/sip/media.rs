//! One call's media: G.711 out in 20 ms packets, paced; RTP in, its keys
//! (RFC 4733) and its audio (placed by timestamp). Symmetric RTP: once the
//! caller's packets arrive, ours go back to where they come from, which is
//! right behind a NAT where the SDP address is not.

use std::net::SocketAddr;
use std::time::Duration;

use akutlinje_audio::g711;
use tokio::net::UdpSocket;

use super::dtmf::Keys;
use super::recording::Recording;
use super::rtp::Packet;
use super::sdp::{Codec, Negotiated};

/// Samples in a 20 ms packet at 8 kHz.
pub const FRAME: usize = 160;

/// The media of one call.
#[derive(Debug)]
pub struct Media {
    socket: UdpSocket,
    remote: SocketAddr,
    codec: Codec,
    codec_type: u8,
    dtmf_type: Option<u8>,
    ssrc: u32,
    sequence: u16,
    timestamp: u32,
    keys: Keys,
    /// When a packet last came in (or the call began).
    heard: std::time::Instant,
}

impl Media {
    /// Media on `socket` (bound to the address put in our SDP answer) for
    /// what the offer and answer agreed.
    pub fn new(socket: UdpSocket, agreed: &Negotiated, ssrc: u32) -> Media {
        Media {
            socket,
            remote: agreed.remote,
            codec: agreed.codec,
            codec_type: agreed.codec_type,
            dtmf_type: agreed.dtmf_type,
            ssrc,
            sequence: 0,
            timestamp: 0,
            keys: Keys::default(),
            heard: std::time::Instant::now(),
        }
    }

    /// The socket and where RTP goes now (for a test phone or a
    /// measurement that reads and writes packets itself).
    pub fn parts(&self) -> (&UdpSocket, SocketAddr) {
        (&self.socket, self.remote)
    }

    /// How long nothing has come in from the far end.
    pub fn quiet_for(&self) -> Duration {
        self.heard.elapsed()
    }

    /// The local RTP address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    fn encode(&self, pcm: &[i16]) -> Vec<u8> {
        let f = match self.codec {
            Codec::Pcmu => g711::encode_mulaw,
            Codec::Pcma => g711::encode_alaw,
        };
        pcm.iter().map(|s| f(*s)).collect()
    }

    /// Plays `pcm` (8 kHz) in real time, 20 ms a packet; stops early and
    /// returns the key if the caller presses one meanwhile (barge-in).
    pub async fn play(&mut self, pcm: &[i16]) -> std::io::Result<Option<char>> {
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut buf = vec![0u8; 2048];
        for (i, frame) in pcm.chunks(FRAME).enumerate() {
            loop {
                tokio::select! {
                    _ = tick.tick() => break,
                    got = self.socket.recv_from(&mut buf) => {
                        let (n, from) = got?;
                        if let Some(key) = self.received(&buf[..n], from, None) {
                            return Ok(Some(key));
                        }
                    }
                }
            }
            let payload = self.encode(frame);
            self.send_frame(&payload, i == 0).await?;
        }
        Ok(None)
    }

    /// Waits up to `wait` for a key; what the caller says meanwhile goes
    /// into `recording`, if given.
    ///
    /// Silence goes out meanwhile, 20 ms a packet: a PBX or SBC that hears
    /// no RTP for a few seconds takes the call for dead and drops it, and a
    /// phone's recording of the call keeps time.
    pub async fn key(
        &mut self,
        wait: Duration,
        mut recording: Option<&mut Recording>,
    ) -> std::io::Result<Option<char>> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let silence = self.encode(&[0i16; FRAME]);
        let mut buf = vec![0u8; 2048];
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => return Ok(None),
                _ = tick.tick() => self.send_frame(&silence, false).await?,
                got = self.socket.recv_from(&mut buf) => {
                    let (n, from) = got?;
                    if let Some(key) = self.received(&buf[..n], from, recording.as_deref_mut()) {
                        return Ok(Some(key));
                    }
                }
            }
        }
    }

    /// One 20 ms packet of encoded audio to the far end.
    async fn send_frame(&mut self, payload: &[u8], marker: bool) -> std::io::Result<()> {
        let packet = Packet {
            payload_type: self.codec_type,
            marker,
            sequence: self.sequence,
            timestamp: self.timestamp,
            ssrc: self.ssrc,
            payload,
        }
        .to_bytes();
        self.socket.send_to(&packet, self.remote).await?;
        self.sequence = self.sequence.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(payload.len() as u32);
        Ok(())
    }

    /// One datagram: a key, audio for the recording, or nothing (anything
    /// malformed or from another stream is dropped).
    fn received(
        &mut self,
        bytes: &[u8],
        from: SocketAddr,
        recording: Option<&mut Recording>,
    ) -> Option<char> {
        let packet = Packet::parse(bytes).ok()?;
        // Symmetric RTP: answer where the caller's packets come from.
        self.remote = from;
        self.heard = std::time::Instant::now();
        if Some(packet.payload_type) == self.dtmf_type {
            return self.keys.on_packet(packet.timestamp, packet.payload);
        }
        if packet.payload_type == self.codec_type {
            if let Some(r) = recording {
                let f = match self.codec {
                    Codec::Pcmu => g711::decode_mulaw,
                    Codec::Pcma => g711::decode_alaw,
                };
                let pcm: Vec<i16> = packet.payload.iter().map(|b| f(*b)).collect();
                r.place(packet.timestamp, &pcm);
            }
        }
        None
    }
}

/// Joins two calls: what each says is sent to the other, re-encoded when
/// one speaks µ-law and the other A-law, with the receiving side's payload
/// type, sequence and SSRC; keys are not passed on (each leg's keys are its
/// own). Runs until `stop` is cancelled.
pub async fn bridge(
    a: &mut Media,
    b: &mut Media,
    stop: tokio_util::sync::CancellationToken,
) -> std::io::Result<()> {
    let mut from_a = vec![0u8; 2048];
    let mut from_b = vec![0u8; 2048];
    loop {
        tokio::select! {
            () = stop.cancelled() => return Ok(()),
            got = a.socket.recv_from(&mut from_a) => {
                let (n, src) = got?;
                a.relay(&from_a[..n], src, b).await?;
            }
            got = b.socket.recv_from(&mut from_b) => {
                let (n, src) = got?;
                b.relay(&from_b[..n], src, a).await?;
            }
        }
    }
}

impl Media {
    /// One packet received on this leg, passed to `to` if it is audio.
    async fn relay(
        &mut self,
        bytes: &[u8],
        from: SocketAddr,
        to: &mut Media,
    ) -> std::io::Result<()> {
        let Ok(packet) = Packet::parse(bytes) else {
            return Ok(());
        };
        self.remote = from;
        self.heard = std::time::Instant::now();
        if packet.payload_type != self.codec_type {
            return Ok(());
        }
        let payload: Vec<u8> = if self.codec == to.codec {
            packet.payload.to_vec()
        } else {
            let decode = match self.codec {
                Codec::Pcmu => g711::decode_mulaw,
                Codec::Pcma => g711::decode_alaw,
            };
            let pcm: Vec<i16> = packet.payload.iter().map(|b| decode(*b)).collect();
            to.encode(&pcm)
        };
        let out = Packet {
            payload_type: to.codec_type,
            marker: packet.marker,
            sequence: to.sequence,
            timestamp: to.timestamp,
            ssrc: to.ssrc,
            payload: &payload,
        }
        .to_bytes();
        to.socket.send_to(&out, to.remote).await?;
        to.sequence = to.sequence.wrapping_add(1);
        to.timestamp = to.timestamp.wrapping_add(payload.len() as u32);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::dtmf::Event;

    async fn pair(remote: Option<SocketAddr>) -> (Media, UdpSocket) {
        let bridge = UdpSocket::bind("127.0.0.1:0").await.expect("bridge");
        let phone = UdpSocket::bind("127.0.0.1:0").await.expect("phone");
        let agreed = Negotiated {
            remote: remote.unwrap_or(phone.local_addr().expect("addr")),
            codec: Codec::Pcma,
            codec_type: 8,
            dtmf_type: Some(101),
            direction: super::super::sdp::Direction::SendRecv,
        };
        (Media::new(bridge, &agreed, 7), phone)
    }

    fn tone(samples: usize) -> Vec<i16> {
        (0..samples)
            .map(|i| ((i as f64 * 0.2).sin() * 8000.0) as i16)
            .collect()
    }

    async fn key_press(phone: &UdpSocket, to: SocketAddr, code: u8, ts: u32) {
        for (i, end) in [false, true, true, true].into_iter().enumerate() {
            let ev = Event {
                code,
                end,
                volume: 10,
                duration: 160 * (i as u16 + 1),
            }
            .to_bytes();
            let p = Packet {
                payload_type: 101,
                marker: i == 0,
                sequence: 900 + i as u16,
                timestamp: ts,
                ssrc: 99,
                payload: &ev,
            };
            phone.send_to(&p.to_bytes(), to).await.expect("send");
        }
    }

    #[tokio::test]
    async fn a_prompt_goes_out_in_paced_a_law_packets() {
        let (mut media, phone) = pair(None).await;
        let pcm = tone(8000);
        let started = std::time::Instant::now();
        let played = tokio::spawn(async move { media.play(&pcm).await.map(|k| (k, media)) });
        let mut buf = vec![0u8; 2048];
        let mut got = Vec::new();
        while got.len() < 50 {
            let n = tokio::time::timeout(Duration::from_secs(3), phone.recv(&mut buf))
                .await
                .expect("a packet")
                .expect("recv");
            let p = Packet::parse(&buf[..n]).expect("rtp");
            got.push((
                p.payload_type,
                p.marker,
                p.sequence,
                p.timestamp,
                p.payload.to_vec(),
            ));
        }
        let (key, _) = played.await.expect("join").expect("play");
        assert_eq!(key, None);
        assert!(
            started.elapsed() >= Duration::from_millis(900),
            "{:?}",
            started.elapsed()
        );
        assert!(got.iter().all(|g| g.0 == 8 && g.4.len() == FRAME));
        assert!(got[0].1 && !got[1].1, "the marker starts the talkspurt");
        assert!(got
            .windows(2)
            .all(|w| w[1].2 == w[0].2 + 1 && w[1].3 == w[0].3 + 160));
        // What arrives decodes to the prompt as G.711 carries it.
        let sent: Vec<i16> = tone(8000)
            .iter()
            .map(|s| g711::decode_alaw(g711::encode_alaw(*s)))
            .collect();
        let heard: Vec<i16> = got
            .iter()
            .flat_map(|g| g.4.iter().map(|b| g711::decode_alaw(*b)))
            .collect();
        assert_eq!(heard, sent);
    }

    #[tokio::test]
    async fn a_key_stops_the_prompt_and_answers_go_back_where_they_came_from() {
        // The SDP names a port nobody listens on; the phone's packets say
        // where it really is.
        let (mut media, phone) = pair(Some("127.0.0.1:9".parse().expect("addr"))).await;
        let bridge = media.local_addr().expect("addr");
        let started = std::time::Instant::now();
        let play = tokio::spawn(async move {
            let k = media.play(&tone(8000 * 5)).await;
            (k, media)
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        key_press(&phone, bridge, 5, 4000).await;
        let (key, mut media) = play.await.expect("join");
        assert_eq!(key.expect("play"), Some('5'));
        assert!(started.elapsed() < Duration::from_secs(2), "barge-in");
        // The next prompt reaches the phone.
        media.play(&tone(320)).await.expect("play");
        let mut buf = vec![0u8; 2048];
        let n = tokio::time::timeout(Duration::from_secs(2), phone.recv(&mut buf))
            .await
            .expect("symmetric RTP")
            .expect("recv");
        assert_eq!(Packet::parse(&buf[..n]).expect("rtp").payload_type, 8);
    }

    #[tokio::test]
    async fn silence_keeps_the_line_alive_while_waiting_for_a_key() {
        let (mut media, phone) = pair(None).await;
        assert_eq!(
            media
                .key(Duration::from_millis(500), None)
                .await
                .expect("io"),
            None
        );
        let mut buf = vec![0u8; 2048];
        let mut got = Vec::new();
        while let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(50), phone.recv(&mut buf)).await
        {
            let p = Packet::parse(&buf[..n]).expect("rtp");
            got.push((p.marker, p.timestamp, p.payload.to_vec()));
        }
        // About 25 packets of A-law silence, in time, no talkspurt marker.
        assert!((20..=27).contains(&got.len()), "{} packets", got.len());
        assert!(got
            .iter()
            .all(|(m, _, p)| !m && p.len() == FRAME && p.iter().all(|b| *b == 0xd5)));
        assert!(got.windows(2).all(|w| w[1].1 == w[0].1 + 160));
    }

    #[tokio::test]
    async fn speech_is_recorded_by_timestamp_until_a_key() {
        let (mut media, phone) = pair(None).await;
        let bridge = media.local_addr().expect("addr");
        // Three packets, the second arriving last, then a malformed one, then #.
        for (seq, ts, level) in [(1u16, 0u32, 1000i16), (3, 320, 3000), (2, 160, 2000)] {
            let payload: Vec<u8> = vec![g711::encode_alaw(level); FRAME];
            let p = Packet {
                payload_type: 8,
                marker: false,
                sequence: seq,
                timestamp: ts,
                ssrc: 99,
                payload: &payload,
            };
            phone.send_to(&p.to_bytes(), bridge).await.expect("send");
        }
        phone
            .send_to(b"\x80\x08garbage", bridge)
            .await
            .expect("send");
        key_press(&phone, bridge, 11, 480).await;
        let mut rec = Recording::new(8000);
        let key = media
            .key(Duration::from_secs(3), Some(&mut rec))
            .await
            .expect("io");
        assert_eq!(key, Some('#'));
        let s = rec.samples();
        assert_eq!(s.len(), 480);
        let level = |i: usize| g711::decode_alaw(g711::encode_alaw(i16::try_from(i).unwrap_or(0)));
        assert_eq!(
            (s[0], s[160], s[320]),
            (level(1000), level(2000), level(3000))
        );
        // Nothing more: no key within the wait.
        assert_eq!(
            media
                .key(Duration::from_millis(100), None)
                .await
                .expect("io"),
            None
        );
    }
}

#[cfg(test)]
mod bridge_tests {
    use super::*;

    async fn leg(codec: Codec, pt: u8) -> (Media, UdpSocket) {
        let bridge = UdpSocket::bind("127.0.0.1:0").await.expect("bridge");
        let phone = UdpSocket::bind("127.0.0.1:0").await.expect("phone");
        let agreed = Negotiated {
            remote: phone.local_addr().expect("addr"),
            codec,
            codec_type: pt,
            dtmf_type: Some(101),
            direction: super::super::sdp::Direction::SendRecv,
        };
        (Media::new(bridge, &agreed, u32::from(pt) + 1), phone)
    }

    #[tokio::test]
    async fn a_mu_law_caller_and_an_a_law_physician_hear_each_other() {
        let (nurse, nurse_phone) = leg(Codec::Pcmu, 0).await;
        let (doctor, doctor_phone) = leg(Codec::Pcma, 8).await;
        let (to_nurse_leg, to_doctor_leg) = (
            nurse.local_addr().expect("a"),
            doctor.local_addr().expect("b"),
        );
        let stop = tokio_util::sync::CancellationToken::new();
        let running = tokio::spawn({
            let stop = stop.clone();
            async move {
                let (mut nurse, mut doctor) = (nurse, doctor);
                bridge(&mut nurse, &mut doctor, stop).await
            }
        });
        let speech: Vec<i16> = (0..FRAME)
            .map(|i| ((i as f64 * 0.25).sin() * 9000.0) as i16)
            .collect();
        // The nurse speaks (µ-law); the physician hears A-law of the same sound.
        let ulaw: Vec<u8> = speech.iter().map(|s| g711::encode_mulaw(*s)).collect();
        let p = Packet {
            payload_type: 0,
            marker: true,
            sequence: 40,
            timestamp: 8000,
            ssrc: 5,
            payload: &ulaw,
        };
        nurse_phone
            .send_to(&p.to_bytes(), to_nurse_leg)
            .await
            .expect("send");
        // A key on the nurse's leg is not passed on.
        let key = Packet {
            payload_type: 101,
            marker: true,
            sequence: 41,
            timestamp: 8160,
            ssrc: 5,
            payload: &[1, 0x8a, 0, 160],
        };
        nurse_phone
            .send_to(&key.to_bytes(), to_nurse_leg)
            .await
            .expect("send");
        let mut buf = vec![0u8; 2048];
        let n = tokio::time::timeout(Duration::from_secs(2), doctor_phone.recv(&mut buf))
            .await
            .expect("audio through the bridge")
            .expect("recv");
        let heard = Packet::parse(&buf[..n]).expect("rtp");
        assert_eq!((heard.payload_type, heard.ssrc, heard.marker), (8, 9, true));
        let expected: Vec<u8> = ulaw
            .iter()
            .map(|b| g711::encode_alaw(g711::decode_mulaw(*b)))
            .collect();
        assert_eq!(heard.payload, &expected[..]);
        assert!(
            tokio::time::timeout(Duration::from_millis(200), doctor_phone.recv(&mut buf))
                .await
                .is_err(),
            "the key stayed on its leg"
        );
        // And back: the physician answers; the nurse hears µ-law.
        let alaw: Vec<u8> = speech.iter().map(|s| g711::encode_alaw(*s)).collect();
        let p = Packet {
            payload_type: 8,
            marker: false,
            sequence: 7,
            timestamp: 1,
            ssrc: 6,
            payload: &alaw,
        };
        doctor_phone
            .send_to(&p.to_bytes(), to_doctor_leg)
            .await
            .expect("send");
        let n = tokio::time::timeout(Duration::from_secs(2), nurse_phone.recv(&mut buf))
            .await
            .expect("audio back")
            .expect("recv");
        let heard = Packet::parse(&buf[..n]).expect("rtp");
        assert_eq!(heard.payload_type, 0);
        let expected: Vec<u8> = alaw
            .iter()
            .map(|b| g711::encode_mulaw(g711::decode_alaw(*b)))
            .collect();
        assert_eq!(heard.payload, &expected[..]);
        stop.cancel();
        running.await.expect("join").expect("bridge ends cleanly");
    }
}
