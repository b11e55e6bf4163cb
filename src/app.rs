//! The application: the state every handler shares, the router that
//! composes the API, the web pages, the calendar feeds and the health
//! checks, and the HTTP server (our own accept loop, with the layers every
//! route gets).

use std::sync::Arc;

use akutlinje_core::i18n::Lang;
use akutlinje_core::service::Hotline;
use akutlinje_core::store::Store;
use axum::extract::State;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tokio::net::TcpListener;

/// The router with every route.
pub fn router(state: AppState) -> Router {
    // Recording starts with the first router: what the service does from
    // then on is counted.
    crate::metrics::install();
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(crate::metrics::serve))
        .route("/readyz", get(readyz))
        .merge(crate::api::router())
        .route("/calendar/{token}", get(crate::calendar::serve_feed))
        .merge(crate::web::routes())
        .layer(axum::extract::DefaultBodyLimit::max(5 * 1024 * 1024))
        .with_state(state)
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The hotline service: cases are read and changed through it.
    pub hotline: Hotline,
    /// The whole store, for what the coordinator's pages and the API
    /// manage directly (homes, rooms, residents, rotas, people); a case
    /// is read and changed through `hotline`.
    pub store: Arc<dyn Store>,
    /// The default language of pages and texts.
    pub lang: Lang,
    /// Cookies, proxies and the log-in page's limits.
    pub web: crate::login::WebSettings,
}

impl AppState {
    /// The state with default web settings (no proxies, plain-HTTP cookies).
    pub fn new(hotline: Hotline, store: Arc<dyn Store>, lang: Lang) -> AppState {
        AppState {
            hotline,
            store,
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

async fn readyz(State(s): State<AppState>) -> Response {
    match s.store.ping().await {
        Ok(()) => (StatusCode::OK, Json(serde_json::json!({"status": "ready"}))).into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "database unavailable"})),
        )
            .into_response(),
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
        .layer(axum::middleware::from_fn(crate::metrics::track))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(
                |req: &axum::http::Request<_>| {
                    // Calendar and video URLs carry their secret token in
                    // the path: never log it.
                    let path = req.uri().path();
                    let path = if path.starts_with("/calendar/") {
                        "/calendar/<token>"
                    } else if path.starts_with("/v/") {
                        "/v/<token>"
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
