//! The Matrix adapter of akutlinje: night staff write from Element, physicians
//! are paged and answer from Element, end-to-end encrypted.
//!
//! Built so far: the bot's connection — a passphrase-encrypted SQLite store and
//! a saved session, so a restart restores the same device and keys instead of
//! logging in again ([`connect`]) — and its sync loop with the invite policy
//! (only known people's invites are accepted, [`run`]). The conversation
//! (checklist, pages, replies) is the rest of issue 4. This crate holds no clinical logic: it will drive
//! `akutlinje_core::service::Hotline` and render its effects.
#![forbid(unsafe_code)]
#![recursion_limit = "256"]

use std::fmt;
use std::path::PathBuf;

pub mod conversation;
pub mod sender;

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

/// Runs the bot until `shutdown`: one initial sync (so old events are not
/// handled again), then handlers, then a loop of `sync_once` (faster than
/// `Client::sync`, which sleeps a second after quick responses). When the
/// homeserver is away it retries with capped backoff.
pub async fn run(
    client: Client,
    hotline: akutlinje_core::service::Hotline,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), BotError> {
    use matrix_sdk::config::SyncSettings;
    use std::time::Duration;
    tokio::pin!(shutdown);
    let mut backoff = Duration::from_millis(500);
    let first = loop {
        match client.sync_once(SyncSettings::default()).await {
            Ok(r) => break r,
            Err(e) => {
                tracing::warn!(error = %e, "first sync failed; retrying");
                tokio::select! { _ = &mut shutdown => return Ok(()), _ = tokio::time::sleep(backoff) => {} }
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
        }
    };
    let mut token = first.next_batch;
    client.add_event_handler_context(conversation::BotContext::new(hotline));
    client.add_event_handler(handlers::on_invite);
    client.add_event_handler(conversation::on_message);
    backoff = Duration::from_millis(500);
    loop {
        let settings = SyncSettings::default()
            .token(token.clone())
            .timeout(Duration::from_secs(10));
        tokio::select! {
            _ = &mut shutdown => return Ok(()),
            r = client.sync_once(settings) => match r {
                Ok(r) => {
                    token = r.next_batch;
                    backoff = Duration::from_millis(500);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "sync failed; retrying");
                    tokio::select! { _ = &mut shutdown => return Ok(()), _ = tokio::time::sleep(backoff) => {} }
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
        }
    }
}

mod handlers {
    use std::time::Duration;

    use matrix_sdk::event_handler::Ctx;
    use matrix_sdk::ruma::events::room::member::{MembershipState, StrippedRoomMemberEvent};
    use matrix_sdk::{Client, Room};

    /// Only known people may bring the bot into a room: their invites are
    /// accepted, everyone else's declined (and logged by user id).
    pub(crate) async fn on_invite(
        ev: StrippedRoomMemberEvent,
        room: Room,
        client: Client,
        Ctx(ctx): Ctx<crate::conversation::BotContext>,
    ) {
        let store = ctx.hotline.store().clone();
        if client.user_id() != Some(ev.state_key.as_ref())
            || ev.content.membership != MembershipState::Invite
        {
            return;
        }
        match store.person_by_matrix_user(ev.sender.as_str()).await {
            Ok(Some(person)) => {
                // Joining right after the invite can race the homeserver; retry a little.
                tokio::spawn(async move {
                    let mut wait = Duration::from_millis(200);
                    for _ in 0..8 {
                        match room.join().await {
                            Ok(()) => {
                                tracing::info!(person = %person.id, room = %room.room_id(), "invite accepted");
                                return;
                            }
                            Err(e) => {
                                tracing::warn!(room = %room.room_id(), error = %e, "join failed; retrying");
                                tokio::time::sleep(wait).await;
                                wait = (wait * 2).min(Duration::from_secs(10));
                            }
                        }
                    }
                });
            }
            Ok(None) => {
                tracing::warn!(sender = %ev.sender, room = %room.room_id(), "invite from an unknown user declined");
                if let Err(e) = room.leave().await {
                    tracing::warn!(room = %room.room_id(), error = %e, "declining the invite failed");
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot look up the inviter"),
        }
    }
}
