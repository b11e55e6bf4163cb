//! The shared vocabulary of an assessment: the danger signs, the urgency and
//! why it was chosen, the vital signs as answered. The engine produces it,
//! the ISBAR summary and the case record carry it; it depends on neither,
//! so `engine`, `isbar` and `record` do not import each other in a circle.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::i18n::Msg;
use crate::news2::{News2Band, News2Score};
use crate::vitals::{
    Oxygen, Param, Pulse, RespRate, Spo2, Systolic, TempSite, Temperature, TobsConsciousness,
};

/// A danger sign's id, as named in the checklist definition.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(transparent)]
pub struct FlagId(pub(crate) String);

impl FlagId {
    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FlagId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How fast a physician must answer (docs/design.md § Urgency).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Urgency {
    /// No vitals, or NEWS2 0: within the hour.
    Routine,
    /// NEWS2 1–4.
    Low,
    /// NEWS2 5–6, or one parameter scoring 3.
    Medium,
    /// NEWS2 7 or more.
    High,
    /// A red flag: at once.
    Red,
}

impl Urgency {
    /// Its label message (colour and name).
    pub fn label(self) -> Msg {
        Msg::new(format!("urgency-{}", self.as_str()))
    }
}

/// The urgency of an assessment, with its reason. Red flags first; then
/// NEWS2 ≥ 7 high; 5–6 or a single 3 medium; 1–4 low; 0 or nothing routine.
pub fn assess(red_flags: &[FlagId], news2: &News2Score) -> (Urgency, Reason) {
    if !red_flags.is_empty() {
        return (Urgency::Red, Reason::RedFlag(red_flags.to_vec()));
    }
    if news2.is_empty() {
        return (Urgency::Routine, Reason::NoVitals);
    }
    let urgency = match news2.band {
        News2Band::High => Urgency::High,
        News2Band::Medium | News2Band::LowMedium => Urgency::Medium,
        News2Band::Low if news2.total >= 1 => Urgency::Low,
        News2Band::Low => Urgency::Routine,
    };
    let reason = if news2.band == News2Band::LowMedium {
        let param = news2
            .subscores
            .iter()
            .find(|(_, s)| *s == Some(3))
            .map(|(p, _)| p)
            .unwrap_or(Param::Consciousness);
        Reason::SingleThree(param)
    } else if news2.is_complete() {
        Reason::News2(news2.total)
    } else {
        Reason::News2Partial(news2.total, news2.missing.clone())
    };
    (urgency, reason)
}

/// Why an urgency was chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// These danger signs were present.
    RedFlag(Vec<FlagId>),
    /// The NEWS2 total from every parameter.
    News2(u8),
    /// A lower bound: the total from the parameters given, and those missing.
    News2Partial(u8, Vec<Param>),
    /// This parameter alone scored 3.
    SingleThree(Param),
    /// No vital signs were given.
    NoVitals,
    /// The caller asked for the physician before the checklist was done:
    /// at least high urgency, so someone answers within minutes while they
    /// hold the line; the assessment so far inside.
    #[schema(no_recursion)]
    CallerRequest(Box<Reason>),
}

impl Reason {
    /// Short English form for the record.
    pub fn code(&self) -> String {
        match self {
            Reason::RedFlag(f) => format!(
                "red_flag:{}",
                f.iter().map(FlagId::as_str).collect::<Vec<_>>().join(",")
            ),
            Reason::News2(t) => format!("news2:{t}"),
            Reason::News2Partial(t, m) => {
                format!(
                    "news2_partial:{t}:missing={}",
                    m.iter().map(|p| p.field()).collect::<Vec<_>>().join(",")
                )
            }
            Reason::SingleThree(p) => format!("single_parameter_3:{p}"),
            Reason::NoVitals => "no_vitals".into(),
            Reason::CallerRequest(r) => format!("caller_requested_physician;{}", r.code()),
        }
    }
}

/// An answer that may be missing on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "answer", content = "value")]
pub enum Answer<T> {
    /// Not asked yet.
    #[default]
    Pending,
    /// The caller said they do not know.
    Skipped,
    /// The answer.
    Given(T),
}

impl<T: Copy> Answer<T> {
    /// The value, if given.
    pub fn value(&self) -> Option<T> {
        match self {
            Answer::Given(v) => Some(*v),
            _ => None,
        }
    }
    /// Whether it has been answered (given or skipped).
    pub fn is_answered(&self) -> bool {
        !matches!(self, Answer::Pending)
    }
}

/// The vital signs collected so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct Vitals {
    /// Respiration rate.
    pub resp_rate: Answer<RespRate>,
    /// Oxygen saturation.
    pub spo2: Answer<Spo2>,
    /// Air or supplemental oxygen.
    pub oxygen: Answer<Oxygen>,
    /// Systolic blood pressure.
    pub systolic: Answer<Systolic>,
    /// Diastolic blood pressure, when given with the systolic (shown, not scored).
    pub diastolic: Option<u16>,
    /// Pulse.
    pub pulse: Answer<Pulse>,
    /// Consciousness against the resident's baseline.
    pub consciousness: Answer<TobsConsciousness>,
    /// Temperature.
    pub temp: Answer<Temperature>,
    /// Where the temperature was taken.
    #[serde(default)]
    pub temp_site: TempSite,
}

/// The snake_case name of a consciousness level (message id suffix).
pub fn tobs_consciousness_name(c: TobsConsciousness) -> &'static str {
    match c {
        TobsConsciousness::Habitual => "habitual",
        TobsConsciousness::NewConfusion => "new_confusion",
        TobsConsciousness::Agitated => "agitated",
        TobsConsciousness::Voice => "voice",
        TobsConsciousness::Pain => "pain",
        TobsConsciousness::Unresponsive => "unresponsive",
    }
}

crate::snake_case_names!(Urgency);

#[cfg(test)]
mod names {
    use serde::Serialize;
    use strum::VariantArray;

    use crate::escalation::{EscalationState, NotificationKind, NotificationStatus, NotifyChannel};
    use crate::record::{AccessAction, CaseStatus, Channel};
    use crate::store::CallRole;

    /// Each name is the one serde writes, and parses back.
    fn same<T>(name: fn(T) -> &'static str, parse: fn(&str) -> Option<T>)
    where
        T: VariantArray + Serialize + Copy + PartialEq + std::fmt::Debug,
    {
        for v in T::VARIANTS {
            let json = serde_json::to_value(v).expect("json");
            assert_eq!(json.as_str(), Some(name(*v)), "{v:?}");
            assert_eq!(parse(name(*v)), Some(*v));
        }
        assert_eq!(parse("no such name"), None);
    }

    #[test]
    fn enum_names_are_serdes_names_and_parse_back() {
        same(super::Urgency::as_str, super::Urgency::parse);
        same(Channel::as_str, Channel::parse);
        same(CaseStatus::as_str, CaseStatus::parse);
        same(EscalationState::as_str, EscalationState::parse);
        same(NotificationKind::as_str, NotificationKind::parse);
        same(NotificationStatus::as_str, NotificationStatus::parse);
        same(NotifyChannel::as_str, NotifyChannel::parse);
        same(CallRole::as_str, CallRole::parse);
        let read: &'static str = AccessAction::Read.into();
        assert_eq!(
            serde_json::to_value(AccessAction::Read).expect("json"),
            read
        );
    }
}
