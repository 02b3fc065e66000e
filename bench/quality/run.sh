#!/usr/bin/env bash
# The quality table (bench/results/quality.md): makes build/worlds-venv (numpy, h5py), builds
# unfriend when missing, then runs bench/quality/run.py with any arguments given.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/build/worlds-venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r "$root/bench/worlds/requirements.txt"
fi
[ -x "$root/build/unfriend" ] || bash "$root/.ci/build"
exec "$venv/bin/python" "$root/bench/quality/run.py" "$@"
