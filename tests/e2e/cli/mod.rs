//! The command line as a coordinator or a script uses it.

use crate::common::{cli, Db};

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

mod config;
mod data;
mod database;
mod homes;
mod people;
mod rota;
mod scores;
