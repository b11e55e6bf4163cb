//! Phone numbers. One parse path ([`PhoneNumber::parse`], on Google's
//! libphonenumber rules through the `phonenumber` crate) so that a number
//! typed as "20 00 00 01", "(+45) 2000 0001" or "+4520000001" is the same
//! number everywhere: stored, compared with a caller's id, dialled.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A phone number, held in E.164 form (`+4520000001`). Numbers
/// without a country code are Danish. Its `Debug` shows the country code
/// and the last two digits only, so a number in a log names nobody.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber(String);

/// Why text is not a phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a phone number (e.g. +45 20 00 00 01)")]
pub struct NotAPhoneNumber(String);

impl PhoneNumber {
    /// Parses a number as people write it; Danish unless it starts with a
    /// country code (`+` or `00`).
    pub fn parse(text: &str) -> Result<PhoneNumber, NotAPhoneNumber> {
        let refuse = || NotAPhoneNumber(text.chars().take(40).collect());
        let trimmed = text.trim();
        // "0045 …" is how Danes dial abroad; libphonenumber reads it as a
        // national number otherwise.
        let trimmed = match trimmed.strip_prefix("00") {
            Some(rest) => format!("+{rest}"),
            None => trimmed.to_string(),
        };
        let number = phonenumber::parse(Some(phonenumber::country::Id::DK), &trimmed)
            .map_err(|_| refuse())?;
        // Syntax, not the metadata's list of number ranges: a caller id
        // from a range newer than the metadata must still find its person.
        // Shorter than 6 digits is a typo or a service number (112, 1813).
        let national = number.national().to_string();
        if !(6..=14).contains(&national.len()) {
            return Err(refuse());
        }
        Ok(PhoneNumber(
            number.format().mode(phonenumber::Mode::E164).to_string(),
        ))
    }

    /// The number in E.164 form, for storing and dialling.
    pub fn e164(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = &self.0[1..];
        let country = if digits.starts_with("45") { "+45" } else { "+" };
        let tail = &digits[digits.len().saturating_sub(2)..];
        write!(f, "PhoneNumber({country}…{tail})")
    }
}

impl std::str::FromStr for PhoneNumber {
    type Err = NotAPhoneNumber;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PhoneNumber::parse(s)
    }
}

impl Serialize for PhoneNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

crate::schema::schema_from!(
    PhoneNumber,
    crate::schema::string(
        "a telephone number in E.164 form, e.g. +4520000001",
        Some("^\\+[0-9]{7,17}$"),
    )
);

impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        PhoneNumber::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn danish_numbers_however_written_are_one_number() {
        for written in [
            "+4520000001",
            "20 00 00 01",
            "(+45) 2000 0001",
            "+45 20-00-00-01",
            "004520000001",
            " 2000 0001 ",
        ] {
            let n = PhoneNumber::parse(written).expect(written);
            assert_eq!(n.e164(), "+4520000001", "{written}");
        }
    }

    #[test]
    fn other_countries_keep_their_code() {
        let n = PhoneNumber::parse("+46 70 123 45 67").expect("Swedish mobile");
        assert_eq!(n.e164(), "+46701234567");
    }

    #[test]
    fn text_that_is_no_number_is_refused() {
        for bad in [
            "",
            "anonymous",
            "123",
            "+45 1",
            "abc def ghi",
            "+45 2000 0001 9999 9999 99",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn debug_shows_no_more_than_the_country_and_two_digits() {
        let n = PhoneNumber::parse("+4520001234").expect("number");
        let shown = format!("{n:?}");
        assert_eq!(shown, "PhoneNumber(+45…34)");
        assert!(!shown.contains("2000"));
    }

    #[test]
    fn serde_round_trips_through_e164() {
        let n: PhoneNumber = serde_json::from_str("\"20 00 00 01\"").expect("parse");
        assert_eq!(serde_json::to_string(&n).expect("json"), "\"+4520000001\"");
        assert!(serde_json::from_str::<PhoneNumber>("\"nope\"").is_err());
    }
}
