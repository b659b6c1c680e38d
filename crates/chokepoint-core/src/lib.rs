//! chokepoint-core: the critical-mineral supply-chain model, scenario validation and the daily
//! engine. No I/O, no printing, no clock, no environment: functions take values and return
//! values, and a run emits its records through a [`record::Sink`].
//!
//! Flow: [`scenario::parse_scenario`] turns TOML text into a validated [`scenario::Scenario`]
//! (a [`model::World`] plus dated [`event::Event`]s and [`model::Settings`]), or a list of
//! every problem found; [`engine::simulate`] runs it day by day and returns a
//! [`summary::RunSummary`] while streaming [`record::Record`]s to the sink. Each kind of event
//! lives in its own module of [`event`] (wire keys and parser, uncertain numbers, what it
//! contributes to the day's [`event::Rules`]); each phase of the day in its own module of
//! [`engine`]. [`montecarlo`] runs many paths into mergeable summaries, [`shard`] says which
//! paths a shard runs and when shards may merge. `ARCHITECTURE.md` has the code map and the
//! layers the modules form.

pub mod backtest;
pub mod bands;
pub mod build;
pub mod check;
pub mod costs;
pub mod criticality;
pub mod dist;
pub mod engine;
pub mod event;
pub mod exact;
pub mod ledger;
pub mod library;
pub mod model;
pub mod montecarlo;
pub mod network;
mod order_book;
pub mod record;
pub mod rng;
pub mod scenario;
pub mod shard;
pub mod sizing;
pub mod sketch;
pub mod strategy;
pub mod summary;
pub mod uncertain;
mod wire;
