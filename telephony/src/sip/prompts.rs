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

use akutlinje_core::i18n::{Arg, Lang, Localizer, Msg};
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
    ///
    /// A message without arguments is the site's recording when there is
    /// one, else its text rendered once and cached. A message with
    /// arguments is composed: the text around each argument, cached like a
    /// message; a number from the number prompts (`number-<n>.wav`
    /// recorded, or rendered once and cached); another message as itself;
    /// any other text (a name) rendered for this call only and never
    /// cached, because it may be personal data.
    pub fn audio(&self, lang: Lang, msg: &Msg) -> Result<Vec<i16>, PromptError> {
        if msg.args.is_empty() {
            if let Some(audio) = self.recorded(lang, &msg.id)? {
                return Ok(audio);
            }
            return self.cached_speech(lang, &self.loc.render(lang, msg));
        }
        // The text around the arguments: render with markers in their place.
        let marked = Msg {
            id: msg.id.clone(),
            args: msg
                .args
                .iter()
                .enumerate()
                .map(|(i, (name, _))| (name.clone(), Arg::Text(format!("\u{1}{i}\u{1}"))))
                .collect(),
        };
        let rendered = self.loc.render(lang, &marked);
        let mut out = Vec::new();
        for (i, piece) in rendered.split('\u{1}').enumerate() {
            if i % 2 == 0 {
                // Punctuation alone ("." after the last argument) says nothing.
                if piece.chars().any(char::is_alphanumeric) {
                    out.extend(self.cached_speech(lang, piece)?);
                }
                continue;
            }
            let Some((_, arg)) = piece.parse::<usize>().ok().and_then(|n| msg.args.get(n)) else {
                continue;
            };
            out.extend(match arg {
                Arg::Text(t) if is_number(t) => self.number(lang, t.trim())?,
                Arg::Text(t) => self.speech(lang, t)?,
                Arg::Msg(m) => self.audio(lang, m)?,
                Arg::List(ms) => {
                    let parts = ms
                        .iter()
                        .map(|m| self.audio(lang, m))
                        .collect::<Result<Vec<_>, _>>()?;
                    Prompts::compose(&parts)
                }
            });
        }
        Ok(out)
    }

    /// Free text (a resident's card) spoken for this call only: rendered in
    /// a temporary file that is removed at once, never cached.
    pub fn speech(&self, lang: Lang, text: &str) -> Result<Vec<i16>, PromptError> {
        let dir = tempfile::tempdir().map_err(|e| PromptError::Cache(std::env::temp_dir(), e))?;
        let out = dir.path().join("speech.wav");
        self.speak(lang, text, &out)?;
        read_wav(&out)
    }

    /// Renders every message of `ids` that has no arguments, so the first
    /// caller waits for none; returns how many were rendered now.
    pub fn warm(&self, lang: Lang, ids: &[String]) -> Result<usize, PromptError> {
        let mut rendered = 0;
        for id in ids {
            if self.recorded(lang, id)?.is_some() {
                continue;
            }
            let text = self.loc.render(lang, &Msg::new(id.clone()));
            if !self.cached(&format!("{} {text}", lang.tag())).exists() {
                rendered += 1;
            }
            self.cached_speech(lang, &text)?;
        }
        Ok(rendered)
    }

    /// A number from the number prompts.
    fn number(&self, lang: Lang, n: &str) -> Result<Vec<i16>, PromptError> {
        match self.recorded(lang, &format!("number-{n}"))? {
            Some(a) => Ok(a),
            None => self.cached_speech(lang, n),
        }
    }

    /// The site's recording of a message, converted once.
    fn recorded(&self, lang: Lang, id: &str) -> Result<Option<Vec<i16>>, PromptError> {
        let Some(dir) = &self.recorded else {
            return Ok(None);
        };
        let file = dir.join(lang.tag()).join(format!("{id}.wav"));
        if !file.exists() {
            return Ok(None);
        }
        self.ensure_cache()?;
        let key = format!("recorded {} {}", file.display(), modified(&file));
        let out = self.cached(&key);
        if !out.exists() {
            self.convert(&file, &out)?;
        }
        read_wav(&out).map(Some)
    }

    /// Text that carries no personal data, rendered once and kept.
    fn cached_speech(&self, lang: Lang, text: &str) -> Result<Vec<i16>, PromptError> {
        self.ensure_cache()?;
        let out = self.cached(&format!("{} {}", lang.tag(), text.trim()));
        if !out.exists() {
            self.speak(lang, text.trim(), &out)?;
        }
        read_wav(&out)
    }

    fn ensure_cache(&self) -> Result<(), PromptError> {
        std::fs::create_dir_all(&self.cache).map_err(|e| PromptError::Cache(self.cache.clone(), e))
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

/// A room number or a score: digits, perhaps with a decimal comma.
fn is_number(t: &str) -> bool {
    let t = t.trim();
    !t.is_empty() && t.len() <= 6 && t.chars().all(|c| c.is_ascii_digit() || c == ',')
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
    fn numbers_come_from_the_number_prompts_and_names_are_not_cached() {
        let dir = tempfile::tempdir().expect("dir");
        let recorded = dir.path().join("voice");
        std::fs::create_dir_all(recorded.join("da")).expect("dir");
        // The site recorded "14" as a quarter second of a constant level.
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 8_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(recorded.join("da/number-14.wav"), spec).expect("wav");
        for _ in 0..2_000 {
            w.write_sample(1234i16).expect("sample");
        }
        w.finalize().expect("finalize");
        let cache = dir.path().join("cache");
        let p = prompts(Some(recorded), &cache);
        let msg = Msg::new("page-spoken-room").arg("room", "14");
        let audio = p.audio(Lang::Da, &msg).expect("composed");
        let run = audio.windows(2_000).any(|w| w.iter().all(|s| *s == 1234));
        assert!(run, "the recorded number is in the prompt");
        // A name is spoken but leaves nothing behind in the cache.
        let before = std::fs::read_dir(&cache).expect("cache").count();
        let named = Msg::new("ivr-choice")
            .arg("n", "3")
            .arg("label", "Anna Sørensen");
        assert!(p.audio(Lang::Da, &named).expect("spoken").len() > 4_000);
        let after = std::fs::read_dir(&cache).expect("cache").count();
        // The text around the arguments and the "3" are new; the name is not.
        assert!(after <= before + 3, "{before} → {after}");
        let names: Vec<i16> = p.speech(Lang::Da, "Anna Sørensen").expect("speech");
        for f in std::fs::read_dir(&cache).expect("cache").flatten() {
            let cached = read_wav(&f.path()).unwrap_or_default();
            assert_ne!(cached, names, "{}", f.path().display());
        }
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
