//! `demand-shock`: multiplies final demand of matching (region, product, end use) by `factor`
//! while active ([`DemandShock`]).
//!
//! Wire keys: `regions` (ids and `@group`s; absent = all), `products`, `end-use` (absent = all),
//! `factor` (>= 0). Uncertain numbers: `factor` ([`Param::Factor`]). Compiled: each matching
//! final-demand row's multiplier is the product of the active shocks' factors, multiplied in
//! scenario order.

use super::kind::Kind;
use super::rules::{At, Rules};
use super::selectors::{ProductSelector, RegionSelector};
use super::table::{KindTable, ParamOf};
use crate::wire::{Dim, unknown_hint};

#[derive(Debug, Clone, PartialEq)]
pub struct DemandShock {
    pub regions: RegionSelector,
    pub products: ProductSelector,
    pub end_use: Option<String>,
    pub factor: f64,
}

/// The numbers of a demand shock that a distribution may set.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Factor,
}

impl Kind for DemandShock {
    const NAME: &'static str = "demand-shock";
    const KEYS: &'static [&'static str] = &["regions", "products", "end-use", "factor"];
    type Param = Param;

    fn parse<B: Clone + From<ParamOf<Param>>>(t: &mut KindTable<'_, '_, '_, B>) -> Option<Self> {
        let regions = t.regions("regions");
        let (products, _) = t.products("products");
        let end_use = match t.cx.opt_str(t.e, "end-use") {
            Some((eu, span)) => {
                let known = t.known_end_uses();
                if !known.iter().any(|k| k == eu) {
                    let hint = unknown_hint("end-uses", eu, &known);
                    t.cx.err(t.e.f, span, format!("unknown end-use `{eu}`"), Some(hint));
                }
                Some(eu.to_string())
            }
            None => None,
        };
        let factor = t
            .req_num("factor", &Dim::One)
            .filter(|n| t.cx.ge0("factor", n));
        if let Some(x) = &factor {
            t.keep("factor", x, Param::Factor);
        }
        Some(DemandShock {
            regions,
            products,
            end_use,
            factor: factor?.value,
        })
    }

    fn set(&mut self, param: &Param, value: f64) {
        match param {
            Param::Factor => self.factor = value,
        }
    }

    fn compile(&self, at: &At<'_>, rules: &mut Rules) {
        if !at.active {
            return;
        }
        for (i, d) in at.world.demands.iter().enumerate() {
            if self.regions.contains(d.region)
                && self.products.selects(at.world, d.product)
                && self.end_use.as_ref().is_none_or(|u| *u == d.end_use)
            {
                rules.demand[i] *= self.factor;
            }
        }
    }
}
