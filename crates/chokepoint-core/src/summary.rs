//! Headline results of one run: per (region, product) the shortfall, first stockout day, days of
//! cover, price peak and licence counts ([`SummaryRow`]), gathered in a [`RunSummary`].

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
