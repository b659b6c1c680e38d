//! `capacity`: moves a facility's capacity to `capacity` units/day, linearly over `ramp-days`
//! from the capacity on the event date; when the event ends it ramps back the same way
//! ([`Capacity`]). `factor` instead of `capacity` scales the dataset's capacity.
//!
//! Wire keys: `region`, `product`, one of `capacity` (units/day) and `factor`, `ramp-days`.
//! Uncertain numbers: the capacity or the factor ([`Param::Capacity`], with the scale a factor
//! multiplies). Compiled: a [`RampStart`] on its first day and on its end day; the engine keeps
//! the capacity before the ramp to return to. Where the region's buyer cohorts hold the
//! facility, each cohort's facility moves to its share (its part of their baseline capacity)
//! of the capacity.

use super::kind::Kind;
use super::rules::{At, RampStart, RampTo, Rules};
use super::table::{KindTable, ParamOf};
use crate::model::{ProductId, RegionId, World};
use crate::wire::Dim;

#[derive(Debug, Clone, PartialEq)]
pub struct Capacity {
    pub region: RegionId,
    pub product: ProductId,
    pub capacity: f64,
    pub ramp_days: u32,
}

/// The numbers of a capacity change that a distribution may set.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// The capacity is the draw times `scale` (1 for `capacity`, the dataset's capacity for
    /// `factor`).
    Capacity { scale: f64 },
}

impl Kind for Capacity {
    const NAME: &'static str = "capacity";
    const KEYS: &'static [&'static str] = &["region", "product", "capacity", "factor", "ramp-days"];
    type Param = Param;

    fn parse<B: Clone + From<ParamOf<Param>>>(t: &mut KindTable<'_, '_, '_, B>) -> Option<Self> {
        let region = t.req_region("region");
        let product = t.req_product("product");
        let units = t.cx.units_of(&product.into_iter().collect::<Vec<_>>());
        let cap = t.opt_num("capacity", &Dim::Rate(units));
        let factor = t.opt_num("factor", &Dim::One);
        let e = t.e;
        let ramp = match e.tbl.get("ramp-days") {
            Some(v) => t.cx.count(e.f, "ramp-days", v, 0).map(|(r, _)| r),
            None => Some(0),
        };
        let (region, product) = (region?, product?);
        let given = (e.tbl.contains_key("capacity"), e.tbl.contains_key("factor"));
        let capacity = match (cap, factor, given) {
            (Some(c), None, (_, false)) => {
                t.keep("capacity", &c, Param::Capacity { scale: 1.0 });
                t.cx.ge0("capacity", &c).then_some(c.value)?
            }
            (None, Some(x), (false, _)) => {
                t.cx.prov(t.what("factor"), &x, false);
                if !t.cx.ge0("factor", &x) {
                    return None;
                }
                let base = match t
                    .cx
                    .world
                    .facilities
                    .iter()
                    .find(|f| f.region == region && f.product == product)
                {
                    Some(f) => Some(f.capacity),
                    None => cohort_capacity(&t.cx.world, region, product),
                };
                match base {
                    Some(scale) => {
                        t.bind_as(&x, t.what("factor"), Param::Capacity { scale });
                        scale * x.value
                    }
                    None => {
                        let w = &t.cx.world;
                        let (rc, pc) = (
                            w.regions[region.ix()].code.clone(),
                            w.products[product.ix()].code.clone(),
                        );
                        t.cx.err(
                            e.f,
                            x.span.clone(),
                            format!("no facility ({rc}, {pc}) for `factor` to scale"),
                            Some("give `capacity` instead, or add a `[[facility]]`".into()),
                        );
                        return None;
                    }
                }
            }
            (_, _, (true, true)) => {
                let span = e.tbl.get("factor").map_or(e.span.clone(), |v| v.span());
                t.cx.err(
                    e.f,
                    span,
                    "give exactly one of `capacity` and `factor`, not both",
                    None,
                );
                return None;
            }
            (None, None, (false, false)) => {
                t.cx.err(
                    e.f,
                    e.span.clone(),
                    "`capacity` event needs `capacity` or `factor`",
                    None,
                );
                return None;
            }
            _ => return None,
        };
        Some(Capacity {
            region,
            product,
            capacity,
            ramp_days: ramp?,
        })
    }

    fn set(&mut self, param: &Param, value: f64) {
        match param {
            Param::Capacity { scale } => self.capacity = value * scale,
        }
    }

    fn compile(&self, at: &At<'_>, rules: &mut Rules) {
        if !at.starts && !at.ends {
            return;
        }
        let to = |capacity: f64| {
            if at.starts {
                RampTo::Capacity(capacity)
            } else {
                RampTo::Before
            }
        };
        if let Some(facility) = at.net.facility_of[at.net.node(self.region, self.product)] {
            rules.ramps.push(RampStart {
                facility,
                to: to(self.capacity),
                days: self.ramp_days,
            });
            return;
        }
        let world = at.world;
        let Some(total) = cohort_capacity(world, self.region, self.product) else {
            return;
        };
        for (facility, f) in world.facilities.iter().enumerate() {
            if f.product == self.product && world.regions[f.region.ix()].parent == Some(self.region)
            {
                let part = if total > 0.0 { f.capacity / total } else { 0.0 };
                rules.ramps.push(RampStart {
                    facility,
                    to: to(self.capacity * part),
                    days: self.ramp_days,
                });
            }
        }
    }
}

/// The baseline capacity of `product` held by the buyer cohorts of `region`, if they hold any.
fn cohort_capacity(world: &World, region: RegionId, product: ProductId) -> Option<f64> {
    let mut held = world
        .facilities
        .iter()
        .filter(|f| f.product == product && world.regions[f.region.ix()].parent == Some(region))
        .peekable();
    held.peek()?;
    Some(held.map(|f| f.capacity).sum())
}
