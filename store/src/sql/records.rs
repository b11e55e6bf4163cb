//! The case record and the access log.
//!
//! Compiled once per backend: `sqlite.rs` and `postgres.rs` include this
//! file with their own `Db`, `Backend`, `BEGIN` and `LOCK`.

use super::*;

impl Backend {
    pub(super) async fn cases_where(
        &self,
        clause: &str,
        arg: Option<&str>,
        limit: i64,
    ) -> Result<Vec<CaseSummary>, StoreError> {
        let sql = format!(
            "SELECT id, home_id, opened_at, opened_by, channel, resident_id, urgency, status \
             FROM cases WHERE {clause} ORDER BY opened_at DESC, id LIMIT $2"
        );
        let rows = sqlx::query_as::<_, CaseRow>(sqlx::AssertSqlSafe(sql))
            .bind(arg)
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.into_iter().map(CaseSummary::try_from).collect()
    }

    pub(super) async fn insert_event(
        tx: &mut sqlx::Transaction<'static, Db>,
        case: CaseId,
        e: &NewEvent,
    ) -> Result<i64, StoreError> {
        sqlx::query_scalar(
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
        })
        .inspect(|_| crate::observe::event_stored(e))
    }

    pub(super) async fn insert_access(
        tx: &mut sqlx::Transaction<'static, Db>,
        e: &AccessEntry,
    ) -> Result<(), StoreError> {
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
}

#[async_trait]
impl RecordStore for Backend {
    async fn log_access(&self, e: &AccessEntry) -> Result<(), StoreError> {
        let mut tx = self.writer().begin_with(BEGIN).await.map_err(db)?;
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
        let rows = sqlx::query_as::<_, AccessRow>(
            "SELECT at, person_id, resident_id, case_id, action, channel, detail FROM access_log \
             WHERE resident_id = $1 AND ($2 IS NULL OR at >= $2) AND ($3 IS NULL OR at <= $3) ORDER BY id",
        )
        .bind(resident.as_str())
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter().map(AccessEntry::try_from).collect()
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

    async fn access_log(
        &self,
        resident: Option<&ResidentId>,
        limit: u32,
    ) -> Result<Vec<AccessEntry>, StoreError> {
        let rows = sqlx::query_as::<_, AccessRow>(
            "SELECT at, person_id, resident_id, case_id, action, channel, detail FROM access_log \
             WHERE ($1 IS NULL OR resident_id = $1) ORDER BY id DESC LIMIT $2",
        )
        .bind(resident.map(ResidentId::as_str))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter().map(AccessEntry::try_from).collect()
    }

    async fn create_case(
        &self,
        case: &NewCase,
        events: &[NewEvent],
        state: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer().begin_with(BEGIN).await.map_err(db)?;
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
        crate::observe::case_opened(case.channel);
        Ok(())
    }

    async fn commit_step(
        &self,
        case: CaseId,
        version: i64,
        events: &[NewEvent],
        state: &serde_json::Value,
    ) -> Result<Vec<i64>, StoreError> {
        let mut tx = self.writer().begin_with(BEGIN).await.map_err(db)?;
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
        let prev: String = sqlx::query_scalar("SELECT status FROM cases WHERE id = $1")
            .bind(case.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let prev = status(&prev)?;
        let mut seqs = Vec::with_capacity(events.len());
        for e in events {
            seqs.push(Self::insert_event(&mut tx, case, e).await?);
        }
        let resident = events.iter().rev().find_map(|e| match &e.kind {
            EventKind::ResidentIdentified { resident } => Some(resident.as_str().to_string()),
            _ => None,
        });
        let urgency = events.iter().rev().find_map(|e| match &e.kind {
            EventKind::UrgencyAssessed { urgency, .. } | EventKind::PageRequested { urgency } => {
                Some(urgency.as_str())
            }
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
        Self::follow_up_events(&mut tx, case, events).await?;
        tx.commit().await.map_err(db)?;
        Ok(seqs)
    }

    async fn video_room(&self, case: CaseId) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar(
            "SELECT room FROM video_links WHERE case_id = $1 ORDER BY created_at LIMIT 1",
        )
        .bind(case.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)
    }

    async fn add_video_link(
        &self,
        token: &str,
        case: CaseId,
        person: Option<&PersonId>,
        room: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO video_links (token, case_id, person_id, room, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token)
        .bind(case.to_string())
        .bind(person.map(|p| p.to_string()))
        .bind(room)
        .bind(at)
        .execute(self.writer())
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn video_link(
        &self,
        token: &str,
    ) -> Result<Option<(CaseId, Option<PersonId>, String)>, StoreError> {
        let row: Option<(String, Option<String>, String)> =
            sqlx::query_as("SELECT case_id, person_id, room FROM video_links WHERE token = $1")
                .bind(token)
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
        row.map(|(c, p, room)| {
            let case = CaseId::parse(&c)
                .ok_or_else(|| StoreError::Corrupt(format!("video link case {c}")))?;
            Ok((case, p.and_then(|p| PersonId::parse(&p).ok()), room))
        })
        .transpose()
    }

    async fn append_event(&self, case: CaseId, event: &NewEvent) -> Result<i64, StoreError> {
        let mut tx = self.writer().begin_with(BEGIN).await.map_err(db)?;
        let prev: String =
            sqlx::query_scalar("UPDATE cases SET updated_at = $1 WHERE id = $2 RETURNING status")
                .bind(event.at)
                .bind(case.to_string())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?
                .ok_or(StoreError::NotFound("case"))?;
        let prev = status(&prev)?;
        let seq = Self::insert_event(&mut tx, case, event).await?;
        sqlx::query("UPDATE cases SET status = $1 WHERE id = $2")
            .bind(prev.apply(&event.kind).as_str())
            .bind(case.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        Self::start_escalations(&mut tx, case, std::slice::from_ref(event)).await?;
        Self::follow_up_events(&mut tx, case, std::slice::from_ref(event)).await?;
        tx.commit().await.map_err(db)?;
        Ok(seq)
    }

    async fn case_state(
        &self,
        case: CaseId,
    ) -> Result<Option<(serde_json::Value, i64)>, StoreError> {
        let row: Option<(Json<serde_json::Value>, i64)> =
            sqlx::query_as("SELECT state, version FROM cases WHERE id = $1")
                .bind(case.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
        Ok(row.map(|(Json(state), version)| (state, version)))
    }

    async fn case(&self, case: CaseId) -> Result<Option<CaseSummary>, StoreError> {
        Ok(self
            .cases_where("id = $1", Some(&case.to_string()), 1)
            .await?
            .into_iter()
            .next())
    }

    async fn cases(
        &self,
        home: Option<&HomeId>,
        limit: u32,
    ) -> Result<Vec<CaseSummary>, StoreError> {
        self.cases_where(
            "($1 IS NULL OR home_id = $1)",
            home.map(HomeId::as_str),
            i64::from(limit),
        )
        .await
    }

    async fn cases_with_events(
        &self,
        home: Option<&HomeId>,
        since: DateTime<Utc>,
    ) -> Result<Vec<(CaseSummary, Vec<CaseEvent>)>, StoreError> {
        let rows = sqlx::query_as::<_, CaseEventsRow>(
            "SELECT c.id, c.home_id, c.opened_at, c.opened_by, c.channel, c.resident_id, \
             c.urgency, c.status, e.seq, e.at, e.author_person, e.author_role, \
             e.channel AS event_channel, e.payload, e.corrects, e.external_id \
             FROM cases c LEFT JOIN case_events e ON e.case_id = c.id \
             WHERE ($1 IS NULL OR c.home_id = $1) AND c.opened_at >= $2 \
             ORDER BY c.opened_at DESC, c.id, e.seq",
        )
        .bind(home.map(HomeId::as_str))
        .bind(since)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        CaseEventsRow::group(rows)
    }

    async fn events(&self, case: CaseId) -> Result<Vec<CaseEvent>, StoreError> {
        let rows = sqlx::query_as::<_, EventRow>(
            "SELECT seq, at, author_person, author_role, channel, payload, corrects, external_id \
             FROM case_events WHERE case_id = $1 ORDER BY seq",
        )
        .bind(case.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter().map(|r| r.of(case)).collect()
    }
}
