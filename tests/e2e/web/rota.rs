//! The rota pages, in Chromium and by form: cover, rotations and swaps under the scheduler's rules.

use super::*;

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
