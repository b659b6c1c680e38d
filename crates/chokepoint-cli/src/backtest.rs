//! `chokepoint backtest`: the model against history, one [`Target`] or several at once. Each
//! target prints its table and error measure ([`Report`], built by one function per target
//! from `chokepoint_core::backtest`); with several targets, or any option beyond the single
//! target of earlier versions (`--hold-out-from`, `--fit`, `--paths`), a summary follows with
//! one line per target. `backtest` alone prints what it always printed (China's 2025 magnet
//! exports), byte for byte: it is pinned by the golden digests.

use crate::table::aligned;
use crate::{Failure, inputs, print_out};
use anyhow::anyhow;
use chokepoint_core::backtest::{
    Backtest, CHINA_MAGNET_EXPORTS_2025, FIRST_END_USE_STOPPAGES_2025, Fit,
    JAPAN_IMPORTS_FROM_CHINA_2010_11, Month, PRICE_TARGETS_2025, PriceError, PriceMeasure,
    SeriesError, StoppageBacktest, backtest, backtest_prices, backtest_stoppages, fit_exports,
    objective, parse_first_stoppages, parse_observations, parse_price_targets, products_at,
    stoppage_odds,
};
use chokepoint_core::library;
use chokepoint_core::model::Stage;
use chokepoint_core::montecarlo::{self, SeriesSet};
use chokepoint_core::scenario::Scenario;
use chokepoint_core::uncertain::Uncertainty;
use clap::{Args, ValueEnum};
use jiff::civil::Date;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// Scenario file, or `builtin:NAME`, for every target [default: builtin:april-2025, and
    /// builtin:japan-2010 for japan-2010]
    scenario: Option<String>,
    /// Random seed; overrides the scenario's `seed`
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Replace the scenario's base dataset (a TOML file or a folder of them)
    #[arg(long, value_name = "PATH")]
    data: Option<PathBuf>,
    /// What to compare with history: one target, a comma-separated list, or `all`
    #[arg(long, value_enum, value_delimiter = ',', default_value = "exports")]
    target: Vec<Target>,
    /// Exports: months starting on or after this date are held out of the fit and reported
    /// apart [default: 2025-09-01]
    #[arg(long, value_name = "YYYY-MM-DD")]
    hold_out_from: Option<Date>,
    /// Exports: run the backtest for each value of one parameter, choose the one with the least
    /// error on the months before --hold-out-from and report its error on the months held out.
    /// NAME: adaptation-rate, fill-memory-days or an uncertain parameter's label
    #[arg(long, value_name = "NAME=V1,V2,...", value_parser = parse_fit)]
    fit: Option<FitSpec>,
    /// Stoppages: also run N Monte Carlo paths and report the fraction of them in which each
    /// region stopped by its documented date
    #[arg(long, value_name = "N", value_parser = crate::montecarlo::parse_paths)]
    paths: Option<u64>,
    /// Worker threads for --paths and --fit [default: available cores]; results do not
    /// depend on it
    #[arg(long, value_name = "T", value_parser = crate::montecarlo::parse_threads)]
    threads: Option<usize>,
}

/// What `chokepoint backtest` compares with history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Target {
    /// China's monthly magnet exports of 2025, total and to the USA
    Exports,
    /// China's monthly rare-earth exports to Japan, Sep 2010 - Mar 2011 [default scenario: builtin:japan-2010]
    #[value(name = "japan-2010")]
    Japan2010,
    /// The first documented end-use production stoppage of 2025 in each region
    Stoppages,
    /// China's own price change and the premium outside China, 2025 (Dy, Tb, NdPr oxide, magnets)
    Prices,
    /// Every target above
    All,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Exports => "exports",
            Target::Japan2010 => "japan-2010",
            Target::Stoppages => "stoppages",
            Target::Prices => "prices",
            Target::All => "all",
        }
    }

    /// The scenario a target runs when none is given.
    fn default_scenario(self) -> String {
        match self {
            Target::Japan2010 => "builtin:japan-2010".into(),
            _ => format!("builtin:{}", library::DEFAULT_SCENARIO),
        }
    }
}

/// `--fit NAME=V1,V2,...`.
#[derive(Debug, Clone, PartialEq)]
pub struct FitSpec {
    name: String,
    values: Vec<f64>,
}

fn parse_fit(s: &str) -> Result<FitSpec, String> {
    let hint = "write NAME=V1,V2,..., e.g. adaptation-rate=0,0.002,0.005,0.01,0.02";
    let Some((name, values)) = s.split_once('=') else {
        return Err(format!(
            "`{s}` has no `=` between the name and its values ({hint})"
        ));
    };
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("`{s}` names no parameter ({hint})"));
    }
    let values = values
        .split(',')
        .map(|v| match v.trim().parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(x),
            _ => Err(format!("`{}` is not a number ({hint})", v.trim())),
        })
        .collect::<Result<Vec<f64>, String>>()?;
    Ok(FitSpec {
        name: name.into(),
        values,
    })
}

/// The default start of the held-out months: Sep-Dec 2025 (four months of the total and four
/// of the US series) are held out, Mar-Aug (six and three) are fitted.
const HOLD_OUT_FROM: Month = (2025, 9);

/// What one target printed: its block and its summary line.
struct Report {
    text: String,
    summary: String,
}

/// `chokepoint backtest`.
pub fn backtest_cmd(args: BacktestArgs) -> Result<(), Failure> {
    let mut targets: Vec<Target> = Vec::new();
    for t in &args.target {
        let expanded: &[Target] = match t {
            Target::All => &[
                Target::Exports,
                Target::Stoppages,
                Target::Japan2010,
                Target::Prices,
            ],
            t => std::slice::from_ref(t),
        };
        for t in expanded {
            if !targets.contains(t) {
                targets.push(*t);
            }
        }
    }
    check_options(&args, &targets)?;
    let legacy = matches!(
        targets[..],
        [Target::Exports | Target::Stoppages | Target::Japan2010]
    ) && args.hold_out_from.is_none()
        && args.fit.is_none()
        && args.paths.is_none();
    if legacy && targets[0] == Target::Exports {
        let (scenario, _) = load(&args, Target::Exports)?;
        let seed = args.seed.unwrap_or(scenario.settings.seed);
        return print_out(&exports(&scenario, seed, Target::Exports)?.0);
    }
    let hold_out_from = args.hold_out_from.map_or(HOLD_OUT_FROM, month_from);
    let mut reports = Vec::new();
    for &t in &targets {
        let (scenario, unc) = load(&args, t)?;
        let seed = args.seed.unwrap_or(scenario.settings.seed);
        reports.push(match t {
            Target::Exports => exports_report(&scenario, &unc, seed, &args, hold_out_from)?,
            Target::Japan2010 => japan_report(&scenario, seed)?,
            Target::Stoppages => stoppages_report(&scenario, &unc, seed, &args)?,
            Target::Prices => prices_report(&scenario, seed)?,
            Target::All => unreachable!("expanded above"),
        });
    }
    let mut out = String::new();
    for (i, r) in reports.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&r.text);
    }
    if !legacy {
        out.push_str("\nsummary\n");
        let width = targets.iter().map(|t| t.name().len()).max().unwrap_or(0);
        for (t, r) in targets.iter().zip(&reports) {
            out.push_str(&format!("{:width$}  {}\n", t.name(), r.summary));
        }
    }
    print_out(&out)
}

/// Refuses options that no chosen target reads, every one at once.
fn check_options(args: &BacktestArgs, targets: &[Target]) -> Result<(), Failure> {
    let mut problems = Vec::new();
    let needs = |flag: &str, target: Target, given: bool, problems: &mut Vec<String>| {
        if given && !targets.contains(&target) {
            problems.push(format!(
                "{flag} applies to the {} target, which is not among those chosen",
                target.name()
            ));
        }
    };
    needs(
        "--hold-out-from",
        Target::Exports,
        args.hold_out_from.is_some(),
        &mut problems,
    );
    needs("--fit", Target::Exports, args.fit.is_some(), &mut problems);
    needs(
        "--paths",
        Target::Stoppages,
        args.paths.is_some(),
        &mut problems,
    );
    if problems.is_empty() {
        return Ok(());
    }
    Err(Failure::input(
        anyhow!("{}", problems.join("; ")),
        Some(
            "add the target to --target (e.g. --target exports,stoppages) or leave the option out"
                .into(),
        ),
    ))
}

/// The first month that starts on or after `d`.
fn month_from(d: Date) -> Month {
    if d.day() == 1 {
        (d.year(), d.month())
    } else if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    }
}

fn month_text((y, m): Month) -> String {
    format!("{y}-{m:02}")
}

/// The scenario (with its uncertain parameters) that `target` runs.
fn load(args: &BacktestArgs, target: Target) -> Result<(Scenario, Uncertainty), Failure> {
    let spec = args
        .scenario
        .clone()
        .unwrap_or_else(|| target.default_scenario());
    let (loaded, _, _) =
        crate::load_by(&spec, args.data.as_deref(), inputs::Loaded::parse_uncertain)?;
    Ok(loaded)
}

/// The exports or japan-2010 block: the text `backtest` printed before issue 17 and the
/// backtest behind it.
fn exports(scenario: &Scenario, seed: u64, target: Target) -> Result<(String, Backtest), Failure> {
    let ((file, text), what, stage) = observed_exports(target);
    let observed = parse_observations(text).map_err(|e| Failure::Run(anyhow!("{file}: {e}")))?;
    let products = products_at(&scenario.world, stage);
    let bt = backtest(scenario, seed, "CHN", products, &observed)
        .map_err(|e| Failure::input(anyhow!(e), None))?;
    let mut out = format!(
        "{}: seed {seed}; China's {what} ({}), simulated vs observed ({file})\n",
        scenario.settings.name, bt.unit
    );
    let rows: Vec<Vec<String>> = bt
        .rows
        .iter()
        .map(|r| {
            let err = r.observed.map_or("-".into(), |o| {
                format!("{:+.0}%", 100.0 * (r.simulated - o) / o)
            });
            vec![
                format!("{}-{:02}", r.year, r.month),
                r.importer.clone().unwrap_or_else(|| "all".into()),
                format!("{:.0}", r.simulated),
                r.observed.map_or("-".into(), |o| format!("{o:.0}")),
                err,
                r.source.clone().unwrap_or_default(),
            ]
        })
        .collect();
    out.push_str(&aligned(
        &["month", "to", "simulated", "observed", "error", "source"],
        &[true, true, false, false, false, true],
        &rows,
    ));
    // A series without observations (the total, when only one destination is observed) has
    // no error to report.
    for (e, (_, base)) in bt
        .errors
        .iter()
        .zip(&bt.baseline)
        .filter(|(e, _)| e.months > 0)
    {
        let to = e.importer.clone().unwrap_or_else(|| "all".into());
        let base = match base {
            Some(b) => format!("simulated pre-control baseline {b:.0} {}/month", bt.unit),
            None => "no pre-control period (the run starts inside a regime)".into(),
        };
        out.push_str(&format!(
            "to {to}: MAPE {:.1}% over {} months; simulated/observed total {:.2}; {base}\n",
            100.0 * e.mape,
            e.months,
            e.ratio_of_totals,
        ));
    }
    Ok((out, bt))
}

/// The observations, what they count and the stage of the products counted, of an exports
/// target.
fn observed_exports(target: Target) -> ((&'static str, &'static str), &'static str, Stage) {
    match target {
        Target::Japan2010 => (
            JAPAN_IMPORTS_FROM_CHINA_2010_11,
            "rare-earth oxide exports",
            Stage::Separation,
        ),
        _ => (CHINA_MAGNET_EXPORTS_2025, "magnet exports", Stage::Magnet),
    }
}

/// `to all 19.8% (10 months), to USA 30.2% (7)`: the MAPE of each series with months.
fn mapes(errors: &[SeriesError]) -> String {
    let parts: Vec<String> = errors
        .iter()
        .filter(|e| e.months > 0)
        .map(|e| {
            format!(
                "to {} {:.1}% ({} months)",
                e.importer.as_deref().unwrap_or("all"),
                100.0 * e.mape,
                e.months
            )
        })
        .collect();
    if parts.is_empty() {
        "no observed months".into()
    } else {
        parts.join(", ")
    }
}

/// The exports block with the errors of the fitting window and of the held-out months, and
/// the fit table when `--fit` is given.
fn exports_report(
    scenario: &Scenario,
    unc: &Uncertainty,
    seed: u64,
    args: &BacktestArgs,
    hold_out_from: Month,
) -> Result<Report, Failure> {
    let (mut text, bt) = exports(scenario, seed, Target::Exports)?;
    let (fit, held_out) = bt.split(hold_out_from);
    let from = month_text(hold_out_from);
    text.push_str(&format!(
        "MAPE before {from} (fitting window): {}\nMAPE from {from} on (held out): {}\n",
        mapes(&fit),
        mapes(&held_out)
    ));
    let mut summary = format!(
        "MAPE {}; held out from {from}: {}",
        mapes(&bt.errors),
        mapes(&held_out)
    );
    if let Some(spec) = &args.fit {
        let ((_, obs_text), _, stage) = observed_exports(Target::Exports);
        let observed = parse_observations(obs_text).map_err(|e| Failure::Run(anyhow!(e)))?;
        let products = products_at(&scenario.world, stage);
        let f = fit_exports(
            scenario,
            unc,
            &spec.name,
            &spec.values,
            seed,
            "CHN",
            &products,
            &observed,
            hold_out_from,
            crate::montecarlo::threads_or_cores(args.threads),
        )
        .map_err(|e| {
            Failure::input(
                anyhow!("--fit {}: {e}", spec.name),
                Some(fit_hint(scenario, unc)),
            )
        })?;
        text.push_str(&fit_table(&f));
        if let Some(b) = f.best {
            let p = &f.points[b];
            summary.push_str(&format!(
                "; fitted {} = {}: held out {}",
                f.parameter,
                p.value,
                mapes(&p.held_out)
            ));
        }
    }
    Ok(Report { text, summary })
}

/// What `--fit` can set on `scenario`.
fn fit_hint(scenario: &Scenario, unc: &Uncertainty) -> String {
    let mut names: Vec<String> = chokepoint_core::backtest::FIT_SETTINGS
        .iter()
        .map(|s| s.to_string())
        .collect();
    names.extend(unc.params.iter().map(|p| format!("`{}`", p.label)));
    format!("{} can fit: {}", scenario.settings.name, names.join(", "))
}

/// The grid of a fit: per value the in-window and held-out errors, the chosen value marked.
fn fit_table(f: &Fit) -> String {
    let from = month_text(f.hold_out_from);
    let series: Vec<String> = f.points[0]
        .fit
        .iter()
        .map(|e| e.importer.clone().unwrap_or_else(|| "all".into()))
        .collect();
    let mut header = vec![f.parameter.clone()];
    for s in &series {
        header.push(format!("fit {s}"));
    }
    header.push("fit objective".into());
    for s in &series {
        header.push(format!("held-out {s}"));
    }
    header.push("held-out objective".into());
    let pct = |e: &SeriesError| {
        if e.months > 0 {
            format!("{:.1}%", 100.0 * e.mape)
        } else {
            "-".into()
        }
    };
    let rows: Vec<Vec<String>> = f
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mark = if f.best == Some(i) { " *" } else { "" };
            let mut row = vec![format!("{}{mark}", p.value)];
            row.extend(p.fit.iter().map(pct));
            row.push(format!("{:.3}", objective(&p.fit)));
            row.extend(p.held_out.iter().map(pct));
            row.push(format!("{:.3}", objective(&p.held_out)));
            row
        })
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut left = vec![false; header.len()];
    left[0] = true;
    let mut out = format!(
        "fit of {} on the months before {from} (objective: MAPE of the total + 1/2 MAPE of each destination), held out from {from}:\n",
        f.parameter
    );
    out.push_str(&aligned(&header, &left, &rows));
    match f.best {
        Some(b) => {
            let p = &f.points[b];
            out.push_str(&format!(
                "chosen {} = {} (least fitting-window objective {:.3}); out of sample, from {from}: {}\n",
                f.parameter,
                p.value,
                objective(&p.fit),
                mapes(&p.held_out)
            ));
        }
        None => out.push_str(&format!(
            "no value chosen: no observed month before {from}\n"
        )),
    }
    out
}

fn japan_report(scenario: &Scenario, seed: u64) -> Result<Report, Failure> {
    let (text, bt) = exports(scenario, seed, Target::Japan2010)?;
    let ratio: Vec<String> = bt
        .errors
        .iter()
        .filter(|e| e.months > 0)
        .map(|e| format!("{:.2}", e.ratio_of_totals))
        .collect();
    let summary = format!(
        "MAPE {}; simulated/observed total {}",
        mapes(&bt.errors),
        if ratio.is_empty() {
            "-".into()
        } else {
            ratio.join(", ")
        }
    );
    Ok(Report { text, summary })
}

/// The stoppages block: the first end-use shortfall of the run against the first documented
/// stoppage in each region, and with `--paths` the Monte Carlo odds of each.
fn stoppages_report(
    scenario: &Scenario,
    unc: &Uncertainty,
    seed: u64,
    args: &BacktestArgs,
) -> Result<Report, Failure> {
    let (file, text) = FIRST_END_USE_STOPPAGES_2025;
    let observed = parse_first_stoppages(text).map_err(|e| Failure::Run(anyhow!("{file}: {e}")))?;
    let bt = backtest_stoppages(scenario, seed, &observed)
        .map_err(|e| Failure::input(anyhow!(e), None))?;
    let mut out = stoppages_text(scenario, seed, &bt);
    let mut summary = stoppages_line(&bt);
    if let Some(paths) = args.paths {
        let set = SeriesSet::new(scenario, unc);
        let all: Vec<u64> = (0..paths).collect();
        let threads = crate::montecarlo::threads_or_cores(args.threads);
        let acc = montecarlo::run(scenario, unc, &set, seed, &all, threads, &|_| {});
        let odds = stoppage_odds(
            &scenario.world,
            scenario.settings.reported_start(),
            &set,
            &acc,
            &observed,
        )
        .map_err(|e| Failure::input(anyhow!(e), None))?;
        out.push_str(&format!(
            "Monte Carlo, {paths} paths of seed {seed}: fraction of paths with an end-use shortfall in the region by the documented date, by the end of its month and by the end of the run ({})\n",
            scenario.settings.reported_start().checked_add(jiff::Span::new().days(i64::from(set.days.saturating_sub(1)))).map_or_else(|_| "-".into(), |d| d.to_string())
        ));
        let frac = |x: Option<(Date, f64)>| x.map_or("-".into(), |(_, p)| format!("{p:.3}"));
        let rows: Vec<Vec<String>> = odds
            .iter()
            .map(|o| {
                vec![
                    o.observed.region.clone(),
                    window_text(o.observed.window),
                    frac(o.by_date),
                    frac(o.by_month_end),
                    format!("{:.3}", o.by_run_end.1),
                    o.median.map_or("-".into(), |d| d.to_string()),
                ]
            })
            .collect();
        out.push_str(&aligned(
            &[
                "region",
                "documented",
                "by date",
                "by month end",
                "by run end",
                "median first",
            ],
            &[true, true, false, false, false, true],
            &rows,
        ));
        let documented: Vec<f64> = odds.iter().filter_map(|o| o.by_date.map(|x| x.1)).collect();
        let alarms: Vec<String> = odds
            .iter()
            .filter(|o| o.observed.window.is_none())
            .map(|o| format!("{} {:.3}", o.observed.region, o.by_run_end.1))
            .collect();
        summary.push_str(&format!(
            "; {paths} paths: mean probability by the documented date {}",
            if documented.is_empty() {
                "-".into()
            } else {
                format!(
                    "{:.3}",
                    documented.iter().sum::<f64>() / documented.len() as f64
                )
            }
        ));
        if !alarms.is_empty() {
            summary.push_str(&format!(", where none is documented {}", alarms.join(", ")));
        }
    }
    Ok(Report { text: out, summary })
}

fn window_text(w: Option<(Date, Date)>) -> String {
    w.map_or("none".into(), |(a, b)| {
        if a == b {
            a.to_string()
        } else {
            format!("{a}..{b}")
        }
    })
}

/// The stoppages table as `backtest --target stoppages` printed it before issue 17's options.
fn stoppages_text(scenario: &Scenario, seed: u64, bt: &StoppageBacktest) -> String {
    let (file, _) = FIRST_END_USE_STOPPAGES_2025;
    let mut out = format!(
        "{}: seed {seed}; first end-use shortfall by region, simulated vs the first documented stoppage ({file})\n",
        scenario.settings.name
    );
    let rows: Vec<Vec<String>> = bt
        .rows
        .iter()
        .map(|r| {
            let o = &r.observed;
            vec![
                o.region.clone(),
                window_text(o.window),
                r.simulated
                    .as_ref()
                    .map_or("none".into(), |(d, p)| format!("{d} ({p})")),
                match (r.error_days, &o.window, &r.simulated) {
                    (Some(e), _, _) => format!("{e:+} d"),
                    (None, Some(_), None) => "miss".into(),
                    (None, None, Some(_)) => "false alarm".into(),
                    _ => "-".into(),
                },
                o.source.clone(),
            ]
        })
        .collect();
    out.push_str(&aligned(
        &["region", "documented", "simulated", "error", "source"],
        &[true, true, true, false, true],
        &rows,
    ));
    out.push_str(&stoppages_line(bt));
    out.push('\n');
    out
}

fn stoppages_line(bt: &StoppageBacktest) -> String {
    let documented = bt
        .rows
        .iter()
        .filter(|r| r.observed.window.is_some())
        .count();
    format!(
        "hits {} of {documented} documented; misses {}; false alarms {}; mean |error| {}; order {} of {} pairs as documented",
        bt.hits,
        bt.misses,
        bt.false_alarms,
        bt.mean_abs_error_days
            .map_or("-".into(), |e| format!("{e:.1} days")),
        bt.order.0,
        bt.order.1
    )
}

/// The prices block: each observed ratio against the run's, and the mean absolute log error
/// of China's own change and of the premium outside China.
fn prices_report(scenario: &Scenario, seed: u64) -> Result<Report, Failure> {
    let (file, text) = PRICE_TARGETS_2025;
    let targets = parse_price_targets(text).map_err(|e| Failure::Run(anyhow!("{file}: {e}")))?;
    let bt =
        backtest_prices(scenario, seed, &targets).map_err(|e| Failure::input(anyhow!(e), None))?;
    let mut out = format!(
        "{}: seed {seed}; price ratios, simulated vs observed ({file})\n",
        scenario.settings.name
    );
    let rows: Vec<Vec<String>> = bt
        .rows
        .iter()
        .map(|r| {
            let t = &r.target;
            let (kind, base) = match &t.measure {
                PriceMeasure::Change { base } => ("change", base.to_string()),
                PriceMeasure::Premium { base } => ("premium", base.clone()),
            };
            vec![
                kind.into(),
                t.product.clone(),
                t.region.clone(),
                t.date.to_string(),
                base,
                r.simulated.map_or("-".into(), |s| format!("{s:.2}")),
                format!("{:.2}", t.value),
                r.log_error.map_or("-".into(), |e| format!("{e:+.2}")),
                t.source.clone(),
            ]
        })
        .collect();
    out.push_str(&aligned(
        &[
            "kind",
            "product",
            "region",
            "date",
            "vs",
            "simulated",
            "observed",
            "ln(sim/obs)",
            "source",
        ],
        &[true, true, true, true, true, false, false, false, true],
        &rows,
    ));
    let line = |what: &str, e: &PriceError| {
        if e.n == 0 {
            format!("{what}: no ratio inside the run\n")
        } else {
            format!(
                "{what}: mean |ln(simulated/observed)| {:.3} over {} ratios (off by a factor of {:.2} on average)\n",
                e.mean_abs_log,
                e.n,
                e.mean_abs_log.exp()
            )
        }
    };
    out.push_str(&line("China's own price change", &bt.change));
    out.push_str(&line("premium outside China", &bt.premium));
    let short = |e: &PriceError| {
        if e.n == 0 {
            "-".to_string()
        } else {
            format!("{:.3} ({} ratios)", e.mean_abs_log, e.n)
        }
    };
    let summary = format!(
        "mean |ln(simulated/observed)|: China's own change {}, premium outside China {}",
        short(&bt.change),
        short(&bt.premium)
    );
    Ok(Report { text: out, summary })
}
