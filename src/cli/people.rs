//! `people` and `tokens`: who uses the hotline, their passwords, PINs
//! and API tokens.

use akutlinje_core::ids::{HomeId, PersonId, Text};
use akutlinje_core::person::{Person, Role};
use anyhow::{bail, Context};
use chrono::Utc;
use clap::Subcommand;

use akutlinje_core::phone::PhoneNumber;

use crate::auth;
use crate::config::Settings;

use super::{fail, person};

#[derive(Subcommand, Debug)]
pub(super) enum PeopleCommand {
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
pub(super) enum TokensCommand {
    /// Issue a new API token for a person (printed once).
    Issue { person: String },
    /// Revoke every token of a person.
    Revoke { person: String },
}

/// A phone PIN from standard input: 4–8 digits, not all the same and not
/// a run like 1234 (the first guesses anyone tries).
pub(super) fn read_pin() -> anyhow::Result<String> {
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

pub(super) async fn run(cmd: PeopleCommand, settings: Settings) -> anyhow::Result<()> {
    match cmd {
        PeopleCommand::Add {
            id,
            name,
            role,
            home,
            phone,
            matrix_user,
        } => {
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
                    phone: phone
                        .map(|p| PhoneNumber::parse(&p))
                        .transpose()
                        .map_err(|e| fail(format!("--phone: {e}")))?,
                    matrix_user,
                })
                .await?;
            Ok(())
        }
        PeopleCommand::List => {
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
        PeopleCommand::Password { id } => {
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
        PeopleCommand::Pin { id } => {
            let store = crate::startup::open(&settings).await?;
            let who = person(&store, &id).await?;
            let hash = crate::web::hash_password(&read_pin()?)?;
            store.set_person_pin(&who.id, &hash, Utc::now()).await?;
            eprintln!("phone PIN set for {}", who.id);
            Ok(())
        }
    }
}

pub(super) async fn tokens(cmd: TokensCommand, settings: Settings) -> anyhow::Result<()> {
    match cmd {
        TokensCommand::Issue { person: p } => {
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
        TokensCommand::Revoke { person: p } => {
            let store = crate::startup::open(&settings).await?;
            let who = person(&store, &p).await?;
            let n = store.revoke_tokens(&who.id, Utc::now()).await?;
            println!("{n} token(s) revoked");
            Ok(())
        }
    }
}
