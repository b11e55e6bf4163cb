//! Shared test helpers: a real database (SQLite file or PostgreSQL), seeded
//! with the demo data, and the real `akutlinje` binary.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;

use akutlinje::app::{AppState, Application};
use akutlinje_core::i18n::Lang;
use akutlinje_core::ids::CaseId;
use akutlinje_core::person::Role;
use akutlinje_core::record::CaseEvent;
use akutlinje_core::service::Hotline;
use akutlinje_core::store::Store;
use akutlinje_store::testing;

pub mod golden;
pub mod synapse;
pub mod twilio;

/// A seeded database the binary can be pointed at.
pub struct Db {
    pub store: Arc<dyn Store>,
    pub url: String,
    pub tokens: Vec<(String, Role, String)>,
    sqlite: Option<testing::TempSqlite>,
    pg: Option<testing::TempPostgres>,
}

impl Db {
    pub async fn sqlite() -> Db {
        let t = testing::sqlite().await;
        let store: Arc<dyn Store> = Arc::new(t.store.clone());
        let tokens = akutlinje::demo::seed(&store).await.expect("demo seed");
        Db {
            store,
            url: t.url.clone(),
            tokens,
            sqlite: Some(t),
            pg: None,
        }
    }

    pub async fn postgres() -> Db {
        let t = testing::postgres().await;
        let store: Arc<dyn Store> = Arc::new(t.store.clone());
        let tokens = akutlinje::demo::seed(&store).await.expect("demo seed");
        Db {
            store,
            url: t.url.clone(),
            tokens,
            sqlite: None,
            pg: Some(t),
        }
    }

    pub fn token(&self, person: &str) -> String {
        self.tokens
            .iter()
            .find(|(p, _, _)| p == person)
            .map(|(_, _, t)| t.clone())
            .expect("demo person")
    }

    /// A person who must exist (the demo's, or one the test added).
    pub async fn person(&self, id: &str) -> akutlinje_core::person::Person {
        self.store
            .person(&id.parse().expect("a person id"))
            .await
            .expect("read")
            .unwrap_or_else(|| panic!("no person {id}"))
    }

    /// A home that must exist.
    pub async fn home(&self, id: &str) -> akutlinje_core::person::Home {
        self.store
            .home(&id.parse().expect("a home id"))
            .await
            .expect("read")
            .unwrap_or_else(|| panic!("no home {id}"))
    }

    /// The hotline service on this database, built as `serve` builds it.
    pub fn hotline(&self) -> Hotline {
        akutlinje::startup::hotline(self.store.clone()).expect("the hotline")
    }

    pub async fn events(&self, case: CaseId) -> Vec<CaseEvent> {
        self.store.events(case).await.expect("events")
    }

    pub async fn close(self) {
        drop(self.sqlite);
        if let Some(pg) = self.pg {
            pg.drop_db().await;
        }
    }
}

/// One test body on both backends: `on_both!(name)` runs `async fn
/// name(db: Db)` once on a SQLite file (`name::sqlite`) and once on
/// PostgreSQL (`name::postgres`), which it then drops.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::common::Db::sqlite().await).await;
            }
            #[tokio::test]
            async fn postgres() {
                super::$name($crate::common::Db::postgres().await).await;
            }
        }
    )*};
}
pub(crate) use on_both;

/// The application (API, web pages, printable record) on a free port of
/// 127.0.0.1, built from the parts `serve` builds it from: the hotline on
/// the test database and the web settings.
pub struct TestApp {
    /// `http://127.0.0.1:port`.
    pub base: String,
    /// The hotline service behind it, for driving cases directly.
    pub hotline: Hotline,
}

/// How a [`TestApp`] differs from the defaults.
#[derive(Default)]
pub struct AppOptions {
    pub web: akutlinje::login::WebSettings,
    /// Routes added for the test (a deliberately failing handler, say).
    pub routes: Option<axum::Router>,
    pub header_timeout: Option<std::time::Duration>,
    /// A video room template; personal links then point at `http://video.test`.
    pub video: Option<&'static str>,
}

impl TestApp {
    pub async fn spawn(db: &Db) -> TestApp {
        TestApp::spawn_with(db, AppOptions::default()).await
    }

    pub async fn spawn_with(db: &Db, o: AppOptions) -> TestApp {
        let hotline = db.hotline().with_video(o.video.map(|t| {
            akutlinje_core::video::VideoConfig::new(t, "http://video.test").expect("template")
        }));
        let state = AppState::new(hotline.clone(), db.store.clone(), Lang::Da).with_web(o.web);
        let mut app = Application::build("127.0.0.1:0".parse().expect("addr"), state)
            .await
            .expect("bind");
        if let Some(r) = o.routes {
            app = app.with_routes(r);
        }
        if let Some(t) = o.header_timeout {
            app = app.with_header_timeout(t);
        }
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until(std::future::pending()));
        TestApp { base, hotline }
    }
}

/// The result of a console run.
pub struct ConsoleRun {
    pub stdout: String,
    pub stderr: String,
    pub case: Option<CaseId>,
    pub ok: bool,
}

/// Runs `akutlinje console` with `lines` on stdin against `url`.
pub fn console(url: &str, home: &str, person: &str, lines: &[&str], extra: &[&str]) -> ConsoleRun {
    let mut child = Command::new(env!("CARGO_BIN_EXE_akutlinje"))
        .args(["console", "--home", home, "--as", person])
        .args(extra)
        .env("AKUTLINJE_DATABASE_URL", url)
        .env_remove("AKUTLINJE_CONFIG")
        .env_remove("AKUTLINJE_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the akutlinje binary");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        for l in lines {
            writeln!(stdin, "{l}").expect("write a line");
        }
    }
    let out = child.wait_with_output().expect("console finishes");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let case = stdout
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("Sag "))
        .and_then(CaseId::parse);
    ConsoleRun {
        stdout,
        stderr: String::from_utf8_lossy(&out.stderr).to_string(),
        case,
        ok: out.status.success(),
    }
}

/// Runs the binary with arguments; returns (exit code, stdout, stderr).
pub fn cli(url: Option<&str>, args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_akutlinje"));
    cmd.args(args).env_remove("AKUTLINJE_CONFIG");
    if let Some(u) = url {
        cmd.env("AKUTLINJE_DATABASE_URL", u);
    }
    let out = cmd.output().expect("run the akutlinje binary");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// The text after the input line `> ` that follows the n-th answer.
pub fn after_answer(stdout: &str, n: usize) -> String {
    stdout.split("> ").nth(n + 1).unwrap_or("").to_string()
}

/// A running `akutlinje serve` process, killed with SIGKILL when dropped.
pub struct Serve(pub std::process::Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free TCP port of 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

/// `akutlinje serve --bind 127.0.0.1:{http}` run from `dir`, as an operator
/// starts it: none of the test's own `AKUTLINJE_*` variables, only `env`
/// (and logs at warn, no Whisper model); back once `/healthz` answers.
pub async fn serve(http: u16, dir: &std::path::Path, env: &[(&str, String)]) -> Serve {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_akutlinje"));
    cmd.args(["serve", "--bind", &format!("127.0.0.1:{http}")])
        .current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("AKUTLINJE_") {
            cmd.env_remove(k);
        }
    }
    let child = cmd
        .env("AKUTLINJE_LOG", "warn")
        .env("AKUTLINJE_VOICE_MODEL", dir.join("none.bin"))
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let mut serve = Serve(child);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let client = reqwest::Client::new();
    while client
        .get(format!("http://127.0.0.1:{http}/healthz"))
        .send()
        .await
        .is_err()
    {
        // A port taken meanwhile by another test ends the process at once:
        // say so rather than wait out the deadline.
        if let Ok(Some(status)) = serve.0.try_wait() {
            panic!("serve on port {http} exited at start: {status}");
        }
        assert!(
            std::time::Instant::now() < deadline,
            "serve did not come up"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    serve
}
