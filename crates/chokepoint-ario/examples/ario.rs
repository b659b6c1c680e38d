//! `cargo run --example ario -- --mriot DIR ...`: the `chokepoint ario` command standalone,
//! until the main binary mounts it.

use clap::Parser;

fn main() -> std::process::ExitCode {
    chokepoint_ario::cli::main_with(chokepoint_ario::cli::Args::parse())
}
