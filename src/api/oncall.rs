//! Who is on call, and the rota's gaps.

use super::*;
use crate::oncall::{Gaps, OnCall};
use akutlinje_core::rota::ServiceId;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct OncallQuery {
    /// The service.
    service: ServiceId,
    /// When (RFC 3339, or `YYYY-MM-DD HH:MM` on the Copenhagen wall clock;
    /// default now).
    at: Option<String>,
}

/// Who is on call for each tier of a service.
#[utoipa::path(
    get,
    path = "/api/v1/oncall",
    tag = "rota",
    params(OncallQuery),
    responses((status = 200, description = "Each tier's person on call", body = OnCall))
)]
pub(super) async fn oncall(
    State(s): State<AppState>,
    _who: Authed,
    Query(q): Query<OncallQuery>,
) -> Result<Json<OnCall>, ApiError> {
    let at = time_param("at", q.at.as_deref())?;
    crate::oncall::on_call(&s.store, &q.service, at)
        .await
        .map(Json)
        .map_err(oncall_error)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct GapsQuery {
    /// The service.
    service: ServiceId,
    /// How many days ahead (1–366; default 14).
    #[param(minimum = 1, maximum = 366)]
    days: Option<u32>,
    /// From when (RFC 3339, or `YYYY-MM-DD HH:MM` on the Copenhagen wall
    /// clock; default now).
    from: Option<String>,
}

/// Every stretch of the coming days with nobody on call (coordinators,
/// admins, physicians).
#[utoipa::path(
    get,
    path = "/api/v1/rotas/gaps",
    tag = "rota",
    params(GapsQuery),
    responses((status = 200, description = "Each tier's gaps", body = Gaps))
)]
pub(super) async fn rota_gaps(
    State(s): State<AppState>,
    who: Authed,
    Query(q): Query<GapsQuery>,
) -> Result<Json<Gaps>, ApiError> {
    who.require(&[Role::Coordinator, Role::Admin, Role::Physician])?;
    let from = time_param("from", q.from.as_deref())?;
    let days = q.days.unwrap_or(14);
    if !(1..=366).contains(&days) {
        return Err(ApiError::Invalid {
            message: "days must be 1–366".into(),
            details: None,
        });
    }
    crate::oncall::gaps(&s.store, &q.service, from, days)
        .await
        .map(Json)
        .map_err(oncall_error)
}
