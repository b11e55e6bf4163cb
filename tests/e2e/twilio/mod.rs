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
    /// Staff's call through the checklist by keys: the room, no danger sign,
    /// the seven vital signs as `vitals` (keys 3–9), a 4-second voice note
    /// as recording `rec`, the concern skipped. Returns the case.
    async fn checklist_by_keys(
        &self,
        call: &str,
        room: &str,
        vitals: [&str; 7],
        rec: &str,
    ) -> CaseId {
        self.call_in(call, ANNA).await;
        self.keys(call, 1, room).await;
        self.keys(call, 2, "7").await;
        for (n, d) in (3..).zip(vitals) {
            self.keys(call, n, d).await;
        }
        let rec_url = format!(
            "{}/2010-04-01/Accounts/{ACCOUNT}/Recordings/{rec}",
            self.fake.url
        );
        self.hook(
            "/twilio/voice/record?n=10",
            &[
                ("CallSid", call),
                ("RecordingUrl", &rec_url),
                ("RecordingDuration", "4"),
                ("Digits", "#"),
            ],
        )
        .await;
        self.hook(
            "/twilio/voice/record?n=11",
            &[("CallSid", call), ("Digits", "*")],
        )
        .await;
        self.case_of(call).await
    }

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

mod medium_case;
mod metrics;
mod paging;
mod remeasure;
mod sms;
mod trust;
mod webhooks;
