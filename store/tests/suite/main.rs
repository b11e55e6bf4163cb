//! One test suite, run against both backends: a real SQLite file and a real
//! PostgreSQL database (created per test, dropped after).

use std::sync::Arc;

use akutlinje_core::engine::{CaseState, Checklist, Urgency};
use akutlinje_core::i18n::{Lang, Localizer};
use akutlinje_core::ids::{CaseId, HomeId, PersonId, ResidentId, Text};
use akutlinje_core::person::{Home, Person, Role};
use akutlinje_core::phone::PhoneNumber;
use akutlinje_core::record::{AccessAction, Author, CaseStatus, Channel, EventKind, NewEvent};
use akutlinje_core::resident::{parse_import, DecisionKind, ImportFormat, Room};
use akutlinje_core::service::Hotline;
use akutlinje_core::store::{NewCase, Store, StoreError};
use akutlinje_store::testing;
use chrono::{TimeZone, Utc};

macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let t = akutlinje_store::testing::sqlite().await;
                super::$name(std::sync::Arc::new(t.store.clone())).await;
            }
            #[tokio::test]
            async fn postgres() {
                let t = akutlinje_store::testing::postgres().await;
                super::$name(std::sync::Arc::new(t.store.clone())).await;
                t.drop_db().await;
            }
        }
    )*};
}

fn id<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().expect("valid id")
}

async fn seed(s: &Arc<dyn Store>) {
    for (h, n) in [
        ("solgaarden", "Plejecenter Solgården"),
        ("birkely", "Birkely"),
    ] {
        s.upsert_home(&Home {
            id: id(h),
            name: n.into(),
        })
        .await
        .expect("home");
    }
    s.upsert_person(&Person {
        id: id("anna"),
        name: Text::parse("name", "Anna Sosu", 100).expect("name"),
        role: Role::Staff,
        home: Some(id("solgaarden")),
        phone: Some(PhoneNumber::parse("+4520000001").expect("phone")),
        matrix_user: None,
    })
    .await
    .expect("person");
}

const RESIDENTS: &str = r#"[
 {"id":"r-karen","home":"solgaarden","room":"12","name":"Karen Østergård","born":"1936-02-01","baseline_cognition":"moderate",
  "diagnoses":["KOL"],"allergies":["Penicillin"],"contact":{"name":"Ole","relation":"søn","phone":"+4511111111"},
  "decisions":[{"kind":"no_cpr","recorded_by":"Dr. Lund","recorded_on":"2025-01-10"},
               {"kind":"no_admission","recorded_by":"Dr. Lund","recorded_on":"2025-01-10"},
               {"kind":"own_wish","note":"Vil dø hjemme","recorded_by":"SSA Mette","recorded_on":"2025-01-12"}]},
 {"id":"r-poul","home":"solgaarden","room":"14","name":"Poul 100% Hansen","baseline_cognition":"normal",
  "decisions":[{"kind":"full_treatment","recorded_by":"Dr. Lund","recorded_on":"2025-01-10"}]},
 {"id":"r-birk","home":"birkely","room":"12","name":"Bente Birk","baseline_cognition":"normal"}
]"#;

async fn import(s: &Arc<dyn Store>) {
    let rs = parse_import(ImportFormat::Json, RESIDENTS).expect("valid file");
    let sum = s.import_residents(&rs, Utc::now()).await.expect("import");
    assert_eq!((sum.created, sum.updated), (3, 0));
}

fn ev(kind: EventKind, ext: Option<&str>) -> NewEvent {
    NewEvent {
        at: Utc
            .with_ymd_and_hms(2026, 11, 23, 2, 0, 0)
            .single()
            .expect("time"),
        author: Author {
            person: Some(id::<PersonId>("anna")),
            role: Some(Role::Staff),
        },
        channel: Channel::Console,
        kind,
        corrects: None,
        external_id: ext.map(String::from),
    }
}

async fn new_case(s: &Arc<dyn Store>) -> CaseId {
    let c = CaseId::from_uuid(uuid::Uuid::new_v4());
    s.create_case(
        &NewCase {
            id: c,
            home: id("solgaarden"),
            opened_at: Utc::now(),
            opened_by: Some(id("anna")),
            channel: Channel::Console,
        },
        &[ev(
            EventKind::CaseOpened {
                home: id("solgaarden"),
            },
            None,
        )],
        &serde_json::json!({"step": "resident"}),
    )
    .await
    .expect("create");
    c
}

fn hotline(s: &Arc<dyn Store>) -> Hotline {
    let loc = Arc::new(Localizer::builtin().expect("texts"));
    let def = Arc::new(Checklist::builtin_acute(&loc).expect("checklist"));
    Hotline::new(s.clone(), def, loc)
}

mod channels;
mod people;
mod record;
mod residents;
mod rota;
mod upkeep;
