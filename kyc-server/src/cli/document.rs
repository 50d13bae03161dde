//! `kyc document read`: the local document reader (`kyc_vision::ocr`) and
//! kyc-core's field reader on one image file.

use super::shared::{Output, print_line, refused_as_failure, typed_failure};
use anyhow::Context;
use clap::Subcommand;
use kyc_vision::ocr::TextReader;
use std::{path::PathBuf, process::ExitCode};

/// `kyc document …`
#[derive(Debug, Subcommand)]
pub enum DocumentCommand {
    /// Name, date of birth, document number (and nationality, expiry, sex)
    /// with confidence and source (MRZ or printed), MRZ/printed disagreements.
    Read {
        /// The image (JPEG or PNG).
        image: PathBuf,
        /// Also print the OCR lines.
        #[arg(long)]
        lines: bool,
        /// Output format.
        #[command(flatten)]
        out: Output,
    },
}

/// Runs `kyc document read`.
pub(crate) fn document(cmd: &DocumentCommand) -> anyhow::Result<ExitCode> {
    use kyc_core::{
        ErrorCode,
        document::fields::{ReadError, read_fields},
    };
    let DocumentCommand::Read { image, lines, out } = cmd;
    let bytes = std::fs::read(image).with_context(|| format!("reading {}", image.display()))?;
    let reader = TextReader::load()?;
    let (text, timings) =
        match refused_as_failure(reader.read_bytes_timed(&bytes), out.json, image)? {
            Ok(r) => r,
            Err(code) => return Ok(code),
        };
    let today = time::OffsetDateTime::now_utc().date();
    let fields = match read_fields(&text, today) {
        Ok(f) => f,
        Err(ReadError::Unreadable | _) => {
            return typed_failure(
                out.json,
                ErrorCode::DocumentUnreadable,
                &format!("no identity document text in {}", image.display()),
            );
        }
    };
    if out.json {
        let mut v = serde_json::json!({
            "fields": {
                "name": fields.name, "surname": fields.surname, "givenNames": fields.given_names,
                "dateOfBirth": fields.date_of_birth, "documentNumber": fields.document_number,
                "nationality": fields.nationality, "expiryDate": fields.expiry_date, "sex": fields.sex,
            },
            "documentKind": fields.document_kind,
            "mrz": fields.mrz,
            "disagreements": fields.disagreements,
            "problems": fields.problems.iter().map(|p| p.code()).collect::<Vec<_>>(),
            "needsReview": fields.needs_review(),
            "engine": text.engine,
            "timingsMs": timings,
        });
        if *lines {
            v["lines"] = serde_json::to_value(&text.lines)?;
        }
        print_line(&v.to_string())?;
    } else {
        let show = |label: &str, f: &Option<kyc_core::document::fields::Field>| match f {
            Some(f) => format!("{label:<16} {} ({:?}, {:.2})", f.value, f.source, f.confidence),
            None => format!("{label:<16} -"),
        };
        for (label, f) in [
            ("name", &fields.name),
            ("date of birth", &fields.date_of_birth),
            ("document number", &fields.document_number),
            ("nationality", &fields.nationality),
            ("expiry", &fields.expiry_date),
            ("sex", &fields.sex),
        ] {
            print_line(&show(label, f))?;
        }
        for d in &fields.disagreements {
            print_line(&format!(
                "disagreement on {}: MRZ {} vs printed {}",
                d.field, d.mrz, d.printed
            ))?;
        }
        if *lines {
            for l in &text.lines {
                print_line(&format!("  {:.2} {}", l.confidence, l.text))?;
            }
        }
    }
    // fields missing is a typed, non-zero outcome after the partial result
    if !fields.missing().is_empty() {
        return Ok(ExitCode::from(4));
    }
    Ok(ExitCode::SUCCESS)
}
