//! What the loopback benchmarks share: a real `kyc serve` in a temporary
//! data directory, its resource use from `/proc`, percentiles.
#![allow(dead_code)] // each bench uses its own subset

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
    pub(crate) data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A numeric setting from the environment, or `default`.
pub(crate) fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

pub(crate) fn kyc(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kyc"));
    c.arg("--data-dir")
        .arg(data)
        .env("KYC_LOG", "warn")
        .env("KYC_RATE_LIMIT_RPS", "1000000")
        .env("KYC_RATE_LIMIT_BURST", "1000000");
    c
}

pub(crate) fn start_server() -> Server {
    let data = tempfile::tempdir().unwrap();
    let (child, base) = serve_in(data.path(), &[]);
    Server { child, base, data }
}

/// Starts `kyc serve` on `data` (kept across restarts) with extra `env`;
/// the child and its base URL.
pub(crate) fn serve_in(data: &Path, env: &[(&str, &str)]) -> (Child, String) {
    let mut cmd = kyc(data);
    cmd.args(["serve", "--listen", "127.0.0.1:0"]).envs(env.iter().copied());
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line.split_whitespace().nth(3).expect("listening line").to_owned();
    (child, base)
}

/// The shared document photos (`../shared/data/documents/generated/*.jpg`), in name order.
pub(crate) fn documents() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/documents/generated");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
        .collect();
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// Writes `report` as `{name}.json` under `$KYC_BENCH_OUT` (default
/// `target/bench-reports`) and says where.
pub(crate) fn write_report(name: &str, report: &serde_json::Value) {
    let out = std::env::var("KYC_BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-reports"));
    std::fs::create_dir_all(&out).unwrap();
    let path = out.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(report).unwrap()).unwrap();
    println!("report: {}", path.display());
}

pub(crate) fn secret_key(data: &Path) -> String {
    let out = kyc(data).args(["keys", "create", "--kind", "secret", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["key"].as_str().unwrap().to_owned()
}

pub(crate) fn rss_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// User + system CPU seconds the process has used.
pub(crate) fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // fields after the parenthesised command name; utime and stime are the 12th and 13th
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest.split_whitespace().map(|x| x.parse().unwrap_or(0.0)).collect();
    let ticks = 100.0; // USER_HZ on Linux
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / ticks
}

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}
