//! On-call rotas, escalation policies and durable timers — **not built yet**.
//!
//! This crate will own who is on call at an instant (rotations, layers,
//! overrides, swaps, in Europe/Copenhagen), the escalation policies of
//! DESIGN.md's urgency table, durable timers claimed atomically, and the
//! notification outbox (issue 3). Until then the hotline records
//! `page_requested` events in the case record and nothing is sent.
#![forbid(unsafe_code)]
