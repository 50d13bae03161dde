//! Deployment names from SSM Parameter Store and the screening provider's
//! key from Secrets Manager (moto: both faithful, SecureString decryption
//! included), read the way `kyc serve` and the Lambda functions start.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_secretsmanager::Client as Secrets;
use aws_sdk_ssm::{Client as Ssm, types::ParameterType};
use kyc_server::{AppState, ServerConfig, config::BackendKind};

const MASTER: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_from_parameter_store_and_the_screening_key_from_secrets_manager() {
    let moto = kyc_server_aws::testing::Moto::start();
    let (sdk, settings) = moto.fresh().await;
    let ssm = Ssm::new(&sdk);
    let prefix = format!("/kyc/test-{}", &settings.bucket[9..]);
    let put = |name: &str, value: &str, kind: ParameterType| {
        let (ssm, name, value) = (ssm.clone(), format!("{prefix}/{name}"), value.to_owned());
        async move { ssm.put_parameter().name(name).value(value).r#type(kind).send().await.unwrap() }
    };
    put("bucket", &settings.bucket, ParameterType::String).await;
    put("kms-key-id", &settings.kms_key_id, ParameterType::String).await;
    for (name, table) in [
        ("audit-table", &settings.audit_table),
        ("ocr-table", &settings.ocr_table),
        ("keys-table", &settings.keys_table),
        ("liveness-table", &settings.liveness_table),
        ("verifications-table", &settings.verifications_table),
        ("jobs-table", &settings.jobs_table),
    ] {
        put(name, table, ParameterType::String).await;
    }
    put("endpoints/screening", "https://screening.example/v1", ParameterType::SecureString).await;
    for n in 0..3 {
        put(&format!("other/{n}"), "left alone", ParameterType::String).await;
    }

    // the reader: every page (12 parameters, pages of at most 10), names
    // relative, SecureString decrypted
    let params = kyc_server_aws::parameters(&sdk, &format!("{prefix}/")).await.unwrap();
    assert_eq!(params.len(), 12, "{params:?}");
    assert_eq!(params["other/2"], "left alone");
    assert_eq!(params["bucket"], settings.bucket);
    assert_eq!(params["endpoints/screening"], "https://screening.example/v1");

    let secrets = Secrets::new(&sdk);
    let plain = format!("kyc/test/{}/plain", settings.bucket);
    let json = format!("kyc/test/{}/json", settings.bucket);
    secrets.create_secret().name(&plain).secret_string("sk_live_plain\n").send().await.unwrap();
    secrets
        .create_secret()
        .name(&json)
        .secret_string(r#"{"apiKey":"sk_live_json"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(kyc_server_aws::secret(&sdk, &plain, "apiKey").await.unwrap(), "sk_live_plain");
    assert_eq!(kyc_server_aws::secret(&sdk, &json, "apiKey").await.unwrap(), "sk_live_json");
    let e = kyc_server_aws::secret(&sdk, &json, "token").await.unwrap_err();
    assert!(e.contains("without a string \"token\""), "{e}");
    let e = kyc_server_aws::secret(&sdk, "kyc/none", "apiKey").await.unwrap_err();
    assert!(e.contains("GetSecretValue kyc/none") && e.contains("ResourceNotFound"), "{e}");

    // a server configured with only the path and the secret's id
    let mut config = ServerConfig::default();
    config.backend.kind = BackendKind::Aws;
    config.backend.aws.ssm_prefix = Some(prefix.clone());
    config.screening.provider = kyc_server::config::ScreenerKind::Http;
    config.screening.http.url = "https://screening.example/v1".into();
    config.screening.http.api_key_secret = Some(json.clone());
    config.validate().unwrap();
    let env = |n: &str| (n == "KYC_MASTER_KEY").then(|| MASTER.to_owned());
    let state = AppState::aws_with_sdk(config.clone(), &sdk, env).await.unwrap();
    assert_eq!(state.config.backend.aws.bucket, settings.bucket);
    assert_eq!(state.config.backend.aws.jobs_table, settings.jobs_table);
    assert!(state.screener.name().starts_with("http"), "{}", state.screener.name());

    // the master key from Secrets Manager instead of the environment
    let master = format!("kyc/test/{}/master", settings.bucket);
    secrets
        .create_secret()
        .name(&master)
        .secret_string(format!(r#"{{"masterKey":"{MASTER}"}}"#))
        .send()
        .await
        .unwrap();
    let by_secret = |n: &str| (n == "KYC_MASTER_KEY_SECRET").then(|| master.clone());
    let from_secret = AppState::aws_with_sdk(config.clone(), &sdk, by_secret).await.unwrap();
    assert_eq!(AppState::aws_master_key(&sdk, by_secret).await.unwrap().as_deref(), Some(MASTER));
    drop(from_secret);
    let none = |n: &str| (n == "KYC_MASTER_KEY_SECRET").then(|| "kyc/no-master".to_owned());
    let e = AppState::aws_with_sdk(config.clone(), &sdk, none).await.map(|_| ()).unwrap_err();
    let e = e.to_string();
    assert!(e.contains("KYC_MASTER_KEY_SECRET") && e.contains("kyc/no-master"), "{e}");
    let e = AppState::aws_with_sdk(config.clone(), &sdk, |_: &str| None)
        .await
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("KYC_MASTER_KEY") && e.contains("KYC_MASTER_KEY_SECRET"), "{e}");

    // the secret missing: startup fails and says which
    let mut broken = config.clone();
    broken.screening.http.api_key_secret = Some("kyc/none".into());
    let e = AppState::aws_with_sdk(broken, &sdk, env).await.map(|_| ()).unwrap_err().to_string();
    assert!(e.contains("kyc/none"), "{e}");
    // a path with no bucket under it: the missing name, and where it was looked for
    let mut empty = config;
    empty.backend.aws.ssm_prefix = Some("/kyc/nothing-here".into());
    let e = AppState::aws_with_sdk(empty, &sdk, env).await.map(|_| ()).unwrap_err().to_string();
    assert!(e.contains("backend.aws.bucket") && e.contains("/kyc/nothing-here"), "{e}");
    drop(moto);
}
