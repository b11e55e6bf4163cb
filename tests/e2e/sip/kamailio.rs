//! Kamailio (Debian `kamailio`) as the hospital's registrar and proxy: the
//! bridge registers as extension `akutlinje` with a digest password, and
//! calls to that extension are proxied to wherever it registered.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const EXTENSION: &str = "akutlinje";
pub const PASSWORD: &str = "hotline-secret-1";

pub struct Kamailio {
    child: Option<Child>,
    dir: tempfile::TempDir,
    pub port: u16,
}

fn config(port: u16, runtime: &std::path::Path) -> String {
    format!(
        r#"#!KAMAILIO
debug=2
log_stderror=yes
children=2
auto_aliases=no
listen=udp:127.0.0.1:{port}
listen=tcp:127.0.0.1:{port}
alias="127.0.0.1:{port}"
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
loadmodule "xlog.so"
loadmodule "ctl.so"
loadmodule "kex.so"
modparam("ctl", "binrpc", "unix:{runtime}/kamailio_ctl")
modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", 2)

request_route {{
    if (!mf_process_maxfwd_header("10")) {{
        sl_send_reply("483", "Too Many Hops");
        exit;
    }}
    if (is_method("REGISTER")) {{
        if ($tU == "{EXTENSION}") {{
            if (!pv_www_authenticate("$td", "{PASSWORD}", "0")) {{
                www_challenge("$td", "0");
                exit;
            }}
        }}
        if (!save("location")) {{
            sl_reply_error();
        }}
        exit;
    }}
    if (has_totag()) {{
        if (loose_route()) {{
            t_relay();
            exit;
        }}
        if (is_method("ACK")) {{
            if (t_check_trans()) {{
                t_relay();
            }}
            exit;
        }}
        t_relay();
        exit;
    }}
    if (is_method("CANCEL")) {{
        if (t_check_trans()) {{
            t_relay();
        }}
        exit;
    }}
    record_route();
    if (!lookup("location")) {{
        sl_send_reply("404", "Not Found");
        exit;
    }}
    t_relay();
}}
"#,
        runtime = runtime.display()
    )
}

/// A port free on UDP and TCP.
fn free_port() -> u16 {
    loop {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp");
        let p = udp.local_addr().expect("addr").port();
        if std::net::TcpListener::bind(("127.0.0.1", p)).is_ok() {
            return p;
        }
    }
}

impl Kamailio {
    pub fn start() -> Kamailio {
        let port = free_port();
        let dir = tempfile::tempdir().expect("dir");
        let mut k = Kamailio {
            child: None,
            dir,
            port,
        };
        k.run();
        k
    }

    fn cfg(&self) -> PathBuf {
        self.dir.path().join("kamailio.cfg")
    }

    fn run(&mut self) {
        std::fs::write(self.cfg(), config(self.port, self.dir.path())).expect("cfg");
        use std::os::unix::process::CommandExt;
        let child = Command::new("kamailio")
            // Its own process group: stopping it stops its workers too.
            .process_group(0)
            .arg("-f")
            .arg(self.cfg())
            .args(["-DD", "-E", "-Y"])
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(self.dir.path().join("kamailio.log")).expect("log"),
            ))
            .spawn()
            .expect("kamailio (Debian kamailio; scripts/test.sh installs it)");
        self.child = Some(child);
        // Kamailio starts in about 0.1 s.
        std::thread::sleep(Duration::from_millis(400));
    }

    /// The registrar's log (for a failure message).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("kamailio.log")).unwrap_or_default()
    }

    /// Killed with its workers (the SIP listeners are worker processes).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", c.id())])
                .status();
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Stopped and started again: every registration is forgotten.
    pub fn restart(&mut self) {
        self.stop();
        self.run();
    }

    pub fn uri(&self) -> String {
        format!("sip:127.0.0.1:{}", self.port)
    }
}

impl Drop for Kamailio {
    fn drop(&mut self) {
        self.stop();
    }
}
