//! `export-quota`: at most `quantity` units of selected products accepted for export to
//! selected destinations per `period-days`, counted from the event's start ([`ExportQuota`]);
//! the excess of an order is rejected when received. Quotas count accepted quantity, including
//! orders later denied a licence.
//!
//! Wire keys: `exporter`, `products`, `destinations`, `quantity` (in the products' unit),
//! `period-days` (default 365). Uncertain numbers: `quantity` ([`Param::Quantity`]). Compiled:
//! the quota is declared once in [`Controls`] (its allowance is counted per period by the
//! engine) and counts every link it covers while active.

use super::controls::{Controls, Quota};
use super::kind::Kind;
use super::rules::{At, Rules};
use super::selectors::Exports;
use super::table::{KindTable, ParamOf};
use crate::model::Day;
use crate::wire::Dim;

#[derive(Debug, Clone, PartialEq)]
pub struct ExportQuota {
    pub exports: Exports,
    pub quantity: f64,
    pub period_days: u32,
}

/// The numbers of a quota that a distribution may set.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Quantity,
}

impl Kind for ExportQuota {
    const NAME: &'static str = "export-quota";
    const KEYS: &'static [&'static str] = &[
        "exporter",
        "products",
        "destinations",
        "quantity",
        "period-days",
    ];
    type Param = Param;

    fn parse<B: Clone + From<ParamOf<Param>>>(t: &mut KindTable<'_, '_, '_, B>) -> Option<Self> {
        let (exports, ids) = t.exports();
        let units = t.cx.units_of(&ids);
        let q = t.req_num("quantity", &Dim::Qty(units));
        let q = q.filter(|q| t.cx.ge0("quantity", q));
        if let Some(q) = &q {
            t.keep("quantity", q, Param::Quantity);
        }
        let period = match t.e.tbl.get("period-days") {
            Some(v) => t.cx.count(t.e.f, "period-days", v, 1).map(|(p, _)| p),
            None => Some(365),
        };
        Some(ExportQuota {
            exports: exports?,
            quantity: q?.value,
            period_days: period?,
        })
    }

    fn set(&mut self, param: &Param, value: f64) {
        match param {
            Param::Quantity => self.quantity = value,
        }
    }

    fn declare<'a>(&'a self, start: Day, controls: &mut Controls<'a>) -> Option<u32> {
        Some(controls.add_quota(Quota {
            quantity: self.quantity,
            period_days: self.period_days,
            start,
        }))
    }

    fn compile(&self, at: &At<'_>, rules: &mut Rules) {
        if !at.active {
            return;
        }
        let id = at.control.expect("a quota declares itself");
        for l in at.exports(&self.exports) {
            rules.links[l].quotas.push(id);
        }
    }
}
