//! `rotas`, `oncall` and `calendar`: the on-call rota.

use std::path::PathBuf;

use akutlinje_core::ids::PersonId;
use akutlinje_core::rota::{OverrideSpec, RotationId, ServiceId, SwapSpec, TierId};
use akutlinje_scheduler::cover::{self, CoverError};
use anyhow::{bail, Context};
use chrono::Utc;
use clap::Subcommand;

use crate::config::Settings;

use super::{fail, parse_time, person};

#[derive(Subcommand, Debug)]
pub(super) enum RotasCommand {
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

#[derive(Subcommand, Debug)]
pub(super) enum CalendarCommand {
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

#[derive(clap::Args, Debug)]
pub(super) struct OncallArgs {
    /// The service (id), e.g. akutlaege.
    #[arg(long)]
    service: String,
    /// RFC 3339 (2026-11-23T03:00:00+01:00) or Copenhagen time (2026-11-23 03:00). Default: now.
    #[arg(long)]
    at: Option<String>,
}

pub(super) async fn run(cmd: RotasCommand, settings: Settings) -> anyhow::Result<()> {
    match cmd {
        RotasCommand::Load { file } => {
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
        RotasCommand::Gaps {
            service,
            days,
            from,
        } => {
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
        RotasCommand::Override {
            service,
            tier,
            person: who,
            replaces,
            from,
            to,
        } => {
            let store = crate::startup::open(&settings).await?;
            let service =
                ServiceId::parse(&service).map_err(|e| fail(format!("--service: {e}")))?;
            let tier = TierId::parse(&tier).map_err(|e| fail(format!("--tier: {e}")))?;
            let person = PersonId::parse(&who).map_err(|e| fail(format!("--person: {e}")))?;
            let replaces = replaces
                .map(|r| PersonId::parse(&r))
                .transpose()
                .map_err(|e| fail(format!("--replaces: {e}")))?;
            let (from, to) = (parse_time("--from", &from)?, parse_time("--to", &to)?);
            let spec = OverrideSpec {
                id: 0,
                service,
                tier,
                person,
                replaces,
                from,
                to,
            };
            let id = cover::add_override(store.as_ref(), store.as_ref(), &spec)
                .await
                .map_err(refused)?;
            println!("{}", serde_json::json!({"override": id}));
            Ok(())
        }
        RotasCommand::RemoveOverride { id } => {
            let store = crate::startup::open(&settings).await?;
            if !store.delete_override(id).await? {
                bail!("no override {id}");
            }
            Ok(())
        }
        RotasCommand::Swap {
            rotation,
            a,
            a_shift,
            b,
            b_shift,
        } => {
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
            let id = cover::add_swap(store.as_ref(), None, &swap)
                .await
                .map_err(refused)?;
            println!("{}", serde_json::json!({"swap": id}));
            Ok(())
        }
    }
}

pub(super) async fn calendar(cmd: CalendarCommand, settings: Settings) -> anyhow::Result<()> {
    match cmd {
        CalendarCommand::Issue { person, service } => {
            let store = crate::startup::open(&settings).await?;
            let feed = crate::calendar::feed_of(person, service)?;
            let path = crate::calendar::issue(&store, &feed).await?;
            println!("{path}");
            eprintln!("Shown once: prefix it with the service's public address, e.g. https://akutlinje.example{path}");
            Ok(())
        }
        CalendarCommand::Revoke { person, service } => {
            let store = crate::startup::open(&settings).await?;
            let feed = crate::calendar::feed_of(person, service)?;
            let n = store.revoke_calendar_feeds(&feed, Utc::now()).await?;
            println!("{n} feed(s) revoked");
            Ok(())
        }
    }
}

/// Prints who is on call.
pub(super) async fn oncall(args: OncallArgs, settings: Settings) -> anyhow::Result<()> {
    let OncallArgs { service, at } = args;
    let store = crate::startup::open(&settings).await?;
    let service = ServiceId::parse(&service).map_err(|e| fail(format!("--service: {e}")))?;
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

/// The scheduler's refusal in the command line's words (its options).
fn refused(e: CoverError) -> anyhow::Error {
    match e {
        CoverError::UnknownService(s) => fail(format!("no service {s}")),
        CoverError::UnknownTier { service, tier } => {
            fail(format!("--tier: {tier} is not a tier of {service}"))
        }
        CoverError::UnknownPerson(p) => {
            fail(format!("no person with id {p}; see `akutlinje people list`"))
        }
        CoverError::EndBeforeStart => fail("--to must be after --from"),
        CoverError::Overlap(tier) => fail(format!(
            "another override already covers {tier} in that time; remove it first (`akutlinje rotas remove-override ID`)"
        )),
        CoverError::UnknownRotation(r) => fail(format!("--rotation: no rotation {r}")),
        CoverError::NotTheirShift { person, start } => fail(format!(
            "{person} has no shift of that rotation starting at {} (Copenhagen)",
            akutlinje_scheduler::rota::local_naive(start).format("%Y-%m-%d %H:%M")
        )),
        other => fail(format!("cannot store the change: {other}")),
    }
}
