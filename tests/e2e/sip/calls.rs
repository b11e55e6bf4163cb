//! Calls through the SIP bridge, each with real baresip phones.

use std::time::{Duration, Instant};

use super::phone::{self, Phone};
use super::{rig, ANNA, PIN};
use akutlinje_core::record::{Channel, EventKind};

const STEP: Duration = Duration::from_secs(30);

/// The night nurse's answers on the keypad, as on the Twilio line: the
/// room, no danger sign, RF 22, SpO2 95, no oxygen, BP 125, pulse 98,
/// awake, 38,9 °C.
const ANSWERS: [&str; 9] = ["12#", "7#", "22#", "95#", "2", "125#", "98#", "1", "38*9#"];

const NOTE: &str = "She is more confused than usual and does not want to drink.";

/// Keys an answer once the bridge is asking the case's current question.
async fn answer(r: &super::Rig, nurse: &mut Phone, case: akutlinje_core::ids::CaseId, keys: &str) {
    let step = r.step(case).await;
    nurse.keys(keys);
    assert!(
        r.left(case, &step, STEP).await,
        "step {step} took no answer {keys:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nurse_keys_the_checklist_speaks_a_note_and_the_paged_physician_is_put_through() {
    let tmp = tempfile::tempdir().expect("dir");
    let quiet = phone::silence(tmp.path(), 600);
    let mut doctor = Phone::start(super::LUND, &quiet, true);
    let r = rig(doctor.port).await;
    let mut nurse = Phone::start(ANNA, &quiet, false);
    let started = Instant::now();
    nurse.dial(&r.hotline_uri());
    assert!(
        nurse.wait_for("CALL_ESTABLISHED", STEP).await,
        "the bridge answers"
    );
    let setup = started.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    nurse.keys(&format!("{PIN}#"));
    let case = r.new_case(&[], STEP).await.expect("the PIN opens a case");
    for keys in ANSWERS {
        answer(&r, &mut nurse, case, keys).await;
    }
    // The situation in words: # skips the question to the beep, then a
    // voice note, ended with #.
    let step = r.step(case).await;
    let speech = phone::speech(tmp.path(), NOTE);
    nurse.keys("#");
    tokio::time::sleep(Duration::from_millis(700)).await;
    nurse.microphone(&speech);
    tokio::time::sleep(Duration::from_secs(6)).await;
    nurse.keys("#");
    assert!(r.left(case, &step, STEP).await, "the voice note is taken");
    nurse.microphone(&quiet);
    // The concern: skipped.
    answer(&r, &mut nurse, case, "*").await;
    let state = r.hotline.case_state(case).await.expect("state");
    assert!(state.paged.is_some(), "the case is paged");
    // The page rings the physician, who hears the case and presses 1.
    r.tick().await;
    assert!(
        doctor.wait_for("CALL_ESTABLISHED", STEP).await,
        "the physician's phone rings"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    doctor.keys("1");
    let deadline = Instant::now() + STEP;
    while r
        .hotline
        .acknowledged_by(case)
        .await
        .expect("ack")
        .is_none()
    {
        assert!(
            Instant::now() < deadline,
            "the page is acknowledged by key 1"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Joined: each side's tone reaches the other.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let doctor_tone = phone::tone(tmp.path(), 1000, 2.0);
    let nurse_tone = phone::tone(tmp.path(), 1400, 2.0);
    doctor.microphone(&doctor_tone);
    nurse.microphone(&nurse_tone);
    tokio::time::sleep(Duration::from_secs(4)).await;
    nurse.hangup();
    assert!(
        doctor.wait_for("CALL_CLOSED", STEP).await,
        "the physician's leg ends with the caller's"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (heard_by_nurse, heard_by_doctor) = (nurse.heard(), doctor.heard());
    let nurse_at = phone::tone_at(&heard_by_nurse, 1000.0);
    let doctor_at = phone::tone_at(&heard_by_doctor, 1400.0);
    eprintln!(
        "SIP e2e: call set-up {:?}; physician's tone heard by the nurse at {nurse_at:?} s of {} s, nurse's tone heard by the physician at {doctor_at:?} s of {} s",
        setup,
        heard_by_nurse.len() / 8000,
        heard_by_doctor.len() / 8000
    );
    assert!(nurse_at.is_some(), "the nurse hears the physician");
    assert!(doctor_at.is_some(), "the physician hears the nurse");
    // Never the nurse's own tone back (keys and audio stay on their legs).
    assert!(phone::tone_at(&heard_by_nurse, 1400.0).is_none(), "no echo");
    // The delay itself is measured in `cargo bench --bench sip`: baresip's
    // recording of what it hears starts with the first packet received, so
    // its time axis already hides the delay.

    // The record: every answer, the voice note, the acknowledgement by SIP.
    let events = r.db.events(case).await;
    let inputs = events
        .iter()
        .filter(|e| matches!(e.event.kind, EventKind::InputReceived { .. }))
        .count();
    assert!(inputs >= ANSWERS.len() + 2, "{inputs} inputs");
    assert!(events
        .iter()
        .all(|e| e.event.channel == Channel::Sip || e.event.channel == Channel::System));
    let audio = events.iter().find_map(|e| match &e.event.kind {
        EventKind::AudioAttached {
            mime,
            duration_ms,
            attachment,
            ..
        } => Some((mime.clone(), *duration_ms, *attachment)),
        _ => None,
    });
    let (mime, ms, attachment) = audio.expect("the voice note is stored");
    assert_eq!(mime, "audio/wav");
    assert!(
        ms.is_some_and(|ms| (3_000..=20_000).contains(&ms)),
        "{ms:?}"
    );
    assert!(events.iter().any(|e| matches!(
        &e.event.kind,
        EventKind::PageAcknowledged { person, .. } if person.as_str() == "dr-lund"
    ) && e.event.channel == Channel::Sip));
    // Every read of the resident over the line is in the access log: the
    // card said to the nurse, the page said to the physician.
    let reads: Vec<(String, String)> =
        r.db.store
            .access_log(None, 1000)
            .await
            .expect("access log")
            .into_iter()
            .filter(|a| a.case == Some(case) && a.channel == Some(Channel::Sip))
            .map(|a| {
                (
                    a.person.map(|p| p.as_str().to_string()).unwrap_or_default(),
                    a.detail.unwrap_or_default(),
                )
            })
            .collect();
    assert!(reads.contains(&("anna".into(), "sip".into())), "{reads:?}");
    assert!(
        reads.contains(&("dr-lund".into(), "page".into())),
        "{reads:?}"
    );
    // The note is transcribed like every other (Whisper on what the bridge
    // recorded from G.711).
    let stored =
        r.db.store
            .attachment(attachment)
            .await
            .expect("read")
            .expect("attachment");
    let samples = akutlinje_audio::decode(&stored.data, &stored.mime, &Default::default())
        .expect("the stored note decodes")
        .samples;
    let mut settings = akutlinje_voice::ModelSettings::new(crate::voice::model_path());
    settings.language = "en".into();
    let model = akutlinje_voice::Transcriber::load(settings).expect("model");
    let text = model.transcribe(&samples, None).expect("transcribed").text;
    let (errors, words) = akutlinje_voice::wer::errors(NOTE, &text);
    let rate = errors as f64 / words as f64;
    eprintln!(
        "SIP voice note: {text:?}, WER {:.0} % ({errors}/{words})",
        rate * 100.0
    );
    assert!(rate < 0.3, "WER {:.0} %: {text:?}", rate * 100.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_caller_hears_nothing_about_residents_and_reaches_the_physician() {
    let tmp = tempfile::tempdir().expect("dir");
    let quiet = phone::silence(tmp.path(), 600);
    let mut doctor = Phone::start(super::LUND, &quiet, true);
    let r = rig(doctor.port).await;
    let accesses_before =
        r.db.store
            .access_log(None, 1000)
            .await
            .map(|a| a.len())
            .unwrap_or(0);
    let mut stranger = Phone::start("+4599999999", &quiet, false);
    stranger.dial(&r.hotline_uri());
    assert!(stranger.wait_for("CALL_ESTABLISHED", STEP).await);
    tokio::time::sleep(Duration::from_secs(1)).await;
    stranger.keys("0");
    assert!(
        doctor.wait_for("CALL_ESTABLISHED", STEP).await,
        "the physician on call is rung"
    );
    let doctor_tone = phone::tone(tmp.path(), 1000, 2.0);
    doctor.microphone(&doctor_tone);
    tokio::time::sleep(Duration::from_secs(3)).await;
    stranger.hangup();
    assert!(doctor.wait_for("CALL_CLOSED", STEP).await);
    assert!(
        phone::tone_at(&stranger.heard(), 1000.0).is_some(),
        "put through"
    );
    assert!(
        r.db.store.cases(None, 10).await.expect("cases").is_empty(),
        "no case"
    );
    let accesses =
        r.db.store
            .access_log(None, 1000)
            .await
            .map(|a| a.len())
            .unwrap_or(0);
    assert_eq!(
        accesses, accesses_before,
        "nothing about a resident was read"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_who_hangs_up_mid_checklist_leaves_the_case_as_it_stands() {
    let tmp = tempfile::tempdir().expect("dir");
    let quiet = phone::silence(tmp.path(), 600);
    let r = rig(9).await;
    let mut nurse = Phone::start(ANNA, &quiet, false);
    nurse.dial(&r.hotline_uri());
    assert!(nurse.wait_for("CALL_ESTABLISHED", STEP).await);
    tokio::time::sleep(Duration::from_millis(500)).await;
    nurse.keys(&format!("{PIN}#"));
    let case = r.new_case(&[], STEP).await.expect("case");
    answer(&r, &mut nurse, case, ANSWERS[0]).await;
    answer(&r, &mut nurse, case, ANSWERS[1]).await;
    answer(&r, &mut nurse, case, ANSWERS[2]).await;
    nurse.hangup();
    let deadline = Instant::now() + STEP;
    loop {
        let events = r.db.events(case).await;
        if events.iter().any(|e| {
            matches!(
                &e.event.kind,
                EventKind::TelephonyStatus { status, .. } if status == "caller-hung-up"
            )
        }) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the record says the caller hung up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Everything keyed is there; the case goes on by any channel.
    let state = r.hotline.case_state(case).await.expect("state");
    assert!(state.resident.is_some(), "the room was kept");
    assert!(
        matches!(
            state.vitals.resp_rate,
            akutlinje_core::assessment::Answer::Given(_)
        ),
        "the respiratory rate was kept"
    );
}

/// Calls in, keys the PIN and a room; returns the case.
async fn call_about(r: &super::Rig, nurse: &mut Phone, room: &str) -> akutlinje_core::ids::CaseId {
    let known = r.cases().await;
    nurse.dial(&r.hotline_uri());
    assert!(nurse.wait_for("CALL_ESTABLISHED", STEP).await);
    tokio::time::sleep(Duration::from_millis(500)).await;
    nurse.keys(&format!("{PIN}#"));
    let case = r.new_case(&known, STEP).await.expect("case");
    answer(r, nurse, case, &format!("{room}#")).await;
    case
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_red_flag_advises_112_unless_the_treatment_level_rules_it_out() {
    let tmp = tempfile::tempdir().expect("dir");
    let quiet = phone::silence(tmp.path(), 600);
    let r = rig(9).await;
    // Room 14: full treatment. Room 12: no admission, by her own physician.
    for (room, advised) in [("14", true), ("12", false)] {
        let mut nurse = Phone::start(ANNA, &quiet, false);
        let case = call_about(&r, &mut nurse, room).await;
        // Danger sign 1 (not responding): no vital signs first.
        answer(&r, &mut nurse, case, "1#").await;
        let state = r.hotline.case_state(case).await.expect("state");
        assert_eq!(
            state.paged.map(|u| u.as_str()),
            Some("red"),
            "room {room}: paged at once"
        );
        let events = r.db.events(case).await;
        let said_112 = events
            .iter()
            .any(|e| matches!(e.event.kind, EventKind::Advised112 { .. }));
        let ruled_out = events
            .iter()
            .any(|e| matches!(e.event.kind, EventKind::No112ByTreatmentDecision { .. }));
        assert_eq!((said_112, ruled_out), (advised, !advised), "room {room}");
        nurse.hangup();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_page_moves_to_the_next_physician_who_is_put_through() {
    let tmp = tempfile::tempdir().expect("dir");
    let quiet = phone::silence(tmp.path(), 600);
    // Both physicians' numbers ring this phone; who answers is in the record.
    let mut doctors = Phone::start_for(&[super::LUND, super::BERG], &quiet, true);
    let r = rig(doctors.port).await;
    let mut nurse = Phone::start(ANNA, &quiet, false);
    let case = call_about(&r, &mut nurse, "14").await;
    // Key 0: the physician now.
    nurse.keys("0");
    let deadline = Instant::now() + STEP;
    while r
        .hotline
        .case_state(case)
        .await
        .expect("state")
        .paged
        .is_none()
    {
        assert!(Instant::now() < deadline, "key 0 pages");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    r.tick().await;
    assert!(
        doctors.wait_for("CALL_ESTABLISHED", STEP).await,
        "dr. Lund is rung"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    doctors.keys("2");
    assert!(
        doctors.wait_for("CALL_CLOSED", STEP).await,
        "declined, the call ends"
    );
    let declined = |events: &[akutlinje_core::record::CaseEvent]| {
        events.iter().any(|e| {
            matches!(
                &e.event.kind,
                EventKind::PageDeclined { person } if person.as_str() == "dr-lund"
            )
        })
    };
    assert!(declined(&r.db.events(case).await));
    // The next step: dr. Berg, who takes it.
    let rung_before = doctors.count("CALL_ESTABLISHED");
    r.tick().await;
    let deadline = Instant::now() + STEP;
    while doctors.count("CALL_ESTABLISHED") == rung_before {
        assert!(Instant::now() < deadline, "dr. Berg is rung");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    doctors.focus_newest_call();
    doctors.keys("1");
    let deadline = Instant::now() + STEP;
    loop {
        let by = r.hotline.acknowledged_by(case).await.expect("ack");
        if let Some(p) = by {
            assert_eq!(p.as_str(), "dr-berg");
            break;
        }
        assert!(Instant::now() < deadline, "dr. Berg's 1 acknowledges");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // And is joined to the nurse, who was waiting all along.
    tokio::time::sleep(Duration::from_secs(1)).await;
    doctors.microphone(&phone::tone(tmp.path(), 1000, 2.0));
    tokio::time::sleep(Duration::from_secs(3)).await;
    nurse.hangup();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        phone::tone_at(&nurse.heard(), 1000.0).is_some(),
        "put through"
    );
}

/// Advice and a re-measure order on a SIP case: the nurse calls back, keys
/// the PIN, hears the advice and confirms it with 1, is offered the ordered
/// re-measurement, keys 1, and a new danger sign pages red at once on the
/// same case.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nurse_calling_back_keys_the_ordered_remeasurement_on_the_same_case() {
    use akutlinje_core::service::Via;
    let tmp = tempfile::tempdir().expect("dir");
    let quiet = phone::silence(tmp.path(), 600);
    let r = rig(9).await;
    // The first call, made through the service: room 12, a medium case.
    let case = medium_case(&r).await;
    let h = &r.hotline;
    let now = chrono::Utc::now();
    let lund = r.db.person("dr-lund").await;
    let api = Via::from(akutlinje_core::record::Channel::Api);
    h.annotate(case, &lund, api, "Giv væske", None, now)
        .await
        .expect("advice");
    h.order_remeasure(case, &lund, api, 30, now)
        .await
        .expect("order");
    // The call back: the PIN; the advice read out, key 1 confirms it; then
    // the re-measure offer, key 1.
    let known = r.cases().await;
    let mut nurse = Phone::start(ANNA, &quiet, false);
    nurse.dial(&r.hotline_uri());
    assert!(nurse.wait_for("CALL_ESTABLISHED", STEP).await);
    tokio::time::sleep(Duration::from_millis(500)).await;
    nurse.keys(&format!("{PIN}#"));
    tokio::time::sleep(Duration::from_secs(2)).await;
    nurse.keys("1");
    let deadline = Instant::now() + STEP;
    while !r
        .db
        .events(case)
        .await
        .iter()
        .any(|e| matches!(e.event.kind, EventKind::AdviceConfirmed))
    {
        assert!(Instant::now() < deadline, "key 1 confirms the advice");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // After the thank-you, during the offer (a key pressed during the
    // thank-you is not taken as the answer to a question not yet asked).
    tokio::time::sleep(Duration::from_secs(4)).await;
    nurse.keys("1");
    let deadline = Instant::now() + STEP;
    while r
        .hotline
        .case_state(case)
        .await
        .expect("state")
        .remeasure
        .is_none()
    {
        assert!(Instant::now() < deadline, "key 1 starts the re-measurement");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(r.cases().await.len(), known.len(), "no new case");
    // Danger sign 3 (chest pain), new since the first call: red at once.
    answer(&r, &mut nurse, case, "3#").await;
    let state = r.hotline.case_state(case).await.expect("state");
    assert_eq!(state.paged.map(|u| u.as_str()), Some("red"));
    let events = r.db.events(case).await;
    assert!(events
        .iter()
        .any(|e| matches!(e.event.kind, EventKind::RemeasureStarted)));
    nurse.hangup();
}

/// The physician orders a re-measurement by keys after the page, on a SIP
/// case whose nurse is no longer on the line: 1 takes the page, then "3, the
/// minutes, #".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_physician_orders_a_remeasurement_by_keys_after_a_sip_page() {
    let tmp = tempfile::tempdir().expect("dir");
    let quiet = phone::silence(tmp.path(), 600);
    let mut doctor = Phone::start(super::LUND, &quiet, true);
    let r = rig(doctor.port).await;
    let case = medium_case(&r).await;
    let h = &r.hotline;
    r.tick().await;
    assert!(
        doctor.wait_for("CALL_ESTABLISHED", STEP).await,
        "dr. Lund is rung"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    doctor.keys("1");
    let deadline = Instant::now() + STEP;
    while h.acknowledged_by(case).await.expect("read").is_none() {
        assert!(Instant::now() < deadline, "1 takes the page");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // "Acknowledged" and the menu are said; 3, 45, #.
    tokio::time::sleep(Duration::from_secs(3)).await;
    doctor.keys("345#");
    let deadline = Instant::now() + STEP;
    let ordered = loop {
        let found =
            r.db.events(case)
                .await
                .into_iter()
                .find_map(|e| match e.event.kind {
                    EventKind::RemeasureOrdered { minutes, .. } => {
                        Some((minutes, e.event.author.person.map(|p| p.to_string())))
                    }
                    _ => None,
                });
        if let Some(f) = found {
            break f;
        }
        assert!(Instant::now() < deadline, "the order is recorded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(ordered, (45, Some("dr-lund".to_string())));
}

/// At the due time of a re-measure order on a SIP case, the bridge rings the
/// nurse: her PIN, the offer (1), and the new values on that call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bridge_rings_the_nurse_at_the_due_time_and_she_keys_the_remeasurement() {
    use akutlinje_core::service::Via;
    let tmp = tempfile::tempdir().expect("dir");
    let quiet = phone::silence(tmp.path(), 600);
    // Every call the bridge places rings this phone: the nurse's.
    let mut nurse = Phone::start(ANNA, &quiet, true);
    let r = rig(nurse.port).await;
    let case = medium_case(&r).await;
    let h = &r.hotline;
    let now = chrono::Utc::now();
    // The page is acknowledged elsewhere: only the reminder rings.
    let lund = r.db.person("dr-lund").await;
    h.respond_to_page(
        case,
        &lund,
        akutlinje_core::record::Channel::Api,
        false,
        None,
        now,
    )
    .await
    .ok();
    let due = h
        .order_remeasure(
            case,
            &lund,
            Via::from(akutlinje_core::record::Channel::Api),
            30,
            now,
        )
        .await
        .expect("order");
    r.tick_at(due).await;
    assert!(
        nurse.wait_for("CALL_ESTABLISHED", STEP).await,
        "the nurse is rung"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    nurse.keys(&format!("{PIN}#"));
    tokio::time::sleep(Duration::from_secs(2)).await;
    nurse.keys("1");
    let deadline = Instant::now() + STEP;
    while r
        .hotline
        .case_state(case)
        .await
        .expect("state")
        .remeasure
        .is_none()
    {
        assert!(Instant::now() < deadline, "key 1 starts the re-measurement");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    answer(&r, &mut nurse, case, "3#").await;
    assert_eq!(
        r.hotline
            .case_state(case)
            .await
            .expect("state")
            .paged
            .map(|u| u.as_str()),
        Some("red")
    );
}

/// A medium case for room 12 made through the service as if by an earlier
/// SIP call (RR 22, SpO2 95, air, BP 125, pulse 98, awake, 38,9), paged.
async fn medium_case(r: &super::Rig) -> akutlinje_core::ids::CaseId {
    let anna = r.db.person("anna").await;
    let home = r.db.home("solgaarden").await;
    let case = akutlinje_core::ids::CaseId::from_uuid(uuid::Uuid::new_v4());
    let sip = akutlinje_core::record::Channel::Sip;
    let now = chrono::Utc::now();
    r.hotline
        .open_case(case, &anna, &home, sip, akutlinje_core::i18n::Lang::Da, now)
        .await
        .expect("open");
    for a in [
        "12",
        "nej",
        "22",
        "95",
        "nej",
        "125",
        "98",
        "1",
        "38,9",
        "Feber",
        "spring over",
    ] {
        r.hotline
            .input(case, &anna, sip, a, None, now)
            .await
            .expect("input");
    }
    case
}
