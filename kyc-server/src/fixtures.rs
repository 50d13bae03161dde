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

/// `../shared/data/faces/<name>` (face photos with identity labels).
pub fn face_photo(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/faces").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every frame of a labelled clip in `../shared/data/faces/video/<clip>/`
/// (15 fps, 640×480), with its `frames.csv` labels `(t_ms, eyes, head)`.
pub fn clip(clip: &str) -> Vec<(Vec<u8>, i64, String, String)> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/faces/video").join(clip);
    let csv = std::fs::read_to_string(dir.join("frames.csv"))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    csv.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                std::fs::read(dir.join(f[1])).unwrap(),
                f[2].parse().unwrap(),
                f[3].to_owned(),
                f[4].to_owned(),
            )
        })
        .collect()
}

/// A synthetic ID card (900×600, JPEG) whose photo is `face` (a photo or
/// frame) turned grey, shrunk to `photo_width` px and heavily compressed —
/// like the printed photo of a real document.
pub fn id_card_with(face: &[u8], photo_width: u32) -> Vec<u8> {
    let src = image::load_from_memory(face).unwrap().to_luma8();
    let h = src.height() * photo_width / src.width();
    let small =
        image::imageops::resize(&src, photo_width, h, image::imageops::FilterType::Triangle);
    // round-trip the photo through JPEG quality 35
    let mut q = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut q, 35).encode_image(&small).unwrap();
    let photo = image::load_from_memory(&q.into_inner()).unwrap().to_rgb8();
    let mut card = image::RgbImage::from_fn(900, 600, |x, y| {
        if (x / 3 + y) % 97 == 0 {
            image::Rgb([200, 210, 230])
        } else {
            image::Rgb([236, 238, 242])
        }
    });
    image::imageops::overlay(&mut card, &photo, 40, 120);
    for y in [150u32, 200, 250, 300, 350] {
        for x in 420..820 {
            card.put_pixel(x, y, image::Rgb([40, 40, 60]));
        }
    }
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(&card).unwrap();
    out.into_inner()
}
