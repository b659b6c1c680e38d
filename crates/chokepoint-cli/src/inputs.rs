//! Where scenario and dataset text comes from: files on disk or the ones embedded in the binary,
//! and the SHA-256 of every input actually used (for the manifest).

use crate::Failure;
use anyhow::anyhow;
use chokepoint_core::library::{Builtins, SCENARIOS};
use chokepoint_core::scenario::Scenario;
use chokepoint_core::scenario::{
    BaseResolver, Diagnostics, SourceText, parse_scenario, parse_scenario_uncertain,
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
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::input(
            anyhow!(e).context(format!("cannot read scenario file `{spec}`")),
            Some(format!(
                "give a path to a scenario .toml file, or one of: {}",
                names(SCENARIOS)
            )),
        )
    })?;
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

impl Loaded {
    /// Parses the scenario; also returns every input read (the scenario first, then its base).
    /// `data`, when given, replaces the scenario's base dataset (a file or a dataset folder).
    pub fn parse(&self, data: Option<&Path>) -> (Result<Scenario, Diagnostics>, Vec<InputDigest>) {
        self.parse_by(data, parse_scenario)
    }

    /// Like [`Loaded::parse`], keeping the scenario's uncertain parameters.
    pub fn parse_uncertain(
        &self,
        data: Option<&Path>,
    ) -> (
        Result<(Scenario, Uncertainty), Diagnostics>,
        Vec<InputDigest>,
    ) {
        self.parse_by(data, parse_scenario_uncertain)
    }

    fn parse_by<T>(
        &self,
        data: Option<&Path>,
        parser: impl FnOnce(SourceText<'_>, &dyn BaseResolver) -> Result<T, Diagnostics>,
    ) -> (Result<T, Diagnostics>, Vec<InputDigest>) {
        let resolver = Resolver {
            dir: self.dir.clone(),
            data: data.map(Path::to_path_buf),
            used: RefCell::new(vec![]),
        };
        let src = SourceText {
            name: &self.display,
            text: &self.text,
        };
        let parsed = parser(src, &resolver);
        let mut used = vec![InputDigest {
            role: "scenario".into(),
            name: self.spec.clone(),
            sha256: sha256_hex(self.text.as_bytes()),
        }];
        used.extend(resolver.used.into_inner());
        (parsed, used)
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
        let files = if let Some(data) = &self.data {
            read_dataset(data).ok()?
        } else if base.starts_with("builtin:") {
            Builtins.resolve(base)?
        } else {
            read_dataset(&self.dir.as_ref()?.join(base)).ok()?
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
        Some(files)
    }
}

/// Reads a dataset: one TOML file, or a folder whose `*.toml` files are read in name order.
pub fn read_dataset(path: &Path) -> std::io::Result<Vec<(String, String)>> {
    if path.is_dir() {
        let mut names: Vec<PathBuf> = std::fs::read_dir(path)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        names.sort();
        if names.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "the folder has no .toml files",
            ));
        }
        names
            .into_iter()
            .map(|p| {
                Ok((
                    p.to_string_lossy().into_owned(),
                    std::fs::read_to_string(&p)?,
                ))
            })
            .collect()
    } else {
        Ok(vec![(
            path.to_string_lossy().into_owned(),
            std::fs::read_to_string(path)?,
        )])
    }
}
