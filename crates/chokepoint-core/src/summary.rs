//! Headline results of one run: per (region, product) the shortfall, first stockout day, days of
//! cover, price peak and licence counts ([`SummaryRow`]), gathered in a [`RunSummary`]. A
//! region with buyer cohorts gets one row per cohort and a row of its own that sums its own
//! node and its cohorts' ([`RegionTotal`], fed a [`NodeEnd`] per node).

use crate::model::Day;
use crate::model::{ProductId, RegionId};

#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    pub region: RegionId,
    pub product: ProductId,
    /// Final demand plus input needs over the run, units.
    pub need_total: f64,
    /// Unserved part of `need_total`, units.
    pub shortfall: f64,
    /// First day with unmet demand above 1e-9 of the day's need.
    pub first_stockout: Option<Day>,
    pub min_days_of_cover: f64,
    pub final_days_of_cover: f64,
    pub price_peak: f64,
    pub price_peak_day: Day,
    /// Licence applications with this region as importer, for this product.
    pub licences_applied: u64,
    pub licences_approved: u64,
    pub licences_denied: u64,
    pub licences_pending: u64,
    /// Mean days from filing to decision over decided applications.
    pub mean_wait_days: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunSummary {
    pub days: u32,
    pub seed: u64,
    /// Sorted by region, then product.
    pub rows: Vec<SummaryRow>,
    /// The origins the run traced (ascending; empty when it traced none).
    pub origins: Vec<RegionId>,
    /// Per traced origin, the routes of third countries that shipped content of that origin
    /// over the reported days (by origin, then link order).
    pub routes: Vec<RouteRow>,
}

/// Content of one origin shipped over the run on one route of a third country (exporter ≠
/// origin, exporter ≠ importer): the leakage table (`origins.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct RouteRow {
    pub origin: RegionId,
    pub exporter: RegionId,
    pub importer: RegionId,
    pub product: ProductId,
    /// What the route shipped over the reported days, units.
    pub shipped: f64,
    /// Of which content of `origin`, units (shipped × the origin share of each day's output).
    pub origin_content: f64,
    /// Content of `origin` the importer received of the product over all its routes (the
    /// origin's direct exports and domestic supply included), units.
    pub importer_origin_total: f64,
}

/// What a region's row needs of one of its nodes beyond the node's [`SummaryRow`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeEnd {
    /// Commercial stock at the end of the run.
    pub final_stock: f64,
    /// Baseline daily need.
    pub need0: f64,
    /// Days from filing to decision summed over decided applications, and their number.
    pub wait_sum: f64,
    pub decided: usize,
}

/// The row of a region with buyer cohorts for one product, summed over the region's own node
/// and its cohorts' nodes: need, shortfall and licence counts add up; the first stockout is
/// the earliest of any member (a cohort that runs short is the region running short
/// somewhere); the lowest cover is the thinnest member's (of those with a baseline need); the
/// final cover is the summed stock over the summed baseline need; the price peak is the
/// highest (members share their region's price segment); the mean wait is over every decided
/// application.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionTotal {
    pub row: SummaryRow,
    stock: f64,
    need0: f64,
    wait_sum: f64,
    decided: usize,
}

impl RegionTotal {
    pub fn new(region: RegionId, product: ProductId) -> Self {
        RegionTotal {
            row: SummaryRow {
                region,
                product,
                need_total: 0.0,
                shortfall: 0.0,
                first_stockout: None,
                min_days_of_cover: f64::INFINITY,
                final_days_of_cover: 0.0,
                price_peak: f64::NEG_INFINITY,
                price_peak_day: 0,
                licences_applied: 0,
                licences_approved: 0,
                licences_denied: 0,
                licences_pending: 0,
                mean_wait_days: None,
            },
            stock: 0.0,
            need0: 0.0,
            wait_sum: 0.0,
            decided: 0,
        }
    }

    /// Adds one member node's row.
    pub fn add(&mut self, m: &SummaryRow, end: &NodeEnd) {
        let t = &mut self.row;
        t.need_total += m.need_total;
        t.shortfall += m.shortfall;
        t.first_stockout = match (t.first_stockout, m.first_stockout) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if end.need0 > 0.0 {
            t.min_days_of_cover = t.min_days_of_cover.min(m.min_days_of_cover);
            self.stock += end.final_stock;
            self.need0 += end.need0;
        }
        if m.price_peak > t.price_peak
            || (m.price_peak == t.price_peak && m.price_peak_day < t.price_peak_day)
        {
            t.price_peak = m.price_peak;
            t.price_peak_day = m.price_peak_day;
        }
        t.licences_applied += m.licences_applied;
        t.licences_approved += m.licences_approved;
        t.licences_denied += m.licences_denied;
        t.licences_pending += m.licences_pending;
        self.wait_sum += end.wait_sum;
        self.decided += end.decided;
    }

    /// The region's row.
    pub fn finish(self) -> SummaryRow {
        let mut row = self.row;
        if self.need0 > 0.0 {
            row.final_days_of_cover = self.stock / self.need0;
        } else {
            // As a node without baseline need reports it.
            row.min_days_of_cover = 0.0;
        }
        if self.decided > 0 {
            row.mean_wait_days = Some(self.wait_sum / self.decided as f64);
        }
        row
    }
}
