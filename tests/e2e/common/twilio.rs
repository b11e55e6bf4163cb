//! A Twilio peer for tests: a local server standing in for Twilio's REST API
//! (it records every request and checks what Twilio checks: the account's
//! Basic auth, the required fields, E.164 numbers), a webhook driver that
//! signs like Twilio, a TwiML checker, and Twilio's own Python library.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use base64::Engine as _;

pub const ACCOUNT: &str = "AC00000000000000000000000000000001";
pub const TOKEN: &str = "test-auth-token-0123456789abcdef";
pub const HOTLINE: &str = "+4570100100";

/// One request the fake Twilio received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub auth: Option<String>,
    pub content_type: Option<String>,
    pub form: Vec<(String, String)>,
    /// When it arrived.
    pub at: chrono::DateTime<chrono::Utc>,
}

impl Req {
    pub fn get(&self, k: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Default)]
struct FakeState {
    log: Arc<Mutex<Vec<Req>>>,
    /// Attempts per "To" number (for the retry behaviours).
    attempts: Arc<Mutex<HashMap<String, u32>>>,
    counter: Arc<Mutex<u32>>,
    /// While set, calls are recorded and then never answered (a carrier
    /// that accepted the connection and hangs).
    hang_calls: Arc<std::sync::atomic::AtomicBool>,
}

/// The fake REST API.
pub struct FakeTwilio {
    pub url: String,
    state: FakeState,
    /// The bytes served for every recording.
    pub recording: Vec<u8>,
}

impl FakeTwilio {
    pub async fn start() -> FakeTwilio {
        FakeTwilio::serving(wav_bytes()).await
    }

    /// A fake that serves `recording` for every recording (speech, say).
    pub async fn serving(recording: Vec<u8>) -> FakeTwilio {
        let state = FakeState::default();
        let rec = recording.clone();
        let app = axum::Router::new()
            .fallback(
                move |s: State<FakeState>, m: Method, u: Uri, h: HeaderMap, b: Bytes| {
                    let rec = rec.clone();
                    async move { handle(s, m, u, h, b, rec).await }
                },
            )
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeTwilio {
            url,
            state,
            recording,
        }
    }

    /// Calls hang (recorded, never answered) while `on`.
    pub fn hang_calls(&self, on: bool) {
        self.state
            .hang_calls
            .store(on, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn requests(&self) -> Vec<Req> {
        self.state.log.lock().expect("lock").clone()
    }

    pub fn clear(&self) {
        self.state.log.lock().expect("lock").clear();
    }
}

/// A short valid WAV file (8 kHz, µ-law header not needed: PCM silence + tone).
fn wav_bytes() -> Vec<u8> {
    let samples: Vec<i16> = (0..8000)
        .map(|i| ((i as f32 * 0.3).sin() * 8000.0) as i16)
        .collect();
    let data_len = (samples.len() * 2) as u32;
    let mut v = Vec::new();
    v.extend(b"RIFF");
    v.extend((36 + data_len).to_le_bytes());
    v.extend(b"WAVEfmt ");
    v.extend(16u32.to_le_bytes());
    v.extend(1u16.to_le_bytes());
    v.extend(1u16.to_le_bytes());
    v.extend(8000u32.to_le_bytes());
    v.extend(16000u32.to_le_bytes());
    v.extend(2u16.to_le_bytes());
    v.extend(16u16.to_le_bytes());
    v.extend(b"data");
    v.extend(data_len.to_le_bytes());
    for s in samples {
        v.extend(s.to_le_bytes());
    }
    v
}

fn error(status: StatusCode, code: i64, message: &str) -> axum::response::Response {
    (
        status,
        axum::Json(
            serde_json::json!({"code": code, "message": message, "status": status.as_u16()}),
        ),
    )
        .into_response()
}

async fn handle(
    State(s): State<FakeState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    recording: Vec<u8>,
) -> axum::response::Response {
    let form: Vec<(String, String)> = form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let req = Req {
        method: method.to_string(),
        path: uri.path().to_string(),
        auth: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        content_type: headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        form: form.clone(),
        at: chrono::Utc::now(),
    };
    s.log.lock().expect("lock").push(req.clone());
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT}:{TOKEN}"))
    );
    if req.auth.as_deref() != Some(expected.as_str()) {
        return error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    let prefix = format!("/2010-04-01/Accounts/{ACCOUNT}/");
    let Some(rest) = req.path.strip_prefix(&prefix) else {
        return error(
            StatusCode::NOT_FOUND,
            20404,
            "The requested resource was not found",
        );
    };
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if method == Method::GET && rest.starts_with("Recordings/") {
        return ([("content-type", "audio/x-wav")], recording).into_response();
    }
    if method != Method::POST {
        return error(StatusCode::METHOD_NOT_ALLOWED, 20004, "Method not allowed");
    }
    let to = get("To");
    if let Some(to) = &to {
        let valid =
            to.starts_with('+') && to.len() > 6 && to[1..].chars().all(|c| c.is_ascii_digit());
        if !valid || to == "+4599000400" {
            return error(
                StatusCode::BAD_REQUEST,
                21211,
                &format!("The 'To' number {to} is not a valid phone number."),
            );
        }
        if to == "+4599000503" {
            let mut a = s.attempts.lock().expect("lock");
            let n = a.entry(to.clone()).or_insert(0);
            *n += 1;
            if *n <= 2 {
                return error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    20503,
                    "Service unavailable",
                );
            }
        }
    }
    let next = {
        let mut c = s.counter.lock().expect("lock");
        *c += 1;
        *c
    };
    let created = StatusCode::CREATED;
    if rest == "Messages.json" {
        if to.is_none() || get("From").is_none() || get("Body").is_none() {
            return error(
                StatusCode::BAD_REQUEST,
                21604,
                "A 'To', 'From' and 'Body' are required",
            );
        }
        return (
            created,
            axum::Json(serde_json::json!({"sid": format!("SM{next:032}"), "status": "queued", "account_sid": ACCOUNT})),
        )
            .into_response();
    }
    if rest == "Calls.json" && s.hang_calls.load(std::sync::atomic::Ordering::SeqCst) {
        std::future::pending::<()>().await;
    }
    if rest == "Calls.json" {
        if to.is_none() || get("From").is_none() || (get("Url").is_none() && get("Twiml").is_none())
        {
            return error(StatusCode::BAD_REQUEST, 21205, "Url or Twiml is required");
        }
        return (
            created,
            axum::Json(serde_json::json!({"sid": format!("CA{next:032}"), "status": "queued", "account_sid": ACCOUNT})),
        )
            .into_response();
    }
    if let Some(sid) = rest
        .strip_prefix("Calls/")
        .and_then(|r| r.strip_suffix(".json"))
    {
        return (
            StatusCode::OK,
            axum::Json(serde_json::json!({"sid": sid, "status": get("Status").unwrap_or_else(|| "in-progress".into())})),
        )
            .into_response();
    }
    if let Some(conf) = rest
        .strip_prefix("Conferences/")
        .and_then(|r| r.strip_suffix("/Participants.json"))
    {
        return (
            created,
            axum::Json(serde_json::json!({"call_sid": format!("CA{next:032}"), "conference_sid": conf, "account_sid": ACCOUNT})),
        )
            .into_response();
    }
    error(
        StatusCode::NOT_FOUND,
        20404,
        "The requested resource was not found",
    )
}

/// Twilio's Python library (installed by scripts/twilio-venv.sh).
pub fn python() -> String {
    if let Ok(p) = std::env::var("AKUTLINJE_TWILIO_PYTHON") {
        return p;
    }
    let out = Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/twilio-venv.sh"
        ))
        .stderr(Stdio::inherit())
        .output()
        .expect("run twilio-venv.sh");
    assert!(out.status.success(), "twilio-venv.sh failed");
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_string()
}

/// Runs a Python script with JSON on stdin; returns its stdout as JSON.
pub fn run_python(script: &str, input: &serde_json::Value) -> serde_json::Value {
    use std::io::Write;
    let mut child = Command::new(python())
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.to_string().as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("python output");
    assert!(out.status.success(), "python failed");
    serde_json::from_slice(&out.stdout).expect("python printed JSON")
}

/// Every verb and attribute Twilio documents for what we send (TwiML
/// reference: Say, Play, Pause, Gather, Record, Dial, Conference, Number,
/// Redirect, Hangup, Message), with the children each may hold.
fn allowed(name: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    Some(match name {
        "Response" => (
            &[],
            &[
                "Say", "Play", "Pause", "Gather", "Record", "Dial", "Redirect", "Hangup", "Message",
            ],
        ),
        "Say" => (&["voice", "language", "loop"], &[]),
        "Play" => (&["loop", "digits"], &[]),
        "Pause" => (&["length"], &[]),
        "Gather" => (
            &[
                "action",
                "method",
                "timeout",
                "finishOnKey",
                "numDigits",
                "input",
                "actionOnEmptyResult",
                "language",
                "hints",
                "speechTimeout",
            ],
            &["Say", "Play", "Pause"],
        ),
        "Record" => (
            &[
                "action",
                "method",
                "timeout",
                "finishOnKey",
                "maxLength",
                "playBeep",
                "trim",
                "recordingStatusCallback",
                "recordingStatusCallbackMethod",
                "recordingStatusCallbackEvent",
            ],
            &[],
        ),
        "Dial" => (
            &[
                "action",
                "method",
                "timeout",
                "callerId",
                "hangupOnStar",
                "timeLimit",
                "answerOnBridge",
            ],
            &["Number", "Conference"],
        ),
        "Conference" => (
            &[
                "muted",
                "beep",
                "startConferenceOnEnter",
                "endConferenceOnExit",
                "waitUrl",
                "waitMethod",
                "maxParticipants",
                "statusCallback",
                "statusCallbackMethod",
                "statusCallbackEvent",
                "participantLabel",
            ],
            &[],
        ),
        "Number" => (&["sendDigits", "url", "method"], &[]),
        "Redirect" => (&["method"], &[]),
        "Hangup" => (&[], &[]),
        "Message" => (&["to", "from", "action", "method", "statusCallback"], &[]),
        _ => return None,
    })
}

/// Parses a TwiML answer and checks every element and attribute against
/// Twilio's documentation; returns the document's elements as
/// `(name, attributes, text)` in order.
pub fn check_twiml(xml: &str) -> Vec<(String, HashMap<String, String>, String)> {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("not XML ({e}): {xml}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "Response", "{xml}");
    let mut out = Vec::new();
    for node in root.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        let (attrs, children) = allowed(name)
            .unwrap_or_else(|| panic!("<{name}> is not a TwiML verb we may use: {xml}"));
        for a in node.attributes() {
            assert!(
                attrs.contains(&a.name()),
                "<{name} {}> is not documented: {xml}",
                a.name()
            );
            let v = a.value();
            match a.name() {
                "method"
                | "waitMethod"
                | "statusCallbackMethod"
                | "recordingStatusCallbackMethod" => {
                    assert!(v == "POST" || v == "GET", "{name}@{}={v}", a.name())
                }
                "input" => assert_eq!(v, "dtmf"),
                "numDigits" | "timeout" | "maxLength" | "length" | "loop" => {
                    assert!(v.parse::<u32>().is_ok(), "{name}@{}={v}", a.name())
                }
                "finishOnKey" => assert!(
                    v.chars()
                        .all(|c| c.is_ascii_digit() || c == '#' || c == '*'),
                    "{v}"
                ),
                "beep" | "startConferenceOnEnter" | "endConferenceOnExit" | "playBeep" => {
                    assert!(v == "true" || v == "false", "{name}@{}={v}", a.name())
                }
                "statusCallbackEvent" if name == "Conference" => assert!(
                    v.split(' ').all(|e| [
                        "start",
                        "end",
                        "join",
                        "leave",
                        "mute",
                        "hold",
                        "modify",
                        "speaker",
                        "announcement"
                    ]
                    .contains(&e)),
                    "{v}"
                ),
                "action" | "waitUrl" | "statusCallback" | "recordingStatusCallback" => {
                    assert!(
                        v.starts_with("http://") || v.starts_with("https://"),
                        "{name}@{}={v}",
                        a.name()
                    )
                }
                _ => {}
            }
        }
        for c in node.children().filter(|c| c.is_element()) {
            assert!(
                children.contains(&c.tag_name().name()),
                "<{}> inside <{name}>: {xml}",
                c.tag_name().name()
            );
        }
        if name != "Response" {
            let attrs = node
                .attributes()
                .map(|a| (a.name().to_string(), a.value().to_string()))
                .collect();
            out.push((
                name.to_string(),
                attrs,
                node.text().unwrap_or_default().trim().to_string(),
            ));
        }
    }
    out
}

/// Signs and posts webhooks the way Twilio does.
pub struct Webhooks {
    pub base: String,
    http: reqwest::Client,
}

impl Webhooks {
    pub fn new(base: String) -> Webhooks {
        Webhooks {
            base,
            http: reqwest::Client::new(),
        }
    }

    pub fn sign(&self, url: &str, params: &[(&str, &str)]) -> String {
        let p: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        akutlinje_telephony::signature::sign(
            TOKEN.as_bytes(),
            url,
            &p,
            akutlinje_telephony::signature::Algorithm::HmacSha1,
        )
    }

    /// Posts a signed webhook; returns (status, body).
    pub async fn post(&self, path: &str, params: &[(&str, &str)]) -> (u16, String) {
        let url = format!("{}{path}", self.base);
        let sig = self.sign(&url, params);
        self.post_raw(&url, params, Some(&sig), None).await
    }

    pub async fn post_raw(
        &self,
        url: &str,
        params: &[(&str, &str)],
        sig: Option<&str>,
        settings: Option<&str>,
    ) -> (u16, String) {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let mut r = self
            .http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(s) = sig {
            r = r.header("X-Twilio-Signature", s);
        }
        if let Some(s) = settings {
            r = r.header("X-Twilio-Webhooks-Signature-Settings", s);
        }
        let resp = r.send().await.expect("webhook request");
        let status = resp.status().as_u16();
        (status, resp.text().await.expect("body"))
    }
}
