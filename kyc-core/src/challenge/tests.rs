use super::*;
use proptest::prelude::*;
use rand::{SeedableRng, rngs::StdRng};

const T0: i64 = 1_764_064_800_000;

fn at(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(T0 + ms)
}

fn pending(sequence: &[Gesture]) -> PendingChallenge {
    PendingChallenge {
        nonce: "00".repeat(16),
        issued_at: at(0),
        deadline: at(180_000),
        sequence: sequence.to_vec(),
        max_gap_ms: 2_000,
        thresholds: GestureThresholds::default(),
        timing: FrameTiming::default(),
        continuity: Continuity::default(),
        depth: Default::default(),
        motion: Default::default(),
    }
}

fn face(ms: i64, yaw: f32, pitch: f32, eyes: f32) -> Observation {
    Observation {
        at: at(ms),
        face_present: true,
        yaw_deg: yaw,
        pitch_deg: pitch,
        left_eye_open: eyes,
        right_eye_open: eyes,
    }
}

/// A person performing `gestures` at 10 frames/s, starting at `start_ms`.
fn perform(gestures: &[Gesture], start_ms: i64) -> Vec<Observation> {
    let mut out = Vec::new();
    let mut t = start_ms;
    let mut push = |yaw: f32, pitch: f32, eyes: f32, out: &mut Vec<Observation>| {
        out.push(face(t, yaw, pitch, eyes));
        t += 100;
    };
    for _ in 0..4 {
        push(0.0, 0.0, 0.9, &mut out);
    }
    for g in gestures {
        match g {
            Gesture::Blink => {
                push(0.0, 0.0, 0.9, &mut out);
                push(0.0, 0.0, 0.15, &mut out);
                push(0.0, 0.0, 0.1, &mut out);
                push(0.0, 0.0, 0.85, &mut out);
            }
            turn => {
                let (dy, dp) = match turn {
                    Gesture::TurnLeft => (1.0, 0.0),
                    Gesture::TurnRight => (-1.0, 0.0),
                    Gesture::LookUp => (0.0, 1.0),
                    _ => (0.0, -1.0),
                };
                for a in [8.0, 16.0, 28.0, 32.0, 20.0, 9.0] {
                    push(dy * a, dp * a, 0.9, &mut out);
                }
            }
        }
        for _ in 0..3 {
            push(1.0, -1.0, 0.9, &mut out);
        }
    }
    out
}

#[test]
fn issues_random_sequences_without_immediate_repeats() {
    let policy = ChallengePolicy::default();
    let mut rng = StdRng::seed_from_u64(1);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..200 {
        let (prompt, pending) = issue(&policy, at(0), &mut rng).unwrap();
        assert_eq!(pending.sequence.len(), 3);
        assert!(pending.sequence.windows(2).all(|w| w[0] != w[1]));
        assert_eq!(prompt.first, pending.sequence[0]);
        assert_eq!(prompt.step_count, 3);
        assert_eq!(prompt.deadline, at(180_000));
        assert_eq!(prompt.nonce, pending.nonce);
        assert_eq!(prompt.nonce.len(), 32);
        seen.insert(pending.sequence.clone());
    }
    // 3 gestures, 3 steps, no immediate repeats: 3 * 2 * 2 = 12 sequences
    assert_eq!(seen.len(), 12);
}

#[test]
fn pending_rebuilds_its_prompt_and_fixed_sequences_keep_a_random_nonce() {
    let mut rng = StdRng::seed_from_u64(9);
    let (prompt, pending) = issue(&ChallengePolicy::default(), at(0), &mut rng).unwrap();
    assert_eq!(pending.prompt(), prompt);
    let seq = vec![Gesture::TurnLeft, Gesture::TurnRight];
    let (p, f) = PendingChallenge::fixed_for_tests(
        seq.clone(),
        &ChallengePolicy::default(),
        at(5),
        &mut rng,
    )
    .unwrap();
    assert_eq!(f.sequence, seq);
    assert_eq!((p.first, p.step_count, p.deadline), (Gesture::TurnLeft, 2, at(180_005)));
    assert_ne!(f.nonce, pending.nonce);
}

#[test]
fn the_prompt_does_not_reveal_later_steps() {
    let mut rng = StdRng::seed_from_u64(3);
    let (prompt, _) = issue(&ChallengePolicy::default(), at(0), &mut rng).unwrap();
    let json = serde_json::to_value(&prompt).unwrap();
    assert_eq!(json.as_object().unwrap().len(), 5, "{json}");
    assert!(json.get("sequence").is_none());
}

#[test]
fn a_correct_performance_passes() {
    let seq = [Gesture::TurnLeft, Gesture::Blink, Gesture::TurnRight];
    let p = pending(&seq);
    let obs = perform(&seq, 500);
    let e = evaluate(&p, &obs, obs.last().unwrap().at).unwrap();
    assert!(matches!(e.outcome, Some(Outcome::Passed { .. })), "{e:?}");
    assert_eq!(e.progress.completed, 3);
    assert_eq!(e.progress.hint, Hint::Done);
    for s in &e.steps {
        assert_eq!(s.state, StepState::Done);
        assert!(s.started_at.unwrap() < s.completed_at.unwrap());
    }
    // entered at 28°, recognised once held for two frames, at 32°
    assert_eq!(e.steps[0].peak, Some(32.0));
    assert!(e.steps[1].peak.unwrap() < 0.2);
}

#[test]
fn progress_reveals_one_gesture_at_a_time() {
    let seq = [Gesture::Blink, Gesture::TurnRight, Gesture::TurnLeft];
    let p = pending(&seq);
    let obs = perform(&seq, 0);
    let mut revealed = vec![];
    for n in 1..=obs.len() {
        let e = evaluate(&p, &obs[..n], obs[n - 1].at).unwrap();
        if let Some(g) = e.progress.next
            && revealed.last() != Some(&g)
        {
            revealed.push(g);
        }
        if e.progress.completed < 3 {
            assert_eq!(e.progress.next, Some(seq[e.progress.completed]));
        }
    }
    assert_eq!(revealed, seq);
}

#[test]
fn wrong_order_fails_with_the_step() {
    let p = pending(&[Gesture::TurnLeft, Gesture::TurnRight, Gesture::Blink]);
    let obs = perform(&[Gesture::TurnRight, Gesture::TurnLeft, Gesture::Blink], 0);
    let e = evaluate(&p, &obs, obs.last().unwrap().at).unwrap();
    assert_eq!(
        e.outcome,
        Some(Outcome::Failed {
            reason: FailureReason::WrongGesture {
                step: 0,
                expected: Gesture::TurnLeft,
                observed: Gesture::TurnRight
            }
        })
    );
    // the client is told to stop and ask for the verdict, not to go on performing
    assert_eq!(e.progress.hint, Hint::Done);
}

#[test]
fn a_blink_during_a_turn_step_is_ignored() {
    let p = pending(&[Gesture::TurnLeft, Gesture::Blink]);
    let mut obs = perform(&[Gesture::Blink], 0);
    let t = obs.last().unwrap().at.unix_millis() - T0 + 100;
    obs.extend(perform(&[Gesture::TurnLeft, Gesture::Blink], t));
    let e = evaluate(&p, &obs, obs.last().unwrap().at).unwrap();
    assert!(matches!(e.outcome, Some(Outcome::Passed { .. })), "{e:?}");
}

#[test]
fn one_movement_cannot_satisfy_two_steps() {
    // turn left, then right without returning to the centre: right is not counted
    let p = pending(&[Gesture::TurnLeft, Gesture::TurnRight]);
    let mut obs: Vec<Observation> = (0..4).map(|i| face(i * 100, 0.0, 0.0, 0.9)).collect();
    obs.push(face(400, 30.0, 0.0, 0.9));
    obs.push(face(500, 30.0, 0.0, 0.9));
    obs.push(face(600, -30.0, 0.0, 0.9));
    obs.push(face(700, -30.0, 0.0, 0.9));
    obs.push(face(800, -30.0, 0.0, 0.9));
    let e = evaluate(&p, &obs, at(900)).unwrap();
    assert_eq!(e.progress.completed, 1);
    assert_eq!(e.outcome, None);
    assert_eq!(e.progress.hint, Hint::FaceCamera);
    assert_eq!(
        e.final_outcome(),
        Outcome::Failed { reason: FailureReason::Incomplete { completed: 1, total: 2 } }
    );
}

#[test]
fn hysteresis_ignores_jitter_around_the_threshold() {
    let p = pending(&[Gesture::TurnLeft, Gesture::TurnRight]);
    let mut obs: Vec<Observation> = (0..3).map(|i| face(i * 100, 0.0, 0.0, 0.9)).collect();
    // between exit (10°) and enter (20°): never a turn
    for (i, y) in [15.0, 19.0, 12.0, 19.9, 11.0].iter().enumerate() {
        obs.push(face(300 + i as i64 * 100, *y, 0.0, 0.9));
    }
    let e = evaluate(&p, &obs, at(900)).unwrap();
    assert_eq!(e.progress.completed, 0);
    assert_eq!(e.progress.hint, Hint::Perform(Gesture::TurnLeft));
}

#[test]
fn expiry_and_late_frames() {
    let seq = [Gesture::TurnLeft, Gesture::Blink];
    let p = pending(&seq);
    // nothing done by the deadline
    let e = evaluate(&p, &[face(0, 0.0, 0.0, 0.9)], at(180_001)).unwrap();
    assert_eq!(
        e.outcome,
        Some(Outcome::Failed { reason: FailureReason::Expired { completed: 0, total: 2 } })
    );
    // a performance that starts too late does not count
    let obs = perform(&seq, 179_500);
    let e = evaluate(&p, &obs, obs.last().unwrap().at).unwrap();
    assert!(matches!(e.outcome, Some(Outcome::Failed { reason: FailureReason::Expired { .. } })));
}

#[test]
fn losing_the_face_too_long_fails() {
    let seq = [Gesture::TurnLeft, Gesture::Blink];
    let p = pending(&seq);
    let mut obs = perform(&[Gesture::TurnLeft], 0);
    let t = obs.last().unwrap().at.unix_millis() - T0;
    obs.push(Observation::no_face(at(t + 1000)));
    obs.push(face(t + 2500, 0.0, 0.0, 0.9));
    let e = evaluate(&p, &obs, at(t + 2600)).unwrap();
    assert_eq!(
        e.outcome,
        Some(Outcome::Failed { reason: FailureReason::FaceLost { gap_ms: 2500 } })
    );
}

#[test]
fn no_face_at_all_asks_for_a_face() {
    let p = pending(&[Gesture::Blink, Gesture::TurnLeft]);
    let obs: Vec<_> = (0..10).map(|i| Observation::no_face(at(i * 100))).collect();
    let e = evaluate(&p, &obs, at(1000)).unwrap();
    assert_eq!(e.progress.hint, Hint::ShowFace);
    assert_eq!(e.outcome, None);
    let nan = Observation { yaw_deg: f32::NAN, ..face(1100, 0.0, 0.0, 0.9) };
    let e = evaluate(&p, &[nan], at(1200)).unwrap();
    assert_eq!(e.progress.hint, Hint::ShowFace);
}

#[test]
fn eyes_shut_for_long_is_not_a_blink() {
    let p = pending(&[Gesture::Blink, Gesture::TurnLeft]);
    let mut obs: Vec<Observation> = (0..4).map(|i| face(i * 100, 0.0, 0.0, 0.9)).collect();
    for i in 0..20 {
        obs.push(face(400 + i * 100, 0.0, 0.0, 0.05));
    }
    obs.push(face(2400, 0.0, 0.0, 0.9));
    let e = evaluate(&p, &obs, at(2500)).unwrap();
    assert_eq!(e.progress.completed, 0);
}

#[test]
fn rejects_unordered_or_stale_observations() {
    let p = pending(&[Gesture::Blink, Gesture::TurnLeft]);
    let obs = [face(100, 0.0, 0.0, 0.9), face(100, 0.0, 0.0, 0.9)];
    assert_eq!(evaluate(&p, &obs, at(200)), Err(ChallengeError::NonMonotonic { index: 1 }));
    let obs = [face(-1, 0.0, 0.0, 0.9)];
    assert_eq!(evaluate(&p, &obs, at(200)), Err(ChallengeError::BeforeIssue { index: 0 }));
}

#[test]
fn policy_validation() {
    ChallengePolicy::default().validate().unwrap();
    let one =
        ChallengePolicy { gestures: vec![Gesture::Blink, Gesture::Blink], ..Default::default() };
    assert_eq!(one.validate(), Err(PolicyError::TooFewGestures));
    let zero = ChallengePolicy { steps: 0, ..Default::default() };
    assert_eq!(zero.validate(), Err(PolicyError::BadStepCount));
    let mut bad = ChallengePolicy::default();
    bad.thresholds.turn_exit_deg = 30.0;
    assert_eq!(bad.validate(), Err(PolicyError::BadThresholds));
    let mut rng = StdRng::seed_from_u64(0);
    assert!(issue(&bad, at(0), &mut rng).is_err());
}

#[test]
fn debug_does_not_leak_the_sequence() {
    let p = pending(&[Gesture::TurnLeft, Gesture::Blink]);
    let dbg = format!("{p:?}");
    assert!(!dbg.contains("TurnLeft") && !dbg.contains("Blink"), "{dbg}");
}

#[test]
fn reason_and_outcome_wire_format() {
    let o = Outcome::Failed {
        reason: FailureReason::WrongGesture {
            step: 1,
            expected: Gesture::TurnLeft,
            observed: Gesture::TurnRight,
        },
    };
    insta::assert_json_snapshot!("outcome_wrong_gesture", o);
    let progress = Progress {
        completed: 1,
        total: 3,
        next: Some(Gesture::Blink),
        hint: Hint::Perform(Gesture::Blink),
    };
    insta::assert_json_snapshot!("progress", progress);
}

fn gesture() -> impl Strategy<Value = Gesture> {
    prop_oneof![
        Just(Gesture::Blink),
        Just(Gesture::TurnLeft),
        Just(Gesture::TurnRight),
        Just(Gesture::LookUp),
        Just(Gesture::LookDown)
    ]
}

fn pose_gesture() -> impl Strategy<Value = Gesture> {
    prop_oneof![
        Just(Gesture::TurnLeft),
        Just(Gesture::TurnRight),
        Just(Gesture::LookUp),
        Just(Gesture::LookDown)
    ]
}

proptest! {
    #[test]
    fn issued_challenges_are_passed_by_their_own_performance(seed in any::<u64>(), steps in 1usize..6) {
        let policy = ChallengePolicy {
            gestures: vec![Gesture::Blink, Gesture::TurnLeft, Gesture::TurnRight, Gesture::LookUp, Gesture::LookDown],
            steps,
            ..Default::default()
        };
        let mut rng = StdRng::seed_from_u64(seed);
        let (_, p) = issue(&policy, at(0), &mut rng).unwrap();
        let obs = perform(&p.sequence, 0);
        let e = evaluate(&p, &obs, obs.last().unwrap().at).unwrap();
        prop_assert!(matches!(e.outcome, Some(Outcome::Passed { .. })), "{:?}", e);
    }

    #[test]
    fn a_different_sequence_of_pool_gestures_never_passes(
        a in proptest::collection::vec(pose_gesture(), 2..5),
        picks in proptest::collection::vec(0usize..8, 2..5),
    ) {
        // Deviations are judged against the challenge's own pool (blinks are
        // always tolerated during turns), so draw the performance from the
        // pose gestures of the challenge.
        let dedup = |v: Vec<Gesture>| { let mut v = v; v.dedup(); v };
        let a = dedup(a);
        let b = dedup(picks.iter().map(|i| a[i % a.len()]).collect());
        prop_assume!(!b.starts_with(&a));
        let p = pending(&a);
        let obs = perform(&b, 0);
        let e = evaluate(&p, &obs, obs.last().unwrap().at).unwrap();
        prop_assert!(!matches!(e.final_outcome(), Outcome::Passed { .. }), "{:?} vs {:?}", a, b);
    }

    #[test]
    fn arbitrary_streams_never_panic(
        seq in proptest::collection::vec(gesture(), 1..5),
        frames in proptest::collection::vec((1i64..500, any::<bool>(), -90f32..90.0, -60f32..60.0, 0f32..1.0, 0f32..1.0), 0..80)
    ) {
        let p = pending(&seq);
        let mut t = 0;
        let obs: Vec<Observation> = frames.into_iter().map(|(dt, present, yaw, pitch, l, r)| {
            t += dt;
            Observation { at: at(t), face_present: present, yaw_deg: yaw, pitch_deg: pitch, left_eye_open: l, right_eye_open: r }
        }).collect();
        let e = evaluate(&p, &obs, at(t + 1)).unwrap();
        prop_assert!(e.progress.completed <= seq.len());
    }
}

#[test]
fn wire_names_match_serde() {
    for g in Gesture::ALL {
        assert_eq!(serde_json::to_value(g).unwrap(), g.as_str());
        assert_eq!(Gesture::from_wire(g.as_str()), Some(g));
        let h = Hint::Perform(g);
        let json = serde_json::to_value(h).unwrap();
        assert_eq!(json["kind"], h.kind());
        assert_eq!(
            Hint::from_wire(h.kind(), Gesture::from_wire(json["gesture"].as_str().unwrap())),
            Some(h)
        );
    }
    for h in [Hint::ShowFace, Hint::FaceCamera, Hint::Done] {
        let json = serde_json::to_value(h).unwrap();
        assert_eq!(json, serde_json::json!({ "kind": h.kind() }));
        assert_eq!(Hint::from_wire(h.kind(), None), Some(h));
    }
    assert_eq!(Hint::from_wire("perform", None), None);
    assert_eq!(Hint::from_wire("dance", Some(Gesture::Blink)), None);
    assert_eq!(Gesture::from_wire("Blink"), None);
}

#[test]
fn a_gesture_needs_real_dwell() {
    let p = pending(&[Gesture::TurnLeft, Gesture::Blink]);
    let centred: Vec<Observation> = (0..4).map(|i| face(i * 100, 0.0, 0.0, 0.9)).collect();
    let run = |tail: &[Observation]| {
        let mut obs = centred.clone();
        obs.extend_from_slice(tail);
        let last = obs.last().map_or(at(0), |o| o.at);
        evaluate(&p, &obs, last).unwrap().progress.completed
    };
    // one frame in the zone is not a turn
    assert_eq!(run(&[face(400, 30.0, 0.0, 0.9), face(500, 5.0, 0.0, 0.9)]), 0);
    // two frames in the zone, but 10 ms apart on the server's clock (a burst)
    assert_eq!(run(&[face(400, 30.0, 0.0, 0.9), face(410, 31.0, 0.0, 0.9)]), 0);
    // held for two frames over 100 ms
    assert_eq!(run(&[face(400, 30.0, 0.0, 0.9), face(500, 31.0, 0.0, 0.9)]), 1);
    // a blink whose closure lasts 10 ms was uploaded in a burst
    let turn = [face(400, 30.0, 0.0, 0.9), face(500, 31.0, 0.0, 0.9), face(600, 0.0, 0.0, 0.9)];
    let burst_blink =
        [face(700, 0.0, 0.0, 0.9), face(800, 0.0, 0.0, 0.1), face(810, 0.0, 0.0, 0.9)];
    let real_blink = [face(700, 0.0, 0.0, 0.9), face(800, 0.0, 0.0, 0.1), face(900, 0.0, 0.0, 0.9)];
    assert_eq!(run(&[&turn[..], &burst_blink[..]].concat()), 1);
    assert_eq!(run(&[&turn[..], &real_blink[..]].concat()), 2);
}
