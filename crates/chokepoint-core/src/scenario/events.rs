//! `[[event]]` tables: dates, selectors, licensing terms and the kind-specific keys.

use super::cx::{Cx, Dim, Entry, Num, Sp, fmt_num, unknown_hint};
use super::world::{ParsedSettings, rationing};
use crate::event::{
    Event, EventKind, LeadTime, LicenceTerms, Licensing, ProductSelector, RegionSelector,
};
use crate::model::{ProductId, RegionId};
use crate::uncertain::{Dist, Target, TermsSlot};
use std::ops::Range;
use toml::de::DeValue;

const COMMON: [&str; 5] = ["name", "date", "until", "kind", "probability"];

/// Kinds and their own keys.
const KINDS: [(&str, &[&str]); 11] = [
    (
        "export-licence",
        &[
            "exporter",
            "products",
            "approval",
            "lead-time-days",
            "lead-time-cap",
            "batch-days",
            "destination",
            "end-use",
        ],
    ),
    ("general-licence", &["exporter", "products", "destinations"]),
    ("export-ban", &["exporter", "products", "destinations"]),
    (
        "export-quota",
        &[
            "exporter",
            "products",
            "destinations",
            "quantity",
            "period-days",
        ],
    ),
    ("tariff", &["importer", "exporters", "products", "rate"]),
    (
        "capacity",
        &["region", "product", "capacity", "factor", "ramp-days"],
    ),
    (
        "demand-shock",
        &["regions", "products", "end-use", "factor"],
    ),
    (
        "stockpile-release",
        &["region", "product", "rate", "trigger-days-of-cover"],
    ),
    ("stockpile-purchase", &["region", "product", "rate"]),
    (
        "offtake",
        &["buyer", "supplier", "product", "rate", "floor"],
    ),
    ("rationing", &["region", "rule", "ally-group"]),
];

pub(super) fn walk_events(cx: &mut Cx, entries: &[Entry], s: &ParsedSettings) -> Vec<Event> {
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        cx.event_ix = i;
        if let Some(ev) = event(cx, e, s) {
            out.push(ev);
        }
    }
    out
}

fn event(cx: &mut Cx, e: &Entry, s: &ParsedSettings) -> Option<Event> {
    let kind = cx.req_str(e, "kind");
    let kind_keys = match kind.clone() {
        Some((k, span)) => match KINDS.iter().find(|(n, _)| *n == k) {
            Some((_, keys)) => {
                let mut allowed: Vec<&str> = COMMON.to_vec();
                allowed.extend(keys.iter());
                let e2 = Entry {
                    ctx: format!("`{k}` event"),
                    ..e.clone()
                };
                cx.keys(&e2, &allowed);
                Some(k)
            }
            None => {
                let names: Vec<&str> = KINDS.iter().map(|(n, _)| *n).collect();
                let hint = unknown_hint("kinds", k, &names);
                cx.err(e.f, span, format!("unknown event kind `{k}`"), Some(hint));
                None
            }
        },
        None => None,
    };
    let name = cx.opt_str(e, "name");
    let date_v = cx.req(e, "date");
    let mut date_dist = None;
    let date = match date_v {
        Some(v) if matches!(v.get_ref(), DeValue::Table(_)) => {
            let d = uncertain_date(cx, e.f, v, s);
            date_dist = d.as_ref().map(|(_, dist)| dist.clone());
            d.map(|(c, _)| c)
        }
        Some(v) => cx.date(e.f, "date", v),
        None => None,
    };
    let probability = e.tbl.get("probability").and_then(|v| {
        let n = cx.number(e.f, "probability", v, &Dim::One)?;
        cx.unit_interval("probability", &n).then_some(n)
    });
    let until_v = e.tbl.get("until");
    let until = until_v.and_then(|v| cx.date(e.f, "until", v));

    let mut start_day = None;
    if let (Some(d), Some(v)) = (date, date_v)
        && let (Some(st), Some(days)) = (s.start, s.days)
    {
        let ix = st.until(d).map(|sp| i64::from(sp.get_days())).unwrap_or(-1);
        if ix < 0 || ix >= i64::from(days) {
            let end = st
                .checked_add(jiff::Span::new().days(i64::from(days)))
                .map_or(String::from("?"), |d| d.to_string());
            cx.err(
                e.f,
                v.span(),
                format!("event date {d} is outside the scenario horizon [{st}, {end})"),
                Some(format!("the scenario runs {days} days from {st}")),
            );
        } else {
            start_day = Some(ix as u32);
        }
    }
    let mut end_day = None;
    if let (Some(u), Some(v)) = (until, until_v) {
        if let Some(d) = date
            && u <= d
        {
            cx.err(
                e.f,
                v.span(),
                format!("`until` {u} must be after `date` {d}"),
                None,
            );
        }
        if let Some(st) = s.start {
            end_day = st.until(u).ok().map(|sp| sp.get_days().max(0) as u32);
        }
    }
    let label = match (name, kind, date) {
        (Some((n, _)), _, _) => n.to_string(),
        (None, Some((k, _)), Some(d)) => format!("{k}@{d}"),
        (None, Some((k, _)), None) => k.to_string(),
        (None, None, _) => "event".to_string(),
    };
    let ix = cx.event_ix;
    if let (Some(dist), Some(v)) = (date_dist, date_v) {
        cx.push_param(
            e.f,
            v.span(),
            "date",
            dist,
            format!("event {label} date"),
            Target::EventStart(ix),
        );
    }
    if let Some(p) = &probability {
        let dist = Dist::Bernoulli(p.value);
        cx.push_param(
            p.f,
            p.span.clone(),
            "probability",
            dist,
            format!("event {label} happens"),
            Target::EventOccurs(ix),
        );
    }
    let kind = match kind_keys {
        Some(k) => event_kind(cx, e, k, &label),
        None => None,
    };
    let (Some(start), Some(kind)) = (start_day, kind) else {
        return None;
    };
    Some(Event {
        start,
        end: end_day,
        kind,
        label,
    })
}

/// `products`: absent = all; array of ids; `{ elements = [...] }`. Also returns the matching ids.
fn products_sel(cx: &mut Cx, e: &Entry, key: &str) -> (ProductSelector, Vec<ProductId>) {
    let all = || {
        (0..cx.world.products.len() as u32)
            .map(ProductId)
            .collect::<Vec<_>>()
    };
    let Some(v) = e.tbl.get(key) else {
        return (ProductSelector::All, all());
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
            cx.check_keys(e.f, t, &format!("`{key}`"), &["elements"]);
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
            let ids = (0..cx.world.products.len())
                .filter(|&i| cx.world.products[i].contains_any(&elements))
                .map(|i| ProductId(i as u32))
                .collect();
            (ProductSelector::Elements(elements), ids)
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

/// Region selector: absent = all; array of ids and `@group`s.
fn regions_sel(cx: &mut Cx, e: &Entry, key: &str) -> RegionSelector {
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
        } else if let Some(r) = cx.region_code(e.f, s, span)
            && !out.contains(&r)
        {
            out.push(r);
        }
    }
    RegionSelector::Ids(out)
}

fn lead_time(cx: &mut Cx, f: usize, key: &str, v: &Sp) -> Option<LeadTime> {
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
fn terms(
    cx: &mut Cx,
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

fn licensing(cx: &mut Cx, e: &Entry) -> Option<EventKind> {
    let exporter = cx.req_region(e, "exporter");
    let (products, _) = products_sel(cx, e, "products");
    let main = terms(cx, e, None);
    let label = |cx: &Cx, what: String| format!("event {} approval{what}", cx.event_ix);
    let ev = cx.event_ix;
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
        .and_then(|v| cx.count(e.f, "batch-days", v, 0))
        .map_or(0, |(b, _)| b);
    let mut ok = true;
    let mut destinations = Vec::new();
    let mut end_uses = Vec::new();
    let mut known_end_uses: Vec<String> =
        cx.world.demands.iter().map(|d| d.end_use.clone()).collect();
    known_end_uses.sort();
    known_end_uses.dedup();
    for key in ["destination", "end-use"] {
        let Some(v) = e.tbl.get(key) else { continue };
        let DeValue::Table(t) = v.get_ref() else {
            cx.err(
                e.f,
                v.span(),
                format!("`{key}` must be a table, found {}", v.get_ref().type_str()),
                Some(format!("write `{key}.NAME = {{ approval = 0.5 }}`")),
            );
            ok = false;
            continue;
        };
        for (k, ov) in t.iter() {
            let name: &str = k.get_ref();
            let target = if key == "destination" {
                cx.region_code(e.f, name, k.span()).map(Ok)
            } else if known_end_uses.iter().any(|x| x == name) {
                Some(Err(name.to_string()))
            } else {
                let hint = unknown_hint("end-uses", name, &known_end_uses);
                cx.err(
                    e.f,
                    k.span(),
                    format!("unknown end-use `{name}`"),
                    Some(hint),
                );
                None
            };
            let DeValue::Table(ot) = ov.get_ref() else {
                cx.err(
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
            cx.keys(&oe, &["approval", "lead-time-days", "lead-time-cap"]);
            let t = match &base {
                Some(b) => terms(cx, &oe, Some(b)),
                None => None,
            };
            match (target, t) {
                (Some(target), Some((t, own))) => {
                    let slot = match &target {
                        Ok(_) => TermsSlot::Destination(destinations.len()),
                        Err(_) => TermsSlot::EndUse(end_uses.len()),
                    };
                    match own {
                        Some(n) => {
                            let l = label(cx, format!(" {key}.{name}"));
                            cx.bind(&n, l, Target::Approval(ev, vec![slot]));
                        }
                        None => default_slots.push(slot),
                    }
                    match target {
                        Ok(r) => destinations.push((r, t)),
                        Err(eu) => end_uses.push((eu, t)),
                    }
                }
                _ => ok = false,
            }
        }
    }
    if let Some(n) = &main_num {
        let l = label(cx, String::new());
        cx.bind(n, l, Target::Approval(ev, default_slots));
    }
    let (exporter, terms) = (exporter?, main?);
    ok.then_some(EventKind::ExportLicence(Licensing {
        exporter,
        products,
        terms,
        destinations,
        end_uses,
        batch_days,
    }))
}

fn opt_num(cx: &mut Cx, e: &Entry, key: &str, dim: &Dim) -> Option<Num> {
    e.tbl.get(key).and_then(|v| cx.number(e.f, key, v, dim))
}

fn req_num(cx: &mut Cx, e: &Entry, key: &str, dim: &Dim) -> Option<Num> {
    cx.req(e, key).and_then(|v| cx.number(e.f, key, v, dim))
}

fn event_kind(cx: &mut Cx, e: &Entry, kind: &str, label: &str) -> Option<EventKind> {
    let what = |key: &str| format!("event {label} {key}");
    let ev = cx.event_ix;
    let value = Target::EventValue {
        event: ev,
        scale: 1.0,
    };
    let rate_of = |cx: &mut Cx, e: &Entry, p: Option<ProductId>, key: &str| -> Option<f64> {
        let units = cx.units_of(&p.into_iter().collect::<Vec<_>>());
        let n = req_num(cx, e, key, &Dim::Rate(units))?;
        cx.prov(what(key), &n, false);
        cx.bind(&n, what(key), value.clone());
        cx.gt0(key, &n).then_some(n.value)
    };
    Some(match kind {
        "export-licence" => return licensing(cx, e),
        "general-licence" | "export-ban" | "export-quota" => {
            let exporter = cx.req_region(e, "exporter");
            let (products, ids) = products_sel(cx, e, "products");
            let destinations = regions_sel(cx, e, "destinations");
            match kind {
                "general-licence" => EventKind::GeneralLicence {
                    exporter: exporter?,
                    products,
                    destinations,
                },
                "export-ban" => EventKind::ExportBan {
                    exporter: exporter?,
                    products,
                    destinations,
                },
                _ => {
                    let units = cx.units_of(&ids);
                    let q = req_num(cx, e, "quantity", &Dim::Qty(units));
                    let q = q.filter(|q| cx.ge0("quantity", q));
                    if let Some(q) = &q {
                        cx.prov(what("quantity"), q, false);
                        cx.bind(q, what("quantity"), value.clone());
                    }
                    let period = match e.tbl.get("period-days") {
                        Some(v) => cx.count(e.f, "period-days", v, 1).map(|(p, _)| p),
                        None => Some(365),
                    };
                    EventKind::ExportQuota {
                        exporter: exporter?,
                        products,
                        destinations,
                        quantity: q?.value,
                        period_days: period?,
                    }
                }
            }
        }
        "tariff" => {
            let importer = cx.req_region(e, "importer");
            let exporters = regions_sel(cx, e, "exporters");
            let (products, _) = products_sel(cx, e, "products");
            let rate = req_num(cx, e, "rate", &Dim::One)
                .filter(|n| cx.range_ok("rate", n, |x| x > -1.0, "> -1"));
            if let Some(r) = &rate {
                cx.prov(what("rate"), r, false);
                cx.bind(r, what("rate"), value.clone());
            }
            EventKind::Tariff {
                importer: importer?,
                exporters,
                products,
                rate: rate?.value,
            }
        }
        "capacity" => {
            let region = cx.req_region(e, "region");
            let product = cx.req_product(e, "product");
            let units = cx.units_of(&product.into_iter().collect::<Vec<_>>());
            let cap = opt_num(cx, e, "capacity", &Dim::Rate(units));
            let factor = opt_num(cx, e, "factor", &Dim::One);
            let ramp = match e.tbl.get("ramp-days") {
                Some(v) => cx.count(e.f, "ramp-days", v, 0).map(|(r, _)| r),
                None => Some(0),
            };
            let (region, product) = (region?, product?);
            let capacity = match (
                cap,
                factor,
                e.tbl.contains_key("capacity"),
                e.tbl.contains_key("factor"),
            ) {
                (Some(c), None, _, false) => {
                    cx.prov(what("capacity"), &c, false);
                    cx.bind(&c, what("capacity"), value.clone());
                    cx.ge0("capacity", &c).then_some(c.value)?
                }
                (None, Some(x), false, _) => {
                    cx.prov(what("factor"), &x, false);
                    if !cx.ge0("factor", &x) {
                        return None;
                    }
                    let base = cx
                        .world
                        .facilities
                        .iter()
                        .find(|f| f.region == region && f.product == product);
                    match base {
                        Some(f) => {
                            let scale = f.capacity;
                            cx.bind(&x, what("factor"), Target::EventValue { event: ev, scale });
                            scale * x.value
                        }
                        None => {
                            let (rc, pc) = (
                                cx.world.regions[region.ix()].code.clone(),
                                cx.world.products[product.ix()].code.clone(),
                            );
                            cx.err(
                                e.f,
                                x.span.clone(),
                                format!("no facility ({rc}, {pc}) for `factor` to scale"),
                                Some("give `capacity` instead, or add a `[[facility]]`".into()),
                            );
                            return None;
                        }
                    }
                }
                (_, _, true, true) => {
                    let span = e.tbl.get("factor").map_or(e.span.clone(), |v| v.span());
                    cx.err(
                        e.f,
                        span,
                        "give exactly one of `capacity` and `factor`, not both",
                        None,
                    );
                    return None;
                }
                (None, None, false, false) => {
                    cx.err(
                        e.f,
                        e.span.clone(),
                        "`capacity` event needs `capacity` or `factor`",
                        None,
                    );
                    return None;
                }
                _ => return None,
            };
            EventKind::Capacity {
                region,
                product,
                capacity,
                ramp_days: ramp?,
            }
        }
        "demand-shock" => {
            let regions = regions_sel(cx, e, "regions");
            let (products, _) = products_sel(cx, e, "products");
            let end_use = match cx.opt_str(e, "end-use") {
                Some((eu, span)) => {
                    let mut known: Vec<String> =
                        cx.world.demands.iter().map(|d| d.end_use.clone()).collect();
                    known.sort();
                    known.dedup();
                    if !known.iter().any(|k| k == eu) {
                        let hint = unknown_hint("end-uses", eu, &known);
                        cx.err(e.f, span, format!("unknown end-use `{eu}`"), Some(hint));
                    }
                    Some(eu.to_string())
                }
                None => None,
            };
            let factor = req_num(cx, e, "factor", &Dim::One).filter(|n| cx.ge0("factor", n));
            if let Some(x) = &factor {
                cx.prov(what("factor"), x, false);
                cx.bind(x, what("factor"), value.clone());
            }
            EventKind::DemandShock {
                regions,
                products,
                end_use,
                factor: factor?.value,
            }
        }
        "stockpile-release" | "stockpile-purchase" => {
            let region = cx.req_region(e, "region");
            let product = cx.req_product(e, "product");
            let rate = rate_of(cx, e, product, "rate");
            if kind == "stockpile-purchase" {
                EventKind::StockpilePurchase {
                    region: region?,
                    product: product?,
                    rate: rate?,
                }
            } else {
                let trigger = match opt_num(cx, e, "trigger-days-of-cover", &Dim::Days) {
                    Some(n) => {
                        cx.prov(what("trigger-days-of-cover"), &n, false);
                        cx.bind(
                            &n,
                            what("trigger-days-of-cover"),
                            Target::EventSecondary(ev),
                        );
                        Some(cx.ge0("trigger-days-of-cover", &n).then_some(n.value)?)
                    }
                    None => None,
                };
                EventKind::StockpileRelease {
                    region: region?,
                    product: product?,
                    rate: rate?,
                    trigger_days: trigger,
                }
            }
        }
        "offtake" => {
            let buyer = cx.req_region(e, "buyer");
            let supplier = cx.req_region(e, "supplier");
            let product = cx.req_product(e, "product");
            let rate = rate_of(cx, e, product, "rate");
            let floor = match opt_num(cx, e, "floor", &Dim::Price) {
                Some(n) => {
                    cx.prov(what("floor"), &n, false);
                    cx.bind(&n, what("floor"), Target::EventSecondary(ev));
                    cx.ge0("floor", &n).then_some(n.value)
                }
                None => Some(0.0),
            };
            EventKind::Offtake {
                buyer: buyer?,
                supplier: supplier?,
                product: product?,
                rate: rate?,
                floor: floor?,
            }
        }
        "rationing" => {
            let region = cx.req_region(e, "region");
            let rule = rationing(cx, e, "rule", "ally-group", true);
            EventKind::Rationing {
                region: region?,
                rule: rule?,
            }
        }
        _ => return None,
    })
}

/// An uncertain event date: `{ uniform = [d1, d2] }`, `{ triangular = [d1, mode, d2] }` or
/// `{ choice = [d1, d2, ...], weights = [...] }` over dates, or `{ on = DATE, shift-days = <number
/// distribution> }`. Returns the central date and the distribution of the day index.
fn uncertain_date(
    cx: &mut Cx,
    f: usize,
    v: &Sp,
    s: &ParsedSettings,
) -> Option<(jiff::civil::Date, Dist)> {
    let DeValue::Table(t) = v.get_ref() else {
        return None;
    };
    const FORMS: [&str; 3] = ["uniform", "triangular", "choice"];
    cx.check_keys(
        f,
        t,
        "`date`",
        &[
            "uniform",
            "triangular",
            "choice",
            "weights",
            "on",
            "shift-days",
        ],
    );
    let start = s.start?;
    let days = s.days?;
    let ix = |d: jiff::civil::Date| start.until(d).map_or(-1.0, |sp| f64::from(sp.get_days()));
    let dist = if let Some(on) = t.get("on") {
        let base = cx.date(f, "on", on)?;
        let Some(sv) = t.get("shift-days") else {
            cx.err(
                f,
                v.span(),
                "`date = { on = ... }` needs `shift-days`",
                Some(
                    "e.g. `date = { on = 2025-04-04, shift-days = { triangular = [-7, 0, 30] } }`"
                        .into(),
                ),
            );
            return None;
        };
        let n = cx.number(f, "shift-days", sv, &Dim::Days)?;
        let Some(pi) = n.dist else {
            cx.err(
                f,
                sv.span(),
                "`shift-days` must be a distribution",
                Some("for a fixed date write `date = 2025-04-04`".into()),
            );
            return None;
        };
        // The number is used here, not bound to a field: drop it from the pending list.
        let d = cx.pending.remove(pi).dist;
        let b = ix(base);
        match shift(d, b) {
            Some(d) => d,
            None => {
                cx.err(
                    f,
                    sv.span(),
                    "`shift-days` cannot be a lognormal",
                    Some("use `triangular`, `uniform`, `normal`, `beta` or `choice`".into()),
                );
                return None;
            }
        }
    } else {
        let given: Vec<&str> = FORMS
            .iter()
            .copied()
            .filter(|k| t.contains_key(*k))
            .collect();
        if given.len() != 1 {
            cx.err(
                f,
                v.span(),
                "an uncertain `date` needs exactly one of `uniform`, `triangular`, `choice`, or `on` with `shift-days`",
                Some("e.g. `date = { uniform = [2025-04-01, 2025-06-30] }`".into()),
            );
            return None;
        }
        let form = given[0];
        let dv = t.get(form)?;
        let DeValue::Array(items) = dv.get_ref() else {
            cx.err(
                f,
                dv.span(),
                format!("`{form}` must be an array of dates"),
                None,
            );
            return None;
        };
        let dates: Vec<Option<f64>> = items.iter().map(|x| cx.date(f, form, x).map(ix)).collect();
        let x: Vec<f64> = dates.into_iter().collect::<Option<Vec<f64>>>()?;
        let degenerate = |cx: &mut Cx, what: &str, hint: &str| {
            cx.err(
                f,
                v.span(),
                format!("degenerate date distribution: {what}"),
                Some(hint.into()),
            );
        };
        match (form, x.len()) {
            ("uniform", 2) if x[0] <= x[1] => Dist::Uniform(x[0], x[1]),
            ("uniform", 2) => {
                degenerate(
                    cx,
                    "the first date is after the second",
                    "write `uniform = [earliest, latest]`",
                );
                return None;
            }
            ("triangular", 3) if x[0] <= x[1] && x[1] <= x[2] => Dist::Triangular(x[0], x[1], x[2]),
            ("triangular", 3) => {
                degenerate(
                    cx,
                    "dates are not ordered earliest <= mode <= latest",
                    "write `triangular = [earliest, most likely, latest]`",
                );
                return None;
            }
            ("choice", 0) => {
                degenerate(cx, "`choice` is empty", "list at least one date");
                return None;
            }
            ("choice", n) => {
                let weights = match t.get("weights") {
                    Some(wv) => {
                        let DeValue::Array(ws) = wv.get_ref() else {
                            cx.err(f, wv.span(), "`weights` must be an array of numbers", None);
                            return None;
                        };
                        let w: Vec<f64> = ws
                            .iter()
                            .map(|x| cx.plain_number(f, "weights", x))
                            .collect::<Option<Vec<f64>>>()?;
                        if w.len() != n
                            || w.iter().any(|x| *x < 0.0)
                            || w.iter().sum::<f64>() <= 0.0
                        {
                            degenerate(
                                cx,
                                "weights must be one per date, >= 0, with a positive sum",
                                "e.g. `weights = [1, 3]`",
                            );
                            return None;
                        }
                        w
                    }
                    None => vec![1.0; n],
                };
                Dist::Choice { values: x, weights }
            }
            _ => {
                let shape = if form == "uniform" {
                    "[earliest, latest]"
                } else {
                    "[earliest, mode, latest]"
                };
                cx.err(
                    f,
                    dv.span(),
                    format!("`{form}` must be an array {shape} of dates"),
                    None,
                );
                return None;
            }
        }
    };
    let (lo, hi) = dist.support();
    if lo < 0.0 || hi >= f64::from(days) {
        let end = start
            .checked_add(jiff::Span::new().days(i64::from(days)))
            .map_or(String::from("?"), |d| d.to_string());
        cx.err(
            f,
            v.span(),
            format!("uncertain event date reaches outside the scenario horizon [{start}, {end})"),
            Some("every date the distribution can produce must lie inside the horizon; truncate `shift-days` with `min`/`max`".into()),
        );
        return None;
    }
    let central = dist.central().round();
    let d = start
        .checked_add(jiff::Span::new().days(central as i64))
        .ok()?;
    Some((d, dist))
}

/// A day-offset distribution moved to start at day index `b`.
fn shift(d: Dist, b: f64) -> Option<Dist> {
    Some(match d {
        Dist::Fixed(x) => Dist::Fixed(x + b),
        Dist::Uniform(x, y) => Dist::Uniform(x + b, y + b),
        Dist::Triangular(x, m, y) => Dist::Triangular(x + b, m + b, y + b),
        Dist::Normal { mean, sd, min, max } => Dist::Normal {
            mean: mean + b,
            sd,
            min: min + b,
            max: max + b,
        },
        Dist::Beta { a, b: bb, min, max } => Dist::Beta {
            a,
            b: bb,
            min: min + b,
            max: max + b,
        },
        Dist::Choice { values, weights } => Dist::Choice {
            values: values.into_iter().map(|v| v + b).collect(),
            weights,
        },
        Dist::LogNormal { .. } | Dist::Bernoulli(_) => return None,
    })
}
