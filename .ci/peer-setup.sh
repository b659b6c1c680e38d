#!/usr/bin/env bash
# Creates the BoARIO peer venv (boario 0.7.2) in <repo>/.peer-venv, idempotently, and prints the
# peer scripts' folder on its last line (`peer-dir: DIR`). The peer scripts are looked for in
# $CHOKEPOINT_PEER_DIR, else in shared/peers/boario next to the repository or next to any of its
# parent folders (a clone nested deeper than the workspace still finds it).
# Used by .ci/run and the compat tests (crates/chokepoint-ario/tests).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
PEER_DIR="${CHOKEPOINT_PEER_DIR:-}"
if [ -z "$PEER_DIR" ]; then
  d="$REPO"
  while [ "$d" != "/" ]; do
    d="$(dirname "$d")"
    if [ -x "$d/shared/peers/boario/setup.sh" ]; then PEER_DIR="$d/shared/peers/boario"; break; fi
  done
fi
if [ -z "$PEER_DIR" ] || [ ! -x "$PEER_DIR/setup.sh" ]; then
  echo "error: BoARIO peer scripts (shared/peers/boario/setup.sh) not found above $REPO; hint: set CHOKEPOINT_PEER_DIR to the folder holding setup.sh and run_reference.py" >&2
  exit 2
fi
VENV="$REPO/.peer-venv"
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - <<'PY' 2>/dev/null
import importlib.metadata as m, sys
sys.exit(0 if m.version("boario") == "0.7.2" and m.version("pymrio") == "0.7.0" else 1)
PY
then
  echo "peer ready: $VENV/bin/python (already set up)"
else
  rm -rf "$VENV"
  "$PEER_DIR/setup.sh" "$VENV"
fi
echo "peer-dir: $PEER_DIR"
