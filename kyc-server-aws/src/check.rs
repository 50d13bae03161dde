//! `kyc aws check`: what the deployment `settings` names is missing or set
//! up otherwise than the backends and the infrastructure template expect.
//! Read-only: it describes, never changes.

use crate::AwsSettings;
use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{KeyType, TableDescription, TimeToLiveStatus};
use aws_sdk_kms::types::KeyState;
use aws_sdk_s3::types::{BucketVersioningStatus, ServerSideEncryption};
use aws_sdk_sqs::types::QueueAttributeName;
use serde::Serialize;

/// One thing that is not as it should be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `kms alias/…`, `s3 bucket`, `dynamodb Table`, `sqs queue`.
    pub resource: String,
    /// What is wrong, in a sentence.
    pub problem: String,
}

/// What `check` looked at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// Resources found as expected.
    pub ok: Vec<String>,
    /// Everything found missing or misconfigured.
    pub findings: Vec<Finding>,
}

impl CheckReport {
    /// Nothing found wrong.
    pub fn is_ok(&self) -> bool {
        self.findings.is_empty()
    }

    fn resource(&mut self, resource: String, problems: Vec<String>) {
        if problems.is_empty() {
            self.ok.push(resource);
        } else {
            self.findings.extend(
                problems.into_iter().map(|problem| Finding { resource: resource.clone(), problem }),
            );
        }
    }
}

/// The key schema a table must have, hash key first.
fn expected_keys(settings: &AwsSettings, table: &str) -> &'static [&'static str] {
    if table == settings.audit_table {
        &["pk", "seq"]
    } else if table == settings.ocr_table {
        &["verificationId"]
    } else {
        &["pk", "sk"]
    }
}

fn key_schema(t: &TableDescription) -> Vec<&str> {
    let mut keys: Vec<(&str, bool)> = t
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name(), *k.key_type() == KeyType::Hash))
        .collect();
    keys.sort_by_key(|(_, hash)| !hash);
    keys.into_iter().map(|(name, _)| name).collect()
}

/// Looks at every resource `settings` names.
pub async fn check(sdk: &SdkConfig, settings: &AwsSettings) -> CheckReport {
    let mut report = CheckReport::default();
    check_key(sdk, settings, &mut report).await;
    check_bucket(sdk, settings, &mut report).await;
    check_tables(sdk, settings, &mut report).await;
    check_queues(sdk, settings, &mut report).await;
    report
}

async fn check_key(sdk: &SdkConfig, settings: &AwsSettings, report: &mut CheckReport) {
    let kms = aws_sdk_kms::Client::new(sdk);
    let name = format!("kms {}", settings.kms_key_id);
    let mut problems = Vec::new();
    match kms.describe_key().key_id(&settings.kms_key_id).send().await {
        Err(e) => problems.push(format!("not found or not readable: {}", crate::error::brief(&e))),
        Ok(k) => {
            let meta = k.key_metadata();
            let state = meta.and_then(|m| m.key_state());
            if state != Some(&KeyState::Enabled) {
                problems.push(format!(
                    "key state is {}, not Enabled: nothing can be sealed or opened",
                    state.map_or("unknown", |s| s.as_str())
                ));
            }
            let id = meta.map(|m| m.key_id().to_owned()).unwrap_or_default();
            match kms.get_key_rotation_status().key_id(&id).send().await {
                Ok(r) if r.key_rotation_enabled() => {}
                Ok(_) => problems.push("automatic key rotation is off".into()),
                Err(e) => problems.push(format!("rotation status: {}", crate::error::brief(&e))),
            }
        }
    }
    report.resource(name, problems);
}

async fn check_bucket(sdk: &SdkConfig, settings: &AwsSettings, report: &mut CheckReport) {
    let s3 = settings.s3_client(sdk);
    let bucket = &settings.bucket;
    let name = format!("s3 {bucket}");
    if let Err(e) = s3.head_bucket().bucket(bucket).send().await {
        report.resource(name, vec![format!("not found: {}", crate::error::brief(&e))]);
        return;
    }
    let mut problems = Vec::new();
    match s3.get_bucket_versioning().bucket(bucket).send().await {
        Ok(v) if v.status() == Some(&BucketVersioningStatus::Enabled) => {}
        Ok(_) => problems.push("versioning is not enabled".into()),
        Err(e) => problems.push(format!("versioning: {}", crate::error::brief(&e))),
    }
    let kms_default =
        s3.get_bucket_encryption().bucket(bucket).send().await.ok().is_some_and(|e| {
            e.server_side_encryption_configuration().is_some_and(|c| {
                c.rules().iter().any(|r| {
                    r.apply_server_side_encryption_by_default()
                        .is_some_and(|d| *d.sse_algorithm() == ServerSideEncryption::AwsKms)
                })
            })
        });
    if !kms_default {
        problems.push("default encryption is not SSE-KMS".into());
    }
    let blocked = s3.get_public_access_block().bucket(bucket).send().await.ok().is_some_and(|p| {
        p.public_access_block_configuration().is_some_and(|c| {
            [
                c.block_public_acls(),
                c.ignore_public_acls(),
                c.block_public_policy(),
                c.restrict_public_buckets(),
            ]
            .iter()
            .all(|b| *b == Some(true))
        })
    });
    if !blocked {
        problems.push("the public access block is not on (all four settings)".into());
    }
    report.resource(name, problems);
}

async fn check_tables(sdk: &SdkConfig, settings: &AwsSettings, report: &mut CheckReport) {
    let db = aws_sdk_dynamodb::Client::new(sdk);
    for table in [
        &settings.verifications_table,
        &settings.keys_table,
        &settings.liveness_table,
        &settings.jobs_table,
        &settings.audit_table,
        &settings.ocr_table,
    ] {
        let name = format!("dynamodb {table}");
        let description = match db.describe_table().table_name(table).send().await {
            Ok(d) => d.table,
            Err(e) => {
                report.resource(name, vec![format!("not found: {}", crate::error::brief(&e))]);
                continue;
            }
        };
        let Some(t) = description else {
            report.resource(name, vec!["DescribeTable returned no table".into()]);
            continue;
        };
        let mut problems = Vec::new();
        let want = expected_keys(settings, table);
        let have = key_schema(&t);
        if have != want {
            problems.push(format!("key schema is {have:?}, expected {want:?}"));
        }
        let index = if *table == settings.audit_table {
            Some("byVerification")
        } else {
            crate::bootstrap::index_of(settings, table).map(|(name, ..)| name)
        };
        if let Some(index) = index
            && !t.global_secondary_indexes().iter().any(|i| i.index_name() == Some(index))
        {
            problems.push(format!("the {index} index is missing"));
        }
        if *table == settings.ocr_table
            && !t.stream_specification().is_some_and(|s| s.stream_enabled())
        {
            // the screening function reads only the keys: any view will do
            problems.push("its stream is off: the screening function gets no records".into());
        }
        if *table == settings.ocr_table || *table == settings.verifications_table {
            match db.describe_time_to_live().table_name(table).send().await {
                Ok(ttl) => {
                    let d = ttl.time_to_live_description();
                    let on = d.and_then(|d| d.time_to_live_status()).is_some_and(|s| {
                        matches!(s, TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
                    });
                    if !on || d.and_then(|d| d.attribute_name()) != Some("expiresAt") {
                        problems.push("TTL is not on expiresAt: records outlive retention".into());
                    }
                }
                Err(e) => problems.push(format!("TTL: {}", crate::error::brief(&e))),
            }
        }
        report.resource(name, problems);
    }
}

async fn check_queues(sdk: &SdkConfig, settings: &AwsSettings, report: &mut CheckReport) {
    let dlq = crate::SqsDeadLetters::new(sdk, settings);
    let sqs = aws_sdk_sqs::Client::new(sdk);
    for queue in &settings.dead_letter_queues {
        let name = format!("sqs {queue}");
        let url = match dlq.url(queue).await {
            Ok(u) => u,
            Err(e) => {
                report.resource(name, vec![format!("not found: {e}")]);
                continue;
            }
        };
        let mut problems = Vec::new();
        match sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::MessageRetentionPeriod)
            .send()
            .await
        {
            Ok(a) => {
                let secs: u32 = a
                    .attributes()
                    .and_then(|m| m.get(&QueueAttributeName::MessageRetentionPeriod))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                if secs < crate::bootstrap::DLQ_RETENTION_SECS {
                    problems.push(format!(
                        "keeps messages {} days; a dead letter should wait 14 for an operator",
                        secs / 86_400
                    ));
                }
            }
            Err(e) => problems.push(format!("attributes: {}", crate::error::brief(&e))),
        }
        report.resource(name, problems);
    }
}
