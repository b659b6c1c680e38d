//! The values of the levers whose state outlives a day, which [`super::Controls`] declares
//! once per run: [`Thrifting`] (a demand cut triggered by a price that stays high; its kind is
//! `thrifting.rs`) and [`ApprovalUplift`] with [`UpliftTo`] (better licence odds bought by
//! diplomacy; its kind is `approval_uplift.rs`). They live below `controls` so that the
//! controls can hold them without importing the kinds.

use super::selectors::RegionSelector;
use crate::model::{Day, Demand, ProductId, RegionId, World};

#[derive(Debug, Clone, PartialEq)]
pub struct Thrifting {
    pub region: RegionId,
    pub product: ProductId,
    /// The product whose price triggers the lever (`product` unless `price-of` says).
    pub price_of: ProductId,
    /// Price threshold p̄, USD/kg.
    pub price: f64,
    pub lag_days: u32,
    /// Share s of demand avoided at full effect.
    pub share: f64,
    pub ramp_days: u32,
}

impl Thrifting {
    /// Whether final-demand row `d` is one the lever acts on: of `product`, in `region` or one
    /// of its buyer cohorts.
    pub fn covers(&self, world: &World, d: &Demand) -> bool {
        d.product == self.product
            && (d.region == self.region || world.home(d.region) == self.region)
    }

    /// f_d, the share of demand kept on day `day` by a row triggered on day `since`.
    pub fn kept(&self, since: Day, day: Day) -> f64 {
        let ramp = f64::from(self.ramp_days.max(1));
        let done = f64::from(day.saturating_sub(since) + 1);
        1.0 - self.share * (done / ramp).min(1.0)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalUplift {
    pub exporter: RegionId,
    pub destinations: RegionSelector,
    pub to: UpliftTo,
}

/// How an uplift changes the odds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UpliftTo {
    /// Multiplies them, capped at 1.
    Factor(f64),
    /// Raises them to at least this value.
    Approval(f64),
}

impl ApprovalUplift {
    /// Whether the uplift covers applications under `exporter`'s regimes from `importer`.
    pub fn covers(&self, _world: &World, exporter: RegionId, importer: RegionId) -> bool {
        self.exporter == exporter && self.destinations.contains(importer)
    }

    /// p', the odds after the uplift (module docs).
    pub fn apply(&self, p: f64) -> f64 {
        match self.to {
            UpliftTo::Factor(f) => (p * f).min(1.0),
            UpliftTo::Approval(a) => p.max(a),
        }
    }
}
