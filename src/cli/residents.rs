//! `residents`: importing residents and their treatment decisions.

use std::path::PathBuf;

use akutlinje_core::resident::{parse_import, ImportFormat, CSV_COLUMNS};
use anyhow::{bail, Context};
use chrono::Utc;
use clap::Subcommand;

use crate::config::Settings;

use super::fail;

#[derive(Subcommand, Debug)]
pub(super) enum ResidentsCommand {
    /// Import residents from a CSV or JSON file: all or nothing.
    Import {
        file: PathBuf,
        /// csv or json (default: from the file name).
        #[arg(long)]
        format: Option<String>,
    },
    /// Print the CSV header an import file uses.
    Template,
}

/// Prints the CSV import's header line.
pub(super) fn template() {
    println!("{}", CSV_COLUMNS.join(","));
}

pub(super) async fn run(cmd: ResidentsCommand, settings: Settings) -> anyhow::Result<()> {
    match cmd {
        ResidentsCommand::Import { file, format } => {
            let format = match format
                .as_deref()
                .or_else(|| file.extension().and_then(|e| e.to_str()))
            {
                Some("csv") | Some("CSV") => ImportFormat::Csv,
                Some("json") | Some("JSON") => ImportFormat::Json,
                other => bail!(
                    "cannot tell the format of {} ({other:?}); use --format csv or --format json",
                    file.display()
                ),
            };
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let residents = parse_import(format, &text).map_err(fail)?;
            let store = crate::startup::open(&settings).await?;
            let sum = store
                .import_residents(&residents, Utc::now())
                .await
                .map_err(|e| fail(format!("nothing was imported: {e}")))?;
            println!(
                "{}",
                serde_json::json!({"created": sum.created, "updated": sum.updated})
            );
            Ok(())
        }
        ResidentsCommand::Template => {
            template();
            Ok(())
        }
    }
}
