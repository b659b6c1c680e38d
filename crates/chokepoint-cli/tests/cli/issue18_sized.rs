//! Issue 18: `chokepoint stockpile` writes the stockpiles it sized as scenario sections
//! (`stockpile.toml`), buyer cohorts included, so that a scenario can hold them from the first
//! day and release them by the rule the out-of-sample check used.

use super::{chokepoint, temp_dir};
use std::fs;

#[test]
fn issue_18_sized_stockpiles_are_written_as_scenario_sections_a_scenario_can_hold() {
    let dir = temp_dir("issue18-sized", &["costed.toml"]);
    let args = [
        "stockpile",
        "costed.toml",
        "--region",
        "USA",
        "--product",
        "dy-oxide",
        "--product",
        "ndfeb-magnet-hre",
        "--paths",
        "4",
        "--check-paths",
        "0",
        "--target",
        "0.75",
        "--frontier",
        "0.75",
        "--trigger-days",
        "3",
        "--threads",
        "1",
        "--out",
        "s",
    ];
    let (code, out, err) = chokepoint(&dir, &args);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("USA/suppliers  ndfeb-magnet-hre"), "{out}");
    let fragment = fs::read_to_string(dir.join("s/stockpile.toml")).unwrap();
    let csv = fs::read_to_string(dir.join("s/stockpile.csv")).unwrap();
    // One [[stockpile]] and one release event per candidate the sizing gave a volume, with the
    // volume of stockpile.csv.
    let sized: Vec<(String, String, String)> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[0] != "*" && f[4].parse::<f64>().unwrap() > 0.0)
        .map(|f| (f[0].to_string(), f[1].to_string(), f[4].to_string()))
        .collect();
    assert!(!sized.is_empty(), "{csv}");
    assert!(sized.iter().any(|(r, _, _)| r.contains('/')), "{csv}");
    assert_eq!(
        fragment.matches("[[stockpile]]").count(),
        sized.len(),
        "{fragment}"
    );
    assert_eq!(
        fragment.matches("kind = \"stockpile-release\"").count(),
        sized.len()
    );
    for (region, product, volume) in &sized {
        let want = format!(
            "region = \"{region}\"\nproduct = \"{product}\"\nquantity = {{ value = {volume},"
        );
        assert!(fragment.contains(&want), "missing `{want}` in:\n{fragment}");
    }
    assert!(
        fragment.contains("trigger-days-of-cover = 3\n"),
        "{fragment}"
    );
    // Appended to the scenario it validates, and a run holds the cohort's stockpile from day 0.
    let scenario = fs::read_to_string(dir.join("costed.toml")).unwrap();
    fs::write(dir.join("held.toml"), format!("{scenario}\n{fragment}")).unwrap();
    let (code, _, err) = chokepoint(&dir, &["validate", "held.toml"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = chokepoint(&dir, &["run", "held.toml", "--out", "r", "--quiet"]);
    assert_eq!(code, 0, "{err}");
    let series = fs::read_to_string(dir.join("r/timeseries.csv")).unwrap();
    let (region, product, _) = sized.iter().find(|(r, _, _)| r.contains('/')).unwrap();
    let held = series
        .lines()
        .find(|l| l.contains(&format!(",{region},,{product},stockpile,")))
        .unwrap_or_else(|| panic!("no stockpile series of {region} {product}"));
    let first: f64 = held.split(',').nth(5).unwrap().parse().unwrap();
    assert!(first > 0.0, "{held}");
}
