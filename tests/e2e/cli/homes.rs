//! Reads on the command line access-logged with the OS user; Matrix rooms bound to homes.

use super::*;

/// On the command line a read of a case is logged as the CLI channel with
/// the operating-system user; a staff member asking for another home's
/// case leaves a `denied` entry; the list logs each listed resident; and
/// `access-log` prints who read a resident's record, as JSON or CSV.
#[tokio::test]
async fn command_line_reads_are_access_logged_with_the_os_user() {
    use akutlinje_core::record::{AccessAction, Channel};
    let db = Db::sqlite().await;
    let run = crate::common::console(&db.url, "solgaarden", "anna", &["14", "afbryd"], &[]);
    let case = run.case.expect("a case");
    let case_s = case.to_string();
    let with_user = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_akutlinje"))
            .args(args)
            .env("AKUTLINJE_DATABASE_URL", &db.url)
            .env("USER", "driftsvagt")
            .env_remove("AKUTLINJE_CONFIG")
            .output()
            .expect("run");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, out, err) = with_user(&["cases", "show", &case_s, "--as", "dr-lund"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("case_opened"));
    let (code, _, err) = with_user(&["cases", "show", &case_s, "--as", "bo"]);
    assert_eq!(code, 2);
    assert!(err.contains("no case"), "{err}");
    let (code, out, err) = with_user(&["cases", "list"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("sol-14"));
    let poul: akutlinje_core::ids::ResidentId = "sol-14".parse().expect("id");
    let log = db
        .store
        .access_log_of(&poul, None, None)
        .await
        .expect("log");
    let cli: Vec<_> = log
        .iter()
        .filter(|e| e.channel == Some(Channel::Cli) && e.case == Some(case))
        .collect();
    assert_eq!(cli.len(), 3, "{cli:?}");
    let by = |p: Option<&str>| {
        cli.iter()
            .find(|e| e.person.as_ref().map(|x| x.as_str()) == p)
    };
    let lund = by(Some("dr-lund")).expect("dr-lund's read");
    assert_eq!(lund.action, AccessAction::Read);
    assert_eq!(lund.detail.as_deref(), Some("os_user=driftsvagt"));
    let bo = by(Some("bo")).expect("bo's refusal");
    assert_eq!(bo.action, AccessAction::Denied);
    let list = by(None).expect("the list, by the OS user alone");
    assert_eq!(list.detail.as_deref(), Some("case_list os_user=driftsvagt"));

    let (code, out, err) = with_user(&["access-log", "--resident", "sol-14", "--format", "csv"]);
    assert_eq!(code, 0, "{err}");
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("at,at_local,person,name,role,action,channel,case,detail")
    );
    let rows: Vec<&str> = lines.collect();
    assert!(
        rows.iter()
            .any(|r| r.contains("dr-lund,Mette Lund,physician,read,cli")),
        "{out}"
    );
    assert!(
        rows.iter()
            .any(|r| r.contains(",bo,Bo Kristensen,staff,denied,cli")),
        "{out}"
    );
    assert!(
        rows.iter()
            .any(|r| r.contains("anna,Anna Sørensen,staff,read,console")),
        "{out}"
    );
    let (code, out, err) = with_user(&[
        "access-log",
        "--resident",
        "sol-14",
        "--to",
        "2000-01-01 00:00",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "[]");
    let (code, _, err) = with_user(&["access-log", "--resident", "nobody"]);
    assert_eq!(code, 2);
    assert!(err.contains("no resident nobody"), "{err}");
    db.close().await;
}

/// `akutlinje homes room` binds a Matrix room to a home (listed by `homes
/// rooms` and `homes list`), `homes unroom` unbinds; bad ids are named.
#[tokio::test]
async fn homes_room_binds_lists_and_unbinds_matrix_rooms() {
    let db = Db::sqlite().await;
    let (code, _, err) = cli(
        Some(&db.url),
        &["homes", "room", "solgaarden", "!abc:matrix.region.dk"],
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = cli(Some(&db.url), &["homes", "rooms"]);
    assert_eq!(code, 0);
    let rooms: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(rooms[0]["room"], "!abc:matrix.region.dk");
    assert_eq!(rooms[0]["home"], "solgaarden");
    let (_, out, _) = cli(Some(&db.url), &["homes", "list"]);
    assert!(
        out.lines()
            .any(|l| l.starts_with("solgaarden") && l.ends_with("!abc:matrix.region.dk")),
        "{out}"
    );
    let (code, _, err) = cli(Some(&db.url), &["homes", "room", "solgaarden", "abc"]);
    assert_eq!(code, 2);
    assert!(err.contains("room id starts with !"), "{err}");
    let (code, _, err) = cli(Some(&db.url), &["homes", "room", "nowhere", "!abc:x"]);
    assert_eq!(code, 2);
    assert!(err.contains("no home with id nowhere"), "{err}");
    let (code, _, err) = cli(Some(&db.url), &["homes", "unroom", "!abc:matrix.region.dk"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = cli(Some(&db.url), &["homes", "unroom", "!abc:matrix.region.dk"]);
    assert_eq!(code, 2);
    assert!(err.contains("not bound"), "{err}");
    db.close().await;
}

/// `cases show --format text`: the record as clinicians read it, a line per
/// event with the time, the author's name and role, and a sentence — in
/// Danish, or English with `--lang en`; still access-logged.
#[tokio::test]
async fn a_case_reads_as_sentences_on_the_command_line() {
    let db = Db::sqlite().await;
    let script = [
        "14",
        "nej",
        "22",
        "95 %",
        "nej",
        "BT 125/80",
        "puls 98",
        "1",
        "38,9",
        "Feber og hoste",
        "spring over",
    ];
    let run = crate::common::console(&db.url, "solgaarden", "anna", &script, &[]);
    let case = run.case.expect("a case").to_string();
    let show = |extra: &[&str]| {
        let mut args = vec![
            "cases",
            "show",
            case.as_str(),
            "--as",
            "dr-lund",
            "--format",
            "text",
        ];
        args.extend_from_slice(extra);
        cli(Some(&db.url), &args)
    };
    let (code, out, err) = show(&[]);
    assert_eq!(code, 0, "{err}");
    let anna = db.person("anna").await.name.to_string();
    for expected in [
        format!("{anna} (plejepersonale): Puls 98"),
        format!("{anna} (plejepersonale): Ingen faresignaler"),
        "Vagtlæge kaldt, hastegrad".to_string(),
        "Situation: Feber og hoste".to_string(),
    ] {
        assert!(out.contains(&expected), "{expected:?} missing:\n{out}");
    }
    assert!(
        !out.contains("vital_recorded") && !out.contains('{'),
        "{out}"
    );
    // Every line after the heading starts with a time.
    let lines: Vec<&str> = out.lines().filter(|l| l.contains(": ")).skip(2).collect();
    assert!(
        lines.iter().all(|l| l.as_bytes().get(2) == Some(&b':')),
        "{out}"
    );
    let (code, out, err) = show(&["--lang", "en"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!("{anna} (care staff): Pulse 98")),
        "{out}"
    );
    assert!(out.contains("Physician paged, urgency"), "{out}");
    let (code, _, err) = show(&["--lang", "fr"]);
    assert_eq!(code, 2);
    assert!(err.contains("--lang"), "{err}");
}

/// `cases export ID --format fhir`: the same FHIR R4 Bundle as the API,
/// access-logged with the OS user; a reader of another home gets an error
/// and nothing on stdout.
#[tokio::test]
async fn a_case_exports_as_fhir_on_the_command_line() {
    let db = Db::sqlite().await;
    let script = [
        "14",
        "nej",
        "22",
        "95",
        "nej",
        "125/80",
        "98",
        "1",
        "38,9",
        "Feber",
        "spring over",
    ];
    let run = crate::common::console(&db.url, "solgaarden", "anna", &script, &[]);
    let case = run.case.expect("a case");
    let case_s = case.to_string();
    let (code, out, err) = cli(
        Some(&db.url),
        &[
            "cases", "export", &case_s, "--as", "dr-lund", "--format", "fhir",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON on stdout");
    assert_eq!(v["resourceType"], "Bundle");
    assert_eq!(v["identifier"]["value"], case_s);
    let types: Vec<&str> = v["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["resource"]["resourceType"].as_str())
        .collect();
    for t in [
        "Patient",
        "Encounter",
        "Observation",
        "Communication",
        "Consent",
    ] {
        assert!(types.contains(&t), "{t} missing: {types:?}");
    }
    let (code, out, err) = cli(
        Some(&db.url),
        &["cases", "export", &case_s, "--as", "bo", "--format", "fhir"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty() && err.contains("no case"), "{err}");
    let (code, _, err) = cli(
        Some(&db.url),
        &[
            "cases", "export", &case_s, "--as", "dr-lund", "--format", "hl7v2",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("--format"), "{err}");
    let poul: akutlinje_core::ids::ResidentId = "sol-14".parse().expect("id");
    let log = db
        .store
        .access_log_of(&poul, None, None)
        .await
        .expect("log");
    assert!(log.iter().any(|e| e.case == Some(case)
        && e.detail
            .as_deref()
            .is_some_and(|d| d.starts_with("fhir os_user="))));
    db.close().await;
}
