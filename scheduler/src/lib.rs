//! On-call rotas: who is on call for each tier of a service at any instant,
//! and where nobody is (coverage gaps), in Europe/Copenhagen.
//!
//! Key design decision: shifts are computed on the Copenhagen wall clock and
//! only then turned into UTC instants, so a shift is as long as the wall clock
//! says across daylight-saving changes (see [`rota`]). The stored shapes
//! (`akutlinje_core::rota`) are parsed here before use.
//!
//! [`escalation`] fires escalation steps from durable, atomically claimed
//! database rows and sends the notification outbox with retries and
//! fall-over; policies are configuration (`policies.toml`). [`oncall`] loads a
//! service's stored rota for whoever asks who is on call. [`lease`] decides
//! which instance plays a role only one may play (the Matrix bot).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::sync::Arc;

use akutlinje_core::store::{
    EscalationStore, PeopleStore, RecordStore, RotaStore, Store, UpkeepStore,
};

pub mod cover;
pub mod escalation;
pub mod jobs;
pub mod lease;
pub mod oncall;
pub mod rota;

/// The storage ports the scheduler uses, and no others: it never touches
/// residents, credentials, a channel's state or the transcription queue.
#[derive(Clone, Debug)]
pub struct Ports {
    /// Escalations, the outbox, the running instances.
    pub outbox: Arc<dyn EscalationStore>,
    /// The rota.
    pub rota: Arc<dyn RotaStore>,
    /// A case's summary and state (who paged, from which channel).
    pub record: Arc<dyn RecordStore>,
    /// Whom a notification goes to.
    pub people: Arc<dyn PeopleStore>,
    /// Clean-up of what is kept only for a while.
    pub upkeep: Arc<dyn UpkeepStore>,
}

impl From<Arc<dyn Store>> for Ports {
    fn from(store: Arc<dyn Store>) -> Ports {
        Ports {
            outbox: store.clone(),
            rota: store.clone(),
            record: store.clone(),
            people: store.clone(),
            upkeep: store,
        }
    }
}
