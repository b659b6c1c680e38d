//! The fuzz targets of chokepoint-core as plain functions of the input bytes. The libFuzzer
//! binaries of `fuzz/fuzz_targets/` call them, and so does the stable replay test
//! `crates/chokepoint-core/tests/fuzz_corpus.rs`, which includes this file by path: the committed
//! corpus and every input that once crashed are replayed by the default `cargo test` on the
//! stable toolchain, through the very code the fuzzer ran. Only `chokepoint_core`, `serde_json`
//! and `std` are used here, so that both can compile it.
//!
//! A target fails by panicking. Besides the code under test panicking, the targets check what a
//! caller relies on: a scenario or dataset that validates runs its first days in the engine
//! without tripping an assertion (validation is the engine's only guard), a decoded partial
//! result encodes back to the same bytes and reports its bands, and a deserialised shard names an
//! existing part of its run.

use chokepoint_core::check::check_world;
use chokepoint_core::engine::Engine;
use chokepoint_core::library;
use chokepoint_core::montecarlo::Accumulator;
use chokepoint_core::record::NullSink;
use chokepoint_core::scenario::{
    BaseResolver, Scenario, SourceText, parse_scenario_uncertain, parse_world,
};
use chokepoint_core::shard::Shard;

/// The small dataset `base = "builtin:tiny"` resolves to.
pub const TINY_BASE: &str = include_str!("../bases/tiny.toml");

/// The head of every input of the `events` target: a valid scenario on the tiny base, so that
/// the fuzzed `[[event]]` tables after it meet a world they can refer to.
pub const EVENTS_HEAD: &str = "[scenario]
name = \"fuzz events\"
base = \"builtin:tiny\"
start = 2025-01-01
days = 60
seed = 3
";

/// Days of a valid scenario the targets step through: enough for licence decisions, orders and
/// shipments to happen, few enough to keep thousands of executions a second.
pub const DAYS_RUN: u32 = 12;

/// Partial results larger than this many (day, series) bands are checked on a sample only.
const MAX_BANDS: usize = 4096;

/// Bases for fuzzed scenarios. The base is parsed and validated again with every input (the
/// parser merges it with the scenario's edits), and even world-2010 (28 kB) costs 3 ms an input
/// that way, world-2024 (600 kB in nine files) far more: the fuzzer would run at tens or hundreds
/// of inputs a second. So `builtin:tiny` and the 2024 name of the shipped scenarios resolve to a
/// three-region world (their edits then meet unknown ids as often as known ones), and only
/// `builtin:world-2010` to a real dataset, for the inputs that name it. Anything else is unknown,
/// as in the program.
pub struct FuzzBases;

impl BaseResolver for FuzzBases {
    fn resolve(&self, base: &str) -> Option<Vec<(String, String)>> {
        let file = |name: &str, text: &str| Some(vec![(name.to_string(), text.to_string())]);
        match base {
            "builtin:tiny" | "builtin:world-2024" => file("fuzz/bases/tiny.toml", TINY_BASE),
            "builtin:world-2010" => {
                let d = library::dataset("world-2010")?;
                Some(
                    d.files
                        .iter()
                        .map(|(p, t)| (p.to_string(), t.to_string()))
                        .collect(),
                )
            }
            _ => None,
        }
    }
}

/// Scenario parser and validator: any text as a scenario file.
pub fn scenario(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        scenario_text(text);
    }
}

/// Scenario events: `[[event]]` tables (or anything else) after a valid scenario head.
pub fn events(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        scenario_text(&format!("{EVENTS_HEAD}{text}"));
    }
}

fn scenario_text(text: &str) {
    let src = SourceText {
        name: "fuzz.toml",
        text,
    };
    match parse_scenario_uncertain(src, &FuzzBases) {
        Ok((s, unc)) => {
            let _ = check_world(&s.world);
            run_days(&s);
            if !unc.params.is_empty() {
                let (path, _) = s.for_path(&unc, s.settings.seed, 0);
                run_days(&path);
            }
        }
        Err(diags) => {
            // Reporting must not fail either.
            let _ = diags.to_string();
        }
    }
}

/// Dataset loader: any text as one dataset file.
pub fn dataset(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_world(&[SourceText {
        name: "fuzz-dataset.toml",
        text,
    }]) {
        Ok(world) => {
            let _ = check_world(&world);
            run_days(&Scenario {
                settings: Default::default(),
                world,
                events: Vec::new(),
            });
        }
        Err(diags) => {
            let _ = diags.to_string();
        }
    }
}

/// Steps the engine through the first [`DAYS_RUN`] days of a validated scenario.
fn run_days(s: &Scenario) {
    let mut engine = Engine::new(s, s.settings.seed, 0);
    let mut sink = NullSink;
    for _ in 0..DAYS_RUN {
        if engine.finished() {
            break;
        }
        engine.step(&mut sink);
    }
}

/// Monte Carlo shard decoder: any bytes as a shard's `partial.bin`.
pub fn shard(data: &[u8]) {
    let Ok(acc) = Accumulator::decode(data) else {
        return;
    };
    // What merge does with a shard: encode (a merged result is written the same way), merge,
    // report bands. A decoded shard must read back to itself.
    let bytes = acc.encode();
    let again = Accumulator::decode(&bytes).expect("a decoded partial result encodes readably");
    assert!(
        again.encode() == bytes,
        "a decoded partial result does not encode stably"
    );
    let mut total = acc.clone();
    if total.merge(&acc).is_err() {
        // Counts that a merge would overflow are refused (`MergeError`), as `merge` refuses
        // such a shard: nothing more to check.
        return;
    }
    let mut bands = 0;
    'days: for day in 0..acc.days {
        for s in 0..acc.n_series {
            if bands == MAX_BANDS {
                break 'days;
            }
            bands += 1;
            let _ = total.band(day, s);
        }
    }
    for day in 0..acc.days.min(MAX_BANDS as u32) {
        for k in 0..acc.n_stock.min(MAX_BANDS) {
            let _ = total.stockouts(day, k);
        }
    }
    for k in 0..acc.n_stoppage_rows.min(MAX_BANDS) {
        let _ = total.stopped_by(k, acc.days.saturating_sub(1));
        let _ = total.stop_quantile(k, 50);
    }
}

/// What `merge` trusts in a shard's `manifest.json`: its `shard` (`I/N`), which picks the part
/// of the run the folder holds. Serde ignores the manifest's other keys, as `merge` does when it
/// reads them into `McManifest` (crate chokepoint-cli), so a real manifest is a seed. A shard that
/// deserialises must name a part that exists.
pub fn manifest(data: &[u8]) {
    #[derive(serde::Deserialize)]
    struct Folder {
        shard: Option<Shard>,
    }
    let shards = [
        serde_json::from_slice::<Shard>(data).ok(),
        serde_json::from_slice::<Folder>(data)
            .ok()
            .and_then(|f| f.shard),
    ];
    for shard in shards.into_iter().flatten() {
        assert!(
            shard.count > 0 && shard.index < shard.count,
            "manifest shard {}/{} was accepted",
            shard.index,
            shard.count
        );
        assert_eq!(shard.to_string().parse::<Shard>(), Ok(shard));
    }
}
