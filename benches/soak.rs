//! Soak: the release build of `akutlinje serve` on SQLite, as an operator
//! runs it, for ten minutes of night traffic — 50 cases over Matrix (a real
//! Synapse, the staff's and the physician's end-to-end encrypted clients)
//! and 20 by phone (webhooks signed like Twilio's, the REST API a local
//! stand-in that serves the recordings) — every phone case and every other
//! chat case with a spoken voice note (espeak-ng Danish) that the service
//! transcribes with the Whisper model.
//!
//! Every case runs to the physician's acknowledgement: a ✅ on the Matrix
//! page for chat cases, «OK code» by SMS for phone cases. The service's RSS
//! is read from /proc every 10 s; at the end every case's record must hold
//! a page sent and a notification delivered (and a transcript for each
//! voice note), the outbox must be empty, and the service's log must hold
//! no error. The figures are printed; the run fails (exit 1) on any error.
//!
//! Run: `cargo bench --bench soak`. AKUTLINJE_SOAK_SECONDS (default 600),
//! AKUTLINJE_SOAK_CHAT (50), AKUTLINJE_SOAK_PHONE (20) change the load.
//! Needs what the tests install (`bash scripts/test.sh` does): Synapse
//! (scripts/synapse-venv.sh), espeak-ng, sox, opusenc, and the Whisper model
//! (AKUTLINJE_VOICE_MODEL, or scripts/fetch-model).
#![recursion_limit = "256"]

#[allow(dead_code)]
#[path = "../tests/e2e/common/synapse.rs"]
mod synapse;
#[allow(dead_code)]
#[path = "../tests/e2e/common/twilio.rs"]
mod twilio;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use akutlinje_core::ids::CaseId;
use akutlinje_core::phone::PhoneNumber;
use akutlinje_core::record::EventKind;
use akutlinje_core::store::Store;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::ruma::events::reaction::ReactionEventContent;
use matrix_sdk::ruma::events::relation::{Annotation, Thread};
use matrix_sdk::ruma::events::room::message::{
    AudioInfo, AudioMessageEventContent, MessageType, OriginalSyncRoomMessageEvent, Relation,
    RoomMessageEventContent,
};
use matrix_sdk::ruma::{OwnedEventId, UserId};
use matrix_sdk::{Client, Room};
use twilio::{FakeTwilio, Webhooks, ACCOUNT, HOTLINE, TOKEN};

const ANNA: &str = "+4520000001";
const PIN: &str = "4711";
const LUND: &str = "+4530000001";
/// How long any one answer may take before the case counts as failed.
const PATIENCE: Duration = Duration::from_secs(60);
/// What the night nurse says in every voice note.
const SPOKEN: &str =
    "Beboeren har haft feber og hoste siden i aftes og er mere træt end hun plejer.";

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What went wrong during the run, in order.
#[derive(Clone, Default)]
struct Errors(Arc<Mutex<Vec<String>>>);

impl Errors {
    fn push(&self, e: String) {
        eprintln!("  ERROR {e}");
        self.0.lock().expect("lock").push(e);
    }
    fn all(&self) -> Vec<String> {
        self.0.lock().expect("lock").clone()
    }
}

// ---------------------------------------------------------------- Matrix

#[derive(Clone)]
struct Got {
    body: String,
    event_id: OwnedEventId,
    room: Room,
}

/// Every text message a client has seen, in order.
#[derive(Clone, Default)]
struct Inbox(Arc<Mutex<Vec<Got>>>);

impl Inbox {
    fn mark(&self) -> usize {
        self.0.lock().expect("lock").len()
    }

    /// The bodies after `from`.
    fn since(&self, from: usize) -> Vec<String> {
        self.0.lock().expect("lock")[from..]
            .iter()
            .map(|g| g.body.chars().take(120).collect())
            .collect()
    }

    /// The first message after `from` containing `needle`.
    async fn wait(&self, from: usize, needle: &str) -> Result<Got, String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(g) = self.0.lock().expect("lock")[from..]
                .iter()
                .find(|g| g.body.contains(needle))
            {
                return Ok(g.clone());
            }
            if Instant::now() > deadline {
                return Err(format!("no message with «{needle}» within {PATIENCE:?}"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A logged-in, cross-signed client that syncs on its own, joins what it
/// is invited to and keeps every text message in its inbox.
async fn client(s: &synapse::Synapse, user: &str, dir: &Path) -> (Client, Inbox) {
    let c = Client::builder()
        .homeserver_url(&s.url)
        .sqlite_store(dir, Some("soak store passphrase"))
        .build()
        .await
        .expect("client");
    c.matrix_auth()
        .login_username(user, "password-123")
        .await
        .expect("login");
    c.sync_once(SyncSettings::default())
        .await
        .expect("first sync");
    synapse::cross_sign(&c, user, "password-123").await;
    let inbox = Inbox::default();
    let log = inbox.clone();
    c.add_event_handler(move |ev: OriginalSyncRoomMessageEvent, room: Room| {
        let log = log.clone();
        async move {
            if let MessageType::Text(t) = ev.content.msgtype {
                log.0.lock().expect("lock").push(Got {
                    body: t.body,
                    event_id: ev.event_id,
                    room,
                });
            }
        }
    });
    let c2 = c.clone();
    tokio::spawn(async move {
        loop {
            if c2
                .sync_once(SyncSettings::default().timeout(Duration::from_secs(30)))
                .await
                .is_err()
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            for r in c2.invited_rooms() {
                let _ = r.join().await;
            }
        }
    });
    (c, inbox)
}

async fn in_thread(room: &Room, root: &OwnedEventId, text: &str) -> Result<(), String> {
    let mut c = RoomMessageEventContent::text_plain(text);
    c.relates_to = Some(Relation::Thread(Thread::plain(root.clone(), root.clone())));
    room.send(c)
        .await
        .map(|_| ())
        .map_err(|e| format!("sending «{text}»: {e}"))
}

/// Anna's encrypted Ogg voice note in the case's thread.
async fn voice_note(
    anna: &Client,
    room: &Room,
    root: &OwnedEventId,
    ogg: &[u8],
    length: Duration,
) -> Result<(), String> {
    let file = anna
        .upload_encrypted_file(&mut &ogg[..])
        .await
        .map_err(|e| format!("uploading the voice note: {e}"))?;
    let mut audio = AudioMessageEventContent::encrypted("Lydbesked".into(), file);
    let mut info = AudioInfo::new();
    info.mimetype = Some("audio/ogg".into());
    info.size = Some((ogg.len() as u32).into());
    info.duration = Some(length);
    audio.info = Some(Box::new(info));
    let mut content = RoomMessageEventContent::new(MessageType::Audio(audio));
    content.relates_to = Some(Relation::Thread(Thread::plain(root.clone(), root.clone())));
    room.send(content)
        .await
        .map(|_| ())
        .map_err(|e| format!("sending the voice note: {e}"))
}

struct Chat {
    anna: Client,
    anna_seen: Inbox,
    lund_seen: Inbox,
    room: Room,
    store: Arc<dyn Store>,
    ogg: Vec<u8>,
    /// How long the voice note speaks.
    length: Duration,
}

/// The kind of a chat case.
#[derive(Clone, Copy, PartialEq)]
enum ChatKind {
    /// A red flag (chest pain): 112 advice and the page at once.
    RedFlag,
    /// No red flag, the vital signs typed, a voice note, the situation: a
    /// medium page.
    Measured,
}

impl Chat {
    /// One case from «akut» to the physician's ✅; returns the case.
    async fn case(&self, kind: ChatKind, resident_room: &str) -> Result<CaseId, String> {
        let mark = self.anna_seen.mark();
        let root = self
            .room
            .send(RoomMessageEventContent::text_plain("akut"))
            .await
            .map_err(|e| format!("sending «akut»: {e}"))?
            .response
            .event_id;
        self.anna_seen.wait(mark, "Hvilken beboer").await?;
        in_thread(&self.room, &root, resident_room).await?;
        self.anna_seen.wait(mark, "faresignaler").await?;
        let case = self
            .store
            .cases(None, 5)
            .await
            .map_err(|e| format!("reading the cases: {e}"))?
            .iter()
            .find(|c| c.channel == akutlinje_core::record::Channel::Matrix)
            .map(|c| c.id)
            .ok_or("no case opened")?;
        let lund_mark = self.lund_seen.mark();
        match kind {
            ChatKind::RedFlag => {
                // Chest pain. The 112 advice depends on the resident's
                // treatment level (Karen in room 12 has declined
                // admission); the page goes out either way.
                in_thread(&self.room, &root, "3").await?;
                self.anna_seen
                    .wait(mark, "Faresignal: Brystsmerter")
                    .await?;
                self.anna_seen.wait(mark, "Vagtlægen kaldes").await?;
            }
            ChatKind::Measured => {
                in_thread(&self.room, &root, "7").await?;
                self.anna_seen.wait(mark, "Respirationsfrekvens").await?;
                voice_note(&self.anna, &self.room, &root, &self.ogg, self.length).await?;
                self.anna_seen
                    .wait(mark, "Lydbeskeden er gemt i sagen.")
                    .await?;
                for (answer, next) in [
                    ("22", "Iltmætning"),
                    ("95 %", "Får beboeren ilt"),
                    ("nej", "Blodtryk"),
                    ("BT 125/80", "Puls"),
                    ("puls 98", "Bevidsthed"),
                    ("1", "Temperatur"),
                    ("38,9", "Beskriv kort"),
                    ("Feber og hoste siden i aftes", "mest bekymret"),
                    ("spring over", "Vagtlægen kaldes"),
                ] {
                    in_thread(&self.room, &root, answer).await?;
                    self.anna_seen.wait(mark, next).await?;
                }
            }
        }
        // The physician's phone gets the page and answers it with ✅.
        let page = self
            .lund_seen
            .wait(lund_mark, &format!("Sag {case}"))
            .await?;
        page.room
            .send(ReactionEventContent::new(Annotation::new(
                page.event_id.clone(),
                "✅".into(),
            )))
            .await
            .map_err(|e| format!("✅ on the page: {e}"))?;
        self.anna_seen.wait(mark, "har kvitteret").await?;
        Ok(case)
    }
}

// ----------------------------------------------------------------- phone

struct Phone {
    /// The recording's length in whole seconds, as Twilio reports it.
    seconds: String,
    hooks: Webhooks,
    fake: Arc<FakeTwilio>,
    store: Arc<dyn Store>,
}

impl Phone {
    async fn hook(&self, path: &str, params: &[(&str, &str)]) -> Result<String, String> {
        let (status, body) = self.hooks.post(path, params).await;
        if status != 200 {
            return Err(format!("{path} answered {status}: {body}"));
        }
        Ok(body)
    }

    async fn keys(&self, call: &str, n: u32, digits: &str) -> Result<String, String> {
        self.hook(
            &format!("/twilio/voice/gather?n={n}"),
            &[
                ("CallSid", call),
                ("AccountSid", ACCOUNT),
                ("Digits", digits),
                ("From", ANNA),
                ("To", HOTLINE),
            ],
        )
        .await
    }

    /// One call from the first ring to the physician's «OK» by SMS and the
    /// caller hanging up; returns the case.
    async fn case(&self, i: usize, resident_room: &str) -> Result<CaseId, String> {
        let call = format!("CA{:032}", 1000 + i);
        let call = call.as_str();
        self.hook(
            "/twilio/voice/incoming",
            &[
                ("CallSid", call),
                ("AccountSid", ACCOUNT),
                ("From", ANNA),
                ("To", HOTLINE),
                ("CallStatus", "ringing"),
                ("Direction", "inbound"),
            ],
        )
        .await?;
        let t = self
            .hook(
                "/twilio/voice/pin?try=1",
                &[("CallSid", call), ("AccountSid", ACCOUNT), ("Digits", PIN)],
            )
            .await?;
        expect(&t, "værelsesnummer")?;
        expect(&self.keys(call, 1, resident_room).await?, "faresignal")?;
        self.keys(call, 2, "7").await?;
        for (n, d) in (3..).zip(["22", "95", "2", "125*80", "98", "1", "38*9"]) {
            self.keys(call, n, d).await?;
        }
        let rec = format!("RE{:032}", i);
        let rec_url = format!(
            "{}/2010-04-01/Accounts/{ACCOUNT}/Recordings/{rec}",
            self.fake.url
        );
        let t = self
            .hook(
                "/twilio/voice/record?n=10",
                &[
                    ("CallSid", call),
                    ("AccountSid", ACCOUNT),
                    ("RecordingUrl", &rec_url),
                    ("RecordingSid", &rec),
                    ("RecordingDuration", &self.seconds),
                    ("Digits", "#"),
                ],
            )
            .await?;
        expect(&t, "mest bekymret")?;
        self.hook(
            "/twilio/voice/recording",
            &[
                ("CallSid", call),
                ("AccountSid", ACCOUNT),
                ("RecordingSid", &rec),
                ("RecordingUrl", &rec_url),
                ("RecordingStatus", "completed"),
                ("RecordingDuration", &self.seconds),
            ],
        )
        .await?;
        let t = self
            .hook(
                "/twilio/voice/record?n=11",
                &[
                    ("CallSid", call),
                    ("AccountSid", ACCOUNT),
                    ("RecordingDuration", "0"),
                    ("Digits", "*"),
                ],
            )
            .await?;
        expect(&t, "Vagtlægen kaldes nu")?;
        self.hook(
            "/twilio/voice/status",
            &[
                ("CallSid", call),
                ("AccountSid", ACCOUNT),
                ("CallStatus", "in-progress"),
            ],
        )
        .await?;
        let case = self
            .store
            .call(call)
            .await
            .map_err(|e| format!("reading the call: {e}"))?
            .and_then(|c| c.case)
            .ok_or("the call has no case")?;
        // The SMS page reaches Twilio; the physician answers «OK code».
        let code = case.code();
        let deadline = Instant::now() + PATIENCE;
        while !self.fake.requests().iter().any(|q| {
            q.path.ends_with("/Messages.json")
                && q.get("To") == Some(LUND)
                && q.get("Body")
                    .is_some_and(|b| b.contains(&format!("OK {code}")))
        }) {
            if Instant::now() > deadline {
                return Err(format!("no SMS page for case {case} within {PATIENCE:?}"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let sid = format!("SM{:032}", 5000 + i);
        let ok = self
            .hook(
                "/twilio/sms/incoming",
                &[
                    ("MessageSid", &sid),
                    ("AccountSid", ACCOUNT),
                    ("From", LUND),
                    ("To", HOTLINE),
                    ("Body", &format!("OK {code}")),
                ],
            )
            .await?;
        expect(&ok, &format!("Kvitteret for sag {code}"))?;
        self.hook(
            "/twilio/voice/status",
            &[
                ("CallSid", call),
                ("AccountSid", ACCOUNT),
                ("CallStatus", "completed"),
                ("CallDuration", "180"),
            ],
        )
        .await?;
        Ok(case)
    }
}

fn expect(twiml: &str, needle: &str) -> Result<(), String> {
    if twiml.contains(needle) {
        Ok(())
    } else {
        Err(format!("expected «{needle}» in {twiml}"))
    }
}

// --------------------------------------------------------------- process

/// A command that must succeed.
fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (bash scripts/test.sh installs it)"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The voice note as the phone line records it (8 kHz mono WAV) and as
/// Element sends it (48 kHz Opus in Ogg): Danish speech from espeak-ng.
fn speech(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    let raw = dir.join("speech.wav");
    run(Command::new("espeak-ng")
        .args(["-v", "da", "-s", "150", "-w"])
        .arg(&raw)
        .arg(SPOKEN));
    let phone = dir.join("phone.wav");
    run(Command::new("sox")
        .arg(&raw)
        .args(["-r", "8000", "-c", "1", "-b", "16"])
        .arg(&phone));
    let w48 = dir.join("48k.wav");
    run(Command::new("sox")
        .arg(&raw)
        .args(["-r", "48000", "-c", "1"])
        .arg(&w48));
    let ogg = dir.join("voice.ogg");
    run(Command::new("opusenc")
        .args(["--quiet", "--bitrate", "24", "--speech"])
        .arg(&w48)
        .arg(&ogg));
    (
        std::fs::read(phone).expect("phone speech"),
        std::fs::read(ogg).expect("ogg speech"),
    )
}

fn voice_model() -> PathBuf {
    if let Ok(p) = std::env::var("AKUTLINJE_VOICE_MODEL") {
        return p.into();
    }
    let out = Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/fetch-model"))
        .stderr(Stdio::inherit())
        .output()
        .expect("run scripts/fetch-model");
    assert!(out.status.success(), "scripts/fetch-model failed");
    String::from_utf8_lossy(&out.stdout).trim().into()
}

/// Resident set size and CPU time (user + system) of a process, from /proc.
fn rss_and_cpu(pid: u32) -> Option<(f64, Duration)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let f: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some((kib / 1024.0, Duration::from_millis(ticks * 10)))
}

/// The median RSS of the samples (minutes, MiB) whose time `pick`s.
fn median_rss(samples: &[(f64, f64)], pick: impl Fn(f64) -> bool) -> f64 {
    let mut v: Vec<f64> = samples
        .iter()
        .filter(|(t, _)| pick(*t))
        .map(|(_, r)| *r)
        .collect();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Least-squares slope of `y` over `x`.
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let (num, den) = points.iter().fold((0.0, 0.0), |(a, b), (x, y)| {
        (a + (x - mx) * (y - my), b + (x - mx) * (x - mx))
    });
    if den == 0.0 {
        0.0
    } else {
        num / den
    }
}

/// The demo data; Anna, Dr. Lund and the coordinator with their Matrix
/// accounts and phones; Anna's phone PIN.
async fn seed(store: &Arc<dyn Store>) {
    akutlinje::demo::seed(store).await.expect("demo data");
    for (id, mxid, phone) in [
        ("anna", "@anna:localhost", ANNA),
        ("dr-lund", "@lund:localhost", LUND),
        ("karin", "@karin:localhost", "+4540000001"),
    ] {
        let mut p = store
            .person(&id.parse().expect("id"))
            .await
            .expect("read")
            .expect("demo person");
        p.matrix_user = Some(mxid.into());
        p.phone = Some(PhoneNumber::parse(phone).expect("phone"));
        store.upsert_person(&p).await.expect("person");
    }
    let hash = akutlinje::web::hash_password(PIN).expect("hash");
    store
        .set_person_pin(&"anna".parse().expect("id"), &hash, chrono::Utc::now())
        .await
        .expect("pin");
}

/// Every urgency pages Dr. Lund on Matrix and by SMS (a phone case by voice
/// too); an acknowledgement ends it, so nothing escalates further.
fn policies(dir: &Path) -> PathBuf {
    let path = dir.join("policies.toml");
    let text: String = ["red", "high", "medium", "low", "routine"]
        .iter()
        .map(|u| {
            format!(
                "[[policy]]\nurgency = \"{u}\"\nrepeats = 0\nalert_tier = \"coordinator\"\n\
                 steps = [ {{ person = \"dr-lund\", channels = [\"matrix\", \"sms\"], wait_minutes = 30 }} ]\n\n"
            )
        })
        .collect();
    std::fs::write(&path, text).expect("policies");
    path
}

/// `akutlinje serve` (the bench profile's build) on 127.0.0.1:`port` with
/// only `env` of the AKUTLINJE_ variables, its log in `log`; back once it
/// is ready.
async fn start(port: u16, dir: &Path, log: &Path, env: &[(&str, String)]) -> Serve {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_akutlinje"));
    for (k, _) in std::env::vars() {
        if k.starts_with("AKUTLINJE_") {
            cmd.env_remove(k);
        }
    }
    let child = cmd
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("log file"))
        .spawn()
        .expect("start akutlinje serve");
    let mut serve = Serve(child);
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !http
        .get(format!("http://127.0.0.1:{port}/readyz"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        if let Ok(Some(status)) = serve.0.try_wait() {
            panic!(
                "serve exited at start ({status}): {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        assert!(Instant::now() < deadline, "serve did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    serve
}

/// Every case's record: a page sent and delivered, acknowledged, each voice
/// note transcribed. Returns how many cases hold all they should.
async fn check_records(
    store: &Arc<dyn Store>,
    cases: &[(CaseId, bool, &str)],
    errors: &Errors,
) -> usize {
    let mut checked = 0;
    for (case, voice, channel) in cases {
        let events = store.events(*case).await.expect("events");
        let has = |f: &dyn Fn(&EventKind) -> bool| events.iter().any(|e| f(&e.event.kind));
        let mut missing = Vec::new();
        if !has(&|k| matches!(k, EventKind::PageSent { .. })) {
            missing.push("page_sent");
        }
        if !has(&|k| matches!(k, EventKind::NotificationDelivered { .. })) {
            missing.push("notification_delivered");
        }
        if !has(&|k| matches!(k, EventKind::PageAcknowledged { .. })) {
            missing.push("page_acknowledged");
        }
        if *voice && !has(&|k| matches!(k, EventKind::Transcribed { .. })) {
            missing.push("transcribed");
        }
        if missing.is_empty() {
            checked += 1;
        } else {
            errors.push(format!("{channel} case {case}: no {}", missing.join(", ")));
        }
    }
    checked
}

/// RSS over time. Warm-up is the first fifth of the run: the model loads
/// with the first voice note, the caches fill.
fn rss_figures(samples: &[(f64, f64, f64)], elapsed: Duration) {
    let warm = elapsed.as_secs_f64() / 5.0;
    let after: Vec<(f64, f64)> = samples
        .iter()
        .filter(|(t, _, _)| *t >= warm)
        .map(|(t, r, _)| (*t / 60.0, *r))
        .collect();
    let peak = samples.iter().map(|s| s.1).fold(0.0, f64::max);
    println!("| RSS peak | {peak:.1} MiB |");
    let (Some(first), Some(last)) = (after.first(), after.last()) else {
        return;
    };
    println!(
        "| RSS after warm-up ({warm:.0} s) → end | {:.1} → {:.1} MiB |",
        first.1, last.1
    );
    println!(
        "| RSS median, first minute after warm-up → last minute | {:.1} → {:.1} MiB |",
        median_rss(&after, |t| t < first.0 + 1.0),
        median_rss(&after, |t| t > last.0 - 1.0)
    );
    println!(
        "| RSS trend after warm-up (least squares) | {:+.2} MiB/min |",
        slope(&after)
    );
}

struct Serve(std::process::Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::main]
async fn main() {
    let seconds: u64 = env_or("AKUTLINJE_SOAK_SECONDS", 600);
    let chats: usize = env_or("AKUTLINJE_SOAK_CHAT", 50);
    let calls: usize = env_or("AKUTLINJE_SOAK_PHONE", 20);
    let work = tempfile::tempdir().expect("dir");
    let (phone_wav, ogg) = speech(work.path());
    // 8 kHz, 16 bit, mono after a 44-byte header.
    let length = Duration::from_secs_f64(phone_wav.len().saturating_sub(44) as f64 / 16_000.0);
    let model = voice_model();

    let s = synapse::Synapse::start().await;
    let bot_id = s.register("akutbot", "password-123").await;
    s.register("anna", "password-123").await;
    s.register("lund", "password-123").await;
    // The coordinator, who gets the rota's gap report at start.
    s.register("karin", "password-123").await;

    // The database the service runs on.
    let db = akutlinje_store::testing::sqlite().await;
    let store: Arc<dyn Store> = Arc::new(db.store.clone());
    seed(&store).await;
    let policies = policies(work.path());
    let fake = Arc::new(FakeTwilio::serving(phone_wav).await);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let base = format!("http://127.0.0.1:{port}");
    let env: Vec<(&str, String)> = vec![
        ("AKUTLINJE_DATABASE_URL", db.url.clone()),
        ("AKUTLINJE_LOG", "warn".into()),
        ("AKUTLINJE_POLICIES", policies.display().to_string()),
        ("AKUTLINJE_VOICE_MODEL", model.display().to_string()),
        ("AKUTLINJE_MATRIX_HOMESERVER", s.url.clone()),
        ("AKUTLINJE_MATRIX_USER", "akutbot".into()),
        ("AKUTLINJE_MATRIX_PASSWORD", "password-123".into()),
        (
            "AKUTLINJE_MATRIX_STORE_DIR",
            work.path().join("bot").display().to_string(),
        ),
        (
            "AKUTLINJE_MATRIX_STORE_PASSPHRASE",
            "soak bot passphrase".into(),
        ),
        ("AKUTLINJE_TWILIO_ACCOUNT_SID", ACCOUNT.into()),
        ("AKUTLINJE_TWILIO_AUTH_TOKEN", TOKEN.into()),
        ("AKUTLINJE_TWILIO_FROM", HOTLINE.into()),
        ("AKUTLINJE_TWILIO_PUBLIC_URL", base.clone()),
        ("AKUTLINJE_TWILIO_API_BASE", fake.url.clone()),
    ];
    let log_path = work.path().join("serve.log");
    let mut serve = start(port, work.path(), &log_path, &env).await;
    let pid = serve.0.id();
    let http = reqwest::Client::new();

    // Anna's room with the bot, bound to her home; Dr. Lund's phone.
    let (anna, anna_seen) = client(&s, "anna", &work.path().join("anna")).await;
    let (_lund, lund_seen) = client(&s, "lund", &work.path().join("lund")).await;
    let room = anna
        .create_dm(<&UserId>::try_from(bot_id.as_str()).expect("id"))
        .await
        .expect("DM");
    store
        .bind_room(&akutlinje_core::person::HomeRoom {
            room: room.room_id().as_str().parse().expect("room id"),
            home: "solgaarden".parse().expect("home"),
            bound_by: None,
            bound_at: chrono::Utc::now(),
        })
        .await
        .expect("bind");
    anna_seen
        .wait(0, "Skriv «akut»")
        .await
        .expect("the bot greets the room");

    let chat = Chat {
        anna,
        anna_seen,
        lund_seen,
        room,
        store: store.clone(),
        ogg,
        length,
    };
    let phone = Phone {
        seconds: length.as_secs().max(1).to_string(),
        hooks: Webhooks::new(base.clone()),
        fake: fake.clone(),
        store: store.clone(),
    };
    let errors = Errors::default();
    let (rss0, _) = rss_and_cpu(pid).expect("the service's /proc");
    println!(
        "soak: {seconds} s, {chats} chat cases and {calls} phone cases, service pid {pid}, RSS at start {rss0:.1} MiB"
    );

    // Both channels at once, each case at its slot of the run.
    let start = Instant::now();
    let run_for = Duration::from_secs(seconds);
    let slot = |n: usize, i: usize| start + run_for.mul_f64(i as f64 / n.max(1) as f64);
    let chat_cases = {
        let errors = errors.clone();
        async move {
            let mut done = Vec::new();
            for i in 0..chats {
                tokio::time::sleep_until(slot(chats, i).into()).await;
                let kind = if i % 2 == 0 {
                    ChatKind::Measured
                } else {
                    ChatKind::RedFlag
                };
                let resident = if i % 3 == 0 { "12" } else { "14" };
                let mark = chat.anna_seen.mark();
                match chat.case(kind, resident).await {
                    Ok(case) => done.push((case, kind == ChatKind::Measured)),
                    Err(e) => errors.push(format!(
                        "chat case {i}: {e}; the room said: {:?}",
                        chat.anna_seen.since(mark)
                    )),
                }
            }
            done
        }
    };
    let phone_cases = {
        let errors = errors.clone();
        async move {
            let mut done = Vec::new();
            for i in 0..calls {
                // Half a slot later than the chat cases, so the two meet
                // at different points of their cases.
                tokio::time::sleep_until(
                    (slot(calls, i) + run_for / (calls.max(1) as u32 * 2)).into(),
                )
                .await;
                let resident = if i % 2 == 0 { "12" } else { "14" };
                match phone.case(i, resident).await {
                    Ok(case) => done.push(case),
                    Err(e) => errors.push(format!("phone case {i}: {e}")),
                }
            }
            done
        }
    };
    // RSS every 10 s while the cases run.
    let samples = Arc::new(Mutex::new(Vec::<(f64, f64, f64)>::new()));
    let sampler = {
        let samples = samples.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(10));
            loop {
                tick.tick().await;
                let Some((rss, cpu)) = rss_and_cpu(pid) else {
                    break;
                };
                let t = start.elapsed().as_secs_f64();
                samples
                    .lock()
                    .expect("lock")
                    .push((t, rss, cpu.as_secs_f64()));
                if (t as u64) % 60 < 10 {
                    eprintln!(
                        "  {:>4.0} s  RSS {rss:>6.1} MiB  CPU {:>6.1} s",
                        t,
                        cpu.as_secs_f64()
                    );
                }
            }
        })
    };
    let (chat_done, phone_done) = tokio::join!(chat_cases, phone_cases);
    // The last voice notes and pages settle.
    let settle = Instant::now() + Duration::from_secs(120);
    loop {
        let missing = transcripts_missing(&store, &chat_done, &phone_done).await;
        if missing == 0 || Instant::now() > settle {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_secs(10)).await;
    sampler.abort();
    let elapsed = start.elapsed();

    let all: Vec<(CaseId, bool, &str)> = chat_done
        .iter()
        .map(|(c, v)| (*c, *v, "chat"))
        .chain(phone_done.iter().map(|c| (*c, true, "phone")))
        .collect();
    let checked = check_records(&store, &all, &errors).await;
    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    for line in metrics.lines() {
        let failed = line.starts_with("akutlinje_notifications_total")
            && line.contains("outcome=\"failed\"");
        let backlog = (line.starts_with("akutlinje_outbox_pending")
            || line.starts_with("akutlinje_transcriptions_pending"))
            && !line.trim_end().ends_with(" 0");
        if failed || backlog {
            errors.push(format!("metrics: {line}"));
        }
    }
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    let log_errors: Vec<&str> = log.lines().filter(|l| l.contains("ERROR")).collect();
    let log_warnings = log.lines().filter(|l| l.contains("WARN")).count();
    for l in &log_errors {
        errors.push(format!("serve log: {l}"));
    }
    if let Ok(Some(status)) = serve.0.try_wait() {
        errors.push(format!("the service exited: {status}"));
    }

    let samples = samples.lock().expect("lock").clone();
    println!();
    println!("RSS of `akutlinje serve` (MiB), every 10 s:");
    let line: Vec<String> = samples.iter().map(|(_, r, _)| format!("{r:.0}")).collect();
    println!("  {}", line.join(" "));
    println!();
    println!("| figure | value |");
    println!("|---|---:|");
    println!("| run | {:.0} s |", elapsed.as_secs_f64());
    println!(
        "| chat cases completed (page ✅ acknowledged) | {}/{chats} |",
        chat_done.len()
    );
    println!(
        "| phone cases completed (page «OK» by SMS) | {}/{calls} |",
        phone_done.len()
    );
    println!(
        "| cases whose record holds page sent, delivered, acknowledged (and transcript) | {checked}/{} |",
        chats + calls
    );
    println!("| RSS at start | {rss0:.1} MiB |");
    rss_figures(&samples, elapsed);
    let cpu = samples.last().map(|s| s.2).unwrap_or(0.0);
    println!(
        "| CPU time of the service | {cpu:.1} s ({:.1} % of one core) |",
        100.0 * cpu / elapsed.as_secs_f64()
    );
    println!("| warnings in the service's log | {log_warnings} |");
    let errors = errors.all();
    println!("| errors | {} |", errors.len());
    for l in metrics.lines().filter(|l| {
        l.starts_with("akutlinje_pages_sent_total")
            || l.starts_with("akutlinje_cases_opened_total")
            || l.starts_with("akutlinje_transcription_real_time_factor_sum")
            || l.starts_with("akutlinje_transcription_real_time_factor_count")
    }) {
        println!("  {l}");
    }
    drop(serve);
    drop(s);
    if !errors.is_empty() {
        eprintln!("the service's warnings:");
        for l in log.lines().filter(|l| l.contains("WARN")) {
            eprintln!("  {l}");
        }
        eprintln!("soak failed:");
        for e in &errors {
            eprintln!("  {e}");
        }
        std::process::exit(1);
    }
}

/// Voice notes of completed cases not yet transcribed.
async fn transcripts_missing(
    store: &Arc<dyn Store>,
    chat: &[(CaseId, bool)],
    phone: &[CaseId],
) -> usize {
    let mut missing = 0;
    let voiced = chat
        .iter()
        .filter(|(_, v)| *v)
        .map(|(c, _)| *c)
        .chain(phone.iter().copied());
    for case in voiced {
        let events = store.events(case).await.unwrap_or_default();
        if !events
            .iter()
            .any(|e| matches!(e.event.kind, EventKind::Transcribed { .. }))
        {
            missing += 1;
        }
    }
    missing
}
