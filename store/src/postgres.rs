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

impl PgStore {
    /// Moves each claimed escalation to its next step, only if `worker`
    /// still holds it at the claimed step (the fence); whether each moved.
    /// One statement for the whole batch (arrays, `unnest`): a round trip
    /// per step is what kept a burst of due steps waiting.
    async fn fence_steps(
        tx: &mut sqlx::Transaction<'static, Db>,
        worker: &str,
        fired: &[FiredStep],
        now: DateTime<Utc>,
    ) -> Result<Vec<bool>, StoreError> {
        let int = |v: u32| i32::try_from(v).map_err(|e| StoreError::Conflict(e.to_string()));
        let mut cases = Vec::with_capacity(fired.len());
        let (mut steps, mut rounds, mut dues, mut states, mut from_steps, mut from_rounds) = (
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
        );
        for f in fired {
            cases.push(f.claimed.case.to_string());
            steps.push(int(f.next.step)?);
            rounds.push(int(f.next.round)?);
            dues.push(f.next.due_at);
            states.push(f.next.state.as_str().to_string());
            from_steps.push(int(f.claimed.step)?);
            from_rounds.push(int(f.claimed.round)?);
        }
        let moved: Vec<String> = sqlx::query_scalar(
            "UPDATE escalations e SET step = v.step, round = v.round, due_at = v.due_at, state = v.state, \
             claimed_by = NULL, claimed_until = NULL, updated_at = $1 \
             FROM unnest($2::text[], $3::int[], $4::int[], $5::timestamptz[], $6::text[], $7::int[], $8::int[]) \
             AS v(case_id, step, round, due_at, state, from_step, from_round) \
             WHERE e.case_id = v.case_id AND e.claimed_by = $9 AND e.step = v.from_step \
             AND e.round = v.from_round AND e.state = 'pending' RETURNING e.case_id",
        )
        .bind(now)
        .bind(&cases)
        .bind(&steps)
        .bind(&rounds)
        .bind(&dues)
        .bind(&states)
        .bind(&from_steps)
        .bind(&from_rounds)
        .bind(worker)
        .fetch_all(&mut **tx)
        .await
        .map_err(db)?;
        let moved: std::collections::HashSet<String> = moved.into_iter().collect();
        Ok(cases.iter().map(|c| moved.contains(c)).collect())
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
