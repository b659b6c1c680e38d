#!/usr/bin/env python3
"""Generate data/world-2024/*.toml (the embedded default world dataset, 2024 baseline).

Why a generator: the baseline must balance (link shares into each (buyer, product) sum to one,
supply covers demand at every stage, mine output reproduces USGS), and most capacities, demands and
shares are derived from a handful of cited facts. Deriving them here keeps every number
reproducible and its note honest.

Usage:  python3 tools/gen_world_2024.py            # writes data/world-2024/*.toml
        python3 tools/gen_world_2024.py --balance  # also prints the baseline balance
The engine-side check is `cargo test -p chokepoint-core --test data_sources`.

Fact row ids (P001, D008, ...) refer to the CSVs under ../shared/data (see data/README.md). The
generator does not read the CSVs: the facts it uses are copied below with their row ids, so the
repository regenerates without them.

Approach (see data/README.md, "world-2024"):
  * mining is fixed by USGS 2024 (P001-P010, P020) and routed to the separators;
  * separation output per element = feed x ore composition x recovery (mass allocation: every
    separated oxide consumes its own mass of concentrate REO / recovery, so one recipe makes one
    output; the element ratio of the ore is held by the baseline demand pattern and by the
    per-element separation capacities, not by the recipe);
  * the magnet chain is derived top-down from magnet output (P069, D008 and destinations);
  * what the magnet chain does not use of each oxide is final demand for "other" uses
    (catalysts, glass, polishing, phosphors, alloys, ... and China's La/Ce surplus), at home or
    exported in stated proportions.
"""

import os
import sys
from collections import defaultdict

OUTDIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "world-2024")
A = "chokepoint-assumption"


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from toml_provenance import esc, fmt, q  # noqa: E402,F401


def rnd(x, step):
    """Round a capacity UP to a multiple of step (so utilisation never exceeds the design value)."""
    import math
    return max(step, math.ceil(x / step - 1e-9) * step)


# ============================================================================ sources
SOURCES = [
    ("usgs-mcs-2025", "USGS Mineral Commodity Summaries 2025 - Rare Earths (figures as reported by secondary pages; primary PDF not read)",
     "https://pubs.usgs.gov/periodicals/mcs2025/mcs2025-rare-earths.pdf",
     "rows P001-P010 (2024 mine production by country), P013, P020 (world 390,000 t REO); read via https://www.metalnomist.com/2025/04/global-rare-earth-mining-rises-in-2024.html"),
    ("usgs-mcs-2025-ocr", "OCR transcription of MCS2025 rare-earths sheet in GitHub repos (NSSAC/dpi.RAG data/marker/mcs2025-rare-earths.md; app data file)",
     "https://github.com/NSSAC/dpi.RAG/blob/main/data/marker/mcs2025-rare-earths.md",
     "rows T001 (US import shares), T003 (US apparent consumption), R013-R015 (2024 oxide prices)"),
    ("capitalbuilder-quotas", "Investing News via thecapitalbuilder - China 2023 quotas",
     "https://thecapitalbuilder.com/2024/08/30/top-11-countries-by-rare-earth-metal-production-updated-2024/?amp=1",
     "rows P056, P057 (China 2023 mining quota 240,000 t, separation quota 230,000 t REO)"),
    ("mining-com-2011-quota", "Mining.com - China bumps up rare earth export quota (2011 output cap)",
     "https://mining.com/china-bumps-up-rare-earth-export-quota", "row P060 (medium/heavy quota 13,400 t)"),
    ("iea-2025-10", "IEA commentary 23 Oct 2025 on export controls (as summarised by Rare Earth Exchanges)",
     "https://rareearthexchanges.com/news/the-mineral-chessboard-iea-sounds-alarm-as-china-tightens-its-grip",
     "rows P068 (China 91% of separation), P069 (94% of sintered magnets), E026"),
    ("iea-gcmo-2024", "IEA Global Critical Minerals Outlook 2024 (as summarised by SEAISI news room)",
     "https://seaisi.org/details/24787?type=news-rooms", "rows P061, P063, P064, I021"),
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
     "row P088 (Japan < 9% of world magnet output)"),
    ("smm-hre-oxide-2024", "SMM - June medium-heavy rare earth oxide production",
     "https://news.metal.com/newscontent/102862116/June-Medium-Heavy-Rare-Earth-Oxide-Production-Slightly-Decreased-MoM",
     "rows P080-P082, I032, I033 (China Dy 214, Tb 40.8, Gd 298.9, Ho 42.9 t/month, June 2024)"),
    ("fastmarkets-lynas", "Fastmarkets - Lynas to produce dysprosium, terbium oxide in Malaysia",
     "https://fastmarkets.com/insights/lynas-to-produce-dysprosium-terbium-oxide-in-malaysia", "rows C001-C003"),
    ("mp-8k-2025", "MP Materials 8-K Ex.99.1 - MP Materials Restores U.S. Rare Earth Magnet Production",
     "https://www.sec.gov/Archives/edgar/data/1801368/000162828025002096/mpmcexhibit9911222025.htm",
     "rows C006, C007, C008, I001"),
    ("argus-neo-estonia", "Argus - Magnequench starts building Estonia RE magnet plant",
     "https://www.argusmedia.com/de/news-and-insights/latest-market-news/2465359-magnequench-starts-building-estonia-re-magnet-plant",
     "row C010 (NPM Silmet 3,000 t/yr separation)"),
    ("automotiveworld-neo", "Automotive World / Rare Earth Exchanges - Neo opens Narva plant",
     "https://www.automotiveworld.com/articles/neo-opens-estonia-rare-earth-plant-to-cut-eu-reliance-on-china/",
     "rows C011, E022 (Narva 2,000 t/yr from Sep 2025)"),
    ("solvay-la-rochelle", "Solvay La Rochelle inauguration (Automotive World release; 24brussels/De Tijd; Reuters)",
     "https://www.automotiveworld.com/news-releases/solvay-advances-european-rare-earths-production-through-capacity-expansion/",
     "rows C013, E006"),
    ("reqodata-tiers", "reqodata - rare earth magnet manufacturers tiers",
     "https://reqodata.com/en/rare-earth-magnet-manufacturers-and-suppliers", "row C018 (tier-2 producers 1,000-5,000 t/yr)"),
    ("adamas-star-group", "Adamas - China asks South Korean companies to halt exports to US defense firms (Star Group factory)",
     "https://www.adamasintel.com/?p=14959", "rows C019, T010"),
    ("cstep-ev-motors", "CSTEP - India's EV manufacturing relies heavily on imported traction motors",
     "https://cstep.in/publications-details.php?id=1423", "issue 17 facts section 6 (qualitative: traction motors imported)"),
    ("acma-2025-components", "Business Standard (ACMA) - China rare earth magnet curbs a wake-up call for Indian auto component makers, 8 Jul 2025",
     "https://www.business-standard.com/amp/industry/auto/china-rare-earth-magnet-curbs-wake-up-call-indian-auto-component-makers-125070801120_1.html",
     "issue 17 facts section 6: India's auto-component imports USD 22.4 bn in FY2025, China 32%"),
    ("ncfchina-suzuki", "NCF China - Suzuki halts Swift production: rare-earth parts from China failed to arrive",
     "https://www.ncfchina.co.uk//news/68470fa0a4e348984720eeb0", "issue 17 facts S03 (Japan's first stoppage was an imported component)"),
    ("whatariff-motors", "Whatariff - HS 8501 electric motors and generators: world trade USD 120 bn (2022), China 29.2% (UN Comtrade/ITC via a tariff site)",
     "https://whatariff.com/categories/motors", "China's share of world trade in electric motors (low: aggregator of Comtrade)"),
    ("energydigital-2024-turbines", "Energy Digital - China to supply Germany with the world's most powerful wind turbine (Green Power Denmark: ~2.6 GW of Chinese turbines in Europe)",
     "https://energydigital.com/articles/china-to-supply-germany-with-worlds-most-powerful-wind-turbine", "issue 17 facts section 6"),
    ("crisil-2025-06", "Business Standard (PTI, CRISIL Ratings) - Rare earth magnet disruption of over 30 days may hit vehicle output, 10 Jun 2025",
     "https://www.business-standard.com/industry/auto/rare-earth-magnet-disruption-of-over-30-days-may-hit-vehicle-output-rpt-125061000504_1.html",
     "issue 17 facts section 4: most Indian automakers hold 4-6 weeks of inventory"),
    ("acma-2025-05", "Moneycontrol - No visibility on magnet imports, may stock out in next 2 months: ACMA president",
     "https://www.moneycontrol.com/automobile/no-visibility-on-magnet-imports-may-stock-out-in-next-2-months-acma-president-article-13246582.html",
     "issue 17 facts section 4: OEM stocks may run dry in about 2 months (late May 2025)"),
    ("icra-2025-06", "NewsDrum (PTI, ICRA) - Rare earth magnet supplies for certain applications may taper off by mid-July, 12 Jun 2025",
     "https://www.newsdrum.in/business/rare-earth-magnet-supplies-for-certain-applications-may-taper-off-by-mid-july-report-9357136",
     "issue 17 facts section 4: Indian passenger-vehicle and two-wheeler inventories last until mid-July 2025"),
    ("siam-2025-06", "Pravasi Samwad (Reuters, SIAM documents) - Indian component makers may run out of inventory by end of May, ~1 Jun 2025",
     "https://pravasisamwad.com/?p=39546", "issue 17 facts section 4: Indian tier suppliers' stock-out date end of May 2025"),
    ("zvei-2025-06", "dpa/Reuters - German electrical industry (ZVEI): some companies' inventories last only a few weeks or months, 4 Jun 2025",
     "https://letschatstars.com/en/article/482", "issue 17 facts section 4"),
    ("heim-2023", "Heim & Vander Wal (2023) NdFeB Permanent Magnet Uses..., Minerals 13(10):1274 (encyclopedia.pub entry 50309)",
     "https://doi.org/10.3390/min13101274", "rows I007, I008, I010, I011"),
    ("ree-samarium", "Rare Earth Exchanges - Samarium's strategic comeback (Binnemans)",
     "https://rareearthexchanges.com/?p=6705", "row I019 (SmCo <= 2% of permanent magnet use)"),
    ("nyt-samarium", "NYT (via NZ Herald) - China's chokehold on an obscure mineral (samarium)",
     "https://www.nzherald.co.nz/world/chinas-chokehold-on-an-obscure-mineral-threatens-the-wests-militaries/UOOHX6SN4VDNTNQ4TBZDZOQBIE",
     "row I016"),
    ("mgr-scandium", "Market Growth Reports - Scandium metal market (low-quality market research)",
     "https://marketgrowthreports.com/market-reports/scandium-metal-market-114931", "row I030 (Sc supply 15-20 t/yr)"),
    ("eca-2026", "European Court of Auditors report via Plataforma Media",
     "https://www.plataformamedia.com/en/2026/02/03/eu-faces-major-reliance-on-china-for-critical-minerals-auditors-warn",
     "row T005 (EU magnets: 17,000 of 20,000 t from China)"),
    ("alcircle-eu-imports", "AlCircle citing Statista/Eurostat EU RE imports 2024",
     "https://www.alcircle.com/news/how-far-is-europe-from-securing-its-rare-earth-future-116446", "row T004"),
    ("livemint-japan", "WSJ via Livemint - China strong-armed Japan over rare earths (JOGMEC 70%)",
     "https://www.livemint.com/global/china-strong-armed-japan-over-rare-earths-it-s-a-lesson-for-the-us-11753593819305.html",
     "row T007"),
    ("jnma-japan-2024", "eternal-element.com citing Japan New Metal Association 2024 demand",
     "https://eternal-element.com/show.asp?id=626", "row I027 (Japan RE demand 18,835 t 2024)"),
    ("adamas-2024-exports", "Adamas Intelligence - Record rare earth magnet exports from China in 2024",
     "https://www.adamasintel.com/record-rare-earth-magnet-exports-from-china-in-2024/", "rows D008, E032"),
    ("mineralprices-2020", "Mineralprices - China exports more rare earth magnet materials in 2020 (customs data)",
     "https://mineralprices.com/china-exports-more-rare-earth-magnet-materials-in-2020/", "rows D001-D007"),
    ("asiacity-2025-09", "Asiacity news - China's rare earth magnet exports to the US in September (customs data)",
     "https://asiacity.news/?p=138890", "rows D009, D012-D015, E048"),
    ("lapaas-india", "Lapaas Voice - June magnet exports (India 172 t)",
     "https://voice.lapaas.com/chinas-rare-earth-export-up-158-in-june-after-trade-deal-surprise", "row E042"),
    ("goldsea-2025-12", "Reuters via Goldsea - December 2025 and full-year magnet exports",
     "http://www.goldsea.com/public/index.php/article_details/china-rare-earth-exports-to-us-japan-fell-in-december",
     "rows E054-E058"),
    ("reuters-2024-exports", "Reuters via newsfromrss - 2024 RE exports",
     "https://newsfromrss.com/chinas-rare-earth-exports-in-2024-climb-as-home-demand-limited",
     "row E067 (China RE exports 55,431 t, imports 132,931 t in 2024)"),
    ("treo-2024-trade", "The Rare Earth Observer - analysis of China's rare earth trade data 2024 (China import data)",
     "https://treo.substack.com/p/special-analysis-of-chinas-rare-earth", "rows D016, D017"),
    ("smm-weekly-2024-12", "SMM Weekly Review 2024-12-26",
     "https://news.metal.com/newscontent/103108533/Rare-Earth-Prices-Slightly-Rebounded-During-the-Week-High-Price-Transactions-Remain-Difficult-[SMM-Weekly-Review]",
     "row R091"),
    ("smm-daily-2025-04-22", "SMM Rare Earth Daily Review 2025-04-22",
     "https://news.metal.com/newscontent/103292075/", "row R110 (Gd oxide 165,000 CNY/t; Ho 480-485k, Er 298-303k)"),
    ("adamas-eu-prices", "Adamas - The fallacy of European rare earth prices",
     "https://www.adamasintel.com/the-fallacy-of-european-rare-earth-prices-and-the-pras-that-promote-them",
     "rows R124-R126 (Y oxide 6.5 USD/kg volume-weighted)"),
    ("argus-gmteight", "Argus assessment May 6 2025 via GMTEight",
     "https://gmteight.com/latest/detail/282683", "rows R117-R120"),
    ("clepa-2025-06", "Reuters/ANE - CLEPA European supplier plants shut",
     "https://todayheadline.co/european-auto-supplier-plants-shut-081958659-html/", "row E014"),
    ("stoichiometry", "Stoichiometric metal fraction of rare-earth oxides (from standard atomic weights; the source-fact notes list Nd2O3, Pr6O11, Dy2O3, Tb4O7, La2O3, CeO2, Y2O3)",
     "data/README.md#stoichiometry", "physics, not a market fact"),
    ("freight-china-chicago", "CNYT Logistics - China to Chicago freight: cost, transit time and route options (forwarder guide, 2026-06-03)",
     "https://www.cnytlogistics.com/news/china-to-chicago-freight-solutions-cost-transit-time-and-route-options-explained-332872.html",
     "sea freight China -> Chicago: 15-25 days to the US West Coast, 3-7 days rail or truck inland, 20-35 days door to door"),
    ("freight-transit-lanes", "56ok - Global ocean freight transit times, port to port and door to door (forwarder guide)",
     "https://en-test.56ok.com/topic/detail-593856-global-ocean-freight-transit-times-key-insights.html",
     "door to door from China: US West Coast 20-25 days, US East Coast 35-40, NW Europe 35-45, Southeast Asia 7-12"),
    ("freight-intra-asia", "Top China Freight - Ocean freight shipping times from China (forwarder guide)",
     "https://topchinafreight.com/ocean-freight-shipping-times-from-china-and-beyond",
     "port to port: intra-Asia (e.g. China -> Japan) 3-10 days, China -> Europe 30-45, China -> US West Coast 15-25"),
    ("freight-china-india", "FreightMango - Ocean freight transit time, country-wise shipping guide",
     "https://www.freightmango.com/blog/ocean-freight-transit-time-country-wise-shipping-guide",
     "worked example Shanghai -> Nhava Sheva (India): about 25-28 days in all"),
    (A, "chokepoint modelling assumption (reasoning in the note of each number)",
     "data/README.md#world-2024-assumptions", "no fact row gives this number; override it in a scenario"),
]

# ============================================================================ regions
REGIONS = [
    ("CHN", "China", []),
    ("USA", "United States", ["allies", "north-america"]),
    ("KOR", "South Korea", ["allies"]),
    ("JPN", "Japan", ["allies"]),
    ("EUU", "European Union (EU-27 less Estonia)", ["allies", "eu"]),
    ("EST", "Estonia (NPM Silmet separation, Magnequench Narva magnets)", ["allies", "eu"]),
    ("GBR", "United Kingdom", ["allies"]),
    ("CAN", "Canada", ["allies", "north-america"]),
    ("AUS", "Australia", ["allies"]),
    ("MYS", "Malaysia", ["asean"]),
    ("VNM", "Vietnam", ["asean"]),
    ("THA", "Thailand", ["asean"]),
    ("MMR", "Myanmar", ["asean"]),
    ("IND", "India", []),
    ("BRA", "Brazil", []),
    ("RUS", "Russia", []),
    ("XRW", "Rest of world (Nigeria, Mexico, Turkey, ...)", []),
]
RIDS = [r[0] for r in REGIONS]

ZONE = {"CHN": "ea", "JPN": "ea", "KOR": "ea", "VNM": "sea", "THA": "sea", "MYS": "sea", "MMR": "sea",
        "IND": "sa", "AUS": "oc", "EUU": "eu", "EST": "eu", "GBR": "eu", "RUS": "eu", "USA": "na",
        "CAN": "na", "BRA": "la", "XRW": "xw"}
# Zone-to-zone assumptions; the lanes out of East Asia that a guide gives are in SOURCED_TRANSIT.
ZT = {("sea", "sea"): 5, ("sea", "sa"): 14,
      ("ea", "oc"): 14, ("sea", "oc"): 10, ("sea", "eu"): 35, ("eu", "eu"): 5,
      ("sea", "na"): 35, ("na", "na"): 5, ("eu", "na"): 14, ("ea", "la"): 40,
      ("na", "la"): 14, ("eu", "la"): 21, ("ea", "xw"): 30, ("sea", "xw"): 30, ("eu", "xw"): 21,
      ("na", "xw"): 21, ("oc", "oc"): 5, ("sa", "sa"): 5, ("la", "la"): 5, ("xw", "xw"): 10,
      ("oc", "na"): 25, ("oc", "eu"): 35, ("sa", "eu"): 25, ("la", "ea"): 40, ("xw", "eu"): 21,
      ("xw", "ea"): 30, ("xw", "sea"): 30, ("na", "ea"): 30, ("eu", "ea"): 40, ("sea", "ea"): 10,
      ("oc", "ea"): 14, ("oc", "sea"): 10, ("eu", "sea"): 35, ("na", "sea"): 35, ("eu", "sa"): 25,
      ("na", "eu"): 14, ("la", "na"): 14, ("sa", "ea"): 18, ("xw", "na"): 21, ("la", "eu"): 21}


# Lanes out of East Asia (China, Japan, Korea) with a source: door to door (customs and inland
# haulage included, as a shipment in the model goes from the supplier's stock to the buyer's),
# each the middle of the range its forwarder guide gives (low confidence: guides, not statistics).
# The US figure is taken to the inland plants where the US's HRE magnets are used (autos in the
# Midwest and South: China -> Chicago 20-35 days), between the West Coast's 20-25 and the East
# Coast's 35-40. The other lanes (from North America, Europe, Australia, ...) carry few magnets
# and keep the zone assumptions of ZT.
SOURCED_TRANSIT = {
    ("ea", "na"): (28, "freight-china-chicago", "low",
                   "China -> US inland (Chicago) door to door 20-35 days: 15-25 at sea to the West Coast, 3-7 by rail; West Coast 20-25, East Coast 35-40 (freight-transit-lanes)"),
    ("ea", "eu"): (40, "freight-transit-lanes", "low",
                   "China -> NW Europe door to door 35-45 days (port to port 28-35); Schaeffler: four to six weeks by container ship (Politico, June 2025)"),
    ("ea", "ea"): (7, "freight-intra-asia", "low",
                   "intra-Asia (China -> Japan, Korea) 3-10 days port to port; Shanghai -> Tokyo about 3 days at sea, customs and haulage on top"),
    ("ea", "sea"): (10, "freight-transit-lanes", "low",
                    "China -> Southeast Asia door to door 7-12 days (Shenzhen -> Singapore 3 days port to port)"),
    ("ea", "sa"): (26, "freight-china-india", "low",
                   "Shanghai -> Nhava Sheva (India) about 25-28 days in all"),
}


def transit(a, b):
    if a == b:
        return 2
    za, zb = ZONE[a], ZONE[b]
    if (za, zb) in SOURCED_TRANSIT:
        return SOURCED_TRANSIT[(za, zb)][0]
    return ZT.get((za, zb)) or ZT.get((zb, za)) or 30


def transit_q(a, b):
    """A link's transit days with its source: a sourced lane's, or the zone assumption."""
    td = transit(a, b)
    if a == b:
        return q(td, A, "assumption", "domestic haulage", unit="days")
    lane = SOURCED_TRANSIT.get((ZONE[a], ZONE[b]))
    if lane:
        return q(td, lane[1], lane[2], lane[3], unit="days")
    return q(td, A, "assumption", "sea freight incl. port time, zone-to-zone (no transit facts for this lane)", unit="days")


# ============================================================================ facts
RECOVERY = 0.9  # separation recovery (assumption)
MINE_UTIL = 0.85
UTIL = 0.8
# USGS 2024 mine production, t REO (P001-P010); XRW = Nigeria (P006).
MINED = {"CHN": 270000.0, "USA": 45000.0, "MMR": 31000.0, "AUS": 13000.0, "THA": 13000.0,
         "XRW": 13000.0, "IND": 2900.0, "RUS": 2500.0, "VNM": 300.0, "BRA": 20.0}
MINE_ROWS = {"CHN": "P001", "USA": "P002", "MMR": "P003", "AUS": "P004", "THA": "P005", "XRW": "P006 (Nigeria)",
             "IND": "P007", "RUS": "P008", "VNM": "P009", "BRA": "P010"}
CHN_CLAY = 19000.0  # of China's 270,000 t: southern ion-adsorption clays (assumption; P060 13,400 t 2011 quota)

# Oxide products: id, name, element, oxide metal fraction, 2024 price, price source, conf, note
F = {"La": 0.8527, "Ce": 0.8141, "Nd": 0.8574, "Pr": 0.8277, "Sm": 0.8624, "Gd": 0.8676, "Dy": 0.8713,
     "Tb": 0.8502, "Y": 0.7874, "Lu": 0.8794, "Sc": 0.6520, "Ho": 0.8730, "Er": 0.8745, "Tm": 0.8756,
     "Eu": 0.8636, "Yb": 0.8782}
ND_SHARE = 0.75
K_NDPR = ND_SHARE / F["Nd"] + (1 - ND_SHARE) / F["Pr"]
OTHER_HRE = {"Ho": 0.25, "Er": 0.35, "Tm": 0.05, "Eu": 0.10, "Yb": 0.25}  # mass split of the mixed oxide (assumption)

OXIDES = ["la-oxide", "ce-oxide", "ndpr-oxide", "sm-oxide", "gd-oxide", "dy-oxide", "tb-oxide",
          "y-oxide", "lu-oxide", "other-hre-oxide"]
# Ore composition: fraction of REO (assumption; typical published assays, not in the fact files).
LIGHT = {"la-oxide": 0.25, "ce-oxide": 0.503, "ndpr-oxide": 0.22, "sm-oxide": 0.015, "gd-oxide": 0.006,
         "y-oxide": 0.003, "other-hre-oxide": 0.003}
# Ion-adsorption clay (southern China + Myanmar blend). Dy and Tb fractions are set so China's clay
# feed reproduces its 2024 Dy/Tb oxide output (I032/I033); Gd likewise with P082 net of light ore.
CLAY_FEED = CHN_CLAY + MINED["MMR"]
CLAY = {"dy-oxide": 2568.0 / (CLAY_FEED * RECOVERY), "tb-oxide": 490.0 / (CLAY_FEED * RECOVERY),
        "y-oxide": 0.30, "lu-oxide": 0.005, "other-hre-oxide": 0.07, "sm-oxide": 0.03, "ndpr-oxide": 0.18,
        "ce-oxide": 0.04}
CLAY["gd-oxide"] = 0.05
CLAY["la-oxide"] = 1 - sum(CLAY.values())
assert CLAY["la-oxide"] > 0.1, CLAY
# Lynas Malaysia: Mt Weld concentrate; NdPr output 6,142 t (C002) from Australia's 13,000 t (P004).
LYNAS = {"ndpr-oxide": 6142.0 / (MINED["AUS"] * RECOVERY)}
LYNAS.update({"sm-oxide": 0.02, "gd-oxide": 0.01})
LYNAS["la-oxide"] = (1 - sum(LYNAS.values())) / 3
LYNAS["ce-oxide"] = 1 - sum(LYNAS.values())
# MP Materials: separates the concentrate it needs for 1,300 t NdPr oxide (C007); the rest of
# Mountain Pass concentrate went to China (D017 note).
MP_FEED = 1300.0 / (LIGHT["ndpr-oxide"] * RECOVERY)

# Light concentrate routing to separators (t REO/yr).
LIGHT_ROUTE = {
    "CHN": {"CHN": MINED["CHN"] - CHN_CLAY, "USA": MINED["USA"] - MP_FEED, "THA": MINED["THA"],
            "XRW": MINED["XRW"] - 3000.0, "BRA": MINED["BRA"]},
    "MYS": {"AUS": MINED["AUS"]},
    "USA": {"USA": MP_FEED},
    "IND": {"IND": MINED["IND"]},
    "RUS": {"RUS": MINED["RUS"]},
    "VNM": {"VNM": MINED["VNM"]},
    "EST": {"XRW": 2000.0},
    "EUU": {"XRW": 1000.0},
}
CLAY_ROUTE = {"CHN": {"CHN": CHN_CLAY, "MMR": MINED["MMR"]}}
SCRAP_CAP = 34000.0  # China magnet swarf / scrap recycling, t REO/yr (assumption)
SCRAP_UTIL = 0.88
SCRAP_K = 1 / 0.9  # t REO scrap per t NdPr oxide

# Separated output per region (t REO/yr), mass allocation.
SEP = defaultdict(lambda: defaultdict(float))
SEP_FROM = defaultdict(lambda: defaultdict(float))  # (region, oxide) -> feed kind -> t oxide
for reg, route in LIGHT_ROUTE.items():
    feed = sum(route.values())
    comp = LYNAS if reg == "MYS" else LIGHT
    for ox, fr in comp.items():
        SEP[reg][ox] += feed * fr * RECOVERY
        SEP_FROM[(reg, ox)]["light"] += feed * fr * RECOVERY
for reg, route in CLAY_ROUTE.items():
    feed = sum(route.values())
    for ox, fr in CLAY.items():
        SEP[reg][ox] += feed * fr * RECOVERY
        SEP_FROM[(reg, ox)]["clay"] += feed * fr * RECOVERY
SCRAP_NDPR = SCRAP_CAP * SCRAP_UTIL / SCRAP_K
SEP["CHN"]["ndpr-oxide"] += SCRAP_NDPR
SEP_FROM[("CHN", "ndpr-oxide")]["scrap"] += SCRAP_NDPR
# Scandium oxide: by-product (TiO2 pigment residues, nickel laterite HPAL), no recipe (I030).
SC = {"CHN": 10.0, "RUS": 2.5, "XRW": 5.0}
for r, v in SC.items():
    SEP[r]["sc-oxide"] += v

# ---------------------------------------------------------------- magnets
WORLD_NDFEB = 280000.0  # assumption between P083 (China 300 kt), P085 (China 260 kt e), P086/P087
CHN_SHARE_MAG = 0.94  # P069
NDFEB_OUT_CHN = WORLD_NDFEB * CHN_SHARE_MAG
SMCO_WORLD = 4000.0  # <= 2% of PM use (I019) -> assumption 4,000 t
SMCO_OUT_CHN = 3200.0
SM_IN_SMCO = 0.25  # Sm2Co17 ~ 23-25% Sm (assumption)

# End uses: id, name, end-use, world share of magnet-equivalent demand, recipe inputs (magnet -> t/t)
END_USES = [
    ("ev-traction-motor", "EV traction motors (magnets fitted)", "ev", 0.30, {"ndfeb-magnet-hre": 1.0}),
    ("wind-generator", "Permanent-magnet wind generators (magnets fitted)", "wind", 0.10, {"ndfeb-magnet-hre": 1.0}),
    ("defence-system", "Defence systems: guidance, actuators, radar, motors (magnets fitted)", "defence", 0.02,
     {"ndfeb-magnet-hre": 0.75, "smco-magnet": 0.25}),
    ("electronics-device", "Consumer electronics: acoustics, HDD, phones, small motors (magnets fitted)", "electronics", 0.25,
     {"ndfeb-magnet-lre": 1.0}),
    ("medical-other", "Medical (MRI), industrial motors, appliances, aerospace and other (magnets fitted)", "other", 0.33,
     {"ndfeb-magnet-hre": 0.80, "ndfeb-magnet-lre": 0.17, "smco-magnet": 0.03}),
]
# End-use mix by region (assumption): consumer electronics are assembled mostly in China and
# South-East Asia, so the industrial importers' magnet demand is EV, wind, industrial and defence.
IMPORTERS = ("USA", "EUU", "JPN", "KOR", "GBR", "CAN", "AUS")
IMPORTER_MIX = {"ev": 0.35, "wind": 0.12, "defence": 0.04, "electronics": 0.05, "other": 0.44}
assert abs(sum(IMPORTER_MIX.values()) - 1) < 1e-12

# Component trade (issue 17): part of a region's consumption of an end-use component is made
# abroad (magnets fitted there) and shipped as the component, so a region can run short because
# an imported part does. No source gives tonnages by route (no HS 8501.32/33 pull by partner in
# the fact files: issue 17 facts, section 6 gaps), so the shares below are assumptions anchored on
# what is documented: India relies heavily on imported traction motors (CSTEP) and buys 32% of its
# auto components from China (ACMA); Japan's first stoppage was rare-earth parts from China that
# did not arrive (Suzuki, S03); China makes 29% of the world's traded electric motors (Comtrade
# via whatariff); Chinese turbines are a small part of Europe's installations (~2.6 GW). Each row:
# (supplier, buyer, component, share of the buyer's consumption, source, confidence, note).
# The buyer's own assembly (sized on its magnet use, which the magnet-export facts pin down) is
# unchanged; its consumption is assembly / (1 - imported share); the supplier's own consumption
# falls by what it exports, so its assembly (and every magnet flow) is unchanged too.
COMPONENT_TRADE = [
    ("CHN", "IND", "ev-traction-motor", 0.5, "cstep-ev-motors", "low",
     "assumption anchored on CSTEP (India relies heavily on imported traction motors): half of India's EV motors imported from China"),
    ("CHN", "IND", "medical-other", 0.32, "acma-2025-components", "low",
     "China's share of India's auto-component imports (32%, FY2025) used as China's share of India's consumption of other magnet-bearing parts (assumption)"),
    ("CHN", "JPN", "ev-traction-motor", 0.1, "ncfchina-suzuki", "assumption",
     "Suzuki's Swift stopped for rare-earth parts from China (S03); share assumed"),
    ("CHN", "JPN", "medical-other", 0.1, "ncfchina-suzuki", "assumption", "as ev-traction-motor"),
    ("CHN", "EUU", "ev-traction-motor", 0.1, "whatariff-motors", "assumption",
     "China makes 29% of traded electric motors; EU motor imports from China assumed 10% of its EV motor use"),
    ("CHN", "EUU", "wind-generator", 0.05, "energydigital-2024-turbines", "low",
     "~2.6 GW of Chinese turbines installed or planned in Europe against ~15-20 GW/yr installed: ~5% (derived, rough)"),
    ("CHN", "USA", "medical-other", 0.1, "whatariff-motors", "assumption",
     "China makes 29% of traded electric motors; US imports of Chinese industrial motors and appliances assumed 10% of its use (Section 301 tariffs on EV parts keep EV motors out)"),
    ("JPN", "USA", "ev-traction-motor", 0.1, "chokepoint-assumption", "assumption",
     "Japanese tier-1 motor makers supply US assembly plants (no tonnage found)"),
    ("KOR", "USA", "ev-traction-motor", 0.1, "chokepoint-assumption", "assumption",
     "Korean tier-1 motor makers supply US EV plants (no tonnage found)"),
    ("JPN", "EUU", "medical-other", 0.05, "chokepoint-assumption", "assumption",
     "Japanese industrial motors and actuators in EU machinery (no tonnage found)"),
]


def eu_share(r, eu):
    if r in IMPORTERS:
        return IMPORTER_MIX[eu]
    return next(e[3] for e in END_USES if e[2] == eu)


def mix_of(r):
    """Magnet-product mix (fraction of the region's magnet-equivalent demand) from its end uses."""
    m = {k: 0.0 for k in MAGS}
    for _, _, eu, _, inp in END_USES:
        for k, c in inp.items():
            m[k] += eu_share(r, eu) * c
    return m

MAGS = ["ndfeb-magnet-hre", "ndfeb-magnet-lre", "smco-magnet"]

# China's magnet exports 2024 by destination, t/yr (D008 total 58,152 t).
CHN_EXP_TOTAL = 58152.0
CHN_EXP = {
    "USA": (5933 / (1 - 0.203), "goldsea-2025-12", "medium", "E058: 2025 US-bound 5,933 t at -20.3% y/y -> 2024 ~7,444 t (D009: > 400 t/month)"),
    "EUU": (17000.0, "eca-2026", "medium", "T005: 17,000 of the 20,000 t of magnets EU industry uses come from China"),
    "KOR": (854 / 1.845 * 12, "asiacity-2025-09", "low", "D013: Sep 2025 854 t at +84.5% y/y -> 2024 ~463 t/month"),
    "JPN": (2400.0, "asiacity-2025-09", "low", "D015/E056: Sep 2025 228 t at +20.8% y/y, Dec 2025 280 t at +31.4% -> 2024 ~200 t/month"),
    "VNM": (456 / 1.183 * 12, "asiacity-2025-09", "low", "D014: Sep 2025 456 t at +18.3% y/y -> 2024 ~385 t/month"),
    "THA": (2272.4 * CHN_EXP_TOTAL / 35981.9, "mineralprices-2020", "low", "D005: 2,272 t in 2020, scaled by total exports 2020->2024 (D007 35,982 t -> D008 58,152 t)"),
    "IND": (161.0 * 12, "lapaas-india", "low", "E042: May/June 2025 150-172 t/month -> ~1,930 t/yr (2024 level assumed equal)"),
    "GBR": (1200.0, A, "assumption", "no destination figure for the UK; ~2% of exports assumed"),
    "CAN": (600.0, A, "assumption", "no destination figure; ~1% of exports assumed"),
    "BRA": (1500.0, A, "assumption", "no destination figure; WEG motors and wind, ~2.5% assumed"),
    "RUS": (1200.0, A, "assumption", "no destination figure; ~2% assumed"),
    "MYS": (800.0, A, "assumption", "no destination figure; electronics assembly, ~1.4% assumed"),
    "AUS": (300.0, A, "assumption", "no destination figure; small"),
}
CHN_EXP["XRW"] = (CHN_EXP_TOTAL - sum(v[0] for v in CHN_EXP.values()), "adamas-2024-exports", "medium",
                  "D008: total 58,152 t less the destinations above (Mexico, Turkey, Philippines, ...)")
# China's share of each buyer's magnet supply (rest from non-Chinese makers).
CHN_SHARE = {"USA": (0.70, "usgs-mcs-2025-ocr", "low", "T001: 70% of US RE compounds and metals imports from China, used as proxy for magnets"),
             "EUU": (0.85, "eca-2026", "medium", "T005: 85%"),
             "KOR": (0.92, A, "assumption", "Korea's small Star Group plant (C019) and Japanese imports make the rest"),
             "VNM": (0.80, A, "assumption", "rest from Shin-Etsu Vietnam and Japan"),
             "THA": (0.90, A, "assumption", "rest from Japan"), "IND": (0.95, A, "assumption", "rest from Japan"),
             "GBR": (0.85, A, "assumption", "as EU (T005)"), "CAN": (0.70, A, "assumption", "as USA (T001)"),
             "BRA": (0.90, A, "assumption", "rest from Japan"), "RUS": (0.97, A, "assumption", "sanctions leave China"),
             "MYS": (0.90, A, "assumption", "rest from Japan"), "AUS": (0.85, A, "assumption", "rest from Japan"),
             "XRW": (0.93, A, "assumption", "rest from Japan and local makers")}
# Non-Chinese supply split (of the non-Chinese part) per buyer.
NONCN_SPLIT = {"USA": {"JPN": 0.6, "EUU": 0.2, "VNM": 0.2}, "EUU": {"EUU": 0.5, "JPN": 0.4, "VNM": 0.1},
               "KOR": {"KOR": 0.6, "JPN": 0.4}, "VNM": {"VNM": 0.6, "JPN": 0.4},
               "GBR": {"JPN": 0.6, "EUU": 0.4}, "CAN": {"JPN": 0.7, "EUU": 0.3}}
DEFAULT_SPLIT = {"JPN": 0.8, "XRW": 0.2}
NONCN_OUT_TARGET = WORLD_NDFEB - NDFEB_OUT_CHN  # 16,800 t

# Demand per buyer in magnet-equivalent t/yr (all three magnet products together).
MAG_DEM = {}
for r, (x, *_r) in CHN_EXP.items():
    if r != "JPN":
        MAG_DEM[r] = x / CHN_SHARE[r][0]
# Flows of magnets (aggregate) supplier -> buyer.
MAGFLOW = defaultdict(float)
for r in list(MAG_DEM):
    MAGFLOW[("CHN", r)] += CHN_EXP[r][0]
    rest = MAG_DEM[r] - CHN_EXP[r][0]
    for s, f in NONCN_SPLIT.get(r, DEFAULT_SPLIT).items():
        MAGFLOW[(s, r)] += rest * f
noncn_exports = sum(v for (s, b), v in MAGFLOW.items() if s != "CHN")
# Japan's own use balances non-Chinese output to the 6% of P069; its Chinese imports are CHN_EXP.
own = {"EUU": 0.0, "VNM": 0.0, "KOR": 0.0, "XRW": 0.0}
own_noncn = NONCN_OUT_TARGET * (1 + SMCO_WORLD / WORLD_NDFEB) - noncn_exports
# what each non-Chinese maker already sells (incl. to itself via the buyer loop)
MAG_DEM["JPN"] = CHN_EXP["JPN"][0] + own_noncn
MAGFLOW[("CHN", "JPN")] += CHN_EXP["JPN"][0]
MAGFLOW[("JPN", "JPN")] += own_noncn
MAG_DEM["CHN"] = (NDFEB_OUT_CHN + SMCO_OUT_CHN) - CHN_EXP_TOTAL
MAGFLOW[("CHN", "CHN")] += MAG_DEM["CHN"]
WORLD_MAG = sum(MAG_DEM.values())
assert abs(WORLD_MAG - (WORLD_NDFEB + SMCO_WORLD)) / WORLD_MAG < 0.02, WORLD_MAG

# The end-use mix is the same everywhere, so each magnet product's flows are the aggregate flows
# times its world share; China's SmCo share then follows (documented).
MAG_SHARES = defaultdict(dict)  # buyer -> supplier -> share
for (s, b), v in MAGFLOW.items():
    MAG_SHARES[b][s] = MAG_SHARES[b].get(s, 0) + v / MAG_DEM[b]
MAG_OUT = defaultdict(float)  # (region, magnet) -> t/yr
for (s, b), v in MAGFLOW.items():
    for m in MAGS:
        MAG_OUT[(s, m)] += v * mix_of(b)[m]

# Magnet composition: Dy/Tb in HRE grades = China's 2024 Dy/Tb oxide output x 90% to magnets
# over the world's HRE magnet output.
HRE_WORLD = sum(v for (s, m), v in MAG_OUT.items() if m == "ndfeb-magnet-hre")
TO_MAG = 0.9
DY_C = round(2568.0 * F["Dy"] * TO_MAG / HRE_WORLD, 5)
TB_C = round(490.0 * F["Tb"] * TO_MAG / HRE_WORLD, 5)
RE_TOTAL = 0.30
NDPR_HRE = round(RE_TOTAL - DY_C - TB_C, 5)
NDPR_LRE = RE_TOTAL
DY_LEAN = round(DY_C / 2, 5)

# ---------------------------------------------------------------- metals
METAL_IN = {"ndfeb-magnet-hre": {"ndpr-metal": NDPR_HRE, "dy-metal": DY_C, "tb-metal": TB_C},
            "ndfeb-magnet-lre": {"ndpr-metal": NDPR_LRE}, "smco-magnet": {"sm-metal": SM_IN_SMCO}}
METAL_NEED = defaultdict(float)  # (region, metal)
for (r, m), v in MAG_OUT.items():
    for mt, c in METAL_IN[m].items():
        METAL_NEED[(r, mt)] += v * c
METAL_SUPPLY = {  # buyer -> supplier shares for ndpr-metal; other metals all from China
    "CHN": {"CHN": 1.0}, "JPN": {"JPN": 0.45, "CHN": 0.45, "VNM": 0.10}, "VNM": {"VNM": 0.5, "CHN": 0.5},
    "EUU": {"CHN": 0.9, "VNM": 0.1}, "KOR": {"CHN": 1.0}, "XRW": {"CHN": 1.0},
}
METAL_OX = {"ndpr-metal": ("ndpr-oxide", K_NDPR), "dy-metal": ("dy-oxide", 1 / F["Dy"]),
            "tb-metal": ("tb-oxide", 1 / F["Tb"]), "sm-metal": ("sm-oxide", 1 / F["Sm"])}
METALFLOW = defaultdict(float)  # (metal, supplier, buyer)
for (b, mt), v in METAL_NEED.items():
    if v <= 0:
        continue
    sup = METAL_SUPPLY.get(b, {"CHN": 1.0}) if mt == "ndpr-metal" else {"CHN": 1.0}
    for s, f in sup.items():
        METALFLOW[(mt, s, b)] += v * f
METAL_OUT = defaultdict(float)
for (mt, s, b), v in METALFLOW.items():
    METAL_OUT[(s, mt)] += v
# oxide needs of metal makers
OX_NEED_METAL = defaultdict(float)
for (s, mt), v in METAL_OUT.items():
    ox, k = METAL_OX[mt]
    OX_NEED_METAL[(s, ox)] += v * k
# who supplies oxide to metal makers
OXFLOW = defaultdict(float)  # (oxide, supplier, buyer)
LYNAS_TO_CHN, MP_TO_CHN = 3261.0, 232.0  # D016, D017
# NdPr oxide to CHN metal makers: Lynas and MP shipments, rest domestic
n = OX_NEED_METAL[("CHN", "ndpr-oxide")]
OXFLOW[("ndpr-oxide", "MYS", "CHN")] += LYNAS_TO_CHN
OXFLOW[("ndpr-oxide", "USA", "CHN")] += MP_TO_CHN
OXFLOW[("ndpr-oxide", "CHN", "CHN")] += n - LYNAS_TO_CHN - MP_TO_CHN
# JPN metal makers: rest of MP, most of the rest of Lynas; VNM: some Lynas, rest China
n = OX_NEED_METAL[("JPN", "ndpr-oxide")]
mp_rest = SEP["USA"]["ndpr-oxide"] - MP_TO_CHN - 100.0  # 100 t kept for US other uses
lynas_rest = SEP["MYS"]["ndpr-oxide"] - LYNAS_TO_CHN - 150.0
lyn_jpn = min(lynas_rest * 0.75, n - mp_rest)
OXFLOW[("ndpr-oxide", "USA", "JPN")] += mp_rest
OXFLOW[("ndpr-oxide", "MYS", "JPN")] += lyn_jpn
OXFLOW[("ndpr-oxide", "CHN", "JPN")] += n - mp_rest - lyn_jpn
n = OX_NEED_METAL[("VNM", "ndpr-oxide")]
lyn_vnm = min(lynas_rest - lyn_jpn, n)
OXFLOW[("ndpr-oxide", "MYS", "VNM")] += lyn_vnm
if n - lyn_vnm > 1e-9:
    OXFLOW[("ndpr-oxide", "CHN", "VNM")] += n - lyn_vnm
for ox in ("dy-oxide", "tb-oxide", "sm-oxide"):
    OXFLOW[(ox, "CHN", "CHN")] += OX_NEED_METAL[("CHN", ox)]
for (s, ox), v in OX_NEED_METAL.items():
    assert s in ("CHN", "JPN", "VNM"), (s, ox)

# Residual oxide output -> "other uses" final demand, at home or exported.
used = defaultdict(float)
for (ox, s, b), v in OXFLOW.items():
    used[(s, ox)] += v
RESID = {}
for r in SEP:
    for ox, v in SEP[r].items():
        res = v - used[(r, ox)]
        assert res > -1e-6, (r, ox, v, used[(r, ox)])
        RESID[(r, ox)] = max(0.0, res)
# China's exports of oxides for other uses: fraction of the residual, split over destinations;
# the La/Ce fraction is calibrated so China's RE exports (oxides and metals, not magnets) are
# 55,431 t (E067).
CHN_EXPORT_FRAC = {"ndpr-oxide": 0.05, "sm-oxide": 0.3, "gd-oxide": 0.2, "y-oxide": 0.3, "dy-oxide": 0.2,
                   "tb-oxide": 0.2, "lu-oxide": 0.4, "other-hre-oxide": 0.3, "sc-oxide": 0.4}
DEST = {"JPN": 0.35, "USA": 0.15, "EUU": 0.2, "KOR": 0.1, "IND": 0.03, "GBR": 0.02, "XRW": 0.15}
metal_exports = sum(v for (mt, s, b), v in METALFLOW.items() if s == "CHN" and b != "CHN")
other_exports = sum(RESID[("CHN", ox)] * f for ox, f in CHN_EXPORT_FRAC.items())
lace = RESID[("CHN", "la-oxide")] + RESID[("CHN", "ce-oxide")]
LACE_FRAC = (55431.0 - metal_exports - other_exports) / lace
assert 0 < LACE_FRAC < 0.5, LACE_FRAC
CHN_EXPORT_FRAC["la-oxide"] = CHN_EXPORT_FRAC["ce-oxide"] = LACE_FRAC
# Non-Chinese separators' residual: Lynas sells to Japan and others; others use at home.
RESID_ROUTE = {"MYS": {"JPN": 0.4, "USA": 0.2, "XRW": 0.4}, "EST": {"EUU": 0.7, "USA": 0.3}}
OTHER_DEM = defaultdict(float)  # (buyer, oxide) -> t/yr
OTHER_FLOW = defaultdict(float)  # (oxide, supplier, buyer)
for (r, ox), v in RESID.items():
    if v <= 0:
        continue
    if r == "CHN":
        f = CHN_EXPORT_FRAC[ox]
        OTHER_FLOW[(ox, "CHN", "CHN")] += v * (1 - f)
        for d, s in DEST.items():
            OTHER_FLOW[(ox, "CHN", d)] += v * f * s
    else:
        for d, s in RESID_ROUTE.get(r, {r: 1.0}).items():
            OTHER_FLOW[(ox, r, d)] += v * s
for (ox, s, b), v in OTHER_FLOW.items():
    OTHER_DEM[(b, ox)] += v
    OXFLOW[(ox, s, b)] += v

# Oxide links into each buyer = all oxide flows into it (metal makers + other uses).
OX_IN = defaultdict(float)
for (ox, s, b), v in OXFLOW.items():
    OX_IN[(b, ox)] += v

# Concentrate needs of separators and recipe shares (China mixes scrap / clay / light).
REC_SHARE = {}
for ox in OXIDES:
    tot = SEP["CHN"][ox]
    fr = SEP_FROM[("CHN", ox)]
    REC_SHARE[ox] = {k: fr[k] / tot for k in fr}


# ============================================================================ writers
FILES = {}


class W:
    def __init__(self, name, header):
        self.lines = [f"# {h}" if h else "#" for h in header.split("\n")]
        self.lines += ["# GENERATED by tools/gen_world_2024.py - edit the generator, not this file.",
                       "# Fact row ids (P001, D008, ...) refer to the source-fact CSVs (data/README.md).", ""]
        FILES[name] = self

    def __call__(self, line=""):
        self.lines.append(line)


w = W("00-sources.toml", "world-2024 dataset: sources. Every number of the dataset names one of these ids;\nthe comment above each source lists the fact rows it stands for.")
for sid, title, url, comment in SOURCES:
    w(f"# {comment}")
    w("[[source]]")
    w(f'id = "{sid}"')
    w(f'title = "{esc(title)}"')
    w(f'url = "{esc(url)}"')
    w()

w = W("10-regions.toml", "world-2024 dataset: regions (ISO 3166-1 alpha-3; EUU = EU-27 less Estonia, XRW = rest of\nworld) and their groups (`allies`, `eu`, `asean`, `north-america`).")
for code, name, groups in REGIONS:
    w("[[region]]")
    w(f'id = "{code}"')
    w(f'name = "{name}"')
    if groups:
        w("groups = [" + ", ".join(f'"{g}"' for g in groups) + "]")
    w()

# ---------------------------------------------------------------- products
w = W("20-products.toml", "world-2024 dataset: products, upstream first. content = kg element per kg of product (per kg\nREO for 't REO' products); prices in USD/kg (2024).")


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


OX_EL = {"la-oxide": [("La", 1.0)], "ce-oxide": [("Ce", 1.0)], "ndpr-oxide": [("Nd", ND_SHARE), ("Pr", 1 - ND_SHARE)],
         "sm-oxide": [("Sm", 1.0)], "gd-oxide": [("Gd", 1.0)], "dy-oxide": [("Dy", 1.0)], "tb-oxide": [("Tb", 1.0)],
         "y-oxide": [("Y", 1.0)], "lu-oxide": [("Lu", 1.0)], "other-hre-oxide": list(OTHER_HRE.items()),
         "sc-oxide": [("Sc", 1.0)]}


def el_content(comp, what):
    """Element content (kg element per kg REO) of a concentrate with the given oxide fractions."""
    c = defaultdict(float)
    for ox, fr in comp.items():
        for el, part in OX_EL[ox]:
            c[el] += fr * part * F[el]
    return [(el, q(round(v, 5), A, "assumption", f"{what}: oxide fraction of REO x element share x oxide metal fraction"))
            for el, v in sorted(c.items()) if round(v, 5) > 0]


LIGHT_NOTE = "light ore (bastnaesite/monazite) REO split La 25%, Ce 50.3%, NdPr 22%, Sm 1.5%, Gd 0.6%, Y 0.3%, Eu/Ho/Er 0.3% (typical Bayan Obo/Mountain Pass assays; not in the fact files)"
product("light-concentrate", "Light rare-earth concentrate (bastnaesite/monazite), mined", "t REO", "mining",
        el_content(LIGHT, LIGHT_NOTE),
        q(5, A, "assumption", "no concentrate price in the fact files: contained NdPr (~22% x 56 USD/kg) less separation cost and discount", unit="USD/kg"),
        q(0.5, A, "assumption", "concentrate prices follow oxide prices weakly"), q(30, A, "assumption", "contract-priced", unit="days"),
        "Mined REO in concentrate; the USGS country totals are in this product and ion-clay-concentrate.")
CLAY_NOTE = (f"ion-adsorption clay REO split Y 30%, Dy {CLAY['dy-oxide']:.1%}, Tb {CLAY['tb-oxide']:.1%} (set so 50,000 t of clay "
             f"reproduce China's 2024 Dy/Tb oxide output, I032/I033), Gd 5%, Lu 0.5%, Ho/Er/Tm/Eu/Yb 7%, Sm 3%, NdPr 18%, Ce 4%, La rest (assumption)")
product("ion-clay-concentrate", "Ion-adsorption clay concentrate (heavy rare earths; southern China, Myanmar), mined", "t REO", "mining",
        el_content(CLAY, CLAY_NOTE),
        q(15, A, "assumption", "no price in the fact files: contained Dy/Tb value less separation cost", unit="USD/kg"),
        q(0.5, A, "assumption", "follows oxide prices weakly"), q(30, A, "assumption", "contract-priced", unit="days"))
product("magnet-scrap", "NdFeB swarf and end-of-life magnet scrap for recycling (secondary feed)", "t REO", "mining",
        [("Nd", q(round(0.9 * ND_SHARE / K_NDPR, 5), A, "assumption", "recovered REO ~90% NdPr oxide (magnet RE is ~96% NdPr, I010/I011)")),
         ("Pr", q(round(0.9 * (1 - ND_SHARE) / K_NDPR, 5), A, "assumption", "as Nd")),
         ("Dy", q(round(0.02 * F["Dy"], 5), A, "assumption", "~2% Dy2O3 in recovered REO"))],
        q(20, A, "assumption", "no scrap price in the fact files: ~0.4 x contained NdPr oxide value", unit="USD/kg"),
        q(0.5, A, "assumption", "follows oxide prices weakly"), q(30, A, "assumption", "contract-priced", unit="days"),
        "Secondary feed (stage 'mining' for the engine; not mine production: data_sources tests exclude it).")

OX_PRICE = {
    "la-oxide": q(0.6, A, "assumption", "no La price in the fact files: ~4,000-5,000 CNY/t China domestic is the usual order", unit="USD/kg"),
    "ce-oxide": q(0.9, A, "assumption", "no Ce price in the fact files: ~6,000-7,000 CNY/t order", unit="USD/kg"),
    "ndpr-oxide": q(56, "usgs-mcs-2025-ocr", "medium", "R013: USGS 2024 average Nd oxide 56 USD/kg used for NdPr oxide; China PrNd ~390,000 CNY/t Dec 2024 (R091)", unit="USD/kg"),
    "sm-oxide": q(2, A, "assumption", "no Sm price in the fact files: oversupplied light RE, a few USD/kg", unit="USD/kg"),
    "gd-oxide": q(23, "smm-daily-2025-04-22", "medium", "R110: Gd oxide 165,000 CNY/t (2025-04-22) at ~7.2 CNY/USD", unit="USD/kg"),
    "dy-oxide": q(260, "usgs-mcs-2025-ocr", "medium", "R015: USGS 2024 average Dy oxide", unit="USD/kg"),
    "tb-oxide": q(810, "usgs-mcs-2025-ocr", "medium", "R014: USGS 2024 average Tb oxide", unit="USD/kg"),
    "y-oxide": q(6.5, "adamas-eu-prices", "medium", "R126: 2025 volume-weighted Y oxide (75% of volume at ~6.5 USD/kg)", unit="USD/kg"),
    "lu-oxide": q(700, A, "assumption", "no Lu price in the fact files: high-value HRE, several hundred USD/kg", unit="USD/kg"),
    "other-hre-oxide": q(50, "smm-daily-2025-04-22", "low", "R110 note: Ho oxide 480-485k, Er 298-303k CNY/t (~67 and ~42 USD/kg); mix ~50 USD/kg", unit="USD/kg"),
    "sc-oxide": q(900, A, "assumption", "no Sc price in the fact files: Sc2O3 typically ~700-1,000 USD/kg", unit="USD/kg"),
}
OX_NAME = {"la-oxide": "Lanthanum oxide (La2O3)", "ce-oxide": "Cerium oxide (CeO2)",
           "ndpr-oxide": "NdPr oxide (Nd2O3 + Pr6O11, 75:25 by metal)", "sm-oxide": "Samarium oxide (Sm2O3)",
           "gd-oxide": "Gadolinium oxide (Gd2O3)", "dy-oxide": "Dysprosium oxide (Dy2O3)", "tb-oxide": "Terbium oxide (Tb4O7)",
           "y-oxide": "Yttrium oxide (Y2O3)", "lu-oxide": "Lutetium oxide (Lu2O3)",
           "other-hre-oxide": "Other heavy RE oxides (Ho, Er, Tm, Eu, Yb; mixed)", "sc-oxide": "Scandium oxide (Sc2O3)"}
KAPPA = {"la-oxide": 0.5, "ce-oxide": 0.5, "ndpr-oxide": 1.5, "sm-oxide": 1.0, "gd-oxide": 1.5, "dy-oxide": 3.0,
         "tb-oxide": 3.0, "y-oxide": 3.0, "lu-oxide": 2.0, "other-hre-oxide": 2.0, "sc-oxide": 2.0}
for ox in OXIDES + ["sc-oxide"]:
    content = []
    for el, part in OX_EL[ox]:
        content.append((el, q(round(part * F[el], 5), "stoichiometry", "high" if len(OX_EL[ox]) == 1 else "medium",
                              f"oxide metal fraction {F[el]}" + ("" if len(OX_EL[ox]) == 1 else f" x element share {part} (assumption)"))))
    note = "thin market: Europe Dy/Tb oxide tripled within a month of the April 2025 controls (R117-R120)" if KAPPA[ox] >= 3 else "scarcity response (assumption)"
    product(ox, OX_NAME[ox], "t REO", "separation", content, OX_PRICE[ox],
            q(KAPPA[ox], A if KAPPA[ox] < 3 else "argus-gmteight", "assumption" if KAPPA[ox] < 3 else "low", note),
            q(14, A, "assumption", "spot market adjusts within weeks (SMM daily quotes)", unit="days"),
            "Scandium is a by-product (no recipe): primary production in China, Russia, rest of world." if ox == "sc-oxide" else None)

METALS = [("ndpr-metal", "NdPr metal (75:25)", [("Nd", ND_SHARE), ("Pr", 1 - ND_SHARE)], 71, "ndpr-oxide", K_NDPR, 56),
          ("dy-metal", "Dysprosium metal (incl. DyFe alloy, as Dy)", [("Dy", 1.0)], 308, "dy-oxide", 1 / F["Dy"], 260),
          ("tb-metal", "Terbium metal (as Tb)", [("Tb", 1.0)], 963, "tb-oxide", 1 / F["Tb"], 810),
          ("sm-metal", "Samarium metal (for SmCo)", [("Sm", 1.0)], 15, "sm-oxide", 1 / F["Sm"], 2)]
for mid, name, els, price, ox, k, oxp in METALS:
    product(mid, name, "t metal", "metal",
            [(el, q(v, A, "assumption", "metal basis" + (" (Nd:Pr 75:25 by mass, typical didymium)" if len(els) > 1 else ""))) for el, v in els],
            q(price, A, "assumption", f"derived: {oxp} USD/kg oxide x {k:.4f} t oxide per t metal + conversion cost (assumed)", unit="USD/kg"),
            q(KAPPA[ox], A, "assumption", f"as {ox}"), q(14, A, "assumption", f"as {ox}", unit="days"))

HRE_CONTENT = [("Nd", NDPR_HRE * ND_SHARE), ("Pr", NDPR_HRE * (1 - ND_SHARE)), ("Dy", DY_C), ("Tb", TB_C)]
LRE_CONTENT = [("Nd", NDPR_LRE * ND_SHARE), ("Pr", NDPR_LRE * (1 - ND_SHARE))]
SMCO_CONTENT = [("Sm", SM_IN_SMCO)]
MAG_CONTENT = {"ndfeb-magnet-hre": HRE_CONTENT, "ndfeb-magnet-lre": LRE_CONTENT, "smco-magnet": SMCO_CONTENT}
CNOTE = {"Nd": ("heim-2023", "low", "derived: total RE ~0.30 (I010) less Dy, Tb; Nd:Pr 75:25 (assumption)"),
         "Pr": ("heim-2023", "low", "derived as Nd"),
         "Dy": ("smm-hre-oxide-2024", "low", f"fleet average of Dy-bearing grades: China Dy oxide 2,568 t/yr (I032) x 0.8713 x 90% to magnets / {HRE_WORLD:,.0f} t of HRE-grade magnets; high-coercivity EV/wind grades ~0.04 (I011)"),
         "Tb": ("smm-hre-oxide-2024", "low", f"as Dy: China Tb oxide 490 t/yr (I033) x 0.8502 x 90% / {HRE_WORLD:,.0f} t"),
         "Sm": (A, "assumption", "Sm2Co17 magnets ~23-25% Sm by mass (not in the fact files)")}


def cq(el, v):
    s, c, n = CNOTE[el]
    return q(round(v, 5), s, c, n)


product("ndfeb-magnet-hre", "Sintered NdFeB magnet with heavy RE (Dy/Tb; EV, wind, industrial grades)", "t product", "magnet",
        [(el, cq(el, v)) for el, v in HRE_CONTENT],
        q(49, "adamas-2024-exports", "high", "D008: China 2024 magnet exports US$2.86 bn / 58,152 t = 49 USD/kg", unit="USD/kg"),
        q(1.5, A, "assumption", "EU magnet prices reached ~6x China's in 2025 (E026) under controls; moderate baseline response"),
        q(30, A, "assumption", "monthly/quarterly contracts", unit="days"),
        "Dy/Tb content > 0: Announcement No. 18 ({ elements = [...] }) catches these magnets.")
product("ndfeb-magnet-lre", "Sintered NdFeB magnet without heavy RE (consumer, low-temperature grades)", "t product", "magnet",
        [(el, cq(el, v)) for el, v in LRE_CONTENT],
        q(45, A, "assumption", "slightly below the average export unit value of 49 USD/kg (D008): no Dy/Tb", unit="USD/kg"),
        q(1.5, A, "assumption", "as ndfeb-magnet-hre"), q(30, A, "assumption", "as ndfeb-magnet-hre", unit="days"),
        "No element of Announcement No. 18: outside the April 2025 controls.")
product("smco-magnet", "Samarium-cobalt magnet (high-temperature; defence, aerospace)", "t product", "magnet",
        [("Sm", cq("Sm", SM_IN_SMCO))],
        q(100, A, "assumption", "no SmCo price in the fact files: roughly twice NdFeB", unit="USD/kg"),
        q(2.0, A, "assumption", "small market, defence-critical (I016)"), q(30, A, "assumption", "contracts", unit="days"))
w("# End-use components: 't product' = tonnes of magnet fitted (magnet-equivalent); content is the")
w("# recipe-weighted content of the magnets they contain.")
for pid, name, eu, s, inp in END_USES:
    c = defaultdict(float)
    for m, k in inp.items():
        for el, v in MAG_CONTENT[m]:
            c[el] += k * v
    product(pid, name, "t product", "component",
            [(el, q(round(v, 5), "heim-2023", "low", "derived: recipe-weighted magnet content")) for el, v in sorted(c.items())],
            q(150, A, "assumption", "placeholder: value per kg of fitted magnet (~3x magnet price); only relative changes matter", unit="USD/kg"),
            q(0.5, A, "assumption", "components respond weakly to magnet scarcity"), q(60, A, "assumption", "long-term contracts", unit="days"))

# Buyer cohorts (issue 17): the firms of a region that make the HRE-magnet components (motors,
# generators, defence and industrial parts) are three groups with their own magnet and
# component stocks, instead of one national stock shared out proportionally. No survey gives the
# distribution of cover by firm size (issue 17 facts, section 4 gaps), so the split is an
# assumption anchored on what firms and associations said in 2025: large OEMs and tier-1s with
# about two months (ACMA: OEM stocks "may run dry in about 2 months"; CRISIL: 4-6 weeks for most
# Indian automakers; Mahle "still had inventories" in June), tier-1/2 suppliers with about three
# to four weeks (CLEPA on 4 June: more outages "in 3-4 weeks as inventories deplete"; Indian
# component makers "may run out by end of May"), and small buyers with about two weeks (ZVEI:
# some companies' inventories "last only a few weeks"). Shares of each region's demand and
# capacity: 50 / 40 / 10 (assumption). (name, share, cover days, source, confidence, note)
COHORT_PRODUCTS = ["ev-traction-motor", "wind-generator", "defence-system", "medical-other"]
COHORT_REGIONS = ["USA", "EUU", "JPN", "KOR", "GBR", "CAN", "AUS", "IND"]
# Cover days are triangular distributions (min, mode, max) over the ranges those statements
# give; a single run uses the mode, a Monte Carlo run draws each cohort's cover per path.
COHORTS = [
    ("oem", 0.5, (28, 60, 90), "acma-2025-05", "low",
     "large OEMs and tier-1s: 4-6 weeks (CRISIL) to ~2 months (ACMA: OEM stocks may run dry in about 2 months) of cover; share assumed"),
    ("suppliers", 0.4, (14, 25, 42), "clepa-2025-06", "low",
     "tier-1/2 component suppliers: 2-6 weeks, 3-4 weeks most likely (CLEPA, 4 Jun 2025: more outages in 3-4 weeks as inventories deplete); share assumed"),
    ("small", 0.1, (7, 14, 28), "zvei-2025-06", "low",
     "small buyers: one to four weeks (ZVEI: some companies' inventories last only a few weeks); share assumed"),
]

# India's cohorts from India's own statements, read at their dates (issue 17, fifth stop). Every
# statement above was made in late May or June, two months into the controls, about the inventory
# left on that day; the defaults read them as the cover held on 4 April. For India that reading
# can be undone: no Indian application was approved before June (CRISIL/PTI, 10 Jun: ~30 requests
# endorsed, none approved; ACMA: "no imports since early April"), so a cohort's stock fell by a day
# a day after the magnets in transit on 4 April (T = transit("CHN", "IND") days) had arrived, and
# the cover it held then is
#     cover(4 Apr) = stated stock-out date - 4 Apr - T.
# OEMs: stock-outs 8-22 July (CRISIL, 10 Jun: 4-6 weeks), mid-July (ICRA, 12 Jun), late July
# (ACMA, late May: ~2 months) -> 95, 102 and 112 days after 4 April.
# Component makers, tier and small alike (the one statement on them does not split by size): end of
# May (SIAM documents via Reuters) -> 57 days, with a week either side (assumption).
# Other regions have no dated statement of their own with a known supply in between; they keep the
# defaults.
T_IND = transit("CHN", "IND")
IND_OEM_COVER = (95 - T_IND, 102 - T_IND, 112 - T_IND)
IND_COMPONENT_COVER = (57 - T_IND - 7, 57 - T_IND, 57 - T_IND + 7)
COHORT_COVER_BY_REGION = {
    ("IND", "oem"): (IND_OEM_COVER, "crisil-2025-06", "medium",
                     f"Indian automakers: stock-outs 8-22 Jul (CRISIL, 10 Jun: 4-6 weeks left), mid-Jul (ICRA, 12 Jun), late Jul (ACMA, late May: ~2 months) with no approvals before June, less {T_IND} days in transit on 4 Apr; share assumed"),
    ("IND", "suppliers"): (IND_COMPONENT_COVER, "siam-2025-06", "medium",
                           f"Indian component makers: stock-out by end of May (SIAM documents via Reuters) with no approvals before June (CRISIL), less {T_IND} days in transit on 4 Apr; +-7 days assumed; share assumed"),
    ("IND", "small"): (IND_COMPONENT_COVER, "siam-2025-06", "medium",
                       f"Indian component makers: stock-out by end of May (SIAM documents via Reuters) with no approvals before June (CRISIL), less {T_IND} days in transit on 4 Apr; +-7 days assumed; share assumed"),
}

# Supply contracts (issue 17): the firms that stopped first in 2025 were single-sourced from
# China while their region also bought elsewhere: Ford's Chicago plant stopped because one magnet
# supplier ran out (Bloomberg Tax, 2025-06-13), Suzuki's Swift because a part from China did not
# arrive (Japan News/Reuters, 2025-06-06). No survey says which firms are single-sourced; the
# assumption is that the small buyers are (they have neither the volume for a second qualified
# supplier nor the cover to wait for one), in every region with cohorts.
COHORT_SOURCES = {"small": ["CHN"]}
COHORT_SOURCES_NOTE = ("assumption: small buyers are single-sourced from China, as the first firms to stop in 2025 were\n"
                       "(Ford's magnet supplier, Bloomberg Tax 2025-06-13; Suzuki's Chinese part, Japan News 2025-06-06)")

# ---------------------------------------------------------------- recipes
w = W("30-recipes.toml", "world-2024 dataset: recipes (inputs = units of input per unit of output: t REO / t metal /\nt product as the products say). Co-production is approximated by MASS ALLOCATION: each separated\noxide consumes its own mass of concentrate REO / recovery 0.9; the ore's element ratio is held by\nthe baseline demand pattern and the per-element separation capacities (data/README.md).")


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


REC_K = q(round(1 / RECOVERY, 4), A, "assumption", "t REO concentrate per t oxide: mass allocation at 90% separation recovery")
for ox in OXIDES:
    sh = REC_SHARE[ox]
    if ox == "ndpr-oxide":
        recipe(ox, [("magnet-scrap", q(round(SCRAP_K, 4), A, "assumption", "t REO scrap per t NdPr oxide (90% recovery)"))], 0, ["CHN"],
               "China recycles magnet swarf and scrap for part of its NdPr oxide.",
               share=q(round(sh["scrap"], 6), A, "assumption", f"derived: scrap recycling {SCRAP_CAP:,.0f} t REO/yr at {SCRAP_UTIL:.0%} / China NdPr oxide output {SEP['CHN'][ox]:,.0f} t/yr"))
    if sh.get("clay", 0) > 0 and sh.get("light", 0) > 0:
        recipe(ox, [("ion-clay-concentrate", REC_K)], 0, ["CHN"],
               f"China separates {ox} from ion-adsorption clay (share) and light ore (rest).",
               share=q(round(sh["clay"], 6), A, "assumption", f"derived: clay-derived share of China's {ox} output from the ore compositions"))
        recipe(ox, [("light-concentrate", REC_K)], 1)
    elif sh.get("clay", 0) > 0:
        recipe(ox, [("ion-clay-concentrate", REC_K)], 0, ["CHN"], f"{ox} comes from ion-adsorption clay only (China; Myanmar clay is separated in China).")
    else:
        recipe(ox, [("light-concentrate", REC_K)], 0)
for ox in ("dy-oxide", "tb-oxide"):
    recipe(ox, [("light-concentrate", REC_K)], 0, ["MYS", "USA"],
           f"Lynas separates {ox} from Mt Weld concentrate (Malaysia from May 2025, E011; Texas planned, C005).\nNo capacity at baseline (2024): scenarios ramp it.")
for mid, name, els, price, ox, k, oxp in METALS:
    recipe(mid, [(ox, q(round(k, 4), "stoichiometry", "high", "t oxide per t metal from the oxide metal fraction(s); process losses ignored"))])
recipe("ndfeb-magnet-hre", [
    ("ndpr-metal", q(NDPR_HRE, "heim-2023", "low", "equals the magnet's NdPr content; machining swarf returns as magnet-scrap")),
    ("dy-metal", q(DY_C, "smm-hre-oxide-2024", "low", "equals the magnet's fleet-average Dy content")),
    ("tb-metal", q(TB_C, "smm-hre-oxide-2024", "low", "equals the magnet's fleet-average Tb content"))], 0, None, "Standard HRE grade.")
recipe("ndfeb-magnet-hre", [
    ("ndpr-metal", q(round(NDPR_HRE + DY_C - DY_LEAN, 5), "heim-2023", "assumption", "NdPr replaces the Dy removed; total RE stays 0.30 (I010)")),
    ("dy-metal", q(DY_LEAN, "heim-2023", "assumption", "half the Dy: grain-boundary diffusion (I011 note)")),
    ("tb-metal", q(TB_C, "smm-hre-oxide-2024", "assumption", "unchanged"))], 1, None,
    "Dy-lean (thrifted, grain-boundary diffusion) alternative, used when Dy metal runs short.")
recipe("ndfeb-magnet-lre", [("ndpr-metal", q(NDPR_LRE, "heim-2023", "medium", "I010: total RE ~0.30, all NdPr"))])
recipe("smco-magnet", [("sm-metal", q(SM_IN_SMCO, A, "assumption", "Sm2Co17 ~25% Sm; cobalt not modelled"))])
for pid, name, eu, s, inp in END_USES:
    recipe(pid, [(m, q(k, A, "assumption", "t magnet fitted per t product (magnet-equivalent unit); magnet mix of the end use assumed"))
                 for m, k in inp.items()])

# ---------------------------------------------------------------- production (baseline) per node
PROD = defaultdict(float)  # (region, product) -> t/yr
for r in SEP:
    for ox, v in SEP[r].items():
        PROD[(r, ox)] += v
for (s, mt), v in METAL_OUT.items():
    PROD[(s, mt)] += v
for (s, m), v in MAG_OUT.items():
    PROD[(s, m)] += v
for reg, route in LIGHT_ROUTE.items():
    for s, v in route.items():
        PROD[(s, "light-concentrate")] += v
for reg, route in CLAY_ROUTE.items():
    for s, v in route.items():
        PROD[(s, "ion-clay-concentrate")] += v
PROD[("CHN", "magnet-scrap")] = SCRAP_CAP * SCRAP_UTIL
for r, dem in MAG_DEM.items():
    for pid, name, eu, _s, inp in END_USES:
        PROD[(r, pid)] += dem * eu_share(r, eu)

# ---------------------------------------------------------------- facilities
w = W("40-facilities.toml", f"world-2024 dataset: facilities. Capacity = 2024 output / utilisation (mines {MINE_UTIL}, elsewhere\n{UTIL}) unless a nameplate is in the facts. Notes give the output each capacity was derived from.\nPlants not yet producing in 2024 (MP Independence, Neo Narva) have capacity 0: scenarios ramp them.")


def facility(region, product_, cap, unit, source, conf, note, plants=None):
    w("[[facility]]")
    w(f'region = "{region}"')
    w(f'product = "{product_}"')
    w(f"capacity = {q(cap, source, conf, note, unit=unit + '/yr')}")
    if plants:
        w("plants = [" + ", ".join(f'"{p}"' for p in plants) + "]")
    w()


CAPS = {}
w("# --- mining (USGS MCS 2025, 2024 output)")
for r, v in MINED.items():
    light = v - (CHN_CLAY if r == "CHN" else 0) - (v if r == "MMR" else 0)
    if light > 0:
        CAPS[(r, "light-concentrate")] = rnd(light / MINE_UTIL, 10 if light > 100 else 1)
        extra = "; less ~19,000 t ion-adsorption clay (assumption)" if r == "CHN" else ""
        plants = {"USA": ["Mountain Pass (MP Materials)"], "AUS": ["Mt Weld (Lynas)"], "CHN": ["Bayan Obo", "Sichuan"]}.get(r)
        facility(r, "light-concentrate", CAPS[(r, "light-concentrate")], "t REO", "mp-8k-2025" if r == "USA" else "usgs-mcs-2025",
                 "high" if r in ("USA", "AUS") else "medium", f"{MINE_ROWS[r]}: {v:,.0f} t REO mined 2024{extra}; / {MINE_UTIL}", plants)
CAPS[("CHN", "ion-clay-concentrate")] = rnd(CHN_CLAY / MINE_UTIL, 10)
facility("CHN", "ion-clay-concentrate", CAPS[("CHN", "ion-clay-concentrate")], "t REO", "mining-com-2011-quota", "assumption",
         "~19,000 t REO/yr of southern ion-adsorption clay inside China's 270,000 t (P060 medium/heavy quota 13,400 t in 2011; later split not in the facts); / 0.85")
CAPS[("MMR", "ion-clay-concentrate")] = 43000.0
facility("MMR", "ion-clay-concentrate", 43000, "t REO", "usgs-mcs-2025", "medium",
         "P013: Myanmar mined 43,000 t REO in 2023 (31,000 t in 2024, P003): demonstrated capacity; exports ~44,000 t to China 2024 (P079)",
         ["Kachin ion-clay mines"])
CAPS[("CHN", "magnet-scrap")] = SCRAP_CAP
facility("CHN", "magnet-scrap", SCRAP_CAP, "t REO", A, "assumption",
         "China's swarf/scrap recycling sized so that NdPr supply covers 280,000 t of magnets; no figure in the facts (runs at 90%)")
w("# --- separation")
SEP_NOTES = {
    "CHN": ("iea-2025-10", "low", "derived from feed x composition x 0.9 recovery; China ~91% of separation (P068); separation quota 230,000 t REO 2023 (P057) excludes imported feed and recycling"),
    "MYS": ("fastmarkets-lynas", "high", "C001/C002: Lynas Malaysia NdPr capacity 10,500 t/yr, FY2023 output 6,142 t; other oxides from Mt Weld feed"),
    "USA": ("mp-8k-2025", "medium", "C007: MP 1,300 t NdPr oxide 2024; co-products by composition"),
    "EST": ("argus-neo-estonia", "high", "C010: NPM Silmet 3,000 t/yr light RE separation; ~2,000 t output assumed"),
    "EUU": ("solvay-la-rochelle", "medium", "C013: Solvay La Rochelle, several hundred t of magnet REs in 2025; ~900 t of oxides 2024 assumed"),
    "IND": ("usgs-mcs-2025", "low", "P007: India's 2,900 t REO separated at home (IREL, assumption)"),
    "RUS": ("usgs-mcs-2025", "low", "P008: Russia's 2,500 t REO separated at home (Solikamsk, assumption)"),
    "VNM": ("usgs-mcs-2025", "low", "P009: Vietnam's 300 t REO separated at home (assumption)"),
    "XRW": ("mgr-scandium", "low", "I030"),
}
for r in SEP:
    for ox, v in sorted(SEP[r].items()):
        if v <= 0:
            continue
        s, c, n = SEP_NOTES[r]
        if ox == "sc-oxide":
            s, c, n = "mgr-scandium", "low", "I030: world Sc supply 15-20 t/yr; split China 10, Russia 2.5, rest (Philippines) 5 assumed"
        u = UTIL if not (r == "MYS" and ox == "ndpr-oxide") else None
        cap = 10500.0 if u is None else rnd(v / u, 1 if v < 50 else 10)
        if r == "USA" and ox == "ndpr-oxide":
            cap = 1600.0
        if r == "EST":
            cap = rnd(3000.0 * v / sum(SEP["EST"].values()), 1)
        CAPS[(r, ox)] = cap
        facility(r, ox, cap, "t REO", s, c if u is not None or True else c, f"{n}; 2024 output {v:,.1f} t/yr" + (f" / {u}" if u and r != "EST" else ""),
                 {"MYS": ["Lynas Malaysia (Gebeng)"], "USA": ["Mountain Pass (MP Materials)"], "EST": ["NPM Silmet (Sillamae)"],
                  "EUU": ["Solvay La Rochelle"]}.get(r))
w("# --- metals")
for (s, mt), v in sorted(METAL_OUT.items()):
    CAPS[(s, mt)] = rnd(v / UTIL, 1 if v < 100 else 10)
    facility(s, mt, CAPS[(s, mt)], "t metal", "lifton-hre" if mt in ("dy-metal", "tb-metal") else A,
             "low" if mt in ("dy-metal", "tb-metal") else "assumption",
             f"sized on the metal the magnet makers need: {v:,.0f} t/yr / {UTIL}" + ("; China ~99% of Dy/Tb (P073)" if mt in ("dy-metal", "tb-metal") else "; metal-stage trade not in the facts"))
CAPS[("USA", "ndpr-metal")] = 0.0
facility("USA", "ndpr-metal", 0, "t metal", "mp-8k-2025", "high", "C008: MP NdPr metal commercial only from Jan 2025: 0 in 2024 (scenarios ramp it)", ["Independence (MP Materials)"])
w("# --- magnets")
MAG_PLANTS = {("CHN", "ndfeb-magnet-hre"): ["JL Mag (35,000 t/yr, C015)", "Zhong Ke San Huan (25,000 t/yr, C017)", "Ningbo Yunsheng (C016)"],
              ("JPN", "ndfeb-magnet-hre"): ["Shin-Etsu", "Proterial", "TDK"], ("VNM", "ndfeb-magnet-hre"): ["Shin-Etsu Vietnam"],
              ("EUU", "ndfeb-magnet-hre"): ["VAC (Germany)"], ("KOR", "ndfeb-magnet-hre"): ["Star Group (C019)"]}
for (s, m), v in sorted(MAG_OUT.items()):
    if v <= 0:
        continue
    CAPS[(s, m)] = rnd(v / UTIL, 1 if v < 100 else 10)
    if s == "CHN" and m != "smco-magnet":
        src, c, n = "iea-2025-10", "medium", f"China 94% (P069) of a {WORLD_NDFEB:,.0f} t world (assumption between P083 300 kt, P085 260 kt, P086/P087)"
    elif m == "smco-magnet":
        src, c, n = "ree-samarium", "low", f"SmCo <= 2% of permanent magnet use (I019): world {SMCO_WORLD:,.0f} t assumed, China {SMCO_OUT_CHN:,.0f} t"
    elif s == "JPN":
        src, c, n = "argus-japan-2022", "low", "Japan < 9% of world output (P088); balance of the non-Chinese 6% (P069) after the others"
    else:
        src, c, n = "reqodata-tiers", "low", "C018/C019: tier-2 makers 1,000-5,000 t/yr each, figures not found; output derived from the buyers' non-Chinese supply"
    facility(s, m, CAPS[(s, m)], "t product", src, c, f"{n}; 2024 output {v:,.0f} t/yr / {UTIL}", MAG_PLANTS.get((s, m)))
for r, plant, src, note in [("USA", "Independence (MP Materials)", "mp-8k-2025", "C008: 1,000 t/yr sintered NdFeB ramping from late 2025: 0 in 2024"),
                            ("EST", "Magnequench Narva (Neo)", "automotiveworld-neo", "C011/E022: 2,000 t/yr inaugurated Sep 2025: 0 in 2024")]:
    CAPS[(r, "ndfeb-magnet-hre")] = 0.0
    facility(r, "ndfeb-magnet-hre", 0, "t product", src, "high", note + " (scenarios ramp it)", [plant])
w("# --- plants with no 2024 output (capacity 0; scenarios ramp them)")
ZERO_FAC = [
    ("MYS", "dy-oxide", "t REO", "fastmarkets-lynas", "high", "C003/E011: Lynas HRE circuit, first Dy oxide 2025-05-16; Dy/Tb capacity not disclosed", ["Lynas Malaysia HRE circuit"]),
    ("MYS", "tb-oxide", "t REO", "fastmarkets-lynas", "high", "C003/E011: first Tb oxide June 2025", ["Lynas Malaysia HRE circuit"]),
    ("USA", "dy-oxide", "t REO", "fastmarkets-lynas", "medium", "C005: Lynas Seadrift (Texas) HRE plant planned, capacity not found", ["Lynas Texas (Seadrift)"]),
    ("USA", "tb-oxide", "t REO", "fastmarkets-lynas", "medium", "C005: as dy-oxide", ["Lynas Texas (Seadrift)"]),
    ("JPN", "dy-metal", "t metal", A, "assumption", "Japanese metal makers could reduce Lynas Dy oxide (E031: Sojitz imports Lynas Dy/Tb from late 2025)", None),
    ("JPN", "tb-metal", "t metal", A, "assumption", "as dy-metal", None),
    ("USA", "dy-metal", "t metal", A, "assumption", "no US Dy metal making in 2024 (China ~99% of Dy/Tb, P073)", None),
    ("USA", "tb-metal", "t metal", A, "assumption", "as dy-metal", None),
]
for r, p_, unit, src, c, note, plants in ZERO_FAC:
    CAPS[(r, p_)] = 0.0
    facility(r, p_, 0, unit, src, c, note + " (0 in 2024)", plants)
w("# --- components (assembled where used)")
for r, dem in MAG_DEM.items():
    for pid, name, eu, _s, inp in END_USES:
        s = eu_share(r, eu)
        CAPS[(r, pid)] = rnd(dem * s / UTIL, 1)
        facility(r, pid, CAPS[(r, pid)], "t product", A, "assumption", f"component assembly sized on demand {dem * s:,.0f} t/yr / {UTIL}")

# ---------------------------------------------------------------- links
w = W("50-links.toml", "world-2024 dataset: links (supplier -> buyer, product). Shares into each (to, product) sum to 1;\nzero shares are candidate routes buyers may switch to. Baseline tariffs 0 (no 2024 tariff facts).\nTransit days door to door: out of East Asia from forwarders' guides (CHN->USA 28, CHN->EU 40, CHN->IND 26,\nwithin East Asia 7, to Southeast Asia 10); other lanes zone-to-zone assumptions; domestic 2.")
LINKS = []


def link(frm, to, product_, share, source, conf, note):
    LINKS.append((frm, to, product_, share))
    w("[[link]]")
    w(f'from = "{frm}"')
    w(f'to = "{to}"')
    w(f'product = "{product_}"')
    w(f"share = {q(share, source, conf, note)}")
    w(f"transit-days = {transit_q(frm, to)}")
    w(f"tariff = {q(0.0, A, 'assumption', 'baseline 2024: no additional tariff modelled')}")
    w()


def shares(d):
    keys = [k for k in d if d[k] > 0]
    tot = sum(d[k] for k in keys)
    out = {k: round(d[k] / tot, 6) for k in keys[:-1]}
    out[keys[-1]] = round(1 - sum(out.values()), 6)
    return out


def flows_note(need, s):
    return f"= {s * need:,.1f} t/yr of the buyer's {need:,.1f} t/yr"


w("# --- concentrates")
for reg, route in LIGHT_ROUTE.items():
    sh = shares(route)
    need = sum(route.values())
    for frm, s in sh.items():
        if frm == reg:
            src, c, n = "usgs-mcs-2025", "medium", "domestic feed"
        elif (frm, reg) == ("USA", "CHN"):
            src, c, n = "treo-2024-trade", "low", "MP's concentrate went to China until April 2025 (D017 note): output less MP's own separation feed"
        elif (frm, reg) == ("AUS", "MYS"):
            src, c, n = "fastmarkets-lynas", "high", "Mt Weld concentrate is processed in Malaysia"
        else:
            src, c, n = "reuters-2024-exports", "low", "China imported 132,931 t of RE in 2024 (E067); this origin's output assumed shipped to the separator"
        link(frm, reg, "light-concentrate", s, src, c, f"{n}; {flows_note(need, s)}")
link("AUS", "CHN", "light-concentrate", 0.0, A, "assumption", "candidate route (no 2024 flow)")
link("AUS", "USA", "light-concentrate", 0.0, A, "assumption", "candidate route (no 2024 flow)")
for reg, route in CLAY_ROUTE.items():
    sh = shares(route)
    need = sum(route.values())
    for frm, s in sh.items():
        src, c, n = ("industryslice-myanmar", "medium", "P079: Myanmar exported ~44,000 t RE to China in 2024 (57% of China's RE imports); 2024 output 31,000 t (P003)") if frm == "MMR" else (A, "assumption", "southern China ion-clay")
        link(frm, reg, "ion-clay-concentrate", s, src, c, f"{n}; {flows_note(need, s)}")
link("CHN", "CHN", "magnet-scrap", 1.0, A, "assumption", "domestic recycling of swarf and scrap")

w("# --- oxides (to metal makers and to other uses)")
by_buyer = defaultdict(dict)
for (ox, s, b), v in OXFLOW.items():
    if v > 1e-9:
        by_buyer[(b, ox)][s] = by_buyer[(b, ox)].get(s, 0) + v
for (b, ox) in sorted(by_buyer, key=lambda k: (OXIDES.index(k[1]) if k[1] in OXIDES else 99, RIDS.index(k[0]))):
    route = by_buyer[(b, ox)]
    sh = shares(route)
    need = sum(route.values())
    for frm, s in sh.items():
        if (frm, b, ox) == ("MYS", "CHN", "ndpr-oxide"):
            src, c, n = "treo-2024-trade", "medium", "D016: Lynas shipped 3,261 t NdPr oxide to China in 2024"
        elif (frm, b, ox) == ("USA", "CHN", "ndpr-oxide"):
            src, c, n = "treo-2024-trade", "medium", "D017: MP shipped 232 t NdPr oxide to China in 2024"
        elif frm == b:
            src, c, n = A, "assumption", "domestic supply"
        elif frm == "CHN":
            src, c, n = "reuters-2024-exports", "low", "China's oxide exports: residual after the magnet chain x export fraction x destination split (calibrated to 55,431 t RE exports, E067; destinations assumed)"
        else:
            src, c, n = A, "assumption", "non-Chinese separator's sales split assumed"
        link(frm, b, ox, s, src, c, f"{n}; {flows_note(need, s)}")
# candidate routes for controlled heavy oxides outside China
link("MYS", "JPN", "dy-oxide", 0.0, "fastmarkets-lynas", "high", "candidate: Lynas HRE circuit commissioned 2025 (C003, E011)")
link("MYS", "USA", "dy-oxide", 0.0, "fastmarkets-lynas", "high", "candidate: Lynas HRE circuit (C003)")

w("# --- metals")
by_buyer = defaultdict(dict)
for (mt, s, b), v in METALFLOW.items():
    by_buyer[(b, mt)][s] = by_buyer[(b, mt)].get(s, 0) + v
for (b, mt) in sorted(by_buyer, key=lambda k: (k[1], RIDS.index(k[0]))):
    route = by_buyer[(b, mt)]
    sh = shares(route)
    need = sum(route.values())
    for frm, s in sh.items():
        if mt in ("dy-metal", "tb-metal", "sm-metal"):
            src, c, n = "lifton-hre", "low", "P073: China ~99% of Dy/Tb; Sm metal for SmCo from China (I016 context)"
        else:
            src, c, n = A, "assumption", "domestic" if frm == b else "import; metal trade shares not in the facts"
        link(frm, b, mt, s, src, c, f"{n}; {flows_note(need, s)}")
link("USA", "USA", "ndpr-metal", 0.0, "mp-8k-2025", "high", "candidate: MP NdPr metal from 2025 (C008)")
link("USA", "USA", "ndpr-oxide", 0.0, "mp-8k-2025", "high", "candidate: MP's own oxide for its metal line (C007, C008)") if ("USA", "ndpr-oxide") not in OTHER_DEM else None

w("# --- inputs of the plants that start after 2024 (baseline flow 0; China is the fallback supplier)")
for b in ("USA", "EST"):
    for mt in ("ndpr-metal", "dy-metal", "tb-metal"):
        if (b, mt) in by_buyer:
            continue
        if b == "USA" and mt == "ndpr-metal":
            continue  # written above with the USA candidate
        link("CHN", b, mt, 1.0, A, "assumption", "no 2024 flow (no magnet plant running); China would be the supplier")
link("CHN", "USA", "ndpr-metal", 1.0, A, "assumption", "no 2024 flow; China would be the supplier until MP's metal line runs")
for mt, ox in (("dy-metal", "dy-oxide"), ("tb-metal", "tb-oxide")):
    link("CHN", "JPN", ox, 0.0, A, "assumption", "candidate route") if ("JPN", ox) not in OTHER_DEM else None
    link("JPN", "JPN", mt, 0.0, A, "assumption", "candidate: Japanese reduction of Lynas oxide (E031)")
    link("USA", "USA", mt, 0.0, A, "assumption", "candidate: US reduction of Lynas/MP heavy oxide")
link("MYS", "JPN", "tb-oxide", 0.0, "fastmarkets-lynas", "high", "candidate: Lynas HRE circuit (C003, E011)")
link("MYS", "EUU", "dy-oxide", 0.0, "fastmarkets-lynas", "high", "candidate: Lynas HRE circuit (C003)")
link("USA", "USA", "dy-oxide", 0.0, "fastmarkets-lynas", "medium", "candidate: Lynas Texas (C005)")
link("USA", "USA", "tb-oxide", 0.0, "fastmarkets-lynas", "medium", "candidate: Lynas Texas (C005)")
w("# --- magnets (same supplier shares for the three magnet products of a buyer)")
MAG_NOTE_SRC = {}
for b in sorted(MAG_SHARES, key=RIDS.index):
    sh = shares(MAG_SHARES[b])
    for m in MAGS:
        need = MAG_DEM[b] * mix_of(b)[m]
        for frm, s in sh.items():
            if frm == "CHN" and b != "CHN":
                src, c, n = CHN_EXP[b][1], CHN_EXP[b][2], CHN_EXP[b][3] + f"; China's share of the buyer's supply {CHN_SHARE.get(b, (0,))[0] if b in CHN_SHARE else 'derived'}"
                if b == "JPN":
                    n = CHN_EXP[b][3] + "; Japan's own output makes the rest"
            elif frm == "CHN":
                src, c, n = "adamas-2024-exports", "medium", "China's output less its exports (D008)"
            elif frm == b:
                src, c, n = A, "assumption", "domestic makers"
            else:
                src, c, n = A, "assumption", "non-Chinese supply split assumed"
            if m == "smco-magnet" and src not in (A,):
                c = "low"
            if (frm, m) in CAPS or (frm, m) in MAG_OUT:
                link(frm, b, m, s, src, c, f"{n}; {flows_note(need, s)}")
            else:
                raise SystemExit(f"no facility for {frm} {m}")
    # candidates: the allied plants that start in 2025
    if b in ("USA",):
        link("USA", "USA", "ndfeb-magnet-hre", 0.0, "mp-8k-2025", "high", "candidate: MP Independence ramps from late 2025 (C008)")
    if b in ("EUU",):
        link("EST", "EUU", "ndfeb-magnet-hre", 0.0, "automotiveworld-neo", "high", "candidate: Neo Narva from Sep 2025 (C011)")
    if b in ("USA", "EUU", "KOR", "GBR") and "JPN" not in sh:
        for m in MAGS:
            link("JPN", b, m, 0.0, A, "assumption", "candidate route")

w("# --- components: assembled where used, and imported along COMPONENT_TRADE (issue 17)")
for r in MAG_DEM:
    for pid, name, eu, s, inp in END_USES:
        imports = [t for t in COMPONENT_TRADE if t[1] == r and t[2] == pid]
        m = sum(t[3] for t in imports)
        if not imports:
            link(r, r, pid, 1.0, A, "assumption", "components assembled in the region of final demand")
            continue
        link(r, r, pid, round(1 - m, 6), A, "assumption", f"assembled at home: 1 - the imported shares ({m:g})")
        for sup, _b, _p, sh, src, conf, note in imports:
            link(sup, r, pid, sh, src, conf, f"component trade: {note}")

# ---------------------------------------------------------------- demand
w = W("60-demand.toml", "world-2024 dataset: final demand (t/yr). Magnet end uses per region (t of magnet fitted) and\n'other' uses of the separated oxides (catalysts, glass, polishing, phosphors, alloys, ceramics, and\nChina's La/Ce surplus), which carry the non-magnet tonnage of the 390,000 t mined.")
DEM_SRC = {r: (CHN_EXP[r][1], CHN_EXP[r][2], f"China's magnet exports to it {CHN_EXP[r][0]:,.0f} t / China's share {CHN_SHARE[r][0]} ({CHN_EXP[r][3]}; {CHN_SHARE[r][3]})") for r in CHN_SHARE}
DEM_SRC["CHN"] = ("adamas-2024-exports", "low", "China's output (94% of 280,000 t NdFeB + 3,200 t SmCo) less exports 58,152 t (D008)")
DEM_SRC["JPN"] = ("argus-japan-2022", "low", "2,400 t from China (D015/E056 derived) + Japan's own output less its exports (P088: Japan < 9% of world output)")
def assembly(r, pid):
    eu = next(e[2] for e in END_USES if e[0] == pid)
    return MAG_DEM[r] * eu_share(r, eu)


def component_consumption(r, pid, own):
    """Final demand of component `pid` in region r: its own assembly `own` grossed up by the
    imported share, less what it exports (COMPONENT_TRADE); and a note saying so."""
    m = sum(t[3] for t in COMPONENT_TRADE if t[1] == r and t[2] == pid)
    cons = own / (1 - m)
    exports = sum(t[3] * assembly(t[1], pid) / (1 - sum(u[3] for u in COMPONENT_TRADE if u[1] == t[1] and u[2] == pid))
                  for t in COMPONENT_TRADE if t[0] == r and t[2] == pid)
    assert cons - exports > 0, (r, pid, cons, exports)
    note = ""
    if m:
        note += f"; consumption = assembly {own:,.1f} / (1 - imported share {m:g}) (component trade, issue 17)"
    if exports:
        note += f"; less component exports {exports:,.1f} t/yr (component trade, issue 17)"
    return cons - exports, note


for r in RIDS:
    if r not in MAG_DEM:
        continue
    dem = MAG_DEM[r]
    src, conf, n = DEM_SRC[r]
    for pid, name, eu, _s, inp in END_USES:
        s = eu_share(r, eu)
        qty, trade = component_consumption(r, pid, dem * s)
        w("[[demand]]")
        w(f'region = "{r}"')
        w(f'product = "{pid}"')
        w(f'end-use = "{eu}"')
        w(f"quantity = {q(qty, src, conf, f'{n}; {dem:,.0f} t/yr x {eu} share {s} (assumption: importers USA/EU/JPN/KOR/GBR/CAN/AUS ev 35%, wind 12%, defence 4%, electronics 5%, other 44%; elsewhere 30/10/2/25/33%; EV cross-checked with ~37,000 t RE for EV motors 2024, I024){trade}', unit='t product/yr')}")
        w(f"growth = {q(0.07, 'metalnomist-magnets', 'low', 'world magnet output 270,000 t 2023 -> 310,000 t 2025e (P086/P087) = ~7%/yr')}")
        el = 0.0 if eu == "defence" else 0.1
        w(f"elasticity = {q(el, A, 'assumption', 'magnets are a small cost share of the end product: short-run demand nearly inelastic')}")
        w()
w("# --- other uses of oxides")
for (b, ox) in sorted(OTHER_DEM, key=lambda k: (RIDS.index(k[0]), (OXIDES + ['sc-oxide']).index(k[1]))):
    v = OTHER_DEM[(b, ox)]
    if v <= 1e-9:
        continue
    src, conf = ("reuters-2024-exports", "low") if b != "CHN" else (A, "assumption")
    w("[[demand]]")
    w(f'region = "{b}"')
    w(f'product = "{ox}"')
    w('end-use = "other"')
    w(f"quantity = {q(v, src, conf, 'derived: separated output not used by the magnet chain, consumed at home or exported in assumed proportions (China: export fraction calibrated to 55,431 t RE exports, E067)', unit='t REO/yr')}")
    w(f"growth = {q(0.03, A, 'assumption', 'non-magnet uses grow slowly')}")
    w(f"elasticity = {q(0.2, A, 'assumption', 'some substitution in catalysts, polishing, phosphors')}")
    w()

# ---------------------------------------------------------------- cohorts
w = W("65-cohorts.toml", "world-2024 dataset: buyer cohorts (issue 17): the firms of a region that make the HRE-magnet\ncomponents, in three groups with their own stocks, orders and licence applications\n(docs/model.md, Buyer cohorts). Cover days apply to every stock a cohort holds (its magnets and\nits components).")
for r in COHORT_REGIONS:
    for name, share, cover, src, conf, note in COHORTS:
        cover, src, conf, note = COHORT_COVER_BY_REGION.get((r, name), (cover, src, conf, note))
        w("[[cohort]]")
        w(f'region = "{r}"')
        w(f'name = "{name}"')
        w("products = [" + ", ".join(f'"{p_}"' for p_ in COHORT_PRODUCTS) + "]")
        w(f"share = {q(share, A, 'assumption', 'split of the region component makers by firm size (no survey found)')}")
        lo, mode, hi = cover
        w(f'cover-days = {{ triangular = [{lo}, {mode}, {hi}], unit = "days", source = "{src}", confidence = "{conf}", note = "{note}" }}')
        if name in COHORT_SOURCES:
            for line in COHORT_SOURCES_NOTE.split("\n"):
                w(f"# {line}")
            w("sources = [" + ", ".join(f'"{x}"' for x in COHORT_SOURCES[name]) + "]")
        w()

# ---------------------------------------------------------------- inventory
w = W("70-inventory.toml", "world-2024 dataset: inventory policies (days of cover of the baseline need; initial = target).\nCalibration: EU suppliers shut lines ~2 months after the April 4 2025 controls (E014), consistent\nwith ~60 days of magnet stock at importers. Nodes not listed use the scenario's default-cover-days.")


def inv(r, p, days, source, conf, note):
    w("[[inventory]]")
    w(f'region = "{r}"')
    w(f'product = "{p}"')
    w(f"initial-days = {q(days, source, conf, note, unit='days')}")
    w(f"target-days = {q(days, source, conf, note, unit='days')}")
    w()


for r in RIDS:
    if r not in MAG_DEM:
        continue
    for m in MAGS:
        if r == "CHN":
            inv(r, m, 30, A, "assumption", "domestic supply close by")
        else:
            inv(r, m, 60, "clepa-2025-06", "low", "importers' magnet stock; E014 shutdowns ~60 days after the controls")
for (r, mt) in sorted(METAL_NEED):
    if METAL_NEED[(r, mt)] <= 0:
        continue
    d = 45 if (r == "CHN" or mt == "ndpr-metal") else 90
    inv(r, mt, d, A, "assumption", "magnet makers' alloy stock; heavy RE held longer outside China (high value, single source)")
for (b, ox) in sorted(OTHER_DEM):
    if b != "CHN" and OTHER_DEM[(b, ox)] > 0:
        inv(b, ox, 60, A, "assumption", "importers' stock of separated oxides for other uses")

# ---------------------------------------------------------------- stockpiles, segments
w = W("80-stockpiles-segments.toml", "world-2024 dataset: strategic stockpiles and price segments.")
w("# Stockpiles: Korea holds >= 6 months of Dy (T010, MOTIE); Korea has no Dy user in this dataset")
w("# (no Korean magnet recipe uses Dy oxide), so it is recorded as dy-oxide held by KOR at 6 months")
w("# of the Korean Dy content of its magnet imports. Other national stockpiles (US NDS, JOGMEC) have")
w("# no tonnages in the facts; add [[stockpile]] in scenarios.")
kor_dy = MAG_DEM["KOR"] * mix_of("KOR")["ndfeb-magnet-hre"] * DY_C / F["Dy"] * 0.5
inv_kor = round(kor_dy, 1)
w("[[stockpile]]")
w('region = "KOR"')
w('product = "dy-oxide"')
w(f"quantity = {q(inv_kor, 'adamas-star-group', 'low', f'T010: >= 6 months of cover; derived: 6 months of the Dy in Korea magnet imports ({kor_dy*2:,.1f} t Dy2O3-eq/yr)', unit='t REO')}")
w()
w("[[segment]]")
w('name = "china"')
w('regions = ["CHN"]')
w()

# ============================================================================ write + balance
os.makedirs(OUTDIR, exist_ok=True)
for name, wr in FILES.items():
    with open(os.path.join(OUTDIR, name), "w") as fh:
        fh.write("\n".join(wr.lines).rstrip() + "\n")

if "--balance" in sys.argv:
    def e(*a):
        print(*a, file=sys.stderr)
    mined = sum(v for (r, p), v in PROD.items() if p in ("light-concentrate", "ion-clay-concentrate"))
    e(f"mine production {mined:,.0f} t REO (CHN {PROD[('CHN','light-concentrate')] + PROD[('CHN','ion-clay-concentrate')]:,.0f})")
    sep_all = sum(v for (r, p), v in PROD.items() if p in OXIDES or p == "sc-oxide")
    sep_chn = sum(v for (r, p), v in PROD.items() if (p in OXIDES or p == "sc-oxide") and r == "CHN")
    mag_re = ("ndpr-oxide", "dy-oxide", "tb-oxide")
    m_all = sum(v for (r, p), v in PROD.items() if p in mag_re)
    m_chn = sum(v for (r, p), v in PROD.items() if p in mag_re and r == "CHN")
    e(f"separation {sep_all:,.0f} t, China {sep_chn / sep_all:.1%}; magnet REE oxides {m_all:,.0f} t, China {m_chn / m_all:.1%}")
    nd = sum(v for (r, p), v in PROD.items() if p in ("ndfeb-magnet-hre", "ndfeb-magnet-lre"))
    nd_c = sum(v for (r, p), v in PROD.items() if p in ("ndfeb-magnet-hre", "ndfeb-magnet-lre") and r == "CHN")
    e(f"NdFeB {nd:,.0f} t, China {nd_c / nd:.1%}; HRE grades {HRE_WORLD:,.0f} t; Dy {DY_C} Tb {TB_C}")
    exp = sum(v for (s, b), v in MAGFLOW.items() if s == "CHN" and b != "CHN")
    e(f"China magnet exports {exp:,.0f} t; La/Ce export fraction {LACE_FRAC:.3f}")
    chn_exp_ox = sum(v for (ox, s, b), v in OXFLOW.items() if s == "CHN" and b != "CHN") + metal_exports
    e(f"China RE exports (oxides+metals) {chn_exp_ox:,.0f} t (E067 55,431)")
    e("magnet demand", {k: round(v) for k, v in MAG_DEM.items()})
    e("non-CN magnet output", {k: round(v) for k, v in MAG_OUT.items() if k[0] != "CHN"})
    for r in SEP:
        e("sep", r, {k: round(v, 1) for k, v in SEP[r].items()})
    e("other demand", {f"{b}:{ox}": round(v) for (b, ox), v in sorted(OTHER_DEM.items()) if v > 1})
    for (r, p), v in sorted(PROD.items()):
        c = CAPS.get((r, p))
        if c is None:
            e(f"  NO FACILITY {r} {p} {v:,.1f}")
        elif v > 0.9 * c + 1e-6:
            e(f"  OVER 90% {r} {p} {v:,.1f} of {c:,.1f}")
    order = ["light-concentrate", "ion-clay-concentrate", "magnet-scrap"] + OXIDES + ["sc-oxide"] + \
        [m[0] for m in METALS] + MAGS + [e[0] for e in END_USES]
    e(f"\n{'product':22} {'baseline t/yr':>14} {'capacity t/yr':>14} {'util':>5} {'China':>6}")
    for p in order:
        out = sum(v for (r, pp), v in PROD.items() if pp == p)
        cap = sum(v for (r, pp), v in CAPS.items() if pp == p)
        chn = PROD.get(("CHN", p), 0.0)
        e(f"{p:22} {out:14,.0f} {cap:14,.0f} {out / cap:5.0%} {chn / out:6.1%}")
