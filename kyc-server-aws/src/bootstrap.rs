//! `kyc aws bootstrap`: the bucket, key, tables and dead-letter queues with the names and
//! settings of the infrastructure template, for development accounts and
//! the emulator. Idempotent: what exists is left as it is.

use crate::AwsSettings;
use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use aws_sdk_s3::types::{
    BucketVersioningStatus, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    VersioningConfiguration,
};
use aws_sdk_sqs::types::QueueAttributeName;

/// How long the dead-letter queues keep a message: 14 days, the SQS maximum.
pub(crate) const DLQ_RETENTION_SECS: u32 = 14 * 24 * 3600;

/// What bootstrap did, resource by resource.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BootstrapReport {
    /// Resources created by this run.
    pub created: Vec<String>,
    /// Resources that were already there.
    pub existing: Vec<String>,
}

/// A bootstrap failure: which resource, and the SDK's message.
#[derive(Debug, thiserror::Error)]
#[error("{resource}: {message}")]
pub struct BootstrapError {
    /// The bucket, key or table.
    pub resource: String,
    /// What AWS said.
    pub message: String,
}

fn fail(resource: &str, e: impl std::fmt::Display) -> BootstrapError {
    BootstrapError { resource: resource.to_owned(), message: e.to_string() }
}

fn attr(name: &str, t: ScalarAttributeType) -> Result<AttributeDefinition, BootstrapError> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(t)
        .build()
        .map_err(|e| fail(name, e))
}

fn key(name: &str, t: KeyType) -> Result<KeySchemaElement, BootstrapError> {
    KeySchemaElement::builder().attribute_name(name).key_type(t).build().map_err(|e| fail(name, e))
}

async fn ttl_on_expires_at(
    db: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Result<(), BootstrapError> {
    let ttl = TimeToLiveSpecification::builder()
        .enabled(true)
        .attribute_name("expiresAt")
        .build()
        .map_err(|e| fail(table, e))?;
    db.update_time_to_live()
        .table_name(table)
        .time_to_live_specification(ttl)
        .send()
        .await
        .map_err(|e| fail(table, e))?;
    Ok(())
}

/// The secondary index a `pk`/`sk` table needs: name, partition and sort
/// attributes, projection.
pub(crate) fn index_of(
    settings: &AwsSettings,
    table: &str,
) -> Option<(&'static str, &'static str, &'static str, ProjectionType)> {
    use crate::dynamo::{BY_DUE, BY_EXPIRY, DUE_SHARD, EXPIRY_SHARD};
    if table == settings.verifications_table {
        Some((BY_EXPIRY, EXPIRY_SHARD, "expiresAtMs", ProjectionType::KeysOnly))
    } else if table == settings.jobs_table {
        Some((BY_DUE, DUE_SHARD, "runAt", ProjectionType::All))
    } else {
        None
    }
}

/// Creates what `settings` names and is missing; returns the settings with
/// `kms_key_id` resolved (a new key when the alias did not exist).
pub async fn bootstrap(
    sdk: &SdkConfig,
    settings: &AwsSettings,
) -> Result<(AwsSettings, BootstrapReport), BootstrapError> {
    let mut report = BootstrapReport::default();
    let mut settings = settings.clone();

    // the customer-managed key (rotation on), under its alias
    let kms = aws_sdk_kms::Client::new(sdk);
    match kms.describe_key().key_id(&settings.kms_key_id).send().await {
        Ok(_) => report.existing.push(format!("kms {}", settings.kms_key_id)),
        Err(_) => {
            let k = kms
                .create_key()
                .description("kyc: uploads, frames, readings (data keys and SSE-KMS)")
                .send()
                .await
                .map_err(|e| fail("kms", e))?;
            let id = k.key_metadata().map(|m| m.key_id().to_owned()).unwrap_or_default();
            kms.enable_key_rotation()
                .key_id(&id)
                .send()
                .await
                .map_err(|e| fail("kms rotation", e))?;
            if let Some(alias) =
                settings.kms_key_id.strip_prefix("alias/").map(|a| format!("alias/{a}"))
            {
                kms.create_alias()
                    .alias_name(&alias)
                    .target_key_id(&id)
                    .send()
                    .await
                    .map_err(|e| fail(&alias, e))?;
            } else {
                settings.kms_key_id = id.clone();
            }
            report.created.push(format!("kms {id}"));
        }
    }

    // the bucket: versioned, SSE-KMS by default, no public access
    let s3 = settings.s3_client(sdk);
    let bucket = settings.bucket.clone();
    if s3.head_bucket().bucket(&bucket).send().await.is_ok() {
        report.existing.push(format!("s3 {bucket}"));
    } else {
        s3.create_bucket().bucket(&bucket).send().await.map_err(|e| fail(&bucket, e))?;
        s3.put_bucket_versioning()
            .bucket(&bucket)
            .versioning_configuration(
                VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build(),
            )
            .send()
            .await
            .map_err(|e| fail(&bucket, e))?;
        let default = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::AwsKms)
            .kms_master_key_id(&settings.kms_key_id)
            .build()
            .map_err(|e| fail(&bucket, e))?;
        let sse = ServerSideEncryptionConfiguration::builder()
            .rules(
                ServerSideEncryptionRule::builder()
                    .apply_server_side_encryption_by_default(default)
                    .bucket_key_enabled(true)
                    .build(),
            )
            .build()
            .map_err(|e| fail(&bucket, e))?;
        s3.put_bucket_encryption()
            .bucket(&bucket)
            .server_side_encryption_configuration(sse)
            .send()
            .await
            .map_err(|e| fail(&bucket, e))?;
        s3.put_public_access_block()
            .bucket(&bucket)
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(true)
                    .ignore_public_acls(true)
                    .block_public_policy(true)
                    .restrict_public_buckets(true)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| fail(&bucket, e))?;
        report.created.push(format!("s3 {bucket}"));
    }

    // the tables
    let db = aws_sdk_dynamodb::Client::new(sdk);
    let pk_sk = [
        &settings.verifications_table,
        &settings.keys_table,
        &settings.liveness_table,
        &settings.jobs_table,
    ];
    for table in pk_sk {
        if db.describe_table().table_name(table.as_str()).send().await.is_ok() {
            report.existing.push(format!("dynamodb {table}"));
            continue;
        }
        let mut create = db
            .create_table()
            .table_name(table.as_str())
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr("pk", ScalarAttributeType::S)?)
            .attribute_definitions(attr("sk", ScalarAttributeType::S)?)
            .key_schema(key("pk", KeyType::Hash)?)
            .key_schema(key("sk", KeyType::Range)?);
        // the sparse indexes that replace scans: expired records, due jobs
        if let Some((index, shard, sort, projection)) = index_of(&settings, table.as_str()) {
            create = create
                .attribute_definitions(attr(shard, ScalarAttributeType::S)?)
                .attribute_definitions(attr(sort, ScalarAttributeType::N)?)
                .global_secondary_indexes(
                    GlobalSecondaryIndex::builder()
                        .index_name(index)
                        .key_schema(key(shard, KeyType::Hash)?)
                        .key_schema(key(sort, KeyType::Range)?)
                        .projection(Projection::builder().projection_type(projection).build())
                        .build()
                        .map_err(|e| fail(table, e))?,
                );
        }
        create.send().await.map_err(|e| fail(table, e))?;
        if *table == settings.verifications_table {
            // TTL backs the retention sweep up (a week after expiry)
            ttl_on_expires_at(&db, table).await?;
        }
        report.created.push(format!("dynamodb {table}"));
    }
    let audit = settings.audit_table.clone();
    if db.describe_table().table_name(&audit).send().await.is_ok() {
        report.existing.push(format!("dynamodb {audit}"));
    } else {
        let by_verification = GlobalSecondaryIndex::builder()
            .index_name("byVerification")
            .key_schema(key("verificationId", KeyType::Hash)?)
            .key_schema(key("seq", KeyType::Range)?)
            .projection(Projection::builder().projection_type(ProjectionType::All).build())
            .build()
            .map_err(|e| fail(&audit, e))?;
        db.create_table()
            .table_name(&audit)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr("pk", ScalarAttributeType::S)?)
            .attribute_definitions(attr("seq", ScalarAttributeType::N)?)
            .attribute_definitions(attr("verificationId", ScalarAttributeType::S)?)
            .key_schema(key("pk", KeyType::Hash)?)
            .key_schema(key("seq", KeyType::Range)?)
            .global_secondary_indexes(by_verification)
            .send()
            .await
            .map_err(|e| fail(&audit, e))?;
        report.created.push(format!("dynamodb {audit}"));
    }
    let ocr = settings.ocr_table.clone();
    if db.describe_table().table_name(&ocr).send().await.is_ok() {
        report.existing.push(format!("dynamodb {ocr}"));
    } else {
        let stream = StreamSpecification::builder()
            .stream_enabled(true)
            .stream_view_type(StreamViewType::NewImage)
            .build()
            .map_err(|e| fail(&ocr, e))?;
        db.create_table()
            .table_name(&ocr)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr("verificationId", ScalarAttributeType::S)?)
            .key_schema(key("verificationId", KeyType::Hash)?)
            .stream_specification(stream)
            .send()
            .await
            .map_err(|e| fail(&ocr, e))?;
        ttl_on_expires_at(&db, &ocr).await?;
        report.created.push(format!("dynamodb {ocr}"));
    }

    // the functions' dead-letter queues: messages kept 14 days (the SQS maximum)
    let sqs = aws_sdk_sqs::Client::new(sdk);
    for queue in &settings.dead_letter_queues {
        if crate::dlq::is_queue_url(queue) {
            // a URL names a queue made elsewhere; `kyc aws check` looks at it
            continue;
        }
        if sqs.get_queue_url().queue_name(queue).send().await.is_ok() {
            report.existing.push(format!("sqs {queue}"));
            continue;
        }
        sqs.create_queue()
            .queue_name(queue)
            .attributes(QueueAttributeName::MessageRetentionPeriod, DLQ_RETENTION_SECS.to_string())
            .attributes(QueueAttributeName::SqsManagedSseEnabled, "true")
            .send()
            .await
            .map_err(|e| fail(queue, e))?;
        report.created.push(format!("sqs {queue}"));
    }
    Ok((settings, report))
}
