//! The patient's right to see who read their record (Sundhedsloven §42a):
//! one resident's access log as a report, for the command line
//! (`akutlinje access-log`) and for admins in the API.

use std::collections::HashMap;
use std::sync::Arc;

use akutlinje_core::ids::ResidentId;
use akutlinje_core::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One line of the report: who read what, when, through which channel.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Line {
    /// UTC, RFC 3339.
    pub at: DateTime<Utc>,
    /// Copenhagen wall-clock time, as the patient reads it.
    pub at_local: String,
    /// Who read (person id), if a person.
    pub person: Option<String>,
    /// Their name now.
    pub name: Option<String>,
    /// Their role now.
    pub role: Option<String>,
    /// `read` or `denied`.
    #[schema(value_type = akutlinje_core::record::AccessAction)]
    pub action: &'static str,
    /// Through which channel.
    #[schema(value_type = Option<akutlinje_core::record::Channel>)]
    pub channel: Option<&'static str>,
    /// For which case.
    pub case: Option<String>,
    /// What was read, or how.
    pub detail: Option<String>,
}

/// How the report is written, on the command line and in the API.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Deserialize,
    utoipa::ToSchema,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// A JSON array of lines.
    #[default]
    Json,
    /// CSV with a header row.
    Csv,
}

/// Why there is no report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// No such resident.
    #[error("no resident {0}")]
    UnknownResident(ResidentId),
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The access log of `resident` between `from` and `to`, oldest first,
/// with the readers' names and roles.
pub async fn report(
    store: &Arc<dyn Store>,
    resident: &ResidentId,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<Vec<Line>, ReportError> {
    if store.resident(resident).await?.is_none() {
        return Err(ReportError::UnknownResident(resident.clone()));
    }
    let people: HashMap<_, _> = store
        .people()
        .await?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect();
    let entries = store.access_log_of(resident, from, to).await?;
    Ok(entries
        .into_iter()
        .map(|e| {
            let p = e.person.as_ref().and_then(|id| people.get(id));
            Line {
                at: e.at,
                at_local: akutlinje_scheduler::rota::local_naive(e.at)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string(),
                person: e.person.as_ref().map(|p| p.to_string()),
                name: p.map(|p| p.name.to_string()),
                role: p.map(|p| p.role.as_str().to_string()),
                action: e.action.as_str(),
                channel: e.channel.map(|c| c.as_str()),
                case: e.case.map(|c| c.to_string()),
                detail: e.detail,
            }
        })
        .collect())
}

/// The report as CSV (a header, then one row per read).
pub fn to_csv(lines: &[Line]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for l in lines {
        w.serialize(l)?;
    }
    if lines.is_empty() {
        w.write_record([
            "at", "at_local", "person", "name", "role", "action", "channel", "case", "detail",
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
