//! `kyc keys create|list|revoke`.

use super::shared::{Output, open_db, print_line};
use crate::{
    ServerConfig,
    auth::generate_key,
    backend::{KeyStore, local::SqliteKeyStore},
    clock::{Clock, SystemClock},
    config::validate_origin,
};
use anyhow::{Context, bail};
use clap::{Subcommand, ValueEnum};
use kyc_core::api::v1::{CreatedKey, KeyKind};
use std::process::ExitCode;

/// `kyc keys …`
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key and print it once.
    Create {
        /// Secret (server to server) or publishable (browser, origin-bound).
        #[arg(long, value_enum)]
        kind: KindArg,
        /// Allowed browser origin, e.g. `https://shop.example` (publishable keys; repeatable).
        #[arg(long = "origin", value_name = "URL")]
        origins: Vec<String>,
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
    /// List keys (ids, kinds, origins; never secrets).
    List {
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
    /// Revoke a key by id.
    Revoke {
        /// The key id (the part after `kyc_sk_` / `kyc_pk_`).
        id: String,
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
}

/// Key kind argument.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KindArg {
    /// `kyc_sk_…`
    Secret,
    /// `kyc_pk_…`
    Publishable,
}

/// Runs `kyc keys …`.
pub(crate) async fn keys(config: &ServerConfig, cmd: &KeysCommand) -> anyhow::Result<ExitCode> {
    let store = SqliteKeyStore::new(open_db(config)?);
    match cmd {
        KeysCommand::Create { kind, origins, out } => {
            let kind = match kind {
                KindArg::Secret => KeyKind::Secret,
                KindArg::Publishable => KeyKind::Publishable,
            };
            for o in origins {
                if let Err(p) = validate_origin(o) {
                    bail!("--origin: {p}");
                }
            }
            if kind == KeyKind::Publishable && origins.is_empty() {
                bail!(
                    "a publishable key needs at least one --origin (the browser origin allowed to use it)"
                );
            }
            let g = generate_key(kind, origins.clone(), SystemClock.now());
            store.insert(&g.record).await?;
            let created = CreatedKey {
                id: g.record.id.clone(),
                key: g.key.clone(),
                kind,
                origins: origins.clone(),
            };
            if out.json {
                print_line(&serde_json::to_string(&created)?)?;
            } else {
                print_line(&format!(
                    "created {} key {}\n{}\n(store it now: it is not shown again)",
                    kind.as_str(),
                    created.id,
                    created.key
                ))?;
            }
        }
        KeysCommand::List { out } => {
            let keys = store.list().await?;
            if out.json {
                let list: Vec<_> = keys
                    .iter()
                    .map(|k| {
                        serde_json::json!({
                            "id": k.id, "kind": k.kind, "origins": k.origins,
                            "createdAt": k.created_at, "revokedAt": k.revoked_at,
                        })
                    })
                    .collect();
                print_line(&serde_json::to_string(&list)?)?;
            } else {
                for k in keys {
                    let state = if k.revoked_at.is_some() { "revoked" } else { "active" };
                    print_line(&format!(
                        "{}  {:<11} {:<7} {}",
                        k.id,
                        k.kind.as_str(),
                        state,
                        k.origins.join(",")
                    ))?;
                }
            }
        }
        KeysCommand::Revoke { id, out } => {
            store.revoke(id, SystemClock.now()).await.with_context(|| format!("key {id}"))?;
            if out.json {
                print_line(&serde_json::json!({"id": id, "revoked": true}).to_string())?;
            } else {
                print_line(&format!("revoked {id}"))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
