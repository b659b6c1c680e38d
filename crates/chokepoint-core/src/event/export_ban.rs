//! `export-ban`: an exporter stops exports of selected products to selected destinations
//! ([`ExportBan`]): orders on those links are rejected when received, and order-book lines
//! already accepted are cancelled before production.
//!
//! Wire keys: `exporter`, `products`, `destinations` (ids and `@group`s; absent = all). No
//! uncertain numbers. Compiled: the links it covers are banned while it is active.

use super::kind::Kind;
use super::rules::{At, Rules};
use super::selectors::Exports;
use super::table::{KindTable, ParamOf};

#[derive(Debug, Clone, PartialEq)]
pub struct ExportBan {
    pub exports: Exports,
}

/// A kind without uncertain numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {}

impl Kind for ExportBan {
    const NAME: &'static str = "export-ban";
    const KEYS: &'static [&'static str] = &["exporter", "products", "destinations"];
    type Param = Param;

    fn parse<B: Clone + From<ParamOf<Param>>>(t: &mut KindTable<'_, '_, '_, B>) -> Option<Self> {
        let (exports, _) = t.exports();
        Some(ExportBan { exports: exports? })
    }

    fn set(&mut self, param: &Param, _: f64) {
        match *param {}
    }

    fn compile(&self, at: &At<'_>, rules: &mut Rules) {
        if at.active {
            for l in at.exports(&self.exports) {
                rules.links[l].banned = true;
            }
        }
    }
}
