//! The rota on the command line: who is on call, gaps, overrides and swaps under the scheduler's rules, rota files.

use super::*;

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
