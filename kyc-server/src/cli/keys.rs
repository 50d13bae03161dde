//! `kyc keys create|list|roll|rotate|revoke`.

use super::shared::{Output, env_lookup, print_line};
use crate::{
    ServerConfig,
    auth::generate_key,
    backend::local::LocalObjectStore,
    clock::{Clock, SystemClock},
    config::validate_origin,
    state::load_keyring,
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
    /// Replace an API key: a new key with the same kind, account, role and
    /// origins; the old one keeps working for `--overlap-hours`, then is revoked.
    Roll {
        /// The key id to replace.
        id: String,
        /// Hours both keys work (0: the old one stops now).
        #[arg(long, default_value_t = 24)]
        overlap_hours: u32,
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
    /// Re-wrap every data key (and the derivation root) under the current
    /// master key. Start the server with the new key as `KYC_MASTER_KEY` and
    /// the old one as `KYC_PREVIOUS_MASTER_KEY` first; it keeps serving
    /// meanwhile. Resumable; drop the previous key once it reports 0 left.
    Rotate {
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
    let store = super::shared::key_store(config).await?;
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
                    let now = SystemClock.now();
                    let state = match k.revoked_at {
                        _ if k.is_revoked(now) => "revoked",
                        Some(_) => "rolling", // revoked at the end of its overlap
                        None => "active",
                    };
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
        KeysCommand::Roll { id, overlap_hours, out } => {
            let old = store.get(id).await.with_context(|| format!("key {id}"))?;
            let now = SystemClock.now();
            if old.is_revoked(now) {
                bail!("key {id} is revoked: create a new key instead");
            }
            let g = generate_key(old.kind, old.origins.clone(), &old.account, old.role, now);
            store.insert(&g.record).await?;
            let until = now.add_millis(i64::from(*overlap_hours) * 3_600_000);
            store.revoke(id, until).await?;
            if out.json {
                let v = serde_json::json!({
                    "id": g.record.id, "key": g.key, "kind": old.kind, "account": old.account,
                    "role": old.role, "replaces": id, "oldKeyRevokedAt": until,
                });
                print_line(&v.to_string())?;
            } else {
                print_line(&format!(
                    "created {} {} key {} replacing {id} (which stops at {until})\n{}\n(store it now: it is not shown again)",
                    old.role.as_str(),
                    old.kind.as_str(),
                    g.record.id,
                    g.key
                ))?;
            }
        }
        KeysCommand::Rotate { out } => {
            super::shared::local_only(config)?;
            let keys = std::sync::Arc::new(load_keyring(config, env_lookup)?);
            let objects = LocalObjectStore::open(&config.data_dir, keys.clone())?;
            let root = keys.rewrap_root(&config.data_dir)?;
            let report = tokio::task::spawn_blocking(move || objects.rewrap_all()).await??;
            let left = report.keys - report.rewrapped - report.already_current;
            if out.json {
                let v = serde_json::json!({
                    "masterKey": keys.current().id(), "rootRewrapped": root,
                    "dataKeys": report.keys, "rewrapped": report.rewrapped,
                    "alreadyCurrent": report.already_current, "left": left,
                });
                print_line(&v.to_string())?;
            } else {
                print_line(&format!(
                    "{} data keys under master key {}: {} re-wrapped now, {} already; the previous key can go",
                    report.keys,
                    keys.current().id(),
                    report.rewrapped,
                    report.already_current
                ))?;
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
