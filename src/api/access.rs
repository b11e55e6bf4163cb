//! The access log of one resident, for admins.

use super::*;

#[derive(Deserialize)]
pub(super) struct AccessLogQuery {
    resident: String,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

/// The access log of one resident, for admins (who answer the patient's
/// request to see who read their record).
pub(super) async fn access_log(
    State(s): State<AppState>,
    who: Authed,
    Query(q): Query<AccessLogQuery>,
) -> Result<Response, ApiError> {
    who.require(&[Role::Admin])?;
    let resident = ResidentId::parse(&q.resident).map_err(|e| ApiError::Invalid {
        message: format!("resident: {e}"),
        details: None,
    })?;
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
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(lines).into_response()),
        "csv" => {
            let text = crate::access::to_csv(&lines).map_err(|e| ApiError::Internal(e.into()))?;
            Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], text).into_response())
        }
        other => Err(ApiError::Invalid {
            message: format!("format: {other:?} must be csv or json"),
            details: None,
        }),
    }
}
