//! Firing escalation steps: claimed, fenced by the claim, one transaction per step.

use super::*;

/// Fires escalation steps.
#[derive(Clone)]
pub struct Escalator {
    pub(super) db: Ports,
    pub(super) policies: Policies,
    pub(super) service: ServiceId,
    pub(super) def: Arc<Checklist>,
    pub(super) loc: Arc<Localizer>,
    pub(super) worker: String,
    pub(super) lease: Duration,
    pub(super) batch: u32,
    has_voice: bool,
    video: Option<akutlinje_core::video::VideoConfig>,
}

impl Escalator {
    /// Pages of cases opened by phone also call the physician (when a voice
    /// channel exists), so they can join the waiting caller.
    pub fn with_phone_bridge(mut self, on: bool) -> Escalator {
        self.has_voice = on;
        self
    }

    /// Pages carry a personal link to the case's video room.
    pub fn with_video(mut self, video: Option<akutlinje_core::video::VideoConfig>) -> Escalator {
        self.video = video;
        self
    }

    /// Claims at most `n` steps at a time (default 200), so instances share work.
    pub fn with_batch(mut self, n: u32) -> Escalator {
        self.batch = n.max(1);
        self
    }

    /// An escalator paging through `service`'s rota, as worker `worker`.
    pub fn new(
        store: impl Into<Ports>,
        policies: Policies,
        service: ServiceId,
        def: Arc<Checklist>,
        loc: Arc<Localizer>,
        worker: impl Into<String>,
    ) -> Escalator {
        Escalator {
            db: store.into(),
            policies,
            service,
            def,
            loc,
            worker: worker.into(),
            lease: Duration::seconds(60),
            batch: 200,
            has_voice: false,
            video: None,
        }
    }

    /// Fires every escalation step and follow-up due at `now`; returns how
    /// many fired.
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<usize, SchedulerError> {
        let mut fired = 0;
        // Lateness is measured at the commit: `now` plus the tick's work so far.
        let started = std::time::Instant::now();
        loop {
            let claimed = self
                .db
                .outbox
                .claim_due_escalations(now, &self.worker, self.lease, self.batch)
                .await?;
            if claimed.is_empty() {
                break;
            }
            let rota = Rota::parse(self.db.rota.rota(&self.service).await?).map_err(|e| {
                SchedulerError::Rota {
                    service: self.service.clone(),
                    detail: e.to_string(),
                }
            })?;
            // What each step stores is worked out first (reads only), then the
            // whole batch is stored in one transaction: one write to disk for
            // up to `batch` steps rather than one each.
            // Side by side: each step's reads wait on the database, not on
            // each other.
            let rota = Arc::new(rota);
            let mut set = tokio::task::JoinSet::new();
            for (i, e) in claimed.into_iter().enumerate() {
                let (me, rota) = (self.clone(), rota.clone());
                set.spawn(async move { (i, me.prepare(&rota, e, now).await) });
            }
            let mut prepared = Vec::with_capacity(set.len());
            while let Some(r) = set.join_next().await {
                match r {
                    Ok((i, step)) => prepared.push((i, step?)),
                    Err(e) => return Err(SchedulerError::Task(e.to_string())),
                }
            }
            prepared.sort_by_key(|(i, _)| *i);
            let batch: Vec<FiredStep> = prepared.into_iter().map(|(_, s)| s).collect();
            let done = self
                .db
                .outbox
                .fire_escalations(&self.worker, &batch)
                .await?;
            let at =
                now + Duration::from_std(started.elapsed()).unwrap_or_else(|_| Duration::zero());
            for (step, fired_now) in batch.iter().zip(done) {
                if fired_now {
                    fired += 1;
                    let e = &step.claimed;
                    let late = (at - e.due_at).num_milliseconds().max(0) as f64 / 1000.0;
                    metrics::histogram!("akutlinje_escalation_lag_seconds").record(late);
                    tracing::info!(case = %e.case, urgency = e.urgency.as_str(), step = e.step, round = e.round, notifications = step.notifications.len(), "escalation step fired");
                }
            }
        }
        fired += self.tick_follow_ups(now).await?;
        Ok(fired)
    }

    /// When the next escalation step or follow-up is due.
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>, SchedulerError> {
        let a = self.db.outbox.next_escalation_due().await?;
        let b = self.db.outbox.next_follow_up_due().await?;
        Ok(match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        })
    }

    pub(super) async fn case_state(
        &self,
        case: CaseId,
    ) -> Result<Option<CaseState>, SchedulerError> {
        match self.db.record.engine_state(case).await {
            Ok(state) => Ok(state.map(|(s, _)| s)),
            // A page still goes out without the state's details.
            Err(StoreError::Corrupt(e)) => {
                tracing::warn!(case = %case, error = %e, "case state unreadable");
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// What firing one claimed step stores.
    async fn prepare(
        &self,
        rota: &Rota,
        e: Escalation,
        now: DateTime<Utc>,
    ) -> Result<FiredStep, SchedulerError> {
        let Some(policy) = self.policies.get(e.urgency) else {
            return Err(SchedulerError::Policy(format!(
                "no policy for urgency {}",
                e.urgency.as_str()
            )));
        };
        let state = self.case_state(e.case).await?;
        let lang = state.as_ref().map_or(Lang::Da, |s| s.lang);
        let fired = if e.step >= policy.steps.len() as u32 {
            self.exhausted(rota, policy, &e, state.as_ref(), lang, now)
        } else {
            self.page_step(rota, policy, &e, state.as_ref(), lang, now)
                .await?
        };
        let Fired {
            notifications,
            events,
            next,
        } = fired;
        Ok(FiredStep {
            claimed: e,
            next,
            notifications,
            events,
        })
    }

    /// The last wait is over: the coordinator on duty is alerted and the
    /// staff are told, in words, what to do now.
    fn exhausted(
        &self,
        rota: &Rota,
        policy: &Policy,
        e: &Escalation,
        state: Option<&CaseState>,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Fired {
        let mut notifications = Vec::new();
        let mut events = Vec::new();
        events.push(system_event(now, EventKind::EscalationExhausted));
        let coordinator = rota.on_call(&policy.alert_tier, now).map(|s| s.person);
        if let Some(p) = &coordinator {
            let text = self.alert_text(e, state, lang);
            notifications.push(self.notification(
                e.case,
                p.clone(),
                NotificationKind::Alert,
                &[
                    NotifyChannel::Matrix,
                    NotifyChannel::Sms,
                    NotifyChannel::Voice,
                ],
                text,
                now,
            ));
        }
        events.push(system_event(
            now,
            EventKind::CoordinatorAlerted {
                person: coordinator.clone(),
            },
        ));
        let staff = state.and_then(|s| s.caller.person.clone());
        if let (Some(p), Some(s)) = (&staff, state) {
            let id = if s.admission_ruled_out() {
                "escalation-exhausted-limited"
            } else {
                "escalation-exhausted"
            };
            let text = self.loc.render(lang, &Msg::new(id));
            notifications.push(self.notification(
                e.case,
                p.clone(),
                NotificationKind::StaffAdvice,
                &[NotifyChannel::Matrix, NotifyChannel::Sms],
                text,
                now,
            ));
        }
        events.push(system_event(now, EventKind::StaffAdvised { person: staff }));
        Fired {
            notifications,
            events,
            next: next_after(policy, e, now, true),
        }
    }

    /// One step of the policy: the person on call for its tier (or the
    /// person it names) is paged on every channel of the step at once, or,
    /// with nobody on call, the next step follows at once.
    async fn page_step(
        &self,
        rota: &Rota,
        policy: &Policy,
        e: &Escalation,
        state: Option<&CaseState>,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Result<Fired, SchedulerError> {
        let mut notifications = Vec::new();
        let mut events = Vec::new();
        let step = &policy.steps[e.step as usize];
        let who = match (&step.person, &step.tier) {
            (Some(p), _) => Some(p.clone()),
            (None, Some(tier)) => rota.on_call(tier, now).map(|seg| seg.person),
            (None, None) => None,
        };
        match who {
            Some(person) => {
                let alternatives = match state {
                    Some(s) => self.db.people.alternatives(&s.caller.home).await?,
                    None => Vec::new(),
                };
                let mut text = self.page_text(e, state, lang, &alternatives);
                // A personal link to the case's video room, recorded with
                // the page (the link row first: unused if the step is
                // fenced out, never an event for a page not sent).
                if let Some(video) = &self.video {
                    let random = uuid::Uuid::new_v4();
                    let room = match self.db.record.video_room(e.case).await? {
                        Some(r) => r,
                        None => {
                            akutlinje_core::video::fresh_name(uuid::Uuid::new_v5(&random, b"room"))
                        }
                    };
                    let token = akutlinje_core::video::fresh_name(random);
                    self.db
                        .record
                        .add_video_link(&token, e.case, Some(&person), &room, now)
                        .await?;
                    text.push_str("\n\n");
                    text.push_str(&self.loc.render(
                        lang,
                        &Msg::new("video-page-line").arg("link", video.personal_link(&token)),
                    ));
                    events.push(system_event(
                        now,
                        EventKind::VideoOffered {
                            person: Some(person.clone()),
                            url: video.room_url(&room),
                        },
                    ));
                }
                // A page goes out on every channel of the step at once
                // (docs/design.md § Urgency: "every channel"), each falling back to the
                // record. A caller waiting on the phone needs the
                // physician on the phone too: their case is also called.
                let mut channels = step.channels.clone();
                let by_phone = matches!(
                    self.db.record.case(e.case).await?.map(|c| c.channel),
                    Some(Channel::Twilio | Channel::Sip)
                );
                if by_phone && self.has_voice && !channels.contains(&NotifyChannel::Voice) {
                    channels.push(NotifyChannel::Voice);
                }
                for channel in &channels {
                    notifications.push(self.notification(
                        e.case,
                        person.clone(),
                        NotificationKind::Page,
                        &[*channel],
                        text.clone(),
                        now,
                    ));
                }
                let reason = if e.step == 0 && e.round == 0 {
                    "first_page"
                } else {
                    "no_acknowledgement"
                };
                events.push(system_event(
                    now,
                    EventKind::PageSent {
                        person,
                        tier: step.tier.clone(),
                        channels,
                        step: e.step,
                        round: e.round,
                        reason: reason.into(),
                    },
                ));
                Ok(Fired {
                    notifications,
                    events,
                    next: next_after(policy, e, now, true),
                })
            }
            None => {
                let tier = step
                    .tier
                    .clone()
                    .unwrap_or_else(|| policy.alert_tier.clone());
                events.push(system_event(
                    now,
                    EventKind::NobodyOnCall {
                        tier,
                        step: e.step,
                        round: e.round,
                    },
                ));
                Ok(Fired {
                    notifications,
                    events,
                    next: next_after(policy, e, now, false),
                })
            }
        }
    }

    /// One notification on the first channel; the others, then the record, as fall-over.
    pub(super) fn notification(
        &self,
        case: CaseId,
        person: PersonId,
        kind: NotificationKind,
        channels: &[NotifyChannel],
        text: String,
        now: DateTime<Utc>,
    ) -> NewNotification {
        let mut chain: Vec<NotifyChannel> = channels.to_vec();
        if !chain.contains(&NotifyChannel::Log) {
            chain.push(NotifyChannel::Log);
        }
        let channel = chain.remove(0);
        NewNotification {
            case: Some(case),
            person,
            kind,
            channel,
            fallback: chain,
            text,
            not_before: now,
        }
    }

    fn page_text(
        &self,
        e: &Escalation,
        state: Option<&CaseState>,
        lang: Lang,
        alternatives: &[akutlinje_core::alternatives::Alternative],
    ) -> String {
        let title = self.loc.render(
            lang,
            &Msg::new("escalation-page-title")
                .arg_msg("urgency", e.urgency.label())
                .arg("case", e.case),
        );
        let body = state
            .map(|s| s.isbar(&self.def).render(&self.loc, lang))
            .unwrap_or_default();
        let answer = self.loc.text(lang, "escalation-page-answer");
        // After a re-measurement that was worse, the trend comes first.
        let trend = state
            .and_then(|s| s.trend.as_deref())
            .filter(|t| t.is_worse())
            .map(|t| {
                self.loc.render(
                    lang,
                    &Msg::new("escalation-page-trend").arg_msg("trend", t.line()),
                )
            });
        // The ISBAR's footer: the municipal alternatives of the home.
        let mut footer = String::new();
        if !alternatives.is_empty() {
            footer.push_str("\n\n");
            footer.push_str(&self.loc.text(lang, "alternatives-title"));
            for a in alternatives {
                footer.push_str("\n• ");
                footer.push_str(&self.loc.render(lang, &a.line()));
            }
        }
        match trend {
            Some(t) => format!("{title}\n{t}\n{answer}\n\n{body}{footer}"),
            None => format!("{title}\n{answer}\n\n{body}{footer}"),
        }
    }

    fn alert_text(&self, e: &Escalation, state: Option<&CaseState>, lang: Lang) -> String {
        let home = state
            .map(|s| s.caller.home_name.clone())
            .unwrap_or_default();
        self.loc.render(
            lang,
            &Msg::new("escalation-alert")
                .arg("home", home)
                .arg_msg("urgency", e.urgency.label())
                .arg("case", e.case),
        )
    }
}

/// What firing a step stores, in one transaction.
struct Fired {
    notifications: Vec<NewNotification>,
    events: Vec<NewEvent>,
    next: EscalationNext,
}
