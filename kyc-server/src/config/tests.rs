//! Config loading and validation tests.

use super::*;
use std::collections::HashMap;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> =
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |k| map.get(k).cloned()
}

#[test]
fn defaults_are_valid_and_local() {
    let dir = tempfile::tempdir().unwrap();
    let o = Overrides { data_dir: Some(dir.path().into()), ..Default::default() };
    let c = ServerConfig::load(&o, env(&[])).unwrap();
    assert_eq!(c.listen, "127.0.0.1:8080");
    assert_eq!(c.retention_days, 30);
    assert_eq!(c.rate_limit.requests_per_second, 100);
    assert_eq!(c.master_key_path(), dir.path().join("master.key"));
}

#[test]
fn file_then_env_then_flags() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kyc.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:9000\"\nretention_days = 7\n[rate_limit]\nburst = 5\n",
    )
    .unwrap();
    let o = Overrides { data_dir: Some(dir.path().into()), ..Default::default() };
    let c = ServerConfig::load(&o, env(&[])).unwrap();
    assert_eq!((c.listen.as_str(), c.retention_days, c.rate_limit.burst), ("127.0.0.1:9000", 7, 5));
    let c = ServerConfig::load(
        &o,
        env(&[
            ("KYC_RETENTION_DAYS", "3"),
            ("KYC_CORS_ORIGINS", "https://a.example, http://localhost:3000"),
        ]),
    )
    .unwrap();
    assert_eq!(c.retention_days, 3);
    assert_eq!(c.cors.allowed_origins, vec!["https://a.example", "http://localhost:3000"]);
    let o2 = Overrides { listen: Some("127.0.0.1:9100".into()), ..o };
    let c = ServerConfig::load(&o2, env(&[("KYC_LISTEN", "127.0.0.1:9001")])).unwrap();
    assert_eq!(c.listen, "127.0.0.1:9100");
}

#[test]
fn bad_settings_fail_with_their_name() {
    let dir = tempfile::tempdir().unwrap();
    let o = Overrides { data_dir: Some(dir.path().into()), ..Default::default() };
    let msg = |pairs: &[(&str, &str)]| ServerConfig::load(&o, env(pairs)).unwrap_err().to_string();
    assert!(msg(&[("KYC_RETENTION_DAYS", "soon")]).contains("KYC_RETENTION_DAYS"));
    assert!(msg(&[("KYC_RETENTION_DAYS", "0")]).contains("retention_days"));
    assert!(msg(&[("KYC_LISTEN", "0.0.0.0:8080")]).contains("loopback"));
    assert!(msg(&[("KYC_LISTEN", "localhost")]).contains("listen"));
    assert!(
        msg(&[("KYC_CORS_ORIGINS", "https://a.example/path")]).contains("cors.allowed_origins")
    );
    assert!(msg(&[("KYC_MAX_UPLOAD_BYTES", "0")]).contains("upload"));
    assert!(msg(&[("KYC_LOG_FORMAT", "xml")]).contains("KYC_LOG_FORMAT"));
    let ok = ServerConfig::load(
        &o,
        env(&[("KYC_LISTEN", "0.0.0.0:8080"), ("KYC_DANGER_ALLOW_PLAIN_HTTP", "1")]),
    );
    assert!(ok.is_ok());
}

#[test]
fn the_aws_backend_is_checked_at_startup() {
    let dir = tempfile::tempdir().unwrap();
    let o = Overrides { data_dir: Some(dir.path().into()), ..Default::default() };
    let load = |pairs: &[(&str, &str)]| ServerConfig::load(&o, env(pairs));
    let msg = |pairs: &[(&str, &str)]| load(pairs).unwrap_err().to_string();
    assert!(msg(&[("KYC_BACKEND", "cloud")]).contains("KYC_BACKEND"));
    assert!(msg(&[("KYC_AWS_FACE_ENGINE", "azure")]).contains("use local or rekognition"));
    assert!(msg(&[("KYC_AWS_DOCUMENT_READER", "ocr")]).contains("use local or textract"));
    if cfg!(feature = "aws") {
        assert!(msg(&[("KYC_BACKEND", "aws")]).contains("backend.aws.bucket"));
        assert!(
            msg(&[("KYC_BACKEND", "aws"), ("KYC_AWS_BUCKET", "b")])
                .contains("backend.aws.kms_key_id")
        );
        let c = load(&[
            ("KYC_BACKEND", "aws"),
            ("KYC_AWS_BUCKET", "kyc-prod"),
            ("KYC_AWS_KMS_KEY_ID", "alias/kyc-prod"),
        ])
        .unwrap();
        assert_eq!(c.backend.kind, BackendKind::Aws);
        assert_eq!(
            (c.backend.aws.bucket.as_str(), c.backend.aws.ocr_table.as_str()),
            ("kyc-prod", "KycOcrData")
        );
        assert_eq!(c.backend.aws.face_engine, crate::config::AwsFaceEngine::Local);
        assert_eq!(c.backend.aws.document_reader, crate::config::AwsDocumentReader::Local);
        let c = load(&[
            ("KYC_BACKEND", "aws"),
            ("KYC_AWS_BUCKET", "kyc-prod"),
            ("KYC_AWS_KMS_KEY_ID", "alias/kyc-prod"),
            ("KYC_AWS_FACE_ENGINE", "rekognition"),
            ("KYC_AWS_DOCUMENT_READER", "textract"),
        ])
        .unwrap();
        assert_eq!(c.backend.aws.face_engine, crate::config::AwsFaceEngine::Rekognition);
        assert_eq!(c.backend.aws.document_reader, crate::config::AwsDocumentReader::Textract);
        // the dead-letter queues: names or URLs, comma-separated, each checked
        let aws = [("KYC_BACKEND", "aws"), ("KYC_AWS_BUCKET", "b"), ("KYC_AWS_KMS_KEY_ID", "k")];
        assert_eq!(
            load(&aws).unwrap().backend.aws.dead_letter_queues,
            ["kyc-ocr-dlq", "kyc-screening-dlq"]
        );
        let queues = [aws.as_slice(), &[(
            "KYC_AWS_DEAD_LETTER_QUEUES",
            " kyc-prod-ocr-dlq, https://sqs.eu-west-1.amazonaws.com/123456789012/kyc-prod-screening-dlq ,",
        )]]
        .concat();
        assert_eq!(
            load(&queues).unwrap().backend.aws.dead_letter_queues,
            [
                "kyc-prod-ocr-dlq",
                "https://sqs.eu-west-1.amazonaws.com/123456789012/kyc-prod-screening-dlq"
            ]
        );
        let bad = [aws.as_slice(), &[("KYC_AWS_DEAD_LETTER_QUEUES", "kyc dlq")]].concat();
        let e = msg(&bad);
        assert!(e.contains("backend.aws.dead_letter_queues") && e.contains("\"kyc dlq\""), "{e}");
        // and from Parameter Store
        let mut a = AwsConfig::default();
        let params = [("dead-letter-queues".to_owned(), "a-dlq,b-dlq".to_owned())].into();
        assert_eq!(a.apply_parameters(&params), 1);
        assert_eq!(a.dead_letter_queues, ["a-dlq", "b-dlq"]);
    } else {
        assert!(msg(&[("KYC_BACKEND", "aws")]).contains("`aws` feature"));
    }
    let file = dir.path().join("kyc.toml");
    std::fs::write(&file, "[backend]\nkind = \"aws\"\n[backend.aws]\nbuckit = \"x\"\n").unwrap();
    let o = Overrides { config_file: Some(file), ..o };
    assert!(ServerConfig::load(&o, env(&[])).unwrap_err().to_string().contains("buckit"));
}

#[test]
fn unknown_keys_in_the_file_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[rate_limit]\nrps = 5\n").unwrap();
    let o = Overrides {
        config_file: Some(file),
        data_dir: Some(dir.path().into()),
        ..Default::default()
    };
    let err = ServerConfig::load(&o, env(&[])).unwrap_err().to_string();
    assert!(err.contains("unknown field") && err.contains("rps"), "{err}");
    let o = Overrides { config_file: Some(dir.path().join("missing.toml")), ..Default::default() };
    assert!(matches!(ServerConfig::load(&o, env(&[])), Err(ConfigError::Read { .. })));
}

#[test]
fn every_env_var_is_kyc_prefixed_and_unique() {
    let mut seen = std::collections::HashSet::new();
    for v in EnvVars::ALL {
        assert!(v.starts_with("KYC_"));
        assert!(seen.insert(*v));
    }
}

#[test]
fn http_limits_from_the_file_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let load = |toml: &str| {
        let file = dir.path().join("http.toml");
        std::fs::write(&file, toml).unwrap();
        let o = Overrides {
            config_file: Some(file),
            data_dir: Some(dir.path().into()),
            ..Default::default()
        };
        ServerConfig::load(&o, env(&[]))
    };
    let c = load("[http]\nheader_read_timeout_secs = 5\nmax_connections = 64\n").unwrap();
    assert_eq!((c.http.header_read_timeout_secs, c.http.max_connections), (5, 64));
    assert_eq!(c.http.max_header_bytes, 64 * 1024);
    for (toml, why) in [
        ("[http]\nheader_read_timeout_secs = 0\n", "timeouts"),
        ("[http]\nmax_header_bytes = 4096\n", "max_header_bytes"),
        ("[http]\nbody_read_timeout_secs = 300\n", "body_read_timeout_secs"),
        ("[http]\nmax_connections = 0\n", "max_connections"),
    ] {
        let err = load(toml).unwrap_err().to_string();
        assert!(err.contains("http") && err.contains(why), "{toml}: {err}");
    }
}

#[test]
fn tls_settings_are_checked_and_allow_a_public_address() {
    let dir = tempfile::tempdir().unwrap();
    let load = |toml: &str, pairs: &[(&str, &str)]| {
        let file = dir.path().join("tls.toml");
        std::fs::write(&file, toml).unwrap();
        let o = Overrides {
            config_file: Some(file),
            data_dir: Some(dir.path().into()),
            ..Default::default()
        };
        ServerConfig::load(&o, env(pairs))
    };
    let err = load("[tls]\ncert_file = \"c.pem\"\n", &[]).unwrap_err().to_string();
    assert!(err.contains("tls") && err.contains("key_file"), "{err}");
    let public = [("KYC_LISTEN", "0.0.0.0:8443")];
    let err = load("", &public).unwrap_err().to_string();
    assert!(err.contains("[tls]"), "the refusal says how to serve publicly: {err}");
    let both = "[tls]\ncert_file = \"c.pem\"\nkey_file = \"k.pem\"\n";
    if cfg!(feature = "tls") {
        let c = load(both, &public).unwrap();
        assert!(c.tls.files().is_some());
    } else {
        assert!(load(both, &public).is_err());
    }
}

#[test]
fn the_screening_provider_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let o = Overrides { data_dir: Some(dir.path().into()), ..Default::default() };
    let load = |pairs: &[(&str, &str)]| ServerConfig::load(&o, env(pairs));
    assert_eq!(load(&[]).unwrap().screening.provider, ScreenerKind::Embedded);
    let e = load(&[("KYC_SCREENING_PROVIDER", "worldcheck")]).unwrap_err().to_string();
    assert!(e.contains("KYC_SCREENING_PROVIDER") && e.contains("use embedded or http"), "{e}");
    if cfg!(feature = "http-client") {
        let c = load(&[
            ("KYC_SCREENING_PROVIDER", "http"),
            ("KYC_SCREENING_HTTP_URL", " https://screening.example/v1 "),
        ])
        .unwrap();
        assert_eq!(c.screening.provider, ScreenerKind::Http);
        assert_eq!(c.screening.http.url, "https://screening.example/v1");
    }
}
