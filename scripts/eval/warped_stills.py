#!/usr/bin/env python3
"""Warped-still attack set for the liveness depth rule (issue 14).

Every frontal still in ../shared/data/faces/img*.jpg (img3 left out: it was
used while choosing the threshold) warped as a plane turned 30/45/60 degrees
either way, at focal lengths 250/400/600 px, then measured with
`kyc face inspect --live` (yaw from the pose estimator, parallax of the nose
tip against the four-point homography, as kyc_core::challenge::parallax).

    python3 -m venv /tmp/pyv && /tmp/pyv/bin/pip install pillow numpy
    cargo build -p kyc-server --bin kyc --locked
    /tmp/pyv/bin/python scripts/eval/warped_stills.py target/debug/kyc > docs/eval/warped-stills.json

Set frozen at the commit that adds this file; the threshold (0.15) was chosen
before it was measured and is not tuned on it.
"""
import glob, json, math, os, statistics, subprocess, sys, tempfile
from collections import defaultdict
import numpy as np
from PIL import Image

KYC = sys.argv[1] if len(sys.argv) > 1 else "target/debug/kyc"
SHARED = os.path.join(os.path.dirname(__file__), "../../../shared/data/faces")
NAMES = ("eyeImageLeft", "eyeImageRight", "nose", "mouthImageLeft", "mouthImageRight")


def inspect(path):
    o = json.loads(subprocess.check_output([KYC, "face", "inspect", "--json", "--live", path]))
    if len(o["faces"]) != 1:
        return None
    f = o["faces"][0]
    pts = np.array([[f["landmarks"][k]["x"], f["landmarks"][k]["y"]] for k in NAMES])
    return pts, (f.get("pose") or {}).get("yawDeg")


def homography(src, dst):
    a, b = [], []
    for (x, y), (u, v) in zip(src, dst):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y]); b.append(u)
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y]); b.append(v)
    return np.append(np.linalg.solve(np.array(a), np.array(b)), 1).reshape(3, 3)


def parallax(ref, cur):
    corners = [0, 1, 3, 4]
    n = homography(ref[corners], cur[corners]) @ np.array([ref[2][0], ref[2][1], 1])
    return float(np.linalg.norm(cur[2] - n[:2] / n[2]) / np.linalg.norm(cur[1] - cur[0]))


def tilted(img, theta_deg, f):
    w, h = img.size
    cx, cy, t = w / 2, h / 2, math.radians(theta_deg)

    def fwd(x, y):
        z = f + (x - cx) * math.sin(t)
        return cx + f * (x - cx) * math.cos(t) / z, cy + f * (y - cy) / z

    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], float)
    inv = homography(np.array([fwd(*p) for p in src]), src)
    return img.transform((w, h), Image.PERSPECTIVE, tuple((inv / inv[2, 2]).flatten()[:8]), Image.BICUBIC)


rows = []
with tempfile.TemporaryDirectory() as tmp:
    for src in sorted(glob.glob(os.path.join(SHARED, "img*.jpg"))):
        if os.path.basename(src) == "img3.jpg":
            continue
        ref = inspect(src)
        if ref is None or ref[1] is None or abs(ref[1]) > 12:
            rows.append({"still": os.path.basename(src), "skipped": "not one frontal face"})
            continue
        img = Image.open(src).convert("RGB")
        for f in (250, 400, 600):
            for th in (-60, -45, -30, 30, 45, 60):
                p = os.path.join(tmp, "w.jpg")
                tilted(img, th, f).save(p, quality=90)
                r = inspect(p)
                row = {"still": os.path.basename(src), "focal": f, "theta": th, "face": r is not None}
                if r is not None and r[1] is not None:
                    row.update(yaw=round(r[1], 2), parallax=round(parallax(ref[0], r[0]), 4))
                rows.append(row)

measured = [r for r in rows if "yaw" in r]
turned = [r for r in measured if abs(r["yaw"]) >= 20]
seqs = defaultdict(list)
for r in measured:
    seqs[(r["still"], r["focal"], r["theta"] > 0)].append(r)
completed = [v for v in seqs.values() if sum(abs(r["yaw"]) >= 20 for r in v) >= 2]
passing = [v for v in completed if statistics.median(r["parallax"] for r in v if abs(r["yaw"]) >= 20) >= 0.15]
summary = {
    "stills": len({r["still"] for r in rows}),
    "warps": len([r for r in rows if "skipped" not in r]),
    "warps_measured": len(measured),
    "warps_seen_turned_20deg": len(turned),
    "turned_warps_flat_below_0.15": sum(r["parallax"] < 0.15 for r in turned),
    "sequences": len(seqs),
    "sequences_completing_a_turn": len(completed),
    "of_those_passing_depth": len(passing),
}
json.dump({"summary": summary, "rows": rows}, sys.stdout, indent=1)
