//! The tabular outputs of every command and the two formats they are written in (issue 20,
//! docs/outputs.md). [`Format`] is `--format csv|parquet`; [`TABLES`] lists every tabular file
//! the program writes as a [`Table`] of typed [`Column`]s (a [`Kind`] and whether a cell may be
//! empty); a [`TableFile`] is one such file being written: the CSV text as the writers format
//! it, or, with `--format parquet`, that same text turned into its Parquet twin as it streams
//! ([`crate::parquet_file`]). The CSV text stays the one place where values are formatted (the
//! zero-to-precision rule of [`crate::run_folder::num_in`], dates, empty cells), so the two
//! formats hold the same values by construction. [`read_table`] reads a tabular file of a
//! complete folder in either format back as CSV text, for `report`, `merge` and
//! `ario --from-run`.

use crate::Failure;
use crate::run_folder::{AtomicFile, OutputFile, read_listed};
use std::io::{self, Write};
use std::path::Path;

/// How tabular outputs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// `NAME.csv`: text, numbers as the shortest decimal that reads back to the same value.
    #[default]
    Csv,
    /// `NAME.parquet`: typed columns, dictionary-encoded strings, zstd-compressed.
    Parquet,
}

/// What a build without the `parquet` feature says to `--format parquet`.
pub const NO_PARQUET: &str = "this chokepoint was built without Parquet support; hint: build with --features parquet (cargo build --release --features parquet)";

/// `--format`: `csv` or `parquet`; `parquet` only in a build with the `parquet` feature (clap
/// reports the refusal as a usage error, exit 2).
pub fn parse_format(s: &str) -> Result<Format, String> {
    match s {
        "csv" => Ok(Format::Csv),
        "parquet" if cfg!(feature = "parquet") => Ok(Format::Parquet),
        "parquet" => Err(NO_PARQUET.into()),
        _ => Err(format!("`{s}` is not a format: give csv or parquet")),
    }
}

impl Format {
    /// The name the CSV file `csv_name` has in this format (`timeseries.csv` →
    /// `timeseries.parquet`).
    pub fn file_name(self, csv_name: &str) -> String {
        match self {
            Format::Csv => csv_name.to_string(),
            Format::Parquet => parquet_name(csv_name),
        }
    }

    /// The word `--format` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }
}

/// `NAME.parquet` for `NAME.csv`.
pub fn parquet_name(csv_name: &str) -> String {
    format!(
        "{}.parquet",
        csv_name.strip_suffix(".csv").unwrap_or(csv_name)
    )
}

/// What a column holds; in Parquet, through the Arrow schema stored with the file:
/// Int64, Float64, Boolean, Dictionary(Int32, Utf8) and Date32.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A whole number (counts, path indices, ids, ARIO steps).
    Int,
    /// A number (quantities, shares, prices, quantiles).
    Float,
    /// `true` or `false`.
    Bool,
    /// A code, a name or a note; dictionary-encoded in Parquet.
    Text,
    /// A day as `YYYY-MM-DD`; days since 1970-01-01 in Parquet.
    Date,
}

/// One column of a tabular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    /// Whether a cell may be empty (a null in Parquet). A number column always may: a value
    /// that is not finite is written as an empty cell.
    pub nullable: bool,
}

/// A column every row fills.
const fn req(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        nullable: false,
    }
}

/// A column that may be empty.
const fn opt(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        nullable: true,
    }
}

/// A number column.
const fn num(name: &'static str) -> Column {
    opt(name, Kind::Float)
}

/// A tabular file: its CSV name, its columns in order, and the kind of the columns named only
/// at run time after them (`paths.csv`: one column per metric).
#[derive(Debug)]
pub struct Table {
    pub file: &'static str,
    pub columns: &'static [Column],
    pub more: Option<Column>,
}

use Kind::{Bool, Date, Int, Text};

const QUANTILES: [Column; 5] = [num("p5"), num("p25"), num("p50"), num("p75"), num("p95")];

/// Every tabular file the program writes (docs/outputs.md lists the same; a test checks that
/// the Parquet twin of each has these columns and that every command's files are here).
pub const TABLES: &[Table] = &[
    // `run` (a single path)
    Table {
        file: "timeseries.csv",
        columns: &[
            req("date", Date),
            req("region", Text),
            opt("partner", Text),
            req("product", Text),
            req("variable", Text),
            num("value"),
            opt("unit", Text),
        ],
        more: None,
    },
    Table {
        file: "licences.csv",
        columns: &[
            req("id", Int),
            req("exporter", Text),
            req("importer", Text),
            req("product", Text),
            num("quantity"),
            opt("end_use", Text),
            req("filed", Date),
            opt("decided", Date),
            req("outcome", Text),
            opt("shipped", Date),
        ],
        more: None,
    },
    Table {
        file: "summary.csv",
        columns: &[
            req("region", Text),
            req("product", Text),
            opt("unit", Text),
            num("need_units"),
            num("shortfall_units"),
            num("shortfall_pct"),
            opt("first_stockout", Date),
            num("min_days_of_cover"),
            num("final_days_of_cover"),
            num("price_peak_usd_per_kg"),
            req("price_peak_date", Date),
            req("licences_applied", Int),
            req("licences_approved", Int),
            req("licences_denied", Int),
            req("licences_pending", Int),
            num("mean_wait_days"),
        ],
        more: None,
    },
    Table {
        file: "origins.csv",
        columns: &[
            req("origin", Text),
            req("exporter", Text),
            req("importer", Text),
            req("product", Text),
            num("shipped_units"),
            num("origin_units"),
            num("origin_share"),
            num("importer_origin_units"),
            num("route_share_of_importer_origin"),
        ],
        more: None,
    },
    Table {
        file: "costs.csv",
        columns: &[
            req("lever", Text),
            req("region", Text),
            opt("partner", Text),
            opt("product", Text),
            opt("end_use", Text),
            num("units"),
            num("usd"),
        ],
        more: None,
    },
    // Monte Carlo runs, shards and `merge`
    Table {
        file: "paths.csv",
        columns: &[req("path", Int)],
        more: Some(num("(metric)")),
    },
    Table {
        file: "bands.csv",
        columns: &[
            req("date", Date),
            req("region", Text),
            opt("partner", Text),
            req("product", Text),
            req("variable", Text),
            opt("unit", Text),
            QUANTILES[0],
            QUANTILES[1],
            QUANTILES[2],
            QUANTILES[3],
            QUANTILES[4],
            num("mean"),
        ],
        more: None,
    },
    Table {
        file: "stockout.csv",
        columns: &[
            req("date", Date),
            req("region", Text),
            req("product", Text),
            req("paths", Int),
            req("stockout_paths", Int),
            num("probability"),
        ],
        more: None,
    },
    Table {
        file: "distributions.csv",
        columns: &[
            req("metric", Text),
            opt("region", Text),
            opt("product", Text),
            opt("unit", Text),
            QUANTILES[0],
            QUANTILES[1],
            QUANTILES[2],
            QUANTILES[3],
            QUANTILES[4],
            num("mean"),
            num("min"),
            num("max"),
        ],
        more: None,
    },
    Table {
        file: "stoppages.csv",
        columns: &[
            req("date", Date),
            req("region", Text),
            req("product", Text),
            req("paths", Int),
            req("stopped_paths", Int),
            num("probability"),
        ],
        more: None,
    },
    Table {
        file: "stoppage_dates.csv",
        columns: &[
            req("region", Text),
            req("product", Text),
            req("paths", Int),
            req("stopped_paths", Int),
            num("probability"),
            opt("p5", Date),
            opt("p25", Date),
            opt("p50", Date),
            opt("p75", Date),
            opt("p95", Date),
        ],
        more: None,
    },
    // `compare`
    Table {
        file: "compare.csv",
        columns: &[
            req("metric", Text),
            opt("region", Text),
            opt("product", Text),
            opt("unit", Text),
            num("mean_a"),
            num("mean_b"),
            num("mean_diff"),
            num("p5_diff"),
            num("p50_diff"),
            num("p95_diff"),
            req("paths", Int),
        ],
        more: None,
    },
    // `compare --strategies` (the difference columns are empty for the no-action rows)
    Table {
        file: "strategies.csv",
        columns: &[
            req("focus", Text),
            req("strategy", Text),
            req("measure", Text),
            opt("end_use", Text),
            opt("unit", Text),
            num("mean"),
            num("p95"),
            num("mean_diff"),
            num("p5_diff"),
            num("p95_diff"),
            req("paths", Int),
        ],
        more: None,
    },
    // `stockpile` (the last row of stockpile.csv is the total: region and product `*`)
    Table {
        file: "stockpile.csv",
        columns: &[
            req("region", Text),
            req("product", Text),
            opt("unit", Text),
            num("level"),
            num("volume_units"),
            num("usd_per_unit"),
            num("cost_usd"),
            num("met_in_sample"),
            num("met_out_of_sample"),
        ],
        more: None,
    },
    Table {
        file: "frontier.csv",
        columns: &[
            num("target"),
            num("cost_usd"),
            num("met_in_sample"),
            num("cvar_cost_usd"),
            req("feasible", Bool),
        ],
        more: None,
    },
    // `risk --out` (`max` marks the highest stage with `*`)
    Table {
        file: "concentration.csv",
        columns: &[
            req("element", Text),
            req("stage", Text),
            num("production_t_per_yr"),
            req("top_producer", Text),
            num("top_share"),
            num("hhi"),
            num("hhi_wgi"),
            req("producers", Int),
            opt("shares_source", Text),
            opt("wgi_source", Text),
        ],
        more: None,
    },
    Table {
        file: "supply_risk.csv",
        columns: &[
            req("region", Text),
            req("element", Text),
            req("stage", Text),
            opt("max", Text),
            num("ir"),
            num("production_t_per_yr"),
            num("imports_t_per_yr"),
            num("exports_t_per_yr"),
            num("hhi_wgi_global"),
            num("hhi_wgi_sourcing"),
            num("eol_rir"),
            num("si_sr"),
            num("sr"),
            opt("eol_si_source", Text),
        ],
        more: None,
    },
    Table {
        file: "eu_2023.csv",
        columns: &[
            req("material", Text),
            req("stage", Text),
            opt("max", Text),
            num("hhi_wgi_global"),
            num("hhi_wgi_eu"),
            num("ir"),
            num("eol_rir"),
            num("si_sr"),
            num("sr_computed"),
            opt("group", Text),
            num("sr_published"),
            num("ei_published"),
            opt("published_source", Text),
            opt("eu_sourcing_source", Text),
        ],
        more: None,
    },
    Table {
        file: "sources.csv",
        columns: &[req("id", Text), opt("title", Text), opt("url", Text)],
        more: None,
    },
    Table {
        file: "exposure.csv",
        columns: &[
            req("region", Text),
            req("product", Text),
            opt("unit", Text),
            num("expected_shortfall_per_yr"),
            num("p95_shortfall_per_yr"),
            num("p_stoppage"),
            num("weight"),
            num("sr_max"),
            opt("sr_max_at", Text),
        ],
        more: None,
    },
    Table {
        file: "exposure_by_scenario.csv",
        columns: &[
            req("scenario", Text),
            num("weight"),
            req("region", Text),
            req("product", Text),
            opt("unit", Text),
            num("expected_shortfall_per_yr"),
            num("p95_shortfall_per_yr"),
            num("p_stoppage"),
            req("days", Int),
            req("paths", Int),
        ],
        more: None,
    },
    // `ario --out`
    Table {
        file: "ario.csv",
        columns: &[
            req("step", Int),
            req("region", Text),
            req("sector", Text),
            req("variable", Text),
            num("value"),
        ],
        more: None,
    },
    Table {
        file: "inputs_stocks.csv",
        columns: &[
            req("step", Int),
            req("input", Text),
            req("region", Text),
            req("sector", Text),
            num("value"),
        ],
        more: None,
    },
];

/// The table written as `file` (its CSV name).
pub fn table(file: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.file == file)
}

impl Table {
    /// The columns of a file of this table whose CSV header is `header`: the fixed columns
    /// must come first, in order, and the rest are of the kind `more` says (none without it).
    pub fn columns_for(&self, header: &[&str]) -> Result<Vec<(String, Kind, bool)>, String> {
        let fixed: Vec<&str> = self.columns.iter().map(|c| c.name).collect();
        let ok = match self.more {
            None => header == fixed.as_slice(),
            Some(_) => header.len() >= fixed.len() && header[..fixed.len()] == fixed[..],
        };
        if !ok {
            return Err(format!(
                "{}: header `{}` is not the columns the program declares (`{}`)",
                self.file,
                header.join(","),
                fixed.join(",")
            ));
        }
        Ok(header
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let c = self.columns.get(i).copied().or(self.more).expect("checked");
                (h.to_string(), c.kind, c.nullable)
            })
            .collect())
    }
}

/// A tabular file being written through [`crate::run_folder::RunFolder`]: the CSV bytes go
/// to the file as they are, or to the Parquet writer that parses and types them.
// A folder has a handful of these at once, never a collection: the CSV variant's size is moot.
#[allow(clippy::large_enum_variant)]
pub enum TableFile {
    Csv(AtomicFile),
    #[cfg(feature = "parquet")]
    Parquet(Box<crate::parquet_file::Writer<AtomicFile>>),
}

impl TableFile {
    /// The underlying file, complete (for Parquet: the last rows and the footer written).
    pub fn into_file(self) -> anyhow::Result<AtomicFile> {
        match self {
            TableFile::Csv(f) => Ok(f),
            #[cfg(feature = "parquet")]
            TableFile::Parquet(w) => w.finish(),
        }
    }
}

impl Write for TableFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            TableFile::Csv(f) => f.write(buf),
            #[cfg(feature = "parquet")]
            TableFile::Parquet(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            TableFile::Csv(f) => f.flush(),
            #[cfg(feature = "parquet")]
            TableFile::Parquet(w) => w.flush(),
        }
    }
}

/// The tabular file `csv_name` of the complete folder `dir` as CSV text: the CSV file when
/// the manifest lists it, else its Parquet twin (checked against the manifest like any file)
/// turned back into the same CSV text. `None` when the folder has neither.
pub fn read_table(
    dir: &Path,
    listed: &[OutputFile],
    csv_name: &str,
) -> Result<Option<Vec<u8>>, Failure> {
    if listed.iter().any(|o| o.name == csv_name) {
        return read_listed(dir, listed, csv_name).map(Some);
    }
    let twin = parquet_name(csv_name);
    if !listed.iter().any(|o| o.name == twin) {
        return Ok(None);
    }
    let bytes = read_listed(dir, listed, &twin)?;
    from_parquet(dir, &twin, bytes).map(Some)
}

/// The tabular file `csv_name` of a folder without a manifest of digests (an `ario` folder,
/// whose `run_info.json` lists no files): the CSV file, else its Parquet twin as CSV text;
/// `None` when neither exists.
pub fn read_loose(dir: &Path, csv_name: &str) -> Result<Option<Vec<u8>>, Failure> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|e| {
            Failure::input(
                anyhow::anyhow!("cannot read `{}`: {e}", path.display()),
                None,
            )
        })
    };
    if dir.join(csv_name).is_file() {
        return read(csv_name).map(Some);
    }
    let twin = parquet_name(csv_name);
    if !dir.join(&twin).is_file() {
        return Ok(None);
    }
    from_parquet(dir, &twin, read(&twin)?).map(Some)
}

#[cfg(feature = "parquet")]
fn from_parquet(dir: &Path, name: &str, bytes: Vec<u8>) -> Result<Vec<u8>, Failure> {
    crate::parquet_file::to_csv(bytes)
        .map_err(|e| Failure::Run(e.context(format!("cannot read `{}`", dir.join(name).display()))))
}

#[cfg(not(feature = "parquet"))]
fn from_parquet(dir: &Path, name: &str, _: Vec<u8>) -> Result<Vec<u8>, Failure> {
    Err(Failure::input(
        anyhow::anyhow!(
            "`{}` is a Parquet file and this chokepoint was built without Parquet support",
            dir.join(name).display()
        ),
        Some("build with --features parquet, or rerun with --format csv".into()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_is_listed_once_with_distinct_columns() {
        let mut files: Vec<&str> = TABLES.iter().map(|t| t.file).collect();
        files.sort();
        files.dedup();
        assert_eq!(files.len(), TABLES.len());
        for t in TABLES {
            let mut names: Vec<&str> = t.columns.iter().map(|c| c.name).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), t.columns.len(), "{}", t.file);
            assert!(t.file.ends_with(".csv"));
            // A number cell is empty when the value is not finite.
            for c in t.columns.iter().chain(t.more.iter()) {
                assert!(c.kind != Kind::Float || c.nullable, "{} {}", t.file, c.name);
            }
        }
    }

    /// The column-type table of docs/outputs.md, generated from [`TABLES`].
    fn docs_block() -> String {
        let short = |k: Kind| match k {
            Kind::Int => "int",
            Kind::Float => "float",
            Kind::Bool => "bool",
            Kind::Text => "string",
            Kind::Date => "date",
        };
        let mut out = String::from(
            "| file | columns: type, `?` where a cell may be empty (null) |\n|---|---|\n",
        );
        for t in TABLES {
            let cols: Vec<String> = t
                .columns
                .iter()
                .chain(t.more.iter())
                .map(|c| {
                    let q = if c.nullable { "?" } else { "" };
                    format!("{} {}{q}", c.name, short(c.kind))
                })
                .collect();
            out.push_str(&format!("| `{}` | {} |\n", t.file, cols.join(", ")));
        }
        out
    }

    /// docs/outputs.md lists every table's column types as [`TABLES`] declares them.
    #[test]
    fn issue_20_docs_list_the_declared_column_types() {
        let docs = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/outputs.md"),
        )
        .unwrap();
        let want = docs_block();
        assert!(
            docs.contains(&want),
            "docs/outputs.md should hold this table:\n{want}"
        );
    }

    #[test]
    fn headers_must_match_the_declared_columns() {
        let t = table("stockout.csv").unwrap();
        let good = [
            "date",
            "region",
            "product",
            "paths",
            "stockout_paths",
            "probability",
        ];
        assert_eq!(t.columns_for(&good).unwrap()[3].1, Kind::Int);
        assert!(t.columns_for(&good[..5]).is_err());
        let p = table("paths.csv").unwrap();
        let cols = p.columns_for(&["path", "a", "b"]).unwrap();
        assert_eq!(cols[2], ("b".to_string(), Kind::Float, true));
        assert!(p.columns_for(&["run", "a"]).is_err());
    }

    #[test]
    fn parquet_is_refused_without_the_feature() {
        assert_eq!(parse_format("csv"), Ok(Format::Csv));
        assert!(parse_format("xlsx").unwrap_err().contains("csv or parquet"));
        if cfg!(feature = "parquet") {
            assert_eq!(parse_format("parquet"), Ok(Format::Parquet));
        } else {
            assert!(
                parse_format("parquet")
                    .unwrap_err()
                    .contains("hint: build with --features parquet")
            );
        }
        assert_eq!(
            Format::Parquet.file_name("bands.csv"),
            "bands.parquet".to_string()
        );
    }
}
