//! Escalations and the outbox, claimed by the running instances.
//!
//! Compiled once per backend: `sqlite.rs` and `postgres.rs` include this
//! file with their own `Db`, `Backend`, `BEGIN` and `LOCK`.

use super::*;

impl Backend {
    pub(super) async fn insert_notification(
        tx: &mut sqlx::Transaction<'static, Db>,
        n: &NewNotification,
    ) -> Result<i64, StoreError> {
        let fallback: Vec<&str> = n.fallback.iter().map(|c| c.as_str()).collect();
        sqlx::query_scalar(
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
        .map_err(db)
    }

    /// What fired steps (or follow-ups) store after their fenced moves:
    /// their notifications and events, in the caller's transaction, a few
    /// hundred rows to a statement (a burst of due steps must not cost a
    /// round trip per row).
    async fn insert_fired(
        tx: &mut sqlx::Transaction<'static, Db>,
        fired: &[(CaseId, &[NewNotification], &[NewEvent])],
    ) -> Result<(), StoreError> {
        let notifications: Vec<&NewNotification> =
            fired.iter().flat_map(|(_, n, _)| n.iter()).collect();
        let created = Utc::now();
        for chunk in notifications.chunks(300) {
            let mut q = sqlx::QueryBuilder::<Db>::new(
                "INSERT INTO notifications (case_id, person_id, kind, channel, fallback, body, status, attempts, next_attempt_at, created_at) ",
            );
            q.push_values(chunk, |mut row, n| {
                let fallback: Vec<&'static str> = n.fallback.iter().map(|c| c.as_str()).collect();
                row.push_bind(n.case.map(|c| c.to_string()))
                    .push_bind(n.person.as_str().to_string())
                    .push_bind(n.kind.as_str())
                    .push_bind(n.channel.as_str())
                    .push_bind(Json(fallback))
                    .push_bind(n.text.clone())
                    .push_bind("pending")
                    .push_bind(0_i32)
                    .push_bind(n.not_before)
                    .push_bind(created);
            });
            q.build().execute(&mut **tx).await.map_err(db)?;
        }
        let events: Vec<(CaseId, &NewEvent)> = fired
            .iter()
            .flat_map(|(case, _, e)| e.iter().map(move |e| (*case, e)))
            .collect();
        for chunk in events.chunks(300) {
            let mut q = sqlx::QueryBuilder::<Db>::new(
                "INSERT INTO case_events (case_id, at, author_person, author_role, channel, kind, payload, corrects, external_id) ",
            );
            q.push_values(chunk, |mut row, (case, e)| {
                row.push_bind(case.to_string())
                    .push_bind(e.at)
                    .push_bind(e.author.person.as_ref().map(|p| p.as_str().to_string()))
                    .push_bind(e.author.role.map(Role::as_str))
                    .push_bind(e.channel.as_str())
                    .push_bind(e.kind.tag())
                    .push_bind(Json(e.kind.clone()))
                    .push_bind(e.corrects)
                    .push_bind(e.external_id.clone());
            });
            q.build().execute(&mut **tx).await.map_err(db)?;
        }
        for (_, e) in &events {
            crate::observe::event_stored(e);
        }
        Ok(())
    }

    /// Stores what the moved ones of a fired batch (`moved`, in order)
    /// send and record, and commits.
    async fn commit_fired<'a>(
        mut tx: sqlx::Transaction<'static, Db>,
        moved: &[bool],
        fired: impl Iterator<Item = (CaseId, &'a [NewNotification], &'a [NewEvent])>,
    ) -> Result<(), StoreError> {
        let rows: Vec<_> = fired
            .zip(moved)
            .filter(|(_, m)| **m)
            .map(|(r, _)| r)
            .collect();
        Self::insert_fired(&mut tx, &rows).await?;
        tx.commit().await.map_err(db)
    }

    /// Claims due rows of a work table for `lease`: one statement, so two
    /// workers never get the same row (SKIP LOCKED on PostgreSQL; SQLite
    /// serialises writers).
    pub(super) async fn claim_rows<T>(
        &self,
        c: &Claim,
        now: DateTime<Utc>,
        worker: &str,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<T>, StoreError>
    where
        T: for<'r> sqlx::FromRow<'r, <Db as sqlx::Database>::Row> + Send + Unpin,
    {
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
            lock = LOCK
        );
        let mut tx = self.writer().begin_with(BEGIN).await.map_err(db)?;
        let rows = sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(sql))
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

    /// When the case's latest page was requested.
    async fn page_requested_at(
        tx: &mut sqlx::Transaction<'static, Db>,
        case: CaseId,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        sqlx::query_scalar(
            "SELECT MAX(at) AS at FROM case_events WHERE case_id = $1 AND kind = 'page_requested'",
        )
        .bind(case.to_string())
        .fetch_one(&mut **tx)
        .await
        .map_err(db)
    }
}

#[async_trait]
impl EscalationStore for Backend {
    async fn escalation(&self, case: CaseId) -> Result<Option<Escalation>, StoreError> {
        let row = sqlx::query_as::<_, EscalationRow>(
            "SELECT case_id, urgency, step, round, due_at, state FROM escalations WHERE case_id = $1",
        )
        .bind(case.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(Escalation::try_from).transpose()
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
        let rows: Vec<EscalationRow> = self.claim_rows(&claim, now, worker, lease, limit).await?;
        let mut out = rows
            .into_iter()
            .map(Escalation::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        out.sort_by_key(|e| e.due_at);
        Ok(out)
    }

    async fn next_escalation_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        sqlx::query_scalar("SELECT MIN(due_at) AS due FROM escalations WHERE state = 'pending'")
            .fetch_one(&self.pool)
            .await
            .map_err(db)
    }

    async fn fire_escalations(
        &self,
        worker: &str,
        fired: &[FiredStep],
    ) -> Result<Vec<bool>, StoreError> {
        let mut tx = self.writer().begin_with(BEGIN).await.map_err(db)?;
        let out = Self::fence_steps(&mut tx, worker, fired, Utc::now()).await?;
        let rows = fired
            .iter()
            .map(|f| (f.claimed.case, &f.notifications[..], &f.events[..]));
        Self::commit_fired(tx, &out, rows).await?;
        Ok(out)
    }

    async fn respond_to_page(
        &self,
        case: CaseId,
        event: &NewEvent,
        decline: bool,
    ) -> Result<bool, StoreError> {
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
        let changed = sqlx::query(sql)
            .bind(event.at)
            .bind(case.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let requested = if !decline && changed.rows_affected() > 0 {
            Self::page_requested_at(&mut tx, case).await?
        } else {
            None
        };
        tx.commit().await.map_err(db)?;
        if let Some(at) = requested {
            crate::observe::page_acknowledged(at, event.at);
        }
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
            columns: NOTIFICATION_COLUMNS,
            also_set: "",
        };
        let rows: Vec<NotificationRow> = self.claim_rows(&claim, now, worker, lease, limit).await?;
        let mut out = rows
            .into_iter()
            .map(Notification::try_from)
            .collect::<Result<Vec<_>, _>>()?;
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
            columns: NOTIFICATION_COLUMNS,
            also_set: "",
        };
        let rows: Vec<NotificationRow> = self.claim_rows(&claim, now, worker, lease, limit).await?;
        let mut out = rows
            .into_iter()
            .map(Notification::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        out.sort_by_key(|n| n.id);
        Ok(out)
    }

    async fn next_notification_due_on(
        &self,
        channel: NotifyChannel,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        sqlx::query_scalar("SELECT MIN(next_attempt_at) AS due FROM notifications WHERE status = 'pending' AND channel = $1")
            .bind(channel.as_str())
            .fetch_one(&self.pool)
            .await
            .map_err(db)
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
        let rows = sqlx::query_as::<_, WorkerRow>(
            "SELECT id, host, pid, started_at FROM workers WHERE host = $1 ORDER BY id",
        )
        .bind(host)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter().map(Worker::try_from).collect()
    }

    async fn release_dead_workers(
        &self,
        stale_before: DateTime<Utc>,
        dead: &[String],
    ) -> Result<u64, StoreError> {
        let mut tx = self.writer().begin_with(BEGIN).await.map_err(db)?;
        let mut gone: Vec<String> =
            sqlx::query_scalar("SELECT id FROM workers WHERE heartbeat_at < $1")
                .bind(stale_before)
                .fetch_all(&mut *tx)
                .await
                .map_err(db)?;
        gone.extend(dead.iter().cloned());
        let mut released = 0;
        for w in &gone {
            for table in [
                "escalations",
                "notifications",
                "transcription_jobs",
                "follow_ups",
            ] {
                let sql = format!("UPDATE {table} SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = $1");
                let r = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(w)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                released += r.rows_affected();
            }
            sqlx::query("DELETE FROM workers WHERE id = $1")
                .bind(w)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(released)
    }

    async fn claim_due_follow_ups(
        &self,
        now: DateTime<Utc>,
        worker: &str,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<FollowUp>, StoreError> {
        let claim = Claim {
            table: "follow_ups",
            key: "id",
            due: "due_at",
            pending: "state = 'pending'",
            columns: FOLLOW_UP_COLUMNS,
            also_set: "",
        };
        let rows: Vec<FollowUpRow> = self.claim_rows(&claim, now, worker, lease, limit).await?;
        let mut out = rows
            .into_iter()
            .map(FollowUp::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        out.sort_by_key(|f| f.due_at);
        Ok(out)
    }

    async fn next_follow_up_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        sqlx::query_scalar("SELECT MIN(due_at) AS due FROM follow_ups WHERE state = 'pending'")
            .fetch_one(&self.pool)
            .await
            .map_err(db)
    }

    async fn fire_follow_ups(
        &self,
        worker: &str,
        fired: &[FiredFollowUp],
    ) -> Result<Vec<bool>, StoreError> {
        let mut tx = self.writer().begin_with(BEGIN).await.map_err(db)?;
        let mut out = Vec::with_capacity(fired.len());
        let now = Utc::now();
        for f in fired {
            let claimed = &f.claimed;
            let (stage, due, state) = match f.next {
                Some((s, d)) => (s, d, "pending"),
                None => (claimed.stage, claimed.due_at, "done"),
            };
            let moved = sqlx::query(
                "UPDATE follow_ups SET stage = $1, due_at = $2, state = $3, claimed_by = NULL, claimed_until = NULL, updated_at = $4 \
                 WHERE case_id = $5 AND kind = $6 AND claimed_by = $7 AND stage = $8 AND state = 'pending'",
            )
            .bind(i32::try_from(stage).map_err(|e| StoreError::Conflict(e.to_string()))?)
            .bind(due)
            .bind(state)
            .bind(now)
            .bind(claimed.case.to_string())
            .bind(claimed.kind.as_str())
            .bind(worker)
            .bind(i32::try_from(claimed.stage).map_err(|e| StoreError::Conflict(e.to_string()))?)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            out.push(moved.rows_affected() == 1);
        }
        let rows = fired
            .iter()
            .map(|f| (f.claimed.case, &f.notifications[..], &f.events[..]));
        Self::commit_fired(tx, &out, rows).await?;
        Ok(out)
    }

    async fn pending_follow_ups(
        &self,
        kind: akutlinje_core::followup::FollowUpKind,
        home: &HomeId,
        since: DateTime<Utc>,
    ) -> Result<Vec<CaseId>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT f.case_id FROM follow_ups f JOIN cases c ON c.id = f.case_id \
             WHERE f.kind = $1 AND f.state = 'pending' AND f.stage < $2 \
             AND c.home_id = $3 AND c.opened_at >= $4 ORDER BY f.due_at LIMIT 20",
        )
        .bind(kind.as_str())
        .bind(akutlinje_core::followup::STAGE_REPORT as i32)
        .bind(home.as_str())
        .bind(since)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        ids.into_iter()
            .map(|c| {
                CaseId::parse(&c).ok_or_else(|| StoreError::Corrupt(format!("follow-up case {c}")))
            })
            .collect()
    }

    async fn follow_ups(&self, case: CaseId) -> Result<Vec<FollowUp>, StoreError> {
        let sql =
            format!("SELECT {FOLLOW_UP_COLUMNS} FROM follow_ups WHERE case_id = $1 ORDER BY id");
        let rows = sqlx::query_as::<_, FollowUpRow>(sqlx::AssertSqlSafe(sql))
            .bind(case.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.into_iter().map(FollowUp::try_from).collect()
    }

    async fn next_notification_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        sqlx::query_scalar(
            "SELECT MIN(next_attempt_at) AS due FROM notifications WHERE status = 'pending'",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db)
    }

    async fn hold_lease(
        &self,
        role: &str,
        holder: &str,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
    ) -> Result<bool, StoreError> {
        // One statement: two instances racing for a run-out lease cannot
        // both get it (PostgreSQL's upsert locks the row; SQLite serialises
        // writers).
        let held: Option<String> = sqlx::query_scalar(
            "INSERT INTO leases (role, holder, acquired_at, expires_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (role) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at, \
             acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END \
             WHERE leases.holder = excluded.holder OR leases.expires_at < excluded.acquired_at \
             RETURNING holder",
        )
        .bind(role)
        .bind(holder)
        .bind(now)
        .bind(now + ttl)
        .fetch_optional(self.writer())
        .await
        .map_err(db)?;
        Ok(held.is_some())
    }

    async fn release_lease(&self, role: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM leases WHERE role = $1 AND holder = $2")
            .bind(role)
            .bind(holder)
            .execute(self.writer())
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn lease_holder(
        &self,
        role: &str,
    ) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
        sqlx::query_as("SELECT holder, expires_at FROM leases WHERE role = $1")
            .bind(role)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)
    }

    async fn notification_sent(
        &self,
        id: i64,
        worker: &str,
        external_id: Option<&str>,
        event: Option<&NewEvent>,
        access: Option<&AccessEntry>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer().begin_with(BEGIN).await.map_err(db)?;
        let sent_at = Utc::now();
        let row: Option<(Option<String>, String)> = sqlx::query_as(
            "UPDATE notifications SET status = 'sent', sent_at = $1, external_id = $2, attempts = attempts + 1, \
             claimed_by = NULL, claimed_until = NULL WHERE id = $3 AND claimed_by = $4 AND status = 'pending' RETURNING case_id, kind",
        )
        .bind(sent_at)
        .bind(external_id)
        .bind(id)
        .bind(worker)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let Some((case, kind)) = row else {
            return Ok(false);
        };
        let case = case.and_then(|c| CaseId::parse(&c));
        if let (Some(case), Some(e)) = (case, event) {
            Self::insert_event(&mut tx, case, e).await?;
        }
        if let Some(a) = access {
            Self::insert_access(&mut tx, a).await?;
        }
        // The first page delivered since the case's latest page request:
        // how long the nurse's request took to reach a physician.
        let first_page = match case {
            Some(case) if kind == "page" => match Self::page_requested_at(&mut tx, case).await? {
                Some(requested) => {
                    let n: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) AS n FROM notifications WHERE case_id = $1 AND kind = 'page' \
                         AND status = 'sent' AND sent_at >= $2",
                    )
                    .bind(case.to_string())
                    .bind(requested)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db)?;
                    (n == 1).then_some(requested)
                }
                None => None,
            },
            _ => None,
        };
        tx.commit().await.map_err(db)?;
        if let Some(requested) = first_page {
            crate::observe::first_page_sent(requested, sent_at);
        }
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
        let mut tx = self.writer().begin_with(BEGIN).await.map_err(db)?;
        let row: Option<Option<String>> = sqlx::query_scalar(
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
        let Some(case) = row else { return Ok(false) };
        if retry_at.is_none() {
            if let Some(n) = fallover {
                Self::insert_notification(&mut tx, n).await?;
            }
        }
        if let (Some(case), Some(e)) = (case.and_then(|c| CaseId::parse(&c)), event) {
            Self::insert_event(&mut tx, case, e).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn notifications(&self, case: CaseId) -> Result<Vec<Notification>, StoreError> {
        let sql = format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE case_id = $1 ORDER BY id"
        );
        let rows = sqlx::query_as::<_, NotificationRow>(sqlx::AssertSqlSafe(sql))
            .bind(case.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.into_iter().map(Notification::try_from).collect()
    }

    async fn enqueue_once(
        &self,
        key: &str,
        notifications: &[NewNotification],
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer().begin_with(BEGIN).await.map_err(db)?;
        let r = sqlx::query(
            "INSERT INTO jobs_done (key, done_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
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

    async fn latest_page_to(&self, person: &PersonId) -> Result<Option<CaseId>, StoreError> {
        let case: Option<String> = sqlx::query_scalar(
            "SELECT case_id FROM notifications WHERE person_id = $1 AND kind = 'page' AND case_id IS NOT NULL ORDER BY id DESC LIMIT 1",
        )
        .bind(person.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        Ok(case.and_then(|c| CaseId::parse(&c)))
    }

    async fn page_by_external_id(
        &self,
        external_id: &str,
    ) -> Result<Option<(CaseId, PersonId)>, StoreError> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT case_id, person_id FROM notifications \
             WHERE external_id = $1 AND kind = 'page' AND case_id IS NOT NULL ORDER BY id DESC LIMIT 1",
        )
        .bind(external_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        let Some((case, person)) = row else {
            return Ok(None);
        };
        Ok(Some((case_of(&case)?, person_of(&person)?)))
    }

    async fn pages_to(&self, person: &PersonId, limit: u32) -> Result<Vec<CaseId>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT case_id, MAX(id) AS last FROM notifications \
             WHERE person_id = $1 AND kind = 'page' AND case_id IS NOT NULL \
             GROUP BY case_id ORDER BY last DESC LIMIT $2",
        )
        .bind(person.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(|(case, _)| case_of(case)).collect()
    }
}
