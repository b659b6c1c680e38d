//! ARIO (Adaptive Regional Input-Output, Hallegatte 2008/2014) economic-propagation engine,
//! compatible with BoARIO 0.7.2 and much faster.
//!
//! Main types:
//! - [`Mrio`]: a validated multi-regional input-output table, read from the pymrio CSV layout
//!   ([`Mrio::read_dir`]) or generated ([`synthetic::synthetic_mrio`]).
//! - [`Params`], [`Mode`]: BoARIO's parameters (same defaults); `Mode::Compat` reproduces
//!   BoARIO 0.7.2 trajectories quirk for quirk, `Mode::Fixed` (default) fixes the quirks.
//! - [`EventSpec`]: events by name (TOML, or the peer's JSON list); [`Shock`]: index-based
//!   events, including daily production-loss series ([`Shock::LossSeries`]) for callers such as
//!   the mineral model, and bilateral trade-link cuts ([`Shock::TradeLink`]).
//! - [`Model`]: state and one step ([`Model::step`]); it streams each step to a [`Sink`]
//!   ([`Trajectories`] in memory, [`CsvSink`] tidy CSV).
//! - [`mineral`]: the link from a `chokepoint run` folder: daily end-use shortfalls mapped to
//!   MRIO industries ([`mineral::SectorMapping`]) become one [`Shock::LossSeries`].
//! - [`cli`]: the `chokepoint ario` command (clap [`cli::Args`], [`cli::run`]).
//!
//! Memory: one dense n × n matrix (daily Z), S × n matrices for inventories and coefficients;
//! a step allocates nothing of size n².

// Index loops over several parallel arrays are clearer than zipped iterators here.
#![allow(clippy::needless_range_loop)]

pub mod cli;
pub mod error;
pub mod events;
mod mem;
pub mod mineral;
pub mod model;
pub mod mrio;
pub mod record;
pub mod synthetic;

pub use error::{AriError, EventError, ModelError, MrioError};
pub use events::{EventSpec, ImpactUnit, RecoveryFn};
pub use model::{
    InvDuration, Mode, Model, ModelKind, OrderType, Params, Shock, SwitchLog, SwitchOverride,
};
pub use mrio::{IndustryOrder, Mrio};
pub use record::{CsvSink, NullSink, Sink, StepView, Trajectories, Variable};
