//! Compat mode against BoARIO 0.7.2 itself: each case runs the peer's `run_reference.py`
//! (through `tests/peer/run_peer.py`, which also logs its two allclose switches) and the engine
//! with the same flags and events, then compares whole trajectories.
//!
//! Metric: `|a − b| / max(|a|, |b|, scale)` where `scale` is the quantity the variable is a
//! part of: baseline output X0 of the industry (production), the baseline final demand of the
//! (consumer region, product) pair (final demand unmet) or of the industry (undistributed),
//! and the baseline inventory of the (input, industry) pair (inventories). Required ≤ 1e-9.
//! Switch flips (steps where the engine's allclose decision differs from the peer's) are
//! counted and reported; when there are any, the run is replayed with the peer's decisions.
//!
//! The peer: `$CHOKEPOINT_PEER_PYTHON` or `<repo>/.peer-venv/bin/python`, peer scripts in
//! `$CHOKEPOINT_PEER_DIR` or `<repo>/../shared/peers/boario`. Without them the tests skip,
//! unless `CHOKEPOINT_REQUIRE_PEER` is set (CI), where they fail. `CHOKEPOINT_PEER_SWEEP=1`
//! adds a longer sweep of seeds and parameter sets.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use chokepoint_ario::events::parse_events_json;
use chokepoint_ario::synthetic::{SyntheticSpec, synthetic_mrio};
use chokepoint_ario::{
    IndustryOrder, Mode, Model, ModelKind, Mrio, MrioTable, OrderType, Params, ReadOptions,
    SwitchOverride, TableText, Trajectories, Variable,
};

const TOL: f64 = 1e-9;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Peer {
    python: PathBuf,
    dir: PathBuf,
}

fn peer() -> Option<Peer> {
    let python = std::env::var_os("CHOKEPOINT_PEER_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".peer-venv/bin/python"));
    let dir = std::env::var_os("CHOKEPOINT_PEER_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/peers/boario"));
    let ok = python.exists() && dir.join("run_reference.py").exists();
    if ok {
        return Some(Peer { python, dir });
    }
    let msg = format!(
        "BoARIO peer not found (python {}, scripts {}); hint: run .ci/peer-setup.sh",
        python.display(),
        dir.display()
    );
    if std::env::var_os("CHOKEPOINT_REQUIRE_PEER").is_some() {
        panic!("{msg} (CHOKEPOINT_REQUIRE_PEER is set)");
    }
    eprintln!("SKIPPED: {msg}");
    None
}

#[derive(Clone, Copy)]
enum Src {
    TestMrio,
    Synth {
        regions: usize,
        sectors: usize,
        seed: u64,
        zero_share: f64,
    },
}

struct Case<'a> {
    name: &'a str,
    src: Src,
    /// `run_reference.py` model flags, given to the peer as they are and to the engine through
    /// [`compat_params`].
    flags: &'a [&'a str],
    events_json: &'a str,
    steps: usize,
}

/// Compat parameters from the model flags the cases give the peer (the ones `run_reference.py`
/// and `chokepoint ario` share); an unknown flag fails the test rather than being ignored.
fn compat_params(flags: &[&str]) -> Params {
    let mut p = Params {
        mode: Mode::Compat,
        ..Params::default()
    };
    let mut it = flags.iter().peekable();
    while let Some(flag) = it.next() {
        let mut value = || *it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match *flag {
            "--order-type" => {
                p.order_type = match value() {
                    "alt" => OrderType::Alt,
                    "noalt" => OrderType::NoAlt,
                    v => panic!("--order-type {v}"),
                }
            }
            "--model" => {
                p.model = match value() {
                    "psi" => ModelKind::Psi,
                    "base" => ModelKind::Base,
                    v => panic!("--model {v}"),
                }
            }
            "--main-inv-dur" => p.main_inv_dur = value().parse().unwrap(),
            "--alpha-max" => p.alpha_max = value().parse().unwrap(),
            "--alpha-tau" => p.alpha_tau = value().parse().unwrap(),
            "--psi" => p.psi = value().parse().unwrap(),
            "--inv-restoration-tau" => p.inv_restoration_tau = value().parse().unwrap(),
            "--rebuild-tau" => p.rebuild_tau = value().parse().unwrap(),
            "--infinite-inv-sectors" => {
                while let Some(s) = it.next_if(|s| !s.starts_with("--")) {
                    p.infinite_inv_sectors.push(s.to_string());
                }
            }
            other => panic!("flag {other} is not mapped to the engine's parameters"),
        }
    }
    p
}

/// Writes `m` as a pymrio folder the peer reads.
fn write_mrio(m: &Mrio, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for table in MrioTable::ALL {
        let f = std::fs::File::create(dir.join(table.file_name())).unwrap();
        m.write_table(table, f).unwrap();
    }
}

/// Reads a pymrio folder in BoARIO's (lexicographic) order.
fn read_mrio(dir: &Path) -> Mrio {
    let open = |table: MrioTable| {
        let name = dir.join(table.file_name());
        let reader = std::fs::File::open(&name).unwrap_or_else(|e| panic!("{name:?}: {e}"));
        TableText { name, reader }
    };
    let x = dir
        .join(MrioTable::Output.file_name())
        .exists()
        .then(|| open(MrioTable::Output));
    let options = ReadOptions::new(IndustryOrder::Lexicographic);
    Mrio::read(
        open(MrioTable::Flows),
        open(MrioTable::FinalDemand),
        x,
        options,
    )
    .unwrap()
}

/// Wide peer CSV (rows = steps, columns `region|sector`) reordered to the engine's columns.
fn read_wide(path: &Path, labels: &HashMap<String, usize>, n: usize) -> Vec<f64> {
    let mut rdr =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let hdr = rdr.headers().unwrap().clone();
    let pos: Vec<usize> = hdr.iter().skip(1).map(|h| labels[h]).collect();
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let mut row = vec![f64::NAN; n];
        for (k, c) in rec.iter().skip(1).enumerate() {
            row[pos[k]] = c.parse().unwrap_or(f64::NAN);
        }
        out.extend(row);
    }
    out
}

/// Peer inventories (long: step,input,industries…) as steps × (S × n).
fn read_stocks(path: &Path, labels: &HashMap<String, usize>, n: usize) -> Vec<f64> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let hdr = rdr.headers().unwrap().clone();
    let pos: Vec<usize> = hdr.iter().skip(2).map(|h| labels[h]).collect();
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let mut row = vec![f64::NAN; n];
        for (k, c) in rec.iter().skip(2).enumerate() {
            row[pos[k]] = match c {
                "inf" => f64::INFINITY,
                _ => c.parse().unwrap_or(f64::NAN),
            };
        }
        out.extend(row);
    }
    out
}

/// Max of `|a−b| / max(|a|,|b|,scale[col])` over steps (NaN = NaN and inf = inf count as equal).
fn max_rel(a: &[f64], b: &[f64], scale: &[f64]) -> (f64, usize) {
    let w = scale.len();
    let mut worst = (0.0, 0);
    for k in 0..a.len().min(b.len()) {
        let (x, y) = (a[k], b[k]);
        let d = if x == y || (x.is_nan() && y.is_nan()) {
            0.0
        } else if !x.is_finite() || !y.is_finite() {
            f64::INFINITY
        } else {
            (x - y).abs() / x.abs().max(y.abs()).max(scale[k % w])
        };
        if d > worst.0 || d.is_nan() {
            worst = (d, k);
        }
    }
    worst
}

fn check(case: &Case) {
    let Some(peer) = peer() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mriot = match case.src {
        Src::TestMrio => peer.dir.join("mriot_test"),
        Src::Synth {
            regions,
            sectors,
            seed,
            zero_share,
        } => {
            let mut spec = SyntheticSpec::new(regions, sectors, seed);
            spec.zero_share = zero_share;
            let d = tmp.path().join("mriot");
            write_mrio(&synthetic_mrio(&spec), &d);
            d
        }
    };
    let ev = tmp.path().join("events.json");
    std::fs::write(&ev, case.events_json).unwrap();
    let out = tmp.path().join("peer");
    let steps = case.steps.to_string();
    let st = Command::new(&peer.python)
        .arg(repo_root().join("crates/chokepoint-ario/tests/peer/run_peer.py"))
        .arg(&peer.dir)
        .args(["--mriot-dir".as_ref(), mriot.as_os_str()])
        .args(["--events-json".as_ref(), ev.as_os_str()])
        .args(["--steps", &steps, "--register-stocks"])
        .args(["--out".as_ref(), out.as_os_str()])
        .args(case.flags)
        .env("OPENBLAS_NUM_THREADS", "1")
        .output()
        .expect("run the peer");
    assert!(
        st.status.success(),
        "{}: peer failed:\n{}",
        case.name,
        String::from_utf8_lossy(&st.stderr)
    );
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run_info.json")).unwrap()).unwrap();
    assert_eq!(
        info["has_crashed"], false,
        "{}: the peer crashed",
        case.name
    );

    // scales from the MRIO (daily)
    let m = read_mrio(&mriot);
    let (n, n_s, n_c) = (m.n_industries(), m.n_sectors(), m.fd_categories.len());
    let nf = m.n_fd();
    let day = 1.0 / 365.0;
    let labels: HashMap<String, usize> = (0..n).map(|i| (m.industry_label(i), i)).collect();
    let x0: Vec<f64> = m.x.iter().map(|v| v * day).collect();
    let mut fd_pair = vec![0.0; n];
    let mut fd_ind = vec![0.0; n];
    for i in 0..n {
        for k in 0..nf {
            let v = m.y[i * nf + k] * day;
            fd_pair[(k / n_c) * n_s + i % n_s] += v;
            fd_ind[i] += v;
        }
    }

    let events = parse_events_json(case.events_json, &ev).unwrap();
    let run = |overrides: Option<SwitchOverride>| {
        let mut model = Model::new(read_mrio(&mriot), compat_params(case.flags))
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        model
            .add_events(&events, case.steps)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        model.set_record_stocks(true);
        model.overrides = overrides;
        model.log_alpha_relaxed = true;
        let mut traj = Trajectories::new(&Variable::ALL).with_stocks();
        model
            .run(case.steps, &mut traj)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        (traj, model.switches.clone())
    };
    let (mut traj, sw) = run(None);

    let sj: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("switches.json")).unwrap()).unwrap();
    let peer_sw = |k: &str| -> Vec<bool> {
        sj[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_bool().unwrap())
            .collect()
    };
    let (p_stock, p_gap) = (peer_sw("stock_update_skipped"), peer_sw("gap_zeroed"));
    let flips = |a: &[bool], b: &[bool]| a.iter().zip(b).filter(|(x, y)| x != y).count();
    let n_flips = flips(&sw.stock_update_skipped, &p_stock) + flips(&sw.gap_zeroed, &p_gap);
    // overproduction relaxation (scarcity exactly 0.0), per step and industry
    let p_relax: Vec<Vec<bool>> = sj["alpha_relaxed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            v.as_str()
                .map_or(Vec::new(), |s| s.bytes().map(|b| b == b'1').collect())
        })
        .collect();
    let relax_flips: usize = sw
        .alpha_relaxed
        .iter()
        .zip(&p_relax)
        .map(|(a, b)| flips(a, b))
        .sum();

    let peer_prod = read_wide(&out.join("production_realised.csv"), &labels, n);
    let peer_unmet = read_wide(&out.join("final_demand_unmet.csv"), &labels, n);
    let peer_undist = read_wide(&out.join("final_demand_undist.csv"), &labels, n);
    let peer_stock = read_stocks(&out.join("inputs_stocks.csv"), &labels, n);
    let stock_scale: Vec<f64> = peer_stock[..n_s * n].iter().map(|v| v.abs()).collect();

    let compare = |traj: &Trajectories| {
        let p = max_rel(
            traj.series(Variable::ProductionRealised).unwrap(),
            &peer_prod,
            &x0,
        );
        let u = max_rel(
            traj.series(Variable::FinalDemandUnmet).unwrap(),
            &peer_unmet,
            &fd_pair,
        );
        let d = max_rel(
            traj.series(Variable::FinalDemandUndist).unwrap(),
            &peer_undist,
            &fd_ind,
        );
        let s = max_rel(&traj.stocks, &peer_stock, &stock_scale);
        [p.0, u.0, d.0, s.0]
    };
    let mut diffs = compare(&traj);
    let mut replayed = false;
    if n_flips + relax_flips > 0 && diffs.iter().any(|d| *d > TOL) {
        let ov = SwitchOverride {
            stock_update_skipped: p_stock.iter().map(|b| Some(*b)).collect(),
            gap_zeroed: p_gap.iter().map(|b| Some(*b)).collect(),
            alpha_relaxed: p_relax
                .iter()
                .map(|v| (!v.is_empty()).then(|| v.clone()))
                .collect(),
        };
        traj = run(Some(ov)).0;
        diffs = compare(&traj);
        replayed = true;
    }
    let limiting = sw.stock_update_skipped.iter().filter(|b| !**b).count();
    eprintln!(
        "PEER {:<28} n={:<4} steps={:<4} max rel: production {:.2e}, fd unmet {:.2e}, fd undist {:.2e}, inventories {:.2e}; switch flips {}, relaxation flips {}{}; stock updates {}",
        case.name,
        n,
        case.steps,
        diffs[0],
        diffs[1],
        diffs[2],
        diffs[3],
        n_flips,
        relax_flips,
        if replayed {
            " (replayed with the peer's switches)"
        } else {
            ""
        },
        limiting
    );
    for (d, what) in diffs.iter().zip([
        "production",
        "final demand unmet",
        "final demand undist",
        "inventories",
    ]) {
        assert!(
            *d <= TOL,
            "{}: {what} differs from BoARIO by {d:e} relative (> {TOL:e})",
            case.name
        );
    }
}

const ARB: &str = r#"[{"event_type":"arbitrary","regions":["reg3"],"sectors":["mining"],"impact":0.5,"occurrence":10,"duration":60,"recovery_tau":30}]"#;

macro_rules! cases {
    ($($name:ident: $case:expr;)*) => {$(
        #[test]
        fn $name() {
            check(&$case);
        }
    )*};
}

cases! {
    test_mrio_arbitrary_default: Case { name: "test/arbitrary", src: Src::TestMrio, flags: &[], events_json: ARB, steps: 200 };
    test_mrio_arbitrary_noalt_short_inv: Case { name: "test/arbitrary noalt inv10", src: Src::TestMrio,
        flags: &["--order-type", "noalt", "--main-inv-dur", "10"],
        events_json: r#"[{"event_type":"arbitrary","regions":["reg3"],"sectors":["mining"],"impact":0.9,"occurrence":10,"duration":120,"recovery_tau":30}]"#, steps: 200 };
    test_mrio_recovery_inv5: Case { name: "test/recovery inv5", src: Src::TestMrio, flags: &["--main-inv-dur", "5"],
        events_json: r#"[{"event_type":"recovery","regions":["reg3"],"sectors":["mining"],"impact":0.9,"occurrence":10,"duration":100,"recovery_tau":30}]"#, steps: 200 };
    test_mrio_rebuild: Case { name: "test/rebuild", src: Src::TestMrio, flags: &[],
        events_json: r#"[{"event_type":"rebuild","regions":["reg2","reg3"],"sectors":["mining","manufactoring"],"impact":0.05,"occurrence":5,"duration":20}]"#, steps: 150 };
    test_mrio_base_model_convexe: Case { name: "test/base convexe", src: Src::TestMrio,
        flags: &["--model", "base", "--alpha-max", "1.1", "--alpha-tau", "100"],
        events_json: r#"[{"event_type":"arbitrary","regions":["reg1","reg2"],"sectors":["electricity"],"impact":0.4,"occurrence":3,"duration":30,"recovery_tau":40,"recovery_function":"convexe"}]"#, steps: 150 };
    test_mrio_infinite_inventories: Case { name: "test/infinite inv psi0.6", src: Src::TestMrio,
        flags: &["--infinite-inv-sectors", "trade", "other", "--psi", "0.6", "--inv-restoration-tau", "30"],
        events_json: r#"[{"event_type":"recovery","regions":["reg5"],"sectors":["food","transport"],"impact":0.6,"occurrence":7,"duration":20,"recovery_tau":50,"recovery_function":"concave"}]"#, steps: 150 };
    synth_arbitrary: Case { name: "synth 5x12 s1 arbitrary", src: Src::Synth { regions: 5, sectors: 12, seed: 1, zero_share: 0.3 }, flags: &[],
        events_json: r#"[{"event_type":"arbitrary","regions":["r001"],"sectors":["s0003","s0007"],"impact":0.7,"occurrence":5,"duration":40,"recovery_tau":20}]"#, steps: 150 };
    synth_recovery_noalt: Case { name: "synth 4x10 s2 recovery noalt", src: Src::Synth { regions: 4, sectors: 10, seed: 2, zero_share: 0.5 },
        flags: &["--order-type", "noalt", "--main-inv-dur", "20"],
        events_json: r#"[{"event_type":"recovery","regions":["r000","r002"],"sectors":["s0001"],"impact":0.8,"occurrence":4,"duration":30,"recovery_tau":60,"recovery_function":"convexe noscale"}]"#, steps: 150 };
    synth_rebuild: Case { name: "synth 3x8 s3 rebuild", src: Src::Synth { regions: 3, sectors: 8, seed: 3, zero_share: 0.2 }, flags: &["--rebuild-tau", "30"],
        events_json: r#"[{"event_type":"rebuild","regions":["r001"],"sectors":["s0002","s0005"],"impact":0.1,"occurrence":6,"duration":10,"rebuilding_sectors":{"s0000":0.7,"s0004":0.3}}]"#, steps: 150 };
}

#[test]
fn sweep() {
    if std::env::var_os("CHOKEPOINT_PEER_SWEEP").is_none() {
        eprintln!("sweep skipped; set CHOKEPOINT_PEER_SWEEP=1 to run it");
        return;
    }
    let flag_sets: [&[&str]; 4] = [
        &[],
        &["--order-type", "noalt", "--main-inv-dur", "15"],
        &["--model", "base", "--alpha-max", "1.5", "--alpha-tau", "60"],
        &[
            "--psi",
            "0.9",
            "--inv-restoration-tau",
            "10",
            "--main-inv-dur",
            "30",
        ],
    ];
    let mut failed = Vec::new();
    for seed in 10..16u64 {
        let (r, s) = (2 + (seed as usize % 4), 5 + (seed as usize * 7 % 11));
        for (k, flags) in flag_sets.iter().enumerate() {
            let ev = match k % 3 {
                0 => {
                    r#"[{"event_type":"arbitrary","regions":["r000"],"sectors":["s0000","s0001"],"impact":0.8,"occurrence":5,"duration":50,"recovery_tau":30}]"#
                }
                1 => {
                    r#"[{"event_type":"recovery","regions":["r001"],"sectors":["s0002"],"impact":0.9,"occurrence":5,"duration":40,"recovery_tau":40}]"#
                }
                _ => {
                    r#"[{"event_type":"rebuild","regions":["r000"],"sectors":["s0001"],"impact":0.2,"occurrence":5,"duration":10,"rebuilding_sectors":{"s0003":1.0}}]"#
                }
            };
            let name = format!("sweep seed {seed} set {k}");
            // run every case, then fail with the list (one open case must not hide the rest)
            let run = std::panic::catch_unwind(|| {
                check(&Case {
                    name: &name,
                    src: Src::Synth {
                        regions: r,
                        sectors: s,
                        seed,
                        zero_share: 0.3,
                    },
                    flags,
                    events_json: ev,
                    steps: 365,
                })
            });
            if run.is_err() {
                failed.push(name);
            }
        }
    }
    assert!(failed.is_empty(), "sweep cases failed: {failed:?}");
}
