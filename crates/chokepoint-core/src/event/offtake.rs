//! `offtake`: a buyer orders `rate` units/day of a product from a supplier ahead of its other
//! orders, the supplier serves it first, and the buyer pays at least `floor` USD/kg
//! ([`Offtake`]): when the supplier's segment price is below the floor the difference is paid
//! as a top-up.
//!
//! Wire keys: `buyer`, `supplier`, `product`, `rate` (units/day, > 0), `floor` (USD/kg, default
//! 0). Uncertain numbers: `rate` and `floor` ([`Param`]). Compiled: an [`OfftakeOrder`] on the
//! buyer's link from the supplier (none if there is no such link) and the link's price floor
//! (the highest of the active offtakes on it).

use super::kind::Kind;
use super::rules::{At, OfftakeOrder, Rules};
use super::table::{KindTable, ParamOf};
use crate::model::{ProductId, RegionId};
use crate::wire::Dim;

/// Reports an offtake between a region and a partner whose trade in `product` its buyer
/// cohorts took over: the link the offtake orders on is a cohort's.
fn cohorts_hold<B: Clone + From<ParamOf<Param>>>(
    t: &mut KindTable<'_, '_, '_, B>,
    buyer: RegionId,
    supplier: RegionId,
    product: ProductId,
) {
    let w = &t.cx.world;
    let linked = |from: RegionId, to: RegionId| {
        w.links
            .iter()
            .any(|l| l.from == from && l.to == to && l.product == product)
    };
    if linked(supplier, buyer) {
        return;
    }
    let of = |r: RegionId| -> Vec<String> {
        w.regions
            .iter()
            .enumerate()
            .filter(|(_, x)| x.parent == Some(r))
            .filter(|(c, _)| {
                let c = RegionId(*c as u32);
                linked(supplier, c) || linked(c, buyer)
            })
            .map(|(_, x)| format!("`{}`", x.code))
            .collect()
    };
    let (for_buyer, for_supplier) = (of(buyer), of(supplier));
    let (key, names) = if !for_buyer.is_empty() {
        ("buyer", for_buyer)
    } else if !for_supplier.is_empty() {
        ("supplier", for_supplier)
    } else {
        return;
    };
    let (bc, sc, pc) = (
        w.regions[buyer.ix()].code.clone(),
        w.regions[supplier.ix()].code.clone(),
        w.products[product.ix()].code.clone(),
    );
    let e = t.e;
    let span = e.tbl.get(key).map_or(e.span.clone(), |v| v.span());
    t.cx.err(
        e.f,
        span,
        format!("no link {sc}->{bc} for `{pc}`: buyer cohorts hold this trade"),
        Some(format!("name a cohort as `{key}`: {}", names.join(", "))),
    );
}

#[derive(Debug, Clone, PartialEq)]
pub struct Offtake {
    pub buyer: RegionId,
    pub supplier: RegionId,
    pub product: ProductId,
    pub rate: f64,
    pub floor: f64,
}

/// The numbers of an offtake that a distribution may set.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Rate,
    Floor,
}

impl Kind for Offtake {
    const NAME: &'static str = "offtake";
    const KEYS: &'static [&'static str] = &["buyer", "supplier", "product", "rate", "floor"];
    type Param = Param;

    fn parse<B: Clone + From<ParamOf<Param>>>(t: &mut KindTable<'_, '_, '_, B>) -> Option<Self> {
        let buyer = t.req_region("buyer");
        let supplier = t.req_region("supplier");
        let product = t.req_product("product");
        let rate = t.rate(product, "rate", Param::Rate);
        let floor = t
            .opt_checked("floor", &Dim::Price, Param::Floor, false)
            .ok()
            .map(|f| f.unwrap_or(0.0));
        let (buyer, supplier, product) = (buyer?, supplier?, product?);
        cohorts_hold(t, buyer, supplier, product);
        Some(Offtake {
            buyer,
            supplier,
            product,
            rate: rate?,
            floor: floor?,
        })
    }

    fn set(&mut self, param: &Param, value: f64) {
        match param {
            Param::Rate => self.rate = value,
            Param::Floor => self.floor = value,
        }
    }

    fn compile(&self, at: &At<'_>, rules: &mut Rules) {
        // Where buyer cohorts hold the link, the parser has asked for a cohort by name.
        if !at.active {
            return;
        }
        let (world, net) = (at.world, at.net);
        let node = net.node(self.buyer, self.product);
        let from_supplier = |l: &&usize| world.links[**l].from == self.supplier;
        if let Some(&link) = net.links_into[node].iter().find(from_supplier) {
            rules.offtakes.push(OfftakeOrder {
                node,
                link,
                rate: self.rate,
            });
        }
        for (l, link) in world.links.iter().enumerate() {
            if link.to == self.buyer && link.from == self.supplier && link.product == self.product {
                let floor = &mut rules.links[l].offtake_floor;
                *floor = floor.max(self.floor);
            }
        }
    }
}
