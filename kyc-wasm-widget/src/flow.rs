//! The widget's flow as one state machine: events in, a new state and the
//! effects to run out. Pure (no browser), so every transition is tested
//! natively; the UI only renders [`State`] and runs [`Effect`]s.

use kyc_core::{
    api::v1::{FrameFeedback, LivenessStatus, StartLivenessResponse, VerifyResponse},
    challenge::{Gesture, Hint},
    image::{ImageError, UploadPolicy},
};

/// The steps a host page sees in `kyc-step` events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Asking for consent.
    Consent,
    /// Choosing and uploading the document.
    Document,
    /// Camera and gestures.
    Liveness,
    /// Waiting for the server's verdict.
    Verifying,
    /// Finished (passed or sent to review).
    Done,
    /// Finished without success; the user may try again if allowed.
    Failed,
}

impl Step {
    /// The step's stable name (the `detail.step` of `kyc-step`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Consent => "consent",
            Self::Document => "document",
            Self::Liveness => "liveness",
            Self::Verifying => "verifying",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}

/// Where the document step stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentState {
    /// Waiting for a file.
    Choosing,
    /// The chosen file was refused before upload (stable error code).
    Invalid(&'static str),
    /// Uploading; percent done.
    Uploading(u8),
    /// The upload failed (code); `retryable` for network and server errors.
    UploadFailed {
        /// Stable code.
        code: String,
        /// Whether "retry" may help.
        retryable: bool,
    },
}

/// Where the liveness step stands.
#[derive(Debug, Clone, PartialEq)]
pub enum LivenessState {
    /// Asking for the camera.
    OpeningCamera,
    /// The camera could not be used (`camera_denied`, `camera_not_found`, …).
    CameraError(&'static str),
    /// Camera on, challenge requested.
    Starting,
    /// Frames are being sent.
    Running {
        /// What to tell the user now.
        hint: Hint,
        /// Steps done / total.
        completed: usize,
        /// Steps in total.
        total: usize,
        /// Problems with the last frame (`too_dark`, …).
        issues: Vec<&'static str>,
        /// Server time of the deadline, milliseconds since the epoch.
        deadline_ms: i64,
    },
}

/// The whole widget state.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// Consent screen.
    Consent,
    /// Document step.
    Document(DocumentState),
    /// Liveness step.
    Liveness(LivenessState),
    /// Waiting for `GET /verify`.
    Verifying,
    /// Passed, or sent to a person for review.
    Done(LivenessStatus),
    /// Failed with a stable code; `can_retry` when attempts are left.
    Failed {
        /// Stable code (`liveness_failed`, `unauthorized`, …).
        code: String,
        /// Whether "try again" is offered.
        can_retry: bool,
    },
}

impl State {
    /// The step this state belongs to.
    pub fn step(&self) -> Step {
        match self {
            Self::Consent => Step::Consent,
            Self::Document(_) => Step::Document,
            Self::Liveness(_) => Step::Liveness,
            Self::Verifying => Step::Verifying,
            Self::Done(_) => Step::Done,
            Self::Failed { .. } => Step::Failed,
        }
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The user accepted.
    ConsentGiven,
    /// The user chose a file: its type (from the browser) and bytes.
    FileChosen {
        /// The browser's MIME type (checked again by magic bytes).
        mime: String,
        /// The file's bytes.
        bytes: Vec<u8>,
    },
    /// Upload progress, percent.
    UploadProgress(u8),
    /// The server stored the document.
    Uploaded,
    /// The upload failed: HTTP status (0 for a network error) and error code.
    UploadFailed {
        /// HTTP status, 0 when the network failed.
        status: u16,
        /// The server's error code, if it sent one.
        code: Option<String>,
    },
    /// The user asked to retry the failed upload.
    RetryUpload,
    /// The camera is on.
    CameraReady,
    /// The camera failed (a DOMException name such as `NotAllowedError`).
    CameraFailed(String),
    /// `POST /start-liveness` answered.
    ChallengeStarted(StartLivenessResponse),
    /// `POST /submit-frame` answered.
    FrameResult(FrameFeedback),
    /// A call failed: HTTP status (0 for network) and error code.
    RequestFailed {
        /// HTTP status, 0 when the network failed.
        status: u16,
        /// The server's error code, if it sent one.
        code: Option<String>,
    },
    /// The deadline passed on the client's clock.
    DeadlinePassed,
    /// `GET /verify` answered.
    Verified(VerifyResponse),
    /// The user asked to try again after a failure.
    TryAgain,
}

/// What the UI must do after a transition.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Dispatch `kyc-step` with this step.
    EmitStep(Step),
    /// Upload the kept document bytes.
    Upload,
    /// Open the camera.
    OpenCamera,
    /// `POST /start-liveness`.
    StartChallenge,
    /// Start (or keep) sending frames.
    SendFrames,
    /// Stop the frame loop and release the camera.
    StopCamera,
    /// `GET /verify`.
    Verify,
    /// Dispatch `kyc-success` with the verification outcome.
    Success(LivenessStatus),
    /// Dispatch `kyc-error` with this stable code.
    Error(String),
    /// Announce this text key to screen readers (`aria-live`).
    Announce(crate::i18n::Key),
}

/// The state machine and what it keeps between states.
#[derive(Debug, Clone)]
pub struct Machine {
    state: State,
    policy: UploadPolicy,
    document: Option<(String, Vec<u8>)>,
    frames_answered: u32,
}

/// The stable code of an image refused before upload.
pub fn image_error_code(e: &ImageError) -> &'static str {
    e.code().as_str()
}

fn hint_key(h: Hint) -> crate::i18n::Key {
    use crate::i18n::Key;
    match h {
        Hint::ShowFace => Key::PromptShowFace,
        Hint::FaceCamera => Key::PromptFaceCamera,
        Hint::Perform(Gesture::Blink) => Key::PromptBlink,
        Hint::Perform(Gesture::TurnLeft) => Key::PromptTurnLeft,
        Hint::Perform(Gesture::TurnRight) => Key::PromptTurnRight,
        Hint::Perform(Gesture::LookUp) => Key::PromptLookUp,
        Hint::Perform(Gesture::LookDown) => Key::PromptLookDown,
        Hint::Done => Key::PromptDone,
    }
}

/// The text key for a hint.
pub fn hint_text(h: Hint) -> crate::i18n::Key {
    hint_key(h)
}

fn request_code(status: u16, code: Option<String>) -> String {
    match (status, code) {
        (0, _) => "network_error".to_owned(),
        (_, Some(c)) => c,
        (401, None) => "unauthorized".to_owned(),
        (s, None) if s >= 500 => "server_error".to_owned(),
        _ => "request_failed".to_owned(),
    }
}

impl Machine {
    /// A machine at the consent step (or straight at the document step when
    /// `skip_consent`, for hosts that collected consent themselves).
    pub fn new(policy: UploadPolicy, skip_consent: bool) -> Self {
        let state =
            if skip_consent { State::Document(DocumentState::Choosing) } else { State::Consent };
        Self { state, policy, document: None, frames_answered: 0 }
    }

    /// The current state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The document bytes and MIME type to upload.
    pub fn document(&self) -> Option<&(String, Vec<u8>)> {
        self.document.as_ref()
    }

    /// Drops the document bytes (the element left the page).
    pub fn forget_document(&mut self) {
        self.document = None;
    }

    /// Frames the server answered in this attempt.
    pub fn frames_answered(&self) -> u32 {
        self.frames_answered
    }

    fn go(&mut self, next: State, out: &mut Vec<Effect>) {
        if next.step() != self.state.step() {
            out.push(Effect::EmitStep(next.step()));
        }
        self.state = next;
    }

    /// Applies `event`; returns the effects to run, in order. Events that do
    /// not fit the current state are ignored (late answers after a failure).
    pub fn apply(&mut self, event: Event) -> Vec<Effect> {
        use crate::i18n::Key;
        let mut out = Vec::new();
        match (&self.state, event) {
            (State::Consent, Event::ConsentGiven) => {
                self.go(State::Document(DocumentState::Choosing), &mut out);
            }
            (
                State::Document(DocumentState::Choosing | DocumentState::Invalid(_)),
                Event::FileChosen { mime, bytes },
            ) => {
                let declared_ok = mime.is_empty() || mime == "image/jpeg" || mime == "image/png";
                let checked = kyc_core::image::check(&bytes, &self.policy);
                match (declared_ok, checked) {
                    (true, Ok(_)) => {
                        self.document = Some((mime, bytes));
                        self.state = State::Document(DocumentState::Uploading(0));
                        out.push(Effect::Upload);
                        out.push(Effect::Announce(Key::DocUploading));
                    }
                    (false, _) => {
                        self.state =
                            State::Document(DocumentState::Invalid("unsupported_media_type"));
                        out.push(Effect::Error("unsupported_media_type".into()));
                        out.push(Effect::Announce(Key::ErrUnsupportedType));
                    }
                    (true, Err(e)) => {
                        let code = image_error_code(&e);
                        self.state = State::Document(DocumentState::Invalid(code));
                        out.push(Effect::Error(code.to_owned()));
                        out.push(Effect::Announce(crate::i18n::error_key(code)));
                    }
                }
            }
            (State::Document(DocumentState::Uploading(_)), Event::UploadProgress(p)) => {
                self.state = State::Document(DocumentState::Uploading(p.min(100)));
            }
            (State::Document(DocumentState::Uploading(_)), Event::Uploaded) => {
                // the server has the document: the page keeps no copy of it
                self.document = None;
                out.push(Effect::Announce(Key::DocUploaded));
                self.frames_answered = 0;
                self.go(State::Liveness(LivenessState::OpeningCamera), &mut out);
                out.push(Effect::OpenCamera);
            }
            (
                State::Document(DocumentState::Uploading(_)),
                Event::UploadFailed { status, code },
            ) => {
                let retryable = status == 0 || status >= 500 || status == 429;
                let code = request_code(status, code);
                if code == "unauthorized" || code == "verification_expired" {
                    return self.fail(code, false, out);
                }
                out.push(Effect::Error(code.clone()));
                out.push(Effect::Announce(crate::i18n::error_key(&code)));
                self.state = State::Document(DocumentState::UploadFailed { code, retryable });
            }
            (State::Document(DocumentState::UploadFailed { .. }), Event::RetryUpload)
                if self.document.is_some() =>
            {
                self.state = State::Document(DocumentState::Uploading(0));
                out.push(Effect::Upload);
            }
            (
                State::Document(DocumentState::UploadFailed { .. }),
                Event::FileChosen { mime, bytes },
            ) => {
                self.state = State::Document(DocumentState::Choosing);
                return self.apply(Event::FileChosen { mime, bytes });
            }
            (State::Liveness(LivenessState::OpeningCamera), Event::CameraReady) => {
                self.state = State::Liveness(LivenessState::Starting);
                out.push(Effect::StartChallenge);
            }
            (State::Liveness(_), Event::CameraFailed(name)) => {
                let code = match name.as_str() {
                    "NotAllowedError" | "SecurityError" => "camera_denied",
                    "NotFoundError" | "OverconstrainedError" => "camera_not_found",
                    "NotReadableError" | "AbortError" => "camera_busy",
                    _ => "camera_error",
                };
                out.push(Effect::StopCamera);
                out.push(Effect::Error(code.to_owned()));
                out.push(Effect::Announce(crate::i18n::error_key(code)));
                self.state = State::Liveness(LivenessState::CameraError(code));
            }
            (State::Liveness(LivenessState::CameraError(_)), Event::TryAgain) => {
                self.state = State::Liveness(LivenessState::OpeningCamera);
                out.push(Effect::OpenCamera);
            }
            (State::Liveness(LivenessState::Starting), Event::ChallengeStarted(r)) => {
                let hint = Hint::Perform(r.challenge.first);
                out.push(Effect::Announce(hint_key(hint)));
                self.state = State::Liveness(LivenessState::Running {
                    hint,
                    completed: 0,
                    total: r.challenge.step_count,
                    issues: Vec::new(),
                    deadline_ms: r.challenge.deadline.unix_millis(),
                });
                out.push(Effect::SendFrames);
            }
            (State::Liveness(LivenessState::Running { hint: old, .. }), Event::FrameResult(f)) => {
                self.frames_answered += 1;
                let hint = f.progress.hint;
                if hint != *old {
                    out.push(Effect::Announce(hint_key(hint)));
                }
                let issues = f.issues.iter().map(|i| crate::i18n::issue_code(*i)).collect();
                self.state = State::Liveness(LivenessState::Running {
                    hint,
                    completed: f.progress.completed,
                    total: f.progress.total,
                    issues,
                    deadline_ms: f.deadline.unix_millis(),
                });
                if hint == Hint::Done {
                    out.push(Effect::StopCamera);
                    self.go(State::Verifying, &mut out);
                    out.push(Effect::Verify);
                }
            }
            (State::Liveness(LivenessState::Running { .. }), Event::DeadlinePassed) => {
                // the server decides: ask it
                out.push(Effect::StopCamera);
                self.go(State::Verifying, &mut out);
                out.push(Effect::Verify);
            }
            (State::Liveness(_) | State::Verifying, Event::RequestFailed { status, code }) => {
                let code = request_code(status, code);
                match code.as_str() {
                    // one frame was refused: the next one carries on
                    "frame_conflict"
                    | "frame_out_of_order"
                    | "frame_replayed"
                    | "frame_timing_invalid"
                    | "rate_limited"
                        if matches!(self.state, State::Liveness(LivenessState::Running { .. })) => {
                    }
                    // the server ended the attempt: its verdict says what is left
                    "frame_limit_exceeded" | "challenge_expired" => {
                        out.push(Effect::StopCamera);
                        self.go(State::Verifying, &mut out);
                        out.push(Effect::Verify);
                    }
                    "unauthorized" | "liveness_locked" | "verification_expired" => {
                        out.push(Effect::StopCamera);
                        return self.fail(code, false, out);
                    }
                    _ => {
                        out.push(Effect::StopCamera);
                        return self.fail(code, true, out);
                    }
                }
            }
            (State::Verifying, Event::Verified(v)) => match v.status {
                LivenessStatus::Passed | LivenessStatus::Review => {
                    out.push(Effect::Announce(if v.status == LivenessStatus::Passed {
                        Key::DonePassed
                    } else {
                        Key::DoneReview
                    }));
                    self.go(State::Done(v.status), &mut out);
                    out.push(Effect::Success(v.status));
                }
                LivenessStatus::Failed => {
                    return self.fail("liveness_failed".into(), v.attempts_left > 0, out);
                }
            },
            (State::Failed { can_retry: true, .. }, Event::TryAgain) => {
                self.frames_answered = 0;
                self.go(State::Liveness(LivenessState::OpeningCamera), &mut out);
                out.push(Effect::OpenCamera);
            }
            _ => {}
        }
        out
    }

    fn fail(&mut self, code: String, can_retry: bool, mut out: Vec<Effect>) -> Vec<Effect> {
        out.push(Effect::Error(code.clone()));
        out.push(Effect::Announce(crate::i18n::error_key(&code)));
        self.go(State::Failed { code, can_retry }, &mut out);
        out
    }
}

#[cfg(test)]
mod tests;
