//! [`Model`]'s fields: the [`Params`], the read-only [`Baseline`], the [`Shocks`], the state a
//! step carries to the next (inventories Ω, overproduction α, production x, the order
//! normalisation H and its weights ρ), the per-step vectors the sink sees, the scratch arrays
//! of the passes over `Z0`, and the bookkeeping of BoARIO's allclose switches. The struct is
//! defined here, apart from its methods, so that the modules that implement them (`mod.rs`:
//! construction and accessors; `step`: the phases of a step; `passes`: the streams over `Z0`)
//! all depend on it and not on one another's files.
//!
//! Vectors of length n are per industry; S × n arrays are row `s` = input product, column `f` =
//! buying industry (`q = s·n + f`).

use super::baseline::Baseline;
use super::params::Params;
use super::quirks::{SwitchLog, SwitchOverride};
use super::shocks::Shocks;

/// The ARIO model: parameters, baseline, shocks and the state of the current step.
pub struct Model {
    pub(super) p: Params,
    pub(super) base: Baseline,
    pub(super) shocks: Shocks,
    /// The next step to run.
    pub(super) t: usize,
    /// Inventories Ω (S × n).
    pub(super) stock: Vec<f64>,
    /// Overproduction α.
    pub(super) alpha: Vec<f64>,
    /// Realised production x (the previous step's until production).
    pub(super) x: Vec<f64>,
    /// Capacity loss Δ.
    pub(super) delta: Vec<f64>,
    /// Order weights ρ of the current orders (`x̄/X0` for `alt`, 1 for `noalt`).
    pub(super) rho_o: Vec<f64>,
    /// Orders by product over their normalisation, `H = G / Σ Z0·ρ` (S × n): the orders matrix
    /// `O[i,f] = ρ_i·Z0[i,f]·H[s(i),f]` is never stored.
    pub(super) h: Vec<f64>,
    /// Trade-link multipliers in force for the current orders (R·S·R, `None` = all 1).
    pub(super) m_o: Option<Vec<f64>>,
    /// Inputs ordered, by buying industry (value added = production − these).
    pub(super) col_orders: Vec<f64>,
    // per step (n): what the sink sees, and the steps between
    /// Intermediate demand (orders received).
    pub(super) od: Vec<f64>,
    /// Total demand D.
    pub(super) dem: Vec<f64>,
    /// Production capacity x̄.
    pub(super) cap: Vec<f64>,
    /// Production goal: `min(D, x̄)`, then `min(D', x̄)` for the inventory goal.
    pub(super) xopt: Vec<f64>,
    pub(super) rb_dem: Vec<f64>,
    pub(super) rb_prod: Vec<f64>,
    pub(super) fd_unmet: Vec<f64>,
    pub(super) fd_undist: Vec<f64>,
    pub(super) va: Vec<f64>,
    /// Order weights ρ' of the orders being placed.
    pub(super) rho_n: Vec<f64>,
    /// The inventory constraint's ratio, then each supplier's delivery factor `ρ·x/D`.
    pub(super) coef: Vec<f64>,
    // scratch (S × n)
    /// Deliveries by product, then the inventory goal Ω*.
    pub(super) acc: Vec<f64>,
    /// Order normalisation `Σ_{i∈s} Z0[i,f]·ρ'_i` (fixed for `noalt`).
    pub(super) zcp: Vec<f64>,
    pub(super) limiting: Vec<bool>,
    /// Inventories at the start of the step, when they are recorded.
    pub(super) stock_start: Vec<f64>,
    /// Inventories after the update, written by the fused pass (S × n; swapped with `stock`).
    pub(super) stock_next: Vec<f64>,
    /// Intermediate demand of the next step, computed by the fused pass (n).
    pub(super) od_next: Vec<f64>,
    /// Demand accumulators of the fused pass, 8 per row of a sector (R).
    pub(super) dacc: Vec<[f64; 8]>,
    /// Column block of the fused pass (a multiple of 8; 1024 columns: the R row segments of a
    /// block take 8·R KB, 392 KB at EXIOBASE's 49 regions).
    pub(super) col_block: usize,
    /// allclose ratios of one row of the fused pass (n each).
    pub(super) cr_stock: Vec<f64>,
    pub(super) cr_gap: Vec<f64>,
    /// `od_next` holds the next step's intermediate demand.
    pub(super) od_ready: bool,
    /// Predicted compat switch decisions (stock update skipped, gap zeroed) for the fused pass.
    pub(super) pred: (bool, bool),
    /// Reuse the fused pass's next demand (off: pass A every step, for tests).
    pub(super) fused: bool,
    /// Y0 with trade links applied, when links are active (n × R·C).
    pub(super) y_eff: Option<Vec<f64>>,
    pub(super) record_stocks: bool,
    pub switches: SwitchLog,
    pub overrides: Option<SwitchOverride>,
    /// Record the compat overproduction relaxation decisions in [`SwitchLog::alpha_relaxed`]
    /// (n booleans per step; off by default).
    pub log_alpha_relaxed: bool,
}
