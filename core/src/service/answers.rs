//! What physicians and staff add to a case after the checklist: answers
//! to the page, decisions, notes and corrections, voice notes.

use super::*;

impl Hotline {
    /// A physician acknowledges (or declines) the page of a case. Stops (or
    /// hurries) the escalation; a late acknowledgement is still recorded.
    /// Returns whether a pending escalation changed.
    pub async fn respond_to_page(
        &self,
        case: CaseId,
        who: &Person,
        channel: Channel,
        decline: bool,
        external_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool, ServiceError> {
        let Some(summary) = self.store.case(case).await? else {
            return Err(ServiceError::UnknownCase);
        };
        // Only the physician this case paged may acknowledge or decline it;
        // a coordinator may take a page over (never decline one), and the
        // record says so. Anyone else: as if the case did not exist.
        let takeover = match who.role {
            crate::person::Role::Physician => {
                if !self.store.was_paged(case, &who.id).await? {
                    tracing::warn!(case = %case, person = %who.id, "answer to a page not sent to this physician refused");
                    return Err(ServiceError::NotAllowed);
                }
                false
            }
            crate::person::Role::Coordinator if !decline && who.may_read_home(&summary.home) => {
                true
            }
            _ => return Err(ServiceError::NotAllowed),
        };
        let kind = if decline {
            EventKind::PageDeclined {
                person: who.id.clone(),
            }
        } else {
            EventKind::PageAcknowledged {
                person: who.id.clone(),
                takeover,
            }
        };
        let event = NewEvent {
            at: now,
            author: Author {
                person: Some(who.id.clone()),
                role: Some(who.role),
            },
            channel,
            kind,
            corrects: None,
            external_id: external_id.map(str::to_string),
        };
        let changed = self.store.respond_to_page(case, &event, decline).await?;
        if changed {
            self.escalation_changed();
        }
        tracing::info!(case = %case, person = %who.id, decline, changed, "page answered");
        Ok(changed)
    }

    /// A physician records their decision on a case.
    pub async fn record_disposition(
        &self,
        case: CaseId,
        who: &Person,
        via: Via<'_>,
        disposition: crate::escalation::Disposition,
        advice: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<i64, ServiceError> {
        if who.role != crate::person::Role::Physician {
            return Err(ServiceError::NotAllowed);
        }
        if self.store.case(case).await?.is_none() {
            return Err(ServiceError::UnknownCase);
        }
        let advice = match advice.map(str::trim).filter(|a| !a.is_empty()) {
            Some(a) => Some(
                Text::parse("advice", a, 4000)
                    .map_err(|e| ServiceError::BadInput(e.to_string()))?,
            ),
            None => None,
        };
        let event = NewEvent {
            at: now,
            author: Author {
                person: Some(who.id.clone()),
                role: Some(who.role),
            },
            channel: via.channel,
            kind: EventKind::DispositionRecorded {
                disposition,
                advice,
            },
            corrects: None,
            external_id: via.external_id.map(str::to_string),
        };
        let seq = self.store.append_event(case, &event).await?;
        self.relay_advice_by_sms(case, seq, now).await?;
        // The municipal acute team: the record holds whom staff are told to call.
        if disposition == crate::escalation::Disposition::MunicipalAcuteTeam {
            for a in self.acute_teams_of_case(case).await? {
                let e = NewEvent {
                    at: now,
                    author: Author::system(),
                    channel: via.channel,
                    kind: EventKind::AlternativeAdvised {
                        name: a.name.clone(),
                        phone: a.phone.e164().to_string(),
                    },
                    corrects: None,
                    external_id: None,
                };
                self.store.append_event(case, &e).await?;
            }
        }
        Ok(seq)
    }

    /// The municipal alternatives of the case's home, in their order.
    pub async fn alternatives_of_case(
        &self,
        case: CaseId,
    ) -> Result<Vec<crate::alternatives::Alternative>, ServiceError> {
        let Some(summary) = self.store.case(case).await? else {
            return Err(ServiceError::UnknownCase);
        };
        Ok(self.store.alternatives(&summary.home).await?)
    }

    /// Whom staff call when the decision is the municipal acute team: the
    /// home's acute teams, or every alternative when it lists none.
    pub async fn acute_teams_of_case(
        &self,
        case: CaseId,
    ) -> Result<Vec<crate::alternatives::Alternative>, ServiceError> {
        let all = self.alternatives_of_case(case).await?;
        let teams: Vec<_> = all
            .iter()
            .filter(|a| a.kind == crate::alternatives::AlternativeKind::AcuteTeam)
            .cloned()
            .collect();
        Ok(if teams.is_empty() { all } else { teams })
    }

    /// A physician orders a re-measurement in `minutes`: recorded with its
    /// due time, which starts the durable reminders (see `crate::followup`).
    /// Returns the due time.
    pub async fn order_remeasure(
        &self,
        case: CaseId,
        who: &Person,
        via: Via<'_>,
        minutes: u32,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, ServiceError> {
        if who.role != crate::person::Role::Physician {
            return Err(ServiceError::NotAllowed);
        }
        if !(1..=crate::reply::REMEASURE_MAX_MINUTES).contains(&minutes) {
            return Err(ServiceError::BadInput(format!(
                "a re-measurement is ordered 1 to {} minutes ahead",
                crate::reply::REMEASURE_MAX_MINUTES
            )));
        }
        if self.store.case(case).await?.is_none() {
            return Err(ServiceError::UnknownCase);
        }
        let due_at = now + chrono::Duration::minutes(i64::from(minutes));
        let event = NewEvent {
            at: now,
            author: Author {
                person: Some(who.id.clone()),
                role: Some(who.role),
            },
            channel: via.channel,
            kind: EventKind::RemeasureOrdered { minutes, due_at },
            corrects: None,
            external_id: via.external_id.map(|x| format!("{x}#remeasure")),
        };
        self.store.append_event(case, &event).await?;
        self.escalation_changed();
        tracing::info!(case = %case, minutes, "re-measurement ordered");
        Ok(due_at)
    }

    /// A personal link to the case's video room for `who` (staff of the
    /// home, or a physician), made from `random` (a fresh v4 UUID): the room
    /// is the case's own, made on first use. `None` when video is not set up.
    pub async fn offer_video(
        &self,
        case: CaseId,
        who: &Person,
        via: Via<'_>,
        random: uuid::Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, ServiceError> {
        let Some(video) = &self.video else {
            return Ok(None);
        };
        let Some(summary) = self.store.case(case).await? else {
            return Err(ServiceError::UnknownCase);
        };
        if !who.may_read_home(&summary.home) {
            return Err(ServiceError::UnknownCase);
        }
        let room = match self.store.video_room(case).await? {
            Some(r) => r,
            None => crate::video::fresh_name(uuid::Uuid::new_v5(&random, b"room")),
        };
        let token = crate::video::fresh_name(random);
        self.store
            .add_video_link(&token, case, Some(&who.id), &room, now)
            .await?;
        let mut e = self.event(
            EventKind::VideoOffered {
                person: Some(who.id.clone()),
                url: video.room_url(&room),
            },
            who,
            via.channel,
            now,
        );
        e.author = Author {
            person: Some(who.id.clone()),
            role: Some(who.role),
        };
        e.external_id = via.external_id.map(|x| format!("{x}#video"));
        self.store.append_event(case, &e).await?;
        Ok(Some(video.personal_link(&token)))
    }

    /// Someone opened a personal video link: recorded with who and when;
    /// the room's URL to send them to. `None` for an unknown token.
    pub async fn open_video(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, ServiceError> {
        let Some(video) = &self.video else {
            return Ok(None);
        };
        // A token is 32 hex digits; anything else is not looked up.
        if token.len() != 32 || !token.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let Some((case, person, room)) = self.store.video_link(token).await? else {
            return Ok(None);
        };
        let role = match &person {
            Some(p) => self.store.person(p).await?.map(|x| x.role),
            None => None,
        };
        let e = NewEvent {
            at: now,
            author: Author {
                person: person.clone(),
                role,
            },
            channel: Channel::Web,
            kind: EventKind::VideoOpened { person },
            corrects: None,
            external_id: None,
        };
        self.store.append_event(case, &e).await?;
        Ok(Some(video.room_url(&room)))
    }

    /// The case of the caller's home whose re-measure order waits for values
    /// (opened within the last day), with the resident's room: what a nurse
    /// calling back is offered before a new case.
    pub async fn pending_remeasure(
        &self,
        who: &Person,
        now: DateTime<Utc>,
    ) -> Result<Option<(CaseId, Option<String>)>, ServiceError> {
        let Some(home) = who.home.clone() else {
            return Ok(None);
        };
        let since = now - chrono::Duration::hours(24);
        let Some(case) = self
            .store
            .pending_follow_ups(crate::followup::FollowUpKind::Remeasure, &home, since)
            .await?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        let room = self
            .store
            .engine_state(case)
            .await?
            .and_then(|(s, _)| s.resident.map(|r| r.room.to_string()));
        Ok(Some((case, room)))
    }

    /// The cases of the caller's home whose advice waits for a read-back
    /// (opened within the last day), earliest first.
    pub async fn pending_readbacks(
        &self,
        who: &Person,
        now: DateTime<Utc>,
    ) -> Result<Vec<CaseId>, ServiceError> {
        let Some(home) = who.home.clone() else {
            return Ok(Vec::new());
        };
        Ok(self
            .store
            .pending_follow_ups(
                crate::followup::FollowUpKind::Readback,
                &home,
                now - chrono::Duration::hours(24),
            )
            .await?)
    }

    /// The physician's last advice on a case as the staff read it (the
    /// decision and its words, or words alone), if any.
    pub async fn last_advice(
        &self,
        case: CaseId,
        lang: crate::i18n::Lang,
    ) -> Result<Option<String>, ServiceError> {
        let events = self.store.events(case).await?;
        Ok(crate::sentences::last_advice(&self.loc, lang, &events))
    }

    /// Staff confirm the physician's advice (read-back) outside the chat
    /// thread (the API, the web page): recorded with who and when, which
    /// ends the read-back reminders.
    pub async fn confirm_advice(
        &self,
        case: CaseId,
        who: &Person,
        via: Via<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64, ServiceError> {
        let Some(summary) = self.store.case(case).await? else {
            return Err(ServiceError::UnknownCase);
        };
        if !who.may_read_home(&summary.home) {
            return Err(ServiceError::UnknownCase);
        }
        if who.role != crate::person::Role::Staff {
            return Err(ServiceError::NotAllowed);
        }
        let mut e = self.event(EventKind::AdviceConfirmed, who, via.channel, now);
        e.external_id = via.external_id.map(str::to_string);
        Ok(self.store.append_event(case, &e).await?)
    }

    /// Adds a note, or a correction of event `corrects`, to a case.
    pub async fn annotate(
        &self,
        case: CaseId,
        who: &Person,
        via: Via<'_>,
        text: &str,
        corrects: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<i64, ServiceError> {
        let text =
            Text::parse("text", text, 4000).map_err(|e| ServiceError::BadInput(e.to_string()))?;
        let Some(summary) = self.store.case(case).await? else {
            return Err(ServiceError::UnknownCase);
        };
        if !who.may_read_home(&summary.home) {
            return Err(ServiceError::UnknownCase);
        }
        if let Some(seq) = corrects {
            if !self.store.events(case).await?.iter().any(|e| e.seq == seq) {
                return Err(ServiceError::BadInput(format!(
                    "event {seq} is not part of this case"
                )));
            }
        }
        let kind = if corrects.is_some() {
            EventKind::Correction { text }
        } else {
            EventKind::Note { text }
        };
        let mut e = self.event(kind, who, via.channel, now);
        e.corrects = corrects;
        e.external_id = via.external_id.map(str::to_string);
        let seq = self.store.append_event(case, &e).await?;
        if who.role == crate::person::Role::Physician && corrects.is_none() {
            self.relay_advice_by_sms(case, seq, now).await?;
        }
        Ok(seq)
    }

    /// A phone case's nurse reads the physician's advice nowhere else: it
    /// goes to them by SMS (queued once per piece of advice), with how to
    /// confirm it — «FORSTÅET» and the case's code back, or a call and 1.
    async fn relay_advice_by_sms(
        &self,
        case: CaseId,
        seq: i64,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let Some(summary) = self.store.case(case).await? else {
            return Ok(());
        };
        if !matches!(summary.channel, Channel::Twilio | Channel::Sip) {
            return Ok(());
        }
        let Some(nurse) = summary.opened_by.clone() else {
            return Ok(());
        };
        let lang = self
            .store
            .engine_state(case)
            .await?
            .map_or(Lang::Da, |(s, _)| s.lang);
        let advice = self.last_advice(case, lang).await?.unwrap_or_default();
        let text = self.loc.render(
            lang,
            &crate::i18n::Msg::new("followup-advice-phone")
                .arg("code", case.code())
                .arg("advice", advice),
        );
        let n = crate::escalation::NewNotification {
            case: Some(case),
            person: nurse,
            kind: crate::escalation::NotificationKind::FollowUp,
            channel: crate::escalation::NotifyChannel::Sms,
            fallback: vec![
                crate::escalation::NotifyChannel::Matrix,
                crate::escalation::NotifyChannel::Log,
            ],
            text,
            not_before: now,
        };
        self.store
            .enqueue_once(&format!("advice-sms:{case}:{seq}"), &[n], now)
            .await?;
        self.escalation_changed();
        Ok(())
    }

    /// Stores a recording (a voice note) with a case, with the event that
    /// points at it, in one transaction. A redelivered `external_id` stores
    /// nothing ([`StoreError::Duplicate`]).
    pub async fn attach_audio(
        &self,
        case: CaseId,
        who: &Person,
        channel: Channel,
        audio: &crate::store::NewAttachment,
        duration_ms: Option<u64>,
        now: DateTime<Utc>,
    ) -> Result<(i64, i64), ServiceError> {
        let Some(summary) = self.store.case(case).await? else {
            return Err(ServiceError::UnknownCase);
        };
        if !who.may_read_home(&summary.home) {
            return Err(ServiceError::UnknownCase);
        }
        if audio.data.is_empty() {
            return Err(ServiceError::BadInput("the recording is empty".into()));
        }
        let kind = EventKind::AudioAttached {
            attachment: 0,
            mime: audio.mime.clone(),
            bytes: audio.data.len() as u64,
            duration_ms,
        };
        let mut e = self.event(kind, who, channel, now);
        e.external_id = audio.external_id.clone();
        let (id, seq) = self.store.attach(case, audio, &e).await?;
        tracing::info!(case = %case, attachment = id, bytes = audio.data.len(), "audio attached");
        if let Some(f) = &self.audio_attached {
            f();
        }
        Ok((id, seq))
    }
}
