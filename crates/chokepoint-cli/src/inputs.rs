//! Where scenario and dataset text comes from: files on disk or the ones embedded in the binary,
//! and the SHA-256 of every input actually used (for the manifest).

use crate::Failure;
use anyhow::anyhow;
use chokepoint_core::costs::Costs;
use chokepoint_core::library::{Builtins, SCENARIOS};
use chokepoint_core::scenario::{
    BaseError, BaseResolver, Diagnostic, Diagnostics, Scenario, Severity, SourceText, Validated,
    utf8_text, validate_scenario,
};
use chokepoint_core::shard::InputDigest;
use chokepoint_core::uncertain::Uncertainty;
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::path::{Path, PathBuf};

fn names(list: &[(&str, &str, &str)]) -> String {
    list.iter()
        .map(|(n, _, _)| format!("builtin:{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A scenario's text and where it came from.
#[derive(Debug)]
pub struct Loaded {
    /// What the user asked for: `builtin:NAME` or the path as given.
    pub spec: String,
    /// File name used in diagnostics.
    pub display: String,
    /// File stem, for the default output folder.
    pub stem: String,
    pub text: String,
    /// Folder that relative `base = "path"` entries are resolved against (files only).
    pub dir: Option<PathBuf>,
}

/// Reads `spec`: `builtin:NAME` or a path to a scenario file.
pub fn load(spec: &str) -> Result<Loaded, Failure> {
    if let Some(name) = spec.strip_prefix("builtin:") {
        let Some((n, display, text)) = SCENARIOS.iter().find(|(n, _, _)| *n == name) else {
            return Err(Failure::input(
                anyhow!("unknown built-in scenario `{spec}`"),
                Some(format!("built-in scenarios: {}", names(SCENARIOS))),
            ));
        };
        return Ok(Loaded {
            spec: spec.into(),
            display: (*display).into(),
            stem: (*n).into(),
            text: (*text).into(),
            dir: None,
        });
    }
    let path = Path::new(spec);
    let bytes = std::fs::read(path).map_err(|e| {
        Failure::input(
            anyhow!(e).context(format!("cannot read scenario file `{spec}`")),
            Some(format!(
                "give a path to a scenario .toml file, or one of: {}",
                names(SCENARIOS)
            )),
        )
    })?;
    // A binary file is the usual cause; say where its text stops, as a diagnostic of the file.
    let text = utf8_text(&bytes)
        .map_err(|at| Failure::Invalid {
            file: spec.into(),
            diags: Diagnostics(vec![Diagnostic {
                severity: Severity::Error,
                file: spec.into(),
                line: at.line,
                column: at.column,
                message: format!(
                    "the file is not UTF-8 text: byte 0x{:02x} at offset {} is not part of a \
                     UTF-8 character",
                    at.byte, at.offset
                ),
                hint: Some(
                    "a scenario is a TOML text file in UTF-8; is this the right file?".into(),
                ),
            }]),
            kind: "scenario",
        })?
        .to_string();
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".into());
    Ok(Loaded {
        spec: spec.into(),
        display: spec.into(),
        stem,
        text,
        dir: Some(path.parent().map(Path::to_path_buf).unwrap_or_default()),
    })
}

/// A scenario with what `stockpile` and `compare` need beside it.
pub struct Decision {
    pub scenario: Scenario,
    pub uncertainty: Uncertainty,
    /// The `[costs]` table, or no unit costs at all.
    pub costs: Costs,
}

/// What parsing a scenario gave: the result (on failure, its errors and warnings), the
/// warnings of a scenario that validated, and every input read (the scenario first, then its
/// base).
pub struct Parsed<T> {
    pub result: Result<T, Diagnostics>,
    pub warnings: Diagnostics,
    pub used: Vec<InputDigest>,
}

impl Loaded {
    /// Parses the scenario. `data`, when given, replaces the scenario's base dataset (a file or
    /// a dataset folder).
    pub fn parse(&self, data: Option<&Path>) -> Parsed<Scenario> {
        self.parse_by(data, |v| v.scenario)
    }

    /// Like [`Loaded::parse`], keeping the scenario's uncertain parameters.
    pub fn parse_uncertain(&self, data: Option<&Path>) -> Parsed<(Scenario, Uncertainty)> {
        self.parse_by(data, |v| (v.scenario, v.uncertainty))
    }

    /// Like [`Loaded::parse`], keeping the scenario's `[costs]` table (issue 18).
    pub fn parse_costed(&self, data: Option<&Path>) -> Parsed<(Scenario, Option<Costs>)> {
        self.parse_by(data, |v| (v.scenario, v.costs))
    }

    /// Everything a decision command reads: the scenario, its uncertainty and its costs.
    pub fn parse_decision(&self, data: Option<&Path>) -> Parsed<Decision> {
        self.parse_by(data, |v| Decision {
            scenario: v.scenario,
            uncertainty: v.uncertainty,
            costs: v.costs.unwrap_or_default(),
        })
    }

    fn parse_by<T>(&self, data: Option<&Path>, keep: impl FnOnce(Validated) -> T) -> Parsed<T> {
        let resolver = Resolver {
            dir: self.dir.clone(),
            data: data.map(Path::to_path_buf),
            used: RefCell::new(vec![]),
        };
        let src = SourceText {
            name: &self.display,
            text: &self.text,
        };
        let mut warnings = Diagnostics::default();
        let result = validate_scenario(src, &resolver).map(|v| {
            warnings = v.warnings.clone();
            keep(v)
        });
        let mut used = vec![InputDigest {
            role: "scenario".into(),
            name: self.spec.clone(),
            sha256: sha256_hex(self.text.as_bytes()),
        }];
        used.extend(resolver.used.into_inner());
        Parsed {
            result,
            warnings,
            used,
        }
    }
}

/// Resolves `base = "builtin:NAME"` to an embedded dataset and, for scenario files on disk,
/// `base = "relative/path.toml"` to a file next to the scenario; remembers what it resolved.
struct Resolver {
    dir: Option<PathBuf>,
    /// `--data`: a dataset that replaces whatever the scenario names as its base.
    data: Option<PathBuf>,
    used: RefCell<Vec<InputDigest>>,
}

impl BaseResolver for Resolver {
    fn resolve(&self, base: &str) -> Option<Vec<(String, String)>> {
        self.load(base).ok()
    }

    fn load(&self, base: &str) -> Result<Vec<(String, String)>, BaseError> {
        let unknown = || BaseError::Unknown(base.to_string());
        let files = if let Some(data) = &self.data {
            load_dataset(data)?
        } else if base.starts_with("builtin:") {
            Builtins.resolve(base).ok_or_else(unknown)?
        } else {
            // A built-in scenario has no folder to read a relative path from.
            load_dataset(&self.dir.as_ref().ok_or_else(unknown)?.join(base))?
        };
        let mut used = self.used.borrow_mut();
        for (display, text) in &files {
            used.push(InputDigest {
                role: "base".into(),
                name: if files.len() == 1 {
                    base.into()
                } else {
                    format!("{base}:{display}")
                },
                sha256: sha256_hex(text.as_bytes()),
            });
        }
        Ok(files)
    }
}

/// The files of a dataset: `path` itself, or the `*.toml` files of the folder `path` in name
/// order (none when it has none).
fn dataset_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut names: Vec<PathBuf> = std::fs::read_dir(path)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    names.sort();
    Ok(names)
}

/// Reads a dataset: one TOML file, or a folder whose `*.toml` files are read in name order. A
/// file that is not UTF-8 is an `InvalidData` error saying which file and where.
pub fn read_dataset(path: &Path) -> std::io::Result<Vec<(String, String)>> {
    let names = dataset_files(path)?;
    if names.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "the folder has no .toml files",
        ));
    }
    names
        .into_iter()
        .map(|p| {
            let shown = p.to_string_lossy().into_owned();
            let bytes = std::fs::read(&p)?;
            let text = utf8_text(&bytes).map_err(|at| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, format!("`{shown}` {at}"))
            })?;
            Ok((shown, text.to_string()))
        })
        .collect()
}

/// [`read_dataset`] for a scenario's base, saying what is wrong with the path: it does not
/// exist, is a folder without .toml files, has a file that is not UTF-8 (and where), or cannot
/// be read.
fn load_dataset(path: &Path) -> Result<Vec<(String, String)>, BaseError> {
    let shown = |p: &Path| p.to_string_lossy().into_owned();
    let unreadable = |p: &Path, e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::NotFound {
            BaseError::NotFound { path: shown(p) }
        } else {
            BaseError::Unreadable {
                path: shown(p),
                reason: e.to_string(),
            }
        }
    };
    let names = dataset_files(path).map_err(|e| unreadable(path, e))?;
    if names.is_empty() {
        return Err(BaseError::EmptyFolder { path: shown(path) });
    }
    names
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).map_err(|e| unreadable(&p, e))?;
            let text = utf8_text(&bytes).map_err(|at| BaseError::NotUtf8 {
                path: shown(&p),
                at,
            })?;
            Ok((shown(&p), text.to_string()))
        })
        .collect()
}
