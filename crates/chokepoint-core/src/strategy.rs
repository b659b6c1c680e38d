//! Strategies compared on common random numbers: what each costs and what shortfall it leaves,
//! path by path against doing nothing (`chokepoint compare --strategies`, docs/decisions.md).
//!
//! A [`Strategy`] is a scenario variant with its `[costs]`: the first of a comparison is the
//! reference (no action), the others add levers to it (stockpiles, offtakes, build-out, allied
//! rationing, ...). [`compare_strategies`] runs every strategy over the same paths of one seed,
//! path k of each drawing its uncertain numbers and licence outcomes from the same streams
//! (`Scenario::for_path` and `Engine::new` with (seed, k)), so that the difference between two
//! strategies on path k is what the levers changed, not sampling noise. For each path and
//! [`Focus`] (the regions a decision maker answers for) it keeps an [`Outcome`]: the spending
//! per [`Item`] (the [`crate::ledger::Ledger`]'s levers, plus the opening strategic stockpiles
//! valued at the first day's price), the shortfall of each end use and its value lost, and
//! whether an end-use node ran short (a stoppage). [`Comparison::rows`] summarise them as
//! [`Row`]s of a [`Measure`]: means, P95, and for every strategy after the first the spread of
//! the per-path difference from the reference. The cost of shortfall avoided is
//!
//! ```text
//! USD per t avoided (s) = (E[spending_s] − E[spending_0]) / (E[shortfall_0] − E[shortfall_s])
//! ```
//!
//! over every end use of the focus (undefined, NaN, when the strategy avoids nothing).
//! Results depend only on (seed, paths), never on the thread count: paths run in parallel but
//! are summed in path order.

use crate::costs::Costs;
use crate::engine::Engine;
use crate::ledger::{Ledger, Lever};
use crate::model::{Day, RegionId, World};
use crate::montecarlo::{distribution, is_end_use};
use crate::record::NullSink;
use crate::scenario::Scenario;
use crate::uncertain::Uncertainty;
use rayon::prelude::*;

/// One strategy: a scenario variant with its uncertainty and unit costs.
#[derive(Debug, Clone, Copy)]
pub struct Strategy<'a> {
    pub name: &'a str,
    pub scenario: &'a Scenario,
    pub uncertainty: &'a Uncertainty,
    pub costs: &'a Costs,
}

/// The regions a table is about: region codes (a region covers its buyer cohorts), or every
/// region when `regions` is empty.
#[derive(Debug, Clone, PartialEq)]
pub struct Focus {
    pub label: String,
    pub regions: Vec<String>,
}

impl Focus {
    /// Every region of the world, labelled `all`.
    pub fn world() -> Focus {
        Focus {
            label: "all".into(),
            regions: Vec::new(),
        }
    }

    /// Whether region `r` of `world` (or the region its cohort belongs to) is in the focus.
    fn covers(&self, world: &World, r: RegionId) -> bool {
        if self.regions.is_empty() {
            return true;
        }
        let home = world.regions[r.ix()].parent.unwrap_or(r);
        let code = &world.regions[home.ix()].code;
        self.regions.iter().any(|c| c == code)
    }
}

/// What a strategy spends money on, in table order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Item {
    /// Strategic stockpiles held on the first day, valued at the first day's price: the
    /// purchase `chokepoint stockpile` prices (a sized stockpile enters a scenario as an
    /// opening `[[stockpile]]`).
    StockpileOpening,
    /// One of the ledger's spending levers.
    Lever(Lever),
}

/// The items in table order.
pub const ITEMS: [Item; 9] = [
    Item::StockpileOpening,
    Item::Lever(Lever::StockpilePurchase),
    Item::Lever(Lever::StockpileHolding),
    Item::Lever(Lever::OfftakeFloor),
    Item::Lever(Lever::BuildOut),
    Item::Lever(Lever::Recycling),
    Item::Lever(Lever::Thrifting),
    Item::Lever(Lever::TariffExemption),
    Item::Lever(Lever::ApprovalUplift),
];

impl Item {
    pub fn as_str(self) -> &'static str {
        match self {
            Item::StockpileOpening => "stockpile-opening",
            Item::Lever(l) => l.as_str(),
        }
    }
}

/// One path of one strategy, seen from one focus.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// USD per item of [`ITEMS`].
    pub spending: [f64; ITEMS.len()],
    /// Per end use of [`Comparison::end_uses`]: output not served (units of the end-use
    /// product) and its value lost (USD, from `[costs] value-lost`).
    pub shortfall: Vec<f64>,
    pub lost_usd: Vec<f64>,
    /// Whether an end-use node of the focus ran short on a reported day.
    pub stopped: bool,
}

impl Outcome {
    pub fn spending_total(&self) -> f64 {
        self.spending.iter().sum()
    }

    pub fn shortfall_total(&self) -> f64 {
        self.shortfall.iter().sum()
    }

    pub fn lost_usd_total(&self) -> f64 {
        self.lost_usd.iter().sum()
    }
}

/// What a row of the table measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Measure {
    /// USD spent on one item.
    Spending(Item),
    /// USD spent on every item.
    SpendingTotal,
    /// Output not served, per end use (index into [`Comparison::end_uses`]) or in all.
    Shortfall(Option<usize>),
    /// Value of that output, USD.
    OutputLost(Option<usize>),
    /// Share of paths with a stoppage (per path 0 or 1).
    Stoppage,
    /// USD per unit of shortfall avoided against the reference (a ratio of means: no spread).
    UsdPerUnitAvoided,
}

/// The spread of a per-path difference from the reference: strategy − reference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub mean: f64,
    pub p5: f64,
    pub p95: f64,
}

/// One row of the table: one (focus, strategy, measure).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub focus: usize,
    pub strategy: usize,
    pub measure: Measure,
    pub mean: f64,
    pub p95: f64,
    /// The difference from the reference, for every strategy but the reference.
    pub diff: Option<Spread>,
}

/// The comparison: every outcome and the rows that summarise them.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub strategies: Vec<String>,
    pub foci: Vec<Focus>,
    /// End uses of every strategy's world, sorted.
    pub end_uses: Vec<String>,
    pub paths: Vec<u64>,
    /// `outcomes[strategy][path index][focus]`.
    pub outcomes: Vec<Vec<Vec<Outcome>>>,
    pub rows: Vec<Row>,
}

/// Why strategies cannot be compared.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StrategyError {
    #[error("no strategies to compare")]
    NoStrategies,
    #[error("no paths to compare strategies on")]
    NoPaths,
    #[error(
        "strategy `{strategy}` reports {days} days from day {from}, the reference `{reference}` {ref_days} days from day {ref_from}"
    )]
    Horizon {
        strategy: String,
        days: u32,
        from: Day,
        reference: String,
        ref_days: u32,
        ref_from: Day,
    },
    #[error("region `{code}` of focus `{focus}` is not a region of strategy `{strategy}`")]
    UnknownRegion {
        focus: String,
        code: String,
        strategy: String,
    },
}

/// Every problem that keeps `strategies` from being compared over `foci`, all at once.
pub fn check(strategies: &[Strategy], foci: &[Focus], paths: &[u64]) -> Vec<StrategyError> {
    let mut out = Vec::new();
    let Some(reference) = strategies.first() else {
        return vec![StrategyError::NoStrategies];
    };
    if paths.is_empty() {
        out.push(StrategyError::NoPaths);
    }
    let span = |s: &Strategy| {
        let st = &s.scenario.settings;
        (st.reported_days(), st.report_from)
    };
    let (ref_days, ref_from) = span(reference);
    for s in strategies {
        let (days, from) = span(s);
        if (days, from) != (ref_days, ref_from) {
            out.push(StrategyError::Horizon {
                strategy: s.name.into(),
                days,
                from,
                reference: reference.name.into(),
                ref_days,
                ref_from,
            });
        }
        for f in foci {
            for code in &f.regions {
                if !s.scenario.world.regions.iter().any(|r| &r.code == code) {
                    out.push(StrategyError::UnknownRegion {
                        focus: f.label.clone(),
                        code: code.clone(),
                        strategy: s.name.into(),
                    });
                }
            }
        }
    }
    out
}

/// Runs every strategy over `paths` of `seed` on `threads` threads and summarises them per
/// focus (see the module docs). Deterministic in (seed, paths) whatever the thread count.
pub fn compare_strategies(
    strategies: &[Strategy],
    foci: &[Focus],
    seed: u64,
    paths: &[u64],
    threads: usize,
) -> Result<Comparison, Vec<StrategyError>> {
    let problems = check(strategies, foci, paths);
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut end_uses: Vec<String> = strategies
        .iter()
        .flat_map(|s| s.scenario.world.demands.iter().map(|d| d.end_use.clone()))
        .collect();
    end_uses.sort();
    end_uses.dedup();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .ok();
    let outcomes: Vec<Vec<Vec<Outcome>>> = strategies
        .iter()
        .map(|s| {
            let one = |&path: &u64| run_path(s, foci, &end_uses, seed, path);
            match &pool {
                Some(pool) => pool.install(|| paths.par_iter().map(one).collect()),
                None => paths.iter().map(one).collect(),
            }
        })
        .collect();
    let rows = summarise(&outcomes, foci.len(), end_uses.len());
    Ok(Comparison {
        strategies: strategies.iter().map(|s| s.name.to_string()).collect(),
        foci: foci.to_vec(),
        end_uses,
        paths: paths.to_vec(),
        outcomes,
        rows,
    })
}

/// One path of one strategy, with records (the ledger reads offtake top-ups and releases,
/// which only an engine with records keeps), one [`Outcome`] per focus.
pub fn run_path(
    strategy: &Strategy,
    foci: &[Focus],
    end_uses: &[String],
    seed: u64,
    path: u64,
) -> Vec<Outcome> {
    let (central, unc) = (strategy.scenario, strategy.uncertainty);
    let owned = (!unc.is_empty()).then(|| central.for_path(unc, seed, path).0);
    let scenario = owned.as_ref().unwrap_or(central);
    let world = &scenario.world;
    let mut engine = Engine::new(scenario, seed, path);
    let mut ledger = Ledger::new(&engine, strategy.costs);
    let net = &engine.net;
    let opening: Vec<(RegionId, f64)> = world
        .stockpiles
        .iter()
        .map(|s| {
            let price = engine.state.market.price[net.price_of[net.node(s.region, s.product)]];
            (s.region, s.quantity * price * 1000.0)
        })
        .collect();
    // End-use nodes with, per focus, whether it covers them.
    let watched: Vec<(usize, Vec<bool>)> = (0..net.nr * net.np)
        .filter_map(|n| {
            let r = RegionId((n / net.np) as u32);
            let p = crate::model::ProductId((n % net.np) as u32);
            let covered: Vec<bool> = foci.iter().map(|f| f.covers(world, r)).collect();
            (net.active[n] && is_end_use(world, r, p) && covered.iter().any(|c| *c))
                .then_some((n, covered))
        })
        .collect();
    let mut stopped = vec![false; foci.len()];
    let from = scenario.settings.report_from;
    while !engine.finished() {
        let day = engine.state.day;
        engine.step(&mut NullSink);
        if day < from {
            continue;
        }
        ledger.observe(&engine);
        for (n, covered) in &watched {
            if engine.state.today.nodes[*n].runs_short() {
                for (s, c) in stopped.iter_mut().zip(covered) {
                    *s |= *c;
                }
            }
        }
    }
    let report = ledger.report(&engine);
    foci.iter()
        .zip(stopped)
        .map(|(focus, stopped)| {
            let mut o = Outcome {
                spending: [0.0; ITEMS.len()],
                shortfall: vec![0.0; end_uses.len()],
                lost_usd: vec![0.0; end_uses.len()],
                stopped,
            };
            for &(r, usd) in &opening {
                if focus.covers(world, r) {
                    o.spending[0] += usd;
                }
            }
            for row in report.rows.iter().filter(|x| focus.covers(world, x.region)) {
                if row.lever == Lever::OutputLost {
                    let name = row.end_use.as_deref().unwrap_or_default();
                    if let Ok(e) = end_uses.binary_search_by(|x| x.as_str().cmp(name)) {
                        o.shortfall[e] += row.units;
                        o.lost_usd[e] += row.usd;
                    }
                } else if let Some(i) = ITEMS.iter().position(|x| *x == Item::Lever(row.lever)) {
                    o.spending[i] += row.usd;
                }
            }
            o
        })
        .collect()
}

/// The rows of every (focus, strategy): measures in table order, end uses by name.
fn summarise(outcomes: &[Vec<Vec<Outcome>>], n_foci: usize, n_end_uses: usize) -> Vec<Row> {
    let mut measures: Vec<Measure> = ITEMS.iter().map(|i| Measure::Spending(*i)).collect();
    measures.push(Measure::SpendingTotal);
    measures.extend((0..n_end_uses).map(|e| Measure::Shortfall(Some(e))));
    measures.push(Measure::Shortfall(None));
    measures.extend((0..n_end_uses).map(|e| Measure::OutputLost(Some(e))));
    measures.push(Measure::OutputLost(None));
    measures.push(Measure::Stoppage);
    measures.push(Measure::UsdPerUnitAvoided);
    let column = |s: usize, f: usize, m: Measure| -> Vec<f64> {
        outcomes[s].iter().map(|p| value(&p[f], m)).collect()
    };
    let mut rows = Vec::new();
    for f in 0..n_foci {
        for s in 0..outcomes.len() {
            for &m in &measures {
                if m == Measure::UsdPerUnitAvoided {
                    rows.push(Row {
                        focus: f,
                        strategy: s,
                        measure: m,
                        mean: usd_per_unit_avoided(outcomes, f, s),
                        p95: f64::NAN,
                        diff: None,
                    });
                    continue;
                }
                let own = column(s, f, m);
                let (q, mean, _, _) = distribution(&own);
                let diff = (s > 0).then(|| {
                    let reference = column(0, f, m);
                    let d: Vec<f64> = own.iter().zip(&reference).map(|(x, y)| x - y).collect();
                    let (q, mean, _, _) = distribution(&d);
                    Spread {
                        mean,
                        p5: q[0],
                        p95: q[4],
                    }
                });
                rows.push(Row {
                    focus: f,
                    strategy: s,
                    measure: m,
                    mean,
                    p95: q[4],
                    diff,
                });
            }
        }
    }
    rows
}

/// One path's value of a measure (not defined for [`Measure::UsdPerUnitAvoided`]: NaN).
fn value(o: &Outcome, m: Measure) -> f64 {
    match m {
        Measure::Spending(item) => ITEMS
            .iter()
            .position(|x| *x == item)
            .map_or(0.0, |i| o.spending[i]),
        Measure::SpendingTotal => o.spending_total(),
        Measure::Shortfall(Some(e)) => o.shortfall[e],
        Measure::Shortfall(None) => o.shortfall_total(),
        Measure::OutputLost(Some(e)) => o.lost_usd[e],
        Measure::OutputLost(None) => o.lost_usd_total(),
        Measure::Stoppage => f64::from(u8::from(o.stopped)),
        Measure::UsdPerUnitAvoided => f64::NAN,
    }
}

/// (E[spending_s] − E[spending_0]) / (E[shortfall_0] − E[shortfall_s]); NaN for the reference
/// and for a strategy that avoids no shortfall.
fn usd_per_unit_avoided(outcomes: &[Vec<Vec<Outcome>>], f: usize, s: usize) -> f64 {
    if s == 0 {
        return f64::NAN;
    }
    let mean = |s: usize, m: Measure| {
        let v: Vec<f64> = outcomes[s].iter().map(|p| value(&p[f], m)).collect();
        distribution(&v).1
    };
    let avoided = mean(0, Measure::Shortfall(None)) - mean(s, Measure::Shortfall(None));
    let spent = mean(s, Measure::SpendingTotal) - mean(0, Measure::SpendingTotal);
    if avoided > 0.0 {
        spent / avoided
    } else {
        f64::NAN
    }
}
