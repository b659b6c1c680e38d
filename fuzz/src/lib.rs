//! chokepoint's fuzz targets as functions of the input bytes, in two files that the stable replay
//! tests of the libraries include by path (`core_targets.rs` from chokepoint-core's
//! `tests/fuzz_corpus.rs`, `ario_targets.rs` from chokepoint-ario's), so that what the fuzzer ran
//! and what `cargo test` replays are the same code. Each binary of `fuzz_targets/` hands its
//! input to one of them.

pub mod ario_targets;
pub mod core_targets;
