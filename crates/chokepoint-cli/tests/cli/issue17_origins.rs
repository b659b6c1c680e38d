//! Issue 17, origin tracing in run folders: a traced scenario writes `shipments_origin_<X>`
//! series and the leakage table `origins.csv`; `full-embargo-usa` (no clause) shows Chinese-origin
//! content reaching the US through Japan, the EU and Vietnam, `full-embargo-usa-reexport` (with
//! the clause) ships none from the ban on; a scenario that traces nothing writes neither; a
//! wrong clause is an input error at its position.

use super::{chokepoint, temp_dir};
use std::fs;
use std::path::Path;

/// (date, region, partner, product, variable, value) of every `timeseries.csv` row of
/// `variable`.
fn rows(folder: &Path, variable: &str) -> Vec<(String, String, String, String, f64)> {
    fs::read_to_string(folder.join("timeseries.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[4] == variable).then(|| {
                let v = f[5].parse().unwrap();
                (f[0].into(), f[1].into(), f[2].into(), f[3].into(), v)
            })
        })
        .collect()
}

/// The region of a code: a buyer cohort (`USA/oem`) is its region's (the US buyers are its
/// cohorts).
fn home(code: &str) -> &str {
    code.split('/').next().unwrap_or(code)
}

/// Chinese-origin magnet content shipped to the US by third countries from 2025-04-04 (the ban).
fn third_country_chinese_magnets_to_usa(folder: &Path) -> f64 {
    rows(folder, "shipments_origin_CHN")
        .iter()
        .filter(|(d, from, to, p, _)| {
            d.as_str() >= "2025-04-04"
                && home(to) == "USA"
                && home(from) != "USA"
                && home(from) != "CHN"
                && p.contains("magnet")
        })
        .map(|r| r.4)
        .sum()
}

#[test]
fn issue_17_embargo_reports_leakage_and_the_clause_stops_it() {
    let dir = temp_dir("issue17-origins", &[]);
    for s in ["full-embargo-usa", "full-embargo-usa-reexport"] {
        let spec = format!("builtin:{s}");
        let (code, _, err) = chokepoint(&dir, &["run", &spec, "--out", s]);
        assert_eq!(code, 0, "{s}: {err}");
    }
    let leaky = dir.join("full-embargo-usa");
    let leak = third_country_chinese_magnets_to_usa(&leaky);
    assert!(
        leak > 1000.0,
        "Chinese-origin magnets to the US via third countries: {leak}"
    );
    let table = fs::read_to_string(leaky.join("origins.csv")).unwrap();
    assert!(table.starts_with(
        "origin,exporter,importer,product,shipped_units,origin_units,origin_share,\
         importer_origin_units,route_share_of_importer_origin\n"
    ));
    for exporter in ["JPN", "EUU", "VNM"] {
        // The US buyers of magnets are its cohorts: a route per cohort (`USA/oem`, ...).
        let prefix = format!("CHN,{exporter},USA/oem,ndfeb-magnet-hre,");
        let row = table.lines().find(|l| l.starts_with(&prefix));
        let share: f64 = row
            .unwrap_or_else(|| panic!("no {prefix} row in\n{table}"))
            .rsplit(',')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(share > 0.05 && share < 1.0, "{exporter}: {share}");
    }
    let strict = dir.join("full-embargo-usa-reexport");
    assert_eq!(third_country_chinese_magnets_to_usa(&strict), 0.0);
    // Nor directly: no Chinese-origin content of any product reaches the US from the ban on.
    let any: f64 = rows(&strict, "shipments_origin_CHN")
        .iter()
        .filter(|(d, from, to, _, _)| {
            d.as_str() >= "2025-04-04" && home(to) == "USA" && home(from) != "USA"
        })
        .map(|r| r.4)
        .sum();
    assert_eq!(any, 0.0);
    let (code, _, err) = chokepoint(&dir, &["run", "builtin:april-2025", "--out", "plain"]);
    assert_eq!(code, 0, "{err}");
    assert!(!dir.join("plain/origins.csv").exists());
    assert!(rows(&dir.join("plain"), "shipments_origin_CHN").is_empty());
}

#[test]
fn issue_17_bad_reexport_clause_is_an_input_error() {
    let dir = temp_dir("issue17-origins-bad", &["tiny.toml"]);
    let text = fs::read_to_string(dir.join("tiny.toml")).unwrap();
    fs::write(
        dir.join("bad.toml"),
        format!(
            "{text}\n[[event]]\ndate = 2025-01-10\nkind = \"export-ban\"\nexporter = \"CHN\"\nde-minimis = 0.001\n"
        ),
    )
    .unwrap();
    let (code, _, err) = chokepoint(&dir, &["validate", "bad.toml"]);
    assert_eq!(code, 2, "{err}");
    let line = text.lines().count() + 6;
    assert!(
        err.contains(&format!(
            "bad.toml:{line}:14: `de-minimis` needs a re-export clause"
        )),
        "{err}"
    );
    assert!(err.contains("hint: add `re-export = true`"), "{err}");
}

/// A region's trade with its own buyer cohorts is domestic: No. 61's content rule (a re-export
/// clause on every destination) must not make Japan's magnet makers apply to China for a
/// licence to supply `JPN/oem`. Before the fix the clause's links were foreign when the two
/// region codes differed, so cohort-domestic links filed re-export applications.
#[test]
fn issue_17_reexport_clause_leaves_trade_with_a_regions_own_cohorts_alone() {
    let dir = temp_dir("issue17-origins-cohorts", &[]);
    let s = "october-2025-unsuspended";
    let (code, _, err) = chokepoint(&dir, &["run", &format!("builtin:{s}"), "--out", s]);
    assert_eq!(code, 0, "{err}");
    let licences = fs::read_to_string(dir.join(s).join("licences.csv")).unwrap();
    let mut header = licences.lines().next().unwrap().split(',');
    let col = |name: &str, h: &mut std::str::Split<'_, char>| h.position(|c| c == name).unwrap();
    let exporter = col("exporter", &mut header.clone());
    let importer = col("importer", &mut header);
    let domestic: Vec<&str> = licences
        .lines()
        .skip(1)
        .filter(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            home(cells[exporter]) == home(cells[importer])
        })
        .collect();
    assert!(
        domestic.is_empty(),
        "{} domestic applications, e.g. {:?}",
        domestic.len(),
        domestic.first()
    );
    assert!(
        licences.lines().count() > 1,
        "the scenario files applications"
    );
}
