//! Issue 17. Warm start: `spin-up-days = N` starts the run N days before `start` and reports
//! from `start`. The spin-up is the same simulation, so a run with a spin-up reports exactly
//! the rows that the same scenario run from the spin-up's first day reports from `start` on:
//! its licences (those filed during the spin-up among them, pending at `start`), its daily
//! series and, in Monte Carlo, its bands. Backtests against history: the first end-use
//! stoppages of 2025 by region, and China's exports to Japan in 2010-11.

use super::{chokepoint, crate_dir, temp_dir};
use std::fs;
use std::path::Path;

/// `fixture` with its `start` and `days` replaced by a 20-day spin-up before 2025-01-21.
fn warm(dir: &Path, fixture: &str) -> String {
    let text = fs::read_to_string(crate_dir().join("tests/fixtures").join(fixture)).unwrap();
    let warm = text.replacen(
        "start = 2025-01-01\ndays = 60\n",
        "start = 2025-01-21\ndays = 40\nspin-up-days = 20\n",
        1,
    );
    assert_ne!(warm, text, "{fixture} starts on 2025-01-01 for 60 days");
    let name = format!("warm-{fixture}");
    fs::write(dir.join(&name), warm).unwrap();
    name
}

/// The data rows of a CSV file dated on or after 2025-01-21 (dates lead each row).
fn from_start(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| l[..10] >= *"2025-01-21")
        .map(String::from)
        .collect()
}

fn run(dir: &Path, args: &[&str]) {
    let (code, _, err) = chokepoint(dir, args);
    assert_eq!(code, 0, "{args:?}: {err}");
}

#[test]
fn issue_17_a_spin_up_reports_the_same_run_from_its_start() {
    let dir = temp_dir("issue17-warm", &["tiny.toml", "tiny-mc.toml"]);
    let warm_tiny = warm(&dir, "tiny.toml");
    let (code, out, err) = chokepoint(&dir, &["validate", &warm_tiny]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "ok: tiny licensing: 3 regions, 2 products, 1 events, 40 days from 2025-01-21 (after a 20-day spin-up from 2025-01-01)\n"
    );
    run(&dir, &["run", "tiny.toml", "-q", "--out", "cold"]);
    run(&dir, &["run", &warm_tiny, "-q", "--out", "warm"]);
    let warm_rows: Vec<String> = fs::read_to_string(dir.join("warm/timeseries.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(String::from)
        .collect();
    assert_eq!(warm_rows, from_start(&dir.join("cold/timeseries.csv")));
    assert!(warm_rows[0].starts_with("2025-01-21,"), "{}", warm_rows[0]);
    // Licences filed during the spin-up keep their dates; the pipeline at `start` is warm.
    let licences = fs::read_to_string(dir.join("warm/licences.csv")).unwrap();
    assert_eq!(
        licences,
        fs::read_to_string(dir.join("cold/licences.csv")).unwrap()
    );
    assert!(
        licences
            .lines()
            .skip(1)
            .any(|l| l.split(',').nth(6) < Some("2025-01-21")),
        "licences filed in the spin-up:\n{licences}"
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("warm/summary.json")).unwrap()).unwrap();
    assert_eq!(
        (summary["days"].as_u64(), summary["start"].as_str()),
        (Some(40), Some("2025-01-21"))
    );

    // Monte Carlo: the bands of the reported days are those of the cold run.
    let warm_mc = warm(&dir, "tiny-mc.toml");
    run(
        &dir,
        &[
            "run",
            "tiny-mc.toml",
            "--paths",
            "24",
            "-q",
            "--out",
            "cold-mc",
        ],
    );
    run(
        &dir,
        &["run", &warm_mc, "--paths", "24", "-q", "--out", "warm-mc"],
    );
    let warm_bands = from_start(&dir.join("warm-mc/bands.csv"));
    assert_eq!(
        warm_bands.len() + 1,
        fs::read_to_string(dir.join("warm-mc/bands.csv"))
            .unwrap()
            .lines()
            .count()
    );
    assert_eq!(warm_bands, from_start(&dir.join("cold-mc/bands.csv")));
}

/// `backtest --target stoppages` lines the run's first end-use shortfall of each region up
/// with the first documented stoppage; its summary counts what its rows show.
#[test]
fn issue_17_backtest_of_the_first_stoppages_by_region() {
    let dir = temp_dir("issue17-stoppages", &[]);
    let (code, out, err) = chokepoint(&dir, &["backtest", "--target", "stoppages"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0]
            .starts_with("April 2025 export licensing: seed 1; first end-use shortfall by region"),
        "{out}"
    );
    assert!(lines[1].starts_with("region  documented"), "{out}");
    let regions: Vec<&str> = lines[2..7].iter().map(|l| &l[..3]).collect();
    assert_eq!(regions, ["USA", "JPN", "EUU", "IND", "KOR"]);
    let misses = lines[2..7].iter().filter(|l| l.contains(" miss ")).count();
    let hits = lines[2..7].iter().filter(|l| l.contains(" +0 d ")).count();
    assert!(
        lines[7].starts_with(&format!("hits {hits} of 4 documented; misses {misses};")),
        "{out}"
    );
}

/// `backtest --target japan-2010` runs builtin:japan-2010 by default and scores China's
/// monthly exports to Japan against Japan's customs figures; the default target is unchanged.
#[test]
fn issue_17_backtest_of_the_2010_flows_to_japan() {
    let dir = temp_dir("issue17-japan", &[]);
    let (code, out, err) = chokepoint(&dir, &["backtest", "--target", "japan-2010"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Japan 2010: quota cut and de facto embargo: seed 1; China's rare-earth oxide exports (t REO)"), "{out}");
    for month in ["2010-09", "2010-10", "2010-11", "2010-12", "2011-01"] {
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("{month}  JPN")) && l.contains(" JP0")),
            "{month}:\n{out}"
        );
    }
    let last = out.lines().last().unwrap();
    assert!(
        last.starts_with("to JPN: MAPE ") && last.contains(" over 5 months;"),
        "{out}"
    );
    assert!(
        !out.contains("to all:"),
        "no error for the unobserved total:\n{out}"
    );
}
