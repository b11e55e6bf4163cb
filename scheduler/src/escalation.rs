//! Escalation that never drops a page: durable steps claimed from the
//! database, and the notification outbox.
//!
//! Every pending step is a row (`Store::claim_due_escalations`); firing a step
//! stores its notifications and record events and moves the row on in one
//! transaction, fenced by the claim, so two instances never fire the same step
//! and a crash loses none (an unfinished claim expires and is taken again).
//! Senders only ever see notifications that are already stored.

use std::collections::HashMap;
use std::sync::Arc;

use akutlinje_core::engine::{CaseState, Checklist, Urgency};
use akutlinje_core::escalation::{
    Escalation, EscalationNext, EscalationState, NewNotification, Notification, NotificationKind,
    NotifyChannel, Policy,
};
use akutlinje_core::i18n::{Lang, Localizer, Msg};
use akutlinje_core::ids::{CaseId, PersonId};
use akutlinje_core::person::Person;
use akutlinje_core::record::{AccessAction, AccessEntry, Author, Channel, EventKind, NewEvent};
use akutlinje_core::rota::ServiceId;
use akutlinje_core::store::{EscalationStore, StoreError};

use crate::Ports;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use crate::rota::Rota;

/// Why the scheduler could not do its work. Logged and retried on the next tick.
#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The policies file does not parse or names an unknown urgency.
    #[error("escalation policies: {0}")]
    Policy(String),
    /// The stored rota no longer parses.
    #[error("the rota of {service} is invalid: {detail}")]
    Rota {
        /// The service.
        service: ServiceId,
        /// What is wrong.
        detail: String,
    },
}

/// The escalation policies, one per urgency.
#[derive(Debug, Clone)]
pub struct Policies(HashMap<Urgency, Policy>);

impl Policies {
    /// The table in docs/design.md § Urgency (`scheduler/policies.toml`).
    pub fn default_policies() -> Result<Policies, SchedulerError> {
        Policies::parse(include_str!("../policies.toml"))
    }

    /// Parses a policy file; every urgency must have a policy with steps.
    pub fn parse(toml_src: &str) -> Result<Policies, SchedulerError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            policy: Vec<Policy>,
        }
        let f: File =
            toml::from_str(toml_src).map_err(|e| SchedulerError::Policy(e.to_string()))?;
        let mut map = HashMap::new();
        for p in f.policy {
            if p.steps.is_empty() {
                return Err(SchedulerError::Policy(format!(
                    "{}: a policy needs at least one step",
                    p.urgency.as_str()
                )));
            }
            if p.steps
                .iter()
                .any(|s| s.tier.is_some() == s.person.is_some())
            {
                return Err(SchedulerError::Policy(format!(
                    "{}: every step names either a tier or a person",
                    p.urgency.as_str()
                )));
            }
            if p.steps
                .iter()
                .any(|s| s.channels.is_empty() || s.wait_minutes == 0)
            {
                return Err(SchedulerError::Policy(format!(
                    "{}: every step needs a channel and a wait",
                    p.urgency.as_str()
                )));
            }
            if map.insert(p.urgency, p.clone()).is_some() {
                return Err(SchedulerError::Policy(format!(
                    "{}: defined twice",
                    p.urgency.as_str()
                )));
            }
        }
        for u in [
            Urgency::Red,
            Urgency::High,
            Urgency::Medium,
            Urgency::Low,
            Urgency::Routine,
        ] {
            if !map.contains_key(&u) {
                return Err(SchedulerError::Policy(format!(
                    "no policy for urgency {}",
                    u.as_str()
                )));
            }
        }
        Ok(Policies(map))
    }

    /// The policy of an urgency.
    pub fn get(&self, u: Urgency) -> Option<&Policy> {
        self.0.get(&u)
    }
}

/// Where the escalation goes after `e` fired, per `policy`. The step index
/// equal to the number of steps means "the last wait is over": exhaust.
pub fn next_after(
    policy: &Policy,
    e: &Escalation,
    now: DateTime<Utc>,
    paged: bool,
) -> EscalationNext {
    let n = policy.steps.len() as u32;
    if e.step >= n {
        return EscalationNext {
            step: e.step,
            round: e.round,
            due_at: now,
            state: EscalationState::Exhausted,
        };
    }
    // Nobody on call: go on at once rather than wait for nobody.
    let wait = if paged {
        Duration::minutes(i64::from(policy.steps[e.step as usize].wait_minutes))
    } else {
        Duration::zero()
    };
    let (step, round) = if e.step + 1 < n {
        (e.step + 1, e.round)
    } else if e.round < policy.repeats {
        (0, e.round + 1)
    } else {
        (n, e.round)
    };
    EscalationNext {
        step,
        round,
        due_at: now + wait,
        state: EscalationState::Pending,
    }
}

fn system_event(at: DateTime<Utc>, kind: EventKind) -> NewEvent {
    NewEvent {
        at,
        author: Author::system(),
        channel: Channel::System,
        kind,
        corrects: None,
        external_id: None,
    }
}

/// Fires escalation steps.
#[derive(Clone)]
pub struct Escalator {
    db: Ports,
    policies: Policies,
    service: ServiceId,
    def: Arc<Checklist>,
    loc: Arc<Localizer>,
    worker: String,
    lease: Duration,
    batch: u32,
    has_voice: bool,
}

impl Escalator {
    /// Pages of cases opened by phone also call the physician (when a voice
    /// channel exists), so they can join the waiting caller.
    pub fn with_phone_bridge(mut self, on: bool) -> Escalator {
        self.has_voice = on;
        self
    }

    /// Claims at most `n` steps at a time (default 50), so instances share work.
    pub fn with_batch(mut self, n: u32) -> Escalator {
        self.batch = n.max(1);
        self
    }

    /// An escalator paging through `service`'s rota, as worker `worker`.
    pub fn new(
        store: impl Into<Ports>,
        policies: Policies,
        service: ServiceId,
        def: Arc<Checklist>,
        loc: Arc<Localizer>,
        worker: impl Into<String>,
    ) -> Escalator {
        Escalator {
            db: store.into(),
            policies,
            service,
            def,
            loc,
            worker: worker.into(),
            lease: Duration::seconds(60),
            batch: 50,
            has_voice: false,
        }
    }

    /// Fires every step due at `now`; returns how many fired.
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<usize, SchedulerError> {
        let mut fired = 0;
        loop {
            let claimed = self
                .db
                .outbox
                .claim_due_escalations(now, &self.worker, self.lease, self.batch)
                .await?;
            if claimed.is_empty() {
                return Ok(fired);
            }
            let rota = Rota::parse(self.db.rota.rota(&self.service).await?).map_err(|e| {
                SchedulerError::Rota {
                    service: self.service.clone(),
                    detail: e.to_string(),
                }
            })?;
            for e in claimed {
                if self.fire(&rota, &e, now).await? {
                    fired += 1;
                }
            }
        }
    }

    async fn case_state(&self, case: CaseId) -> Result<Option<CaseState>, SchedulerError> {
        match self.db.record.engine_state(case).await {
            Ok(state) => Ok(state.map(|(s, _)| s)),
            // A page still goes out without the state's details.
            Err(StoreError::Corrupt(e)) => {
                tracing::warn!(case = %case, error = %e, "case state unreadable");
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Fires one claimed step. False when another worker got there first.
    async fn fire(
        &self,
        rota: &Rota,
        e: &Escalation,
        now: DateTime<Utc>,
    ) -> Result<bool, SchedulerError> {
        let Some(policy) = self.policies.get(e.urgency) else {
            return Err(SchedulerError::Policy(format!(
                "no policy for urgency {}",
                e.urgency.as_str()
            )));
        };
        let state = self.case_state(e.case).await?;
        let lang = state.as_ref().map_or(Lang::Da, |s| s.lang);
        let mut notifications = Vec::new();
        let mut events = Vec::new();
        let n_steps = policy.steps.len() as u32;
        let next = if e.step >= n_steps {
            // The last wait is over: alert the coordinator, tell the staff.
            events.push(system_event(now, EventKind::EscalationExhausted));
            let coordinator = rota.on_call(&policy.alert_tier, now).map(|s| s.person);
            if let Some(p) = &coordinator {
                let text = self.alert_text(e, state.as_ref(), lang);
                notifications.push(self.notification(
                    e.case,
                    p.clone(),
                    NotificationKind::Alert,
                    &[
                        NotifyChannel::Matrix,
                        NotifyChannel::Sms,
                        NotifyChannel::Voice,
                    ],
                    text,
                    now,
                ));
            }
            events.push(system_event(
                now,
                EventKind::CoordinatorAlerted {
                    person: coordinator.clone(),
                },
            ));
            let staff = state.as_ref().and_then(|s| s.caller.person.clone());
            if let (Some(p), Some(s)) = (&staff, &state) {
                let id = if s.admission_ruled_out() {
                    "escalation-exhausted-limited"
                } else {
                    "escalation-exhausted"
                };
                let text = self.loc.render(lang, &Msg::new(id));
                notifications.push(self.notification(
                    e.case,
                    p.clone(),
                    NotificationKind::StaffAdvice,
                    &[NotifyChannel::Matrix, NotifyChannel::Sms],
                    text,
                    now,
                ));
            }
            events.push(system_event(now, EventKind::StaffAdvised { person: staff }));
            next_after(policy, e, now, true)
        } else {
            let step = &policy.steps[e.step as usize];
            let who = match (&step.person, &step.tier) {
                (Some(p), _) => Some(p.clone()),
                (None, Some(tier)) => rota.on_call(tier, now).map(|seg| seg.person),
                (None, None) => None,
            };
            match who {
                Some(person) => {
                    let text = self.page_text(e, state.as_ref(), lang);
                    // A page goes out on every channel of the step at once
                    // (docs/design.md § Urgency: "every channel"), each falling back to the
                    // record. A caller waiting on the phone needs the
                    // physician on the phone too: their case is also called.
                    let mut channels = step.channels.clone();
                    let by_phone = matches!(
                        self.db.record.case(e.case).await?.map(|c| c.channel),
                        Some(Channel::Twilio | Channel::Sip)
                    );
                    if by_phone && self.has_voice && !channels.contains(&NotifyChannel::Voice) {
                        channels.push(NotifyChannel::Voice);
                    }
                    for channel in &channels {
                        notifications.push(self.notification(
                            e.case,
                            person.clone(),
                            NotificationKind::Page,
                            &[*channel],
                            text.clone(),
                            now,
                        ));
                    }
                    let reason = if e.step == 0 && e.round == 0 {
                        "first_page"
                    } else {
                        "no_acknowledgement"
                    };
                    events.push(system_event(
                        now,
                        EventKind::PageSent {
                            person,
                            tier: step.tier.clone(),
                            channels,
                            step: e.step,
                            round: e.round,
                            reason: reason.into(),
                        },
                    ));
                    next_after(policy, e, now, true)
                }
                None => {
                    let tier = step
                        .tier
                        .clone()
                        .unwrap_or_else(|| policy.alert_tier.clone());
                    events.push(system_event(
                        now,
                        EventKind::NobodyOnCall {
                            tier,
                            step: e.step,
                            round: e.round,
                        },
                    ));
                    next_after(policy, e, now, false)
                }
            }
        };
        let done = self
            .db
            .outbox
            .fire_escalation(e, &self.worker, next, &notifications, &events)
            .await?;
        if done.is_some() {
            tracing::info!(case = %e.case, urgency = e.urgency.as_str(), step = e.step, round = e.round, notifications = notifications.len(), "escalation step fired");
        }
        Ok(done.is_some())
    }

    /// One notification on the first channel; the others, then the record, as fall-over.
    fn notification(
        &self,
        case: CaseId,
        person: PersonId,
        kind: NotificationKind,
        channels: &[NotifyChannel],
        text: String,
        now: DateTime<Utc>,
    ) -> NewNotification {
        let mut chain: Vec<NotifyChannel> = channels.to_vec();
        if !chain.contains(&NotifyChannel::Log) {
            chain.push(NotifyChannel::Log);
        }
        let channel = chain.remove(0);
        NewNotification {
            case: Some(case),
            person,
            kind,
            channel,
            fallback: chain,
            text,
            not_before: now,
        }
    }

    fn page_text(&self, e: &Escalation, state: Option<&CaseState>, lang: Lang) -> String {
        let title = self.loc.render(
            lang,
            &Msg::new("escalation-page-title")
                .arg_msg("urgency", e.urgency.label())
                .arg("case", e.case),
        );
        let body = state
            .map(|s| s.isbar(&self.def).render(&self.loc, lang))
            .unwrap_or_default();
        let answer = self.loc.text(lang, "escalation-page-answer");
        format!("{title}\n{answer}\n\n{body}")
    }

    fn alert_text(&self, e: &Escalation, state: Option<&CaseState>, lang: Lang) -> String {
        let home = state
            .map(|s| s.caller.home_name.clone())
            .unwrap_or_default();
        self.loc.render(
            lang,
            &Msg::new("escalation-alert")
                .arg("home", home)
                .arg_msg("urgency", e.urgency.label())
                .arg("case", e.case),
        )
    }
}

// The sender port lives in core so channel adapters (bot, telephony) can
// implement it without depending on the scheduler.
pub use akutlinje_core::escalation::{SendError, Sender};

/// The `log` channel: the notification is delivered into the case record
/// (its `notification_delivered` event), nowhere else.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogSender;

#[async_trait]
impl Sender for LogSender {
    fn channel(&self) -> NotifyChannel {
        NotifyChannel::Log
    }
    async fn send(&self, n: &Notification, _to: &Person) -> Result<Option<String>, SendError> {
        Ok(Some(format!("record:{}", n.id)))
    }
}

/// Sends what the outbox holds, with retries and fall-over. Each channel is
/// sent on its own with bounded concurrency: a homeserver that accepts and
/// never answers holds up its own Matrix sends, never an SMS, a voice page
/// or an escalation step.
#[derive(Clone)]
pub struct Outbox {
    db: Ports,
    senders: HashMap<NotifyChannel, Arc<dyn Sender>>,
    worker: String,
    lease: Duration,
    /// Sends in flight at once per channel.
    per_channel: usize,
    /// Attempts on one channel before falling over to the next.
    pub max_attempts: u32,
    /// Woken when notifications were queued (one per channel).
    queued: Arc<HashMap<NotifyChannel, Arc<tokio::sync::Notify>>>,
}

impl Outbox {
    /// An outbox with the given senders (the log sender is always there).
    pub fn new(
        store: impl Into<Ports>,
        senders: Vec<Arc<dyn Sender>>,
        worker: impl Into<String>,
    ) -> Outbox {
        let mut map: HashMap<NotifyChannel, Arc<dyn Sender>> = HashMap::new();
        map.insert(NotifyChannel::Log, Arc::new(LogSender));
        for s in senders {
            map.insert(s.channel(), s);
        }
        let queued = NotifyChannel::ALL
            .into_iter()
            .map(|c| (c, Arc::new(tokio::sync::Notify::new())))
            .collect();
        Outbox {
            db: store.into(),
            senders: map,
            worker: worker.into(),
            lease: Duration::seconds(60),
            per_channel: 8,
            max_attempts: 4,
            queued: Arc::new(queued),
        }
    }

    /// Capped exponential backoff: 10 s, 20 s, 40 s, ... at most 5 min.
    pub fn backoff(attempts: u32) -> Duration {
        Duration::seconds((10_i64 << attempts.min(5)).min(300))
    }

    /// Sends at most `n` at once per channel (default 8).
    pub fn with_per_channel(mut self, n: usize) -> Outbox {
        self.per_channel = n.max(1);
        self
    }

    /// Tells every channel's loop that notifications were queued.
    pub fn wake(&self) {
        for n in self.queued.values() {
            n.notify_one();
        }
    }

    /// Sends everything due at `now` on every channel, the channels side by
    /// side; returns how many were handled (for tests and one-off runs).
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<usize, SchedulerError> {
        let mut set = tokio::task::JoinSet::new();
        for channel in NotifyChannel::ALL {
            let me = self.clone();
            set.spawn(async move { me.tick_channel(channel, now).await });
        }
        let mut handled = 0;
        let mut first_error = None;
        while let Some(r) = set.join_next().await {
            match r {
                Ok(Ok(n)) => handled += n,
                Ok(Err(e)) => {
                    first_error.get_or_insert(e);
                }
                Err(e) => tracing::error!(error = %e, "an outbox channel task failed"),
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(handled),
        }
    }

    async fn tick_channel(
        &self,
        channel: NotifyChannel,
        now: DateTime<Utc>,
    ) -> Result<usize, SchedulerError> {
        let mut handled = 0;
        loop {
            let batch = self
                .db
                .outbox
                .claim_due_notifications_on(channel, now, &self.worker, self.lease, 50)
                .await?;
            if batch.is_empty() {
                return Ok(handled);
            }
            let sem = Arc::new(tokio::sync::Semaphore::new(self.per_channel));
            let mut set = tokio::task::JoinSet::new();
            for n in batch {
                let Ok(permit) = sem.clone().acquire_owned().await else {
                    break;
                };
                let me = self.clone();
                set.spawn(async move {
                    let _permit = permit;
                    me.deliver(&n, now).await
                });
            }
            while let Some(r) = set.join_next().await {
                match r {
                    Ok(Ok(())) => handled += 1,
                    Ok(Err(e)) => return Err(e),
                    Err(e) => tracing::error!(error = %e, "a send task failed"),
                }
            }
        }
    }

    /// Runs one loop per channel until `shutdown`: each claims only as many
    /// notifications as it has free send slots, with the lease starting at
    /// the claim, and checks before sending that the lease still holds.
    pub async fn run(
        self,
        clock: Arc<dyn Clock>,
        poll: std::time::Duration,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut set = tokio::task::JoinSet::new();
        for channel in NotifyChannel::ALL {
            let me = self.clone();
            let clock = clock.clone();
            let shutdown = shutdown.clone();
            set.spawn(async move { me.run_channel(channel, clock, poll, shutdown).await });
        }
        while set.join_next().await.is_some() {}
    }

    async fn run_channel(
        &self,
        channel: NotifyChannel,
        clock: Arc<dyn Clock>,
        poll: std::time::Duration,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) {
        let slots = Arc::new(tokio::sync::Semaphore::new(self.per_channel));
        let freed = Arc::new(tokio::sync::Notify::new());
        let queued = self.queued.get(&channel).cloned().unwrap_or_default();
        loop {
            let free = slots.available_permits();
            let mut claimed_all = true;
            if free > 0 {
                let now = clock.now();
                match self
                    .db
                    .outbox
                    .claim_due_notifications_on(channel, now, &self.worker, self.lease, free as u32)
                    .await
                {
                    Ok(batch) => {
                        claimed_all = batch.len() < free;
                        for n in batch {
                            let Ok(permit) = slots.clone().try_acquire_owned() else {
                                break;
                            };
                            let (me, clock, freed) = (self.clone(), clock.clone(), freed.clone());
                            tokio::spawn(async move {
                                let _permit = permit;
                                // The lease runs from the claim: a send that
                                // could not start before it ran out is left
                                // to whoever claims the notification next.
                                let sending = clock.now();
                                if sending > now + me.lease - Duration::seconds(5) {
                                    tracing::warn!(
                                        notification = n.id,
                                        "lease ran out before sending; left for the next claim"
                                    );
                                } else if let Err(e) = me.deliver(&n, sending).await {
                                    tracing::error!(notification = n.id, error = %e, "recording a send failed");
                                }
                                freed.notify_one();
                            });
                        }
                    }
                    Err(e) => {
                        tracing::error!(channel = channel.as_str(), error = %e, "outbox claim failed; retrying")
                    }
                }
            }
            if !claimed_all && slots.available_permits() > 0 {
                continue;
            }
            let wait = match self.db.outbox.next_notification_due_on(channel).await {
                Ok(Some(t)) => (t - clock.now())
                    .to_std()
                    .unwrap_or(std::time::Duration::ZERO)
                    .min(poll),
                _ => poll,
            };
            tokio::select! {
                _ = shutdown.wait_for(|s| *s) => return,
                _ = tokio::time::sleep(wait) => {}
                _ = queued.notified() => {}
                _ = freed.notified() => {}
            }
        }
    }

    async fn deliver(&self, n: &Notification, now: DateTime<Utc>) -> Result<(), SchedulerError> {
        let person = self.db.people.person(&n.new.person).await?;
        let result = match (self.senders.get(&n.new.channel), &person) {
            (Some(s), Some(p)) => s.send(n, p).await,
            (None, _) => Err(SendError {
                retryable: false,
                message: format!("no {} sender is configured", n.new.channel),
            }),
            (_, None) => Err(SendError {
                retryable: false,
                message: "the person is unknown".into(),
            }),
        };
        let event = |kind| system_event(now, kind);
        match result {
            Ok(external) => {
                let ev = event(EventKind::NotificationDelivered {
                    notification: n.id,
                    channel: n.new.channel,
                    external_id: external.clone(),
                });
                // A page's ISBAR (or a transcript) shown to the physician is
                // a read of the resident's record.
                let discloses = self
                    .senders
                    .get(&n.new.channel)
                    .is_some_and(|s| s.discloses(n));
                let access = match (discloses, n.new.case) {
                    (true, Some(case)) => self.db.record.case(case).await?.and_then(|c| {
                        c.resident.map(|r| {
                            AccessEntry::new(
                                now,
                                Some(n.new.person.clone()),
                                r,
                                Some(case),
                                AccessAction::Read,
                                record_channel(n.new.channel),
                            )
                            .detail(n.new.kind.as_str())
                        })
                    }),
                    _ => None,
                };
                self.db
                    .outbox
                    .notification_sent(
                        n.id,
                        &self.worker,
                        external.as_deref(),
                        Some(&ev),
                        access.as_ref(),
                    )
                    .await?;
                tracing::info!(
                    notification = n.id,
                    channel = n.new.channel.as_str(),
                    "notification delivered"
                );
            }
            Err(err) if err.retryable && n.attempts + 1 < self.max_attempts => {
                let retry = now + Outbox::backoff(n.attempts);
                self.db
                    .outbox
                    .notification_failed(n.id, &self.worker, &err.message, Some(retry), None, None)
                    .await?;
                tracing::warn!(
                    notification = n.id,
                    channel = n.new.channel.as_str(),
                    attempts = n.attempts + 1,
                    "send failed; will retry"
                );
            }
            Err(err) => {
                let fallover = n.new.fallback.first().map(|c| NewNotification {
                    channel: *c,
                    fallback: n.new.fallback[1..].to_vec(),
                    not_before: now,
                    ..n.new.clone()
                });
                let ev = event(EventKind::NotificationFailed {
                    notification: n.id,
                    channel: n.new.channel,
                    error: err.message.clone(),
                    fallover: fallover.as_ref().map(|f| f.channel),
                });
                self.db
                    .outbox
                    .notification_failed(
                        n.id,
                        &self.worker,
                        &err.message,
                        None,
                        fallover.as_ref(),
                        Some(&ev),
                    )
                    .await?;
                // The next channel sends it now, not at its next poll.
                if let Some(next) = fallover.as_ref().and_then(|f| self.queued.get(&f.channel)) {
                    next.notify_one();
                }
                tracing::error!(
                    notification = n.id,
                    channel = n.new.channel.as_str(),
                    "send failed for good; falling over"
                );
            }
        }
        Ok(())
    }
}

/// The record's channel of a notification channel.
fn record_channel(c: NotifyChannel) -> Channel {
    match c {
        NotifyChannel::Matrix => Channel::Matrix,
        NotifyChannel::Sms | NotifyChannel::Voice => Channel::Twilio,
        NotifyChannel::Log => Channel::System,
    }
}

/// A source of "now" (the wall clock, or a test's paused tokio clock).
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Wall-clock time that moves with tokio's clock, so tests can pause and
/// advance it (`tokio::time::pause`) without real sleeps.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    base: DateTime<Utc>,
    start: tokio::time::Instant,
}

impl TokioClock {
    /// A clock that reads `base` now.
    pub fn starting_at(base: DateTime<Utc>) -> TokioClock {
        TokioClock {
            base,
            start: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = tokio::time::Instant::now() - self.start;
        self.base + Duration::from_std(elapsed).unwrap_or_else(|_| Duration::zero())
    }
}

/// Runs escalation and outbox until `shutdown` resolves: overdue work first
/// (after a restart), then sleeping until the next due time, polling at least
/// every `poll` for work other instances stored.
pub async fn run(
    escalator: Escalator,
    outbox: Outbox,
    clock: Arc<dyn Clock>,
    poll: std::time::Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    run_woken(
        escalator,
        outbox,
        clock,
        poll,
        Arc::new(tokio::sync::Notify::new()),
        shutdown,
    )
    .await
}

/// Like [`run`], and also wakes when `wake` is notified (a page was just
/// requested or answered: see `Hotline::on_escalation_change`), so a new
/// page goes out at once rather than at the next poll. The escalation steps
/// and each outbox channel run side by side: none waits for another.
pub async fn run_woken(
    escalator: Escalator,
    outbox: Outbox,
    clock: Arc<dyn Clock>,
    poll: std::time::Duration,
    wake: Arc<tokio::sync::Notify>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let sends = outbox.clone().run(clock.clone(), poll, stop_rx.clone());
    let steps = async {
        let mut stop = stop_rx;
        loop {
            let now = clock.now();
            let failed = match escalator.tick(now).await {
                Ok(n) => {
                    if n > 0 {
                        outbox.wake();
                    }
                    false
                }
                Err(e) => {
                    tracing::error!(error = %e, "escalation tick failed; retrying");
                    true
                }
            };
            let next = escalator
                .db
                .outbox
                .next_escalation_due()
                .await
                .ok()
                .flatten();
            let wait = next
                .map(|t| {
                    (t - clock.now())
                        .to_std()
                        .unwrap_or(std::time::Duration::ZERO)
                })
                .unwrap_or(poll)
                .min(poll);
            // After a failure, wait a whole poll rather than spin on a broken database.
            let wait = if failed { poll } else { wait };
            tokio::select! {
                _ = stop.wait_for(|s| *s) => return,
                _ = tokio::time::sleep(wait) => {}
                _ = wake.notified() => {}
            }
        }
    };
    let stopper = async {
        shutdown.await;
        let _ = stop_tx.send(true);
    };
    tokio::join!(sends, steps, stopper);
}

/// Beats the instance's heart every `every` and releases the claims of
/// instances whose heart stopped (`stale` ago): a page a killed instance
/// had claimed goes out within seconds, not after its lease. At start,
/// instances on this host whose process is gone are released at once.
pub async fn heartbeat(
    store: Arc<dyn EscalationStore>,
    me: akutlinje_core::store::Worker,
    clock: Arc<dyn Clock>,
    every: std::time::Duration,
    stale: Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut dead: Vec<String> = match store.workers_on(&me.host).await {
        Ok(ws) => ws
            .into_iter()
            .filter(|w| w.id != me.id && (w.pid == me.pid || !process_alive(w.pid)))
            .map(|w| w.id)
            .collect(),
        Err(e) => {
            tracing::error!(error = %e, "cannot list this host's instances");
            Vec::new()
        }
    };
    loop {
        let now = clock.now();
        if let Err(e) = store.worker_heartbeat(&me, now).await {
            tracing::error!(error = %e, "heartbeat failed");
        }
        match store.release_dead_workers(now - stale, &dead).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(released = n, "claims of a stopped instance released"),
            Err(e) => tracing::error!(error = %e, "releasing a stopped instance's claims failed"),
        }
        dead.clear();
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}

/// Whether a process of this host is running (Linux: its /proc entry).
fn process_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}
