//! The pilot's figures.

use super::*;

#[tokio::test]
async fn figures_show_acknowledgement_times_and_outcomes() {
    let db = Db::sqlite().await;
    let base = spawn(&db).await;
    seed_decided_cases(&db).await;
    let http = client();
    let token = db.token("karin");
    http.post(format!("{base}/login"))
        .form(&[("person", "karin"), ("password", token.as_str())])
        .send()
        .await
        .expect("login");
    let page = http
        .get(format!("{base}/figures"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(page.contains("<td>7.0 min</td>"), "median shown: {page}");
    assert!(
        page.contains("<td>Behandlet på plejecentret</td><td>1</td>"),
        "{page}"
    );
    assert!(page.contains("<td>Indlagt</td><td>1</td>"), "{page}");
    assert!(page.contains("<svg"), "plots are SVG");
    db.close().await;
}
