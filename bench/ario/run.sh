#!/usr/bin/env bash
# Side-by-side benchmark: BoARIO 0.7.2 (1 BLAS thread) vs chokepoint-ario (1 thread, run as
# `chokepoint ario`) on the same seeded synthetic MRIO (same CSV files, same 50% arbitrary
# shock), in one run.
#
#   bench/ario/run.sh ["R S PEER_STEPS ENGINE_STEPS" ...]
#   default: "10 20 365 365" "20 50 100 365" "30 100 30 365"
# Needs .peer-venv (.ci/peer-setup.sh). Prints a markdown table; raw JSON in .peer-out/bench-ario/.
# EXIOBASE size (49 x 163, 365 steps, engine only): bench/ario/run.sh --exiobase
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
PEER_DIR="${CHOKEPOINT_PEER_DIR:-$REPO/../shared/peers/boario}"
PY="$REPO/.peer-venv/bin/python"
OUT="$REPO/.peer-out/bench-ario"
mkdir -p "$OUT"
cd "$REPO"
cargo build --release -q -p chokepoint-cli --bin chokepoint
cargo build --release -q -p chokepoint-ario --example ario_synth
CHOKEPOINT="$REPO/target/release/chokepoint"
SYNTH="$REPO/target/release/examples/ario_synth"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 RAYON_NUM_THREADS=1

rss() { grep "Maximum resident" "$1" | awk '{printf "%.0f", $NF/1024}'; }
jget() { python3 -c "import json,sys; d=json.load(open('$1')); print(eval('d'+sys.argv[1]))" "$2"; }

engine() { # dir steps tag
  local d="$1" steps="$2" tag="$3" occ dur
  occ=$(( steps/4 < 10 ? steps/4 : 10 )); dur=$(( steps/2 < 60 ? steps/2 : 60 ))
  /usr/bin/time -v "$CHOKEPOINT" ario --mriot "$d" --compat boario-0.7.2 --steps "$steps" \
    --event-type arbitrary --regions r000 --sectors s0000 --impact 0.5 --occurrence $occ --duration $dur \
    --out "$OUT/$tag-engine" --no-csv 2>"$OUT/$tag-engine.time" >/dev/null
}

if [ "${1:-}" = "--exiobase" ]; then
  d="$OUT/mriot-49x163"
  [ -f "$d/Z.csv" ] || "$SYNTH" 49 163 0 "$d" 7
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  start=$(date +%s.%N)
  engine "$d" 365 exio
  end=$(date +%s.%N)
  echo "EXIOBASE size 49x163 (n=7987), 365 steps: total wall $(python3 -c "print(round($end-$start,1))") s" \
       "(load $(jget "$OUT/exio-engine/run_info.json" "['timing_s']['load']") s," \
       "loop $(jget "$OUT/exio-engine/run_info.json" "['timing_s']['loop']") s," \
       "$(python3 -c "print(round(1e3*$(jget "$OUT/exio-engine/run_info.json" "['timing_s']['per_step_mean']"),1))") ms/step)," \
       "peak RSS $(rss "$OUT/exio-engine.time") MiB"
  echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
  exit 0
fi

[ $# -gt 0 ] || set -- "10 20 365 365" "20 50 100 365" "30 100 30 365"
# single-thread read bandwidth now (NumPy dot of two 400 MB vectors: more than the L3; best of 5)
BW=$("$PY" -c "
import numpy as np, time
a = np.random.rand(50_000_000); b = np.random.rand(50_000_000); best = 1e9
for _ in range(5):
    t = time.perf_counter(); np.dot(a, b); best = min(best, time.perf_counter() - t)
print(round(2 * a.nbytes / best / 1e9, 1))")
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); measured single-thread read bandwidth: $BW GB/s"
echo
echo "| n (R x S) | BoARIO ms/step | engine ms/step | speed-up | BoARIO steps/s | engine steps/s | BoARIO peak RSS MiB | engine peak RSS MiB | floor ms/step (2 reads of Z0 at 21 GB/s) | engine / floor | 1 read of Z0 at $BW GB/s, ms |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for cfg in "$@"; do
  set -- $cfg
  R=$1 S=$2 PSTEPS=$3 ESTEPS=$4 n=$(( $1 * $2 )) tag="n$(( $1 * $2 ))"
  d="$OUT/mriot-${R}x${S}"
  [ -f "$d/Z.csv" ] || "$SYNTH" "$R" "$S" 0 "$d"
  occ=$(( PSTEPS/4 < 10 ? PSTEPS/4 : 10 )); dur=$(( PSTEPS/2 < 60 ? PSTEPS/2 : 60 ))
  /usr/bin/time -v "$PY" "$PEER_DIR/run_reference.py" --mriot-dir "$d" --steps "$PSTEPS" --no-csv --manual-loop \
    --event-type arbitrary --regions r000 --sectors s0000 --impact 0.5 --occurrence $occ --duration $dur \
    --out "$OUT/$tag-peer" 2>"$OUT/$tag-peer.time" >/dev/null
  engine "$d" "$ESTEPS" "$tag"
  pms=$(jget "$OUT/$tag-peer/run_info.json" "['timing_s']['per_step_median']")
  ems=$(jget "$OUT/$tag-engine/run_info.json" "['timing_s']['per_step_mean']")
  python3 - "$n" "$R" "$S" "$pms" "$ems" "$(rss "$OUT/$tag-peer.time")" "$(rss "$OUT/$tag-engine.time")" "$BW" <<'PY'
import sys
n, R, S = map(int, sys.argv[1:4]); p, e = float(sys.argv[4]) * 1e3, float(sys.argv[5]) * 1e3
floor = 2 * n * n * 8 / 21e9 * 1e3
one = n * n * 8 / (float(sys.argv[8]) * 1e9) * 1e3
print(f"| {n} ({R} x {S}) | {p:.2f} | {e:.3f} | {p/e:.0f}x | {1e3/p:.1f} | {1e3/e:.0f} | {sys.argv[6]} | {sys.argv[7]} | {floor:.3f} | {e/floor:.2f} | {one:.3f} |")
PY
done
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
