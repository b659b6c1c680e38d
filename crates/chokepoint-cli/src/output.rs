//! The run folder: streaming CSV sinks, summary tables and the manifest, each written to
//! `.NAME.tmp` and renamed into place when complete; `manifest.json` last (docs/outputs.md).

use crate::inputs::{Input, hex};
use anyhow::{Context as _, Result};
use chokepoint_core::engine::simulate;
use chokepoint_core::event::Day;
use chokepoint_core::model::{ProductId, World};
use chokepoint_core::record::{LicenceRecord, Record, Sink, Variable};
use chokepoint_core::scenario::Scenario;
use chokepoint_core::summary::{RunSummary, SummaryRow};
use jiff::civil::Date;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Version of the run-folder layout described in docs/outputs.md.
pub const SCHEMA_VERSION: u32 = 1;

pub const TIMESERIES_HEADER: [&str; 7] = [
    "date", "region", "partner", "product", "variable", "value", "unit",
];
pub const LICENCES_HEADER: [&str; 10] = [
    "id", "exporter", "importer", "product", "quantity", "end_use", "filed", "decided", "outcome",
    "shipped",
];

/// An output file being written: bytes go to `.NAME.tmp` in the run folder and into a SHA-256;
/// [`AtomicFile::finish`] renames the file into place. Dropped unfinished, the temp file is removed.
pub struct AtomicFile {
    name: &'static str,
    tmp: PathBuf,
    dest: PathBuf,
    w: Option<BufWriter<File>>,
    hasher: Sha256,
    bytes: u64,
}

/// A completed output file as listed in the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct OutputFile {
    pub name: &'static str,
    pub bytes: u64,
    pub sha256: String,
}

impl AtomicFile {
    pub fn create(dir: &Path, name: &'static str) -> Result<Self> {
        let tmp = dir.join(format!(".{name}.tmp"));
        let file =
            File::create(&tmp).with_context(|| format!("cannot create `{}`", tmp.display()))?;
        Ok(AtomicFile {
            name,
            tmp,
            dest: dir.join(name),
            w: Some(BufWriter::new(file)),
            hasher: Sha256::new(),
            bytes: 0,
        })
    }

    pub fn finish(mut self) -> Result<OutputFile> {
        let w = self.w.take().expect("finish is called once");
        let done = w
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|f| f.sync_all())
            .with_context(|| format!("cannot write `{}`", self.tmp.display()))
            .and_then(|()| {
                fs::rename(&self.tmp, &self.dest).with_context(|| {
                    format!(
                        "cannot rename `{}` to `{}`",
                        self.tmp.display(),
                        self.dest.display()
                    )
                })
            });
        if let Err(e) = done {
            let _ = fs::remove_file(&self.tmp);
            return Err(e);
        }
        Ok(OutputFile {
            name: self.name,
            bytes: self.bytes,
            sha256: hex(&self.hasher.clone().finalize()),
        })
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.w.as_mut().expect("not finished").write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.w.as_mut().expect("not finished").flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.w.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

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

pub fn date_string(start: Date, day: Day) -> String {
    start
        .checked_add(jiff::Span::new().days(i64::from(day)))
        .map(|d| d.to_string())
        .unwrap_or_else(|_| format!("day+{day}"))
}

/// Shortest round-trip decimal of a finite f64 (Rust's `{}`); empty for NaN and infinities.
pub fn num(buf: &mut String, v: f64) -> &str {
    buf.clear();
    if v.is_finite() {
        write!(buf, "{v}").expect("writing to a String");
    }
    buf
}

/// Streams records into `timeseries.csv` and licences into `licences.csv` as the engine emits
/// them. The [`Sink`] methods cannot fail, so the first I/O error is kept and later writes skipped.
struct CsvSink<'a> {
    world: &'a World,
    dates: Dates,
    units: HashMap<(Variable, ProductId), String>,
    buf: String,
    timeseries: csv::Writer<AtomicFile>,
    licences: csv::Writer<AtomicFile>,
    error: Option<anyhow::Error>,
}

impl<'a> CsvSink<'a> {
    fn new(dir: &Path, world: &'a World, start: Date) -> Result<Self> {
        let mut timeseries = csv::Writer::from_writer(AtomicFile::create(dir, "timeseries.csv")?);
        timeseries.write_record(TIMESERIES_HEADER)?;
        let mut licences = csv::Writer::from_writer(AtomicFile::create(dir, "licences.csv")?);
        licences.write_record(LICENCES_HEADER)?;
        Ok(CsvSink {
            world,
            dates: Dates::new(start),
            units: HashMap::new(),
            buf: String::new(),
            timeseries,
            licences,
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
            r.variable.as_str(),
            num(&mut self.buf, r.value),
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
            num(&mut self.buf, l.quantity),
            &l.end_use,
            &date_string(start, l.filed),
            &day(l.decided),
            l.outcome.as_str(),
            &day(l.shipped),
        ])
    }

    fn finish(self) -> Result<Vec<OutputFile>> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let mut out = vec![];
        for w in [self.timeseries, self.licences] {
            let f = w.into_inner().map_err(|e| e.into_error())?;
            out.push(f.finish()?);
        }
        Ok(out)
    }
}

impl Sink for CsvSink<'_> {
    fn record(&mut self, record: &Record) {
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
        let n = |v: Option<f64>| v.map(|v| format!("{v}")).unwrap_or_default();
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

#[derive(Serialize)]
struct Program {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Manifest<'a> {
    schema_version: u32,
    program: Program,
    scenario: &'a str,
    seed: u64,
    days: u32,
    start: String,
    args: &'a [String],
    inputs: &'a [Input],
    outputs: &'a [OutputFile],
}

fn write_json<T: Serialize>(dir: &Path, name: &'static str, value: &T) -> Result<OutputFile> {
    let mut f = AtomicFile::create(dir, name)?;
    serde_json::to_writer_pretty(&mut f, value)
        .map_err(io::Error::from)
        .and_then(|()| f.write_all(b"\n"))
        .with_context(|| format!("cannot write {name}"))?;
    f.finish()
}

/// Runs the scenario into `dir` and returns the engine's summary. See docs/outputs.md.
pub fn write_run(
    dir: &Path,
    scenario: &Scenario,
    seed: u64,
    args: &[String],
    inputs: &[Input],
) -> Result<RunSummary> {
    fs::create_dir_all(dir)
        .with_context(|| format!("cannot create output folder `{}`", dir.display()))?;
    // A manifest marks a complete run: remove a stale one before touching anything else.
    let manifest = dir.join("manifest.json");
    match fs::remove_file(&manifest) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(e).with_context(|| format!("cannot remove `{}`", manifest.display()));
        }
    }

    let world = &scenario.world;
    let start = scenario.settings.start;
    let mut sink = CsvSink::new(dir, world, start)?;
    let summary = simulate(scenario, seed, &mut sink);
    let mut outputs = sink.finish()?;

    let rows: Vec<SummaryOut> = summary
        .rows
        .iter()
        .map(|r| SummaryOut::new(world, start, r))
        .collect();
    let mut w = csv::Writer::from_writer(AtomicFile::create(dir, "summary.csv")?);
    w.write_record(SUMMARY_HEADER)?;
    for r in &rows {
        w.write_record(r.csv_fields())?;
    }
    let f = w.into_inner().map_err(|e| e.into_error())?;
    outputs.push(f.finish().context("cannot write summary.csv")?);

    let name = scenario.settings.name.as_str();
    let days = scenario.settings.days;
    let start_s = start.to_string();
    outputs.push(write_json(
        dir,
        "summary.json",
        &SummaryJson {
            scenario: name,
            seed,
            days,
            start: start_s.clone(),
            rows: &rows,
        },
    )?);
    outputs.sort_by_key(|o| o.name);

    write_json(
        dir,
        "manifest.json",
        &Manifest {
            schema_version: SCHEMA_VERSION,
            program: Program {
                name: env!("CARGO_BIN_NAME"),
                version: env!("CARGO_PKG_VERSION"),
            },
            scenario: name,
            seed,
            days,
            start: start_s,
            args,
            inputs,
            outputs: &outputs,
        },
    )?;
    Ok(summary)
}
