//! Issue 21, `chokepoint risk`: the criticality tables with their inputs and sources, the
//! filters checked all at once, the CSV folder with its manifest, and the exposure by
//! simulation, the same bytes for any thread count.

use super::{chokepoint, temp_dir};
use std::fs;

fn ok(dir: &std::path::Path, args: &[&str]) -> String {
    let (code, out, err) = chokepoint(dir, args);
    assert_eq!(code, 0, "{args:?}\n{out}\n{err}");
    out
}

/// The EU's row for Dy: imports all it uses, sourced from China at separation, so both
/// concentration terms are China's scaled WGI (5.5) and SR = 5.5 · 0.99 · 0.95 = 5.17275; the
/// EU 2023 table shows the recomputed value beside the published one and the sources are listed.
#[test]
fn issue_21_risk_prints_every_index_with_its_inputs_and_sources() {
    let dir = temp_dir("issue21-risk-print", &[]);
    let out = ok(&dir, &["risk", "--region", "EUU", "--element", "Dy"]);
    for title in [
        "Concentration of production (world-2024 baseline)",
        "Supply risk by the EU formula, per region",
        "EU 2023 supply risk recomputed from the published inputs",
        "Sources",
    ] {
        assert!(out.contains(title), "{title}\n{out}");
    }
    let euu = out
        .lines()
        .find(|l| l.starts_with("EUU") && l.contains("separation"))
        .expect("the EU's separation row");
    let cells: Vec<&str> = euu.split_whitespace().collect();
    assert_eq!(&cells[..5], ["EUU", "Dy", "separation", "*", "1"], "{euu}");
    assert!(euu.contains("5.500") && euu.contains("5.173"), "{euu}");
    assert!(euu.contains("chokepoint-assumption (assumption)"), "{euu}");
    let eu = out
        .lines()
        .find(|l| l.starts_with("Dy") && l.contains("processing"))
        .expect("Dy processing in the EU 2023 table");
    assert!(
        eu.contains("5.173") && eu.contains("HREE") && eu.contains("5.100"),
        "{eu}"
    );
    assert!(
        out.contains("https://data.europa.eu/doi/10.2873/725585"),
        "{out}"
    );
    // Without --region, one line per (region, element): its highest stage.
    let all = ok(&dir, &["risk", "--element", "Dy"]);
    let rows: Vec<&str> = all
        .lines()
        .skip_while(|l| !l.starts_with("Supply risk"))
        .skip(2)
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(
        rows.len() > 10 && rows.iter().all(|l| l.contains(" * ")),
        "{rows:#?}"
    );
}

#[test]
fn issue_21_risk_reports_every_unknown_filter_at_once() {
    let dir = temp_dir("issue21-risk-filters", &[]);
    let (code, out, err) = chokepoint(
        &dir,
        &[
            "risk",
            "--region",
            "XXX",
            "--element",
            "Qq",
            "--stage",
            "smelting",
        ],
    );
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        err.contains("error: unknown region `XXX`; unknown element `Qq`; unknown stage `smelting`"),
        "{err}"
    );
    assert!(
        err.contains("hint: regions: CHN, USA") && err.contains("stages: mining, separation"),
        "{err}"
    );
    assert!(!err.trim_end().ends_with('.'), "{err}");
}

/// `--out` writes one CSV per table (every digit) and a manifest listing them with the inputs'
/// digests; the same command writes the same bytes.
#[test]
fn issue_21_risk_writes_its_tables_as_csv() {
    let dir = temp_dir("issue21-risk-csv", &[]);
    let args = ["risk", "--element", "Nd", "--out", "risk", "-q"];
    assert_eq!(ok(&dir, &args), "output: risk\n");
    let files = [
        "concentration.csv",
        "eu_2023.csv",
        "sources.csv",
        "supply_risk.csv",
    ];
    let first: Vec<Vec<u8>> = files
        .iter()
        .map(|f| fs::read(dir.join("risk").join(f)).unwrap())
        .collect();
    let manifest = fs::read_to_string(dir.join("risk/manifest.json")).unwrap();
    for f in files {
        assert!(
            manifest.contains(&format!("\"name\": \"{f}\"")),
            "{manifest}"
        );
    }
    assert!(
        manifest.contains("data/criticality-eu-2023/supply-shares.csv"),
        "{manifest}"
    );
    let eu = String::from_utf8(first[1].clone()).unwrap();
    let header = eu.lines().next().unwrap();
    assert!(
        header.contains("sr_computed,group,sr_published,ei_published"),
        "{header}"
    );
    let nd = eu
        .lines()
        .find(|l| l.starts_with("Nd,processing,*,"))
        .expect("Nd processing is the bottleneck");
    assert!(nd.contains(",LREE,3.7,5.9,"), "{nd}");
    ok(&dir, &args);
    for (f, bytes) in files.iter().zip(&first) {
        assert_eq!(&fs::read(dir.join("risk").join(f)).unwrap(), bytes, "{f}");
    }
}

/// The weighted Monte Carlo exposure: per region and end-use product, shortfall per year and
/// stoppage odds, the concentration index beside; the same bytes with 1 and 2 threads.
#[test]
fn issue_21_exposure_is_the_same_for_any_thread_count() {
    let dir = temp_dir("issue21-risk-exposure", &[]);
    let run = |threads: &str, out: &str| {
        let args = [
            "risk",
            "--region",
            "JPN",
            "--element",
            "Tb",
            "--exposure",
            "--paths",
            "3",
            "--threads",
            threads,
            "--out",
            out,
            "-q",
        ];
        ok(&dir, &args);
        let read = |f: &str| fs::read_to_string(dir.join(out).join(f)).unwrap();
        (read("exposure.csv"), read("exposure_by_scenario.csv"))
    };
    let one = run("1", "one");
    assert_eq!(run("2", "two"), one);
    let (blend, per) = one;
    let rows: Vec<Vec<&str>> = blend
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert!(!rows.is_empty(), "{blend}");
    for r in &rows {
        assert_eq!(r[0], "JPN", "{blend}");
        let p: f64 = r[5].parse().unwrap();
        let weight: f64 = r[6].parse().unwrap();
        assert!(
            (0.0..=1.0).contains(&p) && (weight - 1.0).abs() < 1e-9,
            "{blend}"
        );
        assert!(
            r[8].starts_with("Tb ") || r[8].starts_with("Dy ") || r[8].starts_with("Nd "),
            "{blend}"
        );
    }
    // Six scenarios carry weight (japan-2010 runs on the 2010 world and carries none).
    let scenarios: std::collections::BTreeSet<&str> = per
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(scenarios.len(), 6, "{per}");
    assert!(!scenarios.contains("japan-2010"));
}

/// Issue 21's tables in the HTML report of issue 19: `report RUN_DIR --risk DIR` adds a
/// criticality section with the EU 2023 values beside the published ones and the regions'
/// supply risk, before the sources; a folder that is not a risk folder is refused (exit 2).
#[test]
fn issue_21_risk_tables_in_the_html_report() {
    let dir = temp_dir("issue21-risk-report", &["tiny.toml"]);
    ok(&dir, &["run", "tiny.toml", "--out", "run", "-q"]);
    ok(&dir, &["risk", "--element", "Dy", "--out", "risk", "-q"]);
    ok(&dir, &["report", "run", "--risk", "risk"]);
    let html = fs::read_to_string(dir.join("run/report.html")).unwrap();
    let at = html
        .find("<h2>Criticality and exposure</h2>")
        .expect("a criticality section");
    assert!(at < html.find("<h2>Inputs and sources</h2>").unwrap());
    let section = &html[at..];
    assert!(section.contains("<h3>EU 2023 supply risk recomputed from the published inputs</h3>"));
    assert!(section.contains("<th>sr_computed</th><th>sr_published</th>"));
    assert!(section.contains("<h3>Supply risk by region"));
    assert!(section.contains("<td>EUU</td><td>Dy</td>"), "{section}");
    let (code, _, err) = chokepoint(&dir, &["report", "run", "--risk", "run"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not a complete risk folder"), "{err}");
}
