//! Cases: the list and the record (each an access-logged read), the
//! printable page, notes and corrections, the physician's answer to a page
//! and their decision.

use super::*;
use akutlinje_core::i18n::Msg;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

/// The case a route under `/api/v1/cases/{id}` is about (described for
/// the contract; the handlers parse it themselves, a bad one is a 404).
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub(super) struct CasePath {
    /// The case.
    id: CaseId,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct CasesQuery {
    /// Only this home's cases (staff: their own home, always).
    home: Option<HomeId>,
    /// At most this many, newest first (1–1000; default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
}

/// The newest cases, an access-logged read.
#[utoipa::path(
    get,
    path = "/api/v1/cases",
    tag = "cases",
    params(CasesQuery),
    responses((status = 200, description = "The cases, newest first", body = [CaseSummary]))
)]
pub(super) async fn list_cases(
    State(s): State<AppState>,
    who: Authed,
    Query(q): Query<CasesQuery>,
) -> Result<Json<Vec<CaseSummary>>, ApiError> {
    let home = scoped_home(&who, q.home)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::Invalid {
            message: format!("limit: {limit} must be 1–1000"),
            details: None,
        });
    }
    Ok(Json(
        s.hotline
            .list_cases(&who.0, home.as_ref(), limit, Channel::Api, None, Utc::now())
            .await?,
    ))
}

pub(super) async fn read_case(
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

/// One case and its whole record.
#[derive(Serialize, ToSchema)]
pub(super) struct CaseRecord {
    /// Where the case stands.
    case: CaseSummary,
    /// Every event, oldest first.
    events: Vec<CaseEvent>,
}

/// One case and its record, an access-logged read.
#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}",
    tag = "cases",
    params(CasePath),
    responses((status = 200, description = "The case and its record", body = CaseRecord))
)]
pub(super) async fn get_case(
    State(s): State<AppState>,
    who: Authed,
    Path(id): Path<String>,
) -> Result<Json<CaseRecord>, ApiError> {
    let (case, events) = read_case(&s, &who, &id, None).await?;
    Ok(Json(CaseRecord { case, events }))
}

/// A note, or a correction of an earlier event.
#[derive(Deserialize, ToSchema)]
pub(super) struct NoteBody {
    /// The words.
    #[schema(min_length = 1, max_length = 4000, pattern = "\\S")]
    text: String,
    /// The record entry (`seq`) this corrects, if it is a correction.
    corrects: Option<i64>,
}

/// Where a new record entry went.
#[derive(Serialize, ToSchema)]
pub(super) struct Recorded {
    /// Its place in the case's record.
    seq: i64,
}

/// Adds a note to a case's record, or corrects an entry.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/notes",
    tag = "cases",
    params(CasePath),
    request_body = NoteBody,
    responses((status = 201, description = "Recorded", body = Recorded))
)]
pub(super) async fn add_note(
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
    Ok((StatusCode::CREATED, Json(Recorded { seq })).into_response())
}

/// What answering a page changed.
#[derive(Serialize, ToSchema)]
pub(super) struct PageAnswered {
    /// Whether the escalation stopped (acknowledged) or moved on (declined);
    /// false when the page was already answered.
    escalation_changed: bool,
}

pub(super) async fn answer_page(
    s: &AppState,
    who: &Authed,
    id: &str,
    decline: bool,
) -> Result<Json<PageAnswered>, ApiError> {
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
    Ok(Json(PageAnswered {
        escalation_changed: changed,
    }))
}

/// The physician's decision.
#[derive(Deserialize, ToSchema)]
pub(super) struct DispositionBody {
    /// The decision.
    #[schema(value_type = akutlinje_core::escalation::Disposition)]
    disposition: String,
    /// Advice in the physician's words.
    advice: Option<String>,
    /// Order a re-measurement in this many minutes with the decision.
    remeasure_minutes: Option<u32>,
}

/// The decision as recorded.
#[derive(Serialize, ToSchema)]
pub(super) struct DispositionRecorded {
    /// Its place in the case's record.
    seq: i64,
    /// When the re-measurement ordered with it is due, if one was.
    remeasure_due_at: Option<chrono::DateTime<Utc>>,
}

/// A physician records their decision (and advice) on a case.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/disposition",
    tag = "cases",
    params(CasePath),
    request_body = DispositionBody,
    responses((status = 201, description = "Recorded", body = DispositionRecorded))
)]
pub(super) async fn disposition(
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
    let due = match b.remeasure_minutes {
        Some(m) => Some(
            s.hotline
                .order_remeasure(
                    id,
                    &who.0,
                    akutlinje_core::record::Channel::Api.into(),
                    m,
                    Utc::now(),
                )
                .await?,
        ),
        None => None,
    };
    Ok((
        StatusCode::CREATED,
        Json(DispositionRecorded {
            seq,
            remeasure_due_at: due,
        }),
    )
        .into_response())
}

/// A re-measurement order.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RemeasureBody {
    /// In how many minutes.
    minutes: u32,
}

/// When an ordered re-measurement is due.
#[derive(Serialize, ToSchema)]
pub(super) struct RemeasureDue {
    /// The time staff are reminded.
    due_at: chrono::DateTime<Utc>,
}

/// A physician orders a re-measurement: `{"minutes": 60}`.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/remeasure",
    tag = "cases",
    params(CasePath),
    request_body = RemeasureBody,
    responses((status = 201, description = "Ordered", body = RemeasureDue))
)]
pub(super) async fn remeasure(
    State(s): State<AppState>,
    who: Authed,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    who.require(&[Role::Physician])?;
    let b: RemeasureBody = parse_body(&body)?;
    let id = CaseId::parse(&id).ok_or(ApiError::NotFound)?;
    let due = s
        .hotline
        .order_remeasure(
            id,
            &who.0,
            akutlinje_core::record::Channel::Api.into(),
            b.minutes,
            Utc::now(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(RemeasureDue { due_at: due })).into_response())
}

/// Staff confirm the physician's advice (read-back).
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/readback",
    tag = "cases",
    params(CasePath),
    responses((status = 201, description = "Recorded", body = Recorded))
)]
pub(super) async fn readback(
    State(s): State<AppState>,
    who: Authed,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    who.require(&[Role::Staff])?;
    let id = CaseId::parse(&id).ok_or(ApiError::NotFound)?;
    let seq = s
        .hotline
        .confirm_advice(
            id,
            &who.0,
            akutlinje_core::record::Channel::Api.into(),
            Utc::now(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(Recorded { seq })).into_response())
}

/// The paged physician acknowledges the page (or a coordinator takes it over).
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/ack",
    tag = "cases",
    params(CasePath),
    responses((status = 200, description = "Answered", body = PageAnswered))
)]
pub(super) async fn ack_page(
    State(s): State<AppState>,
    who: Authed,
    Path(id): Path<String>,
) -> Result<Json<PageAnswered>, ApiError> {
    answer_page(&s, &who, &id, false).await
}

/// The paged physician declines; the escalation moves on at once.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/decline",
    tag = "cases",
    params(CasePath),
    responses((status = 200, description = "Answered", body = PageAnswered))
)]
pub(super) async fn decline_page(
    State(s): State<AppState>,
    who: Authed,
    Path(id): Path<String>,
) -> Result<Json<PageAnswered>, ApiError> {
    answer_page(&s, &who, &id, true).await
}

/// The case as a FHIR R4 Bundle (`application/fhir+json`).
#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/fhir",
    tag = "cases",
    params(CasePath),
    responses((
        status = 200,
        description = "A FHIR R4 Bundle of type collection: the Encounter, the resident as Patient, observations, the ISBAR as a Composition",
        content_type = "application/fhir+json",
        body = Object
    ))
)]
pub(super) async fn fhir_case(
    State(s): State<AppState>,
    who: Authed,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = CaseId::parse(&id).ok_or(ApiError::NotFound)?;
    let bundle = s
        .hotline
        .fhir_bundle(id, &who.0, Channel::Api, Some("fhir"), s.lang, Utc::now())
        .await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/fhir+json")],
        Json(bundle),
    )
        .into_response())
}

/// The printable record (HTML), an access-logged read.
#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/print",
    tag = "cases",
    params(CasePath),
    responses((status = 200, description = "The record as a printable page", content_type = "text/html", body = String))
)]
pub(super) async fn print_case(
    State(s): State<AppState>,
    who: Authed,
    Path(id): Path<String>,
) -> Result<Markup, ApiError> {
    let (case, events) = read_case(&s, &who, &id, Some("print")).await?;
    let names = s.hotline.names_in(&events).await?;
    Ok(render_case_html(
        s.hotline.localizer(),
        s.lang,
        &case,
        &events,
        &names,
    ))
}

/// The printable record's stylesheet (served at `/static/print.css`).
pub const PRINT_CSS: &str = "body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse;width:100%}\
                         td,th{border:1px solid #999;padding:.3em;vertical-align:top;text-align:left}\
                         pre{white-space:pre-wrap;background:#f5f5f5;padding:1em}.corr{color:#a00}\
                         .machine{margin-top:.3em;padding-left:.6em;border-left:3px solid #c90;font-style:italic}\
                         @media print{body{margin:0}}";

/// A printable page of one case's record, its authors by name. Every value
/// is escaped by maud.
pub fn render_case_html(
    loc: &Arc<Localizer>,
    lang: Lang,
    case: &CaseSummary,
    events: &[CaseEvent],
    names: &std::collections::HashMap<akutlinje_core::ids::PersonId, String>,
) -> Markup {
    let name =
        |p: &akutlinje_core::ids::PersonId| names.get(p).cloned().unwrap_or_else(|| p.to_string());
    let local = |t: chrono::DateTime<Utc>| {
        t.with_timezone(&Copenhagen)
            .format("%d.%m.%Y %H:%M:%S")
            .to_string()
    };
    let isbar = events.iter().rev().find_map(|e| match &e.event.kind {
        EventKind::IsbarComposed { isbar } => Some(isbar.render(loc, lang)),
        _ => None,
    });
    let t = |id: &str| loc.text(lang, id);
    let title = loc.render(lang, &Msg::new("print-title").arg("case", case.id));
    let mut meta = vec![
        Msg::new("print-home").arg("home", &case.home),
        Msg::new("print-opened").arg("at", local(case.opened_at)),
        Msg::new("print-channel").arg("channel", case.channel.as_str()),
        Msg::new("print-status").arg("status", case.status.as_str()),
    ];
    if let Some(u) = case.urgency {
        meta.push(Msg::new("print-urgency").arg_msg("urgency", u.label()));
    }
    let meta = meta
        .iter()
        .map(|m| loc.render(lang, m))
        .collect::<Vec<_>>()
        .join(" · ");
    let footer = loc.render(lang, &Msg::new("print-footer").arg("at", local(Utc::now())));
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                title { (title) }
                link rel="stylesheet" href="/static/print.css";
            }
            body {
                h1 { (title) }
                p { (meta) }
                @if let Some(i) = isbar { h2 { "ISBAR" } pre { (i) } }
                h2 { (t("print-journal")) }
                table {
                    tr {
                        th { "#" } th { (t("print-col-time")) } th { (t("print-col-by")) }
                        th { (t("print-col-channel")) } th { (t("print-col-event")) }
                    }
                    @for e in events {
                        tr class=[e.event.corrects.map(|_| "corr")] {
                            td { (e.seq) }
                            td { (local(e.event.at)) }
                            td {
                                @match (&e.event.author.person, e.event.author.role) {
                                    (Some(p), Some(r)) => { (name(p)) " (" (t(&format!("role-{}", r.as_str()))) ")" }
                                    (Some(p), None) => { (name(p)) }
                                    _ => { (t("print-system")) }
                                }
                            }
                            td { (e.event.channel.as_str()) }
                            td {
                                // The event in words; the record's JSON stays in the API.
                                (loc.render(lang, &e.event.kind.sentence_named(&name)))
                                @if let EventKind::AudioAttached { attachment, .. } = &e.event.kind {
                                    @for tr in akutlinje_core::sentences::transcripts_of(events, *attachment) {
                                        div class="machine" {
                                            (loc.render(lang, &Msg::new("print-machine-transcript").arg("text", tr)))
                                        }
                                    }
                                }
                                @if let Some(c) = e.event.corrects {
                                    br;
                                    (loc.render(lang, &Msg::new("print-corrects").arg("seq", c.to_string())))
                                }
                            }
                        }
                    }
                }
                p { small { (footer) } }
            }
        }
    }
}
