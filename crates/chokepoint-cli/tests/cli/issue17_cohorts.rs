//! Issue 17, buyer cohorts: a run of a scenario with two cohorts writes a summary row per
//! cohort and a row for their region that sums them; the thin cohort runs short first while
//! the region as a whole stays far from it; the time series names cohorts by their codes.

use super::{chokepoint, temp_dir};
use std::fs;

/// The summary.csv rows of `region` for `product`, as (header, value) maps.
fn summary_row(csv: &str, region: &str, product: &str) -> Vec<(String, String)> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let line = lines
        .find(|l| l.starts_with(&format!("{region},{product},")))
        .unwrap_or_else(|| panic!("no row {region},{product} in\n{csv}"));
    header
        .iter()
        .zip(line.split(','))
        .map(|(h, v)| (h.to_string(), v.to_string()))
        .collect()
}

fn field(row: &[(String, String)], name: &str) -> String {
    row.iter().find(|(h, _)| h == name).unwrap().1.clone()
}

fn number(row: &[(String, String)], name: &str) -> f64 {
    field(row, name).parse().unwrap()
}

#[test]
fn issue_17_a_thin_cohort_runs_short_before_its_region() {
    let dir = temp_dir("issue17-cohorts", &["cohorts.toml"]);
    let (code, out, err) = chokepoint(&dir, &["validate", "cohorts.toml"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("5 regions"), "{out}");
    let (code, _, err) = chokepoint(&dir, &["run", "cohorts.toml", "-q", "--out", "run"]);
    assert_eq!(code, 0, "{err}");
    let summary = fs::read_to_string(dir.join("run/summary.csv")).unwrap();
    let small = summary_row(&summary, "USA/small", "motor");
    let oem = summary_row(&summary, "USA/oem", "motor");
    let usa = summary_row(&summary, "USA", "motor");
    assert!(!field(&small, "first_stockout").is_empty(), "{small:?}");
    assert!(field(&oem, "first_stockout").is_empty(), "{oem:?}");
    assert_eq!(
        field(&usa, "first_stockout"),
        field(&small, "first_stockout")
    );
    let need = |r: &[(String, String)]| number(r, "need_units");
    assert!((need(&usa) - need(&small) - need(&oem)).abs() < 1e-6 * need(&usa));
    assert!(number(&usa, "shortfall_pct") < 0.5 * number(&small, "shortfall_pct"));
    // The rows come by region (the cohorts after the dataset's regions), then product.
    let regions: Vec<&str> = summary
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(
        regions,
        [
            "CHN",
            "JPN",
            "USA",
            "USA",
            "USA/oem",
            "USA/oem",
            "USA/small",
            "USA/small"
        ]
    );
    let timeseries = fs::read_to_string(dir.join("run/timeseries.csv")).unwrap();
    assert!(timeseries.contains(",USA/small,,motor,unmet_demand,"));
    assert!(timeseries.contains(",USA/oem,CHN,magnet,arrivals,"));
    // The region itself holds nothing of the motors any more: no series of its own.
    assert!(!timeseries.contains(",USA,,motor,"));
}

#[test]
fn issue_17_cohort_mistakes_exit_2_with_their_place() {
    let dir = temp_dir("issue17-cohorts-bad", &["cohorts.toml"]);
    let text = fs::read_to_string(dir.join("cohorts.toml")).unwrap();
    let bad = text.replace("value = 0.3,", "value = 0.4,");
    fs::write(dir.join("bad.toml"), bad).unwrap();
    let (code, _, err) = chokepoint(&dir, &["validate", "bad.toml"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("bad.toml:123:")
            && err.contains("shares of the cohorts of (USA, motor) sum to 1.1, above 1"),
        "{err}"
    );
}
