//! Throwaway databases for tests: a fresh SQLite file, or a fresh PostgreSQL
//! database on the server named by `AKUTLINJE_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), dropped when done.

use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

use crate::{PgStore, SqliteStore};

/// The admin URL tests create their databases through.
pub fn postgres_admin_url() -> String {
    std::env::var("AKUTLINJE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A SQLite store in a temporary directory, removed on drop.
pub struct TempSqlite {
    /// The store on it.
    pub store: SqliteStore,
    /// Its `sqlite://` URL, for the binary.
    pub url: String,
    _dir: tempfile::TempDir,
}

/// Creates a fresh SQLite database.
///
/// # Panics
/// If a temporary directory or the database cannot be created: a test
/// environment problem, reported loudly.
pub async fn sqlite() -> TempSqlite {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = SqliteStore::connect(&url).await.expect("SQLite database");
    TempSqlite {
        store,
        url,
        _dir: dir,
    }
}

/// A PostgreSQL database made for one test. Call [`TempPostgres::drop_db`] at
/// the end; a test that panics leaves it behind, named `akutlinje_test_*`.
pub struct TempPostgres {
    /// The store on it.
    pub store: PgStore,
    /// Its URL, for the binary.
    pub url: String,
    name: String,
}

/// Creates a fresh PostgreSQL database.
///
/// # Panics
/// If the server cannot be reached: the test suite needs one, and silently
/// skipping would hide that the PostgreSQL backend was never tested.
pub async fn postgres() -> TempPostgres {
    let admin = postgres_admin_url();
    let name = format!("akutlinje_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnectOptions::from_str(&admin)
        .expect("AKUTLINJE_TEST_POSTGRES_URL is a valid URL")
        .connect()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is not reachable at {admin}: {e}. Run `scripts/test.sh` (it starts a throwaway server) \
                 or set AKUTLINJE_TEST_POSTGRES_URL to a server where this user may CREATE DATABASE."
            )
        });
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("CREATE DATABASE");
    let _ = conn.close().await;
    let url = replace_db(&admin, &name);
    let store = PgStore::connect(&url)
        .await
        .expect("connect to the test database");
    TempPostgres { store, url, name }
}

fn replace_db(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let base = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    format!("{base}/{name}{query}")
}

impl TempPostgres {
    /// Closes the pool and drops the database.
    pub async fn drop_db(self) {
        self.store.pool().close().await;
        if let Ok(mut conn) = PgConnectOptions::from_str(&postgres_admin_url())
            .expect("valid URL")
            .connect()
            .await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .execute(&mut conn)
            .await;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            super::replace_db("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            super::replace_db("postgres://u@h:5432/postgres?sslmode=disable", "x"),
            "postgres://u@h:5432/x?sslmode=disable"
        );
    }
}
