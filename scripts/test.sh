#!/usr/bin/env bash
# The test command (README.md "Test it"): makes sure the AWS emulator the
# kyc-server-aws tests start is installed (moto, in its own virtualenv under
# ~/.cache/kyc-ci/moto; PyPI only), then runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
moto="${KYC_MOTO_VENV:-$HOME/.cache/kyc-ci/moto}"
if ! "$moto/bin/python" -c 'import moto, sys; sys.exit(moto.__version__ != "5.2.6")' 2>/dev/null; then
  echo "installing moto[server]==5.2.6 into $moto"
  python3 -m venv "$moto"
  "$moto/bin/pip" install -q "moto[server]==5.2.6"
fi
export KYC_MOTO_SERVER="$moto/bin/moto_server"
exec cargo test --workspace --locked "$@"
