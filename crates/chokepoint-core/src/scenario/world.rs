//! World sections (`[[source]]` ... `[[segment]]`), the base merge, and `[scenario]` settings.

use crate::bands::Bands;
use crate::model::{
    Demand, Facility, InventoryPolicy, Link, Product, ProductId, Recipe, Region, RegionId, Segment,
    Settings, Source, Stage, Stockpile, World,
};
use crate::uncertain::Target;
use crate::wire::{DIST_FORMS, Dim, Entry, MAX_DAYS, Sp, fmt_num, rationing, suggest};
use jiff::civil::Date;
use std::collections::HashMap;
use std::ops::Range;
use toml::de::{DeTable, DeValue};

/// The diagnostic context of scenario files: uncertain numbers set a [`Target`].
pub(super) type Cx<'t> = crate::wire::Cx<'t, Target>;

/// Days of cover used where no `[[inventory]]` entry is given, unless the scenario says otherwise.
pub(super) const DEFAULT_COVER_DAYS: f64 = 30.0;

/// Key fields of each world section; entities with equal keys replace each other across files.
const SECTIONS: [(&str, &[&str]); 11] = [
    ("source", &["id"]),
    ("region", &["id"]),
    ("product", &["id"]),
    ("recipe", &[]),
    ("facility", &["region", "product"]),
    ("link", &["from", "to", "product"]),
    ("demand", &["region", "product", "end-use"]),
    ("inventory", &["region", "product"]),
    ("stockpile", &["region", "product"]),
    ("segment", &["name"]),
    ("cohort", &["region", "name"]),
];

/// Where entities of the world were written: the key a check of the whole world reports at.
/// Index-aligned with the world's vectors; each place is (file, span).
#[derive(Debug, Default)]
pub(super) struct Places {
    /// Per recipe, per input (aligned with `Recipe::inputs`): the input's key.
    pub recipe_inputs: Vec<Vec<(usize, Range<usize>)>>,
    /// Per link: its `from` value.
    pub links: Vec<(usize, Range<usize>)>,
    /// Per demand: its `product` value.
    pub demands: Vec<(usize, Range<usize>)>,
}

/// The `transit-days` limit and why.
const MAX_TRANSIT: (u32, &str) = (
    MAX_DAYS,
    "a shipment cannot take longer than the longest run (36500 days, 100 years): it would never \
     arrive, and the in-transit pipeline keeps one slot per day of the longest transit on every \
     link",
);

/// The `days` limit and why.
const MAX_RUN: (u32, &str) = (
    MAX_DAYS,
    "a run covers at most 100 years; split a longer study into several scenarios",
);

/// The `spin-up-days` limit and why.
const MAX_SPIN_UP: (u32, &str) = (
    3650,
    "a spin-up of ten years reaches any state a regime can be in; start the scenario later",
);

/// Settings plus what events need to date themselves.
pub(super) struct ParsedSettings {
    pub settings: Settings,
    pub start: Option<Date>,
    pub days: Option<u32>,
}

/// Entries of one section over all files (base first), later files replacing equal keys.
pub(super) fn merged<'a, 'x>(
    cx: &mut Cx<'_>,
    docs: &[(usize, &'a DeTable<'x>)],
    section: &str,
) -> Vec<Entry<'a, 'x>> {
    let key_fields = SECTIONS
        .iter()
        .find(|(s, _)| *s == section)
        .map_or(&[][..], |(_, k)| *k);
    let mut out: Vec<Entry<'a, 'x>> = Vec::new();
    let mut index: HashMap<Vec<String>, usize> = HashMap::new();
    for &(f, doc) in docs {
        let Some(v) = doc.get(section) else { continue };
        for e in cx.entries(f, section, v) {
            let key: Option<Vec<String>> = if key_fields.is_empty() {
                None
            } else {
                key_fields
                    .iter()
                    .map(|k| {
                        e.tbl
                            .get(*k)
                            .and_then(|v| v.get_ref().as_str())
                            .map(str::to_string)
                    })
                    .collect()
            };
            let Some(key) = key else {
                out.push(e);
                continue;
            };
            match index.get(&key) {
                Some(&i) if out[i].f == f => {
                    let span = e
                        .tbl
                        .get(key_fields[0])
                        .map_or(e.span.clone(), |v| v.span());
                    let first = out[i]
                        .tbl
                        .get(key_fields[0])
                        .map_or(out[i].span.clone(), |v| v.span());
                    let shown = if key.len() == 1 {
                        format!("`{}`", key[0])
                    } else {
                        format!("({})", key.join(", "))
                    };
                    let line = cx.line_of(f, first.start);
                    cx.err(
                        f,
                        span,
                        format!("duplicate {section} {shown}"),
                        Some(format!("first defined at line {line}")),
                    );
                }
                Some(&i) => out[i] = e,
                None => {
                    index.insert(key, out.len());
                    out.push(e);
                }
            }
        }
    }
    out
}

fn is_region_code(s: &str) -> bool {
    s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase())
}

fn is_product_code(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
}

fn is_element(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|c| c.is_ascii_uppercase())
        && s.len() <= 2
        && c.all(|c| c.is_ascii_lowercase())
}

/// Walks and validates every world section of `docs` (base first) into `cx.world`; returns
/// where the entities that whole-world checks report at were written, and the `[[stockpile]]`
/// entries that name a buyer cohort (`USA/oem`): a cohort is a region only once the cohorts
/// are expanded, so those are walked after it ([`cohort_stockpiles`]).
pub(super) fn walk_world<'a, 't>(
    cx: &mut Cx<'t>,
    docs: &[(usize, &'a DeTable<'t>)],
) -> (Places, Vec<Entry<'a, 't>>) {
    let mut at = Places::default();
    cx.world.default_cover_days = DEFAULT_COVER_DAYS;
    let es = merged(cx, docs, "source");
    sources(cx, &es);
    let es = merged(cx, docs, "region");
    regions(cx, &es);
    let es = merged(cx, docs, "product");
    products(cx, &es);
    let es = merged(cx, docs, "recipe");
    recipes(cx, &es, &mut at);
    let es = merged(cx, docs, "facility");
    facilities(cx, &es);
    let es = merged(cx, docs, "link");
    links(cx, &es, &mut at);
    let es = merged(cx, docs, "demand");
    demands(cx, &es, &mut at);
    let es = merged(cx, docs, "inventory");
    inventories(cx, &es);
    let es = merged(cx, docs, "stockpile");
    let (of_cohorts, es): (Vec<_>, Vec<_>) = es.into_iter().partition(|e| {
        e.tbl
            .get("region")
            .and_then(|v| v.get_ref().as_str())
            .is_some_and(|r| r.contains('/'))
    });
    stockpiles(cx, &es);
    let es = merged(cx, docs, "segment");
    segments(cx, &es);
    (at, of_cohorts)
}

/// The `[[stockpile]]` entries of buyer cohorts, walked once the cohorts are expanded: the
/// cohort must exist and hold a stock of the product (its final demand, its facility or a link
/// into it), or the stockpile would sit where nothing draws on it.
pub(super) fn cohort_stockpiles(cx: &mut Cx, es: &[Entry]) {
    stockpiles_held(cx, es, true);
}

/// Whether (region, product) is a node that holds stock: final demand, a facility or a link in.
fn holds(w: &World, r: RegionId, p: ProductId) -> bool {
    w.demands.iter().any(|d| d.region == r && d.product == p)
        || w.facilities.iter().any(|f| f.region == r && f.product == p)
        || w.links.iter().any(|l| l.to == r && l.product == p)
}

fn sources(cx: &mut Cx, es: &[Entry]) {
    for e in es {
        cx.keys(e, &["id", "title", "url"]);
        let id = cx.req_str(e, "id");
        let title = cx.req_str(e, "title");
        let url = cx.opt_str(e, "url");
        if let Some((id, _)) = id {
            cx.sources.insert(id.to_string());
            cx.world.sources.push(Source {
                id: id.to_string(),
                title: title.map_or(String::new(), |t| t.0.to_string()),
                url: url.map_or(String::new(), |u| u.0.to_string()),
            });
        }
    }
}

fn regions(cx: &mut Cx, es: &[Entry]) {
    for e in es {
        cx.keys(e, &["id", "name", "groups"]);
        let id = cx.req_str(e, "id");
        let name = cx.opt_str(e, "name");
        let groups = match e.tbl.get("groups") {
            Some(v) => cx
                .str_list(e.f, "groups", v)
                .into_iter()
                .map(|(g, _)| g.to_string())
                .collect(),
            None => Vec::new(),
        };
        let Some((id, span)) = id else { continue };
        if !is_region_code(id) {
            cx.err(
                e.f,
                span,
                format!("region id `{id}` must be three upper-case letters"),
                Some(
                    "use an ISO 3166-1 alpha-3 code, or a user-assigned one such as `EUU` or `XRW`"
                        .into(),
                ),
            );
        }
        cx.world.regions.push(Region {
            code: id.to_string(),
            name: name.map_or(id.to_string(), |n| n.0.to_string()),
            groups,
            parent: None,
            priority: 0,
        });
    }
}

fn products(cx: &mut Cx, es: &[Entry]) {
    const KEYS: [&str; 8] = [
        "id",
        "name",
        "unit",
        "stage",
        "content",
        "price",
        "price-response",
        "price-adjust-days",
    ];
    for e in es {
        cx.keys(e, &KEYS);
        let id = cx.req_str(e, "id");
        let name = cx.opt_str(e, "name");
        let unit = cx.req_str(e, "unit");
        let stage = cx.req_str(e, "stage").and_then(|(s, span)| {
            let found = Stage::ALL.iter().find(|(n, _)| *n == s).map(|(_, st)| *st);
            if found.is_none() {
                let names: Vec<&str> = Stage::ALL.iter().map(|(n, _)| *n).collect();
                let hint = match suggest(s, &names) {
                    Some(x) => format!("did you mean `{x}`?"),
                    None => format!("stages: {}", names.join(", ")),
                };
                cx.err(e.f, span, format!("unknown stage `{s}`"), Some(hint));
            }
            found
        });
        let code = id.as_ref().map_or("?", |(s, _)| *s).to_string();
        if let Some((id, span)) = id.clone()
            && !is_product_code(id)
        {
            cx.err(
                e.f,
                span,
                format!("product id `{id}` must be lower-case letters, digits and `-`"),
                None,
            );
        }
        let mut content = Vec::new();
        if let Some(v) = e.tbl.get("content") {
            match v.get_ref() {
                DeValue::Table(t) => {
                    for (k, cv) in t.iter() {
                        let el: &str = k.get_ref();
                        if !is_element(el) {
                            cx.err(
                                e.f,
                                k.span(),
                                format!("`{el}` is not an element symbol"),
                                Some("write element symbols like `Nd`, `Pr`, `Dy`".into()),
                            );
                        }
                        let key = format!("content.{el}");
                        if let Some(n) = cx.number(e.f, &key, cv, &Dim::One)
                            && cx.unit_interval(&key, &n)
                        {
                            cx.prov(format!("product {code} content {el}"), &n, false);
                            content.push((el.to_string(), n.value));
                        }
                    }
                }
                other => cx.err(
                    e.f,
                    v.span(),
                    format!("`content` must be a table, found {}", other.type_str()),
                    Some("write `content = { Nd = 0.23, Pr = 0.07 }`".into()),
                ),
            }
        }
        content.sort_by(|a, b| a.0.cmp(&b.0));
        let mut price = 0.0;
        if let Some(v) = cx.req(e, "price")
            && let Some(n) = cx.number(e.f, "price", v, &Dim::Price)
        {
            cx.gt0("price", &n);
            let ix = cx.world.products.len();
            cx.bind(
                &n,
                format!("product {code} price"),
                Target::ProductPrice(ix),
            );
            cx.prov(format!("product {code} price"), &n, true);
            price = n.value;
        }
        let mut price_response = 0.0;
        if let Some(v) = e.tbl.get("price-response")
            && let Some(n) = cx.number(e.f, "price-response", v, &Dim::One)
        {
            cx.ge0("price-response", &n);
            let ix = cx.world.products.len();
            cx.bind(
                &n,
                format!("product {code} price-response"),
                Target::ProductPriceResponse(ix),
            );
            cx.prov(format!("product {code} price-response"), &n, false);
            price_response = n.value;
        }
        let mut price_adjust_days = 14.0;
        if let Some(v) = e.tbl.get("price-adjust-days")
            && let Some(n) = cx.number(e.f, "price-adjust-days", v, &Dim::Days)
        {
            cx.gt0("price-adjust-days", &n);
            cx.prov(format!("product {code} price-adjust-days"), &n, false);
            price_adjust_days = n.value;
        }
        if id.is_none() {
            continue;
        }
        cx.world.products.push(Product {
            name: name.map_or(code.clone(), |n| n.0.to_string()),
            code,
            unit: unit.map_or(String::new(), |u| u.0.to_string()),
            stage: stage.unwrap_or(Stage::EndUse),
            content,
            price,
            price_response,
            price_adjust_days,
        });
    }
}

fn region_list(cx: &mut Cx, e: &Entry, key: &str) -> Vec<RegionId> {
    match e.tbl.get(key) {
        Some(v) => {
            let items = cx.str_list(e.f, key, v);
            items
                .into_iter()
                .filter_map(|(s, span)| cx.region_code(e.f, s, span))
                .collect()
        }
        None => Vec::new(),
    }
}

fn recipes(cx: &mut Cx, es: &[Entry], at: &mut Places) {
    for e in es {
        let mut places = Vec::new();
        cx.keys(e, &["output", "inputs", "priority", "share", "regions"]);
        let output = cx.req_product(e, "output");
        let out_code = output
            .map(|p| cx.world.products[p.ix()].code.clone())
            .unwrap_or_default();
        let mut inputs = Vec::new();
        if let Some(v) = cx.req(e, "inputs") {
            match v.get_ref() {
                DeValue::Table(t) => {
                    if t.is_empty() {
                        cx.err(e.f, v.span(), "`inputs` must not be empty", None);
                    }
                    for (k, iv) in t.iter() {
                        let code: &str = k.get_ref();
                        let p = cx.product_code(e.f, code, k.span());
                        if p.is_some() && p == output {
                            cx.err(
                                e.f,
                                k.span(),
                                format!("recipe input `{code}` is the recipe's own output"),
                                Some("a product cannot be made from itself".into()),
                            );
                        }
                        let key = format!("inputs.{code}");
                        if let Some(n) = cx.number(e.f, &key, iv, &Dim::One) {
                            cx.gt0(&key, &n);
                            cx.prov(format!("recipe {out_code} input {code}"), &n, false);
                            if let Some(p) = p {
                                inputs.push((p, n.value));
                                places.push((e.f, k.span()));
                            }
                        }
                    }
                }
                other => cx.err(
                    e.f,
                    v.span(),
                    format!("`inputs` must be a table, found {}", other.type_str()),
                    Some("write `inputs = { ndpr-metal = 0.31 }`".into()),
                ),
            }
        }
        let priority = e
            .tbl
            .get("priority")
            .and_then(|v| cx.count(e.f, "priority", v, 0))
            .map_or(0, |(p, _)| p);
        let share = e.tbl.get("share").and_then(|v| {
            cx.number(e.f, "share", v, &Dim::One)
                .filter(|n| cx.unit_interval("share", n))
                .map(|n| {
                    cx.prov(format!("recipe {out_code} baseline share"), &n, false);
                    n.value
                })
        });
        let regions = region_list(cx, e, "regions");
        if let Some(output) = output {
            at.recipe_inputs.push(places);
            cx.world.recipes.push(Recipe {
                output,
                inputs,
                priority,
                share,
                regions,
            });
        }
    }
}

/// Region and product of an entry keyed by (`rkey`, product).
fn region_product(cx: &mut Cx, e: &Entry, rkey: &str) -> (Option<RegionId>, Option<ProductId>) {
    (cx.req_region(e, rkey), cx.req_product(e, "product"))
}

fn facilities(cx: &mut Cx, es: &[Entry]) {
    for e in es {
        cx.keys(e, &["region", "product", "capacity", "plants"]);
        let (r, p) = region_product(cx, e, "region");
        let units = cx.units_of(&p.into_iter().collect::<Vec<_>>());
        let cap = cx
            .req(e, "capacity")
            .and_then(|v| cx.number(e.f, "capacity", v, &Dim::Rate(units)));
        let plants = match e.tbl.get("plants") {
            Some(v) => cx
                .str_list(e.f, "plants", v)
                .into_iter()
                .map(|(s, _)| s.to_string())
                .collect(),
            None => Vec::new(),
        };
        let (Some(r), Some(p), Some(cap)) = (r, p, cap) else {
            continue;
        };
        cx.ge0("capacity", &cap);
        let what = format!(
            "facility {} {} capacity",
            cx.world.regions[r.ix()].code,
            cx.world.products[p.ix()].code
        );
        let ix = cx.world.facilities.len();
        cx.bind(&cap, what.clone(), Target::FacilityCapacity(ix));
        cx.prov(what, &cap, true);
        cx.world.facilities.push(Facility {
            region: r,
            product: p,
            capacity: cap.value,
            plants,
        });
    }
}

/// Shares into one (to, product): the key, their sum, and where to report a bad sum.
type ShareSum = ((RegionId, ProductId), f64, usize, Range<usize>);

fn links(cx: &mut Cx, es: &[Entry], at: &mut Places) {
    let mut sums: Vec<ShareSum> = Vec::new();
    let mut bad_groups: Vec<(RegionId, ProductId)> = Vec::new();
    for e in es {
        cx.keys(
            e,
            &["from", "to", "product", "share", "transit-days", "tariff"],
        );
        let from = cx.req_region(e, "from");
        let (to, p) = region_product(cx, e, "to");
        let share = cx
            .req(e, "share")
            .and_then(|v| cx.number(e.f, "share", v, &Dim::One));
        let transit = e
            .tbl
            .get("transit-days")
            .and_then(|v| cx.count_in(e.f, "transit-days", v, 0, MAX_TRANSIT));
        let tariff = e
            .tbl
            .get("tariff")
            .and_then(|v| cx.number(e.f, "tariff", v, &Dim::One));
        if let Some(t) = &tariff {
            cx.ge0("tariff", t);
        }
        let share_ok = share.as_ref().is_some_and(|s| cx.unit_interval("share", s));
        let (Some(from), Some(to), Some(p)) = (from, to, p) else {
            continue;
        };
        let name = format!(
            "link {}->{} {}",
            cx.world.regions[from.ix()].code,
            cx.world.regions[to.ix()].code,
            cx.world.products[p.ix()].code
        );
        if let Some(s) = &share {
            cx.prov(format!("{name} share"), s, true);
        }
        if let Some((_, n)) = &transit {
            cx.prov(format!("{name} transit-days"), n, true);
        }
        if let Some(t) = &tariff {
            cx.prov(format!("{name} tariff"), t, true);
            let ix = cx.world.links.len();
            cx.bind(t, format!("{name} tariff"), Target::LinkTariff(ix));
        }
        let Some(share) = share.filter(|_| share_ok) else {
            bad_groups.push((to, p));
            continue;
        };
        match sums.iter_mut().find(|(k, ..)| *k == (to, p)) {
            Some(entry) => {
                entry.1 += share.value;
                // Report at the first link from the scenario (file 0) rather than its base.
                if e.f < entry.2 {
                    entry.2 = e.f;
                    entry.3 = share.span.clone();
                }
            }
            None => sums.push(((to, p), share.value, e.f, share.span.clone())),
        }
        let from_span = e.tbl.get("from").map_or(e.span.clone(), |v| v.span());
        at.links.push((e.f, from_span));
        cx.world.links.push(Link {
            from,
            to,
            product: p,
            share: share.value,
            transit_days: transit.map_or(0, |(t, _)| t),
            tariff: tariff.map_or(0.0, |t| t.value),
        });
    }
    for ((to, p), sum, f, span) in sums {
        if bad_groups.contains(&(to, p)) || (sum - 1.0).abs() <= 1e-6 {
            continue;
        }
        let (rc, pc) = (
            cx.world.regions[to.ix()].code.clone(),
            cx.world.products[p.ix()].code.clone(),
        );
        cx.err(
            f,
            span,
            format!(
                "shares of links into ({rc}, {pc}) sum to {}, expected 1",
                fmt_num((sum * 1e9).round() / 1e9)
            ),
            Some(
                "the shares of all links into one (to, product) must sum to 1 (within 1e-6)".into(),
            ),
        );
    }
}

fn demands(cx: &mut Cx, es: &[Entry], at: &mut Places) {
    for e in es {
        cx.keys(
            e,
            &[
                "region",
                "product",
                "end-use",
                "quantity",
                "growth",
                "elasticity",
            ],
        );
        let (r, p) = region_product(cx, e, "region");
        let end_use = cx.req_str(e, "end-use");
        if let Some(("", span)) = end_use.clone() {
            cx.err(e.f, span, "`end-use` must not be empty", None);
        }
        let units = cx.units_of(&p.into_iter().collect::<Vec<_>>());
        let q = cx
            .req(e, "quantity")
            .and_then(|v| cx.number(e.f, "quantity", v, &Dim::Rate(units)));
        let growth = e
            .tbl
            .get("growth")
            .and_then(|v| cx.number(e.f, "growth", v, &Dim::One));
        let elasticity = e
            .tbl
            .get("elasticity")
            .and_then(|v| cx.number(e.f, "elasticity", v, &Dim::One));
        if let Some(q) = &q {
            cx.ge0("quantity", q);
        }
        if let Some(g) = &growth {
            cx.range_ok("growth", g, |x| x > -1.0, "> -1");
        }
        if let Some(x) = &elasticity {
            cx.ge0("elasticity", x);
        }
        let (Some(r), Some(p), Some((eu, _)), Some(q)) = (r, p, end_use, q) else {
            continue;
        };
        let name = format!(
            "demand {} {} {eu}",
            cx.world.regions[r.ix()].code,
            cx.world.products[p.ix()].code
        );
        let ix = cx.world.demands.len();
        cx.prov(format!("{name} quantity"), &q, true);
        cx.bind(&q, format!("{name} quantity"), Target::DemandQuantity(ix));
        if let Some(g) = &growth {
            cx.prov(format!("{name} growth"), g, true);
            cx.bind(g, format!("{name} growth"), Target::DemandGrowth(ix));
        }
        if let Some(x) = &elasticity {
            cx.prov(format!("{name} elasticity"), x, true);
            cx.bind(
                x,
                format!("{name} elasticity"),
                Target::DemandElasticity(ix),
            );
        }
        let product_span = e.tbl.get("product").map_or(e.span.clone(), |v| v.span());
        at.demands.push((e.f, product_span));
        cx.world.demands.push(Demand {
            region: r,
            product: p,
            end_use: eu.to_string(),
            quantity: q.value,
            growth: growth.map_or(0.0, |g| g.value),
            elasticity: elasticity.map_or(0.0, |x| x.value),
        });
    }
}

fn inventories(cx: &mut Cx, es: &[Entry]) {
    for e in es {
        cx.keys(e, &["region", "product", "initial-days", "target-days"]);
        let (r, p) = region_product(cx, e, "region");
        let mut days = [None, None];
        for (i, key) in ["initial-days", "target-days"].into_iter().enumerate() {
            if let Some(n) = cx
                .req(e, key)
                .and_then(|v| cx.number(e.f, key, v, &Dim::Days))
            {
                cx.ge0(key, &n);
                days[i] = Some(n);
            }
        }
        let (Some(r), Some(p), [Some(init), Some(target)]) = (r, p, days) else {
            continue;
        };
        let name = format!(
            "inventory {} {}",
            cx.world.regions[r.ix()].code,
            cx.world.products[p.ix()].code
        );
        cx.prov(format!("{name} initial-days"), &init, true);
        cx.prov(format!("{name} target-days"), &target, true);
        let ix = cx.world.inventories.len();
        cx.bind(
            &init,
            format!("{name} initial-days"),
            Target::InventoryInitialDays(ix),
        );
        cx.bind(
            &target,
            format!("{name} target-days"),
            Target::InventoryTargetDays(ix),
        );
        cx.world.inventories.push(InventoryPolicy {
            region: r,
            product: p,
            initial_days: init.value,
            target_days: target.value,
        });
    }
}

fn stockpiles(cx: &mut Cx, es: &[Entry]) {
    stockpiles_held(cx, es, false);
}

/// Walks `[[stockpile]]` entries; with `need_stock`, one whose node holds no stock of its
/// product is an error at `product` listing what the region holds.
fn stockpiles_held(cx: &mut Cx, es: &[Entry], need_stock: bool) {
    for e in es {
        cx.keys(e, &["region", "product", "quantity"]);
        let (r, p) = region_product(cx, e, "region");
        let units = cx.units_of(&p.into_iter().collect::<Vec<_>>());
        let q = cx
            .req(e, "quantity")
            .and_then(|v| cx.number(e.f, "quantity", v, &Dim::Qty(units)));
        if let Some(q) = &q {
            cx.ge0("quantity", q);
        }
        let (Some(r), Some(p), Some(q)) = (r, p, q) else {
            continue;
        };
        if need_stock && !holds(&cx.world, r, p) {
            let w = &cx.world;
            let held: Vec<&str> = (0..w.products.len())
                .filter(|&i| holds(w, r, ProductId(i as u32)))
                .map(|i| w.products[i].code.as_str())
                .collect();
            let (rc, pc) = (&w.regions[r.ix()].code, &w.products[p.ix()].code);
            let msg = format!(
                "cohort `{rc}` holds no stock of `{pc}`: nothing would draw on this stockpile"
            );
            let hint = format!("`{rc}` holds {}", held.join(", "));
            let span = e.tbl.get("product").map_or(e.span.clone(), |v| v.span());
            cx.err(e.f, span, msg, Some(hint));
            continue;
        }
        let name = format!(
            "stockpile {} {} quantity",
            cx.world.regions[r.ix()].code,
            cx.world.products[p.ix()].code
        );
        let ix = cx.world.stockpiles.len();
        cx.bind(&q, name.clone(), Target::StockpileQuantity(ix));
        cx.prov(name, &q, true);
        cx.world.stockpiles.push(Stockpile {
            region: r,
            product: p,
            quantity: q.value,
        });
    }
}

fn segments(cx: &mut Cx, es: &[Entry]) {
    for e in es {
        cx.keys(e, &["name", "regions"]);
        let name = cx.req_str(e, "name");
        if let Some(("world", span)) = name.clone() {
            cx.err(
                e.f,
                span,
                "segment name `world` is reserved",
                Some("regions in no segment form the implicit segment `world`".into()),
            );
        }
        let mut regions = Vec::new();
        if let Some(v) = cx.req(e, "regions") {
            for (code, span) in cx.str_list(e.f, "regions", v) {
                let Some(r) = cx.region_code(e.f, code, span.clone()) else {
                    continue;
                };
                let other = cx
                    .world
                    .segments
                    .iter()
                    .find(|s| s.regions.contains(&r))
                    .map(|s| s.name.clone());
                if let Some(other) = other.or_else(|| {
                    regions
                        .contains(&r)
                        .then(|| name.as_ref().map_or(String::new(), |n| n.0.to_string()))
                }) {
                    cx.err(
                        e.f,
                        span,
                        format!("region `{code}` is already in segment `{other}`"),
                        Some("a region belongs to at most one segment".into()),
                    );
                    continue;
                }
                regions.push(r);
            }
        }
        if let Some((n, _)) = name {
            cx.world.segments.push(Segment {
                name: n.to_string(),
                regions,
            });
        }
    }
}

/// Whether the run's last day, `start + days - 1`, is a date outputs can write (at most
/// 9999-12-31); reports it at `start` when it is not.
fn fits_the_calendar(cx: &mut Cx, f: usize, span: Range<usize>, start: Date, days: u32) -> bool {
    let last = start.checked_add(jiff::Span::new().days(i64::from(days) - 1));
    if last.is_ok() {
        return true;
    }
    let latest_start = Date::MAX
        .checked_sub(jiff::Span::new().days(i64::from(days) - 1))
        .map_or(String::from("none"), |d| d.to_string());
    cx.err(
        f,
        span,
        format!(
            "a run of {days} days from {start} ends after {}, the last date outputs can write",
            Date::MAX
        ),
        Some(format!(
            "start on or before {latest_start} for {days} days, or run fewer days (dates end at {})",
            Date::MAX
        )),
    );
    false
}

/// The `[scenario]` table (after the world, so that groups are known).
pub(super) fn walk_settings(cx: &mut Cx, scen: Option<&Entry>) -> ParsedSettings {
    let mut out = ParsedSettings {
        settings: Settings::default(),
        start: None,
        days: None,
    };
    let Some(e) = scen else { return out };
    const KEYS: [&str; 14] = [
        "name",
        "base",
        "start",
        "days",
        "spin-up-days",
        "seed",
        "rationing",
        "ally-group",
        "adaptation-rate",
        "fill-memory-days",
        "default-cover-days",
        "trace-origins",
        "qualification-days",
        "bands",
    ];
    cx.keys(e, &KEYS);
    if let Some((n, _)) = cx.req_str(e, "name") {
        out.settings.name = n.to_string();
    }
    let start_v = cx.req(e, "start");
    out.start = start_v.and_then(|v| cx.date(e.f, "start", v));
    if let Some(d) = out.start {
        out.settings.start = d;
    }
    if let Some((d, _)) = cx
        .req(e, "days")
        .and_then(|v| cx.count_in(e.f, "days", v, 1, MAX_RUN))
    {
        out.days = Some(d);
        out.settings.days = d;
    }
    if let (Some(start), Some(days), Some(v)) = (out.start, out.days, start_v)
        && !fits_the_calendar(cx, e.f, v.span(), start, days)
    {
        // Event dates cannot be placed in a horizon that has no end date.
        out.start = None;
    }
    // A warm start: the run begins `spin-up-days` before `start`, and those days are simulated
    // but not reported. Events then date themselves from the spin-up's first day.
    if let Some(v) = e.tbl.get("spin-up-days")
        && let Some((n, _)) = cx.count_in(e.f, "spin-up-days", v, 0, MAX_SPIN_UP)
        && n > 0
        && let (Some(start), Some(days)) = (out.start, out.days)
    {
        match start.checked_sub(jiff::Span::new().days(i64::from(n))) {
            Ok(first) => {
                out.start = Some(first);
                out.settings.start = first;
                out.days = Some(days + n);
                out.settings.days = days + n;
                out.settings.report_from = n;
            }
            Err(_) => {
                cx.err(
                    e.f,
                    v.span(),
                    format!("a spin-up of {n} days before {start} starts before the first date"),
                    Some("shorten the spin-up".into()),
                );
                out.start = None;
            }
        }
    }
    if let Some(v) = e.tbl.get("seed") {
        match v.get_ref() {
            DeValue::Integer(i) => match u64::from_str_radix(i.as_str(), i.radix()) {
                Ok(s) => out.settings.seed = s,
                Err(_) => cx.err(
                    e.f,
                    v.span(),
                    format!("`seed` must be a whole number >= 0, found {i}"),
                    None,
                ),
            },
            other => cx.err(
                e.f,
                v.span(),
                format!("`seed` must be an integer, found {}", other.type_str()),
                None,
            ),
        }
    }
    if let Some(r) = rationing(cx, e, "rationing", "ally-group", false) {
        out.settings.rationing = r;
    }
    if let Some(n) = e
        .tbl
        .get("adaptation-rate")
        .and_then(|v| cx.number(e.f, "adaptation-rate", v, &Dim::One))
    {
        cx.unit_interval("adaptation-rate", &n);
        cx.bind(
            &n,
            "scenario adaptation-rate".into(),
            Target::AdaptationRate,
        );
        out.settings.adaptation_rate = n.value;
    }
    if let Some(n) = e
        .tbl
        .get("fill-memory-days")
        .and_then(|v| cx.number(e.f, "fill-memory-days", v, &Dim::Days))
    {
        cx.gt0("fill-memory-days", &n);
        out.settings.fill_memory_days = n.value;
    }
    if let Some(n) = e
        .tbl
        .get("default-cover-days")
        .and_then(|v| cx.number(e.f, "default-cover-days", v, &Dim::Days))
    {
        cx.ge0("default-cover-days", &n);
        cx.world.default_cover_days = n.value;
    }
    if let Some(v) = e.tbl.get("trace-origins") {
        for (code, span) in cx.str_list(e.f, "trace-origins", v) {
            if let Some(r) = cx.region_code(e.f, code, span.clone()) {
                if out.settings.trace_origins.contains(&r) {
                    cx.err(e.f, span, format!("region `{code}` is listed twice"), None);
                } else {
                    out.settings.trace_origins.push(r);
                }
            }
        }
    }
    if let Some(v) = e.tbl.get("qualification-days") {
        qualification_days(cx, e.f, v, &mut out.settings);
    }
    if let Some(v) = e.tbl.get("bands") {
        bands(cx, e.f, v, &mut out.settings);
    }
    out
}

/// `bands`: a term or a list of terms (`crate::bands`), each checked against the world's
/// region and product codes; every problem is reported at the term that has it.
fn bands(cx: &mut Cx, f: usize, v: &Sp, settings: &mut Settings) {
    let terms: Vec<(&str, Range<usize>)> = match v.get_ref() {
        DeValue::String(s) => vec![(s.as_ref(), v.span())],
        _ => cx.str_list(f, "bands", v),
    };
    if terms.is_empty() {
        cx.err(
            f,
            v.span(),
            "`bands` names no series",
            Some(
                "write \"headline\", \"all\" or a list such as [\"price\", \"unmet_demand:USA\"]"
                    .into(),
            ),
        );
        return;
    }
    let regions: Vec<&str> = cx.world.regions.iter().map(|r| r.code.as_str()).collect();
    let products: Vec<(&str, &str)> = cx
        .world
        .products
        .iter()
        .map(|p| (p.code.as_str(), p.stage.as_str()))
        .collect();
    let words: Vec<&str> = terms.iter().map(|t| t.0).collect();
    match Bands::read(&words, &regions, &products) {
        Ok(b) => settings.bands = b,
        Err(problems) => {
            for (i, p) in problems {
                let span = terms[i].1.clone();
                let msg = format!("`bands`: {}: {}", p.term.trim(), p.message);
                cx.err(f, span, msg, p.hint);
            }
        }
    }
}

/// `qualification-days`: whole days >= 0 for every product (bare or `{ value, source, ... }`),
/// or a table of them by product code with `default` for the rest. Not uncertain: the
/// engine reads it once per run.
fn qualification_days(cx: &mut Cx, f: usize, v: &Sp, settings: &mut Settings) {
    const MAX: (u32, &str) = (
        36_500,
        "a hundred years is longer than any qualification; is the unit right?",
    );
    let by_product = match v.get_ref() {
        DeValue::Table(t) if !t.contains_key("value") => Some(t),
        _ => None,
    };
    let dist = |t: &DeTable| {
        t.iter()
            .any(|(k, _)| DIST_FORMS.contains(&k.get_ref().as_ref()))
    };
    let uncertain = match v.get_ref() {
        DeValue::Table(t) => dist(t),
        _ => false,
    };
    if uncertain {
        cx.err(
            f,
            v.span(),
            "`qualification-days` cannot be uncertain",
            Some("give whole days, or a table of them by product: `{ default = 120, ndfeb-magnet-hre = 150 }`".into()),
        );
        return;
    }
    let Some(t) = by_product else {
        if let Some((d, n)) = cx.count_in(f, "qualification-days", v, 0, MAX) {
            cx.prov("qualification-days".into(), &n, false);
            settings.qualification_days = d;
        }
        return;
    };
    for (k, dv) in t.iter() {
        let name: &str = k.get_ref();
        let key = format!("qualification-days.{name}");
        let product = if name == "default" {
            None
        } else {
            match cx.product_code(f, name, k.span()) {
                Some(p) => Some(p),
                None => continue,
            }
        };
        if let DeValue::Table(inner) = dv.get_ref()
            && dist(inner)
        {
            cx.err(f, dv.span(), format!("`{key}` cannot be uncertain"), None);
            continue;
        }
        let Some((d, n)) = cx.count_in(f, &key, dv, 0, MAX) else {
            continue;
        };
        cx.prov(key, &n, false);
        match product {
            None => settings.qualification_days = d,
            Some(p) => settings.qualification_by_product.push((p, d)),
        }
    }
}
