//! Invariants on random small networks with random event lists (issue 2): mass balance every
//! day, no negative stock, no flow above capacity, no licence shipping before its decision day,
//! approvals + denials + pending = applications. Seeded: proptest's default deterministic RNG
//! plus a fixed synthetic-network seed per case.

use chokepoint_core::build::{event, synthetic};
use chokepoint_core::engine::Engine;
use chokepoint_core::event::{
    Capacity, DemandShock, Event, EventKind, ExportBan, ExportQuota, Exports, LeadTime,
    LicenceTerms, Licensing, Offtake, Pacing, ProductSelector, QuotaBatch, RationingChange,
    RegionSelector, StockpilePurchase, StockpileRelease, Tariff,
};
use chokepoint_core::model::{ProductId, Rationing, RegionId, Settings};
use chokepoint_core::record::{LicenceOutcome, NullSink};
use chokepoint_core::scenario::Scenario;
use proptest::prelude::*;

const DAYS: u32 = 120;

#[derive(Debug, Clone)]
struct EventSpec {
    kind: u8,
    start: u32,
    len: Option<u32>,
    a: f64,
    b: f64,
    r1: usize,
    r2: usize,
    p: usize,
}

fn event_spec() -> impl Strategy<Value = EventSpec> {
    (
        0u8..11,
        0u32..DAYS,
        proptest::option::of(1u32..60),
        0.0f64..1.0,
        0.0f64..1.0,
        0usize..64,
        0usize..64,
        0usize..64,
    )
        .prop_map(|(kind, start, len, a, b, r1, r2, p)| EventSpec {
            kind,
            start,
            len,
            a,
            b,
            r1,
            r2,
            p,
        })
}

fn build(spec: &EventSpec, nr: usize, np: usize) -> Event {
    let r1 = RegionId((spec.r1 % nr) as u32);
    let r2 = RegionId((spec.r2 % nr) as u32);
    let p = ProductId((spec.p % np) as u32);
    let end = spec.len.map(|l| spec.start + l);
    let products = if spec.p.is_multiple_of(3) {
        ProductSelector::Elements(vec!["Dy".into(), "Nd".into()])
    } else {
        ProductSelector::Ids(vec![p])
    };
    let lead = match spec.r2 % 3 {
        0 => LeadTime::Fixed((spec.b * 40.0).round()),
        1 => LeadTime::Uniform(2.0, 2.0 + spec.b * 30.0),
        _ => LeadTime::Triangular(5.0, 5.0 + spec.b * 10.0, 30.0),
    };
    let kind = match spec.kind {
        0 => EventKind::ExportBan(ExportBan {
            exports: Exports {
                exporter: r1,
                products,
                destinations: RegionSelector::All,
            },
            reexport: None,
        }),
        1 | 2 => EventKind::ExportLicence(Licensing {
            exporter: r1,
            products,
            terms: LicenceTerms {
                approval: spec.a,
                lead_time: lead.clone(),
                cap_days: Some(25),
            },
            destinations: vec![(
                r2,
                LicenceTerms {
                    approval: 1.0 - spec.a,
                    lead_time: lead,
                    cap_days: None,
                },
            )],
            end_uses: vec![(
                "defence".into(),
                LicenceTerms {
                    approval: 0.0,
                    lead_time: LeadTime::Fixed(3.0),
                    cap_days: None,
                },
            )],
            batch_days: if spec.kind == 2 {
                1 + (spec.r2 % 10) as u32
            } else {
                0
            },
            reexport: None,
        }),
        3 => EventKind::ExportQuota(ExportQuota {
            exports: Exports {
                exporter: r1,
                products,
                destinations: RegionSelector::All,
            },
            quantity: spec.a * 50.0,
            period_days: 30,
            // Every way of releasing a quota: at once, evenly, and in two batches.
            pacing: if spec.r2.is_multiple_of(2) {
                Pacing::Running
            } else {
                Pacing::Even
            },
            batches: if spec.r2.is_multiple_of(3) {
                vec![
                    QuotaBatch {
                        day: i64::from(spec.start) - 5,
                        quantity: spec.a * 20.0,
                    },
                    QuotaBatch {
                        day: i64::from(spec.start) + 12,
                        quantity: spec.a * 30.0,
                    },
                ]
            } else {
                Vec::new()
            },
        }),
        4 => EventKind::Tariff(Tariff {
            importer: r1,
            exporters: RegionSelector::All,
            products,
            rate: spec.a,
        }),
        5 => EventKind::Capacity(Capacity {
            region: r1,
            product: p,
            capacity: spec.a * 20.0,
            ramp_days: (spec.b * 30.0) as u32,
        }),
        6 => EventKind::DemandShock(DemandShock {
            regions: RegionSelector::Ids(vec![r1]),
            products,
            end_use: None,
            factor: spec.a * 3.0,
        }),
        7 => EventKind::StockpileRelease(StockpileRelease {
            region: r1,
            product: p,
            rate: spec.a * 5.0,
            trigger_days: Some(spec.b * 30.0),
            trigger_price: spec.r2.is_multiple_of(2).then_some(spec.b * 100.0 + 1.0),
        }),
        8 => EventKind::StockpilePurchase(StockpilePurchase {
            region: r1,
            product: p,
            rate: spec.a * 5.0,
            refill_to: spec.r2.is_multiple_of(3).then_some(spec.a * 50.0),
            below_price: spec.r2.is_multiple_of(2).then_some(spec.b * 200.0 + 1.0),
        }),
        9 => EventKind::Offtake(Offtake {
            buyer: r1,
            supplier: r2,
            product: p,
            rate: spec.a * 3.0,
            floor: 150.0,
        }),
        _ => EventKind::Rationing(RationingChange {
            region: r1,
            rule: if spec.a < 0.5 {
                Rationing::DomesticFirst
            } else {
                Rationing::AllyPriority("allies".into())
            },
        }),
    };
    event(spec.start, end, kind)
}

/// The arguments of [`scenario`]: regions, chains, network seed, events and stockpile size.
fn random_network() -> impl Strategy<Value = (usize, usize, u64, Vec<EventSpec>, f64)> {
    (
        2usize..6,
        1usize..3,
        0u64..1_000_000,
        proptest::collection::vec(event_spec(), 0..12),
        0.0f64..1.0,
    )
}

fn scenario(
    regions: usize,
    chains: usize,
    seed: u64,
    specs: &[EventSpec],
    stock_seed: f64,
) -> Scenario {
    let mut world = synthetic::world(regions, chains, seed);
    let (nr, np) = (world.regions.len(), world.products.len());
    // A strategic stockpile somewhere so releases have something to move.
    world.stockpiles.push(chokepoint_core::model::Stockpile {
        region: RegionId((seed as usize % nr) as u32),
        product: ProductId((seed as usize % np) as u32),
        quantity: stock_seed * 100.0,
    });
    let events = specs.iter().map(|s| build(s, nr, np)).collect();
    Scenario {
        settings: Settings {
            name: "prop".into(),
            days: DAYS,
            seed,
            adaptation_rate: 0.05,
            ..Settings::default()
        },
        world,
        events,
    }
}

fn check_invariants(s: &Scenario) -> Result<(), TestCaseError> {
    let mut e = Engine::new(s, s.settings.seed, 0);
    let mut sink = NullSink;
    let np = e.net.np;
    while !e.finished() {
        let day = e.state.day;
        e.step(&mut sink);
        for (n, nd) in e.state.today.nodes.iter().enumerate() {
            let stock = e.state.stocks.stock[n];
            let throughput = nd.stock_start.abs()
                + nd.arrivals
                + nd.release
                + nd.recycled
                + nd.consumption
                + nd.purchase
                + 1.0;
            let residual = stock
                - nd.stock_start
                - (nd.arrivals + nd.release + nd.recycled - nd.consumption - nd.purchase);
            prop_assert!(
                residual.abs() <= 1e-9 * throughput,
                "day {day} node {n}: mass balance residual {residual}"
            );
            let tol = 1e-9 * throughput;
            prop_assert!(stock >= -tol, "day {day} node {n}: negative stock {stock}");
            prop_assert!(
                e.state.stocks.strategic[n] >= -tol,
                "day {day} node {n}: negative stockpile"
            );
            prop_assert!(
                (nd.production - nd.shipped).abs() <= 1e-9 * (nd.production + 1.0),
                "day {day} node {n}: produced {} but shipped {}",
                nd.production,
                nd.shipped
            );
            if e.net.facility_of[n].is_some() {
                prop_assert!(
                    nd.production <= nd.capacity * (1.0 + 1e-12) + 1e-12,
                    "day {day} node {}/{}: production {} above capacity {}",
                    n / np,
                    n % np,
                    nd.production,
                    nd.capacity
                );
            } else {
                prop_assert!(nd.production == 0.0);
            }
            prop_assert!(nd.unmet >= -tol && nd.unmet <= nd.need + tol);
        }
        if let Err(msg) = e.audit() {
            return Err(TestCaseError::fail(format!("day {day}: {msg}")));
        }
        for t in e.in_transit() {
            prop_assert!(*t >= -1e-9, "negative in-transit {t}");
        }
        for l in e.licences() {
            if let Some(shipped) = l.shipped {
                prop_assert!(
                    l.decided.is_some_and(|d| shipped >= d && d >= l.filed),
                    "licence {} shipped {shipped} before decision {:?}",
                    l.id,
                    l.decided
                );
                prop_assert!(l.outcome == LicenceOutcome::Approved);
            }
        }
    }
    let mut out = chokepoint_core::record::VecSink::default();
    let summary = e.finish(&mut out);
    let (mut ap, mut de, mut pe) = (0, 0, 0);
    for l in &out.licences {
        match l.outcome {
            LicenceOutcome::Approved => ap += 1,
            LicenceOutcome::Denied => de += 1,
            LicenceOutcome::Pending => pe += 1,
        }
        prop_assert!(l.outcome != LicenceOutcome::Pending || l.decided.is_none());
    }
    prop_assert_eq!(ap + de + pe, out.licences.len());
    for row in &summary.rows {
        prop_assert_eq!(
            row.licences_approved + row.licences_denied + row.licences_pending,
            row.licences_applied
        );
        prop_assert!(row.shortfall <= row.need_total * (1.0 + 1e-9) + 1e-9);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, rng_seed: proptest::test_runner::RngSeed::Fixed(1), ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_on_random_networks(
        (regions, chains, seed, specs, stock) in random_network(),
    ) {
        check_invariants(&scenario(regions, chains, seed, &specs, stock))?;
    }
}

/// An engine without records (as Monte Carlo runs it) computes the same simulation, bit for bit,
/// every day: what drives it and what Monte Carlo reads (regression test, issue 4 round 7).
fn check_without_records(s: &Scenario) -> Result<(), TestCaseError> {
    let seed = s.settings.seed;
    let mut with = Engine::new(s, seed, 3);
    let mut without = Engine::new(s, seed, 3).without_records();
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let state = |e: &Engine| {
        let st = &e.state;
        let flows: Vec<f64> = st
            .today
            .nodes
            .iter()
            .flat_map(|nd| [nd.need, nd.unmet, nd.production])
            .chain((0..e.net.flow0.len()).map(|l| e.shipped_today()[l]))
            .chain(e.in_transit().iter().copied())
            .collect();
        [
            ("stock", bits(&st.stocks.stock)),
            ("stockpiles", bits(&st.stocks.strategic)),
            ("prices", bits(&st.market.price)),
            ("on order", bits(&st.orders.on_order)),
            ("shares", bits(&st.orders.shares)),
            ("capacity", bits(&st.plants.capacity)),
            (
                "need, unmet, production, shipments, in transit",
                bits(&flows),
            ),
        ]
    };
    while !with.finished() {
        let day = with.state.day;
        with.step(&mut NullSink);
        without.step(&mut NullSink);
        for ((what, a), (_, b)) in state(&with).into_iter().zip(state(&without)) {
            prop_assert_eq!(a, b, "{} on day {}", what, day);
        }
    }
    for r in 0..with.net.nr {
        for p in 0..with.net.np {
            let (r, p) = (RegionId(r as u32), ProductId(p as u32));
            prop_assert_eq!(with.node_totals(r, p), without.node_totals(r, p));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, rng_seed: proptest::test_runner::RngSeed::Fixed(2), ..ProptestConfig::default() })]

    #[test]
    fn without_records_the_simulation_is_the_same(
        (regions, chains, seed, specs, stock) in random_network(),
    ) {
        check_without_records(&scenario(regions, chains, seed, &specs, stock))?;
    }
}

#[test]
fn same_seed_same_records() {
    let specs: Vec<EventSpec> = (0..11)
        .map(|k| EventSpec {
            kind: k,
            start: 5 + 7 * k as u32,
            len: Some(40),
            a: 0.4,
            b: 0.6,
            r1: k as usize,
            r2: 1 + k as usize,
            p: 2 * k as usize,
        })
        .collect();
    let s = scenario(4, 2, 42, &specs, 0.5);
    let run = || {
        let mut sink = chokepoint_core::record::VecSink::default();
        let summary = chokepoint_core::engine::simulate(&s, 9, &mut sink);
        (sink.records, sink.licences, summary)
    };
    let (a, b) = (run(), run());
    assert!(!a.1.is_empty(), "the event mix should file licences");
    assert_eq!(a.0.len(), b.0.len());
    assert!(
        a.0.iter()
            .zip(&b.0)
            .all(|(x, y)| x.value.to_bits() == y.value.to_bits() && x == y)
    );
    assert_eq!(a.1, b.1);
    assert_eq!(a.2, b.2);
}

/// The complete example of docs/scenario.md, which uses every event kind, keeps the invariants.
#[test]
fn doc_example_keeps_the_invariants() {
    let doc = include_str!("../../../docs/scenario.md");
    let after = doc.split("## Complete example").nth(1).unwrap_or_default();
    let body = after.split("```toml\n").nth(1).unwrap_or_default();
    let text = body.split("```").next().unwrap_or_default();
    let s = chokepoint_core::scenario::parse_scenario(
        chokepoint_core::scenario::SourceText {
            name: "docs/scenario.md",
            text,
        },
        &chokepoint_core::scenario::NoBases,
    )
    .unwrap_or_else(|d| panic!("{d}"));
    if let Err(e) = check_invariants(&s) {
        panic!("{e}");
    }
}

/// Every library scenario keeps the invariants on the embedded data.
#[test]
fn builtin_scenarios_keep_the_invariants() {
    for (name, _, _) in chokepoint_core::library::SCENARIOS {
        let s = match chokepoint_core::library::builtin_scenario(name) {
            Some(Ok(s)) => s,
            _ => panic!("{name} parses"),
        };
        if let Err(e) = check_invariants(&s) {
            panic!("{name}: {e}");
        }
    }
}
