//! Changing the rota: cover (overrides), rotations and swaps, each form
//! checked by the scheduler's own rules and answered with what is wrong.

use akutlinje_core::rota::RotationId;
use akutlinje_scheduler::cover::{self, CoverError};

use super::*;

#[derive(Deserialize)]
pub(super) struct OverrideForm {
    csrf: String,
    service: String,
    week: String,
    tier: String,
    person: String,
    from: String,
    to: String,
}

pub(super) async fn add_override(
    State(s): State<AppState>,
    user: WebUser,
    Form(f): Form<OverrideForm>,
) -> Response {
    let lang = user.lang;
    if f.csrf != user.csrf {
        return (StatusCode::FORBIDDEN, t(&s, lang, "web-error-csrf")).into_response();
    }
    let monday = week_monday(Some(&f.week));
    let again = |error: String| {
        let s = s.clone();
        let service = f.service.clone();
        let user = &user;
        async move {
            match render_rota(&s, user, Some(&service), monday, None, Some(error)).await {
                Ok(m) => (StatusCode::UNPROCESSABLE_ENTITY, m).into_response(),
                Err(r) => r,
            }
        }
    };
    if !matches!(user.person.role, Role::Coordinator | Role::Admin) {
        return (
            StatusCode::FORBIDDEN,
            again(t(&s, lang, "web-error-forbidden")).await,
        )
            .into_response();
    }
    let (Ok(service), Ok(tier)) = (ServiceId::parse(&f.service), TierId::parse(&f.tier)) else {
        return again(t(&s, lang, "web-error-unknown-tier")).await;
    };
    let Ok(person) = PersonId::parse(&f.person) else {
        return again(t(&s, lang, "web-error-unknown-person")).await;
    };
    let (Some(from), Some(to)) = (parse_local(&f.from), parse_local(&f.to)) else {
        return again(t(&s, lang, "web-error-bad-time")).await;
    };
    let spec = OverrideSpec {
        id: 0,
        service: service.clone(),
        tier,
        person,
        replaces: None,
        from,
        to,
    };
    if let Err(e) = cover::add_override(s.store.as_ref(), s.store.as_ref(), &spec).await {
        return match refusal(&s, lang, e) {
            Ok(msg) => again(msg).await,
            Err(e) => e.into_response(),
        };
    }
    tracing::info!(person = %user.person.id, service = %service, "override added");
    Redirect::to(&format!(
        "/rota?service={service}&week={}&msg=added",
        f.week
    ))
    .into_response()
}

#[derive(Deserialize)]
pub(super) struct RemoveForm {
    csrf: String,
    service: String,
    week: String,
}

pub(super) async fn remove_override(
    State(s): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(f): Form<RemoveForm>,
) -> Response {
    if f.csrf != user.csrf {
        return (StatusCode::FORBIDDEN, t(&s, user.lang, "web-error-csrf")).into_response();
    }
    if !matches!(user.person.role, Role::Coordinator | Role::Admin) {
        return (
            StatusCode::FORBIDDEN,
            t(&s, user.lang, "web-error-forbidden"),
        )
            .into_response();
    }
    if let Err(e) = s.store.delete_override(id).await {
        return WebError::from(e).into_response();
    }
    let service = ServiceId::parse(&f.service)
        .map(|x| x.to_string())
        .unwrap_or_default();
    let week = week_label(week_monday(Some(&f.week)));
    Redirect::to(&format!("/rota?service={service}&week={week}&msg=removed")).into_response()
}

#[derive(Deserialize)]
pub(super) struct RotationForm {
    csrf: String,
    service: String,
    week: String,
    id: String,
    tier: String,
    layer: Option<u16>,
    members: String,
    shift_start: String,
    hours: Option<u32>,
    anchor: String,
}

/// Renders the rota again with a message naming what is wrong.
pub(super) async fn rota_form_error(
    s: &AppState,
    user: &WebUser,
    service: &str,
    week: &str,
    error: String,
) -> Response {
    match render_rota(
        s,
        user,
        Some(service),
        week_monday(Some(week)),
        None,
        Some(error),
    )
    .await
    {
        Ok(m) => (StatusCode::UNPROCESSABLE_ENTITY, m).into_response(),
        Err(r) => r,
    }
}

pub(super) async fn save_rotation(
    State(s): State<AppState>,
    user: WebUser,
    Form(f): Form<RotationForm>,
) -> Response {
    if let Err(r) = may_change(&s, &user, &f.csrf) {
        return r;
    }
    let lang = user.lang;
    let bad = |detail: String| {
        tm(
            &s,
            lang,
            Msg::new("web-error-bad-rotation").arg("detail", detail),
        )
    };
    let store = &s.store;
    let svc = match ServiceId::parse(&f.service) {
        Ok(id) => store.service(&id).await.ok().flatten(),
        Err(_) => None,
    };
    let Some(svc) = svc else {
        return rota_form_error(
            &s,
            &user,
            &f.service,
            &f.week,
            t(&s, lang, "web-error-unknown-tier"),
        )
        .await;
    };
    let tier = match TierId::parse(&f.tier) {
        Ok(x) if svc.tiers.contains(&x) => x,
        _ => {
            return rota_form_error(
                &s,
                &user,
                &f.service,
                &f.week,
                t(&s, lang, "web-error-unknown-tier"),
            )
            .await
        }
    };
    let Ok(id) = akutlinje_core::rota::RotationId::parse(&f.id) else {
        return rota_form_error(
            &s,
            &user,
            &f.service,
            &f.week,
            bad("id: a–z, 0–9, - or _".into()),
        )
        .await;
    };
    let mut members = Vec::new();
    for m in f
        .members
        .split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        match PersonId::parse(m) {
            Ok(p) if matches!(store.person(&p).await, Ok(Some(_))) => members.push(p),
            _ => {
                let msg = format!("{} ({m})", t(&s, lang, "web-error-unknown-person"));
                return rota_form_error(&s, &user, &f.service, &f.week, msg).await;
            }
        }
    }
    let Some(anchor) = parse_local(&f.anchor) else {
        return rota_form_error(
            &s,
            &user,
            &f.service,
            &f.week,
            t(&s, lang, "web-error-bad-time"),
        )
        .await;
    };
    let spec = akutlinje_core::rota::RotationSpec {
        id,
        service: svc.id.clone(),
        tier,
        layer: f.layer.unwrap_or(0),
        members,
        shift_start: f.shift_start.trim().to_string(),
        shift_minutes: f.hours.unwrap_or(0).saturating_mul(60),
        anchor,
        until: None,
    };
    // The scheduler's own parser checks the cron expression, the members and the length.
    if let Err(e) = akutlinje_scheduler::rota::Rotation::parse(spec.clone()) {
        return rota_form_error(&s, &user, &f.service, &f.week, bad(e.to_string())).await;
    }
    if let Err(e) = store.upsert_rotation(&spec).await {
        return WebError::from(e).into_response();
    }
    tracing::info!(person = %user.person.id, rotation = %spec.id, "rotation saved");
    back(&f.service, &f.week, "rotation-saved")
}

pub(super) async fn remove_rotation(
    State(s): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Form(f): Form<RemoveForm>,
) -> Response {
    if let Err(r) = may_change(&s, &user, &f.csrf) {
        return r;
    }
    let Ok(id) = akutlinje_core::rota::RotationId::parse(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if let Err(e) = s.store.delete_rotation(&id).await {
        return WebError::from(e).into_response();
    }
    back(&f.service, &f.week, "rotation-removed")
}

#[derive(Deserialize)]
pub(super) struct SwapForm {
    csrf: String,
    service: String,
    week: String,
    rotation: String,
    a: String,
    a_shift: String,
    b: String,
    b_shift: String,
}

pub(super) async fn add_swap(
    State(s): State<AppState>,
    user: WebUser,
    Form(f): Form<SwapForm>,
) -> Response {
    if let Err(r) = may_change(&s, &user, &f.csrf) {
        return r;
    }
    let lang = user.lang;
    let Ok(service) = ServiceId::parse(&f.service) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let error = |msg: String| rota_form_error(&s, &user, &f.service, &f.week, msg);
    let Ok(rotation) = RotationId::parse(&f.rotation) else {
        return error(t(&s, lang, "web-error-unknown-tier")).await;
    };
    let (Some(a_shift), Some(b_shift)) = (parse_local(&f.a_shift), parse_local(&f.b_shift)) else {
        return error(t(&s, lang, "web-error-bad-time")).await;
    };
    let (Ok(a), Ok(b)) = (PersonId::parse(&f.a), PersonId::parse(&f.b)) else {
        return error(t(&s, lang, "web-error-unknown-person")).await;
    };
    let swap = akutlinje_core::rota::SwapSpec {
        id: 0,
        rotation,
        a,
        a_shift,
        b,
        b_shift,
    };
    if let Err(e) = cover::add_swap(s.store.as_ref(), Some(&service), &swap).await {
        return match refusal(&s, lang, e) {
            Ok(msg) => error(msg).await,
            Err(e) => e.into_response(),
        };
    }
    back(&f.service, &f.week, "swap-saved")
}

pub(super) async fn remove_swap(
    State(s): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(f): Form<RemoveForm>,
) -> Response {
    if let Err(r) = may_change(&s, &user, &f.csrf) {
        return r;
    }
    if let Err(e) = s.store.delete_swap(id).await {
        return WebError::from(e).into_response();
    }
    back(&f.service, &f.week, "swap-removed")
}

/// The scheduler's refusal as a line on the form, or a failure to answer
/// as one (the database, a rotation that no longer parses).
fn refusal(s: &AppState, lang: Lang, e: CoverError) -> Result<String, WebError> {
    Ok(match e {
        CoverError::UnknownService(_)
        | CoverError::UnknownTier { .. }
        | CoverError::UnknownRotation(_) => t(s, lang, "web-error-unknown-tier"),
        CoverError::UnknownPerson(_) => t(s, lang, "web-error-unknown-person"),
        CoverError::EndBeforeStart => t(s, lang, "web-error-end-before-start"),
        CoverError::Overlap(_) => t(s, lang, "web-error-overlap"),
        CoverError::NotTheirShift { person, start } => tm(
            s,
            lang,
            Msg::new("web-error-not-their-shift")
                .arg("person", &person)
                .arg("start", hm(start)),
        ),
        CoverError::Corrupt { detail, .. } => return Err(WebError::Corrupt(detail)),
        CoverError::Store(e) => return Err(WebError::from(e)),
    })
}
