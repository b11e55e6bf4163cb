//! The SIP bridge end to end with real phones: baresip as the night nurse
//! and as the physician, the bridge answering on 127.0.0.1 with the same
//! checklist as every other channel, a real SQLite store, pages placed
//! through the bridge by the real escalator and outbox.

mod calls;
pub mod kamailio;
pub mod phone;
mod registration;
mod restart;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use akutlinje_core::ids::CaseId;
use akutlinje_core::phone::PhoneNumber;
use akutlinje_scheduler::escalation::{Escalator, Outbox, Policies};
use akutlinje_telephony::sip::line::{Line, LineSettings};
use akutlinje_telephony::sip::prompts::Prompts;
use akutlinje_telephony::sip::trunk::{Registered, Registrar, Trunk, TrunkSettings};
use chrono::Utc;

pub const ANNA: &str = "+4520000001";
pub const PIN: &str = "4711";
pub const LUND: &str = "+4530000001";
pub const BERG: &str = "+4530000002";

pub struct Rig {
    pub db: crate::common::Db,
    pub hotline: akutlinje_core::service::Hotline,
    pub bridge: SocketAddr,
    escalator: Escalator,
    outbox: Outbox,
    stop: tokio_util::sync::CancellationToken,
    /// In registration mode: how the registration stands.
    pub registered: Option<Arc<Registered>>,
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

fn policies() -> &'static str {
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
  { person = "dr-lund", channels = ["voice"], wait_minutes = 10 },
  { person = "dr-berg", channels = ["voice"], wait_minutes = 10 },
]
[[policy]]
urgency = "low"
repeats = 1
alert_tier = "coordinator"
steps = [
  { person = "dr-lund", channels = ["voice"], wait_minutes = 30 },
  { person = "dr-berg", channels = ["voice"], wait_minutes = 30 },
]
[[policy]]
urgency = "routine"
repeats = 1
alert_tier = "coordinator"
steps = [
  { person = "dr-lund", channels = ["voice"], wait_minutes = 60 },
  { person = "dr-berg", channels = ["voice"], wait_minutes = 60 },
]
"#
}

/// Prompts rendered once for every test run (the cache is safe to share:
/// files appear whole or not at all).
fn prompt_cache() -> std::path::PathBuf {
    std::env::temp_dir().join("akutlinje-test-prompt-cache")
}

/// A bridge on a free port whose pages ring the physician's phone on
/// `physician_port` (whoever is paged: both physicians' numbers reach it).
pub async fn rig(physician_port: u16) -> Rig {
    rig_with(physician_port, None).await
}

/// The same, registering at `registrar` (registration mode).
pub async fn rig_with(physician_port: u16, registrar: Option<Registrar>) -> Rig {
    let db = crate::common::Db::sqlite().await;
    for (id, phone) in [("anna", ANNA), ("dr-lund", LUND), ("dr-berg", BERG)] {
        let mut p = db.person(id).await;
        p.phone = Some(PhoneNumber::parse(phone).expect("a phone number"));
        db.store.upsert_person(&p).await.expect("phone");
    }
    let hash = akutlinje::web::hash_password(PIN).expect("hash");
    db.store
        .set_person_pin(&"anna".parse().expect("id"), &hash, Utc::now())
        .await
        .expect("pin");
    let hotline = db.hotline();
    let trunk = Trunk::bind(TrunkSettings {
        bind: "127.0.0.1:0".parse().expect("addr"),
        allowed: vec!["127.0.0.1".parse().expect("ip")],
        media_ip: "127.0.0.1".parse().expect("ip"),
    })
    .await
    .expect("bind");
    let bridge = trunk.local_addr().expect("addr");
    let registered = registrar.map(|r| trunk.register(r).expect("a registrar URI"));
    let prompts = Prompts::new(hotline.localizer().clone(), None, prompt_cache());
    let line = Line::new(
        hotline.clone(),
        db.store.clone(),
        prompts,
        LineSettings {
            dial: format!("sip:{{number}}@127.0.0.1:{physician_port}"),
            from_user: "akutlinje".into(),
            ring: Duration::from_secs(15),
            wait_gap: Duration::from_secs(2),
            ..LineSettings::default()
        },
        Arc::new(akutlinje::oncall::RotaRoster::new(
            db.store.clone(),
            "akutlaege".parse().expect("id"),
        )),
        trunk.dialer(),
    );
    let stop = trunk.stopper();
    let pager = line.pager(tokio::runtime::Handle::current());
    tokio::spawn(async move { trunk.serve(Arc::new(line)).await });
    let escalator = Escalator::new(
        db.store.clone(),
        Policies::parse(policies()).expect("policies"),
        "akutlaege".parse().expect("id"),
        hotline.checklist().clone(),
        hotline.localizer().clone(),
        "w",
    )
    .with_phone_bridge(true);
    let outbox = Outbox::new(db.store.clone(), vec![Arc::new(pager)], "w");
    Rig {
        db,
        hotline,
        bridge,
        escalator,
        outbox,
        stop,
        registered,
    }
}

impl Rig {
    /// The hotline's address for a phone to dial.
    pub fn hotline_uri(&self) -> String {
        format!("sip:akutlinje@{}", self.bridge)
    }

    /// Fires what is due and sends what is pending.
    pub async fn tick(&self) {
        self.tick_at(Utc::now()).await;
    }

    /// Escalation and outbox at a given time (a timer due later).
    pub async fn tick_at(&self, at: chrono::DateTime<Utc>) {
        self.escalator.tick(at).await.expect("escalate");
        self.outbox.tick(at).await.expect("send");
    }

    /// A case opened after `known`, once one exists.
    pub async fn new_case(&self, known: &[CaseId], wait: Duration) -> Option<CaseId> {
        let deadline = tokio::time::Instant::now() + wait;
        while tokio::time::Instant::now() < deadline {
            let cases = self.db.store.cases(None, 100).await.unwrap_or_default();
            if let Some(c) = cases.into_iter().find(|c| !known.contains(&c.id)) {
                return Some(c.id);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        None
    }

    /// Every case so far.
    pub async fn cases(&self) -> Vec<CaseId> {
        let cases = self.db.store.cases(None, 100).await.unwrap_or_default();
        cases.into_iter().map(|c| c.id).collect()
    }

    /// The checklist step the case is at.
    pub async fn step(&self, case: CaseId) -> String {
        self.hotline
            .case_state(case)
            .await
            .map(|s| s.step)
            .unwrap_or_default()
    }

    /// Waits until the case has left `step` (its answer was taken).
    pub async fn left(&self, case: CaseId, step: &str, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        while tokio::time::Instant::now() < deadline {
            let s = self.hotline.case_state(case).await.expect("state");
            if s.step != step || s.paged.is_some() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }
}
