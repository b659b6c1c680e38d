//! [`KindTable`]: one `[[event]]` table as a kind's parser sees it. It wraps the diagnostic
//! context ([`Cx`]) with the table, the event's label and index, and offers the reads every kind
//! shares (regions, products and selectors, the scope of an export control, numbers in the
//! right unit, rates) and the binding of an uncertain number to the kind's own parameter
//! ([`ParamOf`]; the scenario parser turns it into an uncertainty target).

use super::selectors::{Exports, ProductSelector, ReExportClause, RegionSelector};
use crate::model::{ProductId, RegionId, Stage};
use crate::wire::{Cx, Dim, Entry, Num, suggest};
use toml::de::DeValue;

/// An uncertain number of event `event` sets its kind's parameter `param`.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamOf<P> {
    pub event: usize,
    pub param: P,
}

pub(crate) struct KindTable<'c, 'a, 't, B> {
    pub cx: &'c mut Cx<'t, B>,
    pub e: &'c Entry<'a, 't>,
    /// The event's label (its `name` or `kind@date`), for provenance and parameter names.
    pub label: &'c str,
    /// The event's index in the scenario's event list.
    pub event: usize,
    /// The scenario's first day, for dates inside an event (None when it did not parse).
    pub start: Option<jiff::civil::Date>,
}

impl<B: Clone> KindTable<'_, '_, '_, B> {
    /// `event LABEL KEY`: how provenance and uncertain parameters name the event's number `key`.
    pub fn what(&self, key: &str) -> String {
        format!("event {} {key}", self.label)
    }

    /// Says that the uncertain number `n` (a no-op for plain ones) sets `param`, named `label`.
    pub fn bind_as<P>(&mut self, n: &Num, label: String, param: P)
    where
        B: From<ParamOf<P>>,
    {
        let event = self.event;
        self.cx.bind(n, label, B::from(ParamOf { event, param }));
    }

    /// Records the provenance of number `key` and binds it to `param` if it is uncertain.
    pub fn keep<P>(&mut self, key: &str, n: &Num, param: P)
    where
        B: From<ParamOf<P>>,
    {
        self.cx.prov(self.what(key), n, false);
        self.bind_as(n, self.what(key), param);
    }

    pub fn req_region(&mut self, key: &str) -> Option<RegionId> {
        self.cx.req_region(self.e, key)
    }

    pub fn req_product(&mut self, key: &str) -> Option<ProductId> {
        self.cx.req_product(self.e, key)
    }

    pub fn opt_num(&mut self, key: &str, dim: &Dim) -> Option<Num> {
        let v = self.e.tbl.get(key)?;
        self.cx.number(self.e.f, key, v, dim)
    }

    /// An optional number of dimension `dim` that must be at least 0 (above 0 when
    /// `positive`), its provenance kept and bound to `param` when uncertain: `Ok(None)` when
    /// absent (or unreadable, which is reported), `Err(())` when out of range (reported).
    pub fn opt_checked<P>(
        &mut self,
        key: &str,
        dim: &Dim,
        param: P,
        positive: bool,
    ) -> Result<Option<f64>, ()>
    where
        B: From<ParamOf<P>>,
    {
        let Some(n) = self.opt_num(key, dim) else {
            return Ok(None);
        };
        self.keep(key, &n, param);
        let ok = if positive {
            self.cx.gt0(key, &n)
        } else {
            self.cx.ge0(key, &n)
        };
        if ok { Ok(Some(n.value)) } else { Err(()) }
    }

    pub fn req_num(&mut self, key: &str, dim: &Dim) -> Option<Num> {
        let v = self.cx.req(self.e, key)?;
        self.cx.number(self.e.f, key, v, dim)
    }

    /// A required rate (> 0) in the unit of `product` per day, set by `param` when uncertain.
    pub fn rate<P>(&mut self, product: Option<ProductId>, key: &str, param: P) -> Option<f64>
    where
        B: From<ParamOf<P>>,
    {
        let units = self.cx.units_of(&product.into_iter().collect::<Vec<_>>());
        let n = self.req_num(key, &Dim::Rate(units))?;
        self.keep(key, &n, param);
        self.cx.gt0(key, &n).then_some(n.value)
    }

    /// The scope of an export control: `exporter`, `products` and `destinations` (absent =
    /// all); also the ids of the products selected (for units).
    pub fn exports(&mut self) -> (Option<Exports>, Vec<ProductId>) {
        let exporter = self.req_region("exporter");
        let (products, ids) = self.products("products");
        let destinations = self.regions("destinations");
        let exports = exporter.map(|exporter| Exports {
            exporter,
            products,
            destinations,
        });
        (exports, ids)
    }

    /// The keys of a re-export clause (`re-export = true | false | "only"`, and
    /// `de-minimis`, a value share in [0, 1) that needs `re-export`). `Ok(None)` without a
    /// clause; `Err(())` when a key is wrong (reported).
    #[allow(clippy::result_unit_err)]
    pub fn reexport_clause(&mut self) -> Result<Option<ReExportClause>, ()> {
        let (cx, e) = (&mut *self.cx, self.e);
        let mut ok = true;
        let only = match e.tbl.get("re-export").map(|v| (v, v.get_ref())) {
            None | Some((_, DeValue::Boolean(false))) => None,
            Some((_, DeValue::Boolean(true))) => Some(false),
            Some((_, DeValue::String(s))) if s.as_ref() == "only" => Some(true),
            Some((v, other)) => {
                let found = match other {
                    DeValue::String(s) => format!("\"{s}\""),
                    o => o.type_str().to_string(),
                };
                cx.err(
                    e.f,
                    v.span(),
                    format!("`re-export` must be true, false or \"only\", found {found}"),
                    Some(
                        "`true` extends the control to third countries' exports by their traced \
                         origin; `\"only\"` applies it to them alone"
                            .into(),
                    ),
                );
                ok = false;
                None
            }
        };
        let mut de_minimis = 0.0;
        if let Some(v) = e.tbl.get("de-minimis") {
            match cx.number(e.f, "de-minimis", v, &Dim::One) {
                Some(n) => {
                    if n.dist.is_some() {
                        cx.err(
                            e.f,
                            v.span(),
                            "`de-minimis` cannot be uncertain",
                            Some("give one value share, e.g. `de-minimis = 0.001`".into()),
                        );
                        ok = false;
                    } else if !(0.0..1.0).contains(&n.value) {
                        cx.err(
                            e.f,
                            n.span.clone(),
                            format!(
                                "`de-minimis` must be >= 0 and < 1, found {}",
                                crate::wire::fmt_num(n.value)
                            ),
                            Some("a share of the item's value: 0.001 is 0.1%".into()),
                        );
                        ok = false;
                    } else {
                        cx.prov(format!("event {} de-minimis", self.label), &n, false);
                        de_minimis = n.value;
                    }
                    if only.is_none() && ok {
                        cx.err(
                            e.f,
                            v.span(),
                            "`de-minimis` needs a re-export clause",
                            Some("add `re-export = true` (or `\"only\"`)".into()),
                        );
                        ok = false;
                    }
                }
                None => ok = false,
            }
        }
        if !ok {
            return Err(());
        }
        Ok(only.map(|only| ReExportClause { only, de_minimis }))
    }

    /// `products`: absent = all; an array of ids; `{ elements = [...], stages = [...] }` (stages
    /// optional). Also returns the ids
    /// it matches in the world as parsed so far.
    pub fn products(&mut self, key: &str) -> (ProductSelector, Vec<ProductId>) {
        let (cx, e) = (&mut *self.cx, self.e);
        let all = |cx: &Cx<'_, B>| {
            (0..cx.world.products.len() as u32)
                .map(ProductId)
                .collect::<Vec<_>>()
        };
        let Some(v) = e.tbl.get(key) else {
            return (ProductSelector::All, all(cx));
        };
        match v.get_ref() {
            DeValue::Array(_) => {
                let ids: Vec<ProductId> = cx
                    .str_list(e.f, key, v)
                    .into_iter()
                    .filter_map(|(s, span)| cx.product_code(e.f, s, span))
                    .collect();
                (ProductSelector::Ids(ids.clone()), ids)
            }
            DeValue::Table(t) => {
                cx.check_keys(e.f, t, &format!("`{key}`"), &["elements", "stages"]);
                let Some(ev) = t.get("elements") else {
                    cx.err(
                        e.f,
                        v.span(),
                        format!("missing required key `elements` in `{key}`"),
                        None,
                    );
                    return (ProductSelector::Elements(Vec::new()), Vec::new());
                };
                let mut elements = Vec::new();
                for (el, _) in cx.str_list(e.f, "elements", ev) {
                    elements.push(el.to_string());
                }
                let selector = match t.get("stages") {
                    None => ProductSelector::Elements(elements),
                    Some(sv) => {
                        let names: Vec<&str> = Stage::ALL.iter().map(|(n, _)| *n).collect();
                        let mut stages = Vec::new();
                        for (s, span) in cx.str_list(e.f, "stages", sv) {
                            match Stage::ALL.iter().find(|(n, _)| *n == s) {
                                Some((_, st)) => stages.push(*st),
                                None => {
                                    let hint = match suggest(s, &names) {
                                        Some(x) => format!("did you mean `{x}`?"),
                                        None => format!("stages: {}", names.join(", ")),
                                    };
                                    cx.err(e.f, span, format!("unknown stage `{s}`"), Some(hint));
                                }
                            }
                        }
                        if stages.is_empty() {
                            cx.err(
                                e.f,
                                sv.span(),
                                format!("`stages` in `{key}` selects no stage"),
                                Some("leave `stages` out to select every stage".into()),
                            );
                        }
                        ProductSelector::ElementsAtStages { elements, stages }
                    }
                };
                let ids = (0..cx.world.products.len())
                    .map(|i| ProductId(i as u32))
                    .filter(|&p| selector.selects(&cx.world, p))
                    .collect();
                (selector, ids)
            }
            other => {
                cx.err(
                    e.f,
                    v.span(),
                    format!(
                        "`{key}` must be an array of product ids or `{{ elements = [...] }}`, found {}",
                        other.type_str()
                    ),
                    None,
                );
                (ProductSelector::All, Vec::new())
            }
        }
    }

    /// Region selector: absent = all; an array of ids and `@group`s. A region stands for its
    /// buyer cohorts too (`USA` selects `USA/oem`); a cohort may be named on its own.
    pub fn regions(&mut self, key: &str) -> RegionSelector {
        let (cx, e) = (&mut *self.cx, self.e);
        let Some(v) = e.tbl.get(key) else {
            return RegionSelector::All;
        };
        let mut out: Vec<RegionId> = Vec::new();
        for (s, span) in cx.str_list(e.f, key, v) {
            if let Some(g) = s.strip_prefix('@') {
                if cx.check_group(e.f, g, span) {
                    let n = cx.world.regions.len() as u32;
                    for r in (0..n).map(RegionId) {
                        if cx.world.in_group(r, g) && !out.contains(&r) {
                            out.push(r);
                        }
                    }
                }
            } else if let Some(r) = cx.region_code(e.f, s, span) {
                let n = cx.world.regions.len() as u32;
                for c in (0..n).map(RegionId) {
                    let of_r = c == r || cx.world.regions[c.ix()].parent == Some(r);
                    if of_r && !out.contains(&c) {
                        out.push(c);
                    }
                }
            }
        }
        RegionSelector::Ids(out)
    }

    /// The end uses of the world's final demand, sorted, without repeats.
    pub fn known_end_uses(&self) -> Vec<String> {
        let mut known: Vec<String> = self
            .cx
            .world
            .demands
            .iter()
            .map(|d| d.end_use.clone())
            .collect();
        known.sort();
        known.dedup();
        known
    }
}
