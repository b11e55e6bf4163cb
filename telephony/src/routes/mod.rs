//! The webhook handlers. Each answers once per (SID, step): the first answer
//! is stored and a retried webhook gets it back, so nothing is recorded
//! twice and the caller hears the same thing.

mod call;
mod page;
mod pin;
mod sms;
mod unknown;

#[allow(unused_imports)]
use call::*;
#[allow(unused_imports)]
use page::*;
#[allow(unused_imports)]
use pin::*;
#[allow(unused_imports)]
use sms::*;
#[allow(unused_imports)]
use unknown::*;

use std::collections::HashMap;
use std::future::Future;

use akutlinje_core::engine::{
    after_silence, AfterSilence, CaseState, Command, Entry, Prompt, Said,
};
use akutlinje_core::escalation::{EscalationState, NotificationKind};
use akutlinje_core::i18n::Msg;
use akutlinje_core::ids::CaseId;
use akutlinje_core::person::{Person, Role};
use akutlinje_core::record::Channel;
use akutlinje_core::service::{ServiceError, Turn};
use akutlinje_core::store::{CallLeg, CallRole, NewAttachment, StoreError};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use chrono::{DateTime, Utc};

use crate::forms::*;
use crate::ivr::{self, Keyed, Mode, Next, Speaker};
use crate::twiml::{self, Node};
use crate::webhook::{Rejected, Signed};
use akutlinje_core::phone::PhoneNumber;

use crate::{case_code, conference_name, Telephony};

pub(crate) fn router(t: Telephony) -> Router {
    Router::new()
        .route("/twilio/voice/incoming", post(incoming))
        .route("/twilio/voice/pin", post(pin))
        .route("/twilio/voice/remeasure", post(remeasure_choice))
        .route("/twilio/voice/readback", post(readback_choice))
        .route("/twilio/voice/callback", post(callback))
        .route("/twilio/voice/gather", post(gather))
        .route("/twilio/voice/silence", post(silence))
        .route("/twilio/voice/record", post(recorded))
        .route("/twilio/voice/recording", post(recording_ready))
        .route("/twilio/voice/status", post(call_status))
        .route("/twilio/voice/wait", post(wait).get(wait))
        .route("/twilio/voice/conference", post(conference_status))
        .route("/twilio/voice/unknown", post(unknown_caller))
        .route("/twilio/voice/unknown/next", post(unknown_next))
        .route("/twilio/voice/page", post(page_answered))
        .route("/twilio/voice/page/answer", post(page_keys))
        .route("/twilio/voice/page/after", post(page_after))
        .route("/twilio/sms/incoming", post(sms_incoming))
        .route("/twilio/sms/status", post(sms_status))
        .with_state(t)
}

/// Something went wrong inside: the caller is told, and put through to a
/// physician if one can be reached.
#[derive(Debug, thiserror::Error)]
enum Fault {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn xml(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

/// The query string of a callback URL we gave Twilio (signed with it).
type Params = Query<HashMap<String, String>>;

fn q<'a>(query: &'a Params, name: &str) -> Option<&'a str> {
    query.0.get(name).map(String::as_str)
}

fn q_num(query: &Params, name: &str) -> u32 {
    q(query, name).and_then(|v| v.parse().ok()).unwrap_or(1)
}

fn q_case(query: &Params) -> Result<CaseId, Rejected> {
    q(query, "case")
        .and_then(CaseId::parse)
        .ok_or(Rejected::Missing("case"))
}

impl Telephony {
    fn speaker(&self) -> Speaker<'_> {
        Speaker {
            loc: self.hotline().localizer(),
            lang: self.settings().lang,
        }
    }

    fn say(&self, text: &str) -> Node {
        twiml::say(text, &self.settings().voice)
    }

    fn say_id(&self, id: &str) -> Node {
        self.say(&self.speaker().text(id))
    }

    /// Runs `answer` once per (sid, step); a repeat gets the stored answer.
    async fn once<F, Fut>(&self, sid: String, step: &str, voice: bool, answer: F) -> Response
    where
        F: FnOnce(Telephony, String) -> Fut,
        Fut: Future<Output = Result<String, Fault>>,
    {
        match self.db().channels.webhook_answer(&sid, step).await {
            Ok(Some(a)) => {
                tracing::info!(step, "Twilio webhook repeated; same answer");
                if voice {
                    // The answer may speak the resident's card again: the
                    // replay is a read by whoever is on the line.
                    if let Err(e) = self.log_replay(&sid).await {
                        tracing::error!(error = %e, "cannot log a replayed answer");
                        return self.fault(&e, voice, &sid).await;
                    }
                }
                return xml(a);
            }
            Ok(None) => {}
            Err(e) => return self.fault(&Fault::Store(e), voice, &sid).await,
        }
        match answer(self.clone(), sid.clone()).await {
            Ok(a) => match self
                .db()
                .channels
                .save_webhook_answer(&sid, step, &a, Utc::now())
                .await
            {
                Ok(kept) => xml(kept),
                // The work is stored; only the answer's copy is missing.
                Err(e) => {
                    tracing::error!(step, error = %e, "could not store a webhook answer");
                    xml(a)
                }
            },
            Err(f) => self.fault(&f, voice, &sid).await,
        }
    }

    async fn fault(&self, f: &Fault, voice: bool, sid: &str) -> Response {
        tracing::error!(error = %f, "Twilio webhook failed");
        if voice {
            // After "the resident has declined admission", even the fault
            // text must not tell the caller to ring 112 regardless; when the
            // case cannot be read (the database is what failed), the
            // general text is said.
            let limited = match self.caller(sid).await {
                Ok(Some((case, _))) => self
                    .state(case)
                    .await
                    .is_ok_and(|s| s.admission_ruled_out()),
                _ => false,
            };
            let id = if limited {
                "ivr-error-limited"
            } else {
                "ivr-error"
            };
            // Safety first: never leave a caller in silence.
            let r = twiml::Response::new()
                .with(self.say_id(id))
                .with(twiml::redirect(
                    &self.public("/twilio/voice/unknown/next?i=0"),
                ));
            xml(r.to_xml())
        } else {
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }

    /// A read of a case's resident by `who` over the phone (`detail`: what
    /// was heard), written to the access log.
    async fn log_read(&self, case: CaseId, who: &Person, detail: &str) -> Result<(), Fault> {
        Ok(crate::records::log_read(self.hotline(), case, who, Channel::Twilio, detail).await?)
    }

    /// A repeated webhook of a call leg that belongs to a case.
    async fn log_replay(&self, sid: &str) -> Result<(), Fault> {
        let Some(leg) = self.db().channels.call(sid).await? else {
            return Ok(());
        };
        let (Some(case), Some(pid)) = (leg.case, leg.person) else {
            return Ok(());
        };
        match self.db().people.person(&pid).await? {
            Some(who) => self.log_read(case, &who, "replay").await,
            None => Ok(()),
        }
    }

    /// Appends a telephony status event to a case (once per external id).
    async fn status_event(
        &self,
        case: CaseId,
        leg: &str,
        sid: &str,
        status: &str,
        detail: Option<&str>,
    ) -> Result<(), Fault> {
        Ok(crate::records::status_event(
            self.hotline(),
            Channel::Twilio,
            case,
            leg,
            sid,
            status,
            detail,
        )
        .await?)
    }

    async fn state(&self, case: CaseId) -> Result<CaseState, Fault> {
        Ok(self.hotline().case_state(case).await?)
    }

    /// The caller's leg: its case and the staff member on it.
    async fn caller(&self, sid: &str) -> Result<Option<(CaseId, Person)>, Fault> {
        let Some(leg) = self.db().channels.call(sid).await? else {
            return Ok(None);
        };
        let (Some(case), Some(pid)) = (leg.case, leg.person) else {
            return Ok(None);
        };
        Ok(self.db().people.person(&pid).await?.map(|p| (case, p)))
    }

    /// A question as TwiML: keys (a `<Gather>` that the speech before it
    /// sits in, so a key interrupts it) or a recording.
    fn question(&self, before: &[Node], p: &Prompt, n: u32, tries: u32) -> twiml::Response {
        let mut r = twiml::Response::new();
        let prompt = self.say(&self.speaker().prompt(p));
        let silence =
            twiml::redirect(&self.public(&format!("/twilio/voice/silence?n={n}&tries={tries}")));
        match ivr::mode(p) {
            Mode::Keys { num_digits } => {
                let mut g = twiml::gather(&self.public(&format!("/twilio/voice/gather?n={n}")), 8)
                    .attr("finishOnKey", "#");
                if let Some(d) = num_digits {
                    g = g.attr("numDigits", d);
                }
                for b in before {
                    g = g.child(b.clone());
                }
                r.push(g.child(prompt));
            }
            Mode::Voice { skippable } => {
                for b in before {
                    r.push(b.clone());
                }
                r.push(prompt);
                r.push(twiml::record(
                    &self.public(&format!("/twilio/voice/record?n={n}")),
                    &self.public("/twilio/voice/recording"),
                    120,
                    if skippable { "#*0" } else { "#0" },
                ));
            }
        }
        r.push(silence);
        r
    }

    /// A turn of the engine as TwiML; `n` numbers the next question.
    fn turn(
        &self,
        case: CaseId,
        state: &CaseState,
        effects: &[akutlinje_core::engine::Effect],
        n: u32,
    ) -> twiml::Response {
        let spoken = ivr::speak(&self.speaker(), state.opened_on, effects);
        let lines: Vec<Node> = spoken
            .lines
            .iter()
            .map(|(l, times)| {
                let s = self.say(&self.speaker().utterance(l));
                if *times > 1 {
                    s.attr("loop", times)
                } else {
                    s
                }
            })
            .collect();
        match spoken.next {
            Next::Ask(p) => self.question(&lines, &p, n, 1),
            Next::Conference => {
                let mut r = twiml::Response::new();
                for l in lines {
                    r.push(l);
                }
                r.push(self.say_id(conference_intro(state)));
                r.push(self.bridge(case, false));
                r.push(self.say_id("ivr-goodbye"));
                r.push(twiml::hangup());
                r
            }
            Next::Hangup => {
                let mut r = twiml::Response::new();
                for l in lines {
                    r.push(l);
                }
                r.push(twiml::hangup());
                r
            }
        }
    }

    /// `<Dial><Conference>` for a case: the caller waits (music and updates),
    /// the physician starts it; either leaving ends it.
    fn bridge(&self, case: CaseId, physician: bool) -> Node {
        let mut c = twiml::conference(&conference_name(case))
            .attr("beep", "false")
            .attr(
                "startConferenceOnEnter",
                if physician { "true" } else { "false" },
            )
            .attr("endConferenceOnExit", "true")
            .attr(
                "statusCallback",
                self.public(&format!("/twilio/voice/conference?case={case}")),
            )
            .attr("statusCallbackMethod", "POST")
            .attr("statusCallbackEvent", "start end join leave");
        if !physician {
            c = c
                .attr(
                    "waitUrl",
                    self.public(&format!("/twilio/voice/wait?case={case}")),
                )
                .attr("waitMethod", "POST");
        }
        twiml::dial(c)
    }

    /// Feeds engine input for a caller's keys, voice note or silence.
    async fn feed(
        &self,
        case: CaseId,
        who: &Person,
        said: Said,
        external: String,
        n: u32,
        before: Vec<Node>,
    ) -> Result<String, Fault> {
        let turn: Turn = self
            .hotline()
            .input(case, who, Channel::Twilio, said, Some(external), Utc::now())
            .await?;
        let state = turn.state;
        let r = if !turn.duplicate {
            prepend(before, self.turn(case, &state, &turn.effects, n))
        } else if state.paged.is_some() {
            // Stored before but the answer was lost: pick up where it is.
            self.turn_conference(case, &state)
        } else {
            match &state.last_prompt {
                Some(p) if state.phase == akutlinje_core::engine::Phase::Running => {
                    self.question(&before, p, n, 1)
                }
                _ => twiml::Response::new().with(twiml::hangup()),
            }
        };
        Ok(r.to_xml())
    }

    fn turn_conference(&self, case: CaseId, state: &CaseState) -> twiml::Response {
        twiml::Response::new()
            .with(self.say_id(conference_intro(state)))
            .with(self.bridge(case, false))
            .with(twiml::hangup())
    }
}

/// What a caller hears before waiting for the physician: after a treatment
/// decision that rules out 112, no "hang up and ring 112" that contradicts it.
fn conference_intro(state: &CaseState) -> &'static str {
    if state.admission_ruled_out() {
        "ivr-conference-intro-limited"
    } else {
        "ivr-conference-intro"
    }
}

fn prepend(before: Vec<Node>, r: twiml::Response) -> twiml::Response {
    if before.is_empty() {
        return r;
    }
    let mut out = twiml::Response::new();
    for b in before {
        out.push(b);
    }
    // Gather-wrapped speech already includes its own lines; this only adds
    // lines said before (e.g. "I heard nothing").
    out.extend(r);
    out
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

/// The leg of someone calling the hotline.
fn caller_leg(sid: &str, case: Option<CaseId>, who: Option<&Person>, status: &str) -> CallLeg {
    CallLeg {
        sid: sid.to_string(),
        role: CallRole::Caller,
        case,
        person: who.map(|p| p.id.clone()),
        notification: None,
        status: status.to_string(),
        at: now(),
    }
}
