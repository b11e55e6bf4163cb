//! Residents and their treatment decisions.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::ids::{HomeId, ResidentId};
use crate::resident::{Resident, Room};

/// Residents and their treatment decisions.
#[async_trait]
pub trait ResidentStore: Send + Sync + std::fmt::Debug {
    /// Creates or updates residents, all or nothing. A resident is matched by
    /// id; its treatment decisions are replaced, the old ones kept as superseded.
    async fn import_residents(
        &self,
        residents: &[Resident],
        at: DateTime<Utc>,
    ) -> Result<ImportSummary, StoreError>;

    /// A resident by id.
    async fn resident(&self, id: &ResidentId) -> Result<Option<Resident>, StoreError>;

    /// Every resident of a home.
    async fn residents_of_home(&self, home: &HomeId) -> Result<Vec<Resident>, StoreError>;

    /// Residents in a room, in *any* home (the caller filters and logs).
    async fn residents_in_room(&self, room: &Room) -> Result<Vec<Resident>, StoreError>;

    /// Residents whose name contains `needle` (case-insensitive), in any home.
    async fn residents_named(&self, needle: &str) -> Result<Vec<Resident>, StoreError>;
}

/// Counts from an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct ImportSummary {
    /// Residents new to the database.
    pub created: usize,
    /// Residents that were there and are replaced.
    pub updated: usize,
}
