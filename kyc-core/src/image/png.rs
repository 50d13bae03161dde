//! PNG chunk walking: dimensions from IHDR, lossless metadata removal.

use super::{ImageError, ImageFormat, Stripped, crc::crc32, exif};

const F: ImageFormat = ImageFormat::Png;

/// The 8-byte PNG signature.
pub(super) const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Ancillary chunks that affect rendering and carry no personal data.
const KEEP_ANCILLARY: &[&[u8; 4]] = &[
    b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"bKGD", b"pHYs", b"cICP", b"mDCV",
    b"cLLI",
];
const CRITICAL: &[&[u8; 4]] = &[b"IHDR", b"PLTE", b"IDAT", b"IEND"];

fn malformed(reason: &'static str) -> ImageError {
    ImageError::Malformed { format: F, reason }
}

struct Chunk<'a> {
    kind: [u8; 4],
    data: &'a [u8],
    raw: &'a [u8],
    end: usize,
}

fn chunk_at(bytes: &[u8], pos: usize) -> Result<Chunk<'_>, ImageError> {
    let head = bytes.get(pos..pos + 8).ok_or(ImageError::Truncated(F))?;
    let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    if len > 0x7FFF_FFFF {
        return Err(malformed("chunk length out of range"));
    }
    let kind = [head[4], head[5], head[6], head[7]];
    if !kind.iter().all(u8::is_ascii_alphabetic) {
        return Err(malformed("invalid chunk type"));
    }
    let data_start = pos + 8;
    let data_end = data_start.checked_add(len as usize).ok_or(ImageError::Truncated(F))?;
    let end = data_end.checked_add(4).ok_or(ImageError::Truncated(F))?;
    if end > bytes.len() {
        return Err(ImageError::Truncated(F));
    }
    let data = &bytes[data_start..data_end];
    let stored = &bytes[data_end..end];
    let crc = u32::from_be_bytes([stored[0], stored[1], stored[2], stored[3]]);
    if crc32(&[&kind, data]) != crc {
        return Err(malformed("chunk checksum mismatch"));
    }
    Ok(Chunk { kind, data, raw: &bytes[pos..end], end })
}

pub(super) fn dimensions(bytes: &[u8]) -> Result<(ImageFormat, u32, u32), ImageError> {
    if !bytes.starts_with(SIGNATURE) {
        return Err(ImageError::UnsupportedFormat);
    }
    let ihdr = chunk_at(bytes, SIGNATURE.len())?;
    if &ihdr.kind != b"IHDR" {
        return Err(malformed("first chunk is not IHDR"));
    }
    let d = ihdr.data;
    if d.len() != 13 {
        return Err(malformed("IHDR has the wrong length"));
    }
    let width = u32::from_be_bytes([d[0], d[1], d[2], d[3]]);
    let height = u32::from_be_bytes([d[4], d[5], d[6], d[7]]);
    let (depth, colour, compression, filter, interlace) = (d[8], d[9], d[10], d[11], d[12]);
    if width == 0 || height == 0 || width > 0x7FFF_FFFF || height > 0x7FFF_FFFF {
        return Err(malformed("dimensions out of range"));
    }
    let depth_ok = match colour {
        0 => matches!(depth, 1 | 2 | 4 | 8 | 16),
        3 => matches!(depth, 1 | 2 | 4 | 8),
        2 | 4 | 6 => matches!(depth, 8 | 16),
        _ => false,
    };
    if !depth_ok {
        return Err(malformed("invalid bit depth and colour type"));
    }
    if compression != 0 || filter != 0 || interlace > 1 {
        return Err(malformed("invalid compression, filter or interlace method"));
    }
    Ok((F, width, height))
}

pub(super) fn strip(bytes: &[u8]) -> Result<Stripped, ImageError> {
    dimensions(bytes)?;
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(SIGNATURE);
    let mut orientation = None;
    let mut removed = 0;
    let mut pos = SIGNATURE.len();
    loop {
        let chunk = chunk_at(bytes, pos)?;
        pos = chunk.end;
        let critical = chunk.kind[0].is_ascii_uppercase();
        if critical {
            if !CRITICAL.contains(&&chunk.kind) {
                return Err(malformed("unknown critical chunk"));
            }
            out.extend_from_slice(chunk.raw);
            if &chunk.kind == b"IEND" {
                if pos < bytes.len() {
                    removed += 1; // trailing data after IEND
                }
                return Ok(Stripped { bytes: out, orientation, removed });
            }
        } else if KEEP_ANCILLARY.contains(&&chunk.kind) {
            out.extend_from_slice(chunk.raw);
        } else {
            if &chunk.kind == b"eXIf" {
                orientation = orientation.or_else(|| exif::orientation(chunk.data));
            }
            removed += 1;
        }
    }
}
