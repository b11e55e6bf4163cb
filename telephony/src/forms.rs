//! The forms Twilio posts to our webhooks, one type per kind of request.
//! A handler reads named fields, never string keys; a required field that is
//! missing or empty is answered 400 by [`crate::webhook::Signed`] before the
//! handler runs. Twilio sends many more parameters than these; the rest are
//! ignored (and still covered by the signature, which is checked over all).
//! Field names: <https://www.twilio.com/docs/voice/twiml#request-parameters>,
//! <https://www.twilio.com/docs/messaging/guides/webhook-request>.

use serde::{Deserialize, Deserializer};

/// A Twilio SID (`CA…`, `SM…`, `RE…`): required and not empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sid(pub String);

impl<'de> Deserialize<'de> for Sid {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Sid, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() {
            return Err(serde::de::Error::custom("is empty"));
        }
        Ok(Sid(s))
    }
}

/// A number that may be missing or garbled; either is "none" (a duration
/// Twilio could not measure is no duration, not a refused webhook).
fn lenient<'de, D: Deserializer<'de>, T: std::str::FromStr>(d: D) -> Result<Option<T>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.and_then(|s| s.trim().parse().ok()))
}

/// A call rings the hotline.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IncomingCall {
    /// The call.
    pub call_sid: Sid,
    /// The caller id as Twilio has it (E.164, or "anonymous").
    #[serde(default)]
    pub from: String,
    /// `ringing`, usually.
    pub call_status: Option<String>,
}

/// Keys pressed (or nothing, after a timeout) during a `<Gather>`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Gathered {
    /// The call.
    pub call_sid: Sid,
    /// The keys pressed; empty after a timeout.
    #[serde(default)]
    pub digits: String,
    /// The call's status.
    pub call_status: Option<String>,
}

/// A call leg, when nothing but its id matters.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OnCall {
    /// The call.
    pub call_sid: Sid,
}

/// A `<Record>` ended (key, silence or the time limit).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Recorded {
    /// The call.
    pub call_sid: Sid,
    /// The key that ended the recording, if any.
    #[serde(default)]
    pub digits: String,
    /// Where Twilio keeps the recording.
    pub recording_url: Option<String>,
    /// Its length in seconds, if Twilio knows it.
    #[serde(default, deserialize_with = "lenient")]
    pub recording_duration: Option<u64>,
}

/// A recording is stored at Twilio (the recording status callback).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecordingStatus {
    /// The call it was made on.
    pub call_sid: Sid,
    /// The recording.
    pub recording_sid: Sid,
    /// `completed`, or why not.
    pub recording_status: Option<String>,
    /// Where to fetch it.
    #[serde(default)]
    pub recording_url: String,
    /// Its length in seconds, if Twilio knows it.
    #[serde(default, deserialize_with = "lenient")]
    pub recording_duration: Option<u64>,
}

/// A call's status changed (the status callback).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CallStatus {
    /// The call.
    pub call_sid: Sid,
    /// Its new status (`ringing`, `in-progress`, `completed`, ...).
    pub call_status: Sid,
    /// What answered (`human`, `machine_start`, ...).
    pub answered_by: Option<String>,
    /// Twilio's error code, if it failed.
    pub error_code: Option<String>,
}

/// Answering-machine detection on a page call, then the physician's key.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PageCall {
    /// The page call.
    pub call_sid: Sid,
    /// What answered (`human`, `machine_start`, ...).
    #[serde(default)]
    pub answered_by: String,
    /// The physician's key.
    #[serde(default)]
    pub digits: String,
}

/// A `<Dial>` ended.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Dialled {
    /// The call that dialled.
    pub call_sid: Sid,
    /// How the dialled leg ended.
    pub dial_call_status: Option<String>,
}

/// Something happened in a case's conference.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConferenceEvent {
    /// What happened (`participant-join`, ...).
    pub status_callback_event: Sid,
    /// The participant's call, if any.
    pub call_sid: Option<String>,
    /// The conference.
    pub conference_sid: Option<String>,
}

/// An SMS to the hotline's number.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IncomingSms {
    /// The message.
    pub message_sid: Sid,
    /// The sender's number as Twilio has it.
    #[serde(default)]
    pub from: String,
    /// The text.
    #[serde(default)]
    pub body: String,
}

/// An SMS we sent changed status.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SmsStatus {
    /// The message.
    pub message_sid: Sid,
    /// Its status (`sent`, `delivered`, `failed`, ...).
    pub message_status: Option<String>,
    /// The older name of the status.
    pub sms_status: Option<String>,
    /// Twilio's error code, if it failed.
    pub error_code: Option<String>,
}
