//! SMS: a physician's reply to a page, and delivery reports.

use super::*;

/// A physician's reply: `OK 4821` or `NEJ 4821` in the vocabulary every
/// channel shares (a code is required here; see `sms_incoming`).
pub(super) fn parse_reply(body: &str) -> Option<(bool, Option<String>)> {
    use akutlinje_core::reply::PageReply;
    match PageReply::parse(body) {
        PageReply::Acknowledge { code } => Some((false, code)),
        PageReply::Decline { code } => Some((true, code)),
        _ => None,
    }
}

pub(super) async fn sms_incoming(
    State(t): State<Telephony>,
    Signed(form): Signed<IncomingSms>,
) -> Result<Response, Rejected> {
    let sid = form.message_sid.0;
    let from = PhoneNumber::parse(&form.from).ok();
    let body = form.body;
    Ok(t.once(sid, "sms", false, move |t, sid| async move {
        let loc = t.hotline().localizer();
        let lang = t.settings().lang;
        let reply = |text: String| Ok(twiml::Response::new().with(twiml::message(&text)).to_xml());
        let known = match &from {
            Some(n) => t.db().people.person_by_phone(n).await?,
            None => None,
        };
        let Some(who) = known else {
            return reply(loc.text(lang, "sms-unknown-sender"));
        };
        if who.role == Role::Staff {
            return staff_sms(&t, &who, &body, &sid).await;
        }
        if who.role != Role::Physician {
            return reply(loc.text(lang, "sms-not-physician"));
        }
        let Some((decline, code)) = parse_reply(&body) else {
            return reply(loc.text(lang, "sms-help"));
        };
        // A bare "OK" is not enough: with two pages open it would take the
        // wrong one, and a stale or misdirected text would acknowledge
        // whatever is newest. The reply must name the case.
        let Some(code) = code else {
            return reply(loc.text(lang, "sms-code-needed"));
        };
        let pages = t.hotline().pages_to(&who.id, 20).await?;
        let Some(case) = pages.iter().copied().find(|p| case_code(*p) == code) else {
            return reply(loc.render(lang, &Msg::new("sms-unknown-code").arg("code", code)));
        };
        t.hotline()
            .respond_to_page(case, &who, Channel::Twilio, decline, Some(&sid), now())
            .await?;
        let id = if decline {
            "sms-declined"
        } else {
            "sms-acknowledged"
        };
        reply(loc.render(lang, &Msg::new(id).arg("code", case_code(case))))
    })
    .await)
}

/// Staff answering the physician's advice by SMS: «FORSTÅET 4821» (the
/// code may be left out when only one case of their home waits for a
/// read-back). Anything else: the hotline takes no cases by SMS.
async fn staff_sms(t: &Telephony, who: &Person, body: &str, sid: &str) -> Result<String, Fault> {
    let loc = t.hotline().localizer();
    let lang = t.settings().lang;
    let reply = |text: String| Ok(twiml::Response::new().with(twiml::message(&text)).to_xml());
    let words: Vec<&str> = body.split_whitespace().collect();
    let (text, code) = match words.split_last() {
        Some((last, rest)) if !rest.is_empty() && last.chars().all(|c| c.is_ascii_digit()) => {
            (rest.join(" "), Some(last.to_string()))
        }
        _ => (words.join(" "), None),
    };
    if !akutlinje_core::engine::parse::confirms_advice(&text) {
        return reply(loc.text(lang, "sms-not-physician"));
    }
    let waiting = t.hotline().pending_readbacks(who, now()).await?;
    let case = match (code, waiting.as_slice()) {
        (Some(c), _) => waiting.iter().copied().find(|w| case_code(*w) == c),
        (None, [one]) => Some(*one),
        (None, []) => None,
        (None, _) => return reply(loc.text(lang, "sms-readback-code-needed")),
    };
    let Some(case) = case else {
        return reply(loc.text(lang, "sms-readback-nothing"));
    };
    t.hotline()
        .confirm_advice(
            case,
            who,
            akutlinje_core::service::Via {
                channel: Channel::Twilio,
                external_id: Some(sid),
            },
            now(),
        )
        .await?;
    tracing::info!(case = %case, "advice confirmed by SMS");
    reply(loc.render(
        lang,
        &Msg::new("sms-readback-confirmed").arg("code", case_code(case)),
    ))
}

pub(super) async fn sms_status(
    State(t): State<Telephony>,
    Signed(form): Signed<SmsStatus>,
) -> Result<Response, Rejected> {
    let sid = form.message_sid.0;
    let status = form
        .message_status
        .or(form.sms_status)
        .unwrap_or_else(|| "unknown".into());
    let error = form.error_code.filter(|e| !e.is_empty());
    Ok(t.once(
        sid,
        &format!("status:{status}"),
        false,
        move |t, sid| async move {
            if let Some((case, _)) = t.hotline().page_by_external_id(&sid).await? {
                t.status_event(case, "sms", &sid, &status, error.as_deref())
                    .await?;
            }
            Ok(twiml::Response::new().to_xml())
        },
    )
    .await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sms_replies() {
        assert_eq!(parse_reply("OK 4821"), Some((false, Some("4821".into()))));
        // The chat's words work by SMS too.
        assert_eq!(
            parse_reply("Modtaget 4821"),
            Some((false, Some("4821".into())))
        );
        assert_eq!(
            parse_reply(" nej, 0042 "),
            Some((true, Some("0042".into())))
        );
        assert_eq!(parse_reply("Ok!"), Some((false, None)));
        assert_eq!(parse_reply("Hvad er det?"), None);
        assert_eq!(parse_reply(""), None);
    }
}
