//! Multi-regional input-output tables: [`Mrio`] (yearly flows Z, final demand Y, gross output x
//! in a region-major industry order), [`IndustryOrder`] and the pymrio CSV reader [`Mrio::read`]
//! / writer [`Mrio::write_table`]. The caller opens the files ([`MrioTable::file_name`]) and hands
//! over readers and writers ([`TableText`]); this module does no file I/O of its own, and the
//! caller decides where the n × n matrix is allocated ([`ReadOptions::alloc_flows`]).
//!
//! Layout (what `pymrio` exports, and what `run_reference.py --export-mriot` writes):
//! - `Z.csv`: two header rows (region, sector), two index columns (region, sector), an optional
//!   third row naming the index columns; `Z[i, j]` is the yearly flow from industry `i` to `j`.
//! - `Y.csv`: two header rows (region, category), two index columns (region, sector).
//! - `x.csv` (optional): two index columns and one value column (`indout`); if absent
//!   `x = Z·1 + Y·1`.
//!
//! Industries are stored region-major: industry `i = r·S + s`. Validation rejects ragged or
//! mislabelled tables, non-finite or negative values, and an `x` that differs from `Z·1 + Y·1`
//! by more than [`X_REL_TOL`] relative.

use std::collections::HashMap;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::MrioError;

/// Relative tolerance for `|x − (Z·1 + Y·1)| ≤ tol · max(|x|, |Z·1 + Y·1|)`.
pub const X_REL_TOL: f64 = 1e-6;

/// How regions and sectors are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndustryOrder {
    /// Lexicographic (byte order), as BoARIO 0.7.2 sorts every table.
    Lexicographic,
    /// Order of first appearance in the file.
    AsGiven,
}

/// The tables of the pymrio CSV layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MrioTable {
    /// `Z.csv`: yearly intermediate flows, industries × industries.
    Flows,
    /// `Y.csv`: yearly final demand, industries × (region, category).
    FinalDemand,
    /// `x.csv`: yearly gross output per industry (optional when reading).
    Output,
}

impl MrioTable {
    pub const ALL: [MrioTable; 3] = [MrioTable::Flows, MrioTable::FinalDemand, MrioTable::Output];

    /// The table's file name in a pymrio folder.
    pub fn file_name(self) -> &'static str {
        match self {
            MrioTable::Flows => "Z.csv",
            MrioTable::FinalDemand => "Y.csv",
            MrioTable::Output => "x.csv",
        }
    }
}

/// One table's CSV text, from a reader the caller opened, and the name messages give it (its
/// path, for a file).
pub struct TableText<R> {
    pub name: PathBuf,
    pub reader: R,
}

/// How [`Mrio::read`] orders and allocates what it reads.
#[derive(Clone, Copy)]
pub struct ReadOptions<'a> {
    pub order: IndustryOrder,
    /// Returns `len` zeros for the n × n flow matrix, the one large allocation of a run (it
    /// becomes the model's daily Z0). The default is `vec![0.0; len]`; a caller may also hint
    /// the operating system about the fresh, not yet written buffer (the CLI asks Linux for
    /// transparent huge pages), which this crate leaves to it.
    pub alloc_flows: &'a dyn Fn(usize) -> Vec<f64>,
    /// The most bytes the flow matrix may take (`8 n²`); a header with more industries is
    /// refused before anything is allocated ([`MrioError::TooLarge`]). `u64::MAX`: no limit.
    pub max_flow_bytes: u64,
}

impl ReadOptions<'static> {
    /// `order`, with the flow matrix allocated by `vec![0.0; len]`.
    pub fn new(order: IndustryOrder) -> Self {
        ReadOptions {
            order,
            alloc_flows: &zeros,
            max_flow_bytes: u64::MAX,
        }
    }
}

fn zeros(len: usize) -> Vec<f64> {
    vec![0.0; len]
}

/// A validated MRIO. `z` is `n × n` row-major, `y` is `n × (R·C)` row-major with column
/// `r·C + c` for (consumer region `r`, category `c`), `x` has length `n`; `n = R·S`.
#[derive(Debug, Clone)]
pub struct Mrio {
    pub regions: Vec<String>,
    pub sectors: Vec<String>,
    pub fd_categories: Vec<String>,
    pub z: Vec<f64>,
    pub y: Vec<f64>,
    pub x: Vec<f64>,
}

impl Mrio {
    pub fn n_regions(&self) -> usize {
        self.regions.len()
    }
    pub fn n_sectors(&self) -> usize {
        self.sectors.len()
    }
    pub fn n_industries(&self) -> usize {
        self.regions.len() * self.sectors.len()
    }
    pub fn n_fd(&self) -> usize {
        self.regions.len() * self.fd_categories.len()
    }

    /// Builds an MRIO from dense arrays, computing `x = Z·1 + Y·1` when `x` is `None`.
    pub fn from_parts(
        regions: Vec<String>,
        sectors: Vec<String>,
        fd_categories: Vec<String>,
        z: Vec<f64>,
        y: Vec<f64>,
        x: Option<Vec<f64>>,
    ) -> Result<Mrio, MrioError> {
        let n = regions.len() * sectors.len();
        let nf = regions.len() * fd_categories.len();
        if z.len() != n * n || y.len() != n * nf || x.as_ref().is_some_and(|x| x.len() != n) {
            return Err(MrioError::Shape(format!(
                "expected Z {n}×{n}, Y {n}×{nf}, x {n}; got {} values in Z, {} in Y",
                z.len(),
                y.len()
            )));
        }
        let x = x.unwrap_or_else(|| row_totals(&z, &y, n, nf));
        let m = Mrio {
            regions,
            sectors,
            fd_categories,
            z,
            y,
            x,
        };
        m.check_consistency()?;
        Ok(m)
    }

    /// Reads the pymrio tables `Z.csv`, `Y.csv` and optional `x.csv` from the caller's readers
    /// and validates them. Z is read first and fixes the industries the other tables must list.
    pub fn read<R: Read>(
        z: TableText<R>,
        y: TableText<R>,
        x: Option<TableText<R>>,
        options: ReadOptions<'_>,
    ) -> Result<Mrio, MrioError> {
        let (axes, z) = read_flows(z, &options)?;
        let (cats, y) = read_final_demand(y, &axes, options.order)?;
        let x = x.map(|x| read_output(x, &axes)).transpose()?;
        Mrio::from_parts(axes.regions, axes.sectors, cats, z, y, x)
    }

    /// Writes one table of the pymrio CSV layout (as `run_reference.py` reads it) to `out`.
    pub fn write_table(&self, table: MrioTable, out: impl Write) -> std::io::Result<()> {
        let mut w = std::io::BufWriter::new(out);
        let ind: Vec<(&str, &str)> = self
            .regions
            .iter()
            .flat_map(|r| self.sectors.iter().map(move |s| (r.as_str(), s.as_str())))
            .collect();
        match table {
            MrioTable::Flows => write_matrix(&mut w, &ind, &ind, "sector", &self.z)?,
            MrioTable::FinalDemand => {
                let fdc: Vec<(&str, &str)> = self
                    .regions
                    .iter()
                    .flat_map(|r| {
                        self.fd_categories
                            .iter()
                            .map(move |c| (r.as_str(), c.as_str()))
                    })
                    .collect();
                write_matrix(&mut w, &ind, &fdc, "category", &self.y)?
            }
            MrioTable::Output => {
                writeln!(w, "region,sector,indout")?;
                for (i, (r, s)) in ind.iter().enumerate() {
                    writeln!(w, "{},{},{:e}", csv_cell(r), csv_cell(s), self.x[i])?;
                }
            }
        }
        w.flush()
    }

    /// Checks `x = Z·1 + Y·1` within [`X_REL_TOL`].
    pub fn check_consistency(&self) -> Result<(), MrioError> {
        let n = self.n_industries();
        let nf = self.n_fd();
        let tot = row_totals(&self.z, &self.y, n, nf);
        let mut count = 0;
        let mut worst: Option<(usize, f64)> = None;
        for i in 0..n {
            let (a, b) = (self.x[i], tot[i]);
            if !a.is_finite() || a < 0.0 {
                return Err(MrioError::BadValue {
                    path: PathBuf::from("x"),
                    line: i as u64,
                    what: format!("x[{}]", self.industry_label(i)),
                    value: a,
                    hint: "",
                });
            }
            let scale = a.abs().max(b.abs());
            let rel = if scale > 0.0 {
                (a - b).abs() / scale
            } else {
                0.0
            };
            if rel > X_REL_TOL {
                count += 1;
                if worst.is_none_or(|(_, w)| rel > w) {
                    worst = Some((i, rel));
                }
            }
        }
        if let Some((i, rel)) = worst {
            return Err(MrioError::Inconsistent {
                count,
                plural: if count == 1 { "y" } else { "ies" },
                region: self.regions[i / self.n_sectors()].clone(),
                sector: self.sectors[i % self.n_sectors()].clone(),
                x: self.x[i],
                sum: tot[i],
                rel,
                tol: X_REL_TOL,
            });
        }
        Ok(())
    }

    /// `region|sector` of industry `i`.
    pub fn industry_label(&self, i: usize) -> String {
        let s_n = self.n_sectors();
        format!("{}|{}", self.regions[i / s_n], self.sectors[i % s_n])
    }
}

/// The regions and sectors of the industries, as read from Z's columns, with their positions.
struct Axes {
    regions: Vec<String>,
    sectors: Vec<String>,
    ridx: HashMap<String, usize>,
    sidx: HashMap<String, usize>,
}

impl Axes {
    fn new(regions: Vec<String>, sectors: Vec<String>) -> Axes {
        let index = |v: &[String]| v.iter().enumerate().map(|(i, s)| (s.clone(), i)).collect();
        Axes {
            ridx: index(&regions),
            sidx: index(&sectors),
            regions,
            sectors,
        }
    }

    fn n(&self) -> usize {
        self.regions.len() * self.sectors.len()
    }

    /// The industry `r·S + s` of a data row (its two index cells), marked as seen; a row of an
    /// unknown or already seen industry is an error.
    fn row(
        &self,
        path: &Path,
        line: u64,
        rec: &csv::StringRecord,
        seen: &mut [bool],
    ) -> Result<usize, MrioError> {
        if rec.len() < 2 {
            return Err(MrioError::Shape(format!(
                "{}:{line}: row has fewer than 2 index cells",
                path.display()
            )));
        }
        let (r, s) = (&rec[0], &rec[1]);
        let (Some(ri), Some(si)) = (self.ridx.get(r), self.sidx.get(s)) else {
            return Err(MrioError::Shape(format!(
                "{}:{line}: row industry {r}|{s} is not a column industry of Z.csv",
                path.display()
            )));
        };
        let i = ri * self.sectors.len() + si;
        if std::mem::replace(&mut seen[i], true) {
            return Err(MrioError::Shape(format!(
                "{}:{line}: duplicate row {r}|{s}",
                path.display()
            )));
        }
        Ok(i)
    }

    /// Fails with the first industry no row was `seen` for.
    fn check_all_rows(&self, path: &Path, seen: &[bool]) -> Result<(), MrioError> {
        check_all_rows(path, seen, &self.regions, &self.sectors)
    }
}

/// Z: fixes the industries and fills the n × n flows (allocated by the caller's hook).
fn read_flows<R: Read>(
    table: TableText<R>,
    options: &ReadOptions<'_>,
) -> Result<(Axes, Vec<f64>), MrioError> {
    let path = table.name.as_path();
    let (mut zr, lines) = csv_reader(table.reader);
    let mut recs = zr.records();
    let (zcols, first_row) = read_header(path, lines, &mut recs)?;
    let (regions, sectors) = industry_axes(path, &zcols, options.order)?;
    let axes = Axes::new(regions, sectors);
    let (s_n, n) = (axes.sectors.len(), axes.n());
    let needed = (n as u128) * (n as u128) * 8;
    if needed > u128::from(options.max_flow_bytes) {
        const GIB: f64 = (1u64 << 30) as f64;
        return Err(MrioError::TooLarge {
            path: path.to_path_buf(),
            industries: n,
            needed_gib: needed as f64 / GIB,
            limit_gib: options.max_flow_bytes as f64 / GIB,
        });
    }
    let col_pos: Vec<usize> = zcols
        .iter()
        .map(|(r, s)| axes.ridx[r] * s_n + axes.sidx[s])
        .collect();
    let mut z = (options.alloc_flows)(n * n);
    assert_eq!(
        z.len(),
        n * n,
        "ReadOptions::alloc_flows returned a wrong length"
    );
    let mut seen = vec![false; n];
    let handle_row = |rec: csv::StringRecord| -> Result<(), MrioError> {
        let line = lines.at(rec.position());
        let i = axes.row(path, line, &rec, &mut seen)?;
        if rec.len() != zcols.len() + 2 {
            return Err(MrioError::Shape(format!(
                "{}:{line}: row has {} values, the header has {} columns",
                path.display(),
                rec.len().saturating_sub(2),
                zcols.len()
            )));
        }
        let row = &mut z[i * n..(i + 1) * n];
        for (k, cell) in rec.iter().skip(2).enumerate() {
            let v = parse_value(path, line, cell, || {
                format!("Z[{}, {}|{}]", label(&rec), zcols[k].0, zcols[k].1)
            })?;
            row[col_pos[k]] = v;
        }
        Ok(())
    };
    each_row(path, lines, first_row, recs, handle_row)?;
    axes.check_all_rows(path, &seen)?;
    Ok((axes, z))
}

/// Y: the final-demand categories (columns: every region × every category) and the n × (R·C)
/// table.
fn read_final_demand<R: Read>(
    table: TableText<R>,
    axes: &Axes,
    order: IndustryOrder,
) -> Result<(Vec<String>, Vec<f64>), MrioError> {
    let path = table.name.as_path();
    let (regions, n) = (&axes.regions, axes.n());
    let (mut yr, lines) = csv_reader(table.reader);
    let mut recs = yr.records();
    let (ycols, first_row) = read_header(path, lines, &mut recs)?;
    let mut cats: Vec<String> = Vec::new();
    for (r, c) in &ycols {
        if !axes.ridx.contains_key(r) {
            return Err(MrioError::Shape(format!(
                "{}: final-demand column region `{r}` is not a region of Z.csv",
                path.display()
            )));
        }
        if !cats.contains(c) {
            cats.push(c.clone());
        }
    }
    if order == IndustryOrder::Lexicographic {
        cats.sort();
    }
    let c_n = cats.len();
    if ycols.len() != regions.len() * c_n {
        return Err(MrioError::Shape(format!(
            "{}: {} final-demand columns, expected regions × categories = {} × {}",
            path.display(),
            ycols.len(),
            regions.len(),
            c_n
        )));
    }
    let cidx = index_map(&cats);
    let mut ycol_pos = Vec::with_capacity(ycols.len());
    let mut ycol_seen = vec![false; ycols.len()];
    for (r, c) in &ycols {
        let p = axes.ridx[r] * c_n + cidx[c.as_str()];
        if ycol_seen[p] {
            return Err(MrioError::Shape(format!(
                "{}: duplicate final-demand column {r}|{c}",
                path.display()
            )));
        }
        ycol_seen[p] = true;
        ycol_pos.push(p);
    }
    let nf = ycols.len();
    let mut y = vec![0.0; n * nf];
    let mut seen = vec![false; n];
    let handle_row = |rec: csv::StringRecord| -> Result<(), MrioError> {
        let line = lines.at(rec.position());
        let i = axes.row(path, line, &rec, &mut seen)?;
        if rec.len() != nf + 2 {
            return Err(MrioError::Shape(format!(
                "{}:{line}: row has {} values, the header has {nf} columns",
                path.display(),
                rec.len().saturating_sub(2)
            )));
        }
        for (k, cell) in rec.iter().skip(2).enumerate() {
            let v = parse_value(path, line, cell, || {
                format!("Y[{}, {}|{}]", label(&rec), ycols[k].0, ycols[k].1)
            })?;
            y[i * nf + ycol_pos[k]] = v;
        }
        Ok(())
    };
    each_row(path, lines, first_row, recs, handle_row)?;
    axes.check_all_rows(path, &seen)?;
    Ok((cats, y))
}

/// Hands `handle` the data row [`read_header`] already read (if any), then every other record.
fn each_row<R: Read>(
    path: &Path,
    lines: LineOf,
    first_row: Option<csv::StringRecord>,
    recs: Records<'_, R>,
    mut handle: impl FnMut(csv::StringRecord) -> Result<(), MrioError>,
) -> Result<(), MrioError> {
    if let Some(rec) = first_row {
        handle(rec)?;
    }
    for rec in recs {
        handle(rec.map_err(|e| csv_err(path, lines, e))?)?;
    }
    Ok(())
}

/// x: one value per industry after a header row.
fn read_output<R: Read>(table: TableText<R>, axes: &Axes) -> Result<Vec<f64>, MrioError> {
    let path = table.name.as_path();
    let n = axes.n();
    let (mut xr, lines) = csv_reader(table.reader);
    let mut x = vec![0.0; n];
    let mut seen = vec![false; n];
    for (k, rec) in xr.records().enumerate() {
        let rec = rec.map_err(|e| csv_err(path, lines, e))?;
        if k == 0 {
            continue; // header: region,sector,indout
        }
        let line = lines.at(rec.position());
        if rec.len() != 3 {
            return Err(MrioError::Shape(format!(
                "{}:{line}: expected 3 cells (region, sector, value), found {}",
                path.display(),
                rec.len()
            )));
        }
        let i = axes.row(path, line, &rec, &mut seen)?;
        x[i] = parse_value(path, line, &rec[2], || format!("x[{}]", label(&rec)))?;
    }
    axes.check_all_rows(path, &seen)?;
    Ok(x)
}

/// Two header rows (region, then `h1` = sector or category), an index-name row, then one row
/// per industry of `rows` with its `cols.len()` values.
fn write_matrix(
    w: &mut impl Write,
    rows: &[(&str, &str)],
    cols: &[(&str, &str)],
    h1: &str,
    vals: &[f64],
) -> std::io::Result<()> {
    let width = cols.len();
    write!(w, "region,")?;
    for c in cols {
        write!(w, ",{}", csv_cell(c.0))?;
    }
    write!(w, "\n{h1},")?;
    for c in cols {
        write!(w, ",{}", csv_cell(c.1))?;
    }
    write!(w, "\nregion,sector")?;
    for _ in cols {
        write!(w, ",")?;
    }
    writeln!(w)?;
    for (i, (r, s)) in rows.iter().enumerate() {
        write!(w, "{},{}", csv_cell(r), csv_cell(s))?;
        for v in &vals[i * width..(i + 1) * width] {
            write!(w, ",{v:e}")?;
        }
        writeln!(w)?;
    }
    Ok(())
}

fn row_totals(z: &[f64], y: &[f64], n: usize, nf: usize) -> Vec<f64> {
    (0..n)
        .map(|i| {
            z[i * n..(i + 1) * n].iter().sum::<f64>() + y[i * nf..(i + 1) * nf].iter().sum::<f64>()
        })
        .collect()
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The line a record starts on. The `csv` crate counts a line when it consumes the line's
/// `\n`, but it ends a record at the `\r` of a `\r\n` line end and consumes the `\n` only
/// when it reads the next record: in a file with Windows line ends (pandas on Windows writes
/// them) every record after the first would be reported one line too early.
#[derive(Debug, Clone, Copy)]
struct LineOf {
    crlf: bool,
}

impl LineOf {
    fn at(self, pos: Option<&csv::Position>) -> u64 {
        pos.map_or(0, |p| p.line() + u64::from(self.crlf && p.record() > 0))
    }
}

/// A reader over `r` and how to number its lines: whether its first line (within the first
/// buffer) ends in `\r\n`.
fn csv_reader<R: Read>(r: R) -> (csv::Reader<BufReader<R>>, LineOf) {
    let mut buf = BufReader::with_capacity(1 << 20, r);
    let head = std::io::BufRead::fill_buf(&mut buf).unwrap_or_default();
    let crlf = head
        .iter()
        .position(|&b| b == b'\n')
        .is_some_and(|i| i > 0 && head[i - 1] == b'\r');
    let reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(buf);
    (reader, LineOf { crlf })
}

fn csv_err(path: &Path, lines: LineOf, e: csv::Error) -> MrioError {
    // The crate's own message repeats its line number, which `LineOf` corrects.
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { err, .. } => err.to_string(),
        csv::ErrorKind::Io(err) => format!("cannot read: {err}"),
        _ => e.to_string(),
    };
    MrioError::Csv {
        path: path.to_path_buf(),
        line: lines.at(e.position()),
        message,
    }
}

/// Column labels and, when the third row is already data, that row.
type Header = (Vec<(String, String)>, Option<csv::StringRecord>);

type Records<'a, R> = csv::StringRecordsIter<'a, BufReader<R>>;

/// Reads the two header rows and skips an optional index-name row; returns the column labels
/// and, when the third row is already data, that row.
fn read_header<R: Read>(
    path: &Path,
    lines: LineOf,
    recs: &mut Records<'_, R>,
) -> Result<Header, MrioError> {
    let mut next = |what: &str| -> Result<csv::StringRecord, MrioError> {
        match recs.next() {
            Some(r) => r.map_err(|e| csv_err(path, lines, e)),
            None => Err(MrioError::Csv {
                path: path.to_path_buf(),
                line: 0,
                message: format!(
                    "file ends before the {what}; hint: expected the pymrio layout (2 header rows, 2 index columns)"
                ),
            }),
        }
    };
    let h0 = next("first header row")?;
    let h1 = next("second header row")?;
    if h0.len() != h1.len() || h0.len() < 3 {
        return Err(MrioError::Csv {
            path: path.to_path_buf(),
            line: 1,
            message: "the two header rows differ in length or have no data columns; hint: expected the pymrio layout (2 header rows, 2 index columns)".into(),
        });
    }
    let cols: Vec<(String, String)> = h0
        .iter()
        .zip(h1.iter())
        .skip(2)
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    for (k, (a, b)) in cols.iter().enumerate() {
        if a.is_empty() || b.is_empty() {
            return Err(MrioError::Csv {
                path: path.to_path_buf(),
                line: 1,
                message: format!("column {} has an empty label", k + 3),
            });
        }
    }
    let third = next("data")?;
    let is_names = third.iter().skip(2).all(|c| c.is_empty());
    Ok((cols, if is_names { None } else { Some(third) }))
}

fn industry_axes(
    path: &Path,
    cols: &[(String, String)],
    order: IndustryOrder,
) -> Result<(Vec<String>, Vec<String>), MrioError> {
    let mut regions: Vec<String> = Vec::new();
    let mut sectors: Vec<String> = Vec::new();
    for (r, s) in cols {
        if !regions.contains(r) {
            regions.push(r.clone());
        }
        if !sectors.contains(s) {
            sectors.push(s.clone());
        }
    }
    if order == IndustryOrder::Lexicographic {
        regions.sort();
        sectors.sort();
    }
    if cols.len() != regions.len() * sectors.len() {
        return Err(MrioError::Shape(format!(
            "{}: {} industry columns but {} regions × {} sectors; hint: every region needs the same sectors (full region × sector product)",
            path.display(),
            cols.len(),
            regions.len(),
            sectors.len()
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for (r, s) in cols {
        if !seen.insert((r, s)) {
            return Err(MrioError::Shape(format!(
                "{}: duplicate industry column {r}|{s}",
                path.display()
            )));
        }
    }
    Ok((regions, sectors))
}

fn index_map(v: &[String]) -> HashMap<&str, usize> {
    v.iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect()
}

fn label(rec: &csv::StringRecord) -> String {
    format!("{}|{}", &rec[0], rec.get(1).unwrap_or(""))
}

fn check_all_rows(
    path: &Path,
    seen: &[bool],
    regions: &[String],
    sectors: &[String],
) -> Result<(), MrioError> {
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| !**s)
        .map(|(i, _)| {
            format!(
                "{}|{}",
                regions[i / sectors.len()],
                sectors[i % sectors.len()]
            )
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(MrioError::Shape(format!(
        "{}: {} industr{} of Z.csv missing as rows (first: {}); hint: rows and columns must list the same industries",
        path.display(),
        missing.len(),
        if missing.len() == 1 { "y" } else { "ies" },
        missing[0]
    )))
}

fn parse_value(
    path: &Path,
    line: u64,
    cell: &str,
    what: impl Fn() -> String,
) -> Result<f64, MrioError> {
    let t = cell.trim();
    let v: f64 = if t.is_empty() {
        f64::NAN
    } else {
        t.parse().map_err(|_| MrioError::Csv {
            path: path.to_path_buf(),
            line,
            message: format!("{} = `{cell}` is not a number", what()),
        })?
    };
    if !v.is_finite() || v < 0.0 {
        return Err(MrioError::BadValue {
            path: path.to_path_buf(),
            line,
            what: what(),
            value: v,
            hint: if v < 0.0 && path.ends_with("Y.csv") {
                "; hint: negative final demand (e.g. EXIOBASE changes in inventories) breaks proportional rationing, drop or clip that category"
            } else {
                ""
            },
        });
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The three tables of a 2 × 2 MRIO with one final-demand category, each as CSV text.
    fn tables() -> [String; 3] {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let m = Mrio::from_parts(
            names(&["r0", "r1"]),
            names(&["s0", "s1"]),
            names(&["fd"]),
            (1..=16).map(f64::from).collect(),
            (1..=8).map(f64::from).collect(),
            None,
        )
        .unwrap();
        MrioTable::ALL.map(|t| {
            let mut out = Vec::new();
            m.write_table(t, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        })
    }

    fn read(z: &[u8], y: &[u8], x: &[u8]) -> Result<Mrio, MrioError> {
        let table = |name: &str, text| TableText {
            name: PathBuf::from(name),
            reader: text,
        };
        Mrio::read(
            table("Z.csv", z),
            table("Y.csv", y),
            Some(table("x.csv", x)),
            ReadOptions::new(IndustryOrder::AsGiven),
        )
    }

    /// `text` with its lines ended by `ending`, and the first value of line `line` (1-based)
    /// replaced by `value`.
    fn edited(text: &str, ending: &str, line: usize, value: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, l) in text.lines().enumerate() {
            if i + 1 == line {
                let cells: Vec<&str> = l.split(',').collect();
                out.extend(cells[..2].join(",").as_bytes());
                out.push(b',');
                out.extend(value);
                for c in &cells[3..] {
                    out.push(b',');
                    out.extend(c.as_bytes());
                }
            } else {
                out.extend(l.as_bytes());
            }
            out.extend(ending.as_bytes());
        }
        out
    }

    /// Every message names the line of the bad record, whatever the line ends.
    #[test]
    fn issue_16_csv_errors_name_the_line_of_the_record() {
        let [z, y, x] = tables();
        for ending in ["\n", "\r\n"] {
            let same = |t: &str| edited(t, ending, 0, b"");
            let cases = [
                // Z line 6: the third industry's row (after 2 header rows and the names row).
                (
                    read(&edited(&z, ending, 6, b"abc"), &same(&y), &same(&x)),
                    "Z.csv:6: Z[r1|s0, r0|s0] = `abc` is not a number",
                ),
                (
                    read(&same(&z), &edited(&y, ending, 5, b"-1"), &same(&x)),
                    "Y.csv:5: Y[r0|s1, r0|fd] is -1",
                ),
                (
                    read(&same(&z), &same(&y), &edited(&x, ending, 4, b"")),
                    "x.csv:4: x[r1|s0] is NaN",
                ),
                // Not UTF-8: the csv crate's own error, at the line of its record.
                (
                    read(&edited(&z, ending, 7, b"\xff"), &same(&y), &same(&x)),
                    "Z.csv:7: invalid utf-8: invalid UTF-8 in field 2 near byte index 0",
                ),
            ];
            for (got, want) in cases {
                let got = got.map(|_| ()).map_err(|e| e.to_string());
                let got = got.expect_err(want);
                assert!(
                    got.starts_with(want),
                    "{ending:?}: `{got}` is not `{want}...`"
                );
            }
        }
    }
}
