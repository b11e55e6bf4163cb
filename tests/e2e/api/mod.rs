//! The HTTP API over a real socket, on a real SQLite file (and PostgreSQL for
//! the access-control test), with the demo data.

use crate::common::{on_both, Db, TestApp};
use akutlinje_core::i18n::Lang;
use akutlinje_core::ids::CaseId;
use akutlinje_core::record::{AccessAction, Channel};
use akutlinje_core::service::Hotline;
use chrono::Utc;
use reqwest::StatusCode;

struct App {
    base: String,
    http: reqwest::Client,
    hotline: Hotline,
    db: Db,
}

async fn spawn(db: Db) -> App {
    let TestApp { base, hotline } = TestApp::spawn(&db).await;
    App {
        base,
        http: reqwest::Client::new(),
        hotline,
        db,
    }
}

impl App {
    async fn get(&self, path: &str, who: Option<&str>) -> reqwest::Response {
        let mut r = self.http.get(format!("{}{path}", self.base));
        if let Some(p) = who {
            r = r.bearer_auth(self.db.token(p));
        }
        r.send().await.expect("request")
    }

    async fn post(
        &self,
        path: &str,
        who: Option<&str>,
        body: &str,
        content_type: &str,
    ) -> reqwest::Response {
        let mut r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body.to_string());
        if let Some(p) = who {
            r = r.bearer_auth(self.db.token(p));
        }
        r.send().await.expect("request")
    }

    async fn put(
        &self,
        path: &str,
        who: Option<&str>,
        body: &str,
        content_type: &str,
    ) -> reqwest::Response {
        let mut r = self
            .http
            .put(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body.to_string());
        if let Some(p) = who {
            r = r.bearer_auth(self.db.token(p));
        }
        r.send().await.expect("request")
    }
}

mod access;
mod basics;
mod cases;
mod fhir;
mod openapi;
mod residents;
mod rota;
