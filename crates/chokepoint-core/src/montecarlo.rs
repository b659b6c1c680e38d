//! Monte Carlo over uncertainty: many paths of one scenario, reduced to quantile bands, stockout
//! probabilities and per-path headline metrics, identical for any thread or shard count.
//!
//! [`SeriesSet`] fixes which daily series are summarised (those a [`Bands`] choice selects of:
//! inventory, days of cover, unmet demand and price per reported node, production per facility,
//! shipments and licence queues per link) and which per-path
//! [`Metric`]s are kept (shortfall, price peak, output lost, and the drawn value of every uncertain
//! parameter); series that read the same numbers share one source (a segment's price, a node's
//! stock for its inventory and its days of cover). [`run`] runs a set of paths on a local rayon
//! pool of T threads, all starting from the shared `Opening` days when there are any.
//! Everything that reaches output is order-independent, so the result does not depend on which
//! worker ran which path:
//!
//! - quantiles come from one DDSketch per (source, day) (`sketches-ddsketch`, relative accuracy
//!   [`RELATIVE_ACCURACY`] = 1%): bin counts are integers, so merged sketches are equal whatever
//!   the merge order;
//! - means come from exact sums ([`ExactSum`]: fixed point with 2⁻⁶⁴ resolution in an `i128`),
//!   so they too are independent of the order of addition;
//! - stockout probabilities are integer counts;
//! - per-path rows are sorted by path index before they are used;
//! - first end-use shortfalls are integer counts per ([`StoppageRow`], day): the paths whose
//!   first shortfall of an end-use product of a reported region (or of one such product) fell
//!   on that day, from which `stoppages.csv` gives the probability of a stoppage by each date.
//!
//! Memory for the time-series summaries is one sketch and one sum per (source, day), independent
//! of the number of paths; per-path rows grow with it (a few numbers per path).
//! [`Accumulator::encode`] / [`Accumulator::decode`] give a stable binary form of a partial result
//! so that shards run on other machines can be merged ([`Accumulator::merge`]).

use crate::bands::{BandVariable, Bands};
use crate::engine::{Engine, Network, Spare};
use crate::event::Day;
use crate::event::{Controls, Rules};
pub use crate::exact::ExactSum;
use crate::model::{ProductId, RegionId, Stage, World};
use crate::record::{NullSink, Variable};
use crate::scenario::Scenario;
use crate::sketch::Cell;
use crate::uncertain::Uncertainty;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Relative accuracy of every quantile in `bands.csv`: a reported quantile q̂ of a true sample
/// quantile q satisfies |q̂ − q| ≤ 1% · |q| (DDSketch guarantee; values below 1e-9 count as 0).
pub const RELATIVE_ACCURACY: f64 = 0.01;

/// The quantiles of the bands.
pub const QUANTILES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// Default stockout threshold: unmet demand above this fraction of the day's need.
pub const STOCKOUT_THRESHOLD: f64 = 0.01;

/// Where a summarised series reads its value. Series with the same source share one sketch:
/// the regions of one market segment see one price, so their price series are one source, and
/// days of cover are a node's stock divided by its baseline need, so they read the stock's
/// sketch (a quantile of `stock / need` is the stock's quantile divided by the need, within
/// the same relative accuracy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Src {
    Stock(usize),
    Unmet(usize),
    /// Index of the (segment, product) price.
    Price(usize),
    Production(usize),
    Shipments(usize),
    /// Licence applications pending on a link.
    Pending(usize),
    /// Licence applications filed, approved and denied that day on a link.
    Applied(usize),
    Approved(usize),
    Denied(usize),
}

/// The distinct sources, grouped by kind in the order of [`Src`] (the order of a day's cells),
/// so that a day's values are gathered kind by kind.
#[derive(Debug, Clone, Default)]
struct Sources {
    stock: Vec<usize>,
    unmet: Vec<usize>,
    price: Vec<usize>,
    production: Vec<usize>,
    shipments: Vec<usize>,
    pending: Vec<usize>,
    applied: Vec<usize>,
    approved: Vec<usize>,
    denied: Vec<usize>,
}

impl Sources {
    fn new(sorted: &[Src]) -> Sources {
        let mut g = Sources::default();
        for src in sorted {
            match *src {
                Src::Stock(n) => g.stock.push(n),
                Src::Unmet(n) => g.unmet.push(n),
                Src::Price(i) => g.price.push(i),
                Src::Production(n) => g.production.push(n),
                Src::Shipments(l) => g.shipments.push(l),
                Src::Pending(l) => g.pending.push(l),
                Src::Applied(l) => g.applied.push(l),
                Src::Approved(l) => g.approved.push(l),
                Src::Denied(l) => g.denied.push(l),
            }
        }
        g
    }

    fn len(&self) -> usize {
        self.stock.len()
            + self.unmet.len()
            + self.price.len()
            + self.production.len()
            + self.shipments.len()
            + self.pending.len()
            + self.applied.len()
            + self.approved.len()
            + self.denied.len()
    }
}

/// One summarised daily series, named as in `timeseries.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesKey {
    pub variable: Variable,
    pub region: RegionId,
    pub partner: Option<RegionId>,
    pub product: ProductId,
    src: Src,
}

/// What a per-path metric measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Unserved need over the run, units.
    Shortfall,
    /// Highest price over the run, USD/kg.
    PricePeak,
    /// Σ over days of max(0, baseline production − production), units.
    OutputLost,
    /// The drawn value of uncertain parameter `i`.
    Param(usize),
}

/// One column of `paths.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub kind: MetricKind,
    /// Node (region, product) for node metrics.
    pub node: Option<(RegionId, ProductId)>,
    /// Column name, e.g. `shortfall_units:USA:ndfeb-magnet` or `param:<label>`.
    pub name: String,
    pub unit: String,
}

/// The series and metrics summarised for one scenario (derived from its central network).
#[derive(Debug, Clone)]
pub struct SeriesSet {
    /// Days summarised: the scenario's reported days.
    pub days: u32,
    /// The first of them, as an engine day (after the spin-up).
    pub report_from: Day,
    pub series: Vec<SeriesKey>,
    /// The distinct sources of the series (one sketch per source and day), each series' index
    /// into them, and what the series divides its source's values by (days of cover: the
    /// baseline need; otherwise 1).
    sources: Sources,
    source_of: Vec<u32>,
    divisor: Vec<f64>,
    /// Nodes with a baseline need: the rows of `stockout.csv`, in node order.
    pub stock_nodes: Vec<usize>,
    pub metrics: Vec<Metric>,
    /// A day counts as a stockout of a node when its unmet demand exceeds this fraction of the
    /// day's need ([`STOCKOUT_THRESHOLD`] unless the caller sets another).
    pub stockout_threshold: f64,
    /// End-use nodes (see [`is_end_use`]) in node order: whose first shortfall a path tracks.
    pub end_use_nodes: Vec<usize>,
    /// The rows of `stoppages.csv`: per reported region, any of its end-use products, then
    /// each of them.
    pub stoppage_rows: Vec<StoppageRow>,
    np: usize,
}

/// A path that never ran short of a row's products within the horizon.
const NEVER: Day = Day::MAX;

/// Whether (`region`, `product`) is an end-use node: a manufactured product (stage
/// `component` or `end-use`: motors, generators, devices) with final demand in the region. The
/// documented stoppages of 2025 are assembly lines, not buyers of oxide.
pub fn is_end_use(world: &World, region: RegionId, product: ProductId) -> bool {
    matches!(
        world.products[product.ix()].stage,
        Stage::Component | Stage::EndUse
    ) && world
        .demands
        .iter()
        .any(|d| d.region == region && d.product == product)
}

/// One row of `stoppages.csv`: a reported region and one of its end-use products, or all of
/// them (`product` `None`). A path stops in the row on the first day any of `nodes` ran short.
#[derive(Debug, Clone, PartialEq)]
pub struct StoppageRow {
    pub region: RegionId,
    pub product: Option<ProductId>,
    /// Indices into [`SeriesSet::end_use_nodes`].
    nodes: Vec<usize>,
}

/// The end-use nodes of `net` and the stoppage rows they form when region `r` is reported as
/// `reported[r]` (a buyer cohort is reported as the region it belongs to, so that a region
/// stops when any of its cohorts does). Rows are in
/// the order (reported region, then `None` before the products in product order).
fn stoppage_rows(
    world: &World,
    net: &Network,
    reported: &[RegionId],
) -> (Vec<usize>, Vec<StoppageRow>) {
    let np = net.np;
    let end_use_nodes: Vec<usize> = (0..net.nr * np)
        .filter(|&n| {
            let (r, p) = (RegionId((n / np) as u32), ProductId((n % np) as u32));
            net.active[n] && is_end_use(world, r, p)
        })
        .collect();
    let mut rows: Vec<StoppageRow> = Vec::new();
    for (k, &n) in end_use_nodes.iter().enumerate() {
        let region = reported[n / np];
        let product = ProductId((n % np) as u32);
        for key in [None, Some(product)] {
            match rows
                .iter_mut()
                .find(|row| row.region == region && row.product == key)
            {
                Some(row) => row.nodes.push(k),
                None => rows.push(StoppageRow {
                    region,
                    product: key,
                    nodes: vec![k],
                }),
            }
        }
    }
    rows.sort_by_key(|row| (row.region, row.product));
    (end_use_nodes, rows)
}

/// The links a licensing regime governs on some day of `scenario` (its rules compiled on day
/// 0 and on every day an event starts or ends), ascending: the licence queues that can be
/// non-empty. A path whose uncertain dates make rules overlap otherwise may queue on another
/// link; such a queue has no band (its licence counts are in no Monte Carlo output either).
fn licensed_links(scenario: &Scenario, net: &Network) -> Vec<usize> {
    let controls = Controls::declare(&scenario.events);
    if controls.regimes.is_empty() {
        return Vec::new();
    }
    let mut days: Vec<Day> = vec![0];
    for e in &scenario.events {
        days.push(e.start);
        days.extend(e.end);
    }
    days.retain(|&d| d < scenario.settings.days);
    days.sort_unstable();
    days.dedup();
    let mut licensed = vec![false; scenario.world.links.len()];
    let mut rules = Rules::default();
    for day in days {
        let s = scenario;
        rules.compile(
            &s.world,
            net,
            &s.settings.rationing,
            &s.events,
            &controls,
            day,
        );
        for (l, rule) in rules.links.iter().enumerate() {
            // A general licence lifts the regime; a re-export clause with a regime files too.
            licensed[l] |= (rule.licensing.is_some() && !rule.general)
                || rule.reexport.iter().any(|x| x.licensing.is_some());
        }
    }
    (0..licensed.len()).filter(|&l| licensed[l]).collect()
}

impl SeriesSet {
    /// Distinct sources: a sketch and an exact sum each per day.
    pub fn source_count(&self) -> usize {
        self.sources.len()
    }

    /// (Source, day) cells: one sketch and one exact sum each, one value per path in a batch.
    fn cells(&self) -> usize {
        self.days as usize * self.sources.len()
    }

    /// The series `scenario.settings.bands` chooses (see [`SeriesSet::with_bands`]).
    pub fn new(scenario: &Scenario, unc: &Uncertainty) -> SeriesSet {
        SeriesSet::with_bands(scenario, unc, &scenario.settings.bands)
    }

    /// The series `bands` chooses, and every metric, stockout row and stoppage row (those do
    /// not depend on the choice). A series not chosen has no source unless a chosen one shares
    /// it, so a run sketches only what it reports.
    pub fn with_bands(scenario: &Scenario, unc: &Uncertainty, bands: &Bands) -> SeriesSet {
        let world = &scenario.world;
        let net = Network::new(world);
        let np = net.np;
        let ids = |n: usize| (RegionId((n / np) as u32), ProductId((n % np) as u32));
        let chosen = |v: BandVariable, r: RegionId, p: ProductId| {
            let product = &world.products[p.ix()];
            bands.selects(
                v,
                &world.regions[r.ix()].code,
                &product.code,
                product.stage.as_str(),
            )
        };
        let mut series = Vec::new();
        let mut push = |v: BandVariable, variable, n: usize, partner, src| {
            let (region, product) = ids(n);
            if chosen(v, region, product) {
                series.push(SeriesKey {
                    variable,
                    region,
                    partner,
                    product,
                    src,
                });
            }
        };
        for n in 0..net.nr * np {
            if net.facility_of[n].is_some() {
                push(
                    BandVariable::Production,
                    Variable::Production,
                    n,
                    None,
                    Src::Production(n),
                );
            }
        }
        for (l, link) in world.links.iter().enumerate() {
            let n = net.node(link.from, link.product);
            push(
                BandVariable::Shipments,
                Variable::Shipments,
                n,
                Some(link.to),
                Src::Shipments(l),
            );
        }
        for n in 0..net.nr * np {
            if !net.active[n] {
                continue;
            }
            push(
                BandVariable::Inventory,
                Variable::Inventory,
                n,
                None,
                Src::Stock(n),
            );
            if net.need0[n] > 0.0 {
                push(
                    BandVariable::DaysOfCover,
                    Variable::DaysOfCover,
                    n,
                    None,
                    Src::Stock(n),
                );
            }
            push(
                BandVariable::UnmetDemand,
                Variable::UnmetDemand,
                n,
                None,
                Src::Unmet(n),
            );
            push(
                BandVariable::Price,
                Variable::Price,
                n,
                None,
                Src::Price(net.price_of[n]),
            );
        }
        for l in licensed_links(scenario, &net) {
            let link = &world.links[l];
            let n = net.node(link.from, link.product);
            let to = Some(link.to);
            use BandVariable as B;
            push(
                B::LicencesPending,
                Variable::LicencesPending,
                n,
                to,
                Src::Pending(l),
            );
            push(
                B::LicencesApplied,
                Variable::LicencesApplied,
                n,
                to,
                Src::Applied(l),
            );
            push(
                B::LicencesApproved,
                Variable::LicencesApproved,
                n,
                to,
                Src::Approved(l),
            );
            push(
                B::LicencesDenied,
                Variable::LicencesDenied,
                n,
                to,
                Src::Denied(l),
            );
        }
        series.sort_by_key(|s| (s.variable, s.region, s.partner, s.product));
        let mut distinct: Vec<Src> = series.iter().map(|k| k.src).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let source_of = series
            .iter()
            .map(|k| distinct.binary_search(&k.src).unwrap_or(0) as u32)
            .collect();
        let divisor = series
            .iter()
            .map(|k| match (k.variable, k.src) {
                (Variable::DaysOfCover, Src::Stock(n)) => net.need0[n],
                _ => 1.0,
            })
            .collect();
        let sources = Sources::new(&distinct);
        let stock_nodes: Vec<usize> = (0..net.nr * np)
            .filter(|&n| net.active[n] && net.need0[n] > 0.0)
            .collect();
        let mut metrics = Vec::new();
        let code = |n: usize| {
            let (r, p) = ids(n);
            (
                world.regions[r.ix()].code.as_str(),
                world.products[p.ix()].code.as_str(),
                world.products[p.ix()].unit.as_str(),
            )
        };
        for &n in &stock_nodes {
            let (r, p, u) = code(n);
            metrics.push(Metric {
                kind: MetricKind::Shortfall,
                node: Some(ids(n)),
                name: format!("shortfall_units:{r}:{p}"),
                unit: u.to_string(),
            });
            metrics.push(Metric {
                kind: MetricKind::PricePeak,
                node: Some(ids(n)),
                name: format!("price_peak_usd_per_kg:{r}:{p}"),
                unit: "USD/kg".into(),
            });
        }
        for n in 0..net.nr * np {
            if net.facility_of[n].is_some() {
                let (r, p, u) = code(n);
                metrics.push(Metric {
                    kind: MetricKind::OutputLost,
                    node: Some(ids(n)),
                    name: format!("output_lost_units:{r}:{p}"),
                    unit: u.to_string(),
                });
            }
        }
        for (i, p) in unc.params.iter().enumerate() {
            metrics.push(Metric {
                kind: MetricKind::Param(i),
                node: None,
                name: format!("param:{}", p.label),
                unit: String::new(),
            });
        }
        // A buyer cohort's stoppages are its region's.
        let reported: Vec<RegionId> = (0..net.nr)
            .map(|r| world.home(RegionId(r as u32)))
            .collect();
        let (end_use_nodes, stoppage_rows) = stoppage_rows(world, &net, &reported);
        SeriesSet {
            days: scenario.settings.reported_days(),
            report_from: scenario.settings.report_from,
            series,
            sources,
            source_of,
            divisor,
            stock_nodes,
            metrics,
            stockout_threshold: STOCKOUT_THRESHOLD,
            end_use_nodes,
            stoppage_rows,
            np,
        }
    }
}

/// One path's headline metrics, aligned with [`SeriesSet::metrics`].
#[derive(Debug, Clone, PartialEq)]
pub struct PathRow {
    pub path: u64,
    pub values: Vec<f64>,
}

/// A partial or complete Monte Carlo result. Merging is exact and order-independent.
#[derive(Clone)]
pub struct Accumulator {
    pub days: u32,
    pub n_series: usize,
    pub n_stock: usize,
    /// Paths added.
    pub paths: u64,
    /// Per series, its source and divisor (see [`SeriesSet`]); `n_sources` distinct sources.
    source_of: Vec<u32>,
    divisor: Vec<f64>,
    n_sources: usize,
    /// `[day * n_sources + k]`: the DDSketch of each (source, day), in its compact exact form.
    sketches: Vec<Cell>,
    sums: Vec<ExactSum>,
    /// `[day * n_stock + k]`: paths with a stockout of stock node k on that day.
    stockouts: Vec<u32>,
    /// Rows of `stoppages.csv` ([`SeriesSet::stoppage_rows`]).
    pub n_stoppage_rows: usize,
    /// `[k * days + day]`: paths whose first end-use shortfall in stoppage row k fell on that
    /// day (paths without one within the horizon are counted nowhere).
    first_stops: Vec<u32>,
    pub rows: Vec<PathRow>,
}

/// A partial result could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("not a chokepoint partial result (bad magic)")]
    Magic,
    #[error("partial result has format {found}, this build reads format {expected}")]
    Version { found: u8, expected: u8 },
    #[error("partial result is truncated")]
    Truncated,
    #[error("partial result has a corrupt sketch")]
    Sketch,
    #[error("partial results have different shapes: {0}")]
    Shape(String),
    #[error("partial result counts more than the {0} paths it ran")]
    Counts(u64),
    #[error("merged partial results would count more than {} paths", u32::MAX)]
    TooManyPaths,
}

/// Format 3: format 2 (series that share a source share a sketch) followed by the counts of
/// first end-use shortfalls per (stoppage row, day).
const MAGIC: &[u8; 8] = b"CPMC\x00\x03\x00\x00";

impl Accumulator {
    /// Stockout counts and per-path rows only (no sketches): a worker's share of a threaded
    /// run, whose sketches live in one shared accumulator.
    fn counts_only(set: &SeriesSet) -> Accumulator {
        Accumulator {
            days: set.days,
            n_series: set.series.len(),
            n_stock: set.stock_nodes.len(),
            paths: 0,
            source_of: set.source_of.clone(),
            divisor: set.divisor.clone(),
            n_sources: set.sources.len(),
            sketches: Vec::new(),
            sums: Vec::new(),
            stockouts: vec![0; set.days as usize * set.stock_nodes.len()],
            n_stoppage_rows: set.stoppage_rows.len(),
            first_stops: vec![0; set.days as usize * set.stoppage_rows.len()],
            rows: Vec::new(),
        }
    }

    pub fn new(set: &SeriesSet) -> Accumulator {
        let days = set.days as usize;
        let cells = set.cells();
        Accumulator {
            days: set.days,
            n_series: set.series.len(),
            n_stock: set.stock_nodes.len(),
            paths: 0,
            source_of: set.source_of.clone(),
            divisor: set.divisor.clone(),
            n_sources: set.sources.len(),
            sketches: vec![Cell::default(); cells],
            sums: vec![ExactSum::default(); cells],
            stockouts: vec![0; days * set.stock_nodes.len()],
            n_stoppage_rows: set.stoppage_rows.len(),
            first_stops: vec![0; days * set.stoppage_rows.len()],
            rows: Vec::new(),
        }
    }

    /// Adds another partial result (the same scenario's, other paths).
    pub fn merge(&mut self, o: &Accumulator) -> Result<(), DecodeError> {
        if (self.days, self.n_series, self.n_stock, self.n_stoppage_rows)
            != (o.days, o.n_series, o.n_stock, o.n_stoppage_rows)
            || self.source_of != o.source_of
            || self
                .divisor
                .iter()
                .map(|d| d.to_bits())
                .ne(o.divisor.iter().map(|d| d.to_bits()))
        {
            return Err(DecodeError::Shape(format!(
                "{} days × {} series vs {} days × {} series",
                self.days, self.n_series, o.days, o.n_series
            )));
        }
        // Bins and stockouts count paths in `u32`s: a decoded result counts no more than its
        // paths, so a total within `u32` keeps every sum within it.
        let paths = self
            .paths
            .checked_add(o.paths)
            .filter(|&p| p <= u64::from(u32::MAX))
            .ok_or(DecodeError::TooManyPaths)?;
        for (a, b) in self.sketches.iter_mut().zip(&o.sketches) {
            a.merge(b);
        }
        for (a, b) in self.sums.iter_mut().zip(&o.sums) {
            a.merge(*b);
        }
        for (a, b) in self.stockouts.iter_mut().zip(&o.stockouts) {
            *a += b;
        }
        for (a, b) in self.first_stops.iter_mut().zip(&o.first_stops) {
            *a += b;
        }
        self.paths = paths;
        self.rows.extend(o.rows.iter().cloned());
        self.rows.sort_by_key(|r| r.path);
        Ok(())
    }

    /// Quantiles ([`QUANTILES`]) and mean of series `s` on `day`; `None` without paths.
    pub fn band(&self, day: Day, s: usize) -> Option<([f64; 5], f64)> {
        let i = day as usize * self.n_sources + self.source_of[s] as usize;
        let sk = &self.sketches[i];
        let d = self.divisor[s];
        // Clamped into the exact [min, max] seen, which only ever moves a value closer.
        let (lo, hi) = sk.min_max()?;
        let mut q = [0.0; 5];
        for (k, &p) in QUANTILES.iter().enumerate() {
            q[k] = sk.quantile(p).map_or(f64::NAN, |v| v.clamp(lo, hi) / d);
        }
        Some((q, self.sums[i].value() / self.paths as f64 / d))
    }

    /// Paths with a stockout of stock node `k` on `day`.
    pub fn stockouts(&self, day: Day, k: usize) -> u32 {
        self.stockouts[day as usize * self.n_stock + k]
    }

    /// Paths whose first end-use shortfall in stoppage row `k` fell on `day` or before.
    pub fn stopped_by(&self, k: usize, day: Day) -> u64 {
        let days = self.days as usize;
        if days == 0 {
            return 0;
        }
        let last = (day as usize).min(days - 1);
        self.first_stops[k * days..k * days + days][..=last]
            .iter()
            .map(|&c| u64::from(c))
            .sum()
    }

    /// The first day on which at least the fraction `percent`/100 of all paths had stopped in
    /// stoppage row `k` (the empirical quantile of the first-shortfall day, paths that never
    /// stopped counting as after the horizon); `None` when fewer paths stopped within it.
    pub fn stop_quantile(&self, k: usize, percent: u64) -> Option<Day> {
        let days = self.days as usize;
        let mut stopped = 0u64;
        for (day, &c) in self.first_stops[k * days..(k + 1) * days]
            .iter()
            .enumerate()
        {
            stopped += u64::from(c);
            // Integers: `stopped / paths >= percent / 100` without rounding.
            if c > 0 && u128::from(stopped) * 100 >= u128::from(percent) * u128::from(self.paths) {
                return Some(day as Day);
            }
        }
        None
    }

    /// Stable binary form of everything but the per-path rows (those go to `paths.csv`).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.sketches.len() * 64);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.days.to_le_bytes());
        out.extend_from_slice(&(self.n_series as u32).to_le_bytes());
        out.extend_from_slice(&(self.n_stock as u32).to_le_bytes());
        out.extend_from_slice(&self.paths.to_le_bytes());
        out.extend_from_slice(&(self.n_sources as u32).to_le_bytes());
        for (k, d) in self.source_of.iter().zip(&self.divisor) {
            out.extend_from_slice(&k.to_le_bytes());
            out.extend_from_slice(&d.to_le_bytes());
        }
        for (sk, sum) in self.sketches.iter().zip(&self.sums) {
            out.extend_from_slice(&sum.0.to_le_bytes());
            let b = sk.to_java_bytes(sum.value());
            out.extend_from_slice(&(b.len() as u32).to_le_bytes());
            out.extend_from_slice(&b);
        }
        for c in &self.stockouts {
            out.extend_from_slice(&c.to_le_bytes());
        }
        out.extend_from_slice(&(self.n_stoppage_rows as u32).to_le_bytes());
        for c in &self.first_stops {
            out.extend_from_slice(&c.to_le_bytes());
        }
        out
    }

    /// Reads [`Accumulator::encode`]'s output (rows empty).
    pub fn decode(bytes: &[u8]) -> Result<Accumulator, DecodeError> {
        fn take<'a>(r: &mut &'a [u8], n: usize) -> Result<&'a [u8], DecodeError> {
            if r.len() < n {
                return Err(DecodeError::Truncated);
            }
            let (a, b) = r.split_at(n);
            *r = b;
            Ok(a)
        }
        // The counts in a corrupt header can be anything up to 2³² each: before anything is
        // allocated for `count` items of at least `each` bytes, those bytes must be there.
        fn fits(r: &[u8], count: usize, each: usize) -> Result<(), DecodeError> {
            match count.checked_mul(each) {
                Some(n) if n <= r.len() => Ok(()),
                _ => Err(DecodeError::Truncated),
            }
        }
        let mut r = bytes;
        let magic = take(&mut r, 8)?;
        if magic[..5] == MAGIC[..5] && magic[5] != MAGIC[5] {
            return Err(DecodeError::Version {
                found: magic[5],
                expected: MAGIC[5],
            });
        }
        if magic != MAGIC {
            return Err(DecodeError::Magic);
        }
        let u32_ = |b: &[u8]| u32::from_le_bytes(b.try_into().unwrap_or_default());
        let days = u32_(take(&mut r, 4)?);
        let n_series = u32_(take(&mut r, 4)?) as usize;
        let n_stock = u32_(take(&mut r, 4)?) as usize;
        let paths = u64::from_le_bytes(take(&mut r, 8)?.try_into().unwrap_or_default());
        let n_sources = u32_(take(&mut r, 4)?) as usize;
        fits(r, n_series, 12)?;
        let mut source_of = Vec::with_capacity(n_series);
        let mut divisor = Vec::with_capacity(n_series);
        for _ in 0..n_series {
            let k = u32_(take(&mut r, 4)?);
            let d = f64::from_le_bytes(take(&mut r, 8)?.try_into().unwrap_or_default());
            if k as usize >= n_sources {
                return Err(DecodeError::Shape("series source out of range".into()));
            }
            source_of.push(k);
            divisor.push(d);
        }
        let n = (days as usize).saturating_mul(n_sources);
        // A cell is a 16-byte sum and a 4-byte length at least.
        fits(r, n, 20)?;
        let mut sketches = Vec::with_capacity(n);
        let mut sums = Vec::with_capacity(n);
        for _ in 0..n {
            sums.push(ExactSum(i128::from_le_bytes(
                take(&mut r, 16)?.try_into().unwrap_or_default(),
            )));
            let len = u32_(take(&mut r, 4)?) as usize;
            let b = take(&mut r, len)?;
            sketches.push(Cell::from_java_bytes(b).ok_or(DecodeError::Sketch)?);
        }
        let n = (days as usize).saturating_mul(n_stock);
        fits(r, n, 4)?;
        let mut stockouts = Vec::with_capacity(n);
        for _ in 0..n {
            stockouts.push(u32_(take(&mut r, 4)?));
        }
        let n_stoppage_rows = u32_(take(&mut r, 4)?) as usize;
        let n = (days as usize).saturating_mul(n_stoppage_rows);
        fits(r, n, 4)?;
        let mut first_stops = Vec::with_capacity(n);
        for _ in 0..n {
            first_stops.push(u32_(take(&mut r, 4)?));
        }
        if !r.is_empty() {
            return Err(DecodeError::Shape("trailing bytes".into()));
        }
        // Every count is a number of paths, which merge adds up: a result that counts more
        // than it ran is corrupt (and would overflow the sums).
        // A path's first shortfall in a row falls on one day at most.
        let stops_over = |row: &[u32]| row.iter().map(|&c| u64::from(c)).sum::<u64>() > paths;
        if stockouts.iter().any(|&c| u64::from(c) > paths)
            || sketches.iter().any(|c| c.count() > paths)
            || first_stops.chunks(days.max(1) as usize).any(stops_over)
        {
            return Err(DecodeError::Counts(paths));
        }
        Ok(Accumulator {
            days,
            n_series,
            n_stock,
            paths,
            source_of,
            divisor,
            n_sources,
            sketches,
            sums,
            stockouts,
            n_stoppage_rows,
            first_stops,
            rows: Vec::new(),
        })
    }
}

/// Runs one path into `acc`: draws its parameters, runs the engine without records and adds
/// every summarised value.
pub fn run_path(
    central: &Scenario,
    unc: &Uncertainty,
    set: &SeriesSet,
    seed: u64,
    path: u64,
    acc: &mut Accumulator,
) {
    let mut batch = Batch::new(set, 1);
    let study = Study {
        central,
        unc,
        set,
        seed,
        opening: None,
    };
    run_path_into(&study, path, acc, &mut batch, &mut None);
    batch.flush(acc);
}

/// Source values of up to `cap` paths, laid out `[b · cells + (day · n_sources + k)]`: a path
/// writes its values in one sequential stream, and a flush then passes over the sketches once
/// per batch (not once per path), reading the `cap` paths' values as parallel streams.
struct Batch {
    cap: usize,
    len: usize,
    cells: usize,
    /// Leading cells (the shared opening days) that paths do not write and flushes skip.
    skip: usize,
    vals: Vec<f64>,
}

impl Batch {
    fn new(set: &SeriesSet, cap: usize) -> Batch {
        let cells = set.cells();
        Batch {
            cap,
            len: 0,
            cells,
            skip: 0,
            vals: vec![0.0; cells * cap],
        }
    }

    fn flush(&mut self, acc: &mut Accumulator) {
        self.flush_range(&mut acc.sketches, &mut acc.sums, 0);
        self.len = 0;
    }

    /// Adds the buffered values of cells `start..start + sketches.len()`.
    fn flush_range(&self, sketches: &mut [Cell], sums: &mut [ExactSum], start: usize) {
        let (cells, len) = (self.cells, self.len);
        if len == 0 {
            return;
        }
        let vals = &self.vals[..cells * len];
        // Cells whose bins are fetched ahead of their turn.
        const AHEAD: usize = 8;
        let first = self.skip.saturating_sub(start);
        // One cell's runs; filled before they are read, so not cleared between cells.
        let mut runs = [(0.0, 0); MAX_BATCH];
        for i in first..sketches.len().min(sums.len()) {
            if let Some(next) = sketches.get(i + AHEAD) {
                next.prefetch();
            }
            // The paths' values are `len` streams far apart, more than the hardware follows:
            // fetch each stream's line `VALUES_AHEAD` cells ahead once per line (8 values).
            const VALUES_AHEAD: usize = 64;
            if (start + i).is_multiple_of(8) {
                for b in 0..len {
                    crate::sketch::prefetch(
                        vals.as_ptr()
                            .wrapping_add(b * cells + start + i + VALUES_AHEAD),
                    );
                }
            }
            // Paths often agree on a cell: equal values in a row are one run.
            let mut column = vals[start + i..].iter().step_by(cells).map(|v| v.to_bits());
            let (mut nr, mut part) = (0, 0i128);
            let (mut current, mut n) = (column.next(), 1);
            while let Some(bits) = current {
                let next = column.next();
                if next == current {
                    n += 1;
                    continue;
                }
                // At most `MAX_BATCH` runs of at most `MAX_BATCH` (below 2⁸) paths:
                // `small_times` values cannot overflow.
                let v = f64::from_bits(bits);
                match crate::exact::small_times(v, n as u8) {
                    Some(x) => part += x,
                    None => sums[i].add_n(v, n),
                }
                runs[nr] = (v, n);
                nr += 1;
                (current, n) = (next, 1);
            }
            sums[i].add_fixed(part);
            sketches[i].add_runs(&runs[..nr]);
        }
    }
}

/// What one path keeps of its days besides the summarised values: the output lost per node and
/// the first day each end-use node ran short ([`NEVER`] until it does).
#[derive(Debug, Clone)]
struct PathTally {
    lost: Vec<f64>,
    first: Vec<Day>,
}

impl PathTally {
    fn new(set: &SeriesSet, nodes: usize) -> PathTally {
        PathTally {
            lost: vec![0.0; nodes],
            first: vec![NEVER; set.end_use_nodes.len()],
        }
    }

    /// Counts the path's first end-use shortfall of each stoppage row into `acc`.
    fn count_stops(&self, set: &SeriesSet, acc: &mut Accumulator) {
        let days = set.days as usize;
        for (k, row) in set.stoppage_rows.iter().enumerate() {
            let first = row.nodes.iter().map(|&i| self.first[i]).min();
            if let Some(day) = first.filter(|&d| (d as usize) < days) {
                acc.first_stops[k * days + day as usize] += 1;
            }
        }
    }
}

/// What one path adds for reported day `day`: every series value into `row` (the day's cells),
/// stockouts into `stockouts` (the day's counters), and into `tally` the output lost per
/// facility and the end-use nodes that ran short for the first time.
fn observe(
    set: &SeriesSet,
    engine: &Engine,
    prod0: &[f64],
    day: Day,
    row: &mut [f64],
    stockouts: &mut [u32],
    tally: &mut PathTally,
) {
    let (st, net) = (&engine.state, &engine.net);
    let g = &set.sources;
    let (stock, row) = row.split_at_mut(g.stock.len());
    let (unmet, row) = row.split_at_mut(g.unmet.len());
    let (price, row) = row.split_at_mut(g.price.len());
    let (production, row) = row.split_at_mut(g.production.len());
    let (shipments, row) = row.split_at_mut(g.shipments.len());
    let (pending, row) = row.split_at_mut(g.pending.len());
    let (applied, row) = row.split_at_mut(g.applied.len());
    let (approved, denied) = row.split_at_mut(g.approved.len());
    for (v, &n) in stock.iter_mut().zip(&g.stock) {
        *v = st.stocks.stock[n];
    }
    for (v, &n) in unmet.iter_mut().zip(&g.unmet) {
        *v = st.today.nodes[n].unmet;
    }
    for (v, &i) in price.iter_mut().zip(&g.price) {
        *v = st.market.price[i];
    }
    for (v, &n) in production.iter_mut().zip(&g.production) {
        *v = st.today.nodes[n].production;
    }
    for (v, &l) in shipments.iter_mut().zip(&g.shipments) {
        *v = st.today.shipped[l];
    }
    if !g.pending.is_empty() {
        let queued = engine.licences_pending();
        for (v, &l) in pending.iter_mut().zip(&g.pending) {
            *v = f64::from(queued[l]);
        }
    }
    if g.applied.len() + g.approved.len() + g.denied.len() > 0 {
        let [filed, granted, refused] = engine.licence_counts();
        for (out, (ls, counts)) in [applied, approved, denied].into_iter().zip([
            (&g.applied, filed),
            (&g.approved, granted),
            (&g.denied, refused),
        ]) {
            for (v, &l) in out.iter_mut().zip(ls) {
                *v = f64::from(counts[l]);
            }
        }
    }
    for (c, &n) in stockouts.iter_mut().zip(&set.stock_nodes) {
        let nd = &st.today.nodes[n];
        if nd.need > 0.0 && nd.unmet > set.stockout_threshold * nd.need {
            *c += 1;
        }
    }
    for &n in &net.lists.facilities {
        tally.lost[n] += (prod0[n] - st.today.nodes[n].production).max(0.0);
    }
    for (first, &n) in tally.first.iter_mut().zip(&set.end_use_nodes) {
        let nd = &st.today.nodes[n];
        if *first == NEVER && nd.runs_short() {
            *first = day;
        }
    }
}

/// Baseline production per node: output lost is measured against it.
fn baseline_production(net: &Network) -> Vec<f64> {
    (0..net.links_from.len())
        .map(|n| net.baseline_output(n))
        .collect()
}

/// The opening days that all paths share. A path's state depends on its generator only
/// through licence decisions: until the first random number is drawn (on `april-2025`, the
/// first licence application on day 34) nothing differs, and an application changes nothing
/// until it is decided, which is never sooner than the shortest lead time its terms allow
/// (20 days for Announcement No. 18). So the days before the earliest possible decision are
/// computed once with the draws deferred ([`Engine::deferring_draws`]), and each path starts
/// from [`Opening::engine`], drawing the deferred applications' outcomes in filing order with
/// its own generator. The shared days' values are added to the summaries once, counted for
/// every path. Bin counts, exact sums and stockout counts are the same as if each path had
/// added them itself, so results do not change. Only for scenarios without uncertain
/// parameters, or whose uncertain parameters are all approval odds
/// ([`Uncertainty::only_decision_odds`]): those are read only when a decision is drawn, so the
/// opening runs the central scenario and each path starts from it with its own scenario's
/// licensing regimes ([`Engine::start_path_of`]). With any other uncertain parameter every path
/// has its own scenario from day 0.
struct Opening<'a> {
    /// The engine at the start of the first day on which a deferred application could be
    /// decided.
    engine: Engine<'a>,
    /// Source values of the shared days, `[day · n_sources + k]`.
    values: Vec<f64>,
    /// Stockouts of the shared days (0 or 1), `[day · n_stock + k]`.
    stockouts: Vec<u32>,
    /// Output lost and first end-use shortfalls over the shared days.
    tally: PathTally,
    prod0: Vec<f64>,
}

impl<'a> Opening<'a> {
    fn new(central: &'a Scenario, unc: &Uncertainty, set: &SeriesSet, seed: u64) -> Option<Self> {
        if !unc.only_decision_odds() {
            return None;
        }
        let mut engine = Engine::new(central, seed, 0)
            .deferring_draws()
            .without_records();
        let prod0 = baseline_production(&engine.net);
        let (ns, nk) = (set.sources.len(), set.stock_nodes.len());
        let mut tally = PathTally::new(set, prod0.len());
        let (mut values, mut stockouts) = (Vec::new(), Vec::new());
        while !engine.finished() {
            let day = engine.state.day;
            let mut next = engine.clone();
            next.step(&mut NullSink);
            if next.earliest_decision() <= day {
                break;
            }
            if day < set.report_from {
                engine = next;
                continue;
            }
            values.resize(values.len() + ns, 0.0);
            stockouts.resize(stockouts.len() + nk, 0);
            let (row, out) = (values.len() - ns, stockouts.len() - nk);
            observe(
                set,
                &next,
                &prod0,
                day - set.report_from,
                &mut values[row..],
                &mut stockouts[out..],
                &mut tally,
            );
            engine = next;
        }
        Some(Opening {
            engine,
            values,
            stockouts,
            tally,
            prod0,
        })
    }

    /// (Source, day) cells of the shared days.
    fn cells(&self) -> usize {
        self.values.len()
    }

    /// Adds the shared days of `paths` paths.
    fn add_to(&self, acc: &mut Accumulator, paths: u32) {
        if paths == 0 {
            return;
        }
        for (i, &v) in self.values.iter().enumerate() {
            acc.sketches[i].add_n(v, paths);
            acc.sums[i].add_n(v, paths);
        }
        for (c, &s) in acc.stockouts.iter_mut().zip(&self.stockouts) {
            *c += s * paths;
        }
    }
}

/// Days that every path of `seed` shares and that are therefore computed once (0 when the
/// scenario has uncertain parameters).
pub fn shared_opening_days(
    central: &Scenario,
    unc: &Uncertainty,
    set: &SeriesSet,
    seed: u64,
) -> Day {
    Opening::new(central, unc, set, seed).map_or(0, |o| o.engine.state.day)
}

/// What the paths of one run share: the scenario and its uncertainty, the summarised series,
/// the seed and, when there is one, the opening they all start from.
struct Study<'a> {
    /// The scenario each path draws its parameters into (in [`run`], without its
    /// documentation: [`without_documentation`]).
    central: &'a Scenario,
    unc: &'a Uncertainty,
    set: &'a SeriesSet,
    seed: u64,
    opening: Option<Opening<'a>>,
}

/// Runs path `path` of `study` into `acc` and the next row of `batch`. `spare` is what the
/// worker's previous path left: a path started from the opening reuses its allocations, a path
/// with its own engine its licence list's ([`Engine::reuse_allocations`]).
fn run_path_into<'a>(
    study: &Study<'a>,
    path: u64,
    acc: &mut Accumulator,
    batch: &mut Batch,
    spare: &mut Option<Spare>,
) {
    let Study {
        central,
        unc,
        set,
        seed,
        ..
    } = *study;
    let opening = study.opening.as_ref();
    let (cells, b) = (batch.cells, batch.len);
    let (owned, drawn) = if unc.is_empty() {
        (None, Vec::new())
    } else {
        let (s, v) = central.for_path(unc, seed, path);
        (Some(s), v)
    };
    let scenario = owned.as_ref().unwrap_or(central);
    let started = opening.and_then(|o| {
        let engine = o.engine.start_path_of(scenario, seed, path, spare.take())?;
        Some((engine, o))
    });
    let row = &mut batch.vals[b * cells..(b + 1) * cells];
    // The headline metrics of the path, read from its engine at the end of the horizon.
    let metrics = |engine: &Engine, lost: &[f64]| -> Vec<f64> {
        let np = set.np;
        set.metrics
            .iter()
            .map(|m| match (m.kind, m.node) {
                (MetricKind::Shortfall, Some((r, p))) => {
                    engine.node_totals(r, p).map_or(0.0, |t| t.shortfall)
                }
                (MetricKind::PricePeak, Some((r, p))) => {
                    engine.node_totals(r, p).map_or(0.0, |t| t.price_peak)
                }
                (MetricKind::OutputLost, Some((r, p))) => lost[r.ix() * np + p.ix()],
                (MetricKind::Param(i), _) => drawn.get(i).copied().unwrap_or(f64::NAN),
                _ => f64::NAN,
            })
            .collect()
    };
    let values = match started {
        Some((mut engine, o)) => {
            let tally = run_days(set, &mut engine, &o.prod0, o.tally.clone(), row, acc);
            tally.count_stops(set, acc);
            let values = metrics(&engine, &tally.lost);
            *spare = Some(engine.into_spare());
            values
        }
        None => {
            let mut engine = Engine::new(scenario, seed, path).without_records();
            if let Some(s) = spare.take() {
                engine.reuse_allocations(s);
            }
            let prod0 = baseline_production(&engine.net);
            let tally = PathTally::new(set, prod0.len());
            let tally = run_days(set, &mut engine, &prod0, tally, row, acc);
            tally.count_stops(set, acc);
            let values = metrics(&engine, &tally.lost);
            *spare = Some(engine.into_spare());
            values
        }
    };
    acc.paths += 1;
    acc.rows.push(PathRow { path, values });
    batch.len += 1;
}

/// Runs `engine` to the end of the horizon, writing each day's source values into `row` and
/// its stockouts into `acc`; returns `tally` with the path's days added.
fn run_days(
    set: &SeriesSet,
    engine: &mut Engine,
    prod0: &[f64],
    mut tally: PathTally,
    row: &mut [f64],
    acc: &mut Accumulator,
) -> PathTally {
    let (ns, nk) = (set.sources.len(), set.stock_nodes.len());
    let from = set.report_from as usize;
    while !engine.finished() {
        let day = engine.state.day as usize;
        engine.step(&mut NullSink);
        // A spin-up's days are simulated, not summarised.
        let Some(day) = day.checked_sub(from) else {
            continue;
        };
        observe(
            set,
            engine,
            prod0,
            day as Day,
            &mut row[day * ns..(day + 1) * ns],
            &mut acc.stockouts[day * nk..(day + 1) * nk],
            &mut tally,
        );
    }
    tally
}

/// Most paths a worker buffers before their values go into the sketches. Each flush is one pass
/// over every sketch (~50 MB on `world-2024`, plus their bins) and, with several threads, one
/// wait for the slowest worker, so larger batches cost less per path, up to a point: at 2
/// threads (2,000 paths), 64 paths a batch ran 3% faster than 32, 8% faster than 16 and 3%
/// faster than 128 (bench/README.md, round 8). At 1 thread 32 and 64 are the same.
pub const MAX_BATCH: usize = 64;
const _: () = assert!(MAX_BATCH < 1 << 8, "a flush counts a run's paths in a `u8`");

/// Fewest paths a worker buffers, whatever the budget below: the pass over the sketches is then
/// the larger cost (16 paths a batch were 6% slower than 32 at 1 thread).
pub const MIN_BATCH: usize = 16;

/// Bytes all workers' buffers may take together: 64 paths of `world-2024` (448,220 values a
/// path, 230 MB) for each of 2 workers, which keeps a 2-thread run of 10,000 paths below 1 GiB;
/// with more threads, or a larger network, each worker buffers fewer paths.
pub const BUFFER_BUDGET: usize = 480 << 20;

/// Paths each of `threads` workers buffers for a scenario of `cells` (source, day) cells.
fn batch_paths(cells: usize, threads: usize, paths: usize) -> usize {
    let per_path = cells.max(1) * std::mem::size_of::<f64>();
    (BUFFER_BUDGET / (threads.max(1) * per_path))
        .clamp(MIN_BATCH, MAX_BATCH)
        .min(paths.max(1))
}

/// The paths of shard `index` of `count` (0-based) out of `paths`: `index, index + count, ...`.
pub fn shard_paths(paths: u64, index: u64, count: u64) -> Vec<u64> {
    (index..paths).step_by(count.max(1) as usize).collect()
}

/// Runs `paths` on a local pool of `threads` threads and returns the merged result.
/// `progress` is called with the number of paths done after each path (from worker threads).
///
/// With several threads the workers share one set of sketches instead of keeping one each (the
/// sketches are most of the memory): in rounds, every worker runs up to [`batch_paths`] paths (64
/// on `world-2024` at 2 threads) into its own buffer, then the sketches are split into ranges and
/// each range takes the buffers in worker order. Bin counts, exact sums and stockout counts do
/// not depend on that order, so the result is the same as with one thread.
pub fn run(
    central: &Scenario,
    unc: &Uncertainty,
    set: &SeriesSet,
    seed: u64,
    paths: &[u64],
    threads: usize,
    progress: &(dyn Fn(u64) + Sync),
) -> Accumulator {
    let threads = threads.max(1).min(paths.len().max(1));
    let cap = batch_paths(set.cells(), threads, paths.len());
    let lean = (!unc.is_empty()).then(|| without_documentation(central));
    let study = Study {
        central: lean.as_ref().unwrap_or(central),
        unc,
        set,
        seed,
        opening: Opening::new(central, unc, set, seed),
    };
    run_batched(&study, paths, threads, cap, progress)
}

/// `scenario` without the world's provenance and sources, which only documentation and
/// checks read (not the engine, nor the uncertain parameters' targets): each path with uncertain
/// parameters clones the central scenario's world, and their thousands of strings were most of
/// that clone and its drop.
fn without_documentation(scenario: &Scenario) -> Scenario {
    let mut lean = scenario.clone();
    lean.world.provenance = Vec::new();
    lean.world.sources = Vec::new();
    lean
}

/// [`run`] of `study` with `cap` paths buffered per worker.
fn run_batched(
    study: &Study,
    paths: &[u64],
    threads: usize,
    cap: usize,
    progress: &(dyn Fn(u64) + Sync),
) -> Accumulator {
    // A flush holds one cell's runs in a `MAX_BATCH` array.
    assert!((1..=MAX_BATCH).contains(&cap), "{cap} paths a batch");
    let set = study.set;
    let opening = study.opening.as_ref();
    let skip = opening.map_or(0, Opening::cells);
    let next = &AtomicUsize::new(0);
    let done = &AtomicUsize::new(0);
    let pool = if threads > 1 {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .ok()
    } else {
        None
    };
    let Some(pool) = pool else {
        let mut acc = Accumulator::new(set);
        let mut batch = Batch::new(set, cap);
        batch.skip = skip;
        let mut spare = None;
        for (i, &path) in paths.iter().enumerate() {
            run_path_into(study, path, &mut acc, &mut batch, &mut spare);
            if batch.len == batch.cap {
                batch.flush(&mut acc);
            }
            progress(i as u64 + 1);
        }
        batch.flush(&mut acc);
        if let Some(o) = opening {
            o.add_to(&mut acc, paths.len() as u32);
        }
        return acc;
    };
    let mut total = Accumulator::new(set);
    let mut workers: Vec<(Accumulator, Batch, Option<Spare>)> = (0..threads)
        .map(|_| {
            let mut batch = Batch::new(set, cap);
            batch.skip = skip;
            (Accumulator::counts_only(set), batch, None)
        })
        .collect();
    loop {
        pool.scope(|s| {
            for (side, batch, spare) in workers.iter_mut() {
                s.spawn(move |_| {
                    while batch.len < batch.cap {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&path) = paths.get(i) else { break };
                        run_path_into(study, path, side, batch, spare);
                        progress(done.fetch_add(1, Ordering::Relaxed) as u64 + 1);
                    }
                });
            }
        });
        if workers.iter().all(|w| w.1.len == 0) {
            break;
        }
        // More ranges than threads: later days have more distinct values and cost more.
        let chunk = total.sketches.len().div_ceil(threads * 8).max(1);
        let batches = &workers;
        pool.scope(|s| {
            let ranges = total
                .sketches
                .chunks_mut(chunk)
                .zip(total.sums.chunks_mut(chunk))
                .enumerate();
            for (k, (sketches, sums)) in ranges {
                s.spawn(move |_| {
                    for (_, batch, _) in batches {
                        batch.flush_range(sketches, sums, k * chunk);
                    }
                });
            }
        });
        for w in workers.iter_mut() {
            w.1.len = 0;
        }
    }
    for (side, _, _) in &workers {
        for (a, b) in total.stockouts.iter_mut().zip(&side.stockouts) {
            *a += b;
        }
        for (a, b) in total.first_stops.iter_mut().zip(&side.first_stops) {
            *a += b;
        }
        total.paths += side.paths;
        total.rows.extend(side.rows.iter().cloned());
    }
    total.rows.sort_by_key(|r| r.path);
    if let Some(o) = opening {
        o.add_to(&mut total, paths.len() as u32);
    }
    total
}

/// Exact quantile of sorted values by linear interpolation between order statistics (the
/// default of numpy and R type 7).
pub fn exact_quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Summary of one metric over paths: P5, P25, P50, P75, P95, mean (exact), min, max.
pub fn distribution(values: &[f64]) -> ([f64; 5], f64, f64, f64) {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let mut sum = ExactSum::default();
    for x in &v {
        sum.add(*x);
    }
    let q = QUANTILES.map(|p| exact_quantile(&v, p));
    let mean = if v.is_empty() {
        f64::NAN
    } else {
        sum.value() / v.len() as f64
    };
    (
        q,
        mean,
        v.first().copied().unwrap_or(f64::NAN),
        v.last().copied().unwrap_or(f64::NAN),
    )
}

/// One metric of a paired comparison of two runs over the same paths (`chokepoint compare`):
/// both means, and the spread of the difference B − A taken path by path.
#[derive(Debug, Clone, PartialEq)]
pub struct PairedDifference {
    /// The metric's index in A's metrics (B may hold it at another index).
    pub metric: usize,
    pub mean_a: f64,
    pub mean_b: f64,
    pub mean_diff: f64,
    pub p5_diff: f64,
    pub p50_diff: f64,
    pub p95_diff: f64,
}

/// Compares run B with run A on common random numbers: path k of both drew from the same
/// streams, so B − A on path k isolates what differs between the scenarios. One row for every
/// metric of A that B reports under the same name, in A's order; uncertain parameters are left
/// out (they are inputs, not results). Rows of both runs are sorted by path, and paired by
/// position. Means and quantiles are [`distribution`]'s (non-finite values left out).
pub fn paired_differences(
    a: &[Metric],
    rows_a: &[PathRow],
    b: &[Metric],
    rows_b: &[PathRow],
) -> Vec<PairedDifference> {
    let column =
        |rows: &[PathRow], m: usize| -> Vec<f64> { rows.iter().map(|r| r.values[m]).collect() };
    let mut out = Vec::new();
    for (i, m) in a.iter().enumerate() {
        if matches!(m.kind, MetricKind::Param(_)) {
            continue;
        }
        let Some(j) = b.iter().position(|x| x.name == m.name) else {
            continue;
        };
        let (va, vb) = (column(rows_a, i), column(rows_b, j));
        let diff: Vec<f64> = va.iter().zip(&vb).map(|(x, y)| y - x).collect();
        let (q, mean_diff, _, _) = distribution(&diff);
        out.push(PairedDifference {
            metric: i,
            mean_a: distribution(&va).1,
            mean_b: distribution(&vb).1,
            mean_diff,
            p5_diff: q[0],
            p50_diff: q[2],
            p95_diff: q[4],
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(kind: MetricKind, name: &str) -> Metric {
        Metric {
            kind,
            node: None,
            name: name.into(),
            unit: String::new(),
        }
    }

    fn rows(columns: &[&[f64]]) -> Vec<PathRow> {
        (0..columns[0].len())
            .map(|k| PathRow {
                path: k as u64,
                values: columns.iter().map(|c| c[k]).collect(),
            })
            .collect()
    }

    /// B − A path by path on five paths: B doubles A's shortfall, so the differences are A's
    /// values 1..5 (mean 3; P5 = 1 + 0.05 × 4, P95 = 1 + 0.95 × 4). A metric only A has and
    /// the uncertain parameters are left out; B may order its metrics differently.
    #[test]
    fn paired_differences_of_known_paths() {
        let a = [
            metric(MetricKind::Shortfall, "shortfall_units:USA:magnet"),
            metric(MetricKind::Param(0), "param:delay"),
            metric(MetricKind::PricePeak, "price_peak_usd_per_kg:USA:magnet"),
        ];
        let b = [
            metric(MetricKind::Param(0), "param:delay"),
            metric(MetricKind::OutputLost, "output_lost_units:CHN:magnet"),
            metric(MetricKind::Shortfall, "shortfall_units:USA:magnet"),
        ];
        let shortfall_a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let rows_a = rows(&[&shortfall_a, &[7.0; 5], &[9.0; 5]]);
        let rows_b = rows(&[&[8.0; 5], &[0.0; 5], &[2.0, 4.0, 6.0, 8.0, 10.0]]);
        let got = paired_differences(&a, &rows_a, &b, &rows_b);
        assert_eq!(
            got,
            [PairedDifference {
                metric: 0,
                mean_a: 3.0,
                mean_b: 6.0,
                mean_diff: 3.0,
                p5_diff: 1.2,
                p50_diff: 3.0,
                p95_diff: 4.8,
            }]
        );
    }

    /// A path whose value is not finite on either side drops out of the difference but not of
    /// the other side's mean.
    #[test]
    fn paired_differences_leave_out_non_finite_values() {
        let a = [metric(
            MetricKind::PricePeak,
            "price_peak_usd_per_kg:JPN:oxide",
        )];
        let rows_a = rows(&[&[f64::NAN, 2.0, 4.0]]);
        let rows_b = rows(&[&[1.0, 3.0, 7.0]]);
        let got = paired_differences(&a, &rows_a, &a, &rows_b);
        assert_eq!(got.len(), 1);
        let d = &got[0];
        assert_eq!((d.mean_a, d.mean_b, d.mean_diff), (3.0, 11.0 / 3.0, 2.0));
        assert_eq!((d.p5_diff, d.p50_diff, d.p95_diff), (1.1, 2.0, 2.9));
    }

    /// How many paths a worker buffers changes nothing: sketches, sums, stockouts and rows are
    /// the same with one batch, several batches and several threads (default scenario, so the
    /// shared opening is part of it).
    #[test]
    fn batch_size_does_not_change_results() {
        let Some(Ok(s)) = crate::library::builtin_scenario("april-2025") else {
            panic!("built-in scenario");
        };
        let unc = Uncertainty::default();
        let set = SeriesSet::new(&s, &unc);
        let study = Study {
            central: &s,
            unc: &unc,
            set: &set,
            seed: 2,
            opening: Opening::new(&s, &unc, &set, 2),
        };
        assert!(study.opening.is_some());
        let paths: Vec<u64> = (0..5).collect();
        let whole = run_batched(&study, &paths, 1, 5, &|_| {});
        for (threads, cap) in [(1, 2), (2, 1), (2, 2)] {
            let acc = run_batched(&study, &paths, threads, cap, &|_| {});
            assert!(
                acc.encode() == whole.encode(),
                "{threads} threads, {cap} a batch"
            );
            assert_eq!(acc.rows, whole.rows, "{threads} threads, {cap} a batch");
        }
    }

    #[test]
    fn quantiles_interpolate() {
        assert_eq!(exact_quantile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.5), 3.0);
        assert_eq!(exact_quantile(&[0.0, 10.0], 0.25), 2.5);
    }
}
