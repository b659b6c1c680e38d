//! Exposure measured by simulation, in the manner of the USGS 2025 critical-minerals method
//! (disruption scenarios weighted by their likelihood): [`end_use_exposure`] reads a Monte Carlo
//! result of one scenario into one [`EndUseExposure`] per (region, end-use product), each path's
//! shortfall and whether the region stopped; [`ScenarioWeight`]s (read by [`parse_weights`])
//! say how likely each scenario is; [`weighted`] blends the scenarios into a [`WeightedExposure`]
//! per (region, product): expected and 95th-percentile shortfall and the probability of a
//! stoppage.

use super::table::{InputError, Problem, Table};
use crate::model::{ProductId, World};
use crate::montecarlo::{Accumulator, MetricKind, SeriesSet};

/// A scenario's stated likelihood among the disruptions considered.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioWeight {
    pub scenario: String,
    pub weight: f64,
    pub source: String,
    pub confidence: crate::model::Confidence,
    pub reasoning: String,
}

/// Reads a weights table (`scenario,weight,source,confidence,reasoning`): every weight in
/// [0, 1], each scenario once, and the weights summing to 1 (± 1e-9), every problem reported.
pub fn parse_weights(file: &str, text: &str) -> Result<Vec<ScenarioWeight>, Vec<InputError>> {
    let cols = ["scenario", "weight", "source", "confidence", "reasoning"];
    let table = Table::read(file, text, &cols)?;
    let mut errors = Vec::new();
    let mut out: Vec<ScenarioWeight> = Vec::new();
    let mut last = None;
    for r in table.rows() {
        let row = (|| {
            Ok::<_, InputError>(ScenarioWeight {
                scenario: r.code("scenario")?,
                weight: r.number("weight", 0.0, 1.0)?,
                source: r.code("source")?,
                confidence: r.confidence()?,
                reasoning: r.code("reasoning")?,
            })
        })();
        match row {
            Ok(w) if out.iter().any(|o| o.scenario == w.scenario) => errors.push(r.error(
                "scenario",
                Problem::Inconsistent(format!("scenario `{}` is weighted twice", w.scenario)),
            )),
            Ok(w) => out.push(w),
            Err(e) => errors.push(e),
        }
        last = Some(r.place("weight"));
    }
    let total: f64 = out.iter().map(|w| w.weight).sum();
    if errors.is_empty() && (total - 1.0).abs() > 1e-9 {
        let at = last.unwrap_or(super::table::Place {
            file: file.into(),
            line: 1,
            column: 1,
        });
        errors.push(at.error(Problem::Inconsistent(format!(
            "weights sum to {total}, not 1"
        ))));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// One (region, end-use product) of one scenario's Monte Carlo result.
#[derive(Debug, Clone, PartialEq)]
pub struct EndUseExposure {
    /// The region's code (a buyer cohort's shortfall counts for its region).
    pub region: String,
    pub product: String,
    /// Each path's shortfall over the run (units of the product), in path order.
    pub shortfalls: Vec<f64>,
    /// Days the run reports: shortfalls of runs of different lengths compare per year.
    pub days: u32,
    /// Paths in which the region's end-use node ran short within the horizon.
    pub stopped: u64,
    pub paths: u64,
}

impl EndUseExposure {
    /// Shortfalls per year of the run: `shortfall · 365 / days`.
    pub fn per_year(&self) -> Vec<f64> {
        let f = 365.0 / f64::from(self.days.max(1));
        self.shortfalls.iter().map(|x| x * f).collect()
    }

    pub fn expected(&self) -> f64 {
        if self.shortfalls.is_empty() {
            return f64::NAN;
        }
        self.shortfalls.iter().sum::<f64>() / self.shortfalls.len() as f64
    }
    pub fn p_stop(&self) -> f64 {
        if self.paths == 0 {
            return f64::NAN;
        }
        self.stopped as f64 / self.paths as f64
    }
}

/// The end-use exposure rows of a result: one per stoppage row naming a product, in the
/// result's row order; each path's shortfall sums the product's nodes of the region and its
/// cohorts.
pub fn end_use_exposure(world: &World, set: &SeriesSet, acc: &Accumulator) -> Vec<EndUseExposure> {
    let last = set.days.saturating_sub(1);
    let mut out = Vec::new();
    for (k, row) in set.stoppage_rows.iter().enumerate() {
        let Some(product) = row.product else {
            continue;
        };
        let metrics: Vec<usize> = set
            .metrics
            .iter()
            .enumerate()
            .filter(|(_, m)| m.kind == MetricKind::Shortfall)
            .filter(|(_, m)| {
                m.node.is_some_and(|(r, p): (_, ProductId)| {
                    p == product && world.home(r) == row.region
                })
            })
            .map(|(i, _)| i)
            .collect();
        let shortfalls = acc
            .rows
            .iter()
            .map(|path| metrics.iter().map(|&i| path.values[i]).sum())
            .collect();
        out.push(EndUseExposure {
            region: world.regions[row.region.ix()].code.clone(),
            product: world.products[product.ix()].code.clone(),
            shortfalls,
            days: set.days,
            stopped: acc.stopped_by(k, last),
            paths: acc.paths,
        });
    }
    out
}

/// The scenarios blended for one (region, end-use product). Shortfalls are per year of each
/// run ([`EndUseExposure::per_year`]), so that runs of different horizons blend.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightedExposure {
    pub region: String,
    pub product: String,
    /// `Σ_s w_s · mean_s(shortfall per year) / Σ_s w_s` over the scenarios reporting the row.
    pub expected: f64,
    /// The 95th percentile of the mixture (each path of scenario s carrying w_s / paths_s): the
    /// smallest shortfall x with `Σ w · [shortfall ≤ x] ≥ 0.95 · Σ w`.
    pub p95: f64,
    /// `Σ_s w_s · P_s(stoppage) / Σ_s w_s`.
    pub p_stop: f64,
    /// Σ w_s of the scenarios that report the row (below 1 when some do not).
    pub weight: f64,
}

/// The smallest value whose cumulative weight reaches `q` of the total (values sorted first).
pub fn mixture_quantile(samples: &mut [(f64, f64)], q: f64) -> f64 {
    samples.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = samples.iter().map(|s| s.1).sum();
    let mut acc = 0.0;
    for &(x, w) in samples.iter() {
        acc += w;
        if acc >= q * total {
            return x;
        }
    }
    samples.last().map_or(f64::NAN, |s| s.0)
}

/// Blends per-scenario exposures with their weights; rows keyed by (region, product) in the
/// order first seen. Scenarios of weight 0 do not count.
pub fn weighted(scenarios: &[(f64, Vec<EndUseExposure>)]) -> Vec<WeightedExposure> {
    let mut keys: Vec<(String, String)> = Vec::new();
    for (w, rows) in scenarios {
        for r in rows.iter().filter(|_| *w > 0.0) {
            let key = (r.region.clone(), r.product.clone());
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    keys.into_iter()
        .map(|(region, product)| {
            let (mut weight, mut expected, mut p_stop) = (0.0, 0.0, 0.0);
            let mut samples = Vec::new();
            for (w, rows) in scenarios.iter().filter(|(w, _)| *w > 0.0) {
                let Some(r) = rows
                    .iter()
                    .find(|r| r.region == region && r.product == product)
                else {
                    continue;
                };
                let per_year = r.per_year();
                weight += w;
                expected += w * per_year.iter().sum::<f64>() / per_year.len().max(1) as f64;
                p_stop += w * r.p_stop();
                let each = w / per_year.len().max(1) as f64;
                samples.extend(per_year.iter().map(|&x| (x, each)));
            }
            WeightedExposure {
                region,
                product,
                expected: expected / weight,
                p95: mixture_quantile(&mut samples, 0.95),
                p_stop: p_stop / weight,
                weight,
            }
        })
        .collect()
}
