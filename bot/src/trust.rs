//! Where the bot may show a resident's data, checked again before every
//! message that carries it.
//!
//! A home's data goes only into a room an admin or coordinator bound to
//! that home (`home_rooms`), only if the room is end-to-end encrypted, and
//! only while every member — joined or invited, since the SDK shares room
//! keys with both — is a known person allowed to read that home. A
//! physician's page goes only into a direct room that holds the bot and
//! that physician and nobody else; their commands count only there.
//!
//! Room keys go only to devices signed by their owner's cross-signing
//! identity (`CollectStrategy::IdentityBasedStrategy`, set in `connect`):
//! a device nobody vouched for in a room cannot decrypt what the bot says.

use akutlinje_core::i18n::Msg;
use akutlinje_core::ids::HomeId;
use akutlinje_core::person::Person;
use matrix_sdk::{Client, Room, RoomMemberships};

use crate::conversation::BotContext;

/// Whether a room may carry a home's resident data now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Bound to the home, encrypted, and every member may read the home.
    Safe,
    /// Not bound to any home.
    Unbound,
    /// Bound to another home.
    OtherHome(HomeId),
    /// Not end-to-end encrypted.
    NotEncrypted,
    /// A member who is unknown or may not read the home (their Matrix id).
    Outsider(String),
    /// The check itself failed (the store or the homeserver): treat as unsafe.
    Unknown,
}

impl Verdict {
    /// A short code for the record and the log.
    pub fn code(&self) -> &'static str {
        match self {
            Verdict::Safe => "safe",
            Verdict::Unbound => "room_unbound",
            Verdict::OtherHome(_) => "room_of_other_home",
            Verdict::NotEncrypted => "room_not_encrypted",
            Verdict::Outsider(_) => "member_not_allowed",
            Verdict::Unknown => "room_check_failed",
        }
    }

    /// The member not allowed, if that is the reason.
    pub fn outsider(&self) -> Option<&str> {
        match self {
            Verdict::Outsider(m) => Some(m),
            _ => None,
        }
    }
}

/// May `room` carry resident data of `home` now?
pub(crate) async fn home_room(
    ctx: &BotContext,
    client: &Client,
    room: &Room,
    home: &HomeId,
) -> Verdict {
    match ctx.db.people.home_of_room(room.room_id().as_str()).await {
        Ok(Some(h)) if &h == home => {}
        Ok(Some(h)) => return Verdict::OtherHome(h),
        Ok(None) => return Verdict::Unbound,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the room's home");
            return Verdict::Unknown;
        }
    }
    match room.latest_encryption_state().await {
        Ok(s) if s.is_encrypted() => {}
        Ok(_) => return Verdict::NotEncrypted,
        Err(e) => {
            tracing::warn!(room = %room.room_id(), error = %e, "cannot read the room's encryption");
            return Verdict::Unknown;
        }
    }
    let members = match room.members(RoomMemberships::ACTIVE).await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(room = %room.room_id(), error = %e, "cannot read the room's members");
            return Verdict::Unknown;
        }
    };
    for m in members {
        if client.user_id() == Some(m.user_id()) {
            continue;
        }
        match ctx
            .db
            .people
            .person_by_matrix_user(m.user_id().as_str())
            .await
        {
            Ok(Some(p)) if p.may_read_home(home) => {}
            Ok(_) => return Verdict::Outsider(m.user_id().to_string()),
            Err(e) => {
                tracing::error!(error = %e, "cannot look up a member");
                return Verdict::Unknown;
            }
        }
    }
    Verdict::Safe
}

/// Whether `room` is `person`'s direct room with the bot: bound to no home,
/// encrypted, and nobody in it (joined or invited) but the two of them.
pub(crate) async fn is_direct_with(
    ctx: &BotContext,
    client: &Client,
    room: &Room,
    person: &Person,
) -> bool {
    let Some(mxid) = person.matrix_user.as_deref() else {
        return false;
    };
    if !matches!(
        ctx.db.people.home_of_room(room.room_id().as_str()).await,
        Ok(None)
    ) {
        return false;
    }
    if !room
        .latest_encryption_state()
        .await
        .is_ok_and(|s| s.is_encrypted())
    {
        return false;
    }
    let Ok(members) = room.members(RoomMemberships::ACTIVE).await else {
        return false;
    };
    let bot = client.user_id().map(|u| u.as_str());
    members.len() == 2
        && members
            .iter()
            .all(|m| Some(m.user_id().as_str()) == bot || m.user_id().as_str() == mxid)
}

/// The one line that says why no resident data is shown (never a resident).
pub(crate) async fn refusal(ctx: &BotContext, room: &Room, home: &HomeId, v: &Verdict) -> String {
    let name = |h: &HomeId| {
        let h = h.clone();
        async move {
            ctx.db
                .people
                .home(&h)
                .await
                .ok()
                .flatten()
                .map_or_else(|| h.to_string(), |x| x.name)
        }
    };
    match v {
        Verdict::Safe => String::new(),
        Verdict::Unbound => {
            ctx.render(&Msg::new("bot-room-unbound").arg("room", room.room_id().as_str()))
        }
        Verdict::OtherHome(other) => ctx.render(
            &Msg::new("bot-room-other-home")
                .arg("other", name(other).await)
                .arg("home", name(home).await),
        ),
        Verdict::NotEncrypted => ctx.text("bot-room-not-encrypted"),
        Verdict::Outsider(m) => ctx.render(
            &Msg::new("bot-room-outsider")
                .arg("member", m.as_str())
                .arg("home", name(home).await),
        ),
        Verdict::Unknown => ctx.text("bot-room-check-failed"),
    }
}
