//! Escalations and the outbox.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::escalation::{
    Escalation, EscalationNext, FiredFollowUp, FiredStep, NewNotification, Notification,
    NotifyChannel,
};
use crate::followup::FollowUp;
use crate::ids::{CaseId, PersonId};
use crate::record::{AccessEntry, NewEvent};

/// Escalations and the outbox of notifications, claimed by the running instances.
#[async_trait]
pub trait EscalationStore: Send + Sync + std::fmt::Debug {
    // Escalation. A `PageRequested` event appended by `commit_step` or
    // `append_event` starts (or, at a new urgency, restarts) the case's
    // escalation in the same transaction: its first step is due at the
    // event's time.

    /// The escalation of a case, if it was ever paged.
    async fn escalation(&self, case: CaseId) -> Result<Option<Escalation>, StoreError>;

    /// Claims up to `limit` pending escalations due at `now` that no live
    /// worker holds, for `lease`. Two workers never get the same one.
    async fn claim_due_escalations(
        &self,
        now: DateTime<Utc>,
        worker: &str,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<Escalation>, StoreError>;

    /// When the next pending escalation step is due.
    async fn next_escalation_due(&self) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// Fires claimed steps, all in one transaction (one write to disk for
    /// a batch, which is what lets a burst of due steps keep up): for each,
    /// stores its notifications and events and moves its escalation to
    /// `next` — only if `worker` still holds the claim and the escalation is
    /// still at the claimed step. Returns, in order, whether each step
    /// fired; `false` when it was fenced out (nothing of it stored; the
    /// others are).
    async fn fire_escalations(
        &self,
        worker: &str,
        fired: &[FiredStep],
    ) -> Result<Vec<bool>, StoreError>;

    /// [`fire_escalations`](Self::fire_escalations) for one step.
    async fn fire_escalation(
        &self,
        claimed: &Escalation,
        worker: &str,
        next: EscalationNext,
        notifications: &[NewNotification],
        events: &[NewEvent],
    ) -> Result<bool, StoreError> {
        let one = FiredStep {
            claimed: claimed.clone(),
            next,
            notifications: notifications.to_vec(),
            events: events.to_vec(),
        };
        Ok(self
            .fire_escalations(worker, std::slice::from_ref(&one))
            .await?
            .pop()
            .unwrap_or(false))
    }

    /// Records an acknowledgement (or, with `decline`, a refusal) and stops
    /// (or hurries) a pending escalation. The event is stored even when nothing
    /// was pending any more: a late acknowledgement is still recorded.
    /// Returns whether a pending escalation was changed.
    async fn respond_to_page(
        &self,
        case: CaseId,
        event: &NewEvent,
        decline: bool,
    ) -> Result<bool, StoreError>;

    // Follow-ups after the advice (read-back, re-measure orders). Started
    // and ended by events appended with `commit_step` or `append_event`, in
    // the same transaction (see `akutlinje_core::followup`).

    /// Claims up to `limit` pending follow-ups due at `now`, like escalations.
    async fn claim_due_follow_ups(
        &self,
        now: DateTime<Utc>,
        worker: &str,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<FollowUp>, StoreError>;

    /// When the next pending follow-up is due.
    async fn next_follow_up_due(&self) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// Fires claimed follow-ups in one transaction, like
    /// [`fire_escalations`](Self::fire_escalations): each is moved to its
    /// `next` (stage, due) or ended, with its notifications and events —
    /// only if `worker` still holds the claim and it is still at the
    /// claimed stage. Returns, in order, whether each fired (`false`:
    /// fenced out).
    async fn fire_follow_ups(
        &self,
        worker: &str,
        fired: &[FiredFollowUp],
    ) -> Result<Vec<bool>, StoreError>;

    /// A case's follow-ups, running or ended.
    async fn follow_ups(&self, case: CaseId) -> Result<Vec<FollowUp>, StoreError>;

    /// The cases of `home` opened since `since` with a follow-up of `kind`
    /// still waiting (a re-measurement not given, advice not confirmed),
    /// the earliest due first: what a nurse who calls back is offered.
    async fn pending_follow_ups(
        &self,
        kind: crate::followup::FollowUpKind,
        home: &crate::ids::HomeId,
        since: DateTime<Utc>,
    ) -> Result<Vec<CaseId>, StoreError>;

    // The notification outbox.

    /// Claims up to `limit` pending notifications due at `now`.
    async fn claim_due_notifications(
        &self,
        now: DateTime<Utc>,
        worker: &str,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError>;

    /// When the next pending notification is due.
    async fn next_notification_due(&self) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// Claims up to `limit` pending notifications of one channel due at
    /// `now`: each channel is sent on its own, so a slow one holds up no other.
    async fn claim_due_notifications_on(
        &self,
        channel: NotifyChannel,
        now: DateTime<Utc>,
        worker: &str,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError>;

    /// When the next pending notification of a channel is due.
    async fn next_notification_due_on(
        &self,
        channel: NotifyChannel,
    ) -> Result<Option<DateTime<Utc>>, StoreError>;

    // Running instances.

    /// Registers (or re-registers) a running instance and beats its heart.
    async fn worker_heartbeat(&self, worker: &Worker, now: DateTime<Utc>)
        -> Result<(), StoreError>;

    /// The instances registered on a host.
    async fn workers_on(&self, host: &str) -> Result<Vec<Worker>, StoreError>;

    /// Releases every claim of the instances whose heart stopped before
    /// `stale_before`, and of `dead` (known dead, e.g. a gone process on this
    /// host): their escalation steps, notifications and transcriptions can
    /// be claimed again at once. Returns the released claims.
    async fn release_dead_workers(
        &self,
        stale_before: DateTime<Utc>,
        dead: &[String],
    ) -> Result<u64, StoreError>;

    /// Takes the lease on `role` for `holder` until `now + ttl`, or renews
    /// it: true while `holder` has it. Another holder's lease is taken only
    /// once it has run out, so one instance at a time plays the role.
    async fn hold_lease(
        &self,
        role: &str,
        holder: &str,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
    ) -> Result<bool, StoreError>;

    /// Gives a lease up (a clean shutdown): another instance may take the
    /// role at once.
    async fn release_lease(&self, role: &str, holder: &str) -> Result<(), StoreError>;

    /// Who holds the lease on `role`, and until when (also a run-out one).
    async fn lease_holder(&self, role: &str)
        -> Result<Option<(String, DateTime<Utc>)>, StoreError>;

    /// Marks a claimed notification sent and records `event` on its case,
    /// and `access` (the delivery showed the resident's data) in the access
    /// log, in one transaction.
    async fn notification_sent(
        &self,
        id: i64,
        worker: &str,
        external_id: Option<&str>,
        event: Option<&NewEvent>,
        access: Option<&AccessEntry>,
    ) -> Result<bool, StoreError>;

    /// Records a failed attempt: retried at `retry_at`, or failed for good
    /// (then `fallover`, if any, is queued on the next channel).
    async fn notification_failed(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        fallover: Option<&NewNotification>,
        event: Option<&NewEvent>,
    ) -> Result<bool, StoreError>;

    /// A case's notifications, oldest first.
    async fn notifications(&self, case: CaseId) -> Result<Vec<Notification>, StoreError>;

    /// Queues `notifications` unless the job `key` was done before; both in
    /// one transaction. Returns whether this call did it.
    async fn enqueue_once(
        &self,
        key: &str,
        notifications: &[NewNotification],
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// The case a person was most recently paged for.
    async fn latest_page_to(&self, person: &PersonId) -> Result<Option<CaseId>, StoreError>;

    /// The case and person of the page delivered with this channel id (a
    /// Matrix event id, a Twilio SID): what a reaction to a page refers to.
    async fn page_by_external_id(
        &self,
        external_id: &str,
    ) -> Result<Option<(CaseId, PersonId)>, StoreError>;

    /// The cases a person was paged for, newest first.
    async fn pages_to(&self, person: &PersonId, limit: u32) -> Result<Vec<CaseId>, StoreError>;
}

/// A running instance of the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worker {
    /// `host-pid-random`: unique per start, even when a container reuses pids.
    pub id: String,
    /// The machine.
    pub host: String,
    /// The process.
    pub pid: u32,
    /// When it started.
    pub started_at: DateTime<Utc>,
}
