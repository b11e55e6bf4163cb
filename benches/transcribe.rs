//! Speech recognition speed, memory and accuracy: whisper-rs (our engine)
//! against faster-whisper on the same converted base weights, same threads,
//! greedy decoding, in one run, on the same files.
//!
//! `cargo bench --bench transcribe` — needs scripts/fetch-model's model,
//! espeak-ng and sox, and builds faster-whisper's venv on first use.
//! Each engine runs in its own process, so its peak memory is its own.
//! Prints a Markdown table (also written to $CARGO_TARGET_DIR/bench-transcribe.md).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use akutlinje_voice::{wer, ModelSettings, Transcriber};

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
    let (model, fit, files) = (&args[0], args[1] == "fit", &args[2..]);
    let mut s = ModelSettings::new(model);
    s.language = "en".into();
    s.threads = THREADS;
    s.fit_short_clips = fit;
    let t = Transcriber::load(s).expect("model");
    let mut results = Vec::new();
    for f in files {
        let data = std::fs::read(f).expect("file");
        let clip =
            akutlinje_audio::decode(&data, "audio/wav", &Default::default()).expect("decode");
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

struct Row {
    engine: String,
    set: &'static str,
    audio: f64,
    seconds: f64,
    peak_mb: f64,
    wer: f64,
}

fn measure(engine: &str, mut cmd: Command, set: &Set) -> Row {
    let out = run(cmd.args(&set.files));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON from the engine");
    let results = v["results"].as_array().expect("results");
    let (mut audio, mut seconds, mut errors, mut words) = (0.0, 0.0, 0, 0);
    for (r, text) in results.iter().zip(&set.texts) {
        audio += r["audio"].as_f64().unwrap_or(0.0);
        seconds += r["seconds"].as_f64().unwrap_or(0.0);
        let (e, n) = wer::errors(text, r["text"].as_str().unwrap_or(""));
        errors += e;
        words += n;
    }
    Row {
        engine: engine.to_string(),
        set: set.name,
        audio,
        seconds,
        peak_mb: v["peak_kib"].as_f64().unwrap_or(0.0) / 1024.0,
        wer: errors as f64 / words.max(1) as f64,
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
    let models = std::env::var_os("AKUTLINJE_MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            akutlinje::config::default_model_path()
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default()
        });
    let ct2 = models.join("ct2-base");
    assert!(
        ct2.join("model.bin").exists(),
        "run scripts/fetch-model first ({} is missing)",
        ct2.display()
    );
    let python =
        String::from_utf8(run(Command::new("bash").arg("scripts/faster-whisper-venv.sh")).stdout)
            .expect("path")
            .trim()
            .to_string();

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
    let mut rows = Vec::new();
    for set in [&short, &long] {
        // Warm the page cache for every engine alike.
        for engine in [
            "faster-whisper int8",
            "whisper-rs q8_0",
            "whisper-rs q8_0, 30 s window",
            "whisper-rs f16",
        ] {
            let cmd = match engine {
                "faster-whisper int8" => {
                    let mut c = Command::new(&python);
                    c.arg("benches/fw_engine.py")
                        .arg(&ct2)
                        .arg(THREADS.to_string())
                        .arg("en");
                    c
                }
                _ => {
                    let model = if engine.contains("f16") {
                        "ggml-base.bin"
                    } else {
                        "ggml-base-q8_0.bin"
                    };
                    let mut c = Command::new(&me);
                    c.arg("--whisper-rs")
                        .arg(models.join(model))
                        .arg(if engine.contains("30 s") {
                            "full"
                        } else {
                            "fit"
                        });
                    c
                }
            };
            let row = measure(engine, cmd, set);
            eprintln!(
                "{} / {}: {:.2} s for {:.1} s of audio",
                row.engine, row.set, row.seconds, row.audio
            );
            rows.push(row);
        }
    }
    let mut table = String::from(
        "| files | engine | audio | time | real-time factor | vs faster-whisper | peak memory | WER |\n|---|---|---|---|---|---|---|---|\n",
    );
    for set in [short.name, long.name] {
        let anchor = rows
            .iter()
            .find(|r| r.set == set && r.engine.starts_with("faster"))
            .map_or(1.0, |r| r.seconds);
        for r in rows.iter().filter(|r| r.set == set) {
            table.push_str(&format!(
                "| {} | {} | {:.1} s | {:.2} s | {:.3} | {:.2}× | {:.0} MB | {:.1} % |\n",
                r.set,
                r.engine,
                r.audio,
                r.seconds,
                r.seconds / r.audio,
                r.seconds / anchor,
                r.peak_mb,
                r.wer * 100.0
            ));
        }
    }
    println!("\n{THREADS} threads, greedy, base model (scripts/fetch-model), espeak-ng English, 16 kHz WAV:\n\n{table}");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    let _ = std::fs::write(target.join("bench-transcribe.md"), table);
}
