//! The hotline on the SIP bridge: a nurse's call runs the same checklist,
//! keys and rules as the Twilio line ([`crate::ivr`]): the staff PIN before
//! any resident data, red flags → "Ring 112 nu" first unless the treatment
//! level rules it out, three silences or key 0 → the physician, voice notes
//! recorded and stored for transcription. A caller whose case is paged
//! waits (the wait prompt, repeated) until the physician who takes the page
//! is put through; a caller the hotline does not know hears nothing about
//! residents and can still reach the physician on call.
//!
//! Pages go out through the same bridge ([`SipPager`]): the physician hears
//! the home, urgency and score (no name), and presses 1 or 2. A voicemail
//! cannot press 1, so only a key acknowledges.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use akutlinje_core::engine::{
    after_silence, AfterSilence, CaseState, Command, Entry, Prompt, Said,
};
use akutlinje_core::escalation::{
    EscalationState, Notification, NotificationKind, NotifyChannel, SendError, Sender,
};
use akutlinje_core::i18n::{Lang, Msg};
use akutlinje_core::ids::CaseId;
use akutlinje_core::person::{Home, Person, Role};
use akutlinje_core::phone::PhoneNumber;
use akutlinje_core::record::Channel;
use akutlinje_core::roster::Roster;
use akutlinje_core::service::{Hotline, ServiceError};
use akutlinje_core::store::{CallLeg, CallRole, NewAttachment, StoreError};
use chrono::Utc;
use tokio::sync::oneshot;
use tracing::Instrument;

use super::media;
use super::prompts::{PromptError, Prompts};
use super::talk::{wav, Ended, RecordLimits, Talk};
use super::trunk::{Call, Calls, DialError, Dialer, Placed};
use crate::ivr::{self, Keyed, Mode, Next, Speaker, Utterance};
use crate::Ports;

/// How the line behaves.
#[derive(Debug, Clone)]
pub struct LineSettings {
    /// The language of the line.
    pub lang: Lang,
    /// Staff key a PIN before any resident data is said (caller id is no
    /// proof). On by default.
    pub pin_required: bool,
    /// How a person's number becomes a SIP address for a page:
    /// `sip:{number}@pbx.example.org` (`{number}` is the E.164 number,
    /// `{national}` the same without `+45`).
    pub dial: String,
    /// The user part our calls come from (the hotline's number or extension).
    pub from_user: String,
    /// How long a page rings before it counts as not answered.
    pub ring: Duration,
    /// How a voice note is recorded.
    pub recording: RecordLimits,
    /// Quiet between two wait prompts of a caller waiting for the physician.
    pub wait_gap: Duration,
}

impl Default for LineSettings {
    fn default() -> LineSettings {
        LineSettings {
            lang: Lang::Da,
            pin_required: true,
            dial: "sip:{number}@127.0.0.1".into(),
            from_user: "akutlinje".into(),
            ring: Duration::from_secs(30),
            recording: RecordLimits::default(),
            wait_gap: Duration::from_secs(8),
        }
    }
}

/// The hotline's calls on the SIP bridge. Cheap to clone.
#[derive(Clone)]
pub struct Line(Arc<Inner>);

struct Inner {
    hotline: Hotline,
    db: Ports,
    prompts: Prompts,
    settings: LineSettings,
    oncall: Arc<dyn Roster>,
    dialer: Dialer,
    /// Callers waiting for their physician, by case: the page call that is
    /// accepted hands its media over here.
    waiting: Mutex<HashMap<CaseId, oneshot::Sender<Placed>>>,
}

impl std::fmt::Debug for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Line")
            .field("settings", &self.0.settings)
            .finish_non_exhaustive()
    }
}

/// Something inside failed (the store, the prompts).
#[derive(Debug, thiserror::Error)]
enum Fault {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Prompt(#[from] PromptError),
    #[error(transparent)]
    Ended(#[from] Ended),
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[async_trait::async_trait]
impl Calls for Line {
    async fn call(&self, call: Call) {
        // The Call-ID's first characters name the call in the log; the
        // caller's number never does.
        let short: String = call.id.chars().take(12).collect();
        let span = tracing::info_span!("sip_call", call = %short);
        self.run(call).instrument(span).await;
    }
}

impl Line {
    /// The line over the hotline service; places calls with `dialer`.
    pub fn new(
        hotline: Hotline,
        db: impl Into<Ports>,
        prompts: Prompts,
        settings: LineSettings,
        oncall: Arc<dyn Roster>,
        dialer: Dialer,
    ) -> Line {
        Line(Arc::new(Inner {
            hotline,
            db: db.into(),
            prompts,
            settings,
            oncall,
            dialer,
            waiting: Mutex::new(HashMap::new()),
        }))
    }

    /// The voice channel of the outbox through this bridge.
    pub fn pager(&self, runtime: tokio::runtime::Handle) -> SipPager {
        SipPager {
            line: self.clone(),
            runtime,
        }
    }

    fn speaker(&self) -> Speaker<'_> {
        Speaker {
            loc: self.0.hotline.localizer(),
            lang: self.0.settings.lang,
        }
    }

    fn audio(&self, u: &Utterance) -> Result<Vec<i16>, PromptError> {
        let lang = self.0.settings.lang;
        match u {
            Utterance::Msg(m) => self
                .0
                .prompts
                .audio(lang, &self.speaker().telephone_form(m)),
            Utterance::Private(text) => self.0.prompts.speech(lang, text),
        }
    }

    fn msg(&self, id: &str) -> Result<Vec<i16>, PromptError> {
        self.audio(&Utterance::Msg(Msg::new(id)))
    }

    async fn say_id(&self, talk: &mut Talk, id: &str) -> Result<Option<char>, Fault> {
        let audio = self.msg(id)?;
        Ok(talk.say(&audio).await?)
    }

    async fn run(&self, call: Call) {
        let Call {
            id,
            media,
            caller,
            hangup,
            info_keys,
        } = call;
        let mut talk = Talk {
            media,
            hangup,
            info_keys,
        };
        let outcome = self.answer(&id, caller.as_deref(), &mut talk).await;
        let status = match &outcome {
            Ok(()) => "completed",
            Err(Fault::Ended(_)) => "caller-hung-up",
            Err(_) => "failed",
        };
        if let Err(e) = &outcome {
            if !matches!(e, Fault::Ended(_)) {
                tracing::error!(error = %e, "SIP call failed");
                // Safety first: never leave a caller in silence.
                let id = if self.limited(&id).await {
                    "ivr-error-limited"
                } else {
                    "ivr-error"
                };
                if self.say_id(&mut talk, id).await.is_ok() {
                    let _ = self.put_through(&mut talk).await;
                }
            }
        }
        // A call that ends mid-checklist leaves the case as it stands; the
        // record says how the call ended.
        if let Ok(Some(leg)) = self.0.db.channels.call(&id).await {
            let _ = self
                .0
                .db
                .channels
                .upsert_call(&CallLeg {
                    status: status.into(),
                    at: Utc::now(),
                    ..leg.clone()
                })
                .await;
            if let Some(case) = leg.case {
                let _ = self.status_event(case, "caller", &id, status, None).await;
            }
        }
        tracing::info!(status, "SIP call ended");
    }

    /// Whether the call's case ruled out 112 (then no "ring 112" is said).
    async fn limited(&self, call: &str) -> bool {
        match self.0.db.channels.call(call).await {
            Ok(Some(CallLeg { case: Some(c), .. })) => self
                .0
                .hotline
                .case_state(c)
                .await
                .is_ok_and(|s| s.admission_ruled_out()),
            _ => false,
        }
    }

    async fn answer(&self, call: &str, caller: Option<&str>, talk: &mut Talk) -> Result<(), Fault> {
        let staff = self.staff(caller).await?;
        self.0
            .db
            .channels
            .upsert_call(&leg(
                call,
                None,
                staff.as_ref().map(|s| &s.0),
                "in-progress",
            ))
            .await?;
        let Some((who, home)) = staff else {
            tracing::info!("SIP call from a caller who is not registered staff");
            let key = match self.say_id(talk, "ivr-unknown-caller").await? {
                Some(k) => Some(k),
                None => talk.key(super::talk::FIRST_KEY).await?,
            };
            if key == Some('0') {
                self.say_id(talk, "ivr-unknown-connecting").await?;
                return self.put_through(talk).await;
            }
            self.say_id(talk, "ivr-goodbye").await?;
            return Ok(());
        };
        self.identified(call, talk, who, home, "ivr-pin-ask").await
    }

    /// A caller known as staff of `home`: the PIN, then any advice waiting
    /// for a read-back and any re-measure order, then a new case. Also how a
    /// reminder call the hotline places to a nurse goes on.
    async fn identified(
        &self,
        call: &str,
        talk: &mut Talk,
        who: Person,
        home: Home,
        ask_pin: &str,
    ) -> Result<(), Fault> {
        if self.0.settings.pin_required && !self.pin(talk, &who, &home, ask_pin).await? {
            return self.put_through(talk).await;
        }
        // Advice waiting for a read-back: read out, key 1 confirms it.
        if let Some(case) = self
            .0
            .hotline
            .pending_readbacks(&who, Utc::now())
            .await?
            .first()
            .copied()
        {
            let lang = self.0.settings.lang;
            let advice = self
                .0
                .hotline
                .last_advice(case, lang)
                .await?
                .unwrap_or_default();
            tracing::info!(case = %case, "advice read out for a read-back");
            self.log_read(case, &who, "sip_readback").await?;
            let offer = Msg::new("ivr-readback-offer").arg("advice", advice);
            // The advice is the physician's words about a resident: spoken
            // from a per-call rendering, never cached.
            let text = self.speaker().msg(&offer);
            let key = match talk.say(&self.0.prompts.speech(lang, &text)?).await? {
                Some(k) => Some(k),
                None => talk.key(super::talk::FIRST_KEY).await?,
            };
            if key == Some('1') {
                self.0
                    .hotline
                    .confirm_advice(
                        case,
                        &who,
                        akutlinje_core::service::Via {
                            channel: Channel::Sip,
                            external_id: Some(&format!("{call}:readback")),
                        },
                        Utc::now(),
                    )
                    .await?;
                tracing::info!(case = %case, "advice confirmed by SIP");
                self.say_id(talk, "ivr-readback-confirmed").await?;
            }
        }
        // A re-measure order waiting for this home: offered first (key 1);
        // any other key, or none, is a new case.
        if let Some((case, room)) = self.0.hotline.pending_remeasure(&who, Utc::now()).await? {
            tracing::info!(case = %case, "a re-measurement is offered to the caller");
            let offer = Msg::new("ivr-remeasure-offer").arg("room", room.as_deref().unwrap_or("?"));
            let key = match talk.say(&self.audio(&Utterance::Msg(offer))?).await? {
                Some(k) => Some(k),
                None => talk.key(super::talk::FIRST_KEY).await?,
            };
            if key == Some('1') {
                return self.checklist(call, talk, &who, &home, Some(case)).await;
            }
        }
        self.checklist(call, talk, &who, &home, None).await
    }

    /// The registered staff member a caller id names, with their home.
    async fn staff(&self, caller: Option<&str>) -> Result<Option<(Person, Home)>, Fault> {
        let Some(number) = caller.and_then(|c| PhoneNumber::parse(c).ok()) else {
            return Ok(None);
        };
        let Some(p) = self.0.db.people.person_by_phone(&number).await? else {
            return Ok(None);
        };
        if p.role != Role::Staff {
            return Ok(None);
        }
        let Some(h) = &p.home else {
            return Ok(None);
        };
        Ok(self.0.db.people.home(h).await?.map(|home| (p, home)))
    }

    /// The PIN: true when it matched; false to put the caller through
    /// without resident data (key 0, no PIN set, three wrong tries).
    async fn pin(
        &self,
        talk: &mut Talk,
        who: &Person,
        home: &Home,
        ask: &str,
    ) -> Result<bool, Fault> {
        let mut say = ask;
        for try_no in 1..=crate::PIN_TRIES {
            let first = self.say_id(talk, say).await?;
            // The keys are never logged nor stored: only whether they matched.
            let digits: String = talk
                .keys(first, Some(12))
                .await?
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            if digits == "0" {
                self.say_id(talk, "ivr-unknown-connecting").await?;
                return Ok(false);
            }
            let Some(hash) = self.0.db.sessions.pin_hash(&who.id, Some(&home.id)).await? else {
                tracing::warn!(person = %who.id, "no PIN is set for this caller or their home; put through without resident data");
                self.say_id(talk, "ivr-pin-none").await?;
                return Ok(false);
            };
            let ok = !digits.is_empty()
                && tokio::task::spawn_blocking(move || crate::pin_matches(digits, hash))
                    .await
                    .unwrap_or(false);
            if ok {
                return Ok(true);
            }
            tracing::warn!(person = %who.id, try_no, "wrong or no PIN on the SIP line");
            say = "ivr-pin-wrong";
        }
        self.say_id(talk, "ivr-pin-failed").await?;
        Ok(false)
    }

    /// The checklist on a new case, or (`remeasure`) the re-measurement of
    /// a case whose order waits for values.
    async fn checklist(
        &self,
        call: &str,
        talk: &mut Talk,
        who: &Person,
        home: &Home,
        remeasure: Option<CaseId>,
    ) -> Result<(), Fault> {
        let h = &self.0.hotline;
        let lang = self.0.settings.lang;
        let (case, mut state, mut effects) = match remeasure {
            Some(case) => {
                let turn = h
                    .input(
                        case,
                        who,
                        Channel::Sip,
                        Said::Text(
                            akutlinje_core::engine::parse::remeasure_words(lang).to_string(),
                        ),
                        Some(format!("{call}:remeasure")),
                        Utc::now(),
                    )
                    .await?;
                tracing::info!(case = %case, "re-measurement by SIP");
                (case, turn.state, turn.effects)
            }
            None => {
                // The case id follows from the call: a retry finds the same case.
                let case = CaseId::from_uuid(uuid::Uuid::new_v5(
                    &uuid::Uuid::NAMESPACE_URL,
                    format!("sip:{call}").as_bytes(),
                ));
                let (state, effects) = match h
                    .open_case(case, who, home, Channel::Sip, lang, Utc::now())
                    .await
                {
                    Ok(turn) => (turn.state, turn.effects),
                    Err(ServiceError::Store(StoreError::Duplicate | StoreError::Conflict(_))) => {
                        (h.case_state(case).await?, Vec::new())
                    }
                    Err(e) => return Err(e.into()),
                };
                tracing::info!(case = %case, "SIP case opened");
                (case, state, effects)
            }
        };
        self.0
            .db
            .channels
            .upsert_call(&leg(call, Some(case), Some(who), "in-progress"))
            .await?;
        self.status_event(case, "caller", call, "in-progress", None)
            .await?;
        let mut n = 0u32;
        loop {
            n += 1;
            let spoken = ivr::speak(&self.speaker(), state.opened_on, &effects);
            if spoken
                .lines
                .iter()
                .any(|(u, _)| matches!(u, Utterance::Private(_)))
            {
                self.log_read(case, who, "sip").await?;
            }
            let mut pressed = None;
            'said: for (u, times) in &spoken.lines {
                let audio = self.audio(u)?;
                for _ in 0..*times {
                    pressed = talk.say(&audio).await?;
                    if pressed.is_some() {
                        break 'said;
                    }
                }
            }
            let said = match spoken.next {
                Next::Ask(p) => self.ask(call, talk, case, who, &p, pressed, n).await?,
                Next::Conference => return self.wait_for_physician(talk, case, &state).await,
                Next::Hangup => {
                    self.say_id(talk, "ivr-goodbye").await?;
                    return Ok(());
                }
            };
            let turn = h
                .input(
                    case,
                    who,
                    Channel::Sip,
                    said,
                    Some(format!("{call}:{n}")),
                    Utc::now(),
                )
                .await?;
            state = turn.state;
            effects = turn.effects;
            if turn.duplicate {
                // Stored before: pick up where the case stands.
                effects = state
                    .last_prompt
                    .clone()
                    .map(akutlinje_core::engine::Effect::Ask)
                    .into_iter()
                    .collect();
            }
        }
    }

    /// One question, asked until it is answered (silence: asked again; the
    /// third silence puts the caller through to the physician).
    #[allow(clippy::too_many_arguments)]
    async fn ask(
        &self,
        call: &str,
        talk: &mut Talk,
        case: CaseId,
        who: &Person,
        p: &Prompt,
        mut pressed: Option<char>,
        n: u32,
    ) -> Result<Said, Fault> {
        let lang = self.0.settings.lang;
        let parts: Vec<Vec<i16>> = self
            .speaker()
            .prompt_parts(p)
            .iter()
            .map(|m| self.0.prompts.audio(lang, m))
            .collect::<Result<_, _>>()?;
        let question = Prompts::compose(&parts);
        let mut silences = 0u32;
        loop {
            let first = match pressed.take() {
                Some(k) => Some(k),
                None => talk.say(&question).await?,
            };
            match ivr::mode(p) {
                Mode::Keys { num_digits } => {
                    let keys = talk.keys(first, num_digits).await?;
                    match ivr::keys_to_input(Some(p), &keys) {
                        Keyed::Said(s) => return Ok(s),
                        // "#" alone: the question again.
                        Keyed::Repeat if !keys.is_empty() => continue,
                        Keyed::Repeat => {}
                    }
                }
                Mode::Voice { skippable } => {
                    match first {
                        Some('0') => return Ok(Command::PhysicianNow.into()),
                        Some('*') if skippable => return Ok(Command::Skip.into()),
                        _ => {}
                    }
                    let r = talk.record(self.0.settings.recording).await?;
                    match r.key {
                        Some('0') => return Ok(Command::PhysicianNow.into()),
                        Some('*') if skippable && !r.speech => return Ok(Command::Skip.into()),
                        _ => {}
                    }
                    if r.speech {
                        return self.voice_note(call, case, who, &r.pcm, n).await;
                    }
                }
            }
            silences += 1;
            if after_silence(silences) == AfterSilence::Physician {
                self.say_id(talk, "ivr-silence-transfer").await?;
                return Ok(Command::PhysicianNow.into());
            }
            pressed = self.say_id(talk, "ivr-silence").await?;
        }
    }

    /// Stores a voice note with the case (transcribed like every other) and
    /// returns the answer the record keeps for it.
    async fn voice_note(
        &self,
        call: &str,
        case: CaseId,
        who: &Person,
        pcm: &[i16],
        n: u32,
    ) -> Result<Said, Fault> {
        let ms = (pcm.len() as u64) / 8;
        let audio = NewAttachment {
            mime: "audio/wav".into(),
            data: wav(pcm),
            external_id: Some(format!("{call}:voice:{n}")),
        };
        match self
            .0
            .hotline
            .attach_audio(case, who, Channel::Sip, &audio, Some(ms), Utc::now())
            .await
        {
            Ok(_) | Err(ServiceError::Store(StoreError::Duplicate)) => {}
            Err(e) => return Err(e.into()),
        }
        let seconds = ms.div_ceil(1000);
        Ok(Entry::Text(
            self.speaker()
                .msg(&Msg::new("ivr-voice-note").arg("seconds", seconds)),
        )
        .into())
    }

    /// A read of a case's resident over the SIP line, in the access log.
    async fn log_read(&self, case: CaseId, who: &Person, detail: &str) -> Result<(), Fault> {
        Ok(crate::records::log_read(&self.0.hotline, case, who, Channel::Sip, detail).await?)
    }

    /// A call's status in the record, once per (call, leg, status).
    async fn status_event(
        &self,
        case: CaseId,
        leg: &str,
        call: &str,
        status: &str,
        detail: Option<&str>,
    ) -> Result<(), Fault> {
        Ok(crate::records::status_event(
            &self.0.hotline,
            Channel::Sip,
            case,
            leg,
            call,
            status,
            detail,
        )
        .await?)
    }
}

/// The leg of someone calling the hotline over SIP.
fn leg(call: &str, case: Option<CaseId>, who: Option<&Person>, status: &str) -> CallLeg {
    CallLeg {
        sid: call.to_string(),
        role: CallRole::Caller,
        case,
        person: who.map(|p| p.id.clone()),
        notification: None,
        status: status.to_string(),
        at: Utc::now(),
    }
}

mod page;
mod physician;
pub use page::{SipPager, SipPages, VoiceByNumber};
use physician::{placed_of, talk_of};
