//! The Matrix adapter of akutlinje: night staff write from Element, physicians
//! are paged and answer from Element, end-to-end encrypted.
//!
//! Built so far: the bot's connection — a passphrase-encrypted SQLite store and
//! a saved session, so a restart restores the same device and keys instead of
//! logging in again ([`connect`]). The conversation (checklist, pages, replies)
//! is the rest of issue 4. This crate holds no clinical logic: it will drive
//! `akutlinje_core::service::Hotline` and render its effects.
#![forbid(unsafe_code)]
#![recursion_limit = "256"]

use std::fmt;
use std::path::PathBuf;

use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::Client;

/// Why the bot could not connect.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error("cannot open the bot's store in {dir}: {source}")]
    Store {
        dir: String,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("cannot log in as {user}: {source}")]
    Login {
        user: String,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("the saved session in {path} cannot be used: {detail}")]
    Session { path: String, detail: String },
}

/// How the bot reaches its homeserver. Secrets come from the environment.
#[derive(Clone)]
pub struct BotConfig {
    pub homeserver: String,
    /// The bot's user name (localpart or full id).
    pub user: String,
    /// Only used for the first log-in; afterwards the saved session is restored.
    pub password: String,
    /// Holds the encrypted SQLite stores and `session.json`.
    pub store_dir: PathBuf,
    /// Encrypts the store (keys, room state).
    pub store_passphrase: String,
}

impl fmt::Debug for BotConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BotConfig")
            .field("homeserver", &self.homeserver)
            .field("user", &self.user)
            .field("store_dir", &self.store_dir)
            .finish_non_exhaustive()
    }
}

/// Connects the bot: restores the saved session (same device, same keys) or,
/// the first time, logs in and saves the session next to the store.
pub async fn connect(cfg: &BotConfig) -> Result<Client, BotError> {
    let dir = cfg.store_dir.display().to_string();
    std::fs::create_dir_all(&cfg.store_dir).map_err(|e| BotError::Store {
        dir: dir.clone(),
        source: Box::new(e),
    })?;
    let client = Client::builder()
        .homeserver_url(&cfg.homeserver)
        .sqlite_store(&cfg.store_dir, Some(&cfg.store_passphrase))
        .build()
        .await
        .map_err(|e| BotError::Store {
            dir: dir.clone(),
            source: Box::new(e),
        })?;
    let session_path = cfg.store_dir.join("session.json");
    if session_path.exists() {
        let text = std::fs::read_to_string(&session_path).map_err(|e| BotError::Session {
            path: session_path.display().to_string(),
            detail: e.to_string(),
        })?;
        let session: MatrixSession =
            serde_json::from_str(&text).map_err(|e| BotError::Session {
                path: session_path.display().to_string(),
                detail: e.to_string(),
            })?;
        client
            .restore_session(session)
            .await
            .map_err(|e| BotError::Session {
                path: session_path.display().to_string(),
                detail: e.to_string(),
            })?;
        tracing::info!(device = ?client.device_id(), "bot session restored");
    } else {
        client
            .matrix_auth()
            .login_username(&cfg.user, &cfg.password)
            .initial_device_display_name("akutlinje")
            .await
            .map_err(|e| BotError::Login {
                user: cfg.user.clone(),
                source: Box::new(e),
            })?;
        let session = client
            .matrix_auth()
            .session()
            .ok_or_else(|| BotError::Session {
                path: session_path.display().to_string(),
                detail: "no session after log-in".into(),
            })?;
        let json = serde_json::to_string(&session).map_err(|e| BotError::Session {
            path: session_path.display().to_string(),
            detail: e.to_string(),
        })?;
        write_private(&session_path, &json).map_err(|e| BotError::Session {
            path: session_path.display().to_string(),
            detail: e.to_string(),
        })?;
        tracing::info!(device = ?client.device_id(), "bot logged in; session saved");
    }
    Ok(client)
}

/// Writes a file only its owner can read (it holds the access token).
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let mut f = opts.open(path)?;
    f.write_all(text.as_bytes())
}
