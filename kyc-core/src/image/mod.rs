//! Image inspection from bytes, without decoding pixels.
//!
//! * [`check`] sniffs the format by magic bytes (JPEG and PNG only: a
//!   `Content-Type` header is never trusted), reads width and height from the
//!   headers and applies an [`UploadPolicy`] (bytes, dimensions, pixel count
//!   against decompression bombs).
//! * [`strip_metadata`] removes EXIF/GPS, XMP, comments and text chunks
//!   losslessly and reports the EXIF orientation, so the caller can rotate.
//!
//! The server and the widget run this same code: the widget for instant
//! feedback before any byte leaves the browser, the server authoritatively
//! (followed by a full decode there).

mod crc;
mod exif;
mod jpeg;
mod png;

use crate::ErrorCode;
use serde::{Deserialize, Serialize};

pub use exif::Orientation;

/// A supported image format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    /// JPEG (JFIF/EXIF), baseline or progressive.
    Jpeg,
    /// PNG.
    Png,
}

impl ImageFormat {
    /// The MIME type, e.g. `image/jpeg`.
    pub const fn mime_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
        }
    }

    /// Parses a MIME type (`image/jpeg`, `image/jpg`, `image/png`).
    pub fn from_mime_type(mime: &str) -> Option<Self> {
        match mime.split(';').next().unwrap_or("").trim().to_ascii_lowercase().as_str() {
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Some(Self::Jpeg),
            "image/png" => Some(Self::Png),
            _ => None,
        }
    }
}

/// What the headers say about an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInfo {
    /// The format, from the magic bytes.
    pub format: ImageFormat,
    /// Width in pixels, as stored (before any EXIF rotation).
    pub width: u32,
    /// Height in pixels, as stored.
    pub height: u32,
}

impl ImageInfo {
    /// Width × height.
    pub const fn pixels(&self) -> u64 {
        self.width as u64 * self.height as u64
    }
}

/// Limits applied to uploaded images. Dimensions are checked on the long and
/// the short side so portrait and landscape photos are treated alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UploadPolicy {
    /// Largest accepted upload, in bytes.
    pub max_bytes: u64,
    /// Smallest accepted long side, in pixels.
    pub min_long_side: u32,
    /// Smallest accepted short side, in pixels.
    pub min_short_side: u32,
    /// Largest accepted side, in pixels.
    pub max_side: u32,
    /// Largest accepted width × height (decompression-bomb guard).
    pub max_pixels: u64,
}

impl Default for UploadPolicy {
    /// Documents: 10 MiB, at least 600×400 (either orientation), at most
    /// 12,000 px per side and 50 megapixels.
    fn default() -> Self {
        Self {
            max_bytes: 10 * 1024 * 1024,
            min_long_side: 600,
            min_short_side: 400,
            max_side: 12_000,
            max_pixels: 50_000_000,
        }
    }
}

impl UploadPolicy {
    /// Checks that the policy is coherent (used when loading configuration).
    pub fn validate(&self) -> Result<(), &'static str> {
        if self.max_bytes == 0 {
            return Err("max_bytes must be positive");
        }
        if self.min_short_side > self.min_long_side {
            return Err("min_short_side must not exceed min_long_side");
        }
        if self.min_long_side > self.max_side {
            return Err("min_long_side must not exceed max_side");
        }
        if self.max_pixels < u64::from(self.min_long_side) * u64::from(self.min_short_side) {
            return Err("max_pixels is smaller than the minimum image");
        }
        Ok(())
    }
}

/// Why an image was rejected. Messages carry sizes only, never content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// No bytes at all.
    #[error("the image is empty")]
    Empty,
    /// The magic bytes are not JPEG or PNG.
    #[error("only JPEG and PNG images are accepted")]
    UnsupportedFormat,
    /// The header ended early.
    #[error("the {0:?} image is truncated")]
    Truncated(ImageFormat),
    /// The header is inconsistent.
    #[error("the {format:?} image is malformed: {reason}")]
    Malformed {
        /// Which format the magic bytes claimed.
        format: ImageFormat,
        /// What is wrong (static text, no content).
        reason: &'static str,
    },
    /// More bytes than the policy allows.
    #[error("the image is {size} bytes; the limit is {max}")]
    TooManyBytes {
        /// Actual size.
        size: u64,
        /// Limit.
        max: u64,
    },
    /// Below the minimum dimensions.
    #[error("the image is {width}x{height}; at least {min_long}x{min_short} is required")]
    TooSmall {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
        /// Minimum long side.
        min_long: u32,
        /// Minimum short side.
        min_short: u32,
    },
    /// Above the maximum dimensions or pixel count.
    #[error(
        "the image is {width}x{height}; at most {max_side} px per side and {max_pixels} pixels"
    )]
    TooLarge {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
        /// Maximum side.
        max_side: u32,
        /// Maximum pixel count.
        max_pixels: u64,
    },
}

impl ImageError {
    /// The stable error code.
    pub const fn code(&self) -> ErrorCode {
        match self {
            Self::Empty | Self::UnsupportedFormat => ErrorCode::UnsupportedMediaType,
            Self::Truncated(_) | Self::Malformed { .. } => ErrorCode::MalformedImage,
            Self::TooManyBytes { .. } => ErrorCode::PayloadTooLarge,
            Self::TooSmall { .. } => ErrorCode::ImageTooSmall,
            Self::TooLarge { .. } => ErrorCode::ImageTooLarge,
        }
    }
}

/// The format the magic bytes announce, if supported.
pub fn sniff_format(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if bytes.starts_with(png::SIGNATURE) {
        Some(ImageFormat::Png)
    } else {
        None
    }
}

/// Reads format and dimensions from the headers (no pixel decoding, no limits).
pub fn inspect(bytes: &[u8]) -> Result<ImageInfo, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    match sniff_format(bytes) {
        Some(ImageFormat::Jpeg) => jpeg::dimensions(bytes),
        Some(ImageFormat::Png) => png::dimensions(bytes),
        None => Err(ImageError::UnsupportedFormat),
    }
    .map(|(format, width, height)| ImageInfo { format, width, height })
}

/// Size, format and dimension checks against `policy`.
pub fn check(bytes: &[u8], policy: &UploadPolicy) -> Result<ImageInfo, ImageError> {
    let size = bytes.len() as u64;
    if size > policy.max_bytes {
        return Err(ImageError::TooManyBytes { size, max: policy.max_bytes });
    }
    let info = inspect(bytes)?;
    let (long, short) = (info.width.max(info.height), info.width.min(info.height));
    if long > policy.max_side || info.pixels() > policy.max_pixels {
        return Err(ImageError::TooLarge {
            width: info.width,
            height: info.height,
            max_side: policy.max_side,
            max_pixels: policy.max_pixels,
        });
    }
    if long < policy.min_long_side || short < policy.min_short_side {
        return Err(ImageError::TooSmall {
            width: info.width,
            height: info.height,
            min_long: policy.min_long_side,
            min_short: policy.min_short_side,
        });
    }
    Ok(info)
}

/// The result of [`strip_metadata`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stripped {
    /// The image without metadata; pixel data is byte-for-byte unchanged.
    pub bytes: Vec<u8>,
    /// The EXIF orientation that was removed, if any. Anything other than
    /// [`Orientation::Normal`] means the caller must rotate the pixels before
    /// storing, or the image would display turned.
    pub orientation: Option<Orientation>,
    /// How many metadata segments or chunks were dropped.
    pub removed: usize,
}

/// Removes metadata losslessly: JPEG APP1 (EXIF, GPS, XMP), APP3–APP13,
/// APP15 and COM segments; PNG text, time, EXIF and unknown ancillary chunks.
/// Keeps what rendering needs: JFIF (APP0), ICC profiles (APP2 `ICC_PROFILE`),
/// Adobe colour transform (APP14); PNG colour chunks.
/// Data after the end-of-image marker is dropped; an image without one is
/// [`ImageError::Truncated`].
pub fn strip_metadata(bytes: &[u8]) -> Result<Stripped, ImageError> {
    match sniff_format(bytes) {
        Some(ImageFormat::Jpeg) => jpeg::strip(bytes),
        Some(ImageFormat::Png) => png::strip(bytes),
        None if bytes.is_empty() => Err(ImageError::Empty),
        None => Err(ImageError::UnsupportedFormat),
    }
}

#[cfg(test)]
pub(crate) mod test_images;

#[cfg(test)]
mod tests {
    use super::test_images::*;
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sniffs_by_magic_not_by_claim() {
        assert_eq!(inspect(&jpeg(800, 600, &[])).unwrap().format, ImageFormat::Jpeg);
        assert_eq!(inspect(&png(800, 600, &[])).unwrap().format, ImageFormat::Png);
        for bad in [&b"GIF89a\x01\x00\x01\x00"[..], b"%PDF-1.7", b"RIFF\0\0\0\0WEBPVP8 ", b"<svg"] {
            assert_eq!(inspect(bad).unwrap_err(), ImageError::UnsupportedFormat);
            assert_eq!(inspect(bad).unwrap_err().code(), ErrorCode::UnsupportedMediaType);
        }
        assert_eq!(inspect(b"").unwrap_err(), ImageError::Empty);
    }

    #[test]
    fn reads_dimensions_from_headers() {
        let info = inspect(&jpeg(1115, 834, &[])).unwrap();
        assert_eq!((info.width, info.height), (1115, 834));
        let info = inspect(&png(640, 480, &[])).unwrap();
        assert_eq!((info.width, info.height), (640, 480));
    }

    #[test]
    fn reads_real_document_photos() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/documents/generated");
        let Ok(entries) = std::fs::read_dir(dir) else {
            return; // ../shared is only beside the project in development and CI
        };
        let mut n = 0;
        for e in entries {
            let path = e.unwrap().path();
            if path.extension().is_some_and(|x| x == "jpg") {
                let bytes = std::fs::read(&path).unwrap();
                let info = check(&bytes, &UploadPolicy::default()).unwrap();
                assert_eq!(info.format, ImageFormat::Jpeg);
                assert!(info.width >= 600 && info.height >= 400, "{path:?}: {info:?}");
                n += 1;
            }
        }
        assert_eq!(n, 30);
    }

    #[test]
    fn applies_the_policy() {
        let p = UploadPolicy { max_bytes: 10_000, ..UploadPolicy::default() };
        let big = vec![0xFFu8; 10_001];
        assert_eq!(check(&big, &p).unwrap_err().code(), ErrorCode::PayloadTooLarge);
        let p = UploadPolicy::default();
        assert_eq!(check(&jpeg(599, 400, &[]), &p).unwrap_err().code(), ErrorCode::ImageTooSmall);
        assert_eq!(check(&jpeg(400, 600, &[]), &p).unwrap().height, 600);
        assert_eq!(check(&png(800, 399, &[]), &p).unwrap_err().code(), ErrorCode::ImageTooSmall);
        assert_eq!(check(&png(12_001, 800, &[]), &p).unwrap_err().code(), ErrorCode::ImageTooLarge);
        // a decompression bomb: tiny file, huge canvas
        let bomb = png(11_000, 11_000, &[]);
        assert!(bomb.len() < 100);
        assert_eq!(check(&bomb, &p).unwrap_err().code(), ErrorCode::ImageTooLarge);
    }

    #[test]
    fn policy_validation() {
        UploadPolicy::default().validate().unwrap();
        let bad = UploadPolicy { min_short_side: 900, ..UploadPolicy::default() };
        assert!(bad.validate().is_err());
        let bad = UploadPolicy { max_bytes: 0, ..UploadPolicy::default() };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn mime_types() {
        assert_eq!(ImageFormat::from_mime_type("image/JPEG; q=1"), Some(ImageFormat::Jpeg));
        assert_eq!(ImageFormat::from_mime_type("image/png"), Some(ImageFormat::Png));
        assert_eq!(ImageFormat::from_mime_type("image/gif"), None);
    }

    proptest! {
        #[test]
        fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = inspect(&bytes);
            let _ = strip_metadata(&bytes);
            let _ = check(&bytes, &UploadPolicy::default());
        }

        #[test]
        fn any_bytes_after_a_jpeg_magic_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut bytes = vec![0xFF, 0xD8, 0xFF];
            bytes.extend(tail);
            let _ = inspect(&bytes);
            let _ = strip_metadata(&bytes);
        }

        #[test]
        fn truncating_a_valid_header_is_an_error_not_a_panic(w in 1u32..5000, h in 1u32..5000, cut in 0usize..200) {
            for img in [jpeg(w, h, &[]), png(w, h, &[])] {
                let cut = cut.min(img.len());
                let _ = inspect(&img[..cut]);
                let _ = strip_metadata(&img[..cut]);
            }
        }

        #[test]
        fn dimensions_round_trip(w in 1u32..65_535, h in 1u32..65_535) {
            let info = inspect(&jpeg(w, h, &[])).unwrap();
            prop_assert_eq!((info.width, info.height), (w, h));
            let info = inspect(&png(w, h, &[])).unwrap();
            prop_assert_eq!((info.width, info.height), (w, h));
        }
    }
}

#[cfg(test)]
mod strip_tests {
    use super::test_images::*;
    use super::*;

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn strips_exif_gps_xmp_and_comments_from_jpeg() {
        let exif = exif_app1(6);
        let xmp = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>GPSLatitude</x:xmpmeta>";
        let icc = b"ICC_PROFILE\0\x01\x01profile-bytes";
        let mpf = b"MPF\0secondary-image";
        let img = jpeg(
            1200,
            800,
            &[(0xE1, &exif), (0xE1, xmp), (0xFE, b"shot by Jane Doe"), (0xE2, icc), (0xE2, mpf)],
        );
        let s = strip_metadata(&img).unwrap();
        assert_eq!(s.orientation, Some(Orientation::Rotate90));
        assert_eq!(s.removed, 4);
        for secret in [&b"GPS"[..], b"Exif", b"xmpmeta", b"Jane Doe", b"secondary-image"] {
            assert!(!contains(&s.bytes, secret), "{}", String::from_utf8_lossy(secret));
        }
        assert!(contains(&s.bytes, b"profile-bytes"), "ICC profile kept");
        assert_eq!(inspect(&s.bytes).unwrap(), inspect(&img).unwrap());
        // entropy-coded data (the tail) is unchanged
        assert!(s.bytes.ends_with(&img[img.len() - 20..]));
        // stripping is idempotent
        let again = strip_metadata(&s.bytes).unwrap();
        assert_eq!(again.bytes, s.bytes);
        assert_eq!(again.removed, 0);
    }

    #[test]
    fn a_jpeg_cut_off_before_its_end_marker_is_truncated() {
        let img = jpeg(800, 600, &[]);
        let cut = &img[..img.len() - 3];
        assert_eq!(inspect(cut).unwrap().width, 800, "the header alone is fine");
        assert_eq!(strip_metadata(cut).unwrap_err(), ImageError::Truncated(ImageFormat::Jpeg));
    }

    #[test]
    fn drops_jfif_thumbnails_and_trailing_data() {
        let mut img = jpeg(800, 600, &[]);
        img.extend_from_slice(b"appended zip file");
        let s = strip_metadata(&img).unwrap();
        assert_eq!(s.removed, 1);
        assert!(s.bytes.ends_with(&[0xFF, 0xD9]));
        assert_eq!(s.orientation, None);
    }

    #[test]
    fn strips_png_text_time_and_exif() {
        let tiff = exif_tiff(3);
        let img = png(
            800,
            600,
            &[
                (b"tEXt", b"Author\0Jane Doe"),
                (b"tIME", &[7, 234, 11, 25, 10, 0, 0]),
                (b"eXIf", &tiff),
                (b"gAMA", &[0, 0, 0xB1, 0x8F]),
                (b"zzZz", b"unknown ancillary"),
            ],
        );
        let s = strip_metadata(&img).unwrap();
        assert_eq!(s.removed, 4);
        assert_eq!(s.orientation, Some(Orientation::Rotate180));
        assert!(!contains(&s.bytes, b"Jane Doe"));
        assert!(!contains(&s.bytes, b"GPS"));
        assert!(contains(&s.bytes, b"gAMA"));
        assert_eq!(inspect(&s.bytes).unwrap(), inspect(&img).unwrap());
    }

    #[test]
    fn rejects_png_with_bad_checksum_or_unknown_critical_chunk() {
        let mut img = png(800, 600, &[]);
        let n = img.len();
        img[n - 20] ^= 0xFF; // inside the IDAT chunk
        assert_eq!(strip_metadata(&img).unwrap_err().code(), ErrorCode::MalformedImage);
        let img = png(800, 600, &[(b"ABCD", b"x")]);
        assert_eq!(strip_metadata(&img).unwrap_err().code(), ErrorCode::MalformedImage);
    }

    #[test]
    fn rejects_truncated_and_inconsistent_jpeg_headers() {
        let img = jpeg(800, 600, &[]);
        assert_eq!(inspect(&img[..30]).unwrap_err(), ImageError::Truncated(ImageFormat::Jpeg));
        // SOS before SOF
        let bad = [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xD9];
        assert_eq!(inspect(&bad).unwrap_err().code(), ErrorCode::MalformedImage);
        // zero height (DNL) is refused
        let zero = jpeg(800, 1, &[]);
        let pos = zero.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        let mut zero = zero;
        zero[pos + 5] = 0;
        zero[pos + 6] = 0;
        assert_eq!(inspect(&zero).unwrap_err().code(), ErrorCode::MalformedImage);
    }
}
