//! Issue 18: `chokepoint compare --strategies` (strategies compared on common random numbers)
//! writes `strategies.csv` and a manifest, prints a headline per focus, gives the same bytes on
//! any thread count, refuses what it cannot compare with exit 2, and the shipped strategy
//! variants of april-2025 are april-2025 with their levers.

use super::{chokepoint, crate_dir, temp_dir};
use std::fs;
use std::path::Path;

const FIXTURES: [&str; 2] = ["end-use-mc.toml", "end-use-mc-stockpile.toml"];

fn compare(dir: &Path, out: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "compare",
        "--strategies",
        "end-use-mc.toml",
        "end-use-mc-stockpile.toml",
        "--paths",
        "16",
        "--out",
        out,
    ];
    args.extend(extra);
    let (code, stdout, err) = chokepoint(dir, &args);
    assert_eq!(code, 0, "{args:?}: {err}");
    stdout
}

/// The `strategies.csv` row of (focus, strategy, measure, end use) as its fields.
fn row(text: &str, key: [&str; 4]) -> Vec<String> {
    text.lines()
        .map(|l| l.split(',').map(String::from).collect::<Vec<_>>())
        .find(|f| f[..4] == key)
        .unwrap_or_else(|| panic!("no row {key:?} in\n{text}"))
}

#[test]
fn issue_18_compare_strategies_writes_the_table_and_a_headline() {
    let dir = temp_dir("issue18-strategies", &FIXTURES);
    let out = compare(&dir, "s", &["--region", "USA", "--region", "JPN"]);
    assert!(
        out.starts_with(
            "end-use-mc-stockpile against end-use-mc: 16 paths of seed 3 on common random numbers\n  USA:\n"
        ),
        "{out}"
    );
    assert!(out.contains("  JPN:\n"), "{out}");
    assert!(out.contains("end-use-mc-stockpile"), "{out}");
    assert!(out.ends_with("output: s\n"), "{out}");
    let text = fs::read_to_string(dir.join("s/strategies.csv")).unwrap();
    assert_eq!(
        text.lines().next(),
        Some("focus,strategy,measure,end_use,unit,mean,p95,mean_diff,p5_diff,p95_diff,paths")
    );
    // The reference has no difference columns; the stockpile costs its value at the price
    // (20,000 motors at 1,000 USD/kg and 1,000 kg/t) and avoids US EV shortfall.
    let reference = row(&text, ["USA", "end-use-mc", "shortfall", "ev"]);
    assert_eq!(reference[7..10], ["", "", ""], "{reference:?}");
    let opening = row(
        &text,
        [
            "USA",
            "end-use-mc-stockpile",
            "spending:stockpile-opening",
            "",
        ],
    );
    assert_eq!(opening[5], "20000000000", "{opening:?}");
    let short = row(&text, ["USA", "end-use-mc-stockpile", "shortfall", "ev"]);
    let diff: f64 = short[7].parse().unwrap();
    assert!(diff < 0.0, "{short:?}");
    let per = row(
        &text,
        ["USA", "end-use-mc-stockpile", "usd-per-unit-avoided", "*"],
    );
    assert!(per[5].parse::<f64>().unwrap() > 0.0, "{per:?}");
    // Japan holds no stockpile: its spending is 0 in both, and its stoppages are the same.
    let japan = row(&text, ["JPN", "end-use-mc-stockpile", "spending:total", ""]);
    assert_eq!(japan[5], "0", "{japan:?}");
    let manifest = fs::read_to_string(dir.join("s/manifest.json")).unwrap();
    assert!(manifest.contains("\"kind\": \"strategies\""), "{manifest}");
    assert!(
        manifest.contains("scenario (end-use-mc-stockpile)"),
        "{manifest}"
    );
    // --table prints the CSV itself.
    let table = compare(
        &dir,
        "t",
        &["--region", "USA", "--region", "JPN", "--table"],
    );
    assert_eq!(table, format!("{text}output: t\n"));
}

#[test]
fn issue_18_strategies_csv_does_not_depend_on_threads() {
    let dir = temp_dir("issue18-strategies-threads", &FIXTURES);
    compare(&dir, "one", &["--threads", "1", "-q"]);
    compare(&dir, "two", &["--threads", "2", "-q"]);
    let read = |d: &str| fs::read(dir.join(d).join("strategies.csv")).unwrap();
    assert_eq!(read("one"), read("two"));
}

#[test]
fn issue_18_what_compare_cannot_compare_exits_2() {
    let dir = temp_dir("issue18-strategies-bad", &FIXTURES);
    let three = [
        "compare",
        FIXTURES[0],
        FIXTURES[1],
        FIXTURES[1],
        "--paths",
        "2",
    ];
    let (code, _, err) = chokepoint(&dir, &three);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("error: `compare` takes two scenarios, 3 given"),
        "{err}"
    );
    assert!(err.contains("hint: give --strategies"), "{err}");
    let args = [
        "compare",
        "--strategies",
        FIXTURES[0],
        FIXTURES[1],
        "--paths",
        "2",
        "--region",
        "KOR",
    ];
    let (code, _, err) = chokepoint(&dir, &args);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("region `KOR` of focus `KOR` is not a region of strategy `end-use-mc`"),
        "{err}"
    );
    assert!(!err.trim_end().ends_with('.'), "{err}");
    let (code, _, err) = chokepoint(
        &dir,
        &["compare", FIXTURES[0], FIXTURES[1], "--region", "USA"],
    );
    assert_eq!(code, 2, "--region without --strategies: {err}");
}

/// What tools/gen_strategies.sh writes for `name`.
fn generated(name: &str) -> String {
    let root = crate_dir().join("../..");
    let read = |p: &str| fs::read_to_string(root.join(p)).unwrap();
    let april = read("scenarios/april-2025.toml").replace(
        "\nname = \"April 2025 export licensing\"\n",
        &format!("\nname = \"April 2025 export licensing, strategy: {name}\"\n"),
    );
    let mut head =
        "# Generated by tools/gen_strategies.sh: april-2025 + levers/costs.toml".to_string();
    let mut levers = String::new();
    if name != "none" {
        head.push_str(&format!(" + levers/{name}.toml"));
        levers = read(&format!("scenarios/strategies/levers/{name}.toml"));
    }
    head.push_str(". Do not edit.\n");
    format!(
        "{head}{april}{}{levers}",
        read("scenarios/strategies/levers/costs.toml")
    )
}

#[test]
fn issue_18_strategy_variants_are_april_2025_with_their_levers() {
    let dir = crate_dir().join("../../scenarios/strategies");
    for name in [
        "none",
        "stockpile",
        "offtake-buildout",
        "allied",
        "korea-middle-path",
        "thrift-recycle",
        "diplomacy",
    ] {
        let file = dir.join(format!("{name}.toml"));
        let text = fs::read_to_string(&file).unwrap();
        assert!(
            text == generated(name),
            "{name}.toml is not april-2025 with its levers: run tools/gen_strategies.sh"
        );
        let (code, out, err) = chokepoint(&dir, &["validate", file.to_str().unwrap()]);
        assert_eq!(code, 0, "{name}: {err}");
        assert!(
            out.starts_with("ok: April 2025 export licensing, strategy: "),
            "{out}"
        );
    }
}
