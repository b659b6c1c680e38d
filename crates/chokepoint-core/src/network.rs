//! The network view of a [`World`] that the engine works on: dense node and link indices, the
//! topological product order, and the baseline steady state (need per node, flow per link, target
//! and initial stock) from which every run starts. See `docs/model.md`, "The baseline steady
//! state".

use crate::model::{ProductId, RegionId, World};

/// Immutable structure derived from the world once per run.
#[derive(Debug, Clone)]
pub struct Network {
    pub nr: usize,
    pub np: usize,
    /// The buyers' allocation priorities ([`crate::model::Region::priority`]) that occur,
    /// highest first (`[0]` when no cohort has one).
    pub priorities: Vec<u8>,
    /// Products, inputs before outputs (stage order breaks ties and cycles).
    pub order: Vec<ProductId>,
    /// Products grouped by production level: level 0 has no inputs, level k uses inputs of
    /// lower levels only. Facilities of one level share their region's input stocks fairly.
    pub levels: Vec<Vec<ProductId>>,
    /// Per level: its facilities' (node, facility), products in level order, then regions.
    pub level_facilities: Vec<Vec<(usize, usize)>>,
    /// Facility index per node.
    pub facility_of: Vec<Option<usize>>,
    /// Recipe indices per product, by priority.
    pub recipes_for: Vec<Vec<usize>>,
    /// Per facility: the recipes that apply in its region, by priority, with their baseline
    /// share of the facility's output (summing to one; empty for primary production).
    pub recipe_mix0: Vec<Vec<(usize, f64)>>,
    /// Links into each node.
    pub links_into: Vec<Vec<usize>>,
    /// Links out of each node (the facility's customers).
    pub links_from: Vec<Vec<usize>>,
    /// Per link: the supplier's node, the buyer's node and the transit days (the daily loops
    /// read these instead of the wider `World::links`).
    pub seller_node: Vec<usize>,
    pub buyer_node: Vec<usize>,
    pub transit_days: Vec<u32>,
    /// Baseline daily need per node (final demand + inputs for baseline production).
    pub need0: Vec<f64>,
    /// Baseline daily flow per link.
    pub flow0: Vec<f64>,
    /// Baseline need per node by end-use index (for end-use licence rules).
    pub end_use_need0: Vec<Vec<f64>>,
    pub end_uses: Vec<String>,
    /// Target commercial stock per node.
    pub target_stock: Vec<f64>,
    pub target_days: Vec<f64>,
    pub initial_stock: Vec<f64>,
    /// Segment index per region (the last segment is the implicit `world`).
    pub segment_of: Vec<usize>,
    /// Per node, the index of its (segment, product) price: `segment · np + product`.
    pub price_of: Vec<usize>,
    pub n_segments: usize,
    /// Nodes reported in the time series.
    pub active: Vec<bool>,
    /// The nodes each daily loop acts on, ascending: the same nodes in the same order as a
    /// loop over every node that skips the others (so sums come out the same), without
    /// looking at the others.
    pub lists: NodeLists,
    pub max_transit: usize,
}

impl Network {
    /// The name of end-use slot `slot` (`any` for `u32::MAX`, no end use).
    pub fn end_use_name(&self, slot: u32) -> &str {
        if slot == u32::MAX {
            "any"
        } else {
            &self.end_uses[slot as usize]
        }
    }

    pub fn node(&self, r: RegionId, p: ProductId) -> usize {
        r.ix() * self.np + p.ix()
    }

    /// Baseline daily production of node `n`: the baseline flows of its links out.
    pub fn baseline_output(&self, n: usize) -> f64 {
        self.links_from[n].iter().map(|&l| self.flow0[l]).sum()
    }

    pub fn new(world: &World) -> Network {
        let nr = world.regions.len();
        let np = world.products.len();
        let node = |r: RegionId, p: ProductId| r.ix() * np + p.ix();
        let mut facility_of = vec![None; nr * np];
        for (i, f) in world.facilities.iter().enumerate() {
            facility_of[node(f.region, f.product)] = Some(i);
        }
        let mut recipes_for = vec![Vec::new(); np];
        for (i, r) in world.recipes.iter().enumerate() {
            recipes_for[r.output.ix()].push(i);
        }
        for v in &mut recipes_for {
            v.sort_by_key(|&i| (world.recipes[i].priority, i));
        }
        let mut links_into = vec![Vec::new(); nr * np];
        let mut links_from = vec![Vec::new(); nr * np];
        for (i, l) in world.links.iter().enumerate() {
            links_into[node(l.to, l.product)].push(i);
            links_from[node(l.from, l.product)].push(i);
        }
        let order = topological_products(world);
        let mut level = vec![0usize; np];
        let mut placed = vec![false; np];
        for &p in &order {
            level[p.ix()] = world
                .recipes
                .iter()
                .filter(|r| r.output == p)
                .flat_map(|r| r.inputs.iter())
                .filter(|(i, _)| placed[i.ix()])
                .map(|(i, _)| level[i.ix()] + 1)
                .max()
                .unwrap_or(0);
            placed[p.ix()] = true;
        }
        let mut levels = vec![Vec::new(); level.iter().copied().max().map_or(0, |m| m + 1)];
        for &p in &order {
            levels[level[p.ix()]].push(p);
        }
        let level_facilities = levels
            .iter()
            .map(|ps| {
                ps.iter()
                    .flat_map(|&p| (0..nr).map(move |r| node(RegionId(r as u32), p)))
                    .filter_map(|n| Some((n, facility_of[n]?)))
                    .collect()
            })
            .collect();
        let recipe_mix0: Vec<Vec<(usize, f64)>> = world
            .facilities
            .iter()
            .map(|f| baseline_mix(world, &recipes_for[f.product.ix()], f.region))
            .collect();

        // End uses, sorted for determinism.
        let mut end_uses: Vec<String> = world.demands.iter().map(|d| d.end_use.clone()).collect();
        end_uses.sort();
        end_uses.dedup();
        let ne = end_uses.len();

        // Baseline pass, outputs before inputs: need → flows → production → input needs.
        let mut need0 = vec![0.0; nr * np];
        let mut eu_need = vec![vec![0.0; ne]; nr * np];
        for d in &world.demands {
            let n = node(d.region, d.product);
            need0[n] += d.quantity;
            let e = end_uses.iter().position(|x| *x == d.end_use).unwrap_or(0);
            eu_need[n][e] += d.quantity;
        }
        let mut flow0 = vec![0.0; world.links.len()];
        for &p in order.iter().rev() {
            for r in 0..nr {
                let n = node(RegionId(r as u32), p);
                for &l in &links_into[n] {
                    flow0[l] = world.links[l].share * need0[n];
                }
            }
            // Production of p in each region, and the input needs it creates.
            for r in 0..nr {
                let rid = RegionId(r as u32);
                let n = node(rid, p);
                let Some(_) = facility_of[n] else { continue };
                let prod: f64 = links_from[n].iter().map(|&l| flow0[l]).sum();
                if prod <= 0.0 {
                    continue;
                }
                let mut eu_prod = vec![0.0; ne];
                for &l in &links_from[n] {
                    let to = node(world.links[l].to, p);
                    if need0[to] > 0.0 {
                        for (e, v) in eu_prod.iter_mut().enumerate() {
                            *v += flow0[l] * eu_need[to][e] / need0[to];
                        }
                    }
                }
                let f = facility_of[n].unwrap_or_default();
                for &(rec, share) in &recipe_mix0[f] {
                    for &(input, coef) in &world.recipes[rec].inputs {
                        let ni = node(rid, input);
                        need0[ni] += share * coef * prod;
                        for (e, v) in eu_prod.iter().enumerate() {
                            eu_need[ni][e] += share * coef * v;
                        }
                    }
                }
            }
        }

        let mut target_days = vec![world.default_cover_days; nr * np];
        let mut initial_days = vec![world.default_cover_days; nr * np];
        for inv in &world.inventories {
            let n = node(inv.region, inv.product);
            target_days[n] = inv.target_days;
            initial_days[n] = inv.initial_days;
        }
        let target_stock: Vec<f64> = (0..nr * np).map(|n| target_days[n] * need0[n]).collect();
        let initial_stock: Vec<f64> = (0..nr * np).map(|n| initial_days[n] * need0[n]).collect();

        let n_segments = world.segments.len() + 1;
        let mut segment_of = vec![world.segments.len(); nr];
        for (s, seg) in world.segments.iter().enumerate() {
            for r in &seg.regions {
                segment_of[r.ix()] = s;
            }
        }
        let mut active = vec![false; nr * np];
        for n in 0..nr * np {
            active[n] = need0[n] > 0.0 || facility_of[n].is_some() || !links_into[n].is_empty();
        }
        for s in &world.stockpiles {
            active[node(s.region, s.product)] = true;
        }
        let pick = |keep: &dyn Fn(usize) -> bool| (0..nr * np).filter(|&n| keep(n)).collect();
        let lists = NodeLists {
            active: pick(&|n| active[n]),
            facilities: pick(&|n| facility_of[n].is_some()),
            buying: pick(&|n| !links_into[n].is_empty()),
            multi_sourced: pick(&|n| links_into[n].len() >= 2),
            stocked: pick(&|n| target_stock[n] > 0.0),
        };
        let max_transit = world
            .links
            .iter()
            .map(|l| l.transit_days as usize)
            .max()
            .unwrap_or(0);
        let mut priorities: Vec<u8> = world.regions.iter().map(|r| r.priority).collect();
        priorities.sort_unstable_by(|a, b| b.cmp(a));
        priorities.dedup();
        Network {
            nr,
            np,
            priorities,
            order,
            level_facilities,
            levels,
            facility_of,
            recipes_for,
            recipe_mix0,
            links_into,
            links_from,
            seller_node: world
                .links
                .iter()
                .map(|l| node(l.from, l.product))
                .collect(),
            buyer_node: world.links.iter().map(|l| node(l.to, l.product)).collect(),
            transit_days: world.links.iter().map(|l| l.transit_days).collect(),
            need0,
            flow0,
            end_use_need0: eu_need,
            end_uses,
            target_stock,
            target_days,
            initial_stock,
            price_of: (0..nr * np)
                .map(|n| segment_of[n / np] * np + n % np)
                .collect(),
            segment_of,
            n_segments,
            active,
            lists,
            max_transit,
        }
    }
}

/// Node indices with a fixed property, ascending ([`Network::lists`]).
#[derive(Debug, Clone, Default)]
pub struct NodeLists {
    /// [`Network::active`] nodes.
    pub active: Vec<usize>,
    /// Nodes with a facility.
    pub facilities: Vec<usize>,
    /// Nodes with links in (they place orders).
    pub buying: Vec<usize>,
    /// Nodes with two or more links in (their shares adapt).
    pub multi_sourced: Vec<usize>,
    /// Nodes with a positive target stock (they count in the price's inventory gap).
    pub stocked: Vec<usize>,
}

/// The baseline recipe mix of one facility: the applicable recipes by priority with their
/// shares. Recipes with a `share` get it; the rest of the output goes to the first applicable
/// recipe without one (or is spread over the given shares in proportion when all have one).
fn baseline_mix(world: &World, recipes: &[usize], region: RegionId) -> Vec<(usize, f64)> {
    let applicable: Vec<usize> = recipes
        .iter()
        .copied()
        .filter(|&i| recipe_applies(world, i, region))
        .collect();
    let given: f64 = applicable
        .iter()
        .filter_map(|&i| world.recipes[i].share)
        .sum();
    let rest = applicable
        .iter()
        .position(|&i| world.recipes[i].share.is_none());
    applicable
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            let share = match (world.recipes[i].share, rest) {
                (Some(s), Some(_)) => s.min(1.0),
                (Some(s), None) if given > 0.0 => s / given,
                (Some(_), None) => 1.0 / applicable.len() as f64,
                (None, Some(first)) if first == k => (1.0 - given).max(0.0),
                (None, _) => 0.0,
            };
            (i, share)
        })
        .collect()
}

pub(crate) fn recipe_applies(world: &World, recipe: usize, region: RegionId) -> bool {
    let r = &world.recipes[recipe];
    r.regions.is_empty() || r.regions.contains(&region)
}

/// Products ordered so that every recipe input comes before its output (Kahn's algorithm with a
/// (stage, index) priority); products caught in a cycle follow in stage order.
fn topological_products(world: &World) -> Vec<ProductId> {
    let np = world.products.len();
    let mut indeg = vec![0usize; np];
    let mut succ = vec![Vec::new(); np];
    for r in &world.recipes {
        for &(i, _) in &r.inputs {
            if i != r.output {
                succ[i.ix()].push(r.output.ix());
                indeg[r.output.ix()] += 1;
            }
        }
    }
    let key = |p: usize| (world.products[p].stage, p);
    let mut ready: Vec<usize> = (0..np).filter(|&p| indeg[p] == 0).collect();
    let mut out = Vec::with_capacity(np);
    let mut done = vec![false; np];
    while !ready.is_empty() {
        ready.sort_by_key(|&p| std::cmp::Reverse(key(p)));
        let p = ready.pop().unwrap_or_default();
        done[p] = true;
        out.push(ProductId(p as u32));
        for &q in &succ[p] {
            indeg[q] -= 1;
            if indeg[q] == 0 {
                ready.push(q);
            }
        }
    }
    let mut rest: Vec<usize> = (0..np).filter(|&p| !done[p]).collect();
    rest.sort_by_key(|&p| key(p));
    out.extend(rest.into_iter().map(|p| ProductId(p as u32)));
    out
}
