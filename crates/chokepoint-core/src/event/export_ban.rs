//! `export-ban`: an exporter stops exports of selected products to selected destinations
//! ([`ExportBan`]): orders on those links are rejected when received, and order-book lines
//! already accepted are cancelled before production.
//!
//! Wire keys: `exporter`, `products`, `destinations` (ids and `@group`s; absent = all),
//! `re-export` and `de-minimis` (a [`ReExportClause`]). No uncertain numbers. Compiled: the
//! links it covers are banned while it is active; with a re-export clause, third countries'
//! links to the same destinations carrying the same products get a [`super::ReExport`] that
//! refuses items with enough traced content of the exporter's origin (`"only"`: those alone).

use super::kind::Kind;
use super::rules::{At, Rules};
use super::selectors::{Exports, ProductSelector, ReExportClause, RegionSelector};
use super::table::{KindTable, ParamOf};
use crate::model::RegionId;

#[derive(Debug, Clone, PartialEq)]
pub struct ExportBan {
    pub exports: Exports,
    pub reexport: Option<ReExportClause>,
}

impl ExportBan {
    /// A ban of every product of `exporter` to every destination, without a re-export
    /// clause: the blunt control most hand-made cases start from.
    pub fn everything(exporter: RegionId) -> ExportBan {
        ExportBan {
            exports: Exports {
                exporter,
                products: ProductSelector::All,
                destinations: RegionSelector::All,
            },
            reexport: None,
        }
    }
}

/// A kind without uncertain numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {}

impl Kind for ExportBan {
    const NAME: &'static str = "export-ban";
    const KEYS: &'static [&'static str] = &[
        "exporter",
        "products",
        "destinations",
        "re-export",
        "de-minimis",
    ];
    type Param = Param;

    fn parse<B: Clone + From<ParamOf<Param>>>(t: &mut KindTable<'_, '_, '_, B>) -> Option<Self> {
        let (exports, _) = t.exports();
        let reexport = t.reexport_clause();
        Some(ExportBan {
            exports: exports?,
            reexport: reexport.ok()?,
        })
    }

    fn set(&mut self, param: &Param, _: f64) {
        match *param {}
    }

    fn traced_origin(&self) -> Option<RegionId> {
        self.reexport.map(|_| self.exports.exporter)
    }

    fn compile(&self, at: &At<'_>, rules: &mut Rules) {
        if !at.active {
            return;
        }
        if self.reexport.is_none_or(|c| !c.only) {
            for l in at.exports(&self.exports) {
                rules.links[l].banned = true;
            }
        }
        if let Some(clause) = &self.reexport {
            at.add_reexport(&self.exports, clause, None, rules);
        }
    }
}
