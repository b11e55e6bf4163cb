//! SDP offer and answer (RFC 4566, RFC 3264) for the one audio stream of a
//! hotline call: G.711 µ-law or A-law, RFC 4733 telephone-events with the
//! payload type the offer chose (phones use 101, pjsua 120), and hold.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

/// An audio codec the bridge speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// G.711 µ-law (static payload type 0), North America and Japan, and
    /// many PBXs' default.
    Pcmu,
    /// G.711 A-law (static payload type 8), Europe's.
    Pcma,
}

impl Codec {
    /// The static payload type.
    pub fn static_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    /// The encoding name in `a=rtpmap`.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
        }
    }
}

/// Which way media flows (`a=sendrecv` and friends); a call on hold is
/// `SendOnly` from the side that holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Both ways (the default).
    SendRecv,
    /// The offerer only sends (it holds us).
    SendOnly,
    /// The offerer only receives.
    RecvOnly,
    /// No media.
    Inactive,
}

impl Direction {
    /// The direction to answer with (RFC 3264 § 6.1).
    pub fn answer(self) -> Direction {
        match self {
            Direction::SendRecv => Direction::SendRecv,
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            Direction::Inactive => Direction::Inactive,
        }
    }

    fn attribute(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }
}

/// Why an offer cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    /// A line that is not `x=value`, or a value that does not parse.
    #[error("malformed SDP line {0}")]
    Malformed(usize),
    /// No `m=audio` line over RTP/AVP.
    #[error("no RTP audio stream offered")]
    NoAudio,
    /// No connection address for the audio stream.
    #[error("no connection address")]
    NoAddress,
    /// Neither PCMU nor PCMA offered (488 Not Acceptable Here).
    #[error("no codec in common (the bridge speaks PCMU and PCMA)")]
    NoCommonCodec,
}

/// The audio part of an offer, as parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// Where to send our RTP.
    pub remote: SocketAddr,
    /// The payload types offered, in the offerer's order of preference.
    pub formats: Vec<u8>,
    /// `a=rtpmap` entries: payload type, encoding name (upper case), clock rate.
    pub rtpmap: Vec<(u8, String, u32)>,
    /// Which way media flows.
    pub direction: Direction,
}

/// What both sides agreed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    /// Where to send our RTP.
    pub remote: SocketAddr,
    /// The codec, and the payload type the offer gave it.
    pub codec: Codec,
    /// Its payload type.
    pub codec_type: u8,
    /// The telephone-event payload type, if the offer has one.
    pub dtmf_type: Option<u8>,
    /// Our direction in the answer.
    pub direction: Direction,
}

/// Reads the audio stream of an offer.
pub fn parse_offer(text: &str) -> Result<Offer, SdpError> {
    let mut session_addr: Option<IpAddr> = None;
    let mut media_addr: Option<IpAddr> = None;
    let mut audio: Option<(u16, Vec<u8>)> = None;
    let mut in_audio = false;
    let mut rtpmap = Vec::new();
    let mut direction = None;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let (kind, value) = line
            .split_once('=')
            .filter(|(k, _)| k.len() == 1)
            .ok_or(SdpError::Malformed(n + 1))?;
        match kind {
            "m" => {
                in_audio = false;
                let parts: Vec<&str> = value.split_whitespace().collect();
                if parts.first() == Some(&"audio") && audio.is_none() {
                    let port = parts
                        .get(1)
                        .and_then(|p| p.split('/').next())
                        .and_then(|p| p.parse().ok())
                        .ok_or(SdpError::Malformed(n + 1))?;
                    if parts.get(2) != Some(&"RTP/AVP") {
                        continue;
                    }
                    let formats = parts[3..]
                        .iter()
                        .map(|f| f.parse::<u8>().map_err(|_| SdpError::Malformed(n + 1)))
                        .collect::<Result<Vec<u8>, _>>()?;
                    audio = Some((port, formats));
                    in_audio = true;
                }
            }
            "c" => {
                let addr = connection(value).ok_or(SdpError::Malformed(n + 1))?;
                if in_audio {
                    media_addr = Some(addr);
                } else if audio.is_none() {
                    session_addr = Some(addr);
                }
            }
            "a" if in_audio || audio.is_none() => {
                if let Some(map) = value.strip_prefix("rtpmap:") {
                    if in_audio {
                        rtpmap.push(parse_rtpmap(map).ok_or(SdpError::Malformed(n + 1))?);
                    }
                    continue;
                }
                let d = match value {
                    "sendrecv" => Direction::SendRecv,
                    "sendonly" => Direction::SendOnly,
                    "recvonly" => Direction::RecvOnly,
                    "inactive" => Direction::Inactive,
                    _ => continue,
                };
                // A media-level direction wins over the session's.
                if in_audio || direction.is_none() {
                    direction = Some(d);
                }
            }
            _ => {}
        }
    }
    let (port, formats) = audio.ok_or(SdpError::NoAudio)?;
    let address = media_addr.or(session_addr).ok_or(SdpError::NoAddress)?;
    // RFC 2543 hold: connection address 0.0.0.0.
    let direction = if address.is_unspecified() {
        Direction::SendOnly
    } else {
        direction.unwrap_or(Direction::SendRecv)
    };
    Ok(Offer {
        remote: SocketAddr::new(address, port),
        formats,
        rtpmap,
        direction,
    })
}

fn connection(value: &str) -> Option<IpAddr> {
    let mut parts = value.split_whitespace();
    let (net, _kind, addr) = (parts.next()?, parts.next()?, parts.next()?);
    if net != "IN" {
        return None;
    }
    // A multicast TTL suffix ("/127") is not for us, but must not fail.
    addr.split('/').next()?.parse().ok()
}

fn parse_rtpmap(map: &str) -> Option<(u8, String, u32)> {
    let (pt, rest) = map.split_once(' ')?;
    let mut enc = rest.trim().split('/');
    let name = enc.next()?.to_ascii_uppercase();
    let rate = enc.next()?.parse().ok()?;
    Some((pt.parse().ok()?, name, rate))
}

impl Offer {
    /// The encoding of a payload type: its `a=rtpmap`, or the static table.
    fn encoding(&self, pt: u8) -> Option<(String, u32)> {
        self.rtpmap
            .iter()
            .find(|(p, _, _)| *p == pt)
            .map(|(_, name, rate)| (name.clone(), *rate))
            .or(match pt {
                0 => Some(("PCMU".into(), 8000)),
                8 => Some(("PCMA".into(), 8000)),
                _ => None,
            })
    }

    /// Agrees on the first offered codec the bridge speaks (the offerer's
    /// preference), and the offer's telephone-event type.
    pub fn negotiate(&self) -> Result<Negotiated, SdpError> {
        let (codec, codec_type) = self
            .formats
            .iter()
            .find_map(|pt| match self.encoding(*pt) {
                Some((name, 8000)) if name == "PCMU" => Some((Codec::Pcmu, *pt)),
                Some((name, 8000)) if name == "PCMA" => Some((Codec::Pcma, *pt)),
                _ => None,
            })
            .ok_or(SdpError::NoCommonCodec)?;
        let dtmf_type = self.formats.iter().copied().find(|pt| {
            self.encoding(*pt)
                .is_some_and(|(name, rate)| name == "TELEPHONE-EVENT" && rate == 8000)
        });
        Ok(Negotiated {
            remote: self.remote,
            codec,
            codec_type,
            dtmf_type,
            direction: self.direction.answer(),
        })
    }
}

/// The answer to send: our address, the agreed codec and telephone-events,
/// 20 ms packets.
pub fn answer(n: &Negotiated, local: SocketAddr, session: u64) -> String {
    let ip = match local.ip() {
        IpAddr::V4(_) => "IP4",
        IpAddr::V6(_) => "IP6",
    };
    let mut formats = n.codec_type.to_string();
    if let Some(d) = n.dtmf_type {
        let _ = write!(formats, " {d}");
    }
    let mut s = String::new();
    let _ = write!(
        s,
        "v=0\r\no=akutlinje {session} {session} IN {ip} {addr}\r\ns=akutlinje\r\nc=IN {ip} {addr}\r\nt=0 0\r\nm=audio {port} RTP/AVP {formats}\r\na=rtpmap:{pt} {name}/8000\r\n",
        addr = local.ip(),
        port = local.port(),
        pt = n.codec_type,
        name = n.codec.name(),
    );
    if let Some(d) = n.dtmf_type {
        let _ = write!(
            s,
            "a=rtpmap:{d} telephone-event/8000\r\na=fmtp:{d} 0-15\r\n"
        );
    }
    let _ = write!(s, "a=ptime:20\r\na={}\r\n", n.direction.attribute());
    s
}

/// The offer of a call the bridge places: PCMA, then PCMU (European
/// networks speak A-law), and telephone-events as 101, 20 ms packets.
pub fn offer(local: SocketAddr, session: u64) -> String {
    let ip = match local.ip() {
        IpAddr::V4(_) => "IP4",
        IpAddr::V6(_) => "IP6",
    };
    format!(
        "v=0\r\no=akutlinje {session} {session} IN {ip} {addr}\r\ns=akutlinje\r\nc=IN {ip} {addr}\r\nt=0 0\r\nm=audio {port} RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n",
        addr = local.ip(),
        port = local.port(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// As baresip 1.0 offers (G.711 after Opus; DTMF 101).
    const BARESIP: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 10000 RTP/AVP 96 0 8 101\r\na=rtpmap:96 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n";

    #[test]
    fn our_own_offer_reads_back_as_a_law_with_keys() {
        let local: SocketAddr = "127.0.0.1:40000".parse().expect("addr");
        let n = parse_offer(&offer(local, 7))
            .and_then(|o| o.negotiate())
            .expect("our offer");
        assert_eq!(
            (n.remote, n.codec, n.dtmf_type),
            (local, Codec::Pcma, Some(101))
        );
    }

    #[test]
    fn the_first_g711_the_offer_prefers_and_its_dtmf_type() {
        let o = parse_offer(BARESIP).expect("offer");
        let n = o.negotiate().expect("negotiate");
        assert_eq!(n.codec, Codec::Pcmu);
        assert_eq!(n.dtmf_type, Some(101));
        assert_eq!(n.remote, "127.0.0.1:10000".parse().expect("addr"));
        let a = answer(&n, "127.0.0.1:20000".parse().expect("addr"), 7);
        assert!(a.contains("m=audio 20000 RTP/AVP 0 101\r\n"), "{a}");
        assert!(a.contains("a=rtpmap:101 telephone-event/8000"), "{a}");
        assert!(a.ends_with("a=sendrecv\r\n"), "{a}");
        // The answer is itself a valid offer that negotiates the same.
        let back = parse_offer(&a)
            .expect("answer parses")
            .negotiate()
            .expect("same");
        assert_eq!((back.codec, back.dtmf_type), (Codec::Pcmu, Some(101)));
    }

    #[test]
    fn a_law_first_and_pjsuas_dtmf_type_without_rtpmap_for_static_types() {
        let offer = "v=0\r\nc=IN IP4 10.0.0.5\r\nm=audio 4000 RTP/AVP 8 0 120\r\na=rtpmap:120 telephone-event/8000\r\n";
        let n = parse_offer(offer).expect("offer").negotiate().expect("ok");
        assert_eq!(
            (n.codec, n.codec_type, n.dtmf_type),
            (Codec::Pcma, 8, Some(120))
        );
    }

    #[test]
    fn hold_is_answered_the_other_way_round() {
        let held = BARESIP.replace("a=sendrecv", "a=sendonly");
        let n = parse_offer(&held).expect("offer").negotiate().expect("ok");
        assert_eq!(n.direction, Direction::RecvOnly);
        let old = BARESIP.replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0");
        let n = parse_offer(&old).expect("offer").negotiate().expect("ok");
        assert_eq!(n.direction, Direction::RecvOnly, "RFC 2543 hold");
    }

    #[test]
    fn offers_we_cannot_answer_say_why() {
        let opus_only =
            "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n";
        assert_eq!(
            parse_offer(opus_only).and_then(|o| o.negotiate()),
            Err(SdpError::NoCommonCodec)
        );
        assert_eq!(
            parse_offer("v=0\r\nc=IN IP4 1.2.3.4\r\n"),
            Err(SdpError::NoAudio)
        );
        assert_eq!(
            parse_offer("v=0\r\nm=audio 4000 RTP/AVP 0\r\n"),
            Err(SdpError::NoAddress)
        );
        assert_eq!(
            parse_offer("v=0\r\nnonsense\r\n"),
            Err(SdpError::Malformed(2))
        );
        assert_eq!(
            parse_offer("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio x RTP/AVP 0\r\n"),
            Err(SdpError::Malformed(3))
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]
        #[test]
        fn any_text_is_an_offer_or_an_error(text in "\\PC{0,300}") {
            if let Ok(o) = parse_offer(&text) {
                let _ = o.negotiate();
            }
        }

        #[test]
        fn mutated_offers_never_panic(cut in 0usize..400, junk in "[ -~]{0,20}") {
            let mut t = BARESIP.to_string();
            let at = cut.min(t.len());
            t.insert_str(at, &junk);
            if let Ok(o) = parse_offer(&t) {
                let _ = o.negotiate();
            }
        }
    }
}
