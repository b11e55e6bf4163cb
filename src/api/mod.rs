//! The HTTP API, `/api/v1`: one module per resource. Every route
//! authenticates with a per-person bearer token before anything else; then
//! the role decides. A staff member only ever sees their own home; "not
//! yours" and "does not exist" get the same 404.

mod access;
mod cases;
mod oncall;
pub mod openapi;
mod residents;
mod rooms;
mod scores;

pub use cases::{render_case_html, PRINT_CSS};
pub use scores::{news2_json, tobs_json};

#[allow(unused_imports)]
use access::*;
#[allow(unused_imports)]
use cases::*;
#[allow(unused_imports)]
use oncall::*;
#[allow(unused_imports)]
use residents::*;
#[allow(unused_imports)]
use rooms::*;
#[allow(unused_imports)]
use scores::*;

use std::sync::Arc;

use akutlinje_core::i18n::{Lang, Localizer};
use akutlinje_core::ids::{CaseId, HomeId, ResidentId};
use akutlinje_core::person::Role;
use akutlinje_core::record::{
    AccessAction, AccessEntry, CaseEvent, CaseSummary, Channel, EventKind,
};
use akutlinje_core::resident::{parse_import, ImportFormat, Resident};
use akutlinje_core::{news2, tobs};
use axum::body::Bytes;
use axum::extract::{Path, State};

use crate::auth::Query;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use chrono_tz::Europe::Copenhagen;
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{ApiError, Authed};

use crate::app::AppState;

/// Every `/api/v1` route, each registered from its own OpenAPI description,
/// and the contract itself at `/api/v1/openapi.json` (no token needed: it
/// holds no data).
pub fn router() -> Router<AppState> {
    let (router, spec) = contract_and_router();
    // Written once: the contract does not change while the service runs.
    let body = Bytes::from(serde_json::to_vec(&spec).unwrap_or_default());
    router.route(
        "/api/v1/openapi.json",
        get(move || {
            let body = body.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], body) }
        }),
    )
}

/// The API contract (OpenAPI 3.1), as served.
pub fn openapi() -> utoipa::openapi::OpenApi {
    contract_and_router().1
}

fn contract_and_router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    use utoipa::Modify;
    let (router, mut spec) = routes().split_for_parts();
    openapi::Shared.modify(&mut spec);
    (router, spec)
}

fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(score_news2))
        .routes(routes!(score_tobs))
        .routes(routes!(list_residents, import_residents))
        .routes(routes!(get_resident))
        .routes(routes!(list_cases))
        .routes(routes!(get_case))
        .routes(routes!(print_case))
        .routes(routes!(fhir_case))
        .routes(routes!(add_note))
        .routes(routes!(ack_page))
        .routes(routes!(disposition))
        .routes(routes!(remeasure))
        .routes(routes!(readback))
        .routes(routes!(decline_page))
        .routes(routes!(access_log))
        .routes(routes!(list_rooms))
        .routes(routes!(unbind_room))
        .routes(routes!(list_home_rooms, bind_room))
        .routes(routes!(list_alternatives, replace_alternatives))
        .routes(routes!(oncall))
        .routes(routes!(rota_gaps))
}

/// Parses a JSON body, naming the field that is wrong.
fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        let msg = e.to_string();
        // serde appends " at line 1 column 42"; the field name is what helps.
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        ApiError::Invalid {
            message: msg,
            details: None,
        }
    })
}

/// The home a request is about: staff only ever their own.
fn scoped_home(who: &Authed, asked: Option<HomeId>) -> Result<Option<HomeId>, ApiError> {
    if who.0.role.may_read_all_homes() {
        return Ok(asked);
    }
    match (asked, &who.0.home) {
        (None, Some(own)) => Ok(Some(own.clone())),
        (Some(a), Some(own)) if &a == own => Ok(Some(a)),
        _ => Err(ApiError::NotFound),
    }
}

fn home_param(home: &str) -> Result<HomeId, ApiError> {
    HomeId::parse(home).map_err(|_| ApiError::NotFound)
}

fn time_param(what: &str, s: Option<&str>) -> Result<chrono::DateTime<Utc>, ApiError> {
    match s {
        None => Ok(Utc::now()),
        Some(s) => crate::time::parse_time(what, s).map_err(|e| ApiError::Invalid {
            message: e.to_string(),
            details: None,
        }),
    }
}

fn oncall_error(e: crate::oncall::OncallError) -> ApiError {
    match e {
        crate::oncall::OncallError::UnknownService(_) => ApiError::NotFound,
        crate::oncall::OncallError::Store(s) => s.into(),
        other => ApiError::Internal(other.into()),
    }
}
