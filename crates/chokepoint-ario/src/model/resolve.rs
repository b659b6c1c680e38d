//! Named events ([`EventSpec`]: regions, sectors and amounts as users write them) resolved
//! against the [`Baseline`] into index-based [`Shock`]s: names become industry indices (an
//! unknown name is an error listing the known ones), capital impacts become amounts
//! (`share × K` or MRIO units, at most K), rebuilding sectors become indices with their shares
//! (summing to 1), and compat mode refuses what BoARIO 0.7.2 cannot run (quirks 6 and 10).

use super::baseline::Baseline;
use super::params::Params;
use super::quirks;
use super::shocks::Shock;
use crate::error::EventError;
use crate::events::{EventSpec, ImpactUnit};

/// Resolves event `k` (named) into a shock on the baseline's industries; `n_steps` is the
/// run's length (compat mode refuses events that outlast it).
pub(super) fn resolve(
    base: &Baseline,
    p: &Params,
    k: usize,
    spec: &EventSpec,
    n_steps: usize,
) -> Result<Shock, EventError> {
    let kind = spec.kind_name();
    let invalid = EventError::invalid(k, kind);
    let (occ, dur) = (spec.occurrence(), spec.duration());
    if occ == 0 || dur == 0 {
        return Err(invalid(format!(
            "occurrence ({occ}) and duration ({dur}) must be at least 1"
        )));
    }
    quirks::event_must_end_inside_horizon(p.mode, occ, dur, n_steps).map_err(invalid)?;
    match spec {
        EventSpec::Arbitrary {
            regions,
            sectors,
            impact,
            recovery_tau,
            recovery_function,
            ..
        } => {
            if !(*impact > 0.0 && *impact <= 1.0) {
                return Err(invalid(format!("impact = {impact} must be in (0, 1]")));
            }
            if *recovery_tau == 0 {
                return Err(invalid("recovery-tau must be at least 1".into()));
            }
            let inds = base.industries(k, kind, regions, sectors)?;
            Ok(Shock::Arbitrary {
                impact: inds.into_iter().map(|i| (i, *impact)).collect(),
                occurrence: occ,
                duration: dur,
                recovery_tau: *recovery_tau,
                recovery_function: *recovery_function,
            })
        }
        EventSpec::Recovery {
            regions,
            sectors,
            impact,
            impact_unit,
            recovery_tau,
            recovery_function,
            ..
        } => {
            if *recovery_tau == 0 {
                return Err(invalid("recovery-tau must be at least 1".into()));
            }
            let inds = base.industries(k, kind, regions, sectors)?;
            Ok(Shock::Recovery {
                damage: capital_damage(base, &inds, *impact, *impact_unit).map_err(invalid)?,
                occurrence: occ,
                duration: dur,
                recovery_tau: *recovery_tau,
                recovery_function: *recovery_function,
            })
        }
        EventSpec::Rebuild { .. } => resolve_rebuild(base, p, k, spec),
        EventSpec::TradeLink { .. } => resolve_trade_link(base, p, k, spec),
    }
}

fn resolve_rebuild(
    base: &Baseline,
    p: &Params,
    k: usize,
    spec: &EventSpec,
) -> Result<Shock, EventError> {
    let EventSpec::Rebuild {
        regions,
        sectors,
        impact,
        impact_unit,
        rebuild_tau,
        rebuilding_sectors,
        rebuilding_factor,
        occurrence,
        duration,
    } = spec
    else {
        unreachable!("resolve_rebuild of a rebuild event only");
    };
    let kind = spec.kind_name();
    let invalid = EventError::invalid(k, kind);
    let inds = base.industries(k, kind, regions, sectors)?;
    let mut rs = Vec::new();
    let mut sum = 0.0;
    for (name, share) in rebuilding_sectors {
        if !(share.is_finite() && *share >= 0.0) {
            return Err(invalid(format!(
                "rebuilding share of `{name}` = {share} must be >= 0"
            )));
        }
        rs.push((base.sector_index(k, kind, name)?, *share));
        sum += share;
    }
    if (sum - 1.0).abs() > 1e-8 + 1e-5 {
        return Err(invalid(format!(
            "rebuilding-sectors shares sum to {sum}, not 1"
        )));
    }
    if !(rebuilding_factor.is_finite() && *rebuilding_factor > 0.0) {
        return Err(invalid("rebuilding-factor must be positive".into()));
    }
    Ok(Shock::Rebuild {
        damage: capital_damage(base, &inds, *impact, *impact_unit).map_err(invalid)?,
        occurrence: *occurrence,
        duration: *duration,
        rebuild_tau: rebuild_tau.filter(|t| *t > 0).unwrap_or(p.rebuild_tau),
        sectors: rs,
        factor: *rebuilding_factor,
    })
}

fn resolve_trade_link(
    base: &Baseline,
    p: &Params,
    k: usize,
    spec: &EventSpec,
) -> Result<Shock, EventError> {
    let EventSpec::TradeLink {
        from,
        to,
        sectors,
        share,
        recovery_tau,
        occurrence,
        duration,
    } = spec
    else {
        unreachable!("resolve_trade_link of a trade-link event only");
    };
    let kind = spec.kind_name();
    let invalid = EventError::invalid(k, kind);
    if !quirks::trade_links_and_loss_series_available(p.mode) {
        return Err(invalid(
            "trade-link shocks do not exist in BoARIO 0.7.2; hint: drop --compat".into(),
        ));
    }
    if !(*share > 0.0 && *share <= 1.0) {
        return Err(invalid(format!("share = {share} must be in (0, 1]")));
    }
    if from.is_empty() || to.is_empty() || sectors.is_empty() {
        return Err(invalid("needs `from`, `to` and `sectors`".into()));
    }
    let mut links = Vec::new();
    for a in from {
        let ra = base.region_index(k, kind, a)?;
        for b in to {
            let rb = base.region_index(k, kind, b)?;
            for s in sectors {
                links.push((ra, base.sector_index(k, kind, s)?, rb));
            }
        }
    }
    Ok(Shock::TradeLink {
        links,
        share: *share,
        occurrence: *occurrence,
        duration: *duration,
        recovery_tau: *recovery_tau,
    })
}

/// The capital destroyed in each industry of `inds` (those with productive capital): `impact`
/// as a share of K or in MRIO units; more than K is refused.
fn capital_damage(
    base: &Baseline,
    inds: &[usize],
    impact: f64,
    unit: ImpactUnit,
) -> Result<Vec<(usize, f64)>, String> {
    if !(impact.is_finite() && impact > 0.0) {
        return Err(format!("impact = {impact} must be positive"));
    }
    let k = &base.k;
    let v: Vec<(usize, f64)> = inds
        .iter()
        .map(|&i| match unit {
            ImpactUnit::ShareOfCapital => (i, k[i] * impact),
            ImpactUnit::Mriot => (i, impact),
        })
        .filter(|(_, v)| *v > 0.0)
        .collect();
    if v.is_empty() {
        return Err("every affected industry has zero productive capital".into());
    }
    for (i, d) in &v {
        if *d > k[*i] {
            return Err(format!(
                "damage {d} to {} exceeds its productive capital {}",
                base.label(*i),
                k[*i]
            ));
        }
    }
    Ok(v)
}
