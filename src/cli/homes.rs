//! `homes`: nursing homes, their Matrix rooms and their phone PIN.

use akutlinje_core::ids::HomeId;
use akutlinje_core::person::Home;
use anyhow::{bail, Context};
use chrono::Utc;
use clap::Subcommand;

use crate::config::Settings;

use super::{fail, os_user_detail};

#[derive(Subcommand, Debug)]
pub(super) enum HomesCommand {
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
    /// The municipal alternatives to admission (acute team, acute places):
    /// print a home's (or every home's) as CSV, or `--import FILE` (CSV with
    /// `home,kind,name,phone,hours,services`, or TOML `[[alternative]]`),
    /// which replaces the alternatives of every home the file names.
    Alternatives {
        /// The home (id); default every home.
        home: Option<String>,
        /// A CSV or TOML file to import (by its extension: .csv or .toml).
        #[arg(long)]
        import: Option<std::path::PathBuf>,
    },
}

pub(super) async fn run(cmd: HomesCommand, settings: Settings) -> anyhow::Result<()> {
    match cmd {
        HomesCommand::Add { id, name } => {
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
        HomesCommand::List => {
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
        HomesCommand::Room { home, room } => {
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
        HomesCommand::Alternatives { home, import } => {
            use akutlinje_core::alternatives::{parse_csv, parse_toml, to_csv};
            let store = crate::startup::open(&settings).await?;
            if let Some(path) = import {
                let src = std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                let parsed = match path.extension().and_then(|e| e.to_str()) {
                    Some("toml") => parse_toml(&src),
                    Some("csv") => parse_csv(&src),
                    _ => bail!("{}: give a .csv or .toml file", path.display()),
                };
                let rows = parsed.map_err(|problems| {
                    fail(
                        problems
                            .iter()
                            .map(|p| format!("{}: {p}", path.display()))
                            .collect::<Vec<_>>()
                            .join("\n"),
                    )
                })?;
                let mut by_home: std::collections::BTreeMap<HomeId, Vec<_>> = Default::default();
                for (h, a) in rows {
                    by_home.entry(h).or_default().push(a);
                }
                for h in by_home.keys() {
                    if store.home(h).await?.is_none() {
                        bail!("no home with id {h}; see `akutlinje homes list` (nothing imported)");
                    }
                }
                for (h, list) in &by_home {
                    store.replace_alternatives(h, list).await?;
                    eprintln!("{h}: {} alternatives", list.len());
                }
                return Ok(());
            }
            let homes = match home {
                Some(h) => vec![HomeId::parse(&h).map_err(|e| fail(format!("home: {e}")))?],
                None => store.homes().await?.into_iter().map(|h| h.id).collect(),
            };
            let mut first = true;
            for h in homes {
                let csv = to_csv(&h, &store.alternatives(&h).await?);
                // One header for all homes.
                let body = if first {
                    csv.as_str()
                } else {
                    csv.split_once('\n').map_or("", |x| x.1)
                };
                print!("{body}");
                first = false;
            }
            Ok(())
        }
        HomesCommand::Rooms { home } => {
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
        HomesCommand::Unroom { room } => {
            let store = crate::startup::open(&settings).await?;
            let room = akutlinje_core::ids::MatrixRoomId::parse(&room)
                .map_err(|e| fail(format!("room: {e}")))?;
            if !store.unbind_room(&room).await? {
                bail!("{room} is not bound to any home");
            }
            eprintln!("{room} is no longer bound");
            Ok(())
        }
        HomesCommand::Pin { home } => {
            let store = crate::startup::open(&settings).await?;
            let home = HomeId::parse(&home).map_err(|e| fail(format!("home: {e}")))?;
            let hash = crate::web::hash_password(&super::people::read_pin()?)?;
            store
                .set_home_pin(&home, &hash, Utc::now())
                .await
                .map_err(|e| fail(format!("{e}; see `akutlinje homes list`")))?;
            eprintln!("phone PIN set for the staff of {home} without their own");
            Ok(())
        }
    }
}
