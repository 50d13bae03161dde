//! Server-side image processing: header checks through `kyc-core`, a full
//! decode with the `image` crate, metadata removal, orientation.

use crate::error::ApiError;
use image::{
    DynamicImage, ImageFormat as Codec, ImageReader, Limits,
    metadata::Orientation as ImgOrientation,
};
use kyc_core::image::{
    ImageError, ImageFormat, ImageInfo, Orientation, UploadPolicy, check, strip_metadata,
};
use std::io::Cursor;

/// An image ready to store.
#[derive(Clone, PartialEq, Eq)]
pub struct ProcessedImage {
    /// Bytes without metadata, oriented for display.
    pub bytes: Vec<u8>,
    /// Format.
    pub format: ImageFormat,
    /// Width after orientation.
    pub width: u32,
    /// Height after orientation.
    pub height: u32,
    /// Metadata segments removed.
    pub metadata_removed: usize,
    /// Whether pixels were rotated/flipped (and so re-encoded).
    pub reoriented: bool,
}

impl std::fmt::Debug for ProcessedImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessedImage")
            .field("len", &self.bytes.len())
            .field("format", &self.format)
            .field("width", &self.width)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

fn codec(f: ImageFormat) -> Codec {
    match f {
        ImageFormat::Jpeg => Codec::Jpeg,
        ImageFormat::Png => Codec::Png,
    }
}

fn undecodable(format: ImageFormat) -> ApiError {
    ImageError::Malformed { format, reason: "the image data could not be decoded" }.into()
}

fn decode(bytes: &[u8], info: &ImageInfo, policy: &UploadPolicy) -> Result<DynamicImage, ApiError> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(policy.max_side);
    limits.max_image_height = Some(policy.max_side);
    // 4 bytes per pixel plus decoder working memory
    limits.max_alloc = Some(info.pixels().saturating_mul(8).max(64 << 20));
    let mut reader = ImageReader::with_format(Cursor::new(bytes), codec(info.format));
    reader.limits(limits);
    reader.decode().map_err(|_| undecodable(info.format))
}

/// The luma of an image that passes `policy`, decoded under its limits
/// (`None` when it does not): what pixel rules such as the liveness
/// still-frames rule read.
pub fn luma(bytes: &[u8], policy: &UploadPolicy) -> Option<image::GrayImage> {
    let info = check(bytes, policy).ok()?;
    decode(bytes, &info, policy).ok().map(|i| i.to_luma8())
}

/// A grey image as `kyc-core`'s pixel rules borrow it.
pub fn grey(img: &image::GrayImage) -> kyc_core::challenge::Grey<'_> {
    kyc_core::challenge::Grey { width: img.width(), height: img.height(), pixels: img.as_raw() }
}

fn encode(img: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>, ApiError> {
    let mut out = Cursor::new(Vec::new());
    match format {
        ImageFormat::Jpeg => {
            let rgb = img.to_rgb8();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
                .encode_image(&rgb)
                .map_err(ApiError::internal)?;
        }
        ImageFormat::Png => img.write_to(&mut out, Codec::Png).map_err(ApiError::internal)?,
    }
    Ok(out.into_inner())
}

/// Validates and prepares an upload: `kyc-core` header checks and limits,
/// lossless metadata removal, a full decode, and (only when EXIF asked for a
/// rotation) re-encoding the rotated pixels. CPU-bound: call from a blocking task.
pub fn process(bytes: &[u8], policy: &UploadPolicy) -> Result<ProcessedImage, ApiError> {
    let info = check(bytes, policy)?;
    let stripped = strip_metadata(bytes)?;
    let mut img = decode(&stripped.bytes, &info, policy)?;
    if img.width() != info.width || img.height() != info.height {
        return Err(undecodable(info.format));
    }
    let orientation = stripped.orientation.unwrap_or(Orientation::Normal);
    if orientation == Orientation::Normal {
        return Ok(ProcessedImage {
            bytes: stripped.bytes,
            format: info.format,
            width: info.width,
            height: info.height,
            metadata_removed: stripped.removed,
            reoriented: false,
        });
    }
    let exif_value = match orientation {
        Orientation::Normal => 1,
        Orientation::FlipHorizontal => 2,
        Orientation::Rotate180 => 3,
        Orientation::FlipVertical => 4,
        Orientation::Transpose => 5,
        Orientation::Rotate90 => 6,
        Orientation::Transverse => 7,
        Orientation::Rotate270 => 8,
    };
    if let Some(o) = ImgOrientation::from_exif(exif_value) {
        img.apply_orientation(o);
    }
    Ok(ProcessedImage {
        bytes: encode(&img, info.format)?,
        format: info.format,
        width: img.width(),
        height: img.height(),
        metadata_removed: stripped.removed,
        reoriented: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{contains, jpeg, with_exif};
    use kyc_core::ErrorCode;

    #[test]
    fn keeps_clean_jpegs_byte_for_byte_apart_from_metadata() {
        let original = jpeg(800, 600);
        let p = process(&original, &UploadPolicy::default()).unwrap();
        assert_eq!((p.width, p.height, p.reoriented), (800, 600, false));
        assert_eq!(p.bytes, original, "a JPEG without metadata is stored unchanged");
    }

    #[test]
    fn strips_exif_and_applies_orientation() {
        let tagged = with_exif(&jpeg(800, 600), 6);
        let p = process(&tagged, &UploadPolicy::default()).unwrap();
        assert_eq!((p.width, p.height, p.reoriented), (600, 800, true));
        assert!(!contains(&p.bytes, b"GPS"));
        assert!(!contains(&p.bytes, b"Exif"));
        let plain = with_exif(&jpeg(800, 600), 1);
        let p = process(&plain, &UploadPolicy::default()).unwrap();
        assert_eq!((p.width, p.height, p.reoriented, p.metadata_removed), (800, 600, false, 1));
        assert!(!contains(&p.bytes, b"GPS"));
    }

    #[test]
    fn rejects_images_whose_data_does_not_decode() {
        let mut broken = jpeg(800, 600);
        let n = broken.len();
        broken.truncate(n / 3); // header intact, scan data cut
        let e = process(&broken, &UploadPolicy::default()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::MalformedImage);
    }
}
