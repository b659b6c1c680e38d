//! The output folder of `chokepoint ario`, written through the program's one run-folder writer
//! ([`RunFolder`]) under its own [`Layout`]: `ario.csv` (tidy, through the engine's `CsvSink`)
//! and `inputs_stocks.csv` stream into `*.partial` files during the run and are renamed when
//! it ends, and `run_info.json` (pretty JSON without a final newline, as BoARIO's reference
//! runner writes it) is written last, so a folder with `run_info.json` is complete; the folder
//! is written beside `--out` and swapped in whole when complete. [`Folder`] is also the [`Sink`] the
//! model records into. With `--format parquet` both tables are their Parquet twins
//! ([`TableFile`]), written from the same text.

use std::io::Write;
use std::path::Path;

use chokepoint_ario::record::csv_field;
use chokepoint_ario::{CsvSink, Sink, StepView, Variable};

use crate::Failure;
use crate::run_folder::{Layout, RunFolder};
use crate::tabular::{Format, TableFile};

const CSV: &str = "ario.csv";
const STOCKS: &str = "inputs_stocks.csv";

/// `chokepoint ario --out DIR`: `run_info.json` last, `NAME.partial` while writing (in the
/// staging folder: a previous run's outputs stay whole in `DIR` until the new run is complete).
pub const ARIO_FOLDER: Layout = Layout {
    manifest: "run_info.json",
    temp_name: partial,
    json_newline: false,
};

fn partial(name: &str) -> String {
    format!("{name}.partial")
}

/// The folder being written (nothing at all without `--out`).
pub struct Folder {
    run: Option<RunFolder>,
    csv: Option<CsvSink<TableFile>>,
    stocks: Option<TableFile>,
    /// Streams flushed, to be renamed into place with the run's information.
    done: Vec<TableFile>,
}

impl Folder {
    /// Creates `dir` and empties it of a previous run's outputs, then opens `ario.csv` (when
    /// `csv`) and `inputs_stocks.csv` (when also `stocks`) under their temporary names.
    pub fn create(
        dir: Option<&Path>,
        csv: bool,
        stocks: bool,
        variables: &[Variable],
        format: Format,
    ) -> Result<Folder, Failure> {
        let mut folder = Folder {
            run: None,
            csv: None,
            stocks: None,
            done: Vec::new(),
        };
        let Some(dir) = dir else {
            return Ok(folder);
        };
        let run = RunFolder::create(dir, &ARIO_FOLDER)?.with_format(format);
        if csv {
            folder.csv = Some(CsvSink::new(run.table(CSV)?, variables));
            if stocks {
                let mut w = run.table(STOCKS)?;
                writeln!(w, "step,input,region,sector,value").map_err(anyhow::Error::from)?;
                folder.stocks = Some(w);
            }
        }
        folder.run = Some(run);
        Ok(folder)
    }

    /// The sink the model records each step into.
    pub fn sink(&mut self) -> &mut dyn Sink {
        self
    }

    /// Flushes the streamed files once the steps are done.
    pub fn finish_streams(&mut self) -> Result<(), Failure> {
        if let Some(c) = self.csv.take() {
            let file = c
                .finish()
                .map_err(|e| anyhow::Error::new(e).context(format!("cannot write {CSV}")))?;
            self.done.push(file);
        }
        if let Some(mut w) = self.stocks.take() {
            w.flush()
                .map_err(|e| anyhow::Error::new(e).context(format!("cannot write {STOCKS}")))?;
            self.done.push(w);
        }
        Ok(())
    }

    /// Renames the streamed files into place, then writes `run_info.json`, last.
    pub fn finish(self, run_info: &serde_json::Value) -> Result<(), Failure> {
        let Some(mut run) = self.run else {
            return Ok(());
        };
        for file in self.done {
            run.finish_table(file)?;
        }
        run.seal(|_| run_info)?;
        Ok(())
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
                // Names quoted as in ario.csv: an EXIOBASE sector name holds commas.
                writeln!(
                    w,
                    "{},{},{},{},{}",
                    view.step,
                    csv_field(&view.sectors[s]),
                    csv_field(&view.regions[f / s_n]),
                    csv_field(&view.sectors[f % s_n]),
                    v
                )?;
            }
        }
        Ok(())
    }
}
