//! The SQLite backend: the shared SQL of `sql/` compiled for SQLite.
//!
//! SQLite serialises writers (`BEGIN IMMEDIATE`), so a claim needs no row lock.

use super::*;

type Db = sqlx::Sqlite;
type Backend = SqliteStore;
/// How a write transaction begins.
const BEGIN: &str = "BEGIN IMMEDIATE";
/// What a claim adds to its row selection.
const LOCK: &str = "";

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
