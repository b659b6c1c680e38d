//! Issue 17, buyer cohorts inside a region: one cohort of share 1 reproduces the world without
//! cohorts number for number; on random networks with random cohorts every node keeps its
//! mass balance and a non-negative stock every day; a thin cohort runs short while the same
//! region with its average cover does not; region selectors reach a region's cohorts and a
//! cohort can be named on its own; every problem of a `[[cohort]]` is reported at its place.

use chokepoint_core::build::{event, synthetic};
use chokepoint_core::engine::{Engine, simulate};
use chokepoint_core::event::{EventKind, ExportBan};
use chokepoint_core::model::{Cohort, ProductId, RegionId, Settings, World};
use chokepoint_core::network::Network;
use chokepoint_core::record::{LicenceOutcome, NullSink, Variable, VecSink};
use chokepoint_core::scenario::{
    NoBases, Scenario, SourceText, expand_cohorts, parse_scenario, validate_scenario,
};
use chokepoint_core::summary::{RunSummary, SummaryRow};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// China and Japan make magnets; the United States (last, so its cohorts' nodes keep its
/// nodes' order) makes motors from them for its final demand. From day 10 China licenses
/// magnet exports with long waits.
const BASE: &str = r#"
[scenario]
name = "cohorts"
base = "none"
start = 2025-01-01
days = 200
seed = 5

[[region]]
id = "CHN"
[[region]]
id = "JPN"
groups = ["allies"]
[[region]]
id = "USA"
groups = ["allies"]

[[product]]
id = "magnet"
unit = "t product"
stage = "magnet"
content = { Nd = 0.3 }
price = 80

[[product]]
id = "motor"
unit = "t product"
stage = "component"
content = { Nd = 0.01 }
price = 40

[[recipe]]
output = "motor"
inputs = { magnet = 0.05 }

[[facility]]
region = "CHN"
product = "magnet"
capacity = 100
[[facility]]
region = "JPN"
product = "magnet"
capacity = 2
[[facility]]
region = "USA"
product = "motor"
capacity = 40

[[link]]
from = "CHN"
to = "CHN"
product = "magnet"
share = 1
[[link]]
from = "CHN"
to = "USA"
product = "magnet"
share = 0.8
transit-days = 30
tariff = 0.1
[[link]]
from = "JPN"
to = "USA"
product = "magnet"
share = 0.2
transit-days = 20
[[link]]
from = "USA"
to = "USA"
product = "motor"
share = 1

[[demand]]
region = "CHN"
product = "magnet"
end-use = "other"
quantity = 50
[[demand]]
region = "USA"
product = "motor"
end-use = "ev"
quantity = 30

[[inventory]]
region = "USA"
product = "magnet"
initial-days = 60
target-days = 60

[[event]]
date = 2025-01-11
kind = "export-licence"
exporter = "CHN"
products = ["magnet"]
approval = 0.7
lead-time-days = { uniform = [40, 80] }
"#;

fn parse(text: &str) -> Scenario {
    match parse_scenario(
        SourceText {
            name: "cohorts.toml",
            text,
        },
        &NoBases,
    ) {
        Ok(s) => s,
        Err(d) => panic!("{d}"),
    }
}

/// The diagnostics of a scenario the validator refuses.
fn refused(name: &str, text: &str) -> chokepoint_core::scenario::Diagnostics {
    validate_scenario(SourceText { name, text }, &NoBases).unwrap_err()
}

fn accepted(text: &str) -> chokepoint_core::scenario::Validated {
    validate_scenario(
        SourceText {
            name: "u.toml",
            text,
        },
        &NoBases,
    )
    .unwrap_or_else(|d| panic!("{d}"))
}

fn run(s: &Scenario) -> (VecSink, RunSummary) {
    let mut sink = VecSink::default();
    let summary = simulate(s, s.settings.seed, &mut sink);
    (sink, summary)
}

fn row<'a>(s: &'a Scenario, sum: &'a RunSummary, region: &str, product: &str) -> &'a SummaryRow {
    let (r, p) = (s.world.region(region), s.world.product(product));
    sum.rows
        .iter()
        .find(|x| Some(x.region) == r && Some(x.product) == p)
        .unwrap_or_else(|| panic!("no summary row ({region}, {product})"))
}

#[test]
fn issue_17_one_cohort_of_share_one_equals_no_cohorts() {
    let plain = parse(BASE);
    let with = parse(&format!(
        "{BASE}\n[[source]]\nid = \"test\"\ntitle = \"a test\"\n[[cohort]]\nregion = \"USA\"\nname = \"all\"\nproducts = [\"motor\"]\n\
         share = {{ value = 1, source = \"test\", confidence = \"assumption\" }}\n"
    ));
    let (usa, all) = (
        with.world.region("USA").unwrap(),
        with.world.region("USA/all").unwrap(),
    );
    assert_eq!(with.world.regions[all.ix()].parent, Some(usa));
    // Rename the cohort to its region: then every record and row must be the same, bit for bit.
    let rename = |r: RegionId| if r == all { usa } else { r };
    let (a, sa) = run(&plain);
    let (b, sb) = run(&with);
    assert_eq!(a.records.len(), b.records.len());
    for (x, y) in a.records.iter().zip(&b.records) {
        let y = chokepoint_core::record::Record {
            region: rename(y.region),
            partner: y.partner.map(rename),
            ..*y
        };
        assert_eq!(*x, y);
        assert_eq!(x.value.to_bits(), y.value.to_bits());
    }
    assert_eq!(a.licences.len(), b.licences.len());
    for (x, y) in a.licences.iter().zip(&b.licences) {
        assert_eq!(
            (x.filed, x.decided, x.outcome, x.shipped),
            (y.filed, y.decided, y.outcome, y.shipped)
        );
        assert_eq!(
            (x.importer, x.quantity.to_bits()),
            (rename(y.importer), y.quantity.to_bits())
        );
    }
    // The region's row sums its one cohort; the cohort's row is the region's of the plain run.
    for x in &sa.rows {
        let region = plain.world.regions[x.region.ix()].code.clone();
        let product = &plain.world.products[x.product.ix()].code;
        assert_eq!(x, row(&with, &sb, &region, product));
        if region == "USA" {
            let c = row(&with, &sb, "USA/all", product);
            assert_eq!(
                SummaryRow {
                    region: x.region,
                    ..c.clone()
                },
                *x
            );
        }
    }
    assert!(
        a.licences
            .iter()
            .any(|l| l.outcome == LicenceOutcome::Denied)
    );
}

/// The same world with its United States split into a well-stocked and a thin cohort.
fn two_cohorts(oem_cover: f64, small_cover: f64) -> String {
    format!(
        r#"{BASE}
[[cohort]]
region = "USA"
name = "oem"
products = ["motor"]
share = 0.7
cover-days = {oem_cover}

[[cohort]]
region = "USA"
name = "small"
products = ["motor"]
share = 0.3
cover-days = {small_cover}
"#
    )
}

#[test]
fn issue_17_thin_cohort_runs_short_while_the_average_does_not() {
    // Average cover 0.7·80 + 0.3·10 = 59 days; the plain world holds 60 days for everyone.
    let s = parse(&two_cohorts(80.0, 10.0));
    let (_, sum) = run(&s);
    let small = row(&s, &sum, "USA/small", "motor");
    let oem = row(&s, &sum, "USA/oem", "motor");
    let usa = row(&s, &sum, "USA", "motor");
    assert!(small.first_stockout.is_some(), "{small:?}");
    assert!(small.shortfall > 0.0);
    assert!(
        oem.first_stockout
            .is_none_or(|d| d > small.first_stockout.unwrap()),
        "{oem:?}"
    );
    // The region's row sums its cohorts; its first stockout is its thinnest cohort's.
    assert!((usa.need_total - oem.need_total - small.need_total).abs() < 1e-9 * usa.need_total);
    assert!((usa.shortfall - oem.shortfall - small.shortfall).abs() <= 1e-9 * usa.need_total);
    assert_eq!(usa.first_stockout, small.first_stockout);
    assert!(usa.shortfall / usa.need_total < small.shortfall / small.need_total);
    // The same region as one stock at about the average cover does not run short so early.
    let plain = parse(BASE);
    let (_, psum) = run(&plain);
    let avg = row(&plain, &psum, "USA", "motor");
    assert!(
        avg.first_stockout
            .is_none_or(|d| d > small.first_stockout.unwrap()),
        "{avg:?} vs {small:?}"
    );
    assert!(avg.shortfall < small.shortfall / 0.3 * 0.5);
}

#[test]
fn issue_17_a_region_selector_reaches_its_cohorts_and_a_cohort_can_be_named() {
    let text = two_cohorts(60.0, 60.0).replace(
        "lead-time-days = { uniform = [40, 80] }",
        "lead-time-days = { uniform = [40, 80] }\ndestination.\"USA/small\" = { approval = 0.0 }",
    );
    let s = parse(&text);
    let (sink, _) = run(&s);
    let small = s.world.region("USA/small").unwrap();
    let oem = s.world.region("USA/oem").unwrap();
    let of = |r: RegionId| sink.licences.iter().filter(move |l| l.importer == r);
    assert!(of(small).count() > 0 && of(oem).count() > 0);
    assert!(of(small).all(|l| l.outcome != LicenceOutcome::Approved));
    assert!(of(oem).any(|l| l.outcome == LicenceOutcome::Approved));

    // An override naming the region applies to its cohorts, one naming a cohort before it.
    let text = two_cohorts(60.0, 60.0).replace(
        "lead-time-days = { uniform = [40, 80] }",
        "lead-time-days = { uniform = [40, 80] }\ndestination.USA = { approval = 0.0 }\n\
         destination.\"USA/oem\" = { approval = 1.0 }",
    );
    let s = parse(&text);
    let (sink, _) = run(&s);
    let of = |r: RegionId| sink.licences.iter().filter(move |l| l.importer == r);
    assert!(of(small).all(|l| l.outcome != LicenceOutcome::Approved));
    assert!(of(oem).all(|l| l.outcome != LicenceOutcome::Denied));
    assert!(of(oem).any(|l| l.outcome == LicenceOutcome::Approved));

    // A ban "to USA" stops the links into its cohorts.
    let ban = two_cohorts(60.0, 60.0).replace(
        "kind = \"export-licence\"\nexporter = \"CHN\"\nproducts = [\"magnet\"]\napproval = 0.7\nlead-time-days = { uniform = [40, 80] }",
        "kind = \"export-ban\"\nexporter = \"CHN\"\ndestinations = [\"USA\"]",
    );
    let s = parse(&ban);
    let (sink, _) = run(&s);
    let chn = s.world.region("CHN").unwrap();
    let shipped_after = |r: RegionId| {
        sink.records
            .iter()
            .filter(|x| {
                x.variable == Variable::Shipments
                    && x.region == chn
                    && x.partner == Some(r)
                    && x.day > 10
            })
            .map(|x| x.value)
            .sum::<f64>()
    };
    assert_eq!(shipped_after(s.world.region("USA/oem").unwrap()), 0.0);
    assert_eq!(shipped_after(s.world.region("USA/small").unwrap()), 0.0);
}

#[test]
fn issue_17_cohort_problems_are_all_reported_at_their_place() {
    let text = format!(
        r#"{BASE}
[[cohort]]
region = "USB"
name = "a"
products = ["motor"]
share = 0.5

[[cohort]]
region = "USA"
name = "b"
products = ["motr", "magnet"]
share = 1.5
cover-days = -3

[[cohort]]
region = "USA"
name = "b"
products = ["motor"]
share = 0.2

[[cohort]]
region = "USA"
name = "Big"
products = ["motor"]
share = 0.6

[[cohort]]
region = "USA"
name = "c"
products = ["motor"]
share = 0.7

[[cohort]]
region = "USA"
name = "d"
products = ["motor"]
share = 0.5

[[cohort]]
region = "USA"
name = "rest"
products = ["motor"]
share = 0.1
colour = "red"
"#
    );
    let err = refused("cohorts.toml", &text);
    let shown = err.to_string();
    let expect = [
        "unknown region `USB`",
        "unknown product `motr`",
        "`share` must be",
        "`cover-days` must be",
        "duplicate cohort (USA, b)",
        "cohort name `Big` must be lower-case",
        "cohort name `rest` is reserved",
        "unknown key `colour`",
        "shares of the cohorts of (USA, motor) sum to",
        "USA has neither a facility nor final demand of `magnet`",
    ];
    for e in expect {
        assert!(shown.contains(e), "missing `{e}` in:\n{shown}");
    }
    // Every diagnostic has a place in the scenario file.
    assert!(err.0.iter().all(|d| d.file == "cohorts.toml" && d.line > 1));
}

/// Random cohorts on a random world: for some regions, some of the products they make or
/// demand, with shares that may leave a rest and cover days that may be short.
fn random_cohorts(world: &World, picks: &[(u8, u8, f64, f64, u8)]) -> Vec<Cohort> {
    let mut out: Vec<Cohort> = Vec::new();
    let np = world.products.len();
    for (k, &(r, p, share, cover, source)) in picks.iter().enumerate() {
        let region = RegionId(u32::from(r) % world.regions.len() as u32);
        let product = ProductId(u32::from(p) % np as u32);
        let uses = world
            .facilities
            .iter()
            .any(|f| f.region == region && f.product == product)
            || world
                .demands
                .iter()
                .any(|d| d.region == region && d.product == product);
        let taken: f64 = out
            .iter()
            .filter(|c| c.region == region && c.products.contains(&product))
            .map(|c| c.share)
            .sum();
        if !uses || taken + share > 1.0 {
            continue;
        }
        out.push(Cohort {
            region,
            name: format!("c{k}"),
            products: vec![product],
            share,
            cover_days: (cover > 0.5).then_some(cover * 40.0),
            // Some hold their own products at a shorter cover (just in time).
            products_cover_days: (cover > 0.75).then_some(cover * 4.0),
            // Some cohorts buy from one region only (0: from the region's suppliers).
            sources: match source {
                0 | 1 => Vec::new(),
                k => vec![RegionId(u32::from(k) % world.regions.len() as u32)],
            },
            priority: 0,
        });
    }
    out
}

fn check(world: &World, cohorts: &[Cohort], seed: u64) -> Result<(), TestCaseError> {
    let ex = expand_cohorts(world, cohorts);
    let w = &ex.world;
    // Shares into every (buyer, product) still sum to one; demand and capacity are conserved.
    let mut into: BTreeMap<(u32, u32), f64> = BTreeMap::new();
    for l in &w.links {
        *into.entry((l.to.0, l.product.0)).or_default() += l.share;
    }
    for (k, s) in into {
        prop_assert!((s - 1.0).abs() < 1e-9, "shares into {k:?} sum to {s}");
    }
    for p in 0..world.products.len() as u32 {
        let cap = |w: &World| -> f64 {
            w.facilities
                .iter()
                .filter(|f| f.product.0 == p)
                .map(|f| f.capacity)
                .sum()
        };
        let dem = |w: &World| -> f64 {
            w.demands
                .iter()
                .filter(|d| d.product.0 == p)
                .map(|d| d.quantity)
                .sum()
        };
        prop_assert!((cap(world) - cap(w)).abs() <= 1e-9 * (1.0 + cap(world)));
        prop_assert!((dem(world) - dem(w)).abs() <= 1e-9 * (1.0 + dem(world)));
    }
    let s = Scenario {
        settings: Settings {
            name: "cohorts".into(),
            days: 120,
            seed,
            ..Settings::default()
        },
        world: w.clone(),
        // A ban of the first region's exports from day 20 to day 80 so that stocks run down.
        events: vec![event(
            20,
            Some(80),
            EventKind::ExportBan(ExportBan::everything(RegionId(0))),
        )],
    };
    let mut e = Engine::new(&s, seed, 0);
    while !e.finished() {
        let day = e.state.day;
        e.step(&mut NullSink);
        for (n, nd) in e.state.today.nodes.iter().enumerate() {
            let stock = e.state.stocks.stock[n];
            let throughput = nd.stock_start.abs()
                + nd.arrivals
                + nd.release
                + nd.consumption
                + nd.purchase
                + 1.0;
            let residual =
                stock - nd.stock_start - (nd.arrivals + nd.release - nd.consumption - nd.purchase);
            prop_assert!(
                residual.abs() <= 1e-9 * throughput,
                "day {day} node {n}: {residual}"
            );
            prop_assert!(
                stock >= -1e-9 * throughput,
                "day {day} node {n}: stock {stock}"
            );
        }
        if let Err(msg) = e.audit() {
            return Err(TestCaseError::fail(format!("day {day}: {msg}")));
        }
    }
    let summary = e.finish(&mut NullSink);
    // A region's row sums its own node's and its cohorts' shortfall; a cohort has a row.
    for row in &summary.rows {
        prop_assert!(row.shortfall <= row.need_total * (1.0 + 1e-9) + 1e-9);
        let family: Vec<RegionId> = (0..w.regions.len() as u32)
            .map(RegionId)
            .filter(|&r| r == row.region || w.regions[r.ix()].parent == Some(row.region))
            .collect();
        let sum: f64 = family
            .iter()
            .filter_map(|&r| e.node_totals(r, row.product))
            .map(|t| t.shortfall)
            .sum();
        prop_assert!(
            (row.shortfall - sum).abs() <= 1e-9 * (1.0 + sum),
            "row {row:?}: shortfall {} but its nodes' {sum}",
            row.shortfall
        );
    }
    for (r, region) in w.regions.iter().enumerate() {
        for p in 0..w.products.len() as u32 {
            let (r, p) = (RegionId(r as u32), ProductId(p));
            if region.parent.is_some() && e.node_totals(r, p).is_some() {
                prop_assert!(summary.rows.iter().any(|x| x.region == r && x.product == p));
            }
        }
    }
    Ok(())
}

/// Cohorts with `sources` buy only from them (or from their own output); the region's other
/// buyers take the rest, so that the baseline flows between regions of the dataset, by
/// product, are those of the world without contracts.
fn check_contracts(world: &World, cohorts: &[Cohort]) -> Result<(), TestCaseError> {
    let ex = expand_cohorts(world, cohorts);
    if !ex.source_problems.is_empty() {
        return Ok(());
    }
    let free: Vec<Cohort> = cohorts
        .iter()
        .map(|c| Cohort {
            sources: Vec::new(),
            ..c.clone()
        })
        .collect();
    let (w, plain) = (&ex.world, expand_cohorts(world, &free).world);
    let up = |w: &World, r: RegionId| w.regions[r.ix()].parent.unwrap_or(r);
    let flows = |w: &World| {
        let net = Network::new(w);
        let mut out: BTreeMap<(u32, u32, u32), f64> = BTreeMap::new();
        for (l, link) in w.links.iter().enumerate() {
            let key = (up(w, link.from).0, up(w, link.to).0, link.product.0);
            *out.entry(key).or_default() += net.flow0[l];
        }
        out
    };
    let (a, b) = (flows(&plain), flows(w));
    // A cohort under contract: it has sources and buys from outside them without contracts.
    let sources_of = |r: RegionId| {
        let code = &plain.regions[r.ix()].code;
        cohorts
            .iter()
            .find(|c| format!("{}/{}", world.regions[c.region.ix()].code, c.name) == *code)
            .map_or(&[][..], |c| &c.sources[..])
    };
    for (k, x) in &a {
        let y = b.get(k).copied().unwrap_or_default();
        // Only when every buyer from that region is under contract can the family's
        // purchases from it fall (nobody is left to take them).
        let all_contracted = plain.links.iter().all(|l| {
            (up(&plain, l.from).0, up(&plain, l.to).0, l.product.0) != *k
                || !sources_of(l.to).is_empty()
        });
        prop_assert!(
            (x - y).abs() <= 1e-9 * (1.0 + x) || (all_contracted && y < *x),
            "flow {k:?}: {x} without contracts, {y} with"
        );
    }
    for (c, cohort) in cohorts
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.sources.is_empty())
    {
        let code = format!("{}/{}", world.regions[cohort.region.ix()].code, cohort.name);
        let Some(r) = w.region(&code) else { continue };
        for p in 0..w.products.len() as u32 {
            let into: Vec<_> = w
                .links
                .iter()
                .filter(|l| l.to == r && l.product.0 == p && l.share > 0.0)
                .collect();
            let contracted = |l: &&chokepoint_core::model::Link| {
                l.from == r || cohort.sources.contains(&up(w, l.from))
            };
            if into.iter().any(|l| l.from != r && contracted(l)) {
                prop_assert!(
                    into.iter().all(contracted),
                    "cohort {c} ({code}) buys product {p} outside its sources"
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, rng_seed: proptest::test_runner::RngSeed::Fixed(171), ..ProptestConfig::default() })]

    #[test]
    fn issue_17_cohorts_keep_mass_balance_on_random_networks(
        regions in 2usize..5,
        chains in 1usize..3,
        seed in 0u64..1_000_000,
        picks in proptest::collection::vec((0u8..8, 0u8..16, 0.0f64..0.9, 0.0f64..1.0, 0u8..6), 1..6),
    ) {
        let world = synthetic::world(regions, chains, seed);
        let cohorts = random_cohorts(&world, &picks);
        check(&world, &cohorts, seed)?;
        check_contracts(&world, &cohorts)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, rng_seed: proptest::test_runner::RngSeed::Fixed(172), ..ProptestConfig::default() })]

    #[test]
    fn issue_17_contracts_keep_flows_between_regions(
        regions in 2usize..6,
        chains in 1usize..4,
        seed in 0u64..1_000_000,
        picks in proptest::collection::vec((0u8..8, 0u8..16, 0.0f64..0.6, 0.0f64..1.0, 2u8..8), 1..8),
    ) {
        let world = synthetic::world(regions, chains, seed);
        check_contracts(&world, &random_cohorts(&world, &picks))?;
    }
}

#[test]
fn issue_17_a_scenario_adds_cohorts_on_top_of_its_base_and_replaces_them() {
    // The base is BASE's world as a dataset with one cohort; the scenario replaces its share
    // and adds a second.
    let world_part = &BASE[BASE.find("[[region]]").unwrap()..BASE.find("[[event]]").unwrap()];
    let dataset = format!(
        "{world_part}\n[[cohort]]\nregion = \"USA\"\nname = \"oem\"\nproducts = [\"motor\"]\nshare = 0.9\n"
    );
    let scenario = "[scenario]\nname = \"on base\"\nbase = \"builtin:test\"\nstart = 2025-01-01\n\
        days = 30\n\n[[cohort]]\nregion = \"USA\"\nname = \"oem\"\nproducts = [\"motor\"]\n\
        share = 0.6\n\n[[cohort]]\nregion = \"USA\"\nname = \"small\"\nproducts = [\"motor\"]\n\
        share = 0.1\ncover-days = 5\n";
    let bases = [("builtin:test", "test.toml", dataset.as_str())];
    let s = parse_scenario(
        SourceText {
            name: "on-base.toml",
            text: scenario,
        },
        &chokepoint_core::scenario::FixedBases(&bases),
    )
    .unwrap_or_else(|d| panic!("{d}"));
    let w = &s.world;
    let codes: Vec<&str> = w.regions.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(
        codes,
        ["CHN", "JPN", "USA", "USA/oem", "USA/small", "USA/rest"]
    );
    let motor = w.product("motor").unwrap();
    let demand = |code: &str| {
        let r = w.region(code).unwrap();
        w.demands
            .iter()
            .filter(|d| d.region == r && d.product == motor)
            .map(|d| d.quantity)
            .sum::<f64>()
    };
    assert_eq!(demand("USA/oem"), 30.0 * 0.6);
    assert_eq!(demand("USA/small"), 30.0 * 0.1);
    assert!((demand("USA/rest") - 30.0 * 0.3).abs() < 1e-12);
    assert_eq!(demand("USA"), 0.0);
    // The small cohort's stocks hold its own cover; the others copy the region's policy.
    let magnet = w.product("magnet").unwrap();
    let policy = |code: &str| {
        let r = w.region(code).unwrap();
        w.inventories
            .iter()
            .find(|i| i.region == r && i.product == magnet)
            .map(|i| i.initial_days)
    };
    assert_eq!(policy("USA/small"), Some(5.0));
    assert_eq!(policy("USA/oem"), Some(60.0));
    assert_eq!(policy("USA"), None);
}

#[test]
fn issue_17_uncertain_numbers_that_cohorts_split_are_refused() {
    let uncertain = BASE.replace(
        "product = \"motor\"\ncapacity = 40",
        "product = \"motor\"\ncapacity = { uniform = [35, 45] }",
    );
    assert_ne!(uncertain, BASE);
    let cohort = |share: f64| {
        format!(
            "{uncertain}\n[[cohort]]\nregion = \"USA\"\nname = \"oem\"\nproducts = [\"motor\"]\n\
             share = {share}\n"
        )
    };
    let split = cohort(0.5);
    let err = refused("u.toml", &split).to_string();
    assert!(
        err.contains("facility USA motor capacity cannot be uncertain: cohorts split it"),
        "{err}"
    );
    // One cohort taking the whole: the distribution now sets the cohort's facility.
    let whole = cohort(1.0);
    let v = validate_scenario(
        SourceText {
            name: "u.toml",
            text: &whole,
        },
        &NoBases,
    )
    .unwrap_or_else(|d| panic!("{d}"));
    let oem = v.scenario.world.region("USA/oem").unwrap();
    let target = &v.uncertainty.params[0].target;
    let chokepoint_core::uncertain::Target::FacilityCapacity(i) = target else {
        panic!("{target:?}");
    };
    assert_eq!(v.scenario.world.facilities[*i].region, oem);
}

#[test]
fn issue_17_a_capacity_change_of_a_region_moves_its_cohorts_facilities_by_share() {
    let text = two_cohorts(60.0, 60.0).replace(
        "[[event]]\ndate = 2025-01-11",
        "[[event]]\ndate = 2025-01-06\nkind = \"capacity\"\nregion = \"USA\"\nproduct = \"motor\"\n\
         factor = 0.5\n\n[[event]]\ndate = 2025-01-11",
    );
    let s = parse(&text);
    let (sink, _) = run(&s);
    let motor = s.world.product("motor").unwrap();
    let made = |code: &str, day| {
        let r = s.world.region(code).unwrap();
        series_at(&sink, Variable::Production, r, motor, day)
    };
    // Half of 40 a day: 14 for the cohort of share 0.7, 6 for the other, both short of demand.
    assert!(
        (made("USA/oem", 20) - 14.0).abs() < 1e-9,
        "{}",
        made("USA/oem", 20)
    );
    assert!(
        (made("USA/small", 20) - 6.0).abs() < 1e-9,
        "{}",
        made("USA/small", 20)
    );
    assert!((made("USA/oem", 2) - 21.0).abs() < 1e-9);
}

fn series_at(sink: &VecSink, v: Variable, r: RegionId, p: ProductId, day: u32) -> f64 {
    sink.records
        .iter()
        .find(|x| x.variable == v && x.region == r && x.product == p && x.day == day)
        .map(|x| x.value)
        .unwrap_or(f64::NAN)
}

#[test]
fn issue_17_an_offtake_names_the_cohort_that_holds_the_trade() {
    let text = format!(
        "{}\n[[event]]\ndate = 2025-01-02\nkind = \"offtake\"\nbuyer = \"USA\"\nsupplier = \"CHN\"\n\
         product = \"magnet\"\nrate = 1\n",
        two_cohorts(60.0, 60.0)
    );
    let err = refused("offtake.toml", &text).to_string();
    assert!(
        err.contains("no link CHN->USA for `magnet`: buyer cohorts hold this trade")
            && err.contains("name a cohort as `buyer`: `USA/oem`, `USA/small`"),
        "{err}"
    );
    let named = text.replace("buyer = \"USA\"", "buyer = \"USA/small\"");
    parse(&named);
}

#[test]
fn issue_17_a_regions_export_control_covers_its_cohorts_exports() {
    // Japan buys motors from the United States; the United States bans that trade on day 10.
    let text = two_cohorts(60.0, 60.0)
        + "\n[[demand]]\nregion = \"JPN\"\nproduct = \"motor\"\nend-use = \"ev\"\nquantity = 5\n\
           \n[[link]]\nfrom = \"USA\"\nto = \"JPN\"\nproduct = \"motor\"\nshare = 1\n\
           transit-days = 10\n\n[[event]]\ndate = 2025-01-11\nkind = \"export-ban\"\n\
           exporter = \"USA\"\ndestinations = [\"JPN\"]\n";
    let s = parse(&text);
    let (sink, _) = run(&s);
    let (jpn, motor) = (
        s.world.region("JPN").unwrap(),
        s.world.product("motor").unwrap(),
    );
    let shipped = |code: &str, after: bool| {
        let r = s.world.region(code).unwrap();
        sink.records
            .iter()
            .filter(|x| {
                x.variable == Variable::Shipments
                    && x.region == r
                    && x.partner == Some(jpn)
                    && x.product == motor
                    && (x.day > 10) == after
            })
            .map(|x| x.value)
            .sum::<f64>()
    };
    for code in ["USA/oem", "USA/small"] {
        assert!(shipped(code, false) > 0.0, "{code} ships before the ban");
        assert_eq!(shipped(code, true), 0.0, "{code} ships after the ban");
    }
}

/// A cohort's cover days may be a distribution: one parameter that sets the initial and target
/// cover of every stock the cohort holds on a path, the mode on a single run; a share may not.
#[test]
fn issue_17_cohort_cover_days_may_be_uncertain() {
    let text = two_cohorts(80.0, 10.0).replace(
        "share = 0.3\ncover-days = 10",
        "share = 0.3\ncover-days = { triangular = [5, 10, 30] }",
    );
    assert!(text.contains("triangular"));
    let v = accepted(&text);
    let small = v.scenario.world.region("USA/small").unwrap();
    assert_eq!(v.uncertainty.params.len(), 1);
    let p = &v.uncertainty.params[0];
    assert_eq!(p.label, "cohort USA/small cover-days");
    assert_eq!(
        p.target,
        chokepoint_core::uncertain::Target::CohortCover(
            small.ix(),
            chokepoint_core::uncertain::CohortStocks::All
        )
    );
    // Central value: the mode, as a plain 10 would give.
    let held: Vec<_> = v
        .scenario
        .world
        .inventories
        .iter()
        .filter(|i| i.region == small)
        .collect();
    assert!(!held.is_empty());
    assert!(
        held.iter()
            .all(|i| i.initial_days == 10.0 && i.target_days == 10.0)
    );
    // A draw sets every stock of that cohort and no other.
    let mut world = v.scenario.world.clone();
    let mut events = v.uncertainty.events.clone();
    let mut settings = v.scenario.settings.clone();
    v.uncertainty
        .apply_to(&mut world, &mut events, &mut settings, &[25.0]);
    for (before, after) in v.scenario.world.inventories.iter().zip(&world.inventories) {
        if before.region == small {
            assert_eq!((after.initial_days, after.target_days), (25.0, 25.0));
        } else {
            assert_eq!(before, after);
        }
    }
    // The share stays plain.
    let bad = text.replace("share = 0.3", "share = { uniform = [0.2, 0.4] }");
    let err = refused("u.toml", &bad).to_string();
    assert!(
        err.contains("a cohort's share cannot be uncertain"),
        "{err}"
    );
}

/// `products-cover-days` sets a cohort's stocks of its listed products (finished components,
/// held just in time) apart from its inputs' `cover-days`; both may be uncertain, each draw
/// setting its own stocks only; a negative one is refused. With the components held for a few
/// days instead of as long as the magnets, the thin cohort runs short sooner.
#[test]
fn issue_17_products_cover_days_sets_the_listed_products_apart() {
    let text = two_cohorts(80.0, 10.0).replace(
        "share = 0.3\ncover-days = 10",
        "share = 0.3\ncover-days = 10\nproducts-cover-days = { triangular = [1, 3, 7] }",
    );
    assert!(text.contains("products-cover-days"));
    let v = accepted(&text);
    let w = &v.scenario.world;
    let (small, motor, magnet) = (
        w.region("USA/small").unwrap(),
        w.product("motor").unwrap(),
        w.product("magnet").unwrap(),
    );
    let days = |w: &chokepoint_core::model::World, p| {
        let held: Vec<_> = w
            .inventories
            .iter()
            .filter(|i| i.region == small && i.product == p)
            .map(|i| (i.initial_days, i.target_days))
            .collect();
        assert_eq!(held.len(), 1, "one policy per stock");
        held[0]
    };
    assert_eq!(days(w, motor), (3.0, 3.0), "the mode on a single run");
    assert_eq!(days(w, magnet), (10.0, 10.0));
    use chokepoint_core::uncertain::{CohortStocks, Target};
    let targets: Vec<_> = v
        .uncertainty
        .params
        .iter()
        .map(|p| (p.label.as_str(), p.target.clone()))
        .collect();
    assert_eq!(
        targets,
        [(
            "cohort USA/small products-cover-days",
            Target::CohortCover(small.ix(), CohortStocks::Of(vec![motor]))
        )]
    );
    let mut world = w.clone();
    let (mut events, mut settings) = (v.uncertainty.events.clone(), v.scenario.settings.clone());
    v.uncertainty
        .apply_to(&mut world, &mut events, &mut settings, &[6.0]);
    assert_eq!(days(&world, motor), (6.0, 6.0));
    assert_eq!(days(&world, magnet), (10.0, 10.0));
    for (before, after) in w.inventories.iter().zip(&world.inventories) {
        if !(before.region == small && before.product == motor) {
            assert_eq!(before, after);
        }
    }
    // An uncertain cover-days beside it sets the other stocks only.
    let both = text.replace(
        "cover-days = 10\nproducts",
        "cover-days = { uniform = [8, 12] }\nproducts",
    );
    let v2 = validate_scenario(
        SourceText {
            name: "u.toml",
            text: &both,
        },
        &NoBases,
    )
    .unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(
        v2.uncertainty.params[0].target,
        Target::CohortCover(small.ix(), CohortStocks::Except(vec![motor]))
    );
    let mut world = v2.scenario.world.clone();
    v2.uncertainty
        .apply_to(&mut world, &mut events, &mut settings, &[11.0, 2.0]);
    assert_eq!(days(&world, motor), (2.0, 2.0));
    assert_eq!(days(&world, magnet), (11.0, 11.0));
    // Thin finished stocks: the small cohort's motors run short sooner.
    let (_, slow) = run(&parse(&two_cohorts(80.0, 10.0)));
    let (_, fast) = run(&v.scenario);
    let first = |s: &Scenario, sum: &RunSummary| row(s, sum, "USA/small", "motor").first_stockout;
    let (a, b) = (
        first(&parse(&two_cohorts(80.0, 10.0)), &slow),
        first(&v.scenario, &fast),
    );
    assert!(b.unwrap() < a.unwrap(), "{b:?} not before {a:?}");
    let bad = text.replace("{ triangular = [1, 3, 7] }", "-2");
    let err = refused("u.toml", &bad).to_string();
    assert!(err.contains("products-cover-days"), "{err}");
}

/// BASE's United States with a 70% cohort buying from anyone and a 30% cohort whose firms
/// buy magnets from China only (`sources`), both with `cover` days.
fn contracted(small_sources: &str, small_share: f64, cover: f64) -> String {
    format!(
        r#"{BASE}
[[cohort]]
region = "USA"
name = "oem"
products = ["motor"]
share = {oem}
cover-days = {cover}

[[cohort]]
region = "USA"
name = "small"
products = ["motor"]
share = {small_share}
cover-days = {cover}
{small_sources}
"#,
        oem = 1.0 - small_share
    )
}

fn link_share(s: &Scenario, from: &str, to: &str, product: &str) -> f64 {
    let (f, t, p) = (
        s.world.region(from).unwrap(),
        s.world.region(to).unwrap(),
        s.world.product(product).unwrap(),
    );
    s.world
        .links
        .iter()
        .find(|l| l.from == f && l.to == t && l.product == p)
        .map_or(0.0, |l| l.share)
}

#[test]
fn issue_17_a_cohort_buys_from_its_sources_and_the_others_take_the_rest() {
    let s = parse(&contracted("sources = [\"CHN\"]", 0.3, 10.0));
    // USA imports magnets 80% from China, 20% from Japan. The small firms take all of theirs
    // from China; the others take what the region imported and they no longer do:
    // China (0.8 − 0.3) / 0.7, Japan 0.2 / 0.7. Japan stays a zero-share candidate.
    let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
    assert!(close(link_share(&s, "CHN", "USA/small", "magnet"), 1.0));
    assert_eq!(link_share(&s, "JPN", "USA/small", "magnet"), 0.0);
    assert!(s.world.links.iter().any(
        |l| Some(l.from) == s.world.region("JPN") && Some(l.to) == s.world.region("USA/small")
    ));
    assert!(close(link_share(&s, "CHN", "USA/oem", "magnet"), 0.5 / 0.7));
    assert!(close(link_share(&s, "JPN", "USA/oem", "magnet"), 0.2 / 0.7));
    // Once China licenses its exports, the firms that buy only from China run short first,
    // and earlier than the same firms buying as their region does.
    let (_, sum) = run(&s);
    let small = row(&s, &sum, "USA/small", "motor").clone();
    let oem = row(&s, &sum, "USA/oem", "motor").clone();
    let free = parse(&contracted("", 0.3, 10.0));
    let (_, fsum) = run(&free);
    let small_free = row(&free, &fsum, "USA/small", "motor").clone();
    let first = small
        .first_stockout
        .expect("the China-sourced firms run short");
    assert!(
        oem.first_stockout.is_none_or(|d| d > first),
        "{oem:?} vs {small:?}"
    );
    assert!(
        small_free.first_stockout.is_none_or(|d| d > first),
        "{small_free:?} vs {small:?}"
    );
    assert!(small.shortfall > small_free.shortfall);
}

#[test]
fn issue_17_cohort_sources_problems_are_reported_at_their_place() {
    // 90% of the region's firms cannot all buy from China when the region imports 80% there.
    let text = contracted("sources = [\"CHN\"]", 0.9, 30.0);
    let err = refused("cohorts.toml", &text);
    let shown = err.to_string();
    assert!(
        shown.contains("the cohorts of USA with `sources` would import 1.125x what USA imports of `magnet` from CHN"),
        "{shown}"
    );
    let line = text.lines().position(|l| l.starts_with("sources")).unwrap() + 1;
    assert!(err.0.iter().any(|d| d.line == line), "{err:?}");
    // Unknown, repeated and empty sources, each at its place.
    for (sources, expect) in [
        ("sources = [\"CHA\"]", "unknown region `CHA`"),
        (
            "sources = [\"CHN\", \"CHN\"]",
            "region `CHN` is listed twice",
        ),
        ("sources = []", "`sources` of a cohort must not be empty"),
        ("sources = \"CHN\"", "`sources` must be an array of strings"),
    ] {
        let text = contracted(sources, 0.3, 30.0);
        let err = refused("cohorts.toml", &text);
        assert!(err.to_string().contains(expect), "{sources}: {err}");
        assert!(err.0.iter().all(|d| d.line == line), "{sources}: {err:?}");
    }
}

/// BASE's United States as two equal cohorts, `oem` with allocation priority `priority`, both
/// with 10 days of cover, while China's magnet output falls to a fifth from day 20 (no
/// licensing: suppliers short of output, not of licences).
fn prioritised(priority: u32) -> String {
    let base = BASE.split("[[event]]").next().unwrap();
    format!(
        r#"{base}
[[cohort]]
region = "USA"
name = "oem"
products = ["motor"]
share = 0.5
cover-days = 10
priority = {priority}

[[cohort]]
region = "USA"
name = "small"
products = ["motor"]
share = 0.5
cover-days = 10

[[event]]
date = 2025-01-21
kind = "capacity"
region = "CHN"
product = "magnet"
factor = 0.2
"#
    )
}

#[test]
fn issue_17_a_supplier_short_of_output_serves_cohorts_of_higher_priority_first() {
    let short = |s: &Scenario, sum: &RunSummary, c: &str| row(s, sum, c, "magnet").shortfall;
    // Without priority the two equal cohorts share the shortage equally.
    let even = parse(&prioritised(0));
    let (_, sum) = run(&even);
    let (oem, small) = (
        short(&even, &sum, "USA/oem"),
        short(&even, &sum, "USA/small"),
    );
    assert!(small > 0.0);
    assert!((oem - small).abs() <= 1e-9 * small, "{oem} vs {small}");
    // With priority the large firms are served first: they run short less, the small firms
    // more, and the region's shortfall is the same tonnage shared differently.
    let first = parse(&prioritised(1));
    let (_, fsum) = run(&first);
    let (foem, fsmall) = (
        short(&first, &fsum, "USA/oem"),
        short(&first, &fsum, "USA/small"),
    );
    assert!(foem < 0.5 * oem, "{foem} vs {oem}");
    assert!(fsmall > small, "{fsmall} vs {small}");
    assert_eq!(
        first.world.regions[first.world.region("USA/oem").unwrap().ix()].priority,
        1
    );
    // A bad priority is reported at its place.
    for (bad, expect) in [
        (
            "1.5",
            "`priority` must be a whole number from 0 to 255, found 1.5",
        ),
        (
            "256",
            "`priority` must be a whole number from 0 to 255, found 256",
        ),
        (
            "{ uniform = [0, 2] }",
            "a cohort's `priority` cannot be uncertain",
        ),
    ] {
        let text = prioritised(0).replace("priority = 0", &format!("priority = {bad}"));
        let err = refused("cohorts.toml", &text);
        assert!(err.to_string().contains(expect), "{bad}: {err}");
    }
}

/// `two_cohorts(80, 10)` with a strategic stockpile of `quantity` t of magnets held by the thin
/// cohort and released from the first day while its cover is under 5 days.
fn small_cohort_stockpile(quantity: f64) -> String {
    format!(
        r#"{}
[[stockpile]]
region = "USA/small"
product = "magnet"
quantity = {quantity}

[[event]]
date = 2025-01-01
kind = "stockpile-release"
region = "USA/small"
product = "magnet"
rate = {{ value = 1, unit = "t product/day" }}
trigger-days-of-cover = 5
"#,
        two_cohorts(80.0, 10.0)
    )
}

#[test]
fn issue_18_a_buyer_cohort_holds_a_strategic_stockpile() {
    // Issue 18: `chokepoint stockpile` sizes volumes at cohort nodes; a scenario must be able to
    // hold them there from the first day (the thin cohort's magnets: 0.3 · 30 · 0.05 = 0.45 t a
    // day, so 100 t outlasts the 200-day run).
    let without = parse(&small_cohort_stockpile(0.0));
    let with = parse(&small_cohort_stockpile(100.0));
    let small = with.world.region("USA/small").unwrap();
    let held = with.world.stockpiles.last().unwrap();
    assert_eq!((held.region, held.quantity), (small, 100.0));
    assert_eq!(held.product, with.world.product("magnet").unwrap());
    let (_, bare) = run(&without);
    let (sink, stocked) = run(&with);
    let (b, s) = (
        row(&without, &bare, "USA/small", "motor"),
        row(&with, &stocked, "USA/small", "motor"),
    );
    assert!(b.first_stockout.is_some() && b.shortfall > 0.0, "{b:?}");
    assert!(
        s.shortfall < 0.05 * b.shortfall,
        "with the stockpile {} t short, without {} t",
        s.shortfall,
        b.shortfall
    );
    // The cohort drew on it: its strategic stock fell below what it held on day 0.
    let magnet = with.world.product("magnet").unwrap();
    let last = with.settings.days - 1;
    let left = series_at(&sink, Variable::Stockpile, small, magnet, last);
    assert!(left < 100.0 && left > 0.0, "{left}");
    // The other cohort holds none (no stockpile record, or 0).
    let oem = with.world.region("USA/oem").unwrap();
    let other = series_at(&sink, Variable::Stockpile, oem, magnet, 0);
    assert!(other.is_nan() || other == 0.0, "{other}");
}

#[test]
fn issue_18_cohort_stockpile_problems_are_reported_at_their_place() {
    let text = format!(
        r#"{}
[[product]]
id = "oxide"
unit = "t REO"
stage = "separation"
content = {{ Nd = 0.8 }}
price = 60

[[stockpile]]
region = "USA/nope"
product = "magnet"
quantity = 1

[[stockpile]]
region = "USA/oem"
product = "oxide"
quantity = 1

[[stockpile]]
region = "USA/small"
product = "magnet"
quantity = -1
"#,
        two_cohorts(80.0, 10.0)
    );
    let err = refused("cohorts.toml", &text);
    let shown = err.to_string();
    for e in [
        "unknown region `USA/nope`",
        "cohort `USA/oem` holds no stock of `oxide`: nothing would draw on this stockpile",
        "hint: `USA/oem` holds magnet, motor",
        "`quantity` must be",
    ] {
        assert!(shown.contains(e), "missing `{e}` in:\n{shown}");
    }
    assert!(err.0.iter().all(|d| d.file == "cohorts.toml" && d.line > 1));
}
