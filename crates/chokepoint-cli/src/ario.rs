//! The `chokepoint ario` command: [`Args`] (model flags named and defaulted as BoARIO's
//! `run_reference.py`), [`prepare`] (reads the MRIO folder, the event files, the inventory JSON
//! and, with `--from-run`, a run folder's `timeseries.csv` and the sector mapping, and hands
//! them as values to `chokepoint-ario`, which returns a ready [`Model`]) and [`run`] (simulates
//! into the output folder of [`crate::ario_folder`] and prints the summary). Exit codes as every
//! command: 2 for bad input, 1 for a failed run.
//!
//! The engine itself does no file I/O and knows no operating system: this module opens the
//! files, backs the n × n matrix with transparent huge pages ([`zeros_on_huge_pages`]) and reads
//! the peak memory.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::anyhow;
use chokepoint_ario::error::{AriError, EventError};
use chokepoint_ario::events::{self, EventSpec, ImpactUnit, RecoveryFn};
use chokepoint_ario::mineral::{EndUseLosses, SectorMapping};
use chokepoint_ario::mrio::{MrioTable, ReadOptions, TableText};
use chokepoint_ario::{InvDuration, Mode, Model, ModelKind, OrderType, Params};
use chokepoint_ario::{ModelError, Mrio, Variable};
use clap::ValueEnum;

use crate::Failure;
use crate::ario_folder::Folder;
use crate::limits;

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

/// The flags of `chokepoint ario` (its description is the subcommand's, in `main.rs`).
#[derive(Debug, Clone, clap::Args)]
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
    /// Tabular outputs as `csv` or `parquet` (typed columns, dictionary-encoded strings;
    /// needs a build with `--features parquet`)
    #[arg(long, value_name = "FORMAT", default_value = "csv", value_parser = crate::tabular::parse_format)]
    pub format: crate::tabular::Format,
    /// A `chokepoint run` output folder whose daily end-use shortfalls become production
    /// losses of MRIO industries (needs --mapping; step 0 = the run's first day)
    #[arg(long, value_name = "DIR", requires = "mapping")]
    pub from_run: Option<PathBuf>,
    /// Which chokepoint (region, product) feeds which MRIO (region, sector), with its
    /// dependence share (TOML `[[link]]` tables, see docs/ario.md)
    #[arg(long, value_name = "FILE", requires = "from_run")]
    pub mapping: Option<PathBuf>,
    #[command(flatten)]
    pub allow: limits::Allow,
}

/// A bad input: its message as the engine words it (path, line and hint included), exit 2.
fn input_error(message: impl std::fmt::Display) -> Failure {
    Failure::input(anyhow!("{message}"), None)
}

/// An engine error: exit 2 when the input caused it, else 1. Only the message is kept: the
/// engine's messages already name the file, the line and the fix.
fn engine_error(e: impl Into<AriError>) -> Failure {
    let e = e.into();
    if e.is_input_error() {
        input_error(e)
    } else {
        Failure::Run(anyhow!("{e}"))
    }
}

/// An input file that cannot be opened or read.
fn cannot_read(path: &Path) -> impl FnOnce(std::io::Error) -> Failure + '_ {
    move |e| input_error(format_args!("{}: cannot read: {e}", path.display()))
}

/// The text of an input file.
fn read_text(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(cannot_read(path))
}

/// A model ready to run, with what the command reports and writes.
pub struct Prepared {
    pub model: Model,
    pub events: Vec<EventSpec>,
    pub variables: Vec<Variable>,
    /// With --from-run: one line per mapped (region, product) with a shortfall.
    pub link_summary: Vec<String>,
}

impl Args {
    /// Parameters from the flags (the inventory JSON is read here).
    fn params(&self) -> Result<Params, Failure> {
        let inventory = match &self.inventory_json {
            None => None,
            Some(path) => Some(read_inventory(path)?),
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
    fn event_specs(&self) -> Result<Vec<EventSpec>, Failure> {
        let mut out = Vec::new();
        if let Some(p) = &self.events {
            out.extend(events::parse_events_toml(&read_text(p)?, p).map_err(engine_error)?);
        }
        if let Some(p) = &self.events_json {
            out.extend(events::parse_events_json(&read_text(p)?, p).map_err(engine_error)?);
        }
        if self.events.is_some()
            || self.events_json.is_some()
            || self.event_type == EventTypeArg::None
        {
            return Ok(out);
        }
        out.push(self.single_shock()?);
        Ok(out)
    }

    /// The event of `--event-type` and its flags.
    fn single_shock(&self) -> Result<EventSpec, Failure> {
        let invalid =
            |message: String| engine_error(EventError::invalid(0, "command line")(message));
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
        Ok(match self.event_type {
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
            EventTypeArg::None => unreachable!("no event with --event-type none"),
        })
    }

    /// Variables to write.
    fn variable_list(&self) -> Result<Vec<Variable>, Failure> {
        if self.variables.is_empty() {
            return Ok(Variable::ALL.to_vec());
        }
        self.variables
            .iter()
            .map(|v| {
                Variable::from_name(v.trim()).ok_or_else(|| {
                    input_error(format_args!(
                        "unknown variable `{v}`; hint: one of {}",
                        Variable::ALL.map(|v| v.name()).join(", ")
                    ))
                })
            })
            .collect()
    }
}

/// `--inventory-json`: `{"sector": days | "inf"}`. An unreadable file is a run failure (exit
/// 1), as it always was; a malformed one is an input error.
fn read_inventory(path: &Path) -> Result<Vec<(String, InvDuration)>, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Run(anyhow!("{}: {e}", path.display())))?;
    let v: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text).map_err(|e| {
            input_error(format_args!(
                "{}: {e}; hint: expected {{\"sector\": days or \"inf\"}}",
                path.display()
            ))
        })?;
    let mut list = Vec::new();
    for (k, val) in v {
        let d = match &val {
            serde_json::Value::Number(x) => InvDuration::Days(x.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(s)
                if ["inf", "Inf", "Infinity", "infinity"].contains(&s.as_str()) =>
            {
                InvDuration::Infinite
            }
            _ => {
                return Err(input_error(format_args!(
                    "{}: sector `{k}`: {val} is not a number of days or \"inf\"",
                    path.display()
                )));
            }
        };
        if let InvDuration::Days(x) = d
            && !(x.is_finite() && x >= 0.0)
        {
            return Err(input_error(format_args!(
                "{}: sector `{k}`: {x} days must be finite and >= 0",
                path.display()
            )));
        }
        list.push((k, d));
    }
    Ok(list)
}

/// Reads the pymrio folder `dir` (Z.csv, Y.csv, x.csv when present), the flows on huge pages.
fn read_mrio(dir: &Path, mode: Mode) -> Result<Mrio, Failure> {
    let open = |table: MrioTable| -> Result<TableText<std::fs::File>, Failure> {
        let name = dir.join(table.file_name());
        let reader = std::fs::File::open(&name).map_err(cannot_read(&name))?;
        Ok(TableText { name, reader })
    };
    let z = open(MrioTable::Flows)?;
    let y = open(MrioTable::FinalDemand)?;
    // x.csv is optional: without it x = Z·1 + Y·1
    let x = if dir.join(MrioTable::Output.file_name()).exists() {
        Some(open(MrioTable::Output)?)
    } else {
        None
    };
    let options = ReadOptions {
        order: chokepoint_ario::industry_order(mode),
        alloc_flows: &zeros_on_huge_pages,
        // The model keeps more n × n matrices than Z (its daily flows and orders), so Z alone
        // may take at most half of what the machine has.
        max_flow_bytes: crate::limits::available_memory().map_or(u64::MAX, |a| (a / 2.0) as u64),
    };
    Mrio::read(z, y, x, options).map_err(engine_error)
}

/// Reads the MRIO, builds parameters and events, and returns a model ready to run.
pub fn prepare(args: &Args) -> Result<Prepared, Failure> {
    let params = args.params()?;
    let mrio = read_mrio(&args.mriot, params.mode)?;
    let specs = args.event_specs()?;
    let variables = args.variable_list()?;
    let mut model = Model::new(mrio, params).map_err(engine_error)?;
    model.add_events(&specs, args.steps).map_err(engine_error)?;
    let mut link_summary = Vec::new();
    if let (Some(run), Some(map)) = (&args.from_run, &args.mapping) {
        link_summary = link_run(&mut model, run, map, args.steps)?;
    }
    model.set_record_stocks(args.register_stocks);
    Ok(Prepared {
        model,
        events: specs,
        variables,
        link_summary,
    })
}

/// `--from-run`: the run folder's end-use shortfalls, through the mapping, become one daily
/// production-loss shock. Returns the lines that report it.
fn link_run(
    model: &mut Model,
    run: &Path,
    map: &Path,
    steps: usize,
) -> Result<Vec<String>, Failure> {
    if model.params().mode == Mode::Compat {
        return Err(input_error(
            "--from-run needs the default mode: BoARIO 0.7.2 has no daily loss series; hint: drop --compat",
        ));
    }
    let mapping = SectorMapping::parse(map, &read_text(map)?).map_err(engine_error)?;
    let losses = read_run_losses(run, &mapping)?;
    let shock = losses
        .shock(&mapping, steps, |r, s| model.industry_index(r, s))
        .map_err(engine_error)?;
    model.add_shock(shock).map_err(input_error)?;
    let mut lines = vec![format!(
        "linked {} end-use series of {} (step 0 = {}, {} days) to {} MRIO industries",
        losses.loss.len(),
        run.display(),
        losses.start,
        losses.days,
        mapping.entries.len()
    )];
    for ((region, product), mean, peak) in losses.loss_stats() {
        if peak > 0.0 {
            lines.push(format!(
                "  {region} {product}: mean loss {:.2}%, peak {:.1}%",
                100.0 * mean,
                100.0 * peak
            ));
        }
    }
    Ok(lines)
}

/// The loss series of a `chokepoint run` folder: its `timeseries.csv` (a Monte Carlo folder has
/// none, only `bands.csv`), read only from a complete run: the folder's manifest lists the file
/// and its digest matches (a truncated or edited series would give a shorter or wrong shock).
/// A run written with `--format parquet` is read through its `timeseries.parquet`.
fn read_run_losses(run_dir: &Path, mapping: &SectorMapping) -> Result<EndUseLosses, Failure> {
    let path = run_dir.join("timeseries.csv");
    if !path.exists() && !run_dir.join("timeseries.parquet").exists() {
        let hint = if run_dir.join("bands.csv").exists() {
            "this is a Monte Carlo folder; hint: link a single run (`chokepoint run` without --paths)"
        } else {
            "hint: give the output folder of `chokepoint run`"
        };
        return Err(input_error(format_args!(
            "{}: not found; {hint}",
            path.display()
        )));
    }
    #[derive(serde::Deserialize)]
    struct Listed {
        outputs: Vec<crate::run_folder::OutputFile>,
    }
    let manifest = run_dir.join("manifest.json");
    if !manifest.is_file() {
        return Err(Failure::input(
            anyhow::anyhow!(
                "`{}` is not a complete run: it has no manifest.json",
                run_dir.display()
            ),
            Some("the run was interrupted or the folder copied in part; rerun it".into()),
        ));
    }
    let listed: Listed = serde_json::from_str(&read_text(&manifest)?).map_err(|e| {
        Failure::input(
            anyhow::anyhow!("`{}` is not a run manifest: {e}", manifest.display()),
            Some("give the output folder of `chokepoint run`".into()),
        )
    })?;
    let bytes = match crate::tabular::read_table(run_dir, &listed.outputs, "timeseries.csv")? {
        Some(bytes) => bytes,
        // Neither format is listed: the refusal names the CSV file.
        None => crate::run_folder::read_listed(run_dir, &listed.outputs, "timeseries.csv")?,
    };
    EndUseLosses::from_reader(&path, &bytes[..], mapping).map_err(engine_error)
}

/// Runs the command: reads the inputs, simulates into the output folder (when `--out` is
/// given) and prints the summary line. A run that crashes where BoARIO would still writes
/// its folder (the crash recorded in `run_info.json`) and exits 1.
pub fn run(args: Args) -> Result<(), Failure> {
    let t0 = Instant::now();
    let mut prep = prepare(&args)?;
    let t_load = t0.elapsed().as_secs_f64();
    let csv_dir = args.out.as_deref().filter(|_| !args.no_csv);
    check_limits(&args, &prep, csv_dir.is_some())?;
    let mut folder = Folder::create(
        args.out.as_deref(),
        csv_dir.is_some(),
        args.register_stocks,
        &prep.variables,
        args.format,
    )?;
    for line in &prep.link_summary {
        eprintln!("{line}");
    }
    let t1 = Instant::now();
    let res = prep.model.run(args.steps, folder.sink());
    let t_loop = t1.elapsed().as_secs_f64();
    folder
        .finish_streams()
        .map_err(|f| f.writing(args.out.as_deref()))?;
    let crashed = match res {
        Ok(()) => None,
        Err(e @ ModelError::Crash { .. }) => Some(e.to_string()),
        Err(e) => return Err(engine_error(e)),
    };
    let m = &prep.model;
    let steps_done = m.current_step();
    let timing = Timing {
        load_s: t_load,
        loop_s: t_loop,
    };
    let info = run_info(m, &args, prep.events.len(), crashed.as_deref(), timing);
    folder
        .finish(&info)
        .map_err(|f| f.writing(args.out.as_deref()))?;
    eprintln!(
        "ario: {} industries, {} steps in {:.3} s ({:.3} ms/step){}",
        m.n_industries(),
        steps_done,
        t_loop,
        1e3 * t_loop / steps_done.max(1) as f64,
        match csv_dir {
            Some(d) => format!(
                ", wrote {}",
                d.join(args.format.file_name("ario.csv")).display()
            ),
            None => String::new(),
        }
    );
    match crashed {
        Some(msg) => Err(Failure::Run(anyhow!(msg))),
        None => Ok(()),
    }
}

/// Refuses, before the first step, a run whose time or output (with `csv`: `ario.csv` and,
/// with `--register-stocks`, `inputs_stocks.csv`) break the [`crate::limits`].
fn check_limits(args: &Args, prep: &Prepared, csv: bool) -> Result<(), Failure> {
    let names: Vec<&str> = prep.variables.iter().map(|v| v.name()).collect();
    let m = &prep.model;
    let run = limits::ArioRun {
        regions: m.regions(),
        sectors: m.sectors(),
        steps: args.steps,
        variables: if csv { &names } else { &[] },
        stocks: csv && args.register_stocks,
    };
    let needs = limits::ario(run);
    let what = format!("{} steps of {} industries", args.steps, m.n_industries());
    limits::check(&what, &needs, args.allow, |over, _| {
        limits::ario_hint(run, over)
    })
}

/// Seconds spent reading the inputs and in the steps.
#[derive(Debug, Clone, Copy)]
struct Timing {
    load_s: f64,
    loop_s: f64,
}

/// `run_info.json`: what ran (engine version, mode, sizes, steps, events), whether it crashed,
/// how long it took and the compat switch counts.
fn run_info(
    m: &Model,
    args: &Args,
    events: usize,
    crashed: Option<&str>,
    timing: Timing,
) -> serde_json::Value {
    let sw = &m.switches;
    let steps = m.current_step();
    serde_json::json!({
        "program": format!("chokepoint-ario {}", chokepoint_ario::VERSION),
        "mode": if m.params().mode == Mode::Compat { "boario-0.7.2" } else { "fixed" },
        "n_regions": m.regions().len(),
        "n_sectors": m.sectors().len(),
        "n_industries": m.n_industries(),
        "steps_requested": args.steps,
        "steps_simulated": steps,
        "crashed": crashed,
        "events": events,
        "peak_rss_MiB": peak_rss_mib(),
        "timing_s": {
            "load": timing.load_s,
            "loop": timing.loop_s,
            "per_step_mean": timing.loop_s / steps.max(1) as f64,
        },
        "switches": {
            "stock_update_skipped": sw.stock_update_skipped.iter().filter(|b| **b).count(),
            "gap_zeroed": sw.gap_zeroed.iter().filter(|b| **b).count(),
            "fused_pass_misses": sw.fused_misses,
        },
    })
}

/// `len` zeros for the n × n flow matrix, backed by transparent huge pages on Linux: the matrix
/// is streamed every step, and with 4 KiB pages a large share of the stream goes to TLB misses
/// (page walks are dear in a VM). The hint must come before the pages are first written.
fn zeros_on_huge_pages(len: usize) -> Vec<f64> {
    let v = vec![0.0; len];
    advise_huge_pages(&v);
    v
}

/// Asks the kernel (Linux, transparent huge pages in `madvise` mode) to back the 2 MiB-aligned
/// part of `v` with huge pages. Call it on a freshly allocated, not yet written buffer: the
/// pages are then faulted in as 2 MiB pages. A hint only: errors are ignored, other platforms
/// do nothing.
fn advise_huge_pages(v: &[f64]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = v.as_ptr() as usize;
        let end = start + std::mem::size_of_val(v);
        let (a, b) = ((start + HUGE - 1) & !(HUGE - 1), end & !(HUGE - 1));
        if b > a {
            // SAFETY: madvise(MADV_HUGEPAGE) on whole pages inside a live allocation only
            // changes how the kernel backs them; it touches no memory and the result is
            // ignored.
            unsafe {
                libc::madvise(a as *mut libc::c_void, b - a, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}

/// Peak resident set size (Linux `VmHWM`), if known.
fn peak_rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
