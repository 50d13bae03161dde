//! The browser part: a leptos view of the [`Machine`]'s state inside the
//! element's shadow root, and the effects (upload with progress, camera,
//! frame loop, API calls, DOM events) run with web-sys.
//!
//! Nothing here runs at import: the JS shim in `npm/` calls [`KycWidget::new`]
//! from `connectedCallback`, so server-side rendering never reaches it.

use crate::{
    camera::{self, CameraInfo},
    config::Config,
    flow::{DocumentState, Effect, Event, LivenessState, Machine, State, Step, hint_text},
    i18n::{Key, Texts, issue_key},
};
use kyc_core::{
    api::v1::{LivenessStatus, StartLivenessResponse, VerifyResponse},
    image::UploadPolicy,
};
use leptos::prelude::*;
use wasm_bindgen::{JsCast, prelude::*};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlElement, MediaStream, ShadowRoot};

/// Frames per second sent to `/submit-frame` (the server's gesture
/// detection needs ~8; more only costs bandwidth).
const FRAME_RATE: f64 = 8.0;
/// Width frames are scaled to before upload.
const FRAME_WIDTH: u32 = 640;
/// `localStorage` key of the remembered camera.
const CAMERA_KEY: &str = "kyc-verify.camera";

const CSS: &str = include_str!("widget.css");

/// An XMLHttpRequest callback kept alive while its request runs.
type XhrCallback = Closure<dyn FnMut(web_sys::ProgressEvent)>;

/// Everything the view and the effects share: arena handles, all `Copy`.
#[derive(Clone, Copy)]
struct Ctx {
    machine: RwSignal<Machine>,
    config: RwSignal<Config>,
    texts: Memo<Texts>,
    host: StoredValue<HtmlElement, LocalStorage>,
    stream: StoredValue<Option<MediaStream>, LocalStorage>,
    keep: StoredValue<Vec<XhrCallback>, LocalStorage>,
    video: NodeRef<leptos::html::Video>,
    preview: RwSignal<Option<String>>,
    cameras: RwSignal<Vec<CameraInfo>>,
    camera: RwSignal<Option<String>>,
    announce: RwSignal<String>,
    /// Bumped to stop a running frame loop.
    generation: RwSignal<u32>,
    /// Local clock minus the server's, milliseconds.
    clock_offset: RwSignal<f64>,
    now: RwSignal<f64>,
    verification: RwSignal<Option<String>>,
    nonce: RwSignal<String>,
}

fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

fn js_err_name(e: &JsValue) -> String {
    js_sys::Reflect::get(e, &"name".into()).ok().and_then(|n| n.as_string()).unwrap_or_default()
}

/// `JSON.parse` (the browser's parser: no JSON parser in the wasm).
fn parse_json(text: &str) -> Option<JsValue> {
    js_sys::JSON::parse(text).ok().filter(|v| v.is_object())
}

/// A string field of a JSON object.
fn field(obj: &JsValue, name: &str) -> Option<String> {
    js_sys::Reflect::get(obj, &name.into()).ok()?.as_string()
}

/// A typed API answer.
fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    serde_wasm_bindgen::from_value(parse_json(text)?).ok()
}

/// The error code of an API error body, if it is one.
fn error_code(body: &str) -> Option<String> {
    field(&parse_json(body)?, "code")
}

/// A plain JS object from string fields (`None` → `null`).
fn object(fields: &[(&str, Option<&str>)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in fields {
        let v = v.map_or(JsValue::NULL, JsValue::from_str);
        let _ = js_sys::Reflect::set(&o, &(*k).into(), &v);
    }
    o.into()
}

impl Ctx {
    fn dispatch(self, event: Event) {
        if let Event::ChallengeStarted(r) = &event {
            self.clock_offset.set(now_ms() - r.challenge.issued_at.unix_millis() as f64);
            self.nonce.set(r.challenge.nonce.clone());
        }
        let effects = self.machine.try_update(|m| m.apply(event)).unwrap_or_default();
        for e in effects {
            self.run(e);
        }
    }

    fn run(self, effect: Effect) {
        match effect {
            Effect::EmitStep(step) => {
                let id = self.verification.get_untracked();
                self.emit(
                    "kyc-step",
                    &object(&[("step", Some(step.as_str())), ("verificationId", id.as_deref())]),
                );
            }
            Effect::Upload => self.upload(),
            Effect::OpenCamera => {
                leptos::task::spawn_local(async move { self.open_camera(None).await });
            }
            Effect::StartChallenge => {
                leptos::task::spawn_local(async move {
                    match self.call("POST", "/start-liveness", None).await {
                        Ok(body) => match parse::<StartLivenessResponse>(&body) {
                            Some(r) => self.dispatch(Event::ChallengeStarted(r)),
                            None => self.dispatch(Event::RequestFailed { status: 200, code: None }),
                        },
                        Err((status, code)) => self.dispatch(Event::RequestFailed { status, code }),
                    }
                });
            }
            Effect::SendFrames => {
                let generation = self.generation.get_untracked() + 1;
                self.generation.set(generation);
                leptos::task::spawn_local(async move { self.frame_loop(generation).await });
            }
            Effect::StopCamera => {
                self.generation.update(|g| *g += 1);
                self.stop_camera();
            }
            Effect::Verify => {
                leptos::task::spawn_local(async move {
                    // the last frames may still be in flight
                    gloo_timers::future::TimeoutFuture::new(300).await;
                    match self.call("GET", "/verify", None).await {
                        Ok(body) => match parse::<VerifyResponse>(&body) {
                            Some(v) => self.dispatch(Event::Verified(v)),
                            None => self.dispatch(Event::RequestFailed { status: 200, code: None }),
                        },
                        Err((status, code)) => self.dispatch(Event::RequestFailed { status, code }),
                    }
                });
            }
            Effect::Success(status) => {
                let status = match status {
                    LivenessStatus::Passed => "passed",
                    LivenessStatus::Failed => "failed",
                    LivenessStatus::Review => "review",
                };
                let id = self.verification.get_untracked();
                let detail = object(&[("verificationId", id.as_deref()), ("status", Some(status))]);
                self.emit("kyc-success", &detail);
                self.call_property("onSuccess", &detail);
            }
            Effect::Error(code) => {
                let step = self.machine.with_untracked(|m| m.state().step().as_str());
                let detail = object(&[("code", Some(&code)), ("step", Some(step))]);
                self.emit("kyc-error", &detail);
                self.call_property("onError", &detail);
            }
            Effect::Announce(key) => self.announce.set(self.texts.get_untracked().get(key)),
        }
    }

    fn emit(self, name: &str, detail: &JsValue) {
        let init = web_sys::CustomEventInit::new();
        init.set_bubbles(true);
        init.set_composed(true);
        init.set_detail(detail);
        if let Ok(ev) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
            self.host.with_value(|h| {
                let _ = h.dispatch_event(&ev);
            });
        }
    }

    fn call_property(self, name: &str, detail: &JsValue) {
        self.host.with_value(|h| {
            if let Ok(f) = js_sys::Reflect::get(h, &name.into())
                && let Some(f) = f.dyn_ref::<js_sys::Function>()
            {
                let _ = f.call1(h, detail);
            }
        });
    }

    /// An API call with the bearer credential; the body or (status, code).
    async fn call(
        self,
        method: &str,
        path: &str,
        body: Option<&web_sys::FormData>,
    ) -> Result<String, (u16, Option<String>)> {
        let config = self.config.get_untracked();
        let init = web_sys::RequestInit::new();
        init.set_method(method);
        let headers = web_sys::Headers::new().map_err(|_| (0, None))?;
        if let Some(c) = config.credential() {
            let _ = headers.set("authorization", &format!("Bearer {c}"));
        }
        init.set_headers(&headers);
        if let Some(b) = body {
            init.set_body(b);
        }
        let request = web_sys::Request::new_with_str_and_init(&config.url(path), &init)
            .map_err(|_| (0, None))?;
        let w = window().ok_or((0, None))?;
        let resp: web_sys::Response = JsFuture::from(w.fetch_with_request(&request))
            .await
            .map_err(|_| (0, None))?
            .dyn_into()
            .map_err(|_| (0, None))?;
        let text = match resp.text() {
            Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()).unwrap_or_default(),
            Err(_) => String::new(),
        };
        if resp.ok() { Ok(text) } else { Err((resp.status(), error_code(&text))) }
    }

    /// `POST /upload-id` with XMLHttpRequest (fetch has no upload progress).
    fn upload(self) {
        let Some((mime, bytes)) = self.machine.with_untracked(|m| m.document().cloned()) else {
            return;
        };
        let config = self.config.get_untracked();
        let Ok(xhr) = web_sys::XmlHttpRequest::new() else {
            self.dispatch(Event::UploadFailed { status: 0, code: None });
            return;
        };
        if xhr.open("POST", &config.url("/upload-id")).is_err() {
            self.dispatch(Event::UploadFailed { status: 0, code: None });
            return;
        }
        if let Some(c) = config.credential() {
            let _ = xhr.set_request_header("authorization", &format!("Bearer {c}"));
        }
        let _ = xhr
            .set_request_header("content-type", if mime.is_empty() { "image/jpeg" } else { &mime });
        let progress =
            Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
                if e.length_computable() && e.total() > 0.0 {
                    let p = (e.loaded() / e.total() * 100.0).round().clamp(0.0, 100.0) as u8;
                    self.dispatch(Event::UploadProgress(p));
                }
            });
        if let Ok(up) = xhr.upload() {
            up.set_onprogress(Some(progress.as_ref().unchecked_ref()));
        }
        let done_xhr = xhr.clone();
        let done =
            Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |_e: web_sys::ProgressEvent| {
                let status = done_xhr.status().unwrap_or(0);
                let text = done_xhr.response_text().ok().flatten().unwrap_or_default();
                if (200..300).contains(&status) {
                    if let Some(v) = parse_json(&text) {
                        if let Some(id) = field(&v, "verificationId") {
                            self.verification.set(Some(id));
                        }
                        // publishable-key mode: the upload created the verification
                        if let Some(ct) = field(&v, "clientToken") {
                            self.config.update(|c| c.client_token = Some(ct));
                        }
                    }
                    self.dispatch(Event::Uploaded);
                } else {
                    self.dispatch(Event::UploadFailed { status, code: error_code(&text) });
                }
            });
        let failed =
            Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |_e: web_sys::ProgressEvent| {
                self.dispatch(Event::UploadFailed { status: 0, code: None });
            });
        xhr.set_onload(Some(done.as_ref().unchecked_ref()));
        xhr.set_onerror(Some(failed.as_ref().unchecked_ref()));
        xhr.set_ontimeout(Some(failed.as_ref().unchecked_ref()));
        // the closures live until the next upload replaces them
        self.keep.set_value(vec![progress, done, failed]);
        let body = js_sys::Uint8Array::from(bytes.as_slice());
        if xhr.send_with_opt_buffer_source(Some(&body)).is_err() {
            self.dispatch(Event::UploadFailed { status: 0, code: None });
        }
    }

    fn stop_camera(self) {
        self.stream.update_value(|s| {
            if let Some(stream) = s.take() {
                for t in stream.get_tracks().iter() {
                    if let Ok(t) = t.dyn_into::<web_sys::MediaStreamTrack>() {
                        t.stop();
                    }
                }
            }
        });
        if let Some(v) = self.video.get_untracked() {
            v.set_src_object(None);
        }
    }

    /// Opens `device` (or the chosen camera), lists the cameras, and plays
    /// the stream in the video element.
    async fn open_camera(self, device: Option<String>) {
        let Some(devices) = window().and_then(|w| w.navigator().media_devices().ok()) else {
            self.dispatch(Event::CameraFailed("NotFoundError".into()));
            return;
        };
        let config = self.config.get_untracked();
        let remembered = window()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|s| s.get_item(CAMERA_KEY).ok().flatten());
        let wanted = device.or(config.device_id.clone()).or(remembered);
        let video = web_sys::MediaTrackConstraints::new();
        video.set_width(&JsValue::from(640));
        video.set_height(&JsValue::from(480));
        match &wanted {
            Some(id) => {
                let exact = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&exact, &"exact".into(), &id.into());
                video.set_device_id(&exact);
            }
            None => video.set_facing_mode(&"user".into()),
        }
        let constraints = web_sys::MediaStreamConstraints::new();
        constraints.set_video(&video);
        constraints.set_audio(&JsValue::FALSE);
        let stream = match devices.get_user_media_with_constraints(&constraints) {
            Ok(p) => JsFuture::from(p).await,
            Err(e) => Err(e),
        };
        let stream: MediaStream = match stream.and_then(|s| s.dyn_into()) {
            Ok(s) => s,
            // a remembered camera that is gone: fall back to any front camera
            Err(e) if wanted.is_some() && js_err_name(&e) == "OverconstrainedError" => {
                if let Some(s) = window().and_then(|w| w.local_storage().ok().flatten()) {
                    let _ = s.remove_item(CAMERA_KEY);
                }
                self.config.update(|c| c.device_id = None);
                return Box::pin(self.open_camera(None)).await;
            }
            Err(e) => {
                self.dispatch(Event::CameraFailed(js_err_name(&e)));
                return;
            }
        };
        let track = stream.get_video_tracks().get(0).dyn_into::<web_sys::MediaStreamTrack>().ok();
        let active = track
            .as_ref()
            .map(|t| info_of(t, &t.get_settings().get_device_id().unwrap_or_default()));
        if let Some(a) = &active
            && a.unsuitable().is_some()
            && wanted.is_none()
        {
            // an infrared or still camera answered for "user": look for another
            self.list_cameras(&devices, active.clone()).await;
            let ranked = camera::rank(&self.cameras.get_untracked());
            if let Some(better) = ranked.iter().find(|c| c.device_id != a.device_id) {
                for t in stream.get_tracks().iter() {
                    if let Ok(t) = t.dyn_into::<web_sys::MediaStreamTrack>() {
                        t.stop();
                    }
                }
                return Box::pin(self.open_camera(Some(better.device_id.clone()))).await;
            }
        }
        self.stop_camera();
        // the video element appears with the liveness step: wait for it
        let mut video_el = self.video.get_untracked();
        for _ in 0..50 {
            if video_el.is_some() {
                break;
            }
            gloo_timers::future::TimeoutFuture::new(20).await;
            video_el = self.video.get_untracked();
        }
        let Some(video_el) = video_el else { return };
        video_el.set_muted(true);
        let _ = video_el.set_attribute("playsinline", "");
        video_el.set_src_object(Some(&stream));
        let _ = video_el.play();
        self.camera.set(active.as_ref().map(|a| a.device_id.clone()));
        self.stream.set_value(Some(stream));
        self.list_cameras(&devices, active).await;
        if self
            .machine
            .with_untracked(|m| matches!(m.state(), State::Liveness(LivenessState::OpeningCamera)))
        {
            self.dispatch(Event::CameraReady);
        }
    }

    async fn list_cameras(self, devices: &web_sys::MediaDevices, active: Option<CameraInfo>) {
        let Ok(p) = devices.enumerate_devices() else { return };
        let Ok(list) = JsFuture::from(p).await else { return };
        let list: js_sys::Array = list.unchecked_into();
        let mut cameras = Vec::new();
        for d in list.iter() {
            let Ok(d) = d.dyn_into::<web_sys::MediaDeviceInfo>() else { continue };
            if d.kind() != web_sys::MediaDeviceKind::Videoinput {
                continue;
            }
            match &active {
                Some(a) if a.device_id == d.device_id() => cameras.push(a.clone()),
                _ => cameras.push(CameraInfo {
                    device_id: d.device_id(),
                    label: d.label(),
                    ..Default::default()
                }),
            }
        }
        self.cameras.set(cameras);
    }

    /// Switches camera mid-flow and remembers the choice.
    fn switch_camera(self, id: String) {
        if let Some(s) = window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = s.set_item(CAMERA_KEY, &id);
        }
        leptos::task::spawn_local(async move { self.open_camera(Some(id)).await });
    }

    /// Captures frames from the video and sends them at [`FRAME_RATE`] until
    /// the generation changes or the step ends.
    async fn frame_loop(self, generation: u32) {
        let Some(doc) = window().and_then(|w| w.document()) else { return };
        let Ok(canvas) =
            doc.create_element("canvas").map(|c| c.unchecked_into::<web_sys::HtmlCanvasElement>())
        else {
            return;
        };
        let opts = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&opts, &"willReadFrequently".into(), &JsValue::TRUE);
        let Some(ctx2d) = canvas
            .get_context_with_context_options("2d", &opts)
            .ok()
            .flatten()
            .and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok())
        else {
            return;
        };
        let mut n = 0u32;
        let interval = 1000.0 / FRAME_RATE;
        loop {
            let started = now_ms();
            if self.generation.get_untracked() != generation {
                return;
            }
            let deadline = self.machine.with_untracked(|m| match m.state() {
                State::Liveness(LivenessState::Running { deadline_ms, .. }) => Some(*deadline_ms),
                _ => None,
            });
            let Some(deadline) = deadline else { return };
            if now_ms() - self.clock_offset.get_untracked() > deadline as f64 + 500.0 {
                self.dispatch(Event::DeadlinePassed);
                return;
            }
            if let Some(video) = self.video.get_untracked()
                && video.video_width() > 0
            {
                let (w, h) = (video.video_width(), video.video_height());
                let out_w = FRAME_WIDTH.min(w);
                let out_h = (h as f64 * out_w as f64 / w as f64).round() as u32;
                canvas.set_width(out_w);
                canvas.set_height(out_h);
                let _ = ctx2d.draw_image_with_html_video_element_and_dw_and_dh(
                    &video,
                    0.0,
                    0.0,
                    out_w as f64,
                    out_h as f64,
                );
                if let Some(blob) = to_jpeg(&canvas).await {
                    n += 1;
                    let form = web_sys::FormData::new().ok();
                    if let Some(form) = form {
                        let _ = form.append_with_str("frameId", &format!("g{generation}-f{n}"));
                        let _ = form.append_with_str("nonce", &self.nonce.get_untracked());
                        let _ = form.append_with_blob_and_filename("image", &blob, "frame.jpg");
                        let answer = self.call("POST", "/submit-frame", Some(&form)).await;
                        if self.generation.get_untracked() != generation {
                            return;
                        }
                        match answer {
                            Ok(body) => {
                                if let Some(f) = parse(&body) {
                                    self.dispatch(Event::FrameResult(f));
                                }
                            }
                            Err((status, code)) => {
                                self.dispatch(Event::RequestFailed { status, code })
                            }
                        }
                    }
                }
            }
            let wait = (interval - (now_ms() - started)).max(0.0);
            gloo_timers::future::TimeoutFuture::new(wait as u32).await;
        }
    }
}

/// `canvas.toBlob` as a future.
async fn to_jpeg(canvas: &web_sys::HtmlCanvasElement) -> Option<web_sys::Blob> {
    let (tx, rx) = futures_channel();
    let cb = Closure::once(move |b: JsValue| {
        let _ = tx.resolve(&b);
    });
    canvas
        .to_blob_with_type_and_encoder_options(
            cb.as_ref().unchecked_ref(),
            "image/jpeg",
            &JsValue::from(0.85),
        )
        .ok()?;
    let v = JsFuture::from(rx).await.ok()?;
    drop(cb);
    v.dyn_into::<web_sys::Blob>().ok()
}

/// A promise and its resolver.
struct Resolver(js_sys::Function);
impl Resolver {
    fn resolve(&self, v: &JsValue) -> Result<JsValue, JsValue> {
        self.0.call1(&JsValue::NULL, v)
    }
}
fn futures_channel() -> (Resolver, js_sys::Promise) {
    let mut resolve = None;
    let promise = js_sys::Promise::new(&mut |res, _rej| resolve = Some(res));
    (Resolver(resolve.unwrap_or_else(|| js_sys::Function::new_no_args(""))), promise)
}

/// What a live track can do.
fn info_of(track: &web_sys::MediaStreamTrack, device_id: &str) -> CameraInfo {
    // getCapabilities is not in web-sys's stable API
    let caps = js_sys::Reflect::get(track, &"getCapabilities".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .and_then(|f| f.call0(track).ok())
        .unwrap_or(JsValue::UNDEFINED);
    let num = |o: &JsValue, k: &str| {
        js_sys::Reflect::get(o, &k.into())
            .ok()
            .and_then(|r| js_sys::Reflect::get(&r, &"max".into()).ok().and_then(|m| m.as_f64()))
    };
    let facing = js_sys::Reflect::get(&caps, &"facingMode".into())
        .ok()
        .filter(|f| f.is_object())
        .map(|f| js_sys::Array::from(&f).iter().filter_map(|x| x.as_string()).collect())
        .unwrap_or_default();
    let max_size = match (num(&caps, "width"), num(&caps, "height")) {
        (Some(w), Some(h)) => Some((w as u32, h as u32)),
        _ => None,
    };
    CameraInfo {
        device_id: device_id.to_owned(),
        label: track.label(),
        facing,
        max_size,
        max_frame_rate: num(&caps, "frameRate"),
    }
}

fn read_file(ctx: Ctx, file: web_sys::File) {
    let mime = file.type_();
    if let Some(old) = ctx.preview.get_untracked() {
        let _ = web_sys::Url::revoke_object_url(&old);
    }
    ctx.preview.set(web_sys::Url::create_object_url_with_blob(&file).ok());
    leptos::task::spawn_local(async move {
        let bytes = match JsFuture::from(file.array_buffer()).await {
            Ok(buf) => js_sys::Uint8Array::new(&buf).to_vec(),
            Err(_) => Vec::new(),
        };
        ctx.dispatch(Event::FileChosen { mime, bytes });
    });
}

fn first_file(list: Option<web_sys::FileList>) -> Option<web_sys::File> {
    list.and_then(|l| l.get(0))
}

#[component]
fn Widget(ctx: Ctx) -> impl IntoView {
    let t = move |k: Key| ctx.texts.with(|t| t.get(k));
    let step = Memo::new(move |_| ctx.machine.with(|m| m.state().step()));
    let dir = move || if ctx.texts.with(|t| t.rtl()) { "rtl" } else { "ltr" };
    let lang = move || ctx.texts.with(|t| t.locale());
    view! {
        <div class="kyc" part="container" dir=dir lang=lang>
            <h2 class="title" part="title">{move || t(Key::Title)}</h2>
            <p class="sr" role="status" aria-live="polite">{move || ctx.announce.get()}</p>
            {move || match step.get() {
                Step::Consent => consent(ctx).into_any(),
                Step::Document => document(ctx).into_any(),
                Step::Liveness => liveness(ctx).into_any(),
                Step::Verifying => view! {
                    <p class="status" part="status">{move || t(Key::Verifying)}</p>
                }.into_any(),
                Step::Done | Step::Failed => outcome(ctx).into_any(),
            }}
        </div>
    }
}

fn consent(ctx: Ctx) -> impl IntoView {
    let t = move |k: Key| ctx.texts.with(|t| t.get(k));
    view! {
        <section class="step" part="consent">
            <p>{move || t(Key::ConsentText)}</p>
            <button class="primary" part="button" on:click=move |_| ctx.dispatch(Event::ConsentGiven)>
                {move || t(Key::ConsentAccept)}
            </button>
        </section>
    }
}

fn document(ctx: Ctx) -> impl IntoView {
    let t = move |k: Key| ctx.texts.with(|t| t.get(k));
    let doc_state = move || {
        ctx.machine.with(|m| match m.state() {
            State::Document(d) => Some(d.clone()),
            _ => None,
        })
    };
    let uploading = move || matches!(doc_state(), Some(DocumentState::Uploading(_)));
    let percent = move || match doc_state() {
        // a string: formatting an f64 would link the float printer
        Some(DocumentState::Uploading(p)) => p.to_string(),
        _ => "0".to_owned(),
    };
    let error = move || match doc_state() {
        Some(DocumentState::Invalid(code)) => Some((code.to_owned(), false)),
        Some(DocumentState::UploadFailed { code, retryable }) => Some((code, retryable)),
        _ => None,
    };
    let dragging = RwSignal::new(false);
    view! {
        <section class="step" part="document">
            <h3>{move || t(Key::DocTitle)}</h3>
            <div
                class="dropzone"
                class:dragging=move || dragging.get()
                part="dropzone"
                on:dragover=move |e: web_sys::DragEvent| { e.prevent_default(); dragging.set(true); }
                on:dragleave=move |_| dragging.set(false)
                on:drop=move |e: web_sys::DragEvent| {
                    e.prevent_default();
                    dragging.set(false);
                    if let Some(f) = first_file(e.data_transfer().and_then(|d| d.files())) {
                        read_file(ctx, f);
                    }
                }
            >
                <p>{move || t(Key::DocHint)}</p>
                <label class="button" part="button">
                    {move || t(Key::DocChoose)}
                    <input
                        type="file"
                        class="file"
                        part="file-input"
                        accept="image/jpeg,image/png"
                        disabled=uploading
                        on:change=move |e: web_sys::Event| {
                            let input = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
                            if let Some(f) = first_file(input.as_ref().and_then(|i| i.files())) {
                                read_file(ctx, f);
                            }
                            if let Some(i) = input { i.set_value(""); }
                        }
                    />
                </label>
            </div>
            {move || ctx.preview.get().map(|src| view! {
                <img class="preview" part="preview" src=src alt=move || t(Key::DocTitle) />
            })}
            <Show when=uploading>
                <progress class="progress" part="progress" max="100" value=percent></progress>
                <p class="status" part="status">{move || t(Key::DocUploading)}</p>
            </Show>
            {move || error().map(|(code, retryable)| {
                let key = crate::i18n::error_key(&code);
                view! {
                <p class="status error" part="error" data-code=code>
                    {move || t(key)}
                </p>
                <Show when=move || retryable>
                    <button part="button" on:click=move |_| ctx.dispatch(Event::RetryUpload)>
                        {move || t(Key::Retry)}
                    </button>
                </Show>
            }})}
        </section>
    }
}

fn liveness(ctx: Ctx) -> impl IntoView {
    let t = move |k: Key| ctx.texts.with(|t| t.get(k));
    let live = move || {
        ctx.machine.with(|m| match m.state() {
            State::Liveness(l) => Some(l.clone()),
            _ => None,
        })
    };
    let prompt = move || match live() {
        Some(LivenessState::Running { hint, .. }) => t(hint_text(hint)),
        Some(LivenessState::CameraError(code)) => t(crate::i18n::error_key(code)),
        _ => t(Key::CameraStarting),
    };
    let issues = move || match live() {
        Some(LivenessState::Running { issues, .. }) => {
            issues.iter().map(|i| t(issue_key(i))).collect::<Vec<_>>().join(" · ")
        }
        _ => String::new(),
    };
    let progress = move || match live() {
        Some(LivenessState::Running { completed, total, .. }) => ctx.texts.with(|tx| {
            tx.fill(
                Key::Steps,
                &[("done", (completed + 1).min(total).to_string()), ("total", total.to_string())],
            )
        }),
        _ => String::new(),
    };
    let seconds = move || match live() {
        Some(LivenessState::Running { deadline_ms, .. }) => {
            let left = ((deadline_ms as f64 - (ctx.now.get() - ctx.clock_offset.get())) / 1000.0)
                .ceil()
                .max(0.0) as u64;
            ctx.texts.with(|tx| tx.fill(Key::SecondsLeft, &[("n", left.to_string())]))
        }
        _ => String::new(),
    };
    let camera_error = move || matches!(live(), Some(LivenessState::CameraError(_)));
    // the countdown ticks while this step is shown
    let ticker = gloo_timers::callback::Interval::new(250, move || ctx.now.set(now_ms()));
    let ticker = StoredValue::new_local(Some(ticker));
    on_cleanup(move || {
        ticker.update_value(|t| {
            t.take();
        })
    });
    view! {
        <section class="step" part="liveness">
            <h3>{move || t(Key::LiveTitle)}</h3>
            <Show when=move || { ctx.cameras.with(|c| c.len() > 1) }>
                <label class="camera" part="camera">
                    {move || t(Key::Camera)}
                    <select part="camera-select" on:change=move |e: web_sys::Event| {
                        if let Some(s) = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok()) {
                            ctx.switch_camera(s.value());
                        }
                    }>
                        {move || ctx.cameras.get().into_iter().enumerate().map(|(i, c)| {
                            let selected = ctx.camera.with(|s| s.as_deref() == Some(c.device_id.as_str()));
                            let label = if c.label.is_empty() { format!("{} {}", t(Key::Camera), i + 1) } else { c.label.clone() };
                            view! { <option value=c.device_id.clone() selected=selected>{label}</option> }
                        }).collect::<Vec<_>>()}
                    </select>
                </label>
            </Show>
            <div class="stage" part="stage">
                <video class="video" part="video" node_ref=ctx.video autoplay=true></video>
                <div class="guide" part="guide" aria-hidden="true"></div>
            </div>
            <p class="prompt" part="prompt" aria-live="assertive">{prompt}</p>
            <p class="issues" part="issues">{issues}</p>
            <p class="meta" part="meta"><span>{progress}</span> " " <span>{seconds}</span></p>
            <Show when=camera_error>
                <button part="button" on:click=move |_| ctx.dispatch(Event::TryAgain)>{move || t(Key::TryAgain)}</button>
            </Show>
        </section>
    }
}

fn outcome(ctx: Ctx) -> impl IntoView {
    let t = move |k: Key| ctx.texts.with(|t| t.get(k));
    let state = move || ctx.machine.with(|m| m.state().clone());
    view! {
        <section class="step" part="result">
            {move || match state() {
                State::Done(LivenessStatus::Passed) => view! {
                    <p class="status ok" part="status">{move || t(Key::DonePassed)}</p>
                }.into_any(),
                State::Done(_) => view! {
                    <p class="status ok" part="status">{move || t(Key::DoneReview)}</p>
                }.into_any(),
                State::Failed { code, can_retry } => {
                    let key = crate::i18n::error_key(&code);
                    view! {
                    <p class="status error" part="error" data-code=code>
                        {move || t(Key::FailedTitle)} ": " {move || t(key)}
                    </p>
                    <Show when=move || can_retry>
                        <button class="primary" part="button" on:click=move |_| ctx.dispatch(Event::TryAgain)>
                            {move || t(Key::TryAgain)}
                        </button>
                    </Show>
                }.into_any()},
                _ => ().into_any(),
            }}
        </section>
    }
}

/// One `<kyc-verify>` element's widget, created by the JS shim.
#[wasm_bindgen]
pub struct KycWidget {
    ctx: Ctx,
    mounted: Option<Box<dyn std::any::Any>>,
}

impl std::fmt::Debug for KycWidget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KycWidget")
            .field("mounted", &self.mounted.is_some())
            .finish_non_exhaustive()
    }
}

#[wasm_bindgen]
impl KycWidget {
    /// Mounts the widget into `root` (the element's shadow root); events are
    /// dispatched on `host`. `attributes` are the element's current
    /// attributes as `[name, value]` pairs.
    #[wasm_bindgen(constructor)]
    #[allow(clippy::needless_pass_by_value)] // wasm-bindgen hands over owned JS handles
    pub fn new(
        host: HtmlElement,
        root: ShadowRoot,
        attributes: js_sys::Array,
    ) -> Result<KycWidget, JsValue> {
        let mut config = Config::default();
        for pair in attributes.iter() {
            let pair = js_sys::Array::from(&pair);
            if let (Some(k), v) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                config.set(&k, v);
            }
        }
        let skip_consent = config.skip_consent;
        let config = RwSignal::new(config);
        let texts = Memo::new(move |_| {
            let c = config.get();
            let browser: Vec<String> = window()
                .map(|w| w.navigator().languages().iter().filter_map(|l| l.as_string()).collect())
                .unwrap_or_default();
            let wanted =
                c.locale.iter().map(String::as_str).chain(browser.iter().map(String::as_str));
            Texts::new(wanted.collect::<Vec<_>>(), labels(c.labels.as_deref()))
        });
        let ctx = Ctx {
            machine: RwSignal::new(Machine::new(UploadPolicy::default(), skip_consent)),
            config,
            texts,
            host: StoredValue::new_local(host),
            stream: StoredValue::new_local(None),
            keep: StoredValue::new_local(Vec::new()),
            video: NodeRef::new(),
            preview: RwSignal::new(None),
            cameras: RwSignal::new(Vec::new()),
            camera: RwSignal::new(None),
            announce: RwSignal::new(String::new()),
            generation: RwSignal::new(0),
            clock_offset: RwSignal::new(0.0),
            now: RwSignal::new(now_ms()),
            verification: RwSignal::new(None),
            nonce: RwSignal::new(String::new()),
        };
        adopt_styles(&root)?;
        let doc = window().and_then(|w| w.document()).ok_or("no document")?;
        let mount: HtmlElement = doc.create_element("div")?.unchecked_into();
        root.append_child(&mount)?;
        let handle = leptos::mount::mount_to(mount, move || view! { <Widget ctx=ctx /> });
        let first = ctx.machine.with_untracked(|m| m.state().step());
        ctx.run(Effect::EmitStep(first));
        Ok(KycWidget { ctx, mounted: Some(Box::new(handle)) })
    }

    /// An attribute changed (`value` undefined when removed).
    #[wasm_bindgen(js_name = attributeChanged)]
    pub fn attribute_changed(&self, name: &str, value: Option<String>) {
        self.ctx.config.update(|c| c.set(name, value));
    }

    /// The current step (`consent`, `document`, …).
    #[wasm_bindgen(getter)]
    pub fn step(&self) -> String {
        self.ctx.machine.with_untracked(|m| m.state().step().as_str().to_owned())
    }

    /// Stops the camera and removes the view (`disconnectedCallback`).
    pub fn unmount(&mut self) {
        self.ctx.generation.update(|g| *g += 1);
        self.ctx.stop_camera();
        self.mounted = None;
    }
}

/// The `labels` attribute's string entries.
fn labels(json: Option<&str>) -> Vec<(String, String)> {
    let Some(obj) = json.and_then(parse_json) else { return Vec::new() };
    js_sys::Object::entries(obj.unchecked_ref())
        .iter()
        .filter_map(|e| {
            let e = js_sys::Array::from(&e);
            Some((e.get(0).as_string()?, e.get(1).as_string()?))
        })
        .collect()
}

fn adopt_styles(root: &ShadowRoot) -> Result<(), JsValue> {
    // a constructed stylesheet: allowed under a strict style-src (no inline <style>)
    let sheet = web_sys::CssStyleSheet::new()?;
    sheet.replace_sync(CSS)?;
    let list = js_sys::Array::of1(&sheet);
    js_sys::Reflect::set(root, &"adoptedStyleSheets".into(), &list)?;
    Ok(())
}
