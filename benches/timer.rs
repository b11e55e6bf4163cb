//! Benchmark of the escalation timer: 10,000 open cases whose first step falls
//! due within 5 seconds, fired by the real scheduler loop on a real SQLite
//! file and then on a real PostgreSQL database. Reports how late steps fire
//! (median, p99, max) and the memory used, next to an anchor run in the same
//! process at the same time: the same deadlines on a plain in-memory tokio
//! timer (what the durable timer gives up for surviving a crash).
//!
//! Every page is delivered as it would be by a channel that answers at
//! once: the outbox's own work (claim, record the delivery, commit) runs
//! beside the timer as in service, the network does not
//! (AKUTLINJE_BENCH_SENDERS=none: no senders, every page falls over to the
//! record instead).
//!
//! Run: `cargo bench --bench timer` (AKUTLINJE_BENCH_CASES=N to change the
//! size; AKUTLINJE_BENCH_BACKENDS=sqlite or postgres for one backend;
//! PostgreSQL at AKUTLINJE_TEST_POSTGRES_URL, default
//! postgres://postgres@127.0.0.1:5432/postgres, in a throwaway database).

use std::sync::Arc;
use std::time::Instant;

use akutlinje_core::engine::{Checklist, Urgency};
use akutlinje_core::escalation::{Notification, NotifyChannel, SendError, Sender};
use akutlinje_core::i18n::Localizer;
use akutlinje_core::ids::CaseId;
use akutlinje_core::person::Person;
use akutlinje_core::record::{Author, Channel, EventKind, NewEvent};
use akutlinje_core::store::{NewCase, Store};
use akutlinje_scheduler::escalation::{run, Escalator, Outbox, Policies, SystemClock};
use chrono::{DateTime, Duration, Utc};

/// A channel that delivers at once.
struct AtOnce(NotifyChannel);

#[async_trait::async_trait]
impl Sender for AtOnce {
    fn channel(&self) -> NotifyChannel {
        self.0
    }
    async fn send(&self, n: &Notification, _to: &Person) -> Result<Option<String>, SendError> {
        Ok(Some(format!("bench:{}", n.id)))
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.to_string())
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn summary(name: &str, mut late_ms: Vec<f64>) -> (f64, f64, f64) {
    late_ms.sort_by(|a, b| a.total_cmp(b));
    let (m, p99, max) = (
        percentile(&late_ms, 0.5),
        percentile(&late_ms, 0.99),
        late_ms.last().copied().unwrap_or(f64::NAN),
    );
    println!(
        "{name:<28} fired {:>6}  late median {m:>8.1} ms  p99 {p99:>8.1} ms  max {max:>8.1} ms",
        late_ms.len()
    );
    (m, p99, max)
}

/// The anchor: every deadline on a tokio timer in memory.
async fn anchor(dues: &[DateTime<Utc>]) -> Vec<f64> {
    let mut handles = Vec::with_capacity(dues.len());
    for due in dues {
        let due = *due;
        handles.push(tokio::spawn(async move {
            let wait = (due - Utc::now()).to_std().unwrap_or_default();
            tokio::time::sleep(wait).await;
            (Utc::now() - due).num_microseconds().unwrap_or(0) as f64 / 1000.0
        }));
    }
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        if let Ok(v) = h.await {
            out.push(v);
        }
    }
    out
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::var("AKUTLINJE_BENCH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let backends =
        std::env::var("AKUTLINJE_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    for backend in backends.split(',').map(str::trim) {
        match backend {
            "sqlite" => {
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite://{}", dir.path().join("bench.db").display());
                bench(n, "SQLite", &url).await?;
            }
            "postgres" => {
                let pg = akutlinje_store::testing::postgres().await;
                let url = pg.url.clone();
                let result = bench(n, "PostgreSQL", &url).await;
                pg.drop_db().await;
                result?;
            }
            other => anyhow::bail!("unknown backend {other:?} (sqlite, postgres)"),
        }
    }
    println!(
        "peak memory (VmHWM, whole process incl. anchors): {:.1} MiB",
        peak_rss_mib()
    );
    Ok(())
}

/// One run on one backend: `n` cases due over 5 s, the anchor beside it.
async fn bench(n: usize, name: &str, url: &str) -> anyhow::Result<()> {
    println!("\n== {name}");
    let store: Arc<dyn Store> = akutlinje_store::connect(url).await?;
    akutlinje::demo::seed(&store).await?;
    let loc = Arc::new(Localizer::builtin()?);
    let def = Arc::new(Checklist::builtin_acute(&loc)?);

    // Cases whose first step falls due over a 5-second window starting 3 s
    // after they are all stored.
    let setup = Instant::now();
    // Storing costs a few ms a case (one commit each): start after that.
    let start = Utc::now() + Duration::seconds(3) + Duration::milliseconds(n as i64 * 10);
    let window_ms = 5_000;
    let mut dues = Vec::with_capacity(n);
    let anna = Some("anna".parse()?);
    for i in 0..n {
        let due = start + Duration::milliseconds((i as i64 * window_ms) / n as i64);
        let case = CaseId::from_uuid(uuid::Uuid::new_v4());
        let ev = |kind| NewEvent {
            at: due,
            author: Author::system(),
            channel: Channel::System,
            kind,
            corrects: None,
            external_id: None,
        };
        store
            .create_case(
                &NewCase {
                    id: case,
                    home: "solgaarden".parse()?,
                    opened_at: due,
                    opened_by: anna.clone(),
                    channel: Channel::Console,
                },
                &[ev(EventKind::CaseOpened {
                    home: "solgaarden".parse()?,
                })],
                &serde_json::json!({}),
            )
            .await?;
        store
            .commit_step(
                case,
                0,
                &[ev(EventKind::PageRequested {
                    urgency: Urgency::Routine,
                })],
                &serde_json::json!({}),
            )
            .await?;
        dues.push((case, due));
    }
    println!(
        "stored {n} paged cases in {:.1} s",
        setup.elapsed().as_secs_f64()
    );
    let wait = (start - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait / 2).await;

    // The anchor's deadlines are the same instants: both run side by side.
    let anchor_dues: Vec<DateTime<Utc>> = dues.iter().map(|(_, d)| *d).collect();
    let anchor_task = tokio::spawn(async move { anchor(&anchor_dues).await });

    let escalator = Escalator::new(
        store.clone(),
        Policies::default_policies()?,
        "akutlaege".parse()?,
        def,
        loc,
        "bench",
    );
    let senders: Vec<Arc<dyn Sender>> =
        if std::env::var("AKUTLINJE_BENCH_SENDERS").as_deref() == Ok("none") {
            vec![]
        } else {
            NotifyChannel::ALL
                .into_iter()
                .map(|c| Arc::new(AtOnce(c)) as Arc<dyn Sender>)
                .collect()
        };
    let outbox = Outbox::new(store.clone(), senders, "bench");
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let runner = tokio::spawn(run(
        escalator,
        outbox,
        Arc::new(SystemClock),
        std::time::Duration::from_millis(200),
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        },
    ));
    // Until every case's first step has fired (or 120 s).
    let deadline = Instant::now() + std::time::Duration::from_secs(120);
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let last = dues.last().map(|(c, _)| *c);
        let done = match last {
            Some(c) => store.escalation(c).await?.is_some_and(|e| e.step > 0),
            None => true,
        };
        if done || Instant::now() > deadline {
            break;
        }
    }
    let _ = stop.send(true);
    let _ = runner.await;

    // Lateness: when the page was stored (its notification's creation, real
    // time at commit) minus when the step was due.
    let sql =
        "SELECT case_id, MIN(created_at) FROM notifications WHERE kind = 'page' GROUP BY case_id";
    let rows: Vec<(String, DateTime<Utc>)> = if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await?;
        sqlx::query_as(sql).fetch_all(&pool).await?
    } else {
        let pool = sqlx::PgPool::connect(url).await?;
        let rows = sqlx::query_as(sql).fetch_all(&pool).await?;
        pool.close().await;
        rows
    };
    let created: std::collections::HashMap<String, DateTime<Utc>> = rows.into_iter().collect();
    let mut late = Vec::with_capacity(n);
    let mut missing = 0;
    for (case, due) in &dues {
        match created.get(&case.to_string()) {
            Some(at) => late.push((*at - *due).num_microseconds().unwrap_or(0) as f64 / 1000.0),
            None => missing += 1,
        }
    }
    let anchor_late = anchor_task.await?;
    println!("cases: {n}, fired: {}, not fired: {missing}", late.len());
    let (m1, p1, x1) = summary(&format!("durable timer ({name})"), late);
    let (m0, p0, x0) = summary("anchor: in-memory tokio", anchor_late);
    println!(
        "ratio durable/anchor       median {:>8.1}x  p99 {:>8.1}x  max {:>8.1}x",
        m1 / m0.max(0.001),
        p1 / p0.max(0.001),
        x1 / x0.max(0.001)
    );
    Ok(())
}
