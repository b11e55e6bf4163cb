//! The coordinators' web pages: over HTTP, and in headless Chromium driven
//! through chromedriver (Debian's `chromium` and `chromium-driver`, installed
//! by scripts/test.sh). The browser test saves screenshots of the rota and the
//! figures pages under target/screenshots/.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use crate::common::{AppOptions, Db, TestApp};
use akutlinje_core::engine::Checklist;
use akutlinje_core::i18n::{Lang, Localizer};
use akutlinje_core::service::Hotline;
use chrono::Utc;
use fantoccini::{ClientBuilder, Locator};
use reqwest::StatusCode;

async fn spawn(db: &Db) -> String {
    spawn_with(db, akutlinje::login::WebSettings::default()).await
}

async fn spawn_with(db: &Db, web: akutlinje::login::WebSettings) -> String {
    let o = AppOptions {
        web,
        ..AppOptions::default()
    };
    TestApp::spawn_with(db, o).await.base
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn start_chromedriver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver is installed (scripts/test.sh installs Debian's chromium-driver)");
    Driver(child, port)
}

fn csrf_of(page: &str) -> String {
    let i =
        page.find("name=\"csrf\" value=\"").expect("a csrf field") + "name=\"csrf\" value=\"".len();
    page[i..].split('"').next().expect("value").to_string()
}

/// Two red-flag cases from an hour ago, acknowledged after 4 and 10 minutes,
/// one treated at the home and one admitted.
async fn seed_decided_cases(db: &Db) {
    let hotline = db.hotline();
    let anna = db
        .store
        .person(&"anna".parse().expect("id"))
        .await
        .expect("read")
        .expect("exists");
    let lund = db
        .store
        .person(&"dr-lund".parse().expect("id"))
        .await
        .expect("read")
        .expect("exists");
    let home = db
        .store
        .home(&"solgaarden".parse().expect("id"))
        .await
        .expect("read")
        .expect("exists");
    let now = Utc::now() - chrono::Duration::hours(1);
    for (minutes, decision) in [(4, "ses_an"), (10, "akut_indlæggelse")] {
        let case = akutlinje_core::ids::CaseId::from_uuid(uuid::Uuid::new_v4());
        hotline
            .open_case(
                case,
                &anna,
                &home,
                akutlinje_core::record::Channel::Console,
                Lang::Da,
                now,
            )
            .await
            .expect("open");
        hotline
            .input(
                case,
                &anna,
                akutlinje_core::record::Channel::Console,
                "14",
                None,
                now,
            )
            .await
            .expect("room");
        hotline
            .input(
                case,
                &anna,
                akutlinje_core::record::Channel::Console,
                "3",
                None,
                now,
            )
            .await
            .expect("red flag");
        let at = now + chrono::Duration::minutes(minutes);
        // The escalation's page to Dr. Lund (only a paged physician answers).
        let page = akutlinje_core::escalation::NewNotification {
            case: Some(case),
            person: lund.id.clone(),
            kind: akutlinje_core::escalation::NotificationKind::Page,
            channel: akutlinje_core::escalation::NotifyChannel::Log,
            fallback: vec![],
            text: "kald".into(),
            not_before: now,
        };
        assert!(db
            .store
            .enqueue_once(&format!("page-{case}"), &[page], now)
            .await
            .expect("page"));
        hotline
            .respond_to_page(
                case,
                &lund,
                akutlinje_core::record::Channel::Api,
                false,
                None,
                at,
            )
            .await
            .expect("ack");
        // Only physicians decide.
        assert!(hotline
            .record_disposition(
                case,
                &anna,
                akutlinje_core::record::Channel::Api.into(),
                akutlinje_core::escalation::Disposition::WatchAtHome,
                None,
                at
            )
            .await
            .is_err());
        let d = akutlinje_core::escalation::Disposition::parse(decision).expect("known decision");
        hotline
            .record_disposition(
                case,
                &lund,
                akutlinje_core::record::Channel::Api.into(),
                d,
                Some("Panodil 1 g, ny måling om 2 timer"),
                at,
            )
            .await
            .expect("decide");
    }
}

/// A client whose connections come from `ip` (any 127.x.y.z is this host).
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .local_address(ip.parse::<std::net::IpAddr>().expect("ip"))
        .build()
        .expect("client")
}

async fn log_in(http: &reqwest::Client, base: &str, who: &str, password: &str) -> StatusCode {
    http.post(format!("{base}/login"))
        .form(&[("person", who), ("password", password)])
        .send()
        .await
        .expect("post")
        .status()
}

/// chromedriver on a free port, stopped on drop.
struct Driver(Child, u16);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

mod figures;
mod homes;
mod login;
mod rota;
