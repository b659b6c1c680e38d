//! Stockpile sizing under a risk target: the least-cost strategic stockpiles such that the
//! probability that unmet demand exceeds a stated share stays within a target
//! (docs/decisions.md has the formulation, what it approximates and how it is checked).
//!
//! [`sample`] runs the engine without the stockpile over N Monte Carlo paths and keeps, per path
//! k and [`Candidate`] j (a region × product), the shortfall U_kj and the need N_kj over the
//! reported days: the [`Samples`]. A stockpile of V_j released as its node runs short covers
//! min(U_kj, V_j) of that shortfall, so path k meets the target share s of candidate j when
//!
//! ```text
//! U_kj − min(U_kj, V_j) ≤ s · N_kj   ⇔   V_j ≥ w_kj,   w_kj = max(0, U_kj − s · N_kj)
//! ```
//!
//! The sample-average approximation of the chance constraint P(unmet share > s) ≤ 1 − α is
//! then, per candidate, `#{k : w_kj ≤ V_j} ≥ ⌈α N⌉`, whose least V_j is an order statistic of
//! the w_kj ([`size_per_product`], exact). Jointly over the candidates (every candidate of a
//! path meets s) and within a budget B it is a mixed-integer program; [`size_jointly`] solves
//! its LP relaxation in the ALSO-X form (Jiang & Xie 2022) through `good_lp`: for a cost level
//! t,
//!
//! ```text
//! min Σ_k z_k   s.t.  z_k ≥ (w_kj − V_j) / n̄_j  ∀ k, j;   z ≥ 0;   V ≥ 0;   Σ_j c_j V_j ≤ t
//! ```
//!
//! (n̄_j the mean need of candidate j a path, which makes the excesses comparable), and
//! bisects t for the least cost whose LP solution meets the target on at least ⌈α N⌉ paths
//! (z_k = 0). [`cvar_volumes`] gives the conservative Rockafellar–Uryasev bound for
//! comparison. [`with_stockpiles`] puts sized stockpiles into a scenario as stockpiles and
//! release events, for the out-of-sample check on fresh paths.

use crate::engine::Engine;
use crate::event::{Event, StockpileRelease};
use crate::model::{ProductId, RegionId, Stockpile};
use crate::record::NullSink;
use crate::scenario::Scenario;
use crate::uncertain::Uncertainty;
use good_lp::{
    Expression, ResolutionError, Solution, SolverModel, Variable, constraint, microlp, variable,
    variables,
};
use rayon::prelude::*;

/// A place a stockpile may be held: a (region, product) node with a need.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub region: RegionId,
    pub product: ProductId,
    /// Cost of one unit stockpiled, USD: bought at the product's price on the first day and
    /// held over the horizon (see [`unit_cost`]).
    pub usd_per_unit: f64,
}

/// Per path and candidate, the shortfall and need over the reported days of a run without the
/// stockpile, laid out `[k · J + j]` for path k of `paths` and candidate j.
#[derive(Debug, Clone, PartialEq)]
pub struct Samples {
    pub candidates: Vec<Candidate>,
    pub paths: Vec<u64>,
    pub shortfall: Vec<f64>,
    pub need: Vec<f64>,
}

/// The risk target: P(unmet share of the reported days' need > `share`) ≤ 1 − `probability`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    pub share: f64,
    pub probability: f64,
}

/// A sized set of stockpiles and the risk it gives on the sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Sizing {
    /// Volume per candidate, units.
    pub volumes: Vec<f64>,
    /// Σ c_j V_j, USD.
    pub cost: f64,
    /// Share of the paths on which each candidate meets the target share.
    pub met: Vec<f64>,
    /// Share of the paths on which every candidate meets it.
    pub joint_met: f64,
    /// Whether the target is met (on the sample): false only when a budget forbids it, and
    /// then `volumes` are the best the budget buys and `met`/`joint_met` the risk achieved.
    pub feasible: bool,
}

/// Why sizing failed (not an infeasible target: that is a [`Sizing`] with `feasible` false).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SizingError {
    #[error("no paths to size a stockpile on")]
    NoPaths,
    #[error("target probability {0} is not in (0, 1]")]
    Probability(f64),
    #[error("target share {0} is not in [0, 1)")]
    Share(f64),
    #[error("the LP solver failed: {0}")]
    Solver(String),
}

/// Cost of a unit stockpiled: the price P0 (USD/kg) times 1000 kg/t, plus holding at `rate` a
/// year over `days`: c = 1000 · P0 · (1 + rate · days / 365).
pub fn unit_cost(price_usd_per_kg: f64, holding_rate: f64, days: u32) -> f64 {
    1000.0 * price_usd_per_kg * (1.0 + holding_rate * f64::from(days) / 365.0)
}

/// Runs `paths` of `central` (with its uncertainty `unc`) on `threads` threads and keeps each
/// candidate's shortfall and need. The result depends only on (seed, path), not on threads.
pub fn sample(
    central: &Scenario,
    unc: &Uncertainty,
    candidates: Vec<Candidate>,
    seed: u64,
    paths: &[u64],
    threads: usize,
) -> Samples {
    let nodes: Vec<(RegionId, ProductId)> =
        candidates.iter().map(|c| (c.region, c.product)).collect();
    let one = |&path: &u64| -> Vec<(f64, f64)> {
        let owned = (!unc.is_empty()).then(|| central.for_path(unc, seed, path).0);
        let scenario = owned.as_ref().unwrap_or(central);
        let mut engine = Engine::new(scenario, seed, path).without_records();
        while !engine.finished() {
            engine.step(&mut NullSink);
        }
        nodes
            .iter()
            .map(|&(r, p)| {
                engine
                    .node_totals(r, p)
                    .map_or((0.0, 0.0), |t| (t.shortfall, t.need))
            })
            .collect()
    };
    let rows: Vec<Vec<(f64, f64)>> = match rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
    {
        Ok(pool) => pool.install(|| paths.par_iter().map(one).collect()),
        Err(_) => paths.iter().map(one).collect(),
    };
    let flat = rows.into_iter().flatten();
    let (shortfall, need) = flat.unzip();
    Samples {
        candidates,
        paths: paths.to_vec(),
        shortfall,
        need,
    }
}

impl Samples {
    fn n(&self) -> usize {
        self.paths.len()
    }

    fn j(&self) -> usize {
        self.candidates.len()
    }

    /// w_kj = max(0, U_kj − s · N_kj): the volume path k needs of candidate j.
    fn want(&self, share: f64) -> Vec<f64> {
        self.shortfall
            .iter()
            .zip(&self.need)
            .map(|(u, n)| (u - share * n).max(0.0))
            .collect()
    }

    /// Per candidate and jointly, the share of paths whose need `w` the volumes cover.
    fn met(&self, w: &[f64], volumes: &[f64]) -> (Vec<f64>, f64) {
        let (n, j) = (self.n(), self.j());
        let mut per = vec![0usize; j];
        let mut joint = 0usize;
        for k in 0..n {
            let mut all = true;
            for (c, v) in volumes.iter().enumerate() {
                if covers(*v, w[k * j + c]) {
                    per[c] += 1;
                } else {
                    all = false;
                }
            }
            joint += usize::from(all);
        }
        let f = |x: usize| x as f64 / n as f64;
        (per.into_iter().map(f).collect(), f(joint))
    }

    fn cost(&self, volumes: &[f64]) -> f64 {
        volumes
            .iter()
            .zip(&self.candidates)
            .map(|(v, c)| v * c.usd_per_unit)
            .sum()
    }

    fn sizing(&self, w: &[f64], volumes: Vec<f64>, target: Target, joint: bool) -> Sizing {
        let (met, joint_met) = self.met(w, &volumes);
        let need = required(self.n(), target.probability) as f64 / self.n() as f64;
        let feasible = if joint {
            joint_met >= need
        } else {
            met.iter().all(|m| *m >= need)
        };
        Sizing {
            cost: self.cost(&volumes),
            volumes,
            met,
            joint_met,
            feasible,
        }
    }
}

/// Whether a volume covers a need, allowing the rounding of an LP solution.
fn covers(volume: f64, need: f64) -> bool {
    need <= volume * (1.0 + 1e-9) + 1e-9
}

/// Paths that must meet the target: ⌈α N⌉ (a hair of slack so that 0.95 · 100 is 95).
fn required(n: usize, probability: f64) -> usize {
    ((probability * n as f64) - 1e-9).ceil().max(0.0) as usize
}

fn check(samples: &Samples, target: Target) -> Result<(), SizingError> {
    if samples.paths.is_empty() {
        return Err(SizingError::NoPaths);
    }
    if !(target.probability > 0.0 && target.probability <= 1.0) {
        return Err(SizingError::Probability(target.probability));
    }
    if !(0.0..1.0).contains(&target.share) {
        return Err(SizingError::Share(target.share));
    }
    Ok(())
}

/// The least volume of each candidate that meets the target on its own: the ⌈α N⌉-th smallest
/// w_kj (exact for the sample; always feasible).
pub fn size_per_product(samples: &Samples, target: Target) -> Result<Sizing, SizingError> {
    size_at_levels(samples, target, &[])
}

/// [`size_per_product`] with each candidate j sized at its own probability `levels[j]`; `met`
/// and `feasible` are still judged against `target`. The out-of-sample calibration uses it:
/// where the full engine meets the share less (more) often than the sample promised, the
/// candidate's level is raised (lowered) by the gap and the volumes sized again.
pub fn size_at_levels(
    samples: &Samples,
    target: Target,
    levels: &[f64],
) -> Result<Sizing, SizingError> {
    check(samples, target)?;
    let (n, j) = (samples.n(), samples.j());
    let w = samples.want(target.share);
    let volumes = (0..j)
        .map(|c| {
            let level = levels.get(c).copied().unwrap_or(target.probability);
            let m = required(n, level.clamp(0.0, 1.0)).max(1);
            let mut col: Vec<f64> = (0..n).map(|k| w[k * j + c]).collect();
            col.sort_by(f64::total_cmp);
            col[m - 1]
        })
        .collect();
    Ok(samples.sizing(&w, volumes, target, false))
}

/// The out-of-sample calibration of per-product levels: for each candidate j, a bisection on
/// its in-sample level ℓ_j (the probability its volume is sized at, [`size_at_levels`]) for the
/// level whose volume meets the target in the full engine. Volumes grow with ℓ, and so does the
/// share of fresh paths that meet the target share, so the level sought lies in a bracket
/// [lo_j, hi_j] that each round halves:
///
/// ```text
/// met_j > α + tol  ⇒  hi_j = ℓ_j        met_j < α − tol  ⇒  lo_j = ℓ_j        ℓ_j ← (lo_j + hi_j) / 2
/// ```
///
/// and a candidate within α ± tol keeps its level (it is settled). The bracket starts at [0, 1]
/// and the first level at α: where the engine meets the target more often than the open-loop
/// sample promised (or less), the level moves by half the remaining bracket, not by the gap,
/// which a feedback much stronger than the gap would make too slow.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelSearch {
    pub levels: Vec<f64>,
    lo: Vec<f64>,
    hi: Vec<f64>,
    /// The levels of the round whose shares met came closest to the target for every
    /// candidate at once (the least largest gap), and that gap (`f64::INFINITY` before the
    /// first round).
    best: (Vec<f64>, f64),
    target: f64,
    tolerance: f64,
}

impl LevelSearch {
    /// `candidates` levels at `target`, settled within `tolerance` of it.
    pub fn new(candidates: usize, target: f64, tolerance: f64) -> LevelSearch {
        LevelSearch {
            levels: vec![target; candidates],
            lo: vec![0.0; candidates],
            hi: vec![1.0; candidates],
            best: (vec![target; candidates], f64::INFINITY),
            target,
            tolerance,
        }
    }

    /// Moves every unsettled level after a round in which candidate j met the target share on
    /// a share `met[j]` of fresh paths at `self.levels[j]`.
    pub fn update(&mut self, met: &[f64]) {
        let gap = met
            .iter()
            .take(self.levels.len())
            .map(|m| (m - self.target).abs())
            .fold(0.0, f64::max);
        if gap < self.best.1 {
            self.best = (self.levels.clone(), gap);
        }
        for (j, &m) in met.iter().enumerate().take(self.levels.len()) {
            let level = self.levels[j];
            if m > self.target + self.tolerance {
                self.hi[j] = level;
            } else if m < self.target - self.tolerance {
                self.lo[j] = level;
            } else {
                continue;
            }
            self.levels[j] = 0.5 * (self.lo[j] + self.hi[j]);
        }
    }

    /// The levels to size at after the last round: those of the round that came closest to the
    /// target for every candidate at once (the current levels before any round). A round's
    /// shares were measured together, and the candidates' stockpiles act on each other (they
    /// draw on the same suppliers), so levels taken from different rounds were never measured
    /// as a set; and the last round's bisection step is a level no round has checked.
    pub fn best_levels(&self) -> Vec<f64> {
        if self.best.1.is_finite() {
            self.best.0.clone()
        } else {
            self.levels.clone()
        }
    }
}

/// The ALSO-X LP at cost level `t`: the volumes that minimise the paths' total excess.
fn also_x(samples: &Samples, w: &[f64], scale: &[f64], t: f64) -> Result<Vec<f64>, SizingError> {
    let (n, j) = (samples.n(), samples.j());
    let mut vars = variables!();
    let v: Vec<Variable> = (0..j).map(|_| vars.add(variable().min(0.0))).collect();
    let z: Vec<Variable> = (0..n).map(|_| vars.add(variable().min(0.0))).collect();
    let objective: Expression = z.iter().sum();
    let mut model = vars.minimise(objective).using(microlp);
    let spend: Expression = v
        .iter()
        .zip(&samples.candidates)
        .map(|(v, c)| c.usd_per_unit * *v)
        .sum();
    model = model.with(constraint!(spend <= t));
    for k in 0..n {
        for c in 0..j {
            let need = w[k * j + c];
            if need > 0.0 {
                let excess = (need - v[c]) / scale[c];
                model = model.with(constraint!(z[k] >= excess));
            }
        }
    }
    let solution = model.solve().map_err(lp_error)?;
    Ok(v.iter().map(|x| solution.value(*x).max(0.0)).collect())
}

fn lp_error(e: ResolutionError) -> SizingError {
    SizingError::Solver(e.to_string())
}

/// Mean need of each candidate a path (at least a tiny positive number): the scale of its
/// excesses in the LPs.
fn scales(samples: &Samples) -> Vec<f64> {
    let (n, j) = (samples.n(), samples.j());
    (0..j)
        .map(|c| {
            let total: f64 = (0..n).map(|k| samples.need[k * j + c]).sum();
            (total / n as f64).max(1e-12)
        })
        .collect()
}

/// The least-cost volumes such that every candidate meets the target share on the same path
/// with probability α, within `budget` USD when given. When the budget cannot buy the target
/// the result is not an error: `feasible` is false and the volumes are the LP's at the budget,
/// with the risk they achieve.
///
/// The joint optimum lies between Σ c_j V_j(α) (each candidate must meet α alone) and the
/// Bonferroni volumes Σ c_j V_j(1 − (1 − α)/J), which meet the joint target; the bisection on
/// t keeps the cheapest LP solution that meets it (the Bonferroni volumes until one does), to
/// a relative cost tolerance of 1e-4.
pub fn size_jointly(
    samples: &Samples,
    target: Target,
    budget: Option<f64>,
) -> Result<Sizing, SizingError> {
    check(samples, target)?;
    let w = samples.want(target.share);
    let scale = scales(samples);
    let j = samples.j().max(1) as f64;
    let lo_sizing = size_per_product(samples, target)?;
    let bonferroni = Target {
        probability: 1.0 - (1.0 - target.probability) / j,
        ..target
    };
    let mut best = size_per_product(samples, bonferroni)?;
    best = samples.sizing(&w, best.volumes, target, true);
    if lo_sizing.joint_met >= required(samples.n(), target.probability) as f64 / samples.n() as f64
    {
        best = samples.sizing(&w, lo_sizing.volumes.clone(), target, true);
    }
    let (mut lo, mut hi) = (lo_sizing.cost, best.cost);
    while hi - lo > 1e-4 * hi.max(1.0) {
        let mid = 0.5 * (lo + hi);
        let volumes = also_x(samples, &w, &scale, mid)?;
        let s = samples.sizing(&w, volumes, target, true);
        if s.feasible {
            hi = s.cost.min(mid);
            if s.cost < best.cost {
                best = s;
            }
        } else {
            lo = mid;
        }
    }
    match budget {
        Some(b) if best.cost > b => {
            let volumes = also_x(samples, &w, &scale, b)?;
            let mut s = samples.sizing(&w, volumes, target, true);
            s.feasible = false;
            Ok(s)
        }
        _ => Ok(best),
    }
}

/// The conservative bound: the least-cost volumes whose CVaR_α of the joint excess share
/// max_j (w_kj − V_j)/n̄_j is at most 0 (Rockafellar–Uryasev),
///
/// ```text
/// min Σ_j c_j V_j  s.t.  η + Σ_k z_k / ((1 − α) N) ≤ 0,  z_k ≥ (w_kj − V_j)/n̄_j − η,  z ≥ 0
/// ```
///
/// It implies the chance constraint, so it costs at least as much as [`size_jointly`].
pub fn cvar_volumes(samples: &Samples, target: Target) -> Result<Sizing, SizingError> {
    check(samples, target)?;
    let (n, j) = (samples.n(), samples.j());
    let w = samples.want(target.share);
    let scale = scales(samples);
    let mut vars = variables!();
    let v: Vec<Variable> = (0..j).map(|_| vars.add(variable().min(0.0))).collect();
    let z: Vec<Variable> = (0..n).map(|_| vars.add(variable().min(0.0))).collect();
    let eta = vars.add(variable());
    let spend: Expression = v
        .iter()
        .zip(&samples.candidates)
        .map(|(v, c)| c.usd_per_unit * *v)
        .sum();
    let mut model = vars.minimise(spend).using(microlp);
    let tail = ((1.0 - target.probability) * n as f64).max(1e-9);
    let sum_z: Expression = z.iter().sum();
    model = model.with(constraint!(eta + sum_z / tail <= 0.0));
    for k in 0..n {
        for c in 0..j {
            let need = w[k * j + c];
            if need > 0.0 {
                let excess = (need - v[c]) / scale[c];
                model = model.with(constraint!(z[k] >= excess - eta));
            }
        }
    }
    let solution = model.solve().map_err(lp_error)?;
    let volumes = v.iter().map(|x| solution.value(*x).max(0.0)).collect();
    Ok(samples.sizing(&w, volumes, target, true))
}

/// How a sized stockpile is released in the full engine: while its node's commercial cover is
/// below `trigger_days`, up to `rate_days` times the node's baseline daily need a day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReleaseRule {
    pub trigger_days: f64,
    pub rate_days: f64,
}

impl ReleaseRule {
    /// The release rate at candidate `c` of the network `net` (units a day): `rate_days` times
    /// its node's baseline daily need (a floor of 1e-9 keeps the rate valid at a node with none).
    pub fn rate(&self, net: &crate::network::Network, c: &Candidate) -> f64 {
        (self.rate_days * net.need0[net.node(c.region, c.product)]).max(1e-9)
    }
}

/// `central` and `unc` with a strategic stockpile of `volumes[j]` at each candidate (added to
/// any it holds) and a release event by `rule` over the whole run. Events are appended, so the
/// uncertain parameters keep their targets.
pub fn with_stockpiles(
    central: &Scenario,
    unc: &Uncertainty,
    candidates: &[Candidate],
    volumes: &[f64],
    rule: ReleaseRule,
) -> (Scenario, Uncertainty) {
    let (mut s, mut u) = (central.clone(), unc.clone());
    let net = crate::network::Network::new(&central.world);
    for (c, &v) in candidates.iter().zip(volumes) {
        if v <= 0.0 {
            continue;
        }
        s.world.stockpiles.push(Stockpile {
            region: c.region,
            product: c.product,
            quantity: v,
        });
        let label = format!(
            "sized stockpile {}:{}",
            central.world.regions[c.region.ix()].code,
            central.world.products[c.product.ix()].code
        );
        let release = StockpileRelease {
            region: c.region,
            product: c.product,
            rate: rule.rate(&net, c),
            trigger_days: Some(rule.trigger_days),
            trigger_price: None,
        };
        let event = Event::release_for_the_whole_run(release, 0, label);
        s.events.push(event.clone());
        if !u.events.is_empty() {
            u.events.push(event);
        }
    }
    (s, u)
}

/// Out of sample: the share of `samples`' paths (a run *with* the stockpiles) on which each
/// candidate, and every candidate at once, kept its unmet share within `share`.
pub fn met_share(samples: &Samples, share: f64) -> (Vec<f64>, f64) {
    let w = samples.want(share);
    samples.met(&w, &vec![0.0; samples.j()])
}
