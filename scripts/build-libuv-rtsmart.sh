#!/usr/bin/env bash
# Builds the poll-only libuv of the rtsmart configuration (docs/design.md,
# "The rtsmart configuration") from Debian's libuv1 source package, the same
# version as the host's libuv1-dev, fetched by scripts/cross-riscv64.sh.
# The build description is daemon/rtsmart/CMakeLists.txt.
#
#   scripts/build-libuv-rtsmart.sh host      -> build-rtsmart/prefix-host
#                                               (host compiler, for tests)
#   scripts/build-libuv-rtsmart.sh riscv64   -> build-riscv64/prefix-rtsmart
#
# Then: cmake -S . -B build-rtsmart/gcmon -DGCMON_PLATFORM=rtsmart \
#         -DGCMON_LIBUV_RTSMART_PREFIX=<prefix> [riscv64 toolchain args]
# Rebuilt only when the source tree or daemon/rtsmart changes (a stamp).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target=${1:-host}
jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -le 2 ] || jobs=2
case "$target" in
  host)
    out=$root/build-rtsmart
    args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
    ;;
  riscv64)
    out=$root/build-riscv64
    args=(-DCMAKE_TOOLCHAIN_FILE="$root/cmake/riscv64-linux-gnu.cmake"
      -DGCMON_RISCV64_EMULATOR= -DCMAKE_BUILD_TYPE=MinSizeRel)
    ;;
  *) echo "usage: $0 host|riscv64" >&2; exit 2 ;;
esac
prefix=$out/prefix-${target/riscv64/rtsmart}
[ "$target" = host ] && prefix=$out/prefix-host

src=$(scripts/cross-riscv64.sh --libuv-source)
stamp=$prefix/.built-$(basename "$src")-$(cat daemon/rtsmart/* | md5sum | cut -c1-8)
if [ -f "$stamp" ]; then
  echo "build-libuv-rtsmart: $target up to date ($(basename "$src"))" >&2
  exit 0
fi
dir=$out/deps/libuv-rtsmart-$target
log=$dir.log
mkdir -p "$out/deps"
echo "build-libuv-rtsmart: $(basename "$src") for $target (log: ${log#"$root"/})" >&2
if ! {
  rm -rf "$dir" "$prefix" &&
    cmake -S daemon/rtsmart -B "$dir" -DLIBUV_SOURCE_DIR="$src" \
      -DCMAKE_INSTALL_PREFIX="$prefix" "${args[@]}" &&
    cmake --build "$dir" -j "$jobs" &&
    cmake --install "$dir"
} >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  echo "build-libuv-rtsmart: failed, see $log" >&2
  exit 1
fi
touch "$stamp"
