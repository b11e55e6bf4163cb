//! Registration mode: the bridge is an extension of the hospital's
//! registrar (Kamailio, with a digest password), and the nurse calls that
//! extension through it — also after the registrar has restarted.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::kamailio::{Kamailio, EXTENSION, PASSWORD};
use super::phone::{self, Phone};
use super::{rig_with, ANNA, PIN};
use akutlinje_telephony::sip::trunk::{Registered, Registrar};

async fn until(what: &str, wait: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + wait;
    while !ok() {
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A nurse's call to the extension through Kamailio reaches the checklist
/// (the PIN opens a case).
async fn call_through(r: &super::Rig, k: &Kamailio, quiet: &std::path::Path) {
    let known = r.cases().await;
    let mut nurse = Phone::start(ANNA, quiet, false);
    let started = Instant::now();
    nurse.dial(&format!("sip:{EXTENSION}@127.0.0.1:{}", k.port));
    assert!(
        nurse
            .wait_for("CALL_ESTABLISHED", Duration::from_secs(15))
            .await,
        "the call through the registrar is answered; kamailio said:\n{}",
        k.log()
    );
    eprintln!("SIP via Kamailio: call set-up {:?}", started.elapsed());
    tokio::time::sleep(Duration::from_millis(500)).await;
    nurse.keys(&format!("{PIN}#"));
    assert!(
        r.new_case(&known, Duration::from_secs(30)).await.is_some(),
        "the PIN keyed through the registrar opens a case"
    );
    nurse.hangup();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bridge_registers_with_a_password_and_again_after_the_registrar_restarts() {
    let tmp = tempfile::tempdir().expect("dir");
    let quiet = phone::silence(tmp.path(), 600);
    let mut k = Kamailio::start();
    let r = rig_with(
        9,
        Some(Registrar {
            server: k.uri(),
            user: EXTENSION.into(),
            password: Some(PASSWORD.into()),
            expires: 4,
        }),
    )
    .await;
    let reg: std::sync::Arc<Registered> = r.registered.clone().expect("registration mode");
    until(
        "registered with the digest password",
        Duration::from_secs(15),
        || reg.now.load(Ordering::Relaxed),
    )
    .await;
    call_through(&r, &k, &quiet).await;
    // Refreshed before the 4 s run out.
    let before = reg.successes.load(Ordering::Relaxed);
    until("refreshed", Duration::from_secs(10), || {
        reg.successes.load(Ordering::Relaxed) > before
    })
    .await;
    // The registrar restarts and forgets every registration: the bridge
    // registers again by itself and is reachable again.
    k.stop();
    until(
        "the registration is seen to be lost",
        Duration::from_secs(15),
        || !reg.now.load(Ordering::Relaxed),
    )
    .await;
    k.restart();
    until("registered again", Duration::from_secs(15), || {
        reg.now.load(Ordering::Relaxed)
    })
    .await;
    call_through(&r, &k, &quiet).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_not_registered() {
    let k = Kamailio::start();
    let r = rig_with(
        9,
        Some(Registrar {
            server: k.uri(),
            user: EXTENSION.into(),
            password: Some("not-the-password".into()),
            expires: 60,
        }),
    )
    .await;
    let reg = r.registered.clone().expect("registration mode");
    until("two refusals", Duration::from_secs(15), || {
        reg.failures.load(Ordering::Relaxed) >= 2
    })
    .await;
    assert!(!reg.now.load(Ordering::Relaxed));
    assert_eq!(reg.successes.load(Ordering::Relaxed), 0);
}

/// `akutlinje_sip_registered` of the instance at `http` (absent: 0).
async fn registered_at(http: u16) -> Option<f64> {
    let text = reqwest::get(format!("http://127.0.0.1:{http}/metrics"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    Some(
        text.lines()
            .find_map(|l| l.strip_prefix("akutlinje_sip_registered "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0),
    )
}

/// The extension is registered by one instance of two (on one PostgreSQL
/// database); when that one is killed with SIGKILL, the other registers it
/// within 30 s and a nurse's call through the registrar opens a case again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_extension_moves_to_the_other_instance_within_30_s_of_kill_9() {
    use super::restart::{free_tcp, serve_with};
    let db = crate::common::Db::postgres().await;
    let mut anna = db.person("anna").await;
    anna.phone = Some(akutlinje_core::phone::PhoneNumber::parse(ANNA).expect("number"));
    db.store.upsert_person(&anna).await.expect("phone");
    let hash = akutlinje::web::hash_password(PIN).expect("hash");
    db.store
        .set_person_pin(&anna.id, &hash, chrono::Utc::now())
        .await
        .expect("pin");
    let dir = tempfile::tempdir().expect("dir");
    let quiet = phone::silence(dir.path(), 600);
    let k = Kamailio::start();
    let env = [
        ("AKUTLINJE_SIP_REGISTER", k.uri()),
        ("AKUTLINJE_SIP_USER", EXTENSION.to_string()),
        ("AKUTLINJE_SIP_PASSWORD", PASSWORD.to_string()),
        // Longer than the test: a dead instance's registration would not
        // simply run out before the other's.
        ("AKUTLINJE_SIP_REGISTER_EXPIRES", "120".to_string()),
    ];
    let mut instances = Vec::new();
    for _ in 0..2 {
        let (http, sip) = (free_tcp(), phone::free_port_pair());
        let serve = serve_with(&db.url, http, sip, dir.path(), &env).await;
        instances.push((http, serve));
    }
    // Exactly one registers; the other waits (and keeps waiting).
    let deadline = Instant::now() + Duration::from_secs(30);
    let holder = loop {
        let a = registered_at(instances[0].0).await.unwrap_or(0.0);
        let b = registered_at(instances[1].0).await.unwrap_or(0.0);
        assert!(a + b <= 1.0, "both instances registered the extension");
        if a + b == 1.0 {
            break usize::from(b == 1.0);
        }
        assert!(
            Instant::now() < deadline,
            "no instance registered; kamailio:\n{}",
            k.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(registered_at(instances[holder].0).await, Some(1.0));
    assert_eq!(registered_at(instances[1 - holder].0).await, Some(0.0));
    let cases = || async {
        db.store
            .cases(None, 100)
            .await
            .expect("cases")
            .into_iter()
            .map(|c| c.id)
            .collect::<Vec<_>>()
    };
    // A call through the registrar reaches the holder.
    let call = |known: Vec<akutlinje_core::ids::CaseId>| {
        let quiet = quiet.clone();
        let port = k.port;
        let db = &db;
        async move {
            let mut nurse = Phone::start(ANNA, &quiet, false);
            nurse.dial(&format!("sip:{EXTENSION}@127.0.0.1:{port}"));
            let answered = nurse
                .wait_for("CALL_ESTABLISHED", Duration::from_secs(15))
                .await;
            if answered {
                tokio::time::sleep(Duration::from_millis(500)).await;
                nurse.keys(&format!("{PIN}#"));
            }
            let deadline = Instant::now() + Duration::from_secs(20);
            let mut opened = false;
            while answered && Instant::now() < deadline {
                let now: Vec<_> = db
                    .store
                    .cases(None, 100)
                    .await
                    .expect("cases")
                    .into_iter()
                    .map(|c| c.id)
                    .collect();
                if now.iter().any(|c| !known.contains(c)) {
                    opened = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            nurse.hangup();
            opened
        }
    };
    assert!(
        call(cases().await).await,
        "a call through the registrar opens a case; kamailio:\n{}",
        k.log()
    );

    // SIGKILL the holder: no REGISTER with Expires 0 comes from it.
    let killed = Instant::now();
    let (_, dead) = instances.remove(holder);
    drop(dead);
    let (survivor, _alive) = &instances[0];
    let deadline = killed + Duration::from_secs(30);
    while registered_at(*survivor).await != Some(1.0) {
        assert!(
            Instant::now() < deadline,
            "the other instance did not register within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let registered = killed.elapsed();
    let mut opened = false;
    while !opened && Instant::now() < deadline {
        opened = call(cases().await).await;
    }
    eprintln!(
        "kill -9 → the other instance registered after {:.1} s, a call through the registrar opened a case after {:.1} s",
        registered.as_secs_f64(),
        killed.elapsed().as_secs_f64()
    );
    assert!(
        opened,
        "no call reached the other instance within 30 s; kamailio:\n{}",
        k.log()
    );
    db.close().await;
}
