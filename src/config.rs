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

/// Settings as written in the file or environment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    /// `sqlite://path` or `postgres://...`. With a password: environment only.
    database_url: Option<String>,
    /// `run`: apply pending migrations at start; `check`: only check the
    /// schema is current (a runtime role without DDL rights; migrations run
    /// separately with `akutlinje db migrate` as the owner).
    database_migrations: String,
    /// Address the HTTP API listens on.
    bind: String,
    /// The URL people (and Twilio) reach this service at; https makes the
    /// session cookie Secure.
    public_url: Option<String>,
    /// Reverse proxies (comma-separated IP addresses) whose X-Forwarded-For
    /// names the client, for the log-in page's per-source limits.
    trusted_proxies: Option<String>,
    /// Default language: da or en.
    language: String,
    /// Log filter (tracing EnvFilter syntax), e.g. "info" or "akutlinje=debug".
    log: String,
    /// Log as JSON lines (for a log collector) instead of text.
    log_json: bool,
    /// The on-call service whose rota pages are sent through.
    paging_service: String,
    /// Escalation policies (TOML); default: the table in docs/design.md § Urgency.
    policies: Option<PathBuf>,
    /// The Matrix homeserver of the bot; unset: no bot.
    matrix_homeserver: Option<String>,
    /// The bot's user name.
    matrix_user: String,
    /// Where the bot keeps its encrypted store and session.
    matrix_store_dir: Option<PathBuf>,
    /// Where the bot writes its recovery key on first set-up.
    matrix_recovery_key_file: Option<PathBuf>,
    /// The Twilio account (`AC…`); unset: no phone hotline, no SMS or voice pages.
    twilio_account_sid: Option<String>,
    /// The hotline's Twilio number (E.164).
    twilio_from: Option<String>,
    /// The URL Twilio reaches this service at (behind a proxy: the proxy's).
    twilio_public_url: Option<String>,
    /// Twilio's REST API.
    twilio_api_base: String,
    /// The voice that speaks (Twilio `voice`).
    twilio_voice: String,
    /// Music while a caller waits for the physician (a URL Twilio can fetch).
    twilio_hold_music: Option<String>,
    /// `required` (default): staff key a PIN before any resident data is
    /// spoken on the phone; `off`: caller id alone (not recommended).
    phone_pin: String,
    /// How Twilio signs webhooks: hmac-sha1 (the auth token) or hmac-sha256.
    /// Only this algorithm is accepted, whatever a request names.
    twilio_signature: String,
    /// The Whisper model (ggml); default: what scripts/fetch-model caches.
    voice_model: Option<PathBuf>,
    /// The language voice notes are in (ISO 639-1).
    voice_language: String,
    /// Transcriptions at once; default: one per two cores.
    voice_workers: Option<usize>,
    /// Threads per transcription; default: the cores shared out among workers.
    voice_threads: Option<usize>,
    /// Longer recordings are refused (seconds).
    voice_max_seconds: u64,
    /// How long a worker's claim on a note holds without renewal (seconds).
    voice_lease_seconds: u64,
    /// Encode short notes in a fitted window instead of 30 seconds.
    voice_fit_short_clips: bool,
    /// Flash attention in whisper.cpp.
    voice_flash_attn: bool,
}

/// Keys whose values are booleans or numbers: the environment provider
/// parses them.
const TYPED_KEYS: &[&str] = &[
    "log_json",
    "voice_workers",
    "voice_threads",
    "voice_max_seconds",
    "voice_lease_seconds",
    "voice_fit_short_clips",
    "voice_flash_attn",
];

/// Keys whose values are text. figment's environment provider would read
/// `+4570100100` as a number (and `"da"` with its quotes): these are taken
/// verbatim instead.
const STRING_KEYS: &[&str] = &[
    "database_url",
    "database_migrations",
    "bind",
    "public_url",
    "trusted_proxies",
    "language",
    "log",
    "paging_service",
    "policies",
    "matrix_homeserver",
    "matrix_user",
    "matrix_store_dir",
    "matrix_recovery_key_file",
    "twilio_account_sid",
    "twilio_from",
    "twilio_public_url",
    "twilio_api_base",
    "twilio_voice",
    "twilio_hold_music",
    "twilio_signature",
    "phone_pin",
    "voice_model",
    "voice_language",
];

/// `AKUTLINJE_<KEY>` for every text key that is set, verbatim.
fn string_env() -> std::collections::BTreeMap<String, String> {
    STRING_KEYS
        .iter()
        .filter_map(|k| {
            let v = std::env::var(format!("AKUTLINJE_{}", k.to_ascii_uppercase())).ok()?;
            Some((k.to_string(), v))
        })
        .collect()
}

/// The shortest secret accepted for signing and verifying webhooks (a
/// Twilio auth token is 32 characters).
pub const MIN_SECRET_CHARS: usize = 32;

/// A secret from the environment: unset is `None`; set but empty or short
/// is refused, so a typo cannot leave webhooks verified with a guessable key.
fn secret_env(name: &str) -> anyhow::Result<Option<String>> {
    match std::env::var(name) {
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => bail!("{name} is not valid UTF-8"),
        Ok(v) => {
            let v = v.trim().to_string();
            if v.is_empty() {
                bail!("{name} is set but empty");
            }
            if v.chars().count() < MIN_SECRET_CHARS {
                bail!(
                    "{name} is {} characters; at least {MIN_SECRET_CHARS} are needed \
                     (Twilio's auth token is 32)",
                    v.chars().count()
                );
            }
            Ok(Some(v))
        }
    }
}

impl Default for Raw {
    fn default() -> Self {
        Raw {
            database_url: None,
            database_migrations: "run".into(),
            bind: "127.0.0.1:8080".into(),
            public_url: None,
            trusted_proxies: None,
            language: "da".into(),
            log: "info".into(),
            log_json: false,
            paging_service: "akutlaege".into(),
            policies: None,
            matrix_homeserver: None,
            matrix_user: "akutlinje".into(),
            matrix_store_dir: None,
            matrix_recovery_key_file: None,
            twilio_account_sid: None,
            twilio_from: None,
            twilio_public_url: None,
            twilio_api_base: "https://api.twilio.com".into(),
            twilio_voice: "Polly.Naja".into(),
            twilio_hold_music: None,
            twilio_signature: "hmac-sha1".into(),
            phone_pin: "required".into(),
            voice_model: None,
            voice_language: "da".into(),
            voice_workers: None,
            voice_threads: None,
            voice_max_seconds: 300,
            voice_lease_seconds: 120,
            voice_fit_short_clips: true,
            voice_flash_attn: false,
        }
    }
}

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
    /// Speech recognition of voice notes.
    pub voice: VoiceSettings,
    /// The settings as read, every key by its name (for `akutlinje config`).
    raw: Raw,
    /// The embedded database in its old place next to the binary.
    legacy_database: Option<PathBuf>,
}

/// Speech recognition settings.
#[derive(Debug, Clone)]
pub struct VoiceSettings {
    /// The ggml model file. May not exist (yet): notes then wait in the queue.
    pub model: PathBuf,
    /// The language spoken (ISO 639-1).
    pub language: String,
    /// How many transcriptions run at once.
    pub workers: usize,
    /// Threads per transcription.
    pub threads: usize,
    /// The longest recording transcribed.
    pub max_duration: std::time::Duration,
    /// How long a worker holds a claimed note before another may take it.
    pub lease: std::time::Duration,
    /// Encode only as much of Whisper's window as a clip fills.
    pub fit_short_clips: bool,
    /// Flash attention in whisper.cpp.
    pub flash_attn: bool,
}

impl VoiceSettings {
    /// The model settings for whisper-rs.
    pub fn model_settings(&self) -> akutlinje_voice::ModelSettings {
        akutlinje_voice::ModelSettings {
            path: self.model.clone(),
            language: self.language.clone(),
            threads: self.threads,
            flash_attn: self.flash_attn,
            fit_short_clips: self.fit_short_clips,
        }
    }

    /// The queue settings.
    pub fn worker_settings(&self) -> akutlinje_voice::WorkerSettings {
        akutlinje_voice::WorkerSettings {
            workers: self.workers,
            lease: self.lease,
            limits: akutlinje_audio::Limits {
                max_duration: self.max_duration,
                ..Default::default()
            },
            ..Default::default()
        }
    }
}

/// Where scripts/fetch-model puts the converted model (see
/// [`akutlinje_voice::default_model_dir`]).
pub fn default_model_path() -> PathBuf {
    akutlinje_voice::default_model_dir().join(DEFAULT_MODEL)
}

/// The model scripts/fetch-model makes by default.
pub const DEFAULT_MODEL: &str = "ggml-base.bin";

/// Twilio's settings. The auth token comes only from the environment
/// (`AKUTLINJE_TWILIO_AUTH_TOKEN`), as does the optional HMAC-SHA256
/// webhook key (`AKUTLINJE_TWILIO_WEBHOOK_KEY`).
#[derive(Clone)]
pub struct TwilioSettings {
    /// The account (`AC…`).
    pub account_sid: String,
    /// The auth token (from the environment).
    pub auth_token: SecretString,
    /// The HMAC-SHA256 webhook key, if used (from the environment).
    pub sha256_key: Option<SecretString>,
    /// The one algorithm webhooks are verified with.
    pub signature: akutlinje_telephony::signature::Algorithm,
    /// Staff key a PIN before resident data is spoken.
    pub pin_required: bool,
    /// The hotline's number (E.164).
    pub from: String,
    /// The URL Twilio reaches this service at.
    pub public_url: String,
    /// Twilio's API (a local server in tests).
    pub api_base: String,
    /// The voice prompts are read in.
    pub voice: String,
    /// Music while a caller waits, if any.
    pub hold_music: Option<String>,
}

/// The Matrix bot's settings. The password and the store passphrase come
/// only from the environment (`AKUTLINJE_MATRIX_PASSWORD`,
/// `AKUTLINJE_MATRIX_STORE_PASSPHRASE`).
#[derive(Clone)]
pub struct MatrixSettings {
    /// The homeserver's URL.
    pub homeserver: String,
    /// The bot's user.
    pub user: String,
    /// Where the bot keeps its encrypted store and session.
    pub store_dir: PathBuf,
    /// Default: `recovery-key.txt` in `store_dir`.
    pub recovery_key_file: Option<PathBuf>,
    /// The bot's password (from the environment; only for the first log-in).
    pub password: SecretString,
    /// Encrypts the bot's store (from the environment).
    pub store_passphrase: SecretString,
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

/// The raw settings: defaults, then the file (`file`, or ./akutlinje.toml
/// if there is one), then the environment.
fn read_raw(file: Option<&Path>) -> anyhow::Result<Raw> {
    let mut fig = Figment::from(Serialized::defaults(Raw::default()));
    let path = match file {
        Some(p) => {
            if !p.exists() {
                bail!("configuration file {} does not exist", p.display());
            }
            Some(p.to_path_buf())
        }
        None => Some(PathBuf::from("akutlinje.toml")).filter(|p| p.exists()),
    };
    if let Some(p) = &path {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
        let file_raw: toml::Value =
            toml::from_str(&text).with_context(|| format!("{} is not valid TOML", p.display()))?;
        if let Some(url) = file_raw.get("database_url").and_then(|v| v.as_str()) {
            if redact_password(url) != url {
                bail!(
                    "{}: database_url holds a password. Secrets come only from the environment: \
                     set AKUTLINJE_DATABASE_URL instead.",
                    p.display()
                );
            }
        }
        fig = fig.merge(Toml::file(p));
    }
    fig = fig
        .merge(Env::prefixed("AKUTLINJE_").only(TYPED_KEYS))
        .merge(Serialized::defaults(string_env()));
    let raw: Raw = fig
        .extract()
        .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
    Ok(raw)
}

/// The Matrix bot's settings, if a homeserver is configured; its secrets
/// from the environment.
fn matrix_settings(raw: &Raw) -> anyhow::Result<Option<MatrixSettings>> {
    Ok(match raw.matrix_homeserver.clone() {
        None => None,
        Some(homeserver) => {
            let passphrase = std::env::var("AKUTLINJE_MATRIX_STORE_PASSPHRASE").map_err(|_| {
                anyhow::anyhow!(
                    "matrix_homeserver is set, so AKUTLINJE_MATRIX_STORE_PASSPHRASE must be set too \
                     (it encrypts the bot's keys; keep it outside the repository)"
                )
            })?;
            if passphrase.chars().count() < 12 {
                bail!("AKUTLINJE_MATRIX_STORE_PASSPHRASE must be at least 12 characters");
            }
            let store_dir = match raw.matrix_store_dir.clone() {
                Some(d) => d,
                None => data_dir()?.join("matrix-store"),
            };
            Some(MatrixSettings {
                homeserver,
                user: raw.matrix_user.clone(),
                store_dir,
                recovery_key_file: raw.matrix_recovery_key_file.clone(),
                // Only needed for the first log-in; later the saved session is restored.
                password: std::env::var("AKUTLINJE_MATRIX_PASSWORD")
                    .unwrap_or_default()
                    .into(),
                store_passphrase: passphrase.into(),
            })
        }
    })
}

/// Twilio's settings, if an account is configured; its secrets from the
/// environment.
fn twilio_settings(raw: &Raw, public_url: Option<&str>) -> anyhow::Result<Option<TwilioSettings>> {
    Ok(match raw.twilio_account_sid.clone() {
        None => None,
        Some(account_sid) => {
            if !account_sid.starts_with("AC") {
                bail!("twilio_account_sid: {account_sid:?} must start with AC");
            }
            let auth_token = secret_env("AKUTLINJE_TWILIO_AUTH_TOKEN")?.context(
                "twilio_account_sid is set, so AKUTLINJE_TWILIO_AUTH_TOKEN must be set too \
                 (it signs Twilio's webhooks; keep it outside the repository)",
            )?;
            let sha256_key = secret_env("AKUTLINJE_TWILIO_WEBHOOK_KEY")?;
            let signature = match raw.twilio_signature.trim().to_ascii_lowercase().as_str() {
                "hmac-sha1" | "sha1" => akutlinje_telephony::signature::Algorithm::HmacSha1,
                "hmac-sha256" | "sha256" => akutlinje_telephony::signature::Algorithm::HmacSha256,
                other => bail!("twilio_signature: {other:?} must be hmac-sha1 or hmac-sha256"),
            };
            let from = raw
                .twilio_from
                .clone()
                .filter(|f| f.starts_with('+') && f.len() > 4)
                .context("twilio_from: the hotline's number in E.164 form (+45...) is required with Twilio")?;
            let public_url = raw
                .twilio_public_url
                .clone()
                .or_else(|| public_url.map(str::to_string))
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                .context("twilio_public_url: the http(s) URL Twilio reaches this service at is required with Twilio")?;
            let pin_required = match raw.phone_pin.trim() {
                "required" => true,
                "off" => {
                    tracing::warn!("phone_pin = off: callers are trusted by their number alone");
                    false
                }
                other => bail!("phone_pin: {other:?} must be required or off"),
            };
            Some(TwilioSettings {
                account_sid,
                auth_token: auth_token.into(),
                sha256_key: sha256_key.map(SecretString::from),
                signature,
                pin_required,
                from,
                public_url: public_url.trim_end_matches('/').to_string(),
                api_base: raw.twilio_api_base.clone(),
                voice: raw.twilio_voice.clone(),
                hold_music: raw.twilio_hold_music.clone(),
            })
        }
    })
}

/// Speech recognition's settings, checked.
fn voice_settings(raw: &Raw) -> anyhow::Result<VoiceSettings> {
    akutlinje_voice::model::check_language(&raw.voice_language)
        .map_err(|e| anyhow::anyhow!("voice_language: {e}"))?;
    if !(10..=3600).contains(&raw.voice_max_seconds) {
        bail!(
            "voice_max_seconds: {} must be between 10 and 3600",
            raw.voice_max_seconds
        );
    }
    // Short leases only cost repeated work (a result is written once
    // whatever happens); they make a restarted service pick up sooner.
    if !(3..=3600).contains(&raw.voice_lease_seconds) {
        bail!(
            "voice_lease_seconds: {} must be between 3 and 3600",
            raw.voice_lease_seconds
        );
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let workers = raw.voice_workers.unwrap_or((cores / 2).max(1));
    if !(1..=64).contains(&workers) {
        bail!("voice_workers: {workers} must be between 1 and 64");
    }
    let threads = raw.voice_threads.unwrap_or((cores / workers).max(1));
    if !(1..=256).contains(&threads) {
        bail!("voice_threads: {threads} must be between 1 and 256");
    }
    Ok(VoiceSettings {
        model: raw.voice_model.clone().unwrap_or_else(default_model_path),
        language: raw.voice_language.clone(),
        workers,
        threads,
        max_duration: std::time::Duration::from_secs(raw.voice_max_seconds),
        lease: std::time::Duration::from_secs(raw.voice_lease_seconds.max(1)),
        fit_short_clips: raw.voice_fit_short_clips,
        flash_attn: raw.voice_flash_attn,
    })
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
        let voice = voice_settings(&raw)?;
        let mut described = raw_copy;
        described.database_url = Some(redact_password(&database_url));
        Ok(Settings {
            raw: described,
            voice,
            twilio,
            database_url,
            database_owner_url,
            migrate_at_start,
            bind,
            public_url,
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
