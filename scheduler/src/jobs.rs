//! Rota jobs: handover notices at each shift start (and an optional reminder
//! before), and the daily report of new coverage gaps to the coordinator on
//! duty. Each notice is queued through the outbox exactly once, keyed in the
//! database, so restarts and second instances never repeat one.

use std::sync::Arc;

use akutlinje_core::escalation::{NewNotification, NotificationKind, NotifyChannel};
use akutlinje_core::i18n::{Lang, Localizer, Msg};
use akutlinje_core::ids::PersonId;
use akutlinje_core::person::Role;
use akutlinje_core::rota::{ServiceId, TierId};
use akutlinje_core::store::UpkeepStore;

use crate::Ports;
use chrono::{DateTime, Duration, Utc};

use crate::escalation::SchedulerError;
use crate::rota::{local_naive, Rota};

/// Settings of the rota jobs.
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// How far back a tick looks for shift starts it has not announced yet
    /// (covers a process that was down for a while).
    pub catch_up: Duration,
    /// Remind this long before a shift starts; `None` for no reminder.
    pub reminder: Option<Duration>,
    /// Local hour of the daily gap report.
    pub gap_report_hour: u32,
    /// How many days ahead gaps are reported.
    pub gap_days: i64,
    /// The tier whose person on duty gets the gap report.
    pub coordinator_tier: TierId,
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings {
            catch_up: Duration::minutes(30),
            reminder: Some(Duration::hours(2)),
            gap_report_hour: 8,
            gap_days: 14,
            coordinator_tier: TierId::parse("coordinator").expect("a valid slug"),
        }
    }
}

/// The rota jobs of one service.
#[derive(Clone)]
pub struct RotaJobs {
    db: Ports,
    service: ServiceId,
    loc: Arc<Localizer>,
    settings: JobSettings,
}

fn hm(t: DateTime<Utc>) -> String {
    local_naive(t).format("%d.%m. %H:%M").to_string()
}

impl RotaJobs {
    /// Jobs for `service`.
    pub fn new(
        store: impl Into<Ports>,
        service: ServiceId,
        loc: Arc<Localizer>,
        settings: JobSettings,
    ) -> RotaJobs {
        RotaJobs {
            db: store.into(),
            service,
            loc,
            settings,
        }
    }

    fn note(
        person: PersonId,
        kind: NotificationKind,
        text: String,
        now: DateTime<Utc>,
    ) -> NewNotification {
        NewNotification {
            case: None,
            person,
            kind,
            channel: NotifyChannel::Matrix,
            fallback: vec![NotifyChannel::Sms, NotifyChannel::Log],
            text,
            not_before: now,
        }
    }

    /// Queues every notice due at `now`; returns how many were queued.
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<usize, SchedulerError> {
        let Some(svc) = self.db.rota.service(&self.service).await? else {
            return Ok(0);
        };
        let rota = Rota::parse(self.db.rota.rota(&self.service).await?).map_err(|e| {
            SchedulerError::Rota {
                service: self.service.clone(),
                detail: e.to_string(),
            }
        })?;
        let lang = Lang::Da;
        let mut queued = 0;
        for tier in &svc.tiers {
            // Handover: shifts (segments) that started in the catch-up window.
            let from = now - self.settings.catch_up;
            // Resolve well past `now` so each segment keeps its real end.
            for seg in rota.resolve(tier, from - Duration::days(8), now + Duration::days(8)) {
                if seg.start <= from || seg.start > now {
                    continue;
                }
                let text = self.loc.render(
                    lang,
                    &Msg::new("handover-start")
                        .arg("tier", tier)
                        .arg("service", &svc.name)
                        .arg("end", hm(seg.end)),
                );
                let key = format!(
                    "handover:{}:{tier}:{}:{}",
                    svc.id,
                    seg.start.timestamp(),
                    seg.person
                );
                if self
                    .db
                    .outbox
                    .enqueue_once(
                        &key,
                        &[Self::note(
                            seg.person.clone(),
                            NotificationKind::Handover,
                            text,
                            now,
                        )],
                        now,
                    )
                    .await?
                {
                    queued += 1;
                }
            }
            // Reminder: shifts starting `reminder` from now.
            if let Some(lead) = self.settings.reminder {
                let (a, b) = (now + lead - self.settings.catch_up, now + lead);
                for seg in rota.resolve(tier, a - Duration::days(8), b + Duration::days(8)) {
                    if seg.start <= a || seg.start > b {
                        continue;
                    }
                    let text = self.loc.render(
                        lang,
                        &Msg::new("handover-reminder")
                            .arg("tier", tier)
                            .arg("service", &svc.name)
                            .arg("start", hm(seg.start))
                            .arg("end", hm(seg.end)),
                    );
                    let key = format!(
                        "reminder:{}:{tier}:{}:{}",
                        svc.id,
                        seg.start.timestamp(),
                        seg.person
                    );
                    if self
                        .db
                        .outbox
                        .enqueue_once(
                            &key,
                            &[Self::note(
                                seg.person.clone(),
                                NotificationKind::Handover,
                                text,
                                now,
                            )],
                            now,
                        )
                        .await?
                    {
                        queued += 1;
                    }
                }
            }
        }
        queued += self
            .gap_report(&svc.name, &svc.tiers, &rota, now, lang)
            .await?;
        Ok(queued)
    }

    /// Once a day from the report hour: gaps not reported before.
    async fn gap_report(
        &self,
        name: &str,
        tiers: &[TierId],
        rota: &Rota,
        now: DateTime<Utc>,
        lang: Lang,
    ) -> Result<usize, SchedulerError> {
        let local = local_naive(now);
        if chrono::Timelike::hour(&local) < self.settings.gap_report_hour {
            return Ok(0);
        }
        // Gaps are computed from today's midnight so an ongoing gap keeps its
        // key all day (from `now` its start would move with every tick).
        let midnight = crate::rota::instant(local.date().and_hms_opt(0, 0, 0).unwrap_or(local));
        // The end is fixed for the day too, for the same reason.
        let to = midnight + Duration::days(self.settings.gap_days + 1);
        let mut lines = Vec::new();
        let mut keys = Vec::new();
        for tier in tiers {
            for g in rota
                .gaps(tier, midnight, to)
                .into_iter()
                .filter(|g| g.end > now)
            {
                keys.push(format!(
                    "gap:{}:{tier}:{}:{}",
                    self.service,
                    g.start.timestamp(),
                    g.end.timestamp()
                ));
                lines.push(
                    self.loc.render(
                        lang,
                        &Msg::new("gaps-alert-line")
                            .arg("tier", tier)
                            .arg("start", hm(g.start))
                            .arg("end", hm(g.end)),
                    ),
                );
            }
        }
        // Only gaps never reported before count as new.
        let mut new_lines = Vec::new();
        for (k, l) in keys.iter().zip(lines) {
            if self.db.outbox.enqueue_once(k, &[], now).await? {
                new_lines.push(l);
            }
        }
        if new_lines.is_empty() {
            return Ok(0);
        }
        let head = self.loc.render(
            lang,
            &Msg::new("gaps-alert")
                .arg("service", name)
                .arg("days", self.settings.gap_days),
        );
        let text = format!("{head}\n{}", new_lines.join("\n"));
        let recipients: Vec<PersonId> = match rota.on_call(&self.settings.coordinator_tier, now) {
            Some(seg) => vec![seg.person],
            None => self
                .db
                .people
                .people()
                .await?
                .into_iter()
                .filter(|p| p.role == Role::Coordinator)
                .map(|p| p.id)
                .collect(),
        };
        let notes: Vec<NewNotification> = recipients
            .into_iter()
            .map(|p| Self::note(p, NotificationKind::Alert, text.clone(), now))
            .collect();
        let n = notes.len();
        let key = format!("gap-report:{}:{}", self.service, now.timestamp());
        Ok(if self.db.outbox.enqueue_once(&key, &notes, now).await? {
            n
        } else {
            0
        })
    }
}

/// Runs the rota jobs every `every` until `shutdown`.
pub async fn run(
    jobs: RotaJobs,
    clock: Arc<dyn crate::escalation::Clock>,
    every: std::time::Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        if let Err(e) = jobs.tick(clock.now()).await {
            tracing::error!(error = %e, "rota jobs failed; retrying");
        }
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}

/// How long a Twilio webhook's answer is kept: long enough for Twilio's
/// retries and a day's questions about a call, short because it holds the
/// resident card as it was spoken.
pub const WEBHOOK_ANSWERS_KEPT: Duration = Duration::days(7);

/// Deletes what is kept only for a while (old webhook answers, expired web
/// sessions) every `every` until `shutdown`; the first pass at once.
pub async fn housekeeping(
    store: Arc<dyn UpkeepStore>,
    clock: Arc<dyn crate::escalation::Clock>,
    every: std::time::Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let now = clock.now();
        match store.purge_expired(now, now - WEBHOOK_ANSWERS_KEPT).await {
            Ok(p) if p.webhook_answers + p.sessions > 0 => tracing::info!(
                webhook_answers = p.webhook_answers,
                sessions = p.sessions,
                "expired records purged"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "housekeeping failed; retrying"),
        }
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}
