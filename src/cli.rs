//! The command line: `serve`, `console`, `score`, `residents`, `homes`,
//! `people`, `tokens`, `cases`.

use std::path::PathBuf;
use std::sync::Arc;

use akutlinje_core::i18n::Lang;
use akutlinje_core::ids::{CaseId, HomeId, PersonId, Text};
use akutlinje_core::news2::News2Input;
use akutlinje_core::person::{Home, Person, Role};
use akutlinje_core::record::{AccessAction, AccessEntry, Channel};
use akutlinje_core::resident::{parse_import, ImportFormat, CSV_COLUMNS};
use akutlinje_core::rota::{OverrideSpec, RotationId, ServiceId, SwapSpec, TierId};
use akutlinje_core::service::ServiceError;
use akutlinje_core::store::Store;
use akutlinje_core::tobs::TobsInput;
use akutlinje_core::vitals::{
    Acvpu, Oxygen, Pulse, RespRate, Spo2, Spo2Scale, Systolic, TempSite, Temperature,
    TobsConsciousness,
};
use anyhow::{bail, Context};
use chrono::Utc;
use clap::{Parser, Subcommand};

use crate::api;
use crate::auth;
use crate::config::Settings;

/// akutlinje: the acute hotline between nursing homes and on-call physicians.
#[derive(Parser, Debug)]
#[command(name = "akutlinje", version, about)]
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
    Serve {
        /// Seed a demo nursing home, residents and people, and print how to try it.
        #[arg(long)]
        demo: bool,
        /// Address to listen on (overrides the configuration).
        #[arg(long)]
        bind: Option<std::net::SocketAddr>,
    },
    /// Run a case at the keyboard, as a member of a home's staff.
    Console {
        /// The nursing home (id), e.g. solgaarden.
        #[arg(long)]
        home: String,
        /// Who is calling (person id), e.g. anna.
        #[arg(long = "as")]
        person: String,
        /// Language: da or en.
        #[arg(long)]
        lang: Option<String>,
    },
    /// Compute an early-warning score and print it as JSON.
    #[command(subcommand)]
    Score(ScoreCommand),
    /// Residents and their treatment decisions.
    #[command(subcommand)]
    Residents(ResidentsCommand),
    /// Nursing homes.
    #[command(subcommand)]
    Homes(HomesCommand),
    /// People and their roles.
    #[command(subcommand)]
    People(PeopleCommand),
    /// API tokens.
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// Cases and their record.
    #[command(subcommand)]
    Cases(CasesCommand),
    /// Who is on call now (or at --at), per tier, as JSON.
    Oncall {
        /// The service (id), e.g. akutlaege.
        #[arg(long)]
        service: String,
        /// RFC 3339 (2026-11-23T03:00:00+01:00) or Copenhagen time (2026-11-23 03:00). Default: now.
        #[arg(long)]
        at: Option<String>,
    },
    /// On-call rotas: load, gaps, overrides, swaps.
    #[command(subcommand)]
    Rotas(RotasCommand),
    /// iCalendar feeds of the rota (per person or per service).
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// Who read a resident's record, when, through which channel (the
    /// patient's right of access, Sundhedsloven §42a).
    AccessLog {
        /// The resident (id).
        #[arg(long)]
        resident: String,
        /// From (RFC 3339 or Copenhagen "2026-11-01 00:00"); default: the beginning.
        #[arg(long)]
        from: Option<String>,
        /// To (inclusive); default: now.
        #[arg(long)]
        to: Option<String>,
        /// csv or json.
        #[arg(long, default_value = "json")]
        format: String,
    },
    /// The database: migrations and the runtime role's rights.
    #[command(subcommand)]
    Db(DbCommand),
    /// Print the configuration in effect (file, then environment), every
    /// key by its name, as JSON; passwords are redacted and secrets from the
    /// environment are not shown. Exits with status 1 on a bad setting.
    Config,
    /// Transcribe voice notes (Ogg/Opus, WAV, MP3, raw G.711 .ul/.al) with
    /// the configured Whisper model and print the text.
    Transcribe {
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
    },
}

#[derive(Subcommand, Debug)]
enum DbCommand {
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

#[derive(Subcommand, Debug)]
enum CalendarCommand {
    /// Issue a feed URL (shown once).
    Issue {
        #[arg(long)]
        person: Option<String>,
        #[arg(long)]
        service: Option<String>,
    },
    /// Revoke every feed of a person or service.
    Revoke {
        #[arg(long)]
        person: Option<String>,
        #[arg(long)]
        service: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum RotasCommand {
    /// Load a service and its rotations from a TOML file (see demo/rota.toml);
    /// rotations of the service not in the file are removed.
    Load { file: PathBuf },
    /// Every uncovered stretch of the coming days, per tier, as JSON.
    Gaps {
        #[arg(long)]
        service: String,
        #[arg(long, default_value_t = 14)]
        days: u32,
        /// Start (default: now).
        #[arg(long)]
        from: Option<String>,
    },
    /// X covers a tier from .. to .. (over whatever the rotations say).
    Override {
        #[arg(long)]
        service: String,
        #[arg(long)]
        tier: String,
        /// Who covers.
        #[arg(long)]
        person: String,
        /// Whom they cover for, if one person.
        #[arg(long)]
        replaces: Option<String>,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
    },
    /// Remove an override by its id.
    RemoveOverride { id: i64 },
    /// Two people trade one shift each on a rotation.
    Swap {
        #[arg(long)]
        rotation: String,
        #[arg(long)]
        a: String,
        /// Start of A's shift.
        #[arg(long)]
        a_shift: String,
        #[arg(long)]
        b: String,
        /// Start of B's shift.
        #[arg(long)]
        b_shift: String,
    },
}

pub use crate::time::parse_time;

#[derive(Subcommand, Debug)]
enum ScoreCommand {
    /// NEWS2 (RCP 2017).
    News2 {
        #[arg(long)]
        resp_rate: String,
        #[arg(long)]
        spo2: String,
        /// 1, or 2 only for a prescribed target of 88–92 %.
        #[arg(long, default_value = "1")]
        spo2_scale: String,
        /// yes or no.
        #[arg(long)]
        oxygen: String,
        #[arg(long)]
        systolic: String,
        #[arg(long)]
        pulse: String,
        /// A, C (new confusion), V, P or U.
        #[arg(long)]
        consciousness: String,
        /// Degrees Celsius, one decimal: 38.9 or 38,9.
        #[arg(long)]
        temp: String,
    },
    /// TOBS (municipal early warning, 0–15).
    Tobs {
        #[arg(long)]
        resp_rate: String,
        #[arg(long)]
        systolic: String,
        #[arg(long)]
        pulse: String,
        /// habitual, agitated, new_confusion, voice, pain or unresponsive.
        #[arg(long)]
        consciousness: String,
        #[arg(long)]
        temp: String,
        /// rectal (default), ear, oral or axillary.
        #[arg(long, default_value = "rectal")]
        temp_site: String,
    },
}

#[derive(Subcommand, Debug)]
enum ResidentsCommand {
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

#[derive(Subcommand, Debug)]
enum HomesCommand {
    /// Add or rename a home.
    Add {
        id: String,
        #[arg(long)]
        name: String,
    },
    /// List homes, with their bound Matrix rooms.
    List,
    /// Bind a Matrix room to a home: the bot shows the home's resident data
    /// there (and only there), while every member may read that home.
    Room {
        /// The home (id).
        home: String,
        /// The room id (Element: room settings → Advanced), e.g. !abc:matrix.region.dk.
        room: String,
    },
    /// The bound rooms (of one home, or all), as JSON.
    Rooms { home: Option<String> },
    /// Unbind a room: no resident data is shown there any more.
    Unroom { room: String },
    /// Set a home's shared phone PIN, for staff without their own (4–8
    /// digits, read from standard input; stored hashed).
    Pin { home: String },
}

#[derive(Subcommand, Debug)]
enum PeopleCommand {
    /// Add or update a person.
    Add {
        id: String,
        #[arg(long)]
        name: String,
        /// staff, physician, coordinator or admin.
        #[arg(long)]
        role: String,
        /// The home, for staff.
        #[arg(long)]
        home: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        matrix_user: Option<String>,
    },
    /// List people.
    List,
    /// Set a person's web password (read from standard input, first line).
    Password { id: String },
    /// Set a staff member's phone PIN, keyed before any resident data is
    /// spoken (4–8 digits, read from standard input; stored hashed).
    Pin { id: String },
}

#[derive(Subcommand, Debug)]
enum TokensCommand {
    /// Issue a new API token for a person (printed once).
    Issue { person: String },
    /// Revoke every token of a person.
    Revoke { person: String },
}

#[derive(Subcommand, Debug)]
enum CasesCommand {
    /// List recent cases (each listed case's resident is access-logged, as
    /// the command line with your operating-system user).
    List {
        #[arg(long)]
        home: Option<String>,
        /// Who is reading (person id); default: the operating-system user
        /// alone, recorded as such.
        #[arg(long = "as")]
        person: Option<String>,
    },
    /// Show one case's record as JSON (the read is written to the access log).
    Show {
        id: String,
        /// Who is reading (person id).
        #[arg(long = "as")]
        person: String,
    },
}

fn fail(msg: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{msg}")
}

fn score_news2(a: &ScoreCommand) -> anyhow::Result<serde_json::Value> {
    let ScoreCommand::News2 {
        resp_rate,
        spo2,
        spo2_scale,
        oxygen,
        systolic,
        pulse,
        consciousness,
        temp,
    } = a
    else {
        bail!("not a NEWS2 command");
    };
    let input = News2Input {
        resp_rate: RespRate::parse(resp_rate).map_err(fail)?,
        spo2: Spo2::parse(spo2).map_err(fail)?,
        spo2_scale: Spo2Scale::parse(spo2_scale).map_err(fail)?,
        oxygen: Oxygen::parse(oxygen).map_err(fail)?,
        systolic: Systolic::parse(systolic.split('/').next().unwrap_or(systolic)).map_err(fail)?,
        pulse: Pulse::parse(pulse).map_err(fail)?,
        consciousness: Acvpu::parse(consciousness).map_err(fail)?,
        temp: Temperature::parse(temp).map_err(fail)?,
    };
    Ok(api::news2_json(&akutlinje_core::news2::score(&input)))
}

fn score_tobs(a: &ScoreCommand) -> anyhow::Result<serde_json::Value> {
    let ScoreCommand::Tobs {
        resp_rate,
        systolic,
        pulse,
        consciousness,
        temp,
        temp_site,
    } = a
    else {
        bail!("not a TOBS command");
    };
    let input = TobsInput {
        resp_rate: RespRate::parse(resp_rate).map_err(fail)?,
        systolic: Systolic::parse(systolic.split('/').next().unwrap_or(systolic)).map_err(fail)?,
        pulse: Pulse::parse(pulse).map_err(fail)?,
        consciousness: TobsConsciousness::parse(consciousness).map_err(fail)?,
        temp: Temperature::parse(temp).map_err(fail)?,
        temp_site: TempSite::parse(temp_site).ok_or_else(|| {
            fail(format!(
                "temp_site: {temp_site:?} must be rectal, ear, oral or axillary"
            ))
        })?,
    };
    Ok(api::tobs_json(&akutlinje_core::tobs::score(&input)))
}

/// A phone PIN from standard input: 4–8 digits, not all the same and not
/// a run like 1234 (the first guesses anyone tries).
fn read_pin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the PIN")?;
    check_pin(line.trim())
}

/// Checks a PIN (see [`read_pin`]).
pub fn check_pin(pin: &str) -> anyhow::Result<String> {
    if !(4..=8).contains(&pin.len()) || !pin.chars().all(|c| c.is_ascii_digit()) {
        bail!("a PIN is 4 to 8 digits");
    }
    let d: Vec<i32> = pin.bytes().map(|b| i32::from(b - b'0')).collect();
    let steps: Vec<i32> = d.windows(2).map(|w| w[1] - w[0]).collect();
    if steps.iter().all(|s| *s == 0)
        || steps.iter().all(|s| *s == 1)
        || steps.iter().all(|s| *s == -1)
    {
        bail!("that PIN is among the first anyone would try (all one digit, or a run like 1234); choose another");
    }
    Ok(pin.to_string())
}

/// `os_user=<name>`: who ran a command on the server, for the access log.
fn os_user_detail() -> String {
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

async fn person(store: &Arc<dyn Store>, id: &str) -> anyhow::Result<Person> {
    let pid = PersonId::parse(id).map_err(|e| fail(format!("--as: {e}")))?;
    store
        .person(&pid)
        .await?
        .with_context(|| format!("no person with id {pid}; see `akutlinje people list`"))
}

/// Runs the command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    // Scores need no configuration or database.
    if let Command::Score(s) = &cli.command {
        let json = match s {
            ScoreCommand::News2 { .. } => score_news2(s)?,
            ScoreCommand::Tobs { .. } => score_tobs(s)?,
        };
        println!("{json}");
        return Ok(());
    }
    if let Command::Residents(ResidentsCommand::Template) = &cli.command {
        println!("{}", CSV_COLUMNS.join(","));
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
        Command::Score(_) | Command::Residents(ResidentsCommand::Template) => Ok(()),
        Command::Db(DbCommand::Migrate) => {
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
        Command::Db(DbCommand::Grants { role }) => {
            print!("{}", akutlinje_store::runtime_grants(&role).map_err(fail)?);
            Ok(())
        }
        Command::AccessLog {
            resident,
            from,
            to,
            format,
        } => {
            let resident = akutlinje_core::ids::ResidentId::parse(&resident)
                .map_err(|e| fail(format!("--resident: {e}")))?;
            let from = from.map(|f| parse_time("--from", &f)).transpose()?;
            let to = to.map(|t| parse_time("--to", &t)).transpose()?;
            if !matches!(format.as_str(), "csv" | "json") {
                bail!("--format: {format:?} must be csv or json");
            }
            let store = crate::startup::open(&settings).await?;
            let lines = crate::access::report(&store, &resident, from, to)
                .await
                .map_err(fail)?;
            if format == "csv" {
                print!("{}", crate::access::to_csv(&lines)?);
            } else {
                println!("{}", serde_json::to_string_pretty(&lines)?);
            }
            eprintln!("{} entries", lines.len());
            Ok(())
        }
        Command::Config => {
            println!("{}", serde_json::to_string_pretty(&settings.describe())?);
            Ok(())
        }
        Command::Serve { demo, bind } => {
            if let Some(b) = bind {
                settings.bind = b;
            }
            crate::startup::serve(settings, demo).await
        }
        Command::Transcribe {
            files,
            json,
            language,
            model,
            threads,
        } => {
            let mut voice = settings.voice.clone();
            if let Some(l) = language {
                akutlinje_voice::model::check_language(&l)
                    .map_err(|e| fail(format!("--language: {e}")))?;
                voice.language = l;
            }
            if let Some(m) = model {
                voice.model = m;
            }
            voice.threads = threads
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
            let n = files.len();
            let failed = crate::voice::transcribe_files(&voice, files, json).await?;
            if failed > 0 {
                bail!("{failed} of {n} files could not be transcribed");
            }
            Ok(())
        }
        Command::Console {
            home,
            person: who,
            lang,
        } => {
            let store = crate::startup::open(&settings).await?;
            let lang = match lang {
                Some(l) => {
                    Lang::parse(&l).with_context(|| format!("--lang: {l:?} must be da or en"))?
                }
                None => settings.language,
            };
            let who = person(&store, &who).await?;
            let hid = HomeId::parse(&home).map_err(|e| fail(format!("--home: {e}")))?;
            let home = store
                .home(&hid)
                .await?
                .with_context(|| format!("no home with id {hid}; see `akutlinje homes list`"))?;
            if !who.may_read_home(&home.id) {
                bail!(
                    "{} does not work at {}; staff can only open cases for their own home",
                    who.id,
                    home.id
                );
            }
            let hotline = crate::startup::hotline(store)?;
            let stdin = std::io::stdin();
            let case =
                crate::console::run(&hotline, &who, &home, lang, stdin.lock(), std::io::stdout())
                    .await?;
            eprintln!("case {case} is in the record");
            Ok(())
        }
        Command::Residents(ResidentsCommand::Import { file, format }) => {
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
        Command::Homes(HomesCommand::Add { id, name }) => {
            let store = crate::startup::open(&settings).await?;
            let id = HomeId::parse(&id).map_err(fail)?;
            if name.trim().is_empty() {
                bail!("--name must not be empty");
            }
            store
                .upsert_home(&Home {
                    id,
                    name: name.trim().into(),
                })
                .await?;
            Ok(())
        }
        Command::Homes(HomesCommand::List) => {
            let store = crate::startup::open(&settings).await?;
            let rooms = store.home_rooms(None).await?;
            for h in store.homes().await? {
                let mine: Vec<&str> = rooms
                    .iter()
                    .filter(|r| r.home == h.id)
                    .map(|r| r.room.as_str())
                    .collect();
                println!("{}\t{}\t{}", h.id, h.name, mine.join(" "));
            }
            Ok(())
        }
        Command::Homes(HomesCommand::Room { home, room }) => {
            let store = crate::startup::open(&settings).await?;
            let home = HomeId::parse(&home).map_err(|e| fail(format!("home: {e}")))?;
            let room = akutlinje_core::ids::MatrixRoomId::parse(&room)
                .map_err(|e| fail(format!("room: {e}")))?;
            if store.home(&home).await?.is_none() {
                bail!("no home with id {home}; see `akutlinje homes list`");
            }
            store
                .bind_room(&akutlinje_core::person::HomeRoom {
                    room: room.clone(),
                    home: home.clone(),
                    bound_by: None,
                    bound_at: Utc::now(),
                })
                .await?;
            tracing::info!(room = %room, home = %home, by = %os_user_detail(), "room bound");
            eprintln!("{room} is bound to {home}");
            Ok(())
        }
        Command::Homes(HomesCommand::Rooms { home }) => {
            let store = crate::startup::open(&settings).await?;
            let home = home
                .map(|h| HomeId::parse(&h))
                .transpose()
                .map_err(|e| fail(format!("home: {e}")))?;
            println!(
                "{}",
                serde_json::to_string_pretty(&store.home_rooms(home.as_ref()).await?)?
            );
            Ok(())
        }
        Command::Homes(HomesCommand::Unroom { room }) => {
            let store = crate::startup::open(&settings).await?;
            let room = akutlinje_core::ids::MatrixRoomId::parse(&room)
                .map_err(|e| fail(format!("room: {e}")))?;
            if !store.unbind_room(&room).await? {
                bail!("{room} is not bound to any home");
            }
            eprintln!("{room} is no longer bound");
            Ok(())
        }
        Command::People(PeopleCommand::Add {
            id,
            name,
            role,
            home,
            phone,
            matrix_user,
        }) => {
            let store = crate::startup::open(&settings).await?;
            let role = Role::parse(&role).with_context(|| {
                format!("--role: {role:?} must be staff, physician, coordinator or admin")
            })?;
            let home = home.map(|h| HomeId::parse(&h)).transpose().map_err(fail)?;
            if role == Role::Staff && home.is_none() {
                bail!("staff need --home");
            }
            store
                .upsert_person(&Person {
                    id: PersonId::parse(&id).map_err(fail)?,
                    name: Text::parse("--name", &name, 200).map_err(fail)?,
                    role,
                    home,
                    phone,
                    matrix_user,
                })
                .await?;
            Ok(())
        }
        Command::People(PeopleCommand::List) => {
            let store = crate::startup::open(&settings).await?;
            for p in store.people().await? {
                println!(
                    "{}\t{}\t{}",
                    p.id,
                    p.role,
                    p.home.as_ref().map(HomeId::as_str).unwrap_or("-")
                );
            }
            Ok(())
        }
        Command::People(PeopleCommand::Password { id }) => {
            let store = crate::startup::open(&settings).await?;
            let who = person(&store, &id).await?;
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("cannot read the password")?;
            let password = line.trim_end_matches(['\r', '\n']);
            if password.chars().count() < 10 {
                bail!("the password must be at least 10 characters");
            }
            let hash = crate::web::hash_password(password)?;
            store.set_password_hash(&who.id, &hash, Utc::now()).await?;
            eprintln!("password set for {}", who.id);
            Ok(())
        }
        Command::People(PeopleCommand::Pin { id }) => {
            let store = crate::startup::open(&settings).await?;
            let who = person(&store, &id).await?;
            let hash = crate::web::hash_password(&read_pin()?)?;
            store.set_person_pin(&who.id, &hash, Utc::now()).await?;
            eprintln!("phone PIN set for {}", who.id);
            Ok(())
        }
        Command::Homes(HomesCommand::Pin { home }) => {
            let store = crate::startup::open(&settings).await?;
            let home = HomeId::parse(&home).map_err(|e| fail(format!("home: {e}")))?;
            let hash = crate::web::hash_password(&read_pin()?)?;
            store
                .set_home_pin(&home, &hash, Utc::now())
                .await
                .map_err(|e| fail(format!("{e}; see `akutlinje homes list`")))?;
            eprintln!("phone PIN set for the staff of {home} without their own");
            Ok(())
        }
        Command::Tokens(TokensCommand::Issue { person: p }) => {
            let store = crate::startup::open(&settings).await?;
            let who = person(&store, &p).await?;
            let token = auth::new_token();
            store
                .add_token(&who.id, &auth::hash_token(&token), Utc::now())
                .await?;
            println!("{token}");
            eprintln!(
                "Shown once: only its hash is stored. Revoke with `akutlinje tokens revoke {}`.",
                who.id
            );
            Ok(())
        }
        Command::Tokens(TokensCommand::Revoke { person: p }) => {
            let store = crate::startup::open(&settings).await?;
            let who = person(&store, &p).await?;
            let n = store.revoke_tokens(&who.id, Utc::now()).await?;
            println!("{n} token(s) revoked");
            Ok(())
        }
        Command::Cases(CasesCommand::List { home, person: p }) => {
            let store = crate::startup::open(&settings).await?;
            let home = home.map(|h| HomeId::parse(&h)).transpose().map_err(fail)?;
            let os = os_user_detail();
            let cases = match p {
                Some(p) => {
                    let who = person(&store, &p).await?;
                    crate::startup::hotline(store)?
                        .list_cases(
                            &who,
                            home.as_ref(),
                            100,
                            Channel::Cli,
                            Some(&format!("case_list {os}")),
                            Utc::now(),
                        )
                        .await
                        .map_err(|e| match e {
                            ServiceError::NotAllowed => fail(format!(
                                "{} may not read {}",
                                who.id,
                                home.as_ref().map_or("every home", HomeId::as_str)
                            )),
                            other => fail(other),
                        })?
                }
                None => {
                    // The server's own operator, known only by the OS user.
                    let cases = store.cases(home.as_ref(), 100).await?;
                    for c in &cases {
                        if let Some(r) = &c.resident {
                            store
                                .log_access(
                                    &AccessEntry::new(
                                        Utc::now(),
                                        None,
                                        r.clone(),
                                        Some(c.id),
                                        AccessAction::Read,
                                        Channel::Cli,
                                    )
                                    .detail(format!("case_list {os}")),
                                )
                                .await?;
                        }
                    }
                    cases
                }
            };
            println!("{}", serde_json::to_string_pretty(&cases)?);
            Ok(())
        }
        Command::Calendar(CalendarCommand::Issue { person, service }) => {
            let store = crate::startup::open(&settings).await?;
            let feed = crate::calendar::feed_of(person, service)?;
            let path = crate::calendar::issue(&store, &feed).await?;
            println!("{path}");
            eprintln!("Shown once: prefix it with the service's public address, e.g. https://akutlinje.example{path}");
            Ok(())
        }
        Command::Calendar(CalendarCommand::Revoke { person, service }) => {
            let store = crate::startup::open(&settings).await?;
            let feed = crate::calendar::feed_of(person, service)?;
            let n = store.revoke_calendar_feeds(&feed, Utc::now()).await?;
            println!("{n} feed(s) revoked");
            Ok(())
        }
        Command::Oncall { service, at } => {
            let store = crate::startup::open(&settings).await?;
            let service =
                ServiceId::parse(&service).map_err(|e| fail(format!("--service: {e}")))?;
            let at = match at {
                Some(a) => parse_time("--at", &a)?,
                None => Utc::now(),
            };
            let v = crate::oncall::on_call(&store, &service, at)
                .await
                .map_err(fail)?;
            println!("{}", serde_json::to_string_pretty(&v)?);
            Ok(())
        }
        Command::Rotas(RotasCommand::Load { file }) => {
            let store = crate::startup::open(&settings).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let (loaded, removed) = crate::oncall::load_file(&store, &text).await?;
            println!(
                "{}",
                serde_json::json!({"rotations": loaded, "removed": removed})
            );
            Ok(())
        }
        Command::Rotas(RotasCommand::Gaps {
            service,
            days,
            from,
        }) => {
            let store = crate::startup::open(&settings).await?;
            let service =
                ServiceId::parse(&service).map_err(|e| fail(format!("--service: {e}")))?;
            let from = match from {
                Some(f) => parse_time("--from", &f)?,
                None => Utc::now(),
            };
            if days == 0 || days > 366 {
                bail!("--days must be 1–366");
            }
            let v = crate::oncall::gaps(&store, &service, from, days)
                .await
                .map_err(fail)?;
            println!("{}", serde_json::to_string_pretty(&v)?);
            Ok(())
        }
        Command::Rotas(RotasCommand::Override {
            service,
            tier,
            person: who,
            replaces,
            from,
            to,
        }) => {
            let store = crate::startup::open(&settings).await?;
            let service =
                ServiceId::parse(&service).map_err(|e| fail(format!("--service: {e}")))?;
            let svc = store
                .service(&service)
                .await?
                .with_context(|| format!("no service {service}"))?;
            let tier = TierId::parse(&tier).map_err(|e| fail(format!("--tier: {e}")))?;
            if !svc.tiers.contains(&tier) {
                bail!("--tier: {tier} is not a tier of {service}");
            }
            let who = person(&store, &who).await?;
            let replaces = match replaces {
                Some(r) => Some(person(&store, &r).await?.id),
                None => None,
            };
            let (from, to) = (parse_time("--from", &from)?, parse_time("--to", &to)?);
            if to <= from {
                bail!("--to must be after --from");
            }
            let id = store
                .add_override(&OverrideSpec {
                    id: 0,
                    service,
                    tier,
                    person: who.id,
                    replaces,
                    from,
                    to,
                })
                .await?;
            println!("{}", serde_json::json!({"override": id}));
            Ok(())
        }
        Command::Rotas(RotasCommand::RemoveOverride { id }) => {
            let store = crate::startup::open(&settings).await?;
            if !store.delete_override(id).await? {
                bail!("no override {id}");
            }
            Ok(())
        }
        Command::Rotas(RotasCommand::Swap {
            rotation,
            a,
            a_shift,
            b,
            b_shift,
        }) => {
            let store = crate::startup::open(&settings).await?;
            let rotation =
                RotationId::parse(&rotation).map_err(|e| fail(format!("--rotation: {e}")))?;
            let (a, b) = (person(&store, &a).await?.id, person(&store, &b).await?.id);
            let swap = SwapSpec {
                id: 0,
                rotation,
                a,
                a_shift: parse_time("--a-shift", &a_shift)?,
                b,
                b_shift: parse_time("--b-shift", &b_shift)?,
            };
            let id = store
                .add_swap(&swap)
                .await
                .map_err(|e| fail(format!("cannot store the swap: {e}")))?;
            println!("{}", serde_json::json!({"swap": id}));
            Ok(())
        }
        Command::Cases(CasesCommand::Show { id, person: p }) => {
            let store = crate::startup::open(&settings).await?;
            let who = person(&store, &p).await?;
            let case = CaseId::parse(&id).with_context(|| format!("{id:?} is not a case id"))?;
            let hotline = crate::startup::hotline(store)?;
            let (summary, events) = hotline
                .read_case(
                    case,
                    &who,
                    Channel::Cli,
                    Some(&os_user_detail()),
                    Utc::now(),
                )
                .await
                .map_err(|e| match e {
                    ServiceError::UnknownCase => fail(format!(
                        "no case {case} that {} may read (a refusal is access-logged)",
                        who.id
                    )),
                    other => fail(other),
                })?;
            println!(
                "{}",
                serde_json::to_string_pretty(
                    &serde_json::json!({"case": summary, "events": events})
                )?
            );
            Ok(())
        }
    }
}
