//! The SMS and voice channels of the notification outbox.
//!
//! An SMS is not encrypted: a page by SMS names only the home, the urgency
//! and a four-digit case code, never the resident; the physician answers
//! `OK 4821` or `NEJ 4821`. A voice page calls the physician, who hears
//! the case without names and presses 1 to take it (and is joined to the
//! caller's conference) or 2 to decline.

use akutlinje_core::escalation::{
    Notification, NotificationKind, NotifyChannel, SendError, Sender,
};
use akutlinje_core::i18n::Msg;
use akutlinje_core::ids::CaseId;
use akutlinje_core::person::Person;
use akutlinje_core::store::{CallLeg, CallRole};

use crate::rest::{Instructions, NewCall, NewMessage, TwilioError};
use crate::{case_code, twiml, Telephony};

fn failed(e: TwilioError) -> SendError {
    SendError {
        retryable: e.retryable(),
        message: e.to_string(),
    }
}

fn phone_of(to: &Person) -> Result<String, SendError> {
    to.phone
        .as_ref()
        .map(|p| p.e164().to_string())
        .ok_or_else(|| SendError {
            retryable: false,
            message: "the person has no phone number".into(),
        })
}

fn local(e: impl std::fmt::Display) -> SendError {
    SendError {
        retryable: true,
        message: e.to_string(),
    }
}

/// The home's name and the page's urgency label: all an SMS may say.
async fn case_facts(t: &Telephony, case: CaseId) -> Result<(String, String), SendError> {
    let loc = t.hotline().localizer();
    let lang = t.settings().lang;
    let summary = t.hotline().case_summary(case).await.map_err(local)?;
    let home = match summary {
        Some(c) => t
            .db()
            .people
            .home(&c.home)
            .await
            .map_err(local)?
            .map(|h| h.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let urgency = t
        .hotline()
        .escalation(case)
        .await
        .map_err(local)?
        .map(|e| loc.render(lang, &e.urgency.label()))
        .unwrap_or_default();
    Ok((home, urgency))
}

/// Texts pages and alerts.
#[derive(Debug, Clone)]
pub struct SmsSender {
    t: Telephony,
}

impl SmsSender {
    pub(crate) fn new(t: Telephony) -> SmsSender {
        SmsSender { t }
    }

    async fn text(&self, n: &Notification) -> Result<String, SendError> {
        let loc = self.t.hotline().localizer();
        let lang = self.t.settings().lang;
        match (n.new.kind, n.new.case) {
            (NotificationKind::Page, Some(case)) => {
                let (home, urgency) = case_facts(&self.t, case).await?;
                Ok(loc.render(
                    lang,
                    &Msg::new("sms-page")
                        .arg("urgency", urgency)
                        .arg("home", home)
                        .arg("code", case_code(case)),
                ))
            }
            (NotificationKind::Alert, Some(case)) => {
                let (home, _) = case_facts(&self.t, case).await?;
                Ok(loc.render(
                    lang,
                    &Msg::new("sms-alert")
                        .arg("home", home)
                        .arg("code", case_code(case)),
                ))
            }
            // Staff advice and handovers are fixed texts without resident data.
            _ => Ok(n.new.text.clone()),
        }
    }
}

#[async_trait::async_trait]
impl Sender for SmsSender {
    fn channel(&self) -> NotifyChannel {
        NotifyChannel::Sms
    }

    async fn send(&self, n: &Notification, to: &Person) -> Result<Option<String>, SendError> {
        let phone = phone_of(to)?;
        let body = self.text(n).await?;
        let callback = self.t.public("/twilio/sms/status");
        let m = self
            .t
            .client()
            .send_sms(&NewMessage {
                to: &phone,
                from: &self.t.settings().from,
                body: &body,
                status_callback: Some(&callback),
            })
            .await
            .map_err(failed)?;
        tracing::info!(notification = n.id, sid = %m.sid, "SMS sent");
        Ok(Some(m.sid))
    }
}

/// Calls physicians (pages) and coordinators (alerts).
#[derive(Debug, Clone)]
pub struct VoiceSender {
    t: Telephony,
}

impl VoiceSender {
    pub(crate) fn new(t: Telephony) -> VoiceSender {
        VoiceSender { t }
    }
}

/// How long a page call rings before it counts as not answered.
const RING_SECONDS: u32 = 30;

#[async_trait::async_trait]
impl Sender for VoiceSender {
    fn channel(&self) -> NotifyChannel {
        NotifyChannel::Voice
    }

    async fn send(&self, n: &Notification, to: &Person) -> Result<Option<String>, SendError> {
        let phone = phone_of(to)?;
        let t = &self.t;
        let status = t.public("/twilio/voice/status");
        let events = ["initiated", "ringing", "answered", "completed"];
        let (url, inline);
        // A reminder to a nurse is a call she goes on with like one of her
        // own (the PIN first); anything else rings a physician or says a notice.
        let as_caller = n.new.kind == NotificationKind::FollowUp
            && n.new.case.is_some()
            && to.role == akutlinje_core::person::Role::Staff;
        let instructions = match (n.new.kind, n.new.case) {
            (NotificationKind::FollowUp, Some(_)) if as_caller => {
                url = t.public("/twilio/voice/callback");
                Instructions::Url(&url)
            }
            (NotificationKind::Page, Some(case)) => {
                url = t.public(&format!(
                    "/twilio/voice/page?case={case}&notification={}",
                    n.id
                ));
                Instructions::Url(&url)
            }
            (kind, case) => {
                // An alert or notice: said twice, no keys.
                let loc = t.hotline().localizer();
                let lang = t.settings().lang;
                let text = match (kind, case) {
                    (NotificationKind::Alert, Some(case)) => {
                        let (home, _) = case_facts(t, case).await?;
                        loc.render(
                            lang,
                            &Msg::new("sms-alert")
                                .arg("home", home)
                                .arg("code", case_code(case)),
                        )
                    }
                    _ => n.new.text.clone(),
                };
                inline = twiml::Response::new()
                    .with(
                        twiml::say(&crate::ivr::speakable(&text), &t.settings().voice)
                            .attr("loop", 2),
                    )
                    .with(twiml::hangup())
                    .to_xml();
                Instructions::Twiml(&inline)
            }
        };
        let call = t
            .client()
            .create_call(&NewCall {
                to: &phone,
                from: &t.settings().from,
                instructions,
                status_callback: Some(&status),
                status_events: &events,
                machine_detection: Some("Enable"),
                timeout_s: Some(RING_SECONDS),
            })
            .await
            .map_err(failed)?;
        t.db()
            .channels
            .upsert_call(&CallLeg {
                sid: call.sid.clone(),
                role: if as_caller {
                    CallRole::Caller
                } else {
                    CallRole::Physician
                },
                // The nurse's call joins a case only after her PIN.
                case: if as_caller { None } else { n.new.case },
                person: Some(to.id.clone()),
                notification: Some(n.id),
                status: call.status.clone(),
                at: chrono::Utc::now(),
            })
            .await
            .map_err(local)?;
        tracing::info!(notification = n.id, sid = %call.sid, "page call placed");
        Ok(Some(call.sid))
    }
}
