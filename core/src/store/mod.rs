//! The storage port: what the domain needs from a database.
//!
//! `akutlinje-store` implements it for SQLite and PostgreSQL; both pass the
//! same test suite. Methods that change the case record take everything that
//! belongs together (the input, the events it caused, the engine state) so an
//! implementation can store them in one transaction: nothing is acknowledged
//! to a caller before it is durably stored.

mod channels;
mod escalation;
mod people;
mod records;
mod residents;
mod rota;
mod sessions;
mod transcription;
mod upkeep;

pub use channels::{Attachment, CallLeg, CallRole, ChannelStore, NewAttachment};
pub use escalation::{EscalationStore, Worker};
pub use people::PeopleStore;
pub use records::{status_after, NewCase, RecordStore};
pub use residents::{ImportSummary, ResidentStore};
pub use rota::RotaStore;
pub use sessions::{CalendarFeed, LoginGate, SessionStore};
pub use transcription::{TranscriptionJob, TranscriptionStore};
pub use upkeep::{Purged, UpkeepStore, WorkQueues};

use crate::ids::HomeId;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The same external id (Matrix event id, CallSid + step) was stored already.
    #[error("this input was already recorded")]
    Duplicate,
    /// Something named was not found.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// An import names a home that does not exist.
    #[error("unknown home {0}")]
    UnknownHome(HomeId),
    /// A uniqueness rule was broken (e.g. two residents in one room).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Stored data could not be read back (a bug or a hand-edited database).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error("database error")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The whole storage port: every aggregate's port. A component that needs
/// only some of them takes those (`Arc<dyn RecordStore>`, upcast from
/// `Arc<dyn Store>`), so what it can touch is written in its type.
pub trait Store:
    RecordStore
    + ResidentStore
    + PeopleStore
    + SessionStore
    + RotaStore
    + EscalationStore
    + ChannelStore
    + TranscriptionStore
    + UpkeepStore
{
}

impl<T> Store for T where
    T: RecordStore
        + ResidentStore
        + PeopleStore
        + SessionStore
        + RotaStore
        + EscalationStore
        + ChannelStore
        + TranscriptionStore
        + UpkeepStore
        + ?Sized
{
}
