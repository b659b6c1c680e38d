//! `export-quota`: at most so many units of selected products accepted for export to selected
//! destinations per `period-days`, periods counted from the event's start ([`ExportQuota`]);
//! the excess of an order is rejected when received. Quotas count accepted quantity, including
//! orders later denied a licence. Unused allowance lapses at the end of its period.
//!
//! How a period's allowance is released ([`Pacing`], [`QuotaBatch`]): a `quantity` per period,
//! either all on the period's first day (`pacing = "running"`, the default) or evenly day by
//! day (`pacing = "even"`); or `batches` as announced, each `{ date, quantity }` released on
//! its date (`running`) or evenly from its date to the end of its period (`even`). With
//! batches, a period's allowance is the sum of the batches dated in it (a batch dated before
//! the event's start counts in its first period). Writing `A_p(d)` for the allowance released
//! by day `d` of period `p` (from `s_p` to `e_p`, `e_p - s_p = period-days`):
//!
//! `A_p(d) = Σ_{b in p} q_b · r_b(d)`, with `r_b(d) = [d ≥ t_b]` (running) or
//! `r_b(d) = clamp((d − t_b + 1) / (e_p − t_b), 0, 1)` (even), and an order is accepted up to
//! `A_p(d) − used_p`.
//!
//! Wire keys: `exporter`, `products`, `destinations`, `quantity` (in the products' unit) or
//! `batches`, `period-days` (default 365), `pacing`. Uncertain numbers: `quantity`
//! ([`Param::Quantity`]) and each batch's quantity ([`Param::Batch`]). Compiled: the quota is
//! declared once in [`Controls`] (its allowance is counted per period by the engine) and counts
//! every link it covers while active.

use super::controls::{Controls, Pacing, Quota, QuotaBatch};
use super::kind::Kind;
use super::rules::{At, Rules};
use super::selectors::Exports;
use super::table::{KindTable, ParamOf};
use crate::model::Day;
use crate::wire::Dim;

#[derive(Debug, Clone, PartialEq)]
pub struct ExportQuota {
    pub exports: Exports,
    /// The allowance per period without `batches`; the sum of the batches with them.
    pub quantity: f64,
    pub period_days: u32,
    pub pacing: Pacing,
    /// Allocations as announced; empty: `quantity` at the start of every period.
    pub batches: Vec<QuotaBatch>,
}

/// The numbers of a quota that a distribution may set.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Quantity,
    /// The quantity of batch `i`.
    Batch(usize),
}

impl Kind for ExportQuota {
    const NAME: &'static str = "export-quota";
    const KEYS: &'static [&'static str] = &[
        "exporter",
        "products",
        "destinations",
        "quantity",
        "batches",
        "period-days",
        "pacing",
    ];
    type Param = Param;

    fn parse<B: Clone + From<ParamOf<Param>>>(t: &mut KindTable<'_, '_, '_, B>) -> Option<Self> {
        let (exports, ids) = t.exports();
        let dim = Dim::Qty(t.cx.units_of(&ids));
        let period = match t.e.tbl.get("period-days") {
            Some(v) => t.cx.count(t.e.f, "period-days", v, 1).map(|(p, _)| p),
            None => Some(365),
        };
        let pacing = match t.cx.opt_str(t.e, "pacing") {
            None => Some(Pacing::Running),
            Some(("running", _)) => Some(Pacing::Running),
            Some(("even", _)) => Some(Pacing::Even),
            Some((other, span)) => {
                t.cx.err(
                    t.e.f,
                    span,
                    format!("unknown pacing `{other}`"),
                    Some("`running` (all of an allocation at once) or `even` (spread day by day to the end of its period)".into()),
                );
                None
            }
        };
        let (quantity, batches) = match (t.e.tbl.get("batches"), t.e.tbl.contains_key("quantity")) {
            (Some(v), false) => {
                let batches = batches(t, v, &dim)?;
                (Some(batches.iter().map(|b| b.quantity).sum()), batches)
            }
            (Some(v), true) => {
                t.cx.err(
                    t.e.f,
                    v.span(),
                    "`batches` and `quantity` both given",
                    Some("give the allowance per period as `quantity`, or the allocations as announced as `batches`, not both".into()),
                );
                (None, Vec::new())
            }
            (None, _) => {
                let q = t.req_num("quantity", &dim);
                let q = q.filter(|q| t.cx.ge0("quantity", q));
                if let Some(q) = &q {
                    t.keep("quantity", q, Param::Quantity);
                }
                (q.map(|q| q.value), Vec::new())
            }
        };
        Some(ExportQuota {
            exports: exports?,
            quantity: quantity?,
            period_days: period?,
            pacing: pacing?,
            batches,
        })
    }

    fn set(&mut self, param: &Param, value: f64) {
        match param {
            Param::Quantity => self.quantity = value,
            Param::Batch(i) => {
                self.batches[*i].quantity = value;
                self.quantity = self.batches.iter().map(|b| b.quantity).sum();
            }
        }
    }

    fn declare<'a>(
        &'a self,
        start: Day,
        _end: Option<Day>,
        controls: &mut Controls<'a>,
    ) -> Option<u32> {
        Some(controls.add_quota(Quota {
            quantity: self.quantity,
            period_days: self.period_days,
            start,
            pacing: self.pacing,
            batches: &self.batches,
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

/// `batches = [{ date = 2010-07-08, quantity = 7976 }, ...]`, in date order.
fn batches<B: Clone + From<ParamOf<Param>>>(
    t: &mut KindTable<'_, '_, '_, B>,
    v: &crate::wire::Sp<'_>,
    dim: &Dim,
) -> Option<Vec<QuotaBatch>> {
    let entries = t.cx.entries(t.e.f, "batches", v);
    if entries.is_empty() {
        t.cx.err(
            t.e.f,
            v.span(),
            "`batches` is empty",
            Some(
                "list the allocations, e.g. `batches = [{ date = 2010-07-08, quantity = 7976 }]`"
                    .into(),
            ),
        );
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    let mut last: Option<jiff::civil::Date> = None;
    for (i, b) in entries.iter().enumerate() {
        t.cx.keys(b, &["date", "quantity"]);
        let date = t.cx.req(b, "date").and_then(|d| {
            let date = t.cx.date(b.f, "date", d)?;
            if last.is_some_and(|l| date <= l) {
                t.cx.err(
                    b.f,
                    d.span(),
                    format!("batch date {date} is not after the previous batch's"),
                    Some("list the batches in date order, one per date".into()),
                );
                return None;
            }
            last = Some(date);
            Some(date)
        });
        let q =
            t.cx.req(b, "quantity")
                .and_then(|q| t.cx.number(b.f, "quantity", q, dim));
        let q = q.filter(|q| t.cx.ge0("quantity", q));
        if let Some(q) = &q {
            t.keep(&format!("batches[{i}].quantity"), q, Param::Batch(i));
        }
        let day = match (date, t.start) {
            (Some(d), Some(start)) => start.until(d).ok().map(|s| i64::from(s.get_days())),
            _ => None,
        };
        match (day, q) {
            (Some(day), Some(q)) => out.push(QuotaBatch {
                day,
                quantity: q.value,
            }),
            _ => ok = false,
        }
    }
    ok.then_some(out)
}
