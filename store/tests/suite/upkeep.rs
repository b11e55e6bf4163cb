//! Instances, the outbox's claims per channel, and what expires.

use super::*;

both!(
    old_webhook_answers_and_expired_sessions_are_purged,
    a_stopped_instances_claims_are_released,
    notifications_are_claimed_per_channel,
);

async fn a_stopped_instances_claims_are_released(s: Arc<dyn Store>) {
    use akutlinje_core::escalation::{NewNotification, NotificationKind, NotifyChannel};
    use akutlinje_core::store::Worker;
    seed(&s).await;
    let c = new_case(&s).await;
    let now = Utc::now();
    let page = NewNotification {
        case: Some(c),
        person: id("anna"),
        kind: NotificationKind::Page,
        channel: NotifyChannel::Voice,
        fallback: vec![],
        text: "kald".into(),
        not_before: now,
    };
    assert!(s.enqueue_once("k", &[page], now).await.expect("queue"));
    let worker = |name: &str, pid: u32| Worker {
        id: name.into(),
        host: "vm1".into(),
        pid,
        started_at: now,
    };
    let (dead, alive) = (worker("vm1-100-aaaa", 100), worker("vm1-200-bbbb", 200));
    s.worker_heartbeat(&dead, now - chrono::Duration::seconds(30))
        .await
        .expect("beat");
    s.worker_heartbeat(&alive, now).await.expect("beat");
    let lease = chrono::Duration::seconds(60);
    let claimed = s
        .claim_due_notifications(now, &dead.id, lease, 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    // Held by the dead instance's lease: nobody else gets it...
    assert!(s
        .claim_due_notifications(now, &alive.id, lease, 10)
        .await
        .expect("claim")
        .is_empty());
    assert_eq!(s.workers_on("vm1").await.expect("list").len(), 2);
    // ...until its stale heartbeat releases it.
    let released = s
        .release_dead_workers(now - chrono::Duration::seconds(6), &[])
        .await
        .expect("release");
    assert_eq!(released, 1);
    let left: Vec<String> = s
        .workers_on("vm1")
        .await
        .expect("list")
        .into_iter()
        .map(|w| w.id)
        .collect();
    assert_eq!(left, vec![alive.id.clone()]);
    let again = s
        .claim_due_notifications(now, &alive.id, lease, 10)
        .await
        .expect("claim");
    assert_eq!(again.len(), 1);
    // A dead one named explicitly (its process is gone) is released at once,
    // even with a fresh heartbeat.
    s.worker_heartbeat(&dead, now).await.expect("beat");
    let released = s
        .release_dead_workers(
            now - chrono::Duration::seconds(6),
            std::slice::from_ref(&alive.id),
        )
        .await
        .expect("release");
    assert_eq!(released, 1);
    assert_eq!(
        s.claim_due_notifications(now, &dead.id, lease, 10)
            .await
            .expect("claim")
            .len(),
        1
    );
}

async fn notifications_are_claimed_per_channel(s: Arc<dyn Store>) {
    use akutlinje_core::escalation::{NewNotification, NotificationKind, NotifyChannel};
    seed(&s).await;
    let c = new_case(&s).await;
    let now = Utc::now();
    let n = |channel| NewNotification {
        case: Some(c),
        person: id("anna"),
        kind: NotificationKind::Page,
        channel,
        fallback: vec![],
        text: "kald".into(),
        not_before: now,
    };
    assert!(s
        .enqueue_once(
            "k",
            &[
                n(NotifyChannel::Matrix),
                n(NotifyChannel::Sms),
                n(NotifyChannel::Sms)
            ],
            now
        )
        .await
        .expect("queue"));
    let lease = chrono::Duration::seconds(60);
    let sms = s
        .claim_due_notifications_on(NotifyChannel::Sms, now, "w", lease, 10)
        .await
        .expect("claim");
    assert_eq!(sms.len(), 2);
    assert!(sms.iter().all(|x| x.new.channel == NotifyChannel::Sms));
    let due = s
        .next_notification_due_on(NotifyChannel::Matrix)
        .await
        .expect("due")
        .expect("one is due");
    assert!((due - now).num_milliseconds().abs() < 1, "{due} vs {now}");
    let m = s
        .claim_due_notifications_on(NotifyChannel::Matrix, now, "w", lease, 10)
        .await
        .expect("claim");
    assert_eq!(m.len(), 1);
    assert!(s
        .claim_due_notifications_on(NotifyChannel::Voice, now, "w", lease, 10)
        .await
        .expect("claim")
        .is_empty());
}

async fn old_webhook_answers_and_expired_sessions_are_purged(s: Arc<dyn Store>) {
    seed(&s).await;
    let now = Utc::now();
    let week = chrono::Duration::days(7);
    s.save_webhook_answer(
        "CA-old",
        "incoming",
        "<Response>Karen</Response>",
        now - week - chrono::Duration::minutes(1),
    )
    .await
    .expect("old answer");
    s.save_webhook_answer(
        "CA-new",
        "incoming",
        "<Response/>",
        now - chrono::Duration::days(6),
    )
    .await
    .expect("new answer");
    s.create_session(
        "expired",
        &id("anna"),
        "csrf",
        now - chrono::Duration::hours(13),
        now - chrono::Duration::hours(1),
    )
    .await
    .expect("session");
    s.create_session(
        "live",
        &id("anna"),
        "csrf",
        now,
        now + chrono::Duration::hours(12),
    )
    .await
    .expect("session");
    let purged = s.purge_expired(now, now - week).await.expect("purge");
    assert_eq!((purged.webhook_answers, purged.sessions), (1, 1));
    assert!(s
        .webhook_answer("CA-old", "incoming")
        .await
        .expect("read")
        .is_none());
    assert!(s
        .webhook_answer("CA-new", "incoming")
        .await
        .expect("read")
        .is_some());
    assert!(s.session("live", now).await.expect("read").is_some());
    let again = s.purge_expired(now, now - week).await.expect("purge");
    assert_eq!((again.webhook_answers, again.sessions), (0, 0));
}
