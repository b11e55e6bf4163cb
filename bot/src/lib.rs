//! The Matrix adapter of akutlinje: night staff write from Element, physicians
//! are paged and answer from Element, end-to-end encrypted.
//!
//! - [`connect`]: a passphrase-encrypted SQLite store and a saved session, so a
//!   restart restores the same device and keys instead of logging in again;
//!   on first log-in the bot cross-signs itself and writes its recovery key to
//!   a file outside the repository.
//! - [`run`]: the sync loop (reconnecting with backoff) with the handlers:
//!   invites (only known people's), staff case threads
//!   ([`conversation`]), physicians' direct messages ([`physician`]),
//!   reactions and voice notes.
//! - [`sender::MatrixSender`]: the outbox's Matrix channel for pages and notices.
//!
//! No clinical logic lives here: the bot drives `akutlinje_core::service::Hotline`
//! and renders its effects.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![recursion_limit = "256"]

use backon::BackoffBuilder;
use secrecy::{ExposeSecret, SecretString};
use std::path::PathBuf;

pub mod conversation;
pub mod physician;
pub mod sender;
pub mod trust;

pub use conversation::BotContext;

use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::Client;

/// Why the bot could not connect.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    /// The encrypted store cannot be opened (a wrong passphrase, rights).
    #[error("cannot open the bot's store in {dir}: {source}")]
    Store {
        /// The store directory.
        dir: String,
        /// Why.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The homeserver refused the first log-in.
    #[error("cannot log in as {user}: {source}")]
    Login {
        /// The bot's user.
        user: String,
        /// Why.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// `session.json` is unreadable or does not fit the store.
    #[error("the saved session in {path} cannot be used: {detail}")]
    Session {
        /// The session file.
        path: String,
        /// Why.
        detail: String,
    },
}

/// How the bot reaches its homeserver. Secrets come from the environment
/// and are redacted in `Debug`.
#[derive(Clone, Debug)]
pub struct BotConfig {
    /// The homeserver's URL.
    pub homeserver: String,
    /// The bot's user name (localpart or full id).
    pub user: String,
    /// Only used for the first log-in; afterwards the saved session is restored.
    pub password: SecretString,
    /// Holds the encrypted SQLite stores and `session.json`.
    pub store_dir: PathBuf,
    /// Encrypts the store (keys, room state).
    pub store_passphrase: SecretString,
    /// Where the recovery key is written when the bot first sets up its
    /// identity (default `recovery-key.txt` in the store directory). Keep it
    /// outside the repository; it restores the bot's cross-signing identity.
    pub recovery_key_file: Option<PathBuf>,
}

impl BotConfig {
    /// The recovery key's file.
    pub fn recovery_key_path(&self) -> PathBuf {
        self.recovery_key_file
            .clone()
            .unwrap_or_else(|| self.store_dir.join("recovery-key.txt"))
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
        .sqlite_store(&cfg.store_dir, Some(cfg.store_passphrase.expose_secret()))
        // Room keys only to devices their owner signed: a device nobody
        // vouched for (a stranger's, or a stolen log-in's) cannot decrypt.
        .with_room_key_recipient_strategy(matrix_sdk_crypto::CollectStrategy::IdentityBasedStrategy)
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
            .login_username(&cfg.user, cfg.password.expose_secret())
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
        // The first sync uploads the device and one-time keys; the events it
        // brings are history and are not handled.
        client
            .sync_once(matrix_sdk::config::SyncSettings::default())
            .await
            .map_err(|e| BotError::Login {
                user: cfg.user.clone(),
                source: Box::new(e),
            })?;
        if let Err(e) = set_up_identity(&client, cfg).await {
            // A bot that is not cross-signed still works; clients show it unverified.
            tracing::error!(error = %e, "cross-signing could not be set up");
        }
    }
    Ok(client)
}

/// Cross-signs the bot (its own device signed by its new identity) and
/// enables recovery: secret storage plus key backup, unlocked by a recovery
/// key written once to [`BotConfig::recovery_key_path`].
async fn set_up_identity(
    client: &Client,
    cfg: &BotConfig,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    use matrix_sdk::encryption::recovery::RecoveryState;
    use matrix_sdk::ruma::api::client::uiaa;
    let enc = client.encryption();
    if let Err(e) = enc.bootstrap_cross_signing_if_needed(None).await {
        let Some(info) = e.as_uiaa_response() else {
            return Err(Box::new(e));
        };
        // The homeserver wants the password once more.
        let mut password = uiaa::Password::new(
            uiaa::UserIdentifier::Matrix(uiaa::MatrixUserIdentifier::new(cfg.user.clone())),
            cfg.password.expose_secret().to_string(),
        );
        password.session = info.session.clone();
        enc.bootstrap_cross_signing(Some(uiaa::AuthData::Password(password)))
            .await?;
    }
    let path = cfg.recovery_key_path();
    if enc.recovery().state() != RecoveryState::Enabled && !path.exists() {
        let key = enc.recovery().enable().await?;
        write_private(&path, &format!("{key}\n"))?;
        tracing::warn!(path = %path.display(), "the bot's recovery key was written; keep it somewhere safe, outside the repository");
    }
    tracing::info!("the bot is cross-signed");
    Ok(())
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

/// Runs the bot until `shutdown`: handlers first, then a loop of `sync_once`
/// from the stored sync token (faster than `Client::sync`, which sleeps a
/// second after quick responses). Events that arrived while the bot was away
/// come with the first sync and are handled; redeliveries are recorded once.
/// When the homeserver is away it retries with capped backoff.
pub async fn run(
    client: Client,
    ctx: conversation::BotContext,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), BotError> {
    use matrix_sdk::config::SyncSettings;
    use std::time::Duration;
    tokio::pin!(shutdown);
    client.add_event_handler_context(ctx);
    client.add_event_handler(handlers::on_invite);
    client.add_event_handler(conversation::on_message);
    client.add_event_handler(conversation::on_reaction);
    // From 500 ms up to 30 s while the homeserver is away, from the start
    // again once it answers.
    let policy = backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(500))
        .with_max_delay(Duration::from_secs(30))
        .without_max_times();
    let mut backoff = policy.build();
    let mut failing = false;
    loop {
        let settings = SyncSettings::default().timeout(Duration::from_secs(10));
        tokio::select! {
            _ = &mut shutdown => return Ok(()),
            r = client.sync_once(settings) => match r {
                Ok(_) => {
                    metrics::gauge!("akutlinje_matrix_last_sync_timestamp_seconds")
                        .set(chrono::Utc::now().timestamp_millis() as f64 / 1000.0);
                    if failing {
                        tracing::info!("the homeserver answers again");
                        failing = false;
                    }
                    backoff = policy.build();
                }
                Err(e) => {
                    let wait = backoff.next().unwrap_or(Duration::from_secs(30));
                    tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "sync failed; retrying");
                    failing = true;
                    tokio::select! { _ = &mut shutdown => return Ok(()), _ = tokio::time::sleep(wait) => {} }
                }
            }
        }
    }
}

mod handlers {
    use std::time::Duration;

    use akutlinje_core::person::Role;
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
        if client.user_id() != Some(ev.state_key.as_ref())
            || ev.content.membership != MembershipState::Invite
        {
            return;
        }
        match ctx
            .db
            .people
            .person_by_matrix_user(ev.sender.as_str())
            .await
        {
            Ok(Some(person)) => {
                // Joining right after the invite can race the homeserver; retry a little.
                tokio::spawn(async move {
                    let mut wait = Duration::from_millis(200);
                    for _ in 0..8 {
                        match room.join().await {
                            Ok(()) => {
                                tracing::info!(person = %person.id, room = %room.room_id(), "invite accepted");
                                // Tell them what to do — and that the bot is ready,
                                // so the first message can be decrypted. A room
                                // not bound to a home carries no case: say so.
                                let bound = ctx
                                    .db
                                    .people
                                    .home_of_room(room.room_id().as_str())
                                    .await
                                    .ok()
                                    .flatten()
                                    .is_some();
                                let direct =
                                    crate::trust::is_direct_with(&ctx, &client, &room, &person)
                                        .await;
                                let text = match person.role {
                                    Role::Physician if direct => ctx.text("bot-greeting-physician"),
                                    Role::Staff if bound => ctx.text("bot-greeting-staff"),
                                    _ if bound => ctx.text("bot-greeting-other"),
                                    _ => ctx.render(
                                        &akutlinje_core::i18n::Msg::new("bot-room-unbound")
                                            .arg("room", room.room_id().as_str()),
                                    ),
                                };
                                crate::conversation::send_text(&room, text).await;
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
