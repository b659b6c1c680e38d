#!/usr/bin/env bash
# Issue 20: `chokepoint emit slurm` on a real Slurm. Starts a private single-node cluster on
# loopback (munged, slurmctld, slurmd from the Debian packages slurm-wlm and munge, installed
# with apt-get when missing; root is needed), submits the emitted script as a 4-task array,
# waits for it, merges the shards and compares every output of the merge with a single-process
# run of the same seed: identical bytes, the manifest aside (it records the command).
#
#   .ci/slurm-e2e.sh                 # run from .ci/run
#   CHOKEPOINT_BIN=path .ci/slurm-e2e.sh   # another build (default: target/debug/chokepoint)
#
# Outside CI (no $CI) a machine that cannot run it (not root, no apt-get) skips with a message
# and exit 0; in CI that is a failure. Everything it starts lives in a temporary folder (its
# own munge socket and key, slurm.conf, spool, state, logs, ports chosen from its PID) and is
# stopped by PID on exit, so that it does not touch a Slurm the machine already has.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

skip() {
    if [[ -n "${CI:-}" ]]; then
        echo "slurm-e2e: error: $1" >&2
        exit 1
    fi
    echo "slurm-e2e: skipped: $1 (set CI=1 to make this a failure)"
    exit 0
}

[[ $(id -u) == 0 ]] || skip "needs root to start slurmd and munged"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    command -v apt-get >/dev/null || skip "no slurmctld/slurmd/munged and no apt-get to install them"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null ||
        { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null; }
fi

BIN=${CHOKEPOINT_BIN:-$REPO/target/debug/chokepoint}
if [[ -z "${CHOKEPOINT_BIN:-}" ]]; then
    cargo build -q -p chokepoint-cli
fi
BIN=$(realpath "$BIN")

T=$(mktemp -d /tmp/chokepoint-slurm.XXXXXX)
chmod 755 "$T"
PIDS=()
cleanup() {
    local rc=$?
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    if [[ $rc != 0 ]]; then
        echo "--- slurmctld.log"; tail -n 30 "$T/slurmctld.log" 2>/dev/null || true
        echo "--- slurmd.log"; tail -n 30 "$T/slurmd.log" 2>/dev/null || true
        for f in "$T"/submit/chokepoint-*.log; do [[ -e $f ]] && { echo "--- $f"; cat "$f"; }; done
    fi
    rm -rf "$T"
    exit $rc
}
trap cleanup EXIT

# munge: a private daemon, key and socket.
mkdir -p "$T/munge"
chmod 700 "$T/munge"
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$T/munge/munge.key"
munged --foreground --force --key-file="$T/munge/munge.key" --socket="$T/munge/munge.sock" \
    --pid-file="$T/munge/munged.pid" --log-file="$T/munge/munged.log" \
    --seed-file="$T/munge/munged.seed" >"$T/munged.out" 2>&1 &
PIDS+=($!)

# Ports from the PID, so that two checkouts running this at once do not collide.
CTLD_PORT=$((20000 + ($$ % 5000) * 2))
SLURMD_PORT=$((CTLD_PORT + 1))
NODE=$(hostname -s)
CPUS=$(nproc)
mkdir -p "$T/ctld" "$T/spool" "$T/submit"
cat >"$T/slurm.conf" <<EOF
# single-node test cluster on loopback (.ci/slurm-e2e.sh)
ClusterName=chokepoint-e2e
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$T/munge/munge.sock
StateSaveLocation=$T/ctld
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=4096 State=UNKNOWN
PartitionName=e2e Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$T/slurm.conf
for _ in $(seq 50); do [[ -S $T/munge/munge.sock ]] && break; sleep 0.1; done
[[ -S $T/munge/munge.sock ]] || { echo "munged did not start"; cat "$T/munge/munged.log"; exit 1; }
slurmctld -D -i -f "$SLURM_CONF" >"$T/slurmctld.out" 2>&1 &
PIDS+=($!)
slurmd -D -f "$SLURM_CONF" -N "$NODE" >"$T/slurmd.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
    sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)' && break
    sleep 0.3
done
sinfo -h -o '%T' | grep -qE '^(idle|mixed|allocated)' || { echo "the node did not come up"; sinfo || true; exit 1; }

# The job: 4 shards of a small study, the binary named by --binary (not on PATH).
PATHS=8 SEED=5 SHARDS=4 SCENARIO=builtin:april-2025
"$BIN" emit slurm --scenario "$SCENARIO" --paths $PATHS --seed $SEED --shards $SHARDS \
    --out "$T/mc" --binary "$BIN" >"$T/submit/chokepoint.sbatch"
cd "$T/submit"
JOB=$(sbatch --parsable chokepoint.sbatch)
echo "slurm-e2e: submitted array job $JOB ($SHARDS tasks)"
for _ in $(seq 1200); do
    [[ -z $(squeue -h -j "$JOB" 2>/dev/null) ]] && break
    sleep 0.5
done
[[ -z $(squeue -h -j "$JOB" 2>/dev/null) ]] || { echo "the array did not finish in 10 minutes"; squeue; exit 1; }
for i in $(seq 0 $((SHARDS - 1))); do
    [[ -f $T/mc/shard-$i/manifest.json ]] || { echo "shard $i wrote no manifest"; exit 1; }
done
logs=(chokepoint-"${JOB}"_*.log)
[[ ${#logs[@]} == "$SHARDS" ]] || { echo "expected $SHARDS task logs, found ${#logs[@]}"; exit 1; }

# The merge command as the script's header prints it, then a single-process run to compare.
merge=$(sed -n 's/^#   //p' chokepoint.sbatch)
bash -c "$merge" >/dev/null
"$BIN" run "$SCENARIO" --paths $PATHS --seed $SEED --quiet --out "$T/single" >/dev/null
n=0
for f in "$T"/single/*; do
    name=$(basename "$f")
    [[ $name == manifest.json ]] && continue
    cmp "$f" "$T/mc/merged/$name"
    n=$((n + 1))
done
[[ $(ls "$T/mc/merged" | wc -l) == $(ls "$T/single" | wc -l) ]]
echo "slurm-e2e: ok: $SHARDS array tasks on Slurm, merged, $n files byte-identical to one process"
