//! The run-folder writer: every folder of results the program writes goes through it. A
//! [`RunFolder`] is a folder being written under a [`Layout`] (the name of its manifest, what an
//! earlier run left that must go first, the name a file has while it is written, how a JSON file
//! ends). Each file goes through an [`AtomicFile`]: its bytes go to the temporary name and into
//! a SHA-256 as they are written, and [`RunFolder::finish`] renames it into place and lists it
//! as an [`OutputFile`] (name, bytes, digest). [`RunFolder::seal`] writes the manifest, built
//! from that list, last: a folder holding its manifest is complete (docs/outputs.md).
//! [`num_in`] / [`num`] and [`date_string`] are how every CSV the program writes spells numbers
//! and dates, in a run folder or on stdout.

use crate::inputs::hex;
use anyhow::{Context as _, Result};
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
    /// Removed before anything is written, the manifest among them, so that an interrupted
    /// rerun leaves a folder that does not look complete.
    pub clears: &'static [&'static str],
    /// The name a file has while it is written. It stays in the folder, so that the rename
    /// into place is atomic.
    pub temp_name: fn(&str) -> String,
    /// Whether a JSON file ends with a newline after its pretty-printed value.
    pub json_newline: bool,
}

/// chokepoint's run folders (docs/outputs.md): `manifest.json`, hidden `.NAME.tmp` files while
/// writing, JSON ending in a newline.
pub const RUN_FOLDER: Layout = Layout {
    manifest: "manifest.json",
    clears: &["manifest.json"],
    temp_name: hidden_temp,
    json_newline: true,
};

fn hidden_temp(name: &str) -> String {
    format!(".{name}.tmp")
}

/// A completed file as a manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputFile {
    pub name: String,
    pub bytes: u64,
    /// SHA-256 of the file's bytes, lower-case hex.
    pub sha256: String,
}

/// A folder being written. Files reach their final names one by one, each complete; the
/// manifest comes last, through [`RunFolder::seal`].
pub struct RunFolder {
    dir: PathBuf,
    layout: &'static Layout,
    outputs: Vec<OutputFile>,
}

impl RunFolder {
    /// Creates `dir` if needed and removes what [`Layout::clears`] names.
    pub fn create(dir: &Path, layout: &'static Layout) -> Result<RunFolder> {
        fs::create_dir_all(dir)
            .with_context(|| format!("cannot create output folder `{}`", dir.display()))?;
        for name in layout.clears {
            let path = dir.join(name);
            match fs::remove_file(&path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    return Err(e).with_context(|| format!("cannot remove `{}`", path.display()));
                }
                _ => {}
            }
        }
        Ok(RunFolder {
            dir: dir.to_path_buf(),
            layout,
            outputs: Vec::new(),
        })
    }

    /// Starts the file `name`; it is listed once handed to [`RunFolder::finish`].
    pub fn file(&self, name: &str) -> Result<AtomicFile> {
        AtomicFile::create(&self.dir, name, (self.layout.temp_name)(name))
    }

    /// Starts the CSV file `name` with its header row.
    pub fn csv<I>(&self, name: &str, header: I) -> Result<csv::Writer<AtomicFile>>
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        let mut w = csv::Writer::from_writer(self.file(name)?);
        w.write_record(header)
            .with_context(|| format!("cannot write {name}"))?;
        Ok(w)
    }

    /// Renames a complete file into place and lists it.
    pub fn finish(&mut self, file: AtomicFile) -> Result<()> {
        self.outputs.push(file.finish()?);
        Ok(())
    }

    /// [`RunFolder::finish`] for a CSV file, after writing what the CSV writer still holds.
    pub fn finish_csv(&mut self, w: csv::Writer<AtomicFile>) -> Result<()> {
        let file = w.into_inner().map_err(|e| e.into_error())?;
        self.finish(file)
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

    /// Writes the manifest, built from the list of files written (sorted by name), and so
    /// completes the folder.
    pub fn seal<M: Serialize>(mut self, manifest: impl FnOnce(Vec<OutputFile>) -> M) -> Result<()> {
        self.outputs.sort_by(|a, b| a.name.cmp(&b.name));
        let manifest = manifest(std::mem::take(&mut self.outputs));
        self.json(self.layout.manifest, &manifest)?.finish()?;
        Ok(())
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

/// `v` as every CSV the program writes a number: the shortest decimal that reads back to the
/// same `f64` (Rust's `{}`, never exponent notation), empty for NaN and infinities. Written into
/// `buf` (cleared first), so that a file of millions of numbers reuses one allocation.
pub fn num_in(buf: &mut String, v: f64) -> &str {
    buf.clear();
    if v.is_finite() {
        write!(buf, "{v}").expect("writing to a String");
    }
    buf
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
        assert_eq!(num(-0.0), "-0");
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(num_in(&mut buf, v), "");
        }
    }

    fn temp_dir(test: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "chokepoint-run-folder-{test}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    /// Files appear under their names only when finished, each listed with its size and
    /// digest; the manifest, written last, lists them by name.
    #[test]
    fn files_appear_when_finished_and_the_manifest_comes_last() {
        let dir = temp_dir("order");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("manifest.json"), "stale").unwrap();
        let mut folder = RunFolder::create(&dir, &RUN_FOLDER).unwrap();
        assert!(
            !dir.join("manifest.json").exists(),
            "the stale manifest goes first"
        );
        let mut w = folder.csv("b.csv", ["x", "y"]).unwrap();
        w.write_record(["1", "2"]).unwrap();
        folder.write("a.bin", b"abc").unwrap();
        assert!(!dir.join("b.csv").exists());
        assert!(dir.join(".b.csv.tmp").exists());
        folder.finish_csv(w).unwrap();
        assert_eq!(fs::read_to_string(dir.join("b.csv")).unwrap(), "x,y\n1,2\n");
        folder.seal(|outputs| outputs).unwrap();
        let listed: Vec<OutputFile> =
            serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(listed[0].name, "a.bin");
        assert_eq!(listed[0].bytes, 3);
        assert_eq!(
            listed[0].sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(listed[1].name, "b.csv");
        assert_eq!(listed[1].bytes, 8);
        let mut names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["a.bin", "b.csv", "manifest.json"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Another kind of folder brings its own manifest name, temporary names and JSON ending;
    /// a file dropped unfinished leaves nothing behind.
    #[test]
    fn a_layout_decides_names_and_json_ending() {
        const BARE: Layout = Layout {
            manifest: "info.json",
            clears: &["info.json", "data.csv"],
            temp_name: |name| format!("{name}.partial"),
            json_newline: false,
        };
        let dir = temp_dir("layout");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("data.csv"), "old").unwrap();
        let mut folder = RunFolder::create(&dir, &BARE).unwrap();
        assert!(!dir.join("data.csv").exists());
        let dropped = folder.file("data.csv").unwrap();
        assert!(dir.join("data.csv.partial").exists());
        drop(dropped);
        assert!(!dir.join("data.csv.partial").exists());
        folder.write_json("x.json", &[1]).unwrap();
        folder.seal(|_| serde_json::json!({ "ok": true })).unwrap();
        assert_eq!(fs::read_to_string(dir.join("x.json")).unwrap(), "[\n  1\n]");
        assert_eq!(
            fs::read_to_string(dir.join("info.json")).unwrap(),
            "{\n  \"ok\": true\n}"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
