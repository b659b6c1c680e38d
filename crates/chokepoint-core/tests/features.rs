//! One test per engine feature on hand-made networks, each checking a number that can be
//! worked out by hand: quotas, capacity ramps, stockpile releases, rationing rules,
//! substitution, supplier switching, market split, tariffs, offtakes, batching, end-use rules,
//! general licences.

use chokepoint_core::build::{WorldBuilder, event};
use chokepoint_core::engine::simulate;
use chokepoint_core::event::{
    Capacity, Day, EventKind, ExportBan, ExportQuota, Exports, GeneralLicence, LeadTime,
    LicenceTerms, Licensing, Offtake, Pacing, ProductSelector, QuotaBatch, RegionSelector,
    StockpileRelease, Tariff,
};
use chokepoint_core::model::{ProductId, Rationing, RegionId, Segment, Stage, Stockpile};
use chokepoint_core::record::{LicenceOutcome, Variable, VecSink};
use chokepoint_core::scenario::Scenario;

fn run(s: &Scenario) -> VecSink {
    let mut sink = VecSink::default();
    simulate(s, 3, &mut sink);
    sink
}

fn series(
    sink: &VecSink,
    v: Variable,
    region: RegionId,
    partner: Option<RegionId>,
    p: ProductId,
) -> Vec<f64> {
    sink.records
        .iter()
        .filter(|r| r.variable == v && r.region == region && r.partner == partner && r.product == p)
        .map(|r| r.value)
        .collect()
}

/// Supplier S with capacity `cap`, buyers with demand 1/day each, given transit, 10 days cover.
fn star(cap: f64, buyers: &[(&str, u32)]) -> (WorldBuilder, RegionId, Vec<RegionId>, ProductId) {
    let mut b = WorldBuilder::new(10.0);
    let s = b.region("CHN", &[]);
    let m = b.product("magnet", Stage::Magnet, &[("Nd", 0.3), ("Dy", 0.04)]);
    b.facility(s, m, cap);
    let ids = buyers
        .iter()
        .map(|&(code, t)| {
            let r = b.region(
                code,
                if code == "KOR" || code == "JPN" {
                    &["allies"]
                } else {
                    &[]
                },
            );
            b.link(s, r, m, 1.0, t);
            b.demand(r, m, "ev", 1.0);
            r
        })
        .collect();
    (b, s, ids, m)
}

fn terms(approval: f64, lead: f64) -> LicenceTerms {
    LicenceTerms {
        approval,
        lead_time: LeadTime::Fixed(lead),
        cap_days: None,
    }
}

/// A quota of `quantity` per 30 days from day 10 on the star's one route, paced as given.
fn quota_run(quantity: f64, pacing: Pacing, batches: Vec<QuotaBatch>) -> Vec<f64> {
    let (b, s, buyers, m) = star(100.0, &[("USA", 3)]);
    let ev = event(
        10,
        None,
        EventKind::ExportQuota(ExportQuota {
            exports: Exports {
                exporter: s,
                products: ProductSelector::All,
                destinations: RegionSelector::All,
            },
            quantity,
            period_days: 30,
            pacing,
            batches,
        }),
    );
    let sink = run(&b.scenario(100, vec![ev]));
    series(&sink, Variable::Shipments, s, Some(buyers[0]), m)
}

#[test]
fn export_quota_caps_shipments_per_period() {
    let ship = quota_run(12.0, Pacing::Running, Vec::new());
    // Orders received from day 10 on count against the quota; each 30-day period ships 12.
    for period in 0..3 {
        let from = 10 + 30 * period;
        let total: f64 = ship[from..from + 30].iter().sum();
        assert!((total - 12.0).abs() < 1e-9, "period {period}: {total}");
    }
}

/// Issue 17, quota pacing: `pacing = "even"` releases 15 per 30 days as 0.5 a day, so by day
/// k of a period at most 0.5·(k+1) has shipped, and (the buyer wanting 1 a day) exactly that.
#[test]
fn issue_17_even_pacing_spreads_a_quota_over_its_period() {
    let ship = quota_run(15.0, Pacing::Even, Vec::new());
    for period in 0..3 {
        let from = 10 + 30 * period;
        let mut sum = 0.0;
        for k in 0..30 {
            sum += ship[from + k];
            let released = 15.0 * (k + 1) as f64 / 30.0;
            assert!(
                (sum - released).abs() < 1e-9,
                "period {period} day {k}: shipped {sum}, released {released}"
            );
        }
    }
}

/// Issue 17, quota batches as announced: 4 announced on day 5 (before the quota starts, so in
/// its first period), 6 on day 20, nothing for days 40-44, 8 on day 45 (second period) and 3
/// on day 80 (third). Running pacing: each batch ships at once, unused allowance lapses.
#[test]
fn issue_17_quota_batches_release_on_their_dates() {
    let batch = |day: i64, quantity: f64| QuotaBatch { day, quantity };
    let batches = vec![
        batch(5, 4.0),
        batch(20, 6.0),
        batch(45, 8.0),
        batch(80, 3.0),
    ];
    let ship = quota_run(21.0, Pacing::Running, batches.clone());
    let total = |a: usize, b: usize| ship[a..b].iter().sum::<f64>();
    assert!(ship[..10].iter().all(|&x| x > 0.0), "free before the quota");
    assert!((total(10, 20) - 4.0).abs() < 1e-9, "{}", total(10, 20));
    assert!((total(20, 40) - 6.0).abs() < 1e-9, "{}", total(20, 40));
    assert_eq!(total(40, 45), 0.0);
    assert!((total(45, 70) - 8.0).abs() < 1e-9, "{}", total(45, 70));
    assert_eq!(total(70, 80), 0.0);
    assert!((total(80, 100) - 3.0).abs() < 1e-9, "{}", total(80, 100));
    // Even pacing: the first batch spreads over the first period from its start (days 10-39,
    // 4/30 a day), the day-20 batch over days 20-39 (6/20 a day).
    let ship = quota_run(21.0, Pacing::Even, batches);
    let mut sum = 0.0;
    for k in 0..30 {
        sum += ship[10 + k];
        let released = 4.0 * (k + 1) as f64 / 30.0 + 6.0 * (k + 1).saturating_sub(10) as f64 / 20.0;
        assert!(
            (sum - released).abs() < 1e-9,
            "day {}: {sum} against {released}",
            10 + k
        );
    }
}

#[test]
fn capacity_ramp_is_linear() {
    let (b, s, _, m) = star(4.0, &[("USA", 0), ("KOR", 0), ("JPN", 0)]);
    let ev = event(
        5,
        None,
        EventKind::Capacity(Capacity {
            region: s,
            product: m,
            capacity: 1.0,
            ramp_days: 3,
        }),
    );
    let sink = run(&b.scenario(20, vec![ev]));
    let prod = series(&sink, Variable::Production, s, None, m);
    assert_eq!(prod[4], 3.0);
    assert!(
        (prod[5] - 3.0).abs() < 1e-12,
        "4 → 1 over 3 days: day 5 at 3, got {}",
        prod[5]
    );
    assert!((prod[6] - 2.0).abs() < 1e-12);
    assert!((prod[7] - 1.0).abs() < 1e-12);
    assert!(prod[8..].iter().all(|&v| (v - 1.0).abs() < 1e-12));
}

#[test]
fn stockpile_release_waits_for_its_trigger() {
    let (mut b, s, buyers, m) = star(100.0, &[("USA", 0)]);
    let usa = buyers[0];
    b.world.stockpiles.push(Stockpile {
        region: usa,
        product: m,
        quantity: 50.0,
    });
    let ban = event(1, None, EventKind::ExportBan(ExportBan::everything(s)));
    let release = event(
        1,
        None,
        EventKind::StockpileRelease(StockpileRelease {
            region: usa,
            product: m,
            rate: 0.5,
            trigger_days: Some(5.0),
            trigger_price: None,
        }),
    );
    let sink = run(&b.scenario(60, vec![ban, release]));
    let pile = series(&sink, Variable::Stockpile, usa, None, m);
    let inv = series(&sink, Variable::Inventory, usa, None, m);
    // Cover 10 days, demand 1/day, nothing arrives from day 1: stock is 10 − d at the end of day
    // d, so the cover drops below 5 on day 6 and releases start on day 7.
    assert!(pile[..7].iter().all(|&v| v == 50.0), "{pile:?}");
    assert_eq!(pile[7], 49.5);
    assert!(inv[7] < inv[6]);
    // Release 0.5/day against demand 1/day: stock falls at half speed once releases run.
    assert!((inv[8] - (inv[7] - 0.5)).abs() < 1e-12);
}

fn rationing_case(rule: Rationing) -> (f64, f64, f64) {
    let mut b = WorldBuilder::new(0.0);
    let chn = b.region("CHN", &[]);
    let kor = b.region("KOR", &["allies"]);
    let usa = b.region("USA", &[]);
    let jpn = b.region("JPN", &["allies"]);
    let m = b.product("magnet", Stage::Magnet, &[]);
    b.facility(jpn, m, 10.0);
    for r in [chn, kor, usa, jpn] {
        b.link(jpn, r, m, 1.0, 0);
        b.demand(r, m, "ev", 1.0);
    }
    let cut = event(
        5,
        None,
        EventKind::Capacity(Capacity {
            region: jpn,
            product: m,
            capacity: 2.0,
            ramp_days: 0,
        }),
    );
    let mut s = b.scenario(30, vec![cut]);
    s.settings.rationing = rule;
    let sink = run(&s);
    let shipped = |to| series(&sink, Variable::Shipments, jpn, Some(to), m)[20];
    (shipped(jpn), shipped(kor), shipped(usa) + shipped(chn))
}

#[test]
fn rationing_rules_decide_who_is_served_first() {
    // Capacity 2 against orders of 4 (1 each): proportional gives everyone half.
    let (own, ally, rest) = rationing_case(Rationing::Proportional);
    assert!(
        (own - 0.5).abs() < 1e-9 && (ally - 0.5).abs() < 1e-9 && (rest - 1.0).abs() < 1e-9,
        "{own} {ally} {rest}"
    );
    // Domestic first: JPN takes its 1, the other three share 1.
    let (own, ally, rest) = rationing_case(Rationing::DomesticFirst);
    assert!(
        (own - 1.0).abs() < 1e-9 && (ally - 1.0 / 3.0).abs() < 1e-6,
        "{own} {ally} {rest}"
    );
    // Ally priority: JPN 1, KOR (ally) 1, USA and CHN nothing.
    let (own, ally, rest) = rationing_case(Rationing::AllyPriority("allies".into()));
    assert!(
        (own - 1.0).abs() < 1e-9 && (ally - 1.0).abs() < 1e-9 && rest.abs() < 1e-9,
        "{own} {ally} {rest}"
    );
}

#[test]
fn alternative_recipe_substitutes_when_the_primary_input_is_cut() {
    let mut b = WorldBuilder::new(10.0);
    let chn = b.region("CHN", &[]);
    let jpn = b.region("JPN", &[]);
    let dy = b.product("dy-metal", Stage::Metal, &[("Dy", 1.0)]);
    let nd = b.product("nd-metal", Stage::Metal, &[("Nd", 1.0)]);
    let magnet = b.product("magnet", Stage::Magnet, &[]);
    b.recipe(magnet, &[(nd, 0.3), (dy, 0.04)], 0);
    b.recipe(magnet, &[(nd, 0.32)], 1); // Dy-free grade, more Nd
    b.facility(chn, dy, 10.0);
    b.facility(jpn, nd, 10.0);
    b.facility(jpn, magnet, 10.0);
    b.link(chn, jpn, dy, 1.0, 5);
    b.link(jpn, jpn, nd, 1.0, 0);
    b.link(jpn, jpn, magnet, 1.0, 0);
    b.demand(jpn, magnet, "ev", 1.0);
    let ban = event(
        10,
        None,
        EventKind::ExportBan(ExportBan {
            exports: Exports {
                exporter: chn,
                products: ProductSelector::Elements(vec!["Dy".into()]),
                destinations: RegionSelector::All,
            },
            reexport: None,
        }),
    );
    let sink = run(&b.scenario(80, vec![ban]));
    let prod = series(&sink, Variable::Production, jpn, None, magnet);
    let unmet = series(&sink, Variable::UnmetDemand, jpn, None, magnet);
    // Dy stock runs out on day 10 + 5 + 10; the Dy-free recipe keeps magnets coming.
    assert!(prod.iter().all(|&v| (v - 1.0).abs() < 1e-9), "{prod:?}");
    assert!(unmet.iter().all(|&v| v == 0.0));
    let nd_cons = series(&sink, Variable::Consumption, jpn, None, nd);
    assert!(
        (nd_cons[5] - 0.3).abs() < 1e-12 && (nd_cons[70] - 0.32).abs() < 1e-12,
        "{} {}",
        nd_cons[5],
        nd_cons[70]
    );
    let dy_unmet = series(&sink, Variable::UnmetDemand, jpn, None, dy);
    assert!(
        dy_unmet[70] > 0.0,
        "the missing Dy is reported as the Dy shortfall"
    );
}

#[test]
fn buyers_shift_toward_the_supplier_that_delivers() {
    let mut b = WorldBuilder::new(20.0);
    let chn = b.region("CHN", &[]);
    let jpn = b.region("JPN", &[]);
    let usa = b.region("USA", &[]);
    let m = b.product("magnet", Stage::Magnet, &[]);
    b.facility(chn, m, 10.0);
    b.facility(jpn, m, 10.0);
    b.link(chn, usa, m, 0.9, 10);
    b.link(jpn, usa, m, 0.1, 10);
    b.demand(usa, m, "ev", 1.0);
    let ban = event(5, None, EventKind::ExportBan(ExportBan::everything(chn)));
    let mut s = b.scenario(200, vec![ban]);
    s.settings.adaptation_rate = 0.1;
    let sink = run(&s);
    let from_jpn = series(&sink, Variable::Shipments, jpn, Some(usa), m);
    let from_chn = series(&sink, Variable::Shipments, chn, Some(usa), m);
    assert!((from_jpn[0] - 0.1).abs() < 1e-12);
    assert!(from_chn[5..].iter().all(|&v| v == 0.0));
    // After adapting, Japan supplies the whole need (1/day) within the run.
    assert!((from_jpn[199] - 1.0).abs() < 0.02, "{}", from_jpn[199]);
}

#[test]
fn controls_split_the_market_between_exporter_and_rest_of_world() {
    let mut b = WorldBuilder::new(30.0);
    let chn = b.region("CHN", &[]);
    let usa = b.region("USA", &[]);
    let m = b.product("magnet", Stage::Magnet, &[("Dy", 0.04)]);
    b.facility(chn, m, 10.0);
    b.link(chn, chn, m, 1.0, 0);
    b.link(chn, usa, m, 1.0, 20);
    b.demand(chn, m, "ev", 2.0);
    b.demand(usa, m, "ev", 1.0);
    b.world.segments.push(Segment {
        name: "china".into(),
        regions: vec![chn],
    });
    let ban = event(10, None, EventKind::ExportBan(ExportBan::everything(chn)));
    let sink = run(&b.scenario(120, vec![ban]));
    let p_chn = series(&sink, Variable::Price, chn, None, m);
    let p_usa = series(&sink, Variable::Price, usa, None, m);
    assert!(
        p_chn.iter().all(|&p| (p - 100.0).abs() < 1e-9),
        "China's segment keeps its price"
    );
    // USA's stock is gone by day 10 + 20 + 30; its gap is then 1 and the price tends to
    // P0 · e^κ = 100 · e (κ = 1 in the builder).
    assert!(
        p_usa[9] == 100.0 && p_usa[119] > 250.0 && p_usa[119] < 100.0 * 1f64.exp() + 1e-9,
        "{}",
        p_usa[119]
    );
}

#[test]
fn tariff_raises_landed_cost_while_active() {
    let (b, s, buyers, m) = star(100.0, &[("USA", 3)]);
    let ev = event(
        10,
        Some(40),
        EventKind::Tariff(Tariff {
            importer: buyers[0],
            exporters: RegionSelector::Ids(vec![s]),
            products: ProductSelector::All,
            rate: 0.34,
        }),
    );
    let sink = run(&b.scenario(60, vec![ev]));
    let landed = series(&sink, Variable::LandedCost, buyers[0], Some(s), m);
    let price_origin = series(&sink, Variable::Price, s, None, m);
    assert_eq!(landed[9], price_origin[9]);
    assert!((landed[10] - price_origin[10] * 1.34).abs() < 1e-9);
    assert!((landed[45] - price_origin[45]).abs() < 1e-9);
}

#[test]
fn offtake_is_served_first_and_tops_up_to_the_floor() {
    let (b, s, buyers, m) = star(1.5, &[("USA", 0), ("KOR", 0)]);
    let (usa, kor) = (buyers[0], buyers[1]);
    let ev = event(
        0,
        None,
        EventKind::Offtake(Offtake {
            buyer: usa,
            supplier: s,
            product: m,
            rate: 1.0,
            floor: 110.0,
        }),
    );
    let sink = run(&b.scenario(60, vec![ev]));
    let to_usa = series(&sink, Variable::Shipments, s, Some(usa), m);
    let to_kor = series(&sink, Variable::Shipments, s, Some(kor), m);
    let topup = series(&sink, Variable::OfftakeTopUp, usa, Some(s), m);
    // Capacity 1.5 against orders of 2: the offtake's 1/day is served in full every day.
    assert!(to_usa[30] >= 1.0 - 1e-9, "{}", to_usa[30]);
    assert!(to_kor[30] <= 0.5 + 1e-9);
    // Paid at the floor: (110 − yesterday's price) USD/kg on 1 t a day, while the price is below.
    let price = series(&sink, Variable::Price, s, None, m);
    let days: Vec<Day> = sink
        .records
        .iter()
        .filter(|r| r.variable == Variable::OfftakeTopUp)
        .map(|r| r.day)
        .collect();
    assert_eq!(
        days[0], 1,
        "the first offtake order is placed on day 0 and served on day 1"
    );
    for (k, &d) in days.iter().enumerate() {
        let want = (110.0 - price[d as usize - 1]) * 1000.0;
        assert!(
            (topup[k] - want).abs() < 1e-6,
            "day {d}: {} vs {want}",
            topup[k]
        );
    }
}

#[test]
fn batched_applications_are_filed_once_per_window() {
    let (b, s, _, _) = star(100.0, &[("USA", 3)]);
    let lic = Licensing {
        exporter: s,
        products: ProductSelector::All,
        terms: terms(1.0, 10.0),
        destinations: vec![],
        end_uses: vec![],
        batch_days: 7,
        reexport: None,
    };
    let sink = run(&b.scenario(70, vec![event(0, None, EventKind::ExportLicence(lic))]));
    // Days 6, 13, ..., 69: ten windows, one application each.
    assert_eq!(sink.licences.len(), 10);
    let filed: Vec<Day> = sink.licences.iter().map(|l| l.filed).collect();
    assert_eq!(filed, (0..10).map(|k| 6 + 7 * k).collect::<Vec<Day>>());
}

#[test]
fn end_use_rules_override_destination_rules() {
    let mut b = WorldBuilder::new(10.0);
    let chn = b.region("CHN", &[]);
    let usa = b.region("USA", &[]);
    let m = b.product("magnet", Stage::Magnet, &[]);
    b.facility(chn, m, 10.0);
    b.link(chn, usa, m, 1.0, 5);
    b.demand(usa, m, "ev", 3.0);
    b.demand(usa, m, "defence", 1.0);
    let lic = Licensing {
        exporter: chn,
        products: ProductSelector::All,
        terms: terms(1.0, 5.0),
        destinations: vec![(usa, terms(1.0, 5.0))],
        end_uses: vec![("defence".into(), terms(0.0, 5.0))],
        batch_days: 0,
        reexport: None,
    };
    let sink = run(&b.scenario(40, vec![event(0, None, EventKind::ExportLicence(lic))]));
    let decided: Vec<_> = sink
        .licences
        .iter()
        .filter(|l| l.outcome != LicenceOutcome::Pending)
        .collect();
    assert!(!decided.is_empty());
    for l in decided {
        match l.end_use.as_str() {
            "defence" => assert_eq!(l.outcome, LicenceOutcome::Denied),
            "ev" => assert_eq!(l.outcome, LicenceOutcome::Approved),
            other => panic!("unexpected end use {other}"),
        }
    }
    // The order is split 3:1 by the buyer's end-use mix.
    let day0: Vec<_> = sink.licences.iter().filter(|l| l.filed == 0).collect();
    assert_eq!(day0.len(), 2);
    let ratio = day0
        .iter()
        .find(|l| l.end_use == "ev")
        .map(|l| l.quantity)
        .unwrap_or(0.0)
        / day0
            .iter()
            .find(|l| l.end_use == "defence")
            .map(|l| l.quantity)
            .unwrap_or(1.0);
    assert!((ratio - 3.0).abs() < 1e-9);
}

#[test]
fn general_licence_waives_review() {
    let (b, s, buyers, _) = star(100.0, &[("USA", 3), ("KOR", 3)]);
    let lic = Licensing {
        exporter: s,
        products: ProductSelector::All,
        terms: terms(0.0, 30.0),
        destinations: vec![],
        end_uses: vec![],
        batch_days: 0,
        reexport: None,
    };
    let general = EventKind::GeneralLicence(GeneralLicence {
        exports: Exports {
            exporter: s,
            products: ProductSelector::All,
            destinations: RegionSelector::Ids(vec![buyers[1]]),
        },
    });
    let sink = run(&b.scenario(
        60,
        vec![
            event(0, None, EventKind::ExportLicence(lic)),
            event(0, None, general),
        ],
    ));
    assert!(sink.licences.iter().all(|l| l.importer == buyers[0]));
    assert!(!sink.licences.is_empty());
}

#[test]
fn facilities_sharing_an_input_get_proportional_shares() {
    // Two end uses in the USA draw on the same magnet stock; when magnet supply halves, both
    // run short together instead of the first product in the file taking everything. (Claims
    // are capacity-capped targets, so capacities are in proportion to demand here.)
    let mut b = WorldBuilder::new(10.0);
    let chn = b.region("CHN", &[]);
    let usa = b.region("USA", &[]);
    let magnet = b.product("magnet", Stage::Magnet, &[]);
    let ev = b.product("ev-motor", Stage::EndUse, &[]);
    let wind = b.product("wind-generator", Stage::EndUse, &[]);
    b.facility(chn, magnet, 10.0);
    b.link(chn, usa, magnet, 1.0, 5);
    for (p, d) in [(ev, 3.0), (wind, 1.0)] {
        b.recipe(p, &[(magnet, 1.0)], 0);
        b.facility(usa, p, 1.2 * d);
        b.link(usa, usa, p, 1.0, 0);
        b.demand(usa, p, "any", d);
    }
    let cap = event(
        10,
        None,
        EventKind::Capacity(Capacity {
            region: chn,
            product: magnet,
            capacity: 2.0,
            ramp_days: 0,
        }),
    );
    let sink = run(&b.scenario(120, vec![cap]));
    let short = |p| -> f64 {
        let unmet: f64 = series(&sink, Variable::UnmetDemand, usa, None, p)
            .iter()
            .sum();
        let need = if p == ev { 3.0 } else { 1.0 } * 120.0;
        unmet / need
    };
    let (s_ev, s_wind) = (short(ev), short(wind));
    assert!(
        s_ev > 0.2,
        "supply of 2 against need of 4 must leave a shortfall: {s_ev}"
    );
    assert!(
        (s_ev - s_wind).abs() < 0.02,
        "equal shortfall shares: ev {s_ev} wind {s_wind}"
    );
}

/// The CLI's tiny fixture (CHN, JPN, USA; Dy oxide and magnets; starts 2025-01-01) with one
/// more `[[event]]` table; the diagnostics as printed on failure.
fn tiny_with(event: &str) -> Result<Scenario, String> {
    use chokepoint_core::scenario::{NoBases, SourceText, parse_scenario};
    let text = format!(
        "{}\n[[event]]\n{event}",
        include_str!("../../chokepoint-cli/tests/fixtures/tiny.toml")
    );
    parse_scenario(
        SourceText {
            name: "tiny.toml",
            text: &text,
        },
        &NoBases,
    )
    .map_err(|d| d.to_string())
}

/// Issue 17: `batches` and `pacing` as a scenario writes them, and their mistakes, each at its
/// position.
#[test]
fn issue_17_quota_batches_and_pacing_parse() {
    let quota = "kind = \"export-quota\"\nexporter = \"CHN\"\nproducts = [\"ndfeb-magnet\"]\nperiod-days = 28\n";
    let s = tiny_with(&format!(
        "date = 2025-01-10\n{quota}pacing = \"even\"\nbatches = [{{ date = 2024-12-28, quantity = 5 }}, {{ date = 2025-02-01, quantity = 7.5 }}]\n"
    ))
    .unwrap();
    let Some(EventKind::ExportQuota(q)) = s.events.last().map(|e| &e.kind) else {
        panic!("{:?}", s.events.last())
    };
    assert_eq!(q.pacing, Pacing::Even);
    assert_eq!(
        q.batches,
        [
            QuotaBatch {
                day: -4,
                quantity: 5.0
            },
            QuotaBatch {
                day: 31,
                quantity: 7.5
            }
        ]
    );
    assert_eq!(q.quantity, 12.5);
    let e = tiny_with(&format!(
        "date = 2025-01-10\n{quota}quantity = 3\npacing = \"smooth\"\nbatches = [{{ date = 2025-02-01, quantity = 1 }}, {{ date = 2025-01-20, quantity = 2, note = 1 }}]\n"
    ))
    .unwrap_err();
    for want in [
        "unknown pacing `smooth`",
        "`batches` and `quantity` both given",
    ] {
        assert!(e.contains(want), "{want}:\n{e}");
    }
    let e = tiny_with(&format!(
        "date = 2025-01-10\n{quota}batches = [{{ date = 2025-02-01, quantity = 1 }}, {{ date = 2025-01-20, quantity = 2, note = 1 }}]\n"
    ))
    .unwrap_err();
    for want in [
        "batch date 2025-01-20 is not after the previous batch's",
        "unknown key `note`",
    ] {
        assert!(e.contains(want), "{want}:\n{e}");
    }
    assert!(e.contains("tiny.toml:"), "positions: {e}");
}
