//! The HTTP server under hostile input: out-of-range values answer 422, a
//! panicking handler answers 500 and leaves the server up, a client that
//! trickles its headers is cut off, every page carries its security
//! headers, and the API's query and body parsing is fuzzed (proptest over
//! the real router on a real SQLite file with the demo data).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{AppOptions, Db, TestApp};
use akutlinje::app::{router, AppState};
use akutlinje_core::i18n::Lang;
use akutlinje_core::ids::CaseId;
use akutlinje_core::record::Channel;
use chrono::Utc;

/// A server on a free port with `extra` routes; returns its base URL.
async fn serve(db: &Db, extra: axum::Router, header_timeout: Duration) -> String {
    let o = AppOptions {
        routes: Some(extra),
        header_timeout: Some(header_timeout),
        ..AppOptions::default()
    };
    TestApp::spawn_with(db, o).await.base
}

#[tokio::test]
async fn out_of_range_times_and_numbers_answer_422_not_a_dropped_connection() {
    let db = Db::sqlite().await;
    let base = serve(&db, axum::Router::new(), Duration::from_secs(10)).await;
    let http = reqwest::Client::new();
    let token = db.token("dr-lund");
    for (path, field) in [
        (
            "/api/v1/oncall?service=akutlaege&at=%2B262142-12-31%2012:00",
            "at",
        ),
        (
            "/api/v1/oncall?service=akutlaege&at=-262143-01-01%2000:00",
            "at",
        ),
        (
            "/api/v1/oncall?service=akutlaege&at=99999-01-01T00:00:00Z",
            "at",
        ),
        (
            "/api/v1/oncall?service=akutlaege&at=1200-01-01%2000:00",
            "at",
        ),
        (
            "/api/v1/rotas/gaps?service=akutlaege&from=%2B262142-12-31%2012:00",
            "from",
        ),
        (
            "/api/v1/rotas/gaps?service=akutlaege&days=4294967295",
            "days",
        ),
        ("/api/v1/cases?limit=-1", "limit"),
        ("/api/v1/cases?limit=99999999999999999999", "limit"),
    ] {
        let r = http
            .get(format!("{base}{path}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: the connection was dropped: {e}"));
        assert_eq!(r.status(), 422, "{path}");
        let body: serde_json::Value = r.json().await.expect("JSON");
        assert!(
            body["error"].as_str().is_some_and(|e| e.contains(field)),
            "{path}: {body}"
        );
    }
    // The same through the web page's week and month.
    let r = http
        .get(format!(
            "{base}/api/v1/oncall?service=akutlaege&at=2026-11-25%2003:00"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    db.close().await;
}

/// Captures log lines in this test process (each test runs in its own
/// process under nextest).
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_panicking_handler_answers_500_logs_ids_only_and_the_server_stays_up() {
    let logs = Captured::default();
    let writer = logs.clone();
    let _ = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .try_init();
    let db = Db::sqlite().await;
    let extra = axum::Router::new().route(
        "/test/boom/{id}",
        axum::routing::get(|| async {
            let crash = || -> &'static str { panic!("Karen Jensen, CPR 010203-1234") };
            crash()
        }),
    );
    let base = serve(&db, extra, Duration::from_secs(10)).await;
    let http = reqwest::Client::new();
    let r = http
        .get(format!("{base}/test/boom/42"))
        .send()
        .await
        .expect("an answer, not a dropped connection");
    assert_eq!(r.status(), 500);
    assert_eq!(
        r.json::<serde_json::Value>().await.expect("JSON")["error"],
        "internal error"
    );
    let r = http
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("up");
    assert_eq!(r.status(), 200);
    let text = String::from_utf8(logs.0.lock().expect("lock").clone()).expect("utf-8");
    assert!(text.contains("panicked"), "{text}");
    assert!(text.contains("/test/boom/42"), "the request's path: {text}");
    assert!(
        !text.contains("Karen") && !text.contains("010203"),
        "the panic message must not reach the log: {text}"
    );
    db.close().await;
}

#[tokio::test]
async fn a_client_that_trickles_its_headers_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let db = Db::sqlite().await;
    let base = serve(&db, axum::Router::new(), Duration::from_secs(1)).await;
    let addr = base.trim_start_matches("http://").to_string();
    let mut slow = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let started = Instant::now();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    // One header byte every 300 ms: never a complete request.
    let mut closed_after = None;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        if slow.write_all(b"X").await.is_err() {
            closed_after = Some(started.elapsed());
            break;
        }
        let mut buf = [0u8; 256];
        match tokio::time::timeout(Duration::from_millis(1), slow.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed_after = Some(started.elapsed());
                break;
            }
            Ok(Ok(n)) => {
                // A 408 before closing is fine too.
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                assert!(head.contains("408"), "{head}");
                closed_after = Some(started.elapsed());
                break;
            }
            Err(_) => {}
        }
    }
    let closed_after = closed_after.expect("the slow client was never cut off");
    assert!(
        closed_after < Duration::from_secs(3),
        "cut off after {closed_after:?}"
    );
    // Everyone else is served meanwhile.
    let r = reqwest::get(format!("{base}/healthz")).await.expect("up");
    assert_eq!(r.status(), 200);
    db.close().await;
}

#[tokio::test]
async fn every_page_carries_its_security_headers() {
    let db = Db::sqlite().await;
    let base = serve(&db, axum::Router::new(), Duration::from_secs(10)).await;
    for path in [
        "/login",
        "/healthz",
        "/api/v1/cases",
        "/rota",
        "/static/app.css",
        "/nowhere",
    ] {
        let r = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("request");
        let h = r.headers();
        let csp = h
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp:?}");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp:?}");
        assert_eq!(
            h.get("x-frame-options").and_then(|v| v.to_str().ok()),
            Some("DENY"),
            "{path}"
        );
        assert_eq!(
            h.get("x-content-type-options")
                .and_then(|v| v.to_str().ok()),
            Some("nosniff"),
            "{path}"
        );
    }
    // The log-in page has no inline style the policy would block.
    let page = reqwest::get(format!("{base}/login"))
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    assert!(
        !page.contains("<style") && !page.contains("style="),
        "{page}"
    );
    assert!(page.contains("/static/app.css"));
    db.close().await;
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    use tower::ServiceExt;

    fn text_value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("+262142-12-31 12:00".to_string()),
            Just("-262143-01-01T00:00:00Z".to_string()),
            Just("2026-11-25 03:00".to_string()),
            Just("2026-W48".to_string()),
            Just("+99999-W01".to_string()),
            Just("262142-13".to_string()),
            Just("2026-11".to_string()),
            Just("solgaarden".to_string()),
            Just("akutlaege".to_string()),
            Just("r-karen".to_string()),
            Just("18446744073709551616".to_string()),
            Just("-1".to_string()),
            Just("0".to_string()),
            Just("NaN".to_string()),
            Just("1e309".to_string()),
            Just("csv".to_string()),
            Just("json".to_string()),
            "[a-z0-9_-]{0,12}",
            "\\PC{0,24}",
            any::<i64>().prop_map(|n| n.to_string()),
        ]
    }

    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null)),
            text_value().prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("resp_rate".to_string()),
                        Just("spo2".to_string()),
                        Just("spo2_scale".to_string()),
                        Just("oxygen".to_string()),
                        Just("systolic".to_string()),
                        Just("pulse".to_string()),
                        Just("consciousness".to_string()),
                        Just("temp".to_string()),
                        Just("temp_site".to_string()),
                        Just("text".to_string()),
                        Just("corrects".to_string()),
                        Just("disposition".to_string()),
                        Just("advice".to_string()),
                        Just("home".to_string()),
                        Just("room_id".to_string()),
                        Just("id".to_string()),
                        "[a-z_]{1,10}",
                    ],
                    inner,
                    0..6
                )
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    #[derive(Debug, Clone)]
    struct Req {
        method: &'static str,
        path: String,
        query: Vec<(String, String)>,
        body: Vec<u8>,
        content_type: Option<&'static str>,
        who: Option<&'static str>,
    }

    fn request(case: String) -> impl Strategy<Value = Req> {
        // Each route with the method it answers; now and then another one.
        let templates = [
            ("POST", "/api/v1/scores/news2"),
            ("POST", "/api/v1/scores/tobs"),
            ("GET", "/api/v1/residents"),
            ("POST", "/api/v1/residents"),
            ("GET", "/api/v1/residents/{x}"),
            ("GET", "/api/v1/cases"),
            ("GET", "/api/v1/cases/{x}"),
            ("GET", "/api/v1/cases/{x}/print"),
            ("POST", "/api/v1/cases/{x}/notes"),
            ("POST", "/api/v1/cases/{x}/ack"),
            ("POST", "/api/v1/cases/{x}/decline"),
            ("POST", "/api/v1/cases/{x}/disposition"),
            ("GET", "/api/v1/oncall"),
            ("GET", "/api/v1/rotas/gaps"),
            ("GET", "/api/v1/access-log"),
            ("GET", "/api/v1/rooms"),
            ("DELETE", "/api/v1/rooms/{x}"),
            ("GET", "/api/v1/homes/{x}/rooms"),
            ("POST", "/api/v1/homes/{x}/rooms"),
            ("GET", "/calendar/{x}"),
            ("GET", "/login"),
            ("POST", "/login"),
            ("GET", "/rota"),
            ("GET", "/rota/month"),
            ("GET", "/cases"),
            ("GET", "/cases/{x}"),
            ("GET", "/figures"),
            ("GET", "/healthz"),
            ("GET", "/readyz"),
        ];
        let segment = prop_oneof![
            Just(case),
            Just("r-karen".to_string()),
            Just("solgaarden".to_string()),
            Just("%21room%3Alocalhost".to_string()),
            Just(uuid::Uuid::nil().to_string()),
            "[a-zA-Z0-9%._~-]{0,40}",
        ];
        let keys = prop_oneof![
            Just("home"),
            Just("limit"),
            Just("service"),
            Just("at"),
            Just("from"),
            Just("to"),
            Just("days"),
            Just("week"),
            Just("month"),
            Just("lang"),
            Just("resident"),
            Just("format"),
        ];
        (
            prop::sample::select(templates.to_vec()),
            prop::option::weighted(
                0.1,
                prop::sample::select(vec!["GET", "POST", "PUT", "DELETE"]),
            ),
            segment,
            prop::collection::vec((keys, text_value()), 0..4),
            prop_oneof![
                json_value().prop_map(|v| v.to_string().into_bytes()),
                prop::collection::vec(any::<u8>(), 0..64),
                Just(b"id,home,room,name\nx,solgaarden,99,Test\n".to_vec()),
            ],
            prop::sample::select(vec![
                None,
                Some("application/json"),
                Some("text/csv"),
                Some("application/x-www-form-urlencoded"),
            ]),
            prop::sample::select(vec![
                None,
                Some("anna"),
                Some("bo"),
                Some("dr-lund"),
                Some("karin"),
                Some("admin"),
            ]),
        )
            .prop_map(
                |((method, template), other, x, query, body, content_type, who)| Req {
                    method: other.unwrap_or(method),
                    path: template.replace("{x}", &x),
                    query: query.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
                    body,
                    content_type,
                    who,
                },
            )
    }

    /// Every request the generator makes is answered without a panic and
    /// without a 5xx. `AKUTLINJE_FUZZ_CASES` sets the number of requests
    /// (default 1500 in the test suite).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[allow(clippy::result_large_err)] // proptest's own error type
    async fn the_api_answers_every_generated_request_without_a_5xx() {
        let db = Db::sqlite().await;
        let h = db.hotline();
        let anna = db.person("anna").await;
        let home = db.home("solgaarden").await;
        let case = CaseId::from_uuid(uuid::Uuid::new_v4());
        h.open_case(case, &anna, &home, Channel::Console, Lang::Da, Utc::now())
            .await
            .expect("case");
        for text in ["12", "3"] {
            h.input(case, &anna, Channel::Console, text, None, Utc::now())
                .await
                .expect("input");
        }
        let app = router(AppState::new(db.hotline(), db.store.clone(), Lang::Da));
        let tokens: std::collections::HashMap<&str, String> =
            ["anna", "bo", "dr-lund", "karin", "admin"]
                .into_iter()
                .map(|p| (p, db.token(p)))
                .collect();
        let cases: u32 = std::env::var("AKUTLINJE_FUZZ_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1500);
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        });
        let handle = tokio::runtime::Handle::current();
        let started = Instant::now();
        let statuses = std::sync::Mutex::new(std::collections::BTreeMap::<u16, u32>::new());
        let result = tokio::task::block_in_place(|| {
            runner.run(&request(case.to_string()), |req| {
                let mut uri = req.path.clone();
                if !req.query.is_empty() {
                    let q = form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(&req.query)
                        .finish();
                    uri = format!("{uri}?{q}");
                }
                let mut b = axum::http::Request::builder().method(req.method).uri(&uri);
                if let Some(ct) = req.content_type {
                    b = b.header("content-type", ct);
                }
                if let Some(who) = req.who {
                    b = b.header("authorization", format!("Bearer {}", tokens[who]));
                }
                let Ok(request) = b.body(axum::body::Body::from(req.body.clone())) else {
                    // Not a request a client could send (a bad URI).
                    return Ok(());
                };
                let resp = handle
                    .block_on(app.clone().oneshot(request))
                    .map_err(|e| TestCaseError::fail(format!("{e}")))?;
                let status = resp.status().as_u16();
                if let Ok(mut s) = statuses.lock() {
                    *s.entry(status).or_default() += 1;
                }
                prop_assert!(status < 500, "{} {uri} -> {status}", req.method);
                Ok(())
            })
        });
        eprintln!(
            "fuzzed {cases} requests in {:.1} s; statuses {:?}",
            started.elapsed().as_secs_f64(),
            statuses.lock().map(|s| s.clone()).unwrap_or_default()
        );
        result.expect("no request makes the API fail");
        db.close().await;
    }
}
