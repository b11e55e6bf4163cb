//! Residents, their treatment level and wishes, and the import format.
//!
//! Key design decision: treatment decisions are a list of typed entries, each
//! with who recorded it and when (docs/clinical.md § Treatment level requires the source to be
//! shown), not a single "level" field. Conflicting entries (full treatment
//! next to no CPR) are refused at import.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ids::{HomeId, ResidentId, Text};

/// A room number or name as written on the door ("12", "12b", "Stue 3").
/// Stored trimmed and lower-cased so "12B" and "12b" are the same room.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct Room(String);

impl Room {
    /// Parses a room; strips a leading "værelse"/"stue"/"room"/"lejlighed".
    pub fn parse(raw: &str) -> Option<Room> {
        let mut s = raw.trim().to_lowercase();
        for prefix in [
            "værelse",
            "vaerelse",
            "værelset",
            "stue",
            "room",
            "lejlighed",
            "lejl.",
            "nr.",
            "nr",
        ] {
            if let Some(rest) = s.strip_prefix(prefix) {
                if rest.starts_with(|c: char| c.is_whitespace() || c == '.') || rest.is_empty() {
                    s = rest.trim_start_matches(['.', ' ']).trim().to_string();
                }
            }
        }
        let s = s.trim().to_string();
        if s.is_empty() || s.chars().count() > 16 || s.chars().any(|c| c.is_control()) {
            None
        } else {
            Some(Room(s))
        }
    }
    /// The room as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Room {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Room {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum NumOrText {
            Num(u64),
            Text(String),
        }
        let s = match NumOrText::deserialize(d)? {
            NumOrText::Num(n) => n.to_string(),
            NumOrText::Text(s) => s,
        };
        Room::parse(&s).ok_or_else(|| serde::de::Error::custom("room must be 1–16 characters"))
    }
}

/// The resident's usual mental state, against which "new confusion" is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Cognition {
    /// No known cognitive impairment.
    Normal,
    /// Mild cognitive impairment.
    Mild,
    /// Moderate dementia.
    Moderate,
    /// Severe dementia.
    Severe,
    /// Not recorded.
    Unknown,
}

impl Cognition {
    /// Parses English and Danish names.
    pub fn parse(s: &str) -> Option<Cognition> {
        match s.trim().to_lowercase().as_str() {
            "normal" | "klar" | "habituel klar" => Some(Cognition::Normal),
            "mild" | "let" | "let demens" | "let kognitiv svækkelse" => Some(Cognition::Mild),
            "moderate" | "moderat" | "moderat demens" => Some(Cognition::Moderate),
            "severe" | "svær" | "svaer" | "svær demens" => Some(Cognition::Severe),
            "" | "unknown" | "ukendt" => Some(Cognition::Unknown),
            _ => None,
        }
    }

    /// The snake_case name; also the suffix of its message id.
    pub fn as_str(self) -> &'static str {
        match self {
            Cognition::Normal => "normal",
            Cognition::Mild => "mild",
            Cognition::Moderate => "moderate",
            Cognition::Severe => "severe",
            Cognition::Unknown => "unknown",
        }
    }
}

/// A kind of treatment decision or directive (docs/clinical.md § Treatment level).
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
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// Full treatment, no limits.
    FullTreatment,
    /// Fravalg af genoplivning (no CPR).
    NoCpr,
    /// No intensive care.
    NoIcu,
    /// No admission to hospital (a physician's decision, or the resident's own informed refusal).
    NoAdmission,
    /// Palliative care only.
    PalliativeOnly,
    /// A behandlingstestamente exists in the register.
    Behandlingstestamente,
    /// A livstestamente (before 2019) exists.
    Livstestamente,
    /// The resident's own stated wish, in their words.
    OwnWish,
}

impl DecisionKind {
    /// All kinds, in the order a physician should read them.
    pub const ALL: [DecisionKind; 8] = [
        DecisionKind::NoCpr,
        DecisionKind::NoAdmission,
        DecisionKind::PalliativeOnly,
        DecisionKind::NoIcu,
        DecisionKind::FullTreatment,
        DecisionKind::Behandlingstestamente,
        DecisionKind::Livstestamente,
        DecisionKind::OwnWish,
    ];

    /// The snake_case name; also the suffix of its message id.
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::FullTreatment => "full_treatment",
            DecisionKind::NoCpr => "no_cpr",
            DecisionKind::NoIcu => "no_icu",
            DecisionKind::NoAdmission => "no_admission",
            DecisionKind::PalliativeOnly => "palliative_only",
            DecisionKind::Behandlingstestamente => "behandlingstestamente",
            DecisionKind::Livstestamente => "livstestamente",
            DecisionKind::OwnWish => "own_wish",
        }
    }

    /// Parses the English or Danish name.
    pub fn parse(s: &str) -> Option<DecisionKind> {
        let s = s.trim().to_lowercase().replace([' ', '-'], "_");
        Some(match s.as_str() {
            "full_treatment" | "fuld_behandling" => DecisionKind::FullTreatment,
            "no_cpr" | "dnr" | "igvh" | "ingen_genoplivning" | "fravalg_af_genoplivning" => {
                DecisionKind::NoCpr
            }
            "no_icu" | "ikke_intensiv" | "ingen_intensiv" => DecisionKind::NoIcu,
            "no_admission"
            | "ingen_indlæggelse"
            | "ingen_indlaeggelse"
            | "ønsker_ikke_indlæggelse" => DecisionKind::NoAdmission,
            "palliative_only" | "kun_lindrende" | "lindrende" | "palliation" => {
                DecisionKind::PalliativeOnly
            }
            "behandlingstestamente" => DecisionKind::Behandlingstestamente,
            "livstestamente" => DecisionKind::Livstestamente,
            "own_wish" | "ønske" | "eget_ønske" => DecisionKind::OwnWish,
            _ => return None,
        })
    }

    /// Whether this limits treatment (as opposed to full treatment).
    pub fn is_limitation(self) -> bool {
        matches!(
            self,
            DecisionKind::NoCpr
                | DecisionKind::NoIcu
                | DecisionKind::NoAdmission
                | DecisionKind::PalliativeOnly
        )
    }
}

/// One recorded decision, with its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TreatmentDecision {
    /// What was decided.
    pub kind: DecisionKind,
    /// The wish in the resident's words, or a qualifying note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
    /// Who recorded it (name and role, e.g. "Dr. Lund, egen læge").
    pub recorded_by: Text,
    /// When it was recorded.
    pub recorded_on: NaiveDate,
}

/// The resident's contact person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contact {
    /// Their name.
    pub name: Text,
    /// How they are related.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<Text>,
    /// Their phone number, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Text>,
}

/// A resident, as stored and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Resident {
    /// The resident's id.
    pub id: ResidentId,
    /// The home they live in.
    pub home: HomeId,
    /// Their room.
    pub room: Room,
    /// Their name.
    pub name: Text,
    /// Their date of birth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub born: Option<NaiveDate>,
    /// Their usual cognition (so that "new confusion" means new).
    pub baseline_cognition: Cognition,
    /// Diagnoses.
    #[serde(default)]
    pub diagnoses: Vec<Text>,
    /// Allergies.
    #[serde(default)]
    pub allergies: Vec<Text>,
    /// Next of kin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    /// A physician has prescribed a SpO2 target of 88–92 % (NEWS2 scale 2).
    #[serde(default)]
    pub spo2_scale2: bool,
    /// Treatment decisions and wishes, each with its source.
    #[serde(default)]
    pub decisions: Vec<TreatmentDecision>,
}

impl Resident {
    /// The decisions in reading order (limitations first).
    pub fn decisions_in_order(&self) -> Vec<&TreatmentDecision> {
        let mut d: Vec<_> = self.decisions.iter().collect();
        d.sort_by_key(|x| DecisionKind::ALL.iter().position(|k| *k == x.kind));
        d
    }

    /// Whether any decision of `kind` is recorded.
    pub fn has(&self, kind: DecisionKind) -> bool {
        self.decisions.iter().any(|d| d.kind == kind)
    }

    /// Whether the recorded decisions rule out sending the resident to
    /// hospital by ambulance: no admission, or palliative care only. "No CPR"
    /// alone does not: a resident who should not be resuscitated may still be
    /// admitted for, say, chest pain (docs/clinical.md § Treatment level).
    pub fn rules_out_112(&self) -> bool {
        self.has(DecisionKind::NoAdmission) || self.has(DecisionKind::PalliativeOnly)
    }

    /// Age in whole years on `today`.
    pub fn age_on(&self, today: NaiveDate) -> Option<u32> {
        self.born.and_then(|b| today.years_since(b))
    }

    /// Checks the invariants an import must hold.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if self.has(DecisionKind::FullTreatment)
            && self.decisions.iter().any(|d| d.kind.is_limitation())
        {
            return Err((
                "decisions",
                "full_treatment cannot stand next to a limitation (no_cpr, no_icu, no_admission, palliative_only)".into(),
            ));
        }
        if self
            .decisions
            .iter()
            .any(|d| d.kind == DecisionKind::OwnWish && d.note.is_none())
        {
            return Err(("decisions", "own_wish needs the wish in 'note'".into()));
        }
        Ok(())
    }
}

mod import;

pub use import::{parse_import, ImportError, ImportFormat, ImportProblem, CSV_COLUMNS};

#[cfg(test)]
mod tests {
    use super::*;

    const CSV_OK: &str = "id,home,room,name,born,baseline_cognition,treatment,treatment_recorded_by,treatment_recorded_on,wishes,wishes_recorded_by,wishes_recorded_on\n\
r1,solgaarden,12,Karen Test,1936-02-01,moderate,no_cpr;no_admission,Dr. Lund,2025-01-10,Vil helst dø hjemme,SSA Mette,2025-01-12\n\
r2,solgaarden,14,Poul Test,,normal,fuld behandling,Dr. Lund,2025-01-10,,,\n";

    #[test]
    fn csv_import_reads_decisions_with_their_source() {
        let r = parse_import(ImportFormat::Csv, CSV_OK).expect("valid file");
        assert_eq!(r.len(), 2);
        assert!(
            r[0].has(DecisionKind::NoCpr)
                && r[0].has(DecisionKind::NoAdmission)
                && r[0].has(DecisionKind::OwnWish)
        );
        assert!(r[0].rules_out_112());
        assert_eq!(r[0].decisions[0].recorded_by.as_str(), "Dr. Lund");
        assert!(r[1].has(DecisionKind::FullTreatment));
        assert!(!r[1].rules_out_112());
    }

    #[test]
    fn csv_errors_name_line_and_field_and_keep_going() {
        let bad = "id,home,room,name,baseline_cognition,treatment\n\
r1,solgaarden,12,Karen,moderate,no_cprr\n\
r2,solgaarden,,Poul,normal,\n";
        let e = parse_import(ImportFormat::Csv, bad).expect_err("must fail");
        let s = e.to_string();
        assert!(
            s.contains("line 2, field treatment: unknown decision \"no_cprr\""),
            "{s}"
        );
        assert!(s.contains("line 3, field room"), "{s}");
        assert!(s.contains("nothing was imported"), "{s}");
    }

    #[test]
    fn conflicting_decisions_are_refused() {
        let bad = "id,home,room,name,treatment,treatment_recorded_by,treatment_recorded_on\n\
r1,solgaarden,12,Karen,full_treatment;no_cpr,Dr. Lund,2025-01-10\n";
        let e = parse_import(ImportFormat::Csv, bad).expect_err("must fail");
        assert_eq!(e.0[0].field, "decisions");
    }

    #[test]
    fn json_errors_name_position_and_field() {
        let data = r#"[{"id":"r1","home":"solgaarden","room":"12","name":"Karen"},
                      {"id":"r2","home":"solgaarden","room":"14","name":"Poul","decisions":[{"kind":"no_cp","recorded_by":"x","recorded_on":"2025-01-01"}]}]"#;
        let e = parse_import(ImportFormat::Json, data).expect_err("must fail");
        assert_eq!(e.0.len(), 1);
        assert_eq!((e.0[0].line, e.0[0].field.as_str()), (2, "decisions"));
    }

    #[test]
    fn duplicate_rooms_are_refused() {
        let data = r#"[{"id":"r1","home":"h","room":"12","name":"A"},{"id":"r2","home":"h","room":"12 ","name":"B"}]"#;
        let e = parse_import(ImportFormat::Json, data).expect_err("must fail");
        assert_eq!(e.0[0].field, "room");
    }

    #[test]
    fn rooms_drop_the_word_room() {
        assert_eq!(Room::parse("Værelse 12").map(|r| r.0), Some("12".into()));
        assert_eq!(Room::parse("stue 3b").map(|r| r.0), Some("3b".into()));
        assert_eq!(Room::parse("12B").map(|r| r.0), Some("12b".into()));
        assert_eq!(Room::parse("Stuen"), Some(Room("stuen".into())));
        assert_eq!(Room::parse("  "), None);
    }
}
