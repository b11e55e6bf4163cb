//! Webhooks and REST requests as Twilio makes and expects them: typed forms, signatures by Twilio's own library, requests compared field by field.

use super::*;

/// Each webhook's form is a type: a signed request without a field its
/// handler needs (or with an empty SID) is refused 400 with the field named,
/// before the handler runs; fields we do not read are ignored, and a
/// duration Twilio could not measure is no duration, not a refusal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_webhooks_are_read_into_typed_forms() {
    let r = rig().await;
    let (status, body) = r
        .hooks
        .post("/twilio/voice/incoming", &[("From", "+4520000001")])
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("CallSid"), "{body}");
    let (status, body) = r
        .hooks
        .post(
            "/twilio/sms/incoming",
            &[("MessageSid", ""), ("From", "+4520000001"), ("Body", "ok")],
        )
        .await;
    assert_eq!(status, 400, "an empty SID is no SID: {body}");
    let (status, body) = r
        .hooks
        .post(
            "/twilio/sms/status",
            &[
                ("MessageSid", "SM00000000000000000000000000000009"),
                ("MessageStatus", "delivered"),
                ("ApiVersion", "2010-04-01"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = r
        .hooks
        .post(
            "/twilio/voice/recording",
            &[
                ("CallSid", "CA00000000000000000000000000000009"),
                ("RecordingSid", "RE00000000000000000000000000000009"),
                ("RecordingStatus", "completed"),
                ("RecordingDuration", "unknown"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_made_by_twilios_python_library_are_accepted_and_tampering_is_refused() {
    use akutlinje_telephony::signature::Algorithm;
    for configured in [Algorithm::HmacSha1, Algorithm::HmacSha256] {
        let r = rig_signed_with(configured).await;
        let base = r.hooks.base.clone();
        let (alg, other) = match configured {
            Algorithm::HmacSha1 => ("HMAC_SHA1", "HMAC_SHA256"),
            Algorithm::HmacSha256 => ("HMAC_SHA256", "HMAC_SHA1"),
        };
        // Query strings, a non-default port, repeated and empty parameters,
        // Danish characters.
        let cases = serde_json::json!([
            {"url": format!("{base}/twilio/sms/status"), "params": [["MessageSid", "SM1"], ["MessageStatus", "delivered"]]},
            {"url": format!("{base}/twilio/sms/status?x=1&y=%C3%A6%20b"), "params": [["MessageSid", "SM2"], ["MessageStatus", "sent"]]},
            {"url": format!("{base}/twilio/sms/status"), "params": [["MessageSid", "SM3"], ["A", "2"], ["A", "1"], ["Empty", ""], ["MessageStatus", "sent"]]},
            {"url": format!("{base}/twilio/sms/incoming"), "params": [["MessageSid", "SM4"], ["From", "+4599999999"], ["Body", "Æblegrød på stue 12 – ø å é ✅"]]},
        ]);
        // Each case signed by Twilio's library with the configured algorithm
        // and with the other one.
        let script = r#"
import sys, json
from twilio.request_validator import RequestValidator
class Multi:
    def __init__(self, pairs): self.pairs = pairs
    def __iter__(self): return iter([k for k, _ in self.pairs])
    def getlist(self, k): return [v for n, v in self.pairs if n == k]
v = RequestValidator("TOKEN")
out = []
for c in json.load(sys.stdin):
    params = Multi(c["params"])
    pair = []
    for alg in ["ALG", "OTHER"]:
        sig = v.compute_signature(c["url"], params, alg)
        assert v.validate(c["url"], params, sig, alg)
        pair.append(sig)
    out.append(pair)
print(json.dumps(out))
"#
        .replace("\"TOKEN\"", &format!("\"{TOKEN}\""))
        .replace("\"ALG\"", &format!("\"{alg}\""))
        .replace("\"OTHER\"", &format!("\"{other}\""));
        let sigs = run_python(&script, &cases);
        let sigs = sigs.as_array().expect("list");
        for (c, pair) in cases.as_array().expect("cases").iter().zip(sigs) {
            let url = c["url"].as_str().expect("url");
            let params: Vec<(String, String)> = c["params"]
                .as_array()
                .expect("params")
                .iter()
                .map(|p| {
                    (
                        p[0].as_str().expect("k").into(),
                        p[1].as_str().expect("v").into(),
                    )
                })
                .collect();
            let pairs: Vec<(&str, &str)> = params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let sig = pair[0].as_str().expect("sig");
            let other_sig = pair[1].as_str().expect("sig");
            let names = |a: &str| format!("key=wh_test,algorithm={a}");
            // Accepted with the configured algorithm, whatever the header
            // says (or without one).
            for header in [None, Some(names(alg)), Some(names(other))] {
                let (status, body) = r
                    .hooks
                    .post_raw(url, &pairs, Some(sig), header.as_deref())
                    .await;
                assert_eq!(status, 200, "{url} {pairs:?} {header:?}: {body}");
            }
            // The other algorithm is refused even when the request names it:
            // a forger does not get to choose the check.
            for header in [None, Some(names(other)), Some(names(alg))] {
                assert_eq!(
                    r.hooks
                        .post_raw(url, &pairs, Some(other_sig), header.as_deref())
                        .await
                        .0,
                    403,
                    "{configured:?} line, {other} signature, header {header:?}"
                );
            }
            // Tampered: a value, the URL, the signature.
            let mut changed = pairs.clone();
            changed[0].1 = "SM999";
            assert_eq!(
                r.hooks.post_raw(url, &changed, Some(sig), None).await.0,
                403
            );
            let other_url = if url.contains('?') {
                format!("{url}&z=1")
            } else {
                format!("{url}?z=1")
            };
            assert_eq!(
                r.hooks
                    .post_raw(&other_url, &pairs, Some(sig), None)
                    .await
                    .0,
                403
            );
            // One character changed (a signature may start with A already).
            let first = if sig.starts_with('A') { 'B' } else { 'A' };
            let bad_sig = format!("{first}{}", &sig[1..]);
            assert_eq!(
                r.hooks.post_raw(url, &pairs, Some(&bad_sig), None).await.0,
                403
            );
        }
        // No signature at all.
        let url = format!("{base}/twilio/voice/incoming");
        let pairs = [("CallSid", "CA1"), ("From", ANNA)];
        assert_eq!(r.hooks.post_raw(&url, &pairs, None, None).await.0, 403);
        // Nothing refused reached a handler: no call, no case.
        assert!(r.db.store.call("CA1").await.expect("read").is_none());
        r.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_requests_match_twilios_python_client_field_by_field() {
    let fake = FakeTwilio::start().await;
    let script = r#"
import sys, json
from twilio.rest import Client
c = json.load(sys.stdin)
client = Client(c["account"], c["token"])
client.api.base_url = c["base"]
client.messages.create(to="+4530000001", from_="+4570100100", body="Akutlinjen: kald æøå", status_callback="https://akut.example.dk/twilio/sms/status")
client.calls.create(to="+4530000001", from_="+4570100100", url="https://akut.example.dk/twilio/voice/page?case=x&notification=1",
    status_callback="https://akut.example.dk/twilio/voice/status", status_callback_event=["initiated", "ringing", "answered", "completed"],
    machine_detection="Enable", timeout=30)
client.calls.create(to="+4530000002", from_="+4570100100", twiml="<Response><Say>Hej</Say></Response>")
client.calls("CA0123").update(status="completed")
client.calls("CA0123").update(twiml="<Response><Hangup/></Response>")
client.conferences("CF0123").participants.create(from_="+4570100100", to="+4530000001",
    status_callback="https://akut.example.dk/twilio/voice/status", status_callback_event=["ringing", "answered"], timeout=25,
    end_conference_on_exit=True)
print(json.dumps({"ok": True}))
"#;
    run_python(
        script,
        &serde_json::json!({"account": ACCOUNT, "token": TOKEN, "base": fake.url}),
    );
    let python = fake.requests();
    fake.clear();
    use akutlinje_telephony::rest::*;
    let client = Client::new(Credentials {
        base_url: fake.url.clone(),
        account_sid: ACCOUNT.into(),
        auth_token: TOKEN.into(),
    })
    .expect("client");
    let m = client
        .send_sms(&NewMessage {
            to: "+4530000001",
            from: "+4570100100",
            body: "Akutlinjen: kald æøå",
            status_callback: Some("https://akut.example.dk/twilio/sms/status"),
        })
        .await
        .expect("sms");
    assert!(m.sid.starts_with("SM"));
    client
        .create_call(&NewCall {
            to: "+4530000001",
            from: "+4570100100",
            instructions: Instructions::Url(
                "https://akut.example.dk/twilio/voice/page?case=x&notification=1",
            ),
            status_callback: Some("https://akut.example.dk/twilio/voice/status"),
            status_events: &["initiated", "ringing", "answered", "completed"],
            machine_detection: Some("Enable"),
            timeout_s: Some(30),
        })
        .await
        .expect("call");
    client
        .create_call(&NewCall {
            to: "+4530000002",
            from: "+4570100100",
            instructions: Instructions::Twiml("<Response><Say>Hej</Say></Response>"),
            status_callback: None,
            status_events: &[],
            machine_detection: None,
            timeout_s: None,
        })
        .await
        .expect("call");
    client
        .update_call("CA0123", CallUpdate::Complete)
        .await
        .expect("end");
    client
        .update_call(
            "CA0123",
            CallUpdate::Instructions(Instructions::Twiml("<Response><Hangup/></Response>")),
        )
        .await
        .expect("redirect");
    client
        .add_participant(
            "CF0123",
            &NewParticipant {
                from: "+4570100100",
                to: "+4530000001",
                status_callback: Some("https://akut.example.dk/twilio/voice/status"),
                status_events: &["ringing", "answered"],
                timeout_s: Some(25),
                end_conference_on_exit: true,
            },
        )
        .await
        .expect("participant");
    let ours = fake.requests();
    assert_eq!(ours.len(), python.len(), "{ours:#?}\n{python:#?}");
    for (o, p) in ours.iter().zip(&python) {
        assert_eq!((&o.method, &o.path), (&p.method, &p.path));
        assert_eq!(o.auth, p.auth, "Basic auth on {}", o.path);
        assert_eq!(o.content_type, p.content_type, "{}", o.path);
        let mut of = o.form.clone();
        let mut pf = p.form.clone();
        of.sort();
        pf.sort();
        assert_eq!(of, pf, "form of {}", o.path);
    }

    // A 5xx is retried (the third attempt succeeds); a 4xx is not, and
    // Twilio's own error is kept.
    fake.clear();
    let fast = client
        .clone()
        .with_retries(3, std::time::Duration::from_millis(50));
    let sms = |to: &'static str| NewMessage {
        to,
        from: "+4570100100",
        body: "x",
        status_callback: None,
    };
    fast.send_sms(&sms("+4599000503"))
        .await
        .expect("third attempt");
    assert_eq!(fake.requests().len(), 3);
    fake.clear();
    let err = fast.send_sms(&sms("+4599000400")).await.expect_err("a 4xx");
    assert_eq!(fake.requests().len(), 1, "no retry on 4xx");
    assert!(!err.retryable());
    assert!(err.to_string().contains("21211"), "{err}");
    // Wrong credentials: 401, not retried.
    let wrong = Client::new(Credentials {
        base_url: fake.url.clone(),
        account_sid: ACCOUNT.into(),
        auth_token: "wrong".into(),
    })
    .expect("client");
    let err = wrong.send_sms(&sms("+4530000001")).await.expect_err("401");
    assert!(err.to_string().contains("20003"), "{err}");
    // Recordings are fetched only from Twilio's own URL.
    let foreign = client.fetch_recording("http://evil.example/rec").await;
    assert!(matches!(foreign, Err(TwilioError::ForeignUrl(_))));
}
