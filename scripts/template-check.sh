#!/usr/bin/env bash
# Offline checks of the AWS infrastructure template (deploy/template.yaml):
#
#   1. cfn-lint 1.58.0             the CloudFormation schema and its rules (no errors, no warnings)
#   2. checkov 3.3.30              security policy (0 failed; every skip carries its reason in
#                                  the resource's Metadata: checkov: skip: - id/comment)
#   3. deploy/check_template.py    what neither checks: the tables' keys, indexes, TTL and
#                                  stream, the throttling, the CORS origin, the DLQ wiring,
#                                  the WAF body-size override, and each function role's
#                                  actions against the AWS calls in kyc-server-aws/src
#
# Each tool gets its own venv (checkov pins boto3): $HOME/.cache/kyc-ci/cfn-venv and
# $HOME/.cache/kyc-ci/checkov-venv, created on first use (pip from PyPI, nothing else
# downloaded). Runs from any directory; prints one summary line per tool and exits 1 if
# any of them fails.
#
#   scripts/template-check.sh
#   KYC_CFN_VENV=... KYC_CHECKOV_VENV=... scripts/template-check.sh
#   KYC_TEMPLATE=path/to/copy.yaml scripts/template-check.sh     # another template
set -euo pipefail
cd "$(dirname "$0")/.."

template="${KYC_TEMPLATE:-deploy/template.yaml}"
cfn_version=1.58.0
checkov_version=3.3.30
cfn_venv="${KYC_CFN_VENV:-$HOME/.cache/kyc-ci/cfn-venv}"
checkov_venv="${KYC_CHECKOV_VENV:-$HOME/.cache/kyc-ci/checkov-venv}"

# venv_with VENV PACKAGE VERSION COMMAND: the venv, made (or remade) unless COMMAND reports VERSION
venv_with() {
  local venv=$1 package=$2 version=$3 command=$4
  if "$venv/bin/$command" --version 2>/dev/null | grep -q "$version"; then
    return 0
  fi
  echo "installing $package==$version into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "$package==$version"
  "$venv/bin/$command" --version | grep -q "$version" || {
    echo "error: $venv/bin/$command is not $package $version" >&2
    return 1
  }
}
venv_with "$cfn_venv" cfn-lint "$cfn_version" cfn-lint
venv_with "$checkov_venv" checkov "$checkov_version" checkov

now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

status=0
summary=()
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# 1. cfn-lint: exit 0 and no output means no error, warning or informational finding shown
start=$(now)
if "$cfn_venv/bin/cfn-lint" -- "$template" >"$out" 2>&1; then cfn_rc=0; else cfn_rc=$?; fi
errors=$(grep -cE '^E[0-9]{4} ' "$out" || true)
warnings=$(grep -cE '^W[0-9]{4} ' "$out" || true)
if [[ $cfn_rc -eq 0 && ! -s $out ]]; then
  summary+=("cfn-lint $cfn_version: clean, 0 errors, 0 warnings ($(took "$start"))")
else
  cat "$out"
  summary+=("cfn-lint $cfn_version: FAILED, $errors errors, $warnings warnings, exit $cfn_rc ($(took "$start"))")
  status=1
fi

# 2. checkov: 0 failed checks (and the parse of its summary line must succeed)
start=$(now)
if "$checkov_venv/bin/checkov" --skip-download --quiet --compact -f "$template" \
  --framework cloudformation >"$out" 2>&1; then checkov_rc=0; else checkov_rc=$?; fi
line=$(grep -E 'Passed checks: [0-9]+, Failed checks: [0-9]+, Skipped checks: [0-9]+' "$out" | head -n1 || true)
if [[ -z $line ]]; then
  cat "$out"
  summary+=("checkov $checkov_version: FAILED, no summary line, exit $checkov_rc ($(took "$start"))")
  status=1
else
  read -r passed failed skipped < <(sed -E 's/.*Passed checks: ([0-9]+), Failed checks: ([0-9]+), Skipped checks: ([0-9]+).*/\1 \2 \3/' <<<"$line")
  if [[ $checkov_rc -eq 0 && $failed -eq 0 ]]; then
    summary+=("checkov $checkov_version: $passed passed, 0 failed, $skipped skipped (each with its reason in the template) ($(took "$start"))")
  else
    cat "$out"
    summary+=("checkov $checkov_version: FAILED, $passed passed, $failed failed, $skipped skipped, exit $checkov_rc ($(took "$start"))")
    status=1
  fi
fi

# 3. the template's own checks (cfn-lint's decoder loads the intrinsic-function tags)
start=$(now)
if "$cfn_venv/bin/python" deploy/check_template.py --template "$template" >"$out" 2>&1; then ct_rc=0; else ct_rc=$?; fi
cat "$out"
line=$(grep -E '^template checks: ' "$out" | tail -n1 || true)
if [[ $ct_rc -eq 0 && -n $line ]]; then
  summary+=("check_template.py: ${line#template checks: } ($(took "$start"))")
else
  summary+=("check_template.py: FAILED, ${line#template checks: }, exit $ct_rc ($(took "$start"))")
  status=1
fi

echo
echo "== $template"
for s in "${summary[@]}"; do
  echo "$s"
done
if [[ $status -ne 0 ]]; then
  echo "template checks FAILED" >&2
fi
exit "$status"
