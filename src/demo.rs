//! Demo data: two nursing homes, a resident for every treatment level, and a
//! person for every role. Fictional names; no real person's data.

use std::sync::Arc;

use akutlinje_core::ids::{PersonId, Text};
use akutlinje_core::person::{Home, Person, Role};
use akutlinje_core::resident::{parse_import, ImportFormat};
use akutlinje_core::store::Store;
use anyhow::Context;
use chrono::Utc;

use crate::auth::{hash_token, new_token};

const RESIDENTS: &str = include_str!("../demo/residents.json");
const ROTA: &str = include_str!("../demo/rota.toml");
const ALTERNATIVES: &str = include_str!("../demo/alternatives.csv");

/// The demo people: (id, name, role, home).
const PEOPLE: [(&str, &str, Role, Option<&str>); 6] = [
    ("anna", "Anna Sørensen", Role::Staff, Some("solgaarden")),
    ("bo", "Bo Kristensen", Role::Staff, Some("birkely")),
    ("dr-lund", "Mette Lund", Role::Physician, None),
    ("dr-berg", "Jonas Berg", Role::Physician, None),
    ("karin", "Karin Holm", Role::Coordinator, None),
    ("admin", "Demo Admin", Role::Admin, None),
];

/// Seeds (or refreshes) the demo data and issues a fresh token per person,
/// revoking the previous demo tokens; the token is also the person's web
/// password. Returns (person, role, token).
pub async fn seed(store: &Arc<dyn Store>) -> anyhow::Result<Vec<(String, Role, String)>> {
    for (id, name) in [
        ("solgaarden", "Plejecenter Solgården"),
        ("birkely", "Plejecenter Birkely"),
    ] {
        store
            .upsert_home(&Home {
                id: id.parse()?,
                name: name.into(),
            })
            .await
            .context("demo homes")?;
    }
    let residents =
        parse_import(ImportFormat::Json, RESIDENTS).context("the demo residents file")?;
    store
        .import_residents(&residents, Utc::now())
        .await
        .context("demo residents")?;
    let mut tokens = Vec::new();
    for (id, name, role, home) in PEOPLE {
        let pid: PersonId = id.parse()?;
        // A phone number or Matrix id someone gave a demo person (to try
        // the bot or the phone line) survives the next `serve --demo`.
        let (phone, matrix_user) = match store.person(&pid).await.context("demo people")? {
            Some(p) => (p.phone, p.matrix_user),
            None => (None, None),
        };
        store
            .upsert_person(&Person {
                id: pid.clone(),
                name: Text::parse("name", name, 100)?,
                role,
                home: home.map(str::parse).transpose()?,
                phone,
                matrix_user,
            })
            .await
            .context("demo people")?;
        store.revoke_tokens(&pid, Utc::now()).await?;
        let token = new_token();
        store
            .add_token(&pid, &hash_token(&token), Utc::now())
            .await?;
        // The web password of a demo person is the same random token.
        let password = crate::web::hash_password(&token)?;
        store.set_password_hash(&pid, &password, Utc::now()).await?;
        tokens.push((id.to_string(), role, token));
    }
    crate::oncall::load_file(store, ROTA)
        .await
        .context("the demo rota")?;
    // The municipal alternatives, unless a coordinator has set a home's own.
    let alternatives = akutlinje_core::alternatives::parse_csv(ALTERNATIVES).map_err(|ps| {
        anyhow::anyhow!(
            "the demo alternatives: {}",
            ps.iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        )
    })?;
    let mut by_home: std::collections::BTreeMap<_, Vec<_>> = Default::default();
    for (h, a) in alternatives {
        by_home.entry(h).or_default().push(a);
    }
    for (h, list) in by_home {
        if store.alternatives(&h).await?.is_empty() {
            store.replace_alternatives(&h, &list).await?;
        }
    }
    Ok(tokens)
}
