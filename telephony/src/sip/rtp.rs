//! RTP packets (RFC 3550): the fixed header, CSRCs, a header extension and
//! padding are understood; version 2 only.

/// A received RTP packet; `payload` borrows the datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// The payload type (0 PCMU, 8 PCMA, the offer's telephone-event, ...).
    pub payload_type: u8,
    /// The marker bit (start of a talkspurt, or of a key event).
    pub marker: bool,
    /// Sequence number, wrapping.
    pub sequence: u16,
    /// Sampling instant of the first sample, in clock-rate units, wrapping.
    pub timestamp: u32,
    /// The sender's synchronisation source.
    pub ssrc: u32,
    /// The media bytes, without padding.
    pub payload: &'a [u8],
}

/// Why bytes are not an RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RtpError {
    /// Shorter than its headers say.
    #[error("truncated RTP packet")]
    Truncated,
    /// Not RTP version 2.
    #[error("RTP version {0} is not 2")]
    Version(u8),
    /// Padding longer than the payload.
    #[error("bad RTP padding")]
    Padding,
}

/// The fixed header's length.
const HEADER: usize = 12;

impl<'a> Packet<'a> {
    /// Reads a datagram.
    pub fn parse(buf: &'a [u8]) -> Result<Packet<'a>, RtpError> {
        if buf.len() < HEADER {
            return Err(RtpError::Truncated);
        }
        let version = buf[0] >> 6;
        if version != 2 {
            return Err(RtpError::Version(version));
        }
        let padding = buf[0] & 0x20 != 0;
        let extension = buf[0] & 0x10 != 0;
        let csrcs = usize::from(buf[0] & 0x0f);
        let mut start = HEADER + 4 * csrcs;
        if buf.len() < start {
            return Err(RtpError::Truncated);
        }
        if extension {
            let ext = buf.get(start..start + 4).ok_or(RtpError::Truncated)?;
            let words = usize::from(u16::from_be_bytes([ext[2], ext[3]]));
            start += 4 + 4 * words;
            if buf.len() < start {
                return Err(RtpError::Truncated);
            }
        }
        let mut end = buf.len();
        if padding {
            let pad = usize::from(buf[end - 1]);
            if pad == 0 || pad > end - start {
                return Err(RtpError::Padding);
            }
            end -= pad;
        }
        Ok(Packet {
            payload_type: buf[1] & 0x7f,
            marker: buf[1] & 0x80 != 0,
            sequence: u16::from_be_bytes([buf[2], buf[3]]),
            timestamp: u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
            ssrc: u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]),
            payload: &buf[start..end],
        })
    }

    /// Writes the packet (no CSRCs, extension or padding).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER + self.payload.len());
        out.push(0x80);
        out.push((u8::from(self.marker) << 7) | (self.payload_type & 0x7f));
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        out.extend_from_slice(self.payload);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_packet_round_trips() {
        let p = Packet {
            payload_type: 8,
            marker: true,
            sequence: 65535,
            timestamp: 0xdead_beef,
            ssrc: 42,
            payload: &[1, 2, 3],
        };
        let bytes = p.to_bytes();
        assert_eq!(Packet::parse(&bytes), Ok(p));
    }

    #[test]
    fn csrcs_extensions_and_padding_are_skipped() {
        // V=2, P=1, X=1, CC=1; PT 0; one CSRC; a one-word extension; 2 bytes
        // of payload and 3 of padding.
        let mut b = vec![0xb1, 0x00, 0, 1, 0, 0, 0, 160, 0, 0, 0, 7];
        b.extend_from_slice(&[0, 0, 0, 9]); // CSRC
        b.extend_from_slice(&[0xbe, 0xde, 0, 1, 1, 2, 3, 4]); // extension
        b.extend_from_slice(&[0x55, 0x66]); // payload
        b.extend_from_slice(&[0, 0, 3]); // padding
        let p = Packet::parse(&b).expect("parse");
        assert_eq!(p.payload, &[0x55, 0x66]);
        assert_eq!((p.sequence, p.timestamp, p.ssrc), (1, 160, 7));
    }

    #[test]
    fn malformed_packets_are_errors() {
        assert_eq!(Packet::parse(&[0x80; 11]), Err(RtpError::Truncated));
        assert_eq!(Packet::parse(&[0x40; 12]), Err(RtpError::Version(1)));
        let mut b = vec![0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 9];
        assert_eq!(Packet::parse(&b), Err(RtpError::Padding));
        b[0] = 0x8f; // 15 CSRCs announced, none there
        assert_eq!(Packet::parse(&b), Err(RtpError::Truncated));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        #[test]
        fn any_bytes_parse_or_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(p) = Packet::parse(&bytes) {
                prop_assert!(p.payload.len() <= bytes.len());
            }
        }
    }
}
