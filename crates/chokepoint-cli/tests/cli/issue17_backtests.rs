//! Issue 17, backtests: several targets at once with a summary line each, the fit on part of
//! the 2025 exports with the rest held out, the price target, and the Monte Carlo probability
//! of an end-use stoppage by date (`stoppages.csv`, `stoppage_dates.csv`, and `backtest
//! --target stoppages --paths N`).

use super::{chokepoint, read_files, temp_dir};

fn ok(dir: &std::path::Path, args: &[&str]) -> String {
    let (code, out, err) = chokepoint(dir, args);
    assert_eq!(code, 0, "{args:?}\n{out}\n{err}");
    out
}

/// `--target exports` alone prints what `backtest` always printed; `all` prints every target's
/// block and then a summary, one line per target with its error measure.
#[test]
fn issue_17_backtest_of_every_target_at_once() {
    let dir = temp_dir("issue17-backtest-all", &[]);
    let legacy = ok(&dir, &["backtest"]);
    assert_eq!(ok(&dir, &["backtest", "--target", "exports"]), legacy);
    let all = ok(&dir, &["backtest", "--target", "all"]);
    assert!(all.starts_with(&legacy), "{all}");
    let (_, summary) = all.split_once("\nsummary\n").expect("a summary");
    let lines: Vec<&str> = summary.lines().collect();
    assert_eq!(lines.len(), 4, "{summary}");
    // The figures themselves are pinned by crates/chokepoint-core/tests/calibration.rs.
    assert!(
        lines[0].starts_with("exports     MAPE to all ")
            && lines[0].contains(" (10 months), to USA ")
            && lines[0].contains("; held out from 2025-09: to all "),
        "{summary}"
    );
    assert!(lines[1].starts_with("stoppages   hits "), "{summary}");
    assert!(
        lines[2].starts_with("japan-2010  MAPE to JPN "),
        "{summary}"
    );
    assert!(
        lines[3].starts_with("prices      mean |ln(simulated/observed)|: China's own change "),
        "{summary}"
    );
    // The four blocks, each with its own scenario: Japan's is builtin:japan-2010.
    assert!(
        all.contains("\nApril 2025 export licensing: seed 1; first end-use shortfall by region")
    );
    assert!(all.contains("\nJapan 2010: quota cut and de facto embargo: seed 1;"));
    assert!(all.contains("\nApril 2025 export licensing: seed 1; price ratios, simulated vs observed (data/observed/price-targets-2025.csv)"));
    // A list runs the targets in its order, each once.
    let two = ok(&dir, &["backtest", "--target", "prices,exports,prices"]);
    let (_, summary) = two.split_once("\nsummary\n").unwrap();
    let names: Vec<&str> = summary.lines().map(|l| &l[..7]).collect();
    assert_eq!(names, ["prices ", "exports"]);
    // The held-out months split the year: Mar-Aug fitted, Sep-Dec held out by default.
    assert!(
        two.contains("\nMAPE before 2025-09 (fitting window): to all "),
        "{two}"
    );
    let later = ok(
        &dir,
        &[
            "backtest",
            "--target",
            "exports",
            "--hold-out-from",
            "2025-10-15",
        ],
    );
    assert!(
        later.contains("\nMAPE from 2025-11 on (held out): to all "),
        "{later}"
    );
    let (code, _, err) = chokepoint(&dir, &["backtest", "--target", "exports,gdp"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("invalid value 'gdp'"), "{err}");
    // An option no chosen target reads is refused, every such option at once.
    let (code, _, err) = chokepoint(
        &dir,
        &[
            "backtest",
            "--target",
            "prices",
            "--paths",
            "10",
            "--fit",
            "adaptation-rate=0",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--fit applies to the exports target, which is not among those chosen; --paths applies to the stoppages target"),
        "{err}"
    );
    assert!(err.contains("hint: add the target to --target"), "{err}");
}

/// `--fit NAME=V1,...` runs every value, marks the one with the least error on the fitting
/// window, and reports that value's error on the held-out months; unknown parameters and
/// values out of range are input errors that say what can be fitted.
#[test]
fn issue_17_backtest_fit_is_shown_out_of_sample() {
    let dir = temp_dir("issue17-backtest-fit", &[]);
    let out = ok(
        &dir,
        &[
            "backtest",
            "--fit",
            "adaptation-rate=0,0.002",
            "--threads",
            "2",
        ],
    );
    let table: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("fit of adaptation-rate"))
        .collect();
    assert!(
        table[1].starts_with("adaptation-rate  fit all  fit USA  fit objective"),
        "{out}"
    );
    assert!(table[2].starts_with("0 "), "{out}");
    assert!(table[3].starts_with("0.002 *"), "{out}");
    assert!(
        table[4].starts_with("chosen adaptation-rate = 0.002 (least fitting-window objective "),
        "{out}"
    );
    // The same with one thread.
    let one = ok(
        &dir,
        &[
            "backtest",
            "--fit",
            "adaptation-rate=0,0.002",
            "--threads",
            "1",
        ],
    );
    assert_eq!(one, out);
    for (fit, says) in [
        ("speed=1", "`speed` is not a parameter a fit can set"),
        ("adaptation-rate=2", "adaptation-rate = 2 is outside [0, 1]"),
    ] {
        let (code, _, err) = chokepoint(&dir, &["backtest", "--fit", fit]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(says), "{err}");
        assert!(
            err.contains(
                "hint: April 2025 export licensing can fit: adaptation-rate, fill-memory-days"
            ),
            "{err}"
        );
    }
    let (code, _, err) = chokepoint(&dir, &["backtest", "--fit", "adaptation-rate=x"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`x` is not a number"), "{err}");
}

/// A Monte Carlo folder holds the probability of an end-use stoppage by date: identical for
/// any thread count, and for shards merged in any order.
#[test]
fn issue_17_stoppage_probabilities_do_not_depend_on_threads_or_shards() {
    let dir = temp_dir("issue17-stoppages-mc", &["end-use-mc.toml"]);
    let common = ["end-use-mc.toml", "--paths", "12", "--seed", "2", "-q"];
    let run = |extra: &[&str]| {
        let mut args = vec!["run"];
        args.extend(common);
        args.extend(extra);
        ok(&dir, &args);
    };
    run(&["--threads", "1", "--out", "t1"]);
    run(&["--threads", "2", "--out", "t2"]);
    for i in 0..3 {
        let (shard, out) = (format!("{i}/3"), format!("s{i}"));
        run(&["--shard", &shard, "--out", &out]);
    }
    ok(&dir, &["merge", "s2", "s0", "s1", "--out", "merged"]);
    let t1 = read_files(&dir.join("t1"));
    for other in ["t2", "merged"] {
        let f = read_files(&dir.join(other));
        for name in ["stoppages.csv", "stoppage_dates.csv"] {
            assert!(f[name] == t1[name], "{name} of {other}");
        }
    }
    let manifest = String::from_utf8(t1["manifest.json"].clone()).unwrap();
    assert!(manifest.contains("\"stoppages.csv\"") && manifest.contains("\"stoppage_dates.csv\""));
    let dates = String::from_utf8(t1["stoppage_dates.csv"].clone()).unwrap();
    let lines: Vec<&str> = dates.lines().collect();
    assert_eq!(
        lines[0],
        "region,product,paths,stopped_paths,probability,p5,p25,p50,p75,p95"
    );
    assert!(lines[1].starts_with("JPN,all,12,12,1,2025-"), "{dates}");
    assert!(lines[3].starts_with("USA,all,12,"), "{dates}");
    // The by-date file ends, on the last day, with the paths stopped by the end of the run.
    let by_date = String::from_utf8(t1["stoppages.csv"].clone()).unwrap();
    assert!(by_date.starts_with("date,region,product,paths,stopped_paths,probability\n"));
    let last: Vec<&str> = by_date.lines().rev().take(5).collect();
    for (row, l) in lines[1..].iter().rev().zip(&last) {
        let f: Vec<&str> = row.split(',').collect();
        let g: Vec<&str> = l.split(',').collect();
        assert_eq!((f[0], f[1], f[3]), (g[1], g[2], g[4]), "{row} vs {l}");
    }
}

/// `backtest --target stoppages --paths N` adds, for each documented stoppage, the fraction of
/// paths stopped by its date, by the end of its month and by the end of the run.
#[test]
fn issue_17_backtest_of_the_stoppages_with_monte_carlo_odds() {
    let dir = temp_dir("issue17-backtest-odds", &[]);
    let out = ok(
        &dir,
        &[
            "backtest",
            "--target",
            "stoppages",
            "--paths",
            "4",
            "--threads",
            "2",
        ],
    );
    let odds: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("Monte Carlo, 4 paths of seed 1:"))
        .collect();
    assert!(
        odds[1].starts_with(
            "region  documented              by date  by month end  by run end  median first"
        ),
        "{out}"
    );
    let regions: Vec<&str> = odds[2..7].iter().map(|l| &l[..3]).collect();
    assert_eq!(regions, ["USA", "JPN", "EUU", "IND", "KOR"]);
    assert!(out.contains("\nstoppages  hits "), "{out}");
    assert!(
        out.contains("; 4 paths: mean probability by the documented date "),
        "{out}"
    );
}

/// A scenario that starts inside a regime (october-2025's spin-up runs under the June licence
/// terms from its first day) has no pre-control period: the backtest says so instead of
/// printing a baseline of "-0" from a one-day run it did not report.
#[test]
fn issue_17_backtest_of_a_warm_start_has_no_pre_control_baseline() {
    let dir = temp_dir("issue17-backtest-warm", &[]);
    let out = ok(&dir, &["backtest", "builtin:october-2025"]);
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("to ")).collect();
    assert_eq!(lines.len(), 2, "{out}");
    for l in lines {
        assert!(
            l.ends_with("; no pre-control period (the run starts inside a regime)"),
            "{l}"
        );
    }
    // A cold start reports its pre-control baseline: within 10% of Q1 2025's 5,089 t a month
    // (E034; docs/calibration.md).
    let cold = ok(&dir, &["backtest"]);
    let baseline: f64 = cold
        .split("; simulated pre-control baseline ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|x| x.parse().ok())
        .unwrap_or_else(|| panic!("no baseline in {cold}"));
    assert!((baseline / 5089.0 - 1.0).abs() < 0.1, "{cold}");
}
