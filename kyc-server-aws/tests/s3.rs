//! `S3ObjectStore` against moto: the conformance suite, then the attacks on
//! what it promises (sealed at rest, bound to its path and verification,
//! erasure that leaves no readable version).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::Bytes;
use kyc_backend::{
    ObjectKey, ObjectMeta, ObjectStore, PutMode, StoreError,
    testing::{new_id, object_store_suite},
};
use kyc_server_aws::S3ObjectStore;

fn jpeg() -> ObjectMeta {
    ObjectMeta { content_type: "image/jpeg".into() }
}

async fn raw(
    store: &S3ObjectStore,
    bucket: &str,
    path: &str,
) -> (Vec<u8>, aws_sdk_s3::operation::get_object::GetObjectOutput) {
    let mut out = store.s3().get_object().bucket(bucket).key(path).send().await.unwrap();
    let body = std::mem::take(&mut out.body).collect().await.unwrap().into_bytes().to_vec();
    (body, out)
}

async fn put_raw(store: &S3ObjectStore, bucket: &str, path: &str, body: Vec<u8>) {
    store.s3().put_object().bucket(bucket).key(path).body(body.into()).send().await.unwrap();
}

async fn versions(store: &S3ObjectStore, bucket: &str, prefix: &str) -> usize {
    let out = store.s3().list_object_versions().bucket(bucket).prefix(prefix).send().await.unwrap();
    out.versions().len() + out.delete_markers().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_object_store_on_moto() {
    let moto = kyc_server_aws::testing::Moto::start();
    let (sdk, settings) = moto.fresh().await;
    let store = S3ObjectStore::new(&sdk, &settings);
    let bucket = settings.bucket.clone();

    object_store_suite(&store).await;

    // at rest: SSE-KMS under the customer key, the real content type, and
    // the bytes themselves sealed (S3's encryption alone would hand
    // plaintext to anyone with s3:GetObject)
    let a = new_id();
    let key_a = ObjectKey::id_upload(a);
    let secret = b"\xFF\xD8\xFF passport of Jane Doe".to_vec();
    store.put(&key_a, Bytes::from(secret.clone()), &jpeg(), PutMode::Create).await.unwrap();
    let (body, head) = raw(&store, &bucket, &key_a.path()).await;
    assert!(!body.windows(8).any(|w| w == b"Jane Doe"), "stored bytes are sealed");
    assert_eq!(head.server_side_encryption().map(|s| s.as_str()), Some("aws:kms"));
    assert!(head.ssekms_key_id().unwrap_or_default().contains(&settings.kms_key_id));
    assert_eq!(head.content_type(), Some("image/jpeg"));
    let wrapped = raw(&store, &bucket, &format!("kyc-keys/{a}.key")).await.0;

    // splice: A's sealed upload copied over B's does not open as B's
    let b = new_id();
    let key_b = ObjectKey::id_upload(b);
    store.put(&key_b, Bytes::from_static(b"b's own"), &jpeg(), PutMode::Create).await.unwrap();
    put_raw(&store, &bucket, &key_b.path(), body.clone()).await;
    assert!(
        matches!(store.get(&key_b).await, Err(StoreError::Corrupt(_))),
        "another verification's object does not open"
    );
    // ... nor under another path of the same verification
    let frame = ObjectKey::ocr_raw(a);
    put_raw(&store, &bucket, &frame.path(), body.clone()).await;
    assert!(matches!(store.get(&frame).await, Err(StoreError::Corrupt(_))), "bound to its path");

    // key swap: A's wrapped data key planted as B's does not unwrap (KMS
    // encryption context), even for a store with nothing cached
    put_raw(&store, &bucket, &format!("kyc-keys/{b}.key"), wrapped.clone()).await;
    let cold = S3ObjectStore::new(&sdk, &settings);
    assert!(
        matches!(cold.get(&key_b).await, Err(StoreError::Corrupt(_))),
        "a wrapped key only unwraps for its own verification"
    );

    // erasure: every version of every object and of the wrapped key goes,
    // in a versioned bucket; a copy restored from a backup no longer opens
    store
        .put(
            &ObjectKey::screening_raw(a),
            Bytes::from_static(b"{}"),
            &ObjectMeta { content_type: "application/json".into() },
            PutMode::Overwrite,
        )
        .await
        .unwrap();
    store.put(&key_a, Bytes::from_static(b"second"), &jpeg(), PutMode::Overwrite).await.unwrap();
    assert!(versions(&store, &bucket, &key_a.path()).await >= 2);
    store.erase_verification(&a).await.unwrap();
    for prefix in
        [key_a.path(), format!("kyc-keys/{a}"), ObjectKey::screening_raw(a).path(), frame.path()]
    {
        assert_eq!(versions(&store, &bucket, &prefix).await, 0, "{prefix}: no version left");
    }
    put_raw(&store, &bucket, &key_a.path(), body).await;
    for s in [&store, &S3ObjectStore::new(&sdk, &settings)] {
        assert!(s.get(&key_a).await.is_err(), "a restored copy of an erased object does not open");
    }
    drop(moto);
}
