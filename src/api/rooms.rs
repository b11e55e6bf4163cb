//! The Matrix rooms bound to homes.

use super::*;

/// Rooms are bound by coordinators and admins; staff and physicians may
/// see which rooms belong to which home.
pub(super) async fn list_rooms(
    State(s): State<AppState>,
    who: Authed,
) -> Result<Json<Vec<akutlinje_core::person::HomeRoom>>, ApiError> {
    who.require(&[Role::Coordinator, Role::Admin])?;
    Ok(Json(s.store.home_rooms(None).await?))
}

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

#[derive(Deserialize)]
pub(super) struct BindRoomBody {
    room_id: String,
}

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
