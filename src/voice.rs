//! Speech recognition wiring: the queue worker in `serve`, and
//! `akutlinje transcribe` for files at hand.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use akutlinje_core::i18n::Localizer;
use akutlinje_core::store::Store;
use akutlinje_voice::{ModelSlot, Transcriber, Worker};
use anyhow::Context;

use crate::config::VoiceSettings;

/// Loads the model and works the transcription queue, in the background.
/// Without a model the service runs on: voice notes are kept and wait in
/// the queue until one is configured.
pub fn spawn_worker(
    settings: &VoiceSettings,
    store: Arc<dyn Store>,
    loc: Arc<Localizer>,
    worker_id: &str,
    wake: Arc<tokio::sync::Notify>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Option<tokio::task::JoinHandle<()>> {
    if !settings.model.exists() {
        tracing::warn!(
            model = %settings.model.display(),
            "speech recognition is off: no Whisper model there (run scripts/fetch-model, or set voice_model); voice notes are kept and wait in the queue"
        );
        return None;
    }
    let model_settings = settings.model_settings();
    let worker_settings = settings.worker_settings();
    let id = format!("{worker_id}-voice");
    // The model loads with the first voice note and is let go after the
    // idle time: a quiet service does not hold it in memory.
    let slot = Arc::new(ModelSlot::lazy(model_settings, settings.model_idle));
    // One instance at a time runs speech recognition (a lease in the shared
    // database): the model is loaded on one server, not on every one.
    let lease = akutlinje_scheduler::lease::Lease::new(store.clone(), "voice-worker", worker_id);
    Some(tokio::spawn(lease.play(
        shutdown,
        |_| {},
        move |mut lost| {
            let worker = Worker::with_slot(
                store.clone(),
                slot.clone(),
                loc.clone(),
                worker_settings.clone(),
                id.clone(),
            )
            .woken_by(wake.clone());
            async move {
                tokio::select! {
                    _ = worker.run() => {}
                    _ = lost.wait_for(|l| *l) => {}
                }
            }
        },
    )))
}

/// What `akutlinje transcribe` prints per file with `--json`.
#[derive(serde::Serialize)]
struct FileResult<'a> {
    file: String,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    language: &'a str,
    model: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    audio_seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    processing_seconds: Option<f64>,
}

/// Transcribes files and prints the transcripts (text, or JSON lines).
/// Returns how many failed.
pub async fn transcribe_files(
    settings: &VoiceSettings,
    files: Vec<PathBuf>,
    json: bool,
) -> anyhow::Result<usize> {
    let model_settings = settings.model_settings();
    let shown = settings.model.display().to_string();
    let bar = indicatif::ProgressBar::new(files.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar.set_message("loading the model");
    let model = tokio::task::spawn_blocking(move || Transcriber::load(model_settings))
        .await
        .context("loading the model")?
        .with_context(|| format!("cannot load the Whisper model {shown}"))?;
    let model = Arc::new(model);
    let limits = settings.worker_settings().limits;
    let mut failed = 0;
    let mut out = std::io::stdout().lock();
    for file in files {
        let name = file.display().to_string();
        bar.set_message(name.clone());
        let m = model.clone();
        let path = file.clone();
        let result = tokio::task::spawn_blocking(move || -> Result<_, (String, &'static str)> {
            let data = std::fs::read(&path)
                .map_err(|e| (format!("cannot read the file: {e}"), "unreadable"))?;
            let mime = mime_of(&path);
            let clip = akutlinje_audio::decode(&data, mime, &limits)
                .map_err(|e| (e.to_string(), e.code()))?;
            m.transcribe(&clip.samples, None)
                .map_err(|e| (e.to_string(), "model"))
        })
        .await
        .context("the transcription task")?;
        let line = match result {
            Ok(t) => {
                if json {
                    serde_json::to_string(&FileResult {
                        file: name,
                        ok: true,
                        text: Some(t.text),
                        error: None,
                        reason: None,
                        language: &t.language,
                        model: &t.model,
                        audio_seconds: Some(round3(t.audio.as_secs_f64())),
                        processing_seconds: Some(round3(t.processing.as_secs_f64())),
                    })?
                } else {
                    format!(
                        "{name} ({:.1} s of audio in {:.1} s):\n{}\n",
                        t.audio.as_secs_f64(),
                        t.processing.as_secs_f64(),
                        if t.text.is_empty() {
                            "(no speech heard)"
                        } else {
                            &t.text
                        }
                    )
                }
            }
            Err((error, reason)) => {
                failed += 1;
                if json {
                    serde_json::to_string(&FileResult {
                        file: name,
                        ok: false,
                        text: None,
                        error: Some(error),
                        reason: Some(reason),
                        language: model.language(),
                        model: model.model_name(),
                        audio_seconds: None,
                        processing_seconds: None,
                    })?
                } else {
                    format!("{name}: not transcribed: {error}\n")
                }
            }
        };
        bar.suspend(|| writeln!(out, "{line}"))?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(failed)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The MIME type a file's extension suggests; only headerless G.711 needs it.
fn mime_of(path: &std::path::Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("ul" | "ulaw" | "mulaw" | "pcmu" | "au") => "audio/basic",
        Some("al" | "alaw" | "pcma") => "audio/PCMA",
        Some("ogg" | "oga" | "opus") => "audio/ogg",
        Some("mp3") => "audio/mpeg",
        Some("wav") => "audio/wav",
        _ => "application/octet-stream",
    }
}
