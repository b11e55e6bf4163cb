//! The Whisper model, loaded when the first recording needs it and released
//! after a while without work: a loaded base model holds some 150 MB that
//! a quiet night does not need.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::model::{ModelSettings, Transcriber, VoiceError};

/// Where the model is kept between recordings.
pub struct ModelSlot {
    settings: Option<ModelSettings>,
    idle: Option<Duration>,
    name: String,
    language: String,
    state: Mutex<Slot>,
}

struct Slot {
    model: Option<Arc<Transcriber>>,
    last_used: Instant,
}

impl std::fmt::Debug for ModelSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelSlot")
            .field("name", &self.name)
            .field("idle", &self.idle)
            .finish_non_exhaustive()
    }
}

impl ModelSlot {
    /// Loads the model from `settings` on first use; releases it after
    /// `idle` without work (`None`: keeps it once loaded).
    pub fn lazy(settings: ModelSettings, idle: Option<Duration>) -> ModelSlot {
        let name = settings
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let language = settings.language.clone();
        ModelSlot {
            settings: Some(settings),
            idle,
            name,
            language,
            state: Mutex::new(Slot {
                model: None,
                last_used: Instant::now(),
            }),
        }
    }

    /// A model loaded already, kept for good (the command line, tests).
    pub fn loaded(model: Arc<Transcriber>) -> ModelSlot {
        ModelSlot {
            settings: None,
            idle: None,
            name: model.model_name().to_string(),
            language: model.language().to_string(),
            state: Mutex::new(Slot {
                model: Some(model),
                last_used: Instant::now(),
            }),
        }
    }

    /// The model file's name.
    pub fn model_name(&self) -> &str {
        &self.name
    }

    /// The configured language.
    pub fn language(&self) -> &str {
        &self.language
    }

    /// The model, loading it first if it is not loaded (on a blocking
    /// thread; one load at a time).
    pub async fn get(&self) -> Result<Arc<Transcriber>, VoiceError> {
        let mut slot = self.state.lock().await;
        slot.last_used = Instant::now();
        if let Some(m) = &slot.model {
            return Ok(m.clone());
        }
        let Some(settings) = self.settings.clone() else {
            return Err(VoiceError::NotLoaded);
        };
        let started = Instant::now();
        let model = tokio::task::spawn_blocking(move || Transcriber::load(settings))
            .await
            .map_err(|_| VoiceError::NotLoaded)??;
        let model = Arc::new(model);
        tracing::info!(
            model = %self.name,
            load_ms = started.elapsed().as_millis() as u64,
            "speech recognition model loaded"
        );
        slot.model = Some(model.clone());
        slot.last_used = Instant::now();
        Ok(model)
    }

    /// Marks the end of a use: the idle time counts from here, not from
    /// when a long transcription began.
    pub async fn done(&self) {
        self.state.lock().await.last_used = Instant::now();
    }

    /// Releases the model when it has not been used for the idle time and
    /// no transcription holds it; whether it was released.
    pub async fn release_if_idle(&self) -> bool {
        let Some(idle) = self.idle else {
            return false;
        };
        let mut slot = self.state.lock().await;
        let in_use = slot
            .model
            .as_ref()
            .is_some_and(|m| Arc::strong_count(m) > 1);
        if slot.model.is_none() || in_use || slot.last_used.elapsed() < idle {
            return false;
        }
        slot.model = None;
        tracing::info!(model = %self.name, idle_s = idle.as_secs(), "speech recognition model released after idle time");
        true
    }

    /// Whether the model is loaded now.
    pub async fn is_loaded(&self) -> bool {
        self.state.lock().await.model.is_some()
    }
}
