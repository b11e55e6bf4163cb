//! `score`: NEWS2 and TOBS without a configuration or a database.

use akutlinje_core::news2::News2Input;
use akutlinje_core::tobs::TobsInput;
use akutlinje_core::vitals::{
    Acvpu, Oxygen, Pulse, RespRate, Spo2, Spo2Scale, Systolic, TempSite, Temperature,
    TobsConsciousness,
};
use anyhow::bail;
use clap::Subcommand;

use crate::api;

use super::fail;

#[derive(Subcommand, Debug)]
pub(super) enum ScoreCommand {
    /// NEWS2 (RCP 2017).
    News2 {
        #[arg(long)]
        resp_rate: String,
        #[arg(long)]
        spo2: String,
        /// 1, or 2 only for a prescribed target of 88–92 %.
        #[arg(long, default_value = "1")]
        spo2_scale: String,
        /// yes or no.
        #[arg(long)]
        oxygen: String,
        #[arg(long)]
        systolic: String,
        #[arg(long)]
        pulse: String,
        /// A, C (new confusion), V, P or U.
        #[arg(long)]
        consciousness: String,
        /// Degrees Celsius, one decimal: 38.9 or 38,9.
        #[arg(long)]
        temp: String,
    },
    /// TOBS (municipal early warning, 0–15).
    Tobs {
        #[arg(long)]
        resp_rate: String,
        #[arg(long)]
        systolic: String,
        #[arg(long)]
        pulse: String,
        /// habitual, agitated, new_confusion, voice, pain or unresponsive.
        #[arg(long)]
        consciousness: String,
        #[arg(long)]
        temp: String,
        /// rectal (default), ear, oral or axillary.
        #[arg(long, default_value = "rectal")]
        temp_site: String,
    },
}

fn score_news2(a: &ScoreCommand) -> anyhow::Result<serde_json::Value> {
    let ScoreCommand::News2 {
        resp_rate,
        spo2,
        spo2_scale,
        oxygen,
        systolic,
        pulse,
        consciousness,
        temp,
    } = a
    else {
        bail!("not a NEWS2 command");
    };
    let input = News2Input {
        resp_rate: RespRate::parse(resp_rate).map_err(fail)?,
        spo2: Spo2::parse(spo2).map_err(fail)?,
        spo2_scale: Spo2Scale::parse(spo2_scale).map_err(fail)?,
        oxygen: Oxygen::parse(oxygen).map_err(fail)?,
        systolic: Systolic::parse(systolic.split('/').next().unwrap_or(systolic)).map_err(fail)?,
        pulse: Pulse::parse(pulse).map_err(fail)?,
        consciousness: Acvpu::parse(consciousness).map_err(fail)?,
        temp: Temperature::parse(temp).map_err(fail)?,
    };
    Ok(serde_json::to_value(api::news2_json(
        &akutlinje_core::news2::score(&input),
    ))?)
}

fn score_tobs(a: &ScoreCommand) -> anyhow::Result<serde_json::Value> {
    let ScoreCommand::Tobs {
        resp_rate,
        systolic,
        pulse,
        consciousness,
        temp,
        temp_site,
    } = a
    else {
        bail!("not a TOBS command");
    };
    let input = TobsInput {
        resp_rate: RespRate::parse(resp_rate).map_err(fail)?,
        systolic: Systolic::parse(systolic.split('/').next().unwrap_or(systolic)).map_err(fail)?,
        pulse: Pulse::parse(pulse).map_err(fail)?,
        consciousness: TobsConsciousness::parse(consciousness).map_err(fail)?,
        temp: Temperature::parse(temp).map_err(fail)?,
        temp_site: TempSite::parse(temp_site).ok_or_else(|| {
            fail(format!(
                "temp_site: {temp_site:?} must be rectal, ear, oral or axillary"
            ))
        })?,
    };
    Ok(serde_json::to_value(api::tobs_json(
        &akutlinje_core::tobs::score(&input),
    ))?)
}

/// Prints the score as JSON.
pub(super) fn run(s: &ScoreCommand) -> anyhow::Result<()> {
    let json = match s {
        ScoreCommand::News2 { .. } => score_news2(s)?,
        ScoreCommand::Tobs { .. } => score_tobs(s)?,
    };
    println!("{json}");
    Ok(())
}
