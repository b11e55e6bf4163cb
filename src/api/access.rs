//! The access log of one resident, for admins.

use super::*;
use crate::access::{Line, ReportFormat};
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct AccessLogQuery {
    /// The resident.
    resident: ResidentId,
    /// From (RFC 3339, or `YYYY-MM-DD HH:MM` on the Copenhagen wall clock).
    from: Option<String>,
    /// To.
    to: Option<String>,
    /// `json` (default) or `csv`.
    #[param(inline)]
    format: Option<ReportFormat>,
}

/// The access log of one resident, for admins (who answer the patient's
/// request to see who read their record).
#[utoipa::path(
    get,
    path = "/api/v1/access-log",
    tag = "access",
    params(AccessLogQuery),
    responses((
        status = 200,
        description = "Every read of the resident's data, oldest first",
        content(
            (Vec<Line> = "application/json"),
            (String = "text/csv")
        )
    ))
)]
pub(super) async fn access_log(
    State(s): State<AppState>,
    who: Authed,
    Query(q): Query<AccessLogQuery>,
) -> Result<Response, ApiError> {
    who.require(&[Role::Admin])?;
    let resident = q.resident;
    let from = q
        .from
        .as_deref()
        .map(|f| time_param("from", Some(f)))
        .transpose()?;
    let to =
        q.to.as_deref()
            .map(|t| time_param("to", Some(t)))
            .transpose()?;
    let lines = crate::access::report(&s.store, &resident, from, to)
        .await
        .map_err(|e| match e {
            crate::access::ReportError::UnknownResident(_) => ApiError::NotFound,
            crate::access::ReportError::Store(s) => s.into(),
        })?;
    match q.format.unwrap_or_default() {
        ReportFormat::Json => Ok(Json(lines).into_response()),
        ReportFormat::Csv => {
            let text = crate::access::to_csv(&lines).map_err(|e| ApiError::Internal(e.into()))?;
            Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], text).into_response())
        }
    }
}
