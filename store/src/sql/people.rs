//! Homes, their bound rooms, and people.
//!
//! Compiled once per backend: `sqlite.rs` and `postgres.rs` include this
//! file with their own `Db`, `Backend`, `BEGIN` and `LOCK`.

use super::*;

#[async_trait]
impl PeopleStore for Backend {
    async fn upsert_home(&self, home: &Home) -> Result<(), StoreError> {
        let now = Utc::now();
        sqlx::query(
            "INSERT INTO homes (id, name, created_at, updated_at) VALUES ($1, $2, $3, $3) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at",
        )
        .bind(home.id.as_str())
        .bind(&home.name)
        .bind(now)
        .execute(self.writer())
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn home(&self, id: &HomeId) -> Result<Option<Home>, StoreError> {
        let row = sqlx::query_as::<_, HomeRow>("SELECT id, name FROM homes WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(Home::try_from).transpose()
    }

    async fn homes(&self) -> Result<Vec<Home>, StoreError> {
        let rows = sqlx::query_as::<_, HomeRow>("SELECT id, name FROM homes ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.into_iter().map(Home::try_from).collect()
    }

    async fn alternatives(
        &self,
        home: &HomeId,
    ) -> Result<Vec<akutlinje_core::alternatives::Alternative>, StoreError> {
        let rows = sqlx::query_as::<_, AlternativeRow>(
            "SELECT kind, name, phone, hours, services FROM municipal_alternatives WHERE home_id = $1 ORDER BY position",
        )
        .bind(home.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter().map(TryFrom::try_from).collect()
    }

    async fn replace_alternatives(
        &self,
        home: &HomeId,
        alternatives: &[akutlinje_core::alternatives::Alternative],
    ) -> Result<(), StoreError> {
        if self.home(home).await?.is_none() {
            return Err(StoreError::UnknownHome(home.clone()));
        }
        let mut tx = self.writer().begin_with(BEGIN).await.map_err(db)?;
        sqlx::query("DELETE FROM municipal_alternatives WHERE home_id = $1")
            .bind(home.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        for (i, a) in alternatives.iter().enumerate() {
            sqlx::query(
                "INSERT INTO municipal_alternatives (home_id, position, kind, name, phone, hours, services, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(home.as_str())
            .bind(i as i32)
            .bind(a.kind.as_str())
            .bind(a.name.as_str())
            .bind(a.phone.e164())
            .bind(a.hours.as_str())
            .bind(a.services.as_str())
            .bind(Utc::now())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn bind_room(&self, r: &HomeRoom) -> Result<(), StoreError> {
        if self.home(&r.home).await?.is_none() {
            return Err(StoreError::UnknownHome(r.home.clone()));
        }
        sqlx::query(
            "INSERT INTO home_rooms (room_id, home_id, bound_by, bound_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (room_id) DO UPDATE SET home_id = excluded.home_id, bound_by = excluded.bound_by, bound_at = excluded.bound_at",
        )
        .bind(r.room.as_str())
        .bind(r.home.as_str())
        .bind(r.bound_by.as_ref().map(PersonId::as_str))
        .bind(r.bound_at)
        .execute(self.writer())
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn unbind_room(&self, room: &MatrixRoomId) -> Result<bool, StoreError> {
        let r = sqlx::query("DELETE FROM home_rooms WHERE room_id = $1")
            .bind(room.as_str())
            .execute(self.writer())
            .await
            .map_err(db)?;
        Ok(r.rows_affected() > 0)
    }

    async fn home_of_room(&self, room: &str) -> Result<Option<HomeId>, StoreError> {
        let home: Option<String> =
            sqlx::query_scalar("SELECT home_id FROM home_rooms WHERE room_id = $1")
                .bind(room)
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
        home.as_deref().map(home_of).transpose()
    }

    async fn home_rooms(&self, home: Option<&HomeId>) -> Result<Vec<HomeRoom>, StoreError> {
        let rows = sqlx::query_as::<_, HomeRoomRow>(
            "SELECT room_id, home_id, bound_by, bound_at FROM home_rooms \
             WHERE ($1 IS NULL OR home_id = $1) ORDER BY home_id, room_id",
        )
        .bind(home.map(HomeId::as_str))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter().map(HomeRoom::try_from).collect()
    }

    async fn upsert_person(&self, p: &Person) -> Result<(), StoreError> {
        if let Some(h) = &p.home {
            if self.home(h).await?.is_none() {
                return Err(StoreError::UnknownHome(h.clone()));
            }
        }
        let now = Utc::now();
        sqlx::query(
            "INSERT INTO persons (id, name, role, home_id, phone, matrix_user, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role, home_id = excluded.home_id, \
             phone = excluded.phone, matrix_user = excluded.matrix_user, updated_at = excluded.updated_at",
        )
        .bind(p.id.as_str())
        .bind(p.name.as_str())
        .bind(p.role.as_str())
        .bind(p.home.as_ref().map(HomeId::as_str))
        .bind(p.phone.as_ref().map(PhoneNumber::e164))
        .bind(p.matrix_user.as_deref())
        .bind(now)
        .execute(self.writer())
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn person(&self, id: &PersonId) -> Result<Option<Person>, StoreError> {
        let row = sqlx::query_as::<_, PersonRow>(
            "SELECT id, name, role, home_id, phone, matrix_user FROM persons WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(Person::try_from).transpose()
    }

    async fn people(&self) -> Result<Vec<Person>, StoreError> {
        let rows = sqlx::query_as::<_, PersonRow>(
            "SELECT id, name, role, home_id, phone, matrix_user FROM persons ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.into_iter().map(Person::try_from).collect()
    }

    async fn person_by_matrix_user(&self, user_id: &str) -> Result<Option<Person>, StoreError> {
        let row = sqlx::query_as::<_, PersonRow>("SELECT id, name, role, home_id, phone, matrix_user FROM persons WHERE matrix_user = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.map(Person::try_from).transpose()
    }

    async fn person_by_phone(&self, phone: &PhoneNumber) -> Result<Option<Person>, StoreError> {
        // Numbers are written in E.164; the REPLACEs still find one stored
        // as "+45 20 00-00 01" before that was so.
        let row = sqlx::query_as::<_, PersonRow>(
            "SELECT id, name, role, home_id, phone, matrix_user FROM persons \
             WHERE REPLACE(REPLACE(REPLACE(REPLACE(phone, ' ', ''), '-', ''), '(', ''), ')', '') = $1 \
             ORDER BY id LIMIT 1",
        )
        .bind(phone.e164())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(Person::try_from).transpose()
    }
}
