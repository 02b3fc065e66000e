#!/usr/bin/env bash
# The lockstep table (bench/results/lockstep.md): quality on the tuning world (`unfriend synth
# --actions`) and the held-out world (bench/worlds/actionlog.py --actions-out), both settings;
# speed and peak memory; the pandas/scipy pair-counting peer side by side; scaling in actions.
#
#   bash bench/lockstep/run.sh                 # 200K accounts (about 10M actions) per world
#   bash bench/lockstep/run.sh --rows 20000    # quick
#   bash bench/lockstep/run.sh --scaling       # also 30M and 100M actions (synth default)
#   bash bench/lockstep/run.sh --peer-rows 200000   # the peer at that size too (it needs >20 GB)
#
# Worlds and results go under build/lockstep/bench; the table to bench/results/lockstep.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
rows=200000
peer_rows=20000
scaling=0
while (($#)); do
  case "$1" in
    --rows) rows="$2"; shift 2 ;;
    --peer-rows) peer_rows="$2"; shift 2 ;;
    --scaling) scaling=1; shift ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
worlds_venv="$root/build/worlds-venv"
peer_venv="$root/build/lockstep-peer-venv"
if [ ! -x "$worlds_venv/bin/python" ]; then
  python3 -m venv "$worlds_venv"
  "$worlds_venv/bin/pip" install -q -r "$root/bench/worlds/requirements.txt"
fi
if [ ! -x "$peer_venv/bin/python" ]; then
  python3 -m venv "$peer_venv"
  "$peer_venv/bin/pip" install -q -r "$root/bench/peers/lockstep-requirements.txt"
fi
[ -x "$root/build/unfriend" ] || bash "$root/.ci/build"
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
exec "$worlds_venv/bin/python" "$root/bench/lockstep/run.py" --rows "$rows" --peer-rows "$peer_rows" \
  --scaling "$scaling" --peer-python "$peer_venv/bin/python"
