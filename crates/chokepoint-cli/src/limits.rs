//! Limits checked up front. Before a command does any work, what it would need (peak memory,
//! wall time and output size) is estimated from the sizes it is about to run (the scenario's
//! network and horizon, paths and threads; the MRIO's industries and steps) and compared with
//! what the machine has and with two documented limits, so that an absurd argument
//! (`--paths 18446744073709551615`, `--steps` in the billions, `days = 36500`) ends at once
//! with one message that says what the run would take and how to proceed, instead of a panic,
//! an abort on a failed allocation, hours of silence or a full disk.
//!
//! The estimates are formulas over what the code allocates and writes (each function says
//! which), with rates measured on the 2-core build machine (each constant says how). They aim
//! at a factor of two either way: enough to tell a run that fits from one that cannot, not a
//! promise. The limits:
//!
//! - memory above what the machine has available (`MemAvailable` of `/proc/meminfo`; not
//!   checked where that is unknown) is refused: no flag lifts it, the way out is shards;
//! - output over [`MAX_OUTPUT_BYTES`] needs `--allow-large-output`;
//! - an estimated wall time over [`MAX_SECONDS`] needs `--allow-long-run`;
//! - a Monte Carlo run counts at most [`MAX_PATHS`] paths (its stockout counters, and the
//!   counts the shared opening adds, are 32-bit).

use crate::Failure;
use crate::montecarlo::Labels;
use anyhow::anyhow;
use chokepoint_core::engine::Network;
use chokepoint_core::model::{ProductId, RegionId, World};
use chokepoint_core::montecarlo::SeriesSet;
use chokepoint_core::record::Variable;
use chokepoint_core::scenario::Scenario;

/// Output a command writes without `--allow-large-output`: 2 GB, ten times the largest shipped
/// scenario's run folder (217 MB) and far below a disk.
pub const MAX_OUTPUT_BYTES: f64 = 2e9;
const MAX_OUTPUT_TEXT: &str = "2 GB";

/// Estimated wall time a command runs without `--allow-long-run`: 24 hours. A Monte Carlo run
/// that long is better split into shards on several machines.
pub const MAX_SECONDS: f64 = 24.0 * 3600.0;
const MAX_SECONDS_TEXT: &str = "24 hours";

/// Paths one Monte Carlo run counts: stockout counts per (node, day) are `u32`, summed over
/// every path of the run (and of all its shards, when merged).
pub const MAX_PATHS: u64 = u32::MAX as u64;

/// The flags that lift the limits on output size and run time.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct Allow {
    /// Write more than 2 GB of output (a larger run is otherwise refused before it starts)
    #[arg(long)]
    pub allow_large_output: bool,
    /// Run for more than an estimated 24 hours (such a run is otherwise refused before it
    /// starts)
    #[arg(long)]
    pub allow_long_run: bool,
}

/// What a command would need.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Needs {
    /// Peak memory, bytes (0: not estimated, because it does not grow with the arguments).
    pub memory: f64,
    /// What the memory is made of, for the message.
    pub memory_parts: String,
    /// Estimated wall time, seconds.
    pub seconds: f64,
    /// How the time was worked out, for the message.
    pub time_basis: String,
    /// Bytes written, per file, largest first.
    pub output: Vec<(&'static str, f64)>,
    /// Limits no flag lifts and no machine meets (e.g. more paths than the counters hold).
    pub impossible: Vec<String>,
}

impl Needs {
    pub fn output_bytes(&self) -> f64 {
        self.output.iter().map(|(_, b)| b).sum()
    }
}

/// Which limits a command would break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Over {
    pub memory: bool,
    pub time: bool,
    pub output: bool,
    pub impossible: bool,
}

impl Over {
    fn any(self) -> bool {
        self.memory || self.time || self.output || self.impossible
    }
}

/// Bytes of memory the machine has available for a new process (Linux `MemAvailable`).
pub fn available_memory() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}

/// Which limits `needs` breaks with `allow` and `available` bytes of memory.
pub fn over(needs: &Needs, allow: Allow, available: Option<f64>) -> Over {
    Over {
        memory: available.is_some_and(|a| needs.memory > a),
        time: !allow.allow_long_run && needs.seconds > MAX_SECONDS,
        output: !allow.allow_large_output && needs.output_bytes() > MAX_OUTPUT_BYTES,
        impossible: !needs.impossible.is_empty(),
    }
}

/// Refuses (exit 2) a command whose `needs` break a limit, with every broken limit in one
/// message, what it would need and the hint `hint` gives for them; `what` names the run
/// (`4294967296 paths of april-2025 on 2 threads`).
pub fn check(
    what: &str,
    needs: &Needs,
    allow: Allow,
    hint: impl FnOnce(Over, Option<f64>) -> String,
) -> Result<(), Failure> {
    let available = available_memory();
    let over = over(needs, allow, available);
    if !over.any() {
        return Ok(());
    }
    Err(Failure::input(
        anyhow!("{}", refusal(what, needs, over, available)),
        Some(hint(over, available)),
    ))
}

/// The message of a refusal: one line per estimate, the broken limits said so.
pub fn refusal(what: &str, needs: &Needs, over: Over, available: Option<f64>) -> String {
    let mut msg = format!("{what}: too large to start; it would need");
    if needs.memory > 0.0 {
        msg.push_str(&format!("\n  memory: about {}", bytes(needs.memory)));
        if let (true, Some(a)) = (over.memory, available) {
            msg.push_str(&format!(", more than the {} available", bytes(a)));
        }
        msg.push_str(&format!(" ({})", needs.memory_parts));
    }
    msg.push_str(&format!("\n  time: about {}", duration(needs.seconds)));
    if over.time {
        msg.push_str(&format!(
            ", more than the {MAX_SECONDS_TEXT} allowed without --allow-long-run"
        ));
    }
    msg.push_str(&format!(" ({})", needs.time_basis));
    let total = needs.output_bytes();
    if needs.output.is_empty() {
        return finish(msg, needs);
    }
    msg.push_str(&format!("\n  output: about {}", bytes(total)));
    if over.output {
        msg.push_str(&format!(
            ", more than the {MAX_OUTPUT_TEXT} allowed without --allow-large-output"
        ));
    }
    let files: Vec<String> = needs
        .output
        .iter()
        .filter(|(_, b)| *b >= 0.01 * total)
        .map(|(f, b)| format!("{f} {}", bytes(*b)))
        .collect();
    if !files.is_empty() {
        msg.push_str(&format!(" ({})", files.join(", ")));
    }
    finish(msg, needs)
}

/// `msg` with the limits no flag lifts, one a line.
fn finish(mut msg: String, needs: &Needs) -> String {
    for line in &needs.impossible {
        msg.push_str(&format!("\n  {line}"));
    }
    msg
}

/// `n` bytes in decimal units, two or three significant digits.
pub fn bytes(n: f64) -> String {
    const UNITS: [&str; 7] = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut v = n.max(0.0);
    let mut unit = 0;
    while v >= 1000.0 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    if v >= 1000.0 {
        return format!("{n:.1e} bytes");
    }
    format!("{} {}", significant(v), UNITS[unit])
}

/// `s` seconds in the largest unit that keeps the number above 1.
pub fn duration(s: f64) -> String {
    const STEPS: [(f64, &str); 7] = [
        (1e-6, "µs"),
        (1e-3, "ms"),
        (1.0, "s"),
        (60.0, "min"),
        (3600.0, "h"),
        (86400.0, "days"),
        (365.25 * 86400.0, "years"),
    ];
    let (div, unit) = STEPS
        .iter()
        .rev()
        .find(|(d, _)| s >= *d)
        .copied()
        .unwrap_or(STEPS[0]);
    let v = s / div;
    if v >= 1e6 {
        return format!("{v:.1e} {unit}");
    }
    format!("{} {unit}", significant(v))
}

/// Three significant digits below 100, none after the point above.
fn significant(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// `n` things: `1 path`, `2 paths`.
pub fn count(n: u64, thing: &str) -> String {
    let s = if n == 1 { "" } else { "s" };
    format!("{n} {thing}{s}")
}

/// Digits of `n` written in decimal.
fn digits(n: f64) -> f64 {
    n.max(1.0).log10().floor() + 1.0
}

/// Bytes glibc's malloc takes for a block of `n` bytes: `n` plus its 8-byte header, rounded up
/// to 16, at least 32.
fn malloc_block(n: f64) -> f64 {
    ((n + 8.0) / 16.0).ceil().max(2.0) * 16.0
}

// ---- Monte Carlo -----------------------------------------------------------------------------

/// Measured: the program with its scenario loaded and nothing that grows with the run (peak
/// RSS of `tiny-mc.toml` runs on 1 thread, 6 MB, and of a single `april-2025` run, 15 MB).
const MC_BASE_BYTES: f64 = 10e6;

/// Measured: bytes per (source, day) cell for its sketch (88-byte `Cell`), its exact sum (16
/// bytes) and the sketch's bins (8 bytes per non-empty bin, their `Vec`'s spare capacity and
/// malloc headers). Peak RSS of `april-2025` runs (448,220 cells) less their batch buffers,
/// rows and base: 231 bytes a cell at 1,000 paths, 276 at 2,000 (1 thread), 323 at 10,000 (2
/// threads, bench/README.md round 8). Bins grow slowly with the paths (more distinct values),
/// so this is the 10,000-path figure with some room.
const MC_CELL_BYTES: f64 = 350.0;

/// The core's batching of Monte Carlo paths, as `f64` for the estimates.
const BUFFER_BUDGET: f64 = chokepoint_core::montecarlo::BUFFER_BUDGET as f64;
const MIN_BATCH: f64 = chokepoint_core::montecarlo::MIN_BATCH as f64;
const MAX_BATCH: f64 = chokepoint_core::montecarlo::MAX_BATCH as f64;

/// Measured: wall seconds per path-day per unit of network (a link or a summarised source) on
/// one idle core, the simulation and the summaries together: `april-2025` on `world-2024`
/// (429 links, 1,228 sources, 365 days) runs 15.9 ms a path (bench/README.md, round 8). On
/// the shared build machine at a load of 4.5 on its 2 cores, 1,000 paths on 1 thread took
/// 48.5 s: a loaded machine can take three times the estimate.
const MC_SECONDS_PER_UNIT_DAY: f64 = 2.6e-8;

/// Measured average widths of a number in the Monte Carlo CSV files, bytes: a quantile or mean
/// of `bands.csv` (14.1), a per-path value of `paths.csv` (12.5), a probability of
/// `stockout.csv` (1.2), from a 2,000-path run of `april-2025`.
const BAND_NUMBER_BYTES: f64 = 14.0;
const PATH_NUMBER_BYTES: f64 = 12.5;
const PROBABILITY_BYTES: f64 = 2.0;

/// Measured: bytes of `partial.bin` per cell for its encoded sketch, over the fixed 20 (exact
/// sum and length): 87 for a shard of 1,000 paths of `april-2025`, 54 for 14 paths.
const PARTIAL_CELL_BYTES: f64 = 90.0;

/// The sizes a Monte Carlo run's cost follows, from its scenario and what it summarises.
#[derive(Debug, Clone, PartialEq)]
pub struct McShape {
    /// Scenario name, for messages.
    pub name: String,
    /// Days summarised (a spin-up's days are simulated, not summarised).
    pub days: f64,
    /// Days simulated, a spin-up included.
    pub simulated_days: f64,
    pub links: f64,
    /// Series of `bands.csv`.
    pub series: f64,
    /// Distinct sources: one sketch and one exact sum per (source, day).
    pub sources: f64,
    /// Values of a per-path row (the columns of `paths.csv` but the path).
    pub metrics: f64,
    pub stock_nodes: f64,
    /// Bytes of one day's `bands.csv` rows without their numbers (labels, commas, newlines).
    pub band_label_bytes: f64,
    /// Bytes of one day's `stockout.csv` rows without the counts and probabilities.
    pub stockout_label_bytes: f64,
}

impl McShape {
    /// The shape of a run of `scenario` summarised as `set` and its `labels` say: one sketch
    /// and one sum per (source, day) of the series the run's band choice keeps.
    pub fn new(scenario: &Scenario, set: &SeriesSet, labels: &Labels) -> McShape {
        let world = &scenario.world;
        let sources = set.source_count();
        // date, 5 labels, 6 numbers: 11 commas and a newline
        let band_label_bytes = labels
            .series
            .iter()
            .map(|l| {
                10 + l.region.len()
                    + l.partner.len()
                    + l.product.len()
                    + l.variable.len()
                    + l.unit.len()
                    + 12
            })
            .sum::<usize>() as f64;
        // `stoppages.csv` has the layout of `stockout.csv` (a row per day and stoppage row),
        // so its rows count as more stock nodes.
        let stockout_label_bytes = labels
            .stock_nodes
            .iter()
            .chain(&labels.stoppages)
            .map(|l| 10 + l.region.len() + l.product.len() + 6)
            .sum::<usize>() as f64;
        McShape {
            name: scenario.settings.name.clone(),
            days: f64::from(scenario.settings.reported_days()),
            simulated_days: f64::from(scenario.settings.days),
            links: world.links.len() as f64,
            series: labels.series.len() as f64,
            sources: sources as f64,
            metrics: labels.metrics.len() as f64,
            stock_nodes: (labels.stock_nodes.len() + labels.stoppages.len()) as f64,
            band_label_bytes,
            stockout_label_bytes,
        }
    }

    fn cells(&self) -> f64 {
        self.days * self.sources
    }

    /// Wall seconds of one path on one thread.
    fn path_seconds(&self) -> f64 {
        self.simulated_days * (self.links + self.sources) * MC_SECONDS_PER_UNIT_DAY
    }

    /// Bytes of one per-path row: a 32-byte `PathRow` in a `Vec` that grows by doubling (1.5
    /// times on average) and its values' block.
    fn row_bytes(&self) -> f64 {
        48.0 + malloc_block(8.0 * self.metrics)
    }
}

/// A Monte Carlo run to estimate: `here` of the run's `total` paths on `threads` threads,
/// a shard (`partial.bin`, its `paths.csv`) or a whole run (bands, stockouts, distributions,
/// every path's row).
#[derive(Debug, Clone, Copy)]
pub struct McPaths {
    pub total: u64,
    pub here: u64,
    pub threads: usize,
    pub shard: bool,
}

/// What `run` does for `shape` and `run`.
///
/// Memory, after what `chokepoint_core::montecarlo::run` and the writers allocate:
///
/// ```text
/// base                                   the program and its scenario (MC_BASE_BYTES)
/// + cells · MC_CELL_BYTES                a sketch and an exact sum per (source, day)
/// + T · b · cells · 8                    each of T workers' buffer of b paths' values
/// + here · (8 + k · row + 16)            the list of paths; the per-path rows, held twice
///                                        (k = 2) at the end of a threaded run (each worker's
///                                        rows and their merged copy); the sort's buffer or
///                                        `distributions.csv`'s columns
/// ```
///
/// with `T` = min(threads, here), `b` = the core's `batch_paths` (as many paths as 480 MiB
/// hold for all workers, within 16..=64, at most `here`), `row` = 48 + malloc(8 · metrics).
///
/// Time: `here / T'` paths one after another, each `days · (links + sources)` units of work at
/// [`MC_SECONDS_PER_UNIT_DAY`], with `T'` = min(T, cores) (two threads on one core are no
/// faster).
///
/// Output: `bands.csv` a row per (day, series) of its labels and six numbers, `stockout.csv`
/// a row per (day, stock node), `paths.csv` a row per path; a shard writes `partial.bin` (its
/// cells) and its own paths' rows instead.
pub fn monte_carlo(shape: &McShape, run: McPaths, cores: usize) -> Needs {
    let here = run.here as f64;
    let cells = shape.cells();
    let t = run.threads.max(1).min(run.here.max(1) as usize) as f64;
    let row_values = 8.0 * cells;
    let batch = (BUFFER_BUDGET / (t * row_values.max(8.0)))
        .floor()
        .clamp(MIN_BATCH, MAX_BATCH)
        .min(here.max(1.0));
    let buffers = t * batch * row_values;
    let sketches = cells * MC_CELL_BYTES;
    let copies = if t > 1.0 { 2.0 } else { 1.0 };
    let per_path = 8.0 + copies * shape.row_bytes() + 16.0;
    let memory = MC_BASE_BYTES + sketches + buffers + here * per_path;
    let memory_parts = format!(
        "{} a path for {}, {} for the sketches, {} for {} of {} each",
        bytes(per_path),
        count(run.here, "path"),
        bytes(sketches),
        bytes(buffers),
        count(t as u64, "worker buffer"),
        count(batch as u64, "path")
    );
    let parallel = t.min(cores.max(1) as f64);
    let seconds = here / parallel * shape.path_seconds();
    let time_basis = format!(
        "{} a path on one thread, {parallel} at a time",
        duration(shape.path_seconds())
    );
    let path_row = digits(run.total as f64) + shape.metrics * (1.0 + PATH_NUMBER_BYTES) + 1.0;
    let mut output = vec![("paths.csv", here * path_row)];
    if run.shard {
        let stockouts = 4.0 * shape.days * shape.stock_nodes;
        let partial = 32.0 + cells * (20.0 + PARTIAL_CELL_BYTES) + stockouts;
        output.push(("partial.bin", partial));
    } else {
        let numbers = 6.0 * BAND_NUMBER_BYTES;
        let bands = shape.days * (shape.band_label_bytes + shape.series * numbers);
        let counts = 2.0 * digits(run.total as f64) + PROBABILITY_BYTES;
        let stockout = shape.days * (shape.stockout_label_bytes + shape.stock_nodes * counts);
        output.push(("bands.csv", bands));
        output.push(("stockout.csv", stockout));
    }
    output.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut impossible = Vec::new();
    if run.total > MAX_PATHS {
        impossible.push(format!(
            "paths: at most {MAX_PATHS} in one run (its stockout counts are 32-bit), not {}",
            run.total
        ));
    }
    Needs {
        memory,
        memory_parts,
        seconds,
        time_basis,
        output,
        impossible,
    }
}

/// A shard as `chokepoint emit slurm` asks for it: 2 threads, 2 GB and one hour a task.
const SHARD_THREADS: usize = 2;
const SHARD_MEMORY: f64 = 2e9;
const SHARD_SECONDS: f64 = 3600.0;

/// How to proceed with a Monte Carlo run that breaks `over`: fewer paths when even `merge`
/// could not hold every path's row, else shards sized for the job `emit` writes (so that each
/// task fits its 2 GB and its hour), and the flag for a large output.
pub fn mc_hint(shape: &McShape, run: McPaths, over: Over, available: Option<f64>) -> String {
    let mut hints = Vec::new();
    let rows = run.total as f64 * shape.row_bytes();
    if let Some(a) = available
        && rows > a
    {
        return format!(
            "use fewer paths: their per-path rows alone take {}, more than the {} available, \
             and `chokepoint merge` holds all of them even when the run is split into shards",
            bytes(rows),
            bytes(a)
        );
    }
    if over.impossible {
        return format!("use at most {MAX_PATHS} paths");
    }
    if over.memory || over.time {
        let shards = shards_for(shape, run.total);
        let each = run.total.div_ceil(shards);
        let shard = McPaths {
            total: run.total,
            here: each,
            threads: SHARD_THREADS,
            shard: true,
        };
        let memory = monte_carlo(shape, shard, SHARD_THREADS).memory;
        let raise = if memory > SHARD_MEMORY {
            format!(
                "; each needs about {} of memory, more than the script's `#SBATCH --mem=2G`: \
                 raise it",
                bytes(memory)
            )
        } else {
            String::new()
        };
        hints.push(format!(
            "split the run into {shards} shards of about {each} paths \
             (`chokepoint emit slurm --paths {} --shards {shards}` writes a Slurm job array of \
             them, or run `--shard I/{shards}` for each I in 0..{shards}{raise}), then merge \
             the shard folders with `chokepoint merge` (which holds every path's row: {})",
            run.total,
            bytes(rows)
        ));
        if over.time && !over.memory {
            hints.push("or pass --allow-long-run to run it here anyway".into());
        }
    }
    if over.output {
        hints.push("pass --allow-large-output to write that much anyway".into());
    }
    hints.join("; ")
}

/// Shards of a `total`-path run such that each, on [`SHARD_THREADS`] threads, fits in
/// [`SHARD_MEMORY`] and [`SHARD_SECONDS`] (or as close as the fixed part of memory allows).
fn shards_for(shape: &McShape, total: u64) -> u64 {
    let one = |here: u64| McPaths {
        total,
        here,
        threads: SHARD_THREADS,
        shard: true,
    };
    let by_time =
        (total as f64 * shape.path_seconds() / (SHARD_THREADS as f64 * SHARD_SECONDS)).ceil();
    let fixed = monte_carlo(shape, one(MIN_BATCH as u64 * 4), SHARD_THREADS).memory;
    let per_path = 8.0 + 2.0 * shape.row_bytes() + 16.0;
    let by_memory = if fixed < SHARD_MEMORY {
        (total as f64 * per_path / (SHARD_MEMORY - fixed)).ceil()
    } else {
        1.0
    };
    (by_time.max(by_memory).max(1.0) as u64).min(total.max(1))
}

// ---- a single run ----------------------------------------------------------------------------

/// Measured: average width of a value in `timeseries.csv`, bytes (13.5 in `april-2025`'s).
const SERIES_VALUE_BYTES: f64 = 13.5;

/// Measured: wall seconds per `timeseries.csv` row, the simulation that makes it included:
/// `run builtin:april-2025` (release build) wrote its 1.1 M rows in 2.0 s at a load of 5.9 on
/// the 2-core build machine.
const SECONDS_PER_SERIES_ROW: f64 = 1.8e-6;

/// What `run` (one path) writes and how long it takes for `scenario`. Its memory does not grow
/// with the horizon beyond the licences it files, so it is not estimated.
///
/// Output: `timeseries.csv` holds, every day, a row per facility (production), per link
/// (shipments and arrivals, and landed cost between two regions) and per active node
/// (inventory, consumption, unmet demand, price; days of cover with a baseline need; stockpile
/// where there is one): the rows the engine always writes, each its date, labels and a value of
/// [`SERIES_VALUE_BYTES`]. Licence counts and offtake top-ups, written only on some days, and
/// `licences.csv` come on top, so this is a lower bound. Time: the rows at
/// [`SECONDS_PER_SERIES_ROW`].
pub fn single_run(scenario: &Scenario) -> Needs {
    let world = &scenario.world;
    let net = Network::new(world);
    let (rows, label_bytes) = series_of_a_day(world, &net);
    // Written: the reported days; simulated (and timed): the spin-up's too.
    let days = f64::from(scenario.settings.reported_days());
    let day_bytes = label_bytes + rows * SERIES_VALUE_BYTES;
    let seconds = f64::from(scenario.settings.days) * rows * SECONDS_PER_SERIES_ROW;
    Needs {
        memory: 0.0,
        memory_parts: String::new(),
        seconds,
        time_basis: format!("{rows} rows a day for {days} days"),
        output: vec![("timeseries.csv", days * day_bytes)],
        impossible: Vec::new(),
    }
}

/// Rows `timeseries.csv` gets every day, and their bytes without the values.
fn series_of_a_day(world: &World, net: &Network) -> (f64, f64) {
    let (mut rows, mut bytes) = (0.0, 0.0);
    let mut row = |v: Variable, r: RegionId, partner: Option<RegionId>, p: ProductId| {
        let code = |r: RegionId| world.regions[r.ix()].code.len();
        // date, 5 labels and a value: 6 commas and a newline
        let labels = 10
            + code(r)
            + partner.map_or(0, code)
            + world.products[p.ix()].code.len()
            + v.as_str().len()
            + v.unit(world, p).len()
            + 7;
        rows += 1.0;
        bytes += labels as f64;
    };
    for n in 0..net.nr * net.np {
        let (r, p) = (
            RegionId((n / net.np) as u32),
            ProductId((n % net.np) as u32),
        );
        if net.facility_of[n].is_some() {
            row(Variable::Production, r, None, p);
        }
        if !net.active[n] {
            continue;
        }
        for v in [
            Variable::Inventory,
            Variable::Consumption,
            Variable::UnmetDemand,
            Variable::Price,
        ] {
            row(v, r, None, p);
        }
        if net.need0[n] > 0.0 {
            row(Variable::DaysOfCover, r, None, p);
        }
        if world
            .stockpiles
            .iter()
            .any(|s| (s.region, s.product) == (r, p))
        {
            row(Variable::Stockpile, r, None, p);
        }
    }
    for link in &world.links {
        row(Variable::Shipments, link.from, Some(link.to), link.product);
        row(Variable::Arrivals, link.to, Some(link.from), link.product);
        if link.from != link.to {
            row(Variable::LandedCost, link.to, Some(link.from), link.product);
        }
    }
    (rows, bytes)
}

/// How to proceed with a single run that breaks `over`.
pub fn single_run_hint(over: Over) -> String {
    let mut hints = Vec::new();
    if over.output {
        hints.push(
            "shorten the horizon (`days` in the scenario), or pass --allow-large-output to write \
             it anyway",
        );
    }
    if over.time {
        hints.push("shorten the horizon, or pass --allow-long-run to run it anyway");
    }
    hints.join("; ")
}

// ---- ario ------------------------------------------------------------------------------------

/// Measured: seconds per step per n² (n industries): a step streams the n × n flow matrix,
/// ~1.2 ns per entry at n = 1,000 to 7,987 (bench/README.md, ARIO table).
const ARIO_SECONDS_PER_N2: f64 = 1.2e-9;

/// Measured: seconds per step per industry for the rest of a step (vectors of length n and
/// S × n, the step's fixed costs): the 13 × 6 fixture (n = 78) ran 100,000 steps without output
/// at 28 µs a step (load 5.9), of which n² takes 7.
const ARIO_SECONDS_PER_INDUSTRY: f64 = 2.7e-7;

/// Measured: seconds per `ario.csv` or `inputs_stocks.csv` row written: the same fixture wrote
/// 8.58 M rows (10,000 steps) in 15.6 s (load 5.9).
const ARIO_SECONDS_PER_ROW: f64 = 1.8e-6;

/// Measured: average width of a value in `ario.csv`, bytes (15.8 in that run).
const ARIO_VALUE_BYTES: f64 = 16.0;

/// A `chokepoint ario` run to estimate.
#[derive(Debug, Clone, Copy)]
pub struct ArioRun<'a> {
    pub regions: &'a [String],
    pub sectors: &'a [String],
    pub steps: usize,
    /// Names of the variables written to `ario.csv` (none without it).
    pub variables: &'a [&'a str],
    /// Whether `inputs_stocks.csv` is written.
    pub stocks: bool,
}

/// What `ario` does for `run`. Its memory does not grow with the steps (the model holds one
/// step; files are streamed), so it is not estimated.
///
/// Time: per step [`ARIO_SECONDS_PER_N2`] · n² + [`ARIO_SECONDS_PER_INDUSTRY`] · n, and
/// [`ARIO_SECONDS_PER_ROW`] per row written. Output: `ario.csv` a row per (step, variable,
/// industry): `step,region,sector,variable,value`; `inputs_stocks.csv` a row per (step, input
/// sector, industry).
pub fn ario(run: ArioRun) -> Needs {
    let s_n = run.sectors.len();
    let n = (run.regions.len() * s_n) as f64;
    let steps = run.steps as f64;
    let step_digits = digits(steps);
    let industry_labels: f64 = run
        .regions
        .iter()
        .map(|r| (r.len() * s_n + run.sectors.iter().map(String::len).sum::<usize>()) as f64)
        .sum();
    let per_variable = industry_labels + n * (step_digits + ARIO_VALUE_BYTES + 5.0);
    let csv_step: f64 = run
        .variables
        .iter()
        .map(|v| per_variable + n * v.len() as f64)
        .sum();
    let stock_step = if run.stocks {
        let inputs = run.sectors.iter().map(String::len).sum::<usize>() as f64;
        s_n as f64 * (industry_labels + n * (step_digits + ARIO_VALUE_BYTES + 5.0)) + n * inputs
    } else {
        0.0
    };
    let mut output = Vec::new();
    if !run.variables.is_empty() {
        output.push(("ario.csv", steps * csv_step));
    }
    if run.stocks {
        output.push(("inputs_stocks.csv", steps * stock_step));
    }
    output.sort_by(|a, b| b.1.total_cmp(&a.1));
    let rows_per_step =
        n * run.variables.len() as f64 + if run.stocks { s_n as f64 * n } else { 0.0 };
    let step_seconds = ARIO_SECONDS_PER_N2 * n * n
        + ARIO_SECONDS_PER_INDUSTRY * n
        + ARIO_SECONDS_PER_ROW * rows_per_step;
    Needs {
        memory: 0.0,
        memory_parts: String::new(),
        seconds: steps * step_seconds,
        time_basis: format!("{} a step at n = {n}", duration(step_seconds)),
        output,
        impossible: Vec::new(),
    }
}

/// How to proceed with an `ario` run that breaks `over`: how many steps would fit.
pub fn ario_hint(run: ArioRun, over: Over) -> String {
    let needs = ario(ArioRun { steps: 1, ..run });
    let mut hints = Vec::new();
    if over.time {
        let fit = (MAX_SECONDS / needs.seconds.max(1e-12)).floor();
        hints.push(format!(
            "use fewer --steps (about {fit:.0} fit in {MAX_SECONDS_TEXT}), or pass \
             --allow-long-run"
        ));
    }
    if over.output {
        let fit = (MAX_OUTPUT_BYTES / needs.output_bytes().max(1.0)).floor();
        hints.push(format!(
            "write less: fewer --steps (about {fit:.0} fit in {MAX_OUTPUT_TEXT}), fewer \
             --variables, no --register-stocks or --no-csv; or pass --allow-large-output"
        ));
    }
    hints.join("; ")
}

/// Refuses, before any work, a single run of `scenario` whose output or time break a limit.
pub fn check_single_run(scenario: &Scenario, allow: Allow) -> Result<(), Failure> {
    let needs = single_run(scenario);
    let what = format!(
        "a run of {} over {} days",
        scenario.settings.name, scenario.settings.days
    );
    check(&what, &needs, allow, |over, _| single_run_hint(over))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chokepoint_core::montecarlo::{Accumulator, SeriesSet};
    use chokepoint_core::uncertain::Uncertainty;

    fn builtin(name: &str) -> Scenario {
        let Some(Ok(s)) = chokepoint_core::library::builtin_scenario(name) else {
            panic!("built-in scenario {name}");
        };
        s
    }

    /// The sources counted here are the core's: an encoded partial result states how many
    /// sketches a day it keeps (bytes 28..32, after magic, days, series, stock nodes, paths).
    #[test]
    fn sources_are_counted_as_the_core_counts_them() {
        for name in ["april-2025", "japan-2010", "allied-buildout"] {
            let s = builtin(name);
            let set = SeriesSet::new(&s, &Uncertainty::default());
            let shape = McShape::new(&s, &set, &Labels::new(&s, &set));
            let bytes = Accumulator::new(&set).encode();
            let n_sources = u32::from_le_bytes(bytes[28..32].try_into().unwrap());
            assert_eq!(shape.sources, f64::from(n_sources), "{name}");
            assert_eq!(shape.series, set.series.len() as f64, "{name}");
        }
    }

    /// Within the limits, a run that fits passes; each limit is broken on its own by the
    /// argument that grows it, and a flag lifts only its own limit.
    #[test]
    fn each_limit_is_broken_by_what_grows_it() {
        let s = builtin("april-2025");
        // Every series (the sizes below are those of `--bands all`).
        let all = chokepoint_core::bands::Bands::All;
        let set = SeriesSet::with_bands(&s, &Uncertainty::default(), &all);
        let shape = McShape::new(&s, &set, &Labels::new(&s, &set));
        let run = |paths: u64, threads: usize| McPaths {
            total: paths,
            here: paths,
            threads,
            shard: false,
        };
        let plenty = Some(1e12);
        let none = Allow::default();
        let needs = monte_carlo(&shape, run(10_000, 2), 2);
        assert_eq!(over(&needs, none, plenty), Over::default());
        // Ten thousand threads: ten thousand buffers of at least 16 paths of 3.6 MB.
        let needs = monte_carlo(&shape, run(10_000, 10_000), 2);
        assert!(needs.memory > 5e11, "{needs:?}");
        let o = over(&needs, none, Some(64e9));
        assert!(o.memory && !o.time && !o.output && !o.impossible, "{o:?}");
        let needs = monte_carlo(&shape, run(MAX_PATHS + 1, 2), 2);
        assert!(over(&needs, none, None).impossible);
        let needs = monte_carlo(&shape, run(20_000_000, 2), 2);
        let o = over(&needs, none, plenty);
        assert!(o.time && o.output && !o.memory, "{o:?} {needs:?}");
        let allow = Allow {
            allow_large_output: true,
            allow_long_run: false,
        };
        let o = over(&needs, allow, plenty);
        assert!(o.time && !o.output, "{o:?}");
        // Memory is not checked where the machine does not say what it has.
        assert!(!over(&needs, none, None).memory);
    }

    /// A single run's output grows with the horizon: a year of the default scenario is
    /// within the limit, a century is not.
    #[test]
    fn a_single_run_is_refused_for_its_output_only_when_long() {
        let mut s = builtin("april-2025");
        let year = single_run(&s);
        assert!(year.output_bytes() < MAX_OUTPUT_BYTES / 5.0, "{year:?}");
        s.settings.days = 36_500;
        let century = single_run(&s);
        assert!(century.output_bytes() > MAX_OUTPUT_BYTES, "{century:?}");
        let o = over(&century, Allow::default(), None);
        assert!(o.output && !o.time, "{o:?}");
    }

    /// The shards suggested fit the task `emit slurm` writes: 2 threads, 2 GB, an hour.
    #[test]
    fn suggested_shards_fit_an_emitted_task() {
        let s = builtin("april-2025");
        let set = SeriesSet::new(&s, &Uncertainty::default());
        let shape = McShape::new(&s, &set, &Labels::new(&s, &set));
        for total in [1_000_000, 10_000_000] {
            let shards = shards_for(&shape, total);
            let shard = McPaths {
                total,
                here: total.div_ceil(shards),
                threads: SHARD_THREADS,
                shard: true,
            };
            let needs = monte_carlo(&shape, shard, SHARD_THREADS);
            assert!(needs.memory <= SHARD_MEMORY, "{shards} shards: {needs:?}");
            assert!(
                needs.seconds <= SHARD_SECONDS * 1.01,
                "{shards} shards: {needs:?}"
            );
            assert!(shards > 1, "{total} paths in one shard");
            let fewer = McPaths {
                here: total.div_ceil(shards - 1),
                ..shard
            };
            let needs = monte_carlo(&shape, fewer, SHARD_THREADS);
            assert!(needs.memory > SHARD_MEMORY || needs.seconds > SHARD_SECONDS);
        }
    }

    #[test]
    fn sizes_and_durations_read_well() {
        assert_eq!(bytes(950.0), "950 bytes");
        assert_eq!(bytes(7.3e9), "7.30 GB");
        assert_eq!(bytes(1.2e23), "1.2e23 bytes");
        assert_eq!(duration(0.5), "500 ms");
        assert_eq!(duration(2.8e-5), "28.0 µs");
        assert_eq!(duration(0.0), "0.00 µs");
        assert_eq!(duration(90.0), "1.50 min");
        assert_eq!(duration(30.0 * 3600.0), "1.25 days");
        assert_eq!(duration(1e20), "3.2e12 years");
    }
}
