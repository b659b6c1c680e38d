#!/usr/bin/env bash
# Issue 20: the Job `chokepoint emit k8s` prints is a valid batch/v1 Job (Indexed completion
# mode, env, volumes, resources) by the Kubernetes JSON schema: kubernetes-validate (PyPI, which
# ships the schemas of each Kubernetes release) in strict mode, which also refuses any field
# the schema does not know. Checked for Kubernetes 1.25 (the oldest schema it ships; Indexed Jobs are GA since 1.24) and
# the validator's newest, with the default job and with hostile values and --bands. A Job
# with a misspelt field must fail, so that a validator that accepts everything is noticed.
#
#   .ci/k8s-validate.sh                  # run from .ci/run
#   CHOKEPOINT_BIN=path .ci/k8s-validate.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.ci-venv
if ! "$VENV/bin/kubernetes-validate" --version >/dev/null 2>&1; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q kubernetes-validate==1.37.0
fi
BIN=${CHOKEPOINT_BIN:-target/debug/chokepoint}
if [[ -z "${CHOKEPOINT_BIN:-}" ]]; then
    cargo build -q -p chokepoint-cli
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$BIN" emit k8s >"$T/default.yaml"
"$BIN" emit k8s --paths 100 --shards 4 --seed 7 --bands 'headline,shipments:CHN*' \
    --binary '/opt/chokepoint bin/chokepoint' \
    "--out=/runs/x; touch pwned #\$(id) 'q' \"dq\"" \
    "--scenario=-x; it's \$(id).toml" >"$T/hostile.yaml"
for k in 1.25 1.37; do
    "$VENV/bin/kubernetes-validate" --strict --quiet -k "$k" "$T/default.yaml" "$T/hostile.yaml"
done
sed 's/^  parallelism:/  paralelism:/' "$T/default.yaml" >"$T/misspelt.yaml"
if "$VENV/bin/kubernetes-validate" --strict --quiet "$T/misspelt.yaml" >/dev/null 2>&1; then
    echo "k8s-validate: error: a Job with a misspelt field passed the validator" >&2
    exit 1
fi
echo "k8s-validate: ok: emit k8s is a valid batch/v1 Job (Kubernetes 1.25 and 1.37, strict)"
