//! The run-folder writer: every folder of results the program writes goes through it. A
//! [`RunFolder`] is a folder being written under a [`Layout`] (the name of its manifest, the
//! name a file has while it is written, how a JSON file ends). It is written whole into a fresh
//! staging folder beside its destination (`.NAME.staging-HOST-PID`) and swapped in only when
//! complete ([`RunFolder::seal`]): until then a previous result in the destination stays whole
//! and untouched, and a run that fails, panics or is interrupted (SIGINT, SIGTERM: see
//! [`crate::signals`]) removes its staging folder. Each file goes through an [`AtomicFile`]: its
//! bytes go to the temporary name and into a SHA-256 as they are written, and
//! [`RunFolder::finish`] renames it into place and lists it as an [`OutputFile`] (name, bytes,
//! digest). The manifest, built from that list, is written last: a folder holding its manifest
//! is complete (docs/outputs.md), and [`read_listed`] reads a file checked against it.
//! [`num_in`] / [`num`] and [`date_string`] are how every CSV the program writes spells numbers
//! and dates, in a run folder or on stdout.

use crate::Failure;
use crate::inputs::{hex, sha256_hex};
use crate::tabular::{Format, TableFile};
use anyhow::{Context as _, Result, anyhow};
use chokepoint_core::event::Day;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// The conventions of one kind of folder.
pub struct Layout {
    /// The file written last; its presence marks a complete folder.
    pub manifest: &'static str,
    /// The name a file has while it is written, inside the staging folder.
    pub temp_name: fn(&str) -> String,
    /// Whether a JSON file ends with a newline after its pretty-printed value.
    pub json_newline: bool,
}

/// chokepoint's run folders (docs/outputs.md): `manifest.json`, hidden `.NAME.tmp` files while
/// writing, JSON ending in a newline.
pub const RUN_FOLDER: Layout = Layout {
    manifest: "manifest.json",
    temp_name: hidden_temp,
    json_newline: true,
};

/// The manifests of every kind of folder the program writes (`manifest.json` of `run`,
/// Monte Carlo and `merge`, `run_info.json` of `ario`): a folder holding one of them is a
/// result the program may replace.
const MANIFESTS: [&str; 2] = ["manifest.json", "run_info.json"];

fn hidden_temp(name: &str) -> String {
    format!(".{name}.tmp")
}

/// Writes one file on its own the way a folder's files are written: under a hidden temporary
/// name beside `path`, flushed to disk, then renamed over it, so `path` holds the previous
/// bytes or the new ones, never a part (`chokepoint report`).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| anyhow::anyhow!("`{}` names no file", path.display()))?
        .to_string_lossy()
        .into_owned();
    let temp = format!(".{name}.{}.tmp", std::process::id());
    let mut f = AtomicFile::create(dir, &name, temp)?;
    if let Err(e) = f.write_all(bytes) {
        let _ = fs::remove_file(&f.temp);
        return Err(anyhow::Error::new(e).context(format!("cannot write `{}`", path.display())));
    }
    f.finish().map(|_| ())
}

/// A completed file as a manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputFile {
    pub name: String,
    pub bytes: u64,
    /// SHA-256 of the file's bytes, lower-case hex.
    pub sha256: String,
}

/// A folder being written. Files reach their final names in the staging folder one by one,
/// each complete; the manifest comes last, through [`RunFolder::seal`], which swaps the staging
/// folder into the destination.
pub struct RunFolder {
    /// Where the result goes.
    dest: PathBuf,
    /// Where it is written until it is complete; removed when the folder is dropped unsealed.
    staging: PathBuf,
    layout: &'static Layout,
    /// How its tabular files are written.
    format: Format,
    outputs: Vec<OutputFile>,
    sealed: bool,
}

impl RunFolder {
    /// Starts a folder that will replace `dir` when sealed. Refuses (as an input error) a
    /// destination that is not a folder of results, so that `--out` never swallows a user's
    /// files, and one that another live run is writing. Clears what interrupted runs into the
    /// same destination left, saying so on stderr.
    pub fn create(dir: &Path, layout: &'static Layout) -> Result<RunFolder, Failure> {
        let dest = destination(dir)?;
        let name = dest
            .file_name()
            .expect("destination() gives a named folder")
            .to_string_lossy()
            .into_owned();
        let parent = dest
            .parent()
            .expect("a named folder has a parent")
            .to_path_buf();
        fs::create_dir_all(&parent)
            .with_context(|| format!("cannot create folder `{}`", parent.display()))
            .map_err(Failure::Run)?;
        check_replaceable(dir, &dest, layout)?;
        clear_leftovers(&parent, &name, &dest)?;
        let staging = parent.join(format!("{}{}", staging_prefix(&name), owner_tag()));
        // A fresh folder: a leftover of this very process id cannot be alive.
        let _ = fs::remove_dir_all(&staging);
        fs::create_dir(&staging)
            .with_context(|| format!("cannot create staging folder `{}`", staging.display()))
            .map_err(Failure::Run)?;
        crate::signals::register(&staging);
        Ok(RunFolder {
            dest,
            staging,
            layout,
            format: Format::Csv,
            outputs: Vec::new(),
            sealed: false,
        })
    }

    /// Writes the folder's tabular files in `format` (CSV unless said).
    pub fn with_format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// Starts the file `name`; it is listed once handed to [`RunFolder::finish`].
    pub fn file(&self, name: &str) -> Result<AtomicFile> {
        AtomicFile::create(&self.staging, name, (self.layout.temp_name)(name))
    }

    /// Starts the tabular file `name` (a CSV name, e.g. `timeseries.csv`, listed in
    /// [`crate::tabular::TABLES`]): the CSV file itself, or with `--format parquet` its
    /// Parquet twin `timeseries.parquet`, which takes the same CSV text.
    pub fn table(&self, name: &str) -> Result<TableFile> {
        match self.format {
            Format::Csv => Ok(TableFile::Csv(self.file(name)?)),
            #[cfg(feature = "parquet")]
            Format::Parquet => {
                let table = crate::tabular::table(name).ok_or_else(|| {
                    anyhow!("{name} has no declared columns (crate::tabular::TABLES)")
                })?;
                let file = self.file(&Format::Parquet.file_name(name))?;
                Ok(TableFile::Parquet(Box::new(
                    crate::parquet_file::Writer::new(table, file),
                )))
            }
            #[cfg(not(feature = "parquet"))]
            Format::Parquet => Err(anyhow!(crate::tabular::NO_PARQUET)),
        }
    }

    /// Starts the tabular file `name` (see [`RunFolder::table`]) with its header row.
    pub fn csv<I>(&self, name: &str, header: I) -> Result<csv::Writer<TableFile>>
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        let header: Vec<String> = header
            .into_iter()
            .map(|h| String::from_utf8_lossy(h.as_ref()).into_owned())
            .collect();
        // Every table's columns are declared once (its Parquet schema, docs/outputs.md): a
        // writer that drifts from them fails the tests in either format.
        debug_assert!(
            crate::tabular::table(name).is_some_and(|t| {
                let names: Vec<&str> = header.iter().map(String::as_str).collect();
                t.columns_for(&names).is_ok()
            }),
            "{name}: the header differs from crate::tabular::TABLES"
        );
        let mut w = csv::Writer::from_writer(self.table(name)?);
        w.write_record(&header)
            .with_context(|| format!("cannot write {name}"))?;
        Ok(w)
    }

    /// Renames a complete file into place and lists it.
    pub fn finish(&mut self, file: AtomicFile) -> Result<()> {
        self.outputs.push(file.finish()?);
        Ok(())
    }

    /// [`RunFolder::finish`] for a tabular file.
    pub fn finish_table(&mut self, file: TableFile) -> Result<()> {
        let file = file.into_file()?;
        self.finish(file)
    }

    /// [`RunFolder::finish_table`] after writing what the CSV writer still holds.
    pub fn finish_csv(&mut self, w: csv::Writer<TableFile>) -> Result<()> {
        let file = w.into_inner().map_err(|e| e.into_error())?;
        self.finish_table(file)
    }

    /// Writes the whole tabular file `name` (CSV text) at once, in the folder's format.
    pub fn write_table(&mut self, name: &str, csv_text: &[u8]) -> Result<()> {
        let mut f = self.table(name)?;
        f.write_all(csv_text)
            .with_context(|| format!("cannot write {name}"))?;
        self.finish_table(f)
    }

    /// Writes the whole file `name` at once.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let mut f = self.file(name)?;
        f.write_all(bytes)
            .with_context(|| format!("cannot write {name}"))?;
        self.finish(f)
    }

    /// Writes `value` as the JSON file `name`.
    pub fn write_json(&mut self, name: &str, value: &impl Serialize) -> Result<()> {
        let f = self.json(name, value)?;
        self.finish(f)
    }

    /// Writes the manifest, built from the list of files written (sorted by name), and swaps
    /// the complete folder into its destination: the destination holds the complete previous
    /// result or the complete new one at every moment (one `renameat2(RENAME_EXCHANGE)` where
    /// the file system has it, else two renames with the old result kept aside in between).
    pub fn seal<M: Serialize>(mut self, manifest: impl FnOnce(Vec<OutputFile>) -> M) -> Result<()> {
        self.outputs.sort_by(|a, b| a.name.cmp(&b.name));
        let manifest = manifest(std::mem::take(&mut self.outputs));
        self.json(self.layout.manifest, &manifest)?.finish()?;
        File::open(&self.staging)
            .and_then(|d| d.sync_all())
            .with_context(|| format!("cannot sync `{}`", self.staging.display()))?;
        crate::signals::with_staging(|list| {
            swap_in(&self.staging, &self.dest)?;
            self.sealed = true;
            crate::signals::unregister(list, &self.staging);
            Ok(())
        })
    }

    fn json(&self, name: &str, value: &impl Serialize) -> Result<AtomicFile> {
        let mut f = self.file(name)?;
        serde_json::to_writer_pretty(&mut f, value)
            .map_err(io::Error::from)
            .and_then(|()| {
                if self.layout.json_newline {
                    f.write_all(b"\n")
                } else {
                    Ok(())
                }
            })
            .with_context(|| format!("cannot write {name}"))?;
        Ok(f)
    }
}

impl Drop for RunFolder {
    /// An unsealed folder (the run failed or panicked) leaves nothing: the destination keeps
    /// what it held.
    fn drop(&mut self) {
        if !self.sealed {
            crate::signals::with_staging(|list| {
                let _ = fs::remove_dir_all(&self.staging);
                crate::signals::unregister(list, &self.staging);
            });
        }
    }
}

/// `dir` as an absolute path with a last component (`--out .` names the current folder), and
/// through a symbolic link to the folder it points at.
fn destination(dir: &Path) -> Result<PathBuf, Failure> {
    let abs = std::path::absolute(dir)
        .with_context(|| format!("cannot resolve `{}`", dir.display()))
        .map_err(Failure::Run)?;
    let resolved = if abs.exists() {
        fs::canonicalize(&abs)
            .with_context(|| format!("cannot resolve `{}`", dir.display()))
            .map_err(Failure::Run)?
    } else {
        // Folds `a/../b` and `./` so that the staging folder sits beside the real destination.
        let mut out = PathBuf::new();
        for c in abs.components() {
            match c {
                std::path::Component::ParentDir => {
                    out.pop();
                }
                std::path::Component::CurDir => {}
                c => out.push(c),
            }
        }
        out
    };
    if resolved.file_name().is_none() || resolved.parent().is_none() {
        return Err(Failure::input(
            anyhow!("cannot write results into `{}`", dir.display()),
            Some("give --out a folder of its own, e.g. `--out runs/my-run`".into()),
        ));
    }
    Ok(resolved)
}

/// A destination may be replaced when it does not exist, is empty, or holds a manifest of
/// one of the program's folders (or of `layout`); anything else may be a user's files.
fn check_replaceable(typed: &Path, dest: &Path, layout: &Layout) -> Result<(), Failure> {
    let meta = match fs::metadata(dest) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(Failure::Run(
                anyhow!(e).context(format!("cannot read `{}`", typed.display())),
            ));
        }
        Ok(m) => m,
    };
    let refuse = |what: String| {
        Failure::input(
            anyhow!("output folder `{}` {what}", typed.display()),
            Some(
                "give a new folder with --out, or remove this one if it is no longer needed".into(),
            ),
        )
    };
    if !meta.is_dir() {
        return Err(refuse("exists and is not a folder".into()));
    }
    if MANIFESTS
        .iter()
        .chain([&layout.manifest])
        .any(|m| dest.join(m).is_file())
    {
        return Ok(());
    }
    let first = fs::read_dir(dest)
        .with_context(|| format!("cannot read `{}`", typed.display()))
        .map_err(Failure::Run)?
        .next();
    match first {
        None => Ok(()),
        Some(entry) => {
            let name = entry
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .unwrap_or_default();
            Err(refuse(format!(
                "holds files that are not a complete chokepoint result (e.g. `{name}`), which a run would replace"
            )))
        }
    }
}

fn staging_prefix(name: &str) -> String {
    format!(".{name}.staging-")
}

fn kept_prefix(name: &str) -> String {
    format!(".{name}.old-")
}

/// `HOST-PID` of this process, which names its staging folder: another process can tell
/// whether the owner still runs (on this host).
fn owner_tag() -> String {
    format!("{}-{}", host(), std::process::id())
}

fn host() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().replace(['/', '-'], "_"))
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// Whether the process `pid` of this host is a running chokepoint (`/proc/PID/comm`, which
/// tells a reused process id from the original owner). Without `/proc` every owner counts as
/// running, so nothing of another run is removed.
fn chokepoint_runs(pid: u32) -> bool {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return true;
    }
    fs::read_to_string(proc.join(pid.to_string()).join("comm"))
        .map(|comm| comm.trim() == env!("CARGO_BIN_NAME"))
        .unwrap_or(false)
}

/// Folders that runs into `dest` left beside it when they were killed (SIGKILL, power loss):
/// a staging folder of a dead owner is removed; a previous result kept aside by an
/// interrupted two-rename swap is put back when the destination is missing, else removed.
/// Each is reported on stderr. A staging folder of a live owner means another run is writing
/// the same destination: refused.
fn clear_leftovers(parent: &Path, name: &str, dest: &Path) -> Result<(), Failure> {
    let (staging, kept) = (staging_prefix(name), kept_prefix(name));
    let Ok(entries) = fs::read_dir(parent) else {
        return Ok(());
    };
    let mut found: Vec<(PathBuf, bool)> = Vec::new();
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        for (prefix, is_kept) in [(&staging, false), (&kept, true)] {
            if let Some(tag) = file.strip_prefix(prefix.as_str()) {
                let (h, pid) = tag.rsplit_once('-').unwrap_or((tag, ""));
                let pid: Option<u32> = pid.parse().ok();
                let ours = h == host();
                if ours && pid.is_some_and(|p| p != std::process::id() && chokepoint_runs(p)) {
                    return Err(Failure::input(
                        anyhow!(
                            "another chokepoint run (process {}) is writing `{}`",
                            pid.unwrap_or_default(),
                            dest.display()
                        ),
                        Some("wait for it to finish, or give this run another --out".into()),
                    ));
                }
                if !ours {
                    eprintln!(
                        "note: `{}` was left by a run on host `{h}`; remove it if that run has ended",
                        e.path().display()
                    );
                    continue;
                }
                found.push((e.path(), is_kept));
            }
        }
    }
    for (path, is_kept) in found {
        if is_kept && !dest.exists() && fs::rename(&path, dest).is_ok() {
            eprintln!(
                "note: put back the previous result `{}` that an interrupted run had set aside",
                dest.display()
            );
            continue;
        }
        let size = tree_bytes(&path);
        fs::remove_dir_all(&path)
            .with_context(|| {
                format!(
                    "cannot remove `{}` left by an interrupted run",
                    path.display()
                )
            })
            .map_err(Failure::Run)?;
        eprintln!(
            "note: removed `{}` ({}) left by an interrupted run",
            path.display(),
            crate::limits::bytes(size as f64)
        );
    }
    Ok(())
}

fn tree_bytes(path: &Path) -> u64 {
    fs::read_dir(path)
        .map(|rd| {
            rd.flatten()
                .map(|e| match e.file_type() {
                    Ok(t) if t.is_dir() => tree_bytes(&e.path()),
                    _ => e.metadata().map_or(0, |m| m.len()),
                })
                .sum()
        })
        .unwrap_or(0)
}

/// Puts the complete folder `staging` at `dest`, and the previous result, if any, away.
fn swap_in(staging: &Path, dest: &Path) -> Result<()> {
    let renamed = |r: io::Result<()>| {
        r.with_context(|| {
            format!(
                "cannot move `{}` to `{}`",
                staging.display(),
                dest.display()
            )
        })
    };
    if !dest.exists() {
        return renamed(fs::rename(staging, dest));
    }
    if exchange(staging, dest)? {
        // `staging` now holds the previous result.
        let _ = fs::remove_dir_all(staging);
        return Ok(());
    }
    let name = dest.file_name().expect("named").to_string_lossy();
    let kept = dest.with_file_name(format!("{}{}", kept_prefix(&name), owner_tag()));
    fs::rename(dest, &kept)
        .with_context(|| format!("cannot move the previous result `{}` aside", dest.display()))?;
    if let Err(e) = renamed(fs::rename(staging, dest)) {
        let _ = fs::rename(&kept, dest);
        return Err(e);
    }
    let _ = fs::remove_dir_all(&kept);
    Ok(())
}

/// Exchanges two folders atomically (Linux `renameat2(RENAME_EXCHANGE)`); `false` where the
/// system or file system cannot.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> Result<bool> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).context("a path with a NUL byte");
    let (ca, cb) = (c(a)?, c(b)?);
    // SAFETY: both are valid NUL-terminated paths; the call reads them and nothing else.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP) => Ok(false),
        _ => {
            Err(e).with_context(|| format!("cannot swap `{}` into `{}`", a.display(), b.display()))
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> Result<bool> {
    Ok(false)
}

/// Reads a file of a complete folder and checks it against what its manifest lists (size, then
/// SHA-256), so that a result altered after it was written (one flipped bit, an edited digit, a
/// truncated copy) is never read as the program's own. Returns the bytes checked, so the caller
/// reads the file once.
pub fn read_listed(dir: &Path, listed: &[OutputFile], name: &str) -> Result<Vec<u8>, Failure> {
    let path = dir.join(name);
    let refuse = |what: String| {
        Failure::input(
            anyhow!("`{}` {what}", path.display()),
            Some("the folder was changed or damaged after the run wrote it; rerun it".into()),
        )
    };
    let Some(entry) = listed.iter().find(|o| o.name == name) else {
        return Err(refuse("is not listed in the folder's manifest".into()));
    };
    let bytes = fs::read(&path).map_err(|e| {
        Failure::input(
            anyhow!(e).context(format!("cannot read `{}`", path.display())),
            Some("the folder's manifest lists it: the folder is damaged; rerun it".into()),
        )
    })?;
    if bytes.len() as u64 != entry.bytes {
        return Err(refuse(format!(
            "has {} bytes; its manifest lists {}",
            bytes.len(),
            entry.bytes
        )));
    }
    let digest = sha256_hex(&bytes);
    if digest != entry.sha256 {
        return Err(refuse(format!(
            "does not match its manifest (SHA-256 {digest}, listed {})",
            entry.sha256
        )));
    }
    Ok(bytes)
}

/// A file being written: bytes go to its temporary name and into a SHA-256. Only
/// [`RunFolder::finish`] renames it into place; dropped unfinished, the temporary file is
/// removed.
pub struct AtomicFile {
    name: String,
    temp: PathBuf,
    dest: PathBuf,
    w: Option<BufWriter<File>>,
    hasher: Sha256,
    bytes: u64,
}

impl AtomicFile {
    fn create(dir: &Path, name: &str, temp: String) -> Result<Self> {
        let temp = dir.join(temp);
        let file =
            File::create(&temp).with_context(|| format!("cannot create `{}`", temp.display()))?;
        Ok(AtomicFile {
            name: name.to_string(),
            temp,
            dest: dir.join(name),
            // Large streamed files (a run's time series, ARIO trajectories) write in few calls.
            w: Some(BufWriter::with_capacity(1 << 20, file)),
            hasher: Sha256::new(),
            bytes: 0,
        })
    }

    /// Flushes the file to disk and renames it to its final name.
    fn finish(mut self) -> Result<OutputFile> {
        let w = self.w.take().expect("finish is called once");
        let done = w
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|f| f.sync_all())
            .with_context(|| format!("cannot write `{}`", self.temp.display()))
            .and_then(|()| {
                fs::rename(&self.temp, &self.dest).with_context(|| {
                    format!(
                        "cannot rename `{}` to `{}`",
                        self.temp.display(),
                        self.dest.display()
                    )
                })
            });
        if let Err(e) = done {
            let _ = fs::remove_file(&self.temp);
            return Err(e);
        }
        Ok(OutputFile {
            name: std::mem::take(&mut self.name),
            bytes: self.bytes,
            sha256: hex(&self.hasher.clone().finalize()),
        })
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.w.as_mut().expect("not finished").write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.w.as_mut().expect("not finished").flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.w.take().is_some() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Numbers smaller than this in magnitude are written as `0`: the engine's mass balance holds
/// to 1e-9 (`tests/properties.rs`), so a value below it (a flow of 3.4e-13 t left by
/// subtracting two equal stocks) is zero to the model's precision, and printing it as
/// `0.0000000000003410605` would only be noise. Quantities are tonnes, days, USD/kg, counts or
/// shares, where 1e-9 of a unit is far below anything reported.
pub const ZERO_BELOW: f64 = 1e-9;

/// `v` as every CSV the program writes a number: the shortest decimal that reads back to the
/// same `f64` (Rust's `{}`, never exponent notation), `0` when `|v| <` [`ZERO_BELOW`] (either
/// sign), empty for NaN and infinities. Written into `buf` (cleared first), so that a file of
/// millions of numbers reuses one allocation.
pub fn num_in(buf: &mut String, v: f64) -> &str {
    buf.clear();
    if v.is_finite() {
        write!(buf, "{}", at_precision(v)).expect("writing to a String");
    }
    buf
}

/// `v`, or 0 when `|v| <` [`ZERO_BELOW`]: the number a CSV holds for `v`. Statistics computed
/// from per-path values that a merge reads back from shards' CSV files (`distributions.csv`)
/// take their values through this too, so that one process and a merge of shards agree.
pub fn at_precision(v: f64) -> f64 {
    if v.abs() < ZERO_BELOW { 0.0 } else { v }
}

/// [`num_in`] as an owned string.
pub fn num(v: f64) -> String {
    let mut buf = String::new();
    num_in(&mut buf, v);
    buf
}

/// Day `day` of a run starting on `start`, as `YYYY-MM-DD`.
pub fn date_string(start: Date, day: Day) -> String {
    start
        .checked_add(jiff::Span::new().days(i64::from(day)))
        .map(|d| d.to_string())
        .unwrap_or_else(|_| format!("day+{day}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_shortest_round_trip_and_empty_when_not_finite() {
        let mut buf = String::from("left over");
        assert_eq!(num_in(&mut buf, 0.1 + 0.2), "0.30000000000000004");
        assert_eq!(num(1e-7), "0.0000001");
        assert_eq!(num(2.0), "2");
        assert_eq!(num(30.000000000000004), "30.000000000000004");
        // Issue 20: no float noise where a value is zero to the model's precision.
        assert_eq!(num(-0.0), "0");
        assert_eq!(num(0.0000000000003410605), "0");
        assert_eq!(num(-3.4e-13), "0");
        assert_eq!(num(0.99e-9), "0");
        assert_eq!(num(1e-9), "0.000000001");
        assert_eq!(num(-2e-9), "-0.000000002");
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(num_in(&mut buf, v), "");
        }
    }

    /// A fresh parent folder for one test; results go to `PARENT/out`.
    fn temp_dir(test: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "chokepoint-run-folder-{test}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn message(f: Failure) -> String {
        match f {
            Failure::Input { error, hint } => format!("{error:#} / {}", hint.unwrap_or_default()),
            Failure::Run(e) => format!("run: {e:#}"),
            Failure::Invalid { .. } => "invalid".into(),
        }
    }

    /// Files appear under their names only when finished, each listed with its size and
    /// digest, in a staging folder beside the destination; the previous result stays whole
    /// until the manifest, written last, completes the new folder and it is swapped in.
    #[test]
    fn files_appear_when_finished_and_the_folder_is_swapped_in_whole() {
        let parent = temp_dir("order");
        let dest = parent.join("out");
        fs::create_dir_all(&dest).unwrap();
        fs::write(dest.join("manifest.json"), "old").unwrap();
        fs::write(dest.join("timeseries.csv"), "old").unwrap();
        let mut folder = RunFolder::create(&dest, &RUN_FOLDER).unwrap();
        let staging = folder.staging.clone();
        assert_eq!(staging.parent(), Some(parent.as_path()));
        let mut w = folder.csv("sources.csv", ["id", "title", "url"]).unwrap();
        w.write_record(["1", "2", "3"]).unwrap();
        folder.write("a.bin", b"abc").unwrap();
        assert!(staging.join(".sources.csv.tmp").exists());
        assert!(!staging.join("sources.csv").exists());
        folder.finish_csv(w).unwrap();
        assert_eq!(
            names(&dest),
            ["manifest.json", "timeseries.csv"],
            "old result untouched"
        );
        folder.seal(|outputs| outputs).unwrap();
        assert_eq!(
            names(&dest),
            ["a.bin", "manifest.json", "sources.csv"],
            "no stale file"
        );
        assert_eq!(names(&parent), ["out"], "no staging or old folder left");
        assert_eq!(
            fs::read_to_string(dest.join("sources.csv")).unwrap(),
            "id,title,url\n1,2,3\n"
        );
        let listed: Vec<OutputFile> =
            serde_json::from_slice(&fs::read(dest.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(listed[0].name, "a.bin");
        assert_eq!(listed[0].bytes, 3);
        assert_eq!(
            listed[0].sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(listed[1].name, "sources.csv");
        assert_eq!(listed[1].bytes, 19);
        read_listed(&dest, &listed, "sources.csv").unwrap();
        fs::remove_dir_all(&parent).unwrap();
    }

    /// Another kind of folder brings its own manifest name, temporary names and JSON ending;
    /// a file dropped unfinished leaves nothing behind, nor does a folder dropped unsealed.
    #[test]
    fn a_layout_decides_names_and_json_ending() {
        const BARE: Layout = Layout {
            manifest: "info.json",
            temp_name: |name| format!("{name}.partial"),
            json_newline: false,
        };
        let parent = temp_dir("layout");
        let dest = parent.join("out");
        let mut folder = RunFolder::create(&dest, &BARE).unwrap();
        let dropped = folder.file("data.csv").unwrap();
        assert!(folder.staging.join("data.csv.partial").exists());
        drop(dropped);
        assert!(!folder.staging.join("data.csv.partial").exists());
        folder.write_json("x.json", &[1]).unwrap();
        folder.seal(|_| serde_json::json!({ "ok": true })).unwrap();
        assert_eq!(
            fs::read_to_string(dest.join("x.json")).unwrap(),
            "[\n  1\n]"
        );
        assert_eq!(
            fs::read_to_string(dest.join("info.json")).unwrap(),
            "{\n  \"ok\": true\n}"
        );
        let unsealed = RunFolder::create(&dest, &BARE).unwrap();
        drop(unsealed);
        assert_eq!(names(&parent), ["out"]);
        assert_eq!(names(&dest), ["info.json", "x.json"]);
        fs::remove_dir_all(&parent).unwrap();
    }

    /// `--out` never replaces a folder that is not a result of the program: a user's files
    /// stay (issue 16).
    #[test]
    fn issue_16_a_folder_of_other_files_is_not_replaced() {
        let parent = temp_dir("foreign");
        let dest = parent.join("mine");
        fs::create_dir_all(&dest).unwrap();
        fs::write(dest.join("thesis.tex"), "precious").unwrap();
        let e = message(RunFolder::create(&dest, &RUN_FOLDER).err().unwrap());
        assert!(
            e.contains("holds files that are not a complete chokepoint result (e.g. `thesis.tex`)"),
            "{e}"
        );
        fs::write(parent.join("file"), "x").unwrap();
        let e = message(
            RunFolder::create(&parent.join("file"), &RUN_FOLDER)
                .err()
                .unwrap(),
        );
        assert!(e.contains("exists and is not a folder"), "{e}");
        assert_eq!(names(&parent), ["file", "mine"]);
        fs::remove_dir_all(&parent).unwrap();
    }

    /// What a killed run left beside its destination is cleared by the next run into it; a
    /// previous result set aside by an interrupted two-rename swap is put back (issue 16).
    #[test]
    fn issue_16_leftovers_of_killed_runs_are_cleared_or_put_back() {
        let parent = temp_dir("leftovers");
        let dest = parent.join("out");
        // No process has this id (above the kernel's pid_max).
        let dead = format!("{}-4194305", host());
        let staging = parent.join(format!(".out.staging-{dead}"));
        fs::create_dir_all(&staging).unwrap();
        fs::write(staging.join(".timeseries.csv.tmp"), vec![0u8; 4096]).unwrap();
        let kept = parent.join(format!(".out.old-{dead}"));
        fs::create_dir_all(&kept).unwrap();
        fs::write(kept.join("manifest.json"), "old").unwrap();
        let folder = RunFolder::create(&dest, &RUN_FOLDER).unwrap();
        assert_eq!(
            fs::read_to_string(dest.join("manifest.json")).unwrap(),
            "old"
        );
        assert!(!staging.exists() && !kept.exists());
        drop(folder);
        assert_eq!(names(&parent), ["out"]);
        fs::remove_dir_all(&parent).unwrap();
    }

    /// A file whose bytes differ from what the manifest lists is refused, naming it.
    #[test]
    fn issue_16_a_file_changed_after_the_run_fails_verification() {
        let parent = temp_dir("verify");
        let dest = parent.join("out");
        let mut folder = RunFolder::create(&dest, &RUN_FOLDER).unwrap();
        folder.write("partial.bin", &[1, 2, 3, 4]).unwrap();
        folder.seal(|outputs| outputs).unwrap();
        let listed: Vec<OutputFile> =
            serde_json::from_slice(&fs::read(dest.join("manifest.json")).unwrap()).unwrap();
        read_listed(&dest, &listed, "partial.bin").unwrap();
        fs::write(dest.join("partial.bin"), [1, 2, 3, 5]).unwrap();
        let e = message(read_listed(&dest, &listed, "partial.bin").err().unwrap());
        assert!(
            e.contains("partial.bin` does not match its manifest"),
            "{e}"
        );
        fs::write(dest.join("partial.bin"), [1, 2, 3]).unwrap();
        let e = message(read_listed(&dest, &listed, "partial.bin").err().unwrap());
        assert!(e.contains("has 3 bytes; its manifest lists 4"), "{e}");
        let e = message(read_listed(&dest, &listed, "paths.csv").err().unwrap());
        assert!(e.contains("is not listed"), "{e}");
        fs::remove_dir_all(&parent).unwrap();
    }
}
