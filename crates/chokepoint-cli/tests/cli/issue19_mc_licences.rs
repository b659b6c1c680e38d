//! Issue 19: the report of a Monte Carlo run draws its licence queue as the single-run report
//! does, from what the folder has: the `licences_pending` bands of the default (headline) band
//! set, one chart per destination with a median line and a P5-P95 band per exporter and
//! product; with the day's counts banded (`licences_applied`, `_approved`, `_denied`), the
//! expected applications to date per destination and the mean wait by Little's law; a band
//! choice without them says how to get them.

use super::issue19_report::{assert_self_contained, assert_series_drawn, charts};
use super::{chokepoint, temp_dir};
use std::fs;

#[test]
fn issue_19_report_of_a_monte_carlo_run_draws_the_licence_queue_by_destination() {
    let dir = temp_dir("issue19-mc-licences", &["tiny.toml"]);
    let run = ["run", "tiny.toml", "--paths", "16", "-q", "--out", "mc"];
    let (code, _, err) = chokepoint(&dir, &run);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = chokepoint(&dir, &["report", "mc"]);
    assert_eq!(code, 0, "{err}");
    let html = fs::read_to_string(dir.join("mc/report.html")).unwrap();
    assert_self_contained(&html);
    let charts = charts(&html);
    for (title, series, svg) in &charts {
        assert_series_drawn(title, series, svg);
    }
    // China licenses Dy oxide to Japan and magnets to the United States (tiny.toml).
    for (dest, link) in [("JPN", "CHN dy-oxide"), ("USA", "CHN ndfeb-magnet")] {
        let title = format!("Licence applications pending, to {dest}");
        let chart = charts.iter().find(|c| c.0 == title).unwrap_or_else(|| {
            panic!(
                "{title}: {:?}",
                charts.iter().map(|c| &c.0).collect::<Vec<_>>()
            )
        });
        assert_eq!(chart.1, [format!("{link} P5-P95"), format!("{link} P50")]);
    }
    // The median queue to the United States is not empty on every day: the chart draws a
    // queue, not a flat zero (its bands.csv rows say the same).
    let bands = fs::read_to_string(dir.join("mc/bands.csv")).unwrap();
    let busiest = bands
        .lines()
        .filter(|l| l.contains(",CHN,USA,ndfeb-magnet,licences_pending,"))
        .map(|l| l.split(',').nth(8).unwrap().parse::<f64>().unwrap())
        .fold(0.0, f64::max);
    assert!(busiest > 0.0, "no pending application in any median");
    assert!(html.contains("keeps no per-application record"));
    assert!(html.contains("add <code>licences_applied,licences_approved,licences_denied</code>"));
    assert!(!html.contains("Licence applications to date"));

    // With the day's counts banded: the expected applications to date and the mean wait.
    let run = [
        "run",
        "tiny.toml",
        "--paths",
        "16",
        "-q",
        "--out",
        "counts",
        "--bands",
        "headline,licences_applied,licences_approved,licences_denied",
    ];
    let (code, _, err) = chokepoint(&dir, &run);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = chokepoint(&dir, &["report", "counts"]);
    assert_eq!(code, 0, "{err}");
    let html = fs::read_to_string(dir.join("counts/report.html")).unwrap();
    let charts = super::issue19_report::charts(&html);
    for (title, series, svg) in &charts {
        assert_series_drawn(title, series, svg);
    }
    let to_date = charts
        .iter()
        .find(|c| c.0 == "Licence applications to date (expected), to USA")
        .expect("the counts to date");
    assert_eq!(
        to_date.1,
        [
            "CHN ndfeb-magnet applied",
            "CHN ndfeb-magnet approved",
            "CHN ndfeb-magnet denied"
        ]
    );
    // The United States' applications wait 10-30 days (tiny.toml's lead time) before their
    // denial; those still pending at the end count the days they have waited so far.
    let table = &html[html
        .find("<table id=\"licence-waits\">")
        .expect("the waits")..];
    let row = &table[table
        .find("<td>CHN</td><td>USA</td><td>ndfeb-magnet</td>")
        .unwrap()..];
    let cells: Vec<f64> = row
        .split("<td>")
        .skip(4)
        .take(2)
        .map(|c| c.split('<').next().unwrap().parse().unwrap())
        .collect();
    assert!(cells[0] > 0.0, "{cells:?}");
    assert!((5.0..=30.0).contains(&cells[1]), "mean wait {cells:?}");

    // With --bands all (which leaves licence queues out) the report says how to get them.
    let run = [
        "run",
        "tiny.toml",
        "--paths",
        "4",
        "-q",
        "--out",
        "all",
        "--bands",
        "all",
    ];
    let (code, _, err) = chokepoint(&dir, &run);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = chokepoint(&dir, &["report", "all"]);
    assert_eq!(code, 0, "{err}");
    let html = fs::read_to_string(dir.join("all/report.html")).unwrap();
    assert!(!html.contains("Licence applications pending, to"));
    assert!(
        html.contains("--bands all,licences_pending"),
        "the way to get them"
    );
}
