//! The PostgreSQL backend: the shared SQL of `sql/` compiled for PostgreSQL.
//!
//! Claims take `FOR UPDATE SKIP LOCKED`, so instances never claim the same row.

use super::*;

type Db = sqlx::Postgres;
type Backend = PgStore;
/// How a write transaction begins.
const BEGIN: &str = "BEGIN";
/// What a claim adds to its row selection.
const LOCK: &str = " FOR UPDATE SKIP LOCKED";

#[path = "sql/channels.rs"]
mod channels;
#[path = "sql/escalation.rs"]
mod escalation;
#[path = "sql/people.rs"]
mod people;
#[path = "sql/records.rs"]
mod records;
#[path = "sql/residents.rs"]
mod residents;
#[path = "sql/rota.rs"]
mod rota;
#[path = "sql/sessions.rs"]
mod sessions;
#[path = "sql/transcription.rs"]
mod transcription;
#[path = "sql/upkeep.rs"]
mod upkeep;
