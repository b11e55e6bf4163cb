//! Residents and their treatment decisions: reading (access-logged, own
//! home only for staff) and importing (all or nothing).

use super::*;

#[derive(Deserialize)]
pub(super) struct HomeQuery {
    home: Option<String>,
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

pub(super) async fn list_residents(
    State(s): State<AppState>,
    who: Authed,
    Query(q): Query<HomeQuery>,
) -> Result<Json<Vec<Resident>>, ApiError> {
    let residents = match scoped_home(&who, q.home.as_deref())? {
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
        Json(serde_json::json!({"created": sum.created, "updated": sum.updated})),
    )
        .into_response())
}
