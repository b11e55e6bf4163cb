//! What happens after the advice, on durable timers: the read-back (staff
//! confirm the physician's advice) and re-measure orders.
//!
//! A follow-up is a row per case and kind, started by the events that call
//! for it in the same transaction (the store does this, as it starts an
//! escalation from `PageRequested`): advice from a physician starts a
//! read-back, `RemeasureOrdered` a re-measurement; `AdviceConfirmed` and
//! `RemeasureAssessed` end them. The scheduler fires each due stage, claimed
//! and fenced like an escalation step, so a restart loses none and two
//! instances never fire one twice.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{CaseId, PersonId};

/// Which follow-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpKind {
    /// Staff are to confirm the physician's advice.
    Readback,
    /// Staff are to measure again.
    Remeasure,
}

impl FollowUpKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpKind::Readback => "readback",
            FollowUpKind::Remeasure => "remeasure",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<FollowUpKind> {
        match s {
            "readback" => Some(FollowUpKind::Readback),
            "remeasure" => Some(FollowUpKind::Remeasure),
            _ => None,
        }
    }
}

/// Minutes after the advice before it is sent again and the physician told.
pub const READBACK_RESEND_MINUTES: i64 = 5;
/// Minutes after that before the coordinator is alerted.
pub const READBACK_COORDINATOR_MINUTES: i64 = 10;
/// Minutes after a re-measure reminder before it is sent again.
pub const REMEASURE_AGAIN_MINUTES: i64 = 15;
/// Minutes after the first reminder before the coordinator is alerted.
pub const REMEASURE_COORDINATOR_MINUTES: i64 = 30;
/// The stage of a re-measurement that was done and not worse: the physician
/// gets the trend as a quiet note.
pub const STAGE_REPORT: u32 = 100;

/// A follow-up as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    /// The case.
    pub case: CaseId,
    /// Which.
    pub kind: FollowUpKind,
    /// How far it has come (0: nothing fired yet).
    pub stage: u32,
    /// When the next stage is due.
    pub due_at: DateTime<Utc>,
    /// When it began (the advice, the order).
    pub started_at: DateTime<Utc>,
    /// The physician who advised or ordered, if known.
    pub person: Option<PersonId>,
    /// Whether it is still running.
    pub pending: bool,
}

impl FollowUp {
    /// The stage after the one now due fired, and when it is due; `None`
    /// when this was the last.
    pub fn next(&self, now: DateTime<Utc>) -> Option<(u32, DateTime<Utc>)> {
        match (self.kind, self.stage) {
            (FollowUpKind::Readback, 0) => {
                Some((1, now + Duration::minutes(READBACK_COORDINATOR_MINUTES)))
            }
            (FollowUpKind::Remeasure, 0) => {
                Some((1, now + Duration::minutes(REMEASURE_AGAIN_MINUTES)))
            }
            (FollowUpKind::Remeasure, 1) => Some((
                2,
                now + Duration::minutes(REMEASURE_COORDINATOR_MINUTES - REMEASURE_AGAIN_MINUTES),
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(kind: FollowUpKind, stage: u32) -> FollowUp {
        FollowUp {
            case: CaseId::from_uuid(uuid::Uuid::nil()),
            kind,
            stage,
            due_at: Utc::now(),
            started_at: Utc::now(),
            person: None,
            pending: true,
        }
    }

    #[test]
    fn the_timetable_is_the_one_the_issue_asks_for() {
        let now = Utc::now();
        let m = |n| now + Duration::minutes(n);
        assert_eq!(at(FollowUpKind::Readback, 0).next(now), Some((1, m(10))));
        assert_eq!(at(FollowUpKind::Readback, 1).next(now), None);
        // Reminded at the due time, again after 15, the coordinator 30
        // after the first reminder.
        assert_eq!(at(FollowUpKind::Remeasure, 0).next(now), Some((1, m(15))));
        assert_eq!(at(FollowUpKind::Remeasure, 1).next(now), Some((2, m(15))));
        assert_eq!(at(FollowUpKind::Remeasure, 2).next(now), None);
        assert_eq!(at(FollowUpKind::Remeasure, STAGE_REPORT).next(now), None);
    }
}
