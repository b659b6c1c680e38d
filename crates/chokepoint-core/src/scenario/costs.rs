//! The `[costs]` table of a scenario: the unit costs of its levers and the value of lost
//! output ([`Costs`], docs/scenario.md). Read after the world and its cohorts, so that regions,
//! products and end uses can be checked; every problem is reported, none stops the others.

use super::world::Cx;
use crate::costs::{BuildOut, Costs, RecyclingCost, ThriftingCost, UpliftCost, ValueLost};
use crate::wire::{Dim, Entry, Num, Sp, unknown_hint};
use toml::de::DeValue;

const KEYS: [&str; 6] = [
    "holding-rate",
    "value-lost",
    "build-out",
    "recycling",
    "thrifting",
    "approval-uplift",
];

/// A cost is one number with its source: it sets no random draw, so a distribution is
/// refused (by the wire, which reports a distribution nothing binds).
fn plain(cx: &mut Cx, f: usize, key: &str, v: &Sp<'_>, dim: &Dim, what: String) -> Option<Num> {
    let n = cx.number(f, key, v, dim)?;
    if !cx.ge0(key, &n) {
        return None;
    }
    cx.prov(what, &n, true);
    Some(n)
}

/// `value-lost = { ev = 25000, ... }`: USD per kg of end-use product, per end use.
fn value_lost(cx: &mut Cx, f: usize, v: &Sp<'_>) -> Vec<ValueLost> {
    let DeValue::Table(t) = v.get_ref() else {
        cx.err(
            f,
            v.span(),
            format!(
                "`value-lost` must be a table, found {}",
                v.get_ref().type_str()
            ),
            Some("write `value-lost = { ev = { value = 25000, unit = \"USD/kg\" } }`".into()),
        );
        return Vec::new();
    };
    let mut known: Vec<String> = cx.world.demands.iter().map(|d| d.end_use.clone()).collect();
    known.sort();
    known.dedup();
    let mut out = Vec::new();
    for (k, x) in t.iter() {
        let end_use: &str = k.get_ref();
        if !known.iter().any(|e| e == end_use) {
            let names: Vec<&String> = known.iter().collect();
            let hint = unknown_hint("end uses", end_use, &names);
            cx.err(
                f,
                k.span(),
                format!("unknown end use `{end_use}`"),
                Some(hint),
            );
            continue;
        }
        let what = format!("costs value-lost {end_use}");
        if let Some(n) = plain(cx, f, end_use, x, &Dim::Price, what) {
            out.push(ValueLost {
                end_use: end_use.to_string(),
                usd_per_kg: n.value,
            });
        }
    }
    out
}

/// `[[costs.build-out]]`: `region`, `product`, `capex` (USD per kg/yr of capacity added).
fn build_out(cx: &mut Cx, f: usize, v: &Sp<'_>) -> Vec<BuildOut> {
    let entries: Vec<Entry> = cx.entries(f, "costs.build-out", v);
    let mut out = Vec::new();
    for e in &entries {
        cx.keys(e, &["region", "product", "capex"]);
        let region = cx.req_region(e, "region");
        let product = cx.req_product(e, "product");
        let capex = cx.req(e, "capex").and_then(|c| {
            let what = "costs build-out capex".to_string();
            plain(cx, e.f, "capex", c, &Dim::Price, what)
        });
        if let (Some(region), Some(product), Some(capex)) = (region, product, capex) {
            out.push(BuildOut {
                region,
                product,
                usd_per_kg_year: capex.value,
            });
        }
    }
    out
}

/// The optional unit costs `keys` (with their dimensions) of one entry of `[[costs.NAME]]`, at
/// least one of which must be given; `None` in the slot of a key not given (0 then) and
/// `None` overall when one is wrong or none is given.
fn amounts(cx: &mut Cx, e: &Entry, name: &str, keys: &[(&str, Dim)]) -> Option<Vec<f64>> {
    let mut out = Vec::new();
    let mut ok = true;
    for (key, dim) in keys {
        match e.tbl.get(*key) {
            Some(v) => {
                let what = format!("costs {name} {key}");
                match plain(cx, e.f, key, v, dim, what) {
                    Some(n) => out.push(n.value),
                    None => ok = false,
                }
            }
            None => out.push(0.0),
        }
    }
    if !keys.iter().any(|(k, _)| e.tbl.contains_key(*k)) {
        let names: Vec<String> = keys.iter().map(|(k, _)| format!("`{k}`")).collect();
        cx.err(
            e.f,
            e.span.clone(),
            format!("`costs.{name}` entry needs {}", names.join(" or ")),
            Some(format!("give at least one of {}", names.join(", "))),
        );
        ok = false;
    }
    ok.then_some(out)
}

/// `[[costs.recycling]]`: `region`, `product`, `capex` (USD per kg/yr), `opex` (USD/kg).
fn recycling(cx: &mut Cx, f: usize, v: &Sp<'_>) -> Vec<RecyclingCost> {
    let entries: Vec<Entry> = cx.entries(f, "costs.recycling", v);
    let mut out = Vec::new();
    for e in &entries {
        cx.keys(e, &["region", "product", "capex", "opex"]);
        let region = cx.req_region(e, "region");
        let product = cx.req_product(e, "product");
        let keys = [("capex", Dim::Price), ("opex", Dim::Price)];
        let a = amounts(cx, e, "recycling", &keys);
        if let (Some(region), Some(product), Some(a)) = (region, product, a) {
            out.push(RecyclingCost {
                region,
                product,
                capex_usd_per_kg_year: a[0],
                opex_usd_per_kg: a[1],
            });
        }
    }
    out
}

/// `[[costs.thrifting]]`: `region`, `product`, `per-kg-avoided` (USD/kg), `redesign` (USD).
fn thrifting(cx: &mut Cx, f: usize, v: &Sp<'_>) -> Vec<ThriftingCost> {
    let entries: Vec<Entry> = cx.entries(f, "costs.thrifting", v);
    let mut out = Vec::new();
    for e in &entries {
        cx.keys(e, &["region", "product", "per-kg-avoided", "redesign"]);
        let region = cx.req_region(e, "region");
        let product = cx.req_product(e, "product");
        let keys = [("per-kg-avoided", Dim::Price), ("redesign", Dim::Usd)];
        let a = amounts(cx, e, "thrifting", &keys);
        if let (Some(region), Some(product), Some(a)) = (region, product, a) {
            out.push(ThriftingCost {
                region,
                product,
                usd_per_kg_avoided: a[0],
                redesign_usd: a[1],
            });
        }
    }
    out
}

/// `[[costs.approval-uplift]]`: `exporter`, `destination`, `per-year` (USD/yr), `one-off`
/// (USD).
fn approval_uplift(cx: &mut Cx, f: usize, v: &Sp<'_>) -> Vec<UpliftCost> {
    let entries: Vec<Entry> = cx.entries(f, "costs.approval-uplift", v);
    let mut out = Vec::new();
    for e in &entries {
        cx.keys(e, &["exporter", "destination", "per-year", "one-off"]);
        let exporter = cx.req_region(e, "exporter");
        let destination = cx.req_region(e, "destination");
        let keys = [("per-year", Dim::UsdPerYear), ("one-off", Dim::Usd)];
        let a = amounts(cx, e, "approval-uplift", &keys);
        if let (Some(exporter), Some(destination), Some(a)) = (exporter, destination, a) {
            out.push(UpliftCost {
                exporter,
                destination,
                usd_per_year: a[0],
                one_off_usd: a[1],
            });
        }
    }
    out
}

/// The `[costs]` table, `None` when the scenario has none.
pub(super) fn walk_costs(cx: &mut Cx, e: Option<&Entry>) -> Option<Costs> {
    let e = e?;
    cx.keys(e, &KEYS);
    let mut costs = Costs::default();
    if let Some(v) = e.tbl.get("holding-rate") {
        let what = "costs holding-rate".to_string();
        if let Some(n) = plain(cx, e.f, "holding-rate", v, &Dim::One, what) {
            costs.holding_rate = n.value;
        }
    }
    if let Some(v) = e.tbl.get("value-lost") {
        costs.value_lost = value_lost(cx, e.f, v);
    }
    if let Some(v) = e.tbl.get("build-out") {
        costs.build_out = build_out(cx, e.f, v);
    }
    if let Some(v) = e.tbl.get("recycling") {
        costs.recycling = recycling(cx, e.f, v);
    }
    if let Some(v) = e.tbl.get("thrifting") {
        costs.thrifting = thrifting(cx, e.f, v);
    }
    if let Some(v) = e.tbl.get("approval-uplift") {
        costs.approval_uplift = approval_uplift(cx, e.f, v);
    }
    Some(costs)
}
