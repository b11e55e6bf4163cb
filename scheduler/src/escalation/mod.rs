//! Escalation that never drops a page: durable steps claimed from the
//! database, and the notification outbox.
//!
//! Every pending step is a row (`Store::claim_due_escalations`); firing a step
//! stores its notifications and record events and moves the row on in one
//! transaction, fenced by the claim, so two instances never fire the same step
//! and a crash loses none (an unfinished claim expires and is taken again).
//! Senders only ever see notifications that are already stored.

use std::collections::HashMap;
use std::sync::Arc;

use akutlinje_core::engine::{CaseState, Checklist, Urgency};
use akutlinje_core::escalation::{
    Escalation, EscalationNext, EscalationState, FiredFollowUp, FiredStep, NewNotification,
    Notification, NotificationKind, NotifyChannel, Policy,
};
use akutlinje_core::i18n::{Lang, Localizer, Msg};
use akutlinje_core::ids::{CaseId, PersonId};
use akutlinje_core::person::Person;
use akutlinje_core::record::{AccessAction, AccessEntry, Author, Channel, EventKind, NewEvent};
use akutlinje_core::rota::ServiceId;
use akutlinje_core::store::{EscalationStore, StoreError};

use crate::Ports;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use crate::rota::Rota;

/// Why the scheduler could not do its work. Logged and retried on the next tick.
#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The policies file does not parse or names an unknown urgency.
    #[error("escalation policies: {0}")]
    Policy(String),
    /// The stored rota no longer parses.
    #[error("the rota of {service} is invalid: {detail}")]
    Rota {
        /// The service.
        service: ServiceId,
        /// What is wrong.
        detail: String,
    },
    /// Working out a step's notifications panicked.
    #[error("a step's task failed: {0}")]
    Task(String),
}

/// The escalation policies, one per urgency.
#[derive(Debug, Clone)]
pub struct Policies(HashMap<Urgency, Policy>);

impl Policies {
    /// The table in docs/design.md § Urgency (`scheduler/policies.toml`).
    pub fn default_policies() -> Result<Policies, SchedulerError> {
        Policies::parse(include_str!("../../policies.toml"))
    }

    /// Parses a policy file; every urgency must have a policy with steps.
    pub fn parse(toml_src: &str) -> Result<Policies, SchedulerError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            policy: Vec<Policy>,
        }
        let f: File =
            toml::from_str(toml_src).map_err(|e| SchedulerError::Policy(e.to_string()))?;
        let mut map = HashMap::new();
        for p in f.policy {
            if p.steps.is_empty() {
                return Err(SchedulerError::Policy(format!(
                    "{}: a policy needs at least one step",
                    p.urgency.as_str()
                )));
            }
            if p.steps
                .iter()
                .any(|s| s.tier.is_some() == s.person.is_some())
            {
                return Err(SchedulerError::Policy(format!(
                    "{}: every step names either a tier or a person",
                    p.urgency.as_str()
                )));
            }
            if p.steps
                .iter()
                .any(|s| s.channels.is_empty() || s.wait_minutes == 0)
            {
                return Err(SchedulerError::Policy(format!(
                    "{}: every step needs a channel and a wait",
                    p.urgency.as_str()
                )));
            }
            if map.insert(p.urgency, p.clone()).is_some() {
                return Err(SchedulerError::Policy(format!(
                    "{}: defined twice",
                    p.urgency.as_str()
                )));
            }
        }
        for u in [
            Urgency::Red,
            Urgency::High,
            Urgency::Medium,
            Urgency::Low,
            Urgency::Routine,
        ] {
            if !map.contains_key(&u) {
                return Err(SchedulerError::Policy(format!(
                    "no policy for urgency {}",
                    u.as_str()
                )));
            }
        }
        Ok(Policies(map))
    }

    /// The policy of an urgency.
    pub fn get(&self, u: Urgency) -> Option<&Policy> {
        self.0.get(&u)
    }
}

/// Where the escalation goes after `e` fired, per `policy`. The step index
/// equal to the number of steps means "the last wait is over": exhaust.
pub fn next_after(
    policy: &Policy,
    e: &Escalation,
    now: DateTime<Utc>,
    paged: bool,
) -> EscalationNext {
    let n = policy.steps.len() as u32;
    if e.step >= n {
        return EscalationNext {
            step: e.step,
            round: e.round,
            due_at: now,
            state: EscalationState::Exhausted,
        };
    }
    // Nobody on call: go on at once rather than wait for nobody.
    let wait = if paged {
        Duration::minutes(i64::from(policy.steps[e.step as usize].wait_minutes))
    } else {
        Duration::zero()
    };
    let (step, round) = if e.step + 1 < n {
        (e.step + 1, e.round)
    } else if e.round < policy.repeats {
        (0, e.round + 1)
    } else {
        (n, e.round)
    };
    EscalationNext {
        step,
        round,
        due_at: now + wait,
        state: EscalationState::Pending,
    }
}

fn system_event(at: DateTime<Utc>, kind: EventKind) -> NewEvent {
    NewEvent {
        at,
        author: Author::system(),
        channel: Channel::System,
        kind,
        corrects: None,
        external_id: None,
    }
}

mod escalator;
mod follow_ups;
mod outbox;
mod run;

pub use escalator::Escalator;
pub use outbox::{LogSender, Outbox, SendError, Sender};
pub use run::{heartbeat, run, run_woken, Clock, SystemClock, TokioClock};
