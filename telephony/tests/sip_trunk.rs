//! The SIP bridge's trunk mode against real peers: raw SIP over UDP, and
//! SIPp (Debian `sip-tester`, installed by scripts/test.sh) as the PBX.

use std::net::{SocketAddr, UdpSocket};
use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::Duration;

use akutlinje_telephony::sip::trunk::{Call, Calls, Counts, Trunk, TrunkSettings};
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

/// A stand-in for the checklist: greets each call with 100 ms of tone and
/// notes who called and whether they hung up.
#[derive(Default)]
struct Greeter {
    seen: Mutex<Vec<(Option<String>, bool)>>,
}

#[async_trait::async_trait]
impl Calls for Greeter {
    async fn call(&self, mut call: Call) {
        let tone: Vec<i16> = (0..800)
            .map(|i| ((i as f64 * 0.3).sin() * 6000.0) as i16)
            .collect();
        let _ = call.media.play(&tone).await;
        let hung_up = tokio::time::timeout(Duration::from_secs(10), call.hangup.cancelled())
            .await
            .is_ok();
        self.seen.lock().expect("lock").push((call.caller, hung_up));
    }
}

fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a free port")
        .port()
}

/// A trunk on a free port that only 127.0.0.1 may use.
async fn trunk() -> (SocketAddr, Arc<Counts>, CancellationToken) {
    let (addr, counts, stop, _) = trunk_with(Arc::new(Greeter::default())).await;
    (addr, counts, stop)
}

/// The same, with `greeter` handling the calls.
async fn trunk_with(
    greeter: Arc<Greeter>,
) -> (SocketAddr, Arc<Counts>, CancellationToken, Arc<Greeter>) {
    let bind: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    let t = Trunk::bind(TrunkSettings {
        bind,
        allowed: vec!["127.0.0.1".parse().expect("ip")],
        media_ip: "127.0.0.1".parse().expect("ip"),
    })
    .await
    .expect("bind");
    let (counts, stop) = (t.counts(), t.stopper());
    tokio::spawn(t.serve(greeter.clone()));
    (bind, counts, stop, greeter)
}

/// Sends one datagram from 127.0.0.1 and returns the first response line.
async fn exchange(to: SocketAddr, message: &str) -> String {
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("socket");
    let from = sock.local_addr().expect("addr");
    let message = message.replace("{from}", &from.to_string());
    sock.send_to(message.as_bytes(), to).await.expect("send");
    let mut buf = vec![0u8; 4096];
    loop {
        let (n, _) = tokio::time::timeout(Duration::from_secs(5), sock.recv_from(&mut buf))
            .await
            .expect("an answer within 5 s")
            .expect("recv");
        let text = String::from_utf8_lossy(&buf[..n]).to_string();
        let first = text.lines().next().unwrap_or_default().to_string();
        // Provisional answers (100 Trying) come first.
        if !first.starts_with("SIP/2.0 1") {
            return first;
        }
    }
}

fn request(method: &str, to: SocketAddr, call: &str, body: &str, extra: &str) -> String {
    format!(
        "{method} sip:hotline@{to} SIP/2.0\r\nVia: SIP/2.0/UDP {{from}};branch=z9hG4bK{call}\r\nMax-Forwards: 70\r\nFrom: <sip:pbx@127.0.0.1>;tag=t{call}\r\nTo: <sip:hotline@{to}>\r\nCall-ID: {call}@test\r\nCSeq: 1 {method}\r\nContact: <sip:pbx@{{from}}>\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn keep_alives_are_answered_and_garbage_is_survived() {
    let (addr, _, stop) = trunk().await;
    let garbage = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("socket");
    for junk in [
        &b"\x00\x01\x02"[..],
        b"INVITE",
        b"SIP/2.0 200 OK\r\n\r\n",
        &[0xff; 1400],
    ] {
        garbage.send_to(junk, addr).await.expect("send");
    }
    let answer = exchange(addr, &request("OPTIONS", addr, "opt1", "", "")).await;
    assert_eq!(answer, "SIP/2.0 200 OK");
    stop.cancel();
}

#[tokio::test]
async fn keep_alives_are_answered_over_tcp_too() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (addr, _, stop) = trunk().await;
    let mut conn = None;
    for _ in 0..50 {
        if let Ok(c) = tokio::net::TcpStream::connect(addr).await {
            conn = Some(c);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut conn = conn.expect("the bridge listens on TCP");
    let from = conn.local_addr().expect("addr").to_string();
    let options = request("OPTIONS", addr, "tcp1", "", "")
        .replace("SIP/2.0/UDP", "SIP/2.0/TCP")
        .replace("{from}", &from);
    conn.write_all(options.as_bytes()).await.expect("send");
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), conn.read(&mut buf))
        .await
        .expect("an answer within 5 s")
        .expect("read");
    let text = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(text.starts_with("SIP/2.0 200 OK"), "{text}");
    stop.cancel();
}

/// INVITEs the stack cannot make a dialog of (no From tag, no Call-ID) are
/// refused one by one; the bridge still answers afterwards.
#[tokio::test]
async fn malformed_invites_are_refused_and_the_bridge_goes_on() {
    let (addr, counts, stop) = trunk().await;
    let sdp = "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 30000 RTP/AVP 0\r\n";
    let invite = |call: &str| {
        request(
            "INVITE",
            addr,
            call,
            sdp,
            "Content-Type: application/sdp\r\n",
        )
    };
    let without_tag = invite("bad1").replace(";tag=tbad1", "");
    let without_call_id = invite("bad2").replace("Call-ID: bad2@test\r\n", "");
    for bad in [without_tag, without_call_id] {
        let sock = tokio::net::UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("socket");
        let from = sock.local_addr().expect("addr").to_string();
        sock.send_to(bad.replace("{from}", &from).as_bytes(), addr)
            .await
            .expect("send");
        // Whatever it answers, if anything, it is not a 200.
        let mut buf = vec![0u8; 4096];
        if let Ok(Ok((n, _))) =
            tokio::time::timeout(Duration::from_millis(500), sock.recv_from(&mut buf)).await
        {
            let text = String::from_utf8_lossy(&buf[..n]).to_string();
            assert!(!text.starts_with("SIP/2.0 200"), "{text}");
        }
    }
    assert_eq!(counts.answered.load(Ordering::Relaxed), 0);
    let answer = exchange(addr, &request("OPTIONS", addr, "after", "", "")).await;
    assert_eq!(answer, "SIP/2.0 200 OK");
    stop.cancel();
}

#[tokio::test]
async fn an_offer_without_g711_is_not_acceptable() {
    let (addr, counts, stop) = trunk().await;
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n";
    let answer = exchange(
        addr,
        &request(
            "INVITE",
            addr,
            "inv488",
            sdp,
            "Content-Type: application/sdp\r\n",
        ),
    )
    .await;
    assert_eq!(answer, "SIP/2.0 488 Not Acceptable Here");
    assert_eq!(counts.not_acceptable.load(Ordering::Relaxed), 1);
    stop.cancel();
}

/// SIPp's built-in caller (INVITE with a PCMU offer, ACK, a pause, BYE):
/// from the PBX's address the call completes; from any other, 403.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trunk_call_completes_and_a_stranger_gets_403() {
    let (addr, counts, stop, greeter) = trunk_with(Arc::new(Greeter::default())).await;
    let sipp = |from: &'static str| {
        let target = addr.to_string();
        let port = free_port().to_string();
        tokio::task::spawn_blocking(move || {
            Command::new("sipp")
                .args(["-sn", "uac", &target, "-m", "1", "-i", from, "-p", &port])
                .args(["-timeout", "15", "-nostdin", "-d", "200", "-s", "sipp"])
                .output()
                .expect("sipp (Debian sip-tester) runs")
        })
    };
    let ok = sipp("127.0.0.1").await.expect("join");
    assert!(
        ok.status.success(),
        "the call failed: {}",
        String::from_utf8_lossy(&ok.stdout)
    );
    assert_eq!(counts.answered.load(Ordering::Relaxed), 1);
    let stranger = sipp("127.0.0.2").await.expect("join");
    assert!(!stranger.status.success(), "a stranger's call must fail");
    assert!(counts.refused.load(Ordering::Relaxed) >= 1);
    assert_eq!(
        counts.answered.load(Ordering::Relaxed),
        1,
        "nothing answered for the stranger"
    );
    // The call was handed over with who called, and SIPp's BYE ended it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen = greeter.seen.lock().expect("lock").clone();
    assert_eq!(seen, vec![(Some("sipp".to_string()), true)]);
    stop.cancel();
}

/// Two calls at once: each its own RTP port, each greeted on it.
#[tokio::test]
async fn each_call_gets_its_own_rtp_port() {
    let (addr, _, stop) = trunk().await;
    let mut ports = Vec::new();
    for n in 0..2 {
        let phone = tokio::net::UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("phone");
        let rtp = phone.local_addr().expect("addr");
        let sdp = format!(
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {} RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n",
            rtp.port()
        );
        let sock = tokio::net::UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("socket");
        let from = sock.local_addr().expect("addr").to_string();
        let invite = request(
            "INVITE",
            addr,
            &format!("two{n}"),
            &sdp,
            "Content-Type: application/sdp\r\n",
        )
        .replace("{from}", &from);
        sock.send_to(invite.as_bytes(), addr).await.expect("send");
        let mut buf = vec![0u8; 4096];
        let answer = loop {
            let (k, _) = tokio::time::timeout(Duration::from_secs(5), sock.recv_from(&mut buf))
                .await
                .expect("answer")
                .expect("recv");
            let text = String::from_utf8_lossy(&buf[..k]).to_string();
            if text.starts_with("SIP/2.0 200") {
                break text;
            }
        };
        let port: u16 = answer
            .lines()
            .find_map(|l| l.strip_prefix("m=audio "))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|p| p.parse().ok())
            .expect("the answer's RTP port");
        // The greeting arrives from that port, in A-law as offered.
        let (k, rtp_from) = tokio::time::timeout(Duration::from_secs(5), phone.recv_from(&mut buf))
            .await
            .expect("the greeting")
            .expect("recv");
        assert_eq!(rtp_from.port(), port);
        assert_eq!(k, 12 + 160);
        assert_eq!(buf[1] & 0x7f, 8, "PCMA");
        ports.push(port);
    }
    assert_ne!(ports[0], ports[1]);
    stop.cancel();
}

/// Waits for one key sent as SIP INFO and notes it.
#[derive(Default)]
struct InfoKeys {
    keys: Mutex<String>,
}

#[async_trait::async_trait]
impl Calls for InfoKeys {
    async fn call(&self, mut call: Call) {
        if let Ok(Some(k)) =
            tokio::time::timeout(Duration::from_secs(10), call.info_keys.recv()).await
        {
            self.keys.lock().expect("lock").push(k);
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), call.hangup.cancelled()).await;
    }
}

/// SIPp puts the call on hold (a re-INVITE with `sendonly`, answered
/// `recvonly` on the same dialog, not taken for a new call), sends a key as
/// SIP INFO, and hangs up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_is_answered_in_the_dialog_and_info_keys_reach_the_call() {
    let bind: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    let t = Trunk::bind(TrunkSettings {
        bind,
        allowed: vec!["127.0.0.1".parse().expect("ip")],
        media_ip: "127.0.0.1".parse().expect("ip"),
    })
    .await
    .expect("bind");
    let (counts, stop) = (t.counts(), t.stopper());
    let calls = Arc::new(InfoKeys::default());
    tokio::spawn(t.serve(calls.clone()));
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sipp/hold_and_info.xml");
    let port = free_port().to_string();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("sipp")
            .args([
                "-sf",
                scenario,
                &bind.to_string(),
                "-m",
                "1",
                "-i",
                "127.0.0.1",
            ])
            .args(["-p", &port, "-timeout", "20", "-nostdin"])
            .output()
            .expect("sipp (Debian sip-tester) runs")
    })
    .await
    .expect("join");
    assert!(
        out.status.success(),
        "the scenario failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        counts.answered.load(Ordering::Relaxed),
        1,
        "one call, not two"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(calls.keys.lock().expect("lock").as_str(), "5");
    stop.cancel();
}

#[test]
fn info_bodies_give_their_key() {
    use akutlinje_telephony::sip::trunk::info_key;
    assert_eq!(info_key("Signal=5\r\nDuration=160\r\n"), Some('5'));
    assert_eq!(info_key("Signal= #\r\n"), Some('#'));
    assert_eq!(info_key("Signal=11\r\n"), Some('#'));
    assert_eq!(info_key("*"), Some('*'));
    assert_eq!(info_key("Signal=X\r\n"), None);
    assert_eq!(info_key(""), None);
    assert_eq!(info_key("Signal=123"), None);
}
