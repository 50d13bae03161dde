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
use kyc_core::api::v1::{CreatedKey, DEFAULT_ACCOUNT, KeyKind, KeyRole, is_valid_account};
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
        /// The account (tenant) the key acts for: it reaches only that
        /// account's verifications. 1-64 of a-z, 0-9, `-`, `_`.
        #[arg(long, default_value = DEFAULT_ACCOUNT)]
        account: String,
        /// An operator's secret key that reaches every account's verifications.
        #[arg(long)]
        admin: bool,
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
        KeysCommand::Create { kind, origins, account, admin, out } => {
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
            if !is_valid_account(account) {
                bail!("--account {account:?}: use 1-64 of a-z, 0-9, '-' and '_'");
            }
            if *admin && kind != KeyKind::Secret {
                bail!("--admin is for secret keys only");
            }
            let role = if *admin { KeyRole::Admin } else { KeyRole::Integrator };
            let g = generate_key(kind, origins.clone(), account, role, SystemClock.now());
            store.insert(&g.record).await?;
            let created = CreatedKey {
                id: g.record.id.clone(),
                key: g.key.clone(),
                kind,
                account: account.clone(),
                role,
                origins: origins.clone(),
            };
            if out.json {
                print_line(&serde_json::to_string(&created)?)?;
            } else {
                print_line(&format!(
                    "created {} {} key {} for account {}\n{}\n(store it now: it is not shown again)",
                    role.as_str(),
                    kind.as_str(),
                    created.id,
                    created.account,
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
                            "id": k.id, "kind": k.kind, "account": k.account, "role": k.role,
                            "origins": k.origins, "createdAt": k.created_at,
                            "revokedAt": k.revoked_at,
                        })
                    })
                    .collect();
                print_line(&serde_json::to_string(&list)?)?;
            } else {
                for k in keys {
                    let state = if k.revoked_at.is_some() { "revoked" } else { "active" };
                    print_line(&format!(
                        "{}  {:<11} {:<10} {:<7} {:<16} {}",
                        k.id,
                        k.kind.as_str(),
                        k.role.as_str(),
                        state,
                        k.account,
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
