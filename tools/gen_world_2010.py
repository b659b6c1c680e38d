#!/usr/bin/env python3
"""Generate data/world-2010.toml: a small 2010 baseline for the japan-2010 scenario.

Usage:  python3 tools/gen_world_2010.py > data/world-2010.toml

Five regions (CHN, JPN, USA, EUU, XRW), one light and one heavy RE oxide pool, NdFeB magnets and
one magnet-product component. Built around the facts of events_2010.csv (China's 2010 exports
39,813 t, J004; Japan, EU and US 86% of them, J005), Japan's demand (I028) and China's 2011
light/heavy quota split (P060). Row ids refer to the source-fact CSVs (data/README.md).
"""

import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
OUT = []
A = "chokepoint-assumption"


def w(line=""):
    OUT.append(line)


def esc(s):
    return s.replace('"', '\\"')


def q(value, source, confidence, note=None, unit=None):
    v = round(value, 6)
    v = int(v) if abs(v - round(v)) < 1e-9 and abs(v) >= 1 else v
    parts = [f"value = {v}"]
    if unit:
        parts.append(f'unit = "{unit}"')
    parts += [f'source = "{source}"', f'confidence = "{confidence}"']
    if note:
        parts.append(f'note = "{esc(note)}"')
    return "{ " + ", ".join(parts) + " }"


SOURCES = [
    ("wsj-2010-exports", "WSJ via reactionsearch - China RE exports slide but bust quota (2010 customs)",
     "https://www.reactionsearch.com/chinas-rare-earth-exports-slide-still-bust-quota/", "rows J003, J004"),
    ("windpower-moc-2010", "Windpower Monthly - China to continue RE exports (MOC)",
     "https://www.windpowermonthly.com/article/1050163/china-continue-rare-earth-exports-wto-rules", "row J005"),
    ("avalon-h2-quota", "Avalon industry bulletin (Metal-Pages) - H2 2010 quota cut",
     "http://avalonraremetals.com/news_media/industry_info/index.php?content_id=288", "row J002"),
    ("industryweek-meti", "IndustryWeek (AFP) - Japan to offer subsidies for rare earths",
     "https://www.industryweek.com/finance/software-systems/article/21936587/japan-to-offer-subsidies-for-rare-earths",
     "rows I028, J028 (Japan demand 30,000 t)"),
    ("jamestown-2011", "Jamestown China Brief v11 i7 - Japan's approach (IMCOA demand forecast)",
     "https://jamestown.org/program/japans-approach-to-chinas-control-of-rare-earth-elements", "row I029 (world demand 124,000 t 2010)"),
    ("mining-com-2011-quota", "Mining.com - China bumps up rare earth export quota (2011 output cap)",
     "https://mining.com/china-bumps-up-rare-earth-export-quota", "row P060 (2011 output cap 93,800 t: light 80,400, medium/heavy 13,400)"),
    ("sina-nikkei-2012", "Sina English citing Nikkei - Japan fears China may limit RE export again",
     "http://english.sina.com/world/2012/0912/506068.html", "row T009 (Japan Dy ~90% from China)"),
    ("heim-2023", "Heim & Vander Wal (2023) NdFeB Permanent Magnet Uses..., Minerals 13(10):1274 (encyclopedia.pub entry 50309)",
     "https://doi.org/10.3390/min13101274", "rows I010, I011"),
    (A, "chokepoint modelling assumption (reasoning in the note of each number)", "data/README.md#world-2010",
     "no fact row gives this number"),
]
REGIONS = [("CHN", "China", []), ("JPN", "Japan", ["allies"]), ("USA", "United States", ["allies"]),
           ("EUU", "European Union", ["allies"]), ("XRW", "Rest of world", [])]
UTIL = 0.8
HRE = 13400 / 93800  # P060: medium/heavy share of China's output cap
CHN_MINE, XRW_MINE = 120000.0, 7000.0
EXP = 39813.0  # J004
EXP_SPLIT = {"JPN": 0.55, "USA": 0.15, "EUU": 0.16, "XRW": 0.14}  # J005: JPN+EU+US 86%; JPN 55% assumed
EXP_HRE = 0.10
MAG_CN, MAG_JP = 50000.0, 10000.0
K_L, K_H = 0.36, 0.04  # t oxide per t magnet (NdPr oxide from the light pool, Dy/Tb oxide from the heavy)

L_c, H_c = CHN_MINE * (1 - HRE), CHN_MINE * HRE
L_x, H_x = XRW_MINE * 0.9, XRW_MINE * 0.1
flows = {}  # (product, from, to) -> t/yr


def add(p, f, t, v):
    flows[(p, f, t)] = flows.get((p, f, t), 0) + v


for d, s in EXP_SPLIT.items():
    add("light-re-oxide", "CHN", d, EXP * s * (1 - EXP_HRE))
    add("hre-oxide", "CHN", d, EXP * s * EXP_HRE)
add("light-re-oxide", "XRW", "JPN", 4500)
add("hre-oxide", "XRW", "JPN", 500)
add("light-re-oxide", "XRW", "XRW", L_x - 4500)
add("hre-oxide", "XRW", "XRW", H_x - 500)
add("light-re-oxide", "CHN", "CHN", L_c - sum(v for (p, f, t), v in flows.items() if p == "light-re-oxide" and f == "CHN"))
add("hre-oxide", "CHN", "CHN", H_c - sum(v for (p, f, t), v in flows.items() if p == "hre-oxide" and f == "CHN"))
MAGF = {("CHN", "CHN"): 40000, ("CHN", "USA"): 4000, ("CHN", "EUU"): 4000, ("CHN", "XRW"): 2000,
        ("JPN", "JPN"): 8000, ("JPN", "USA"): 1000, ("JPN", "EUU"): 1000}
for (f, t), v in MAGF.items():
    add("ndfeb-magnet", f, t, v)
MAG_DEM = {}
for (f, t), v in MAGF.items():
    MAG_DEM[t] = MAG_DEM.get(t, 0) + v
for t, v in MAG_DEM.items():
    add("magnet-products", t, t, v)
# other-use demand = inflow - magnet making
inflow = {}
for (p, f, t), v in flows.items():
    inflow[(t, p)] = inflow.get((t, p), 0) + v
OTHER = {}
for (t, p), v in inflow.items():
    if p in ("light-re-oxide", "hre-oxide"):
        mag = {"CHN": MAG_CN, "JPN": MAG_JP}.get(t, 0)
        OTHER[(t, p)] = v - mag * (K_L if p == "light-re-oxide" else K_H)
        assert OTHER[(t, p)] > 0, (t, p)

w("# chokepoint embedded dataset: world-2010 (2010 baseline for the japan-2010 scenario).")
w("# GENERATED by tools/gen_world_2010.py - edit the generator, not this file.")
w("# Small by design: China, Japan, USA, EU, rest of world; a light RE oxide pool (La, Ce, Nd, Pr), a heavy")
w("# pool (Dy, Tb, Y), NdFeB magnets and magnet products. Flows in t/yr; row ids (J004, ...) refer to the")
w("# source-fact CSVs (data/README.md). No 2009-2012 price series in the facts: prices are assumptions.")
w()
for sid, t, u, c in SOURCES:
    w(f"# {c}")
    w("[[source]]")
    w(f'id = "{sid}"')
    w(f'title = "{esc(t)}"')
    w(f'url = "{u}"')
    w()
for code, name, g in REGIONS:
    w("[[region]]")
    w(f'id = "{code}"')
    w(f'name = "{name}"')
    if g:
        w("groups = [" + ", ".join(f'"{x}"' for x in g) + "]")
    w()


def product(pid, name, unit, stage, content, price, kappa):
    w("[[product]]")
    w(f'id = "{pid}"')
    w(f'name = "{name}"')
    w(f'unit = "{unit}"')
    w(f'stage = "{stage}"')
    for el, v in content:
        w(f"content.{el} = {v}")
    w(f"price = {price}")
    w(f"price-response = {q(kappa, A, 'assumption', 'scarcity response; 2010-11 prices rose several-fold after the July 2010 quota cut (J041)')}")
    w(f"price-adjust-days = {q(14, A, 'assumption', 'spot market', unit='days')}")
    w()


product("re-concentrate", "Rare-earth concentrate, mined", "t REO", "mining",
        [("La", q(0.2, A, "assumption", "mixed light ore (La ~25% of REO)")), ("Dy", q(0.005, A, "assumption", "trace heavy RE"))],
        q(5, A, "assumption", "no 2010 price in the facts", unit="USD/kg"), 0.5)
product("light-re-oxide", "Light RE oxides, metals and compounds (La, Ce, Nd, Pr pool)", "t REO", "separation",
        [("La", q(0.21, A, "assumption", "pool ~25% La2O3")), ("Ce", q(0.4, A, "assumption", "pool ~50% CeO2")),
         ("Nd", q(0.15, A, "assumption", "pool ~17% Nd2O3")), ("Pr", q(0.04, A, "assumption", "pool ~5% Pr6O11"))],
        q(30, A, "assumption", "no 2009-2012 price series in the facts (data README gap); order of 2010 export prices (2010 export value ~3x 2009, J004)", unit="USD/kg"), 1.5)
product("hre-oxide", "Heavy RE oxides (Dy, Tb, Y pool)", "t REO", "separation",
        [("Dy", q(0.1, A, "assumption", "pool Dy share")), ("Tb", q(0.02, A, "assumption", "pool Tb share")), ("Y", q(0.5, A, "assumption", "pool Y share"))],
        q(150, A, "assumption", "no 2010 price series in the facts", unit="USD/kg"), 2.0)
product("ndfeb-magnet", "Sintered NdFeB magnet", "t product", "magnet",
        [("Nd", q(0.22, "heim-2023", "low", "I010: RE ~30%")), ("Pr", q(0.07, "heim-2023", "low", "I010")), ("Dy", q(0.01, "heim-2023", "low", "I011 fleet average lower than 4%"))],
        q(50, A, "assumption", "no 2010 magnet price in the facts", unit="USD/kg"), 1.0)
product("magnet-products", "Products with NdFeB magnets (motors, electronics; magnet-equivalent)", "t product", "component",
        [("Nd", q(0.22, "heim-2023", "low", "as the magnet")), ("Dy", q(0.01, "heim-2023", "low", "as the magnet"))],
        q(150, A, "assumption", "placeholder per kg of fitted magnet", unit="USD/kg"), 0.5)

for out, k in (("light-re-oxide", 1.0), ("hre-oxide", 1.0)):
    w("[[recipe]]")
    w(f'output = "{out}"')
    w(f"inputs.re-concentrate = {q(k, A, 'assumption', 'mass allocation of the concentrate over the two oxide pools; losses ignored')}")
    w("priority = 0")
    w()
w("[[recipe]]")
w('output = "ndfeb-magnet"')
w(f"inputs.light-re-oxide = {q(K_L, 'heim-2023', 'low', 'NdPr ~0.29 t metal per t magnet (I010) as oxide, drawn from the light pool')}")
w(f"inputs.hre-oxide = {q(K_H, 'heim-2023', 'low', 'Dy/Tb oxide per t magnet (I011 fleet-average, lower than the 4% high-coercivity grade)')}")
w("priority = 0")
w()
w("[[recipe]]")
w('output = "magnet-products"')
w(f"inputs.ndfeb-magnet = {q(1.0, A, 'assumption', 'magnet-equivalent unit')}")
w("priority = 0")
w()

prod = {}
for (p, f, t), v in flows.items():
    prod[(f, p)] = prod.get((f, p), 0) + v
prod[("CHN", "re-concentrate")] = CHN_MINE
prod[("XRW", "re-concentrate")] = XRW_MINE
CAPNOTE = {("CHN", "re-concentrate"): ("jamestown-2011", "low", "I029: world demand ~124,000 t REO 2010; China ~95% of supply (assumption) -> 120,000 t; / 0.8"),
           ("XRW", "re-concentrate"): (A, "assumption", "India, Brazil, Malaysia, Russia ~7,000 t REO 2010; / 0.8")}
for (r, p), v in sorted(prod.items()):
    s, c, n = CAPNOTE.get((r, p), (A, "assumption", f"sized on 2010 flows {v:,.0f} t/yr / 0.8"))
    unit = "t REO" if p in ("re-concentrate", "light-re-oxide", "hre-oxide") else "t product"
    w("[[facility]]")
    w(f'region = "{r}"')
    w(f'product = "{p}"')
    w(f"capacity = {q(v / UTIL, s, c, n, unit=unit + '/yr')}")
    w()
# concentrate links
for r in ("CHN", "XRW"):
    w("[[link]]")
    w(f'from = "{r}"')
    w(f'to = "{r}"')
    w('product = "re-concentrate"')
    w(f"share = {q(1.0, A, 'assumption', 'mined and separated at home')}")
    w(f"transit-days = {q(2, A, 'assumption', 'domestic', unit='days')}")
    w()
TRANSIT = {("CHN", "JPN"): 7, ("CHN", "USA"): 35, ("CHN", "EUU"): 40, ("CHN", "XRW"): 20, ("XRW", "JPN"): 20,
           ("JPN", "USA"): 21, ("JPN", "EUU"): 35}
by = {}
for (p, f, t), v in flows.items():
    by.setdefault((t, p), {})[f] = v
for (t, p), sup in sorted(by.items()):
    tot = sum(sup.values())
    keys = list(sup)
    sh = {k: round(sup[k] / tot, 6) for k in keys[:-1]}
    sh[keys[-1]] = round(1 - sum(sh.values()), 6)
    for f, s in sh.items():
        if f == "CHN" and t != "CHN" and p != "ndfeb-magnet":
            src, c, n = "windpower-moc-2010", "medium", f"J004: China exported 39,813 t in 2010; J005: Japan, EU, US took 86% (Japan 55% assumed); {EXP_HRE:.0%} heavy (assumption)"
        else:
            src, c, n = A, "assumption", "domestic" if f == t else "trade share assumed"
        w("[[link]]")
        w(f'from = "{f}"')
        w(f'to = "{t}"')
        w(f'product = "{p}"')
        w(f"share = {q(s, src, c, n + f'; = {s * tot:,.0f} t/yr')}")
        td = 2 if f == t else TRANSIT[(f, t)]
        w(f"transit-days = {q(td, A, 'assumption', 'freight', unit='days')}")
        w()
# candidate: Japan buys magnets from China when its own makers lack oxide
w("[[link]]")
w('from = "CHN"')
w('to = "JPN"')
w('product = "ndfeb-magnet"')
w(f"share = {q(0.0, A, 'assumption', 'candidate route')}")
w(f"transit-days = {q(7, A, 'assumption', 'freight', unit='days')}")
w()
for t, v in sorted(MAG_DEM.items()):
    w("[[demand]]")
    w(f'region = "{t}"')
    w('product = "magnet-products"')
    w('end-use = "magnets"')
    w(f"quantity = {q(v, A, 'assumption', 'magnet use 2010 (China ~50,000 t, Japan ~10,000 t output assumed; not in the facts)', unit='t product/yr')}")
    w()
for (t, p), v in sorted(OTHER.items()):
    src, c, n = ("industryweek-meti", "low", f"derived from imports; METI put Japan's total demand at ~30,000 t (I028); model total {inflow[('JPN','light-re-oxide')] + inflow[('JPN','hre-oxide')]:,.0f} t, {sum(v for (p_, f, t_), v in flows.items() if t_ == 'JPN' and f == 'CHN' and p_ != 'ndfeb-magnet') / (inflow[('JPN','light-re-oxide')] + inflow[('JPN','hre-oxide')]):.0%} from China (T009: Dy ~90%)") if t == "JPN" else (A, "assumption", "derived: supply less magnet making")
    w("[[demand]]")
    w(f'region = "{t}"')
    w(f'product = "{p}"')
    w('end-use = "other"')
    w(f"quantity = {q(v, src, c, n + ' (catalysts, glass, polishing, phosphors, alloys)', unit='t REO/yr')}")
    w()
for r in ("JPN", "USA", "EUU", "XRW"):
    for p in ("light-re-oxide", "hre-oxide"):
        w("[[inventory]]")
        w(f'region = "{r}"')
        w(f'product = "{p}"')
        days = 60
        w(f"initial-days = {q(days, A, 'assumption', 'importers held ~2 months; Japanese firms drew stocks during the halt', unit='days')}")
        w(f"target-days = {q(days, A, 'assumption', 'as initial', unit='days')}")
        w()
w("[[segment]]")
w('name = "china"')
w('regions = ["CHN"]')
sys.stdout.write("\n".join(OUT) + "\n")
print(f"JPN supply {inflow[('JPN','light-re-oxide')] + inflow[('JPN','hre-oxide')]:,.0f}", file=sys.stderr)
