//! The built-in datasets and scenario library, embedded at build time so that `chokepoint run`
//! works on a fresh machine with no files. [`Builtins`] resolves `base = "builtin:NAME"` for the
//! parser; [`builtin_scenario`] parses a library scenario by name. Embedding is a compile-time
//! copy, not I/O: the core still reads nothing at run time.

use crate::model::Scenario;
use crate::scenario::{BaseResolver, Diagnostics, SourceText, parse_scenario};

/// Embedded datasets: (name, file path shown in messages, text).
pub const DATASETS: &[(&str, &str, &str)] = &[(
    "mini-2024",
    "data/mini-2024.toml",
    include_str!("../../../data/mini-2024.toml"),
)];

/// Embedded scenarios: (name, file path shown in messages, text). The first is the default.
pub const SCENARIOS: &[(&str, &str, &str)] = &[(
    "april-2025",
    "scenarios/april-2025.toml",
    include_str!("../../../scenarios/april-2025.toml"),
)];

/// The name of the scenario `chokepoint run` uses without arguments.
pub const DEFAULT_SCENARIO: &str = "april-2025";

/// Resolves `builtin:NAME` to an embedded dataset.
#[derive(Debug, Clone, Copy, Default)]
pub struct Builtins;

impl BaseResolver for Builtins {
    fn resolve(&self, base: &str) -> Option<(String, String)> {
        let name = base.strip_prefix("builtin:")?;
        DATASETS
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, path, text)| (path.to_string(), text.to_string()))
    }
}

/// The embedded text of a library scenario: (file path shown in messages, text).
pub fn scenario_text(name: &str) -> Option<(&'static str, &'static str)> {
    SCENARIOS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, path, text)| (*path, *text))
}

/// The embedded text of a dataset: (file path shown in messages, text).
pub fn dataset_text(name: &str) -> Option<(&'static str, &'static str)> {
    DATASETS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, path, text)| (*path, *text))
}

/// Parses a library scenario. `None` when no scenario has that name.
pub fn builtin_scenario(name: &str) -> Option<Result<Scenario, Diagnostics>> {
    let (path, text) = scenario_text(name)?;
    Some(parse_scenario(SourceText { name: path, text }, &Builtins))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_scenario_parses() {
        for (name, _, _) in SCENARIOS {
            match builtin_scenario(name) {
                Some(Ok(s)) => assert!(!s.world.regions.is_empty(), "{name}"),
                Some(Err(d)) => panic!("{name}:\n{d}"),
                None => unreachable!(),
            }
        }
    }
}
