//! Engine throughput: simulated days per second and link-days per second for the built-in
//! scenario and for synthetic networks about 10× and 100× larger (by link count).
//! Run with `cargo bench -p chokepoint-core --bench engine`; figures go to bench/README.md.

use chokepoint_core::build::synthetic;
use chokepoint_core::engine::simulate;
use chokepoint_core::model::Settings;
use chokepoint_core::record::NullSink;
use chokepoint_core::scenario::Scenario;
use divan::counter::ItemsCount;
use divan::{Bencher, black_box};

fn main() {
    divan::main();
}

const DAYS: u32 = 365;

fn synthetic_scenario(regions: usize, chains: usize) -> Scenario {
    Scenario {
        settings: Settings {
            name: "synthetic".into(),
            days: DAYS,
            ..Settings::default()
        },
        world: synthetic::world(regions, chains, 7),
        events: vec![],
    }
}

fn builtin() -> Scenario {
    match chokepoint_core::library::builtin_scenario("april-2025") {
        Some(Ok(s)) => s,
        _ => panic!("the built-in scenario parses"),
    }
}

fn scenario(which: &str) -> Scenario {
    match which {
        "builtin" => builtin(),
        // About 10× and 100× the built-in world-2024 scenario's 429 links.
        "synthetic-10x" => synthetic_scenario(77, 6),
        _ => synthetic_scenario(255, 18),
    }
}

const WHICH: [&str; 3] = ["builtin", "synthetic-10x", "synthetic-100x"];

/// Throughput in simulated days.
#[divan::bench(args = WHICH, sample_count = 10)]
fn simulated_days(bencher: Bencher, which: &str) {
    let s = scenario(which);
    bencher
        .counter(ItemsCount::new(s.settings.days as u64))
        .bench(|| simulate(black_box(&s), 1, &mut NullSink));
}

/// Throughput in link-days (links × days), the unit that stays comparable across sizes.
#[divan::bench(args = WHICH, sample_count = 10)]
fn link_days(bencher: Bencher, which: &str) {
    let s = scenario(which);
    let n = s.settings.days as u64 * s.world.links.len() as u64;
    bencher
        .counter(ItemsCount::new(n))
        .bench(|| simulate(black_box(&s), 1, &mut NullSink));
}

/// Sizes of the benchmarked networks (printed once so the table can be read).
#[divan::bench(args = WHICH, sample_count = 1, sample_size = 1)]
fn network_size(which: &str) -> (usize, usize, usize) {
    let s = scenario(which);
    eprintln!(
        "{which}: {} regions, {} products, {} links, {} days",
        s.world.regions.len(),
        s.world.products.len(),
        s.world.links.len(),
        s.settings.days
    );
    (
        s.world.regions.len(),
        s.world.products.len(),
        s.world.links.len(),
    )
}
