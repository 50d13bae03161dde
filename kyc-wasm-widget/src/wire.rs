//! The API's answers read from the browser's `JSON.parse` output, field by
//! field (no serde and no date library in the wasm: they were a fifth of its
//! size). Anything missing or of the wrong type makes the whole answer
//! `None`, which the widget reports as a failed request; nothing here panics.
//! Timestamps are RFC 3339 strings read with the browser's `Date.parse`.
//!
//! The browser tests check these readers against the server's serde output.

use js_sys::{Array, Reflect};
use kyc_core::{
    Timestamp,
    api::v1::{FrameFeedback, FrameIssue, LivenessStatus, StartLivenessResponse, VerifyResponse},
    challenge::{ChallengePrompt, Gesture, Hint, Progress},
};
use wasm_bindgen::JsValue;

/// `JSON.parse` of an object (arrays and scalars are `None`).
pub fn parse_json(text: &str) -> Option<JsValue> {
    js_sys::JSON::parse(text).ok().filter(|v| v.is_object() && !Array::is_array(v))
}

/// A field of an object (`undefined` when missing or not an object).
pub fn get(obj: &JsValue, name: &str) -> JsValue {
    if !obj.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(obj, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// A string field.
pub fn string(obj: &JsValue, name: &str) -> Option<String> {
    get(obj, name).as_string()
}

fn uint(obj: &JsValue, name: &str) -> Option<u32> {
    let v = get(obj, name).as_f64()?;
    // NaN, negatives, fractions and values past u32 do not survive the round trip
    let n = v as u32;
    (f64::from(n) == v).then_some(n)
}

fn time(obj: &JsValue, name: &str) -> Option<Timestamp> {
    let ms = js_sys::Date::parse(&string(obj, name)?);
    (!ms.is_nan()).then(|| Timestamp::from_unix_millis(ms as i64))
}

fn gesture(obj: &JsValue, name: &str) -> Option<Gesture> {
    Gesture::from_wire(&string(obj, name)?)
}

/// `POST /start-liveness`.
pub fn start_liveness(v: &JsValue) -> Option<StartLivenessResponse> {
    let c = get(v, "challenge");
    Some(StartLivenessResponse {
        challenge: ChallengePrompt {
            nonce: string(&c, "nonce")?,
            issued_at: time(&c, "issuedAt")?,
            deadline: time(&c, "deadline")?,
            step_count: uint(&c, "stepCount")? as usize,
            first: gesture(&c, "first")?,
        },
        max_frames: uint(v, "maxFrames")?,
        attempts_left: uint(v, "attemptsLeft")?,
    })
}

/// `POST /submit-frame`.
pub fn frame_feedback(v: &JsValue) -> Option<FrameFeedback> {
    let issues = get(v, "issues");
    let issues = if issues.is_undefined() {
        Vec::new()
    } else if Array::is_array(&issues) {
        let list = Array::from(&issues);
        let mut out = Vec::new();
        for i in list.iter() {
            out.push(FrameIssue::from_wire(&i.as_string()?)?);
        }
        out
    } else {
        return None;
    };
    let p = get(v, "progress");
    let h = get(&p, "hint");
    let next = get(&p, "next");
    let next =
        if next.is_undefined() || next.is_null() { None } else { Some(gesture(&p, "next")?) };
    let hint_gesture = get(&h, "gesture");
    let hint_gesture =
        if hint_gesture.is_undefined() { None } else { Some(gesture(&h, "gesture")?) };
    Some(FrameFeedback {
        frame_id: string(v, "frameId")?,
        face_found: get(v, "faceFound").as_bool()?,
        faces: uint(v, "faces")?,
        issues,
        progress: Progress {
            completed: uint(&p, "completed")? as usize,
            total: uint(&p, "total")? as usize,
            next,
            hint: Hint::from_wire(&string(&h, "kind")?, hint_gesture)?,
        },
        deadline: time(v, "deadline")?,
    })
}

/// `GET /verify`.
pub fn verify(v: &JsValue) -> Option<VerifyResponse> {
    Some(VerifyResponse {
        status: LivenessStatus::from_wire(&string(v, "status")?)?,
        attempts_left: uint(v, "attemptsLeft")?,
    })
}
