//! The transcription queue.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::escalation::NewNotification;
use crate::ids::CaseId;
use crate::record::NewEvent;

/// The queue of voice notes to transcribe.
#[async_trait]
pub trait TranscriptionStore: Send + Sync + std::fmt::Debug {
    /// Claims up to `limit` voice notes waiting for transcription (queued by
    /// [`Store::attach`] in the same transaction as the recording), for
    /// `lease`. A job whose worker died is claimed again once its lease ran
    /// out; each claim counts as an attempt.
    async fn claim_transcriptions(
        &self,
        now: DateTime<Utc>,
        worker: &str,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<TranscriptionJob>, StoreError>;

    /// Extends a claim the worker still holds (a long note); false if lost.
    async fn extend_transcription(
        &self,
        attachment: i64,
        worker: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Records the result (a `Transcribed` or `TranscriptionFailed` event)
    /// and queues `notifications`, in one transaction, if `worker` still
    /// holds the claim; the job is then done. Returns the event's seq, or
    /// None when the claim was lost (another worker will or did finish it).
    async fn finish_transcription(
        &self,
        attachment: i64,
        worker: &str,
        event: &NewEvent,
        notifications: &[NewNotification],
    ) -> Result<Option<i64>, StoreError>;

    /// Gives a claimed job back, to be tried again from `due` (the model was
    /// not ready, the database hiccuped).
    async fn release_transcription(
        &self,
        attachment: i64,
        worker: &str,
        due: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// How many voice notes wait for transcription (for health and figures).
    async fn transcriptions_pending(&self) -> Result<u64, StoreError>;
}

/// A voice note waiting to be transcribed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptionJob {
    /// The recording.
    pub attachment: i64,
    /// Its case.
    pub case: CaseId,
    /// Claims so far, this one included.
    pub attempts: u32,
}
