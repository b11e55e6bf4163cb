//! The record in words: each event as one sentence in the reader's language
//! ("Puls 112", "Vagtlæge kaldt, hastegrad ORANGE (høj)"), for every view
//! of a case a clinician reads. The sentence is a message of the locale
//! (`event-<kind>`), so the words live in `prompts/`, not here.

use serde::Serialize;

use crate::i18n::Msg;
use crate::ids::PersonId;
use crate::record::EventKind;

/// The snake_case name serde gives a value (a parameter, a channel).
fn snake<T: Serialize>(t: &T) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn flags(ids: &[crate::assessment::FlagId]) -> Vec<Msg> {
    ids.iter().map(|f| Msg::new(format!("flag-{f}"))).collect()
}

/// A vital sign's value as the record keeps it ("air", "new_confusion",
/// "38,9"), as a message in the reader's language: the coded values through
/// the locale ("luft", "Ny eller værre forvirring"), numbers as they are.
pub fn vital_value(p: crate::vitals::Param, shown: &str) -> Msg {
    use crate::vitals::Param;
    match (p, shown) {
        (Param::Oxygen, "air") => Msg::new("value-air"),
        (Param::Oxygen, "oxygen") => Msg::new("value-oxygen"),
        (Param::Consciousness, c)
            if !c.is_empty() && c.chars().all(|x| x.is_ascii_lowercase() || x == '_') =>
        {
            Msg::new(format!("cons-{c}"))
        }
        (_, v) => Msg::new("value-as-given").arg("value", v),
    }
}

/// The machine transcripts of a recording in a record, oldest first: shown
/// next to the audio, marked as machine-made, never in its place.
pub fn transcripts_of(
    events: &[crate::record::CaseEvent],
    attachment: i64,
) -> impl Iterator<Item = &crate::ids::Text> {
    events.iter().filter_map(move |e| match &e.event.kind {
        EventKind::Transcribed {
            attachment: a,
            text,
            ..
        } if *a == attachment => Some(text),
        _ => None,
    })
}

/// The physician's last advice in a record, as the staff read it: the
/// decision and its words, or advice in words alone.
pub fn last_advice(
    loc: &crate::i18n::Localizer,
    lang: crate::i18n::Lang,
    events: &[crate::record::CaseEvent],
) -> Option<String> {
    events
        .iter()
        .rev()
        .filter(|e| e.event.author.role == Some(crate::person::Role::Physician))
        .find_map(|e| match &e.event.kind {
            EventKind::DispositionRecorded { .. } | EventKind::Note { .. } => {
                Some(loc.render(lang, &e.event.kind.sentence()))
            }
            _ => None,
        })
}

/// A case's record as text, a line per event: the time (Danish), the author
/// by name and role, the event as a sentence; a voice note's machine
/// transcripts indented under it. What `cases show --format text` prints
/// and `!sag` shows in the Matrix thread.
pub fn record_text(
    loc: &crate::i18n::Localizer,
    lang: crate::i18n::Lang,
    case: &crate::record::CaseSummary,
    events: &[crate::record::CaseEvent],
    names: &std::collections::HashMap<crate::ids::PersonId, String>,
) -> String {
    use chrono_tz::Europe::Copenhagen;
    use std::fmt::Write as _;
    let mut out = String::new();
    let opened = case.opened_at.with_timezone(&Copenhagen);
    let _ = writeln!(
        out,
        "{}",
        loc.render(lang, &Msg::new("print-title").arg("case", case.id))
    );
    let _ = writeln!(
        out,
        "{} · {}",
        loc.render(lang, &Msg::new("print-home").arg("home", &case.home)),
        loc.render(
            lang,
            &Msg::new("print-opened").arg("at", opened.format("%d.%m.%Y %H:%M").to_string())
        )
    );
    let mut day = None;
    for e in events {
        let at = e.event.at.with_timezone(&Copenhagen);
        if day != Some(at.date_naive()) {
            day = Some(at.date_naive());
            let _ = writeln!(out, "\n{}", at.format("%d.%m.%Y"));
        }
        let who = match (&e.event.author.person, e.event.author.role) {
            (Some(p), role) => {
                let name = names.get(p).cloned().unwrap_or_else(|| p.to_string());
                match role {
                    Some(r) => format!(
                        "{name} ({})",
                        loc.text(lang, &format!("role-{}", r.as_str()))
                    ),
                    None => name,
                }
            }
            (None, _) => loc.text(lang, "print-system"),
        };
        let by_name = |p: &PersonId| names.get(p).cloned().unwrap_or_else(|| p.to_string());
        let mut line = loc.render(lang, &e.event.kind.sentence_named(&by_name));
        if let Some(c) = e.event.corrects {
            line.push_str(&format!(
                " ({})",
                loc.render(lang, &Msg::new("print-corrects").arg("seq", c.to_string()))
            ));
        }
        let _ = writeln!(out, "{} {who}: {line}", at.format("%H:%M"));
        if let EventKind::AudioAttached { attachment, .. } = &e.event.kind {
            for t in transcripts_of(events, *attachment) {
                let _ = writeln!(
                    out,
                    "      ↳ {}",
                    loc.render(lang, &Msg::new("print-machine-transcript").arg("text", t))
                );
            }
        }
    }
    out
}

impl EventKind {
    /// The event as a sentence (without its time and author), people by id.
    pub fn sentence(&self) -> Msg {
        self.sentence_named(&|p: &PersonId| p.to_string())
    }

    /// Every person the event names in its payload (who was paged, who
    /// answered), for a view that shows them by name.
    pub fn persons(&self) -> Vec<&PersonId> {
        match self {
            EventKind::PageSent { person, .. }
            | EventKind::PageAcknowledged { person, .. }
            | EventKind::PageDeclined { person }
            | EventKind::TrendReported { person } => vec![person],
            EventKind::CoordinatorAlerted { person }
            | EventKind::StaffAdvised { person }
            | EventKind::VideoOffered { person, .. }
            | EventKind::VideoOpened { person } => person.iter().collect(),
            _ => Vec::new(),
        }
    }

    /// The event as a sentence, each person as `name` gives them
    /// ("Mette Lund har taget opkaldet", not "dr-lund ...").
    pub fn sentence_named(&self, name: &dyn Fn(&PersonId) -> String) -> Msg {
        let m = Msg::new(format!("event-{}", self.tag()));
        let opt = |p: &Option<PersonId>| p.as_ref().map(name).unwrap_or_default();
        match self {
            EventKind::CaseOpened { home } => m.arg("home", home),
            EventKind::InputReceived { step, text } => m
                .arg_msg("step", Msg::new(format!("step-{step}")).arg("id", step))
                .arg("text", text),
            EventKind::CallerNamed { name } => m.arg("name", name),
            EventKind::ResidentIdentified { resident }
            | EventKind::ResidentRejected { resident } => m.arg("resident", resident),
            EventKind::RedFlagsAnswered { flags: f } if f.is_empty() => {
                Msg::new("event-red_flags_none")
            }
            EventKind::RedFlagsAnswered { flags: f }
            | EventKind::Advised112 { flags: f }
            | EventKind::No112ByTreatmentDecision { flags: f } => m.arg_list("flags", flags(f)),
            EventKind::VitalRecorded { param, value } => m
                .arg_msg("param", Msg::new(format!("param-{}", snake(param))))
                .arg_msg(
                    "value",
                    vital_value(*param, value.as_deref().unwrap_or("—")),
                ),
            EventKind::SituationRecorded { text }
            | EventKind::Note { text }
            | EventKind::Correction { text } => m.arg("text", text),
            EventKind::ConcernRecorded { text } => match text {
                Some(t) => m.arg("text", t),
                None => Msg::new("event-concern_none"),
            },
            EventKind::UrgencyAssessed { urgency, .. }
            | EventKind::PageRequested { urgency }
            | EventKind::PageUpdated { urgency } => m.arg_msg("urgency", urgency.label()),
            EventKind::CaseClosed { reason } => m.arg(
                "reason",
                reason.as_ref().map(|r| r.to_string()).unwrap_or_default(),
            ),
            EventKind::PageSent {
                person, channels, ..
            } => m.arg("person", name(person)).arg_list(
                "channels",
                channels
                    .iter()
                    .map(|c| Msg::new(format!("notify-{}", snake(c))))
                    .collect(),
            ),
            EventKind::NobodyOnCall { tier, .. } => m.arg("tier", tier),
            EventKind::DispositionRecorded {
                disposition,
                advice,
            } => m
                .arg_msg(
                    "disposition",
                    Msg::new(format!("disposition-{}", disposition.as_str())),
                )
                .arg(
                    "advice",
                    advice.as_ref().map(|a| a.to_string()).unwrap_or_default(),
                ),
            EventKind::PageAcknowledged { person, .. } | EventKind::PageDeclined { person } => {
                m.arg("person", name(person))
            }
            EventKind::CoordinatorAlerted { person } | EventKind::StaffAdvised { person } => {
                m.arg("person", opt(person))
            }
            EventKind::NotificationDelivered { channel, .. } => {
                m.arg_msg("channel", Msg::new(format!("notify-{}", snake(channel))))
            }
            EventKind::NotificationFailed { channel, error, .. } => m
                .arg_msg("channel", Msg::new(format!("notify-{}", snake(channel))))
                .arg("error", error),
            EventKind::AudioAttached { duration_ms, .. } => {
                m.arg("seconds", duration_ms.map_or(0, |ms| ms.div_ceil(1000)))
            }
            EventKind::TelephonyStatus { leg, status, .. } => {
                m.arg("leg", leg).arg("status", status)
            }
            EventKind::Transcribed { text, .. } => m.arg("text", text),
            EventKind::TranscriptionFailed { reason, .. } => m.arg("reason", reason),
            EventKind::ResidentDataWithheld { reason, .. } => m.arg("reason", reason),
            EventKind::AdviceUnconfirmed { stage } | EventKind::RemeasureReminded { stage } => {
                m.arg("stage", *stage)
            }
            EventKind::RemeasureOrdered { minutes, due_at } => m.arg("minutes", *minutes).arg(
                "due",
                due_at
                    .with_timezone(&chrono_tz::Europe::Copenhagen)
                    .format("%H:%M")
                    .to_string(),
            ),
            EventKind::RemeasureAssessed { trend } => m
                .arg("worse", if trend.is_worse() { "yes" } else { "no" })
                .arg_msg("trend", trend.line()),
            EventKind::TrendReported { person } => m.arg("person", name(person)),
            EventKind::VideoOffered { person, url } => m.arg("person", opt(person)).arg("url", url),
            EventKind::VideoOpened { person } => m.arg("person", opt(person)),
            EventKind::AlternativeAdvised { name, phone } => {
                m.arg("name", name).arg("phone", phone)
            }
            EventKind::IsbarComposed { .. }
            | EventKind::AdviceConfirmed
            | EventKind::RemeasureStarted
            | EventKind::ResidentNotFound
            | EventKind::ChecklistCompleted
            | EventKind::CaseCancelled
            | EventKind::EscalationExhausted
            | EventKind::PhysicianRequested => m,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assessment::{FlagId, Urgency};
    use crate::escalation::{Disposition, NotifyChannel};
    use crate::i18n::{Lang, Localizer};
    use crate::ids::Text;
    use crate::vitals::Param;

    fn text(s: &str) -> Text {
        Text::parse("t", s, 100).expect("text")
    }

    /// One of each kind but the ISBAR (its sentence takes no arguments).
    fn samples() -> Vec<EventKind> {
        let flag = || vec![FlagId("chest_pain".into())];
        let p = || "dr-lund".parse().expect("id");
        vec![
            EventKind::CaseOpened {
                home: "solgaarden".parse().expect("id"),
            },
            EventKind::InputReceived {
                step: "pulse".into(),
                text: text("112"),
            },
            EventKind::CallerNamed { name: text("Anna") },
            EventKind::ResidentIdentified {
                resident: "sol-12".parse().expect("id"),
            },
            EventKind::ResidentNotFound,
            EventKind::ResidentRejected {
                resident: "sol-12".parse().expect("id"),
            },
            EventKind::RedFlagsAnswered { flags: vec![] },
            EventKind::RedFlagsAnswered { flags: flag() },
            EventKind::Advised112 { flags: flag() },
            EventKind::No112ByTreatmentDecision { flags: flag() },
            EventKind::VitalRecorded {
                param: Param::Pulse,
                value: Some("112".into()),
            },
            EventKind::VitalRecorded {
                param: Param::Temp,
                value: None,
            },
            EventKind::SituationRecorded {
                text: text("Faldet"),
            },
            EventKind::ConcernRecorded { text: None },
            EventKind::ConcernRecorded {
                text: Some(text("Træt")),
            },
            EventKind::UrgencyAssessed {
                urgency: Urgency::High,
                reason: "news2".into(),
            },
            EventKind::PageRequested {
                urgency: Urgency::High,
            },
            EventKind::PageUpdated {
                urgency: Urgency::Red,
            },
            EventKind::Note {
                text: text("Ringet op"),
            },
            EventKind::Correction { text: text("Gled") },
            EventKind::ChecklistCompleted,
            EventKind::CaseCancelled,
            EventKind::CaseClosed { reason: None },
            EventKind::PageSent {
                person: p(),
                tier: None,
                channels: vec![NotifyChannel::Matrix, NotifyChannel::Voice],
                step: 0,
                round: 0,
                reason: "first_page".into(),
            },
            EventKind::NobodyOnCall {
                tier: "primary".parse().expect("id"),
                step: 0,
                round: 0,
            },
            EventKind::DispositionRecorded {
                disposition: Disposition::WatchAtHome,
                advice: Some(text("Væske")),
            },
            EventKind::PageAcknowledged {
                person: p(),
                takeover: false,
            },
            EventKind::PageDeclined { person: p() },
            EventKind::EscalationExhausted,
            EventKind::CoordinatorAlerted { person: None },
            EventKind::StaffAdvised { person: None },
            EventKind::NotificationDelivered {
                notification: 1,
                channel: NotifyChannel::Sms,
                external_id: None,
            },
            EventKind::NotificationFailed {
                notification: 1,
                channel: NotifyChannel::Log,
                error: "x".into(),
                fallover: None,
            },
            EventKind::AudioAttached {
                attachment: 1,
                mime: "audio/wav".into(),
                bytes: 10,
                duration_ms: Some(4_200),
            },
            EventKind::PhysicianRequested,
            EventKind::TelephonyStatus {
                leg: "caller".into(),
                sid: "x".into(),
                status: "completed".into(),
                detail: None,
            },
            EventKind::Transcribed {
                attachment: 1,
                text: text("she is confused"),
                language: "en".into(),
                model: "base".into(),
                audio_ms: 1,
                processing_ms: 1,
            },
            EventKind::TranscriptionFailed {
                attachment: 1,
                reason: "x".into(),
                detail: "y".into(),
            },
            EventKind::ResidentDataWithheld {
                reason: "x".into(),
                member: None,
            },
        ]
    }

    #[test]
    fn every_event_reads_as_a_sentence_in_danish_and_english() {
        let loc = Localizer::builtin().expect("texts");
        for lang in [Lang::Da, Lang::En] {
            assert!(loc.has(lang, "event-isbar_composed"));
            for k in samples() {
                let s = loc.render(lang, &k.sentence());
                assert!(
                    !s.contains('[') && !s.contains('{'),
                    "{lang:?} {}: {s}",
                    k.tag()
                );
                assert!(!s.contains(k.tag()) || k.tag() == "note", "{s}");
            }
        }
        let da = |k: EventKind| loc.render(Lang::Da, &k.sentence());
        assert_eq!(
            da(EventKind::VitalRecorded {
                param: Param::Pulse,
                value: Some("112".into())
            }),
            "Puls 112"
        );
        assert_eq!(
            da(EventKind::PageRequested {
                urgency: Urgency::High
            }),
            "Vagtlæge kaldt, hastegrad ORANGE (høj)"
        );
        assert_eq!(
            da(EventKind::Advised112 {
                flags: vec![FlagId("chest_pain".into())]
            }),
            "Rådet til at ringe 112: Brystsmerter"
        );
        // A transcript is always said to be a machine's.
        assert!(da(samples().remove(samples().len() - 3)).starts_with("Maskinel transskription"));
    }
}
