//! Issue 19: the terminal headline of `run` and of Monte Carlo runs (the worst shortfalls,
//! stockouts and price peaks, ranked, in one screen), with the full table behind `--table`.

use super::{chokepoint, snapshot, temp_dir};
use std::fs;

/// One screen: the headline and its `output:` line.
const SCREEN: usize = 20;

#[test]
fn issue_19_headline_of_a_single_run() {
    let dir = temp_dir("issue19-headline-single", &["tiny.toml"]);
    let (code, stdout, stderr) = chokepoint(&dir, &["run", "tiny.toml", "--out", "out"]);
    assert_eq!(code, 0, "stderr:\n{stderr}");
    assert!(stdout.lines().count() <= SCREEN, "{stdout}");
    snapshot("issue19_headline_single", &dir, &stdout);
}

#[test]
fn issue_19_headline_of_a_monte_carlo_run() {
    let dir = temp_dir("issue19-headline-mc", &["tiny-mc.toml"]);
    let args = ["run", "tiny-mc.toml", "--paths", "64", "--out", "out"];
    let (code, stdout, stderr) = chokepoint(&dir, &args);
    assert_eq!(code, 0, "stderr:\n{stderr}");
    assert!(stdout.lines().count() <= SCREEN, "{stdout}");
    snapshot("issue19_headline_mc", &dir, &stdout);
    // A shard prints no headline: its paths are a part of the result.
    let args = [
        "run",
        "tiny-mc.toml",
        "--paths",
        "64",
        "--shard",
        "0/2",
        "--out",
        "shard",
    ];
    let (code, stdout, _) = chokepoint(&dir, &args);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("tiny licensing, uncertain shard: 32 of 64 paths"));
}

/// The default scenario reports hundreds of (region, product) rows: the headline keeps to one
/// screen, puts the node that lost the largest share of its need first (as `summary.csv`
/// says) and names how many more ran short; `--table` prints every row instead, and the
/// folder is the same bytes either way (`--table` is not recorded in the manifest).
#[test]
fn issue_19_headline_ranks_the_default_scenario_in_one_screen() {
    let dir = temp_dir("issue19-headline-default", &[]);
    let (code, stdout, stderr) = chokepoint(&dir, &["run", "--out", "a"]);
    assert_eq!(code, 0, "stderr:\n{stderr}");
    assert!(stdout.lines().count() <= SCREEN, "{stdout}");

    let summary = fs::read_to_string(dir.join("a/summary.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(summary.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (region, product, pct) = (col("region"), col("product"), col("shortfall_pct"));
    let mut short: Vec<(f64, String)> = reader
        .records()
        .map(|r| r.unwrap())
        .filter_map(|r| {
            let p: f64 = r[pct].parse().ok()?;
            (p > 0.0).then(|| (p, format!("{} {}", &r[region], &r[product])))
        })
        .collect();
    short.sort_by(|a, b| b.0.total_cmp(&a.0));
    assert!(short.len() > 10, "{short:?}");
    let first_row = stdout
        .lines()
        .skip_while(|l| !l.starts_with("worst shortfalls"))
        .nth(2)
        .unwrap();
    assert!(
        first_row
            .trim_start()
            .starts_with(&format!("{} ", short[0].1)),
        "{first_row}\n{short:?}"
    );
    assert!(
        stdout.contains(&format!("... and {} more", short.len() - 6)),
        "{stdout}"
    );
    assert!(stdout.contains("price peaks (x baseline):"), "{stdout}");

    let (code, table, _) = chokepoint(&dir, &["run", "--table", "--out", "b"]);
    assert_eq!(code, 0);
    assert!(table.lines().count() > short.len(), "{table}");
    for f in ["summary.csv", "manifest.json", "licences.csv"] {
        let a = fs::read(dir.join("a").join(f)).unwrap();
        let b = fs::read(dir.join("b").join(f)).unwrap();
        if f == "manifest.json" {
            // Only the `--out` argument differs.
            let a = String::from_utf8(a).unwrap().replace("\"a\"", "\"b\"");
            assert_eq!(a, String::from_utf8(b).unwrap());
        } else {
            assert!(a == b, "{f} differs with --table");
        }
    }
}

#[test]
fn issue_19_headline_of_the_default_scenario_monte_carlo_fits_one_screen() {
    let dir = temp_dir("issue19-headline-default-mc", &[]);
    let (code, stdout, stderr) = chokepoint(&dir, &["run", "--paths", "8", "--out", "mc"]);
    assert_eq!(code, 0, "stderr:\n{stderr}");
    assert!(stdout.lines().count() <= SCREEN, "{stdout}");
    for section in [
        "end-use stoppage odds by 2026-02-28:",
        "worst shortfalls (share of baseline need not served, over paths):",
        "price peaks (median over paths, x baseline):",
    ] {
        assert!(stdout.contains(section), "{section}\n{stdout}");
    }
    // --quiet prints only the folder line and what it holds.
    let (_, quiet, _) = chokepoint(&dir, &["run", "--paths", "8", "-q", "--out", "mc"]);
    assert!(
        quiet.starts_with("April 2025 export licensing paths: 8 of 8"),
        "{quiet}"
    );
}
