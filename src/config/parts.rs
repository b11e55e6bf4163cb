//! The settings of each part that may be switched on: speech recognition,
//! Twilio, the Matrix bot, each checked as it is built.

use super::*;

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
    /// How long the model stays loaded without work; `None`: for good.
    pub model_idle: Option<std::time::Duration>,
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

/// The Matrix bot's settings, if a homeserver is configured; its secrets
/// from the environment.
pub(super) fn matrix_settings(raw: &Raw) -> anyhow::Result<Option<MatrixSettings>> {
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
pub(super) fn twilio_settings(
    raw: &Raw,
    public_url: Option<&str>,
) -> anyhow::Result<Option<TwilioSettings>> {
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
            let pin_required = phone_pin(raw)?;
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
pub(super) fn voice_settings(raw: &Raw) -> anyhow::Result<VoiceSettings> {
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
        model_idle: (raw.voice_model_idle_minutes > 0)
            .then(|| std::time::Duration::from_secs(raw.voice_model_idle_minutes * 60)),
    })
}

/// `phone_pin`, for every phone line: whether staff key a PIN.
fn phone_pin(raw: &Raw) -> anyhow::Result<bool> {
    match raw.phone_pin.trim() {
        "required" => Ok(true),
        "off" => {
            tracing::warn!("phone_pin = off: callers are trusted by their number alone");
            Ok(false)
        }
        other => bail!("phone_pin: {other:?} must be required or off"),
    }
}

/// The SIP bridge's settings, if it is on.
#[derive(Debug, Clone)]
pub struct SipSettings {
    /// Where SIP is received (UDP and TCP).
    pub bind: std::net::SocketAddr,
    /// Peers allowed to send SIP.
    pub peers: Vec<std::net::IpAddr>,
    /// The address in our SDP.
    pub media_ip: std::net::IpAddr,
    /// Number → SIP address.
    pub dial: String,
    /// Our user part.
    pub from: String,
    /// Which voice pages go through the bridge (the rest by Twilio); none
    /// when `sip_pages = "twilio"`.
    pub pages: Option<akutlinje_telephony::sip::line::SipPages>,
    /// A site's recorded prompts.
    pub prompts_dir: Option<PathBuf>,
    /// Rendered prompts.
    pub prompt_cache: PathBuf,
    /// How long a page call rings.
    pub ring: std::time::Duration,
    /// Staff key a PIN before resident data is said.
    pub pin_required: bool,
    /// Registration mode: where and as whom the bridge registers.
    pub registrar: Option<akutlinje_telephony::sip::trunk::Registrar>,
}

/// The SIP bridge's settings, checked; `None` when `sip_bind` is unset.
pub(super) fn sip_settings(raw: &Raw) -> anyhow::Result<Option<SipSettings>> {
    let Some(bind) = raw
        .sip_bind
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty())
    else {
        return Ok(None);
    };
    let bind: std::net::SocketAddr = bind.parse().with_context(|| {
        format!("sip_bind: {bind:?} is not an address with a port (0.0.0.0:5060)")
    })?;
    let mut peers = raw
        .sip_trunk_peers
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse()
                .with_context(|| format!("sip_trunk_peers: {p:?} is not an IP address"))
        })
        .collect::<anyhow::Result<Vec<std::net::IpAddr>>>()?;
    let registrar = match raw.sip_register.as_deref().map(str::trim) {
        Some(server) if !server.is_empty() => {
            let host = server
                .trim_start_matches("sip:")
                .split(['@', ';'])
                .next_back()
                .unwrap_or_default();
            let ip: std::net::IpAddr = host
                .rsplit_once(':')
                .map_or(host, |(h, _)| h)
                .trim_matches(['[', ']'])
                .parse()
                .with_context(|| format!("sip_register: {server:?} must name the registrar by IP address (sip:10.20.0.5 or sip:10.20.0.5:5060), so only it may send calls"))?;
            if !peers.contains(&ip) {
                peers.push(ip);
            }
            if !(2..=86_400).contains(&raw.sip_register_expires) {
                bail!(
                    "sip_register_expires: {} must be between 2 and 86400",
                    raw.sip_register_expires
                );
            }
            Some(akutlinje_telephony::sip::trunk::Registrar {
                server: if server.starts_with("sip:") {
                    server.to_string()
                } else {
                    format!("sip:{server}")
                },
                user: raw.sip_user.clone().unwrap_or_else(|| raw.sip_from.clone()),
                // A PBX extension's password: often shorter than a webhook
                // secret, so not held to that length; never in the file.
                password: std::env::var("AKUTLINJE_SIP_PASSWORD")
                    .ok()
                    .filter(|p| !p.trim().is_empty()),
                expires: raw.sip_register_expires,
            })
        }
        _ => None,
    };
    if peers.is_empty() {
        bail!("sip_bind is set, so sip_trunk_peers must name the PBX or carrier proxies allowed to send SIP (comma-separated IP addresses), or sip_register the registrar");
    }
    let media_ip = match raw.sip_media_ip.as_deref().map(str::trim) {
        Some(ip) if !ip.is_empty() => ip
            .parse()
            .with_context(|| format!("sip_media_ip: {ip:?} is not an IP address"))?,
        _ if bind.ip().is_unspecified() => bail!(
            "sip_bind listens on every address, so sip_media_ip must say which one the PBX sends RTP to"
        ),
        _ => bind.ip(),
    };
    let dial = match &raw.sip_dial {
        Some(d) if d.contains("{number}") || d.contains("{national}") => d.clone(),
        Some(d) => bail!("sip_dial: {d:?} must contain {{number}} or {{national}}"),
        None => format!("sip:{{number}}@{}", peers[0]),
    };
    let pages = match raw.sip_pages.trim() {
        "sip" => Some(akutlinje_telephony::sip::line::SipPages::All),
        "twilio" => None,
        list => {
            let prefixes: Vec<String> = list
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect();
            let valid = |p: &String| {
                p.starts_with('+') && p.len() > 1 && p[1..].chars().all(|c| c.is_ascii_digit())
            };
            if prefixes.is_empty() || !prefixes.iter().all(valid) {
                bail!("sip_pages: {list:?} must be sip, twilio, or number prefixes paged through the bridge (\"+4538, +4570\")");
            }
            Some(akutlinje_telephony::sip::line::SipPages::Prefixes(prefixes))
        }
    };
    if !(5..=120).contains(&raw.sip_ring_seconds) {
        bail!(
            "sip_ring_seconds: {} must be between 5 and 120",
            raw.sip_ring_seconds
        );
    }
    Ok(Some(SipSettings {
        bind,
        peers,
        media_ip,
        dial,
        from: raw.sip_from.trim().to_string(),
        pages,
        prompts_dir: raw.sip_prompts_dir.clone(),
        prompt_cache: match &raw.sip_prompt_cache {
            Some(p) => p.clone(),
            None => data_dir()?.join("prompt-cache"),
        },
        ring: std::time::Duration::from_secs(raw.sip_ring_seconds),
        pin_required: phone_pin(raw)?,
        registrar,
    }))
}
