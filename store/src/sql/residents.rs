//! Residents and their treatment decisions.
//!
//! Compiled once per backend: `sqlite.rs` and `postgres.rs` include this
//! file with their own `Db`, `Backend`, `BEGIN` and `LOCK`.

use super::*;

impl Backend {
    pub(super) async fn residents_where(
        &self,
        clause: &str,
        arg: &str,
    ) -> Result<Vec<Resident>, StoreError> {
        let sql = format!(
            "SELECT id, home_id, room, name, born, baseline_cognition, spo2_scale2, details \
             FROM residents WHERE {clause} ORDER BY home_id, room"
        );
        let rows = sqlx::query_as::<_, ResidentRow>(sqlx::AssertSqlSafe(sql))
            .bind(arg)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let decisions = Self::decisions_with(&self.pool, &r.id).await?;
            out.push(r.with(decisions)?);
        }
        Ok(out)
    }

    pub(super) async fn decisions_with<'e, E: sqlx::Executor<'e, Database = Db>>(
        exec: E,
        id: &str,
    ) -> Result<Vec<TreatmentDecision>, StoreError> {
        let rows = sqlx::query_as::<_, DecisionRow>(
            "SELECT kind, note, recorded_by, recorded_on FROM resident_decisions \
             WHERE resident_id = $1 AND superseded_at IS NULL ORDER BY id",
        )
        .bind(id)
        .fetch_all(exec)
        .await
        .map_err(db)?;
        rows.into_iter().map(TreatmentDecision::try_from).collect()
    }
}

#[async_trait]
impl ResidentStore for Backend {
    async fn import_residents(
        &self,
        residents: &[Resident],
        at: DateTime<Utc>,
    ) -> Result<ImportSummary, StoreError> {
        let mut tx = self.writer().begin_with(BEGIN).await.map_err(db)?;
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
            let details = Details {
                diagnoses: r.diagnoses.clone(),
                allergies: r.allergies.clone(),
                contact: r.contact.clone(),
            };
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
        Ok(self
            .residents_where("id = $1", id.as_str())
            .await?
            .into_iter()
            .next())
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
        self.residents_where("name_search LIKE $1 ESCAPE '\\'", &like_pattern(&needle))
            .await
    }
}
