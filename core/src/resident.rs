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
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// One problem in an import file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportProblem {
    /// 1-based line in a CSV file, or 1-based position in a JSON array.
    pub line: usize,
    /// The field.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, field {}: {}",
            self.line, self.field, self.message
        )
    }
}

/// An import file that failed; nothing of it may be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} problem(s) in the file; nothing was imported:\n{}", .0.len(), .0.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
pub struct ImportError(pub Vec<ImportProblem>);

/// The format of an import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// Comma-separated values with a header line.
    Csv,
    /// A JSON array of residents.
    Json,
}

/// The CSV columns, in the order the template lists them.
pub const CSV_COLUMNS: [&str; 19] = [
    "id",
    "home",
    "room",
    "name",
    "born",
    "baseline_cognition",
    "diagnoses",
    "allergies",
    "contact_name",
    "contact_relation",
    "contact_phone",
    "spo2_scale2",
    "treatment",
    "treatment_recorded_by",
    "treatment_recorded_on",
    "wishes",
    "wishes_recorded_by",
    "wishes_recorded_on",
    "note",
];

/// Parses a whole import file. All-or-nothing: any problem fails the file,
/// and every problem found is reported, not only the first.
pub fn parse_import(format: ImportFormat, data: &str) -> Result<Vec<Resident>, ImportError> {
    let residents = match format {
        ImportFormat::Csv => parse_csv(data)?,
        ImportFormat::Json => parse_json(data)?,
    };
    let mut problems = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut seen_ids = std::collections::HashSet::new();
    for (line, r) in &residents {
        if let Err((field, message)) = r.check() {
            problems.push(ImportProblem {
                line: *line,
                field: field.into(),
                message,
            });
        }
        if !seen.insert((r.home.clone(), r.room.clone())) {
            problems.push(ImportProblem {
                line: *line,
                field: "room".into(),
                message: format!(
                    "room {} of home {} appears twice in the file",
                    r.room, r.home
                ),
            });
        }
        if !seen_ids.insert(r.id.clone()) {
            problems.push(ImportProblem {
                line: *line,
                field: "id".into(),
                message: format!("id {} appears twice in the file", r.id),
            });
        }
    }
    if residents.is_empty() && problems.is_empty() {
        problems.push(ImportProblem {
            line: 1,
            field: "-".into(),
            message: "the file holds no residents".into(),
        });
    }
    if problems.is_empty() {
        Ok(residents.into_iter().map(|(_, r)| r).collect())
    } else {
        Err(ImportError(problems))
    }
}

fn parse_json(data: &str) -> Result<Vec<(usize, Resident)>, ImportError> {
    // Parse element by element so a bad record names its position and field.
    let values: Vec<serde_json::Value> = match serde_json::from_str::<serde_json::Value>(data) {
        Ok(serde_json::Value::Array(a)) => a,
        Ok(serde_json::Value::Object(mut o)) => match o.remove("residents") {
            Some(serde_json::Value::Array(a)) => a,
            _ => {
                return Err(ImportError(vec![ImportProblem {
                    line: 1,
                    field: "residents".into(),
                    message:
                        "expected an array of residents, or an object with a \"residents\" array"
                            .into(),
                }]))
            }
        },
        Ok(_) => {
            return Err(ImportError(vec![ImportProblem {
                line: 1,
                field: "-".into(),
                message: "expected an array of residents".into(),
            }]))
        }
        Err(e) => {
            return Err(ImportError(vec![ImportProblem {
                line: e.line(),
                field: "-".into(),
                message: format!("not valid JSON: {e}"),
            }]))
        }
    };
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, v) in values.into_iter().enumerate() {
        let n = i + 1;
        match serde_path_to_field(v) {
            Ok(r) => out.push((n, r)),
            Err((field, message)) => problems.push(ImportProblem {
                line: n,
                field,
                message,
            }),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(ImportError(problems))
    }
}

/// Deserialises one JSON resident, naming the field that failed.
fn serde_path_to_field(v: serde_json::Value) -> Result<Resident, (String, String)> {
    let serde_json::Value::Object(map) = &v else {
        return Err(("-".into(), "expected an object".into()));
    };
    // Check each top-level field separately to name the one that is wrong.
    for key in map.keys() {
        if !JSON_FIELDS.contains(&key.as_str()) {
            return Err((
                key.clone(),
                format!("unknown field (accepted: {})", JSON_FIELDS.join(", ")),
            ));
        }
    }
    for key in ["id", "home", "room", "name"] {
        if !map.contains_key(key) {
            return Err((key.into(), "missing".into()));
        }
    }
    let mut map = map.clone();
    map.entry("baseline_cognition")
        .or_insert(serde_json::Value::String("unknown".into()));
    for (key, value) in &map {
        let res = match key.as_str() {
            "id" => serde_json::from_value::<ResidentId>(value.clone()).map(drop),
            "home" => serde_json::from_value::<HomeId>(value.clone()).map(drop),
            "room" => serde_json::from_value::<Room>(value.clone()).map(drop),
            "name" => serde_json::from_value::<Text>(value.clone()).map(drop),
            "born" => serde_json::from_value::<Option<NaiveDate>>(value.clone()).map(drop),
            "baseline_cognition" => serde_json::from_value::<Cognition>(value.clone()).map(drop),
            "contact" => serde_json::from_value::<Option<Contact>>(value.clone()).map(drop),
            "decisions" => {
                serde_json::from_value::<Vec<TreatmentDecision>>(value.clone()).map(drop)
            }
            _ => Ok(()),
        };
        if let Err(e) = res {
            return Err((key.clone(), e.to_string()));
        }
    }
    let r: Resident = serde_json::from_value(serde_json::Value::Object(map))
        .map_err(|e| ("-".to_string(), e.to_string()))?;
    if r.name.as_str().trim().is_empty() {
        return Err(("name".into(), "must not be empty".into()));
    }
    Ok(r)
}

const JSON_FIELDS: [&str; 11] = [
    "id",
    "home",
    "room",
    "name",
    "born",
    "baseline_cognition",
    "diagnoses",
    "allergies",
    "contact",
    "spo2_scale2",
    "decisions",
];

fn parse_csv(data: &str) -> Result<Vec<(usize, Resident)>, ImportError> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(data.as_bytes());
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Err(ImportError(vec![ImportProblem {
                line: 1,
                field: "-".into(),
                message: format!("cannot read the header: {e}"),
            }]))
        }
    };
    let mut problems = Vec::new();
    for h in headers.iter() {
        if !CSV_COLUMNS.contains(&h) {
            problems.push(ImportProblem {
                line: 1,
                field: h.into(),
                message: format!("unknown column (accepted: {})", CSV_COLUMNS.join(", ")),
            });
        }
    }
    for required in ["id", "home", "room", "name"] {
        if !headers.iter().any(|h| h == required) {
            problems.push(ImportProblem {
                line: 1,
                field: required.into(),
                message: "required column is missing".into(),
            });
        }
    }
    if !problems.is_empty() {
        return Err(ImportError(problems));
    }
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                problems.push(ImportProblem {
                    line,
                    field: "-".into(),
                    message: format!("cannot read the row: {e}"),
                });
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line() as usize);
        match csv_row(&Row {
            headers: &headers,
            rec: &rec,
        }) {
            Ok(r) => out.push((line, r)),
            Err(mut p) => {
                for x in &mut p {
                    x.line = line;
                }
                problems.extend(p);
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(ImportError(problems))
    }
}

struct Row<'a> {
    headers: &'a csv::StringRecord,
    rec: &'a csv::StringRecord,
}

impl<'a> Row<'a> {
    fn get(&self, col: &str) -> &'a str {
        self.headers
            .iter()
            .position(|h| h == col)
            .and_then(|i| self.rec.get(i))
            .unwrap_or("")
    }
}

fn csv_row(row: &Row<'_>) -> Result<Resident, Vec<ImportProblem>> {
    let get = |col: &str| row.get(col);
    let mut p = Vec::new();
    let mut bad = |field: &str, message: String| {
        p.push(ImportProblem {
            line: 0,
            field: field.into(),
            message,
        })
    };
    let id = ResidentId::parse(get("id"))
        .map_err(|e| bad("id", e.to_string()))
        .ok();
    let home = HomeId::parse(get("home"))
        .map_err(|e| bad("home", e.to_string()))
        .ok();
    let room = Room::parse(get("room"));
    if room.is_none() {
        bad("room", "must be 1–16 characters".into());
    }
    let name = Text::parse("name", get("name"), 200)
        .map_err(|e| bad("name", e.to_string()))
        .ok();
    let born = match get("born") {
        "" => None,
        s => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                bad("born", format!("{s:?} is not a date like 1938-04-17"));
                None
            }
        },
    };
    let cognition = Cognition::parse(get("baseline_cognition")).unwrap_or_else(|| {
        bad(
            "baseline_cognition",
            "must be one of normal, mild, moderate, severe, unknown".into(),
        );
        Cognition::Unknown
    });
    let list = |s: &str| -> Vec<Text> {
        s.split(';')
            .filter_map(|x| Text::parse("item", x, 200).ok())
            .collect()
    };
    let contact = match get("contact_name") {
        "" => None,
        n => Text::parse("contact_name", n, 200)
            .ok()
            .map(|name| Contact {
                name,
                relation: Text::parse("contact_relation", get("contact_relation"), 100).ok(),
                phone: Text::parse("contact_phone", get("contact_phone"), 40).ok(),
            }),
    };
    let spo2_scale2 = match get("spo2_scale2").to_lowercase().as_str() {
        "" | "no" | "nej" | "false" | "0" => false,
        "yes" | "ja" | "true" | "1" => true,
        _ => {
            bad("spo2_scale2", "must be yes or no".into());
            false
        }
    };
    let mut decisions = Vec::new();
    let mut sourced = |kinds: Vec<(DecisionKind, Option<Text>)>,
                       by_col: &str,
                       on_col: &str,
                       bad: &mut dyn FnMut(&str, String)| {
        if kinds.is_empty() {
            return;
        }
        let by = Text::parse("recorded_by", get(by_col), 200);
        let on = NaiveDate::parse_from_str(get(on_col), "%Y-%m-%d");
        match (by, on) {
            (Ok(by), Ok(on)) => {
                for (kind, note) in kinds {
                    decisions.push(TreatmentDecision {
                        kind,
                        note,
                        recorded_by: by.clone(),
                        recorded_on: on,
                    });
                }
            }
            (Err(_), _) => bad(by_col, "who recorded it is required".into()),
            (_, Err(_)) => bad(
                on_col,
                "the date it was recorded is required, like 2025-03-01".into(),
            ),
        }
    };
    let mut kinds = Vec::new();
    for k in get("treatment")
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match DecisionKind::parse(k) {
            Some(DecisionKind::OwnWish) | None => bad(
                "treatment",
                format!(
                    "unknown decision {k:?} (accepted: full_treatment, no_cpr, no_icu, no_admission, palliative_only, behandlingstestamente, livstestamente)"
                ),
            ),
            Some(kind) => kinds.push((kind, None)),
        }
    }
    let note = Text::parse("note", get("note"), 500).ok();
    if let (Some(first), Some(n)) = (kinds.first_mut(), note) {
        first.1 = Some(n);
    }
    sourced(
        kinds,
        "treatment_recorded_by",
        "treatment_recorded_on",
        &mut bad,
    );
    let wishes: Vec<_> = match Text::parse("wishes", get("wishes"), 1000) {
        Ok(w) => vec![(DecisionKind::OwnWish, Some(w))],
        Err(_) => vec![],
    };
    sourced(wishes, "wishes_recorded_by", "wishes_recorded_on", &mut bad);
    if !p.is_empty() {
        return Err(p);
    }
    match (id, home, room, name) {
        (Some(id), Some(home), Some(room), Some(name)) => Ok(Resident {
            id,
            home,
            room,
            name,
            born,
            baseline_cognition: cognition,
            diagnoses: list(get("diagnoses")),
            allergies: list(get("allergies")),
            contact,
            spo2_scale2,
            decisions,
        }),
        _ => Err(p),
    }
}

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
