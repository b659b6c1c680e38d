//! The fuzz targets of chokepoint-ario as plain functions of the input bytes. The libFuzzer
//! binaries of `fuzz/fuzz_targets/` call them, and so does the stable replay test
//! `crates/chokepoint-ario/tests/fuzz_corpus.rs`, which includes this file by path: the committed
//! corpus and every input that once crashed are replayed by the default `cargo test` on the
//! stable toolchain. Only `chokepoint_ario` and `std` are used here.
//!
//! A target fails by panicking. An input that reads without error goes on as far as the
//! `chokepoint ario` command would take it: an MRIO builds a model and runs a few steps, events
//! are resolved against the test MRIO and run, a sector mapping and a run's `timeseries.csv`
//! become a loss shock that runs. Inputs made of several files separate them with a NUL byte,
//! which none of these text formats contains.

use chokepoint_ario::events::{parse_events_json, parse_events_toml};
use chokepoint_ario::mineral::{EndUseLosses, SectorMapping};
use chokepoint_ario::{
    IndustryOrder, Mode, Model, Mrio, NullSink, Params, ReadOptions, TableText, industry_order,
};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Steps a model runs once its inputs read: enough for events to start, recover and rebuild.
pub const STEPS: usize = 12;

/// The 13-region, 6-sector test MRIO (`crates/chokepoint-cli/tests/fixtures/mrio-13x6`), the
/// economy fuzzed events and loss series fall on.
const FIXTURE_Z: &str = include_str!("../../crates/chokepoint-cli/tests/fixtures/mrio-13x6/Z.csv");
const FIXTURE_Y: &str = include_str!("../../crates/chokepoint-cli/tests/fixtures/mrio-13x6/Y.csv");
const FIXTURE_X: &str = include_str!("../../crates/chokepoint-cli/tests/fixtures/mrio-13x6/x.csv");

/// The fixture read once per mode (its order depends on the mode), not once per input.
fn fixture(mode: Mode) -> &'static Mrio {
    static FIXED: OnceLock<Mrio> = OnceLock::new();
    static COMPAT: OnceLock<Mrio> = OnceLock::new();
    let cell = match mode {
        Mode::Fixed => &FIXED,
        Mode::Compat => &COMPAT,
    };
    cell.get_or_init(|| {
        read_tables(
            &[
                FIXTURE_Z.as_bytes(),
                FIXTURE_Y.as_bytes(),
                FIXTURE_X.as_bytes(),
            ],
            industry_order(mode),
        )
        .expect("the test MRIO reads")
    })
}

fn table<'a>(name: &str, text: &'a [u8]) -> TableText<&'a [u8]> {
    TableText {
        name: PathBuf::from(name),
        reader: text,
    }
}

fn read_tables(parts: &[&[u8]], order: IndustryOrder) -> Option<Mrio> {
    let (z, y) = (parts.first()?, parts.get(1)?);
    let x = parts.get(2).map(|x| table("x.csv", x));
    Mrio::read(
        table("Z.csv", z),
        table("Y.csv", y),
        x,
        ReadOptions::new(order),
    )
    .map_err(|e| e.to_string())
    .ok()
}

fn params(mode: Mode) -> Params {
    Params {
        mode,
        ..Params::default()
    }
}

/// MRIO reader: `Z.csv`, NUL, `Y.csv`, optionally NUL and `x.csv`, read in both industry
/// orders; a table that reads builds a model that runs.
pub fn mrio(data: &[u8]) {
    let parts: Vec<&[u8]> = data.splitn(3, |&b| b == 0).collect();
    for mode in [Mode::Fixed, Mode::Compat] {
        if let Some(m) = read_tables(&parts, industry_order(mode))
            && let Ok(mut model) = Model::new(m, params(mode))
        {
            let _ = model.run(STEPS, &mut NullSink);
        }
    }
}

/// ARIO event readers: the text as the TOML events format and as the peer's JSON list; events
/// that read are resolved against the test MRIO, in both modes, and run.
pub fn ario_events(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("events");
    let read = [
        parse_events_toml(text, path).map_err(|e| e.to_string()),
        parse_events_json(text, path).map_err(|e| e.to_string()),
    ];
    for specs in read.into_iter().flatten() {
        for mode in [Mode::Fixed, Mode::Compat] {
            let Ok(mut model) = Model::new(fixture(mode).clone(), params(mode)) else {
                panic!("the test MRIO builds a model");
            };
            for s in &specs {
                let _ = (s.kind_name(), s.occurrence(), s.duration());
            }
            if model.add_events(&specs, STEPS).is_ok() {
                let _ = model.run(STEPS, &mut NullSink);
            }
        }
    }
}

/// The link from a mineral run: a sector mapping, NUL, a run's `timeseries.csv`; a mapping and
/// run that read become a loss shock on the test MRIO that runs.
pub fn mineral(data: &[u8]) {
    let Some((map, run)) = split_once(data) else {
        return;
    };
    let Ok(map) = std::str::from_utf8(map) else {
        return;
    };
    let Ok(mapping) = SectorMapping::parse(Path::new("mapping.toml"), map) else {
        return;
    };
    let Ok(losses) = EndUseLosses::from_reader(Path::new("timeseries.csv"), run, &mapping) else {
        return;
    };
    let _ = losses.loss_stats();
    let Ok(mut model) = Model::new(fixture(Mode::Fixed).clone(), params(Mode::Fixed)) else {
        panic!("the test MRIO builds a model");
    };
    let shock = losses.shock(&mapping, STEPS, |r, s| model.industry_index(r, s));
    if let Ok(shock) = shock
        && model.add_shock(shock).is_ok()
    {
        let _ = model.run(STEPS, &mut NullSink);
    }
}

fn split_once(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let i = data.iter().position(|&b| b == 0)?;
    Some((&data[..i], &data[i + 1..]))
}
