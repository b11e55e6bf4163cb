//! The command line: `serve`, `console`, `score`, `residents`, `homes`,
//! `people`, `tokens`, `cases`.
//!
//! This module parses the command line and hands each command to the
//! module that carries it out; it holds no command's work itself.

mod cases;
mod homes;
mod people;
mod residents;
mod rotas;
mod scores;
mod server;

use std::path::PathBuf;
use std::sync::Arc;

use akutlinje_core::ids::PersonId;
use akutlinje_core::person::Person;
use akutlinje_core::store::Store;
use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::Settings;

pub use crate::time::parse_time;
pub use people::check_pin;

/// The version with the git commit it was built from.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("AKUTLINJE_GIT_COMMIT"),
    ")"
);

/// akutlinje: the acute hotline between nursing homes and on-call physicians.
#[derive(Parser, Debug)]
#[command(name = "akutlinje", version = VERSION, about)]
pub struct Cli {
    /// Configuration file (TOML). Default: ./akutlinje.toml if it exists.
    #[arg(long, global = true, env = "AKUTLINJE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the HTTP API (on SQLite next to the binary unless configured otherwise).
    Serve(server::ServeArgs),
    /// Run a case at the keyboard, as a member of a home's staff.
    Console(cases::ConsoleArgs),
    /// Compute an early-warning score and print it as JSON.
    #[command(subcommand)]
    Score(scores::ScoreCommand),
    /// Residents and their treatment decisions.
    #[command(subcommand)]
    Residents(residents::ResidentsCommand),
    /// Nursing homes.
    #[command(subcommand)]
    Homes(homes::HomesCommand),
    /// People and their roles.
    #[command(subcommand)]
    People(people::PeopleCommand),
    /// API tokens.
    #[command(subcommand)]
    Tokens(people::TokensCommand),
    /// Cases and their record.
    #[command(subcommand)]
    Cases(cases::CasesCommand),
    /// Who is on call now (or at --at), per tier, as JSON.
    Oncall(rotas::OncallArgs),
    /// On-call rotas: load, gaps, overrides, swaps.
    #[command(subcommand)]
    Rotas(rotas::RotasCommand),
    /// iCalendar feeds of the rota (per person or per service).
    #[command(subcommand)]
    Calendar(rotas::CalendarCommand),
    /// Who read a resident's record, when, through which channel (the
    /// patient's right of access, Sundhedsloven §42a).
    AccessLog(cases::AccessLogArgs),
    /// The database: migrations and the runtime role's rights.
    #[command(subcommand)]
    Db(server::DbCommand),
    /// Print the configuration in effect (file, then environment), every
    /// key by its name, as JSON; passwords are redacted and secrets from the
    /// environment are not shown. Exits with status 1 on a bad setting.
    Config,
    /// Transcribe voice notes (Ogg/Opus, WAV, MP3, raw G.711 .ul/.al) with
    /// the configured Whisper model and print the text.
    Transcribe(server::TranscribeArgs),
    /// Back up the embedded SQLite database into FILE while the service
    /// runs (a consistent snapshot), and check it. PostgreSQL: use pg_dump.
    Backup(server::BackupArgs),
    /// Check a backup (`--check`: integrity, schema, what it holds), or
    /// restore it over the configured SQLite database with the service
    /// stopped (`--force` when that database exists).
    Restore(server::RestoreArgs),
    /// Print the HTTP API's contract (OpenAPI 3.1, JSON), as the service
    /// serves it at /api/v1/openapi.json: to generate a client offline.
    Openapi,
}

pub(super) fn fail(msg: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{msg}")
}

/// `os_user=<name>`: who ran a command on the server, for the access log.
pub(super) fn os_user_detail() -> String {
    let name = ["USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .or_else(|| {
            // No login variables (a service, sudo -i): the real uid.
            std::fs::read_to_string("/proc/self/status")
                .ok()?
                .lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|l| l.split_whitespace().next())
                .map(|uid| format!("uid:{uid}"))
        })
        .unwrap_or_else(|| "unknown".into());
    format!("os_user={name}")
}

pub(super) async fn person(store: &Arc<dyn Store>, id: &str) -> anyhow::Result<Person> {
    let pid = PersonId::parse(id).map_err(|e| fail(format!("--as: {e}")))?;
    store
        .person(&pid)
        .await?
        .with_context(|| format!("no person with id {pid}; see `akutlinje people list`"))
}

/// Runs the command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    // Scores and the import template need no configuration or database.
    if let Command::Score(s) = &cli.command {
        return scores::run(s);
    }
    if let Command::Openapi = &cli.command {
        println!("{}", serde_json::to_string_pretty(&crate::api::openapi())?);
        return Ok(());
    }
    if let Command::Residents(residents::ResidentsCommand::Template) = &cli.command {
        residents::template();
        return Ok(());
    }
    let mut settings = Settings::load(cli.config.as_deref())?;
    if matches!(
        cli.command,
        Command::Console { .. } | Command::Transcribe { .. }
    ) && std::env::var_os("AKUTLINJE_LOG").is_none()
    {
        // The console is a conversation on the terminal; routine logs would drown it.
        settings.log = "warn".into();
    }
    crate::startup::init_tracing(&settings);
    if !matches!(cli.command, Command::Config | Command::Transcribe { .. }) {
        crate::startup::move_legacy_database(&mut settings);
    }
    match cli.command {
        Command::Score(_) | Command::Openapi => Ok(()),
        Command::Serve(a) => server::serve(a, settings).await,
        Command::Console(a) => cases::console(a, settings).await,
        Command::Residents(c) => residents::run(c, settings).await,
        Command::Homes(c) => homes::run(c, settings).await,
        Command::People(c) => people::run(c, settings).await,
        Command::Tokens(c) => people::tokens(c, settings).await,
        Command::Cases(c) => cases::run(c, settings).await,
        Command::Oncall(a) => rotas::oncall(a, settings).await,
        Command::Rotas(c) => rotas::run(c, settings).await,
        Command::Calendar(c) => rotas::calendar(c, settings).await,
        Command::AccessLog(a) => cases::access_log(a, settings).await,
        Command::Db(c) => server::db(c, settings).await,
        Command::Config => server::config(settings).await,
        Command::Transcribe(a) => server::transcribe(a, settings).await,
        Command::Backup(a) => server::backup(a, settings).await,
        Command::Restore(a) => server::restore(a, settings).await,
    }
}
