//! ARIO (Adaptive Regional Input-Output, Hallegatte 2008/2014) economic-propagation engine,
//! compatible with BoARIO 0.7.2 and much faster.
//!
//! Main types:
//! - [`Mrio`]: a validated multi-regional input-output table, read from the pymrio CSV layout
//!   through readers the caller opens ([`Mrio::read`]) or generated
//!   ([`synthetic::synthetic_mrio`]).
//! - [`Params`], [`Mode`]: BoARIO's parameters (same defaults); `Mode::Compat` reproduces
//!   BoARIO 0.7.2 trajectories quirk for quirk, `Mode::Fixed` (default) fixes the quirks. Each
//!   quirk is a named function of `model/quirks.rs` (listed in docs/ario.md); the one a caller
//!   needs is [`industry_order`], the order to read an MRIO in.
//! - [`EventSpec`]: events by name (TOML, or the peer's JSON list); [`Shock`]: index-based
//!   events, including daily production-loss series ([`Shock::LossSeries`]) for callers such as
//!   the mineral model, and bilateral trade-link cuts ([`Shock::TradeLink`]).
//! - [`Model`]: state and one step ([`Model::step`]); it streams each step to a [`Sink`]
//!   ([`Trajectories`] in memory, [`CsvSink`] tidy CSV). The [`model`] module's documentation
//!   gives the equations and how its files (parameters, quirks, kernels, baseline, shocks, the
//!   step and its passes) depend on one another.
//! - [`mineral`]: the link from a `chokepoint run`: daily end-use shortfalls (from the text of
//!   its `timeseries.csv`) mapped to MRIO industries ([`mineral::SectorMapping`]) become one
//!   [`Shock::LossSeries`].
//!
//! A library, not a program: values in (an MRIO, parameters, events, a loss series), values or
//! records through a [`Sink`] out. It opens no file, prints nothing, reads no clock and asks
//! nothing of the operating system; what it reads or writes goes through a reader or writer the
//! caller passes. The `chokepoint ario` command (crate `chokepoint-cli`) opens the files, writes
//! the output folder and backs the n × n matrix with huge pages ([`mrio::ReadOptions`]).
//!
//! Memory: one dense n × n matrix (daily Z), S × n matrices for inventories and coefficients;
//! a step allocates nothing of size n².

// Index loops over several parallel arrays are clearer than zipped iterators here.
#![allow(clippy::needless_range_loop)]

pub mod error;
pub mod events;
pub mod mineral;
pub mod model;
pub mod mrio;
pub mod record;
pub mod synthetic;

pub use error::{AriError, EventError, LinkError, ModelError, MrioError};
pub use events::{EventSpec, ImpactUnit, RecoveryFn};
pub use model::{
    InvDuration, Mode, Model, ModelKind, OrderType, Params, Shock, SwitchLog, SwitchOverride,
    industry_order,
};
pub use mrio::{IndustryOrder, Mrio, MrioTable, ReadOptions, TableText};
pub use record::{CsvSink, NullSink, Sink, StepView, Trajectories, Variable};

/// The engine's version (`run_info.json` names the program as `chokepoint-ario VERSION`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
