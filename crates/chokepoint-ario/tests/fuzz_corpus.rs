//! Replays the committed fuzz corpus of chokepoint-ario's targets (`fuzz/corpus/TARGET`) and every
//! input that once crashed one of them (`fuzz/artifacts-fixed/TARGET`) through the targets
//! themselves: `fuzz/src/ario_targets.rs` is included by path, so the default `cargo test` on the
//! stable toolchain runs the code libFuzzer ran, without cargo-fuzz or nightly. The tests named
//! `issue_16_fuzz_*` pin what each crash found by fuzzing now does instead (see fuzz/README.md).

#[path = "../../../fuzz/src/ario_targets.rs"]
mod ario_targets;

mod fuzz_replay {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::path::{Path, PathBuf};

    /// The inputs of `target`: its corpus (which must not be empty: a replay of nothing would
    /// pass whatever the code does) and its fixed crashes, in name order.
    pub fn inputs(target: &str) -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
        let list = |dir: &str| -> Vec<PathBuf> {
            let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir).join(target))
                .map(|d| d.map(|e| e.expect("a corpus entry").path()).collect())
                .unwrap_or_default();
            files.sort();
            files
        };
        let corpus = list("corpus");
        assert!(
            !corpus.is_empty(),
            "fuzz/corpus/{target} is empty or missing"
        );
        corpus.into_iter().chain(list("artifacts-fixed")).collect()
    }

    /// Runs every input of `target` and names all those that panic.
    pub fn replay(target: &str, run: fn(&[u8])) {
        let files = inputs(target);
        let failed: Vec<String> = files
            .iter()
            .filter(|f| {
                let bytes = std::fs::read(f).expect("a readable corpus file");
                catch_unwind(AssertUnwindSafe(|| run(&bytes))).is_err()
            })
            .map(|f| f.display().to_string())
            .collect();
        assert!(
            failed.is_empty(),
            "{} of {} inputs of `{target}` panic:\n{}",
            failed.len(),
            files.len(),
            failed.join("\n")
        );
    }
}

use fuzz_replay::replay;

#[test]
fn fuzz_corpus_mrio() {
    replay("mrio", ario_targets::mrio);
}

#[test]
fn fuzz_corpus_ario_events() {
    replay("ario_events", ario_targets::ario_events);
}

#[test]
fn fuzz_corpus_mineral() {
    replay("mineral", ario_targets::mineral);
}
