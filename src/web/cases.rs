//! The cases: open and recent ones, and one case's record (an access-logged read).

use super::*;

pub(super) async fn cases_page(
    State(s): State<AppState>,
    user: WebUser,
    jar: CookieJar,
    Query(q): Query<LangQuery>,
) -> Response {
    let (jar, lang) = with_lang(jar, &q, user.lang);
    let home = if user.person.role.may_read_all_homes() {
        None
    } else {
        user.person.home.clone()
    };
    let cases = match s.store.cases(home.as_ref(), 500).await {
        Ok(v) => v,
        Err(e) => return WebError::from(e).into_response(),
    };
    let since = Utc::now() - Duration::days(30);
    let open: Vec<_> = cases
        .iter()
        .filter(|c| matches!(c.status, CaseStatus::Open | CaseStatus::Paged))
        .collect();
    let recent: Vec<_> = cases.iter().filter(|c| c.opened_at >= since).collect();
    let table = |list: &[&akutlinje_core::record::CaseSummary]| {
        html! {
            @if list.is_empty() { p.muted { (t(&s, lang, "web-cases-none")) } }
            @else {
                table {
                    tr { th { (t(&s, lang, "web-col-opened")) } th { (t(&s, lang, "web-col-home")) } th { (t(&s, lang, "web-col-urgency")) } th { (t(&s, lang, "web-col-status")) } }
                    @for c in list {
                        tr {
                            td { a href={ "/cases/" (c.id) } { (local_naive(c.opened_at).format("%d.%m.%Y %H:%M")) } }
                            td { (c.home) }
                            td { @if let Some(u) = c.urgency { (tm(&s, lang, u.label())) } }
                            td { (c.status.as_str()) }
                        }
                    }
                }
            }
        }
    };
    let body = html! {
        h2 { (t(&s, lang, "web-cases-open")) } (table(&open))
        h2 { (t(&s, lang, "web-cases-recent")) } (table(&recent))
    };
    let user = WebUser { lang, ..user };
    (
        jar,
        layout(&s, lang, &t(&s, lang, "web-cases-title"), Some(&user), body),
    )
        .into_response()
}

pub(super) async fn case_page(
    State(s): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = CaseId::parse(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match s
        .hotline
        .read_case(
            id,
            &user.person,
            akutlinje_core::record::Channel::Web,
            None,
            Utc::now(),
        )
        .await
    {
        Ok((case, events)) => {
            let names = match s.hotline.names_in(&events).await {
                Ok(n) => n,
                Err(e) => return WebError::from(e).into_response(),
            };
            crate::api::render_case_html(s.hotline.localizer(), user.lang, &case, &events, &names)
                .into_response()
        }
        Err(akutlinje_core::service::ServiceError::UnknownCase) => {
            StatusCode::NOT_FOUND.into_response()
        }
        Err(e) => WebError::from(e).into_response(),
    }
}

/// A personal video link: records who opened it, then sends them to the
/// case's video room. The token is the credential (122 random bits, one per
/// person and offer); an unknown one is a plain 404.
pub(super) async fn open_video(State(s): State<AppState>, Path(token): Path<String>) -> Response {
    match s.hotline.open_video(&token, Utc::now()).await {
        Ok(Some(url)) => Redirect::to(&url).into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => WebError::from(e).into_response(),
    }
}
