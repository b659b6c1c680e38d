//! Buyer cohorts (`[[cohort]]`): firms inside a region that make some of its products, hold
//! their own stocks and file their own licence applications.
//!
//! [`walk_cohorts`] reads and validates the declarations of every file (base first, a later
//! file replacing a cohort of the same (region, name)) into [`Declared`]s, each a
//! [`Cohort`] with the places its checks report at. [`expand_cohorts`] turns a world and its
//! cohorts into a world of ordinary regions: each cohort becomes a sub-region (code
//! `REGION/name`, [`crate::model::Region::parent`] set) that takes its share of the region's
//! final demand, capacity and exports of its products and holds its own stocks, ordering from
//! the region's suppliers over copied links. What the region's declared cohorts leave of a
//! product goes to one residual cohort `REGION/rest`, so the region itself keeps nothing of a
//! cohort product, and a region without cohorts is untouched. The [`Expansion`] says where
//! each entity of the world went, so that [`expand_into`] can re-point the uncertain numbers
//! that still set one entity and reject those the expansion split. Nothing downstream knows
//! about cohorts except through `parent`: the engine runs the expanded world as it is.

use super::world::Cx;
use crate::model::{
    Cohort, Demand, Facility, InventoryPolicy, Link, ProductId, Region, RegionId, World,
};
use crate::network::recipe_applies;
use crate::uncertain::Target;
use crate::wire::{Dim, Entry, Num, fmt_num};
use std::ops::Range;

/// The name of the residual cohort a region gets when its declared shares of a product sum
/// below one.
pub const RESIDUAL: &str = "rest";

/// Shares of a product summing above one by at most this much are taken as one.
const SHARE_SUM_TOLERANCE: f64 = 1e-9;

/// A cohort as written, with where its checks report.
pub(super) struct Declared {
    pub cohort: Cohort,
    pub f: usize,
    /// Per product of `cohort.products`: where it was named.
    pub product_spans: Vec<Range<usize>>,
    pub share: Num,
}

fn is_cohort_name(s: &str) -> bool {
    s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Reads every `[[cohort]]` entry (`es`, already merged across files) and checks it on its own
/// and against the others of its region; returns those without problems.
pub(super) fn walk_cohorts(cx: &mut Cx, es: &[Entry]) -> Vec<Declared> {
    let mut out: Vec<Declared> = Vec::new();
    for e in es {
        let before = cx.error_count();
        if let Some(d) = cohort(cx, e)
            && cx.error_count() == before
        {
            out.push(d);
        }
    }
    share_sums(cx, &mut out);
    out
}

/// One `[[cohort]]` entry.
fn cohort(cx: &mut Cx, e: &Entry) -> Option<Declared> {
    cx.keys(e, &["region", "name", "products", "share", "cover-days"]);
    let region = cx.req_region(e, "region");
    let name = cx.req_str(e, "name");
    if let Some((n, span)) = &name {
        if !is_cohort_name(n) {
            cx.err(
                e.f,
                span.clone(),
                format!("cohort name `{n}` must be lower-case letters, digits and `-`"),
                Some("for example `oem`, `tier-suppliers` or `small-buyers`".into()),
            );
        } else if *n == RESIDUAL {
            cx.err(
                e.f,
                span.clone(),
                format!("cohort name `{RESIDUAL}` is reserved"),
                Some(format!(
                    "`REGION/{RESIDUAL}` is the cohort that gets what the declared shares leave; \
                     choose another name"
                )),
            );
        }
    }
    let mut products = Vec::new();
    let mut product_spans = Vec::new();
    if let Some(v) = cx.req(e, "products") {
        let listed = cx.str_list(e.f, "products", v);
        if listed.is_empty() && matches!(v.get_ref(), toml::de::DeValue::Array(_)) {
            cx.err(
                e.f,
                v.span(),
                "`products` of a cohort must not be empty",
                Some("list the products the cohort's firms make or buy".into()),
            );
        }
        for (code, span) in listed {
            let Some(p) = cx.product_code(e.f, code, span.clone()) else {
                continue;
            };
            if products.contains(&p) {
                cx.err(e.f, span, format!("product `{code}` listed twice"), None);
                continue;
            }
            products.push(p);
            product_spans.push(span);
        }
    }
    let share = cx
        .req(e, "share")
        .and_then(|v| cx.number(e.f, "share", v, &Dim::One));
    if let Some(s) = &share {
        cx.unit_interval("share", s);
    }
    let cover = e
        .tbl
        .get("cover-days")
        .and_then(|v| cx.number(e.f, "cover-days", v, &Dim::Days));
    if let Some(c) = &cover {
        cx.ge0("cover-days", c);
    }
    let (Some(region), Some((name, _)), Some(share)) = (region, name, share) else {
        return None;
    };
    let code = format!("{}/{name}", cx.world.regions[region.ix()].code);
    for (p, span) in products.iter().zip(&product_spans) {
        if !uses(&cx.world, region, *p) {
            let (rc, pc) = (
                &cx.world.regions[region.ix()].code,
                &cx.world.products[p.ix()].code,
            );
            let (message, hint) = (
                format!("{rc} has neither a facility nor final demand of `{pc}`"),
                format!(
                    "a cohort takes a share of its region's facility and final demand of each \
                     of its products; add a `[[facility]]` or `[[demand]]` for ({rc}, {pc}), \
                     or leave `{pc}` out"
                ),
            );
            cx.err(e.f, span.clone(), message, Some(hint));
        }
    }
    cx.prov(format!("cohort {code} share"), &share, true);
    if let Some(c) = &cover {
        cx.prov(format!("cohort {code} cover-days"), c, true);
        // Days of cover may vary by path (they set stock levels, not the network's shape).
        cx.bind(
            c,
            format!("cohort {code} cover-days"),
            Target::CohortCoverOf(code.clone()),
        );
    }
    if share.dist.is_some() {
        // Uncertain shares would change the network's shape from path to path.
        cx.err(
            share.f,
            share.span.clone(),
            "a cohort's share cannot be uncertain",
            Some("give a plain number; compare scenarios with different shares instead".into()),
        );
    }
    Some(Declared {
        cohort: Cohort {
            region,
            name: name.to_string(),
            products,
            share: share.value,
            cover_days: cover.map(|c| c.value),
        },
        f: e.f,
        product_spans,
        share,
    })
}

/// Whether `region` has a facility or final demand of `p` (what a cohort can take a share of).
fn uses(world: &World, region: RegionId, p: ProductId) -> bool {
    world
        .facilities
        .iter()
        .any(|f| f.region == region && f.product == p)
        || world
            .demands
            .iter()
            .any(|d| d.region == region && d.product == p)
}

/// Reports every (region, product) whose cohorts' shares sum above one, and drops the cohorts
/// of such a region (their expansion would give the region a negative rest).
fn share_sums(cx: &mut Cx, declared: &mut Vec<Declared>) {
    let mut bad: Vec<RegionId> = Vec::new();
    let mut seen: Vec<(RegionId, ProductId)> = Vec::new();
    for d in declared.iter() {
        for &p in &d.cohort.products {
            let key = (d.cohort.region, p);
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            let with: Vec<&Declared> = declared
                .iter()
                .filter(|o| o.cohort.region == key.0 && o.cohort.products.contains(&p))
                .collect();
            let sum: f64 = with.iter().map(|o| o.cohort.share).sum();
            if sum <= 1.0 + SHARE_SUM_TOLERANCE {
                continue;
            }
            bad.push(key.0);
            let (rc, pc) = (
                cx.world.regions[key.0.ix()].code.clone(),
                cx.world.products[p.ix()].code.clone(),
            );
            let names: Vec<String> = with
                .iter()
                .map(|o| format!("{} {}", o.cohort.name, fmt_num(o.cohort.share)))
                .collect();
            let last = with[with.len() - 1];
            cx.err(
                last.f,
                last.share.span.clone(),
                format!(
                    "shares of the cohorts of ({rc}, {pc}) sum to {}, above 1",
                    fmt_num((sum * 1e9).round() / 1e9)
                ),
                Some(format!(
                    "the cohorts of a region share its demand and capacity of a product: {}; \
                     what they leave goes to `{rc}/{RESIDUAL}`",
                    names.join(", ")
                )),
            );
        }
    }
    declared.retain(|d| !bad.contains(&d.cohort.region));
}

/// Where one entity of the world went: its indices in the expanded world, each with the
/// factor its quantity was scaled by.
pub type Moved = Vec<(usize, f64)>;

/// A world with its cohorts expanded, and where each entity of the original went (aligned with
/// the original's vectors).
#[derive(Debug, Clone)]
pub struct Expansion {
    pub world: World,
    pub facilities: Vec<Moved>,
    pub links: Vec<Moved>,
    pub demands: Vec<Moved>,
    pub inventories: Vec<Moved>,
    /// Stockpiles (indices, unchanged) that sit at a (region, product) whose every need went
    /// to cohorts: nothing would ever draw on them.
    pub stranded_stockpiles: Vec<usize>,
}

/// The members of one region's cohorts in the expanded world.
struct Family {
    parent: RegionId,
    /// Sub-regions in declaration order, then the residual.
    members: Vec<RegionId>,
}

/// Who holds what after the split: per region of the expanded world its share of each product
/// (σ) and its cover days, and per region of the original world its cohorts.
struct Members {
    sigma: Vec<Vec<f64>>,
    cover: Vec<Option<f64>>,
    /// Per original region and product: whether its cohorts make the product.
    made: Vec<Vec<bool>>,
    families: Vec<Option<Family>>,
}

impl Members {
    /// Adds the sub-regions of `cohorts` (and each region's residual cohort where the shares
    /// leave some) to `w.regions`.
    fn new(world: &World, cohorts: &[Cohort], w: &mut World) -> Members {
        let np = world.products.len();
        let nr0 = world.regions.len();
        let mut m = Members {
            sigma: vec![vec![0.0; np]; nr0],
            cover: vec![None; nr0],
            made: vec![vec![false; np]; nr0],
            families: (0..nr0).map(|_| None).collect(),
        };
        for r in 0..nr0 {
            let parent = RegionId(r as u32);
            let mine: Vec<&Cohort> = cohorts.iter().filter(|c| c.region == parent).collect();
            if mine.is_empty() {
                continue;
            }
            let mut taken = vec![0.0; np];
            let mut members = Vec::new();
            for c in &mine {
                let mut shares = vec![0.0; np];
                for &p in &c.products {
                    shares[p.ix()] = c.share;
                    taken[p.ix()] += c.share;
                    m.made[r][p.ix()] = true;
                }
                members.push(m.add(world, w, parent, &c.name, shares, c.cover_days));
            }
            let rest: Vec<f64> = (0..np)
                .map(|p| {
                    if m.made[r][p] {
                        (1.0 - taken[p]).max(0.0)
                    } else {
                        0.0
                    }
                })
                .collect();
            if rest.iter().any(|&s| s > SHARE_SUM_TOLERANCE) {
                members.push(m.add(world, w, parent, RESIDUAL, rest, None));
            }
            m.families[r] = Some(Family { parent, members });
        }
        m
    }

    fn add(
        &mut self,
        world: &World,
        w: &mut World,
        parent: RegionId,
        name: &str,
        shares: Vec<f64>,
        days: Option<f64>,
    ) -> RegionId {
        let pr = &world.regions[parent.ix()];
        w.regions.push(Region {
            code: format!("{}/{name}", pr.code),
            name: format!("{} ({name})", pr.name),
            groups: pr.groups.clone(),
            parent: Some(parent),
        });
        self.sigma.push(shares);
        self.cover.push(days);
        RegionId(w.regions.len() as u32 - 1)
    }

    fn family(&self, r: RegionId) -> Option<&Family> {
        self.families.get(r.ix()).and_then(|f| f.as_ref())
    }

    /// Whether the cohorts of `r` (a region of the original world) make `p`.
    fn makes(&self, r: RegionId, p: ProductId) -> bool {
        self.made.get(r.ix()).is_some_and(|m| m[p.ix()])
    }

    /// Members of `r`'s family with a share of `p`, with that share.
    fn makers(&self, r: RegionId, p: ProductId) -> Vec<(RegionId, f64)> {
        self.family(r).map_or_else(Vec::new, |f| {
            f.members
                .iter()
                .filter(|c| self.sigma[c.ix()][p.ix()] > 0.0)
                .map(|&c| (c, self.sigma[c.ix()][p.ix()]))
                .collect()
        })
    }

    /// `regions` with the members of every family whose parent it lists.
    fn with_members(&self, regions: &[RegionId]) -> Vec<RegionId> {
        let extra = regions
            .iter()
            .filter_map(|&r| self.family(r))
            .flat_map(|f| f.members.iter().copied());
        regions.iter().copied().chain(extra).collect()
    }

    /// Buyers that take over the need of (r, p): the members of r's family (r included) that
    /// need p, or r itself when none does (or r has no cohorts).
    fn buyers(&self, needs: &[Vec<bool>], r: RegionId, p: ProductId) -> Vec<RegionId> {
        let Some(f) = self.family(r) else {
            return vec![r];
        };
        let all = std::iter::once(f.parent).chain(f.members.iter().copied());
        let v: Vec<RegionId> = all.filter(|b| needs[b.ix()][p.ix()]).collect();
        if v.is_empty() { vec![r] } else { v }
    }
}

/// Expands `cohorts` (validated: known region and products, shares in [0, 1] summing to at
/// most one per (region, product), distinct names per region) into sub-regions of their
/// regions; see the module documentation and `docs/model.md`, "Buyer cohorts".
///
/// For a product p of the cohorts of region R, with σ_c the share of member c (the residual
/// cohort's share is 1 − Σ of the declared ones):
/// - facility (R, p) of capacity K → (c, p) of capacity σ_c·K; demand row (R, p) of quantity
///   q → (c, p) of quantity σ_c·q (same end use, growth and elasticity);
/// - a link (A → B, p) of share s becomes, for each buyer b of B's family that needs p (B
///   itself when none does), links from each seller a of A's family that makes p (A itself
///   when A has no cohorts making p) of share s·σ_a, except that a cohort buying its own
///   product domestically buys it from itself (share s): the cohort's firms make what they
///   use. The shares into each (b, p) still sum to one;
/// - a cohort's stocks start and aim at its `cover_days`, or at the region's
///   `[[inventory]]` for the product when it has none.
pub fn expand_cohorts(world: &World, cohorts: &[Cohort]) -> Expansion {
    let mut w = world.clone();
    let m = Members::new(world, cohorts, &mut w);
    for recipe in &mut w.recipes {
        recipe.regions = m.with_members(&recipe.regions);
    }
    for segment in &mut w.segments {
        segment.regions = m.with_members(&segment.regions);
    }
    let (facilities, facility_moves) = split(&world.facilities, |f: &Facility| {
        m.makes(f.region, f.product).then(|| {
            m.makers(f.region, f.product)
                .into_iter()
                .map(|(c, s)| {
                    let capacity = f.capacity * s;
                    (
                        Facility {
                            region: c,
                            capacity,
                            ..f.clone()
                        },
                        s,
                    )
                })
                .collect()
        })
    });
    w.facilities = facilities;
    let (demands, demand_moves) = split(&world.demands, |d: &Demand| {
        m.makes(d.region, d.product).then(|| {
            m.makers(d.region, d.product)
                .into_iter()
                .map(|(c, s)| {
                    let quantity = d.quantity * s;
                    (
                        Demand {
                            region: c,
                            quantity,
                            ..d.clone()
                        },
                        s,
                    )
                })
                .collect()
        })
    });
    w.demands = demands;
    let needs = needs(&w);
    let (links, link_moves) = split(&world.links, |l: &Link| split_link(&m, &needs, l));
    w.links = links;
    let (inventories, inventory_moves) = inventories(world, &m, &needs);
    w.inventories = inventories;
    let stranded_stockpiles = stranded(world, &w, &m);
    Expansion {
        world: w,
        facilities: facility_moves,
        links: link_moves,
        demands: demand_moves,
        inventories: inventory_moves,
        stranded_stockpiles,
    }
}

/// What each region of `w` needs: its final demand and its facilities' inputs.
fn needs(w: &World) -> Vec<Vec<bool>> {
    let mut needs = vec![vec![false; w.products.len()]; w.regions.len()];
    for d in &w.demands {
        needs[d.region.ix()][d.product.ix()] = true;
    }
    for f in &w.facilities {
        for (i, recipe) in w.recipes.iter().enumerate() {
            if recipe.output == f.product && recipe_applies(w, i, f.region) {
                for (input, _) in &recipe.inputs {
                    needs[f.region.ix()][input.ix()] = true;
                }
            }
        }
    }
    needs
}

/// The links that replace `l` (`None`: it stays as it is); see [`expand_cohorts`].
fn split_link(m: &Members, needs: &[Vec<bool>], l: &Link) -> Option<Vec<(Link, f64)>> {
    m.family(l.from).or(m.family(l.to))?;
    let sellers = if m.makes(l.from, l.product) {
        m.makers(l.from, l.product)
    } else {
        vec![(l.from, 1.0)]
    };
    let mut out = Vec::new();
    for b in m.buyers(needs, l.to, l.product) {
        // Cohort-domestic: a cohort's firms use what they make.
        let own = l.from == l.to && b != l.to && m.sigma[b.ix()][l.product.ix()] > 0.0;
        let from_here = if own { vec![(b, 1.0)] } else { sellers.clone() };
        for (a, s) in from_here {
            let share = if s == 1.0 { l.share } else { l.share * s };
            let link = Link {
                from: a,
                to: b,
                share,
                ..l.clone()
            };
            out.push((link, 1.0));
        }
    }
    Some(out)
}

/// Inventory policies: the region keeps a policy where it still needs the product; each member
/// without cover days of its own copies it; members with cover days get theirs for every stock
/// they hold (after the others).
fn inventories(
    world: &World,
    m: &Members,
    needs: &[Vec<bool>],
) -> (Vec<InventoryPolicy>, Vec<Moved>) {
    let (mut inventories, moves) = split(&world.inventories, |inv: &InventoryPolicy| {
        let f = m.family(inv.region)?;
        let p = inv.product.ix();
        let mut out = Vec::new();
        if needs[f.parent.ix()][p] {
            out.push((inv.clone(), 1.0));
        }
        for &c in &f.members {
            if m.cover[c.ix()].is_none() && needs[c.ix()][p] {
                out.push((
                    InventoryPolicy {
                        region: c,
                        ..inv.clone()
                    },
                    1.0,
                ));
            }
        }
        // A policy for a stock nobody holds changes nothing; it stays where it was.
        if out.is_empty() {
            out.push((inv.clone(), 1.0));
        }
        Some(out)
    });
    let nr0 = world.regions.len();
    for (c, days) in m.cover.iter().enumerate().skip(nr0) {
        let Some(days) = *days else { continue };
        for (p, _) in needs[c].iter().enumerate().filter(|(_, held)| **held) {
            inventories.push(InventoryPolicy {
                region: RegionId(c as u32),
                product: ProductId(p as u32),
                initial_days: days,
                target_days: days,
            });
        }
    }
    (inventories, moves)
}

/// Stockpiles of `world` at a node of a region with cohorts that is there (final demand, a
/// facility or links in) before the expansion and not after it.
fn stranded(world: &World, w: &World, m: &Members) -> Vec<usize> {
    let there = |w: &World, r: RegionId, p: ProductId| {
        w.demands.iter().any(|d| d.region == r && d.product == p)
            || w.facilities.iter().any(|f| f.region == r && f.product == p)
            || w.links.iter().any(|l| l.to == r && l.product == p)
    };
    world
        .stockpiles
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            m.family(s.region).is_some()
                && there(world, s.region, s.product)
                && !there(w, s.region, s.product)
        })
        .map(|(i, _)| i)
        .collect()
}

/// Rebuilds `items` in order, each replaced by what `f` makes of it (`None`: kept as it is),
/// and says where each went.
fn split<T: Clone>(items: &[T], f: impl Fn(&T) -> Option<Vec<(T, f64)>>) -> (Vec<T>, Vec<Moved>) {
    let mut out = Vec::with_capacity(items.len());
    let mut moved = Vec::with_capacity(items.len());
    for it in items {
        let parts = f(it).unwrap_or_else(|| vec![(it.clone(), 1.0)]);
        let mut m = Vec::with_capacity(parts.len());
        for (x, s) in parts {
            m.push((out.len(), s));
            out.push(x);
        }
        moved.push(m);
    }
    (out, moved)
}

/// Expands the declared cohorts in `cx.world`, re-points the uncertain numbers bound to
/// entities that moved whole, and reports those bound to entities the expansion split and the
/// stockpiles it strands.
pub(super) fn expand_into(cx: &mut Cx, declared: &[Declared]) {
    if declared.is_empty() {
        return;
    }
    let cohorts: Vec<Cohort> = declared.iter().map(|d| d.cohort.clone()).collect();
    let ex = expand_cohorts(&cx.world, &cohorts);
    for &s in &ex.stranded_stockpiles {
        let st = &cx.world.stockpiles[s];
        let (rc, pc) = (
            cx.world.regions[st.region.ix()].code.clone(),
            cx.world.products[st.product.ix()].code.clone(),
        );
        let Some((d, k)) = declared.iter().find_map(|d| {
            (d.cohort.region == st.region)
                .then(|| d.cohort.products.iter().position(|&p| p == st.product))
                .flatten()
                .map(|k| (d, k))
        }) else {
            continue;
        };
        cx.err(
            d.f,
            d.product_spans[k].clone(),
            format!("the stockpile of ({rc}, {pc}) would be stranded: its cohorts hold every stock of `{pc}`"),
            Some("a stockpile stays with its region; move the product out of the cohorts, or the stockpile upstream".into()),
        );
    }
    let mut problems = Vec::new();
    for p in &mut cx.pending {
        if let Some((label, Target::CohortCoverOf(code))) = &p.bound {
            // Every cohort expanded is a sub-region coded `REGION/name`; one dropped for an
            // error (shares above one) has nothing left to set.
            let c = ex.world.regions.iter().position(|r| r.code == *code);
            p.bound = c.map(|c| (label.clone(), Target::CohortCover(c)));
            continue;
        }
        let Some((label, target)) = &mut p.bound else {
            continue;
        };
        let moved = match target {
            Target::FacilityCapacity(i) => Some((i, &ex.facilities)),
            Target::LinkTariff(i) => Some((i, &ex.links)),
            Target::DemandQuantity(i) | Target::DemandGrowth(i) | Target::DemandElasticity(i) => {
                Some((i, &ex.demands))
            }
            Target::InventoryInitialDays(i) | Target::InventoryTargetDays(i) => {
                Some((i, &ex.inventories))
            }
            _ => None,
        };
        let Some((i, moves)) = moved else { continue };
        match moves[*i].as_slice() {
            [(j, s)] if *s == 1.0 => *i = *j,
            _ => problems.push((p.f, p.span.clone(), label.clone())),
        }
    }
    for (f, span, label) in problems {
        cx.err(
            f,
            span,
            format!("{label} cannot be uncertain: cohorts split it"),
            Some(
                "give a plain number, or give the cohort's own share of it in a scenario without cohorts".into(),
            ),
        );
    }
    cx.world = ex.world;
}
