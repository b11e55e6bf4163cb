//! The case record and the access log.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::ids::{CaseId, HomeId, PersonId, ResidentId};
use crate::record::{AccessEntry, CaseEvent, CaseStatus, CaseSummary, Channel, NewEvent};

/// The case record and the access log: append-only, each change in one transaction.
#[async_trait]
pub trait RecordStore: Send + Sync + std::fmt::Debug {
    /// Writes one access-log entry.
    async fn log_access(&self, entry: &AccessEntry) -> Result<(), StoreError>;

    /// The access log, newest first, optionally for one resident.
    async fn access_log(
        &self,
        resident: Option<&ResidentId>,
        limit: u32,
    ) -> Result<Vec<AccessEntry>, StoreError>;

    /// Creates a case with its first events and engine state, in one transaction.
    async fn create_case(
        &self,
        case: &NewCase,
        events: &[NewEvent],
        state: &serde_json::Value,
    ) -> Result<(), StoreError>;

    /// Appends events and replaces the engine state, in one transaction, if
    /// the state is still at `version` (else [`StoreError::Conflict`]).
    /// Fails with [`StoreError::Duplicate`] (storing nothing) if an event's
    /// external id was stored for this case before.
    async fn commit_step(
        &self,
        case: CaseId,
        version: i64,
        events: &[NewEvent],
        state: &serde_json::Value,
    ) -> Result<Vec<i64>, StoreError>;

    /// Appends one event (a note or a correction) outside the checklist.
    async fn append_event(&self, case: CaseId, event: &NewEvent) -> Result<i64, StoreError>;

    /// The engine state and its version.
    async fn case_state(
        &self,
        case: CaseId,
    ) -> Result<Option<(serde_json::Value, i64)>, StoreError>;

    /// The engine state of a case, with its version: the one place the
    /// stored JSON is turned back into the engine's state.
    async fn engine_state(
        &self,
        case: CaseId,
    ) -> Result<Option<(crate::engine::CaseState, i64)>, StoreError> {
        let Some((json, version)) = self.case_state(case).await? else {
            return Ok(None);
        };
        let state = serde_json::from_value(json)
            .map_err(|e| StoreError::Corrupt(format!("case {case} state: {e}")))?;
        Ok(Some((state, version)))
    }

    /// A case's summary.
    async fn case(&self, case: CaseId) -> Result<Option<CaseSummary>, StoreError>;

    /// Cases, newest first, optionally of one home.
    async fn cases(
        &self,
        home: Option<&HomeId>,
        limit: u32,
    ) -> Result<Vec<CaseSummary>, StoreError>;

    /// Every case of `home` (or of every home) opened at or after `since`,
    /// newest first, each with its events in record order: one query for
    /// the pilot's figures, however many cases.
    async fn cases_with_events(
        &self,
        home: Option<&HomeId>,
        since: DateTime<Utc>,
    ) -> Result<Vec<(CaseSummary, Vec<CaseEvent>)>, StoreError>;

    /// A case's events in record order.
    async fn events(&self, case: CaseId) -> Result<Vec<CaseEvent>, StoreError>;

    /// Whether a page of `case` was ever sent (queued) to `person`.
    async fn was_paged(&self, case: CaseId, person: &PersonId) -> Result<bool, StoreError>;

    /// The video room of a case, if one was made.
    async fn video_room(&self, case: CaseId) -> Result<Option<String>, StoreError>;

    /// Stores a personal video link (`token` → case, person, room).
    async fn add_video_link(
        &self,
        token: &str,
        case: CaseId,
        person: Option<&PersonId>,
        room: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The case, person and room of a video link.
    async fn video_link(
        &self,
        token: &str,
    ) -> Result<Option<(CaseId, Option<PersonId>, String)>, StoreError>;

    /// The access log of one resident, oldest first, between `from` and
    /// `to` (inclusive, either open): the patient's right to see who read
    /// their record.
    async fn access_log_of(
        &self,
        resident: &ResidentId,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<AccessEntry>, StoreError>;
}

/// A new case.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCase {
    /// The case's id (from the channel, so a retry finds it).
    pub id: CaseId,
    /// The home.
    pub home: HomeId,
    /// When.
    pub opened_at: DateTime<Utc>,
    /// Who, if known.
    pub opened_by: Option<PersonId>,
    /// Through which channel.
    pub channel: Channel,
}

/// The status stored with a case after `events` are appended to one in `prev`.
pub fn status_after(prev: CaseStatus, events: &[NewEvent]) -> CaseStatus {
    events.iter().fold(prev, |s, e| s.apply(&e.kind))
}
