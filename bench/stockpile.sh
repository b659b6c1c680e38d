#!/usr/bin/env bash
# Stockpile sizing (issue 18): `chokepoint stockpile` on the built-in `april-2025` scenario
# (world-2024) for the US and 9 products (its buyer cohorts included where they hold the
# product), in-sample paths only (no out-of-sample check), per product and jointly (the LP).
#
#   bench/stockpile.sh              # 1,000 paths, both modes
#   bench/stockpile.sh 200          # a quicker look
#   BIN=/path/to/chokepoint bench/stockpile.sh
#
# Each run is timed by `/usr/bin/time -v` (wall clock and maximum RSS of the whole process).
# Most of the time is the engine's paths (the same in both modes); the joint rows add the LP
# bisection. The load average is printed with every row: the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."

PATHS=${1:-1000}
THREADS=${THREADS:-2}
PRODUCTS=(dy-oxide tb-oxide ndpr-oxide dy-metal tb-metal ndpr-metal ndfeb-magnet-hre ndfeb-magnet-lre smco-magnet)

if [[ -z "${BIN:-}" ]]; then
    cargo build --release -q -p chokepoint-cli
    BIN=target/release/chokepoint
fi
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
args=()
for p in "${PRODUCTS[@]}"; do args+=(--product "$p"); done

printf '%-12s %8s %8s %11s %10s %14s %s\n' mode paths threads candidates "wall s" "peak RSS MiB" "load avg before/after"
for mode in per-product joint; do
    extra=()
    [[ $mode == joint ]] && extra=(--joint)
    before=$(cut -d' ' -f1 /proc/loadavg)
    /usr/bin/time -v -o "$OUT/time.txt" "$BIN" stockpile builtin:april-2025 --region USA \
        "${args[@]}" "${extra[@]}" --paths "$PATHS" --check-paths 0 --threads "$THREADS" \
        --frontier 0.95 --out "$OUT/run" >/dev/null
    after=$(cut -d' ' -f1 /proc/loadavg)
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$OUT/time.txt")
    rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$OUT/time.txt")
    cands=$(($(wc -l <"$OUT/run/stockpile.csv") - 2))
    printf '%-12s %8s %8s %11s %10s %14.1f %s/%s\n' "$mode" "$PATHS" "$THREADS" "$cands" "$wall" \
        "$(echo "$rss / 1024" | bc -l)" "$before" "$after"
done
