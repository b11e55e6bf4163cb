//! baresip (Debian `baresip-core`) as a real SIP phone: headless, its
//! microphone a WAV file (switched during the call with `ausrc`), what it
//! hears recorded by the `sndfile` module, driven over `ctrl_tcp` with
//! netstring JSON commands.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Phone {
    child: Child,
    ctrl: TcpStream,
    events: Vec<serde_json::Value>,
    buf: Vec<u8>,
    pub dir: tempfile::TempDir,
    pub port: u16,
}

/// A free port with the one after it free too (baresip binds TLS on +1).
pub fn free_port_pair() -> u16 {
    loop {
        let a = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp");
        let p = a.local_addr().expect("addr").port();
        if p < 65000
            && std::net::TcpListener::bind(("127.0.0.1", p)).is_ok()
            && std::net::TcpListener::bind(("127.0.0.1", p + 1)).is_ok()
        {
            return p;
        }
    }
}

fn free_tcp() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("tcp")
        .local_addr()
        .expect("addr")
        .port()
}

/// Silence as a WAV file (a phone that says nothing).
pub fn silence(dir: &Path, seconds: u32) -> PathBuf {
    let p = dir.join(format!("silence{seconds}.wav"));
    sox(
        &["-n", "-r", "8000", "-c", "1", "-b", "16"],
        &p,
        &["trim", "0", &seconds.to_string()],
    );
    p
}

/// A sine tone, then silence, as a WAV file.
pub fn tone(dir: &Path, hz: u32, seconds: f32) -> PathBuf {
    let p = dir.join(format!("tone{hz}.wav"));
    sox(
        &["-n", "-r", "8000", "-c", "1", "-b", "16"],
        &p,
        &[
            "synth",
            &seconds.to_string(),
            "sine",
            &hz.to_string(),
            "vol",
            "0.4",
            "pad",
            "0",
            "60",
        ],
    );
    p
}

/// English speech from espeak-ng at 8 kHz, padded with silence.
pub fn speech(dir: &Path, text: &str) -> PathBuf {
    let raw = dir.join("speech-raw.wav");
    let out = Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "150", "-w"])
        .arg(&raw)
        .arg(text)
        .output()
        .expect("espeak-ng");
    assert!(out.status.success(), "espeak-ng failed");
    let p = dir.join("speech.wav");
    sox(
        &[
            raw.to_str().expect("path"),
            "-r",
            "8000",
            "-c",
            "1",
            "-b",
            "16",
        ],
        &p,
        &["pad", "0.5", "12"],
    );
    p
}

fn sox(before: &[&str], out: &Path, after: &[&str]) {
    let o = Command::new("sox")
        .args(before)
        .arg(out)
        .args(after)
        .output()
        .expect("sox");
    assert!(
        o.status.success(),
        "sox: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

impl Phone {
    /// A phone as `user@127.0.0.1`, its microphone `mic`; `auto_answer`
    /// answers incoming calls at once.
    pub fn start(user: &str, mic: &Path, auto_answer: bool) -> Phone {
        Phone::start_for(&[user], mic, auto_answer)
    }

    /// One phone answering for several users (the first is who it calls as).
    pub fn start_for(users: &[&str], mic: &Path, auto_answer: bool) -> Phone {
        let dir = tempfile::tempdir().expect("dir");
        let port = free_port_pair();
        let ctrl = free_tcp();
        let rec = dir.path().join("rec");
        std::fs::create_dir_all(&rec).expect("rec dir");
        let config = format!(
            "poll_method epoll\nsip_listen 127.0.0.1:{port}\nsip_transports udp\nnet_interface 127.0.0.1\n\
             audio_player aubridge,nil\naudio_source aufile,{mic}\naudio_alert aubridge,nil\n\
             module_path /usr/lib/baresip/modules\nmodule g711.so\nmodule aufile.so\nmodule aubridge.so\n\
             module_app account.so\nmodule_app menu.so\nmodule ctrl_tcp.so\nmodule sndfile.so\n\
             snd_path {rec}\nctrl_tcp_listen 127.0.0.1:{ctrl}\n",
            mic = mic.display(),
            rec = rec.display(),
        );
        std::fs::write(dir.path().join("config"), config).expect("config");
        let answer = if auto_answer { ";answermode=auto" } else { "" };
        let accounts: String = users
            .iter()
            .map(|user| format!("<sip:{user}@127.0.0.1:{port}>;regint=0{answer}\n"))
            .collect();
        std::fs::write(dir.path().join("accounts"), accounts).expect("accounts");
        let child = Command::new("baresip")
            .arg("-f")
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("baresip (Debian baresip-core; scripts/test.sh installs it)");
        let deadline = Instant::now() + Duration::from_secs(10);
        let ctrl = loop {
            match TcpStream::connect(("127.0.0.1", ctrl)) {
                Ok(s) => break s,
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                Err(e) => panic!("baresip's control port: {e}"),
            }
        };
        ctrl.set_read_timeout(Some(Duration::from_millis(100)))
            .expect("timeout");
        Phone {
            child,
            ctrl,
            events: Vec::new(),
            buf: Vec::new(),
            dir,
            port,
        }
    }

    fn command(&mut self, command: &str, params: &str) {
        let body =
            serde_json::json!({"command": command, "params": params, "token": command}).to_string();
        let msg = format!("{}:{body},", body.len());
        self.ctrl.write_all(msg.as_bytes()).expect("ctrl write");
    }

    pub fn dial(&mut self, uri: &str) {
        self.command("dial", uri);
    }

    pub fn hangup(&mut self) {
        self.command("hangup", "");
    }

    /// Switches the microphone to another file.
    pub fn microphone(&mut self, wav: &Path) {
        self.command("ausrc", &format!("aufile,{}", wav.display()));
    }

    /// Presses keys, one RFC 4733 event each, with a gap.
    pub fn keys(&mut self, keys: &str) {
        for k in keys.chars() {
            self.command("sndcode", &k.to_string());
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Reads what baresip has reported so far.
    pub fn poll(&mut self) {
        let mut chunk = [0u8; 8192];
        loop {
            match self.ctrl.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(_) => break,
            }
        }
        // Netstrings: <len>:<json>,
        while let Some(colon) = self.buf.iter().position(|b| *b == b':') {
            let Ok(len) = std::str::from_utf8(&self.buf[..colon])
                .unwrap_or("")
                .parse::<usize>()
            else {
                self.buf.clear();
                break;
            };
            if self.buf.len() < colon + 1 + len + 1 {
                break;
            }
            let json = &self.buf[colon + 1..colon + 1 + len];
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(json) {
                self.events.push(v);
            }
            self.buf.drain(..colon + 1 + len + 1);
        }
    }

    /// Whether an event of `kind` has been reported.
    pub fn saw(&mut self, kind: &str) -> bool {
        self.poll();
        self.events.iter().any(|e| e["type"] == kind)
    }

    /// Makes the account of the newest established call the current one, so
    /// keys go to that call (a phone answering for several users).
    pub fn focus_newest_call(&mut self) {
        self.poll();
        let aor = self
            .events
            .iter()
            .rev()
            .find(|e| e["type"] == "CALL_ESTABLISHED")
            .and_then(|e| e["accountaor"].as_str())
            .map(str::to_string);
        if let Some(aor) = aor {
            self.command("uafind", &aor);
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// How many events of `kind` have been reported.
    pub fn count(&mut self, kind: &str) -> usize {
        self.poll();
        self.events.iter().filter(|e| e["type"] == kind).count()
    }

    /// Waits up to `wait` for an event of `kind`.
    pub async fn wait_for(&mut self, kind: &str, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            if self.saw(kind) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// What the phone heard (the decoded side of its sndfile recording),
    /// 8 kHz samples; the newest call's.
    pub fn heard(&self) -> Vec<i16> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path().join("rec"))
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|p| p.to_string_lossy().ends_with("-dec.wav"));
        files.sort();
        let Some(f) = files.last() else {
            return Vec::new();
        };
        hound::WavReader::open(f)
            .map(|r| r.into_samples::<i16>().flatten().collect())
            .unwrap_or_default()
    }
}

impl Drop for Phone {
    fn drop(&mut self) {
        self.command("quit", "");
        std::thread::sleep(Duration::from_millis(100));
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The power of `hz` in `samples` (8 kHz) by the Goertzel algorithm,
/// relative to the frame's energy: near 1 for a pure tone.
pub fn tone_share(samples: &[i16], hz: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let n = samples.len() as f64;
    let k = (n * hz / 8000.0).round();
    let w = 2.0 * std::f64::consts::PI * k / n;
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for x in samples {
        let s = f64::from(*x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    let energy: f64 = samples.iter().map(|x| f64::from(*x).powi(2)).sum();
    if energy == 0.0 {
        0.0
    } else {
        2.0 * power / (n * energy)
    }
}

/// The first moment (seconds from the start of `samples`) where half a
/// second of 100 ms windows in a row is mostly `hz` (a beep or a vowel in a
/// prompt is shorter).
pub fn tone_at(samples: &[i16], hz: f64) -> Option<f64> {
    let windows: Vec<bool> = samples
        .chunks(800)
        .map(|w| w.len() == 800 && tone_share(w, hz) > 0.6)
        .collect();
    windows
        .windows(5)
        .position(|run| run.iter().all(|t| *t))
        .map(|i| i as f64 * 0.1)
}
