//! Checks of the whole world, once every section has been read without error: recipe cycles (a
//! product that needs itself through the inputs of its inputs), and needs that nothing can
//! supply (a product no facility makes anywhere, a link from a region that has nothing of its
//! own to ship, a need no link serves). The parser cannot see these entity by entity, and each
//! one makes a run start short and stay short: shortfalls near 100% that say nothing about the
//! scenario's events. So they are errors, except where a stockpile sits at the need: a scenario
//! may study a stockpile running down with nothing to refill it, and then it is a warning.
//!
//! The needs are the baseline's ([`Network::need0`]): final demand, and the inputs of what the
//! baseline produces. A recipe that the baseline mix does not use needs nothing.

use super::world::{Cx, Places};
use crate::model::{RegionId, World};
use crate::network::{Network, recipe_applies};
use crate::wire::{Severity, fmt_num};
use std::ops::Range;

/// A problem found here, reported once the world is no longer borrowed.
struct Found {
    severity: Severity,
    at: (usize, Range<usize>),
    message: String,
    hint: String,
}

/// Runs the checks; `supply` adds the supplier checks (a scenario), which a dataset on its own
/// leaves to `chokepoint data check`.
pub(super) fn check(cx: &mut Cx, at: &Places, supply: bool) {
    // The baseline is worked out from each product down to its inputs; with a cycle its needs
    // mean nothing, so the supplier checks would only add noise.
    let mut found = recipe_cycles(&cx.world, at);
    if found.is_empty() && supply {
        found = suppliers(&cx.world, at);
    }
    for f in found {
        let (file, span) = f.at;
        match f.severity {
            Severity::Error => cx.err(file, span, f.message, Some(f.hint)),
            Severity::Warning => cx.warn(file, span, f.message, Some(f.hint)),
        }
    }
}

/// Products `from` needs, directly or through its inputs' inputs (`needs[p]`: the inputs of
/// p's recipes).
fn reachable(needs: &[Vec<usize>], from: usize) -> Vec<bool> {
    let mut seen = vec![false; needs.len()];
    let mut stack = needs[from].clone();
    while let Some(p) = stack.pop() {
        if !std::mem::replace(&mut seen[p], true) {
            stack.extend(&needs[p]);
        }
    }
    seen
}

/// The shortest chain of needs from `from` to `to` (both included).
fn chain(needs: &[Vec<usize>], from: usize, to: usize) -> Vec<usize> {
    let mut prev = vec![usize::MAX; needs.len()];
    let mut queue = std::collections::VecDeque::from([from]);
    prev[from] = from;
    while let Some(p) = queue.pop_front() {
        if p == to {
            break;
        }
        for &q in &needs[p] {
            if prev[q] == usize::MAX {
                prev[q] = p;
                queue.push_back(q);
            }
        }
    }
    let mut out = vec![to];
    let mut p = to;
    while p != from && prev[p] != usize::MAX {
        p = prev[p];
        out.push(p);
    }
    out.reverse();
    out
}

/// One error per cycle, at the first recipe input (in file order) that closes it.
fn recipe_cycles(w: &World, at: &Places) -> Vec<Found> {
    let np = w.products.len();
    let mut needs = vec![Vec::new(); np];
    let mut edges = Vec::new();
    for (ri, r) in w.recipes.iter().enumerate() {
        for (k, &(i, _)) in r.inputs.iter().enumerate() {
            needs[r.output.ix()].push(i.ix());
            let (f, span) = &at.recipe_inputs[ri][k];
            edges.push(((*f, span.start), ri, k));
        }
    }
    edges.sort();
    let reach: Vec<Vec<bool>> = (0..np).map(|p| reachable(&needs, p)).collect();
    let mut in_reported_cycle = vec![false; np];
    let mut found = Vec::new();
    for (_, ri, k) in edges {
        let out = w.recipes[ri].output.ix();
        let input = w.recipes[ri].inputs[k].0.ix();
        // A recipe whose input is its own output is reported by the parser.
        if out == input || !reach[input][out] || in_reported_cycle[out] {
            continue;
        }
        for p in 0..np {
            if reach[out][p] && reach[p][out] {
                in_reported_cycle[p] = true;
            }
        }
        let names: Vec<String> = std::iter::once(out)
            .chain(chain(&needs, input, out))
            .map(|p| format!("`{}`", w.products[p].code))
            .collect();
        let mut message = format!("recipe cycle: {} needs {}", names[0], names[1]);
        for n in &names[2..] {
            message.push_str(&format!(", which needs {n}"));
        }
        found.push(Found {
            severity: Severity::Error,
            at: at.recipe_inputs[ri][k].clone(),
            message,
            hint: "a product cannot need itself through its inputs: the baseline is worked out \
                   from each product down to its inputs, and a cycle has no bottom; take one of \
                   these inputs out"
                .into(),
        });
    }
    found
}

/// Codes of `regions`, at most five, then how many more.
fn region_list(w: &World, regions: &[usize]) -> String {
    let mut names: Vec<String> = regions
        .iter()
        .take(5)
        .map(|&r| w.regions[r].code.clone())
        .collect();
    if regions.len() > 5 {
        names.push(format!("{} more", regions.len() - 5));
    }
    match names.len() {
        0 | 1 => names.concat(),
        n => format!("{} and {}", names[..n - 1].join(", "), names[n - 1]),
    }
}

/// Where the need of node (region `r`, product `p`) was written: its first demand with a
/// quantity, else the first recipe input asking for `p` of a recipe that applies in `r` and
/// whose output `r` makes.
fn need_place(
    w: &World,
    net: &Network,
    at: &Places,
    r: usize,
    p: usize,
) -> Option<(usize, Range<usize>)> {
    let demand = w
        .demands
        .iter()
        .enumerate()
        .filter(|(_, d)| d.region.ix() == r && d.product.ix() == p && d.quantity > 0.0)
        .map(|(i, _)| &at.demands[i])
        .min_by_key(|(f, span)| (*f, span.start));
    if let Some(place) = demand {
        return Some(place.clone());
    }
    let region = RegionId(r as u32);
    w.recipes
        .iter()
        .enumerate()
        .filter(|(ri, rec)| {
            recipe_applies(w, *ri, region)
                && net.facility_of[net.node(region, rec.output)].is_some()
        })
        .flat_map(|(ri, rec)| {
            rec.inputs
                .iter()
                .enumerate()
                .filter(|(_, (i, _))| i.ix() == p)
                .map(move |(k, _)| &at.recipe_inputs[ri][k])
        })
        .min_by_key(|(f, span)| (*f, span.start))
        .cloned()
}

/// Products no facility makes, links from regions that do not make their product, and needs
/// no link serves.
fn suppliers(w: &World, at: &Places) -> Vec<Found> {
    let net = Network::new(w);
    let (nr, np) = (net.nr, net.np);
    let mut made = vec![false; np];
    for f in &w.facilities {
        made[f.product.ix()] = true;
    }
    let mut stockpiled = vec![0.0; nr * np];
    for s in &w.stockpiles {
        stockpiled[net.node(s.region, s.product)] += s.quantity;
    }
    let mut found = Vec::new();

    // A product nobody makes: one problem for the product, not one per region or link.
    for p in (0..np).filter(|&p| !made[p]) {
        let needy: Vec<usize> = (0..nr).filter(|&r| net.need0[r * np + p] > 0.0).collect();
        let Some(place) = needy
            .iter()
            .filter_map(|&r| need_place(w, &net, at, r, p))
            .min_by_key(|(f, span)| (*f, span.start))
        else {
            continue;
        };
        let code = &w.products[p].code;
        let unstocked: Vec<usize> = needy
            .iter()
            .copied()
            .filter(|&r| stockpiled[r * np + p] <= 0.0)
            .collect();
        found.push(if unstocked.is_empty() {
            Found {
                severity: Severity::Warning,
                at: place,
                message: format!(
                    "no facility makes `{code}` anywhere: only stockpiles can serve what {} need{}",
                    region_list(w, &needy),
                    if needy.len() == 1 { "s" } else { "" }
                ),
                hint: format!(
                    "the need is met only while stockpile releases last; add a `[[facility]]` \
                     for `{code}` if it is made somewhere"
                ),
            }
        } else {
            Found {
                severity: Severity::Error,
                at: place,
                message: format!(
                    "nothing can supply `{code}` to {}: no facility makes it anywhere and no \
                     stockpile there holds it",
                    region_list(w, &unstocked)
                ),
                hint: format!(
                    "add a `[[facility]]` that makes `{code}` (and links from it), or remove the \
                     demand and recipe inputs that need it"
                ),
            }
        });
    }

    // A link from a region without a facility for its product carries nothing: a region ships
    // only what its own facility makes.
    for (l, link) in w.links.iter().enumerate() {
        let p = link.product.ix();
        if !made[p]
            || link.share <= 0.0
            || net.facility_of[net.node(link.from, link.product)].is_some()
        {
            continue;
        }
        let (from, code) = (&w.regions[link.from.ix()].code, &w.products[p].code);
        let message = if link.from == link.to {
            format!("`{from}` is its own supplier of `{code}` but has no facility for it")
        } else {
            format!("`{from}` ships `{code}` on this link but has no facility for it")
        };
        found.push(Found {
            severity: Severity::Error,
            at: at.links[l].clone(),
            message,
            hint: format!(
                "a region ships only what its own facility makes: add a `[[facility]]` with \
                 `region = \"{from}\"` and `product = \"{code}\"`, or take this link out (and give \
                 its share to the other links)"
            ),
        });
    }

    // A need of a product made somewhere, with no link in.
    for (n, &stock) in stockpiled.iter().enumerate() {
        let (r, p) = (n / np, n % np);
        if net.need0[n] <= 0.0 || !made[p] || !net.links_into[n].is_empty() {
            continue;
        }
        let Some(place) = need_place(w, &net, at, r, p) else {
            continue;
        };
        let (region, product) = (&w.regions[r].code, &w.products[p]);
        let need = format!(
            "{} {}/day",
            fmt_num((net.need0[n] * 1000.0).round() / 1000.0),
            product.unit
        );
        let code = &product.code;
        let hint = format!(
            "add a `[[link]]` with `to = \"{region}\"` and `product = \"{code}\"` from a region \
             that makes it (`from = \"{region}\"` for its own facility)"
        );
        found.push(if stock > 0.0 {
            Found {
                severity: Severity::Warning,
                at: place,
                message: format!(
                    "no link brings `{code}` to `{region}`: only its stockpile can serve its need \
                     of {need}"
                ),
                hint,
            }
        } else {
            Found {
                severity: Severity::Error,
                at: place,
                message: format!(
                    "nothing can supply `{code}` to `{region}`: no link brings it there, yet it \
                     needs {need}"
                ),
                hint,
            }
        });
    }
    found
}
