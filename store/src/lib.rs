//! The storage port of `akutlinje-core` on sqlx, for SQLite and PostgreSQL.
//!
//! SQLite (WAL, `synchronous=FULL`) is the embedded default: one file, created
//! and migrated on first start. PostgreSQL serves several instances behind a
//! load balancer. Both run the same SQL, written once in `sql/` (one file
//! per storage port) and compiled once per backend by `sqlite.rs` and
//! `postgres.rs`, and pass the same test suite (`tests/suite.rs`).
//!
//! Key design decision: queries are checked at run time, not with
//! `query!` — compile-time checking targets one database per crate, and one
//! shared body is worth more here than a second copy of every query. The shared
//! test suite is what keeps both backends honest.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// `sql/` is compiled once per backend on purpose (see `sqlite.rs`): one body
// of SQL, two concrete sqlx types, no macro and no generic bounds.
#![allow(clippy::duplicate_mod)]

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use akutlinje_core::escalation::{
    Escalation, FiredFollowUp, FiredStep, NewNotification, Notification, NotifyChannel,
};
use akutlinje_core::followup::FollowUp;
use akutlinje_core::ids::{CaseId, HomeId, MatrixRoomId, PersonId, ResidentId, Text};
use akutlinje_core::person::{Home, HomeRoom, Person, Role, ThrottleRule};
use akutlinje_core::phone::PhoneNumber;
use akutlinje_core::record::{
    AccessEntry, CaseEvent, CaseStatus, CaseSummary, Channel, EventKind, NewEvent,
};
use akutlinje_core::resident::{Resident, Room, TreatmentDecision};
use akutlinje_core::rota::{
    OverrideSpec, RotaSpec, RotationId, RotationSpec, Service, ServiceId, SwapSpec, TierId,
};
use akutlinje_core::store::{
    status_after, Attachment, CalendarFeed, CallLeg, ChannelStore, EscalationStore, ImportSummary,
    LoginGate, NewAttachment, NewCase, PeopleStore, Purged, RecordStore, ResidentStore, RotaStore,
    SessionStore, Store, StoreError, TranscriptionJob, TranscriptionStore, UpkeepStore, WorkQueues,
    Worker,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rows::*;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::types::Json;

mod observe;
mod postgres;
mod rows;
mod sqlite;
pub mod testing;

fn db(e: sqlx::Error) -> StoreError {
    if let Some(d) = e.as_database_error() {
        if d.is_unique_violation() {
            return StoreError::Conflict(d.message().to_string());
        }
    }
    StoreError::Database(Box::new(e))
}

/// Opens the database a URL names (`sqlite://path` or `postgres://...`),
/// creating and migrating it as needed.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    connect_with(url, Migrations::Run).await
}

/// Whether connecting changes the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Migrations {
    /// Apply pending migrations (the connection's role owns the schema).
    Run,
    /// Only check that every migration was applied: the runtime role of a
    /// PostgreSQL deployment has no DDL rights (`akutlinje db migrate` runs
    /// them as the owner). SQLite always migrates: the file's owner is the
    /// only role there is.
    Check,
}

/// Opens the database a URL names, migrating or only checking the schema.
pub async fn connect_with(url: &str, migrations: Migrations) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(match migrations {
            Migrations::Run => PgStore::connect(url).await?,
            Migrations::Check => PgStore::connect_checked(url).await?,
        }))
    } else {
        Err(StoreError::Database(
            "the database URL must start with sqlite: or postgres:".into(),
        ))
    }
}

/// The statements that give a PostgreSQL login role (`role`, created by the
/// operator) what the running service needs and nothing more: no DDL, no
/// TRUNCATE, no UPDATE or DELETE on the record, the access log or the
/// attachments, and only `superseded_at` of a treatment decision. Run them
/// as the schema's owner after `akutlinje db migrate`.
pub fn runtime_grants(role: &str) -> Result<String, StoreError> {
    let ok = !role.is_empty()
        && role.len() <= 63
        && role
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && role
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !ok {
        return Err(StoreError::Conflict(format!(
            "{role:?} is not a plain role name (a-z, 0-9, _)"
        )));
    }
    Ok(format!(
        "GRANT USAGE ON SCHEMA public TO {role};\n\
         GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};\n\
         REVOKE UPDATE, DELETE, TRUNCATE ON case_events, access_log, attachments, resident_decisions FROM {role};\n\
         GRANT UPDATE (superseded_at) ON resident_decisions TO {role};\n\
         REVOKE INSERT, UPDATE, DELETE ON _sqlx_migrations FROM {role};\n\
         GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};\n"
    ))
}

/// The SQLite backend.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// One connection for writes: SQLite has one writer anyway, and queueing
    /// here is fairer than spinning on `SQLITE_BUSY`.
    writer: SqlitePool,
}

impl SqliteStore {
    /// Opens (and creates, and migrates) a SQLite database.
    pub async fn connect(url: &str) -> Result<SqliteStore, StoreError> {
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(db)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: an acknowledged input survives a power cut, not only a crash.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            // Another process (the CLI during `serve`) may hold the lock briefly.
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts.clone())
            .await
            .map_err(db)?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&writer)
            .await
            .map_err(|e| StoreError::Database(Box::new(e)))?;
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts.read_only(false))
            .await
            .map_err(db)?;
        Ok(SqliteStore { pool, writer })
    }

    fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// The read pool (for tests that need raw access).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// The PostgreSQL backend.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to (and migrates) a PostgreSQL database.
    pub async fn connect(url: &str) -> Result<PgStore, StoreError> {
        let opts = PgConnectOptions::from_str(url).map_err(db)?;
        // 10 connections: the HTTP API and the engine are short transactions.
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await
            .map_err(db)?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(Box::new(e)))?;
        Ok(PgStore { pool })
    }

    /// Connects without changing the schema: every migration this program
    /// knows must already be applied (by the owner, `akutlinje db migrate`).
    pub async fn connect_checked(url: &str) -> Result<PgStore, StoreError> {
        let opts = PgConnectOptions::from_str(url).map_err(db)?;
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await
            .map_err(db)?;
        let migrator = sqlx::migrate!("./migrations/postgres");
        let needed = migrator.iter().map(|m| m.version).max().unwrap_or(0);
        let applied: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(version) FROM _sqlx_migrations WHERE success",
        )
        .fetch_one(&pool)
        .await
        .map_err(|e| {
            StoreError::Database(
                format!("cannot read the schema version (run `akutlinje db migrate` as the owner first): {e}").into(),
            )
        })?;
        match applied {
            Some(v) if v >= needed => Ok(PgStore { pool }),
            other => Err(StoreError::Database(
                format!(
                    "the database schema is at version {}, this program needs {needed}: \
                     run `akutlinje db migrate` with the owner's URL (AKUTLINJE_DATABASE_OWNER_URL)",
                    other.unwrap_or(0)
                )
                .into(),
            )),
        }
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    /// The pool (for tests that need raw access).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// A work table whose due rows are claimed (escalations, notifications).
struct Claim {
    table: &'static str,
    key: &'static str,
    due: &'static str,
    pending: &'static str,
    columns: &'static str,
    /// More assignments for the claimed rows (`, attempts = attempts + 1`).
    also_set: &'static str,
}

fn like_pattern(needle: &str) -> String {
    let escaped = needle
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

/// What a SQLite backup holds: checked with `PRAGMA integrity_check`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BackupSummary {
    /// `ok`, or what SQLite found wrong.
    pub integrity: String,
    /// The newest migration applied to it.
    pub schema_version: i64,
    /// The newest migration this program knows.
    pub program_schema_version: i64,
    /// Cases in it.
    pub cases: i64,
    /// Record events in it.
    pub events: i64,
    /// Its size.
    pub bytes: u64,
}

impl BackupSummary {
    /// Whether it can be restored by this program: intact, and not from a
    /// newer program (an older schema migrates forward at start).
    pub fn restorable(&self) -> bool {
        self.integrity == "ok" && self.schema_version <= self.program_schema_version
    }
}

/// An online backup of the SQLite database at `url` into `dest` (which must
/// not exist): `VACUUM INTO`, a consistent snapshot taken while the service
/// goes on writing (WAL), then checked like [`sqlite_check`].
pub async fn sqlite_backup(url: &str, dest: &std::path::Path) -> Result<BackupSummary, StoreError> {
    if dest.exists() {
        return Err(StoreError::Conflict(format!(
            "{} exists already; choose a new file",
            dest.display()
        )));
    }
    let opts = SqliteConnectOptions::from_str(url)
        .map_err(db)?
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await
        .map_err(db)?;
    let target = dest
        .to_str()
        .ok_or_else(|| StoreError::Conflict(format!("{} is not a UTF-8 path", dest.display())))?;
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(&pool)
        .await
        .map_err(db)?;
    pool.close().await;
    sqlite_check(dest).await
}

/// Checks a SQLite backup file without changing it: integrity, schema
/// version against this program's, and what it holds.
pub async fn sqlite_check(path: &std::path::Path) -> Result<BackupSummary, StoreError> {
    if !path.is_file() {
        return Err(StoreError::NotFound("backup file"));
    }
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .create_if_missing(false);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await
        .map_err(db)?;
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .map_err(db)?;
    let schema_version: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success")
            .fetch_one(&pool)
            .await
            .map_err(db)?;
    let cases: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases")
        .fetch_one(&pool)
        .await
        .map_err(db)?;
    let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM case_events")
        .fetch_one(&pool)
        .await
        .map_err(db)?;
    pool.close().await;
    let program_schema_version = sqlx::migrate!("./migrations/sqlite")
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0);
    Ok(BackupSummary {
        integrity,
        schema_version,
        program_schema_version,
        cases,
        events,
        bytes: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
    })
}
