//! Speech recognition end to end, on the real model (scripts/fetch-model)
//! and real audio: espeak-ng speech, sox, opusenc.
//!
//! What the numbers mean: the *base* model is small; on espeak-ng's English
//! it gets most words (WER well under 25 %), on espeak-ng's Danish it gets
//! little — synthetic Danish is hard for it, and real Danish needs a larger
//! model (README). The Danish test measures and prints, and asserts only
//! what the base model reliably does.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use akutlinje_core::escalation::NotificationKind;
use akutlinje_core::i18n::Localizer;
use akutlinje_core::ids::{CaseId, PersonId};
use akutlinje_core::person::{Person, Role};
use akutlinje_core::record::{Author, Channel, EventKind, NewEvent};
use akutlinje_core::store::{NewAttachment, NewCase, Store};
use akutlinje_voice::wer;
use akutlinje_voice::{ModelSettings, ModelSlot, Transcriber, Worker, WorkerSettings};
use chrono::Utc;

pub fn model_path() -> PathBuf {
    let p = std::env::var_os("AKUTLINJE_VOICE_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(akutlinje::config::default_model_path);
    assert!(
        p.exists(),
        "no Whisper model at {} — run scripts/fetch-model (scripts/test.sh does)",
        p.display()
    );
    p
}

fn transcriber(language: &str) -> Transcriber {
    let mut s = ModelSettings::new(model_path());
    s.language = language.into();
    Transcriber::load(s).expect("the model loads")
}

fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// espeak-ng speech as a WAV file.
fn speak(dir: &std::path::Path, name: &str, voice: &str, text: &str) -> PathBuf {
    let p = dir.join(format!("{name}.wav"));
    run(Command::new("espeak-ng")
        .args(["-v", voice, "-s", "150", "-w"])
        .arg(&p)
        .arg(text));
    p
}

/// As Element records a voice message: 48 kHz mono Opus in Ogg.
fn element_ogg(dir: &std::path::Path, wav: &std::path::Path) -> PathBuf {
    let wav48 = dir.join("48k.wav");
    run(Command::new("sox")
        .arg(wav)
        .args(["-r", "48000", "-c", "1"])
        .arg(&wav48));
    let ogg = dir.join("voice.ogg");
    run(Command::new("opusenc")
        .args([
            "--quiet",
            "--bitrate",
            "24",
            "--framesize",
            "20",
            "--speech",
        ])
        .arg(&wav48)
        .arg(&ogg));
    ogg
}

fn decode(path: &std::path::Path, mime: &str) -> Vec<f32> {
    let data = std::fs::read(path).expect("audio file");
    akutlinje_audio::decode(&data, mime, &Default::default())
        .expect("decodes")
        .samples
}

pub const ENGLISH: &[&str] = &[
    "The patient has a fever and is breathing fast.",
    "Please call the doctor on duty as soon as possible.",
    "Her blood pressure is low and her pulse is high.",
    "He fell out of bed during the night and hurt his hip.",
    "She is more confused than usual and does not want to drink.",
];

#[test]
fn english_speech_comes_back_with_a_word_error_rate_under_25_percent() {
    let dir = tempfile::tempdir().expect("dir");
    let model = transcriber("en");
    let (mut errors, mut words) = (0, 0);
    for (i, sentence) in ENGLISH.iter().enumerate() {
        let wav = speak(dir.path(), &format!("en{i}"), "en-us", sentence);
        let t = model
            .transcribe(&decode(&wav, "audio/wav"), None)
            .expect("transcribed");
        let (e, n) = wer::errors(sentence, &t.text);
        eprintln!("{sentence:?} -> {:?} ({e}/{n})", t.text);
        assert_eq!((t.language.as_str(), t.model.is_empty()), ("en", false));
        errors += e;
        words += n;
    }
    let rate = errors as f64 / words as f64;
    eprintln!("English WER {:.1} % ({errors}/{words} words)", rate * 100.0);
    assert!(rate < 0.25, "English WER {:.1} %", rate * 100.0);
}

/// The model keeps its decoding state from one note to the next (making
/// one per note fragmented memory): a note must read the same whatever was
/// transcribed before it, with nothing carried over from the last one.
#[test]
fn a_note_reads_the_same_before_and_after_another_note() {
    let dir = tempfile::tempdir().expect("dir");
    let model = transcriber("en");
    let first = decode(&speak(dir.path(), "a", "en-us", ENGLISH[0]), "audio/wav");
    let other = decode(&speak(dir.path(), "b", "en-us", ENGLISH[3]), "audio/wav");
    let before = model.transcribe(&first, None).expect("transcribed").text;
    let between = model.transcribe(&other, None).expect("transcribed").text;
    let after = model.transcribe(&first, None).expect("transcribed").text;
    eprintln!("{before:?} / {between:?} / {after:?}");
    assert_eq!(before, after);
    assert!(
        wer::word_error_rate(ENGLISH[0], &after) < 0.25,
        "{after:?} is not {:?}",
        ENGLISH[0]
    );
    assert!(!after.to_lowercase().contains("hip"), "{after:?}");
}

#[test]
fn an_element_voice_message_is_transcribed() {
    let dir = tempfile::tempdir().expect("dir");
    // Every sentence: one or two are too few words for a stable rate.
    let text = ENGLISH.join(" ");
    let wav = speak(dir.path(), "msg", "en-us", &text);
    let ogg = element_ogg(dir.path(), &wav);
    let t = transcriber("en")
        .transcribe(&decode(&ogg, "audio/ogg"), None)
        .expect("transcribed");
    let rate = wer::word_error_rate(&text, &t.text);
    eprintln!("Ogg/Opus: {:?} (WER {:.1} %)", t.text, rate * 100.0);
    assert!(
        rate < 0.25,
        "WER {:.1} % on the voice message",
        rate * 100.0
    );
}

#[test]
fn a_note_longer_than_one_window_is_transcribed_in_pieces_without_losing_words() {
    let dir = tempfile::tempdir().expect("dir");
    let text = [ENGLISH.join(" "), ENGLISH.join(" "), ENGLISH.join(" ")].join(" ");
    let wav = speak(dir.path(), "long", "en-us", &text);
    let samples = decode(&wav, "audio/wav");
    let pieces = akutlinje_voice::model::pieces(&samples);
    let lengths: Vec<String> = pieces
        .iter()
        .map(|p| format!("{:.1} s", p.len() as f64 / 16_000.0))
        .collect();
    assert!(pieces.len() >= 2, "{lengths:?}");
    let t = transcriber("en")
        .transcribe(&samples, None)
        .expect("transcribed");
    let (e, n) = wer::errors(&text, &t.text);
    let rate = e as f64 / n as f64;
    eprintln!(
        "{:.1} s in pieces of {lengths:?}: WER {:.1} % ({e}/{n}), {:.1} s",
        t.audio.as_secs_f64(),
        rate * 100.0,
        t.processing.as_secs_f64()
    );
    // Words lost or doubled at a cut would show as deletions or insertions.
    assert!(rate < 0.25, "WER {:.1} %: {:?}", rate * 100.0, t.text);
}

#[test]
fn danish_speech_is_transcribed_in_danish_as_far_as_the_base_model_goes() {
    let dir = tempfile::tempdir().expect("dir");
    let said = "Beboeren på stue 12 har feber. Temperaturen er 38,9.";
    let wav = speak(dir.path(), "da", "da", said);
    let model = transcriber("da");
    let samples = decode(&wav, "audio/wav");
    let t = model.transcribe(&samples, None).expect("transcribed");
    let rate = wer::word_error_rate(said, &t.text);
    let words = wer::normalise(&t.text);
    eprintln!(
        "Danish: said {said:?}, heard {:?}: WER {:.0} %, '12' heard: {}, '38' heard: {}, {:.1} s for {:.1} s",
        t.text,
        rate * 100.0,
        words.iter().any(|w| w == "12"),
        t.text.contains("38"),
        t.processing.as_secs_f64(),
        t.audio.as_secs_f64()
    );
    // What the base model reliably does with synthetic Danish: it answers in
    // Danish (not a translation), with words, and does not loop — greedy
    // decoding without temperature fallback stays within a bounded number
    // of tokens, so the text is not much longer than what was said.
    assert_eq!(t.language, "da");
    assert!(!t.text.is_empty(), "no words at all");
    assert!(
        t.text.chars().count() < said.chars().count() * 4,
        "a repetition loop: {:?}",
        t.text
    );
}

fn at() -> chrono::DateTime<Utc> {
    Utc::now()
}

async fn store_with_case(url: &str) -> (Arc<dyn Store>, CaseId) {
    let store = akutlinje_store::connect(url).await.expect("store");
    akutlinje::demo::seed(&store).await.expect("demo data");
    let mut anna = store
        .person(&PersonId::parse("anna").expect("id"))
        .await
        .expect("read")
        .expect("anna");
    anna.matrix_user = Some("@anna:localhost".into());
    store.upsert_person(&anna).await.expect("anna on Matrix");
    let case = CaseId::from_uuid(uuid::Uuid::new_v4());
    let ev = |kind| NewEvent {
        at: at(),
        author: Author {
            person: Some(anna.id.clone()),
            role: Some(Role::Staff),
        },
        channel: Channel::Matrix,
        kind,
        corrects: None,
        external_id: None,
    };
    store
        .create_case(
            &NewCase {
                id: case,
                home: anna.home.clone().expect("home"),
                opened_at: at(),
                opened_by: Some(anna.id.clone()),
                channel: Channel::Matrix,
            },
            &[ev(EventKind::CaseOpened {
                home: anna.home.clone().expect("home"),
            })],
            &serde_json::json!({"step": "resident"}),
        )
        .await
        .expect("case");
    (store, case)
}

async fn attach(store: &Arc<dyn Store>, case: CaseId, mime: &str, data: Vec<u8>, ext: &str) -> i64 {
    let person: Person = store
        .person(&PersonId::parse("anna").expect("id"))
        .await
        .expect("read")
        .expect("anna");
    let e = NewEvent {
        at: at(),
        author: Author {
            person: Some(person.id.clone()),
            role: Some(person.role),
        },
        channel: Channel::Matrix,
        kind: EventKind::AudioAttached {
            attachment: 0,
            mime: mime.into(),
            bytes: data.len() as u64,
            duration_ms: None,
        },
        corrects: None,
        external_id: Some(ext.into()),
    };
    store
        .attach(
            case,
            &NewAttachment {
                mime: mime.into(),
                data,
                external_id: Some(ext.into()),
            },
            &e,
        )
        .await
        .expect("attach")
        .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_stored_through_the_hotline_wakes_the_worker_at_once() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("wake.db").display());
    let (store, case) = store_with_case(&url).await;
    let loc = Arc::new(Localizer::builtin().expect("texts"));
    let def = Arc::new(akutlinje_core::engine::Checklist::builtin_acute(&loc).expect("checklist"));
    let wake = Arc::new(tokio::sync::Notify::new());
    let hotline = akutlinje_core::service::Hotline::new(store.clone(), def, loc.clone())
        .on_audio_attached({
            let wake = wake.clone();
            Arc::new(move || wake.notify_one())
        });
    // A poll interval of an hour: only the wake-up can start the work
    // within this test.
    let settings = WorkerSettings {
        poll: Duration::from_secs(3600),
        ..Default::default()
    };
    // The model loads with the first note and is let go after a second
    // without work (voice_model_idle_minutes, shortened for the test).
    let mut model = ModelSettings::new(model_path());
    model.language = "en".into();
    let slot = Arc::new(ModelSlot::lazy(model, Some(Duration::from_secs(1))));
    let worker = Worker::with_slot(store.clone(), slot.clone(), loc, settings, "wake-test")
        .woken_by(wake.clone());
    let running = tokio::spawn(worker.run());
    // Let the worker find the queue empty and go to sleep first.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!slot.is_loaded().await, "no model before the first note");

    let wav = speak(dir.path(), "note", "en-us", ENGLISH[1]);
    let anna = store
        .person(&PersonId::parse("anna").expect("id"))
        .await
        .expect("read")
        .expect("anna");
    let (attachment, _) = hotline
        .attach_audio(
            case,
            &anna,
            Channel::Matrix,
            &NewAttachment {
                mime: "audio/wav".into(),
                data: std::fs::read(&wav).expect("wav"),
                external_id: Some("$wake".into()),
            },
            None,
            at(),
        )
        .await
        .expect("stored");
    let stored = Instant::now();
    let text = loop {
        let events = store.events(case).await.expect("events");
        let found = events.iter().find_map(|e| match &e.event.kind {
            EventKind::Transcribed {
                attachment: a,
                text,
                ..
            } if *a == attachment => Some(text.as_str().to_string()),
            _ => None,
        });
        if let Some(t) = found {
            break t;
        }
        assert!(
            stored.elapsed() < Duration::from_secs(120),
            "no transcript: the worker was not woken"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    eprintln!(
        "transcript {:.1} s after the note was stored: {text:?}",
        stored.elapsed().as_secs_f64()
    );
    assert!(wer::word_error_rate(ENGLISH[1], &text) < 0.5, "{text:?}");
    assert!(slot.is_loaded().await, "loaded for the note");
    // A second without work, then the worker looks at the queue again.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    wake.notify_one();
    let deadline = Instant::now() + Duration::from_secs(10);
    while slot.is_loaded().await {
        assert!(Instant::now() < deadline, "the idle model is released");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    running.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_records_a_transcript_or_the_reason_and_tells_the_conversation() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("voice.db").display());
    let (store, case) = store_with_case(&url).await;
    let wav = speak(dir.path(), "note", "en-us", ENGLISH[2]);
    let ogg = element_ogg(dir.path(), &wav);
    let good = attach(
        &store,
        case,
        "audio/ogg",
        std::fs::read(&ogg).expect("ogg"),
        "$good",
    )
    .await;
    let broken = attach(
        &store,
        case,
        "audio/ogg",
        b"OggS\0garbage that is not a page".to_vec(),
        "$bad",
    )
    .await;
    let model = Arc::new(transcriber("en"));
    let loc = Arc::new(Localizer::builtin().expect("texts"));
    let worker = Worker::new(
        store.clone(),
        model,
        loc,
        WorkerSettings::default(),
        "test-worker",
    );
    assert_eq!(worker.drain().await.expect("drain"), 2);
    assert_eq!(worker.drain().await.expect("nothing left"), 0);
    assert_eq!(store.transcriptions_pending().await.expect("count"), 0);

    let events = store.events(case).await.expect("events");
    let transcript = events
        .iter()
        .find_map(|e| match &e.event.kind {
            EventKind::Transcribed {
                attachment,
                text,
                language,
                model,
                audio_ms,
                processing_ms,
            } if *attachment == good => {
                assert_eq!(
                    e.event.author,
                    Author::system(),
                    "machine-made, not the caller's words"
                );
                Some((
                    text.as_str().to_string(),
                    language.clone(),
                    model.clone(),
                    *audio_ms,
                    *processing_ms,
                ))
            }
            _ => None,
        })
        .expect("a transcript of the good note");
    eprintln!("transcript: {transcript:?}");
    assert!(
        wer::word_error_rate(ENGLISH[2], &transcript.0) < 0.25,
        "{transcript:?}"
    );
    assert_eq!(transcript.1, "en");
    assert!(transcript.2.starts_with("ggml-"), "{transcript:?}");
    assert!(
        (2_000..10_000).contains(&transcript.3),
        "audio length {} ms",
        transcript.3
    );
    assert!(transcript.4 > 0);
    let refusal = events
        .iter()
        .find_map(|e| match &e.event.kind {
            EventKind::TranscriptionFailed {
                attachment,
                reason,
                detail,
            } if *attachment == broken => Some((reason.clone(), detail.clone())),
            _ => None,
        })
        .expect("the broken note's refusal");
    assert_eq!(refusal.0, "broken", "{refusal:?}");
    // The broken recording itself is kept, byte for byte.
    let kept = store.attachment(broken).await.expect("read").expect("kept");
    assert_eq!(kept.data, b"OggS\0garbage that is not a page");

    // Both results go on to the conversation (Anna sent the notes and is on Matrix).
    let notes = store.notifications(case).await.expect("notifications");
    let texts: Vec<&str> = notes
        .iter()
        .filter(|n| n.new.kind == NotificationKind::Transcript)
        .map(|n| n.new.text.as_str())
        .collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(
        texts
            .iter()
            .any(|t| t.contains("maskinskrevet") && t.contains(&transcript.0)),
        "{texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.contains("kunne ikke skrives ud: lydfilen er beskadiget")),
        "{texts:?}"
    );

    // Staff correct the transcript with a new event that points at it.
    let seq = events
        .iter()
        .find(|e| matches!(e.event.kind, EventKind::Transcribed { .. }))
        .map(|e| e.seq)
        .expect("seq");
    let loc = Arc::new(Localizer::builtin().expect("texts"));
    let def = Arc::new(akutlinje_core::engine::Checklist::builtin_acute(&loc).expect("checklist"));
    let hotline = akutlinje_core::service::Hotline::new(store.clone(), def, loc);
    let anna = store
        .person(&PersonId::parse("anna").expect("id"))
        .await
        .expect("read")
        .expect("anna");
    let fixed = hotline
        .annotate(
            case,
            &anna,
            Channel::Matrix.into(),
            "Her blood pressure is low and her pulse is high.",
            Some(seq),
            at(),
        )
        .await
        .expect("correction");
    let events = store.events(case).await.expect("events");
    let c = events
        .iter()
        .find(|e| e.seq == fixed)
        .expect("correction event");
    assert_eq!(c.event.corrects, Some(seq));
    assert!(matches!(c.event.kind, EventKind::Correction { .. }));
}

/// Runs `akutlinje serve` on the database.
fn serve(url: &str, dir: &std::path::Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_akutlinje"))
        .arg("serve")
        .current_dir(dir)
        .env("AKUTLINJE_DATABASE_URL", url)
        .env("AKUTLINJE_BIND", "127.0.0.1:0")
        .env("AKUTLINJE_VOICE_MODEL", model_path())
        .env("AKUTLINJE_VOICE_LANGUAGE", "en")
        .env("AKUTLINJE_VOICE_LEASE_SECONDS", "3")
        .env("AKUTLINJE_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(dir.join("serve.log")).expect("log"))
        .spawn()
        .expect("akutlinje serve")
}

async fn job(url: &str, attachment: i64) -> (String, i64, Option<String>) {
    use sqlx::Row;
    let pool = sqlx::SqlitePool::connect(url).await.expect("db");
    let row = sqlx::query(
        "SELECT status, attempts, claimed_by FROM transcription_jobs WHERE attachment_id = ?",
    )
    .bind(attachment)
    .fetch_one(&pool)
    .await
    .expect("job");
    let out = (
        row.get("status"),
        row.get("attempts"),
        row.get("claimed_by"),
    );
    pool.close().await;
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voice_note_survives_a_killed_service_and_is_transcribed_once() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("hotline.db").display());
    let (store, case) = store_with_case(&url).await;
    // Long enough that the service is killed in the middle of it.
    let said = ENGLISH.join(" ");
    let wav = speak(dir.path(), "long", "en-us", &said);
    let ogg = element_ogg(dir.path(), &wav);
    let note = attach(
        &store,
        case,
        "audio/ogg",
        std::fs::read(&ogg).expect("ogg"),
        "$long",
    )
    .await;

    let mut first = serve(&url, dir.path());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, _, claimed) = job(&url, note).await;
        assert_eq!(status, "pending");
        if claimed.is_some() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the service never took the note: {}",
            std::fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill().expect("kill -9");
    let _ = first.wait();
    let transcripts = |events: &[akutlinje_core::record::CaseEvent]| {
        events
            .iter()
            .filter(|e| matches!(e.event.kind, EventKind::Transcribed { .. }))
            .count()
    };
    assert_eq!(
        transcripts(&store.events(case).await.expect("events")),
        0,
        "killed before it finished"
    );
    assert_eq!(job(&url, note).await.0, "pending");

    let mut second = serve(&url, dir.path());
    let deadline = Instant::now() + Duration::from_secs(120);
    while job(&url, note).await.0 != "done" {
        assert!(
            Instant::now() < deadline,
            "no transcript after the restart: {}",
            std::fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Give a straggler the chance to write twice, then look.
    tokio::time::sleep(Duration::from_secs(4)).await;
    second.kill().expect("stop");
    let _ = second.wait();
    let events = store.events(case).await.expect("events");
    assert_eq!(transcripts(&events), 1, "exactly once");
    let (_, attempts, _) = job(&url, note).await;
    assert_eq!(attempts, 2, "the killed attempt and the one that finished");
    let text = events
        .iter()
        .find_map(|e| match &e.event.kind {
            EventKind::Transcribed { text, .. } => Some(text.as_str().to_string()),
            _ => None,
        })
        .expect("text");
    let rate = wer::word_error_rate(&said, &text);
    eprintln!("after the restart: {text:?} (WER {:.1} %)", rate * 100.0);
    assert!(rate < 0.25);
}

#[test]
fn the_transcript_never_reaches_the_log_even_at_debug_level() {
    let dir = tempfile::tempdir().expect("dir");
    let said = ENGLISH[2];
    let wav = speak(dir.path(), "private", "en-us", said);
    let out = Command::new(env!("CARGO_BIN_EXE_akutlinje"))
        .args(["transcribe", "--language", "en"])
        .arg(&wav)
        .current_dir(dir.path())
        .env("AKUTLINJE_VOICE_MODEL", model_path())
        .env("AKUTLINJE_LOG", "trace")
        .output()
        .expect("akutlinje transcribe");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let log = String::from_utf8_lossy(&out.stderr);
    // The words are printed where asked for: on standard output.
    assert!(stdout.contains("blood pressure"), "{stdout}");
    // Not in the log, at the most verbose level (whisper.cpp prints its
    // decoder prompt's tokens at debug level; that is capped too).
    for word in ["blood", "pressure", "pulse"] {
        assert!(!log.contains(word), "{word:?} in the log:\n{log}");
    }
}
