//! The `chokepoint ario` command: [`Args`] (clap; model flags named and defaulted as
//! BoARIO's `run_reference.py`), [`prepare`] (MRIO + parameters + events → a ready
//! [`Model`]), [`run`] (simulate and write tidy CSV) and [`CliError`] (exit codes: 2 for bad
//! input, 1 for a failed run).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::ValueEnum;

use crate::error::{AriError, EventError, ModelError};
use crate::events::{self, EventSpec, ImpactUnit, RecoveryFn};
use crate::mineral::{EndUseLosses, SectorMapping};
use crate::model::{InvDuration, Mode, Model, ModelKind, OrderType, Params};
use crate::mrio::{IndustryOrder, Mrio};
use crate::record::{CsvSink, Sink, StepView, Variable};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Compat {
    /// Reproduce BoARIO 0.7.2 including its quirks
    #[value(name = "boario-0.7.2")]
    Boario072,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelArg {
    Psi,
    Base,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OrderArg {
    Alt,
    Noalt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EventTypeArg {
    Arbitrary,
    Recovery,
    Rebuild,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImpactUnitArg {
    #[value(name = "share-of-capital")]
    ShareOfCapital,
    Mriot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RecoveryArg {
    Linear,
    Convexe,
    #[value(name = "convexe noscale")]
    ConvexeNoscale,
    Concave,
}

/// Run the ARIO input-output model (BoARIO-compatible) on an MRIO in the pymrio CSV layout.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "ario", about, long_about = None)]
pub struct Args {
    /// Directory with Z.csv, Y.csv and optional x.csv (pymrio layout)
    #[arg(long, visible_alias = "mriot-dir", value_name = "DIR")]
    pub mriot: PathBuf,
    /// Events in TOML (`[[event]]` tables, see docs/ario.md)
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,
    /// Events as the JSON list run_reference.py --events-json takes
    #[arg(long, value_name = "FILE")]
    pub events_json: Option<PathBuf>,
    /// Number of steps (days)
    #[arg(long, default_value_t = 365)]
    pub steps: usize,
    /// Output directory (ario.csv, run_info.json); without it only a summary is printed
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Compatibility mode reproducing a peer version's trajectories
    #[arg(long, value_enum)]
    pub compat: Option<Compat>,
    /// Unit of the MRIO (1e6 if tables are in M$)
    #[arg(long, default_value_t = 1_000_000)]
    pub monetary_factor: u64,
    #[arg(long, value_enum, default_value = "psi")]
    pub model: ModelArg,
    #[arg(long, value_enum, default_value = "alt")]
    pub order_type: OrderArg,
    #[arg(long, default_value_t = 1.0)]
    pub alpha_base: f64,
    #[arg(long, default_value_t = 1.25)]
    pub alpha_max: f64,
    #[arg(long, default_value_t = 365)]
    pub alpha_tau: u32,
    #[arg(long, default_value_t = 60)]
    pub rebuild_tau: u32,
    #[arg(long, default_value_t = 90)]
    pub main_inv_dur: u32,
    #[arg(long, default_value_t = 0.80)]
    pub psi: f64,
    #[arg(long, default_value_t = 60)]
    pub inv_restoration_tau: u32,
    /// Sectors whose inputs never run short
    #[arg(long, num_args = 0.., value_name = "SECTOR")]
    pub infinite_inv_sectors: Vec<String>,
    /// JSON {sector: days | "inf"} (compat mode: must list all sectors, as BoARIO)
    #[arg(long, value_name = "FILE")]
    pub inventory_json: Option<PathBuf>,
    /// Single shock (as run_reference.py; ignored with --events/--events-json)
    #[arg(long, value_enum, default_value = "none")]
    pub event_type: EventTypeArg,
    #[arg(long, num_args = 1.., value_name = "REGION")]
    pub regions: Vec<String>,
    #[arg(long, num_args = 1.., value_name = "SECTOR")]
    pub sectors: Vec<String>,
    #[arg(long, default_value_t = 0.5)]
    pub impact: f64,
    #[arg(long, value_enum, default_value = "share-of-capital")]
    pub impact_unit: ImpactUnitArg,
    #[arg(long, default_value_t = 10)]
    pub occurrence: usize,
    #[arg(long, default_value_t = 60)]
    pub duration: usize,
    #[arg(long, default_value_t = 30)]
    pub recovery_tau: u32,
    #[arg(long, value_enum, default_value = "linear")]
    pub recovery_function: RecoveryArg,
    #[arg(long)]
    pub event_rebuild_tau: Option<u32>,
    #[arg(
        long,
        default_value = r#"{"construction": 0.55, "manufactoring": 0.45}"#
    )]
    pub rebuilding_sectors: String,
    /// Also write inventories (inputs_stocks.csv: step,input,region,sector,value)
    #[arg(long)]
    pub register_stocks: bool,
    /// Comma-separated variables to write (default: all BoARIO records)
    #[arg(long, value_delimiter = ',')]
    pub variables: Vec<String>,
    /// With --out, write only run_info.json (timing runs)
    #[arg(long)]
    pub no_csv: bool,
    /// A `chokepoint run` output folder whose daily end-use shortfalls become production
    /// losses of MRIO industries (needs --mapping; step 0 = the run's first day)
    #[arg(long, value_name = "DIR", requires = "mapping")]
    pub from_run: Option<PathBuf>,
    /// Which chokepoint (region, product) feeds which MRIO (region, sector), with its
    /// dependence share (TOML `[[link]]` tables, see docs/ario.md)
    #[arg(long, value_name = "FILE", requires = "from_run")]
    pub mapping: Option<PathBuf>,
}

/// A CLI failure with its exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Input(AriError),
    #[error(transparent)]
    Run(AriError),
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl CliError {
    /// 2 for bad input, 1 otherwise.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Input(_) | CliError::Usage(_) => ExitCode::from(2),
            CliError::Run(_) | CliError::Io { .. } => ExitCode::from(1),
        }
    }
}

impl From<AriError> for CliError {
    fn from(e: AriError) -> Self {
        if e.is_input_error() {
            CliError::Input(e)
        } else {
            CliError::Run(e)
        }
    }
}

/// A model ready to run, with what the CLI needs to write outputs.
pub struct Prepared {
    pub model: Model,
    pub steps: usize,
    pub events: Vec<EventSpec>,
    pub variables: Vec<Variable>,
    /// With --from-run: one line per mapped (region, product) with a shortfall.
    pub link_summary: Vec<String>,
}

impl Args {
    /// Parameters from the flags (inventory JSON is read here).
    pub fn params(&self) -> Result<Params, CliError> {
        let inventory = match &self.inventory_json {
            None => None,
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| CliError::Io {
                    path: path.clone(),
                    source,
                })?;
                let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text)
                    .map_err(|e| {
                        CliError::Usage(format!(
                            "{}: {e}; hint: expected {{\"sector\": days or \"inf\"}}",
                            path.display()
                        ))
                    })?;
                let mut list = Vec::new();
                for (k, val) in v {
                    let d = match &val {
                        serde_json::Value::Number(x) => {
                            InvDuration::Days(x.as_f64().unwrap_or(f64::NAN))
                        }
                        serde_json::Value::String(s)
                            if ["inf", "Inf", "Infinity", "infinity"].contains(&s.as_str()) =>
                        {
                            InvDuration::Infinite
                        }
                        _ => {
                            return Err(CliError::Usage(format!(
                                "{}: sector `{k}`: {val} is not a number of days or \"inf\"",
                                path.display()
                            )));
                        }
                    };
                    if let InvDuration::Days(x) = d
                        && !(x.is_finite() && x >= 0.0)
                    {
                        return Err(CliError::Usage(format!(
                            "{}: sector `{k}`: {x} days must be finite and >= 0",
                            path.display()
                        )));
                    }
                    list.push((k, d));
                }
                Some(list)
            }
        };
        Ok(Params {
            mode: if self.compat.is_some() {
                Mode::Compat
            } else {
                Mode::Fixed
            },
            model: match self.model {
                ModelArg::Psi => ModelKind::Psi,
                ModelArg::Base => ModelKind::Base,
            },
            order_type: match self.order_type {
                OrderArg::Alt => OrderType::Alt,
                OrderArg::Noalt => OrderType::NoAlt,
            },
            alpha_base: self.alpha_base,
            alpha_max: self.alpha_max,
            alpha_tau: self.alpha_tau,
            rebuild_tau: self.rebuild_tau,
            main_inv_dur: self.main_inv_dur as f64,
            psi: self.psi,
            inv_restoration_tau: self.inv_restoration_tau,
            inventory,
            infinite_inv_sectors: self.infinite_inv_sectors.clone(),
            monetary_factor: self.monetary_factor,
            capital_to_va: 4.0,
        })
    }

    /// Events from --events, --events-json or the single-shock flags.
    pub fn event_specs(&self) -> Result<Vec<EventSpec>, CliError> {
        let mut out = Vec::new();
        if let Some(p) = &self.events {
            out.extend(events::read_events_toml(p).map_err(AriError::from)?);
        }
        if let Some(p) = &self.events_json {
            out.extend(events::read_events_json(p).map_err(AriError::from)?);
        }
        if self.events.is_some() || self.events_json.is_some() {
            return Ok(out);
        }
        let invalid = |m: String| {
            CliError::Input(AriError::Event(EventError::Invalid {
                index: 0,
                kind: "command line".into(),
                message: m,
            }))
        };
        if self.event_type == EventTypeArg::None {
            return Ok(out);
        }
        if self.regions.is_empty() || self.sectors.is_empty() {
            return Err(invalid("--event-type needs --regions and --sectors".into()));
        }
        let recovery_function = match self.recovery_function {
            RecoveryArg::Linear => RecoveryFn::Linear,
            RecoveryArg::Convexe => RecoveryFn::Convexe,
            RecoveryArg::ConvexeNoscale => RecoveryFn::ConvexeNoscale,
            RecoveryArg::Concave => RecoveryFn::Concave,
        };
        let impact_unit = match self.impact_unit {
            ImpactUnitArg::ShareOfCapital => ImpactUnit::ShareOfCapital,
            ImpactUnitArg::Mriot => ImpactUnit::Mriot,
        };
        let (regions, sectors) = (self.regions.clone(), self.sectors.clone());
        out.push(match self.event_type {
            EventTypeArg::Arbitrary => EventSpec::Arbitrary {
                regions,
                sectors,
                impact: self.impact,
                occurrence: self.occurrence,
                duration: self.duration,
                recovery_tau: self.recovery_tau,
                recovery_function,
            },
            EventTypeArg::Recovery => EventSpec::Recovery {
                regions,
                sectors,
                impact: self.impact,
                impact_unit,
                occurrence: self.occurrence,
                duration: self.duration,
                recovery_tau: self.recovery_tau,
                recovery_function,
            },
            EventTypeArg::Rebuild => EventSpec::Rebuild {
                regions,
                sectors,
                impact: self.impact,
                impact_unit,
                occurrence: self.occurrence,
                duration: self.duration,
                rebuild_tau: self.event_rebuild_tau,
                rebuilding_sectors: serde_json::from_str(&self.rebuilding_sectors).map_err(
                    |e| {
                        invalid(format!(
                            "--rebuilding-sectors is not a JSON object of shares: {e}"
                        ))
                    },
                )?,
                rebuilding_factor: 1.0,
            },
            EventTypeArg::None => unreachable!(),
        });
        Ok(out)
    }

    /// Variables to write.
    pub fn variable_list(&self) -> Result<Vec<Variable>, CliError> {
        if self.variables.is_empty() {
            return Ok(Variable::ALL.to_vec());
        }
        self.variables
            .iter()
            .map(|v| {
                Variable::from_name(v.trim()).ok_or_else(|| {
                    CliError::Usage(format!(
                        "unknown variable `{v}`; hint: one of {}",
                        Variable::ALL.map(|v| v.name()).join(", ")
                    ))
                })
            })
            .collect()
    }
}

/// Reads the MRIO, builds parameters and events, and returns a model ready to run.
pub fn prepare(args: &Args) -> Result<Prepared, CliError> {
    let params = args.params()?;
    let order = match params.mode {
        Mode::Compat => IndustryOrder::Lexicographic,
        Mode::Fixed => IndustryOrder::AsGiven,
    };
    let mrio = Mrio::read_dir(&args.mriot, order).map_err(AriError::from)?;
    let specs = args.event_specs()?;
    let variables = args.variable_list()?;
    let mut model = Model::new(mrio, params)?;
    model
        .add_events(&specs, args.steps)
        .map_err(AriError::from)?;
    let mut link_summary = Vec::new();
    if let (Some(run), Some(map)) = (&args.from_run, &args.mapping) {
        if model.params().mode == Mode::Compat {
            return Err(CliError::Usage(
                "--from-run needs the default mode: BoARIO 0.7.2 has no daily loss series; hint: drop --compat".into(),
            ));
        }
        let mapping = SectorMapping::read(map).map_err(AriError::from)?;
        let losses = EndUseLosses::read(run, &mapping).map_err(AriError::from)?;
        let shock = losses
            .shock(&mapping, args.steps, |r, s| model.industry_index(r, s))
            .map_err(AriError::from)?;
        model.add_shock(shock).map_err(CliError::Usage)?;
        link_summary.push(format!(
            "linked {} end-use series of {} (step 0 = {}, {} days) to {} MRIO industries",
            losses.loss.len(),
            run.display(),
            losses.start,
            losses.days,
            mapping.entries.len()
        ));
        for ((region, product), mean, peak) in losses.loss_stats() {
            if peak > 0.0 {
                link_summary.push(format!(
                    "  {region} {product}: mean loss {:.2}%, peak {:.1}%",
                    100.0 * mean,
                    100.0 * peak
                ));
            }
        }
    }
    model.set_record_stocks(args.register_stocks);
    Ok(Prepared {
        model,
        steps: args.steps,
        events: specs,
        variables,
        link_summary,
    })
}

const PARTIAL_CSV: &str = "ario.csv.partial";
const PARTIAL_STOCKS: &str = "inputs_stocks.csv.partial";

struct CliSink<W: Write> {
    csv: Option<CsvSink<W>>,
    stocks: Option<std::io::BufWriter<std::fs::File>>,
}

impl<W: Write> Sink for CliSink<W> {
    fn record(
        &mut self,
        view: &StepView<'_>,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if let Some(c) = self.csv.as_mut() {
            c.record(view)?;
        }
        if let (Some(w), Some(st)) = (self.stocks.as_mut(), view.stocks) {
            let n = view.production.len();
            let s_n = view.sectors.len();
            for (q, v) in st.iter().enumerate() {
                let (s, f) = (q / n, q % n);
                writeln!(
                    w,
                    "{},{},{},{},{}",
                    view.step,
                    view.sectors[s],
                    view.regions[f / s_n],
                    view.sectors[f % s_n],
                    v
                )?;
            }
        }
        Ok(())
    }
}

/// Runs the command; errors carry their exit code ([`CliError::exit_code`]).
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let t0 = Instant::now();
    let mut prep = prepare(&args)?;
    let t_load = t0.elapsed().as_secs_f64();
    let io = |path: PathBuf| move |source| CliError::Io { path, source };
    let mut sink = CliSink::<std::io::BufWriter<std::fs::File>> {
        csv: None,
        stocks: None,
    };
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).map_err(io(dir.clone()))?;
        // A folder being rewritten must not look complete while the run is under way.
        for old in ["run_info.json", "ario.csv", "inputs_stocks.csv"] {
            match std::fs::remove_file(dir.join(old)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(io(dir.join(old))(e));
                }
                _ => {}
            }
        }
    }
    if let (Some(dir), false) = (&args.out, args.no_csv) {
        let p = dir.join(PARTIAL_CSV);
        let f = std::fs::File::create(&p).map_err(io(p.clone()))?;
        sink.csv = Some(CsvSink::new(
            std::io::BufWriter::with_capacity(1 << 20, f),
            &prep.variables,
        ));
        if args.register_stocks {
            let p = dir.join(PARTIAL_STOCKS);
            let f = std::fs::File::create(&p).map_err(io(p.clone()))?;
            let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
            writeln!(w, "step,input,region,sector,value").map_err(io(p.clone()))?;
            sink.stocks = Some(w);
        }
    }
    for line in &prep.link_summary {
        eprintln!("{line}");
    }
    let t1 = Instant::now();
    let res = prep.model.run(prep.steps, &mut sink);
    let t_loop = t1.elapsed().as_secs_f64();
    if let Some(c) = sink.csv.take() {
        c.finish().map_err(io(PathBuf::from(PARTIAL_CSV)))?;
    }
    if let Some(mut w) = sink.stocks.take() {
        w.flush().map_err(io(PathBuf::from(PARTIAL_STOCKS)))?;
    }
    let crashed = match res {
        Ok(()) => None,
        Err(e @ ModelError::Crash { .. }) => Some(e.to_string()),
        Err(e) => return Err(CliError::Run(AriError::Model(e))),
    };
    let m = &prep.model;
    let sw = &m.switches;
    let info = serde_json::json!({
        "program": format!("chokepoint-ario {}", env!("CARGO_PKG_VERSION")),
        "mode": if m.params().mode == Mode::Compat { "boario-0.7.2" } else { "fixed" },
        "n_regions": m.regions().len(),
        "n_sectors": m.sectors().len(),
        "n_industries": m.n_industries(),
        "steps_requested": prep.steps,
        "steps_simulated": m.current_step(),
        "crashed": crashed,
        "events": prep.events.len(),
        "peak_rss_MiB": peak_rss_mib(),
        "timing_s": {"load": t_load, "loop": t_loop, "per_step_mean": t_loop / m.current_step().max(1) as f64},
        "switches": {
            "stock_update_skipped": sw.stock_update_skipped.iter().filter(|b| **b).count(),
            "gap_zeroed": sw.gap_zeroed.iter().filter(|b| **b).count(),
            "fused_pass_misses": sw.fused_misses,
        },
    });
    // Written last and each renamed into place: a folder with run_info.json is complete, and an
    // interrupted run leaves only `*.partial` files behind.
    if let Some(dir) = &args.out {
        for (tmp, fin) in [
            (PARTIAL_CSV, "ario.csv"),
            (PARTIAL_STOCKS, "inputs_stocks.csv"),
        ] {
            if dir.join(tmp).exists() {
                std::fs::rename(dir.join(tmp), dir.join(fin)).map_err(io(dir.join(fin)))?;
            }
        }
        let p = dir.join("run_info.json");
        let tmp = dir.join("run_info.json.partial");
        std::fs::write(
            &tmp,
            serde_json::to_string_pretty(&info).unwrap_or_default(),
        )
        .map_err(io(tmp.clone()))?;
        std::fs::rename(&tmp, &p).map_err(io(p.clone()))?;
    }
    eprintln!(
        "ario: {} industries, {} steps in {:.3} s ({:.3} ms/step){}",
        m.n_industries(),
        m.current_step(),
        t_loop,
        1e3 * t_loop / m.current_step().max(1) as f64,
        match (&args.out, args.no_csv) {
            (Some(d), false) => format!(", wrote {}", d.join("ario.csv").display()),
            _ => String::new(),
        }
    );
    match crashed {
        Some(msg) => {
            eprintln!("error: {msg}");
            Ok(ExitCode::from(1))
        }
        None => Ok(ExitCode::SUCCESS),
    }
}

/// `run` with errors printed to stderr (`error: ...`), for a binary's `main`.
pub fn main_with(args: Args) -> ExitCode {
    match run(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}

/// Peak resident set size (Linux `VmHWM`), if known.
fn peak_rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
