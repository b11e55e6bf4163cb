//! Importing residents from CSV or JSON: all or nothing, every problem
//! named by its line (or position) and field.

use std::fmt;

use chrono::NaiveDate;
use serde::Serialize;

use super::*;

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
    let mut p = Problems::default();
    let id = ResidentId::parse(get("id"))
        .map_err(|e| p.bad("id", e.to_string()))
        .ok();
    let home = HomeId::parse(get("home"))
        .map_err(|e| p.bad("home", e.to_string()))
        .ok();
    let room = Room::parse(get("room"));
    if room.is_none() {
        p.bad("room", "must be 1–16 characters".into());
    }
    let name = Text::parse("name", get("name"), 200)
        .map_err(|e| p.bad("name", e.to_string()))
        .ok();
    let born = match get("born") {
        "" => None,
        s => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| p.bad("born", format!("{s:?} is not a date like 1938-04-17")))
            .ok(),
    };
    let cognition = Cognition::parse(get("baseline_cognition")).unwrap_or_else(|| {
        p.bad(
            "baseline_cognition",
            "must be one of normal, mild, moderate, severe, unknown".into(),
        );
        Cognition::Unknown
    });
    let spo2_scale2 = match get("spo2_scale2").to_lowercase().as_str() {
        "" | "no" | "nej" | "false" | "0" => false,
        "yes" | "ja" | "true" | "1" => true,
        _ => {
            p.bad("spo2_scale2", "must be yes or no".into());
            false
        }
    };
    let decisions = decisions_of(row, &mut p);
    if !p.0.is_empty() {
        return Err(p.0);
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
            contact: contact_of(row),
            spo2_scale2,
            decisions,
        }),
        _ => Err(p.0),
    }
}

/// The problems of one row, in the order found (the caller adds the line).
#[derive(Default)]
struct Problems(Vec<ImportProblem>);

impl Problems {
    fn bad(&mut self, field: &str, message: String) {
        self.0.push(ImportProblem {
            line: 0,
            field: field.into(),
            message,
        });
    }
}

/// A `;`-separated list.
fn list(s: &str) -> Vec<Text> {
    s.split(';')
        .filter_map(|x| Text::parse("item", x, 200).ok())
        .collect()
}

/// The next of kin, if the row names one.
fn contact_of(row: &Row<'_>) -> Option<Contact> {
    match row.get("contact_name") {
        "" => None,
        n => Text::parse("contact_name", n, 200)
            .ok()
            .map(|name| Contact {
                name,
                relation: Text::parse("contact_relation", row.get("contact_relation"), 100).ok(),
                phone: Text::parse("contact_phone", row.get("contact_phone"), 40).ok(),
            }),
    }
}

/// The treatment decisions (the note goes with the first) and the
/// resident's own wish, each with who recorded it and when.
fn decisions_of(row: &Row<'_>, p: &mut Problems) -> Vec<TreatmentDecision> {
    let mut kinds = Vec::new();
    for k in row
        .get("treatment")
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match DecisionKind::parse(k) {
            Some(DecisionKind::OwnWish) | None => p.bad(
                "treatment",
                format!(
                    "unknown decision {k:?} (accepted: full_treatment, no_cpr, no_icu, no_admission, palliative_only, behandlingstestamente, livstestamente)"
                ),
            ),
            Some(kind) => kinds.push((kind, None)),
        }
    }
    let note = Text::parse("note", row.get("note"), 500).ok();
    if let (Some(first), Some(n)) = (kinds.first_mut(), note) {
        first.1 = Some(n);
    }
    let mut decisions = Vec::new();
    sourced(
        row,
        kinds,
        ("treatment_recorded_by", "treatment_recorded_on"),
        p,
        &mut decisions,
    );
    let wishes: Vec<_> = match Text::parse("wishes", row.get("wishes"), 1000) {
        Ok(w) => vec![(DecisionKind::OwnWish, Some(w))],
        Err(_) => vec![],
    };
    sourced(
        row,
        wishes,
        ("wishes_recorded_by", "wishes_recorded_on"),
        p,
        &mut decisions,
    );
    decisions
}

/// `kinds` as decisions recorded by and on the row's `(by, on)` columns,
/// which are required once there is anything to record.
fn sourced(
    row: &Row<'_>,
    kinds: Vec<(DecisionKind, Option<Text>)>,
    (by_col, on_col): (&str, &str),
    p: &mut Problems,
    out: &mut Vec<TreatmentDecision>,
) {
    if kinds.is_empty() {
        return;
    }
    let by = Text::parse("recorded_by", row.get(by_col), 200);
    let on = NaiveDate::parse_from_str(row.get(on_col), "%Y-%m-%d");
    match (by, on) {
        (Ok(by), Ok(on)) => out.extend(kinds.into_iter().map(|(kind, note)| TreatmentDecision {
            kind,
            note,
            recorded_by: by.clone(),
            recorded_on: on,
        })),
        (Err(_), _) => p.bad(by_col, "who recorded it is required".into()),
        (_, Err(_)) => p.bad(
            on_col,
            "the date it was recorded is required, like 2025-03-01".into(),
        ),
    }
}
