//! Monte Carlo contracts: identical results for any thread count and any sharding, an exact
//! encode/decode of partial results, and a stockout probability with an exact answer. The
//! determinism tests run TINY and, for the first end-use shortfalls of issue 17, END_USE.

use chokepoint_core::bands::Bands;
use chokepoint_core::engine::Network;
use chokepoint_core::montecarlo::{
    Accumulator, SeriesSet, run, run_path, shard_paths, shared_opening_days,
};
use chokepoint_core::record::Variable;
use chokepoint_core::scenario::Scenario;
use chokepoint_core::uncertain::Uncertainty;

mod support;
use support::parse;

const TINY: &str = r#"# A tiny self-contained world for the CLI tests: China refines dysprosium oxide and makes magnets,
# Japan makes magnets from Chinese oxide, the United States buys magnets from both. From
# 2025-01-15 China licenses exports of anything containing Dy, and denies the United States.

[scenario]
name = "tiny licensing"
base = "none"
start = 2025-01-01
days = 60
seed = 3

[[region]]
id = "CHN"
name = "China"

[[region]]
id = "JPN"
name = "Japan"

[[region]]
id = "USA"
name = "United States"

[[product]]
id = "dy-oxide"
name = "Dysprosium oxide"
unit = "t REO"
stage = "separation"
content = { Dy = 0.87 }
price = 230

[[product]]
id = "ndfeb-magnet"
name = "Sintered NdFeB magnet"
unit = "t product"
stage = "magnet"
content = { Nd = 0.23, Dy = 0.04 }
price = 80

[[recipe]]
output = "ndfeb-magnet"
inputs = { dy-oxide = 0.05 }

[[facility]]
region = "CHN"
product = "dy-oxide"
capacity = 10

[[facility]]
region = "CHN"
product = "ndfeb-magnet"
capacity = 60

[[facility]]
region = "JPN"
product = "ndfeb-magnet"
capacity = { value = 3650, unit = "t product/yr" }

[[link]]
from = "CHN"
to = "CHN"
product = "dy-oxide"
share = 1.0

[[link]]
from = "CHN"
to = "JPN"
product = "dy-oxide"
share = 1.0
transit-days = 10

[[link]]
from = "CHN"
to = "CHN"
product = "ndfeb-magnet"
share = 1.0

[[link]]
from = "CHN"
to = "USA"
product = "ndfeb-magnet"
share = 0.7
transit-days = 35

[[link]]
from = "JPN"
to = "USA"
product = "ndfeb-magnet"
share = 0.3
transit-days = 21

[[demand]]
region = "CHN"
product = "ndfeb-magnet"
end-use = "ev"
quantity = 30

[[demand]]
region = "USA"
product = "ndfeb-magnet"
end-use = "ev"
quantity = { triangular = [10, 12, 15] }

[[inventory]]
region = "USA"
product = "ndfeb-magnet"
initial-days = 20
target-days = 30

[[event]]
name = "Dy licensing"
date = 2025-01-15
kind = "export-licence"
exporter = "CHN"
products = { elements = ["Dy"] }
approval = { uniform = [0.3, 0.9] }
lead-time-days = { uniform = [10, 30] }
lead-time-cap = 45
destination.USA = { approval = 0.0 }
"#;

/// TINY with its uncertain demand fixed, so that its approval odds are its only uncertain
/// parameter (what a shared opening needs).
fn tiny_with_only_approval_odds() -> String {
    TINY.replace("quantity = { triangular = [10, 12, 15] }", "quantity = 12")
}

/// TINY with motor and generator assembly (stage `component` and `end-use`) over 150 days: the
/// first end-use shortfall falls on different days on different paths.
const END_USE: &str = include_str!("../../chokepoint-cli/tests/fixtures/end-use-mc.toml");

/// Everything that reaches output: bands, means, stockout counts and per-path rows.
fn bytes(acc: &Accumulator) -> String {
    let mut out = format!("{} paths\n{:?}\n", acc.paths, acc.rows);
    for d in 0..acc.days {
        for s in 0..acc.n_series {
            out.push_str(&format!("{:?}\n", acc.band(d, s)));
        }
        for k in 0..acc.n_stock {
            out.push_str(&format!("{} ", acc.stockouts(d, k)));
        }
        for k in 0..acc.n_stoppage_rows {
            out.push_str(&format!("s{} ", acc.stopped_by(k, d)));
        }
    }
    for k in 0..acc.n_stoppage_rows {
        out.push_str(&format!(
            "{:?} ",
            [5, 50, 95].map(|q| acc.stop_quantile(k, q))
        ));
    }
    out
}

/// Band choices the determinism tests run under (issue 20): the default headline set, every
/// series, and a choice of a few variables, regions and a stage.
const BAND_CHOICES: [&str; 3] = [
    "headline",
    "all",
    "shipments:CHN,price:*:@magnet,licences_pending,inventory:USA",
];

fn sets(s: &Scenario, u: &Uncertainty) -> Vec<(&'static str, SeriesSet)> {
    BAND_CHOICES
        .iter()
        .map(|c| {
            let bands = Bands::parse_spec(c).expect("a valid choice");
            (*c, SeriesSet::with_bands(s, u, &bands))
        })
        .collect()
}

#[test]
fn same_result_for_1_2_and_7_threads() {
    for text in [TINY, END_USE] {
        let (s, u) = parse(text);
        assert_eq!(u.params.len(), 2);
        for (choice, set) in sets(&s, &u) {
            let paths: Vec<u64> = (0..24).collect();
            let one = bytes(&run(&s, &u, &set, 9, &paths, 1, &|_| {}));
            for t in [2, 7] {
                assert!(
                    one == bytes(&run(&s, &u, &set, 9, &paths, t, &|_| {})),
                    "{t} threads, bands {choice}"
                );
            }
        }
    }
}

#[test]
fn shards_merged_in_any_order_equal_one_run_and_survive_encoding() {
    for text in [TINY, END_USE] {
        shards_merge_to_one_run(text);
    }
    let (s, u) = parse(TINY);
    let set = SeriesSet::new(&s, &u);
    let whole = run(&s, &u, &set, 4, &(0..20).collect::<Vec<_>>(), 1, &|_| {});
    assert!(Accumulator::decode(b"nonsense").is_err());
    // A partial result of another format version says so.
    let mut old = whole.encode();
    old[5] = 2;
    let err = Accumulator::decode(&old).err().expect("refused");
    assert_eq!(
        err.to_string(),
        "partial result has format 2, this build reads format 3"
    );
}

/// Four shards of 20 paths of `text`, encoded, decoded and merged in two orders, equal one run.
fn shards_merge_to_one_run(text: &str) {
    let (s, u) = parse(text);
    for (_, set) in sets(&s, &u) {
        shards_of_set_merge_to_one_run(&s, &u, &set);
    }
}

fn shards_of_set_merge_to_one_run(s: &Scenario, u: &Uncertainty, set: &SeriesSet) {
    let all: Vec<u64> = (0..20).collect();
    let whole = run(s, u, set, 4, &all, 1, &|_| {});
    let shards: Vec<Accumulator> = (0..4)
        .map(|i| {
            let a = run(s, u, set, 4, &shard_paths(20, i, 4), 1, &|_| {});
            let mut back = Accumulator::decode(&a.encode()).expect("decodes");
            back.rows = a.rows.clone();
            back
        })
        .collect();
    for order in [[0, 1, 2, 3], [3, 1, 0, 2]] {
        let mut m = Accumulator::new(set);
        for i in order {
            m.merge(&shards[i]).unwrap();
        }
        assert!(bytes(&m) == bytes(&whole), "order {order:?}");
    }
}

/// A ban with probability p empties the only supply of a buyer with 5 days of stock: from day 20
/// on the buyer is out of stock exactly on the paths where the ban happens.
#[test]
fn stockout_probability_matches_the_exact_value() {
    let text = r#"[scenario]
name = "ban lottery"
base = "none"
start = 2025-01-01
days = 40
[[region]]
id = "CHN"
[[region]]
id = "USA"
[[product]]
id = "magnet"
unit = "t"
stage = "magnet"
price = 80
[[facility]]
region = "CHN"
product = "magnet"
capacity = 100
[[link]]
from = "CHN"
to = "USA"
product = "magnet"
share = 1
transit-days = 3
[[demand]]
region = "USA"
product = "magnet"
end-use = "ev"
quantity = 10
[[inventory]]
region = "USA"
product = "magnet"
initial-days = 5
target-days = 5
[[event]]
date = 2025-01-05
probability = 0.3
kind = "export-ban"
exporter = "CHN"
"#;
    let (s, u) = parse(text);
    let set = SeriesSet::new(&s, &u);
    let n = 2000u64;
    let paths: Vec<u64> = (0..n).collect();
    let acc = run(&s, &u, &set, 11, &paths, 2, &|_| {});
    let k = set
        .stock_nodes
        .iter()
        .position(|&x| x == 1)
        .expect("USA magnet is a stock node");
    let p_hat = acc.stockouts(30, k) as f64 / n as f64;
    let p = 0.3;
    let half = 2.576 * (p * (1.0 - p) / n as f64).sqrt();
    assert!((p_hat - p).abs() <= half, "{p_hat} not within {p} ± {half}");
    // Before the ban can bite there is never a stockout.
    assert_eq!(acc.stockouts(2, k), 0);
}

/// TINY without uncertain parameters: the licence decisions are the only randomness.
fn fixed_tiny() -> String {
    fixed(TINY)
}

/// `text` (TINY or END_USE) without its uncertain parameters.
fn fixed(text: &str) -> String {
    text.replace("quantity = { triangular = [10, 12, 15] }", "quantity = 12")
        .replace("approval = { uniform = [0.3, 0.9] }", "approval = 0.6")
}

/// Issue 4: every path computes the same days until its first licence application could be
/// decided, so a run computes them once (drawing the applications' outcomes afterwards, per
/// path, in filing order) and counts them for every path. The result must be exactly what
/// running each path from day 0 gives, for any thread count.
#[test]
fn issue_4_shared_opening_days_change_nothing() {
    // END_USE with a generator line short of capacity: the US runs short of generators on
    // day 10, inside the shared opening, so each path's first end-use shortfall starts from
    // the opening's.
    let early = fixed(END_USE).replace(
        "product = \"wind-generator\"\ncapacity = 10",
        "product = \"wind-generator\"\ncapacity = 1",
    );
    assert_ne!(early, fixed(END_USE));
    for text in [fixed(TINY), fixed(END_USE), early] {
        opening_changes_nothing(&text);
    }
    // With uncertain parameters every path has its own scenario from day 0.
    let (s, u) = parse(TINY);
    assert_eq!(shared_opening_days(&s, &u, &SeriesSet::new(&s, &u), 3), 0);
}

/// Issue 20 (speed): uncertain approval odds are read only when a decision is drawn, so paths
/// that differ only in them still share the days before their first decision: the opening runs
/// the central scenario and each path starts from it with its own regimes' odds. The result
/// must be exactly each path's own run from day 0 (its own scenario throughout).
#[test]
fn issue_20_uncertain_approval_odds_share_the_opening() {
    let approval_only = tiny_with_only_approval_odds();
    let (_, u) = parse(&approval_only);
    assert_eq!(u.params.len(), 1, "the approval odds alone are uncertain");
    assert!(u.only_decision_odds());
    opening_changes_nothing(&approval_only);
    // A drawn world number (TINY's demand) changes the opening days themselves: none shared.
    let (_, u) = parse(TINY);
    assert!(!u.only_decision_odds());
}

/// Issue 18: an approval uplift is read when a decision is drawn, for the day the application
/// was filed, so a Monte Carlo run still shares the opening (its draws deferred past the
/// uplift's first days) and gives exactly each path's own run from day 0; and the uplift
/// changes the result (the US, denied by TINY, gets licences filed in its window).
#[test]
fn issue_18_approval_uplift_shares_the_opening() {
    let approval_only = tiny_with_only_approval_odds();
    let uplifted = format!(
        "{approval_only}
[[event]]
name = \"US uplift\"
date = 2025-01-16
until = 2025-02-10
kind = \"approval-uplift\"
exporter = \"CHN\"
destinations = [\"USA\"]
approval = {{ uniform = [0.5, 1.0] }}
"
    );
    let (_, u) = parse(&uplifted);
    assert_eq!(u.params.len(), 2);
    assert!(u.only_decision_odds());
    opening_changes_nothing(&uplifted);
    let result = |text: &str| {
        let (s, u) = parse(text);
        let set = SeriesSet::with_bands(&s, &u, &Bands::All);
        bytes(&run(&s, &u, &set, 3, &[0, 1, 2, 3], 1, &|_| {}))
    };
    assert!(result(&uplifted) != result(&approval_only));
}

/// Issue 20 (speed): with uncertain world numbers each path builds its own engine, from a copy of
/// the scenario without its provenance and sources, and takes over the previous path's licence
/// list; a run must still equal each path run alone from the full scenario with a fresh engine
/// (`run_path`), for 1, 2 and 7 threads.
#[test]
fn issue_20_paths_with_their_own_engines_equal_each_path_alone() {
    let (s, u) = parse(TINY);
    assert!(!u.is_empty() && !u.only_decision_odds());
    assert!(
        !s.world.provenance.is_empty(),
        "the copy leaves something out"
    );
    let set = SeriesSet::with_bands(&s, &u, &Bands::All);
    let paths: Vec<u64> = (0..12).collect();
    let mut each = Accumulator::new(&set);
    for &p in &paths {
        run_path(&s, &u, &set, 3, p, &mut each);
    }
    let each = bytes(&each);
    for t in [1, 2, 7] {
        let run = run(&s, &u, &set, 3, &paths, t, &|_| {});
        assert!(bytes(&run) == each, "{t} threads");
    }
}

/// Issue 17: a waiting application takes the odds of a regime that replaces its own, so one
/// that replaces it before the first decision could come ends the shared opening (the deferred
/// draws are made when a path starts, under the regime they were filed under): the paths start
/// on the day it does, and still equal each path run from day 0. A regime that replaces its
/// own with the same odds changes no outcome, but the opening cannot know that.
#[test]
fn issue_17_a_regime_replaced_inside_the_opening_ends_it() {
    let approval_only = tiny_with_only_approval_odds();
    let replaced = format!(
        "{approval_only}
[[event]]
name = \"Dy licensing, the US approved\"
date = 2025-01-20
kind = \"export-licence\"
exporter = \"CHN\"
products = {{ elements = [\"Dy\"] }}
approval = {{ uniform = [0.3, 0.9] }}
lead-time-days = {{ uniform = [10, 30] }}
lead-time-cap = 45
destination.USA = {{ approval = {{ uniform = [0.5, 1.0] }} }}
"
    );
    let (_, u) = parse(&replaced);
    assert!(u.only_decision_odds());
    // 2025-01-20 is day 19, before the first decision could come (day 24).
    opening_is_exact(&replaced, 19);
}

/// Runs of `text` (without uncertain parameters, or with only uncertain approval odds) from
/// the shared opening equal each path run from day 0, for 1, 2 and 7 threads and 4 shards.
fn opening_changes_nothing(text: &str) {
    // Licensing starts on 2025-01-15, day 14: the first application is filed that day, and
    // with lead times of 10 to 30 days none can be decided before day 24.
    opening_is_exact(text, 24);
}

/// [`opening_changes_nothing`] with an opening of `days` days.
fn opening_is_exact(text: &str, days: u32) {
    let (s, u) = parse(text);
    assert!(u.only_decision_odds());
    let set = SeriesSet::with_bands(&s, &u, &Bands::All);
    assert_eq!(shared_opening_days(&s, &u, &set, 3), days);
    let paths: Vec<u64> = (0..12).collect();
    let mut each = Accumulator::new(&set);
    for &p in &paths {
        run_path(&s, &u, &set, 3, p, &mut each);
    }
    let each = bytes(&each);
    for t in [1, 2, 7] {
        let shared = run(&s, &u, &set, 3, &paths, t, &|_| {});
        assert!(bytes(&shared) == each, "{t} threads");
    }
    // Every shard counts the opening for its own paths.
    let mut merged = Accumulator::new(&set);
    for i in [2, 0, 3, 1] {
        let a = run(&s, &u, &set, 3, &shard_paths(12, i, 4), 1, &|_| {});
        let mut back = Accumulator::decode(&a.encode()).expect("decodes");
        back.rows = a.rows;
        merged.merge(&back).unwrap();
    }
    assert!(bytes(&merged) == each, "4 shards");
}

/// Days of cover are read from the stock's sketch: the band is the stock's band divided by the
/// baseline need, and regions of one price segment share one price sketch.
#[test]
fn cover_bands_are_stock_bands_over_the_baseline_need() {
    let (s, u) = parse(&fixed_tiny());
    let set = SeriesSet::with_bands(&s, &u, &Bands::All);
    let net = Network::new(&s.world);
    let acc = run(&s, &u, &set, 3, &(0..30).collect::<Vec<_>>(), 2, &|_| {});
    let find = |v: Variable, region: &str| {
        set.series
            .iter()
            .position(|k| {
                k.variable == v
                    && s.world.regions[k.region.ix()].code == region
                    && s.world.products[k.product.ix()].code == "ndfeb-magnet"
            })
            .expect("series")
    };
    let (cover, stock) = (
        find(Variable::DaysOfCover, "USA"),
        find(Variable::Inventory, "USA"),
    );
    let need = net.need0[net.node(set.series[stock].region, set.series[stock].product)];
    assert!(need > 0.0);
    let mut moved = false;
    for day in 0..acc.days {
        let (cq, cm) = acc.band(day, cover).expect("paths");
        let (sq, sm) = acc.band(day, stock).expect("paths");
        assert_eq!(cq, sq.map(|q| q / need), "day {day}");
        assert_eq!(cm, sm / need);
        moved |= sq[0] != sq[4];
    }
    assert!(moved, "the stock should differ between paths on some day");
}
