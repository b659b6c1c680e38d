//! A single run's folder (docs/outputs.md): [`write_run`] runs the engine into a [`CsvSink`],
//! which streams `timeseries.csv` and `licences.csv` as the records come, then writes the
//! summary ([`SummaryOut`] rows as `summary.csv` and `summary.json`) and the [`RunManifest`],
//! all through one [`RunFolder`].

use crate::manifest::{RunManifest, SCHEMA_VERSION, program};
use crate::run_folder::{RunFolder, date_string, num, num_in};
use crate::tabular::TableFile;
use anyhow::Result;
use chokepoint_core::costs::Costs;
use chokepoint_core::engine::simulate;
use chokepoint_core::event::Day;
use chokepoint_core::ledger::{CostReport, Lever, simulate_costed};
use chokepoint_core::model::{ProductId, World};
use chokepoint_core::record::{LicenceRecord, Record, Sink, Variable};
use chokepoint_core::scenario::Scenario;
use chokepoint_core::shard::InputDigest;
use chokepoint_core::summary::{RunSummary, SummaryRow};
use jiff::civil::Date;
use serde::Serialize;
use std::collections::HashMap;

pub const TIMESERIES_HEADER: [&str; 7] = [
    "date", "region", "partner", "product", "variable", "value", "unit",
];
pub const LICENCES_HEADER: [&str; 10] = [
    "id", "exporter", "importer", "product", "quantity", "end_use", "filed", "decided", "outcome",
    "shipped",
];

/// Formats day indices as dates (`YYYY-MM-DD`), caching the last one since records come in
/// day order.
struct Dates {
    start: Date,
    last: Option<(Day, String)>,
}

impl Dates {
    fn new(start: Date) -> Self {
        Dates { start, last: None }
    }
    fn get(&mut self, day: Day) -> &str {
        if self.last.as_ref().is_none_or(|(d, _)| *d != day) {
            self.last = Some((day, date_string(self.start, day)));
        }
        &self.last.as_ref().expect("just set").1
    }
}

/// Streams records into `timeseries.csv` and licences into `licences.csv` as the engine emits
/// them. The [`Sink`] methods cannot fail, so the first I/O error is kept and later writes skipped.
struct CsvSink<'a> {
    world: &'a World,
    dates: Dates,
    units: HashMap<(Variable, ProductId), String>,
    buf: String,
    timeseries: csv::Writer<TableFile>,
    licences: csv::Writer<TableFile>,
    error: Option<anyhow::Error>,
}

impl<'a> CsvSink<'a> {
    fn new(folder: &RunFolder, world: &'a World, start: Date) -> Result<Self> {
        Ok(CsvSink {
            world,
            dates: Dates::new(start),
            units: HashMap::new(),
            buf: String::new(),
            timeseries: folder.csv("timeseries.csv", TIMESERIES_HEADER)?,
            licences: folder.csv("licences.csv", LICENCES_HEADER)?,
            error: None,
        })
    }

    fn write_record(&mut self, r: &Record) -> csv::Result<()> {
        let w = self.world;
        let unit = self
            .units
            .entry((r.variable, r.product))
            .or_insert_with(|| r.variable.unit(w, r.product));
        let partner = r.partner.map_or("", |p| w.regions[p.ix()].code.as_str());
        self.timeseries.write_record([
            self.dates.get(r.day),
            &w.regions[r.region.ix()].code,
            partner,
            &w.products[r.product.ix()].code,
            &r.variable.name(w),
            num_in(&mut self.buf, r.value),
            unit,
        ])
    }

    fn write_licence(&mut self, l: &LicenceRecord) -> csv::Result<()> {
        let w = self.world;
        let start = self.dates.start;
        let day = |d: Option<Day>| d.map(|d| date_string(start, d)).unwrap_or_default();
        self.licences.write_record([
            l.id.to_string().as_str(),
            &w.regions[l.exporter.ix()].code,
            &w.regions[l.importer.ix()].code,
            &w.products[l.product.ix()].code,
            num_in(&mut self.buf, l.quantity),
            &l.end_use,
            &date_string(start, l.filed),
            &day(l.decided),
            l.outcome.as_str(),
            &day(l.shipped),
        ])
    }

    fn finish(self, folder: &mut RunFolder) -> Result<()> {
        if let Some(e) = self.error {
            return Err(e);
        }
        folder.finish_csv(self.timeseries)?;
        folder.finish_csv(self.licences)
    }
}

impl Sink for CsvSink<'_> {
    fn record(&mut self, record: &Record) {
        crate::progress::advance(u64::from(record.day) + 1);
        if self.error.is_none()
            && let Err(e) = self.write_record(record)
        {
            self.error = Some(anyhow::Error::new(e).context("cannot write timeseries.csv"));
        }
    }
    fn licence(&mut self, licence: &LicenceRecord) {
        if self.error.is_none()
            && let Err(e) = self.write_licence(licence)
        {
            self.error = Some(anyhow::Error::new(e).context("cannot write licences.csv"));
        }
    }
}

/// One row of `summary.csv` / `summary.json` (docs/outputs.md). Non-finite numbers are absent.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryOut {
    pub region: String,
    pub product: String,
    pub unit: String,
    pub need_units: Option<f64>,
    pub shortfall_units: Option<f64>,
    pub shortfall_pct: Option<f64>,
    pub first_stockout: Option<String>,
    pub min_days_of_cover: Option<f64>,
    pub final_days_of_cover: Option<f64>,
    pub price_peak_usd_per_kg: Option<f64>,
    pub price_peak_date: String,
    pub licences_applied: u64,
    pub licences_approved: u64,
    pub licences_denied: u64,
    pub licences_pending: u64,
    pub mean_wait_days: Option<f64>,
}

const SUMMARY_HEADER: [&str; 16] = [
    "region",
    "product",
    "unit",
    "need_units",
    "shortfall_units",
    "shortfall_pct",
    "first_stockout",
    "min_days_of_cover",
    "final_days_of_cover",
    "price_peak_usd_per_kg",
    "price_peak_date",
    "licences_applied",
    "licences_approved",
    "licences_denied",
    "licences_pending",
    "mean_wait_days",
];

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// Shortfall as a percentage of need; `None` without need.
pub fn shortfall_pct(r: &SummaryRow) -> Option<f64> {
    (r.need_total > 0.0).then(|| 100.0 * r.shortfall / r.need_total)
}

impl SummaryOut {
    pub fn new(world: &World, start: Date, r: &SummaryRow) -> Self {
        let p = &world.products[r.product.ix()];
        SummaryOut {
            region: world.regions[r.region.ix()].code.clone(),
            product: p.code.clone(),
            unit: p.unit.clone(),
            need_units: finite(r.need_total),
            shortfall_units: finite(r.shortfall),
            shortfall_pct: shortfall_pct(r).and_then(finite),
            first_stockout: r.first_stockout.map(|d| date_string(start, d)),
            min_days_of_cover: finite(r.min_days_of_cover),
            final_days_of_cover: finite(r.final_days_of_cover),
            price_peak_usd_per_kg: finite(r.price_peak),
            price_peak_date: date_string(start, r.price_peak_day),
            licences_applied: r.licences_applied,
            licences_approved: r.licences_approved,
            licences_denied: r.licences_denied,
            licences_pending: r.licences_pending,
            mean_wait_days: r.mean_wait_days.and_then(finite),
        }
    }

    fn csv_fields(&self) -> [String; 16] {
        let n = |v: Option<f64>| v.map(num).unwrap_or_default();
        [
            self.region.clone(),
            self.product.clone(),
            self.unit.clone(),
            n(self.need_units),
            n(self.shortfall_units),
            n(self.shortfall_pct),
            self.first_stockout.clone().unwrap_or_default(),
            n(self.min_days_of_cover),
            n(self.final_days_of_cover),
            n(self.price_peak_usd_per_kg),
            self.price_peak_date.clone(),
            self.licences_applied.to_string(),
            self.licences_approved.to_string(),
            self.licences_denied.to_string(),
            self.licences_pending.to_string(),
            n(self.mean_wait_days),
        ]
    }
}

#[derive(Serialize)]
struct SummaryJson<'a> {
    scenario: &'a str,
    seed: u64,
    days: u32,
    start: String,
    rows: &'a [SummaryOut],
}

pub const ORIGINS_HEADER: [&str; 9] = [
    "origin",
    "exporter",
    "importer",
    "product",
    "shipped_units",
    "origin_units",
    "origin_share",
    "importer_origin_units",
    "route_share_of_importer_origin",
];

/// `origins.csv` (docs/outputs.md): the leakage table of a run that traces origins.
fn write_origins(folder: &mut RunFolder, world: &World, summary: &RunSummary) -> Result<()> {
    let code = |r: chokepoint_core::model::RegionId| world.regions[r.ix()].code.as_str();
    let share = |a: f64, b: f64| if b > 0.0 { num(a / b) } else { String::new() };
    let mut w = folder.csv("origins.csv", ORIGINS_HEADER)?;
    for r in &summary.routes {
        w.write_record([
            code(r.origin),
            code(r.exporter),
            code(r.importer),
            world.products[r.product.ix()].code.as_str(),
            &num(r.shipped),
            &num(r.origin_content),
            &share(r.origin_content, r.shipped),
            &num(r.importer_origin_total),
            &share(r.origin_content, r.importer_origin_total),
        ])?;
    }
    folder.finish_csv(w)
}

pub const COSTS_HEADER: [&str; 7] = [
    "lever", "region", "partner", "product", "end_use", "units", "usd",
];

/// `costs.csv` (docs/outputs.md): what each lever cost and what the lost output was worth.
fn write_costs(folder: &mut RunFolder, world: &World, report: &CostReport) -> Result<()> {
    let code = |r: chokepoint_core::model::RegionId| world.regions[r.ix()].code.as_str();
    let mut w = folder.csv("costs.csv", COSTS_HEADER)?;
    for r in &report.rows {
        w.write_record([
            r.lever.as_str(),
            code(r.region),
            r.partner.map_or("", code),
            r.product
                .map_or("", |p| world.products[p.ix()].code.as_str()),
            r.end_use.as_deref().unwrap_or(""),
            &num(r.units),
            &num(r.usd),
        ])?;
    }
    folder.finish_csv(w)
}

/// A few lines under the summary table: spending per lever and output lost per end use.
pub fn cost_lines(report: &CostReport) -> String {
    let musd = |x: f64| format!("{:.1}", x / 1e6);
    let mut out = String::from("\ncosts (USD million, costs.csv):");
    for lever in [
        Lever::StockpilePurchase,
        Lever::StockpileHolding,
        Lever::OfftakeFloor,
        Lever::BuildOut,
        Lever::Recycling,
        Lever::Thrifting,
        Lever::TariffExemption,
        Lever::ApprovalUplift,
    ] {
        let t = report.total(lever);
        if t != 0.0 {
            out.push_str(&format!(" {} {};", lever.as_str(), musd(t)));
        }
    }
    out.push_str(&format!(" spending {}\n", musd(report.spending())));
    let lost = report.output_lost_by_end_use();
    if !lost.is_empty() {
        out.push_str("output lost (t, USD million):");
        for (e, units, usd) in &lost {
            out.push_str(&format!(" {e} {units:.1} t {};", musd(*usd)));
        }
        out.pop();
        out.push('\n');
    }
    out
}

/// Runs the scenario into the run folder `dir` and returns the engine's summary, and with
/// `costs` the priced run (written as `costs.csv`); `args` and `inputs` go into the manifest.
/// See docs/outputs.md.
pub fn write_run(
    mut folder: RunFolder,
    scenario: &Scenario,
    costs: Option<&Costs>,
    seed: u64,
    args: Vec<String>,
    inputs: Vec<InputDigest>,
) -> Result<(RunSummary, Option<CostReport>)> {
    let world = &scenario.world;
    let start = scenario.settings.start;
    let mut sink = CsvSink::new(&folder, world, start)?;
    let (summary, priced) = match costs {
        Some(c) => {
            let (s, r) = simulate_costed(scenario, c, seed, &mut sink);
            (s, Some(r))
        }
        None => (simulate(scenario, seed, &mut sink), None),
    };
    sink.finish(&mut folder)?;

    let rows: Vec<SummaryOut> = summary
        .rows
        .iter()
        .map(|r| SummaryOut::new(world, start, r))
        .collect();
    let mut w = folder.csv("summary.csv", SUMMARY_HEADER)?;
    for r in &rows {
        w.write_record(r.csv_fields())?;
    }
    folder.finish_csv(w)?;
    if !summary.origins.is_empty() {
        write_origins(&mut folder, world, &summary)?;
    }
    if let Some(report) = &priced {
        write_costs(&mut folder, world, report)?;
    }

    let name = scenario.settings.name.as_str();
    // What the folder reports: the days after a spin-up (dates of days are from `start`).
    let days = scenario.settings.reported_days();
    let reported_start = scenario.settings.reported_start().to_string();
    folder.write_json(
        "summary.json",
        &SummaryJson {
            scenario: name,
            seed,
            days,
            start: reported_start.clone(),
            rows: &rows,
        },
    )?;
    folder.seal(|outputs| RunManifest {
        schema_version: SCHEMA_VERSION,
        program: program(),
        scenario: name.to_string(),
        seed,
        days,
        start: reported_start,
        args,
        inputs,
        outputs,
    })?;
    Ok((summary, priced))
}
