//! Running and looking after the service: `serve`, `db`, `config`,
//! `transcribe`.

use std::path::PathBuf;

use anyhow::bail;
use clap::Subcommand;

use crate::config::Settings;

use super::fail;

#[derive(Subcommand, Debug)]
pub(super) enum DbCommand {
    /// Apply pending migrations, as the owner (AKUTLINJE_DATABASE_OWNER_URL,
    /// else database_url).
    Migrate,
    /// Print the GRANTs that give a PostgreSQL runtime role what the service
    /// needs and nothing more (no DDL, no TRUNCATE, the record append-only).
    Grants {
        /// The runtime role (created by you: CREATE ROLE ... LOGIN).
        #[arg(long)]
        role: String,
    },
}

#[derive(clap::Args, Debug)]
pub(super) struct ServeArgs {
    /// Seed a demo nursing home, residents and people, and print how to try it.
    #[arg(long)]
    demo: bool,
    /// Address to listen on (overrides the configuration).
    #[arg(long)]
    bind: Option<std::net::SocketAddr>,
}

#[derive(clap::Args, Debug)]
pub(super) struct BackupArgs {
    /// The backup file to write (must not exist).
    file: std::path::PathBuf,
}

#[derive(clap::Args, Debug)]
pub(super) struct RestoreArgs {
    /// The backup file.
    file: std::path::PathBuf,
    /// Only check it: integrity, schema version, what it holds (JSON).
    #[arg(long)]
    check: bool,
    /// Replace an existing database (stop the service first).
    #[arg(long)]
    force: bool,
}

#[derive(clap::Args, Debug)]
pub(super) struct TranscribeArgs {
    /// Audio files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// One JSON object per file and line, for machines.
    #[arg(long)]
    json: bool,
    /// The language spoken (ISO 639-1; default: voice_language, da).
    #[arg(long)]
    language: Option<String>,
    /// A ggml model file (default: voice_model, or scripts/fetch-model's).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

pub(super) async fn db(cmd: DbCommand, settings: Settings) -> anyhow::Result<()> {
    match cmd {
        DbCommand::Migrate => {
            let url = settings
                .database_owner_url
                .clone()
                .unwrap_or_else(|| settings.database_url.clone());
            crate::startup::migrate(&url).await?;
            eprintln!(
                "the schema of {} is current",
                crate::config::redact_password(&url)
            );
            Ok(())
        }
        DbCommand::Grants { role } => {
            print!("{}", akutlinje_store::runtime_grants(&role).map_err(fail)?);
            Ok(())
        }
    }
}

/// Runs the service until it is stopped.
pub(super) async fn serve(args: ServeArgs, mut settings: Settings) -> anyhow::Result<()> {
    let ServeArgs { demo, bind } = args;
    if let Some(b) = bind {
        settings.bind = b;
    }
    crate::startup::serve(settings, demo).await
}

/// Prints the configuration in effect.
pub(super) async fn config(settings: Settings) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(&settings.describe())?);
    Ok(())
}

/// Transcribes audio files with the configured model.
pub(super) async fn transcribe(args: TranscribeArgs, settings: Settings) -> anyhow::Result<()> {
    let TranscribeArgs {
        files,
        json,
        language,
        model,
        threads,
    } = args;
    let mut voice = settings.voice.clone();
    if let Some(l) = language {
        akutlinje_voice::model::check_language(&l).map_err(|e| fail(format!("--language: {e}")))?;
        voice.language = l;
    }
    if let Some(m) = model {
        voice.model = m;
    }
    voice.threads =
        threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let n = files.len();
    let failed = crate::voice::transcribe_files(&voice, files, json).await?;
    if failed > 0 {
        bail!("{failed} of {n} files could not be transcribed");
    }
    Ok(())
}

/// The file of the configured SQLite database; an error for PostgreSQL.
fn sqlite_file(settings: &Settings) -> anyhow::Result<std::path::PathBuf> {
    use std::str::FromStr;
    if !settings.database_url.starts_with("sqlite:") {
        anyhow::bail!(
            "the database is PostgreSQL: back it up with pg_dump -Fc and restore with pg_restore (docs in the README)"
        );
    }
    let opts = sqlx::sqlite::SqliteConnectOptions::from_str(&settings.database_url)
        .map_err(|e| anyhow::anyhow!("database_url: {e}"))?;
    Ok(opts.get_filename().to_path_buf())
}

pub(super) async fn backup(a: BackupArgs, settings: Settings) -> anyhow::Result<()> {
    sqlite_file(&settings)?;
    let summary = akutlinje_store::sqlite_backup(&settings.database_url, &a.file)
        .await
        .map_err(|e| anyhow::anyhow!("backup to {}: {e}", a.file.display()))?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    if !summary.restorable() {
        anyhow::bail!("the backup did not check out: {}", summary.integrity);
    }
    eprintln!(
        "backed up {} cases and {} events into {}",
        summary.cases,
        summary.events,
        a.file.display()
    );
    Ok(())
}

pub(super) async fn restore(a: RestoreArgs, settings: Settings) -> anyhow::Result<()> {
    let summary = akutlinje_store::sqlite_check(&a.file)
        .await
        .map_err(|e| anyhow::anyhow!("{}: {e}", a.file.display()))?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    if !summary.restorable() {
        anyhow::bail!(
            "{} cannot be restored: integrity {}, schema {} (this program knows up to {})",
            a.file.display(),
            summary.integrity,
            summary.schema_version,
            summary.program_schema_version
        );
    }
    if a.check {
        return Ok(());
    }
    let target = sqlite_file(&settings)?;
    if target.exists() && !a.force {
        anyhow::bail!(
            "{} exists; stop the service and add --force to replace it",
            target.display()
        );
    }
    // Copy beside it, then rename: a crash leaves the old database or the new.
    let partial = target.with_extension("restoring");
    std::fs::copy(&a.file, &partial)
        .map_err(|e| anyhow::anyhow!("copying to {}: {e}", partial.display()))?;
    for suffix in ["-wal", "-shm"] {
        let side = std::path::PathBuf::from(format!("{}{suffix}", target.display()));
        let _ = std::fs::remove_file(side);
    }
    std::fs::rename(&partial, &target)
        .map_err(|e| anyhow::anyhow!("replacing {}: {e}", target.display()))?;
    eprintln!("restored {} into {}", a.file.display(), target.display());
    Ok(())
}
