//! Health and clean-up.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;

/// Health and clean-up across the tables.
#[async_trait]
pub trait UpkeepStore: Send + Sync + std::fmt::Debug {
    /// Whether the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Deletes what is kept only for a while: webhook answers (they hold
    /// spoken resident cards) stored before `webhook_answers_before`, web
    /// sessions expired at `now`, and log-in throttle counts a day old.
    async fn purge_expired(
        &self,
        now: DateTime<Utc>,
        webhook_answers_before: DateTime<Utc>,
    ) -> Result<Purged, StoreError>;

    /// How much work waits, for the metrics: the outbox by channel, the
    /// escalation steps and the transcriptions.
    async fn work_queues(&self) -> Result<WorkQueues, StoreError>;
}

/// What waits in the work tables (see [`UpkeepStore::work_queues`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkQueues {
    /// Pending notifications per channel (`matrix`, `sms`, …): how many,
    /// and when the oldest was stored.
    pub outbox: Vec<(String, u64, DateTime<Utc>)>,
    /// Pending escalation steps, and when the earliest is due.
    pub escalations: (u64, Option<DateTime<Utc>>),
    /// Voice notes waiting to be transcribed.
    pub transcriptions: u64,
}

/// What [`UpkeepStore::purge_expired`] deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Purged {
    /// Stored webhook answers past their day.
    pub webhook_answers: u64,
    /// Expired web sessions.
    pub sessions: u64,
    /// Log-in throttle counts nobody added to for a day.
    pub login_throttles: u64,
}
