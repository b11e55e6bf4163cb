//! The case record: an append-only list of events per case.
//!
//! Nothing is ever edited or deleted. A correction is a new event that points
//! at the one it corrects (journalføringsbekendtgørelsen: the original stays
//! readable). A case's status is a fold over its events, never set by hand.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::assessment::{FlagId, Urgency};
use crate::escalation::{Disposition, NotifyChannel};
use crate::ids::{CaseId, HomeId, PersonId, ResidentId, Text};
use crate::isbar::Isbar;
use crate::person::Role;
use crate::rota::TierId;
use crate::vitals::Param;

/// Where an event came from.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Channel {
    /// The command-line console (`akutlinje console`).
    Console,
    /// The Matrix bot.
    Matrix,
    /// The Twilio phone line and SMS.
    Twilio,
    /// The SIP bridge.
    Sip,
    /// The web pages.
    Web,
    /// The REST API.
    Api,
    /// The command line on the server (`akutlinje cases show`).
    Cli,
    /// The system itself (engine decisions, timers).
    System,
}

/// What happened. Serialised with its `kind` tag into the record's payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// A case was opened by a caller from a home.
    CaseOpened {
        /// The home the call came from.
        home: HomeId,
    },
    /// What the caller typed or keyed, verbatim, at which step.
    InputReceived {
        /// The checklist step it answered.
        step: String,
        /// The input as given.
        text: Text,
    },
    /// The caller gave their name (the channel did not know it).
    CallerNamed {
        /// The name as given.
        name: Text,
    },
    /// The resident was identified and their card shown.
    ResidentIdentified {
        /// The resident.
        resident: ResidentId,
    },
    /// A look-up found nobody in the caller's home.
    ResidentNotFound,
    /// The caller said the shown resident was the wrong one.
    ResidentRejected {
        /// The resident shown.
        resident: ResidentId,
    },
    /// The red-flag question was answered.
    RedFlagsAnswered {
        /// The flags present (empty: none).
        flags: Vec<FlagId>,
    },
    /// Staff were told to call 112 now.
    Advised112 {
        /// The flags present.
        flags: Vec<FlagId>,
    },
    /// A red flag was present but the treatment decisions rule out 112; the
    /// physician is paged at the highest urgency instead.
    No112ByTreatmentDecision {
        /// The flags present.
        flags: Vec<FlagId>,
    },
    /// A vital sign was given (value as shown) or skipped (`value` None).
    VitalRecorded {
        /// Which vital sign.
        param: Param,
        /// The value as shown, or `None` when skipped.
        value: Option<String>,
    },
    /// The situation in the caller's words.
    SituationRecorded {
        /// The words.
        text: Text,
    },
    /// The caller's own concern.
    ConcernRecorded {
        /// The words, or `None` when skipped.
        text: Option<Text>,
    },
    /// The urgency the checklist arrived at, and why.
    UrgencyAssessed {
        /// The urgency.
        urgency: Urgency,
        /// Why, as a short code.
        reason: String,
    },
    /// The ISBAR summary as composed.
    IsbarComposed {
        /// The summary.
        isbar: Box<Isbar>,
    },
    /// A page to the on-call physician was requested.
    PageRequested {
        /// At this urgency.
        urgency: Urgency,
    },
    /// The summary of an already paged case was updated.
    PageUpdated {
        /// The urgency now.
        urgency: Urgency,
    },
    /// Free text added after the checklist finished.
    Note {
        /// The words.
        text: Text,
    },
    /// A correction of an earlier event (which `corrects` points at).
    Correction {
        /// The corrected words.
        text: Text,
    },
    /// The checklist was finished.
    ChecklistCompleted,
    /// The case was cancelled by the caller.
    CaseCancelled,
    /// The case was closed.
    CaseClosed {
        /// Why, if given.
        reason: Option<Text>,
    },
    /// A page went into the outbox for the person on call for a tier.
    PageSent {
        /// Who is paged.
        person: PersonId,
        /// The tier paged, or `None` when the step names a person.
        tier: Option<TierId>,
        /// The channels it goes out on, in order.
        channels: Vec<NotifyChannel>,
        /// The policy step that fired.
        step: u32,
        /// The pass through the policy (0 = first).
        round: u32,
        /// Why this page: `first_page`, or `no_acknowledgement` from the step before.
        reason: String,
    },
    /// Nobody was on call for a tier when its step fired; the next step follows at once.
    NobodyOnCall {
        /// The tier without anyone.
        tier: TierId,
        /// The policy step.
        step: u32,
        /// The pass through the policy.
        round: u32,
    },
    /// The physician's decision, with advice in their words.
    DispositionRecorded {
        /// The decision.
        disposition: Disposition,
        /// Advice in the physician's words.
        advice: Option<Text>,
    },
    /// A physician acknowledged the page (also recorded when it comes late),
    /// or a coordinator took it over (`takeover`) to find a physician.
    PageAcknowledged {
        /// Who acknowledged.
        person: PersonId,
        /// Whether a coordinator took the page over.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        takeover: bool,
    },
    /// A physician declined; the escalation moves on at once.
    PageDeclined {
        /// Who declined.
        person: PersonId,
    },
    /// Nobody acknowledged after every step and repeat.
    EscalationExhausted,
    /// The coordinator on duty was alerted.
    CoordinatorAlerted {
        /// The coordinator, if anyone was on duty.
        person: Option<PersonId>,
    },
    /// The staff were told what to do now.
    StaffAdvised {
        /// Who was told, if a person was known.
        person: Option<PersonId>,
    },
    /// A notification was delivered (the homeserver's event id, Twilio's SID, ...).
    NotificationDelivered {
        /// The notification (outbox id).
        notification: i64,
        /// The channel it went out on.
        channel: NotifyChannel,
        /// The channel's own id of the message or call.
        external_id: Option<String>,
    },
    /// A notification failed on a channel; `fallover` names the next channel tried.
    NotificationFailed {
        /// The notification (outbox id).
        notification: i64,
        /// The channel that failed.
        channel: NotifyChannel,
        /// Why, without personal data.
        error: String,
        /// The next channel tried, if any.
        fallover: Option<NotifyChannel>,
    },
    /// A voice note (or other recording) was stored with the case; the bytes
    /// live in the attachments table under `attachment`.
    AudioAttached {
        /// The attachment's id.
        attachment: i64,
        /// Its MIME type.
        mime: String,
        /// Its size.
        bytes: u64,
        /// As the sending client stated it; checked when the audio is decoded.
        duration_ms: Option<u64>,
    },
    /// The caller asked to be put through to the physician before the
    /// checklist was done (key 0 on the phone, «læge nu» in chat).
    PhysicianRequested,
    /// A telephone leg or message changed state, as the carrier reported it:
    /// `leg` is `caller`, `physician` or `sms`; `sid` is the carrier's id
    /// (Twilio CallSid/MessageSid); `detail` is an error code or the
    /// answering-machine verdict.
    TelephonyStatus {
        /// `caller`, `physician`, `conference` or `sms`.
        leg: String,
        /// The carrier's id.
        sid: String,
        /// The carrier's status word.
        status: String,
        /// An error code or the answering-machine verdict.
        detail: Option<String>,
    },
    /// A recording was transcribed by machine (speech recognition): the
    /// words may be wrong, and are always shown as machine-made. Staff
    /// correct it with a [`EventKind::Correction`] that points at this event.
    Transcribed {
        /// The recording.
        attachment: i64,
        /// The words (machine-made).
        text: Text,
        /// The language the model was told to expect (ISO 639-1).
        language: String,
        /// The model file's name, e.g. `ggml-base.bin`.
        model: String,
        /// How long the recording is.
        audio_ms: u64,
        /// How long recognition took.
        processing_ms: u64,
    },
    /// The channel did not show the case's resident data where it was asked
    /// for (`reason`: `room_unbound`, `room_of_other_home`,
    /// `room_not_encrypted`, `member_not_allowed`, `room_check_failed`);
    /// `member` names the room member who may not read the home.
    ResidentDataWithheld {
        /// Why (a stable code).
        reason: String,
        /// The member who may not read the home.
        member: Option<String>,
    },
    /// Staff confirmed the physician's advice ("forstået", ✅, key 1).
    AdviceConfirmed,
    /// The advice was not confirmed in time: `stage` 0 — sent again and the
    /// physician told; 1 — the coordinator alerted.
    AdviceUnconfirmed {
        /// How far the read-back has escalated.
        stage: u32,
    },
    /// Staff were told to call a municipal alternative (the decision was the
    /// municipal acute team): whom, and the number.
    AlternativeAdvised {
        /// Its name.
        name: Text,
        /// The number staff were given.
        phone: String,
    },
    /// A video room was offered to a person (with the page, or on request).
    VideoOffered {
        /// To whom.
        person: Option<PersonId>,
        /// The room's URL.
        url: String,
    },
    /// A person opened their video link.
    VideoOpened {
        /// Who.
        person: Option<PersonId>,
    },
    /// A physician ordered a re-measurement.
    RemeasureOrdered {
        /// In how many minutes.
        minutes: u32,
        /// When it is due.
        due_at: DateTime<Utc>,
    },
    /// Staff were reminded of a re-measurement: `stage` 0 at the due time,
    /// 1 fifteen minutes later, 2 — not done thirty minutes after the
    /// reminder: the coordinator alerted and the physician told.
    RemeasureReminded {
        /// Which reminder.
        stage: u32,
    },
    /// A re-measurement began (the danger signs and vital signs asked again).
    RemeasureStarted,
    /// A re-measurement against the one before.
    RemeasureAssessed {
        /// The trend.
        trend: Box<crate::trend::Trend>,
    },
    /// The physician was told the trend of a re-measurement that was not worse.
    TrendReported {
        /// The physician.
        person: PersonId,
    },
    /// A recording could not be transcribed; the recording itself is kept.
    /// `reason` is a stable code (`broken`, `too_long`, `silent`,
    /// `no_speech`, `gave_up`, ...), `detail` says more, in English.
    TranscriptionFailed {
        /// The recording.
        attachment: i64,
        /// A stable code.
        reason: String,
        /// More, in English.
        detail: String,
    },
}

impl EventKind {
    /// The tag stored in the record's `kind` column.
    pub fn tag(&self) -> &'static str {
        match self {
            EventKind::CaseOpened { .. } => "case_opened",
            EventKind::InputReceived { .. } => "input_received",
            EventKind::CallerNamed { .. } => "caller_named",
            EventKind::ResidentIdentified { .. } => "resident_identified",
            EventKind::ResidentNotFound => "resident_not_found",
            EventKind::ResidentRejected { .. } => "resident_rejected",
            EventKind::RedFlagsAnswered { .. } => "red_flags_answered",
            EventKind::AdviceConfirmed => "advice_confirmed",
            EventKind::VideoOffered { .. } => "video_offered",
            EventKind::VideoOpened { .. } => "video_opened",
            EventKind::AlternativeAdvised { .. } => "alternative_advised",
            EventKind::AdviceUnconfirmed { .. } => "advice_unconfirmed",
            EventKind::RemeasureOrdered { .. } => "remeasure_ordered",
            EventKind::RemeasureReminded { .. } => "remeasure_reminded",
            EventKind::RemeasureStarted => "remeasure_started",
            EventKind::RemeasureAssessed { .. } => "remeasure_assessed",
            EventKind::TrendReported { .. } => "trend_reported",
            EventKind::Advised112 { .. } => "advised112",
            EventKind::No112ByTreatmentDecision { .. } => "no112_by_treatment_decision",
            EventKind::VitalRecorded { .. } => "vital_recorded",
            EventKind::SituationRecorded { .. } => "situation_recorded",
            EventKind::ConcernRecorded { .. } => "concern_recorded",
            EventKind::UrgencyAssessed { .. } => "urgency_assessed",
            EventKind::IsbarComposed { .. } => "isbar_composed",
            EventKind::PageRequested { .. } => "page_requested",
            EventKind::PageUpdated { .. } => "page_updated",
            EventKind::Note { .. } => "note",
            EventKind::Correction { .. } => "correction",
            EventKind::ChecklistCompleted => "checklist_completed",
            EventKind::CaseCancelled => "case_cancelled",
            EventKind::CaseClosed { .. } => "case_closed",
            EventKind::PageSent { .. } => "page_sent",
            EventKind::DispositionRecorded { .. } => "disposition_recorded",
            EventKind::NobodyOnCall { .. } => "nobody_on_call",
            EventKind::PageAcknowledged { .. } => "page_acknowledged",
            EventKind::PageDeclined { .. } => "page_declined",
            EventKind::EscalationExhausted => "escalation_exhausted",
            EventKind::CoordinatorAlerted { .. } => "coordinator_alerted",
            EventKind::StaffAdvised { .. } => "staff_advised",
            EventKind::NotificationDelivered { .. } => "notification_delivered",
            EventKind::NotificationFailed { .. } => "notification_failed",
            EventKind::AudioAttached { .. } => "audio_attached",
            EventKind::PhysicianRequested => "physician_requested",
            EventKind::TelephonyStatus { .. } => "telephony_status",
            EventKind::Transcribed { .. } => "transcribed",
            EventKind::TranscriptionFailed { .. } => "transcription_failed",
            EventKind::ResidentDataWithheld { .. } => "resident_data_withheld",
        }
    }
}

/// Who wrote an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Author {
    /// `None` for the system itself.
    pub person: Option<PersonId>,
    /// Their role then.
    pub role: Option<Role>,
}

impl Author {
    /// The system (engine decisions).
    pub fn system() -> Author {
        Author {
            person: None,
            role: None,
        }
    }
}

/// An event to be appended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewEvent {
    /// When (UTC).
    pub at: DateTime<Utc>,
    /// Who.
    pub author: Author,
    /// Through which channel.
    pub channel: Channel,
    /// What happened.
    pub kind: EventKind,
    /// The event this one corrects.
    pub corrects: Option<i64>,
    /// The channel's own id for the input (Matrix event id, CallSid+step),
    /// unique per case, so a redelivery is recorded once.
    pub external_id: Option<String>,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CaseEvent {
    /// Position in the record, increasing.
    pub seq: i64,
    /// The case.
    pub case: CaseId,
    /// The event.
    #[serde(flatten)]
    pub event: NewEvent,
}

/// A case's status, derived from its events.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum CaseStatus {
    /// The checklist is running.
    Open,
    /// The physician was paged and has not yet been recorded as answering.
    Paged,
    /// A physician acknowledged the page.
    Acknowledged,
    /// The checklist is done (paged or not).
    Completed,
    /// The caller cancelled the case.
    Cancelled,
    /// The case was closed.
    Closed,
}

impl CaseStatus {
    /// Every status.
    pub const ALL: [CaseStatus; 6] = [
        CaseStatus::Open,
        CaseStatus::Paged,
        CaseStatus::Acknowledged,
        CaseStatus::Completed,
        CaseStatus::Cancelled,
        CaseStatus::Closed,
    ];

    /// The status after `event`.
    pub fn apply(self, event: &EventKind) -> CaseStatus {
        match (self, event) {
            (CaseStatus::Closed | CaseStatus::Cancelled, _) => self,
            (_, EventKind::CaseClosed { .. }) => CaseStatus::Closed,
            (_, EventKind::CaseCancelled) => CaseStatus::Cancelled,
            (_, EventKind::PageAcknowledged { .. }) => CaseStatus::Acknowledged,
            // A new page on an acknowledged case (a red flag later on) pages again.
            (_, EventKind::PageRequested { .. }) => CaseStatus::Paged,
            (CaseStatus::Open, EventKind::ChecklistCompleted) => CaseStatus::Completed,
            _ => self,
        }
    }

    /// The status of a whole record.
    pub fn derive<'a>(events: impl IntoIterator<Item = &'a EventKind>) -> CaseStatus {
        events.into_iter().fold(CaseStatus::Open, CaseStatus::apply)
    }
}

/// A case as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CaseSummary {
    /// The case.
    pub id: CaseId,
    /// The home it came from.
    pub home: HomeId,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// Who opened it, if known.
    pub opened_by: Option<PersonId>,
    /// The channel it came in on.
    pub channel: Channel,
    /// The resident, once identified.
    pub resident: Option<ResidentId>,
    /// The urgency, once assessed.
    pub urgency: Option<Urgency>,
    /// Where it stands.
    pub status: CaseStatus,
}

/// One entry of the access log: a read of a resident's data (Danish health
/// law, Sundhedsloven §42a, requires who, when, which resident, and for
/// which case; we add through which channel).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who read, if a person (else the system or the OS user in `detail`).
    pub person: Option<PersonId>,
    /// Whose record.
    pub resident: ResidentId,
    /// For which case, if any.
    pub case: Option<CaseId>,
    /// Read, or refused.
    pub action: AccessAction,
    /// Where the data was shown (`None` only on entries from before the
    /// channel was recorded).
    pub channel: Option<Channel>,
    /// What was read, or how: `page` (the ISBAR in a physician's page),
    /// `case_list`, `print`, `replay` (a repeated phone answer), `room`
    /// (a member of the home's room), `os_user=<name>` on the command line.
    pub detail: Option<String>,
}

impl AccessEntry {
    /// A read (or refusal) of `resident` by `person` through `channel`.
    pub fn new(
        at: DateTime<Utc>,
        person: Option<PersonId>,
        resident: ResidentId,
        case: Option<CaseId>,
        action: AccessAction,
        channel: Channel,
    ) -> AccessEntry {
        AccessEntry {
            at,
            person,
            resident,
            case,
            action,
            channel: Some(channel),
            detail: None,
        }
    }

    /// The same entry with a detail.
    pub fn detail(mut self, detail: impl Into<String>) -> AccessEntry {
        self.detail = Some(detail.into());
        self
    }
}

/// What kind of access.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum AccessAction {
    /// The resident's record was shown.
    Read,
    /// A search matched this resident but the person may not see them; nothing was shown.
    Denied,
}

crate::snake_case_names!(Channel, CaseStatus, AccessAction);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_parses_back() {
        for s in CaseStatus::ALL {
            assert_eq!(CaseStatus::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn status_is_a_fold_over_events() {
        let flow = [
            EventKind::CaseOpened {
                home: HomeId::parse("h").expect("valid"),
            },
            EventKind::ResidentNotFound,
            EventKind::PageRequested {
                urgency: Urgency::Medium,
            },
            EventKind::ChecklistCompleted,
        ];
        assert_eq!(CaseStatus::derive(&flow[..2]), CaseStatus::Open);
        assert_eq!(CaseStatus::derive(&flow), CaseStatus::Paged);
        assert_eq!(
            CaseStatus::derive(&[
                EventKind::ChecklistCompleted,
                EventKind::CaseCancelled,
                EventKind::PageRequested {
                    urgency: Urgency::Red
                }
            ]),
            CaseStatus::Cancelled
        );
    }
}
