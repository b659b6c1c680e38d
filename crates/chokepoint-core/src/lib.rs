//! chokepoint-core: the critical-mineral supply-chain model, scenario validation and the daily
//! engine. No I/O, no printing, no clock, no environment: functions take values and return
//! values, and a run emits its records through a [`record::Sink`].
//!
//! Flow: [`scenario::parse_scenario`] turns TOML text into a validated [`model::Scenario`]
//! (a [`model::World`] plus dated [`event::Event`]s and [`model::Settings`]), or a list of
//! every problem found; [`engine::simulate`] runs it day by day and returns a
//! [`summary::RunSummary`] while streaming [`record::Record`]s to the sink.

pub mod backtest;
pub mod build;
pub mod check;
pub mod dist;
pub mod engine;
pub mod event;
pub mod exact;
pub mod library;
pub mod model;
pub mod montecarlo;
pub mod network;
mod order_book;
pub mod record;
pub mod rng;
pub mod scenario;
pub mod shard;
pub mod sketch;
pub mod summary;
pub mod uncertain;
mod wire;
