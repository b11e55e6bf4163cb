//! The Whisper model: loaded once, shared by every worker.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use whisper_rs::{
    FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState,
};

/// What went wrong with the model or a transcription.
#[derive(Debug, thiserror::Error)]
pub enum VoiceError {
    /// No file at the configured path.
    #[error("no Whisper model at {0} (run scripts/fetch-model, or set voice.model)")]
    ModelMissing(PathBuf),
    /// A file, but not a model whisper.cpp can load.
    #[error("{path} is not a ggml Whisper model: {detail}")]
    ModelInvalid {
        /// The file.
        path: PathBuf,
        /// whisper.cpp's words.
        detail: String,
    },
    /// A language Whisper does not know.
    #[error("unknown language code {0:?} (Whisper takes ISO 639-1 codes such as da, en)")]
    UnknownLanguage(String),
    /// whisper.cpp failed on this recording.
    #[error("speech recognition failed: {0}")]
    Whisper(String),
    /// The model could not be loaded now (its loading thread ended).
    #[error("the speech recognition model is not loaded")]
    NotLoaded,
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
    /// Flash attention in whisper.cpp's encoder and decoder. Off by default:
    /// on this CPU build it made the base model 1.4–1.9× slower
    /// (benches/transcribe.rs); a GPU build would want it on.
    pub flash_attn: bool,
    /// Encode only as much of Whisper's 30-second window as a clip fills
    /// (`audio_ctx`), instead of padding every note to 30 seconds; a
    /// recording longer than a window is cut in its pauses ([`pieces`]) so
    /// that each piece is fitted too.
    pub fit_short_clips: bool,
}

impl ModelSettings {
    /// Danish, two threads, no flash attention, fitted windows.
    pub fn new(path: impl Into<PathBuf>) -> ModelSettings {
        ModelSettings {
            path: path.into(),
            language: "da".into(),
            threads: 2,
            flash_attn: false,
            fit_short_clips: true,
        }
    }
}

/// Where `scripts/fetch-model` caches its models: `$AKUTLINJE_MODEL_DIR`,
/// else `$XDG_CACHE_HOME/akutlinje/models`, else `~/.cache/akutlinje/models`.
pub fn default_model_dir() -> PathBuf {
    std::env::var_os("AKUTLINJE_MODEL_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME").map(|c| PathBuf::from(c).join("akutlinje/models"))
        })
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/akutlinje/models"))
        })
        .unwrap_or_else(|| PathBuf::from("models"))
}

/// The words of one recording. `Debug` leaves the words out: they are
/// patient data and must not reach a log by accident.
#[derive(Clone, PartialEq)]
pub struct Transcript {
    /// The words.
    pub text: String,
    /// The language they were recognised in.
    pub language: String,
    /// The model file's name.
    pub model: String,
    /// How long the recording is.
    pub audio: Duration,
    /// How long recognition took.
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

/// A loaded model. `Send + Sync`: each transcription running has its own
/// state, kept for the next.
pub struct Transcriber {
    ctx: WhisperContext,
    settings: ModelSettings,
    name: String,
    /// Decoding states kept from one note to the next, one per note being
    /// transcribed at once. A state holds whisper.cpp's caches and compute
    /// buffers (tens of MB); making one per note and freeing it after
    /// fragmented the C heap: a 10-minute soak's RSS grew 22 MiB a minute.
    /// They go when the model goes.
    states: std::sync::Mutex<Vec<WhisperState>>,
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
            states: std::sync::Mutex::new(Vec::new()),
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
        let audio = duration_of(samples);
        let kept = self
            .states
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let mut state = match kept {
            Some(state) => state,
            None => self
                .ctx
                .create_state()
                .map_err(|e| VoiceError::Whisper(e.to_string()))?,
        };
        let pieces = if self.settings.fit_short_clips {
            pieces(samples)
        } else {
            vec![samples]
        };
        let mut text = String::new();
        for piece in pieces {
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
            if self.settings.fit_short_clips {
                params.set_audio_ctx(audio_ctx_for(duration_of(piece)));
            }
            state
                .full(params, piece)
                .map_err(|e| VoiceError::Whisper(e.to_string()))?;
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
        }
        // Kept only after a note went through: a state whose decoding
        // failed is not trusted with the next.
        self.states
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(state);
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

const SAMPLE_RATE: usize = 16_000;

fn duration_of(samples: &[f32]) -> Duration {
    Duration::from_secs_f64(samples.len() as f64 / SAMPLE_RATE as f64)
}

/// The longest piece a recording is transcribed in: under one window with
/// `audio_ctx_for`'s second of margin.
const MAX_PIECE: usize = 29 * SAMPLE_RATE;
/// Where in a piece the cut may fall: its last eight seconds.
const MIN_PIECE: usize = 21 * SAMPLE_RATE;
/// The stretch whose loudness decides the cut.
const PAUSE_PROBE: usize = SAMPLE_RATE / 10;

/// Cuts a recording longer than one window into pieces of at most 29 s, each
/// at the quietest tenth of a second in its last eight seconds — a breath
/// between words, in speech. whisper.cpp would otherwise encode every
/// 30-second window in full, the last one mostly padding, and decode the
/// words across each window's edge twice; a piece that ends in a pause is
/// transcribed once, its window fitted to it. A recording that fits one
/// window stays whole.
pub fn pieces(samples: &[f32]) -> Vec<&[f32]> {
    let mut out = Vec::new();
    let mut rest = samples;
    while rest.len() > MAX_PIECE {
        let energy =
            |start: usize| -> f32 { rest[start..start + PAUSE_PROBE].iter().map(|s| s * s).sum() };
        // Probes every 20 ms, a fifth of a probe apart, so no pause is
        // missed; from the end, so equally quiet places give longer pieces.
        let quietest = (MIN_PIECE..MAX_PIECE - PAUSE_PROBE + 1)
            .step_by(PAUSE_PROBE / 5)
            .rev()
            .min_by(|a, b| energy(*a).total_cmp(&energy(*b)))
            .unwrap_or(MAX_PIECE - PAUSE_PROBE);
        let cut = quietest + PAUSE_PROBE / 2;
        let (piece, tail) = rest.split_at(cut);
        out.push(piece);
        rest = tail;
    }
    if !rest.is_empty() || out.is_empty() {
        out.push(rest);
    }
    out
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
    fn a_long_recording_is_cut_in_its_pauses_and_nothing_is_lost() {
        // 70 s of "speech" (a tone) with one silent gap at 25.0–25.3 s and
        // one at 50.5–50.8 s.
        let mut audio: Vec<f32> = (0..70 * SAMPLE_RATE)
            .map(|i| (i as f32 * 0.05).sin() * 0.3)
            .collect();
        for gap in [25.0f64, 50.5] {
            let start = (gap * SAMPLE_RATE as f64) as usize;
            audio[start..start + 3 * SAMPLE_RATE / 10].fill(0.0);
        }
        let got = pieces(&audio);
        let lengths: Vec<f64> = got
            .iter()
            .map(|p| p.len() as f64 / SAMPLE_RATE as f64)
            .collect();
        assert_eq!(got.len(), 3, "{lengths:?}");
        assert!((25.0..25.3).contains(&lengths[0]), "{lengths:?}");
        assert!(
            (50.5..50.8).contains(&(lengths[0] + lengths[1])),
            "{lengths:?}"
        );
        assert!(got.iter().all(|p| p.len() <= MAX_PIECE));
        assert_eq!(got.iter().map(|p| p.len()).sum::<usize>(), audio.len());
        // The pieces are the recording, in order.
        assert_eq!(got.concat(), audio);
    }

    #[test]
    fn a_recording_without_pauses_is_still_cut_under_a_window() {
        let audio = vec![0.5f32; 95 * SAMPLE_RATE];
        let got = pieces(&audio);
        assert_eq!(got.len(), 4);
        assert!(got.iter().all(|p| p.len() <= MAX_PIECE && !p.is_empty()));
        assert_eq!(got.iter().map(|p| p.len()).sum::<usize>(), audio.len());
    }

    #[test]
    fn a_recording_that_fits_one_window_stays_whole() {
        for len in [0, 1, SAMPLE_RATE, MAX_PIECE] {
            let audio = vec![0.1f32; len];
            assert_eq!(pieces(&audio), vec![&audio[..]]);
        }
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
