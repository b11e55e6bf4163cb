//! What the store counts for the metrics (`metrics` facade; the binary
//! installs the recorder and serves `/metrics`). Counted when a row is
//! written; labels are kinds, channels and urgencies, never an id.

use akutlinje_core::record::{Channel, EventKind, NewEvent};
use chrono::{DateTime, Utc};

/// An event was written to a case record.
pub(crate) fn event_stored(e: &NewEvent) {
    metrics::counter!("akutlinje_case_events_total", "kind" => e.kind.tag()).increment(1);
    match &e.kind {
        EventKind::PageRequested { urgency } => {
            metrics::counter!("akutlinje_pages_requested_total", "urgency" => urgency.as_str())
                .increment(1);
        }
        EventKind::PageAcknowledged { .. } => {
            metrics::counter!("akutlinje_pages_acknowledged_total").increment(1);
        }
        EventKind::PageDeclined { .. } => {
            metrics::counter!("akutlinje_pages_declined_total").increment(1);
        }
        EventKind::EscalationExhausted => {
            metrics::counter!("akutlinje_pages_exhausted_total").increment(1);
        }
        _ => {}
    }
}

/// A case was opened.
pub(crate) fn case_opened(channel: Channel) {
    metrics::counter!("akutlinje_cases_opened_total", "channel" => channel.as_str()).increment(1);
}

/// Seconds from `from` to `to` (0 when the clocks disagree).
fn seconds(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_milliseconds().max(0) as f64 / 1000.0
}

/// A page was acknowledged `requested`…`at`.
pub(crate) fn page_acknowledged(requested: DateTime<Utc>, at: DateTime<Utc>) {
    metrics::histogram!("akutlinje_page_acknowledge_seconds").record(seconds(requested, at));
}

/// The first page after a request was delivered.
pub(crate) fn first_page_sent(requested: DateTime<Utc>, at: DateTime<Utc>) {
    metrics::histogram!("akutlinje_page_first_send_seconds").record(seconds(requested, at));
}
