//! Registration mode: the bridge registers as an extension of the
//! hospital's PBX (or a proxy), which then sends it the hotline's calls.
//! Kept registered (refreshed at two thirds of the lifetime granted, tried
//! again while the registrar is away) for as long as this instance holds
//! the role, then taken back with `Expires: 0`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rsipstack::rsip::Uri;
use tokio_util::sync::CancellationToken;

use super::trunk::DialError;

/// Registration mode: the bridge registers as an extension of a PBX or
/// proxy, which then sends it the hotline's calls (add its address to the
/// allow-list).
#[derive(Clone)]
pub struct Registrar {
    /// The registrar (the PBX), `sip:pbx.example.org` or `sip:10.0.0.5:5060`.
    pub server: String,
    /// The extension (the user part of our address of record).
    pub user: String,
    /// The digest password, if the registrar asks for one.
    pub password: Option<String>,
    /// The registration's lifetime we ask for, in seconds.
    pub expires: u32,
}

impl std::fmt::Debug for Registrar {
    /// The password is never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registrar")
            .field("server", &self.server)
            .field("user", &self.user)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

/// How the registration stands, for tests and operators.
#[derive(Debug, Default)]
pub struct Registered {
    /// Registered now.
    pub now: std::sync::atomic::AtomicBool,
    /// Successful REGISTERs so far (the first and every refresh).
    pub successes: AtomicU64,
    /// REGISTERs that failed (no answer, refused).
    pub failures: AtomicU64,
}

/// How long after a failed REGISTER the next is sent.
pub const REGISTER_RETRY: Duration = Duration::from_secs(2);

/// Registers the bridge's extension, for as long as asked (see
/// [`super::trunk::Trunk::registrations`]).
#[derive(Clone)]
pub struct Registrations {
    endpoint: rsipstack::transaction::endpoint::EndpointInnerRef,
    cancel: CancellationToken,
}

impl Registrations {
    pub(super) fn new(
        endpoint: rsipstack::transaction::endpoint::EndpointInnerRef,
        cancel: CancellationToken,
    ) -> Registrations {
        Registrations { endpoint, cancel }
    }

    /// Registers at `registrar` until `stop` is cancelled (or the bridge
    /// stops), then takes the registration back (`Expires: 0`), so that the
    /// registrar sends the extension's calls to whoever registers next at
    /// once rather than to a contact that no longer answers.
    pub fn register_until(
        &self,
        registrar: Registrar,
        stop: CancellationToken,
    ) -> Result<Arc<Registered>, DialError> {
        let server = Uri::try_from(registrar.server.as_str())
            .map_err(|_| DialError::Target(registrar.server.clone()))?;
        let state = Arc::new(Registered::default());
        let credential = rsipstack::dialog::authenticate::Credential {
            username: registrar.user.clone(),
            password: registrar.password.clone().unwrap_or_default(),
            realm: None,
            auth_username: None,
        };
        let mut reg = rsipstack::dialog::registration::Registration::new(
            self.endpoint.clone(),
            Some(credential),
        );
        let (out, cancel) = (state.clone(), self.cancel.clone());
        tokio::spawn(async move {
            loop {
                // A registrar that is down would hold the REGISTER for the
                // whole transaction timeout (32 s); a few seconds do.
                let sent = reg.register(server.clone(), Some(registrar.expires));
                let answered: Result<_, String> =
                    match tokio::time::timeout(Duration::from_secs(4), sent).await {
                        Ok(Ok(r)) => Ok(r),
                        Ok(Err(e)) => Err(e.to_string()),
                        Err(_) => Err("no answer".into()),
                    };
                let wait = match answered {
                    Ok(r)
                        if r.status_code.kind() == rsipstack::rsip::StatusCodeKind::Successful =>
                    {
                        if !out.now.swap(true, Ordering::Relaxed) {
                            tracing::info!(expires = reg.expires(), "SIP bridge registered");
                            metrics::gauge!("akutlinje_sip_registered").set(1.0);
                        }
                        out.successes.fetch_add(1, Ordering::Relaxed);
                        Duration::from_secs(u64::from(reg.expires().max(3)) * 2 / 3)
                    }
                    other => {
                        let why = match other {
                            Ok(r) => r.status_code.to_string(),
                            Err(e) => e,
                        };
                        if out.now.swap(false, Ordering::Relaxed) {
                            metrics::gauge!("akutlinje_sip_registered").set(0.0);
                            tracing::warn!(reason = %why, "SIP registration lost; trying again");
                        } else {
                            tracing::debug!(reason = %why, "SIP registration failed");
                        }
                        out.failures.fetch_add(1, Ordering::Relaxed);
                        REGISTER_RETRY
                    }
                };
                tokio::select! {
                    () = stop.cancelled() => break,
                    () = cancel.cancelled() => break,
                    () = tokio::time::sleep(wait) => {}
                }
            }
            if out.now.swap(false, Ordering::Relaxed) {
                metrics::gauge!("akutlinje_sip_registered").set(0.0);
                let gone = reg.register(server.clone(), Some(0));
                match tokio::time::timeout(Duration::from_secs(2), gone).await {
                    Ok(Ok(r))
                        if r.status_code.kind() == rsipstack::rsip::StatusCodeKind::Successful =>
                    {
                        tracing::info!("SIP registration taken back");
                    }
                    _ => tracing::warn!(
                        "SIP registration not taken back; the registrar drops it when it runs out"
                    ),
                }
            }
        });
        Ok(state)
    }
}
