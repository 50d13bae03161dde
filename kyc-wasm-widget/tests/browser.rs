//! The widget in a real browser (`wasm-bindgen-test` in headless Chromium):
//! mounting into a shadow root, the first render, a click through consent,
//! locale and RTL from attributes, and the events the host receives.
//!
//! ```sh
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//! CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_WEBDRIVER_JSON=kyc-wasm-widget/webdriver.json \
//! cargo test -p kyc-wasm-widget --target wasm32-unknown-unknown
//! ```
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use kyc_wasm_widget::KycWidget;
use std::{cell::RefCell, rc::Rc};
use wasm_bindgen::{JsCast, prelude::*};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn mount(
    attrs: &[(&str, &str)],
) -> (web_sys::HtmlElement, web_sys::ShadowRoot, Rc<RefCell<Vec<String>>>, KycWidget) {
    let doc = web_sys::window().unwrap().document().unwrap();
    let host: web_sys::HtmlElement = doc.create_element("div").unwrap().unchecked_into();
    doc.body().unwrap().append_child(&host).unwrap();
    let root =
        host.attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open)).unwrap();
    let seen = Rc::new(RefCell::new(Vec::new()));
    for name in ["kyc-step", "kyc-success", "kyc-error"] {
        let seen = seen.clone();
        let cb = Closure::<dyn FnMut(web_sys::CustomEvent)>::new(move |e: web_sys::CustomEvent| {
            let detail = js_sys::JSON::stringify(&e.detail()).unwrap().as_string().unwrap();
            seen.borrow_mut().push(format!("{} {detail}", e.type_()));
        });
        host.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref()).unwrap();
        cb.forget();
    }
    let list = js_sys::Array::new();
    for (k, v) in attrs {
        list.push(&js_sys::Array::of2(&(*k).into(), &(*v).into()));
    }
    let widget = KycWidget::new(host.clone(), root.clone(), list).unwrap();
    (host, root, seen, widget)
}

async fn tick() {
    gloo_timers::future::TimeoutFuture::new(30).await;
}

fn text(root: &web_sys::ShadowRoot, selector: &str) -> String {
    root.query_selector(selector)
        .unwrap()
        .map(|e| e.text_content().unwrap_or_default())
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn renders_consent_then_the_document_step_on_click() {
    let (_host, root, seen, widget) = mount(&[("locale", "es")]);
    tick().await;
    assert_eq!(widget.step(), "consent");
    assert_eq!(text(&root, ".title"), "Verifique su identidad");
    assert!(seen.borrow()[0].starts_with("kyc-step {\"step\":\"consent\""), "{:?}", seen.borrow());
    let button: web_sys::HtmlElement =
        root.query_selector("button.primary").unwrap().unwrap().unchecked_into();
    button.click();
    tick().await;
    assert_eq!(widget.step(), "document");
    assert!(root.query_selector("input[type=file]").unwrap().is_some());
    assert!(seen.borrow().iter().any(|e| e.contains("\"step\":\"document\"")));
}

#[wasm_bindgen_test]
async fn arabic_is_right_to_left_and_labels_override_texts() {
    let (_host, root, _seen, widget) = mount(&[
        ("locale", "ar"),
        ("labels", r#"{"title":"KYC"}"#),
        ("steps", "document,liveness"),
    ]);
    tick().await;
    assert_eq!(widget.step(), "document", "no consent step when the host leaves it out");
    let container = root.query_selector(".kyc").unwrap().unwrap();
    assert_eq!(container.get_attribute("dir").as_deref(), Some("rtl"));
    assert_eq!(container.get_attribute("lang").as_deref(), Some("ar"));
    assert_eq!(text(&root, ".title"), "KYC");
    // styles are adopted, not inlined
    assert!(root.query_selector("style").unwrap().is_none());
    let sheets = js_sys::Reflect::get(&root, &"adoptedStyleSheets".into()).unwrap();
    assert_eq!(js_sys::Array::from(&sheets).length(), 1);
}

#[wasm_bindgen_test]
async fn attribute_changes_reach_the_view_and_unmount_cleans_up() {
    let (_host, root, _seen, mut widget) = mount(&[]);
    tick().await;
    widget.attribute_changed("locale", Some("de".into()));
    tick().await;
    assert_eq!(text(&root, ".title"), "Identität bestätigen");
    widget.unmount();
}

/// A JPEG header the client-side check accepts (1200×800).
fn jpeg_header() -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x03, 0x20, 0x04, 0xB0];
    b.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9]);
    b
}

#[wasm_bindgen_test]
async fn unmount_revokes_the_document_preview() {
    let (_host, root, _seen, mut widget) = mount(&[("steps", "document,liveness")]);
    tick().await;
    let input: web_sys::HtmlInputElement =
        root.query_selector("input[type=file]").unwrap().unwrap().unchecked_into();
    let bytes = js_sys::Uint8Array::from(&jpeg_header()[..]);
    let file =
        web_sys::File::new_with_u8_array_sequence(&js_sys::Array::of1(&bytes), "id.jpg").unwrap();
    let picked = web_sys::DataTransfer::new().unwrap();
    picked.items().add_with_file(&file).unwrap();
    input.set_files(picked.files().as_ref());
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    input
        .dispatch_event(&web_sys::Event::new_with_event_init_dict("change", &init).unwrap())
        .unwrap();
    tick().await;
    let src = root
        .query_selector("img.preview")
        .unwrap()
        .and_then(|img| img.get_attribute("src"))
        .expect("a preview of the chosen file");
    assert!(src.starts_with("blob:"), "{src}");
    let fetch = |url: &str| {
        wasm_bindgen_futures::JsFuture::from(web_sys::window().unwrap().fetch_with_str(url))
    };
    assert!(fetch(&src).await.is_ok(), "the preview is readable while mounted");
    widget.unmount();
    assert!(fetch(&src).await.is_err(), "the document preview outlived the element");
}

#[wasm_bindgen_test]
fn api_answers_are_read_as_the_server_writes_them() {
    use kyc_core::{
        Timestamp,
        api::v1::{
            FrameFeedback, FrameIssue, LivenessStatus, StartLivenessResponse, VerifyResponse,
        },
        challenge::{ChallengePrompt, Gesture, Hint, Progress},
    };
    use kyc_wasm_widget::wire;
    let t = Timestamp::from_unix_millis;
    let start = StartLivenessResponse {
        challenge: ChallengePrompt {
            nonce: "a1b2".into(),
            issued_at: t(1_764_064_800_123),
            deadline: t(1_764_064_830_123),
            step_count: 3,
            first: Gesture::TurnLeft,
        },
        max_frames: 300,
        attempts_left: 4,
    };
    let json = wire::parse_json(&serde_json::to_string(&start).unwrap()).unwrap();
    assert_eq!(wire::start_liveness(&json), Some(start));
    for (issues, next, hint) in [
        (
            vec![FrameIssue::TooDark, FrameIssue::OffCenter],
            Some(Gesture::Blink),
            Hint::Perform(Gesture::LookUp),
        ),
        (vec![], None, Hint::Done),
        (vec![FrameIssue::NoFace], None, Hint::ShowFace),
        (vec![], None, Hint::FaceCamera),
    ] {
        let frame = FrameFeedback {
            frame_id: "g1-f2".into(),
            face_found: issues.is_empty(),
            faces: 1,
            issues,
            progress: Progress { completed: 1, total: 3, next, hint },
            deadline: t(1_764_064_830_123),
        };
        let json = wire::parse_json(&serde_json::to_string(&frame).unwrap()).unwrap();
        assert_eq!(wire::frame_feedback(&json), Some(frame));
    }
    for status in [LivenessStatus::Passed, LivenessStatus::Failed, LivenessStatus::Review] {
        let v = VerifyResponse { status, attempts_left: 2 };
        let json = wire::parse_json(&serde_json::to_string(&v).unwrap()).unwrap();
        assert_eq!(wire::verify(&json), Some(v));
    }
}

#[wasm_bindgen_test]
fn malformed_api_answers_are_refused_without_panicking() {
    use kyc_wasm_widget::wire;
    assert!(wire::parse_json("not json").is_none());
    assert!(wire::parse_json("[1, 2]").is_none());
    assert!(wire::parse_json("\"passed\"").is_none());
    let verify = |s: &str| wire::verify(&wire::parse_json(s).unwrap());
    assert!(verify("{}").is_none());
    assert!(verify(r#"{"status":"maybe","attemptsLeft":1}"#).is_none());
    assert!(verify(r#"{"status":"passed","attemptsLeft":-1}"#).is_none());
    assert!(verify(r#"{"status":"passed","attemptsLeft":1.5}"#).is_none());
    assert!(verify(r#"{"status":"passed","attemptsLeft":"1"}"#).is_none());
    assert!(verify(r#"{"status":"passed","attemptsLeft":1}"#).is_some());
    let start = |s: &str| wire::start_liveness(&wire::parse_json(s).unwrap());
    let good = r#"{"challenge":{"nonce":"n","issuedAt":"2025-11-25T10:00:00.000Z","deadline":"2025-11-25T10:00:30.000Z","stepCount":2,"first":"blink"},"maxFrames":300,"attemptsLeft":5}"#;
    assert!(start(good).is_some());
    assert!(start(&good.replace("\"blink\"", "\"sneeze\"")).is_none());
    assert!(start(&good.replace("2025-11-25T10:00:30.000Z", "yesterday")).is_none());
    assert!(start(&good.replace("\"stepCount\":2", "\"stepCount\":\"2\"")).is_none());
    assert!(start(r#"{"challenge":null,"maxFrames":1,"attemptsLeft":1}"#).is_none());
    let frame = |s: &str| wire::frame_feedback(&wire::parse_json(s).unwrap());
    let good = r#"{"frameId":"f","faceFound":true,"faces":1,"issues":["too_dark"],"progress":{"completed":0,"total":2,"hint":{"kind":"perform","gesture":"blink"}},"deadline":"2025-11-25T10:00:30.000Z"}"#;
    assert!(frame(good).is_some());
    assert!(frame(&good.replace("too_dark", "too_wet")).is_none());
    assert!(frame(&good.replace("[\"too_dark\"]", "\"too_dark\"")).is_none());
    assert!(frame(&good.replace("\"perform\"", "\"dance\"")).is_none());
    assert!(frame(&good.replace(",\"gesture\":\"blink\"", "")).is_none());
    assert!(frame(&good.replace("\"progress\"", "\"progres\"")).is_none());
}
