//! `akutlinje score`: NEWS2 and TOBS without a database.

use super::*;

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
