//! Analytic checks of the engine on networks small enough to work out by hand (issue 2).

use chokepoint_core::build::{WorldBuilder, event};
use chokepoint_core::engine::simulate;
use chokepoint_core::event::{
    Day, EventKind, ExportBan, Exports, LeadTime, LicenceTerms, Licensing, ProductSelector,
    RegionSelector,
};
use chokepoint_core::model::{ProductId, RegionId, Stage};
use chokepoint_core::record::{LicenceOutcome, Variable, VecSink};
use chokepoint_core::scenario::Scenario;

/// One supplier S, buyers; magnets with no inputs; demand 1 t/day at each buyer.
fn star(buyers: &[(&str, u32)], cover: f64) -> (WorldBuilder, RegionId, Vec<RegionId>, ProductId) {
    let mut b = WorldBuilder::new(cover);
    let s = b.region("CHN", &[]);
    let m = b.product("magnet", Stage::Magnet, &[("Dy", 0.04)]);
    b.facility(s, m, 100.0);
    let mut ids = vec![];
    for &(code, transit) in buyers {
        let r = b.region(code, &["allies"]);
        b.link(s, r, m, 1.0, transit);
        b.demand(r, m, "ev", 1.0);
        ids.push(r);
    }
    (b, s, ids, m)
}

fn series(sink: &VecSink, v: Variable, region: RegionId, partner: Option<RegionId>) -> Vec<f64> {
    sink.records
        .iter()
        .filter(|r| r.variable == v && r.region == region && r.partner == partner)
        .map(|r| r.value)
        .collect()
}

fn first_stockout(sink: &VecSink, region: RegionId) -> Option<Day> {
    sink.records
        .iter()
        .find(|r| r.variable == Variable::UnmetDemand && r.region == region && r.value > 1e-9)
        .map(|r| r.day)
}

fn run(s: &Scenario) -> VecSink {
    let mut sink = VecSink::default();
    simulate(s, 1, &mut sink);
    sink
}

fn licensing(
    exporter: RegionId,
    approval: f64,
    lead: f64,
    dest: Vec<(RegionId, f64)>,
) -> EventKind {
    let terms = |a: f64| LicenceTerms {
        approval: a,
        lead_time: LeadTime::Fixed(lead),
        cap_days: None,
    };
    EventKind::ExportLicence(Licensing {
        exporter,
        products: ProductSelector::Elements(vec!["Dy".into()]),
        terms: terms(approval),
        destinations: dest.into_iter().map(|(r, a)| (r, terms(a))).collect(),
        end_uses: vec![],
        batch_days: 0,
        reexport: None,
    })
}

#[test]
fn steady_state_without_events() {
    let (b, _, buyers, _) = star(&[("USA", 5)], 10.0);
    let sink = run(&b.scenario(120, vec![]));
    let inv = series(&sink, Variable::Inventory, buyers[0], None);
    assert!(inv.iter().all(|&v| (v - 10.0).abs() < 1e-12), "{inv:?}");
    assert_eq!(first_stockout(&sink, buyers[0]), None);
}

#[test]
fn ban_runs_buyer_out_on_the_day_its_cover_predicts() {
    for (transit, cover, ban) in [
        (5u32, 10.0, 20u32),
        (0, 7.0, 3),
        (35, 60.0, 40),
        (12, 0.0, 30),
    ] {
        let (b, s, buyers, m) = star(&[("USA", transit)], cover);
        let ev = event(
            ban,
            None,
            EventKind::ExportBan(ExportBan {
                exports: Exports {
                    exporter: s,
                    products: ProductSelector::Ids(vec![m]),
                    destinations: RegionSelector::All,
                },
                reexport: None,
            }),
        );
        let sink = run(&b.scenario(200, vec![ev]));
        // The last order shipped the day before the ban arrives on ban - 1 + transit; stock then
        // lasts exactly `cover` days.
        let expected = ban + transit + cover as u32;
        assert_eq!(
            first_stockout(&sink, buyers[0]),
            Some(expected),
            "T={transit} C={cover} d={ban}"
        );
    }
}

#[test]
fn approval_one_with_fixed_lead_time_shifts_deliveries_by_exactly_l_days() {
    let (t, d, lead) = (5u32, 10u32, 7u32);
    let (b, s, buyers, _) = star(&[("USA", t)], 10.0);
    let base = run(&b.clone().scenario(90, vec![]));
    let ev = event(d, None, licensing(s, 1.0, lead as f64, vec![]));
    let lic = run(&b.scenario(90, vec![ev]));
    let a0 = series(&base, Variable::Arrivals, buyers[0], Some(s));
    let a1 = series(&lic, Variable::Arrivals, buyers[0], Some(s));
    for day in 0..90usize {
        let gap = (d + t) as usize..(d + t + lead) as usize;
        if gap.contains(&day) {
            assert_eq!(a1[day], 0.0, "day {day}");
        } else if day < gap.start {
            assert_eq!(a1[day], a0[day], "day {day}");
        } else {
            assert!(
                (a1[day] - a0[day - lead as usize]).abs() < 1e-12,
                "day {day}: {} vs {}",
                a1[day],
                a0[day - lead as usize]
            );
        }
    }
    for l in lic.licences.iter().filter(|l| l.filed + lead < 90) {
        assert_eq!(l.outcome, LicenceOutcome::Approved);
        assert_eq!(l.decided, Some(l.filed + lead));
        assert_eq!(
            l.shipped, l.decided,
            "approved licences ship on their decision day"
        );
    }
}

#[test]
fn usa_denied_korea_approved() {
    let (t_usa, t_kor, d, lead) = (30u32, 6u32, 15u32, 20u32);
    let (b, s, buyers, _) = star(&[("USA", t_usa), ("KOR", t_kor)], 45.0);
    let (usa, kor) = (buyers[0], buyers[1]);
    let ev = event(
        d,
        None,
        licensing(s, 0.5, lead as f64, vec![(usa, 0.0), (kor, 1.0)]),
    );
    let sink = run(&b.scenario(200, vec![ev]));
    let a_usa = series(&sink, Variable::Arrivals, usa, Some(s));
    let a_kor = series(&sink, Variable::Arrivals, kor, Some(s));
    // USA: the pipeline empties on day d + T; nothing from the controlled exporter after that.
    assert!(a_usa[..(d + t_usa) as usize].iter().all(|&v| v > 0.0));
    assert!(a_usa[(d + t_usa) as usize..].iter().all(|&v| v == 0.0));
    // KOR: a gap of exactly L days, then served again.
    let gap = (d + t_kor) as usize..(d + t_kor + lead) as usize;
    assert!(a_kor[gap.clone()].iter().all(|&v| v == 0.0));
    assert!(a_kor[gap.end..].iter().all(|&v| v > 0.0));
    assert!(a_kor[..gap.start].iter().all(|&v| v > 0.0));
    // USA runs out once its cover is gone; Korea's cover (45 days) outlasts the 20-day wait.
    assert_eq!(first_stockout(&sink, kor), None);
    assert_eq!(first_stockout(&sink, usa), Some(d + t_usa + 45));
    for l in &sink.licences {
        let want = if l.importer == usa {
            LicenceOutcome::Denied
        } else {
            LicenceOutcome::Approved
        };
        if l.filed + lead < 200 {
            assert_eq!(l.outcome, want);
        } else {
            assert_eq!(l.outcome, LicenceOutcome::Pending);
            assert_eq!(l.decided, None);
        }
    }
}
