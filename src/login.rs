//! The log-in page's defences: it must not become a way to take the
//! hotline down or to keep a named person out.
//!
//! - **Bounded work.** Password checks (argon2, ~50 ms of a core each) run
//!   behind a semaphore of half the cores; an attempt that finds it full is
//!   answered 429 at once. A separate permit is kept for people logging in
//!   from a source they have used before, so an attack does not crowd out
//!   the coordinator.
//! - **Counted first.** Each attempt is counted on its throttle keys in the
//!   database *before* the password is checked (`Store::login_attempt`), so
//!   guesses sent in parallel all count.
//! - **Delays, not a lock-out.** Keys: the source; the account from that
//!   source; and the account from sources it has never logged in from. A
//!   few failures are free, then each doubles the wait (capped at 15
//!   minutes). A stranger's guesses slow down the stranger; the right
//!   password from the person's usual source still works during an attack.
//!
//! The source is the peer address (behind `trusted_proxies`, the first
//! address in X-Forwarded-For that is not a trusted proxy); IPv6 sources
//! count by their /64, since one host holds a whole /64.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use akutlinje_core::ids::PersonId;
use akutlinje_core::person::ThrottleRule;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;

use crate::app::AppState;

/// Failures from one source, whatever the account (a NAT may hide a home).
pub const PER_SOURCE: ThrottleRule = ThrottleRule {
    free: 20,
    max_delay_secs: 900,
    window_secs: 3600,
};

/// Failures for one account from one source.
pub const PER_ACCOUNT_AND_SOURCE: ThrottleRule = ThrottleRule {
    free: 5,
    max_delay_secs: 900,
    window_secs: 3600,
};

/// Failures for one account from sources it never logged in from (a
/// guessing attack spread over many addresses).
pub const PER_ACCOUNT_ELSEWHERE: ThrottleRule = ThrottleRule {
    free: 10,
    max_delay_secs: 900,
    window_secs: 3600,
};

/// How long a source stays "usual" after a good log-in from it.
pub const USUAL_SOURCE_DAYS: i64 = 90;

/// The semaphores in front of the password check, and the throttle keys
/// known to be holding back (so an attack that is being held back is
/// refused in memory, without touching the database the hotline writes to).
#[derive(Debug)]
pub struct LoginGuard {
    general: Arc<Semaphore>,
    usual_permit: Arc<Semaphore>,
    held: std::sync::Mutex<HashMap<String, DateTime<Utc>>>,
    /// (person, source) → whether the person logged in from there before.
    usual: std::sync::Mutex<HashMap<(String, String), bool>>,
}

/// The most held-back keys remembered in memory (the database has them all).
const HELD_IN_MEMORY: usize = 100_000;

impl LoginGuard {
    /// `permits` checks at once from anywhere, plus one for usual sources.
    pub fn new(permits: usize) -> LoginGuard {
        LoginGuard {
            general: Arc::new(Semaphore::new(permits.max(1))),
            usual_permit: Arc::new(Semaphore::new(1)),
            held: std::sync::Mutex::new(HashMap::new()),
            usual: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The time until which one of `keys` is known to be held back.
    pub fn held_until(
        &self,
        keys: &[(String, ThrottleRule)],
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let held = self.held.lock().ok()?;
        keys.iter()
            .filter_map(|(k, _)| held.get(k).copied())
            .filter(|until| *until > now)
            .max()
    }

    /// Whether `person` is known to use `source` (`None`: ask the database).
    pub fn cached_usual(&self, person: &PersonId, source: &Source) -> Option<bool> {
        self.usual
            .lock()
            .ok()?
            .get(&(person.to_string(), source.0.clone()))
            .copied()
    }

    /// Remembers whether `person` uses `source`.
    pub fn remember_usual(&self, person: &PersonId, source: &Source, usual: bool) {
        if let Ok(mut m) = self.usual.lock() {
            if m.len() >= HELD_IN_MEMORY {
                // Forget the strangers first; usual sources are few.
                m.retain(|_, u| *u);
            }
            if m.len() < HELD_IN_MEMORY {
                m.insert((person.to_string(), source.0.clone()), usual);
            }
        }
    }

    /// Remembers that `key` holds back until `until`.
    pub fn hold(&self, key: String, until: DateTime<Utc>, now: DateTime<Utc>) {
        if let Ok(mut held) = self.held.lock() {
            if held.len() >= HELD_IN_MEMORY {
                held.retain(|_, u| *u > now);
            }
            if held.len() < HELD_IN_MEMORY {
                held.insert(key, until);
            }
        }
    }

    /// Half the cores (at least one): the rest stay with the hotline.
    pub fn for_this_machine() -> LoginGuard {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        LoginGuard::new(cores / 2)
    }

    /// A permit to check a password now, or `None` (answer 429).
    pub fn try_permit(&self, usual_source: bool) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let first = if usual_source {
            &self.usual_permit
        } else {
            &self.general
        };
        first
            .clone()
            .try_acquire_owned()
            .or_else(|_| self.general.clone().try_acquire_owned())
            .ok()
    }
}

/// The web's security settings.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Session cookies carry `Secure` (the public URL is https).
    pub secure_cookies: bool,
    /// Reverse proxies whose X-Forwarded-For is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// Log-in throttling, shared by every request.
    pub login: Arc<LoginGuard>,
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            secure_cookies: false,
            trusted_proxies: Vec::new(),
            login: Arc::new(LoginGuard::for_this_machine()),
        }
    }
}

/// Where a request comes from, as a throttle source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source(pub String);

impl Source {
    /// The key of an address: IPv4 as is, IPv6 by its /64.
    pub fn of(ip: IpAddr) -> Source {
        match ip {
            IpAddr::V4(v4) => Source(v4.to_string()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Source(v4.to_string()),
                None => {
                    let s = v6.segments();
                    Source(format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3]))
                }
            },
        }
    }

    /// The throttle keys of an attempt on `person` (if the id is valid),
    /// with their rules.
    pub fn keys(&self, person: Option<&PersonId>, usual: bool) -> Vec<(String, ThrottleRule)> {
        let mut keys = vec![(format!("src:{}", self.0), PER_SOURCE)];
        if let Some(p) = person {
            keys.push((format!("acct:{p}|src:{}", self.0), PER_ACCOUNT_AND_SOURCE));
            if !usual {
                keys.push((format!("acct:{p}|elsewhere"), PER_ACCOUNT_ELSEWHERE));
            }
        }
        keys
    }
}

/// The client's address: the peer, or behind a trusted proxy the last
/// address in X-Forwarded-For that is not itself a trusted proxy.
pub fn client_ip(
    peer: Option<IpAddr>,
    forwarded: Option<&str>,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let Some(chain) = forwarded else {
        return Some(peer);
    };
    let mut hops = chain.split(',').rev().map(str::trim);
    let first_untrusted = hops.find_map(|h| {
        let ip: IpAddr = h.parse().ok()?;
        (!trusted.contains(&ip)).then_some(ip)
    });
    Some(first_untrusted.unwrap_or(peer))
}

impl FromRequestParts<AppState> for Source {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        Ok(client_ip(peer, forwarded, &state.web.trusted_proxies)
            .map(Source::of)
            // Served without a socket (in-process tests): one shared source.
            .unwrap_or_else(|| Source("unknown".into())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.1".parse().expect("ip");
        let client: IpAddr = "192.0.2.7".parse().expect("ip");
        let trusted = [proxy];
        // From the proxy: the client it names (a spoofed hop before it is ignored).
        assert_eq!(
            client_ip(Some(proxy), Some("203.0.113.9, 192.0.2.7"), &trusted),
            Some(client)
        );
        // From anyone else: the header is not believed.
        assert_eq!(
            client_ip(Some(client), Some("203.0.113.9"), &trusted),
            Some(client)
        );
        assert_eq!(client_ip(Some(proxy), None, &trusted), Some(proxy));
    }

    #[test]
    fn ipv6_sources_count_by_their_64() {
        let a = Source::of("2001:db8:1:2:aaaa::1".parse().expect("ip"));
        let b = Source::of("2001:db8:1:2:bbbb::9".parse().expect("ip"));
        assert_eq!(a, b);
        assert_eq!(a.0, "2001:db8:1:2::/64");
        assert_eq!(
            Source::of("::ffff:192.0.2.1".parse().expect("ip")).0,
            "192.0.2.1"
        );
    }
}
