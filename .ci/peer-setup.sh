#!/usr/bin/env bash
# Creates the BoARIO peer venv (boario 0.7.2) in <repo>/.peer-venv, idempotently.
# Expects the shared folder as a sibling of the repository: <repo>/../shared/peers/boario.
# Override with CHOKEPOINT_PEER_DIR. Used by the compat tests (crates/chokepoint-ario/tests).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
PEER_DIR="${CHOKEPOINT_PEER_DIR:-$REPO/../shared/peers/boario}"
VENV="$REPO/.peer-venv"
if [ ! -x "$PEER_DIR/setup.sh" ]; then
  echo "error: $PEER_DIR/setup.sh not found; hint: clone with shared/ as a sibling folder or set CHOKEPOINT_PEER_DIR" >&2
  exit 2
fi
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - <<'PY' 2>/dev/null
import importlib.metadata as m, sys
sys.exit(0 if m.version("boario") == "0.7.2" and m.version("pymrio") == "0.7.0" else 1)
PY
then
  echo "peer ready: $VENV/bin/python (already set up)"
  exit 0
fi
rm -rf "$VENV"
"$PEER_DIR/setup.sh" "$VENV"
