//! Issue 18: strategies compared on common random numbers (`chokepoint_core::strategy`): a
//! stockpile whose answer is known in closed form, the reference equal to a plain Monte Carlo
//! run of the same seed, and the same table on any thread count.

use chokepoint_core::build::{WorldBuilder, event};
use chokepoint_core::costs::Costs;
use chokepoint_core::event::{
    EventKind, ExportBan, Exports, ProductSelector, RegionSelector, StockpileRelease,
};
use chokepoint_core::model::{ProductId, RegionId, Stage, Stockpile};
use chokepoint_core::montecarlo::{MetricKind, SeriesSet, is_end_use, run};
use chokepoint_core::scenario::Scenario;
use chokepoint_core::strategy::{
    Comparison, Focus, Measure, Strategy, StrategyError, compare_strategies,
};
use chokepoint_core::uncertain::Uncertainty;
use proptest::prelude::*;

mod support;
use support::parse;

const D: f64 = 2.0; // units/day of final demand
const TRANSIT: u32 = 5;
const COVER: f64 = 10.0;
const BAN_DAY: u32 = 20;
const HORIZON: u32 = 200;
const PRICE: f64 = 50.0; // USD/kg of the end-use product

/// One supplier and one buyer of one end-use product (a component with final demand), cut for
/// `k` days from day 20: without a stockpile the buyer runs short D · (K − C) units (the closed
/// form of tests/issue18_sizing.rs). With `volume` > 0 the buyer holds that stockpile and
/// releases up to D a day while its cover is below one day.
fn cut(k: u32, volume: f64) -> (Scenario, RegionId, ProductId) {
    let mut b = WorldBuilder::new(COVER);
    let s = b.region("CHN", &[]);
    let m = b.product("ev-motor", Stage::Component, &[]);
    b.facility(s, m, 100.0);
    let usa = b.region("USA", &[]);
    b.link(s, usa, m, 1.0, TRANSIT);
    b.demand(usa, m, "ev", D);
    let ban = event(
        BAN_DAY,
        Some(BAN_DAY + k),
        EventKind::ExportBan(ExportBan {
            exports: Exports {
                exporter: s,
                products: ProductSelector::Ids(vec![m]),
                destinations: RegionSelector::All,
            },
            reexport: None,
        }),
    );
    let mut events = vec![ban];
    if volume > 0.0 {
        events.push(event(
            0,
            None,
            EventKind::StockpileRelease(StockpileRelease {
                region: usa,
                product: m,
                rate: D,
                trigger_days: Some(1.0),
                trigger_price: None,
            }),
        ));
    }
    let mut scenario = b.scenario(HORIZON, events);
    scenario.world.products[m.ix()].price = PRICE;
    if volume > 0.0 {
        scenario.world.stockpiles.push(Stockpile {
            region: usa,
            product: m,
            quantity: volume,
        });
    }
    (scenario, usa, m)
}

fn row(c: &Comparison, strategy: usize, measure: Measure) -> &chokepoint_core::strategy::Row {
    c.rows
        .iter()
        .find(|r| r.focus == 0 && r.strategy == strategy && r.measure == measure)
        .expect("row")
}

#[test]
fn issue_18_a_stockpile_that_covers_the_cut_avoids_its_volume_at_its_price() {
    let k = 40;
    let volume = D * (f64::from(k) - COVER);
    let (none, _, _) = cut(k, 0.0);
    let (stock, _, _) = cut(k, volume);
    let (unc, costs) = (Uncertainty::default(), Costs::default());
    let strategies = [
        Strategy {
            name: "none",
            scenario: &none,
            uncertainty: &unc,
            costs: &costs,
        },
        Strategy {
            name: "stockpile",
            scenario: &stock,
            uncertainty: &unc,
            costs: &costs,
        },
    ];
    let c = compare_strategies(&strategies, &[Focus::world()], 1, &[0, 1], 1).unwrap();
    assert_eq!(c.end_uses, ["ev"]);
    let short0 = row(&c, 0, Measure::Shortfall(None));
    assert!((short0.mean - volume).abs() < 1e-9, "{short0:?}");
    assert_eq!(row(&c, 0, Measure::Stoppage).mean, 1.0);
    // The stockpile serves every unit the cut would have left unserved.
    let short1 = row(&c, 1, Measure::Shortfall(Some(0)));
    assert!(short1.mean.abs() < 1e-9, "{short1:?}");
    let d = short1.diff.unwrap();
    assert!((d.mean + volume).abs() < 1e-9 && d.p5 == d.p95, "{d:?}");
    assert_eq!(row(&c, 1, Measure::Stoppage).mean, 0.0);
    // Its cost is its value at the price: USD per unit avoided = 1000 · price.
    let spent = row(&c, 1, Measure::SpendingTotal);
    assert!(
        (spent.mean - volume * PRICE * 1000.0).abs() < 1e-6,
        "{spent:?}"
    );
    let per = row(&c, 1, Measure::UsdPerUnitAvoided).mean;
    assert!((per - PRICE * 1000.0).abs() < 1e-6, "{per}");
    assert!(row(&c, 0, Measure::UsdPerUnitAvoided).mean.is_nan());
}

const END_USE: &str = include_str!("../../chokepoint-cli/tests/fixtures/end-use-mc.toml");

/// END_USE with a US stockpile of EV motors released as the motors run short.
fn end_use_with_stockpile() -> String {
    format!(
        "{END_USE}\n[[stockpile]]\nregion = \"USA\"\nproduct = \"ev-motor\"\nquantity = 20000\n\n\
         [[event]]\ndate = 2025-01-01\nkind = \"stockpile-release\"\nregion = \"USA\"\n\
         product = \"ev-motor\"\nrate = 6000\ntrigger-days-of-cover = 2\n"
    )
}

fn end_use_comparison(paths: &[u64], threads: usize) -> Comparison {
    let (s0, u0) = parse(END_USE);
    let (s1, u1) = parse(&end_use_with_stockpile());
    let costs = Costs::default();
    let strategies = [
        Strategy {
            name: "none",
            scenario: &s0,
            uncertainty: &u0,
            costs: &costs,
        },
        Strategy {
            name: "stockpile",
            scenario: &s1,
            uncertainty: &u1,
            costs: &costs,
        },
    ];
    let foci = [
        Focus::world(),
        Focus {
            label: "USA".into(),
            regions: vec!["USA".into()],
        },
    ];
    compare_strategies(&strategies, &foci, 9, paths, threads).unwrap()
}

#[test]
fn issue_18_no_action_is_a_plain_monte_carlo_run_of_the_same_seed() {
    let paths: Vec<u64> = (0..24).collect();
    let c = end_use_comparison(&paths, 2);
    let (s, u) = parse(END_USE);
    let set = SeriesSet::new(&s, &u);
    let mc = run(&s, &u, &set, 9, &paths, 2, &|_| {});
    // Per path: the reference's end-use shortfall is the Monte Carlo run's, path by path (the
    // same draws of demand, approvals and lead times), and it differs between paths.
    let end_use_columns: Vec<usize> = set
        .metrics
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            m.kind == MetricKind::Shortfall
                && m.node.is_some_and(|(r, p)| is_end_use(&s.world, r, p))
        })
        .map(|(i, _)| i)
        .collect();
    assert_eq!(end_use_columns.len(), 3);
    let mut distinct = Vec::new();
    for (k, mc_row) in mc.rows.iter().enumerate() {
        assert_eq!(mc_row.path, paths[k]);
        let want: f64 = end_use_columns.iter().map(|&i| mc_row.values[i]).sum();
        let got = c.outcomes[0][k][0].shortfall_total();
        assert!(
            (got - want).abs() <= 1e-9 * want.max(1.0),
            "path {k}: {got} vs {want}"
        );
        distinct.push(want.to_bits());
    }
    distinct.sort();
    distinct.dedup();
    assert!(
        distinct.len() > 1,
        "every path alike: the test could not tell paths apart"
    );
    // The probability of a stoppage is stoppages.csv's by the horizon (all regions: any row).
    let stopped = |focus: usize| c.outcomes[0].iter().filter(|p| p[focus].stopped).count() as u64;
    let usa_row = set
        .stoppage_rows
        .iter()
        .position(|r| s.world.regions[r.region.ix()].code == "USA" && r.product.is_none())
        .unwrap();
    assert_eq!(stopped(1), mc.stopped_by(usa_row, set.days - 1));
    assert!(stopped(1) > 0 && stopped(1) < paths.len() as u64);
    // The stockpile strategy ran the same paths: it avoids shortfall on the paths that had it.
    let d = row(&c, 1, Measure::Shortfall(None)).diff.unwrap();
    assert!(d.mean < 0.0 && d.p95 <= 1e-9, "{d:?}");
}

#[test]
fn issue_18_strategy_table_is_the_same_on_1_2_and_5_threads() {
    let paths: Vec<u64> = (0..16).collect();
    let one = format!("{:?}", end_use_comparison(&paths, 1));
    for t in [2, 5] {
        assert!(
            one == format!("{:?}", end_use_comparison(&paths, t)),
            "{t} threads"
        );
    }
}

#[test]
fn issue_18_strategies_of_different_horizons_or_unknown_regions_are_refused_at_once() {
    let (a, _, _) = cut(10, 0.0);
    let (mut b, _, _) = cut(10, 0.0);
    b.settings.days -= 1;
    let (unc, costs) = (Uncertainty::default(), Costs::default());
    let s = |name, scenario| Strategy {
        name,
        scenario,
        uncertainty: &unc,
        costs: &costs,
    };
    let focus = Focus {
        label: "KOR".into(),
        regions: vec!["KOR".into()],
    };
    let err = compare_strategies(&[s("a", &a), s("b", &b)], &[focus], 1, &[], 1).unwrap_err();
    assert_eq!(err.len(), 4, "{err:?}");
    assert_eq!(err[0], StrategyError::NoPaths);
    assert!(matches!(err[2], StrategyError::Horizon { .. }), "{err:?}");
    assert!(
        err[1]
            .to_string()
            .contains("region `KOR` of focus `KOR` is not a region of strategy `a`")
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, rng_seed: proptest::test_runner::RngSeed::Fixed(18), ..ProptestConfig::default() })]

    /// Whatever the cut and the stockpile, a stockpile avoids no more shortfall than its
    /// volume and never adds any; the mean of the per-path differences is the difference of
    /// the means; a path stops when, and only when, it has a shortfall.
    #[test]
    fn issue_18_a_stockpile_avoids_at_most_its_volume(k in 0u32..80, volume in 0.0f64..150.0) {
        let (none, _, _) = cut(k, 0.0);
        let (stock, _, _) = cut(k, volume);
        let (unc, costs) = (Uncertainty::default(), Costs::default());
        let st = |name, scenario| Strategy { name, scenario, uncertainty: &unc, costs: &costs };
        let c = compare_strategies(&[st("none", &none), st("stock", &stock)], &[Focus::world()], 1, &[0], 1).unwrap();
        let (o0, o1) = (&c.outcomes[0][0][0], &c.outcomes[1][0][0]);
        let avoided = o0.shortfall_total() - o1.shortfall_total();
        prop_assert!(avoided >= -1e-9 && avoided <= volume + 1e-9, "avoided {avoided} of {volume}");
        let r0 = row(&c, 0, Measure::Shortfall(None));
        let r1 = row(&c, 1, Measure::Shortfall(None));
        prop_assert!((r1.diff.unwrap().mean - (r1.mean - r0.mean)).abs() < 1e-9);
        for o in [o0, o1] {
            prop_assert!(!o.stopped || o.shortfall_total() > 0.0);
            prop_assert!(o.stopped || o.shortfall_total() < 1e-6);
        }
    }
}
