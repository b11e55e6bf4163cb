//! Metrics as an operator's Prometheus sees them: a real Prometheus (Debian's
//! `prometheus`) scrapes `/metrics` every second while a phone case runs
//! from the first ring to the physician's acknowledgement, and the values
//! are read back through Prometheus's own query API. The shipped alert
//! rules are checked and unit-tested with `promtool`.

use super::*;

use std::process::{Child, Command, Stdio};

/// A Prometheus server in a temporary directory, stopped on drop.
struct Prometheus {
    child: Child,
    url: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Prometheus {
    /// Starts Prometheus scraping `target` (host:port) every second.
    async fn scraping(target: &str) -> Prometheus {
        let dir = tempfile::tempdir().expect("temporary directory");
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: akutlinje\n    metrics_path: /metrics\n    \
                 static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .expect("write the configuration");
        let port = free_port();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start prometheus (Debian package prometheus; scripts/test.sh installs it)");
        let p = Prometheus {
            child,
            url: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
            _dir: dir,
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let ready = p
                .http
                .get(format!("{}/-/ready", p.url))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                return p;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "prometheus did not get ready"
            );
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }

    /// An instant query: each series' labels and value.
    async fn query(&self, q: &str) -> Vec<(serde_json::Value, f64)> {
        let body: serde_json::Value = self
            .http
            .get(format!("{}/api/v1/query", self.url))
            .query(&[("query", q)])
            .send()
            .await
            .expect("query prometheus")
            .json()
            .await
            .expect("prometheus answers JSON");
        assert_eq!(body["status"], "success", "{q}: {body}");
        body["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|r| {
                let v = r["value"][1]
                    .as_str()
                    .and_then(|s| s.parse::<f64>().ok())
                    .unwrap_or(f64::NAN);
                (r["metric"].clone(), v)
            })
            .collect()
    }

    /// Waits (up to 30 s of scrapes) until `q` has one value meeting
    /// `ok`; returns it, or fails with the last answer.
    async fn until(&self, q: &str, ok: impl Fn(f64) -> bool) -> f64 {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let r = self.query(q).await;
            if let Some((_, v)) = r.iter().find(|(_, v)| ok(*v)) {
                return *v;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{q}: no value as expected after 30 s; last answer {r:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_a_phone_case_from_the_first_ring_to_the_acknowledgement() {
    let r = rig().await;
    let target = r
        .hooks
        .base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let prom = Prometheus::scraping(&target).await;
    // Prometheus reaches the service (the scrape itself is up).
    prom.until("up{job=\"akutlinje\"}", |v| v == 1.0).await;

    // Anna calls, keys her PIN, room 12 and medium vital signs: a page to
    // dr-lund by SMS (the medium policy).
    let call = "CA00000000000000000000000000000901";
    let case = r
        .checklist_by_keys(
            call,
            "12",
            ["22", "95", "2", "125", "98", "1", "38*9"],
            "RE0901",
        )
        .await;
    r.tick(Utc::now()).await;
    let page = r
        .fake
        .requests()
        .into_iter()
        .find(|q| q.path.ends_with("/Messages.json") && q.get("To") == Some(LUND))
        .expect("the page went to dr-lund by SMS");
    assert!(page.get("Body").is_some_and(|b| b.contains(&case.code())));
    // He acknowledges by SMS.
    r.hook(
        "/twilio/sms/incoming",
        &[
            ("MessageSid", "SM901"),
            ("From", LUND),
            ("Body", &format!("OK {}", case.code())),
        ],
    )
    .await;

    // What Prometheus now holds.
    prom.until("akutlinje_cases_opened_total{channel=\"twilio\"}", |v| {
        v == 1.0
    })
    .await;
    prom.until("akutlinje_pages_requested_total{urgency=\"medium\"}", |v| {
        v == 1.0
    })
    .await;
    prom.until("akutlinje_pages_sent_total{channel=\"sms\"}", |v| v == 1.0)
        .await;
    prom.until("akutlinje_pages_acknowledged_total", |v| v == 1.0)
        .await;
    prom.until("akutlinje_page_first_send_seconds_count", |v| v == 1.0)
        .await;
    // Sent within the tick right after the request: well under 30 s.
    let first = prom
        .until("akutlinje_page_first_send_seconds_sum", |v| v >= 0.0)
        .await;
    assert!(first < 30.0, "first send after {first} s");
    prom.until("akutlinje_page_acknowledge_seconds_count", |v| v == 1.0)
        .await;
    prom.until("akutlinje_escalation_lag_seconds_count", |v| v >= 1.0)
        .await;
    prom.until(
        "akutlinje_case_events_total{kind=\"page_acknowledged\"}",
        |v| v == 1.0,
    )
    .await;
    // The webhooks by route template: every keypress of the checklist.
    let gathers = prom
        .until(
            "sum(akutlinje_http_request_duration_seconds_count{route=\"/twilio/voice/gather\",status=\"200\"})",
            |v| v >= 9.0,
        )
        .await;
    assert!(gathers >= 9.0);
    // Percentiles work on the exported histogram.
    prom.until(
        "histogram_quantile(0.99, sum by (le) (akutlinje_http_request_duration_seconds_bucket{route=\"/twilio/voice/gather\"}))",
        |v| v > 0.0 && v < 30.0,
    )
    .await;
    // Nothing waits in the outbox; no step is overdue.
    prom.until("akutlinje_outbox_pending{channel=\"sms\"}", |v| v == 0.0)
        .await;
    prom.until("akutlinje_escalations_pending", |v| v == 0.0)
        .await;
    prom.until("akutlinje_database_up", |v| v == 1.0).await;

    // No personal data in any label: no case id or code, no phone number,
    // no person, home or resident.
    let series = prom.query("{__name__=~\"akutlinje_.+\"}").await;
    assert!(series.len() > 20, "{} series", series.len());
    let forbidden = [
        case.to_string(),
        case.code(),
        ANNA.to_string(),
        LUND.to_string(),
        "anna".into(),
        "dr-lund".into(),
        "solgaarden".into(),
        "Solgården".into(),
        "Østergaard".into(),
        call.to_string(),
    ];
    for (labels, _) in &series {
        let text = labels.to_string();
        for f in &forbidden {
            assert!(!text.contains(f.as_str()), "{f} in a label: {text}");
        }
    }
    r.close().await;
}

/// The example alert rules are valid for Prometheus, and fire when they
/// should: `promtool test rules` with synthetic series.
#[test]
fn the_example_alert_rules_pass_promtool() {
    let rules = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/prometheus/akutlinje-alerts.yml"
    );
    promtool(&["check", "rules", rules]);
    let tests = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/prometheus/akutlinje-alerts.test.yml"
    );
    promtool(&["test", "rules", tests]);
}

/// Runs promtool; it must succeed and say so.
fn promtool(args: &[&str]) {
    let out = Command::new("promtool")
        .args(args)
        .output()
        .expect("run promtool (Debian package prometheus)");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{said}");
    assert!(said.contains("SUCCESS"), "{said}");
}
