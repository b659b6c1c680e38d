//! Issue 16, validation: hostile scenarios, bases and ARIO inputs end in one clear error (or a
//! warning, where the run still means something) at the offending key, with exit code 2 and
//! nothing else on stderr; `validate` and `run` say the same.

use super::{chokepoint, crate_dir, temp_dir};
use std::fs;
use std::path::Path;

/// The tiny fixture's text.
fn tiny() -> String {
    fs::read_to_string(crate_dir().join("tests/fixtures/tiny.toml")).unwrap()
}

/// The tiny fixture's text with `from` replaced by `to` (which must occur once).
fn tiny_with(from: &str, to: &str) -> String {
    let text = tiny();
    assert_eq!(text.matches(from).count(), 1, "`{from}` once in tiny.toml");
    text.replace(from, to)
}

/// `validate` and `run` of `file` in `dir` both exit 2, print nothing on stdout and exactly
/// `stderr`, and `run` writes nothing.
fn refused(dir: &Path, file: &str, stderr: &str) {
    for args in [vec!["validate", file], vec!["run", file, "--out", "out"]] {
        let (code, out, err) = chokepoint(dir, &args);
        assert_eq!((code, out.as_str()), (2, ""), "{args:?}:\n{err}");
        assert_eq!(err, stderr, "{args:?}");
    }
    assert!(
        !dir.join("out").exists(),
        "nothing is written for bad input"
    );
}

#[test]
fn issue_16_validate_refuses_a_product_nobody_makes() {
    let dir = temp_dir("i16-no-maker", &[]);
    // No facility makes dy-oxide (the lines stay where they were), which both magnet makers need.
    let text = tiny_with(
        "[[facility]]\nregion = \"CHN\"\nproduct = \"dy-oxide\"\ncapacity = 10\n",
        "\n\n\n\n",
    );
    fs::write(dir.join("s.toml"), text).unwrap();
    refused(
        &dir,
        "s.toml",
        "error: s.toml:42:12: nothing can supply `dy-oxide` to CHN and JPN: no facility makes it anywhere and no stockpile there holds it
  hint: add a `[[facility]]` that makes `dy-oxide` (and links from it), or remove the demand and recipe inputs that need it
error: s.toml is not a valid scenario (1 problem)
",
    );
}

#[test]
fn issue_16_validate_refuses_an_own_supplier_without_a_facility() {
    let dir = temp_dir("i16-own-supplier", &[]);
    // The USA buys 30% of its magnets from itself, and makes none.
    let text = tiny_with(
        "from = \"JPN\"\nto = \"USA\"",
        "from = \"USA\"\nto = \"USA\"",
    );
    fs::write(dir.join("s.toml"), text).unwrap();
    refused(
        &dir,
        "s.toml",
        "error: s.toml:86:8: `USA` is its own supplier of `ndfeb-magnet` but has no facility for it
  hint: a region ships only what its own facility makes: add a `[[facility]]` with `region = \"USA\"` and `product = \"ndfeb-magnet\"`, or take this link out (and give its share to the other links)
error: s.toml is not a valid scenario (1 problem)
",
    );
}

#[test]
fn issue_16_validate_refuses_a_recipe_cycle() {
    let dir = temp_dir("i16-cycle", &[]);
    let text = format!(
        "{}\n[[recipe]]\noutput = \"dy-oxide\"\ninputs = {{ ndfeb-magnet = 0.01 }}\n",
        tiny()
    );
    fs::write(dir.join("s.toml"), text).unwrap();
    refused(
        &dir,
        "s.toml",
        "error: s.toml:42:12: recipe cycle: `ndfeb-magnet` needs `dy-oxide`, which needs `ndfeb-magnet`
  hint: a product cannot need itself through its inputs: the baseline is worked out from each product down to its inputs, and a cycle has no bottom; take one of these inputs out
error: s.toml is not a valid scenario (1 problem)
",
    );
}

#[test]
fn issue_16_validate_refuses_infinite_and_huge_quantities() {
    let dir = temp_dir("i16-huge", &[]);
    let text = tiny_with("quantity = 12\n", "quantity = 1e308\n").replace(
        "quantity = 30\n",
        "quantity = { value = inf, unit = \"t product/yr\" }\n",
    );
    fs::write(dir.join("s.toml"), text).unwrap();
    let why = "numbers are limited to 1e12 in magnitude, so that sums over links, days and Monte Carlo paths stay finite and exact";
    refused(
        &dir,
        "s.toml",
        &format!(
            "error: s.toml:96:22: `quantity` must be a finite number, found inf
  hint: {why}
error: s.toml:102:12: `quantity` = 1e308 is too large: the largest accepted magnitude is 1e12
  hint: {why}; is the unit right?
error: s.toml is not a valid scenario (2 problems)
"
        ),
    );
}

#[test]
fn issue_16_validate_says_why_transit_days_are_too_large() {
    let dir = temp_dir("i16-transit", &[]);
    let text = tiny_with("transit-days = 10\n", "transit-days = 99999999999\n");
    fs::write(dir.join("s.toml"), text).unwrap();
    refused(
        &dir,
        "s.toml",
        "error: s.toml:70:16: `transit-days` = 99999999999 is too large: the largest accepted value is 36500
  hint: a shipment cannot take longer than the longest run (36500 days, 100 years): it would never arrive, and the in-transit pipeline keeps one slot per day of the longest transit on every link
error: s.toml is not a valid scenario (1 problem)
",
    );
}

/// A scenario on the base `data/world.toml` whose event names a region of that base.
const ON_A_BASE: &str = "[scenario]
name = \"on a base\"
base = \"data/world.toml\"
start = 2025-01-01
days = 30

[[event]]
date = 2025-01-10
kind = \"export-ban\"
exporter = \"CHN\"
";

#[test]
fn issue_16_an_unreadable_base_is_one_error_at_base() {
    let dir = temp_dir("i16-base", &[]);
    fs::write(dir.join("s.toml"), ON_A_BASE).unwrap();
    let expect = |problem: &str, hint: &str| {
        format!(
            "error: s.toml:3:8: {problem}\n  hint: {hint}\nerror: s.toml is not a valid scenario (1 problem)\n"
        )
    };
    // Missing.
    refused(
        &dir,
        "s.toml",
        &expect(
            "base dataset `data/world.toml` does not exist",
            "a relative `base` is read from the scenario file's folder; give a dataset .toml file or a folder of them, `builtin:NAME` or `none`",
        ),
    );
    // A folder without .toml files.
    fs::create_dir_all(dir.join("data/world.toml")).unwrap();
    fs::write(dir.join("data/world.toml/notes.txt"), "not a dataset").unwrap();
    refused(
        &dir,
        "s.toml",
        &expect(
            "base dataset `data/world.toml` is a folder without .toml files",
            "a dataset folder holds .toml files, read in name order",
        ),
    );
    // Not UTF-8 (Latin-1 `é` in a region name).
    fs::remove_dir_all(dir.join("data/world.toml")).unwrap();
    fs::write(
        dir.join("data/world.toml"),
        b"[[region]]\nid = \"CHN\"\nname = \"Chine \xe9\"\n",
    )
    .unwrap();
    refused(
        &dir,
        "s.toml",
        &expect(
            "base dataset file `data/world.toml` is not UTF-8 at byte 36 (line 3, column 15: 0xe9)",
            "a dataset is TOML text in UTF-8; save it as UTF-8, or check the path",
        ),
    );
}

#[test]
fn issue_16_data_commands_say_where_a_dataset_is_not_utf8() {
    let dir = temp_dir("i16-data-utf8", &[]);
    fs::create_dir_all(dir.join("ds")).unwrap();
    fs::write(dir.join("ds/a.toml"), b"[[region]]\nid = \"CH\xffN\"\n").unwrap();
    let (code, out, err) = chokepoint(&dir, &["data", "check", "--data", "ds"]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert_eq!(
        err,
        "error: cannot read dataset `ds`: `ds/a.toml` is not UTF-8 at byte 19 (line 2, column 9: 0xff)
  hint: give a dataset .toml file or a folder of .toml files
"
    );
}

#[test]
fn issue_16_a_binary_scenario_file_says_where_its_text_stops() {
    let dir = temp_dir("i16-binary", &[]);
    let mut bytes = b"[scenario]\nname = \"x".to_vec();
    bytes.extend([0xff, 0xfe, 0x00, 0x01, 0x9c]);
    fs::write(dir.join("garbage.toml"), &bytes).unwrap();
    refused(
        &dir,
        "garbage.toml",
        "error: garbage.toml:2:10: the file is not UTF-8 text: byte 0xff at offset 20 is not part of a UTF-8 character
  hint: a scenario is a TOML text file in UTF-8; is this the right file?
error: garbage.toml is not a valid scenario (1 problem)
",
    );
    // Binary that happens to be UTF-8 gets the TOML parser's position.
    fs::write(dir.join("ctl.toml"), "\u{1}\u{2}\u{3}\n[scenario]\n").unwrap();
    refused(
        &dir,
        "ctl.toml",
        "error: ctl.toml:1:1: TOML syntax error: invalid unquoted key, expected letters, numbers, `-`, `_`
error: ctl.toml is not a valid scenario (1 problem)
",
    );
}

#[test]
fn issue_16_invalid_toml_and_dates_have_no_knock_on_errors() {
    let dir = temp_dir("i16-syntax", &[]);
    fs::write(
        dir.join("feb30.toml"),
        tiny_with("start = 2025-01-01", "start = 2025-02-30"),
    )
    .unwrap();
    refused(
        &dir,
        "feb30.toml",
        "error: feb30.toml:8:9: TOML syntax error: invalid date, expected day between 01 and 28
error: feb30.toml is not a valid scenario (1 problem)
",
    );
    fs::write(
        dir.join("eq.toml"),
        tiny_with("name = \"China\"", "name = = \"China\""),
    )
    .unwrap();
    refused(
        &dir,
        "eq.toml",
        "error: eq.toml:14:8: TOML syntax error: extra `=`, expected nothing
error: eq.toml is not a valid scenario (1 problem)
",
    );
}

#[test]
fn issue_16_a_run_past_9999_12_31_is_refused() {
    let dir = temp_dir("i16-9999", &[]);
    fs::write(
        dir.join("s.toml"),
        tiny_with("start = 2025-01-01", "start = 9999-12-01"),
    )
    .unwrap();
    refused(
        &dir,
        "s.toml",
        "error: s.toml:8:9: a run of 60 days from 9999-12-01 ends after 9999-12-31, the last date outputs can write
  hint: start on or before 9999-11-02 for 60 days, or run fewer days (dates end at 9999-12-31)
error: s.toml is not a valid scenario (1 problem)
",
    );
}

#[test]
fn issue_16_warnings_are_printed_by_validate_and_run_without_failing() {
    let dir = temp_dir("i16-warning", &[]);
    // Dysprosium metal for US defence comes only from a stockpile: a study of it running down.
    let text = format!(
        "{}\n[[product]]\nid = \"dy-metal\"\nunit = \"t metal\"\nstage = \"metal\"\nprice = 300\n\n\
         [[demand]]\nregion = \"USA\"\nproduct = \"dy-metal\"\nend-use = \"defence\"\nquantity = 0.1\n\n\
         [[stockpile]]\nregion = \"USA\"\nproduct = \"dy-metal\"\nquantity = 30\n",
        tiny()
    );
    fs::write(dir.join("s.toml"), text).unwrap();
    let warning = "warning: s.toml:129:11: no facility makes `dy-metal` anywhere: only stockpiles can serve what USA needs
  hint: the need is met only while stockpile releases last; add a `[[facility]]` for `dy-metal` if it is made somewhere
";
    let (code, out, err) = chokepoint(&dir, &["validate", "s.toml"]);
    assert_eq!((code, err.as_str()), (0, warning), "{out}");
    assert_eq!(
        out,
        "ok: tiny licensing: 3 regions, 3 products, 1 events, 60 days from 2025-01-01\n"
    );
    let (code, out, err) = chokepoint(&dir, &["run", "s.toml", "--out", "out", "-q"]);
    assert_eq!((code, err.as_str()), (0, warning), "{out}");
    assert_eq!(out, "output: out\n");
    assert!(dir.join("out/manifest.json").exists());
}

// ---- chokepoint ario: events and MRIO tables -------------------------------------------------

/// `ario` on the MRIO folder `mrio` with `args`: exit code and stderr.
fn ario_on(dir: &Path, mrio: &str, args: &[&str]) -> (i32, String) {
    let mut all = vec!["ario", "--mriot", mrio, "--steps", "20"];
    all.extend(args);
    let (code, _, err) = chokepoint(dir, &all);
    (code, err)
}

/// `ario` on the 13 × 6 fixture MRIO with `args`: exit code and stderr.
fn ario(dir: &Path, args: &[&str]) -> (i32, String) {
    let mrio = crate_dir().join("tests/fixtures/mrio-13x6");
    ario_on(dir, mrio.to_str().unwrap(), args)
}

#[test]
fn issue_16_ario_json_events_reject_unknown_keys_and_place_missing_ones() {
    let dir = temp_dir("i16-ario-json", &[]);
    let accepted = "event_type, regions, sectors, impact, impact_unit, occurrence, duration, recovery_tau, recovery_function, event_rebuild_tau, rebuilding_sectors";
    fs::write(
        dir.join("typo.json"),
        "[\n  {\"event_type\": \"arbitrary\", \"regions\": [\"US\"], \"sectors\": [\"Other\"],\n   \"impact\": 0.3, \"durration\": 5}\n]\n",
    )
    .unwrap();
    assert_eq!(
        ario(&dir, &["--events-json", "typo.json"]),
        (
            2,
            format!(
                "error: typo.json:3:19: unknown key `durration` in event 0 (arbitrary); hint: did you mean `duration`? accepted: {accepted}\n"
            )
        )
    );
    // A misspelled required key is unknown (with the right one suggested); one left out is
    // reported at the object that lacks it.
    fs::write(
        dir.join("region.json"),
        "[{\"regions\": [\"US\"], \"sectors\": [\"Other\"]},\n {\"region\": [\"US\"], \"sectors\": [\"Other\"]}]\n",
    )
    .unwrap();
    assert_eq!(
        ario(&dir, &["--events-json", "region.json"]),
        (
            2,
            format!(
                "error: region.json:2:3: unknown key `region` in event 1 (arbitrary); hint: did you mean `regions`? accepted: {accepted}\n"
            )
        )
    );
    fs::write(
        dir.join("missing.json"),
        "[{\"regions\": [\"US\"], \"sectors\": [\"Other\"]},\n {\"event_type\": \"recovery\", \"regions\": [\"US\"]}]\n",
    )
    .unwrap();
    assert_eq!(
        ario(&dir, &["--events-json", "missing.json"]),
        (
            2,
            "error: missing.json:2:2: event 1 (recovery) lacks `sectors`, a list of sector names\n"
                .into()
        )
    );
}

#[test]
fn issue_16_ario_toml_events_reject_unknown_keys_and_place_missing_ones() {
    let dir = temp_dir("i16-ario-toml", &[]);
    let event = "[[event]]\nkind = \"arbitrary\"\nregions = [\"US\"]\nsectors = [\"Other\"]\nimpact = 0.3\n";
    fs::write(
        dir.join("typo.toml"),
        format!("{event}\n{}durration = 5\n", event),
    )
    .unwrap();
    assert_eq!(
        ario(&dir, &["--events", "typo.toml"]),
        (
            2,
            "error: typo.toml:12:1: unknown key `durration` in event 1 (arbitrary); hint: did you mean `duration`? accepted: kind, regions, sectors, impact, occurrence, duration, recovery-tau, recovery-function\n"
                .into()
        )
    );
    fs::write(
        dir.join("missing.toml"),
        format!("{event}\n{}", event.replace("regions = [\"US\"]\n", "")),
    )
    .unwrap();
    assert_eq!(
        ario(&dir, &["--events", "missing.toml"]),
        (
            2,
            "error: missing.toml:7:1: event 1 (arbitrary) lacks `regions`, a list of region names\n"
                .into()
        )
    );
}

#[test]
fn issue_16_ario_csv_errors_name_the_right_line() {
    let dir = temp_dir("i16-ario-csv", &[]);
    let fixture = crate_dir().join("tests/fixtures/mrio-13x6");
    fs::create_dir_all(dir.join("crlf")).unwrap();
    for name in ["Y.csv", "x.csv"] {
        fs::copy(fixture.join(name), dir.join("crlf").join(name)).unwrap();
    }
    // Z.csv with Windows line ends and a word where line 6's first value should be.
    let z = fs::read_to_string(fixture.join("Z.csv")).unwrap();
    let mut lines: Vec<String> = z.lines().map(String::from).collect();
    let sector =
        "\"Manufacture of medical, precision and optical instruments, watches and clocks (33)\",";
    let (head, rest) = lines[5].split_once(sector).unwrap();
    let rest = rest.split_once(',').unwrap().1;
    lines[5] = format!("{head}{sector}abc,{rest}");
    fs::write(dir.join("crlf/Z.csv"), lines.join("\r\n") + "\r\n").unwrap();
    let (code, err) = ario_on(&dir, "crlf", &[]);
    let label =
        "AU|Manufacture of medical, precision and optical instruments, watches and clocks (33)";
    assert_eq!(
        (code, err),
        (
            2,
            format!(
                "error: crlf/Z.csv:6: Z[{label}, AU|Manufacture of electrical machinery and apparatus n.e.c. (31)] = `abc` is not a number\n"
            )
        )
    );
}
