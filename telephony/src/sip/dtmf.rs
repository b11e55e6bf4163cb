//! Keys pressed on a phone, as RFC 4733 telephone-events in RTP. A key is
//! sent as several packets (start, updates, three end packets) that share
//! one RTP timestamp; it counts once, on its first end packet.

/// One telephone-event payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// The event code (0–9, 10 `*`, 11 `#`, 12–15 A–D).
    pub code: u8,
    /// The key was released.
    pub end: bool,
    /// Power level in −dBm0 (0–63).
    pub volume: u8,
    /// How long the key has been down, in timestamp units.
    pub duration: u16,
}

/// Why a payload is not a telephone-event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a telephone-event payload ({0} bytes)")]
pub struct NotAnEvent(pub usize);

impl Event {
    /// Reads the four-byte payload.
    pub fn parse(payload: &[u8]) -> Result<Event, NotAnEvent> {
        let [code, flags, d0, d1] = payload
            .get(..4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .ok_or(NotAnEvent(payload.len()))?;
        Ok(Event {
            code,
            end: flags & 0x80 != 0,
            volume: flags & 0x3f,
            duration: u16::from_be_bytes([d0, d1]),
        })
    }

    /// The key, if the event is one of the keypad's.
    pub fn key(&self) -> Option<char> {
        match self.code {
            0..=9 => char::from_digit(u32::from(self.code), 10),
            10 => Some('*'),
            11 => Some('#'),
            12..=15 => Some(char::from(b'A' + self.code - 12)),
            _ => None,
        }
    }

    /// The four-byte payload.
    pub fn to_bytes(&self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [
            self.code,
            (u8::from(self.end) << 7) | (self.volume & 0x3f),
            d[0],
            d[1],
        ]
    }
}

/// Turns a stream of telephone-event packets into keys, each once.
#[derive(Debug, Default)]
pub struct Keys {
    /// The timestamp of the last key counted: its repeated end packets (and
    /// a retransmitted start) are the same key.
    last: Option<u32>,
}

impl Keys {
    /// The key this packet completes, if it is the first end of a new key.
    pub fn on_packet(&mut self, timestamp: u32, payload: &[u8]) -> Option<char> {
        let event = Event::parse(payload).ok()?;
        if !event.end || self.last == Some(timestamp) {
            return None;
        }
        self.last = Some(timestamp);
        event.key()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn packet(code: u8, end: bool, duration: u16) -> [u8; 4] {
        Event {
            code,
            end,
            volume: 10,
            duration,
        }
        .to_bytes()
    }

    #[test]
    fn a_key_counts_once_on_its_first_end_packet() {
        let mut keys = Keys::default();
        let mut got = Vec::new();
        // "1" then "#", each: start, update, three ends (as phones send them).
        for (ts, code) in [(1000u32, 1u8), (3000, 11)] {
            for (end, d) in [
                (false, 160),
                (false, 320),
                (true, 480),
                (true, 480),
                (true, 480),
            ] {
                got.extend(keys.on_packet(ts, &packet(code, end, d)));
            }
        }
        assert_eq!(got, vec!['1', '#']);
    }

    #[test]
    fn the_same_key_twice_is_two_keys() {
        let mut keys = Keys::default();
        let a = keys.on_packet(100, &packet(5, true, 400));
        let b = keys.on_packet(900, &packet(5, true, 400));
        assert_eq!((a, b), (Some('5'), Some('5')));
    }

    #[test]
    fn every_keypad_code_has_its_key() {
        let keys: String = (0..=15)
            .filter_map(|code| {
                Event {
                    code,
                    end: true,
                    volume: 0,
                    duration: 0,
                }
                .key()
            })
            .collect();
        assert_eq!(keys, "0123456789*#ABCD");
        assert_eq!(
            Event::parse(&packet(16, true, 1)).expect("parse").key(),
            None
        );
        assert_eq!(Event::parse(&[1, 2, 3]), Err(NotAnEvent(3)));
    }

    proptest! {
        #[test]
        fn any_payload_is_a_key_or_nothing(ts in any::<u32>(), bytes in proptest::collection::vec(any::<u8>(), 0..12)) {
            let mut keys = Keys::default();
            let _ = keys.on_packet(ts, &bytes);
            // The same packet again never counts twice.
            prop_assert_eq!(keys.on_packet(ts, &bytes), None);
        }
    }
}
