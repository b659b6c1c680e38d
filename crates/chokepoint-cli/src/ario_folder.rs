//! The output folder of `chokepoint ario`, the one place the command writes files: `ario.csv`
//! (tidy, through the engine's `CsvSink`) and `inputs_stocks.csv` stream into `*.partial` files
//! during the run and are renamed when it ends, and `run_info.json` is written last (through its
//! own `.partial`), so a folder with `run_info.json` is complete and an interrupted run leaves
//! only `*.partial` files behind. [`Folder`] is also the [`Sink`] the model records into.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::anyhow;
use chokepoint_ario::{CsvSink, Sink, StepView, Variable};

use crate::Failure;

const CSV: &str = "ario.csv";
const STOCKS: &str = "inputs_stocks.csv";
const RUN_INFO: &str = "run_info.json";
const PARTIAL_CSV: &str = "ario.csv.partial";
const PARTIAL_STOCKS: &str = "inputs_stocks.csv.partial";

/// A write that failed: exit 1, the file named.
fn io_failure(path: &Path) -> impl FnOnce(std::io::Error) -> Failure + '_ {
    move |e| Failure::Run(anyhow!("{}: {e}", path.display()))
}

/// The folder being written (nothing at all without `--out`).
pub struct Folder {
    dir: Option<PathBuf>,
    csv: Option<CsvSink<BufWriter<File>>>,
    stocks: Option<BufWriter<File>>,
}

impl Folder {
    /// Creates `dir` and empties it of a previous run's outputs (a folder being rewritten must
    /// not look complete while the run is under way), then opens `ario.csv.partial` (when
    /// `csv`) and `inputs_stocks.csv.partial` (when also `stocks`).
    pub fn create(
        dir: Option<&Path>,
        csv: bool,
        stocks: bool,
        variables: &[Variable],
    ) -> Result<Folder, Failure> {
        let mut folder = Folder {
            dir: dir.map(Path::to_path_buf),
            csv: None,
            stocks: None,
        };
        let Some(dir) = dir else {
            return Ok(folder);
        };
        std::fs::create_dir_all(dir).map_err(io_failure(dir))?;
        for old in [RUN_INFO, CSV, STOCKS] {
            let p = dir.join(old);
            match std::fs::remove_file(&p) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(io_failure(&p)(e));
                }
                _ => {}
            }
        }
        if !csv {
            return Ok(folder);
        }
        let p = dir.join(PARTIAL_CSV);
        let f = File::create(&p).map_err(io_failure(&p))?;
        folder.csv = Some(CsvSink::new(
            BufWriter::with_capacity(1 << 20, f),
            variables,
        ));
        if stocks {
            let p = dir.join(PARTIAL_STOCKS);
            let f = File::create(&p).map_err(io_failure(&p))?;
            let mut w = BufWriter::with_capacity(1 << 20, f);
            writeln!(w, "step,input,region,sector,value").map_err(io_failure(&p))?;
            folder.stocks = Some(w);
        }
        Ok(folder)
    }

    /// The sink the model records each step into.
    pub fn sink(&mut self) -> &mut dyn Sink {
        self
    }

    /// Flushes the streamed files once the steps are done.
    pub fn finish_streams(&mut self) -> Result<(), Failure> {
        if let Some(c) = self.csv.take() {
            c.finish().map_err(io_failure(Path::new(PARTIAL_CSV)))?;
        }
        if let Some(mut w) = self.stocks.take() {
            w.flush().map_err(io_failure(Path::new(PARTIAL_STOCKS)))?;
        }
        Ok(())
    }

    /// Renames the streamed files into place, then writes `run_info.json` (pretty JSON, no
    /// trailing newline), last.
    pub fn finish(self, run_info: &serde_json::Value) -> Result<(), Failure> {
        let Some(dir) = &self.dir else {
            return Ok(());
        };
        for (tmp, fin) in [(PARTIAL_CSV, CSV), (PARTIAL_STOCKS, STOCKS)] {
            if dir.join(tmp).exists() {
                let p = dir.join(fin);
                std::fs::rename(dir.join(tmp), &p).map_err(io_failure(&p))?;
            }
        }
        let p = dir.join(RUN_INFO);
        let tmp = dir.join("run_info.json.partial");
        let text = serde_json::to_string_pretty(run_info).unwrap_or_default();
        std::fs::write(&tmp, text).map_err(io_failure(&tmp))?;
        std::fs::rename(&tmp, &p).map_err(io_failure(&p))
    }
}

impl Sink for Folder {
    fn record(
        &mut self,
        view: &StepView<'_>,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if let Some(c) = self.csv.as_mut() {
            c.record(view)?;
        }
        if let (Some(w), Some(st)) = (self.stocks.as_mut(), view.stocks) {
            // one row per (input product, industry): Ω at the start of the step
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
