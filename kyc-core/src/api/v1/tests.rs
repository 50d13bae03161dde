use super::*;

fn id() -> VerificationId {
    "7f1c0d7e-8a5b-4c1e-9a4b-2f9d3c1b0a11".parse().unwrap()
}
fn t(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(ms)
}

#[test]
fn snapshot_create_request_and_response() {
    let req: CreateVerificationRequest =
        serde_json::from_str(r#"{"externalRef":"cust-42","metadata":{"plan":"gold"}}"#).unwrap();
    insta::assert_json_snapshot!("create_request", req);
    let resp = CreateVerificationResponse {
        verification_id: id(),
        client_token: "kyc_ct_abc.def".into(),
        client_token_expires_at: t(1_764_068_400_000),
        expires_at: t(1_766_656_800_000),
    };
    insta::assert_json_snapshot!("create_response", resp);
}

#[test]
fn snapshot_upload_response() {
    let plain = UploadResponse {
        verification_id: id(),
        expiration: t(1_766_656_800_000),
        client_token: None,
        client_token_expires_at: None,
    };
    insta::assert_json_snapshot!("upload_response", plain);
    let created = UploadResponse {
        client_token: Some("kyc_ct_abc.def".into()),
        client_token_expires_at: Some(t(1_764_068_400_000)),
        ..plain
    };
    insta::assert_json_snapshot!("upload_response_with_token", created);
}

#[test]
fn snapshot_verification_view() {
    let view = VerificationView {
        verification_id: id(),
        status: VerificationStatus::DocumentUploaded,
        created_at: t(1_764_064_800_000),
        expires_at: t(1_766_656_800_000),
        external_ref: Some("cust-42".into()),
        metadata: BTreeMap::new(),
        document: Some(DocumentSummary {
            content_type: "image/jpeg".into(),
            width: 1115,
            height: 834,
            size_bytes: 79_000,
            sha256: "00".repeat(32),
            uploaded_at: t(1_764_064_801_000),
        }),
        liveness: None,
        document_data: None,
        screening: None,
        needs_review: false,
        timeline: vec![
            TimelineEntry {
                at: t(1_764_064_800_000),
                step: Step::Verification,
                status: StepStatus::Created,
                code: None,
            },
            TimelineEntry {
                at: t(1_764_064_800_500),
                step: Step::Upload,
                status: StepStatus::Failed,
                code: Some(ErrorCode::UnsupportedMediaType),
            },
            TimelineEntry {
                at: t(1_764_064_801_000),
                step: Step::Upload,
                status: StepStatus::Succeeded,
                code: None,
            },
        ],
    };
    insta::assert_json_snapshot!("verification_view", view);
}

#[test]
fn snapshot_error_body_and_key() {
    let e = ErrorBody { code: ErrorCode::PayloadTooLarge, message: "too big".into() };
    insta::assert_json_snapshot!("error_body", e);
    let k = CreatedKey {
        id: "k1".into(),
        key: "kyc_pk_k1_secret".into(),
        kind: KeyKind::Publishable,
        account: DEFAULT_ACCOUNT.into(),
        role: KeyRole::Integrator,
        origins: vec!["https://shop.example".into()],
    };
    insta::assert_json_snapshot!("created_key", k);
    assert!(!format!("{k:?}").contains("secret"));
}

#[test]
fn wire_names_match_serde() {
    for s in LivenessStatus::ALL {
        assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        assert_eq!(LivenessStatus::from_wire(s.as_str()), Some(s));
    }
    for i in FrameIssue::ALL {
        assert_eq!(serde_json::to_value(i).unwrap(), i.as_str());
        assert_eq!(FrameIssue::from_wire(i.as_str()), Some(i));
    }
    assert_eq!(LivenessStatus::from_wire("Passed"), None);
    assert_eq!(FrameIssue::from_wire(""), None);
}

#[test]
fn empty_body_is_a_valid_create_request() {
    let req: CreateVerificationRequest = serde_json::from_str("{}").unwrap();
    assert_eq!(req, CreateVerificationRequest::default());
    req.validate().unwrap();
}

#[test]
fn rejects_unknown_fields_and_oversized_metadata() {
    assert!(serde_json::from_str::<CreateVerificationRequest>(r#"{"nope":1}"#).is_err());
    let mut req = CreateVerificationRequest::default();
    for i in 0..21 {
        req.metadata.insert(format!("k{i}"), "v".into());
    }
    assert_eq!(req.validate().unwrap_err().field, "metadata");
    let req =
        CreateVerificationRequest { external_ref: Some("x".repeat(257)), ..Default::default() };
    assert_eq!(req.validate().unwrap_err().field, "externalRef");
}

#[test]
fn account_names_are_checked() {
    for ok in ["default", "acme-eu", "a", "tenant_42", &"x".repeat(64)] {
        assert!(is_valid_account(ok), "{ok}");
    }
    for bad in ["", "Acme", "acme eu", "acme/eu", "../x", "é", &"x".repeat(65)] {
        assert!(!is_valid_account(bad), "{bad}");
    }
}
