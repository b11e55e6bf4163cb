//! Escalation policies, the escalation state of a case, and the notification
//! outbox, as stored. The scheduler (`akutlinje-scheduler`) drives them.
//!
//! Key design decision: every pending escalation step and every notification
//! is a database row before anything is sent. A process that dies loses
//! nothing: on start, overdue steps fire and unsent notifications go out.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::engine::Urgency;
use crate::ids::{CaseId, PersonId};
use crate::rota::TierId;

/// The physician's decision on a case (docs/clinical.md § ISBAR, DSAM's visitation
/// categories, plus the municipal acute offer).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// 112: ambulance with siren.
    Call112,
    /// Akut indlæggelse (as soon as possible, without siren).
    AcuteAdmission,
    /// Ses nu.
    SeenNow,
    /// Ses inden for 24 timer.
    SeenWithin24h,
    /// Almindelig konsultation.
    RegularConsultation,
    /// Ses an / behandles på plejecentret.
    WatchAtHome,
    /// Kommunalt akuttilbud (the municipal acute team).
    MunicipalAcuteTeam,
}

impl Disposition {
    /// All, in the order a physician chooses from.
    pub const ALL: [Disposition; 7] = [
        Disposition::Call112,
        Disposition::AcuteAdmission,
        Disposition::SeenNow,
        Disposition::SeenWithin24h,
        Disposition::RegularConsultation,
        Disposition::WatchAtHome,
        Disposition::MunicipalAcuteTeam,
    ];

    /// The snake_case name; also the suffix of its message id.
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Call112 => "call112",
            Disposition::AcuteAdmission => "acute_admission",
            Disposition::SeenNow => "seen_now",
            Disposition::SeenWithin24h => "seen_within_24h",
            Disposition::RegularConsultation => "regular_consultation",
            Disposition::WatchAtHome => "watch_at_home",
            Disposition::MunicipalAcuteTeam => "municipal_acute_team",
        }
    }

    /// Parses the English or Danish name, or its number in [`Disposition::ALL`] (1–7).
    pub fn parse(s: &str) -> Option<Disposition> {
        let s = s.trim().to_lowercase().replace([' ', '-'], "_");
        // "112" is a disposition of its own, not the 112th in the list.
        if s == "112" {
            return Some(Disposition::Call112);
        }
        if let Ok(n) = s.parse::<usize>() {
            return n
                .checked_sub(1)
                .and_then(|i| Disposition::ALL.get(i).copied());
        }
        Some(match s.as_str() {
            "call112" | "112" => Disposition::Call112,
            "acute_admission" | "akut" | "akut_indlæggelse" | "akut_indlaeggelse" => {
                Disposition::AcuteAdmission
            }
            "seen_now" | "ses_nu" => Disposition::SeenNow,
            // `seen_within24h` is how the record writes it (serde).
            "seen_within_24h" | "seen_within24h" | "ses_24t" | "ses_inden_for_24_timer" => {
                Disposition::SeenWithin24h
            }
            "regular_consultation" | "almindelig_konsultation" | "alm_konsultation" => {
                Disposition::RegularConsultation
            }
            "watch_at_home" | "ses_an" | "behandles_på_plejecentret" => Disposition::WatchAtHome,
            "municipal_acute_team" | "kommunalt_akuttilbud" | "akutteam" => {
                Disposition::MunicipalAcuteTeam
            }
            _ => return None,
        })
    }

    /// Its name for people (message `disposition-<as_str>`).
    pub fn label(self) -> crate::i18n::Msg {
        crate::i18n::Msg::new(format!("disposition-{}", self.as_str()))
    }

    /// The pilot's outcome group: home, municipal, gp, admitted or 112.
    pub fn outcome(self) -> &'static str {
        match self {
            Disposition::Call112 => "112",
            Disposition::AcuteAdmission => "admitted",
            Disposition::SeenNow
            | Disposition::SeenWithin24h
            | Disposition::RegularConsultation => "gp",
            Disposition::WatchAtHome => "home",
            Disposition::MunicipalAcuteTeam => "municipal",
        }
    }
}

/// A way to reach a person.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum NotifyChannel {
    /// A Matrix direct message (issue 4).
    Matrix,
    /// An SMS through Twilio (issue 5).
    Sms,
    /// A phone call through Twilio (issue 5).
    Voice,
    /// Written into the case record only: the channel that works before the
    /// others exist, and the last resort.
    Log,
}

impl NotifyChannel {
    /// Every channel.
    pub const ALL: [NotifyChannel; 4] = [
        NotifyChannel::Matrix,
        NotifyChannel::Sms,
        NotifyChannel::Voice,
        NotifyChannel::Log,
    ];
}

impl fmt::Display for NotifyChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step of a policy: page whoever is on call for `tier` (or one named
/// `person`), through `channels`, then wait `wait_minutes` for an
/// acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyStep {
    /// The tier whose person on call is paged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<TierId>,
    /// A person to page by name, instead of a tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<PersonId>,
    /// The channels, in order of fall-over.
    pub channels: Vec<NotifyChannel>,
    /// How long to wait for an acknowledgement before the next step.
    pub wait_minutes: u32,
}

/// What happens when a case of one urgency is paged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The urgency it is for.
    pub urgency: Urgency,
    /// The steps, in order.
    pub steps: Vec<PolicyStep>,
    /// How many times the whole list is repeated after the first pass.
    pub repeats: u32,
    /// Who is alerted when nobody acknowledged (a tier of the service).
    pub alert_tier: TierId,
}

/// Where a case's escalation stands.
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
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum EscalationState {
    /// A step is due at `due_at`.
    Pending,
    /// Someone acknowledged; nothing more is sent.
    Acknowledged,
    /// Every step and repeat went unanswered; the coordinator was alerted.
    Exhausted,
}

/// A case's escalation: the next step to fire and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// The case.
    pub case: CaseId,
    /// The urgency paged at.
    pub urgency: Urgency,
    /// The step that fires next (index into the policy's steps).
    pub step: u32,
    /// The pass through the steps (0 = first).
    pub round: u32,
    /// When the next step fires.
    pub due_at: DateTime<Utc>,
    /// Pending, acknowledged or exhausted.
    pub state: EscalationState,
}

/// The escalation after a step fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EscalationNext {
    /// The step that fires next.
    pub step: u32,
    /// The pass through the steps.
    pub round: u32,
    /// When it fires.
    pub due_at: DateTime<Utc>,
    /// The state after the step.
    pub state: EscalationState,
}

/// What firing a claimed escalation step stores (see
/// `EscalationStore::fire_escalations`).
#[derive(Debug, Clone)]
pub struct FiredStep {
    /// The step as claimed (the fence: stored only if still there).
    pub claimed: Escalation,
    /// Where the escalation goes next.
    pub next: EscalationNext,
    /// The pages and alerts to send.
    pub notifications: Vec<NewNotification>,
    /// What the record says happened.
    pub events: Vec<crate::record::NewEvent>,
}

/// What firing a claimed follow-up stores (see
/// `EscalationStore::fire_follow_ups`).
#[derive(Debug, Clone)]
pub struct FiredFollowUp {
    /// The follow-up as claimed (the fence).
    pub claimed: crate::followup::FollowUp,
    /// The next stage and when it is due; `None` ends it.
    pub next: Option<(u32, DateTime<Utc>)>,
    /// The reminders and alerts to send.
    pub notifications: Vec<NewNotification>,
    /// What the record says happened.
    pub events: Vec<crate::record::NewEvent>,
}

/// Where a notification stands.
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
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum NotificationStatus {
    /// Waiting to be sent.
    Pending,
    /// Handed to the channel.
    Sent,
    /// Gave up on this channel (the next channel was tried, if any).
    Failed,
}

/// What a notification is for.
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
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum NotificationKind {
    /// A page to a physician.
    Page,
    /// The coordinator is alerted: nobody acknowledged.
    Alert,
    /// The staff who called are told what to do now.
    StaffAdvice,
    /// A shift is starting.
    Handover,
    /// A voice note's transcript, for the people in the case's conversation.
    Transcript,
    /// After the advice: a read-back or re-measure reminder to staff, or
    /// what became of it to the physician or coordinator.
    FollowUp,
}

/// A notification to store in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewNotification {
    /// The case it is about, if any (a handover notice is about none).
    pub case: Option<CaseId>,
    /// To whom.
    pub person: PersonId,
    /// What it is for.
    pub kind: NotificationKind,
    /// The channel it goes out on.
    pub channel: NotifyChannel,
    /// Channels to fall over to, in order, if this one fails for good.
    pub fallback: Vec<NotifyChannel>,
    /// The text to send (may hold personal data: never logged).
    pub text: String,
    /// Not sent before this instant.
    pub not_before: DateTime<Utc>,
}

/// A stored notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// The outbox id.
    pub id: i64,
    /// What was stored.
    #[serde(flatten)]
    pub new: NewNotification,
    /// Where it stands.
    pub status: NotificationStatus,
    /// Send attempts so far.
    pub attempts: u32,
    /// The last failure, without personal data.
    pub last_error: Option<String>,
    /// The channel's id once delivered (event id, SID).
    pub external_id: Option<String>,
}

/// A failed send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// Worth trying again on the same channel (a timeout, a 5xx, a 429).
    pub retryable: bool,
    /// What went wrong, without personal data.
    pub message: String,
}

/// Sends notifications on one channel (Matrix, SMS, voice, the record).
#[async_trait::async_trait]
pub trait Sender: Send + Sync {
    /// The channel this sender serves.
    fn channel(&self) -> NotifyChannel;
    /// Whether delivering `n` shows the recipient the resident's data (the
    /// ISBAR of a page in Matrix, a transcript): the delivery is then a read,
    /// written to the access log with it. An SMS (home, urgency and a code)
    /// or the start of a voice call (the summary is logged when heard) is not.
    fn discloses(&self, _n: &Notification) -> bool {
        false
    }
    /// Whether this instance can send on the channel now. An instance that
    /// does not play the channel's role (another runs the Matrix bot) leaves
    /// its notifications to the one that does, rather than claiming them.
    fn ready(&self) -> bool {
        true
    }
    /// Sends; returns the channel's id for the delivery (event id, SID).
    async fn send(
        &self,
        n: &Notification,
        to: &crate::person::Person,
    ) -> Result<Option<String>, SendError>;
}

crate::snake_case_names!(
    NotifyChannel,
    NotificationStatus,
    NotificationKind,
    EscalationState
);

#[cfg(test)]
mod disposition_names {
    use super::Disposition;

    /// A client may send back what the record holds: the serde form
    /// (`seen_within24h`) as well as the name the API documents.
    #[test]
    fn every_disposition_parses_from_its_record_form_and_its_name() {
        for d in Disposition::ALL {
            let recorded = serde_json::to_value(d).expect("serialises");
            assert_eq!(
                Disposition::parse(recorded.as_str().expect("a string")),
                Some(d)
            );
            assert_eq!(Disposition::parse(d.as_str()), Some(d));
        }
    }
}
