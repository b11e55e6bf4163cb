//! People who use the system, and what their role lets them do.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::{HomeId, PersonId, Text};

/// A person's role. Decides what they may see and do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Night staff of one nursing home (social- og sundhedsassistent, nurse).
    Staff,
    /// Hospital physician on the hotline.
    Physician,
    /// Plans rotas and follows the figures.
    Coordinator,
    /// Runs the installation.
    Admin,
}

impl Role {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::Physician => "physician",
            Role::Coordinator => "coordinator",
            Role::Admin => "admin",
        }
    }

    /// Parses the English or Danish name.
    pub fn parse(s: &str) -> Option<Role> {
        match s.trim().to_lowercase().as_str() {
            "staff" | "personale" | "sosu" => Some(Role::Staff),
            "physician" | "læge" | "laege" | "doctor" => Some(Role::Physician),
            "coordinator" | "koordinator" => Some(Role::Coordinator),
            "admin" | "administrator" => Some(Role::Admin),
            _ => None,
        }
    }

    /// May write residents and their treatment decisions.
    pub fn may_write_residents(self) -> bool {
        matches!(self, Role::Coordinator | Role::Admin)
    }

    /// May read residents of every home (physicians advise all homes).
    pub fn may_read_all_homes(self) -> bool {
        matches!(self, Role::Physician | Role::Coordinator | Role::Admin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A known person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// The person's id.
    pub id: PersonId,
    /// Their name.
    pub name: Text,
    /// What they may do.
    pub role: Role,
    /// The home a staff member works at; `None` for other roles.
    pub home: Option<HomeId>,
    /// Phone number, if any (stored and compared in E.164).
    pub phone: Option<crate::phone::PhoneNumber>,
    /// Matrix user id, if any.
    pub matrix_user: Option<String>,
}

impl Person {
    /// Whether this person may see residents of `home`.
    pub fn may_read_home(&self, home: &HomeId) -> bool {
        self.role.may_read_all_homes() || self.home.as_ref() == Some(home)
    }
}

/// A nursing home.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Home {
    /// The home's id.
    pub id: HomeId,
    /// Its name.
    pub name: String,
}

/// A Matrix room bound to a home: the only kind of room the bot shows that
/// home's resident data in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HomeRoom {
    /// The Matrix room.
    pub room: crate::ids::MatrixRoomId,
    /// The home it belongs to.
    pub home: HomeId,
    /// Who bound it (`None`: the command line on the server).
    pub bound_by: Option<crate::ids::PersonId>,
    /// When.
    pub bound_at: chrono::DateTime<chrono::Utc>,
}

/// How a log-in throttle key holds back guesses: `free` failures within
/// `window_secs` cost nothing, each one after doubles the wait (1 s, 2 s,
/// 4 s, ...) up to `max_delay_secs`. A delay, never a lock-out: nobody can
/// keep a named person out for good by guessing their password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleRule {
    /// Failures that cost nothing.
    pub free: u32,
    /// The longest wait.
    pub max_delay_secs: i64,
    /// How long failures are counted.
    pub window_secs: i64,
}

impl ThrottleRule {
    /// The wait after the `failures`-th failure in a row.
    pub fn delay_secs(&self, failures: u32) -> i64 {
        match failures.checked_sub(self.free) {
            None | Some(0) => 0,
            Some(n) => (1_i64 << (n - 1).min(30)).min(self.max_delay_secs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_delays_grow_and_are_capped() {
        let r = ThrottleRule {
            free: 5,
            max_delay_secs: 900,
            window_secs: 3600,
        };
        let d: Vec<i64> = (1..=20).map(|n| r.delay_secs(n)).collect();
        assert_eq!(&d[..9], &[0, 0, 0, 0, 0, 1, 2, 4, 8]);
        assert_eq!(d[19], 900);
        assert_eq!(r.delay_secs(u32::MAX), 900);
    }
}
