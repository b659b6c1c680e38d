//! The summary table printed by `chokepoint run`: one line per (region, product) with need or
//! licences, columns aligned (text left, numbers right).

use crate::output::shortfall_pct;
use crate::run_folder::date_string;
use chokepoint_core::scenario::Scenario;
use chokepoint_core::summary::RunSummary;
use std::fmt::Write as _;

const HEADER: [&str; 15] = [
    "region",
    "product",
    "unit",
    "need",
    "shortfall",
    "short%",
    "first stockout",
    "min cover d",
    "peak USD/kg",
    "peak date",
    "applied",
    "approved",
    "denied",
    "pending",
    "mean wait d",
];
/// Columns aligned left (the rest are numbers, aligned right).
const LEFT: [bool; 15] = [
    true, true, true, false, false, false, true, false, false, true, false, false, false, false,
    false,
];

fn fixed(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        format!("{v:.decimals$}")
    } else {
        "-".into()
    }
}

/// The first line of a single run's table and headline: scenario, seed and reported days.
pub fn title_line(scenario: &Scenario, summary: &RunSummary) -> String {
    format!(
        "{}: seed {}, {} days from {}\n",
        scenario.settings.name,
        summary.seed,
        scenario.settings.reported_days(),
        scenario.settings.reported_start()
    )
}

pub fn render(scenario: &Scenario, summary: &RunSummary) -> String {
    let world = &scenario.world;
    let start = scenario.settings.start;
    let mut out = title_line(scenario, summary);
    let rows: Vec<[String; 15]> = summary
        .rows
        .iter()
        .filter(|r| r.need_total > 0.0 || r.licences_applied > 0)
        .map(|r| {
            let p = &world.products[r.product.ix()];
            [
                world.regions[r.region.ix()].code.clone(),
                p.code.clone(),
                p.unit.clone(),
                fixed(r.need_total, 1),
                fixed(r.shortfall, 1),
                shortfall_pct(r).map_or("-".into(), |v| format!("{}%", fixed(v, 1))),
                r.first_stockout
                    .map_or("-".into(), |d| date_string(start, d)),
                fixed(r.min_days_of_cover, 1),
                fixed(r.price_peak, 2),
                date_string(start, r.price_peak_day),
                r.licences_applied.to_string(),
                r.licences_approved.to_string(),
                r.licences_denied.to_string(),
                r.licences_pending.to_string(),
                r.mean_wait_days.map_or("-".into(), |v| fixed(v, 1)),
            ]
        })
        .collect();
    if rows.is_empty() {
        out.push_str("(no region has a need or licence applications for any product)\n");
        return out;
    }
    let header: Vec<&str> = HEADER.to_vec();
    let rows: Vec<Vec<String>> = rows.into_iter().map(Vec::from).collect();
    out.push_str(&aligned(&header, &LEFT, &rows));
    out
}

/// Lays out `rows` (the first is the header) in left-aligned columns two spaces apart, each
/// line after `indent`; trailing spaces trimmed.
pub fn indented<const N: usize>(rows: &[[String; N]], indent: &str) -> String {
    let mut width = [0usize; N];
    for row in rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&width)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(out, "{indent}{}", cells.join("  ").trim_end());
    }
    out
}

/// Lays out `rows` under `header` in aligned columns, two spaces apart: text columns (`left`)
/// aligned left, numbers right; trailing spaces trimmed.
pub fn aligned(header: &[&str], left: &[bool], rows: &[Vec<String>]) -> String {
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let w = width[i];
            if left.get(i).copied().unwrap_or(true) {
                let _ = write!(line, "{cell:<w$}");
            } else {
                let _ = write!(line, "{cell:>w$}");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
