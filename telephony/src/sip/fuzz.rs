//! Entry points for the fuzz targets in `telephony/fuzz/`: the path an
//! untrusted datagram takes through code this crate owns, from the bytes
//! on. Nothing here may panic, whatever the input.

use rsipstack::rsip::SipMessage;

use super::dtmf::{Event, Keys};
use super::rtp::Packet;
use super::sdp;
use super::trunk::{caller, info_key, source};

/// A datagram on the SIP port: parsed by rsipstack as the transport does,
/// then read as the trunk reads it (source, caller, the SDP offer and our
/// answer to it, an INFO key).
pub fn sip_datagram(data: &[u8]) {
    let Ok(msg) = SipMessage::try_from(data) else {
        return;
    };
    let SipMessage::Request(req) = msg else {
        return;
    };
    let _ = source(&req);
    let _ = caller(&req);
    let body = String::from_utf8_lossy(&req.body);
    let _ = info_key(&body);
    sdp_body(&body);
}

/// A session description as it arrives in an INVITE or a re-INVITE.
pub fn sdp_body(text: &str) {
    if let Ok(agreed) = sdp::parse_offer(text).and_then(|o| o.negotiate()) {
        let local = std::net::SocketAddr::from(([127, 0, 0, 1], 40_000));
        let answer = sdp::answer(&agreed, local, 1);
        // Our answer must read back as what was agreed.
        let back = sdp::parse_offer(&answer).and_then(|o| o.negotiate());
        assert!(back.is_ok(), "our own answer does not parse: {answer:?}");
    }
}

/// A datagram on an RTP port: the packet, and a key event in it.
pub fn rtp_datagram(data: &[u8]) {
    let Ok(p) = Packet::parse(data) else {
        return;
    };
    let mut keys = Keys::default();
    let _ = keys.on_packet(p.timestamp, p.payload);
    if let Ok(e) = Event::parse(p.payload) {
        let _ = e.key();
    }
    // What we write, we read back the same.
    let again = p.to_bytes();
    assert!(Packet::parse(&again).is_ok());
}
