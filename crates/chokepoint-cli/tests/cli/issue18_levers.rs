//! Issue 18, the four levers priced last (recycling, thrifting, tariff exemption, approval
//! uplift): a world-2024 run that uses them writes their `costs.csv` rows, and their scenario
//! keys are validated completely, with positions.

use super::{chokepoint, temp_dir};
use std::fs;

#[test]
fn issue_18_levers_price_recycling_thrifting_exemptions_and_uplift() {
    let dir = temp_dir("issue18-levers", &["levers.toml"]);
    let (code, out, err) = chokepoint(&dir, &["run", "levers.toml", "--out", "c"]);
    assert_eq!(code, 0, "{err}");
    let text = fs::read_to_string(dir.join("c/costs.csv")).unwrap();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let of = |lever: &str| rows.iter().filter(|r| r[0] == lever).collect::<Vec<_>>();
    let usd = |r: &Vec<&str>| r[6].parse::<f64>().unwrap();
    // Recycling into USA/oem: 1 t/day at full rate from Apr 1 (day 31, ramped over 30 days)
    // to the last day, 149: 119 days, of which the first 30 give (1 + ... + 30)/30 = 15.5 t
    // and the other 89 a tonne each; the capex of 365 t/yr at 50 USD per kg/yr.
    let recycled = of("recycling");
    assert_eq!(recycled.len(), 1, "{text}");
    assert_eq!(
        (recycled[0][1], recycled[0][3]),
        ("USA/oem", "ndfeb-magnet-hre")
    );
    let units: f64 = recycled[0][5].parse().unwrap();
    assert!((units - (15.5 + 89.0)).abs() < 1e-6, "{units}");
    assert!(usd(recycled[0]) >= 365.0 * 1000.0 * 50.0, "{text}");
    // Tariff revenue forgone on allied magnets and oxides shipped to the US.
    let exempt = of("tariff-exemption");
    assert!(
        !exempt.is_empty() && exempt.iter().all(|r| usd(r) > 0.0),
        "{text}"
    );
    assert!(
        exempt
            .iter()
            .all(|r| r[1].starts_with("USA") && r[2] != "CHN"),
        "{text}"
    );
    // The uplift: in force from Apr 1 to the end, 119 days, at 10 M USD a year and 2 M once.
    let uplift = of("approval-uplift");
    assert_eq!(uplift.len(), 1, "{text}");
    assert_eq!(
        (uplift[0][1], uplift[0][2], uplift[0][3]),
        ("USA", "CHN", "")
    );
    assert_eq!(uplift[0][5], "119");
    assert!(
        (usd(uplift[0]) - (10e6 * 119.0 / 365.0 + 2e6)).abs() < 1e-3,
        "{text}"
    );
    // Thrifting: the magnet price under the licence regime passes 60 USD/kg; each US cohort
    // that triggers pays the redesign once.
    let thrift = of("thrifting");
    assert!(!thrift.is_empty(), "{text}");
    for r in &thrift {
        let avoided: f64 = r[5].parse().unwrap();
        assert!(
            (usd(r) - (avoided * 20.0 * 1000.0 + 1e6)).abs() < 1e-3 * usd(r),
            "{r:?}"
        );
    }
    for lever in [
        "recycling",
        "thrifting",
        "tariff-exemption",
        "approval-uplift",
    ] {
        assert!(out.contains(&format!(" {lever} ")), "{lever}: {out}");
    }
}

#[test]
fn issue_18_lever_keys_are_validated_completely() {
    let dir = temp_dir("issue18-levers-invalid", &["levers.toml"]);
    let text = fs::read_to_string(dir.join("levers.toml")).unwrap();
    let bad = text
        .replacen("opex = {", "opx = {", 1)
        .replacen(
            "redesign = { value = 1000000, unit = \"USD\"",
            "redesign = { value = 1000000, unit = \"USD/kg\"",
            1,
        )
        .replacen("destination = \"USA\"", "destination = \"XXX\"", 1)
        .replacen("factor = 1.6", "factor = 1.6\napproval = 0.9", 1)
        .replacen("exporters = [\"@allies\"]", "exporter = [\"@allies\"]", 1)
        .replacen("ramp-days = 30", "ramp-days = -3", 1)
        .replacen("share = 0.2", "share = 1.5", 1);
    fs::write(dir.join("bad.toml"), bad).unwrap();
    let (code, _, err) = chokepoint(&dir, &["validate", "bad.toml"]);
    assert_eq!(code, 2, "{err}");
    for want in [
        "unknown key `opx`",
        "unit mismatch: `redesign` is in USD",
        "unknown region `XXX`",
        "give exactly one of `factor` and `approval`, not both",
        "unknown key `exporter`",
        "missing required key `exporters`",
        "`ramp-days` must be >= 0",
        "`share` must be in (0, 1], found 1.5",
        "(8 problems)",
    ] {
        assert!(err.contains(want), "{want}: {err}");
    }
    assert!(err.contains("bad.toml:"), "{err}");
}
