//! A Monte Carlo run of the built-in `april-2025` exactly as `chokepoint run --paths N` does it
//! (the scenario's uncertain parameters, its default bands), without the CLI's output writing:
//! for profilers (`valgrind --tool=callgrind`) and to check that an optimisation leaves the
//! result unchanged. Prints a digest (FNV-1a 64) of the encoded accumulator and of the per-path
//! rows; two builds that print the same digest produced the same summaries, bit for bit.
//!
//!     cargo run --release -p chokepoint-core --example mc_digest -- 200 1   # paths, threads
use chokepoint_core::library::{Builtins, scenario_text};
use chokepoint_core::montecarlo::{SeriesSet, run, shared_opening_days};
use chokepoint_core::scenario::{SourceText, validate_scenario};
use std::time::Instant;

fn fnv(hash: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *hash ^= u64::from(b);
        *hash = hash.wrapping_mul(0x100_0000_01b3);
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut arg = |default: u64| args.next().and_then(|a| a.parse().ok()).unwrap_or(default);
    let (paths, threads, seed) = (arg(200), arg(1) as usize, arg(1));
    let Some((name, text)) = scenario_text("april-2025") else {
        std::process::exit(2);
    };
    let Ok(v) = validate_scenario(SourceText { name, text }, &Builtins) else {
        std::process::exit(2);
    };
    let set = SeriesSet::new(&v.scenario, &v.uncertainty);
    let all: Vec<u64> = (0..paths).collect();
    let start = Instant::now();
    let acc = run(
        &v.scenario,
        &v.uncertainty,
        &set,
        seed,
        &all,
        threads,
        &|_| {},
    );
    let secs = start.elapsed().as_secs_f64();
    let mut hash = 0xcbf2_9ce4_8422_2325;
    fnv(&mut hash, &acc.encode());
    for row in &acc.rows {
        fnv(&mut hash, &row.path.to_le_bytes());
        for x in &row.values {
            fnv(&mut hash, &x.to_bits().to_le_bytes());
        }
    }
    println!(
        "{paths} paths, {threads} threads, uncertain: {}, {} sources, {} shared days: {secs:.2} s \
         ({:.2} ms a path a thread), digest {hash:016x}",
        !v.uncertainty.is_empty(),
        set.source_count(),
        shared_opening_days(&v.scenario, &v.uncertainty, &set, seed),
        secs * 1e3 * threads as f64 / paths as f64,
    );
}
