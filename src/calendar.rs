//! iCalendar feeds of the on-call rota: per person (their own shifts, in every
//! service) and per service (every tier), behind an unguessable token URL
//! (`/calendar/<token>.ics`, only a hash stored) that can be revoked.

use std::sync::Arc;

use akutlinje_core::rota::ServiceId;
use akutlinje_core::store::{CalendarFeed, Store};
use akutlinje_scheduler::rota::Rota;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use icalendar::{Calendar, Component, Event, EventLike};

use crate::app::AppState;
use crate::auth::hash_token;

/// How far back and ahead a feed reaches.
const PAST_DAYS: i64 = 14;
const FUTURE_DAYS: i64 = 90;

/// The feed as iCalendar text.
pub async fn feed_ics(
    store: &Arc<dyn Store>,
    feed: &CalendarFeed,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let (from, to) = (
        now - Duration::days(PAST_DAYS),
        now + Duration::days(FUTURE_DAYS),
    );
    let services = match feed {
        CalendarFeed::Service(id) => store.service(id).await?.into_iter().collect(),
        CalendarFeed::Person(_) => store.services().await?,
    };
    let people = store.people().await?;
    let name = |p: &akutlinje_core::ids::PersonId| {
        people
            .iter()
            .find(|x| &x.id == p)
            .map_or_else(|| p.to_string(), |x| x.name.to_string())
    };
    let mut cal = Calendar::new();
    match feed {
        CalendarFeed::Person(p) => cal.name(&format!("Akutlinjen – vagter for {}", name(p))),
        CalendarFeed::Service(s) => cal.name(&format!("Akutlinjen – {s}")),
    };
    cal.timezone("Europe/Copenhagen");
    for svc in &services {
        let rota = Rota::parse(store.rota(&svc.id).await?).map_err(|e| anyhow::anyhow!("{e}"))?;
        for tier in &svc.tiers {
            for seg in rota.resolve(tier, from, to) {
                if let CalendarFeed::Person(p) = feed {
                    if &seg.person != p {
                        continue;
                    }
                }
                let summary = match feed {
                    CalendarFeed::Person(_) => format!("Vagt: {} – {tier}", svc.name),
                    CalendarFeed::Service(_) => format!("{tier}: {}", name(&seg.person)),
                };
                cal.push(
                    Event::new()
                        .uid(&format!(
                            "{}-{tier}-{}-{}@akutlinje",
                            svc.id,
                            seg.start.timestamp(),
                            seg.person
                        ))
                        .summary(&summary)
                        .starts(seg.start)
                        .ends(seg.end)
                        .done(),
                );
            }
        }
    }
    Ok(cal.done().to_string())
}

/// `GET /calendar/{token}.ics`.
pub async fn serve_feed(State(s): State<AppState>, Path(token): Path<String>) -> Response {
    let token = token.trim_end_matches(".ics");
    let store = &s.store;
    match store.calendar_feed(&hash_token(token)).await {
        Ok(Some(feed)) => match feed_ics(store, &feed, Utc::now()).await {
            Ok(body) => (
                [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
                body,
            )
                .into_response(),
            Err(e) => {
                tracing::error!(error = %e, "calendar feed failed");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        },
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// Issues a feed token; returns the URL path to give the person.
pub async fn issue(store: &Arc<dyn Store>, feed: &CalendarFeed) -> anyhow::Result<String> {
    match feed {
        CalendarFeed::Person(p) => {
            store
                .person(p)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no person {p}"))?;
        }
        CalendarFeed::Service(s) => {
            store
                .service(s)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no service {s}"))?;
        }
    }
    let token = crate::auth::new_token();
    store
        .add_calendar_feed(&hash_token(&token), feed, Utc::now())
        .await?;
    Ok(format!("/calendar/{token}.ics"))
}

/// Parses `--person`/`--service` into a feed.
pub fn feed_of(person: Option<String>, service: Option<String>) -> anyhow::Result<CalendarFeed> {
    match (person, service) {
        (Some(p), None) => Ok(CalendarFeed::Person(
            p.parse().map_err(|e| anyhow::anyhow!("--person: {e}"))?,
        )),
        (None, Some(s)) => Ok(CalendarFeed::Service(
            ServiceId::parse(&s).map_err(|e| anyhow::anyhow!("--service: {e}"))?,
        )),
        _ => anyhow::bail!("give exactly one of --person or --service"),
    }
}
