//! The ARIO engine: [`Model`] (built from an [`Mrio`] and [`Params`]; state and one daily
//! [`Model::step`]), [`Shock`] (index-based events, including daily production-loss series for
//! callers such as the mineral model) and [`SwitchLog`] (the two tolerance switches of compat
//! mode, so flips against the peer can be counted and replayed).
//!
//! Notation: R regions, S sectors, n = R·S industries `i = r·S + s`; `s(i)` its sector.
//! Daily tables `Z0 = Z/365`, `Y0 = Y/365`, `X0 = x/365`; `A = Z·diag(x)⁻¹`; technical
//! coefficients by product `T[s,f] = Σ_{i: s(i)=s} A[i,f]` (S × n); inventories `Ω` (S × n).
//!
//! One step t (the fixed mode differs from BoARIO 0.7.2 where `quirks` says):
//! 1. events → capacity loss `Δ` (capital lost / K, K = 4·VA, and arbitrary shares) and
//!    rebuilding demand `Rb`
//! 2. demand `D_i = Σ_f O[i,f] + Σ_c Y0[i,c] + Σ Rb[i,·]`
//! 3. overproduction `α ← α + (α_max − α)·sc/τ_α + (α_b − α)·[relax]/τ_α`, `sc = (D − x)/D`
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
//! of size n² and streams `Z0` from memory once (`Model::pass_fused`): supplier rows are walked
//! sector by sector (the R rows of sector s, strided in the region-major order); after the R
//! rows of s the deliveries of product s and the normalisation `Σ_{i∈s} Z0[i,·]·ρ'_i` are
//! complete, so are the inventory update, goal and orders `H[s,·]` of row s, and the next
//! step's demand `D'_i = ρ'_i·Σ_f Z0[i,f]·H[s,f]` of those R rows is summed by re-reading them
//! from cache (R·n·8 bytes). Nothing between the end of a step and the next demand depends on
//! the next step's events. BoARIO's two allclose switches (compat mode) are global over S × n,
//! so the pass assumes the previous step's decisions; on a miss the S × n part is redone and
//! the next step runs a separate demand pass (`Model::pass_demand`). The arithmetic is the same
//! either way (tested bit for bit).
//!
//! The modules, each depending only on those listed before it:
//! - `params`: [`Params`], [`Mode`], [`ModelKind`], [`OrderType`], [`InvDuration`].
//! - `quirks`: BoARIO 0.7.2's quirks, one named function each, and the switch logs.
//! - `kernels`: the dot products and axpys, scalar and AVX2, bit-identical.
//! - `baseline`: the daily tables, capital, coefficients and name lookups (read-only).
//! - `shocks`: [`Shock`] and the events' course (statuses, recovery, capacity loss, rebuilding).
//! - `resolve`: named events ([`EventSpec`]) into shocks.
//! - `state`: the [`Model`] struct.
//! - `passes`: the inventory constraint and the streams over `Z0` (fused and demand).
//! - `step`: [`Model::step`] as its phases.
//! - this file: construction, accessors and the run loop.

mod baseline;
mod kernels;
mod params;
mod passes;
mod quirks;
mod resolve;
mod shocks;
mod state;
mod step;

pub use params::{InvDuration, Mode, ModelKind, OrderType, Params};
pub use quirks::{SwitchLog, SwitchOverride, industry_order};
pub use shocks::Shock;
pub use state::Model;

use crate::error::{AriError, EventError, ModelError};
use crate::events::EventSpec;
use crate::mrio::Mrio;
use crate::record::Sink;
use baseline::Baseline;
use shocks::Shocks;

impl Model {
    /// Builds the model from an MRIO (consumed: its Z becomes the daily Z0 in place), at the
    /// baseline steady state: inventories at their targets, α = α_base, production X0.
    pub fn new(mrio: Mrio, params: Params) -> Result<Model, AriError> {
        let p = params;
        p.check()?;
        let base = Baseline::new(mrio, &p)?;
        let (n, n_r, n_s) = (base.n, base.n_r, base.n_s);
        let mut m = Model {
            shocks: Shocks::new(n),
            t: 0,
            stock: base.initial_stock(),
            alpha: vec![p.alpha_base; n],
            x: base.x0.clone(),
            delta: vec![0.0; n],
            rho_o: vec![1.0; n],
            h: vec![1.0; n_s * n],
            m_o: None,
            col_orders: base.column_sums(),
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
            base,
            p,
        };
        if m.p.order_type == OrderType::NoAlt {
            // baseline weights: the normalisation never changes
            m.base.flows_by_product(&mut m.zcp);
        }
        Ok(m)
    }

    pub fn params(&self) -> &Params {
        &self.p
    }
    pub fn regions(&self) -> &[String] {
        &self.base.regions
    }
    pub fn sectors(&self) -> &[String] {
        &self.base.sectors
    }
    pub fn n_industries(&self) -> usize {
        self.base.n
    }
    /// Daily baseline output `X0`.
    pub fn x0(&self) -> &[f64] {
        &self.base.x0
    }
    /// Productive capital `K = capital_to_va · max(x − 1ᵀZ, 0)` (yearly units).
    pub fn productive_capital(&self) -> &[f64] {
        &self.base.k
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

    /// Index of the industry (region, sector), or why there is none (with the known names).
    pub fn industry_index(&self, region: &str, sector: &str) -> Result<usize, String> {
        self.base.industry_index(region, sector)
    }

    /// Resolves named events (index `k` is used in messages) and adds them; `n_steps` is the
    /// length of the run (compat mode refuses events that outlast it).
    pub fn add_events(&mut self, specs: &[EventSpec], n_steps: usize) -> Result<(), EventError> {
        for (k, spec) in specs.iter().enumerate() {
            let shock = resolve::resolve(&self.base, &self.p, k, spec, n_steps)?;
            self.add_shock(shock)
                .map_err(|message| EventError::Invalid {
                    index: k,
                    kind: spec.kind_name().into(),
                    message,
                })?;
        }
        Ok(())
    }

    /// Adds an index-based shock.
    pub fn add_shock(&mut self, shock: Shock) -> Result<(), String> {
        self.shocks.add(shock, &self.base, self.p.mode)
    }

    /// Runs `steps` steps, handing each to `sink`. A crash (where BoARIO would stop) is an error.
    pub fn run(&mut self, steps: usize, sink: &mut dyn Sink) -> Result<(), ModelError> {
        for _ in 0..steps {
            self.step(sink)?;
        }
        Ok(())
    }
}
