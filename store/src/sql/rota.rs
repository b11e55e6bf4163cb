//! Services, rotations, overrides and swaps.
//!
//! Compiled once per backend: `sqlite.rs` and `postgres.rs` include this
//! file with their own `Db`, `Backend`, `BEGIN` and `LOCK`.

use super::*;

#[async_trait]
impl RotaStore for Backend {
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
        let rows =
            sqlx::query_as::<_, ServiceRow>("SELECT id, name, tiers FROM services ORDER BY id")
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
        rows.into_iter().map(Service::try_from).collect()
    }

    async fn service(&self, id: &ServiceId) -> Result<Option<Service>, StoreError> {
        let row =
            sqlx::query_as::<_, ServiceRow>("SELECT id, name, tiers FROM services WHERE id = $1")
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
        row.map(Service::try_from).transpose()
    }

    async fn upsert_rotation(&self, r: &RotationSpec) -> Result<(), StoreError> {
        let mut tx = self.writer().begin_with(BEGIN).await.map_err(db)?;
        let service = sqlx::query("SELECT 1 FROM services WHERE id = $1")
            .bind(r.service.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        if service.is_none() {
            return Err(StoreError::Conflict(format!(
                "service {} is unknown",
                r.service
            )));
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
            let known = sqlx::query("SELECT 1 FROM persons WHERE id = $1")
                .bind(m.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
            if known.is_none() {
                return Err(StoreError::Conflict(format!("person {m} is unknown")));
            }
        }
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn delete_rotation(&self, id: &RotationId) -> Result<bool, StoreError> {
        let mut tx = self.writer().begin_with(BEGIN).await.map_err(db)?;
        sqlx::query("DELETE FROM rota_swaps WHERE rotation_id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let r = sqlx::query("DELETE FROM rotations WHERE id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(r.rows_affected() > 0)
    }

    async fn add_override(&self, o: &OverrideSpec) -> Result<i64, StoreError> {
        sqlx::query_scalar(
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
        .map_err(db)
    }

    async fn delete_override(&self, id: i64) -> Result<bool, StoreError> {
        let r = sqlx::query("DELETE FROM rota_overrides WHERE id = $1")
            .bind(id)
            .execute(self.writer())
            .await
            .map_err(db)?;
        Ok(r.rows_affected() > 0)
    }

    async fn add_swap(&self, w: &SwapSpec) -> Result<i64, StoreError> {
        sqlx::query_scalar(
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
        .map_err(db)
    }

    async fn delete_swap(&self, id: i64) -> Result<bool, StoreError> {
        let r = sqlx::query("DELETE FROM rota_swaps WHERE id = $1")
            .bind(id)
            .execute(self.writer())
            .await
            .map_err(db)?;
        Ok(r.rows_affected() > 0)
    }

    async fn rota(&self, service: &ServiceId) -> Result<RotaSpec, StoreError> {
        let rotations = sqlx::query_as::<_, RotationRow>(
            "SELECT id, service_id, tier, layer, members, shift_start, shift_minutes, anchor, until \
             FROM rotations WHERE service_id = $1 ORDER BY layer, id",
        )
        .bind(service.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let overrides = sqlx::query_as::<_, OverrideRow>(
            "SELECT id, service_id, tier, person_id, replaces, from_at, to_at FROM rota_overrides \
             WHERE service_id = $1 ORDER BY id",
        )
        .bind(service.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let swaps = sqlx::query_as::<_, SwapRow>(
            "SELECT w.id, w.rotation_id, w.person_a, w.shift_a, w.person_b, w.shift_b FROM rota_swaps w \
             JOIN rotations r ON r.id = w.rotation_id WHERE r.service_id = $1 ORDER BY w.id",
        )
        .bind(service.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        Ok(RotaSpec {
            rotations: rotations
                .into_iter()
                .map(RotationSpec::try_from)
                .collect::<Result<_, _>>()?,
            overrides: overrides
                .into_iter()
                .map(OverrideSpec::try_from)
                .collect::<Result<_, _>>()?,
            swaps: swaps
                .into_iter()
                .map(SwapSpec::try_from)
                .collect::<Result<_, _>>()?,
        })
    }
}
