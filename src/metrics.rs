//! Metrics in the Prometheus text format at `/metrics`.
//!
//! The crates record through the `metrics` facade (`counter!`,
//! `histogram!`, `gauge!`); this module installs the one recorder of the
//! process, renders it, and adds at each scrape what is read from the
//! database (what waits in the outbox, the escalation steps, the
//! transcription queue), so those are right whichever instance did the work.
//!
//! Labels carry only bounded, impersonal values: channels, urgencies,
//! event kinds, route templates (`/api/v1/cases/{id}`, never a path with
//! an id or a token in it), methods and status codes. No person, resident,
//! home or case is ever a label. The names are listed in `docs/metrics.md`;
//! example alert rules in `docs/prometheus/akutlinje-alerts.yml`.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::app::AppState;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Histogram buckets for latencies in seconds: from a fast API answer
/// (a few ms) to a page that waits minutes for an acknowledgement.
const SECONDS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
    120.0, 300.0, 600.0, 1800.0,
];
/// Buckets for the speech recognition's real-time factor (processing time
/// over audio length).
const RATIO: &[f64] = &[0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 4.0];

/// Installs the process's recorder (once; later calls return the same
/// handle). `None` when another recorder was installed first (a library
/// embedding us): the service runs, `/metrics` answers 404.
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let built = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)
                .and_then(|b| {
                    b.set_buckets_for_metric(Matcher::Suffix("_real_time_factor".into()), RATIO)
                })
                .and_then(|b| b.install_recorder());
            match built {
                Ok(h) => {
                    describe();
                    Some(h)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    None
                }
            }
        })
        .clone()
}

/// The help texts Prometheus shows beside each name.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "akutlinje_cases_opened_total",
        "Cases opened, by channel (matrix, twilio, sip, console, web)"
    );
    describe_counter!(
        "akutlinje_pages_requested_total",
        "Pages requested at the end of the checklist (or re-requested), by urgency"
    );
    describe_counter!(
        "akutlinje_pages_sent_total",
        "Page notifications delivered, by channel"
    );
    describe_counter!(
        "akutlinje_pages_acknowledged_total",
        "Pages acknowledged by a physician"
    );
    describe_counter!(
        "akutlinje_pages_declined_total",
        "Pages declined by a physician"
    );
    describe_counter!(
        "akutlinje_pages_exhausted_total",
        "Escalations that ran out of steps (the coordinator was alerted)"
    );
    describe_counter!(
        "akutlinje_case_events_total",
        "Events stored in case records, by kind"
    );
    describe_counter!(
        "akutlinje_notifications_total",
        "Notifications handled by the outbox, by kind, channel and outcome (sent, failed, fell_over)"
    );
    describe_histogram!(
        "akutlinje_page_first_send_seconds",
        Unit::Seconds,
        "From the page request to its first delivered page"
    );
    describe_histogram!(
        "akutlinje_page_acknowledge_seconds",
        Unit::Seconds,
        "From the page request to the physician's acknowledgement"
    );
    describe_histogram!(
        "akutlinje_escalation_lag_seconds",
        Unit::Seconds,
        "How late escalation steps fire (fire time minus due time)"
    );
    describe_histogram!(
        "akutlinje_http_request_duration_seconds",
        Unit::Seconds,
        "HTTP requests (API, web, webhooks) by route template, method and status"
    );
    describe_histogram!(
        "akutlinje_transcription_real_time_factor",
        "Speech recognition time over audio length, per voice note"
    );
    describe_histogram!(
        "akutlinje_matrix_event_lag_seconds",
        Unit::Seconds,
        "From a Matrix event's origin timestamp to the bot handling it"
    );
    describe_gauge!(
        "akutlinje_matrix_last_sync_timestamp_seconds",
        Unit::Seconds,
        "When the Matrix bot last completed a sync (Unix time)"
    );
    describe_counter!(
        "akutlinje_logins_total",
        "Web log-in attempts by outcome (ok, failed, throttled)"
    );
    describe_gauge!(
        "akutlinje_outbox_pending",
        "Notifications waiting to be sent, by channel"
    );
    describe_gauge!(
        "akutlinje_outbox_oldest_pending_seconds",
        Unit::Seconds,
        "Age of the oldest notification waiting to be sent, by channel"
    );
    describe_gauge!(
        "akutlinje_escalations_pending",
        "Escalations with a step still to fire"
    );
    describe_gauge!(
        "akutlinje_escalation_overdue_seconds",
        Unit::Seconds,
        "How far past due the earliest pending escalation step is (0 when none is overdue)"
    );
    describe_gauge!(
        "akutlinje_transcriptions_pending",
        "Voice notes waiting to be transcribed"
    );
}

/// `GET /metrics`: the recorded metrics and, read now, the work queues.
pub async fn serve(State(s): State<AppState>) -> Response {
    let Some(handle) = install() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match s.store.work_queues().await {
        Ok(q) => {
            let now = Utc::now();
            // Channels that emptied since the last scrape read 0, not their
            // last value.
            for channel in ["matrix", "sms", "voice", "log"] {
                if !q.outbox.iter().any(|(c, _, _)| c == channel) {
                    metrics::gauge!("akutlinje_outbox_pending", "channel" => channel).set(0.0);
                    metrics::gauge!("akutlinje_outbox_oldest_pending_seconds", "channel" => channel)
                        .set(0.0);
                }
            }
            for (channel, n, oldest) in q.outbox {
                let age = (now - oldest).num_milliseconds().max(0) as f64 / 1000.0;
                metrics::gauge!("akutlinje_outbox_pending", "channel" => channel.clone())
                    .set(n as f64);
                metrics::gauge!("akutlinje_outbox_oldest_pending_seconds", "channel" => channel)
                    .set(age);
            }
            let (n, due) = q.escalations;
            metrics::gauge!("akutlinje_escalations_pending").set(n as f64);
            let overdue = due.map_or(0.0, |d| (now - d).num_milliseconds().max(0) as f64 / 1000.0);
            metrics::gauge!("akutlinje_escalation_overdue_seconds").set(overdue);
            metrics::gauge!("akutlinje_transcriptions_pending").set(q.transcriptions as f64);
            metrics::gauge!("akutlinje_database_up").set(1.0);
        }
        Err(e) => {
            tracing::warn!(error = %e, "work queues unreadable for the metrics");
            metrics::gauge!("akutlinje_database_up").set(0.0);
        }
    }
    handle.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}

/// Methods this service answers; any other is labelled `other`, so a
/// client cannot mint series with invented verbs.
fn method_label(m: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Middleware: how long each request took, by route template. A request
/// that matched no route is `<unmatched>`: its path is the client's choice.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "<unmatched>".to_string(), |p| p.as_str().to_string());
    let method = method_label(req.method());
    let started = Instant::now();
    let response = next.run(req).await;
    metrics::histogram!(
        "akutlinje_http_request_duration_seconds",
        "route" => route,
        "method" => method,
        "status" => response.status().as_u16().to_string(),
    )
    .record(started.elapsed().as_secs_f64());
    response
}
