//! `tariff`: adds `rate` to the tariff on an importer's imports of selected products from
//! selected exporters while active ([`Tariff`]). Tariffs change landed cost and the segment
//! price's tariff term, not supplier choice.
//!
//! Wire keys: `importer`, `exporters` (ids and `@group`s; absent = all), `products`, `rate`
//! (a fraction, > -1). Uncertain numbers: `rate` ([`Param::Rate`]). Compiled: each covered
//! foreign link's tariff is its baseline plus the active tariff events' rates, added in
//! scenario order.

use super::kind::Kind;
use super::rules::{At, Rules};
use super::selectors::{ProductSelector, RegionSelector};
use super::table::{KindTable, ParamOf};
use crate::model::RegionId;
use crate::wire::Dim;

#[derive(Debug, Clone, PartialEq)]
pub struct Tariff {
    pub importer: RegionId,
    pub exporters: RegionSelector,
    pub products: ProductSelector,
    pub rate: f64,
}

/// The numbers of a tariff that a distribution may set.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Rate,
}

impl Kind for Tariff {
    const NAME: &'static str = "tariff";
    const KEYS: &'static [&'static str] = &["importer", "exporters", "products", "rate"];
    type Param = Param;

    fn parse<B: Clone + From<ParamOf<Param>>>(t: &mut KindTable<'_, '_, '_, B>) -> Option<Self> {
        let importer = t.req_region("importer");
        let exporters = t.regions("exporters");
        let (products, _) = t.products("products");
        let rate = t
            .req_num("rate", &Dim::One)
            .filter(|n| t.cx.range_ok("rate", n, |x| x > -1.0, "> -1"));
        if let Some(r) = &rate {
            t.keep("rate", r, Param::Rate);
        }
        Some(Tariff {
            importer: importer?,
            exporters,
            products,
            rate: rate?.value,
        })
    }

    fn set(&mut self, param: &Param, value: f64) {
        match param {
            Param::Rate => self.rate = value,
        }
    }

    fn compile(&self, at: &At<'_>, rules: &mut Rules) {
        if !at.active {
            return;
        }
        for (l, link) in at.world.links.iter().enumerate() {
            // A region and its buyer cohorts share one home: trade inside it is domestic, and
            // a tariff of the region is its cohorts' too.
            let home = at.world.home(link.to);
            if at.world.home(link.from) != home
                && home == self.importer
                && self.exporters.contains(link.from)
                && self.products.selects(at.world, link.product)
            {
                rules.links[l].tariff += self.rate;
            }
        }
    }
}
