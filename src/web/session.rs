//! Signing in and out: argon2 passwords, the session cookie (only its hash
//! is stored), the throttled log-in (see `crate::login`).

use super::*;

pub(super) const SESSION_COOKIE: &str = "akl_session";
pub(super) const SESSION_HOURS: i64 = 12;

/// Hashes a password with argon2id (for `akutlinje people password` and the demo).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
}

pub(super) fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A signed-in person, from the session cookie. Pages that take it redirect
/// to the log-in page without one.
pub struct WebUser {
    /// The person.
    pub person: Person,
    pub(crate) csrf: String,
    pub(crate) lang: Lang,
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
        match state.store.session(&hash_token(&token), Utc::now()).await {
            Ok(Some((person, csrf))) => Ok(WebUser { person, csrf, lang }),
            Ok(None) => Err(Redirect::to("/login").into_response()),
            Err(e) => {
                tracing::error!(error = %e, "session look-up failed");
                Err(StatusCode::SERVICE_UNAVAILABLE.into_response())
            }
        }
    }
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    person: String,
    password: String,
}

pub(super) async fn login_page(
    State(s): State<AppState>,
    jar: CookieJar,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = lang_of(&jar, s.lang);
    let (jar, lang) = with_lang(jar, &q, lang);
    (jar, login_markup(&s, lang, None)).into_response()
}

pub(super) fn login_markup(s: &AppState, lang: Lang, error: Option<String>) -> Markup {
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

pub(super) async fn login(
    State(s): State<AppState>,
    source: crate::login::Source,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> Response {
    let lang = lang_of(&jar, s.lang);
    let store = &s.store;
    let now = Utc::now();
    let page = |status: StatusCode, msg: String| {
        (status, login_markup(&s, lang, Some(msg))).into_response()
    };
    let pid = PersonId::parse(&f.person).ok();
    let wait = |until: DateTime<Utc>| {
        let seconds = (until - now).num_seconds().max(1);
        login_counted("throttled");
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
    let usual = match usual_source(&s, pid.as_ref(), &source, now).await {
        Ok(u) => u,
        Err(r) => return r,
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
        login_counted("busy");
        let mut r = page(StatusCode::TOO_MANY_REQUESTS, t(&s, lang, "web-login-busy"));
        r.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("1"),
        );
        return r;
    };
    let Some(pid) = pid else {
        drop(permit);
        login_counted("failed");
        return page(StatusCode::UNAUTHORIZED, t(&s, lang, "web-login-failed"));
    };
    // Verify even without a stored hash, so timing does not tell who exists.
    let ok = password_matches(&s, &pid, f.password.clone(), permit).await;
    if !ok {
        tracing::warn!(person = %pid, "failed log-in");
        login_counted("failed");
        return page(StatusCode::UNAUTHORIZED, t(&s, lang, "web-login-failed"));
    }
    login_counted("ok");
    signed_in(&s, jar, &pid, &source, now).await
}

/// Counts a log-in attempt's outcome for the metrics.
fn login_counted(outcome: &'static str) {
    metrics::counter!("akutlinje_logins_total", "outcome" => outcome).increment(1);
}

/// Whether `source` is one this person usually signs in from (remembered,
/// else asked of the database); a database failure answers 503.
async fn usual_source(
    s: &AppState,
    pid: Option<&PersonId>,
    source: &crate::login::Source,
    now: DateTime<Utc>,
) -> Result<bool, Response> {
    let guard = &s.web.login;
    let Some(p) = pid else {
        return Ok(false);
    };
    if let Some(u) = guard.cached_usual(p, source) {
        return Ok(u);
    }
    match s
        .store
        .known_login_source(
            p,
            &source.0,
            now - Duration::days(crate::login::USUAL_SOURCE_DAYS),
        )
        .await
    {
        Ok(u) => {
            guard.remember_usual(p, source, u);
            Ok(u)
        }
        Err(e) => {
            tracing::error!(error = %e, "log-in source look-up failed");
            Err(StatusCode::SERVICE_UNAVAILABLE.into_response())
        }
    }
}

/// Checks the password on a blocking thread, holding `permit` (so only so
/// many argon2 checks run at once); with no stored hash a dummy one is
/// checked, so timing does not tell who exists.
async fn password_matches(
    s: &AppState,
    pid: &PersonId,
    password: String,
    permit: tokio::sync::OwnedSemaphorePermit,
) -> bool {
    let hash = s.store.password_hash(pid).await.ok().flatten();
    tokio::task::spawn_blocking(move || {
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
    .unwrap_or(false)
}

/// A new session: its cookie, this source's counts reset, the source
/// remembered as usual; on to the rota.
async fn signed_in(
    s: &AppState,
    jar: CookieJar,
    pid: &PersonId,
    source: &crate::login::Source,
    now: DateTime<Utc>,
) -> Response {
    let store = &s.store;
    let token = new_token();
    let csrf = new_token();
    let created = store
        .create_session(
            &hash_token(&token),
            pid,
            &csrf,
            now,
            now + Duration::hours(SESSION_HOURS),
        )
        .await;
    // This source's counts start again; an attack on the account from
    // elsewhere keeps its own.
    let reset: Vec<String> = source
        .keys(Some(pid), true)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    if let Err(e) = created {
        return WebError::from(e).into_response();
    }
    if let Err(e) = store.login_succeeded(pid, &source.0, &reset, now).await {
        return WebError::from(e).into_response();
    }
    s.web.login.remember_usual(pid, source, true);
    tracing::info!(person = %pid, "signed in");
    let mut c = Cookie::new(SESSION_COOKIE, token);
    c.set_http_only(true);
    c.set_same_site(SameSite::Strict);
    c.set_secure(s.web.secure_cookies);
    c.set_path("/");
    (jar.add(c), Redirect::to("/rota")).into_response()
}

/// An argon2 hash of a random string, verified when a person has none.
pub(super) static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password(&new_token()).unwrap_or_default());

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    csrf: String,
}

pub(super) async fn logout(
    State(s): State<AppState>,
    user: WebUser,
    jar: CookieJar,
    Form(f): Form<CsrfForm>,
) -> Response {
    if f.csrf != user.csrf {
        return (StatusCode::FORBIDDEN, t(&s, user.lang, "web-error-csrf")).into_response();
    }
    if let Some(c) = jar.get(SESSION_COOKIE) {
        let _ = s.store.delete_session(&hash_token(c.value())).await;
    }
    (
        jar.remove(Cookie::build(SESSION_COOKIE).path("/")),
        Redirect::to("/login"),
    )
        .into_response()
}
