//! Vital signs as parsed, range-checked values.
//!
//! Every measurement is a newtype with a private field and one constructor, so a
//! score can only ever be computed from a value that is physiologically possible
//! and in the unit the charts use. Temperature is kept in tenths of a degree: the
//! NEWS2 and TOBS bands are written with one decimal, and integers make every band
//! edge exact (no 36.05 surprises from floating point).
//!
//! The accepted ranges are wide plausibility limits, not clinical thresholds: they
//! exist to catch typing errors ("1050" for a pulse of 105), never to hide a
//! real but extreme reading.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One vital-sign parameter, named as in the API, the CLI and error messages.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    PartialOrd,
    Ord,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Param {
    /// Respiration rate.
    RespRate,
    /// Oxygen saturation.
    Spo2,
    /// Air or oxygen.
    Oxygen,
    /// Systolic blood pressure.
    Systolic,
    /// Pulse.
    Pulse,
    /// Consciousness.
    Consciousness,
    /// Temperature.
    Temp,
}

impl Param {
    /// All parameters in chart order.
    pub const ALL: [Param; 7] = [
        Param::RespRate,
        Param::Spo2,
        Param::Oxygen,
        Param::Systolic,
        Param::Pulse,
        Param::Consciousness,
        Param::Temp,
    ];

    /// The field name used in JSON, error messages and the record.
    pub fn field(self) -> &'static str {
        match self {
            Param::RespRate => "resp_rate",
            Param::Spo2 => "spo2",
            Param::Oxygen => "oxygen",
            Param::Systolic => "systolic",
            Param::Pulse => "pulse",
            Param::Consciousness => "consciousness",
            Param::Temp => "temp",
        }
    }

    /// Parses a field name as written in the checklist definitions.
    pub fn from_field(s: &str) -> Option<Param> {
        Param::ALL.into_iter().find(|p| p.field() == s)
    }
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.field())
    }
}

/// Why a value was refused. Names the field and the accepted range; the
/// message is English (API, CLI); the checklist renders its own Danish hint
/// from the same data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VitalError {
    /// A value outside what is physiologically possible.
    #[error("{field}: {value} is outside the accepted range {min}–{max}{unit}")]
    OutOfRange {
        /// Which value.
        field: &'static str,
        /// The value given.
        value: String,
        /// The smallest accepted.
        min: String,
        /// The largest accepted.
        max: String,
        /// The unit.
        unit: &'static str,
    },
    /// Not a value of this kind at all.
    #[error("{field}: could not read {value:?}; expected {expected}")]
    Unparseable {
        /// Which value.
        field: &'static str,
        /// The text given.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
}

impl VitalError {
    /// The field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            VitalError::OutOfRange { field, .. } | VitalError::Unparseable { field, .. } => field,
        }
    }
}

/// Reads an integer the way people type it: "93", "93 %", "93%", " 105 ".
pub(crate) fn parse_int(
    field: &'static str,
    raw: &str,
    expected: &'static str,
) -> Result<i32, VitalError> {
    let cleaned: String = raw.trim().trim_end_matches(['%', '.']).trim().to_string();
    cleaned.parse::<i32>().map_err(|_| VitalError::Unparseable {
        field,
        value: raw.trim().chars().take(20).collect(),
        expected,
    })
}

macro_rules! int_vital {
    ($(#[$doc:meta])* $name:ident, $field:literal, $min:literal, $max:literal, $unit:literal, $expected:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(u16);

        impl $name {
            /// The lowest accepted value.
            pub const MIN: u16 = $min;
            /// The highest accepted value.
            pub const MAX: u16 = $max;

            /// Accepts a value within the plausibility range.
            pub fn new(value: i32) -> Result<Self, VitalError> {
                if (i32::from(Self::MIN)..=i32::from(Self::MAX)).contains(&value) {
                    // The range check above makes the cast lossless.
                    Ok(Self(value as u16))
                } else {
                    Err(VitalError::OutOfRange {
                        field: $field,
                        value: value.to_string(),
                        min: Self::MIN.to_string(),
                        max: Self::MAX.to_string(),
                        unit: $unit,
                    })
                }
            }

            /// Parses typed text ("93", "93 %").
            pub fn parse(raw: &str) -> Result<Self, VitalError> {
                Self::new(parse_int($field, raw, $expected)?)
            }

            /// The value.
            pub fn get(self) -> u16 {
                self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let v = NumOrText::deserialize(d)?;
                match v {
                    NumOrText::Num(n) if n.fract() == 0.0 && n.abs() < 1e6 => {
                        Self::new(n as i32).map_err(serde::de::Error::custom)
                    }
                    NumOrText::Num(n) => Self::parse(&n.to_string()).map_err(serde::de::Error::custom),
                    NumOrText::Text(s) => Self::parse(&s).map_err(serde::de::Error::custom),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        crate::schema::schema_from!(
            $name,
            crate::schema::integer(concat!($field, ", ", $expected), f64::from($min), f64::from($max))
        );
    };
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumOrText {
    Num(f64),
    Text(String),
}

int_vital!(
    /// Respiration rate, breaths per minute.
    RespRate, "resp_rate", 1, 80, " /min", "breaths per minute, e.g. 18"
);
int_vital!(
    /// Peripheral oxygen saturation, percent.
    Spo2, "spo2", 50, 100, " %", "percent, e.g. 95"
);
int_vital!(
    /// Systolic blood pressure, mmHg.
    Systolic, "systolic", 30, 300, " mmHg", "mmHg, e.g. 120 or 120/80"
);
int_vital!(
    /// Pulse, beats per minute.
    Pulse, "pulse", 20, 300, " /min", "beats per minute, e.g. 80"
);

/// Body temperature in tenths of a degree Celsius.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(into = "f64")]
pub struct Temperature(i16);

impl Temperature {
    /// 25,0 °C in tenths.
    pub const MIN_TENTHS: i16 = 250;
    /// 45,0 °C in tenths.
    pub const MAX_TENTHS: i16 = 450;

    /// Accepts tenths of a degree within the plausibility range.
    pub fn from_tenths(tenths: i32) -> Result<Self, VitalError> {
        if (i32::from(Self::MIN_TENTHS)..=i32::from(Self::MAX_TENTHS)).contains(&tenths) {
            Ok(Self(tenths as i16))
        } else {
            Err(VitalError::OutOfRange {
                field: "temp",
                value: format_tenths(tenths),
                min: format_tenths(i32::from(Self::MIN_TENTHS)),
                max: format_tenths(i32::from(Self::MAX_TENTHS)),
                unit: " °C",
            })
        }
    }

    /// Parses "38,9", "38.9", "39", "38,9 °C", "38.9C". At most one decimal:
    /// thermometers show one, and a second would hide which band was meant.
    pub fn parse(raw: &str) -> Result<Self, VitalError> {
        let err = || VitalError::Unparseable {
            field: "temp",
            value: raw.trim().chars().take(20).collect(),
            expected: "degrees Celsius with at most one decimal, e.g. 38,9",
        };
        let s = raw
            .trim()
            .trim_end_matches(['c', 'C'])
            .trim_end_matches('°')
            .trim()
            .replace(',', ".");
        let (whole, frac) = match s.split_once('.') {
            Some((w, f)) => (w, f),
            None => (s.as_str(), ""),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || whole.len() > 3 {
            return Err(err());
        }
        if frac.len() > 1 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let w: i32 = whole.parse().map_err(|_| err())?;
        let f: i32 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| err())?
        };
        Self::from_tenths(w * 10 + f)
    }

    /// Tenths of a degree.
    pub fn tenths(self) -> i16 {
        self.0
    }

    /// This temperature raised by `tenths` (used for the TOBS site correction).
    pub fn plus_tenths(self, tenths: i16) -> Temperature {
        Temperature(self.0.saturating_add(tenths))
    }
}

impl From<Temperature> for f64 {
    fn from(t: Temperature) -> f64 {
        f64::from(t.0) / 10.0
    }
}

impl<'de> Deserialize<'de> for Temperature {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match NumOrText::deserialize(d)? {
            NumOrText::Num(n) => {
                let tenths = n * 10.0;
                if !tenths.is_finite()
                    || (tenths - tenths.round()).abs() > 1e-6
                    || tenths.abs() > 1e5
                {
                    return Err(serde::de::Error::custom(
                        "temp: use degrees Celsius with at most one decimal, e.g. 38.9",
                    ));
                }
                Temperature::from_tenths(tenths.round() as i32).map_err(serde::de::Error::custom)
            }
            NumOrText::Text(s) => Temperature::parse(&s).map_err(serde::de::Error::custom),
        }
    }
}

crate::schema::schema_from!(
    Temperature,
    crate::schema::number(
        "temperature in degrees Celsius, at most one decimal, e.g. 38.9",
        f64::from(Temperature::MIN_TENTHS) / 10.0,
        f64::from(Temperature::MAX_TENTHS) / 10.0,
    )
);

fn format_tenths(t: i32) -> String {
    let sign = if t < 0 { "-" } else { "" };
    format!("{sign}{}.{}", t.abs() / 10, t.abs() % 10)
}

impl fmt::Display for Temperature {
    /// Danish notation with a decimal comma, as staff write it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_tenths(i32::from(self.0)).replace('.', ","))
    }
}

/// Where the temperature was taken. TOBS is defined for rectal readings and
/// corrects the others (oral +0,5 °C, axillary +1 °C); NEWS2 does not say, so
/// NEWS2 always scores the reading as measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TempSite {
    /// Rectal, or not stated. Ear thermometers, the usual kind in Danish
    /// nursing homes, are treated as core temperature too.
    #[default]
    Rectal,
    /// In the ear.
    Ear,
    /// In the mouth (+0,5 °C to rectal).
    Oral,
    /// In the armpit (+1 °C to rectal).
    Axillary,
}

impl TempSite {
    /// The TOBS correction in tenths of a degree.
    pub fn tobs_correction_tenths(self) -> i16 {
        match self {
            TempSite::Rectal | TempSite::Ear => 0,
            TempSite::Oral => 5,
            TempSite::Axillary => 10,
        }
    }

    /// Parses English and Danish names.
    pub fn parse(s: &str) -> Option<TempSite> {
        match s.trim().to_lowercase().as_str() {
            "rectal" | "rektal" | "rektalt" | "endetarm" => Some(TempSite::Rectal),
            "ear" | "øre" | "øret" | "i øret" | "tympanisk" => Some(TempSite::Ear),
            "oral" | "oralt" | "mund" | "munden" | "i munden" => Some(TempSite::Oral),
            "axillary" | "aksillær" | "aksillært" | "armhule" | "armhulen" | "i armhulen" => {
                Some(TempSite::Axillary)
            }
            _ => None,
        }
    }
}

/// Level of consciousness on the ACVPU scale, as NEWS2 uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub enum Acvpu {
    /// Alert (including a known, unchanged baseline confusion).
    A,
    /// New confusion, or confusion worse than the resident's baseline.
    C,
    /// Responds to voice only.
    V,
    /// Responds to pain only.
    P,
    /// Unresponsive.
    U,
}

impl Acvpu {
    /// Parses "A", "C", "V", "P", "U" and common English words.
    pub fn parse(raw: &str) -> Result<Acvpu, VitalError> {
        match raw.trim().to_lowercase().as_str() {
            "a" | "alert" => Ok(Acvpu::A),
            "c" | "confused" | "confusion" | "new confusion" | "new_confusion" => Ok(Acvpu::C),
            "v" | "voice" => Ok(Acvpu::V),
            "p" | "pain" => Ok(Acvpu::P),
            "u" | "unresponsive" => Ok(Acvpu::U),
            _ => Err(VitalError::Unparseable {
                field: "consciousness",
                value: raw.trim().chars().take(20).collect(),
                expected: "one of A, C, V, P, U",
            }),
        }
    }
}

impl<'de> Deserialize<'de> for Acvpu {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Acvpu::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Level of consciousness as TOBS grades it ("Bevidsthed").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TobsConsciousness {
    /// Habituel: as usual for this resident.
    Habitual,
    /// Agiteret: new hyperactive behaviour.
    Agitated,
    /// New confusion that is not agitation. TOBS has no row for it; it is not
    /// "habituel", so it scores 1 like the other changed states (documented
    /// choice, see `tobs`).
    NewConfusion,
    /// Reagerer kun på tiltale.
    Voice,
    /// Reagerer kun på smerte.
    Pain,
    /// Ingen reaktion.
    Unresponsive,
}

impl TobsConsciousness {
    /// Parses English and Danish names, and the ACVPU letters.
    pub fn parse(raw: &str) -> Result<TobsConsciousness, VitalError> {
        use TobsConsciousness::*;
        match raw.trim().to_lowercase().as_str() {
            "habitual" | "habituel" | "a" | "alert" => Ok(Habitual),
            "agitated" | "agiteret" => Ok(Agitated),
            "new_confusion" | "new confusion" | "c" | "ny forvirring" => Ok(NewConfusion),
            "voice" | "tiltale" | "v" => Ok(Voice),
            "pain" | "smerte" | "p" => Ok(Pain),
            "unresponsive" | "ingen" | "ingen reaktion" | "u" => Ok(Unresponsive),
            _ => Err(VitalError::Unparseable {
                field: "consciousness",
                value: raw.trim().chars().take(20).collect(),
                expected: "one of habitual, agitated, new_confusion, voice, pain, unresponsive",
            }),
        }
    }

    /// The ACVPU level NEWS2 uses for the same observation. Agitation that is
    /// new is an altered mental state, i.e. "C".
    pub fn to_acvpu(self) -> Acvpu {
        match self {
            TobsConsciousness::Habitual => Acvpu::A,
            TobsConsciousness::Agitated | TobsConsciousness::NewConfusion => Acvpu::C,
            TobsConsciousness::Voice => Acvpu::V,
            TobsConsciousness::Pain => Acvpu::P,
            TobsConsciousness::Unresponsive => Acvpu::U,
        }
    }
}

impl<'de> Deserialize<'de> for TobsConsciousness {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        TobsConsciousness::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Which SpO2 scale NEWS2 uses. Scale 2 is only for a prescribed target of
/// 88–92 % (hypercapnic respiratory failure) decided by a physician; it is a
/// property of the resident, never something night staff choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Spo2Scale {
    /// Scale 1: for most patients.
    #[default]
    Scale1,
    /// Scale 2: only for prescribed hypercapnic respiratory failure.
    Scale2,
}

impl Spo2Scale {
    /// Parses "1" or "2".
    pub fn parse(raw: &str) -> Result<Spo2Scale, VitalError> {
        match raw.trim() {
            "1" => Ok(Spo2Scale::Scale1),
            "2" => Ok(Spo2Scale::Scale2),
            other => Err(VitalError::OutOfRange {
                field: "spo2_scale",
                value: other.chars().take(20).collect(),
                min: "1".into(),
                max: "2".into(),
                unit: "",
            }),
        }
    }
}

/// Written as the number it is read from (1 or 2), so that what the API
/// returns is what it accepts.
impl Serialize for Spo2Scale {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(match self {
            Spo2Scale::Scale1 => 1,
            Spo2Scale::Scale2 => 2,
        })
    }
}

crate::schema::schema_from!(
    Spo2Scale,
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Integer)
        .description(Some(
            "NEWS2 SpO2 scale: 1, or 2 only for a prescribed target of 88–92 %"
        ))
        .enum_values(Some([1, 2]))
        .into()
);

impl<'de> Deserialize<'de> for Spo2Scale {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match NumOrText::deserialize(d)? {
            NumOrText::Num(n) => Spo2Scale::parse(&n.to_string()),
            NumOrText::Text(s) => Spo2Scale::parse(&s),
        }
        .map_err(serde::de::Error::custom)
    }
}

/// Whether the resident breathes air or gets supplemental oxygen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Oxygen {
    /// Room air.
    Air,
    /// Supplemental oxygen.
    Oxygen,
}

impl Oxygen {
    /// Parses yes/no in English and Danish, "air"/"oxygen" and booleans.
    pub fn parse(raw: &str) -> Result<Oxygen, VitalError> {
        match raw.trim().to_lowercase().as_str() {
            "no" | "n" | "false" | "air" | "nej" | "luft" | "atmosfærisk luft" => Ok(Oxygen::Air),
            "yes" | "y" | "true" | "oxygen" | "o2" | "ja" | "j" | "ilt" => Ok(Oxygen::Oxygen),
            _ => Err(VitalError::Unparseable {
                field: "oxygen",
                value: raw.trim().chars().take(20).collect(),
                expected: "yes or no",
            }),
        }
    }
}

// Written as `air` or `oxygen`; read also from a boolean (true: oxygen).
crate::schema::schema_from!(
    Oxygen,
    utoipa::openapi::schema::OneOfBuilder::new()
        .description(Some(
            "room air or supplemental oxygen: `air`, `oxygen`, or a boolean (true: oxygen)"
        ))
        .item(
            utoipa::openapi::schema::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String)
                .enum_values(Some(["air", "oxygen"])),
        )
        .item(
            utoipa::openapi::schema::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::Boolean),
        )
        .into()
);

impl<'de> Deserialize<'de> for Oxygen {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum BoolOrText {
            Bool(bool),
            Text(String),
        }
        match BoolOrText::deserialize(d)? {
            BoolOrText::Bool(true) => Ok(Oxygen::Oxygen),
            BoolOrText::Bool(false) => Ok(Oxygen::Air),
            BoolOrText::Text(s) => Oxygen::parse(&s).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temperature_reads_danish_and_english_notation() {
        assert_eq!(Temperature::parse("38,9").map(Temperature::tenths), Ok(389));
        assert_eq!(Temperature::parse("38.9").map(Temperature::tenths), Ok(389));
        assert_eq!(Temperature::parse("39").map(Temperature::tenths), Ok(390));
        assert_eq!(
            Temperature::parse(" 37,2 °C").map(Temperature::tenths),
            Ok(372)
        );
        assert!(Temperature::parse("38,95").is_err());
        assert!(Temperature::parse("høj").is_err());
        assert!(Temperature::parse("").is_err());
    }

    #[test]
    fn temperature_range_is_named_in_the_error() {
        let e = Temperature::parse("98,6").expect_err("must fail");
        assert_eq!(e.field(), "temp");
        assert!(e.to_string().contains("25.0–45.0"), "{e}");
    }

    #[test]
    fn integers_accept_percent_and_space() {
        assert_eq!(Spo2::parse("93 %").map(Spo2::get), Ok(93));
        assert_eq!(Spo2::parse("93%").map(Spo2::get), Ok(93));
        assert!(Spo2::parse("101").is_err());
        assert!(Pulse::parse("1050")
            .expect_err("must fail")
            .to_string()
            .contains("20–300"));
        assert!(RespRate::parse("0").is_err());
    }

    #[test]
    fn json_numbers_and_strings_both_parse() {
        let t: Temperature = serde_json::from_str("38.9").expect("number");
        assert_eq!(t.tenths(), 389);
        let t: Temperature = serde_json::from_str("\"38,9\"").expect("string");
        assert_eq!(t.tenths(), 389);
        assert!(serde_json::from_str::<Temperature>("38.94").is_err());
        let p: Pulse = serde_json::from_str("105").expect("pulse");
        assert_eq!(p.get(), 105);
        assert!(serde_json::from_str::<Pulse>("105.5").is_err());
        let o: Oxygen = serde_json::from_str("\"no\"").expect("oxygen");
        assert_eq!(o, Oxygen::Air);
        let o: Oxygen = serde_json::from_str("true").expect("oxygen");
        assert_eq!(o, Oxygen::Oxygen);
    }
}
