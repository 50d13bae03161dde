//! Test fixtures shared by unit tests, the integration tests and downstream
//! crates (feature `testing`): synthetic images with chosen metadata, the
//! shared specimen photos, and a dependency-free `join_all`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{io::Cursor, path::PathBuf};

/// A JPEG of `w`×`h` with a gradient (quality 85), no metadata.
pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img =
        image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 251) as u8, (y % 241) as u8, 90]));
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(&img).unwrap();
    out.into_inner()
}

/// A PNG of `w`×`h` with a gradient, no metadata.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img =
        image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 200) as u8, (y % 200) as u8, 30]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// CRC-32 (PNG).
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

/// One PNG chunk: length, type, data, CRC.
pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    chunk.extend_from_slice(&crc32(&[kind.as_slice(), data].concat()).to_be_bytes());
    chunk
}

/// A PNG of `w`×`h` with a `tEXt` chunk holding `text` right after IHDR.
pub fn png_with_text(w: u32, h: u32, text: &str) -> Vec<u8> {
    let png = png(w, h);
    let chunk = png_chunk(b"tEXt", format!("Author\0{text}").as_bytes());
    [&png[..33], &chunk, &png[33..]].concat()
}

/// Just a PNG signature and IHDR announcing `w`×`h` (a decompression-bomb header).
pub fn png_header(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    [b"\x89PNG\r\n\x1a\n".as_slice(), &png_chunk(b"IHDR", &ihdr)].concat()
}

/// `jpeg` with an EXIF APP1 segment (orientation tag + GPS-looking text) after SOI.
pub fn with_exif(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = vec![b'I', b'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0];
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    tiff.extend_from_slice(b"GPSLatitude 48.8584 N GPSLongitude 2.2945 E");
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend(tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
    out.extend(payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// Whether `needle` occurs in `hay`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The `index`-th (mod 30) synthetic specimen photo of
/// `../shared/data/documents/generated` (sorted by name).
pub fn document_photo(index: usize) -> Vec<u8> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/documents/generated");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
        .collect();
    files.sort();
    std::fs::read(&files[index % files.len()]).unwrap()
}

pub use crate::util::join_all;
