//! Rows as the database returns them (`sqlx::FromRow`, the same for both
//! backends), and their conversion into domain types.
//!
//! Key design decision: a stored value that no longer parses is
//! [`StoreError::Corrupt`] naming the column, never a silent default — except
//! where a field has always been optional in meaning (an author who has
//! since been renamed, a note that no longer fits): those keep reading as
//! `None`, as they did before row types existed.

use std::fmt::Display;
use std::str::FromStr;

use akutlinje_core::engine::Urgency;
use akutlinje_core::escalation::{
    Escalation, EscalationState, NewNotification, Notification, NotificationKind,
    NotificationStatus, NotifyChannel,
};
use akutlinje_core::followup::{FollowUp, FollowUpKind};
use akutlinje_core::ids::{CaseId, HomeId, MatrixRoomId, PersonId, ResidentId, Text};
use akutlinje_core::person::{Home, HomeRoom, Person, Role};
use akutlinje_core::phone::PhoneNumber;
use akutlinje_core::record::{
    AccessAction, AccessEntry, Author, CaseEvent, CaseStatus, CaseSummary, Channel, EventKind,
    NewEvent,
};
use akutlinje_core::resident::{
    Cognition, Contact, DecisionKind, Resident, Room, TreatmentDecision,
};
use akutlinje_core::rota::{OverrideSpec, RotationSpec, Service, SwapSpec, TierId};
use akutlinje_core::store::{
    Attachment, CalendarFeed, CallLeg, CallRole, StoreError, TranscriptionJob, Worker,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;

/// A column whose value does not parse.
fn bad(col: &str, e: impl Display) -> StoreError {
    StoreError::Corrupt(format!("{col}: {e}"))
}

/// A column that names something this program does not know.
fn known<T>(col: &str, value: &str, parsed: Option<T>) -> Result<T, StoreError> {
    parsed.ok_or_else(|| StoreError::Corrupt(format!("{col} {value}")))
}

/// An id column.
fn id<T: FromStr>(col: &str, value: &str) -> Result<T, StoreError>
where
    T::Err: Display,
{
    value.parse().map_err(|e| bad(col, e))
}

fn case_id(col: &str, value: &str) -> Result<CaseId, StoreError> {
    known(col, value, CaseId::parse(value))
}

/// A count stored as a signed integer.
fn count<T: TryFrom<i64>>(col: &str, value: impl Into<i64>) -> Result<T, StoreError>
where
    T::Error: Display,
{
    T::try_from(value.into()).map_err(|e| bad(col, e))
}

/// Resident fields kept as one JSON column: read together, never searched.
#[derive(Serialize, Deserialize)]
pub(crate) struct Details {
    pub diagnoses: Vec<Text>,
    pub allergies: Vec<Text>,
    pub contact: Option<Contact>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct AlternativeRow {
    kind: String,
    name: String,
    phone: String,
    hours: String,
    services: String,
}

impl TryFrom<AlternativeRow> for akutlinje_core::alternatives::Alternative {
    type Error = StoreError;
    fn try_from(r: AlternativeRow) -> Result<Self, StoreError> {
        use akutlinje_core::alternatives::AlternativeKind;
        Ok(Self {
            kind: known("alternative kind", &r.kind, AlternativeKind::parse(&r.kind))?,
            name: Text::parse("name", &r.name, 200).map_err(|e| bad("name", e))?,
            phone: PhoneNumber::parse(&r.phone).map_err(|e| bad("phone", e))?,
            hours: Text::parse("hours", &r.hours, 200).map_err(|e| bad("hours", e))?,
            services: Text::parse("services", &r.services, 500).map_err(|e| bad("services", e))?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct HomeRow {
    id: String,
    name: String,
}

impl TryFrom<HomeRow> for Home {
    type Error = StoreError;
    fn try_from(r: HomeRow) -> Result<Home, StoreError> {
        Ok(Home {
            id: id("home id", &r.id)?,
            name: r.name,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct HomeRoomRow {
    room_id: String,
    home_id: String,
    bound_by: Option<String>,
    bound_at: DateTime<Utc>,
}

impl TryFrom<HomeRoomRow> for HomeRoom {
    type Error = StoreError;
    fn try_from(r: HomeRoomRow) -> Result<HomeRoom, StoreError> {
        Ok(HomeRoom {
            room: MatrixRoomId::parse(&r.room_id).map_err(|e| bad("room_id", e))?,
            home: id("home_id", &r.home_id)?,
            bound_by: r.bound_by.and_then(|p| PersonId::parse(&p).ok()),
            bound_at: r.bound_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PersonRow {
    id: String,
    name: String,
    role: String,
    home_id: Option<String>,
    phone: Option<String>,
    matrix_user: Option<String>,
}

impl TryFrom<PersonRow> for Person {
    type Error = StoreError;
    fn try_from(r: PersonRow) -> Result<Person, StoreError> {
        Ok(Person {
            id: id("person id", &r.id)?,
            name: Text::parse("name", &r.name, 200).map_err(|e| bad("name", e))?,
            role: known("role", &r.role, Role::parse(&r.role))?,
            home: r.home_id.map(|h| id("home_id", &h)).transpose()?,
            // Free text before numbers were parsed: one that does not parse
            // is no number to call or match (as it never matched a caller).
            phone: r.phone.and_then(|p| PhoneNumber::parse(&p).ok()),
            matrix_user: r.matrix_user,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ResidentRow {
    pub id: String,
    home_id: String,
    room: String,
    name: String,
    born: Option<NaiveDate>,
    baseline_cognition: String,
    spo2_scale2: bool,
    details: Json<Details>,
}

impl ResidentRow {
    /// The resident with the decisions read beside it.
    pub(crate) fn with(self, decisions: Vec<TreatmentDecision>) -> Result<Resident, StoreError> {
        let Json(details) = self.details;
        Ok(Resident {
            id: ResidentId::parse(&self.id).map_err(|e| bad("resident id", e))?,
            home: id("home_id", &self.home_id)?,
            room: known("room", &self.room, Room::parse(&self.room))?,
            name: Text::parse("name", &self.name, 200).map_err(|e| bad("name", e))?,
            born: self.born,
            baseline_cognition: Cognition::parse(&self.baseline_cognition)
                .unwrap_or(Cognition::Unknown),
            diagnoses: details.diagnoses,
            allergies: details.allergies,
            contact: details.contact,
            spo2_scale2: self.spo2_scale2,
            decisions,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct DecisionRow {
    kind: String,
    note: Option<String>,
    recorded_by: String,
    recorded_on: NaiveDate,
}

impl TryFrom<DecisionRow> for TreatmentDecision {
    type Error = StoreError;
    fn try_from(r: DecisionRow) -> Result<TreatmentDecision, StoreError> {
        Ok(TreatmentDecision {
            kind: known("decision kind", &r.kind, DecisionKind::parse(&r.kind))?,
            note: r.note.and_then(|n| Text::parse("note", &n, 4000).ok()),
            recorded_by: Text::parse("recorded_by", &r.recorded_by, 200)
                .map_err(|e| bad("recorded_by", e))?,
            recorded_on: r.recorded_on,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AccessRow {
    at: DateTime<Utc>,
    person_id: Option<String>,
    resident_id: String,
    case_id: Option<String>,
    action: String,
    channel: Option<String>,
    detail: Option<String>,
}

impl TryFrom<AccessRow> for AccessEntry {
    type Error = StoreError;
    fn try_from(r: AccessRow) -> Result<AccessEntry, StoreError> {
        Ok(AccessEntry {
            at: r.at,
            person: r.person_id.and_then(|p| PersonId::parse(&p).ok()),
            resident: id("resident_id", &r.resident_id)?,
            case: r.case_id.and_then(|c| CaseId::parse(&c)),
            action: match r.action.as_str() {
                "read" => AccessAction::Read,
                "denied" => AccessAction::Denied,
                other => return Err(StoreError::Corrupt(format!("access action {other}"))),
            },
            channel: r.channel.and_then(|c| Channel::parse(&c)),
            detail: r.detail,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CaseRow {
    id: String,
    home_id: String,
    opened_at: DateTime<Utc>,
    opened_by: Option<String>,
    channel: String,
    resident_id: Option<String>,
    urgency: Option<String>,
    status: String,
}

impl TryFrom<CaseRow> for CaseSummary {
    type Error = StoreError;
    fn try_from(r: CaseRow) -> Result<CaseSummary, StoreError> {
        Ok(CaseSummary {
            id: case_id("case id", &r.id)?,
            home: id("home_id", &r.home_id)?,
            opened_at: r.opened_at,
            opened_by: r.opened_by.and_then(|b| PersonId::parse(&b).ok()),
            channel: known("channel", &r.channel, Channel::parse(&r.channel))?,
            resident: r.resident_id.and_then(|x| ResidentId::parse(&x).ok()),
            urgency: r.urgency.and_then(|u| Urgency::parse(&u)),
            status: status(&r.status)?,
        })
    }
}

/// A case's stored status.
pub(crate) fn status(value: &str) -> Result<CaseStatus, StoreError> {
    known("status", value, CaseStatus::parse(value))
}

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    seq: i64,
    at: DateTime<Utc>,
    author_person: Option<String>,
    author_role: Option<String>,
    channel: String,
    payload: Json<EventKind>,
    corrects: Option<i64>,
    external_id: Option<String>,
}

impl EventRow {
    /// The event of `case`.
    pub(crate) fn of(self, case: CaseId) -> Result<CaseEvent, StoreError> {
        Ok(CaseEvent {
            seq: self.seq,
            case,
            event: NewEvent {
                at: self.at,
                author: Author {
                    person: self.author_person.and_then(|p| PersonId::parse(&p).ok()),
                    role: self.author_role.and_then(|x| Role::parse(&x)),
                },
                channel: known("channel", &self.channel, Channel::parse(&self.channel))?,
                kind: self.payload.0,
                corrects: self.corrects,
                external_id: self.external_id,
            },
        })
    }
}

/// A case joined with one of its events (none: a case without events).
#[derive(sqlx::FromRow)]
pub(crate) struct CaseEventsRow {
    #[sqlx(flatten)]
    case: CaseRow,
    seq: Option<i64>,
    at: Option<DateTime<Utc>>,
    author_person: Option<String>,
    author_role: Option<String>,
    event_channel: Option<String>,
    payload: Option<Json<EventKind>>,
    corrects: Option<i64>,
    external_id: Option<String>,
}

impl CaseEventsRow {
    /// The rows of a join ordered by case, then event, as cases with their
    /// events.
    pub(crate) fn group(
        rows: Vec<CaseEventsRow>,
    ) -> Result<Vec<(CaseSummary, Vec<CaseEvent>)>, StoreError> {
        let mut out: Vec<(CaseSummary, Vec<CaseEvent>)> = Vec::new();
        for r in rows {
            let case = CaseSummary::try_from(r.case)?;
            if out.last().is_none_or(|(c, _)| c.id != case.id) {
                out.push((case.clone(), Vec::new()));
            }
            let (Some(seq), Some(at), Some(channel), Some(payload)) =
                (r.seq, r.at, r.event_channel, r.payload)
            else {
                continue;
            };
            let event = EventRow {
                seq,
                at,
                author_person: r.author_person,
                author_role: r.author_role,
                channel,
                payload,
                corrects: r.corrects,
                external_id: r.external_id,
            }
            .of(case.id)?;
            if let Some((_, events)) = out.last_mut() {
                events.push(event);
            }
        }
        Ok(out)
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ServiceRow {
    id: String,
    name: String,
    tiers: Json<Vec<String>>,
}

impl TryFrom<ServiceRow> for Service {
    type Error = StoreError;
    fn try_from(r: ServiceRow) -> Result<Service, StoreError> {
        Ok(Service {
            id: id("service id", &r.id)?,
            name: r.name,
            tiers: r
                .tiers
                .0
                .iter()
                .map(|t| TierId::parse(t))
                .collect::<Result<_, _>>()
                .map_err(|e| bad("tiers", e))?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RotationRow {
    id: String,
    service_id: String,
    tier: String,
    layer: i32,
    members: Json<Vec<String>>,
    shift_start: String,
    shift_minutes: i32,
    anchor: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
}

impl TryFrom<RotationRow> for RotationSpec {
    type Error = StoreError;
    fn try_from(r: RotationRow) -> Result<RotationSpec, StoreError> {
        Ok(RotationSpec {
            id: id("rotation id", &r.id)?,
            service: id("service_id", &r.service_id)?,
            tier: id("tier", &r.tier)?,
            layer: count("layer", r.layer)?,
            members: r
                .members
                .0
                .iter()
                .map(|m| PersonId::parse(m))
                .collect::<Result<_, _>>()
                .map_err(|e| bad("members", e))?,
            shift_start: r.shift_start,
            shift_minutes: count("shift_minutes", r.shift_minutes)?,
            anchor: r.anchor,
            until: r.until,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct OverrideRow {
    id: i64,
    service_id: String,
    tier: String,
    person_id: String,
    replaces: Option<String>,
    from_at: DateTime<Utc>,
    to_at: DateTime<Utc>,
}

impl TryFrom<OverrideRow> for OverrideSpec {
    type Error = StoreError;
    fn try_from(r: OverrideRow) -> Result<OverrideSpec, StoreError> {
        Ok(OverrideSpec {
            id: r.id,
            service: id("service_id", &r.service_id)?,
            tier: id("tier", &r.tier)?,
            person: id("person_id", &r.person_id)?,
            replaces: r.replaces.and_then(|p| PersonId::parse(&p).ok()),
            from: r.from_at,
            to: r.to_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SwapRow {
    id: i64,
    rotation_id: String,
    person_a: String,
    shift_a: DateTime<Utc>,
    person_b: String,
    shift_b: DateTime<Utc>,
}

impl TryFrom<SwapRow> for SwapSpec {
    type Error = StoreError;
    fn try_from(r: SwapRow) -> Result<SwapSpec, StoreError> {
        Ok(SwapSpec {
            id: r.id,
            rotation: id("rotation_id", &r.rotation_id)?,
            a: id("person_a", &r.person_a)?,
            a_shift: r.shift_a,
            b: id("person_b", &r.person_b)?,
            b_shift: r.shift_b,
        })
    }
}

/// The columns of a follow-up, as [`FollowUpRow`] reads them.
pub(crate) const FOLLOW_UP_COLUMNS: &str =
    "case_id, kind, stage, due_at, state, started_at, person_id";

#[derive(sqlx::FromRow)]
pub(crate) struct FollowUpRow {
    case_id: String,
    kind: String,
    stage: i32,
    due_at: DateTime<Utc>,
    state: String,
    started_at: DateTime<Utc>,
    person_id: Option<String>,
}

impl TryFrom<FollowUpRow> for FollowUp {
    type Error = StoreError;
    fn try_from(r: FollowUpRow) -> Result<FollowUp, StoreError> {
        Ok(FollowUp {
            case: case_id("follow-up case", &r.case_id)?,
            kind: known("follow-up kind", &r.kind, FollowUpKind::parse(&r.kind))?,
            stage: count("stage", r.stage)?,
            due_at: r.due_at,
            started_at: r.started_at,
            person: r.person_id.and_then(|p| PersonId::parse(&p).ok()),
            pending: r.state == "pending",
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EscalationRow {
    case_id: String,
    urgency: String,
    step: i32,
    round: i32,
    due_at: DateTime<Utc>,
    state: String,
}

impl TryFrom<EscalationRow> for Escalation {
    type Error = StoreError;
    fn try_from(r: EscalationRow) -> Result<Escalation, StoreError> {
        Ok(Escalation {
            case: case_id("escalation case", &r.case_id)?,
            urgency: known("urgency", &r.urgency, Urgency::parse(&r.urgency))?,
            step: count("step", r.step)?,
            round: count("round", r.round)?,
            due_at: r.due_at,
            state: known("state", &r.state, EscalationState::parse(&r.state))?,
        })
    }
}

/// The columns of a notification, as [`NotificationRow`] reads them.
pub(crate) const NOTIFICATION_COLUMNS: &str = "id, case_id, person_id, kind, channel, fallback, \
     body, status, attempts, next_attempt_at, last_error, external_id";

#[derive(sqlx::FromRow)]
pub(crate) struct NotificationRow {
    id: i64,
    case_id: Option<String>,
    person_id: String,
    kind: String,
    channel: String,
    fallback: Json<Vec<String>>,
    body: String,
    status: String,
    attempts: i32,
    next_attempt_at: DateTime<Utc>,
    last_error: Option<String>,
    external_id: Option<String>,
}

impl TryFrom<NotificationRow> for Notification {
    type Error = StoreError;
    fn try_from(r: NotificationRow) -> Result<Notification, StoreError> {
        Ok(Notification {
            id: r.id,
            new: NewNotification {
                case: r.case_id.and_then(|c| CaseId::parse(&c)),
                person: PersonId::parse(&r.person_id).map_err(|e| bad("person_id", e))?,
                kind: known("kind", &r.kind, NotificationKind::parse(&r.kind))?,
                channel: known("channel", &r.channel, NotifyChannel::parse(&r.channel))?,
                fallback: r
                    .fallback
                    .0
                    .iter()
                    .filter_map(|c| NotifyChannel::parse(c))
                    .collect(),
                text: r.body,
                not_before: r.next_attempt_at,
            },
            status: known("status", &r.status, NotificationStatus::parse(&r.status))?,
            attempts: count("attempts", r.attempts)?,
            last_error: r.last_error,
            external_id: r.external_id,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct WorkerRow {
    id: String,
    host: String,
    pid: i64,
    started_at: DateTime<Utc>,
}

impl TryFrom<WorkerRow> for Worker {
    type Error = StoreError;
    fn try_from(r: WorkerRow) -> Result<Worker, StoreError> {
        Ok(Worker {
            id: r.id,
            host: r.host,
            pid: count("pid", r.pid)?,
            started_at: r.started_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CallRow {
    sid: String,
    role: String,
    case_id: Option<String>,
    person_id: Option<String>,
    notification_id: Option<i64>,
    status: String,
    updated_at: DateTime<Utc>,
}

impl TryFrom<CallRow> for CallLeg {
    type Error = StoreError;
    fn try_from(r: CallRow) -> Result<CallLeg, StoreError> {
        Ok(CallLeg {
            sid: r.sid,
            role: known("call role", &r.role, CallRole::parse(&r.role))?,
            case: r.case_id.map(|c| case_id("call case id", &c)).transpose()?,
            person: r.person_id.map(|p| id("call person id", &p)).transpose()?,
            notification: r.notification_id,
            status: r.status,
            at: r.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AttachmentRow {
    id: i64,
    case_id: String,
    mime: String,
    data: Vec<u8>,
    sha256: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<AttachmentRow> for Attachment {
    type Error = StoreError;
    fn try_from(r: AttachmentRow) -> Result<Attachment, StoreError> {
        // A recording is evidence: bytes that changed since they were
        // stored are refused, not played.
        if crate::sha256_hex(&r.data) != r.sha256 {
            return Err(StoreError::Corrupt(format!(
                "attachment {}: checksum mismatch",
                r.id
            )));
        }
        Ok(Attachment {
            id: r.id,
            case: case_id("attachment case id", &r.case_id)?,
            mime: r.mime,
            data: r.data,
            sha256: r.sha256,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct JobRow {
    attachment_id: i64,
    case_id: String,
    attempts: i32,
}

impl TryFrom<JobRow> for TranscriptionJob {
    type Error = StoreError;
    fn try_from(r: JobRow) -> Result<TranscriptionJob, StoreError> {
        Ok(TranscriptionJob {
            attachment: r.attachment_id,
            case: case_id("transcription job case id", &r.case_id)?,
            attempts: count("attempts", r.attempts)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct FeedRow {
    person_id: Option<String>,
    service_id: Option<String>,
}

impl TryFrom<FeedRow> for CalendarFeed {
    type Error = StoreError;
    fn try_from(r: FeedRow) -> Result<CalendarFeed, StoreError> {
        match (r.person_id, r.service_id) {
            (Some(p), None) => Ok(CalendarFeed::Person(id("person_id", &p)?)),
            (None, Some(s)) => Ok(CalendarFeed::Service(id("service_id", &s)?)),
            _ => Err(StoreError::Corrupt("calendar feed".into())),
        }
    }
}

/// A `case_id` column read on its own.
pub(crate) fn case_of(value: &str) -> Result<CaseId, StoreError> {
    case_id("case id", value)
}

/// A person id column read on its own.
pub(crate) fn person_of(value: &str) -> Result<PersonId, StoreError> {
    id("person id", value)
}

/// A home id column read on its own.
pub(crate) fn home_of(value: &str) -> Result<HomeId, StoreError> {
    id("home id", value)
}
