//! Multi-regional input-output tables: [`Mrio`] (yearly flows Z, final demand Y, gross output x
//! in a region-major industry order), [`IndustryOrder`] and the pymrio CSV reader
//! [`Mrio::read_dir`] / writer [`Mrio::write_dir`].
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

    /// Reads `Z.csv`, `Y.csv` and optional `x.csv` from `dir` (pymrio layout) and validates them.
    pub fn read_dir(dir: &Path, order: IndustryOrder) -> Result<Mrio, MrioError> {
        let zpath = dir.join("Z.csv");
        let ypath = dir.join("Y.csv");
        let xpath = dir.join("x.csv");
        let zfile = open(&zpath)?;
        let mut zr = csv_reader(zfile);
        let mut recs = zr.records();
        let (zcols, first_row) = read_header(&zpath, &mut recs)?;
        let (regions, sectors) = industry_axes(&zpath, &zcols, order)?;
        let s_n = sectors.len();
        let n = regions.len() * s_n;
        let ridx: HashMap<&str, usize> = index_map(&regions);
        let sidx: HashMap<&str, usize> = index_map(&sectors);
        let col_pos: Vec<usize> = zcols
            .iter()
            .map(|(r, s)| ridx[r.as_str()] * s_n + sidx[s.as_str()])
            .collect();
        let mut z = vec![0.0; n * n];
        crate::mem::advise_huge_pages(&z);
        let mut seen = vec![false; n];
        let mut handle_row = |rec: csv::StringRecord| -> Result<(), MrioError> {
            let line = rec.position().map_or(0, |p| p.line());
            let i = row_index(&zpath, line, &rec, &ridx, &sidx, s_n, &mut seen)?;
            if rec.len() != zcols.len() + 2 {
                return Err(MrioError::Shape(format!(
                    "{}:{line}: row has {} values, the header has {} columns",
                    zpath.display(),
                    rec.len().saturating_sub(2),
                    zcols.len()
                )));
            }
            let row = &mut z[i * n..(i + 1) * n];
            for (k, cell) in rec.iter().skip(2).enumerate() {
                let v = parse_value(&zpath, line, cell, || {
                    format!("Z[{}, {}|{}]", label(&rec), zcols[k].0, zcols[k].1)
                })?;
                row[col_pos[k]] = v;
            }
            Ok(())
        };
        if let Some(rec) = first_row {
            handle_row(rec)?;
        }
        for rec in recs {
            let rec = rec.map_err(|e| csv_err(&zpath, e))?;
            handle_row(rec)?;
        }
        check_all_rows(&zpath, &seen, &regions, &sectors)?;

        // Y
        let yfile = open(&ypath)?;
        let mut yr = csv_reader(yfile);
        let mut recs = yr.records();
        let (ycols, first_row) = read_header(&ypath, &mut recs)?;
        let mut cats: Vec<String> = Vec::new();
        for (r, c) in &ycols {
            if !ridx.contains_key(r.as_str()) {
                return Err(MrioError::Shape(format!(
                    "{}: final-demand column region `{r}` is not a region of Z.csv",
                    ypath.display()
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
                ypath.display(),
                ycols.len(),
                regions.len(),
                c_n
            )));
        }
        let cidx = index_map(&cats);
        let mut ycol_pos = Vec::with_capacity(ycols.len());
        let mut ycol_seen = vec![false; ycols.len()];
        for (r, c) in &ycols {
            let p = ridx[r.as_str()] * c_n + cidx[c.as_str()];
            if ycol_seen[p] {
                return Err(MrioError::Shape(format!(
                    "{}: duplicate final-demand column {r}|{c}",
                    ypath.display()
                )));
            }
            ycol_seen[p] = true;
            ycol_pos.push(p);
        }
        let nf = ycols.len();
        let mut y = vec![0.0; n * nf];
        let mut seen = vec![false; n];
        let mut handle_row = |rec: csv::StringRecord| -> Result<(), MrioError> {
            let line = rec.position().map_or(0, |p| p.line());
            let i = row_index(&ypath, line, &rec, &ridx, &sidx, s_n, &mut seen)?;
            if rec.len() != nf + 2 {
                return Err(MrioError::Shape(format!(
                    "{}:{line}: row has {} values, the header has {nf} columns",
                    ypath.display(),
                    rec.len().saturating_sub(2)
                )));
            }
            for (k, cell) in rec.iter().skip(2).enumerate() {
                let v = parse_value(&ypath, line, cell, || {
                    format!("Y[{}, {}|{}]", label(&rec), ycols[k].0, ycols[k].1)
                })?;
                y[i * nf + ycol_pos[k]] = v;
            }
            Ok(())
        };
        if let Some(rec) = first_row {
            handle_row(rec)?;
        }
        for rec in recs {
            let rec = rec.map_err(|e| csv_err(&ypath, e))?;
            handle_row(rec)?;
        }
        check_all_rows(&ypath, &seen, &regions, &sectors)?;

        // x
        let x = if xpath.exists() {
            let xfile = open(&xpath)?;
            let mut xr = csv_reader(xfile);
            let mut x = vec![0.0; n];
            let mut seen = vec![false; n];
            for (k, rec) in xr.records().enumerate() {
                let rec = rec.map_err(|e| csv_err(&xpath, e))?;
                if k == 0 {
                    continue; // header: region,sector,indout
                }
                let line = rec.position().map_or(0, |p| p.line());
                if rec.len() != 3 {
                    return Err(MrioError::Shape(format!(
                        "{}:{line}: expected 3 cells (region, sector, value), found {}",
                        xpath.display(),
                        rec.len()
                    )));
                }
                let i = row_index(&xpath, line, &rec, &ridx, &sidx, s_n, &mut seen)?;
                x[i] = parse_value(&xpath, line, &rec[2], || format!("x[{}]", label(&rec)))?;
            }
            check_all_rows(&xpath, &seen, &regions, &sectors)?;
            Some(x)
        } else {
            None
        };
        Mrio::from_parts(regions, sectors, cats, z, y, x)
    }

    /// Writes the pymrio CSV layout (Z.csv, Y.csv, x.csv) readable by `run_reference.py`.
    pub fn write_dir(&self, dir: &Path) -> std::io::Result<()> {
        use std::io::Write;
        std::fs::create_dir_all(dir)?;
        let n = self.n_industries();
        let nf = self.n_fd();
        let ind: Vec<(&str, &str)> = self
            .regions
            .iter()
            .flat_map(|r| self.sectors.iter().map(move |s| (r.as_str(), s.as_str())))
            .collect();
        let fdc: Vec<(&str, &str)> = self
            .regions
            .iter()
            .flat_map(|r| {
                self.fd_categories
                    .iter()
                    .map(move |c| (r.as_str(), c.as_str()))
            })
            .collect();
        let write_table = |name: &str,
                           cols: &[(&str, &str)],
                           h1: &str,
                           vals: &[f64],
                           width: usize|
         -> std::io::Result<()> {
            let mut w = std::io::BufWriter::new(std::fs::File::create(dir.join(name))?);
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
            for (i, (r, s)) in ind.iter().enumerate() {
                write!(w, "{},{}", csv_cell(r), csv_cell(s))?;
                for v in &vals[i * width..(i + 1) * width] {
                    write!(w, ",{v:e}")?;
                }
                writeln!(w)?;
            }
            w.flush()
        };
        write_table("Z.csv", &ind, "sector", &self.z, n)?;
        write_table("Y.csv", &fdc, "category", &self.y, nf)?;
        let mut w = std::io::BufWriter::new(std::fs::File::create(dir.join("x.csv"))?);
        writeln!(w, "region,sector,indout")?;
        for (i, (r, s)) in ind.iter().enumerate() {
            writeln!(w, "{},{},{:e}", csv_cell(r), csv_cell(s), self.x[i])?;
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

fn open(path: &Path) -> Result<std::fs::File, MrioError> {
    std::fs::File::open(path).map_err(|source| MrioError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn csv_reader(f: std::fs::File) -> csv::Reader<std::io::BufReader<std::fs::File>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(std::io::BufReader::with_capacity(1 << 20, f))
}

fn csv_err(path: &Path, e: csv::Error) -> MrioError {
    let line = e.position().map_or(0, |p| p.line());
    MrioError::Csv {
        path: path.to_path_buf(),
        line,
        message: e.to_string(),
    }
}

/// Column labels and, when the third row is already data, that row.
type Header = (Vec<(String, String)>, Option<csv::StringRecord>);

type Records<'a> = csv::StringRecordsIter<'a, std::io::BufReader<std::fs::File>>;

/// Reads the two header rows and skips an optional index-name row; returns the column labels
/// and, when the third row is already data, that row.
fn read_header(path: &Path, recs: &mut Records<'_>) -> Result<Header, MrioError> {
    let mut next = |what: &str| -> Result<csv::StringRecord, MrioError> {
        match recs.next() {
            Some(r) => r.map_err(|e| csv_err(path, e)),
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

fn row_index(
    path: &Path,
    line: u64,
    rec: &csv::StringRecord,
    ridx: &HashMap<&str, usize>,
    sidx: &HashMap<&str, usize>,
    s_n: usize,
    seen: &mut [bool],
) -> Result<usize, MrioError> {
    if rec.len() < 2 {
        return Err(MrioError::Shape(format!(
            "{}:{line}: row has fewer than 2 index cells",
            path.display()
        )));
    }
    let (r, s) = (&rec[0], &rec[1]);
    let (Some(ri), Some(si)) = (ridx.get(r), sidx.get(s)) else {
        return Err(MrioError::Shape(format!(
            "{}:{line}: row industry {r}|{s} is not a column industry of Z.csv",
            path.display()
        )));
    };
    let i = ri * s_n + si;
    if std::mem::replace(&mut seen[i], true) {
        return Err(MrioError::Shape(format!(
            "{}:{line}: duplicate row {r}|{s}",
            path.display()
        )));
    }
    Ok(i)
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
