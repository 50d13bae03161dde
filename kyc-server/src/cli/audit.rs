//! `kyc audit verify`.

use super::shared::{Output, open_db, print_line};
use crate::{
    ServerConfig,
    backend::{AuditLog, local::SqliteAuditLog},
};
use clap::Subcommand;
use kyc_core::audit::ChainVerifier;
use std::process::ExitCode;

/// `kyc audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain; report the first broken link (exit code 1).
    Verify {
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
}

/// Runs `kyc audit verify`.
pub(crate) async fn audit_verify(config: &ServerConfig, out: Output) -> anyhow::Result<ExitCode> {
    let log = SqliteAuditLog::new(open_db(config)?);
    let mut verifier = ChainVerifier::new();
    let mut after = 0;
    let broken = 'scan: loop {
        let page = log.scan(after, 1000).await?;
        let Some(last) = page.last() else { break None };
        after = last.seq;
        for r in &page {
            if let Err(b) = verifier.push(r) {
                break 'scan Some(b);
            }
        }
    };
    let checked = verifier.checked();
    if out.json {
        let v = match broken {
            None => serde_json::json!({"ok": true, "records": checked}),
            Some(b) => {
                serde_json::json!({"ok": false, "records": checked, "firstBroken": {"seq": b.seq, "kind": b.kind}})
            }
        };
        print_line(&v.to_string())?;
    } else {
        match broken {
            None => print_line(&format!("audit log intact: {checked} records"))?,
            Some(b) => print_line(&format!(
                "audit log BROKEN at record {} ({:?}); {checked} records before it are intact",
                b.seq, b.kind
            ))?,
        }
    }
    Ok(if broken.is_some() { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
