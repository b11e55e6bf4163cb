//! A number the hotline does not know: nothing about residents; key 0 for
//! the physician on call.

use super::*;

pub(super) async fn unknown_caller(
    State(t): State<Telephony>,
    Signed(form): Signed<Gathered>,
) -> Result<Response, Rejected> {
    let sid = form.call_sid.0;
    let digits = form.digits;
    Ok(t.once(sid, "unknown", true, move |t, _| async move {
        let r = if digits == "0" {
            twiml::Response::new()
                .with(t.say_id("ivr-unknown-connecting"))
                .with(twiml::redirect(&t.public("/twilio/voice/unknown/next?i=0")))
        } else {
            twiml::Response::new()
                .with(t.say_id("ivr-goodbye"))
                .with(twiml::hangup())
        };
        Ok(r.to_xml())
    })
    .await)
}

/// Dials the physicians on call one after the other (the `<Dial>` action
/// comes back here with the outcome).
pub(super) async fn unknown_next(
    State(t): State<Telephony>,
    query: Params,
    Signed(form): Signed<Dialled>,
) -> Result<Response, Rejected> {
    let sid = form.call_sid.0;
    let i = q(&query, "i")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let dialled = form.dial_call_status;
    Ok(t.once(
        sid,
        &format!("unknown-next:{i}"),
        true,
        move |t, _| async move {
            if dialled.as_deref() == Some("completed") {
                return Ok(twiml::Response::new().with(twiml::hangup()).to_xml());
            }
            let phones: Vec<PhoneNumber> = t
                .oncall()
                .physicians(now())
                .await
                .into_iter()
                .filter_map(|p| p.phone)
                .collect();
            let r = match phones.get(i) {
                Some(phone) => twiml::Response::new().with(
                    twiml::dial(twiml::number(phone.e164()))
                        .attr("callerId", &t.settings().from)
                        .attr("timeout", 25)
                        .attr(
                            "action",
                            t.public(&format!("/twilio/voice/unknown/next?i={}", i + 1)),
                        )
                        .attr("method", "POST"),
                ),
                None => twiml::Response::new()
                    .with(t.say_id("ivr-unknown-nobody"))
                    .with(twiml::hangup()),
            };
            Ok(r.to_xml())
        },
    )
    .await)
}
