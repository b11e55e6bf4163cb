//! Pages by SIP: the physician hears the case without names and presses 1
//! or 2; the voice channel of the outbox through the bridge, for everyone
//! or chosen per person by number.

use super::*;

impl Line {
    /// A page call to `to`: the case without names, 1 to take it, 2 to
    /// decline; taken, the physician is joined to the waiting caller.
    async fn page_call(&self, case: CaseId, call: String, to: Person, placed: Placed) {
        let (mut talk, dialog) = talk_of(placed);
        let outcome = self.page_menu(case, &call, &to, &mut talk).await;
        let status = match &outcome {
            Ok(PageOutcome::Accepted) => "accepted",
            Ok(PageOutcome::Declined) => "declined",
            Ok(PageOutcome::NoKey) => "no-key",
            Ok(PageOutcome::Taken) => "taken",
            Err(Fault::Ended(_)) => "hung-up",
            Err(e) => {
                tracing::error!(error = %e, "page call failed");
                "failed"
            }
        };
        let _ = self
            .status_event(case, "physician", &call, status, None)
            .await;
        if matches!(outcome, Ok(PageOutcome::Accepted)) {
            let waiting = lock(&self.0.waiting).remove(&case);
            match waiting {
                Some(caller) => {
                    let joined = placed_of(talk, dialog);
                    if let Err(back) = caller.send(joined) {
                        // The caller hung up just now.
                        back.end().await;
                    }
                    return;
                }
                None => {
                    let early = self
                        .say_id(&mut talk, "ivr-page-acknowledged")
                        .await
                        .ok()
                        .flatten();
                    if let Err(e) = self.after_talk(case, &mut talk, early).await {
                        tracing::debug!(error = %e, "the menu after the page ended");
                    }
                }
            }
        }
        placed_of(talk, dialog).end().await;
    }

    /// A reminder call the hotline placed to a nurse: said why, then on as
    /// a call in from her (the PIN first: nothing about a resident before).
    async fn reminder_call(&self, call: String, to: Person, placed: Placed) {
        let (mut talk, dialog) = talk_of(placed);
        let home = match &to.home {
            Some(h) => self.0.db.people.home(h).await.ok().flatten(),
            None => None,
        };
        if let Some(home) = home {
            if let Err(e) = self
                .identified(&call, &mut talk, to, home, "ivr-remeasure-call-pin")
                .await
            {
                tracing::debug!(error = %e, "the reminder call ended");
            }
        }
        placed_of(talk, dialog).end().await;
    }

    async fn page_menu(
        &self,
        case: CaseId,
        call: &str,
        to: &Person,
        talk: &mut Talk,
    ) -> Result<PageOutcome, Fault> {
        let h = &self.0.hotline;
        let state = h.case_state(case).await?;
        let summary = self.audio(&Utterance::Msg(state.spoken_page(h.checklist())))?;
        let keys = self.msg("ivr-page-keys")?;
        // The physician hears where and how urgent, with the room: a read.
        self.log_read(case, to, "page").await?;
        let mut pressed = talk.say(&summary).await?;
        for _ in 0..3 {
            if pressed.is_none() {
                pressed = talk.say(&keys).await?;
            }
            if pressed.is_none() {
                pressed = talk.key(crate::sip::talk::FIRST_KEY).await?;
            }
            match pressed.take() {
                Some('1') => {
                    let before = h.escalation(case).await?.map(|e| e.state);
                    h.respond_to_page(
                        case,
                        to,
                        Channel::Sip,
                        false,
                        Some(&format!("{call}:answer")),
                        Utc::now(),
                    )
                    .await?;
                    if before == Some(EscalationState::Acknowledged)
                        && h.acknowledged_by(case).await?.as_ref() != Some(&to.id)
                    {
                        self.say_id(talk, "ivr-page-taken").await?;
                        return Ok(PageOutcome::Taken);
                    }
                    if lock(&self.0.waiting).contains_key(&case) {
                        self.say_id(talk, "ivr-page-connecting").await?;
                    }
                    return Ok(PageOutcome::Accepted);
                }
                Some('2') => {
                    h.respond_to_page(
                        case,
                        to,
                        Channel::Sip,
                        true,
                        Some(&format!("{call}:decline")),
                        Utc::now(),
                    )
                    .await?;
                    self.say_id(talk, "ivr-page-declined").await?;
                    return Ok(PageOutcome::Declined);
                }
                _ => {}
            }
        }
        self.say_id(talk, "ivr-page-no-answer").await?;
        Ok(PageOutcome::NoKey)
    }
}

enum PageOutcome {
    Accepted,
    Declined,
    NoKey,
    Taken,
}

/// Which voice pages go through the bridge: everyone's, or those whose
/// number starts with one of these prefixes (the hospital's own ranges;
/// everyone else by Twilio).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SipPages {
    /// Every voice page.
    All,
    /// Pages to numbers starting with one of these (E.164, `+45…`).
    Prefixes(Vec<String>),
}

impl SipPages {
    /// Whether a page to `to` goes through the bridge.
    pub fn takes(&self, to: &Person) -> bool {
        match self {
            SipPages::All => true,
            SipPages::Prefixes(p) => to
                .phone
                .as_ref()
                .is_some_and(|n| p.iter().any(|pre| n.e164().starts_with(pre.as_str()))),
        }
    }
}

/// The voice channel when some physicians are paged through the bridge and
/// the others through Twilio, chosen per person by their number.
#[derive(Debug, Clone)]
pub struct VoiceByNumber {
    /// Pages through the bridge.
    pub sip: SipPager,
    /// Every other voice page.
    pub other: crate::VoiceSender,
    /// Which go through the bridge.
    pub rule: SipPages,
}

#[async_trait::async_trait]
impl Sender for VoiceByNumber {
    fn channel(&self) -> NotifyChannel {
        NotifyChannel::Voice
    }

    async fn send(&self, n: &Notification, to: &Person) -> Result<Option<String>, SendError> {
        if self.rule.takes(to) {
            self.sip.send(n, to).await
        } else {
            self.other.send(n, to).await
        }
    }
}

/// Pages (and alerts) by calling through the SIP bridge: the voice channel
/// of the outbox where a site pages over its own phone system.
#[derive(Clone)]
pub struct SipPager {
    pub(super) line: Line,
    pub(super) runtime: tokio::runtime::Handle,
}

impl std::fmt::Debug for SipPager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SipPager").finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl Sender for SipPager {
    fn channel(&self) -> NotifyChannel {
        NotifyChannel::Voice
    }

    async fn send(&self, n: &Notification, to: &Person) -> Result<Option<String>, SendError> {
        let Some(target) = self.line.target(to) else {
            return Err(SendError {
                retryable: false,
                message: "the person has no phone number".into(),
            });
        };
        let call = format!("sip-page-{}-{}", n.id, Utc::now().timestamp_millis());
        let line = self.line.clone();
        let (notification, kind, case, text) = (n.id, n.new.kind, n.new.case, n.new.text.clone());
        let to = to.clone();
        let reference = call.clone();
        // The call rings for up to half a minute: placed on the bridge's own
        // runtime, the outbox goes on meanwhile.
        self.runtime.spawn(
            async move {
                let s = &line.0.settings;
                let placed = line.0.dialer.dial(&target, &s.from_user, s.ring).await;
                let placed = match placed {
                    Ok(p) => p,
                    Err(e) => {
                        // Not answered is not acknowledged: the escalation
                        // goes on by its timers.
                        tracing::info!(notification, reason = %e, "page call not answered");
                        let status = match &e {
                            DialError::NoAnswer(_) => "no-answer",
                            DialError::Refused(_) => "refused",
                            _ => "failed",
                        };
                        if let Some(case) = case {
                            let detail = e.to_string();
                            let _ = line
                                .status_event(case, "physician", &call, status, Some(&detail))
                                .await;
                        }
                        return;
                    }
                };
                match (kind, case) {
                    (NotificationKind::Page, Some(case)) => {
                        let _ = line
                            .status_event(case, "physician", &call, "answered", None)
                            .await;
                        line.page_call(case, call, to, placed).await;
                    }
                    // A re-measure reminder to a nurse: the PIN, then the
                    // ordered re-measurement on the keypad, as on a call in.
                    (NotificationKind::FollowUp, Some(case)) if to.role == Role::Staff => {
                        let _ = line
                            .status_event(case, "caller", &call, "answered", None)
                            .await;
                        line.reminder_call(call, to, placed).await;
                    }
                    _ => {
                        // An alert or notice: said twice, no keys.
                        let (mut talk, dialog) = talk_of(placed);
                        if let Ok(audio) = line
                            .0
                            .prompts
                            .speech(line.0.settings.lang, &ivr::speakable(&text))
                        {
                            for _ in 0..2 {
                                if talk.say(&audio).await.is_err() {
                                    break;
                                }
                            }
                        }
                        placed_of(talk, dialog).end().await;
                    }
                }
            }
            .instrument(tracing::info_span!("sip_page", notification)),
        );
        Ok(Some(reference))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(phone: Option<&str>) -> Person {
        Person {
            id: "dr-x".parse().expect("id"),
            name: akutlinje_core::ids::Text::parse("name", "Dr. X", 100).expect("name"),
            role: Role::Physician,
            home: None,
            phone: phone.map(|p| PhoneNumber::parse(p).expect("number")),
            matrix_user: None,
        }
    }

    #[test]
    fn pages_go_through_the_bridge_by_number_prefix() {
        let rule = SipPages::Prefixes(vec!["+4538".into(), "+4570".into()]);
        assert!(rule.takes(&person(Some("38 12 34 56"))));
        assert!(rule.takes(&person(Some("+4570100100"))));
        assert!(!rule.takes(&person(Some("+4530000001"))));
        assert!(!rule.takes(&person(None)));
        assert!(SipPages::All.takes(&person(Some("+4530000001"))));
    }
}
