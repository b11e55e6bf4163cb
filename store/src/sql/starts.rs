//! What stored events start: a `PageRequested` the case's escalation, the
//! advice and re-measure orders its follow-ups — in the transaction that
//! stores the events.
//!
//! Compiled once per backend: `sqlite.rs` and `postgres.rs` include this
//! file with their own `Db`, `Backend`, `BEGIN` and `LOCK`.

use super::*;

impl Backend {
    /// Starts, moves or ends the case's follow-ups for the events being
    /// stored (see `akutlinje_core::followup`), in the caller's transaction.
    pub(super) async fn follow_up_events(
        tx: &mut sqlx::Transaction<'static, Db>,
        case: CaseId,
        events: &[NewEvent],
    ) -> Result<(), StoreError> {
        use akutlinje_core::followup::{READBACK_RESEND_MINUTES, STAGE_REPORT};
        // (kind, stage, due, restart: the physician who began it, or keep the row's)
        // Both run for cases from the chat and the phone (the nurse gets an
        // SMS and may call back or answer it); not for cases typed on the
        // web or the console, where nobody waits for a reminder.
        const UPSERT: &str = "INSERT INTO follow_ups (case_id, kind, stage, due_at, state, started_at, person_id, updated_at) \
             SELECT $1, $2, $3, $4, 'pending', $5, $6, $5 WHERE EXISTS (SELECT 1 FROM cases WHERE id = $1 AND ($7 OR channel IN ('matrix', 'twilio', 'sip'))) \
             ON CONFLICT (case_id, kind) DO UPDATE SET stage = excluded.stage, due_at = excluded.due_at, state = 'pending', \
             started_at = CASE WHEN $8 THEN excluded.started_at ELSE follow_ups.started_at END, \
             person_id = COALESCE(excluded.person_id, follow_ups.person_id), \
             claimed_by = NULL, claimed_until = NULL, updated_at = excluded.updated_at";
        const END: &str = "UPDATE follow_ups SET state = 'done', claimed_by = NULL, claimed_until = NULL, updated_at = $3 \
             WHERE case_id = $1 AND kind = $2 AND state = 'pending'";
        for e in events {
            let by_physician = e.author.role == Some(akutlinje_core::person::Role::Physician);
            // (kind, stage, due, any channel, a new start)
            let start = match &e.kind {
                // Advice the staff read in their thread is to be confirmed.
                EventKind::DispositionRecorded { .. } | EventKind::Note { .. } if by_physician => {
                    Some((
                        "readback",
                        0,
                        e.at + chrono::Duration::minutes(READBACK_RESEND_MINUTES),
                        false,
                        true,
                    ))
                }
                EventKind::RemeasureOrdered { due_at, .. } => {
                    Some(("remeasure", 0, *due_at, false, true))
                }
                // Not worse: the physician gets the trend (whoever ordered it, or
                // whoever answered the page).
                EventKind::RemeasureAssessed { trend } if !trend.is_worse() => {
                    Some(("remeasure", STAGE_REPORT, e.at, true, false))
                }
                _ => None,
            };
            if let Some((kind, stage, due, any_channel, restart)) = start {
                sqlx::query(UPSERT)
                    .bind(case.to_string())
                    .bind(kind)
                    .bind(stage as i32)
                    .bind(due)
                    .bind(e.at)
                    .bind(
                        e.author
                            .person
                            .as_ref()
                            .filter(|_| by_physician)
                            .map(|p| p.to_string()),
                    )
                    .bind(any_channel)
                    .bind(restart)
                    .execute(&mut **tx)
                    .await
                    .map_err(db)?;
                continue;
            }
            let end = match &e.kind {
                EventKind::AdviceConfirmed => Some("readback"),
                // Worse: the new page goes through the escalation.
                EventKind::RemeasureAssessed { .. } => Some("remeasure"),
                EventKind::CaseClosed { .. } | EventKind::CaseCancelled => Some("*"),
                _ => None,
            };
            for kind in match end {
                Some("*") => vec!["readback", "remeasure"],
                Some(k) => vec![k],
                None => vec![],
            } {
                sqlx::query(END)
                    .bind(case.to_string())
                    .bind(kind)
                    .bind(e.at)
                    .execute(&mut **tx)
                    .await
                    .map_err(db)?;
            }
        }
        Ok(())
    }

    /// A `PageRequested` starts the escalation, or restarts it at a new urgency.
    pub(super) async fn start_escalations(
        tx: &mut sqlx::Transaction<'static, Db>,
        case: CaseId,
        events: &[NewEvent],
    ) -> Result<(), StoreError> {
        for e in events {
            if let EventKind::PageRequested { urgency } = &e.kind {
                sqlx::query(
                    "INSERT INTO escalations (case_id, urgency, step, round, due_at, state, updated_at) \
                     VALUES ($1, $2, 0, 0, $3, 'pending', $3) \
                     ON CONFLICT (case_id) DO UPDATE SET urgency = excluded.urgency, step = 0, round = 0, \
                     due_at = excluded.due_at, state = 'pending', claimed_by = NULL, claimed_until = NULL, updated_at = excluded.updated_at \
                     WHERE escalations.state <> 'pending' OR escalations.urgency <> excluded.urgency",
                )
                .bind(case.to_string())
                .bind(urgency.as_str())
                .bind(e.at)
                .execute(&mut **tx)
                .await
                .map_err(db)?;
            }
        }
        Ok(())
    }
}
