//! Issue 19: `chokepoint report RUN_DIR` writes one self-contained HTML file whose charts are
//! inline SVG, for a single run (one path drawn), a Monte Carlo run (fan bands) and with a
//! linked ARIO run. The browser test (tests/browser/) opens the same files in Chromium.

use super::{chokepoint, crate_dir, temp_dir};
use std::fs;

/// Every `<svg class="chart">` of `html` with the series it promises in `data-series`.
pub(crate) fn charts(html: &str) -> Vec<(String, Vec<String>, &str)> {
    html.match_indices("<svg class=\"chart\"")
        .map(|(at, _)| {
            let svg = &html[at..at + html[at..].find("</svg>").expect("closed svg")];
            let title = between(svg, "aria-label=\"", "\"").to_string();
            let series = between(svg, "data-series=\"", "\"")
                .split('|')
                .map(String::from)
                .collect();
            (title, series, svg)
        })
        .collect()
}

fn between<'a>(s: &'a str, open: &str, close: &str) -> &'a str {
    let from = s.find(open).expect(open) + open.len();
    &s[from..from + s[from..].find(close).expect(close)]
}

/// Each promised series is drawn by an element that names it: a path with points or a group
/// with shapes in it.
pub(crate) fn assert_series_drawn(title: &str, series: &[String], svg: &str) {
    assert!(
        !series.is_empty() && !series[0].is_empty(),
        "{title}: no series"
    );
    // Past the root element, whose own `data-series` lists them all.
    let body = &svg[svg.find('>').unwrap()..];
    for name in series {
        let tag = format!("data-series=\"{name}\"");
        let at = body
            .find(&tag)
            .unwrap_or_else(|| panic!("{title}: no {tag}"));
        let rest = &body[at..];
        let drawn = if body[..at].ends_with("<g class=\"series\" ") {
            rest.find("</g>")
                .is_some_and(|end| rest[..end].contains("<rect"))
        } else {
            between(rest, "d=\"", "\"").contains('L')
        };
        assert!(drawn, "{title}: series {name} is empty");
    }
}

pub(crate) fn assert_self_contained(html: &str) {
    for banned in [
        "<script", " src=", "href=", "@import", "url(", "<link", "<iframe",
    ] {
        assert!(!html.contains(banned), "the report holds {banned}");
    }
}

#[test]
fn issue_19_report_of_a_single_run() {
    let dir = temp_dir("issue19-report-single", &["tiny.toml"]);
    let (code, _, err) = chokepoint(&dir, &["run", "tiny.toml", "-q", "--out", "out"]);
    assert_eq!(code, 0, "{err}");
    let (code, stdout, err) = chokepoint(&dir, &["report", "out"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(stdout, "report: out/report.html\n");
    let html = fs::read_to_string(dir.join("out/report.html")).unwrap();
    assert_self_contained(&html);
    let charts = charts(&html);
    let titles: Vec<&str> = charts.iter().map(|c| c.0.as_str()).collect();
    for want in [
        "JPN dy-oxide: shortfall (unmet demand)",
        "JPN dy-oxide: days of cover",
        "JPN dy-oxide: price",
        "Region-products that had stocked out, by date",
        "Licence applications to date, and pending at each day&#39;s end",
        "dy-oxide: mean daily shipments",
        "The scenario&#39;s events",
    ] {
        let want = want.replace("&#39;", "'");
        assert!(titles.contains(&want.as_str()), "{want} not in {titles:?}");
    }
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("Wait from filing to decision (30 decided")),
        "{titles:?}"
    );
    for (title, series, svg) in &charts {
        assert_series_drawn(title, series, svg);
    }
    let queue = charts.iter().find(|c| c.0.starts_with("Licence")).unwrap();
    assert_eq!(queue.1, ["applied", "approved", "denied", "pending"]);
    // No bands in a single run; the events mark the charts; the scenario's sources are listed.
    assert!(!html.contains("class=\"band\""));
    assert!(html.contains("class=\"mark\""));
    assert!(html.contains("<h2>Inputs and sources</h2>"));

    // Deterministic, and --out writes elsewhere with no temporary file left.
    let (code, _, _) = chokepoint(&dir, &["report", "out", "--out", "copy.html"]);
    assert_eq!(code, 0);
    assert_eq!(fs::read_to_string(dir.join("copy.html")).unwrap(), html);
    let left: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn issue_19_report_of_a_monte_carlo_run_draws_fan_bands() {
    let dir = temp_dir("issue19-report-mc", &["tiny-mc.toml"]);
    // The worst node of this world is an oxide, outside the default (headline) bands.
    let args = [
        "run",
        "tiny-mc.toml",
        "--paths",
        "32",
        "-q",
        "--out",
        "mc",
        "--bands",
        "all",
    ];
    let (code, _, err) = chokepoint(&dir, &args);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = chokepoint(&dir, &["report", "mc"]);
    assert_eq!(code, 0, "{err}");
    let html = fs::read_to_string(dir.join("mc/report.html")).unwrap();
    assert_self_contained(&html);
    let charts = charts(&html);
    for (title, series, svg) in &charts {
        assert_series_drawn(title, series, svg);
    }
    let fan = charts
        .iter()
        .find(|c| c.0 == "JPN dy-oxide: days of cover")
        .expect("a fan chart of the worst node");
    assert_eq!(fan.1, ["P5-P95", "P25-P75", "P50"]);
    assert!(
        charts
            .iter()
            .any(|c| c.0 == "Probability of a stockout that day"),
        "{:?}",
        charts.iter().map(|c| &c.0).collect::<Vec<_>>()
    );
    assert!(html.contains("keeps no per-application record"));
    assert!(!html.contains("No daily bands in this run"));
    // With the default bands the report says which series have none and how to get them.
    let args = [
        "run",
        "tiny-mc.toml",
        "--paths",
        "8",
        "-q",
        "--out",
        "mc-headline",
    ];
    let (code, _, err) = chokepoint(&dir, &args);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = chokepoint(&dir, &["report", "mc-headline"]);
    assert_eq!(code, 0, "{err}");
    let html = fs::read_to_string(dir.join("mc-headline/report.html")).unwrap();
    for (title, series, svg) in &self::charts(&html) {
        assert_series_drawn(title, series, svg);
    }
    assert!(
        html.contains(
            "No daily bands in this run for: unmet_demand:JPN:dy-oxide, days_of_cover:JPN:dy-oxide."
        ),
        "{html}"
    );
    assert!(html.contains("<code>--bands all</code>"));
}

#[test]
fn issue_19_report_shows_a_linked_ario_run() {
    let dir = temp_dir("issue19-report-ario", &["china-ban.toml"]);
    let (code, _, err) = chokepoint(&dir, &["run", "china-ban.toml", "-q", "--out", "ban"]);
    assert_eq!(code, 0, "{err}");
    let mrio = crate_dir().join("tests/fixtures/mrio-13x6");
    let map = crate_dir().join("../../data/ario/exiobase3-mapping.toml");
    let args = [
        "ario",
        "--mriot",
        mrio.to_str().unwrap(),
        "--steps",
        "120",
        "--from-run",
        "ban",
        "--mapping",
        map.to_str().unwrap(),
        "--out",
        "ario",
    ];
    let (code, _, err) = chokepoint(&dir, &args);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = chokepoint(&dir, &["report", "ban", "--ario", "ario"]);
    assert_eq!(code, 0, "{err}");
    let html = fs::read_to_string(dir.join("ban/report.html")).unwrap();
    let charts = charts(&html);
    let losses = charts
        .iter()
        .find(|c| c.0.starts_with("Output lost"))
        .expect("the ARIO chart");
    assert_series_drawn(&losses.0, &losses.1, losses.2);
    assert!(html.contains("Economy-wide losses (ARIO)"));
    // The dataset's sources, with their addresses.
    assert!(html.contains("https://pubs.usgs.gov/"), "no sources listed");
}

#[test]
fn issue_19_report_refuses_what_is_not_a_run_folder() {
    let dir = temp_dir("issue19-report-refuse", &["tiny-mc.toml"]);
    let (code, out, err) = chokepoint(&dir, &["report", "nowhere"]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(
        err.starts_with("error: cannot read `nowhere/manifest.json`"),
        "{err}"
    );
    assert!(err.contains("hint: "), "{err}");
    let args = [
        "run",
        "tiny-mc.toml",
        "--paths",
        "8",
        "--shard",
        "0/2",
        "-q",
        "--out",
        "shard",
    ];
    assert_eq!(chokepoint(&dir, &args).0, 0);
    let (code, _, err) = chokepoint(&dir, &["report", "shard"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("is a monte-carlo-shard folder, not a run"),
        "{err}"
    );
    assert!(err.contains("hint: merge shards first"), "{err}");
    // A file changed after the run is refused (the report reads only checked files).
    let args = ["run", "tiny-mc.toml", "--paths", "8", "-q", "--out", "mc"];
    assert_eq!(chokepoint(&dir, &args).0, 0);
    let stockout = dir.join("mc/stockout.csv");
    let text = fs::read_to_string(&stockout).unwrap();
    fs::write(&stockout, text.replacen(",0\n", ",1\n", 1)).unwrap();
    let (code, _, err) = chokepoint(&dir, &["report", "mc"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("stockout.csv"), "{err}");
}
