//! Early-warning scores over HTTP: the same JSON as the command line.

use super::*;
use serde::Serialize;
use utoipa::ToSchema;

/// A NEWS2 score, as the CLI and the API write it.
#[derive(Debug, Serialize, ToSchema)]
pub struct News2Json {
    /// The sum (0–20).
    pub total: u8,
    /// Each parameter's score.
    pub subscores: news2::News2Subscores,
    /// The clinical risk band.
    pub band: news2::News2Band,
    /// A single parameter scored 3.
    pub red_flag: bool,
    /// How often to observe.
    pub monitoring: news2::News2Monitoring,
}

/// A TOBS score, as the CLI and the API write it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TobsJson {
    /// The sum.
    pub total: u8,
    /// Each parameter's score.
    pub subscores: tobs::TobsSubscores,
    /// The band.
    pub band: tobs::TobsBand,
    /// A single parameter at the top of its scale.
    pub red_flag: bool,
    /// What to do next.
    pub monitoring: tobs::TobsMonitoring,
    /// The temperature as scored, after the site correction, if one was given.
    pub temp_scored: Option<akutlinje_core::vitals::Temperature>,
}

/// The score JSON shared by the CLI and the API.
pub fn news2_json(r: &news2::News2Score) -> News2Json {
    News2Json {
        total: r.total,
        subscores: r.subscores,
        band: r.band,
        red_flag: r.red_flag,
        monitoring: r.monitoring,
    }
}

/// The TOBS JSON shared by the CLI and the API.
pub fn tobs_json(r: &tobs::TobsScore) -> TobsJson {
    TobsJson {
        total: r.total,
        subscores: r.subscores,
        band: r.band,
        red_flag: r.red_flag,
        monitoring: r.monitoring,
        temp_scored: r.temp_scored,
    }
}

/// NEWS2 of a complete set of observations (RCP 2017).
#[utoipa::path(
    post,
    path = "/api/v1/scores/news2",
    tag = "scores",
    request_body = news2::News2Input,
    responses((status = 200, description = "The score", body = News2Json))
)]
pub(super) async fn score_news2(_who: Authed, body: Bytes) -> Result<Json<News2Json>, ApiError> {
    let input: news2::News2Input = parse_body(&body)?;
    Ok(Json(news2_json(&news2::score(&input))))
}

/// TOBS of a complete set of observations (the Danish early-warning score).
#[utoipa::path(
    post,
    path = "/api/v1/scores/tobs",
    tag = "scores",
    request_body = tobs::TobsInput,
    responses((status = 200, description = "The score", body = TobsJson))
)]
pub(super) async fn score_tobs(_who: Authed, body: Bytes) -> Result<Json<TobsJson>, ApiError> {
    let input: tobs::TobsInput = parse_body(&body)?;
    Ok(Json(tobs_json(&tobs::score(&input))))
}
