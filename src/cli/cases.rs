//! Cases and who read them: `console`, `cases`, `access-log`.

use akutlinje_core::i18n::Lang;
use akutlinje_core::ids::{CaseId, HomeId};
use akutlinje_core::record::{AccessAction, AccessEntry, Channel};
use akutlinje_core::service::ServiceError;
use anyhow::{bail, Context};
use chrono::Utc;
use clap::Subcommand;

use crate::config::Settings;

use super::{fail, os_user_detail, parse_time, person};

#[derive(Subcommand, Debug)]
pub(super) enum CasesCommand {
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
    /// Show one case's record (the read is written to the access log).
    Show {
        id: String,
        /// Who is reading (person id).
        #[arg(long = "as")]
        person: String,
        /// json (the record as stored) or text (each event as a sentence).
        #[arg(long, default_value = "json")]
        format: String,
        /// The language of the text: da or en (default: the configured one).
        #[arg(long)]
        lang: Option<String>,
    },
    /// Export one case for another record system (the read is written to the
    /// access log): `--format fhir` prints a FHIR R4 Bundle (JSON).
    Export {
        id: String,
        /// Who is reading (person id).
        #[arg(long = "as")]
        person: String,
        /// fhir (a FHIR R4 Bundle; docs/fhir.md).
        #[arg(long, default_value = "fhir")]
        format: String,
        /// The language of the texts in it: da or en (default: the configured one).
        #[arg(long)]
        lang: Option<String>,
    },
}

#[derive(clap::Args, Debug)]
pub(super) struct ConsoleArgs {
    /// The nursing home (id), e.g. solgaarden.
    #[arg(long)]
    home: String,
    /// Who is calling (person id), e.g. anna.
    #[arg(long = "as")]
    person: String,
    /// Language: da or en.
    #[arg(long)]
    lang: Option<String>,
}

#[derive(clap::Args, Debug)]
pub(super) struct AccessLogArgs {
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
    #[arg(long, value_enum, default_value_t)]
    format: crate::access::ReportFormat,
}

pub(super) async fn run(cmd: CasesCommand, settings: Settings) -> anyhow::Result<()> {
    match cmd {
        CasesCommand::List { home, person: p } => {
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
        CasesCommand::Export {
            id,
            person: p,
            format,
            lang,
        } => {
            if format != "fhir" {
                bail!("--format: {format:?} must be fhir");
            }
            let lang = match lang {
                Some(l) => {
                    Lang::parse(&l).with_context(|| format!("--lang: {l:?} must be da or en"))?
                }
                None => settings.language,
            };
            let store = crate::startup::open(&settings).await?;
            let who = person(&store, &p).await?;
            let case = CaseId::parse(&id).with_context(|| format!("{id:?} is not a case id"))?;
            let hotline = crate::startup::hotline(store.clone())?;
            let detail = format!("fhir {}", os_user_detail());
            let bundle = hotline
                .fhir_bundle(case, &who, Channel::Cli, Some(&detail), lang, Utc::now())
                .await
                .map_err(|e| match e {
                    ServiceError::UnknownCase => fail(format!(
                        "no case {case} that {} may read (a refusal is access-logged)",
                        who.id
                    )),
                    other => fail(other),
                })?;
            println!("{}", serde_json::to_string_pretty(&bundle)?);
            Ok(())
        }
        CasesCommand::Show {
            id,
            person: p,
            format,
            lang,
        } => {
            let text = match format.as_str() {
                "json" => false,
                "text" => true,
                other => bail!("--format: {other:?} must be json or text"),
            };
            let lang = match lang {
                Some(l) => {
                    Lang::parse(&l).with_context(|| format!("--lang: {l:?} must be da or en"))?
                }
                None => settings.language,
            };
            let store = crate::startup::open(&settings).await?;
            let who = person(&store, &p).await?;
            let case = CaseId::parse(&id).with_context(|| format!("{id:?} is not a case id"))?;
            let hotline = crate::startup::hotline(store.clone())?;
            let refused = |e: ServiceError| match e {
                ServiceError::UnknownCase => fail(format!(
                    "no case {case} that {} may read (a refusal is access-logged)",
                    who.id
                )),
                other => fail(other),
            };
            if text {
                let words = hotline
                    .record_in_words(
                        case,
                        &who,
                        Channel::Cli,
                        Some(&os_user_detail()),
                        lang,
                        Utc::now(),
                    )
                    .await
                    .map_err(refused)?;
                print!("{words}");
                return Ok(());
            }
            let (summary, events) = hotline
                .read_case(
                    case,
                    &who,
                    Channel::Cli,
                    Some(&os_user_detail()),
                    Utc::now(),
                )
                .await
                .map_err(refused)?;
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

/// Runs a case at the keyboard.
pub(super) async fn console(args: ConsoleArgs, settings: Settings) -> anyhow::Result<()> {
    let ConsoleArgs {
        home,
        person: who,
        lang,
    } = args;
    let store = crate::startup::open(&settings).await?;
    let lang = match lang {
        Some(l) => Lang::parse(&l).with_context(|| format!("--lang: {l:?} must be da or en"))?,
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
        crate::console::run(&hotline, &who, &home, lang, stdin.lock(), std::io::stdout()).await?;
    eprintln!("case {case} is in the record");
    Ok(())
}

/// Prints who read a resident's record.
pub(super) async fn access_log(args: AccessLogArgs, settings: Settings) -> anyhow::Result<()> {
    let AccessLogArgs {
        resident,
        from,
        to,
        format,
    } = args;
    let resident = akutlinje_core::ids::ResidentId::parse(&resident)
        .map_err(|e| fail(format!("--resident: {e}")))?;
    let from = from.map(|f| parse_time("--from", &f)).transpose()?;
    let to = to.map(|t| parse_time("--to", &t)).transpose()?;
    let store = crate::startup::open(&settings).await?;
    let lines = crate::access::report(&store, &resident, from, to)
        .await
        .map_err(fail)?;
    if format == crate::access::ReportFormat::Csv {
        print!("{}", crate::access::to_csv(&lines)?);
    } else {
        println!("{}", serde_json::to_string_pretty(&lines)?);
    }
    eprintln!("{} entries", lines.len());
    Ok(())
}
