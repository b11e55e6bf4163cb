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

#[tokio::test]
async fn demo_passwords_work_and_bad_ones_are_slowed_down() {
    let db = Db::sqlite().await;
    let base = spawn(&db).await;
    let http = client();
    // Not signed in: the pages send you to the log-in page.
    let r = http.get(format!("{base}/rota")).send().await.expect("get");
    assert_eq!(
        (r.status(), r.headers()["location"].to_str().ok()),
        (StatusCode::SEE_OTHER, Some("/login"))
    );
    let token = db.token("karin");
    let r = http
        .post(format!("{base}/login"))
        .form(&[("person", "karin"), ("password", token.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let page = http
        .get(format!("{base}/rota?week=2026-W48"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(
        page.contains("Vagtplan – Akutlæge, Region Sjælland (demo)"),
        "{page}"
    );
    assert!(page.contains("Ikke dækket"));
    // A form without the session's CSRF token is refused.
    let r = http
        .post(format!("{base}/rota/overrides"))
        .form(&[
            ("csrf", "forged"),
            ("service", "akutlaege"),
            ("week", "2026-W48"),
            ("tier", "backup"),
            ("person", "dr-lund"),
            ("from", "2026-11-24T08:00"),
            ("to", "2026-11-24T16:00"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(db
        .store
        .rota(&"akutlaege".parse().expect("id"))
        .await
        .expect("rota")
        .overrides
        .is_empty());

    // Wrong passwords are slowed down, never locked out: after a few, the
    // next attempt from here waits (429 with Retry-After); the right one
    // then still works.
    let other = client();
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let r = other
            .post(format!("{base}/login"))
            .form(&[("person", "bo"), ("password", "forkert")])
            .send()
            .await
            .expect("post");
        statuses.push(r.status());
    }
    assert_eq!(
        statuses[..6],
        [StatusCode::UNAUTHORIZED; 6],
        "five free, the sixth counted with a wait after it"
    );
    assert_eq!(statuses[6], StatusCode::TOO_MANY_REQUESTS);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let right = db.token("bo");
    let r = other
        .post(format!("{base}/login"))
        .form(&[("person", "bo"), ("password", right.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "bo is not locked out");
    db.close().await;
}

/// chromedriver on a free port, stopped on drop.
struct Driver(Child, u16);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
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

#[tokio::test]
async fn in_chromium_an_override_closes_a_gap() {
    let db = Db::sqlite().await;
    let base = spawn(&db).await;
    let driver = start_chromedriver();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1400,1000"]
        }),
    );
    let mut browser = None;
    for _ in 0..50 {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{}", driver.1))
            .await
        {
            Ok(c) => {
                browser = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    let c = browser.expect("a Chromium session through chromedriver");
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot folder");

    // Log in as the coordinator.
    c.goto(&format!("{base}/login")).await.expect("login page");
    c.find(Locator::Css("input[name=person]"))
        .await
        .expect("person")
        .send_keys("karin")
        .await
        .expect("type");
    c.find(Locator::Css("input[name=password]"))
        .await
        .expect("password")
        .send_keys(&db.token("karin"))
        .await
        .expect("type");
    c.find(Locator::Css("button[type=submit]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");

    // Signing in lands on the rota; wait for it before going on.
    c.wait()
        .for_element(Locator::Css("#rota"))
        .await
        .expect("signed in");

    // The week of 2026-11-23: backup is not covered 08–16 on Tuesday.
    c.goto(&format!("{base}/rota?week=2026-W48"))
        .await
        .expect("rota");
    let table = c
        .find(Locator::Css("#rota"))
        .await
        .expect("rota table")
        .text()
        .await
        .expect("text");
    assert!(table.contains("08:00–16:00 Ikke dækket"), "{table}");
    let summary = c
        .find(Locator::Css("#gaps-summary"))
        .await
        .expect("summary")
        .text()
        .await
        .expect("text");
    let before: i64 = summary
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("minutes uncovered");
    std::fs::write(
        shots.join("rota-before.png"),
        c.screenshot().await.expect("screenshot"),
    )
    .expect("save");

    // Add cover for that gap.
    let form = c.find(Locator::Css("#add-override")).await.expect("form");
    form.find(Locator::Css("select[name=tier] option[value=backup]"))
        .await
        .expect("tier")
        .click()
        .await
        .expect("pick");
    form.find(Locator::Css("select[name=person] option[value=dr-lund]"))
        .await
        .expect("person")
        .click()
        .await
        .expect("pick");
    // datetime-local inputs: set through script (typing is locale-dependent in Chromium).
    c.execute(
        "document.querySelector('#add-override input[name=from]').value = '2026-11-24T08:00';
         document.querySelector('#add-override input[name=to]').value = '2026-11-24T16:00';",
        vec![],
    )
    .await
    .expect("set times");
    form.find(Locator::Css("button[type=submit]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");

    // The click returns before the next page has loaded: wait for it.
    let msg = c
        .wait()
        .for_element(Locator::Css("p.msg"))
        .await
        .expect("confirmation")
        .text()
        .await
        .expect("text");
    assert_eq!(msg, "Dækningen er gemt.");
    let summary = c
        .find(Locator::Css("#gaps-summary"))
        .await
        .expect("summary")
        .text()
        .await
        .expect("text");
    let after: i64 = summary
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("minutes uncovered");
    assert_eq!(
        before - after,
        8 * 60,
        "the 8-hour gap is closed: {before} → {after}"
    );
    let table = c
        .find(Locator::Css("#rota"))
        .await
        .expect("rota table")
        .text()
        .await
        .expect("text");
    assert!(table.contains("08:00–16:00 Mette Lund"), "{table}");
    std::fs::write(
        shots.join("rota-after.png"),
        c.screenshot().await.expect("screenshot"),
    )
    .expect("save");

    // The month at a glance.
    c.goto(&format!("{base}/rota/month?month=2026-11"))
        .await
        .expect("month");
    let month = c
        .find(Locator::Css("#rota-month"))
        .await
        .expect("month table")
        .text()
        .await
        .expect("text");
    assert!(
        month.contains("30.") && month.contains("t ikke dækket"),
        "{month}"
    );
    std::fs::write(
        shots.join("rota-month.png"),
        c.screenshot().await.expect("screenshot"),
    )
    .expect("save");

    // The figures page renders its plots (with two decided cases).
    seed_decided_cases(&db).await;
    c.goto(&format!("{base}/figures")).await.expect("figures");
    c.find(Locator::Css("#ack"))
        .await
        .expect("acknowledgement table");
    std::fs::write(
        shots.join("figures.png"),
        c.screenshot().await.expect("screenshot"),
    )
    .expect("save");
    c.close().await.expect("close");
    drop(driver);
    db.close().await;
}

fn csrf_of(page: &str) -> String {
    let i =
        page.find("name=\"csrf\" value=\"").expect("a csrf field") + "name=\"csrf\" value=\"".len();
    page[i..].split('"').next().expect("value").to_string()
}

#[tokio::test]
async fn rotations_swaps_and_cover_are_validated() {
    let db = Db::sqlite().await;
    let base = spawn(&db).await;
    let http = client();
    let token = db.token("karin");
    http.post(format!("{base}/login"))
        .form(&[("person", "karin"), ("password", token.as_str())])
        .send()
        .await
        .expect("login");
    let page = http
        .get(format!("{base}/rota?week=2026-W48"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    let csrf = csrf_of(&page);
    let post = |path: &'static str, fields: Vec<(&'static str, String)>| {
        let http = http.clone();
        let base = base.clone();
        async move {
            http.post(format!("{base}{path}"))
                .form(&fields)
                .send()
                .await
                .expect("post")
        }
    };
    let rotation = |cron: &str, members: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("service", "akutlaege".to_string()),
            ("week", "2026-W48".to_string()),
            ("id", "backup-days".to_string()),
            ("tier", "backup".to_string()),
            ("layer", "0".to_string()),
            ("members", members.to_string()),
            ("shift_start", cron.to_string()),
            ("hours", "8".to_string()),
            ("anchor", "2026-11-02T00:00".to_string()),
        ]
    };
    let r = post(
        "/rota/rotations",
        rotation("hver dag kl 8", "dr-berg, dr-lund"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .expect("body")
        .contains("is not a cron expression"));
    let r = post(
        "/rota/rotations",
        rotation("0 0 8 * * *", "dr-berg, dr-nobody"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .expect("body")
        .contains("Personen findes ikke. (dr-nobody)"));
    let r = post(
        "/rota/rotations",
        rotation("0 0 8 * * *", "dr-berg, dr-lund"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let gaps = akutlinje::oncall::gaps(
        &db.store,
        &"akutlaege".parse().expect("id"),
        akutlinje_scheduler::rota::instant(
            chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
                .expect("date")
                .and_hms_opt(0, 0, 0)
                .expect("time"),
        ),
        7,
    )
    .await
    .expect("gaps");
    assert_eq!(
        gaps["tiers"][1]["uncovered_minutes"], 0,
        "the new day rotation closes backup's daytime gaps"
    );

    // A swap must name shifts the two people really have.
    let swap = |a_shift: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("service", "akutlaege".to_string()),
            ("week", "2026-W48".to_string()),
            ("rotation", "backup-days".to_string()),
            ("a", "dr-berg".to_string()),
            ("a_shift", a_shift.to_string()),
            ("b", "dr-lund".to_string()),
            ("b_shift", "2026-11-25T08:00".to_string()),
        ]
    };
    // Anchor 2 Nov: shifts alternate berg, lund, ...: 24 Nov (day 22) is berg's, 25 Nov lund's.
    let r = post("/rota/swaps", swap("2026-11-23T08:00")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .expect("body")
        .contains("dr-berg har ikke en vagt i rotationen, der begynder 08:00"));
    let r = post("/rota/swaps", swap("2026-11-24T08:00")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let now = akutlinje_scheduler::rota::instant(
        chrono::NaiveDate::from_ymd_opt(2026, 11, 24)
            .expect("d")
            .and_hms_opt(10, 0, 0)
            .expect("t"),
    );
    let v = akutlinje::oncall::on_call(&db.store, &"akutlaege".parse().expect("id"), now)
        .await
        .expect("oncall");
    assert_eq!(v["tiers"][1]["person"], "dr-lund", "swapped");

    // Cover that overlaps other cover for the same tier is refused.
    let cover = |from: &str, to: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("service", "akutlaege".to_string()),
            ("week", "2026-W48".to_string()),
            ("tier", "coordinator".to_string()),
            ("person", "karin".to_string()),
            ("from", from.to_string()),
            ("to", to.to_string()),
        ]
    };
    assert_eq!(
        post(
            "/rota/overrides",
            cover("2026-11-24T16:00", "2026-11-25T08:00")
        )
        .await
        .status(),
        StatusCode::SEE_OTHER
    );
    let r = post(
        "/rota/overrides",
        cover("2026-11-25T06:00", "2026-11-25T10:00"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .expect("body")
        .contains("Der er allerede dækning"));
    let r = post(
        "/rota/overrides",
        cover("2026-11-26T10:00", "2026-11-26T09:00"),
    )
    .await;
    assert!(r
        .text()
        .await
        .expect("body")
        .contains("Slut skal ligge efter start."));
    db.close().await;
}

#[tokio::test]
async fn figures_show_acknowledgement_times_and_outcomes() {
    let db = Db::sqlite().await;
    let base = spawn(&db).await;
    seed_decided_cases(&db).await;
    let http = client();
    let token = db.token("karin");
    http.post(format!("{base}/login"))
        .form(&[("person", "karin"), ("password", token.as_str())])
        .send()
        .await
        .expect("login");
    let page = http
        .get(format!("{base}/figures"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(page.contains("<td>7.0 min</td>"), "median shown: {page}");
    assert!(
        page.contains("<td>Behandlet på plejecentret</td><td>1</td>"),
        "{page}"
    );
    assert!(page.contains("<td>Indlagt</td><td>1</td>"), "{page}");
    assert!(page.contains("<svg"), "plots are SVG");
    db.close().await;
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

/// 300 anonymous wrong passwords for the coordinator, from another source:
/// the attacker is slowed down (429s), the coordinator is never locked out;
/// her right password from her usual source works during the attack, and
/// after a second wave from elsewhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attack_on_the_coordinators_password_never_locks_her_out() {
    let db = Db::sqlite().await;
    let base = spawn(&db).await;
    let karin = client_from("127.0.0.1");
    let password = db.token("karin");
    assert_eq!(
        log_in(&karin, &base, "karin", &password).await,
        StatusCode::SEE_OTHER
    );
    let wave = |ip: &'static str, n: usize| {
        let base = base.clone();
        async move {
            let attacker = client_from(ip);
            let mut tasks = Vec::new();
            for i in 0..n {
                let (a, b) = (attacker.clone(), base.clone());
                tasks.push(tokio::spawn(async move {
                    log_in(&a, &b, "karin", &format!("gæt-{i}")).await
                }));
            }
            let mut out = std::collections::BTreeMap::<u16, usize>::new();
            for t in tasks {
                *out.entry(t.await.expect("task").as_u16()).or_default() += 1;
            }
            out
        }
    };
    let (first, during) = tokio::join!(wave("127.0.0.2", 300), async {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        log_in(&karin, &base, "karin", &password).await
    });
    assert_eq!(
        during,
        StatusCode::SEE_OTHER,
        "the right password during the attack"
    );
    assert_eq!(first.values().sum::<usize>(), 300);
    assert!(
        first.keys().all(|s| [401, 429].contains(s)),
        "nothing but refusals: {first:?}"
    );
    // Counted before the check, atomically: of 300 parallel guesses only the
    // free ones reached the password check.
    assert!(first.get(&401).copied().unwrap_or(0) <= 6, "{first:?}");
    let second = wave("127.0.0.3", 100).await;
    assert!(second.get(&401).copied().unwrap_or(0) <= 6, "{second:?}");
    assert_eq!(
        log_in(&karin, &base, "karin", &password).await,
        StatusCode::SEE_OTHER
    );
    // The attacker keeps being held back, with Retry-After.
    let r = client_from("127.0.0.2")
        .post(format!("{base}/login"))
        .form(&[("person", "karin"), ("password", password.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    db.close().await;
}

/// Password checks are bounded: with one permit, a burst from a hundred
/// sources gets 429 ("busy") for what does not fit, never a 5xx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_checks_are_bounded_and_the_rest_get_429() {
    let db = Db::sqlite().await;
    let base = spawn_with(
        &db,
        akutlinje::login::WebSettings {
            login: Arc::new(akutlinje::login::LoginGuard::new(1)),
            ..Default::default()
        },
    )
    .await;
    let mut tasks = Vec::new();
    for i in 0..100u8 {
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let c = client_from(&format!("127.0.1.{}", i + 1));
            let r = c
                .post(format!("{base}/login"))
                .form(&[("person", "dr-lund"), ("password", "forkert")])
                .send()
                .await
                .expect("post");
            (r.status(), r.text().await.unwrap_or_default())
        }));
    }
    let mut busy = 0;
    let mut checked = 0;
    for t in tasks {
        let (status, body) = t.await.expect("task");
        match status {
            StatusCode::TOO_MANY_REQUESTS if body.contains("travlt") => busy += 1,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::UNAUTHORIZED => checked += 1,
            other => panic!("{other}: {body}"),
        }
    }
    assert!(
        busy > 0,
        "the semaphore turned some away ({checked} checked)"
    );
    db.close().await;
}

/// Behind https the session cookie is Secure; a changed password ends
/// every session; the case page is an access-logged read on the web.
#[tokio::test]
async fn secure_cookies_revoked_sessions_and_logged_web_reads() {
    let db = Db::sqlite().await;
    let base = spawn_with(
        &db,
        akutlinje::login::WebSettings {
            secure_cookies: true,
            ..Default::default()
        },
    )
    .await;
    let http = client();
    let password = db.token("karin");
    let r = http
        .post(format!("{base}/login"))
        .form(&[("person", "karin"), ("password", password.as_str())])
        .send()
        .await
        .expect("post");
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_string();
    assert!(cookie.contains("Secure"), "{cookie}");
    // reqwest keeps Secure cookies only for https; send it by hand.
    let session = cookie.split(';').next().expect("pair").to_string();
    let get = |path: String| {
        let http = http.clone();
        let session = session.clone();
        async move {
            http.get(path)
                .header("cookie", session)
                .send()
                .await
                .expect("get")
        }
    };
    assert_eq!(get(format!("{base}/rota")).await.status(), StatusCode::OK);
    // A case, read on the web page: logged as the web channel.
    let loc = Arc::new(Localizer::builtin().expect("texts"));
    let def = Arc::new(Checklist::builtin_acute(&loc).expect("checklist"));
    let h = Hotline::new(db.store.clone(), def, loc);
    let anna = db
        .store
        .person(&"anna".parse().expect("id"))
        .await
        .expect("read")
        .expect("anna");
    let home = db
        .store
        .home(&"solgaarden".parse().expect("id"))
        .await
        .expect("read")
        .expect("home");
    let case = akutlinje_core::ids::CaseId::from_uuid(uuid::Uuid::new_v4());
    h.open_case(
        case,
        &anna,
        &home,
        akutlinje_core::record::Channel::Console,
        Lang::Da,
        Utc::now(),
    )
    .await
    .expect("open");
    h.input(
        case,
        &anna,
        akutlinje_core::record::Channel::Console,
        "12",
        None,
        Utc::now(),
    )
    .await
    .expect("input");
    assert_eq!(
        get(format!("{base}/cases/{case}")).await.status(),
        StatusCode::OK
    );
    let log = db
        .store
        .access_log_of(&"sol-12".parse().expect("id"), None, None)
        .await
        .expect("log");
    assert!(log
        .iter()
        .any(|e| e.person.as_ref().map(|p| p.as_str()) == Some("karin")
            && e.channel == Some(akutlinje_core::record::Channel::Web)
            && e.case == Some(case)));
    // A new password (as `akutlinje people password` sets it): signed out.
    let hash = akutlinje::web::hash_password("et helt nyt kodeord").expect("hash");
    db.store
        .set_password_hash(&"karin".parse().expect("id"), &hash, Utc::now())
        .await
        .expect("change");
    let r = get(format!("{base}/rota")).await;
    assert_eq!(
        (
            r.status(),
            r.headers().get("location").and_then(|l| l.to_str().ok())
        ),
        (StatusCode::SEE_OTHER, Some("/login"))
    );
    db.close().await;
}

/// The web page *Plejecentre*: a coordinator binds a room to a home (with
/// the session's CSRF token) and removes it; staff may not see the page.
#[tokio::test]
async fn coordinators_bind_rooms_to_homes_on_the_web() {
    let db = Db::sqlite().await;
    let base = spawn(&db).await;
    let http = client();
    let r = http
        .post(format!("{base}/login"))
        .form(&[
            ("person", "karin"),
            ("password", db.token("karin").as_str()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = http
        .get(format!("{base}/homes"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(page.contains("Knyt et rum til et plejecenter"), "{page}");
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("csrf")
        .to_string();
    let r = http
        .post(format!("{base}/homes/rooms"))
        .form(&[
            ("csrf", "forged"),
            ("home", "solgaarden"),
            ("room", "!abc:x"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = http
        .post(format!("{base}/homes/rooms"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("home", "solgaarden"),
            ("room", "ikke et rum"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = http
        .post(format!("{base}/homes/rooms"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("home", "solgaarden"),
            ("room", "!abc:matrix.region.dk"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let rooms = db.store.home_rooms(None).await.expect("rooms");
    assert_eq!(rooms.len(), 1);
    assert_eq!(
        rooms[0].bound_by.as_ref().map(|p| p.as_str()),
        Some("karin")
    );
    let page = http
        .get(format!("{base}/homes?msg=web-homes-bound"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(
        page.contains("!abc:matrix.region.dk") && page.contains("Rummet er knyttet"),
        "{page}"
    );
    let r = http
        .post(format!("{base}/homes/rooms/unbind"))
        .form(&[("csrf", csrf.as_str()), ("room", "!abc:matrix.region.dk")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(db.store.home_rooms(None).await.expect("rooms").is_empty());
    // Staff: not their page.
    let staff = client();
    staff
        .post(format!("{base}/login"))
        .form(&[("person", "anna"), ("password", db.token("anna").as_str())])
        .send()
        .await
        .expect("post");
    let r = staff
        .get(format!("{base}/homes"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    db.close().await;
}
