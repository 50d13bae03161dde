#!/usr/bin/env bash
# Builds the deployable Lambda artefacts of kyc-lambda — `bootstrap` zips for
# the provided.al2023 runtime, x86_64 and (when the aarch64 standard library
# is installed: `rustup target add aarch64-unknown-linux-gnu`) arm64 — with
# cargo-lambda and zig from PyPI (no prebuilt downloads), then reports their
# sizes and the cold-start init time of the x86_64 one under a local Lambda
# Runtime API (benches/cold_start.rs) in $out/report.json.
#
#   scripts/lambda-build.sh            # local engines compiled in (~60 MB of models)
#   KYC_LAMBDA_FEATURES=none scripts/lambda-build.sh   # Rekognition/Textract only
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${KYC_LAMBDA_VENV:-$HOME/.cache/kyc-ci/lambda-venv}"
if ! "$venv/bin/cargo-lambda" lambda --version >/dev/null 2>&1; then
  echo "installing cargo-lambda==1.9.2 and ziglang==0.17.1 into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "cargo-lambda==1.9.2" "ziglang==0.17.1"
fi
export PATH="$venv/bin:$PATH"
export CARGO_TARGET_DIR="${KYC_LAMBDA_TARGET_DIR:-$HOME/.cache/kyc-ci/lambda-target}"
# the artefact carries no symbols; panics still name their file and line
export CARGO_PROFILE_RELEASE_STRIP=symbols CARGO_PROFILE_RELEASE_DEBUG=false
out="${KYC_LAMBDA_OUT:-$CARGO_TARGET_DIR/artefacts}"
features=()
if [[ "${KYC_LAMBDA_FEATURES:-local-engines}" == none ]]; then
  features=(--no-default-features)
fi

arches=(x86-64)
if rustup target list --installed 2>/dev/null | grep -q '^aarch64-unknown-linux-gnu$'; then
  arches+=(arm64)
else
  echo "arm64 skipped: the aarch64-unknown-linux-gnu standard library is not installed"
fi
for arch in "${arches[@]}"; do
  start=$(date +%s)
  cargo lambda build --release --locked -p kyc-lambda "${features[@]}" --"$arch" \
    --output-format zip --lambda-dir "$out/$arch"
  echo "$arch built in $(( $(date +%s) - start )) s"
done

# sizes, and the unzipped x86_64 bootstrap for the cold-start measurement
rm -rf "$out/x86-64/unzipped" && mkdir -p "$out/x86-64/unzipped"
python3 - "$out" "${arches[@]}" <<'PY'
import json, sys, zipfile, pathlib
out = pathlib.Path(sys.argv[1]); report = {}
for arch in sys.argv[2:]:
    z = out / arch / "kyc-lambda" / "bootstrap.zip"
    with zipfile.ZipFile(z) as f:
        unzipped = sum(i.file_size for i in f.infolist())
        if arch == "x86-64":
            f.extractall(out / arch / "unzipped")
    report[arch] = {"zip_bytes": z.stat().st_size, "unzipped_bytes": unzipped}
    print(f"{arch}: {z} {z.stat().st_size/1e6:.1f} MB zipped, {unzipped/1e6:.1f} MB unzipped")
(out / "sizes.json").write_text(json.dumps(report, indent=2))
PY
chmod +x "$out/x86-64/unzipped/bootstrap"
KYC_LAMBDA_BOOTSTRAP="$out/x86-64/unzipped/bootstrap" KYC_LAMBDA_REPORT="$out/report.json" \
  KYC_LAMBDA_SIZES="$out/sizes.json" cargo bench --locked -p kyc-lambda --bench cold_start "${features[@]}"
cat "$out/report.json"
