//! Residents and their treatment decisions: reading (access-logged, own
//! home only for staff) and importing (all or nothing).

use super::*;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct HomeQuery {
    /// Only this home's residents (staff: their own home, always).
    home: Option<HomeId>,
}

/// What an import did.
#[derive(Serialize, ToSchema)]
pub(super) struct Imported {
    /// Residents new to the register.
    created: usize,
    /// Residents already there, now replaced by the file's version.
    updated: usize,
}

pub(super) async fn log_reads(
    s: &AppState,
    who: &Authed,
    residents: &[Resident],
) -> Result<(), ApiError> {
    let now = Utc::now();
    for r in residents {
        s.store
            .log_access(&AccessEntry::new(
                now,
                Some(who.0.id.clone()),
                r.id.clone(),
                None,
                AccessAction::Read,
                Channel::Api,
            ))
            .await?;
    }
    Ok(())
}

/// The residents of a home (or, for roles that may read every home, of all
/// homes), each read access-logged.
#[utoipa::path(
    get,
    path = "/api/v1/residents",
    tag = "residents",
    params(HomeQuery),
    responses((status = 200, description = "The residents", body = [Resident]))
)]
pub(super) async fn list_residents(
    State(s): State<AppState>,
    who: Authed,
    Query(q): Query<HomeQuery>,
) -> Result<Json<Vec<Resident>>, ApiError> {
    let residents = match scoped_home(&who, q.home)? {
        Some(h) => s.store.residents_of_home(&h).await?,
        None => {
            let mut all = Vec::new();
            for h in s.store.homes().await? {
                all.extend(s.store.residents_of_home(&h.id).await?);
            }
            all
        }
    };
    log_reads(&s, &who, &residents).await?;
    Ok(Json(residents))
}

/// One resident, with their treatment decisions; an access-logged read.
#[utoipa::path(
    get,
    path = "/api/v1/residents/{id}",
    tag = "residents",
    params(("id" = ResidentId, Path, description = "The resident")),
    responses((status = 200, description = "The resident", body = Resident))
)]
pub(super) async fn get_resident(
    State(s): State<AppState>,
    who: Authed,
    Path(id): Path<String>,
) -> Result<Json<Resident>, ApiError> {
    let id = ResidentId::parse(&id).map_err(|_| ApiError::NotFound)?;
    let Some(r) = s.store.resident(&id).await? else {
        return Err(ApiError::NotFound);
    };
    if !who.0.may_read_home(&r.home) {
        s.store
            .log_access(&AccessEntry::new(
                Utc::now(),
                Some(who.0.id.clone()),
                r.id.clone(),
                None,
                AccessAction::Denied,
                Channel::Api,
            ))
            .await?;
        return Err(ApiError::NotFound);
    }
    log_reads(&s, &who, std::slice::from_ref(&r)).await?;
    Ok(Json(r))
}

/// Imports residents (coordinators, admins): all or nothing. JSON (an array
/// of residents) or CSV (`text/csv`, the columns of `akutlinje residents
/// import`); a problem anywhere stores nothing and 422 lists every one.
#[utoipa::path(
    post,
    path = "/api/v1/residents",
    tag = "residents",
    request_body(content(
        (Vec<Resident> = "application/json"),
        (String = "text/csv")
    )),
    responses((status = 200, description = "Imported", body = Imported))
)]
pub(super) async fn import_residents(
    State(s): State<AppState>,
    who: Authed,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    who.require(&[Role::Coordinator, Role::Admin])?;
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::Invalid {
        message: "the body is not UTF-8".into(),
        details: None,
    })?;
    let is_csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    let format = if is_csv {
        ImportFormat::Csv
    } else {
        ImportFormat::Json
    };
    let residents = parse_import(format, text).map_err(|e| ApiError::Invalid {
        message: format!("{} problem(s); nothing was imported", e.0.len()),
        details: serde_json::to_value(&e.0).ok(),
    })?;
    let sum = s.store.import_residents(&residents, Utc::now()).await?;
    tracing::info!(
        created = sum.created,
        updated = sum.updated,
        "residents imported"
    );
    Ok((
        StatusCode::OK,
        Json(Imported {
            created: sum.created,
            updated: sum.updated,
        }),
    )
        .into_response())
}
