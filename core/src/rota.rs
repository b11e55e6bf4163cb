//! On-call rotas as stored: services, tiers, rotations, overrides, swaps.
//!
//! These are the plain shapes the store keeps and the coordinators edit. What
//! they *mean* — which shifts a cron pattern gives in Europe/Copenhagen, who is
//! on call at an instant, where the gaps are — is `akutlinje-scheduler`'s job;
//! it parses a [`RotationSpec`] (its cron expression included) before use.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{IdError, PersonId};

macro_rules! slug {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Parses a slug (a–z, 0–9, '-', '_').
            pub fn parse(raw: &str) -> Result<Self, IdError> {
                crate::ids::HomeId::parse(raw).map(|h| Self(h.as_str().to_string())).map_err(|_| IdError::BadSlug { what: $what })
            }
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
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

slug!(
    /// An on-call service, e.g. `akutlaege-sjaelland`.
    ServiceId, "service id"
);
slug!(
    /// A tier of a service: `primary`, `backup`, `coordinator`, ...
    TierId, "tier id"
);
slug!(
    /// A rotation.
    RotationId, "rotation id"
);

/// A service and its tiers, in escalation order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// The service's id.
    pub id: ServiceId,
    /// Its name.
    pub name: String,
    /// Its tiers, in escalation order.
    pub tiers: Vec<TierId>,
}

/// A rotation: people taking turns on a tier, one shift each, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationSpec {
    /// The rotation's id.
    pub id: RotationId,
    /// The service it belongs to.
    pub service: ServiceId,
    /// The tier it covers.
    pub tier: TierId,
    /// Higher layers win where they overlap lower ones (e.g. weekends over weeknights).
    pub layer: u16,
    /// The people, in the order they take shifts.
    pub members: Vec<PersonId>,
    /// When shifts start: a cron expression with seconds
    /// (`sec min hour day-of-month month day-of-week`) in Europe/Copenhagen.
    pub shift_start: String,
    /// How long a shift lasts on the wall clock, in minutes.
    pub shift_minutes: u32,
    /// The first shift starting at or after this instant goes to the first member.
    pub anchor: DateTime<Utc>,
    /// No shifts start at or after this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
}

/// "X covers the tier from .. to ..", over whatever the rotations say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverrideSpec {
    /// The override's id (ignored when adding).
    pub id: i64,
    /// The service.
    pub service: ServiceId,
    /// The tier covered.
    pub tier: TierId,
    /// Who covers it.
    pub person: PersonId,
    /// Whom they cover for, if it was one person (for the record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<PersonId>,
    /// From.
    pub from: DateTime<Utc>,
    /// Until (exclusive).
    pub to: DateTime<Utc>,
}

/// Two people trade one shift each on a rotation: A's shift starting at
/// `a_shift` goes to B, and B's shift starting at `b_shift` goes to A.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwapSpec {
    /// The swap's id (ignored when adding).
    pub id: i64,
    /// The rotation.
    pub rotation: RotationId,
    /// One person.
    pub a: PersonId,
    /// When the shift A gives away starts.
    pub a_shift: DateTime<Utc>,
    /// The other person.
    pub b: PersonId,
    /// When the shift B gives away starts.
    pub b_shift: DateTime<Utc>,
}

/// Everything that decides who is on call for one service.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RotaSpec {
    /// Its rotations.
    pub rotations: Vec<RotationSpec>,
    /// Its overrides.
    pub overrides: Vec<OverrideSpec>,
    /// Its swaps.
    pub swaps: Vec<SwapSpec>,
}
