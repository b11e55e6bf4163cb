//! Who is on call when: rotations resolved into shifts, layered, swapped and
//! overridden, in Europe/Copenhagen.
//!
//! # Time zones
//!
//! Shifts are defined on the Copenhagen wall clock and returned as UTC
//! instants. The cron pattern is evaluated on the *wall clock* (naive local
//! time), never on UTC, and a shift lasts its length on the wall clock: a night
//! shift 22:00–08:00 is 9 h long on 2026-03-29 (clocks go forward) and 11 h on
//! 2026-10-25 (clocks go back). A wall-clock time that does not exist (02:30 on
//! the spring-forward night) is read as the moment the clocks jump past it
//! (03:00 summer time); a time that exists twice (02:30 on the fall-back
//! night) is read as its first occurrence. Both
//! rules apply to starts and ends alike, so consecutive shifts still meet
//! exactly: no shift is lost, doubled or shifted by an hour.

use std::collections::BTreeSet;
use std::str::FromStr;

use akutlinje_core::ids::PersonId;
use akutlinje_core::rota::{OverrideSpec, RotaSpec, RotationId, RotationSpec, SwapSpec, TierId};
use chrono::{DateTime, Datelike, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::Copenhagen;
use serde::Serialize;

/// Why a rota definition was refused. Each message says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RotaError {
    /// A shift pattern that is not a cron expression.
    #[error("rotation {rotation}: the shift start {cron:?} is not a cron expression (sec min hour day month weekday): {detail}")]
    BadCron {
        /// The rotation.
        rotation: String,
        /// The pattern as written.
        cron: String,
        /// The cron parser's words.
        detail: String,
    },
    /// A rotation without members.
    #[error("rotation {0}: a rotation needs at least one person")]
    NoMembers(String),
    /// A shift of no length or longer than a week.
    #[error("rotation {0}: a shift must last between 1 minute and 7 days")]
    BadLength(String),
    /// A rotation that ends before it begins.
    #[error("rotation {0}: `until` must be after `anchor`")]
    UntilBeforeAnchor(String),
    /// An override that ends before it starts.
    #[error("the end must be after the start")]
    EndBeforeStart,
    /// A swap (its id) on a rotation that does not exist.
    #[error("swap {0}: the rotation it names does not exist")]
    UnknownRotation(i64),
}

/// A parsed rotation.
#[derive(Debug, Clone)]
pub struct Rotation {
    /// The rotation as stored.
    pub spec: RotationSpec,
    schedule: cron::Schedule,
    length: Duration,
}

impl Rotation {
    /// Parses and checks a rotation.
    pub fn parse(spec: RotationSpec) -> Result<Rotation, RotaError> {
        let id = spec.id.to_string();
        let schedule =
            cron::Schedule::from_str(spec.shift_start.trim()).map_err(|e| RotaError::BadCron {
                rotation: id.clone(),
                cron: spec.shift_start.clone(),
                detail: e.to_string(),
            })?;
        if spec.members.is_empty() {
            return Err(RotaError::NoMembers(id));
        }
        if spec.shift_minutes == 0 || spec.shift_minutes > 7 * 24 * 60 {
            return Err(RotaError::BadLength(id));
        }
        if spec.until.is_some_and(|u| u <= spec.anchor) {
            return Err(RotaError::UntilBeforeAnchor(id));
        }
        let length = Duration::minutes(i64::from(spec.shift_minutes));
        Ok(Rotation {
            spec,
            schedule,
            length,
        })
    }

    /// Every shift that overlaps `[from, to)`.
    pub fn shifts(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Shift> {
        let mut out = Vec::new();
        if to <= from {
            return out;
        }
        // Walk the wall clock from the anchor, counting shifts so each goes to
        // the right person. As naive "UTC" the cron iterator sees no DST at all.
        let anchor_local = local_naive(self.spec.anchor);
        let walk_start = Utc.from_utc_datetime(&(anchor_local - Duration::seconds(1)));
        for (index, occurrence) in self.schedule.after(&walk_start).enumerate() {
            let start_local = occurrence.naive_utc();
            let start = instant(start_local);
            if self.spec.until.is_some_and(|u| start >= u) || start >= to {
                break;
            }
            let end = instant(start_local + self.length);
            if end <= from {
                continue;
            }
            let person = self.spec.members[index % self.spec.members.len()].clone();
            out.push(Shift {
                start,
                end,
                person,
                rotation: self.spec.id.clone(),
                layer: self.spec.layer,
                index: index as u64,
            });
        }
        out
    }
}

/// The Copenhagen wall-clock time of an instant.
pub fn local_naive(t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&Copenhagen).naive_local()
}

/// The years a time given by a person may fall in. Rotas, overrides and
/// queries outside them are typing errors (`+262142-12-31` is a valid
/// chrono date whose shifts overflow), refused before any arithmetic.
pub const YEARS: std::ops::RangeInclusive<i32> = 1970..=2200;

/// Whether a time lies in [`YEARS`].
pub fn in_years(t: DateTime<Utc>) -> bool {
    YEARS.contains(&t.year())
}

/// A time as people type it: RFC 3339 (`2026-11-23T03:00:00+01:00`) or
/// Copenhagen wall-clock time (`2026-11-23 03:00`, also with a `T`), within
/// [`YEARS`]. `None` for anything else.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    let t = match DateTime::parse_from_rfc3339(s) {
        Ok(t) => t.with_timezone(&Utc),
        Err(_) => {
            let local = ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())?;
            if !YEARS.contains(&local.year()) {
                return None;
            }
            instant(local)
        }
    };
    in_years(t).then_some(t)
}

/// The instant of a Copenhagen wall-clock time (rules in the module doc).
pub fn instant(local: NaiveDateTime) -> DateTime<Utc> {
    match Copenhagen.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        // In the spring-forward gap: the moment the clocks jump, i.e. the first
        // wall-clock minute that exists after it.
        chrono::LocalResult::None => {
            let minute = local
                - Duration::seconds(i64::from(local.and_utc().timestamp().rem_euclid(60) as u32));
            (1..=180)
                .find_map(|m| {
                    Copenhagen
                        .from_local_datetime(&(minute + Duration::minutes(m)))
                        .earliest()
                })
                .map_or_else(|| Utc.from_utc_datetime(&local), |t| t.with_timezone(&Utc))
        }
    }
}

/// One shift of a rotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shift {
    /// When it starts.
    pub start: DateTime<Utc>,
    /// When it ends (exclusive).
    pub end: DateTime<Utc>,
    /// Who is on call.
    pub person: PersonId,
    /// The rotation it belongs to.
    pub rotation: RotationId,
    /// The rotation's layer (a higher one wins).
    pub layer: u16,
    /// The shift's number since the rotation's anchor.
    pub index: u64,
}

/// Why someone is on call in a segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Source {
    /// Shift number `shift` of a rotation.
    Rotation {
        /// The rotation.
        rotation: RotationId,
        /// Its layer.
        layer: u16,
        /// The shift's number since the anchor.
        shift: u64,
    },
    /// A shift that changed hands by a swap.
    Swap {
        /// The rotation.
        rotation: RotationId,
        /// The swap's id.
        swap: i64,
        /// The shift's number since the anchor.
        shift: u64,
    },
    /// Cover by an override.
    Override {
        /// The override's id.
        id: i64,
    },
}

/// A stretch of time with one person on call for a tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    /// When it starts.
    pub start: DateTime<Utc>,
    /// When it ends (exclusive).
    pub end: DateTime<Utc>,
    /// Who is on call.
    pub person: PersonId,
    /// Why they are.
    pub source: Source,
}

/// A stretch of time with nobody on call for a tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// When nobody is on call from.
    pub start: DateTime<Utc>,
    /// Until when (exclusive).
    pub end: DateTime<Utc>,
}

impl Gap {
    /// Whole minutes without cover.
    pub fn minutes(&self) -> i64 {
        (self.end - self.start).num_minutes()
    }
}

/// A parsed rota for one service.
#[derive(Debug, Clone, Default)]
pub struct Rota {
    rotations: Vec<Rotation>,
    overrides: Vec<OverrideSpec>,
    swaps: Vec<SwapSpec>,
}

impl Rota {
    /// Parses every rotation; refuses overrides that end before they start and
    /// swaps on rotations that do not exist.
    pub fn parse(spec: RotaSpec) -> Result<Rota, RotaError> {
        let rotations = spec
            .rotations
            .into_iter()
            .map(Rotation::parse)
            .collect::<Result<Vec<_>, _>>()?;
        for o in &spec.overrides {
            if o.to <= o.from {
                return Err(RotaError::EndBeforeStart);
            }
        }
        for s in &spec.swaps {
            if !rotations.iter().any(|r| r.spec.id == s.rotation) {
                return Err(RotaError::UnknownRotation(s.id));
            }
        }
        Ok(Rota {
            rotations,
            overrides: spec.overrides,
            swaps: spec.swaps,
        })
    }

    /// The rotations.
    pub fn rotations(&self) -> &[Rotation] {
        &self.rotations
    }

    /// The shifts of one tier's rotations in `[from, to)`, swaps applied, layers not yet.
    fn tier_shifts(
        &self,
        tier: &TierId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<(Shift, Source)> {
        let mut out = Vec::new();
        for r in self.rotations.iter().filter(|r| &r.spec.tier == tier) {
            for mut s in r.shifts(from, to) {
                let mut source = Source::Rotation {
                    rotation: s.rotation.clone(),
                    layer: s.layer,
                    shift: s.index,
                };
                for w in self.swaps.iter().filter(|w| w.rotation == s.rotation) {
                    if s.start == w.a_shift && s.person == w.a {
                        s.person = w.b.clone();
                        source = Source::Swap {
                            rotation: s.rotation.clone(),
                            swap: w.id,
                            shift: s.index,
                        };
                    } else if s.start == w.b_shift && s.person == w.b {
                        s.person = w.a.clone();
                        source = Source::Swap {
                            rotation: s.rotation.clone(),
                            swap: w.id,
                            shift: s.index,
                        };
                    }
                }
                out.push((s, source));
            }
        }
        out
    }

    /// Who is on call for `tier` through `[from, to)`, as non-overlapping
    /// segments in time order. Overrides win over rotations (the most recent
    /// override over older ones); a higher layer wins over a lower one.
    pub fn resolve(&self, tier: &TierId, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Segment> {
        if to <= from {
            return Vec::new();
        }
        let shifts = self.tier_shifts(tier, from, to);
        let overrides: Vec<&OverrideSpec> = self
            .overrides
            .iter()
            .filter(|o| &o.tier == tier && o.from < to && o.to > from)
            .collect();
        let mut cuts = BTreeSet::from([from, to]);
        for (s, _) in &shifts {
            cuts.insert(s.start.clamp(from, to));
            cuts.insert(s.end.clamp(from, to));
        }
        for o in &overrides {
            cuts.insert(o.from.clamp(from, to));
            cuts.insert(o.to.clamp(from, to));
        }
        let cuts: Vec<DateTime<Utc>> = cuts.into_iter().collect();
        let mut out: Vec<Segment> = Vec::new();
        for w in cuts.windows(2) {
            let (a, b) = (w[0], w[1]);
            if a >= b {
                continue;
            }
            let covering_override = overrides
                .iter()
                .filter(|o| o.from <= a && o.to >= b)
                .max_by_key(|o| o.id);
            let chosen = match covering_override {
                Some(o) => Some((o.person.clone(), Source::Override { id: o.id })),
                None => shifts
                    .iter()
                    .filter(|(s, _)| s.start <= a && s.end >= b)
                    // Higher layer wins; within a layer the later shift (a handover
                    // that overlaps) wins.
                    .max_by_key(|(s, _)| (s.layer, s.start))
                    .map(|(s, src)| (s.person.clone(), src.clone())),
            };
            let Some((person, source)) = chosen else {
                continue;
            };
            match out.last_mut() {
                Some(last) if last.end == a && last.person == person && last.source == source => {
                    last.end = b
                }
                _ => out.push(Segment {
                    start: a,
                    end: b,
                    person,
                    source,
                }),
            }
        }
        out
    }

    /// Who is on call for `tier` at `at`, with their whole segment.
    pub fn on_call(&self, tier: &TierId, at: DateTime<Utc>) -> Option<Segment> {
        // Look a week either side so the segment shows its real start and end.
        let from = at - Duration::days(7);
        let to = at + Duration::days(7);
        self.resolve(tier, from, to)
            .into_iter()
            .find(|s| s.start <= at && at < s.end)
    }

    /// Every stretch of `[from, to)` with nobody on call for `tier`.
    pub fn gaps(&self, tier: &TierId, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Gap> {
        let mut gaps = Vec::new();
        let mut cursor = from;
        for s in self.resolve(tier, from, to) {
            if s.start > cursor {
                gaps.push(Gap {
                    start: cursor,
                    end: s.start,
                });
            }
            cursor = cursor.max(s.end);
        }
        if cursor < to {
            gaps.push(Gap {
                start: cursor,
                end: to,
            });
        }
        gaps
    }
}

#[cfg(test)]
mod tests;
