//! People, tokens, web log-ins and calendar feeds.

use super::*;

both!(people_and_tokens, web_login_state, calendar_feed_tokens,);

async fn people_and_tokens(s: Arc<dyn Store>) {
    seed(&s).await;
    let p = s.person(&id("anna")).await.expect("read").expect("exists");
    assert_eq!(
        (p.role, p.home.as_ref().map(HomeId::as_str)),
        (Role::Staff, Some("solgaarden"))
    );
    assert_eq!(s.homes().await.expect("homes").len(), 2);
    let with_matrix = Person {
        matrix_user: Some("@anna:localhost".into()),
        ..p.clone()
    };
    s.upsert_person(&with_matrix).await.expect("matrix id");
    assert_eq!(
        s.person_by_matrix_user("@anna:localhost")
            .await
            .expect("lookup")
            .map(|x| x.id),
        Some(id("anna"))
    );
    assert!(s
        .person_by_matrix_user("@mallory:localhost")
        .await
        .expect("lookup")
        .is_none());
    s.add_token(&p.id, "hash-1", Utc::now())
        .await
        .expect("token");
    assert_eq!(
        s.person_by_token("hash-1")
            .await
            .expect("lookup")
            .map(|p| p.id),
        Some(id("anna"))
    );
    assert!(s.person_by_token("hash-2").await.expect("lookup").is_none());
    assert_eq!(s.revoke_tokens(&p.id, Utc::now()).await.expect("revoke"), 1);
    assert!(s.person_by_token("hash-1").await.expect("lookup").is_none());
    let bad = Person {
        home: Some(id("nowhere")),
        ..p
    };
    assert!(matches!(
        s.upsert_person(&bad).await,
        Err(StoreError::UnknownHome(_))
    ));
}

async fn web_login_state(s: Arc<dyn Store>) {
    seed(&s).await;
    let anna: PersonId = id("anna");
    let now = Utc
        .with_ymd_and_hms(2026, 11, 23, 2, 0, 0)
        .single()
        .expect("time");
    assert!(s.password_hash(&anna).await.expect("read").is_none());
    s.set_password_hash(&anna, "$argon2id$x", now)
        .await
        .expect("set");
    assert_eq!(
        s.password_hash(&anna).await.expect("read").as_deref(),
        Some("$argon2id$x")
    );
    // Throttling: free attempts, then growing waits; a held-back attempt
    // is not counted; a good log-in resets the source's keys and makes the
    // source a usual one.
    use akutlinje_core::person::ThrottleRule;
    use akutlinje_core::store::LoginGate;
    let rule = ThrottleRule {
        free: 2,
        max_delay_secs: 60,
        window_secs: 3600,
    };
    let keys = vec![("acct:anna|src:192.0.2.1".to_string(), rule)];
    let at = |secs: i64| now + chrono::Duration::seconds(secs);
    assert_eq!(
        s.login_attempt(&keys, at(0)).await.expect("1"),
        LoginGate::Go
    );
    assert_eq!(
        s.login_attempt(&keys, at(0)).await.expect("2"),
        LoginGate::Go
    );
    // The third failure sets a wait of 1 s; meanwhile attempts are refused.
    assert_eq!(
        s.login_attempt(&keys, at(0)).await.expect("3"),
        LoginGate::Go
    );
    assert_eq!(
        s.login_attempt(&keys, at(0)).await.expect("held"),
        LoginGate::Wait {
            until: at(1),
            key: keys[0].0.clone()
        }
    );
    assert_eq!(
        s.login_attempt(&keys, at(1)).await.expect("4"),
        LoginGate::Go
    );
    assert_eq!(
        s.login_attempt(&keys, at(1)).await.expect("held"),
        LoginGate::Wait {
            until: at(3),
            key: keys[0].0.clone()
        },
        "the wait doubles, and held-back attempts did not count"
    );
    // After the window the count starts again.
    assert_eq!(
        s.login_attempt(&keys, at(4000)).await.expect("new window"),
        LoginGate::Go
    );
    assert_eq!(
        s.login_attempt(&keys, at(4000)).await.expect("2nd"),
        LoginGate::Go
    );
    assert!(!s
        .known_login_source(&anna, "192.0.2.1", now - chrono::Duration::days(90))
        .await
        .expect("read"));
    s.login_succeeded(&anna, "192.0.2.1", &[keys[0].0.clone()], at(4001))
        .await
        .expect("clear");
    assert!(s
        .known_login_source(&anna, "192.0.2.1", now - chrono::Duration::days(90))
        .await
        .expect("read"));
    for _ in 0..3 {
        assert_eq!(
            s.login_attempt(&keys, at(4002)).await.expect("reset"),
            LoginGate::Go
        );
    }
    // A changed password ends every session of the person.
    s.create_session("h0", &anna, "csrf-0", now, now + chrono::Duration::hours(8))
        .await
        .expect("session");
    s.set_password_hash(&anna, "$argon2id$y", now)
        .await
        .expect("change");
    assert!(
        s.session("h0", now).await.expect("read").is_none(),
        "revoked"
    );
    s.create_session("h1", &anna, "csrf-1", now, now + chrono::Duration::hours(8))
        .await
        .expect("session");
    let (p, csrf) = s.session("h1", now).await.expect("read").expect("live");
    assert_eq!((p.id.as_str(), csrf.as_str()), ("anna", "csrf-1"));
    assert!(
        s.session("h1", now + chrono::Duration::hours(9))
            .await
            .expect("read")
            .is_none(),
        "expired"
    );
    s.delete_session("h1").await.expect("delete");
    assert!(s.session("h1", now).await.expect("read").is_none());
}

async fn calendar_feed_tokens(s: Arc<dyn Store>) {
    use akutlinje_core::store::CalendarFeed;
    seed(&s).await;
    let feed = CalendarFeed::Person(id("anna"));
    s.add_calendar_feed("h-1", &feed, Utc::now())
        .await
        .expect("add");
    assert_eq!(
        s.calendar_feed("h-1").await.expect("read"),
        Some(feed.clone())
    );
    assert_eq!(s.calendar_feed("h-2").await.expect("read"), None);
    assert_eq!(
        s.revoke_calendar_feeds(&feed, Utc::now())
            .await
            .expect("revoke"),
        1
    );
    assert_eq!(s.calendar_feed("h-1").await.expect("read"), None);
}
