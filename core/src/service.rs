//! The hotline service: runs the pure engine against the storage port.
//!
//! One call per input: load the case's state, record the input, run the
//! engine, answer its look-ups (writing the access log), and store the input,
//! the events it caused and the new state in one transaction — only then are
//! the effects handed back to the channel to show. Channels call this and
//! nothing else; they never touch the engine's state or the store directly.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Copenhagen;

use crate::engine::{
    self, Caller, Candidate, CaseState, Checklist, Effect, Input, Lookup, ResidentQuery, Said,
};
use crate::i18n::{Lang, Localizer};
use crate::ids::{CaseId, HomeId, Text};
use crate::person::{Home, Person};
use crate::record::{
    AccessAction, AccessEntry, Author, CaseEvent, CaseSummary, Channel, EventKind, NewEvent,
};
use crate::resident::Resident;
use crate::store::{NewCase, Store, StoreError};

/// Why a request to the service failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The person may not act for this home or case.
    #[error("not allowed")]
    NotAllowed,
    #[error("no such case")]
    UnknownCase,
    /// The text is empty or too long.
    #[error("{0}")]
    BadInput(String),
    /// Another input for the same case kept winning the race.
    #[error("the case is busy; try again")]
    Busy,
}

/// The result of one input.
#[derive(Debug, Clone)]
pub struct Turn {
    pub case: CaseId,
    /// What to show, in order. Already stored.
    pub effects: Vec<Effect>,
    pub state: CaseState,
    /// The input had been recorded before (a redelivery); nothing was done.
    pub duplicate: bool,
}

/// Where an answer came from: the channel and, when the channel has one, its
/// id for the message (a Matrix event id), which makes a redelivery a no-op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Via<'a> {
    pub channel: Channel,
    pub external_id: Option<&'a str>,
}

impl From<Channel> for Via<'static> {
    fn from(channel: Channel) -> Via<'static> {
        Via {
            channel,
            external_id: None,
        }
    }
}

/// The hotline service.
#[derive(Clone)]
pub struct Hotline {
    store: Arc<dyn Store>,
    def: Arc<Checklist>,
    loc: Arc<Localizer>,
    /// Called after a page was requested or answered, so the scheduler acts
    /// at once instead of at its next poll.
    escalation_changed: Option<Arc<dyn Fn() + Send + Sync>>,
    /// Called after a recording was stored, so speech recognition starts at
    /// once instead of at its next poll.
    audio_attached: Option<Arc<dyn Fn() + Send + Sync>>,
}

impl std::fmt::Debug for Hotline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hotline").finish_non_exhaustive()
    }
}

fn author_of(kind: &EventKind, who: &Person) -> Author {
    let by_caller = matches!(
        kind,
        EventKind::InputReceived { .. }
            | EventKind::CallerNamed { .. }
            | EventKind::VitalRecorded { .. }
            | EventKind::SituationRecorded { .. }
            | EventKind::ConcernRecorded { .. }
            | EventKind::RedFlagsAnswered { .. }
            | EventKind::ResidentRejected { .. }
            | EventKind::Note { .. }
            | EventKind::Correction { .. }
            | EventKind::AudioAttached { .. }
            | EventKind::PhysicianRequested
            | EventKind::CaseCancelled
            | EventKind::CaseOpened { .. }
    );
    if by_caller {
        Author {
            person: Some(who.id.clone()),
            role: Some(who.role),
        }
    } else {
        Author::system()
    }
}

impl Hotline {
    /// A service over a store, with the built-in checklist and texts.
    pub fn new(store: Arc<dyn Store>, def: Arc<Checklist>, loc: Arc<Localizer>) -> Hotline {
        Hotline {
            store,
            def,
            loc,
            escalation_changed: None,
            audio_attached: None,
        }
    }

    /// Calls `signal` whenever a recording was stored (and so queued for
    /// speech recognition).
    pub fn on_audio_attached(mut self, signal: Arc<dyn Fn() + Send + Sync>) -> Hotline {
        self.audio_attached = Some(signal);
        self
    }

    /// Calls `signal` whenever an escalation may have changed (a page was
    /// requested, updated, acknowledged or declined).
    pub fn on_escalation_change(mut self, signal: Arc<dyn Fn() + Send + Sync>) -> Hotline {
        self.escalation_changed = Some(signal);
        self
    }

    fn escalation_changed(&self) {
        if let Some(f) = &self.escalation_changed {
            f();
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The texts.
    pub fn localizer(&self) -> &Arc<Localizer> {
        &self.loc
    }

    /// The checklist.
    pub fn checklist(&self) -> &Arc<Checklist> {
        &self.def
    }

    fn event(
        &self,
        kind: EventKind,
        who: &Person,
        channel: Channel,
        at: DateTime<Utc>,
    ) -> NewEvent {
        NewEvent {
            at,
            author: author_of(&kind, who),
            channel,
            kind,
            corrects: None,
            external_id: None,
        }
    }

    /// Opens a case for `who` calling from `home`.
    #[tracing::instrument(name = "open_case", skip_all, fields(case = %id, person = %who.id, channel = channel.as_str()))]
    pub async fn open_case(
        &self,
        id: CaseId,
        who: &Person,
        home: &Home,
        channel: Channel,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Result<Turn, ServiceError> {
        if !who.may_read_home(&home.id) {
            return Err(ServiceError::NotAllowed);
        }
        let caller = Caller {
            person: Some(who.id.clone()),
            name: Some(who.name.clone()),
            role: Some(who.role),
            home: home.id.clone(),
            home_name: home.name.clone(),
        };
        let today = now.with_timezone(&Copenhagen).date_naive();
        let state = CaseState::new(&self.def, caller, lang, today);
        let (state, effects) = engine::step(&self.def, state, Input::Start);
        let mut events = vec![self.event(
            EventKind::CaseOpened {
                home: home.id.clone(),
            },
            who,
            channel,
            now,
        )];
        events.extend(records(&effects).map(|k| self.event(k, who, channel, now)));
        let case = NewCase {
            id,
            home: home.id.clone(),
            opened_at: now,
            opened_by: Some(who.id.clone()),
            channel,
        };
        self.store
            .create_case(&case, &events, &state_json(&state)?)
            .await?;
        tracing::info!(home = %home.id, "case opened");
        Ok(Turn {
            case: id,
            effects,
            state,
            duplicate: false,
        })
    }

    /// Runs one input from `who` through the case's checklist.
    #[tracing::instrument(name = "input", skip_all, fields(case = %case, person = %who.id, channel = channel.as_str()))]
    pub async fn input(
        &self,
        case: CaseId,
        who: &Person,
        channel: Channel,
        said: impl Into<Said>,
        external_id: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Turn, ServiceError> {
        let said = said.into();
        if let Said::Text(text) = &said {
            Text::parse("input", text, 4000).map_err(|e| ServiceError::BadInput(e.to_string()))?;
        }
        // Optimistic concurrency: two inputs racing on one case both run, the
        // loser re-reads the winner's state and runs again.
        for _ in 0..5 {
            let Some((json, version)) = self.store.case_state(case).await? else {
                return Err(ServiceError::UnknownCase);
            };
            let state: CaseState =
                serde_json::from_value(json).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if !who.may_read_home(&state.caller.home) {
                return Err(ServiceError::NotAllowed);
            }
            // The record keeps the input as text, typed input as the words a
            // caller would have typed for it.
            let text_value = Text::parse("input", &said.record_text(state.lang), 4000)
                .map_err(|e| ServiceError::BadInput(e.to_string()))?;
            let step_id = state.step.clone();
            let (state, effects) = self
                .run(case, who, channel, state, Input::Said(said.clone()), now)
                .await?;
            let mut input_event = self.event(
                EventKind::InputReceived {
                    step: step_id,
                    text: text_value.clone(),
                },
                who,
                channel,
                now,
            );
            input_event.external_id = external_id.clone();
            let mut events = vec![input_event];
            events.extend(records(&effects).map(|k| self.event(k, who, channel, now)));
            match self
                .store
                .commit_step(case, version, &events, &state_json(&state)?)
                .await
            {
                Ok(_) => {
                    tracing::info!(step = %state.step, events = events.len(), "input recorded");
                    if effects
                        .iter()
                        .any(|e| matches!(e, Effect::Page { .. } | Effect::UpdatePage { .. }))
                    {
                        self.escalation_changed();
                    }
                    return Ok(Turn {
                        case,
                        effects,
                        state,
                        duplicate: false,
                    });
                }
                Err(StoreError::Duplicate) => {
                    tracing::info!("redelivered input ignored");
                    return Ok(Turn {
                        case,
                        effects: vec![],
                        state,
                        duplicate: true,
                    });
                }
                Err(StoreError::Conflict(_)) => {
                    tracing::debug!("the case moved on meanwhile; running the input again");
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Busy)
    }

    /// Runs the engine, answering look-ups until it needs the caller again.
    async fn run(
        &self,
        case: CaseId,
        who: &Person,
        channel: Channel,
        state: CaseState,
        input: Input,
        now: DateTime<Utc>,
    ) -> Result<(CaseState, Vec<Effect>), ServiceError> {
        let mut state = state;
        let mut out = Vec::new();
        let mut next = Some(input);
        // A look-up answer never asks for another look-up of its own, but bound it anyway.
        for _ in 0..4 {
            let Some(input) = next.take() else { break };
            let (s, fx) = engine::step(&self.def, state, input);
            state = s;
            for f in fx {
                match f {
                    Effect::LookupResident(q) => {
                        next = Some(Input::Lookup(
                            self.lookup(case, who, channel, &state, &q, now).await?,
                        ));
                    }
                    other => out.push(other),
                }
            }
        }
        Ok((state, out))
    }

    /// Finds residents in the caller's own home. Matches in other homes are
    /// never shown; each is written to the access log as a denied attempt.
    async fn lookup(
        &self,
        case: CaseId,
        who: &Person,
        channel: Channel,
        state: &CaseState,
        q: &ResidentQuery,
        now: DateTime<Utc>,
    ) -> Result<Lookup, ServiceError> {
        let found: Vec<Resident> = match q {
            ResidentQuery::Room(r) => self.store.residents_in_room(r).await?,
            ResidentQuery::Name(n) => {
                self.store
                    .residents_named(&n.as_str().to_lowercase())
                    .await?
            }
            ResidentQuery::Id(id) => self.store.resident(id).await?.into_iter().collect(),
        };
        let (own, other): (Vec<Resident>, Vec<Resident>) =
            found.into_iter().partition(|r| r.home == state.caller.home);
        let log = |resident: &Resident, action| {
            AccessEntry::new(
                now,
                Some(who.id.clone()),
                resident.id.clone(),
                Some(case),
                action,
                channel,
            )
        };
        for r in &other {
            self.store.log_access(&log(r, AccessAction::Denied)).await?;
            tracing::warn!(case = %case, person = %who.id, resident = %r.id, "look-up matched a resident of another home; refused");
        }
        for r in &own {
            self.store.log_access(&log(r, AccessAction::Read)).await?;
        }
        Ok(match own.len() {
            0 => Lookup::NotFound,
            1 => Lookup::Found(Box::new(
                own.into_iter().next().ok_or(ServiceError::UnknownCase)?,
            )),
            _ => Lookup::Many(
                own.into_iter()
                    .map(|r| Candidate {
                        id: r.id,
                        room: r.room,
                        name: r.name,
                    })
                    .collect(),
            ),
        })
    }

    /// A case's record, for someone allowed to read it. Reading it reads the
    /// resident's data, so it is written to the access log with the channel
    /// (and `detail`: `print`, `os_user=...`). Someone who may not read the
    /// case's home gets the same answer as for a case that does not exist,
    /// and a `denied` entry is written.
    pub async fn read_case(
        &self,
        case: CaseId,
        who: &Person,
        channel: Channel,
        detail: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(CaseSummary, Vec<CaseEvent>), ServiceError> {
        let Some(summary) = self.store.case(case).await? else {
            return Err(ServiceError::UnknownCase);
        };
        let entry = |resident: &crate::ids::ResidentId, action| {
            let e = AccessEntry::new(
                now,
                Some(who.id.clone()),
                resident.clone(),
                Some(case),
                action,
                channel,
            );
            match detail {
                Some(d) => e.detail(d),
                None => e,
            }
        };
        if !who.may_read_home(&summary.home) {
            if let Some(r) = &summary.resident {
                self.store
                    .log_access(&entry(r, AccessAction::Denied))
                    .await?;
            }
            tracing::warn!(case = %case, person = %who.id, "case of another home refused");
            // Same answer as a missing case: nothing is revealed.
            return Err(ServiceError::UnknownCase);
        }
        let events = self.store.events(case).await?;
        if let Some(r) = &summary.resident {
            self.store.log_access(&entry(r, AccessAction::Read)).await?;
        }
        Ok((summary, events))
    }

    /// Cases, newest first, of `home` (or every home `who` may read): each
    /// listed case with its resident is a read of that resident, logged
    /// with the channel and `case_list` (or `detail`).
    pub async fn list_cases(
        &self,
        who: &Person,
        home: Option<&HomeId>,
        limit: u32,
        channel: Channel,
        detail: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<CaseSummary>, ServiceError> {
        if let Some(h) = home {
            if !who.may_read_home(h) {
                return Err(ServiceError::NotAllowed);
            }
        } else if !who.role.may_read_all_homes() {
            return Err(ServiceError::NotAllowed);
        }
        let cases = self.store.cases(home, limit).await?;
        for c in &cases {
            if let Some(r) = &c.resident {
                let e = AccessEntry::new(
                    now,
                    Some(who.id.clone()),
                    r.clone(),
                    Some(c.id),
                    AccessAction::Read,
                    channel,
                )
                .detail(detail.unwrap_or("case_list"));
                self.store.log_access(&e).await?;
            }
        }
        Ok(cases)
    }

    /// A physician acknowledges (or declines) the page of a case. Stops (or
    /// hurries) the escalation; a late acknowledgement is still recorded.
    /// Returns whether a pending escalation changed.
    pub async fn respond_to_page(
        &self,
        case: CaseId,
        who: &Person,
        channel: Channel,
        decline: bool,
        external_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool, ServiceError> {
        let Some(summary) = self.store.case(case).await? else {
            return Err(ServiceError::UnknownCase);
        };
        // Only the physician this case paged may acknowledge or decline it;
        // a coordinator may take a page over (never decline one), and the
        // record says so. Anyone else: as if the case did not exist.
        let takeover = match who.role {
            crate::person::Role::Physician => {
                if !self.store.was_paged(case, &who.id).await? {
                    tracing::warn!(case = %case, person = %who.id, "answer to a page not sent to this physician refused");
                    return Err(ServiceError::NotAllowed);
                }
                false
            }
            crate::person::Role::Coordinator if !decline && who.may_read_home(&summary.home) => {
                true
            }
            _ => return Err(ServiceError::NotAllowed),
        };
        let kind = if decline {
            EventKind::PageDeclined {
                person: who.id.clone(),
            }
        } else {
            EventKind::PageAcknowledged {
                person: who.id.clone(),
                takeover,
            }
        };
        let event = NewEvent {
            at: now,
            author: Author {
                person: Some(who.id.clone()),
                role: Some(who.role),
            },
            channel,
            kind,
            corrects: None,
            external_id: external_id.map(str::to_string),
        };
        let changed = self.store.respond_to_page(case, &event, decline).await?;
        if changed {
            self.escalation_changed();
        }
        tracing::info!(case = %case, person = %who.id, decline, changed, "page answered");
        Ok(changed)
    }

    /// A physician records their decision on a case.
    pub async fn record_disposition(
        &self,
        case: CaseId,
        who: &Person,
        via: Via<'_>,
        disposition: crate::escalation::Disposition,
        advice: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<i64, ServiceError> {
        if who.role != crate::person::Role::Physician {
            return Err(ServiceError::NotAllowed);
        }
        if self.store.case(case).await?.is_none() {
            return Err(ServiceError::UnknownCase);
        }
        let advice = match advice.map(str::trim).filter(|a| !a.is_empty()) {
            Some(a) => Some(
                Text::parse("advice", a, 4000)
                    .map_err(|e| ServiceError::BadInput(e.to_string()))?,
            ),
            None => None,
        };
        let event = NewEvent {
            at: now,
            author: Author {
                person: Some(who.id.clone()),
                role: Some(who.role),
            },
            channel: via.channel,
            kind: EventKind::DispositionRecorded {
                disposition,
                advice,
            },
            corrects: None,
            external_id: via.external_id.map(str::to_string),
        };
        Ok(self.store.append_event(case, &event).await?)
    }

    /// Adds a note, or a correction of event `corrects`, to a case.
    pub async fn annotate(
        &self,
        case: CaseId,
        who: &Person,
        via: Via<'_>,
        text: &str,
        corrects: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<i64, ServiceError> {
        let text =
            Text::parse("text", text, 4000).map_err(|e| ServiceError::BadInput(e.to_string()))?;
        let Some(summary) = self.store.case(case).await? else {
            return Err(ServiceError::UnknownCase);
        };
        if !who.may_read_home(&summary.home) {
            return Err(ServiceError::UnknownCase);
        }
        if let Some(seq) = corrects {
            if !self.store.events(case).await?.iter().any(|e| e.seq == seq) {
                return Err(ServiceError::BadInput(format!(
                    "event {seq} is not part of this case"
                )));
            }
        }
        let kind = if corrects.is_some() {
            EventKind::Correction { text }
        } else {
            EventKind::Note { text }
        };
        let mut e = self.event(kind, who, via.channel, now);
        e.corrects = corrects;
        e.external_id = via.external_id.map(str::to_string);
        Ok(self.store.append_event(case, &e).await?)
    }

    /// Stores a recording (a voice note) with a case, with the event that
    /// points at it, in one transaction. A redelivered `external_id` stores
    /// nothing ([`StoreError::Duplicate`]).
    pub async fn attach_audio(
        &self,
        case: CaseId,
        who: &Person,
        channel: Channel,
        audio: &crate::store::NewAttachment,
        duration_ms: Option<u64>,
        now: DateTime<Utc>,
    ) -> Result<(i64, i64), ServiceError> {
        let Some(summary) = self.store.case(case).await? else {
            return Err(ServiceError::UnknownCase);
        };
        if !who.may_read_home(&summary.home) {
            return Err(ServiceError::UnknownCase);
        }
        if audio.data.is_empty() {
            return Err(ServiceError::BadInput("the recording is empty".into()));
        }
        let kind = EventKind::AudioAttached {
            attachment: 0,
            mime: audio.mime.clone(),
            bytes: audio.data.len() as u64,
            duration_ms,
        };
        let mut e = self.event(kind, who, channel, now);
        e.external_id = audio.external_id.clone();
        let (id, seq) = self.store.attach(case, audio, &e).await?;
        tracing::info!(case = %case, attachment = id, bytes = audio.data.len(), "audio attached");
        if let Some(f) = &self.audio_attached {
            f();
        }
        Ok((id, seq))
    }
}

fn records(effects: &[Effect]) -> impl Iterator<Item = EventKind> + '_ {
    effects.iter().filter_map(|f| match f {
        Effect::Record(k) => Some(k.clone()),
        _ => None,
    })
}

fn state_json(state: &CaseState) -> Result<serde_json::Value, ServiceError> {
    serde_json::to_value(state).map_err(|e| ServiceError::Store(StoreError::Corrupt(e.to_string())))
}
