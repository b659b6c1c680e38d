//! The built-in datasets and scenario library, embedded at build time so that `chokepoint run`
//! works on a fresh machine with no files. [`Builtins`] resolves `base = "builtin:NAME"` for the
//! parser; [`builtin_scenario`] parses a library scenario by name. Embedding is a compile-time
//! copy, not I/O: the core still reads nothing at run time.

use crate::scenario::Scenario;
use crate::scenario::{BaseResolver, Diagnostics, SourceText, parse_scenario};

/// An embedded dataset: its name and its files (path shown in messages, text) in reading order.
pub struct Dataset {
    pub name: &'static str,
    pub files: &'static [(&'static str, &'static str)],
}

/// Embedded datasets.
pub const DATASETS: &[Dataset] = &[
    Dataset {
        name: "world-2024",
        files: &[
            (
                "data/world-2024/00-sources.toml",
                include_str!("../../../data/world-2024/00-sources.toml"),
            ),
            (
                "data/world-2024/10-regions.toml",
                include_str!("../../../data/world-2024/10-regions.toml"),
            ),
            (
                "data/world-2024/20-products.toml",
                include_str!("../../../data/world-2024/20-products.toml"),
            ),
            (
                "data/world-2024/30-recipes.toml",
                include_str!("../../../data/world-2024/30-recipes.toml"),
            ),
            (
                "data/world-2024/40-facilities.toml",
                include_str!("../../../data/world-2024/40-facilities.toml"),
            ),
            (
                "data/world-2024/50-links.toml",
                include_str!("../../../data/world-2024/50-links.toml"),
            ),
            (
                "data/world-2024/60-demand.toml",
                include_str!("../../../data/world-2024/60-demand.toml"),
            ),
            (
                "data/world-2024/65-cohorts.toml",
                include_str!("../../../data/world-2024/65-cohorts.toml"),
            ),
            (
                "data/world-2024/70-inventory.toml",
                include_str!("../../../data/world-2024/70-inventory.toml"),
            ),
            (
                "data/world-2024/80-stockpiles-segments.toml",
                include_str!("../../../data/world-2024/80-stockpiles-segments.toml"),
            ),
        ],
    },
    Dataset {
        name: "world-2010",
        files: &[(
            "data/world-2010.toml",
            include_str!("../../../data/world-2010.toml"),
        )],
    },
    Dataset {
        name: "mini-2024",
        files: &[(
            "data/mini-2024.toml",
            include_str!("../../../data/mini-2024.toml"),
        )],
    },
];

/// Embedded scenarios: (name, file path shown in messages, text). The first is the default.
pub const SCENARIOS: &[(&str, &str, &str)] = &[
    (
        "april-2025",
        "scenarios/april-2025.toml",
        include_str!("../../../scenarios/april-2025.toml"),
    ),
    (
        "october-2025",
        "scenarios/october-2025.toml",
        include_str!("../../../scenarios/october-2025.toml"),
    ),
    (
        "japan-2010",
        "scenarios/japan-2010.toml",
        include_str!("../../../scenarios/japan-2010.toml"),
    ),
    (
        "full-embargo-usa",
        "scenarios/full-embargo-usa.toml",
        include_str!("../../../scenarios/full-embargo-usa.toml"),
    ),
    (
        "full-embargo-usa-reexport",
        "scenarios/full-embargo-usa-reexport.toml",
        include_str!("../../../scenarios/full-embargo-usa-reexport.toml"),
    ),
    (
        "allied-buildout",
        "scenarios/allied-buildout.toml",
        include_str!("../../../scenarios/allied-buildout.toml"),
    ),
    (
        "october-2025-unsuspended",
        "scenarios/october-2025-unsuspended.toml",
        include_str!("../../../scenarios/october-2025-unsuspended.toml"),
    ),
];

/// The published inputs of the EU's 2023 criticality assessment for the rare earths (file path
/// shown in messages, text), in the order of `criticality::eu::FILES`; read by
/// `criticality::eu::EuInputs::parse`.
pub const EU_CRM_2023: &[(&str, &str)] = &[
    (
        "data/criticality-eu-2023/sources.csv",
        include_str!("../../../data/criticality-eu-2023/sources.csv"),
    ),
    (
        "data/criticality-eu-2023/governance.csv",
        include_str!("../../../data/criticality-eu-2023/governance.csv"),
    ),
    (
        "data/criticality-eu-2023/supply-shares.csv",
        include_str!("../../../data/criticality-eu-2023/supply-shares.csv"),
    ),
    (
        "data/criticality-eu-2023/parameters.csv",
        include_str!("../../../data/criticality-eu-2023/parameters.csv"),
    ),
    (
        "data/criticality-eu-2023/groups.csv",
        include_str!("../../../data/criticality-eu-2023/groups.csv"),
    ),
];

/// The stated likelihoods of the library's scenarios for the exposure by simulation (path
/// shown in messages, text); read by `criticality::exposure::parse_weights`.
pub const SCENARIO_WEIGHTS: (&str, &str) = (
    "data/exposure/scenario-weights.csv",
    include_str!("../../../data/exposure/scenario-weights.csv"),
);

/// The name of the scenario `chokepoint run` uses without arguments.
pub const DEFAULT_SCENARIO: &str = "april-2025";

/// Resolves `builtin:NAME` to an embedded dataset.
#[derive(Debug, Clone, Copy, Default)]
pub struct Builtins;

impl BaseResolver for Builtins {
    fn resolve(&self, base: &str) -> Option<Vec<(String, String)>> {
        let d = dataset(base.strip_prefix("builtin:")?)?;
        Some(
            d.files
                .iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect(),
        )
    }
}

/// The embedded text of a library scenario: (file path shown in messages, text).
pub fn scenario_text(name: &str) -> Option<(&'static str, &'static str)> {
    SCENARIOS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, path, text)| (*path, *text))
}

/// An embedded dataset by name.
pub fn dataset(name: &str) -> Option<&'static Dataset> {
    DATASETS.iter().find(|d| d.name == name)
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
    fn builtin_scenarios_have_consistent_baselines() {
        for (name, _, _) in SCENARIOS {
            let Some(Ok(s)) = builtin_scenario(name) else {
                panic!("{name} parses")
            };
            let errors: Vec<String> = crate::check::check_world(&s.world)
                .into_iter()
                .filter(|f| f.severity == crate::check::Severity::Error)
                .map(|f| format!("{}: {}", f.what, f.message))
                .collect();
            assert!(errors.is_empty(), "{name}:\n{}", errors.join("\n"));
        }
    }

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
