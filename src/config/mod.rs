//! Typed settings: defaults, then a TOML file, then `AKUTLINJE_*` environment
//! variables. Parsed once at start-up so a bad setting fails at once, with a
//! message naming it, not at 3 a.m.

use secrecy::SecretString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use akutlinje_core::i18n::Lang;
use anyhow::{bail, Context};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

mod parts;
mod raw;

pub use parts::{
    default_model_path, MatrixSettings, SipSettings, TwilioSettings, VoiceSettings, DEFAULT_MODEL,
};
use parts::{matrix_settings, sip_settings, twilio_settings, voice_settings};
pub use raw::MIN_SECRET_CHARS;
use raw::{read_raw, secret_env, Raw};

/// The settings the program runs with.
#[derive(Clone)]
pub struct Settings {
    /// Database URL. May hold a password: never printed (see `database_display`).
    pub database_url: String,
    /// The schema owner's URL (`AKUTLINJE_DATABASE_OWNER_URL`, environment
    /// only): migrations run with it, the service then connects as
    /// `database_url`'s role, which needs no DDL rights.
    pub database_owner_url: Option<String>,
    /// Whether `database_url`'s role applies migrations at start.
    pub migrate_at_start: bool,
    /// The address the HTTP server listens on.
    pub bind: SocketAddr,
    /// The service's public URL, if configured.
    pub public_url: Option<String>,
    /// Video rooms per case, if configured (`video_url`).
    pub video: Option<akutlinje_core::video::VideoConfig>,
    /// Proxies whose X-Forwarded-For is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The language of texts when a person has chosen none.
    pub language: Lang,
    /// The log filter (`tracing` EnvFilter syntax).
    pub log: String,
    /// Logs as JSON lines.
    pub log_json: bool,
    /// The service whose rota is paged.
    pub paging_service: akutlinje_core::rota::ServiceId,
    /// Escalation policies (TOML); default: the table in docs/design.md § Urgency.
    pub policies: Option<PathBuf>,
    /// The Matrix bot, if configured.
    pub matrix: Option<MatrixSettings>,
    /// Twilio, if configured.
    pub twilio: Option<TwilioSettings>,
    /// The SIP bridge, if configured.
    pub sip: Option<SipSettings>,
    /// Speech recognition of voice notes.
    pub voice: VoiceSettings,
    /// The settings as read, every key by its name (for `akutlinje config`).
    raw: Raw,
    /// The embedded database in its old place next to the binary.
    legacy_database: Option<PathBuf>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database", &self.database_display())
            .field("bind", &self.bind)
            .field("language", &self.language)
            .finish()
    }
}

impl Settings {
    /// The web's security settings: Secure cookies behind https, the
    /// trusted proxies, the log-in limits for this machine.
    pub fn web_settings(&self) -> crate::login::WebSettings {
        crate::login::WebSettings {
            secure_cookies: self
                .public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://")),
            trusted_proxies: self.trusted_proxies.clone(),
            ..Default::default()
        }
    }

    /// Every setting by its key, as in the configuration file, with the
    /// database password redacted; secrets from the environment are not
    /// shown. What `akutlinje config` prints.
    pub fn describe(&self) -> serde_json::Value {
        serde_json::to_value(&self.raw).unwrap_or_default()
    }

    /// The database URL without any password, for messages.
    pub fn database_display(&self) -> String {
        redact_password(&self.database_url)
    }

    /// Loads settings from `file` (if given, it must exist; else
    /// `akutlinje.toml` in the working directory if present) and the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        let raw = read_raw(file)?;
        let raw_copy = raw.clone();
        let bind = raw.bind.parse().with_context(|| {
            format!("bind: {:?} is not an address like 127.0.0.1:8080", raw.bind)
        })?;
        let public_url = match raw.public_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(u) if u.starts_with("https://") || u.starts_with("http://") => {
                Some(u.trim_end_matches('/').to_string())
            }
            Some(u) => bail!("public_url: {u:?} must start with https:// or http://"),
        };
        let video = match raw.video_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(t) => {
                let base = public_url.as_deref().with_context(|| {
                    "video_url needs public_url: the personal video links point at this service"
                })?;
                Some(
                    akutlinje_core::video::VideoConfig::new(t, base)
                        .map_err(|e| anyhow::anyhow!("video_url: {e}"))?,
                )
            }
        };
        let trusted_proxies = raw
            .trusted_proxies
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse::<std::net::IpAddr>()
                    .with_context(|| format!("trusted_proxies: {p:?} is not an IP address"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let language = Lang::parse(&raw.language)
            .with_context(|| format!("language: {:?} must be da or en", raw.language))?;
        let mut legacy_database = None;
        let database_url = match raw.database_url.clone() {
            Some(u)
                if u.starts_with("sqlite:")
                    || u.starts_with("postgres:")
                    || u.starts_with("postgresql:") =>
            {
                u
            }
            Some(u) => bail!(
                "database_url: {:?} must start with sqlite: or postgres:",
                redact_password(&u)
            ),
            None => {
                let path = data_dir()?.join("akutlinje.db");
                let legacy = beside_the_program("akutlinje.db").filter(|old| old != &path);
                legacy_database = legacy.filter(|old| old.exists() && !path.exists());
                format!("sqlite://{}", path.display())
            }
        };
        let database_owner_url = match std::env::var("AKUTLINJE_DATABASE_OWNER_URL") {
            Ok(u) if u.starts_with("postgres:") || u.starts_with("postgresql:") => Some(u),
            Ok(u) if u.trim().is_empty() => None,
            Ok(u) => bail!(
                "AKUTLINJE_DATABASE_OWNER_URL: {:?} must be a postgres: URL",
                redact_password(&u)
            ),
            Err(_) => None,
        };
        let migrate_at_start = match raw.database_migrations.trim() {
            "run" => database_owner_url.is_none(),
            "check" => false,
            other => bail!("database_migrations: {other:?} must be run or check"),
        };
        tracing_subscriber::EnvFilter::try_new(&raw.log)
            .with_context(|| format!("log: {:?} is not a valid filter", raw.log))?;
        let paging_service = akutlinje_core::rota::ServiceId::parse(&raw.paging_service)
            .map_err(|e| anyhow::anyhow!("paging_service: {e}"))?;
        if let Some(p) = &raw.policies {
            if !p.exists() {
                bail!("policies: {} does not exist", p.display());
            }
        }
        let matrix = matrix_settings(&raw)?;
        let twilio = twilio_settings(&raw, public_url.as_deref())?;
        let sip = sip_settings(&raw)?;
        let voice = voice_settings(&raw)?;
        let mut described = raw_copy;
        described.database_url = Some(redact_password(&database_url));
        Ok(Settings {
            raw: described,
            voice,
            twilio,
            sip,
            database_url,
            database_owner_url,
            migrate_at_start,
            bind,
            public_url,
            video,
            trusted_proxies,
            language,
            log: raw.log,
            log_json: raw.log_json,
            paging_service,
            policies: raw.policies,
            matrix,
            legacy_database,
        })
    }

    /// Where the embedded database used to live when it is still there and
    /// the data directory has none: `open` moves it (or, if it cannot, uses
    /// it where it is), saying so.
    pub fn legacy_database(&self) -> Option<&Path> {
        self.legacy_database.as_deref()
    }
}

/// Where the embedded database (and the Matrix store) live unless
/// configured: `$XDG_DATA_HOME/akutlinje` when XDG_DATA_HOME is set, else
/// the working directory — never next to the binary, where `cargo clean` or
/// a package upgrade would delete every case.
pub fn data_dir() -> anyhow::Result<PathBuf> {
    match std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        Some(x) => {
            let x = PathBuf::from(x);
            if !x.is_absolute() {
                bail!("XDG_DATA_HOME must be an absolute path");
            }
            Ok(x.join("akutlinje"))
        }
        None => std::env::current_dir().context("cannot read the working directory"),
    }
}

/// A file next to the program (the old default place).
fn beside_the_program(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.join(name))
}

/// The URL with every password replaced by `***`: in the user info
/// (`user:pw@host`, even when the password holds `@` or `/`) and in query
/// parameters (`?password=`, `sslpassword=`), so no form of a database URL
/// reaches a message or a log with its secret.
pub fn redact_password(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let base = match base.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((userinfo, host)) => match userinfo.split_once(':') {
                Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
                None => base.to_string(),
            },
            None => base.to_string(),
        },
        None => base.to_string(),
    };
    match query {
        None => base,
        Some(q) => {
            let parts: Vec<String> = q
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if k.to_ascii_lowercase().contains("password") => {
                        format!("{k}=***")
                    }
                    _ => kv.to_string(),
                })
                .collect();
            format!("{base}?{}", parts.join("&"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug() {
        let creds = akutlinje_telephony::rest::Credentials {
            base_url: "https://api.twilio.com".into(),
            account_sid: "AC0123".into(),
            auth_token: "secret-auth-token-0123456789abcdef".into(),
        };
        let bot = akutlinje_bot::BotConfig {
            homeserver: "http://127.0.0.1:8008".into(),
            user: "akutlinje".into(),
            password: "secret-bot-password".into(),
            store_dir: "/var/lib/akutlinje/matrix".into(),
            store_passphrase: "secret-store-passphrase".into(),
            recovery_key_file: None,
        };
        for shown in [format!("{creds:?}"), format!("{bot:?}")] {
            assert!(!shown.contains("secret-"), "{shown}");
            assert!(shown.contains("REDACTED"), "{shown}");
        }
        assert!(format!("{creds:?}").contains("AC0123"));
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_password("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_password("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_password("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
        assert_eq!(
            redact_password("postgres://u@h/db?sslmode=require&password=secret"),
            "postgres://u@h/db?sslmode=require&password=***"
        );
        assert_eq!(
            redact_password("postgresql:///db?host=/run/pg&PASSWORD=s&sslpassword=k"),
            "postgresql:///db?host=/run/pg&PASSWORD=***&sslpassword=***"
        );
        assert_eq!(
            redact_password("postgres://u:p@ss/w@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        for url in [
            "postgres://u:secret@h/db",
            "postgres://u@h/db?password=secret",
            "postgres://u:secret@h/db?password=secret&application_name=x",
        ] {
            assert!(!redact_password(url).contains("secret"), "{url}");
        }
    }
}
