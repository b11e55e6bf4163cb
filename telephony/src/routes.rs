//! The webhook handlers. Each answers once per (SID, step): the first answer
//! is stored and a retried webhook gets it back, so nothing is recorded
//! twice and the caller hears the same thing.

use std::collections::HashMap;
use std::future::Future;

use akutlinje_core::engine::{CaseState, Prompt};
use akutlinje_core::escalation::{EscalationState, NotificationKind};
use akutlinje_core::i18n::Msg;
use akutlinje_core::ids::CaseId;
use akutlinje_core::person::{Person, Role};
use akutlinje_core::record::{AccessAction, AccessEntry, Author, Channel, EventKind, NewEvent};
use akutlinje_core::service::{ServiceError, Turn};
use akutlinje_core::store::{CallLeg, CallRole, NewAttachment, StoreError};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use chrono::{DateTime, Utc};

use crate::ivr::{self, Keyed, Mode, Next, Speaker};
use crate::twiml::{self, Node};
use crate::webhook::{Rejected, Signed};
use crate::{case_code, conference_name, normalise_number, Telephony};

pub(crate) fn router(t: Telephony) -> Router {
    Router::new()
        .route("/twilio/voice/incoming", post(incoming))
        .route("/twilio/voice/pin", post(pin))
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
    #[error("{0}")]
    Other(String),
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
        let store = self.hotline().store();
        match store.webhook_answer(&sid, step).await {
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
            Ok(a) => match store.save_webhook_answer(&sid, step, &a, Utc::now()).await {
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
        let store = self.hotline().store();
        let Some(resident) = store.case(case).await?.and_then(|c| c.resident) else {
            return Ok(());
        };
        store
            .log_access(
                &AccessEntry::new(
                    Utc::now(),
                    Some(who.id.clone()),
                    resident,
                    Some(case),
                    AccessAction::Read,
                    Channel::Twilio,
                )
                .detail(detail),
            )
            .await?;
        Ok(())
    }

    /// A repeated webhook of a call leg that belongs to a case.
    async fn log_replay(&self, sid: &str) -> Result<(), Fault> {
        let store = self.hotline().store();
        let Some(leg) = store.call(sid).await? else {
            return Ok(());
        };
        let (Some(case), Some(pid)) = (leg.case, leg.person) else {
            return Ok(());
        };
        match store.person(&pid).await? {
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
        let event = NewEvent {
            at: Utc::now(),
            author: Author::system(),
            channel: Channel::Twilio,
            kind: EventKind::TelephonyStatus {
                leg: leg.into(),
                sid: sid.into(),
                status: status.into(),
                detail: detail.map(str::to_string),
            },
            corrects: None,
            external_id: Some(format!("{sid}:{leg}:{status}")),
        };
        match self.hotline().store().append_event(case, &event).await {
            Ok(_) | Err(StoreError::Duplicate) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn state(&self, case: CaseId) -> Result<CaseState, Fault> {
        let (json, _) = self
            .hotline()
            .store()
            .case_state(case)
            .await?
            .ok_or(Fault::Service(ServiceError::UnknownCase))?;
        serde_json::from_value(json).map_err(|e| Fault::Other(e.to_string()))
    }

    /// The caller's leg: its case and the staff member on it.
    async fn caller(&self, sid: &str) -> Result<Option<(CaseId, Person)>, Fault> {
        let store = self.hotline().store();
        let Some(leg) = store.call(sid).await? else {
            return Ok(None);
        };
        let (Some(case), Some(pid)) = (leg.case, leg.person) else {
            return Ok(None);
        };
        Ok(store.person(&pid).await?.map(|p| (case, p)))
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
                let s = self.say(l);
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
        text: &str,
        external: String,
        n: u32,
        before: Vec<Node>,
    ) -> Result<String, Fault> {
        let turn: Turn = self
            .hotline()
            .input(case, who, Channel::Twilio, text, Some(external), Utc::now())
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

// --- Inbound calls -------------------------------------------------------

async fn incoming(State(t): State<Telephony>, form: Signed) -> Result<Response, Rejected> {
    let sid = form.require("CallSid")?.to_string();
    let from = normalise_number(form.get("From").unwrap_or_default());
    let status = form.get("CallStatus").unwrap_or("ringing").to_string();
    Ok(t.once(sid, "incoming", true, move |t, sid| async move {
        let store = t.hotline().store();
        let person = store.person_by_phone(&from).await?;
        let staff = match person {
            Some(p) if p.role == Role::Staff => match &p.home {
                Some(h) => store.home(h).await?.map(|home| (p, home)),
                None => None,
            },
            _ => None,
        };
        let Some((who, home)) = staff else {
            tracing::info!("call from a number that is not registered staff");
            store
                .upsert_call(&caller_leg(&sid, None, None, &status))
                .await?;
            let r = twiml::Response::new()
                .with(
                    twiml::gather(&t.public("/twilio/voice/unknown"), 8)
                        .attr("numDigits", 1)
                        .child(t.say_id("ivr-unknown-caller")),
                )
                .with(t.say_id("ivr-goodbye"))
                .with(twiml::hangup());
            return Ok(r.to_xml());
        };
        if t.settings().pin_required {
            // Caller id is not proof: nothing about any resident until the
            // PIN is keyed. The leg knows who it claims to be, no case yet.
            store
                .upsert_call(&caller_leg(&sid, None, Some(&who), &status))
                .await?;
            return Ok(pin_prompt(&t, 1, "ivr-pin-ask").to_xml());
        }
        start_case(&t, &sid, &who, &home, &status).await
    })
    .await)
}

/// Opens the phone case of a call (or, on a retry, picks it up where it is).
async fn start_case(
    t: &Telephony,
    sid: &str,
    who: &Person,
    home: &akutlinje_core::person::Home,
    status: &str,
) -> Result<String, Fault> {
    let store = t.hotline().store();
    // The case id follows from the call, so a retry after a crash finds
    // the case instead of opening a second one.
    let case = CaseId::from_uuid(uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("twilio:{sid}").as_bytes(),
    ));
    let opened = t
        .hotline()
        .open_case(case, who, home, Channel::Twilio, t.settings().lang, now())
        .await;
    let r = match opened {
        Ok(turn) => {
            tracing::info!(case = %case, "phone case opened");
            t.turn(case, &turn.state, &turn.effects, 1)
        }
        // A retry after a crash: the case is there, ask where it stands.
        Err(ServiceError::Store(StoreError::Duplicate | StoreError::Conflict(_))) => {
            let state = t.state(case).await?;
            match &state.last_prompt {
                Some(p) => t.question(&[], p, 1, 1),
                None => t.turn_conference(case, &state),
            }
        }
        Err(e) => return Err(e.into()),
    };
    // The call rang before the PIN opened the case: that status belongs in
    // the record too.
    if let Some(earlier) = store.call(sid).await?.map(|l| l.status) {
        if earlier != status {
            t.status_event(case, "caller", sid, &earlier, None).await?;
        }
    }
    store
        .upsert_call(&caller_leg(sid, Some(case), Some(who), status))
        .await?;
    t.status_event(case, "caller", sid, status, None).await?;
    Ok(r.to_xml())
}

/// Wrong PINs tolerated on one call before the caller is put through to
/// the physician without resident data.
const PIN_TRIES: u32 = 3;

/// Asks for the PIN; silence comes back to the same step without digits.
fn pin_prompt(t: &Telephony, try_no: u32, say: &str) -> twiml::Response {
    let action = t.public(&format!("/twilio/voice/pin?try={try_no}"));
    twiml::Response::new()
        .with(
            twiml::gather(&action, 10)
                .attr("finishOnKey", "#")
                .child(t.say_id(say)),
        )
        .with(twiml::redirect(&action))
}

/// Put through to the physician on call, as an unknown caller is: help is
/// never blocked, and nothing about a resident is said.
fn put_through(t: &Telephony, say: &str) -> String {
    twiml::Response::new()
        .with(t.say_id(say))
        .with(twiml::redirect(&t.public("/twilio/voice/unknown/next?i=0")))
        .to_xml()
}

fn pin_matches(pin: String, hash: String) -> bool {
    use argon2::{Argon2, PasswordHash, PasswordVerifier};
    PasswordHash::new(&hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(pin.as_bytes(), &h)
            .is_ok()
    })
}

async fn pin(
    State(t): State<Telephony>,
    query: Params,
    form: Signed,
) -> Result<Response, Rejected> {
    let sid = form.require("CallSid")?.to_string();
    let try_no = q_num(&query, "try").clamp(1, PIN_TRIES);
    // The keys are never logged nor stored: only whether they matched.
    let digits: String = form
        .get("Digits")
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let status = form.get("CallStatus").unwrap_or("in-progress").to_string();
    Ok(t.once(
        sid,
        &format!("pin:{try_no}"),
        true,
        move |t, sid| async move {
            let store = t.hotline().store();
            let leg = store.call(&sid).await?;
            let who = match leg.as_ref().and_then(|l| l.person.clone()) {
                Some(p) => store.person(&p).await?,
                None => None,
            };
            let home = match who.as_ref().and_then(|w| w.home.clone()) {
                Some(h) => store.home(&h).await?,
                None => None,
            };
            let (Some(who), Some(home)) = (who, home) else {
                return Ok(put_through(&t, "ivr-unknown-connecting"));
            };
            if digits == "0" {
                tracing::info!(person = %who.id, "put through to the physician before the PIN");
                return Ok(put_through(&t, "ivr-unknown-connecting"));
            }
            let Some(hash) = store.pin_hash(&who.id, Some(&home.id)).await? else {
                tracing::warn!(person = %who.id, "no PIN is set for this caller or their home; put through without resident data");
                return Ok(put_through(&t, "ivr-pin-none"));
            };
            let ok = !digits.is_empty()
                && tokio::task::spawn_blocking(move || pin_matches(digits, hash))
                    .await
                    .unwrap_or(false);
            if ok {
                return start_case(&t, &sid, &who, &home, &status).await;
            }
            tracing::warn!(person = %who.id, try_no, "wrong or no PIN on the phone");
            if try_no < PIN_TRIES {
                Ok(pin_prompt(&t, try_no + 1, "ivr-pin-wrong").to_xml())
            } else {
                Ok(put_through(&t, "ivr-pin-failed"))
            }
        },
    )
    .await)
}

async fn gather(
    State(t): State<Telephony>,
    query: Params,
    form: Signed,
) -> Result<Response, Rejected> {
    let sid = form.require("CallSid")?.to_string();
    let n = q_num(&query, "n");
    let digits = form.get("Digits").unwrap_or_default().to_string();
    Ok(t.once(
        sid,
        &format!("gather:{n}"),
        true,
        move |t, sid| async move {
            let Some((case, who)) = t.caller(&sid).await? else {
                return Ok(twiml::Response::new()
                    .with(t.say_id("ivr-goodbye"))
                    .with(twiml::hangup())
                    .to_xml());
            };
            let state = t.state(case).await?;
            let text = match ivr::keys_to_input(state.last_prompt.as_ref(), &digits) {
                Keyed::Repeat => {
                    return Ok(match &state.last_prompt {
                        Some(p) => t.question(&[], p, n + 1, 1).to_xml(),
                        None => t.turn_conference(case, &state).to_xml(),
                    });
                }
                Keyed::Physician => "læge nu".to_string(),
                Keyed::Text(s) => s,
            };
            t.feed(
                case,
                &who,
                &text,
                format!("{sid}:gather:{n}"),
                n + 1,
                vec![],
            )
            .await
        },
    )
    .await)
}

async fn silence(
    State(t): State<Telephony>,
    query: Params,
    form: Signed,
) -> Result<Response, Rejected> {
    let sid = form.require("CallSid")?.to_string();
    let n = q_num(&query, "n");
    let tries = q_num(&query, "tries");
    Ok(t.once(
        sid,
        &format!("silence:{n}:{tries}"),
        true,
        move |t, sid| async move {
            let Some((case, who)) = t.caller(&sid).await? else {
                return Ok(twiml::Response::new().with(twiml::hangup()).to_xml());
            };
            let state = t.state(case).await?;
            if tries >= 3 {
                // Someone who cannot use the keypad still gets a physician.
                let before = vec![t.say_id("ivr-silence-transfer")];
                return t
                    .feed(
                        case,
                        &who,
                        "læge nu",
                        format!("{sid}:silence:{n}"),
                        n + 1,
                        before,
                    )
                    .await;
            }
            Ok(match &state.last_prompt {
                Some(p) => t
                    .question(&[t.say_id("ivr-silence")], p, n, tries + 1)
                    .to_xml(),
                None => t.turn_conference(case, &state).to_xml(),
            })
        },
    )
    .await)
}

async fn recorded(
    State(t): State<Telephony>,
    query: Params,
    form: Signed,
) -> Result<Response, Rejected> {
    let sid = form.require("CallSid")?.to_string();
    let n = q_num(&query, "n");
    let digits = form.get("Digits").unwrap_or_default().to_string();
    let seconds: u32 = form
        .get("RecordingDuration")
        .and_then(|d| d.parse().ok())
        .unwrap_or(0);
    let has_recording = form.get("RecordingUrl").is_some_and(|u| !u.is_empty()) && seconds > 0;
    Ok(t.once(
        sid,
        &format!("record:{n}"),
        true,
        move |t, sid| async move {
            let Some((case, who)) = t.caller(&sid).await? else {
                return Ok(twiml::Response::new().with(twiml::hangup()).to_xml());
            };
            let state = t.state(case).await?;
            let skippable = state.last_prompt.as_ref().is_some_and(|p| p.skippable);
            let text = if digits == "0" {
                "læge nu".to_string()
            } else if digits == "*" && skippable && !has_recording {
                "spring over".to_string()
            } else if has_recording {
                t.speaker()
                    .msg(&Msg::new("ivr-voice-note").arg("seconds", seconds))
            } else {
                let before = vec![t.say_id("ivr-no-recording")];
                return Ok(match &state.last_prompt {
                    Some(p) => t.question(&before, p, n + 1, 1).to_xml(),
                    None => t.turn_conference(case, &state).to_xml(),
                });
            };
            t.feed(
                case,
                &who,
                &text,
                format!("{sid}:record:{n}"),
                n + 1,
                vec![],
            )
            .await
        },
    )
    .await)
}

/// Twilio has the recording: fetch it with the account's credentials and
/// store it with the case (the transcription queue picks it up from there).
async fn recording_ready(State(t): State<Telephony>, form: Signed) -> Result<Response, Rejected> {
    let call = form.require("CallSid")?.to_string();
    let rec = form.require("RecordingSid")?.to_string();
    let status = form
        .get("RecordingStatus")
        .unwrap_or("completed")
        .to_string();
    let url = form.get("RecordingUrl").unwrap_or_default().to_string();
    let seconds: Option<u64> = form.get("RecordingDuration").and_then(|d| d.parse().ok());
    Ok(t.once(rec, "recording", false, move |t, rec| async move {
        let Some((case, who)) = t.caller(&call).await? else {
            return Ok(twiml::Response::new().to_xml());
        };
        if status != "completed" || url.is_empty() {
            t.status_event(case, "recording", &rec, &status, None)
                .await?;
            return Ok(twiml::Response::new().to_xml());
        }
        match t.client().fetch_recording(&url).await {
            Ok((data, mime)) => {
                let audio = NewAttachment {
                    mime,
                    data,
                    external_id: Some(rec.clone()),
                };
                match t
                    .hotline()
                    .attach_audio(
                        case,
                        &who,
                        Channel::Twilio,
                        &audio,
                        seconds.map(|s| s * 1000),
                        now(),
                    )
                    .await
                {
                    Ok(_) | Err(ServiceError::Store(StoreError::Duplicate)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Err(e) => {
                tracing::error!(case = %case, error = %e, "could not fetch a recording");
                let detail = e.to_string();
                t.status_event(case, "recording", &rec, "fetch_failed", Some(&detail))
                    .await?;
            }
        }
        Ok(twiml::Response::new().to_xml())
    })
    .await)
}

/// A call leg changed state (the caller's, or a physician's page call).
async fn call_status(State(t): State<Telephony>, form: Signed) -> Result<Response, Rejected> {
    let sid = form.require("CallSid")?.to_string();
    let status = form.require("CallStatus")?.to_string();
    let detail = form
        .get("AnsweredBy")
        .or(form.get("ErrorCode"))
        .filter(|d| !d.is_empty())
        .map(str::to_string);
    Ok(t.once(
        sid,
        &format!("status:{status}"),
        false,
        move |t, sid| async move {
            let store = t.hotline().store();
            if let Some(leg) = store.call(&sid).await? {
                store
                    .upsert_call(&CallLeg {
                        status: status.clone(),
                        at: now(),
                        ..leg.clone()
                    })
                    .await?;
                if let Some(case) = leg.case {
                    t.status_event(case, leg.role.as_str(), &sid, &status, detail.as_deref())
                        .await?;
                }
            }
            Ok(twiml::Response::new().to_xml())
        },
    )
    .await)
}

/// What a waiting caller hears, again and again (Twilio loops it): music or
/// silence, then where the page stands.
async fn wait(
    State(t): State<Telephony>,
    query: Params,
    _form: Signed,
) -> Result<Response, Rejected> {
    let case = q_case(&query)?;
    let state = t
        .hotline()
        .store()
        .escalation(case)
        .await
        .ok()
        .flatten()
        .map(|e| e.state);
    let limited = t.state(case).await.is_ok_and(|s| s.admission_ruled_out());
    let id = match (state, limited) {
        (Some(EscalationState::Acknowledged), _) => "ivr-wait-acknowledged",
        (Some(EscalationState::Exhausted), false) => "ivr-wait-exhausted",
        (Some(EscalationState::Exhausted), true) => "ivr-wait-exhausted-limited",
        (_, false) => "ivr-wait-calling",
        (_, true) => "ivr-wait-calling-limited",
    };
    let mut r = twiml::Response::new();
    match &t.settings().hold_music {
        Some(url) => r.push(twiml::play(url)),
        None => r.push(twiml::pause(50)),
    };
    r.push(t.say_id(id));
    Ok(xml(r.to_xml()))
}

async fn conference_status(
    State(t): State<Telephony>,
    query: Params,
    form: Signed,
) -> Result<Response, Rejected> {
    let case = q_case(&query)?;
    let event = form.require("StatusCallbackEvent")?.to_string();
    let sid = form
        .get("CallSid")
        .or(form.get("ConferenceSid"))
        .unwrap_or_default()
        .to_string();
    Ok(t.once(
        sid,
        &format!("conference:{event}"),
        false,
        move |t, sid| async move {
            t.status_event(case, "conference", &sid, &event, None)
                .await?;
            Ok(twiml::Response::new().to_xml())
        },
    )
    .await)
}

// --- Unknown callers -----------------------------------------------------

async fn unknown_caller(State(t): State<Telephony>, form: Signed) -> Result<Response, Rejected> {
    let sid = form.require("CallSid")?.to_string();
    let digits = form.get("Digits").unwrap_or_default().to_string();
    Ok(t.once(sid, "unknown", true, move |t, _| async move {
        let r = if digits == "0" {
            twiml::Response::new()
                .with(t.say_id("ivr-unknown-connecting"))
                .with(twiml::redirect(&t.public("/twilio/voice/unknown/next?i=0")))
        } else {
            twiml::Response::new()
                .with(t.say_id("ivr-goodbye"))
                .with(twiml::hangup())
        };
        Ok(r.to_xml())
    })
    .await)
}

/// Dials the physicians on call one after the other (the `<Dial>` action
/// comes back here with the outcome).
async fn unknown_next(
    State(t): State<Telephony>,
    query: Params,
    form: Signed,
) -> Result<Response, Rejected> {
    let sid = form.require("CallSid")?.to_string();
    let i = q(&query, "i")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let dialled = form.get("DialCallStatus").map(str::to_string);
    Ok(t.once(
        sid,
        &format!("unknown-next:{i}"),
        true,
        move |t, _| async move {
            if dialled.as_deref() == Some("completed") {
                return Ok(twiml::Response::new().with(twiml::hangup()).to_xml());
            }
            let phones: Vec<String> = t
                .oncall()
                .physicians(now())
                .await
                .into_iter()
                .filter_map(|p| p.phone)
                .collect();
            let r = match phones.get(i) {
                Some(phone) => twiml::Response::new().with(
                    twiml::dial(twiml::number(&normalise_number(phone)))
                        .attr("callerId", &t.settings().from)
                        .attr("timeout", 25)
                        .attr(
                            "action",
                            t.public(&format!("/twilio/voice/unknown/next?i={}", i + 1)),
                        )
                        .attr("method", "POST"),
                ),
                None => twiml::Response::new()
                    .with(t.say_id("ivr-unknown-nobody"))
                    .with(twiml::hangup()),
            };
            Ok(r.to_xml())
        },
    )
    .await)
}

// --- Voice pages ---------------------------------------------------------

async fn paged_person(
    t: &Telephony,
    case: CaseId,
    notification: i64,
) -> Result<Option<Person>, Fault> {
    let store = t.hotline().store();
    let n = store
        .notifications(case)
        .await?
        .into_iter()
        .find(|n| n.id == notification);
    let Some(n) = n else { return Ok(None) };
    if n.new.kind != NotificationKind::Page {
        return Ok(None);
    }
    Ok(store.person(&n.new.person).await?)
}

/// What the physician hears when picking up: where from, how urgent, why.
async fn page_summary(t: &Telephony, case: CaseId) -> Result<String, Fault> {
    let state = t.state(case).await?;
    let loc = t.hotline().localizer();
    let lang = t.settings().lang;
    let (urgency, _) = state.urgency();
    let isbar = akutlinje_core::isbar::build(t.hotline().checklist(), &state);
    let room = state
        .resident
        .as_ref()
        .map(|r| loc.render(lang, &Msg::new("ivr-page-room").arg("room", &r.room)))
        .unwrap_or_default();
    let flags = akutlinje_core::engine::flag_labels(
        t.hotline().checklist(),
        state.red_flags.as_deref().unwrap_or(&[]),
    );
    let reason = if !flags.is_empty() {
        loc.render(lang, &Msg::new("reason-red-flag").arg_list("flags", flags))
    } else if isbar.news2.is_empty() {
        loc.text(lang, "reason-no-vitals")
    } else if isbar.news2.is_complete() {
        loc.render(
            lang,
            &Msg::new("ivr-page-news").arg("total", isbar.news2.total),
        )
    } else {
        loc.render(
            lang,
            &Msg::new("ivr-page-news-partial").arg("total", isbar.news2.total),
        )
    };
    let text = loc.render(
        lang,
        &Msg::new("ivr-page")
            .arg("home", &state.caller.home_name)
            .arg("room", room)
            .arg_msg("urgency", urgency.label())
            .arg("reason", reason),
    );
    Ok(ivr::speakable(&text))
}

async fn page_answered(
    State(t): State<Telephony>,
    query: Params,
    form: Signed,
) -> Result<Response, Rejected> {
    let sid = form.require("CallSid")?.to_string();
    let case = q_case(&query)?;
    let notification: i64 = q(&query, "notification")
        .and_then(|v| v.parse().ok())
        .ok_or(Rejected::Missing("notification"))?;
    let answered_by = form.get("AnsweredBy").unwrap_or_default().to_string();
    Ok(t.once(sid, "page", true, move |t, sid| async move {
        if answered_by.starts_with("machine") || answered_by == "fax" {
            // A voicemail is not an acknowledgement; the escalation goes on.
            t.status_event(case, "physician", &sid, "answered", Some(&answered_by))
                .await?;
            return Ok(twiml::Response::new().with(twiml::hangup()).to_xml());
        }
        let Some(physician) = paged_person(&t, case, notification).await? else {
            return Ok(twiml::Response::new().with(twiml::hangup()).to_xml());
        };
        let summary = page_summary(&t, case).await?;
        // The physician hears where and how urgent, with the room: a read.
        t.log_read(case, &physician, "page").await?;
        Ok(page_menu(&t, case, notification, &summary, 1).to_xml())
    })
    .await)
}

fn page_menu(
    t: &Telephony,
    case: CaseId,
    notification: i64,
    summary: &str,
    try_no: u32,
) -> twiml::Response {
    let action = t.public(&format!(
        "/twilio/voice/page/answer?case={case}&notification={notification}&try={try_no}"
    ));
    let keys = t.speaker().text("ivr-page-keys");
    let menu = |text: String| {
        twiml::gather(&action, 8)
            .attr("numDigits", 1)
            .child(t.say(&text))
    };
    twiml::Response::new()
        .with(menu(format!("{summary} {keys}")))
        .with(menu(keys.clone()))
        .with(t.say_id("ivr-page-no-answer"))
        .with(twiml::hangup())
}

async fn page_keys(
    State(t): State<Telephony>,
    query: Params,
    form: Signed,
) -> Result<Response, Rejected> {
    let sid = form.require("CallSid")?.to_string();
    let case = q_case(&query)?;
    let notification: i64 = q(&query, "notification")
        .and_then(|v| v.parse().ok())
        .ok_or(Rejected::Missing("notification"))?;
    let try_no = q_num(&query, "try");
    let digits = form.get("Digits").unwrap_or_default().to_string();
    Ok(t.once(
        sid,
        &format!("page-answer:{try_no}"),
        true,
        move |t, sid| async move {
            let Some(who) = paged_person(&t, case, notification).await? else {
                return Ok(twiml::Response::new().with(twiml::hangup()).to_xml());
            };
            let store = t.hotline().store();
            match digits.as_str() {
                "1" => {
                    let before = store.escalation(case).await?.map(|e| e.state);
                    t.hotline()
                        .respond_to_page(
                            case,
                            &who,
                            Channel::Twilio,
                            false,
                            Some(&format!("{sid}:answer")),
                            now(),
                        )
                        .await?;
                    if before == Some(EscalationState::Acknowledged) {
                        // Someone else was first; was it this physician?
                        let events = store.events(case).await?;
                        let first = events.iter().find_map(|e| match &e.event.kind {
                            EventKind::PageAcknowledged { person, .. } => Some(person.clone()),
                            _ => None,
                        });
                        if first.as_ref() != Some(&who.id) {
                            return Ok(twiml::Response::new()
                                .with(t.say_id("ivr-page-taken"))
                                .with(twiml::hangup())
                                .to_xml());
                        }
                    }
                    let caller_waiting = store.calls_of_case(case).await?.into_iter().any(|c| {
                        c.role == CallRole::Caller
                            && matches!(
                                c.status.as_str(),
                                "ringing" | "in-progress" | "queued" | "answered"
                            )
                    });
                    let r = if caller_waiting {
                        twiml::Response::new()
                            .with(t.say_id("ivr-page-connecting"))
                            .with(t.bridge(case, true))
                            .with(twiml::hangup())
                    } else {
                        let opener = match store.case(case).await?.and_then(|c| c.opened_by) {
                            Some(p) => store.person(&p).await?,
                            None => None,
                        };
                        match opener.and_then(|p| p.phone) {
                            Some(phone) => twiml::Response::new()
                                .with(t.say_id("ivr-page-call-home"))
                                .with(
                                    twiml::dial(twiml::number(&normalise_number(&phone)))
                                        .attr("callerId", &t.settings().from)
                                        .attr("timeout", 30),
                                )
                                .with(twiml::hangup()),
                            None => twiml::Response::new()
                                .with(t.say_id("ivr-page-acknowledged"))
                                .with(twiml::hangup()),
                        }
                    };
                    Ok(r.to_xml())
                }
                "2" => {
                    t.hotline()
                        .respond_to_page(
                            case,
                            &who,
                            Channel::Twilio,
                            true,
                            Some(&format!("{sid}:decline")),
                            now(),
                        )
                        .await?;
                    Ok(twiml::Response::new()
                        .with(t.say_id("ivr-page-declined"))
                        .with(twiml::hangup())
                        .to_xml())
                }
                _ if try_no < 3 => {
                    let summary = page_summary(&t, case).await?;
                    t.log_read(case, &who, "page").await?;
                    Ok(page_menu(&t, case, notification, &summary, try_no + 1).to_xml())
                }
                _ => Ok(twiml::Response::new()
                    .with(t.say_id("ivr-page-no-answer"))
                    .with(twiml::hangup())
                    .to_xml()),
            }
        },
    )
    .await)
}

// --- SMS -----------------------------------------------------------------

/// A physician's reply: `OK 4821` or `NEJ 4821` (a code is required; see
/// `sms_incoming`).
fn parse_reply(body: &str) -> Option<(bool, Option<String>)> {
    let lower = body.trim().to_lowercase();
    let mut words = lower.split(|c: char| c.is_whitespace() || c == ',' || c == '.');
    let first = words.next()?;
    let decline = match first {
        "ok" | "okay" | "ja" | "kvitter" | "kvittér" | "✅" => false,
        "nej" | "no" | "afvis" | "❌" => true,
        _ => return None,
    };
    let code = words.find(|w| !w.is_empty()).map(str::to_string);
    Some((decline, code))
}

async fn sms_incoming(State(t): State<Telephony>, form: Signed) -> Result<Response, Rejected> {
    let sid = form.require("MessageSid")?.to_string();
    let from = normalise_number(form.get("From").unwrap_or_default());
    let body = form.get("Body").unwrap_or_default().to_string();
    Ok(t.once(sid, "sms", false, move |t, sid| async move {
        let store = t.hotline().store();
        let loc = t.hotline().localizer();
        let lang = t.settings().lang;
        let reply = |text: String| Ok(twiml::Response::new().with(twiml::message(&text)).to_xml());
        let Some(who) = store.person_by_phone(&from).await? else {
            return reply(loc.text(lang, "sms-unknown-sender"));
        };
        if who.role != Role::Physician {
            return reply(loc.text(lang, "sms-not-physician"));
        }
        let Some((decline, code)) = parse_reply(&body) else {
            return reply(loc.text(lang, "sms-help"));
        };
        // A bare "OK" is not enough: with two pages open it would take the
        // wrong one, and a stale or misdirected text would acknowledge
        // whatever is newest. The reply must name the case.
        let Some(code) = code else {
            return reply(loc.text(lang, "sms-code-needed"));
        };
        let pages = store.pages_to(&who.id, 20).await?;
        let Some(case) = pages.iter().copied().find(|p| case_code(*p) == code) else {
            return reply(loc.render(lang, &Msg::new("sms-unknown-code").arg("code", code)));
        };
        t.hotline()
            .respond_to_page(case, &who, Channel::Twilio, decline, Some(&sid), now())
            .await?;
        let id = if decline {
            "sms-declined"
        } else {
            "sms-acknowledged"
        };
        reply(loc.render(lang, &Msg::new(id).arg("code", case_code(case))))
    })
    .await)
}

async fn sms_status(State(t): State<Telephony>, form: Signed) -> Result<Response, Rejected> {
    let sid = form.require("MessageSid")?.to_string();
    let status = form
        .get("MessageStatus")
        .or(form.get("SmsStatus"))
        .unwrap_or("unknown")
        .to_string();
    let error = form
        .get("ErrorCode")
        .filter(|e| !e.is_empty())
        .map(str::to_string);
    Ok(t.once(
        sid,
        &format!("status:{status}"),
        false,
        move |t, sid| async move {
            if let Some((case, _)) = t.hotline().store().page_by_external_id(&sid).await? {
                t.status_event(case, "sms", &sid, &status, error.as_deref())
                    .await?;
            }
            Ok(twiml::Response::new().to_xml())
        },
    )
    .await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sms_replies() {
        assert_eq!(parse_reply("OK 4821"), Some((false, Some("4821".into()))));
        assert_eq!(
            parse_reply(" nej, 0042 "),
            Some((true, Some("0042".into())))
        );
        assert_eq!(parse_reply("ok"), Some((false, None)));
        assert_eq!(parse_reply("Hvad er det?"), None);
        assert_eq!(parse_reply(""), None);
    }
}
