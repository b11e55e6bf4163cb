//! Homes, their rooms, and the people who use the hotline.

use async_trait::async_trait;

use super::StoreError;
use crate::ids::{HomeId, MatrixRoomId, PersonId};
use crate::person::{Home, HomeRoom, Person};

/// Homes, the rooms bound to them, and the people who use the hotline.
#[async_trait]
pub trait PeopleStore: Send + Sync + std::fmt::Debug {
    /// Creates or renames a home.
    async fn upsert_home(&self, home: &Home) -> Result<(), StoreError>;

    /// A home by id.
    async fn home(&self, id: &HomeId) -> Result<Option<Home>, StoreError>;

    /// Every home.
    async fn homes(&self) -> Result<Vec<Home>, StoreError>;

    /// A home's municipal alternatives to admission, in their order.
    async fn alternatives(
        &self,
        home: &HomeId,
    ) -> Result<Vec<crate::alternatives::Alternative>, StoreError>;

    /// Replaces a home's municipal alternatives (in one transaction).
    async fn replace_alternatives(
        &self,
        home: &HomeId,
        alternatives: &[crate::alternatives::Alternative],
    ) -> Result<(), StoreError>;

    /// Binds a Matrix room to a home (or moves it to another home).
    async fn bind_room(&self, room: &HomeRoom) -> Result<(), StoreError>;

    /// Unbinds a room; false if it was not bound.
    async fn unbind_room(&self, room: &MatrixRoomId) -> Result<bool, StoreError>;

    /// The home a room is bound to.
    async fn home_of_room(&self, room: &str) -> Result<Option<HomeId>, StoreError>;

    /// The bound rooms, of one home or all, by home and room.
    async fn home_rooms(&self, home: Option<&HomeId>) -> Result<Vec<HomeRoom>, StoreError>;

    /// Creates or replaces a person.
    async fn upsert_person(&self, person: &Person) -> Result<(), StoreError>;

    /// A person by id.
    async fn person(&self, id: &PersonId) -> Result<Option<Person>, StoreError>;

    /// Everyone.
    async fn people(&self) -> Result<Vec<Person>, StoreError>;

    /// The person with this Matrix user id, if any.
    async fn person_by_matrix_user(&self, user_id: &str) -> Result<Option<Person>, StoreError>;

    /// The person with this phone number. `phone` is E.164 (`+4520000012`);
    /// stored numbers match with their spaces and dashes ignored.
    async fn person_by_phone(
        &self,
        phone: &crate::phone::PhoneNumber,
    ) -> Result<Option<Person>, StoreError>;
}
