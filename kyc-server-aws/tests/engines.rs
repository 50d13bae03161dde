//! The Rekognition face engine and the Textract document reader over the real
//! SDK clients, against a loopback server that answers with responses the
//! services really sent (`tests/fixtures/README.md`) and with the services'
//! errors. moto's Rekognition and Textract are canned or missing, so they are
//! not used here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::{Router, body::Bytes as Body, http::HeaderMap, response::IntoResponse, routing::post};
use base64::Engine as _;
use bytes::Bytes;
use kyc_backend::{
    ProviderError,
    document::DocumentReader,
    face::{FaceEngine, FaceImage, ImageKind},
};
use kyc_server_aws::{AwsSettings, RekognitionFaceEngine, TextractDocumentReader};
use serde_json::Value;
use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::Duration,
};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn fixture(path: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{path}")).unwrap()
}

fn fake_id() -> Bytes {
    Bytes::from(std::fs::read(format!("{FIXTURES}/textract/fake_id.png")).unwrap())
}

/// One scripted answer: HTTP status and JSON body.
type Answer = (u16, String);

fn error(status: u16, code: &str) -> Answer {
    (status, format!(r#"{{"__type":"{code}","message":"scripted by the test"}}"#))
}

/// A loopback server speaking the JSON protocol Rekognition and Textract use
/// (`POST /`, the operation in `X-Amz-Target`). Each operation answers from
/// its script in order, repeating the last answer; every request is kept.
#[derive(Clone, Default)]
struct Service {
    script: Arc<Mutex<HashMap<String, VecDeque<Answer>>>>,
    seen: Arc<Mutex<Vec<(String, Value)>>>,
}

impl Service {
    fn answer(self, target: &str, answers: Vec<Answer>) -> Self {
        self.script.lock().unwrap().insert(target.to_owned(), answers.into());
        self
    }

    fn seen(&self, target: &str) -> Vec<Value> {
        let seen = self.seen.lock().unwrap();
        seen.iter().filter(|(t, _)| t == target).map(|(_, b)| b.clone()).collect()
    }

    async fn start(&self) -> aws_config::SdkConfig {
        let me = self.clone();
        let app = Router::new().route(
            "/",
            post(move |headers: HeaderMap, body: Body| {
                let me = me.clone();
                async move {
                    let target = headers
                        .get("x-amz-target")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    me.seen.lock().unwrap().push((target.clone(), json));
                    let (status, body) = {
                        let mut script = me.script.lock().unwrap();
                        let queue = script.get_mut(&target);
                        match queue {
                            Some(q) if q.len() > 1 => q.pop_front().unwrap(),
                            Some(q) if !q.is_empty() => q[0].clone(),
                            _ => error(400, "UnknownOperationException"),
                        }
                    };
                    (
                        axum::http::StatusCode::from_u16(status).unwrap(),
                        [("content-type", "application/x-amz-json-1.1")],
                        body,
                    )
                        .into_response()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let settings = AwsSettings {
            endpoint_url: Some(url),
            max_attempts: 3,
            attempt_timeout: Duration::from_secs(5),
            operation_timeout: Duration::from_secs(20),
            ..AwsSettings::default()
        };
        settings
            .loader()
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "testing", "testing", None, None, "fixtures",
            ))
            .load()
            .await
    }
}

const DETECT: &str = "RekognitionService.DetectFaces";
const COMPARE: &str = "RekognitionService.CompareFaces";
const ANALYZE_ID: &str = "Textract.AnalyzeID";
const ANALYZE_DOCUMENT: &str = "Textract.AnalyzeDocument";

fn image_sent(body: &Value, field: &str) -> Vec<u8> {
    let b64 = body[field]["Bytes"].as_str().expect("image bytes in the request");
    base64::engine::general_purpose::STANDARD.decode(b64).unwrap()
}

#[tokio::test]
async fn detect_faces_becomes_the_engines_evidence() {
    let service =
        Service::default().answer(DETECT, vec![(200, fixture("rekognition/detect-faces.json"))]);
    let engine = RekognitionFaceEngine::new(&service.start().await);
    let image = FaceImage(fake_id());
    let a = engine.analyze(&image, ImageKind::LiveFrame).await.unwrap();

    // the request: the image's bytes, the default attributes plus eye state
    let sent = service.seen(DETECT);
    assert_eq!(sent.len(), 1);
    assert_eq!(image_sent(&sent[0], "Image"), image.0.to_vec());
    assert_eq!(sent[0]["Attributes"], serde_json::json!(["DEFAULT", "EYES_OPEN"]));

    // the answer, in pixels of the 848 × 544 image
    assert_eq!((a.width, a.height), (848, 544));
    assert!(a.brightness > 0.0 && a.brightness < 255.0, "{}", a.brightness);
    assert_eq!(a.faces.len(), 1);
    let f = &a.faces[0];
    let near = |a: f32, b: f32| (a - b).abs() < 0.01;
    assert!(near(f.score, 0.9999), "{}", f.score);
    assert!(
        near(f.bounding_box.x, 0.269_372_5 * 848.0)
            && near(f.bounding_box.width, 0.423_255_5 * 848.0)
    );
    assert!(near(f.bounding_box.y, 0.114_248_95 * 544.0));
    assert!(f.landmarks.eye_image_left.x < f.landmarks.eye_image_right.x);
    assert!(near(f.landmarks.eye_image_left.x / 848.0, 0.385), "{:?}", f.landmarks);
    let pose = f.pose.unwrap();
    assert!(near(pose.yaw_deg, -10.983_647) && near(pose.pitch_deg, -4.970_902), "{pose:?}");
    assert!(pose.left_eye_open > 0.99 && pose.right_eye_open > 0.99, "{pose:?}");
    assert!(near(f.quality.brightness, 73.813_92 * 2.55) && near(f.quality.sharpness, 86.860_19));
    assert!(near(f.quality.face_width_fraction, 0.423_255_5));
}

#[tokio::test]
async fn closed_eyes_and_faces_without_landmarks() {
    let mut answer: Value =
        serde_json::from_str(&fixture("rekognition/detect-faces.json")).unwrap();
    answer["FaceDetails"][0]["EyesOpen"] = serde_json::json!({"Value": false, "Confidence": 97.0});
    let mut second = answer["FaceDetails"][0].clone();
    second["Landmarks"] = serde_json::json!([]);
    answer["FaceDetails"].as_array_mut().unwrap().push(second);
    let service = Service::default().answer(DETECT, vec![(200, answer.to_string())]);
    let engine = RekognitionFaceEngine::new(&service.start().await);
    let a = engine.analyze(&FaceImage(fake_id()), ImageKind::LiveFrame).await.unwrap();
    // a face the rules cannot follow (no landmarks) is not reported
    assert_eq!(a.faces.len(), 1);
    let pose = a.faces[0].pose.unwrap();
    assert!((pose.left_eye_open - 0.03).abs() < 1e-4, "{pose:?}");
}

#[tokio::test]
async fn compare_faces_gives_similarity_and_tells_a_faceless_probe_from_a_faceless_reference() {
    let service = Service::default()
        .answer(
            COMPARE,
            vec![
                (200, fixture("rekognition/compare-faces.json")),
                error(400, "InvalidParameterException"),
            ],
        )
        .answer(DETECT, vec![(200, fixture("rekognition/detect-faces.json"))]);
    let engine = RekognitionFaceEngine::new(&service.start().await);
    let reference = FaceImage(fake_id());
    let probes = vec![
        (FaceImage(fake_id()), ImageKind::LiveFrame),
        (FaceImage(fake_id()), ImageKind::LiveFrame),
    ];
    let out = engine.compare((&reference, ImageKind::Document), &probes).await.unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].unwrap().similarity, 100.0);
    assert_eq!(out[1], None, "the second probe has no face (the reference does)");
    let sent = service.seen(COMPARE);
    assert_eq!(sent[0]["SimilarityThreshold"], serde_json::json!(0.0));
    assert_eq!(image_sent(&sent[0], "SourceImage"), reference.0.to_vec());
    assert_eq!(service.seen(DETECT).len(), 1, "the reference is checked once");

    // the reference has no face: rejected, not "no match"
    let service = Service::default()
        .answer(COMPARE, vec![error(400, "InvalidParameterException")])
        .answer(DETECT, vec![(200, r#"{"FaceDetails":[]}"#.into())]);
    let engine = RekognitionFaceEngine::new(&service.start().await);
    let err = engine.compare((&reference, ImageKind::Document), &probes).await.unwrap_err();
    assert!(matches!(err, ProviderError::Rejected("no face in the reference image")), "{err:?}");
}

#[tokio::test]
async fn throttling_is_retried_then_reported_as_unavailable() {
    let service = Service::default().answer(
        DETECT,
        vec![error(400, "ThrottlingException"), (200, fixture("rekognition/detect-faces.json"))],
    );
    let engine = RekognitionFaceEngine::new(&service.start().await);
    let a = engine.analyze(&FaceImage(fake_id()), ImageKind::LiveFrame).await.unwrap();
    assert_eq!(a.faces.len(), 1);
    assert_eq!(service.seen(DETECT).len(), 2, "one retry after the throttle");

    let service = Service::default().answer(DETECT, vec![error(500, "InternalServerError")]);
    let engine = RekognitionFaceEngine::new(&service.start().await);
    let err = engine.analyze(&FaceImage(fake_id()), ImageKind::LiveFrame).await.unwrap_err();
    assert!(matches!(err, ProviderError::Unavailable) && err.is_retryable(), "{err:?}");
    assert_eq!(service.seen(DETECT).len(), 3, "max_attempts");
}

#[tokio::test]
async fn what_is_not_an_image_never_reaches_the_services() {
    let service = Service::default();
    let sdk = service.start().await;
    let junk = Bytes::from_static(b"%PDF-1.7 not an image");
    let err = RekognitionFaceEngine::new(&sdk)
        .analyze(&FaceImage(junk.clone()), ImageKind::LiveFrame)
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Rejected(_)), "{err:?}");
    let err = TextractDocumentReader::new(&sdk).read_text(&junk).await.unwrap_err();
    assert!(matches!(err, ProviderError::Rejected(_)), "{err:?}");
    assert!(service.seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn analyze_id_lines_are_read_by_the_same_field_reader_as_the_local_engine() {
    let service = Service::default()
        .answer(ANALYZE_ID, vec![(200, fixture("textract/analyze-id-fake-id.json"))]);
    let reader = TextractDocumentReader::new(&service.start().await);
    let image = fake_id();
    let text = reader.read_text(&image).await.unwrap();
    let sent = service.seen(ANALYZE_ID);
    let page = sent[0]["DocumentPages"][0]["Bytes"].as_str().unwrap();
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(page).unwrap(), image.to_vec());
    assert_eq!(text.engine, "aws-textract/analyze-id");
    assert_eq!((text.width, text.height), (848, 544));
    assert_eq!(text.lines.len(), 31);
    let at = |t: &str| text.lines.iter().position(|l| l.text == t).unwrap_or_else(|| panic!("{t}"));
    // reading order: top to bottom, left to right within a row
    assert!(at("DRIVER") < at("LICENSE") && at("LICENSE") < at("4a ISS"));
    assert!(at("03/18/2018") < at("736HDV7874JSB") && at("736HDV7874JSB") < at("01/20/2028"));
    let number = &text.lines[at("736HDV7874JSB")];
    assert!(
        (number.x - 0.731 * 848.0).abs() < 2.0 && (number.y - 0.267 * 544.0).abs() < 2.0,
        "{number:?}"
    );
    assert!(number.confidence > 0.99 && number.confidence <= 1.0);
    assert!(text.skew_deg.abs() < 2.0, "{}", text.skew_deg);

    let today = time::Date::from_calendar_date(2026, time::Month::December, 7).unwrap();
    let fields = kyc_core::document::fields::read_fields(&text, today).unwrap();
    // the specimen's family name (field 1), given name (2), birth date (3),
    // expiry (4b, month first) and licence number (4d)
    let value = |f: &Option<kyc_core::document::fields::Field>| f.as_ref().map(|f| f.value.clone());
    assert_eq!(fields.document_kind, kyc_core::document::fields::DocumentKind::DrivingLicence);
    assert_eq!(value(&fields.surname).as_deref(), Some("MARÍA"), "{fields:#?}");
    assert_eq!(value(&fields.given_names).as_deref(), Some("GARCÍA"), "{fields:#?}");
    assert_eq!(value(&fields.date_of_birth).as_deref(), Some("2001-03-18"), "{fields:#?}");
    assert_eq!(value(&fields.expiry_date).as_deref(), Some("2028-01-20"), "{fields:#?}");
    assert_eq!(value(&fields.document_number).as_deref(), Some("736HDV7874JSB"), "{fields:#?}");
    assert!(fields.problems.is_empty(), "{fields:#?}");
}

#[tokio::test]
async fn an_unsupported_document_is_read_as_a_form() {
    let service = Service::default()
        .answer(ANALYZE_ID, vec![error(400, "UnsupportedDocumentException")])
        .answer(ANALYZE_DOCUMENT, vec![(200, fixture("textract/analyze-document-fake-id.json"))]);
    let reader = TextractDocumentReader::new(&service.start().await);
    let text = reader.read_text(&fake_id()).await.unwrap();
    assert_eq!(text.engine, "aws-textract/analyze-document");
    assert_eq!(service.seen(ANALYZE_DOCUMENT)[0]["FeatureTypes"], serde_json::json!(["FORMS"]));
    assert!(text.lines.iter().any(|l| l.text == "736HDV7874JSB"), "{:?}", text.lines);
}

#[tokio::test]
async fn textract_errors_are_typed() {
    for (answer, retryable) in [
        (error(400, "BadDocumentException"), false),
        (error(400, "DocumentTooLargeException"), false),
        (error(500, "InternalServerError"), true),
        (error(400, "ProvisionedThroughputExceededException"), true),
        (error(400, "AccessDeniedException"), true),
    ] {
        let code = answer.1.clone();
        let service = Service::default().answer(ANALYZE_ID, vec![answer]);
        let reader = TextractDocumentReader::new(&service.start().await);
        let err = reader.read_text(&fake_id()).await.unwrap_err();
        assert_eq!(err.is_retryable(), retryable, "{code}: {err:?}");
        if !retryable {
            assert!(matches!(err, ProviderError::Rejected(_)), "{code}: {err:?}");
        }
    }
}
