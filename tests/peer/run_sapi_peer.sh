#!/usr/bin/env bash
# Runs tests/peer/sapi_ocean_peer.py against calo_sapi_standin with a pinned dwave-cloud-client in
# a virtual environment (created under the build folder when PyPI is reachable). Exits 77 (ctest
# "skipped") with a message when python3, venv or PyPI is unavailable.
# Usage: run_sapi_peer.sh <calo_sapi_standin> <venv dir>
set -uo pipefail
standin=$1
venv=$2
pin="dwave-cloud-client==0.14.8 numpy==2.2.6"  # numpy: estimate_qpu_access_time needs it
here=$(cd "$(dirname "$0")" && pwd)
skip() { echo "SKIP sapi peer check: $*"; exit 77; }
command -v python3 >/dev/null || skip "python3 not found"
if ! "$venv/bin/python" -c 'import sys, importlib.metadata as m; import numpy; sys.exit(m.version("dwave-cloud-client") != "0.14.8")' 2>/dev/null; then
  python3 -m venv "$venv" >/dev/null 2>&1 || skip "python3 -m venv failed (install python3-venv)"
  "$venv/bin/pip" install --disable-pip-version-check -q --timeout 15 --retries 1 $pin \
    >"$venv.pip.log" 2>&1 || skip "pip install $pin failed (offline? see $venv.pip.log)"
fi
exec timeout 600 "$venv/bin/python" "$here/sapi_ocean_peer.py" "$standin"
