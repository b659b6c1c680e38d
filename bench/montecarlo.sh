#!/usr/bin/env bash
# Monte Carlo throughput and peak memory (issue 4): the built-in `april-2025` scenario
# (world-2024 with buyer cohorts: 41 regions, 720 links, 365 days) at 1,000 and 10,000 paths on 1 and 2 threads.
#
#   bench/montecarlo.sh                  # the full table (~6 min on the 2-core machine)
#   bench/montecarlo.sh 1000             # only the 1,000-path rows
#   BIN=/path/to/chokepoint bench/montecarlo.sh 1000   # measure another build (e.g. an older one)
#   THREADS=2 bench/montecarlo.sh 10000                # one thread count only
#   BANDS="headline all" THREADS=2 bench/montecarlo.sh 10000   # issue 20: both band choices
#
# Each (paths, threads) row runs every band choice of BANDS (default: `headline`, the default
# set, then `all`, every series as before issue 20) back to back, so that the two are measured
# under the same load.
#
# Each run is timed by `/usr/bin/time -v` (wall clock and maximum RSS of the whole process,
# including writing the output folder). Wall time depends on what else the machine runs: the
# load average is printed with every row so that a disturbed measurement can be spotted and
# repeated.
set -euo pipefail
cd "$(dirname "$0")/.."

LINKS=${LINKS:-720}
DAYS=${DAYS:-365}
SEED=${SEED:-1}
read -r -a THREAD_COUNTS <<<"${THREADS:-1 2}"
read -r -a BAND_CHOICES <<<"${BANDS:-headline all}"
SIZES=("${@:-1000 10000}")
read -r -a SIZES <<<"${SIZES[*]}"

if [[ -z "${BIN:-}" ]]; then
    cargo build --release -q -p chokepoint-cli
    BIN=target/release/chokepoint
fi
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

printf '%8s %8s %9s %10s %10s %14s %14s %s\n' paths threads bands "wall s" "paths/s" "link-days/s" "peak RSS MiB" "load avg (1 min) before/after"
for paths in "${SIZES[@]}"; do
    for threads in "${THREAD_COUNTS[@]}"; do
      for bands in "${BAND_CHOICES[@]}"; do
        before=$(cut -d' ' -f1 /proc/loadavg)
        /usr/bin/time -v -o "$OUT/time.txt" "$BIN" run --paths "$paths" --seed "$SEED" \
            --threads "$threads" --bands "$bands" --quiet --out "$OUT/run" >/dev/null
        after=$(cut -d' ' -f1 /proc/loadavg)
        wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {
            n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$OUT/time.txt")
        rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$OUT/time.txt")
        awk -v p="$paths" -v t="$threads" -v w="$wall" -v r="$rss" -v l="$LINKS" -v d="$DAYS" \
            -v b="$before" -v a="$after" -v c="$bands" 'BEGIN {
            printf "%8d %8d %9s %10.1f %10.1f %13.2fM %14.0f %s/%s\n", p, t, c, w, p / w, p * d * l / w / 1e6, r / 1024, b, a }'
        rm -rf "$OUT/run"
      done
    done
done
