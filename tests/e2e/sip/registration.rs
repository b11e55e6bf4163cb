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
