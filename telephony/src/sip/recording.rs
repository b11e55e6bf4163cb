//! Received audio placed by RTP timestamp. A phone pauses its audio while a
//! key is down and the network reorders packets: writing samples where
//! their timestamp says keeps a recording's timing (and the silence) true.

/// 8 kHz mono samples, positioned by timestamp from the first packet.
#[derive(Debug)]
pub struct Recording {
    first: Option<u32>,
    samples: Vec<i16>,
    max_samples: usize,
    /// Packets that came too late (before the first) or beyond the limit.
    pub dropped: usize,
}

impl Recording {
    /// A recording that keeps at most `max_samples` (2 minutes at 8 kHz is
    /// 960,000).
    pub fn new(max_samples: usize) -> Recording {
        Recording {
            first: None,
            samples: Vec::new(),
            max_samples,
            dropped: 0,
        }
    }

    /// Places `pcm`, whose first sample has RTP `timestamp`. Gaps stay
    /// silent; a packet that overlaps one already placed overwrites it (the
    /// same audio, retransmitted).
    pub fn place(&mut self, timestamp: u32, pcm: &[i16]) {
        let first = *self.first.get_or_insert(timestamp);
        // Wrapping: a timestamp "before" the first by less than half the
        // range is a late packet, not one from 2^32 samples on.
        let offset = timestamp.wrapping_sub(first);
        if offset > u32::MAX / 2 {
            self.dropped += 1;
            return;
        }
        let at = offset as usize;
        if at >= self.max_samples {
            self.dropped += 1;
            return;
        }
        let end = (at + pcm.len()).min(self.max_samples);
        if self.samples.len() < end {
            self.samples.resize(end, 0);
        }
        self.samples[at..end].copy_from_slice(&pcm[..end - at]);
    }

    /// Whether the limit is reached.
    pub fn is_full(&self) -> bool {
        self.samples.len() >= self.max_samples
    }

    /// The samples so far.
    pub fn samples(&self) -> &[i16] {
        &self.samples
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_are_placed_by_timestamp_not_arrival() {
        let mut r = Recording::new(1000);
        r.place(1000, &[1; 160]);
        r.place(1320, &[3; 160]); // arrives before the one it follows
        r.place(1160, &[2; 160]);
        let s = r.samples();
        assert_eq!(s.len(), 480);
        assert_eq!((s[0], s[160], s[320]), (1, 2, 3));
    }

    #[test]
    fn a_pause_stays_silent_and_the_limit_holds() {
        let mut r = Recording::new(400);
        r.place(0, &[7; 160]);
        r.place(320, &[9; 160]); // 160 samples of pause before it
        assert!(r.samples()[160..320].iter().all(|s| *s == 0));
        assert_eq!(r.samples().len(), 400);
        assert!(r.is_full());
        r.place(480, &[1; 160]);
        assert_eq!(r.dropped, 1);
    }

    #[test]
    fn timestamps_wrap_and_late_packets_are_dropped() {
        let mut r = Recording::new(1000);
        r.place(u32::MAX - 79, &[1; 80]);
        r.place(0, &[2; 80]); // after the wrap: right behind the first
        assert_eq!(r.samples()[80], 2);
        r.place(u32::MAX - 500, &[3; 80]); // before the first
        assert_eq!(r.dropped, 1);
    }
}
