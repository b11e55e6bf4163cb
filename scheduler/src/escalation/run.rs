//! The loops that drive escalation and the outbox, the heartbeat, and the clocks they read.

use super::*;

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
            let next = escalator.next_due().await.ok().flatten();
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
