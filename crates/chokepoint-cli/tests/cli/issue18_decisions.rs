//! Issue 18. The `[costs]` table prices a run's levers and its lost output (`costs.csv`), and
//! leaves every other output as it was; `chokepoint stockpile` sizes stockpiles under a risk
//! target and checks them out of sample.

use super::{chokepoint, temp_dir};
use std::fs;
use std::path::Path;

fn run(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = chokepoint(dir, args);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

/// The rows of `costs.csv` as (lever, region, partner, product, end use, units, usd).
fn costs(dir: &Path) -> Vec<(String, String, String, String, String, f64, f64)> {
    let text = fs::read_to_string(dir.join("costs.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("lever,region,partner,product,end_use,units,usd")
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let n = |s: &str| s.parse::<f64>().unwrap();
            (
                f[0].into(),
                f[1].into(),
                f[2].into(),
                f[3].into(),
                f[4].into(),
                n(f[5]),
                n(f[6]),
            )
        })
        .collect()
}

#[test]
fn issue_18_costs_price_every_lever_and_the_output_lost() {
    let dir = temp_dir("issue18-costs", &["costed.toml"]);
    let out = run(&dir, &["run", "costed.toml", "--out", "c"]);
    assert!(out.contains("costs (USD million, costs.csv):"), "{out}");
    assert!(
        out.contains("output lost (t, USD million): defence "),
        "{out}"
    );
    assert!(out.contains("; wind "), "{out}");
    let rows = costs(&dir.join("c"));
    let lever = |name: &str| rows.iter().filter(|r| r.0 == name).collect::<Vec<_>>();
    // Purchases: 0.01 t a day for 10 days, at the day's price (Dy oxide, world-2024's 2024
    // price while nothing is short yet: 230 USD/kg and above).
    let bought = lever("stockpile-purchase");
    assert_eq!(bought.len(), 1, "{rows:?}");
    assert_eq!(
        (bought[0].1.as_str(), bought[0].3.as_str()),
        ("USA", "dy-oxide")
    );
    assert!((bought[0].5 - 0.1).abs() < 1e-9, "{bought:?}");
    assert!(bought[0].6 >= 0.1 * 1000.0 * 200.0, "{bought:?}");
    // Holding at 5% a year of the value at the first day's price, for every day held.
    let held = lever("stockpile-holding");
    assert!(held.iter().all(|r| r.6 > 0.0 && r.5 > 0.0), "{held:?}");
    // The floor's top-up: paid every day, 110 USD/kg against a market at ~56.
    let floor = lever("offtake-floor");
    assert_eq!(floor.len(), 1, "{rows:?}");
    assert_eq!(floor[0].2, "USA");
    assert!(floor[0].6 > 0.0 && floor[0].6 <= 240.0 * 0.1 * 1000.0 * 110.0);
    // The build-out: 1,000 t/yr added, at 100 USD per kg/yr.
    let built = lever("build-out");
    assert_eq!(built.len(), 1, "{rows:?}");
    assert!((built[0].5 - 1000.0).abs() < 1e-6, "{built:?}");
    assert!(
        (built[0].6 - 1000.0 * 1000.0 * 100.0).abs() < 1e-3,
        "{built:?}"
    );
    // Output lost: per end use, units times the value per kg (and 0 USD for an end use
    // without a value).
    let lost = lever("output-lost");
    assert!(lost.iter().any(|r| r.4 == "wind" && r.5 > 0.0), "{lost:?}");
    for r in &lost {
        let value = match r.4.as_str() {
            "ev" => 25000.0,
            "wind" => 1700.0,
            _ => 0.0,
        };
        assert!(
            (r.6 - r.5 * value * 1000.0).abs() <= 1e-6 * r.6.abs().max(1.0),
            "{r:?}"
        );
    }
}

#[test]
fn issue_18_a_scenario_without_costs_writes_the_same_bytes() {
    // The same scenario without `[costs]`: no costs.csv, and every other output identical
    // (the manifest names another scenario file, so it is left out).
    let dir = temp_dir("issue18-same", &["costed.toml"]);
    let text = fs::read_to_string(dir.join("costed.toml")).unwrap();
    let start = text.find("\n[costs]\n").unwrap();
    let end = text.find("\n[[event]]\n").unwrap();
    let plain = format!("{}{}", &text[..start], &text[end..]);
    fs::write(dir.join("plain.toml"), plain).unwrap();
    run(&dir, &["run", "costed.toml", "-q", "--out", "c"]);
    run(&dir, &["run", "plain.toml", "-q", "--out", "p"]);
    assert!(dir.join("c/costs.csv").exists());
    assert!(!dir.join("p/costs.csv").exists());
    for f in [
        "timeseries.csv",
        "licences.csv",
        "summary.csv",
        "summary.json",
    ] {
        let (a, b) = (
            fs::read(dir.join("c").join(f)).unwrap(),
            fs::read(dir.join("p").join(f)).unwrap(),
        );
        assert!(a == b, "{f} differs");
    }
}

#[test]
fn issue_18_costs_are_validated_completely() {
    let dir = temp_dir("issue18-invalid", &["costed.toml"]);
    let text = fs::read_to_string(dir.join("costed.toml")).unwrap();
    let bad = text
        .replacen("holding-rate = {", "holding-rates = {", 1)
        .replacen("value-lost.wind", "value-lost.wnd", 1)
        .replacen(
            "capex = { value = 100,",
            "capex = { triangular = [50, 100, 150],",
            1,
        )
        .replacen(
            "region = \"USA\"\nproduct = \"ndfeb",
            "region = \"XXX\"\nproduct = \"ndfeb",
            1,
        );
    fs::write(dir.join("bad.toml"), bad).unwrap();
    let (code, _, err) = chokepoint(&dir, &["validate", "bad.toml"]);
    assert_eq!(code, 2, "{err}");
    for want in [
        "unknown key `holding-rates` in [costs]",
        "unknown end use `wnd`",
        "`capex` cannot be uncertain",
        "unknown region `XXX`",
        "(4 problems)",
    ] {
        assert!(err.contains(want), "{want}: {err}");
    }
    assert!(err.contains("bad.toml:"), "{err}");
}

#[test]
fn issue_18_stockpile_sizes_and_checks_out_of_sample() {
    // A short run of the ban fixture: the US HRE magnet buyers' stockpiles at 75%, checked on
    // fresh paths; the frontier's cost rises with the target.
    let dir = temp_dir("issue18-stockpile", &["costed.toml"]);
    let out = run(
        &dir,
        &[
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
            "2",
            "--target",
            "0.75",
            "--frontier",
            "0.5,0.75,1",
            "--threads",
            "2",
            "--out",
            "s",
        ],
    );
    assert!(
        out.contains("(per product), 4 paths, checked on 2 fresh paths"),
        "{out}"
    );
    assert!(out.contains("USA/suppliers  ndfeb-magnet-hre"), "{out}");
    let csv = fs::read_to_string(dir.join("s/stockpile.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0],
        "region,product,unit,level,volume_units,usd_per_unit,cost_usd,met_in_sample,met_out_of_sample"
    );
    assert!(rows[1].starts_with("USA,dy-oxide,t REO,"), "{csv}");
    assert!(rows.last().unwrap().starts_with("*,*,"), "{csv}");
    let frontier = fs::read_to_string(dir.join("s/frontier.csv")).unwrap();
    let costs: Vec<f64> = frontier
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    assert!(costs.windows(2).all(|w| w[0] <= w[1]), "{frontier}");
    assert!(dir.join("s/manifest.json").exists());
    // An impossible target is an input error.
    let (code, _, err) = chokepoint(
        &dir,
        &[
            "stockpile",
            "costed.toml",
            "--region",
            "USA",
            "--target",
            "1.5",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--target 1.5 is not a probability"), "{err}");
}
