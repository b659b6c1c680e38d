//! Backtests: simulated monthly exports against observed monthly trade figures.
//!
//! [`parse_observations`] reads the observed series (a small CSV with `month, exporter,
//! importer, value, unit, source, confidence`; importer `all` means total exports);
//! [`MonthlyExports`] is a [`Sink`] that sums an exporter's shipments of the selected products
//! by calendar month and destination; [`backtest`] runs a scenario and lines both up as
//! [`BacktestRow`]s with a per-series error measure ([`SeriesError`]).
//!
//! Error measure: for each series (total, or one importer), over the months that the run covers
//! completely and that have an observation, the mean absolute percentage error
//! `MAPE = mean(|sim − obs| / obs)` and the ratio of totals `Σ sim / Σ obs`.

use crate::engine::simulate;
use crate::event::Day;
use crate::model::{ProductId, RegionId, Stage, World};
use crate::record::{LicenceRecord, Record, Sink, Variable};
use crate::scenario::Scenario;
use crate::uncertain::Uncertainty;
use jiff::civil::Date;
use std::collections::BTreeMap;

/// One observed monthly value.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub year: i16,
    pub month: i8,
    pub exporter: String,
    /// `None` = exports to all destinations.
    pub importer: Option<String>,
    pub value: f64,
    pub unit: String,
    pub source: String,
    pub confidence: String,
}

/// The observed China magnet exports of 2025, embedded.
pub const CHINA_MAGNET_EXPORTS_2025: (&str, &str) = (
    "data/observed/china-magnet-exports-2025.csv",
    include_str!("../../../data/observed/china-magnet-exports-2025.csv"),
);

/// Japan's monthly imports of rare earths from China, 2010-11, embedded.
pub const JAPAN_IMPORTS_FROM_CHINA_2010_11: (&str, &str) = (
    "data/observed/japan-imports-from-china-2010-11.csv",
    include_str!("../../../data/observed/japan-imports-from-china-2010-11.csv"),
);

/// Parses observations; lines starting with `#` are comments. Errors name the line.
pub fn parse_observations(text: &str) -> Result<Vec<Observation>, String> {
    let mut out = Vec::new();
    for (i, f) in data_rows(text, "month,exporter,importer,value,unit,source,confidence")? {
        let bad = |what: &str| format!("line {i}: {what}");
        let (y, m) = f[0]
            .split_once('-')
            .ok_or_else(|| bad("month must be YYYY-MM"))?;
        let year: i16 = y.parse().map_err(|_| bad("bad year"))?;
        let month: i8 = m.parse().map_err(|_| bad("bad month"))?;
        if !(1..=12).contains(&month) {
            return Err(bad("month must be 01..12"));
        }
        let value: f64 = f[3].parse().map_err(|_| bad("bad value"))?;
        out.push(Observation {
            year,
            month,
            exporter: f[1].into(),
            importer: (f[2] != "all").then(|| f[2].to_string()),
            value,
            unit: f[4].into(),
            source: f[5].into(),
            confidence: f[6].into(),
        });
    }
    Ok(out)
}

/// Sums the exporter's shipments to other regions of the selected products by (year, month,
/// importer).
#[derive(Debug, Clone)]
pub struct MonthlyExports {
    pub exporter: RegionId,
    pub products: Vec<ProductId>,
    pub start: Date,
    /// (year, month, importer) → quantity; a buyer cohort's shipments count for its region.
    pub sums: BTreeMap<(i16, i8, RegionId), f64>,
    /// Each region's home ([`World::home`]): the region itself, or a cohort's region.
    home: Vec<RegionId>,
    /// (year, month) → days of that month the run covered.
    pub days: BTreeMap<(i16, i8), u32>,
    last_day: Option<Day>,
}

impl MonthlyExports {
    /// Sums `exporter`'s shipments of `products` by importer over the regions of `world`.
    pub fn new(world: &World, exporter: RegionId, products: Vec<ProductId>, start: Date) -> Self {
        MonthlyExports {
            exporter,
            products,
            start,
            home: (0..world.regions.len())
                .map(|r| world.home(RegionId(r as u32)))
                .collect(),
            sums: BTreeMap::new(),
            days: BTreeMap::new(),
            last_day: None,
        }
    }

    fn month_of(&self, day: Day) -> (i16, i8) {
        let d = self
            .start
            .checked_add(jiff::Span::new().days(day as i64))
            .unwrap_or(self.start);
        (d.year(), d.month())
    }

    /// Total over importers for one month.
    pub fn total(&self, year: i16, month: i8) -> f64 {
        self.sums
            .iter()
            .filter(|((y, m, _), _)| *y == year && *m == month)
            .map(|(_, v)| v)
            .sum()
    }
}

impl Sink for MonthlyExports {
    fn record(&mut self, r: &Record) {
        if self.last_day != Some(r.day) {
            self.last_day = Some(r.day);
            *self.days.entry(self.month_of(r.day)).or_default() += 1;
        }
        let home = |g: RegionId| self.home.get(g.ix()).copied().unwrap_or(g);
        let Some(importer) = r.partner.map(home) else {
            return;
        };
        if r.variable != Variable::Shipments
            || home(r.region) != self.exporter
            || importer == self.exporter
            || !self.products.contains(&r.product)
        {
            return;
        }
        let (y, m) = self.month_of(r.day);
        *self.sums.entry((y, m, importer)).or_default() += r.value;
    }
    fn licence(&mut self, _: &LicenceRecord) {}
}

#[derive(Debug, Clone, PartialEq)]
pub struct BacktestRow {
    pub year: i16,
    pub month: i8,
    /// `None` = all destinations.
    pub importer: Option<String>,
    pub simulated: f64,
    pub observed: Option<f64>,
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SeriesError {
    pub importer: Option<String>,
    pub months: usize,
    pub mape: f64,
    pub ratio_of_totals: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Backtest {
    pub exporter: String,
    pub unit: String,
    /// Months fully covered by the run, each with the total and every observed importer.
    pub rows: Vec<BacktestRow>,
    pub errors: Vec<SeriesError>,
    /// Simulated monthly exports before the first event (the run's pre-control baseline),
    /// total and per observed importer, in the same order as `errors`; `None` when the run
    /// starts inside a regime (an event active from its first simulated day, e.g. a spin-up).
    pub baseline: Vec<(Option<String>, Option<f64>)>,
}

/// A calendar month, (year, month).
pub type Month = (i16, i8);

/// The error of each series of `importers` (`None`: the total) over the rows of the months
/// `keep` accepts that have a positive observation: MAPE and the ratio of totals.
pub fn series_errors(
    rows: &[BacktestRow],
    importers: &[Option<String>],
    keep: impl Fn(Month) -> bool,
) -> Vec<SeriesError> {
    importers
        .iter()
        .map(|imp| {
            let pairs: Vec<(f64, f64)> = rows
                .iter()
                .filter(|r| r.importer == *imp && keep((r.year, r.month)))
                .filter_map(|r| r.observed.filter(|o| *o > 0.0).map(|o| (r.simulated, o)))
                .collect();
            let n = pairs.len();
            SeriesError {
                importer: imp.clone(),
                months: n,
                mape: if n == 0 {
                    f64::NAN
                } else {
                    pairs.iter().map(|(s, o)| (s - o).abs() / o).sum::<f64>() / n as f64
                },
                ratio_of_totals: pairs.iter().map(|p| p.0).sum::<f64>()
                    / pairs.iter().map(|p| p.1).sum::<f64>(),
            }
        })
        .collect()
}

/// The calibration's objective (docs/calibration.md): the total's MAPE plus half the MAPE of
/// each destination series, over the series that have observed months; NaN when none has.
pub fn objective(errors: &[SeriesError]) -> f64 {
    let terms: Vec<f64> = errors
        .iter()
        .filter(|e| e.months > 0)
        .map(|e| match e.importer {
            None => e.mape,
            Some(_) => 0.5 * e.mape,
        })
        .collect();
    if terms.is_empty() {
        f64::NAN
    } else {
        terms.iter().sum()
    }
}

impl Backtest {
    /// The errors over the fitting window (months before `hold_out_from`) and over the
    /// held-out months (from it on), series as in [`Backtest::errors`].
    pub fn split(&self, hold_out_from: Month) -> (Vec<SeriesError>, Vec<SeriesError>) {
        let importers: Vec<Option<String>> =
            self.errors.iter().map(|e| e.importer.clone()).collect();
        (
            series_errors(&self.rows, &importers, |m| m < hold_out_from),
            series_errors(&self.rows, &importers, |m| m >= hold_out_from),
        )
    }
}

/// Magnet-stage products (HS 8505.11 permanent magnets).
pub fn magnet_products(world: &World) -> Vec<ProductId> {
    products_at(world, Stage::Magnet)
}

/// The products of `stage`.
pub fn products_at(world: &World, stage: Stage) -> Vec<ProductId> {
    (0..world.products.len())
        .filter(|&i| world.products[i].stage == stage)
        .map(|i| ProductId(i as u32))
        .collect()
}

/// Runs `scenario` with `seed` and compares the exporter's monthly exports of `products` with
/// `observed` (only observations of that exporter are used). `None` when the exporter or an
/// observed importer is not a region of the scenario.
pub fn backtest(
    scenario: &Scenario,
    seed: u64,
    exporter: &str,
    products: Vec<ProductId>,
    observed: &[Observation],
) -> Result<Backtest, String> {
    let world = &scenario.world;
    let ex = world
        .region(exporter)
        .ok_or_else(|| format!("exporter `{exporter}` is not a region of the scenario"))?;
    let obs: Vec<&Observation> = observed.iter().filter(|o| o.exporter == exporter).collect();
    let mut importers: Vec<Option<String>> = vec![None];
    for o in &obs {
        if let Some(i) = &o.importer {
            if world.region(i).is_none() {
                return Err(format!(
                    "observed importer `{i}` is not a region of the scenario"
                ));
            }
            if !importers.contains(&o.importer) {
                importers.push(o.importer.clone());
            }
        }
    }
    let unit = products
        .first()
        .map(|p| world.products[p.ix()].unit.clone())
        .unwrap_or_default();
    let mut sink = MonthlyExports::new(&scenario.world, ex, products, scenario.settings.start);
    simulate(scenario, seed, &mut sink);

    let sim = |y: i16, m: i8, imp: &Option<String>| -> f64 {
        match imp {
            None => sink.total(y, m),
            Some(code) => {
                let r = world.region(code).unwrap_or(ex);
                sink.sums.get(&(y, m, r)).copied().unwrap_or(0.0)
            }
        }
    };
    let mut rows = Vec::new();
    for (&(y, m), &covered) in &sink.days {
        let days_in_month = Date::new(y, m, 1).map(|d| d.days_in_month()).unwrap_or(31);
        if covered < days_in_month as u32 {
            continue;
        }
        for imp in &importers {
            let hit = obs
                .iter()
                .find(|o| o.year == y && o.month == m && o.importer == *imp);
            rows.push(BacktestRow {
                year: y,
                month: m,
                importer: imp.clone(),
                simulated: sim(y, m, imp),
                observed: hit.map(|o| o.value),
                source: hit.map(|o| o.source.clone()),
            });
        }
    }
    let errors = series_errors(&rows, &importers, |_| true);
    // Pre-control baseline: the daily rate before the first event, as 365/12 days. The calm
    // run reports from its first day: a spin-up is part of the pre-control period.
    let first_event = scenario.events.iter().map(|e| e.start).min().unwrap_or(0);
    let mut pre = MonthlyExports::new(
        &scenario.world,
        ex,
        sink.products.clone(),
        scenario.settings.start,
    );
    let mut calm = scenario.clone();
    calm.events.clear();
    calm.settings.days = first_event.max(1);
    calm.settings.report_from = 0;
    simulate(&calm, seed, &mut pre);
    let span = calm.settings.days as f64;
    let baseline = importers
        .iter()
        .map(|imp| {
            let total: f64 = match imp {
                None => pre.sums.values().sum(),
                Some(code) => {
                    let r = world.region(code).unwrap_or(ex);
                    pre.sums
                        .iter()
                        .filter(|((_, _, i), _)| *i == r)
                        .map(|(_, v)| v)
                        .sum()
                }
            };
            let monthly = (first_event > 0).then_some(total / span * 365.0 / 12.0);
            (imp.clone(), monthly)
        })
        .collect();
    Ok(Backtest {
        exporter: exporter.into(),
        unit,
        rows,
        errors,
        baseline,
    })
}

/// The data rows of an observations file with the columns `header`: (1-based line, fields),
/// skipping blank lines and `#` comments; the last field keeps any further commas (a source).
fn data_rows<'t>(text: &'t str, header: &str) -> Result<Vec<(usize, Vec<&'t str>)>, String> {
    let columns = header.split(',').count();
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
    match lines.next() {
        Some((_, l)) if l == header => {}
        Some((i, l)) => return Err(format!("line {i}: unexpected header `{l}`")),
        None => return Ok(Vec::new()),
    }
    lines
        .map(|(i, l)| {
            let f: Vec<&str> = l.splitn(columns, ',').collect();
            if f.len() == columns {
                Ok((i, f))
            } else {
                Err(format!("line {i}: expected {columns} fields"))
            }
        })
        .collect()
}

/// The first documented end-use stoppage of 2025 in each region, embedded.
pub const FIRST_END_USE_STOPPAGES_2025: (&str, &str) = (
    "data/observed/first-end-use-stoppages-2025.csv",
    include_str!("../../../data/observed/first-end-use-stoppages-2025.csv"),
);

/// A region's first documented end-use stoppage: a window of dates (sources give a day, a week
/// or a report date), or `None` when none is documented.
#[derive(Debug, Clone, PartialEq)]
pub struct FirstStoppage {
    pub region: String,
    pub window: Option<(Date, Date)>,
    pub what: String,
    pub source: String,
    pub confidence: String,
}

/// Parses `region,earliest,latest,what,source,confidence` (both dates empty: none documented);
/// lines starting with `#` are comments. Errors name the line.
pub fn parse_first_stoppages(text: &str) -> Result<Vec<FirstStoppage>, String> {
    let mut out = Vec::new();
    for (i, f) in data_rows(text, "region,earliest,latest,what,source,confidence")? {
        let bad = |what: &str| format!("line {i}: {what}");
        let date = |s: &str| {
            s.parse::<Date>()
                .map_err(|e| bad(&format!("bad date `{s}`: {e}")))
        };
        let window = match (f[1], f[2]) {
            ("", "") => None,
            (a, b) => {
                let (a, b) = (date(a)?, date(b)?);
                if b < a {
                    return Err(bad("latest before earliest"));
                }
                Some((a, b))
            }
        };
        out.push(FirstStoppage {
            region: f[0].into(),
            window,
            what: f[3].into(),
            source: f[4].into(),
            confidence: f[5].into(),
        });
    }
    Ok(out)
}

/// One region of the stoppage backtest.
#[derive(Debug, Clone, PartialEq)]
pub struct StoppageRow {
    pub observed: FirstStoppage,
    /// The first day an end-use product of the region ran short in the run, and which.
    pub simulated: Option<(Date, String)>,
    /// Days from the observed window to the simulated date (0 inside it, negative early);
    /// `None` unless both exist.
    pub error_days: Option<i64>,
}

/// The stoppage backtest: per region and its summary.
#[derive(Debug, Clone, PartialEq)]
pub struct StoppageBacktest {
    pub rows: Vec<StoppageRow>,
    /// Regions whose simulated first shortfall falls in the documented window.
    pub hits: usize,
    /// Documented stoppages with no simulated shortfall.
    pub misses: usize,
    /// Simulated shortfalls where none is documented.
    pub false_alarms: usize,
    /// Mean |error_days| over the regions with both; `None` when there are none.
    pub mean_abs_error_days: Option<f64>,
    /// Pairs of regions, both documented and simulated with windows that do not overlap, in the
    /// documented order: (agreeing, pairs).
    pub order: (usize, usize),
}

/// Scores simulated first end-use shortfalls (by region code) against the documented ones.
///
/// `error = 0` if `a ≤ sim ≤ b`, `sim − a` if earlier, `sim − b` if later, in days.
pub fn score_stoppages(
    observed: &[FirstStoppage],
    simulated: &BTreeMap<String, (Date, String)>,
) -> StoppageBacktest {
    let rows: Vec<StoppageRow> = observed
        .iter()
        .map(|o| {
            let sim = simulated.get(&o.region).cloned();
            let error_days = match (&o.window, &sim) {
                (Some((a, b)), Some((d, _))) => {
                    let days =
                        |x: &Date, y: &Date| i64::from(x.until(*y).map_or(0, |s| s.get_days()));
                    Some(if d < a {
                        -days(d, a)
                    } else if d > b {
                        days(b, d)
                    } else {
                        0
                    })
                }
                _ => None,
            };
            StoppageRow {
                observed: o.clone(),
                simulated: sim,
                error_days,
            }
        })
        .collect();
    let hits = rows.iter().filter(|r| r.error_days == Some(0)).count();
    let misses = rows
        .iter()
        .filter(|r| r.observed.window.is_some() && r.simulated.is_none())
        .count();
    let false_alarms = rows
        .iter()
        .filter(|r| r.observed.window.is_none() && r.simulated.is_some())
        .count();
    let errs: Vec<f64> = rows
        .iter()
        .filter_map(|r| r.error_days.map(|e| e.abs() as f64))
        .collect();
    let mean_abs_error_days =
        (!errs.is_empty()).then(|| errs.iter().sum::<f64>() / errs.len() as f64);
    let both: Vec<(&(Date, Date), &Date)> = rows
        .iter()
        .filter_map(|r| Some((r.observed.window.as_ref()?, &r.simulated.as_ref()?.0)))
        .collect();
    let mut order = (0, 0);
    for (i, (wa, sa)) in both.iter().enumerate() {
        for (wb, sb) in &both[i + 1..] {
            // Only documented windows that do not overlap have an order.
            let before = if wa.1 < wb.0 {
                true
            } else if wb.1 < wa.0 {
                false
            } else {
                continue;
            };
            order.1 += 1;
            if (sa < sb) == before && sa != sb {
                order.0 += 1;
            }
        }
    }
    StoppageBacktest {
        rows,
        hits,
        misses,
        false_alarms,
        mean_abs_error_days,
        order,
    }
}

/// Runs `scenario` with `seed` and scores the first day each region's end-use products ran
/// short against the documented first stoppages. End-use products are the manufactured ones
/// (stage `component` or `end-use`: motors, generators, devices) with final demand in the
/// region: the documented stoppages are assembly lines, not buyers of oxide.
pub fn backtest_stoppages(
    scenario: &Scenario,
    seed: u64,
    observed: &[FirstStoppage],
) -> Result<StoppageBacktest, String> {
    let world = &scenario.world;
    for o in observed {
        if world.region(&o.region).is_none() {
            return Err(format!(
                "region `{}` of the documented stoppages is not a region of the scenario",
                o.region
            ));
        }
    }
    let summary = simulate(scenario, seed, &mut crate::record::NullSink);
    let start = scenario.settings.start;
    let mut simulated: BTreeMap<String, (Date, String)> = BTreeMap::new();
    for row in &summary.rows {
        let stage = world.products[row.product.ix()].stage;
        // A region's first stoppage is the earliest of its own and its buyer cohorts'.
        let home = world.home(row.region);
        let end_use = matches!(stage, Stage::Component | Stage::EndUse)
            && world
                .demands
                .iter()
                .any(|d| world.home(d.region) == home && d.product == row.product);
        let Some(day) = row.first_stockout.filter(|_| end_use) else {
            continue;
        };
        let date = start
            .checked_add(jiff::Span::new().days(i64::from(day)))
            .map_err(|e| e.to_string())?;
        let code = world.regions[home.ix()].code.clone();
        let product = world.products[row.product.ix()].code.clone();
        let entry = simulated.entry(code).or_insert((date, product.clone()));
        if date < entry.0 {
            *entry = (date, product);
        }
    }
    Ok(score_stoppages(observed, &simulated))
}

// ---- Fit on part of the series, report the rest ------------------------------------------

/// Why `--fit` cannot set a parameter to a value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    #[error("`{name}` is not a parameter a fit can set")]
    UnknownParameter {
        name: String,
        /// What it can set on this scenario: [`FIT_SETTINGS`] and the uncertain parameters.
        known: Vec<String>,
    },
    #[error("{name} = {value} is outside {range}")]
    OutOfRange {
        name: String,
        value: f64,
        range: String,
    },
    #[error("a fit needs at least one value of `{0}`")]
    NoValues(String),
}

/// The scenario settings a fit can set, besides the scenario's uncertain parameters.
pub const FIT_SETTINGS: [&str; 2] = ["adaptation-rate", "fill-memory-days"];

/// `central` with parameter `name` at `value`: a setting of [`FIT_SETTINGS`] (checked as the
/// scenario parser checks it), or an uncertain parameter of `unc` named by its label (e.g.
/// `event E003 approval`; inside its distribution's support), every other uncertain parameter
/// at its central value, so that the scenario is the central one but for `name`.
pub fn with_parameter(
    central: &Scenario,
    unc: &Uncertainty,
    name: &str,
    value: f64,
) -> Result<Scenario, FitError> {
    let out_of = |range: &str| FitError::OutOfRange {
        name: name.into(),
        value,
        range: range.into(),
    };
    match name {
        "adaptation-rate" => {
            if !(0.0..=1.0).contains(&value) {
                return Err(out_of("[0, 1]"));
            }
            let mut s = central.clone();
            s.settings.adaptation_rate = value;
            return Ok(s);
        }
        "fill-memory-days" => {
            if !(value > 0.0 && value.is_finite()) {
                return Err(out_of("(0, ∞) days"));
            }
            let mut s = central.clone();
            s.settings.fill_memory_days = value;
            return Ok(s);
        }
        _ => {}
    }
    let Some(i) = unc.params.iter().position(|p| p.label == name) else {
        let mut known: Vec<String> = FIT_SETTINGS.iter().map(|s| s.to_string()).collect();
        known.extend(unc.params.iter().map(|p| p.label.clone()));
        return Err(FitError::UnknownParameter {
            name: name.into(),
            known,
        });
    };
    let (lo, hi) = unc.params[i].dist.support();
    if !(lo..=hi).contains(&value) {
        return Err(out_of(&format!("its distribution's support [{lo}, {hi}]")));
    }
    let mut values: Vec<f64> = unc.params.iter().map(|p| p.dist.central()).collect();
    values[i] = value;
    Ok(central.with_draws(unc, &values))
}

/// One value of a fit: the exports backtest's errors over the fitting window and over the
/// held-out months ([`Backtest::split`]).
#[derive(Debug, Clone, PartialEq)]
pub struct FitPoint {
    pub value: f64,
    pub fit: Vec<SeriesError>,
    pub held_out: Vec<SeriesError>,
}

/// A grid fit of one parameter: every value's errors and the one with the least
/// [`objective`] over the fitting window (the first of equals; `None` when no value has an
/// observed month in the window).
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub parameter: String,
    pub hold_out_from: Month,
    pub points: Vec<FitPoint>,
    pub best: Option<usize>,
}

/// Runs the exports backtest of `central` with `parameter` at each of `values` (on a local
/// pool of `threads` threads; the result does not depend on it) and chooses the value with the
/// least in-window objective. Its held-out errors are then an out-of-sample figure: the
/// held-out months played no part in the choice.
#[allow(clippy::too_many_arguments)]
pub fn fit_exports(
    central: &Scenario,
    unc: &Uncertainty,
    parameter: &str,
    values: &[f64],
    seed: u64,
    exporter: &str,
    products: &[ProductId],
    observed: &[Observation],
    hold_out_from: Month,
    threads: usize,
) -> Result<Fit, String> {
    if values.is_empty() {
        return Err(FitError::NoValues(parameter.into()).to_string());
    }
    let scenarios = values
        .iter()
        .map(|&v| with_parameter(central, unc, parameter, v))
        .collect::<Result<Vec<Scenario>, FitError>>()
        .map_err(|e| e.to_string())?;
    let run = |(s, &value): (&Scenario, &f64)| -> Result<FitPoint, String> {
        let bt = backtest(s, seed, exporter, products.to_vec(), observed)?;
        let (fit, held_out) = bt.split(hold_out_from);
        Ok(FitPoint {
            value,
            fit,
            held_out,
        })
    };
    let runs = || -> Result<Vec<FitPoint>, String> {
        use rayon::prelude::*;
        scenarios.par_iter().zip(values).map(run).collect()
    };
    let points = match rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
    {
        Ok(pool) => pool.install(runs)?,
        Err(_) => scenarios
            .iter()
            .zip(values)
            .map(run)
            .collect::<Result<_, _>>()?,
    };
    let mut best: Option<usize> = None;
    for (i, p) in points.iter().enumerate() {
        let o = objective(&p.fit);
        if !o.is_nan() && best.is_none_or(|b| o < objective(&points[b].fit)) {
            best = Some(i);
        }
    }
    Ok(Fit {
        parameter: parameter.into(),
        hold_out_from,
        points,
        best,
    })
}

// ---- Prices ---------------------------------------------------------------------------------

/// Observed 2025 price ratios (China's own change; the premium outside China), embedded.
pub const PRICE_TARGETS_2025: (&str, &str) = (
    "data/observed/price-targets-2025.csv",
    include_str!("../../../data/observed/price-targets-2025.csv"),
);

/// What an observed price ratio compares.
#[derive(Debug, Clone, PartialEq)]
pub enum PriceMeasure {
    /// The region's price on the date ÷ its price on `base` (China's own price change, in
    /// local currency: no exchange rate in it).
    Change { base: Date },
    /// The region's price ÷ the price of `base` on the same date (the premium outside China).
    Premium { base: String },
}

/// One observed price ratio.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceTarget {
    pub measure: PriceMeasure,
    /// Product code of the scenario's world.
    pub product: String,
    pub region: String,
    pub date: Date,
    pub value: f64,
    pub source: String,
    pub confidence: String,
}

impl PriceTarget {
    pub fn is_change(&self) -> bool {
        matches!(self.measure, PriceMeasure::Change { .. })
    }
}

/// Parses `kind,product,region,date,base,value,source,confidence`: kind `change` (base a date)
/// or `premium` (base a region); lines starting with `#` are comments. Errors name the line.
pub fn parse_price_targets(text: &str) -> Result<Vec<PriceTarget>, String> {
    let mut out = Vec::new();
    for (i, f) in data_rows(
        text,
        "kind,product,region,date,base,value,source,confidence",
    )? {
        let bad = |what: &str| format!("line {i}: {what}");
        let date = |s: &str| {
            s.parse::<Date>()
                .map_err(|e| bad(&format!("bad date `{s}`: {e}")))
        };
        let measure = match f[0] {
            "change" => PriceMeasure::Change { base: date(f[4])? },
            "premium" => PriceMeasure::Premium { base: f[4].into() },
            k => {
                return Err(bad(&format!(
                    "kind `{k}` is neither `change` nor `premium`"
                )));
            }
        };
        let value: f64 = f[5].parse().map_err(|_| bad("bad value"))?;
        if !(value > 0.0 && value.is_finite()) {
            return Err(bad("a price ratio must be positive"));
        }
        out.push(PriceTarget {
            measure,
            product: f[1].into(),
            region: f[2].into(),
            date: date(f[3])?,
            value,
            source: f[6].into(),
            confidence: f[7].into(),
        });
    }
    Ok(out)
}

/// One observed ratio against the run's.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceRow {
    pub target: PriceTarget,
    /// The run's ratio; `None` when a date is outside the run.
    pub simulated: Option<f64>,
    /// `ln(simulated / observed)`.
    pub log_error: Option<f64>,
}

/// The error of one kind of ratio: the mean of |ln(simulated / observed)| over the rows with
/// both (0 = exact; 0.69 = off by a factor of 2 on average, either way).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PriceError {
    pub n: usize,
    pub mean_abs_log: f64,
}

/// The price backtest: per observed ratio, and the error of each kind.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceBacktest {
    pub rows: Vec<PriceRow>,
    pub change: PriceError,
    pub premium: PriceError,
}

/// Runs `scenario` with `seed` (path 0, as [`simulate`]) and compares its price ratios with
/// the observed ones. A region's price is its segment's (China's own, or the rest of the
/// world's), as `timeseries.csv` reports it, on the date's day.
pub fn backtest_prices(
    scenario: &Scenario,
    seed: u64,
    targets: &[PriceTarget],
) -> Result<PriceBacktest, String> {
    let world = &scenario.world;
    let region = |code: &str| {
        world.region(code).ok_or_else(|| {
            format!("region `{code}` of the price targets is not a region of the scenario")
        })
    };
    let start = scenario.settings.start;
    let day_of = |d: &Date| -> Option<Day> {
        let days = start.until(*d).ok()?.get_days();
        u32::try_from(days)
            .ok()
            .filter(|&day| day >= scenario.settings.report_from && day < scenario.settings.days)
    };
    // Per target: (day, region, product) of its numerator and of its denominator.
    type Point = (Option<Day>, RegionId, ProductId);
    let mut wanted: Vec<(Point, Point)> = Vec::new();
    for t in targets {
        let p = world
            .products
            .iter()
            .position(|p| p.code == t.product)
            .ok_or_else(|| {
                format!(
                    "product `{}` of the price targets is not a product of the scenario",
                    t.product
                )
            })?;
        let p = ProductId(p as u32);
        let r = region(&t.region)?;
        let day = day_of(&t.date);
        let base = match &t.measure {
            PriceMeasure::Change { base } => (day_of(base), r, p),
            PriceMeasure::Premium { base } => (day, region(base)?, p),
        };
        wanted.push(((day, r, p), base));
    }
    let mut engine = crate::engine::Engine::new(scenario, seed, 0);
    let np = engine.net.np;
    // (day, price index) → price, for every point a target reads.
    let mut points: BTreeMap<(Day, usize), f64> = wanted
        .iter()
        .flat_map(|(a, b)| [*a, *b])
        .filter_map(|(day, r, p)| Some((day?, engine.net.price_of[r.ix() * np + p.ix()])))
        .map(|k| (k, f64::NAN))
        .collect();
    while !engine.finished() {
        let day = engine.state.day;
        engine.step(&mut crate::record::NullSink);
        for ((_, i), v) in points.range_mut((day, 0)..=(day, usize::MAX)) {
            *v = engine.state.market.price[*i];
        }
    }
    let price = |(day, r, p): Point| -> Option<f64> {
        let i = engine.net.price_of[r.ix() * np + p.ix()];
        points.get(&(day?, i)).copied().filter(|v| v.is_finite())
    };
    let rows: Vec<PriceRow> = targets
        .iter()
        .zip(&wanted)
        .map(|(t, &(a, b))| {
            let simulated = price(a).zip(price(b)).map(|(x, y)| x / y);
            PriceRow {
                target: t.clone(),
                simulated,
                log_error: simulated.map(|s| (s / t.value).ln()),
            }
        })
        .collect();
    let error = |change: bool| {
        let e: Vec<f64> = rows
            .iter()
            .filter(|r| r.target.is_change() == change)
            .filter_map(|r| r.log_error.map(f64::abs))
            .collect();
        PriceError {
            n: e.len(),
            mean_abs_log: if e.is_empty() {
                f64::NAN
            } else {
                e.iter().sum::<f64>() / e.len() as f64
            },
        }
    };
    Ok(PriceBacktest {
        change: error(true),
        premium: error(false),
        rows,
    })
}

// ---- Monte Carlo odds of the documented stoppages --------------------------------------------

/// A documented first stoppage against a Monte Carlo run: the fraction of paths whose first
/// end-use shortfall in the region came by the documented date (the window's latest day) and
/// by the end of that month, and the median first date. For a region where none is
/// documented, the odds of a stoppage by the end of the run (a false alarm's).
#[derive(Debug, Clone, PartialEq)]
pub struct StoppageOdds {
    pub observed: FirstStoppage,
    /// (date, fraction of paths stopped by it).
    pub by_date: Option<(Date, f64)>,
    pub by_month_end: Option<(Date, f64)>,
    pub by_run_end: (Date, f64),
    /// The first date by which half the paths had stopped; `None` when fewer did in the run.
    pub median: Option<Date>,
}

/// The odds of each documented stoppage in the Monte Carlo result `acc` of `set` (the rows
/// of `stoppages.csv`, read by region code; a region without end-use products never stops).
pub fn stoppage_odds(
    world: &World,
    reported_start: Date,
    set: &crate::montecarlo::SeriesSet,
    acc: &crate::montecarlo::Accumulator,
    observed: &[FirstStoppage],
) -> Result<Vec<StoppageOdds>, String> {
    let date_of = |day: Day| -> Option<Date> {
        reported_start
            .checked_add(jiff::Span::new().days(i64::from(day)))
            .ok()
    };
    let last = set.days.saturating_sub(1);
    let run_end = date_of(last).unwrap_or(reported_start);
    let paths = acc.paths.max(1) as f64;
    observed
        .iter()
        .map(|o| {
            let r = world.region(&o.region).ok_or_else(|| {
                format!(
                    "region `{}` of the documented stoppages is not a region of the scenario",
                    o.region
                )
            })?;
            let row = set
                .stoppage_rows
                .iter()
                .position(|row| row.region == r && row.product.is_none());
            // The fraction stopped by `d`: nothing before the run, everything counted by
            // its last day after it.
            let by = |d: Date| -> (Date, f64) {
                let Some(k) = row else { return (d, 0.0) };
                let days = reported_start.until(d).map_or(0, |s| s.get_days());
                if days < 0 {
                    return (d, 0.0);
                }
                let day = (days as Day).min(last);
                (d, acc.stopped_by(k, day) as f64 / paths)
            };
            let (by_date, by_month_end) = match o.window {
                Some((_, latest)) => (Some(by(latest)), Some(by(latest.last_of_month()))),
                None => (None, None),
            };
            Ok(StoppageOdds {
                observed: o.clone(),
                by_date,
                by_month_end,
                by_run_end: by(run_end),
                median: row.and_then(|k| acc.stop_quantile(k, 50)).and_then(date_of),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_observations_parse() {
        let obs = parse_observations(CHINA_MAGNET_EXPORTS_2025.1).expect("parses");
        assert_eq!(obs.len(), 18);
        assert!(obs.iter().all(|o| o.exporter == "CHN" && o.unit == "t"));
        let may = obs.iter().find(|o| o.month == 5 && o.importer.is_none());
        assert_eq!(may.map(|o| o.value), Some(1238.47));
    }

    #[test]
    fn the_embedded_stoppages_parse() {
        let s = parse_first_stoppages(FIRST_END_USE_STOPPAGES_2025.1).unwrap();
        let regions: Vec<&str> = s.iter().map(|s| s.region.as_str()).collect();
        assert_eq!(regions, ["USA", "JPN", "EUU", "IND", "KOR"]);
        assert!(s[4].window.is_none());
        assert!(
            parse_first_stoppages(
                "region,earliest,latest,what,source,confidence\nUSA,2025-06-01,2025-05-01,x,y,z\n"
            )
            .unwrap_err()
            .contains("line 2: latest before earliest")
        );
    }

    /// Issue 17: hits inside the window, signed days outside it, misses, false alarms, and the
    /// order of regions whose windows do not overlap.
    #[test]
    fn issue_17_stoppages_are_scored_against_their_windows() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        let obs = |region: &str, w: Option<(&str, &str)>| FirstStoppage {
            region: region.into(),
            window: w.map(|(a, b)| (d(a), d(b))),
            what: String::new(),
            source: String::new(),
            confidence: String::new(),
        };
        let observed = [
            obs("A", Some(("2025-05-20", "2025-05-31"))),
            obs("B", Some(("2025-06-10", "2025-06-10"))),
            obs("C", Some(("2025-07-01", "2025-07-31"))),
            obs("D", Some(("2025-05-01", "2025-05-02"))),
            obs("E", None),
        ];
        let sim: BTreeMap<String, (Date, String)> = [
            ("A", "2025-05-25"),
            ("B", "2025-06-01"),
            ("C", "2025-08-05"),
            ("E", "2025-09-01"),
        ]
        .into_iter()
        .map(|(r, s)| (r.to_string(), (d(s), "p".to_string())))
        .collect();
        let bt = score_stoppages(&observed, &sim);
        let errors: Vec<Option<i64>> = bt.rows.iter().map(|r| r.error_days).collect();
        assert_eq!(errors, [Some(0), Some(-9), Some(5), None, None]);
        assert_eq!((bt.hits, bt.misses, bt.false_alarms), (1, 1, 1));
        assert_eq!(bt.mean_abs_error_days, Some(14.0 / 3.0));
        // A before B before C documented; simulated A (05-25) < B (06-01) < C (08-05).
        assert_eq!(bt.order, (3, 3));
    }

    #[test]
    fn bad_observations_name_the_line() {
        let text =
            "month,exporter,importer,value,unit,source,confidence\n2025-13,CHN,all,1,t,x,high\n";
        assert_eq!(
            parse_observations(text),
            Err("line 2: month must be 01..12".into())
        );
    }
}
