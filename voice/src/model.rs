//! The Whisper model: loaded once, shared by every worker.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

/// What went wrong with the model or a transcription.
#[derive(Debug, thiserror::Error)]
pub enum VoiceError {
    #[error("no Whisper model at {0} (run scripts/fetch-model, or set voice.model)")]
    ModelMissing(PathBuf),
    #[error("{path} is not a ggml Whisper model: {detail}")]
    ModelInvalid { path: PathBuf, detail: String },
    #[error("unknown language code {0:?} (Whisper takes ISO 639-1 codes such as da, en)")]
    UnknownLanguage(String),
    #[error("speech recognition failed: {0}")]
    Whisper(String),
}

/// How to run the model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSettings {
    /// A ggml file (whisper.cpp's format).
    pub path: PathBuf,
    /// The language to expect (ISO 639-1). Detection is not used: it guesses
    /// wrong on short, noisy notes, and the hotline knows its language.
    pub language: String,
    /// Threads per transcription.
    pub threads: usize,
    /// Flash attention in whisper.cpp's encoder and decoder.
    pub flash_attn: bool,
    /// Encode only as much of Whisper's 30-second window as a short clip
    /// fills (`audio_ctx`), instead of padding every note to 30 seconds.
    pub fit_short_clips: bool,
}

impl ModelSettings {
    /// Danish, two threads, flash attention, short clips fitted.
    pub fn new(path: impl Into<PathBuf>) -> ModelSettings {
        ModelSettings {
            path: path.into(),
            language: "da".into(),
            threads: 2,
            flash_attn: true,
            fit_short_clips: true,
        }
    }
}

/// The words of one recording. `Debug` leaves the words out: they are
/// patient data and must not reach a log by accident.
#[derive(Clone, PartialEq)]
pub struct Transcript {
    pub text: String,
    pub language: String,
    /// The model file's name.
    pub model: String,
    pub audio: Duration,
    pub processing: Duration,
}

impl std::fmt::Debug for Transcript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transcript")
            .field("chars", &self.text.chars().count())
            .field("language", &self.language)
            .field("model", &self.model)
            .field("audio", &self.audio)
            .field("processing", &self.processing)
            .finish()
    }
}

/// A loaded model. `Send + Sync`: each transcription has its own state.
pub struct Transcriber {
    ctx: WhisperContext,
    settings: ModelSettings,
    name: String,
}

impl std::fmt::Debug for Transcriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transcriber")
            .field("model", &self.name)
            .field("language", &self.settings.language)
            .finish_non_exhaustive()
    }
}

/// Whisper's window: 30 seconds in 1500 encoder frames.
const FRAMES_PER_SECOND: f64 = 50.0;
const FULL_WINDOW_FRAMES: i32 = 1500;

/// Checks that `language` is one Whisper knows.
pub fn check_language(language: &str) -> Result<(), VoiceError> {
    match whisper_rs::get_lang_id(language) {
        Some(_) => Ok(()),
        None => Err(VoiceError::UnknownLanguage(language.to_string())),
    }
}

fn check_model_file(path: &Path) -> Result<(), VoiceError> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|_| VoiceError::ModelMissing(path.into()))?;
    let mut magic = [0u8; 4];
    f.read_exact(&mut magic)
        .map_err(|e| VoiceError::ModelInvalid {
            path: path.into(),
            detail: e.to_string(),
        })?;
    // ggml's magic, little-endian "lmgg".
    if u32::from_le_bytes(magic) != 0x6767_6d6c {
        return Err(VoiceError::ModelInvalid {
            path: path.into(),
            detail: "wrong magic number (a CTranslate2 or PyTorch file? convert it with scripts/fetch-model)".into(),
        });
    }
    Ok(())
}

impl Transcriber {
    /// Loads the model (a second or two for *base*; do it once).
    pub fn load(settings: ModelSettings) -> Result<Transcriber, VoiceError> {
        check_language(&settings.language)?;
        check_model_file(&settings.path)?;
        // whisper.cpp's own log lines go to tracing (they hold no patient data).
        whisper_rs::install_logging_hooks();
        let mut params = WhisperContextParameters::default();
        params.use_gpu(false).flash_attn(settings.flash_attn);
        let ctx = WhisperContext::new_with_params(&settings.path, params).map_err(|e| {
            VoiceError::ModelInvalid {
                path: settings.path.clone(),
                detail: e.to_string(),
            }
        })?;
        let name = settings
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "whisper".into());
        Ok(Transcriber {
            ctx,
            settings,
            name,
        })
    }

    /// The model file's name.
    pub fn model_name(&self) -> &str {
        &self.name
    }

    /// The configured language.
    pub fn language(&self) -> &str {
        &self.settings.language
    }

    /// Transcribes 16 kHz mono samples. Blocking and CPU-bound: call it from
    /// a blocking thread. `language` overrides the configured one.
    pub fn transcribe(
        &self,
        samples: &[f32],
        language: Option<&str>,
    ) -> Result<Transcript, VoiceError> {
        let language = language.unwrap_or(&self.settings.language);
        check_language(language)?;
        let started = Instant::now();
        let audio = Duration::from_secs_f64(samples.len() as f64 / 16_000.0);
        let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
        params.set_language(Some(language));
        params.set_n_threads(self.settings.threads.clamp(1, 64) as i32);
        params.set_translate(false);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_special(false);
        params.set_print_timestamps(false);
        // Never re-decode at higher temperatures: on audio the model cannot
        // follow, the fallback loops for minutes and would block the queue.
        // Greedy decoding without it is bounded by the text context.
        params.set_temperature(0.0);
        params.set_temperature_inc(0.0);
        params.set_no_context(true);
        if self.settings.fit_short_clips && audio < Duration::from_secs(29) {
            params.set_audio_ctx(audio_ctx_for(audio));
        }
        let mut state = self
            .ctx
            .create_state()
            .map_err(|e| VoiceError::Whisper(e.to_string()))?;
        state
            .full(params, samples)
            .map_err(|e| VoiceError::Whisper(e.to_string()))?;
        let mut text = String::new();
        for segment in state.as_iter() {
            let part = segment
                .to_str_lossy()
                .map_err(|e| VoiceError::Whisper(e.to_string()))?;
            let part = part.trim();
            if is_non_speech_marker(part) {
                continue;
            }
            if !text.is_empty() && !part.is_empty() {
                text.push(' ');
            }
            text.push_str(part);
        }
        Ok(Transcript {
            text,
            language: language.to_string(),
            model: self.name.clone(),
            audio,
            processing: started.elapsed(),
        })
    }
}

/// The encoder frames a clip of `audio` needs, with a second of margin, and
/// at least half a window: the model was trained on full windows, and on
/// espeak-ng English a 7.7 s floor cost 22.6 % WER where 15 s gave 18.9 %.
pub fn audio_ctx_for(audio: Duration) -> i32 {
    let frames = ((audio.as_secs_f64() + 1.0) * FRAMES_PER_SECOND).ceil() as i32;
    // Whole multiples of 64 frames keep whisper.cpp's matrix shapes friendly.
    let frames = (frames + 63) / 64 * 64;
    frames.clamp(768, FULL_WINDOW_FRAMES)
}

/// Whisper writes these for silence and noise; they are not words.
fn is_non_speech_marker(s: &str) -> bool {
    let inner = s
        .trim_matches(|c: char| c == '[' || c == ']' || c == '(' || c == ')' || c == '*')
        .to_ascii_lowercase();
    s.len() < 40
        && (s.starts_with('[') || s.starts_with('(') || s.starts_with('*'))
        && matches!(
            inner.as_str(),
            "blank_audio" | "silence" | "music" | "noise" | "inaudible" | "musik" | "stilhed"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_clips_get_a_fitted_window_and_long_ones_the_whole() {
        assert_eq!(audio_ctx_for(Duration::from_secs(2)), 768);
        assert_eq!(audio_ctx_for(Duration::from_secs(20)), 1088);
        assert_eq!(audio_ctx_for(Duration::from_secs(40)), 1500);
    }

    #[test]
    fn markers_are_not_words() {
        assert!(is_non_speech_marker("[BLANK_AUDIO]"));
        assert!(is_non_speech_marker("(musik)"));
        assert!(!is_non_speech_marker("Hun har feber."));
    }

    #[test]
    fn a_missing_or_foreign_model_file_is_named_in_the_error() {
        let err = Transcriber::load(ModelSettings::new("/nonexistent/ggml.bin")).map(|_| ());
        assert!(matches!(err, Err(VoiceError::ModelMissing(_))));
        let dir = std::env::temp_dir().join(format!("akutlinje-voice-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let f = dir.join("model.bin");
        std::fs::write(&f, b"\x06\0\0\0WhisperSpec").expect("write");
        let err = Transcriber::load(ModelSettings::new(&f)).map(|_| ());
        assert!(
            matches!(err, Err(VoiceError::ModelInvalid { .. })),
            "{err:?}"
        );
        let mut s = ModelSettings::new(&f);
        s.language = "xx".into();
        assert!(matches!(
            Transcriber::load(s).map(|_| ()),
            Err(VoiceError::UnknownLanguage(_))
        ));
        let _ = std::fs::remove_dir_all(dir);
    }
}
