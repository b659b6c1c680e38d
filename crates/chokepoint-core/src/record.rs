//! What a run emits: daily [`Record`]s of one [`Variable`], one [`LicenceRecord`] per licence
//! application, all pushed through a [`Sink`] so the core never touches files.
//!
//! A record names its region, an optional partner (the other side of a bilateral series:
//! shipments have region = exporter, partner = importer) and a product. The unit of a record
//! follows from its variable and product ([`Variable::unit`]).

use crate::model::Day;
use crate::model::{ProductId, RegionId, World};

/// The variables of `timeseries.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Variable {
    /// Output of the region's facility for the product, units/day.
    Production,
    /// Shipped from region to partner (or to itself for domestic supply), units/day.
    Shipments,
    /// Arrived in region from partner, units/day.
    Arrivals,
    /// Commercial stock at the end of the day, units.
    Inventory,
    /// Inventory divided by the baseline daily need, days.
    DaysOfCover,
    /// Taken from stock today as production input or by final demand, units/day.
    Consumption,
    /// Final demand plus production inputs that could not be served today, units/day.
    UnmetDemand,
    /// Price in the region's segment, USD/kg.
    Price,
    /// Landed cost of the product from partner into region (price at origin × (1 + tariff)), USD/kg.
    LandedCost,
    /// Strategic stockpile at the end of the day, units.
    Stockpile,
    /// Licence applications filed today by exporter region for importer partner, count.
    LicencesApplied,
    LicencesApproved,
    LicencesDenied,
    /// Applications awaiting a decision at the end of the day, count.
    LicencesPending,
    /// Top-up paid under offtake price floors today, USD.
    OfftakeTopUp,
    /// Content of the given origin in what region shipped to partner today, units/day (only
    /// when origins are traced; not in [`Variable::ALL`]: its name carries the origin).
    ShipmentsOfOrigin(RegionId),
}

impl Variable {
    pub const ALL: [Variable; 15] = [
        Variable::Production,
        Variable::Shipments,
        Variable::Arrivals,
        Variable::Inventory,
        Variable::DaysOfCover,
        Variable::Consumption,
        Variable::UnmetDemand,
        Variable::Price,
        Variable::LandedCost,
        Variable::Stockpile,
        Variable::LicencesApplied,
        Variable::LicencesApproved,
        Variable::LicencesDenied,
        Variable::LicencesPending,
        Variable::OfftakeTopUp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Variable::Production => "production",
            Variable::Shipments => "shipments",
            Variable::Arrivals => "arrivals",
            Variable::Inventory => "inventory",
            Variable::DaysOfCover => "days_of_cover",
            Variable::Consumption => "consumption",
            Variable::UnmetDemand => "unmet_demand",
            Variable::Price => "price",
            Variable::LandedCost => "landed_cost",
            Variable::Stockpile => "stockpile",
            Variable::LicencesApplied => "licences_applied",
            Variable::LicencesApproved => "licences_approved",
            Variable::LicencesDenied => "licences_denied",
            Variable::LicencesPending => "licences_pending",
            Variable::OfftakeTopUp => "offtake_topup",
            Variable::ShipmentsOfOrigin(_) => "shipments_origin",
        }
    }

    /// The name written in `timeseries.csv`: [`Variable::as_str`], with the origin's code
    /// appended for [`Variable::ShipmentsOfOrigin`] (`shipments_origin_CHN`).
    pub fn name(self, world: &World) -> std::borrow::Cow<'static, str> {
        match self {
            Variable::ShipmentsOfOrigin(r) => {
                format!("shipments_origin_{}", world.regions[r.ix()].code).into()
            }
            v => v.as_str().into(),
        }
    }

    /// Unit string written beside every value.
    pub fn unit(self, world: &World, product: ProductId) -> String {
        let pu = &world.products[product.ix()].unit;
        match self {
            Variable::Production
            | Variable::Shipments
            | Variable::Arrivals
            | Variable::Consumption
            | Variable::UnmetDemand
            | Variable::ShipmentsOfOrigin(_) => format!("{pu}/day"),
            Variable::Inventory | Variable::Stockpile => pu.clone(),
            Variable::DaysOfCover => "days".into(),
            Variable::Price | Variable::LandedCost => "USD/kg".into(),
            Variable::LicencesApplied
            | Variable::LicencesApproved
            | Variable::LicencesDenied
            | Variable::LicencesPending => "count".into(),
            Variable::OfftakeTopUp => "USD".into(),
        }
    }
}

/// One value of one series on one day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Record {
    pub day: Day,
    pub region: RegionId,
    pub partner: Option<RegionId>,
    pub product: ProductId,
    pub variable: Variable,
    pub value: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LicenceOutcome {
    Approved,
    Denied,
    Pending,
}

impl LicenceOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            LicenceOutcome::Approved => "approved",
            LicenceOutcome::Denied => "denied",
            LicenceOutcome::Pending => "pending",
        }
    }
}

/// One licence application, as it stands at the end of the run.
#[derive(Debug, Clone, PartialEq)]
pub struct LicenceRecord {
    pub id: u64,
    pub exporter: RegionId,
    pub importer: RegionId,
    pub product: ProductId,
    pub quantity: f64,
    pub end_use: String,
    pub filed: Day,
    /// Decision day (drawn at filing; a pending licence's decision lies beyond the horizon).
    pub decided: Option<Day>,
    pub outcome: LicenceOutcome,
    /// Day the last of the licensed quantity shipped, if it has.
    pub shipped: Option<Day>,
}

/// Receives everything a run emits, in a deterministic order: records day by day (within a day
/// sorted by variable, region, partner, product), then licences by id at the end.
pub trait Sink {
    fn record(&mut self, record: &Record);
    fn licence(&mut self, licence: &LicenceRecord);
    /// Whether the sink uses daily records at all; when it does not, the engine skips building
    /// them (a pure speed-up: nothing else depends on them).
    fn wants_records(&self) -> bool {
        true
    }
    /// Whether the sink uses the licence table; when it does not, the engine skips building it.
    fn wants_licences(&self) -> bool {
        true
    }
}

/// A sink that keeps everything in memory (tests, small runs).
#[derive(Debug, Default, Clone)]
pub struct VecSink {
    pub records: Vec<Record>,
    pub licences: Vec<LicenceRecord>,
}

impl Sink for VecSink {
    fn record(&mut self, record: &Record) {
        self.records.push(*record);
    }
    fn licence(&mut self, licence: &LicenceRecord) {
        self.licences.push(licence.clone());
    }
}

/// A sink that drops everything (benchmarks, Monte Carlo paths that only need the summary).
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSink;

impl Sink for NullSink {
    fn record(&mut self, _: &Record) {}
    fn licence(&mut self, _: &LicenceRecord) {}
    fn wants_records(&self) -> bool {
        false
    }
    fn wants_licences(&self) -> bool {
        false
    }
}
