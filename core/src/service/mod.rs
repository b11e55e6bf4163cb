//! The hotline service: runs the pure engine against the storage port.
//!
//! One call per input: load the case's state, record the input, run the
//! engine, answer its look-ups (writing the access log), and store the input,
//! the events it caused and the new state in one transaction — only then are
//! the effects handed back to the channel to show. Channels call this and
//! nothing else; they never touch the engine's state or the store directly.
//!
//! The parts: `case` (opening a case, running an input), `reads` (what a
//! channel may read, each read of a resident logged), `answers` (what
//! physicians and staff add after the checklist).

mod answers;
mod case;
mod reads;

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
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The person may not act for this home or case.
    #[error("not allowed")]
    NotAllowed,
    /// No such case (or none the person may read).
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
    /// The case.
    pub case: CaseId,
    /// What to show, in order. Already stored.
    pub effects: Vec<Effect>,
    /// The case's state after it.
    pub state: CaseState,
    /// The input had been recorded before (a redelivery); nothing was done.
    pub duplicate: bool,
}

/// Where an answer came from: the channel and, when the channel has one, its
/// id for the message (a Matrix event id), which makes a redelivery a no-op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Via<'a> {
    /// The channel.
    pub channel: Channel,
    /// The channel's id for the message, if any.
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
    /// Video links, when configured.
    video: Option<crate::video::VideoConfig>,
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
            | EventKind::AdviceConfirmed
            | EventKind::RemeasureStarted
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
            video: None,
        }
    }

    /// Offers video rooms made from `config`.
    pub fn with_video(mut self, config: Option<crate::video::VideoConfig>) -> Hotline {
        self.video = config;
        self
    }

    /// The video configuration, if any.
    pub fn video(&self) -> Option<&crate::video::VideoConfig> {
        self.video.as_ref()
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
}
