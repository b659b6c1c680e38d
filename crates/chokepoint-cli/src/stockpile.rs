//! `chokepoint stockpile SCENARIO`: the least-cost strategic stockpiles under a risk target
//! (docs/decisions.md). The arithmetic is `chokepoint_core::sizing`; this module picks the
//! candidates from the flags, runs the in-sample paths, sizes (optionally calibrating each
//! product's level on fresh paths, `--calibrate`), checks the sizing out of sample on other
//! fresh paths in the full engine and writes the folder: `stockpile.csv` (one row per
//! candidate and a `*` row for the joint figures), `frontier.csv` (cost against the target),
//! `stockpile.toml` (the sized stockpiles and their release rule as scenario sections),
//! `manifest.json`.

use crate::inputs::{self, Decision};
use crate::manifest::{RunManifest, SCHEMA_VERSION, program, typed_args};
use crate::run_folder::{RUN_FOLDER, RunFolder, num};
use crate::{Failure, montecarlo};
use anyhow::{Context as _, anyhow};
use chokepoint_core::model::{ProductId, RegionId};
use chokepoint_core::network::Network;
use chokepoint_core::sizing::{
    Candidate, LevelSearch, ReleaseRule, Samples, Sizing, Target, cvar_volumes, met_share, sample,
    size_at_levels, size_jointly, size_per_product, unit_cost, with_stockpiles,
};
use clap::Args as ClapArgs;
use std::path::PathBuf;

#[derive(Debug, ClapArgs)]
pub struct Args {
    /// Scenario file, or `builtin:NAME`
    pub scenario: String,
    /// Region that holds the stockpile (repeat for several; its buyer cohorts are included)
    #[arg(long = "region", value_name = "CODE", required = true)]
    pub regions: Vec<String>,
    /// Product to stockpile (repeat for several) [default: every product the regions need]
    #[arg(long = "product", value_name = "CODE")]
    pub products: Vec<String>,
    /// Share of the horizon's need that may go unmet on a path that meets the target
    #[arg(long, default_value_t = 0.01, value_name = "S")]
    pub share: f64,
    /// Probability with which each product (or, with --joint, all at once) meets the share
    #[arg(long, default_value_t = 0.95, value_name = "P")]
    pub target: f64,
    /// One target for all candidates at once (every product meets the share on the same path)
    #[arg(long)]
    pub joint: bool,
    /// Most USD to spend (implies --joint); a target it cannot buy is reported with the risk
    /// the budget achieves
    #[arg(long, value_name = "USD")]
    pub budget: Option<f64>,
    /// In-sample Monte Carlo paths
    #[arg(long, default_value_t = 1000, value_parser = montecarlo::parse_paths)]
    pub paths: u64,
    /// Fresh paths of the out-of-sample check in the full engine (0: no check)
    #[arg(long, default_value_t = 1000)]
    pub check_paths: u64,
    /// Seed of the in-sample paths [default: the scenario's]
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Seed of the check's paths [default: the in-sample seed + 1]
    #[arg(long, value_name = "N")]
    pub check_seed: Option<u64>,
    /// Release while the node's commercial cover is below this many days
    #[arg(long, default_value_t = 2.0, value_name = "DAYS")]
    pub trigger_days: f64,
    /// Release up to this many days of the node's baseline need a day
    #[arg(long, default_value_t = 2.0, value_name = "DAYS")]
    pub rate_days: f64,
    /// Targets of the cost-risk frontier, comma-separated
    #[arg(long, value_delimiter = ',', default_value = "0.5,0.8,0.9,0.95,0.99")]
    pub frontier: Vec<f64>,
    /// Rounds of out-of-sample calibration (per product only): each runs --paths fresh paths
    /// (the same every round: the in-sample seed + 2) with the sized stockpiles in the full
    /// engine and bisects each product's in-sample level towards the one whose volume meets the
    /// target there (a product within half a point of it keeps its level)
    #[arg(long, default_value_t = 0, value_name = "ROUNDS")]
    pub calibrate: u32,
    #[arg(long, value_name = "T", value_parser = montecarlo::parse_threads)]
    pub threads: Option<usize>,
    /// Output folder [default: runs/<scenario stem>-stockpile-seed<N>]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Tabular outputs as `csv` or `parquet` (typed columns, dictionary-encoded strings;
    /// needs a build with `--features parquet`)
    #[arg(long, value_name = "FORMAT", default_value = "csv", value_parser = crate::tabular::parse_format)]
    pub format: crate::tabular::Format,
}

/// A calibrated candidate is settled when the engine meets the target on the calibration
/// paths within this many points of probability. The rounds share their paths, so the level
/// settles on one sample and its error out of sample is that sample's: the binomial standard
/// error of 1,000 paths at 95% is 0.7 points, of a 10,000-path check 0.2, so a half point of
/// tolerance plus 1.96 standard errors (1.4 points) stays within the 2 points the issue allows
/// (93-97% for 95%).
const CALIBRATION_TOLERANCE: f64 = 0.005;

fn input(msg: String, hint: &str) -> Failure {
    Failure::input(anyhow!(msg), Some(hint.into()))
}

/// The candidates the flags name: each region given and its cohorts, each product given (or
/// every product), wherever the node has a baseline need.
fn candidates(d: &Decision, a: &Args) -> Result<Vec<Candidate>, Failure> {
    let w = &d.scenario.world;
    let mut regions: Vec<RegionId> = Vec::new();
    for code in &a.regions {
        let Some(r) = w.regions.iter().position(|x| &x.code == code) else {
            return Err(input(
                format!("unknown region `{code}`"),
                "see `chokepoint data regions`",
            ));
        };
        let r = RegionId(r as u32);
        regions.extend(
            (0..w.regions.len())
                .map(|i| RegionId(i as u32))
                .filter(|&x| x == r || w.regions[x.ix()].parent == Some(r)),
        );
    }
    let mut products: Vec<ProductId> = Vec::new();
    for code in &a.products {
        match w.products.iter().position(|x| &x.code == code) {
            Some(p) => products.push(ProductId(p as u32)),
            None => {
                return Err(input(
                    format!("unknown product `{code}`"),
                    "see `chokepoint data products`",
                ));
            }
        }
    }
    if products.is_empty() {
        products = (0..w.products.len()).map(|p| ProductId(p as u32)).collect();
    }
    let net = Network::new(w);
    let days = d.scenario.settings.days;
    let mut out = Vec::new();
    for &p in &products {
        for &r in &regions {
            if net.need0[net.node(r, p)] > 0.0 {
                out.push(Candidate {
                    region: r,
                    product: p,
                    usd_per_unit: unit_cost(w.products[p.ix()].price, d.costs.holding_rate, days),
                });
            }
        }
    }
    if out.is_empty() {
        return Err(input(
            "no region and product named has a need to stockpile for".into(),
            "name a region and the products its users need",
        ));
    }
    Ok(out)
}

fn check_args(a: &Args) -> Result<(), Failure> {
    if !(a.target > 0.0 && a.target <= 1.0) {
        return Err(input(
            format!("--target {} is not a probability in (0, 1]", a.target),
            "e.g. --target 0.95",
        ));
    }
    if !(0.0..1.0).contains(&a.share) {
        return Err(input(
            format!("--share {} is not in [0, 1)", a.share),
            "e.g. --share 0.01 for 1% of the need",
        ));
    }
    if a.frontier.iter().any(|t| !(*t > 0.0 && *t <= 1.0)) {
        return Err(input(
            "--frontier targets must be probabilities in (0, 1]".into(),
            "e.g. --frontier 0.5,0.9,0.95",
        ));
    }
    if a.calibrate > 0 && (a.joint || a.budget.is_some()) {
        return Err(input(
            "--calibrate sizes per product: it cannot be combined with --joint or --budget".into(),
            "drop --calibrate, or size per product",
        ));
    }
    if a.trigger_days < 0.0 || a.rate_days <= 0.0 {
        return Err(input(
            "--trigger-days must be >= 0 and --rate-days > 0".into(),
            "the defaults are 2 and 2",
        ));
    }
    Ok(())
}

/// Sizes `samples` for `target` as the flags say (per product, or jointly with a budget).
fn size(samples: &Samples, target: Target, a: &Args) -> anyhow::Result<Sizing> {
    let joint = a.joint || a.budget.is_some();
    let s = if joint {
        size_jointly(samples, target, a.budget)
    } else {
        size_per_product(samples, target)
    };
    s.context("stockpile sizing failed")
}

/// `chokepoint stockpile`. Returns the text to print.
pub fn run(a: Args) -> Result<String, Failure> {
    check_args(&a)?;
    let (d, loaded, used) = crate::load_by(&a.scenario, None, inputs::Loaded::parse_decision)?;
    let seed = a.seed.unwrap_or(d.scenario.settings.seed);
    let check_seed = a.check_seed.unwrap_or(seed.wrapping_add(1));
    let cands = candidates(&d, &a)?;
    let threads = montecarlo::threads_or_cores(a.threads);
    let dir = a.out.clone().unwrap_or_else(|| {
        crate::default_out(&loaded, None, &used, &format!("stockpile-seed{seed}"))
    });
    let mut folder = RunFolder::create(&dir, &RUN_FOLDER)?.with_format(a.format);
    let target = Target {
        share: a.share,
        probability: a.target,
    };
    let mut text = String::new();
    let write = || -> anyhow::Result<()> {
        let paths: Vec<u64> = (0..a.paths).collect();
        let samples = sample(&d.scenario, &d.uncertainty, cands, seed, &paths, threads);
        let rule = ReleaseRule {
            trigger_days: a.trigger_days,
            rate_days: a.rate_days,
        };
        let mut search =
            LevelSearch::new(samples.candidates.len(), a.target, CALIBRATION_TOLERANCE);
        let mut sized = size(&samples, target, &a)?;
        for _ in 0..a.calibrate {
            let (s, u) = with_stockpiles(
                &d.scenario,
                &d.uncertainty,
                &samples.candidates,
                &sized.volumes,
                rule,
            );
            let c = samples.candidates.clone();
            // The same calibration paths every round: the bisection then follows one
            // monotone sample, and the level kept as closest to the target is not the round
            // whose paths happened to flatter it (a winner's curse on fresh paths each round).
            let cal_seed = seed.wrapping_add(2);
            let (met, _) = met_share(&sample(&s, &u, c, cal_seed, &paths, threads), a.share);
            search.update(&met);
            sized = size_at_levels(&samples, target, &search.levels)?;
        }
        let levels = if a.calibrate > 0 {
            let best = search.best_levels();
            sized = size_at_levels(&samples, target, &best)?;
            best
        } else {
            search.levels
        };
        let checked = (a.check_paths > 0).then(|| {
            let (s, u) = with_stockpiles(
                &d.scenario,
                &d.uncertainty,
                &samples.candidates,
                &sized.volumes,
                rule,
            );
            let fresh: Vec<u64> = (0..a.check_paths).collect();
            let c = samples.candidates.clone();
            met_share(&sample(&s, &u, c, check_seed, &fresh, threads), a.share)
        });
        write_sizing(&mut folder, &d, &samples, &sized, &levels, checked.as_ref())?;
        let fragment = scenario_fragment(&d, &samples, &sized, rule, &a, seed);
        folder.write("stockpile.toml", fragment.as_bytes())?;
        let frontier = write_frontier(&mut folder, &samples, &a)?;
        text = render(&d, &samples, &sized, checked.as_ref(), &frontier, &a);
        Ok(())
    };
    write().with_context(|| crate::run_failed(&dir))?;
    let name = d.scenario.settings.name.clone();
    folder
        .seal(|outputs| RunManifest {
            schema_version: SCHEMA_VERSION,
            program: program(),
            scenario: name,
            seed,
            days: d.scenario.settings.reported_days(),
            start: d.scenario.settings.reported_start().to_string(),
            args: typed_args(),
            inputs: used,
            outputs,
        })
        .with_context(|| crate::run_failed(&dir))?;
    text.push_str(&format!("output: {}\n", dir.display()));
    Ok(text)
}

const SIZING_HEADER: [&str; 9] = [
    "region",
    "product",
    "unit",
    "level",
    "volume_units",
    "usd_per_unit",
    "cost_usd",
    "met_in_sample",
    "met_out_of_sample",
];

fn write_sizing(
    folder: &mut RunFolder,
    d: &Decision,
    samples: &Samples,
    sized: &Sizing,
    levels: &[f64],
    checked: Option<&(Vec<f64>, f64)>,
) -> anyhow::Result<()> {
    let w = &d.scenario.world;
    let mut out = folder.csv("stockpile.csv", SIZING_HEADER)?;
    for (j, c) in samples.candidates.iter().enumerate() {
        let p = &w.products[c.product.ix()];
        out.write_record([
            w.regions[c.region.ix()].code.as_str(),
            &p.code,
            &p.unit,
            &num(levels[j]),
            &num(sized.volumes[j]),
            &num(c.usd_per_unit),
            &num(sized.volumes[j] * c.usd_per_unit),
            &num(sized.met[j]),
            &checked.map(|c| num(c.0[j])).unwrap_or_default(),
        ])?;
    }
    out.write_record([
        "*",
        "*",
        "",
        "",
        "",
        "",
        &num(sized.cost),
        &num(sized.joint_met),
        &checked.map(|c| num(c.1)).unwrap_or_default(),
    ])?;
    folder.finish_csv(out)
}

/// `stockpile.toml`: the sized stockpiles as scenario sections, each `[[stockpile]]` held from
/// the first simulated day (at a buyer cohort where the candidate is one) with the release event
/// the out-of-sample check ran it by, so that appending the text to the scenario runs what was
/// checked.
fn scenario_fragment(
    d: &Decision,
    samples: &Samples,
    sized: &Sizing,
    rule: ReleaseRule,
    a: &Args,
    seed: u64,
) -> String {
    let w = &d.scenario.world;
    let net = Network::new(w);
    let mut t = format!(
        "# The stockpiles `chokepoint stockpile` sized for `{}` (seed {seed}, {} in-sample paths):\n\
         # at most {} of each product's need unmet with probability {}{}. Append to the scenario to\n\
         # hold them from the first day and release them by the rule of the out-of-sample check:\n\
         # while the node's commercial cover is below {} days, up to {} days of its baseline need a day.\n",
        d.scenario.settings.name,
        a.paths,
        num(a.share),
        num(a.target),
        if a.joint || a.budget.is_some() {
            " (all products at once)"
        } else {
            " (each product)"
        },
        num(rule.trigger_days),
        num(rule.rate_days),
    );
    let start = d.scenario.settings.start;
    for (c, &v) in samples.candidates.iter().zip(&sized.volumes) {
        if v <= 0.0 {
            continue;
        }
        let (region, p) = (&w.regions[c.region.ix()].code, &w.products[c.product.ix()]);
        t.push_str(&format!(
            "\n[[stockpile]]\nregion = \"{region}\"\nproduct = \"{}\"\n\
             quantity = {{ value = {}, unit = \"{}\" }}\n\n\
             [[event]]\nname = \"release of the sized stockpile {region}:{}\"\ndate = {start}\n\
             kind = \"stockpile-release\"\nregion = \"{region}\"\nproduct = \"{}\"\n\
             rate = {{ value = {}, unit = \"{}/day\" }}\ntrigger-days-of-cover = {}\n",
            p.code,
            num(v),
            p.unit,
            p.code,
            p.code,
            num(rule.rate(&net, c)),
            p.unit,
            num(rule.trigger_days),
        ));
    }
    t
}

/// One frontier row: target, cost, risk achieved in sample, the CVaR bound's cost, feasible.
type FrontierRow = (f64, f64, f64, Option<f64>, bool);

fn write_frontier(
    folder: &mut RunFolder,
    samples: &Samples,
    a: &Args,
) -> anyhow::Result<Vec<FrontierRow>> {
    let joint = a.joint || a.budget.is_some();
    let mut rows = Vec::new();
    let mut out = folder.csv(
        "frontier.csv",
        [
            "target",
            "cost_usd",
            "met_in_sample",
            "cvar_cost_usd",
            "feasible",
        ],
    )?;
    for &t in &a.frontier {
        let target = Target {
            share: a.share,
            probability: t,
        };
        let s = size(samples, target, a)?;
        let met = if joint {
            s.joint_met
        } else {
            s.met.iter().copied().fold(1.0, f64::min)
        };
        // The CVaR bound is a joint LP over every path: only when sizing jointly.
        let cvar = if joint {
            Some(cvar_volumes(samples, target)?.cost)
        } else {
            None
        };
        out.write_record([
            num(t),
            num(s.cost),
            num(met),
            cvar.map(num).unwrap_or_default(),
            s.feasible.to_string(),
        ])?;
        rows.push((t, s.cost, met, cvar, s.feasible));
    }
    folder.finish_csv(out)?;
    Ok(rows)
}

fn render(
    d: &Decision,
    samples: &Samples,
    sized: &Sizing,
    checked: Option<&(Vec<f64>, f64)>,
    frontier: &[FrontierRow],
    a: &Args,
) -> String {
    let w = &d.scenario.world;
    let pct = |x: f64| format!("{:.1}%", 100.0 * x);
    let mut t = format!(
        "stockpile for P(unmet share > {}) <= {} ({}), {} paths{}:\n",
        pct(a.share),
        pct(1.0 - a.target),
        if a.joint || a.budget.is_some() {
            "jointly"
        } else {
            "per product"
        },
        a.paths,
        checked.map_or(String::new(), |_| format!(
            ", checked on {} fresh paths",
            a.check_paths
        )),
    );
    for (j, c) in samples.candidates.iter().enumerate() {
        if sized.volumes[j] <= 0.0 && sized.met[j] >= 1.0 {
            continue;
        }
        let p = &w.products[c.product.ix()];
        t.push_str(&format!(
            "  {:<14} {:<20} {:>10.1} {:<9} USD {:>8.1} M  met {} in sample{}\n",
            w.regions[c.region.ix()].code,
            p.code,
            sized.volumes[j],
            p.unit,
            sized.volumes[j] * c.usd_per_unit / 1e6,
            pct(sized.met[j]),
            checked.map_or(String::new(), |c| format!(
                ", {} out of sample",
                pct(c.0[j])
            )),
        ));
    }
    t.push_str(&format!(
        "  total USD {:.1} M; all products at once {} in sample{}\n",
        sized.cost / 1e6,
        pct(sized.joint_met),
        checked.map_or(String::new(), |c| format!(", {} out of sample", pct(c.1))),
    ));
    if !sized.feasible && a.budget.is_some() {
        t.push_str("  the budget cannot buy the target: the figures are the risk it achieves\n");
    }
    t.push_str("frontier (target: USD M):");
    for (target, cost, _, _, feasible) in frontier {
        let mark = if *feasible { "" } else { " (budget)" };
        t.push_str(&format!(" {target}: {:.1}{mark};", cost / 1e6));
    }
    t.pop();
    t.push('\n');
    t
}
