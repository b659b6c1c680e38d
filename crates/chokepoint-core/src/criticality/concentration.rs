//! Concentration and import reliance measured on a world's baseline: [`StageFlows`] gathers,
//! for one element at one [`Stage`], what each home region produces, imports and exports and
//! from whom it sources it (the baseline steady state of [`Network`], element content applied);
//! [`Concentration`] turns the producers' shares into the Herfindahl-Hirschman index and its
//! governance-weighted form, and [`import_reliance`] is the EU method's import reliance. The
//! index functions ([`hhi`], [`hhi_wgi`]) take plain shares so that the EU reproduction
//! (`super::eu`) and the network share them.

use crate::model::{ProductId, RegionId, Stage, World};
use crate::network::Network;

/// Herfindahl-Hirschman index of `shares` (fractions summing to one): `HHI = Σ_i S_i²`, from
/// 1/n (n equal producers) to 1 (one producer). Summed in the order given.
pub fn hhi(shares: &[f64]) -> f64 {
    shares.iter().fold(0.0, |acc, s| acc + s * s)
}

/// One producer's share with its governance and trade weights, as the EU method takes them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeightedShare {
    /// Fraction of supply.
    pub share: f64,
    /// World Governance Indicators scaled 0-10 (10 = poorest governance).
    pub wgi_scaled: f64,
    /// Trade variable t (1 without export restrictions; above 1 with export taxes, quotas or
    /// bans; below 1 for partners with trade agreements).
    pub t: f64,
}

/// Governance-weighted HHI of the EU method: `HHI_WGI,t = Σ_i S_i² · WGI_i · t_i`, on the
/// 0-10 scale of the WGI (Blengini et al. 2017, section 3.3). Summed in the order given.
pub fn hhi_wgi(shares: &[WeightedShare]) -> f64 {
    shares
        .iter()
        .fold(0.0, |acc, w| acc + w.share * w.share * w.wgi_scaled * w.t)
}

/// Import reliance of the EU method: `IR = (I − E) / (P + I − E)` with P domestic production,
/// I imports and E exports. Net exporters have IR 0 (the method's floor); `None` when the
/// region neither makes nor takes the material (`P + I − E ≤ 0` with nothing imported).
pub fn import_reliance(production: f64, imports: f64, exports: f64) -> Option<f64> {
    let net_imports = imports - exports;
    let apparent_use = production + net_imports;
    if apparent_use <= 0.0 {
        return (production > 0.0 || imports > 0.0).then_some(0.0);
    }
    Some((net_imports / apparent_use).clamp(0.0, 1.0))
}

/// What one home region makes, buys and sells of an element at a stage, tonnes of element a
/// day at the baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionFlows {
    pub region: RegionId,
    pub production: f64,
    pub imports: f64,
    pub exports: f64,
    /// Where its supply comes from, as the EU method counts sourcing (domestic production plus
    /// imports by origin): (region, tonnes of element a day), its own production under its own
    /// code, by region index.
    pub sourcing: Vec<(RegionId, f64)>,
}

impl RegionFlows {
    /// Import reliance of the region ([`import_reliance`]).
    pub fn import_reliance(&self) -> Option<f64> {
        import_reliance(self.production, self.imports, self.exports)
    }

    /// Shares of the region's sourcing (own production and imports by origin), by region index.
    pub fn sourcing_shares(&self) -> Vec<(RegionId, f64)> {
        shares_of(&self.sourcing)
    }
}

/// One element at one stage across the world's home regions (a buyer cohort counts as its
/// region), in region order; regions with no flow are left out.
#[derive(Debug, Clone, PartialEq)]
pub struct StageFlows {
    pub element: String,
    pub stage: Stage,
    pub regions: Vec<RegionFlows>,
}

impl StageFlows {
    /// World production of the element at the stage, tonnes a day.
    pub fn world_production(&self) -> f64 {
        self.regions.iter().map(|r| r.production).sum()
    }

    /// Producers' shares of world production, by region index (producers only).
    pub fn production_shares(&self) -> Vec<(RegionId, f64)> {
        let producers: Vec<(RegionId, f64)> = self
            .regions
            .iter()
            .filter(|r| r.production > 0.0)
            .map(|r| (r.region, r.production))
            .collect();
        shares_of(&producers)
    }

    pub fn region(&self, r: RegionId) -> Option<&RegionFlows> {
        self.regions.iter().find(|f| f.region == r)
    }
}

fn shares_of(amounts: &[(RegionId, f64)]) -> Vec<(RegionId, f64)> {
    let total: f64 = amounts.iter().map(|(_, a)| a).sum();
    if total <= 0.0 {
        return Vec::new();
    }
    amounts.iter().map(|&(r, a)| (r, a / total)).collect()
}

/// Tonnes of `element` in one unit of product `p` (0 when it holds none).
fn content(world: &World, p: ProductId, element: &str) -> f64 {
    world.products[p.ix()]
        .content
        .iter()
        .find(|(e, _)| e == element)
        .map_or(0.0, |(_, c)| *c)
}

/// The baseline flows of `element` at `stage`: production is the baseline output of each
/// facility of a product of that stage times the product's element content; a baseline link
/// flow of such a product between two homes is the buyer's import and the seller's export. A
/// region's sourcing is its own production and its imports by origin (the EU method's "EU
/// sourcing"), whether or not it exports part of what it makes.
pub fn stage_flows(world: &World, net: &Network, element: &str, stage: Stage) -> StageFlows {
    let nr = world.regions.len();
    let mut production = vec![0.0; nr];
    let mut imports = vec![0.0; nr];
    let mut exports = vec![0.0; nr];
    let mut sourcing = vec![vec![0.0; nr]; nr];
    for f in &world.facilities {
        let c = content(world, f.product, element);
        if c > 0.0 && world.products[f.product.ix()].stage == stage {
            let home = world.home(f.region).ix();
            production[home] += net.baseline_output(net.node(f.region, f.product)) * c;
        }
    }
    for (l, link) in world.links.iter().enumerate() {
        let c = content(world, link.product, element);
        if c <= 0.0 || world.products[link.product.ix()].stage != stage {
            continue;
        }
        let (seller, buyer) = (world.home(link.from).ix(), world.home(link.to).ix());
        if seller != buyer {
            let flow = net.flow0[l] * c;
            sourcing[buyer][seller] += flow;
            imports[buyer] += flow;
            exports[seller] += flow;
        }
    }
    for h in 0..nr {
        sourcing[h][h] += production[h];
    }
    let regions = (0..nr)
        .filter(|&h| {
            production[h] > 0.0 || imports[h] > 0.0 || sourcing[h].iter().any(|&x| x > 0.0)
        })
        .map(|h| RegionFlows {
            region: RegionId(h as u32),
            production: production[h],
            imports: imports[h],
            exports: exports[h],
            sourcing: (0..nr)
                .filter(|&s| sourcing[h][s] > 0.0)
                .map(|s| (RegionId(s as u32), sourcing[h][s]))
                .collect(),
        })
        .collect();
    StageFlows {
        element: element.to_string(),
        stage,
        regions,
    }
}

/// Concentration of world production of one element at one stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Concentration {
    pub element: String,
    pub stage: Stage,
    /// World production, tonnes of element a day.
    pub production: f64,
    /// Producers' shares, largest first (ties by region index).
    pub shares: Vec<(RegionId, f64)>,
    pub hhi: f64,
    /// `None` when a producer has no governance score (`missing_governance` names them).
    pub hhi_wgi: Option<f64>,
    pub missing_governance: Vec<RegionId>,
}

/// The concentration of `flows`' producers; `governance` gives a region's scaled WGI and t
/// (trade variable), `None` when the data has none.
pub fn concentration(
    flows: &StageFlows,
    governance: &dyn Fn(RegionId) -> Option<(f64, f64)>,
) -> Concentration {
    let by_region = flows.production_shares();
    let plain: Vec<f64> = by_region.iter().map(|(_, s)| *s).collect();
    let mut weighted = Vec::new();
    let mut missing = Vec::new();
    for &(r, share) in &by_region {
        match governance(r) {
            Some((wgi_scaled, t)) => weighted.push(WeightedShare {
                share,
                wgi_scaled,
                t,
            }),
            None => missing.push(r),
        }
    }
    let mut shares = by_region.clone();
    shares.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    Concentration {
        element: flows.element.clone(),
        stage: flows.stage,
        production: flows.world_production(),
        shares,
        hhi: hhi(&plain),
        hhi_wgi: missing.is_empty().then(|| hhi_wgi(&weighted)),
        missing_governance: missing,
    }
}
