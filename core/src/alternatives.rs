//! Municipal alternatives to admission, per home: the municipality's acute
//! team (akutteam) and its acute places (akutpladser), with their phone
//! numbers, hours and what they can do. A physician sees them with the
//! decision's choices and in the page; when the decision is the municipal
//! acute team, staff are told whom to call, now, with the number.
//!
//! Imported from CSV (`home,kind,name,phone,hours,services`) or TOML
//! (`[[alternative]]` with the same keys); every problem is reported with
//! its line (CSV) or entry (TOML) and field, and nothing is stored then.

use serde::{Deserialize, Serialize};

use crate::i18n::Msg;
use crate::ids::{HomeId, Text};
use crate::phone::PhoneNumber;

/// What kind of alternative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlternativeKind {
    /// The municipality's acute team (akutteam): nurses who come to the home.
    AcuteTeam,
    /// Acute places (akutpladser): a municipal bed instead of a hospital's.
    AcutePlaces,
}

impl AlternativeKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AlternativeKind::AcuteTeam => "acute_team",
            AlternativeKind::AcutePlaces => "acute_places",
        }
    }

    /// Parses the stored name or the Danish word ("akutteam", "akutpladser").
    pub fn parse(s: &str) -> Option<AlternativeKind> {
        match s.trim().to_lowercase().as_str() {
            "acute_team" | "akutteam" | "akut-team" | "akutteamet" => {
                Some(AlternativeKind::AcuteTeam)
            }
            "acute_places" | "akutpladser" | "akutplads" | "akut-pladser" => {
                Some(AlternativeKind::AcutePlaces)
            }
            _ => None,
        }
    }

    /// Its label in the reader's language.
    pub fn label(self) -> Msg {
        Msg::new(format!("alternative-{}", self.as_str()))
    }
}

/// One municipal alternative of a home.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Alternative {
    /// Acute team or acute places.
    pub kind: AlternativeKind,
    /// Its name ("Akutteam Aarhus Vest").
    pub name: Text,
    /// Where staff call it.
    pub phone: PhoneNumber,
    /// When it can be reached, in words ("døgnet rundt", "kl. 7–23").
    pub hours: Text,
    /// What it can do ("IV-væske, antibiotika i.v., blodprøver").
    pub services: Text,
}

impl Alternative {
    /// "Akutteam Aarhus Vest (akutteam), tlf. +4587131313, døgnet rundt: IV-væske, …"
    pub fn line(&self) -> Msg {
        Msg::new("alternative-line")
            .arg("name", &self.name)
            .arg_msg("kind", self.kind.label())
            .arg("phone", self.phone.e164())
            .arg("hours", &self.hours)
            .arg("services", &self.services)
    }
}

/// One problem in an import, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{place}: {field}: {problem}")]
pub struct ImportProblem {
    /// "line 3" or "entry 2".
    pub place: String,
    /// The field.
    pub field: &'static str,
    /// What is wrong.
    pub problem: String,
}

/// The raw fields of one alternative, as a file gives them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAlternative {
    home: String,
    kind: String,
    name: String,
    phone: String,
    hours: String,
    #[serde(default)]
    services: String,
}

fn checked(place: String, r: RawAlternative) -> Result<(HomeId, Alternative), Vec<ImportProblem>> {
    let mut problems = Vec::new();
    let mut bad = |field, problem: String| {
        problems.push(ImportProblem {
            place: place.clone(),
            field,
            problem,
        })
    };
    let home = HomeId::parse(&r.home)
        .map_err(|e| bad("home", e.to_string()))
        .ok();
    let kind = AlternativeKind::parse(&r.kind);
    if kind.is_none() {
        bad(
            "kind",
            format!("{:?} is not akutteam or akutpladser", r.kind),
        );
    }
    let name = Text::parse("name", &r.name, 200)
        .map_err(|e| bad("name", e.to_string()))
        .ok();
    let phone = PhoneNumber::parse(&r.phone)
        .map_err(|e| bad("phone", e.to_string()))
        .ok();
    let hours = Text::parse("hours", &r.hours, 200)
        .map_err(|e| bad("hours", e.to_string()))
        .ok();
    let services = if r.services.trim().is_empty() {
        Text::parse("services", "—", 10).ok()
    } else {
        Text::parse("services", &r.services, 500)
            .map_err(|e| bad("services", e.to_string()))
            .ok()
    };
    match (home, kind, name, phone, hours, services) {
        (Some(home), Some(kind), Some(name), Some(phone), Some(hours), Some(services))
            if problems.is_empty() =>
        {
            Ok((
                home,
                Alternative {
                    kind,
                    name,
                    phone,
                    hours,
                    services,
                },
            ))
        }
        _ => Err(problems),
    }
}

fn collect(
    rows: Vec<Result<(HomeId, Alternative), Vec<ImportProblem>>>,
) -> Result<Vec<(HomeId, Alternative)>, Vec<ImportProblem>> {
    let mut ok = Vec::new();
    let mut problems = Vec::new();
    for r in rows {
        match r {
            Ok(a) => ok.push(a),
            Err(p) => problems.extend(p),
        }
    }
    if problems.is_empty() {
        Ok(ok)
    } else {
        Err(problems)
    }
}

/// Reads `home,kind,name,phone,hours,services` with a header line.
pub fn parse_csv(src: &str) -> Result<Vec<(HomeId, Alternative)>, Vec<ImportProblem>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(src.as_bytes());
    let rows = reader
        .deserialize::<RawAlternative>()
        .enumerate()
        .map(|(i, r)| {
            // Line 1 is the header.
            let place = format!("line {}", i + 2);
            match r {
                Ok(raw) => checked(place, raw),
                Err(e) => Err(vec![ImportProblem {
                    place,
                    field: "row",
                    problem: e.to_string(),
                }]),
            }
        })
        .collect();
    collect(rows)
}

/// Reads `[[alternative]]` entries with the same keys as the CSV columns.
pub fn parse_toml(src: &str) -> Result<Vec<(HomeId, Alternative)>, Vec<ImportProblem>> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        #[serde(default)]
        alternative: Vec<RawAlternative>,
    }
    let f: File = toml::from_str(src).map_err(|e| {
        vec![ImportProblem {
            place: "file".into(),
            field: "toml",
            problem: e.to_string(),
        }]
    })?;
    collect(
        f.alternative
            .into_iter()
            .enumerate()
            .map(|(i, r)| checked(format!("entry {}", i + 1), r))
            .collect(),
    )
}

/// Reads a JSON array of `{kind, name, phone, hours, services}` for `home`,
/// checked like the CSV and TOML rows.
pub fn parse_json_for(home: &HomeId, src: &str) -> Result<Vec<Alternative>, Vec<ImportProblem>> {
    let problem = |place: String, e: String| ImportProblem {
        place,
        field: "json",
        problem: e,
    };
    let items: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_str(src).map_err(|e| vec![problem("body".into(), e.to_string())])?;
    let rows = items
        .into_iter()
        .enumerate()
        .map(|(i, mut m)| {
            let place = format!("entry {}", i + 1);
            m.insert("home".into(), serde_json::Value::String(home.to_string()));
            match serde_json::from_value::<RawAlternative>(serde_json::Value::Object(m)) {
                Ok(raw) => checked(place, raw),
                Err(e) => Err(vec![problem(place, e.to_string())]),
            }
        })
        .collect();
    collect(rows).map(|v| v.into_iter().map(|(_, a)| a).collect())
}

/// One home's alternatives as CSV lines (with the header), for editing.
pub fn to_csv(home: &HomeId, alternatives: &[Alternative]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["home", "kind", "name", "phone", "hours", "services"]);
    for a in alternatives {
        let _ = w.write_record([
            home.as_str(),
            a.kind.as_str(),
            a.name.as_str(),
            a.phone.e164(),
            a.hours.as_str(),
            a.services.as_str(),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "home,kind,name,phone,hours,services\n\
        solgaarden,akutteam,Akutteam Aarhus Vest,+45 87 13 13 13,døgnet rundt,\"IV-væske, antibiotika i.v., blodprøver\"\n\
        solgaarden,akutpladser,Akutpladser Vikærgården,87131400,kl. 8–22,Observation og pleje i op til 5 døgn\n";

    #[test]
    fn csv_and_toml_read_the_same_and_round_trip() {
        let a = parse_csv(CSV).expect("csv");
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].1.kind, AlternativeKind::AcuteTeam);
        assert_eq!(a[0].1.phone.e164(), "+4587131313");
        assert_eq!(a[1].1.phone.e164(), "+4587131400");
        let toml = r#"
            [[alternative]]
            home = "solgaarden"
            kind = "acute_team"
            name = "Akutteam Aarhus Vest"
            phone = "+4587131313"
            hours = "døgnet rundt"
            services = "IV-væske, antibiotika i.v., blodprøver"
        "#;
        let t = parse_toml(toml).expect("toml");
        assert_eq!(t[0], a[0]);
        let home = HomeId::parse("solgaarden").expect("home");
        let back = parse_csv(&to_csv(&home, &[a[0].1.clone(), a[1].1.clone()])).expect("again");
        assert_eq!(back, a);
    }

    #[test]
    fn every_problem_is_named_with_its_line_and_field() {
        let bad = "home,kind,name,phone,hours,services\n\
            solgaarden,lægevagt,X,+4587131313,altid,\n\
            Sol Gården,akutteam,,12,altid,\n";
        let problems = parse_csv(bad).expect_err("refused");
        let said: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert!(
            said.iter().any(|p| p.starts_with("line 2: kind:")),
            "{said:?}"
        );
        assert!(
            said.iter().any(|p| p.starts_with("line 3: home:")),
            "{said:?}"
        );
        assert!(
            said.iter().any(|p| p.starts_with("line 3: name:")),
            "{said:?}"
        );
        assert!(
            said.iter().any(|p| p.starts_with("line 3: phone:")),
            "{said:?}"
        );
    }
}
