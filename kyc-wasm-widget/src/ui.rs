//! The browser part: a leptos view of the [`Machine`]'s state inside the
//! element's shadow root, and the effects (upload with progress, camera,
//! frame loop, API calls, DOM events) run with web-sys.
//!
//! Nothing here runs at import: the JS shim in `npm/` calls [`KycWidget::new`]
//! from `connectedCallback`, so server-side rendering never reaches it.
//!
//! Size (the widget ships to every end user): generic leptos code is
//! instantiated once per distinct signal, closure and view type, so
//!
//! * all state lives in one [`State`] behind one [`ArcTrigger`]: every change
//!   notifies it and the text bindings re-run (a handful of cheap string
//!   computations; tachys only touches the DOM when a text differs);
//! * every binding is made by one of a few helpers taking a plain `fn`
//!   ([`text`], [`attr`], [`region`]), so the whole view has a handful of
//!   closure types instead of one per binding;
//! * events are delegated: one listener on the mount element ([`on_event`])
//!   instead of a listener (and its generic code) per element;
//! * the parts that appear and disappear are [`region`]s re-rendered only
//!   when their [`gate`] (a `Memo<u64>` key of what they show) changes, each
//!   returning an [`AnyView`].

use crate::{
    camera::{self, CameraInfo},
    config::Config,
    flow::{DocumentState, Effect, Event, LivenessState, Machine, State as Flow, Step, hint_text},
    i18n::{Key, Texts, error_key, issue_key},
    wire::{self, parse_json, string as field},
};
use kyc_core::{api::v1::LivenessStatus, image::UploadPolicy};
use leptos::prelude::*;
use std::cell::RefCell;
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
/// A running `setInterval`: its id and callback.
type Interval = (i32, Closure<dyn FnMut()>);

/// Everything the view reads.
struct State {
    machine: Machine,
    config: Config,
    texts: Texts,
    /// Object URL of the chosen document's preview.
    preview: Option<String>,
    cameras: Vec<CameraInfo>,
    camera: Option<String>,
    announce: String,
    /// Bumped to stop a running frame loop.
    generation: u32,
    /// Local clock minus the server's, milliseconds.
    clock_offset: f64,
    now: f64,
    verification: Option<String>,
    nonce: String,
}

/// One widget: its state, the trigger the view tracks, and browser handles.
struct Inner {
    state: RefCell<State>,
    changed: ArcTrigger,
    host: HtmlElement,
    /// The element the view is mounted in (inside the shadow root).
    mount: HtmlElement,
    stream: RefCell<Option<MediaStream>>,
    keep: RefCell<Vec<XhrCallback>>,
    /// The countdown's `setInterval` (id and callback) while liveness shows.
    ticker: RefCell<Option<Interval>>,
}

thread_local! {
    /// Every widget of the page, by [`Ctx`] index. Never freed: tasks and
    /// callbacks may outlive their element (as arena-allocated signals
    /// created outside a reactive owner would). What stays is small: unmount
    /// drops the document and revokes its preview.
    static WIDGETS: RefCell<Vec<&'static Inner>> = const { RefCell::new(Vec::new()) };
}

/// A `Copy` (and `Send`, as leptos bindings must be) handle to one widget's
/// [`Inner`], for closures and tasks.
#[derive(Clone, Copy)]
struct Ctx(usize);

fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

fn js_err_name(e: &JsValue) -> String {
    field(e, "name").unwrap_or_default()
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

/// FNV-1a: the keys of [`gate`]s.
fn hash(h: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(h ^ 0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3))
}

impl Ctx {
    fn register(inner: Inner) -> Self {
        let inner: &'static Inner = Box::leak(Box::new(inner));
        WIDGETS.with_borrow_mut(|all| {
            all.push(inner);
            Ctx(all.len() - 1)
        })
    }

    #[inline(never)]
    fn inner(self) -> &'static Inner {
        WIDGETS.with_borrow(|all| all[self.0])
    }

    /// Reads the state (not tracked).
    fn read<R>(self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.inner().state.borrow())
    }

    /// Changes the state; the view follows.
    fn write<R>(self, f: impl FnOnce(&mut State) -> R) -> R {
        let inner = self.inner();
        let r = f(&mut inner.state.borrow_mut());
        inner.changed.notify();
        r
    }

    fn dispatch(self, event: Event) {
        let effects = self.write(|s| {
            if let Event::ChallengeStarted(r) = &event {
                s.clock_offset = now_ms() - r.challenge.issued_at.unix_millis() as f64;
                s.nonce = r.challenge.nonce.clone();
            }
            s.machine.apply(event)
        });
        for e in effects {
            self.run(e);
        }
    }

    fn run(self, effect: Effect) {
        match effect {
            Effect::EmitStep(step) => {
                let id = self.read(|s| s.verification.clone());
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
                    let answer = self.call("POST", "/start-liveness", None).await;
                    self.dispatch(match answer.map(|b| parse_json(&b)) {
                        Ok(body) => match body.as_ref().and_then(wire::start_liveness) {
                            Some(r) => Event::ChallengeStarted(r),
                            None => Event::RequestFailed { status: 200, code: None },
                        },
                        Err((status, code)) => Event::RequestFailed { status, code },
                    });
                });
            }
            Effect::SendFrames => {
                let generation = self.write(|s| {
                    s.generation += 1;
                    s.generation
                });
                leptos::task::spawn_local(async move { self.frame_loop(generation).await });
            }
            Effect::StopCamera => {
                self.write(|s| s.generation += 1);
                self.stop_camera();
            }
            Effect::Verify => {
                leptos::task::spawn_local(async move {
                    // the last frames may still be in flight
                    sleep(300).await;
                    let answer = self.call("GET", "/verify", None).await;
                    self.dispatch(match answer.map(|b| parse_json(&b)) {
                        Ok(body) => match body.as_ref().and_then(wire::verify) {
                            Some(v) => Event::Verified(v),
                            None => Event::RequestFailed { status: 200, code: None },
                        },
                        Err((status, code)) => Event::RequestFailed { status, code },
                    });
                });
            }
            Effect::Success(status) => {
                let id = self.read(|s| s.verification.clone());
                let detail =
                    object(&[("verificationId", id.as_deref()), ("status", Some(status.as_str()))]);
                self.emit("kyc-success", &detail);
                self.call_property("onSuccess", &detail);
            }
            Effect::Error(code) => {
                let step = self.read(|s| s.machine.state().step().as_str());
                let detail = object(&[("code", Some(&code)), ("step", Some(step))]);
                self.emit("kyc-error", &detail);
                self.call_property("onError", &detail);
            }
            Effect::Announce(key) => self.write(|s| s.announce = s.texts.get(key)),
        }
    }

    fn emit(self, name: &str, detail: &JsValue) {
        let init = web_sys::CustomEventInit::new();
        init.set_bubbles(true);
        init.set_composed(true);
        init.set_detail(detail);
        if let Ok(ev) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
            let _ = self.inner().host.dispatch_event(&ev);
        }
    }

    fn call_property(self, name: &str, detail: &JsValue) {
        let host = self.inner().host.clone();
        if let Ok(f) = js_sys::Reflect::get(&host, &name.into())
            && let Some(f) = f.dyn_ref::<js_sys::Function>()
        {
            let _ = f.call1(&host, detail);
        }
    }

    /// The API URL of `path` and the `authorization` header value.
    fn endpoint(self, path: &str) -> (String, Option<String>) {
        self.read(|s| {
            let auth = s.config.credential().map(|c| {
                let mut a = String::from("Bearer ");
                a.push_str(c);
                a
            });
            (s.config.url(path), auth)
        })
    }

    /// An API call with the bearer credential; the body or (status, code).
    async fn call(
        self,
        method: &str,
        path: &str,
        body: Option<&web_sys::FormData>,
    ) -> Result<String, (u16, Option<String>)> {
        let (url, auth) = self.endpoint(path);
        let init = web_sys::RequestInit::new();
        init.set_method(method);
        let headers = web_sys::Headers::new().map_err(|_| (0, None))?;
        if let Some(a) = auth {
            let _ = headers.set("authorization", &a);
        }
        init.set_headers(&headers);
        if let Some(b) = body {
            init.set_body(b);
        }
        let request =
            web_sys::Request::new_with_str_and_init(&url, &init).map_err(|_| (0, None))?;
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
        let Some((mime, bytes)) = self.read(|s| s.machine.document().cloned()) else {
            return;
        };
        let (url, auth) = self.endpoint("/upload-id");
        let Ok(xhr) = web_sys::XmlHttpRequest::new() else {
            self.dispatch(Event::UploadFailed { status: 0, code: None });
            return;
        };
        if xhr.open("POST", &url).is_err() {
            self.dispatch(Event::UploadFailed { status: 0, code: None });
            return;
        }
        if let Some(a) = auth {
            let _ = xhr.set_request_header("authorization", &a);
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
                        let id = field(&v, "verificationId");
                        // publishable-key mode: the upload created the verification
                        let token = field(&v, "clientToken");
                        self.write(|s| {
                            if id.is_some() {
                                s.verification = id;
                            }
                            if token.is_some() {
                                s.config.client_token = token;
                            }
                        });
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
        *self.inner().keep.borrow_mut() = vec![progress, done, failed];
        let body = js_sys::Uint8Array::from(bytes.as_slice());
        if xhr.send_with_opt_buffer_source(Some(&body)).is_err() {
            self.dispatch(Event::UploadFailed { status: 0, code: None });
        }
    }

    /// The `<video>` of the liveness step, once rendered.
    fn video(self) -> Option<web_sys::HtmlVideoElement> {
        self.inner().mount.query_selector("video").ok().flatten()?.dyn_into().ok()
    }

    fn stop_camera(self) {
        let stream = self.inner().stream.borrow_mut().take();
        if let Some(stream) = stream {
            stop_tracks(&stream);
        }
        if let Some(v) = self.video() {
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
        let remembered = window()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|s| s.get_item(CAMERA_KEY).ok().flatten());
        let wanted = device.or(self.read(|s| s.config.device_id.clone())).or(remembered);
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
                self.write(|s| s.config.device_id = None);
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
            let ranked = self.read(|s| camera::rank(&s.cameras));
            if let Some(better) = ranked.iter().find(|c| c.device_id != a.device_id) {
                stop_tracks(&stream);
                return Box::pin(self.open_camera(Some(better.device_id.clone()))).await;
            }
        }
        self.stop_camera();
        // the video element appears with the liveness step: wait for it
        let mut video_el = self.video();
        for _ in 0..50 {
            if video_el.is_some() {
                break;
            }
            sleep(20).await;
            video_el = self.video();
        }
        let Some(video_el) = video_el else { return };
        video_el.set_muted(true);
        let _ = video_el.set_attribute("playsinline", "");
        video_el.set_src_object(Some(&stream));
        let _ = video_el.play();
        self.write(|s| s.camera = active.as_ref().map(|a| a.device_id.clone()));
        *self.inner().stream.borrow_mut() = Some(stream);
        self.list_cameras(&devices, active).await;
        if self.read(|s| matches!(s.machine.state(), Flow::Liveness(LivenessState::OpeningCamera)))
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
        self.write(|s| s.cameras = cameras);
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
            // the deadline on the server's clock, while this loop is current
            let deadline = self.read(|s| match s.machine.state() {
                Flow::Liveness(LivenessState::Running { deadline_ms, .. })
                    if s.generation == generation =>
                {
                    Some(*deadline_ms as f64 + s.clock_offset)
                }
                _ => None,
            });
            let Some(deadline) = deadline else { return };
            if now_ms() > deadline + 500.0 {
                self.dispatch(Event::DeadlinePassed);
                return;
            }
            if let Some(video) = self.video()
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
                        let mut id = String::from("g");
                        id.push_str(&generation.to_string());
                        id.push_str("-f");
                        id.push_str(&n.to_string());
                        let nonce = self.read(|s| s.nonce.clone());
                        let _ = form.append_with_str("frameId", &id);
                        let _ = form.append_with_str("nonce", &nonce);
                        let _ = form.append_with_blob_and_filename("image", &blob, "frame.jpg");
                        let answer = self.call("POST", "/submit-frame", Some(&form)).await;
                        if self.read(|s| s.generation) != generation {
                            return;
                        }
                        match answer {
                            Ok(body) => {
                                let body = parse_json(&body);
                                if let Some(f) = body.as_ref().and_then(wire::frame_feedback) {
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
            sleep(wait as i32).await;
        }
    }
}

fn stop_tracks(stream: &MediaStream) {
    for t in stream.get_tracks().iter() {
        if let Ok(t) = t.dyn_into::<web_sys::MediaStreamTrack>() {
            t.stop();
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

/// Resolves after `ms` milliseconds (`setTimeout`).
async fn sleep(ms: i32) {
    let (tx, rx) = futures_channel();
    if let Some(w) = window() {
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&tx.0, ms);
    }
    let _ = JsFuture::from(rx).await;
}

/// What a live track can do.
fn info_of(track: &web_sys::MediaStreamTrack, device_id: &str) -> CameraInfo {
    // getCapabilities is not in web-sys's stable API
    let caps = js_sys::Reflect::get(track, &"getCapabilities".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .and_then(|f| f.call0(track).ok())
        .unwrap_or(JsValue::UNDEFINED);
    let num = |o: &JsValue, k: &str| wire::get(&wire::get(o, k), "max").as_f64();
    let facing = wire::get(&caps, "facingMode");
    let facing = if facing.is_object() {
        js_sys::Array::from(&facing).iter().filter_map(|x| x.as_string()).collect()
    } else {
        Vec::new()
    };
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
    let url = web_sys::Url::create_object_url_with_blob(&file).ok();
    let old = ctx.write(|s| std::mem::replace(&mut s.preview, url));
    if let Some(old) = old {
        let _ = web_sys::Url::revoke_object_url(&old);
    }
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

// ---- events: delegated to the mount element ----

/// Every event the view handles, from one listener on the mount element:
/// clicks on a `<button>` (each step has at most one, so the step says
/// which), the file input and camera `<select>`, and drag and drop on the
/// drop zone.
fn on_event(ctx: Ctx, e: &web_sys::Event) {
    let Some(target) = e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else {
        return;
    };
    let within = |selector: &str| target.closest(selector).ok().flatten();
    match e.type_().as_str() {
        "click" => {
            if within("button").is_some() {
                ctx.dispatch(match ctx.read(step_of) {
                    Step::Consent => Event::ConsentGiven,
                    Step::Document => Event::RetryUpload,
                    _ => Event::TryAgain,
                });
            }
        }
        "change" => match target.tag_name().as_str() {
            "INPUT" => {
                let input: &web_sys::HtmlInputElement = target.unchecked_ref();
                if let Some(f) = first_file(input.files()) {
                    read_file(ctx, f);
                }
                input.set_value("");
            }
            "SELECT" => {
                ctx.switch_camera(target.unchecked_ref::<web_sys::HtmlSelectElement>().value())
            }
            _ => {}
        },
        kind => {
            let Some(zone) = within("[part=dropzone]") else { return };
            let drag: &web_sys::DragEvent = e.unchecked_ref();
            if kind != "dragleave" {
                e.prevent_default();
            }
            // the highlight is the drop zone's alone: set on the element
            let _ = zone.class_list().toggle_with_force("dragging", kind == "dragover");
            if kind == "drop"
                && let Some(f) = first_file(drag.data_transfer().and_then(|d| d.files()))
            {
                read_file(ctx, f);
            }
        }
    }
}

// ---- bindings: one closure type each ----

/// A text binding `f(state, key)`.
fn text(
    ctx: Ctx,
    key: Key,
    f: fn(&State, Key) -> String,
) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    move || {
        let inner = ctx.inner();
        inner.changed.track();
        f(&inner.state.borrow(), key)
    }
}

/// The text of `key` in the current language.
fn t(ctx: Ctx, key: Key) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    text(ctx, key, |s, k| s.texts.get(k))
}

/// A text computed from the state.
fn say(
    ctx: Ctx,
    f: fn(&State, Key) -> String,
) -> impl Fn() -> String + Copy + Send + Sync + 'static {
    text(ctx, Key::Title, f)
}

/// An attribute binding (`None`: no attribute; booleans are `Some("")`).
fn attr(
    ctx: Ctx,
    key: Key,
    f: fn(&State, Key) -> Option<String>,
) -> impl Fn() -> Option<String> + Copy + Send + Sync + 'static {
    move || {
        let inner = ctx.inner();
        inner.changed.track();
        f(&inner.state.borrow(), key)
    }
}

/// A key of what a [`region`] shows: it re-renders when the key changes.
fn gate(ctx: Ctx, f: fn(&State) -> u64) -> Memo<u64> {
    Memo::new(move |_| {
        let inner = ctx.inner();
        inner.changed.track();
        f(&inner.state.borrow())
    })
}

/// A part of the view that appears, disappears or changes shape: `build`
/// runs again whenever `gate` changes.
fn region(
    ctx: Ctx,
    gate: Memo<u64>,
    build: fn(Ctx) -> AnyView,
) -> impl Fn() -> AnyView + Send + Sync + 'static {
    move || {
        // read, not just tracked: a memo computes (and subscribes) when read
        gate.get();
        build(ctx)
    }
}

/// A button showing `key` (its action: [`on_event`]).
fn button(ctx: Ctx, class: Option<&'static str>, key: Key) -> AnyView {
    view! { <button class=class part="button">{t(ctx, key)}</button> }.into_any()
}

/// A `<p>` (one type for all of them: absent attributes are `None`).
fn para(
    class: Option<&'static str>,
    part: Option<&'static str>,
    role: Option<&'static str>,
    live: Option<&'static str>,
    text: impl Fn() -> String + Copy + Send + Sync + 'static,
) -> impl IntoView {
    view! { <p class=class part=part role=role aria-live=live>{text}</p> }
}

/// A status line showing `key`.
fn status(ctx: Ctx, class: &'static str, key: Key) -> AnyView {
    para(Some(class), Some("status"), None, None, t(ctx, key)).into_any()
}

// ---- the view ----

fn step_of(s: &State) -> Step {
    s.machine.state().step()
}

fn widget(ctx: Ctx) -> impl IntoView {
    let dir = |s: &State, _| Some((if s.texts.rtl() { "rtl" } else { "ltr" }).to_owned());
    view! {
        <div
            class="kyc"
            part="container"
            dir=attr(ctx, Key::Title, dir)
            lang=attr(ctx, Key::Title, |s, _| Some(s.texts.locale().to_owned()))
        >
            <h2 class="title" part="title">{t(ctx, Key::Title)}</h2>
            {para(Some("sr"), None, Some("status"), Some("polite"), say(ctx, |s, _| s.announce.clone()))}
            {region(ctx, gate(ctx, |s| step_of(s) as u64), step_view)}
        </div>
    }
}

fn step_view(ctx: Ctx) -> AnyView {
    match ctx.read(step_of) {
        Step::Consent => consent(ctx),
        Step::Document => document(ctx),
        Step::Liveness => liveness(ctx),
        Step::Verifying => status(ctx, "status", Key::Verifying),
        Step::Done | Step::Failed => outcome(ctx),
    }
}

fn consent(ctx: Ctx) -> AnyView {
    view! {
        <section class="step" part="consent">
            {para(None, None, None, None, t(ctx, Key::ConsentText))}
            {button(ctx, Some("primary"), Key::ConsentAccept)}
        </section>
    }
    .into_any()
}

fn doc_state(s: &State) -> Option<&DocumentState> {
    match s.machine.state() {
        Flow::Document(d) => Some(d),
        _ => None,
    }
}

fn uploading(s: &State) -> bool {
    matches!(doc_state(s), Some(DocumentState::Uploading(_)))
}

fn doc_error(s: &State) -> Option<(&str, bool)> {
    match doc_state(s)? {
        DocumentState::Invalid(code) => Some((code, false)),
        DocumentState::UploadFailed { code, retryable } => Some((code, *retryable)),
        _ => None,
    }
}

fn document(ctx: Ctx) -> AnyView {
    view! {
        <section class="step" part="document">
            <h3>{t(ctx, Key::DocTitle)}</h3>
            <div class="dropzone" part="dropzone">
                {para(None, None, None, None, t(ctx, Key::DocHint))}
                <label class="button" part="button">
                    {t(ctx, Key::DocChoose)}
                    <input
                        type="file"
                        class="file"
                        part="file-input"
                        accept="image/jpeg,image/png"
                        disabled=attr(ctx, Key::Title, |s, _| uploading(s).then(String::new))
                    />
                </label>
            </div>
            {region(ctx, gate(ctx, |s| s.preview.as_ref().map_or(0, |p| hash(1, p.as_bytes()))), preview)}
            {region(ctx, gate(ctx, |s| u64::from(uploading(s))), upload_progress)}
            {region(
                ctx,
                gate(ctx, |s| doc_error(s).map_or(0, |(c, r)| hash(u64::from(r) + 1, c.as_bytes()))),
                upload_error,
            )}
        </section>
    }
    .into_any()
}

fn preview(ctx: Ctx) -> AnyView {
    match ctx.read(|s| s.preview.clone()) {
        Some(src) => view! {
            <img
                class="preview"
                part="preview"
                src=src
                alt=attr(ctx, Key::DocTitle, |s, k| Some(s.texts.get(k)))
            />
        }
        .into_any(),
        None => ().into_any(),
    }
}

fn upload_progress(ctx: Ctx) -> AnyView {
    if !ctx.read(uploading) {
        return ().into_any();
    }
    let percent = |s: &State, _| match doc_state(s) {
        // a string: formatting an f64 would link the float printer
        Some(DocumentState::Uploading(p)) => Some(p.to_string()),
        _ => Some("0".to_owned()),
    };
    view! {
        <progress class="progress" part="progress" max="100" value=attr(ctx, Key::Title, percent)></progress>
        {status(ctx, "status", Key::DocUploading)}
    }
    .into_any()
}

fn upload_error(ctx: Ctx) -> AnyView {
    let Some((code, retryable)) = ctx.read(|s| doc_error(s).map(|(c, r)| (c.to_owned(), r))) else {
        return ().into_any();
    };
    error_line(ctx, code, false, retryable.then(|| button(ctx, None, Key::Retry)))
}

/// `<p part="error" data-code=…>`: the error's text, after "Verification
/// failed: " when `failed`, and an optional button after it.
fn error_line(ctx: Ctx, code: String, failed: bool, then: Option<AnyView>) -> AnyView {
    let key = error_key(&code);
    let title = failed.then(|| view! { {t(ctx, Key::FailedTitle)} ": " });
    view! {
        <p class="status error" part="error" data-code=code>{title}{t(ctx, key)}</p>
        {then}
    }
    .into_any()
}

fn live_state(s: &State) -> Option<&LivenessState> {
    match s.machine.state() {
        Flow::Liveness(l) => Some(l),
        _ => None,
    }
}

fn camera_error(s: &State) -> bool {
    matches!(live_state(s), Some(LivenessState::CameraError(_)))
}

fn prompt(s: &State, _: Key) -> String {
    s.texts.get(match live_state(s) {
        Some(LivenessState::Running { hint, .. }) => hint_text(*hint),
        Some(LivenessState::CameraError(code)) => error_key(code),
        _ => Key::CameraStarting,
    })
}

fn issues(s: &State, _: Key) -> String {
    let mut out = String::new();
    if let Some(LivenessState::Running { issues, .. }) = live_state(s) {
        for (i, code) in issues.iter().enumerate() {
            if i > 0 {
                out.push_str(" · ");
            }
            out.push_str(&s.texts.get(issue_key(code)));
        }
    }
    out
}

fn progress(s: &State, _: Key) -> String {
    match live_state(s) {
        Some(LivenessState::Running { completed, total, .. }) => s.texts.fill(
            Key::Steps,
            &[("done", &(completed + 1).min(*total).to_string()), ("total", &total.to_string())],
        ),
        _ => String::new(),
    }
}

fn seconds(s: &State, _: Key) -> String {
    match live_state(s) {
        Some(LivenessState::Running { deadline_ms, .. }) => {
            // whole seconds, rounded up, on the server's clock
            let left = *deadline_ms - (s.now - s.clock_offset) as i64;
            let left = if left > 0 { (left + 999) / 1000 } else { 0 };
            s.texts.fill(Key::SecondsLeft, &[("n", &left.to_string())])
        }
        _ => String::new(),
    }
}

/// Stops the countdown's interval.
fn stop_ticker(ctx: Ctx) {
    let ticker = ctx.inner().ticker.borrow_mut().take();
    if let (Some((id, _)), Some(w)) = (ticker, window()) {
        w.clear_interval_with_handle(id);
    }
}

fn liveness(ctx: Ctx) -> AnyView {
    // the countdown ticks while this step is shown
    stop_ticker(ctx);
    let tick = Closure::<dyn FnMut()>::new(move || ctx.write(|s| s.now = now_ms()));
    let id = window().and_then(|w| {
        w.set_interval_with_callback_and_timeout_and_arguments_0(tick.as_ref().unchecked_ref(), 250)
            .ok()
    });
    *ctx.inner().ticker.borrow_mut() = Some((id.unwrap_or_default(), tick));
    on_cleanup(move || stop_ticker(ctx));
    let cameras = |s: &State| {
        if s.cameras.len() < 2 {
            return 0;
        }
        let mut h = hash(1, s.texts.get(Key::Camera).as_bytes());
        for c in &s.cameras {
            h = hash(h, c.device_id.as_bytes());
            h = hash(h, c.label.as_bytes());
        }
        hash(h, s.camera.as_deref().unwrap_or_default().as_bytes())
    };
    view! {
        <section class="step" part="liveness">
            <h3>{t(ctx, Key::LiveTitle)}</h3>
            {region(ctx, gate(ctx, cameras), camera_picker)}
            <div class="stage" part="stage">
                <video class="video" part="video" autoplay=true></video>
                // not a literal: an all-literal element is cloned from an
                // HTML template, whose cache (a HashMap) this one element
                // would link
                <div class="guide" part="guide" aria-hidden={"true"}></div>
            </div>
            {para(Some("prompt"), Some("prompt"), None, Some("assertive"), say(ctx, prompt))}
            {para(Some("issues"), Some("issues"), None, None, say(ctx, issues))}
            <p class="meta" part="meta"><span>{say(ctx, progress)}</span> " " <span>{say(ctx, seconds)}</span></p>
            {region(ctx, gate(ctx, |s| u64::from(camera_error(s))), retry_camera)}
        </section>
    }
    .into_any()
}

fn camera_picker(ctx: Ctx) -> AnyView {
    let (cameras, camera, name) =
        ctx.read(|s| (s.cameras.clone(), s.camera.clone(), s.texts.get(Key::Camera)));
    if cameras.len() < 2 {
        return ().into_any();
    }
    let options = cameras
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let selected = camera.as_deref() == Some(c.device_id.as_str());
            let label = if c.label.is_empty() {
                let mut l = name.clone();
                l.push(' ');
                l.push_str(&(i + 1).to_string());
                l
            } else {
                c.label
            };
            view! { <option value=c.device_id selected=selected>{label}</option> }
        })
        .collect::<Vec<_>>();
    view! {
        <label class="camera" part="camera">
            {t(ctx, Key::Camera)}
            <select part="camera-select">{options}</select>
        </label>
    }
    .into_any()
}

fn retry_camera(ctx: Ctx) -> AnyView {
    if !ctx.read(camera_error) {
        return ().into_any();
    }
    button(ctx, None, Key::TryAgain)
}

fn outcome(ctx: Ctx) -> AnyView {
    let key = |s: &State| match s.machine.state() {
        Flow::Done(status) => *status as u64 + 1,
        Flow::Failed { code, can_retry } => hash(u64::from(*can_retry) + 8, code.as_bytes()),
        _ => 0,
    };
    view! { <section class="step" part="result">{region(ctx, gate(ctx, key), outcome_body)}</section> }
        .into_any()
}

fn outcome_body(ctx: Ctx) -> AnyView {
    match ctx.read(|s| s.machine.state().clone()) {
        Flow::Done(LivenessStatus::Passed) => status(ctx, "status ok", Key::DonePassed),
        Flow::Done(_) => status(ctx, "status ok", Key::DoneReview),
        Flow::Failed { code, can_retry } => error_line(
            ctx,
            code,
            true,
            can_retry.then(|| button(ctx, Some("primary"), Key::TryAgain)),
        ),
        _ => ().into_any(),
    }
}

/// One `<kyc-verify>` element's widget, created by the JS shim.
#[wasm_bindgen]
pub struct KycWidget {
    ctx: Ctx,
    mounted: Option<Box<dyn std::any::Any>>,
    /// The view's one event listener ([`on_event`]).
    _events: Closure<dyn FnMut(web_sys::Event)>,
}

impl std::fmt::Debug for KycWidget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KycWidget")
    }
}

/// The texts for `config`: its locale, then the browser's, and its labels.
fn texts_for(config: &Config) -> Texts {
    let browser: Vec<String> = window()
        .map(|w| w.navigator().languages().iter().filter_map(|l| l.as_string()).collect())
        .unwrap_or_default();
    let wanted = config.locale.iter().chain(browser.iter()).map(String::as_str);
    Texts::new(wanted, labels(config.labels.as_deref()))
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
        adopt_styles(&root)?;
        let doc = window().and_then(|w| w.document()).ok_or("no document")?;
        let mount: HtmlElement = doc.create_element("div")?.unchecked_into();
        root.append_child(&mount)?;
        let state = State {
            machine: Machine::new(UploadPolicy::default(), config.skip_consent),
            texts: texts_for(&config),
            config,
            preview: None,
            cameras: Vec::new(),
            camera: None,
            announce: String::new(),
            generation: 0,
            clock_offset: 0.0,
            now: now_ms(),
            verification: None,
            nonce: String::new(),
        };
        let inner = Inner {
            state: RefCell::new(state),
            changed: ArcTrigger::new(),
            host,
            mount: mount.clone(),
            stream: RefCell::new(None),
            keep: RefCell::new(Vec::new()),
            ticker: RefCell::new(None),
        };
        let ctx = Ctx::register(inner);
        let events =
            Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| on_event(ctx, &e));
        for name in ["click", "change", "dragover", "dragleave", "drop"] {
            mount.add_event_listener_with_callback(name, events.as_ref().unchecked_ref())?;
        }
        let handle = leptos::mount::mount_to(mount, move || widget(ctx));
        let first = ctx.read(step_of);
        ctx.run(Effect::EmitStep(first));
        Ok(KycWidget { ctx, mounted: Some(Box::new(handle)), _events: events })
    }

    /// An attribute changed (`value` undefined when removed).
    #[wasm_bindgen(js_name = attributeChanged)]
    pub fn attribute_changed(&self, name: &str, value: Option<String>) {
        self.ctx.write(|s| {
            s.config.set(name, value);
            s.texts = texts_for(&s.config);
        });
    }

    /// The current step (`consent`, `document`, …).
    #[wasm_bindgen(getter)]
    pub fn step(&self) -> String {
        self.ctx.read(|s| step_of(s).as_str().to_owned())
    }

    /// Stops the camera, drops the document and its preview, and removes
    /// the view (`disconnectedCallback`).
    pub fn unmount(&mut self) {
        let preview = self.ctx.write(|s| {
            s.generation += 1;
            s.machine.forget_document();
            s.preview.take()
        });
        if let Some(url) = preview {
            let _ = web_sys::Url::revoke_object_url(&url);
        }
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
