//! Why a sized HRE magnet stockpile over-delivers out of sample (issue 18, docs/decisions.md):
//! per path of april-2025 (seed 2, paths 0-59), a buyer cohort's HRE magnet shortfall U and
//! need N without a stockpile, the same with a stockpile of V units released by the sizing's
//! rule (`sizing::with_stockpiles`, 2 days / 2 days), what it released, and how much more
//! shortfall it avoided than it released. Run:
//!
//! ```text
//! cargo run --release -p chokepoint-core --example stockpile_feedback -- USA/suppliers 1691.6
//! ```
use chokepoint_core::engine::Engine;
use chokepoint_core::library::{Builtins, SCENARIOS};
use chokepoint_core::model::{ProductId, RegionId};
use chokepoint_core::record::NullSink;
use chokepoint_core::scenario::{SourceText, parse_scenario_uncertain};
use chokepoint_core::sizing::{Candidate, ReleaseRule, with_stockpiles};

fn main() {
    let text = SCENARIOS
        .iter()
        .find(|(n, _, _)| *n == "april-2025")
        .unwrap()
        .2;
    let (s, u) = parse_scenario_uncertain(SourceText { name: "a", text }, &Builtins).unwrap();
    let code = std::env::args().nth(1).unwrap_or("USA/suppliers".into());
    let v: f64 = std::env::args()
        .nth(2)
        .map(|x| x.parse().unwrap())
        .unwrap_or(1691.6);
    let r = RegionId(s.world.regions.iter().position(|x| x.code == code).unwrap() as u32);
    let p = ProductId(
        s.world
            .products
            .iter()
            .position(|x| x.code == "ndfeb-magnet-hre")
            .unwrap() as u32,
    );
    let c = Candidate {
        region: r,
        product: p,
        usd_per_unit: 1.0,
    };
    let rule = ReleaseRule {
        trigger_days: 2.0,
        rate_days: 2.0,
    };
    let (sw, uw) = with_stockpiles(&s, &u, &[c], &[v], rule);
    println!("path,U,N,U_with,N_with,released,avoided_minus_released");
    for path in 0..60u64 {
        let run = |sc: &chokepoint_core::scenario::Scenario,
                   un: &chokepoint_core::uncertain::Uncertainty| {
            let owned = sc.for_path(un, 2, path).0;
            let mut e = Engine::new(&owned, 2, path).without_records();
            while !e.finished() {
                e.step(&mut NullSink);
            }
            let t = e.node_totals(r, p).unwrap();
            let n = e.net.node(r, p);
            (t.shortfall, t.need, e.state.stocks.strategic[n])
        };
        let (u0, n0, _) = run(&s, &u);
        let (u1, n1, left) = run(&sw, &uw);
        let rel = v - left;
        println!(
            "{path},{u0:.1},{n0:.1},{u1:.1},{n1:.1},{rel:.1},{:.1}",
            (u0 - u1) - rel
        );
    }
}
