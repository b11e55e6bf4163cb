//! The HTTP API, `/api/v1`: one module per resource. Every route
//! authenticates with a per-person bearer token before anything else; then
//! the role decides. A staff member only ever sees their own home; "not
//! yours" and "does not exist" get the same 404.

mod access;
mod cases;
mod oncall;
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
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use chrono_tz::Europe::Copenhagen;
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

use crate::auth::{ApiError, Authed};

use crate::app::AppState;

/// Every `/api/v1` route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/scores/news2", post(score_news2))
        .route("/api/v1/scores/tobs", post(score_tobs))
        .route(
            "/api/v1/residents",
            get(list_residents).post(import_residents),
        )
        .route("/api/v1/residents/{id}", get(get_resident))
        .route("/api/v1/cases", get(list_cases))
        .route("/api/v1/cases/{id}", get(get_case))
        .route("/api/v1/cases/{id}/print", get(print_case))
        .route("/api/v1/cases/{id}/fhir", get(fhir_case))
        .route("/api/v1/cases/{id}/notes", post(add_note))
        .route("/api/v1/cases/{id}/ack", post(ack_page))
        .route("/api/v1/cases/{id}/disposition", post(disposition))
        .route("/api/v1/cases/{id}/remeasure", post(remeasure))
        .route("/api/v1/cases/{id}/readback", post(readback))
        .route("/api/v1/cases/{id}/decline", post(decline_page))
        .route("/api/v1/access-log", get(access_log))
        .route("/api/v1/rooms", get(list_rooms))
        .route("/api/v1/rooms/{room}", axum::routing::delete(unbind_room))
        .route(
            "/api/v1/homes/{home}/rooms",
            get(list_home_rooms).post(bind_room),
        )
        .route(
            "/api/v1/homes/{home}/alternatives",
            get(list_alternatives).put(replace_alternatives),
        )
        .route("/api/v1/oncall", get(oncall))
        .route("/api/v1/rotas/gaps", get(rota_gaps))
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
fn scoped_home(who: &Authed, asked: Option<&str>) -> Result<Option<HomeId>, ApiError> {
    let asked = asked
        .map(HomeId::parse)
        .transpose()
        .map_err(|e| ApiError::Invalid {
            message: format!("home: {e}"),
            details: None,
        })?;
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

fn service_param(s: &str) -> Result<akutlinje_core::rota::ServiceId, ApiError> {
    akutlinje_core::rota::ServiceId::parse(s).map_err(|e| ApiError::Invalid {
        message: format!("service: {e}"),
        details: None,
    })
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
