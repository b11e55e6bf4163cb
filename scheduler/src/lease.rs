//! Roles one instance plays at a time (the Matrix bot, the SIP
//! registration, speech recognition), decided by a lease row in the shared
//! database.
//!
//! Every instance contends; the holder renews its lease every [`RENEW`]
//! and plays the role. An instance killed with `kill -9` stops renewing,
//! and another takes the role once the lease has run out ([`TTL`]): within
//! `TTL + RENEW` = 12 s, and then starts it (the Matrix bot: a few seconds
//! to open its store and sync). A holder that cannot renew (cut off from the
//! database) stops playing before its lease can run out, so two instances
//! never play the role at once for longer than a renewal's round trip.

use std::future::Future;
use std::sync::Arc;

use akutlinje_core::store::EscalationStore;
use chrono::Utc;

/// How long a lease holds without renewal.
pub const TTL: std::time::Duration = std::time::Duration::from_secs(10);
/// How often the holder renews and the others try.
pub const RENEW: std::time::Duration = std::time::Duration::from_secs(2);

/// A role and who plays it here.
#[derive(Clone, Debug)]
pub struct Lease {
    store: Arc<dyn EscalationStore>,
    role: String,
    holder: String,
    ttl: std::time::Duration,
    renew: std::time::Duration,
}

impl Lease {
    /// The lease on `role` for this instance (`holder`: its worker id).
    pub fn new(
        store: Arc<dyn EscalationStore>,
        role: impl Into<String>,
        holder: impl Into<String>,
    ) -> Lease {
        Lease {
            store,
            role: role.into(),
            holder: holder.into(),
            ttl: TTL,
            renew: RENEW,
        }
    }

    /// Other timings (tests).
    pub fn with_timing(mut self, ttl: std::time::Duration, renew: std::time::Duration) -> Lease {
        self.ttl = ttl;
        self.renew = renew.min(ttl / 2);
        self
    }

    async fn hold(&self) -> bool {
        let ttl = chrono::Duration::from_std(self.ttl).unwrap_or(chrono::Duration::seconds(10));
        match self
            .store
            .hold_lease(&self.role, &self.holder, Utc::now(), ttl)
            .await
        {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(role = %self.role, error = %e, "lease not renewed");
                false
            }
        }
    }

    /// Plays the role whenever this instance holds the lease, until
    /// `shutdown`: `play` runs with a future that completes when the role
    /// is to stop (lease lost, or shutdown); `on_change` hears every
    /// change (true: the role is here). At shutdown the lease is given up,
    /// so another instance takes over at once.
    pub async fn play<F, Fut>(
        self,
        shutdown: impl Future<Output = ()>,
        on_change: impl Fn(bool),
        mut play: F,
    ) where
        F: FnMut(tokio::sync::watch::Receiver<bool>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        tokio::pin!(shutdown);
        on_change(false);
        loop {
            // Contend until the lease is ours.
            if !self.hold().await {
                tokio::select! {
                    _ = &mut shutdown => return,
                    _ = tokio::time::sleep(self.renew) => continue,
                }
            }
            tracing::info!(role = %self.role, holder = %self.holder, "took the role");
            on_change(true);
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let mut task = tokio::spawn(play(stopped));
            let mut held_since = tokio::time::Instant::now();
            let lost = loop {
                tokio::select! {
                    _ = &mut shutdown => break false,
                    _ = &mut task => {
                        // The role ended by itself (it failed): try again.
                        tracing::warn!(role = %self.role, "the role ended; contending again");
                        break true;
                    }
                    _ = tokio::time::sleep(self.renew) => {
                        if self.hold().await {
                            held_since = tokio::time::Instant::now();
                        } else if held_since.elapsed() + self.renew >= self.ttl {
                            // Not renewed, and it may run out before the
                            // next try: stop before another can take it.
                            tracing::warn!(role = %self.role, "lease lost; stopping the role");
                            break true;
                        }
                    }
                }
            };
            let _ = stop.send(true);
            if !task.is_finished() {
                // Give the role a moment to stop cleanly, then cut it off.
                if tokio::time::timeout(std::time::Duration::from_secs(5), &mut task)
                    .await
                    .is_err()
                {
                    task.abort();
                }
            }
            on_change(false);
            if !lost {
                if let Err(e) = self.store.release_lease(&self.role, &self.holder).await {
                    tracing::warn!(role = %self.role, error = %e, "lease not given up");
                }
                return;
            }
            // Not at once: a role that fails as it starts must not spin.
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(self.renew) => {}
            }
        }
    }
}
