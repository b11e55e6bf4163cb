//! Cases: the list and the record (each an access-logged read), the
//! printable page, notes and corrections, the physician's answer to a page
//! and their decision.

use super::*;
use akutlinje_core::i18n::Msg;

#[derive(Deserialize)]
pub(super) struct CasesQuery {
    home: Option<String>,
    limit: Option<u32>,
}

pub(super) async fn list_cases(
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

pub(super) async fn get_case(
    State(s): State<AppState>,
    who: Authed,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (case, events) = read_case(&s, &who, &id, None).await?;
    Ok(Json(serde_json::json!({ "case": case, "events": events })))
}

#[derive(Deserialize)]
pub(super) struct NoteBody {
    text: String,
    corrects: Option<i64>,
}

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
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "seq": seq }))).into_response())
}

pub(super) async fn answer_page(
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
pub(super) struct DispositionBody {
    disposition: String,
    advice: Option<String>,
    /// Order a re-measurement in this many minutes with the decision.
    remeasure_minutes: Option<u32>,
}

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
        Json(serde_json::json!({ "seq": seq, "remeasure_due_at": due })),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RemeasureBody {
    minutes: u32,
}

/// A physician orders a re-measurement: `{"minutes": 60}`.
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
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "due_at": due })),
    )
        .into_response())
}

/// Staff confirm the physician's advice (read-back).
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
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "seq": seq }))).into_response())
}

pub(super) async fn ack_page(
    State(s): State<AppState>,
    who: Authed,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    answer_page(&s, &who, &id, false).await
}

pub(super) async fn decline_page(
    State(s): State<AppState>,
    who: Authed,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    answer_page(&s, &who, &id, true).await
}

/// The case as a FHIR R4 Bundle (`application/fhir+json`).
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
