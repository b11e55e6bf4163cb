//! What the SIP bridge says: 8 kHz mono audio for each message. A site may
//! record its own voice: `<recorded>/<lang>/<message-id>.wav` is used when
//! it exists (any WAV sox reads; converted once). Anything else — a message
//! without a recording, or one with arguments (a room number, a score) — is
//! rendered from the locale's text with espeak-ng and sox, once, and cached
//! under a hash of its language and words, so a restart renders nothing
//! again and a changed text is rendered anew.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use akutlinje_core::i18n::{Lang, Localizer, Msg};
use sha2::{Digest, Sha256};

/// The bridge's sample rate.
pub const RATE: u32 = 8000;

/// Why a prompt has no audio.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// espeak-ng or sox could not be run, or failed.
    #[error("{tool} failed: {detail}")]
    Tool {
        /// Which program.
        tool: &'static str,
        /// What it said, or why it could not start.
        detail: String,
    },
    /// A WAV file that cannot be read.
    #[error("{path}: {detail}")]
    Wav {
        /// The file.
        path: PathBuf,
        /// hound's words.
        detail: String,
    },
    /// The cache directory cannot be written.
    #[error("the prompt cache {0}: {1}")]
    Cache(PathBuf, std::io::Error),
}

/// The prompt set of a bridge.
#[derive(Debug, Clone)]
pub struct Prompts {
    loc: Arc<Localizer>,
    recorded: Option<PathBuf>,
    cache: PathBuf,
    espeak: PathBuf,
    sox: PathBuf,
}

impl Prompts {
    /// Prompts from `recorded` (if given), rendered into `cache` otherwise,
    /// with `espeak-ng` and `sox` from the PATH.
    pub fn new(loc: Arc<Localizer>, recorded: Option<PathBuf>, cache: PathBuf) -> Prompts {
        Prompts {
            loc,
            recorded,
            cache,
            espeak: "espeak-ng".into(),
            sox: "sox".into(),
        }
    }

    /// The same, with other programs for speech and conversion.
    pub fn with_tools(mut self, espeak: impl Into<PathBuf>, sox: impl Into<PathBuf>) -> Prompts {
        self.espeak = espeak.into();
        self.sox = sox.into();
        self
    }

    /// The audio of `msg` in `lang`, 8 kHz mono.
    pub fn audio(&self, lang: Lang, msg: &Msg) -> Result<Vec<i16>, PromptError> {
        std::fs::create_dir_all(&self.cache)
            .map_err(|e| PromptError::Cache(self.cache.clone(), e))?;
        if msg.args.is_empty() {
            if let Some(dir) = &self.recorded {
                let file = dir.join(lang.tag()).join(format!("{}.wav", msg.id));
                if file.exists() {
                    let key = format!("recorded {} {}", file.display(), modified(&file));
                    let out = self.cached(&key);
                    if !out.exists() {
                        self.convert(&file, &out)?;
                    }
                    return read_wav(&out);
                }
            }
        }
        let text = self.loc.render(lang, msg);
        let out = self.cached(&format!("{} {text}", lang.tag()));
        if !out.exists() {
            self.speak(lang, &text, &out)?;
        }
        read_wav(&out)
    }

    /// Prompts one after another, with a short pause between them.
    pub fn compose(parts: &[Vec<i16>]) -> Vec<i16> {
        let pause = vec![0i16; RATE as usize / 5];
        let mut out = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(&pause);
            }
            out.extend_from_slice(p);
        }
        out
    }

    fn cached(&self, key: &str) -> PathBuf {
        let hash = hex::encode(Sha256::digest(key.as_bytes()));
        self.cache.join(format!("{}.wav", &hash[..32]))
    }

    fn speak(&self, lang: Lang, text: &str, out: &Path) -> Result<(), PromptError> {
        let raw = out.with_extension("espeak.wav");
        let voice = match lang {
            Lang::Da => "da",
            Lang::En => "en-gb",
        };
        run(
            "espeak-ng",
            Command::new(&self.espeak)
                .args(["-v", voice, "-s", "150", "-w"])
                .arg(&raw)
                .arg(text),
        )?;
        let converted = self.convert(&raw, out);
        let _ = std::fs::remove_file(&raw);
        converted
    }

    /// Any WAV to 8 kHz mono 16-bit, written next to `out` and renamed, so
    /// a cache file is whole or absent.
    fn convert(&self, input: &Path, out: &Path) -> Result<(), PromptError> {
        let partial = out.with_extension("partial.wav");
        run(
            "sox",
            Command::new(&self.sox)
                .arg(input)
                .args(["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"])
                .arg(&partial),
        )?;
        std::fs::rename(&partial, out).map_err(|e| PromptError::Cache(out.to_path_buf(), e))
    }
}

fn modified(file: &Path) -> u64 {
    std::fs::metadata(file)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs())
}

fn run(tool: &'static str, cmd: &mut Command) -> Result<(), PromptError> {
    let out = cmd.output().map_err(|e| PromptError::Tool {
        tool,
        detail: e.to_string(),
    })?;
    if !out.status.success() {
        return Err(PromptError::Tool {
            tool,
            detail: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(())
}

fn read_wav(path: &Path) -> Result<Vec<i16>, PromptError> {
    let bad = |e: hound::Error| PromptError::Wav {
        path: path.to_path_buf(),
        detail: e.to_string(),
    };
    let reader = hound::WavReader::open(path).map_err(bad)?;
    let spec = reader.spec();
    if spec.sample_rate != RATE || spec.channels != 1 || spec.bits_per_sample != 16 {
        return Err(PromptError::Wav {
            path: path.to_path_buf(),
            detail: format!(
                "{} Hz, {} channels, {} bits (8000 Hz mono 16-bit expected)",
                spec.sample_rate, spec.channels, spec.bits_per_sample
            ),
        });
    }
    reader
        .into_samples::<i16>()
        .collect::<Result<Vec<_>, _>>()
        .map_err(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompts(recorded: Option<PathBuf>, cache: &Path) -> Prompts {
        let loc = Arc::new(Localizer::builtin().expect("texts"));
        Prompts::new(loc, recorded, cache.to_path_buf())
    }

    #[test]
    fn a_message_is_spoken_once_then_read_from_the_cache() {
        let dir = tempfile::tempdir().expect("dir");
        let p = prompts(None, dir.path());
        let goodbye = Msg::new("ivr-goodbye");
        let audio = p.audio(Lang::Da, &goodbye).expect("espeak-ng and sox");
        let seconds = audio.len() as f64 / f64::from(RATE);
        assert!((0.3..10.0).contains(&seconds), "{seconds} s");
        assert!(audio.iter().any(|s| s.unsigned_abs() > 1000), "not silence");
        // Cached: a broken espeak-ng is not even asked the second time.
        let again = p.clone().with_tools("/nonexistent/espeak-ng", "sox");
        assert_eq!(again.audio(Lang::Da, &goodbye).expect("cached"), audio);
        // English is another prompt.
        let en = p.audio(Lang::En, &goodbye).expect("english");
        assert_ne!(en, audio);
    }

    #[test]
    fn a_recorded_prompt_wins_and_is_converted_to_8_khz() {
        let dir = tempfile::tempdir().expect("dir");
        let recorded = dir.path().join("voice");
        std::fs::create_dir_all(recorded.join("da")).expect("dir");
        // A site's recording: 16 kHz, one second of a 440 Hz tone.
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 16_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w =
            hound::WavWriter::create(recorded.join("da/ivr-goodbye.wav"), spec).expect("wav");
        for i in 0..16_000 {
            let v = (f64::from(i) * 440.0 * 2.0 * std::f64::consts::PI / 16_000.0).sin();
            w.write_sample((v * 10_000.0) as i16).expect("sample");
        }
        w.finalize().expect("finalize");
        let p = prompts(Some(recorded), &dir.path().join("cache"));
        let audio = p
            .audio(Lang::Da, &Msg::new("ivr-goodbye"))
            .expect("recorded");
        assert!(
            (7_900..=8_100).contains(&audio.len()),
            "{} samples",
            audio.len()
        );
        // Not recorded in English: spoken instead.
        assert!(p.audio(Lang::En, &Msg::new("ivr-goodbye")).is_ok());
    }

    #[test]
    fn a_missing_tool_is_named() {
        let dir = tempfile::tempdir().expect("dir");
        let p = prompts(None, dir.path()).with_tools("/nonexistent/espeak-ng", "sox");
        let err = p
            .audio(Lang::Da, &Msg::new("ivr-goodbye"))
            .expect_err("no espeak");
        assert!(
            matches!(
                err,
                PromptError::Tool {
                    tool: "espeak-ng",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn prompts_compose_with_a_pause() {
        let a = vec![1i16; 100];
        let b = vec![2i16; 50];
        let c = Prompts::compose(&[a, b]);
        assert_eq!(c.len(), 100 + 1600 + 50);
        assert_eq!((c[99], c[100], c[1700]), (1, 0, 2));
    }
}
