//! Speech recognition speed, memory and accuracy: whisper-rs (our engine)
//! against faster-whisper on the same converted base weights, same threads,
//! greedy decoding, in one run, on the same files.
//!
//! `cargo bench -p akutlinje-voice --bench transcribe` — needs
//! scripts/fetch-model's models, espeak-ng and sox, and builds faster-whisper's
//! venv on first use (scripts/faster-whisper-venv.sh).
//!
//! Each engine runs in its own process, so its peak memory is its own, and
//! transcribes one file untimed first (both engines set up lazily). The
//! engines take turns, round after round (`AKUTLINJE_BENCH_ROUNDS`, default
//! 3), and each row reports the median round: a shared virtual machine's
//! noise then falls on every engine alike instead of on whichever ran during
//! it. Prints a Markdown table, also written to
//! `$CARGO_TARGET_DIR/bench-transcribe.md`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use akutlinje_voice::{default_model_dir, wer, ModelSettings, Transcriber};

const THREADS: usize = 2;

const SENTENCES: &[&str] = &[
    "The patient has a fever and is breathing fast.",
    "Please call the doctor on duty as soon as possible.",
    "Her blood pressure is low and her pulse is high.",
    "He fell out of bed during the night and hurt his hip.",
    "She is more confused than usual and does not want to drink.",
    "The resident has had chest pain for about twenty minutes.",
    "We gave her paracetamol an hour ago but the temperature is still rising.",
    "His oxygen saturation is ninety one percent on room air.",
];

struct Set {
    name: &'static str,
    files: Vec<PathBuf>,
    texts: Vec<String>,
}

/// One engine as the table names it, and how to start it.
struct Engine {
    name: &'static str,
    /// `None` for faster-whisper; the ggml file for whisper-rs.
    model: Option<&'static str>,
    fit: bool,
    flash_attn: bool,
}

const ENGINES: &[Engine] = &[
    Engine {
        name: "faster-whisper int8",
        model: None,
        fit: false,
        flash_attn: false,
    },
    Engine {
        name: "whisper-rs f16 (default)",
        model: Some("ggml-base.bin"),
        fit: true,
        flash_attn: false,
    },
    Engine {
        name: "whisper-rs q8_0",
        model: Some("ggml-base-q8_0.bin"),
        fit: true,
        flash_attn: false,
    },
    Engine {
        name: "whisper-rs q4_0",
        model: Some("ggml-base-q4_0.bin"),
        fit: true,
        flash_attn: false,
    },
    Engine {
        name: "whisper-rs f16, flash attention",
        model: Some("ggml-base.bin"),
        fit: true,
        flash_attn: true,
    },
    Engine {
        name: "whisper-rs f16, 30 s windows, not cut",
        model: Some("ggml-base.bin"),
        fit: false,
        flash_attn: false,
    },
];

fn run(cmd: &mut Command) -> std::process::Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn speak(dir: &Path, name: &str, text: &str) -> PathBuf {
    let raw = dir.join(format!("{name}-22k.wav"));
    run(Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "150", "-w"])
        .arg(&raw)
        .arg(text));
    // 16 kHz mono WAV: neither engine spends time on decoding or resampling.
    let wav = dir.join(format!("{name}.wav"));
    run(Command::new("sox")
        .arg(&raw)
        .args(["-r", "16000", "-c", "1", "-b", "16"])
        .arg(&wav));
    wav
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// The child process: whisper-rs on `files`, JSON on stdout.
fn whisper_rs_child(args: &[String]) {
    let [model, fit, flash, files @ ..] = args else {
        panic!("usage: --whisper-rs MODEL fit|full flash|plain FILE...");
    };
    let mut s = ModelSettings::new(model);
    s.language = "en".into();
    s.threads = THREADS;
    s.fit_short_clips = fit == "fit";
    s.flash_attn = flash == "flash";
    let t = Transcriber::load(s).expect("model");
    let clips: Vec<_> = files
        .iter()
        .map(|f| {
            let data = std::fs::read(f).expect("file");
            akutlinje_audio::decode(&data, "audio/wav", &Default::default()).expect("decode")
        })
        .collect();
    if let Some(first) = clips.first() {
        t.transcribe(&first.samples, None).expect("warm-up");
    }
    let mut results = Vec::new();
    for (f, clip) in files.iter().zip(&clips) {
        let start = Instant::now();
        let out = t.transcribe(&clip.samples, None).expect("transcribe");
        results.push(serde_json::json!({
            "file": f, "text": out.text, "seconds": start.elapsed().as_secs_f64(),
            "audio": clip.duration().as_secs_f64(),
        }));
    }
    println!(
        "{}",
        serde_json::json!({"results": results, "peak_kib": peak_rss_kib()})
    );
}

/// One engine's pass over one set.
struct Pass {
    audio: f64,
    seconds: f64,
    peak_mb: f64,
    wer: f64,
}

fn measure(mut cmd: Command, set: &Set) -> Pass {
    let out = run(cmd.args(&set.files));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON from the engine");
    let results = v["results"].as_array().expect("results");
    assert_eq!(results.len(), set.files.len(), "one result per file");
    let (mut audio, mut seconds, mut errors, mut words) = (0.0, 0.0, 0, 0);
    for (r, text) in results.iter().zip(&set.texts) {
        audio += r["audio"].as_f64().unwrap_or(0.0);
        seconds += r["seconds"].as_f64().unwrap_or(0.0);
        let (e, n) = wer::errors(text, r["text"].as_str().unwrap_or(""));
        errors += e;
        words += n;
    }
    Pass {
        audio,
        seconds,
        peak_mb: v["peak_kib"].as_f64().unwrap_or(0.0) / 1024.0,
        wer: errors as f64 / words.max(1) as f64,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.first().map(String::as_str) == Some("--whisper-rs") {
        whisper_rs_child(&args[1..]);
        return;
    }
    let rounds: usize = std::env::var("AKUTLINJE_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3)
        .max(1);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let models = default_model_dir();
    let ct2 = models.join("ct2-base");
    assert!(
        ct2.join("model.bin").exists(),
        "run scripts/fetch-model first ({} is missing)",
        ct2.display()
    );
    let python = String::from_utf8(
        run(Command::new("bash").arg(root.join("scripts/faster-whisper-venv.sh"))).stdout,
    )
    .expect("path")
    .trim()
    .to_string();
    let engines: Vec<&Engine> = ENGINES
        .iter()
        .filter(|e| {
            let there = e.model.is_none_or(|m| models.join(m).exists());
            if !there {
                eprintln!("skipping {}: no {}", e.name, e.model.unwrap_or_default());
            }
            there
        })
        .collect();

    let dir = tempfile::tempdir().expect("dir");
    let short = Set {
        name: "8 short notes",
        files: SENTENCES
            .iter()
            .enumerate()
            .map(|(i, s)| speak(dir.path(), &format!("s{i}"), s))
            .collect(),
        texts: SENTENCES.iter().map(|s| s.to_string()).collect(),
    };
    let long_text = format!("{} {}", SENTENCES.join(" "), SENTENCES[..5].join(" "));
    let long = Set {
        name: "1 long note",
        files: vec![speak(dir.path(), "long", &long_text)],
        texts: vec![long_text],
    };
    let me = std::env::current_exe().expect("own path");
    let sets = [&short, &long];
    // passes[set][engine] = one Pass per round
    let mut passes: Vec<Vec<Vec<Pass>>> = sets
        .iter()
        .map(|_| engines.iter().map(|_| Vec::new()).collect())
        .collect();
    for round in 0..rounds {
        for (si, set) in sets.iter().enumerate() {
            // Rotate who goes first, so no engine always follows the same one.
            for k in 0..engines.len() {
                let ei = (k + round) % engines.len();
                let e = engines[ei];
                let cmd = match e.model {
                    None => {
                        let mut c = Command::new(&python);
                        c.arg(root.join("voice/benches/fw_engine.py"))
                            .arg(&ct2)
                            .arg(THREADS.to_string())
                            .arg("en");
                        c
                    }
                    Some(model) => {
                        let mut c = Command::new(&me);
                        c.arg("--whisper-rs")
                            .arg(models.join(model))
                            .arg(if e.fit { "fit" } else { "full" })
                            .arg(if e.flash_attn { "flash" } else { "plain" });
                        c
                    }
                };
                let pass = measure(cmd, set);
                eprintln!(
                    "round {}/{rounds} · {} / {}: {:.2} s for {:.1} s of audio, WER {:.1} %",
                    round + 1,
                    e.name,
                    set.name,
                    pass.seconds,
                    pass.audio,
                    pass.wer * 100.0
                );
                passes[si][ei].push(pass);
            }
        }
    }
    let mut table = String::from(
        "| files | engine | audio | time (median) | real-time factor | vs faster-whisper | peak memory | WER |\n|---|---|---|---|---|---|---|---|\n",
    );
    for (si, set) in sets.iter().enumerate() {
        let time = |ei: usize| median(passes[si][ei].iter().map(|p| p.seconds).collect());
        let anchor = engines
            .iter()
            .position(|e| e.model.is_none())
            .map_or(1.0, time);
        for (ei, e) in engines.iter().enumerate() {
            let ps = &passes[si][ei];
            let seconds = time(ei);
            let audio = ps.first().map_or(0.0, |p| p.audio);
            let peak = ps.iter().map(|p| p.peak_mb).fold(0.0, f64::max);
            let wer = median(ps.iter().map(|p| p.wer).collect());
            table.push_str(&format!(
                "| {} | {} | {:.1} s | {:.2} s | {:.3} | {:.2}× | {:.0} MB | {:.1} % |\n",
                set.name,
                e.name,
                audio,
                seconds,
                seconds / audio,
                seconds / anchor,
                peak,
                wer * 100.0
            ));
        }
    }
    println!(
        "\n{THREADS} threads, greedy, base model (scripts/fetch-model), espeak-ng English, \
         16 kHz WAV, median of {rounds} rounds:\n\n{table}"
    );
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let _ = std::fs::write(target.join("bench-transcribe.md"), table);
}
