//! `thrifting`: buyers use less of a product once its price has stayed high ([`Thrifting`]):
//! thrifting (less magnet per motor) or substitution by a design that does without it. When the
//! price of `price-of` (default: `product` itself) in the region of a final-demand row of
//! `product` in `region` (or in one of its buyer cohorts) has been above `price` on
//! `lag-days` + 1 consecutive days, the row is triggered, and its final demand falls by
//! `share`, ramping linearly over `ramp-days`:
//!
//! ```text
//! t*  = first day d with P_d' > p̄ for every d' in d − L ..= d   (L = lag-days)
//! f_d = 1 − s · min(1, (d − t* + 1) / max(ramp, 1))             for d ≥ t*, else 1
//! D'_d = f_d · D_d                                               (D_d: docs/model.md step 6)
//! ```
//!
//! A redesign is not undone: once triggered, a row stays triggered while the event is active
//! (the price falling back does not restore demand); outside the event's days demand is not
//! cut. Days before the event do not count towards the lag.
//!
//! Wire keys: `region`, `product`, `price-of` (a product, default `product`), `price` (USD/kg,
//! above 0), `lag-days` (default 0), `share` (in (0, 1]), `ramp-days` (default 0). With
//! world-2024's components, whose unit is the magnet fitted, `product = "ev-traction-motor"`
//! and `price-of = "ndfeb-magnet-hre"` is less magnet per motor once magnets are dear.
//! Uncertain numbers: `price` and `share` ([`Param`]). Declared once in `Controls::thrifts`
//! (the engine keeps its trigger per demand row); compiled: its index in `Rules::thrifts` on
//! its active days.

use super::controls::Controls;
use super::kind::Kind;
pub use super::levers::Thrifting;
use super::rules::{At, Rules};
use super::table::{KindTable, ParamOf};
use crate::model::Day;
use crate::wire::Dim;

/// The numbers of a thrifting lever that a distribution may set.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Price,
    Share,
}

impl Kind for Thrifting {
    const NAME: &'static str = "thrifting";
    const KEYS: &'static [&'static str] = &[
        "region",
        "product",
        "price-of",
        "price",
        "lag-days",
        "share",
        "ramp-days",
    ];
    type Param = Param;

    fn parse<B: Clone + From<ParamOf<Param>>>(t: &mut KindTable<'_, '_, '_, B>) -> Option<Self> {
        let region = t.req_region("region");
        let product = t.req_product("product");
        let price_of = match t.e.tbl.get("price-of") {
            Some(_) => t.req_product("price-of"),
            None => product,
        };
        let price = t.req_num("price", &Dim::Price).and_then(|n| {
            t.keep("price", &n, Param::Price);
            t.cx.gt0("price", &n).then_some(n.value)
        });
        let share = t.req_num("share", &Dim::One).and_then(|n| {
            t.keep("share", &n, Param::Share);
            t.cx.range_ok("share", &n, |x| x > 0.0 && x <= 1.0, "in (0, 1]")
                .then_some(n.value)
        });
        let e = t.e;
        let mut days = |key: &str| match e.tbl.get(key) {
            Some(v) => t.cx.count(e.f, key, v, 0).map(|(r, _)| r),
            None => Some(0),
        };
        let (lag, ramp) = (days("lag-days"), days("ramp-days"));
        let (region, product) = (region?, product?);
        let w = &t.cx.world;
        let has_demand = w
            .demands
            .iter()
            .any(|d| d.product == product && (d.region == region || w.home(d.region) == region));
        if !has_demand {
            let (rc, pc) = (
                w.regions[region.ix()].code.clone(),
                w.products[product.ix()].code.clone(),
            );
            let span = e.tbl.get("product").map_or(e.span.clone(), |v| v.span());
            t.cx.err(
                e.f,
                span,
                format!("no final demand for `{pc}` in `{rc}` for thrifting to cut"),
                Some("thrifting acts on final-demand rows: name a product with a `[[demand]]` in the region".into()),
            );
            return None;
        }
        Some(Thrifting {
            region,
            product,
            price_of: price_of?,
            price: price?,
            lag_days: lag?,
            share: share?,
            ramp_days: ramp?,
        })
    }

    fn set(&mut self, param: &Param, value: f64) {
        match param {
            Param::Price => self.price = value,
            Param::Share => self.share = value,
        }
    }

    fn declare<'a>(
        &'a self,
        _start: Day,
        _end: Option<Day>,
        controls: &mut Controls<'a>,
    ) -> Option<u32> {
        Some(controls.add_thrift(self))
    }

    fn compile(&self, at: &At<'_>, rules: &mut Rules) {
        if at.active
            && let Some(i) = at.control
        {
            rules.thrifts.push(i);
        }
    }
}
