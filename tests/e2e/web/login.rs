//! Log-in: passwords, throttling that never locks anyone out, secure cookies and logged reads.

use super::*;

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
    let anna = db.person("anna").await;
    let home = db.home("solgaarden").await;
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
