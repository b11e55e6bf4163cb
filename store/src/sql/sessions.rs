//! Credentials and sessions: tokens, passwords, PINs, the log-in throttle, web sessions, calendar feeds.
//!
//! Compiled once per backend: `sqlite.rs` and `postgres.rs` include this
//! file with their own `Db`, `Backend`, `BEGIN` and `LOCK`.

use super::*;

#[async_trait]
impl SessionStore for Backend {
    async fn add_token(
        &self,
        person: &PersonId,
        token_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO api_tokens (token_hash, person_id, created_at) VALUES ($1, $2, $3)",
        )
        .bind(token_hash)
        .bind(person.as_str())
        .bind(at)
        .execute(self.writer())
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn person_by_token(&self, token_hash: &str) -> Result<Option<Person>, StoreError> {
        let id: Option<String> = sqlx::query_scalar(
            "SELECT p.id FROM api_tokens t JOIN persons p ON p.id = t.person_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        match id {
            None => Ok(None),
            Some(id) => self.person(&person_of(&id)?).await,
        }
    }

    async fn revoke_tokens(&self, person: &PersonId, at: DateTime<Utc>) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE person_id = $2 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(person.as_str())
        .execute(self.writer())
        .await
        .map_err(db)?;
        Ok(r.rows_affected())
    }

    async fn set_password_hash(
        &self,
        person: &PersonId,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer().begin_with(BEGIN).await.map_err(db)?;
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
        sqlx::query_scalar("SELECT hash FROM person_passwords WHERE person_id = $1")
            .bind(person.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)
    }

    async fn set_person_pin(
        &self,
        person: &PersonId,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
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

    async fn set_home_pin(
        &self,
        home: &HomeId,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
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

    async fn pin_hash(
        &self,
        person: &PersonId,
        home: Option<&HomeId>,
    ) -> Result<Option<String>, StoreError> {
        let own: Option<String> =
            sqlx::query_scalar("SELECT hash FROM person_pins WHERE person_id = $1")
                .bind(person.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
        if own.is_some() {
            return Ok(own);
        }
        let Some(home) = home else { return Ok(None) };
        sqlx::query_scalar("SELECT hash FROM home_pins WHERE home_id = $1")
            .bind(home.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)
    }

    async fn login_attempt(
        &self,
        keys: &[(String, ThrottleRule)],
        now: DateTime<Utc>,
    ) -> Result<LoginGate, StoreError> {
        // Any key still holding back: refused, nothing counted. Read
        // first without the write lock, so an attack that is being
        // held back costs no writes (the hotline shares the writer).
        for (key, _) in keys {
            let until: Option<DateTime<Utc>> = sqlx::query_scalar(
                "SELECT next_allowed_at FROM login_throttle WHERE key = $1 AND next_allowed_at > $2",
            )
            .bind(key)
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
            if let Some(until) = until {
                return Ok(LoginGate::Wait {
                    until,
                    key: key.clone(),
                });
            }
        }
        let mut tx = self.writer().begin_with(BEGIN).await.map_err(db)?;
        // Again under the lock: another attempt may have set a wait meanwhile.
        for (key, _) in keys {
            let until: Option<DateTime<Utc>> = sqlx::query_scalar(
                "SELECT next_allowed_at FROM login_throttle WHERE key = $1 AND next_allowed_at > $2",
            )
            .bind(key)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
            if let Some(until) = until {
                return Ok(LoginGate::Wait {
                    until,
                    key: key.clone(),
                });
            }
        }
        // Counted before the password is checked; the row lock (or
        // SQLite's single writer) makes parallel guesses count one by one.
        for (key, rule) in keys {
            let window_start = now - chrono::Duration::seconds(rule.window_secs);
            let failures: i32 = sqlx::query_scalar(
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

    async fn login_succeeded(
        &self,
        person: &PersonId,
        source: &str,
        reset: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer().begin_with(BEGIN).await.map_err(db)?;
        for key in reset {
            sqlx::query("DELETE FROM login_throttle WHERE key = $1")
                .bind(key)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
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

    async fn known_login_source(
        &self,
        person: &PersonId,
        source: &str,
        since: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
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

    async fn session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(Person, String)>, StoreError> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT person_id, csrf FROM web_sessions WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        let Some((person, csrf)) = row else {
            return Ok(None);
        };
        Ok(self.person(&person_of(&person)?).await?.map(|p| (p, csrf)))
    }

    async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM web_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(self.writer())
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn add_calendar_feed(
        &self,
        token_hash: &str,
        feed: &CalendarFeed,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
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
        let row = sqlx::query_as::<_, FeedRow>("SELECT person_id, service_id FROM calendar_feeds WHERE token_hash = $1 AND revoked_at IS NULL")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(CalendarFeed::try_from).transpose()
    }

    async fn revoke_calendar_feeds(
        &self,
        feed: &CalendarFeed,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let (col, id) = match feed {
            CalendarFeed::Person(p) => ("person_id", p.as_str()),
            CalendarFeed::Service(s) => ("service_id", s.as_str()),
        };
        let sql = format!(
            "UPDATE calendar_feeds SET revoked_at = $1 WHERE {col} = $2 AND revoked_at IS NULL"
        );
        let r = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(at)
            .bind(id)
            .execute(self.writer())
            .await
            .map_err(db)?;
        Ok(r.rows_affected())
    }
}
