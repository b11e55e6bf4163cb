//! Who is on call, and the rota's gaps.

use super::*;

#[derive(Deserialize)]
pub(super) struct OncallQuery {
    service: String,
    at: Option<String>,
}

pub(super) async fn oncall(
    State(s): State<AppState>,
    _who: Authed,
    Query(q): Query<OncallQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let service = service_param(&q.service)?;
    let at = time_param("at", q.at.as_deref())?;
    crate::oncall::on_call(&s.store, &service, at)
        .await
        .map(Json)
        .map_err(oncall_error)
}

#[derive(Deserialize)]
pub(super) struct GapsQuery {
    service: String,
    days: Option<u32>,
    from: Option<String>,
}

pub(super) async fn rota_gaps(
    State(s): State<AppState>,
    who: Authed,
    Query(q): Query<GapsQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    who.require(&[Role::Coordinator, Role::Admin, Role::Physician])?;
    let service = service_param(&q.service)?;
    let from = time_param("from", q.from.as_deref())?;
    let days = q.days.unwrap_or(14);
    if !(1..=366).contains(&days) {
        return Err(ApiError::Invalid {
            message: "days must be 1–366".into(),
            details: None,
        });
    }
    crate::oncall::gaps(&s.store, &service, from, days)
        .await
        .map(Json)
        .map_err(oncall_error)
}
