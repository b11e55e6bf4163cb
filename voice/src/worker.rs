//! The transcription queue's workers.
//!
//! Recordings are queued by the store in the same transaction that stores
//! them. A worker claims one for a lease, which it renews while it works;
//! the result — a `Transcribed` or `TranscriptionFailed` event plus the
//! notices to the case's conversation — is written in one transaction only
//! if the worker still holds the claim. So a voice note is transcribed
//! exactly once even when a process is killed half-way: its lease runs out
//! and another worker (or the restarted process) takes it again.

use std::sync::Arc;
use std::time::Duration;

use akutlinje_audio::{AudioError, Limits};
use akutlinje_core::escalation::{NewNotification, NotificationKind, NotifyChannel};
use akutlinje_core::i18n::{Lang, Localizer, Msg};
use akutlinje_core::ids::{PersonId, Text};
use akutlinje_core::record::{Author, Channel, EventKind, NewEvent};
use akutlinje_core::store::{
    ChannelStore, PeopleStore, RecordStore, Store, StoreError, TranscriptionJob, TranscriptionStore,
};
use chrono::Utc;
use tokio::sync::{Notify, Semaphore};
use tracing::Instrument;

use crate::model::{Transcriber, Transcript, VoiceError};
use crate::slot::ModelSlot;

/// How the queue is worked.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerSettings {
    /// Transcriptions at once (each uses the model's threads).
    pub workers: usize,
    /// How long a claim holds without being renewed; renewed every third.
    pub lease: Duration,
    /// How often the queue is looked at when nobody wakes the worker.
    pub poll: Duration,
    /// Claims before a note is given up on (a note that crashes the process
    /// every time must not block the queue forever).
    pub max_attempts: u32,
    /// When a failed attempt is tried again.
    pub retry_after: Duration,
    /// What a recording may be (length, size).
    pub limits: Limits,
}

impl Default for WorkerSettings {
    fn default() -> WorkerSettings {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        WorkerSettings {
            workers: (cores / 2).max(1),
            lease: Duration::from_secs(120),
            poll: Duration::from_secs(2),
            max_attempts: 3,
            retry_after: Duration::from_secs(30),
            limits: Limits::default(),
        }
    }
}

/// The storage ports the worker uses: the queue, the recording, the
/// case's record (who to tell), the people told.
#[derive(Clone, Debug)]
pub struct Ports {
    /// The queue.
    pub transcription: Arc<dyn TranscriptionStore>,
    /// The recordings (attachments).
    pub channels: Arc<dyn ChannelStore>,
    /// The case's record: the transcript's event, who to tell.
    pub record: Arc<dyn RecordStore>,
    /// The people told.
    pub people: Arc<dyn PeopleStore>,
}

impl From<Arc<dyn Store>> for Ports {
    fn from(store: Arc<dyn Store>) -> Ports {
        Ports {
            transcription: store.clone(),
            channels: store.clone(),
            record: store.clone(),
            people: store,
        }
    }
}

/// Works the transcription queue.
#[derive(Clone)]
pub struct Worker {
    db: Ports,
    model: Arc<ModelSlot>,
    loc: Arc<Localizer>,
    settings: WorkerSettings,
    id: String,
    wake: Arc<Notify>,
}

/// What one attempt came to.
enum Outcome {
    /// A result to record (a transcript or a reason there is none).
    Record(EventKind),
    /// Try again later.
    Retry(String),
}

fn chrono_of(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::seconds(60))
}

impl Worker {
    /// A worker named `id` (unique per process: claims are held by name).
    pub fn new(
        store: impl Into<Ports>,
        model: Arc<Transcriber>,
        loc: Arc<Localizer>,
        settings: WorkerSettings,
        id: impl Into<String>,
    ) -> Worker {
        Worker::with_slot(store, Arc::new(ModelSlot::loaded(model)), loc, settings, id)
    }

    /// A worker whose model is loaded when the first recording needs it and
    /// released after the slot's idle time.
    pub fn with_slot(
        store: impl Into<Ports>,
        model: Arc<ModelSlot>,
        loc: Arc<Localizer>,
        settings: WorkerSettings,
        id: impl Into<String>,
    ) -> Worker {
        Worker {
            db: store.into(),
            model,
            loc,
            settings,
            id: id.into(),
            wake: Arc::new(Notify::new()),
        }
    }

    /// Call to have the queue looked at now (a note was just stored).
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Wakes on `wake` instead of a notifier of its own: one made before the
    /// model has loaded, handed to whatever stores recordings.
    pub fn woken_by(mut self, wake: Arc<Notify>) -> Worker {
        self.wake = wake;
        self
    }

    /// Works the queue until the task is dropped.
    pub async fn run(self) {
        let permits = Arc::new(Semaphore::new(self.settings.workers.max(1)));
        tracing::info!(
            worker = %self.id,
            workers = self.settings.workers,
            model = self.model.model_name(),
            language = self.model.language(),
            "transcription worker started"
        );
        loop {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return;
            };
            let claimed = self
                .db
                .transcription
                .claim_transcriptions(Utc::now(), &self.id, chrono_of(self.settings.lease), 1)
                .await;
            match claimed {
                Ok(mut jobs) if !jobs.is_empty() => {
                    // One claim per free permit: the next waits for a worker.
                    let job = jobs.swap_remove(0);
                    let me = self.clone();
                    tokio::spawn(async move {
                        me.process(job).await;
                        drop(permit);
                    });
                }
                Ok(_) => {
                    drop(permit);
                    // Nothing to do: a model idle long enough is let go.
                    self.model.release_if_idle().await;
                    let _ = tokio::time::timeout(self.settings.poll, self.wake.notified()).await;
                }
                Err(e) => {
                    drop(permit);
                    tracing::warn!(error = %e, "could not claim transcriptions; trying again");
                    tokio::time::sleep(self.settings.poll).await;
                }
            }
        }
    }

    /// Claims and transcribes what is due now, one after another; returns
    /// how many were finished. For tests and the command line.
    pub async fn drain(&self) -> Result<usize, StoreError> {
        let mut done = 0;
        loop {
            let jobs = self
                .db
                .transcription
                .claim_transcriptions(Utc::now(), &self.id, chrono_of(self.settings.lease), 1)
                .await?;
            if jobs.is_empty() {
                return Ok(done);
            }
            for job in jobs {
                if self.process(job).await {
                    done += 1;
                }
            }
        }
    }

    /// One job, start to end. True if its result was recorded.
    async fn process(&self, job: TranscriptionJob) -> bool {
        let span = tracing::info_span!("transcribe", case = %job.case, attachment = job.attachment, attempt = job.attempts);
        async {
            let outcome = if job.attempts > self.settings.max_attempts {
                // Earlier claims died without a word (a crash): do not try again.
                Outcome::Record(failed(&job, "gave_up", format!("{} attempts did not finish", job.attempts - 1)))
            } else {
                let heartbeat = self.heartbeat(job.attachment);
                let outcome = self.attempt(&job).await;
                heartbeat.abort();
                outcome
            };
            let kind = match outcome {
                Outcome::Record(kind) => kind,
                Outcome::Retry(error) if job.attempts < self.settings.max_attempts => {
                    tracing::warn!(%error, "transcription failed; will try again");
                    let due = Utc::now() + chrono_of(self.settings.retry_after);
                    if let Err(e) = self.db.transcription.release_transcription(job.attachment, &self.id, due).await {
                        tracing::warn!(error = %e, "could not give the job back; its lease will run out");
                    }
                    return false;
                }
                Outcome::Retry(error) => failed(&job, "gave_up", error),
            };
            self.record(&job, kind).await
        }
        .instrument(span)
        .await
    }

    /// Renews the claim while the work goes on.
    fn heartbeat(&self, attachment: i64) -> tokio::task::JoinHandle<()> {
        let queue = self.db.transcription.clone();
        let id = self.id.clone();
        let lease = self.settings.lease;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease / 3).await;
                match queue
                    .extend_transcription(attachment, &id, Utc::now() + chrono_of(lease))
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!("the claim on the transcription was lost");
                        return;
                    }
                    Err(e) => tracing::warn!(error = %e, "could not renew the claim"),
                }
            }
        })
    }

    async fn attempt(&self, job: &TranscriptionJob) -> Outcome {
        let audio = match self.db.channels.attachment(job.attachment).await {
            Ok(Some(a)) => a,
            Ok(None) => {
                return Outcome::Record(failed(job, "broken", "the recording is missing".into()))
            }
            Err(e) => return Outcome::Retry(e.to_string()),
        };
        let model = match self.model.get().await {
            Ok(m) => m,
            Err(e) => {
                tracing::error!(error = %e, "the speech recognition model did not load; the recording waits");
                return Outcome::Retry(e.to_string());
            }
        };
        let limits = self.settings.limits;
        let work = tokio::task::spawn_blocking(move || {
            let clip = akutlinje_audio::decode(&audio.data, &audio.mime, &limits)?;
            Ok::<_, Refused>(model.transcribe(&clip.samples, None)?)
        });
        let result = work.await;
        self.model.done().await;
        match result {
            Ok(Ok(t)) => self.transcribed(job, t),
            Ok(Err(Refused::Audio(e))) => {
                tracing::info!(reason = e.code(), "recording refused");
                Outcome::Record(failed(job, e.code(), e.to_string()))
            }
            Ok(Err(Refused::Model(e))) => Outcome::Retry(e.to_string()),
            Err(e) => Outcome::Retry(format!("the transcription task ended: {e}")),
        }
    }

    fn transcribed(&self, job: &TranscriptionJob, t: Transcript) -> Outcome {
        let text: String = t.text.chars().take(MAX_TRANSCRIPT).collect();
        let Ok(text) = Text::parse("transcript", &text, MAX_TRANSCRIPT) else {
            return Outcome::Record(failed(job, "no_speech", "the model heard no words".into()));
        };
        tracing::info!(
            audio_ms = t.audio.as_millis() as u64,
            processing_ms = t.processing.as_millis() as u64,
            chars = text.as_str().chars().count(),
            "transcribed"
        );
        if !t.audio.is_zero() {
            metrics::histogram!("akutlinje_transcription_real_time_factor")
                .record(t.processing.as_secs_f64() / t.audio.as_secs_f64());
        }
        Outcome::Record(EventKind::Transcribed {
            attachment: job.attachment,
            text,
            language: t.language,
            model: t.model,
            audio_ms: t.audio.as_millis() as u64,
            processing_ms: t.processing.as_millis() as u64,
        })
    }

    /// Writes the result and its notices, if the claim still holds.
    async fn record(&self, job: &TranscriptionJob, kind: EventKind) -> bool {
        let notes = match self.notices(job, &kind).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "could not find whom to tell; recording without notices");
                Vec::new()
            }
        };
        let event = NewEvent {
            at: Utc::now(),
            author: Author::system(),
            channel: Channel::System,
            kind,
            corrects: None,
            external_id: None,
        };
        match self
            .db
            .transcription
            .finish_transcription(job.attachment, &self.id, &event, &notes)
            .await
        {
            Ok(Some(_)) => true,
            Ok(None) => {
                tracing::warn!(
                    "the claim was lost before the result was written; another worker has it"
                );
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not record the transcription; will try again");
                let due = Utc::now() + chrono_of(self.settings.retry_after);
                let _ = self
                    .db
                    .transcription
                    .release_transcription(job.attachment, &self.id, due)
                    .await;
                false
            }
        }
    }

    /// The case's conversation: who sent the note and the physicians paged
    /// for the case, where they have a chat account (the transcript is
    /// patient data, so it never goes by SMS).
    async fn notices(
        &self,
        job: &TranscriptionJob,
        kind: &EventKind,
    ) -> Result<Vec<NewNotification>, StoreError> {
        let events = self.db.record.events(job.case).await?;
        let mut people: Vec<PersonId> = Vec::new();
        for e in &events {
            let who = match &e.event.kind {
                EventKind::AudioAttached { attachment, .. } if *attachment == job.attachment => {
                    e.event.author.person.clone()
                }
                EventKind::PageSent { person, .. } => Some(person.clone()),
                _ => None,
            };
            if let Some(p) = who {
                if !people.contains(&p) {
                    people.push(p);
                }
            }
        }
        let code = job.case.code();
        let msg = match kind {
            EventKind::Transcribed { text, .. } => Msg::new("voice-transcript")
                .arg("case", &code)
                .arg("text", text),
            EventKind::TranscriptionFailed { reason, .. } => {
                let minutes = self.settings.limits.max_duration.as_secs().div_ceil(60);
                let mut id = format!("voice-reason-{reason}");
                if !self.loc.has(Lang::Da, &id) {
                    id = "voice-reason-broken".into();
                }
                Msg::new("voice-failed")
                    .arg("case", &code)
                    .arg_msg("reason", Msg::new(id).arg("minutes", minutes))
            }
            _ => return Ok(Vec::new()),
        };
        let text = self.loc.render(Lang::Da, &msg);
        let mut out = Vec::new();
        for id in people {
            let Some(person) = self.db.people.person(&id).await? else {
                continue;
            };
            if person.matrix_user.is_none() {
                continue;
            }
            out.push(NewNotification {
                case: Some(job.case),
                person: id,
                kind: NotificationKind::Transcript,
                channel: NotifyChannel::Matrix,
                fallback: Vec::new(),
                text: text.clone(),
                not_before: Utc::now(),
            });
        }
        Ok(out)
    }
}

/// The longest transcript kept (five minutes of fast speech is ~5000 chars).
const MAX_TRANSCRIPT: usize = 20_000;

enum Refused {
    Audio(AudioError),
    Model(VoiceError),
}

impl From<AudioError> for Refused {
    fn from(e: AudioError) -> Refused {
        Refused::Audio(e)
    }
}

impl From<VoiceError> for Refused {
    fn from(e: VoiceError) -> Refused {
        Refused::Model(e)
    }
}

fn failed(job: &TranscriptionJob, reason: &str, detail: String) -> EventKind {
    EventKind::TranscriptionFailed {
        attachment: job.attachment,
        reason: reason.to_string(),
        detail,
    }
}
