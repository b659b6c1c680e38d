#!/usr/bin/env bash
# An older build against this one on the repository's three benchmarks:
#   - the engine alone (`cargo bench -p chokepoint-core --bench engine`, link_days group: the
#     built-in scenario and synthetic networks 10x and 100x larger, 10 samples a run),
#   - Monte Carlo (`chokepoint run --paths N --seed 1` of the built-in scenario, as
#     bench/montecarlo.sh), at 1 and at 2 threads,
#   - ARIO (`chokepoint ario`, compat mode, 365 steps on a seeded synthetic 30 x 100 MRIO with a
#     50% arbitrary shock, as bench/ario/run.sh; ms per step from run_info.json).
# This 2-core VM's speed drifts by up to 40% from minute to minute, so single-threaded
# measurements run old and new at the same time, one per core (taskset), swapping cores every
# round: both see the same machine, and each round gives a ratio new/old. The 2-thread Monte
# Carlo runs also run old and new at the same time (run one after the other, the 2-core VM's
# drift gave new/old ratios from 0.92 to 1.23 for the same code). Each row gives the median of each side
# and the median of the per-round ratios. Deterministic instruction counts (callgrind) of one
# built-in run and of a 20-path Monte Carlo run follow the timing table.
#
#   git worktree add ../old <commit>   # or any other checkout of the older build
#   bench/side-by-side.sh ../old       # ROUNDS=6 PATHS=1000; ~15 min
set -euo pipefail
cd "$(dirname "$0")/.."
NEW="$PWD"
OLD="$(cd "${1:?usage: bench/side-by-side.sh OLD_CHECKOUT}" && pwd)"
ROUNDS=${ROUNDS:-6}
PATHS=${PATHS:-1000}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

build() { # checkout
  (cd "$1" && cargo build --release -q -p chokepoint-cli &&
    cargo build --release -q -p chokepoint-ario --example ario_synth &&
    cargo build --release -q -p chokepoint-core --example profile_builtin &&
    cargo bench -q -p chokepoint-core --bench engine --no-run 2>/dev/null)
}
echo "building $OLD and $NEW ..." >&2
build "$OLD"
build "$NEW"
engine_bench() { ls -t "$1"/target/release/deps/engine-* | grep -v '\.d$' | head -1; }
ario_cmd() { # checkout -> how it runs the ARIO command (an example binary before issue 15)
  if [[ -x "$1/target/release/examples/ario" ]]; then echo "$1/target/release/examples/ario"
  else echo "$1/target/release/chokepoint ario"; fi
}
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# divan: "│  ├─ builtin   fastest │ slowest │ median │ mean │ ..." in the link_days group; ms.
divan_ms() { # file case
  awk -v c="$2" '$0 ~ "─ " c " " && /│/ {
    split($0, f, "│"); m = f[4]; gsub(/^ +| +$/, "", m); split(m, p, " ");
    v = p[1]; u = p[2]; if (u == "s") v *= 1000; else if (u == "µs") v /= 1000; print v; exit }' "$1"
}
secs() { /usr/bin/time -f %e -o "$1" "${@:2}" >/dev/null 2>&1; }
ario_ms() { python3 -c "import json; print(1e3 * json.load(open('$1/run_info.json'))['timing_s']['per_step_mean'])"; }

# One single-threaded measurement of `side` (old|new) on `core`, tagged with the round.
measure() { # side core round
  local side=$1 core=$2 r=$3 dir=$OLD
  [[ $side == new ]] && dir=$NEW
  local pin=(taskset -c "$core")
  "${pin[@]}" "$(engine_bench "$dir")" --bench link_days >"$OUT/divan-$side-$r" 2>&1
  secs "$OUT/mc1-$side-$r" "${pin[@]}" "$dir/target/release/chokepoint" run --paths "$PATHS" \
    --seed 1 --threads 1 --quiet --out "$OUT/mc-$side"
  rm -rf "$OUT/mc-$side"
  # shellcheck disable=SC2046
  "${pin[@]}" $(ario_cmd "$dir") --mriot "$OUT/mriot" --compat boario-0.7.2 --steps 365 \
    --event-type arbitrary --regions r000 --sectors s0000 --impact 0.5 --occurrence 10 \
    --duration 60 --out "$OUT/ario-run-$side" --no-csv >/dev/null 2>&1
  ario_ms "$OUT/ario-run-$side" >"$OUT/ario-$side-$r"
}

"$NEW/target/release/examples/ario_synth" 30 100 0 "$OUT/mriot" >/dev/null
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$ROUNDS"); do
  # old and new at the same time, one per core, cores swapped every round
  if (( r % 2 )); then measure old 0 "$r" & measure new 1 "$r"; else measure old 1 "$r" & measure new 0 "$r"; fi
  wait
  for c in builtin synthetic-10x synthetic-100x; do
    for side in old new; do divan_ms "$OUT/divan-$side-$r" "$c" >>"$OUT/engine-$c-$side"; done
  done
  for side in old new; do
    cat "$OUT/mc1-$side-$r" >>"$OUT/mc1-$side"
    cat "$OUT/ario-$side-$r" >>"$OUT/ario-$side"
  done
  # 2 threads each, old and new at the same time (each gets about one core, as above, but
  # runs the 2-thread code: the batches, the split flush)
  for side in old new; do
    dir=$OLD; [[ $side == new ]] && dir=$NEW
    secs "$OUT/mc2-$side-$r" "$dir/target/release/chokepoint" run --paths "$PATHS" --seed 1 \
      --threads 2 --quiet --out "$OUT/mc2run-$side" &
  done
  wait
  for side in old new; do cat "$OUT/mc2-$side-$r" >>"$OUT/mc2-$side"; rm -rf "$OUT/mc2run-$side"; done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| benchmark | old, median of $ROUNDS | new, median of $ROUNDS | new / old, median of the rounds' ratios |"
echo "|---|---:|---:|---:|"
row() { # label file-prefix unit
  local o n q
  o=$(median <"$OUT/$2-old"); n=$(median <"$OUT/$2-new")
  q=$(paste "$OUT/$2-old" "$OUT/$2-new" | awk '{ print $2 / $1 }' | median)
  awk -v l="$1" -v o="$o" -v n="$n" -v u="$3" -v q="$q" \
    'BEGIN { printf "| %s | %.2f %s | %.2f %s | %.3f |\n", l, o, u, n, u, q }'
}
row "engine, built-in april-2025, one 365-day run" engine-builtin ms
row "engine, synthetic 10x (4,389 links), one run" engine-synthetic-10x ms
row "engine, synthetic 100x (45,390 links), one run" engine-synthetic-100x ms
row "Monte Carlo, $PATHS paths, 1 thread (wall)" mc1 s
row "Monte Carlo, $PATHS paths, 2 threads each (wall)" mc2 s
row "ARIO compat, n = 3000, 365 steps, per step" ario ms

echo
echo "Instructions (callgrind), deterministic:"
echo
echo "| run | old | new | new / old |"
echo "|---|---:|---:|---:|"
count() { # label command... (run in old and new through the DIR placeholder)
  local label=$1; shift
  local o n
  for side in old new; do
    dir=$OLD; [[ $side == new ]] && dir=$NEW
    valgrind --tool=callgrind --callgrind-out-file="$OUT/cg-$side" "${@//DIR/$dir}" \
      >/dev/null 2>"$OUT/cg-$side.err"
    grep -oE 'Collected : [0-9]+' "$OUT/cg-$side.err" | grep -oE '[0-9]+' >"$OUT/cg-$side.n"
  done
  o=$(cat "$OUT/cg-old.n"); n=$(cat "$OUT/cg-new.n")
  awk -v l="$label" -v o="$o" -v n="$n" 'BEGIN { printf "| %s | %.4g | %.4g | %.4f |\n", l, o, n, n / o }'
}
count "one 365-day run of the built-in scenario (profile_builtin 1)" DIR/target/release/examples/profile_builtin 1
count "Monte Carlo, 20 paths, 1 thread (chokepoint run)" DIR/target/release/chokepoint run --paths 20 --threads 1 --quiet --out "$OUT/cg-mc"
