#!/usr/bin/env bash
# Runs chokepoint's fuzz targets with cargo-fuzz (libFuzzer, nightly toolchain).
#
#   fuzz/run.sh TARGET SECONDS    fuzz one target for SECONDS
#   fuzz/run.sh all SECONDS       fuzz every target for SECONDS each
#   fuzz/run.sh cmin TARGET       add what the runs found to corpus/TARGET, then `cargo fuzz cmin` it
#                                 (a set cover of the edges reached)
#   fuzz/run.sh list              the targets
#
# One job on one core (-fork=1): the fuzzer keeps going after a crash, timeout or OOM, and
# writes the input to fuzz/artifacts/TARGET/. New inputs go to fuzz/work/TARGET (not committed);
# the committed corpus is read from fuzz/corpus/TARGET and only changes through `cmin`. At the
# end it prints the executions, exec/s and the crashes of the run (libFuzzer's last stat line).
# Needs: rustup toolchain nightly, `cargo install cargo-fuzz`.
set -euo pipefail
cd "$(dirname "$0")"

TARGETS=(scenario events dataset shard manifest mrio ario_events mineral)

# Per target: dictionary, -max_len, sanitizer. The time an input takes grows with its length,
# so the scenario targets keep inputs small (the fixtures and the seed pieces fit). No
# sanitizer: the core is safe Rust (its one `unsafe` is a prefetch hint), and debug assertions
# and overflow checks are on. chokepoint-ario's model has unsafe AVX2 kernels; set the last
# column to `address` to fuzz its targets under AddressSanitizer (about half the speed).
opts() {
    case $1 in
        scenario) echo "scenario 2048 none" ;;
        events) echo "scenario 1024 none" ;;
        dataset) echo "scenario 13000 none" ;;
        shard) echo "shard 32768 none" ;;
        manifest) echo "manifest 4096 none" ;;
        mrio) echo "ario 16384 none" ;;
        ario_events) echo "ario 4096 none" ;;
        mineral) echo "ario 32768 none" ;;
        *) echo "unknown target $1; one of: ${TARGETS[*]}" >&2; exit 2 ;;
    esac
}

run() {
    local t=$1 secs=$2
    read -r dict max_len san <<<"$(opts "$t")"
    mkdir -p "work/$t" "corpus/$t" "artifacts/$t"
    local log="work/$t.log" before
    before=$(find "artifacts/$t" -type f | wc -l)
    echo "== $t: ${secs}s (dict/$dict.dict, max_len $max_len, sanitizer $san)"
    cargo +nightly fuzz run -s "$san" "$t" "work/$t" "corpus/$t" -- \
        -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
        -dict="dict/$dict.dict" -print_final_stats=1 >"$log" 2>&1 || true
    local last found
    last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1 || true)
    found=$(($(find "artifacts/$t" -type f | wc -l) - before))
    echo "   $(date -u +%FT%TZ) ${last:-no stat line; see fuzz/$log}"
    echo "   new artifacts: $found (fuzz/artifacts/$t/)"
}

case ${1:-} in
    list) printf '%s\n' "${TARGETS[@]}" ;;
    cmin)
        t=${2:?usage: run.sh cmin TARGET}
        read -r _ max_len san <<<"$(opts "$t")"
        mkdir -p "corpus/$t" "work/$t"
        find "work/$t" -type f -exec cp -n -t "corpus/$t" {} +
        # A set cover of the edges (not of libFuzzer's finer features): the same coverage in a
        # corpus a fifth of the size; work/TARGET keeps the rest for the next runs.
        cargo +nightly fuzz cmin -s "$san" "$t" "corpus/$t" -- -set_cover_merge=1 -use_counters=0 \
            -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 >"work/$t.cmin.log" 2>&1
        echo "$t: $(find "corpus/$t" -type f | wc -l) files, $(du -sh "corpus/$t" | cut -f1)"
        ;;
    all)
        secs=${2:?usage: run.sh all SECONDS}
        for t in "${TARGETS[@]}"; do run "$t" "$secs"; done
        ;;
    "" | -h | --help) sed -n '2,14p' "$0" ;;
    *)
        secs=${2:?usage: run.sh TARGET SECONDS}
        opts "$1" >/dev/null
        run "$1" "$secs"
        ;;
esac
