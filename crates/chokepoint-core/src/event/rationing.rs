//! `rationing`: changes the rule by which one supplier region shares out output when orders
//! exceed it ([`RationingChange`]): proportional, domestic-first or ally-priority (own region,
//! then the members of a group, then the rest).
//!
//! Wire keys: `region`, `rule`, `ally-group` (with `ally-priority`). No uncertain numbers.
//! Compiled: the region's rule while active (the last active change in scenario order wins;
//! otherwise the scenario's default rule).

use super::kind::Kind;
use super::rules::{At, Rules};
use super::table::{KindTable, ParamOf};
use crate::model::{Rationing, RegionId};
use crate::wire::rationing;

#[derive(Debug, Clone, PartialEq)]
pub struct RationingChange {
    pub region: RegionId,
    pub rule: Rationing,
}

/// A kind without uncertain numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {}

impl Kind for RationingChange {
    const NAME: &'static str = "rationing";
    const KEYS: &'static [&'static str] = &["region", "rule", "ally-group"];
    type Param = Param;

    fn parse<B: Clone + From<ParamOf<Param>>>(t: &mut KindTable<'_, '_, '_, B>) -> Option<Self> {
        let region = t.req_region("region");
        let rule = rationing(t.cx, t.e, "rule", "ally-group", true);
        Some(RationingChange {
            region: region?,
            rule: rule?,
        })
    }

    fn set(&mut self, param: &Param, _: f64) {
        match *param {}
    }

    fn compile(&self, at: &At<'_>, rules: &mut Rules) {
        if at.active {
            // A region's buyer cohorts make part of its products and ration them by its rule.
            for (r, region) in at.world.regions.iter().enumerate() {
                if r == self.region.ix() || region.parent == Some(self.region) {
                    rules.rationing[r] = self.rule.clone();
                }
            }
        }
    }
}
