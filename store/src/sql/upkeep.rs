//! Health and clean-up across the tables.
//!
//! Compiled once per backend: `sqlite.rs` and `postgres.rs` include this
//! file with their own `Db`, `Backend`, `BEGIN` and `LOCK`.

use super::*;

#[async_trait]
impl UpkeepStore for Backend {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn work_queues(&self) -> Result<WorkQueues, StoreError> {
        let outbox: Vec<(String, i64, DateTime<Utc>)> = sqlx::query_as(
            "SELECT channel, COUNT(*) AS n, MIN(created_at) AS oldest FROM notifications \
             WHERE status = 'pending' GROUP BY channel ORDER BY channel",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let (n, due): (i64, Option<DateTime<Utc>>) = sqlx::query_as(
            "SELECT COUNT(*) AS n, MIN(due_at) AS due FROM escalations WHERE state = 'pending'",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok(WorkQueues {
            outbox: outbox
                .into_iter()
                .map(|(c, n, at)| (c, n.max(0) as u64, at))
                .collect(),
            escalations: (n.max(0) as u64, due),
            transcriptions: self.transcriptions_pending().await?,
        })
    }

    async fn purge_expired(
        &self,
        now: DateTime<Utc>,
        webhook_answers_before: DateTime<Utc>,
    ) -> Result<Purged, StoreError> {
        let mut tx = self.writer().begin_with(BEGIN).await.map_err(db)?;
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
        let throttles = sqlx::query(
            "DELETE FROM login_throttle WHERE updated_at < $1 AND next_allowed_at <= $2",
        )
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
}
