//! The Matrix rooms bound to homes.

use super::*;
use akutlinje_core::alternatives::Alternative;
use akutlinje_core::ids::MatrixRoomId;
use akutlinje_core::person::HomeRoom;
use utoipa::ToSchema;

/// Every room bound to a home (coordinators, admins).
#[utoipa::path(
    get,
    path = "/api/v1/rooms",
    tag = "homes",
    responses((status = 200, description = "The bound rooms", body = [HomeRoom]))
)]
pub(super) async fn list_rooms(
    State(s): State<AppState>,
    who: Authed,
) -> Result<Json<Vec<akutlinje_core::person::HomeRoom>>, ApiError> {
    who.require(&[Role::Coordinator, Role::Admin])?;
    Ok(Json(s.store.home_rooms(None).await?))
}

/// The rooms bound to a home (anyone who may read the home).
#[utoipa::path(
    get,
    path = "/api/v1/homes/{home}/rooms",
    tag = "homes",
    params(("home" = HomeId, Path, description = "The home")),
    responses((status = 200, description = "The home's rooms", body = [HomeRoom]))
)]
pub(super) async fn list_home_rooms(
    State(s): State<AppState>,
    who: Authed,
    Path(home): Path<String>,
) -> Result<Json<Vec<akutlinje_core::person::HomeRoom>>, ApiError> {
    let home = home_param(&home)?;
    if !who.0.may_read_home(&home) {
        return Err(ApiError::NotFound);
    }
    if s.store.home(&home).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    Ok(Json(s.store.home_rooms(Some(&home)).await?))
}

/// A Matrix room to bind.
#[derive(Deserialize, ToSchema)]
pub(super) struct BindRoomBody {
    /// The room's id (`!opaque:server`; Element: room settings, Advanced).
    #[schema(value_type = MatrixRoomId)]
    room_id: String,
}

/// Binds a Matrix room to a home (coordinators, admins): the bot then shows
/// the home's resident data there, to members who may read the home.
#[utoipa::path(
    post,
    path = "/api/v1/homes/{home}/rooms",
    tag = "homes",
    params(("home" = HomeId, Path, description = "The home")),
    request_body = BindRoomBody,
    responses((status = 201, description = "Bound", body = HomeRoom))
)]
pub(super) async fn bind_room(
    State(s): State<AppState>,
    who: Authed,
    Path(home): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    who.require(&[Role::Coordinator, Role::Admin])?;
    let home = home_param(&home)?;
    let b: BindRoomBody = parse_body(&body)?;
    let room =
        akutlinje_core::ids::MatrixRoomId::parse(&b.room_id).map_err(|e| ApiError::Invalid {
            message: format!("room_id: {e}"),
            details: None,
        })?;
    if s.store.home(&home).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    let bound = akutlinje_core::person::HomeRoom {
        room,
        home,
        bound_by: Some(who.0.id.clone()),
        bound_at: Utc::now(),
    };
    s.store.bind_room(&bound).await?;
    tracing::info!(room = %bound.room, home = %bound.home, "room bound");
    Ok((StatusCode::CREATED, Json(bound)).into_response())
}

/// Unbinds a room from its home (coordinators, admins).
#[utoipa::path(
    delete,
    path = "/api/v1/rooms/{room}",
    tag = "homes",
    params(("room" = MatrixRoomId, Path, description = "The room's id")),
    responses((status = 204, description = "Unbound"))
)]
pub(super) async fn unbind_room(
    State(s): State<AppState>,
    who: Authed,
    Path(room): Path<String>,
) -> Result<StatusCode, ApiError> {
    who.require(&[Role::Coordinator, Role::Admin])?;
    let room = akutlinje_core::ids::MatrixRoomId::parse(&room).map_err(|_| ApiError::NotFound)?;
    if s.store.unbind_room(&room).await? {
        tracing::info!(room = %room, "room unbound");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

/// A home's municipal alternatives to admission.
#[utoipa::path(
    get,
    path = "/api/v1/homes/{home}/alternatives",
    tag = "homes",
    params(("home" = HomeId, Path, description = "The home")),
    responses((status = 200, description = "The alternatives", body = [Alternative]))
)]
pub(super) async fn list_alternatives(
    State(s): State<AppState>,
    who: Authed,
    Path(home): Path<String>,
) -> Result<Json<Vec<Alternative>>, ApiError> {
    let home = home_param(&home)?;
    if !who.0.may_read_home(&home) || s.store.home(&home).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    Ok(Json(s.store.alternatives(&home).await?))
}

/// Replaces a home's municipal alternatives: CSV (`text/csv`, the columns of
/// `akutlinje homes alternatives`), TOML (`application/toml`) or a JSON
/// array of `{kind, name, phone, hours, services}`. Every row must name this
/// home; a problem anywhere stores nothing (422 lists them).
#[utoipa::path(
    put,
    path = "/api/v1/homes/{home}/alternatives",
    tag = "homes",
    params(("home" = HomeId, Path, description = "The home")),
    request_body(content(
        (Vec<Alternative> = "application/json"),
        (String = "text/csv"),
        (String = "application/toml")
    )),
    responses((status = 200, description = "Stored; the home's alternatives now", body = [Alternative]))
)]
pub(super) async fn replace_alternatives(
    State(s): State<AppState>,
    who: Authed,
    Path(home): Path<String>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    use akutlinje_core::alternatives::{parse_csv, parse_toml};
    who.require(&[Role::Coordinator, Role::Admin])?;
    let home = home_param(&home)?;
    if !who.0.may_read_home(&home) || s.store.home(&home).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::Invalid {
        message: "the body is not UTF-8".into(),
        details: None,
    })?;
    let kind = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    let invalid = |problems: Vec<String>| ApiError::Invalid {
        message: format!("{} problem(s); nothing was stored", problems.len()),
        details: serde_json::to_value(problems).ok(),
    };
    let list: Vec<Alternative> =
        if kind.starts_with("text/csv") || kind.starts_with("application/toml") {
            let rows = if kind.starts_with("text/csv") {
                parse_csv(text)
            } else {
                parse_toml(text)
            }
            .map_err(|ps| invalid(ps.iter().map(|p| p.to_string()).collect()))?;
            let elsewhere: Vec<String> = rows
                .iter()
                .filter(|(h, _)| *h != home)
                .map(|(h, a)| format!("{}: names home {h}, not {home}", a.name))
                .collect();
            if !elsewhere.is_empty() {
                return Err(invalid(elsewhere));
            }
            rows.into_iter().map(|(_, a)| a).collect()
        } else {
            akutlinje_core::alternatives::parse_json_for(&home, text)
                .map_err(|ps| invalid(ps.iter().map(|p| p.to_string()).collect()))?
        };
    s.store.replace_alternatives(&home, &list).await?;
    tracing::info!(home = %home, count = list.len(), "municipal alternatives replaced");
    Ok((StatusCode::OK, Json(list)).into_response())
}
