#!/usr/bin/env bash
# Builds what bench/gpu-check.sh runs on a GPU machine and gathers it in bundle/: the unfriend
# binary, gpu_bench, the test binaries that use the GPU, the CUDA backend module they load
# (lib/libunfriend-cuda.so, found beside each binary in lib/), and every shared library they need
# that a bare CUDA machine may lack, found through ldd. Binaries carry an RPATH of $ORIGIN/lib and
# the module one of $ORIGIN, so the bundle runs from any folder. It travels as bundle/payload.tar.xz (plus MANIFEST.txt), which
# gpu-check.sh unpacks where it finds it.
#
# What stays out, and why:
#   - the C runtime (libc, libm, libpthread, libdl, librt, libresolv, ld-linux), libstdc++ and
#     libgcc_s: every glibc Linux has them, and the target image (Ubuntu 24.04, GCC 13+) has newer
#     ones than Debian 12's; a bundled older libstdc++ would shadow the system's for every library
#     in the process.
#   - the driver (libcuda, libnvidia-*): must match the kernel module, always the machine's own.
#   - cuBLAS (libcublas, libcublasLt, 570 MB): part of the CUDA toolkit the target has; the CUDA
#     runtime is linked statically. gpu-check.sh adds the toolkit's lib folders to the search path.
# BLAS/LAPACK are taken from the reference (netlib) build when Debian's alternatives point at
# OpenBLAS (36 MB): the GPU checks never run the CPU backend's heavy BLAS paths, and the size
# limit is real (the bundle travels with the working tree, 64 MiB in all).
#
# Usage: bench/make-gpu-bundle.sh            (from anywhere; JOBS=N for parallel builds)
#        TARGETS="gpu_bench test_cuda_kernels" bench/make-gpu-bundle.sh   (a subset)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$repo/build-gpu-bundle"
bundle="$repo/bundle"
jobs=${JOBS:-2}
limit_mib=60
limit_bytes=$((limit_mib * 1024 * 1024))

say() { printf 'make-gpu-bundle: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ] || die "nvcc not found"

# --disable-new-dtags: DT_RPATH (unlike DT_RUNPATH) also serves the bundled libraries' own
# dependencies (libhdf5 -> libcurl -> ...), so nothing has to set LD_LIBRARY_PATH.
say "configuring $build (sm_90 only)"
cmake -S "$repo" -B "$build" \
  -DCMAKE_BUILD_TYPE=Release \
  -DUNFRIEND_CUDA=ON -DUNFRIEND_TESTS=ON -DUNFRIEND_BENCH=ON \
  -DCMAKE_CUDA_ARCHITECTURES=90 \
  -DCMAKE_SKIP_BUILD_RPATH=OFF \
  '-DCMAKE_BUILD_RPATH=$ORIGIN/lib' \
  -DCMAKE_EXE_LINKER_FLAGS=-Wl,--disable-new-dtags \
  >/dev/null

if [ -n "${TARGETS:-}" ]; then
  read -r -a targets <<<"$TARGETS"
else
  mapfile -t tests < <(cmake --build "$build" --target help | grep -o '\btest_[A-Za-z0-9_]*' | sort -u)
  targets=(unfriend gpu_bench "${tests[@]}")
fi
say "building ${targets[*]} (-j$jobs)"
cmake --build "$build" -j"$jobs" --target "${targets[@]}"

binary_path() {
  local name=$1
  for candidate in "$build/$name" "$build/host/cli/$name" "$build/bench/$name" "$build/tests/$name"; do
    [ -x "$candidate" ] && { echo "$candidate"; return 0; }
  done
  return 1
}

module_name=libunfriend-cuda.so
module="$build/lib/$module_name"
# A binary uses the GPU when it links the CUDA backend itself (test_cuda_*, gpu_bench) or can load
# the module (its loader names the module's file).
uses_gpu() {
  readelf -d "$1" 2>/dev/null | grep -q 'NEEDED.*libcublas' || grep -qF "$module_name" "$1"
}

# The reference BLAS/LAPACK when Debian provides them (see above).
reference_lib() {
  case "$1" in
    libblas.so.3) [ -e /usr/lib/x86_64-linux-gnu/blas/libblas.so.3 ] &&
                    echo /usr/lib/x86_64-linux-gnu/blas/libblas.so.3 ;;
    liblapack.so.3) [ -e /usr/lib/x86_64-linux-gnu/lapack/liblapack.so.3 ] &&
                      echo /usr/lib/x86_64-linux-gnu/lapack/liblapack.so.3 ;;
  esac
  return 0
}

excluded() {
  case "$1" in
    linux-vdso.so.*|ld-linux*|libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|\
    libresolv.so.*|libutil.so.*|libstdc++.so.*|libgcc_s.so.*|libcuda.so.*|libnvidia-*|\
    libcublas.so.*|libcublasLt.so.*|libcudart.so.*) return 0 ;;
  esac
  return 1
}

rm -rf "$bundle"
mkdir -p "$bundle/lib"

needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }

# Copies the shared libraries `file` needs into bundle/lib, then theirs, following NEEDED entries
# (not ldd's flat list: that would follow Debian's OpenBLAS alternative behind liblapack.so.3 even
# where the reference library replaces it).
copy_libs() {
  local file=$1 name chosen
  local -A where=()
  while read -r name chosen; do where[$name]=$chosen; done < <(ldd "$file" | awk '/=>/ {print $1, $3}')
  for name in $(needed "$file"); do
    excluded "$name" && continue
    [ -e "$bundle/lib/$name" ] && continue
    chosen=$(reference_lib "$name")
    [ -n "$chosen" ] || chosen=${where[$name]:-}
    if [ -z "$chosen" ] || [ "$chosen" = "not" ]; then
      die "$(basename "$file") needs $name, which is not found here"
    fi
    cp -L "$chosen" "$bundle/lib/$name"
    chmod u+w "$bundle/lib/$name"
    copy_libs "$chosen"
  done
}

add_binary() {
  local source=$1
  local target
  target="$bundle/$(basename "$source")"
  cp "$source" "$target"
  # Symbols only; the device code (.nv_fatbin, with -lineinfo) is untouched.
  strip --strip-unneeded "$target"
  copy_libs "$target"
}

bundle_bytes() { du -sb "$bundle" | cut -f1; }

required=(unfriend gpu_bench test_cuda_kernels)
optional=()
for t in "${targets[@]}"; do
  case " ${required[*]} " in *" $t "*) continue ;; esac
  path=$(binary_path "$t") || continue
  uses_gpu "$path" && optional+=("$t")
done

for t in "${required[@]}"; do
  if path=$(binary_path "$t"); then
    add_binary "$path"
  else
    case " ${targets[*]} " in *" $t "*) die "built $t not found under $build" ;; esac
  fi
done

# The other GPU-using test binaries. Each links the whole CUDA backend (its kernels' fatbins are
# most of its 10+ MB), so side by side they would not fit uncompressed: the bundle travels as one
# xz archive (about a quarter of the size), which gpu-check.sh unpacks in place.
for t in "${optional[@]}"; do add_binary "$(binary_path "$t")"; done

# The CUDA module, where every binary looks for it (lib/ beside it), with the libraries it needs.
[ -f "$module" ] || die "the CUDA module $module was not built"
cp "$module" "$bundle/lib/$module_name"
strip --strip-unneeded "$bundle/lib/$module_name"
copy_libs "$bundle/lib/$module_name"

# Every binary must resolve every library from the bundle or the excluded system set.
for f in "$bundle"/*; do
  [ -f "$f" ] && [ -x "$f" ] || continue
  if env -u LD_LIBRARY_PATH ldd "$f" | grep -v 'libcublas\|libcuda' | grep -q 'not found'; then
    die "$(basename "$f") has unresolved libraries: $(ldd "$f" | grep 'not found' | tr '\n' ' ')"
  fi
  readelf -d "$f" | grep -q 'RPATH.*\$ORIGIN/lib' || die "$(basename "$f") lacks the \$ORIGIN/lib RPATH"
done
if env -u LD_LIBRARY_PATH ldd "$bundle/lib/$module_name" | grep -v 'libcublas\|libcuda' | grep -q 'not found'; then
  die "$module_name has unresolved libraries: $(ldd "$bundle/lib/$module_name" | grep 'not found' | tr '\n' ' ')"
fi
readelf -d "$bundle/lib/$module_name" | grep -q 'R.*PATH.*\$ORIGIN' || die "$module_name lacks the \$ORIGIN RPATH"
# Every binary that loads the module was built against the same host headers as the module (its
# build id, host/backend/module_build_id.cmake): a header edited while the build ran leaves some
# binaries older, and they would refuse the module on the GPU machine.
build_id() { grep -aoE '[0-9]+\.[0-9]+\.[0-9]+-[0-9a-f]{16}' "$1" | sort -u; }
module_id=$(build_id "$bundle/lib/$module_name")
for f in "$bundle"/*; do
  [ -f "$f" ] && [ -x "$f" ] && grep -qF "$module_name" "$f" || continue
  id=$(build_id "$f")
  [ "$id" = "$module_id" ] ||
    die "$(basename "$f") has build id ${id:-none}, the module $module_id: sources changed during the build; run again"
done
# The bundled unfriend finds and loads the bundled module (cuBLAS is installed here too): without a
# GPU it then says there is none, which only a loaded module can tell.
smoke=$(mktemp -d)
"$bundle/unfriend" synth -o "$smoke/in.h5" --rows 500 --dims 8 --seed 1 >/dev/null 2>&1 ||
  die "bundle/unfriend synth failed"
loaded=$(env -u LD_LIBRARY_PATH -u UNFRIEND_CUDA_MODULE "$bundle/unfriend" sweep "$smoke/in.h5" \
           -o "$smoke/out.h5" --backend auto 2>&1 | grep 'backend: ' | head -1)
rm -rf "$smoke"
case "$loaded" in
  *"CUDA module not loaded"*|"") die "bundle/unfriend does not load the bundled module: ${loaded:-no backend line}" ;;
esac
say "bundle/unfriend loads lib/$module_name (${loaded#*unfriend: })"

unpacked=$(bundle_bytes)
{
  echo "unfriend GPU bundle"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n)"
  echo "commit: $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$repo" diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "nvcc: $( (command -v nvcc >/dev/null && nvcc --version || /usr/local/cuda/bin/nvcc --version) | tail -1)"
  echo "architectures: sm_90 (+ compute_90 PTX)"
  echo "needs on the target: glibc >= 2.36, libstdc++ (GCC 12+), an NVIDIA driver for CUDA 13, cuBLAS 13"
  echo
  echo "unpacked: $unpacked bytes, packed in payload.tar.xz (gpu-check.sh unpacks it):"
  echo
  (cd "$bundle" && find . -type f -printf '%10s  %P\n' | sort -k2)
} >"$bundle/MANIFEST.txt"

say "packing $(awk -v b="$unpacked" 'BEGIN {printf "%.1f MiB", b / 1048576}') into payload.tar.xz"
(cd "$bundle" && find . -mindepth 1 -maxdepth 1 ! -name MANIFEST.txt -printf '%P\n' | sort |
   XZ_OPT=-6T0 tar -cJf payload.tar.xz --remove-files -T -)
total=$(bundle_bytes)

say "bundle: $(awk -v b="$total" 'BEGIN {printf "%.1f MiB", b / 1048576}') in $bundle"
[ "$total" -le "$limit_bytes" ] || die "bundle is over $limit_mib MiB"
