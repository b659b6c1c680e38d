//! Issue 16, fuzzing (fuzz/README.md): what the inputs that crashed a fuzz target do at the
//! command line now. The targets' own replay tests live in the libraries
//! (`crates/chokepoint-*/tests/fuzz_corpus.rs`); these check the same inputs through `chokepoint`.

use super::{chokepoint, run_ok, temp_dir};
use std::fs;

/// Rewrites the `shard` of the manifest of shard folder `dir` (under `root`).
fn set_manifest_shard(root: &std::path::Path, dir: &str, index: u64, count: u64) {
    let path = root.join(dir).join("manifest.json");
    let text = fs::read_to_string(&path).unwrap();
    let mut m: serde_json::Value = serde_json::from_str(&text).unwrap();
    m["shard"] = serde_json::json!({ "index": index, "count": count });
    fs::write(&path, serde_json::to_string_pretty(&m).unwrap()).unwrap();
}

/// The `manifest` target: a shard manifest whose `shard` names a part that does not exist
/// (index not below count) deserialised, and `merge` indexed its list of shards with it and
/// panicked; a count of 0 or of 2⁶⁴ − 1 asked for a list of that size. Now the manifest is
/// refused as not a shard manifest, saying why, with exit 2.
#[test]
fn issue_16_fuzz_merge_refuses_a_manifest_shard_that_does_not_exist() {
    let dir = temp_dir("fuzz-merge-shard", &["tiny-mc.toml"]);
    for i in 0..2 {
        let shard = format!("{i}/2");
        let out = format!("s{i}");
        run_ok(
            &dir,
            &[
                "run",
                "tiny-mc.toml",
                "--paths",
                "4",
                "--shard",
                &shard,
                "-q",
                "--out",
                &out,
            ],
        );
    }
    for (index, count, says) in [
        (5, 2, "shard 5 does not exist in 2 shards"),
        (0, 0, "a run cannot be split into 0 shards"),
        (
            u64::MAX,
            u64::MAX,
            "does not exist in 18446744073709551615 shards",
        ),
    ] {
        set_manifest_shard(&dir, "s1", index, count);
        let (code, out, err) = chokepoint(&dir, &["merge", "s0", "s1", "--out", "m"]);
        assert_eq!(code, 2, "{index}/{count}\n{out}\n{err}");
        assert!(err.contains("is not a shard manifest"), "{err}");
        assert!(err.contains(says), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// Found with the `manifest` target: a manifest may say a shard is part 0 of 2⁶⁴ − 1 (a shard
/// that exists), and `merge` sized a list by that count (a capacity overflow panic). Merging
/// it alone now says which shards are missing, listing the first ones.
#[test]
fn issue_16_fuzz_merge_of_a_shard_of_2_64_parts_lists_what_is_missing() {
    let dir = temp_dir("fuzz-merge-shard-count", &["tiny-mc.toml"]);
    run_ok(
        &dir,
        &[
            "run",
            "tiny-mc.toml",
            "--paths",
            "4",
            "--shard",
            "0/2",
            "-q",
            "--out",
            "s0",
        ],
    );
    set_manifest_shard(&dir, "s0", 0, u64::MAX);
    let (code, out, err) = chokepoint(&dir, &["merge", "s0", "--out", "m"]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        err.contains("shards 1, 2, 3,")
            && err.contains(
                ", 32, ... (18446744073709551614 in all) of 18446744073709551615 are missing"
            ),
        "{err}"
    );
}
