//! The homes and the Matrix rooms bound to them.

use super::*;

#[derive(Deserialize, Default)]
pub(super) struct HomesQuery {
    msg: Option<String>,
    lang: Option<String>,
}

/// The homes and the Matrix rooms bound to them: the only rooms where the
/// bot shows a home's resident data. Coordinators and admins bind rooms.
pub(super) async fn homes_page(
    State(s): State<AppState>,
    user: WebUser,
    jar: CookieJar,
    Query(q): Query<HomesQuery>,
) -> Response {
    let (jar, lang) = with_lang(
        jar,
        &LangQuery {
            lang: q.lang.clone(),
        },
        user.lang,
    );
    let user = WebUser { lang, ..user };
    match render_homes(&s, &user, q.msg.as_deref().map(|m| t(&s, lang, m)), None).await {
        Ok(m) => (jar, m).into_response(),
        Err(r) => r,
    }
}

pub(super) async fn render_homes(
    s: &AppState,
    user: &WebUser,
    msg: Option<String>,
    error: Option<String>,
) -> Result<Markup, Response> {
    let lang = user.lang;
    if !matches!(user.person.role, Role::Coordinator | Role::Admin) {
        return Err((StatusCode::FORBIDDEN, t(s, lang, "web-error-forbidden")).into_response());
    }
    let store = &s.store;
    let homes = store
        .homes()
        .await
        .map_err(|e| WebError::from(e).into_response())?;
    let rooms = store
        .home_rooms(None)
        .await
        .map_err(|e| WebError::from(e).into_response())?;
    let mut alternatives = Vec::new();
    for h in &homes {
        let list = store
            .alternatives(&h.id)
            .await
            .map_err(|e| WebError::from(e).into_response())?;
        alternatives.push((h, list));
    }
    let body = html! {
        @if let Some(m) = msg { p.msg role="status" { (m) } }
        @if let Some(e) = error { p.err role="alert" { (e) } }
        p { (t(s, lang, "web-homes-intro")) }
        table #home-rooms {
            tr { th { (t(s, lang, "web-col-home")) } th { (t(s, lang, "web-homes-rooms")) } }
            @for h in &homes {
                tr {
                    td { (h.name) " (" (h.id) ")" }
                    td {
                        @for r in rooms.iter().filter(|r| r.home == h.id) {
                            div.seg {
                                code { (r.room) } " "
                                form.inline method="post" action="/homes/rooms/unbind" {
                                    input type="hidden" name="csrf" value=(user.csrf);
                                    input type="hidden" name="room" value=(r.room);
                                    button type="submit" { (t(s, lang, "web-homes-unbind")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { (t(s, lang, "web-homes-bind")) }
        form.stack method="post" action="/homes/rooms" {
            input type="hidden" name="csrf" value=(user.csrf);
            label { (t(s, lang, "web-col-home")) br;
                select name="home" { @for h in &homes { option value=(h.id) { (h.name) } } }
            }
            label { (t(s, lang, "web-homes-room-id")) br; input name="room" placeholder="!abc:matrix.region.dk" required; }
            button type="submit" { (t(s, lang, "web-homes-bind")) }
        }
        h2 { (t(s, lang, "web-alternatives-title")) }
        p { (t(s, lang, "web-alternatives-intro")) }
        @for (h, list) in &alternatives {
            section.alternatives id={ "alternatives-" (h.id) } {
                h3 { (h.name) }
                @if list.is_empty() {
                    p.muted { (t(s, lang, "web-alternatives-none")) }
                } @else {
                    table {
                        tr {
                            th { (t(s, lang, "web-alternatives-kind")) } th { (t(s, lang, "web-alternatives-name")) }
                            th { (t(s, lang, "web-alternatives-phone")) } th { (t(s, lang, "web-alternatives-hours")) }
                            th { (t(s, lang, "web-alternatives-services")) }
                        }
                        @for a in list {
                            tr {
                                td { (s.hotline.localizer().render(lang, &a.kind.label())) } td { (a.name) }
                                td { (a.phone.e164()) } td { (a.hours) } td { (a.services) }
                            }
                        }
                    }
                }
                form.stack method="post" action="/homes/alternatives" {
                    input type="hidden" name="csrf" value=(user.csrf);
                    input type="hidden" name="home" value=(h.id);
                    label { (t(s, lang, "web-alternatives-edit")) br;
                        textarea name="csv" rows="5" cols="100" {
                            (akutlinje_core::alternatives::to_csv(&h.id, list))
                        }
                    }
                    button type="submit" { (t(s, lang, "web-alternatives-save")) }
                }
            }
        }
    };
    Ok(layout(
        s,
        lang,
        &t(s, lang, "web-nav-homes"),
        Some(user),
        body,
    ))
}

#[derive(Deserialize)]
pub(super) struct BindForm {
    csrf: String,
    home: String,
    room: String,
}

pub(super) async fn bind_room(
    State(s): State<AppState>,
    user: WebUser,
    Form(f): Form<BindForm>,
) -> Response {
    if let Err(r) = may_change(&s, &user, &f.csrf) {
        return r;
    }
    let lang = user.lang;
    let store = &s.store;
    let home = match akutlinje_core::ids::HomeId::parse(&f.home) {
        Ok(h) if matches!(store.home(&h).await, Ok(Some(_))) => h,
        _ => {
            return error_page(&s, &user, t(&s, lang, "web-homes-unknown-home")).await;
        }
    };
    let room = match akutlinje_core::ids::MatrixRoomId::parse(&f.room) {
        Ok(r) => r,
        Err(e) => return error_page(&s, &user, e.to_string()).await,
    };
    let bound = akutlinje_core::person::HomeRoom {
        room,
        home,
        bound_by: Some(user.person.id.clone()),
        bound_at: Utc::now(),
    };
    if let Err(e) = store.bind_room(&bound).await {
        return WebError::from(e).into_response();
    }
    tracing::info!(person = %user.person.id, room = %bound.room, home = %bound.home, "room bound");
    Redirect::to("/homes?msg=web-homes-bound").into_response()
}

#[derive(Deserialize)]
pub(super) struct AlternativesForm {
    csrf: String,
    home: String,
    csv: String,
}

/// Saves a home's alternatives from the page's CSV; every problem is shown
/// with its line and field, and nothing is stored then.
pub(super) async fn save_alternatives(
    State(s): State<AppState>,
    user: WebUser,
    Form(f): Form<AlternativesForm>,
) -> Response {
    if let Err(r) = may_change(&s, &user, &f.csrf) {
        return r;
    }
    let lang = user.lang;
    let home = match akutlinje_core::ids::HomeId::parse(&f.home) {
        Ok(h) if matches!(s.store.home(&h).await, Ok(Some(_))) => h,
        _ => return error_page(&s, &user, t(&s, lang, "web-homes-unknown-home")).await,
    };
    let rows = match akutlinje_core::alternatives::parse_csv(&f.csv) {
        Ok(rows) => rows,
        Err(problems) => {
            let said: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
            return error_page(&s, &user, said.join("; ")).await;
        }
    };
    if let Some((other, _)) = rows.iter().find(|(h, _)| *h != home) {
        return error_page(
            &s,
            &user,
            format!(
                "{}: {other} ≠ {home}",
                t(&s, lang, "web-alternatives-other-home")
            ),
        )
        .await;
    }
    let list: Vec<_> = rows.into_iter().map(|(_, a)| a).collect();
    if let Err(e) = s.store.replace_alternatives(&home, &list).await {
        return WebError::from(e).into_response();
    }
    tracing::info!(person = %user.person.id, home = %home, count = list.len(), "municipal alternatives saved");
    Redirect::to("/homes?msg=web-alternatives-saved").into_response()
}

pub(super) async fn error_page(s: &AppState, user: &WebUser, error: String) -> Response {
    match render_homes(s, user, None, Some(error)).await {
        Ok(m) => (StatusCode::UNPROCESSABLE_ENTITY, m).into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
pub(super) struct UnbindForm {
    csrf: String,
    room: String,
}

pub(super) async fn unbind_room(
    State(s): State<AppState>,
    user: WebUser,
    Form(f): Form<UnbindForm>,
) -> Response {
    if let Err(r) = may_change(&s, &user, &f.csrf) {
        return r;
    }
    let Ok(room) = akutlinje_core::ids::MatrixRoomId::parse(&f.room) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if let Err(e) = s.store.unbind_room(&room).await {
        return WebError::from(e).into_response();
    }
    tracing::info!(person = %user.person.id, room = %room, "room unbound");
    Redirect::to("/homes?msg=web-homes-unbound").into_response()
}
