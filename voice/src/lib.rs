//! Audio decoding and transcription — **not built yet**.
//!
//! This crate will decode voice notes and recordings (Ogg/Opus, WAV, MP3,
//! G.711) and transcribe them with whisper-rs into the case record (issue 6).
#![forbid(unsafe_code)]
