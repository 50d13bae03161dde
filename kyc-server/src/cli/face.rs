//! `kyc face compare|inspect`: the local face engine (`kyc_vision::face`)
//! on image files.

use super::shared::{Output, print_line, refused_as_failure, typed_failure};
use crate::ServerConfig;
use anyhow::Context;
use clap::Subcommand;
use kyc_vision::{
    VisionError,
    face::{FaceModels, ImageKind},
};
use std::{path::PathBuf, process::ExitCode};

/// `kyc face …`
#[derive(Debug, Subcommand)]
pub enum FaceCommand {
    /// Similarity (0–100) of the largest face in A and in B, and whether it
    /// reaches `liveness.match_threshold`.
    Compare {
        /// First image (JPEG or PNG).
        a: PathBuf,
        /// Second image.
        b: PathBuf,
        /// Treat both images as live camera frames (default: documents/photos).
        #[arg(long)]
        live: bool,
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
    /// Faces, landmarks, pose, eye openness and quality of one image.
    Inspect {
        /// The image (JPEG or PNG).
        image: PathBuf,
        /// Treat the image as a live camera frame (default: a document/photo).
        #[arg(long)]
        live: bool,
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
}

/// Runs `kyc face …`.
pub(crate) fn face(config: &ServerConfig, cmd: &FaceCommand) -> anyhow::Result<ExitCode> {
    use kyc_core::ErrorCode;
    let engine = FaceModels::load(&config.face)?;
    let read = |p: &PathBuf| -> anyhow::Result<Vec<u8>> {
        std::fs::read(p).with_context(|| format!("reading {}", p.display()))
    };
    let kind = |live: bool| if live { ImageKind::LiveFrame } else { ImageKind::Document };
    match cmd {
        FaceCommand::Compare { a, b, live, out } => {
            let descriptor = |p: &PathBuf| match engine.descriptor(&read(p)?, kind(*live)) {
                Ok(Some(d)) => Ok(Ok(d)),
                Ok(None) => {
                    Ok(Err((ErrorCode::NoFaceFound, format!("no face in {}", p.display()))))
                }
                Err(VisionError::Rejected(why)) => {
                    Ok(Err((ErrorCode::MalformedImage, format!("{}: {why}", p.display()))))
                }
                Err(e) => Err(anyhow::Error::from(e)),
            };
            // both images run at once, on two threads
            let (da, db) = std::thread::scope(|s| {
                let da = s.spawn(|| descriptor(a));
                let db = descriptor(b);
                (da.join(), db)
            });
            let da = da.map_err(|_| anyhow::anyhow!("the face engine thread panicked"))?;
            let (da, db) = match (da?, db?) {
                (Ok(da), Ok(db)) => (da, db),
                (Err((code, message)), _) | (_, Err((code, message))) => {
                    return typed_failure(out.json, code, &message);
                }
            };
            let m = engine.compare(&da, &db);
            let threshold = config.liveness.match_threshold;
            let matched = m.similarity >= threshold;
            if out.json {
                let v = serde_json::json!({
                    "similarity": m.similarity, "match": matched, "threshold": threshold,
                    "rawScore": m.raw_score, "model": engine.name(),
                });
                print_line(&v.to_string())?;
            } else {
                let verdict = if matched { "match" } else { "no match" };
                print_line(&format!(
                    "similarity {:.1} ({verdict}) at threshold {threshold}; raw {:.4} ({})",
                    m.similarity,
                    m.raw_score,
                    engine.name()
                ))?;
            }
        }
        FaceCommand::Inspect { image, live, out } => {
            let analysis = match refused_as_failure(
                engine.analyze(&read(image)?, kind(*live)),
                out.json,
                image,
            )? {
                Ok(a) => a,
                Err(code) => return Ok(code),
            };
            if out.json {
                print_line(&serde_json::to_string(&analysis)?)?;
            } else {
                print_line(&format!(
                    "{}x{}, {} face(s)",
                    analysis.width,
                    analysis.height,
                    analysis.faces.len()
                ))?;
                for f in &analysis.faces {
                    let b = f.bounding_box;
                    let pose = f.pose.map_or("pose n/a".to_owned(), |p| {
                        format!(
                            "yaw {:.1} pitch {:.1} roll {:.1} eyes {:.2}/{:.2}",
                            p.yaw_deg, p.pitch_deg, p.roll_deg, p.left_eye_open, p.right_eye_open
                        )
                    });
                    print_line(&format!(
                        "  score {:.2} box {:.0},{:.0} {:.0}x{:.0}; {pose}; brightness {:.0} sharpness {:.0}",
                        f.score,
                        b.x,
                        b.y,
                        b.width,
                        b.height,
                        f.quality.brightness,
                        f.quality.sharpness
                    ))?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
