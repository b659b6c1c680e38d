//! What the levers of a scenario cost and what lost output is worth: the `[costs]` section of a
//! scenario (docs/scenario.md), read by `scenario/costs.rs` and priced by [`crate::ledger`].
//!
//! [`Costs`] holds the unit costs: the yearly holding rate of strategic stockpiles, the value of
//! a tonne of end-use output lost per end use ([`ValueLost`]), the capex of capacity added per
//! (region, product) ([`BuildOut`]), what recycled supply costs ([`RecyclingCost`]), what a
//! thrifting lever costs ([`ThriftingCost`]) and what diplomacy for an approval uplift costs
//! ([`UpliftCost`]). Stockpile purchases, offtake top-ups and tariff exemptions need no unit
//! cost: they are paid at the simulated price (an exemption's cost is the tariff revenue
//! forgone on the flow it exempts). Every number keeps its source in the world's
//! provenance, like the dataset's.

use crate::model::{ProductId, RegionId};

/// The unit costs of a scenario's levers. A scenario without `[costs]` has none, and its run
/// writes no cost table.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Costs {
    /// Cost of holding a strategic stockpile for a year, as a share of its value at the
    /// product's price on the first day (storage, insurance and the capital tied up).
    pub holding_rate: f64,
    /// Value of end-use output lost, per end use, in scenario order.
    pub value_lost: Vec<ValueLost>,
    /// Capex of capacity added, per (region, product), in scenario order.
    pub build_out: Vec<BuildOut>,
    /// Recycling costs, per (region, product), in scenario order.
    pub recycling: Vec<RecyclingCost>,
    /// Thrifting costs, per (region, product), in scenario order.
    pub thrifting: Vec<ThriftingCost>,
    /// Approval uplift costs, per (exporter, destination), in scenario order.
    pub approval_uplift: Vec<UpliftCost>,
}

/// What recycled supply of one product in one region (a region covers its buyer cohorts)
/// costs: capex per kg/yr of recycling capacity (charged on the largest daily supply × 365) and
/// an operating cost per kg recycled, of which the lever pays what the market price does not
/// cover, max(0, opex − P).
#[derive(Debug, Clone, PartialEq)]
pub struct RecyclingCost {
    pub region: RegionId,
    pub product: ProductId,
    pub capex_usd_per_kg_year: f64,
    pub opex_usd_per_kg: f64,
}

/// What a thrifting lever on one product in one region costs: USD per kg of demand avoided
/// (the dearer design's cost per kg of magnet not bought) and a one-off redesign cost per
/// buyer (the region, or each of its cohorts) that triggers.
#[derive(Debug, Clone, PartialEq)]
pub struct ThriftingCost {
    pub region: RegionId,
    pub product: ProductId,
    pub usd_per_kg_avoided: f64,
    pub redesign_usd: f64,
}

/// What an approval uplift of `exporter` for `destination` costs: USD a year while it is in
/// force and a one-off USD once it has been in force on a reported day.
#[derive(Debug, Clone, PartialEq)]
pub struct UpliftCost {
    pub exporter: RegionId,
    pub destination: RegionId,
    pub usd_per_year: f64,
    pub one_off_usd: f64,
}

/// Value of one kg of lost output of an end use (USD/kg of end-use product, the product's own
/// unit: for world-2024's components, kg of magnet fitted).
#[derive(Debug, Clone, PartialEq)]
pub struct ValueLost {
    pub end_use: String,
    pub usd_per_kg: f64,
}

/// Capex of capacity added at one facility: USD per kg/yr of capacity above the baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildOut {
    pub region: RegionId,
    pub product: ProductId,
    pub usd_per_kg_year: f64,
}

impl Costs {
    /// The value of a kg of lost output of `end_use`; 0 when the scenario gives none.
    pub fn value_of(&self, end_use: &str) -> f64 {
        self.value_lost
            .iter()
            .find(|v| v.end_use == end_use)
            .map_or(0.0, |v| v.usd_per_kg)
    }
}
