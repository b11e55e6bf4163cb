//! The transcription queue.
//!
//! Compiled once per backend: `sqlite.rs` and `postgres.rs` include this
//! file with their own `Db`, `Backend`, `BEGIN` and `LOCK`.

use super::*;

#[async_trait]
impl TranscriptionStore for Backend {
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
        let rows: Vec<JobRow> = self.claim_rows(&claim, now, worker, lease, limit).await?;
        let mut out = rows
            .into_iter()
            .map(TranscriptionJob::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        out.sort_by_key(|j| j.attachment);
        Ok(out)
    }

    async fn extend_transcription(
        &self,
        attachment: i64,
        worker: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
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
        let mut tx = self.writer().begin_with(BEGIN).await.map_err(db)?;
        let case: Option<String> = sqlx::query_scalar(
            "UPDATE transcription_jobs SET status = 'done', done_at = $1, claimed_by = NULL, claimed_until = NULL \
             WHERE attachment_id = $2 AND claimed_by = $3 AND status = 'pending' RETURNING case_id",
        )
        .bind(event.at)
        .bind(attachment)
        .bind(worker)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let Some(case) = case else { return Ok(None) };
        let case = case_of(&case)?;
        let seq = Self::insert_event(&mut tx, case, event).await?;
        for n in notifications {
            Self::insert_notification(&mut tx, n).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(Some(seq))
    }

    async fn release_transcription(
        &self,
        attachment: i64,
        worker: &str,
        due: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
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
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) AS n FROM transcription_jobs WHERE status = 'pending'",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok(n.max(0) as u64)
    }
}
