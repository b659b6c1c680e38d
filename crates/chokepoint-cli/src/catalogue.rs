//! The commands that let a user audit what the tool ships: `chokepoint scenarios` (the scenario
//! library), `chokepoint data` (every region, product, facility, link, demand, source and number
//! of a dataset with its provenance, and the consistency check) and `chokepoint backtest`
//! (simulated against observed monthly exports).

use crate::table::aligned;
use crate::{Failure, inputs, print_out};
use anyhow::anyhow;
use chokepoint_core::backtest::{
    CHINA_MAGNET_EXPORTS_2025, FIRST_END_USE_STOPPAGES_2025, JAPAN_IMPORTS_FROM_CHINA_2010_11,
    backtest, backtest_stoppages, parse_first_stoppages, parse_observations, products_at,
};
use chokepoint_core::check::{Severity, check_world};
use chokepoint_core::library::{self, Builtins, DATASETS, SCENARIOS};
use chokepoint_core::model::{Stage, World};
use chokepoint_core::scenario::{BaseResolver, SourceText, parse_scenario, parse_world};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// `chokepoint scenarios`: one line per library scenario.
pub fn scenarios() -> Result<(), Failure> {
    let mut rows = Vec::new();
    for (name, path, text) in SCENARIOS {
        let s = parse_scenario(SourceText { name: path, text }, &Builtins).map_err(|diags| {
            Failure::Invalid {
                file: path.to_string(),
                diags,
                kind: "scenario",
            }
        })?;
        let base = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("base = "))
            .map(|b| b.trim_matches('"').to_string())
            .unwrap_or_default();
        rows.push(vec![
            format!("builtin:{name}"),
            base,
            s.settings.reported_start().to_string(),
            s.settings.reported_days().to_string(),
            s.events.len().to_string(),
            s.settings.name.clone(),
        ]);
    }
    let header = ["scenario", "base", "start", "days", "events", "title"];
    let left = [true, true, true, false, false, true];
    print_out(&aligned(&header, &left, &rows))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DataView {
    Regions,
    Products,
    Facilities,
    Links,
    Demand,
    Sources,
    /// Every number with its unit, source, confidence and note
    Numbers,
    /// Consistency check of the baseline (exports above production, shares, missing suppliers)
    Check,
}

#[derive(Debug, Args)]
pub struct DataArgs {
    /// What to list
    #[arg(value_enum, default_value = "numbers")]
    view: DataView,
    /// Embedded dataset to read [default: the default scenario's base]
    #[arg(long, value_name = "NAME", conflicts_with = "data")]
    dataset: Option<String>,
    /// Your own dataset: a TOML file or a folder of them (read in name order)
    #[arg(long, value_name = "PATH")]
    data: Option<PathBuf>,
    /// Keep only rows containing this text (case-insensitive)
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,
    /// Print CSV instead of an aligned table
    #[arg(long)]
    csv: bool,
}

/// The dataset a `data` command reads: `--data`, `--dataset`, or the default scenario's base.
fn load_world(args: &DataArgs) -> Result<World, Failure> {
    let files: Vec<(String, String)> = if let Some(path) = &args.data {
        inputs::read_dataset(path).map_err(|e| {
            Failure::input(
                anyhow!(e).context(format!("cannot read dataset `{}`", path.display())),
                Some("give a dataset .toml file or a folder of .toml files".into()),
            )
        })?
    } else {
        let name = match &args.dataset {
            Some(n) => n.clone(),
            None => default_base(),
        };
        Builtins
            .resolve(&format!("builtin:{name}"))
            .ok_or_else(|| {
                let known: Vec<&str> = DATASETS.iter().map(|d| d.name).collect();
                Failure::input(
                    anyhow!("unknown dataset `{name}`"),
                    Some(format!("embedded datasets: {}", known.join(", "))),
                )
            })?
    };
    let srcs: Vec<SourceText> = files
        .iter()
        .map(|(n, t)| SourceText { name: n, text: t })
        .collect();
    let name = match &args.data {
        Some(p) => p.display().to_string(),
        None => files.first().map(|f| f.0.clone()).unwrap_or_default(),
    };
    parse_world(&srcs).map_err(|diags| Failure::Invalid {
        file: name,
        diags,
        kind: "dataset",
    })
}

/// The dataset the default scenario is built on.
fn default_base() -> String {
    library::scenario_text(library::DEFAULT_SCENARIO)
        .and_then(|(_, text)| {
            text.lines()
                .find_map(|l| l.trim().strip_prefix("base = \"builtin:"))
                .map(|b| b.trim_end_matches('"').to_string())
        })
        .unwrap_or_else(|| DATASETS[0].name.to_string())
}

/// Provenance of a number of the world, as "source (confidence)".
fn cite(world: &World, what: &str) -> (String, String) {
    match world.provenance.iter().find(|p| p.what == what) {
        Some(p) => (
            p.source.clone().unwrap_or_else(|| "-".into()),
            p.confidence.map_or("-".into(), |c| c.as_str().into()),
        ),
        None => ("-".into(), "-".into()),
    }
}

fn num(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{}", (v * 1e6).round() / 1e6)
    }
}

/// `chokepoint data VIEW`.
pub fn data(args: DataArgs) -> Result<(), Failure> {
    let world = load_world(&args)?;
    let w = &world;
    let code = |r: chokepoint_core::model::RegionId| w.regions[r.ix()].code.clone();
    let pcode = |p: chokepoint_core::model::ProductId| w.products[p.ix()].code.clone();
    let (header, rows): (Vec<&str>, Vec<Vec<String>>) = match args.view {
        DataView::Regions => (
            vec!["region", "name", "groups"],
            w.regions
                .iter()
                .map(|r| vec![r.code.clone(), r.name.clone(), r.groups.join(" ")])
                .collect(),
        ),
        DataView::Products => (
            vec![
                "product",
                "stage",
                "unit",
                "content kg/kg",
                "price USD/kg",
                "source",
                "confidence",
                "name",
            ],
            w.products
                .iter()
                .map(|p| {
                    let (src, conf) = cite(w, &format!("product {} price", p.code));
                    let content: Vec<String> = p
                        .content
                        .iter()
                        .map(|(e, c)| format!("{e}={}", num(*c)))
                        .collect();
                    vec![
                        p.code.clone(),
                        p.stage.as_str().into(),
                        p.unit.clone(),
                        content.join(" "),
                        num(p.price),
                        src,
                        conf,
                        p.name.clone(),
                    ]
                })
                .collect(),
        ),
        DataView::Facilities => {
            let net = chokepoint_core::network::Network::new(w);
            (
                vec![
                    "region",
                    "product",
                    "capacity/yr",
                    "baseline/yr",
                    "utilisation",
                    "unit",
                    "source",
                    "confidence",
                    "plants",
                ],
                w.facilities
                    .iter()
                    .map(|f| {
                        let n = net.node(f.region, f.product);
                        let prod = net.baseline_output(n);
                        let (src, conf) = cite(
                            w,
                            &format!("facility {} {} capacity", code(f.region), pcode(f.product)),
                        );
                        vec![
                            code(f.region),
                            pcode(f.product),
                            num((f.capacity * 365.0).round()),
                            num((prod * 365.0).round()),
                            format!("{:.0}%", 100.0 * prod / f.capacity.max(f64::MIN_POSITIVE)),
                            w.products[f.product.ix()].unit.clone(),
                            src,
                            conf,
                            f.plants.join("; "),
                        ]
                    })
                    .collect(),
            )
        }
        DataView::Links => {
            let net = chokepoint_core::network::Network::new(w);
            (
                vec![
                    "from",
                    "to",
                    "product",
                    "share",
                    "baseline/yr",
                    "transit d",
                    "tariff",
                    "source",
                    "confidence",
                ],
                w.links
                    .iter()
                    .enumerate()
                    .map(|(i, l)| {
                        let (src, conf) = cite(
                            w,
                            &format!(
                                "link {} {} {} share",
                                code(l.from),
                                code(l.to),
                                pcode(l.product)
                            ),
                        );
                        vec![
                            code(l.from),
                            code(l.to),
                            pcode(l.product),
                            num(l.share),
                            num((net.flow0[i] * 365.0).round()),
                            l.transit_days.to_string(),
                            num(l.tariff),
                            src,
                            conf,
                        ]
                    })
                    .collect(),
            )
        }
        DataView::Demand => (
            vec![
                "region",
                "product",
                "end use",
                "quantity/yr",
                "growth/yr",
                "elasticity",
                "source",
                "confidence",
            ],
            w.demands
                .iter()
                .map(|d| {
                    let (src, conf) = cite(
                        w,
                        &format!(
                            "demand {} {} {} quantity",
                            code(d.region),
                            pcode(d.product),
                            d.end_use
                        ),
                    );
                    vec![
                        code(d.region),
                        pcode(d.product),
                        d.end_use.clone(),
                        num((d.quantity * 365.0).round()),
                        num(d.growth),
                        num(d.elasticity),
                        src,
                        conf,
                    ]
                })
                .collect(),
        ),
        DataView::Sources => (
            vec!["source", "numbers", "title", "url"],
            w.sources
                .iter()
                .map(|s| {
                    let n = w
                        .provenance
                        .iter()
                        .filter(|p| p.source.as_deref() == Some(&s.id))
                        .count();
                    vec![s.id.clone(), n.to_string(), s.title.clone(), s.url.clone()]
                })
                .collect(),
        ),
        DataView::Numbers => (
            vec!["number", "value", "unit", "source", "confidence", "note"],
            w.provenance
                .iter()
                .map(|p| {
                    vec![
                        p.what.clone(),
                        num(p.value),
                        p.unit.clone(),
                        p.source.clone().unwrap_or_else(|| "-".into()),
                        p.confidence.map_or("-".into(), |c| c.as_str().into()),
                        p.note.clone().unwrap_or_default(),
                    ]
                })
                .collect(),
        ),
        DataView::Check => {
            let findings = check_world(w);
            let errors = findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .count();
            let rows: Vec<Vec<String>> = findings
                .iter()
                .map(|f| {
                    vec![
                        f.severity.as_str().into(),
                        f.what.clone(),
                        f.message.clone(),
                    ]
                })
                .collect();
            emit(&["severity", "what", "problem"], rows, &args)?;
            let warnings = findings.len() - errors;
            let plural = |n: usize| if n == 1 { "" } else { "s" };
            print_out(&format!(
                "{errors} error{}, {warnings} warning{}\n",
                plural(errors),
                plural(warnings)
            ))?;
            return if errors > 0 {
                Err(Failure::input(
                    anyhow!("the dataset's baseline is inconsistent"),
                    Some("fix the facilities, links or recipes named above".into()),
                ))
            } else {
                Ok(())
            };
        }
    };
    emit(&header, rows, &args)
}

/// Prints rows as a table or CSV after applying `--filter`.
fn emit(header: &[&str], rows: Vec<Vec<String>>, args: &DataArgs) -> Result<(), Failure> {
    let needle = args.filter.as_ref().map(|f| f.to_lowercase());
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .filter(|r| {
            needle
                .as_ref()
                .is_none_or(|n| r.join(" ").to_lowercase().contains(n))
        })
        .collect();
    if args.csv {
        let mut w = csv::Writer::from_writer(Vec::new());
        let io = |e: csv::Error| Failure::Run(anyhow!(e).context("cannot format CSV"));
        w.write_record(header).map_err(io)?;
        for r in &rows {
            w.write_record(r).map_err(io)?;
        }
        let bytes = w.into_inner().map_err(|e| Failure::Run(anyhow!("{e}")))?;
        return print_out(&String::from_utf8_lossy(&bytes));
    }
    let left: Vec<bool> = header
        .iter()
        .map(|h| {
            !(h.contains("/yr")
                || h.contains("USD")
                || *h == "share"
                || *h == "numbers"
                || *h == "value"
                || h.starts_with("transit")
                || *h == "tariff"
                || *h == "growth/yr"
                || *h == "elasticity"
                || *h == "utilisation")
        })
        .collect();
    print_out(&aligned(header, &left, &rows))
}

#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// Scenario file, or `builtin:NAME` [default: builtin:april-2025]
    scenario: Option<String>,
    /// Random seed; overrides the scenario's `seed`
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Replace the scenario's base dataset (a TOML file or a folder of them)
    #[arg(long, value_name = "PATH")]
    data: Option<PathBuf>,
    /// What to compare with history
    #[arg(long, value_enum, default_value_t = Target::Exports)]
    target: Target,
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
}

/// `chokepoint backtest --target stoppages`: the first day each region's end-use products ran
/// short in the run against the first documented stoppage, with hits, misses, false alarms,
/// the mean error in days and the order of regions.
fn backtest_stoppages_cmd(
    scenario: &chokepoint_core::scenario::Scenario,
    seed: u64,
) -> Result<(), Failure> {
    let (file, text) = FIRST_END_USE_STOPPAGES_2025;
    let observed = parse_first_stoppages(text).map_err(|e| Failure::Run(anyhow!("{file}: {e}")))?;
    let bt = backtest_stoppages(scenario, seed, &observed)
        .map_err(|e| Failure::input(anyhow!(e), None))?;
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
                o.window.map_or("none".into(), |(a, b)| {
                    if a == b {
                        a.to_string()
                    } else {
                        format!("{a}..{b}")
                    }
                }),
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
    let documented = bt
        .rows
        .iter()
        .filter(|r| r.observed.window.is_some())
        .count();
    out.push_str(&format!(
        "hits {} of {documented} documented; misses {}; false alarms {}; mean |error| {}; order {} of {} pairs as documented\n",
        bt.hits,
        bt.misses,
        bt.false_alarms,
        bt.mean_abs_error_days
            .map_or("-".into(), |e| format!("{e:.1} days")),
        bt.order.0,
        bt.order.1
    ));
    print_out(&out)
}

/// `chokepoint backtest`: simulated vs observed monthly China magnet exports, total and to the
/// USA, with the mean absolute percentage error of each series.
pub fn backtest_cmd(args: BacktestArgs) -> Result<(), Failure> {
    let default = match args.target {
        Target::Japan2010 => "builtin:japan-2010".to_string(),
        _ => format!("builtin:{}", library::DEFAULT_SCENARIO),
    };
    let spec = args.scenario.as_deref().unwrap_or(&default);
    let (scenario, _, _) = crate::load(spec, args.data.as_deref())?;
    let seed = args.seed.unwrap_or(scenario.settings.seed);
    let ((file, text), what, stage) = match args.target {
        Target::Stoppages => return backtest_stoppages_cmd(&scenario, seed),
        Target::Exports => (CHINA_MAGNET_EXPORTS_2025, "magnet exports", Stage::Magnet),
        Target::Japan2010 => (
            JAPAN_IMPORTS_FROM_CHINA_2010_11,
            "rare-earth oxide exports",
            Stage::Separation,
        ),
    };
    let observed = parse_observations(text).map_err(|e| Failure::Run(anyhow!("{file}: {e}")))?;
    let products = products_at(&scenario.world, stage);
    let bt = backtest(&scenario, seed, "CHN", products, &observed)
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
        out.push_str(&format!(
            "to {to}: MAPE {:.1}% over {} months; simulated/observed total {:.2}; simulated pre-control baseline {:.0} {}/month\n",
            100.0 * e.mape,
            e.months,
            e.ratio_of_totals,
            base,
            bt.unit
        ));
    }
    print_out(&out)
}
