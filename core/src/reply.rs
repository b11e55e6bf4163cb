//! A physician's answer to a page, in one vocabulary for every channel:
//! chat (text and reactions), SMS and voice. Before, three word lists
//! disagreed ("modtaget" worked in chat, not by SMS; "okay" by SMS, not in
//! chat).
//!
//! - acknowledge: `ok`, `okay`, `ja`, `kvitter`, `kvittér`, `kvitteret`,
//!   `modtaget`, ✅ ✔ 👍 — optionally followed by the case code (`OK 4821`);
//! - decline: `nej`, `no`, `afvis`, `afvist`, `kan ikke`, ❌ ✖ 👎 — likewise;
//! - a decision: `!beslutning 6 [advice]` (or `!b`), or a bare number from
//!   the list; `!beslutning` alone asks for the list;
//! - anything else is advice, kept verbatim.

use crate::escalation::Disposition;

/// What a physician's words mean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageReply {
    /// Takes the page; `code` names the case (required by SMS).
    Acknowledge {
        /// The case code, if given.
        code: Option<String>,
    },
    /// Declines the page; the next step pages at once.
    Decline {
        /// The case code, if given.
        code: Option<String>,
    },
    /// `!beslutning` without a known choice: show the list.
    ShowDispositions {
        /// The choice given that is not one, if any.
        unknown: Option<String>,
    },
    /// A decision, with optional advice in the physician's words.
    Decide {
        /// The decision.
        disposition: Disposition,
        /// Advice in the physician's words.
        advice: Option<String>,
    },
    /// "ny måling om 60 min": a re-measurement ordered, on its own.
    Remeasure {
        /// In how many minutes.
        minutes: u32,
    },
    /// Free text: advice for the staff, verbatim.
    Advice(String),
}

/// The words that order a re-measurement ("ny måling 60", "new measurement in 30").
const REMEASURE: [&str; 3] = ["ny måling", "ny maaling", "new measurement"];

/// The longest wait a re-measure order takes (a day).
pub const REMEASURE_MAX_MINUTES: u32 = 24 * 60;

/// A re-measure order on a keypad after the talk: 3, then the minutes
/// ("360" is in an hour). `None` for any other keys, or a wait of 0 or more
/// than a day.
pub fn remeasure_by_keys(digits: &str) -> Option<u32> {
    let digits: String = digits.chars().filter(char::is_ascii_digit).collect();
    digits
        .strip_prefix('3')?
        .parse::<u32>()
        .ok()
        .filter(|m| (1..=REMEASURE_MAX_MINUTES).contains(m))
}

/// A re-measure order in a physician's words, anywhere in the text: "ny
/// måling 60", "ny måling om 60 min", "new measurement in 30 minutes".
/// `None` without one, or with a wait of 0 or more than a day.
pub fn remeasure_minutes(text: &str) -> Option<u32> {
    let lower = text.to_lowercase();
    REMEASURE.iter().find_map(|w| {
        let (_, rest) = lower.split_once(w)?;
        let mut words = rest
            .split(|c: char| c.is_whitespace() || c == ',' || c == ':')
            .filter(|w| !w.is_empty());
        let mut first = words.next()?;
        if first == "om" || first == "in" {
            first = words.next()?;
        }
        let n: u32 = first.trim_end_matches(['.', '!']).parse().ok()?;
        (1..=REMEASURE_MAX_MINUTES).contains(&n).then_some(n)
    })
}

const ACKNOWLEDGE: [&str; 10] = [
    "ok",
    "okay",
    "ja",
    "kvitter",
    "kvittér",
    "kvitteret",
    "modtaget",
    "✅",
    "✔",
    "👍",
];
const DECLINE: [&str; 9] = [
    "nej", "no", "afvis", "afvist", "kan ikke", "❌", "✖", "👎", "nej tak",
];

/// The chat command that asks who is on call now (anyone may ask).
const WHO_IS_ON_CALL: &str = "!vagt";

/// The chat command that shows a case's record in its thread.
const SHOW_RECORD: &str = "!sag";

/// The words that ask for a video call in a case's thread.
const VIDEO: [&str; 4] = ["video", "videoopkald", "video call", "!video"];

/// Whether a message in a case's thread asks for a video call ("video").
pub fn asks_for_video(body: &str) -> bool {
    let t = body.trim().trim_end_matches(['.', '!', '?']).to_lowercase();
    VIDEO.contains(&t.as_str())
}

/// Whether a message in a case's thread asks for the record ("!sag").
pub fn asks_for_record(body: &str) -> bool {
    body.trim().eq_ignore_ascii_case(SHOW_RECORD)
}

/// Whether a message asks who is on call now.
pub fn asks_who_is_on_call(body: &str) -> bool {
    body.trim().eq_ignore_ascii_case(WHO_IS_ON_CALL)
}

/// Every word a reply is read by, so that a check can prove no channel
/// reads words of its own.
pub fn vocabulary() -> Vec<&'static str> {
    let mut v = vec![WHO_IS_ON_CALL, SHOW_RECORD, "!beslutning", "!b"];
    v.extend(REMEASURE);
    v.extend(VIDEO);
    v.extend(ACKNOWLEDGE);
    v.extend(DECLINE);
    v
}

impl PageReply {
    /// Whether the words are a command (everything but advice).
    pub fn is_command(&self) -> bool {
        !matches!(self, PageReply::Advice(_))
    }

    /// Reads a message. Total: anything that is not a command is advice.
    pub fn parse(body: &str) -> PageReply {
        let t = body.trim();
        let lower = t.to_lowercase().replace('\u{fe0f}', "");
        let words: Vec<&str> = lower
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|w| !w.is_empty())
            .collect();
        // A yes/no word (one or two words), then nothing or a case code.
        for take in [2, 1] {
            if words.len() < take {
                continue;
            }
            let head = words[..take].join(" ");
            let head = head.trim_end_matches(['.', '!']);
            let rest = &words[take..];
            let code = match rest {
                [] => None,
                [c] if c
                    .trim_end_matches('.')
                    .chars()
                    .all(|ch| ch.is_ascii_digit()) =>
                {
                    Some(c.trim_end_matches('.').to_string())
                }
                _ => continue,
            };
            if ACKNOWLEDGE.contains(&head) {
                return PageReply::Acknowledge { code };
            }
            if DECLINE.contains(&head) {
                return PageReply::Decline { code };
            }
        }
        for cmd in ["!beslutning", "!b"] {
            if let Some(rest) = lower.strip_prefix(cmd) {
                if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
                    continue;
                }
                // Keep the advice in the physician's own case and spelling.
                let rest = t.get(cmd.len()..).unwrap_or_default().trim();
                let (choice, advice) = match rest.split_once(char::is_whitespace) {
                    Some((c, a)) => (c, Some(a.trim().to_string()).filter(|a| !a.is_empty())),
                    None => (rest, None),
                };
                if choice.is_empty() {
                    return PageReply::ShowDispositions { unknown: None };
                }
                return match Disposition::parse(choice.trim_end_matches(['.', ':'])) {
                    Some(disposition) => PageReply::Decide {
                        disposition,
                        advice,
                    },
                    None => PageReply::ShowDispositions {
                        unknown: Some(choice.to_string()),
                    },
                };
            }
        }
        // "ny måling 60" on its own (with a decision it stays in the advice).
        if REMEASURE.iter().any(|w| lower.starts_with(w)) {
            if let Some(minutes) = remeasure_minutes(&lower) {
                return PageReply::Remeasure { minutes };
            }
        }
        // A bare number answers the list.
        if let Ok(n) = lower.trim_end_matches('.').parse::<usize>() {
            if let Some(d) = n.checked_sub(1).and_then(|i| Disposition::ALL.get(i)) {
                return PageReply::Decide {
                    disposition: *d,
                    advice: None,
                };
            }
        }
        PageReply::Advice(t.to_string())
    }

    /// A reaction on a page: ✅/✔/👍 acknowledge, ❌/✖/👎 decline.
    pub fn from_reaction(key: &str) -> Option<PageReply> {
        match PageReply::parse(key) {
            r @ (PageReply::Acknowledge { code: None } | PageReply::Decline { code: None })
                if !key.chars().any(char::is_alphanumeric) =>
            {
                Some(r)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_vocabulary_for_chat_and_sms() {
        use PageReply as R;
        let ack = |code: Option<&str>| R::Acknowledge {
            code: code.map(str::to_string),
        };
        let decline = |code: Option<&str>| R::Decline {
            code: code.map(str::to_string),
        };
        for (text, want) in [
            (" OK ", ack(None)),
            ("okay", ack(None)),
            ("Modtaget.", ack(None)),
            ("kvittér", ack(None)),
            ("✅", ack(None)),
            ("OK 4821", ack(Some("4821"))),
            ("modtaget 0042", ack(Some("0042"))),
            ("Nej.", decline(None)),
            ("nej, 0042", decline(Some("0042"))),
            ("kan ikke 1234", decline(Some("1234"))),
            ("❌", decline(None)),
        ] {
            assert_eq!(R::parse(text), want, "{text:?}");
        }
        assert_eq!(
            R::parse("!beslutning 6 Giv Panodil 1 g, mål igen kl. 6"),
            R::Decide {
                disposition: Disposition::WatchAtHome,
                advice: Some("Giv Panodil 1 g, mål igen kl. 6".into())
            }
        );
        assert_eq!(
            R::parse("!b 112"),
            R::Decide {
                disposition: Disposition::Call112,
                advice: None
            }
        );
        assert_eq!(
            R::parse("3"),
            R::Decide {
                disposition: Disposition::SeenNow,
                advice: None
            }
        );
        assert_eq!(
            R::parse("!beslutning"),
            R::ShowDispositions { unknown: None }
        );
        assert_eq!(
            R::parse("!beslutning 9"),
            R::ShowDispositions {
                unknown: Some("9".into())
            }
        );
        // Words after "okay" make it advice, not an acknowledgement.
        assert_eq!(
            R::parse("Okay, læg hende ned"),
            R::Advice("Okay, læg hende ned".into())
        );
        assert_eq!(R::parse("!bx"), R::Advice("!bx".into()));
        assert_eq!(R::parse("8"), R::Advice("8".into()));
        assert_eq!(R::parse("Hvad er det?"), R::Advice("Hvad er det?".into()));
    }

    #[test]
    fn a_remeasure_order_is_read_alone_or_with_a_decision() {
        assert_eq!(
            PageReply::parse("ny måling om 60 min"),
            PageReply::Remeasure { minutes: 60 }
        );
        assert_eq!(
            PageReply::parse("New measurement in 30 minutes"),
            PageReply::Remeasure { minutes: 30 }
        );
        let d = PageReply::parse("!beslutning 6 ny måling 60, giv Panodil");
        let PageReply::Decide { advice, .. } = d else {
            panic!("{d:?}")
        };
        assert_eq!(
            remeasure_minutes(advice.as_deref().unwrap_or_default()),
            Some(60)
        );
        assert_eq!(remeasure_minutes("ny måling 0"), None);
        assert_eq!(remeasure_minutes("ny måling 5000"), None);
        assert_eq!(remeasure_minutes("ny måling i morgen"), None);
        // By keys: 3, then the minutes.
        assert_eq!(remeasure_by_keys("345#"), Some(45));
        assert_eq!(remeasure_by_keys("360"), Some(60));
        for other in ["", "3", "30", "245", "35000", "#"] {
            assert_eq!(remeasure_by_keys(other), None, "{other:?}");
        }
        // Without a number it is advice, kept verbatim.
        assert_eq!(
            PageReply::parse("ny måling senere"),
            PageReply::Advice("ny måling senere".into())
        );
    }

    #[test]
    fn reactions_are_yes_or_no_only() {
        assert_eq!(
            PageReply::from_reaction("✅"),
            Some(PageReply::Acknowledge { code: None })
        );
        assert_eq!(
            PageReply::from_reaction("👎"),
            Some(PageReply::Decline { code: None })
        );
        assert_eq!(PageReply::from_reaction("1️⃣"), None);
        assert_eq!(PageReply::from_reaction("ok"), None);
    }
}
