//! The EU supply-risk formula applied to a region of a world instead of the EU: [`region_risk`]
//! takes, for one element at each [`Stage`] of the chain, the governance-weighted concentration
//! of world production and of the region's own sourcing ([`super::concentration::stage_flows`]),
//! the region's import reliance, and the element's recycling rate and substitution index from
//! the EU inputs, and returns a [`RegionRisk`]: one [`RegionStageRisk`] per stage with every term,
//! and the stage of the highest risk.

use super::concentration::{StageFlows, WeightedShare, concentration, hhi_wgi, stage_flows};
use super::eu::{EuInputs, ParamName, SupplyRiskTerms, supply_risk};
use crate::model::{RegionId, Stage, World};
use crate::network::Network;

/// The stages of the chain the indices cover (the end-use stage is demand, not supply).
pub const STAGES: [Stage; 5] = [
    Stage::Mining,
    Stage::Separation,
    Stage::Metal,
    Stage::Magnet,
    Stage::Component,
];

/// Where the recycling rate and substitution index of an element came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElementTerms {
    /// From the EU inputs' `eol-rir` and `si-sr` of the element.
    FromEuInputs,
    /// The element has none: EOL-RIR 0 and SI_SR 1 (no credit for recycling or substitutes).
    Neutral,
}

/// One stage of a region's supply risk for one element.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionStageRisk {
    pub stage: Stage,
    /// World production, tonnes of element a day.
    pub world_production: f64,
    pub production: f64,
    pub imports: f64,
    pub exports: f64,
    pub hhi: f64,
    pub terms: SupplyRiskTerms,
    pub sr: f64,
}

/// A region's supply risk for one element: the stages where it uses or makes the element.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionRisk {
    pub region: RegionId,
    pub element: String,
    pub element_terms: ElementTerms,
    pub stages: Vec<RegionStageRisk>,
    /// Regions producing the element at some stage without a governance score: their stages
    /// are left out.
    pub missing_governance: Vec<RegionId>,
}

impl RegionRisk {
    /// The stage of the highest supply risk (the first on ties).
    pub fn max(&self) -> Option<&RegionStageRisk> {
        self.stages
            .iter()
            .fold(None, |best: Option<&RegionStageRisk>, s| match best {
                Some(b) if b.sr >= s.sr => Some(b),
                _ => Some(s),
            })
    }
}

/// Scaled WGI and t of a world region from the EU inputs' governance table (t = 1: the world
/// carries no trade variable).
pub fn governance_of<'a>(
    world: &'a World,
    eu: &'a EuInputs,
) -> impl Fn(RegionId) -> Option<(f64, f64)> + 'a {
    move |r: RegionId| {
        eu.wgi(&world.regions[world.home(r).ix()].code)
            .map(|c| (c.value, 1.0))
    }
}

/// HHI_WGI of the region's sourcing shares; `None` when a seller has no governance score.
fn sourcing_hhi_wgi(
    flows: &StageFlows,
    region: RegionId,
    governance: &dyn Fn(RegionId) -> Option<(f64, f64)>,
) -> Option<f64> {
    let shares = flows.region(region)?.sourcing_shares();
    let weighted = shares
        .iter()
        .map(|&(r, share)| {
            governance(r).map(|(wgi_scaled, t)| WeightedShare {
                share,
                wgi_scaled,
                t,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(hhi_wgi(&weighted))
}

/// The supply risk of `region` (a home region) for `element` at every stage of [`STAGES`] where
/// it has supply of the element, from the world's baseline.
pub fn region_risk(
    world: &World,
    net: &Network,
    eu: &EuInputs,
    region: RegionId,
    element: &str,
) -> RegionRisk {
    let governance = governance_of(world, eu);
    let param = |name| eu.parameter(element, None, name).map(|p| p.value.value);
    let (eol_rir, si_sr, element_terms) = match (param(ParamName::EolRir), param(ParamName::SiSr)) {
        (Some(e), Some(s)) => (e, s, ElementTerms::FromEuInputs),
        _ => (0.0, 1.0, ElementTerms::Neutral),
    };
    let mut stages = Vec::new();
    let mut missing = Vec::new();
    for stage in STAGES {
        let flows = stage_flows(world, net, element, stage);
        let Some(own) = flows.region(region) else {
            continue;
        };
        let conc = concentration(&flows, &governance);
        missing.extend(conc.missing_governance.iter().copied());
        let (Some(global), Some(sourcing), Some(ir)) = (
            conc.hhi_wgi,
            sourcing_hhi_wgi(&flows, region, &governance),
            own.import_reliance(),
        ) else {
            continue;
        };
        let terms = SupplyRiskTerms {
            hhi_wgi_global: global,
            hhi_wgi_sourcing: sourcing,
            import_reliance: ir,
            eol_rir,
            si_sr,
        };
        stages.push(RegionStageRisk {
            stage,
            world_production: conc.production,
            production: own.production,
            imports: own.imports,
            exports: own.exports,
            hhi: conc.hhi,
            sr: supply_risk(&terms),
            terms,
        });
    }
    missing.sort();
    missing.dedup();
    RegionRisk {
        region,
        element: element.to_string(),
        element_terms,
        stages,
        missing_governance: missing,
    }
}

/// Elements any product of the world contains, sorted by symbol.
pub fn elements(world: &World) -> Vec<String> {
    let mut out: Vec<String> = world
        .products
        .iter()
        .flat_map(|p| {
            p.content
                .iter()
                .filter(|(_, c)| *c > 0.0)
                .map(|(e, _)| e.clone())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}
