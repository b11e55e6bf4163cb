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

impl SqliteStore {
    /// Moves each claimed escalation to its next step, only if `worker`
    /// still holds it at the claimed step (the fence); whether each moved.
    /// SQLite runs them in-process: a statement each costs no round trip.
    async fn fence_steps(
        tx: &mut sqlx::Transaction<'static, Db>,
        worker: &str,
        fired: &[FiredStep],
        now: DateTime<Utc>,
    ) -> Result<Vec<bool>, StoreError> {
        let mut out = Vec::with_capacity(fired.len());
        for f in fired {
            let (claimed, next) = (&f.claimed, &f.next);
            let moved = sqlx::query(
                "UPDATE escalations SET step = $1, round = $2, due_at = $3, state = $4, claimed_by = NULL, claimed_until = NULL, updated_at = $5 \
                 WHERE case_id = $6 AND claimed_by = $7 AND step = $8 AND round = $9 AND state = 'pending'",
            )
            .bind(i64::from(next.step))
            .bind(i64::from(next.round))
            .bind(next.due_at)
            .bind(next.state.as_str())
            .bind(now)
            .bind(claimed.case.to_string())
            .bind(worker)
            .bind(i64::from(claimed.step))
            .bind(i64::from(claimed.round))
            .execute(&mut **tx)
            .await
            .map_err(db)?;
            out.push(moved.rows_affected() == 1);
        }
        Ok(out)
    }
}

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
#[path = "sql/starts.rs"]
mod starts;
#[path = "sql/transcription.rs"]
mod transcription;
#[path = "sql/upkeep.rs"]
mod upkeep;
