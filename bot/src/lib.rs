//! The Matrix adapter — **not built yet**.
//!
//! This crate will turn Matrix room events into checklist input and the
//! engine's effects into end-to-end encrypted messages, pages, threads and
//! reactions, through `akutlinje_core::service::Hotline` (issue 4). It holds no
//! clinical logic.
#![forbid(unsafe_code)]
