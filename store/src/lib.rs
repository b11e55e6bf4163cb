//! The storage port of `akutlinje-core` on sqlx, for SQLite and PostgreSQL.
//!
//! SQLite (WAL, `synchronous=FULL`) is the embedded default: one file, created
//! and migrated on first start. PostgreSQL serves several instances behind a
//! load balancer. Both run the same SQL (written once, expanded per backend by
//! `impl_store!`) and pass the same test suite (`tests/suite.rs`).
//!
//! Key design decision: queries are checked at run time, not with
//! `query!` — compile-time checking targets one database per crate, and one
//! shared body is worth more here than a second copy of every query. The shared
//! test suite is what keeps both backends honest.
#![forbid(unsafe_code)]

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use akutlinje_core::engine::Urgency;
use akutlinje_core::escalation::{
    Escalation, EscalationNext, EscalationState, NewNotification, Notification, NotificationKind,
    NotificationStatus, NotifyChannel,
};
use akutlinje_core::ids::{CaseId, HomeId, MatrixRoomId, PersonId, ResidentId, Text};
use akutlinje_core::person::{Home, HomeRoom, Person, Role, ThrottleRule};
use akutlinje_core::record::{
    AccessAction, AccessEntry, Author, CaseEvent, CaseStatus, CaseSummary, Channel, EventKind,
    NewEvent,
};
use akutlinje_core::resident::{
    Cognition, Contact, DecisionKind, Resident, Room, TreatmentDecision,
};
use akutlinje_core::rota::{
    OverrideSpec, RotaSpec, RotationId, RotationSpec, Service, ServiceId, SwapSpec, TierId,
};
use akutlinje_core::store::{
    status_after, Attachment, CalendarFeed, CallLeg, CallRole, ImportSummary, LoginGate,
    NewAttachment, NewCase, Purged, Store, StoreError, TranscriptionJob, Worker,
};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::types::Json;
use sqlx::Row;

pub mod testing;

fn db(e: sqlx::Error) -> StoreError {
    if let Some(d) = e.as_database_error() {
        if d.is_unique_violation() {
            return StoreError::Conflict(d.message().to_string());
        }
    }
    StoreError::Database(Box::new(e))
}

fn corrupt(what: &str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
    move |e| StoreError::Corrupt(format!("{what}: {e}"))
}

/// Resident fields kept as one JSON column: read together, never searched.
#[derive(Serialize, Deserialize)]
struct Details {
    diagnoses: Vec<Text>,
    allergies: Vec<Text>,
    contact: Option<Contact>,
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

fn text_col<R: Row>(r: &R, col: &str) -> Result<Option<String>, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'d> Option<String>: sqlx::Decode<'d, R::Database> + sqlx::Type<R::Database>,
{
    r.try_get::<Option<String>, _>(col)
        .map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

fn required<R: Row>(r: &R, col: &str) -> Result<String, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'d> Option<String>: sqlx::Decode<'d, R::Database> + sqlx::Type<R::Database>,
{
    text_col(r, col)?.ok_or_else(|| StoreError::Corrupt(format!("{col} is NULL")))
}

fn slug_of<R: Row, T: FromStr>(r: &R, col: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'d> Option<String>: sqlx::Decode<'d, R::Database> + sqlx::Type<R::Database>,
{
    required(r, col)?
        .parse::<T>()
        .map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

fn service_of<R: Row>(r: &R) -> Result<Service, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'d> Option<String>: sqlx::Decode<'d, R::Database> + sqlx::Type<R::Database>,
    for<'d> Json<Vec<String>>: sqlx::Decode<'d, R::Database> + sqlx::Type<R::Database>,
{
    let Json(tiers): Json<Vec<String>> = r.try_get("tiers").map_err(corrupt("service tiers"))?;
    Ok(Service {
        id: slug_of(r, "id")?,
        name: required(r, "name")?,
        tiers: tiers
            .iter()
            .map(|t| TierId::parse(t))
            .collect::<Result<_, _>>()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
    })
}

fn home_of<R: Row>(r: &R) -> Result<Home, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'d> Option<String>: sqlx::Decode<'d, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Home {
        id: HomeId::parse(&required(r, "id")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        name: required(r, "name")?,
    })
}

fn person_of<R: Row>(r: &R) -> Result<Person, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'d> Option<String>: sqlx::Decode<'d, R::Database> + sqlx::Type<R::Database>,
{
    let role = required(r, "role")?;
    Ok(Person {
        id: PersonId::parse(&required(r, "id")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        name: Text::parse("name", &required(r, "name")?, 200)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("role {role}")))?,
        home: text_col(r, "home_id")?
            .map(|h| HomeId::parse(&h))
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        phone: text_col(r, "phone")?,
        matrix_user: text_col(r, "matrix_user")?,
    })
}

macro_rules! impl_store {
    ($store:ty, $begin:literal, $lock:literal, $db:ty) => {
        impl $store {
            fn escalation_of(r: &<$db as sqlx::Database>::Row) -> Result<Escalation, StoreError> {
                let case: String = r.try_get("case_id").map_err(corrupt("escalation"))?;
                let urgency: String = r.try_get("urgency").map_err(corrupt("escalation"))?;
                let state: String = r.try_get("state").map_err(corrupt("escalation"))?;
                Ok(Escalation {
                    case: CaseId::parse(&case).ok_or_else(|| StoreError::Corrupt("escalation case".into()))?,
                    urgency: Urgency::parse(&urgency).ok_or_else(|| StoreError::Corrupt(format!("urgency {urgency}")))?,
                    step: u32::try_from(r.try_get::<i32, _>("step").map_err(corrupt("escalation"))?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    round: u32::try_from(r.try_get::<i32, _>("round").map_err(corrupt("escalation"))?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    due_at: r.try_get("due_at").map_err(corrupt("escalation"))?,
                    state: EscalationState::parse(&state).ok_or_else(|| StoreError::Corrupt(format!("state {state}")))?,
                })
            }

            fn notification_of(r: &<$db as sqlx::Database>::Row) -> Result<Notification, StoreError> {
                let case: Option<String> = r.try_get("case_id").map_err(corrupt("notification"))?;
                let person: String = r.try_get("person_id").map_err(corrupt("notification"))?;
                let kind: String = r.try_get("kind").map_err(corrupt("notification"))?;
                let channel: String = r.try_get("channel").map_err(corrupt("notification"))?;
                let Json(fallback): Json<Vec<String>> = r.try_get("fallback").map_err(corrupt("notification"))?;
                let status: String = r.try_get("status").map_err(corrupt("notification"))?;
                Ok(Notification {
                    id: r.try_get("id").map_err(corrupt("notification"))?,
                    new: NewNotification {
                        case: case.and_then(|c| CaseId::parse(&c)),
                        person: PersonId::parse(&person).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                        kind: NotificationKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("kind {kind}")))?,
                        channel: NotifyChannel::parse(&channel).ok_or_else(|| StoreError::Corrupt(format!("channel {channel}")))?,
                        fallback: fallback.iter().filter_map(|c| NotifyChannel::parse(c)).collect(),
                        text: r.try_get("body").map_err(corrupt("notification"))?,
                        not_before: r.try_get("next_attempt_at").map_err(corrupt("notification"))?,
                    },
                    status: NotificationStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(format!("status {status}")))?,
                    attempts: u32::try_from(r.try_get::<i32, _>("attempts").map_err(corrupt("notification"))?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    last_error: r.try_get("last_error").map_err(corrupt("notification"))?,
                    external_id: r.try_get("external_id").map_err(corrupt("notification"))?,
                })
            }

            async fn insert_notification(tx: &mut sqlx::Transaction<'static, $db>, n: &NewNotification) -> Result<i64, StoreError> {
                let fallback: Vec<&str> = n.fallback.iter().map(|c| c.as_str()).collect();
                let row = sqlx::query(
                    "INSERT INTO notifications (case_id, person_id, kind, channel, fallback, body, status, attempts, next_attempt_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $8) RETURNING id",
                )
                .bind(n.case.map(|c| c.to_string()))
                .bind(n.person.as_str())
                .bind(n.kind.as_str())
                .bind(n.channel.as_str())
                .bind(Json(&fallback))
                .bind(&n.text)
                .bind(n.not_before)
                .bind(Utc::now())
                .fetch_one(&mut **tx)
                .await
                .map_err(db)?;
                row.try_get::<i64, _>("id").map_err(corrupt("notification id"))
            }

            /// Claims due rows of a work table for `lease`: one statement, so two
            /// workers never get the same row (SKIP LOCKED on PostgreSQL; SQLite
            /// serialises writers).
            async fn claim_rows(
                &self,
                c: &Claim,
                now: DateTime<Utc>,
                worker: &str,
                lease: chrono::Duration,
                limit: u32,
            ) -> Result<Vec<<$db as sqlx::Database>::Row>, StoreError> {
                let sql = format!(
                    "UPDATE {t} SET claimed_by = $1, claimed_until = $2{also} WHERE {k} IN (\
                     SELECT {k} FROM {t} WHERE {p} AND {d} <= $3 \
                     AND (claimed_until IS NULL OR claimed_until < $3) ORDER BY {d}, {k} LIMIT $4{lock}) \
                     RETURNING {cols}",
                    t = c.table,
                    k = c.key,
                    p = c.pending,
                    d = c.due,
                    cols = c.columns,
                    also = c.also_set,
                    lock = $lock
                );
                let mut tx = self.writer().begin_with($begin).await.map_err(db)?;
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(worker)
                    .bind(now + lease)
                    .bind(now)
                    .bind(i64::from(limit))
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db)?;
                tx.commit().await.map_err(db)?;
                Ok(rows)
            }

            /// A `PageRequested` starts the escalation, or restarts it at a new urgency.
            async fn start_escalations(tx: &mut sqlx::Transaction<'static, $db>, case: CaseId, events: &[NewEvent]) -> Result<(), StoreError> {
                for e in events {
                    if let EventKind::PageRequested { urgency } = &e.kind {
                        sqlx::query(
                            "INSERT INTO escalations (case_id, urgency, step, round, due_at, state, updated_at) \
                             VALUES ($1, $2, 0, 0, $3, 'pending', $3) \
                             ON CONFLICT (case_id) DO UPDATE SET urgency = excluded.urgency, step = 0, round = 0, \
                             due_at = excluded.due_at, state = 'pending', claimed_by = NULL, claimed_until = NULL, updated_at = excluded.updated_at \
                             WHERE escalations.state <> 'pending' OR escalations.urgency <> excluded.urgency",
                        )
                        .bind(case.to_string())
                        .bind(urgency.as_str())
                        .bind(e.at)
                        .execute(&mut **tx)
                        .await
                        .map_err(db)?;
                    }
                }
                Ok(())
            }

            async fn residents_where(&self, clause: &str, arg: &str) -> Result<Vec<Resident>, StoreError> {
                let sql = format!(
                    "SELECT id, home_id, room, name, born, baseline_cognition, spo2_scale2, details \
                     FROM residents WHERE {clause} ORDER BY home_id, room"
                );
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(arg).fetch_all(&self.pool).await.map_err(db)?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let id: String = r.try_get("id").map_err(corrupt("resident"))?;
                    let home: String = r.try_get("home_id").map_err(corrupt("resident"))?;
                    let room: String = r.try_get("room").map_err(corrupt("resident"))?;
                    let name: String = r.try_get("name").map_err(corrupt("resident"))?;
                    let cognition: String = r.try_get("baseline_cognition").map_err(corrupt("resident"))?;
                    let Json(details): Json<Details> = r.try_get("details").map_err(corrupt("resident details"))?;
                    let decisions = Self::decisions_with(&self.pool, &id).await?;
                    out.push(Resident {
                        id: ResidentId::parse(&id).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                        home: HomeId::parse(&home).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                        room: Room::parse(&room).ok_or_else(|| StoreError::Corrupt("room".into()))?,
                        name: Text::parse("name", &name, 200).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                        born: r.try_get::<Option<NaiveDate>, _>("born").map_err(corrupt("resident"))?,
                        baseline_cognition: Cognition::parse(&cognition).unwrap_or(Cognition::Unknown),
                        diagnoses: details.diagnoses,
                        allergies: details.allergies,
                        contact: details.contact,
                        spo2_scale2: r.try_get::<bool, _>("spo2_scale2").map_err(corrupt("resident"))?,
                        decisions,
                    });
                }
                Ok(out)
            }

            async fn cases_where(&self, clause: &str, arg: Option<&str>, limit: i64) -> Result<Vec<CaseSummary>, StoreError> {
                let sql = format!(
                    "SELECT id, home_id, opened_at, opened_by, channel, resident_id, urgency, status \
                     FROM cases WHERE {clause} ORDER BY opened_at DESC, id LIMIT $2"
                );
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(arg).bind(limit).fetch_all(&self.pool).await.map_err(db)?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let id: String = r.try_get("id").map_err(corrupt("case"))?;
                    let home: String = r.try_get("home_id").map_err(corrupt("case"))?;
                    let by: Option<String> = r.try_get("opened_by").map_err(corrupt("case"))?;
                    let channel: String = r.try_get("channel").map_err(corrupt("case"))?;
                    let resident: Option<String> = r.try_get("resident_id").map_err(corrupt("case"))?;
                    let urgency: Option<String> = r.try_get("urgency").map_err(corrupt("case"))?;
                    let status: String = r.try_get("status").map_err(corrupt("case"))?;
                    out.push(CaseSummary {
                        id: CaseId::parse(&id).ok_or_else(|| StoreError::Corrupt("case id".into()))?,
                        home: HomeId::parse(&home).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                        opened_at: r.try_get::<DateTime<Utc>, _>("opened_at").map_err(corrupt("case"))?,
                        opened_by: by.and_then(|b| PersonId::parse(&b).ok()),
                        channel: Channel::parse(&channel).ok_or_else(|| StoreError::Corrupt(format!("channel {channel}")))?,
                        resident: resident.and_then(|x| ResidentId::parse(&x).ok()),
                        urgency: urgency.and_then(|u| Urgency::parse(&u)),
                        status: CaseStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(format!("status {status}")))?,
                    });
                }
                Ok(out)
            }
        }

        #[async_trait]
        impl Store for $store {
            async fn ping(&self) -> Result<(), StoreError> {
                sqlx::query("SELECT 1").execute(&self.pool).await.map_err(db)?;
                Ok(())
            }

            async fn upsert_home(&self, home: &Home) -> Result<(), StoreError> {
                let now = Utc::now();
                sqlx::query(
                    "INSERT INTO homes (id, name, created_at, updated_at) VALUES ($1, $2, $3, $3) \
                     ON CONFLICT (id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at",
                )
                .bind(home.id.as_str())
                .bind(&home.name)
                .bind(now)
                .execute(self.writer())
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn home(&self, id: &HomeId) -> Result<Option<Home>, StoreError> {
                let row = sqlx::query("SELECT id, name FROM homes WHERE id = $1")
                    .bind(id.as_str())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?;
                row.as_ref().map(home_of).transpose()
            }

            async fn homes(&self) -> Result<Vec<Home>, StoreError> {
                let rows = sqlx::query("SELECT id, name FROM homes ORDER BY id").fetch_all(&self.pool).await.map_err(db)?;
                rows.iter().map(home_of).collect()
            }

            async fn bind_room(&self, r: &HomeRoom) -> Result<(), StoreError> {
                if self.home(&r.home).await?.is_none() {
                    return Err(StoreError::UnknownHome(r.home.clone()));
                }
                sqlx::query(
                    "INSERT INTO home_rooms (room_id, home_id, bound_by, bound_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (room_id) DO UPDATE SET home_id = excluded.home_id, bound_by = excluded.bound_by, bound_at = excluded.bound_at",
                )
                .bind(r.room.as_str())
                .bind(r.home.as_str())
                .bind(r.bound_by.as_ref().map(PersonId::as_str))
                .bind(r.bound_at)
                .execute(self.writer())
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn unbind_room(&self, room: &MatrixRoomId) -> Result<bool, StoreError> {
                let r = sqlx::query("DELETE FROM home_rooms WHERE room_id = $1")
                    .bind(room.as_str())
                    .execute(self.writer())
                    .await
                    .map_err(db)?;
                Ok(r.rows_affected() > 0)
            }

            async fn home_of_room(&self, room: &str) -> Result<Option<HomeId>, StoreError> {
                let row = sqlx::query("SELECT home_id FROM home_rooms WHERE room_id = $1")
                    .bind(room)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?;
                row.as_ref().map(|r| slug_of(r, "home_id")).transpose()
            }

            async fn home_rooms(&self, home: Option<&HomeId>) -> Result<Vec<HomeRoom>, StoreError> {
                let rows = sqlx::query(
                    "SELECT room_id, home_id, bound_by, bound_at FROM home_rooms \
                     WHERE ($1 IS NULL OR home_id = $1) ORDER BY home_id, room_id",
                )
                .bind(home.map(HomeId::as_str))
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
                rows.iter()
                    .map(|r| {
                        Ok(HomeRoom {
                            room: MatrixRoomId::parse(&required(r, "room_id")?)
                                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                            home: slug_of(r, "home_id")?,
                            bound_by: text_col(r, "bound_by")?.and_then(|p| PersonId::parse(&p).ok()),
                            bound_at: r.try_get("bound_at").map_err(corrupt("home room"))?,
                        })
                    })
                    .collect()
            }

            async fn upsert_person(&self, p: &Person) -> Result<(), StoreError> {
                if let Some(h) = &p.home {
                    if self.home(h).await?.is_none() {
                        return Err(StoreError::UnknownHome(h.clone()));
                    }
                }
                let now = Utc::now();
                sqlx::query(
                    "INSERT INTO persons (id, name, role, home_id, phone, matrix_user, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
                     ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role, home_id = excluded.home_id, \
                     phone = excluded.phone, matrix_user = excluded.matrix_user, updated_at = excluded.updated_at",
                )
                .bind(p.id.as_str())
                .bind(p.name.as_str())
                .bind(p.role.as_str())
                .bind(p.home.as_ref().map(HomeId::as_str))
                .bind(p.phone.as_deref())
                .bind(p.matrix_user.as_deref())
                .bind(now)
                .execute(self.writer())
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn person(&self, id: &PersonId) -> Result<Option<Person>, StoreError> {
                let row = sqlx::query("SELECT id, name, role, home_id, phone, matrix_user FROM persons WHERE id = $1")
                    .bind(id.as_str())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?;
                row.as_ref().map(person_of).transpose()
            }

            async fn people(&self) -> Result<Vec<Person>, StoreError> {
                let rows = sqlx::query("SELECT id, name, role, home_id, phone, matrix_user FROM persons ORDER BY id")
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db)?;
                rows.iter().map(person_of).collect()
            }

            async fn add_token(&self, person: &PersonId, token_hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
                sqlx::query("INSERT INTO api_tokens (token_hash, person_id, created_at) VALUES ($1, $2, $3)")
                    .bind(token_hash)
                    .bind(person.as_str())
                    .bind(at)
                    .execute(self.writer())
                    .await
                    .map_err(db)?;
                Ok(())
            }

            async fn person_by_token(&self, token_hash: &str) -> Result<Option<Person>, StoreError> {
                let row = sqlx::query(
                    "SELECT p.id FROM api_tokens t JOIN persons p ON p.id = t.person_id \
                     WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
                )
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
                match row {
                    None => Ok(None),
                    Some(r) => {
                        let id: String = r.try_get("id").map_err(corrupt("token"))?;
                        self.person(&PersonId::parse(&id).map_err(|e| StoreError::Corrupt(e.to_string()))?).await
                    }
                }
            }

            async fn revoke_tokens(&self, person: &PersonId, at: DateTime<Utc>) -> Result<u64, StoreError> {
                let r = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE person_id = $2 AND revoked_at IS NULL")
                    .bind(at)
                    .bind(person.as_str())
                    .execute(self.writer())
                    .await
                    .map_err(db)?;
                Ok(r.rows_affected())
            }

            async fn import_residents(&self, residents: &[Resident], at: DateTime<Utc>) -> Result<ImportSummary, StoreError> {
                let mut tx = self.writer().begin_with($begin).await.map_err(db)?;
                let mut summary = ImportSummary::default();
                for r in residents {
                    let home_exists = sqlx::query("SELECT 1 FROM homes WHERE id = $1")
                        .bind(r.home.as_str())
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db)?;
                    if home_exists.is_none() {
                        return Err(StoreError::UnknownHome(r.home.clone()));
                    }
                    let details = Details { diagnoses: r.diagnoses.clone(), allergies: r.allergies.clone(), contact: r.contact.clone() };
                    let existed = sqlx::query("SELECT 1 FROM residents WHERE id = $1")
                        .bind(r.id.as_str())
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db)?
                        .is_some();
                    sqlx::query(
                        "INSERT INTO residents (id, home_id, room, name, name_search, born, baseline_cognition, spo2_scale2, details, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
                         ON CONFLICT (id) DO UPDATE SET home_id = excluded.home_id, room = excluded.room, name = excluded.name, \
                         name_search = excluded.name_search, born = excluded.born, baseline_cognition = excluded.baseline_cognition, \
                         spo2_scale2 = excluded.spo2_scale2, details = excluded.details, updated_at = excluded.updated_at",
                    )
                    .bind(r.id.as_str())
                    .bind(r.home.as_str())
                    .bind(r.room.as_str())
                    .bind(r.name.as_str())
                    .bind(r.name.as_str().to_lowercase())
                    .bind(r.born)
                    .bind(r.baseline_cognition.as_str())
                    .bind(r.spo2_scale2)
                    .bind(Json(&details))
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| match db(e) {
                        StoreError::Conflict(_) => {
                            StoreError::Conflict(format!("room {} of home {} already has another resident", r.room, r.home))
                        }
                        other => other,
                    })?;
                    // Decisions are replaced, never deleted: the old ones stay, superseded.
                    let current = Self::decisions_with(&mut *tx, r.id.as_str()).await?;
                    if current != r.decisions {
                        sqlx::query("UPDATE resident_decisions SET superseded_at = $1 WHERE resident_id = $2 AND superseded_at IS NULL")
                            .bind(at)
                            .bind(r.id.as_str())
                            .execute(&mut *tx)
                            .await
                            .map_err(db)?;
                        for d in &r.decisions {
                            sqlx::query(
                                "INSERT INTO resident_decisions (resident_id, kind, note, recorded_by, recorded_on, created_at) \
                                 VALUES ($1, $2, $3, $4, $5, $6)",
                            )
                            .bind(r.id.as_str())
                            .bind(d.kind.as_str())
                            .bind(d.note.as_ref().map(Text::as_str))
                            .bind(d.recorded_by.as_str())
                            .bind(d.recorded_on)
                            .bind(at)
                            .execute(&mut *tx)
                            .await
                            .map_err(db)?;
                        }
                    }
                    if existed {
                        summary.updated += 1;
                    } else {
                        summary.created += 1;
                    }
                }
                tx.commit().await.map_err(db)?;
                Ok(summary)
            }

            async fn resident(&self, id: &ResidentId) -> Result<Option<Resident>, StoreError> {
                Ok(self.residents_where("id = $1", id.as_str()).await?.into_iter().next())
            }

            async fn residents_of_home(&self, home: &HomeId) -> Result<Vec<Resident>, StoreError> {
                self.residents_where("home_id = $1", home.as_str()).await
            }

            async fn residents_in_room(&self, room: &Room) -> Result<Vec<Resident>, StoreError> {
                self.residents_where("room = $1", room.as_str()).await
            }

            async fn residents_named(&self, needle: &str) -> Result<Vec<Resident>, StoreError> {
                let needle = needle.trim().to_lowercase();
                if needle.chars().count() < 2 {
                    return Ok(vec![]);
                }
                self.residents_where("name_search LIKE $1 ESCAPE '\\'", &like_pattern(&needle)).await
            }

            async fn log_access(&self, e: &AccessEntry) -> Result<(), StoreError> {
                let mut tx = self.writer().begin_with($begin).await.map_err(db)?;
                Self::insert_access(&mut tx, e).await?;
                tx.commit().await.map_err(db)?;
                Ok(())
            }

            async fn access_log_of(
                &self,
                resident: &ResidentId,
                from: Option<DateTime<Utc>>,
                to: Option<DateTime<Utc>>,
            ) -> Result<Vec<AccessEntry>, StoreError> {
                let rows = sqlx::query(
                    "SELECT at, person_id, resident_id, case_id, action, channel, detail FROM access_log \
                     WHERE resident_id = $1 AND ($2 IS NULL OR at >= $2) AND ($3 IS NULL OR at <= $3) ORDER BY id",
                )
                .bind(resident.as_str())
                .bind(from)
                .bind(to)
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
                rows.iter().map(access_of).collect()
            }

            async fn was_paged(&self, case: CaseId, person: &PersonId) -> Result<bool, StoreError> {
                let row = sqlx::query(
                    "SELECT 1 AS one FROM notifications WHERE case_id = $1 AND person_id = $2 AND kind = 'page' LIMIT 1",
                )
                .bind(case.to_string())
                .bind(person.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
                Ok(row.is_some())
            }

            async fn access_log(&self, resident: Option<&ResidentId>, limit: u32) -> Result<Vec<AccessEntry>, StoreError> {
                let rows = sqlx::query(
                    "SELECT at, person_id, resident_id, case_id, action, channel, detail FROM access_log \
                     WHERE ($1 IS NULL OR resident_id = $1) ORDER BY id DESC LIMIT $2",
                )
                .bind(resident.map(ResidentId::as_str))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
                rows.iter().map(access_of).collect()
            }

            async fn create_case(&self, case: &NewCase, events: &[NewEvent], state: &serde_json::Value) -> Result<(), StoreError> {
                let mut tx = self.writer().begin_with($begin).await.map_err(db)?;
                let status = status_after(CaseStatus::Open, events);
                sqlx::query(
                    "INSERT INTO cases (id, home_id, opened_at, opened_by, channel, status, state, version, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $3)",
                )
                .bind(case.id.to_string())
                .bind(case.home.as_str())
                .bind(case.opened_at)
                .bind(case.opened_by.as_ref().map(PersonId::as_str))
                .bind(case.channel.as_str())
                .bind(status.as_str())
                .bind(Json(state))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
                for e in events {
                    Self::insert_event(&mut tx, case.id, e).await?;
                }
                tx.commit().await.map_err(db)?;
                Ok(())
            }

            async fn commit_step(
                &self,
                case: CaseId,
                version: i64,
                events: &[NewEvent],
                state: &serde_json::Value,
            ) -> Result<Vec<i64>, StoreError> {
                let mut tx = self.writer().begin_with($begin).await.map_err(db)?;
                // The version check is the first statement: it takes the write lock.
                let updated = sqlx::query("UPDATE cases SET version = version + 1, state = $1, updated_at = $2 WHERE id = $3 AND version = $4")
                    .bind(Json(state))
                    .bind(Utc::now())
                    .bind(case.to_string())
                    .bind(version)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                if updated.rows_affected() != 1 {
                    return Err(StoreError::Conflict("the case changed meanwhile".into()));
                }
                let row = sqlx::query("SELECT status FROM cases WHERE id = $1")
                    .bind(case.to_string())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db)?;
                let prev: String = row.try_get("status").map_err(corrupt("case"))?;
                let prev = CaseStatus::parse(&prev).ok_or_else(|| StoreError::Corrupt(format!("status {prev}")))?;
                let mut seqs = Vec::with_capacity(events.len());
                for e in events {
                    seqs.push(Self::insert_event(&mut tx, case, e).await?);
                }
                let resident = events.iter().rev().find_map(|e| match &e.kind {
                    EventKind::ResidentIdentified { resident } => Some(resident.as_str().to_string()),
                    _ => None,
                });
                let urgency = events.iter().rev().find_map(|e| match &e.kind {
                    EventKind::UrgencyAssessed { urgency, .. } | EventKind::PageRequested { urgency } => Some(urgency.as_str()),
                    _ => None,
                });
                sqlx::query(
                    "UPDATE cases SET status = $1, resident_id = COALESCE($2, resident_id), urgency = COALESCE($3, urgency) WHERE id = $4",
                )
                .bind(status_after(prev, events).as_str())
                .bind(resident)
                .bind(urgency)
                .bind(case.to_string())
                .execute(&mut *tx)
                .await
                .map_err(db)?;
                Self::start_escalations(&mut tx, case, events).await?;
                tx.commit().await.map_err(db)?;
                Ok(seqs)
            }

            async fn append_event(&self, case: CaseId, event: &NewEvent) -> Result<i64, StoreError> {
                let mut tx = self.writer().begin_with($begin).await.map_err(db)?;
                let row = sqlx::query("UPDATE cases SET updated_at = $1 WHERE id = $2 RETURNING status")
                    .bind(event.at)
                    .bind(case.to_string())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db)?
                    .ok_or(StoreError::NotFound("case"))?;
                let prev: String = row.try_get("status").map_err(corrupt("case"))?;
                let prev = CaseStatus::parse(&prev).ok_or_else(|| StoreError::Corrupt(format!("status {prev}")))?;
                let seq = Self::insert_event(&mut tx, case, event).await?;
                sqlx::query("UPDATE cases SET status = $1 WHERE id = $2")
                    .bind(prev.apply(&event.kind).as_str())
                    .bind(case.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                Self::start_escalations(&mut tx, case, std::slice::from_ref(event)).await?;
                tx.commit().await.map_err(db)?;
                Ok(seq)
            }

            async fn case_state(&self, case: CaseId) -> Result<Option<(serde_json::Value, i64)>, StoreError> {
                let row = sqlx::query("SELECT state, version FROM cases WHERE id = $1")
                    .bind(case.to_string())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?;
                row.map(|r| {
                    let Json(v): Json<serde_json::Value> = r.try_get("state").map_err(corrupt("case state"))?;
                    Ok((v, r.try_get::<i64, _>("version").map_err(corrupt("case state"))?))
                })
                .transpose()
            }

            async fn case(&self, case: CaseId) -> Result<Option<CaseSummary>, StoreError> {
                Ok(self.cases_where("id = $1", Some(&case.to_string()), 1).await?.into_iter().next())
            }

            async fn cases(&self, home: Option<&HomeId>, limit: u32) -> Result<Vec<CaseSummary>, StoreError> {
                self.cases_where("($1 IS NULL OR home_id = $1)", home.map(HomeId::as_str), i64::from(limit)).await
            }

            async fn events(&self, case: CaseId) -> Result<Vec<CaseEvent>, StoreError> {
                let rows = sqlx::query(
                    "SELECT seq, at, author_person, author_role, channel, payload, corrects, external_id \
                     FROM case_events WHERE case_id = $1 ORDER BY seq",
                )
                .bind(case.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
                rows.into_iter()
                    .map(|r| {
                        let person: Option<String> = r.try_get("author_person").map_err(corrupt("event"))?;
                        let role: Option<String> = r.try_get("author_role").map_err(corrupt("event"))?;
                        let channel: String = r.try_get("channel").map_err(corrupt("event"))?;
                        let Json(kind): Json<EventKind> = r.try_get("payload").map_err(corrupt("event payload"))?;
                        Ok(CaseEvent {
                            seq: r.try_get("seq").map_err(corrupt("event"))?,
                            case,
                            event: NewEvent {
                                at: r.try_get("at").map_err(corrupt("event"))?,
                                author: Author {
                                    person: person.and_then(|p| PersonId::parse(&p).ok()),
                                    role: role.and_then(|x| Role::parse(&x)),
                                },
                                channel: Channel::parse(&channel).ok_or_else(|| StoreError::Corrupt(format!("channel {channel}")))?,
                                kind,
                                corrects: r.try_get("corrects").map_err(corrupt("event"))?,
                                external_id: r.try_get("external_id").map_err(corrupt("event"))?,
                            },
                        })
                    })
                    .collect()
            }

            async fn upsert_service(&self, service: &Service) -> Result<(), StoreError> {
                let tiers: Vec<&str> = service.tiers.iter().map(TierId::as_str).collect();
                sqlx::query(
                    "INSERT INTO services (id, name, tiers, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
                     ON CONFLICT (id) DO UPDATE SET name = excluded.name, tiers = excluded.tiers, updated_at = excluded.updated_at",
                )
                .bind(service.id.as_str())
                .bind(&service.name)
                .bind(Json(&tiers))
                .bind(Utc::now())
                .execute(self.writer())
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn services(&self) -> Result<Vec<Service>, StoreError> {
                let rows = sqlx::query("SELECT id, name, tiers FROM services ORDER BY id").fetch_all(&self.pool).await.map_err(db)?;
                rows.iter().map(service_of).collect()
            }

            async fn service(&self, id: &ServiceId) -> Result<Option<Service>, StoreError> {
                let row = sqlx::query("SELECT id, name, tiers FROM services WHERE id = $1")
                    .bind(id.as_str())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?;
                row.as_ref().map(service_of).transpose()
            }

            async fn upsert_rotation(&self, r: &RotationSpec) -> Result<(), StoreError> {
                let mut tx = self.writer().begin_with($begin).await.map_err(db)?;
                let service = sqlx::query("SELECT 1 FROM services WHERE id = $1").bind(r.service.as_str()).fetch_optional(&mut *tx).await.map_err(db)?;
                if service.is_none() {
                    return Err(StoreError::Conflict(format!("service {} is unknown", r.service)));
                }
                let now = Utc::now();
                let members: Vec<&str> = r.members.iter().map(PersonId::as_str).collect();
                sqlx::query(
                    "INSERT INTO rotations (id, service_id, tier, layer, members, shift_start, shift_minutes, anchor, until, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
                     ON CONFLICT (id) DO UPDATE SET service_id = excluded.service_id, tier = excluded.tier, layer = excluded.layer, \
                     members = excluded.members, shift_start = excluded.shift_start, shift_minutes = excluded.shift_minutes, \
                     anchor = excluded.anchor, until = excluded.until, updated_at = excluded.updated_at",
                )
                .bind(r.id.as_str())
                .bind(r.service.as_str())
                .bind(r.tier.as_str())
                .bind(i32::from(r.layer))
                .bind(Json(&members))
                .bind(&r.shift_start)
                .bind(i32::try_from(r.shift_minutes).map_err(|_| StoreError::Conflict("a shift is at most 7 days".into()))?)
                .bind(r.anchor)
                .bind(r.until)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
                for m in &r.members {
                    let known = sqlx::query("SELECT 1 FROM persons WHERE id = $1").bind(m.as_str()).fetch_optional(&mut *tx).await.map_err(db)?;
                    if known.is_none() {
                        return Err(StoreError::Conflict(format!("person {m} is unknown")));
                    }
                }
                tx.commit().await.map_err(db)?;
                Ok(())
            }

            async fn delete_rotation(&self, id: &RotationId) -> Result<bool, StoreError> {
                let mut tx = self.writer().begin_with($begin).await.map_err(db)?;
                sqlx::query("DELETE FROM rota_swaps WHERE rotation_id = $1").bind(id.as_str()).execute(&mut *tx).await.map_err(db)?;
                let r = sqlx::query("DELETE FROM rotations WHERE id = $1").bind(id.as_str()).execute(&mut *tx).await.map_err(db)?;
                tx.commit().await.map_err(db)?;
                Ok(r.rows_affected() > 0)
            }

            async fn add_override(&self, o: &OverrideSpec) -> Result<i64, StoreError> {
                let row = sqlx::query(
                    "INSERT INTO rota_overrides (service_id, tier, person_id, replaces, from_at, to_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(o.service.as_str())
                .bind(o.tier.as_str())
                .bind(o.person.as_str())
                .bind(o.replaces.as_ref().map(PersonId::as_str))
                .bind(o.from)
                .bind(o.to)
                .bind(Utc::now())
                .fetch_one(self.writer())
                .await
                .map_err(db)?;
                row.try_get::<i64, _>("id").map_err(corrupt("override id"))
            }

            async fn delete_override(&self, id: i64) -> Result<bool, StoreError> {
                let r = sqlx::query("DELETE FROM rota_overrides WHERE id = $1").bind(id).execute(self.writer()).await.map_err(db)?;
                Ok(r.rows_affected() > 0)
            }

            async fn add_swap(&self, w: &SwapSpec) -> Result<i64, StoreError> {
                let row = sqlx::query(
                    "INSERT INTO rota_swaps (rotation_id, person_a, shift_a, person_b, shift_b, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(w.rotation.as_str())
                .bind(w.a.as_str())
                .bind(w.a_shift)
                .bind(w.b.as_str())
                .bind(w.b_shift)
                .bind(Utc::now())
                .fetch_one(self.writer())
                .await
                .map_err(db)?;
                row.try_get::<i64, _>("id").map_err(corrupt("swap id"))
            }

            async fn delete_swap(&self, id: i64) -> Result<bool, StoreError> {
                let r = sqlx::query("DELETE FROM rota_swaps WHERE id = $1").bind(id).execute(self.writer()).await.map_err(db)?;
                Ok(r.rows_affected() > 0)
            }

            async fn rota(&self, service: &ServiceId) -> Result<RotaSpec, StoreError> {
                let rows = sqlx::query(
                    "SELECT id, service_id, tier, layer, members, shift_start, shift_minutes, anchor, until \
                     FROM rotations WHERE service_id = $1 ORDER BY layer, id",
                )
                .bind(service.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
                let mut rotations = Vec::with_capacity(rows.len());
                for r in &rows {
                    let Json(members): Json<Vec<String>> = r.try_get("members").map_err(corrupt("rotation members"))?;
                    rotations.push(RotationSpec {
                        id: slug_of(r, "id")?,
                        service: slug_of(r, "service_id")?,
                        tier: slug_of(r, "tier")?,
                        layer: u16::try_from(r.try_get::<i32, _>("layer").map_err(corrupt("rotation"))?)
                            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                        members: members
                            .iter()
                            .map(|m| PersonId::parse(m))
                            .collect::<Result<_, _>>()
                            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                        shift_start: required(r, "shift_start")?,
                        shift_minutes: u32::try_from(r.try_get::<i32, _>("shift_minutes").map_err(corrupt("rotation"))?)
                            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                        anchor: r.try_get("anchor").map_err(corrupt("rotation"))?,
                        until: r.try_get("until").map_err(corrupt("rotation"))?,
                    });
                }
                let rows = sqlx::query(
                    "SELECT id, service_id, tier, person_id, replaces, from_at, to_at FROM rota_overrides \
                     WHERE service_id = $1 ORDER BY id",
                )
                .bind(service.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
                let mut overrides = Vec::with_capacity(rows.len());
                for r in &rows {
                    overrides.push(OverrideSpec {
                        id: r.try_get("id").map_err(corrupt("override"))?,
                        service: slug_of(r, "service_id")?,
                        tier: slug_of(r, "tier")?,
                        person: slug_of(r, "person_id")?,
                        replaces: text_col(r, "replaces")?.and_then(|p| PersonId::parse(&p).ok()),
                        from: r.try_get("from_at").map_err(corrupt("override"))?,
                        to: r.try_get("to_at").map_err(corrupt("override"))?,
                    });
                }
                let rows = sqlx::query(
                    "SELECT w.id, w.rotation_id, w.person_a, w.shift_a, w.person_b, w.shift_b FROM rota_swaps w \
                     JOIN rotations r ON r.id = w.rotation_id WHERE r.service_id = $1 ORDER BY w.id",
                )
                .bind(service.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
                let mut swaps = Vec::with_capacity(rows.len());
                for r in &rows {
                    swaps.push(SwapSpec {
                        id: r.try_get("id").map_err(corrupt("swap"))?,
                        rotation: slug_of(r, "rotation_id")?,
                        a: slug_of(r, "person_a")?,
                        a_shift: r.try_get("shift_a").map_err(corrupt("swap"))?,
                        b: slug_of(r, "person_b")?,
                        b_shift: r.try_get("shift_b").map_err(corrupt("swap"))?,
                    });
                }
                Ok(RotaSpec { rotations, overrides, swaps })
            }

            async fn escalation(&self, case: CaseId) -> Result<Option<Escalation>, StoreError> {
                let row = sqlx::query("SELECT case_id, urgency, step, round, due_at, state FROM escalations WHERE case_id = $1")
                    .bind(case.to_string())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?;
                row.as_ref().map(Self::escalation_of).transpose()
            }

            async fn claim_due_escalations(
                &self,
                now: DateTime<Utc>,
                worker: &str,
                lease: chrono::Duration,
                limit: u32,
            ) -> Result<Vec<Escalation>, StoreError> {
                let claim = Claim {
                    table: "escalations",
                    key: "case_id",
                    due: "due_at",
                    pending: "state = 'pending'",
                    columns: "case_id, urgency, step, round, due_at, state",
                    also_set: "",
                };
                let rows = self.claim_rows(&claim, now, worker, lease, limit).await?;
                let mut out = rows.iter().map(Self::escalation_of).collect::<Result<Vec<_>, _>>()?;
                out.sort_by_key(|e| e.due_at);
                Ok(out)
            }

            async fn next_escalation_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
                let row = sqlx::query("SELECT MIN(due_at) AS due FROM escalations WHERE state = 'pending'")
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db)?;
                row.try_get::<Option<DateTime<Utc>>, _>("due").map_err(corrupt("due"))
            }

            async fn fire_escalation(
                &self,
                claimed: &Escalation,
                worker: &str,
                next: EscalationNext,
                notifications: &[NewNotification],
                events: &[NewEvent],
            ) -> Result<Option<Vec<i64>>, StoreError> {
                let mut tx = self.writer().begin_with($begin).await.map_err(db)?;
                let moved = sqlx::query(
                    "UPDATE escalations SET step = $1, round = $2, due_at = $3, state = $4, claimed_by = NULL, claimed_until = NULL, updated_at = $5 \
                     WHERE case_id = $6 AND claimed_by = $7 AND step = $8 AND round = $9 AND state = 'pending'",
                )
                .bind(i32::try_from(next.step).map_err(|e| StoreError::Conflict(e.to_string()))?)
                .bind(i32::try_from(next.round).map_err(|e| StoreError::Conflict(e.to_string()))?)
                .bind(next.due_at)
                .bind(next.state.as_str())
                .bind(Utc::now())
                .bind(claimed.case.to_string())
                .bind(worker)
                .bind(i32::try_from(claimed.step).map_err(|e| StoreError::Conflict(e.to_string()))?)
                .bind(i32::try_from(claimed.round).map_err(|e| StoreError::Conflict(e.to_string()))?)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
                if moved.rows_affected() != 1 {
                    return Ok(None);
                }
                let mut ids = Vec::with_capacity(notifications.len());
                for n in notifications {
                    ids.push(Self::insert_notification(&mut tx, n).await?);
                }
                for e in events {
                    Self::insert_event(&mut tx, claimed.case, e).await?;
                }
                tx.commit().await.map_err(db)?;
                Ok(Some(ids))
            }

            async fn respond_to_page(&self, case: CaseId, event: &NewEvent, decline: bool) -> Result<bool, StoreError> {
                let mut tx = self.writer().begin_with($begin).await.map_err(db)?;
                let row = sqlx::query("UPDATE cases SET updated_at = $1 WHERE id = $2 RETURNING status")
                    .bind(event.at)
                    .bind(case.to_string())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db)?
                    .ok_or(StoreError::NotFound("case"))?;
                let prev: String = row.try_get("status").map_err(corrupt("case"))?;
                let prev = CaseStatus::parse(&prev).ok_or_else(|| StoreError::Corrupt(format!("status {prev}")))?;
                Self::insert_event(&mut tx, case, event).await?;
                sqlx::query("UPDATE cases SET status = $1 WHERE id = $2")
                    .bind(prev.apply(&event.kind).as_str())
                    .bind(case.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                let sql = if decline {
                    "UPDATE escalations SET due_at = $1, updated_at = $1 WHERE case_id = $2 AND state = 'pending'"
                } else {
                    "UPDATE escalations SET state = 'acknowledged', claimed_by = NULL, claimed_until = NULL, updated_at = $1 \
                     WHERE case_id = $2 AND state = 'pending'"
                };
                let changed = sqlx::query(sql).bind(event.at).bind(case.to_string()).execute(&mut *tx).await.map_err(db)?;
                tx.commit().await.map_err(db)?;
                Ok(changed.rows_affected() > 0)
            }

            async fn claim_due_notifications(
                &self,
                now: DateTime<Utc>,
                worker: &str,
                lease: chrono::Duration,
                limit: u32,
            ) -> Result<Vec<Notification>, StoreError> {
                let claim = Claim {
                    table: "notifications",
                    key: "id",
                    due: "next_attempt_at",
                    pending: "status = 'pending'",
                    columns: "id, case_id, person_id, kind, channel, fallback, body, status, attempts, next_attempt_at, last_error, external_id",
                    also_set: "",
                };
                let rows = self.claim_rows(&claim, now, worker, lease, limit).await?;
                let mut out = rows.iter().map(Self::notification_of).collect::<Result<Vec<_>, _>>()?;
                out.sort_by_key(|n| n.id);
                Ok(out)
            }

            async fn claim_due_notifications_on(
                &self,
                channel: NotifyChannel,
                now: DateTime<Utc>,
                worker: &str,
                lease: chrono::Duration,
                limit: u32,
            ) -> Result<Vec<Notification>, StoreError> {
                let pending = match channel {
                    NotifyChannel::Matrix => "status = 'pending' AND channel = 'matrix'",
                    NotifyChannel::Sms => "status = 'pending' AND channel = 'sms'",
                    NotifyChannel::Voice => "status = 'pending' AND channel = 'voice'",
                    NotifyChannel::Log => "status = 'pending' AND channel = 'log'",
                };
                let claim = Claim {
                    table: "notifications",
                    key: "id",
                    due: "next_attempt_at",
                    pending,
                    columns: "id, case_id, person_id, kind, channel, fallback, body, status, attempts, next_attempt_at, last_error, external_id",
                    also_set: "",
                };
                let rows = self.claim_rows(&claim, now, worker, lease, limit).await?;
                let mut out = rows.iter().map(Self::notification_of).collect::<Result<Vec<_>, _>>()?;
                out.sort_by_key(|n| n.id);
                Ok(out)
            }

            async fn next_notification_due_on(&self, channel: NotifyChannel) -> Result<Option<DateTime<Utc>>, StoreError> {
                let row = sqlx::query("SELECT MIN(next_attempt_at) AS due FROM notifications WHERE status = 'pending' AND channel = $1")
                    .bind(channel.as_str())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db)?;
                row.try_get::<Option<DateTime<Utc>>, _>("due").map_err(corrupt("due"))
            }

            async fn worker_heartbeat(&self, w: &Worker, now: DateTime<Utc>) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO workers (id, host, pid, started_at, heartbeat_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
                )
                .bind(&w.id)
                .bind(&w.host)
                .bind(i64::from(w.pid))
                .bind(w.started_at)
                .bind(now)
                .execute(self.writer())
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn workers_on(&self, host: &str) -> Result<Vec<Worker>, StoreError> {
                let rows = sqlx::query("SELECT id, host, pid, started_at FROM workers WHERE host = $1 ORDER BY id")
                    .bind(host)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db)?;
                rows.iter()
                    .map(|r| {
                        let pid: i64 = r.try_get("pid").map_err(corrupt("worker"))?;
                        Ok(Worker {
                            id: required(r, "id")?,
                            host: required(r, "host")?,
                            pid: u32::try_from(pid).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                            started_at: r.try_get("started_at").map_err(corrupt("worker"))?,
                        })
                    })
                    .collect()
            }

            async fn release_dead_workers(&self, stale_before: DateTime<Utc>, dead: &[String]) -> Result<u64, StoreError> {
                let mut tx = self.writer().begin_with($begin).await.map_err(db)?;
                let rows = sqlx::query("SELECT id FROM workers WHERE heartbeat_at < $1")
                    .bind(stale_before)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db)?;
                let mut gone: Vec<String> = rows.iter().map(|r| required(r, "id")).collect::<Result<_, _>>()?;
                gone.extend(dead.iter().cloned());
                let mut released = 0;
                for w in &gone {
                    for table in ["escalations", "notifications", "transcription_jobs"] {
                        let sql = format!("UPDATE {table} SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = $1");
                        let r = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(w).execute(&mut *tx).await.map_err(db)?;
                        released += r.rows_affected();
                    }
                    sqlx::query("DELETE FROM workers WHERE id = $1").bind(w).execute(&mut *tx).await.map_err(db)?;
                }
                tx.commit().await.map_err(db)?;
                Ok(released)
            }

            async fn next_notification_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
                let row = sqlx::query("SELECT MIN(next_attempt_at) AS due FROM notifications WHERE status = 'pending'")
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db)?;
                row.try_get::<Option<DateTime<Utc>>, _>("due").map_err(corrupt("due"))
            }

            async fn notification_sent(&self, id: i64, worker: &str, external_id: Option<&str>, event: Option<&NewEvent>, access: Option<&AccessEntry>) -> Result<bool, StoreError> {
                let mut tx = self.writer().begin_with($begin).await.map_err(db)?;
                let row = sqlx::query(
                    "UPDATE notifications SET status = 'sent', sent_at = $1, external_id = $2, attempts = attempts + 1, \
                     claimed_by = NULL, claimed_until = NULL WHERE id = $3 AND claimed_by = $4 AND status = 'pending' RETURNING case_id",
                )
                .bind(Utc::now())
                .bind(external_id)
                .bind(id)
                .bind(worker)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
                let Some(row) = row else { return Ok(false) };
                let case: Option<String> = row.try_get("case_id").map_err(corrupt("notification"))?;
                if let (Some(case), Some(e)) = (case.and_then(|c| CaseId::parse(&c)), event) {
                    Self::insert_event(&mut tx, case, e).await?;
                }
                if let Some(a) = access {
                    Self::insert_access(&mut tx, a).await?;
                }
                tx.commit().await.map_err(db)?;
                Ok(true)
            }

            async fn notification_failed(
                &self,
                id: i64,
                worker: &str,
                error: &str,
                retry_at: Option<DateTime<Utc>>,
                fallover: Option<&NewNotification>,
                event: Option<&NewEvent>,
            ) -> Result<bool, StoreError> {
                let mut tx = self.writer().begin_with($begin).await.map_err(db)?;
                let row = sqlx::query(
                    "UPDATE notifications SET status = $1, attempts = attempts + 1, last_error = $2, \
                     next_attempt_at = COALESCE($3, next_attempt_at), claimed_by = NULL, claimed_until = NULL \
                     WHERE id = $4 AND claimed_by = $5 AND status = 'pending' RETURNING case_id",
                )
                .bind(if retry_at.is_some() { "pending" } else { "failed" })
                .bind(error)
                .bind(retry_at)
                .bind(id)
                .bind(worker)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
                let Some(row) = row else { return Ok(false) };
                if retry_at.is_none() {
                    if let Some(n) = fallover {
                        Self::insert_notification(&mut tx, n).await?;
                    }
                }
                let case: Option<String> = row.try_get("case_id").map_err(corrupt("notification"))?;
                if let (Some(case), Some(e)) = (case.and_then(|c| CaseId::parse(&c)), event) {
                    Self::insert_event(&mut tx, case, e).await?;
                }
                tx.commit().await.map_err(db)?;
                Ok(true)
            }

            async fn notifications(&self, case: CaseId) -> Result<Vec<Notification>, StoreError> {
                let rows = sqlx::query(
                    "SELECT id, case_id, person_id, kind, channel, fallback, body, status, attempts, next_attempt_at, last_error, external_id \
                     FROM notifications WHERE case_id = $1 ORDER BY id",
                )
                .bind(case.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
                rows.iter().map(Self::notification_of).collect()
            }

            async fn set_password_hash(&self, person: &PersonId, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
                let mut tx = self.writer().begin_with($begin).await.map_err(db)?;
                sqlx::query(
                    "INSERT INTO person_passwords (person_id, hash, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (person_id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at",
                )
                .bind(person.as_str())
                .bind(hash)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
                // A changed password signs the person out everywhere.
                sqlx::query("DELETE FROM web_sessions WHERE person_id = $1")
                    .bind(person.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                tx.commit().await.map_err(db)?;
                Ok(())
            }

            async fn password_hash(&self, person: &PersonId) -> Result<Option<String>, StoreError> {
                let row = sqlx::query("SELECT hash FROM person_passwords WHERE person_id = $1")
                    .bind(person.as_str())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?;
                row.map(|r| r.try_get::<String, _>("hash").map_err(corrupt("password"))).transpose()
            }

            async fn set_person_pin(&self, person: &PersonId, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO person_pins (person_id, hash, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (person_id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at",
                )
                .bind(person.as_str())
                .bind(hash)
                .bind(at)
                .execute(self.writer())
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn set_home_pin(&self, home: &HomeId, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
                if self.home(home).await?.is_none() {
                    return Err(StoreError::UnknownHome(home.clone()));
                }
                sqlx::query(
                    "INSERT INTO home_pins (home_id, hash, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (home_id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at",
                )
                .bind(home.as_str())
                .bind(hash)
                .bind(at)
                .execute(self.writer())
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn pin_hash(&self, person: &PersonId, home: Option<&HomeId>) -> Result<Option<String>, StoreError> {
                let own = sqlx::query("SELECT hash FROM person_pins WHERE person_id = $1")
                    .bind(person.as_str())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?;
                if let Some(r) = own {
                    return Ok(Some(required(&r, "hash")?));
                }
                let Some(home) = home else { return Ok(None) };
                let shared = sqlx::query("SELECT hash FROM home_pins WHERE home_id = $1")
                    .bind(home.as_str())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?;
                shared.as_ref().map(|r| required(r, "hash")).transpose()
            }

            async fn login_attempt(&self, keys: &[(String, ThrottleRule)], now: DateTime<Utc>) -> Result<LoginGate, StoreError> {
                // Any key still holding back: refused, nothing counted. Read
                // first without the write lock, so an attack that is being
                // held back costs no writes (the hotline shares the writer).
                for (key, _) in keys {
                    let row = sqlx::query("SELECT next_allowed_at FROM login_throttle WHERE key = $1 AND next_allowed_at > $2")
                        .bind(key)
                        .bind(now)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db)?;
                    if let Some(r) = row {
                        let until: DateTime<Utc> = r.try_get("next_allowed_at").map_err(corrupt("throttle"))?;
                        return Ok(LoginGate::Wait { until, key: key.clone() });
                    }
                }
                let mut tx = self.writer().begin_with($begin).await.map_err(db)?;
                // Again under the lock: another attempt may have set a wait meanwhile.
                for (key, _) in keys {
                    let row = sqlx::query("SELECT next_allowed_at FROM login_throttle WHERE key = $1 AND next_allowed_at > $2")
                        .bind(key)
                        .bind(now)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db)?;
                    if let Some(r) = row {
                        let until: DateTime<Utc> = r.try_get("next_allowed_at").map_err(corrupt("throttle"))?;
                        return Ok(LoginGate::Wait { until, key: key.clone() });
                    }
                }
                // Counted before the password is checked; the row lock (or
                // SQLite's single writer) makes parallel guesses count one by one.
                for (key, rule) in keys {
                    let window_start = now - chrono::Duration::seconds(rule.window_secs);
                    let row = sqlx::query(
                        "INSERT INTO login_throttle (key, failures, next_allowed_at, updated_at) VALUES ($1, 1, $2, $2) \
                         ON CONFLICT (key) DO UPDATE SET \
                         failures = CASE WHEN login_throttle.updated_at < $3 THEN 1 ELSE login_throttle.failures + 1 END, \
                         updated_at = excluded.updated_at RETURNING failures",
                    )
                    .bind(key)
                    .bind(now)
                    .bind(window_start)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db)?;
                    let failures: i32 = row.try_get("failures").map_err(corrupt("throttle"))?;
                    let delay = rule.delay_secs(u32::try_from(failures).unwrap_or(u32::MAX));
                    sqlx::query("UPDATE login_throttle SET next_allowed_at = $1 WHERE key = $2")
                        .bind(now + chrono::Duration::seconds(delay))
                        .bind(key)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                }
                tx.commit().await.map_err(db)?;
                Ok(LoginGate::Go)
            }

            async fn login_succeeded(&self, person: &PersonId, source: &str, reset: &[String], now: DateTime<Utc>) -> Result<(), StoreError> {
                let mut tx = self.writer().begin_with($begin).await.map_err(db)?;
                for key in reset {
                    sqlx::query("DELETE FROM login_throttle WHERE key = $1").bind(key).execute(&mut *tx).await.map_err(db)?;
                }
                sqlx::query(
                    "INSERT INTO login_sources (person_id, source, last_ok_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (person_id, source) DO UPDATE SET last_ok_at = excluded.last_ok_at",
                )
                .bind(person.as_str())
                .bind(source)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
                tx.commit().await.map_err(db)?;
                Ok(())
            }

            async fn known_login_source(&self, person: &PersonId, source: &str, since: DateTime<Utc>) -> Result<bool, StoreError> {
                let row = sqlx::query("SELECT 1 AS one FROM login_sources WHERE person_id = $1 AND source = $2 AND last_ok_at >= $3")
                    .bind(person.as_str())
                    .bind(source)
                    .bind(since)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?;
                Ok(row.is_some())
            }

            async fn create_session(
                &self,
                id_hash: &str,
                person: &PersonId,
                csrf: &str,
                created: DateTime<Utc>,
                expires: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                sqlx::query("INSERT INTO web_sessions (id_hash, person_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(id_hash)
                    .bind(person.as_str())
                    .bind(csrf)
                    .bind(created)
                    .bind(expires)
                    .execute(self.writer())
                    .await
                    .map_err(db)?;
                Ok(())
            }

            async fn session(&self, id_hash: &str, now: DateTime<Utc>) -> Result<Option<(Person, String)>, StoreError> {
                let row = sqlx::query("SELECT person_id, csrf FROM web_sessions WHERE id_hash = $1 AND expires_at > $2")
                    .bind(id_hash)
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?;
                let Some(r) = row else { return Ok(None) };
                let pid: PersonId = slug_of(&r, "person_id")?;
                let csrf = required(&r, "csrf")?;
                Ok(self.person(&pid).await?.map(|p| (p, csrf)))
            }

            async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM web_sessions WHERE id_hash = $1").bind(id_hash).execute(self.writer()).await.map_err(db)?;
                Ok(())
            }

            async fn add_calendar_feed(&self, token_hash: &str, feed: &CalendarFeed, at: DateTime<Utc>) -> Result<(), StoreError> {
                let (person, service) = match feed {
                    CalendarFeed::Person(p) => (Some(p.as_str()), None),
                    CalendarFeed::Service(s) => (None, Some(s.as_str())),
                };
                sqlx::query("INSERT INTO calendar_feeds (token_hash, person_id, service_id, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(token_hash)
                    .bind(person)
                    .bind(service)
                    .bind(at)
                    .execute(self.writer())
                    .await
                    .map_err(db)?;
                Ok(())
            }

            async fn calendar_feed(&self, token_hash: &str) -> Result<Option<CalendarFeed>, StoreError> {
                let row = sqlx::query("SELECT person_id, service_id FROM calendar_feeds WHERE token_hash = $1 AND revoked_at IS NULL")
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?;
                let Some(r) = row else { return Ok(None) };
                match (text_col(&r, "person_id")?, text_col(&r, "service_id")?) {
                    (Some(p), None) => Ok(Some(CalendarFeed::Person(PersonId::parse(&p).map_err(|e| StoreError::Corrupt(e.to_string()))?))),
                    (None, Some(s)) => Ok(Some(CalendarFeed::Service(ServiceId::parse(&s).map_err(|e| StoreError::Corrupt(e.to_string()))?))),
                    _ => Err(StoreError::Corrupt("calendar feed".into())),
                }
            }

            async fn revoke_calendar_feeds(&self, feed: &CalendarFeed, at: DateTime<Utc>) -> Result<u64, StoreError> {
                let (col, id) = match feed {
                    CalendarFeed::Person(p) => ("person_id", p.as_str()),
                    CalendarFeed::Service(s) => ("service_id", s.as_str()),
                };
                let sql = format!("UPDATE calendar_feeds SET revoked_at = $1 WHERE {col} = $2 AND revoked_at IS NULL");
                let r = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(at).bind(id).execute(self.writer()).await.map_err(db)?;
                Ok(r.rows_affected())
            }

            async fn enqueue_once(&self, key: &str, notifications: &[NewNotification], at: DateTime<Utc>) -> Result<bool, StoreError> {
                let mut tx = self.writer().begin_with($begin).await.map_err(db)?;
                let r = sqlx::query("INSERT INTO jobs_done (key, done_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
                    .bind(key)
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                if r.rows_affected() != 1 {
                    return Ok(false);
                }
                for n in notifications {
                    Self::insert_notification(&mut tx, n).await?;
                }
                tx.commit().await.map_err(db)?;
                Ok(true)
            }

            async fn person_by_matrix_user(&self, user_id: &str) -> Result<Option<Person>, StoreError> {
                let row = sqlx::query("SELECT id, name, role, home_id, phone, matrix_user FROM persons WHERE matrix_user = $1")
                    .bind(user_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?;
                row.as_ref().map(person_of).transpose()
            }

            async fn link_matrix_thread(&self, room: &str, root_event: &str, case: CaseId, at: DateTime<Utc>) -> Result<(), StoreError> {
                sqlx::query("INSERT INTO matrix_threads (room_id, root_event, case_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
                    .bind(room)
                    .bind(root_event)
                    .bind(case.to_string())
                    .bind(at)
                    .execute(self.writer())
                    .await
                    .map_err(db)?;
                Ok(())
            }

            async fn case_of_matrix_thread(&self, room: &str, root_event: &str) -> Result<Option<CaseId>, StoreError> {
                let row = sqlx::query("SELECT case_id FROM matrix_threads WHERE room_id = $1 AND root_event = $2")
                    .bind(room)
                    .bind(root_event)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?;
                Ok(row.as_ref().map(|r| required(r, "case_id")).transpose()?.and_then(|c| CaseId::parse(&c)))
            }

            async fn set_matrix_prompt(&self, room: &str, root_event: &str, prompt_event: Option<&str>) -> Result<(), StoreError> {
                sqlx::query("UPDATE matrix_threads SET prompt_event = $1 WHERE room_id = $2 AND root_event = $3")
                    .bind(prompt_event)
                    .bind(room)
                    .bind(root_event)
                    .execute(self.writer())
                    .await
                    .map_err(db)?;
                Ok(())
            }

            async fn take_matrix_prompt(&self, room: &str, prompt_event: &str) -> Result<Option<(CaseId, String)>, StoreError> {
                // Atomic: of two taps racing on one question, one wins.
                let row = sqlx::query(
                    "UPDATE matrix_threads SET prompt_event = NULL WHERE room_id = $1 AND prompt_event = $2 \
                     RETURNING case_id, root_event",
                )
                    .bind(room)
                    .bind(prompt_event)
                    .fetch_optional(self.writer())
                    .await
                    .map_err(db)?;
                let Some(r) = row else { return Ok(None) };
                let case = CaseId::parse(&required(&r, "case_id")?)
                    .ok_or_else(|| StoreError::Corrupt("matrix thread case id".into()))?;
                Ok(Some((case, required(&r, "root_event")?)))
            }

            async fn matrix_thread_of_case(&self, case: CaseId) -> Result<Option<(String, String)>, StoreError> {
                let row = sqlx::query("SELECT room_id, root_event FROM matrix_threads WHERE case_id = $1 ORDER BY created_at LIMIT 1")
                    .bind(case.to_string())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?;
                row.as_ref().map(|r| Ok((required(r, "room_id")?, required(r, "root_event")?))).transpose()
            }

            async fn latest_page_to(&self, person: &PersonId) -> Result<Option<CaseId>, StoreError> {
                let row = sqlx::query(
                    "SELECT case_id FROM notifications WHERE person_id = $1 AND kind = 'page' AND case_id IS NOT NULL ORDER BY id DESC LIMIT 1",
                )
                .bind(person.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
                Ok(row.as_ref().map(|r| required(r, "case_id")).transpose()?.and_then(|c| CaseId::parse(&c)))
            }

            async fn page_by_external_id(&self, external_id: &str) -> Result<Option<(CaseId, PersonId)>, StoreError> {
                let row = sqlx::query(
                    "SELECT case_id, person_id FROM notifications \
                     WHERE external_id = $1 AND kind = 'page' AND case_id IS NOT NULL ORDER BY id DESC LIMIT 1",
                )
                .bind(external_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
                let Some(r) = row else { return Ok(None) };
                let case = CaseId::parse(&required(&r, "case_id")?)
                    .ok_or_else(|| StoreError::Corrupt("notification case id".into()))?;
                Ok(Some((case, slug_of(&r, "person_id")?)))
            }

            async fn attach(&self, case: CaseId, a: &NewAttachment, event: &NewEvent) -> Result<(i64, i64), StoreError> {
                let mut tx = self.writer().begin_with($begin).await.map_err(db)?;
                sqlx::query("UPDATE cases SET updated_at = $1 WHERE id = $2 RETURNING id")
                    .bind(event.at)
                    .bind(case.to_string())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db)?
                    .ok_or(StoreError::NotFound("case"))?;
                let row = sqlx::query(
                    "INSERT INTO attachments (case_id, mime, data, sha256, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(case.to_string())
                .bind(&a.mime)
                .bind(&a.data)
                .bind(sha256_hex(&a.data))
                .bind(event.at)
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
                let id: i64 = row.try_get("id").map_err(corrupt("attachment id"))?;
                let mut e = event.clone();
                if let EventKind::AudioAttached { attachment, .. } = &mut e.kind {
                    *attachment = id;
                }
                let seq = Self::insert_event(&mut tx, case, &e).await?;
                // Queued with the recording, so no voice note is stored
                // without its transcription being owed.
                sqlx::query(
                    "INSERT INTO transcription_jobs (attachment_id, case_id, due_at, created_at) VALUES ($1, $2, $3, $3)",
                )
                .bind(id)
                .bind(case.to_string())
                .bind(event.at)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
                tx.commit().await.map_err(db)?;
                Ok((id, seq))
            }

            async fn claim_transcriptions(
                &self,
                now: DateTime<Utc>,
                worker: &str,
                lease: chrono::Duration,
                limit: u32,
            ) -> Result<Vec<TranscriptionJob>, StoreError> {
                let claim = Claim {
                    table: "transcription_jobs",
                    key: "attachment_id",
                    due: "due_at",
                    pending: "status = 'pending'",
                    columns: "attachment_id, case_id, attempts",
                    also_set: ", attempts = attempts + 1",
                };
                let rows = self.claim_rows(&claim, now, worker, lease, limit).await?;
                let mut out = rows
                    .iter()
                    .map(|r| {
                        let attachment: i64 = r.try_get("attachment_id").map_err(corrupt("transcription job"))?;
                        let case = CaseId::parse(&required(r, "case_id")?)
                            .ok_or_else(|| StoreError::Corrupt("transcription job case id".into()))?;
                        let attempts: i64 = r.try_get::<i64, _>("attempts").or_else(|_| r.try_get::<i32, _>("attempts").map(i64::from)).map_err(corrupt("attempts"))?;
                        Ok(TranscriptionJob { attachment, case, attempts: attempts.clamp(0, i64::from(u32::MAX)) as u32 })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                out.sort_by_key(|j| j.attachment);
                Ok(out)
            }

            async fn extend_transcription(&self, attachment: i64, worker: &str, until: DateTime<Utc>) -> Result<bool, StoreError> {
                let r = sqlx::query(
                    "UPDATE transcription_jobs SET claimed_until = $1 WHERE attachment_id = $2 AND claimed_by = $3 AND status = 'pending'",
                )
                .bind(until)
                .bind(attachment)
                .bind(worker)
                .execute(self.writer())
                .await
                .map_err(db)?;
                Ok(r.rows_affected() == 1)
            }

            async fn finish_transcription(
                &self,
                attachment: i64,
                worker: &str,
                event: &NewEvent,
                notifications: &[NewNotification],
            ) -> Result<Option<i64>, StoreError> {
                let mut tx = self.writer().begin_with($begin).await.map_err(db)?;
                let row = sqlx::query(
                    "UPDATE transcription_jobs SET status = 'done', done_at = $1, claimed_by = NULL, claimed_until = NULL \
                     WHERE attachment_id = $2 AND claimed_by = $3 AND status = 'pending' RETURNING case_id",
                )
                .bind(event.at)
                .bind(attachment)
                .bind(worker)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
                let Some(row) = row else { return Ok(None) };
                let case = CaseId::parse(&required(&row, "case_id")?)
                    .ok_or_else(|| StoreError::Corrupt("transcription job case id".into()))?;
                let seq = Self::insert_event(&mut tx, case, event).await?;
                for n in notifications {
                    Self::insert_notification(&mut tx, n).await?;
                }
                tx.commit().await.map_err(db)?;
                Ok(Some(seq))
            }

            async fn release_transcription(&self, attachment: i64, worker: &str, due: DateTime<Utc>) -> Result<bool, StoreError> {
                let r = sqlx::query(
                    "UPDATE transcription_jobs SET due_at = $1, claimed_by = NULL, claimed_until = NULL \
                     WHERE attachment_id = $2 AND claimed_by = $3 AND status = 'pending'",
                )
                .bind(due)
                .bind(attachment)
                .bind(worker)
                .execute(self.writer())
                .await
                .map_err(db)?;
                Ok(r.rows_affected() == 1)
            }

            async fn transcriptions_pending(&self) -> Result<u64, StoreError> {
                let row = sqlx::query("SELECT COUNT(*) AS n FROM transcription_jobs WHERE status = 'pending'")
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db)?;
                let n: i64 = row.try_get("n").map_err(corrupt("count"))?;
                Ok(n.max(0) as u64)
            }

            async fn purge_expired(&self, now: DateTime<Utc>, webhook_answers_before: DateTime<Utc>) -> Result<Purged, StoreError> {
                let mut tx = self.writer().begin_with($begin).await.map_err(db)?;
                let w = sqlx::query("DELETE FROM webhook_answers WHERE created_at < $1")
                    .bind(webhook_answers_before)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                let sess = sqlx::query("DELETE FROM web_sessions WHERE expires_at <= $1")
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                let throttles = sqlx::query("DELETE FROM login_throttle WHERE updated_at < $1 AND next_allowed_at <= $2")
                    .bind(now - chrono::Duration::days(1))
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                tx.commit().await.map_err(db)?;
                Ok(Purged {
                    webhook_answers: w.rows_affected(),
                    sessions: sess.rows_affected(),
                    login_throttles: throttles.rows_affected(),
                })
            }

            async fn person_by_phone(&self, phone: &str) -> Result<Option<Person>, StoreError> {
                let wanted: String = phone.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
                if wanted.len() < 3 {
                    return Ok(None);
                }
                let row = sqlx::query(
                    "SELECT id, name, role, home_id, phone, matrix_user FROM persons \
                     WHERE REPLACE(REPLACE(phone, ' ', ''), '-', '') = $1 ORDER BY id LIMIT 1",
                )
                .bind(&wanted)
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
                row.as_ref().map(person_of).transpose()
            }

            async fn pages_to(&self, person: &PersonId, limit: u32) -> Result<Vec<CaseId>, StoreError> {
                let rows = sqlx::query(
                    "SELECT case_id, MAX(id) AS last FROM notifications \
                     WHERE person_id = $1 AND kind = 'page' AND case_id IS NOT NULL \
                     GROUP BY case_id ORDER BY last DESC LIMIT $2",
                )
                .bind(person.as_str())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
                rows.iter()
                    .map(|r| {
                        CaseId::parse(&required(r, "case_id")?)
                            .ok_or_else(|| StoreError::Corrupt("notification case id".into()))
                    })
                    .collect()
            }

            async fn webhook_answer(&self, sid: &str, step: &str) -> Result<Option<String>, StoreError> {
                let row = sqlx::query("SELECT answer FROM webhook_answers WHERE sid = $1 AND step = $2")
                    .bind(sid)
                    .bind(step)
                    .fetch_optional(self.writer())
                    .await
                    .map_err(db)?;
                row.as_ref().map(|r| required(r, "answer")).transpose()
            }

            async fn save_webhook_answer(&self, sid: &str, step: &str, answer: &str, at: DateTime<Utc>) -> Result<String, StoreError> {
                sqlx::query(
                    "INSERT INTO webhook_answers (sid, step, answer, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (sid, step) DO NOTHING",
                )
                .bind(sid)
                .bind(step)
                .bind(answer)
                .bind(at)
                .execute(self.writer())
                .await
                .map_err(db)?;
                self.webhook_answer(sid, step)
                    .await?
                    .ok_or(StoreError::NotFound("webhook answer"))
            }

            async fn upsert_call(&self, c: &CallLeg) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO calls (sid, role, case_id, person_id, notification_id, status, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (sid) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at, \
                     case_id = COALESCE(excluded.case_id, calls.case_id), \
                     person_id = COALESCE(excluded.person_id, calls.person_id), \
                     notification_id = COALESCE(excluded.notification_id, calls.notification_id)",
                )
                .bind(&c.sid)
                .bind(c.role.as_str())
                .bind(c.case.map(|x| x.to_string()))
                .bind(c.person.as_ref().map(|p| p.as_str().to_string()))
                .bind(c.notification)
                .bind(&c.status)
                .bind(c.at)
                .execute(self.writer())
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn call(&self, sid: &str) -> Result<Option<CallLeg>, StoreError> {
                let row = sqlx::query(
                    "SELECT sid, role, case_id, person_id, notification_id, status, updated_at FROM calls WHERE sid = $1",
                )
                .bind(sid)
                .fetch_optional(self.writer())
                .await
                .map_err(db)?;
                row.as_ref().map(call_of).transpose()
            }

            async fn calls_of_case(&self, case: CaseId) -> Result<Vec<CallLeg>, StoreError> {
                let rows = sqlx::query(
                    "SELECT sid, role, case_id, person_id, notification_id, status, updated_at FROM calls \
                     WHERE case_id = $1 ORDER BY updated_at, sid",
                )
                .bind(case.to_string())
                .fetch_all(self.writer())
                .await
                .map_err(db)?;
                rows.iter().map(call_of).collect()
            }

            async fn attachment(&self, id: i64) -> Result<Option<Attachment>, StoreError> {
                let row = sqlx::query("SELECT id, case_id, mime, data, sha256, created_at FROM attachments WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?;
                let Some(r) = row else { return Ok(None) };
                let data: Vec<u8> = r.try_get("data").map_err(corrupt("attachment"))?;
                let sha256 = required(&r, "sha256")?;
                if sha256_hex(&data) != sha256 {
                    return Err(StoreError::Corrupt(format!("attachment {id}: checksum mismatch")));
                }
                Ok(Some(Attachment {
                    id,
                    case: CaseId::parse(&required(&r, "case_id")?)
                        .ok_or_else(|| StoreError::Corrupt("attachment case id".into()))?,
                    mime: required(&r, "mime")?,
                    data,
                    sha256,
                    created_at: r.try_get("created_at").map_err(corrupt("attachment"))?,
                }))
            }
        }
    };
}

fn access_of<R: Row>(r: &R) -> Result<AccessEntry, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'d> Option<String>: sqlx::Decode<'d, R::Database> + sqlx::Type<R::Database>,
    for<'d> DateTime<Utc>: sqlx::Decode<'d, R::Database> + sqlx::Type<R::Database>,
{
    let action = required(r, "action")?;
    Ok(AccessEntry {
        at: r.try_get("at").map_err(corrupt("access"))?,
        person: text_col(r, "person_id")?.and_then(|p| PersonId::parse(&p).ok()),
        resident: slug_of(r, "resident_id")?,
        case: text_col(r, "case_id")?.and_then(|c| CaseId::parse(&c)),
        action: match action.as_str() {
            "read" => AccessAction::Read,
            "denied" => AccessAction::Denied,
            other => return Err(StoreError::Corrupt(format!("access action {other}"))),
        },
        channel: text_col(r, "channel")?.and_then(|c| Channel::parse(&c)),
        detail: text_col(r, "detail")?,
    })
}

fn call_of<R: Row>(r: &R) -> Result<CallLeg, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'d> Option<String>: sqlx::Decode<'d, R::Database> + sqlx::Type<R::Database>,
    for<'d> Option<i64>: sqlx::Decode<'d, R::Database> + sqlx::Type<R::Database>,
    for<'d> DateTime<Utc>: sqlx::Decode<'d, R::Database> + sqlx::Type<R::Database>,
{
    let role = required(r, "role")?;
    Ok(CallLeg {
        sid: required(r, "sid")?,
        role: CallRole::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("call role {role}")))?,
        case: text_col(r, "case_id")?
            .map(|c| CaseId::parse(&c).ok_or_else(|| StoreError::Corrupt("call case id".into())))
            .transpose()?,
        person: text_col(r, "person_id")?
            .map(|p| {
                p.parse()
                    .map_err(|_| StoreError::Corrupt("call person id".into()))
            })
            .transpose()?,
        notification: r.try_get("notification_id").map_err(corrupt("call"))?,
        status: required(r, "status")?,
        at: r.try_get("updated_at").map_err(corrupt("call"))?,
    })
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

macro_rules! impl_tx_helpers {
    ($store:ty, $db:ty) => {
        impl $store {
            async fn insert_event(tx: &mut sqlx::Transaction<'static, $db>, case: CaseId, e: &NewEvent) -> Result<i64, StoreError> {
                let row = sqlx::query(
                    "INSERT INTO case_events (case_id, at, author_person, author_role, channel, kind, payload, corrects, external_id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq",
                )
                .bind(case.to_string())
                .bind(e.at)
                .bind(e.author.person.as_ref().map(PersonId::as_str))
                .bind(e.author.role.map(Role::as_str))
                .bind(e.channel.as_str())
                .bind(e.kind.tag())
                .bind(Json(&e.kind))
                .bind(e.corrects)
                .bind(e.external_id.as_deref())
                .fetch_one(&mut **tx)
                .await
                .map_err(|err| match db(err) {
                    StoreError::Conflict(_) if e.external_id.is_some() => StoreError::Duplicate,
                    other => other,
                })?;
                row.try_get::<i64, _>("seq").map_err(corrupt("event seq"))
            }

            async fn insert_access(tx: &mut sqlx::Transaction<'static, $db>, e: &AccessEntry) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO access_log (at, person_id, resident_id, case_id, action, channel, detail) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(e.at)
                .bind(e.person.as_ref().map(PersonId::as_str))
                .bind(e.resident.as_str())
                .bind(e.case.map(|c| c.to_string()))
                .bind(e.action.as_str())
                .bind(e.channel.map(Channel::as_str))
                .bind(e.detail.as_deref())
                .execute(&mut **tx)
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn decisions_with<'e, E: sqlx::Executor<'e, Database = $db>>(exec: E, id: &str) -> Result<Vec<TreatmentDecision>, StoreError> {
                let rows = sqlx::query(
                    "SELECT kind, note, recorded_by, recorded_on FROM resident_decisions \
                     WHERE resident_id = $1 AND superseded_at IS NULL ORDER BY id",
                )
                .bind(id)
                .fetch_all(exec)
                .await
                .map_err(db)?;
                let mut out = Vec::new();
                for r in rows {
                    let kind: String = r.try_get("kind").map_err(corrupt("decision"))?;
                    let note: Option<String> = r.try_get("note").map_err(corrupt("decision"))?;
                    let by: String = r.try_get("recorded_by").map_err(corrupt("decision"))?;
                    out.push(TreatmentDecision {
                        kind: DecisionKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("decision kind {kind}")))?,
                        note: note.and_then(|n| Text::parse("note", &n, 4000).ok()),
                        recorded_by: Text::parse("recorded_by", &by, 200).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                        recorded_on: r.try_get::<NaiveDate, _>("recorded_on").map_err(corrupt("decision"))?,
                    });
                }
                Ok(out)
            }
        }
    };
}

// SQLite serialises writers (BEGIN IMMEDIATE), so a claim needs no row lock;
// PostgreSQL claims with FOR UPDATE SKIP LOCKED so instances never collide.
impl_store!(SqliteStore, "BEGIN IMMEDIATE", "", sqlx::Sqlite);
impl_store!(PgStore, "BEGIN", " FOR UPDATE SKIP LOCKED", sqlx::Postgres);
impl_tx_helpers!(SqliteStore, sqlx::Sqlite);
impl_tx_helpers!(PgStore, sqlx::Postgres);
