//! Which camera to use: the integrator's `device-id`, else the user's
//! remembered choice, else the best front camera — judged by what each
//! camera can do (`MediaTrackCapabilities`), not by its label.

/// What a camera reports about itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CameraInfo {
    /// `MediaDeviceInfo.deviceId`.
    pub device_id: String,
    /// The label (shown in the picker, never used to decide).
    pub label: String,
    /// `facingMode` capabilities (`user`, `environment`, …); empty when unknown.
    pub facing: Vec<String>,
    /// Largest width and height it can deliver.
    pub max_size: Option<(u32, u32)>,
    /// Highest frame rate it can deliver.
    pub max_frame_rate: Option<f64>,
}

/// Why a camera is not offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsuitable {
    /// Smaller than 480×360 at best: infrared and depth sensors (e.g. 340×340).
    TooSmall,
    /// Under 10 frames per second at best: infrared sensors, still cameras.
    TooSlow,
}

impl CameraInfo {
    /// Whether the camera can deliver usable colour video for liveness.
    pub fn unsuitable(&self) -> Option<Unsuitable> {
        if let Some((w, h)) = self.max_size
            && (w.max(h) < 480 || w.min(h) < 360)
        {
            return Some(Unsuitable::TooSmall);
        }
        if self.max_frame_rate.is_some_and(|r| r < 10.0) {
            return Some(Unsuitable::TooSlow);
        }
        None
    }

    fn score(&self) -> i32 {
        let mut s = 0;
        if self.facing.iter().any(|f| f == "user") {
            s += 100;
        }
        if self.facing.iter().any(|f| f == "environment") {
            s -= 50;
        }
        if let Some((w, h)) = self.max_size {
            s += (w.min(h).min(1080) / 120) as i32;
        }
        s
    }
}

/// The cameras to offer, best first (unsuitable ones removed).
pub fn rank(cameras: &[CameraInfo]) -> Vec<CameraInfo> {
    // insertion (a few cameras; ties keep their order): the library's stable
    // sort would add kilobytes to the wasm
    let mut ok: Vec<(i32, CameraInfo)> = Vec::new();
    for c in cameras.iter().filter(|c| c.unsuitable().is_none()) {
        let score = c.score();
        let at = ok.iter().position(|(s, _)| *s < score).unwrap_or(ok.len());
        ok.insert(at, (score, c.clone()));
    }
    ok.into_iter().map(|(_, c)| c).collect()
}

/// The camera to open: `wanted` (the integrator's `device-id`) if present,
/// else `remembered` if still there and suitable, else the best ranked.
pub fn choose<'a>(
    ranked: &'a [CameraInfo],
    all: &'a [CameraInfo],
    wanted: Option<&str>,
    remembered: Option<&str>,
) -> Option<&'a CameraInfo> {
    if let Some(w) = wanted.filter(|w| !w.is_empty())
        && let Some(c) = all.iter().find(|c| c.device_id == w)
    {
        return Some(c);
    }
    if let Some(r) = remembered
        && let Some(c) = ranked.iter().find(|c| c.device_id == r)
    {
        return Some(c);
    }
    ranked.first()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cam(id: &str, facing: &[&str], size: (u32, u32), fps: f64) -> CameraInfo {
        CameraInfo {
            device_id: id.into(),
            label: format!("Camera {id}"),
            facing: facing.iter().map(|s| s.to_string()).collect(),
            max_size: Some(size),
            max_frame_rate: Some(fps),
        }
    }

    #[test]
    fn infrared_and_slow_sensors_are_not_offered_whatever_their_label() {
        let mut ir = cam("ir", &["user"], (340, 340), 30.0);
        ir.label = "Integrated Webcam".into();
        assert_eq!(ir.unsuitable(), Some(Unsuitable::TooSmall));
        assert_eq!(cam("slow", &[], (1920, 1080), 5.0).unsuitable(), Some(Unsuitable::TooSlow));
        let ranked = rank(&[ir.clone(), cam("hd", &[], (1280, 720), 30.0)]);
        assert_eq!(ranked.iter().map(|c| c.device_id.as_str()).collect::<Vec<_>>(), ["hd"]);
    }

    #[test]
    fn the_front_camera_is_preferred_then_the_sharper_one() {
        let all = [
            cam("back", &["environment"], (4032, 3024), 30.0),
            cam("front", &["user"], (1280, 720), 30.0),
            cam("usb", &[], (1920, 1080), 30.0),
        ];
        let ranked = rank(&all);
        let ids: Vec<&str> = ranked.iter().map(|c| c.device_id.as_str()).collect();
        assert_eq!(ids, ["front", "usb", "back"]);
    }

    #[test]
    fn equally_good_cameras_keep_their_order() {
        let all = [
            cam("a", &[], (1280, 720), 30.0),
            cam("b", &["user"], (1280, 720), 30.0),
            cam("c", &[], (1280, 720), 30.0),
            cam("d", &[], (1920, 1080), 30.0),
            cam("e", &[], (1280, 720), 30.0),
        ];
        let ranked = rank(&all);
        let ids: Vec<&str> = ranked.iter().map(|c| c.device_id.as_str()).collect();
        assert_eq!(ids, ["b", "d", "a", "c", "e"]);
    }

    #[test]
    fn the_integrator_then_the_remembered_choice_wins() {
        let all = [cam("a", &["user"], (1280, 720), 30.0), cam("b", &[], (1280, 720), 30.0)];
        let ranked = rank(&all);
        assert_eq!(choose(&ranked, &all, Some("b"), Some("a")).unwrap().device_id, "b");
        assert_eq!(choose(&ranked, &all, None, Some("b")).unwrap().device_id, "b");
        assert_eq!(choose(&ranked, &all, None, Some("gone")).unwrap().device_id, "a");
        assert_eq!(choose(&ranked, &all, Some(""), None).unwrap().device_id, "a");
        assert!(choose(&[], &[], None, None).is_none());
    }
}
