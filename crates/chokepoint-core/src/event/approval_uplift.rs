//! `approval-uplift`: diplomacy that raises an exporter's licence-approval odds for some
//! destinations ([`ApprovalUplift`]). An application filed while the uplift is active, under
//! a licensing regime of `exporter`, from a buyer in `destinations`, is decided with odds
//!
//! ```text
//! p' = min(1, p · factor)       (factor)
//! p' = max(p, approval)         (approval: raised to at least this value)
//! ```
//!
//! where p is what the regime's terms say (end-use, destination or default); several uplifts
//! in force apply in scenario order. Lead times do not change. The uplift is read when the
//! decision is drawn, for the day the application was filed, so a decision drawn later (the
//! Monte Carlo opening defers draws) sees the uplift of its filing day.
//!
//! Wire keys: `exporter`, `destinations` (ids and `@group`s), one of `factor` (> 0) and
//! `approval` (in [0, 1]). Uncertain numbers: the factor or the approval ([`Param`], read only
//! at decisions). Declared once in `Controls::uplifts` with its window; compiles nothing.

use super::controls::{Controls, Uplift};
use super::kind::Kind;
pub use super::levers::{ApprovalUplift, UpliftTo};
use super::rules::{At, Rules};
use super::table::{KindTable, ParamOf};
use crate::model::Day;
use crate::wire::Dim;

/// The numbers of an uplift that a distribution may set.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Factor,
    Approval,
}

impl Kind for ApprovalUplift {
    const NAME: &'static str = "approval-uplift";
    const KEYS: &'static [&'static str] = &["exporter", "destinations", "factor", "approval"];
    type Param = Param;

    fn parse<B: Clone + From<ParamOf<Param>>>(t: &mut KindTable<'_, '_, '_, B>) -> Option<Self> {
        let exporter = t.req_region("exporter");
        let named = t.cx.req(t.e, "destinations").map(|_| ());
        let destinations = t.regions("destinations");
        let e = t.e;
        let factor = t.opt_num("factor", &Dim::One).and_then(|n| {
            t.keep("factor", &n, Param::Factor);
            t.cx.gt0("factor", &n).then_some(n.value)
        });
        let approval = t.opt_num("approval", &Dim::One).and_then(|n| {
            t.keep("approval", &n, Param::Approval);
            t.cx.unit_interval("approval", &n).then_some(n.value)
        });
        let given = (e.tbl.contains_key("factor"), e.tbl.contains_key("approval"));
        let to = match given {
            (true, true) => {
                let span = e.tbl.get("approval").map_or(e.span.clone(), |v| v.span());
                t.cx.err(
                    e.f,
                    span,
                    "give exactly one of `factor` and `approval`, not both",
                    None,
                );
                None
            }
            (false, false) => {
                t.cx.err(
                    e.f,
                    e.span.clone(),
                    "`approval-uplift` event needs `factor` or `approval`",
                    Some("write `factor = 2` (odds doubled, at most 1) or `approval = 0.9`".into()),
                );
                None
            }
            (true, false) => factor.map(UpliftTo::Factor),
            (false, true) => approval.map(UpliftTo::Approval),
        };
        named?;
        Some(ApprovalUplift {
            exporter: exporter?,
            destinations,
            to: to?,
        })
    }

    fn set(&mut self, param: &Param, value: f64) {
        self.to = match param {
            Param::Factor => UpliftTo::Factor(value),
            Param::Approval => UpliftTo::Approval(value),
        };
    }

    fn read_at_decision(_param: &Param) -> bool {
        true
    }

    fn declare<'a>(
        &'a self,
        start: Day,
        end: Option<Day>,
        controls: &mut Controls<'a>,
    ) -> Option<u32> {
        Some(controls.add_uplift(Uplift {
            uplift: self,
            start,
            end,
        }))
    }

    fn compile(&self, _at: &At<'_>, _rules: &mut Rules) {}
}
