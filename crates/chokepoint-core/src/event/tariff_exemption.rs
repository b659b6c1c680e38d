//! `tariff-exemption`: partner pairs exempted from tariffs while active
//! ([`TariffExemption`]), e.g. allies exempting each other from a round of tariffs. Every
//! foreign link from one of `exporters` to one of `importers` carrying one of `products` pays
//! no tariff: neither its baseline tariff nor any tariff event's rate, whatever the scenario
//! order (the exemption is applied after every tariff has been added, `Rules::finish`). The
//! rate it removes is kept as the link's `forgone` rate, which the ledger prices as tariff
//! revenue forgone:
//!
//! ```text
//! tariff-exemption = Σ_d Σ_links τ_l,d · P_seller,d · shipped_l,d · 1000
//! ```
//!
//! Wire keys: `importers` and `exporters` (ids and `@group`s; a region stands for its buyer
//! cohorts), `products` (absent = all). No uncertain numbers. Compiled: `exempt` on each
//! covered link.

use super::kind::Kind;
use super::rules::{At, Rules};
use super::selectors::{ProductSelector, RegionSelector};
use super::table::{KindTable, ParamOf};

#[derive(Debug, Clone, PartialEq)]
pub struct TariffExemption {
    pub importers: RegionSelector,
    pub exporters: RegionSelector,
    pub products: ProductSelector,
}

/// A tariff exemption has no number a distribution may set.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {}

impl Kind for TariffExemption {
    const NAME: &'static str = "tariff-exemption";
    const KEYS: &'static [&'static str] = &["importers", "exporters", "products"];
    type Param = Param;

    fn parse<B: Clone + From<ParamOf<Param>>>(t: &mut KindTable<'_, '_, '_, B>) -> Option<Self> {
        // Both sides are named: an exemption of every partner would be a tariff repeal.
        let importers = t.cx.req(t.e, "importers").map(|_| ());
        let exporters = t.cx.req(t.e, "exporters").map(|_| ());
        let (imp, exp) = (t.regions("importers"), t.regions("exporters"));
        let (products, _) = t.products("products");
        importers?;
        exporters?;
        Some(TariffExemption {
            importers: imp,
            exporters: exp,
            products,
        })
    }

    fn set(&mut self, param: &Param, _: f64) {
        match *param {}
    }

    fn compile(&self, at: &At<'_>, rules: &mut Rules) {
        if !at.active {
            return;
        }
        let world = at.world;
        for (l, link) in world.links.iter().enumerate() {
            if world.home(link.from) != world.home(link.to)
                && self.importers.contains(link.to)
                && self.exporters.contains(link.from)
                && self.products.selects(world, link.product)
            {
                rules.links[l].exempt = true;
            }
        }
    }
}
