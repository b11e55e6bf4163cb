//! Residents: import, supersede, search.

use super::*;

both!(
    import_round_trip_and_supersede,
    import_is_all_or_nothing,
    search_by_room_and_name,
);

async fn import_round_trip_and_supersede(s: Arc<dyn Store>) {
    seed(&s).await;
    import(&s).await;
    let karen = s
        .resident(&id("r-karen"))
        .await
        .expect("read")
        .expect("exists");
    let expected = parse_import(ImportFormat::Json, RESIDENTS)
        .expect("valid")
        .remove(0);
    assert_eq!(karen, expected);
    assert!(karen.rules_out_112());
    // Re-import with a changed decision: updated, old decisions superseded, not deleted.
    let mut changed = expected.clone();
    changed
        .decisions
        .retain(|d| d.kind != DecisionKind::NoAdmission);
    let sum = s
        .import_residents(&[changed.clone()], Utc::now())
        .await
        .expect("re-import");
    assert_eq!((sum.created, sum.updated), (0, 1));
    let karen = s
        .resident(&id("r-karen"))
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(karen.decisions, changed.decisions);
    assert!(!karen.rules_out_112());
}

async fn import_is_all_or_nothing(s: Arc<dyn Store>) {
    seed(&s).await;
    let mut rs = parse_import(ImportFormat::Json, RESIDENTS).expect("valid");
    rs[2].home = id("unknown-home");
    assert!(
        matches!(s.import_residents(&rs, Utc::now()).await, Err(StoreError::UnknownHome(h)) if h.as_str() == "unknown-home")
    );
    assert!(
        s.resident(&id("r-karen")).await.expect("read").is_none(),
        "the first rows must not be stored"
    );
    // A room conflict with an existing resident also stores nothing.
    import(&s).await;
    let mut clash = rs[1].clone();
    clash.id = id("r-new");
    clash.room = Room::parse("12").expect("room");
    let fresh = {
        let mut f = rs[1].clone();
        f.id = id("r-other");
        f.room = Room::parse("99").expect("room");
        f
    };
    assert!(matches!(
        s.import_residents(&[fresh, clash], Utc::now()).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(s.resident(&id("r-other")).await.expect("read").is_none());
}

async fn search_by_room_and_name(s: Arc<dyn Store>) {
    seed(&s).await;
    import(&s).await;
    let in_12 = s
        .residents_in_room(&Room::parse("12").expect("room"))
        .await
        .expect("room");
    assert_eq!(in_12.len(), 2, "room 12 exists in both homes");
    let named = s.residents_named("østergård").await.expect("name");
    assert_eq!(
        named.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        vec!["r-karen"]
    );
    // LIKE wildcards in the needle are literal.
    assert_eq!(s.residents_named("100%").await.expect("name").len(), 1);
    assert!(s.residents_named("_").await.expect("name").is_empty());
    assert!(s.residents_named("1%h").await.expect("name").is_empty());
    assert_eq!(
        s.residents_of_home(&id("solgaarden"))
            .await
            .expect("home")
            .len(),
        2
    );
}
