//! The phone hotline end to end: webhooks signed like Twilio's, driven in
//! the order Twilio sends them, against the real HTTP server and a real
//! SQLite store; outbound requests to a local stand-in for Twilio's REST API,
//! compared with what Twilio's own Python client sends.

use std::sync::Arc;

use crate::common::twilio::{
    check_twiml, run_python, FakeTwilio, Webhooks, ACCOUNT, HOTLINE, TOKEN,
};
use akutlinje_core::escalation::{EscalationState, NotifyChannel};
use akutlinje_core::ids::CaseId;
use akutlinje_core::phone::PhoneNumber;
use akutlinje_core::record::EventKind;
use akutlinje_scheduler::escalation::{Escalator, Outbox, Policies};
use chrono::{DateTime, Duration, Utc};

const ANNA: &str = "+4520000001";
/// Anna's phone PIN (set by an admin; stored hashed).
const PIN: &str = "4711";
const LUND: &str = "+4530000001";
const BERG: &str = "+4530000002";

struct Rig {
    db: crate::common::Db,
    fake: FakeTwilio,
    hooks: Webhooks,
    escalator: Escalator,
    outbox: Outbox,
    stop: tokio::sync::watch::Sender<bool>,
    transcript: std::sync::Mutex<Vec<String>>,
    tel: akutlinje_telephony::Telephony,
    hotline: akutlinje_core::service::Hotline,
}

/// Policies naming people, so the test does not depend on today's rota.
fn policies() -> String {
    r#"
[[policy]]
urgency = "red"
repeats = 1
alert_tier = "coordinator"
steps = [
  { person = "dr-lund", channels = ["voice"], wait_minutes = 2 },
  { person = "dr-berg", channels = ["voice"], wait_minutes = 2 },
]
[[policy]]
urgency = "high"
repeats = 1
alert_tier = "coordinator"
steps = [
  { person = "dr-lund", channels = ["voice"], wait_minutes = 3 },
  { person = "dr-berg", channels = ["voice"], wait_minutes = 3 },
]
[[policy]]
urgency = "medium"
repeats = 1
alert_tier = "coordinator"
steps = [
  { person = "dr-lund", channels = ["sms"], wait_minutes = 10 },
  { person = "dr-berg", channels = ["sms"], wait_minutes = 10 },
]
[[policy]]
urgency = "low"
repeats = 1
alert_tier = "coordinator"
steps = [{ person = "dr-lund", channels = ["sms"], wait_minutes = 30 }]
[[policy]]
urgency = "routine"
repeats = 1
alert_tier = "coordinator"
steps = [{ person = "dr-lund", channels = ["sms"], wait_minutes = 60 }]
"#
    .into()
}

async fn rig() -> Rig {
    rig_signed_with(akutlinje_telephony::signature::Algorithm::HmacSha1).await
}

/// A rig whose line verifies webhooks with `signature`.
async fn rig_signed_with(signature: akutlinje_telephony::signature::Algorithm) -> Rig {
    let db = crate::common::Db::sqlite().await;
    for (id, phone) in [
        ("anna", ANNA),
        ("dr-lund", LUND),
        ("dr-berg", "+45 30 00 00 02"),
    ] {
        let mut p = db
            .store
            .person(&id.parse().expect("id"))
            .await
            .expect("read")
            .expect("demo person");
        p.phone = Some(PhoneNumber::parse(phone).expect("a phone number"));
        db.store.upsert_person(&p).await.expect("phone");
    }
    let hash = akutlinje::web::hash_password(PIN).expect("hash");
    db.store
        .set_person_pin(&"anna".parse().expect("id"), &hash, Utc::now())
        .await
        .expect("pin");
    let fake = FakeTwilio::start().await;
    let hotline = db.hotline();
    let state = akutlinje::app::AppState::new(
        hotline.clone(),
        db.store.clone(),
        akutlinje_core::i18n::Lang::Da,
    );
    let app = akutlinje::app::Application::build("127.0.0.1:0".parse().expect("addr"), state)
        .await
        .expect("bind");
    let base = format!("http://127.0.0.1:{}", app.port());
    let settings = akutlinje::config::TwilioSettings {
        account_sid: ACCOUNT.into(),
        auth_token: TOKEN.into(),
        sha256_key: None,
        signature,
        pin_required: true,
        from: HOTLINE.into(),
        public_url: base.clone(),
        api_base: fake.url.clone(),
        voice: "Polly.Naja".into(),
        hold_music: None,
    };
    let tel = akutlinje::oncall::telephony(
        &settings,
        akutlinje_core::i18n::Lang::Da,
        hotline.clone(),
        db.store.clone(),
        "akutlaege".parse().expect("id"),
    )
    .expect("telephony");
    let app = app.with_routes(tel.router());
    let (stop, mut rx) = tokio::sync::watch::channel(false);
    tokio::spawn(app.run_until(async move {
        let _ = rx.wait_for(|s| *s).await;
    }));
    let escalator = Escalator::new(
        db.store.clone(),
        Policies::parse(&policies()).expect("policies"),
        "akutlaege".parse().expect("id"),
        hotline.checklist().clone(),
        hotline.localizer().clone(),
        "w",
    )
    .with_phone_bridge(true);
    let outbox = Outbox::new(
        db.store.clone(),
        vec![Arc::new(tel.sms_sender()), Arc::new(tel.voice_sender())],
        "w",
    );
    Rig {
        tel: tel.clone(),
        hotline: hotline.clone(),
        db,
        fake,
        hooks: Webhooks::new(base),
        escalator,
        outbox,
        stop,
        transcript: std::sync::Mutex::new(Vec::new()),
    }
}

impl Rig {
    /// Posts a webhook; checks the TwiML; keeps a transcript.
    async fn hook(&self, path: &str, params: &[(&str, &str)]) -> String {
        let (status, body) = self.hooks.post(path, params).await;
        assert_eq!(status, 200, "{path}: {body}");
        check_twiml(&body);
        let keys: Vec<String> = params
            .iter()
            .filter(|(k, _)| {
                [
                    "Digits",
                    "CallStatus",
                    "AnsweredBy",
                    "RecordingDuration",
                    "Body",
                ]
                .contains(k)
            })
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        self.transcript.lock().expect("lock").push(format!(
            "POST {} [{}]\n{body}\n",
            path.split('?').next().unwrap_or(path),
            keys.join(" ")
        ));
        body
    }

    /// The keys of a call's question `n`.
    async fn keys(&self, call: &str, n: u32, digits: &str) -> String {
        self.hook(
            &format!("/twilio/voice/gather?n={n}"),
            &[
                ("CallSid", call),
                ("AccountSid", ACCOUNT),
                ("Digits", digits),
                ("From", ANNA),
                ("To", HOTLINE),
            ],
        )
        .await
    }

    /// A call to the hotline; registered staff (Anna) then key their PIN.
    /// Returns what the caller hears after that.
    async fn call_in(&self, call: &str, from: &str) -> String {
        let first = self.ring(call, from).await;
        if from != ANNA {
            return first;
        }
        self.pin(call, 1, PIN).await
    }

    async fn ring(&self, call: &str, from: &str) -> String {
        self.hook(
            "/twilio/voice/incoming",
            &[
                ("CallSid", call),
                ("AccountSid", ACCOUNT),
                ("From", from),
                ("To", HOTLINE),
                ("CallStatus", "ringing"),
                ("Direction", "inbound"),
            ],
        )
        .await
    }

    async fn pin(&self, call: &str, try_no: u32, digits: &str) -> String {
        self.hook(
            &format!("/twilio/voice/pin?try={try_no}"),
            &[
                ("CallSid", call),
                ("AccountSid", ACCOUNT),
                ("Digits", digits),
            ],
        )
        .await
    }

    async fn case_of(&self, call: &str) -> CaseId {
        self.db
            .store
            .call(call)
            .await
            .expect("read")
            .and_then(|c| c.case)
            .expect("the call has a case")
    }

    async fn tick(&self, at: DateTime<Utc>) {
        self.escalator.tick(at).await.expect("escalate");
        self.outbox.tick(at).await.expect("send");
    }

    fn print_transcript(&self, title: &str) {
        eprintln!("===== {title} =====");
        for t in self.transcript.lock().expect("lock").iter() {
            eprintln!("{t}");
        }
    }

    async fn close(self) {
        let _ = self.stop.send(true);
        self.db.close().await;
    }
}

fn said(xml: &str) -> String {
    check_twiml(xml)
        .into_iter()
        .filter(|(n, _, _)| n == "Say")
        .map(|(_, _, t)| t)
        .collect::<Vec<_>>()
        .join(" | ")
}

fn element<'a>(
    els: &'a [(String, std::collections::HashMap<String, String>, String)],
    name: &str,
) -> Option<&'a (String, std::collections::HashMap<String, String>, String)> {
    els.iter().find(|(n, _, _)| n == name)
}

fn kinds(events: &[akutlinje_core::record::CaseEvent]) -> Vec<&'static str> {
    events.iter().map(|e| e.event.kind.tag()).collect()
}

/// Each webhook's form is a type: a signed request without a field its
/// handler needs (or with an empty SID) is refused 400 with the field named,
/// before the handler runs; fields we do not read are ignored, and a
/// duration Twilio could not measure is no duration, not a refusal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_webhooks_are_read_into_typed_forms() {
    let r = rig().await;
    let (status, body) = r
        .hooks
        .post("/twilio/voice/incoming", &[("From", "+4520000001")])
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("CallSid"), "{body}");
    let (status, body) = r
        .hooks
        .post(
            "/twilio/sms/incoming",
            &[("MessageSid", ""), ("From", "+4520000001"), ("Body", "ok")],
        )
        .await;
    assert_eq!(status, 400, "an empty SID is no SID: {body}");
    let (status, body) = r
        .hooks
        .post(
            "/twilio/sms/status",
            &[
                ("MessageSid", "SM00000000000000000000000000000009"),
                ("MessageStatus", "delivered"),
                ("ApiVersion", "2010-04-01"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = r
        .hooks
        .post(
            "/twilio/voice/recording",
            &[
                ("CallSid", "CA00000000000000000000000000000009"),
                ("RecordingSid", "RE00000000000000000000000000000009"),
                ("RecordingStatus", "completed"),
                ("RecordingDuration", "unknown"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_made_by_twilios_python_library_are_accepted_and_tampering_is_refused() {
    use akutlinje_telephony::signature::Algorithm;
    for configured in [Algorithm::HmacSha1, Algorithm::HmacSha256] {
        let r = rig_signed_with(configured).await;
        let base = r.hooks.base.clone();
        let (alg, other) = match configured {
            Algorithm::HmacSha1 => ("HMAC_SHA1", "HMAC_SHA256"),
            Algorithm::HmacSha256 => ("HMAC_SHA256", "HMAC_SHA1"),
        };
        // Query strings, a non-default port, repeated and empty parameters,
        // Danish characters.
        let cases = serde_json::json!([
            {"url": format!("{base}/twilio/sms/status"), "params": [["MessageSid", "SM1"], ["MessageStatus", "delivered"]]},
            {"url": format!("{base}/twilio/sms/status?x=1&y=%C3%A6%20b"), "params": [["MessageSid", "SM2"], ["MessageStatus", "sent"]]},
            {"url": format!("{base}/twilio/sms/status"), "params": [["MessageSid", "SM3"], ["A", "2"], ["A", "1"], ["Empty", ""], ["MessageStatus", "sent"]]},
            {"url": format!("{base}/twilio/sms/incoming"), "params": [["MessageSid", "SM4"], ["From", "+4599999999"], ["Body", "Æblegrød på stue 12 – ø å é ✅"]]},
        ]);
        // Each case signed by Twilio's library with the configured algorithm
        // and with the other one.
        let script = r#"
import sys, json
from twilio.request_validator import RequestValidator
class Multi:
    def __init__(self, pairs): self.pairs = pairs
    def __iter__(self): return iter([k for k, _ in self.pairs])
    def getlist(self, k): return [v for n, v in self.pairs if n == k]
v = RequestValidator("TOKEN")
out = []
for c in json.load(sys.stdin):
    params = Multi(c["params"])
    pair = []
    for alg in ["ALG", "OTHER"]:
        sig = v.compute_signature(c["url"], params, alg)
        assert v.validate(c["url"], params, sig, alg)
        pair.append(sig)
    out.append(pair)
print(json.dumps(out))
"#
        .replace("\"TOKEN\"", &format!("\"{TOKEN}\""))
        .replace("\"ALG\"", &format!("\"{alg}\""))
        .replace("\"OTHER\"", &format!("\"{other}\""));
        let sigs = run_python(&script, &cases);
        let sigs = sigs.as_array().expect("list");
        for (c, pair) in cases.as_array().expect("cases").iter().zip(sigs) {
            let url = c["url"].as_str().expect("url");
            let params: Vec<(String, String)> = c["params"]
                .as_array()
                .expect("params")
                .iter()
                .map(|p| {
                    (
                        p[0].as_str().expect("k").into(),
                        p[1].as_str().expect("v").into(),
                    )
                })
                .collect();
            let pairs: Vec<(&str, &str)> = params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let sig = pair[0].as_str().expect("sig");
            let other_sig = pair[1].as_str().expect("sig");
            let names = |a: &str| format!("key=wh_test,algorithm={a}");
            // Accepted with the configured algorithm, whatever the header
            // says (or without one).
            for header in [None, Some(names(alg)), Some(names(other))] {
                let (status, body) = r
                    .hooks
                    .post_raw(url, &pairs, Some(sig), header.as_deref())
                    .await;
                assert_eq!(status, 200, "{url} {pairs:?} {header:?}: {body}");
            }
            // The other algorithm is refused even when the request names it:
            // a forger does not get to choose the check.
            for header in [None, Some(names(other)), Some(names(alg))] {
                assert_eq!(
                    r.hooks
                        .post_raw(url, &pairs, Some(other_sig), header.as_deref())
                        .await
                        .0,
                    403,
                    "{configured:?} line, {other} signature, header {header:?}"
                );
            }
            // Tampered: a value, the URL, the signature.
            let mut changed = pairs.clone();
            changed[0].1 = "SM999";
            assert_eq!(
                r.hooks.post_raw(url, &changed, Some(sig), None).await.0,
                403
            );
            let other_url = if url.contains('?') {
                format!("{url}&z=1")
            } else {
                format!("{url}?z=1")
            };
            assert_eq!(
                r.hooks
                    .post_raw(&other_url, &pairs, Some(sig), None)
                    .await
                    .0,
                403
            );
            // One character changed (a signature may start with A already).
            let first = if sig.starts_with('A') { 'B' } else { 'A' };
            let bad_sig = format!("{first}{}", &sig[1..]);
            assert_eq!(
                r.hooks.post_raw(url, &pairs, Some(&bad_sig), None).await.0,
                403
            );
        }
        // No signature at all.
        let url = format!("{base}/twilio/voice/incoming");
        let pairs = [("CallSid", "CA1"), ("From", ANNA)];
        assert_eq!(r.hooks.post_raw(&url, &pairs, None, None).await.0, 403);
        // Nothing refused reached a handler: no call, no case.
        assert!(r.db.store.call("CA1").await.expect("read").is_none());
        r.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_requests_match_twilios_python_client_field_by_field() {
    let fake = FakeTwilio::start().await;
    let script = r#"
import sys, json
from twilio.rest import Client
c = json.load(sys.stdin)
client = Client(c["account"], c["token"])
client.api.base_url = c["base"]
client.messages.create(to="+4530000001", from_="+4570100100", body="Akutlinjen: kald æøå", status_callback="https://akut.example.dk/twilio/sms/status")
client.calls.create(to="+4530000001", from_="+4570100100", url="https://akut.example.dk/twilio/voice/page?case=x&notification=1",
    status_callback="https://akut.example.dk/twilio/voice/status", status_callback_event=["initiated", "ringing", "answered", "completed"],
    machine_detection="Enable", timeout=30)
client.calls.create(to="+4530000002", from_="+4570100100", twiml="<Response><Say>Hej</Say></Response>")
client.calls("CA0123").update(status="completed")
client.calls("CA0123").update(twiml="<Response><Hangup/></Response>")
client.conferences("CF0123").participants.create(from_="+4570100100", to="+4530000001",
    status_callback="https://akut.example.dk/twilio/voice/status", status_callback_event=["ringing", "answered"], timeout=25,
    end_conference_on_exit=True)
print(json.dumps({"ok": True}))
"#;
    run_python(
        script,
        &serde_json::json!({"account": ACCOUNT, "token": TOKEN, "base": fake.url}),
    );
    let python = fake.requests();
    fake.clear();
    use akutlinje_telephony::rest::*;
    let client = Client::new(Credentials {
        base_url: fake.url.clone(),
        account_sid: ACCOUNT.into(),
        auth_token: TOKEN.into(),
    })
    .expect("client");
    let m = client
        .send_sms(&NewMessage {
            to: "+4530000001",
            from: "+4570100100",
            body: "Akutlinjen: kald æøå",
            status_callback: Some("https://akut.example.dk/twilio/sms/status"),
        })
        .await
        .expect("sms");
    assert!(m.sid.starts_with("SM"));
    client
        .create_call(&NewCall {
            to: "+4530000001",
            from: "+4570100100",
            instructions: Instructions::Url(
                "https://akut.example.dk/twilio/voice/page?case=x&notification=1",
            ),
            status_callback: Some("https://akut.example.dk/twilio/voice/status"),
            status_events: &["initiated", "ringing", "answered", "completed"],
            machine_detection: Some("Enable"),
            timeout_s: Some(30),
        })
        .await
        .expect("call");
    client
        .create_call(&NewCall {
            to: "+4530000002",
            from: "+4570100100",
            instructions: Instructions::Twiml("<Response><Say>Hej</Say></Response>"),
            status_callback: None,
            status_events: &[],
            machine_detection: None,
            timeout_s: None,
        })
        .await
        .expect("call");
    client
        .update_call("CA0123", CallUpdate::Complete)
        .await
        .expect("end");
    client
        .update_call(
            "CA0123",
            CallUpdate::Instructions(Instructions::Twiml("<Response><Hangup/></Response>")),
        )
        .await
        .expect("redirect");
    client
        .add_participant(
            "CF0123",
            &NewParticipant {
                from: "+4570100100",
                to: "+4530000001",
                status_callback: Some("https://akut.example.dk/twilio/voice/status"),
                status_events: &["ringing", "answered"],
                timeout_s: Some(25),
                end_conference_on_exit: true,
            },
        )
        .await
        .expect("participant");
    let ours = fake.requests();
    assert_eq!(ours.len(), python.len(), "{ours:#?}\n{python:#?}");
    for (o, p) in ours.iter().zip(&python) {
        assert_eq!((&o.method, &o.path), (&p.method, &p.path));
        assert_eq!(o.auth, p.auth, "Basic auth on {}", o.path);
        assert_eq!(o.content_type, p.content_type, "{}", o.path);
        let mut of = o.form.clone();
        let mut pf = p.form.clone();
        of.sort();
        pf.sort();
        assert_eq!(of, pf, "form of {}", o.path);
    }

    // A 5xx is retried (the third attempt succeeds); a 4xx is not, and
    // Twilio's own error is kept.
    fake.clear();
    let fast = client
        .clone()
        .with_retries(3, std::time::Duration::from_millis(50));
    let sms = |to: &'static str| NewMessage {
        to,
        from: "+4570100100",
        body: "x",
        status_callback: None,
    };
    fast.send_sms(&sms("+4599000503"))
        .await
        .expect("third attempt");
    assert_eq!(fake.requests().len(), 3);
    fake.clear();
    let err = fast.send_sms(&sms("+4599000400")).await.expect_err("a 4xx");
    assert_eq!(fake.requests().len(), 1, "no retry on 4xx");
    assert!(!err.retryable());
    assert!(err.to_string().contains("21211"), "{err}");
    // Wrong credentials: 401, not retried.
    let wrong = Client::new(Credentials {
        base_url: fake.url.clone(),
        account_sid: ACCOUNT.into(),
        auth_token: "wrong".into(),
    })
    .expect("client");
    let err = wrong.send_sms(&sms("+4530000001")).await.expect_err("401");
    assert!(err.to_string().contains("20003"), "{err}");
    // Recordings are fetched only from Twilio's own URL.
    let foreign = client.fetch_recording("http://evil.example/rec").await;
    assert!(matches!(foreign, Err(TwilioError::ForeignUrl(_))));
}

#[tokio::test]
async fn a_medium_case_by_phone_from_the_first_ring_to_the_conference() {
    let r = rig().await;
    let call = "CA00000000000000000000000000000100";
    let case = medium_case_keys_through_the_checklist(&r, call).await;
    medium_case_voice_note_then_the_conference(&r, call, case).await;
    medium_case_the_physician_is_paged_and_answers(&r, call, case).await;
    medium_case_the_record_holds_the_call(&r, case).await;
    r.close().await;
}

/// Anna calls, keys room 12, no danger sign and the vital signs (a wrong
/// value, a silence); returns the case.
async fn medium_case_keys_through_the_checklist(r: &Rig, call: &str) -> CaseId {
    let first = r.call_in(call, ANNA).await;
    let s = said(&first);
    assert!(s.contains("Du ringer fra Plejecenter Solgården"), "{s}");
    assert!(s.contains("Tast beboerens værelsesnummer"), "{s}");
    let els = check_twiml(&first);
    let g = element(&els, "Gather").expect("a question");
    assert_eq!(g.1.get("finishOnKey").map(String::as_str), Some("#"));
    let case = r.case_of(call).await;

    // Room 12: the card (treatment level first) and the danger signs.
    let t = r.keys(call, 1, "12").await;
    let s = said(&t);
    assert!(s.contains("Karen Østergaard"), "{s}");
    assert!(s.contains("Behandlingsniveau"), "{s}");
    assert!(s.contains("Tast 3 for Brystsmerter"), "{s}");
    // Twilio retries the same webhook: the same answer, nothing twice.
    let before = r.db.events(case).await.len();
    let again = r.keys(call, 1, "12").await;
    assert_eq!(again, t);
    assert_eq!(r.db.events(case).await.len(), before);

    // No danger sign (7), then the vital signs by keypad.
    let t = r.keys(call, 2, "7").await;
    assert!(said(&t).contains("Respirationsfrekvens"), "{}", said(&t));
    r.keys(call, 3, "22").await;
    let t = r.keys(call, 4, "95").await;
    assert!(said(&t).contains("Tast 1 for ja"), "{}", said(&t));
    let els = check_twiml(&t);
    assert_eq!(
        element(&els, "Gather")
            .expect("gather")
            .1
            .get("numDigits")
            .map(String::as_str),
        Some("1")
    );
    r.keys(call, 5, "2").await;
    // A wrong value is explained and asked again; the case keeps its answers.
    let t = r.keys(call, 6, "999").await;
    assert!(said(&t).contains("skal være et tal fra"), "{}", said(&t));
    r.keys(call, 7, "125*80").await;
    r.keys(call, 8, "98").await;
    r.keys(call, 9, "1").await;
    // Silence: the question again, then on.
    let t = r
        .hook(
            "/twilio/voice/silence?n=10&tries=1",
            &[("CallSid", call), ("AccountSid", ACCOUNT)],
        )
        .await;
    assert!(said(&t).contains("Jeg hørte ikke noget"), "{}", said(&t));
    let t = r.keys(call, 10, "38*9").await;
    let els = check_twiml(&t);
    let rec = element(&els, "Record").expect("the situation is spoken");
    assert_eq!(rec.1.get("finishOnKey").map(String::as_str), Some("#0"));

    case
}

/// The situation as a voice note (stored once, though Twilio reports it
/// twice), the concern skipped: into the conference to wait.
async fn medium_case_voice_note_then_the_conference(r: &Rig, call: &str, case: CaseId) {
    // The voice note: Twilio posts the action, then the recording is ready.
    let rec_url = format!(
        "{}/2010-04-01/Accounts/{ACCOUNT}/Recordings/RE0001",
        r.fake.url
    );
    let t = r
        .hook(
            "/twilio/voice/record?n=11",
            &[
                ("CallSid", call),
                ("AccountSid", ACCOUNT),
                ("RecordingUrl", &rec_url),
                ("RecordingDuration", "7"),
                ("RecordingSid", "RE0001"),
                ("Digits", "#"),
            ],
        )
        .await;
    assert!(said(&t).contains("mest bekymret"), "{}", said(&t));
    for _ in 0..2 {
        r.hook(
            "/twilio/voice/recording",
            &[
                ("CallSid", call),
                ("AccountSid", ACCOUNT),
                ("RecordingSid", "RE0001"),
                ("RecordingUrl", &rec_url),
                ("RecordingStatus", "completed"),
                ("RecordingDuration", "7"),
            ],
        )
        .await;
    }
    let fetched = r
        .fake
        .requests()
        .into_iter()
        .filter(|q| q.method == "GET")
        .count();
    assert_eq!(fetched, 1, "fetched once, though Twilio said it twice");

    // The concern is skipped with *: the summary, the page, the conference.
    let t = r
        .hook(
            "/twilio/voice/record?n=12",
            &[
                ("CallSid", call),
                ("AccountSid", ACCOUNT),
                ("RecordingDuration", "0"),
                ("Digits", "*"),
            ],
        )
        .await;
    let els = check_twiml(&t);
    let conf = element(&els, "Conference").expect("into the conference");
    assert_eq!(conf.2, format!("akutlinje-{case}"));
    assert_eq!(
        conf.1.get("startConferenceOnEnter").map(String::as_str),
        Some("false")
    );
    assert!(conf
        .1
        .get("waitUrl")
        .is_some_and(|u| u.contains("/twilio/voice/wait")));
    assert!(said(&t).contains("Vagtlægen kaldes nu"), "{}", said(&t));
    r.hook(
        "/twilio/voice/status",
        &[
            ("CallSid", call),
            ("AccountSid", ACCOUNT),
            ("CallStatus", "in-progress"),
        ],
    )
    .await;
}

/// The physician gets an SMS without personal data and a call; they hear
/// the case without names, press 1 and join the caller.
async fn medium_case_the_physician_is_paged_and_answers(r: &Rig, call: &str, case: CaseId) {
    // Paging: medium is SMS by policy; the caller is on the phone, so the
    // physician is called as well.
    let t0 = Utc::now();
    r.tick(t0).await;
    let reqs = r.fake.requests();
    let sms = reqs
        .iter()
        .find(|q| q.path.ends_with("/Messages.json"))
        .expect("an SMS page");
    let body = sms.get("Body").expect("body");
    let code = akutlinje_telephony::case_code(case);
    assert!(
        body.contains(&format!("OK {code}")) && body.contains("Plejecenter Solgården"),
        "{body}"
    );
    assert!(
        !body.contains("Karen") && !body.contains("Østergaard") && !body.contains("12"),
        "no personal data by SMS: {body}"
    );
    assert_eq!(sms.get("To"), Some(LUND));
    let vcall = reqs
        .iter()
        .find(|q| q.path.ends_with("/Calls.json"))
        .expect("a voice page");
    assert_eq!(vcall.get("MachineDetection"), Some("Enable"));
    let url = vcall.get("Url").expect("url");
    let path = url
        .strip_prefix(&r.hooks.base)
        .expect("our own URL")
        .to_string();

    // The waiting caller hears where things stand.
    let w = r
        .hook(
            &format!("/twilio/voice/wait?case={case}"),
            &[("CallSid", call), ("ConferenceSid", "CF1")],
        )
        .await;
    assert!(said(&w).contains("Vagtlægen kaldes stadig"), "{}", said(&w));

    // The physician picks up, hears the case without names, presses 1.
    // The call leg Twilio created for the voice page.
    let pcall =
        r.db.store
            .notifications(case)
            .await
            .expect("notes")
            .into_iter()
            .find(|n| n.new.channel == NotifyChannel::Voice)
            .and_then(|n| n.external_id)
            .expect("the call was placed");
    let pcall = pcall.as_str();
    let p = r
        .hook(
            &path,
            &[
                ("CallSid", pcall),
                ("AccountSid", ACCOUNT),
                ("AnsweredBy", "human"),
                ("CallStatus", "in-progress"),
            ],
        )
        .await;
    let s = said(&p);
    assert!(
        s.contains("Akut opkald fra Plejecenter Solgården, værelse 12"),
        "{s}"
    );
    assert!(s.contains("NEWS 5") && s.contains("Tryk 1"), "{s}");
    assert!(!s.contains("Karen"), "{s}");
    let answer_path = check_twiml(&p)
        .into_iter()
        .find(|(n, _, _)| n == "Gather")
        .and_then(|(_, a, _)| a.get("action").cloned())
        .expect("action");
    let answer_path = answer_path
        .strip_prefix(&r.hooks.base)
        .expect("ours")
        .to_string();
    let a = r
        .hook(
            &answer_path,
            &[("CallSid", pcall), ("AccountSid", ACCOUNT), ("Digits", "1")],
        )
        .await;
    let els = check_twiml(&a);
    let conf = element(&els, "Conference").expect("the physician joins");
    assert_eq!(conf.2, format!("akutlinje-{case}"));
    assert_eq!(
        conf.1.get("startConferenceOnEnter").map(String::as_str),
        Some("true")
    );
    let esc =
        r.db.store
            .escalation(case)
            .await
            .expect("read")
            .expect("escalation");
    assert_eq!(esc.state, EscalationState::Acknowledged);
    for st in ["ringing", "in-progress", "completed"] {
        r.hook(
            "/twilio/voice/status",
            &[
                ("CallSid", pcall),
                ("AccountSid", ACCOUNT),
                ("CallStatus", st),
            ],
        )
        .await;
    }
    r.hook(
        &format!("/twilio/voice/conference?case={case}"),
        &[
            ("ConferenceSid", "CF1"),
            ("CallSid", pcall),
            ("StatusCallbackEvent", "participant-join"),
        ],
    )
    .await;
    // The SMS delivery report lands in the record too.
    let sms_sid =
        r.db.store
            .notifications(case)
            .await
            .expect("notes")
            .into_iter()
            .find(|n| n.new.channel == NotifyChannel::Sms)
            .and_then(|n| n.external_id)
            .expect("the SMS was sent");
    r.hook(
        "/twilio/sms/status",
        &[("MessageSid", &sms_sid), ("MessageStatus", "delivered")],
    )
    .await;
}

/// Every step, input, status and the recording are in the record, once.
async fn medium_case_the_record_holds_the_call(r: &Rig, case: CaseId) {
    let events = r.db.events(case).await;
    let k = kinds(&events);
    eprintln!("record: {k:?}");
    for want in [
        "case_opened",
        "resident_identified",
        "red_flags_answered",
        "vital_recorded",
        "situation_recorded",
        "audio_attached",
        "urgency_assessed",
        "page_requested",
        "page_sent",
        "notification_delivered",
        "page_acknowledged",
        "telephony_status",
    ] {
        assert!(k.contains(&want), "{want} missing from {k:?}");
    }
    let inputs: Vec<String> = events
        .iter()
        .filter_map(|e| match &e.event.kind {
            EventKind::InputReceived { text, .. } => Some(text.as_str().to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(
        inputs,
        [
            "12",
            "7",
            "22",
            "95",
            "nej",
            "999",
            "125/80",
            "98",
            "1",
            "38,9",
            "Talebesked på 7 sekunder, optaget i telefonen. Lydfilen ligger i sagen.",
            "spring over"
        ]
    );
    let audio = events
        .iter()
        .find_map(|e| match &e.event.kind {
            EventKind::AudioAttached { attachment, .. } => Some(*attachment),
            _ => None,
        })
        .expect("audio");
    let stored =
        r.db.store
            .attachment(audio)
            .await
            .expect("read")
            .expect("stored");
    assert_eq!(
        stored.data, r.fake.recording,
        "the recording, byte for byte"
    );
    let statuses: Vec<(String, String)> = events
        .iter()
        .filter_map(|e| match &e.event.kind {
            EventKind::TelephonyStatus { leg, status, .. } => Some((leg.clone(), status.clone())),
            _ => None,
        })
        .collect();
    for want in [
        ("caller", "ringing"),
        ("caller", "in-progress"),
        ("physician", "completed"),
        ("conference", "participant-join"),
        ("sms", "delivered"),
    ] {
        assert!(
            statuses.contains(&(want.0.into(), want.1.into())),
            "{want:?} not in {statuses:?}"
        );
    }
    let ids: Vec<&String> = events
        .iter()
        .filter_map(|e| e.event.external_id.as_ref())
        .collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(ids.len(), unique.len(), "every external id once");
    r.print_transcript("a medium case by phone");
    let (summary, _) = (r.db.store.case(case).await.expect("case"), ());
    eprintln!("case: {summary:?}");
    for e in &events {
        eprintln!(
            "{:>3} {} {}",
            e.seq,
            e.event.kind.tag(),
            serde_json::to_string(&e.event.kind).unwrap_or_default()
        );
    }
}

#[tokio::test]
async fn a_red_flag_call_advises_112_and_the_page_rings_down_the_rota() {
    let r = rig().await;
    let call = "CA00000000000000000000000000000300";
    r.call_in(call, ANNA).await;
    r.keys(call, 1, "14").await;
    // Chest pain: 112 first (said twice), then straight into the conference.
    let t = r.keys(call, 2, "3").await;
    let els = check_twiml(&t);
    let first_say = element(&els, "Say").expect("speech");
    assert!(first_say.2.starts_with("Ring 112 nu"), "{}", first_say.2);
    assert_eq!(first_say.1.get("loop").map(String::as_str), Some("2"));
    assert!(element(&els, "Conference").is_some());
    r.hook(
        "/twilio/voice/status",
        &[("CallSid", call), ("CallStatus", "in-progress")],
    )
    .await;
    let case = r.case_of(call).await;
    let events = r.db.events(case).await;
    let k = kinds(&events);
    let advised = k.iter().position(|x| *x == "advised112").expect("advised");
    let paged = k
        .iter()
        .position(|x| *x == "page_requested")
        .expect("paged");
    assert!(advised < paged);

    // Dr. Lund's phone: voicemail. Not an acknowledgement.
    let t0 = Utc::now();
    r.tick(t0).await;
    let calls = |r: &Rig| {
        r.fake
            .requests()
            .into_iter()
            .filter(|q| q.path.ends_with("/Calls.json"))
            .collect::<Vec<_>>()
    };
    let c1 = calls(&r);
    assert_eq!(c1.len(), 1);
    assert_eq!(c1[0].get("To"), Some(LUND));
    let url = c1[0]
        .get("Url")
        .expect("url")
        .strip_prefix(&r.hooks.base)
        .expect("ours")
        .to_string();
    let v = r
        .hook(
            &url,
            &[("CallSid", "CA301"), ("AnsweredBy", "machine_start")],
        )
        .await;
    assert_eq!(
        check_twiml(&v).first().map(|e| e.0.clone()),
        Some("Hangup".into())
    );
    assert_eq!(
        r.db.store
            .escalation(case)
            .await
            .expect("read")
            .expect("esc")
            .state,
        EscalationState::Pending
    );

    // Two minutes on, the backup is called; Dr. Berg declines (2): the next
    // step is at once, back to Dr. Lund, who takes it (1).
    r.tick(t0 + Duration::minutes(2)).await;
    let c2 = calls(&r);
    assert_eq!(c2.len(), 2);
    assert_eq!(c2[1].get("To"), Some(BERG));
    let url = c2[1]
        .get("Url")
        .expect("url")
        .strip_prefix(&r.hooks.base)
        .expect("ours")
        .to_string();
    let p = r
        .hook(&url, &[("CallSid", "CA302"), ("AnsweredBy", "human")])
        .await;
    assert!(said(&p).contains("Brystsmerter"), "{}", said(&p));
    let action = check_twiml(&p)
        .into_iter()
        .find(|(n, _, _)| n == "Gather")
        .and_then(|(_, a, _)| a.get("action").cloned())
        .expect("action");
    let berg_action = action
        .strip_prefix(&r.hooks.base)
        .expect("ours")
        .to_string();
    let d = r
        .hook(&berg_action, &[("CallSid", "CA302"), ("Digits", "2")])
        .await;
    assert!(said(&d).contains("Afvist"), "{}", said(&d));
    r.tick(t0 + Duration::minutes(2) + Duration::seconds(1))
        .await;
    let c3 = calls(&r);
    assert_eq!(c3.len(), 3, "the next step at once after a decline");
    assert_eq!(c3[2].get("To"), Some(LUND));
    let url = c3[2]
        .get("Url")
        .expect("url")
        .strip_prefix(&r.hooks.base)
        .expect("ours")
        .to_string();
    let p = r
        .hook(&url, &[("CallSid", "CA303"), ("AnsweredBy", "human")])
        .await;
    let action = check_twiml(&p)
        .into_iter()
        .find(|(n, _, _)| n == "Gather")
        .and_then(|(_, a, _)| a.get("action").cloned())
        .expect("action");
    let a = r
        .hook(
            action.strip_prefix(&r.hooks.base).expect("ours"),
            &[("CallSid", "CA303"), ("Digits", "1")],
        )
        .await;
    assert!(element(&check_twiml(&a), "Conference").is_some(), "{a}");
    // Dr. Berg's late "1" on the old call is recorded but does not take the call.
    let late = r
        .hook(
            &berg_action.replace("try=1", "try=2"),
            &[("CallSid", "CA302"), ("Digits", "1")],
        )
        .await;
    assert!(said(&late).contains("En anden læge"), "{}", said(&late));
    let events = r.db.events(case).await;
    let acks: Vec<String> = events
        .iter()
        .filter_map(|e| match &e.event.kind {
            EventKind::PageAcknowledged { person, .. } => Some(person.as_str().to_string()),
            EventKind::PageDeclined { person } => Some(format!("declined:{}", person.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(acks, ["declined:dr-berg", "dr-lund", "dr-berg"]);
    // Nothing more is sent after the acknowledgement.
    r.tick(t0 + Duration::minutes(30)).await;
    assert_eq!(calls(&r).len(), 3);
    r.close().await;
}

#[tokio::test]
async fn a_page_nobody_answers_keeps_escalating() {
    let r = rig().await;
    let call = "CA00000000000000000000000000000400";
    r.call_in(call, ANNA).await;
    r.keys(call, 1, "14").await;
    // 0 at any time: straight to the physician (at least high urgency).
    let t = r.keys(call, 2, "0").await;
    assert!(element(&check_twiml(&t), "Conference").is_some(), "{t}");
    let case = r.case_of(call).await;
    let esc =
        r.db.store
            .escalation(case)
            .await
            .expect("read")
            .expect("esc");
    assert_eq!(esc.urgency, akutlinje_core::engine::Urgency::High);
    let t0 = Utc::now();
    r.tick(t0).await;
    // Ring, no answer: Twilio reports no-answer; nobody pressed anything.
    let first = r
        .fake
        .requests()
        .into_iter()
        .filter(|q| q.path.ends_with("/Calls.json"))
        .count();
    assert_eq!(first, 1);
    let sid =
        r.db.store
            .notifications(case)
            .await
            .expect("notes")
            .into_iter()
            .find_map(|n| n.external_id)
            .expect("placed");
    r.hook(
        "/twilio/voice/status",
        &[("CallSid", &sid), ("CallStatus", "no-answer")],
    )
    .await;
    for minutes in [3, 6, 9, 12] {
        r.tick(t0 + Duration::minutes(minutes)).await;
    }
    let placed: Vec<String> = r
        .fake
        .requests()
        .into_iter()
        .filter(|q| q.path.ends_with("/Calls.json"))
        .filter_map(|q| q.get("To").map(str::to_string))
        .collect();
    assert_eq!(
        placed,
        [LUND, BERG, LUND, BERG],
        "down the rota and round again"
    );
    let k = kinds(&r.db.events(case).await);
    assert!(k.contains(&"escalation_exhausted"), "{k:?}");
    assert!(k.contains(&"physician_requested"), "{k:?}");
    r.close().await;
}

#[tokio::test]
async fn an_unknown_caller_hears_nothing_about_residents_and_can_reach_the_physician() {
    let r = rig().await;
    let cases_before =
        r.db.store
            .cases(None, 100)
            .await
            .map(|c| c.len())
            .unwrap_or(0);
    let call = "CA00000000000000000000000000000500";
    let t = r.call_in(call, "+4599999999").await;
    let s = said(&t);
    assert!(s.contains("ikke registreret") && s.contains("112"), "{s}");
    let t = r
        .hook(
            "/twilio/voice/unknown",
            &[("CallSid", call), ("Digits", "0")],
        )
        .await;
    let next = check_twiml(&t)
        .into_iter()
        .find(|(n, _, _)| n == "Redirect")
        .map(|(_, _, u)| u)
        .expect("redirect");
    let d = r
        .hook(
            next.strip_prefix(&r.hooks.base).expect("ours"),
            &[("CallSid", call)],
        )
        .await;
    let els = check_twiml(&d);
    let number = element(&els, "Number").expect("put through to a physician");
    assert!([LUND, BERG].contains(&number.2.as_str()), "{}", number.2);
    assert_eq!(
        element(&els, "Dial")
            .and_then(|d| d.1.get("callerId"))
            .map(String::as_str),
        Some(HOTLINE)
    );
    for text in [&t, &d] {
        assert!(
            !text.contains("Karen") && !text.contains("værelse"),
            "{text}"
        );
    }
    assert_eq!(
        r.db.store
            .cases(None, 100)
            .await
            .map(|c| c.len())
            .unwrap_or(0),
        cases_before,
        "no case for an unknown number"
    );
    // By SMS too.
    let sms = r
        .hook(
            "/twilio/sms/incoming",
            &[
                ("MessageSid", "SM500"),
                ("From", "+4599999999"),
                ("Body", "OK 1234"),
            ],
        )
        .await;
    let els = check_twiml(&sms);
    assert!(
        element(&els, "Message").is_some_and(|m| m.2.contains("ikke registreret")),
        "{sms}"
    );
    r.close().await;
}

#[tokio::test]
async fn an_sms_reply_acknowledges_the_page_once() {
    let r = rig().await;
    let call = "CA00000000000000000000000000000600";
    r.call_in(call, ANNA).await;
    r.keys(call, 1, "12").await;
    r.keys(call, 2, "7").await;
    // Vitals in one go are not possible on the phone; skip to a medium case:
    for (n, d) in [
        (3, "22"),
        (4, "95"),
        (5, "2"),
        (6, "125"),
        (7, "98"),
        (8, "1"),
        (9, "38*9"),
    ] {
        r.keys(call, n, d).await;
    }
    let rec_url = format!(
        "{}/2010-04-01/Accounts/{ACCOUNT}/Recordings/RE0600",
        r.fake.url
    );
    r.hook(
        "/twilio/voice/record?n=10",
        &[
            ("CallSid", call),
            ("RecordingUrl", &rec_url),
            ("RecordingDuration", "4"),
            ("Digits", "#"),
        ],
    )
    .await;
    r.hook(
        "/twilio/voice/record?n=11",
        &[("CallSid", call), ("Digits", "*")],
    )
    .await;
    let case = r.case_of(call).await;
    r.tick(Utc::now()).await;
    let code = akutlinje_telephony::case_code(case);
    // A bare "OK" is not an acknowledgement: the reply asks for the code.
    let bare = r
        .hook(
            "/twilio/sms/incoming",
            &[("MessageSid", "SM600"), ("From", LUND), ("Body", "OK")],
        )
        .await;
    assert!(
        said_message(&bare).contains("Skriv sagens nummer"),
        "{bare}"
    );
    assert_eq!(
        r.db.store
            .escalation(case)
            .await
            .expect("read")
            .expect("esc")
            .state,
        EscalationState::Pending,
        "a bare OK acknowledged nothing"
    );
    // A wrong code is refused; the right one acknowledges; a retry is a no-op.
    let wrong = r
        .hook(
            "/twilio/sms/incoming",
            &[
                ("MessageSid", "SM601"),
                ("From", LUND),
                ("Body", "OK 99999"),
            ],
        )
        .await;
    assert!(said_message(&wrong).contains("kender ikke sag"), "{wrong}");
    let body = format!("ok {code}");
    let ok = r
        .hook(
            "/twilio/sms/incoming",
            &[("MessageSid", "SM602"), ("From", LUND), ("Body", &body)],
        )
        .await;
    assert!(
        said_message(&ok).contains(&format!("Kvitteret for sag {code}")),
        "{ok}"
    );
    let again = r
        .hook(
            "/twilio/sms/incoming",
            &[("MessageSid", "SM602"), ("From", LUND), ("Body", &body)],
        )
        .await;
    assert_eq!(again, ok);
    let acks =
        r.db.events(case)
            .await
            .iter()
            .filter(|e| matches!(e.event.kind, EventKind::PageAcknowledged { .. }))
            .count();
    assert_eq!(acks, 1);
    assert_eq!(
        r.db.store
            .escalation(case)
            .await
            .expect("read")
            .expect("esc")
            .state,
        EscalationState::Acknowledged
    );
    // Staff cannot open cases by SMS.
    let staff = r
        .hook(
            "/twilio/sms/incoming",
            &[("MessageSid", "SM603"), ("From", ANNA), ("Body", "Hjælp")],
        )
        .await;
    assert!(
        said_message(&staff).contains("Ring til akutlinjen"),
        "{staff}"
    );
    r.close().await;
}

fn said_message(xml: &str) -> String {
    check_twiml(xml)
        .into_iter()
        .filter(|(n, _, _)| n == "Message")
        .map(|(_, _, t)| t)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Karen (room 12) has declined admission. After "do not ring 112
/// regardless", nothing the caller hears afterwards — the conference
/// introduction, the waiting updates, the update once nobody answered —
/// tells them to hang up and ring 112; each keeps "in doubt about the
/// decision, ring 112". A full-treatment resident still hears "ring 112".
#[tokio::test]
async fn after_a_decision_against_admission_no_phone_text_contradicts_it() {
    let r = rig().await;
    let call = "CA00000000000000000000000000000700";
    r.call_in(call, ANNA).await;
    r.keys(call, 1, "12").await;
    // Chest pain: the red flag, ruled out of 112 by the decision.
    let t = r.keys(call, 2, "3").await;
    let s = said(&t);
    assert!(s.contains("Ring derfor ikke 112 uden videre"), "{s}");
    let after = s
        .split("Ring derfor ikke 112 uden videre")
        .nth(1)
        .expect("text after the decision");
    assert!(
        !after.contains("læg på, og ring 112") && !after.contains("Ved livsfare"),
        "contradicts the decision: {after}"
    );
    assert!(
        after.contains("Vagtlægen kaldes nu. Bliv i røret")
            && after.contains("Er du i tvivl om beslutningen, så ring 112"),
        "{after}"
    );
    let case = r.case_of(call).await;
    let wait_path = format!("/twilio/voice/wait?case={case}");
    let w = said(&r.hook(&wait_path, &[("CallSid", call)]).await);
    assert_eq!(
        w,
        "Vagtlægen kaldes stadig. Bliv i røret. Er du i tvivl om beslutningen, så ring 112."
    );
    // Nobody answers: once the escalation is exhausted the update says what
    // to do without contradicting the decision.
    let t0 = Utc::now();
    for minutes in [0, 2, 4, 6, 8] {
        r.tick(t0 + Duration::minutes(minutes)).await;
    }
    assert_eq!(
        r.db.store
            .escalation(case)
            .await
            .expect("read")
            .expect("esc")
            .state,
        EscalationState::Exhausted
    );
    let w = said(&r.hook(&wait_path, &[("CallSid", call)]).await);
    assert!(
        !w.contains("Ved livsfare") && w.contains("Er du i tvivl om beslutningen, så ring 112"),
        "{w}"
    );

    // Poul (room 14, full treatment): the same red flag says ring 112, and so
    // does the waiting update.
    let call = "CA00000000000000000000000000000701";
    r.call_in(call, ANNA).await;
    r.keys(call, 1, "14").await;
    let s = said(&r.keys(call, 2, "3").await);
    assert!(s.starts_with("Ring 112 nu"), "{s}");
    assert!(s.contains("Ved livsfare: læg på, og ring 112"), "{s}");
    let case = r.case_of(call).await;
    let w = said(
        &r.hook(
            &format!("/twilio/voice/wait?case={case}"),
            &[("CallSid", call)],
        )
        .await,
    );
    assert!(w.contains("Ved livsfare: læg på, og ring 112"), "{w}");
    r.close().await;
}

/// On the phone the resident's card is a read when it is spoken, again when
/// Twilio repeats a webhook and the stored answer is replayed, and the
/// physician hearing the page's summary (with the room) is a read too.
#[tokio::test]
async fn spoken_cards_replays_and_heard_pages_are_access_logged() {
    use akutlinje_core::record::{AccessAction, Channel};
    let r = rig().await;
    let call = "CA00000000000000000000000000000800";
    r.call_in(call, ANNA).await;
    let first = r.keys(call, 1, "14").await;
    assert!(said(&first).contains("Poul"), "the card is spoken");
    let case = r.case_of(call).await;
    let poul: akutlinje_core::ids::ResidentId = "sol-14".parse().expect("id");
    let log = |r: &Rig| {
        let store = r.db.store.clone();
        let poul = poul.clone();
        async move { store.access_log_of(&poul, None, None).await.expect("log") }
    };
    let twilio_reads =
        |entries: &[akutlinje_core::record::AccessEntry], who: &str, detail: Option<&str>| {
            entries
                .iter()
                .filter(|e| {
                    e.case == Some(case)
                        && e.channel == Some(Channel::Twilio)
                        && e.person.as_ref().map(|p| p.as_str()) == Some(who)
                        && e.action == AccessAction::Read
                        && e.detail.as_deref() == detail
                })
                .count()
        };
    assert_eq!(twilio_reads(&log(&r).await, "anna", None), 1, "the look-up");
    // Twilio retries the webhook: the same answer, and a second read.
    let again = r.keys(call, 1, "14").await;
    assert_eq!(again, first);
    assert_eq!(twilio_reads(&log(&r).await, "anna", Some("replay")), 1);
    // A red flag pages Dr. Lund by voice; he picks up and hears the summary.
    r.keys(call, 2, "3").await;
    r.tick(Utc::now()).await;
    let placed = r
        .fake
        .requests()
        .into_iter()
        .find(|q| q.path.ends_with("/Calls.json"))
        .expect("a page call");
    let url = placed
        .get("Url")
        .expect("url")
        .strip_prefix(&r.hooks.base)
        .expect("ours")
        .to_string();
    let heard = r
        .hook(&url, &[("CallSid", "CA801"), ("AnsweredBy", "human")])
        .await;
    assert!(said(&heard).contains("værelse 14"), "{}", said(&heard));
    assert_eq!(twilio_reads(&log(&r).await, "dr-lund", Some("page")), 1);
    r.close().await;
}

/// Caller id is not proof: staff key a PIN before anything about a resident
/// is said. Three wrong PINs (or none set) put the caller through to the
/// physician on call without resident data; a home may share one PIN.
#[tokio::test]
async fn staff_key_a_pin_before_any_resident_data_and_help_is_never_blocked() {
    let r = rig().await;
    let no_resident = |xml: &str| {
        let s = said(xml);
        assert!(
            !s.contains("Karen")
                && !s.contains("Poul")
                && !s.contains("værelse")
                && !s.contains("Beboer"),
            "{s}"
        );
    };
    // The right number is not enough: the PIN first, nothing else.
    let call = "CA00000000000000000000000000000900";
    let t = r.ring(call, ANNA).await;
    assert!(
        said(&t).contains("Tast din personlige kode"),
        "{}",
        said(&t)
    );
    no_resident(&t);
    let gather = element(&check_twiml(&t), "Gather").expect("keys").1.clone();
    assert_eq!(gather.get("finishOnKey").map(String::as_str), Some("#"));
    assert!(r.db.store.cases(None, 10).await.expect("cases").is_empty());
    // Wrong twice, then wrong a third time: put through to the physician.
    let t = r.pin(call, 1, "1111").await;
    assert!(said(&t).contains("Koden var forkert"), "{}", said(&t));
    let t = r.pin(call, 2, "").await;
    assert!(said(&t).contains("Koden var forkert"), "{}", said(&t));
    let t = r.pin(call, 3, "9999").await;
    assert!(
        said(&t).contains("stilles nu om til vagtlægen"),
        "{}",
        said(&t)
    );
    no_resident(&t);
    let next = check_twiml(&t)
        .into_iter()
        .find(|(n, _, _)| n == "Redirect")
        .map(|(_, _, u)| u)
        .expect("redirect");
    let d = r
        .hook(
            next.strip_prefix(&r.hooks.base).expect("ours"),
            &[("CallSid", call)],
        )
        .await;
    let els = check_twiml(&d);
    let number = element(&els, "Number").expect("put through");
    assert!([LUND, BERG].contains(&number.2.as_str()), "{}", number.2);
    assert!(
        r.db.store.cases(None, 10).await.expect("cases").is_empty(),
        "no case, no resident data"
    );
    // Zero at the PIN: straight through, too.
    let call = "CA00000000000000000000000000000901";
    r.ring(call, ANNA).await;
    let t = r.pin(call, 1, "0").await;
    assert!(
        said(&t).contains("Du stilles om til vagtlægen"),
        "{}",
        said(&t)
    );
    // The right PIN opens the case.
    let call = "CA00000000000000000000000000000902";
    r.ring(call, ANNA).await;
    let t = r.pin(call, 1, PIN).await;
    assert!(
        said(&t).contains("Du ringer fra Plejecenter Solgården"),
        "{}",
        said(&t)
    );
    assert_eq!(r.db.store.cases(None, 10).await.expect("cases").len(), 1);
    // Bo (Birkely) has no PIN of his own and his home none: put through.
    let bo_phone = "+4520000002";
    let mut bo =
        r.db.store
            .person(&"bo".parse().expect("id"))
            .await
            .expect("read")
            .expect("bo");
    bo.phone = Some(PhoneNumber::parse(bo_phone).expect("a phone number"));
    r.db.store.upsert_person(&bo).await.expect("phone");
    let call = "CA00000000000000000000000000000903";
    r.ring(call, bo_phone).await;
    let t = r.pin(call, 1, "2468").await;
    assert!(said(&t).contains("ikke sat en kode op"), "{}", said(&t));
    no_resident(&t);
    // Birkely's shared PIN works for him.
    let hash = akutlinje::web::hash_password("2468").expect("hash");
    r.db.store
        .set_home_pin(&"birkely".parse().expect("id"), &hash, Utc::now())
        .await
        .expect("home pin");
    let call = "CA00000000000000000000000000000904";
    r.ring(call, bo_phone).await;
    let t = r.pin(call, 1, "2468").await;
    assert!(
        said(&t).contains("Du ringer fra Plejecenter Birkely"),
        "{}",
        said(&t)
    );
    r.close().await;
}

/// A homeserver that accepts the connection and never answers: the Matrix
/// page hangs (until its own timeout), and the SMS pages of the same red
/// steps still leave within a second of their step; nothing waits for Matrix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_homeserver_that_never_answers_delays_no_sms_page() {
    use akutlinje_core::record::Channel;
    use matrix_sdk::authentication::matrix::MatrixSession;
    let r = rig().await;
    // The stand-in: accepts, reads nothing, answers nothing.
    let standin = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let standin_url = format!("http://{}", standin.local_addr().expect("addr"));
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = standin.accept().await {
            held.push(sock);
        }
    });
    let client = matrix_sdk::Client::builder()
        .homeserver_url(&standin_url)
        .build()
        .await
        .expect("client");
    let session: MatrixSession = serde_json::from_value(serde_json::json!({
        "user_id": "@akutbot:localhost",
        "device_id": "STANDIN",
        "access_token": "token",
    }))
    .expect("session");
    client.restore_session(session).await.expect("session");
    let matrix = akutlinje_bot::sender::MatrixSender::new(r.hotline.localizer().clone());
    matrix.connected(client);
    let mut lund =
        r.db.store
            .person(&"dr-lund".parse().expect("id"))
            .await
            .expect("read")
            .expect("dr-lund");
    lund.matrix_user = Some("@lund:localhost".into());
    r.db.store.upsert_person(&lund).await.expect("matrix id");
    let policies = policies().replacen(
        r#"{ person = "dr-lund", channels = ["voice"], wait_minutes = 2 },"#,
        r#"{ person = "dr-lund", channels = ["matrix", "sms"], wait_minutes = 2 },"#,
        1,
    );
    let escalator = Escalator::new(
        r.db.store.clone(),
        Policies::parse(&policies).expect("policies"),
        "akutlaege".parse().expect("id"),
        r.hotline.checklist().clone(),
        r.hotline.localizer().clone(),
        "loop",
    );
    let outbox = Outbox::new(
        r.db.store.clone(),
        vec![
            Arc::new(matrix),
            Arc::new(r.tel.sms_sender()),
            Arc::new(r.tel.voice_sender()),
        ],
        "loop",
    );
    let wake = Arc::new(tokio::sync::Notify::new());
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(akutlinje_scheduler::escalation::run_woken(
        escalator,
        outbox,
        Arc::new(akutlinje_scheduler::escalation::SystemClock),
        std::time::Duration::from_millis(200),
        wake.clone(),
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        },
    ));
    // Five red-flag cases, one after the other, as staff would open them.
    let anna =
        r.db.store
            .person(&"anna".parse().expect("id"))
            .await
            .expect("read")
            .expect("anna");
    let home =
        r.db.store
            .home(&"solgaarden".parse().expect("id"))
            .await
            .expect("read")
            .expect("home");
    let mut cases = Vec::new();
    for _ in 0..5 {
        let case = CaseId::from_uuid(uuid::Uuid::new_v4());
        r.hotline
            .open_case(
                case,
                &anna,
                &home,
                Channel::Console,
                akutlinje_core::i18n::Lang::Da,
                Utc::now(),
            )
            .await
            .expect("open");
        for text in ["14", "3"] {
            r.hotline
                .input(case, &anna, Channel::Console, text, None, Utc::now())
                .await
                .expect("input");
        }
        wake.notify_one();
        cases.push(case);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    // Every SMS page left within a second of its step, while every Matrix
    // page of the same steps is still hanging.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let sms_to_lund = |r: &Rig| {
        r.fake
            .requests()
            .into_iter()
            .filter(|q| q.path.ends_with("/Messages.json") && q.get("To") == Some(LUND))
            .collect::<Vec<_>>()
    };
    while sms_to_lund(&r).len() < 5 {
        assert!(
            std::time::Instant::now() < deadline,
            "only {} SMS pages left",
            sms_to_lund(&r).len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let sms = sms_to_lund(&r);
    let mut lags = Vec::new();
    for case in &cases {
        let events = r.db.events(*case).await;
        let stepped = events
            .iter()
            .find(|e| matches!(e.event.kind, EventKind::PageSent { .. }))
            .expect("the step fired")
            .event
            .at;
        let code = akutlinje_telephony::case_code(*case);
        let sent = sms
            .iter()
            .find(|q| q.get("Body").is_some_and(|b| b.contains(&code)))
            .expect("the case's SMS")
            .at;
        lags.push((sent - stepped).num_milliseconds());
        let notes =
            r.db.store
                .notifications(*case)
                .await
                .expect("notifications");
        assert!(
            notes.iter().any(|n| n.new.channel == NotifyChannel::Matrix
                && n.status == akutlinje_core::escalation::NotificationStatus::Pending),
            "the Matrix page is still pending: {notes:?}"
        );
    }
    eprintln!("SMS page lag after its step (ms): {lags:?}");
    assert!(lags.iter().all(|l| *l < 1000), "{lags:?}");
    let _ = stop.send(true);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(20), task).await;
    r.close().await;
}

/// The golden record of a phone case: PIN, room, no red flag, vitals on the
/// keypad (a skip, a decimal, blood pressure with the star), a voice note,
/// the concern skipped, the page by SMS and its acknowledgement. Kept in
/// tests/fixtures/golden/phone.jsonl.
#[tokio::test]
async fn golden_record_of_a_phone_case() {
    let r = rig().await;
    let call = "CA00000000000000000000000000000950";
    r.call_in(call, ANNA).await;
    r.keys(call, 1, "14").await;
    r.keys(call, 2, "7").await;
    for (n, d) in [
        (3, "22"),
        (4, "*"),
        (5, "2"),
        (6, "125*80"),
        (7, "98"),
        (8, "1"),
        (9, "38*9"),
    ] {
        r.keys(call, n, d).await;
    }
    let rec_url = format!(
        "{}/2010-04-01/Accounts/{ACCOUNT}/Recordings/RE0950",
        r.fake.url
    );
    r.hook(
        "/twilio/voice/record?n=10",
        &[
            ("CallSid", call),
            ("RecordingUrl", &rec_url),
            ("RecordingDuration", "4"),
            ("Digits", "#"),
        ],
    )
    .await;
    r.hook(
        "/twilio/voice/record?n=11",
        &[("CallSid", call), ("Digits", "*")],
    )
    .await;
    let case = r.case_of(call).await;
    r.tick(Utc::now()).await;
    let code = akutlinje_telephony::case_code(case);
    r.hook(
        "/twilio/sms/incoming",
        &[
            ("MessageSid", "SM950"),
            ("From", LUND),
            ("Body", &format!("OK {code}")),
        ],
    )
    .await;
    crate::common::golden::check("phone", &r.db.events(case).await);
    r.close().await;
}
