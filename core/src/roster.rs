//! Who is on call: the port the channels ask ("!vagt" in chat, an unknown
//! caller put through to the physician). The binary implements it over the
//! scheduler's rota, so no adapter depends on the scheduler.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::person::{Person, Role};
use crate::rota::TierId;

/// Who covers a tier, and until when (`None`: nobody).
pub type Cover = Option<(Person, DateTime<Utc>)>;

/// The paging service's tiers at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnCallNow {
    /// The service's name, as people know it.
    pub service: String,
    /// Per tier, in the service's order: who is on call and until when.
    pub tiers: Vec<(TierId, Cover)>,
}

/// The rota could not be read.
#[derive(Debug, thiserror::Error)]
#[error("the rota cannot be read: {0}")]
pub struct RosterError(pub String);

/// Who is on call.
#[async_trait]
pub trait Roster: Send + Sync {
    /// The paging service's tiers at `at`.
    async fn on_call(&self, at: DateTime<Utc>) -> Result<OnCallNow, RosterError>;

    /// The physicians on call at `at`, primary first, each once.
    async fn physicians(&self, at: DateTime<Utc>) -> Vec<Person> {
        let Ok(now) = self.on_call(at).await else {
            return Vec::new();
        };
        let mut out: Vec<Person> = Vec::new();
        for (_, who) in now.tiers {
            if let Some((p, _)) = who {
                if p.role == Role::Physician && !out.iter().any(|o| o.id == p.id) {
                    out.push(p);
                }
            }
        }
        out
    }
}
