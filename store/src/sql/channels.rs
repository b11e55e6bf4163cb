//! Matrix threads, telephone calls, webhook answers, attachments.
//!
//! Compiled once per backend: `sqlite.rs` and `postgres.rs` include this
//! file with their own `Db`, `Backend`, `BEGIN` and `LOCK`.

use super::*;

#[async_trait]
impl ChannelStore for Backend {
    async fn link_matrix_thread(
        &self,
        room: &str,
        root_event: &str,
        case: CaseId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
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

    async fn case_of_matrix_thread(
        &self,
        room: &str,
        root_event: &str,
    ) -> Result<Option<CaseId>, StoreError> {
        let case: Option<String> = sqlx::query_scalar(
            "SELECT case_id FROM matrix_threads WHERE room_id = $1 AND root_event = $2",
        )
        .bind(room)
        .bind(root_event)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        Ok(case.and_then(|c| CaseId::parse(&c)))
    }

    async fn set_matrix_prompt(
        &self,
        room: &str,
        root_event: &str,
        prompt_event: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE matrix_threads SET prompt_event = $1 WHERE room_id = $2 AND root_event = $3",
        )
        .bind(prompt_event)
        .bind(room)
        .bind(root_event)
        .execute(self.writer())
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn take_matrix_prompt(
        &self,
        room: &str,
        prompt_event: &str,
    ) -> Result<Option<(CaseId, String)>, StoreError> {
        // Atomic: of two taps racing on one question, one wins.
        let row: Option<(String, String)> = sqlx::query_as(
            "UPDATE matrix_threads SET prompt_event = NULL WHERE room_id = $1 AND prompt_event = $2 \
             RETURNING case_id, root_event",
        )
            .bind(room)
            .bind(prompt_event)
            .fetch_optional(self.writer())
            .await
            .map_err(db)?;
        let Some((case, root)) = row else {
            return Ok(None);
        };
        Ok(Some((case_of(&case)?, root)))
    }

    async fn matrix_thread_of_case(
        &self,
        case: CaseId,
    ) -> Result<Option<(String, String)>, StoreError> {
        sqlx::query_as("SELECT room_id, root_event FROM matrix_threads WHERE case_id = $1 ORDER BY created_at LIMIT 1")
            .bind(case.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)
    }

    async fn attach(
        &self,
        case: CaseId,
        a: &NewAttachment,
        event: &NewEvent,
    ) -> Result<(i64, i64), StoreError> {
        let mut tx = self.writer().begin_with(BEGIN).await.map_err(db)?;
        sqlx::query("UPDATE cases SET updated_at = $1 WHERE id = $2 RETURNING id")
            .bind(event.at)
            .bind(case.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?
            .ok_or(StoreError::NotFound("case"))?;
        let id: i64 = sqlx::query_scalar(
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

    async fn webhook_answer(&self, sid: &str, step: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT answer FROM webhook_answers WHERE sid = $1 AND step = $2")
            .bind(sid)
            .bind(step)
            .fetch_optional(self.writer())
            .await
            .map_err(db)
    }

    async fn save_webhook_answer(
        &self,
        sid: &str,
        step: &str,
        answer: &str,
        at: DateTime<Utc>,
    ) -> Result<String, StoreError> {
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
        let row = sqlx::query_as::<_, CallRow>(
            "SELECT sid, role, case_id, person_id, notification_id, status, updated_at FROM calls WHERE sid = $1",
        )
        .bind(sid)
        .fetch_optional(self.writer())
        .await
        .map_err(db)?;
        row.map(CallLeg::try_from).transpose()
    }

    async fn calls_of_case(&self, case: CaseId) -> Result<Vec<CallLeg>, StoreError> {
        let rows = sqlx::query_as::<_, CallRow>(
            "SELECT sid, role, case_id, person_id, notification_id, status, updated_at FROM calls \
             WHERE case_id = $1 ORDER BY updated_at, sid",
        )
        .bind(case.to_string())
        .fetch_all(self.writer())
        .await
        .map_err(db)?;
        rows.into_iter().map(CallLeg::try_from).collect()
    }

    async fn attachment(&self, id: i64) -> Result<Option<Attachment>, StoreError> {
        let row = sqlx::query_as::<_, AttachmentRow>(
            "SELECT id, case_id, mime, data, sha256, created_at FROM attachments WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(Attachment::try_from).transpose()
    }
}
