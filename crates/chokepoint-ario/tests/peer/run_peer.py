#!/usr/bin/env python3
"""Runs the peer's run_reference.py (BoARIO 0.7.2) and logs its data-dependent switches.

    run_peer.py PEER_DIR [run_reference.py args...]

Writes OUT/switches.json: {"stock_update_skipped": [...], "gap_zeroed": [...],
"alpha_relaxed": [...]}, one entry per step: the two np.allclose switches, and the
overproduction relaxation per industry ("0"/"1" string, null at steps 0 and 1, which are not
updated): relaxation happens where the scarcity (D - x_prev) / D (0 where D = 0 or NaN) is
exactly 0.0, evaluated here from the model's arrays just before its update. Project-written
harness; it wraps numpy inside boario.model_base and the overproduction method, it copies no
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

RELAX = [None, None]  # steps 0 and 1: overproduction not updated
_calc_overproduction = mb.ARIOBaseModel.calc_overproduction


def _logging_calc_overproduction(self):
    d = _np.asarray(self.entire_demand_tot, dtype=float)
    x = _np.asarray(self.production, dtype=float)
    sc = _np.zeros_like(d)
    nz = d != 0
    with _np.errstate(invalid="ignore", divide="ignore"):
        sc[nz] = (d[nz] - x[nz]) / d[nz]
    sc[_np.isnan(sc)] = 0.0
    RELAX.append("".join("1" if v else "0" for v in (sc == 0.0).ravel()))
    return _calc_overproduction(self)


mb.ARIOBaseModel.calc_overproduction = _logging_calc_overproduction
run_reference.main(argv)
out = pathlib.Path(argv[argv.index("--out") + 1])
# per step: distribute_production (stock) then calc_orders (gap)
(out / "switches.json").write_text(json.dumps({
    "stock_update_skipped": LOG[0::2],
    "gap_zeroed": LOG[1::2],
    "alpha_relaxed": RELAX,
}))
