#!/usr/bin/env bash
# Builds gcmon's fuzz targets with clang, libFuzzer, ASan and UBSan in
# build-fuzz/ and runs each for S seconds, starting from its committed seed
# corpus (tests/fuzz/corpus/<target>/, recorded from real traffic). Prints
# each target's executions and coverage (libFuzzer's cov: edges and ft:
# features at the end of the run) and fails on the first crash, leak,
# sanitizer report or timeout, leaving the input in build-fuzz/artifacts/.
#
#   scripts/fuzz.sh [S] [TARGET...]      default: 20 s, every target
#   scripts/test --fuzz [S]              the same, after installing clang
#
# New inputs libFuzzer finds go to build-fuzz/corpus/<target>/ (kept between
# runs, never committed). A long run is simply: scripts/fuzz.sh 3600
# Replay a crash: build-fuzz/tests/fuzz/<target> <artifact file>
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=20
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi
case "${1:-}" in
  -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
esac

build=build-fuzz
all_targets=(fuzz_frame_decoder fuzz_compact_decoder fuzz_agent_session)
[ -f client/lib/conn.h ] && all_targets+=(fuzz_client_replies)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

jobs=$(nproc 2>/dev/null || echo 1)
[ "$jobs" -gt 2 ] && jobs=2
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DGCMON_FUZZ=ON \
  -DGCMON_SANITIZE=address,undefined -DGCMON_WERROR=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGCMON_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target "${targets[@]}" >/dev/null

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
mkdir -p "$build/artifacts"
summary=()
status=0
for t in "${targets[@]}"; do
  work="$build/corpus/$t"
  seeds="tests/fuzz/corpus/$t"
  log="$build/$t.log"
  mkdir -p "$work"
  echo "fuzz: $t for ${seconds}s (log: $log)" >&2
  rc=0
  "$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 \
    -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$t-" "$work" "$seeds" >"$log" 2>&1 ||
    rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$last")
  if [ "$rc" -ne 0 ]; then
    status=1
    echo "fuzz: $t FAILED (exit $rc):" >&2
    grep -E 'ERROR|SUMMARY|fuzz check failed|Test unit written|runtime error' \
      "$log" | head -20 >&2 || tail -30 "$log" >&2
    summary+=("$(printf '%-22s FAILED after %s execs' "$t" "${execs:-?}")")
    break
  fi
  summary+=("$(printf '%-22s %10s execs  cov %5s  ft %6s  corpus %s' \
    "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}")")
done

echo
echo "target                      execs  coverage (${seconds}s each)"
printf '%s\n' "${summary[@]}"
exit "$status"
