#!/usr/bin/env bash
# A fuzzing campaign over every parser of untrusted bytes (images, MRZ,
# names, JSON and multipart request bodies through the router, list files): runs each target
# for SECS seconds (default 180) with cargo-fuzz on nightly, seeded from the
# shared test data when it is there, and writes a JSON report of executions,
# speed, coverage and crashes per target.
#
#   scripts/fuzz-campaign.sh [SECS] [REPORT]    (report default: $CARGO_TARGET_DIR/fuzz-campaign.json)
#   FUZZ_ONLY="http_bodies" scripts/fuzz-campaign.sh 150   (a subset of the targets)
#
# Needs: rustup nightly, `cargo install cargo-fuzz`. Exit code 1 if any target crashed.
set -uo pipefail
cd "$(dirname "$0")/.."
secs="${1:-180}"
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
report="${2:-$target_dir/fuzz-campaign.json}"
shared="${KYC_SHARED:-../shared}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# seeds: a selector byte for list_files, then the head of a real file
seed() { # seed DIR NAME SELECTOR FILE
  [ -f "$4" ] || return 0
  mkdir -p "$1"
  { if [ -n "$3" ]; then printf "\\x$3"; fi; head -c 12000 "$4"; } > "$1/$2"
}
s="$work/seeds"
seed "$s/list_files" un 00 "$shared/data/sanctions/un/consolidated.xml"
seed "$s/list_files" eu 01 "$shared/data/sanctions/eu/eu_fsf_names_aliases_derived.csv"
seed "$s/list_files" uk 03 "$shared/data/sanctions/uk/UK_Sanctions_List_2025-08-11.csv"
seed "$s/list_files" ofac 05 "$shared/data/sanctions/ofac_sdn/sdn.csv"
for f in $(ls "$shared"/data/documents/generated/*.jpg 2>/dev/null | head -3); do
  seed "$s/image_inspect" "$(basename "$f")" "" "$f"
done
head -c 3000 "$shared/data/documents/mrz.jsonl" > "$work/mrz" 2>/dev/null && mkdir -p "$s/mrz_parse" && cp "$work/mrz" "$s/mrz_parse/jsonl"
mkdir -p "$s/wire_json"
echo '{"externalRef":"cust-1","metadata":{"plan":"gold"}}' > "$s/wire_json/create"
echo '{"frameId":"f1","nonce":"00ff","image":"AA==","capturedAt":"2025-11-25T10:00:00.000Z"}' > "$s/wire_json/frame"
mkdir -p "$s/http_bodies"
printf '\x00--XyZ\r\nContent-Disposition: form-data; name="frameId"\r\n\r\nf1\r\n--XyZ\r\nContent-Disposition: form-data; name="image"; filename="f.jpg"\r\n\r\n\xff\xd8\xff\xd9\r\n--XyZ--\r\n' > "$s/http_bodies/frame"
printf '\x01{"frameId":"f1","nonce":"00","image":"AA=="}' > "$s/http_bodies/json"
printf '\x03{"externalRef":"x","metadata":{"a":"b"}}' > "$s/http_bodies/create"

results=()
failed=0
run() { # run FUZZ_DIR TARGET
  local dir="$1" t="$2" corpus="$work/corpus/$2" log="$work/$2.log"
  # FUZZ_ONLY="t1 t2" runs only those targets
  if [ -n "${FUZZ_ONLY:-}" ] && [[ " $FUZZ_ONLY " != *" $t "* ]]; then return 0; fi
  mkdir -p "$corpus"
  [ -d "$s/$t" ] && cp "$s/$t"/* "$corpus/" 2>/dev/null
  echo "== $t ($secs s)"
  cargo +nightly fuzz run --fuzz-dir "$dir" "$t" "$corpus" -- \
    -max_total_time="$secs" -max_len=16384 -print_final_stats=1 -rss_limit_mb=2048 >"$log" 2>&1
  local rc=$?
  local execs speed cov crashed=false
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  if [ "$rc" -ne 0 ] || grep -q 'SUMMARY: \|panicked at\|deadly signal' "$log"; then
    crashed=true; failed=1
    echo "!! $t crashed; log:"; tail -40 "$log"
  fi
  echo "   executions ${execs:-?}, ${speed:-?}/s, coverage ${cov:-?}, crashed $crashed"
  results+=("{\"target\":\"$t\",\"seconds\":$secs,\"executions\":${execs:-0},\"execsPerSec\":${speed:-0},\"coverage\":${cov:-0},\"crashed\":$crashed}")
}
for t in image_inspect mrz_parse name_normalise wire_json; do run kyc-core/fuzz "$t"; done
run kyc-screening/fuzz list_files
run kyc-server/fuzz http_bodies

mkdir -p "$(dirname "$report")"
{ printf '{"commit":"%s","targets":[' "$(git rev-parse --short HEAD)"; (IFS=,; printf '%s' "${results[*]}"); printf ']}\n'; } > "$report"
echo "report: $report"
cat "$report"
exit "$failed"
