//! Configuration: bad settings named at once, every key through the file and the environment, secrets only from the environment.

use super::*;

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

const GOOD_TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// What a key needs beside it to be accepted (the bot needs its store
/// passphrase, Twilio its account, number, URL and token, the SIP bridge
/// its address, peers and media address).
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
    if key.starts_with("sip_") {
        add("AKUTLINJE_SIP_BIND", "0.0.0.0:5060");
        add("AKUTLINJE_SIP_TRUNK_PEERS", "10.20.0.5");
        add("AKUTLINJE_SIP_MEDIA_IP", "10.20.0.10");
    }
    if key.starts_with("video_") {
        add("AKUTLINJE_PUBLIC_URL", "https://akutlinje.example");
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
    let example = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/akutlinje.example.toml"
    ));
    let policies = tempfile::NamedTempFile::new().expect("file");
    std::fs::write(
        policies.path(),
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scheduler/policies.toml"
        )),
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

/// The SIP bridge names what is missing or wrong before it listens.
#[test]
fn the_sip_bridge_names_a_missing_allow_list_and_a_wrong_address() {
    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[("AKUTLINJE_SIP_BIND", "127.0.0.1:5060")],
            "sip_trunk_peers",
        ),
        (
            &[
                ("AKUTLINJE_SIP_BIND", "0.0.0.0:5060"),
                ("AKUTLINJE_SIP_TRUNK_PEERS", "10.0.0.1"),
            ],
            "sip_media_ip",
        ),
        (
            &[
                ("AKUTLINJE_SIP_BIND", "127.0.0.1:5060"),
                ("AKUTLINJE_SIP_TRUNK_PEERS", "pbx.example"),
            ],
            "sip_trunk_peers",
        ),
        (
            &[
                ("AKUTLINJE_SIP_BIND", "127.0.0.1:5060"),
                ("AKUTLINJE_SIP_TRUNK_PEERS", "10.0.0.1"),
                ("AKUTLINJE_SIP_DIAL", "sip:pbx.example"),
            ],
            "sip_dial",
        ),
    ];
    for (env, named) in cases {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let (code, _, err) = run_with_env(&["config"], &env);
        assert_eq!(code, 2, "{env:?}: {err}");
        assert!(err.contains(named), "{env:?} should name {named}: {err}");
    }
    // Registration mode: the registrar joins the allow-list.
    let env = vec![
        (
            "AKUTLINJE_SIP_BIND".to_string(),
            "127.0.0.1:5060".to_string(),
        ),
        (
            "AKUTLINJE_SIP_REGISTER".to_string(),
            "sip:10.20.0.5:5060".to_string(),
        ),
    ];
    let (code, _, err) = run_with_env(&["config"], &env);
    assert_eq!(code, 0, "{err}");
}
