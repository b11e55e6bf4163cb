//! Early-warning scores over HTTP: the same JSON as the command line.

use super::*;

/// The score JSON shared by the CLI and the API.
pub fn news2_json(r: &news2::News2Score) -> serde_json::Value {
    serde_json::json!({
        "total": r.total,
        "subscores": r.subscores,
        "band": r.band,
        "red_flag": r.red_flag,
        "monitoring": r.monitoring,
    })
}

/// The TOBS JSON shared by the CLI and the API.
pub fn tobs_json(r: &tobs::TobsScore) -> serde_json::Value {
    serde_json::json!({
        "total": r.total,
        "subscores": r.subscores,
        "band": r.band,
        "red_flag": r.red_flag,
        "monitoring": r.monitoring,
        "temp_scored": r.temp_scored,
    })
}

pub(super) async fn score_news2(
    _who: Authed,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let input: news2::News2Input = parse_body(&body)?;
    Ok(Json(news2_json(&news2::score(&input))))
}

pub(super) async fn score_tobs(
    _who: Authed,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let input: tobs::TobsInput = parse_body(&body)?;
    Ok(Json(tobs_json(&tobs::score(&input))))
}
