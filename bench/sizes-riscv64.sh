#!/usr/bin/env bash
# Measures what gcmon costs in flash and RAM on the K230's riscv64 Linux and
# records it in docs/performance.md between <!-- bench:size:begin --> and
# <!-- bench:size:end -->, keeping everything outside those markers (if they
# are missing, a "Size on riscv64" section is appended). Separate from
# bench/run because it cross-builds: it needs `scripts/deps.sh cross`.
#
# Everything is built -Os (MinSizeRel) with Debian's riscv64 cross gcc, the
# dependencies by scripts/cross-riscv64.sh (build-riscv64/prefix):
#   - the protocol core: gcmon_core, the nanopb runtime and the generated
#     gcmon.pb.c, as text/data/bss of their archives (an upper bound: the
#     linker takes only the members a program calls into);
#   - gcmond with libuv shared and with libuv static (GCMON_LIBUV_STATIC), as
#     text/data/bss and stripped file size, and libuv.so.1 itself;
#   - gcmond of the rtsmart configuration (GCMON_PLATFORM=rtsmart: poll-only
#     libuv from scripts/build-libuv-rtsmart.sh, fully static) and that
#     libuv's archive beside the stock one.
#
#   bench/sizes-riscv64.sh            measure, update docs/performance.md
#   bench/sizes-riscv64.sh --no-doc   measure, print only
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/build-riscv64
prefix=$out/prefix
doc=docs/performance.md
begin='<!-- bench:size:begin -->'
end='<!-- bench:size:end -->'
cross=riscv64-linux-gnu-
jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -le 2 ] || jobs=2
write_doc=1
case "${1:-}" in
  --no-doc) write_doc=0 ;;
  "") ;;
  -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
  *) echo "bench/sizes-riscv64.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
esac

scripts/deps.sh cross
scripts/cross-riscv64.sh --deps-only

# build_size <dir> <cmake args...>: an -Os build of gcmond and the core only.
build_size() {
  local dir=$1
  shift
  cmake -S . -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$root/cmake/riscv64-linux-gnu.cmake" \
    -DGCMON_RISCV64_PREFIX="$prefix" -DCMAKE_BUILD_TYPE=MinSizeRel \
    -DGCMON_WERROR=ON -DGCMON_BUILD_CLIENT=OFF -DGCMON_BUILD_TESTS=OFF \
    -DGCMON_BUILD_BENCH=OFF -DGCMON_BUILD_DAEMON=ON "$@" >/dev/null
  cmake --build "$dir" -j "$jobs" --target gcmond >/dev/null
}
shared=$out/size-shared
static=$out/size-static
echo "bench/sizes-riscv64.sh: building gcmond -Os, libuv shared and static" >&2
build_size "$shared" -DGCMON_LIBUV_STATIC=OFF
build_size "$static" -DGCMON_LIBUV_STATIC=ON
rtsmart=$out/size-rtsmart
scripts/build-libuv-rtsmart.sh riscv64
build_size "$rtsmart" -DGCMON_PLATFORM=rtsmart \
  -DGCMON_LIBUV_RTSMART_PREFIX="$out/prefix-rtsmart"

# sizes <file...>: "text data bss", summed over the files (archives too).
sizes() { "${cross}size" -t "$@" | awk 'END { print $1, $2, $3 }'; }
# stripped <file>: bytes of a stripped copy.
stripped() {
  local tmp n
  tmp=$(mktemp)
  "${cross}strip" -o "$tmp" "$1"
  n=$(stat -c %s "$tmp")
  rm -f "$tmp"
  echo "$n"
}
row() { # <label> <"text data bss"> <stripped bytes or ->
  local t d b
  read -r t d b <<<"$2"
  printf '| %s | %s | %s | %s | %s |\n' "$1" "$t" "$d" "$b" "$3"
}
version() { dpkg-query -W -f='${Version}' "$1" | sed 's/^[0-9]*://; s/-[^-]*$//'; }

core=$shared/proto/libgcmon_core.a
pbgen=$shared/proto/libgcmon_pb_nano.a
nanopb=$prefix/lib/libprotobuf-nanopb.a
uvso=$(readlink -f "$prefix/lib/libuv.so")

table() {
  local commit
  commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  git diff --quiet HEAD -- proto daemon 2>/dev/null || commit+=" + local changes"
  printf '%s, %s, MinSizeRel (-Os), nanopb %s and libuv %s built from Debian sources, commit %s. Bytes.\n' \
    "$(date -u +%Y-%m-%d)" "$("${cross}gcc" --version | head -1)" \
    "$(version libnanopb-dev)" "$(version libuv1-dev)" "$commit"
  echo
  echo "| artifact | text | data | bss | stripped file |"
  echo "|---|--:|--:|--:|--:|"
  row "gcmon_core (framing, CRC-32, errors)" "$(sizes "$core")" "-"
  row "nanopb runtime (pb_common, pb_encode, pb_decode)" "$(sizes "$nanopb")" "-"
  row "generated gcmon.pb.c" "$(sizes "$pbgen")" "-"
  row "**protocol core, total**" "$(sizes "$core" "$nanopb" "$pbgen")" "-"
  row "gcmond, libuv shared" "$(sizes "$shared/daemon/gcmond")" \
    "$(stripped "$shared/daemon/gcmond")"
  row "libuv.so.1 (which that gcmond loads)" "$(sizes "$uvso")" "$(stripped "$uvso")"
  row "gcmond, libuv static" "$(sizes "$static/daemon/gcmond")" \
    "$(stripped "$static/daemon/gcmond")"
  row "gcmond, rtsmart configuration (all static: glibc inside)" \
    "$(sizes "$rtsmart/daemon/gcmond")" "$(stripped "$rtsmart/daemon/gcmond")"
  row "libuv_a.a, stock Linux backend (archive)" \
    "$(sizes "$prefix/lib/libuv_a.a")" "-"
  row "libuv_rtsmart.a, poll-only (archive)" \
    "$(sizes "$out/prefix-rtsmart/lib/libuv_rtsmart.a")" "-"
}

content=$(mktemp)
trap 'rm -f "$content" "$content.doc"' EXIT
table >"$content"
cat "$content"
[ "$write_doc" -eq 1 ] || exit 0

if [ -f "$doc" ] && grep -qxF "$begin" "$doc" && grep -qxF "$end" "$doc"; then
  awk -v b="$begin" -v e="$end" -v f="$content" '
    $0 == b { print; while ((getline line < f) > 0) print line; skip = 1; next }
    $0 == e { skip = 0 }
    !skip { print }' "$doc" >"$content.doc"
else
  { [ -f "$doc" ] && cat "$doc" && echo
    cat <<EOF
## Size on riscv64 (K230)

\`bench/sizes-riscv64.sh\` cross-builds gcmond for riscv64 Linux with \`-Os\`
and measures it with \`riscv64-linux-gnu-size\` (text includes read-only
data; data and bss are what the binary adds to RAM before it allocates
anything) and by stripping a copy. The protocol core rows are archive
totals, an upper bound for a firmware that links only what it calls. glibc
is dynamic in both gcmond builds; the static one carries libuv inside, the
shared one needs \`libuv.so.1\` on the board. Not part of \`bench/run\`: it
needs the cross toolchain (\`scripts/deps.sh cross\`).

$begin
EOF
    cat "$content"
    printf '%s\n' "$end"; } >"$content.doc"
fi
mv "$content.doc" "$doc"
echo "bench/sizes-riscv64.sh: updated $doc" >&2
