//! Run folders under hostile conditions (issue 16): a rerun of another kind leaves no stale
//! file, `--out` never replaces a folder of other files, runs on another dataset get their own
//! default folder, `merge` refuses a shard file changed after it was written, and
//! `ario --from-run` refuses a folder that is not a complete run.

use super::{chokepoint, crate_dir, mrio_for_the_mapping, temp_dir};
use std::fs;
use std::path::Path;

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn issue_16_a_run_of_another_kind_leaves_no_stale_file() {
    let dir = temp_dir("issue16-kinds", &["tiny-mc.toml"]);
    let (code, _, err) = chokepoint(&dir, &["run", "tiny-mc.toml", "--quiet", "--out", "out"]);
    assert_eq!(code, 0, "{err}");
    assert!(dir.join("out/timeseries.csv").exists());
    let (code, _, err) = chokepoint(
        &dir,
        &[
            "run",
            "tiny-mc.toml",
            "--paths",
            "20",
            "--quiet",
            "--out",
            "out",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let files = names(&dir.join("out"));
    assert!(files.contains(&"bands.csv".to_string()), "{files:?}");
    assert!(
        !files.contains(&"timeseries.csv".to_string()),
        "a single run's file beside a Monte Carlo manifest: {files:?}"
    );
    assert_eq!(
        names(&dir),
        ["out", "tiny-mc.toml"],
        "nothing left beside it"
    );
}

#[test]
fn issue_16_out_never_replaces_a_folder_of_other_files() {
    let dir = temp_dir("issue16-foreign", &["tiny.toml"]);
    fs::create_dir_all(dir.join("notes")).unwrap();
    fs::write(dir.join("notes/thesis.tex"), "precious").unwrap();
    let (code, out, err) = chokepoint(&dir, &["run", "tiny.toml", "--out", "notes"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(out, "");
    assert_eq!(
        err,
        "error: output folder `notes` holds files that are not a complete chokepoint result (e.g. `thesis.tex`), which a run would replace\n  hint: give a new folder with --out, or remove this one if it is no longer needed\n"
    );
    assert_eq!(names(&dir.join("notes")), ["thesis.tex"]);
    assert_eq!(names(&dir), ["notes", "tiny.toml"]);
}

#[test]
fn issue_16_a_run_on_another_dataset_gets_its_own_default_folder() {
    let dir = temp_dir("issue16-data", &["china-ban.toml"]);
    let data = crate_dir().join("../../data/world-2024");
    let data = data.to_str().unwrap();
    let (code, builtin, err) = chokepoint(&dir, &["run", "china-ban.toml", "--quiet"]);
    assert_eq!(code, 0, "{err}");
    let (code, other, err) =
        chokepoint(&dir, &["run", "china-ban.toml", "--data", data, "--quiet"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(builtin, "output: runs/china-ban-seed1\n");
    assert!(
        other.starts_with("output: runs/china-ban-on-world-2024-") && other.ends_with("-seed1\n"),
        "{other}"
    );
    assert_eq!(names(&dir.join("runs")).len(), 2);
}

/// Two shards of one run, and the command that merges them.
fn shards(dir: &Path) {
    for i in 0..2 {
        let shard = format!("{i}/2");
        let out = format!("s{i}");
        let (code, _, err) = chokepoint(
            dir,
            &[
                "run",
                "tiny-mc.toml",
                "--paths",
                "30",
                "--shard",
                &shard,
                "--quiet",
                "--out",
                &out,
            ],
        );
        assert_eq!(code, 0, "{err}");
    }
}

#[test]
fn issue_16_merge_refuses_a_shard_with_one_bit_flipped() {
    let dir = temp_dir("issue16-flip", &["tiny-mc.toml"]);
    shards(&dir);
    let bin = dir.join("s1/partial.bin");
    let mut bytes = fs::read(&bin).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x10;
    fs::write(&bin, bytes).unwrap();
    let (code, out, err) = chokepoint(&dir, &["merge", "s0", "s1", "--out", "m"]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(
        err.starts_with("error: `s1/partial.bin` does not match its manifest (SHA-256 "),
        "{err}"
    );
    assert!(
        err.ends_with(
            "  hint: the folder was changed or damaged after the run wrote it; rerun it\n"
        ),
        "{err}"
    );
    assert!(!dir.join("m").exists());
}

#[test]
fn issue_16_merge_refuses_a_shard_with_one_digit_changed_in_paths_csv() {
    let dir = temp_dir("issue16-digit", &["tiny-mc.toml"]);
    shards(&dir);
    let csv = dir.join("s0/paths.csv");
    let text = fs::read_to_string(&csv).unwrap();
    let (i, c) = text
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_ascii_digit() && *c != '9')
        .unwrap();
    let changed = format!(
        "{}{}{}",
        &text[..i],
        char::from(c as u8 + 1),
        &text[i + 1..]
    );
    fs::write(&csv, changed).unwrap();
    let (code, _, err) = chokepoint(&dir, &["merge", "s0", "s1", "--out", "m"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with("error: `s0/paths.csv` does not match its manifest"),
        "{err}"
    );
}

#[test]
fn issue_16_merge_refuses_a_shard_index_outside_its_run() {
    let dir = temp_dir("issue16-index", &["tiny-mc.toml"]);
    shards(&dir);
    let path = dir.join("s1/manifest.json");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, text.replace("\"index\": 1", "\"index\": 7")).unwrap();
    let (code, _, err) = chokepoint(&dir, &["merge", "s0", "s1", "--out", "m"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with(
            "error: `s1/manifest.json` is not a shard manifest: shard 7 does not exist in 2 shards"
        ),
        "{err}"
    );
}

#[test]
fn issue_16_ario_from_run_refuses_a_folder_that_is_not_a_complete_run() {
    let dir = temp_dir("issue16-from-run", &["china-ban.toml"]);
    let map = mrio_for_the_mapping(&dir);
    let (code, _, err) = chokepoint(&dir, &["run", "china-ban.toml", "--quiet", "--out", "run"]);
    assert_eq!(code, 0, "{err}");
    let ario = |dir: &Path| {
        chokepoint(
            dir,
            &[
                "ario",
                "--mriot",
                "mrio",
                "--from-run",
                "run",
                "--mapping",
                map.to_str().unwrap(),
                "--steps",
                "30",
            ],
        )
    };
    let (code, _, err) = ario(&dir);
    assert_eq!(code, 0, "the complete run links: {err}");
    // Truncated to about a quarter of its days.
    let ts = dir.join("run/timeseries.csv");
    let bytes = fs::read(&ts).unwrap();
    let cut = bytes[..bytes.len() / 4]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap();
    fs::write(&ts, &bytes[..=cut]).unwrap();
    let (code, _, err) = ario(&dir);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with("error: `run/timeseries.csv` has ") && err.contains("its manifest lists"),
        "{err}"
    );
    fs::remove_file(dir.join("run/manifest.json")).unwrap();
    let (code, _, err) = ario(&dir);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err,
        "error: `run` is not a complete run: it has no manifest.json\n  hint: the run was interrupted or the folder copied in part; rerun it\n"
    );
}
