//! The outbox: stored notifications sent per channel, with retries and fall-over.

use super::*;

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
        if !self.ready(channel) {
            return Ok(0);
        }
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
            if free > 0 && self.ready(channel) {
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

    /// Whether this instance sends on `channel` now (see `Sender::ready`).
    /// A channel without a sender is claimed all the same: its
    /// notifications fail over to the next channel.
    fn ready(&self, channel: NotifyChannel) -> bool {
        self.senders.get(&channel).is_none_or(|s| s.ready())
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
                counted(n, "sent");
                if n.new.kind == NotificationKind::Page {
                    metrics::counter!("akutlinje_pages_sent_total", "channel" => n.new.channel.as_str())
                        .increment(1);
                }
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
                counted(n, "retry");
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
                counted(n, "failed");
            }
        }
        Ok(())
    }
}

/// Counts an outbox result for the metrics.
fn counted(n: &Notification, outcome: &'static str) {
    metrics::counter!(
        "akutlinje_notifications_total",
        "kind" => n.new.kind.as_str(),
        "channel" => n.new.channel.as_str(),
        "outcome" => outcome,
    )
    .increment(1);
}

/// The record's channel of a notification channel.
fn record_channel(c: NotifyChannel) -> Channel {
    match c {
        NotifyChannel::Matrix => Channel::Matrix,
        NotifyChannel::Sms | NotifyChannel::Voice => Channel::Twilio,
        NotifyChannel::Log => Channel::System,
    }
}
