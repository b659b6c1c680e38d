//! `general-licence`: an exporter waives review of selected products for selected destinations
//! ([`GeneralLicence`]): while active, orders on those links ship as if unlicensed, whatever
//! licensing regime would govern them.
//!
//! Wire keys: `exporter`, `products`, `destinations` (ids and `@group`s; absent = all). No
//! uncertain numbers. Compiled: marks the links it covers; [`super::Rules::compile`] then lifts
//! their licensing.

use super::kind::Kind;
use super::rules::{At, Rules};
use super::selectors::Exports;
use super::table::{KindTable, ParamOf};

#[derive(Debug, Clone, PartialEq)]
pub struct GeneralLicence {
    pub exports: Exports,
}

/// A kind without uncertain numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {}

impl Kind for GeneralLicence {
    const NAME: &'static str = "general-licence";
    const KEYS: &'static [&'static str] = &["exporter", "products", "destinations"];
    type Param = Param;

    fn parse<B: Clone + From<ParamOf<Param>>>(t: &mut KindTable<'_, '_, '_, B>) -> Option<Self> {
        let (exports, _) = t.exports();
        Some(GeneralLicence { exports: exports? })
    }

    fn set(&mut self, param: &Param, _: f64) {
        match *param {}
    }

    fn compile(&self, at: &At<'_>, rules: &mut Rules) {
        if at.active {
            for l in at.exports(&self.exports) {
                rules.links[l].general = true;
            }
        }
    }
}
