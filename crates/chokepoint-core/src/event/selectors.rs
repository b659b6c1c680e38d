//! Who and what an event applies to: [`ProductSelector`] (all products, a list, or every
//! product containing one of some elements), [`RegionSelector`] (all regions or a list), and
//! [`Exports`], the scope of an export control (an exporter's foreign links to some
//! destinations carrying some products).

use crate::model::{ProductId, RegionId, World};

/// Which products an event applies to.
#[derive(Debug, Clone, PartialEq)]
pub enum ProductSelector {
    All,
    Ids(Vec<ProductId>),
    /// Every product with a positive content of any of these elements.
    Elements(Vec<String>),
}

impl ProductSelector {
    /// Does the selector pick product `p` of `world`?
    pub fn selects(&self, world: &World, p: ProductId) -> bool {
        match self {
            ProductSelector::All => true,
            ProductSelector::Ids(v) => v.contains(&p),
            ProductSelector::Elements(els) => world.products[p.ix()].contains_any(els),
        }
    }
}

/// Which exports an export control covers: the exporter's foreign links (supplier region ≠
/// buyer region) to a region `destinations` contains, carrying a product `products` selects.
#[derive(Debug, Clone, PartialEq)]
pub struct Exports {
    pub exporter: RegionId,
    pub products: ProductSelector,
    pub destinations: RegionSelector,
}

/// Which regions an event applies to; `All` excludes the actor itself where that matters.
#[derive(Debug, Clone, PartialEq)]
pub enum RegionSelector {
    All,
    Ids(Vec<RegionId>),
}

impl RegionSelector {
    pub fn contains(&self, r: RegionId) -> bool {
        match self {
            RegionSelector::All => true,
            RegionSelector::Ids(v) => v.contains(&r),
        }
    }
}
