//! Data-consistency checks of a [`World`] beyond what parsing validates: whether its baseline
//! (the steady state every run starts from, see [`Network`]) is feasible and complete. Each
//! problem is a [`Finding`] with a [`Severity`]; [`check_world`] returns them all, sorted.
//!
//! Errors make the baseline impossible (exports from a region that cannot make the product,
//! baseline production above capacity, link shares not summing to one, a need with no supplier);
//! warnings flag what a user should look at (high utilisation, idle facilities, recipes whose
//! inputs nobody makes).

use crate::model::{ProductId, RegionId, World};
use crate::network::Network;
/// The same severities as the parser's diagnostics.
pub use crate::wire::Severity;

#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub severity: Severity,
    /// The entity concerned, in the words of `chokepoint data` (e.g. `facility CHN ndpr-oxide`).
    pub what: String,
    pub message: String,
}

/// Utilisation above which a facility gets a warning: the baseline leaves too little headroom
/// for the order-up-to policy to refill stocks after a disturbance.
pub const HIGH_UTILISATION: f64 = 0.95;

/// Every consistency problem of `world`, errors first, then by entity.
pub fn check_world(world: &World) -> Vec<Finding> {
    let net = Network::new(world);
    let mut out = Vec::new();
    let code = |r: RegionId| world.regions[r.ix()].code.as_str();
    let pcode = |p: ProductId| world.products[p.ix()].code.as_str();
    let mut push = |severity, what: String, message: String| {
        out.push(Finding {
            severity,
            what,
            message,
        })
    };

    // Shares into each (buyer, product).
    for n in 0..net.nr * net.np {
        let links = &net.links_into[n];
        if links.is_empty() {
            continue;
        }
        let sum: f64 = links.iter().map(|&l| world.links[l].share).sum();
        if (sum - 1.0).abs() > 1e-6 {
            let l = &world.links[links[0]];
            push(
                Severity::Error,
                format!("links into {} {}", code(l.to), pcode(l.product)),
                format!("shares sum to {sum:.6}, not 1"),
            );
        }
    }
    // Exports from regions that do not make the product.
    for l in &world.links {
        if net.facility_of[net.node(l.from, l.product)].is_none() && l.share > 0.0 {
            push(
                Severity::Error,
                format!(
                    "link {} -> {} {}",
                    code(l.from),
                    code(l.to),
                    pcode(l.product)
                ),
                format!(
                    "{} ships {} but has no facility for it (exports above production)",
                    code(l.from),
                    pcode(l.product)
                ),
            );
        }
    }
    // Baseline production against capacity, idle facilities.
    for f in &world.facilities {
        let n = net.node(f.region, f.product);
        let prod = net.baseline_output(n);
        let what = format!("facility {} {}", code(f.region), pcode(f.product));
        let unit = &world.products[f.product.ix()].unit;
        if prod > f.capacity * (1.0 + 1e-9) {
            push(
                Severity::Error,
                what,
                format!(
                    "baseline production {:.1} {unit}/day is above capacity {:.1} ({:.0}%)",
                    prod,
                    f.capacity,
                    100.0 * prod / f.capacity.max(f64::MIN_POSITIVE)
                ),
            );
        } else if prod > HIGH_UTILISATION * f.capacity {
            push(
                Severity::Warning,
                what,
                format!(
                    "baseline utilisation {:.0}% leaves little headroom",
                    100.0 * prod / f.capacity
                ),
            );
        } else if prod <= 0.0 && f.capacity > 0.0 {
            push(
                Severity::Warning,
                what,
                "no baseline output: nobody buys from this facility".into(),
            );
        }
    }
    // Needs without a supplier.
    for n in 0..net.nr * net.np {
        if net.need0[n] > 0.0 && net.links_into[n].is_empty() {
            let (r, p) = (
                RegionId((n / net.np) as u32),
                ProductId((n % net.np) as u32),
            );
            push(
                Severity::Error,
                format!("need {} {}", code(r), pcode(p)),
                format!(
                    "{} needs {:.3} {}/day of {} but no link supplies it",
                    code(r),
                    net.need0[n],
                    world.products[p.ix()].unit,
                    pcode(p)
                ),
            );
        }
    }
    // Recipe inputs nobody makes anywhere.
    for r in &world.recipes {
        for &(i, _) in &r.inputs {
            if !world.facilities.iter().any(|f| f.product == i) {
                push(
                    Severity::Warning,
                    format!("recipe {}", pcode(r.output)),
                    format!("input {} is made by no facility", pcode(i)),
                );
            }
        }
    }
    out.sort_by(|a, b| (a.severity, &a.what).cmp(&(b.severity, &b.what)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::WorldBuilder;
    use crate::model::Stage;

    fn render(world: &World) -> String {
        check_world(world)
            .iter()
            .map(|f| format!("{}: {}: {}\n", f.severity.as_str(), f.what, f.message))
            .collect()
    }

    #[test]
    fn flags_infeasible_and_incomplete_baselines() {
        let mut b = WorldBuilder::new(10.0);
        let chn = b.region("CHN", &[]);
        let usa = b.region("USA", &[]);
        let jpn = b.region("JPN", &[]);
        let oxide = b.product("oxide", Stage::Separation, &[]);
        let metal = b.product("metal", Stage::Metal, &[]);
        let magnet = b.product("magnet", Stage::Magnet, &[]);
        let alloy = b.product("alloy", Stage::Metal, &[]);
        b.recipe(metal, &[(oxide, 1.2)], 0);
        b.recipe(magnet, &[(metal, 0.3), (alloy, 0.1)], 0);
        b.facility(chn, magnet, 5.0); // demand 10/day: above capacity
        b.facility(chn, metal, 100.0);
        b.facility(jpn, magnet, 1.0); // ships 2/day to the USA
        b.facility(usa, oxide, 3.0); // nobody buys
        b.link(chn, usa, magnet, 0.7, 30); // shares 0.7 + 0.2
        b.link(jpn, usa, magnet, 0.2, 10);
        b.link(usa, jpn, metal, 0.0, 10); // zero share: a candidate, not an export
        b.link(jpn, chn, oxide, 1.0, 5); // JPN makes no oxide
        b.link(chn, chn, metal, 1.0, 0);
        b.demand(usa, magnet, "ev", 10.0);
        let got = render(&b.world);
        let want = "\
error: facility CHN magnet: baseline production 7.0 t/day is above capacity 5.0 (140%)
error: facility JPN magnet: baseline production 2.0 t/day is above capacity 1.0 (200%)
error: link JPN -> CHN oxide: JPN ships oxide but has no facility for it (exports above production)
error: links into JPN metal: shares sum to 0.000000, not 1
error: links into USA magnet: shares sum to 0.900000, not 1
error: need CHN alloy: CHN needs 0.700 t/day of alloy but no link supplies it
error: need JPN alloy: JPN needs 0.200 t/day of alloy but no link supplies it
warning: facility USA oxide: no baseline output: nobody buys from this facility
warning: recipe magnet: input alloy is made by no facility
";
        assert_eq!(got, want, "\n{got}");
    }
}
