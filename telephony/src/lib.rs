//! Twilio and SIP — **not built yet**.
//!
//! This crate will own the Twilio webhooks (signature-checked), TwiML
//! rendering of the checklist's effects, the Twilio REST client, and the SIP
//! bridge (issue 5). It drives the same engine as every other channel.
#![forbid(unsafe_code)]
