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
        let floor = match t.opt_num("floor", &Dim::Price) {
            Some(n) => {
                t.keep("floor", &n, Param::Floor);
                t.cx.ge0("floor", &n).then_some(n.value)
            }
            None => Some(0.0),
        };
        Some(Offtake {
            buyer: buyer?,
            supplier: supplier?,
            product: product?,
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
