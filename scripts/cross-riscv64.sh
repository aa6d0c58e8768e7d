#!/usr/bin/env bash
# Cross-builds gcmon for riscv64 Linux and runs its tests under qemu-riscv64.
# Run through `scripts/test --riscv64`, which installs the toolchain first.
#
# Debian ships no riscv64 build of nanopb, libuv or mbedTLS for a cross
# sysroot, so
# this builds them from Debian's own source packages, at the versions the host
# has installed (the host's nanopb generator must match the target runtime):
#
#   build-riscv64/src      apt-get source trees (downloaded once)
#   build-riscv64/deps     their build directories
#   build-riscv64/prefix   their riscv64 install: nanopb runtime (static, with
#                          its CMake package), libuv (static and shared, .pc),
#                          mbedTLS (static libmbedcrypto.a and headers)
#   build-riscv64/gcmon    gcmon itself, -Werror, client off (no protobuf-c)
#
# Dependencies are built -Os (MinSizeRel): the K230 is where memory is short.
# Each is built once per version and options (a stamp in the prefix); delete
# build-riscv64 to start over. If apt has no deb-src entry, one is added for
# the machine's own Debian mirror and suite (root, or sudo).
#
#   scripts/cross-riscv64.sh [-- ctest args]
#   scripts/cross-riscv64.sh --deps-only     only the prefix (for other scripts)
#   scripts/cross-riscv64.sh --libuv-source  fetch only; print the libuv tree
#
# After the linux configuration, the rtsmart one (GCMON_PLATFORM=rtsmart,
# docs/design.md) is built the same way in build-riscv64/gcmon-rtsmart, with
# scripts/build-libuv-rtsmart.sh's poll-only libuv, and tested under qemu.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/build-riscv64
src=$out/src
prefix=$out/prefix
toolchain=$root/cmake/riscv64-linux-gnu.cmake
jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -le 2 ] || jobs=2
deps_only=0
libuv_source_only=0
case "${1:-}" in
  --deps-only) deps_only=1; shift ;;
  --libuv-source) libuv_source_only=1; shift ;;
  --) shift ;;
esac

log() { echo "cross-riscv64: $*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# The source version of the host's installed binary package.
host_source_version() { dpkg-query -W -f='${source:Version}' "$1"; }

# Adds deb-src for the configured Debian archive(s) of this machine's suite:
# every enabled `deb` entry whose suite is <codename> or <codename>-<x>,
# in the same format (one-line .list or deb822 .sources) and options.
add_deb_src() {
  local codename list=/etc/apt/sources.list.d/gcmon-deb-src
  codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
  local lines=() f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    while read -r line; do lines+=("deb-src${line#deb}"); done < <(
      grep -E "^deb[[:space:]]+([[][^]]*[]][[:space:]]+)?[^[:space:]]+[[:space:]]+$codename(-[a-z]+)?[[:space:]]" "$f" || true)
  done
  if [ ${#lines[@]} -gt 0 ]; then
    printf '%s\n' "${lines[@]}" | as_root tee "$list.list" >/dev/null
    log "added $list.list"
    return
  fi
  local stanzas
  stanzas=$(for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822: keep stanzas of type deb for our suite, retyped deb-src.
    awk -v cn="$codename" '
      function flush() {
        if (st != "" && types ~ /(^| )deb( |$)/ && enabled != "no" &&
            suites ~ ("(^| )" cn "(-[a-z]+)?( |$)"))
          print st "\n"
        st = ""; types = ""; suites = ""; enabled = ""
      }
      /^[[:space:]]*#/ { next }
      /^[[:space:]]*$/ { flush(); next }
      {
        line = $0
        if ($1 == "Types:") { types = $0; sub(/^Types:[[:space:]]*/, "", types); line = "Types: deb-src" }
        if ($1 == "Suites:") { suites = $0; sub(/^Suites:[[:space:]]*/, "", suites) }
        if ($1 == "Enabled:") enabled = $2
        st = st (st == "" ? "" : "\n") line
      }
      END { flush() }' "$f"
  done)
  if [ -z "$stanzas" ]; then
    echo "cross-riscv64: no Debian '$codename' entry in /etc/apt/sources.list*;" \
      "add a deb-src line for your mirror and rerun" >&2
    exit 1
  fi
  printf '%s\n' "$stanzas" | sed '1{/^$/d}' | as_root tee "$list.sources" >/dev/null
  log "added $list.sources"
}

ensure_deb_src() {
  apt-cache showsrc nanopb 2>/dev/null | grep -q '^Package: nanopb$' && return
  if ! grep -qsE '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; then
    add_deb_src
  fi
  log "apt-get update (source indexes)"
  as_root apt-get update -qq
}

# fetch_source <source package> <version> -> prints the unpacked tree
fetch_source() {
  local pkg=$1 ver=$2 upstream dir
  upstream=${ver#*:}
  upstream=${upstream%-*}
  dir=$src/$pkg-$upstream
  if [ ! -d "$dir" ]; then
    ensure_deb_src
    mkdir -p "$src"
    log "apt-get source $pkg=$ver"
    (cd "$src" && apt-get source -q "$pkg=$ver") >"$src/$pkg.log" 2>&1 || {
      tail -n 20 "$src/$pkg.log" >&2
      echo "cross-riscv64: apt-get source $pkg=$ver failed (see $src/$pkg.log)" >&2
      exit 1
    }
  fi
  echo "$dir"
}

# build_dep <name> <source tree> <cmake args...>: configure, build, install.
build_dep() {
  local name=$1 tree=$2
  shift 2
  local args=(-G "Unix Makefiles" -DCMAKE_TOOLCHAIN_FILE="$toolchain"
    -DCMAKE_BUILD_TYPE=MinSizeRel -DCMAKE_INSTALL_PREFIX="$prefix"
    -DCMAKE_INSTALL_LIBDIR=lib "$@")
  # The stamp names the source tree and the options, so changing either
  # rebuilds (stale files may remain in the prefix: delete build-riscv64).
  local stamp
  stamp=$prefix/.built-$name-${tree##*/}-$(printf '%s\n' "${args[@]}" | md5sum | cut -c1-8)
  if [ -f "$stamp" ]; then
    log "$name: up to date (${tree##*/})"
    return
  fi
  local dir=$out/deps/$name
  local log=$dir.log
  log "$name: building ${tree##*/} for riscv64 (log: ${log#"$root"/})"
  mkdir -p "$out/deps"
  if ! {
    cmake -S "$tree" -B "$dir" "${args[@]}" &&
      cmake --build "$dir" -j "$jobs" &&
      cmake --install "$dir"
  } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "cross-riscv64: $name build failed, see $log" >&2
    exit 1
  fi
  touch "$stamp"
}

libuv_src=$(fetch_source libuv1 "$(host_source_version libuv1-dev)")
if [ "$libuv_source_only" -eq 1 ]; then echo "$libuv_src"; exit 0; fi
nanopb_src=$(fetch_source nanopb "$(host_source_version libnanopb-dev)")
mbedtls_src=$(fetch_source mbedtls "$(host_source_version libmbedtls-dev)")

# nanopb: the C runtime only (pb_common.c, pb_encode.c, pb_decode.c) as a
# static library; the generator stays the host's nanopb_generator.py.
build_dep nanopb "$nanopb_src" -Dnanopb_BUILD_GENERATOR=OFF \
  -Dnanopb_BUILD_RUNTIME=ON -DBUILD_SHARED_LIBS=OFF -DBUILD_STATIC_LIBS=ON
# libuv: libuv.so + libuv.pc and libuv_a.a + libuv-static.pc.
build_dep libuv "$libuv_src" -DLIBUV_BUILD_TESTS=OFF -DLIBUV_BUILD_BENCH=OFF
# mbedTLS: only libmbedcrypto is linked (SHA-256 for challenge-response);
# static, no programs or tests.
build_dep mbedtls "$mbedtls_src" -DENABLE_PROGRAMS=OFF -DENABLE_TESTING=OFF \
  -DUSE_SHARED_MBEDTLS_LIBRARY=OFF -DUSE_STATIC_MBEDTLS_LIBRARY=ON \
  -DMBEDTLS_FATAL_WARNINGS=OFF
[ "$deps_only" -eq 0 ] || exit 0

log "gcmon: configure + build"
cmake -S . -B "$out/gcmon" -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
  -DGCMON_RISCV64_PREFIX="$prefix" -DGCMON_WERROR=ON \
  -DGCMON_BUILD_CLIENT=OFF >/dev/null
cmake --build "$out/gcmon" -j "$jobs"
log "gcmon: ctest under qemu-riscv64"
ctest --test-dir "$out/gcmon" --output-on-failure -j "$jobs" "$@"

scripts/build-libuv-rtsmart.sh riscv64
log "gcmon (rtsmart): configure + build"
cmake -S . -B "$out/gcmon-rtsmart" -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
  -DGCMON_RISCV64_PREFIX="$prefix" -DGCMON_WERROR=ON \
  -DGCMON_PLATFORM=rtsmart -DGCMON_LIBUV_RTSMART_PREFIX="$out/prefix-rtsmart" \
  -DGCMON_BUILD_BENCH=OFF >/dev/null
cmake --build "$out/gcmon-rtsmart" -j "$jobs"
log "gcmon (rtsmart): ctest under qemu-riscv64"
ctest --test-dir "$out/gcmon-rtsmart" --output-on-failure -j "$jobs" "$@"
