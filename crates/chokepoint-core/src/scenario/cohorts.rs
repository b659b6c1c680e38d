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
use crate::uncertain::{CohortStocks, Target};
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
    /// Where `sources` was written (the entry's span without it).
    pub sources_span: Range<usize>,
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
    cx.keys(
        e,
        &[
            "region",
            "name",
            "products",
            "share",
            "cover-days",
            "products-cover-days",
            "sources",
            "priority",
        ],
    );
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
    let [cover, products_cover] = ["cover-days", "products-cover-days"].map(|key| {
        let n = e
            .tbl
            .get(key)
            .and_then(|v| cx.number(e.f, key, v, &Dim::Days));
        if let Some(c) = &n {
            cx.ge0(key, c);
        }
        n
    });
    let (sources, sources_span) = sources(cx, e);
    let priority = e.tbl.get("priority").map_or(0, |v| priority(cx, e.f, v));
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
    // Days of cover may vary by path (they set stock levels, not the network's shape). Beside
    // `products-cover-days`, `cover-days` sets the stocks of everything but the products.
    let others = if products_cover.is_some() {
        CohortStocks::Except(products.clone())
    } else {
        CohortStocks::All
    };
    let covers = [
        ("cover-days", &cover, others),
        (
            "products-cover-days",
            &products_cover,
            CohortStocks::Of(products.clone()),
        ),
    ];
    for (key, n, stocks) in covers {
        if let Some(c) = n {
            let label = format!("cohort {code} {key}");
            cx.prov(label.clone(), c, true);
            cx.bind(c, label, Target::CohortCoverOf(code.clone(), stocks));
        }
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
            products_cover_days: products_cover.map(|c| c.value),
            sources,
            priority,
        },
        f: e.f,
        product_spans,
        share,
        sources_span,
    })
}

/// A cohort's `priority`: a whole number in [0, 255], certain (0 after an error).
fn priority(cx: &mut Cx, f: usize, v: &crate::wire::Sp) -> u8 {
    let Some(n) = cx.number(f, "priority", v, &Dim::One) else {
        return 0;
    };
    let problem = if n.dist.is_some() {
        Some("a cohort's `priority` cannot be uncertain".to_string())
    } else if n.value.fract() != 0.0 || !(0.0..=255.0).contains(&n.value) {
        Some(format!(
            "`priority` must be a whole number from 0 to 255, found {}",
            fmt_num(n.value)
        ))
    } else {
        None
    };
    match problem {
        Some(message) => {
            cx.err(
                f,
                n.span.clone(),
                message,
                Some(
                    "higher is served first by a supplier short of output; 0 is the default".into(),
                ),
            );
            0
        }
        None => n.value as u8,
    }
}

/// A cohort's `sources`: region codes of the dataset, none twice, not empty.
fn sources(cx: &mut Cx, e: &Entry) -> (Vec<RegionId>, Range<usize>) {
    let Some(v) = e.tbl.get("sources") else {
        return (Vec::new(), e.span.clone());
    };
    let listed = cx.str_list(e.f, "sources", v);
    if listed.is_empty() && matches!(v.get_ref(), toml::de::DeValue::Array(_)) {
        cx.err(
            e.f,
            v.span(),
            "`sources` of a cohort must not be empty",
            Some(
                "list the regions its firms buy from, e.g. `[\"CHN\"]`, or leave `sources` out \
                 to buy from the region's suppliers"
                    .into(),
            ),
        );
    }
    let mut out = Vec::new();
    for (code, span) in listed {
        let Some(r) = cx.region_code(e.f, code, span.clone()) else {
            continue;
        };
        if out.contains(&r) {
            cx.err(e.f, span, format!("region `{code}` is listed twice"), None);
            continue;
        }
        out.push(r);
    }
    (out, v.span())
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
    /// Cohorts whose `sources` ask more of a product than their region imports from them;
    /// their (region, product) keeps the proportional split.
    pub source_problems: Vec<SourceProblem>,
}

/// A cohort (index into the cohorts expanded) whose contracts cannot be met: with the other
/// cohorts of its region that have `sources`, it would import more of `product` from
/// `origin` than the whole region does (`taken` > 1, as a multiple of the region's imports).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceProblem {
    pub cohort: usize,
    pub product: ProductId,
    pub origin: RegionId,
    pub taken: f64,
}

/// The members of one region's cohorts in the expanded world.
struct Family {
    parent: RegionId,
    /// Sub-regions in declaration order, then the residual.
    members: Vec<RegionId>,
}

/// A sub-region's own days of cover (none: it copies its region's `[[inventory]]`).
#[derive(Debug, Clone, Default)]
struct StockCover {
    /// `cover-days`: every stock, or every stock but those of `listed` when `products` is set.
    inputs: Option<f64>,
    /// `products-cover-days`: the stocks of `listed`.
    products: Option<f64>,
    /// The cohort's `products`.
    listed: Vec<ProductId>,
}

impl StockCover {
    /// The days of cover of the stock of `p`.
    fn of(&self, p: ProductId) -> Option<f64> {
        if self.listed.contains(&p) {
            self.products.or(self.inputs)
        } else {
            self.inputs
        }
    }
}

/// Who holds what after the split: per region of the expanded world its share of each product
/// (σ) and its cover days, and per region of the original world its cohorts.
struct Members {
    sigma: Vec<Vec<f64>>,
    cover: Vec<StockCover>,
    /// Per region of the expanded world: the regions its firms buy from (empty: any), and
    /// the declared cohort it is (index into the cohorts expanded).
    sources: Vec<Vec<RegionId>>,
    cohort_of: Vec<Option<usize>>,
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
            cover: vec![StockCover::default(); nr0],
            sources: vec![Vec::new(); nr0],
            cohort_of: vec![None; nr0],
            made: vec![vec![false; np]; nr0],
            families: (0..nr0).map(|_| None).collect(),
        };
        for r in 0..nr0 {
            let parent = RegionId(r as u32);
            let mine: Vec<(usize, &Cohort)> = cohorts
                .iter()
                .enumerate()
                .filter(|(_, c)| c.region == parent)
                .collect();
            if mine.is_empty() {
                continue;
            }
            let mut taken = vec![0.0; np];
            let mut members = Vec::new();
            for &(i, c) in &mine {
                let mut shares = vec![0.0; np];
                for &p in &c.products {
                    shares[p.ix()] = c.share;
                    taken[p.ix()] += c.share;
                    m.made[r][p.ix()] = true;
                }
                members.push(m.add(world, w, parent, shares, Some((i, c))));
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
                members.push(m.add(world, w, parent, rest, None));
            }
            m.families[r] = Some(Family { parent, members });
        }
        m
    }

    /// Adds the sub-region of cohort `c` (index and declaration; `None`: the residual cohort)
    /// of `parent` with its `shares` of each product.
    fn add(
        &mut self,
        world: &World,
        w: &mut World,
        parent: RegionId,
        shares: Vec<f64>,
        c: Option<(usize, &Cohort)>,
    ) -> RegionId {
        let pr = &world.regions[parent.ix()];
        let name = c.map_or(RESIDUAL, |(_, c)| c.name.as_str());
        w.regions.push(Region {
            code: format!("{}/{name}", pr.code),
            name: format!("{} ({name})", pr.name),
            groups: pr.groups.clone(),
            parent: Some(parent),
            priority: c.map_or(0, |(_, c)| c.priority),
        });
        self.sigma.push(shares);
        self.cover
            .push(c.map_or_else(StockCover::default, |(_, c)| StockCover {
                inputs: c.cover_days,
                products: c.products_cover_days,
                listed: c.products.clone(),
            }));
        self.sources
            .push(c.map_or_else(Vec::new, |(_, c)| c.sources.clone()));
        self.cohort_of.push(c.map(|(i, _)| i));
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
    let source_problems = contracts(&mut w, &m);
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
        source_problems,
    }
}

/// Applies the cohorts' `sources` to the expanded links (`w.links`, each (buyer, product)'s
/// shares summing to one) and returns the (region, product)s where they cannot be met.
///
/// For a family buying p, with n_b the baseline need of buyer b (`Network::need0`) and s_bk
/// its share from seller k (its own output excluded, own share o_b), a cohort r with sources
/// X takes its imports from X only, in their proportions, and keeps the other links as
/// zero-share candidates (found by adaptation, after any qualification time):
///
/// ```text
/// s'_rk = s_rk · (1 − o_r) / A_r   for k ∈ X,   0 otherwise,   A_r = Σ_{k∈X} s_rk
/// ```
///
/// The other buyers u take what the region imported from each seller and the restricted
/// cohorts no longer take, so the region's imports by seller are unchanged:
///
/// ```text
/// T_k = Σ_b n_b s_bk,  R_k = Σ_r n_r s'_rk,  U_k = Σ_u n_u s_uk,  s'_uk = s_uk · (T_k − R_k) / U_k
/// ```
///
/// then each u's shares are rescaled to sum to 1 − o_u (a no-op when the buyers' import
/// mixes are alike, as when every member buys from the same links; otherwise the region's
/// imports by seller hold approximately). R_k > T_k is a [`SourceProblem`]; a cohort none of
/// whose suppliers of p is in X keeps its shares of p.
fn contracts(w: &mut World, m: &Members) -> Vec<SourceProblem> {
    if m.sources.iter().all(|s| s.is_empty()) {
        return Vec::new();
    }
    let mut net = crate::network::Network::new(w);
    let mut problems = Vec::new();
    // Outputs before inputs, as the baseline pass goes: a contract on a part moves the
    // production, and so the input needs, of the family's sellers of that part.
    for p in net.order.clone().into_iter().rev() {
        let mut changed: Vec<(usize, f64)> = Vec::new();
        for f in m.families.iter().flatten() {
            let buyers = family_buyers(w, &net, f, p);
            match family_shares(w, m, &buyers) {
                Ok(shares) => changed.extend(shares),
                Err(over) => problems.extend(over.into_iter().filter_map(|(b, origin, taken)| {
                    Some(SourceProblem {
                        cohort: m.cohort_of[b.ix()]?,
                        product: p,
                        origin,
                        taken,
                    })
                })),
            }
        }
        if changed.is_empty() {
            continue;
        }
        for (l, share) in changed {
            w.links[l].share = share;
        }
        net = crate::network::Network::new(w);
    }
    problems
}

/// The members of family `f` (its region first) that buy `p`, with their baseline needs.
fn family_buyers(w: &World, net: &crate::network::Network, f: &Family, p: ProductId) -> Vec<Buyer> {
    std::iter::once(f.parent)
        .chain(f.members.iter().copied())
        .map(|b| Buyer {
            region: b,
            need: net.need0[net.node(b, p)],
            purchases: net.links_into[net.node(b, p)]
                .iter()
                .map(|&l| Purchase {
                    link: l,
                    seller: w.links[l].from,
                    share: w.links[l].share,
                    own: w.links[l].from == b,
                })
                .collect(),
        })
        .filter(|b| !b.purchases.is_empty())
        .collect()
}

/// A buyer of one product in a family: its baseline need and its links in.
struct Buyer {
    region: RegionId,
    need: f64,
    purchases: Vec<Purchase>,
}

#[derive(Clone, Copy)]
struct Purchase {
    link: usize,
    seller: RegionId,
    share: f64,
    /// The cohort's own output (a cohort-domestic link from itself).
    own: bool,
}

/// The region of the dataset a seller belongs to.
fn origin(w: &World, r: RegionId) -> RegionId {
    w.regions[r.ix()].parent.unwrap_or(r)
}

/// A buyer's shares under its `sources` (`xs`), or `None` when they change nothing: no
/// contracts, no seller of the product among them, or no other seller.
fn under_contract(w: &World, xs: &[RegionId], ps: &[Purchase]) -> Option<Vec<f64>> {
    if xs.is_empty() {
        return None;
    }
    let allowed = |x: &Purchase| !x.own && xs.contains(&origin(w, x.seller));
    let own: f64 = ps.iter().filter(|x| x.own).map(|x| x.share).sum();
    let a: f64 = ps.iter().filter(|x| allowed(x)).map(|x| x.share).sum();
    let barred = ps.iter().any(|x| !x.own && !allowed(x) && x.share > 0.0);
    if a <= 0.0 || !barred {
        return None;
    }
    Some(
        ps.iter()
            .map(|x| match (x.own, allowed(x)) {
                (true, _) => x.share,
                (false, true) => x.share * (1.0 - own) / a,
                (false, false) => 0.0,
            })
            .collect(),
    )
}

/// The new (link, share)s of one family's purchases of one product (see [`contracts`]), or
/// the (cohort, origin, R_k / T_k) where the restricted cohorts take more than the family.
#[allow(clippy::type_complexity)]
fn family_shares(
    w: &World,
    m: &Members,
    buyers: &[Buyer],
) -> Result<Vec<(usize, f64)>, Vec<(RegionId, RegionId, f64)>> {
    let contracted: Vec<Option<Vec<f64>>> = buyers
        .iter()
        .map(|b| under_contract(w, &m.sources[b.region.ix()], &b.purchases))
        .collect();
    if contracted.iter().all(Option::is_none) {
        return Ok(Vec::new());
    }
    // Per origin k (a seller's region of the dataset): T_k (the family's baseline purchases)
    // and R_k (the contracted cohorts').
    let mut origins: Vec<RegionId> = Vec::new();
    for x in buyers.iter().flat_map(|b| &b.purchases) {
        if !origins.contains(&origin(w, x.seller)) {
            origins.push(origin(w, x.seller));
        }
    }
    let at = |r: RegionId| {
        origins
            .iter()
            .position(|&o| o == origin(w, r))
            .unwrap_or_default()
    };
    let (mut t, mut r) = (vec![0.0; origins.len()], vec![0.0; origins.len()]);
    for (b, c) in buyers.iter().zip(&contracted) {
        for (k, x) in b.purchases.iter().enumerate() {
            t[at(x.seller)] += b.need * x.share;
            if let Some(after) = c {
                r[at(x.seller)] += b.need * after[k];
            }
        }
    }
    let mut over = Vec::new();
    for (b, c) in buyers.iter().zip(&contracted) {
        for x in b.purchases.iter().filter(|_| c.is_some()) {
            let (k, o) = (at(x.seller), origin(w, x.seller));
            let named = m.sources[b.region.ix()].contains(&o);
            if named
                && r[k] > t[k] * (1.0 + SHARE_SUM_TOLERANCE)
                && !over
                    .iter()
                    .any(|v: &(RegionId, RegionId, f64)| v.0 == b.region && v.1 == o)
            {
                over.push((b.region, o, r[k] / t[k]));
            }
        }
    }
    if !over.is_empty() {
        return Err(over);
    }
    // The free buyers' purchases: rows n_u, columns T_k − R_k.
    let free: Vec<usize> = (0..buyers.len())
        .filter(|&i| contracted[i].is_none() && buyers[i].need > 0.0)
        .collect();
    let mut a: Vec<Vec<f64>> = free.iter().map(|_| vec![0.0; origins.len()]).collect();
    for (row, &i) in free.iter().enumerate() {
        for x in &buyers[i].purchases {
            a[row][at(x.seller)] += buyers[i].need * x.share;
        }
    }
    let rows: Vec<f64> = free.iter().map(|&i| buyers[i].need).collect();
    let cols: Vec<f64> = t.iter().zip(&r).map(|(t, r)| (t - r).max(0.0)).collect();
    let before = a.clone();
    biproportional(&mut a, &rows, &cols);
    let mut out = Vec::new();
    for (i, (b, c)) in buyers.iter().zip(contracted).enumerate() {
        let shares: Vec<f64> = match (c, free.iter().position(|&f| f == i)) {
            (Some(after), _) => after,
            // Every link from one origin scales by that origin's factor.
            (None, Some(row)) => b
                .purchases
                .iter()
                .map(|x| {
                    let k = at(x.seller);
                    if before[row][k] > 0.0 {
                        x.share * a[row][k] / before[row][k]
                    } else {
                        x.share
                    }
                })
                .collect(),
            (None, None) => b.purchases.iter().map(|x| x.share).collect(),
        };
        out.extend(b.purchases.iter().zip(shares).map(|(x, s)| (x.link, s)));
    }
    Ok(out)
}

/// Biproportional fitting (RAS): scales the rows and columns of `a` (non-negative) in turn
/// until its row sums are `rows` and its column sums `cols` (which sum to the same total),
/// keeping its zeros; the adjustment that changes each row's mix least in the information
/// sense. A column with no cell left (every buyer of that seller is under contract) cannot
/// be met and is left: the region then buys less from that seller.
fn biproportional(a: &mut [Vec<f64>], rows: &[f64], cols: &[f64]) {
    const ROUNDS: usize = 10_000;
    const TOLERANCE: f64 = 1e-13;
    for _ in 0..ROUNDS {
        let mut worst: f64 = 0.0;
        for (k, &c) in cols.iter().enumerate() {
            let sum: f64 = a.iter().map(|row| row[k]).sum();
            if sum > 0.0 {
                worst = worst.max((sum - c).abs() / (1.0 + c));
                for row in a.iter_mut() {
                    row[k] *= c / sum;
                }
            }
        }
        for (row, &n) in a.iter_mut().zip(rows) {
            let sum: f64 = row.iter().sum();
            if sum > 0.0 {
                worst = worst.max((sum - n).abs() / (1.0 + n));
                row.iter_mut().for_each(|x| *x *= n / sum);
            }
        }
        if worst < TOLERANCE {
            return;
        }
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
/// without cover days of its own for the product copies it; members with cover days get theirs
/// for every stock they hold (after the others): `products-cover-days` for the stocks of their
/// listed products where given, `cover-days` for the others.
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
            if m.cover[c.ix()].of(inv.product).is_none() && needs[c.ix()][p] {
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
    for (c, cover) in m.cover.iter().enumerate().skip(nr0) {
        for (p, _) in needs[c].iter().enumerate().filter(|(_, held)| **held) {
            let Some(days) = cover.of(ProductId(p as u32)) else {
                continue;
            };
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
    for sp in &ex.source_problems {
        let d = &declared[sp.cohort];
        let (rc, pc, oc) = (
            cx.world.regions[d.cohort.region.ix()].code.clone(),
            cx.world.products[sp.product.ix()].code.clone(),
            cx.world.regions[sp.origin.ix()].code.clone(),
        );
        cx.err(
            d.f,
            d.sources_span.clone(),
            format!(
                "the cohorts of {rc} with `sources` would import {}x what {rc} imports of `{pc}` from {oc}",
                fmt_num((sp.taken * 1000.0).round() / 1000.0)
            ),
            Some(format!(
                "a cohort buying only from its sources takes its share of {rc}'s need of `{pc}` from them; \
                 lower the shares of the cohorts with `sources`, or add {rc}'s other suppliers to them"
            )),
        );
    }
    let mut problems = Vec::new();
    for p in &mut cx.pending {
        if let Some((label, Target::CohortCoverOf(code, stocks))) = &p.bound {
            // Every cohort expanded is a sub-region coded `REGION/name`; one dropped for an
            // error (shares above one) has nothing left to set.
            let c = ex.world.regions.iter().position(|r| r.code == *code);
            p.bound = c.map(|c| (label.clone(), Target::CohortCover(c, stocks.clone())));
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
