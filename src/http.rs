//! The HTTP API (axum): health, residents, cases, scores.
//!
//! Every `/api/v1` route authenticates with a per-person bearer token before
//! anything else; then the role decides. A staff member only ever sees their
//! own home; "not yours" and "does not exist" get the same 404.

use std::sync::Arc;

use akutlinje_core::i18n::{Lang, Localizer};
use akutlinje_core::ids::{CaseId, HomeId, ResidentId};
use akutlinje_core::person::Role;
use akutlinje_core::record::{
    AccessAction, AccessEntry, CaseEvent, CaseSummary, Channel, EventKind,
};
use akutlinje_core::resident::{parse_import, ImportFormat, Resident};
use akutlinje_core::service::Hotline;
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
use tokio::net::TcpListener;

use crate::auth::{ApiError, Authed};

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub hotline: Hotline,
    pub lang: Lang,
    /// Cookies, proxies and the log-in page's limits.
    pub web: crate::login::WebSettings,
}

impl AppState {
    /// The state with default web settings (no proxies, plain-HTTP cookies).
    pub fn new(hotline: Hotline, lang: Lang) -> AppState {
        AppState {
            hotline,
            lang,
            web: crate::login::WebSettings::default(),
        }
    }

    /// With these web settings.
    pub fn with_web(mut self, web: crate::login::WebSettings) -> AppState {
        self.web = web;
        self
    }
}

/// The router with every route.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
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
        .route("/api/v1/cases/{id}/notes", post(add_note))
        .route("/api/v1/cases/{id}/ack", post(ack_page))
        .route("/api/v1/cases/{id}/disposition", post(disposition))
        .route("/api/v1/cases/{id}/decline", post(decline_page))
        .route("/api/v1/access-log", get(access_log))
        .route("/api/v1/rooms", get(list_rooms))
        .route("/api/v1/rooms/{room}", axum::routing::delete(unbind_room))
        .route(
            "/api/v1/homes/{home}/rooms",
            get(list_home_rooms).post(bind_room),
        )
        .route("/api/v1/oncall", get(oncall))
        .route("/api/v1/rotas/gaps", get(rota_gaps))
        .route("/calendar/{token}", get(crate::calendar::serve_feed))
        .merge(crate::web::routes())
        .layer(axum::extract::DefaultBodyLimit::max(5 * 1024 * 1024))
        .with_state(state)
}

async fn readyz(State(s): State<AppState>) -> Response {
    match s.hotline.store().ping().await {
        Ok(()) => (StatusCode::OK, Json(serde_json::json!({"status": "ready"}))).into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "database unavailable"})),
        )
            .into_response(),
    }
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

/// The score JSON shared by the CLI and the API.
pub fn news2_json(r: &news2::News2Score) -> serde_json::Value {
    serde_json::json!({
        "total": r.total,
        "subscores": r.subscores,
        "band": r.band,
        "red_flag": r.red_flag,
        "monitoring": r.monitoring,
    })
}

/// The TOBS JSON shared by the CLI and the API.
pub fn tobs_json(r: &tobs::TobsScore) -> serde_json::Value {
    serde_json::json!({
        "total": r.total,
        "subscores": r.subscores,
        "band": r.band,
        "red_flag": r.red_flag,
        "monitoring": r.monitoring,
        "temp_scored": r.temp_scored,
    })
}

async fn score_news2(_who: Authed, body: Bytes) -> Result<Json<serde_json::Value>, ApiError> {
    let input: news2::News2Input = parse_body(&body)?;
    Ok(Json(news2_json(&news2::score(&input))))
}

async fn score_tobs(_who: Authed, body: Bytes) -> Result<Json<serde_json::Value>, ApiError> {
    let input: tobs::TobsInput = parse_body(&body)?;
    Ok(Json(tobs_json(&tobs::score(&input))))
}

#[derive(Deserialize)]
struct HomeQuery {
    home: Option<String>,
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

async fn log_reads(s: &AppState, who: &Authed, residents: &[Resident]) -> Result<(), ApiError> {
    let now = Utc::now();
    for r in residents {
        s.hotline
            .store()
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

async fn list_residents(
    State(s): State<AppState>,
    who: Authed,
    Query(q): Query<HomeQuery>,
) -> Result<Json<Vec<Resident>>, ApiError> {
    let residents = match scoped_home(&who, q.home.as_deref())? {
        Some(h) => s.hotline.store().residents_of_home(&h).await?,
        None => {
            let mut all = Vec::new();
            for h in s.hotline.store().homes().await? {
                all.extend(s.hotline.store().residents_of_home(&h.id).await?);
            }
            all
        }
    };
    log_reads(&s, &who, &residents).await?;
    Ok(Json(residents))
}

async fn get_resident(
    State(s): State<AppState>,
    who: Authed,
    Path(id): Path<String>,
) -> Result<Json<Resident>, ApiError> {
    let id = ResidentId::parse(&id).map_err(|_| ApiError::NotFound)?;
    let Some(r) = s.hotline.store().resident(&id).await? else {
        return Err(ApiError::NotFound);
    };
    if !who.0.may_read_home(&r.home) {
        s.hotline
            .store()
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

async fn import_residents(
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
    let sum = s
        .hotline
        .store()
        .import_residents(&residents, Utc::now())
        .await?;
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

#[derive(Deserialize)]
struct CasesQuery {
    home: Option<String>,
    limit: Option<u32>,
}

async fn list_cases(
    State(s): State<AppState>,
    who: Authed,
    Query(q): Query<CasesQuery>,
) -> Result<Json<Vec<CaseSummary>>, ApiError> {
    let home = scoped_home(&who, q.home.as_deref())?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    Ok(Json(
        s.hotline
            .list_cases(&who.0, home.as_ref(), limit, Channel::Api, None, Utc::now())
            .await?,
    ))
}

async fn read_case(
    s: &AppState,
    who: &Authed,
    id: &str,
    detail: Option<&str>,
) -> Result<(CaseSummary, Vec<CaseEvent>), ApiError> {
    let id = CaseId::parse(id).ok_or(ApiError::NotFound)?;
    Ok(s.hotline
        .read_case(id, &who.0, Channel::Api, detail, Utc::now())
        .await?)
}

async fn get_case(
    State(s): State<AppState>,
    who: Authed,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (case, events) = read_case(&s, &who, &id, None).await?;
    Ok(Json(serde_json::json!({ "case": case, "events": events })))
}

/// Rooms are bound by coordinators and admins; staff and physicians may
/// see which rooms belong to which home.
async fn list_rooms(
    State(s): State<AppState>,
    who: Authed,
) -> Result<Json<Vec<akutlinje_core::person::HomeRoom>>, ApiError> {
    who.require(&[Role::Coordinator, Role::Admin])?;
    Ok(Json(s.hotline.store().home_rooms(None).await?))
}

fn home_param(home: &str) -> Result<HomeId, ApiError> {
    HomeId::parse(home).map_err(|_| ApiError::NotFound)
}

async fn list_home_rooms(
    State(s): State<AppState>,
    who: Authed,
    Path(home): Path<String>,
) -> Result<Json<Vec<akutlinje_core::person::HomeRoom>>, ApiError> {
    let home = home_param(&home)?;
    if !who.0.may_read_home(&home) {
        return Err(ApiError::NotFound);
    }
    if s.hotline.store().home(&home).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    Ok(Json(s.hotline.store().home_rooms(Some(&home)).await?))
}

#[derive(Deserialize)]
struct BindRoomBody {
    room_id: String,
}

async fn bind_room(
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
    if s.hotline.store().home(&home).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    let bound = akutlinje_core::person::HomeRoom {
        room,
        home,
        bound_by: Some(who.0.id.clone()),
        bound_at: Utc::now(),
    };
    s.hotline.store().bind_room(&bound).await?;
    tracing::info!(room = %bound.room, home = %bound.home, "room bound");
    Ok((StatusCode::CREATED, Json(bound)).into_response())
}

async fn unbind_room(
    State(s): State<AppState>,
    who: Authed,
    Path(room): Path<String>,
) -> Result<StatusCode, ApiError> {
    who.require(&[Role::Coordinator, Role::Admin])?;
    let room = akutlinje_core::ids::MatrixRoomId::parse(&room).map_err(|_| ApiError::NotFound)?;
    if s.hotline.store().unbind_room(&room).await? {
        tracing::info!(room = %room, "room unbound");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

#[derive(Deserialize)]
struct AccessLogQuery {
    resident: String,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

/// The access log of one resident, for admins (who answer the patient's
/// request to see who read their record).
async fn access_log(
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
    let lines = crate::access::report(s.hotline.store(), &resident, from, to)
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

#[derive(Deserialize)]
struct OncallQuery {
    service: String,
    at: Option<String>,
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

async fn oncall(
    State(s): State<AppState>,
    _who: Authed,
    Query(q): Query<OncallQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let service = service_param(&q.service)?;
    let at = time_param("at", q.at.as_deref())?;
    crate::oncall::on_call(s.hotline.store(), &service, at)
        .await
        .map(Json)
        .map_err(oncall_error)
}

#[derive(Deserialize)]
struct GapsQuery {
    service: String,
    days: Option<u32>,
    from: Option<String>,
}

async fn rota_gaps(
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
    crate::oncall::gaps(s.hotline.store(), &service, from, days)
        .await
        .map(Json)
        .map_err(oncall_error)
}

#[derive(Deserialize)]
struct NoteBody {
    text: String,
    corrects: Option<i64>,
}

async fn add_note(
    State(s): State<AppState>,
    who: Authed,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let note: NoteBody = parse_body(&body)?;
    let id = CaseId::parse(&id).ok_or(ApiError::NotFound)?;
    let seq = s
        .hotline
        .annotate(
            id,
            &who.0,
            akutlinje_core::record::Channel::Api.into(),
            &note.text,
            note.corrects,
            Utc::now(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "seq": seq }))).into_response())
}

async fn answer_page(
    s: &AppState,
    who: &Authed,
    id: &str,
    decline: bool,
) -> Result<Json<serde_json::Value>, ApiError> {
    // The service decides who: the physician the case paged, or a
    // coordinator taking the page over (acknowledge only).
    who.require(&[Role::Physician, Role::Coordinator])?;
    let id = CaseId::parse(id).ok_or(ApiError::NotFound)?;
    let changed = s
        .hotline
        .respond_to_page(
            id,
            &who.0,
            akutlinje_core::record::Channel::Api,
            decline,
            None,
            Utc::now(),
        )
        .await?;
    Ok(Json(serde_json::json!({ "escalation_changed": changed })))
}

#[derive(Deserialize)]
struct DispositionBody {
    disposition: String,
    advice: Option<String>,
}

async fn disposition(
    State(s): State<AppState>,
    who: Authed,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    who.require(&[Role::Physician])?;
    let b: DispositionBody = parse_body(&body)?;
    let d = akutlinje_core::escalation::Disposition::parse(&b.disposition).ok_or_else(|| {
        ApiError::Invalid {
            message: format!(
                "disposition: {:?} is not one of {}",
                b.disposition,
                akutlinje_core::escalation::Disposition::ALL
                    .map(|d| d.as_str())
                    .join(", ")
            ),
            details: None,
        }
    })?;
    let id = CaseId::parse(&id).ok_or(ApiError::NotFound)?;
    let seq = s
        .hotline
        .record_disposition(
            id,
            &who.0,
            akutlinje_core::record::Channel::Api.into(),
            d,
            b.advice.as_deref(),
            Utc::now(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "seq": seq }))).into_response())
}

async fn ack_page(
    State(s): State<AppState>,
    who: Authed,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    answer_page(&s, &who, &id, false).await
}

async fn decline_page(
    State(s): State<AppState>,
    who: Authed,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    answer_page(&s, &who, &id, true).await
}

async fn print_case(
    State(s): State<AppState>,
    who: Authed,
    Path(id): Path<String>,
) -> Result<Markup, ApiError> {
    let (case, events) = read_case(&s, &who, &id, Some("print")).await?;
    Ok(render_case_html(
        s.hotline.localizer(),
        s.lang,
        &case,
        &events,
    ))
}

/// The printable record's stylesheet (served at `/static/print.css`).
pub const PRINT_CSS: &str = "body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse;width:100%}\
                         td,th{border:1px solid #999;padding:.3em;vertical-align:top;text-align:left}\
                         pre{white-space:pre-wrap;background:#f5f5f5;padding:1em}.corr{color:#a00}\
                         @media print{body{margin:0}}";

/// A printable page of one case's record. Every value is escaped by maud.
pub fn render_case_html(
    loc: &Arc<Localizer>,
    lang: Lang,
    case: &CaseSummary,
    events: &[CaseEvent],
) -> Markup {
    let local = |t: chrono::DateTime<Utc>| {
        t.with_timezone(&Copenhagen)
            .format("%d.%m.%Y %H:%M:%S")
            .to_string()
    };
    let isbar = events.iter().rev().find_map(|e| match &e.event.kind {
        EventKind::IsbarComposed { isbar } => Some(isbar.render(loc, lang)),
        _ => None,
    });
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                title { "Akutsag " (case.id) }
                link rel="stylesheet" href="/static/print.css";
            }
            body {
                h1 { "Akutsag " (case.id) }
                p {
                    "Plejecenter: " (case.home) " · Åbnet: " (local(case.opened_at)) " (dansk tid) · Kanal: " (case.channel.as_str())
                    " · Status: " (case.status.as_str())
                    @if let Some(u) = case.urgency { " · Hastegrad: " (loc.render(lang, &u.label())) }
                }
                @if let Some(i) = isbar { h2 { "ISBAR" } pre { (i) } }
                h2 { "Journal (alle hændelser)" }
                table {
                    tr { th { "#" } th { "Tid" } th { "Af" } th { "Kanal" } th { "Hændelse" } th { "Indhold" } }
                    @for e in events {
                        tr class=[e.event.corrects.map(|_| "corr")] {
                            td { (e.seq) }
                            td { (local(e.event.at)) }
                            td {
                                @match (&e.event.author.person, e.event.author.role) {
                                    (Some(p), Some(r)) => { (p) " (" (r.as_str()) ")" }
                                    (Some(p), None) => { (p) }
                                    _ => { "system" }
                                }
                            }
                            td { (e.event.channel.as_str()) }
                            td {
                                (e.event.kind.tag())
                                @if let Some(c) = e.event.corrects { br; "retter #" (c) }
                            }
                            td { (event_text(&e.event.kind)) }
                        }
                    }
                }
                p { small { "Udskrevet " (local(Utc::now())) ". Journalen kan ikke ændres; rettelser står som nye hændelser." } }
            }
        }
    }
}

fn event_text(k: &EventKind) -> String {
    match k {
        EventKind::InputReceived { text, step } => format!("[{step}] {text}"),
        EventKind::SituationRecorded { text }
        | EventKind::Note { text }
        | EventKind::Correction { text } => text.to_string(),
        EventKind::IsbarComposed { .. } => "(se ISBAR ovenfor)".into(),
        other => serde_json::to_value(other)
            .ok()
            .and_then(|mut v| {
                v.as_object_mut().map(|o| {
                    o.remove("kind");
                    serde_json::Value::Object(o.clone()).to_string()
                })
            })
            .filter(|s| s != "{}")
            .unwrap_or_default(),
    }
}

/// The HTTP server, bound and ready.
pub struct Application {
    listener: TcpListener,
    router: Router,
    header_timeout: std::time::Duration,
}

/// How long a client may take to send a request's headers (slowloris).
pub const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// How long a whole request may take to be read and answered.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A handler panicked: the client gets a 500 and the log a line with the
/// request's span (method, path, person id), never the panic's message,
/// which may hold what the request carried.
fn panic_response(_payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked; answered 500");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(serde_json::json!({"error": "internal error"})),
    )
        .into_response()
}

/// Headers every response carries: no framing (clickjacking), no scripts
/// or styles from anywhere but this service, no MIME sniffing, no referrer.
fn security_headers(router: Router) -> Router {
    use axum::http::HeaderValue;
    use tower_http::set_header::SetResponseHeaderLayer;
    let set = |name: &'static str, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(
            header::HeaderName::from_static(name),
            HeaderValue::from_static(value),
        )
    };
    router
        .layer(set(
            "content-security-policy",
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ))
        .layer(set("x-frame-options", "DENY"))
        .layer(set("x-content-type-options", "nosniff"))
        .layer(set("referrer-policy", "no-referrer"))
}

/// What every route gets, the Twilio webhooks and the web pages included:
/// a panic becomes a 500 inside the request's span, the span itself (method
/// and path, never a query string or a calendar token), a time limit, and
/// the security headers.
fn serve_layers(router: Router) -> Router {
    let traced = router
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(
                |req: &axum::http::Request<_>| {
                    // Calendar URLs carry their secret token in the path: never log it.
                    let path = req.uri().path();
                    let path = if path.starts_with("/calendar/") {
                        "/calendar/<token>"
                    } else {
                        path
                    };
                    tracing::info_span!("http", method = %req.method(), path = %path, person = tracing::field::Empty)
                },
            ),
        )
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ));
    security_headers(traced)
}

impl Application {
    /// Binds the listener (port 0 picks a free port, for tests).
    pub async fn build(addr: std::net::SocketAddr, state: AppState) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
        Ok(Application {
            listener,
            router: router(state),
            header_timeout: HEADER_TIMEOUT,
        })
    }

    /// Adds routes served beside the API (the Twilio webhooks).
    pub fn with_routes(mut self, extra: Router) -> Application {
        self.router = self.router.merge(extra);
        self
    }

    /// Changes how long a client may take to send its headers.
    pub fn with_header_timeout(mut self, t: std::time::Duration) -> Application {
        self.header_timeout = t;
        self
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests
    /// (for at most 30 s). Each connection knows its peer address
    /// (`ConnectInfo`); a client that sends its headers slower than the
    /// header timeout is disconnected, a request not done in 30 s gets 408,
    /// and a panicking handler gets 500 without taking the server down.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
        use hyper_util::server::conn::auto::Builder;
        use tower::ServiceExt;
        let router = serve_layers(self.router);
        let mut builder = Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_timeout);
        builder.http2().timer(TokioTimer::new());
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        tokio::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                _ = &mut shutdown => break,
                accepted = self.listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: do not spin.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let svc = router.clone().map_request(
                move |mut req: axum::http::Request<hyper::body::Incoming>| {
                    req.extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    req
                },
            );
            let svc = hyper_util::service::TowerToHyperService::new(svc);
            let conn = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), svc)
                .into_owned();
            let conn = graceful.watch(conn);
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
            });
        }
        drop(self.listener);
        if tokio::time::timeout(std::time::Duration::from_secs(30), graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("requests still running after 30 s were cut off");
        }
        Ok(())
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
