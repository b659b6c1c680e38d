//! The manifests of chokepoint's run folders (docs/outputs.md), each written last by
//! [`RunFolder::seal`](crate::run_folder::RunFolder::seal): [`RunManifest`] for a single run,
//! [`McManifest`] for a Monte Carlo run, a merge or a shard. Both name the [`Program`] that
//! wrote them ([`program`]), the command line ([`typed_args`], or [`recorded_args`] without
//! the flags that cannot change a Monte Carlo result), the [`InputDigest`]s read and the
//! [`OutputFile`]s written. A shard's manifest also carries its [`RunIdentity`], the part that
//! `merge` compares ([`McManifest::identity`]).

use crate::run_folder::OutputFile;
use chokepoint_core::shard::{InputDigest, Program, RunIdentity, Shard};
use serde::{Deserialize, Serialize};

/// Version of the run-folder layout described in docs/outputs.md.
pub const SCHEMA_VERSION: u32 = 1;

/// This binary, as manifests name it.
pub fn program() -> Program {
    Program {
        name: env!("CARGO_BIN_NAME").into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }
}

/// Everything after the program name, exactly as typed (never expanded to absolute paths).
pub fn typed_args() -> Vec<String> {
    std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

/// [`typed_args`] without `--table`, which changes only what is printed: a run's folder is
/// the same bytes whether its table or its headline went to the terminal.
pub fn single_run_args() -> Vec<String> {
    typed_args()
        .into_iter()
        .filter(|a| a != "--table" && a != "--progress-lines")
        .collect()
}

/// [`typed_args`] without the ones that cannot change a Monte Carlo result (`--threads`,
/// `--quiet`, `--table`, `--progress-lines`), so that its folder is byte-identical for any thread count.
pub fn recorded_args() -> Vec<String> {
    let mut out = Vec::new();
    let mut skip = false;
    for a in typed_args() {
        if skip {
            skip = false;
            continue;
        }
        if a == "--threads" {
            skip = true;
            continue;
        }
        if a.starts_with("--threads=")
            || a == "--quiet"
            || a == "-q"
            || a == "--table"
            || a == "--progress-lines"
        {
            continue;
        }
        out.push(a);
    }
    out
}

/// `manifest.json` of a single run.
#[derive(Debug, Serialize)]
pub struct RunManifest {
    pub schema_version: u32,
    pub program: Program,
    pub scenario: String,
    pub seed: u64,
    pub days: u32,
    pub start: String,
    pub args: Vec<String>,
    pub inputs: Vec<InputDigest>,
    pub outputs: Vec<OutputFile>,
}

/// `manifest.json` of a Monte Carlo run folder (`kind = "monte-carlo"`, no `shard`) or shard
/// folder (`kind = "monte-carlo-shard"`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct McManifest {
    pub schema_version: u32,
    pub kind: String,
    pub program: Program,
    pub scenario: String,
    pub seed: u64,
    pub paths: u64,
    pub shard: Option<Shard>,
    pub days: u32,
    pub start: String,
    pub sketch: Sketch,
    pub stockout_threshold: f64,
    /// The series `bands.csv` holds, as `--bands` writes them (`all`: every series of the six
    /// variables, the only choice before it could be made; shards written then say nothing).
    #[serde(default = "bands_all")]
    pub bands: String,
    pub args: Vec<String>,
    pub inputs: Vec<InputDigest>,
    pub outputs: Vec<OutputFile>,
}

fn bands_all() -> String {
    "all".into()
}

/// How the bands' quantiles are summarised.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sketch {
    pub kind: String,
    pub relative_accuracy: f64,
}

impl McManifest {
    /// The run this shard belongs to; `None` when the folder is not a shard.
    pub fn identity(&self) -> Option<RunIdentity> {
        let shard = self.shard?;
        Some(RunIdentity {
            scenario: self.scenario.clone(),
            inputs: self.inputs.clone(),
            seed: self.seed,
            paths: self.paths,
            shard_count: shard.count,
            program: self.program.clone(),
            days: self.days,
            start: self.start.clone(),
            stockout_threshold: self.stockout_threshold,
            bands: self.bands.clone(),
        })
    }
}
