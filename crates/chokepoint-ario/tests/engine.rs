//! Engine behaviour without the peer: input validation (data-driven), steady state, fixed-mode
//! timing, trade-link shocks, daily loss series. (The command's exit codes are tested with the
//! `chokepoint` binary, in `chokepoint-cli`.)

use std::path::Path;

use chokepoint_ario::events::parse_events_toml;
use chokepoint_ario::synthetic::{SyntheticSpec, synthetic_mrio};
use chokepoint_ario::{
    EventSpec, IndustryOrder, Mode, Model, Mrio, MrioError, MrioTable, Params, ReadOptions,
    RecoveryFn, Shock, TableText, Trajectories, Variable,
};

fn small() -> Mrio {
    synthetic_mrio(&SyntheticSpec::new(3, 4, 7))
}

fn run(m: Mrio, p: Params, events: &[EventSpec], shocks: Vec<Shock>, steps: usize) -> Trajectories {
    let mut model = Model::new(m, p).unwrap();
    model.add_events(events, steps).unwrap();
    for s in shocks {
        model.add_shock(s).unwrap();
    }
    let mut t = Trajectories::new(&Variable::ALL);
    model.run(steps, &mut t).unwrap();
    t
}

fn compat() -> Params {
    Params {
        mode: Mode::Compat,
        ..Params::default()
    }
}

/// The CSV text of one table of `m`, as `Mrio::write_table` writes it.
fn table_text(m: &Mrio, table: MrioTable) -> String {
    let mut out = Vec::new();
    m.write_table(table, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// A table's text, named as its file.
fn text(table: MrioTable, text: &str) -> TableText<&[u8]> {
    TableText {
        name: table.file_name().into(),
        reader: text.as_bytes(),
    }
}

/// Reads an MRIO from the CSV texts of its tables.
fn read_texts(z: &str, y: &str, x: Option<&str>) -> Result<Mrio, MrioError> {
    Mrio::read(
        text(MrioTable::Flows, z),
        text(MrioTable::FinalDemand, y),
        x.map(|x| text(MrioTable::Output, x)),
        ReadOptions::new(IndustryOrder::AsGiven),
    )
}

/// Reads a 2-region × 2-sector table after `edit` changed its CSV texts (Z, Y, x).
fn read_case(
    edit: &dyn Fn(&mut String, &mut String, &mut Option<String>),
) -> Result<Mrio, MrioError> {
    let m = synthetic_mrio(&SyntheticSpec::new(2, 2, 1));
    let mut z = table_text(&m, MrioTable::Flows);
    let mut y = table_text(&m, MrioTable::FinalDemand);
    let mut x = Some(table_text(&m, MrioTable::Output));
    edit(&mut z, &mut y, &mut x);
    read_texts(&z, &y, x.as_deref())
}

/// What `Mrio::write_table` writes, `Mrio::read` reads back bit for bit, with the allocation
/// hook the caller passes.
#[test]
fn tables_written_are_read_back_unchanged() {
    let m = synthetic_mrio(&SyntheticSpec::new(3, 4, 2));
    let [z, y, x] = MrioTable::ALL.map(|t| table_text(&m, t));
    assert!(x.starts_with("region,sector,indout\nr000,s0000,"), "{x}");
    let asked = std::cell::Cell::new(0);
    let alloc = |len: usize| {
        asked.set(len);
        vec![0.0; len]
    };
    let options = ReadOptions {
        order: IndustryOrder::AsGiven,
        alloc_flows: &alloc,
        max_flow_bytes: u64::MAX,
    };
    let (tz, ty, tx) = (
        text(MrioTable::Flows, &z),
        text(MrioTable::FinalDemand, &y),
        text(MrioTable::Output, &x),
    );
    let back = Mrio::read(tz, ty, Some(tx), options).unwrap();
    assert_eq!(asked.get(), 144);
    assert_eq!((&back.z, &back.y, &back.x), (&m.z, &m.y, &m.x));
    assert_eq!((&back.regions, &back.sectors), (&m.regions, &m.sectors));
    assert_eq!(back.fd_categories, m.fd_categories);
    let without_x = read_texts(&z, &y, None).unwrap();
    assert_eq!((&without_x.z, &without_x.x), (&m.z, &m.x));
}

/// A Z.csv header decides n, and the reader would allocate n² flows before reading a row: a
/// header with more industries than the caller allows is refused first, naming the size.
#[test]
fn issue_16_mrio_header_with_too_many_industries_is_refused_before_allocating() {
    let m = synthetic_mrio(&SyntheticSpec::new(3, 4, 2));
    let [z, y, x] = MrioTable::ALL.map(|t| table_text(&m, t));
    let allocated = std::cell::Cell::new(false);
    let alloc = |len: usize| {
        allocated.set(true);
        vec![0.0; len]
    };
    // 12 industries need 12 · 12 · 8 = 1,152 bytes: one byte less is refused, exactly that is not.
    for (limit, refused) in [(1151, true), (1152, false)] {
        allocated.set(false);
        let options = ReadOptions {
            order: IndustryOrder::AsGiven,
            alloc_flows: &alloc,
            max_flow_bytes: limit,
        };
        let got = Mrio::read(
            text(MrioTable::Flows, &z),
            text(MrioTable::FinalDemand, &y),
            Some(text(MrioTable::Output, &x)),
            options,
        );
        match got {
            Err(e) => {
                assert!(refused, "{limit}: {e}");
                let msg = e.to_string();
                assert!(
                    msg.contains("Z.csv:1: the header lists 12 industries")
                        && msg.contains("hint:"),
                    "{msg}"
                );
                assert!(!allocated.get(), "allocated before refusing");
            }
            Ok(_) => assert!(!refused && allocated.get(), "{limit}"),
        }
    }
}

fn replace_cell(text: &mut String, line: usize, col: usize, val: &str) {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut cells: Vec<String> = lines[line].split(',').map(String::from).collect();
    cells[col] = val.into();
    lines[line] = cells.join(",");
    *text = lines.join("\n") + "\n";
}

#[test]
fn mrio_validation_errors() {
    type Edit = Box<dyn Fn(&mut String, &mut String, &mut Option<String>)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        ("ok without x.csv", Box::new(|_, _, x| *x = None), ""),
        (
            "negative Z",
            Box::new(|z, _, _| replace_cell(z, 3, 3, "-1.5")),
            "Z.csv:4: Z[r000|s0000, r000|s0001] is -1.5",
        ),
        (
            "NaN in Y",
            Box::new(|_, y, _| replace_cell(y, 4, 2, "nan")),
            "values must be finite and non-negative",
        ),
        (
            "empty cell",
            Box::new(|z, _, _| replace_cell(z, 5, 2, "")),
            "is NaN",
        ),
        (
            "text cell",
            Box::new(|z, _, _| replace_cell(z, 5, 2, "abc")),
            "is not a number",
        ),
        (
            "negative final demand",
            Box::new(|_, y, _| replace_cell(y, 3, 2, "-3")),
            "hint: negative final demand",
        ),
        (
            "x inconsistent",
            Box::new(|_, _, x| replace_cell(x.as_mut().unwrap(), 2, 2, "1e9")),
            "x inconsistent with Z and Y for 1 industry, worst r000|s0001",
        ),
        (
            "missing row",
            Box::new(|z, _, _| {
                let l: Vec<&str> = z.lines().collect();
                *z = l[..l.len() - 1].join("\n") + "\n";
            }),
            "missing as rows (first: r001|s0001)",
        ),
        (
            "ragged row",
            Box::new(|z, _, _| {
                let mut l: Vec<String> = z.lines().map(String::from).collect();
                l[3].push_str(",1.0");
                *z = l.join("\n") + "\n";
            }),
            "row has 5 values, the header has 4 columns",
        ),
        (
            "unknown row industry",
            Box::new(|z, _, _| replace_cell(z, 3, 1, "s9999")),
            "row industry r000|s9999 is not a column industry",
        ),
        (
            "not a full product",
            Box::new(|z, _, _| replace_cell(z, 1, 5, "s0002")),
            "full region × sector product",
        ),
        (
            "Y region unknown",
            Box::new(|_, y, _| replace_cell(y, 0, 2, "zzz")),
            "final-demand column region `zzz`",
        ),
    ];
    for (name, edit, want) in cases {
        match (read_case(&*edit), want) {
            (Ok(_), "") => {}
            (Ok(_), w) => panic!("{name}: accepted, expected error containing `{w}`"),
            (Err(e), "") => panic!("{name}: unexpected error {e}"),
            (Err(e), w) => {
                let msg = e.to_string();
                assert!(msg.contains(w), "{name}: `{msg}` lacks `{w}`");
                assert!(!msg.ends_with('.'), "{name}: trailing period in `{msg}`");
            }
        }
    }
}

#[test]
fn event_errors_name_the_problem() {
    let m = small();
    let mut model = Model::new(m, Params::default()).unwrap();
    let specs = parse_events_toml(
        "[[event]]\nkind = \"arbitrary\"\nregions = [\"r000\"]\nsectors = [\"steel\"]\nimpact = 0.5\n",
        Path::new("e.toml"),
    )
    .unwrap();
    let e = model.add_events(&specs, 365).unwrap_err().to_string();
    assert!(
        e.contains("unknown sector `steel`; hint: known sectors are s0000, s0001"),
        "{e}"
    );
    let e = parse_events_toml(
        "[[event]]\nkind = \"arbitrary\"\nregions = \"r000\"\nsectors = [\"s0000\"]\nimpact = 0.5\n",
        Path::new("e.toml"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("e.toml") && e.contains("expected a sequence"),
        "{e}"
    );
    let mut cm = Model::new(small(), compat()).unwrap();
    let tl = parse_events_toml(
        "[[event]]\nkind = \"trade-link\"\nfrom = [\"r000\"]\nto = [\"r001\"]\nsectors = [\"s0000\"]\nshare = 1.0\n",
        Path::new("t.toml"),
    )
    .unwrap();
    let e = cm.add_events(&tl, 365).unwrap_err().to_string();
    assert!(e.contains("do not exist in BoARIO 0.7.2"), "{e}");
}

#[test]
fn steady_state_without_events() {
    for p in [Params::default(), compat()] {
        let m = small();
        let x0: Vec<f64> = m.x.iter().map(|v| v / 365.0).collect();
        let t = run(m, p, &[], vec![], 365);
        let prod = t.series(Variable::ProductionRealised).unwrap();
        let n = x0.len();
        for (k, v) in prod.iter().enumerate() {
            let rel = (v - x0[k % n]).abs() / x0[k % n];
            assert!(rel < 1e-12, "step {} industry {}: {rel:e}", k / n, k % n);
        }
    }
}

fn arb(occ: usize, dur: usize, tau: u32) -> EventSpec {
    EventSpec::Arbitrary {
        regions: vec!["r001".into()],
        sectors: vec!["s0002".into()],
        impact: 0.5,
        occurrence: occ,
        duration: dur,
        recovery_tau: tau,
        recovery_function: RecoveryFn::Linear,
    }
}

#[test]
fn fixed_mode_applies_arbitrary_shock_on_its_day() {
    let j = 4 + 2; // r001|s0002
    let n = 12;
    for (p, first_day) in [(Params::default(), 10), (compat(), 11)] {
        let t = run(small(), p, &[arb(10, 20, 10)], vec![], 60);
        let cap = t.series(Variable::ProductionCapacity).unwrap();
        let x0 = cap[j];
        let cut: Vec<usize> = (0..60).filter(|s| cap[s * n + j] < 0.9 * x0).collect();
        assert_eq!(cut.first(), Some(&first_day));
    }
}

#[test]
fn loss_series_equals_arbitrary_event() {
    let (occ, dur, tau) = (10, 20, 10);
    let mut shares = vec![0.5; dur];
    shares.extend((0..tau).map(|k| 0.5 * (1.0 - k as f64 / tau as f64)));
    let a = run(
        small(),
        Params::default(),
        &[arb(occ, dur, tau as u32)],
        vec![],
        80,
    );
    let b = run(
        small(),
        Params::default(),
        &[],
        vec![Shock::LossSeries {
            industries: vec![6],
            start: occ,
            shares,
        }],
        80,
    );
    let (pa, pb) = (
        a.series(Variable::ProductionRealised).unwrap(),
        b.series(Variable::ProductionRealised).unwrap(),
    );
    for (x, y) in pa.iter().zip(pb) {
        assert!((x - y).abs() <= 1e-12 * x.abs(), "{x} vs {y}");
    }
}

#[test]
fn trade_link_cut_diverts_orders_to_other_suppliers() {
    let n_s = 4;
    let (occ, dur) = (5, 40);
    let link = EventSpec::TradeLink {
        from: vec!["r000".into()],
        to: vec!["r001".into(), "r002".into()],
        sectors: vec!["s0001".into()],
        share: 1.0,
        occurrence: occ,
        duration: dur,
        recovery_tau: Some(10),
    };
    let t = run(small(), Params::default(), &[link], vec![], 120);
    let od = t.series(Variable::IntermediateDemand).unwrap();
    let n = 12;
    let (cut, other) = (1, n_s + 1); // r000|s0001 loses its export orders, r001|s0001 gains
    let at = |s: usize, i: usize| od[s * n + i] / od[i];
    assert!(
        at(occ + 2, cut) < 0.9,
        "orders to the cut supplier: {}",
        at(occ + 2, cut)
    );
    assert!(
        at(occ + 2, other) > 1.05,
        "orders to the other supplier: {}",
        at(occ + 2, other)
    );
    assert!(
        (at(119, cut) - 1.0).abs() < 0.05,
        "after lifting: {}",
        at(119, cut)
    );
    // final demand re-sourced: total final demand undistributed stays ~0 where capacity allows
    let unmet = t.series(Variable::FinalDemandUnmet).unwrap();
    assert!(unmet.iter().all(|v| v.is_finite()));
}

/// The fused pass (deliveries, orders and the next demand in one stream over Z0, with predicted
/// compat switches) gives bit-identical trajectories to a separate demand pass every step,
/// including steps where the switch prediction fails and the orders are recomputed.
#[test]
fn fused_pass_is_bit_identical() {
    let rebuild = EventSpec::Rebuild {
        regions: vec!["r002".into()],
        sectors: vec!["s0001".into()],
        impact: 0.05,
        impact_unit: chokepoint_ario::ImpactUnit::ShareOfCapital,
        occurrence: 5,
        duration: 10,
        rebuild_tau: Some(30),
        rebuilding_sectors: [("s0000".to_string(), 0.6), ("s0003".to_string(), 0.4)]
            .into_iter()
            .collect(),
        rebuilding_factor: 1.0,
    };
    let link = EventSpec::TradeLink {
        from: vec!["r000".into()],
        to: vec!["r001".into()],
        sectors: vec!["s0001".into(), "s0002".into()],
        share: 0.7,
        occurrence: 8,
        duration: 30,
        recovery_tau: Some(10),
    };
    let noalt = Params {
        order_type: chokepoint_ario::OrderType::NoAlt,
        ..compat()
    };
    let base = Params {
        model: chokepoint_ario::ModelKind::Base,
        main_inv_dur: 5.0,
        ..compat()
    };
    // 3 × 4 (n = 12) and 9 × 7 (n = 63: vector tails, rows in groups of four plus one)
    let wide = || synthetic_mrio(&SyntheticSpec::new(9, 7, 11));
    type Case = (fn() -> Mrio, Params, Vec<EventSpec>);
    let cases: Vec<Case> = vec![
        (small, compat(), vec![arb(10, 20, 10)]),
        (small, compat(), vec![rebuild.clone()]),
        (small, noalt, vec![arb(3, 30, 40)]),
        (small, base, vec![arb(10, 20, 10)]),
        (
            small,
            Params::default(),
            vec![arb(10, 20, 10), rebuild.clone(), link.clone()],
        ),
        (wide, compat(), vec![arb(10, 20, 10)]),
        (
            wide,
            Params::default(),
            vec![arb(10, 20, 10), rebuild, link],
        ),
    ];
    for (k, (mrio, p, events)) in cases.into_iter().enumerate() {
        let mut out = Vec::new();
        for fused in [true, false] {
            let mut model = Model::new(mrio(), p.clone()).unwrap();
            model.set_fused(fused);
            // column blocks of 16 (several blocks and a tail at n = 63) against one block
            model.set_col_block(if fused { 16 } else { 1 << 20 });
            model.add_events(&events, 120).unwrap();
            let mut t = Trajectories::new(&Variable::ALL);
            model.run(120, &mut t).unwrap();
            out.push((t, model.switches.clone()));
        }
        let ((a, sa), (b, sb)) = (&out[0], &out[1]);
        assert_eq!(sa.stock_update_skipped, sb.stock_update_skipped, "case {k}");
        assert_eq!(sa.gap_zeroed, sb.gap_zeroed, "case {k}");
        for (v, (x, y)) in a.data.iter().zip(&b.data).enumerate() {
            for (q, (x, y)) in x.iter().zip(y).enumerate() {
                assert!(
                    x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
                    "case {k} variable {v} value {q}: {x} vs {y}"
                );
            }
        }
        if k == 0 {
            // the prediction is exercised: the switches change during the run
            assert!(sa.stock_update_skipped.iter().any(|s| *s));
            assert!(sa.stock_update_skipped.iter().any(|s| !*s));
        }
    }
}
