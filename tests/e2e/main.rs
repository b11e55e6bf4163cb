//! The end-to-end tests, one binary compiled once: each module drives the
//! real `akutlinje` (its library, or the binary itself) against real parts —
//! SQLite files and a PostgreSQL server, Synapse, Chromium, Twilio's own
//! helper library, the Whisper model — started by the tests (see
//! `scripts/test.sh` for what is installed and how).
//!
//! `common` holds what the modules share: seeded databases on both backends
//! ([`common::Db`]), the application on a free port ([`common::TestApp`]),
//! Synapse, the Twilio peer, the golden record fixtures.
#![recursion_limit = "256"]

mod common;

mod api;
mod cli;
mod console;
mod escalation;
mod failover;
mod follow_ups;
mod hardening;
mod jobs;
mod matrix;
mod sip;
mod twilio;
mod video;
mod voice;
mod web;
