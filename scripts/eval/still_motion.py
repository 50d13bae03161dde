#!/usr/bin/env python3
"""The still-frames rule's measure on genuine footage and on noisy stills
(docs/liveness-integrity.md, "Natural motion").

For consecutive face-present frames: the face region cut at the SAME place in
both (a square of 2.5 eye distances around the earlier frame's five YuNet
landmarks), reduced to 16x16 cells of mean luma, centred on its mean, mean
absolute difference in grey levels (kyc_core::challenge::face_region_change);
and the landmarks' mean travel in eye distances. Stills: one frame of each
shared clip and the 25 shared photos, 8 copies each at JPEG q60-95 with
Gaussian noise sigma 0/2/4/8 added.

Usage: python3 scripts/eval/still_motion.py   (numpy, opencv-python-headless)
"""
import glob
import hashlib
import json
import os

import cv2
import numpy as np

SHARED = os.environ.get("KYC_SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared"))
YUNET = os.path.join(SHARED, "models/face/face_detection_yunet_2023mar.onnx")
VIDEO = os.path.join(SHARED, "data/faces/video")
CLIPS = ["intel_headpose_female", "wh_address_a", "wh_address_b", "wh_address_c"]


def detect(img):
    h, w = img.shape[:2]
    d = cv2.FaceDetectorYN.create(YUNET, "", (w, h), 0.6, 0.3, 50)
    _, f = d.detect(img)
    if f is None or len(f) != 1:
        return None
    return f[0][4:14].reshape(5, 2)


def thumb(img, lm, n=16):
    g = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32)
    c = lm.mean(axis=0)
    side = 2.5 * np.linalg.norm(lm[1] - lm[0])
    x0, y0 = int(max(c[0] - side / 2, 0)), int(max(c[1] - side / 2, 0))
    x1, y1 = int(c[0] + side / 2), int(c[1] + side / 2)
    t = cv2.resize(g[y0:y1, x0:x1], (n, n), interpolation=cv2.INTER_AREA)
    return t - t.mean()


def pairs(frames):
    prev, out = None, []
    for img in frames:
        lm = detect(img)
        if lm is None:
            prev = None
            continue
        if prev is not None:
            pimg, plm = prev
            change = float(np.abs(thumb(img, plm) - thumb(pimg, plm)).mean())
            travel = float(np.linalg.norm(lm - plm, axis=1).mean() / np.linalg.norm(plm[1] - plm[0]))
            out.append((change, travel))
        prev = (img, lm)
    return out


def clip(name):
    seen, out = set(), []
    for f in sorted(glob.glob(os.path.join(VIDEO, name, "*.jpg"))):
        b = open(f, "rb").read()
        h = hashlib.sha256(b).hexdigest()
        if h not in seen:
            seen.add(h)
            out.append(cv2.imdecode(np.frombuffer(b, np.uint8), 1))
    return out


def stats(v):
    v = np.array(v)
    return {"n": len(v), "min": round(float(v.min()), 3), "p5": round(float(np.percentile(v, 5)), 3),
            "p50": round(float(np.median(v)), 3), "max": round(float(v.max()), 3)}


def main():
    report = {}
    for c in CLIPS:
        m = pairs(clip(c))
        report[c] = {"change": stats([a for a, _ in m]), "landmark_travel": stats([b for _, b in m])}
    rng = np.random.default_rng(1)
    stills = [clip(c)[5] for c in CLIPS]
    stills += [cv2.imread(f) for f in sorted(glob.glob(os.path.join(SHARED, "data/faces/img*.jpg")))]
    for sigma in [0, 2, 4, 8]:
        m = []
        for s in stills:
            copies = []
            for _ in range(8):
                x = np.clip(s.astype(np.float32) + rng.normal(0, sigma, s.shape), 0, 255).astype(np.uint8)
                ok, b = cv2.imencode(".jpg", x, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(60, 96))])
                copies.append(cv2.imdecode(b, 1))
            m += pairs(copies)
        report[f"still_noise_sigma_{sigma}"] = {"change": stats([a for a, _ in m]),
                                                "landmark_travel": stats([b for _, b in m])}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
