//! Twilio: the phone hotline and the SMS and voice pages.
//!
//! This crate owns
//! - the **webhooks** Twilio calls (incoming call, keys pressed, recording,
//!   call and message status, incoming SMS), each checked by the
//!   [`webhook::Signed`] extractor and answered once per (SID, step): a
//!   retried webhook gets the stored answer and records nothing twice;
//! - the **IVR**: the same checklist engine as chat, its effects spoken as
//!   TwiML and keypad input turned back into text ([`ivr`]);
//! - the **conference bridge**: a caller whose case is paged waits in a
//!   conference (updates every minute) and the physician who takes the page
//!   by phone joins it;
//! - the **REST client** ([`rest`]) and the **SMS and voice channels** of the
//!   scheduler's notification outbox ([`senders`]);
//! - the **SIP bridge** ([`sip`]): the same checklist over the hospital's
//!   own phone system (a PBX or carrier trunk), no cloud in between, and
//!   pages to physicians' phones through it.
//!
//! It depends on core only; the binary wires it to the store, the rota and
//! the HTTP server.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;

use akutlinje_core::i18n::Lang;
use akutlinje_core::ids::CaseId;
use akutlinje_core::service::Hotline;
use akutlinje_core::store::{ChannelStore, PeopleStore, SessionStore, Store};

pub mod forms;
pub mod ivr;
mod records;
pub mod rest;
mod routes;
pub mod senders;
pub mod signature;
pub mod sip;
pub mod twiml;
pub mod webhook;

pub use senders::{SmsSender, VoiceSender};

/// How the hotline presents itself on Twilio (secrets redacted in `Debug`).
#[derive(Clone, Debug)]
pub struct Settings {
    /// The URL Twilio reaches this service at (scheme, host, optional port
    /// and path prefix, no trailing slash). Signatures are checked against
    /// it, so it is right behind a reverse proxy too.
    pub public_url: String,
    /// The hotline's own number (E.164): caller id of pages and SMS.
    pub from: String,
    /// The account's auth token: signs webhooks (HMAC-SHA1).
    pub auth_token: SecretString,
    /// The secret for HMAC-SHA256 webhooks, if the account uses them;
    /// otherwise the auth token.
    pub sha256_key: Option<SecretString>,
    /// The one algorithm webhooks are verified with. What a request names
    /// in `X-Twilio-Webhooks-Signature-Settings` is never followed, so a
    /// forger cannot choose the check.
    pub algorithm: signature::Algorithm,
    /// The voice prompts are read in.
    pub voice: twiml::Voice,
    /// Music while a caller waits for the physician (a URL Twilio can
    /// fetch); silence when unset.
    pub hold_music: Option<String>,
    /// The language of the line.
    pub lang: Lang,
    /// Staff key a PIN (their own or their home's) before any resident data
    /// is spoken; caller id alone is not proof. On by default.
    pub pin_required: bool,
}

/// Why the Twilio side refuses to start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// A secret a forger could guess.
    #[error("the {what} is empty or shorter than {min} characters")]
    WeakSecret {
        /// Which secret.
        what: &'static str,
        /// The fewest characters accepted.
        min: usize,
    },
}

/// The shortest webhook secret accepted (Twilio's auth tokens are 32).
pub const MIN_SECRET_CHARS: usize = 32;

impl Settings {
    /// Refuses secrets a forger could guess: an empty or short auth token
    /// or webhook key would make every signature check worthless.
    pub fn check(&self) -> Result<(), SettingsError> {
        let weak = |s: &str| s.trim().chars().count() < MIN_SECRET_CHARS;
        if weak(self.auth_token.expose_secret()) {
            return Err(SettingsError::WeakSecret {
                what: "auth token",
                min: MIN_SECRET_CHARS,
            });
        }
        if self
            .sha256_key
            .as_ref()
            .is_some_and(|k| weak(k.expose_secret()))
        {
            return Err(SettingsError::WeakSecret {
                what: "webhook key",
                min: MIN_SECRET_CHARS,
            });
        }
        Ok(())
    }
}

/// The Twilio side of the hotline. Cheap to clone.
#[derive(Clone)]
pub struct Telephony(Arc<Inner>);

/// The storage ports the telephone side uses besides the service: who is
/// calling, their PIN, and its own call legs and webhook answers.
#[derive(Clone, Debug)]
pub struct Ports {
    /// Callers by number, homes, PINs.
    pub people: Arc<dyn PeopleStore>,
    /// PIN tries (throttling).
    pub sessions: Arc<dyn SessionStore>,
    /// Call legs, webhook answers, recordings.
    pub channels: Arc<dyn ChannelStore>,
}

impl From<Arc<dyn Store>> for Ports {
    fn from(store: Arc<dyn Store>) -> Ports {
        Ports {
            people: store.clone(),
            sessions: store.clone(),
            channels: store,
        }
    }
}

struct Inner {
    hotline: Hotline,
    db: Ports,
    client: rest::Client,
    settings: Settings,
    oncall: Arc<dyn akutlinje_core::roster::Roster>,
}

impl std::fmt::Debug for Telephony {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telephony")
            .field("settings", &self.0.settings)
            .finish_non_exhaustive()
    }
}

impl Telephony {
    /// The Twilio side over the hotline service; refuses weak secrets.
    pub fn new(
        hotline: Hotline,
        store: impl Into<Ports>,
        client: rest::Client,
        settings: Settings,
        oncall: Arc<dyn akutlinje_core::roster::Roster>,
    ) -> Result<Telephony, SettingsError> {
        settings.check()?;
        Ok(Telephony(Arc::new(Inner {
            hotline,
            db: store.into(),
            client,
            settings,
            oncall,
        })))
    }

    /// The webhook routes (`/twilio/...`), ready to merge into the server.
    pub fn router(&self) -> axum::Router {
        routes::router(self.clone())
    }

    /// The SMS channel of the notification outbox.
    pub fn sms_sender(&self) -> SmsSender {
        SmsSender::new(self.clone())
    }

    /// The voice channel of the notification outbox.
    pub fn voice_sender(&self) -> VoiceSender {
        VoiceSender::new(self.clone())
    }

    /// The absolute URL of a path on this service, as Twilio sees it.
    pub fn public(&self, path_and_query: &str) -> String {
        format!(
            "{}{}",
            self.0.settings.public_url.trim_end_matches('/'),
            path_and_query
        )
    }

    /// The configured algorithm and its key.
    pub(crate) fn webhook_key(&self) -> (signature::Algorithm, &str) {
        let s = &self.0.settings;
        let key = match s.algorithm {
            signature::Algorithm::HmacSha1 => s.auth_token.expose_secret(),
            signature::Algorithm::HmacSha256 => s
                .sha256_key
                .as_ref()
                .unwrap_or(&s.auth_token)
                .expose_secret(),
        };
        (s.algorithm, key)
    }

    pub(crate) fn hotline(&self) -> &Hotline {
        &self.0.hotline
    }

    pub(crate) fn db(&self) -> &Ports {
        &self.0.db
    }

    pub(crate) fn client(&self) -> &rest::Client {
        &self.0.client
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.0.settings
    }

    pub(crate) fn oncall(&self) -> &Arc<dyn akutlinje_core::roster::Roster> {
        &self.0.oncall
    }
}

/// Wrong PINs tolerated on one call (any line) before the caller is put
/// through to the physician without resident data.
pub(crate) const PIN_TRIES: u32 = 3;

/// Whether a keyed PIN matches its stored hash (slow on purpose: run it
/// off the async threads).
pub(crate) fn pin_matches(pin: String, hash: String) -> bool {
    use argon2::{Argon2, PasswordHash, PasswordVerifier};
    PasswordHash::new(&hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(pin.as_bytes(), &h)
            .is_ok()
    })
}

/// The short code that names a case in an SMS ("OK 4821"): four digits of
/// its id. Not unique on its own; a reply is matched among the cases the
/// physician was paged for.
pub fn case_code(case: CaseId) -> String {
    case.code()
}

/// The conference room of a case.
pub fn conference_name(case: CaseId) -> String {
    format!("akutlinje-{case}")
}
