//! `recycling`: recycled supply of a product enters a region's commercial stock while active
//! ([`Recycling`]): `rate` units/day at full scale, reached linearly over `ramp-days` from the
//! event's date (the date is when the recycling line starts; its delay after a decision is the
//! scenario's to state). It stands for end-of-life scrap collected and reprocessed, or a
//! recycling plant's output, without modelling the scrap stream itself.
//!
//! Wire keys: `region`, `product`, `rate` (units/day, > 0), `ramp-days` (default 0). Uncertain
//! numbers: `rate` ([`Param::Rate`]). Compiled: a [`Recycle`] in force on its active days; the
//! engine adds [`Recycle::on`] of the day to the stock before final demand, and the ledger
//! prices it from `[costs] recycling`.

use super::kind::Kind;
use super::rules::{At, Recycle, Rules};
use super::table::{KindTable, ParamOf};
use crate::model::{ProductId, RegionId};

#[derive(Debug, Clone, PartialEq)]
pub struct Recycling {
    pub region: RegionId,
    pub product: ProductId,
    /// Units/day at full scale.
    pub rate: f64,
    pub ramp_days: u32,
}

/// The numbers of a recycling lever that a distribution may set.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Rate,
}

impl Kind for Recycling {
    const NAME: &'static str = "recycling";
    const KEYS: &'static [&'static str] = &["region", "product", "rate", "ramp-days"];
    type Param = Param;

    fn parse<B: Clone + From<ParamOf<Param>>>(t: &mut KindTable<'_, '_, '_, B>) -> Option<Self> {
        let region = t.req_region("region");
        let product = t.req_product("product");
        let rate = t.rate(product, "rate", Param::Rate);
        let e = t.e;
        let ramp = match e.tbl.get("ramp-days") {
            Some(v) => t.cx.count(e.f, "ramp-days", v, 0).map(|(r, _)| r),
            None => Some(0),
        };
        Some(Recycling {
            region: region?,
            product: product?,
            rate: rate?,
            ramp_days: ramp?,
        })
    }

    fn set(&mut self, param: &Param, value: f64) {
        match param {
            Param::Rate => self.rate = value,
        }
    }

    fn compile(&self, at: &At<'_>, rules: &mut Rules) {
        if at.active {
            rules.recycling.push(Recycle {
                node: at.net.node(self.region, self.product),
                rate: self.rate,
                start: at.start,
                ramp_days: self.ramp_days,
            });
        }
    }
}
