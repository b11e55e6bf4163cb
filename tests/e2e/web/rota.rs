//! The rota pages, in Chromium and by form: cover, rotations and swaps under the scheduler's rules.

use super::*;

#[tokio::test]
async fn in_chromium_an_override_closes_a_gap() {
    let db = Db::sqlite().await;
    let base = spawn(&db).await;
    let driver = start_chromedriver();
    let c = chromium(&driver).await;
    sign_in(&c, &base, "karin", &db.token("karin")).await;

    // The week of 2026-11-23: backup is not covered 08–16 on Tuesday.
    c.goto(&format!("{base}/rota?week=2026-W48"))
        .await
        .expect("rota");
    let table = text_of(&c, "#rota").await;
    assert!(table.contains("08:00–16:00 Ikke dækket"), "{table}");
    let before = minutes_uncovered(&c).await;
    screenshot(&c, "rota-before").await;

    // Add cover for that gap.
    let form = c.find(Locator::Css("#add-override")).await.expect("form");
    for option in [
        "select[name=tier] option[value=backup]",
        "select[name=person] option[value=dr-lund]",
    ] {
        form.find(Locator::Css(option))
            .await
            .expect("option")
            .click()
            .await
            .expect("pick");
    }
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
    let after = minutes_uncovered(&c).await;
    assert_eq!(
        before - after,
        8 * 60,
        "the 8-hour gap is closed: {before} → {after}"
    );
    let table = text_of(&c, "#rota").await;
    assert!(table.contains("08:00–16:00 Mette Lund"), "{table}");
    screenshot(&c, "rota-after").await;

    // The month at a glance.
    c.goto(&format!("{base}/rota/month?month=2026-11"))
        .await
        .expect("month");
    let month = text_of(&c, "#rota-month").await;
    assert!(
        month.contains("30.") && month.contains("t ikke dækket"),
        "{month}"
    );
    screenshot(&c, "rota-month").await;

    // The figures page renders its plots (with two decided cases).
    seed_decided_cases(&db).await;
    c.goto(&format!("{base}/figures")).await.expect("figures");
    c.find(Locator::Css("#ack"))
        .await
        .expect("acknowledgement table");
    screenshot(&c, "figures").await;
    c.close().await.expect("close");
    drop(driver);
    db.close().await;
}

#[tokio::test]
async fn rotations_swaps_and_cover_are_validated() {
    let db = Db::sqlite().await;
    let base = spawn(&db).await;
    let f = RotaForms::signed_in(&db, &base).await;
    rotations_are_validated(&f, &db).await;
    swaps_are_validated(&f, &db).await;
    cover_is_validated(&f).await;
    db.close().await;
}

/// The coordinator's rota forms, signed in, with the page's CSRF token.
struct RotaForms {
    http: reqwest::Client,
    base: String,
    csrf: String,
}

impl RotaForms {
    async fn signed_in(db: &Db, base: &str) -> RotaForms {
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
        RotaForms {
            http,
            base: base.to_string(),
            csrf,
        }
    }

    async fn post(&self, path: &str, fields: Vec<(&'static str, String)>) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .form(&fields)
            .send()
            .await
            .expect("post")
    }
}

/// A rotation with a pattern that is no cron, or an unknown member, is
/// refused with the reason; a good one closes backup's daytime gaps.
async fn rotations_are_validated(f: &RotaForms, db: &Db) {
    let rotation = |cron: &str, members: &str| {
        vec![
            ("csrf", f.csrf.clone()),
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
    let r = f
        .post(
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
    let r = f
        .post(
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
    let r = f
        .post(
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
        gaps.tiers[1].uncovered_minutes, 0,
        "the new day rotation closes backup's daytime gaps"
    );
}

/// A swap must name shifts the two people really have.
async fn swaps_are_validated(f: &RotaForms, db: &Db) {
    let swap = |a_shift: &str| {
        vec![
            ("csrf", f.csrf.clone()),
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
    let r = f.post("/rota/swaps", swap("2026-11-23T08:00")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .expect("body")
        .contains("dr-berg har ikke en vagt i rotationen, der begynder 08:00"));
    let r = f.post("/rota/swaps", swap("2026-11-24T08:00")).await;
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
    assert_eq!(
        v.tiers[1].person.as_ref().map(|p| p.as_str()),
        Some("dr-lund"),
        "swapped"
    );
}

/// Cover that overlaps other cover for the same tier is refused, and so is
/// cover that ends before it starts.
async fn cover_is_validated(f: &RotaForms) {
    let cover = |from: &str, to: &str| {
        vec![
            ("csrf", f.csrf.clone()),
            ("service", "akutlaege".to_string()),
            ("week", "2026-W48".to_string()),
            ("tier", "coordinator".to_string()),
            ("person", "karin".to_string()),
            ("from", from.to_string()),
            ("to", to.to_string()),
        ]
    };
    assert_eq!(
        f.post(
            "/rota/overrides",
            cover("2026-11-24T16:00", "2026-11-25T08:00")
        )
        .await
        .status(),
        StatusCode::SEE_OTHER
    );
    let r = f
        .post(
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
    let r = f
        .post(
            "/rota/overrides",
            cover("2026-11-26T10:00", "2026-11-26T09:00"),
        )
        .await;
    assert!(r
        .text()
        .await
        .expect("body")
        .contains("Slut skal ligge efter start."));
}
