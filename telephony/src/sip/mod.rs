//! The SIP bridge: the hospital's own phone system, no cloud in between.
//! What a call's audio and keys look like on the wire, and the signalling
//! that sets calls up.
//!
//! - [`sdp`]: the offer a PBX or phone sends and the answer we give (G.711
//!   µ-law or A-law, the DTMF payload type taken from the offer, hold);
//! - [`rtp`]: RTP packets, read and written;
//! - [`dtmf`]: RFC 4733 key events, each key counted once;
//! - [`media`]: one call's RTP: prompts out in paced G.711 packets (a key
//!   stops them), keys and speech in; and the bridge that joins a caller
//!   and a physician, µ-law to A-law where they differ;
//! - [`recording`]: received audio placed by RTP timestamp, not by arrival
//!   (senders pause audio while a key is pressed, and packets come out of
//!   order), up to a limit;
//! - [`prompts`]: what the bridge says, from a site's recordings or
//!   rendered once with espeak-ng and cached;
//! - [`trunk`]: signalling on rsipstack for calls from an allow-listed PBX
//!   or carrier trunk, and calls placed through it ([`trunk::Dialer`]);
//! - [`talk`]: one side of a conversation: prompts, keys, voice notes;
//! - [`line`]: the hotline itself — the checklist by keys and voice, the
//!   caller waiting for the physician, and pages by SIP.
//!
//! Everything here reads untrusted bytes from the network: a malformed
//! packet or description is an error value, never a panic (property tests
//! feed them arbitrary bytes).

pub mod dtmf;
#[doc(hidden)]
pub mod fuzz;
pub mod line;
pub mod media;
pub mod prompts;
pub mod recording;
pub mod registration;
pub mod rtp;
pub mod sdp;
pub mod talk;
pub mod trunk;
