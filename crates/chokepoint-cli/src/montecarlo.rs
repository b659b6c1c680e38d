//! Monte Carlo commands: `run --paths N` (bands, stockout probabilities, distributions, per-path
//! table), `run --shard I/N` (a shard's partial result), `merge` (shards into one result),
//! `emit slurm|k8s` (job templates) and `compare` (two scenarios on common random numbers).
//! The reduction, shard identity and paired statistics live in `chokepoint_core`
//! (`montecarlo`, `shard`); this file names what they computed ([`Labels`]: a [`SeriesLabel`]
//! per band series, a [`NodeLabel`] per stockout row, a [`MetricLabel`] per per-path metric),
//! writes it through a [`RunFolder`] with an [`McManifest`], reads shards back and draws the
//! progress bar (docs/outputs.md, docs/scale-out.md).

use crate::Failure;
use crate::inputs;
use crate::limits::{self, Allow, MAX_PATHS, McPaths, McShape, Needs};
use crate::manifest::{McManifest, SCHEMA_VERSION, Sketch, program, recorded_args};
use crate::run_folder::{
    OutputFile, RUN_FOLDER, RunFolder, at_precision, date_string, num, num_in, read_listed,
};
use anyhow::{Context as _, anyhow};
use chokepoint_core::bands::Bands;
use chokepoint_core::montecarlo::{
    self, Accumulator, DecodeError, MetricKind, PairedDifference, PathRow, RELATIVE_ACCURACY,
    STOCKOUT_THRESHOLD, SeriesSet, distribution, paired_differences,
};
use chokepoint_core::scenario::Scenario;
use chokepoint_core::shard::{IdentityPart, InputDigest, RunIdentity, Shard};
use chokepoint_core::uncertain::Uncertainty;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};

/// Monte Carlo options of `run`.
#[derive(Debug, Clone, clap::Args)]
pub struct McArgs {
    /// Number of Monte Carlo paths (more than 1 writes bands, stockout probabilities,
    /// distributions and per-path rows instead of one path's time series)
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = parse_paths)]
    pub paths: u64,
    /// Worker threads [default: available cores]; results do not depend on it
    #[arg(long, value_name = "T", value_parser = parse_threads)]
    pub threads: Option<usize>,
    /// Run only shard I of N (0-based): paths I, I+N, I+2N, ...; merge shards with `merge`
    // A hyphen is allowed so that `--shard -1/4` reaches the parser, which says what is wrong
    // with it, instead of being taken for an unknown flag.
    #[arg(long, value_name = "I/N", value_parser = parse_shard, allow_hyphen_values = true)]
    pub shard: Option<Shard>,
    /// A day is a stockout of a region's product when unmet demand exceeds this fraction of
    /// the day's need (for stockout.csv)
    #[arg(long, value_name = "F", default_value_t = STOCKOUT_THRESHOLD, value_parser = parse_threshold)]
    pub stockout_threshold: f64,
    /// Series that get daily bands in bands.csv: `headline`, `all`, or terms
    /// VARIABLE[:REGION[:PRODUCT]] separated by commas (`*` any, `@STAGE` a stage's products)
    /// [default: the scenario's `bands`, else headline]
    #[arg(long, value_name = "SPEC")]
    pub bands: Option<String>,
    /// Tabular outputs as `csv` or `parquet` (typed columns, dictionary-encoded strings;
    /// needs a build with `--features parquet`)
    #[arg(long, value_name = "FORMAT", default_value = "csv", value_parser = crate::tabular::parse_format)]
    pub format: crate::tabular::Format,
    // The flags that lift the limits on output size and run time. They limit single runs too;
    // here, `montecarlo::run` gets them with the other options.
    #[command(flatten)]
    pub allow: Allow,
}

fn parse_threshold(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(f) if (0.0..1.0).contains(&f) => Ok(f),
        _ => Err(format!(
            "`{s}` is not a threshold: give a fraction of the day's need in [0, 1), e.g. 0.05"
        )),
    }
}

/// `I/N`: shard I of N, I in 0..N and N >= 1; the message says which of these `s` breaks.
pub fn parse_shard(s: &str) -> Result<Shard, String> {
    let bad = |why: String| format!("`{s}` is not a shard: {why} (write I/N, e.g. 3/100)");
    let Some((i, n)) = s.split_once('/') else {
        return Err(bad("it has no `/` between I and N".into()));
    };
    // Wider than u64, so that a negative number is told apart from a malformed one.
    let number = |x: &str| x.trim().parse::<i128>().ok();
    let (Some(i), Some(n)) = (number(i), number(n)) else {
        return Err(bad("I and N must be whole numbers".into()));
    };
    if n < 1 {
        return Err(bad(format!("N is {n}, it must be at least 1")));
    }
    if !(0..n).contains(&i) {
        let last = n - 1;
        return Err(bad(format!(
            "I is {i}, it must be in 0..{n} (from 0 to {last}: shards are numbered from 0)"
        )));
    }
    match (u64::try_from(i), u64::try_from(n)) {
        (Ok(i), Ok(n)) => Shard::new(i, n).map_err(|e| bad(e.to_string())),
        _ => Err(bad(format!("N must be at most {}", u64::MAX))),
    }
}

/// A number of paths: at least 1 (`--paths 0` used to run one path without a word).
pub fn parse_paths(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(0) => Err("a run needs at least 1 path".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "`{s}` is not a number of paths: give a whole number from 1 to {MAX_PATHS}"
        )),
    }
}

/// A number of worker threads: at least 1.
pub fn parse_threads(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("a run needs at least 1 thread".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "`{s}` is not a number of threads: give a whole number >= 1"
        )),
    }
}

/// A number of shards for `emit`: at least 1.
pub fn parse_shards(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(0) => Err("a run cannot be split into 0 shards: give at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "`{s}` is not a number of shards: give a whole number >= 1"
        )),
    }
}

/// Names of everything a result refers to, so that `merge` needs no scenario files. Written as
/// a shard's `labels.json`, each label as an array of its fields in declaration order.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Labels {
    pub start: String,
    pub days: u32,
    /// The series of `bands.csv`.
    pub series: Vec<SeriesLabel>,
    /// The rows of `stockout.csv` (nodes with a baseline need).
    pub stock_nodes: Vec<NodeLabel>,
    /// The metrics of `distributions.csv` and the columns of `paths.csv`.
    pub metrics: Vec<MetricLabel>,
    pub stockout_threshold: f64,
    /// The rows of `stoppages.csv`: a reported region with product `all` (any of its end-use
    /// products), or one of its end-use products. Absent from the labels of shards written
    /// before format 3, which `merge` refuses for their `partial.bin`.
    #[serde(default)]
    pub stoppages: Vec<NodeLabel>,
}

/// A daily series, named as in `timeseries.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "[String; 5]", from = "[String; 5]")]
pub struct SeriesLabel {
    pub variable: String,
    pub region: String,
    /// Empty for a series of one region.
    pub partner: String,
    pub product: String,
    pub unit: String,
}

/// A (region, product) node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "[String; 2]", from = "[String; 2]")]
pub struct NodeLabel {
    pub region: String,
    pub product: String,
}

/// A per-path metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "[String; 5]", from = "[String; 5]")]
pub struct MetricLabel {
    /// Its column in `paths.csv`: `METRIC:REGION:PRODUCT` or `param:<label>`.
    pub name: String,
    pub unit: String,
    /// `shortfall_units`, `price_peak_usd_per_kg`, `output_lost_units` or, for an uncertain
    /// parameter, its `name`.
    pub metric: String,
    /// Region and product; empty for an uncertain parameter.
    pub region: String,
    pub product: String,
}

/// `labels.json` writes a label as the array of its fields, in the order given here (the
/// format of shards written before the labels had names).
macro_rules! label_as_array {
    ($label:ident, $n:literal: $($field:ident),+) => {
        impl From<$label> for [String; $n] {
            fn from(l: $label) -> Self {
                [$(l.$field),+]
            }
        }

        impl From<[String; $n]> for $label {
            fn from([$($field),+]: [String; $n]) -> Self {
                $label { $($field),+ }
            }
        }
    };
}

label_as_array!(SeriesLabel, 5: variable, region, partner, product, unit);
label_as_array!(NodeLabel, 2: region, product);
label_as_array!(MetricLabel, 5: name, unit, metric, region, product);

impl Labels {
    pub(crate) fn new(s: &Scenario, set: &SeriesSet) -> Labels {
        let w = &s.world;
        let np = w.products.len();
        let region = |r: chokepoint_core::model::RegionId| w.regions[r.ix()].code.clone();
        let product = |p: chokepoint_core::model::ProductId| w.products[p.ix()].code.clone();
        Labels {
            stockout_threshold: set.stockout_threshold,
            start: s.settings.reported_start().to_string(),
            days: s.settings.reported_days(),
            series: set
                .series
                .iter()
                .map(|k| SeriesLabel {
                    variable: k.variable.as_str().to_string(),
                    region: region(k.region),
                    partner: k.partner.map_or(String::new(), region),
                    product: product(k.product),
                    unit: k.variable.unit(w, k.product),
                })
                .collect(),
            stock_nodes: set
                .stock_nodes
                .iter()
                .map(|&n| NodeLabel {
                    region: w.regions[n / np].code.clone(),
                    product: w.products[n % np].code.clone(),
                })
                .collect(),
            metrics: set
                .metrics
                .iter()
                .map(|m| {
                    let (region, product) =
                        m.node.map_or((String::new(), String::new()), |(r, p)| {
                            (region(r), product(p))
                        });
                    let metric = match m.kind {
                        MetricKind::Shortfall => "shortfall_units".to_string(),
                        MetricKind::PricePeak => "price_peak_usd_per_kg".into(),
                        MetricKind::OutputLost => "output_lost_units".into(),
                        MetricKind::Param(_) => m.name.clone(),
                    };
                    MetricLabel {
                        name: m.name.clone(),
                        unit: m.unit.clone(),
                        metric,
                        region,
                        product,
                    }
                })
                .collect(),
            stoppages: set
                .stoppage_rows
                .iter()
                .map(|row| NodeLabel {
                    region: region(row.region),
                    product: row.product.map_or_else(|| "all".to_string(), product),
                })
                .collect(),
        }
    }
}

fn write_paths_csv(
    folder: &mut RunFolder,
    labels: &Labels,
    rows: &[PathRow],
) -> anyhow::Result<()> {
    let header = std::iter::once("path").chain(labels.metrics.iter().map(|m| m.name.as_str()));
    let mut w = folder.csv("paths.csv", header)?;
    for r in rows {
        let mut rec = vec![r.path.to_string()];
        rec.extend(r.values.iter().map(|v| num(*v)));
        w.write_record(&rec)?;
    }
    folder.finish_csv(w)
}

/// Reads the per-path rows of `bytes`, the contents of the `paths.csv` at `path`.
fn read_paths_csv(path: &Path, bytes: &[u8], labels: &Labels) -> anyhow::Result<Vec<PathRow>> {
    let mut r = csv::Reader::from_reader(bytes);
    let header: Vec<String> = r.headers()?.iter().map(str::to_string).collect();
    let want: Vec<&String> = labels.metrics.iter().map(|m| &m.name).collect();
    if header.len() != want.len() + 1 || header[1..].iter().zip(&want).any(|(a, b)| a != *b) {
        return Err(anyhow!("`{}` has unexpected columns", path.display()));
    }
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec?;
        let path_ix: u64 = rec[0].parse().context("bad path index in paths.csv")?;
        let values = rec
            .iter()
            .skip(1)
            .map(|x| {
                if x.is_empty() {
                    Ok(f64::NAN)
                } else {
                    x.parse::<f64>()
                }
            })
            .collect::<Result<Vec<f64>, _>>()
            .context("bad number in paths.csv")?;
        rows.push(PathRow {
            path: path_ix,
            values,
        });
    }
    Ok(rows)
}

/// The rows of bands.csv for `days`, as CSV bytes.
fn band_rows(
    acc: &Accumulator,
    labels: &Labels,
    start: Date,
    days: std::ops::Range<u32>,
) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut buf = String::new();
    for day in days {
        let date = date_string(start, day);
        for (s, l) in labels.series.iter().enumerate() {
            let Some((q, mean)) = acc.band(day, s) else {
                continue;
            };
            for field in [
                date.as_str(),
                &l.region,
                &l.partner,
                &l.product,
                &l.variable,
                &l.unit,
            ] {
                w.write_field(field)?;
            }
            for v in q.into_iter().chain([mean]) {
                w.write_field(num_in(&mut buf, v))?;
            }
            w.write_record(None::<&[u8]>)?;
        }
    }
    w.into_inner()
        .map_err(|e| anyhow!("cannot format bands.csv: {}", e.error()))
}

/// Writes the complete result files (everything but the manifest), formatting the largest on
/// `threads` threads.
fn write_result(
    folder: &mut RunFolder,
    acc: &Accumulator,
    labels: &Labels,
    threads: usize,
) -> anyhow::Result<()> {
    let start: Date = labels.start.parse().context("bad start date")?;
    // bands.csv: rows formatted in parallel, a few days per thread at a time, written in order.
    let header = [
        "date", "region", "partner", "product", "variable", "unit", "p5", "p25", "p50", "p75",
        "p95", "mean",
    ];
    let mut f = folder
        .csv("bands.csv", header)?
        .into_inner()
        .map_err(|e| e.into_error())?;
    const DAYS_PER_TASK: u32 = 4;
    let threads = threads.max(1) as u32;
    let mut first = 0;
    while first < acc.days {
        let tasks: Vec<std::ops::Range<u32>> = (0..threads)
            .map(|k| first + k * DAYS_PER_TASK)
            .take_while(|&d| d < acc.days)
            .map(|d| d..(d + DAYS_PER_TASK).min(acc.days))
            .collect();
        let chunks: Vec<anyhow::Result<Vec<u8>>> = if tasks.len() == 1 {
            vec![band_rows(acc, labels, start, tasks[0].clone())]
        } else {
            std::thread::scope(|s| {
                let running: Vec<_> = tasks
                    .iter()
                    .map(|days| s.spawn(|| band_rows(acc, labels, start, days.clone())))
                    .collect();
                running
                    .into_iter()
                    .map(|h| {
                        h.join()
                            .unwrap_or_else(|_| Err(anyhow!("formatting bands.csv failed")))
                    })
                    .collect()
            })
        };
        for chunk in chunks {
            f.write_all(&chunk?)?;
        }
        first += threads * DAYS_PER_TASK;
    }
    folder.finish_table(f)?;
    // stockout.csv
    let mut w = folder.csv(
        "stockout.csv",
        [
            "date",
            "region",
            "product",
            "paths",
            "stockout_paths",
            "probability",
        ],
    )?;
    for day in 0..acc.days {
        let date = date_string(start, day);
        for (k, l) in labels.stock_nodes.iter().enumerate() {
            let c = acc.stockouts(day, k);
            let p = if acc.paths > 0 {
                f64::from(c) / acc.paths as f64
            } else {
                f64::NAN
            };
            w.write_record([
                date.as_str(),
                &l.region,
                &l.product,
                &acc.paths.to_string(),
                &c.to_string(),
                &num(p),
            ])?;
        }
    }
    folder.finish_csv(w)?;
    write_stoppages(folder, acc, labels, start)?;
    // distributions.csv
    let mut w = folder.csv(
        "distributions.csv",
        [
            "metric", "region", "product", "unit", "p5", "p25", "p50", "p75", "p95", "mean", "min",
            "max",
        ],
    )?;
    for (m, l) in labels.metrics.iter().enumerate() {
        // The values paths.csv holds (and a merge reads back): one process and a merge agree.
        let values: Vec<f64> = acc.rows.iter().map(|r| at_precision(r.values[m])).collect();
        let (q, mean, min, max) = distribution(&values);
        let names = [&l.metric, &l.region, &l.product, &l.unit].map(String::clone);
        w.write_record(
            names
                .into_iter()
                .chain(q.into_iter().chain([mean, min, max]).map(num)),
        )?;
    }
    folder.finish_csv(w)?;
    write_paths_csv(folder, labels, &acc.rows)
}

/// `stoppages.csv` (per date and stoppage row, the paths whose first end-use shortfall came on
/// or before it) and `stoppage_dates.csv` (per row, the quantiles of that first date).
fn write_stoppages(
    folder: &mut RunFolder,
    acc: &Accumulator,
    labels: &Labels,
    start: Date,
) -> anyhow::Result<()> {
    let probability = |c: u64| {
        if acc.paths > 0 {
            c as f64 / acc.paths as f64
        } else {
            f64::NAN
        }
    };
    let mut w = folder.csv(
        "stoppages.csv",
        [
            "date",
            "region",
            "product",
            "paths",
            "stopped_paths",
            "probability",
        ],
    )?;
    let paths = acc.paths.to_string();
    for day in 0..acc.days {
        let date = date_string(start, day);
        for (k, l) in labels.stoppages.iter().enumerate() {
            let stopped = acc.stopped_by(k, day);
            w.write_record([
                date.as_str(),
                &l.region,
                &l.product,
                &paths,
                &stopped.to_string(),
                &num(probability(stopped)),
            ])?;
        }
    }
    folder.finish_csv(w)?;
    let mut w = folder.csv(
        "stoppage_dates.csv",
        [
            "region",
            "product",
            "paths",
            "stopped_paths",
            "probability",
            "p5",
            "p25",
            "p50",
            "p75",
            "p95",
        ],
    )?;
    for (k, l) in labels.stoppages.iter().enumerate() {
        let by_end = acc.stopped_by(k, acc.days.saturating_sub(1));
        let mut rec = vec![
            l.region.clone(),
            l.product.clone(),
            paths.clone(),
            by_end.to_string(),
            num(probability(by_end)),
        ];
        for q in montecarlo::QUANTILES {
            let day = acc.stop_quantile(k, (q * 100.0).round() as u64);
            rec.push(day.map_or(String::new(), |d| date_string(start, d)));
        }
        w.write_record(&rec)?;
    }
    folder.finish_csv(w)
}

/// The run a Monte Carlo folder holds (all of it, or one shard), as its manifest records it.
struct McRun<'a> {
    scenario: &'a str,
    seed: u64,
    paths: u64,
    shard: Option<Shard>,
    inputs: Vec<InputDigest>,
    /// The band choice, as `--bands` writes it.
    bands: String,
}

/// Completes `folder` with its manifest.
fn seal(folder: RunFolder, run: McRun, labels: &Labels) -> anyhow::Result<()> {
    folder.seal(|outputs| McManifest {
        schema_version: SCHEMA_VERSION,
        kind: match run.shard {
            Some(_) => "monte-carlo-shard",
            None => "monte-carlo",
        }
        .into(),
        program: program(),
        scenario: run.scenario.into(),
        seed: run.seed,
        paths: run.paths,
        shard: run.shard,
        days: labels.days,
        start: labels.start.clone(),
        sketch: Sketch {
            kind: "DDSketch".into(),
            relative_accuracy: RELATIVE_ACCURACY,
        },
        stockout_threshold: labels.stockout_threshold,
        bands: run.bands,
        args: recorded_args(),
        inputs: run.inputs,
        outputs,
    })
}

fn progress_bar(total: u64, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} paths  {per_sec}  elapsed {elapsed}  left {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb
}

fn threads(t: Option<usize>) -> usize {
    t.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// `--threads T`, or every core when it is not given.
pub(crate) fn threads_or_cores(t: Option<usize>) -> usize {
    threads(t)
}

fn load(
    spec: &str,
    data: Option<&Path>,
) -> Result<(Scenario, Uncertainty, inputs::Loaded, Vec<InputDigest>), Failure> {
    let ((s, u), loaded, used) = crate::load_by(spec, data, inputs::Loaded::parse_uncertain)?;
    Ok((s, u, loaded, used))
}

/// `chokepoint run SCENARIO --paths N [--shard I/N]`. Returns the text to print.
pub fn run(
    spec: &str,
    data: Option<&Path>,
    seed: Option<u64>,
    out: Option<PathBuf>,
    quiet: bool,
    mc: &McArgs,
) -> Result<String, Failure> {
    let (scenario, unc, loaded, used) = load(spec, data)?;
    let seed = seed.unwrap_or(scenario.settings.seed);
    let paths = mc.paths.max(1);
    let dir = out.unwrap_or_else(|| {
        let mut tail = format!("seed{seed}-paths{paths}");
        if let Some(s) = mc.shard {
            tail.push_str(&format!("-shard{}of{}", s.index, s.count));
        }
        crate::default_out(&loaded, data, &used, &tail)
    });
    let bands = band_choice(&scenario, mc.bands.as_deref())?;
    let mut set = SeriesSet::with_bands(&scenario, &unc, &bands);
    set.stockout_threshold = mc.stockout_threshold;
    let labels = Labels::new(&scenario, &set);
    check_limits(&scenario, &set, &labels, paths, mc)?;
    let todo = match mc.shard {
        Some(s) => s.paths(paths),
        None => (0..paths).collect(),
    };
    let mut folder = RunFolder::create(&dir, &RUN_FOLDER)?.with_format(mc.format);
    let mut headline = String::new();
    let write = || -> anyhow::Result<()> {
        let pb = progress_bar(todo.len() as u64, quiet);
        crate::progress::start(todo.len() as u64, "paths", 0);
        let acc = montecarlo::run(
            &scenario,
            &unc,
            &set,
            seed,
            &todo,
            threads(mc.threads),
            &|d| {
                pb.set_position(d);
                crate::progress::advance(d);
            },
        );
        pb.finish_and_clear();
        if !quiet && mc.shard.is_none() {
            headline = crate::headline::monte_carlo(&scenario, &acc, &labels, seed);
        }
        if mc.shard.is_some() {
            folder.write("partial.bin", &acc.encode())?;
            write_paths_csv(&mut folder, &labels, &acc.rows)?;
            folder.write_json("labels.json", &labels)?;
        } else {
            write_result(&mut folder, &acc, &labels, threads(mc.threads))?;
        }
        let run = McRun {
            scenario: &scenario.settings.name,
            seed,
            paths,
            shard: mc.shard,
            inputs: used.clone(),
            bands: bands.to_string(),
        };
        seal(folder, run, &labels)
    };
    write().with_context(|| crate::run_failed(&dir))?;
    if !headline.is_empty() {
        // The headline's first line names the paths and the seed already.
        return Ok(format!("{headline}output: {}\n", dir.display()));
    }
    let what = if mc.shard.is_some() { "shard" } else { "paths" };
    Ok(format!(
        "{} {what}: {} of {paths} paths, seed {seed}\noutput: {}\n",
        scenario.settings.name,
        todo.len(),
        dir.display()
    ))
}

/// The series that get bands: `--bands SPEC` when given (checked against the scenario's
/// codes, every problem at once), else the scenario's `bands`.
fn band_choice(scenario: &Scenario, spec: Option<&str>) -> Result<Bands, Failure> {
    let Some(spec) = spec else {
        return Ok(scenario.settings.bands.clone());
    };
    let world = &scenario.world;
    let regions: Vec<&str> = world.regions.iter().map(|r| r.code.as_str()).collect();
    let products: Vec<(&str, &str)> = world
        .products
        .iter()
        .map(|p| (p.code.as_str(), p.stage.as_str()))
        .collect();
    let terms: Vec<&str> = spec.split(',').collect();
    let problems = match Bands::read(&terms, &regions, &products) {
        Ok(b) => return Ok(b),
        Err(p) => p,
    };
    let lines: Vec<String> = problems.iter().map(|(_, p)| p.to_string()).collect();
    Err(Failure::input(
        anyhow!(
            "--bands {spec}: cannot choose the series:\n  {}",
            lines.join("\n  ")
        ),
        Some(
            "write `headline`, `all`, or terms VARIABLE[:REGION[:PRODUCT]] such as \
             `price,unmet_demand:USA*:@magnet` (docs/outputs.md)"
                .into(),
        ),
    ))
}

/// Paths `shard` runs of a `paths`-path run: `index, index + count, ...` below `paths`.
fn shard_len(shard: Shard, paths: u64) -> u64 {
    match paths.checked_sub(shard.index) {
        Some(left) if left > 0 => (left - 1) / shard.count + 1,
        _ => 0,
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The needs of a Monte Carlo run of `paths` paths of `scenario` as `mc` asks for it.
fn mc_needs(
    scenario: &Scenario,
    set: &SeriesSet,
    labels: &Labels,
    paths: u64,
    mc: &McArgs,
) -> (McShape, McPaths, Needs) {
    let shape = McShape::new(scenario, set, labels);
    let run = McPaths {
        total: paths,
        here: mc.shard.map_or(paths, |s| shard_len(s, paths)),
        threads: threads(mc.threads),
        shard: mc.shard.is_some(),
    };
    let needs = limits::monte_carlo(&shape, run, cores());
    (shape, run, needs)
}

/// Refuses `--threads` above [`MAX_THREADS_PER_CORE`] a core. The workers of a run wait for
/// each other at every flush, so threads far beyond the cores do not just share them: 2,000
/// threads on 2 cores turned a 0.2-second run of `tiny-mc.toml` into one of more than a minute.
fn check_threads(t: Option<usize>) -> Result<(), Failure> {
    let cores = cores();
    let most = MAX_THREADS_PER_CORE * cores;
    match t {
        Some(t) if t > most => Err(Failure::input(
            anyhow!(
                "--threads {t} is more than {most}, {MAX_THREADS_PER_CORE} a core on this \
                 machine's {}: more threads than that only slow a run down",
                limits::count(cores as u64, "core")
            ),
            Some(format!(
                "results do not depend on the thread count: use --threads {cores}, or leave it \
                 out to use every core"
            )),
        )),
        _ => Ok(()),
    }
}

/// Most worker threads a core (`--threads`).
const MAX_THREADS_PER_CORE: usize = 8;

/// Refuses, before any work, a shard count above the paths (its last shards would have no
/// paths), threads far above the cores, and a run whose memory, time or output break the
/// [`limits`].
fn check_limits(
    scenario: &Scenario,
    set: &SeriesSet,
    labels: &Labels,
    paths: u64,
    mc: &McArgs,
) -> Result<(), Failure> {
    check_threads(mc.threads)?;
    if let Some(s) = mc.shard
        && s.count > paths
    {
        return Err(Failure::input(
            anyhow!(
                "--shard {s}: {} shards are more than the run's {} (shards {paths} to {} \
                 would have none)",
                s.count,
                limits::count(paths, "path"),
                s.count - 1
            ),
            Some(format!("use at most {paths} shards, or more paths")),
        ));
    }
    let (shape, run, needs) = mc_needs(scenario, set, labels, paths, mc);
    let mut what = format!(
        "{} of {}",
        limits::count(paths, "path"),
        scenario.settings.name
    );
    if let Some(s) = mc.shard {
        what = format!("shard {s} ({}) of {what}", limits::count(run.here, "path"));
    }
    what.push_str(&format!(
        " on {}",
        limits::count(run.threads as u64, "thread")
    ));
    limits::check(&what, &needs, mc.allow, |over, available| {
        limits::mc_hint(&shape, run, over, available)
    })
}

/// A shard folder given to `merge`, with what its manifest says.
struct ShardFolder {
    dir: PathBuf,
    shard: Shard,
    identity: RunIdentity,
    /// The files the manifest lists: `merge` reads each through [`read_listed`], which refuses
    /// one that changed after the shard was written.
    outputs: Vec<OutputFile>,
}

/// Reads the manifest of a folder given to `merge`; refuses a folder that is not a shard (a
/// shard numbered outside its run among them).
fn read_shard_folder(dir: &Path) -> Result<ShardFolder, Failure> {
    let p = dir.join("manifest.json");
    let text = fs::read_to_string(&p).map_err(|e| {
        Failure::input(
            anyhow!(e).context(format!("cannot read `{}`", p.display())),
            Some("a complete shard folder has a manifest.json; rerun the shard".into()),
        )
    })?;
    let m: McManifest = serde_json::from_str(&text).map_err(|e| {
        Failure::input(
            anyhow!(e).context(format!("`{}` is not a shard manifest", p.display())),
            Some("give folders written by `chokepoint run --shard I/N`".into()),
        )
    })?;
    match (m.shard, m.identity()) {
        // `Shard` deserialises through `Shard::new`: its index is within its count.
        (Some(shard), Some(identity)) => Ok(ShardFolder {
            dir: dir.to_path_buf(),
            shard,
            identity,
            outputs: m.outputs,
        }),
        _ => Err(Failure::input(
            anyhow!(
                "`{}` is not a shard (no `shard` in its manifest)",
                dir.display()
            ),
            Some("give folders written by `chokepoint run --shard I/N`".into()),
        )),
    }
}

/// `chokepoint merge DIR... --out DIR`.
pub fn merge(
    dirs: &[PathBuf],
    out: &Path,
    format: crate::tabular::Format,
) -> Result<String, Failure> {
    let refuse = |msg: String, hint: &str| Failure::input(anyhow!(msg), Some(hint.to_string()));
    let shards = dirs
        .iter()
        .map(|d| read_shard_folder(d))
        .collect::<Result<Vec<ShardFolder>, Failure>>()?;
    let Some(first) = shards.first() else {
        return Err(refuse(
            "no shard folders given".into(),
            "e.g. `chokepoint merge runs/x-shard* --out runs/x`",
        ));
    };
    let run = &first.identity;
    for s in &shards[1..] {
        let diffs = run.differences(&s.identity);
        if !diffs.is_empty() {
            let parts: Vec<&str> = diffs.into_iter().map(IdentityPart::as_str).collect();
            return Err(refuse(
                format!(
                    "shards `{}` and `{}` come from different runs: their {} differ",
                    first.dir.display(),
                    s.dir.display(),
                    parts.join(", ")
                ),
                "merge only shards of one `chokepoint run ... --shard I/N` command: same scenario, inputs, seed and paths",
            ));
        }
    }
    let count = run.shard_count;
    // The count comes from a manifest, outside input: up to 2⁶⁴ − 1, so it sizes nothing and
    // the missing shards are listed up to a limit.
    let mut seen = std::collections::BTreeSet::new();
    for s in &shards {
        if !seen.insert(s.shard.index) {
            return Err(refuse(
                format!(
                    "shard {} is given twice (again in `{}`)",
                    s.shard,
                    s.dir.display()
                ),
                "give each shard folder once",
            ));
        }
    }
    const LISTED: usize = 32;
    let absent = count - seen.len() as u64;
    let mut missing: Vec<String> = (0..count)
        .filter(|i| !seen.contains(i))
        .take(LISTED)
        .map(|i| i.to_string())
        .collect();
    if absent > LISTED as u64 {
        missing.push(format!("... ({absent} in all)"));
    }
    if !missing.is_empty() {
        return Err(refuse(
            format!("shards {} of {count} are missing", missing.join(", ")),
            "run the missing shards, then merge all of them",
        ));
    }
    let labels_json = read_listed(&first.dir, &first.outputs, "labels.json")?;
    let labels: Labels = serde_json::from_slice(&labels_json)
        .map_err(|e| Failure::Run(anyhow!(e).context("bad labels.json")))?;
    let mut total: Option<Accumulator> = None;
    for ShardFolder {
        dir: d, outputs, ..
    } in &shards
    {
        let bytes = read_listed(d, outputs, "partial.bin")?;
        let mut acc = Accumulator::decode(&bytes).map_err(|e| match e {
            DecodeError::Version { .. } => refuse(
                format!("`{}/partial.bin`: {e}", d.display()),
                "run every shard with the build that merges them",
            ),
            e => Failure::Run(anyhow!(e).context(format!("`{}/partial.bin`", d.display()))),
        })?;
        // A shard's per-path rows, in whichever format it was written.
        let paths_csv = crate::tabular::read_table(d, outputs, "paths.csv")?.ok_or_else(|| {
            refuse(
                format!("`{}` has no paths.csv or paths.parquet", d.display()),
                "the folder was changed or damaged after the run wrote it; rerun it",
            )
        })?;
        acc.rows = read_paths_csv(&d.join("paths.csv"), &paths_csv, &labels)?;
        match &mut total {
            None => {
                acc.rows.sort_by_key(|r| r.path);
                total = Some(acc);
            }
            Some(t) => t
                .merge(&acc)
                .map_err(|e| Failure::Run(anyhow!(e).context("cannot merge shards")))?,
        }
    }
    let acc = total.ok_or_else(|| Failure::Run(anyhow!("no shards")))?;
    let mut folder = RunFolder::create(out, &RUN_FOLDER)?.with_format(format);
    let write = || -> anyhow::Result<()> {
        write_result(&mut folder, &acc, &labels, threads(None))?;
        let merged = McRun {
            scenario: &run.scenario,
            seed: run.seed,
            paths: run.paths,
            shard: None,
            inputs: run.inputs.clone(),
            bands: run.bands.clone(),
        };
        seal(folder, merged, &labels)
    };
    write().with_context(|| format!("merge failed; `{}` was left as it was", out.display()))?;
    Ok(format!(
        "merged {} shards ({} paths)\noutput: {}\n",
        shards.len(),
        acc.paths,
        out.display()
    ))
}

/// `value` as one shell word: unchanged when it holds only characters no shell treats
/// specially, else in single quotes, each `'` written `'\''`. Control characters are refused
/// before (`emit_problems`), so the word is always one line.
pub fn sh_quote(value: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:@%+=,".contains(c);
    if !value.is_empty() && value.chars().all(plain) && !value.starts_with('-') {
        return value.to_string();
    }
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// `value` as a YAML double-quoted scalar: a JSON string is one (YAML 1.2 is a superset of
/// JSON, and its escapes are YAML's).
fn yaml_quote(value: &str) -> String {
    serde_json::Value::String(value.to_string()).to_string()
}

/// A sharded Monte Carlo run as `emit` writes it into a job.
pub struct Job<'a> {
    pub scenario: &'a str,
    pub paths: u64,
    pub seed: u64,
    pub shards: u64,
    /// Folder the shards go under (`OUT/shard-I`), merged into `OUT/merged`.
    pub out: &'a str,
    /// The binary the tasks run: a path or a name on the nodes' PATH.
    pub binary: &'a str,
    /// `--bands` for every shard; `None`: the scenario's choice.
    pub bands: Option<&'a str>,
    /// `--format` of every shard and of the merge (said only when not CSV).
    pub format: crate::tabular::Format,
}

/// What is wrong with `emit`'s arguments, every problem at once.
fn emit_problems(target: &str, job: &Job) -> Vec<String> {
    let (paths, shards) = (job.paths, job.shards);
    let mut problems = Vec::new();
    if !["slurm", "k8s"].contains(&target) {
        problems.push(format!("unknown target `{target}`: use `slurm` or `k8s`"));
    }
    if paths > MAX_PATHS {
        problems.push(format!(
            "--paths {paths}: one run counts at most {MAX_PATHS} paths (its stockout counts \
             are 32-bit)"
        ));
    }
    if shards > paths {
        problems.push(format!(
            "--shards {shards} is more than --paths {paths}: shards {paths} to {} would have no \
             paths; use at most {paths} shards",
            shards - 1
        ));
    }
    let mut values = vec![
        ("--scenario", job.scenario),
        ("--out", job.out),
        ("--binary", job.binary),
    ];
    values.extend(job.bands.map(|b| ("--bands", b)));
    for (flag, value) in values {
        if value.is_empty() {
            problems.push(format!("{flag} is empty"));
        } else if value.chars().any(char::is_control) {
            problems.push(format!(
                "{flag} {value:?} holds a control character (a newline, a tab, ...), which a \
                 job script cannot carry on one line"
            ));
        }
    }
    if let Some(b) = job.bands
        && let Err(p) = Bands::parse_spec(b)
    {
        let lines: Vec<String> = p.iter().map(ToString::to_string).collect();
        problems.push(format!("--bands {b}: {}", lines.join("; ")));
    }
    problems
}

/// `chokepoint emit slurm|k8s`: a ready job template. Every value the user gave reaches the
/// script as one word: the Slurm script quotes them once, into shell variables, and the
/// Kubernetes Job passes them as environment variables (YAML-quoted), so the shell lines hold
/// none. Slurm opens each task's log before the script runs, so the logs go to the folder
/// `sbatch` is run from, which exists, not to a folder the script would create. The binary is
/// looked up before anything is written, so a node without it fails with a message that names
/// it and `--binary`.
pub fn emit(target: &str, job: &Job) -> Result<String, Failure> {
    let problems = emit_problems(target, job);
    if !problems.is_empty() {
        return Err(Failure::input(
            anyhow!("cannot write the job:\n  {}", problems.join("\n  ")),
            Some(format!(
                "e.g. `chokepoint emit {} --paths 10000 --shards 10 --out /shared/runs/mc`",
                if target == "k8s" { "k8s" } else { "slurm" }
            )),
        ));
    }
    let Job {
        scenario,
        paths,
        seed,
        shards,
        out,
        binary,
        bands,
        format,
    } = *job;
    let last = shards - 1;
    let (q_scenario, q_out, q_bin) = (sh_quote(scenario), sh_quote(out), sh_quote(binary));
    // A fixed word, no quoting needed; absent for CSV so that a CSV job reads as before.
    let format_arg = match format {
        crate::tabular::Format::Csv => String::new(),
        f => format!(" --format {}", f.as_str()),
    };
    let merge = format!("{q_bin} merge {q_out}/shard-* --out {q_out}/merged{format_arg}");
    Ok(if target == "slurm" {
        let (bands_var, bands_arg) = match bands {
            Some(b) => (
                format!("bands={}\n", sh_quote(b)),
                " --bands \"$bands\"".to_string(),
            ),
            None => (String::new(), String::new()),
        };
        format!(
            r#"#!/bin/bash
# Slurm job array: {shards} shards of {paths} paths of {q_scenario} (seed {seed}).
# Submit with `sbatch chokepoint.sbatch` from a folder every node can write to: each task logs
# to chokepoint-JOBID_TASK.log there. (Slurm opens a task's log before the script runs, so the
# log cannot go to a folder the script creates.) When every task has finished, merge with
#   {merge}
#SBATCH --job-name=chokepoint
#SBATCH --array=0-{last}
#SBATCH --cpus-per-task=2
#SBATCH --mem=2G
#SBATCH --time=01:00:00
#SBATCH --output=chokepoint-%A_%a.log
set -euo pipefail
scenario={q_scenario}
out={q_out}
bin={q_bin}
{bands_var}if ! command -v -- "$bin" >/dev/null; then
  echo "error: the chokepoint binary \`$bin\` is not on this node (PATH=$PATH); hint: install it, or emit the job again with --binary /path/to/chokepoint" >&2
  exit 127
fi
mkdir -p -- "$out"
"$bin" run --paths {paths} --seed {seed}   --shard "${{SLURM_ARRAY_TASK_ID}}/{shards}" --threads "${{SLURM_CPUS_PER_TASK}}" --quiet{bands_arg}{format_arg}   --out="$out/shard-${{SLURM_ARRAY_TASK_ID}}" -- "$scenario"
"#
        )
    } else {
        let (y_scenario, y_out, y_bin) =
            (yaml_quote(scenario), yaml_quote(out), yaml_quote(binary));
        let (bands_env, bands_arg) = match bands {
            Some(b) => (
                format!(
                    "\n            - {{ name: BANDS, value: {} }}",
                    yaml_quote(b)
                ),
                " --bands \"$BANDS\"",
            ),
            None => (String::new(), ""),
        };
        format!(
            r#"# Kubernetes Indexed Job: {shards} shards of {paths} paths of {q_scenario} (seed {seed}).
# Apply with `kubectl apply -f chokepoint-job.yaml`. Every pod writes its shard to the shared
# volume (mounted at /runs: --out should be under it); when the Job completes, merge with
#   {merge}
apiVersion: batch/v1
kind: Job
metadata:
  name: chokepoint-mc
spec:
  completionMode: Indexed
  completions: {shards}
  parallelism: {shards}
  backoffLimit: 3
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: chokepoint
          image: chokepoint:latest   # an image with the chokepoint binary (--binary) in it
          env:
            - {{ name: SCENARIO, value: {y_scenario} }}
            - {{ name: OUT, value: {y_out} }}
            - {{ name: CHOKEPOINT, value: {y_bin} }}{bands_env}
          command: ["/bin/sh", "-c"]
          args:
            - >-
              "${{CHOKEPOINT:-chokepoint}}" run --paths {paths} --seed {seed}
              --shard "$JOB_COMPLETION_INDEX/{shards}" --threads 2 --quiet{bands_arg}{format_arg}
              --out="$OUT/shard-$JOB_COMPLETION_INDEX" -- "$SCENARIO"
          resources:
            requests: {{ cpu: "2", memory: 2Gi }}
            limits: {{ memory: 2Gi }}
          volumeMounts:
            - {{ name: runs, mountPath: /runs }}
      volumes:
        - name: runs
          persistentVolumeClaim: {{ claimName: chokepoint-runs }}
"#
        )
    })
}

/// Refuses, before any work, a comparison whose two runs together break the [`limits`]: the
/// first run's result is held while the second runs, so their memory adds up, and so do their
/// times; the output is a table on stdout.
/// The limits of a comparison of `runs` (two for `compare A B`, more for `--strategies`).
pub(crate) fn check_compare_limits(
    runs: &[(&Scenario, &Uncertainty)],
    paths: u64,
    t: Option<usize>,
    allow: Allow,
) -> Result<(), Failure> {
    check_threads(t)?;
    let mc = McArgs {
        paths,
        threads: t,
        shard: None,
        stockout_threshold: STOCKOUT_THRESHOLD,
        bands: None,
        format: crate::tabular::Format::Csv,
        allow,
    };
    let mut needs = Needs::default();
    let every = if runs.len() == 2 {
        "both runs, the second"
    } else {
        "every run, the last"
    };
    for &(s, u) in runs {
        let set = SeriesSet::new(s, u);
        let (_, _, one) = mc_needs(s, &set, &Labels::new(s, &set), paths, &mc);
        needs.memory += one.memory;
        needs.seconds += one.seconds;
        needs.memory_parts = format!("{every} {}", one.memory_parts);
        needs.time_basis = format!("{every} {}", one.time_basis);
        needs.impossible = one.impossible;
    }
    let names: Vec<&str> = runs.iter().map(|(s, _)| s.settings.name.as_str()).collect();
    let what = match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => {
            format!("comparing {paths} paths of {} and {last}", rest.join(", "))
        }
        _ => format!("comparing {paths} paths of {}", names.join("")),
    };
    limits::check(&what, &needs, allow, |over, _| {
        if over.impossible {
            format!("use at most {MAX_PATHS} paths")
        } else if over.memory {
            "use fewer paths (`compare` holds both runs' results in memory)".into()
        } else {
            "use fewer paths, or pass --allow-long-run to run it anyway".into()
        }
    })
}

/// What `compare` is asked for, beyond the two scenarios.
pub struct CompareArgs {
    pub paths: u64,
    pub seed: Option<u64>,
    pub threads: Option<usize>,
    pub quiet: bool,
    pub allow: Allow,
    /// The folder for `compare.csv` and its manifest (default `runs/compare-A-vs-B-seedN`).
    pub out: Option<PathBuf>,
    /// Print the whole CSV instead of the headline.
    pub table: bool,
    /// How `compare.csv` is written into the folder.
    pub format: crate::tabular::Format,
}

/// The manifest of a `compare` folder: both scenarios' inputs and what the table holds.
#[derive(Serialize)]
struct CompareManifest {
    schema_version: u32,
    kind: String,
    program: chokepoint_core::shard::Program,
    scenario_a: String,
    scenario_b: String,
    seed: u64,
    paths: u64,
    args: Vec<String>,
    inputs: Vec<InputDigest>,
    outputs: Vec<OutputFile>,
}

/// The name a scenario spec gives a folder: `builtin:april-2025` → `april-2025`, a file → its
/// stem.
pub(crate) fn spec_stem(spec: &str) -> String {
    spec.strip_prefix("builtin:").map_or_else(
        || {
            Path::new(spec)
                .file_stem()
                .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned())
        },
        str::to_string,
    )
}

/// How many rows of the largest differences the headline shows.
const COMPARE_HEADLINE_ROWS: usize = 12;

/// `chokepoint compare A B --paths N`: both scenarios on the same per-path streams; writes one
/// CSV row per metric the two share, with the spread of the paired difference B − A, to
/// `compare.csv` in the output folder, and prints a headline (the largest differences in
/// shortfall and price, relative to the larger mean) or, with `--table`, the whole CSV.
pub fn compare(a: &str, b: &str, c: CompareArgs) -> Result<String, Failure> {
    let (sa, ua, _, used_a) = load(a, None)?;
    let (sb, ub, _, used_b) = load(b, None)?;
    check_compare_limits(&[(&sa, &ua), (&sb, &ub)], c.paths, c.threads, c.allow)?;
    let seed = c.seed.unwrap_or(sa.settings.seed);
    let paths = c.paths;
    let all: Vec<u64> = (0..paths.max(1)).collect();
    let run_one = |s: &Scenario, u: &Uncertainty| {
        let set = SeriesSet::new(s, u);
        let pb = progress_bar(all.len() as u64, c.quiet);
        let acc = montecarlo::run(s, u, &set, seed, &all, threads(c.threads), &|d| {
            pb.set_position(d)
        });
        pb.finish_and_clear();
        (set, acc)
    };
    let (set_a, acc_a) = run_one(&sa, &ua);
    let (set_b, acc_b) = run_one(&sb, &ub);
    let labels = Labels::new(&sa, &set_a);
    let mut w = csv::Writer::from_writer(Vec::new());
    let head = [
        "metric",
        "region",
        "product",
        "unit",
        "mean_a",
        "mean_b",
        "mean_diff",
        "p5_diff",
        "p50_diff",
        "p95_diff",
        "paths",
    ];
    let werr = |e: csv::Error| Failure::Run(anyhow!(e));
    w.write_record(head).map_err(werr)?;
    let diffs = paired_differences(&set_a.metrics, &acc_a.rows, &set_b.metrics, &acc_b.rows);
    for d in &diffs {
        let l = &labels.metrics[d.metric];
        w.write_record([
            l.metric.as_str(),
            &l.region,
            &l.product,
            &l.unit,
            &num(d.mean_a),
            &num(d.mean_b),
            &num(d.mean_diff),
            &num(d.p5_diff),
            &num(d.p50_diff),
            &num(d.p95_diff),
            &paths.to_string(),
        ])
        .map_err(werr)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Failure::Run(anyhow!(e.to_string())))?;
    let dir = c.out.clone().unwrap_or_else(|| {
        PathBuf::from("runs").join(format!(
            "compare-{}-vs-{}-seed{seed}",
            spec_stem(a),
            spec_stem(b)
        ))
    });
    let mut folder = RunFolder::create(&dir, &RUN_FOLDER)?.with_format(c.format);
    let mut inputs: Vec<InputDigest> = Vec::new();
    for (side, used) in [("a", used_a), ("b", used_b)] {
        inputs.extend(used.into_iter().map(|mut i| {
            i.role = format!("{} ({side})", i.role);
            i
        }));
    }
    let write = || -> anyhow::Result<()> {
        folder.write_table("compare.csv", &bytes)?;
        folder.seal(|outputs| CompareManifest {
            schema_version: SCHEMA_VERSION,
            kind: "compare".into(),
            program: program(),
            scenario_a: a.into(),
            scenario_b: b.into(),
            seed,
            paths,
            args: recorded_args(),
            inputs,
            outputs,
        })
    };
    write()
        .with_context(|| crate::run_failed(&dir))
        .map_err(Failure::Run)?;
    let mut text = if c.table {
        String::from_utf8_lossy(&bytes).into_owned()
    } else if c.quiet {
        String::new()
    } else {
        compare_headline(a, b, seed, paths, &diffs, &labels)
    };
    text.push_str(&format!("output: {}\n", dir.display()));
    Ok(text)
}

/// The largest differences B − A in shortfall and price peaks, by size relative to the larger
/// of the two means (tonnes of different products do not compare), with the P5-P95 spread of
/// the paired difference.
fn compare_headline(
    a: &str,
    b: &str,
    seed: u64,
    paths: u64,
    diffs: &[PairedDifference],
    labels: &Labels,
) -> String {
    let mut out = format!(
        "{b} against {a}: {paths} paths of seed {seed} on common random numbers (B − A per path)\n"
    );
    let mut rows: Vec<(f64, &PairedDifference)> = diffs
        .iter()
        .filter(|d| d.mean_diff != 0.0)
        .map(|d| {
            let scale = d.mean_a.abs().max(d.mean_b.abs());
            (d.mean_diff.abs() / scale.max(f64::MIN_POSITIVE), d)
        })
        .collect();
    rows.sort_by(|x, y| y.0.total_cmp(&x.0));
    if rows.is_empty() {
        out.push_str("  no metric differs\n");
        return out;
    }
    let mut table: Vec<[String; 6]> = vec![[
        "metric".into(),
        "region".into(),
        "product".into(),
        "mean A → B".into(),
        "B − A".into(),
        "P5..P95 of B − A".into(),
    ]];
    for (_, d) in rows.iter().take(COMPARE_HEADLINE_ROWS) {
        let l = &labels.metrics[d.metric];
        table.push([
            l.metric.clone(),
            l.region.clone(),
            l.product.clone(),
            format!(
                "{} → {} {}",
                short_num(d.mean_a),
                short_num(d.mean_b),
                l.unit
            ),
            format!("{:+}", ShortSigned(d.mean_diff)),
            format!("{}..{}", short_num(d.p5_diff), short_num(d.p95_diff)),
        ]);
    }
    out.push_str(&crate::table::indented(&table, "  "));
    if rows.len() > COMPARE_HEADLINE_ROWS {
        out.push_str(&format!(
            "  and {} more differences in compare.csv\n",
            rows.len() - COMPARE_HEADLINE_ROWS
        ));
    }
    out
}

/// Three significant digits, for a headline.
fn short_num(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    format!("{v:.digits$}")
}

/// A signed number with three significant digits (`{:+}` prints its sign).
struct ShortSigned(f64);

impl std::fmt::Display for ShortSigned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = short_num(self.0);
        if f.sign_plus() && self.0 >= 0.0 {
            write!(f, "+{s}")
        } else {
            f.write_str(&s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each label is written as the array of its fields, so `labels.json` reads as before the
    /// labels had names, and reads back into the same labels.
    #[test]
    fn shard_specs_say_what_is_wrong() {
        assert_eq!(
            parse_shard(" 3 / 100 "),
            Ok(Shard {
                index: 3,
                count: 100
            })
        );
        let err = |s: &str| parse_shard(s).unwrap_err();
        assert!(err("-1/4").contains("I is -1, it must be in 0..4 (from 0 to 3"));
        assert!(err("4/4").contains("I is 4, it must be in 0..4"));
        assert!(err("0/-2").contains("N is -2, it must be at least 1"));
        assert!(err("1/18446744073709551616").contains("N must be at most"));
        assert!(err("1.5/4").contains("whole numbers"));
        assert!(err("3").contains("no `/`"));
        assert!(err("3").ends_with("(write I/N, e.g. 3/100)"));
    }

    /// A quoted word reads back as the value in a POSIX shell (`printf %s`), whatever it holds.
    #[test]
    fn shell_quoting_keeps_a_value_one_word() {
        assert_eq!(sh_quote("builtin:april-2025"), "builtin:april-2025");
        assert_eq!(sh_quote("/runs/mc"), "/runs/mc");
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
        assert_eq!(sh_quote(""), "''");
        assert_eq!(sh_quote("-x"), "'-x'");
        let values = [
            "a b", "$(id)", "`id`", "x;y", "'''", r"\\", "~", "*", "a\"b", "!x", "é ü", "%s",
        ];
        for value in values {
            let out = std::process::Command::new("sh")
                .args(["-c", &format!("printf %s {}", sh_quote(value))])
                .output()
                .unwrap();
            assert_eq!(String::from_utf8(out.stdout).unwrap(), value);
        }
    }

    #[test]
    fn labels_json_writes_each_label_as_an_array() {
        let labels = Labels {
            start: "2025-03-01".into(),
            days: 2,
            series: vec![SeriesLabel {
                variable: "shipments".into(),
                region: "CHN".into(),
                partner: "USA".into(),
                product: "oxide".into(),
                unit: "t/day".into(),
            }],
            stock_nodes: vec![NodeLabel {
                region: "USA".into(),
                product: "magnet".into(),
            }],
            metrics: vec![MetricLabel {
                name: "shortfall_units:USA:magnet".into(),
                unit: "t".into(),
                metric: "shortfall_units".into(),
                region: "USA".into(),
                product: "magnet".into(),
            }],
            stockout_threshold: 0.01,
            stoppages: vec![NodeLabel {
                region: "USA".into(),
                product: "all".into(),
            }],
        };
        let text = serde_json::to_string(&labels).unwrap();
        assert_eq!(
            text,
            r#"{"start":"2025-03-01","days":2,"series":[["shipments","CHN","USA","oxide","t/day"]],"stock_nodes":[["USA","magnet"]],"metrics":[["shortfall_units:USA:magnet","t","shortfall_units","USA","magnet"]],"stockout_threshold":0.01,"stoppages":[["USA","all"]]}"#
        );
        assert_eq!(serde_json::from_str::<Labels>(&text).unwrap(), labels);
        // Labels of a shard written before issue 17 read with no stoppage rows.
        let old = text.replace(r#","stoppages":[["USA","all"]]"#, "");
        assert!(
            serde_json::from_str::<Labels>(&old)
                .unwrap()
                .stoppages
                .is_empty()
        );
    }
}
