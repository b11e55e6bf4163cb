//! A voice page: the physician hears the case without names and takes it
//! (joining the caller) or declines it.

use super::*;

pub(super) async fn paged_person(
    t: &Telephony,
    case: CaseId,
    notification: i64,
) -> Result<Option<Person>, Fault> {
    let Some(n) = t.hotline().notification(case, notification).await? else {
        return Ok(None);
    };
    if n.new.kind != NotificationKind::Page {
        return Ok(None);
    }
    Ok(t.db().people.person(&n.new.person).await?)
}

/// What the physician hears when picking up: where from, how urgent, why.
pub(super) async fn page_summary(t: &Telephony, case: CaseId) -> Result<String, Fault> {
    let state = t.state(case).await?;
    let msg = state.spoken_page(t.hotline().checklist());
    let text = t.hotline().localizer().render(t.settings().lang, &msg);
    Ok(ivr::speakable(&text))
}

pub(super) async fn page_answered(
    State(t): State<Telephony>,
    query: Params,
    Signed(form): Signed<PageCall>,
) -> Result<Response, Rejected> {
    let sid = form.call_sid.0;
    let case = q_case(&query)?;
    let notification: i64 = q(&query, "notification")
        .and_then(|v| v.parse().ok())
        .ok_or(Rejected::Missing("notification"))?;
    let answered_by = form.answered_by;
    Ok(t.once(sid, "page", true, move |t, sid| async move {
        if answered_by.starts_with("machine") || answered_by == "fax" {
            // A voicemail is not an acknowledgement; the escalation goes on.
            t.status_event(case, "physician", &sid, "answered", Some(&answered_by))
                .await?;
            return Ok(twiml::Response::new().with(twiml::hangup()).to_xml());
        }
        let Some(physician) = paged_person(&t, case, notification).await? else {
            return Ok(twiml::Response::new().with(twiml::hangup()).to_xml());
        };
        let summary = page_summary(&t, case).await?;
        // The physician hears where and how urgent, with the room: a read.
        t.log_read(case, &physician, "page").await?;
        Ok(page_menu(&t, case, notification, &summary, 1).to_xml())
    })
    .await)
}

pub(super) fn page_menu(
    t: &Telephony,
    case: CaseId,
    notification: i64,
    summary: &str,
    try_no: u32,
) -> twiml::Response {
    let action = t.public(&format!(
        "/twilio/voice/page/answer?case={case}&notification={notification}&try={try_no}"
    ));
    let keys = t.speaker().text("ivr-page-keys");
    let menu = |text: String| {
        twiml::gather(&action, 8)
            .attr("numDigits", 1)
            .child(t.say(&text))
    };
    twiml::Response::new()
        .with(menu(format!("{summary} {keys}")))
        .with(menu(keys.clone()))
        .with(t.say_id("ivr-page-no-answer"))
        .with(twiml::hangup())
}

pub(super) async fn page_keys(
    State(t): State<Telephony>,
    query: Params,
    Signed(form): Signed<PageCall>,
) -> Result<Response, Rejected> {
    let sid = form.call_sid.0;
    let case = q_case(&query)?;
    let notification: i64 = q(&query, "notification")
        .and_then(|v| v.parse().ok())
        .ok_or(Rejected::Missing("notification"))?;
    let try_no = q_num(&query, "try");
    let digits = form.digits;
    Ok(t.once(
        sid,
        &format!("page-answer:{try_no}"),
        true,
        move |t, sid| async move {
            let Some(who) = paged_person(&t, case, notification).await? else {
                return Ok(twiml::Response::new().with(twiml::hangup()).to_xml());
            };
            match digits.as_str() {
                "1" => {
                    let before = t.hotline().escalation(case).await?.map(|e| e.state);
                    t.hotline()
                        .respond_to_page(
                            case,
                            &who,
                            Channel::Twilio,
                            false,
                            Some(&format!("{sid}:answer")),
                            now(),
                        )
                        .await?;
                    if before == Some(EscalationState::Acknowledged) {
                        // Someone else was first; was it this physician?
                        let first = t.hotline().acknowledged_by(case).await?;
                        if first.as_ref() != Some(&who.id) {
                            return Ok(twiml::Response::new()
                                .with(t.say_id("ivr-page-taken"))
                                .with(twiml::hangup())
                                .to_xml());
                        }
                    }
                    let caller_waiting = t
                        .db()
                        .channels
                        .calls_of_case(case)
                        .await?
                        .into_iter()
                        .any(|c| {
                            c.role == CallRole::Caller
                                && matches!(
                                    c.status.as_str(),
                                    "ringing" | "in-progress" | "queued" | "answered"
                                )
                        });
                    // After the talk (or at once, with nobody on the line):
                    // a re-measure order by keys, "3, minutes, #".
                    let after = after_menu(&t, case, notification);
                    let r = if caller_waiting {
                        twiml::Response::new()
                            .with(t.say_id("ivr-page-connecting"))
                            .with(t.bridge(case, true))
                            .with(after)
                            .with(twiml::hangup())
                    } else {
                        let opener = match t
                            .hotline()
                            .case_summary(case)
                            .await?
                            .and_then(|c| c.opened_by)
                        {
                            Some(p) => t.db().people.person(&p).await?,
                            None => None,
                        };
                        match opener.and_then(|p| p.phone) {
                            Some(phone) => twiml::Response::new()
                                .with(t.say_id("ivr-page-call-home"))
                                .with(
                                    twiml::dial(twiml::number(phone.e164()))
                                        .attr("callerId", &t.settings().from)
                                        .attr("timeout", 30),
                                )
                                .with(after)
                                .with(twiml::hangup()),
                            None => twiml::Response::new()
                                .with(t.say_id("ivr-page-acknowledged"))
                                .with(after)
                                .with(twiml::hangup()),
                        }
                    };
                    Ok(r.to_xml())
                }
                "2" => {
                    t.hotline()
                        .respond_to_page(
                            case,
                            &who,
                            Channel::Twilio,
                            true,
                            Some(&format!("{sid}:decline")),
                            now(),
                        )
                        .await?;
                    Ok(twiml::Response::new()
                        .with(t.say_id("ivr-page-declined"))
                        .with(twiml::hangup())
                        .to_xml())
                }
                _ if try_no < 3 => {
                    let summary = page_summary(&t, case).await?;
                    t.log_read(case, &who, "page").await?;
                    Ok(page_menu(&t, case, notification, &summary, try_no + 1).to_xml())
                }
                _ => Ok(twiml::Response::new()
                    .with(t.say_id("ivr-page-no-answer"))
                    .with(twiml::hangup())
                    .to_xml()),
            }
        },
    )
    .await)
}

/// The physician's menu after the talk: "3, the minutes, #" orders a
/// re-measurement (e.g. 3 6 0 # in an hour); hanging up ends the call.
fn after_menu(t: &Telephony, case: CaseId, notification: i64) -> Node {
    let action = t.public(&format!(
        "/twilio/voice/page/after?case={case}&notification={notification}"
    ));
    twiml::gather(&action, 10)
        .attr("finishOnKey", "#")
        .child(t.say_id("ivr-page-after"))
}

/// The keys after the talk: `3` then the minutes orders a re-measurement,
/// said back; anything else ends the call.
pub(super) async fn page_after(
    State(t): State<Telephony>,
    query: Params,
    Signed(form): Signed<PageCall>,
) -> Result<Response, Rejected> {
    let sid = form.call_sid.0;
    let case = q_case(&query)?;
    let notification: i64 = q(&query, "notification")
        .and_then(|v| v.parse().ok())
        .ok_or(Rejected::Missing("notification"))?;
    let digits = form.digits;
    Ok(t.once(sid, "page-after", true, move |t, sid| async move {
        let Some(who) = paged_person(&t, case, notification).await? else {
            return Ok(twiml::Response::new().with(twiml::hangup()).to_xml());
        };
        let Some(minutes) = akutlinje_core::reply::remeasure_by_keys(&digits) else {
            return Ok(twiml::Response::new()
                .with(t.say_id("ivr-goodbye"))
                .with(twiml::hangup())
                .to_xml());
        };
        t.hotline()
            .order_remeasure(
                case,
                &who,
                akutlinje_core::service::Via {
                    channel: Channel::Twilio,
                    external_id: Some(&format!("{sid}:after")),
                },
                minutes,
                now(),
            )
            .await?;
        tracing::info!(case = %case, minutes, "re-measurement ordered by phone");
        let said = t
            .speaker()
            .msg(&Msg::new("ivr-page-remeasure-ordered").arg("minutes", minutes));
        Ok(twiml::Response::new()
            .with(t.say(&said))
            .with(twiml::hangup())
            .to_xml())
    })
    .await)
}
