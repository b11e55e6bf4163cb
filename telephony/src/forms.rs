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
    pub call_sid: Sid,
    /// The caller id as Twilio has it (E.164, or "anonymous").
    #[serde(default)]
    pub from: String,
    pub call_status: Option<String>,
}

/// Keys pressed (or nothing, after a timeout) during a `<Gather>`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Gathered {
    pub call_sid: Sid,
    #[serde(default)]
    pub digits: String,
    pub call_status: Option<String>,
}

/// A call leg, when nothing but its id matters.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OnCall {
    pub call_sid: Sid,
}

/// A `<Record>` ended (key, silence or the time limit).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Recorded {
    pub call_sid: Sid,
    #[serde(default)]
    pub digits: String,
    pub recording_url: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub recording_duration: Option<u64>,
}

/// A recording is stored at Twilio (the recording status callback).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecordingStatus {
    pub call_sid: Sid,
    pub recording_sid: Sid,
    pub recording_status: Option<String>,
    #[serde(default)]
    pub recording_url: String,
    #[serde(default, deserialize_with = "lenient")]
    pub recording_duration: Option<u64>,
}

/// A call's status changed (the status callback).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CallStatus {
    pub call_sid: Sid,
    pub call_status: Sid,
    pub answered_by: Option<String>,
    pub error_code: Option<String>,
}

/// Answering-machine detection on a page call, then the physician's key.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PageCall {
    pub call_sid: Sid,
    #[serde(default)]
    pub answered_by: String,
    #[serde(default)]
    pub digits: String,
}

/// A `<Dial>` ended.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Dialled {
    pub call_sid: Sid,
    pub dial_call_status: Option<String>,
}

/// Something happened in a case's conference.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConferenceEvent {
    pub status_callback_event: Sid,
    pub call_sid: Option<String>,
    pub conference_sid: Option<String>,
}

/// An SMS to the hotline's number.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IncomingSms {
    pub message_sid: Sid,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub body: String,
}

/// An SMS we sent changed status.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SmsStatus {
    pub message_sid: Sid,
    pub message_status: Option<String>,
    pub sms_status: Option<String>,
    pub error_code: Option<String>,
}
