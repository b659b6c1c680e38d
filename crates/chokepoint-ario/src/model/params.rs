//! The model's parameters: [`Params`] (BoARIO's parameters and their defaults, as
//! `run_reference.py` sets them), [`Mode`] (the fixed mode or BoARIO 0.7.2's quirks),
//! [`ModelKind`] (ψ model or base model), [`OrderType`] (how orders split among suppliers) and
//! [`InvDuration`] (an input's inventory target in days, or infinite).

use crate::mrio::IndustryOrder;

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

/// The order of regions and sectors a mode reads an MRIO in: BoARIO 0.7.2 sorts every table
/// lexicographically; the fixed mode keeps the MRIO's own order.
pub fn industry_order(mode: Mode) -> IndustryOrder {
    match mode {
        Mode::Compat => IndustryOrder::Lexicographic,
        Mode::Fixed => IndustryOrder::AsGiven,
    }
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
