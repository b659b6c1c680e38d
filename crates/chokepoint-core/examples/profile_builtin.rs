//! Runs the built-in scenario many times (for profilers) and prints the time per path:
//! `cargo run --release -p chokepoint-core --example profile_builtin -- 200`.
use chokepoint_core::{engine::simulate, library::builtin_scenario, record::NullSink};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100);
    let Some(Ok(s)) = builtin_scenario("april-2025") else {
        std::process::exit(2);
    };
    let start = std::time::Instant::now();
    let mut total = 0.0;
    for path in 0..n {
        total += simulate(&s, path as u64, &mut NullSink)
            .rows
            .iter()
            .map(|r| r.shortfall)
            .sum::<f64>();
    }
    let ms = start.elapsed().as_secs_f64() * 1e3 / n as f64;
    println!("total shortfall {total}, {ms:.2} ms per path");
}
