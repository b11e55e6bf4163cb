//! What either phone line writes about a call: a read of the resident
//! (the access log) and a leg's status (the record, once per status).

use akutlinje_core::ids::CaseId;
use akutlinje_core::person::Person;
use akutlinje_core::record::{AccessAction, AccessEntry, Channel, EventKind};
use akutlinje_core::service::{Hotline, ServiceError};
use chrono::Utc;

/// A read of a case's resident by `who` (`detail`: what was heard).
pub(crate) async fn log_read(
    hotline: &Hotline,
    case: CaseId,
    who: &Person,
    channel: Channel,
    detail: &str,
) -> Result<(), ServiceError> {
    let Some(resident) = hotline.case_summary(case).await?.and_then(|c| c.resident) else {
        return Ok(());
    };
    let entry = AccessEntry::new(
        Utc::now(),
        Some(who.id.clone()),
        resident,
        Some(case),
        AccessAction::Read,
        channel,
    )
    .detail(detail);
    hotline.log_access(&entry).await
}

/// A call leg's status in the record, once per (call, leg, status).
pub(crate) async fn status_event(
    hotline: &Hotline,
    channel: Channel,
    case: CaseId,
    leg: &str,
    call: &str,
    status: &str,
    detail: Option<&str>,
) -> Result<(), ServiceError> {
    let kind = EventKind::TelephonyStatus {
        leg: leg.into(),
        sid: call.into(),
        status: status.into(),
        detail: detail.map(str::to_string),
    };
    let once = Some(format!("{call}:{leg}:{status}"));
    hotline
        .channel_event(case, kind, channel, once, Utc::now())
        .await?;
    Ok(())
}
