//! The april-2025 scenario against what happened in 2025 (issue 3), with its default seed:
//! China→USA magnet shipments collapse by May, Korean buyers are served again soon after their
//! first approvals, China's total magnet exports fall in April-May and recover in June-July, and
//! the backtest error stays below the bound recorded in docs/calibration.md.
//!
//! Observed figures (China customs, HS 8505.11) are in data/observed/china-magnet-exports-2025.csv
//! with their row ids in ../shared/data/events_2025.csv. The scenario runs once and is shared.

use chokepoint_core::backtest::{
    CHINA_MAGNET_EXPORTS_2025, MonthlyExports, backtest, magnet_products, parse_observations,
};
use chokepoint_core::engine::simulate;
use chokepoint_core::library::builtin_scenario;
use chokepoint_core::model::{ProductId, RegionId};
use chokepoint_core::record::{LicenceOutcome, LicenceRecord, Record, Sink, Variable};
use chokepoint_core::scenario::Scenario;
use std::sync::OnceLock;

/// The backtest's MAPE over the months with an observed total must stay below this (achieved
/// 22.2% with seed 1 since issue 17's buyer cohorts, component trade and price rule; 19.8%
/// before; docs/calibration.md). A regression guard: tighten it when the fit improves.
const MAPE_TOTAL_BOUND: f64 = 0.25;
/// The same for the US-bound series (achieved 35.5%; 30.2% before issue 17: the US buyers are
/// now cohorts whose thin members run short and re-order in bursts).
const MAPE_USA_BOUND: f64 = 0.40;

fn april() -> Scenario {
    match builtin_scenario("april-2025") {
        Some(Ok(s)) => s,
        Some(Err(d)) => panic!("april-2025:\n{d}"),
        None => panic!("april-2025 is a library scenario"),
    }
}

/// What one run of the scenario leaves behind: monthly CHN exports by destination, daily CHN
/// magnet shipments per destination, and the licence records.
struct Run {
    scenario: Scenario,
    chn: RegionId,
    magnets: Vec<ProductId>,
    monthly: MonthlyExports,
    /// (partner, day) → CHN's magnet shipments to that partner on that day.
    daily: Vec<Vec<f64>>,
    licences: Vec<LicenceRecord>,
}

impl Sink for Run {
    fn record(&mut self, r: &Record) {
        self.monthly.record(r);
        if r.variable == Variable::Shipments
            && r.region == self.chn
            && self.magnets.contains(&r.product)
            && let Some(p) = r.partner
        {
            // A buyer cohort's shipments count for its region.
            let home = self.scenario.world.home(p);
            self.daily[home.ix()][r.day as usize] += r.value;
        }
    }
    fn licence(&mut self, l: &LicenceRecord) {
        self.licences.push(l.clone());
    }
}

fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let scenario = april();
        let chn = scenario.world.region("CHN").expect("CHN");
        let magnets = magnet_products(&scenario.world);
        let days = scenario.settings.days as usize;
        let mut r = Run {
            chn,
            monthly: MonthlyExports::new(
                &scenario.world,
                chn,
                magnets.clone(),
                scenario.settings.start,
            ),
            daily: vec![vec![0.0; days]; scenario.world.regions.len()],
            magnets,
            licences: Vec::new(),
            scenario: scenario.clone(),
        };
        simulate(&scenario, scenario.settings.seed, &mut r);
        r
    })
}

fn region(r: &Run, code: &str) -> RegionId {
    r.scenario.world.region(code).expect(code)
}

/// Mean daily CHN→`to` magnet shipments of March 2025 (days 0..31), before any event: the
/// pre-control baseline.
fn march_rate(r: &Run, to: RegionId) -> f64 {
    r.daily[to.ix()][..31].iter().sum::<f64>() / 31.0
}

#[test]
fn usa_may_2025_magnet_shipments_at_least_85_percent_below_baseline() {
    let r = run();
    let usa = region(r, "USA");
    let base = march_rate(r, usa);
    let may = r.monthly.sums.get(&(2025, 5, usa)).copied().unwrap_or(0.0) / 31.0;
    assert!(base > 0.0);
    // Observed: 46.4 t in May (E038, -93% y/y) against > 400 t a month in 2024 (D009).
    assert!(
        may <= 0.15 * base,
        "May {may:.2} t/day vs baseline {base:.2} t/day"
    );
}

#[test]
fn korea_served_again_within_60_days_of_its_first_magnet_approval() {
    let r = run();
    let kor = region(r, "KOR");
    // The first approved licence for Korea-bound magnets (licence records, decision day).
    let first = r
        .licences
        .iter()
        .filter(|l| r.scenario.world.home(l.importer) == kor && r.magnets.contains(&l.product))
        .filter(|l| l.outcome == LicenceOutcome::Approved)
        .filter_map(|l| l.decided)
        .min()
        .expect("Korean buyers get magnet approvals");
    let d = &r.daily[kor.ix()];
    let base = march_rate(r, kor);
    // Resumed: a 7-day window starting within 60 days of the first approval whose shipments reach
    // half the pre-control rate (the uncontrolled LRE grade alone is ~20% of it).
    let last_start = (first as usize + 60).min(d.len() - 7);
    let resumed = (first as usize..=last_start)
        .find(|&t| d[t..t + 7].iter().sum::<f64>() >= 0.5 * 7.0 * base);
    assert!(
        resumed.is_some(),
        "no week at half the baseline ({base:.1} t/day) within 60 days of day {first}"
    );
}

#[test]
fn total_exports_fall_in_april_may_and_recover_in_june_july() {
    let r = run();
    let m = |month| r.monthly.total(2025, month);
    let (mar, apr, may, jun, jul) = (m(3), m(4), m(5), m(6), m(7));
    // Observed (E035-E044), as fractions of March's 5,340 t: April 0.49, May 0.23, June 0.60,
    // July 1.04. The thresholds leave room for the model's sharper April drop (it has no
    // customs-declaration lag; see docs/calibration.md) and for noise in the licence draws.
    assert!(
        apr < 0.6 * mar && may < 0.6 * mar,
        "fall: Mar {mar:.0}, Apr {apr:.0}, May {may:.0}"
    );
    // May is the trough (observed the lowest month since Feb 2020, E037).
    assert!(may < 0.35 * mar, "May trough: {may:.0} vs Mar {mar:.0}");
    // June rebounds (observed +158% m/m, E040) and July is higher still (+75% m/m, E044) ...
    assert!(
        jun > 1.5 * may && jul > jun,
        "recovery: May {may:.0}, Jun {jun:.0}, Jul {jul:.0}"
    );
    // ... and back near the pre-control level (observed 1.04 × March).
    assert!(jul > 0.8 * mar, "July {jul:.0} vs March {mar:.0}");
}

#[test]
fn pre_control_baseline_matches_early_2025_exports() {
    let r = run();
    // Observed Q1 2025: 15,267 t (E034), 5,089 t a month; March 5,340 t (E035, derived, low).
    let mar = r.monthly.total(2025, 3);
    assert!(
        (mar / 5089.0 - 1.0).abs() < 0.1,
        "March {mar:.0} t vs Q1 average 5,089 t"
    );
}

#[test]
fn backtest_error_stays_below_the_recorded_bound() {
    let s = april();
    let obs = parse_observations(CHINA_MAGNET_EXPORTS_2025.1).expect("observations parse");
    let bt = backtest(&s, s.settings.seed, "CHN", magnet_products(&s.world), &obs)
        .expect("backtest runs");
    let err = |imp: Option<&str>| {
        bt.errors
            .iter()
            .find(|e| e.importer.as_deref() == imp)
            .expect("series")
    };
    let (all, usa) = (err(None), err(Some("USA")));
    assert_eq!(all.months, 10);
    assert!(
        all.mape < MAPE_TOTAL_BOUND,
        "total MAPE {:.1}%",
        100.0 * all.mape
    );
    assert!(
        usa.mape < MAPE_USA_BOUND,
        "USA MAPE {:.1}%",
        100.0 * usa.mape
    );
    // Not a tautology either way: the uncalibrated scenario (too restrictive after May) had 49.8%
    // and 86.3%; over the whole period the simulated total stays within 25% of the observed one.
    assert!(
        (all.ratio_of_totals - 1.0).abs() < 0.25,
        "{}",
        all.ratio_of_totals
    );
}
