//! What the channels keep about a case.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::ids::{CaseId, PersonId};
use crate::record::NewEvent;

/// What the channels keep about a case: Matrix threads, telephone calls, webhook answers, attachments.
#[async_trait]
pub trait ChannelStore: Send + Sync + std::fmt::Debug {
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
}

/// Who is on a telephone call leg.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum CallRole {
    /// Staff (or an unknown number) calling the hotline.
    Caller,
    /// A physician called by a voice page.
    Physician,
}

/// One leg of a telephone call (Twilio's CallSid), and what it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallLeg {
    /// The carrier's id of the leg.
    pub sid: String,
    /// Who is on it.
    pub role: CallRole,
    /// The case, once there is one.
    pub case: Option<CaseId>,
    /// The known person on the leg; `None` for an unknown caller.
    pub person: Option<PersonId>,
    /// The voice page this leg delivers.
    pub notification: Option<i64>,
    /// The carrier's last reported status (`ringing`, `in-progress`, `completed`, ...).
    pub status: String,
    /// When the status was reported.
    pub at: DateTime<Utc>,
}

/// A recording (or other file) to store with a case.
#[derive(Clone, PartialEq, Eq)]
pub struct NewAttachment {
    /// Its MIME type.
    pub mime: String,
    /// The bytes.
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
    /// The attachment's id.
    pub id: i64,
    /// The case.
    pub case: CaseId,
    /// Its MIME type.
    pub mime: String,
    /// The bytes.
    pub data: Vec<u8>,
    /// Hex SHA-256 of `data`, checked on read.
    pub sha256: String,
    /// When it was stored.
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

crate::snake_case_names!(CallRole);
