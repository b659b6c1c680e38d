//! Helpers shared by the core's integration tests (each test file is its own crate and
//! includes this module with `mod support;`).

use chokepoint_core::scenario::{NoBases, Scenario, SourceText, parse_scenario_uncertain};
use chokepoint_core::uncertain::Uncertainty;

/// A scenario text with its uncertainty; panics on a validation error (a test fixture must be
/// valid).
pub fn parse(text: &str) -> (Scenario, Uncertainty) {
    parse_scenario_uncertain(
        SourceText {
            name: "t.toml",
            text,
        },
        &NoBases,
    )
    .expect("valid")
}
