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
    let anna = db.person("anna").await;
    let lund = db.person("dr-lund").await;
    let home = db.home("solgaarden").await;
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
/// A headless Chromium session through `driver`.
async fn chromium(driver: &Driver) -> fantoccini::Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1400,1000"]
        }),
    );
    for _ in 0..50 {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{}", driver.1))
            .await
        {
            Ok(c) => return c,
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    panic!("no Chromium session through chromedriver");
}

/// Signs in on the log-in page and waits for the rota it lands on.
async fn sign_in(c: &fantoccini::Client, base: &str, person: &str, password: &str) {
    c.goto(&format!("{base}/login")).await.expect("login page");
    for (field, value) in [("person", person), ("password", password)] {
        c.find(Locator::Css(&format!("input[name={field}]")))
            .await
            .expect("field")
            .send_keys(value)
            .await
            .expect("type");
    }
    c.find(Locator::Css("button[type=submit]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    c.wait()
        .for_element(Locator::Css("#rota"))
        .await
        .expect("signed in");
}

/// The text of the element `css`.
async fn text_of(c: &fantoccini::Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .expect(css)
        .text()
        .await
        .expect("text")
}

/// The uncovered minutes the rota page sums up.
async fn minutes_uncovered(c: &fantoccini::Client) -> i64 {
    text_of(c, "#gaps-summary")
        .await
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("minutes uncovered")
}

/// Saves a screenshot under target/screenshots/ (looked at by people, not asserted).
async fn screenshot(c: &fantoccini::Client, name: &str) {
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot folder");
    std::fs::write(
        shots.join(format!("{name}.png")),
        c.screenshot().await.expect("screenshot"),
    )
    .expect("save");
}

mod login;
mod rota;
