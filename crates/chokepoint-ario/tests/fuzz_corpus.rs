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

/// Found while writing the `mineral` target: `EndUseLosses::from_reader` sized every loss
/// series by the span of the file's dates, so a `timeseries.csv` of two rows 10,000 years apart
/// made 3.65 million days per mapped product (a 30 kB file of 150 products asked for 13 GB). A
/// run writes rows for every day: a date that skips days is now refused, saying where.
#[test]
fn issue_16_fuzz_timeseries_that_skips_days_is_refused() {
    use chokepoint_ario::mineral::{EndUseLosses, SectorMapping};
    use std::path::Path;
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/artifacts-fixed/mineral/dates-10000-years-apart-size-every-series");
    let bytes = std::fs::read(path).unwrap();
    let nul = bytes.iter().position(|&b| b == 0).unwrap();
    let map = std::str::from_utf8(&bytes[..nul]).unwrap();
    let mapping = SectorMapping::parse(Path::new("mapping.toml"), map).unwrap();
    let read = |ts: &[u8]| EndUseLosses::from_reader(Path::new("timeseries.csv"), ts, &mapping);
    let err = read(&bytes[nul + 1..])
        .map(|l| l.days)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 3: date 9999-12-31 skips days after 0001-01-01"),
        "{err}"
    );
    let days = "date,region,partner,product,variable,value,unit
2025-01-01,USA,,p0,consumption,1,t
2025-01-01,USA,,p1,unmet_demand,1,t
2025-01-02,USA,,p0,consumption,1,t
2025-01-02,USA,,p1,consumption,1,t
";
    let losses = read(days.as_bytes()).map_err(|e| e.to_string()).unwrap();
    assert_eq!(losses.days, 2);
    assert_eq!(losses.loss[&("USA".into(), "p1".into())], vec![1.0, 0.0]);
}
