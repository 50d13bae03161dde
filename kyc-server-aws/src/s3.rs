//! Objects in S3, sealed under a per-verification data key from KMS.
//!
//! Layout in the bucket (the key names of the infrastructure template):
//!
//! ```text
//! kyc-id-uploads/{verificationId}.jpg         sealed object
//! kyc-live-frames/{verificationId}/{frame}.jpg
//! kyc-ocr-raw/{verificationId}.json
//! kyc-screening-raw/{verificationId}.json
//! kyc-keys/{verificationId}.key               the data key, wrapped by KMS
//! ```
//!
//! Each object is `kyc_backend::crypto::seal_object` (AES-256-GCM, content
//! type and content encrypted, bound to the path) under the verification's
//! data key, and is stored with SSE-KMS under the customer-managed key and
//! its real content type. The data key comes from KMS `GenerateDataKey`
//! with the verification id as encryption context, so a wrapped key only
//! unwraps for its own verification. Erasure deletes every version of the
//! wrapped key first, then every version of every object: from the first
//! step on, no copy of the verification (old versions, replicas, backups)
//! can be decrypted — crypto-shredding on AWS as on one machine.

use crate::{AwsSettings, error::store_error};
use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_kms::{primitives::Blob, types::DataKeySpec};
use aws_sdk_s3::{
    primitives::ByteStream,
    types::{Delete, ObjectIdentifier, ServerSideEncryption},
};
use bytes::Bytes;
use kyc_backend::{
    ObjectKey, ObjectMeta, ObjectStore, PutMode, StoreError, StoredObject,
    crypto::{DataKey, open_object, seal_object},
    verification_prefixes,
};
use kyc_core::VerificationId;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// Unwrapped data keys kept in memory (one KMS call per verification, not
/// per object); dropped on erasure, cleared when full.
const KEY_CACHE: usize = 4096;

/// The encryption-context entry binding a wrapped key to its verification.
const CONTEXT: &str = "verificationId";

/// [`ObjectStore`] on S3 + KMS.
#[derive(Debug, Clone)]
pub struct S3ObjectStore {
    s3: aws_sdk_s3::Client,
    kms: aws_sdk_kms::Client,
    bucket: String,
    kms_key_id: String,
    keys: Arc<Mutex<HashMap<VerificationId, Arc<DataKey>>>>,
}

/// Where a verification's wrapped data key lives.
pub(crate) fn key_path(id: &VerificationId) -> String {
    format!("kyc-keys/{id}.key")
}

impl S3ObjectStore {
    /// A store in `settings.bucket`, keys under `settings.kms_key_id`.
    pub fn new(sdk: &SdkConfig, settings: &AwsSettings) -> Self {
        Self {
            s3: settings.s3_client(sdk),
            kms: aws_sdk_kms::Client::new(sdk),
            bucket: settings.bucket.clone(),
            kms_key_id: settings.kms_key_id.clone(),
            keys: Arc::default(),
        }
    }

    /// The S3 client (for `kyc aws bootstrap`/`check` and tests).
    pub fn s3(&self) -> &aws_sdk_s3::Client {
        &self.s3
    }

    fn cached(&self, id: &VerificationId) -> Option<Arc<DataKey>> {
        self.keys.lock().ok().and_then(|k| k.get(id).cloned())
    }

    fn remember(&self, id: VerificationId, key: DataKey) -> Arc<DataKey> {
        let key = Arc::new(key);
        if let Ok(mut keys) = self.keys.lock() {
            if keys.len() >= KEY_CACHE {
                keys.clear();
            }
            keys.insert(id, key.clone());
        }
        key
    }

    fn forget(&self, id: &VerificationId) {
        if let Ok(mut keys) = self.keys.lock() {
            keys.remove(id);
        }
    }

    async fn put_raw(
        &self,
        path: &str,
        body: Vec<u8>,
        content_type: &str,
        create: bool,
    ) -> Result<(), StoreError> {
        let mut req = self
            .s3
            .put_object()
            .bucket(&self.bucket)
            .key(path)
            .body(ByteStream::from(body))
            .content_type(content_type)
            .server_side_encryption(ServerSideEncryption::AwsKms)
            .ssekms_key_id(&self.kms_key_id);
        if create {
            req = req.if_none_match("*");
        }
        req.send().await.map_err(store_error)?;
        Ok(())
    }

    async fn get_raw(&self, path: &str) -> Result<Bytes, StoreError> {
        let out = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(path)
            .send()
            .await
            .map_err(store_error)?;
        let body = out.body.collect().await.map_err(StoreError::unavailable)?;
        Ok(body.into_bytes())
    }

    async fn unwrap_key(&self, id: &VerificationId, wrapped: Bytes) -> Result<DataKey, StoreError> {
        let out = self
            .kms
            .decrypt()
            .key_id(&self.kms_key_id)
            .ciphertext_blob(Blob::new(wrapped.to_vec()))
            .encryption_context(CONTEXT, id.to_string())
            .send()
            .await
            .map_err(|e| {
                let code = e.as_service_error().and_then(|s| {
                    aws_sdk_kms::error::ProvideErrorMetadata::code(s).map(str::to_owned)
                });
                match code.as_deref() {
                    Some("InvalidCiphertextException" | "IncorrectKeyException") => {
                        StoreError::Corrupt("data key does not unwrap for this verification")
                    }
                    _ => store_error(e),
                }
            })?;
        key_from_kms(out.plaintext())
    }

    async fn load_key(&self, id: &VerificationId) -> Result<Arc<DataKey>, StoreError> {
        if let Some(k) = self.cached(id) {
            return Ok(k);
        }
        let wrapped = self.get_raw(&key_path(id)).await?;
        let key = self.unwrap_key(id, wrapped).await?;
        Ok(self.remember(*id, key))
    }

    /// The verification's data key, created on first use. Concurrent
    /// creators race on a create-only put; the loser unwraps the winner's.
    async fn data_key(&self, id: &VerificationId) -> Result<Arc<DataKey>, StoreError> {
        match self.load_key(id).await {
            Err(StoreError::NotFound) => {}
            other => return other,
        }
        let out = self
            .kms
            .generate_data_key()
            .key_id(&self.kms_key_id)
            .key_spec(DataKeySpec::Aes256)
            .encryption_context(CONTEXT, id.to_string())
            .send()
            .await
            .map_err(store_error)?;
        let key = key_from_kms(out.plaintext())?;
        let wrapped = out
            .ciphertext_blob()
            .ok_or(StoreError::Corrupt("KMS returned no wrapped key"))?
            .as_ref()
            .to_vec();
        match self.put_raw(&key_path(id), wrapped, "application/octet-stream", true).await {
            Ok(()) => Ok(self.remember(*id, key)),
            Err(StoreError::Conflict) => self.load_key(id).await,
            Err(e) => Err(e),
        }
    }

    /// Every version and delete marker under `prefix`.
    async fn versions(&self, prefix: &str) -> Result<Vec<ObjectIdentifier>, StoreError> {
        let mut out = Vec::new();
        let (mut key_marker, mut version_marker) = (None::<String>, None::<String>);
        loop {
            let page = self
                .s3
                .list_object_versions()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_key_marker(key_marker.take())
                .set_version_id_marker(version_marker.take())
                .send()
                .await
                .map_err(store_error)?;
            let versions = page.versions().iter().map(|v| (v.key(), v.version_id()));
            let markers = page.delete_markers().iter().map(|m| (m.key(), m.version_id()));
            for (key, version) in versions.chain(markers) {
                let Some(key) = key else { continue };
                let id = ObjectIdentifier::builder()
                    .key(key)
                    .set_version_id(version.map(str::to_owned))
                    .build()
                    .map_err(StoreError::backend)?;
                out.push(id);
            }
            if page.is_truncated() != Some(true) {
                return Ok(out);
            }
            key_marker = page.next_key_marker().map(str::to_owned);
            version_marker = page.next_version_id_marker().map(str::to_owned);
            if key_marker.is_none() {
                return Ok(out);
            }
        }
    }

    /// Deletes every version under `prefix`, 1000 per request.
    async fn purge(&self, prefix: &str) -> Result<(), StoreError> {
        let all = self.versions(prefix).await?;
        for chunk in all.chunks(1000) {
            let delete = Delete::builder()
                .set_objects(Some(chunk.to_vec()))
                .quiet(true)
                .build()
                .map_err(StoreError::backend)?;
            let out = self
                .s3
                .delete_objects()
                .bucket(&self.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(store_error)?;
            if !out.errors().is_empty() {
                return Err(StoreError::Unavailable { retryable: true, source: None });
            }
        }
        Ok(())
    }
}

fn key_from_kms(plaintext: Option<&Blob>) -> Result<DataKey, StoreError> {
    let bytes: [u8; 32] = plaintext
        .map(|b| b.as_ref())
        .and_then(|b| b.try_into().ok())
        .ok_or(StoreError::Corrupt("KMS data key is not 32 bytes"))?;
    Ok(DataKey::from_bytes(bytes))
}

#[async_trait]
impl ObjectStore for S3ObjectStore {
    async fn put(
        &self,
        key: &ObjectKey,
        body: Bytes,
        meta: &ObjectMeta,
        mode: PutMode,
    ) -> Result<(), StoreError> {
        let dek = self.data_key(&key.verification_id).await?;
        let sealed = seal_object(&dek, key, meta, &body)?;
        self.put_raw(&key.path(), sealed, &meta.content_type, mode == PutMode::Create).await
    }

    async fn get(&self, key: &ObjectKey) -> Result<StoredObject, StoreError> {
        let sealed = self.get_raw(&key.path()).await?;
        let dek = self.load_key(&key.verification_id).await?;
        open_object(&dek, key, &sealed)
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), StoreError> {
        // idempotent: S3 answers 204 for a missing key
        self.s3
            .delete_object()
            .bucket(&self.bucket)
            .key(key.path())
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn erase_verification(&self, id: &VerificationId) -> Result<(), StoreError> {
        // the wrapped key first: from here on nothing of this verification decrypts
        self.forget(id);
        self.purge(&key_path(id)).await?;
        for prefix in verification_prefixes(id) {
            self.purge(&prefix).await?;
        }
        self.forget(id);
        Ok(())
    }
}
