#!/usr/bin/env python3
"""Runs the peer's run_reference.py (BoARIO 0.7.2) and logs its two np.allclose switches.

    run_peer.py PEER_DIR [run_reference.py args...]

Writes OUT/switches.json: {"stock_update_skipped": [...], "gap_zeroed": [...]} (one entry per
step). Project-written harness; it only wraps numpy inside boario.model_base, it copies no
BoARIO code.
"""
import json
import pathlib
import sys

peer_dir = pathlib.Path(sys.argv[1]).resolve()
argv = sys.argv[2:]
sys.path.insert(0, str(peer_dir))

import numpy as _np  # noqa: E402
import boario.model_base as mb  # noqa: E402
import run_reference  # noqa: E402

LOG = []


class _LoggingNumpy:
    def __getattr__(self, name):
        return getattr(_np, name)

    @staticmethod
    def allclose(a, b, *args, **kw):
        r = bool(_np.allclose(a, b, *args, **kw))
        if not args and not kw:  # the two step switches (the A check passes atol=)
            LOG.append(r)
        return r


mb.np = _LoggingNumpy()
run_reference.main(argv)
out = pathlib.Path(argv[argv.index("--out") + 1])
# per step: distribute_production (stock) then calc_orders (gap)
(out / "switches.json").write_text(json.dumps({
    "stock_update_skipped": LOG[0::2],
    "gap_zeroed": LOG[1::2],
}))
