use super::*;
use kyc_core::{
    Timestamp,
    api::v1::{FrameFeedback, FrameIssue},
    challenge::{ChallengePrompt, Progress},
};

fn jpeg(w: u16, h: u16) -> Vec<u8> {
    // SOI, SOF0 with the dimensions, EOI: enough for the header check
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08];
    b.extend_from_slice(&h.to_be_bytes());
    b.extend_from_slice(&w.to_be_bytes());
    b.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9]);
    b
}

fn started(first: Gesture, steps: usize) -> StartLivenessResponse {
    StartLivenessResponse {
        challenge: ChallengePrompt {
            nonce: "n".into(),
            issued_at: Timestamp::from_unix_millis(1_000),
            deadline: Timestamp::from_unix_millis(31_000),
            step_count: steps,
            first,
        },
        max_frames: 300,
        attempts_left: 5,
    }
}

fn feedback(completed: usize, hint: Hint, issues: Vec<FrameIssue>) -> FrameFeedback {
    FrameFeedback {
        frame_id: "f".into(),
        face_found: true,
        faces: 1,
        issues,
        progress: Progress { completed, total: 2, next: None, hint },
        deadline: Timestamp::from_unix_millis(31_000),
    }
}

fn steps(effects: &[Effect]) -> Vec<Step> {
    effects
        .iter()
        .filter_map(|e| if let Effect::EmitStep(s) = e { Some(*s) } else { None })
        .collect()
}

fn uploaded(m: &mut Machine) {
    m.apply(Event::ConsentGiven);
    m.apply(Event::FileChosen { mime: "image/jpeg".into(), bytes: jpeg(1200, 800) });
    m.apply(Event::Uploaded);
}

#[test]
fn the_happy_path_emits_every_step_once_and_succeeds() {
    let mut m = Machine::new(UploadPolicy::default(), false);
    let mut all = Vec::new();
    all.extend(m.apply(Event::ConsentGiven));
    let e = m.apply(Event::FileChosen { mime: "image/jpeg".into(), bytes: jpeg(1200, 800) });
    assert!(e.contains(&Effect::Upload));
    assert_eq!(m.document().map(|d| d.1.len()), Some(jpeg(1200, 800).len()));
    m.apply(Event::UploadProgress(140));
    assert_eq!(m.state(), &State::Document(DocumentState::Uploading(100)));
    all.extend(m.apply(Event::Uploaded));
    assert!(all.contains(&Effect::OpenCamera));
    assert!(m.document().is_none(), "the page keeps no copy of an uploaded document");
    assert_eq!(m.apply(Event::CameraReady), vec![Effect::StartChallenge]);
    let e = m.apply(Event::ChallengeStarted(started(Gesture::TurnLeft, 2)));
    assert!(e.contains(&Effect::SendFrames));
    assert!(e.contains(&Effect::Announce(crate::i18n::Key::PromptTurnLeft)));
    m.apply(Event::FrameResult(feedback(
        0,
        Hint::Perform(Gesture::TurnLeft),
        vec![FrameIssue::TooDark],
    )));
    match m.state() {
        State::Liveness(LivenessState::Running { issues, .. }) => {
            assert_eq!(issues, &["too_dark"])
        }
        s => panic!("{s:?}"),
    }
    m.apply(Event::FrameResult(feedback(1, Hint::Perform(Gesture::TurnRight), vec![])));
    all.extend(m.apply(Event::FrameResult(feedback(2, Hint::Done, vec![]))));
    assert_eq!(m.state(), &State::Verifying);
    assert!(all.contains(&Effect::Verify) && all.contains(&Effect::StopCamera));
    all.extend(m.apply(Event::Verified(VerifyResponse {
        status: LivenessStatus::Passed,
        attempts_left: 5,
    })));
    assert_eq!(m.state(), &State::Done(LivenessStatus::Passed));
    assert!(all.contains(&Effect::Success(LivenessStatus::Passed)));
    assert_eq!(
        steps(&all),
        [Step::Document, Step::Liveness, Step::Verifying, Step::Done],
        "consent is the initial step; each later step is emitted once"
    );
    assert_eq!(m.frames_answered(), 3);
}

#[test]
fn files_are_checked_before_any_byte_leaves() {
    let mut m = Machine::new(UploadPolicy::default(), true);
    let e = m.apply(Event::FileChosen { mime: "application/pdf".into(), bytes: b"%PDF".to_vec() });
    assert_eq!(m.state(), &State::Document(DocumentState::Invalid("unsupported_media_type")));
    assert!(
        e.contains(&Effect::Error("unsupported_media_type".into())) && !e.contains(&Effect::Upload)
    );
    // a PNG name with text inside: the bytes decide
    let e = m.apply(Event::FileChosen { mime: "image/png".into(), bytes: b"hello".to_vec() });
    assert!(!e.contains(&Effect::Upload), "{e:?}");
    let e = m.apply(Event::FileChosen { mime: "image/jpeg".into(), bytes: jpeg(200, 100) });
    assert_eq!(m.state(), &State::Document(DocumentState::Invalid("image_too_small")));
    assert!(e.contains(&Effect::Error("image_too_small".into())));
    let e = m.apply(Event::FileChosen { mime: "image/jpeg".into(), bytes: jpeg(1200, 800) });
    assert!(e.contains(&Effect::Upload));
}

#[test]
fn network_errors_can_be_retried_and_expired_tokens_end_the_flow() {
    let mut m = Machine::new(UploadPolicy::default(), true);
    m.apply(Event::FileChosen { mime: "image/jpeg".into(), bytes: jpeg(1200, 800) });
    let e = m.apply(Event::UploadFailed { status: 0, code: None });
    assert!(e.contains(&Effect::Error("network_error".into())));
    assert_eq!(
        m.state(),
        &State::Document(DocumentState::UploadFailed {
            code: "network_error".into(),
            retryable: true
        })
    );
    assert_eq!(m.apply(Event::RetryUpload), vec![Effect::Upload]);
    let e = m.apply(Event::UploadFailed { status: 401, code: Some("unauthorized".into()) });
    assert!(e.contains(&Effect::Error("unauthorized".into())));
    assert_eq!(m.state(), &State::Failed { code: "unauthorized".into(), can_retry: false });
    assert_eq!(m.apply(Event::TryAgain), vec![], "no retry without a valid token");
}

#[test]
fn camera_problems_have_their_own_codes_and_a_retry() {
    let mut m = Machine::new(UploadPolicy::default(), true);
    uploaded(&mut m);
    let e = m.apply(Event::CameraFailed("NotAllowedError".into()));
    assert!(e.contains(&Effect::Error("camera_denied".into())));
    assert_eq!(m.state(), &State::Liveness(LivenessState::CameraError("camera_denied")));
    assert_eq!(m.apply(Event::TryAgain), vec![Effect::OpenCamera]);
    m.apply(Event::CameraFailed("NotFoundError".into()));
    assert_eq!(m.state(), &State::Liveness(LivenessState::CameraError("camera_not_found")));
}

#[test]
fn a_failed_attempt_offers_a_new_one_while_attempts_are_left() {
    let mut m = Machine::new(UploadPolicy::default(), true);
    uploaded(&mut m);
    m.apply(Event::CameraReady);
    m.apply(Event::ChallengeStarted(started(Gesture::Blink, 2)));
    let e = m.apply(Event::DeadlinePassed);
    assert!(e.contains(&Effect::Verify));
    let e = m.apply(Event::Verified(VerifyResponse {
        status: LivenessStatus::Failed,
        attempts_left: 2,
    }));
    assert!(e.contains(&Effect::Error("liveness_failed".into())));
    assert_eq!(m.state(), &State::Failed { code: "liveness_failed".into(), can_retry: true });
    let e = m.apply(Event::TryAgain);
    assert_eq!(steps(&e), [Step::Liveness]);
    // the last attempt failed: no retry
    m.apply(Event::CameraReady);
    m.apply(Event::ChallengeStarted(started(Gesture::Blink, 2)));
    m.apply(Event::DeadlinePassed);
    m.apply(Event::Verified(VerifyResponse { status: LivenessStatus::Failed, attempts_left: 0 }));
    assert_eq!(m.state(), &State::Failed { code: "liveness_failed".into(), can_retry: false });
}

#[test]
fn late_answers_after_a_failure_are_ignored() {
    let mut m = Machine::new(UploadPolicy::default(), true);
    uploaded(&mut m);
    m.apply(Event::CameraReady);
    m.apply(Event::ChallengeStarted(started(Gesture::Blink, 2)));
    // a refused frame does not end the attempt
    assert_eq!(
        m.apply(Event::RequestFailed { status: 409, code: Some("frame_conflict".into()) }),
        vec![]
    );
    m.apply(Event::RequestFailed { status: 401, code: Some("unauthorized".into()) });
    let before = m.state().clone();
    assert_eq!(m.apply(Event::FrameResult(feedback(1, Hint::Done, vec![]))), vec![]);
    assert_eq!(m.state(), &before);
}
