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
