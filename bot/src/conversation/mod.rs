//! Staff conversations: a case per Matrix thread in the home's room.
//!
//! Why threads rather than a new room per case: night staff stay in the one
//! room they know (their home's), see every open case of the night as a thread
//! there, and need not accept an invite at 3 a.m. before they can answer. The
//! room is end-to-end encrypted like any other.
//!
//! Every message in a case thread lands in the case record with its event id,
//! so a redelivered event is recorded once: staff messages go through
//! `Hotline::input` (the checklist), anyone else's are notes, voice notes are
//! attached. The engine's effects come back already stored and are rendered
//! here — plain text plus escaped HTML, never user text as markup. A numbered
//! question gets the numbers as reactions, so staff can answer with a tap.

mod handlers;
mod outgoing;
mod staff;

#[allow(unused_imports)]
use handlers::*;
pub(crate) use handlers::{on_message, on_reaction};
#[allow(unused_imports)]
use outgoing::*;
pub use outgoing::{keycap_number, lines, render, Outgoing, KEYCAPS};
pub(crate) use outgoing::{send_in_thread, send_text};
pub use staff::post_in_case_thread;
pub(crate) use staff::tell_staff;
#[allow(unused_imports)]
use staff::*;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use akutlinje_core::engine::Effect;
use akutlinje_core::i18n::{Lang, Localizer, Msg};
use akutlinje_core::ids::CaseId;
use akutlinje_core::person::{Person, Role};
use akutlinje_core::record::Channel;
use akutlinje_core::service::Hotline;
use akutlinje_core::service::{ServiceError, Via};
use akutlinje_core::store::{ChannelStore, NewAttachment, PeopleStore, Store, StoreError};
use chrono::Utc;
use matrix_sdk::event_handler::Ctx;
use matrix_sdk::ruma::events::reaction::{OriginalSyncReactionEvent, ReactionEventContent};
use matrix_sdk::ruma::events::relation::{Annotation, Thread};
use matrix_sdk::ruma::events::room::message::{
    AudioMessageEventContent, MessageType, OriginalSyncRoomMessageEvent, Relation,
    RoomMessageEventContent,
};
use matrix_sdk::ruma::{OwnedEventId, UserId};
use matrix_sdk::{Client, Room, RoomState};
use tracing::Instrument;

/// The storage ports the bot uses besides the service: who a Matrix user
/// is and which home a room is bound to, and its own threads.
#[derive(Clone, Debug)]
pub struct Ports {
    /// Who is who, which home a room is bound to.
    pub people: Arc<dyn PeopleStore>,
    /// The bot's threads, its current questions, attachments.
    pub channels: Arc<dyn ChannelStore>,
}

impl From<Arc<dyn Store>> for Ports {
    fn from(store: Arc<dyn Store>) -> Ports {
        Ports {
            people: store.clone(),
            channels: store,
        }
    }
}

/// What the bot's handlers share.
#[derive(Clone)]
pub struct BotContext {
    /// The hotline service every message goes through.
    pub hotline: Hotline,
    /// The storage ports the bot reads directly.
    pub db: Ports,
    /// Who is on call (`!vagt`).
    pub roster: Arc<dyn akutlinje_core::roster::Roster>,
    /// (room, user) pairs already told "I do not know you": told once.
    refused: Arc<Mutex<HashSet<(String, String)>>>,
}

impl BotContext {
    /// A context around the hotline service, the on-call roster and the
    /// bot's storage ports.
    pub fn new(
        hotline: Hotline,
        roster: Arc<dyn akutlinje_core::roster::Roster>,
        store: impl Into<Ports>,
    ) -> BotContext {
        BotContext {
            hotline,
            db: store.into(),
            roster,
            refused: Arc::new(Mutex::new(HashSet::new())),
        }
    }

    /// A bot text from the prompts, in Danish (the bot's language for now).
    pub(crate) fn text(&self, id: &str) -> String {
        self.hotline.localizer().text(Lang::Da, id)
    }

    pub(crate) fn render(&self, msg: &Msg) -> String {
        self.hotline.localizer().render(Lang::Da, msg)
    }
}
