//! A service's stored rota, loaded and parsed: what the CLI, the API and the
//! chat adapters ask "who is on call?" of.

use akutlinje_core::rota::{Service, ServiceId, TierId};
use akutlinje_core::store::RotaStore;
use chrono::{DateTime, Utc};

use crate::rota::{Rota, Segment};

/// Why an on-call question could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum OncallError {
    /// No such service.
    #[error("no service {0}")]
    UnknownService(ServiceId),
    /// The stored rota no longer parses.
    #[error("the stored rota of {service} is invalid: {detail}")]
    BadRota {
        /// The service.
        service: ServiceId,
        /// What is wrong.
        detail: String,
    },
    /// The database.
    #[error(transparent)]
    Store(#[from] akutlinje_core::store::StoreError),
}

/// The service and its parsed rota.
pub async fn load(
    store: &dyn RotaStore,
    service: &ServiceId,
) -> Result<(Service, Rota), OncallError> {
    let svc = store
        .service(service)
        .await?
        .ok_or_else(|| OncallError::UnknownService(service.clone()))?;
    let rota = Rota::parse(store.rota(service).await?).map_err(|e| OncallError::BadRota {
        service: service.clone(),
        detail: e.to_string(),
    })?;
    Ok((svc, rota))
}

/// Each tier of the service, in its order, with the shift covering `at` (if any).
pub async fn on_call(
    store: &dyn RotaStore,
    service: &ServiceId,
    at: DateTime<Utc>,
) -> Result<(Service, Vec<(TierId, Option<Segment>)>), OncallError> {
    let (svc, rota) = load(store, service).await?;
    let tiers = svc
        .tiers
        .iter()
        .map(|t| (t.clone(), rota.on_call(t, at)))
        .collect();
    Ok((svc, tiers))
}
