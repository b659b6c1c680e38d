//! The terminal headline of `run` and of Monte Carlo runs: what an analyst reads first, in one
//! screen (at most [`MAX_LINES`] lines). [`single`] reads a single run's [`RunSummary`],
//! [`monte_carlo`] an [`Accumulator`] with its [`Labels`]; both rank what went wrong by
//! severity (the share of need not served, the odds of a stoppage, the price over its baseline)
//! and point to the full table (`--table`, `summary.csv`, `distributions.csv`).
//!
//! Severity is a share, not a quantity: products are counted in different units (t REO, t
//! product), so tonnes of one cannot be ranked against tonnes of another.

use crate::montecarlo::Labels;
use crate::output::shortfall_pct;
use crate::run_folder::date_string;
use crate::table::aligned;
use chokepoint_core::montecarlo::Accumulator;
use chokepoint_core::network::Network;
use chokepoint_core::scenario::Scenario;
use chokepoint_core::summary::{RunSummary, SummaryRow};
use jiff::civil::Date;
use std::fmt::Write as _;

/// Lines a headline and the `output:` line after it never exceed (one screen with the prompt).
pub const MAX_LINES: usize = 20;
/// Rows of the shortfall section.
const SHORTFALL_ROWS: usize = 6;
/// Rows of a Monte Carlo run's shortfall and stoppage sections.
const MC_SHORTFALL_ROWS: usize = 4;
const MC_STOPPAGE_ROWS: usize = 3;
/// Rows of the price section.
const PRICE_ROWS: usize = 3;
/// A price peak below this multiple of the baseline price is not news.
const PRICE_NEWS: f64 = 1.005;

fn fixed(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        format!("{v:.decimals$}")
    } else {
        "-".into()
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Indents a block of aligned lines by two spaces.
fn indented(block: &str) -> String {
    block.lines().map(|l| format!("  {l}\n")).collect()
}

/// The headline of a single run.
pub fn single(scenario: &Scenario, summary: &RunSummary) -> String {
    let world = &scenario.world;
    let start = scenario.settings.start;
    let mut out = crate::table::title_line(scenario, summary);
    let needy: Vec<&SummaryRow> = summary.rows.iter().filter(|r| r.need_total > 0.0).collect();
    let mut short: Vec<&SummaryRow> = needy
        .iter()
        .copied()
        .filter(|r| r.shortfall > 0.0)
        .collect();
    // Most severe first: the larger share of need lost, then the earlier stockout; ties in
    // the summary's order (region, product), so the text is the same on every machine.
    short.sort_by(|a, b| {
        let (pa, pb) = (
            shortfall_pct(a).unwrap_or(0.0),
            shortfall_pct(b).unwrap_or(0.0),
        );
        pb.total_cmp(&pa)
            .then(a.first_stockout.cmp(&b.first_stockout))
    });
    let stocked_out = needy.iter().filter(|r| r.first_stockout.is_some()).count();
    let _ = writeln!(
        out,
        "{} of {} ran short; {} stocked out",
        plural(short.len(), "region-product", "region-products"),
        needy.len(),
        stocked_out
    );
    let name = |r: &SummaryRow| {
        format!(
            "{} {}",
            world.regions[r.region.ix()].code,
            world.products[r.product.ix()].code
        )
    };
    if !short.is_empty() {
        out.push_str("worst shortfalls (share of need not served):\n");
        let rows: Vec<Vec<String>> = short
            .iter()
            .take(SHORTFALL_ROWS)
            .map(|r| {
                vec![
                    name(r),
                    format!("{}%", fixed(shortfall_pct(r).unwrap_or(0.0), 1)),
                    format!(
                        "{} {}",
                        fixed(r.shortfall, 1),
                        world.products[r.product.ix()].unit
                    ),
                    r.first_stockout
                        .map_or("-".into(), |d| date_string(start, d)),
                    fixed(r.min_days_of_cover, 1),
                ]
            })
            .collect();
        let header = [
            "node",
            "short",
            "shortfall",
            "first stockout",
            "min cover d",
        ];
        out.push_str(&indented(&aligned(
            &header,
            &[true, false, false, true, false],
            &rows,
        )));
        if short.len() > SHORTFALL_ROWS {
            let _ = writeln!(out, "  ... and {} more", short.len() - SHORTFALL_ROWS);
        }
    }
    let peaks: Vec<Peak> = summary
        .rows
        .iter()
        .map(|r| Peak {
            node: name(r),
            ratio: r.price_peak / world.products[r.product.ix()].price,
            median: r.price_peak,
            high: None,
            date: Some(date_string(start, r.price_peak_day)),
        })
        .collect();
    out.push_str(&price_section(peaks));
    out.push_str(&licence_line(&summary.rows));
    out.push_str("full table: --table, or summary.csv in the run folder\n");
    debug_assert!(out.lines().count() < MAX_LINES, "{out}");
    out
}

/// A price peak to rank: `ratio` is the peak over the product's baseline price.
struct Peak {
    node: String,
    ratio: f64,
    median: f64,
    /// The 95th percentile over paths (Monte Carlo only).
    high: Option<f64>,
    date: Option<String>,
}

/// The highest price peaks over their baseline, one per distinct (ratio, date): the regions
/// of one price segment share a price, so their peaks are one piece of news.
fn price_section(mut peaks: Vec<Peak>) -> String {
    peaks.retain(|p| p.ratio.is_finite() && p.ratio >= PRICE_NEWS);
    peaks.sort_by(|a, b| b.ratio.total_cmp(&a.ratio));
    let mut shown: Vec<(Peak, usize)> = Vec::new();
    for p in peaks {
        match shown
            .iter_mut()
            .find(|(s, _)| s.ratio == p.ratio && s.date == p.date)
        {
            Some((_, more)) => *more += 1,
            None => shown.push((p, 0)),
        }
    }
    if shown.is_empty() {
        return "prices: no peak above baseline\n".into();
    }
    let mc = shown[0].0.high.is_some();
    let mut out = String::from(if mc {
        "price peaks (median over paths, x baseline):\n"
    } else {
        "price peaks (x baseline):\n"
    });
    let rows: Vec<Vec<String>> = shown
        .iter()
        .take(PRICE_ROWS)
        .map(|(p, more)| {
            let node = match more {
                0 => p.node.clone(),
                n => format!("{} (+{n} sharing it)", p.node),
            };
            let mut row = vec![node, format!("{}x", fixed(p.ratio, 2)), fixed(p.median, 2)];
            match (&p.high, &p.date) {
                (Some(h), _) => row.push(fixed(*h, 2)),
                (None, Some(d)) => row.push(d.clone()),
                (None, None) => row.push("-".into()),
            }
            row
        })
        .collect();
    let header: [&str; 4] = if mc {
        ["node", "peak", "USD/kg p50", "USD/kg p95"]
    } else {
        ["node", "peak", "USD/kg", "date"]
    };
    out.push_str(&indented(&aligned(
        &header,
        &[true, false, false, !mc],
        &rows,
    )));
    out
}

fn licence_line(rows: &[SummaryRow]) -> String {
    let sum = |f: fn(&SummaryRow) -> u64| rows.iter().map(f).sum::<u64>();
    let applied = sum(|r| r.licences_applied);
    if applied == 0 {
        return "licences: no application\n".into();
    }
    let (waits, decided) = rows.iter().fold((0.0, 0u64), |(w, n), r| {
        let d = r.licences_approved + r.licences_denied;
        match r.mean_wait_days {
            Some(m) => (w + m * d as f64, n + d),
            None => (w, n),
        }
    });
    let wait = if decided > 0 {
        format!(", mean wait {} d", fixed(waits / decided as f64, 1))
    } else {
        String::new()
    };
    format!(
        "licences: {applied} applied, {} approved, {} denied, {} pending{wait}\n",
        sum(|r| r.licences_approved),
        sum(|r| r.licences_denied),
        sum(|r| r.licences_pending)
    )
}

/// The headline of a Monte Carlo run: the odds of end-use stoppages, the worst expected
/// shortfalls (as a share of the node's baseline need over the run) with their stockout odds,
/// and the price peaks' median and 95th percentile over paths.
pub fn monte_carlo(scenario: &Scenario, acc: &Accumulator, labels: &Labels, seed: u64) -> String {
    let world = &scenario.world;
    let start: Date = scenario.settings.reported_start();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} paths, seed {seed}, {} days from {start}",
        scenario.settings.name, acc.paths, acc.days
    );
    let paths = acc.paths.max(1) as f64;
    let last = acc.days.saturating_sub(1);
    // End-use stoppages, most likely first (the region's `all` rows only: one line a region).
    let mut stops: Vec<(usize, u64)> = labels
        .stoppages
        .iter()
        .enumerate()
        .filter(|(_, l)| l.product == "all")
        .map(|(k, _)| (k, acc.stopped_by(k, last)))
        .filter(|&(_, n)| n > 0)
        .collect();
    stops.sort_by_key(|s| std::cmp::Reverse(s.1));
    if !stops.is_empty() {
        let _ = writeln!(
            out,
            "end-use stoppage odds by {}:",
            date_string(start, last)
        );
        let rows: Vec<Vec<String>> = stops
            .iter()
            .take(MC_STOPPAGE_ROWS)
            .map(|&(k, n)| {
                vec![
                    labels.stoppages[k].region.clone(),
                    fixed(n as f64 / paths, 3),
                    acc.stop_quantile(k, 50)
                        .map_or("-".into(), |d| date_string(start, d)),
                ]
            })
            .collect();
        out.push_str(&indented(&aligned(
            &["region", "P(stop)", "median first date"],
            &[true, false, true],
            &rows,
        )));
    }
    out.push_str(&mc_shortfalls(scenario, acc, labels));
    let peaks: Vec<Peak> = metric_rows(labels, "price_peak_usd_per_kg")
        .filter_map(|(m, l)| {
            let p = world.products.iter().find(|p| p.code == l.product)?;
            let (q, _) = quantiles(acc, m);
            Some(Peak {
                node: format!("{} {}", l.region, l.product),
                ratio: q[2] / p.price,
                median: q[2],
                high: Some(q[4]),
                date: None,
            })
        })
        .collect();
    out.push_str(&price_section(peaks));
    out.push_str("full results: distributions.csv, stockout.csv, bands.csv in the run folder\n");
    debug_assert!(out.lines().count() < MAX_LINES, "{out}");
    out
}

fn metric_rows<'a>(
    labels: &'a Labels,
    metric: &'a str,
) -> impl Iterator<Item = (usize, &'a crate::montecarlo::MetricLabel)> + 'a {
    labels
        .metrics
        .iter()
        .enumerate()
        .filter(move |(_, l)| l.metric == metric)
}

/// Quantiles (p5 ... p95) and mean over paths of metric `m`.
fn quantiles(acc: &Accumulator, m: usize) -> ([f64; 5], f64) {
    let values: Vec<f64> = acc.rows.iter().map(|r| r.values[m]).collect();
    let (q, mean, _, _) = chokepoint_core::montecarlo::distribution(&values);
    (q, mean)
}

/// The worst mean shortfalls as a share of the baseline need over the run, with the highest
/// daily stockout probability of the node.
fn mc_shortfalls(scenario: &Scenario, acc: &Accumulator, labels: &Labels) -> String {
    let world = &scenario.world;
    let net = Network::new(world);
    let need = |region: &str, product: &str| -> Option<f64> {
        let r = world.regions.iter().position(|x| x.code == region)?;
        let p = world.products.iter().position(|x| x.code == product)?;
        Some(net.need0[r * net.np + p] * f64::from(acc.days))
    };
    let paths = acc.paths.max(1) as f64;
    let mut rows: Vec<(f64, Vec<String>)> = metric_rows(labels, "shortfall_units")
        .filter_map(|(m, l)| {
            let need = need(&l.region, &l.product).filter(|&n| n > 0.0)?;
            let (q, mean) = quantiles(acc, m);
            (mean > 0.0).then_some(())?;
            let k = labels
                .stock_nodes
                .iter()
                .position(|s| s.region == l.region && s.product == l.product);
            let peak = k.map_or(0, |k| {
                (0..acc.days)
                    .map(|d| acc.stockouts(d, k))
                    .max()
                    .unwrap_or(0)
            });
            let share = 100.0 * mean / need;
            Some((
                share,
                vec![
                    format!("{} {}", l.region, l.product),
                    format!("{}%", fixed(share, 1)),
                    format!("{}%", fixed(100.0 * q[4] / need, 1)),
                    fixed(f64::from(peak) / paths, 3),
                ],
            ))
        })
        .collect();
    if rows.is_empty() {
        return "no shortfall on any path\n".into();
    }
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    let n = rows.len();
    let mut out =
        String::from("worst shortfalls (share of baseline need not served, over paths):\n");
    let table: Vec<Vec<String>> = rows
        .into_iter()
        .take(MC_SHORTFALL_ROWS)
        .map(|r| r.1)
        .collect();
    out.push_str(&indented(&aligned(
        &["node", "mean", "p95", "max P(stockout)"],
        &[true, false, false, false],
        &table,
    )));
    if n > MC_SHORTFALL_ROWS {
        let _ = writeln!(out, "  ... and {} more", n - MC_SHORTFALL_ROWS);
    }
    out
}
