//! `chokepoint risk`: the criticality indices of a dataset with their inputs beside them
//! (docs/criticality.md). [`RiskArgs`] are the flags; [`Selection`] the checked `--region`,
//! `--element` and `--stage`; [`Report`] the rows of each table, built once and printed as
//! aligned tables or written as CSV files of a run folder (`--out`): the concentration of
//! production, each region's supply risk by the EU formula, the EU 2023 values recomputed from
//! the published inputs beside the published ones, and with `--exposure` the shortfalls and
//! stoppage odds of the weighted library scenarios measured by Monte Carlo.

use crate::manifest::{program, recorded_args};
use crate::run_folder::{OutputFile, RUN_FOLDER, RunFolder, num};
use crate::table::aligned;
use crate::{Failure, inputs, print_out};
use anyhow::{Context as _, anyhow};
use chokepoint_core::criticality::concentration::{concentration, stage_flows};
use chokepoint_core::criticality::eu::{EuInputs, EuStage, ParamName, Scope};
use chokepoint_core::criticality::exposure::{
    EndUseExposure, ScenarioWeight, WeightedExposure, end_use_exposure, parse_weights, weighted,
};
use chokepoint_core::criticality::regional::{
    ElementTerms, RegionRisk, STAGES, elements, governance_of, region_risk,
};
use chokepoint_core::library::{Builtins, EU_CRM_2023, SCENARIO_WEIGHTS};
use chokepoint_core::model::{RegionId, Stage, World};
use chokepoint_core::montecarlo::{self, SeriesSet};
use chokepoint_core::network::Network;
use chokepoint_core::scenario::{BaseResolver, SourceText, parse_world};
use chokepoint_core::shard::{InputDigest, Program};
use clap::Args;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct RiskArgs {
    /// Region whose supply risk to show at every stage [default: every region, its highest
    /// stage]
    #[arg(long, value_name = "R")]
    region: Option<String>,
    /// Element symbol (Nd, Dy, ...) [default: every element]
    #[arg(long, value_name = "E")]
    element: Option<String>,
    /// Stage: mining, separation, metal, magnet or component [default: every stage]
    #[arg(long, value_name = "S")]
    stage: Option<String>,
    /// Embedded dataset [default: the default scenario's base]
    #[arg(long, value_name = "NAME")]
    dataset: Option<String>,
    /// Write the tables as CSV (or, with --format parquet, Parquet) files into this folder
    /// (with a manifest)
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Tabular outputs as `csv` or `parquet` (typed columns, dictionary-encoded strings;
    /// needs a build with `--features parquet`)
    #[arg(long, value_name = "FORMAT", default_value = "csv", value_parser = crate::tabular::parse_format)]
    format: crate::tabular::Format,
    /// Measure exposure by simulation: a Monte Carlo run of every library scenario with a
    /// weight in data/exposure/scenario-weights.csv
    #[arg(long)]
    exposure: bool,
    /// Paths per scenario of --exposure
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = crate::montecarlo::parse_paths)]
    paths: u64,
    /// Seed of every --exposure run [default: each scenario's own]
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    #[arg(long, value_name = "T", value_parser = crate::montecarlo::parse_threads)]
    threads: Option<usize>,
    /// Print only the output folder (with --out)
    #[arg(long, short)]
    quiet: bool,
}

/// The checked filters.
struct Selection {
    region: Option<RegionId>,
    element: Option<String>,
    stage: Option<Stage>,
}

impl Selection {
    /// Checks every filter against the world and reports every unknown value at once.
    fn new(args: &RiskArgs, world: &World) -> Result<Selection, Failure> {
        let mut problems = Vec::new();
        let mut hints = Vec::new();
        let region = args.region.as_deref().and_then(|r| {
            let found = world.region(r).filter(|&id| world.home(id) == id);
            if found.is_none() {
                problems.push(format!("unknown region `{r}`"));
                let codes: Vec<&str> = world
                    .regions
                    .iter()
                    .filter(|x| x.parent.is_none())
                    .map(|x| x.code.as_str())
                    .collect();
                hints.push(format!("regions: {}", codes.join(", ")));
            }
            found
        });
        let known = elements(world);
        if let Some(e) = &args.element
            && !known.contains(e)
        {
            problems.push(format!("unknown element `{e}`"));
            hints.push(format!("elements: {}", known.join(", ")));
        }
        let stage = args.stage.as_deref().and_then(|s| {
            let found = STAGES.iter().copied().find(|st| st.as_str() == s);
            if found.is_none() {
                problems.push(format!("unknown stage `{s}`"));
                let names: Vec<&str> = STAGES.iter().map(|s| s.as_str()).collect();
                hints.push(format!("stages: {}", names.join(", ")));
            }
            found
        });
        if !problems.is_empty() {
            return Err(Failure::input(
                anyhow!("{}", problems.join("; ")),
                Some(hints.join("; ")),
            ));
        }
        Ok(Selection {
            region,
            element: args.element.clone(),
            stage,
        })
    }

    fn element(&self, e: &str) -> bool {
        self.element.as_deref().is_none_or(|x| x == e)
    }
    fn stage(&self, s: Stage) -> bool {
        self.stage.is_none_or(|x| x == s)
    }
    /// The EU stages a chain stage falls under: mining is extraction, the rest processing.
    fn eu_stage(&self, s: EuStage) -> bool {
        self.stage.is_none_or(|x| match s {
            EuStage::Extraction => x == Stage::Mining,
            EuStage::Processing => x != Stage::Mining,
        })
    }
}

/// A table: title, header, which columns are text, rows.
struct Section {
    title: String,
    file: &'static str,
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

/// Tonnes a day as tonnes a year, for people.
fn per_year(t_per_day: f64) -> f64 {
    t_per_day * 365.0
}

fn fixed(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        format!("{v:.decimals$}")
    } else {
        "-".into()
    }
}

fn load_world(dataset: &str) -> Result<World, Failure> {
    let files = Builtins
        .resolve(&format!("builtin:{dataset}"))
        .ok_or_else(|| {
            let known: Vec<&str> = chokepoint_core::library::DATASETS
                .iter()
                .map(|d| d.name)
                .collect();
            Failure::input(
                anyhow!("unknown dataset `{dataset}`"),
                Some(format!("embedded datasets: {}", known.join(", "))),
            )
        })?;
    let srcs: Vec<SourceText> = files
        .iter()
        .map(|(n, t)| SourceText { name: n, text: t })
        .collect();
    parse_world(&srcs).map_err(|diags| Failure::Invalid {
        file: dataset.to_string(),
        diags,
        kind: "dataset",
    })
}

/// The shipped EU inputs; a failure here is a build defect, reported with every problem.
fn eu_inputs() -> Result<EuInputs, Failure> {
    EuInputs::parse(EU_CRM_2023).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        Failure::Run(anyhow!("{}", lines.join("\n")).context("the embedded EU inputs are invalid"))
    })
}

fn concentration_section(
    world: &World,
    net: &Network,
    eu: &EuInputs,
    sel: &Selection,
    dataset: &str,
) -> Section {
    let gov = governance_of(world, eu);
    let code = |r: RegionId| world.regions[r.ix()].code.clone();
    let mut rows = Vec::new();
    for element in elements(world).iter().filter(|e| sel.element(e)) {
        for stage in STAGES.into_iter().filter(|&s| sel.stage(s)) {
            let flows = stage_flows(world, net, element, stage);
            let c = concentration(&flows, &gov);
            if c.production <= 0.0 {
                continue;
            }
            let (top, share) = c
                .shares
                .first()
                .map_or(("-".into(), f64::NAN), |&(r, s)| (code(r), s));
            let missing: Vec<String> = c.missing_governance.iter().map(|&r| code(r)).collect();
            rows.push(vec![
                element.clone(),
                stage.as_str().into(),
                num(per_year(c.production)),
                top,
                num(share),
                num(c.hhi),
                c.hhi_wgi.map_or(String::new(), num),
                c.shares.len().to_string(),
                format!("{dataset} baseline flows"),
                if missing.is_empty() {
                    "wgi (assumption)".into()
                } else {
                    format!("no WGI for {}", missing.join(" "))
                },
            ]);
        }
    }
    Section {
        title: format!("Concentration of production ({dataset} baseline)"),
        file: "concentration.csv",
        header: vec![
            "element",
            "stage",
            "production_t_per_yr",
            "top_producer",
            "top_share",
            "hhi",
            "hhi_wgi",
            "producers",
            "shares_source",
            "wgi_source",
        ],
        rows,
    }
}

fn terms_source(eu: &EuInputs, element: &str, terms: ElementTerms) -> String {
    match terms {
        ElementTerms::Neutral => "none for this element: EOL-RIR 0, SI_SR 1".into(),
        ElementTerms::FromEuInputs => {
            let cite = |name| {
                eu.parameter(element, None, name).map_or("-".into(), |p| {
                    format!("{} ({})", p.value.source, p.value.confidence.as_str())
                })
            };
            let (eol, si) = (cite(ParamName::EolRir), cite(ParamName::SiSr));
            if eol == si {
                format!("eol-rir, si-sr: {eol}")
            } else {
                format!("eol-rir: {eol}; si-sr: {si}")
            }
        }
    }
}

fn supply_risk_row(
    world: &World,
    eu: &EuInputs,
    risk: &RegionRisk,
    k: usize,
    is_max: bool,
) -> Vec<String> {
    let s = &risk.stages[k];
    vec![
        world.regions[risk.region.ix()].code.clone(),
        risk.element.clone(),
        s.stage.as_str().into(),
        if is_max { "*".into() } else { String::new() },
        num(s.terms.import_reliance),
        num(per_year(s.production)),
        num(per_year(s.imports)),
        num(per_year(s.exports)),
        num(s.terms.hhi_wgi_global),
        num(s.terms.hhi_wgi_sourcing),
        num(s.terms.eol_rir),
        num(s.terms.si_sr),
        num(s.sr),
        terms_source(eu, &risk.element, risk.element_terms),
    ]
}

/// Each region's supply risk: with `--region`, every stage; otherwise the highest stage of each
/// (region, element), unless `--stage` picks one.
fn supply_risk_section(world: &World, net: &Network, eu: &EuInputs, sel: &Selection) -> Section {
    let mut rows = Vec::new();
    let regions: Vec<RegionId> = (0..world.regions.len())
        .map(|r| RegionId(r as u32))
        .filter(|&r| world.home(r) == r && sel.region.is_none_or(|x| x == r))
        .collect();
    for &r in &regions {
        for element in elements(world).iter().filter(|e| sel.element(e)) {
            let risk = region_risk(world, net, eu, r, element);
            let max = risk.max().map(|m| m.stage);
            for (k, s) in risk.stages.iter().enumerate() {
                let shown = sel.stage(s.stage)
                    && (sel.region.is_some() || sel.stage.is_some() || Some(s.stage) == max);
                if shown {
                    rows.push(supply_risk_row(world, eu, &risk, k, Some(s.stage) == max));
                }
            }
        }
    }
    Section {
        title: "Supply risk by the EU formula, per region (* = the region's highest stage)".into(),
        file: "supply_risk.csv",
        header: vec![
            "region",
            "element",
            "stage",
            "max",
            "ir",
            "production_t_per_yr",
            "imports_t_per_yr",
            "exports_t_per_yr",
            "hhi_wgi_global",
            "hhi_wgi_sourcing",
            "eol_rir",
            "si_sr",
            "sr",
            "eol_si_source",
        ],
        rows,
    }
}

fn eu_section(eu: &EuInputs, sel: &Selection) -> Result<Section, Failure> {
    let mut rows = Vec::new();
    let cite = |material: &str, name| {
        eu.parameter(material, None, name)
            .map_or((String::new(), String::new()), |p| {
                (
                    num(p.value.value),
                    format!("{} ({})", p.value.source, p.value.confidence.as_str()),
                )
            })
    };
    for m in eu.materials().into_iter().filter(|m| sel.element(m)) {
        let risk = eu.material_risk(m).map_err(|e| Failure::Run(anyhow!(e)))?;
        let max = risk.max().map(|s| s.stage);
        let group = eu
            .groups
            .iter()
            .find(|(_, x)| x == m)
            .map_or("", |(g, _)| g.as_str());
        let (sr_pub, sr_src) = cite(group, ParamName::SrPublished);
        let (ei_pub, _) = cite(group, ParamName::EiPublished);
        for s in risk.stages.iter().filter(|s| sel.eu_stage(s.stage)) {
            let share_src = eu
                .shares_of(m, s.stage, Scope::EuSourcing)
                .first()
                .map_or("-".into(), |x| {
                    format!("{} ({})", x.share.source, x.share.confidence.as_str())
                });
            rows.push(vec![
                m.to_string(),
                s.stage.as_str().into(),
                if Some(s.stage) == max {
                    "*".into()
                } else {
                    String::new()
                },
                num(s.terms.hhi_wgi_global),
                num(s.terms.hhi_wgi_sourcing),
                num(s.terms.import_reliance),
                num(s.terms.eol_rir),
                num(s.terms.si_sr),
                num(s.sr),
                group.into(),
                sr_pub.clone(),
                ei_pub.clone(),
                sr_src.clone(),
                share_src,
            ]);
        }
    }
    Ok(Section {
        title: "EU 2023 supply risk recomputed from the published inputs (* = highest stage)"
            .into(),
        file: "eu_2023.csv",
        header: vec![
            "material",
            "stage",
            "max",
            "hhi_wgi_global",
            "hhi_wgi_eu",
            "ir",
            "eol_rir",
            "si_sr",
            "sr_computed",
            "group",
            "sr_published",
            "ei_published",
            "published_source",
            "eu_sourcing_source",
        ],
        rows,
    })
}

fn sources_section(eu: &EuInputs, weights: Option<&[ScenarioWeight]>) -> Section {
    let mut rows: Vec<Vec<String>> = eu
        .sources
        .iter()
        .map(|s| vec![s.id.clone(), s.title.clone(), s.url.clone()])
        .collect();
    if weights.is_some() {
        rows.push(vec![
            "scenario-weights".into(),
            "chokepoint: stated likelihoods of the library scenarios (assumption, reasoning per row)".into(),
            SCENARIO_WEIGHTS.0.into(),
        ]);
    }
    Section {
        title: "Sources".into(),
        file: "sources.csv",
        header: vec!["id", "title", "url"],
        rows,
    }
}

/// The Monte Carlo runs of `--exposure`: per weighted scenario its exposure rows.
fn run_exposure(
    args: &RiskArgs,
    weights: &[ScenarioWeight],
) -> Result<Vec<(String, f64, Vec<EndUseExposure>)>, Failure> {
    let threads = crate::montecarlo::threads_or_cores(args.threads);
    let mut out = Vec::new();
    for w in weights.iter().filter(|w| w.weight > 0.0) {
        let loaded = inputs::load(&format!("builtin:{}", w.scenario))?;
        let parsed = loaded.parse_uncertain(None);
        let (scenario, unc) = parsed.result.map_err(|diags| Failure::Invalid {
            file: loaded.display.clone(),
            diags,
            kind: "scenario",
        })?;
        let set = SeriesSet::new(&scenario, &unc);
        let paths: Vec<u64> = (0..args.paths).collect();
        let seed = args.seed.unwrap_or(scenario.settings.seed);
        let acc = montecarlo::run(&scenario, &unc, &set, seed, &paths, threads, &|_| {});
        out.push((
            w.scenario.clone(),
            w.weight,
            end_use_exposure(&scenario.world, &set, &acc),
        ));
    }
    Ok(out)
}

/// The highest supply risk of `region` over the elements `product` contains: (SR, element,
/// stage), the concentration index shown beside the measured exposure.
fn index_beside(
    world: &World,
    net: &Network,
    eu: &EuInputs,
    region: &str,
    product: &str,
) -> (String, String) {
    let (Some(r), Some(p)) = (world.region(region), world.product(product)) else {
        return (String::new(), String::new());
    };
    let mut best: Option<(f64, String, Stage)> = None;
    for (e, c) in &world.products[p.ix()].content {
        if *c <= 0.0 {
            continue;
        }
        if let Some(m) = region_risk(world, net, eu, r, e).max()
            && best.as_ref().is_none_or(|b| m.sr > b.0)
        {
            best = Some((m.sr, e.clone(), m.stage));
        }
    }
    best.map_or((String::new(), String::new()), |(sr, e, st)| {
        (num(sr), format!("{e} {}", st.as_str()))
    })
}

fn exposure_sections(
    world: &World,
    net: &Network,
    eu: &EuInputs,
    sel: &Selection,
    runs: &[(String, f64, Vec<EndUseExposure>)],
) -> [Section; 2] {
    let region_ok = |code: &str| {
        sel.region
            .is_none_or(|r| world.regions[r.ix()].code == code)
    };
    let product_ok = |code: &str| {
        sel.element.as_deref().is_none_or(|e| {
            world.product(code).is_none_or(|p| {
                world.products[p.ix()]
                    .content
                    .iter()
                    .any(|(x, c)| x == e && *c > 0.0)
            })
        })
    };
    let keep = |r: &EndUseExposure| region_ok(&r.region) && product_ok(&r.product);
    let unit = |code: &str| {
        world
            .product(code)
            .map_or(String::new(), |p| world.products[p.ix()].unit.clone())
    };
    let mut per = Vec::new();
    for (name, w, rows) in runs {
        for r in rows.iter().filter(|r| keep(r)) {
            let mut sorted = r.per_year();
            sorted.sort_by(f64::total_cmp);
            let mean = sorted.iter().sum::<f64>() / sorted.len().max(1) as f64;
            per.push(vec![
                name.clone(),
                num(*w),
                r.region.clone(),
                r.product.clone(),
                unit(&r.product),
                num(mean),
                num(montecarlo::exact_quantile(&sorted, 0.95)),
                num(r.p_stop()),
                r.days.to_string(),
                r.paths.to_string(),
            ]);
        }
    }
    let blend: Vec<(f64, Vec<EndUseExposure>)> =
        runs.iter().map(|(_, w, rows)| (*w, rows.clone())).collect();
    let blended: Vec<WeightedExposure> = weighted(&blend);
    let rows = blended
        .iter()
        .filter(|x| region_ok(&x.region) && product_ok(&x.product))
        .map(|x| {
            let (sr, at) = index_beside(world, net, eu, &x.region, &x.product);
            vec![
                x.region.clone(),
                x.product.clone(),
                unit(&x.product),
                num(x.expected),
                num(x.p95),
                num(x.p_stop),
                num(x.weight),
                sr,
                at,
            ]
        })
        .collect();
    [
        Section {
            title: "Exposure by simulation, scenarios weighted by stated likelihood (data/exposure/scenario-weights.csv)".into(),
            file: "exposure.csv",
            header: vec![
                "region",
                "product",
                "unit",
                "expected_shortfall_per_yr",
                "p95_shortfall_per_yr",
                "p_stoppage",
                "weight",
                "sr_max",
                "sr_max_at",
            ],
            rows,
        },
        Section {
            title: "Exposure per scenario".into(),
            file: "exposure_by_scenario.csv",
            header: vec![
                "scenario",
                "weight",
                "region",
                "product",
                "unit",
                "expected_shortfall_per_yr",
                "p95_shortfall_per_yr",
                "p_stoppage",
                "days",
                "paths",
            ],
            rows: per,
        },
    ]
}

/// The manifest of a `risk` folder.
#[derive(Debug, Serialize)]
struct RiskManifest {
    schema_version: u32,
    kind: String,
    program: Program,
    dataset: String,
    args: Vec<String>,
    inputs: Vec<InputDigest>,
    outputs: Vec<OutputFile>,
}

fn digests(dataset: &str, exposure: bool) -> Vec<InputDigest> {
    let mut out = vec![InputDigest {
        role: "base".into(),
        name: format!("builtin:{dataset}"),
        sha256: Builtins
            .resolve(&format!("builtin:{dataset}"))
            .map(|files| {
                let all: String = files.iter().map(|(_, t)| t.as_str()).collect();
                inputs::sha256_hex(all.as_bytes())
            })
            .unwrap_or_default(),
    }];
    let mut files: Vec<(&str, &str)> = EU_CRM_2023.to_vec();
    if exposure {
        files.push(SCENARIO_WEIGHTS);
    }
    out.extend(files.iter().map(|(name, text)| InputDigest {
        role: "criticality".into(),
        name: name.to_string(),
        sha256: inputs::sha256_hex(text.as_bytes()),
    }));
    out
}

fn write_folder(
    dir: &std::path::Path,
    sections: &[Section],
    dataset: &str,
    exposure: bool,
    format: crate::tabular::Format,
) -> Result<(), Failure> {
    let mut folder = RunFolder::create(dir, &RUN_FOLDER)?.with_format(format);
    let write = || -> anyhow::Result<()> {
        for s in sections {
            let mut w = folder.csv(s.file, &s.header)?;
            for r in &s.rows {
                w.write_record(r)
                    .with_context(|| format!("cannot write {}", s.file))?;
            }
            folder.finish_csv(w)?;
        }
        folder.seal(|outputs| RiskManifest {
            schema_version: crate::manifest::SCHEMA_VERSION,
            kind: "risk".into(),
            program: program(),
            dataset: dataset.into(),
            args: recorded_args(),
            inputs: digests(dataset, exposure),
            outputs,
        })
    };
    write()
        .with_context(|| crate::run_failed(dir))
        .map_err(Failure::Run)
}

/// How a section prints: numbers right-aligned, text left; numbers shortened to what a reader
/// compares (the CSV keeps every digit).
fn render(s: &Section) -> String {
    let text_cols = [
        "element",
        "stage",
        "top_producer",
        "region",
        "material",
        "group",
        "product",
        "unit",
        "scenario",
        "id",
        "title",
        "url",
        "max",
        "sr_max_at",
        "shares_source",
        "wgi_source",
        "eol_si_source",
        "published_source",
        "eu_sourcing_source",
    ];
    let left: Vec<bool> = s.header.iter().map(|h| text_cols.contains(h)).collect();
    let rows: Vec<Vec<String>> = s
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .zip(&left)
                .map(|(cell, &is_text)| match cell.parse::<f64>() {
                    Ok(v) if !is_text && v.fract() != 0.0 => {
                        fixed(v, if v.abs() >= 100.0 { 0 } else { 3 })
                    }
                    _ => cell.clone(),
                })
                .collect()
        })
        .collect();
    format!("{}\n{}\n", s.title, aligned(&s.header, &left, &rows))
}

/// `chokepoint risk`.
pub fn risk(args: RiskArgs) -> Result<(), Failure> {
    let dataset = args
        .dataset
        .clone()
        .unwrap_or_else(crate::catalogue::default_base);
    let world = load_world(&dataset)?;
    let sel = Selection::new(&args, &world)?;
    let eu = eu_inputs()?;
    let net = Network::new(&world);
    let mut sections = vec![
        concentration_section(&world, &net, &eu, &sel, &dataset),
        supply_risk_section(&world, &net, &eu, &sel),
        eu_section(&eu, &sel)?,
    ];
    let weights = if args.exposure {
        let w = parse_weights(SCENARIO_WEIGHTS.0, SCENARIO_WEIGHTS.1).map_err(|errors| {
            let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            Failure::Run(
                anyhow!("{}", lines.join("\n"))
                    .context("the embedded scenario weights are invalid"),
            )
        })?;
        let runs = run_exposure(&args, &w)?;
        sections.extend(exposure_sections(&world, &net, &eu, &sel, &runs));
        Some(w)
    } else {
        None
    };
    sections.push(sources_section(&eu, weights.as_deref()));
    let mut text = String::new();
    if !(args.quiet && args.out.is_some()) {
        for s in &sections {
            text.push_str(&render(s));
            text.push('\n');
        }
    }
    if let Some(dir) = &args.out {
        write_folder(dir, &sections, &dataset, args.exposure, args.format)?;
        text.push_str(&format!("output: {}\n", dir.display()));
    }
    print_out(&text)
}
