//! `export-licence`: an exporter licenses exports of selected products ([`Licensing`]). Each
//! export order to a foreign buyer becomes an application, decided after a lead time with the
//! approval odds of its [`LicenceTerms`]: the end-use override, else the destination override,
//! else the default. Orders may be split by the buyer's end-use mix (when the regime has
//! end-use rules) and pooled per `batch-days` window.
//!
//! Wire keys: `exporter`, `products`, `approval`, `lead-time-days` (a [`LeadTime`]),
//! `lead-time-cap`, `batch-days`, `destination.REGION = { ... }`, `end-use.NAME = { ... }`,
//! `re-export` and `de-minimis` (a [`super::ReExportClause`]: third countries' exports of the
//! products to any destination but the exporter need a licence of this regime when their
//! traced content of the exporter's origin passes the de minimis; `"only"`: those alone).
//! Uncertain numbers: the approval odds ([`Param::Approval`], with the override slots that
//! follow the default's draw). Compiled: the regime is declared once in [`Controls`] and governs
//! every foreign link of the exporter carrying a selected product while active (the last active
//! regime in scenario order wins; a general licence lifts it). A decision's draws
//! ([`super::licensing::draw_decision`]) are made by the engine from the path's generator.

use super::controls::{Controls, Regime};
use super::kind::Kind;
use super::licensing::{LeadTime, LicenceTerms, Licensing};
use super::rules::{At, Rules};
use super::selectors::{Exports, RegionSelector};
use super::table::{KindTable, ParamOf};
use crate::model::Day;
use crate::wire::{Cx, Dim, Entry, Num, Sp, fmt_num, unknown_hint};
use std::ops::Range;
use toml::de::DeValue;

/// Which slot of a licensing event an approval applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermsSlot {
    Default,
    Destination(usize),
    EndUse(usize),
}

/// The numbers of a licensing regime that a distribution may set.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// Approval odds, for every slot listed (overrides that do not set their own `approval`
    /// follow the default's draw).
    Approval(Vec<TermsSlot>),
}

impl Kind for Licensing {
    const NAME: &'static str = "export-licence";
    const KEYS: &'static [&'static str] = &[
        "exporter",
        "products",
        "approval",
        "lead-time-days",
        "lead-time-cap",
        "batch-days",
        "destination",
        "end-use",
        "re-export",
        "de-minimis",
    ];
    type Param = Param;

    fn parse<B: Clone + From<ParamOf<Param>>>(t: &mut KindTable<'_, '_, '_, B>) -> Option<Self> {
        let e = t.e;
        let ev = t.event;
        let exporter = t.req_region("exporter");
        let (products, _) = t.products("products");
        let main = terms(t.cx, e, None);
        let label = |what: String| format!("event {ev} approval{what}");
        let mut default_slots = vec![TermsSlot::Default];
        let main_num = main.as_ref().and_then(|(_, n)| n.clone());
        let main = main.map(|(t, _)| t);
        let cap_span = e
            .tbl
            .get("lead-time-cap")
            .map_or(e.span.clone(), |v| v.span());
        let base = main.clone().map(|t| (t, cap_span));
        let batch_days = e
            .tbl
            .get("batch-days")
            .and_then(|v| t.cx.count(e.f, "batch-days", v, 0))
            .map_or(0, |(b, _)| b);
        let mut ok = true;
        let mut destinations = Vec::new();
        let mut end_uses = Vec::new();
        let mut known_end_uses: Vec<String> =
            t.cx.world
                .demands
                .iter()
                .map(|d| d.end_use.clone())
                .collect();
        known_end_uses.sort();
        known_end_uses.dedup();
        for key in ["destination", "end-use"] {
            let Some(v) = e.tbl.get(key) else { continue };
            let DeValue::Table(overrides) = v.get_ref() else {
                t.cx.err(
                    e.f,
                    v.span(),
                    format!("`{key}` must be a table, found {}", v.get_ref().type_str()),
                    Some(format!("write `{key}.NAME = {{ approval = 0.5 }}`")),
                );
                ok = false;
                continue;
            };
            for (k, ov) in overrides.iter() {
                let name: &str = k.get_ref();
                let target = if key == "destination" {
                    t.cx.region_code(e.f, name, k.span()).map(Ok)
                } else if known_end_uses.iter().any(|x| x == name) {
                    Some(Err(name.to_string()))
                } else {
                    let hint = unknown_hint("end-uses", name, &known_end_uses);
                    t.cx.err(
                        e.f,
                        k.span(),
                        format!("unknown end-use `{name}`"),
                        Some(hint),
                    );
                    None
                };
                let DeValue::Table(ot) = ov.get_ref() else {
                    t.cx.err(
                        e.f,
                        ov.span(),
                        format!(
                            "`{key}.{name}` must be a table, found {}",
                            ov.get_ref().type_str()
                        ),
                        Some(
                            "write `{ approval = 0.5, lead-time-days = 45, lead-time-cap = 60 }`"
                                .into(),
                        ),
                    );
                    ok = false;
                    continue;
                };
                let oe = Entry {
                    f: e.f,
                    tbl: ot,
                    span: ov.span(),
                    ctx: format!("`{key}.{name}`"),
                };
                t.cx.keys(&oe, &["approval", "lead-time-days", "lead-time-cap"]);
                let parsed = match &base {
                    Some(b) => terms(t.cx, &oe, Some(b)),
                    None => None,
                };
                match (target, parsed) {
                    (Some(target), Some((terms, own))) => {
                        let slot = match &target {
                            Ok(_) => TermsSlot::Destination(destinations.len()),
                            Err(_) => TermsSlot::EndUse(end_uses.len()),
                        };
                        match own {
                            Some(n) => {
                                t.bind_as(
                                    &n,
                                    label(format!(" {key}.{name}")),
                                    Param::Approval(vec![slot]),
                                );
                            }
                            None => default_slots.push(slot),
                        }
                        match target {
                            Ok(r) => destinations.push((r, terms)),
                            Err(eu) => end_uses.push((eu, terms)),
                        }
                    }
                    _ => ok = false,
                }
            }
        }
        if let Some(n) = &main_num {
            t.bind_as(n, label(String::new()), Param::Approval(default_slots));
        }
        let reexport = t.reexport_clause();
        let (exporter, terms, reexport) = (exporter?, main?, reexport.ok()?);
        ok.then_some(Licensing {
            exporter,
            products,
            terms,
            destinations,
            end_uses,
            batch_days,
            reexport,
        })
    }

    fn set(&mut self, param: &Param, value: f64) {
        let Param::Approval(slots) = param;
        for slot in slots {
            match *slot {
                TermsSlot::Default => self.terms.approval = value,
                TermsSlot::Destination(k) => self.destinations[k].1.approval = value,
                TermsSlot::EndUse(k) => self.end_uses[k].1.approval = value,
            }
        }
    }

    /// Approval odds are read by `draw_decision` alone: not by the rules, the lead times or
    /// the earliest day a decision can come.
    fn read_at_decision(param: &Param) -> bool {
        matches!(param, Param::Approval(_))
    }

    fn declare<'a>(
        &'a self,
        start: Day,
        _end: Option<Day>,
        controls: &mut Controls<'a>,
    ) -> Option<u32> {
        Some(controls.add_regime(Regime {
            licensing: self,
            start,
        }))
    }

    fn compile(&self, at: &At<'_>, rules: &mut Rules) {
        if !at.active {
            return;
        }
        let exports = Exports {
            exporter: self.exporter,
            products: self.products.clone(),
            destinations: RegionSelector::All,
        };
        if self.reexport.is_none_or(|c| !c.only) {
            for l in at.exports(&exports) {
                rules.links[l].licensing = at.control;
            }
        }
        if let Some(clause) = &self.reexport {
            at.add_reexport(&exports, clause, at.control, rules);
        }
    }

    fn traced_origin(&self) -> Option<crate::model::RegionId> {
        self.reexport.map(|_| self.exporter)
    }
}

fn lead_time<B: Clone>(cx: &mut Cx<'_, B>, f: usize, key: &str, v: &Sp) -> Option<LeadTime> {
    let lt = match v.get_ref() {
        DeValue::Integer(_) | DeValue::Float(_) => LeadTime::Fixed(cx.plain_number(f, key, v)?),
        DeValue::Table(t) => {
            const FORMS: [&str; 3] = ["fixed", "uniform", "triangular"];
            cx.check_keys(f, t, &format!("`{key}`"), &FORMS);
            let given: Vec<_> = t
                .iter()
                .filter(|(k, _)| FORMS.contains(&k.get_ref().as_ref()))
                .collect();
            if given.len() != 1 {
                cx.err(
                    f,
                    v.span(),
                    format!("`{key}` must have exactly one of `fixed`, `uniform`, `triangular`"),
                    Some("e.g. `{ triangular = [20, 40, 63] }`".into()),
                );
                return None;
            }
            let (k, dv) = given[0];
            let form: &str = k.get_ref();
            let want = match form {
                "fixed" => 1,
                "uniform" => 2,
                _ => 3,
            };
            let nums: Vec<f64> = match (form, dv.get_ref()) {
                ("fixed", _) => vec![cx.plain_number(f, key, dv)?],
                (_, DeValue::Array(a)) if a.len() == want => {
                    let xs: Vec<Option<f64>> =
                        a.iter().map(|x| cx.plain_number(f, key, x)).collect();
                    xs.into_iter().collect::<Option<Vec<f64>>>()?
                }
                _ => {
                    let shape = if want == 2 {
                        "[min, max]"
                    } else {
                        "[min, mode, max]"
                    };
                    cx.err(
                        f,
                        dv.span(),
                        format!("`{form}` lead time must be an array {shape}"),
                        None,
                    );
                    return None;
                }
            };
            match nums[..] {
                [a] => LeadTime::Fixed(a),
                [a, b] => LeadTime::Uniform(a, b),
                [a, m, b] => LeadTime::Triangular(a, m, b),
                _ => return None,
            }
        }
        other => {
            cx.err(
                f,
                v.span(),
                format!("`{key}` must be a number of days or a distribution, found {}", other.type_str()),
                Some("write `45`, `{ fixed = 45 }`, `{ uniform = [20, 63] }` or `{ triangular = [20, 40, 63] }`".into()),
            );
            return None;
        }
    };
    let (vals, min, max): (Vec<f64>, f64, f64) = match lt {
        LeadTime::Fixed(a) => (vec![a], a, a),
        LeadTime::Uniform(a, b) => (vec![a, b], a, b),
        LeadTime::Triangular(a, m, b) => (vec![a, m, b], a, b),
    };
    let mut ok = true;
    if let Some(neg) = vals.iter().find(|x| **x < 0.0) {
        cx.err(
            f,
            v.span(),
            format!("lead time must be >= 0 days, found {}", fmt_num(*neg)),
            None,
        );
        ok = false;
    }
    if min > max {
        cx.err(
            f,
            v.span(),
            format!(
                "degenerate lead time: min {} is greater than max {}",
                fmt_num(min),
                fmt_num(max)
            ),
            Some("write the bounds as [min, max] or [min, mode, max]".into()),
        );
        ok = false;
    } else if let LeadTime::Triangular(a, m, b) = lt
        && (m < a || m > b)
    {
        cx.err(
            f,
            v.span(),
            format!(
                "degenerate lead time: mode {} is outside [{}, {}]",
                fmt_num(m),
                fmt_num(a),
                fmt_num(b)
            ),
            Some("the triangular distribution needs min <= mode <= max".into()),
        );
        ok = false;
    }
    ok.then_some(lt)
}

/// Licence terms from a table (the event itself, or an override defaulting to `base`).
fn terms<B: Clone>(
    cx: &mut Cx<'_, B>,
    e: &Entry,
    base: Option<&(LicenceTerms, Range<usize>)>,
) -> Option<(LicenceTerms, Option<Num>)> {
    let mut own = None;
    let approval = match e.tbl.get("approval") {
        Some(v) => cx
            .number(e.f, "approval", v, &Dim::One)
            .filter(|n| cx.unit_interval("approval", n))
            .map(|n| {
                let x = n.value;
                own = Some(n);
                x
            }),
        None => match base {
            Some((b, _)) => Some(b.approval),
            None => cx.req(e, "approval").and(None),
        },
    };
    let lt_v = e.tbl.get("lead-time-days");
    let (lead_time, lt_span) = match lt_v {
        Some(v) => (lead_time(cx, e.f, "lead-time-days", v), Some(v.span())),
        None => match base {
            Some((b, _)) => (Some(b.lead_time.clone()), None),
            None => (cx.req(e, "lead-time-days").and(None), None),
        },
    };
    let cap_v = e.tbl.get("lead-time-cap");
    let cap: Option<Option<(u32, Range<usize>)>> = match cap_v {
        Some(v) => cx
            .count(e.f, "lead-time-cap", v, 0)
            .map(|(c, n)| Some((c, n.span))),
        None => Some(base.and_then(|(b, span)| b.cap_days.map(|c| (c, span.clone())))),
    };
    let (approval, lead_time, cap) = (approval?, lead_time?, cap?);
    if let Some((c, span)) = &cap {
        let min = lead_time.min();
        if f64::from(*c) < min {
            // Point at what this table changed: its cap, or else its lead time.
            let at = if cap_v.is_some() {
                span.clone()
            } else {
                lt_span.unwrap_or(span.clone())
            };
            cx.err(
                e.f,
                at,
                format!("`lead-time-cap` {c} is below the lead-time minimum {}", fmt_num(min)),
                Some("the cap bounds the decision delay, so it must be at least the shortest lead time".into()),
            );
            return None;
        }
    }
    Some((
        LicenceTerms {
            approval,
            lead_time,
            cap_days: cap.map(|(c, _)| c),
        },
        own,
    ))
}
