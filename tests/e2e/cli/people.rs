//! People: phone numbers in one form, what the demo keeps, phone PINs.

use super::*;

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
    let who = db.person("dr-test").await;
    assert_eq!(who.phone.as_ref().map(|p| p.e164()), Some("+4520000009"));
    let (code, _, err) = add("ring mig");
    assert_eq!(code, 2);
    assert!(
        err.contains("--phone") && err.contains("is not a phone number"),
        "{err}"
    );
    db.close().await;
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
    let anna = db.person("anna").await;
    assert_eq!(anna.phone.as_ref().map(|p| p.e164()), Some("+4520000001"));
    assert_eq!(anna.matrix_user.as_deref(), Some("@anna:localhost"));
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
