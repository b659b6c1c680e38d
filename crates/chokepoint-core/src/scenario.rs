//! Scenario parsing and validation (work in progress).
