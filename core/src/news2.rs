//! NEWS2 (Royal College of Physicians, 2017): Chart 1 scoring, Chart 3 bands
//! and Chart 4 monitoring frequency. See docs/clinical.md § NEWS2.
//!
//! Key design decision: the score is computed from *optional* parameters. A
//! nursing home at night often cannot measure everything; the checklist must
//! still say something. A partial score is a lower bound of the real one, and
//! the result says which parameters are missing so no reader mistakes it for a
//! full NEWS2. The CLI and the API demand every parameter.

use serde::{Deserialize, Serialize};

use crate::vitals::{
    Acvpu, Oxygen, Param, Pulse, RespRate, Spo2, Spo2Scale, Systolic, Temperature,
};

/// A complete set of NEWS2 observations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct News2Input {
    /// Respiration rate.
    pub resp_rate: RespRate,
    /// Oxygen saturation.
    pub spo2: Spo2,
    /// Which SpO2 scale applies.
    #[serde(default)]
    pub spo2_scale: Spo2Scale,
    /// Air or supplemental oxygen.
    pub oxygen: Oxygen,
    /// Systolic blood pressure.
    pub systolic: Systolic,
    /// Pulse.
    pub pulse: Pulse,
    /// ACVPU.
    pub consciousness: Acvpu,
    /// Temperature.
    pub temp: Temperature,
}

/// Observations, any of which may be missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct News2Partial {
    /// Respiration rate, if measured.
    pub resp_rate: Option<RespRate>,
    /// Oxygen saturation, if measured.
    pub spo2: Option<Spo2>,
    /// Which SpO2 scale applies.
    #[serde(default)]
    pub spo2_scale: Spo2Scale,
    /// Air or oxygen, if known.
    pub oxygen: Option<Oxygen>,
    /// Systolic blood pressure, if measured.
    pub systolic: Option<Systolic>,
    /// Pulse, if measured.
    pub pulse: Option<Pulse>,
    /// ACVPU, if assessed.
    pub consciousness: Option<Acvpu>,
    /// Temperature, if measured.
    pub temp: Option<Temperature>,
}

impl From<News2Input> for News2Partial {
    fn from(i: News2Input) -> Self {
        News2Partial {
            resp_rate: Some(i.resp_rate),
            spo2: Some(i.spo2),
            spo2_scale: i.spo2_scale,
            oxygen: Some(i.oxygen),
            systolic: Some(i.systolic),
            pulse: Some(i.pulse),
            consciousness: Some(i.consciousness),
            temp: Some(i.temp),
        }
    }
}

/// The seven subscores; `None` where the parameter was not measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct News2Subscores {
    /// Respiration rate's score.
    pub resp_rate: Option<u8>,
    /// SpO2's score.
    pub spo2: Option<u8>,
    /// Air or oxygen's score.
    pub oxygen: Option<u8>,
    /// Systolic pressure's score.
    pub systolic: Option<u8>,
    /// Pulse's score.
    pub pulse: Option<u8>,
    /// Consciousness's score.
    pub consciousness: Option<u8>,
    /// Temperature's score.
    pub temp: Option<u8>,
}

impl News2Subscores {
    /// (parameter, subscore) in chart order.
    pub fn iter(&self) -> impl Iterator<Item = (Param, Option<u8>)> {
        [
            (Param::RespRate, self.resp_rate),
            (Param::Spo2, self.spo2),
            (Param::Oxygen, self.oxygen),
            (Param::Systolic, self.systolic),
            (Param::Pulse, self.pulse),
            (Param::Consciousness, self.consciousness),
            (Param::Temp, self.temp),
        ]
        .into_iter()
    }
}

/// Chart 3's clinical risk bands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum News2Band {
    /// 0–4.
    Low,
    /// A single parameter scored 3, total under 5.
    LowMedium,
    /// 5–6: the urgent response threshold.
    Medium,
    /// 7 or more: the emergency response threshold.
    High,
}

impl News2Band {
    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            News2Band::Low => "low",
            News2Band::LowMedium => "low_medium",
            News2Band::Medium => "medium",
            News2Band::High => "high",
        }
    }
}

/// Chart 4's minimum frequency of monitoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum News2Monitoring {
    /// Score 0: minimum 12-hourly.
    Min12Hourly,
    /// Total 1–4: minimum 4–6-hourly.
    Min4To6Hourly,
    /// A single 3, or total 5–6: minimum 1-hourly.
    MinHourly,
    /// Total 7 or more: continuous monitoring of vital signs.
    Continuous,
}

impl News2Monitoring {
    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            News2Monitoring::Min12Hourly => "min_12_hourly",
            News2Monitoring::Min4To6Hourly => "min_4_6_hourly",
            News2Monitoring::MinHourly => "min_1_hourly",
            News2Monitoring::Continuous => "continuous",
        }
    }
}

/// A NEWS2 result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct News2Score {
    /// Sum of the known subscores (0–20).
    pub total: u8,
    /// Each parameter's score (`None`: not measured).
    pub subscores: News2Subscores,
    /// The clinical risk band (Chart 3).
    pub band: News2Band,
    /// A single parameter scored 3 ("red score").
    pub red_flag: bool,
    /// How often to observe (Chart 4).
    pub monitoring: News2Monitoring,
    /// Parameters that were not measured; empty for a full NEWS2.
    pub missing: Vec<Param>,
}

impl News2Score {
    /// True when every parameter was measured.
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty()
    }

    /// True when nothing at all was measured.
    pub fn is_empty(&self) -> bool {
        self.missing.len() == Param::ALL.len()
    }
}

/// Chart 1, respiration rate.
pub fn score_resp_rate(rr: RespRate) -> u8 {
    match rr.get() {
        ..=8 => 3,
        9..=11 => 1,
        12..=20 => 0,
        21..=24 => 2,
        _ => 3,
    }
}

/// Chart 1, SpO2 on the given scale; the scale-2 upper rows depend on oxygen.
pub fn score_spo2(spo2: Spo2, scale: Spo2Scale, oxygen: Option<Oxygen>) -> u8 {
    let v = spo2.get();
    match scale {
        Spo2Scale::Scale1 => match v {
            ..=91 => 3,
            92..=93 => 2,
            94..=95 => 1,
            _ => 0,
        },
        Spo2Scale::Scale2 => match v {
            ..=83 => 3,
            84..=85 => 2,
            86..=87 => 1,
            88..=92 => 0,
            // On air (or unknown, counted as air: the lower bound) ≥93 scores 0.
            _ if oxygen != Some(Oxygen::Oxygen) => 0,
            93..=94 => 1,
            95..=96 => 2,
            _ => 3,
        },
    }
}

/// Chart 1, air or oxygen.
pub fn score_oxygen(o: Oxygen) -> u8 {
    match o {
        Oxygen::Air => 0,
        Oxygen::Oxygen => 2,
    }
}

/// Chart 1, systolic blood pressure.
pub fn score_systolic(sbp: Systolic) -> u8 {
    match sbp.get() {
        ..=90 => 3,
        91..=100 => 2,
        101..=110 => 1,
        111..=219 => 0,
        _ => 3,
    }
}

/// Chart 1, pulse.
pub fn score_pulse(p: Pulse) -> u8 {
    match p.get() {
        ..=40 => 3,
        41..=50 => 1,
        51..=90 => 0,
        91..=110 => 1,
        111..=130 => 2,
        _ => 3,
    }
}

/// Chart 1, consciousness (ACVPU).
pub fn score_consciousness(c: Acvpu) -> u8 {
    match c {
        Acvpu::A => 0,
        Acvpu::C | Acvpu::V | Acvpu::P | Acvpu::U => 3,
    }
}

/// Chart 1, temperature, compared in tenths of a degree.
pub fn score_temp(t: Temperature) -> u8 {
    match t.tenths() {
        ..=350 => 3,
        351..=360 => 1,
        361..=380 => 0,
        381..=390 => 1,
        _ => 2,
    }
}

/// Scores a complete set of observations.
pub fn score(input: &News2Input) -> News2Score {
    score_partial(&News2Partial::from(*input))
}

/// Scores whatever was measured.
pub fn score_partial(p: &News2Partial) -> News2Score {
    let subscores = News2Subscores {
        resp_rate: p.resp_rate.map(score_resp_rate),
        spo2: p.spo2.map(|s| score_spo2(s, p.spo2_scale, p.oxygen)),
        oxygen: p.oxygen.map(score_oxygen),
        systolic: p.systolic.map(score_systolic),
        pulse: p.pulse.map(score_pulse),
        consciousness: p.consciousness.map(score_consciousness),
        temp: p.temp.map(score_temp),
    };
    let total: u8 = subscores.iter().filter_map(|(_, s)| s).sum();
    let red_flag = subscores.iter().any(|(_, s)| s == Some(3));
    let band = if total >= 7 {
        News2Band::High
    } else if total >= 5 {
        News2Band::Medium
    } else if red_flag {
        News2Band::LowMedium
    } else {
        News2Band::Low
    };
    let monitoring = match band {
        News2Band::High => News2Monitoring::Continuous,
        News2Band::Medium | News2Band::LowMedium => News2Monitoring::MinHourly,
        News2Band::Low if total == 0 => News2Monitoring::Min12Hourly,
        News2Band::Low => News2Monitoring::Min4To6Hourly,
    };
    let missing = subscores
        .iter()
        .filter(|(_, s)| s.is_none())
        .map(|(p, _)| p)
        .collect();
    News2Score {
        total,
        subscores,
        band,
        red_flag,
        monitoring,
        missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rr(v: i32) -> RespRate {
        RespRate::new(v).expect("valid")
    }
    fn spo2(v: i32) -> Spo2 {
        Spo2::new(v).expect("valid")
    }
    fn sbp(v: i32) -> Systolic {
        Systolic::new(v).expect("valid")
    }
    fn pulse(v: i32) -> Pulse {
        Pulse::new(v).expect("valid")
    }
    fn temp(t: i32) -> Temperature {
        Temperature::from_tenths(t).expect("valid")
    }

    fn normal() -> News2Input {
        News2Input {
            resp_rate: rr(16),
            spo2: spo2(97),
            spo2_scale: Spo2Scale::Scale1,
            oxygen: Oxygen::Air,
            systolic: sbp(130),
            pulse: pulse(70),
            consciousness: Acvpu::A,
            temp: temp(370),
        }
    }

    /// Every band edge of Chart 1: (value, expected subscore).
    #[test]
    fn respiration_rate_band_edges() {
        for (v, s) in [
            (1, 3),
            (8, 3),
            (9, 1),
            (11, 1),
            (12, 0),
            (20, 0),
            (21, 2),
            (24, 2),
            (25, 3),
            (80, 3),
        ] {
            assert_eq!(score_resp_rate(rr(v)), s, "RR {v}");
        }
    }

    #[test]
    fn spo2_scale_1_band_edges_ignore_oxygen() {
        for o in [None, Some(Oxygen::Air), Some(Oxygen::Oxygen)] {
            for (v, s) in [
                (50, 3),
                (91, 3),
                (92, 2),
                (93, 2),
                (94, 1),
                (95, 1),
                (96, 0),
                (100, 0),
            ] {
                assert_eq!(
                    score_spo2(spo2(v), Spo2Scale::Scale1, o),
                    s,
                    "SpO2 {v} scale 1 {o:?}"
                );
            }
        }
    }

    #[test]
    fn spo2_scale_2_band_edges_on_air() {
        for (v, s) in [
            (83, 3),
            (84, 2),
            (85, 2),
            (86, 1),
            (87, 1),
            (88, 0),
            (92, 0),
            (93, 0),
            (97, 0),
            (100, 0),
        ] {
            assert_eq!(
                score_spo2(spo2(v), Spo2Scale::Scale2, Some(Oxygen::Air)),
                s,
                "SpO2 {v} scale 2 air"
            );
        }
    }

    #[test]
    fn spo2_scale_2_band_edges_on_oxygen() {
        for (v, s) in [
            (83, 3),
            (84, 2),
            (85, 2),
            (86, 1),
            (87, 1),
            (88, 0),
            (92, 0),
            (93, 1),
            (94, 1),
            (95, 2),
            (96, 2),
            (97, 3),
            (100, 3),
        ] {
            assert_eq!(
                score_spo2(spo2(v), Spo2Scale::Scale2, Some(Oxygen::Oxygen)),
                s,
                "SpO2 {v} scale 2 O2"
            );
        }
    }

    #[test]
    fn air_or_oxygen() {
        assert_eq!(score_oxygen(Oxygen::Air), 0);
        assert_eq!(score_oxygen(Oxygen::Oxygen), 2);
    }

    #[test]
    fn systolic_band_edges() {
        for (v, s) in [
            (30, 3),
            (90, 3),
            (91, 2),
            (100, 2),
            (101, 1),
            (110, 1),
            (111, 0),
            (219, 0),
            (220, 3),
            (300, 3),
        ] {
            assert_eq!(score_systolic(sbp(v)), s, "SBP {v}");
        }
    }

    #[test]
    fn pulse_band_edges() {
        for (v, s) in [
            (20, 3),
            (40, 3),
            (41, 1),
            (50, 1),
            (51, 0),
            (90, 0),
            (91, 1),
            (110, 1),
            (111, 2),
            (130, 2),
            (131, 3),
            (300, 3),
        ] {
            assert_eq!(score_pulse(pulse(v)), s, "pulse {v}");
        }
    }

    #[test]
    fn consciousness_acvpu() {
        assert_eq!(score_consciousness(Acvpu::A), 0);
        for c in [Acvpu::C, Acvpu::V, Acvpu::P, Acvpu::U] {
            assert_eq!(score_consciousness(c), 3, "{c:?}");
        }
    }

    #[test]
    fn temperature_band_edges_in_tenths() {
        for (t, s) in [
            (250, 3),
            (350, 3),
            (351, 1),
            (360, 1),
            (361, 0),
            (375, 0),
            (380, 0),
            (381, 1),
            (390, 1),
            (391, 2),
            (450, 2),
        ] {
            assert_eq!(score_temp(temp(t)), s, "temp {t}");
        }
    }

    #[test]
    fn issue_example_scores_seven_high() {
        let input = News2Input {
            resp_rate: rr(24),
            spo2: spo2(93),
            spo2_scale: Spo2Scale::Scale1,
            oxygen: Oxygen::Air,
            systolic: sbp(110),
            pulse: pulse(105),
            consciousness: Acvpu::A,
            temp: temp(389),
        };
        let r = score(&input);
        assert_eq!(r.total, 7);
        assert_eq!(r.band, News2Band::High);
        assert!(!r.red_flag);
        assert_eq!(r.monitoring, News2Monitoring::Continuous);
        assert_eq!(r.subscores.resp_rate, Some(2));
        assert_eq!(r.subscores.spo2, Some(2));
        assert_eq!(r.subscores.systolic, Some(1));
        assert_eq!(r.subscores.pulse, Some(1));
        assert_eq!(r.subscores.temp, Some(1));
    }

    #[test]
    fn synanetics_example_is_five_not_six() {
        // docs/clinical.md § NEWS2: the published example gives 6; Chart 1 gives 5.
        let input = News2Input {
            resp_rate: rr(21),
            spo2: spo2(93),
            spo2_scale: Spo2Scale::Scale1,
            oxygen: Oxygen::Air,
            systolic: sbp(120),
            pulse: pulse(95),
            consciousness: Acvpu::A,
            temp: temp(375),
        };
        let r = score(&input);
        assert_eq!(r.total, 5);
        assert_eq!(r.band, News2Band::Medium);
    }

    #[test]
    fn bands_and_monitoring_follow_charts_3_and_4() {
        let zero = score(&normal());
        assert_eq!(
            (zero.total, zero.band, zero.monitoring),
            (0, News2Band::Low, News2Monitoring::Min12Hourly)
        );

        let one = score(&News2Input {
            pulse: pulse(95),
            ..normal()
        });
        assert_eq!(
            (one.total, one.band, one.monitoring),
            (1, News2Band::Low, News2Monitoring::Min4To6Hourly)
        );

        let four = score(&News2Input {
            resp_rate: rr(22),
            spo2: spo2(93),
            ..normal()
        });
        assert_eq!(
            (four.total, four.band, four.monitoring),
            (4, News2Band::Low, News2Monitoring::Min4To6Hourly)
        );

        let single3 = score(&News2Input {
            consciousness: Acvpu::C,
            ..normal()
        });
        assert_eq!(
            (single3.total, single3.band, single3.red_flag),
            (3, News2Band::LowMedium, true)
        );
        assert_eq!(single3.monitoring, News2Monitoring::MinHourly);

        let five = score(&News2Input {
            resp_rate: rr(22),
            spo2: spo2(93),
            pulse: pulse(95),
            ..normal()
        });
        assert_eq!(
            (five.total, five.band, five.monitoring),
            (5, News2Band::Medium, News2Monitoring::MinHourly)
        );

        let six = score(&News2Input {
            resp_rate: rr(22),
            spo2: spo2(93),
            systolic: sbp(100),
            ..normal()
        });
        assert_eq!((six.total, six.band), (6, News2Band::Medium));

        let seven = score(&News2Input {
            resp_rate: rr(25),
            spo2: spo2(93),
            systolic: sbp(100),
            ..normal()
        });
        assert_eq!(
            (seven.total, seven.band, seven.monitoring),
            (7, News2Band::High, News2Monitoring::Continuous)
        );
    }

    #[test]
    fn maximum_is_twenty() {
        let r = score(&News2Input {
            resp_rate: rr(30),
            spo2: spo2(80),
            spo2_scale: Spo2Scale::Scale1,
            oxygen: Oxygen::Oxygen,
            systolic: sbp(80),
            pulse: pulse(140),
            consciousness: Acvpu::U,
            temp: temp(340),
        });
        assert_eq!(r.total, 20);
    }

    #[test]
    fn partial_score_names_what_is_missing() {
        let p = News2Partial {
            pulse: Some(pulse(120)),
            temp: Some(temp(391)),
            ..Default::default()
        };
        let r = score_partial(&p);
        assert_eq!(r.total, 4);
        assert!(!r.is_complete());
        assert_eq!(
            r.missing,
            vec![
                Param::RespRate,
                Param::Spo2,
                Param::Oxygen,
                Param::Systolic,
                Param::Consciousness
            ]
        );
        let none = score_partial(&News2Partial::default());
        assert!(none.is_empty());
        assert_eq!(none.total, 0);
    }
}
