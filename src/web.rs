//! The coordinators' web pages: log-in, the week's rota with its gaps, cover
//! (overrides), cases, and the pilot's figures. Server-rendered (maud escapes
//! every value), no JavaScript, Danish by default (`?lang=en` switches).
//!
//! Security: passwords are argon2 hashes; the session cookie is random,
//! HttpOnly, SameSite=Strict and Secure behind https, and only its SHA-256
//! is stored; a changed password ends every session; every form that
//! changes something carries the session's CSRF token; failed log-ins are
//! slowed down by source and account, never locked out (see `login`).

use std::collections::BTreeMap;

use akutlinje_core::i18n::{Lang, Msg};
use akutlinje_core::ids::{CaseId, PersonId};
use akutlinje_core::person::{Person, Role};
use akutlinje_core::record::{CaseStatus, EventKind};
use akutlinje_core::rota::{OverrideSpec, Service, ServiceId, TierId};
use akutlinje_core::store::LoginGate;
use akutlinje_scheduler::rota::{instant, local_naive, Rota};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

use crate::auth::{hash_token, new_token};
use crate::http::AppState;

const SESSION_COOKIE: &str = "akl_session";
const LANG_COOKIE: &str = "akl_lang";
const SESSION_HOURS: i64 = 12;

/// Hashes a password with argon2id (for `akutlinje people password` and the demo).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// The web routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/rota") }))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/rota", get(rota_page))
        .route("/rota/month", get(month_page))
        .route("/rota/overrides", post(add_override))
        .route("/rota/overrides/{id}/delete", post(remove_override))
        .route("/rota/rotations", post(save_rotation))
        .route("/rota/rotations/{id}/delete", post(remove_rotation))
        .route("/rota/swaps", post(add_swap))
        .route("/rota/swaps/{id}/delete", post(remove_swap))
        .route("/cases", get(cases_page))
        .route("/cases/{id}", get(case_page))
        .route("/figures", get(figures_page))
        .route("/homes", get(homes_page))
        .route("/homes/rooms", post(bind_room))
        .route("/homes/rooms/unbind", post(unbind_room))
        .route("/static/app.css", get(|| async { css(CSS) }))
        .route(
            "/static/print.css",
            get(|| async { css(crate::http::PRINT_CSS) }),
        )
}

/// A signed-in person, from the session cookie. Pages that take it redirect
/// to the log-in page without one.
pub struct WebUser {
    pub person: Person,
    csrf: String,
    lang: Lang,
}

impl FromRequestParts<AppState> for WebUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let lang = lang_of(&jar, state.lang);
        let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) else {
            return Err(Redirect::to("/login").into_response());
        };
        match state
            .hotline
            .store()
            .session(&hash_token(&token), Utc::now())
            .await
        {
            Ok(Some((person, csrf))) => Ok(WebUser { person, csrf, lang }),
            Ok(None) => Err(Redirect::to("/login").into_response()),
            Err(e) => {
                tracing::error!(error = %e, "session look-up failed");
                Err(StatusCode::SERVICE_UNAVAILABLE.into_response())
            }
        }
    }
}

fn lang_of(jar: &CookieJar, default: Lang) -> Lang {
    jar.get(LANG_COOKIE)
        .and_then(|c| Lang::parse(c.value()))
        .unwrap_or(default)
}

#[derive(Deserialize, Default)]
struct LangQuery {
    lang: Option<String>,
}

/// Applies `?lang=` (remembered in a cookie).
fn with_lang(jar: CookieJar, q: &LangQuery, current: Lang) -> (CookieJar, Lang) {
    match q.lang.as_deref().and_then(Lang::parse) {
        Some(l) => {
            let mut c = Cookie::new(LANG_COOKIE, l.tag());
            c.set_path("/");
            c.set_same_site(SameSite::Lax);
            (jar.add(c), l)
        }
        None => (jar, current),
    }
}

fn t(s: &AppState, lang: Lang, id: &str) -> String {
    s.hotline.localizer().text(lang, id)
}

fn tm(s: &AppState, lang: Lang, m: Msg) -> String {
    s.hotline.localizer().render(lang, &m)
}

fn layout(s: &AppState, lang: Lang, title: &str, user: Option<&WebUser>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – " (t(s, lang, "web-title")) }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                header {
                    strong { (t(s, lang, "web-title")) }
                    @if let Some(u) = user {
                        nav {
                            a href="/rota" { (t(s, lang, "web-nav-rota")) }
                            a href="/cases" { (t(s, lang, "web-nav-cases")) }
                            a href="/figures" { (t(s, lang, "web-nav-figures")) }
                            @if matches!(u.person.role, Role::Coordinator | Role::Admin) {
                                a href="/homes" { (t(s, lang, "web-nav-homes")) }
                            }
                        }
                        span.who { (tm(s, lang, Msg::new("web-signed-in-as").arg("name", &u.person.name).arg_msg("role", Msg::new(format!("role-{}", u.person.role.as_str()))))) }
                        form.inline method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(u.csrf);
                            button type="submit" { (t(s, lang, "web-logout")) }
                        }
                    }
                    span.lang { a href="?lang=da" { "Dansk" } " · " a href="?lang=en" { "English" } }
                }
                main { h1 { (title) } (body) }
            }
        }
    }
}

/// A stylesheet: served as a file so the pages' Content-Security-Policy
/// can forbid inline styles.
fn css(text: &'static str) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        text,
    )
        .into_response()
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#222}header{display:flex;gap:1.5em;align-items:center;\
padding:.6em 1em;background:#0b3d5c;color:#fff}header a{color:#fff}nav a{margin-right:1em}.who{margin-left:auto}\
.inline{display:inline}main{padding:1em 1.5em;max-width:90em}table{border-collapse:collapse;width:100%}\
td,th{border:1px solid #bbb;padding:.35em;vertical-align:top;text-align:left}th{background:#eef3f6}\
.gap{background:#c62828;color:#fff;padding:.1em .3em;margin:.1em 0;border-radius:3px}.seg{padding:.1em 0}\
.ovr{font-style:italic}.msg{background:#e8f5e9;padding:.5em}.err{background:#ffebee;color:#b71c1c;padding:.5em}\
form.stack label{display:block;margin:.4em 0}button{padding:.3em .8em}.bar{fill:#0b3d5c}.muted{color:#777}";

#[derive(Deserialize)]
struct LoginForm {
    person: String,
    password: String,
}

async fn login_page(
    State(s): State<AppState>,
    jar: CookieJar,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = lang_of(&jar, s.lang);
    let (jar, lang) = with_lang(jar, &q, lang);
    (jar, login_markup(&s, lang, None)).into_response()
}

fn login_markup(s: &AppState, lang: Lang, error: Option<String>) -> Markup {
    layout(
        s,
        lang,
        &t(s, lang, "web-login-title"),
        None,
        html! {
            @if let Some(e) = error { p.err role="alert" { (e) } }
            form.stack method="post" action="/login" {
                label { (t(s, lang, "web-login-person")) br; input name="person" autocomplete="username" required; }
                label { (t(s, lang, "web-login-password")) br; input name="password" type="password" autocomplete="current-password" required; }
                button type="submit" { (t(s, lang, "web-login-submit")) }
            }
        },
    )
}

async fn login(
    State(s): State<AppState>,
    source: crate::login::Source,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> Response {
    let lang = lang_of(&jar, s.lang);
    let store = s.hotline.store();
    let now = Utc::now();
    let page = |status: StatusCode, msg: String| {
        (status, login_markup(&s, lang, Some(msg))).into_response()
    };
    let pid = PersonId::parse(&f.person).ok();
    let wait = |until: DateTime<Utc>| {
        let seconds = (until - now).num_seconds().max(1);
        let mut r = page(
            StatusCode::TOO_MANY_REQUESTS,
            tm(
                &s,
                lang,
                Msg::new("web-login-wait")
                    .arg("seconds", seconds)
                    .arg("until", local_naive(until).format("%H:%M:%S").to_string()),
            ),
        );
        if let Ok(v) = axum::http::HeaderValue::from_str(&seconds.to_string()) {
            r.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        r
    };
    let guard = &s.web.login;
    let usual = match &pid {
        Some(p) => match guard.cached_usual(p, &source) {
            Some(u) => u,
            None => match store
                .known_login_source(
                    p,
                    &source.0,
                    now - Duration::days(crate::login::USUAL_SOURCE_DAYS),
                )
                .await
            {
                Ok(u) => {
                    guard.remember_usual(p, &source, u);
                    u
                }
                Err(e) => {
                    tracing::error!(error = %e, "log-in source look-up failed");
                    return StatusCode::SERVICE_UNAVAILABLE.into_response();
                }
            },
        },
        None => false,
    };
    // Held back already: refused in memory, without touching the database
    // the hotline writes to (the database is asked when memory does not know).
    if let Some(until) = guard.held_until(&source.keys(pid.as_ref(), usual), now) {
        return wait(until);
    }
    // Counted before the password is checked: parallel guesses all count.
    match store
        .login_attempt(&source.keys(pid.as_ref(), usual), now)
        .await
    {
        Ok(LoginGate::Go) => {}
        Ok(LoginGate::Wait { until, key }) => {
            tracing::warn!(person = ?pid.as_ref().map(PersonId::as_str), "log-in held back by the throttle");
            s.web.login.hold(key, until, now);
            return wait(until);
        }
        Err(e) => {
            tracing::error!(error = %e, "log-in throttle failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    let Some(permit) = s.web.login.try_permit(usual) else {
        let mut r = page(StatusCode::TOO_MANY_REQUESTS, t(&s, lang, "web-login-busy"));
        r.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("1"),
        );
        return r;
    };
    let Some(pid) = pid else {
        drop(permit);
        return page(StatusCode::UNAUTHORIZED, t(&s, lang, "web-login-failed"));
    };
    let hash = store.password_hash(&pid).await.ok().flatten();
    let password = f.password.clone();
    // Verify even without a stored hash, so timing does not tell who exists.
    let ok = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        match hash {
            Some(h) => verify_password(&password, &h),
            None => {
                let _ = verify_password(&password, &DUMMY_HASH);
                false
            }
        }
    })
    .await
    .unwrap_or(false);
    if !ok {
        tracing::warn!(person = %pid, "failed log-in");
        return page(StatusCode::UNAUTHORIZED, t(&s, lang, "web-login-failed"));
    }
    let token = new_token();
    let csrf = new_token();
    let created = store
        .create_session(
            &hash_token(&token),
            &pid,
            &csrf,
            now,
            now + Duration::hours(SESSION_HOURS),
        )
        .await;
    // This source's counts start again; an attack on the account from
    // elsewhere keeps its own.
    let reset: Vec<String> = source
        .keys(Some(&pid), true)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    if created.is_err()
        || store
            .login_succeeded(&pid, &source.0, &reset, now)
            .await
            .is_err()
    {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    s.web.login.remember_usual(&pid, &source, true);
    tracing::info!(person = %pid, "signed in");
    let mut c = Cookie::new(SESSION_COOKIE, token);
    c.set_http_only(true);
    c.set_same_site(SameSite::Strict);
    c.set_secure(s.web.secure_cookies);
    c.set_path("/");
    (jar.add(c), Redirect::to("/rota")).into_response()
}

/// An argon2 hash of a random string, verified when a person has none.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password(&new_token()).unwrap_or_default());

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    State(s): State<AppState>,
    user: WebUser,
    jar: CookieJar,
    Form(f): Form<CsrfForm>,
) -> Response {
    if f.csrf != user.csrf {
        return (StatusCode::FORBIDDEN, t(&s, user.lang, "web-error-csrf")).into_response();
    }
    if let Some(c) = jar.get(SESSION_COOKIE) {
        let _ = s
            .hotline
            .store()
            .delete_session(&hash_token(c.value()))
            .await;
    }
    (
        jar.remove(Cookie::build(SESSION_COOKIE).path("/")),
        Redirect::to("/login"),
    )
        .into_response()
}

#[derive(Deserialize, Default)]
struct RotaQuery {
    service: Option<String>,
    week: Option<String>,
    msg: Option<String>,
    lang: Option<String>,
}

/// Monday of an ISO week "2026-W48", or of this week.
fn week_monday(week: Option<&str>) -> NaiveDate {
    let parsed = week.and_then(|w| {
        let (y, n) = w.split_once("-W")?;
        let y: i32 = y.parse().ok()?;
        if !akutlinje_scheduler::rota::YEARS.contains(&y) {
            return None;
        }
        NaiveDate::from_isoywd_opt(y, n.parse().ok()?, chrono::Weekday::Mon)
    });
    parsed.unwrap_or_else(|| {
        let today = local_naive(Utc::now()).date();
        today - Duration::days(i64::from(today.weekday().num_days_from_monday()))
    })
}

fn week_label(monday: NaiveDate) -> String {
    let w = monday.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    instant(d.and_hms_opt(0, 0, 0).unwrap_or_default())
}

fn hm(t: DateTime<Utc>) -> String {
    local_naive(t).format("%H:%M").to_string()
}

async fn rota_page(
    State(s): State<AppState>,
    user: WebUser,
    jar: CookieJar,
    Query(q): Query<RotaQuery>,
) -> Response {
    let (jar, lang) = with_lang(
        jar,
        &LangQuery {
            lang: q.lang.clone(),
        },
        user.lang,
    );
    let user = WebUser { lang, ..user };
    let monday = week_monday(q.week.as_deref());
    let msg = q.msg.as_deref().and_then(|m| match m {
        "added" => Some(t(&s, lang, "web-override-added")),
        "removed" => Some(t(&s, lang, "web-override-removed")),
        "rotation-saved" => Some(t(&s, lang, "web-rotation-saved")),
        "rotation-removed" => Some(t(&s, lang, "web-rotation-removed")),
        "swap-saved" => Some(t(&s, lang, "web-swap-saved")),
        "swap-removed" => Some(t(&s, lang, "web-swap-removed")),
        _ => None,
    });
    match render_rota(&s, &user, q.service.as_deref(), monday, msg, None).await {
        Ok(m) => (jar, m).into_response(),
        Err(r) => r,
    }
}

async fn render_rota(
    s: &AppState,
    user: &WebUser,
    service: Option<&str>,
    monday: NaiveDate,
    msg: Option<String>,
    error: Option<String>,
) -> Result<Markup, Response> {
    let lang = user.lang;
    if user.person.role == Role::Staff {
        return Err(Redirect::to("/cases").into_response());
    }
    let store = s.hotline.store();
    let services = store
        .services()
        .await
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE.into_response())?;
    let chosen: Option<&Service> = match service.and_then(|x| ServiceId::parse(x).ok()) {
        Some(id) => services.iter().find(|x| x.id == id),
        None => services.first(),
    };
    let Some(svc) = chosen else {
        return Ok(layout(
            s,
            lang,
            &t(s, lang, "web-nav-rota"),
            Some(user),
            html! { p { (t(s, lang, "web-no-service")) } },
        ));
    };
    let spec = store
        .rota(&svc.id)
        .await
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE.into_response())?;
    let rota = Rota::parse(spec.clone())
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response())?;
    let people = store
        .people()
        .await
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE.into_response())?;
    let name = |p: &PersonId| {
        people
            .iter()
            .find(|x| &x.id == p)
            .map_or_else(|| p.to_string(), |x| x.name.to_string())
    };
    let (from, to) = (midnight(monday), midnight(monday + Duration::days(7)));
    let days: Vec<NaiveDate> = (0..7).map(|i| monday + Duration::days(i)).collect();
    let week = week_label(monday);
    let may_edit = matches!(user.person.role, Role::Coordinator | Role::Admin);
    let mut gap_minutes = 0;
    let mut rows = Vec::new();
    for tier in &svc.tiers {
        let segs = rota.resolve(tier, from, to);
        let gaps = rota.gaps(tier, from, to);
        gap_minutes += gaps.iter().map(|g| g.minutes()).sum::<i64>();
        let cells: Vec<Markup> = days
            .iter()
            .map(|d| {
                let (a, b) = (midnight(*d), midnight(*d + Duration::days(1)));
                let mut items: Vec<(DateTime<Utc>, Markup)> = Vec::new();
                for x in segs.iter().filter(|x| x.start < b && x.end > a) {
                    let (st, en) = (x.start.max(a), x.end.min(b));
                    let is_override = matches!(x.source, akutlinje_scheduler::rota::Source::Override { .. });
                    items.push((st, html! { div.seg.ovr[is_override] { (hm(st)) "–" (if en == b { "24:00".to_string() } else { hm(en) }) " " (name(&x.person)) } }));
                }
                for g in gaps.iter().filter(|g| g.start < b && g.end > a) {
                    let (st, en) = (g.start.max(a), g.end.min(b));
                    items.push((st, html! { div.gap { (hm(st)) "–" (if en == b { "24:00".to_string() } else { hm(en) }) " " (t(s, lang, "web-rota-gap")) } }));
                }
                items.sort_by_key(|(st, _)| *st);
                html! { td { @for (_, m) in &items { (m) } } }
            })
            .collect();
        rows.push(html! { tr { th { (tier) } @for c in &cells { (c) } } });
    }
    let overrides: Vec<&OverrideSpec> = spec
        .overrides
        .iter()
        .filter(|o| o.from < to && o.to > from)
        .collect();
    let prev = week_label(monday - Duration::days(7));
    let next = week_label(monday + Duration::days(7));
    let dt_local = |t: DateTime<Utc>| local_naive(t).format("%d.%m. %H:%M").to_string();
    let body = html! {
        @if let Some(m) = msg { p.msg role="status" { (m) } }
        @if let Some(e) = &error { p.err role="alert" { (e) } }
        p {
            @for x in &services { a href={ "/rota?service=" (x.id) "&week=" (week) } { (x.name) } " " }
        }
        p {
            a href={ "/rota?service=" (svc.id) "&week=" (prev) } { (t(s, lang, "web-rota-prev")) } " · "
            strong { (tm(s, lang, Msg::new("web-rota-week").arg("week", &week))) } " · "
            a href={ "/rota?service=" (svc.id) "&week=" (next) } { (t(s, lang, "web-rota-next")) } " · "
            a href={ "/rota/month?service=" (svc.id) "&month=" (monday.format("%Y-%m")) } { (t(s, lang, "web-view-month")) }
        }
        table #rota {
            tr {
                th { (t(s, lang, "web-rota-tier")) }
                @for d in &days { th { (t(s, lang, &format!("web-weekday-{}", d.weekday().number_from_monday()))) " " (d.format("%d.%m.")) } }
            }
            @for r in &rows { (r) }
        }
        p #gaps-summary {
            @if gap_minutes == 0 { (t(s, lang, "web-rota-no-gaps")) }
            @else { span.gap { (tm(s, lang, Msg::new("web-rota-gaps-summary").arg("minutes", gap_minutes))) } }
        }
        h2 { (t(s, lang, "web-override-title")) }
        @if overrides.is_empty() { p.muted { (t(s, lang, "web-override-none")) } }
        ul {
            @for o in &overrides {
                li {
                    (o.tier) ": " (name(&o.person)) " " (dt_local(o.from)) "–" (dt_local(o.to))
                    @if may_edit {
                        " "
                        form.inline method="post" action={ "/rota/overrides/" (o.id) "/delete" } {
                            input type="hidden" name="csrf" value=(user.csrf);
                            input type="hidden" name="service" value=(svc.id);
                            input type="hidden" name="week" value=(week);
                            button type="submit" { (t(s, lang, "web-override-remove")) }
                        }
                    }
                }
            }
        }
        @if may_edit {
            form.stack #add-override method="post" action="/rota/overrides" {
                input type="hidden" name="csrf" value=(user.csrf);
                input type="hidden" name="service" value=(svc.id);
                input type="hidden" name="week" value=(week);
                label { (t(s, lang, "web-override-tier")) br;
                    select name="tier" { @for tier in &svc.tiers { option value=(tier) { (tier) } } } }
                label { (t(s, lang, "web-override-person")) br;
                    select name="person" { @for p in people.iter().filter(|p| p.role != Role::Staff) { option value=(p.id) { (p.name) " (" (p.id) ")" } } } }
                label { (t(s, lang, "web-override-from")) br; input type="datetime-local" name="from" required; }
                label { (t(s, lang, "web-override-to")) br; input type="datetime-local" name="to" required; }
                button type="submit" { (t(s, lang, "web-override-add")) }
            }
        }
    };
    let admin = if may_edit {
        html! {
            h2 { (t(s, lang, "web-rotations-title")) }
            table #rotations {
                @for r in &spec.rotations {
                    tr {
                        td { (r.id) } td { (r.tier) } td { "lag " (r.layer) }
                        td { (r.members.iter().map(&name).collect::<Vec<_>>().join(", ")) }
                        td { code { (r.shift_start) } " · " (r.shift_minutes / 60) " t" }
                        td {
                            form.inline method="post" action={ "/rota/rotations/" (r.id) "/delete" } {
                                input type="hidden" name="csrf" value=(user.csrf);
                                input type="hidden" name="service" value=(svc.id);
                                input type="hidden" name="week" value=(week);
                                button type="submit" { (t(s, lang, "web-override-remove")) }
                            }
                        }
                    }
                }
            }
            form.stack #save-rotation method="post" action="/rota/rotations" {
                input type="hidden" name="csrf" value=(user.csrf);
                input type="hidden" name="service" value=(svc.id);
                input type="hidden" name="week" value=(week);
                label { (t(s, lang, "web-rotation-id")) br; input name="id" required; }
                label { (t(s, lang, "web-override-tier")) br;
                    select name="tier" { @for tier in &svc.tiers { option value=(tier) { (tier) } } } }
                label { (t(s, lang, "web-rotation-layer")) br; input name="layer" type="number" min="0" value="0"; }
                label { (t(s, lang, "web-rotation-members")) br; input name="members" required; }
                label { (t(s, lang, "web-rotation-cron")) br; input name="shift_start" value="0 0 16 * * Mon-Fri" required; }
                label { (t(s, lang, "web-rotation-hours")) br; input name="hours" type="number" min="1" max="168" value="16"; }
                label { (t(s, lang, "web-rotation-anchor")) br; input name="anchor" type="datetime-local" required; }
                button type="submit" { (t(s, lang, "web-rotation-save")) }
            }
            h2 { (t(s, lang, "web-swaps-title")) }
            @if spec.swaps.is_empty() { p.muted { (t(s, lang, "web-swap-none")) } }
            ul {
                @for w in &spec.swaps {
                    li {
                        (w.rotation) ": " (name(&w.a)) " " (dt_local(w.a_shift)) " ⇄ " (name(&w.b)) " " (dt_local(w.b_shift)) " "
                        form.inline method="post" action={ "/rota/swaps/" (w.id) "/delete" } {
                            input type="hidden" name="csrf" value=(user.csrf);
                            input type="hidden" name="service" value=(svc.id);
                            input type="hidden" name="week" value=(week);
                            button type="submit" { (t(s, lang, "web-override-remove")) }
                        }
                    }
                }
            }
            form.stack #add-swap method="post" action="/rota/swaps" {
                input type="hidden" name="csrf" value=(user.csrf);
                input type="hidden" name="service" value=(svc.id);
                input type="hidden" name="week" value=(week);
                label { (t(s, lang, "web-swap-rotation")) br;
                    select name="rotation" { @for r in &spec.rotations { option value=(r.id) { (r.id) } } } }
                label { (t(s, lang, "web-swap-a")) br; input name="a" required; }
                label { (t(s, lang, "web-swap-a-shift")) br; input name="a_shift" type="datetime-local" required; }
                label { (t(s, lang, "web-swap-b")) br; input name="b" required; }
                label { (t(s, lang, "web-swap-b-shift")) br; input name="b_shift" type="datetime-local" required; }
                button type="submit" { (t(s, lang, "web-swap-save")) }
            }
        }
    } else {
        html! {}
    };
    let body = html! { (body) (admin) };
    Ok(layout(
        s,
        lang,
        &tm(
            s,
            lang,
            Msg::new("web-rota-title").arg("service", &svc.name),
        ),
        Some(user),
        body,
    ))
}

#[derive(Deserialize)]
struct OverrideForm {
    csrf: String,
    service: String,
    week: String,
    tier: String,
    person: String,
    from: String,
    to: String,
}

fn parse_local(s: &str) -> Option<DateTime<Utc>> {
    akutlinje_scheduler::rota::parse_time(s)
}

async fn add_override(
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
    let store = s.hotline.store();
    let Ok(service) = ServiceId::parse(&f.service) else {
        return again(t(&s, lang, "web-error-unknown-tier")).await;
    };
    let Ok(Some(svc)) = store.service(&service).await else {
        return again(t(&s, lang, "web-error-unknown-tier")).await;
    };
    let tier = match TierId::parse(&f.tier) {
        Ok(x) if svc.tiers.contains(&x) => x,
        _ => return again(t(&s, lang, "web-error-unknown-tier")).await,
    };
    let person = match PersonId::parse(&f.person) {
        Ok(p) if matches!(store.person(&p).await, Ok(Some(_))) => p,
        _ => return again(t(&s, lang, "web-error-unknown-person")).await,
    };
    let (Some(from), Some(to)) = (parse_local(&f.from), parse_local(&f.to)) else {
        return again(t(&s, lang, "web-error-bad-time")).await;
    };
    if to <= from {
        return again(t(&s, lang, "web-error-end-before-start")).await;
    }
    let existing = match store.rota(&service).await {
        Ok(r) => r.overrides,
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    if existing
        .iter()
        .any(|o| o.tier == tier && o.from < to && o.to > from)
    {
        return again(t(&s, lang, "web-error-overlap")).await;
    }
    if store
        .add_override(&OverrideSpec {
            id: 0,
            service: service.clone(),
            tier,
            person,
            replaces: None,
            from,
            to,
        })
        .await
        .is_err()
    {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    tracing::info!(person = %user.person.id, service = %service, "override added");
    Redirect::to(&format!(
        "/rota?service={service}&week={}&msg=added",
        f.week
    ))
    .into_response()
}

#[derive(Deserialize)]
struct RemoveForm {
    csrf: String,
    service: String,
    week: String,
}

async fn remove_override(
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
    if s.hotline.store().delete_override(id).await.is_err() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let service = ServiceId::parse(&f.service)
        .map(|x| x.to_string())
        .unwrap_or_default();
    let week = week_label(week_monday(Some(&f.week)));
    Redirect::to(&format!("/rota?service={service}&week={week}&msg=removed")).into_response()
}

async fn cases_page(
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
    let Ok(cases) = s.hotline.store().cases(home.as_ref(), 500).await else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
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

async fn case_page(State(s): State<AppState>, user: WebUser, Path(id): Path<String>) -> Response {
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
            crate::http::render_case_html(s.hotline.localizer(), user.lang, &case, &events)
                .into_response()
        }
        Err(akutlinje_core::service::ServiceError::UnknownCase) => {
            StatusCode::NOT_FOUND.into_response()
        }
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// A horizontal bar chart as inline SVG.
fn bar_chart(data: &[(String, f64)], unit: &str) -> Markup {
    let max = data
        .iter()
        .map(|(_, v)| *v)
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let h = 24.0;
    let height = data.len() as f64 * h + 10.0;
    html! {
        svg width="640" height=(height) viewBox={ "0 0 640 " (height) } role="img" {
            @for (i, (label, v)) in data.iter().enumerate() {
                @let y = i as f64 * h + 5.0;
                text x="0" y=(y + 15.0) font-size="12" { (label) }
                rect.bar x="230" y=(y) width=(v / max * 340.0) height=(h - 6.0) {}
                text x=(235.0 + v / max * 340.0) y=(y + 15.0) font-size="12" { (format!("{v:.0}")) (unit) }
            }
        }
    }
}

/// The `p` quantile with linear interpolation (the median of 4 and 10 is 7).
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let pos = last as f64 * p;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(sorted[lo] + (sorted[hi.min(last)] - sorted[lo]) * (pos - lo as f64))
}

async fn figures_page(
    State(s): State<AppState>,
    user: WebUser,
    jar: CookieJar,
    Query(q): Query<LangQuery>,
) -> Response {
    let (jar, lang) = with_lang(jar, &q, user.lang);
    let store = s.hotline.store();
    let home = if user.person.role.may_read_all_homes() {
        None
    } else {
        user.person.home.clone()
    };
    let Ok(cases) = store.cases(home.as_ref(), 5000).await else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let since = Utc::now() - Duration::days(30);
    let cases: Vec<_> = cases.into_iter().filter(|c| c.opened_at >= since).collect();
    // A night runs from noon to noon: a case at 03:00 belongs to the evening before.
    let mut per_night: BTreeMap<NaiveDate, f64> = BTreeMap::new();
    let mut per_home: BTreeMap<String, f64> = BTreeMap::new();
    let mut ack_minutes = Vec::new();
    let mut outcomes: BTreeMap<&'static str, f64> = BTreeMap::new();
    // The pilot's outcome per case: the physician's last recorded decision.
    let mut decided: BTreeMap<&'static str, f64> = BTreeMap::new();
    for c in &cases {
        *per_night
            .entry((local_naive(c.opened_at) - Duration::hours(12)).date())
            .or_default() += 1.0;
        *per_home.entry(c.home.to_string()).or_default() += 1.0;
        let Ok(events) = store.events(c.id).await else {
            continue;
        };
        let paged = events
            .iter()
            .find(|e| matches!(e.event.kind, EventKind::PageRequested { .. }))
            .map(|e| e.event.at);
        let acked = events
            .iter()
            .find(|e| matches!(e.event.kind, EventKind::PageAcknowledged { .. }))
            .map(|e| e.event.at);
        if let (Some(p), Some(a)) = (paged, acked) {
            ack_minutes.push((a - p).num_seconds() as f64 / 60.0);
        }
        let last_decision = events.iter().rev().find_map(|e| match e.event.kind {
            EventKind::DispositionRecorded { disposition, .. } => Some(disposition.outcome()),
            _ => None,
        });
        *decided.entry(last_decision.unwrap_or("none")).or_default() += 1.0;
        for e in &events {
            let key = match e.event.kind {
                EventKind::Advised112 { .. } => "web-outcome-advised112",
                EventKind::No112ByTreatmentDecision { .. } => "web-outcome-no112",
                EventKind::EscalationExhausted => "web-outcome-exhausted",
                EventKind::PageAcknowledged { .. } => "web-outcome-acknowledged",
                _ => continue,
            };
            *outcomes.entry(key).or_default() += 1.0;
        }
    }
    ack_minutes.sort_by(|a, b| a.total_cmp(b));
    let nights: Vec<(String, f64)> = per_night
        .iter()
        .map(|(d, n)| (d.format("%d.%m.%Y").to_string(), *n))
        .collect();
    let homes: Vec<(String, f64)> = per_home.into_iter().collect();
    let outs: Vec<(String, f64)> = outcomes.iter().map(|(k, n)| (t(&s, lang, k), *n)).collect();
    let groups: Vec<(String, f64)> = ["home", "municipal", "gp", "admitted", "112", "none"]
        .iter()
        .map(|g| {
            (
                t(&s, lang, &format!("web-outcome-group-{g}")),
                decided.get(g).copied().unwrap_or(0.0),
            )
        })
        .collect();
    let fmt = |v: Option<f64>| v.map_or_else(|| "–".to_string(), |m| format!("{m:.1} min"));
    let body = html! {
        @if cases.is_empty() { p.muted { (t(&s, lang, "web-figures-no-data")) } }
        h2 { (t(&s, lang, "web-figures-per-night")) } (bar_chart(&nights, ""))
        h2 { (t(&s, lang, "web-figures-per-home")) }
        table { @for (h, n) in &homes { tr { td { (h) } td { (n) } } } }
        (bar_chart(&homes, ""))
        h2 { (t(&s, lang, "web-figures-ack")) }
        table #ack {
            tr { th { (t(&s, lang, "web-figures-median")) } th { (t(&s, lang, "web-figures-p90")) } th { (t(&s, lang, "web-figures-acked")) } }
            tr { td { (fmt(percentile(&ack_minutes, 0.5))) } td { (fmt(percentile(&ack_minutes, 0.9))) } td { (ack_minutes.len()) } }
        }
        h2 { (t(&s, lang, "web-figures-outcomes")) }
        table #outcomes { @for (k, n) in &groups { tr { td { (k) } td { (n) } } } }
        (bar_chart(&groups, ""))
        h2 { (t(&s, lang, "web-figures-course")) }
        table { @for (k, n) in &outs { tr { td { (k) } td { (n) } } } }
        (bar_chart(&outs, ""))
    };
    let user = WebUser { lang, ..user };
    (
        jar,
        layout(
            &s,
            lang,
            &t(&s, lang, "web-figures-title"),
            Some(&user),
            body,
        ),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("korrekt hest batteri").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("korrekt hest batteri", &h));
        assert!(!verify_password("forkert", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn percentiles_interpolate() {
        assert_eq!(percentile(&[4.0, 10.0], 0.5), Some(7.0));
        assert_eq!(
            percentile(
                &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0],
                0.9
            ),
            Some(10.0)
        );
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(percentile(&[3.0], 0.9), Some(3.0));
    }

    #[test]
    fn weeks_are_iso_weeks_in_copenhagen() {
        assert_eq!(
            week_monday(Some("2026-W48")),
            NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
        );
        assert_eq!(
            week_label(NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")),
            "2026-W48"
        );
        assert_eq!(
            week_label(NaiveDate::from_ymd_opt(2027, 1, 4).expect("date")),
            "2027-W01"
        );
    }
}

#[derive(Deserialize)]
struct RotationForm {
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
async fn rota_form_error(
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

/// A rota change needs the session's CSRF token and a coordinator or admin.
#[allow(clippy::result_large_err)]
fn may_change(s: &AppState, user: &WebUser, csrf: &str) -> Result<(), Response> {
    if csrf != user.csrf {
        return Err((StatusCode::FORBIDDEN, t(s, user.lang, "web-error-csrf")).into_response());
    }
    if !matches!(user.person.role, Role::Coordinator | Role::Admin) {
        return Err((
            StatusCode::FORBIDDEN,
            t(s, user.lang, "web-error-forbidden"),
        )
            .into_response());
    }
    Ok(())
}

fn back(service: &str, week: &str, msg: &str) -> Response {
    let service = ServiceId::parse(service)
        .map(|x| x.to_string())
        .unwrap_or_default();
    let week = week_label(week_monday(Some(week)));
    Redirect::to(&format!("/rota?service={service}&week={week}&msg={msg}")).into_response()
}

async fn save_rotation(
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
    let store = s.hotline.store();
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
    if store.upsert_rotation(&spec).await.is_err() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    tracing::info!(person = %user.person.id, rotation = %spec.id, "rotation saved");
    back(&f.service, &f.week, "rotation-saved")
}

async fn remove_rotation(
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
    if s.hotline.store().delete_rotation(&id).await.is_err() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    back(&f.service, &f.week, "rotation-removed")
}

#[derive(Deserialize)]
struct SwapForm {
    csrf: String,
    service: String,
    week: String,
    rotation: String,
    a: String,
    a_shift: String,
    b: String,
    b_shift: String,
}

async fn add_swap(State(s): State<AppState>, user: WebUser, Form(f): Form<SwapForm>) -> Response {
    if let Err(r) = may_change(&s, &user, &f.csrf) {
        return r;
    }
    let lang = user.lang;
    let store = s.hotline.store();
    let Ok(service) = ServiceId::parse(&f.service) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Ok(spec) = store.rota(&service).await else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let Some(rot) = spec
        .rotations
        .iter()
        .find(|r| r.id.as_str() == f.rotation)
        .cloned()
    else {
        return rota_form_error(
            &s,
            &user,
            &f.service,
            &f.week,
            t(&s, lang, "web-error-unknown-tier"),
        )
        .await;
    };
    let (Some(a_shift), Some(b_shift)) = (parse_local(&f.a_shift), parse_local(&f.b_shift)) else {
        return rota_form_error(
            &s,
            &user,
            &f.service,
            &f.week,
            t(&s, lang, "web-error-bad-time"),
        )
        .await;
    };
    let (Ok(a), Ok(b)) = (PersonId::parse(&f.a), PersonId::parse(&f.b)) else {
        return rota_form_error(
            &s,
            &user,
            &f.service,
            &f.week,
            t(&s, lang, "web-error-unknown-person"),
        )
        .await;
    };
    let Ok(parsed) = akutlinje_scheduler::rota::Rotation::parse(rot.clone()) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    // Each person must really have the shift they give away.
    for (p, at) in [(&a, a_shift), (&b, b_shift)] {
        let has = parsed
            .shifts(at, at + Duration::minutes(1))
            .iter()
            .any(|x| x.start == at && &x.person == p);
        if !has {
            let msg = tm(
                &s,
                lang,
                Msg::new("web-error-not-their-shift")
                    .arg("person", p)
                    .arg("start", hm(at)),
            );
            return rota_form_error(&s, &user, &f.service, &f.week, msg).await;
        }
    }
    let swap = akutlinje_core::rota::SwapSpec {
        id: 0,
        rotation: rot.id,
        a,
        a_shift,
        b,
        b_shift,
    };
    if store.add_swap(&swap).await.is_err() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    back(&f.service, &f.week, "swap-saved")
}

async fn remove_swap(
    State(s): State<AppState>,
    user: WebUser,
    Path(id): Path<i64>,
    Form(f): Form<RemoveForm>,
) -> Response {
    if let Err(r) = may_change(&s, &user, &f.csrf) {
        return r;
    }
    if s.hotline.store().delete_swap(id).await.is_err() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    back(&f.service, &f.week, "swap-removed")
}

#[derive(Deserialize, Default)]
struct MonthQuery {
    service: Option<String>,
    month: Option<String>,
    lang: Option<String>,
}

/// The first day of "2026-11", or of this month.
fn month_first(month: Option<&str>) -> NaiveDate {
    month
        .and_then(|m| NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").ok())
        .filter(|d| akutlinje_scheduler::rota::YEARS.contains(&d.year()))
        .unwrap_or_else(|| {
            let today = local_naive(Utc::now()).date();
            today.with_day(1).unwrap_or(today)
        })
}

fn next_month(first: NaiveDate) -> NaiveDate {
    let (y, m) = if first.month() == 12 {
        (first.year() + 1, 1)
    } else {
        (first.year(), first.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(first + Duration::days(31))
}

/// A month at a glance: per tier and day, who covers it, and the uncovered hours in red.
async fn month_page(
    State(s): State<AppState>,
    user: WebUser,
    jar: CookieJar,
    Query(q): Query<MonthQuery>,
) -> Response {
    let (jar, lang) = with_lang(
        jar,
        &LangQuery {
            lang: q.lang.clone(),
        },
        user.lang,
    );
    let user = WebUser { lang, ..user };
    if user.person.role == Role::Staff {
        return Redirect::to("/cases").into_response();
    }
    let store = s.hotline.store();
    let Ok(services) = store.services().await else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let svc = match q.service.as_deref().and_then(|x| ServiceId::parse(x).ok()) {
        Some(id) => services.iter().find(|x| x.id == id),
        None => services.first(),
    };
    let Some(svc) = svc else {
        let body = html! { p { (t(&s, lang, "web-no-service")) } };
        return (
            jar,
            layout(&s, lang, &t(&s, lang, "web-nav-rota"), Some(&user), body),
        )
            .into_response();
    };
    let (Ok(spec), Ok(people)) = (store.rota(&svc.id).await, store.people().await) else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let Ok(rota) = Rota::parse(spec) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let first = month_first(q.month.as_deref());
    let after = next_month(first);
    let days: Vec<NaiveDate> = (0..(after - first).num_days())
        .map(|i| first + Duration::days(i))
        .collect();
    let name = |p: &PersonId| {
        people
            .iter()
            .find(|x| &x.id == p)
            .map_or_else(|| p.to_string(), |x| x.name.to_string())
    };
    let (from, to) = (midnight(first), midnight(after));
    let mut total_gap = 0;
    let mut rows = Vec::new();
    for tier in &svc.tiers {
        let segs = rota.resolve(tier, from, to);
        let gaps = rota.gaps(tier, from, to);
        let mut cells = Vec::new();
        for d in &days {
            let (a, b) = (midnight(*d), midnight(*d + Duration::days(1)));
            let mut who: Vec<String> = Vec::new();
            for x in segs.iter().filter(|x| x.start < b && x.end > a) {
                let n = name(&x.person);
                if !who.contains(&n) {
                    who.push(n);
                }
            }
            let gap_min: i64 = gaps
                .iter()
                .filter(|g| g.start < b && g.end > a)
                .map(|g| (g.end.min(b) - g.start.max(a)).num_minutes())
                .sum();
            total_gap += gap_min;
            cells.push(html! {
                td {
                    @for w in &who { div.seg { (w) } }
                    @if gap_min > 0 { div.gap { (tm(&s, lang, Msg::new("web-rota-gap-hours").arg("hours", format!("{:.1}", gap_min as f64 / 60.0)))) } }
                }
            });
        }
        rows.push(html! { tr { th { (tier) } @for c in &cells { (c) } } });
    }
    let label = first.format("%Y-%m").to_string();
    let body = html! {
        p {
            a href={ "/rota/month?service=" (svc.id) "&month=" (month_first(Some(&(first - Duration::days(1)).format("%Y-%m").to_string())).format("%Y-%m")) } { "←" } " "
            strong { (tm(&s, lang, Msg::new("web-rota-month").arg("month", &label))) } " "
            a href={ "/rota/month?service=" (svc.id) "&month=" (after.format("%Y-%m")) } { "→" } " · "
            a href={ "/rota?service=" (svc.id) "&week=" (week_label(first)) } { (t(&s, lang, "web-view-week")) }
        }
        table #rota-month {
            tr { th { (t(&s, lang, "web-rota-tier")) } @for d in &days { th { (d.format("%d.")) } } }
            @for r in &rows { (r) }
        }
        p #gaps-summary {
            @if total_gap == 0 { (t(&s, lang, "web-rota-no-gaps")) }
            @else { span.gap { (tm(&s, lang, Msg::new("web-rota-gaps-month").arg("minutes", total_gap))) } }
        }
    };
    (
        jar,
        layout(
            &s,
            lang,
            &tm(
                &s,
                lang,
                Msg::new("web-rota-title").arg("service", &svc.name),
            ),
            Some(&user),
            body,
        ),
    )
        .into_response()
}

#[derive(Deserialize, Default)]
struct HomesQuery {
    msg: Option<String>,
    lang: Option<String>,
}

/// The homes and the Matrix rooms bound to them: the only rooms where the
/// bot shows a home's resident data. Coordinators and admins bind rooms.
async fn homes_page(
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

async fn render_homes(
    s: &AppState,
    user: &WebUser,
    msg: Option<String>,
    error: Option<String>,
) -> Result<Markup, Response> {
    let lang = user.lang;
    if !matches!(user.person.role, Role::Coordinator | Role::Admin) {
        return Err((StatusCode::FORBIDDEN, t(s, lang, "web-error-forbidden")).into_response());
    }
    let store = s.hotline.store();
    let (Ok(homes), Ok(rooms)) = (store.homes().await, store.home_rooms(None).await) else {
        return Err(StatusCode::SERVICE_UNAVAILABLE.into_response());
    };
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
struct BindForm {
    csrf: String,
    home: String,
    room: String,
}

async fn bind_room(State(s): State<AppState>, user: WebUser, Form(f): Form<BindForm>) -> Response {
    if let Err(r) = may_change(&s, &user, &f.csrf) {
        return r;
    }
    let lang = user.lang;
    let store = s.hotline.store();
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
    if store.bind_room(&bound).await.is_err() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    tracing::info!(person = %user.person.id, room = %bound.room, home = %bound.home, "room bound");
    Redirect::to("/homes?msg=web-homes-bound").into_response()
}

async fn error_page(s: &AppState, user: &WebUser, error: String) -> Response {
    match render_homes(s, user, None, Some(error)).await {
        Ok(m) => (StatusCode::UNPROCESSABLE_ENTITY, m).into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct UnbindForm {
    csrf: String,
    room: String,
}

async fn unbind_room(
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
    if s.hotline.store().unbind_room(&room).await.is_err() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    tracing::info!(person = %user.person.id, room = %room, "room unbound");
    Redirect::to("/homes?msg=web-homes-unbound").into_response()
}
