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
    use kyc_core::ErrorCode;

    pub(crate) fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        let mut out = Cursor::new(Vec::new());
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
            .encode_image(&img)
            .unwrap();
        out.into_inner()
    }

    /// Inserts an EXIF APP1 segment (orientation + a GPS-looking string) after SOI.
    fn with_exif(jpeg: &[u8], orientation: u16) -> Vec<u8> {
        let mut tiff = vec![b'I', b'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0];
        tiff.extend_from_slice(&orientation.to_le_bytes());
        tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        tiff.extend_from_slice(b"GPSLatitude 51.5007");
        let mut payload = b"Exif\0\0".to_vec();
        payload.extend(tiff);
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
        out.extend(payload);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

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
        assert!(!p.bytes.windows(3).any(|w| w == b"GPS"));
        assert!(!p.bytes.windows(4).any(|w| w == b"Exif"));
        let plain = with_exif(&jpeg(800, 600), 1);
        let p = process(&plain, &UploadPolicy::default()).unwrap();
        assert_eq!((p.width, p.height, p.reoriented, p.metadata_removed), (800, 600, false, 1));
        assert!(!p.bytes.windows(3).any(|w| w == b"GPS"));
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
