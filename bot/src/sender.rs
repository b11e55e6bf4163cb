//! The Matrix channel of the notification outbox: a page (or notice) goes to
//! the person as a direct message from the bot, mentioning them so Element
//! notifies; delivery is confirmed by the homeserver's event id.

use std::sync::{Arc, OnceLock, RwLock};

use akutlinje_core::escalation::{
    Notification, NotificationKind, NotifyChannel, SendError, Sender,
};
use akutlinje_core::i18n::{Lang, Localizer};
use akutlinje_core::person::Person;
use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;
use matrix_sdk::ruma::events::Mentions;
use matrix_sdk::ruma::OwnedUserId;
use matrix_sdk::Client;

/// Sends through the bot's client once it is connected; until then every
/// send is a retryable failure, so the outbox waits or falls over. While
/// another instance runs the bot ([`playing`](MatrixSender::playing) false),
/// it is not [`ready`](Sender::ready): the outbox leaves Matrix
/// notifications to the instance that runs it.
#[derive(Clone)]
pub struct MatrixSender {
    client: Arc<RwLock<Option<Client>>>,
    playing: Arc<std::sync::atomic::AtomicBool>,
    loc: Arc<Localizer>,
    ctx: Arc<OnceLock<crate::BotContext>>,
}

impl MatrixSender {
    /// A sender without a client yet; `loc` gives the Matrix-only answer hints.
    pub fn new(loc: Arc<Localizer>) -> MatrixSender {
        MatrixSender {
            client: Arc::new(RwLock::new(None)),
            playing: Arc::new(std::sync::atomic::AtomicBool::new(true)),
            loc,
            ctx: Arc::new(OnceLock::new()),
        }
    }

    /// Hands over the connected client.
    pub fn connected(&self, client: Client) {
        if let Ok(mut c) = self.client.write() {
            *c = Some(client);
        }
    }

    /// Whether this instance runs the bot (holds its lease): set false
    /// while another does, true again when the role comes here. The client
    /// is dropped when the role goes.
    pub fn playing(&self, on: bool) {
        self.playing.store(on, std::sync::atomic::Ordering::SeqCst);
        if !on {
            if let Ok(mut c) = self.client.write() {
                *c = None;
            }
        }
    }

    fn client(&self) -> Option<Client> {
        self.client.read().ok().and_then(|c| c.clone())
    }

    /// Hands over the bot's context (once): reminders after the advice
    /// then go to the staff in the case's own thread, where the case is.
    pub fn with_context(&self, ctx: crate::BotContext) {
        let _ = self.ctx.set(ctx);
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

    fn ready(&self) -> bool {
        self.playing.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn discloses(&self, n: &Notification) -> bool {
        n.new.case.is_some()
            && matches!(
                n.new.kind,
                NotificationKind::Page | NotificationKind::Transcript | NotificationKind::FollowUp
            )
    }

    async fn send(&self, n: &Notification, to: &Person) -> Result<Option<String>, SendError> {
        // The SDK retries a homeserver that is away for a long time; the
        // outbox has its own retries and fall-over, so give up early instead
        // of holding up every other notification.
        tokio::time::timeout(SEND_TIMEOUT, self.send_now(n, to))
            .await
            .map_err(|_| retry("the homeserver did not answer in time"))?
    }
}

/// A direct room that holds the bot and `user` and nobody else (joined or
/// invited), end-to-end encrypted: the only kind a page or a transcript
/// goes into. A direct room someone else was let into is not used; a new
/// one is made instead.
async fn private_room(
    client: &Client,
    user: &matrix_sdk::ruma::UserId,
) -> Option<matrix_sdk::Room> {
    let me = client.user_id()?.to_owned();
    for room in client.get_dm_rooms(user) {
        if room.state() == matrix_sdk::RoomState::Left {
            continue;
        }
        if !room
            .latest_encryption_state()
            .await
            .is_ok_and(|s| s.is_encrypted())
        {
            continue;
        }
        let Ok(members) = room.members(matrix_sdk::RoomMemberships::ACTIVE).await else {
            continue;
        };
        if members.len() == 2
            && members.iter().all(|m| {
                m.user_id().as_str() == me.as_str() || m.user_id().as_str() == user.as_str()
            })
        {
            return Some(room);
        }
        tracing::warn!(room = %room.room_id(), "a direct room with someone else in it is not used for pages");
    }
    None
}

/// How long one delivery attempt may take.
const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

impl MatrixSender {
    async fn send_now(&self, n: &Notification, to: &Person) -> Result<Option<String>, SendError> {
        let client = self
            .client()
            .ok_or_else(|| retry("the Matrix bot is not connected"))?;
        // A reminder to staff about a chat case: in the case's thread.
        if let (
            NotificationKind::FollowUp,
            Some(case),
            Some(ctx),
            akutlinje_core::person::Role::Staff,
        ) = (n.new.kind, n.new.case, self.ctx.get(), to.role)
        {
            match crate::conversation::post_in_case_thread(ctx, &client, case, &n.new.text).await {
                Ok(Some(id)) => return Ok(Some(id)),
                Ok(None) => {}
                Err(why) => {
                    return Err(SendError {
                        retryable: false,
                        message: why,
                    })
                }
            }
        }
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
        let room = match private_room(&client, &user).await {
            Some(r) => r,
            None => client.create_dm(&user).await.map_err(retry)?,
        };
        let mut plain = n.new.text.clone();
        // Reactions and the decision command exist only here.
        let howto = (n.new.kind == NotificationKind::Page)
            .then(|| self.loc.text(Lang::Da, "bot-page-howto"));
        let html = maud::html! {
            p { a href={ "https://matrix.to/#/" (user.as_str()) } { (to.name.as_str()) } }
            pre { (n.new.text) }
            @if let Some(h) = &howto { p { (h) } }
        };
        if let Some(h) = &howto {
            plain.push_str("\n\n");
            plain.push_str(h);
        }
        let content = RoomMessageEventContent::text_html(plain, html.into_string())
            .add_mentions(Mentions::with_user_ids([user]));
        let sent = room.send(content).await.map_err(retry)?;
        Ok(Some(sent.response.event_id.to_string()))
    }
}
