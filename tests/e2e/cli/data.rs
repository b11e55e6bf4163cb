//! Residents imported all or nothing; API tokens shown once.

use super::*;

#[tokio::test]
async fn residents_import_is_all_or_nothing_with_line_and_field() {
    let db = Db::sqlite().await;
    let dir = tempfile::tempdir().expect("dir");
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "id,home,room,name,born\nsol-30,solgaarden,30,Ok Person,1940-01-01\nsol-31,solgaarden,31,Bad Date,1940-13-01\n").expect("write");
    let (code, _, err) = cli(
        Some(&db.url),
        &["residents", "import", bad.to_str().expect("path")],
    );
    assert_eq!(code, 2);
    assert!(err.contains("line 3, field born"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert!(db
        .store
        .resident(&"sol-30".parse().expect("id"))
        .await
        .expect("read")
        .is_none());

    let good = dir.path().join("good.json");
    std::fs::write(
        &good,
        r#"[{"id":"sol-30","home":"solgaarden","room":"30","name":"Ok Person"}]"#,
    )
    .expect("write");
    let (code, out, err) = cli(
        Some(&db.url),
        &["residents", "import", good.to_str().expect("path")],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), r#"{"created":1,"updated":0}"#);
    assert!(db
        .store
        .resident(&"sol-30".parse().expect("id"))
        .await
        .expect("read")
        .is_some());
    db.close().await;
}

#[tokio::test]
async fn tokens_are_shown_once_and_revocable() {
    let db = Db::sqlite().await;
    let (code, out, _) = cli(Some(&db.url), &["tokens", "issue", "karin"]);
    assert_eq!(code, 0);
    let token = out.trim();
    assert!(token.starts_with("akl_"));
    let p = db
        .store
        .person_by_token(&akutlinje::auth::hash_token(token))
        .await
        .expect("lookup");
    assert_eq!(p.map(|p| p.id.to_string()), Some("karin".into()));
    let (code, out, _) = cli(Some(&db.url), &["tokens", "revoke", "karin"]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "2 token(s) revoked");
    db.close().await;
}
