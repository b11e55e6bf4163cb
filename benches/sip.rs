//! The SIP bridge measured on this machine, each figure beside an anchor
//! run in the same process:
//!
//! 1. call set-up (INVITE sent → 200 OK received), direct and through
//!    Kamailio, against a trunk whose handler does nothing (the anchor: the
//!    SIP stack alone);
//! 2. key → next prompt: `#` ending the room number until the first packet
//!    of the next question, as the night nurse hears it;
//! 3. 30 nurses calling at once, each keying the PIN, the room and the
//!    danger signs: failed calls (the goal: none) and CPU per call;
//! 4. the bridge between caller and physician with 30 bridged calls at
//!    once: delay added (against the same packets sent phone to phone
//!    directly), jitter, loss, CPU per call;
//! 5. SIPp's built-in caller at rising rates: the calls per second the
//!    bridge answers with no failure.
//!
//! Run: `cargo bench --bench sip` (AKUTLINJE_BENCH_CALLS=N for parts 1–2,
//! default 100). Needs espeak-ng and sox (prompts), SIPp and Kamailio
//! (parts 1 and 5 skip what is missing).

#[allow(dead_code)]
#[path = "../tests/e2e/sip/kamailio.rs"]
mod kamailio;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use akutlinje_core::engine::Checklist;
use akutlinje_core::i18n::Localizer;
use akutlinje_core::phone::PhoneNumber;
use akutlinje_core::service::Hotline;
use akutlinje_core::store::Store;
use akutlinje_telephony::sip::dtmf::Event;
use akutlinje_telephony::sip::line::{Line, LineSettings};
use akutlinje_telephony::sip::media::{self, Media};
use akutlinje_telephony::sip::prompts::Prompts;
use akutlinje_telephony::sip::rtp::Packet;
use akutlinje_telephony::sip::sdp::{Codec, Direction, Negotiated};
use akutlinje_telephony::sip::trunk::{Call, Calls, Dialer, Registrar, Trunk, TrunkSettings};
use tokio::net::UdpSocket;

const ANNA: &str = "+4520000001";
const PIN: &str = "4711";

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn summary(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (percentile(&v, 0.5), percentile(&v, 0.99))
}

/// This process's CPU time (user + system), from /proc.
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// A trunk that answers and does nothing (the anchor).
struct Silent;

#[async_trait::async_trait]
impl Calls for Silent {
    async fn call(&self, call: Call) {
        call.hangup.cancelled().await;
    }
}

async fn trunk() -> (SocketAddr, Dialer, Trunk) {
    let t = Trunk::bind(TrunkSettings {
        bind: "127.0.0.1:0".parse().expect("addr"),
        allowed: vec!["127.0.0.1".parse().expect("ip")],
        media_ip: "127.0.0.1".parse().expect("ip"),
    })
    .await
    .expect("bind");
    let addr = t.local_addr().expect("addr");
    let dialer = t.dialer();
    (addr, dialer, t)
}

/// Sends a key as RFC 4733 events (three updates, three ends).
async fn send_key(sock: &UdpSocket, to: SocketAddr, key: char, seq: &mut u16, ts: u32) {
    let code = match key {
        '0'..='9' => key as u8 - b'0',
        '*' => 10,
        _ => 11,
    };
    for i in 0..6u16 {
        let ev = Event {
            code,
            end: i >= 3,
            volume: 10,
            duration: 160 * (i.min(3) + 1),
        }
        .to_bytes();
        let p = Packet {
            payload_type: 101,
            marker: i == 0,
            sequence: *seq,
            timestamp: ts,
            ssrc: 4242,
            payload: &ev,
        };
        *seq = seq.wrapping_add(1);
        sock.send_to(&p.to_bytes(), to).await.ok();
    }
}

/// Waits for the first packet that starts a talkspurt (a new prompt).
async fn talkspurt(sock: &UdpSocket, wait: Duration) -> Option<Instant> {
    let mut buf = [0u8; 2048];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let (n, _) = tokio::time::timeout_at(deadline, sock.recv_from(&mut buf))
            .await
            .ok()?
            .ok()?;
        if Packet::parse(&buf[..n]).is_ok_and(|p| p.marker) {
            return Some(Instant::now());
        }
    }
}

/// A staff call: PIN, room 14, then (if `flags`) no danger sign. Returns
/// the key → next prompt time of the room's `#`, or why it failed.
async fn nurse_call(dialer: &Dialer, target: &str, flags: bool) -> Result<f64, String> {
    let placed = dialer
        .dial(target, ANNA, Duration::from_secs(20))
        .await
        .map_err(|e| e.to_string())?;
    let result = keyed(&placed.media, flags).await;
    placed.end().await;
    result
}

/// The keys of [`nurse_call`] on an answered call.
async fn keyed(media: &Media, flags: bool) -> Result<f64, String> {
    let (sock, remote) = media.parts();
    let mut seq = 1u16;
    talkspurt(sock, Duration::from_secs(10))
        .await
        .ok_or("no PIN prompt")?;
    for (i, k) in format!("{PIN}#").chars().enumerate() {
        send_key(sock, remote, k, &mut seq, 8000 * (i as u32 + 1)).await;
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    talkspurt(sock, Duration::from_secs(30))
        .await
        .ok_or("no room question after the PIN")?;
    for (i, k) in "14".chars().enumerate() {
        send_key(sock, remote, k, &mut seq, 80_000 + 8000 * i as u32).await;
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    // Drain what is in flight, then time the # alone.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut buf = [0u8; 2048];
    while let Ok(Ok(_)) =
        tokio::time::timeout(Duration::from_millis(1), sock.recv_from(&mut buf)).await
    {}
    let sent = Instant::now();
    send_key(sock, remote, '#', &mut seq, 120_000).await;
    let next = talkspurt(sock, Duration::from_secs(30))
        .await
        .ok_or("nothing after the room")?;
    let latency = (next - sent).as_secs_f64() * 1000.0;
    if flags {
        for (i, k) in "7#".chars().enumerate() {
            send_key(sock, remote, k, &mut seq, 160_000 + 8000 * i as u32).await;
            tokio::time::sleep(Duration::from_millis(60)).await;
        }
        talkspurt(sock, Duration::from_secs(30))
            .await
            .ok_or("nothing after the danger signs")?;
    }
    Ok(latency)
}

async fn bridge_setup(store: &Arc<dyn Store>) -> (SocketAddr, Trunk, Line) {
    let loc = Arc::new(Localizer::builtin().expect("texts"));
    let def = Arc::new(Checklist::builtin_acute(&loc).expect("checklist"));
    let hotline = Hotline::new(store.clone(), def, loc.clone());
    let t = Trunk::bind(TrunkSettings {
        bind: "127.0.0.1:0".parse().expect("addr"),
        allowed: vec!["127.0.0.1".parse().expect("ip")],
        media_ip: "127.0.0.1".parse().expect("ip"),
    })
    .await
    .expect("bind");
    let addr = t.local_addr().expect("addr");
    let prompts = Prompts::new(
        loc.clone(),
        None,
        std::env::temp_dir().join("akutlinje-test-prompt-cache"),
    );
    let ids: Vec<String> = loc
        .ids(akutlinje_core::i18n::Lang::Da)
        .into_iter()
        .filter(|i| i.starts_with("ivr-"))
        .collect();
    let warm = prompts.clone();
    tokio::task::spawn_blocking(move || warm.warm(akutlinje_core::i18n::Lang::Da, &ids))
        .await
        .expect("join")
        .expect("prompts render");
    let line = Line::new(
        hotline,
        store.clone(),
        prompts,
        LineSettings {
            dial: "sip:{number}@127.0.0.1:9".into(),
            ..LineSettings::default()
        },
        Arc::new(akutlinje::oncall::RotaRoster::new(
            store.clone(),
            "akutlaege".parse().expect("id"),
        )),
        t.dialer(),
    );
    (addr, t, line)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::var("AKUTLINJE_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let db = akutlinje_store::testing::sqlite().await;
    let store: Arc<dyn Store> = Arc::new(db.store.clone());
    akutlinje::demo::seed(&store).await.expect("demo data");
    let mut anna = store
        .person(&"anna".parse().expect("id"))
        .await
        .expect("read")
        .expect("anna");
    anna.phone = Some(PhoneNumber::parse(ANNA).expect("number"));
    store.upsert_person(&anna).await.expect("phone");
    let hash = akutlinje::web::hash_password(PIN).expect("hash");
    store
        .set_person_pin(&anna.id, &hash, chrono::Utc::now())
        .await
        .expect("pin");

    let (bridge, bridge_trunk, line) = bridge_setup(&store).await;
    let k = std::process::Command::new("kamailio")
        .arg("-v")
        .output()
        .is_ok()
        .then(kamailio::Kamailio::start);
    if let Some(k) = &k {
        bridge_trunk
            .register(Registrar {
                server: k.uri(),
                user: kamailio::EXTENSION.into(),
                password: Some(kamailio::PASSWORD.into()),
                expires: 300,
            })
            .expect("registrar");
    }
    tokio::spawn(bridge_trunk.serve(Arc::new(line)));
    let (anchor, _, anchor_trunk) = trunk().await;
    tokio::spawn(anchor_trunk.serve(Arc::new(Silent)));
    let (_, dialer, client) = trunk().await;
    tokio::spawn(client.serve(Arc::new(Silent)));
    tokio::time::sleep(Duration::from_secs(1)).await;

    // 1. Call set-up.
    println!("## SIP bridge, measured here (2 cores, {n} calls a row)\n");
    println!("| measure | median ms | p99 ms | anchor median ms | ratio (median) |");
    println!("|---|---:|---:|---:|---:|");
    let setup = |target: String, from: &'static str| {
        let dialer = dialer.clone();
        async move {
            let mut times = Vec::new();
            for _ in 0..n {
                let t0 = Instant::now();
                match dialer.dial(&target, from, Duration::from_secs(10)).await {
                    Ok(p) => {
                        times.push(t0.elapsed().as_secs_f64() * 1000.0);
                        p.end().await;
                    }
                    Err(e) => eprintln!("set-up failed: {e}"),
                }
            }
            times
        }
    };
    let anchor_times = summary(setup(format!("sip:x@{anchor}"), "+4599999999").await);
    let direct = summary(setup(format!("sip:akutlinje@{bridge}"), "+4599999999").await);
    println!(
        "| call set-up, direct (INVITE → 200 OK) | {:.1} | {:.1} | {:.1} | {:.2} |",
        direct.0,
        direct.1,
        anchor_times.0,
        direct.0 / anchor_times.0
    );
    if let Some(k) = &k {
        let via = summary(
            setup(
                format!("sip:{}@127.0.0.1:{}", kamailio::EXTENSION, k.port),
                "+4599999999",
            )
            .await,
        );
        println!(
            "| call set-up through Kamailio | {:.1} | {:.1} | {:.1} | {:.2} |",
            via.0,
            via.1,
            anchor_times.0,
            via.0 / anchor_times.0
        );
    }

    // 2. Key → next prompt, direct and with the call set up through
    // Kamailio (a SIP proxy: the RTP goes straight to the bridge either way).
    let mut targets = vec![("direct", format!("sip:akutlinje@{bridge}"))];
    if let Some(k) = &k {
        targets.push((
            "through Kamailio",
            format!("sip:{}@127.0.0.1:{}", kamailio::EXTENSION, k.port),
        ));
    }
    for (how, target) in targets {
        let mut keys = Vec::new();
        for _ in 0..n.min(50) {
            match nurse_call(&dialer, &target, false).await {
                Ok(ms) => keys.push(ms),
                Err(e) => eprintln!("nurse call failed: {e}"),
            }
        }
        let (k50, k99) = summary(keys);
        println!(
            "| `#` after the room → first packet of what follows, {how} | {k50:.1} | {k99:.1} | 20.0 (one packet time) | {:.2} |",
            k50 / 20.0
        );
    }

    // 3. Thirty nurses at once.
    let failed = Arc::new(AtomicUsize::new(0));
    let c0 = cpu();
    let t0 = Instant::now();
    let mut all = Vec::new();
    for i in 0..30 {
        let (dialer, failed) = (dialer.clone(), failed.clone());
        all.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20 * i)).await;
            let target = format!("sip:akutlinje@{bridge}");
            if let Err(e) = nurse_call(&dialer, &target, true).await {
                eprintln!("concurrent call {i} failed: {e}");
                failed.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for a in all {
        a.await.ok();
    }
    let wall = t0.elapsed();
    let cpu_used = cpu() - c0;
    println!(
        "\n30 nurses at once (PIN, room, danger signs): {} failed, {:.1} s wall, CPU {:.2} s ({:.1} % of a core per call over the run)",
        failed.load(Ordering::Relaxed),
        wall.as_secs_f64(),
        cpu_used.as_secs_f64(),
        cpu_used.as_secs_f64() / wall.as_secs_f64() / 30.0 * 100.0
    );

    // 4. Thirty bridged calls.
    bridged().await;

    // 5. SIPp load.
    if std::process::Command::new("sipp")
        .arg("-v")
        .output()
        .is_ok()
    {
        sipp_load(bridge);
    }
    drop(k);
}

/// A phone's leg on the bridge: (bridge side, phone socket).
async fn leg() -> (Media, UdpSocket) {
    let bridge = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let phone = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let agreed = Negotiated {
        remote: phone.local_addr().expect("addr"),
        codec: Codec::Pcma,
        codec_type: 8,
        dtmf_type: Some(101),
        direction: Direction::SendRecv,
    };
    (Media::new(bridge, &agreed, 1), phone)
}

/// One side talking for `secs`: 20 ms packets, each carrying its send time
/// (µs since `epoch`) in its payload; returns (delays ms, lost, jitter ms).
async fn talk(
    from: Arc<UdpSocket>,
    to: SocketAddr,
    listen: Arc<UdpSocket>,
    epoch: Instant,
    secs: u64,
) -> (Vec<f64>, usize, f64) {
    let count = (secs * 50) as u16;
    let sender = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        for seq in 0..count {
            tick.tick().await;
            let mut payload = vec![0xd5u8; 160];
            payload[..8].copy_from_slice(&(epoch.elapsed().as_micros() as u64).to_be_bytes());
            payload[8..10].copy_from_slice(&seq.to_be_bytes());
            let p = Packet {
                payload_type: 8,
                marker: seq == 0,
                sequence: seq,
                timestamp: u32::from(seq) * 160,
                ssrc: 9,
                payload: &payload,
            };
            from.send_to(&p.to_bytes(), to).await.ok();
        }
    });
    let mut delays = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let (mut jitter, mut last_transit): (f64, Option<f64>) = (0.0, None);
    let mut buf = [0u8; 2048];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs + 2);
    while let Ok(Ok((n, _))) = tokio::time::timeout_at(deadline, listen.recv_from(&mut buf)).await {
        let Ok(p) = Packet::parse(&buf[..n]) else {
            continue;
        };
        if p.payload.len() < 10 {
            continue;
        }
        let sent = u64::from_be_bytes(p.payload[..8].try_into().unwrap_or([0; 8]));
        let seq = u16::from_be_bytes([p.payload[8], p.payload[9]]);
        let now = epoch.elapsed().as_micros() as u64;
        let transit = now.saturating_sub(sent) as f64 / 1000.0;
        delays.push(transit);
        if let Some(last) = last_transit {
            // RFC 3550 interarrival jitter.
            jitter += ((transit - last).abs() - jitter) / 16.0;
        }
        last_transit = Some(transit);
        seen.insert(seq);
        if seen.len() == count as usize {
            break;
        }
    }
    sender.await.ok();
    (delays, count as usize - seen.len(), jitter)
}

async fn bridged() {
    const CALLS: usize = 30;
    const SECS: u64 = 10;
    let epoch = Instant::now();
    // The anchor: the same packets phone to phone, no bridge.
    let mut direct = Vec::new();
    let c0 = cpu();
    let mut runs = Vec::new();
    for _ in 0..CALLS {
        let a = Arc::new(UdpSocket::bind("127.0.0.1:0").await.expect("bind"));
        let b = Arc::new(UdpSocket::bind("127.0.0.1:0").await.expect("bind"));
        let to = b.local_addr().expect("addr");
        runs.push(tokio::spawn(talk(a, to, b, epoch, SECS)));
    }
    for r in runs {
        if let Ok((d, _, _)) = r.await {
            direct.extend(d);
        }
    }
    let anchor_cpu = cpu() - c0;
    // Through the bridge, thirty calls at once, both ways.
    let (mut delays, mut lost, mut jitters) = (Vec::new(), 0usize, Vec::new());
    let mut stops = Vec::new();
    let mut runs = Vec::new();
    let c0 = cpu();
    for _ in 0..CALLS {
        let ((mut caller, caller_phone), (mut doctor, doctor_phone)) = (leg().await, leg().await);
        let to_caller_leg = caller.local_addr().expect("addr");
        let to_doctor_leg = doctor.local_addr().expect("addr");
        let stop = tokio_util::sync::CancellationToken::new();
        let s = stop.clone();
        tokio::spawn(async move { media::bridge(&mut caller, &mut doctor, s).await });
        stops.push(stop);
        let (cp, dp) = (Arc::new(caller_phone), Arc::new(doctor_phone));
        runs.push(tokio::spawn(talk(
            cp.clone(),
            to_caller_leg,
            dp.clone(),
            epoch,
            SECS,
        )));
        runs.push(tokio::spawn(talk(dp, to_doctor_leg, cp, epoch, SECS)));
    }
    for r in runs {
        if let Ok((d, l, j)) = r.await {
            delays.extend(d);
            lost += l;
            jitters.push(j);
        }
    }
    let bridge_cpu = cpu() - c0;
    for s in stops {
        s.cancel();
    }
    let (d50, d99) = summary(direct);
    let (b50, b99) = summary(delays);
    let (j50, j99) = summary(jitters);
    println!("\n30 bridged calls at once, {SECS} s, both directions (50 packets/s each way):\n");
    println!("| | median ms | p99 ms |");
    println!("|---|---:|---:|");
    println!("| phone → phone directly (anchor) | {d50:.3} | {d99:.3} |");
    println!("| phone → bridge → phone | {b50:.3} | {b99:.3} |");
    println!(
        "| delay added by the bridge | {:.3} | {:.3} |",
        b50 - d50,
        b99 - d99
    );
    println!("| interarrival jitter (RFC 3550), per direction | {j50:.3} | {j99:.3} |");
    println!(
        "\npackets lost: {lost} of {}; CPU for the {SECS} s: {:.2} s with the bridge and its 60 test phones, {:.2} s for the anchor's 30 phone pairs; at most {:.2} % of a core per bridged call (the whole bridged phase over 30 calls, the test phones' own work included)",
        CALLS as u64 * 2 * SECS * 50,
        bridge_cpu.as_secs_f64(),
        anchor_cpu.as_secs_f64(),
        bridge_cpu.as_secs_f64() / SECS as f64 / CALLS as f64 * 100.0,
    );
}

/// SIPp's built-in caller at rising rates, 1 s calls: the highest rate
/// answered with no failed call.
fn sipp_load(bridge: SocketAddr) {
    println!("\nSIPp `uac`, 1 s calls, 10 s per rate:\n");
    println!("| calls/s | calls | failed |");
    println!("|---:|---:|---:|");
    for rate in [10u32, 40, 80, 160, 320] {
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .map(|a| a.port())
            .unwrap_or(5099);
        let out = std::process::Command::new("sipp")
            .args(["-sn", "uac", &bridge.to_string(), "-i", "127.0.0.1"])
            .args(["-p", &port.to_string(), "-r", &rate.to_string()])
            .args(["-m", &(rate * 10).to_string(), "-d", "1000", "-l", "1000"])
            .args(["-timeout", "60", "-nostdin", "-trace_stat", "-stf"])
            .arg(std::env::temp_dir().join(format!("sipp-{rate}.csv")))
            .output();
        let failed = match &out {
            Ok(o) if o.status.success() => 0,
            Ok(o) => {
                let text = String::from_utf8_lossy(&o.stdout);
                text.lines()
                    .find(|l| l.contains("Failed call"))
                    .and_then(|l| l.split_whitespace().rev().nth(1).map(str::to_string))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(u32::MAX)
            }
            Err(_) => u32::MAX,
        };
        println!("| {rate} | {} | {failed} |", rate * 10);
    }
}
