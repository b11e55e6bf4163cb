//! The command line as a coordinator or a script uses it.

use crate::common::{cli, Db};

#[test]
fn news2_prints_one_json_object() {
    let (code, out, err) = cli(
        None,
        &[
            "score",
            "news2",
            "--resp-rate",
            "24",
            "--spo2",
            "93",
            "--spo2-scale",
            "1",
            "--oxygen",
            "no",
            "--systolic",
            "110",
            "--pulse",
            "105",
            "--consciousness",
            "A",
            "--temp",
            "38.9",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert_eq!(v["total"], 7);
    assert_eq!(v["band"], "high");
    assert_eq!(v["red_flag"], false);
    assert_eq!(v["monitoring"], "continuous");
    let subs = v["subscores"].as_object().expect("subscores");
    assert_eq!(subs.len(), 7);
    for key in ["total", "subscores", "band", "red_flag", "monitoring"] {
        assert!(v.get(key).is_some(), "{key}");
    }
}

#[test]
fn news2_scale_two_on_oxygen_and_danish_decimal() {
    let (code, out, _) = cli(
        None,
        &[
            "score",
            "news2",
            "--resp-rate",
            "18",
            "--spo2",
            "97",
            "--spo2-scale",
            "2",
            "--oxygen",
            "yes",
            "--systolic",
            "130",
            "--pulse",
            "80",
            "--consciousness",
            "C",
            "--temp",
            "35,0",
        ],
    );
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!(v["subscores"]["spo2"], 3);
    assert_eq!(v["subscores"]["oxygen"], 2);
    assert_eq!(v["subscores"]["consciousness"], 3);
    assert_eq!(v["subscores"]["temp"], 3);
    assert_eq!(v["total"], 11);
    assert_eq!(v["red_flag"], true);
}

#[test]
fn bad_values_name_the_field_and_range() {
    let base = [
        "score",
        "news2",
        "--resp-rate",
        "24",
        "--spo2",
        "93",
        "--oxygen",
        "no",
        "--systolic",
        "110",
        "--pulse",
        "105",
        "--consciousness",
        "A",
        "--temp",
        "38.9",
    ];
    let cases: [(&str, &str, &str); 5] = [
        (
            "--pulse",
            "400",
            "pulse: 400 is outside the accepted range 20–300 /min",
        ),
        ("--spo2", "abc", "spo2: could not read \"abc\""),
        (
            "--temp",
            "98.6",
            "temp: 98.6 is outside the accepted range 25.0–45.0 °C",
        ),
        (
            "--consciousness",
            "Q",
            "consciousness: could not read \"Q\"; expected one of A, C, V, P, U",
        ),
        ("--oxygen", "maybe", "oxygen: could not read \"maybe\""),
    ];
    for (flag, value, expected) in cases {
        let mut args: Vec<&str> = base.to_vec();
        let i = args.iter().position(|a| *a == flag).expect("flag") + 1;
        args[i] = value;
        let (code, out, err) = cli(None, &args);
        assert_eq!(code, 2, "{flag} {value}");
        assert!(out.is_empty());
        assert!(err.contains(expected), "{flag} {value}: {err}");
    }
}

#[test]
fn tobs_prints_the_same_keys() {
    let (code, out, err) = cli(
        None,
        &[
            "score",
            "tobs",
            "--resp-rate",
            "19",
            "--systolic",
            "147",
            "--pulse",
            "92",
            "--consciousness",
            "pain",
            "--temp",
            "38,7",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!(
        (
            v["total"].as_u64(),
            v["band"].as_str(),
            v["red_flag"].as_bool()
        ),
        (Some(4), Some("raised"), Some(false))
    );
    assert_eq!(v["monitoring"], "contact_nurse");
}

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

#[test]
fn bad_configuration_fails_at_once_with_the_setting_named() {
    let dir = tempfile::tempdir().expect("dir");
    let cfg = dir.path().join("akutlinje.toml");
    std::fs::write(
        &cfg,
        "database_url = \"postgres://u:hemmelig@127.0.0.1/x\"\n",
    )
    .expect("write");
    let (code, _, err) = cli(
        None,
        &["--config", cfg.to_str().expect("path"), "homes", "list"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("AKUTLINJE_DATABASE_URL"), "{err}");
    assert!(
        !err.contains("hemmelig"),
        "the password must not be echoed: {err}"
    );
    std::fs::write(&cfg, "bind = \"not an address\"\n").expect("write");
    let (code, _, err) = cli(
        None,
        &["--config", cfg.to_str().expect("path"), "homes", "list"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("bind"), "{err}");
    std::fs::write(&cfg, "lanugage = \"da\"\n").expect("write");
    let (code, _, err) = cli(
        None,
        &["--config", cfg.to_str().expect("path"), "homes", "list"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("lanugage"), "{err}");
}

#[tokio::test]
async fn oncall_and_an_override_that_closes_a_gap() {
    let db = Db::sqlite().await;
    let at = "2026-11-24 03:00";
    let (code, out, err) = cli(
        Some(&db.url),
        &["oncall", "--service", "akutlaege", "--at", at],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let tiers = v["tiers"].as_array().expect("tiers");
    assert_eq!(tiers[0]["tier"], "primary");
    assert_eq!(tiers[0]["person"], "dr-berg");
    assert_eq!(
        (
            tiers[0]["start_local"].as_str(),
            tiers[0]["end_local"].as_str()
        ),
        (Some("2026-11-23 08:00"), Some("2026-11-24 08:00"))
    );
    assert_eq!(tiers[1]["person"], "dr-lund");
    assert!(
        tiers[2]["person"].is_null(),
        "no coordinator at night in the demo rota"
    );

    let gaps = |from: &str| {
        let (code, out, err) = cli(
            Some(&db.url),
            &[
                "rotas",
                "gaps",
                "--service",
                "akutlaege",
                "--days",
                "1",
                "--from",
                from,
            ],
        );
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        v["tiers"][2]["uncovered_minutes"]
            .as_i64()
            .expect("minutes")
    };
    assert_eq!(gaps("2026-11-24 00:00"), 16 * 60);
    let (code, out, err) = cli(
        Some(&db.url),
        &[
            "rotas",
            "override",
            "--service",
            "akutlaege",
            "--tier",
            "coordinator",
            "--person",
            "karin",
            "--from",
            "2026-11-24 00:00",
            "--to",
            "2026-11-24 08:00",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"override\""));
    assert_eq!(gaps("2026-11-24 00:00"), 8 * 60);
    let (_, out, _) = cli(
        Some(&db.url),
        &["oncall", "--service", "akutlaege", "--at", at],
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["tiers"][2]["person"], "karin");
    assert_eq!(v["tiers"][2]["source"]["type"], "override");

    let (code, _, err) = cli(
        Some(&db.url),
        &[
            "rotas",
            "override",
            "--service",
            "akutlaege",
            "--tier",
            "nattevagt",
            "--person",
            "karin",
            "--from",
            "2026-11-24 00:00",
            "--to",
            "2026-11-24 08:00",
        ],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("nattevagt is not a tier of akutlaege"),
        "{err}"
    );
    let (code, _, err) = cli(
        Some(&db.url),
        &[
            "rotas",
            "override",
            "--service",
            "akutlaege",
            "--tier",
            "primary",
            "--person",
            "karin",
            "--from",
            "2026-11-24 08:00",
            "--to",
            "2026-11-24 00:00",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("--to must be after --from"), "{err}");
    db.close().await;
}

/// Overrides and swaps follow the scheduler's rules whoever asks: the
/// command line refuses what the web page refuses.
#[tokio::test]
async fn the_command_line_keeps_the_rota_rules_of_the_web_page() {
    let db = Db::sqlite().await;
    let cover = |tier: &str, from: &str, to: &str| {
        cli(
            Some(&db.url),
            &[
                "rotas",
                "override",
                "--service",
                "akutlaege",
                "--tier",
                tier,
                "--person",
                "karin",
                "--from",
                from,
                "--to",
                to,
            ],
        )
    };
    let (code, _, err) = cover("coordinator", "2026-11-24 00:00", "2026-11-24 08:00");
    assert_eq!(code, 0, "{err}");
    // The same tier at an overlapping time would leave who is on call to
    // the order they were stored in.
    let (code, _, err) = cover("coordinator", "2026-11-24 07:00", "2026-11-24 09:00");
    assert_eq!(code, 2);
    assert!(
        err.contains("another override already covers coordinator"),
        "{err}"
    );
    // Another tier then, or the same tier right after, is fine.
    let (code, _, err) = cover("primary", "2026-11-24 07:00", "2026-11-24 09:00");
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = cover("coordinator", "2026-11-24 08:00", "2026-11-24 09:00");
    assert_eq!(code, 0, "{err}");

    let swap = |a_shift: &str, b_shift: &str| {
        cli(
            Some(&db.url),
            &[
                "rotas",
                "swap",
                "--rotation",
                "primary-weekdays",
                "--a",
                "dr-berg",
                "--a-shift",
                a_shift,
                "--b",
                "dr-lund",
                "--b-shift",
                b_shift,
            ],
        )
    };
    // Monday the 23rd is dr-berg's, Tuesday the 24th dr-lund's: giving
    // away the other's day is refused, trading their own is stored.
    let (code, _, err) = swap("2026-11-24 08:00", "2026-11-23 08:00");
    assert_eq!(code, 2);
    assert!(
        err.contains("dr-berg has no shift of that rotation starting at 2026-11-24 08:00"),
        "{err}"
    );
    let (code, out, err) = swap("2026-11-23 08:00", "2026-11-24 08:00");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"swap\""), "{out}");
    let (_, out, _) = cli(
        Some(&db.url),
        &[
            "oncall",
            "--service",
            "akutlaege",
            "--at",
            "2026-11-23 12:00",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["tiers"][0]["person"], "dr-lund", "the swap took effect");
    db.close().await;
}

/// Phone numbers are stored in E.164 however they are typed; text that is
/// no number is refused with the option named.
#[tokio::test]
async fn phone_numbers_are_stored_in_one_form() {
    let db = Db::sqlite().await;
    let add = |phone: &str| {
        cli(
            Some(&db.url),
            &[
                "people",
                "add",
                "dr-test",
                "--name",
                "Dr. Test",
                "--role",
                "physician",
                "--phone",
                phone,
            ],
        )
    };
    let (code, _, err) = add("(+45) 2000 0009");
    assert_eq!(code, 0, "{err}");
    let who = db
        .store
        .person(&"dr-test".parse().expect("id"))
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(who.phone.as_ref().map(|p| p.e164()), Some("+4520000009"));
    let (code, _, err) = add("ring mig");
    assert_eq!(code, 2);
    assert!(
        err.contains("--phone") && err.contains("is not a phone number"),
        "{err}"
    );
    db.close().await;
}

#[tokio::test]
async fn a_bad_rota_file_is_refused_with_the_reason_and_changes_nothing() {
    let db = Db::sqlite().await;
    let dir = tempfile::tempdir().expect("dir");
    let demo = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/demo/rota.toml"))
        .expect("demo rota");
    for (from, to, expected) in [
        (
            "members = [\"dr-lund\", \"dr-berg\"]",
            "members = [\"dr-lund\", \"dr-nobody\"]",
            "person dr-nobody is unknown",
        ),
        (
            "shift_start = \"0 0 8 * * Mon-Fri\"",
            "shift_start = \"hver morgen\"",
            "is not a cron expression",
        ),
        (
            "tier = \"backup\"",
            "tier = \"reserve\"",
            "tier reserve is not one of the service's tiers",
        ),
    ] {
        let path = dir.path().join("rota.toml");
        std::fs::write(&path, demo.replacen(from, to, 1)).expect("write");
        let (code, _, err) = cli(
            Some(&db.url),
            &["rotas", "load", path.to_str().expect("path")],
        );
        assert_eq!(code, 2, "{to}");
        assert!(err.contains(expected), "{to}: {err}");
    }
    let rota = db
        .store
        .rota(&"akutlaege".parse().expect("id"))
        .await
        .expect("rota");
    assert_eq!(rota.rotations.len(), 4, "the demo rota is untouched");
    db.close().await;
}

#[test]
fn a_matrix_bot_needs_its_store_passphrase_from_the_environment() {
    let dir = tempfile::tempdir().expect("dir");
    let cfg = dir.path().join("akutlinje.toml");
    std::fs::write(&cfg, "matrix_homeserver = \"http://127.0.0.1:1\"\n").expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_akutlinje"))
        .args(["--config", cfg.to_str().expect("path"), "homes", "list"])
        .env_remove("AKUTLINJE_MATRIX_STORE_PASSPHRASE")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("AKUTLINJE_MATRIX_STORE_PASSPHRASE must be set"),
        "{err}"
    );
}

/// Runs `akutlinje [args]` in an empty directory with only `env` of the
/// AKUTLINJE_* variables; returns (exit code, stdout, stderr).
fn run_with_env(args: &[&str], env: &[(String, String)]) -> (i32, String, String) {
    let dir = tempfile::tempdir().expect("dir");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_akutlinje"));
    cmd.args(args).current_dir(dir.path());
    for (k, _) in std::env::vars() {
        if k.starts_with("AKUTLINJE_") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run the akutlinje binary");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

const GOOD_TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// What a key needs beside it to be accepted (the bot needs its store
/// passphrase, Twilio its account, number, URL and token).
fn companions(key: &str) -> Vec<(String, String)> {
    let mut env = Vec::new();
    let mut add = |k: &str, v: &str| {
        if !k.eq_ignore_ascii_case(&format!("AKUTLINJE_{key}")) {
            env.push((k.to_string(), v.to_string()));
        }
    };
    if key.starts_with("matrix_") {
        add("AKUTLINJE_MATRIX_HOMESERVER", "http://127.0.0.1:1");
        add(
            "AKUTLINJE_MATRIX_STORE_PASSPHRASE",
            "a store passphrase for tests",
        );
    }
    if key.starts_with("twilio_") {
        add(
            "AKUTLINJE_TWILIO_ACCOUNT_SID",
            "AC00000000000000000000000000000001",
        );
        add("AKUTLINJE_TWILIO_FROM", "+4570100100");
        add("AKUTLINJE_TWILIO_PUBLIC_URL", "https://akutlinje.example");
        add("AKUTLINJE_TWILIO_AUTH_TOKEN", GOOD_TOKEN);
    }
    env
}

/// The README promises every key of the example configuration can be set
/// as AKUTLINJE_<KEY>. Each key (commented or not) is set once through the
/// environment and once through a file, and `akutlinje config` must show
/// the same value as the example file gives: `AKUTLINJE_TWILIO_FROM=+45…`
/// stays text, numbers stay numbers.
#[test]
fn every_example_key_works_through_the_environment_and_the_file() {
    let example = include_str!("../../akutlinje.example.toml");
    let policies = tempfile::NamedTempFile::new().expect("file");
    std::fs::write(
        policies.path(),
        include_str!("../../scheduler/policies.toml"),
    )
    .expect("write");
    let mut checked = Vec::new();
    for line in example.lines() {
        let line = line.trim_start_matches('#').trim();
        let Some((key, _)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            continue;
        }
        let Ok(table) = line.parse::<toml::Table>() else {
            continue;
        };
        let Some(value) = table.get(key) else {
            continue;
        };
        // A path that must exist is pointed at a real file; the rest is
        // set exactly as the example writes it.
        let value = if key == "policies" {
            toml::Value::String(policies.path().display().to_string())
        } else {
            value.clone()
        };
        let text = match &value {
            toml::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let expected = serde_json::to_value(&value).expect("json");
        let mut env = companions(key);
        env.push((
            format!("AKUTLINJE_{}", key.to_ascii_uppercase()),
            text.clone(),
        ));
        let (code, out, err) = run_with_env(&["config"], &env);
        assert_eq!(code, 0, "{key}={text}: {err}");
        let shown: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(shown[key], expected, "{key} through the environment: {out}");

        let file = tempfile::NamedTempFile::new().expect("file");
        std::fs::write(file.path(), format!("{key} = {value}\n")).expect("write");
        let path = file.path().display().to_string();
        let (code, out, err) = run_with_env(&["--config", &path, "config"], &companions(key));
        assert_eq!(code, 0, "{key} in a file: {err}");
        let shown: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(shown[key], expected, "{key} through the file: {out}");
        checked.push(key.to_string());
    }
    for key in [
        "twilio_from",
        "bind",
        "voice_workers",
        "log_json",
        "database_url",
    ] {
        assert!(
            checked.iter().any(|k| k == key),
            "{key} not in the example: {checked:?}"
        );
    }
    assert!(checked.len() >= 25, "{checked:?}");
}

/// An empty or short Twilio secret would make every signature check
/// worthless: the service refuses to start, naming the variable.
#[test]
fn twilio_refuses_weak_secrets_and_unknown_signature_algorithms() {
    let mut base = companions("twilio_account_sid");
    base.push((
        "AKUTLINJE_TWILIO_ACCOUNT_SID".into(),
        "AC00000000000000000000000000000001".into(),
    ));
    let with = |k: &str, v: &str| {
        let mut env: Vec<(String, String)> = base.iter().filter(|(n, _)| n != k).cloned().collect();
        env.push((k.into(), v.into()));
        env
    };
    let (code, _, err) = run_with_env(&["config"], &base);
    assert_eq!(code, 0, "{err}");
    for (var, value, says) in [
        ("AKUTLINJE_TWILIO_AUTH_TOKEN", "", "set but empty"),
        ("AKUTLINJE_TWILIO_AUTH_TOKEN", "   ", "set but empty"),
        ("AKUTLINJE_TWILIO_AUTH_TOKEN", "kort-token", "at least 32"),
        ("AKUTLINJE_TWILIO_WEBHOOK_KEY", "", "set but empty"),
        ("AKUTLINJE_TWILIO_WEBHOOK_KEY", "wh_short", "at least 32"),
        (
            "AKUTLINJE_TWILIO_SIGNATURE",
            "hmac-md5",
            "hmac-sha1 or hmac-sha256",
        ),
    ] {
        let (code, _, err) = run_with_env(&["config"], &with(var, value));
        assert_eq!(code, 2, "{var}={value:?} must be refused: {err}");
        assert!(err.contains(says), "{var}={value:?}: {err}");
        if !value.trim().is_empty() && var != "AKUTLINJE_TWILIO_SIGNATURE" {
            assert!(!err.contains(value), "the secret must not be echoed: {err}");
        }
    }
    // serve refuses too, before it listens.
    let (code, _, err) = run_with_env(
        &["serve", "--bind", "127.0.0.1:0"],
        &with("AKUTLINJE_TWILIO_AUTH_TOKEN", "kort-token"),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("AKUTLINJE_TWILIO_AUTH_TOKEN"), "{err}");
}

/// PostgreSQL with two roles: the owner migrates (`akutlinje db migrate`),
/// the service runs as a login role that got only `akutlinje db grants`.
/// Everything the hotline does works; DDL, TRUNCATE and changing the record
/// are refused by the database itself.
#[tokio::test]
async fn the_service_runs_as_a_role_without_ddl_or_truncate_rights() {
    use sqlx::ConnectOptions;
    use std::str::FromStr;
    let admin_url = akutlinje_store::testing::postgres_admin_url();
    let suffix = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
    let (owner, app, dbname) = (
        format!("akl_owner_{suffix}"),
        format!("akl_app_{suffix}"),
        format!("akl_roles_{suffix}"),
    );
    let mut admin = sqlx::postgres::PgConnectOptions::from_str(&admin_url)
        .expect("url")
        .connect()
        .await
        .expect("PostgreSQL");
    for sql in [
        format!("CREATE ROLE {owner} LOGIN"),
        format!("CREATE ROLE {app} LOGIN"),
        format!("CREATE DATABASE {dbname} OWNER {owner}"),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut admin)
            .await
            .expect("set up roles");
    }
    // The admin URL with another user and database.
    let url_as = |user: &str| {
        let rest = admin_url.split_once("://").expect("url").1;
        let hostpart = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
        let host = hostpart.split('/').next().expect("host");
        format!("postgres://{user}@{host}/{dbname}")
    };
    let (owner_url, app_url) = (url_as(&owner), url_as(&app));

    let (code, _, err) = run_with_env(
        &["db", "migrate"],
        &[("AKUTLINJE_DATABASE_OWNER_URL".into(), owner_url.clone())],
    );
    assert_eq!(code, 0, "{err}");
    let (code, grants, err) = run_with_env(&["db", "grants", "--role", &app], &[]);
    assert_eq!(code, 0, "{err}");
    let mut as_owner = sqlx::postgres::PgConnectOptions::from_str(&owner_url)
        .expect("url")
        .connect()
        .await
        .expect("owner");
    sqlx::raw_sql(sqlx::AssertSqlSafe(grants))
        .execute(&mut as_owner)
        .await
        .expect("grants");

    // The hotline as the runtime role.
    let env = vec![
        ("AKUTLINJE_DATABASE_URL".to_string(), app_url.clone()),
        (
            "AKUTLINJE_DATABASE_MIGRATIONS".to_string(),
            "check".to_string(),
        ),
    ];
    let residents = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/residents.json");
    for args in [
        vec![
            "homes",
            "add",
            "solgaarden",
            "--name",
            "Plejecenter Solgården",
        ],
        vec!["homes", "add", "birkely", "--name", "Plejecenter Birkely"],
        vec!["residents", "import", residents],
        // Again: decisions unchanged, nothing superseded; then the service
        // may still supersede (only superseded_at).
        vec!["residents", "import", residents],
        vec![
            "people",
            "add",
            "anna",
            "--name",
            "Anna",
            "--role",
            "staff",
            "--home",
            "solgaarden",
        ],
    ] {
        let (code, _, err) = run_with_env(&args, &env);
        assert_eq!(code, 0, "{args:?}: {err}");
    }
    let mut console = std::process::Command::new(env!("CARGO_BIN_EXE_akutlinje"))
        .args(["console", "--home", "solgaarden", "--as", "anna"])
        .envs(env.iter().cloned())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("console");
    {
        use std::io::Write;
        let mut stdin = console.stdin.take().expect("stdin");
        for l in ["14", "3"] {
            writeln!(stdin, "{l}").expect("write");
        }
    }
    let out = console.wait_with_output().expect("console");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("RING 112 NU"), "{stdout}");

    let mut as_app = sqlx::postgres::PgConnectOptions::from_str(&app_url)
        .expect("url")
        .connect()
        .await
        .expect("app");
    let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM case_events")
        .fetch_one(&mut as_app)
        .await
        .expect("read");
    assert!(events > 3, "the case was recorded by the runtime role");
    for sql in [
        "TRUNCATE case_events",
        "TRUNCATE cases CASCADE",
        "DROP TABLE access_log",
        "CREATE TABLE smuggled (x int)",
        "ALTER TABLE cases ADD COLUMN x int",
        "UPDATE case_events SET kind = 'x'",
        "DELETE FROM access_log",
        "DELETE FROM attachments",
        "UPDATE resident_decisions SET kind = 'full_treatment'",
        "DROP TRIGGER case_events_append_only ON case_events",
        "DELETE FROM _sqlx_migrations",
    ] {
        let err = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut as_app)
            .await
            .expect_err(sql)
            .to_string();
        assert!(
            err.contains("permission denied") || err.contains("must be owner"),
            "{sql}: {err}"
        );
    }
    // A schema the runtime role finds behind is refused with what to do.
    sqlx::raw_sql(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .execute(&mut as_owner)
    .await
    .expect("roll the version back");
    let (code, _, err) = run_with_env(&["homes", "list"], &env);
    assert_eq!(code, 2);
    assert!(err.contains("akutlinje db migrate"), "{err}");

    drop(as_app);
    drop(as_owner);
    for sql in [
        format!("DROP DATABASE {dbname} WITH (FORCE)"),
        format!("DROP ROLE {app}"),
        format!("DROP ROLE {owner}"),
    ] {
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut admin)
            .await;
    }
}

/// `serve --demo` refreshes the demo people but keeps the phone numbers and
/// Matrix ids someone gave them to try the phone line or the bot.
#[tokio::test]
async fn the_demo_keeps_the_phones_and_matrix_ids_set_on_its_people() {
    let db = Db::sqlite().await;
    let (code, _, err) = cli(
        Some(&db.url),
        &[
            "people",
            "add",
            "anna",
            "--name",
            "Anna Sørensen",
            "--role",
            "staff",
            "--home",
            "solgaarden",
            "--phone",
            "+4520000001",
            "--matrix-user",
            "@anna:localhost",
        ],
    );
    assert_eq!(code, 0, "{err}");
    akutlinje::demo::seed(&db.store).await.expect("seed again");
    let anna = db
        .store
        .person(&"anna".parse().expect("id"))
        .await
        .expect("read")
        .expect("anna");
    assert_eq!(anna.phone.as_ref().map(|p| p.e164()), Some("+4520000001"));
    assert_eq!(anna.matrix_user.as_deref(), Some("@anna:localhost"));
    db.close().await;
}

/// The embedded database lives in the working directory (or
/// $XDG_DATA_HOME/akutlinje), not next to the binary where a rebuild
/// deletes it; one found in the old place is moved, with a message.
#[test]
fn the_embedded_database_lives_in_a_data_directory_and_an_old_one_is_moved() {
    let root = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("dir");
    let bin_dir = root.path().join("bin");
    let work = root.path().join("work");
    std::fs::create_dir_all(&bin_dir).expect("bin");
    std::fs::create_dir_all(&work).expect("work");
    let bin = bin_dir.join("akutlinje");
    if std::fs::hard_link(env!("CARGO_BIN_EXE_akutlinje"), &bin).is_err() {
        std::fs::copy(env!("CARGO_BIN_EXE_akutlinje"), &bin).expect("copy the binary");
    }
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(&bin);
        cmd.args(args)
            .current_dir(&work)
            .env_remove("XDG_DATA_HOME");
        for (k, _) in std::env::vars() {
            if k.starts_with("AKUTLINJE_") {
                cmd.env_remove(k);
            }
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    // An old installation: the database next to the binary.
    let old = bin_dir.join("akutlinje.db");
    let old_url = format!("sqlite://{}", old.display());
    let (code, _, err) = run(
        &["homes", "add", "gammelgaard", "--name", "Gammel Gård"],
        &[("AKUTLINJE_DATABASE_URL", &old_url)],
    );
    assert_eq!(code, 0, "{err}");
    // The first start without database_url moves it, and says so.
    let (code, out, err) = run(&["homes", "list"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("gammelgaard"),
        "the old cases are there: {out}"
    );
    assert!(err.contains("was moved from"), "{err}");
    assert!(work.join("akutlinje.db").exists());
    assert!(!old.exists());
    // "cargo clean": the program's directory goes; nothing is lost.
    std::fs::remove_file(bin_dir.join("akutlinje.db-wal")).ok();
    let (code, out, err) = run(&["homes", "list"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("gammelgaard"), "{out}");
    assert!(!err.contains("moved"), "moved once: {err}");
    // XDG_DATA_HOME, when set, is the data directory.
    let xdg = root.path().join("xdg");
    let (code, out, err) = run(
        &["homes", "add", "ny", "--name", "Ny"],
        &[("XDG_DATA_HOME", xdg.to_str().expect("utf-8"))],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty());
    assert!(xdg.join("akutlinje").join("akutlinje.db").exists());
}

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

/// Phone PINs are set by an admin on the command line, 4–8 digits, never
/// one of the first guesses, and stored only as a hash.
#[tokio::test]
async fn phone_pins_are_set_hashed_and_guessable_ones_refused() {
    let db = Db::sqlite().await;
    let with_stdin = |args: &[&str], input: &str| {
        use std::io::Write;
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_akutlinje"))
            .args(args)
            .env("AKUTLINJE_DATABASE_URL", &db.url)
            .env_remove("AKUTLINJE_CONFIG")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run");
        c.stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write");
        let out = c.wait_with_output().expect("done");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    for (pin, says) in [
        ("12\n", "4 to 8 digits"),
        ("12ab\n", "4 to 8 digits"),
        ("1234\n", "first anyone would try"),
        ("0000\n", "first anyone would try"),
        ("9876\n", "first anyone would try"),
    ] {
        let (code, err) = with_stdin(&["people", "pin", "anna"], pin);
        assert_eq!(code, 2, "{pin:?}: {err}");
        assert!(err.contains(says), "{pin:?}: {err}");
    }
    let anna: akutlinje_core::ids::PersonId = "anna".parse().expect("id");
    assert!(db
        .store
        .pin_hash(&anna, None)
        .await
        .expect("read")
        .is_none());
    let (code, err) = with_stdin(&["people", "pin", "anna"], "4711\n");
    assert_eq!(code, 0, "{err}");
    let hash = db
        .store
        .pin_hash(&anna, None)
        .await
        .expect("read")
        .expect("set");
    assert!(hash.starts_with("$argon2id$") && !hash.contains("4711"));
    let (code, err) = with_stdin(&["homes", "pin", "birkely"], "2468\n");
    assert_eq!(code, 0, "{err}");
    let bo: akutlinje_core::ids::PersonId = "bo".parse().expect("id");
    assert!(db
        .store
        .pin_hash(&bo, Some(&"birkely".parse().expect("id")))
        .await
        .expect("read")
        .is_some());
    let (code, err) = with_stdin(&["homes", "pin", "nowhere"], "2468\n");
    assert_eq!(code, 2);
    assert!(err.contains("nowhere"), "{err}");
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
