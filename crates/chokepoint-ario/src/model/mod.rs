//! The ARIO engine: [`Params`] (BoARIO's parameters and their defaults), [`Mode`]
//! (`Fixed` or `Compat` = BoARIO 0.7.2 with its quirks), [`Model`] (state and one daily
//! [`Model::step`]), [`Shock`] (index-based events, including daily production-loss series for
//! callers such as the mineral model) and [`SwitchLog`] (the two tolerance switches of compat
//! mode, so flips against the peer can be counted and replayed).
//!
//! Notation: R regions, S sectors, n = R·S industries `i = r·S + s`; `s(i)` its sector.
//! Daily tables `Z0 = Z/365`, `Y0 = Y/365`, `X0 = x/365`; `A = Z·diag(x)⁻¹`; technical
//! coefficients by product `T[s,f] = Σ_{i: s(i)=s} A[i,f]` (S × n); inventories `Ω` (S × n).
//!
//! One step t (compat order; the fixed mode differs as listed in docs/ario.md):
//! 1. events → capacity loss `Δ` (capital lost / K, K = 4·VA, and arbitrary shares) and
//!    rebuilding demand `Rb`
//! 2. demand `D_i = Σ_f O[i,f] + Σ_c Y0[i,c] + Σ Rb[i,·]`
//! 3. overproduction `α ← α + (α_max − α)·sc/τ_α + (α_b − α)·[sc = 0]/τ_α`, `sc = (D − x)/D`
//! 4. capacity `x̄ = X0·(1 − Δ)·α`; `x* = min(D, x̄)`; inventory constraint
//!    `C[s,f] = ψ·s_s·T[s,f]·x*_f`; `x_f = x*_f · min_s min(1, Ω[s,f]/C[s,f])` over inputs with
//!    `Z^C[s,f] > 10⁻⁵·X0_f`
//! 5. proportional rationing: every demand gets `E[i,k]/D_i · x_i`; inventories
//!    `Ω ← Ω − T∘x + I_sum·Del` (intermediate deliveries summed by product)
//! 6. orders: goal `Ω*[s,f] = s_s·T[s,f]·min(D', x̄)_f`; `G = r_s·max(Ω* − Ω, 0) + T∘x`;
//!    `O[i,f] = G[s(i),f] · w[i,f]` with `w[i,f] = Z0[i,f]·ρ_i / Σ_{i': s(i')=s(i)} Z0[i',f]·ρ_i'`
//!    (`ρ = x̄/X0` for `alt`, 1 for `noalt`).
//!
//! Memory: the only n × n matrix is `Z0`; the orders matrix is never stored, it is
//! `O[i,f] = ρ_i·Z0[i,f]·H[s(i),f]` with `H = G / Σ Z0·ρ` (S × n). A step allocates nothing
//! and streams `Z0` from memory once (`Model::pass_fused`): supplier rows are walked sector by
//! sector (the R rows of sector s, strided in the region-major order); after the R rows of s
//! the deliveries of product s and the normalisation `Σ_{i∈s} Z0[i,·]·ρ'_i` are complete, so
//! are the inventory update, goal and orders `H[s,·]` of row s, and the next step's demand
//! `D'_i = ρ'_i·Σ_f Z0[i,f]·H[s,f]` of those R rows is summed by re-reading them from cache
//! (R·n·8 bytes). Nothing between the end of a step and the next demand depends on the next
//! step's events. BoARIO's two allclose switches (compat mode) are global over S × n, so the
//! pass assumes the previous step's decisions; on a miss the S × n part is redone and the next
//! step runs a separate demand pass (`Model::pass_demand`). The arithmetic is the same either
//! way (tested bit for bit).

mod kernels;
mod params;

use std::collections::HashMap;

pub use params::{InvDuration, Mode, ModelKind, OrderType, Params, industry_order};

use crate::error::{AriError, EventError, ModelError};
use crate::events::{EventSpec, ImpactUnit, RecoveryFn};
use crate::mrio::Mrio;
use crate::record::{Sink, StepView};
#[cfg(target_arch = "x86_64")]
use kernels::simd;
use kernels::{axpy, axpy2, dot, dot_acc, dot4, dot4_acc};

/// An index-based shock. Build them with [`Model::add_events`] from names, or directly.
#[derive(Debug, Clone)]
pub enum Shock {
    /// Share of capacity lost per industry.
    Arbitrary {
        impact: Vec<(usize, f64)>,
        occurrence: usize,
        duration: usize,
        recovery_tau: u32,
        recovery_function: RecoveryFn,
    },
    /// Capital destroyed per industry (MRIO units), recovering.
    Recovery {
        damage: Vec<(usize, f64)>,
        occurrence: usize,
        duration: usize,
        recovery_tau: u32,
        recovery_function: RecoveryFn,
    },
    /// Capital destroyed per industry, rebuilt by sectors `(sector index, share)`.
    Rebuild {
        damage: Vec<(usize, f64)>,
        occurrence: usize,
        duration: usize,
        rebuild_tau: u32,
        sectors: Vec<(usize, f64)>,
        factor: f64,
    },
    /// Flows of `(from region, sector, to region)` cut by `share` (fixed mode only).
    TradeLink {
        links: Vec<(usize, usize, usize)>,
        share: f64,
        occurrence: usize,
        duration: usize,
        recovery_tau: Option<u32>,
    },
    /// Daily production-capacity loss shares: `shares[d·k + j]` is the loss of
    /// `industries[j]` on step `start + d` (fixed mode only). This is how a caller (e.g. the
    /// mineral model) feeds daily sector output losses.
    LossSeries {
        industries: Vec<usize>,
        start: usize,
        shares: Vec<f64>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Pending,
    Happening,
    Recovering,
    Rebuilding,
    Finished,
}

#[derive(Debug, Clone)]
struct RebuildState {
    /// Industries that rebuild: every region × rebuilding sector.
    rows: Vec<usize>,
    /// Affected industries.
    cols: Vec<usize>,
    /// Remaining rebuilding demand (rows × cols).
    remaining: Vec<f64>,
    /// The model's rebuilding-demand columns (rows × cols), as BoARIO keeps them.
    model_cols: Vec<f64>,
    tau: u32,
    factor: f64,
    id: Option<usize>,
}

#[derive(Debug, Clone)]
struct Tracker {
    shock: Shock,
    status: Status,
    /// Arbitrary: current loss shares (aligned with `impact`).
    arb: Option<Vec<f64>>,
    /// Capital events: current damage (aligned with `damage`, or with `rebuild.cols`).
    dmg: Option<Vec<f64>>,
    rebuild: Option<RebuildState>,
}

impl Tracker {
    fn occ_dur(&self) -> (usize, usize) {
        match &self.shock {
            Shock::Arbitrary {
                occurrence,
                duration,
                ..
            }
            | Shock::Recovery {
                occurrence,
                duration,
                ..
            }
            | Shock::Rebuild {
                occurrence,
                duration,
                ..
            }
            | Shock::TradeLink {
                occurrence,
                duration,
                ..
            } => (*occurrence, *duration),
            Shock::LossSeries {
                start,
                shares,
                industries,
            } => (*start, shares.len() / industries.len().max(1)),
        }
    }
    fn is_arbitrary(&self) -> bool {
        matches!(self.shock, Shock::Arbitrary { .. })
    }
    /// Indices that `dmg` is aligned with.
    fn dmg_index(&self) -> &[(usize, f64)] {
        match &self.shock {
            Shock::Recovery { damage, .. } | Shock::Rebuild { damage, .. } => damage,
            _ => &[],
        }
    }
}

/// The two `np.allclose` switches of BoARIO 0.7.2, per step.
#[derive(Debug, Clone, Default)]
pub struct SwitchLog {
    /// `true` when the inventory update was skipped (deliveries ≈ use).
    pub stock_update_skipped: Vec<bool>,
    /// `true` when the order gap was zeroed (inventories ≈ goal).
    pub gap_zeroed: Vec<bool>,
    /// Smallest relative distance of any element to the allclose threshold, per step and
    /// switch (`|a−b| / (atol + rtol·|b|)` closest to 1), to flag near-flips.
    pub stock_margin: Vec<f64>,
    pub gap_margin: Vec<f64>,
    /// Steps whose switch decisions differed from the fused pass's prediction (the previous
    /// step's decisions): the S × n part was redone and the next demand took its own pass.
    pub fused_misses: usize,
    /// Compat overproduction relaxation (`scarcity == 0.0`), per step and industry (empty at
    /// steps 0 and 1, which BoARIO does not update); recorded only when
    /// [`Model::log_alpha_relaxed`] is set. An ulp of difference between demand and the
    /// previous production (summation order) flips it.
    pub alpha_relaxed: Vec<Vec<bool>>,
}

/// Forced switch decisions (e.g. the peer's), step-indexed; `None` = decide normally.
#[derive(Debug, Clone, Default)]
pub struct SwitchOverride {
    pub stock_update_skipped: Vec<Option<bool>>,
    pub gap_zeroed: Vec<Option<bool>>,
    /// Compat overproduction relaxation per step and industry (`None` or empty = decide
    /// normally, by `scarcity == 0.0`).
    pub alpha_relaxed: Vec<Option<Vec<bool>>>,
}

const RTOL: f64 = 1e-5;
const ATOL: f64 = 1e-8;
const TECH_THRESHOLD: f64 = 1e-5;

/// The ARIO model state.
pub struct Model {
    p: Params,
    regions: Vec<String>,
    sectors: Vec<String>,
    n_r: usize,
    n_s: usize,
    n: usize,
    n_c: usize,
    /// Daily flows, n × n (the only dense square matrix).
    z0: Vec<f64>,
    /// Daily final demand, n × (R·C).
    y0: Vec<f64>,
    x0: Vec<f64>,
    fd_tot: Vec<f64>,
    k: Vec<f64>,
    /// T (S × n), thresholds (S × n).
    tech: Vec<f64>,
    thresh: Vec<bool>,
    inv: Vec<f64>,
    inv_fin: Vec<f64>,
    restor: Vec<f64>,
    // state
    t: usize,
    stock: Vec<f64>,
    alpha: Vec<f64>,
    x: Vec<f64>,
    delta: Vec<f64>,
    arb_prev: Option<Vec<f64>>,
    k_lost: Option<Vec<f64>>,
    rho_o: Vec<f64>,
    h: Vec<f64>,
    /// Trade-link multipliers in force for the current orders (R·S·R, `None` = all 1).
    m_o: Option<Vec<f64>>,
    col_orders: Vec<f64>,
    trackers: Vec<Tracker>,
    n_rebuild: usize,
    // scratch (n)
    od: Vec<f64>,
    dem: Vec<f64>,
    cap: Vec<f64>,
    xopt: Vec<f64>,
    rb_dem: Vec<f64>,
    rb_prod: Vec<f64>,
    fd_unmet: Vec<f64>,
    fd_undist: Vec<f64>,
    va: Vec<f64>,
    rho_n: Vec<f64>,
    coef: Vec<f64>,
    // scratch (S × n)
    acc: Vec<f64>,
    zcp: Vec<f64>,
    limiting: Vec<bool>,
    stock_start: Vec<f64>,
    /// Inventories after the update, written by the fused pass (S × n; swapped with `stock`).
    stock_next: Vec<f64>,
    /// Intermediate demand of the next step, computed by the fused pass (n).
    od_next: Vec<f64>,
    /// Demand accumulators of the fused pass, 8 per row of a sector (R).
    dacc: Vec<[f64; 8]>,
    /// Column block of the fused pass (a multiple of 8; 1024 columns: the R row segments of a
    /// block take 8·R KB, 392 KB at EXIOBASE's 49 regions).
    col_block: usize,
    /// allclose ratios of one row of the fused pass (n each).
    cr_stock: Vec<f64>,
    cr_gap: Vec<f64>,
    /// `od_next` holds the next step's intermediate demand.
    od_ready: bool,
    /// Predicted compat switch decisions (stock update skipped, gap zeroed) for the fused pass.
    pred: (bool, bool),
    /// Reuse the fused pass's next demand (off: pass A every step, for tests).
    fused: bool,
    /// Y0 with trade links applied, when links are active (n × R·C).
    y_eff: Option<Vec<f64>>,
    record_stocks: bool,
    pub switches: SwitchLog,
    pub overrides: Option<SwitchOverride>,
    /// Record the compat overproduction relaxation decisions in [`SwitchLog::alpha_relaxed`]
    /// (n booleans per step; off by default).
    pub log_alpha_relaxed: bool,
}

/// `np.round(v, d)`: scale, round half to even, unscale.
fn np_round(v: f64, d: i32) -> f64 {
    let f = 10f64.powi(d);
    (v * f).round_ties_even() / f
}

/// `|a − b| / (atol + rtol·|b|)`; ≤ 1 means close (NaN never close, equal infinities close).
fn close_ratio(a: f64, b: f64) -> f64 {
    if a == b {
        return 0.0;
    }
    if !a.is_finite() || !b.is_finite() {
        return f64::INFINITY;
    }
    (a - b).abs() / (ATOL + RTOL * b.abs())
}

impl Model {
    /// Builds the model from an MRIO (consumed: its Z becomes the daily Z0 in place).
    pub fn new(mrio: Mrio, params: Params) -> Result<Model, AriError> {
        let p = params;
        let param = |m: String| AriError::Model(ModelError::Param(m));
        if p.psi > 1.0 || p.psi < 0.0 || !p.psi.is_finite() {
            return Err(param(format!("psi = {} must be in [0, 1]", p.psi)));
        }
        if p.alpha_tau == 0 || p.inv_restoration_tau == 0 || p.rebuild_tau == 0 {
            return Err(param(
                "alpha-tau, inv-restoration-tau and rebuild-tau must be positive".into(),
            ));
        }
        if p.alpha_max < p.alpha_base || p.alpha_base <= 0.0 {
            return Err(param(format!(
                "alpha-max ({}) must be >= alpha-base ({}) > 0",
                p.alpha_max, p.alpha_base
            )));
        }
        if p.monetary_factor == 0 {
            return Err(param("monetary-factor must be positive".into()));
        }
        let Mrio {
            regions,
            sectors,
            fd_categories,
            mut z,
            mut y,
            x,
        } = mrio;
        let (n_r, n_s, n_c) = (regions.len(), sectors.len(), fd_categories.len());
        let n = n_r * n_s;
        let f = 1.0 / 365.0;
        // inventories
        let mut inv = vec![p.main_inv_dur; n_s];
        if let Some(list) = &p.inventory {
            let known: HashMap<&str, usize> = sectors
                .iter()
                .enumerate()
                .map(|(i, s)| (s.as_str(), i))
                .collect();
            let mut listed = vec![false; n_s];
            for (name, d) in list {
                let Some(&s) = known.get(name.as_str()) else {
                    return Err(param(format!(
                        "inventory: unknown sector `{name}`; hint: known sectors are {}",
                        sectors.join(", ")
                    )));
                };
                listed[s] = true;
                inv[s] = match d {
                    InvDuration::Days(v) => *v,
                    InvDuration::Infinite => f64::INFINITY,
                };
            }
            if let (Mode::Compat, Some(s)) = (p.mode, listed.iter().position(|l| !l)) {
                return Err(param(format!(
                    "inventory: sector `{}` missing; BoARIO 0.7.2 needs every sector listed; hint: add it or drop --compat",
                    sectors[s]
                )));
            }
        }
        for name in &p.infinite_inv_sectors {
            match sectors.iter().position(|s| s == name) {
                Some(s) => inv[s] = f64::INFINITY,
                None => {
                    return Err(param(format!(
                        "infinite-inv-sectors: unknown sector `{name}`; hint: known sectors are {}",
                        sectors.join(", ")
                    )));
                }
            }
        }
        for v in inv.iter_mut() {
            if *v <= 1.0 {
                *v = 2.0;
            }
        }
        let inv_fin: Vec<f64> = inv
            .iter()
            .map(|v| if v.is_finite() { *v } else { 0.0 })
            .collect();
        let restor = match p.model {
            ModelKind::Psi => vec![1.0 / p.inv_restoration_tau as f64; n_s],
            ModelKind::Base => vec![1.0; n_s],
        };
        // value added and capital from yearly tables
        let mut colsum = vec![0.0; n];
        for i in 0..n {
            for (c, v) in colsum.iter_mut().zip(&z[i * n..(i + 1) * n]) {
                *c += v;
            }
        }
        let k: Vec<f64> = (0..n)
            .map(|j| {
                let va = x[j] - colsum[j];
                (if va < 0.0 { 0.0 } else { va }) * p.capital_to_va
            })
            .collect();
        let recix: Vec<f64> = x
            .iter()
            .map(|v| {
                let r = 1.0 / v;
                if r.is_infinite() { 0.0 } else { r }
            })
            .collect();
        let x0: Vec<f64> = x.iter().map(|v| v * f).collect();
        // T, thresholds (yearly Z^C vs daily X0, as BoARIO)
        let mut tech = vec![0.0; n_s * n];
        let mut zc = vec![0.0; n_s * n];
        for r in 0..n_r {
            for s in 0..n_s {
                let i = r * n_s + s;
                let row = &z[i * n..(i + 1) * n];
                let trow = &mut tech[s * n..(s + 1) * n];
                for j in 0..n {
                    trow[j] += row[j] * recix[j];
                }
                let crow = &mut zc[s * n..(s + 1) * n];
                for j in 0..n {
                    crow[j] += row[j];
                }
            }
        }
        let thresh: Vec<bool> = (0..n_s * n)
            .map(|q| zc[q] > x0[q % n] * TECH_THRESHOLD)
            .collect();
        drop(zc);
        // daily tables in place
        for v in z.iter_mut() {
            *v *= f;
        }
        for v in y.iter_mut() {
            *v *= f;
        }
        let nf = n_r * n_c;
        let fd_tot: Vec<f64> = (0..n)
            .map(|i| y[i * nf..(i + 1) * nf].iter().sum())
            .collect();
        let stock: Vec<f64> = (0..n_s * n)
            .map(|q| {
                let v = (x0[q % n] * tech[q]) * inv[q / n];
                if v.is_nan() { f64::INFINITY } else { v }
            })
            .collect();
        let mut col_orders = vec![0.0; n];
        for i in 0..n {
            for (c, v) in col_orders.iter_mut().zip(&z[i * n..(i + 1) * n]) {
                *c += v;
            }
        }
        let mut m = Model {
            regions,
            sectors,
            n_r,
            n_s,
            n,
            n_c,
            z0: z,
            y0: y,
            fd_tot,
            k,
            tech,
            thresh,
            inv,
            inv_fin,
            restor,
            t: 0,
            stock,
            alpha: vec![p.alpha_base; n],
            x: x0.clone(),
            delta: vec![0.0; n],
            arb_prev: None,
            k_lost: Some(vec![0.0; n]),
            rho_o: vec![1.0; n],
            h: vec![1.0; n_s * n],
            m_o: None,
            col_orders,
            trackers: Vec::new(),
            n_rebuild: 0,
            od: vec![0.0; n],
            dem: vec![0.0; n],
            cap: vec![0.0; n],
            xopt: vec![0.0; n],
            rb_dem: vec![0.0; n],
            rb_prod: vec![0.0; n],
            fd_unmet: vec![0.0; n],
            fd_undist: vec![0.0; n],
            va: vec![0.0; n],
            rho_n: vec![1.0; n],
            coef: vec![0.0; n],
            acc: vec![0.0; n_s * n],
            zcp: vec![0.0; n_s * n],
            limiting: vec![false; n_s * n],
            stock_start: Vec::new(),
            stock_next: vec![0.0; n_s * n],
            od_next: vec![0.0; n],
            od_ready: false,
            cr_stock: vec![0.0; n],
            cr_gap: vec![0.0; n],
            dacc: Vec::with_capacity(n_r),
            col_block: 1024,
            pred: (false, false),
            fused: true,
            y_eff: None,
            record_stocks: false,
            switches: SwitchLog::default(),
            overrides: None,
            log_alpha_relaxed: false,
            x0,
            p,
        };
        if m.p.order_type == OrderType::NoAlt {
            m.compute_zcp_static();
        }
        Ok(m)
    }

    pub fn params(&self) -> &Params {
        &self.p
    }
    pub fn regions(&self) -> &[String] {
        &self.regions
    }
    pub fn sectors(&self) -> &[String] {
        &self.sectors
    }
    pub fn n_industries(&self) -> usize {
        self.n
    }
    /// Daily baseline output `X0`.
    pub fn x0(&self) -> &[f64] {
        &self.x0
    }
    /// Productive capital `K = capital_to_va · max(x − 1ᵀZ, 0)` (yearly units).
    pub fn productive_capital(&self) -> &[f64] {
        &self.k
    }
    /// Current step index (the next step to run).
    pub fn current_step(&self) -> usize {
        self.t
    }
    /// Off: recompute the demand with a separate pass over `Z0` every step instead of taking it
    /// from the previous step's fused pass (same arithmetic; for tests and timing).
    #[doc(hidden)]
    pub fn set_fused(&mut self, on: bool) {
        self.fused = on;
        self.od_ready &= on;
    }
    /// Column block of the fused pass (rounded down to a multiple of 8, at least 8; for tests
    /// and tuning; the results do not depend on it).
    #[doc(hidden)]
    pub fn set_col_block(&mut self, cols: usize) {
        self.col_block = cols;
    }
    /// Also hand inventories `Ω` (start of step) to the sink.
    pub fn set_record_stocks(&mut self, on: bool) {
        self.record_stocks = on;
    }

    fn compute_zcp_static(&mut self) {
        let n = self.n;
        self.zcp.fill(0.0);
        for s in 0..self.n_s {
            let crow = &mut self.zcp[s * n..(s + 1) * n];
            for r in 0..self.n_r {
                let i = r * self.n_s + s;
                for (c, z) in crow.iter_mut().zip(&self.z0[i * n..(i + 1) * n]) {
                    *c += z;
                }
            }
        }
    }

    /// Index of the industry (region, sector), or why there is none (with the known names).
    pub fn industry_index(&self, region: &str, sector: &str) -> Result<usize, String> {
        let unknown = |e: EventError| match e {
            EventError::Unknown {
                what, name, known, ..
            } => format!("unknown MRIO {what} `{name}`; hint: known {what}s are {known}"),
            other => other.to_string(),
        };
        let r = self.region_index(0, "", region).map_err(unknown)?;
        let s = self.sector_index(0, "", sector).map_err(unknown)?;
        Ok(r * self.n_s + s)
    }

    fn region_index(&self, k: usize, kind: &str, name: &str) -> Result<usize, EventError> {
        name_index(&self.regions, "region", k, kind, name)
    }
    fn sector_index(&self, k: usize, kind: &str, name: &str) -> Result<usize, EventError> {
        name_index(&self.sectors, "sector", k, kind, name)
    }

    /// Resolves named events (index `k` is used in messages) and adds them.
    pub fn add_events(&mut self, specs: &[EventSpec], n_steps: usize) -> Result<(), EventError> {
        for (k, spec) in specs.iter().enumerate() {
            let shock = self.resolve(k, spec, n_steps)?;
            self.add_shock(shock)
                .map_err(|message| EventError::Invalid {
                    index: k,
                    kind: spec.kind_name().into(),
                    message,
                })?;
        }
        Ok(())
    }

    fn industries(
        &self,
        k: usize,
        kind: &str,
        regions: &[String],
        sectors: &[String],
    ) -> Result<Vec<usize>, EventError> {
        let invalid = |message: String| EventError::Invalid {
            index: k,
            kind: kind.into(),
            message,
        };
        if regions.is_empty() || sectors.is_empty() {
            return Err(invalid("needs at least one region and one sector".into()));
        }
        let mut out = Vec::new();
        for r in regions {
            let ri = self.region_index(k, kind, r)?;
            for s in sectors {
                let si = self.sector_index(k, kind, s)?;
                let i = ri * self.n_s + si;
                if out.contains(&i) {
                    return Err(invalid(format!("industry {r}|{s} listed twice")));
                }
                out.push(i);
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    fn resolve(&self, k: usize, spec: &EventSpec, n_steps: usize) -> Result<Shock, EventError> {
        let kind = spec.kind_name();
        let invalid = |message: String| EventError::Invalid {
            index: k,
            kind: kind.into(),
            message,
        };
        let (occ, dur) = (spec.occurrence(), spec.duration());
        if occ == 0 || dur == 0 {
            return Err(invalid(format!(
                "occurrence ({occ}) and duration ({dur}) must be at least 1"
            )));
        }
        if self.p.mode == Mode::Compat && occ + dur > n_steps {
            return Err(invalid(format!(
                "occurrence + duration = {} exceeds the {n_steps} steps; BoARIO 0.7.2 refuses events that do not end inside the horizon; hint: raise --steps or drop --compat",
                occ + dur
            )));
        }
        let capital = |inds: &[usize],
                       impact: f64,
                       unit: ImpactUnit|
         -> Result<Vec<(usize, f64)>, EventError> {
            if !(impact.is_finite() && impact > 0.0) {
                return Err(invalid(format!("impact = {impact} must be positive")));
            }
            let v: Vec<(usize, f64)> = inds
                .iter()
                .map(|&i| match unit {
                    ImpactUnit::ShareOfCapital => (i, self.k[i] * impact),
                    ImpactUnit::Mriot => (i, impact),
                })
                .filter(|(_, v)| *v > 0.0)
                .collect();
            if v.is_empty() {
                return Err(invalid(
                    "every affected industry has zero productive capital".into(),
                ));
            }
            for (i, d) in &v {
                if *d > self.k[*i] {
                    return Err(invalid(format!(
                        "damage {d} to {} exceeds its productive capital {}",
                        self.label(*i),
                        self.k[*i]
                    )));
                }
            }
            Ok(v)
        };
        Ok(match spec {
            EventSpec::Arbitrary {
                regions,
                sectors,
                impact,
                recovery_tau,
                recovery_function,
                ..
            } => {
                if !(*impact > 0.0 && *impact <= 1.0) {
                    return Err(invalid(format!("impact = {impact} must be in (0, 1]")));
                }
                if *recovery_tau == 0 {
                    return Err(invalid("recovery-tau must be at least 1".into()));
                }
                let inds = self.industries(k, kind, regions, sectors)?;
                Shock::Arbitrary {
                    impact: inds.into_iter().map(|i| (i, *impact)).collect(),
                    occurrence: occ,
                    duration: dur,
                    recovery_tau: *recovery_tau,
                    recovery_function: *recovery_function,
                }
            }
            EventSpec::Recovery {
                regions,
                sectors,
                impact,
                impact_unit,
                recovery_tau,
                recovery_function,
                ..
            } => {
                if *recovery_tau == 0 {
                    return Err(invalid("recovery-tau must be at least 1".into()));
                }
                let inds = self.industries(k, kind, regions, sectors)?;
                Shock::Recovery {
                    damage: capital(&inds, *impact, *impact_unit)?,
                    occurrence: occ,
                    duration: dur,
                    recovery_tau: *recovery_tau,
                    recovery_function: *recovery_function,
                }
            }
            EventSpec::Rebuild {
                regions,
                sectors,
                impact,
                impact_unit,
                rebuild_tau,
                rebuilding_sectors,
                rebuilding_factor,
                ..
            } => {
                let inds = self.industries(k, kind, regions, sectors)?;
                let mut rs = Vec::new();
                let mut sum = 0.0;
                for (name, share) in rebuilding_sectors {
                    if !(share.is_finite() && *share >= 0.0) {
                        return Err(invalid(format!(
                            "rebuilding share of `{name}` = {share} must be >= 0"
                        )));
                    }
                    rs.push((self.sector_index(k, kind, name)?, *share));
                    sum += share;
                }
                if (sum - 1.0).abs() > 1e-8 + 1e-5 {
                    return Err(invalid(format!(
                        "rebuilding-sectors shares sum to {sum}, not 1"
                    )));
                }
                if !(rebuilding_factor.is_finite() && *rebuilding_factor > 0.0) {
                    return Err(invalid("rebuilding-factor must be positive".into()));
                }
                Shock::Rebuild {
                    damage: capital(&inds, *impact, *impact_unit)?,
                    occurrence: occ,
                    duration: dur,
                    rebuild_tau: rebuild_tau.filter(|t| *t > 0).unwrap_or(self.p.rebuild_tau),
                    sectors: rs,
                    factor: *rebuilding_factor,
                }
            }
            EventSpec::TradeLink {
                from,
                to,
                sectors,
                share,
                recovery_tau,
                ..
            } => {
                if self.p.mode == Mode::Compat {
                    return Err(invalid(
                        "trade-link shocks do not exist in BoARIO 0.7.2; hint: drop --compat"
                            .into(),
                    ));
                }
                if !(*share > 0.0 && *share <= 1.0) {
                    return Err(invalid(format!("share = {share} must be in (0, 1]")));
                }
                if from.is_empty() || to.is_empty() || sectors.is_empty() {
                    return Err(invalid("needs `from`, `to` and `sectors`".into()));
                }
                let mut links = Vec::new();
                for a in from {
                    let ra = self.region_index(k, kind, a)?;
                    for b in to {
                        let rb = self.region_index(k, kind, b)?;
                        for s in sectors {
                            links.push((ra, self.sector_index(k, kind, s)?, rb));
                        }
                    }
                }
                Shock::TradeLink {
                    links,
                    share: *share,
                    occurrence: occ,
                    duration: dur,
                    recovery_tau: *recovery_tau,
                }
            }
        })
    }

    fn label(&self, i: usize) -> String {
        format!(
            "{}|{}",
            self.regions[i / self.n_s],
            self.sectors[i % self.n_s]
        )
    }

    /// Adds an index-based shock.
    pub fn add_shock(&mut self, shock: Shock) -> Result<(), String> {
        let n = self.n;
        let check = |i: usize| {
            if i < n {
                Ok(())
            } else {
                Err(format!("industry index {i} out of range"))
            }
        };
        let mut tr = Tracker {
            shock,
            status: Status::Pending,
            arb: None,
            dmg: None,
            rebuild: None,
        };
        match &tr.shock {
            Shock::Arbitrary { impact, .. } => {
                for (i, _) in impact {
                    check(*i)?;
                }
                tr.arb = Some(impact.iter().map(|(_, v)| *v).collect());
            }
            Shock::Recovery { damage, .. } => {
                for (i, _) in damage {
                    check(*i)?;
                }
                tr.dmg = Some(damage.iter().map(|(_, v)| *v).collect());
            }
            Shock::Rebuild {
                damage,
                rebuild_tau,
                sectors,
                factor,
                ..
            } => {
                for (i, _) in damage {
                    check(*i)?;
                }
                tr.dmg = Some(damage.iter().map(|(_, v)| *v).collect());
                let n_s = self.n_s;
                let rows: Vec<usize> = (0..self.n_r)
                    .flat_map(|r| sectors.iter().map(move |(s, _)| r * n_s + s))
                    .collect();
                let cols: Vec<usize> = damage.iter().map(|(i, _)| *i).collect();
                let nc = cols.len();
                let mut remaining = vec![0.0; rows.len() * nc];
                for (si, (s, share)) in sectors.iter().enumerate() {
                    for (c, (j, d)) in damage.iter().enumerate() {
                        let tot: f64 = (0..self.n_r)
                            .map(|r| self.z0[(r * self.n_s + s) * n + j])
                            .sum();
                        let demand = (share * d) * factor;
                        for r in 0..self.n_r {
                            let w = self.z0[(r * self.n_s + s) * n + j];
                            let mut dist = w / tot;
                            if !dist.is_finite() {
                                dist = if self.p.mode == Mode::Fixed {
                                    1.0 / self.n_r as f64
                                } else {
                                    0.0
                                };
                            }
                            remaining[(r * sectors.len() + si) * nc + c] = demand * dist;
                        }
                    }
                }
                tr.rebuild = Some(RebuildState {
                    model_cols: vec![0.0; remaining.len()],
                    rows,
                    cols,
                    remaining,
                    tau: *rebuild_tau,
                    factor: *factor,
                    id: None,
                });
            }
            Shock::TradeLink { links, share, .. } => {
                if self.p.mode == Mode::Compat {
                    return Err("trade-link shocks are not available in compat mode".into());
                }
                for (a, s, b) in links {
                    if *a >= self.n_r || *b >= self.n_r || *s >= self.n_s {
                        return Err("trade link index out of range".into());
                    }
                }
                if !(*share > 0.0 && *share <= 1.0) {
                    return Err(format!("share {share} must be in (0, 1]"));
                }
            }
            Shock::LossSeries {
                industries, shares, ..
            } => {
                if self.p.mode == Mode::Compat {
                    return Err("loss series are not available in compat mode".into());
                }
                for i in industries {
                    check(*i)?;
                }
                if industries.is_empty() || shares.len() % industries.len() != 0 {
                    return Err("loss series: shares must be days × industries".into());
                }
                if shares.iter().any(|v| !(0.0..=1.0).contains(v)) {
                    return Err("loss series: shares must be in [0, 1]".into());
                }
            }
        }
        self.trackers.push(tr);
        Ok(())
    }

    /// Runs `steps` steps, handing each to `sink`. A crash (where BoARIO would stop) is an error.
    pub fn run(&mut self, steps: usize, sink: &mut dyn Sink) -> Result<(), ModelError> {
        for _ in 0..steps {
            self.step(sink)?;
        }
        Ok(())
    }

    fn capital_precision(&self) -> i32 {
        // int(log10(event_monetary_factor)) + 1, with the event factor = the model factor
        let mut d = 0;
        let mut v = self.p.monetary_factor;
        while v >= 10 {
            v /= 10;
            d += 1;
        }
        d + 1
    }

    /// Status transitions at the start of step t.
    fn update_statuses(&mut self) -> bool {
        let t = self.t;
        let compat = self.p.mode == Mode::Compat;
        let mut new_reb = false;
        for tr in &mut self.trackers {
            let (occ, _) = tr.occ_dur();
            if tr.status == Status::Pending && occ <= t && (!compat || t <= occ + 1) {
                tr.status = Status::Happening;
            }
        }
        for tr in &mut self.trackers {
            let (occ, dur) = tr.occ_dur();
            if tr.status == Status::Happening && t >= occ + dur {
                match tr.shock {
                    Shock::Rebuild { .. } => {
                        tr.status = Status::Rebuilding;
                        self.n_rebuild += 1;
                        if let Some(rb) = tr.rebuild.as_mut() {
                            rb.id = Some(self.n_rebuild - 1);
                        }
                        new_reb = true;
                    }
                    Shock::Arbitrary { .. } | Shock::Recovery { .. } | Shock::TradeLink { .. } => {
                        tr.status = Status::Recovering;
                    }
                    Shock::LossSeries { .. } => tr.status = Status::Finished,
                }
            }
        }
        new_reb
    }

    /// Recovery of arbitrary and capital-recover events at step `t` (compat: after
    /// distribution; fixed: at the start of the step).
    fn recover(&mut self, t: usize) {
        let compat = self.p.mode == Mode::Compat;
        let prec = self.capital_precision();
        for tr in &mut self.trackers {
            if tr.status != Status::Recovering {
                continue;
            }
            let (occ, dur) = tr.occ_dur();
            let el = t - (occ + dur);
            match &tr.shock {
                Shock::Recovery {
                    damage,
                    recovery_tau,
                    recovery_function,
                    ..
                } => {
                    if tr.dmg.is_some() {
                        let v: Vec<f64> = damage
                            .iter()
                            .map(|(_, d0)| {
                                let v = recovery_function.eval(*d0, el, *recovery_tau);
                                if compat { np_round(v, prec) } else { v }
                            })
                            .collect();
                        let done = if compat {
                            v.iter().all(|x| *x == 0.0)
                        } else {
                            finished_fixed(&v, damage, *recovery_function, el, *recovery_tau)
                        };
                        tr.dmg = if done { None } else { Some(v) };
                    }
                    if tr.dmg.is_none() {
                        tr.status = Status::Finished;
                    }
                }
                Shock::Arbitrary {
                    impact,
                    recovery_tau,
                    recovery_function,
                    ..
                } => {
                    if tr.arb.is_some() {
                        let v: Vec<f64> = impact
                            .iter()
                            .map(|(_, d0)| {
                                let v = recovery_function.eval(*d0, el, *recovery_tau);
                                if compat { np_round(v, 6) } else { v }
                            })
                            .collect();
                        let done = if compat {
                            v.iter().all(|x| *x == 0.0)
                        } else {
                            finished_fixed(&v, impact, *recovery_function, el, *recovery_tau)
                        };
                        tr.arb = if done { None } else { Some(v) };
                    }
                    if tr.arb.is_none() {
                        tr.status = Status::Finished;
                    }
                }
                Shock::TradeLink { recovery_tau, .. } => {
                    let tau = recovery_tau.unwrap_or(0);
                    if el >= tau as usize {
                        tr.status = Status::Finished;
                    }
                }
                _ => {}
            }
        }
    }

    /// Capacity loss Δ and capital lost for step t.
    fn compute_delta(&mut self) -> Result<(), ModelError> {
        let n = self.n;
        let t = self.t;
        match self.p.mode {
            Mode::Compat => {
                // productive capital lost: sum over happening/rebuilding/recovering events
                let active: Vec<&Tracker> = self
                    .trackers
                    .iter()
                    .filter(|tr| {
                        matches!(
                            tr.status,
                            Status::Happening | Status::Rebuilding | Status::Recovering
                        )
                    })
                    .collect();
                let n_arb = active.iter().filter(|tr| tr.is_arbitrary()).count();
                if n_arb > 0 && active.len() > 1 {
                    return Err(ModelError::Crash {
                        step: t,
                        message: "BoARIO 0.7.2 crashes when an arbitrary event is active together with another event (it sums None damages); hint: drop --compat".into(),
                    });
                }
                if n_arb == 1 {
                    self.k_lost = None;
                } else {
                    let mut kl = vec![0.0; n];
                    for tr in &active {
                        let Some(d) = &tr.dmg else { continue };
                        let idx: Vec<usize> = match &tr.rebuild {
                            Some(rb) => rb.cols.clone(),
                            None => tr.dmg_index().iter().map(|(i, _)| *i).collect(),
                        };
                        for (i, v) in idx.iter().zip(d) {
                            kl[*i] += v;
                        }
                    }
                    self.k_lost = Some(kl);
                }
                let dk: Option<Vec<f64>> = self.k_lost.as_ref().map(|kl| {
                    (0..n)
                        .map(|i| {
                            if self.k[i] != 0.0 {
                                kl[i] / self.k[i]
                            } else {
                                0.0
                            }
                        })
                        .collect()
                });
                if let Some((kl, i)) = self
                    .k_lost
                    .as_ref()
                    .and_then(|kl| (0..n).find(|&i| kl[i] > self.k[i]).map(|i| (kl, i)))
                {
                    return Err(ModelError::Crash {
                        step: t,
                        message: format!(
                            "capital lost {} exceeds productive capital {} of {}",
                            kl[i],
                            self.k[i],
                            self.label(i)
                        ),
                    });
                }
                match (&dk, &self.arb_prev) {
                    (Some(a), Some(b)) => {
                        for i in 0..n {
                            self.delta[i] = a[i].max(b[i]);
                        }
                    }
                    (Some(a), None) => self.delta.copy_from_slice(a),
                    (None, Some(b)) => self.delta.copy_from_slice(b),
                    (None, None) => self.delta.fill(0.0),
                }
                // then the arbitrary delta for the next step (the lag)
                let mut arb = vec![0.0f64; n];
                for tr in &self.trackers {
                    if !matches!(tr.status, Status::Happening | Status::Recovering) {
                        continue;
                    }
                    if let (Shock::Arbitrary { impact, .. }, Some(v)) = (&tr.shock, &tr.arb) {
                        for ((i, _), x) in impact.iter().zip(v) {
                            arb[*i] = arb[*i].max(*x);
                        }
                    }
                }
                self.arb_prev = Some(arb);
            }
            Mode::Fixed => {
                let mut kl = vec![0.0; n];
                self.delta.fill(0.0);
                for tr in &self.trackers {
                    if !matches!(
                        tr.status,
                        Status::Happening | Status::Rebuilding | Status::Recovering
                    ) {
                        continue;
                    }
                    match (&tr.shock, &tr.arb, &tr.dmg) {
                        (Shock::Arbitrary { impact, .. }, Some(v), _) => {
                            for ((i, _), x) in impact.iter().zip(v) {
                                self.delta[*i] = self.delta[*i].max(*x);
                            }
                        }
                        (
                            Shock::LossSeries {
                                industries,
                                start,
                                shares,
                            },
                            _,
                            _,
                        ) => {
                            let d = t - start;
                            let row = &shares[d * industries.len()..(d + 1) * industries.len()];
                            for (i, x) in industries.iter().zip(row) {
                                self.delta[*i] = self.delta[*i].max(*x);
                            }
                        }
                        (_, _, Some(d)) => {
                            let idx: Vec<usize> = match &tr.rebuild {
                                Some(rb) => rb.cols.clone(),
                                None => tr.dmg_index().iter().map(|(i, _)| *i).collect(),
                            };
                            for (i, v) in idx.iter().zip(d) {
                                kl[*i] += v;
                            }
                        }
                        _ => {}
                    }
                }
                for i in 0..n {
                    if kl[i] > self.k[i] * (1.0 + 1e-12) {
                        return Err(ModelError::Crash {
                            step: t,
                            message: format!(
                                "capital lost {} exceeds productive capital {} of {}",
                                kl[i],
                                self.k[i],
                                self.label(i)
                            ),
                        });
                    }
                    let dk = if self.k[i] != 0.0 {
                        (kl[i] / self.k[i]).min(1.0)
                    } else {
                        0.0
                    };
                    self.delta[i] = self.delta[i].max(dk);
                }
                self.k_lost = Some(kl);
            }
        }
        Ok(())
    }

    /// Trade-link multipliers in force at step t (`None` when no link is cut).
    fn link_multipliers(&self) -> Option<Vec<f64>> {
        let t = self.t;
        let (n_r, n_s) = (self.n_r, self.n_s);
        let mut m: Option<Vec<f64>> = None;
        for tr in &self.trackers {
            let Shock::TradeLink {
                links,
                share,
                occurrence,
                duration,
                recovery_tau,
            } = &tr.shock
            else {
                continue;
            };
            let phi = match tr.status {
                Status::Happening => *share,
                Status::Recovering => {
                    let el = t - (occurrence + duration);
                    let tau = recovery_tau.unwrap_or(0) as f64;
                    if tau > 0.0 {
                        share * (1.0 - el as f64 / tau).max(0.0)
                    } else {
                        0.0
                    }
                }
                _ => 0.0,
            };
            if phi <= 0.0 {
                continue;
            }
            let mv = m.get_or_insert_with(|| vec![1.0; n_r * n_s * n_r]);
            for (a, s, b) in links {
                mv[(a * n_s + s) * n_r + b] *= 1.0 - phi;
            }
        }
        m
    }

    /// Rebuilding demand columns at the start of step t.
    fn refresh_rebuild_demand(&mut self, new_reb: bool) -> Result<(), ModelError> {
        let compat = self.p.mode == Mode::Compat;
        let any_rebuilding = self
            .trackers
            .iter()
            .any(|tr| tr.status == Status::Rebuilding);
        if compat {
            if new_reb {
                for tr in &mut self.trackers {
                    if let Some(rb) = tr.rebuild.as_mut() {
                        rb.model_cols.fill(0.0);
                    }
                }
            }
            if any_rebuilding {
                for tr in &mut self.trackers {
                    let finished = tr.status == Status::Finished;
                    let Some(rb) = tr.rebuild.as_mut() else {
                        continue;
                    };
                    if rb.id.is_none() {
                        continue;
                    }
                    if finished {
                        return Err(ModelError::Crash {
                            step: self.t,
                            message: "BoARIO 0.7.2 crashes (NaN rebuilding demand) when a rebuild event finishes while another is rebuilding; hint: drop --compat".into(),
                        });
                    }
                    let f = 1.0 / rb.tau as f64;
                    for (m, r) in rb.model_cols.iter_mut().zip(&rb.remaining) {
                        *m = r * f;
                    }
                }
            }
        } else {
            for tr in &mut self.trackers {
                let rebuilding = tr.status == Status::Rebuilding;
                let Some(rb) = tr.rebuild.as_mut() else {
                    continue;
                };
                if rebuilding {
                    let f = 1.0 / rb.tau as f64;
                    for (m, r) in rb.model_cols.iter_mut().zip(&rb.remaining) {
                        *m = r * f;
                    }
                } else {
                    rb.model_cols.fill(0.0);
                }
            }
        }
        self.rb_dem.fill(0.0);
        for tr in &self.trackers {
            let Some(rb) = &tr.rebuild else { continue };
            let nc = rb.cols.len();
            for (q, &i) in rb.rows.iter().enumerate() {
                self.rb_dem[i] += rb.model_cols[q * nc..(q + 1) * nc].iter().sum::<f64>();
            }
        }
        Ok(())
    }

    /// One step.
    pub fn step(&mut self, sink: &mut dyn Sink) -> Result<(), ModelError> {
        let n = self.n;
        let n_s = self.n_s;
        let t = self.t;
        let compat = self.p.mode == Mode::Compat;

        // 1. events
        let new_reb = self.update_statuses();
        if !compat {
            self.recover(t);
        }
        self.compute_delta()?;
        self.refresh_rebuild_demand(new_reb)?;
        let m_now = if compat {
            None
        } else {
            self.link_multipliers()
        };
        self.apply_fd_links(m_now.as_deref());
        if self.record_stocks {
            self.stock_start.clear();
            self.stock_start.extend_from_slice(&self.stock);
        }

        // value added as recorded by BoARIO: previous production − inputs ordered
        for f in 0..n {
            self.va[f] = self.x[f] - self.col_orders[f];
        }

        // 2. demand: computed by the previous step's fused pass, else pass A over Z0
        if self.od_ready {
            std::mem::swap(&mut self.od, &mut self.od_next);
            self.od_ready = false;
        } else {
            self.pass_demand();
        }
        let fd = self.y_eff.is_some();
        for i in 0..n {
            let fdi = if fd {
                self.fd_eff_tot(i)
            } else {
                self.fd_tot[i]
            };
            self.dem[i] = self.od[i] + fdi + self.rb_dem[i];
        }

        // 3. overproduction
        let tau = 1.0 / self.p.alpha_tau as f64;
        if compat {
            let forced = self
                .overrides
                .as_ref()
                .and_then(|o| o.alpha_relaxed.get(t))
                .and_then(|v| v.as_deref())
                .filter(|v| v.len() == n);
            let mut log = if self.log_alpha_relaxed && t > 1 {
                Vec::with_capacity(n)
            } else {
                Vec::new()
            };
            if t > 1 {
                for i in 0..n {
                    let d = self.dem[i];
                    let sc = if d != 0.0 { (d - self.x[i]) / d } else { 0.0 };
                    let relax = forced.map_or(sc == 0.0, |f| f[i]);
                    if self.log_alpha_relaxed {
                        log.push(sc == 0.0);
                    }
                    let a = self.alpha[i];
                    let chg = ((self.p.alpha_max - a) * sc * tau)
                        + ((self.p.alpha_base - a) * (if relax { 1.0 } else { 0.0 }) * tau);
                    let a = a + chg;
                    self.alpha[i] = if a < 1.0 { 1.0 } else { a };
                }
            }
            if self.log_alpha_relaxed {
                self.switches.alpha_relaxed.push(log);
            }
        } else {
            for i in 0..n {
                let d = self.dem[i];
                let sc = if d > 0.0 {
                    ((d - self.x[i]) / d).max(0.0)
                } else {
                    0.0
                };
                let a = self.alpha[i];
                let a = if sc > 1e-9 {
                    a + (self.p.alpha_max - a) * sc * tau
                } else {
                    a + (self.p.alpha_base - a) * tau
                };
                self.alpha[i] = a.max(self.p.alpha_base);
            }
        }

        // 4. production
        for i in 0..n {
            let c = (self.x0[i] * (1.0 - self.delta[i])) * self.alpha[i];
            if c < 0.0 {
                return Err(ModelError::Crash {
                    step: t,
                    message: format!("negative production capacity for {}", self.label(i)),
                });
            }
            self.cap[i] = c;
            self.xopt[i] = self.dem[i].min(c);
        }
        let psi = match self.p.model {
            ModelKind::Psi => self.p.psi,
            ModelKind::Base => 1.0,
        };
        // x_f = x*_f · min_s min(1, Ω[s,f]/C[s,f]) (row-wise over the S × n arrays)
        self.inventory_constraint(psi);
        let rmin = &self.coef;
        for f in 0..n {
            self.x[f] = self.xopt[f] * rmin[f];
        }

        // 5. distribution, fused with 6. orders: pass B (see `pass_fused`)
        for i in 0..n {
            let d = self.dem[i];
            self.coef[i] = if d != 0.0 {
                self.rho_o[i] * (self.x[i] / d)
            } else {
                0.0
            };
            self.rho_n[i] = match self.p.order_type {
                OrderType::Alt => {
                    if self.x0[i] != 0.0 {
                        self.cap[i] / self.x0[i]
                    } else {
                        1.0
                    }
                }
                OrderType::NoAlt => 1.0,
            };
        }
        // rebuilding deliveries (needed for D' below; independent of the pass)
        self.rb_prod.fill(0.0);
        for tr in &mut self.trackers {
            let Some(rb) = tr.rebuild.as_mut() else {
                continue;
            };
            let nc = rb.cols.len();
            for (q, &i) in rb.rows.iter().enumerate() {
                let d = self.dem[i];
                let mut sum = 0.0;
                for c in 0..nc {
                    let k = q * nc + c;
                    let del = if d != 0.0 {
                        (rb.model_cols[k] / d) * self.x[i]
                    } else {
                        0.0
                    };
                    sum += del;
                    rb.model_cols[k] -= del;
                    if tr.status == Status::Rebuilding {
                        rb.remaining[k] -= del;
                    }
                }
                self.rb_prod[i] += sum;
            }
        }
        // goal production min(D', x̄), D' = D minus rebuilding deliveries (BoARIO recomputes
        // the total after delivering); xopt is free after the production step
        for i in 0..n {
            let fdi = if fd {
                self.fd_eff_tot(i)
            } else {
                self.fd_tot[i]
            };
            let d2 = self.od[i] + fdi + (self.rb_dem[i] - self.rb_prod[i]);
            self.xopt[i] = d2.min(self.cap[i]);
        }
        // compat switches: forced (peer replay) or predicted = the previous step's decisions
        let forced = self.overrides.as_ref().map_or((None, None), |o| {
            (
                o.stock_update_skipped.get(t).copied().flatten(),
                o.gap_zeroed.get(t).copied().flatten(),
            )
        });
        let pred = if compat {
            (
                forced.0.unwrap_or(self.pred.0),
                forced.1.unwrap_or(self.pred.1),
            )
        } else {
            (false, false)
        };
        let need_zcp = self.p.order_type == OrderType::Alt || m_now.is_some() || self.m_o.is_some();
        let out = self.pass_fused(m_now.as_deref(), need_zcp, pred);
        self.od_ready = self.fused;
        let sw = &mut self.switches;
        let skip = compat
            && decide(
                &mut sw.stock_update_skipped,
                &mut sw.stock_margin,
                out.close_stock,
                out.worst_stock,
                forced.0,
            );
        let stock_missed = skip != pred.0;
        let (close_gap, worst_gap) = if stock_missed {
            // mispredicted: redo the inventory update and the orders from `acc` (= deliveries
            // by product) and the untouched `stock`; the next demand needs pass A
            self.od_ready = false;
            self.switches.fused_misses += 1;
            if !skip {
                for q in 0..n_s * n {
                    let use_ = self.x[q % n] * self.tech[q];
                    let v = (self.stock[q] - use_) + self.acc[q];
                    if v < 0.0 && compat {
                        return Err(neg_stock(t));
                    }
                    self.stock_next[q] = if v < 0.0 { 0.0 } else { v };
                }
                std::mem::swap(&mut self.stock, &mut self.stock_next);
            }
            self.gap_check()
        } else {
            if !skip {
                if out.neg && compat {
                    return Err(neg_stock(t));
                }
                std::mem::swap(&mut self.stock, &mut self.stock_next);
            }
            (out.close_gap, out.worst_gap)
        };
        let sw = &mut self.switches;
        let zero_gap = compat
            && decide(
                &mut sw.gap_zeroed,
                &mut sw.gap_margin,
                close_gap,
                worst_gap,
                forced.1,
            );
        if stock_missed {
            self.orders(zero_gap);
        } else if zero_gap != pred.1 {
            // the fused pass ordered with the predicted gap switch: redo the orders
            self.od_ready = false;
            self.switches.fused_misses += 1;
            self.gap_check();
            self.orders(zero_gap);
        }
        self.pred = (skip, zero_gap);
        // final demand
        self.distribute_final_demand();
        // record (BoARIO writes these before its rebuild/recover updates)
        let k_lost_rec = self.k_lost.clone();
        {
            let view = StepView {
                step: t,
                regions: &self.regions,
                sectors: &self.sectors,
                production: &self.x,
                capacity: &self.cap,
                overproduction: &self.alpha,
                final_demand: &self.fd_tot,
                intermediate_demand: &self.od,
                rebuild_demand: &self.rb_dem,
                rebuild_prod: &self.rb_prod,
                final_demand_unmet: &self.fd_unmet,
                final_demand_undist: &self.fd_undist,
                productive_capital_lost: k_lost_rec.as_deref(),
                value_added: &self.va,
                stocks: if self.record_stocks {
                    Some(&self.stock_start)
                } else {
                    None
                },
                limiting: if self.record_stocks {
                    Some(&self.limiting)
                } else {
                    None
                },
            };
            sink.record(&view)
                .map_err(|source| ModelError::Sink { step: t, source })?;
        }
        // rebuild progress
        let prec = self.capital_precision();
        for tr in &mut self.trackers {
            if tr.status != Status::Rebuilding {
                continue;
            }
            let Some(rb) = tr.rebuild.as_mut() else {
                continue;
            };
            let mut total = 0.0;
            for v in rb.remaining.iter_mut() {
                if compat {
                    *v = np_round(*v, prec);
                }
                if *v < 0.0 {
                    *v = 0.0;
                }
                total += *v;
            }
            let init_total: f64 = match &tr.shock {
                Shock::Rebuild { damage, factor, .. } => {
                    damage.iter().map(|(_, d)| d).sum::<f64>() * factor
                }
                _ => 0.0,
            };
            let done = if compat {
                total == 0.0
            } else {
                total <= 1e-9 * init_total
            };
            if done {
                tr.dmg = None;
                tr.status = Status::Finished;
            } else {
                let nc = rb.cols.len();
                let mut d = vec![0.0; nc];
                for q in 0..rb.rows.len() {
                    for c in 0..nc {
                        d[c] += rb.remaining[q * nc + c];
                    }
                }
                for v in d.iter_mut() {
                    *v /= rb.factor;
                }
                tr.dmg = Some(d);
            }
        }
        if compat {
            self.recover(t);
        }
        std::mem::swap(&mut self.rho_o, &mut self.rho_n);
        self.m_o = m_now;
        self.t += 1;
        Ok(())
    }

    /// `coef_f = min(1, min_s Ω[s,f]/C[s,f])` over the inputs that count, and `limiting`.
    fn inventory_constraint(&mut self, psi: f64) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            return unsafe { self.inventory_constraint_avx2(psi) };
        }
        self.inventory_constraint_impl(psi)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn inventory_constraint_avx2(&mut self, psi: f64) {
        self.inventory_constraint_impl(psi)
    }

    #[inline(always)]
    fn inventory_constraint_impl(&mut self, psi: f64) {
        let (n, n_s) = (self.n, self.n_s);
        let rmin = &mut self.coef;
        rmin.fill(1.0);
        for s in 0..n_s {
            let fin = self.inv_fin[s];
            let row = s * n..(s + 1) * n;
            let (tech, stock) = (&self.tech[row.clone()], &self.stock[row.clone()]);
            let (thresh, lim) = (&self.thresh[row.clone()], &mut self.limiting[row]);
            let psi_model = self.p.model == ModelKind::Psi;
            // branch-free (vectorises): r = Ω/C where the input counts, else +inf
            for f in 0..n {
                let xo = self.xopt[f];
                let cons = if psi_model {
                    ((xo * tech[f]) * psi) * fin
                } else {
                    (xo * tech[f]) * fin
                };
                let om = stock[f];
                lim[f] = om < cons && thresh[f];
                let r = om / cons;
                let r = if thresh[f] && cons != 0.0 {
                    r
                } else {
                    f64::INFINITY
                };
                rmin[f] = if r < rmin[f] { r } else { rmin[f] };
            }
        }
    }

    /// Inventories vs goal `Ω* = s·T∘min(D', x̄)` (goal kept in `acc`): (all close, margin).
    fn gap_check(&mut self) -> (bool, f64) {
        let n = self.n;
        let mut worst = f64::INFINITY;
        let mut close = true;
        for s in 0..self.n_s {
            for f in 0..n {
                let q = s * n + f;
                let goal = (self.xopt[f] * self.tech[q]) * self.inv[s];
                let cr = close_ratio(self.stock[q], goal);
                if cr.is_nan() || cr > 1.0 {
                    close = false;
                }
                if (cr - 1.0).abs() < (worst - 1.0).abs() {
                    worst = cr;
                }
                self.acc[q] = goal;
            }
        }
        (close, worst)
    }

    /// Orders `G = r_s·max(Ω* − Ω, 0) + T∘x` as `H = G / zcp` and their column totals (goal
    /// in `acc`, from [`Model::gap_check`]).
    fn orders(&mut self, zero_gap: bool) {
        let n = self.n;
        self.col_orders.fill(0.0);
        for s in 0..self.n_s {
            for f in 0..n {
                let q = s * n + f;
                let goal = self.acc[q];
                let gap = if zero_gap || !goal.is_finite() || !self.stock[q].is_finite() {
                    0.0
                } else {
                    let g = goal - self.stock[q];
                    if g < 0.0 { 0.0 } else { g }
                };
                let gap = match self.p.model {
                    ModelKind::Psi if !zero_gap => self.restor[s] * gap,
                    _ => gap,
                };
                let g = gap + self.x[f] * self.tech[q];
                let zc = self.zcp[q];
                self.h[q] = if zc != 0.0 { g / zc } else { 0.0 };
                if zc != 0.0 {
                    self.col_orders[f] += g;
                }
            }
        }
    }

    /// Pass B, fused with the orders and the next step's demand. For each sector s, the R
    /// supplier rows of s (strided: `i = r·S + s`) are streamed once from memory:
    /// `acc[s,·] = Σ_r Z0[i,·]·coef_i·m_o` (deliveries by product) and, if `need_zcp`,
    /// `zcp[s,·] = Σ_r Z0[i,·]·ρ'_i·m'` (next order normalisation). Both are then complete for
    /// s, so are the inventory update of row s, its goal, the orders `H[s,·]` and, re-reading
    /// the same R rows from cache, the next step's demand `od'_i = ρ'_i·Σ_f Z0[i,f]·H[s,f]·m'`.
    /// The compat switches are global (any element of S × n), so the pass assumes the
    /// decisions `pred` and reports the real ones; the caller redoes the S × n part and drops
    /// `od_next` when they differ. Arithmetic is the same as separate passes (bit for bit).
    fn pass_fused(
        &mut self,
        m_new: Option<&[f64]>,
        need_zcp: bool,
        pred: (bool, bool),
    ) -> FusedOut {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            return unsafe { self.pass_fused_avx2(m_new, need_zcp, pred) };
        }
        self.pass_fused_impl::<false>(m_new, need_zcp, pred)
    }

    /// The same code compiled for AVX2 (4-wide vectors; no FMA, so the rounding is the same as
    /// the baseline build).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn pass_fused_avx2(
        &mut self,
        m_new: Option<&[f64]>,
        need_zcp: bool,
        pred: (bool, bool),
    ) -> FusedOut {
        self.pass_fused_impl::<true>(m_new, need_zcp, pred)
    }

    /// `AVX`: only called from [`Model::pass_fused_avx2`], which has checked the CPU.
    #[inline(always)]
    fn pass_fused_impl<const AVX: bool>(
        &mut self,
        m_new: Option<&[f64]>,
        need_zcp: bool,
        pred: (bool, bool),
    ) -> FusedOut {
        let n = self.n;
        let (n_r, n_s) = (self.n_r, self.n_s);
        let psi_model = self.p.model == ModelKind::Psi;
        let mo = self.m_o.as_deref();
        let (pred_skip, pred_zero) = pred;
        let Model {
            z0,
            coef,
            rho_n,
            x,
            xopt: xg,
            tech,
            inv,
            restor,
            stock,
            stock_next,
            acc,
            zcp,
            h,
            col_orders,
            od_next,
            cr_stock,
            cr_gap,
            dacc,
            col_block,
            ..
        } = self;
        let switches = self.p.mode == Mode::Compat;
        col_orders.fill(0.0);
        let mut out = FusedOut {
            close_stock: true,
            worst_stock: f64::INFINITY,
            close_gap: true,
            worst_gap: f64::INFINITY,
            neg: false,
        };
        // Column blocks (multiples of 8) when no trade link is active: the R row segments of a
        // block stay in L2 for the demand re-read, whose 8 accumulators per row are carried
        // from block to block (the same additions in the same order as one `dot` per row).
        let tiled = mo.is_none() && m_new.is_none();
        let blk = if tiled {
            (*col_block).max(8) / 8 * 8
        } else {
            n.max(1)
        };
        let m8 = n / 8 * 8;
        for s in 0..n_s {
            if tiled {
                dacc.clear();
                dacc.resize(n_r, [0.0; 8]);
            }
            let mut f0 = 0;
            while f0 < n {
                let f1 = (f0 + blk).min(n);
                let cols = s * n + f0..s * n + f1;
                let arow = &mut acc[cols.clone()];
                let crow = &mut zcp[cols.clone()];
                arow.fill(0.0);
                if need_zcp {
                    crow.fill(0.0);
                }
                for r in 0..n_r {
                    let i = r * n_s + s;
                    let zrow = &z0[i * n + f0..i * n + f1];
                    let (c1, c2) = (coef[i], rho_n[i]);
                    match (mo, m_new) {
                        (None, None) => {
                            if need_zcp {
                                #[cfg(target_arch = "x86_64")]
                                if AVX {
                                    // the segment streamed next: the next region's, else the
                                    // first region's next block, else sector s + 1's first
                                    let j = if r + 1 < n_r {
                                        (i + n_s) * n + f0
                                    } else if f1 < n {
                                        s * n + f1
                                    } else {
                                        (s + 1) * n
                                    };
                                    let next = z0.get(j..).unwrap_or(&[]);
                                    let next = &next[..next.len().min(blk)];
                                    // SAFETY: AVX is only set where the CPU has AVX2.
                                    unsafe { simd::axpy2(arow, crow, zrow, c1, c2, next) };
                                    continue;
                                }
                                axpy2(arow, crow, zrow, c1, c2);
                            } else {
                                axpy(arow, zrow, c1);
                            }
                        }
                        (mo, mn) => {
                            // not tiled: f0 = 0, f1 = n
                            for rb in 0..n_r {
                                let a = rb * n_s;
                                let w1 = mo.map_or(1.0, |m| m[(r * n_s + s) * n_r + rb]);
                                let w2 = mn.map_or(1.0, |m| m[(r * n_s + s) * n_r + rb]);
                                axpy(&mut arow[a..a + n_s], &zrow[a..a + n_s], c1 * w1);
                                if need_zcp {
                                    axpy(&mut crow[a..a + n_s], &zrow[a..a + n_s], c2 * w2);
                                }
                            }
                        }
                    }
                }
                // block of row s: inventory update, goal and orders
                let hrow = &mut h[cols.clone()];
                let trow = &tech[cols.clone()];
                let srow = &stock[cols.clone()];
                let nrow = &mut stock_next[cols];
                let (inv_s, r_s) = (inv[s], restor[s]);
                let r_gap = if psi_model && !pred_zero { r_s } else { 1.0 };
                let (xb, xgb, colb) = (&x[f0..f1], &xg[f0..f1], &mut col_orders[f0..f1]);
                let (crs, crg) = (&mut cr_stock[f0..f1], &mut cr_gap[f0..f1]);
                let mut negs = 0usize;
                // branch-free so that it vectorises; the switch statistics are gathered after
                for f in 0..f1 - f0 {
                    let add = hrow[f] * arow[f];
                    arow[f] = add;
                    let use_ = xb[f] * trow[f];
                    crs[f] = close_ratio_bf(add, use_);
                    let v = (srow[f] - use_) + add;
                    negs += (v < 0.0) as usize;
                    let st = if pred_skip {
                        srow[f]
                    } else if v < 0.0 {
                        0.0
                    } else {
                        v
                    };
                    nrow[f] = st;
                    let goal = (xgb[f] * trow[f]) * inv_s;
                    crg[f] = close_ratio_bf(st, goal);
                    let d = goal - st;
                    let gap = if pred_zero || !goal.is_finite() || !st.is_finite() || d < 0.0 {
                        0.0
                    } else {
                        d
                    };
                    let g = r_gap * gap + use_;
                    let zc = crow[f];
                    let nz = zc != 0.0;
                    hrow[f] = if nz { g / zc } else { 0.0 };
                    colb[f] += if nz { g } else { 0.0 };
                }
                if !pred_skip && negs > 0 {
                    out.neg = true;
                }
                if switches {
                    scan_close(crs, false, &mut out.close_stock, &mut out.worst_stock);
                    scan_close(crg, true, &mut out.close_gap, &mut out.worst_gap);
                }
                // the next demand: whole chunks of 8 of this block, rows in cache
                let e = f1.min(m8);
                if tiled && e > f0 {
                    let hseg = &h[s * n + f0..s * n + e];
                    let seg = |r: usize| &z0[(r * n_s + s) * n + f0..(r * n_s + s) * n + e];
                    let mut r0 = 0;
                    while r0 + 4 <= n_r {
                        let rows = [seg(r0), seg(r0 + 1), seg(r0 + 2), seg(r0 + 3)];
                        let st: &mut [[f64; 8]; 4] =
                            (&mut dacc[r0..r0 + 4]).try_into().expect("4 rows");
                        #[cfg(target_arch = "x86_64")]
                        if AVX {
                            // SAFETY: AVX is only set where the CPU has AVX2.
                            unsafe { simd::dot4_acc(rows, hseg, st) };
                            r0 += 4;
                            continue;
                        }
                        dot4_acc(rows, hseg, st);
                        r0 += 4;
                    }
                    for r in r0..n_r {
                        dot_acc(seg(r), hseg, &mut dacc[r]);
                    }
                }
                f0 = f1;
            }
            if tiled {
                for r in 0..n_r {
                    let i = r * n_s + s;
                    let (zr, hr) = (&z0[i * n..(i + 1) * n], &h[s * n..(s + 1) * n]);
                    let mut tail = 0.0;
                    for k in m8..n {
                        tail += zr[k] * hr[k];
                    }
                    let a = &dacc[r];
                    let sum =
                        ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7])) + tail;
                    od_next[i] = rho_n[i] * sum;
                }
                continue;
            }
            // the next step's demand of the R rows of s (cache-resident)
            let hrow = &h[s * n..(s + 1) * n];
            let mut r0 = 0;
            if m_new.is_none() {
                // four rows at a time: eight independent add chains, H[s,·] loaded once
                let row = |r: usize| &z0[(r * n_s + s) * n..(r * n_s + s + 1) * n];
                while r0 + 4 <= n_r {
                    let rows = [row(r0), row(r0 + 1), row(r0 + 2), row(r0 + 3)];
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: AVX is only set where the CPU has AVX2.
                    let d = if AVX {
                        unsafe { simd::dot4(rows, hrow) }
                    } else {
                        dot4(rows, hrow)
                    };
                    #[cfg(not(target_arch = "x86_64"))]
                    let d = dot4(rows, hrow);
                    for (k, v) in d.iter().enumerate() {
                        let i = (r0 + k) * n_s + s;
                        od_next[i] = rho_n[i] * v;
                    }
                    r0 += 4;
                }
            }
            for r in r0..n_r {
                let i = r * n_s + s;
                let zrow = &z0[i * n..(i + 1) * n];
                let sum = match m_new {
                    None => dot(zrow, hrow),
                    Some(m) => {
                        let mut a = 0.0;
                        for rb in 0..n_r {
                            let w = m[(r * n_s + s) * n_r + rb];
                            if w != 0.0 {
                                let b = rb * n_s;
                                a += w * dot(&zrow[b..b + n_s], &hrow[b..b + n_s]);
                            }
                        }
                        a
                    }
                };
                od_next[i] = rho_n[i] * sum;
            }
        }
        out
    }

    fn fd_eff_tot(&self, i: usize) -> f64 {
        let nf = self.n_r * self.n_c;
        match &self.y_eff {
            Some(y) => y[i * nf..(i + 1) * nf].iter().sum(),
            None => self.fd_tot[i],
        }
    }

    /// Final demand with trade links re-sourced (fixed mode).
    fn apply_fd_links(&mut self, m: Option<&[f64]>) {
        let Some(m) = m else {
            self.y_eff = None;
            return;
        };
        let (n_r, n_s, n_c) = (self.n_r, self.n_s, self.n_c);
        let nf = n_r * n_c;
        let n = self.n;
        let mut y = self.y_eff.take().unwrap_or_else(|| vec![0.0; n * nf]);
        for s in 0..n_s {
            for k in 0..nf {
                let rb = k / n_c;
                let mut tot = 0.0;
                let mut kept = 0.0;
                for ra in 0..n_r {
                    let i = ra * n_s + s;
                    let v = self.y0[i * nf + k];
                    tot += v;
                    kept += v * m[(ra * n_s + s) * n_r + rb];
                }
                let scale = if kept > 0.0 { tot / kept } else { 0.0 };
                for ra in 0..n_r {
                    let i = ra * n_s + s;
                    y[i * nf + k] = self.y0[i * nf + k] * m[(ra * n_s + s) * n_r + rb] * scale;
                }
            }
        }
        self.y_eff = Some(y);
    }

    /// `od_i = ρ_i · Σ_f Z0[i,f]·H[s(i),f]·m[r(i),s(i),r(f)]`.
    fn pass_demand(&mut self) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            return unsafe { self.pass_demand_avx2() };
        }
        self.pass_demand_impl()
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn pass_demand_avx2(&mut self) {
        self.pass_demand_impl()
    }

    #[inline(always)]
    fn pass_demand_impl(&mut self) {
        let n = self.n;
        let (n_r, n_s) = (self.n_r, self.n_s);
        // rows in storage order: Z0 streams sequentially, H (S × n) stays in cache
        for r in 0..n_r {
            for s in 0..n_s {
                let hrow = &self.h[s * n..(s + 1) * n];
                let i = r * n_s + s;
                let zrow = &self.z0[i * n..(i + 1) * n];
                let sum = match &self.m_o {
                    None => dot(zrow, hrow),
                    Some(m) => {
                        let mut acc = 0.0;
                        for rb in 0..n_r {
                            let w = m[(r * n_s + s) * n_r + rb];
                            if w != 0.0 {
                                let a = rb * n_s;
                                acc += w * dot(&zrow[a..a + n_s], &hrow[a..a + n_s]);
                            }
                        }
                        acc
                    }
                };
                self.od[i] = self.rho_o[i] * sum;
            }
        }
    }

    fn distribute_final_demand(&mut self) {
        let n = self.n;
        let (n_s, n_c) = (self.n_s, self.n_c);
        let nf = self.n_r * n_c;
        self.fd_unmet.fill(0.0);
        for i in 0..n {
            let d = self.dem[i];
            let yrow = &self.y0[i * nf..(i + 1) * nf];
            let erow = self.y_eff.as_ref().map(|y| &y[i * nf..(i + 1) * nf]);
            let mut undist = 0.0;
            let si = i % n_s;
            // delivered = E·(x/D): one division per industry (BoARIO: (E/D)·x, ~1 ulp apart)
            let share = if d != 0.0 { self.x[i] / d } else { 0.0 };
            for rb in 0..self.n_r {
                let mut acc = 0.0;
                for k in rb * n_c..(rb + 1) * n_c {
                    let e = erow.map_or(yrow[k], |r| r[k]);
                    let unmet = yrow[k] - e * share;
                    undist += unmet;
                    acc += unmet;
                }
                self.fd_unmet[rb * n_s + si] += acc;
            }
            self.fd_undist[i] = undist;
        }
    }
}

/// [`close_ratio`] without branches (the same values), for vectorised loops.
#[inline(always)]
fn close_ratio_bf(a: f64, b: f64) -> f64 {
    let d = (a - b).abs() / (ATOL + RTOL * b.abs());
    let d = if a.is_finite() && b.is_finite() {
        d
    } else {
        f64::INFINITY
    };
    if a == b { 0.0 } else { d }
}

/// Folds a row of allclose ratios into (all close, margin) exactly as the element-wise loop
/// `close &= !(nan_open && cr.is_nan()) && cr <= 1; if |cr − 1| < |worst − 1| { worst = cr }`
/// would, in two vectorisable sweeps and a search for the first minimiser.
#[inline(always)]
fn scan_close(cr: &[f64], nan_open: bool, close: &mut bool, worst: &mut f64) {
    let mut open = 0usize;
    let mut best = [f64::INFINITY; 4];
    let chunks = cr.chunks_exact(4);
    let rest = chunks.remainder();
    for c in chunks {
        for k in 0..4 {
            open += (c[k] > 1.0 || (nan_open && c[k].is_nan())) as usize;
            let d = (c[k] - 1.0).abs();
            best[k] = if d < best[k] { d } else { best[k] };
        }
    }
    let mut b = best[0].min(best[1]).min(best[2]).min(best[3]);
    for &c in rest {
        open += (c > 1.0 || (nan_open && c.is_nan())) as usize;
        let d = (c - 1.0).abs();
        b = if d < b { d } else { b };
    }
    if open > 0 {
        *close = false;
    }
    if b < (*worst - 1.0).abs()
        && let Some(&c) = cr.iter().find(|c| (**c - 1.0).abs() == b)
    {
        *worst = c;
    }
}

/// What the fused pass saw, for the compat switches.
struct FusedOut {
    close_stock: bool,
    worst_stock: f64,
    close_gap: bool,
    worst_gap: f64,
    /// A negative inventory before clamping (BoARIO stops there).
    neg: bool,
}

fn neg_stock(step: usize) -> ModelError {
    ModelError::Crash {
        step,
        message: "negative inventories (BoARIO stops here)".into(),
    }
}

fn finished_fixed(v: &[f64], init: &[(usize, f64)], f: RecoveryFn, el: usize, tau: u32) -> bool {
    if f == RecoveryFn::Linear {
        return el >= tau as usize;
    }
    v.iter().zip(init).all(|(x, (_, d0))| *x <= 1e-9 * d0)
}

/// Records one compat allclose decision (`close`, with its margin) and returns the decision the
/// step takes: the forced one (e.g. the peer's) when given, else `close`.
fn decide(
    log: &mut Vec<bool>,
    margins: &mut Vec<f64>,
    close: bool,
    margin: f64,
    forced: Option<bool>,
) -> bool {
    log.push(close);
    margins.push(margin);
    forced.unwrap_or(close)
}

/// Position of `name` in `names`; event `k` of `kind` names it in the error.
fn name_index(
    names: &[String],
    what: &'static str,
    k: usize,
    kind: &str,
    name: &str,
) -> Result<usize, EventError> {
    names
        .iter()
        .position(|r| r == name)
        .ok_or_else(|| EventError::Unknown {
            index: k,
            kind: kind.into(),
            what,
            name: name.into(),
            known: list_names(names),
        })
}

fn list_names(v: &[String]) -> String {
    if v.len() <= 12 {
        v.join(", ")
    } else {
        format!("{}, … ({} in all)", v[..12].join(", "), v.len())
    }
}
