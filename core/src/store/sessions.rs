//! Credentials and sessions.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::ids::{HomeId, PersonId};
use crate::person::Person;
use crate::rota::ServiceId;

/// Credentials and sessions: API tokens, passwords, PINs, the log-in throttle, web sessions, calendar feeds.
#[async_trait]
pub trait SessionStore: Send + Sync + std::fmt::Debug {
    /// Stores the hash of a new API token for a person.
    async fn add_token(
        &self,
        person: &PersonId,
        token_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The person a (non-revoked) token hash belongs to.
    async fn person_by_token(&self, token_hash: &str) -> Result<Option<Person>, StoreError>;

    /// Revokes every token of a person; returns how many.
    async fn revoke_tokens(&self, person: &PersonId, at: DateTime<Utc>) -> Result<u64, StoreError>;

    // Web log-in.

    /// Stores a password hash (made by the caller, e.g. argon2) and ends
    /// every session of the person (a changed password signs out everywhere).
    async fn set_password_hash(
        &self,
        person: &PersonId,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The person's web password hash, if set.
    async fn password_hash(&self, person: &PersonId) -> Result<Option<String>, StoreError>;

    /// Stores the hash of a person's phone PIN (made by the caller, argon2).
    async fn set_person_pin(
        &self,
        person: &PersonId,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Stores the hash of a home's shared phone PIN.
    async fn set_home_pin(
        &self,
        home: &HomeId,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The PIN hash a caller is checked against: their own, else their home's.
    async fn pin_hash(
        &self,
        person: &PersonId,
        home: Option<&HomeId>,
    ) -> Result<Option<String>, StoreError>;

    /// Counts a log-in attempt on each throttle key *before* the password
    /// is verified, atomically, so parallel guesses all count: a key whose
    /// previous failures still hold it back (`next_allowed_at` later than
    /// `now`) is not counted and the attempt is refused with that time.
    /// Otherwise every key's count grows by one (counts older than the
    /// rule's window start again) and its next attempt is held back by the
    /// rule's growing delay. A good password then calls [`Store::login_succeeded`].
    async fn login_attempt(
        &self,
        keys: &[(String, crate::person::ThrottleRule)],
        now: DateTime<Utc>,
    ) -> Result<LoginGate, StoreError>;

    /// A good log-in from `source`: the throttle keys start again and the
    /// source is remembered as one this person uses.
    async fn login_succeeded(
        &self,
        person: &PersonId,
        source: &str,
        reset: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Whether `person` logged in successfully from `source` since `since`.
    async fn known_login_source(
        &self,
        person: &PersonId,
        source: &str,
        since: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Stores a session: only a hash of the cookie value is kept.
    async fn create_session(
        &self,
        id_hash: &str,
        person: &PersonId,
        csrf: &str,
        created: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The person and CSRF token of a live session.
    async fn session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(Person, String)>, StoreError>;

    /// Ends a session (log-out).
    async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError>;

    /// Stores a calendar feed token hash for a person or a service.
    async fn add_calendar_feed(
        &self,
        token_hash: &str,
        feed: &CalendarFeed,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// What a live feed token shows.
    async fn calendar_feed(&self, token_hash: &str) -> Result<Option<CalendarFeed>, StoreError>;

    /// Revokes every feed of a person or service; returns how many.
    async fn revoke_calendar_feeds(
        &self,
        feed: &CalendarFeed,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
}

/// Whether a log-in attempt may go on to the password check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginGate {
    /// Counted; verify the password.
    Go,
    /// Too many failures on `key`: try again at `until` (nothing was counted).
    Wait {
        /// When to try again.
        until: DateTime<Utc>,
        /// The throttle key that is full.
        key: String,
    },
}

/// What a calendar feed shows: one person's shifts, or a whole service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarFeed {
    /// One person's shifts.
    Person(PersonId),
    /// A whole service.
    Service(ServiceId),
}
