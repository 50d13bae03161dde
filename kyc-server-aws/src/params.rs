//! Deployment settings from SSM Parameter Store, and secrets from Secrets
//! Manager.
//!
//! The infrastructure template writes the names it creates under one path
//! per environment (`/kyc/{environment}/bucket`, `…/kms-key-id`,
//! `…/audit-table`, …) and the screening provider's API key as a secret, so
//! a function or an instance needs only the path and the secret's id.

use aws_config::SdkConfig;
use aws_sdk_secretsmanager::error::DisplayErrorContext;
use std::collections::BTreeMap;

/// The parameters under `prefix` (e.g. `/kyc/prod`), by name relative to it
/// (`bucket`, `audit-table`, …): `GetParametersByPath`, recursive, every
/// page, `SecureString`s decrypted.
pub async fn parameters(sdk: &SdkConfig, prefix: &str) -> Result<BTreeMap<String, String>, String> {
    let client = aws_sdk_ssm::Client::new(sdk);
    let base = prefix.trim_end_matches('/');
    let mut out = BTreeMap::new();
    let mut pages = client
        .get_parameters_by_path()
        .path(if base.is_empty() { "/" } else { base })
        .recursive(true)
        .with_decryption(true)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            format!("SSM GetParametersByPath {prefix}: {}", DisplayErrorContext(&e))
        })?;
        for p in page.parameters() {
            let (Some(name), Some(value)) = (p.name(), p.value()) else { continue };
            let name = name.strip_prefix(base).unwrap_or(name).trim_start_matches('/');
            out.insert(name.to_owned(), value.to_owned());
        }
    }
    Ok(out)
}

/// The value of secret `id` (name or ARN), current version: its
/// `SecretString`, or — for a JSON object such as the console's key/value
/// secrets — the member `field`.
pub async fn secret(sdk: &SdkConfig, id: &str, field: &str) -> Result<String, String> {
    let client = aws_sdk_secretsmanager::Client::new(sdk);
    let got =
        client.get_secret_value().secret_id(id).send().await.map_err(|e| {
            format!("Secrets Manager GetSecretValue {id}: {}", DisplayErrorContext(&e))
        })?;
    let text = got
        .secret_string()
        .ok_or_else(|| format!("secret {id} holds binary data, not a string"))?
        .trim();
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(m)) => m
            .get(field)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .ok_or_else(|| format!("secret {id} is a JSON object without a string {field:?}")),
        _ if text.is_empty() => Err(format!("secret {id} is empty")),
        _ => Ok(text.to_owned()),
    }
}
