//! Issue 17, origin tracing: re-export clauses and the de minimis content rule on a hand-made
//! network where a third country (VNM) can route Chinese material to the target (USA), the
//! qualification time of new suppliers, the scenario keys, and the origin bookkeeping (shares
//! sum to one, content balances) on random networks.
//!
//! The network: CHN and AUS mine metal (Nd 1.0); CHN and VNM make magnets from 0.5 metal each
//! (Nd 0.5; every price 100, so a magnet's value ratio is 0.5·100/100 = 0.5). VNM buys a share
//! `a` of its metal from CHN and `1 − a` from AUS; USA buys magnets half from CHN, half from VNM
//! (5 days' transit); VNM uses magnets too. CHN bans exports to the USA from day 1. Buyers
//! keep their shares (adaptation 0), so VNM's stock is always the share `a` Chinese.

use chokepoint_core::build::{WorldBuilder, event, synthetic};
use chokepoint_core::engine::{Engine, simulate};
use chokepoint_core::event::{
    EventKind, ExportBan, Exports, LeadTime, LicenceTerms, Licensing, ProductSelector,
    ReExportClause, RegionSelector,
};
use chokepoint_core::model::{ProductId, RegionId, Settings, Stage};
use chokepoint_core::record::{NullSink, Variable, VecSink};
use chokepoint_core::scenario::Scenario;
use proptest::prelude::*;

struct Net {
    scenario: Scenario,
    chn: RegionId,
    vnm: RegionId,
    usa: RegionId,
    metal: ProductId,
    magnet: ProductId,
}

/// The network of the module documentation with CHN's metal share `a` at VNM, the ban from
/// day 1 carrying `clause`, and CHN traced.
fn network(a: f64, clause: Option<ReExportClause>, days: u32) -> Net {
    let mut b = WorldBuilder::new(10.0);
    let chn = b.region("CHN", &[]);
    let aus = b.region("AUS", &[]);
    let vnm = b.region("VNM", &[]);
    let usa = b.region("USA", &[]);
    let metal = b.product("metal", Stage::Metal, &[("Nd", 1.0)]);
    let magnet = b.product("magnet", Stage::Magnet, &[("Nd", 0.5)]);
    b.recipe(magnet, &[(metal, 0.5)], 0);
    b.facility(chn, metal, 100.0);
    b.facility(aus, metal, 100.0);
    b.facility(chn, magnet, 100.0);
    b.facility(vnm, magnet, 100.0);
    b.link(chn, chn, metal, 1.0, 0);
    b.link(chn, vnm, metal, a, 0);
    b.link(aus, vnm, metal, 1.0 - a, 0);
    b.link(chn, usa, magnet, 0.5, 5);
    b.link(vnm, usa, magnet, 0.5, 5);
    b.link(vnm, vnm, magnet, 1.0, 0);
    b.demand(usa, magnet, "ev", 1.0);
    b.demand(vnm, magnet, "ev", 1.0);
    let ban = event(
        1,
        None,
        EventKind::ExportBan(ExportBan {
            exports: Exports {
                exporter: chn,
                products: ProductSelector::All,
                destinations: RegionSelector::Ids(vec![usa]),
            },
            reexport: clause,
        }),
    );
    let mut scenario = b.scenario(days, vec![ban]);
    scenario.settings.trace_origins = vec![chn];
    // Shares stay put, so that every buyer keeps its baseline split (the analytic values).
    scenario.settings.adaptation_rate = 0.0;
    Net {
        scenario,
        chn,
        vnm,
        usa,
        metal,
        magnet,
    }
}

/// The records of `v` on route `from` → `to`, day by day (0 where none was emitted).
fn route(
    sink: &VecSink,
    v: Variable,
    from: RegionId,
    to: RegionId,
    p: ProductId,
    days: u32,
) -> Vec<f64> {
    let mut out = vec![0.0; days as usize];
    for r in &sink.records {
        if r.variable == v && r.region == from && r.partner == Some(to) && r.product == p {
            out[r.day as usize] = r.value;
        }
    }
    out
}

/// Steps `s` to its end, checking the bookkeeping and the origin audit every day.
fn run_audited(s: &Scenario) -> VecSink {
    let mut e = Engine::new(s, 1, 0);
    let mut sink = VecSink::default();
    while !e.finished() {
        let stock = e.state.stocks.stock.clone();
        let shares = e.state.origins.stock.clone();
        e.step(&mut sink);
        e.audit().unwrap();
        e.audit_origins(&stock, &shares)
            .unwrap_or_else(|m| panic!("day {}: {m}", e.state.day - 1));
    }
    e.finish(&mut sink);
    sink
}

/// Without the clause, the Chinese content of VNM's magnets to the USA is exactly the share
/// `a` of what it ships, every day: leakage share = a (the analytic value), and the leakage is
/// real (VNM's US shipments continue after the ban and carry Chinese content).
#[test]
fn issue_17_reexport_leakage_equals_analytic_value() {
    let days = 90;
    let n = network(0.25, None, days);
    let sink = run_audited(&n.scenario);
    let origin = Variable::ShipmentsOfOrigin(n.chn);
    let shipped = route(&sink, Variable::Shipments, n.vnm, n.usa, n.magnet, days);
    let content = route(&sink, origin, n.vnm, n.usa, n.magnet, days);
    for d in 0..days as usize {
        assert!(
            (content[d] - 0.25 * shipped[d]).abs() <= 1e-12 * shipped[d],
            "day {d}: {} of {}",
            content[d],
            shipped[d]
        );
    }
    let after: f64 = content[1..].iter().sum();
    assert!(after > 0.25 * (days - 1) as f64 * 0.5, "leakage {after}");
    // The direct route is closed: CHN ships nothing to the USA from day 1.
    let direct = route(&sink, Variable::Shipments, n.chn, n.usa, n.magnet, days);
    assert!(direct[1..].iter().all(|&q| q == 0.0), "{direct:?}");
}

/// With the clause (any Chinese content), no Chinese-origin content is shipped to the USA from
/// the ban on, by any route; VNM keeps making magnets for itself.
#[test]
fn issue_17_reexport_clause_stops_chinese_content_to_target() {
    let days = 90;
    let clause = ReExportClause {
        only: false,
        de_minimis: 0.0,
    };
    let n = network(0.25, Some(clause), days);
    let sink = run_audited(&n.scenario);
    let origin = Variable::ShipmentsOfOrigin(n.chn);
    let to_usa: Vec<f64> = (0..days as usize)
        .map(|d| {
            sink.records
                .iter()
                .filter(|r| r.day as usize == d && r.variable == origin)
                .filter(|r| r.partner == Some(n.usa) && r.region != n.usa)
                .map(|r| r.value)
                .sum()
        })
        .collect();
    assert!(to_usa[0] > 0.0);
    assert!(to_usa[1..].iter().all(|&q| q == 0.0), "{to_usa:?}");
    let home = route(&sink, Variable::Shipments, n.vnm, n.vnm, n.magnet, days);
    assert!(home[1..].iter().all(|&q| q > 0.9), "{home:?}");
    // What VNM drew for the refused US lines went back to stock: its metal use is exactly
    // what the magnets it shipped needed (0.5 each).
    let node = |v: Variable, p: ProductId| -> Vec<f64> {
        sink.records
            .iter()
            .filter(|r| r.variable == v && r.region == n.vnm && r.product == p)
            .map(|r| r.value)
            .collect()
    };
    let used = node(Variable::Consumption, n.metal);
    let made = node(Variable::Production, n.magnet);
    for d in 1..days as usize {
        assert!(
            (used[d] - 0.5 * made[d]).abs() <= 1e-12,
            "day {d}: {} for {}",
            used[d],
            made[d]
        );
        assert!((made[d] - home[d]).abs() <= 1e-12, "day {d}");
    }
    // The US buyer runs short once its stock and pipeline are gone.
    let unmet: f64 = sink
        .records
        .iter()
        .filter(|r| r.variable == Variable::UnmetDemand && r.region == n.usa)
        .map(|r| r.value)
        .sum();
    assert!(unmet > 30.0, "unmet {unmet}");
}

/// The de minimis test is `value share ≥ threshold`: all metal Chinese (a = 1), so a VNM magnet's
/// Chinese value share is exactly 0.5 (value ratio 0.5 × origin share 1). At a threshold of
/// exactly 0.5 the rule binds; at the next float above it does not, and the content leaks.
#[test]
fn issue_17_de_minimis_binds_exactly_at_threshold() {
    let days = 40;
    let leak = |de_minimis: f64| -> f64 {
        let clause = ReExportClause {
            only: false,
            de_minimis,
        };
        let n = network(1.0, Some(clause), days);
        let sink = run_audited(&n.scenario);
        let origin = Variable::ShipmentsOfOrigin(n.chn);
        route(&sink, origin, n.vnm, n.usa, n.magnet, days)[1..]
            .iter()
            .sum()
    };
    assert_eq!(leak(0.5), 0.0);
    assert!(leak(0.5f64.next_down()) == 0.0);
    assert!(leak(0.5f64.next_up()) > 10.0);
    let c = ReExportClause {
        only: true,
        de_minimis: 0.001,
    };
    assert!(c.covers(0.001));
    assert!(!c.covers(0.001f64.next_down()));
    // "Any content" means any: a zero share is never covered, the smallest positive one is.
    let any = ReExportClause {
        only: true,
        de_minimis: 0.0,
    };
    assert!(!any.covers(0.0));
    assert!(any.covers(f64::MIN_POSITIVE));
}

/// A licensing clause sends VNM's US-bound lines to CHN's licensing regime: applications are
/// filed on the VNM → USA route, and Chinese content reaches the USA from VNM only under
/// licence, from the first decision (filed day 1, lead time L) on. A regime that batches its
/// own applications files re-export applications at once all the same (a batch would be booked
/// under the route's own regime, which VNM's route does not have).
#[test]
fn issue_17_reexport_licence_files_applications_under_origin_regime() {
    for (lead, batch_days) in [(6u32, 0u32), (12, 7)] {
        let days = 60;
        let mut n = network(0.25, None, days);
        let chn = n.chn;
        n.scenario.events = vec![event(
            1,
            None,
            EventKind::ExportLicence(Licensing {
                exporter: chn,
                products: ProductSelector::All,
                terms: LicenceTerms {
                    approval: 1.0,
                    lead_time: LeadTime::Fixed(f64::from(lead)),
                    cap_days: None,
                },
                destinations: vec![],
                end_uses: vec![],
                batch_days,
                reexport: Some(ReExportClause {
                    only: true,
                    de_minimis: 0.0,
                }),
            }),
        )];
        let sink = run_audited(&n.scenario);
        let via_vnm: Vec<_> = sink
            .licences
            .iter()
            .filter(|l| l.exporter == n.vnm && l.importer == n.usa)
            .collect();
        assert!(!via_vnm.is_empty());
        let first = via_vnm.iter().map(|l| l.filed).min().unwrap();
        assert_eq!(first, 1, "filed when VNM's first US-bound output is made");
        let origin = Variable::ShipmentsOfOrigin(n.chn);
        let content = route(&sink, origin, n.vnm, n.usa, n.magnet, days);
        let decided = 1 + lead as usize;
        assert!(content[1..decided].iter().all(|&q| q == 0.0), "{content:?}");
        assert!(content[decided] > 0.0, "{content:?}");
        // `"only"`: CHN's own exports to the USA are not licensed by this event.
        assert!(sink.licences.iter().all(|l| l.exporter != n.chn));
    }
}

/// Qualification time: USA buys from CHN only; JPN is a candidate (zero share). When CHN stops,
/// the first JPN shipment comes exactly `qualification-days` later than without one (the share
/// path is the same until the candidate qualifies: an untried candidate counts as delivering).
#[test]
fn issue_17_qualification_time_delays_new_supplier() {
    let first_jpn = |days_q: u32| -> Option<usize> {
        let mut b = WorldBuilder::new(10.0);
        let chn = b.region("CHN", &[]);
        let jpn = b.region("JPN", &[]);
        let usa = b.region("USA", &[]);
        let m = b.product("magnet", Stage::Magnet, &[("Nd", 0.3)]);
        b.facility(chn, m, 100.0);
        b.facility(jpn, m, 100.0);
        b.link(chn, usa, m, 1.0, 0);
        b.link(jpn, usa, m, 0.0, 0);
        b.demand(usa, m, "ev", 1.0);
        let ban = event(1, None, EventKind::ExportBan(ExportBan::everything(chn)));
        let mut s = b.scenario(120, vec![ban]);
        s.settings.adaptation_rate = 0.1;
        s.settings.qualification_days = days_q;
        let mut sink = VecSink::default();
        simulate(&s, 1, &mut sink);
        sink.records
            .iter()
            .find(|r| {
                r.variable == Variable::Shipments
                    && r.region == jpn
                    && r.partner == Some(usa)
                    && r.value > 0.0
            })
            .map(|r| r.day as usize)
    };
    let at_once = first_jpn(0).expect("JPN ships without qualification");
    assert_eq!(first_jpn(30), Some(at_once + 30));
    assert_eq!(first_jpn(200), None);
}

/// A scenario without a clause or `trace-origins` carries no origin state at all.
#[test]
fn issue_17_no_origin_state_without_tracing() {
    let mut n = network(0.25, None, 10);
    n.scenario.settings.trace_origins.clear();
    let e = Engine::new(&n.scenario, 1, 0);
    assert_eq!(e.state.origins.no, 0);
    assert!(e.state.origins.stock.is_empty());
    assert!(e.traced_origins().is_empty());
}

/// The scenario keys: `re-export`, `de-minimis`, `trace-origins`, `qualification-days`, and
/// every mistake reported at its position.
#[test]
fn issue_17_origin_keys_parse() {
    use chokepoint_core::scenario::{NoBases, SourceText, parse_scenario};
    let parse = |settings: &str, event: &str| {
        let tiny = include_str!("../../chokepoint-cli/tests/fixtures/tiny.toml");
        let text = tiny.replacen("seed = 3\n", &format!("seed = 3\n{settings}"), 1);
        let text = format!(
            "{text}\n[[source]]\nid = \"mofcom-61\"\ntitle = \"MOFCOM Announcement No. 61\"\nurl = \"http://www.sscollege.cn/en/news/44800.html\"\n\n[[event]]\n{event}"
        );
        parse_scenario(
            SourceText {
                name: "tiny.toml",
                text: &text,
            },
            &NoBases,
        )
        .map_err(|d| d.to_string())
    };
    let ban =
        "date = 2025-01-10\nkind = \"export-ban\"\nexporter = \"CHN\"\ndestinations = [\"USA\"]\n";
    let s = parse(
        "trace-origins = [\"JPN\"]\nqualification-days = { default = 120, ndfeb-magnet = 150 }\n",
        &format!("{ban}re-export = \"only\"\nde-minimis = {{ value = 0.001, source = \"mofcom-61\", confidence = \"high\" }}\n"),
    )
    .unwrap();
    let Some(EventKind::ExportBan(b)) = s.events.last().map(|e| &e.kind) else {
        panic!()
    };
    assert_eq!(
        b.reexport,
        Some(ReExportClause {
            only: true,
            de_minimis: 0.001
        })
    );
    assert_eq!(s.settings.trace_origins, vec![RegionId(1)]);
    assert_eq!(s.settings.qualification_days, 120);
    assert_eq!(s.settings.qualification_days_of(ProductId(1)), 150);
    assert_eq!(s.settings.qualification_days_of(ProductId(0)), 120);
    assert!(
        s.world
            .provenance
            .iter()
            .any(|p| p.what.ends_with("de-minimis") && p.value == 0.001)
    );
    let s = parse(
        "qualification-days = 90\n",
        &format!("{ban}re-export = true\n"),
    )
    .unwrap();
    assert_eq!(s.settings.qualification_days, 90);
    let Some(EventKind::ExportBan(b)) = s.events.last().map(|e| &e.kind) else {
        panic!()
    };
    assert_eq!(
        b.reexport.map(|c| (c.only, c.de_minimis)),
        Some((false, 0.0))
    );
    // Every problem at once, each at its position.
    let err = parse(
        "trace-origins = [\"XXX\", \"CHN\", \"CHN\"]\nqualification-days = { default = -1, magnet = 3, ndfeb-magnet = { triangular = [1, 2, 3] } }\n",
        &format!("{ban}re-export = \"yes\"\nde-minimis = 1.5\n"),
    )
    .unwrap_err();
    for want in [
        "unknown region `XXX`",
        "region `CHN` is listed twice",
        "`qualification-days.default` must be >= 0, found -1",
        "unknown product `magnet`",
        "`qualification-days.ndfeb-magnet` cannot be uncertain",
        "`re-export` must be true, false or \"only\", found \"yes\"",
        "`de-minimis` must be >= 0 and < 1, found 1.5",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
    let err = parse("", &format!("{ban}de-minimis = 0.001\n")).unwrap_err();
    assert!(
        err.contains("`de-minimis` needs a re-export clause"),
        "{err}"
    );
    assert!(err.contains("hint: add `re-export = true`"), "{err}");
    let lic = "date = 2025-01-10\nkind = \"export-licence\"\nexporter = \"CHN\"\napproval = 0.5\nlead-time-days = 10\nre-export = \"only\"\nde-minimis = 0.001\n";
    let s = parse("", lic).unwrap();
    let Some(EventKind::ExportLicence(l)) = s.events.last().map(|e| &e.kind) else {
        panic!()
    };
    assert_eq!(l.reexport.map(|c| c.de_minimis), Some(0.001));
}

/// Random networks with re-export clauses (bans and licensing, any content or a de minimis,
/// `"only"` or not), traced origins and qualification times: every day the mass balance
/// holds, the bookkeeping recounts, every origin share vector sums to one with no negative
/// share, each node's content of each origin moved exactly by its flows, and an engine without
/// records (Monte Carlo's) computes the same stocks, shares and shipments bit for bit.
fn check_origins(
    regions: usize,
    chains: usize,
    seed: u64,
    specs: &[(u8, u32, usize, usize, f64)],
) -> Result<(), TestCaseError> {
    let world = synthetic::world(regions, chains, seed);
    let (nr, np) = (world.regions.len(), world.products.len());
    let events = specs
        .iter()
        .map(|&(kind, start, r1, p, x)| {
            let exporter = RegionId((r1 % nr) as u32);
            let products = if p.is_multiple_of(2) {
                ProductSelector::All
            } else {
                ProductSelector::Ids(vec![ProductId((p % np) as u32)])
            };
            let clause = Some(ReExportClause {
                only: kind % 4 == 1,
                de_minimis: if kind % 3 == 0 { 0.0 } else { x * 0.5 },
            });
            let k = if kind % 2 == 0 {
                EventKind::ExportBan(ExportBan {
                    exports: Exports {
                        exporter,
                        products,
                        destinations: RegionSelector::Ids(vec![RegionId(((r1 + 1) % nr) as u32)]),
                    },
                    reexport: clause,
                })
            } else {
                EventKind::ExportLicence(Licensing {
                    exporter,
                    products,
                    terms: LicenceTerms {
                        approval: x,
                        lead_time: LeadTime::Uniform(1.0, 20.0),
                        cap_days: None,
                    },
                    destinations: vec![],
                    end_uses: vec![],
                    batch_days: 0,
                    reexport: clause,
                })
            };
            event(start, None, k)
        })
        .collect();
    let s = Scenario {
        settings: Settings {
            name: "origins".into(),
            days: 80,
            seed,
            adaptation_rate: 0.05,
            trace_origins: vec![RegionId((seed as usize % nr) as u32)],
            qualification_days: (seed % 3) as u32 * 10,
            ..Settings::default()
        },
        world,
        events,
    };
    let mut e = Engine::new(&s, seed, 0);
    // As Monte Carlo runs it: the same simulation, bit for bit, without the records.
    let mut bare = Engine::new(&s, seed, 0).without_records();
    while !e.finished() {
        let day = e.state.day;
        let stock = e.state.stocks.stock.clone();
        let shares = e.state.origins.stock.clone();
        e.step(&mut NullSink);
        bare.step(&mut NullSink);
        prop_assert!(
            e.state.stocks.stock == bare.state.stocks.stock,
            "day {day}: stocks differ"
        );
        prop_assert!(
            e.state.origins.stock == bare.state.origins.stock,
            "day {day}: shares differ"
        );
        prop_assert!(
            e.shipped_today() == bare.shipped_today(),
            "day {day}: shipments differ"
        );
        for (n, nd) in e.state.today.nodes.iter().enumerate() {
            let residual = e.state.stocks.stock[n]
                - nd.stock_start
                - (nd.arrivals + nd.release - nd.consumption - nd.purchase);
            let scale = nd.stock_start.abs() + nd.arrivals + nd.consumption + 1.0;
            prop_assert!(
                residual.abs() <= 1e-9 * scale,
                "day {day} node {n}: residual {residual}"
            );
            prop_assert!(e.state.stocks.stock[n] >= -1e-9 * scale);
            prop_assert!((nd.production - nd.shipped).abs() <= 1e-9 * (nd.production + 1.0));
            prop_assert!(nd.unmet >= -1e-9 * scale && nd.unmet <= nd.need + 1e-9 * scale);
        }
        e.audit()
            .map_err(|m| TestCaseError::fail(format!("day {day}: {m}")))?;
        e.audit_origins(&stock, &shares)
            .map_err(|m| TestCaseError::fail(format!("day {day}: {m}")))?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, rng_seed: proptest::test_runner::RngSeed::Fixed(173), ..ProptestConfig::default() })]

    #[test]
    fn issue_17_origin_shares_and_content_balance_on_random_networks(
        regions in 2usize..6,
        chains in 1usize..3,
        seed in 0u64..1_000_000,
        specs in proptest::collection::vec((0u8..12, 0u32..60, 0usize..64, 0usize..64, 0.0f64..1.0), 0..6),
    ) {
        check_origins(regions, chains, seed, &specs)?;
    }
}
