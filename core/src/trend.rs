//! A re-measurement against the measurement before it: the trend a
//! physician reads first ("NEWS2 5 → 8, RF 22 → 28") and whether the
//! resident got worse.
//!
//! Worse (issue 16 § 1, docs/clinical.md): NEWS2 up by 2 or more, a higher
//! urgency band, any danger sign that was not there before, or a single
//! parameter now scoring 3 that did not. Worse pages the physician again at
//! the new urgency with the trend first; not worse is a quiet note.

use serde::{Deserialize, Serialize};

use crate::assessment::{FlagId, Urgency, Vitals};
use crate::i18n::Msg;
use crate::news2::{News2Score, News2Subscores};
use crate::sentences::vital_value;
use crate::vitals::Param;

/// What a re-measurement is compared with: the measurement before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Baseline {
    /// The vital signs as they were.
    pub vitals: Vitals,
    /// NEWS2 then (sum of the parameters measured).
    pub news2: u8,
    /// The subscores then.
    pub subscores: News2Subscores,
    /// The urgency then.
    pub urgency: Urgency,
    /// The danger signs then.
    pub red_flags: Vec<FlagId>,
}

impl Baseline {
    /// The baseline of a case as it stands.
    pub fn of(vitals: Vitals, news2: &News2Score, urgency: Urgency, red_flags: &[FlagId]) -> Self {
        Baseline {
            vitals,
            news2: news2.total,
            subscores: news2.subscores,
            urgency,
            red_flags: red_flags.to_vec(),
        }
    }
}

/// Why a re-measurement counts as worse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Worse {
    /// NEWS2 up by 2 or more.
    News2Up,
    /// A higher urgency band.
    HigherBand,
    /// A danger sign that was not there before.
    NewRedFlag,
    /// A single parameter now scores 3 that did not before.
    ParamScoresThree,
}

/// One vital sign that changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Change {
    /// Which.
    pub param: Param,
    /// As shown before.
    pub before: String,
    /// As shown now.
    pub now: String,
}

/// A re-measurement against the one before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Trend {
    /// NEWS2 before and now.
    pub news2: (u8, u8),
    /// The urgency before and now.
    pub urgency: (Urgency, Urgency),
    /// The vital signs measured both times that changed, in chart order.
    pub changes: Vec<Change>,
    /// Danger signs that were not there before.
    pub new_flags: Vec<FlagId>,
    /// Why it is worse; empty when it is not.
    pub worse: Vec<Worse>,
}

fn subscore(s: &News2Subscores, p: Param) -> Option<u8> {
    match p {
        Param::RespRate => s.resp_rate,
        Param::Spo2 => s.spo2,
        Param::Oxygen => s.oxygen,
        Param::Systolic => s.systolic,
        Param::Pulse => s.pulse,
        Param::Consciousness => s.consciousness,
        Param::Temp => s.temp,
    }
}

impl Trend {
    /// Compares the measurement `now` with `before`.
    pub fn between(
        before: &Baseline,
        vitals: &Vitals,
        news2: &News2Score,
        urgency: Urgency,
        red_flags: &[FlagId],
    ) -> Trend {
        let changes = Param::ALL
            .iter()
            .filter_map(|p| {
                let (b, n) = (before.vitals.display(*p)?, vitals.display(*p)?);
                // A blood pressure given once with and once without its
                // diastolic is the same systolic.
                let scored = |s: &str| s.split('/').next().unwrap_or_default().trim().to_string();
                (scored(&b) != scored(&n)).then_some(Change {
                    param: *p,
                    before: b,
                    now: n,
                })
            })
            .collect();
        let new_flags: Vec<FlagId> = red_flags
            .iter()
            .filter(|f| !before.red_flags.contains(f))
            .cloned()
            .collect();
        let mut worse = Vec::new();
        if news2.total >= before.news2.saturating_add(2) {
            worse.push(Worse::News2Up);
        }
        if urgency > before.urgency {
            worse.push(Worse::HigherBand);
        }
        if !new_flags.is_empty() {
            worse.push(Worse::NewRedFlag);
        }
        if Param::ALL.iter().any(|p| {
            subscore(&news2.subscores, *p) == Some(3) && subscore(&before.subscores, *p) != Some(3)
        }) {
            worse.push(Worse::ParamScoresThree);
        }
        Trend {
            news2: (before.news2, news2.total),
            urgency: (before.urgency, urgency),
            changes,
            new_flags,
            worse,
        }
    }

    /// Whether the resident got worse.
    pub fn is_worse(&self) -> bool {
        !self.worse.is_empty()
    }

    /// "NEWS2 5 → 8, RF 22 → 28, Puls 98 → 124" (the parameter names are
    /// the locale's).
    pub fn line(&self) -> Msg {
        let mut parts = vec![Msg::new("trend-news2")
            .arg("before", self.news2.0)
            .arg("now", self.news2.1)];
        for c in &self.changes {
            parts.push(
                Msg::new("trend-change")
                    .arg_msg("param", Msg::new(format!("param-{}", c.param.field())))
                    .arg_msg("before", vital_value(c.param, &c.before))
                    .arg_msg("now", vital_value(c.param, &c.now)),
            );
        }
        Msg::new("trend-line").arg_list("parts", parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assessment::Answer;
    use crate::i18n::{Lang, Localizer};
    use crate::news2::score_partial;
    use crate::vitals::{Pulse, RespRate, Spo2Scale};

    fn vitals(rr: u16, pulse: u16) -> Vitals {
        Vitals {
            resp_rate: Answer::Given(RespRate::new(rr.into()).expect("rr")),
            pulse: Answer::Given(Pulse::new(pulse.into()).expect("pulse")),
            ..Vitals::default()
        }
    }

    fn base(v: Vitals, urgency: Urgency) -> Baseline {
        Baseline::of(v, &score_partial(&v.news2(Spo2Scale::Scale1)), urgency, &[])
    }

    #[test]
    fn a_rise_of_two_or_a_parameter_scoring_three_is_worse_and_one_is_not() {
        let before = base(vitals(20, 95), Urgency::Low);
        // RF 20 scores 0, pulse 95 scores 1 (NEWS2 1).
        let now = vitals(22, 112);
        let s = score_partial(&now.news2(Spo2Scale::Scale1));
        let t = Trend::between(&before, &now, &s, Urgency::Low, &[]);
        assert_eq!(t.news2, (1, 4));
        assert_eq!(t.worse, vec![Worse::News2Up]);
        let now = vitals(20, 100);
        let s = score_partial(&now.news2(Spo2Scale::Scale1));
        let t = Trend::between(&before, &now, &s, Urgency::Low, &[]);
        assert!(!t.is_worse(), "{t:?}");
        let now = vitals(26, 95);
        let s = score_partial(&now.news2(Spo2Scale::Scale1));
        let t = Trend::between(&before, &now, &s, Urgency::Medium, &[]);
        assert!(t.worse.contains(&Worse::ParamScoresThree), "{t:?}");
        assert!(t.worse.contains(&Worse::HigherBand), "{t:?}");
    }

    #[test]
    fn a_new_danger_sign_is_worse_whatever_the_score() {
        let before = base(vitals(20, 95), Urgency::Low);
        let now = vitals(18, 90);
        let s = score_partial(&now.news2(Spo2Scale::Scale1));
        let t = Trend::between(
            &before,
            &now,
            &s,
            Urgency::Red,
            &[FlagId("chest_pain".into())],
        );
        assert!(t.worse.contains(&Worse::NewRedFlag));
    }

    #[test]
    fn the_trend_reads_as_the_physician_expects() {
        let loc = Localizer::builtin().expect("texts");
        let before = base(vitals(22, 98), Urgency::Low);
        let now = vitals(28, 98);
        let s = score_partial(&now.news2(Spo2Scale::Scale1));
        let t = Trend::between(&before, &now, &s, Urgency::Medium, &[]);
        assert_eq!(loc.render(Lang::Da, &t.line()), "NEWS2 3 → 4, RF 22 → 28");
        assert_eq!(loc.render(Lang::En, &t.line()), "NEWS2 3 → 4, RR 22 → 28");
    }
}
