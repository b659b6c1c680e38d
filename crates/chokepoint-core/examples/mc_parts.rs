//! Where a Monte Carlo run's time goes (bench/README.md): the default scenario's paths on `T`
//! threads, first as engines only (the shared opening, one engine restarted per path and stepped
//! to the end of the horizon, nothing read or summarised), then as `montecarlo::run` does them
//! (the same engines, plus reading every source's value each day into the sketches, exact sums
//! and stockout counts). The difference is what the summaries cost.
//!
//!     cargo run --release -p chokepoint-core --example mc_parts -- 10000 2
use chokepoint_core::engine::Engine;
use chokepoint_core::library::builtin_scenario;
use chokepoint_core::montecarlo::{SeriesSet, run, shared_opening_days};
use chokepoint_core::record::NullSink;
use chokepoint_core::uncertain::Uncertainty;
use rayon::prelude::*;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut arg = |default: u64| args.next().and_then(|a| a.parse().ok()).unwrap_or(default);
    let (paths, threads, seed) = (arg(1000), arg(2) as usize, arg(1));
    let Some(Ok(s)) = builtin_scenario("april-2025") else {
        std::process::exit(2);
    };
    let unc = Uncertainty::default();
    let set = SeriesSet::new(&s, &unc);
    let all: Vec<u64> = (0..paths).collect();
    let Ok(pool) = rayon::ThreadPoolBuilder::new().num_threads(threads).build() else {
        std::process::exit(1);
    };

    let start = Instant::now();
    let opening_days = shared_opening_days(&s, &unc, &set, seed);
    let mut opening = Engine::new(&s, seed, 0).deferring_draws().without_records();
    while opening.state.day < opening_days {
        opening.step(&mut NullSink);
    }
    // Something of every path's end state, so that no path's work can be left out.
    let in_transit: f64 = pool.install(|| {
        all.par_iter()
            .map_init(
                || None::<Engine>,
                |spare, &path| {
                    let restarted = spare
                        .as_mut()
                        .is_some_and(|e| e.restart_from(&opening, seed, path));
                    if !restarted {
                        *spare = opening.for_path(seed, path);
                    }
                    let engine = spare.as_mut().expect("the opening starts paths");
                    while !engine.finished() {
                        engine.step(&mut NullSink);
                    }
                    engine.in_transit().iter().sum::<f64>()
                },
            )
            .sum()
    });
    let engines = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let acc = run(&s, &unc, &set, seed, &all, threads, &|_| {});
    let whole = start.elapsed().as_secs_f64();

    println!(
        "{paths} paths, {threads} threads, from day {opening_days}: engines only {engines:.1} s \
         ({:.2} ms a path a thread), the whole run {whole:.1} s ({:.2} ms), so the summaries \
         {:.1} s ({:.2} ms); check: {} paths, in transit {in_transit:.3e}",
        engines * 1e3 * threads as f64 / paths as f64,
        whole * 1e3 * threads as f64 / paths as f64,
        whole - engines,
        (whole - engines) * 1e3 * threads as f64 / paths as f64,
        acc.paths,
    );
}
