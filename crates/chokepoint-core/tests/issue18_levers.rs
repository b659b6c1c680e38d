//! Issue 18, the levers priced last: recycling, thrifting/substitution after a lag above a
//! price, allied tariff exemptions and diplomatic approval uplift. Each on a hand-made world
//! whose answer has a closed form: one supplier (CHN) and one buyer (USA) of one product, demand
//! D t/day, a constant price (no scarcity response, prices adjust within the day), so that the
//! engine's quantities and the ledger's amounts can be written down by hand.

use chokepoint_core::build::{WorldBuilder, event};
use chokepoint_core::costs::{Costs, RecyclingCost, ThriftingCost, UpliftCost};
use chokepoint_core::engine::Engine;
use chokepoint_core::event::{
    ApprovalUplift, EventKind, LeadTime, LicenceTerms, Licensing, ProductSelector, Recycling,
    RegionSelector, Tariff, TariffExemption, Thrifting, UpliftTo,
};
use chokepoint_core::ledger::{CostReport, Ledger, Lever};
use chokepoint_core::model::{ProductId, RegionId, Stage};
use chokepoint_core::record::{LicenceOutcome, NullSink};
use chokepoint_core::scenario::Scenario;

const D: f64 = 2.0; // t/day demand
const P: f64 = 100.0; // USD/kg, WorldBuilder's price
const H: u32 = 60; // days

/// CHN supplies USA with one product; the price never moves unless a tariff term does, and
/// then within the day.
fn world() -> (WorldBuilder, RegionId, RegionId, ProductId) {
    let mut b = WorldBuilder::new(10.0);
    let chn = b.region("CHN", &[]);
    let usa = b.region("USA", &["allies"]);
    let m = b.product("ndfeb-magnet-hre", Stage::Magnet, &[("Dy", 0.03)]);
    b.world.products[m.ix()].price_response = 0.0;
    b.world.products[m.ix()].price_adjust_days = 1.0;
    b.facility(chn, m, 100.0);
    b.link(chn, usa, m, 1.0, 5);
    b.demand(usa, m, "ev", D);
    (b, chn, usa, m)
}

/// Runs `s` with a ledger over every day, calling `each` after each day.
fn priced(s: &Scenario, costs: &Costs, mut each: impl FnMut(&Engine)) -> CostReport {
    let mut e = Engine::new(s, 1, 0);
    let mut ledger = Ledger::new(&e, costs);
    while !e.finished() {
        e.step(&mut NullSink);
        ledger.observe(&e);
        each(&e);
    }
    ledger.report(&e)
}

fn one(report: &CostReport, lever: Lever) -> (f64, f64) {
    let rows: Vec<_> = report.rows.iter().filter(|r| r.lever == lever).collect();
    assert_eq!(rows.len(), 1, "{:?}", report.rows);
    (rows[0].units, rows[0].usd)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn issue_18_recycling_adds_its_ramped_supply_and_costs_its_closed_form() {
    // R t/day from day 10, ramping over 4 days: Σ r_d = R · (1/4 + 2/4 + 3/4 + 47) over the
    // 50 days 10..60. The lever pays max(0, opex − P) on each kg and capex on R · 365.
    let (b, _, usa, m) = world();
    let (r, opex, capex) = (0.5, 150.0, 20.0);
    let lever = Recycling {
        region: usa,
        product: m,
        rate: r,
        ramp_days: 4,
    };
    let s = b.scenario(H, vec![event(10, None, EventKind::Recycling(lever))]);
    let costs = Costs {
        recycling: vec![RecyclingCost {
            region: usa,
            product: m,
            capex_usd_per_kg_year: capex,
            opex_usd_per_kg: opex,
        }],
        ..Costs::default()
    };
    let n = usa.ix() * s.world.products.len() + m.ix();
    let mut balance_ok = true;
    let report = priced(&s, &costs, |e| {
        // The recycled supply enters the stock: the mass balance holds with it.
        let nd = &e.state.today.nodes[n];
        let d = nd.arrivals + nd.release + nd.recycled - nd.consumption - nd.purchase;
        balance_ok &= (e.state.stocks.stock[n] - nd.stock_start - d).abs() < 1e-9;
        assert!(close(e.state.market.price[e.net.price_of[n]], P));
    });
    assert!(balance_ok);
    let recycled = r * (0.25 + 0.5 + 0.75 + 47.0);
    let (units, usd) = one(&report, Lever::Recycling);
    assert!(close(units, recycled), "{units} vs {recycled}");
    let want = recycled * (opex - P) * 1000.0 + capex * r * 365.0 * 1000.0;
    assert!(close(usd, want), "{usd} vs {want}");
    // With an operating cost below the price only the capex is paid.
    let mut cheap = costs.clone();
    cheap.recycling[0].opex_usd_per_kg = 50.0;
    let (_, usd) = one(&priced(&s, &cheap, |_| {}), Lever::Recycling);
    assert!(close(usd, capex * r * 365.0 * 1000.0), "{usd}");
}

fn thrift(usa: RegionId, m: ProductId, price: f64, ramp_days: u32) -> Thrifting {
    Thrifting {
        region: usa,
        product: m,
        price_of: m,
        price,
        lag_days: 10,
        share: 0.25,
        ramp_days,
    }
}

/// Need served or not over the run, and the report.
fn thrift_run(s: &Scenario, costs: &Costs, n: usize) -> (f64, CostReport) {
    let mut need = 0.0;
    let report = priced(s, costs, |e| need += e.state.today.nodes[n].need);
    (need, report)
}

#[test]
fn issue_18_thrifting_cuts_demand_by_its_share_after_the_lag() {
    // The price (100) is above the threshold (50) from the lever's first day, 5: the row is
    // triggered on day 5 + lag = 15 and demand is D · (1 − s) from then on.
    let (b, _, usa, m) = world();
    let lever = thrift(usa, m, 50.0, 0);
    let s = b.scenario(H, vec![event(5, None, EventKind::Thrifting(lever))]);
    let n = usa.ix() * s.world.products.len() + m.ix();
    let costs = Costs {
        thrifting: vec![ThriftingCost {
            region: usa,
            product: m,
            usd_per_kg_avoided: 30.0,
            redesign_usd: 1e6,
        }],
        ..Costs::default()
    };
    let (need, report) = thrift_run(&s, &costs, n);
    let avoided = D * 0.25 * f64::from(H - 15);
    assert!(close(need, D * f64::from(H) - avoided), "{need}");
    let (units, usd) = one(&report, Lever::Thrifting);
    assert!(close(units, avoided), "{units} vs {avoided}");
    assert!(close(usd, avoided * 30.0 * 1000.0 + 1e6), "{usd}");

    // Ramped over 4 days: 1/4, 2/4, 3/4 of the cut on days 15-17, all of it after.
    let (b, _, usa, m) = world();
    let s = b.scenario(
        H,
        vec![event(
            5,
            None,
            EventKind::Thrifting(thrift(usa, m, 50.0, 4)),
        )],
    );
    let (need, _) = thrift_run(&s, &Costs::default(), n);
    let ramped = D * 0.25 * (0.25 + 0.5 + 0.75 + f64::from(H - 18));
    assert!(close(need, D * f64::from(H) - ramped), "{need}");

    // A threshold above the price never triggers: demand and need are untouched.
    let (b, _, usa, m) = world();
    let s = b.scenario(
        H,
        vec![event(
            5,
            None,
            EventKind::Thrifting(thrift(usa, m, 150.0, 0)),
        )],
    );
    let (need, report) = thrift_run(&s, &costs, n);
    assert!(close(need, D * f64::from(H)), "{need}");
    assert!(report.rows.iter().all(|r| r.lever != Lever::Thrifting));
}

#[test]
fn issue_18_tariff_exemption_forgoes_rate_times_value_of_the_flow() {
    // A 10% baseline tariff and a 15% tariff event on CHN -> USA; USA exempts CHN on days
    // 10..40. Shipments are D a day at the seller's price P (the tariff term leaves the price
    // within the day): forgone = (0.10 + 0.15) · P · D · 30 · 1000.
    let (mut b, chn, usa, _) = world();
    b.world.links[0].tariff = 0.10;
    let tariff = Tariff {
        importer: usa,
        exporters: RegionSelector::Ids(vec![chn]),
        products: ProductSelector::All,
        rate: 0.15,
    };
    let exemption = TariffExemption {
        importers: RegionSelector::Ids(vec![usa]),
        exporters: RegionSelector::Ids(vec![chn]),
        products: ProductSelector::All,
    };
    // The exemption listed first: it still applies after the tariff event has added its rate.
    let s = b.scenario(
        H,
        vec![
            event(10, Some(40), EventKind::TariffExemption(exemption)),
            event(0, None, EventKind::Tariff(tariff)),
        ],
    );
    let mut tariffs = Vec::new();
    let mut shipped = 0.0;
    let report = priced(&s, &Costs::default(), |e| {
        let day = e.state.day - 1;
        tariffs.push(e.state.policy.rules.links[0].tariff);
        if (10..40).contains(&day) {
            shipped += e.state.today.shipped[0];
        }
    });
    assert!(close(tariffs[5], 0.25) && tariffs[20] == 0.0 && close(tariffs[45], 0.25));
    assert!(close(shipped, D * 30.0), "{shipped}");
    let (units, usd) = one(&report, Lever::TariffExemption);
    assert!(close(units, D * 30.0), "{units}");
    let want = 0.25 * P * D * 30.0 * 1000.0;
    assert!(close(usd, want), "{usd} vs {want}");
    let row = report
        .rows
        .iter()
        .find(|r| r.lever == Lever::TariffExemption)
        .unwrap();
    assert_eq!((row.region, row.partner), (usa, Some(chn)));
}

fn licensing(chn: RegionId, approval: f64) -> Licensing {
    Licensing {
        exporter: chn,
        products: ProductSelector::All,
        terms: LicenceTerms {
            approval,
            lead_time: LeadTime::Fixed(3.0),
            cap_days: None,
        },
        destinations: Vec::new(),
        end_uses: Vec::new(),
        batch_days: 0,
        reexport: None,
    }
}

#[test]
fn issue_18_approval_uplift_approves_what_is_filed_in_its_window_and_costs_its_days() {
    // China approves nothing; an uplift to at least 1 on days 20..35 approves every
    // application filed in those days, whenever it is decided, and nothing else.
    let (b, chn, usa, _) = world();
    let uplift = ApprovalUplift {
        exporter: chn,
        destinations: RegionSelector::Ids(vec![usa]),
        to: UpliftTo::Approval(1.0),
    };
    let s = b.scenario(
        H,
        vec![
            event(0, None, EventKind::ExportLicence(licensing(chn, 0.0))),
            event(20, Some(35), EventKind::ApprovalUplift(uplift)),
        ],
    );
    let costs = Costs {
        approval_uplift: vec![UpliftCost {
            exporter: chn,
            destination: usa,
            usd_per_year: 365e6,
            one_off_usd: 5e6,
        }],
        ..Costs::default()
    };
    let mut e = Engine::new(&s, 7, 0);
    let mut ledger = Ledger::new(&e, &costs);
    while !e.finished() {
        e.step(&mut NullSink);
        ledger.observe(&e);
    }
    let mut filed_in = 0;
    for lic in e.licences() {
        let approved = lic.outcome == LicenceOutcome::Approved;
        let inside = (20..35).contains(&lic.filed);
        filed_in += usize::from(inside);
        if lic.outcome != LicenceOutcome::Pending {
            assert_eq!(approved, inside, "{lic:?}");
        }
    }
    assert!(filed_in > 0);
    let (units, usd) = one(&ledger.report(&e), Lever::ApprovalUplift);
    assert_eq!(units, 15.0);
    assert!(close(usd, 365e6 * 15.0 / 365.0 + 5e6), "{usd}");
    // A factor multiplies the odds, capped at 1: 0.5 · 2 = 1 approves everything in the window.
    let (b, chn, usa, _) = world();
    let uplift = ApprovalUplift {
        exporter: chn,
        destinations: RegionSelector::Ids(vec![usa]),
        to: UpliftTo::Factor(2.0),
    };
    let s = b.scenario(
        H,
        vec![
            event(0, None, EventKind::ExportLicence(licensing(chn, 0.5))),
            event(0, None, EventKind::ApprovalUplift(uplift)),
        ],
    );
    let mut e = Engine::new(&s, 7, 0);
    while !e.finished() {
        e.step(&mut NullSink);
    }
    assert!(
        e.licences().all(|l| l.outcome != LicenceOutcome::Denied),
        "an uplifted 0.5 · 2 denied a licence"
    );
}
