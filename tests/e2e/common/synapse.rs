//! A real Synapse homeserver for tests: installed from PyPI into a cached
//! virtualenv (scripts/synapse-venv.sh), configured by hand (no
//! `--generate-config`), listening on 127.0.0.1 on a free port, with SQLite,
//! registration by shared secret and every rate limit raised.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha1::Sha1;

/// A running Synapse, stopped on drop.
pub struct Synapse {
    child: Option<Child>,
    pub url: String,
    secret: String,
    pub dir: tempfile::TempDir,
    config: std::path::PathBuf,
    python: String,
}

fn python() -> String {
    if let Ok(p) = std::env::var("AKUTLINJE_SYNAPSE_PYTHON") {
        return p;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/synapse-venv.sh");
    let out = Command::new("bash")
        .arg(script)
        .stderr(Stdio::inherit())
        .output()
        .expect("run scripts/synapse-venv.sh");
    assert!(out.status.success(), "installing Synapse failed");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn random_b64(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::rng().fill_bytes(&mut b);
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(b)
}

const RATE: &str = "{per_second: 10000, burst_count: 10000}";

impl Synapse {
    /// Installs (once) and starts Synapse; waits until it answers.
    pub async fn start() -> Synapse {
        let python = python();
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let secret = random_b64(24);
        let d = dir.path().display().to_string();
        std::fs::write(
            dir.path().join("signing.key"),
            format!("ed25519 a_test {}\n", random_b64(32)),
        )
        .expect("key");
        std::fs::write(
            dir.path().join("log.yaml"),
            format!(
                "version: 1\nformatters:\n  f:\n    format: '%(asctime)s %(levelname)s %(name)s %(message)s'\n\
                 handlers:\n  file:\n    class: logging.FileHandler\n    filename: {d}/homeserver.log\n    formatter: f\n\
                 root:\n  level: WARNING\n  handlers: [file]\ndisable_existing_loggers: false\n"
            ),
        )
        .expect("log config");
        let config = format!(
            "server_name: localhost\npid_file: {d}/homeserver.pid\npublic_baseurl: http://127.0.0.1:{port}/\n\
             listeners:\n  - port: {port}\n    bind_addresses: ['127.0.0.1']\n    type: http\n    tls: false\n    x_forwarded: false\n\
             \x20   resources:\n      - names: [client, media]\n        compress: false\n\
             database:\n  name: sqlite3\n  args:\n    database: {d}/homeserver.db\n\
             log_config: {d}/log.yaml\nmedia_store_path: {d}/media\nsigning_key_path: {d}/signing.key\n\
             registration_shared_secret: '{secret}'\nmacaroon_secret_key: '{m}'\nform_secret: '{f}'\n\
             report_stats: false\ntrusted_key_servers: []\nsuppress_key_server_warning: true\nbcrypt_rounds: 4\n\
             presence:\n  enabled: false\nenable_registration: false\n\
             rc_message: {RATE}\nrc_registration: {RATE}\nrc_room_creation: {RATE}\nrc_key_requests: {RATE}\n\
             rc_3pid_validation: {RATE}\nrc_admin_redaction: {RATE}\nrc_joins_per_room: {RATE}\n\
             rc_login:\n  address: {RATE}\n  account: {RATE}\n  failed_attempts: {RATE}\n\
             rc_joins:\n  local: {RATE}\n  remote: {RATE}\n\
             rc_invites:\n  per_room: {RATE}\n  per_user: {RATE}\n  per_issuer: {RATE}\n",
            m = random_b64(24),
            f = random_b64(24),
        );
        let config_path = dir.path().join("homeserver.yaml");
        std::fs::write(&config_path, config).expect("config");
        let mut s = Synapse {
            child: None,
            url: format!("http://127.0.0.1:{port}"),
            secret,
            dir,
            config: config_path,
            python,
        };
        s.spawn().await;
        s
    }

    async fn spawn(&mut self) {
        let child = Command::new(&self.python)
            .args(["-m", "synapse.app.homeserver", "-c"])
            .arg(&self.config)
            .current_dir(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Synapse");
        self.child = Some(child);
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = http
                .get(format!("{}/_matrix/client/versions", self.url))
                .send()
                .await
            {
                if r.status().is_success() {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "Synapse did not start; see {}/homeserver.log",
                self.dir.path().display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops the homeserver (it can be started again with `restart`).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port and data.
    pub async fn restart(&mut self) {
        self.stop();
        self.spawn().await;
    }

    /// Registers a user through the shared-secret admin API; returns `@user:localhost`.
    pub async fn register(&self, user: &str, password: &str) -> String {
        let http = reqwest::Client::new();
        let url = format!("{}/_synapse/admin/v1/register", self.url);
        let nonce: serde_json::Value = http
            .get(&url)
            .send()
            .await
            .expect("nonce")
            .json()
            .await
            .expect("json");
        let nonce = nonce["nonce"].as_str().expect("nonce").to_string();
        let mut mac = Hmac::<Sha1>::new_from_slice(self.secret.as_bytes()).expect("hmac key");
        mac.update(format!("{nonce}\0{user}\0{password}\0notadmin").as_bytes());
        let mac = hex::encode(mac.finalize().into_bytes());
        let body = serde_json::json!({"nonce": nonce, "username": user, "password": password, "admin": false, "mac": mac});
        let r = http.post(&url).json(&body).send().await.expect("register");
        assert!(
            r.status().is_success(),
            "register {user}: {}",
            r.text().await.unwrap_or_default()
        );
        format!("@{user}:localhost")
    }
}

/// Sets up cross-signing for a logged-in client, as Element does at first
/// log-in (the homeserver asks for the password once): the bot shares room
/// keys only with devices their owner signed.
pub async fn cross_sign(c: &matrix_sdk::Client, user: &str, password: &str) {
    use matrix_sdk::ruma::api::client::uiaa;
    let enc = c.encryption();
    if let Err(e) = enc.bootstrap_cross_signing(None).await {
        let info = e
            .as_uiaa_response()
            .expect("the homeserver asks for the password");
        let mut auth = uiaa::Password::new(
            uiaa::UserIdentifier::Matrix(uiaa::MatrixUserIdentifier::new(user.to_string())),
            password.to_string(),
        );
        auth.session = info.session.clone();
        enc.bootstrap_cross_signing(Some(uiaa::AuthData::Password(auth)))
            .await
            .expect("cross-signing");
    }
}

impl Drop for Synapse {
    fn drop(&mut self) {
        self.stop();
    }
}
