//! The database: a runtime role without DDL rights, the embedded database's home.

use super::*;

/// PostgreSQL with two roles: the owner migrates (`akutlinje db migrate`),
/// the service runs as a login role that got only `akutlinje db grants`.
/// Everything the hotline does works; DDL, TRUNCATE and changing the record
/// are refused by the database itself.
#[tokio::test]
async fn the_service_runs_as_a_role_without_ddl_or_truncate_rights() {
    use sqlx::ConnectOptions;
    use std::str::FromStr;
    let roles = TwoRoles::create().await;
    let (owner_url, app_url) = (roles.url_as(&roles.owner), roles.url_as(&roles.app));

    let (code, _, err) = run_with_env(
        &["db", "migrate"],
        &[("AKUTLINJE_DATABASE_OWNER_URL".into(), owner_url.clone())],
    );
    assert_eq!(code, 0, "{err}");
    let (code, grants, err) = run_with_env(&["db", "grants", "--role", &roles.app], &[]);
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
    a_red_flag_case_as(&env);
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
    nothing_destructive_is_allowed(&mut as_app).await;

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
    roles.drop_all().await;
}

/// A database owned by one new role, and a second login role for the
/// service; dropped again by [`TwoRoles::drop_all`].
struct TwoRoles {
    admin: sqlx::PgConnection,
    admin_url: String,
    owner: String,
    app: String,
    dbname: String,
}

impl TwoRoles {
    async fn create() -> TwoRoles {
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
        TwoRoles {
            admin,
            admin_url,
            owner,
            app,
            dbname,
        }
    }

    /// The admin URL with another user and the new database.
    fn url_as(&self, user: &str) -> String {
        let rest = self.admin_url.split_once("://").expect("url").1;
        let hostpart = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
        let host = hostpart.split('/').next().expect("host");
        format!("postgres://{user}@{host}/{}", self.dbname)
    }

    async fn drop_all(mut self) {
        for sql in [
            format!("DROP DATABASE {} WITH (FORCE)", self.dbname),
            format!("DROP ROLE {}", self.app),
            format!("DROP ROLE {}", self.owner),
        ] {
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut self.admin)
                .await;
        }
    }
}

/// Homes, residents (imported twice), a staff member and a red-flag case
/// on the console, all through the binary with `env`.
fn a_red_flag_case_as(env: &[(String, String)]) {
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
        let (code, _, err) = run_with_env(&args, env);
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
}

/// DDL, TRUNCATE and changing the record are refused by the database.
async fn nothing_destructive_is_allowed(as_app: &mut sqlx::PgConnection) {
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
            .execute(&mut *as_app)
            .await
            .expect_err(sql)
            .to_string();
        assert!(
            err.contains("permission denied") || err.contains("must be owner"),
            "{sql}: {err}"
        );
    }
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

/// `akutlinje backup FILE` while notes are being written: the backup checks
/// out, holds every event stored before it began, and `restore --check`
/// says so; `restore` refuses to replace a database without `--force`, and
/// with it the restored database opens with every one of those events.
/// `--version` names the git commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_writes_restores_with_every_event() {
    use akutlinje_core::i18n::Lang;
    use akutlinje_core::ids::CaseId;
    use akutlinje_core::record::Channel;
    use akutlinje_core::service::Via;
    use std::sync::{Arc, Mutex};
    let db = Db::sqlite().await;
    let anna = db.person("anna").await;
    let home = db.home("solgaarden").await;
    let case = CaseId::from_uuid(uuid::Uuid::new_v4());
    let h = db.hotline();
    h.open_case(
        case,
        &anna,
        &home,
        Channel::Console,
        Lang::Da,
        chrono::Utc::now(),
    )
    .await
    .expect("open");
    // A writer appending notes as fast as it can, recording each stored seq.
    let stored = Arc::new(Mutex::new(Vec::<i64>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (h, anna, stored, stop) = (h.clone(), anna.clone(), stored.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                let seq = h
                    .annotate(
                        case,
                        &anna,
                        Via::from(Channel::Console),
                        &format!("note {n}"),
                        None,
                        chrono::Utc::now(),
                    )
                    .await
                    .expect("note");
                stored.lock().expect("lock").push(seq);
            }
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let before: Vec<i64> = stored.lock().expect("lock").clone();
    assert!(before.len() > 5, "the writer writes: {}", before.len());
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("akutlinje-backup.db");
    let file_s = file.display().to_string();
    let url = db.url.clone();
    let (code, out, err) =
        tokio::task::spawn_blocking(move || cli(Some(&url), &["backup", &file_s]))
            .await
            .expect("backup");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.await.expect("writer");
    let after = stored.lock().expect("lock").len();
    assert_eq!(code, 0, "{err}");
    let summary: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(summary["integrity"], "ok");
    assert!(after > before.len(), "writes went on during the backup");
    // restore --check: the same verdict, nothing changed.
    let (code, out, err) = cli(
        Some(&db.url),
        &["restore", &file.display().to_string(), "--check"],
    );
    assert_eq!(code, 0, "{err}");
    let checked: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(checked["integrity"], "ok");
    assert_eq!(checked["schema_version"], checked["program_schema_version"]);
    // A backup file twice: refused, the first kept.
    let (code, _, err) = cli(Some(&db.url), &["backup", &file.display().to_string()]);
    assert_ne!(code, 0);
    assert!(err.contains("exists already"), "{err}");
    // Restore into a database that exists: only with --force.
    let target = dir.path().join("restored.db");
    std::fs::write(&target, b"an old database").expect("write");
    let target_url = format!("sqlite://{}", target.display());
    let (code, _, err) = cli(Some(&target_url), &["restore", &file.display().to_string()]);
    assert_ne!(code, 0);
    assert!(err.contains("--force"), "{err}");
    let (code, _, err) = cli(
        Some(&target_url),
        &["restore", &file.display().to_string(), "--force"],
    );
    assert_eq!(code, 0, "{err}");
    let restored = akutlinje_store::SqliteStore::connect(&target_url)
        .await
        .expect("the restored database opens");
    use akutlinje_core::store::RecordStore;
    let seqs: std::collections::HashSet<i64> = restored
        .events(case)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.seq)
        .collect();
    let missing: Vec<&i64> = before.iter().filter(|s| !seqs.contains(s)).collect();
    assert!(
        missing.is_empty(),
        "events stored before the backup missing: {missing:?}"
    );
    // A damaged file is refused by --check.
    let bad = dir.path().join("damaged.db");
    let mut bytes = std::fs::read(&file).expect("read");
    let mid = bytes.len() / 2;
    bytes.truncate(mid);
    std::fs::write(&bad, bytes).expect("write");
    let (code, _, _) = cli(
        Some(&db.url),
        &["restore", &bad.display().to_string(), "--check"],
    );
    assert_ne!(code, 0, "a truncated backup does not check out");
    // The version names the commit.
    let (code, out, _) = cli(None, &["--version"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("akutlinje 0.1.0 ("), "{out}");
}

/// A database as the previous release left it (schema 20261125000016, from
/// the fixture) migrates forward when the current program opens it: every
/// event is there, the record reads as before, and what the new schema
/// brought (a re-measure order) works on the old case.
#[tokio::test]
async fn a_database_of_the_previous_release_migrates_forward() {
    use akutlinje_core::store::{EscalationStore, RecordStore};
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("old.db");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    {
        // The dump creates tables in name order: foreign keys are checked
        // only once everything is there.
        let opts = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(&url)
            .expect("url")
            .foreign_keys(false);
        let pool = sqlx::SqlitePool::connect_with(opts).await.expect("create");
        sqlx::raw_sql(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/store/tests/fixtures/schema-20261125000016.sql"
        )))
        .execute(&pool)
        .await
        .expect("the fixture loads");
        pool.close().await;
    }
    let old = akutlinje_store::sqlite_check(&file).await.expect("check");
    assert_eq!(old.schema_version, 20261125000016);
    assert!(old.program_schema_version > old.schema_version);
    assert_eq!((old.cases, old.events), (1, 34));
    // The command line opens it (and so migrates it) and reads the case.
    let plain = format!("sqlite://{}", file.display());
    let case = "8a504542-0d7e-4bf0-9575-29260d3fb849";
    let (code, out, err) = cli(
        Some(&plain),
        &["cases", "show", case, "--as", "dr-lund", "--format", "text"],
    );
    assert_eq!(code, 0, "{err}");
    for line in [
        "Anna Sørensen (plejepersonale): Puls 98",
        "Mette Lund har taget opkaldet",
        "Lægens beslutning: Kommunalt akuttilbud.",
    ] {
        assert!(out.contains(line), "{line:?} missing:\n{out}");
    }
    let now = akutlinje_store::sqlite_check(&file).await.expect("check");
    assert_eq!(
        now.schema_version, now.program_schema_version,
        "migrated forward"
    );
    assert_eq!((now.cases, now.events), (1, 34), "nothing lost");
    // The new tables work on the old case.
    let store = akutlinje_store::SqliteStore::connect(&plain)
        .await
        .expect("open");
    let id = akutlinje_core::ids::CaseId::parse(case).expect("id");
    assert_eq!(store.events(id).await.expect("events").len(), 34);
    assert!(store.follow_ups(id).await.expect("follow-ups").is_empty());
}
