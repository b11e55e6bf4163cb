//! The log-in page under attack: 500 clients sending wrong passwords at
//! once, each from its own loopback address (so the per-source throttle
//! does not simply turn them all away), against a real `akutlinje serve
//! --demo` on a SQLite file. Measured in two phases of the same run, the
//! anchor first: without the attack, then during it —
//!
//! - `/healthz` latency (p50, p99),
//! - a web page (`GET /login`) latency,
//! - a physician page: a red-flag case is opened at the console, and once
//!   its first page is out the paged physician declines over the API; the
//!   time until the next page is delivered is the scheduler's latency,
//! - the server's peak resident memory (VmHWM, and VmRSS sampled).
//!
//! Run: `cargo bench --bench login_attack` (AKUTLINJE_BENCH_SECONDS=N per
//! phase, default 20; AKUTLINJE_BENCH_ATTACKERS, default 500).

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn stats(mut v: Vec<f64>) -> String {
    v.sort_by(f64::total_cmp);
    format!(
        "{:>7.1} / {:>7.1} ms (n={})",
        percentile(&v, 0.5),
        percentile(&v, 0.99),
        v.len()
    )
}

struct Server {
    child: Child,
    base: String,
    tokens: std::collections::HashMap<String, String>,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

async fn start(dir: &std::path::Path) -> Server {
    use std::io::BufRead;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_akutlinje"))
        .args(["serve", "--demo", "--bind", &format!("127.0.0.1:{port}")])
        .env("AKUTLINJE_DATABASE_URL", &url)
        .env("AKUTLINJE_LOG", "warn")
        .env("AKUTLINJE_VOICE_MODEL", dir.join("no-model.bin"))
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let mut tokens = std::collections::HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while tokens.len() < 6 {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("serve printed its demo tokens");
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() == 3 && words[2].starts_with("akl_") {
            tokens.insert(words[0].to_string(), words[2].to_string());
        }
    }
    std::thread::spawn(move || while rx.recv().is_ok() {});
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    while http.get(format!("{base}/healthz")).send().await.is_err() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Server {
        child,
        base,
        tokens,
        url,
    }
}

/// Opens a red-flag case at the console; returns its id.
fn red_flag_case(url: &str) -> String {
    use std::io::Write;
    let mut c = Command::new(env!("CARGO_BIN_EXE_akutlinje"))
        .args(["console", "--home", "solgaarden", "--as", "anna"])
        .env("AKUTLINJE_DATABASE_URL", url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("console");
    {
        let mut i = c.stdin.take().expect("stdin");
        let _ = writeln!(i, "14\n3\nafbryd");
    }
    let out = c.wait_with_output().expect("console");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .next()
        .and_then(|l| l.strip_prefix("Sag "))
        .expect("a case id")
        .trim()
        .to_string()
}

async fn events(http: &reqwest::Client, s: &Server, case: &str) -> Vec<serde_json::Value> {
    let r = http
        .get(format!("{}/api/v1/cases/{case}", s.base))
        .bearer_auth(&s.tokens["admin"])
        .send()
        .await;
    match r {
        Ok(r) => r
            .json::<serde_json::Value>()
            .await
            .ok()
            .and_then(|v| v["events"].as_array().cloned())
            .unwrap_or_default(),
        Err(_) => vec![],
    }
}

fn delivered(ev: &[serde_json::Value]) -> usize {
    ev.iter()
        .filter(|e| e["kind"]["kind"] == "notification_delivered")
        .count()
}

/// The delivered notifications of a case, read from the database itself
/// (not through the HTTP server under attack, which would measure the
/// probe rather than the page).
async fn delivered_in_db(
    store: &std::sync::Arc<dyn akutlinje_core::store::Store>,
    case: &str,
) -> usize {
    let Some(id) = akutlinje_core::ids::CaseId::parse(case) else {
        return 0;
    };
    store
        .events(id)
        .await
        .map(|ev| {
            ev.iter()
                .filter(|e| {
                    matches!(
                        e.event.kind,
                        akutlinje_core::record::EventKind::NotificationDelivered { .. }
                    )
                })
                .count()
        })
        .unwrap_or(0)
}

/// Decline → next page delivered, and decline answered → next page
/// delivered (the scheduler's part alone), in ms; `None` if it never came.
async fn page_latency(http: &reqwest::Client, s: &Server) -> Option<(f64, f64)> {
    let store = akutlinje_store::connect(&s.url).await.ok()?;
    let case = tokio::task::spawn_blocking({
        let url = s.url.clone();
        move || red_flag_case(&url)
    })
    .await
    .ok()?;
    // The first page (the scheduler's poll finds a case opened elsewhere).
    let deadline = Instant::now() + Duration::from_secs(20);
    let (paged, before) = loop {
        let ev = events(http, s, &case).await;
        let who = ev.iter().find_map(|e| {
            (e["kind"]["kind"] == "page_sent")
                .then(|| e["kind"]["person"].as_str().map(str::to_string))?
        });
        if let (Some(p), n) = (who, delivered(&ev)) {
            if n > 0 {
                break (p, n);
            }
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let started = Instant::now();
    let r = http
        .post(format!("{}/api/v1/cases/{case}/decline", s.base))
        .bearer_auth(&s.tokens[&paged])
        .send()
        .await
        .ok()?;
    if !r.status().is_success() {
        return None;
    }
    let answered = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if delivered_in_db(&store, &case).await > before {
            return Some((
                started.elapsed().as_secs_f64() * 1000.0,
                answered.elapsed().as_secs_f64() * 1000.0,
            ));
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

struct Phase {
    healthz: Vec<f64>,
    login_page: Vec<f64>,
    pages: Vec<f64>,
    scheduler: Vec<f64>,
    missed_pages: usize,
    peak_rss_kb: u64,
}

async fn phase(s: &Server, seconds: u64) -> Phase {
    let http = reqwest::Client::new();
    let stop = Instant::now() + Duration::from_secs(seconds);
    let pid = s.child.id();
    let mut peak = 0;
    let mut healthz = Vec::new();
    let mut login_page = Vec::new();
    let probe = async {
        while Instant::now() < stop {
            let t = Instant::now();
            if http.get(format!("{}/healthz", s.base)).send().await.is_ok() {
                healthz.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            let t = Instant::now();
            if let Ok(r) = http.get(format!("{}/login", s.base)).send().await {
                let _ = r.bytes().await;
                login_page.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            peak = peak.max(kb(pid, "VmRSS:"));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let mut pages = Vec::new();
    let mut scheduler = Vec::new();
    let mut missed = 0;
    let paging = async {
        while Instant::now() < stop {
            match page_latency(&http, s).await {
                Some((ms, sched)) => {
                    pages.push(ms);
                    scheduler.push(sched);
                }
                None => missed += 1,
            }
        }
    };
    tokio::join!(probe, paging);
    Phase {
        healthz,
        login_page,
        pages,
        scheduler,
        missed_pages: missed,
        peak_rss_kb: peak.max(kb(pid, "VmHWM:")),
    }
}

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::var("AKUTLINJE_BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let attackers: usize = std::env::var("AKUTLINJE_BENCH_ATTACKERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let dir = tempfile::tempdir().expect("dir");
    let s = start(dir.path()).await;
    eprintln!("server up (pid {}), {seconds} s per phase", s.child.id());
    let anchor = phase(&s, seconds).await;
    let anchor_hwm = kb(s.child.id(), "VmHWM:");

    let running = Arc::new(AtomicBool::new(true));
    let counts: Arc<[AtomicU64; 4]> = Arc::new(Default::default());
    let mut tasks = Vec::new();
    for i in 0..attackers {
        let (running, counts, base) = (running.clone(), counts.clone(), s.base.clone());
        tasks.push(tokio::spawn(async move {
            let ip: std::net::IpAddr = format!("127.1.{}.{}", i / 250, i % 250 + 1)
                .parse()
                .expect("ip");
            let c = reqwest::Client::builder()
                .local_address(ip)
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client");
            let mut n = 0u64;
            while running.load(Ordering::Relaxed) {
                n += 1;
                let r = c
                    .post(format!("{base}/login"))
                    .form(&[("person", "karin"), ("password", &format!("gæt-{i}-{n}"))])
                    .send()
                    .await;
                let slot = match r.map(|r| r.status().as_u16()) {
                    Ok(401) => 0,
                    Ok(429) => 1,
                    Ok(_) => 2,
                    Err(_) => 3,
                };
                counts[slot].fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    // Let the attack ramp up before measuring.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let attack = phase(&s, seconds).await;
    running.store(false, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    let c: Vec<u64> = counts.iter().map(|a| a.load(Ordering::Relaxed)).collect();
    println!("login attack bench: {attackers} concurrent clients with wrong passwords, each from its own address; {seconds} s per phase");
    println!(
        "| phase | /healthz p50 / p99 | GET /login p50 / p99 | physician page (decline sent → next page delivered) p50 / p99 | of which after the decline was answered | pages missed | peak RSS |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (name, p, hwm) in [
        ("no attack (anchor)", &anchor, anchor_hwm),
        (
            "500 wrong log-ins at once",
            &attack,
            kb(s.child.id(), "VmHWM:"),
        ),
    ] {
        println!(
            "| {name} | {} | {} | {} | {} | {} | {:.1} MB |",
            stats(p.healthz.clone()),
            stats(p.login_page.clone()),
            stats(p.pages.clone()),
            stats(p.scheduler.clone()),
            p.missed_pages,
            hwm.max(p.peak_rss_kb) as f64 / 1024.0
        );
    }
    println!(
        "attack requests: {} checked and refused (401), {} held back or busy (429), {} other, {} failed to connect",
        c[0], c[1], c[2], c[3]
    );
    let ratio = |a: &[f64], b: &[f64]| {
        let mut a = a.to_vec();
        let mut b = b.to_vec();
        a.sort_by(f64::total_cmp);
        b.sort_by(f64::total_cmp);
        percentile(&b, 0.5) / percentile(&a, 0.5)
    };
    println!(
        "ratios (attack / anchor, p50): /healthz {:.2}x, GET /login {:.2}x, physician page {:.2}x",
        ratio(&anchor.healthz, &attack.healthz),
        ratio(&anchor.login_page, &attack.login_page),
        ratio(&anchor.pages, &attack.pages)
    );
}
