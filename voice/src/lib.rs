//! Voice notes into the case record: speech recognition with Whisper
//! (whisper-rs / whisper.cpp), fed from a durable queue in the database.
//!
//! Owns the [`Transcriber`] (one loaded model, shared by every worker), the
//! queue [`worker`] that turns each stored recording into a `Transcribed` or
//! `TranscriptionFailed` case event and sends the text on to the case's
//! conversation, and the [`wer`] measure the tests and benchmark use.
//! Decoding the audio belongs to `akutlinje-audio`; storing it to the store.
#![deny(missing_docs)]

pub mod model;
pub mod slot;
pub mod wer;
pub mod worker;

pub use model::{default_model_dir, ModelSettings, Transcriber, Transcript, VoiceError};
pub use slot::ModelSlot;
pub use worker::{Worker, WorkerSettings};
