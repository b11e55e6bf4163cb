//! On-call rotas: who is on call for each tier of a service at any instant,
//! and where nobody is (coverage gaps), in Europe/Copenhagen.
//!
//! Key design decision: shifts are computed on the Copenhagen wall clock and
//! only then turned into UTC instants, so a shift is as long as the wall clock
//! says across daylight-saving changes (see [`rota`]). The stored shapes
//! (`akutlinje_core::rota`) are parsed here before use.
//!
//! [`escalation`] fires escalation steps from durable, atomically claimed
//! database rows and sends the notification outbox with retries and
//! fall-over; policies are configuration (`policies.toml`). [`oncall`] loads a
//! service's stored rota for whoever asks who is on call.
#![forbid(unsafe_code)]

pub mod escalation;
pub mod jobs;
pub mod oncall;
pub mod rota;
