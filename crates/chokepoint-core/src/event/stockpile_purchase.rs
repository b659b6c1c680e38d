//! `stockpile-purchase`: buys up to `rate` units/day from a region's commercial stock of a
//! product into its strategic stockpile while active ([`StockpilePurchase`]); the purchases
//! count as usage when the region orders. A refill rule: only up to `refill-to` units held,
//! and only on days when the node's price is at most `below-price`, when given
//! ([`Purchase::wanted`]).
//!
//! Wire keys: `region`, `product`, `rate` (units/day, > 0), `refill-to` (units, at least 0),
//! `below-price` (USD/kg, > 0). Uncertain numbers: all three ([`Param`]). Compiled: a
//! [`Purchase`] in force, in scenario order.

use super::kind::Kind;
use super::rules::{At, Purchase, Rules};
use super::table::{KindTable, ParamOf};
use crate::model::{ProductId, RegionId};
use crate::wire::Dim;

#[derive(Debug, Clone, PartialEq)]
pub struct StockpilePurchase {
    pub region: RegionId,
    pub product: ProductId,
    pub rate: f64,
    pub refill_to: Option<f64>,
    pub below_price: Option<f64>,
}

/// The numbers of a purchase that a distribution may set.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Rate,
    RefillTo,
    BelowPrice,
}

impl Kind for StockpilePurchase {
    const NAME: &'static str = "stockpile-purchase";
    const KEYS: &'static [&'static str] =
        &["region", "product", "rate", "refill-to", "below-price"];
    type Param = Param;

    fn parse<B: Clone + From<ParamOf<Param>>>(t: &mut KindTable<'_, '_, '_, B>) -> Option<Self> {
        let region = t.req_region("region");
        let product = t.req_product("product");
        let rate = t.rate(product, "rate", Param::Rate);
        let units = t.cx.units_of(&product.into_iter().collect::<Vec<_>>());
        let refill_to = t.opt_checked("refill-to", &Dim::Qty(units), Param::RefillTo, false);
        let below_price = t.opt_checked("below-price", &Dim::Price, Param::BelowPrice, true);
        Some(StockpilePurchase {
            region: region?,
            product: product?,
            rate: rate?,
            refill_to: refill_to.ok()?,
            below_price: below_price.ok()?,
        })
    }

    fn set(&mut self, param: &Param, value: f64) {
        match param {
            Param::Rate => self.rate = value,
            Param::RefillTo => self.refill_to = Some(value),
            Param::BelowPrice => self.below_price = Some(value),
        }
    }

    fn compile(&self, at: &At<'_>, rules: &mut Rules) {
        if at.active {
            rules.purchases.push(Purchase {
                node: at.net.node(self.region, self.product),
                rate: self.rate,
                refill_to: self.refill_to,
                below_price: self.below_price,
            });
        }
    }
}
