//! `chokepoint compare --strategies NONE S1 S2 ...`: strategies compared on common random
//! numbers (docs/decisions.md). The arithmetic is `chokepoint_core::strategy`; this module
//! loads the scenarios with their `[costs]`, picks the foci from `--region`, runs the paths and
//! writes the folder: `strategies.csv` (one row per focus, strategy, measure and end use) and
//! `manifest.json` (every strategy's inputs); stdout gets a headline table per focus.

use crate::inputs::{self, Decision};
use crate::limits::Allow;
use crate::manifest::{SCHEMA_VERSION, program, recorded_args};
use crate::run_folder::{OutputFile, RUN_FOLDER, RunFolder, num};
use crate::{Failure, montecarlo};
use anyhow::{Context as _, anyhow};
use chokepoint_core::model::{Stage, World};
use chokepoint_core::shard::InputDigest;
use chokepoint_core::strategy::{
    Comparison, Focus, ITEMS, Measure, Row, Strategy, compare_strategies,
};
use serde::Serialize;
use std::path::PathBuf;

/// What `compare --strategies` is asked for beside the scenarios.
pub struct StrategyArgs {
    pub paths: u64,
    pub seed: Option<u64>,
    pub threads: Option<usize>,
    pub quiet: bool,
    pub allow: Allow,
    pub out: Option<PathBuf>,
    pub table: bool,
    /// `--region`: one focus each; none means every region together.
    pub regions: Vec<String>,
    /// `--format`: strategies.csv or its Parquet twin.
    pub format: crate::tabular::Format,
}

/// The manifest of a strategies folder: every strategy's scenario and inputs.
#[derive(Serialize)]
struct StrategiesManifest {
    schema_version: u32,
    kind: String,
    program: chokepoint_core::shard::Program,
    /// The scenarios in order: the first is the reference (no action).
    strategies: Vec<String>,
    regions: Vec<String>,
    seed: u64,
    paths: u64,
    args: Vec<String>,
    inputs: Vec<InputDigest>,
    outputs: Vec<OutputFile>,
}

/// Runs the comparison and writes its folder; returns the text to print.
pub fn compare(specs: &[String], a: StrategyArgs) -> Result<String, Failure> {
    let mut loaded: Vec<(String, Decision, Vec<InputDigest>)> = Vec::new();
    for spec in specs {
        let (d, _, used) = crate::load_by(spec, None, inputs::Loaded::parse_decision)?;
        loaded.push((montecarlo::spec_stem(spec), d, used));
    }
    let runs: Vec<_> = loaded
        .iter()
        .map(|(_, d, _)| (&d.scenario, &d.uncertainty))
        .collect();
    montecarlo::check_compare_limits(&runs, a.paths, a.threads, a.allow)?;
    let seed = a.seed.unwrap_or(loaded[0].1.scenario.settings.seed);
    let strategies: Vec<Strategy> = loaded
        .iter()
        .map(|(name, d, _)| Strategy {
            name,
            scenario: &d.scenario,
            uncertainty: &d.uncertainty,
            costs: &d.costs,
        })
        .collect();
    let foci: Vec<Focus> = if a.regions.is_empty() {
        vec![Focus::world()]
    } else {
        a.regions
            .iter()
            .map(|r| Focus {
                label: r.clone(),
                regions: vec![r.clone()],
            })
            .collect()
    };
    let paths: Vec<u64> = (0..a.paths).collect();
    let threads = montecarlo::threads_or_cores(a.threads);
    let c = compare_strategies(&strategies, &foci, seed, &paths, threads).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        Failure::input(
            anyhow!("cannot compare these strategies: {}", lines.join("; ")),
            Some(
                "strategies are variants of one scenario: the same start and days, and the \
                 regions given to --region"
                    .into(),
            ),
        )
    })?;
    let bytes = table_csv(&c, &loaded[0].1.scenario.world).map_err(Failure::Run)?;
    let dir = a.out.clone().unwrap_or_else(|| {
        PathBuf::from("runs").join(format!("strategies-{}-seed{seed}", loaded[0].0))
    });
    let mut folder = RunFolder::create(&dir, &RUN_FOLDER)?.with_format(a.format);
    let mut all_inputs: Vec<InputDigest> = Vec::new();
    for (name, _, used) in &loaded {
        all_inputs.extend(used.iter().cloned().map(|mut i| {
            i.role = format!("{} ({name})", i.role);
            i
        }));
    }
    let write = || -> anyhow::Result<()> {
        folder.write_table("strategies.csv", &bytes)?;
        folder.seal(|outputs| StrategiesManifest {
            schema_version: SCHEMA_VERSION,
            kind: "strategies".into(),
            program: program(),
            strategies: specs.to_vec(),
            regions: a.regions.clone(),
            seed,
            paths: a.paths,
            args: recorded_args(),
            inputs: all_inputs,
            outputs,
        })
    };
    write()
        .with_context(|| crate::run_failed(&dir))
        .map_err(Failure::Run)?;
    let mut text = if a.table {
        String::from_utf8_lossy(&bytes).into_owned()
    } else if a.quiet {
        String::new()
    } else {
        headline(&c, seed)
    };
    text.push_str(&format!("output: {}\n", dir.display()));
    Ok(text)
}

/// The unit of the end-use products demanded for `end_use` (`units` when they differ).
fn end_use_unit(world: &World, end_use: Option<&str>) -> String {
    let mut units: Vec<&str> = world
        .demands
        .iter()
        .filter(|d| end_use.is_none_or(|e| d.end_use == e))
        .map(|d| &world.products[d.product.ix()])
        .filter(|p| matches!(p.stage, Stage::Component | Stage::EndUse))
        .map(|p| p.unit.as_str())
        .collect();
    units.sort_unstable();
    units.dedup();
    match units.as_slice() {
        [one] => (*one).to_string(),
        _ => "units".into(),
    }
}

/// A row's measure, end use and unit as `strategies.csv` names them.
fn labels(c: &Comparison, world: &World, r: &Row) -> (String, String, String) {
    let end_use = |e: Option<usize>| e.map_or_else(|| "*".to_string(), |e| c.end_uses[e].clone());
    let unit = |e: Option<usize>| end_use_unit(world, e.map(|e| c.end_uses[e].as_str()));
    match r.measure {
        Measure::Spending(item) => (
            format!("spending:{}", item.as_str()),
            "".into(),
            "USD".into(),
        ),
        Measure::SpendingTotal => ("spending:total".into(), "".into(), "USD".into()),
        Measure::Shortfall(e) => ("shortfall".into(), end_use(e), unit(e)),
        Measure::OutputLost(e) => ("output-lost-value".into(), end_use(e), "USD".into()),
        Measure::Stoppage => ("stoppage-probability".into(), "".into(), "share".into()),
        Measure::UsdPerUnitAvoided => (
            "usd-per-unit-avoided".into(),
            "*".into(),
            format!("USD/{}", unit(None)),
        ),
    }
}

/// `strategies.csv`: every row of the comparison, in the core's order.
fn table_csv(c: &Comparison, world: &World) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "focus",
        "strategy",
        "measure",
        "end_use",
        "unit",
        "mean",
        "p95",
        "mean_diff",
        "p5_diff",
        "p95_diff",
        "paths",
    ])?;
    let paths = c.paths.len().to_string();
    for r in &c.rows {
        let (measure, end_use, unit) = labels(c, world, r);
        let diff = |f: fn(&chokepoint_core::strategy::Spread) -> f64| {
            r.diff.as_ref().map_or_else(String::new, |d| num(f(d)))
        };
        w.write_record([
            c.foci[r.focus].label.as_str(),
            &c.strategies[r.strategy],
            &measure,
            &end_use,
            &unit,
            &num(r.mean),
            &num(r.p95),
            &diff(|d| d.mean),
            &diff(|d| d.p5),
            &diff(|d| d.p95),
            &paths,
        ])?;
    }
    w.into_inner().map_err(|e| anyhow!(e.to_string()))
}

/// Per focus, one line per strategy: spending, expected and P95 shortfall, P(stoppage), USD
/// per unit avoided, and the P5..P95 of the shortfall's per-path difference from no action.
fn headline(c: &Comparison, seed: u64) -> String {
    let mut out = format!(
        "{} against {}: {} paths of seed {seed} on common random numbers\n",
        c.strategies[1..].join(", "),
        c.strategies[0],
        c.paths.len()
    );
    let find = |f: usize, s: usize, m: Measure| {
        c.rows
            .iter()
            .find(|r| r.focus == f && r.strategy == s && r.measure == m)
    };
    for (f, focus) in c.foci.iter().enumerate() {
        out.push_str(&format!("  {}:\n", focus.label));
        let mut table: Vec<[String; 7]> = vec![[
            "strategy".into(),
            "spending USD".into(),
            "shortfall mean".into(),
            "P95".into(),
            "P(stoppage)".into(),
            "USD/unit avoided".into(),
            "P5..P95 of the change".into(),
        ]];
        for s in 0..c.strategies.len() {
            let get = |m| find(f, s, m);
            let mean = |m| get(m).map_or(f64::NAN, |r| r.mean);
            let short = get(Measure::Shortfall(None));
            table.push([
                c.strategies[s].clone(),
                short_usd(mean(Measure::SpendingTotal)),
                short_num(mean(Measure::Shortfall(None))),
                short_num(short.map_or(f64::NAN, |r| r.p95)),
                format!("{:.1}%", 100.0 * mean(Measure::Stoppage)),
                short_usd(mean(Measure::UsdPerUnitAvoided)),
                short.and_then(|r| r.diff).map_or_else(
                    || "-".into(),
                    |d| format!("{}..{}", short_num(d.p5), short_num(d.p95)),
                ),
            ]);
        }
        out.push_str(&crate::table::indented(&table, "    "));
    }
    out.push_str(&format!(
        "  spending: {} (strategies.csv has each, every end use and the spreads)\n",
        ITEMS.map(|i| i.as_str()).join(", ")
    ));
    out
}

/// Three significant digits; `-` when not finite.
fn short_num(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    if v == 0.0 {
        return "0".into();
    }
    let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    format!("{v:.digits$}")
}

/// USD with a k/M/bn suffix, three significant digits; `-` when not finite.
fn short_usd(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let (scale, suffix) = match v.abs() {
        x if x >= 1e9 => (1e9, " bn"),
        x if x >= 1e6 => (1e6, " M"),
        x if x >= 1e3 => (1e3, " k"),
        _ => (1.0, ""),
    };
    format!("{}{suffix}", short_num(v / scale))
}
