//! Issue 20, bands by choice through the binary: `--bands all` writes the Monte Carlo outputs of
//! before the choice existed byte for byte (every file but the manifest, which records the flag,
//! hashes to `tests/golden/bands-all.sha256`, recorded from the golden digests of the commit
//! before bands by choice and re-recorded with CHOKEPOINT_BLESS=1 only where an intended change
//! moves both), the default writes the headline set, bad terms end in exit 2 with every
//! problem, and shards of different choices do not merge.

use super::{chokepoint, crate_dir, folder_digests, run_text, temp_dir};
use std::collections::BTreeMap;
use std::fs;

/// The digests of every banded run's files under `--bands all`, by label.
const ALL_DIGESTS: &str = "tests/golden/bands-all.sha256";

fn golden() -> BTreeMap<String, String> {
    let text = fs::read_to_string(crate_dir().join(ALL_DIGESTS)).unwrap();
    text.lines()
        .filter_map(|l| l.split_once("  "))
        .map(|(d, label)| (label.to_string(), d.to_string()))
        .collect()
}

/// The Monte Carlo runs of `golden_outputs_are_byte_identical`, with `--bands all`: every
/// output but `manifest.json` has its golden digest.
#[test]
fn issue_20_bands_all_keeps_todays_monte_carlo_outputs() {
    let dir = temp_dir("issue20-all", &["tiny-mc.toml"]);
    let mut folders: Vec<(String, String)> = Vec::new();
    let all = ["--bands", "all"];
    let mut args = vec![
        "run", "--paths", "200", "--seed", "1", "-q", "--out", "mc200",
    ];
    args.extend(all);
    run_text(&dir, &args);
    folders.push(("mc200".into(), "run --paths 200".into()));
    let mut args = vec![
        "run",
        "tiny-mc.toml",
        "--paths",
        "64",
        "-q",
        "--out",
        "mc-tiny",
    ];
    args.extend(all);
    run_text(&dir, &args);
    folders.push(("mc-tiny".into(), "run tiny-mc --paths 64".into()));
    for (spec, paths, tag) in [
        ("builtin:april-2025", "40", "april"),
        ("tiny-mc.toml", "30", "tiny"),
    ] {
        let mut shards = Vec::new();
        for i in 0..3 {
            let out = format!("shard-{tag}-{i}");
            let which = format!("{i}/3");
            let mut args = vec![
                "run", spec, "--paths", paths, "--seed", "9", "--shard", &which, "-q", "--out",
                &out,
            ];
            args.extend(all);
            run_text(&dir, &args);
            folders.push((out.clone(), format!("shard {tag} {i}/3")));
            shards.push(out);
        }
        let merged = format!("merged-{tag}");
        let mut args = vec!["merge"];
        args.extend(shards.iter().rev().map(String::as_str));
        args.extend(["--out", &merged]);
        run_text(&dir, &args);
        folders.push((merged, format!("merge {tag}")));
    }
    let mut digests = String::new();
    for (folder, label) in &folders {
        let manifest = fs::read_to_string(dir.join(folder).join("manifest.json")).unwrap();
        assert!(manifest.contains("\"bands\": \"all\""), "{manifest}");
        for line in folder_digests(&dir.join(folder), label).lines() {
            if !line.ends_with("/manifest.json") {
                digests.push_str(line);
                digests.push('\n');
            }
        }
    }
    if std::env::var_os("CHOKEPOINT_BLESS").is_some() {
        fs::write(crate_dir().join(ALL_DIGESTS), &digests).unwrap();
        return;
    }
    let golden = golden();
    let mut compared = 0;
    for line in digests.lines() {
        let (digest, name) = line.split_once("  ").unwrap();
        assert_eq!(Some(digest), golden.get(name).map(String::as_str), "{name}");
        compared += 1;
    }
    assert_eq!(compared, golden.len(), "files compared");
    assert!(compared >= 30, "{compared} files compared");
}

/// The default is the headline set: fewer rows, only its variables; the manifest says so.
#[test]
fn issue_20_default_bands_are_the_headline_set() {
    let dir = temp_dir("issue20-headline", &["end-use-mc.toml"]);
    let run = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "run",
            "end-use-mc.toml",
            "--paths",
            "12",
            "-q",
            "--out",
            out,
        ];
        args.extend(extra);
        run_text(&dir, &args);
        fs::read_to_string(dir.join(out).join("bands.csv")).unwrap()
    };
    let headline = run("h", &[]);
    let all = run("a", &["--bands", "all"]);
    let variables = |csv: &str| -> std::collections::BTreeSet<String> {
        csv.lines()
            .skip(1)
            .map(|l| l.split(',').nth(4).unwrap().to_string())
            .collect()
    };
    assert_eq!(
        variables(&headline).into_iter().collect::<Vec<_>>(),
        ["days_of_cover", "licences_pending", "price", "unmet_demand"]
    );
    assert!(headline.lines().count() < all.lines().count());
    // Rows both hold are the same rows.
    let rows: std::collections::BTreeSet<&str> = all.lines().collect();
    for l in headline.lines().filter(|l| !l.contains("licences_pending")) {
        assert!(rows.contains(l), "{l}");
    }
    let manifest = fs::read_to_string(dir.join("h/manifest.json")).unwrap();
    assert!(manifest.contains("\"bands\": \"headline\""), "{manifest}");
    // Stockouts and per-path rows do not depend on the choice.
    for f in [
        "stockout.csv",
        "paths.csv",
        "stoppages.csv",
        "distributions.csv",
    ] {
        assert_eq!(
            fs::read(dir.join("h").join(f)).unwrap(),
            fs::read(dir.join("a").join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn issue_20_bad_band_terms_exit_2_with_every_problem() {
    let dir = temp_dir("issue20-bad", &["tiny-mc.toml"]);
    let (code, _, err) = chokepoint(
        &dir,
        &[
            "run",
            "tiny-mc.toml",
            "--paths",
            "4",
            "--bands",
            "prices,unmet_demand:XX,price:*:@magnets",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`prices` is not a variable that has bands"),
        "{err}"
    );
    assert!(err.contains("no region is `XX`"), "{err}");
    assert!(err.contains("`magnets` is not a stage"), "{err}");
    assert!(err.contains("hint:"), "{err}");
    assert!(!dir.join("runs").exists());
}

#[test]
fn issue_20_shards_of_different_band_choices_do_not_merge() {
    let dir = temp_dir("issue20-merge", &["tiny-mc.toml"]);
    for (i, bands) in [(0, "headline"), (1, "price")] {
        let which = format!("{i}/2");
        let out = format!("s{i}");
        run_text(
            &dir,
            &[
                "run",
                "tiny-mc.toml",
                "--paths",
                "6",
                "--shard",
                &which,
                "--bands",
                bands,
                "-q",
                "--out",
                &out,
            ],
        );
    }
    let (code, _, err) = chokepoint(&dir, &["merge", "s0", "s1", "--out", "m"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("their band choices differ"), "{err}");
}
