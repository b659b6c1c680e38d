//! Dated policy and market events: what a scenario changes and when.
//!
//! An [`Event`] is active on days `start..end` (day indices from the scenario start; `end` is
//! `None` for permanent changes) and carries one [`EventKind`]: export licensing
//! ([`Licensing`] with its [`LicenceTerms`] and overrides), general licences, bans, quotas,
//! tariffs, capacity changes with ramps, demand shocks, stockpile releases and purchases, offtake
//! agreements and rationing changes. Products are picked by a [`ProductSelector`]: a list of ids or
//! an element-content rule. Lead times are a [`LeadTime`] distribution with a cap.

use crate::model::{ProductId, Rationing, RegionId};

/// Day index from the scenario start (day 0 is the start date). Time is never a float.
pub type Day = u32;

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub start: Day,
    /// First day the event no longer applies; `None` = until the end of the run.
    pub end: Option<Day>,
    pub kind: EventKind,
    /// Label for output and error messages (the event's `name` or `kind@date`).
    pub label: String,
}

impl Event {
    pub fn active(&self, day: Day) -> bool {
        day >= self.start && self.end.is_none_or(|e| day < e)
    }
}

/// Which products an event applies to.
#[derive(Debug, Clone, PartialEq)]
pub enum ProductSelector {
    All,
    Ids(Vec<ProductId>),
    /// Every product with a positive content of any of these elements.
    Elements(Vec<String>),
}

/// Which regions an event applies to; `All` excludes the actor itself where that matters.
#[derive(Debug, Clone, PartialEq)]
pub enum RegionSelector {
    All,
    Ids(Vec<RegionId>),
}

impl RegionSelector {
    pub fn contains(&self, r: RegionId) -> bool {
        match self {
            RegionSelector::All => true,
            RegionSelector::Ids(v) => v.contains(&r),
        }
    }
}

/// Licence lead time in calendar days, drawn per application and capped.
#[derive(Debug, Clone, PartialEq)]
pub enum LeadTime {
    Fixed(f64),
    Uniform(f64, f64),
    /// min, mode, max
    Triangular(f64, f64, f64),
}

impl LeadTime {
    pub fn min(&self) -> f64 {
        match *self {
            LeadTime::Fixed(v) => v,
            LeadTime::Uniform(a, _) => a,
            LeadTime::Triangular(a, _, _) => a,
        }
    }
}

/// Approval odds and lead time for one class of applications.
#[derive(Debug, Clone, PartialEq)]
pub struct LicenceTerms {
    /// Probability that an application is approved.
    pub approval: f64,
    pub lead_time: LeadTime,
    /// Upper bound on the decision delay, days (the statutory review period).
    pub cap_days: Option<u32>,
}

/// An export-licensing regime. Terms are looked up end-use override first, then destination
/// override, then the default.
#[derive(Debug, Clone, PartialEq)]
pub struct Licensing {
    pub exporter: RegionId,
    pub products: ProductSelector,
    pub terms: LicenceTerms,
    pub destinations: Vec<(RegionId, LicenceTerms)>,
    pub end_uses: Vec<(String, LicenceTerms)>,
    /// 0 = one application per order; n > 0 = orders are pooled and filed as one application
    /// every n days per (importer, product, end use).
    pub batch_days: u32,
}

impl Licensing {
    pub fn terms_for(&self, importer: RegionId, end_use: &str) -> &LicenceTerms {
        if let Some((_, t)) = self.end_uses.iter().find(|(e, _)| e == end_use) {
            return t;
        }
        if let Some((_, t)) = self.destinations.iter().find(|(r, _)| *r == importer) {
            return t;
        }
        &self.terms
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    ExportLicence(Licensing),
    /// Waives review for these destinations: orders ship as if unlicensed.
    GeneralLicence {
        exporter: RegionId,
        products: ProductSelector,
        destinations: RegionSelector,
    },
    ExportBan {
        exporter: RegionId,
        products: ProductSelector,
        destinations: RegionSelector,
    },
    /// At most `quantity` units exported per `period_days`, counted from the event start.
    ExportQuota {
        exporter: RegionId,
        products: ProductSelector,
        destinations: RegionSelector,
        quantity: f64,
        period_days: u32,
    },
    /// Adds `rate` to the tariff on imports of `importer` from `exporters` while active.
    Tariff {
        importer: RegionId,
        exporters: RegionSelector,
        products: ProductSelector,
        rate: f64,
    },
    /// Moves capacity to `capacity` (units/day) linearly over `ramp_days`, starting from the
    /// capacity on the event date; at `end` it ramps back the same way.
    Capacity {
        region: RegionId,
        product: ProductId,
        capacity: f64,
        ramp_days: u32,
    },
    /// Multiplies final demand of matching (region, product, end use) while active.
    DemandShock {
        regions: RegionSelector,
        products: ProductSelector,
        end_use: Option<String>,
        factor: f64,
    },
    /// Moves up to `rate` units/day from the strategic stockpile into commercial stock, only while
    /// commercial days of cover are below `trigger_days` when given.
    StockpileRelease {
        region: RegionId,
        product: ProductId,
        rate: f64,
        trigger_days: Option<f64>,
    },
    /// Buys up to `rate` units/day from commercial stock into the strategic stockpile.
    StockpilePurchase {
        region: RegionId,
        product: ProductId,
        rate: f64,
    },
    /// The buyer orders `rate` units/day from the supplier ahead of its other orders; the supplier
    /// serves it first and is paid at least `floor` USD/kg.
    Offtake {
        buyer: RegionId,
        supplier: RegionId,
        product: ProductId,
        rate: f64,
        floor: f64,
    },
    /// Changes the rationing rule of one supplier region.
    Rationing { region: RegionId, rule: Rationing },
}

impl EventKind {
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::ExportLicence(_) => "export-licence",
            EventKind::GeneralLicence { .. } => "general-licence",
            EventKind::ExportBan { .. } => "export-ban",
            EventKind::ExportQuota { .. } => "export-quota",
            EventKind::Tariff { .. } => "tariff",
            EventKind::Capacity { .. } => "capacity",
            EventKind::DemandShock { .. } => "demand-shock",
            EventKind::StockpileRelease { .. } => "stockpile-release",
            EventKind::StockpilePurchase { .. } => "stockpile-purchase",
            EventKind::Offtake { .. } => "offtake",
            EventKind::Rationing { .. } => "rationing",
        }
    }
}
