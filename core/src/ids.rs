//! Identifiers and personal text, parsed once at the edge.
//!
//! Ids are short slugs (`solgaarden`, `anna-sosu`) so they can be typed on a
//! command line and appear in logs. Names and free text are personal data:
//! their `Debug` is redacted so they can never reach a log by accident.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why an id or text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error(
        "{what} must be 1–64 characters of a–z, 0–9, '-' or '_', starting with a letter or digit"
    )]
    /// Not a slug.
    BadSlug {
        /// What it should have been.
        what: &'static str,
    },
    /// Empty.
    #[error("{what} must not be empty")]
    Empty {
        /// What it should have been.
        what: &'static str,
    },
    /// Too long.
    #[error("{what} is longer than {max} characters")]
    TooLong {
        /// What it should have been.
        what: &'static str,
        /// The most characters allowed.
        max: usize,
    },
    #[error(
        "a Matrix room id starts with ! (e.g. !abcdef:matrix.example; Element: room settings, Advanced)"
    )]
    /// Not a Matrix room id.
    BadRoom,
}

fn parse_slug(what: &'static str, raw: &str) -> Result<String, IdError> {
    let s = raw.trim().to_lowercase();
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(s)
    } else {
        Err(IdError::BadSlug { what })
    }
}

macro_rules! slug_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Parses a slug (trimmed, lower-cased).
            pub fn parse(raw: &str) -> Result<Self, IdError> {
                parse_slug($what, raw).map(Self)
            }
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }

        crate::schema::schema_from!(
            $name,
            crate::schema::string(
                concat!("A ", $what, ": a–z, 0–9, '-' or '_', starting with a letter or digit"),
                Some(crate::schema::SLUG_PATTERN),
            )
        );
    };
}

slug_id!(
    /// A nursing home.
    HomeId, "home id"
);
slug_id!(
    /// A person who uses the system (staff, physician, coordinator, admin).
    PersonId, "person id"
);
slug_id!(
    /// A resident of a nursing home.
    ResidentId, "resident id"
);

/// A case: a UUID, so case ids cannot be guessed or counted.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(transparent)]
pub struct CaseId(uuid::Uuid);

impl CaseId {
    /// Wraps a UUID made by the caller (core makes no randomness of its own).
    pub fn from_uuid(u: uuid::Uuid) -> Self {
        CaseId(u)
    }
    /// Parses the hyphenated form.
    pub fn parse(s: &str) -> Option<Self> {
        uuid::Uuid::parse_str(s.trim()).ok().map(CaseId)
    }
    /// The UUID.
    pub fn uuid(self) -> uuid::Uuid {
        self.0
    }
    /// Four digits to say or type for the case (SMS replies, the phone, chat
    /// notices). Not unique over all time, only among the cases at hand.
    pub fn code(self) -> String {
        format!("{:04}", self.0.as_u128() % 10_000)
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A Matrix room id (`!opaque:server.example`), as an admin types it to
/// bind a room to a home.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct MatrixRoomId(String);

impl MatrixRoomId {
    /// Parses `!opaque:server` (room versions up to 11) or `!opaque` (room
    /// version 12, where the id is a hash of the room's creation): printable
    /// ASCII, no spaces, at most 255 bytes.
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        let s = raw.trim();
        let opaque = s.strip_prefix('!').unwrap_or_default();
        let ok = s.len() <= 255
            && s.starts_with('!')
            && opaque.split(':').next().is_some_and(|l| !l.is_empty())
            && !opaque.ends_with(':')
            && s.chars().all(|c| c.is_ascii_graphic());
        if ok {
            Ok(MatrixRoomId(s.to_string()))
        } else {
            Err(IdError::BadRoom)
        }
    }
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MatrixRoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for MatrixRoomId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl std::str::FromStr for MatrixRoomId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Self::parse(s)
    }
}

/// Personal free text (a name, a diagnosis, a wish, what the caller said).
/// `Debug` prints only the length, so it cannot leak into logs.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(transparent)]
pub struct Text(String);

impl Text {
    /// Trims and bounds free text. Empty text is refused.
    pub fn parse(what: &'static str, raw: &str, max: usize) -> Result<Self, IdError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(IdError::Empty { what });
        }
        if s.chars().count() > max {
            return Err(IdError::TooLong { what, max });
        }
        Ok(Text(s.to_string()))
    }
    /// The text, for display to an authorised reader.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Text(<{} chars redacted>)", self.0.chars().count())
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_normalised_and_checked() {
        assert_eq!(
            HomeId::parse(" Solgaarden ").map(|h| h.0),
            Ok("solgaarden".into())
        );
        assert!(HomeId::parse("sol gården").is_err());
        assert!(HomeId::parse("").is_err());
        assert!(HomeId::parse("-x").is_err());
    }

    #[test]
    fn room_ids_are_checked() {
        assert!(MatrixRoomId::parse(" !abc:matrix.region.dk ").is_ok());
        // Room version 12: the id is a hash, without a server.
        assert!(MatrixRoomId::parse("!31hneApxJ_1o-63DmFrpeqnkFfWppnzWso1JvH3ogLM").is_ok());
        for bad in ["abc:x", "!", "!:x", "!abc:", "!a b:x", "#alias:x"] {
            assert!(MatrixRoomId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn text_debug_is_redacted() {
        let t = Text::parse("name", "Karen Jensen", 100).expect("valid");
        assert!(!format!("{t:?}").contains("Karen"));
        assert_eq!(t.to_string(), "Karen Jensen");
    }
}
