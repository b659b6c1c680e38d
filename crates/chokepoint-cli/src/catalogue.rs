//! The commands that let a user audit what the tool ships: `chokepoint scenarios` (the scenario
//! library) and `chokepoint data` (every region, product, facility, link, demand, source and
//! number of a dataset with its provenance, and the consistency check). `chokepoint backtest`
//! (the model against history) is `backtest.rs`.

use crate::table::aligned;
use crate::{Failure, inputs, print_out};
use anyhow::anyhow;
use chokepoint_core::check::{Severity, check_world};
use chokepoint_core::library::{self, Builtins, DATASETS, SCENARIOS};
use chokepoint_core::model::World;
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
pub(crate) fn default_base() -> String {
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
