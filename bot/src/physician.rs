//! Physicians in their direct message with the bot: acknowledge or decline a
//! page (in words, or ✅/❌ on the page), give advice in plain words
//! (relayed verbatim, with their name, to the staff's case thread), and record
//! their decision (`!beslutning 6`, or a bare number from the list). `!vagt`
//! (anyone) shows who is on call now.
//!
//! Every answer is stored with its Matrix event id, so a redelivered event
//! changes nothing and is not relayed twice.

use akutlinje_core::escalation::Disposition;
use akutlinje_core::i18n::Msg;
use akutlinje_core::ids::CaseId;
use akutlinje_core::person::{Person, Role};
use akutlinje_core::record::Channel;
use akutlinje_core::service::{ServiceError, Via};
use akutlinje_core::store::StoreError;
use chrono::{DateTime, Utc};
use matrix_sdk::ruma::{EventId, OwnedEventId};
use matrix_sdk::{Client, Room};
use tracing::Instrument;

use crate::conversation::{send_text, tell_staff, BotContext};

/// What a physician's message in their DM means: the one vocabulary core
/// keeps for every channel.
pub use akutlinje_core::reply::PageReply;

fn disposition_list(
    ctx: &BotContext,
    alternatives: &[akutlinje_core::alternatives::Alternative],
) -> String {
    let mut t = ctx.text("bot-disposition-list");
    for (i, d) in Disposition::ALL.iter().enumerate() {
        t.push_str(&format!("\n{}. {}", i + 1, ctx.render(&d.label())));
    }
    if !alternatives.is_empty() {
        t.push_str("\n\n");
        t.push_str(&ctx.text("alternatives-title"));
        for a in alternatives {
            t.push_str("\n• ");
            t.push_str(&ctx.render(&a.line()));
        }
    }
    t
}

/// A physician writing to the bot outside any case thread.
pub(crate) async fn physician_message(
    ctx: &BotContext,
    client: &Client,
    room: &Room,
    person: &Person,
    body: &str,
    event: &OwnedEventId,
) {
    let cmd = PageReply::parse(body);
    if let PageReply::ShowDispositions { unknown } = &cmd {
        let mut t = String::new();
        if let Some(u) = unknown {
            t = ctx.render(&Msg::new("bot-disposition-unknown").arg("text", u.as_str()));
            t.push('\n');
        }
        // With the choices, the municipal alternatives of the physician's
        // last paged case's home.
        let alternatives = match ctx.hotline.last_page_to(&person.id).await {
            Ok(Some(case)) => ctx
                .hotline
                .alternatives_of_case(case)
                .await
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        t.push_str(&disposition_list(ctx, &alternatives));
        send_text(room, t).await;
        return;
    }
    let case = match ctx.hotline.last_page_to(&person.id).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            send_text(room, ctx.text("bot-no-page")).await;
            return;
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot find the physician's page");
            return;
        }
    };
    let span = tracing::info_span!("physician", case = %case, person = %person.id);
    act(ctx, client, room, person, case, cmd, event.as_str())
        .instrument(span)
        .await;
}

/// ✅/❌ on a page message.
pub(crate) async fn react_to_page(
    ctx: &BotContext,
    client: &Client,
    room: &Room,
    person: &Person,
    target: &EventId,
    decline: bool,
    event: &OwnedEventId,
) {
    if person.role != Role::Physician
        || !crate::trust::is_direct_with(ctx, client, room, person).await
    {
        return;
    }
    let case = match ctx.hotline.page_by_external_id(target.as_str()).await {
        Ok(Some((case, paged))) if paged == person.id => case,
        Ok(_) => return,
        Err(e) => {
            tracing::error!(error = %e, "cannot find the page reacted to");
            return;
        }
    };
    let cmd = if decline {
        PageReply::Decline { code: None }
    } else {
        PageReply::Acknowledge { code: None }
    };
    act(ctx, client, room, person, case, cmd, event.as_str()).await;
}

async fn act(
    ctx: &BotContext,
    client: &Client,
    room: &Room,
    person: &Person,
    case: CaseId,
    cmd: PageReply,
    external_id: &str,
) {
    let now = Utc::now();
    let h = &ctx.hotline;
    let name = person.name.as_str();
    // The municipal acute team: staff are told whom to call, with the number.
    let call_now = match &cmd {
        PageReply::Decide {
            disposition: Disposition::MunicipalAcuteTeam,
            ..
        } => h.acute_teams_of_case(case).await.unwrap_or_default(),
        _ => Vec::new(),
    };
    let ordered = match &cmd {
        PageReply::Decide {
            advice: Some(a), ..
        } => akutlinje_core::reply::remeasure_minutes(a),
        _ => None,
    };
    // (reply to the physician, line for the staff)
    let result: Result<(String, Option<String>), ServiceError> = match cmd {
        PageReply::Acknowledge { .. } => h
            .respond_to_page(case, person, Channel::Matrix, false, Some(external_id), now)
            .await
            .map(|_| {
                (
                    ctx.text("bot-acknowledged"),
                    Some(ctx.render(&Msg::new("bot-staff-acknowledged").arg("name", name))),
                )
            }),
        PageReply::Decline { .. } => h
            .respond_to_page(case, person, Channel::Matrix, true, Some(external_id), now)
            .await
            .map(|_| (ctx.text("bot-declined"), None)),
        PageReply::Remeasure { minutes } => h
            .order_remeasure(
                case,
                person,
                Via {
                    channel: Channel::Matrix,
                    external_id: Some(external_id),
                },
                minutes,
                now,
            )
            .await
            .map(|due| {
                let line = remeasure_line(ctx, name, minutes, due);
                (line.clone(), Some(line))
            }),
        PageReply::Decide {
            disposition,
            advice,
        } => h
            .record_disposition(
                case,
                person,
                Via {
                    channel: Channel::Matrix,
                    external_id: Some(external_id),
                },
                disposition,
                advice.as_deref(),
                now,
            )
            .await
            .map(|_| {
                let label = ctx.render(&disposition.label());
                let mut staff = ctx.render(
                    &Msg::new("bot-staff-disposition")
                        .arg("name", name)
                        .arg("disposition", label.as_str()),
                );
                if let Some(a) = &advice {
                    staff.push('\n');
                    staff.push_str(
                        &ctx.render(
                            &Msg::new("bot-staff-advice")
                                .arg("name", name)
                                .arg("advice", a.as_str()),
                        ),
                    );
                }
                for a in &call_now {
                    staff.push('\n');
                    staff.push_str(
                        &ctx.render(
                            &Msg::new("alternatives-call-now")
                                .arg("name", &a.name)
                                .arg("phone", a.phone.e164())
                                .arg("hours", &a.hours),
                        ),
                    );
                }
                staff.push('\n');
                staff.push_str(&ctx.text("bot-staff-readback-ask"));
                (
                    ctx.render(
                        &Msg::new("bot-disposition-recorded").arg("disposition", label.as_str()),
                    ),
                    Some(staff),
                )
            }),
        PageReply::Advice(text) => h
            .annotate(
                case,
                person,
                Via {
                    channel: Channel::Matrix,
                    external_id: Some(external_id),
                },
                &text,
                None,
                now,
            )
            .await
            .map(|_| {
                let mut staff = ctx.render(
                    &Msg::new("bot-staff-advice")
                        .arg("name", name)
                        .arg("advice", text.as_str()),
                );
                staff.push('\n');
                staff.push_str(&ctx.text("bot-staff-readback-ask"));
                (String::new(), Some(staff))
            }),
        PageReply::ShowDispositions { .. } => return,
    };
    // "!beslutning 6 ny måling 60": the decision, and the order in its words.
    let result = match (result, &ordered) {
        (Ok((reply, staff)), Some(minutes)) => match h
            .order_remeasure(
                case,
                person,
                Via {
                    channel: Channel::Matrix,
                    external_id: Some(external_id),
                },
                *minutes,
                now,
            )
            .await
        {
            Ok(due) => {
                let line = remeasure_line(ctx, name, *minutes, due);
                let staff = staff.map(|s| format!("{s}\n{line}"));
                Ok((format!("{reply}\n{line}"), staff))
            }
            Err(e) => Err(e),
        },
        (r, _) => r,
    };
    match result {
        Ok((reply, staff)) => {
            if !reply.is_empty() {
                send_text(room, reply).await;
            }
            if let Some(line) = staff {
                if let Err(why) = tell_staff(ctx, client, case, &line).await {
                    send_text(
                        room,
                        ctx.render(&Msg::new("bot-advice-not-shown").arg("why", why)),
                    )
                    .await;
                }
            }
        }
        // Already handled when it first arrived.
        Err(ServiceError::Store(StoreError::Duplicate)) => {}
        Err(ServiceError::BadInput(m)) => send_text(room, m).await,
        Err(e) => tracing::error!(error = %e, "the physician's answer could not be recorded"),
    }
}

/// "Dr. Lund har bestilt en ny måling om 60 minutter (kl. 23:40)."
fn remeasure_line(ctx: &BotContext, name: &str, minutes: u32, due: DateTime<Utc>) -> String {
    let at = due
        .with_timezone(&chrono_tz::Europe::Copenhagen)
        .format("%H:%M")
        .to_string();
    ctx.render(
        &Msg::new("bot-remeasure-ordered")
            .arg("name", name)
            .arg("minutes", minutes)
            .arg("due", at),
    )
}

/// Who is on call now, per tier of the paging service.
pub(crate) async fn oncall_text(ctx: &BotContext, now: DateTime<Utc>) -> String {
    match oncall_lines(ctx, now).await {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the rota");
            ctx.text("bot-oncall-unavailable")
        }
    }
}

async fn oncall_lines(
    ctx: &BotContext,
    now: DateTime<Utc>,
) -> Result<String, akutlinje_core::roster::RosterError> {
    let on_call = ctx.roster.on_call(now).await?;
    let mut t = ctx.render(&Msg::new("bot-oncall-title").arg("service", on_call.service.as_str()));
    for (tier, who) in &on_call.tiers {
        t.push('\n');
        match who {
            Some((person, end)) => {
                let until = end
                    .with_timezone(&chrono_tz::Europe::Copenhagen)
                    .format("%d.%m. %H:%M")
                    .to_string();
                t.push_str(
                    &ctx.render(
                        &Msg::new("bot-oncall-line")
                            .arg("tier", tier.as_str())
                            .arg("name", person.name.as_str())
                            .arg("until", until),
                    ),
                );
            }
            None => {
                t.push_str(&ctx.render(&Msg::new("bot-oncall-nobody").arg("tier", tier.as_str())))
            }
        }
    }
    Ok(t)
}
