//! Who and what an event applies to: [`ProductSelector`] (all products, a list, or every
//! product containing one of some elements, optionally only at some stages), [`RegionSelector`] (all regions or a list), and
//! [`Exports`], the scope of an export control (an exporter's foreign links to some
//! destinations carrying some products), and [`ReExportClause`], which extends a control to
//! third countries' exports by the traced origin of their content.

use crate::model::{ProductId, RegionId, Stage, World};

/// Which products an event applies to.
#[derive(Debug, Clone, PartialEq)]
pub enum ProductSelector {
    All,
    Ids(Vec<ProductId>),
    /// Every product with a positive content of any of these elements.
    Elements(Vec<String>),
    /// Every product at one of `stages` with a positive content of any of `elements`: a control
    /// on materials and magnets that leaves the parts they are fitted into free (April 2025).
    ElementsAtStages {
        elements: Vec<String>,
        stages: Vec<Stage>,
    },
}

impl ProductSelector {
    /// Does the selector pick product `p` of `world`?
    pub fn selects(&self, world: &World, p: ProductId) -> bool {
        match self {
            ProductSelector::All => true,
            ProductSelector::Ids(v) => v.contains(&p),
            ProductSelector::Elements(els) => world.products[p.ix()].contains_any(els),
            ProductSelector::ElementsAtStages { elements, stages } => {
                let product = &world.products[p.ix()];
                stages.contains(&product.stage) && product.contains_any(elements)
            }
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

/// A re-export clause on an export control of exporter X: a third country's export to a
/// destination the control covers, of a product it covers, is treated as X's own export when
/// the X-origin content of the item shipped is worth at least `de_minimis` of its value (any
/// X-origin content when `de_minimis` is 0). The engine traces origins for this
/// (`engine/origins.rs`); the test is applied to the item's traced origin at shipping.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReExportClause {
    /// Only third countries' exports: X's own links are left to the scenario's other events.
    pub only: bool,
    /// Share of the item's value (0 ≤ de_minimis < 1) from which X-origin content counts.
    pub de_minimis: f64,
}

impl ReExportClause {
    /// Whether an item whose X-origin content is worth `value_share` of its value is covered:
    /// `value_share ≥ de_minimis` and some X-origin content at all (so that a de minimis of
    /// 0 means "any content", not "every item").
    pub fn covers(&self, value_share: f64) -> bool {
        value_share > 0.0 && value_share >= self.de_minimis
    }
}
