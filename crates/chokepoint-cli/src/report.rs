//! `chokepoint report RUN_DIR`: one self-contained HTML file drawn from a run folder (single
//! run or Monte Carlo), with every chart inline SVG ([`crate::svg`]) and no script, font or
//! link to fetch, so it opens from a file URL offline.
//!
//! [`Run`] is what the folder says (its manifest, checked files, and the scenario it names
//! when that can still be read with the same digest); [`Node`]s are the region-products that
//! matter, chosen from the results (the largest share of need lost in a single run, the most
//! expected stockout days over paths in a Monte Carlo run); [`Scan`] is the one pass over
//! the large daily file (`timeseries.csv` or `bands.csv`) that keeps only their series and the
//! flows of their products. [`build`] lays out the sections; the dashboard serves the same
//! text. A folder written with `--format parquet` reads the same: its tables come back as the
//! CSV text they were written from ([`crate::tabular::read_table`]).

use crate::Failure;
use crate::run_folder::{OutputFile, date_string, read_listed};
use crate::svg::{self, Band, Line, TimeChart, esc, short};
use anyhow::anyhow;
use chokepoint_core::scenario::Scenario;
use chokepoint_core::shard::InputDigest;
use jiff::civil::Date;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A run folder (`chokepoint run`, with or without --paths, or `merge`)
    pub run_dir: PathBuf,
    /// The HTML file to write [default: RUN_DIR/report.html]
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// An `ario --from-run RUN_DIR` output folder whose economy-wide losses to show
    #[arg(long, value_name = "DIR")]
    pub ario: Option<PathBuf>,
    /// A `chokepoint risk --out DIR` folder whose criticality indices (and exposure, when it was
    /// run with --exposure) to show beside the run
    #[arg(long, value_name = "DIR")]
    pub risk: Option<PathBuf>,
    /// How many region-products (the worst) get their own charts
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=20))]
    pub nodes: u16,
}

/// The fields of either manifest that the report reads.
#[derive(Debug, Deserialize)]
struct Manifest {
    #[serde(default)]
    kind: Option<String>,
    scenario: String,
    seed: u64,
    #[serde(default)]
    paths: Option<u64>,
    days: u32,
    start: String,
    #[serde(default)]
    args: Vec<String>,
    inputs: Vec<InputDigest>,
    outputs: Vec<OutputFile>,
}

/// A run folder as the report reads it.
pub struct Run {
    dir: PathBuf,
    manifest: Manifest,
    start: Date,
    mc: bool,
    /// The scenario named in the manifest, when it reads back with the recorded digest.
    scenario: Option<Scenario>,
    /// Why there is no scenario.
    scenario_note: Option<String>,
}

/// A region-product the report draws.
#[derive(Debug, Clone)]
struct Node {
    region: String,
    product: String,
    unit: String,
    /// Why it was chosen, in words.
    why: String,
}

/// A daily series: one value a day (single run) or the five quantiles and the mean.
type Daily = Vec<[f64; 6]>;

fn input(msg: String, hint: &str) -> Failure {
    Failure::input(anyhow!(msg), Some(hint.to_string()))
}

impl Run {
    pub fn open(dir: &Path) -> Result<Run, Failure> {
        let path = dir.join("manifest.json");
        let bytes = std::fs::read(&path).map_err(|e| {
            input(
                format!("cannot read `{}`: {e}", path.display()),
                "give the folder a `chokepoint run` wrote (it holds manifest.json)",
            )
        })?;
        let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
            input(
                format!("`{}` is not a run manifest: {e}", path.display()),
                "give the folder a `chokepoint run` wrote",
            )
        })?;
        match manifest.kind.as_deref() {
            None | Some("monte-carlo") => {}
            Some(k) => {
                return Err(input(
                    format!("`{}` is a {k} folder, not a run", dir.display()),
                    "merge shards first (`chokepoint merge`), then report on the merged folder",
                ));
            }
        }
        let start: Date = manifest
            .start
            .parse()
            .map_err(|e| input(format!("bad start date in {}: {e}", path.display()), ""))?;
        let (scenario, scenario_note) = match load_scenario(&manifest) {
            Ok(s) => (Some(s), None),
            Err(note) => (None, Some(note)),
        };
        Ok(Run {
            dir: dir.to_path_buf(),
            mc: manifest.kind.is_some(),
            manifest,
            start,
            scenario,
            scenario_note,
        })
    }

    /// The tabular file `name` (a CSV name) in the folder's format, as CSV text.
    fn read(&self, name: &str) -> Result<Vec<u8>, Failure> {
        match crate::tabular::read_table(&self.dir, &self.manifest.outputs, name)? {
            Some(bytes) => Ok(bytes),
            // Neither format is listed: the refusal names the CSV file.
            None => read_listed(&self.dir, &self.manifest.outputs, name),
        }
    }

    fn csv(&self, name: &str) -> Result<csv::Reader<std::io::Cursor<Vec<u8>>>, Failure> {
        Ok(csv::Reader::from_reader(std::io::Cursor::new(
            self.read(name)?,
        )))
    }

    fn day(&self, date: &str) -> Option<usize> {
        let d: Date = date.parse().ok()?;
        let n = (d - self.start).get_days();
        (n >= 0 && (n as u32) < self.manifest.days).then_some(n as usize)
    }

    /// The first day an event starts (the controls), if the scenario is known.
    fn controls_start(&self) -> Option<u32> {
        let s = self.scenario.as_ref()?;
        let from = s.settings.report_from;
        s.events
            .iter()
            .map(|e| e.start.saturating_sub(from))
            .min()
            .filter(|&d| d > 0)
    }
}

/// Reads the scenario the manifest names, from the library or the path as typed (relative to
/// the working directory), and its base datasets, with `--data` if the run had it; refuses it
/// when its text is not the text the run read.
fn load_scenario(m: &Manifest) -> Result<Scenario, String> {
    let Some(input) = m.inputs.iter().find(|i| i.role == "scenario") else {
        return Err("the manifest names no scenario".into());
    };
    let data = m
        .args
        .iter()
        .position(|a| a == "--data")
        .and_then(|i| m.args.get(i + 1))
        .map(PathBuf::from);
    let loaded = crate::inputs::load(&input.name)
        .map_err(|_| format!("the scenario `{}` cannot be read from here", input.name))?;
    let parsed = loaded.parse(data.as_deref());
    let scenario = parsed
        .result
        .map_err(|_| format!("the scenario `{}` no longer validates", input.name))?;
    let same = m.inputs.iter().all(|i| {
        parsed
            .used
            .iter()
            .any(|u| u.name == i.name && u.sha256 == i.sha256)
    });
    if !same {
        return Err(format!(
            "the scenario `{}` or its data changed since the run",
            input.name
        ));
    }
    Ok(scenario)
}

/// Writes the report of `args.run_dir` and returns the line to print.
pub fn report_cmd(args: ReportArgs) -> Result<String, Failure> {
    let linked = Linked {
        ario: args.ario.as_deref(),
        risk: args.risk.as_deref(),
    };
    let html = build(&args.run_dir, linked, usize::from(args.nodes))?;
    let out = args.out.unwrap_or_else(|| args.run_dir.join("report.html"));
    crate::run_folder::write_atomically(&out, html.as_bytes())
        .map_err(|e| Failure::Run(e.context(format!("cannot write `{}`", out.display()))))?;
    Ok(format!("report: {}\n", out.display()))
}

/// Folders of other commands whose results a report shows beside the run's.
#[derive(Default, Clone, Copy)]
pub struct Linked<'a> {
    /// An `ario --from-run` folder: economy-wide losses.
    pub ario: Option<&'a Path>,
    /// A `risk --out` folder: criticality indices and exposure.
    pub risk: Option<&'a Path>,
}

/// The report of a run folder as one HTML page.
pub fn build(dir: &Path, linked: Linked, n_nodes: usize) -> Result<String, Failure> {
    let run = Run::open(dir)?;
    let nodes = if run.mc {
        mc_nodes(&run, n_nodes)?
    } else {
        single_nodes(&run, n_nodes)?
    };
    let split = run.controls_start().or_else(|| first_licence_day(&run));
    let scan = Scan::read(&run, &nodes, split)?;
    let m = &run.manifest;
    let mut body = String::new();
    let what = match m.paths {
        Some(p) if run.mc => format!("{p} Monte Carlo paths"),
        _ => "single run".into(),
    };
    let _ = write!(
        body,
        "<h1>{}</h1><p class=\"meta\">{what}, seed {}, {} days from {}. Folder <code>{}</code>.</p>",
        esc(&m.scenario),
        m.seed,
        m.days,
        m.start,
        esc(&dir.display().to_string())
    );
    body.push_str(&nodes_section(&run, &nodes));
    body.push_str(&fan_section(&run, &nodes, &scan));
    body.push_str(&stockout_section(&run, &nodes)?);
    body.push_str(&licence_section(&run)?);
    body.push_str(&flow_section(&run, &scan, split));
    body.push_str(&events_section(&run));
    if let Some(a) = linked.ario {
        body.push_str(&ario_section(a)?);
    }
    if let Some(r) = linked.risk {
        body.push_str(&risk_section(r)?);
    }
    body.push_str(&sources_section(&run));
    Ok(page(&format!("chokepoint report: {}", m.scenario), &body))
}

/// The page around `body`: one style sheet, no script.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <style>{STYLE}</style></head><body>{body}</body></html>\n",
        esc(title)
    )
}

pub const STYLE: &str = "body{font-family:sans-serif;max-width:1100px;margin:1em auto;padding:0 1em;\
color:#222}h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:1.6em}\
.meta,.note{color:#555}table{border-collapse:collapse;font-size:.9em}td,th{padding:2px 8px;\
border-bottom:1px solid #eee;text-align:left}td.n{text-align:right}svg.chart{display:block;\
margin:.6em 0;max-width:100%;height:auto}code{background:#f3f3f3;padding:0 3px}\
.errors{color:#a00;white-space:pre-wrap;font-family:monospace}\
.row{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:4px}";

fn single_nodes(run: &Run, n: usize) -> Result<Vec<Node>, Failure> {
    let mut rows: Vec<(f64, Node)> = Vec::new();
    let mut r = run.csv("summary.csv")?;
    for rec in r.records() {
        let rec = rec.map_err(|e| Failure::Run(e.into()))?;
        let pct: f64 = rec[5].parse().unwrap_or(0.0);
        if pct > 0.0 {
            let first = if rec[6].is_empty() { "none" } else { &rec[6] };
            rows.push((
                pct,
                Node {
                    region: rec[0].into(),
                    product: rec[1].into(),
                    unit: rec[2].into(),
                    why: format!(
                        "{:.1}% of need not served ({} {}), first stockout {first}",
                        pct,
                        short(rec[4].parse().unwrap_or(f64::NAN)),
                        &rec[2]
                    ),
                },
            ));
        }
    }
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    Ok(rows.into_iter().take(n).map(|r| r.1).collect())
}

/// Monte Carlo: the nodes with the most expected stockout days (Σ over days of the daily
/// stockout probability), a measure in days that compares products counted in any unit.
fn mc_nodes(run: &Run, n: usize) -> Result<Vec<Node>, Failure> {
    let mut days: BTreeMap<(String, String), f64> = BTreeMap::new();
    let mut r = run.csv("stockout.csv")?;
    for rec in r.records() {
        let rec = rec.map_err(|e| Failure::Run(e.into()))?;
        let p: f64 = rec[5].parse().unwrap_or(0.0);
        *days.entry((rec[1].into(), rec[2].into())).or_default() += p;
    }
    let mut units: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut r = run.csv("distributions.csv")?;
    for rec in r.records() {
        let rec = rec.map_err(|e| Failure::Run(e.into()))?;
        if &rec[0] == "shortfall_units" {
            units.insert((rec[1].into(), rec[2].into()), rec[3].into());
        }
    }
    let mut rows: Vec<(f64, (String, String))> = days
        .into_iter()
        .filter(|(_, d)| *d > 0.0)
        .map(|(k, d)| (d, k))
        .collect();
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    Ok(rows
        .into_iter()
        .take(n)
        .map(|(d, (region, product))| Node {
            unit: units
                .get(&(region.clone(), product.clone()))
                .cloned()
                .unwrap_or_default(),
            why: format!("{d:.1} expected stockout days"),
            region,
            product,
        })
        .collect())
}

/// A single run without a readable scenario: the controls start with the first licence filed.
fn first_licence_day(run: &Run) -> Option<u32> {
    if run.mc {
        return None;
    }
    let mut r = run.csv("licences.csv").ok()?;
    let rec = r.records().next()?.ok()?;
    run.day(&rec[6]).map(|d| d as u32).filter(|&d| d > 0)
}

/// What the report keeps of the daily file: the nodes' series and the flows of their products
/// before and during the controls.
struct Scan {
    /// (node index, variable) → daily values.
    series: BTreeMap<(usize, &'static str), Daily>,
    /// product → (exporter, importer) → [sum before, sum during] of daily shipments (the
    /// median in a Monte Carlo run).
    flows: BTreeMap<String, BTreeMap<(String, String), [f64; 2]>>,
}

const VARIABLES: [(&str, &str); 3] = [
    ("unmet_demand", "shortfall (unmet demand)"),
    ("days_of_cover", "days of cover"),
    ("price", "price"),
];

impl Scan {
    fn read(run: &Run, nodes: &[Node], split: Option<u32>) -> Result<Scan, Failure> {
        let days = run.manifest.days as usize;
        let products: Vec<&str> = nodes.iter().map(|n| n.product.as_str()).collect();
        let (file, value_col) = if run.mc {
            ("bands.csv", 6)
        } else {
            ("timeseries.csv", 5)
        };
        // Columns: timeseries date,region,partner,product,variable,value,unit;
        // bands date,region,partner,product,variable,unit,p5..p95,mean.
        let mut r = run.csv(file)?;
        let mut scan = Scan {
            series: BTreeMap::new(),
            flows: BTreeMap::new(),
        };
        let mut rec = csv::StringRecord::new();
        let (mut last_date, mut day) = (String::new(), None);
        while r
            .read_record(&mut rec)
            .map_err(|e| Failure::Run(e.into()))?
        {
            if rec[0] != *last_date {
                last_date = rec[0].to_string();
                day = run.day(&last_date);
            }
            let Some(d) = day else { continue };
            let variable = &rec[4];
            let number = |k: usize| rec[value_col + k].parse::<f64>().unwrap_or(f64::NAN);
            if variable == "shipments" && products.contains(&&rec[3]) {
                let during = split.is_some_and(|s| d as u32 >= s);
                let v = if run.mc { number(2) } else { number(0) };
                let cell = scan
                    .flows
                    .entry(rec[3].to_string())
                    .or_default()
                    .entry((rec[1].to_string(), rec[2].to_string()))
                    .or_default();
                cell[usize::from(during)] += v;
                continue;
            }
            let Some(&(var, _)) = VARIABLES.iter().find(|(v, _)| *v == variable) else {
                continue;
            };
            if !rec[2].is_empty() {
                continue;
            }
            for (k, n) in nodes.iter().enumerate() {
                if n.region == rec[1] && n.product == rec[3] {
                    let s = scan
                        .series
                        .entry((k, var))
                        .or_insert_with(|| vec![[f64::NAN; 6]; days]);
                    s[d] = if run.mc {
                        std::array::from_fn(number)
                    } else {
                        [number(0); 6]
                    };
                }
            }
        }
        Ok(scan)
    }
}

fn nodes_section(run: &Run, nodes: &[Node]) -> String {
    let mut s = String::from("<h2>Where it hurts</h2>");
    if nodes.is_empty() {
        s.push_str("<p>No region ran short of any product in this run.</p>");
        return s;
    }
    let how = if run.mc {
        "the most expected stockout days over paths"
    } else {
        "the largest share of need not served"
    };
    let _ = write!(
        s,
        "<p class=\"note\">The region-products with {how}, worst first; the charts below draw them.</p><table><tr><th>region</th><th>product</th><th>why</th></tr>"
    );
    for n in nodes {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&n.region),
            esc(&n.product),
            esc(&n.why)
        );
    }
    s.push_str("</table>");
    s
}

fn marks(run: &Run) -> Vec<(u32, String)> {
    let Some(s) = &run.scenario else {
        return Vec::new();
    };
    let from = s.settings.report_from;
    s.events
        .iter()
        .filter(|e| e.start >= from)
        .map(|e| (e.start - from, e.label.clone()))
        .collect()
}

fn fan_section(run: &Run, nodes: &[Node], scan: &Scan) -> String {
    let mut s = String::from("<h2>Shortfall, days of cover and prices</h2>");
    s.push_str(if run.mc {
        "<p class=\"note\">Fan charts over paths: the shaded bands are P5-P95 and P25-P75, the line the median (P50); dashed lines mark the scenario's events.</p>"
    } else {
        "<p class=\"note\">One path (a single run: no bands); dashed lines mark the scenario's events.</p>"
    });
    // A Monte Carlo run bands only the series its band choice names (issue 20): say which of
    // the worst nodes' series have none, and how to get them, instead of leaving a gap.
    let mut unbanded: Vec<String> = Vec::new();
    for (k, n) in nodes.iter().enumerate() {
        s.push_str("<div class=\"row\">");
        for (var, title) in VARIABLES {
            let Some(daily) = scan.series.get(&(k, var)) else {
                if run.mc {
                    unbanded.push(format!("{var}:{}:{}", n.region, n.product));
                }
                continue;
            };
            let unit = match var {
                "unmet_demand" => format!("{}/day", n.unit),
                "days_of_cover" => "days".into(),
                _ => "USD/kg".into(),
            };
            let col = |q: usize| daily.iter().map(|v| v[q]).collect::<Vec<f64>>();
            let (lines, bands) = if run.mc {
                (
                    vec![Line {
                        name: "P50".into(),
                        values: col(2),
                        step: false,
                    }],
                    vec![
                        Band {
                            name: "P5-P95".into(),
                            lo: col(0),
                            hi: col(4),
                            colour: 0,
                            opacity: 0.18,
                        },
                        Band {
                            name: "P25-P75".into(),
                            lo: col(1),
                            hi: col(3),
                            colour: 0,
                            opacity: 0.3,
                        },
                    ],
                )
            } else {
                (
                    vec![Line {
                        name: var.replace('_', " "),
                        values: col(0),
                        step: false,
                    }],
                    Vec::new(),
                )
            };
            let chart = TimeChart {
                title: format!("{} {}: {title}", n.region, n.product),
                unit,
                start: run.start,
                days: run.manifest.days,
                lines,
                bands,
                marks: marks(run),
                unit_interval: false,
                x_steps: false,
            };
            s.push_str(&chart.render());
        }
        s.push_str("</div>");
    }
    if !unbanded.is_empty() {
        let _ = write!(
            s,
            "<p class=\"note\">No daily bands in this run for: {}. The run banded only the series its band choice names (the default is the headline set, docs/outputs.md); run again with <code>--bands all</code> or <code>--bands headline,{}</code> to draw them.</p>",
            esc(&unbanded.join(", ")),
            esc(&unbanded.join(","))
        );
    }
    s
}

/// Stockouts by date: the probability per node and the odds of an end-use stoppage (Monte
/// Carlo), or how many region-products had stocked out by each date (single run).
fn stockout_section(run: &Run, nodes: &[Node]) -> Result<String, Failure> {
    let days = run.manifest.days as usize;
    let mut s = String::from("<h2>Stockouts by date</h2>");
    let chart = |title: &str, unit: &str, lines: Vec<Line>, unit_interval| TimeChart {
        title: title.into(),
        unit: unit.into(),
        start: run.start,
        days: run.manifest.days,
        lines,
        bands: Vec::new(),
        marks: marks(run),
        unit_interval,
        x_steps: false,
    };
    if !run.mc {
        let mut count = vec![0.0; days];
        let mut r = run.csv("summary.csv")?;
        for rec in r.records() {
            let rec = rec.map_err(|e| Failure::Run(e.into()))?;
            if let Some(d) = run.day(&rec[6]) {
                count[d..].iter_mut().for_each(|c| *c += 1.0);
            }
        }
        let line = Line {
            name: "region-products stocked out".into(),
            values: count,
            step: true,
        };
        s.push_str(
            &chart(
                "Region-products that had stocked out, by date",
                "count",
                vec![line],
                false,
            )
            .render(),
        );
        return Ok(s);
    }
    let mut per_node: Vec<Vec<f64>> = vec![vec![f64::NAN; days]; nodes.len()];
    let mut r = run.csv("stockout.csv")?;
    for rec in r.records() {
        let rec = rec.map_err(|e| Failure::Run(e.into()))?;
        if let (Some(d), Some(k)) = (
            run.day(&rec[0]),
            nodes
                .iter()
                .position(|n| n.region == rec[1] && n.product == rec[2]),
        ) {
            per_node[k][d] = rec[5].parse().unwrap_or(f64::NAN);
        }
    }
    let lines = nodes
        .iter()
        .zip(per_node)
        .map(|(n, values)| Line {
            name: format!("{} {}", n.region, n.product),
            values,
            step: true,
        })
        .collect();
    s.push_str(
        &chart(
            "Probability of a stockout that day",
            "probability",
            lines,
            true,
        )
        .render(),
    );
    let mut stops: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut r = run.csv("stoppages.csv")?;
    for rec in r.records() {
        let rec = rec.map_err(|e| Failure::Run(e.into()))?;
        if &rec[2] == "all"
            && let Some(d) = run.day(&rec[0])
        {
            stops
                .entry(rec[1].to_string())
                .or_insert_with(|| vec![f64::NAN; days])[d] = rec[5].parse().unwrap_or(f64::NAN);
        }
    }
    let lines: Vec<Line> = stops
        .into_iter()
        .filter(|(_, v)| v.last().is_some_and(|p| *p > 0.0))
        .take(svg::PALETTE.len())
        .map(|(region, values)| Line {
            name: region,
            values,
            step: true,
        })
        .collect();
    if !lines.is_empty() {
        s.push_str(
            &chart(
                "Probability that a region's end-use products have run short, by date",
                "probability",
                lines,
                true,
            )
            .render(),
        );
    }
    Ok(s)
}

/// The licence queue from `licences.csv`: applications filed, approved and denied to date and
/// pending at each day's end, and the distribution of waits (filing to decision).
fn licence_section(run: &Run) -> Result<String, Failure> {
    let mut s = String::from("<h2>Licence queue</h2>");
    if run.mc {
        s.push_str(&mc_licence_queue(run)?);
        return Ok(s);
    }
    let days = run.manifest.days as usize;
    let (mut applied, mut approved, mut denied) =
        (vec![0.0; days], vec![0.0; days], vec![0.0; days]);
    let mut waits: Vec<f64> = Vec::new();
    let mut r = run.csv("licences.csv")?;
    for rec in r.records() {
        let rec = rec.map_err(|e| Failure::Run(e.into()))?;
        let Some(f) = run.day(&rec[6]) else { continue };
        applied[f..].iter_mut().for_each(|c| *c += 1.0);
        if let Some(d) = run.day(&rec[7]) {
            let to = if &rec[8] == "approved" {
                &mut approved
            } else {
                &mut denied
            };
            to[d..].iter_mut().for_each(|c| *c += 1.0);
            waits.push((d - f) as f64);
        }
    }
    if applied.last().is_none_or(|n| *n == 0.0) {
        s.push_str("<p>No licence application in this run.</p>");
        return Ok(s);
    }
    let pending: Vec<f64> = (0..days)
        .map(|d| applied[d] - approved[d] - denied[d])
        .collect();
    let line = |name: &str, values: Vec<f64>| Line {
        name: name.into(),
        values,
        step: true,
    };
    let chart = TimeChart {
        title: "Licence applications to date, and pending at each day's end".into(),
        unit: "applications".into(),
        start: run.start,
        days: run.manifest.days,
        lines: vec![
            line("applied", applied),
            line("approved", approved),
            line("denied", denied),
            line("pending", pending),
        ],
        bands: Vec::new(),
        marks: marks(run),
        unit_interval: false,
        x_steps: false,
    };
    s.push_str(&chart.render());
    if !waits.is_empty() {
        let top = waits.iter().copied().fold(0.0, f64::max);
        let width = (top / 20.0).ceil().max(1.0);
        let bins = ((top / width).floor() as usize + 1).max(1);
        let mut counts = vec![0u64; bins];
        for w in &waits {
            counts[((w / width) as usize).min(bins - 1)] += 1;
        }
        let edges: Vec<f64> = (0..=bins).map(|i| i as f64 * width).collect();
        let mean = waits.iter().sum::<f64>() / waits.len() as f64;
        s.push_str(&svg::bars(
            &format!(
                "Wait from filing to decision ({} decided, mean {mean:.1} days)",
                waits.len()
            ),
            "wait",
            "days",
            &edges,
            &counts,
        ));
    }
    Ok(s)
}

/// The licence series of a Monte Carlo run's bands, by (variable, destination, exporter,
/// product): the day's five quantiles and mean.
type LicenceBands = BTreeMap<LicenceKey, Daily>;
type LicenceKey = (String, String, String, String);

const LICENCE_COUNTS: [(&str, &str); 3] = [
    ("licences_applied", "applied"),
    ("licences_approved", "approved"),
    ("licences_denied", "denied"),
];

/// The licence queue of a Monte Carlo run from its bands: per destination, a chart of the
/// applications awaiting a decision at each day's end (`licences_pending`, in the default
/// headline set: a median line and a P5-P95 band per exporter and product), and, when the run
/// banded the day's counts (`licences_applied`, `_approved`, `_denied`: filed, approved and
/// denied that day), the expected applications to date (the running sum of the counts' means:
/// a mean to date is the sum of the daily means, a median is not) with the mean wait by
/// Little's law:
///
///     mean wait ≈ Σ_d E[pending_d] / Σ_d E[applied_d]
///
/// (the expected application-days spent waiting inside the horizon over the expected number
/// filed; an application still pending at the end counts the days it has waited so far).
fn mc_licence_queue(run: &Run) -> Result<String, Failure> {
    let days = run.manifest.days as usize;
    let mut bands: LicenceBands = BTreeMap::new();
    let mut r = run.csv("bands.csv")?;
    let mut rec = csv::StringRecord::new();
    while r
        .read_record(&mut rec)
        .map_err(|e| Failure::Run(e.into()))?
    {
        if !rec[4].starts_with("licences_") {
            continue;
        }
        let Some(d) = run.day(&rec[0]) else { continue };
        let key = (
            rec[4].to_string(),
            rec[2].to_string(),
            rec[1].to_string(),
            rec[3].to_string(),
        );
        let daily = bands
            .entry(key)
            .or_insert_with(|| vec![[f64::NAN; 6]; days]);
        daily[d] = std::array::from_fn(|k| rec[6 + k].parse().unwrap_or(f64::NAN));
    }
    let no_record = "A Monte Carlo folder keeps no per-application record, so the distribution of waits is drawn in a single run's report only.";
    let of = |variable: &str| -> Vec<(&LicenceKey, &Daily)> {
        bands.iter().filter(|(k, _)| k.0 == variable).collect()
    };
    let pending = of("licences_pending");
    if pending.is_empty() {
        return Ok(format!(
            "<p class=\"note\">No licence queue bands in this run: the scenario licenses no link, or its band choice leaves out <code>licences_pending</code> (in the default headline set; <code>--bands all</code> leaves it out: run with <code>--bands all,licences_pending</code>). {no_record}</p>"
        ));
    }
    let counted = LICENCE_COUNTS.iter().any(|(v, _)| !of(v).is_empty());
    let mut s = format!(
        "<p class=\"note\">Licence applications by destination: per exporter and product, awaiting a decision at each day's end (the line is the median over paths, the shaded band P5-P95){}. {no_record}</p>",
        if counted {
            ", and the expected applications filed, approved and denied to date (the running sum of the daily means)"
        } else {
            "; the run banded no counts to date: add <code>licences_applied,licences_approved,licences_denied</code> to its bands to draw them"
        }
    );
    let col = |daily: &Daily, q: usize| daily.iter().map(|v| v[q]).collect::<Vec<f64>>();
    let chart = |title: String, lines: Vec<Line>, bands: Vec<Band>| TimeChart {
        title,
        unit: "applications".into(),
        start: run.start,
        days: run.manifest.days,
        lines,
        bands,
        marks: marks(run),
        unit_interval: false,
        x_steps: false,
    };
    let mut waits = String::new();
    for dest in unique(pending.iter().map(|(k, _)| k.1.clone())) {
        let links: Vec<_> = pending.iter().filter(|(k, _)| k.1 == dest).collect();
        let lines = links
            .iter()
            .map(|((_, _, from, product), daily)| Line {
                name: format!("{from} {product} P50"),
                values: col(daily, 2),
                step: true,
            })
            .collect();
        let fans = links
            .iter()
            .enumerate()
            .map(|(k, ((_, _, from, product), daily))| Band {
                name: format!("{from} {product} P5-P95"),
                lo: col(daily, 0),
                hi: col(daily, 4),
                colour: k,
                opacity: 0.18,
            })
            .collect();
        s.push_str(
            &chart(
                format!("Licence applications pending, to {dest}"),
                lines,
                fans,
            )
            .render(),
        );
        if !counted {
            continue;
        }
        let mut lines = Vec::new();
        for ((_, _, from, product), pend) in &links {
            for (variable, word) in LICENCE_COUNTS {
                let key = (
                    variable.to_string(),
                    dest.clone(),
                    from.clone(),
                    product.clone(),
                );
                let Some(daily) = bands.get(&key) else {
                    continue;
                };
                let to_date: Vec<f64> = daily
                    .iter()
                    .scan(0.0, |sum, v| {
                        *sum += if v[5].is_finite() { v[5] } else { 0.0 };
                        Some(*sum)
                    })
                    .collect();
                let filed = to_date.last().copied().unwrap_or(0.0);
                lines.push(Line {
                    name: format!("{from} {product} {word}"),
                    values: to_date,
                    step: true,
                });
                if variable == "licences_applied" {
                    let waited: f64 = pend.iter().map(|v| v[5]).filter(|x| x.is_finite()).sum();
                    if filed > 0.0 {
                        let _ = write!(
                            waits,
                            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{filed:.1}</td><td>{:.1}</td></tr>",
                            esc(from),
                            esc(&dest),
                            esc(product),
                            waited / filed
                        );
                    }
                }
            }
        }
        s.push_str(
            &chart(
                format!("Licence applications to date (expected), to {dest}"),
                lines,
                Vec::new(),
            )
            .render(),
        );
    }
    if !waits.is_empty() {
        let _ = write!(
            s,
            "<table id=\"licence-waits\"><tr><th>exporter</th><th>destination</th><th>product</th><th>applications filed (mean)</th><th>mean wait, days (Little's law)</th></tr>{waits}</table>"
        );
    }
    Ok(s)
}

fn flow_section(run: &Run, scan: &Scan, split: Option<u32>) -> String {
    let mut s = String::from("<h2>Flows before and during the controls</h2>");
    let days = f64::from(run.manifest.days);
    let Some(split) = split else {
        s.push_str("<p class=\"note\">The run has no control that starts after its first day: no before and after to compare.</p>");
        return s;
    };
    let _ = write!(
        s,
        "<p class=\"note\">Mean daily shipments{} by exporter (rows) and importer (columns), before {} (the first control) and from then on; domestic supply on the diagonal.</p>",
        if run.mc { " (median over paths)" } else { "" },
        date_string(run.start, split)
    );
    let windows = [f64::from(split), days - f64::from(split)];
    for (product, cells) in &scan.flows {
        let exporters: Vec<String> = unique(cells.keys().map(|k| k.0.clone()));
        let importers: Vec<String> = unique(cells.keys().map(|k| k.1.clone()));
        let panel = |w: usize| -> Vec<Vec<f64>> {
            exporters
                .iter()
                .map(|e| {
                    importers
                        .iter()
                        .map(|i| {
                            cells
                                .get(&(e.clone(), i.clone()))
                                .map_or(0.0, |c| c[w] / windows[w].max(1.0))
                        })
                        .collect()
                })
                .collect()
        };
        let unit = run
            .scenario
            .as_ref()
            .and_then(|sc| sc.world.products.iter().find(|p| &p.code == product))
            .map_or_else(|| "units/day".to_string(), |p| format!("{}/day", p.unit));
        s.push_str(&svg::matrix(
            &format!("{product}: mean daily shipments"),
            &unit,
            &exporters,
            &importers,
            &[("before".into(), panel(0)), ("during".into(), panel(1))],
        ));
    }
    s
}

fn unique(it: impl Iterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = it.collect();
    v.sort();
    v.dedup();
    v
}

fn events_section(run: &Run) -> String {
    let mut s = String::from("<h2>Events</h2>");
    let Some(sc) = &run.scenario else {
        let _ = write!(
            s,
            "<p class=\"note\">No timeline: {}.</p>",
            esc(run.scenario_note.as_deref().unwrap_or("no scenario"))
        );
        return s;
    };
    let from = sc.settings.report_from;
    let events: Vec<(String, String, u32, Option<u32>)> = sc
        .events
        .iter()
        .map(|e| {
            (
                e.label.clone(),
                e.kind.name().to_string(),
                e.start.saturating_sub(from),
                e.end.map(|d| d.saturating_sub(from)),
            )
        })
        .collect();
    if events.is_empty() {
        s.push_str("<p>The scenario has no events.</p>");
        return s;
    }
    s.push_str(&svg::timeline(
        "The scenario's events",
        run.start,
        run.manifest.days,
        &events,
    ));
    s
}

/// Economy-wide losses of a linked ARIO run: production realised, summed over every region
/// and sector, as a share lost against its first step.
fn ario_section(dir: &Path) -> Result<String, Failure> {
    let mut s = String::from("<h2>Economy-wide losses (ARIO)</h2>");
    // `run_info.json` is written last: without it the folder is not complete.
    if !dir.join("run_info.json").is_file() {
        return Err(input(
            format!("`{}` is not a complete ario folder", dir.display()),
            "give the --out folder of `chokepoint ario --from-run RUN_DIR`",
        ));
    }
    let bytes = crate::tabular::read_loose(dir, "ario.csv")?.ok_or_else(|| {
        let path = dir.join("ario.csv");
        input(format!("cannot read `{}`: not found", path.display()), "")
    })?;
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    let mut total: Vec<f64> = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| Failure::Run(e.into()))?;
        if &rec[3] != "production_realised" {
            continue;
        }
        let step: usize = rec[0].parse().unwrap_or(0);
        if total.len() <= step {
            total.resize(step + 1, 0.0);
        }
        total[step] += rec[4].parse::<f64>().unwrap_or(0.0);
    }
    let Some(&first) = total.first().filter(|v| **v > 0.0) else {
        s.push_str("<p>The ARIO run recorded no production.</p>");
        return Ok(s);
    };
    let lost: Vec<f64> = total.iter().map(|v| 100.0 * (1.0 - v / first)).collect();
    let cumulative: f64 = total.iter().map(|v| first - v).sum();
    let _ = write!(
        s,
        "<p class=\"note\">Output lost over {} steps: {} (in the MRIO's money unit a step), the largest daily loss {:.3}% of output.</p>",
        total.len(),
        short(cumulative),
        lost.iter().copied().fold(0.0, f64::max)
    );
    let chart = TimeChart {
        title: "Output lost against the first step, all regions and sectors".into(),
        unit: "% of output".into(),
        start: Date::constant(2000, 1, 1),
        days: total.len() as u32,
        lines: vec![Line {
            name: "output lost".into(),
            values: lost,
            step: false,
        }],
        bands: Vec::new(),
        marks: Vec::new(),
        unit_interval: false,
        x_steps: true,
    };
    s.push_str(&chart.render());
    Ok(s)
}

/// The criticality indices of a `chokepoint risk --out DIR` folder (issue 21): the EU 2023
/// supply risk recomputed beside the published values, the highest supply risk per region, and
/// the exposure measured by simulation when the folder has it. Tables as written, rounded.
fn risk_section(dir: &Path) -> Result<String, Failure> {
    let manifest = dir.join("manifest.json");
    let kind = std::fs::read(&manifest)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|m| m.get("kind")?.as_str().map(str::to_string));
    if kind.as_deref() != Some("risk") {
        return Err(input(
            format!("`{}` is not a complete risk folder", dir.display()),
            "give the --out folder of `chokepoint risk`",
        ));
    }
    let mut s = String::from(
        "<h2>Criticality and exposure</h2><p class=\"note\">From <code>chokepoint risk</code> (docs/criticality.md): concentration indices of the dataset's baseline and the EU 2023 supply-risk formula, with the exposure measured by simulation beside them when the folder has it.</p>",
    );
    let tables: [(&str, &str, &[&str]); 3] = [
        (
            "eu_2023.csv",
            "EU 2023 supply risk recomputed from the published inputs",
            &[
                "material",
                "stage",
                "hhi_wgi_global",
                "hhi_wgi_eu",
                "ir",
                "eol_rir",
                "si_sr",
                "sr_computed",
                "sr_published",
            ],
        ),
        (
            "supply_risk.csv",
            "Supply risk by region (the EU formula on the dataset's flows; highest stage)",
            &[
                "region",
                "element",
                "stage",
                "ir",
                "hhi_wgi_global",
                "hhi_wgi_sourcing",
                "sr",
            ],
        ),
        (
            "exposure.csv",
            "Exposure by simulation (scenarios weighted by likelihood), beside the region's highest supply risk",
            &[
                "region",
                "product",
                "expected_shortfall_per_yr",
                "p95_shortfall_per_yr",
                "p_stoppage",
                "sr_max",
                "sr_max_at",
            ],
        ),
    ];
    for (file, title, columns) in tables {
        let Some(bytes) = crate::tabular::read_loose(dir, file)? else {
            continue;
        };
        let mut r = csv::Reader::from_reader(bytes.as_slice());
        let headers = r.headers().map_err(|e| Failure::Run(e.into()))?.clone();
        let ix: Vec<usize> = columns
            .iter()
            .filter_map(|c| headers.iter().position(|h| h == *c))
            .collect();
        let _ = write!(s, "<h3>{}</h3><table><tr>", esc(title));
        for &i in &ix {
            let _ = write!(s, "<th>{}</th>", esc(&headers[i]));
        }
        s.push_str("</tr>");
        for rec in r.records() {
            let rec = rec.map_err(|e| Failure::Run(e.into()))?;
            s.push_str("<tr>");
            for &i in &ix {
                let v = &rec[i];
                let shown = match v.parse::<f64>() {
                    Ok(x) if v.contains('.') => format!("{x:.3}"),
                    _ => v.to_string(),
                };
                let _ = write!(s, "<td>{}</td>", esc(&shown));
            }
            s.push_str("</tr>");
        }
        s.push_str("</table>");
    }
    Ok(s)
}

fn sources_section(run: &Run) -> String {
    let mut s = String::from(
        "<h2>Inputs and sources</h2><table><tr><th>role</th><th>input</th><th>SHA-256</th></tr>",
    );
    for i in &run.manifest.inputs {
        let _ = write!(
            s,
            "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
            esc(&i.role),
            esc(&i.name),
            esc(&i.sha256)
        );
    }
    s.push_str("</table>");
    let Some(sc) = &run.scenario else {
        let _ = write!(
            s,
            "<p class=\"note\">Sources not listed: {}.</p>",
            esc(run.scenario_note.as_deref().unwrap_or("no scenario"))
        );
        return s;
    };
    let w = &sc.world;
    if w.sources.is_empty() {
        s.push_str("<p>The dataset cites no source (a hand-made world).</p>");
        return s;
    }
    let _ = write!(
        s,
        "<p>The dataset cites {} sources for its {} numbers (each number's source and confidence: <code>chokepoint data numbers</code>).</p><table><tr><th>id</th><th>title</th><th>address</th></tr>",
        w.sources.len(),
        w.provenance.len()
    );
    for src in &w.sources {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&src.id),
            esc(&src.title),
            esc(&src.url)
        );
    }
    s.push_str("</table>");
    s
}
