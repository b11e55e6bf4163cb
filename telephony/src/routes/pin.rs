//! The PIN a caller keys before any resident data is spoken.

use super::*;

/// Wrong PINs tolerated on one call before the caller is put through to
/// the physician without resident data.
pub(super) const PIN_TRIES: u32 = crate::PIN_TRIES;

/// Asks for the PIN; silence comes back to the same step without digits.
pub(super) fn pin_prompt(t: &Telephony, try_no: u32, say: &str) -> twiml::Response {
    let action = t.public(&format!("/twilio/voice/pin?try={try_no}"));
    twiml::Response::new()
        .with(
            twiml::gather(&action, 10)
                .attr("finishOnKey", "#")
                .child(t.say_id(say)),
        )
        .with(twiml::redirect(&action))
}

/// Put through to the physician on call, as an unknown caller is: help is
/// never blocked, and nothing about a resident is said.
pub(super) fn put_through(t: &Telephony, say: &str) -> String {
    twiml::Response::new()
        .with(t.say_id(say))
        .with(twiml::redirect(&t.public("/twilio/voice/unknown/next?i=0")))
        .to_xml()
}

pub(super) async fn pin(
    State(t): State<Telephony>,
    query: Params,
    Signed(form): Signed<Gathered>,
) -> Result<Response, Rejected> {
    let sid = form.call_sid.0;
    let try_no = q_num(&query, "try").clamp(1, PIN_TRIES);
    // The keys are never logged nor stored: only whether they matched.
    let digits: String = form.digits.chars().filter(char::is_ascii_digit).collect();
    let status = form.call_status.unwrap_or_else(|| "in-progress".into());
    Ok(t.once(
        sid,
        &format!("pin:{try_no}"),
        true,
        move |t, sid| async move {
            let Some((who, home)) = staff_on_call(&t, &sid).await? else {
                return Ok(put_through(&t, "ivr-unknown-connecting"));
            };
            if digits == "0" {
                tracing::info!(person = %who.id, "put through to the physician before the PIN");
                return Ok(put_through(&t, "ivr-unknown-connecting"));
            }
            let Some(hash) = t.db().sessions.pin_hash(&who.id, Some(&home.id)).await? else {
                tracing::warn!(person = %who.id, "no PIN is set for this caller or their home; put through without resident data");
                return Ok(put_through(&t, "ivr-pin-none"));
            };
            let ok = !digits.is_empty()
                && tokio::task::spawn_blocking(move || crate::pin_matches(digits, hash))
                    .await
                    .unwrap_or(false);
            if ok {
                // Advice waiting for a read-back: read out, key 1 confirms.
                if let Some(case) = t.hotline().pending_readbacks(&who, now()).await?.first() {
                    let advice = t
                        .hotline()
                        .last_advice(*case, t.settings().lang)
                        .await?
                        .unwrap_or_default();
                    tracing::info!(case = %case, "advice read out for a read-back");
                    t.log_read(*case, &who, "readback").await?;
                    return Ok(readback_offer(&t, *case, &advice).to_xml());
                }
                return Ok(after_pin(&t, &sid, &who, &home, &status).await?.to_xml());
            }
            tracing::warn!(person = %who.id, try_no, "wrong or no PIN on the phone");
            if try_no < PIN_TRIES {
                Ok(pin_prompt(&t, try_no + 1, "ivr-pin-wrong").to_xml())
            } else {
                Ok(put_through(&t, "ivr-pin-failed"))
            }
        },
    )
    .await)
}

/// "A new measurement was ordered for room 12: key 1 to give it now, 2 for
/// a new case." No key is a new case: help is never held up.
pub(super) fn remeasure_offer(t: &Telephony, case: CaseId, room: Option<&str>) -> twiml::Response {
    let action = t.public(&format!("/twilio/voice/remeasure?case={case}"));
    let offer = t.speaker().msg(
        &akutlinje_core::i18n::Msg::new("ivr-remeasure-offer").arg("room", room.unwrap_or("?")),
    );
    twiml::Response::new()
        .with(
            twiml::gather(&action, 8)
                .attr("numDigits", 1)
                .child(t.say(&offer)),
        )
        .with(twiml::redirect(&action))
}

/// The answer to the offer: 1 runs the re-measurement on the ordered case
/// (the call joins it), anything else opens a new case.
pub(super) async fn remeasure_choice(
    State(t): State<Telephony>,
    query: Params,
    Signed(form): Signed<Gathered>,
) -> Result<Response, Rejected> {
    let sid = form.call_sid.0;
    let digits = form.digits;
    let status = form.call_status.unwrap_or_else(|| "in-progress".into());
    let offered = query.get("case").and_then(|c| CaseId::parse(c));
    Ok(
        t.once(sid, "remeasure-choice", true, move |t, sid| async move {
            let Some((who, home)) = staff_on_call(&t, &sid).await? else {
                return Ok(put_through(&t, "ivr-unknown-connecting"));
            };
            // Only the case this home's order is pending on: a forged or stale
            // case id in the query opens a new case instead.
            let pending = t.hotline().pending_remeasure(&who, now()).await?;
            let case = match (pending, offered) {
                (Some((p, _)), Some(o)) if p == o && digits.trim() == "1" => p,
                _ => return start_case(&t, &sid, &who, &home, &status).await,
            };
            t.db()
                .channels
                .upsert_call(&caller_leg(&sid, Some(case), Some(&who), &status))
                .await?;
            t.status_event(case, "caller", &sid, &status, None).await?;
            tracing::info!(case = %case, "re-measurement by phone");
            t.feed(
                case,
                &who,
                Said::Text(
                    akutlinje_core::engine::parse::remeasure_words(t.settings().lang).to_string(),
                ),
                format!("{sid}:remeasure"),
                1,
                vec![],
            )
            .await
        })
        .await,
    )
}

/// After the PIN (and any read-back): a re-measure order waiting for this
/// home is offered first; otherwise a new case.
pub(super) async fn after_pin(
    t: &Telephony,
    sid: &str,
    who: &Person,
    home: &akutlinje_core::person::Home,
    status: &str,
) -> Result<twiml::Response, Fault> {
    if let Some((case, room)) = t.hotline().pending_remeasure(who, now()).await? {
        tracing::info!(case = %case, "a re-measurement is offered to the caller");
        return Ok(remeasure_offer(t, case, room.as_deref()));
    }
    start_case_response(t, sid, who, home, status).await
}

/// The physician's advice read out: "key 1 if you have understood it".
pub(super) fn readback_offer(t: &Telephony, case: CaseId, advice: &str) -> twiml::Response {
    let action = t.public(&format!("/twilio/voice/readback?case={case}"));
    let said = t
        .speaker()
        .msg(&akutlinje_core::i18n::Msg::new("ivr-readback-offer").arg("advice", advice));
    twiml::Response::new()
        .with(
            twiml::gather(&action, 8)
                .attr("numDigits", 1)
                .child(t.say(&said)),
        )
        .with(twiml::redirect(&action))
}

/// The answer to the read-back: 1 records the confirmation (only for the
/// case this caller's home waits on), then the call goes on.
pub(super) async fn readback_choice(
    State(t): State<Telephony>,
    query: Params,
    Signed(form): Signed<Gathered>,
) -> Result<Response, Rejected> {
    let sid = form.call_sid.0;
    let digits = form.digits;
    let status = form.call_status.unwrap_or_else(|| "in-progress".into());
    let offered = query.get("case").and_then(|c| CaseId::parse(c));
    Ok(t.once(sid, "readback", true, move |t, sid| async move {
        let Some((who, home)) = staff_on_call(&t, &sid).await? else {
            return Ok(put_through(&t, "ivr-unknown-connecting"));
        };
        let waiting = t.hotline().pending_readbacks(&who, now()).await?;
        let mut before = Vec::new();
        if let Some(case) = offered.filter(|c| digits.trim() == "1" && waiting.contains(c)) {
            t.hotline()
                .confirm_advice(
                    case,
                    &who,
                    akutlinje_core::service::Via {
                        channel: Channel::Twilio,
                        external_id: Some(&format!("{sid}:readback")),
                    },
                    now(),
                )
                .await?;
            tracing::info!(case = %case, "advice confirmed by phone");
            before.push(t.say_id("ivr-readback-confirmed"));
        }
        let next = after_pin(&t, &sid, &who, &home, &status).await?;
        Ok(prepend(before, next).to_xml())
    })
    .await)
}

/// A reminder call the hotline placed to a nurse, answered: why, then her
/// PIN (the call leg already names her), then on as a call of her own.
pub(super) async fn callback(
    State(t): State<Telephony>,
    Signed(form): Signed<OnCall>,
) -> Result<Response, Rejected> {
    let sid = form.call_sid.0;
    Ok(t.once(sid, "callback", true, move |t, _sid| async move {
        Ok(pin_prompt(&t, 1, "ivr-remeasure-call-pin").to_xml())
    })
    .await)
}

/// The staff member a call leg names (set when the call came in, or when
/// the hotline placed it), with their home; `None` for anyone else.
async fn staff_on_call(
    t: &Telephony,
    sid: &str,
) -> Result<Option<(Person, akutlinje_core::person::Home)>, Fault> {
    let leg = t.db().channels.call(sid).await?;
    let who = match leg.and_then(|l| l.person) {
        Some(p) => t.db().people.person(&p).await?,
        None => None,
    };
    let home = match who.as_ref().and_then(|w| w.home.clone()) {
        Some(h) => t.db().people.home(&h).await?,
        None => None,
    };
    Ok(who.zip(home))
}
