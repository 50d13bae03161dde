//! Pixel sampling for model inputs: affine warps with bilinear interpolation
//! straight into tensor layouts, plus the similarity transform used to align faces.

use image::RgbImage;

/// A 2-D affine map `p' = A·p + t`, stored as `[a, b, tx, c, d, ty]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Affine(pub(crate) [f32; 6]);

impl Affine {
    pub(crate) fn apply(&self, x: f32, y: f32) -> (f32, f32) {
        let m = &self.0;
        (m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5])
    }

    /// The inverse map (`None` if singular).
    pub(crate) fn inverse(&self) -> Option<Affine> {
        let [a, b, tx, c, d, ty] = self.0;
        let det = a * d - b * c;
        if det.abs() < 1e-12 {
            return None;
        }
        let (ia, ib, ic, id) = (d / det, -b / det, -c / det, a / det);
        Some(Affine([ia, ib, -(ia * tx + ib * ty), ic, id, -(ic * tx + id * ty)]))
    }

    /// The similarity (rotation, uniform scale, translation) taking `src[0]→dst[0]`, `src[1]→dst[1]`.
    pub(crate) fn from_two_points(src: [(f32, f32); 2], dst: [(f32, f32); 2]) -> Option<Affine> {
        let (sx, sy) = (src[1].0 - src[0].0, src[1].1 - src[0].1);
        let (dx, dy) = (dst[1].0 - dst[0].0, dst[1].1 - dst[0].1);
        let sn = sx * sx + sy * sy;
        if sn < 1e-6 {
            return None;
        }
        // complex division (dst vector / src vector) = scale · e^{iθ}
        let c = (dx * sx + dy * sy) / sn;
        let s = (dy * sx - dx * sy) / sn;
        let tx = dst[0].0 - (c * src[0].0 - s * src[0].1);
        let ty = dst[0].1 - (s * src[0].0 + c * src[0].1);
        Some(Affine([c, -s, tx, s, c, ty]))
    }

    /// Least-squares similarity taking the points `src` onto `dst` (Umeyama in 2-D).
    pub(crate) fn fit_similarity(src: &[(f32, f32)], dst: &[(f32, f32)]) -> Option<Affine> {
        let n = src.len().min(dst.len());
        if n < 2 {
            return None;
        }
        let nf = n as f32;
        let mean = |p: &[(f32, f32)]| {
            let (sx, sy) = p[..n].iter().fold((0.0, 0.0), |a, q| (a.0 + q.0, a.1 + q.1));
            (sx / nf, sy / nf)
        };
        let (ms, md) = (mean(src), mean(dst));
        let (mut a, mut b, mut norm) = (0.0f32, 0.0f32, 0.0f32);
        for i in 0..n {
            let (px, py) = (src[i].0 - ms.0, src[i].1 - ms.1);
            let (qx, qy) = (dst[i].0 - md.0, dst[i].1 - md.1);
            a += px * qx + py * qy;
            b += px * qy - py * qx;
            norm += px * px + py * py;
        }
        if norm < 1e-6 {
            return None;
        }
        let (c, s) = (a / norm, b / norm);
        let tx = md.0 - (c * ms.0 - s * ms.1);
        let ty = md.1 - (s * ms.0 + c * ms.1);
        Some(Affine([c, -s, tx, s, c, ty]))
    }
}

/// Samples `img` at (x, y) bilinearly; outside the image is black.
#[inline]
fn bilinear(img: &RgbImage, x: f32, y: f32) -> [f32; 3] {
    let (w, h) = (img.width() as i32, img.height() as i32);
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let (x0, y0) = (x0 as i32, y0 as i32);
    let raw = img.as_raw();
    let px = |xx: i32, yy: i32| -> [f32; 3] {
        if xx < 0 || yy < 0 || xx >= w || yy >= h {
            return [0.0; 3];
        }
        let i = ((yy * w + xx) * 3) as usize;
        [f32::from(raw[i]), f32::from(raw[i + 1]), f32::from(raw[i + 2])]
    };
    let (p00, p10, p01, p11) = (px(x0, y0), px(x0 + 1, y0), px(x0, y0 + 1), px(x0 + 1, y0 + 1));
    let mut out = [0.0; 3];
    for c in 0..3 {
        let top = p00[c] + (p10[c] - p00[c]) * fx;
        let bottom = p01[c] + (p11[c] - p01[c]) * fx;
        out[c] = top + (bottom - top) * fy;
    }
    out
}

/// Channel order and memory layout of a model input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// `[1, 3, H, W]`, channels R, G, B.
    NchwRgb,
    /// `[1, 3, H, W]`, channels B, G, R.
    NchwBgr,
    /// `[1, H, W, 3]`, channels R, G, B.
    NhwcRgb,
}

/// Fills a `out_w`×`out_h` tensor by sampling `img` through `out_to_src`
/// (pixel centres), scaling values by `scale`. `flip` mirrors horizontally.
pub(crate) fn warp_into(
    img: &RgbImage,
    out_to_src: &Affine,
    out_w: usize,
    out_h: usize,
    layout: Layout,
    scale: f32,
    flip: bool,
) -> Vec<f32> {
    let plane = out_w * out_h;
    let mut buf = vec![0.0f32; plane * 3];
    for oy in 0..out_h {
        for ox in 0..out_w {
            let sx_out = if flip { out_w - 1 - ox } else { ox };
            let (sx, sy) = out_to_src.apply(sx_out as f32 + 0.5, oy as f32 + 0.5);
            let [r, g, b] = bilinear(img, sx - 0.5, sy - 0.5);
            let (r, g, b) = (r * scale, g * scale, b * scale);
            let i = oy * out_w + ox;
            match layout {
                Layout::NchwRgb => {
                    buf[i] = r;
                    buf[plane + i] = g;
                    buf[2 * plane + i] = b;
                }
                Layout::NchwBgr => {
                    buf[i] = b;
                    buf[plane + i] = g;
                    buf[2 * plane + i] = r;
                }
                Layout::NhwcRgb => {
                    buf[i * 3] = r;
                    buf[i * 3 + 1] = g;
                    buf[i * 3 + 2] = b;
                }
            }
        }
    }
    buf
}

/// Letterboxes `img` into a `size`×`size` tensor (top-left aligned, zero
/// padding); returns the tensor and the scale from image to tensor pixels.
pub(crate) fn letterbox(img: &RgbImage, size: usize, layout: Layout) -> (Vec<f32>, f32) {
    let s = size as f32 / img.width().max(img.height()) as f32;
    let map = Affine([1.0 / s, 0.0, 0.0, 0.0, 1.0 / s, 0.0]);
    let (w, h) = (
        ((img.width() as f32 * s).round() as usize).min(size),
        ((img.height() as f32 * s).round() as usize).min(size),
    );
    let mut out = vec![0.0f32; size * size * 3];
    let region = warp_into(img, &map, w, h, layout, 1.0, false);
    // copy the w×h region into the size×size canvas
    let (plane_in, plane_out) = (w * h, size * size);
    for c in 0..3 {
        for y in 0..h {
            for x in 0..w {
                let v = match layout {
                    Layout::NhwcRgb => region[(y * w + x) * 3 + c],
                    _ => region[c * plane_in + y * w + x],
                };
                match layout {
                    Layout::NhwcRgb => out[(y * size + x) * 3 + c] = v,
                    _ => out[c * plane_out + y * size + x] = v,
                }
            }
        }
    }
    (out, s)
}

/// Mean luma and variance of the Laplacian of a region, measured on a
/// grayscale copy resized to 96 px wide (so sharpness does not depend on face size).
pub(crate) fn luma_stats(img: &RgbImage, x: f32, y: f32, w: f32, h: f32) -> (f32, f32) {
    let side = 96usize;
    let out_h = ((h / w.max(1.0)) * side as f32).round().clamp(8.0, 192.0) as usize;
    let sx = w / side as f32;
    let sy = h / out_h as f32;
    let map = Affine([sx, 0.0, x, 0.0, sy, y]);
    let rgb = warp_into(img, &map, side, out_h, Layout::NhwcRgb, 1.0, false);
    let gray: Vec<f32> =
        rgb.chunks_exact(3).map(|p| 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]).collect();
    let mean = gray.iter().sum::<f32>() / gray.len() as f32;
    let (mut sum, mut sum2, mut n) = (0.0f64, 0.0f64, 0.0f64);
    for yy in 1..out_h - 1 {
        for xx in 1..side - 1 {
            let i = yy * side + xx;
            let lap = gray[i - 1] + gray[i + 1] + gray[i - side] + gray[i + side] - 4.0 * gray[i];
            sum += f64::from(lap);
            sum2 += f64::from(lap) * f64::from(lap);
            n += 1.0;
        }
    }
    let var = if n > 0.0 { sum2 / n - (sum / n).powi(2) } else { 0.0 };
    (mean, var as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_point_similarity_maps_points_exactly() {
        let m = Affine::from_two_points([(10.0, 20.0), (50.0, 20.0)], [(0.0, 0.0), (0.0, 80.0)])
            .unwrap();
        let (x, y) = m.apply(10.0, 20.0);
        assert!(x.abs() < 1e-4 && y.abs() < 1e-4);
        let (x, y) = m.apply(50.0, 20.0);
        assert!(x.abs() < 1e-4 && (y - 80.0).abs() < 1e-4);
        let inv = m.inverse().unwrap();
        let (x, y) = inv.apply(0.0, 80.0);
        assert!((x - 50.0).abs() < 1e-3 && (y - 20.0).abs() < 1e-3);
    }

    #[test]
    fn least_squares_recovers_an_exact_similarity() {
        let truth =
            Affine::from_two_points([(0.0, 0.0), (1.0, 0.0)], [(5.0, 7.0), (5.0, 9.0)]).unwrap();
        let src = [(1.0, 2.0), (3.0, -1.0), (-2.0, 4.0), (0.5, 0.5)];
        let dst: Vec<_> = src.iter().map(|p| truth.apply(p.0, p.1)).collect();
        let fit = Affine::fit_similarity(&src, &dst).unwrap();
        for (a, b) in fit.0.iter().zip(truth.0.iter()) {
            assert!((a - b).abs() < 1e-4, "{fit:?} vs {truth:?}");
        }
    }

    #[test]
    fn letterbox_keeps_aspect_and_pads_with_zero() {
        let img = RgbImage::from_pixel(40, 20, image::Rgb([200, 100, 50]));
        let (t, s) = letterbox(&img, 8, Layout::NchwBgr);
        assert_eq!(s, 0.2);
        assert_eq!(t.len(), 3 * 64);
        assert!((t[0] - 50.0).abs() < 1e-3, "B first"); // row 0 col 0, blue plane
        assert_eq!(t[5 * 8], 0.0, "row 5 is padding (image is 4 rows tall)");
        assert!((t[2 * 64] - 200.0).abs() < 1e-3, "R plane");
    }

    #[test]
    fn sharp_edges_have_more_laplacian_variance_than_flat_regions() {
        let flat = RgbImage::from_pixel(100, 100, image::Rgb([128, 128, 128]));
        let checker = RgbImage::from_fn(100, 100, |x, y| {
            if (x / 4 + y / 4) % 2 == 0 { image::Rgb([255; 3]) } else { image::Rgb([0; 3]) }
        });
        let (m1, v1) = luma_stats(&flat, 0.0, 0.0, 100.0, 100.0);
        let (_, v2) = luma_stats(&checker, 0.0, 0.0, 100.0, 100.0);
        assert!((m1 - 128.0).abs() < 1.0);
        assert!(v1 < 1.0 && v2 > 1000.0, "{v1} {v2}");
    }
}
