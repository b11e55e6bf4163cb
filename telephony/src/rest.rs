//! A small typed client for Twilio's REST API (2010-04-01): SMS, calls,
//! call updates, conference participants, recordings.
//!
//! Why not a published crate: `twilio` 1.1 hard-codes `https://api.twilio.com`
//! and `twilio-rs` 0.1 sends requests without their form fields (see
//! `../shared/notes/telephony.md`). This one sends exactly what Twilio's own
//! Python client sends (the tests compare them field by field), to a base
//! URL from configuration.
//!
//! Retries: a 5xx, a 429 or a transport error is tried again with capped
//! backoff (honouring `Retry-After`); a 4xx is not — it will not get better,
//! and its Twilio error (code, message) is returned for the record.

use backon::{ExponentialBuilder, Retryable};
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

use serde::Deserialize;

/// Where and as whom to call Twilio (the token redacted in `Debug`).
#[derive(Clone, Debug)]
pub struct Credentials {
    /// `https://api.twilio.com` in production; a local server in tests.
    pub base_url: String,
    /// `AC…`.
    pub account_sid: String,
    /// The account's auth token.
    pub auth_token: SecretString,
}

/// A failed request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TwilioError {
    /// Twilio answered with an error.
    #[error("Twilio {status}{}: {message}", code.map(|c| format!(" (error {c})")).unwrap_or_default())]
    Api {
        /// The HTTP status.
        status: u16,
        /// Twilio's error code (e.g. 21211, an invalid 'To' number).
        code: Option<i64>,
        /// Twilio's message.
        message: String,
    },
    /// Twilio could not be reached, or did not answer in time.
    #[error("Twilio could not be reached: {0}")]
    Transport(String),
    /// Twilio's answer was not what its API documents.
    #[error("unexpected answer from Twilio: {0}")]
    Decode(String),
    /// A URL we were asked to fetch is not Twilio's.
    #[error("refusing to send credentials to {0}")]
    ForeignUrl(String),
}

impl TwilioError {
    /// Whether trying again later may succeed.
    pub fn retryable(&self) -> bool {
        match self {
            TwilioError::Api { status, .. } => *status == 429 || *status >= 500,
            TwilioError::Transport(_) => true,
            TwilioError::Decode(_) | TwilioError::ForeignUrl(_) => false,
        }
    }
}

/// A message resource (the fields we use).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Message {
    /// Its SID (`SM…`).
    pub sid: String,
    /// Its status (`queued`, ...).
    pub status: String,
}

/// A call resource (the fields we use).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Call {
    /// Its SID (`CA…`).
    pub sid: String,
    /// Its status (`queued`, ...).
    pub status: String,
}

/// A conference participant (the fields we use).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Participant {
    /// The participant's call.
    pub call_sid: String,
    /// The conference.
    pub conference_sid: String,
}

/// What a call does when answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Instructions<'a> {
    /// Fetch TwiML from this URL.
    Url(&'a str),
    /// This TwiML document.
    Twiml(&'a str),
}

/// An SMS to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewMessage<'a> {
    /// The recipient (E.164).
    pub to: &'a str,
    /// The hotline's number.
    pub from: &'a str,
    /// The text.
    pub body: &'a str,
    /// Where Twilio reports delivery.
    pub status_callback: Option<&'a str>,
}

/// A call to place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewCall<'a> {
    /// The number called (E.164).
    pub to: &'a str,
    /// The hotline's number.
    pub from: &'a str,
    /// What the call does when answered.
    pub instructions: Instructions<'a>,
    /// Where Twilio reports the call's status.
    pub status_callback: Option<&'a str>,
    /// `initiated`, `ringing`, `answered`, `completed`.
    pub status_events: &'a [&'a str],
    /// `Enable` or `DetectMessageEnd` to detect answering machines.
    pub machine_detection: Option<&'a str>,
    /// Seconds to let it ring.
    pub timeout_s: Option<u32>,
}

/// A change to a live call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallUpdate<'a> {
    /// New instructions (a URL or TwiML).
    Instructions(Instructions<'a>),
    /// Hang up.
    Complete,
}

/// A participant to dial into a conference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewParticipant<'a> {
    /// The hotline's number.
    pub from: &'a str,
    /// The number called into the conference.
    pub to: &'a str,
    /// Where Twilio reports the participant's status.
    pub status_callback: Option<&'a str>,
    /// Which status changes are reported.
    pub status_events: &'a [&'a str],
    /// How long to ring, in seconds.
    pub timeout_s: Option<u32>,
    /// Whether the conference ends when this participant leaves.
    pub end_conference_on_exit: bool,
}

/// The client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    creds: Credentials,
    attempts: u32,
    max_backoff: Duration,
}

const API: &str = "2010-04-01";

#[derive(Deserialize)]
struct ApiError {
    code: Option<i64>,
    message: Option<String>,
}

impl Client {
    /// A client with 5 s to connect, 15 s per request, three attempts.
    pub fn new(creds: Credentials) -> Result<Client, TwilioError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .user_agent(concat!("akutlinje/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| TwilioError::Transport(e.to_string()))?;
        Ok(Client {
            http,
            creds,
            attempts: 3,
            max_backoff: Duration::from_secs(4),
        })
    }

    /// Sets the number of attempts per request (at least one) and the
    /// longest wait between them.
    pub fn with_retries(mut self, attempts: u32, max_backoff: Duration) -> Client {
        self.attempts = attempts.max(1);
        self.max_backoff = max_backoff;
        self
    }

    /// The account SID.
    pub fn account_sid(&self) -> &str {
        &self.creds.account_sid
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}/{API}/Accounts/{}/{path}",
            self.creds.base_url.trim_end_matches('/'),
            self.creds.account_sid
        )
    }

    /// Sends an SMS.
    pub async fn send_sms(&self, m: &NewMessage<'_>) -> Result<Message, TwilioError> {
        let mut form = vec![("To", m.to), ("From", m.from), ("Body", m.body)];
        if let Some(cb) = m.status_callback {
            form.push(("StatusCallback", cb));
        }
        self.post("Messages.json", &form).await
    }

    /// Places a call.
    pub async fn create_call(&self, c: &NewCall<'_>) -> Result<Call, TwilioError> {
        let timeout = c.timeout_s.map(|t| t.to_string());
        let mut form = vec![("To", c.to), ("From", c.from)];
        match c.instructions {
            Instructions::Url(u) => form.push(("Url", u)),
            Instructions::Twiml(t) => form.push(("Twiml", t)),
        }
        if let Some(cb) = c.status_callback {
            form.push(("StatusCallback", cb));
        }
        for e in c.status_events {
            form.push(("StatusCallbackEvent", e));
        }
        if let Some(md) = c.machine_detection {
            form.push(("MachineDetection", md));
        }
        if let Some(t) = &timeout {
            form.push(("Timeout", t));
        }
        self.post("Calls.json", &form).await
    }

    /// Redirects or ends a live call.
    pub async fn update_call(&self, sid: &str, u: CallUpdate<'_>) -> Result<Call, TwilioError> {
        let form = match u {
            CallUpdate::Instructions(Instructions::Url(url)) => vec![("Url", url)],
            CallUpdate::Instructions(Instructions::Twiml(t)) => vec![("Twiml", t)],
            CallUpdate::Complete => vec![("Status", "completed")],
        };
        self.post(&format!("Calls/{}.json", path_segment(sid)), &form)
            .await
    }

    /// Dials someone into a conference (by its SID or friendly name).
    pub async fn add_participant(
        &self,
        conference: &str,
        p: &NewParticipant<'_>,
    ) -> Result<Participant, TwilioError> {
        let timeout = p.timeout_s.map(|t| t.to_string());
        let mut form = vec![("From", p.from), ("To", p.to)];
        if let Some(cb) = p.status_callback {
            form.push(("StatusCallback", cb));
        }
        for e in p.status_events {
            form.push(("StatusCallbackEvent", e));
        }
        if let Some(t) = &timeout {
            form.push(("Timeout", t));
        }
        if p.end_conference_on_exit {
            form.push(("EndConferenceOnExit", "true"));
        }
        self.post(
            &format!("Conferences/{}/Participants.json", path_segment(conference)),
            &form,
        )
        .await
    }

    /// Downloads a recording from the URL Twilio gave (`RecordingUrl`), as
    /// WAV. Only URLs under the configured base get the credentials.
    pub async fn fetch_recording(&self, url: &str) -> Result<(Vec<u8>, String), TwilioError> {
        let base = self.creds.base_url.trim_end_matches('/');
        if !url.starts_with(&format!("{base}/")) {
            return Err(TwilioError::ForeignUrl(url.to_string()));
        }
        let url = if url.ends_with(".wav") || url.ends_with(".mp3") {
            url.to_string()
        } else {
            format!("{url}.wav")
        };
        let resp = self
            .send(|| {
                self.http.get(&url).basic_auth(
                    &self.creds.account_sid,
                    Some(self.creds.auth_token.expose_secret()),
                )
            })
            .await?;
        let mime = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("audio/wav")
            .to_string();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| TwilioError::Transport(e.to_string()))?;
        Ok((bytes.to_vec(), mime))
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        form: &[(&str, &str)],
    ) -> Result<T, TwilioError> {
        let url = self.url(path);
        let resp = self
            .send(|| {
                self.http
                    .post(&url)
                    .basic_auth(
                        &self.creds.account_sid,
                        Some(self.creds.auth_token.expose_secret()),
                    )
                    .header(reqwest::header::ACCEPT, "application/json")
                    .form(form)
            })
            .await?;
        let body = resp
            .bytes()
            .await
            .map_err(|e| TwilioError::Transport(e.to_string()))?;
        serde_json::from_slice(&body).map_err(|e| TwilioError::Decode(e.to_string()))
    }

    /// Sends with retries (backon: exponential from 500 ms, Twilio's
    /// Retry-After when it gives one, never longer than `max_backoff`);
    /// returns a successful response or the last error.
    async fn send(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, TwilioError> {
        let policy = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(500).min(self.max_backoff))
            .with_max_delay(self.max_backoff)
            .with_max_times(self.attempts.saturating_sub(1) as usize);
        let attempt = std::sync::atomic::AtomicU32::new(0);
        (|| async {
            attempt.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            once(build()).await
        })
        .retry(policy)
        .when(|f: &Failure| f.error.retryable())
        .adjust(|f, backoff| backoff.map(|b| f.retry_after.unwrap_or(b).min(self.max_backoff)))
        .notify(|f, wait| {
            // The status only: Twilio's messages can quote the phone number.
            let status = match &f.error {
                TwilioError::Api { status, .. } => *status,
                _ => 0,
            };
            tracing::warn!(
                attempt = attempt.load(std::sync::atomic::Ordering::Relaxed),
                status,
                wait_ms = wait.as_millis() as u64,
                "Twilio request failed; retrying"
            );
        })
        .await
        .map_err(|f| f.error)
    }
}

/// A failed request, and how long Twilio asked us to wait (Retry-After).
struct Failure {
    error: TwilioError,
    retry_after: Option<Duration>,
}

/// One request: a successful response, or why not.
async fn once(request: reqwest::RequestBuilder) -> Result<reqwest::Response, Failure> {
    match request.send().await {
        Ok(resp) if resp.status().is_success() => Ok(resp),
        Ok(resp) => {
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let body = resp.bytes().await.unwrap_or_default();
            let parsed: Option<ApiError> = serde_json::from_slice(&body).ok();
            Err(Failure {
                error: TwilioError::Api {
                    status,
                    code: parsed.as_ref().and_then(|e| e.code),
                    message: parsed
                        .and_then(|e| e.message)
                        .unwrap_or_else(|| format!("HTTP {status}")),
                },
                retry_after,
            })
        }
        Err(e) => Err(Failure {
            error: TwilioError::Transport(transport_text(&e)),
            retry_after: None,
        }),
    }
}

/// A transport error without the URL (it carries the account SID).
fn transport_text(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    kind.to_string()
}

/// A SID or friendly name as one URL path segment.
fn path_segment(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
