//! Synthetic, header-valid images for tests (not decodable pixel data).

use super::crc::crc32;

/// A JPEG with a JFIF header, `extra` segments `(marker, payload)`, a frame
/// header of `w`×`h`, a scan with stuffed bytes, and EOI.
pub(crate) fn jpeg(w: u32, h: u32, extra: &[(u8, &[u8])]) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    let seg = |out: &mut Vec<u8>, marker: u8, payload: &[u8]| {
        out.extend_from_slice(&[0xFF, marker]);
        out.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
        out.extend_from_slice(payload);
    };
    seg(&mut out, 0xE0, b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00");
    for (m, p) in extra {
        seg(&mut out, *m, p);
    }
    seg(&mut out, 0xDB, &[0u8; 65]); // DQT
    let (w16, h16) = (u16::try_from(w).unwrap(), u16::try_from(h).unwrap());
    let mut sof = vec![8];
    sof.extend_from_slice(&h16.to_be_bytes());
    sof.extend_from_slice(&w16.to_be_bytes());
    sof.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    seg(&mut out, 0xC0, &sof);
    seg(&mut out, 0xDA, &[3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0]);
    out.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0x78]);
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

/// An 8-bit RGB PNG header of `w`×`h` with `extra` chunks before a small IDAT.
pub(crate) fn png(w: u32, h: u32, extra: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
    let mut out = super::png::SIGNATURE.to_vec();
    let chunk = |out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]| {
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc32(&[kind, data]).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    for (k, d) in extra {
        chunk(&mut out, k, d);
    }
    chunk(&mut out, b"IDAT", &[0x78, 0x9C, 0x03, 0x00]);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A little-endian TIFF block with one orientation entry and a fake GPS string.
pub(crate) fn exif_tiff(orientation: u16) -> Vec<u8> {
    let mut t = vec![b'I', b'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0];
    t.extend_from_slice(&orientation.to_le_bytes());
    t.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    t.extend_from_slice(b"GPS 51.5007N 0.1246W");
    t
}

/// An APP1 EXIF payload.
pub(crate) fn exif_app1(orientation: u16) -> Vec<u8> {
    let mut p = b"Exif\0\0".to_vec();
    p.extend(exif_tiff(orientation));
    p
}
