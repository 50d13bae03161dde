//! Just enough TIFF/EXIF parsing to read the orientation tag before it is removed.

use serde::{Deserialize, Serialize};

/// EXIF orientation (tag 0x0112): how the stored pixels must be transformed for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Orientation {
    /// 1: as stored.
    Normal,
    /// 2: mirror horizontally.
    FlipHorizontal,
    /// 3: rotate 180°.
    Rotate180,
    /// 4: mirror vertically.
    FlipVertical,
    /// 5: mirror horizontally, then rotate 270° clockwise.
    Transpose,
    /// 6: rotate 90° clockwise.
    Rotate90,
    /// 7: mirror horizontally, then rotate 90° clockwise.
    Transverse,
    /// 8: rotate 270° clockwise.
    Rotate270,
}

impl Orientation {
    /// From the EXIF value 1–8.
    pub const fn from_exif(v: u16) -> Option<Self> {
        Some(match v {
            1 => Self::Normal,
            2 => Self::FlipHorizontal,
            3 => Self::Rotate180,
            4 => Self::FlipVertical,
            5 => Self::Transpose,
            6 => Self::Rotate90,
            7 => Self::Transverse,
            8 => Self::Rotate270,
            _ => return None,
        })
    }

    /// Whether displaying swaps width and height.
    pub const fn swaps_dimensions(self) -> bool {
        matches!(self, Self::Transpose | Self::Rotate90 | Self::Transverse | Self::Rotate270)
    }
}

const ORIENTATION_TAG: u16 = 0x0112;
const SHORT: u16 = 3;

/// Reads the orientation from a TIFF structure (the payload after `Exif\0\0`).
pub(super) fn orientation(tiff: &[u8]) -> Option<Orientation> {
    let big_endian = match tiff.get(..2)? {
        b"II" => false,
        b"MM" => true,
        _ => return None,
    };
    let u16_at = |o: usize| -> Option<u16> {
        let b = tiff.get(o..o.checked_add(2)?)?;
        Some(if big_endian {
            u16::from_be_bytes([b[0], b[1]])
        } else {
            u16::from_le_bytes([b[0], b[1]])
        })
    };
    let u32_at = |o: usize| -> Option<u32> {
        let b = tiff.get(o..o.checked_add(4)?)?;
        let a = [b[0], b[1], b[2], b[3]];
        Some(if big_endian { u32::from_be_bytes(a) } else { u32::from_le_bytes(a) })
    };
    if u16_at(2)? != 42 {
        return None;
    }
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let count = usize::from(u16_at(ifd)?);
    for i in 0..count {
        let entry = ifd.checked_add(2)?.checked_add(i.checked_mul(12)?)?;
        if u16_at(entry)? == ORIENTATION_TAG {
            if u16_at(entry + 2)? != SHORT || u32_at(entry + 4)? != 1 {
                return None;
            }
            return Orientation::from_exif(u16_at(entry + 8)?);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_byte_orders() {
        let le = [b'I', b'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0];
        assert_eq!(orientation(&le), Some(Orientation::Rotate90));
        let be = [b'M', b'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 8, 0, 0];
        assert_eq!(orientation(&be), Some(Orientation::Rotate270));
        assert!(Orientation::Rotate270.swaps_dimensions());
        assert!(!Orientation::Rotate180.swaps_dimensions());
    }

    #[test]
    fn rejects_bad_tiff() {
        assert_eq!(orientation(b"XX"), None);
        assert_eq!(orientation(&[b'I', b'I', 42, 0, 0xFF, 0xFF, 0xFF, 0x7F]), None);
        let bad_value =
            [b'I', b'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 9, 0, 0, 0];
        assert_eq!(orientation(&bad_value), None);
    }
}
