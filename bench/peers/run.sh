#!/usr/bin/env bash
# unfriend side by side with the tools a user would pick instead (scikit-learn DBSCAN and
# HDBSCAN, the hdbscan package, a faiss kNN graph + threshold + connected components), on
# synthetic sets of 50K, 200K and 1M accounts and on Cresci 2017, every run capped in time and
# memory and scored by `unfriend evaluate`. Writes bench/results/peers.md, peers.json and
# peers-*.png. Run from anywhere, as root on Debian 12 (installs what is missing):
#
#   bash bench/peers/run.sh            # the full comparison (under 60 minutes on 2 cores)
#   bash bench/peers/run.sh --quick    # development: 50K and Cresci only, results under
#                                      # build/peers/results-quick (bench/results untouched)
#
# Any other option goes to bench/peers/compare.py (--time-cap S, --mem-cap-gib G, --methods ...,
# --no-projection; see `python bench/peers/compare.py --help`).
set -euo pipefail
cd "$(dirname "$0")/../.."

quick=0
pass=()
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    *) pass+=("$arg") ;;
  esac
done

# System tools: GNU time for wall time and peak RSS, venv for the Python environment; timeout
# (coreutils) and prlimit (util-linux) are part of every Debian install.
missing=()
[ -x /usr/bin/time ] || missing+=(time)
command -v python3 >/dev/null || missing+=(python3)
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
if ((${#missing[@]})); then
  echo "bench/peers: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

venv=build/peers-venv
if [ ! -x "$venv/bin/python" ]; then
  echo "bench/peers: creating $venv"
  mkdir -p build
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r bench/peers/requirements.txt

[ -x build/unfriend ] || bash .ci/build

if ((quick)); then
  sizes=(50000)
  results=build/peers/results-quick
else
  sizes=(50000 200000 1000000)
  results=bench/results
fi
command="bash bench/peers/run.sh${*:+ $*}"
"$venv/bin/python" bench/peers/compare.py --bin build/unfriend --work build/peers \
  --results "$results" --sizes "${sizes[@]}" --grid-sizes 50000 --command "$command" \
  ${pass[@]+"${pass[@]}"}
"$venv/bin/python" bench/peers/report.py --results "$results"
