//! Issue 19: the report of a Monte Carlo run draws its licence queue as the single-run report
//! does, from what the folder has: the `licences_pending` bands of the default (headline) band
//! set, one chart per destination with a median line and a P5-P95 band per exporter and
//! product; a band choice without them says how to get them.

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
