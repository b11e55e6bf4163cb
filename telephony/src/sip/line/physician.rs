//! The physician's side of a nurse's call: waiting for the physician who
//! takes the page, the two joined, the menu after the talk (a re-measure
//! order by keys), and an unknown caller put straight through.

use super::*;

impl Line {
    /// The case is paged: the caller waits, hearing where the page stands,
    /// until the physician who takes it is put through.
    pub(super) async fn wait_for_physician(
        &self,
        talk: &mut Talk,
        case: CaseId,
        state: &CaseState,
    ) -> Result<(), Fault> {
        let intro = if state.admission_ruled_out() {
            "ivr-conference-intro-limited"
        } else {
            "ivr-conference-intro"
        };
        let (tx, mut rx) = oneshot::channel();
        lock(&self.0.waiting).insert(case, tx);
        let waited = async {
            let mut next = intro;
            loop {
                let audio = self.msg(next)?;
                tokio::select! {
                    said = talk.say(&audio) => { said?; }
                    physician = &mut rx => return Ok(physician.ok()),
                }
                tokio::select! {
                    k = talk.key(self.0.settings.wait_gap) => { k?; }
                    physician = &mut rx => return Ok(physician.ok()),
                }
                next = self.wait_prompt(case).await;
            }
        }
        .await;
        lock(&self.0.waiting).remove(&case);
        let physician: Option<Placed> = match waited {
            Ok(p) => p,
            Err(e) => {
                return Err(e);
            }
        };
        let Some(physician) = physician else {
            return Ok(());
        };
        self.join(talk, Some(case), physician).await
    }

    /// What a waiting caller hears next, from where the page stands.
    pub(super) async fn wait_prompt(&self, case: CaseId) -> &'static str {
        let h = &self.0.hotline;
        let state = h.escalation(case).await.ok().flatten().map(|e| e.state);
        let limited = h
            .case_state(case)
            .await
            .is_ok_and(|s| s.admission_ruled_out());
        match (state, limited) {
            (Some(EscalationState::Acknowledged), _) => "ivr-wait-acknowledged",
            (Some(EscalationState::Exhausted), false) => "ivr-wait-exhausted",
            (Some(EscalationState::Exhausted), true) => "ivr-wait-exhausted-limited",
            (_, false) => "ivr-wait-calling",
            (_, true) => "ivr-wait-calling-limited",
        }
    }

    /// Relays audio between the caller and the physician until either
    /// hangs up.
    pub(super) async fn join(
        &self,
        talk: &mut Talk,
        case: Option<CaseId>,
        mut physician: Placed,
    ) -> Result<(), Fault> {
        let stop = tokio_util::sync::CancellationToken::new();
        let (caller_gone, physician_gone) = (talk.hangup.clone(), physician.hangup.clone());
        let watch = stop.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = caller_gone.cancelled() => {}
                () = physician_gone.cancelled() => {}
            }
            watch.cancel();
        });
        tracing::info!("caller and physician joined");
        let relayed = media::bridge(&mut talk.media, &mut physician.media, stop).await;
        if let Err(e) = relayed {
            tracing::warn!(error = %e, "the bridge between caller and physician failed");
        }
        // The caller hung up and the physician is still on the line: the
        // menu after the talk (a re-measure order by keys) on a case.
        if let (Some(case), false) = (case, physician.hangup.is_cancelled()) {
            let (mut doctor, dialog) = talk_of(physician);
            if let Err(e) = self.after_talk(case, &mut doctor, None).await {
                tracing::debug!(error = %e, "the menu after the talk ended");
            }
            placed_of(doctor, dialog).end().await;
            return Ok(());
        }
        physician.end().await;
        Ok(())
    }

    /// The physician's menu after the talk: "3, the minutes, #" orders a
    /// re-measurement, said back; anything else, or nothing, ends the call.
    /// `early` is a key pressed before the menu was said (the physician who
    /// knows it need not wait for it).
    pub(super) async fn after_talk(
        &self,
        case: CaseId,
        doctor: &mut Talk,
        early: Option<char>,
    ) -> Result<(), Fault> {
        let h = &self.0.hotline;
        let Some(who) = h.acknowledged_by(case).await? else {
            return Ok(());
        };
        let Some(who) = self.0.db.people.person(&who).await? else {
            return Ok(());
        };
        let first = match early {
            Some(k) => Some(k),
            None => self.say_id(doctor, "ivr-page-after").await?,
        };
        let digits = doctor.keys(first, Some(6)).await?;
        let Some(minutes) = akutlinje_core::reply::remeasure_by_keys(&digits) else {
            self.say_id(doctor, "ivr-goodbye").await?;
            return Ok(());
        };
        h.order_remeasure(case, &who, Channel::Sip.into(), minutes, Utc::now())
            .await?;
        tracing::info!(case = %case, minutes, "re-measurement ordered by SIP");
        let said = Msg::new("ivr-page-remeasure-ordered").arg("minutes", minutes);
        doctor.say(&self.audio(&Utterance::Msg(said))?).await?;
        Ok(())
    }

    /// Rings the physicians on call, first to last, and joins the first who
    /// answers to the caller. Nothing about a resident is said.
    pub(super) async fn put_through(&self, talk: &mut Talk) -> Result<(), Fault> {
        for physician in self.0.oncall.physicians(Utc::now()).await {
            let Some(target) = self.target(&physician) else {
                continue;
            };
            let dialled = tokio::select! {
                () = talk.hangup.cancelled() => return Err(Ended.into()),
                d = self.0.dialer.dial(&target, &self.0.settings.from_user, self.0.settings.ring) => d,
            };
            match dialled {
                Ok(placed) => return self.join(talk, None, placed).await,
                Err(e) => {
                    tracing::info!(person = %physician.id, reason = %e, "physician on call not reached")
                }
            }
        }
        self.say_id(talk, "ivr-unknown-nobody").await?;
        Ok(())
    }

    /// The SIP address a person is paged at.
    pub(super) fn target(&self, p: &Person) -> Option<String> {
        let phone = p.phone.as_ref()?;
        let e164 = phone.e164();
        let national = e164.strip_prefix("+45").unwrap_or(e164);
        Some(
            self.0
                .settings
                .dial
                .replace("{number}", e164)
                .replace("{national}", national),
        )
    }
}

/// A placed call as something to talk on, and its dialog to end it with.
pub(super) fn talk_of(placed: Placed) -> (Talk, Option<crate::sip::trunk::InviteDialogHandle>) {
    let Placed {
        media,
        hangup,
        info_keys,
        dialog,
    } = placed;
    (
        Talk {
            media,
            hangup,
            info_keys,
        },
        dialog,
    )
}

/// The call back from [`talk_of`], to hand on or to end.
pub(super) fn placed_of(
    talk: Talk,
    dialog: Option<crate::sip::trunk::InviteDialogHandle>,
) -> Placed {
    Placed {
        media: talk.media,
        hangup: talk.hangup,
        info_keys: talk.info_keys,
        dialog,
    }
}
