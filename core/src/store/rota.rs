//! The rota as stored.

use async_trait::async_trait;

use super::StoreError;
use crate::rota::{OverrideSpec, RotaSpec, RotationId, RotationSpec, Service, ServiceId, SwapSpec};

/// Services, rotations, overrides and swaps: the rota as stored.
#[async_trait]
pub trait RotaStore: Send + Sync + std::fmt::Debug {
    /// Creates or replaces a service.
    async fn upsert_service(&self, service: &Service) -> Result<(), StoreError>;

    /// Every service.
    async fn services(&self) -> Result<Vec<Service>, StoreError>;

    /// A service by id.
    async fn service(&self, id: &ServiceId) -> Result<Option<Service>, StoreError>;

    /// Creates or replaces a rotation (its members must be known people).
    async fn upsert_rotation(&self, rotation: &RotationSpec) -> Result<(), StoreError>;

    /// Removes a rotation and its swaps; false if there was none.
    async fn delete_rotation(&self, id: &RotationId) -> Result<bool, StoreError>;

    /// Stores an override (its `id` is ignored) and returns the new id.
    async fn add_override(&self, o: &OverrideSpec) -> Result<i64, StoreError>;

    /// Removes an override; false if there was none.
    async fn delete_override(&self, id: i64) -> Result<bool, StoreError>;

    /// Stores a swap (its `id` is ignored) and returns the new id.
    async fn add_swap(&self, s: &SwapSpec) -> Result<i64, StoreError>;

    /// Removes a swap; false if there was none.
    async fn delete_swap(&self, id: i64) -> Result<bool, StoreError>;

    /// Everything that decides who is on call for a service.
    async fn rota(&self, service: &ServiceId) -> Result<RotaSpec, StoreError>;
}
