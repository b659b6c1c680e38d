//! Issue 18: stockpile sizing under a risk target (`chokepoint_core::sizing`) on networks whose
//! answer is known in closed form.

use chokepoint_core::build::{WorldBuilder, event};
use chokepoint_core::event::{EventKind, ExportBan, Exports, ProductSelector, RegionSelector};
use chokepoint_core::model::{ProductId, RegionId, Stage};
use chokepoint_core::scenario::Scenario;
use chokepoint_core::sizing::{
    Candidate, ReleaseRule, Samples, Target, cvar_volumes, met_share, sample, size_jointly,
    size_per_product, unit_cost, with_stockpiles,
};
use chokepoint_core::uncertain::Uncertainty;

const D: f64 = 2.0; // t/day demand
const TRANSIT: u32 = 5; // days in the pipeline
const COVER: f64 = 10.0; // days of cover
const BAN_DAY: u32 = 20;
const HORIZON: u32 = 200;

/// One supplier, one buyer of one product without inputs: demand D t/day, cover C days,
/// transit T days; the supplier's exports are cut from day 20 for `k` days.
fn cut(k: u32) -> (Scenario, RegionId, ProductId) {
    let mut b = WorldBuilder::new(COVER);
    let s = b.region("CHN", &[]);
    let m = b.product("dy-oxide", Stage::Separation, &[("Dy", 0.87)]);
    b.facility(s, m, 100.0);
    let usa = b.region("USA", &[]);
    b.link(s, usa, m, 1.0, TRANSIT);
    b.demand(usa, m, "ev", D);
    let ban = event(
        BAN_DAY,
        Some(BAN_DAY + k),
        EventKind::ExportBan(ExportBan {
            exports: Exports {
                exporter: s,
                products: ProductSelector::Ids(vec![m]),
                destinations: RegionSelector::All,
            },
            reexport: None,
        }),
    );
    (b.scenario(HORIZON, vec![ban]), usa, m)
}

/// The analytic shortfall of a cut of K days: the pipeline delays both the last delivery
/// before the cut and the first after it by T days, so the buyer lives on its cover for K days
/// and runs short for K − C of them, D t a day.
fn analytic_shortfall(k: u32) -> f64 {
    D * (f64::from(k) - COVER).max(0.0)
}

/// Samples of one path per cut length (each its own deterministic scenario).
fn samples_for(cuts: &[u32]) -> Samples {
    let mut all: Option<Samples> = None;
    for (i, &k) in cuts.iter().enumerate() {
        let (s, usa, m) = cut(k);
        let c = Candidate {
            region: usa,
            product: m,
            usd_per_unit: unit_cost(s.world.products[m.ix()].price, 0.0, HORIZON),
        };
        let one = sample(&s, &Uncertainty::default(), vec![c], 1, &[i as u64], 1);
        match &mut all {
            None => all = Some(one),
            Some(a) => {
                a.paths.extend(one.paths);
                a.shortfall.extend(one.shortfall);
                a.need.extend(one.need);
            }
        }
    }
    all.unwrap()
}

#[test]
fn issue_18_engine_shortfall_of_a_cut_is_the_closed_form() {
    for k in [5, 15, 30, 60] {
        let s = samples_for(&[k]);
        let want = analytic_shortfall(k);
        assert!(
            (s.shortfall[0] - want).abs() < 1e-9,
            "K={k}: {} vs {want}",
            s.shortfall[0]
        );
        assert!((s.need[0] - D * f64::from(HORIZON)).abs() < 1e-9);
    }
}

#[test]
fn issue_18_sized_stockpile_is_within_1_percent_of_the_analytic_volume() {
    // 20 paths with cuts of 11..=68 days; the target: unmet share above 1% of the year's need
    // on at most 10% of paths. The analytic volume is the 18th smallest need of a path,
    // D·(K − C) − s·D·H, at the 18th smallest K.
    let cuts: Vec<u32> = (0..20).map(|i| 11 + 3 * i).collect();
    let s = samples_for(&cuts);
    let target = Target {
        share: 0.01,
        probability: 0.9,
    };
    let sized = size_per_product(&s, target).unwrap();
    let mut sorted = cuts.clone();
    sorted.sort();
    let k = sorted[17];
    let analytic = analytic_shortfall(k) - 0.01 * D * f64::from(HORIZON);
    let v = sized.volumes[0];
    assert!(
        (v - analytic).abs() <= 0.01 * analytic,
        "sized {v} t, analytic {analytic} t"
    );
    assert!(sized.feasible && sized.met[0] >= 0.9);
    // The LP route (one candidate: its bisection finds the same order statistic) agrees.
    let joint = size_jointly(&s, target, None).unwrap();
    assert!(
        (joint.volumes[0] - analytic).abs() <= 0.01 * analytic,
        "LP {} t, analytic {analytic} t",
        joint.volumes[0]
    );
    // The CVaR bound is conservative: it costs at least the chance-constrained volume.
    let cvar = cvar_volumes(&s, target).unwrap();
    assert!(cvar.volumes[0] >= v - 1e-6, "{} < {v}", cvar.volumes[0]);
}

#[test]
fn issue_18_sized_stockpile_meets_the_target_in_the_full_engine() {
    // The closed-form cut of 40 days with the sized stockpile released by its rule: the
    // engine's unmet share stays within the target share.
    let s = samples_for(&[40]);
    let target = Target {
        share: 0.01,
        probability: 1.0,
    };
    let sized = size_per_product(&s, target).unwrap();
    let (scenario, usa, m) = cut(40);
    let rule = ReleaseRule {
        trigger_days: 2.0,
        rate_days: 2.0,
    };
    let (with, unc) = with_stockpiles(
        &scenario,
        &Uncertainty::default(),
        &s.candidates,
        &sized.volumes,
        rule,
    );
    let c = s.candidates.clone();
    let check = sample(&with, &unc, c, 7, &[0], 1);
    let (met, joint) = met_share(&check, target.share);
    assert_eq!((met[0], joint), (1.0, 1.0), "{check:?}");
    // Without the stockpile the same path misses it: the check can fail.
    let (met, _) = met_share(&s, target.share);
    assert_eq!(met[0], 0.0);
    let _ = (usa, m);
}

#[test]
fn issue_18_a_budget_too_small_is_a_result_with_the_risk_it_buys() {
    let cuts: Vec<u32> = (0..10).map(|i| 12 + 4 * i).collect();
    let s = samples_for(&cuts);
    let target = Target {
        share: 0.0,
        probability: 0.9,
    };
    let free = size_jointly(&s, target, None).unwrap();
    assert!(free.feasible);
    let sized = size_jointly(&s, target, Some(0.5 * free.cost)).unwrap();
    assert!(!sized.feasible);
    assert!(sized.cost <= 0.5 * free.cost * (1.0 + 1e-6));
    assert!(sized.joint_met < 0.9 && sized.joint_met > 0.0, "{sized:?}");
}

#[test]
fn issue_18_joint_target_of_comonotone_candidates_costs_what_each_does_alone() {
    // Two buyers of the same cut: their shortfalls rise and fall together, so the joint
    // target needs no more than each candidate's own.
    let cuts: Vec<u32> = (0..20).map(|i| 11 + 3 * i).collect();
    let one = samples_for(&cuts);
    let mut two = one.clone();
    two.candidates.push(Candidate {
        usd_per_unit: 2.0 * one.candidates[0].usd_per_unit,
        ..one.candidates[0].clone()
    });
    two.shortfall = one.shortfall.iter().flat_map(|u| [*u, 2.0 * u]).collect();
    two.need = one.need.iter().flat_map(|n| [*n, 2.0 * n]).collect();
    let target = Target {
        share: 0.01,
        probability: 0.9,
    };
    let alone = size_per_product(&two, target).unwrap();
    let joint = size_jointly(&two, target, None).unwrap();
    assert!(joint.feasible && joint.joint_met >= 0.9);
    assert!(
        joint.cost <= alone.cost * (1.0 + 2e-4),
        "{} vs {}",
        joint.cost,
        alone.cost
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, rng_seed: proptest::test_runner::RngSeed::Fixed(18), ..Default::default() })]

    /// The calibration's bisection settles every candidate within its tolerance of the target in
    /// at most 8 rounds, whatever increasing response the engine gives to the in-sample level
    /// (here met = ℓ^k for k from 0.05, a stockpile that over-delivers strongly, to 5), and a
    /// settled candidate keeps its level. The former rule (ℓ += α − met) moved a candidate met
    /// 100% of the time by 5 points a round: it left two US magnet cohorts at 100% after two
    /// rounds (docs/decisions.md).
    #[test]
    fn issue_18_calibration_settles_within_its_tolerance(ks in proptest::collection::vec(0.05f64..5.0, 1..6)) {
        use chokepoint_core::sizing::LevelSearch;
        let (target, tol) = (0.95, 0.01);
        let met = |levels: &[f64]| -> Vec<f64> {
            levels.iter().zip(&ks).map(|(l, k)| l.powf(*k)).collect()
        };
        let mut search = LevelSearch::new(ks.len(), target, tol);
        for _ in 0..8 {
            let m = met(&search.levels);
            let before = search.levels.clone();
            search.update(&m);
            for (j, mj) in m.iter().enumerate() {
                if (mj - target).abs() <= tol {
                    proptest::prop_assert_eq!(search.levels[j], before[j]);
                }
            }
        }
        for (j, mj) in met(&search.levels).iter().enumerate() {
            proptest::prop_assert!((mj - target).abs() <= tol, "k {} level {} met {}", ks[j], search.levels[j], mj);
        }
        // The levels to size at are one checked round's, the round whose largest gap to the
        // target was the least: the set was measured together.
        let mut search = LevelSearch::new(ks.len(), target, tol);
        let mut rounds = Vec::new();
        for _ in 0..3 {
            let m = met(&search.levels);
            let gap = m.iter().map(|mj| (mj - target).abs()).fold(0.0, f64::max);
            rounds.push((search.levels.clone(), gap));
            search.update(&m);
        }
        let least = rounds.iter().map(|r| r.1).fold(f64::INFINITY, f64::min);
        let best = search.best_levels();
        proptest::prop_assert!(rounds.iter().any(|(levels, gap)| *levels == best && *gap == least));
    }
}
