//! The vital signs a case has collected: set, skipped, scored, shown.

use super::parse::VitalValue;
use super::{Answer, Vitals};
use crate::news2::News2Partial;
use crate::tobs::TobsPartial;
use crate::vitals::{Oxygen, Param, Spo2Scale, TobsConsciousness};

impl Vitals {
    pub(super) fn answered(&self, p: Param) -> bool {
        match p {
            Param::RespRate => self.resp_rate.is_answered(),
            Param::Spo2 => self.spo2.is_answered(),
            Param::Oxygen => self.oxygen.is_answered(),
            Param::Systolic => self.systolic.is_answered(),
            Param::Pulse => self.pulse.is_answered(),
            Param::Consciousness => self.consciousness.is_answered(),
            Param::Temp => self.temp.is_answered(),
        }
    }

    pub(super) fn skip(&mut self, p: Param) {
        match p {
            Param::RespRate => self.resp_rate = Answer::Skipped,
            Param::Spo2 => self.spo2 = Answer::Skipped,
            Param::Oxygen => self.oxygen = Answer::Skipped,
            Param::Systolic => self.systolic = Answer::Skipped,
            Param::Pulse => self.pulse = Answer::Skipped,
            Param::Consciousness => self.consciousness = Answer::Skipped,
            Param::Temp => self.temp = Answer::Skipped,
        }
    }

    pub(super) fn set(&mut self, v: VitalValue) -> Param {
        match v {
            VitalValue::RespRate(x) => {
                self.resp_rate = Answer::Given(x);
                Param::RespRate
            }
            VitalValue::Spo2(x) => {
                self.spo2 = Answer::Given(x);
                Param::Spo2
            }
            VitalValue::Oxygen(x) => {
                self.oxygen = Answer::Given(x);
                Param::Oxygen
            }
            VitalValue::Systolic(x, d) => {
                self.systolic = Answer::Given(x);
                self.diastolic = d;
                Param::Systolic
            }
            VitalValue::Pulse(x) => {
                self.pulse = Answer::Given(x);
                Param::Pulse
            }
            VitalValue::Consciousness(x) => {
                self.consciousness = Answer::Given(x);
                Param::Consciousness
            }
            VitalValue::Temp(x, site) => {
                self.temp = Answer::Given(x);
                self.temp_site = site;
                Param::Temp
            }
        }
    }

    /// The NEWS2 inputs; scale 2 only when prescribed for the resident.
    pub fn news2(&self, scale: Spo2Scale) -> News2Partial {
        News2Partial {
            resp_rate: self.resp_rate.value(),
            spo2: self.spo2.value(),
            spo2_scale: scale,
            oxygen: self.oxygen.value(),
            systolic: self.systolic.value(),
            pulse: self.pulse.value(),
            consciousness: self.consciousness.value().map(TobsConsciousness::to_acvpu),
            temp: self.temp.value(),
        }
    }

    /// The TOBS inputs.
    pub fn tobs(&self) -> TobsPartial {
        TobsPartial {
            resp_rate: self.resp_rate.value(),
            systolic: self.systolic.value(),
            pulse: self.pulse.value(),
            consciousness: self.consciousness.value(),
            temp: self.temp.value(),
            temp_site: self.temp_site,
        }
    }

    /// The value as shown in the record, for one parameter; `None` if skipped.
    pub fn display(&self, p: Param) -> Option<String> {
        match p {
            Param::RespRate => self.resp_rate.value().map(|v| v.to_string()),
            Param::Spo2 => self.spo2.value().map(|v| format!("{v} %")),
            Param::Oxygen => self.oxygen.value().map(|v| match v {
                Oxygen::Air => "air".to_string(),
                Oxygen::Oxygen => "oxygen".to_string(),
            }),
            Param::Systolic => self.systolic.value().map(|v| match self.diastolic {
                Some(d) => format!("{v}/{d}"),
                None => v.to_string(),
            }),
            Param::Pulse => self.pulse.value().map(|v| v.to_string()),
            Param::Consciousness => self.consciousness.value().map(|v| {
                serde_json::to_value(v)
                    .ok()
                    .and_then(|j| j.as_str().map(String::from))
                    .unwrap_or_default()
            }),
            Param::Temp => self.temp.value().map(|v| v.to_string()),
        }
    }
}
