//! `stockpile-purchase`: buys up to `rate` units/day from a region's commercial stock of a
//! product into its strategic stockpile while active ([`StockpilePurchase`]); the purchases
//! count as usage when the region orders.
//!
//! Wire keys: `region`, `product`, `rate` (units/day, > 0). Uncertain numbers: `rate`
//! ([`Param::Rate`]). Compiled: a [`Purchase`] in force, in scenario order.

use super::kind::Kind;
use super::rules::{At, Purchase, Rules};
use super::table::{KindTable, ParamOf};
use crate::model::{ProductId, RegionId};

#[derive(Debug, Clone, PartialEq)]
pub struct StockpilePurchase {
    pub region: RegionId,
    pub product: ProductId,
    pub rate: f64,
}

/// The numbers of a purchase that a distribution may set.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Rate,
}

impl Kind for StockpilePurchase {
    const NAME: &'static str = "stockpile-purchase";
    const KEYS: &'static [&'static str] = &["region", "product", "rate"];
    type Param = Param;

    fn parse<B: Clone + From<ParamOf<Param>>>(t: &mut KindTable<'_, '_, '_, B>) -> Option<Self> {
        let region = t.req_region("region");
        let product = t.req_product("product");
        let rate = t.rate(product, "rate", Param::Rate);
        Some(StockpilePurchase {
            region: region?,
            product: product?,
            rate: rate?,
        })
    }

    fn set(&mut self, param: &Param, value: f64) {
        match param {
            Param::Rate => self.rate = value,
        }
    }

    fn compile(&self, at: &At<'_>, rules: &mut Rules) {
        if at.active {
            rules.purchases.push(Purchase {
                node: at.net.node(self.region, self.product),
                rate: self.rate,
            });
        }
    }
}
