//! Replays the committed fuzz corpus of chokepoint-core's targets (`fuzz/corpus/TARGET`) and every
//! input that once crashed one of them (`fuzz/artifacts-fixed/TARGET`) through the targets
//! themselves: `fuzz/src/core_targets.rs` is included by path, so the default `cargo test` on the
//! stable toolchain runs the code libFuzzer ran, without cargo-fuzz or nightly. The tests named
//! `issue_16_fuzz_*` pin what each crash found by fuzzing now does instead (see fuzz/README.md).

#[path = "../../../fuzz/src/core_targets.rs"]
mod core_targets;

#[path = "../../../fuzz/replay.rs"]
mod fuzz_replay;

use chokepoint_core::montecarlo::{Accumulator, DecodeError};
use chokepoint_core::shard::Shard;
use fuzz_replay::replay;

/// A crash input kept in `fuzz/artifacts-fixed/TARGET/NAME`.
fn fixed(target: &str, name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/artifacts-fixed")
        .join(target)
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A `partial.bin` crash input of the `shard` target as this build reads it. The inputs were
/// found in format 2; format 3 (issue 17) is format 2 followed by the number of stoppage rows
/// and their counts, so with the version byte set to 3 and no stoppage rows appended an input
/// reaches the code it reached then (its header, sketches and counts come first).
fn fixed_partial(name: &str) -> Vec<u8> {
    let mut b = fixed("shard", name);
    if b.starts_with(b"CPMC\x00\x02\x00\x00") {
        b[5] = 3;
        b.extend(0u32.to_le_bytes());
    }
    b
}

#[test]
fn fuzz_corpus_scenario() {
    replay("scenario", core_targets::scenario);
}

#[test]
fn fuzz_corpus_events() {
    replay("events", core_targets::events);
}

#[test]
fn fuzz_corpus_dataset() {
    replay("dataset", core_targets::dataset);
}

#[test]
fn fuzz_corpus_shard() {
    replay("shard", core_targets::shard);
}

#[test]
fn fuzz_corpus_manifest() {
    replay("manifest", core_targets::manifest);
}

/// A deterministic lowercase name of `len` letters, different for each `seed`.
fn name(seed: u64, len: usize) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (b'a' + (x % 26) as u8) as char
        })
        .collect()
}

/// Found while measuring the scenario target's speed: every unknown name is compared with every
/// known one by edit distance, and the comparison cost the product of the two lengths, so a file
/// of long source ids and long unknown references took minutes to validate (quadratic in the
/// file's size, with the square of the name length on top). Only distances up to 3 matter for a
/// suggestion; the comparison now stops there and validation takes milliseconds.
#[test]
fn issue_16_fuzz_unknown_names_are_suggested_in_linear_time() {
    use chokepoint_core::scenario::{NoBases, SourceText, parse_scenario};
    use std::fmt::Write;
    let (sources, refs, len) = (300, 300, 200);
    let mut text =
        String::from("[scenario]\nname = \"x\"\nbase = \"none\"\nstart = 2025-01-01\ndays = 10\n");
    for k in 0..sources {
        let _ = write!(
            text,
            "[[source]]\nid = \"{}\"\ntitle = \"t\"\n",
            name(k, len)
        );
    }
    for k in 0..refs {
        let _ = write!(
            text,
            "[[product]]\nid = \"p{k}\"\nname = \"p\"\nunit = \"t\"\nstage = \"metal\"\n\
             content = {{ Nd = 1 }}\nprice = {{ value = 1, source = \"{}\" }}\n",
            name(1_000_000 + k, len)
        );
    }
    let t0 = std::time::Instant::now();
    let diags = parse_scenario(
        SourceText {
            name: "s.toml",
            text: &text,
        },
        &NoBases,
    )
    .expect_err("every price cites an unknown source");
    let unknown = diags
        .0
        .iter()
        .filter(|d| d.message.starts_with("unknown source"))
        .count();
    assert_eq!(unknown, refs as usize, "{diags}");
    let secs = t0.elapsed().as_secs_f64();
    assert!(secs < 5.0, "validation took {secs:.1} s");
}

/// The `shard` target: a `partial.bin` whose header counts more series, cells or stockout
/// counts than its bytes hold made `Accumulator::decode` allocate for them first (590 GB, or a
/// capacity overflow panic), or read its sketches until a corrupt one panicked before the
/// missing bytes showed. Such a file is truncated, and is now reported so before anything is
/// allocated or read.
/// Found by fuzzing the shard decoder after format 3: a sketch cell whose repeated keys or
/// zero counts the crate's normalisation adds up beyond a `u32` decoded, but its re-encoded
/// bytes did not (what merge writes could not be read back). Such a cell is now corrupt.
#[test]
fn issue_16_fuzz_sketch_counts_that_normalisation_sums_beyond_u32_are_refused() {
    for name in [
        "normalised-sketch-count-beyond-u32",
        "normalised-sketch-count-beyond-u32-2",
    ] {
        let got = Accumulator::decode(&fixed_partial(name));
        if let Ok(acc) = got {
            let again = Accumulator::decode(&acc.encode()).err();
            assert_eq!(
                again, None,
                "{name}: decoded, but its own encoding does not"
            );
        } else {
            assert_eq!(got.err(), Some(DecodeError::Sketch), "{name}");
        }
    }
}

#[test]
fn issue_16_fuzz_partial_bin_counts_beyond_its_bytes_are_truncated() {
    for name in [
        "count-beyond-bytes-allocates-590-gb",
        "count-beyond-bytes-capacity-overflow",
        "sketch-bin-count-overflows",
        "sketch-bin-count-overflows-2",
        "sketch-bin-index-delta-overflows",
        "sketch-bin-index-overflows",
        "sketch-index-mapping-gamma-overflows",
        "sketch-key-range-overflows",
    ] {
        let got = std::panic::catch_unwind(|| Accumulator::decode(&fixed_partial(name)).err());
        assert_eq!(got.ok(), Some(Some(DecodeError::Truncated)), "{name}");
    }
    // Every count of the header at its largest, and nothing after it.
    for (days, series, stock, sources) in [
        (u32::MAX, u32::MAX, 0, 1),
        (u32::MAX, 0, 0, u32::MAX),
        (u32::MAX, 0, u32::MAX, 0),
    ] {
        let mut b = b"CPMC\x00\x03\x00\x00".to_vec();
        for v in [days, series, stock] {
            b.extend(v.to_le_bytes());
        }
        b.extend(0u64.to_le_bytes());
        b.extend(sources.to_le_bytes());
        let got = Accumulator::decode(&b).err();
        assert_eq!(
            got,
            Some(DecodeError::Truncated),
            "{days} {series} {stock} {sources}"
        );
    }
}

/// The sketch format's variable-length integer (as `sketch.rs` writes it).
fn var_long(out: &mut Vec<u8>, mut v: u64) {
    let len = ((63 - v.leading_zeros() as i32) / 7).clamp(0, 8);
    for _ in 0..len {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn var_signed(out: &mut Vec<u8>, v: i64) {
    var_long(out, ((v >> 63) ^ (v << 1)) as u64);
}

/// The sketch format's variable-length double.
fn var_double(out: &mut Vec<u8>, v: f64) {
    let mut bits = (v + 1.0)
        .to_bits()
        .wrapping_sub(1f64.to_bits())
        .rotate_left(6);
    for _ in 0..8 {
        let next = (bits >> 57) as u8;
        bits <<= 7;
        if bits == 0 {
            out.push(next);
            return;
        }
        out.push(next | 0x80);
    }
    out.push((bits >> 56) as u8);
}

/// A sketch's bytes: count, min, max, an index mapping of `gamma`, positive bins `(key delta,
/// count)`.
fn sketch(count: f64, min: f64, max: f64, gamma: f64, bins: &[(i64, f64)]) -> Vec<u8> {
    let mut b = vec![0xA0];
    var_double(&mut b, count);
    b.push(0x88);
    b.extend(min.to_le_bytes());
    b.push(0x8C);
    b.extend(max.to_le_bytes());
    b.push(0x02);
    b.extend(gamma.to_le_bytes());
    b.extend(0f64.to_le_bytes());
    b.push(0x05);
    var_long(&mut b, bins.len() as u64);
    for &(delta, c) in bins {
        var_signed(&mut b, delta);
        var_double(&mut b, c);
    }
    b
}

/// The `shard` target: sketch bytes the DDSketch crate cannot take panicked inside the crate
/// while a `partial.bin` was read (bin keys whose sum overflows, keys spanning more than `i32`
/// holds, counts whose total overflows, an index mapping of γ = 1), and a sketch whose minimum
/// lies above its maximum decoded and panicked when its band was reported. A sketch is now
/// checked against the form chokepoint writes before the crate reads it; a corrupt one is
/// refused, and a shard holding one is corrupt.
#[test]
fn issue_16_fuzz_partial_bin_with_a_corrupt_sketch_is_refused() {
    use chokepoint_core::sketch::Cell;
    let gamma = 1.01 / 0.99;
    let mut real = Cell::default();
    for v in [0.5, 2.0, 40.0] {
        real.add(v);
    }
    let read = |b: &[u8]| std::panic::catch_unwind(|| Cell::from_java_bytes(b).is_some());
    assert_eq!(read(&real.to_java_bytes(42.5)).ok(), Some(true));
    assert_eq!(
        read(&sketch(2.0, 1.0, 2.0, gamma, &[(0, 1.0), (30, 1.0)])).ok(),
        Some(true)
    );
    for (what, bytes) in [
        (
            "key sum overflows",
            sketch(2.0, 1.0, 2.0, gamma, &[(i64::MAX, 1.0), (i64::MAX, 1.0)]),
        ),
        (
            "keys span i32",
            sketch(
                2.0,
                1.0,
                2.0,
                gamma,
                &[(-(1 << 31), 1.0), ((1 << 32) - 1, 1.0)],
            ),
        ),
        (
            "counts overflow",
            sketch(2.0, 1.0, 2.0, gamma, &[(0, 1e30), (1, 1e30)]),
        ),
        ("gamma of 1", sketch(1.0, 1.0, 1.0, 1.0, &[(0, 1.0)])),
        ("min above max", sketch(1.0, 2.0, 1.0, gamma, &[(0, 1.0)])),
    ] {
        assert_eq!(read(&bytes).ok(), Some(false), "{what}");
    }
    let got = std::panic::catch_unwind(|| {
        Accumulator::decode(&fixed_partial("sketch-min-above-max-band-panics")).err()
    });
    assert_eq!(got.ok(), Some(Some(DecodeError::Sketch)));
}

/// The `manifest` target: a shard manifest's `shard` deserialised without the check of
/// `Shard::new`, so `{"index": 5, "count": 2}` or a count of 0 reached `merge`, which indexed
/// its list of shards with it. Reading a shard now checks it, and says why it is refused.
#[test]
fn issue_16_fuzz_manifest_shard_must_exist() {
    let text = String::from_utf8(fixed("manifest", "shard-index-not-below-count")).unwrap();
    let read = |t: &str| serde_json::from_str::<Shard>(t).map_err(|e| e.to_string());
    let err = read(&text).unwrap_err();
    assert!(err.contains("shard 5 does not exist in 2 shards"), "{err}");
    let err = read(r#"{"index": 0, "count": 0}"#).unwrap_err();
    assert!(err.contains("a run cannot be split into 0 shards"), "{err}");
    assert_eq!(
        read(r#"{"index": 1, "count": 2}"#),
        Ok(Shard { index: 1, count: 2 })
    );
    assert_eq!(
        serde_json::to_string(&Shard { index: 1, count: 2 }).unwrap(),
        r#"{"index":1,"count":2}"#
    );
}

/// The `shard` target, merging a decoded shard with itself as `merge` merges shards: stockout
/// counts and sketch bin counts (`u32`) and path counts (`u64`) overflowed their sums (a panic
/// in debug builds, and wrong bands and stockout shares in release builds). Every count is a
/// number of paths: a shard that counts more than the paths it ran is now refused when read,
/// and a merge whose paths would exceed what a `u32` count holds is refused.
#[test]
fn issue_16_fuzz_merging_shards_that_count_more_than_they_ran_is_refused() {
    for (name, want) in [
        ("merge-stockout-count-overflows", DecodeError::Counts(0)),
        ("merge-bin-count-overflows", DecodeError::Counts(0)),
        ("merge-path-count-overflows", DecodeError::TooManyPaths),
    ] {
        let got = std::panic::catch_unwind(|| {
            let acc = Accumulator::decode(&fixed_partial(name))?;
            acc.clone().merge(&acc)
        });
        let got = got.map(|r| r.map_err(|e| std::mem::discriminant(&e)));
        assert_eq!(got.ok(), Some(Err(std::mem::discriminant(&want))), "{name}");
    }
}
