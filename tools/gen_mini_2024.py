#!/usr/bin/env python3
"""Generate data/mini-2024.toml (the embedded 2024 NdFeB baseline) from the fact rows it cites.

Why a generator: the baseline flows must balance (shares into each (buyer, product) sum to one,
supply covers demand at every stage), and most capacities and demands are derived from a handful of
cited facts. Deriving them here keeps every derived number reproducible and its note honest.

Usage:  python3 tools/gen_mini_2024.py > data/mini-2024.toml
Then:   python3 tools/check_dataset.py data/mini-2024.toml

Fact row ids (P001, D008, ...) refer to the CSVs under /work/shared/data (see data/README.md).
"""

import os
import sys

OUT = []


def w(line=""):
    OUT.append(line)


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from toml_provenance import esc, fmt, q  # noqa: E402,F401


def rnd(x, step):
    return round(x / step) * step


# ---------------------------------------------------------------------------------------------
# Sources (title and url from the fact CSVs; the first url of a row is used, read-via urls are
# kept in the comment).
SOURCES = [
    ("usgs-mcs-2025", "USGS Mineral Commodity Summaries 2025 - Rare Earths (figures as reported by secondary pages; primary PDF not read)",
     "https://pubs.usgs.gov/periodicals/mcs2025/mcs2025-rare-earths.pdf",
     "rows P001-P004, P013, P020; read via https://www.metalnomist.com/2025/04/global-rare-earth-mining-rises-in-2024.html"),
    ("usgs-mcs-2025-ocr", "OCR transcription of MCS2025 rare-earths sheet in GitHub repos (NSSAC/dpi.RAG data/marker/mcs2025-rare-earths.md; app data file)",
     "https://github.com/NSSAC/dpi.RAG/blob/main/data/marker/mcs2025-rare-earths.md",
     "rows T001 (US import shares), R013-R015 (USGS annual average oxide prices 2024)"),
    ("mining-com-2011-quota", "Mining.com - China bumps up rare earth export quota (2011 output cap)",
     "https://mining.com/china-bumps-up-rare-earth-export-quota", "row P060"),
    ("iea-2025-10", "IEA commentary 23 Oct 2025 on export controls (as summarised by Rare Earth Exchanges)",
     "https://rareearthexchanges.com/news/the-mineral-chessboard-iea-sounds-alarm-as-china-tightens-its-grip",
     "rows P068 (China 91% of separation), P069 (China 94% of sintered magnets)"),
    ("lifton-hre", "InvestorNews - Jack Lifton on heavy rare earths (China 99%)",
     "https://investornews.com/critical-minerals-rare-earths/what-are-the-problems-in-sourcing-heavy-rare-earths-and-why-do-they-matter/?print=print",
     "row P073"),
    ("industryslice-myanmar", "Industry Slice newsletter (Reuters) - Myanmar earthquake; Myanmar 57% of China RE imports 2024",
     "https://industryslice-staging.azurewebsites.net/Newsletter/18_1099", "row P079"),
    ("argus-china-ndfeb", "Argus (E. Saklatvala) via Mining.com/minelistings: China NdFeB output",
     "https://minelistings.com/mine-news/mp-materials-produces-rare-earth-metal-in-texas", "rows P083, P084"),
    ("smm-ndfeb-2024", "SMM: NdFeB production to continue rising in 2024",
     "https://news.metal.com/newscontent/102788751/smm-ndfeb-production-to-continue-rising-in-2024-outlook-for-rare-earth-demand-in-automobiles-wind-power-and-home-appliances",
     "row P085"),
    ("metalnomist-magnets", "Metalnomist - Global rare earth magnet production set to grow",
     "https://www.metalnomist.com/2025/10/global-rare-earth-magnet-production-set.html",
     "rows P086, P087, C015-C017, I005"),
    ("argus-japan-2022", "Argus - Japan aims to diversify rare earth supply",
     "https://argusmedia.com/es/news-and-insights/latest-market-news/2405752-japan-aims-to-diversify-rare-earth-supply",
     "row P088"),
    ("smm-hre-oxide-2024", "SMM - June medium-heavy rare earth oxide production",
     "https://news.metal.com/newscontent/102862116/June-Medium-Heavy-Rare-Earth-Oxide-Production-Slightly-Decreased-MoM",
     "rows P080, P081, I032, I033"),
    ("fastmarkets-lynas", "Fastmarkets - Lynas to produce dysprosium, terbium oxide in Malaysia",
     "https://fastmarkets.com/insights/lynas-to-produce-dysprosium-terbium-oxide-in-malaysia", "rows C001, C002"),
    ("mp-8k-2025", "MP Materials 8-K Ex.99.1 - MP Materials Restores U.S. Rare Earth Magnet Production",
     "https://www.sec.gov/Archives/edgar/data/1801368/000162828025002096/mpmcexhibit9911222025.htm",
     "rows C006, C007, C008, I001"),
    ("heim-2023", "Heim & Vander Wal (2023) NdFeB Permanent Magnet Uses..., Minerals 13(10):1274 (encyclopedia.pub entry 50309)",
     "https://doi.org/10.3390/min13101274", "rows I007, I010, I011; also https://encyclopedia.pub/entry/50309"),
    ("coinmela-ev-2024", "coinmela - Rare earth demand for EV motors 2024 (likely IDTechEx)",
     "https://coinmela.com/rare-earth-demand-for-electric-vehicle-motors-set-to-surge-in-2024", "row I024"),
    ("eca-2026", "European Court of Auditors report via Plataforma Media",
     "https://www.plataformamedia.com/en/2026/02/03/eu-faces-major-reliance-on-china-for-critical-minerals-auditors-warn",
     "row T005 (EU magnets: 17,000 of 20,000 t from China)"),
    ("adamas-2024-exports", "Adamas Intelligence - Record rare earth magnet exports from China in 2024",
     "https://www.adamasintel.com/record-rare-earth-magnet-exports-from-china-in-2024/", "rows D008, E032"),
    ("asiacity-2025-09", "Asiacity news - China's rare earth magnet exports to the US in September (customs data)",
     "https://asiacity.news/?p=138890", "rows D009, D013-D015, E048"),
    ("goldsea-2025-12", "Reuters via Goldsea - December 2025 and full-year magnet exports",
     "http://www.goldsea.com/public/index.php/article_details/china-rare-earth-exports-to-us-japan-fell-in-december",
     "rows E054-E058"),
    ("treo-2024-trade", "The Rare Earth Observer - analysis of China's rare earth trade data 2024 (China import data)",
     "https://treo.substack.com/p/special-analysis-of-chinas-rare-earth", "rows D016, D017"),
    ("smm-weekly-2024-12", "SMM Weekly Review 2024-12-26",
     "https://news.metal.com/newscontent/103108533/Rare-Earth-Prices-Slightly-Rebounded-During-the-Week-High-Price-Transactions-Remain-Difficult-[SMM-Weekly-Review]",
     "row R091"),
    ("clepa-2025-06", "Reuters/ANE - CLEPA European supplier plants shut",
     "https://todayheadline.co/european-auto-supplier-plants-shut-081958659-html/", "row E014"),
    ("stoichiometry", "Stoichiometric metal fraction of rare-earth oxides (chokepoint source-fact notes, 'Useful conversions'; from molar masses)",
     "data/README.md#stoichiometry",
     "Nd2O3 0.8574, Pr6O11 0.8277, Dy2O3 0.8713, Tb4O7 0.8502 (physics, not a market fact)"),
    ("chokepoint-assumption", "chokepoint modelling assumption (reasoning in the note of each number)",
     "data/README.md#assumptions",
     "no fact row gives this number; override it in a scenario"),
]
A = "chokepoint-assumption"

# ---------------------------------------------------------------------------------------------
# Facts and derivations (t per year unless stated).
REGIONS = [
    ("CHN", "China", []),
    ("USA", "United States", ["allies"]),
    ("JPN", "Japan", ["allies"]),
    ("KOR", "South Korea", ["allies"]),
    ("EUU", "European Union", ["allies"]),
    ("MYS", "Malaysia", []),
    ("AUS", "Australia", ["allies"]),
    ("XRW", "Rest of world", []),
]

F_ND2O3, F_PR6O11, F_DY2O3, F_TB4O7 = 0.8574, 0.8277, 0.8713, 0.8502
ND_SHARE = 0.75  # Nd:Pr = 75:25 by metal mass in NdPr (assumption)
K_NDPR = ND_SHARE / F_ND2O3 + (1 - ND_SHARE) / F_PR6O11  # t NdPr oxide per t NdPr metal
K_DY = 1 / F_DY2O3
K_TB = 1 / F_TB4O7

# Magnet composition.
RE_TOTAL = 0.30  # I010
DY_OXIDE_CHN = 2568.0  # I032 (214 t/month x 12)
TB_OXIDE_CHN = 490.0  # I033
TO_MAGNETS = 0.9  # share of Dy/Tb used in magnets (assumption)
WORLD_MAGNETS = 280000.0  # assumption anchored on P083/P085/P086/P087
DY_C = round(DY_OXIDE_CHN * F_DY2O3 * TO_MAGNETS / WORLD_MAGNETS, 4)  # 0.0072
TB_C = round(TB_OXIDE_CHN * F_TB4O7 * TO_MAGNETS / WORLD_MAGNETS, 4)  # 0.0013
NDPR_C = round(RE_TOTAL - DY_C - TB_C, 4)
ND_C = round(NDPR_C * ND_SHARE, 4)
PR_C = round(NDPR_C - ND_C, 4)

# Magnet output by region.
CHN_SHARE = 0.94  # P069
MAG_OUT = {"CHN": WORLD_MAGNETS * CHN_SHARE}
REST = WORLD_MAGNETS - MAG_OUT["CHN"]  # 16,800
MAG_OUT["JPN"] = 12000.0
MAG_OUT["XRW"] = 3300.0
MAG_OUT["EUU"] = REST - 12000.0 - 3300.0  # 1,500
UTIL = 0.8  # design utilisation of derived capacities (assumption)

# China's magnet exports 2024 by destination.
CHN_EXP_TOTAL = 58152.0  # D008
CHN_EXP = {
    "USA": 5933 / (1 - 0.203),  # E058: 2025 5,933 t at -20.3% y/y -> 2024 ~7,444 t
    "EUU": 17000.0,  # T005
    "KOR": 854 / 1.845 * 12,  # D013: Sep 2025 854 t at +84.5% y/y -> 2024 ~463 t/month
    "JPN": 2400.0,  # D015/E056: Sep 2024 ~189 t/month, Dec 2024 ~213 t/month -> ~200 t/month
}
CHN_EXP["XRW"] = CHN_EXP_TOTAL - sum(CHN_EXP.values())

# Magnet supply shares into each buyer (from, share); computed so flows match the facts above.
US_CHN = 0.70  # T001 proxy
US_DEM = CHN_EXP["USA"] / US_CHN
EU_DEM = 20000.0  # T005
KOR_CHN = 0.92
KOR_DEM = CHN_EXP["KOR"] / KOR_CHN
jpn_exports = 0.15 * US_DEM + 0.05 * EU_DEM + (1 - KOR_CHN) * KOR_DEM
JPN_DEM = MAG_OUT["JPN"] - jpn_exports + CHN_EXP["JPN"]
xrw_exports = 0.15 * US_DEM + 0.025 * EU_DEM
XRW_DEM = MAG_OUT["XRW"] - xrw_exports + CHN_EXP["XRW"]
CHN_DEM = MAG_OUT["CHN"] - CHN_EXP_TOTAL
MAG_DEM = {"CHN": CHN_DEM, "USA": US_DEM, "EUU": EU_DEM, "KOR": KOR_DEM, "JPN": JPN_DEM, "XRW": XRW_DEM}
assert abs(sum(MAG_DEM.values()) - WORLD_MAGNETS) < 1e-6


def shares(d):
    """Round shares to 6 decimals and make the last one close the sum to exactly 1."""
    keys = list(d)
    out = {k: round(d[k], 6) for k in keys[:-1]}
    out[keys[-1]] = round(1 - sum(out.values()), 6)
    return out


MAG_SHARES = {
    "CHN": {"CHN": 1.0},
    "USA": shares({"CHN": US_CHN, "JPN": 0.15, "XRW": 0.15, "EUU": 0.0}),
    "EUU": shares({"CHN": 0.85, "JPN": 0.05, "XRW": 0.025, "EUU": 0.075}),
    "KOR": shares({"CHN": KOR_CHN, "XRW": 0.0, "KOR": 0.0, "JPN": 1 - KOR_CHN}),
    "JPN": shares({"XRW": 0.0, "CHN": CHN_EXP["JPN"] / JPN_DEM, "JPN": 1 - CHN_EXP["JPN"] / JPN_DEM}),
    "XRW": shares({"JPN": 0.0, "CHN": CHN_EXP["XRW"] / XRW_DEM, "XRW": 1 - CHN_EXP["XRW"] / XRW_DEM}),
}
# KOR -> KOR share 0 is not a link (no KOR magnet facility); drop it.
del MAG_SHARES["KOR"]["KOR"]
MAG_SHARES["KOR"] = shares({"CHN": KOR_CHN, "XRW": 0.0, "JPN": 1 - KOR_CHN})

# End uses (share of magnet demand; assumption).
END_USES = [
    ("ev-traction-motor", "EV traction motors (magnets fitted)", "ev", 0.30),
    ("wind-generator", "Permanent-magnet wind generators (magnets fitted)", "wind", 0.10),
    ("defence-system", "Defence systems (magnets fitted)", "defence", 0.02),
    ("electronics-device", "Electronics, acoustics, HDD, phones (magnets fitted)", "electronics", 0.25),
    ("industrial-other", "Industrial motors, appliances and other uses (magnets fitted)", "other", 0.33),
]
assert abs(sum(e[3] for e in END_USES) - 1) < 1e-12

# NdPr metal: who supplies the magnet makers.
NDPR_METAL_NEED = {r: MAG_OUT[r] * NDPR_C for r in MAG_OUT}
METAL_SHARES = {
    "CHN": {"CHN": 1.0},
    "JPN": shares({"CHN": 0.4, "XRW": 0.1, "JPN": 0.5}),
    "XRW": shares({"CHN": 0.4, "XRW": 0.6}),
    "EUU": shares({"JPN": 0.0, "XRW": 0.1, "CHN": 0.9}),
}
metal_out = {}
for buyer, sh in METAL_SHARES.items():
    for s, v in sh.items():
        metal_out[s] = metal_out.get(s, 0) + v * NDPR_METAL_NEED[buyer]
# NdPr oxide: who supplies the metal makers.
OXIDE_NEED = {r: metal_out[r] * K_NDPR for r in metal_out}
LYNAS_TO_CHN, MP_TO_CHN = 3261.0, 232.0  # D016, D017
OXIDE_SHARES = {
    "CHN": shares({"MYS": LYNAS_TO_CHN / OXIDE_NEED["CHN"], "USA": MP_TO_CHN / OXIDE_NEED["CHN"],
                   "CHN": 1 - (LYNAS_TO_CHN + MP_TO_CHN) / OXIDE_NEED["CHN"]}),
    "JPN": shares({"MYS": 0.5, "USA": 0.5}),
    "XRW": shares({"MYS": 0.8, "XRW": 0.2}),
}
oxide_out = {}
for buyer, sh in OXIDE_SHARES.items():
    for s, v in sh.items():
        oxide_out[s] = oxide_out.get(s, 0) + v * OXIDE_NEED[buyer]

# Separation recipes.
NDPR_IN_LIGHT = 0.25  # t NdPr oxide per t REO of light concentrate (assumption)
K_LIGHT = round(1 / NDPR_IN_LIGHT, 4)
K_LYNAS = 2.1  # calibrated: AUS 13,000 t REO (P004) vs Lynas ~6,142 t NdPr (C002)
NDPR_IN_SCRAP = 0.75
K_SCRAP = round(1 / NDPR_IN_SCRAP, 4)
SCRAP_CAP = 30000.0  # t REO/yr (assumption)
HRE_IN_CLAY = 0.06  # t (Dy2O3 + Tb4O7) per t REO of ion-adsorption clay concentrate (assumption)
K_CLAY = round(1 / HRE_IN_CLAY, 4)

# Light concentrate needs.
chn_from_conc = OXIDE_NEED["CHN"] * OXIDE_SHARES["CHN"]["CHN"] - SCRAP_CAP * NDPR_IN_SCRAP
LIGHT_NEED = {
    "CHN": chn_from_conc * K_LIGHT,
    "USA": oxide_out["USA"] * K_LIGHT,
    "XRW": oxide_out["XRW"] * K_LIGHT,
    "MYS": oxide_out["MYS"] * K_LYNAS,
}
MINE_UTIL = 0.9  # capacity = 2024 output / 0.9 (assumption)
MINE_OUT = {"CHN": 270000.0 - 19000.0, "USA": 45000.0, "AUS": 13000.0,
            "XRW": 390000.0 - 270000.0 - 45000.0 - 13000.0 - 31000.0}
us_to_chn = MINE_OUT["USA"] * 0.85 - LIGHT_NEED["USA"]  # MP: most concentrate went to China (D017 note)
xrw_to_chn = MINE_OUT["XRW"] * 0.7 - LIGHT_NEED["XRW"]
LIGHT_SHARES = {
    "CHN": shares({"USA": us_to_chn / LIGHT_NEED["CHN"], "XRW": xrw_to_chn / LIGHT_NEED["CHN"],
                   "CHN": 1 - (us_to_chn + xrw_to_chn) / LIGHT_NEED["CHN"]}),
    "USA": {"USA": 1.0},
    "XRW": {"XRW": 1.0},
    "MYS": {"AUS": 1.0},
}
light_out = {}
for buyer, sh in LIGHT_SHARES.items():
    for s, v in sh.items():
        light_out[s] = light_out.get(s, 0) + v * LIGHT_NEED[buyer]

# Heavy chain (China only in 2024: P073 99%).
DY_METAL_NEED = {r: MAG_OUT[r] * DY_C for r in MAG_OUT}
TB_METAL_NEED = {r: MAG_OUT[r] * TB_C for r in MAG_OUT}
DY_OX_NEED = sum(DY_METAL_NEED.values()) * K_DY
TB_OX_NEED = sum(TB_METAL_NEED.values()) * K_TB
CLAY_NEED = (DY_OX_NEED + TB_OX_NEED) * K_CLAY
CLAY_OUT = {"XRW": 31000.0, "CHN": 19000.0}
CLAY_SHARES = {"CHN": shares({"XRW": CLAY_OUT["XRW"] / sum(CLAY_OUT.values()),
                              "CHN": CLAY_OUT["CHN"] / sum(CLAY_OUT.values())})}

TRANSIT = {
    ("CHN", "USA"): 35, ("CHN", "EUU"): 40, ("CHN", "JPN"): 7, ("CHN", "KOR"): 7, ("CHN", "XRW"): 14,
    ("JPN", "USA"): 21, ("JPN", "EUU"): 35, ("JPN", "KOR"): 3, ("JPN", "XRW"): 10,
    ("XRW", "USA"): 30, ("XRW", "EUU"): 30, ("XRW", "JPN"): 10, ("XRW", "KOR"): 10, ("XRW", "CHN"): 10,
    ("EUU", "USA"): 14,
    ("USA", "CHN"): 30, ("USA", "JPN"): 21, ("AUS", "MYS"): 10, ("MYS", "CHN"): 7, ("MYS", "JPN"): 10,
    ("MYS", "XRW"): 7, ("AUS", "CHN"): 14,
}
DOMESTIC_TRANSIT = 2

# ---------------------------------------------------------------------------------------------
w("# chokepoint embedded dataset: mini-2024 (2024 baseline, NdFeB magnet chain and Dy/Tb).")
w("# GENERATED by tools/gen_mini_2024.py from the cited fact rows; edit the generator, then run")
w("#   python3 tools/gen_mini_2024.py > data/mini-2024.toml && python3 tools/check_dataset.py data/mini-2024.toml")
w("# Layout conventions: docs/scenario.md, section 'Dataset files'. Simplifications: data/README.md.")
w("# Rates are written per year ('.../yr'); the parser divides by 365. Fact row ids (P001, D008, ...)")
w("# refer to the source-fact CSVs the notes were derived from.")
w()
w("# ============================================================================ sources")
for sid, title, url, comment in SOURCES:
    w(f"# {comment}")
    w("[[source]]")
    w(f'id = "{sid}"')
    w(f'title = "{esc(title)}"')
    w(f'url = "{esc(url)}"')
    w()

w("# ============================================================================ regions")
for code, name, groups in REGIONS:
    w("[[region]]")
    w(f'id = "{code}"')
    w(f'name = "{name}"')
    if groups:
        w("groups = [" + ", ".join(f'"{g}"' for g in groups) + "]")
    w()

# ---------------------------------------------------------------------------------------------
w("# ============================================================================ products")
w("# content = kg element per kg of product (per kg REO for 't REO' products).")


def product(pid, name, unit, stage, content, price, kappa, adjust, comment=None):
    if comment:
        for c in comment.split("\n"):
            w(f"# {c}")
    w("[[product]]")
    w(f'id = "{pid}"')
    w(f'name = "{name}"')
    w(f'unit = "{unit}"')
    w(f'stage = "{stage}"')
    for el, val in content:
        w(f"content.{el} = {val}")
    w(f"price = {price}")
    w(f"price-response = {kappa}")
    w(f"price-adjust-days = {adjust}")
    w()


ND_LIGHT = round(NDPR_IN_LIGHT * ND_SHARE * F_ND2O3, 4)
PR_LIGHT = round(NDPR_IN_LIGHT * (1 - ND_SHARE) * F_PR6O11, 4)
product("re-concentrate", "Light rare-earth concentrate (bastnaesite/monazite)", "t REO", "mining",
        [("Nd", q(ND_LIGHT, A, "assumption", f"NdPr oxide ~{NDPR_IN_LIGHT:.0%} of REO in light ores (Bayan Obo, Mt Weld, Mountain Pass ~16-25%, not in the fact files) x Nd 75% x Nd2O3 0.8574")),
         ("Pr", q(PR_LIGHT, A, "assumption", "NdPr oxide share of REO x Pr 25% x Pr6O11 0.8277; La, Ce and heavy traces not modelled"))],
        q(5, A, "assumption", "no concentrate price in the fact files: contained NdPr (~25% x 56 USD/kg oxide = 14 USD/kg) less separation cost and discount", unit="USD/kg"),
        q(0.5, A, "assumption", "concentrate prices follow oxide prices weakly"),
        q(30, A, "assumption", "contract-priced", unit="days"))
ND_SCRAP = round(NDPR_IN_SCRAP * ND_SHARE / K_NDPR, 4)
PR_SCRAP = round(NDPR_IN_SCRAP * (1 - ND_SHARE) / K_NDPR, 4)
product("magnet-scrap", "NdFeB magnet swarf and end-of-life scrap for recycling", "t REO", "mining",
        [("Nd", q(ND_SCRAP, A, "assumption", f"NdPr oxide ~{NDPR_IN_SCRAP:.0%} of the REO recovered from magnet scrap (magnet RE is ~97% NdPr, I010/I011; recovery of mixed oxide assumed 75%)")),
         ("Pr", q(PR_SCRAP, A, "assumption", "as Nd, Pr 25% of NdPr; recovered Dy/Tb not modelled"))],
        q(20, A, "assumption", "no scrap price in the fact files: ~0.5 x contained NdPr oxide value", unit="USD/kg"),
        q(0.5, A, "assumption", "follows oxide prices weakly"),
        q(30, A, "assumption", "contract-priced", unit="days"),
        "Secondary feed for NdPr separation in China: without it the 2024 mine output cannot make the NdPr the\nworld's magnets contain (see data/README.md, 'NdPr balance').")
DY_CLAY = round(HRE_IN_CLAY * DY_OXIDE_CHN / (DY_OXIDE_CHN + TB_OXIDE_CHN) * F_DY2O3, 4)
TB_CLAY = round(HRE_IN_CLAY * TB_OXIDE_CHN / (DY_OXIDE_CHN + TB_OXIDE_CHN) * F_TB4O7, 4)
product("hre-concentrate", "Ion-adsorption clay concentrate (heavy rare earths; southern China, Myanmar)", "t REO", "mining",
        [("Dy", q(DY_CLAY, A, "assumption", f"(Dy2O3+Tb4O7) ~{HRE_IN_CLAY:.0%} of REO in ion-adsorption clays (not in the fact files), split Dy:Tb as China's 2024 oxide output 2568:490 (I032/I033), x Dy2O3 0.8713")),
         ("Tb", q(TB_CLAY, A, "assumption", "as Dy; x Tb4O7 0.8502. Y, Gd, NdPr in clays not modelled"))],
        q(15, A, "assumption", "no price in the fact files: contained Dy/Tb value (~0.05 x 260 + 0.01 x 810 USD/kg) less separation cost", unit="USD/kg"),
        q(0.5, A, "assumption", "follows oxide prices weakly"),
        q(30, A, "assumption", "contract-priced", unit="days"))
ND_OX = round(ND_SHARE / K_NDPR, 4)
PR_OX = round((1 - ND_SHARE) / K_NDPR, 4)
product("ndpr-oxide", "NdPr oxide (Nd2O3 + Pr6O11, 75:25 by metal)", "t REO", "separation",
        [("Nd", q(ND_OX, "stoichiometry", "high", f"metal 75:25 Nd:Pr (assumption); {K_NDPR:.4f} t oxide per t metal from Nd2O3 0.8574, Pr6O11 0.8277")),
         ("Pr", q(PR_OX, "stoichiometry", "high", "as Nd"))],
        q(56, "usgs-mcs-2025-ocr", "medium", "R013: USGS 2024 annual average Nd oxide 56 USD/kg used for NdPr oxide; consistent with China PrNd oxide ~390,000 CNY/t in Dec 2024 (R091)", unit="USD/kg"),
        q(1.5, A, "assumption", "liquid, exchange-traded in China; moderate scarcity response"),
        q(14, A, "assumption", "spot market adjusts within weeks (SMM daily quotes)", unit="days"))
product("dy-oxide", "Dysprosium oxide (Dy2O3)", "t REO", "separation",
        [("Dy", q(F_DY2O3, "stoichiometry", "high", "Dy2O3 metal fraction"))],
        q(260, "usgs-mcs-2025-ocr", "medium", "R015: USGS 2024 annual average Dy oxide", unit="USD/kg"),
        q(3.0, A, "assumption", "thin market: Europe Dy oxide tripled within a month of the April 2025 controls (R117/R118)"),
        q(14, A, "assumption", "spot market", unit="days"))
product("tb-oxide", "Terbium oxide (Tb4O7)", "t REO", "separation",
        [("Tb", q(F_TB4O7, "stoichiometry", "high", "Tb4O7 metal fraction"))],
        q(810, "usgs-mcs-2025-ocr", "medium", "R014: USGS 2024 annual average Tb oxide", unit="USD/kg"),
        q(3.0, A, "assumption", "thin market: Europe Tb oxide tripled within a month of the April 2025 controls (R119/R120)"),
        q(14, A, "assumption", "spot market", unit="days"))
product("ndpr-metal", "NdPr metal (75:25)", "t metal", "metal",
        [("Nd", q(ND_SHARE, A, "assumption", "Nd:Pr 75:25 by mass, typical didymium ratio (not in the fact files)")),
         ("Pr", q(1 - ND_SHARE, A, "assumption", "as Nd"))],
        q(71, A, "assumption", f"derived: 56 USD/kg oxide x {K_NDPR:.3f} t oxide per t metal + ~5 USD/kg conversion (assumed)", unit="USD/kg"),
        q(1.5, A, "assumption", "as NdPr oxide"),
        q(14, A, "assumption", "as NdPr oxide", unit="days"))
product("dy-metal", "Dysprosium metal (incl. DyFe alloy, as Dy)", "t metal", "metal",
        [("Dy", q(1.0, A, "assumption", "pure metal basis"))],
        q(308, A, "assumption", f"derived: 260 USD/kg oxide x {K_DY:.4f} + ~10 USD/kg conversion (assumed)", unit="USD/kg"),
        q(3.0, A, "assumption", "as Dy oxide"),
        q(14, A, "assumption", "as Dy oxide", unit="days"))
product("tb-metal", "Terbium metal (as Tb)", "t metal", "metal",
        [("Tb", q(1.0, A, "assumption", "pure metal basis"))],
        q(963, A, "assumption", f"derived: 810 USD/kg oxide x {K_TB:.4f} + ~10 USD/kg conversion (assumed)", unit="USD/kg"),
        q(3.0, A, "assumption", "as Tb oxide"),
        q(14, A, "assumption", "as Tb oxide", unit="days"))
MAG_CONTENT = [
    ("Nd", q(ND_C, "heim-2023", "low", f"derived: total RE ~0.30 (I010) minus Dy and Tb = NdPr {NDPR_C}, split 75:25 (assumption)")),
    ("Pr", q(PR_C, "heim-2023", "low", "derived as Nd")),
    ("Dy", q(DY_C, "smm-hre-oxide-2024", "low", f"fleet average derived: China Dy oxide 2568 t/yr (I032) x 0.8713 x 90% to magnets / {WORLD_MAGNETS:,.0f} t magnets. High-coercivity EV/wind grades carry ~0.04 (I011); most magnets carry little or none")),
    ("Tb", q(TB_C, "smm-hre-oxide-2024", "low", f"fleet average derived: China Tb oxide 490 t/yr (I033) x 0.8502 x 90% / {WORLD_MAGNETS:,.0f} t")),
]
product("ndfeb-magnet", "Sintered NdFeB magnet (fleet-average grade)", "t product", "magnet", MAG_CONTENT,
        q(49, "adamas-2024-exports", "high", "D008: China 2024 magnet exports US$2.86 bn / 58,152 t = 49 USD/kg", unit="USD/kg"),
        q(1.5, A, "assumption", "EU magnet prices reached ~6x China's in 2025 (E026) under controls; moderate baseline response"),
        q(30, A, "assumption", "magnets are sold on quarterly/monthly contracts", unit="days"),
        "Dy/Tb content > 0, so Announcement No. 18 ({ elements = [...] }) catches magnets, as it did.")
w("# End-use components. Unit: 't product' = tonnes of NdFeB magnet fitted in the component (magnet-")
w("# equivalent), so demand, capacity and recipes stay in magnet tonnes; content equals the magnet's.")
for pid, name, eu, _ in END_USES:
    product(pid, name, "t product", "component", MAG_CONTENT,
            q(150, A, "assumption", "placeholder: value of the component per kg of fitted magnet (~3x magnet price); only relative price changes matter"),
            q(0.5, A, "assumption", "component prices respond weakly to magnet scarcity"),
            q(60, A, "assumption", "long-term contracts", unit="days"))

# ---------------------------------------------------------------------------------------------
w("# ============================================================================ recipes")
w("# inputs = units of input per unit of output (t REO / t metal / t product as the products say).")


def recipe(output, inputs, priority=0, regions=None, comment=None, share=None):
    if comment:
        for c in comment.split("\n"):
            w(f"# {c}")
    w("[[recipe]]")
    w(f'output = "{output}"')
    for k, v in inputs:
        w(f"inputs.{k} = {v}")
    w(f"priority = {priority}")
    if share is not None:
        w(f"share = {share}")
    if regions:
        w("regions = [" + ", ".join(f'"{r}"' for r in regions) + "]")
    w()


recipe("ndpr-oxide", [("magnet-scrap", q(K_SCRAP, A, "assumption", f"t REO scrap per t NdPr oxide: 1/{NDPR_IN_SCRAP}"))], 0, ["CHN"],
       "China recycles magnet scrap (cheaper feed) for part of its NdPr oxide and separates concentrate for the rest.",
       share=q(0.226, A, "assumption", "baseline share of China's NdPr oxide made from scrap, sized so scrap recycling runs at 90% of its assumed 30,000 t REO/yr: 30,000 x 0.9 / 1.3333 = 20,250 t of ~89,400 t NdPr oxide/yr"))
recipe("ndpr-oxide", [("re-concentrate", q(K_LYNAS, "fastmarkets-lynas", "low", "calibrated: Australia 13,000 t REO mined 2024 (P004) against Lynas Malaysia NdPr ~6,142 t/yr (C002): Mt Weld concentrate is NdPr-rich"))], 0, ["MYS"],
       "Lynas Malaysia processes Mt Weld concentrate.")
recipe("ndpr-oxide", [("re-concentrate", q(K_LIGHT, A, "assumption", f"t REO per t NdPr oxide: NdPr ~{NDPR_IN_LIGHT:.0%} of REO in light ores; the rest (La, Ce, ...) is a by-product not modelled"))], 1)
recipe("dy-oxide", [("hre-concentrate", q(K_CLAY, A, "assumption", f"t REO clay per t of (Dy or Tb) oxide: 1/{HRE_IN_CLAY}. Joint production approximated by allocating clay tonnage by oxide mass"))])
recipe("tb-oxide", [("hre-concentrate", q(K_CLAY, A, "assumption", "as dy-oxide (mass allocation of the joint Dy/Tb output)"))])
recipe("ndpr-metal", [("ndpr-oxide", q(round(K_NDPR, 4), "stoichiometry", "high", "0.75/0.8574 + 0.25/0.8277; process losses ignored"))])
recipe("dy-metal", [("dy-oxide", q(round(K_DY, 4), "stoichiometry", "high", "1/0.8713; process losses ignored"))])
recipe("tb-metal", [("tb-oxide", q(round(K_TB, 4), "stoichiometry", "high", "1/0.8502; process losses ignored"))])
recipe("ndfeb-magnet", [
    ("ndpr-metal", q(NDPR_C, "heim-2023", "low", "equals the magnet's NdPr content; machining scrap assumed offset by recycled swarf")),
    ("dy-metal", q(DY_C, "smm-hre-oxide-2024", "low", "equals the magnet's fleet-average Dy content")),
    ("tb-metal", q(TB_C, "smm-hre-oxide-2024", "low", "equals the magnet's fleet-average Tb content")),
], 0, None, "Standard grade.")
DY_LEAN = round(DY_C / 2, 4)
recipe("ndfeb-magnet", [
    ("ndpr-metal", q(round(NDPR_C + DY_C - DY_LEAN, 4), "heim-2023", "assumption", "NdPr replaces the Dy removed; total RE stays 0.30 (I010)")),
    ("dy-metal", q(DY_LEAN, "heim-2023", "assumption", "half the standard Dy: grain-boundary diffusion lowers Dy (I011 note); the product's content is not changed by the recipe")),
    ("tb-metal", q(TB_C, "smm-hre-oxide-2024", "assumption", "unchanged")),
], 1, None, "Dy-lean (thrifted, grain-boundary diffusion) alternative, used when Dy metal runs short.")
for pid, name, eu, _ in END_USES:
    recipe(pid, [("ndfeb-magnet", q(1.0, A, "assumption", "1 t product = 1 t magnet fitted (magnet-equivalent unit)"))])

# ---------------------------------------------------------------------------------------------
w("# ============================================================================ facilities")
w(f"# Capacity = observed/derived 2024 output / utilisation (mines {MINE_UTIL}, elsewhere {UTIL}) unless a")
w("# nameplate is in the facts. Notes give the output each capacity was derived from.")


def facility(region, product_, cap, unit, source, conf, note, plants=None):
    w("[[facility]]")
    w(f'region = "{region}"')
    w(f'product = "{product_}"')
    w(f"capacity = {q(cap, source, conf, note, unit=unit + '/yr')}")
    if plants:
        w("plants = [" + ", ".join(f'"{p}"' for p in plants) + "]")
    w()


facility("CHN", "re-concentrate", rnd(MINE_OUT["CHN"] / MINE_UTIL, 100), "t REO", "usgs-mcs-2025", "medium",
         "P001: China mined 270,000 t REO in 2024, less ~19,000 t ion-adsorption clay (hre-concentrate, assumption) = 251,000 t light; / 0.9")
facility("USA", "re-concentrate", rnd(MINE_OUT["USA"] / MINE_UTIL, 100), "t REO", "mp-8k-2025", "high",
         "C006/P002: Mountain Pass 45,000 t REO in concentrate 2024 (record); / 0.9", ["Mountain Pass (MP Materials)"])
facility("AUS", "re-concentrate", rnd(MINE_OUT["AUS"] / MINE_UTIL, 100), "t REO", "usgs-mcs-2025", "high",
         "P004: Australia 13,000 t REO 2024 (Lynas Mt Weld); / 0.9", ["Mt Weld (Lynas)"])
facility("XRW", "re-concentrate", rnd(MINE_OUT["XRW"] / MINE_UTIL, 100), "t REO", "usgs-mcs-2025", "medium",
         "P020 world 390,000 less CHN 270,000, USA 45,000, AUS 13,000, Myanmar 31,000 (clay) = 31,000 t (Thailand, Nigeria, India, Russia, ...); / 0.9")
facility("CHN", "hre-concentrate", rnd(CLAY_OUT["CHN"] / MINE_UTIL, 100), "t REO", "mining-com-2011-quota", "assumption",
         "~19,000 t REO/yr of southern ion-adsorption clay (China's medium/heavy quota; P060 gives 13,400 t in 2011, later figures not in the facts); / 0.9")
facility("XRW", "hre-concentrate", 43000, "t REO", "usgs-mcs-2025", "medium",
         "P013: Myanmar mined 43,000 t REO in 2023 (31,000 t in 2024, P003): demonstrated capacity; Myanmar exported ~44,000 t to China in 2024 (P079)", ["Kachin ion-clay mines (Myanmar)"])
facility("CHN", "magnet-scrap", SCRAP_CAP, "t REO", A, "assumption",
         "China's magnet-scrap recycling, sized so that world NdPr supply covers magnet demand (~23,000 t NdPr oxide/yr); no figure in the facts")
facility("CHN", "ndpr-oxide", rnd(OXIDE_NEED["CHN"] * OXIDE_SHARES["CHN"]["CHN"] / 0.85, 100), "t REO", "iea-2025-10", "low",
         f"derived: China's NdPr oxide output needed for its metal ({OXIDE_NEED['CHN'] * OXIDE_SHARES['CHN']['CHN']:,.0f} t) / 0.85; China ~91% of separation (P068); separation quota 230,000 t REO all elements 2023 (P057)")
facility("MYS", "ndpr-oxide", 10500, "t REO", "fastmarkets-lynas", "high",
         "C001: Lynas Malaysia NdPr oxide capacity 10,500 t/yr (FY2023 output 6,142 t, C002)", ["Lynas Malaysia (Gebeng, Kuantan)"])
facility("USA", "ndpr-oxide", 1600, "t REO", "mp-8k-2025", "medium",
         "C007: MP produced 1,300 t NdPr oxide in 2024; nameplate not in the facts; / 0.8", ["Mountain Pass (MP Materials)"])
facility("XRW", "ndpr-oxide", 500, "t REO", A, "assumption",
         "small separation in India, Russia, Vietnam; no figure in the facts")
facility("CHN", "dy-oxide", rnd(DY_OXIDE_CHN / 0.85, 10), "t REO", "smm-hre-oxide-2024", "low",
         "I032/P080: China Dy oxide 214 t/month in June 2024 = 2,568 t/yr; / 0.85. China ~99% of Dy/Tb (P073)")
facility("CHN", "tb-oxide", rnd(TB_OXIDE_CHN / 0.85, 10), "t REO", "smm-hre-oxide-2024", "low",
         "I033/P081: China Tb oxide 40.8 t/month in June 2024 = 490 t/yr; / 0.85")
facility("CHN", "ndpr-metal", rnd(metal_out["CHN"] / UTIL, 100), "t metal", A, "assumption",
         f"derived from the metal the magnet makers need: {metal_out['CHN']:,.0f} t/yr / 0.8")
facility("JPN", "ndpr-metal", rnd(metal_out["JPN"] / UTIL, 10), "t metal", A, "assumption",
         f"Japanese metal makers fed by Lynas/MP oxide: {metal_out['JPN']:,.0f} t/yr / 0.8")
facility("XRW", "ndpr-metal", rnd(metal_out["XRW"] / UTIL, 10), "t metal", A, "assumption",
         f"Vietnam metal makers: {metal_out['XRW']:,.0f} t/yr / 0.8")
facility("CHN", "dy-metal", rnd(sum(DY_METAL_NEED.values()) / UTIL, 10), "t metal", "lifton-hre", "low",
         f"China ~99% of Dy/Tb (P073); sized on magnet need {sum(DY_METAL_NEED.values()):,.0f} t/yr / 0.8")
facility("CHN", "tb-metal", rnd(sum(TB_METAL_NEED.values()) / UTIL, 10), "t metal", "lifton-hre", "low",
         f"as dy-metal; magnet need {sum(TB_METAL_NEED.values()):,.0f} t/yr / 0.8")
facility("CHN", "ndfeb-magnet", rnd(MAG_OUT["CHN"] / UTIL, 1000), "t product", "iea-2025-10", "medium",
         f"2024 output {MAG_OUT['CHN']:,.0f} t = 94% (P069) of a {WORLD_MAGNETS:,.0f} t world (assumption between Argus China 300,000 t P083, SMM 260,000 t P085 and Metalnomist world 270,000 t 2023 / 310,000 t 2025e P086/P087); / 0.8",
         ["JL Mag (35,000 t/yr, C015)", "Zhong Ke San Huan (25,000 t/yr, C017)", "Ningbo Yunsheng (C016)"])
facility("JPN", "ndfeb-magnet", rnd(MAG_OUT["JPN"] / UTIL, 100), "t product", "argus-japan-2022", "low",
         "output ~12,000 t (assumption) within Japan's <9% of world output (P088); Shin-Etsu, Proterial, TDK (C018: figures not found); / 0.8",
         ["Shin-Etsu", "Proterial", "TDK"])
facility("XRW", "ndfeb-magnet", rnd(MAG_OUT["XRW"] / UTIL, 100), "t product", A, "assumption",
         "output ~3,300 t (Shin-Etsu Vietnam and others; C018 figures not found): non-China residual of 6% (P069); / 0.8")
facility("EUU", "ndfeb-magnet", rnd(MAG_OUT["EUU"] / UTIL, 100), "t product", A, "assumption",
         "output ~1,500 t (VAC Germany and others): non-China residual of 6% (P069); Neo Narva (C011) only from Sep 2025; / 0.8",
         ["VAC (Germany)"])
for r, dem in MAG_DEM.items():
    for pid, name, eu, s in END_USES:
        facility(r, pid, rnd(dem * s / UTIL, 10), "t product", A, "assumption",
                 f"component assembly sized on demand {dem * s:,.0f} t/yr / 0.8")

# ---------------------------------------------------------------------------------------------
w("# ============================================================================ links")
w("# Shares into each (to, product) sum to 1. Zero shares are candidate routes buyers may switch to.")
w("# Baseline tariffs are 0 (MFN duties of a few % ignored; no tariff facts for 2024 in the files).")


def link(frm, to, product_, share, source, conf, note):
    w("[[link]]")
    w(f'from = "{frm}"')
    w(f'to = "{to}"')
    w(f'product = "{product_}"')
    w(f"share = {q(share, source, conf, note)}")
    td = DOMESTIC_TRANSIT if frm == to else TRANSIT[(frm, to)]
    tnote = "domestic haulage (assumption)" if frm == to else "sea/land freight incl. port time (assumption; no transit facts in the files)"
    w(f"transit-days = {q(td, A, 'assumption', tnote, unit='days')}")
    w(f"tariff = {q(0.0, A, 'assumption', 'baseline 2024: no additional tariff modelled')}")
    w()


def flows_note(buyer_need, s):
    return f"= {s * buyer_need:,.0f} t/yr of the buyer's {buyer_need:,.0f} t/yr"


w("# --- light concentrate")
for buyer, sh in LIGHT_SHARES.items():
    for frm, s in sh.items():
        if buyer == "CHN" and frm == "USA":
            src, conf, n = "treo-2024-trade", "low", "MP's concentrate went to China until April 2025 (D017 note); remainder after MP's own separation"
        elif buyer == "CHN" and frm == "XRW":
            src, conf, n = "industryslice-myanmar", "low", "China imported light concentrate from Laos/Africa/Thailand besides Myanmar clay (P079: Myanmar 57% of imports); ~70% of XRW light output assumed"
        elif buyer == "MYS":
            src, conf, n = "fastmarkets-lynas", "high", "Mt Weld concentrate is processed in Malaysia"
        else:
            src, conf, n = A, "assumption", "domestic feed"
        link(frm, buyer, "re-concentrate", s, src, conf, f"{n}; {flows_note(LIGHT_NEED[buyer], s)}")
link("AUS", "CHN", "re-concentrate", 0.0, A, "assumption", "candidate route (no 2024 flow)")
w("# --- ion-adsorption clay concentrate")
for frm, s in CLAY_SHARES["CHN"].items():
    src, conf, n = ("industryslice-myanmar", "medium", "Myanmar's clay output goes to China (P079: 44,000 t RE exports to China 2024); split by 2024 output 31,000 (P003) : 19,000 (assumption)") if frm == "XRW" else (A, "assumption", "southern China ion-clay")
    link(frm, "CHN", "hre-concentrate", s, src, conf, f"{n}; {flows_note(CLAY_NEED, s)}")
w("# --- magnet scrap")
link("CHN", "CHN", "magnet-scrap", 1.0, A, "assumption", "domestic recycling")
w("# --- NdPr oxide")
for buyer, sh in OXIDE_SHARES.items():
    for frm, s in sh.items():
        if (buyer, frm) == ("CHN", "MYS"):
            src, conf, n = "treo-2024-trade", "medium", "D016: Lynas shipped 3,261 t NdPr oxide to China in 2024"
        elif (buyer, frm) == ("CHN", "USA"):
            src, conf, n = "treo-2024-trade", "medium", "D017: MP shipped 232 t NdPr oxide to China in 2024"
        elif buyer == "JPN":
            src, conf, n = A, "assumption", "Japan buys non-Chinese NdPr (Lynas/JARE offtake since 2011; MP via Japanese traders); split assumed"
        elif frm == "CHN":
            src, conf, n = A, "assumption", "rest of China's feed is domestic"
        else:
            src, conf, n = A, "assumption", "Vietnam metal makers buy Lynas oxide mostly"
        link(frm, buyer, "ndpr-oxide", s, src, conf, f"{n}; {flows_note(OXIDE_NEED[buyer], s)}")
link("CHN", "JPN", "ndpr-oxide", 0.0, A, "assumption", "candidate route (China exports little oxide)")
w("# --- Dy and Tb oxide (consumed in China only)")
link("CHN", "CHN", "dy-oxide", 1.0, "lifton-hre", "low", "P073: China ~99% of Dy/Tb separation in 2024")
link("CHN", "CHN", "tb-oxide", 1.0, "lifton-hre", "low", "P073: China ~99% of Dy/Tb separation in 2024")
w("# --- NdPr metal")
for buyer, sh in METAL_SHARES.items():
    for frm, s in sh.items():
        n = "domestic" if frm == buyer else ("candidate route" if s == 0 else "import")
        link(frm, buyer, "ndpr-metal", s, A, "assumption",
             f"{n}; metal trade shares not in the facts; {flows_note(NDPR_METAL_NEED[buyer], s)}")
w("# --- Dy and Tb metal: all from China in 2024 (P073); Japan ~90% from China already in 2012 (T009)")
for buyer in MAG_OUT:
    link("CHN", buyer, "dy-metal", 1.0, "lifton-hre", "low", f"P073: China ~99%; {DY_METAL_NEED[buyer]:,.0f} t/yr")
    link("CHN", buyer, "tb-metal", 1.0, "lifton-hre", "low", f"P073: China ~99%; {TB_METAL_NEED[buyer]:,.0f} t/yr")
w("# --- NdFeB magnets")
MAG_NOTES = {
    ("CHN", "USA"): ("goldsea-2025-12", "medium", "E058: 2025 US-bound 5,933 t at -20.3% y/y -> 2024 ~7,444 t (D009: >400 t/month); US buys ~70% from China (T001 compounds/metals share used as proxy, assumption)"),
    ("CHN", "EUU"): ("eca-2026", "medium", "T005: 17,000 of the 20,000 t of magnets EU industry uses come from China (85%)"),
    ("CHN", "KOR"): ("asiacity-2025-09", "low", "D013: Sep 2025 854 t at +84.5% y/y -> 2024 ~463 t/month ~5,555 t/yr; Korea's other supply assumed Japanese"),
    ("CHN", "JPN"): ("asiacity-2025-09", "low", "D015/E056: Sep 2025 228 t at +20.8% y/y, Dec 2025 280 t at +31.4% -> 2024 ~200 t/month ~2,400 t/yr"),
    ("CHN", "XRW"): ("adamas-2024-exports", "medium", "D008: China's 2024 magnet exports 58,152 t less USA, EU, Korea, Japan = remainder (Vietnam, Thailand, India, Mexico, ...)"),
    ("CHN", "CHN"): ("argus-china-ndfeb", "medium", "China's output less its exports (D008)"),
}
for buyer, sh in MAG_SHARES.items():
    for frm, s in sh.items():
        src, conf, n = MAG_NOTES.get((frm, buyer), (A, "assumption", "candidate route" if s == 0 else "non-Chinese supply split assumed (no facts)"))
        link(frm, buyer, "ndfeb-magnet", s, src, conf, f"{n}; {flows_note(MAG_DEM[buyer], s)}")
w("# --- components are assembled where they are used")
for r in MAG_DEM:
    for pid, name, eu, _ in END_USES:
        link(r, r, pid, 1.0, A, "assumption", "components assembled in the region of final demand (no component trade)")

# ---------------------------------------------------------------------------------------------
w("# ============================================================================ demand")
w(f"# Regional magnet demand (t magnet/yr): " + ", ".join(f"{r} {v:,.0f}" for r, v in MAG_DEM.items()))
w("# split over end uses " + ", ".join(f"{eu} {s:.0%}" for _, _, eu, s in END_USES) + " (assumption: EV cross-checked with")
w("# ~37,000 t RE for EV motors 2024 (I024) and 4 kg magnets per NEV (I005); wind with 700 kg/MW (I007)).")
DEM_SRC = {
    "CHN": ("adamas-2024-exports", "low", "China output (94% x 280,000 t) less exports 58,152 t (D008)"),
    "USA": ("goldsea-2025-12", "low", "2024 imports from China ~7,444 t (E058) / 0.70 China share (T001 proxy)"),
    "EUU": ("eca-2026", "medium", "T005: EU industry uses ~20,000 t of magnets"),
    "KOR": ("asiacity-2025-09", "low", "imports from China ~5,555 t (D013 derived) / 0.92 (assumption)"),
    "JPN": ("argus-japan-2022", "low", "Japanese output ~12,000 t less exports plus ~2,400 t from China (D015/E056 derived)"),
    "XRW": ("adamas-2024-exports", "low", "China's exports to the rest of the world (D008 remainder) plus local output"),
}
for r, dem in MAG_DEM.items():
    src, conf, n = DEM_SRC[r]
    for pid, name, eu, s in END_USES:
        w("[[demand]]")
        w(f'region = "{r}"')
        w(f'product = "{pid}"')
        w(f'end-use = "{eu}"')
        w(f"quantity = {q(dem * s, src, conf, f'{n}; {dem:,.0f} t/yr x {eu} share {s} (assumption)', unit='t product/yr')}")
        w(f"growth = {q(0.07, 'metalnomist-magnets', 'low', 'world magnet output 270,000 t 2023 -> 310,000 t 2025e (P086/P087) = ~7%/yr')}")
        el = 0.0 if eu == "defence" else 0.1
        w(f"elasticity = {q(el, A, 'assumption', 'magnets are a small cost share of the end product: short-run demand nearly inelastic' + ('; defence fully inelastic' if el == 0 else ''))}")
        w()

# ---------------------------------------------------------------------------------------------
w("# ============================================================================ inventory")
w("# Days of cover of the buyer's baseline need. Calibration: EU suppliers shut lines ~2 months after")
w("# the April 4 controls (E014, early June 2025), consistent with 45-60 days of magnet stock.")


def inv(r, p, days, source, conf, note):
    w("[[inventory]]")
    w(f'region = "{r}"')
    w(f'product = "{p}"')
    w(f"initial-days = {q(days, source, conf, note, unit='days')}")
    w(f"target-days = {q(days, source, conf, note, unit='days')}")
    w()


for r in MAG_DEM:
    if r == "CHN":
        inv(r, "ndfeb-magnet", 30, A, "assumption", "domestic supply close by")
    else:
        inv(r, "ndfeb-magnet", 60, "clepa-2025-06", "low", "importers' magnet stock; E014 plant shutdowns ~60 days after controls")
for r in MAG_OUT:
    inv(r, "ndpr-metal", 45, A, "assumption", "magnet makers' alloy stock")
    d = 45 if r == "CHN" else 90
    inv(r, "dy-metal", d, A, "assumption", "heavy RE held longer outside China (high value, single source)")
    inv(r, "tb-metal", d, A, "assumption", "as dy-metal")
for r, p in [("CHN", "ndpr-oxide"), ("JPN", "ndpr-oxide"), ("XRW", "ndpr-oxide"), ("CHN", "dy-oxide"), ("CHN", "tb-oxide")]:
    inv(r, p, 30, A, "assumption", "metal makers' oxide stock")

w("# ============================================================================ stockpiles")
w("# None: no 2024 stockpile tonnages in the facts (Korea's Dy cover of >= 6 months, T010, has no")
w("# Korean Dy user in this dataset; US NDS holdings not in the facts). Add [[stockpile]] in scenarios.")
w()
w("# ============================================================================ segments")
w("[[segment]]")
w('name = "china"')
w('regions = ["CHN"]')

sys.stdout.write("\n".join(OUT) + "\n")

# Balance report on stderr.
if "--balance" in sys.argv:
    def e(*a):
        print(*a, file=sys.stderr)
    e(f"magnet: output {WORLD_MAGNETS:,.0f} = demand {sum(MAG_DEM.values()):,.0f}; Dy {DY_C} Tb {TB_C} NdPr {NDPR_C}")
    e("magnet demand", {k: round(v) for k, v in MAG_DEM.items()})
    e("ndpr-metal need", {k: round(v) for k, v in NDPR_METAL_NEED.items()}, "out", {k: round(v) for k, v in metal_out.items()})
    e("ndpr-oxide need", {k: round(v) for k, v in OXIDE_NEED.items()}, "out", {k: round(v) for k, v in oxide_out.items()})
    e("light need", {k: round(v) for k, v in LIGHT_NEED.items()}, "out", {k: round(v) for k, v in light_out.items()})
    e("mine out", MINE_OUT)
    e(f"dy ox need {DY_OX_NEED:,.0f} tb ox need {TB_OX_NEED:,.0f} clay need {CLAY_NEED:,.0f} of {sum(CLAY_OUT.values()):,.0f}")
    e("china exports", {k: round(v) for k, v in CHN_EXP.items()})
    e("shares", MAG_SHARES)
