#!/usr/bin/env python3
"""Sanity checks for a chokepoint dataset or scenario TOML (not a substitute for the parser).

    python3 tools/check_dataset.py data/mini-2024.toml [--balance]
    python3 tools/check_dataset.py scenarios/april-2025.toml --base data/mini-2024.toml

Checks: TOML syntax; every referenced id exists (regions, products, sources, groups); link shares
into each (to, product) sum to 1 (+-1e-6); units of rates/quantities match the product's unit;
confidence values; numbers without provenance are listed as warnings. With --balance: the baseline
throughput each facility needs to serve the baseline demand (priority order of recipes, inputs
capped by linked supplier capacity) against its capacity.
"""
import sys
import tomllib
from collections import defaultdict

STAGES = ["mining", "separation", "metal", "magnet", "component", "end-use"]
CONF = {"high", "medium", "low", "assumption"}
errors, warnings = [], []


def val(x):
    return x["value"] if isinstance(x, dict) else x


def per_year(x, what):
    """Rate as units/yr from a bare number (per day) or a table with unit .../yr or .../day."""
    if isinstance(x, dict):
        u = x.get("unit", "")
        if u.endswith("/yr"):
            return x["value"]
        if u.endswith("/day"):
            return x["value"] * 365
        return x["value"] * 365
    return x * 365


def main():
    path = sys.argv[1]
    d = tomllib.load(open(path, "rb"))
    if "--base" in sys.argv:  # a scenario: check it on top of its base dataset (lists appended)
        base = tomllib.load(open(sys.argv[sys.argv.index("--base") + 1], "rb"))
        for k, v in d.items():
            if isinstance(v, list):
                base[k] = base.get(k, []) + v
            else:
                base[k] = v
        d = base
    sources = {s["id"] for s in d.get("source", [])}
    regions = {r["id"]: r for r in d.get("region", [])}
    groups = defaultdict(list)
    for r in regions.values():
        for g in r.get("groups", []):
            groups[g].append(r["id"])
    products = {p["id"]: p for p in d.get("product", [])}

    # provenance walk
    def walk(obj, where):
        if isinstance(obj, dict):
            if "value" in obj and isinstance(obj["value"], (int, float)):
                if "source" not in obj:
                    warnings.append(f"{where}: no source")
                elif obj["source"] not in sources:
                    errors.append(f"{where}: unknown source {obj['source']!r}")
                if obj.get("confidence") not in CONF:
                    errors.append(f"{where}: bad/missing confidence {obj.get('confidence')!r}")
                if obj.get("confidence") == "assumption" and not obj.get("note"):
                    errors.append(f"{where}: assumption without note")
                return
            for k, v in obj.items():
                walk(v, f"{where}.{k}")
        elif isinstance(obj, list):
            for i, v in enumerate(obj):
                walk(v, f"{where}[{i}]")
        elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
            if not any(s in where for s in ("scenario.", ".priority", "lead-time-days", "seed")):
                warnings.append(f"{where}: bare number {obj} (no provenance)")

    for sec in ("product", "recipe", "facility", "link", "demand", "inventory", "stockpile", "event"):
        for i, e in enumerate(d.get(sec, [])):
            walk(e, f"{sec}[{i}]")

    def reg(x, where):
        if x.startswith("@"):
            if x[1:] not in groups:
                errors.append(f"{where}: unknown group {x}")
        elif x not in regions:
            errors.append(f"{where}: unknown region {x}")

    def prod(x, where):
        if x not in products:
            errors.append(f"{where}: unknown product {x}")

    def unit_ok(x, pid, where, rate):
        if isinstance(x, dict) and "unit" in x and pid in products:
            u = x["unit"]
            base = u.rsplit("/", 1)[0] if rate else u
            if base != products[pid]["unit"]:
                errors.append(f"{where}: unit {u!r} vs product unit {products[pid]['unit']!r}")

    for p in products.values():
        if p["stage"] not in STAGES:
            errors.append(f"product {p['id']}: bad stage")
        for el, c in p.get("content", {}).items():
            if not 0 <= val(c) <= 1:
                errors.append(f"product {p['id']}: content {el} out of [0,1]")
    for i, r in enumerate(d.get("recipe", [])):
        prod(r["output"], f"recipe[{i}]")
        for k in r["inputs"]:
            prod(k, f"recipe[{i}].inputs")
        for x in r.get("regions", []):
            reg(x, f"recipe[{i}]")
    fac = {}
    for i, f in enumerate(d.get("facility", [])):
        reg(f["region"], f"facility[{i}]"); prod(f["product"], f"facility[{i}]")
        unit_ok(f["capacity"], f["product"], f"facility[{i}]", True)
        key = (f["region"], f["product"])
        if key in fac:
            errors.append(f"facility {key} duplicated")
        fac[key] = per_year(f["capacity"], "")
    sums = defaultdict(float)
    links = defaultdict(dict)
    seen = set()
    for i, l in enumerate(d.get("link", [])):
        reg(l["from"], f"link[{i}]"); reg(l["to"], f"link[{i}]"); prod(l["product"], f"link[{i}]")
        key = (l["from"], l["to"], l["product"])
        if key in seen:
            errors.append(f"link {key} duplicated")
        seen.add(key)
        sums[(l["to"], l["product"])] += val(l["share"])
        links[(l["to"], l["product"])][l["from"]] = val(l["share"])
        if val(l["share"]) > 0 and (l["from"], l["product"]) not in fac:
            errors.append(f"link {key}: positive share but no facility {l['from']} {l['product']}")
    for k, s in sums.items():
        if abs(s - 1) > 1e-6:
            errors.append(f"shares into {k} sum to {s}")
    dem = defaultdict(float)
    for i, x in enumerate(d.get("demand", [])):
        reg(x["region"], f"demand[{i}]"); prod(x["product"], f"demand[{i}]")
        unit_ok(x["quantity"], x["product"], f"demand[{i}]", True)
        dem[(x["region"], x["product"])] += per_year(x["quantity"], "")
        if (x["region"], x["product"]) not in sums:
            errors.append(f"demand {x['region']} {x['product']}: no supply links")
    for sec in ("inventory", "stockpile"):
        for i, x in enumerate(d.get(sec, [])):
            reg(x["region"], f"{sec}[{i}]"); prod(x["product"], f"{sec}[{i}]")
    for i, s in enumerate(d.get("segment", [])):
        for x in s["regions"]:
            reg(x, f"segment[{i}]")
    for i, ev in enumerate(d.get("event", [])):
        for key in ("exporter", "importer", "region", "buyer", "supplier"):
            if key in ev:
                reg(ev[key], f"event[{i}].{key}")
        for key in ("exporters", "destinations", "regions"):
            for x in ev.get(key, []):
                reg(x, f"event[{i}].{key}")
        for key in ("exporters", "destinations", "regions"):
            if isinstance(ev.get(key), str):
                errors.append(f"event[{i}].{key}: must be an array")
        for x in ev.get("destination", {}):
            reg(x, f"event[{i}].destination")
        ps = ev.get("products")
        if isinstance(ps, list):
            for x in ps:
                prod(x, f"event[{i}].products")
        if isinstance(ev.get("product"), str):
            prod(ev["product"], f"event[{i}].product")

    if "--balance" in sys.argv and not errors:
        balance(d, products, fac, links, dem)
    for w in warnings:
        print("warning:", w)
    for e in errors:
        print("ERROR:", e)
    print(f"{path}: {len(errors)} errors, {len(warnings)} warnings")
    return 1 if errors else 0


def balance(d, products, fac, links, dem):
    need = defaultdict(float, dem)  # (region, product) -> t/yr the region must receive
    prod_ = defaultdict(float)      # (region, product) -> t/yr produced
    recipes = defaultdict(list)
    for r in d.get("recipe", []):
        recipes[r["output"]].append(r)
    order = sorted(products, key=lambda p: -STAGES.index(products[p]["stage"]))
    for p in order:
        for (b, pp), q in list(need.items()):
            if pp != p:
                continue
            for s, sh in links.get((b, p), {}).items():
                prod_[(s, p)] += sh * q
        for (s, pp), q in list(prod_.items()):
            if pp != p or q == 0:
                continue
            rs = sorted((r for r in recipes[p] if not r.get("regions") or s in r["regions"]),
                        key=lambda r: r.get("priority", 0))
            left = q
            for k, r in enumerate(rs):
                cap = float("inf")
                for inp, c in r["inputs"].items():
                    supply = sum(fac.get((f, inp), 0) for f, sh in links.get((s, inp), {}).items() if sh > 0)
                    cap = min(cap, supply / val(c))
                take = left if k == len(rs) - 1 else min(left, cap)
                for inp, c in r["inputs"].items():
                    need[(s, inp)] += take * val(c)
                left -= take
    print(f"{'region':6} {'product':20} {'unit':10} {'baseline t/yr':>14} {'capacity t/yr':>14} {'util':>6}")
    tot = defaultdict(lambda: [0.0, 0.0])
    for (s, p) in sorted(set(prod_) | set(fac), key=lambda k: (STAGES.index(products[k[1]]["stage"]), k[1], k[0])):
        q, c = prod_.get((s, p), 0.0), fac.get((s, p), 0.0)
        tot[p][0] += q; tot[p][1] += c
        flag = "  OVER" if q > c + 1e-6 else ""
        print(f"{s:6} {p:20} {products[p]['unit']:10} {q:14,.0f} {c:14,.0f} {q / c if c else float('inf'):6.0%}{flag}")
        if q > c + 1e-6:
            errors.append(f"baseline need {q:,.0f} exceeds capacity {c:,.0f} at {s} {p}")
    print("\nworld totals")
    for p, (q, c) in sorted(tot.items(), key=lambda k: STAGES.index(products[k[0]]["stage"])):
        print(f"  {p:20} {q:12,.0f} of {c:12,.0f} {products[p]['unit']}/yr ({q / c:.0%})")


if __name__ == "__main__":
    sys.exit(main())
