//! The storage port: what the domain needs from a database.
//!
//! `akutlinje-store` implements it for SQLite and PostgreSQL; both pass the
//! same test suite. Methods that change the case record take everything that
//! belongs together (the input, the events it caused, the engine state) so an
//! implementation can store them in one transaction: nothing is acknowledged
//! to a caller before it is durably stored.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::escalation::{Escalation, EscalationNext, NewNotification, Notification, NotifyChannel};
use crate::ids::{CaseId, HomeId, MatrixRoomId, PersonId, ResidentId};
use crate::person::{Home, HomeRoom, Person};
use crate::record::{AccessEntry, CaseEvent, CaseStatus, CaseSummary, Channel, NewEvent};
use crate::resident::{Resident, Room};
use crate::rota::{OverrideSpec, RotaSpec, RotationId, RotationSpec, Service, ServiceId, SwapSpec};

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The same external id (Matrix event id, CallSid + step) was stored already.
    #[error("this input was already recorded")]
    Duplicate,
    #[error("{0} not found")]
    NotFound(&'static str),
    /// An import names a home that does not exist.
    #[error("unknown home {0}")]
    UnknownHome(HomeId),
    /// A uniqueness rule was broken (e.g. two residents in one room).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Stored data could not be read back (a bug or a hand-edited database).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error("database error")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Counts from an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct ImportSummary {
    pub created: usize,
    pub updated: usize,
}

/// A new case.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCase {
    pub id: CaseId,
    pub home: HomeId,
    pub opened_at: DateTime<Utc>,
    pub opened_by: Option<PersonId>,
    pub channel: Channel,
}

/// The storage port.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Whether the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    async fn upsert_home(&self, home: &Home) -> Result<(), StoreError>;
    async fn home(&self, id: &HomeId) -> Result<Option<Home>, StoreError>;
    async fn homes(&self) -> Result<Vec<Home>, StoreError>;

    /// Binds a Matrix room to a home (or moves it to another home).
    async fn bind_room(&self, room: &HomeRoom) -> Result<(), StoreError>;
    /// Unbinds a room; false if it was not bound.
    async fn unbind_room(&self, room: &MatrixRoomId) -> Result<bool, StoreError>;
    /// The home a room is bound to.
    async fn home_of_room(&self, room: &str) -> Result<Option<HomeId>, StoreError>;
    /// The bound rooms, of one home or all, by home and room.
    async fn home_rooms(&self, home: Option<&HomeId>) -> Result<Vec<HomeRoom>, StoreError>;

    async fn upsert_person(&self, person: &Person) -> Result<(), StoreError>;
    async fn person(&self, id: &PersonId) -> Result<Option<Person>, StoreError>;
    async fn people(&self) -> Result<Vec<Person>, StoreError>;
    /// The person with this Matrix user id, if any.
    async fn person_by_matrix_user(&self, user_id: &str) -> Result<Option<Person>, StoreError>;
    /// Stores the hash of a new API token for a person.
    async fn add_token(
        &self,
        person: &PersonId,
        token_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The person a (non-revoked) token hash belongs to.
    async fn person_by_token(&self, token_hash: &str) -> Result<Option<Person>, StoreError>;
    /// Revokes every token of a person; returns how many.
    async fn revoke_tokens(&self, person: &PersonId, at: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Creates or updates residents, all or nothing. A resident is matched by
    /// id; its treatment decisions are replaced, the old ones kept as superseded.
    async fn import_residents(
        &self,
        residents: &[Resident],
        at: DateTime<Utc>,
    ) -> Result<ImportSummary, StoreError>;
    async fn resident(&self, id: &ResidentId) -> Result<Option<Resident>, StoreError>;
    async fn residents_of_home(&self, home: &HomeId) -> Result<Vec<Resident>, StoreError>;
    /// Residents in a room, in *any* home (the caller filters and logs).
    async fn residents_in_room(&self, room: &Room) -> Result<Vec<Resident>, StoreError>;
    /// Residents whose name contains `needle` (case-insensitive), in any home.
    async fn residents_named(&self, needle: &str) -> Result<Vec<Resident>, StoreError>;

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
    async fn case(&self, case: CaseId) -> Result<Option<CaseSummary>, StoreError>;
    /// Cases, newest first, optionally of one home.
    async fn cases(
        &self,
        home: Option<&HomeId>,
        limit: u32,
    ) -> Result<Vec<CaseSummary>, StoreError>;
    async fn events(&self, case: CaseId) -> Result<Vec<CaseEvent>, StoreError>;

    async fn upsert_service(&self, service: &Service) -> Result<(), StoreError>;
    async fn services(&self) -> Result<Vec<Service>, StoreError>;
    async fn service(&self, id: &ServiceId) -> Result<Option<Service>, StoreError>;
    /// Creates or replaces a rotation (its members must be known people).
    async fn upsert_rotation(&self, rotation: &RotationSpec) -> Result<(), StoreError>;
    /// Removes a rotation and its swaps; false if there was none.
    async fn delete_rotation(&self, id: &RotationId) -> Result<bool, StoreError>;
    /// Stores an override (its `id` is ignored) and returns the new id.
    async fn add_override(&self, o: &OverrideSpec) -> Result<i64, StoreError>;
    async fn delete_override(&self, id: i64) -> Result<bool, StoreError>;
    /// Stores a swap (its `id` is ignored) and returns the new id.
    async fn add_swap(&self, s: &SwapSpec) -> Result<i64, StoreError>;
    async fn delete_swap(&self, id: i64) -> Result<bool, StoreError>;
    /// Everything that decides who is on call for a service.
    async fn rota(&self, service: &ServiceId) -> Result<RotaSpec, StoreError>;

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
    /// Fires a claimed step in one transaction: stores the notifications and
    /// events and moves the escalation to `next` — only if `worker` still holds
    /// the claim and the escalation is still at the claimed step. Returns the
    /// new notification ids, or `None` when fenced out (nothing stored).
    async fn fire_escalation(
        &self,
        claimed: &Escalation,
        worker: &str,
        next: EscalationNext,
        notifications: &[NewNotification],
        events: &[NewEvent],
    ) -> Result<Option<Vec<i64>>, StoreError>;
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

    // Web log-in.

    /// Stores a password hash (made by the caller, e.g. argon2) and ends
    /// every session of the person (a changed password signs out everywhere).
    async fn set_password_hash(
        &self,
        person: &PersonId,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn password_hash(&self, person: &PersonId) -> Result<Option<String>, StoreError>;
    /// Stores the hash of a person's phone PIN (made by the caller, argon2).
    async fn set_person_pin(
        &self,
        person: &PersonId,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Stores the hash of a home's shared phone PIN.
    async fn set_home_pin(
        &self,
        home: &HomeId,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The PIN hash a caller is checked against: their own, else their home's.
    async fn pin_hash(
        &self,
        person: &PersonId,
        home: Option<&HomeId>,
    ) -> Result<Option<String>, StoreError>;
    /// Counts a log-in attempt on each throttle key *before* the password
    /// is verified, atomically, so parallel guesses all count: a key whose
    /// previous failures still hold it back (`next_allowed_at` later than
    /// `now`) is not counted and the attempt is refused with that time.
    /// Otherwise every key's count grows by one (counts older than the
    /// rule's window start again) and its next attempt is held back by the
    /// rule's growing delay. A good password then calls [`Store::login_succeeded`].
    async fn login_attempt(
        &self,
        keys: &[(String, crate::person::ThrottleRule)],
        now: DateTime<Utc>,
    ) -> Result<LoginGate, StoreError>;
    /// A good log-in from `source`: the throttle keys start again and the
    /// source is remembered as one this person uses.
    async fn login_succeeded(
        &self,
        person: &PersonId,
        source: &str,
        reset: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Whether `person` logged in successfully from `source` since `since`.
    async fn known_login_source(
        &self,
        person: &PersonId,
        source: &str,
        since: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Stores a session: only a hash of the cookie value is kept.
    async fn create_session(
        &self,
        id_hash: &str,
        person: &PersonId,
        csrf: &str,
        created: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The person and CSRF token of a live session.
    async fn session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(Person, String)>, StoreError>;
    async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError>;

    /// Stores a calendar feed token hash for a person or a service.
    async fn add_calendar_feed(
        &self,
        token_hash: &str,
        feed: &CalendarFeed,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// What a live feed token shows.
    async fn calendar_feed(&self, token_hash: &str) -> Result<Option<CalendarFeed>, StoreError>;
    /// Revokes every feed of a person or service; returns how many.
    async fn revoke_calendar_feeds(
        &self,
        feed: &CalendarFeed,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Queues `notifications` unless the job `key` was done before; both in
    /// one transaction. Returns whether this call did it.
    async fn enqueue_once(
        &self,
        key: &str,
        notifications: &[NewNotification],
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Links a case to the Matrix thread that holds its conversation.
    async fn link_matrix_thread(
        &self,
        room: &str,
        root_event: &str,
        case: CaseId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The case of a Matrix thread.
    async fn case_of_matrix_thread(
        &self,
        room: &str,
        root_event: &str,
    ) -> Result<Option<CaseId>, StoreError>;

    /// Marks the bot's current question in a case thread (`None`: none open).
    async fn set_matrix_prompt(
        &self,
        room: &str,
        root_event: &str,
        prompt_event: Option<&str>,
    ) -> Result<(), StoreError>;
    /// The case and thread root whose current question is `prompt_event`;
    /// the question stops being current (a second answer to it is refused).
    async fn take_matrix_prompt(
        &self,
        room: &str,
        prompt_event: &str,
    ) -> Result<Option<(CaseId, String)>, StoreError>;

    /// The Matrix thread (room, root event) of a case, if it has one.
    async fn matrix_thread_of_case(
        &self,
        case: CaseId,
    ) -> Result<Option<(String, String)>, StoreError>;
    /// The case a person was most recently paged for.
    async fn latest_page_to(&self, person: &PersonId) -> Result<Option<CaseId>, StoreError>;
    /// The case and person of the page delivered with this channel id (a
    /// Matrix event id, a Twilio SID): what a reaction to a page refers to.
    async fn page_by_external_id(
        &self,
        external_id: &str,
    ) -> Result<Option<(CaseId, PersonId)>, StoreError>;

    /// Stores a recording with its case and the event recording that
    /// (`event.kind` is [`crate::record::EventKind::AudioAttached`]; its `attachment` is
    /// set to the new id here), in one transaction. Returns (attachment, seq).
    async fn attach(
        &self,
        case: CaseId,
        attachment: &NewAttachment,
        event: &NewEvent,
    ) -> Result<(i64, i64), StoreError>;
    /// A stored recording.
    async fn attachment(&self, id: i64) -> Result<Option<Attachment>, StoreError>;

    /// The person with this phone number. `phone` is E.164 (`+4520000012`);
    /// stored numbers match with their spaces and dashes ignored.
    async fn person_by_phone(&self, phone: &str) -> Result<Option<Person>, StoreError>;
    /// Whether a page of `case` was ever sent (queued) to `person`.
    async fn was_paged(&self, case: CaseId, person: &PersonId) -> Result<bool, StoreError>;
    /// The access log of one resident, oldest first, between `from` and
    /// `to` (inclusive, either open): the patient's right to see who read
    /// their record.
    async fn access_log_of(
        &self,
        resident: &ResidentId,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<AccessEntry>, StoreError>;
    /// The cases a person was paged for, newest first.
    async fn pages_to(&self, person: &PersonId, limit: u32) -> Result<Vec<CaseId>, StoreError>;
    /// The answer already given to a carrier's webhook (its SID and the step
    /// of the call or message), if any: a retried webhook gets the same one.
    async fn webhook_answer(&self, sid: &str, step: &str) -> Result<Option<String>, StoreError>;
    /// Stores the answer to a webhook. If another answer was stored first
    /// (a retry racing the original), that one is returned and kept.
    async fn save_webhook_answer(
        &self,
        sid: &str,
        step: &str,
        answer: &str,
        at: DateTime<Utc>,
    ) -> Result<String, StoreError>;
    /// Records a telephone call leg, or updates its status and case.
    async fn upsert_call(&self, call: &CallLeg) -> Result<(), StoreError>;
    /// A call leg by its SID.
    async fn call(&self, sid: &str) -> Result<Option<CallLeg>, StoreError>;
    /// The call legs of a case, oldest first.
    async fn calls_of_case(&self, case: CaseId) -> Result<Vec<CallLeg>, StoreError>;

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

    /// Deletes what is kept only for a while: webhook answers (they hold
    /// spoken resident cards) stored before `webhook_answers_before`, web
    /// sessions expired at `now`, and log-in throttle counts a day old.
    async fn purge_expired(
        &self,
        now: DateTime<Utc>,
        webhook_answers_before: DateTime<Utc>,
    ) -> Result<Purged, StoreError>;
}

/// Whether a log-in attempt may go on to the password check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginGate {
    /// Counted; verify the password.
    Go,
    /// Too many failures on `key`: try again at `until` (nothing was counted).
    Wait { until: DateTime<Utc>, key: String },
}

/// A running instance of the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worker {
    /// `host-pid-random`: unique per start, even when a container reuses pids.
    pub id: String,
    pub host: String,
    pub pid: u32,
    pub started_at: DateTime<Utc>,
}

/// What [`Store::purge_expired`] deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Purged {
    pub webhook_answers: u64,
    pub sessions: u64,
    /// Log-in throttle counts nobody added to for a day.
    pub login_throttles: u64,
}

/// Who is on a telephone call leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallRole {
    /// Staff (or an unknown number) calling the hotline.
    Caller,
    /// A physician called by a voice page.
    Physician,
}

impl CallRole {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            CallRole::Caller => "caller",
            CallRole::Physician => "physician",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Option<CallRole> {
        [CallRole::Caller, CallRole::Physician]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// One leg of a telephone call (Twilio's CallSid), and what it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallLeg {
    pub sid: String,
    pub role: CallRole,
    pub case: Option<CaseId>,
    /// The known person on the leg; `None` for an unknown caller.
    pub person: Option<PersonId>,
    /// The voice page this leg delivers.
    pub notification: Option<i64>,
    /// The carrier's last reported status (`ringing`, `in-progress`, `completed`, ...).
    pub status: String,
    pub at: DateTime<Utc>,
}

/// A voice note waiting to be transcribed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptionJob {
    pub attachment: i64,
    pub case: CaseId,
    /// Claims so far, this one included.
    pub attempts: u32,
}

/// A recording (or other file) to store with a case.
#[derive(Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub mime: String,
    pub data: Vec<u8>,
    /// The channel's id for it (a Matrix event id): stored once.
    pub external_id: Option<String>,
}

impl std::fmt::Debug for NewAttachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The bytes are patient data.
        f.debug_struct("NewAttachment")
            .field("mime", &self.mime)
            .field("bytes", &self.data.len())
            .finish_non_exhaustive()
    }
}

/// A stored recording.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    pub id: i64,
    pub case: CaseId,
    pub mime: String,
    pub data: Vec<u8>,
    /// Hex SHA-256 of `data`, checked on read.
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("id", &self.id)
            .field("case", &self.case)
            .field("mime", &self.mime)
            .field("bytes", &self.data.len())
            .finish_non_exhaustive()
    }
}

/// What a calendar feed shows: one person's shifts, or a whole service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarFeed {
    Person(PersonId),
    Service(ServiceId),
}

/// The status stored with a case after `events` are appended to one in `prev`.
pub fn status_after(prev: CaseStatus, events: &[NewEvent]) -> CaseStatus {
    events.iter().fold(prev, |s, e| s.apply(&e.kind))
}
