#!/usr/bin/env python3
"""Build the unseen document-reading evaluation set (issue 15). Never tune on it.

Renders documents with the shared generator (`../shared/data/documents/
gen_documents.py`, its layouts and MRZ code) under a profile nothing was
built on: other text fonts (FreeSans, FreeSerif, Open Sans), other MRZ
fonts (FreeMono, Liberation Mono beside OCR-B), people, names and issuing
states absent from the development profile (hyphenated and multi-part
surnames, three given names), and harsher capture: perspective warp,
uneven lighting, stronger blur and noise, wider rotation, always a
background, JPEG q30-60.

Usage: python3 scripts/eval/documents_unseen.py OUT_DIR [--seed 1501] [--count 60]
Score: BENCH_DOCS_DIR=OUT_DIR KYC_BENCH_OUT=OUT_DIR/report cargo bench -p kyc-vision --bench document
Needs Pillow, NumPy, fontconfig and fonts-ocr-b fonts-dejavu-core
fonts-liberation fonts-freefont-ttf fonts-open-sans.
"""
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.environ.get(
    "KYC_DOC_GENERATOR",
    os.path.join(HERE, "..", "..", "..", "shared", "data", "documents", "gen_documents.py"),
)

UNSEEN = {
    "text_fonts": ["FreeSans.ttf", "FreeSansBold.ttf", "FreeSerif.ttf", "OpenSans-Regular.ttf"],
    "mrz_fonts": ["OCRB.otf", "FreeMono.ttf", "LiberationMono-Regular.ttf"],
    "surnames": ["DUPONT-MOREAU", "VAN DAMME", "KRZYSZTOFOWICZ", "ABERNATHY", "MCALLISTER",
                 "OYELARAN", "LINDQVIST", "BRENNAN", "HOLLOWAY", "DE LA CRUZ", "STRAUSS",
                 "WOJCIK", "FITZGERALD", "KAVANAGH", "NORDSTROM", "PRZYBYLSKI", "ACHTERBERG",
                 "QUINLAN", "VASQUEZ-ROIG", "THORVALDSEN"],
    "given": ["MARIE LOUISE", "JAMES", "ALEKSANDRA", "CONOR PATRICK", "INGRID", "FREYA",
              "MAXIMILIAN", "SIOBHAN", "KASPER", "ELEANOR ROSE", "BARTOSZ", "AOIFE",
              "HANNAH SOPHIE GRACE", "TEODOR", "ZOFIA"],
    "states": ["GBR", "IRL", "AUT", "POL", "CAN", "SWE"],
    "rotation": 6.0, "blur": 2.0, "noise": 14, "jpeg": (30, 60), "perspective": 0.07,
    "background": 1.0, "shadow": 0.6,
}


def main():
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        sys.exit(__doc__)
    spec = importlib.util.spec_from_file_location("gen_documents", GEN)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    gen.PROFILES["unseen"] = UNSEEN
    out, rest = sys.argv[1], sys.argv[2:]
    opts = {"--seed": "1501", "--count": "60"}
    for k, v in zip(rest[::2], rest[1::2]):
        opts[k] = v
    sys.argv = [GEN, "--out", out, "--profile", "unseen", "--prefix", "unseen",
                "--seed", opts["--seed"], "--count", opts["--count"]]
    gen.main()


if __name__ == "__main__":
    main()
