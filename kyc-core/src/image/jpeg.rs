//! JPEG marker walking: dimensions from the frame header, lossless metadata removal.

use super::{ImageError, ImageFormat, Stripped, exif};

const F: ImageFormat = ImageFormat::Jpeg;

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const APP0: u8 = 0xE0;
const APP1: u8 = 0xE1;
const APP2: u8 = 0xE2;
const APP14: u8 = 0xEE;
const COM: u8 = 0xFE;

fn malformed(reason: &'static str) -> ImageError {
    ImageError::Malformed { format: F, reason }
}

/// Start-of-frame markers (all coding processes). C4 (DHT), C8 (JPG), CC (DAC) are not frames.
const fn is_sof(m: u8) -> bool {
    matches!(m, 0xC0..=0xCF) && !matches!(m, 0xC4 | 0xC8 | 0xCC)
}

/// Markers that stand alone (no length field).
const fn is_standalone(m: u8) -> bool {
    matches!(m, 0xD0..=0xD7 | 0x01)
}

/// One marker segment: `FF m [len_hi len_lo payload…]`.
struct Segment<'a> {
    marker: u8,
    /// Offset of the first byte after the segment.
    end: usize,
    /// Bytes from the marker's `FF` to `end` (fill bytes excluded).
    raw: &'a [u8],
    /// Payload after the length field (empty for standalone markers).
    payload: &'a [u8],
}

/// Reads the marker segment at `pos` (which must point at `FF`).
fn segment_at(bytes: &[u8], pos: usize) -> Result<Segment<'_>, ImageError> {
    let mut p = pos;
    if bytes.get(p) != Some(&0xFF) {
        return Err(if p >= bytes.len() {
            ImageError::Truncated(F)
        } else {
            malformed("expected a marker")
        });
    }
    // fill bytes: any number of FF before the marker code
    while bytes.get(p) == Some(&0xFF) {
        p += 1;
    }
    let start = p - 1;
    let marker = *bytes.get(p).ok_or(ImageError::Truncated(F))?;
    if marker == 0x00 {
        return Err(malformed("stuffed byte outside entropy-coded data"));
    }
    p += 1;
    if is_standalone(marker) || marker == SOI || marker == EOI {
        return Ok(Segment { marker, end: p, raw: &bytes[start..p], payload: &[] });
    }
    let len_bytes = bytes.get(p..p + 2).ok_or(ImageError::Truncated(F))?;
    let len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
    if len < 2 {
        return Err(malformed("segment length below 2"));
    }
    let end = p.checked_add(len).ok_or(ImageError::Truncated(F))?;
    if end > bytes.len() {
        return Err(ImageError::Truncated(F));
    }
    Ok(Segment { marker, end, raw: &bytes[start..end], payload: &bytes[p + 2..end] })
}

/// Parses a frame header payload into (width, height).
fn frame_dimensions(payload: &[u8]) -> Result<(u32, u32), ImageError> {
    if payload.len() < 6 {
        return Err(malformed("frame header too short"));
    }
    let precision = payload[0];
    let height = u32::from(u16::from_be_bytes([payload[1], payload[2]]));
    let width = u32::from(u16::from_be_bytes([payload[3], payload[4]]));
    let components = usize::from(payload[5]);
    if !matches!(precision, 2..=16) {
        return Err(malformed("unsupported sample precision"));
    }
    if !matches!(components, 1 | 3 | 4) {
        return Err(malformed("unsupported number of components"));
    }
    if payload.len() < 6 + 3 * components {
        return Err(malformed("frame header too short for its components"));
    }
    if height == 0 {
        return Err(malformed("height defined later by a DNL marker is not supported"));
    }
    if width == 0 {
        return Err(malformed("zero width"));
    }
    Ok((width, height))
}

/// Format and dimensions from the first frame header.
pub(super) fn dimensions(bytes: &[u8]) -> Result<(ImageFormat, u32, u32), ImageError> {
    if !bytes.starts_with(&[0xFF, SOI]) {
        return Err(ImageError::UnsupportedFormat);
    }
    let mut pos = 2;
    loop {
        let seg = segment_at(bytes, pos)?;
        match seg.marker {
            m if is_sof(m) => {
                let (w, h) = frame_dimensions(seg.payload)?;
                return Ok((F, w, h));
            }
            SOS => return Err(malformed("scan before frame header")),
            EOI => return Err(malformed("no frame header")),
            SOI => return Err(malformed("nested start of image")),
            _ => pos = seg.end,
        }
    }
}

/// Offset of the next marker after entropy-coded data starting at `pos`
/// (skipping stuffed `FF 00` and restart markers), or `bytes.len()`.
fn skip_entropy_coded(bytes: &[u8], mut pos: usize) -> usize {
    while pos + 1 < bytes.len() {
        if bytes[pos] == 0xFF {
            let next = bytes[pos + 1];
            if next == 0x00 || matches!(next, 0xD0..=0xD7) || next == 0xFF {
                pos += if next == 0xFF { 1 } else { 2 };
                continue;
            }
            return pos;
        }
        pos += 1;
    }
    bytes.len()
}

/// A JFIF APP0 payload with its thumbnail removed, or `None` to drop the segment.
fn clean_app0(payload: &[u8]) -> Option<Vec<u8>> {
    // "JFIF\0" ver(2) units(1) xdens(2) ydens(2) xthumb(1) ythumb(1) [thumbnail]
    if payload.len() >= 14 && payload.starts_with(b"JFIF\0") {
        let mut out = Vec::with_capacity(2 + 2 + 14);
        out.extend_from_slice(&[0xFF, APP0, 0x00, 16]);
        out.extend_from_slice(&payload[..12]);
        out.extend_from_slice(&[0, 0]); // no thumbnail
        Some(out)
    } else {
        None // JFXX extension thumbnails and unknown APP0 data
    }
}

/// Removes metadata segments; entropy-coded data is copied unchanged.
pub(super) fn strip(bytes: &[u8]) -> Result<Stripped, ImageError> {
    // validate the header first so garbage is reported the same way as by `inspect`
    dimensions(bytes)?;
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&[0xFF, SOI]);
    let mut orientation = None;
    let mut removed = 0;
    let mut pos = 2;
    while pos < bytes.len() {
        let seg = segment_at(bytes, pos)?;
        pos = seg.end;
        match seg.marker {
            EOI => {
                out.extend_from_slice(seg.raw);
                if pos < bytes.len() {
                    removed += 1; // trailing data after the image (e.g. appended files)
                }
                return Ok(Stripped { bytes: out, orientation, removed });
            }
            APP0 => match clean_app0(seg.payload) {
                Some(clean) => out.extend_from_slice(&clean),
                None => removed += 1,
            },
            APP1 => {
                if let Some(tiff) = seg.payload.strip_prefix(b"Exif\0\0") {
                    orientation = orientation.or_else(|| exif::orientation(tiff));
                }
                removed += 1;
            }
            APP2 if seg.payload.starts_with(b"ICC_PROFILE\0") => out.extend_from_slice(seg.raw),
            APP14 if seg.payload.starts_with(b"Adobe") => out.extend_from_slice(seg.raw),
            m if (APP0..=0xEF).contains(&m) || m == COM => removed += 1,
            SOS => {
                out.extend_from_slice(seg.raw);
                let data_end = skip_entropy_coded(bytes, pos);
                out.extend_from_slice(&bytes[pos..data_end]);
                pos = data_end;
            }
            SOI => return Err(malformed("nested start of image")),
            _ => out.extend_from_slice(seg.raw),
        }
    }
    // No end-of-image marker: the upload was cut off.
    Err(ImageError::Truncated(F))
}
