//! Matrix rooms bound to homes on the web.

use super::*;

/// The web page *Plejecentre*: a coordinator binds a room to a home (with
/// the session's CSRF token) and removes it; staff may not see the page.
#[tokio::test]
async fn coordinators_bind_rooms_to_homes_on_the_web() {
    let db = Db::sqlite().await;
    let base = spawn(&db).await;
    let http = client();
    let r = http
        .post(format!("{base}/login"))
        .form(&[
            ("person", "karin"),
            ("password", db.token("karin").as_str()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = http
        .get(format!("{base}/homes"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(page.contains("Knyt et rum til et plejecenter"), "{page}");
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("csrf")
        .to_string();
    let r = http
        .post(format!("{base}/homes/rooms"))
        .form(&[
            ("csrf", "forged"),
            ("home", "solgaarden"),
            ("room", "!abc:x"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = http
        .post(format!("{base}/homes/rooms"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("home", "solgaarden"),
            ("room", "ikke et rum"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = http
        .post(format!("{base}/homes/rooms"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("home", "solgaarden"),
            ("room", "!abc:matrix.region.dk"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let rooms = db.store.home_rooms(None).await.expect("rooms");
    assert_eq!(rooms.len(), 1);
    assert_eq!(
        rooms[0].bound_by.as_ref().map(|p| p.as_str()),
        Some("karin")
    );
    let page = http
        .get(format!("{base}/homes?msg=web-homes-bound"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(
        page.contains("!abc:matrix.region.dk") && page.contains("Rummet er knyttet"),
        "{page}"
    );
    let r = http
        .post(format!("{base}/homes/rooms/unbind"))
        .form(&[("csrf", csrf.as_str()), ("room", "!abc:matrix.region.dk")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(db.store.home_rooms(None).await.expect("rooms").is_empty());
    // Staff: not their page.
    let staff = client();
    staff
        .post(format!("{base}/login"))
        .form(&[("person", "anna"), ("password", db.token("anna").as_str())])
        .send()
        .await
        .expect("post");
    let r = staff
        .get(format!("{base}/homes"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    db.close().await;
}

/// The municipal alternatives on the *Plejecentre* page: shown per home,
/// edited as CSV with the session's CSRF token; a wrong line is shown with
/// its line and field and nothing is stored.
#[tokio::test]
async fn coordinators_edit_municipal_alternatives_on_the_web() {
    let db = Db::sqlite().await;
    let base = spawn(&db).await;
    let http = client();
    http.post(format!("{base}/login"))
        .form(&[
            ("person", "karin"),
            ("password", db.token("karin").as_str()),
        ])
        .send()
        .await
        .expect("post");
    let page = http
        .get(format!("{base}/homes"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    assert!(
        page.contains("Kommunale alternativer til indlæggelse"),
        "{page}"
    );
    assert!(page.contains("Akutteam Solbakken Kommune"), "{page}");
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("csrf")
        .to_string();
    let save = |csv: &'static str, csrf: String| {
        let http = http.clone();
        let base = base.clone();
        async move {
            http.post(format!("{base}/homes/alternatives"))
                .form(&[("csrf", csrf.as_str()), ("home", "birkely"), ("csv", csv)])
                .send()
                .await
                .expect("post")
        }
    };
    let r = save(
        "home,kind,name,phone,hours,services\nbirkely,akutteam,Akutteam Nord,12,altid,\n",
        csrf.clone(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("line 2: phone"));
    let r = save(
        "home,kind,name,phone,hours,services\nbirkely,akutteam,Akutteam Nord,76 00 00 00,kl. 7–23,IV-væske\n",
        "forged".into(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = save(
        "home,kind,name,phone,hours,services\nbirkely,akutteam,Akutteam Nord,76 00 00 00,kl. 7–23,IV-væske\n",
        csrf,
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let birkely: akutlinje_core::ids::HomeId = "birkely".parse().expect("id");
    let list = db.store.alternatives(&birkely).await.expect("read");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name.as_str(), "Akutteam Nord");
    assert_eq!(list[0].phone.e164(), "+4576000000");
}
