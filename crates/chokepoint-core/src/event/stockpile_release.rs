//! `stockpile-release`: moves up to `rate` units/day from a region's strategic stockpile of a
//! product into its commercial stock while active; with triggers, only on days when commercial
//! days of cover are below `trigger-days-of-cover` or the node's price is at or above
//! `trigger-price` (either suffices when both are given) ([`StockpileRelease`]).
//!
//! Wire keys: `region`, `product`, `rate` (units/day, > 0), `trigger-days-of-cover` (days, at
//! least 0), `trigger-price` (USD/kg, > 0). Uncertain numbers: `rate` and the triggers
//! ([`Param`]). Compiled: a [`Release`] in force, in scenario order (the engine applies
//! releases before final demand).

use super::kind::Kind;
use super::rules::{At, Release, Rules};
use super::table::{KindTable, ParamOf};
use crate::model::{ProductId, RegionId};
use crate::wire::Dim;

#[derive(Debug, Clone, PartialEq)]
pub struct StockpileRelease {
    pub region: RegionId,
    pub product: ProductId,
    pub rate: f64,
    pub trigger_days: Option<f64>,
    pub trigger_price: Option<f64>,
}

/// The numbers of a release that a distribution may set.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Rate,
    TriggerDays,
    TriggerPrice,
}

impl Kind for StockpileRelease {
    const NAME: &'static str = "stockpile-release";
    const KEYS: &'static [&'static str] = &[
        "region",
        "product",
        "rate",
        "trigger-days-of-cover",
        "trigger-price",
    ];
    type Param = Param;

    fn parse<B: Clone + From<ParamOf<Param>>>(t: &mut KindTable<'_, '_, '_, B>) -> Option<Self> {
        let region = t.req_region("region");
        let product = t.req_product("product");
        let rate = t.rate(product, "rate", Param::Rate);
        let trigger = t.opt_checked(
            "trigger-days-of-cover",
            &Dim::Days,
            Param::TriggerDays,
            false,
        );
        let trigger_price = t.opt_checked("trigger-price", &Dim::Price, Param::TriggerPrice, true);
        Some(StockpileRelease {
            region: region?,
            product: product?,
            rate: rate?,
            trigger_days: trigger.ok()?,
            trigger_price: trigger_price.ok()?,
        })
    }

    fn set(&mut self, param: &Param, value: f64) {
        match param {
            Param::Rate => self.rate = value,
            Param::TriggerDays => self.trigger_days = Some(value),
            Param::TriggerPrice => self.trigger_price = Some(value),
        }
    }

    fn compile(&self, at: &At<'_>, rules: &mut Rules) {
        if at.active {
            rules.releases.push(Release {
                node: at.net.node(self.region, self.product),
                rate: self.rate,
                trigger_days: self.trigger_days,
                trigger_price: self.trigger_price,
            });
        }
    }
}
