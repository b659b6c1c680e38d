//! The model's parameters: [`Params`] (BoARIO's parameters and their defaults, as
//! `run_reference.py` sets them), [`Mode`] (the fixed mode or BoARIO 0.7.2's quirks),
//! [`ModelKind`] (ψ model or base model), [`OrderType`] (how orders split among suppliers) and
//! [`InvDuration`] (an input's inventory target in days, or infinite). [`Params::check`]
//! refuses values the equations cannot take before any table is built.

use crate::error::ModelError;

/// Behaviour mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Quirks fixed (see docs/ario.md).
    #[default]
    Fixed,
    /// Reproduce BoARIO 0.7.2 trajectories including its quirks.
    Compat,
}

/// ARIOPsiModel (ψ and inventory restoration time) or ARIOBaseModel (ψ = 1, restoration 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ModelKind {
    #[default]
    Psi,
    Base,
}

/// How orders are split among suppliers of a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderType {
    /// Weights scale with each supplier's capacity relative to baseline.
    #[default]
    Alt,
    /// Fixed baseline weights.
    NoAlt,
}

/// Inventory duration of an input product.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum InvDuration {
    Days(f64),
    Infinite,
}

/// Model parameters; defaults equal BoARIO's (and run_reference.py's).
#[derive(Debug, Clone)]
pub struct Params {
    pub mode: Mode,
    pub model: ModelKind,
    pub order_type: OrderType,
    pub alpha_base: f64,
    pub alpha_max: f64,
    pub alpha_tau: u32,
    pub rebuild_tau: u32,
    pub main_inv_dur: f64,
    pub psi: f64,
    pub inv_restoration_tau: u32,
    /// Per-sector inventory durations (sector name → duration). In compat mode, as in BoARIO,
    /// the map must list every sector.
    pub inventory: Option<Vec<(String, InvDuration)>>,
    pub infinite_inv_sectors: Vec<String>,
    /// Unit of the MRIO (1e6 for M$). Sets the rounding precision of capital in compat mode.
    pub monetary_factor: u64,
    /// Productive capital per unit of value added.
    pub capital_to_va: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            mode: Mode::Fixed,
            model: ModelKind::Psi,
            order_type: OrderType::Alt,
            alpha_base: 1.0,
            alpha_max: 1.25,
            alpha_tau: 365,
            rebuild_tau: 60,
            main_inv_dur: 90.0,
            psi: 0.8,
            inv_restoration_tau: 60,
            inventory: None,
            infinite_inv_sectors: Vec::new(),
            monetary_factor: 1_000_000,
            capital_to_va: 4.0,
        }
    }
}

impl Params {
    /// Refuses parameters outside the model's domain: ψ ∉ [0, 1], a zero characteristic time
    /// (they divide), α_max < α_base or α_base ≤ 0, a zero monetary factor.
    pub fn check(&self) -> Result<(), ModelError> {
        let param = |m: String| Err(ModelError::Param(m));
        if self.psi > 1.0 || self.psi < 0.0 || !self.psi.is_finite() {
            return param(format!("psi = {} must be in [0, 1]", self.psi));
        }
        if self.alpha_tau == 0 || self.inv_restoration_tau == 0 || self.rebuild_tau == 0 {
            return param("alpha-tau, inv-restoration-tau and rebuild-tau must be positive".into());
        }
        if self.alpha_max < self.alpha_base || self.alpha_base <= 0.0 {
            return param(format!(
                "alpha-max ({}) must be >= alpha-base ({}) > 0",
                self.alpha_max, self.alpha_base
            ));
        }
        if self.monetary_factor == 0 {
            return param("monetary-factor must be positive".into());
        }
        Ok(())
    }

    /// ψ of the inventory constraint: the parameter for the ψ model, 1 for the base model.
    pub(crate) fn psi_effective(&self) -> f64 {
        match self.model {
            ModelKind::Psi => self.psi,
            ModelKind::Base => 1.0,
        }
    }
}
