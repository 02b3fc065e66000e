#!/usr/bin/env bash
# Are the sweep's outputs identical between two commits? Builds both (CPU only) in git worktrees
# under a temporary folder, sweeps the same inputs with each (--backend cpu): the synthetic demo
# set and, where its data is present, Cresci 2017; then compares every dataset and attribute of
# the result files (h5diff, exact) and the summary JSON without its timing and path fields.
#
#   bash bench/byte-identity.sh BASE_REF [HEAD_REF] [--rows N] [--keep] [--jobs J]
#
# HEAD_REF defaults to HEAD. --rows sets the demo set's size (default 200000, the demo's);
# --keep leaves the temporary folder (builds, inputs, outputs) and names it. One line per
# compared file: "identical" or "differs: <what>". Exit status 0 when everything is identical,
# 1 when anything differs, 2 on a usage or build failure.
set -euo pipefail

usage() { echo "usage: bash bench/byte-identity.sh BASE_REF [HEAD_REF] [--rows N] [--keep] [--jobs J]" >&2; exit 2; }

base_ref="" head_ref="" rows=200000 keep=0 jobs=2
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) rows="${2:?}"; shift 2 ;;
    --keep) keep=1; shift ;;
    --jobs) jobs="${2:?}"; shift 2 ;;
    -h|--help) usage ;;
    -*) usage ;;
    *) if [ -z "$base_ref" ]; then base_ref="$1"; elif [ -z "$head_ref" ]; then head_ref="$1"; else usage; fi; shift ;;
  esac
done
[ -n "$base_ref" ] || usage
head_ref="${head_ref:-HEAD}"

repo="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
base_sha="$(git -C "$repo" rev-parse --verify "$base_ref^{commit}")" || usage
head_sha="$(git -C "$repo" rev-parse --verify "$head_ref^{commit}")" || usage

if ! command -v h5diff > /dev/null || ! command -v h5ls > /dev/null; then
  echo "installing hdf5-tools (h5diff, h5ls)" >&2
  apt-get install -y -qq hdf5-tools > /dev/null || { apt-get update -qq && apt-get install -y -qq hdf5-tools > /dev/null; }
fi

tmp="$(mktemp -d /tmp/unfriend-byte-identity.XXXXXX)"
cleanup() {
  for side in base head; do
    [ -d "$tmp/$side" ] && git -C "$repo" worktree remove --force "$tmp/$side" > /dev/null 2>&1 || true
  done
  if [ "$keep" = 1 ]; then echo "kept: $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

# Shared machines: builds and sweeps wait while a benchmark holds the lock.
wait_for_lock() { while [ -e /tmp/unfriend-bench.lock ]; do sleep 10; done; }

build() {  # side sha
  local side="$1" sha="$2"
  git -C "$repo" worktree add --detach "$tmp/$side" "$sha" > /dev/null 2>&1
  wait_for_lock
  echo "building $side ($(git -C "$repo" log -1 --format='%h %s' "$sha" | cut -c1-70))" >&2
  if ! { cmake -S "$tmp/$side" -B "$tmp/$side/build" -DCMAKE_BUILD_TYPE=Release \
           -DUNFRIEND_CUDA=OFF -DUNFRIEND_TESTS=OFF -DUNFRIEND_BENCH=OFF &&
         cmake --build "$tmp/$side/build" -j "$jobs" --target unfriend; } > "$tmp/$side.build.log" 2>&1; then
    tail -20 "$tmp/$side.build.log" >&2
    echo "build of $side failed (log above)" >&2
    exit 2
  fi
}
build base "$base_sha"
build head "$head_sha"

# The inputs, made once (with the base build) so that both sweeps read the same bytes.
mkdir -p "$tmp/data"
bin_base="$tmp/base/build/unfriend"
wait_for_lock
"$bin_base" synth -o "$tmp/data/demo.h5" --rows "$rows" --dims 64 --seed 1 > /dev/null
inputs=(demo)
cresci=""
for d in "$repo/../shared/data/cresci-2017-social-spambots" /work/shared/data/cresci-2017-social-spambots; do
  if [ -d "$d" ]; then cresci="$d"; break; fi
done
if [ -n "$cresci" ]; then
  "$bin_base" import --recipe "$repo/configs/cresci-2017.toml" --data-dir "$cresci" \
    -o "$tmp/data/cresci.h5" > /dev/null
  inputs+=(cresci)
else
  echo "Cresci 2017: skipped (no ../shared/data/cresci-2017-social-spambots nor /work/shared/data)" >&2
fi

# The sweeps: each build in its own folder, with the same relative paths and configuration.
for side in base head; do
  for name in "${inputs[@]}"; do
    mkdir -p "$tmp/out/$side"
    wait_for_lock
    echo "sweeping $name with $side" >&2
    (cd "$tmp/out/$side" &&
       "$tmp/$side/build/unfriend" sweep "$tmp/data/$name.h5" -o "$name.h5" --backend cpu \
         --config "$tmp/$side/configs/default.toml" --no-checkpoint > "$name.log" 2>&1) ||
      { tail -5 "$tmp/out/$side/$name.log" >&2; echo "sweep of $name with $side failed" >&2; exit 2; }
  done
done

# Summary JSON without what changes from run to run: timings, throughput, paths.
strip_summary() {
  python3 - "$1" << 'EOF'
import json, re, sys
volatile = re.compile(r"(seconds|mb_per_s|path|work_dir|summary$|config_source)")
def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if not volatile.search(k)}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x
print(json.dumps(strip(json.load(open(sys.argv[1]))), indent=1, sort_keys=True))
EOF
}

status=0
for name in "${inputs[@]}"; do
  a="$tmp/out/base/$name.h5" b="$tmp/out/head/$name.h5"
  # Every object of either file: a dataset missing from one side differs too.
  objects="$( (h5ls -r "$a"; h5ls -r "$b") | awk '$2 == "Dataset" {print $1}' | sort -u)"
  diffs=()
  for obj in $objects; do
    if ! h5diff -q "$a" "$b" "$obj" "$obj" > /dev/null 2>&1; then diffs+=("$obj"); fi
  done
  # Attributes, exact, but for those that record timings and paths (as in the summary).
  while IFS= read -r attr; do
    [ -n "$attr" ] && diffs+=("attribute $attr")
  done < <(h5diff -r "$a" "$b" 2> /dev/null | awk '
    /^attribute: </ { name = $2; sub(/^</, "", name); obj = $4; gsub(/[<>]/, "", obj); next }
    /^(dataset|group): </ { name = ""; next }
    /differences found$/ && $1 > 0 && name != "" {
      if (name !~ /(seconds|mb_per_s|path|work_dir|config_source)/) print obj ":" name
      name = ""
    }')
  if [ ${#diffs[@]} -eq 0 ]; then
    echo "$name.h5: identical"
  else
    echo "$name.h5: differs: ${diffs[*]}"
    status=1
  fi
  sa="$tmp/out/base/$name.summary.json" sb="$tmp/out/head/$name.summary.json"
  if [ ! -f "$sa" ] || [ ! -f "$sb" ]; then
    echo "$name.summary.json: differs: missing on one side"
    status=1
  elif cmp -s <(strip_summary "$sa") <(strip_summary "$sb"); then
    echo "$name.summary.json: identical (timings and paths left out)"
  else
    fields="$(diff <(strip_summary "$sa") <(strip_summary "$sb") | grep '^[<>]' | head -6 | tr '\n' ' ')"
    echo "$name.summary.json: differs: $fields"
    status=1
  fi
done
exit "$status"
