//! A call to the hotline: the checklist by keys and voice, the recording, the
//! call's status, and the caller waiting in the conference.

use super::*;

pub(super) async fn incoming(
    State(t): State<Telephony>,
    Signed(form): Signed<IncomingCall>,
) -> Result<Response, Rejected> {
    let sid = form.call_sid.0;
    // "anonymous", "+266696687" (no caller id) and the like are no number.
    let from = PhoneNumber::parse(&form.from).ok();
    let status = form.call_status.unwrap_or_else(|| "ringing".into());
    Ok(t.once(sid, "incoming", true, move |t, sid| async move {
        let person = match &from {
            Some(n) => t.db().people.person_by_phone(n).await?,
            None => None,
        };
        let staff = match person {
            Some(p) if p.role == Role::Staff => match &p.home {
                Some(h) => t.db().people.home(h).await?.map(|home| (p, home)),
                None => None,
            },
            _ => None,
        };
        let Some((who, home)) = staff else {
            tracing::info!("call from a number that is not registered staff");
            t.db()
                .channels
                .upsert_call(&caller_leg(&sid, None, None, &status))
                .await?;
            let r = twiml::Response::new()
                .with(
                    twiml::gather(&t.public("/twilio/voice/unknown"), 8)
                        .attr("numDigits", 1)
                        .child(t.say_id("ivr-unknown-caller")),
                )
                .with(t.say_id("ivr-goodbye"))
                .with(twiml::hangup());
            return Ok(r.to_xml());
        };
        if t.settings().pin_required {
            // Caller id is not proof: nothing about any resident until the
            // PIN is keyed. The leg knows who it claims to be, no case yet.
            t.db()
                .channels
                .upsert_call(&caller_leg(&sid, None, Some(&who), &status))
                .await?;
            return Ok(pin_prompt(&t, 1, "ivr-pin-ask").to_xml());
        }
        start_case(&t, &sid, &who, &home, &status).await
    })
    .await)
}

/// Opens the phone case of a call (or, on a retry, picks it up where it is).
pub(super) async fn start_case(
    t: &Telephony,
    sid: &str,
    who: &Person,
    home: &akutlinje_core::person::Home,
    status: &str,
) -> Result<String, Fault> {
    Ok(start_case_response(t, sid, who, home, status)
        .await?
        .to_xml())
}

/// [`start_case`], as TwiML to add to.
pub(super) async fn start_case_response(
    t: &Telephony,
    sid: &str,
    who: &Person,
    home: &akutlinje_core::person::Home,
    status: &str,
) -> Result<twiml::Response, Fault> {
    // The case id follows from the call, so a retry after a crash finds
    // the case instead of opening a second one.
    let case = CaseId::from_uuid(uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("twilio:{sid}").as_bytes(),
    ));
    let opened = t
        .hotline()
        .open_case(case, who, home, Channel::Twilio, t.settings().lang, now())
        .await;
    let r = match opened {
        Ok(turn) => {
            tracing::info!(case = %case, "phone case opened");
            t.turn(case, &turn.state, &turn.effects, 1)
        }
        // A retry after a crash: the case is there, ask where it stands.
        Err(ServiceError::Store(StoreError::Duplicate | StoreError::Conflict(_))) => {
            let state = t.state(case).await?;
            match &state.last_prompt {
                Some(p) => t.question(&[], p, 1, 1),
                None => t.turn_conference(case, &state),
            }
        }
        Err(e) => return Err(e.into()),
    };
    // The call rang before the PIN opened the case: that status belongs in
    // the record too.
    if let Some(earlier) = t.db().channels.call(sid).await?.map(|l| l.status) {
        if earlier != status {
            t.status_event(case, "caller", sid, &earlier, None).await?;
        }
    }
    t.db()
        .channels
        .upsert_call(&caller_leg(sid, Some(case), Some(who), status))
        .await?;
    t.status_event(case, "caller", sid, status, None).await?;
    Ok(r)
}

pub(super) async fn gather(
    State(t): State<Telephony>,
    query: Params,
    Signed(form): Signed<Gathered>,
) -> Result<Response, Rejected> {
    let sid = form.call_sid.0;
    let n = q_num(&query, "n");
    let digits = form.digits;
    Ok(t.once(
        sid,
        &format!("gather:{n}"),
        true,
        move |t, sid| async move {
            let Some((case, who)) = t.caller(&sid).await? else {
                return Ok(twiml::Response::new()
                    .with(t.say_id("ivr-goodbye"))
                    .with(twiml::hangup())
                    .to_xml());
            };
            let state = t.state(case).await?;
            let said = match ivr::keys_to_input(state.last_prompt.as_ref(), &digits) {
                Keyed::Repeat => {
                    return Ok(match &state.last_prompt {
                        Some(p) => t.question(&[], p, n + 1, 1).to_xml(),
                        None => t.turn_conference(case, &state).to_xml(),
                    });
                }
                Keyed::Said(said) => said,
            };
            t.feed(case, &who, said, format!("{sid}:gather:{n}"), n + 1, vec![])
                .await
        },
    )
    .await)
}

pub(super) async fn silence(
    State(t): State<Telephony>,
    query: Params,
    Signed(form): Signed<OnCall>,
) -> Result<Response, Rejected> {
    let sid = form.call_sid.0;
    let n = q_num(&query, "n");
    let tries = q_num(&query, "tries");
    Ok(t.once(
        sid,
        &format!("silence:{n}:{tries}"),
        true,
        move |t, sid| async move {
            let Some((case, who)) = t.caller(&sid).await? else {
                return Ok(twiml::Response::new().with(twiml::hangup()).to_xml());
            };
            let state = t.state(case).await?;
            if after_silence(tries) == AfterSilence::Physician {
                let before = vec![t.say_id("ivr-silence-transfer")];
                return t
                    .feed(
                        case,
                        &who,
                        Command::PhysicianNow.into(),
                        format!("{sid}:silence:{n}"),
                        n + 1,
                        before,
                    )
                    .await;
            }
            Ok(match &state.last_prompt {
                Some(p) => t
                    .question(&[t.say_id("ivr-silence")], p, n, tries + 1)
                    .to_xml(),
                None => t.turn_conference(case, &state).to_xml(),
            })
        },
    )
    .await)
}

pub(super) async fn recorded(
    State(t): State<Telephony>,
    query: Params,
    Signed(form): Signed<Recorded>,
) -> Result<Response, Rejected> {
    let sid = form.call_sid.0;
    let n = q_num(&query, "n");
    let digits = form.digits;
    let seconds = form.recording_duration.unwrap_or(0);
    let has_recording = form.recording_url.is_some_and(|u| !u.is_empty()) && seconds > 0;
    Ok(t.once(
        sid,
        &format!("record:{n}"),
        true,
        move |t, sid| async move {
            let Some((case, who)) = t.caller(&sid).await? else {
                return Ok(twiml::Response::new().with(twiml::hangup()).to_xml());
            };
            let state = t.state(case).await?;
            let skippable = state.last_prompt.as_ref().is_some_and(|p| p.skippable);
            let said: Said = if digits == ivr::PHYSICIAN_KEY {
                Command::PhysicianNow.into()
            } else if digits == ivr::NO_VALUE_KEY && skippable && !has_recording {
                Command::Skip.into()
            } else if has_recording {
                // The words come later, from the transcription; the record
                // says now that there is a voice note.
                Entry::Text(
                    t.speaker()
                        .msg(&Msg::new("ivr-voice-note").arg("seconds", seconds)),
                )
                .into()
            } else {
                let before = vec![t.say_id("ivr-no-recording")];
                return Ok(match &state.last_prompt {
                    Some(p) => t.question(&before, p, n + 1, 1).to_xml(),
                    None => t.turn_conference(case, &state).to_xml(),
                });
            };
            t.feed(case, &who, said, format!("{sid}:record:{n}"), n + 1, vec![])
                .await
        },
    )
    .await)
}

/// Twilio has the recording: fetch it with the account's credentials and
/// store it with the case (the transcription queue picks it up from there).
pub(super) async fn recording_ready(
    State(t): State<Telephony>,
    Signed(form): Signed<RecordingStatus>,
) -> Result<Response, Rejected> {
    let call = form.call_sid.0;
    let rec = form.recording_sid.0;
    let status = form.recording_status.unwrap_or_else(|| "completed".into());
    let url = form.recording_url;
    let seconds = form.recording_duration;
    Ok(t.once(rec, "recording", false, move |t, rec| async move {
        let Some((case, who)) = t.caller(&call).await? else {
            return Ok(twiml::Response::new().to_xml());
        };
        if status != "completed" || url.is_empty() {
            t.status_event(case, "recording", &rec, &status, None)
                .await?;
            return Ok(twiml::Response::new().to_xml());
        }
        match t.client().fetch_recording(&url).await {
            Ok((data, mime)) => {
                let audio = NewAttachment {
                    mime,
                    data,
                    external_id: Some(rec.clone()),
                };
                match t
                    .hotline()
                    .attach_audio(
                        case,
                        &who,
                        Channel::Twilio,
                        &audio,
                        seconds.map(|s| s * 1000),
                        now(),
                    )
                    .await
                {
                    Ok(_) | Err(ServiceError::Store(StoreError::Duplicate)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Err(e) => {
                tracing::error!(case = %case, error = %e, "could not fetch a recording");
                let detail = e.to_string();
                t.status_event(case, "recording", &rec, "fetch_failed", Some(&detail))
                    .await?;
            }
        }
        Ok(twiml::Response::new().to_xml())
    })
    .await)
}

/// A call leg changed state (the caller's, or a physician's page call).
pub(super) async fn call_status(
    State(t): State<Telephony>,
    Signed(form): Signed<CallStatus>,
) -> Result<Response, Rejected> {
    let sid = form.call_sid.0;
    let status = form.call_status.0;
    let detail = form
        .answered_by
        .or(form.error_code)
        .filter(|d| !d.is_empty());
    Ok(t.once(
        sid,
        &format!("status:{status}"),
        false,
        move |t, sid| async move {
            if let Some(leg) = t.db().channels.call(&sid).await? {
                t.db()
                    .channels
                    .upsert_call(&CallLeg {
                        status: status.clone(),
                        at: now(),
                        ..leg.clone()
                    })
                    .await?;
                if let Some(case) = leg.case {
                    t.status_event(case, leg.role.as_str(), &sid, &status, detail.as_deref())
                        .await?;
                }
            }
            Ok(twiml::Response::new().to_xml())
        },
    )
    .await)
}

/// What a waiting caller hears, again and again (Twilio loops it): music or
/// silence, then where the page stands.
pub(super) async fn wait(
    State(t): State<Telephony>,
    query: Params,
    _form: Signed,
) -> Result<Response, Rejected> {
    let case = q_case(&query)?;
    let state = t
        .hotline()
        .escalation(case)
        .await
        .ok()
        .flatten()
        .map(|e| e.state);
    let limited = t.state(case).await.is_ok_and(|s| s.admission_ruled_out());
    let id = match (state, limited) {
        (Some(EscalationState::Acknowledged), _) => "ivr-wait-acknowledged",
        (Some(EscalationState::Exhausted), false) => "ivr-wait-exhausted",
        (Some(EscalationState::Exhausted), true) => "ivr-wait-exhausted-limited",
        (_, false) => "ivr-wait-calling",
        (_, true) => "ivr-wait-calling-limited",
    };
    let mut r = twiml::Response::new();
    match &t.settings().hold_music {
        Some(url) => r.push(twiml::play(url)),
        None => r.push(twiml::pause(50)),
    };
    r.push(t.say_id(id));
    Ok(xml(r.to_xml()))
}

pub(super) async fn conference_status(
    State(t): State<Telephony>,
    query: Params,
    Signed(form): Signed<ConferenceEvent>,
) -> Result<Response, Rejected> {
    let case = q_case(&query)?;
    let event = form.status_callback_event.0;
    let sid = form.call_sid.or(form.conference_sid).unwrap_or_default();
    Ok(t.once(
        sid,
        &format!("conference:{event}"),
        false,
        move |t, sid| async move {
            t.status_event(case, "conference", &sid, &event, None)
                .await?;
            Ok(twiml::Response::new().to_xml())
        },
    )
    .await)
}
