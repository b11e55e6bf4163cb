//! The coordinators' web pages: log-in, the week's rota with its gaps, cover
//! (overrides), cases, and the pilot's figures. Server-rendered (maud escapes
//! every value), no JavaScript, Danish by default (`?lang=en` switches).
//!
//! Security: passwords are argon2 hashes; the session cookie is random,
//! HttpOnly, SameSite=Strict and Secure behind https, and only its SHA-256
//! is stored; a changed password ends every session; every form that
//! changes something carries the session's CSRF token; failed log-ins are
//! slowed down by source and account, never locked out (see `login`).

mod cases;
mod cover;
mod figures;
mod homes;
mod rota;
mod session;

#[allow(unused_imports)]
use cases::*;
#[allow(unused_imports)]
use cover::*;
#[allow(unused_imports)]
use figures::*;
#[allow(unused_imports)]
use homes::*;
#[allow(unused_imports)]
use rota::*;
#[allow(unused_imports)]
use session::*;
pub use session::{hash_password, WebUser};

use akutlinje_core::i18n::{Lang, Localizer, Msg};
use akutlinje_core::ids::{CaseId, PersonId};
use akutlinje_core::person::{Person, Role};
use akutlinje_core::record::CaseStatus;
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

use crate::app::AppState;
use crate::auth::{hash_token, new_token};

/// Why a page could not be shown. One `IntoResponse` logs the cause (ids
/// only, never what a person typed) and answers with the status.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WebError {
    #[error("the database failed")]
    Store(#[from] akutlinje_core::store::StoreError),
    #[error("the service failed")]
    Service(#[from] akutlinje_core::service::ServiceError),
    #[error("stored data cannot be used: {0}")]
    Corrupt(String),
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = match &self {
            WebError::Store(akutlinje_core::store::StoreError::Database(_))
            | WebError::Service(akutlinje_core::service::ServiceError::Store(
                akutlinje_core::store::StoreError::Database(_),
            ))
            | WebError::Service(akutlinje_core::service::ServiceError::Busy) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        tracing::error!(error.cause_chain = ?self, status = status.as_u16(), "web page failed");
        // No request at hand here: the texts are the built-in ones, in the
        // hotline's language (Danish).
        static TEXTS: std::sync::LazyLock<Option<Localizer>> =
            std::sync::LazyLock::new(|| Localizer::builtin().ok());
        let text = TEXTS
            .as_ref()
            .map(|l| l.text(Lang::Da, "web-unavailable"))
            .unwrap_or_default();
        (status, text).into_response()
    }
}

const LANG_COOKIE: &str = "akl_lang";
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
        .route("/homes/alternatives", post(save_alternatives))
        .route("/v/{token}", get(open_video))
        .route("/static/app.css", get(|| async { css(CSS) }))
        .route(
            "/static/print.css",
            get(|| async { css(crate::api::PRINT_CSS) }),
        )
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

fn parse_local(s: &str) -> Option<DateTime<Utc>> {
    akutlinje_scheduler::rota::parse_time(s)
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
