//! The replay of a fuzz target's committed corpus and fixed crashes on the stable toolchain,
//! shared by the `fuzz_corpus` tests of chokepoint-core and chokepoint-ario (included by path).

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
