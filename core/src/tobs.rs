//! TOBS, "Tidlig Opsporing af Begyndende Sygdom": the municipal early-warning
//! score used in Danish nursing homes (0–15). See docs/clinical.md § TOBS.
//!
//! # Closing the gaps in the published table
//!
//! The municipal table (Kalundborg, Holstebro) leaves values uncovered: pulse 39
//! and 130, respiration 8 and 25, systolic 69 and 200, temperature 33,9 and
//! 40,0. Each gap value is scored with its **more abnormal neighbour** — the
//! conservative choice, since under-scoring a sick resident is the worse error:
//!
//! | parameter | gap value | scored as | band it joins |
//! |---|---|---|---|
//! | pulse | 39 | 2 | "< 39" read as ≤ 39 |
//! | pulse | 130 | 3 | "> 130" read as ≥ 130 |
//! | respiration | 8 | 3 | "< 8" read as ≤ 8 |
//! | respiration | 25 | 3 | "> 25" read as ≥ 25 |
//! | systolic | 69 | 3 | "< 69" read as ≤ 69 |
//! | systolic | 200 | 2 | "> 200" read as ≥ 200 |
//! | temperature | 33,9 | 3 | "< 33,9" read as ≤ 33,9 |
//! | temperature | 40,0 | 3 | "> 40" read as ≥ 40,0 |
//!
//! This should be confirmed against the responsible municipality's pocket card.
//!
//! Other documented choices: the temperature is corrected to rectal (oral
//! +0,5 °C, axillary +1 °C) as the table prescribes; "new confusion" without
//! agitation has no row and scores 1 like the other changed states; TOBS has no
//! published single-parameter trigger, so `red_flag` only reports that one
//! parameter scored 3 and drives nothing by itself.

use serde::{Deserialize, Serialize};

use crate::vitals::{Pulse, RespRate, Systolic, TempSite, Temperature, TobsConsciousness};

/// A complete set of TOBS observations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TobsInput {
    /// Respiration rate.
    pub resp_rate: RespRate,
    /// Systolic blood pressure.
    pub systolic: Systolic,
    /// Pulse.
    pub pulse: Pulse,
    /// Consciousness against the resident's usual state.
    pub consciousness: TobsConsciousness,
    /// Temperature as measured.
    pub temp: Temperature,
    /// Where it was measured (the score corrects to rectal).
    #[serde(default)]
    pub temp_site: TempSite,
}

/// TOBS observations, any of which may be missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TobsPartial {
    /// Respiration rate, if measured.
    pub resp_rate: Option<RespRate>,
    /// Systolic blood pressure, if measured.
    pub systolic: Option<Systolic>,
    /// Pulse, if measured.
    pub pulse: Option<Pulse>,
    /// Consciousness, if assessed.
    pub consciousness: Option<TobsConsciousness>,
    /// Temperature as measured, if measured.
    pub temp: Option<Temperature>,
    /// Where it was measured.
    #[serde(default)]
    pub temp_site: TempSite,
}

impl From<TobsInput> for TobsPartial {
    fn from(i: TobsInput) -> Self {
        TobsPartial {
            resp_rate: Some(i.resp_rate),
            systolic: Some(i.systolic),
            pulse: Some(i.pulse),
            consciousness: Some(i.consciousness),
            temp: Some(i.temp),
            temp_site: i.temp_site,
        }
    }
}

/// The five subscores; `None` where not measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TobsSubscores {
    /// Pulse's score.
    pub pulse: Option<u8>,
    /// Respiration rate's score.
    pub resp_rate: Option<u8>,
    /// Systolic pressure's score.
    pub systolic: Option<u8>,
    /// Temperature's score.
    pub temp: Option<u8>,
    /// Consciousness's score.
    pub consciousness: Option<u8>,
}

impl TobsSubscores {
    fn all(&self) -> [Option<u8>; 5] {
        [
            self.pulse,
            self.resp_rate,
            self.systolic,
            self.temp,
            self.consciousness,
        ]
    }
}

/// The recommended municipal response (Holstebro, Skive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TobsBand {
    /// TOBS 0.
    None,
    /// TOBS 1.
    Low,
    /// TOBS 2 or more: the nurse is contacted.
    Raised,
}

/// What the municipal response algorithm says about repeating the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TobsMonitoring {
    /// "Gentag score efter skøn".
    AtDiscretion,
    /// Repeat the observation 3 times over the next day.
    ThreeTimesNextDay,
    /// Contact the nurse, and repeat the score.
    ContactNurse,
}

/// A TOBS result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TobsScore {
    /// Sum of the known subscores (0–15).
    pub total: u8,
    /// Each parameter's score (`None`: not measured).
    pub subscores: TobsSubscores,
    /// The band.
    pub band: TobsBand,
    /// One parameter scored 3 (informational: TOBS has no single-parameter trigger).
    pub red_flag: bool,
    /// How often to observe.
    pub monitoring: TobsMonitoring,
    /// The temperature used for scoring, corrected to rectal, in °C.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temp_scored: Option<Temperature>,
    /// Number of the five parameters that were not measured.
    pub missing: u8,
}

/// Pulse, with the gaps at 39 and 130 closed towards the abnormal side.
pub fn score_pulse(p: Pulse) -> u8 {
    match p.get() {
        ..=39 => 2,
        40..=49 => 1,
        50..=89 => 0,
        90..=109 => 1,
        110..=129 => 2,
        _ => 3,
    }
}

/// Respiration, with the gaps at 8 and 25 closed towards the abnormal side.
pub fn score_resp_rate(rr: RespRate) -> u8 {
    match rr.get() {
        ..=8 => 3,
        9..=11 => 1,
        12..=20 => 0,
        21..=24 => 2,
        _ => 3,
    }
}

/// Systolic pressure, with the gaps at 69 and 200 closed towards the abnormal side.
pub fn score_systolic(s: Systolic) -> u8 {
    match s.get() {
        ..=69 => 3,
        70..=79 => 2,
        80..=99 => 1,
        100..=199 => 0,
        _ => 2,
    }
}

/// Temperature (already corrected to rectal), in tenths.
pub fn score_temp(t: Temperature) -> u8 {
    match t.tenths() {
        ..=339 => 3,
        340..=359 => 2,
        360..=379 => 0,
        380..=389 => 1,
        390..=399 => 2,
        _ => 3,
    }
}

/// Consciousness ("Bevidsthed").
pub fn score_consciousness(c: TobsConsciousness) -> u8 {
    match c {
        TobsConsciousness::Habitual => 0,
        TobsConsciousness::Agitated
        | TobsConsciousness::NewConfusion
        | TobsConsciousness::Voice => 1,
        TobsConsciousness::Pain => 2,
        TobsConsciousness::Unresponsive => 3,
    }
}

/// Scores a complete set.
pub fn score(input: &TobsInput) -> TobsScore {
    score_partial(&TobsPartial::from(*input))
}

/// Scores whatever was measured.
pub fn score_partial(p: &TobsPartial) -> TobsScore {
    let temp_scored = p
        .temp
        .map(|t| t.plus_tenths(p.temp_site.tobs_correction_tenths()));
    let subscores = TobsSubscores {
        pulse: p.pulse.map(score_pulse),
        resp_rate: p.resp_rate.map(score_resp_rate),
        systolic: p.systolic.map(score_systolic),
        temp: temp_scored.map(score_temp),
        consciousness: p.consciousness.map(score_consciousness),
    };
    let all = subscores.all();
    let total: u8 = all.iter().flatten().sum();
    let red_flag = all.contains(&Some(3));
    let (band, monitoring) = match total {
        0 => (TobsBand::None, TobsMonitoring::AtDiscretion),
        1 => (TobsBand::Low, TobsMonitoring::ThreeTimesNextDay),
        _ => (TobsBand::Raised, TobsMonitoring::ContactNurse),
    };
    TobsScore {
        total,
        subscores,
        band,
        red_flag,
        monitoring,
        temp_scored,
        missing: all.iter().filter(|s| s.is_none()).count() as u8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(tenths: i32) -> Temperature {
        Temperature::from_tenths(tenths).expect("valid")
    }

    #[test]
    fn pulse_band_edges_and_gaps() {
        for (v, s) in [
            (20, 2),
            (38, 2),
            (39, 2),
            (40, 1),
            (49, 1),
            (50, 0),
            (89, 0),
            (90, 1),
            (109, 1),
            (110, 2),
            (129, 2),
            (130, 3),
            (131, 3),
        ] {
            assert_eq!(score_pulse(Pulse::new(v).expect("valid")), s, "pulse {v}");
        }
    }

    #[test]
    fn respiration_band_edges_and_gaps() {
        for (v, s) in [
            (1, 3),
            (7, 3),
            (8, 3),
            (9, 1),
            (11, 1),
            (12, 0),
            (20, 0),
            (21, 2),
            (24, 2),
            (25, 3),
            (26, 3),
        ] {
            assert_eq!(
                score_resp_rate(RespRate::new(v).expect("valid")),
                s,
                "RR {v}"
            );
        }
    }

    #[test]
    fn systolic_band_edges_and_gaps() {
        for (v, s) in [
            (30, 3),
            (68, 3),
            (69, 3),
            (70, 2),
            (79, 2),
            (80, 1),
            (99, 1),
            (100, 0),
            (199, 0),
            (200, 2),
            (201, 2),
            (300, 2),
        ] {
            assert_eq!(
                score_systolic(Systolic::new(v).expect("valid")),
                s,
                "SBP {v}"
            );
        }
    }

    #[test]
    fn temperature_band_edges_and_gaps() {
        for (v, s) in [
            (250, 3),
            (338, 3),
            (339, 3),
            (340, 2),
            (359, 2),
            (360, 0),
            (379, 0),
            (380, 1),
            (389, 1),
            (390, 2),
            (399, 2),
            (400, 3),
            (401, 3),
        ] {
            assert_eq!(score_temp(t(v)), s, "temp {v}");
        }
    }

    #[test]
    fn consciousness_grades() {
        use TobsConsciousness::*;
        for (c, s) in [
            (Habitual, 0),
            (Agitated, 1),
            (NewConfusion, 1),
            (Voice, 1),
            (Pain, 2),
            (Unresponsive, 3),
        ] {
            assert_eq!(score_consciousness(c), s, "{c:?}");
        }
    }

    #[test]
    fn site_correction_is_applied_before_scoring() {
        let base = TobsInput {
            resp_rate: RespRate::new(16).expect("valid"),
            systolic: Systolic::new(130).expect("valid"),
            pulse: Pulse::new(70).expect("valid"),
            consciousness: TobsConsciousness::Habitual,
            temp: t(375),
            temp_site: TempSite::Rectal,
        };
        assert_eq!(score(&base).total, 0);
        let oral = score(&TobsInput {
            temp_site: TempSite::Oral,
            ..base
        });
        assert_eq!(oral.subscores.temp, Some(1), "37,5 oral is 38,0 rectal");
        let axillary = score(&TobsInput {
            temp: t(380),
            temp_site: TempSite::Axillary,
            ..base
        });
        assert_eq!(
            axillary.subscores.temp,
            Some(2),
            "38,0 axillary is 39,0 rectal"
        );
    }

    #[test]
    fn dk_core_example_is_four_not_three() {
        // docs/clinical.md § TOBS: "ElsesTOBS" states 3; the table gives 4.
        let r = score(&TobsInput {
            resp_rate: RespRate::new(19).expect("valid"),
            systolic: Systolic::new(147).expect("valid"),
            pulse: Pulse::new(92).expect("valid"),
            consciousness: TobsConsciousness::Pain,
            temp: t(387),
            temp_site: TempSite::Rectal,
        });
        assert_eq!(r.total, 4);
        assert_eq!(r.band, TobsBand::Raised);
    }

    #[test]
    fn maximum_is_fifteen() {
        let r = score(&TobsInput {
            resp_rate: RespRate::new(30).expect("valid"),
            systolic: Systolic::new(60).expect("valid"),
            pulse: Pulse::new(140).expect("valid"),
            consciousness: TobsConsciousness::Unresponsive,
            temp: t(410),
            temp_site: TempSite::Rectal,
        });
        assert_eq!(r.total, 15);
        assert!(r.red_flag);
    }
}
