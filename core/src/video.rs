//! Video when words are not enough: a per-case video room (a Jitsi or
//! Element Call URL template with an unguessable room name) offered to the
//! physician with the page and to staff on request.
//!
//! Each person gets a personal link (`{link_base}/v/{token}`) that records
//! who opened it before it redirects to the room, so the record holds the
//! room, whom it was offered to and who opened it. Tokens and room names
//! come from the caller's randomness (a v4 UUID: 122 random bits).

/// How video links are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoConfig {
    /// The room URL with `{room}` where the room name goes
    /// (`https://meet.jit.si/akutlinje-{room}`).
    pub template: String,
    /// Where personal links point: the service's public URL.
    pub link_base: String,
}

impl VideoConfig {
    /// Checks the template: an http(s) URL with `{room}` in it.
    pub fn new(template: &str, link_base: &str) -> Result<VideoConfig, String> {
        let t = template.trim();
        if !(t.starts_with("https://") || t.starts_with("http://")) {
            return Err(format!("{t:?} must start with https://"));
        }
        if !t.contains("{room}") {
            return Err(format!(
                "{t:?} must contain {{room}} where the room name goes"
            ));
        }
        Ok(VideoConfig {
            template: t.to_string(),
            link_base: link_base.trim_end_matches('/').to_string(),
        })
    }

    /// The room's URL.
    pub fn room_url(&self, room: &str) -> String {
        self.template.replace("{room}", room)
    }

    /// A person's link to the room.
    pub fn personal_link(&self, token: &str) -> String {
        format!("{}/v/{token}", self.link_base)
    }
}

/// A fresh room name or token from the caller's randomness: 32 hex digits.
pub fn fresh_name(random: uuid::Uuid) -> String {
    random.simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_needs_a_room_and_https() {
        assert!(VideoConfig::new("https://meet.jit.si/x", "https://a").is_err());
        assert!(VideoConfig::new("ftp://meet/{room}", "https://a").is_err());
        let v = VideoConfig::new(
            "https://meet.jit.si/akutlinje-{room}",
            "https://akut.region.dk/",
        )
        .expect("valid");
        assert_eq!(v.room_url("abc"), "https://meet.jit.si/akutlinje-abc");
        assert_eq!(v.personal_link("t1"), "https://akut.region.dk/v/t1");
        let n = fresh_name(uuid::Uuid::new_v4());
        assert_eq!(n.len(), 32);
        assert!(n.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
