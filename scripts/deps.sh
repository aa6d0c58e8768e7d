#!/usr/bin/env bash
# Installs what gcmon needs on Debian 12 (bookworm), from Debian's packages.
# Idempotent: a package already present is not touched, and when nothing is
# missing this does nothing at all (no apt-get update, no root needed).
#
#   scripts/deps.sh            build + test dependencies (the default suite)
#   scripts/deps.sh cross      + riscv64 cross toolchain, qemu-user, dpkg-dev
#   scripts/deps.sh all        everything any script in scripts/ uses
set -euo pipefail

base=(
  gcc make cmake pkg-config git
  nanopb libnanopb-dev                       # device-side protobuf (daemon)
  protobuf-c-compiler libprotobuf-c-dev      # host-side protobuf (client)
  protobuf-compiler python3 python3-protobuf # independent decoders in tests
  libuv1-dev                                 # event loop, both sides
  libmbedtls-dev                             # SHA-256 for challenge-response
  libmicrohttpd-dev                          # gcmon export (HTTP)
  socat tmux procps iproute2                 # ptys, terminals, netns in tests
  jq bash                                    # JSON as users read it; completion
  prometheus                                 # a real scraper for export tests
  chromium                                   # renders diagnose --html in tests
  libseccomp-dev dpkg-dev                    # RT-Smart profile; libuv source
)
extra=(
  clang libclang-rt-14-dev valgrind          # sanitizers, fuzzing, leak checks
)
cross=(
  gcc-riscv64-linux-gnu libc6-dev-riscv64-cross qemu-user
  binutils-riscv64-linux-gnu
)

want=("${base[@]}")
case "${1:-base}" in
  base) ;;
  extra) want+=("${extra[@]}") ;;
  cross) want+=("${extra[@]}" "${cross[@]}") ;;
  all) want+=("${extra[@]}" "${cross[@]}") ;;
  *) echo "usage: $0 [base|extra|cross|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
    missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
