//! The rota as stored.

use super::*;

both!(rota_round_trip,);

async fn rota_round_trip(s: Arc<dyn Store>) {
    use akutlinje_core::rota::{OverrideSpec, RotationSpec, Service, SwapSpec};
    seed(&s).await;
    for who in ["dr-a", "dr-b"] {
        s.upsert_person(&Person {
            id: id(who),
            name: Text::parse("n", who, 50).expect("name"),
            role: Role::Physician,
            home: None,
            phone: None,
            matrix_user: None,
        })
        .await
        .expect("person");
    }
    let svc = Service {
        id: id("akut"),
        name: "Akutlæge".into(),
        tiers: vec![id("primary"), id("backup")],
    };
    s.upsert_service(&svc).await.expect("service");
    assert_eq!(
        s.service(&id("akut")).await.expect("read"),
        Some(svc.clone())
    );
    let rot = RotationSpec {
        id: id("nights"),
        service: id("akut"),
        tier: id("primary"),
        layer: 0,
        members: vec![id("dr-a"), id("dr-b")],
        shift_start: "0 0 22 * * *".into(),
        shift_minutes: 600,
        anchor: Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .expect("time"),
        until: None,
    };
    s.upsert_rotation(&rot).await.expect("rotation");
    let unknown = RotationSpec {
        id: id("bad"),
        members: vec![id("nobody")],
        ..rot.clone()
    };
    assert!(
        matches!(s.upsert_rotation(&unknown).await, Err(StoreError::Conflict(m)) if m.contains("nobody"))
    );
    let no_service = RotationSpec {
        id: id("bad2"),
        service: id("nope"),
        ..rot.clone()
    };
    assert!(
        matches!(s.upsert_rotation(&no_service).await, Err(StoreError::Conflict(m)) if m.contains("nope"))
    );
    let from = Utc
        .with_ymd_and_hms(2026, 11, 10, 10, 0, 0)
        .single()
        .expect("time");
    let o = OverrideSpec {
        id: 0,
        service: id("akut"),
        tier: id("primary"),
        person: id("dr-b"),
        replaces: Some(id("dr-a")),
        from,
        to: from + chrono::Duration::hours(2),
    };
    let oid = s.add_override(&o).await.expect("override");
    let w = SwapSpec {
        id: 0,
        rotation: id("nights"),
        a: id("dr-a"),
        a_shift: from,
        b: id("dr-b"),
        b_shift: from + chrono::Duration::days(1),
    };
    let wid = s.add_swap(&w).await.expect("swap");
    let rota = s.rota(&id("akut")).await.expect("rota");
    assert_eq!(rota.rotations, vec![rot.clone()]);
    assert_eq!(rota.overrides, vec![OverrideSpec { id: oid, ..o }]);
    assert_eq!(rota.swaps, vec![SwapSpec { id: wid, ..w }]);
    assert!(s.delete_override(oid).await.expect("delete"));
    assert!(!s.delete_override(oid).await.expect("delete again"));
    assert!(s.delete_rotation(&id("nights")).await.expect("delete"));
    let rota = s.rota(&id("akut")).await.expect("rota");
    assert!(rota.rotations.is_empty() && rota.overrides.is_empty() && rota.swaps.is_empty());
}
