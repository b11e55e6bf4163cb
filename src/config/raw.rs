//! The settings as written: the file's keys with their defaults, the
//! environment variables that may set them, and reading them in order.

use super::*;

/// Settings as written in the file or environment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    /// `sqlite://path` or `postgres://...`. With a password: environment only.
    pub(super) database_url: Option<String>,
    /// `run`: apply pending migrations at start; `check`: only check the
    /// schema is current (a runtime role without DDL rights; migrations run
    /// separately with `akutlinje db migrate` as the owner).
    pub(super) database_migrations: String,
    /// Address the HTTP API listens on.
    pub(super) bind: String,
    /// The URL people (and Twilio) reach this service at; https makes the
    /// session cookie Secure.
    pub(super) public_url: Option<String>,
    /// A video room URL with `{room}` where the case's unguessable room name
    /// goes (Jitsi: `https://meet.jit.si/akutlinje-{room}`; Element Call:
    /// `https://call.element.io/room/#/akutlinje-{room}`). Needs `public_url`
    /// for the personal links that record who opened the room.
    pub(super) video_url: Option<String>,
    /// Reverse proxies (comma-separated IP addresses) whose X-Forwarded-For
    /// names the client, for the log-in page's per-source limits.
    pub(super) trusted_proxies: Option<String>,
    /// Default language: da or en.
    pub(super) language: String,
    /// Log filter (tracing EnvFilter syntax), e.g. "info" or "akutlinje=debug".
    pub(super) log: String,
    /// Log as JSON lines (for a log collector) instead of text.
    pub(super) log_json: bool,
    /// The on-call service whose rota pages are sent through.
    pub(super) paging_service: String,
    /// Escalation policies (TOML); default: the table in docs/design.md § Urgency.
    pub(super) policies: Option<PathBuf>,
    /// The Matrix homeserver of the bot; unset: no bot.
    pub(super) matrix_homeserver: Option<String>,
    /// The bot's user name.
    pub(super) matrix_user: String,
    /// Where the bot keeps its encrypted store and session.
    pub(super) matrix_store_dir: Option<PathBuf>,
    /// Where the bot writes its recovery key on first set-up.
    pub(super) matrix_recovery_key_file: Option<PathBuf>,
    /// The Twilio account (`AC…`); unset: no phone hotline, no SMS or voice pages.
    pub(super) twilio_account_sid: Option<String>,
    /// The hotline's Twilio number (E.164).
    pub(super) twilio_from: Option<String>,
    /// The URL Twilio reaches this service at (behind a proxy: the proxy's).
    pub(super) twilio_public_url: Option<String>,
    /// Twilio's REST API.
    pub(super) twilio_api_base: String,
    /// The voice that speaks (Twilio `voice`).
    pub(super) twilio_voice: String,
    /// Music while a caller waits for the physician (a URL Twilio can fetch).
    pub(super) twilio_hold_music: Option<String>,
    /// `required` (default): staff key a PIN before any resident data is
    /// spoken on the phone; `off`: caller id alone (not recommended).
    pub(super) phone_pin: String,
    /// How Twilio signs webhooks: hmac-sha1 (the auth token) or hmac-sha256.
    /// Only this algorithm is accepted, whatever a request names.
    pub(super) twilio_signature: String,
    /// The SIP bridge listens here (UDP and TCP, e.g. `0.0.0.0:5060`);
    /// unset: no SIP bridge.
    pub(super) sip_bind: Option<String>,
    /// The PBX or carrier proxies allowed to send SIP (comma-separated IP
    /// addresses); anything else gets 403.
    pub(super) sip_trunk_peers: Option<String>,
    /// The address put in SDP for RTP (default: the bind address; required
    /// when that is 0.0.0.0).
    pub(super) sip_media_ip: Option<String>,
    /// How a number becomes a SIP address for pages and put-throughs:
    /// `sip:{number}@pbx.example.org` (`{national}`: without +45).
    pub(super) sip_dial: Option<String>,
    /// The user part the bridge calls from (the hotline's number or extension).
    pub(super) sip_from: String,
    /// Pages by voice go through the SIP bridge (`sip`, the default when the
    /// bridge is on) or Twilio (`twilio`).
    pub(super) sip_pages: String,
    /// A site's recorded prompts: `<dir>/<lang>/<message-id>.wav`.
    pub(super) sip_prompts_dir: Option<PathBuf>,
    /// Where prompts rendered with espeak-ng are kept (default: the data
    /// directory's `prompt-cache`).
    pub(super) sip_prompt_cache: Option<PathBuf>,
    /// How long a page call rings (seconds).
    pub(super) sip_ring_seconds: u64,
    /// Registration mode: the registrar (PBX) to register at, e.g.
    /// `sip:10.20.0.5`; its address is added to the allow-list. The
    /// password comes from AKUTLINJE_SIP_PASSWORD.
    pub(super) sip_register: Option<String>,
    /// The extension the bridge registers as (default: sip_from).
    pub(super) sip_user: Option<String>,
    /// The registration lifetime asked for (seconds).
    pub(super) sip_register_expires: u32,
    /// The Whisper model (ggml); default: what scripts/fetch-model caches.
    pub(super) voice_model: Option<PathBuf>,
    /// The language voice notes are in (ISO 639-1).
    pub(super) voice_language: String,
    /// Transcriptions at once; default: one per two cores.
    pub(super) voice_workers: Option<usize>,
    /// Threads per transcription; default: the cores shared out among workers.
    pub(super) voice_threads: Option<usize>,
    /// Longer recordings are refused (seconds).
    pub(super) voice_max_seconds: u64,
    /// How long a worker's claim on a note holds without renewal (seconds).
    pub(super) voice_lease_seconds: u64,
    /// Encode short notes in a fitted window instead of 30 seconds.
    pub(super) voice_fit_short_clips: bool,
    /// Flash attention in whisper.cpp.
    pub(super) voice_flash_attn: bool,
    /// Minutes without voice notes before the model is released from
    /// memory (it loads again with the next note); 0 keeps it once loaded.
    pub(super) voice_model_idle_minutes: u64,
}

/// Keys whose values are booleans or numbers: the environment provider
/// parses them.
const TYPED_KEYS: &[&str] = &[
    "log_json",
    "voice_workers",
    "sip_ring_seconds",
    "sip_register_expires",
    "voice_threads",
    "voice_max_seconds",
    "voice_lease_seconds",
    "voice_fit_short_clips",
    "voice_flash_attn",
    "voice_model_idle_minutes",
];

/// Keys whose values are text. figment's environment provider would read
/// `+4570100100` as a number (and `"da"` with its quotes): these are taken
/// verbatim instead.
const STRING_KEYS: &[&str] = &[
    "database_url",
    "database_migrations",
    "bind",
    "public_url",
    "video_url",
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
    "sip_bind",
    "sip_trunk_peers",
    "sip_media_ip",
    "sip_dial",
    "sip_from",
    "sip_pages",
    "sip_prompts_dir",
    "sip_prompt_cache",
    "sip_register",
    "sip_user",
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
pub(super) fn secret_env(name: &str) -> anyhow::Result<Option<String>> {
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
            sip_bind: None,
            sip_trunk_peers: None,
            sip_media_ip: None,
            sip_dial: None,
            sip_from: "akutlinje".into(),
            sip_pages: "sip".into(),
            sip_prompts_dir: None,
            sip_prompt_cache: None,
            sip_ring_seconds: 30,
            sip_register: None,
            sip_user: None,
            sip_register_expires: 300,
            database_url: None,
            database_migrations: "run".into(),
            bind: "127.0.0.1:8080".into(),
            public_url: None,
            video_url: None,
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
            voice_model_idle_minutes: 10,
        }
    }
}

/// The raw settings: defaults, then the file (`file`, or ./akutlinje.toml
/// if there is one), then the environment.
pub(super) fn read_raw(file: Option<&Path>) -> anyhow::Result<Raw> {
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
