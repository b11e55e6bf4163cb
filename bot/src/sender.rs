//! The Matrix channel of the notification outbox: a page (or notice) goes to
//! the person as a direct message from the bot, mentioning them so Element
//! notifies; delivery is confirmed by the homeserver's event id.

use std::sync::{Arc, OnceLock};

use akutlinje_core::escalation::{Notification, NotifyChannel, SendError, Sender};
use akutlinje_core::person::Person;
use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;
use matrix_sdk::ruma::events::Mentions;
use matrix_sdk::ruma::OwnedUserId;
use matrix_sdk::Client;

/// Sends through the bot's client once it is connected; until then every
/// send is a retryable failure, so the outbox waits or falls over.
#[derive(Clone, Default)]
pub struct MatrixSender {
    client: Arc<OnceLock<Client>>,
}

impl MatrixSender {
    /// A sender without a client yet.
    pub fn new() -> MatrixSender {
        MatrixSender::default()
    }

    /// Hands over the connected client (once).
    pub fn connected(&self, client: Client) {
        let _ = self.client.set(client);
    }
}

fn retry(e: impl std::fmt::Display) -> SendError {
    SendError {
        retryable: true,
        message: e.to_string(),
    }
}

#[async_trait::async_trait]
impl Sender for MatrixSender {
    fn channel(&self) -> NotifyChannel {
        NotifyChannel::Matrix
    }

    async fn send(&self, n: &Notification, to: &Person) -> Result<Option<String>, SendError> {
        let client = self
            .client
            .get()
            .ok_or_else(|| retry("the Matrix bot is not connected"))?;
        let Some(user) = to.matrix_user.as_deref() else {
            return Err(SendError {
                retryable: false,
                message: "the person has no Matrix id".into(),
            });
        };
        let user: OwnedUserId = user.try_into().map_err(|_| SendError {
            retryable: false,
            message: "the person's Matrix id is not valid".into(),
        })?;
        let room = match client.get_dm_room(&user) {
            Some(r) => r,
            None => client.create_dm(&user).await.map_err(retry)?,
        };
        let html = format!(
            "<p><a href=\"https://matrix.to/#/{u}\">{n}</a></p><pre>{t}</pre>",
            u = crate::conversation::escape(user.as_str()),
            n = crate::conversation::escape(to.name.as_str()),
            t = crate::conversation::escape(&n.new.text),
        );
        let content = RoomMessageEventContent::text_html(n.new.text.clone(), html)
            .add_mentions(Mentions::with_user_ids([user]));
        let sent = room.send(content).await.map_err(retry)?;
        Ok(Some(sent.response.event_id.to_string()))
    }
}
