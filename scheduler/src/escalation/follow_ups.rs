//! Firing follow-ups after the advice (`akutlinje_core::followup`): the
//! read-back and re-measure orders, claimed and fenced like escalation steps.
//!
//! Read-back: 5 minutes without "forstået" → the advice is sent to the staff
//! again and the physician told; 10 more → the coordinator on duty.
//! Re-measure: at the due time the staff are reminded with the last values,
//! again after 15 minutes, and 30 minutes after the first reminder the
//! coordinator is alerted and the physician told. A re-measurement that was
//! not worse reaches the physician as a quiet note with the trend.

use akutlinje_core::followup::{FollowUp, FollowUpKind, STAGE_REPORT};
use akutlinje_core::record::CaseEvent;

use super::*;

impl Escalator {
    /// Fires every follow-up due at `now`; returns how many fired.
    pub(super) async fn tick_follow_ups(
        &self,
        now: DateTime<Utc>,
    ) -> Result<usize, SchedulerError> {
        let mut fired = 0;
        loop {
            let claimed = self
                .db
                .outbox
                .claim_due_follow_ups(now, &self.worker, self.lease, self.batch)
                .await?;
            if claimed.is_empty() {
                return Ok(fired);
            }
            let rota = Rota::parse(self.db.rota.rota(&self.service).await?).map_err(|e| {
                SchedulerError::Rota {
                    service: self.service.clone(),
                    detail: e.to_string(),
                }
            })?;
            // Worked out one by one, stored in one transaction (see `tick`).
            let mut batch = Vec::with_capacity(claimed.len());
            for f in claimed {
                batch.push(self.prepare_follow_up(&rota, f, now).await?);
            }
            let done = self.db.outbox.fire_follow_ups(&self.worker, &batch).await?;
            for (f, fired_now) in batch.iter().zip(done) {
                if fired_now {
                    fired += 1;
                    let c = &f.claimed;
                    tracing::info!(case = %c.case, kind = c.kind.as_str(), stage = c.stage, notifications = f.notifications.len(), "follow-up fired");
                }
            }
        }
    }

    /// What firing one claimed follow-up stores.
    async fn prepare_follow_up(
        &self,
        rota: &Rota,
        f: FollowUp,
        now: DateTime<Utc>,
    ) -> Result<FiredFollowUp, SchedulerError> {
        let state = self.case_state(f.case).await?;
        let events = self.db.record.events(f.case).await?;
        let lang = state.as_ref().map_or(Lang::Da, |s| s.lang);
        let physician = f.person.clone().or_else(|| answered_by(&events));
        let staff = state.as_ref().and_then(|s| s.caller.person.clone());
        let home = state
            .as_ref()
            .map(|s| s.caller.home_name.clone())
            .unwrap_or_default();
        let coordinator = self
            .policies
            .get(Urgency::Red)
            .and_then(|p| rota.on_call(&p.alert_tier, now))
            .map(|s| s.person);
        let code = f.case.code();
        let by_phone = matches!(
            self.db.record.case(f.case).await?.map(|c| c.channel),
            Some(akutlinje_core::record::Channel::Twilio | akutlinje_core::record::Channel::Sip)
        );
        let minutes = (now - f.started_at).num_minutes().max(0);
        let say = |m: Msg| self.loc.render(lang, &m.arg("code", code.as_str()));
        let mut notifications = Vec::new();
        let mut to = |person: &Option<PersonId>, text: String, channels: &[NotifyChannel]| {
            if let Some(p) = person {
                notifications.push(self.notification(
                    f.case,
                    p.clone(),
                    NotificationKind::FollowUp,
                    channels,
                    text,
                    now,
                ));
            }
        };
        let staff_channels = [NotifyChannel::Matrix, NotifyChannel::Sms];
        let alert_channels = [
            NotifyChannel::Matrix,
            NotifyChannel::Sms,
            NotifyChannel::Voice,
        ];
        let mut recorded = Vec::new();
        match (f.kind, f.stage) {
            (FollowUpKind::Readback, 0) => {
                let advice = akutlinje_core::sentences::last_advice(&self.loc, lang, &events)
                    .unwrap_or_default();
                let (id, channels): (&str, &[NotifyChannel]) = if by_phone {
                    (
                        "followup-readback-resend-phone",
                        &[NotifyChannel::Sms, NotifyChannel::Matrix],
                    )
                } else {
                    ("followup-readback-resend", &staff_channels)
                };
                to(&staff, say(Msg::new(id).arg("advice", advice)), channels);
                to(
                    &physician,
                    say(Msg::new("followup-readback-physician").arg("minutes", minutes)),
                    &staff_channels,
                );
                recorded.push(EventKind::AdviceUnconfirmed { stage: 0 });
            }
            (FollowUpKind::Readback, _) => {
                to(
                    &coordinator,
                    say(Msg::new("followup-readback-coordinator")
                        .arg("home", home.as_str())
                        .arg("minutes", minutes)),
                    &alert_channels,
                );
                recorded.push(EventKind::AdviceUnconfirmed { stage: f.stage });
                recorded.push(EventKind::CoordinatorAlerted {
                    person: coordinator.clone(),
                });
            }
            (FollowUpKind::Remeasure, STAGE_REPORT) => {
                let trend = state
                    .as_ref()
                    .and_then(|s| s.trend.as_ref())
                    .map(|t| self.loc.render(lang, &t.line()))
                    .unwrap_or_default();
                to(
                    &physician,
                    say(Msg::new("followup-trend-note").arg("trend", trend)),
                    &staff_channels,
                );
                if let Some(p) = &physician {
                    recorded.push(EventKind::TrendReported { person: p.clone() });
                }
            }
            (FollowUpKind::Remeasure, stage @ (0 | 1)) => {
                let values = state
                    .as_ref()
                    .map(|s| akutlinje_core::isbar::vitals_text(&self.loc, lang, &s.vitals))
                    .unwrap_or_default();
                // A phone case: an SMS first, and the nurse calls back.
                let id = match (stage, by_phone) {
                    (0, false) => "followup-remeasure-due",
                    (_, false) => "followup-remeasure-again",
                    (0, true) => "followup-remeasure-due-phone",
                    (_, true) => "followup-remeasure-again-phone",
                };
                let channels: &[NotifyChannel] = if by_phone {
                    &[NotifyChannel::Sms, NotifyChannel::Matrix]
                } else {
                    &staff_channels
                };
                to(&staff, say(Msg::new(id).arg("values", values)), channels);
                // A phone case is also rung at the due time: the nurse
                // keys her PIN and the new values on that call.
                if by_phone && stage == 0 {
                    to(
                        &staff,
                        say(Msg::new("ivr-remeasure-call-intro")),
                        &[NotifyChannel::Voice],
                    );
                }
                recorded.push(EventKind::RemeasureReminded { stage });
            }
            (FollowUpKind::Remeasure, stage) => {
                to(
                    &coordinator,
                    say(Msg::new("followup-remeasure-coordinator").arg("home", home.as_str())),
                    &alert_channels,
                );
                to(
                    &physician,
                    say(Msg::new("followup-remeasure-physician")),
                    &staff_channels,
                );
                recorded.push(EventKind::RemeasureReminded { stage });
                recorded.push(EventKind::CoordinatorAlerted {
                    person: coordinator.clone(),
                });
            }
        }
        let events: Vec<NewEvent> = recorded.into_iter().map(|k| system_event(now, k)).collect();
        Ok(FiredFollowUp {
            next: f.next(now),
            claimed: f,
            notifications,
            events,
        })
    }
}

/// The physician who last answered the page (not a coordinator taking it
/// over), else the last one paged.
fn answered_by(events: &[CaseEvent]) -> Option<PersonId> {
    events
        .iter()
        .rev()
        .find_map(|e| match &e.event.kind {
            EventKind::PageAcknowledged {
                person,
                takeover: false,
            } => Some(person.clone()),
            _ => None,
        })
        .or_else(|| {
            events.iter().rev().find_map(|e| match &e.event.kind {
                EventKind::PageSent { person, .. } => Some(person.clone()),
                _ => None,
            })
        })
}
