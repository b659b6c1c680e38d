//! `chokepoint`: the command-line front end of chokepoint-core. It reads scenario files (or the
//! embedded ones), runs the engine, writes the run folder (see docs/outputs.md) and maps failures
//! to exit codes: 0 ok, 1 run failure, 2 usage or input error.

mod ario;
mod ario_folder;
mod backtest;
mod catalogue;
mod headline;
mod inputs;
mod limits;
mod manifest;
mod montecarlo;
mod output;
mod parameters;
#[cfg(feature = "parquet")]
mod parquet_file;
mod progress;
mod report;
mod risk;
mod run_folder;
mod serve;
mod signals;
mod stockpile;
mod strategies;
mod svg;
mod table;
mod tabular;

use anyhow::Context as _;
use chokepoint_core::scenario::Diagnostics;
use chokepoint_core::scenario::Scenario;
use chokepoint_core::shard::InputDigest;
use clap::{Args, Parser, Subcommand};
use run_folder::{RUN_FOLDER, RunFolder};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// Simulate rare-earth supply chains under export controls.
#[derive(Debug, Parser)]
#[command(name = "chokepoint", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario and write its run folder (timeseries, licences, summary, manifest)
    Run(RunArgs),
    /// Check a scenario file and report every problem in it
    Validate {
        /// Scenario file, or `builtin:NAME` for an embedded scenario
        scenario: String,
        /// Replace the scenario's base dataset (a TOML file or a folder of them)
        #[arg(long, value_name = "PATH")]
        data: Option<PathBuf>,
    },
    /// List the embedded scenario library, one line each
    Scenarios,
    /// List a dataset's regions, products, facilities, links, demand, sources or numbers with
    /// their provenance, or check its consistency
    Data(catalogue::DataArgs),
    /// Criticality indices with their inputs beside them: concentration (HHI, governance-
    /// weighted HHI), import reliance and the EU supply risk per element and stage, the EU 2023
    /// values recomputed from the published inputs, and with --exposure the shortfalls and
    /// stoppage odds of the weighted scenario library (see docs/criticality.md)
    Risk(Box<risk::RiskArgs>),
    /// Compare the model with history: China's 2025 magnet exports, the first end-use stoppages
    /// of 2025, the 2010-11 flows to Japan and 2025 prices, each with its error measure
    Backtest(backtest::BacktestArgs),
    /// Run the ARIO input-output model (BoARIO 0.7.2 compatible) on an MRIO, optionally fed
    /// by a `chokepoint run` folder's end-use shortfalls (see docs/ario.md)
    Ario(Box<ario::Args>),
    /// Draw a run folder as one self-contained HTML report (charts as SVG, no network)
    Report(report::ReportArgs),
    /// A local dashboard and JSON API: pick or upload a scenario, run it, see its charts
    Serve(serve::ServeArgs),
    /// Size the least-cost strategic stockpiles that keep the risk of unmet demand within a
    /// target, and check them out of sample (see docs/decisions.md)
    Stockpile(Box<stockpile::Args>),
    /// Merge Monte Carlo shard folders (from `run --shard I/N`) into one result
    Merge {
        /// Shard folders, in any order
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Output folder
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Tabular outputs as `csv` or `parquet` (the shards may be in either)
        #[arg(long, value_name = "FORMAT", default_value = "csv", value_parser = tabular::parse_format)]
        format: tabular::Format,
    },
    /// Print a Slurm array script or a Kubernetes Indexed Job for a sharded Monte Carlo run
    Emit(EmitArgs),
    /// Run two scenarios on common random numbers and report per-metric differences (B - A);
    /// with --strategies, compare strategies against no action (see docs/decisions.md)
    Compare {
        /// Scenario A (file or `builtin:NAME`); with --strategies, the no-action reference
        a: String,
        /// Scenario B
        b: String,
        /// With --strategies: further strategies (scenario variants of A)
        #[arg(value_name = "MORE")]
        more: Vec<String>,
        /// Compare strategies: per strategy its spending (each lever and in all), expected and
        /// P95 shortfall per end use, P(stoppage) and USD per unit of shortfall avoided, with
        /// the P5-P95 of each per-path difference from A (strategies.csv)
        #[arg(long)]
        strategies: bool,
        /// With --strategies: a region the table is about (repeat for one table each; its
        /// buyer cohorts included) [default: every region together]
        #[arg(long = "region", value_name = "CODE", requires = "strategies")]
        regions: Vec<String>,
        #[arg(long, value_name = "N", default_value_t = 1000, value_parser = montecarlo::parse_paths)]
        paths: u64,
        #[arg(long, value_name = "N")]
        seed: Option<u64>,
        #[arg(long, value_name = "T", value_parser = montecarlo::parse_threads)]
        threads: Option<usize>,
        #[arg(long, short)]
        quiet: bool,
        /// Run for more than an estimated 24 hours (such a comparison is otherwise refused
        /// before it starts)
        #[arg(long)]
        allow_long_run: bool,
        /// Folder for compare.csv and its manifest [default: runs/compare-A-vs-B-seedN]
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Print the whole compare.csv instead of the headline of the largest differences
        #[arg(long)]
        table: bool,
        /// compare.csv as `csv` or `parquet` in the folder (`--table` prints CSV text)
        #[arg(long, value_name = "FORMAT", default_value = "csv", value_parser = tabular::parse_format)]
        format: tabular::Format,
    },
}

#[derive(Debug, Args)]
struct EmitArgs {
    /// `slurm` or `k8s`
    target: String,
    #[arg(long, default_value = "builtin:april-2025")]
    scenario: String,
    #[arg(long, default_value_t = 10000, value_parser = montecarlo::parse_paths)]
    paths: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Tasks, one shard each (at least 1, at most --paths)
    #[arg(long, default_value_t = 10, value_parser = montecarlo::parse_shards)]
    shards: u64,
    /// Folder (shared by all tasks) the shards are written under
    #[arg(long, default_value = "/runs/mc")]
    out: String,
    /// The chokepoint binary the tasks run: a path on the nodes, or a name looked up on their
    /// PATH (the script stops with a clear message when it is not found)
    #[arg(long, value_name = "PATH", default_value = "chokepoint")]
    binary: String,
    /// Band choice passed to every shard (see `run --bands`) [default: the scenario's]
    #[arg(long, value_name = "SPEC")]
    bands: Option<String>,
    /// `--format` of every shard and of the merge (`parquet` needs a build with
    /// `--features parquet`)
    #[arg(long, value_name = "FORMAT", default_value = "csv", value_parser = tabular::parse_format)]
    format: tabular::Format,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Scenario file, or `builtin:NAME` for an embedded scenario [default: builtin:april-2025]
    scenario: Option<String>,
    /// Random seed; overrides the scenario's `seed`
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Output folder [default: runs/<scenario file stem>-seed<N>]
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Print only the output folder, not the headline
    #[arg(long, short)]
    quiet: bool,
    /// Print the full summary table (every region and product with a need or licences)
    /// instead of the headline; a Monte Carlo run's full results are its folder's files
    #[arg(long, conflicts_with = "quiet")]
    table: bool,
    /// Replace the scenario's base dataset (a TOML file or a folder of them)
    #[arg(long, value_name = "PATH")]
    data: Option<PathBuf>,
    /// Print `progress DONE/TOTAL paths|days` lines on stderr (for `chokepoint serve`)
    #[arg(long, hide = true)]
    progress_lines: bool,
    #[command(flatten)]
    mc: montecarlo::McArgs,
}

/// Why the command failed, which decides the exit code.
#[derive(Debug)]
pub enum Failure {
    /// Bad input (unreadable or unknown scenario): exit 2.
    Input {
        error: anyhow::Error,
        hint: Option<String>,
    },
    /// The scenario did not validate: every diagnostic is printed, exit 2.
    Invalid {
        file: String,
        diags: Diagnostics,
        /// What the file should have been: `scenario` or `dataset`.
        kind: &'static str,
    },
    /// The run itself failed (e.g. cannot write the output folder): exit 1.
    Run(anyhow::Error),
}

impl Failure {
    pub fn input(error: anyhow::Error, hint: Option<String>) -> Self {
        Failure::Input { error, hint }
    }

    /// A run failure while writing the folder `dir`, which keeps what it held.
    pub fn writing(self, dir: Option<&std::path::Path>) -> Self {
        match (self, dir) {
            (Failure::Run(e), Some(dir)) => Failure::Run(e.context(run_failed(dir))),
            (f, _) => f,
        }
    }

    fn report(&self) -> ExitCode {
        match self {
            Failure::Input { error, hint } => {
                eprintln!("error: {error:#}");
                if let Some(h) = hint {
                    eprintln!("  hint: {h}");
                }
                ExitCode::from(2)
            }
            Failure::Invalid { file, diags, kind } => {
                eprintln!("{diags}");
                let n = diags.errors();
                let s = if n == 1 { "" } else { "s" };
                eprintln!("error: {file} is not a valid {kind} ({n} problem{s})");
                ExitCode::from(2)
            }
            Failure::Run(error) => {
                eprintln!("error: {error:#}");
                ExitCode::from(1)
            }
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Run(e)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    signals::install();
    let result = match cli.command {
        Command::Ario(args) => ario::run(*args),
        Command::Run(args) => run(args),
        Command::Validate { scenario, data } => validate(&scenario, data.as_deref()),
        Command::Scenarios => catalogue::scenarios(),
        Command::Data(args) => catalogue::data(args),
        Command::Backtest(args) => backtest::backtest_cmd(args),
        Command::Report(args) => report::report_cmd(args).and_then(|t| print_out(&t)),
        Command::Serve(args) => serve::serve_cmd(args),
        Command::Risk(args) => risk::risk(*args),
        Command::Stockpile(args) => stockpile::run(*args).and_then(|t| print_out(&t)),
        Command::Merge {
            shards,
            out,
            format,
        } => montecarlo::merge(&shards, &out, format).and_then(|t| print_out(&t)),
        Command::Emit(e) => {
            let job = montecarlo::Job {
                scenario: &e.scenario,
                paths: e.paths,
                seed: e.seed,
                shards: e.shards,
                out: &e.out,
                binary: &e.binary,
                bands: e.bands.as_deref(),
                format: e.format,
            };
            montecarlo::emit(&e.target, &job).and_then(|t| print_out(&t))
        }
        Command::Compare {
            a,
            b,
            more,
            strategies,
            regions,
            paths,
            seed,
            threads,
            quiet,
            allow_long_run,
            out,
            table,
            format,
        } => {
            let allow = limits::Allow {
                allow_long_run,
                ..limits::Allow::default()
            };
            if strategies {
                let specs: Vec<String> = [a, b].into_iter().chain(more).collect();
                let args = strategies::StrategyArgs {
                    paths,
                    seed,
                    threads,
                    quiet,
                    allow,
                    out,
                    table,
                    regions,
                    format,
                };
                return match strategies::compare(&specs, args).and_then(|t| print_out(&t)) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(f) => f.report(),
                };
            }
            if !more.is_empty() {
                return Failure::input(
                    anyhow::anyhow!("`compare` takes two scenarios, {} given", 2 + more.len()),
                    Some(
                        "give --strategies to compare several strategies against the first".into(),
                    ),
                )
                .report();
            }
            let args = montecarlo::CompareArgs {
                paths,
                seed,
                threads,
                quiet,
                allow,
                out,
                table,
                format,
            };
            montecarlo::compare(&a, &b, args).and_then(|t| print_out(&t))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => f.report(),
    }
}

/// Loads and parses a scenario, returning it with the record of the inputs it was read from.
fn load(
    spec: &str,
    data: Option<&std::path::Path>,
) -> Result<(Scenario, inputs::Loaded, Vec<InputDigest>), Failure> {
    load_by(spec, data, inputs::Loaded::parse)
}

/// Reads `spec` and parses it with `parser`, with `--data` (when given) as its base dataset.
/// The warnings of a valid scenario go to stderr here, before anything runs.
pub(crate) fn load_by<T>(
    spec: &str,
    data: Option<&std::path::Path>,
    parser: impl FnOnce(&inputs::Loaded, Option<&std::path::Path>) -> inputs::Parsed<T>,
) -> Result<(T, inputs::Loaded, Vec<InputDigest>), Failure> {
    let loaded = inputs::load(spec)?;
    if let Some(d) = data
        && !d.exists()
    {
        return Err(Failure::input(
            anyhow::anyhow!("dataset `{}` does not exist", d.display()),
            Some("give a dataset .toml file or a folder of .toml files".into()),
        ));
    }
    let inputs::Parsed {
        result,
        warnings,
        used,
    } = parser(&loaded, data);
    if !warnings.0.is_empty() {
        eprintln!("{warnings}");
    }
    match result {
        Ok(scenario) => Ok((scenario, loaded, used)),
        Err(diags) => Err(Failure::Invalid {
            file: loaded.display.clone(),
            diags,
            kind: "scenario",
        }),
    }
}

fn validate(spec: &str, data: Option<&std::path::Path>) -> Result<(), Failure> {
    let (sc, _, _) = load(spec, data)?;
    let spin_up = match sc.settings.report_from {
        0 => String::new(),
        n => format!(" (after a {n}-day spin-up from {})", sc.settings.start),
    };
    print_out(&format!(
        "ok: {}: {} regions, {} products, {} events, {} days from {}{spin_up}\n",
        sc.settings.name,
        sc.world.regions.len(),
        sc.world.products.len(),
        sc.events.len(),
        sc.settings.reported_days(),
        sc.settings.reported_start()
    ))
}

/// `runs/STEM-TAIL` for a run of the scenario file `STEM` with its own base dataset, and
/// `runs/STEM-on-DATA-HASH-TAIL` with `--data DATA`, HASH being the first 8 hex digits of a
/// SHA-256 over the dataset files read: runs on different datasets never share a folder.
pub fn default_out(
    loaded: &inputs::Loaded,
    data: Option<&std::path::Path>,
    used: &[InputDigest],
    tail: &str,
) -> PathBuf {
    let mut name = loaded.stem.clone();
    if let Some(data) = data {
        let stem = data
            .file_stem()
            .map_or_else(|| "data".into(), |s| s.to_string_lossy().into_owned());
        let bases: String = used
            .iter()
            .filter(|d| d.role == "base")
            .map(|d| d.sha256.as_str())
            .collect();
        let hash = inputs::sha256_hex(bases.as_bytes());
        name.push_str(&format!("-on-{stem}-{}", &hash[..8]));
    }
    PathBuf::from("runs").join(format!("{name}-{tail}"))
}

/// The context of an error that stopped a run: the destination keeps what it held.
pub fn run_failed(dir: &std::path::Path) -> String {
    format!("run failed; `{}` was left as it was", dir.display())
}

/// Writes to stdout; a closed pipe (`chokepoint run | head`) is not an error.
fn print_out(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::Run(
            anyhow::Error::new(e).context("cannot write to stdout"),
        )),
        _ => Ok(()),
    }
}

fn run(args: RunArgs) -> Result<(), Failure> {
    let default = format!("builtin:{}", chokepoint_core::library::DEFAULT_SCENARIO);
    let spec = args.scenario.as_deref().unwrap_or(&default);
    if args.progress_lines {
        progress::enable();
    }
    if args.mc.paths > 1 || args.mc.shard.is_some() {
        let text = montecarlo::run(
            spec,
            args.data.as_deref(),
            args.seed,
            args.out,
            args.quiet,
            &args.mc,
        )?;
        return print_out(&text);
    }
    let ((scenario, costs), loaded, used) =
        load_by(spec, args.data.as_deref(), inputs::Loaded::parse_costed)?;
    limits::check_single_run(&scenario, args.mc.allow)?;
    let horizon = &scenario.settings;
    progress::start(
        u64::from(horizon.reported_days()),
        "days",
        u64::from(horizon.report_from),
    );
    let seed = args.seed.unwrap_or(scenario.settings.seed);
    let dir = args.out.unwrap_or_else(|| {
        default_out(&loaded, args.data.as_deref(), &used, &format!("seed{seed}"))
    });
    let folder = RunFolder::create(&dir, &RUN_FOLDER)?.with_format(args.mc.format);
    let (summary, priced) = output::write_run(
        folder,
        &scenario,
        costs.as_ref(),
        seed,
        manifest::single_run_args(),
        used,
    )
    .with_context(|| run_failed(&dir))?;

    let mut text = String::new();
    if args.table {
        text = table::render(&scenario, &summary);
    } else if !args.quiet {
        text = headline::single(&scenario, &summary);
    }
    if (args.table || !args.quiet)
        && let Some(report) = &priced
    {
        text.push_str(&output::cost_lines(report));
    }
    text.push_str(&format!("output: {}\n", dir.display()));
    print_out(&text)
}
