//! Issue 16, arguments and limits: absurd `--paths`, `--threads`, `--shard`, `--steps` and
//! horizons end at once in a clear error (exit 2) that says what the run would need, and
//! `emit` writes job scripts in which every user value stays one word.
//!
//! Commands that used to run for minutes (or fill the disk) are run with a deadline, so that
//! on the code before the fix they fail instead of hanging the suite.

use super::{chokepoint, crate_dir, temp_dir};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs the binary in `cwd` like `chokepoint`, but kills it after `limit`: returns `None` when
/// it had not finished by then. Its output goes to files, so that a long run cannot block on
/// a full pipe.
fn chokepoint_within(cwd: &Path, args: &[&str], limit: Duration) -> Option<(i32, String, String)> {
    let (out_path, err_path) = (cwd.join(".stdout"), cwd.join(".stderr"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_chokepoint"))
        .args(args)
        .current_dir(cwd)
        .env_remove("RUST_BACKTRACE")
        .stdout(fs::File::create(&out_path).unwrap())
        .stderr(fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("the chokepoint binary runs");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read = |p: &Path| fs::read_to_string(p).unwrap_or_default();
    let (out, err) = (read(&out_path), read(&err_path));
    let _ = fs::remove_file(out_path);
    let _ = fs::remove_file(err_path);
    // A signal (an abort on allocation) counts as exit code -1.
    status.map(|s| (s.code().unwrap_or(-1), out, err))
}

/// Requires a refusal: exit 2 within `limit`, an `error:` and a `hint:`, nothing written.
fn refused(dir: &Path, args: &[&str], limit: Duration) -> String {
    let Some((code, out, err)) = chokepoint_within(dir, args, limit) else {
        panic!("{args:?} was still running after {limit:?} instead of being refused");
    };
    assert_eq!(code, 2, "{args:?}\nstdout:\n{out}\nstderr:\n{err}");
    assert!(err.starts_with("error: "), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert_eq!(out, "", "{args:?}");
    assert!(!dir.join("runs").exists(), "{args:?} wrote runs/");
    err
}

const QUICK: Duration = Duration::from_secs(20);

/// The number before `unit` after `label` in a refusal (`time: about 3.2 h` → 3.2).
fn figure(err: &str, label: &str) -> (f64, String) {
    let line = err
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no `{label}` line in:\n{err}"));
    let mut words = line.split("about ").nth(1).unwrap().split_whitespace();
    let v: f64 = words.next().unwrap().parse().unwrap();
    let unit = words
        .next()
        .unwrap()
        .trim_end_matches([',', ')'])
        .to_string();
    (v, unit)
}

fn in_bytes(v: f64, unit: &str) -> f64 {
    let scale = match unit {
        "bytes" => 1.0,
        "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        "PB" => 1e15,
        "EB" => 1e18,
        other => panic!("unit {other}"),
    };
    v * scale
}

#[test]
fn issue_16_paths_0_is_a_usage_error() {
    let dir = temp_dir("i16-paths-0", &["tiny-mc.toml"]);
    let err = refused(&dir, &["run", "tiny-mc.toml", "--paths", "0"], QUICK);
    assert!(err.contains("at least 1 path"), "{err}");
    let err = refused(
        &dir,
        &["compare", "tiny-mc.toml", "tiny-mc.toml", "--paths", "0"],
        QUICK,
    );
    assert!(err.contains("at least 1 path"), "{err}");
    let err = refused(
        &dir,
        &["run", "tiny-mc.toml", "--paths", "4", "--threads", "0"],
        QUICK,
    );
    assert!(err.contains("at least 1 thread"), "{err}");
}

/// `--threads 5000` on a 2-core machine turned a 0.2-second run into one of more than a minute
/// (2,000 workers waiting for each other at every flush): threads beyond 8 a core are refused.
#[test]
fn issue_16_threads_far_above_the_cores_are_refused() {
    let dir = temp_dir("i16-threads", &["tiny-mc.toml"]);
    let args = [
        "run",
        "tiny-mc.toml",
        "--paths",
        "2000",
        "--threads",
        "5000",
        "-q",
    ];
    let err = refused(&dir, &args, QUICK);
    assert!(err.contains("--threads 5000 is more than"), "{err}");
    assert!(
        err.contains("hint: results do not depend on the thread count"),
        "{err}"
    );
    let args = [
        "compare",
        "tiny-mc.toml",
        "tiny-mc.toml",
        "--paths",
        "20",
        "--threads",
        "5000",
    ];
    refused(&dir, &args, QUICK);
}

/// `--paths 18446744073709551615` panicked with a capacity overflow; now it is refused at once
/// with what it would need: memory, time, output, and the 32-bit path counters.
#[test]
fn issue_16_paths_u64_max_is_refused_before_any_work() {
    let dir = temp_dir("i16-paths-max", &["tiny-mc.toml"]);
    for args in [
        vec!["run", "tiny-mc.toml", "--paths", "18446744073709551615"],
        vec![
            "run",
            "tiny-mc.toml",
            "--paths",
            "18446744073709551615",
            "--shard",
            "3/8",
        ],
        vec![
            "compare",
            "tiny-mc.toml",
            "tiny-mc.toml",
            "--paths",
            "18446744073709551615",
        ],
    ] {
        let err = refused(&dir, &args, QUICK);
        for what in ["memory: about", "time: about", "hint: "] {
            assert!(err.contains(what), "{args:?}: no `{what}` in\n{err}");
        }
        // `compare` prints a table, it writes no files.
        assert_eq!(err.contains("output: about"), args[0] == "run", "{err}");
        assert!(err.contains("at most 4294967295"), "{err}");
    }
}

/// `--paths 4294967296` aborted on a 34 GB allocation, and a run of a hundred million paths of
/// the default scenario would have run for days before running out of memory: both are refused
/// at once, saying how much memory they would need against what the machine has.
#[test]
fn issue_16_paths_beyond_memory_are_refused_with_the_memory_they_need() {
    let dir = temp_dir("i16-paths-memory", &[]);
    let err = refused(&dir, &["run", "--paths", "4294967296"], QUICK);
    assert!(err.contains("at most 4294967295"), "{err}");
    let err = refused(&dir, &["run", "--paths", "100000000"], QUICK);
    let (v, unit) = figure(&err, "memory:");
    // A per-path row of the default scenario is a few kB: hundreds of GB for 1e8 paths.
    assert!(in_bytes(v, &unit) > 1e11, "{err}");
    assert!(err.contains("available"), "{err}");
    assert!(
        err.contains("fewer paths") || err.contains("shards"),
        "{err}"
    );
}

/// The default scenario over `days` days, written to `NAME.toml` in `dir`.
fn april_over(dir: &Path, name: &str, days: u32) -> String {
    let text = fs::read_to_string(crate_dir().join("../../scenarios/april-2025.toml")).unwrap();
    assert!(text.contains("\ndays = 365\n"));
    let file = format!("{name}.toml");
    fs::write(
        dir.join(&file),
        text.replace("\ndays = 365\n", &format!("\ndays = {days}\n")),
    )
    .unwrap();
    file
}

/// A run whose rows fit in memory but whose time is over a day is refused unless allowed,
/// and the hint names the shards that fit the job `emit slurm` writes; its `paths.csv` alone
/// would be over the output limit too.
#[test]
fn issue_16_long_monte_carlo_runs_suggest_shards() {
    let dir = temp_dir("i16-long-mc", &[]);
    let decade = april_over(&dir, "decade", 3650);
    let args = [
        "run",
        decade.as_str(),
        "--paths",
        "1000000",
        "--threads",
        "1",
    ];
    let err = refused(&dir, &args, QUICK);
    assert!(err.contains("more than the 24 hours allowed"), "{err}");
    assert!(
        err.contains("more than the 2 GB allowed without --allow-large-output"),
        "{err}"
    );
    assert!(err.contains("paths.csv"), "{err}");
    assert!(
        err.contains("chokepoint emit slurm --paths 1000000 --shards"),
        "{err}"
    );
    assert!(
        err.contains("then merge the shard folders with `chokepoint merge`"),
        "{err}"
    );
    let mut allowed = args.to_vec();
    allowed.push("--allow-large-output");
    let err = refused(&dir, &allowed, QUICK);
    assert!(!err.contains("more than the 2 GB"), "{err}");
    assert!(err.contains("more than the 24 hours allowed"), "{err}");
}

/// A shard index below 0 was taken for an unknown flag (`unexpected argument '-1'`); every
/// wrong shard now says what is wrong with it, in both spellings.
#[test]
fn issue_16_shard_spec_errors_say_what_is_wrong() {
    let dir = temp_dir("i16-shard", &["tiny-mc.toml"]);
    let run = |shard: &[&str]| {
        let mut args = vec!["run", "tiny-mc.toml", "--paths", "8"];
        args.extend(shard);
        refused(&dir, &args, QUICK)
    };
    for form in [&["--shard", "-1/4"][..], &["--shard=-1/4"][..]] {
        let err = run(form);
        assert!(!err.contains("unexpected argument"), "{err}");
        assert!(err.contains("`-1/4` is not a shard"), "{err}");
        assert!(err.contains("I is -1, it must be in 0..4"), "{err}");
    }
    let err = run(&["--shard", "4/4"]);
    assert!(err.contains("I is 4, it must be in 0..4"), "{err}");
    let err = run(&["--shard", "0/0"]);
    assert!(err.contains("N is 0, it must be at least 1"), "{err}");
    let err = run(&["--shard", "3"]);
    assert!(err.contains("no `/`"), "{err}");
    let err = run(&["--shard", "a/b"]);
    assert!(err.contains("whole numbers"), "{err}");
    // More shards than paths: the last ones would be empty.
    let err = run(&["--shard", "0/9"]);
    assert!(
        err.contains("9 shards are more than the run's 8 paths"),
        "{err}"
    );
    assert!(
        err.contains("hint: use at most 8 shards, or more paths"),
        "{err}"
    );
}

/// `ario --steps 18446744073709551615` ran for more than ten minutes without a word; now it
/// is refused at once with its time estimate and how many steps would fit.
#[test]
fn issue_16_ario_steps_beyond_a_day_are_refused() {
    let dir = temp_dir("i16-ario-steps", &[]);
    let mrio = crate_dir().join("tests/fixtures/mrio-13x6");
    let mrio = mrio.to_str().unwrap();
    let err = refused(
        &dir,
        &["ario", "--mriot", mrio, "--steps", "18446744073709551615"],
        QUICK,
    );
    assert!(err.contains("time: about"), "{err}");
    assert!(err.contains("allowed without --allow-long-run"), "{err}");
    assert!(err.contains("use fewer --steps (about "), "{err}");
}

/// Ten million steps with `--out` would write hundreds of GB of `ario.csv`: refused unless
/// `--allow-large-output`, with the size and the steps that fit.
#[test]
fn issue_16_ario_output_beyond_the_limit_is_refused() {
    let dir = temp_dir("i16-ario-output", &[]);
    let mrio = crate_dir().join("tests/fixtures/mrio-13x6");
    let mrio = mrio.to_str().unwrap();
    let args = ["ario", "--mriot", mrio, "--steps", "10000000", "--out", "o"];
    let err = refused(&dir, &args, QUICK);
    assert!(!dir.join("o").exists());
    let (v, unit) = figure(&err, "output:");
    assert!(in_bytes(v, &unit) > 1e11, "{err}");
    assert!(
        err.contains("allowed without --allow-large-output"),
        "{err}"
    );
    assert!(err.contains("ario.csv"), "{err}");
    // Without a folder nothing is written: only the time counts, and it fits.
    let (code, _, err) = chokepoint(&dir, &["ario", "--mriot", mrio, "--steps", "2000"]);
    assert_eq!(code, 0, "{err}");
}

/// The default scenario over 100 years (`days = 36500`) wrote 7.3 GB of `timeseries.csv`
/// without a word: now it is refused before the run, with an estimate that agrees with what
/// a one-year run really writes.
#[test]
fn issue_16_a_horizon_that_writes_gigabytes_is_refused() {
    let dir = temp_dir("i16-days", &[]);
    let century = april_over(&dir, "century", 36500);
    let started = Instant::now();
    let err = refused(&dir, &["run", &century], QUICK);
    assert!(
        err.contains("allowed without --allow-large-output"),
        "{err}"
    );
    assert!(err.contains("timeseries.csv"), "{err}");
    assert!(err.contains("hint: shorten the horizon"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(15));
    let (v, unit) = figure(&err, "output:");
    let estimate = in_bytes(v, &unit);
    // What a one-year run writes, a hundred times.
    let (code, _, err) = chokepoint(&dir, &["run", "builtin:april-2025", "-q", "--out", "one"]);
    assert_eq!(code, 0, "{err}");
    let year = fs::metadata(dir.join("one/timeseries.csv")).unwrap().len() as f64;
    let ratio = estimate / (100.0 * year);
    assert!(
        (0.75..1.25).contains(&ratio),
        "estimate {estimate}, a year {year}"
    );
    fs::remove_dir_all(dir.join("one")).unwrap();
}

// ---- emit ------------------------------------------------------------------------------------

const HOSTILE_OUT: &str =
    "runs/x; touch pwned-1 #$(touch pwned-2) `touch pwned-3` 'q' \"dq\" $HOME *";
const HOSTILE_SCENARIO: &str = "-x; touch pwned-4 & it's $(touch pwned-5).toml";

/// A `chokepoint` on PATH that writes its arguments, one a line, to `argv.txt`.
fn stub_bin(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).unwrap();
    let stub = bin.join("chokepoint");
    fs::write(&stub, "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$STUB_ARGV\"\n").unwrap();
    let mut perm = fs::metadata(&stub).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    fs::set_permissions(&stub, perm).unwrap();
    bin
}

fn path_with(bin: &Path) -> String {
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn emit(dir: &Path, target: &str) -> String {
    let (code, text, err) = chokepoint(
        dir,
        &[
            "emit",
            target,
            "--paths",
            "100",
            "--shards",
            "4",
            "--seed",
            "7",
            &format!("--out={HOSTILE_OUT}"),
            &format!("--scenario={HOSTILE_SCENARIO}"),
        ],
    );
    assert_eq!(code, 0, "{err}");
    text
}

fn no_pwned(dir: &Path) {
    for k in 1..=5 {
        assert!(
            !dir.join(format!("pwned-{k}")).exists(),
            "pwned-{k} was created"
        );
    }
}

/// The arguments a shard task gets: the user's values each one word.
fn expected_argv(index: &str) -> Vec<String> {
    [
        "run",
        "--paths",
        "100",
        "--seed",
        "7",
        "--shard",
        &format!("{index}/4"),
        "--threads",
        "2",
        "--quiet",
        &format!("--out={HOSTILE_OUT}/shard-{index}"),
        "--",
        HOSTILE_SCENARIO,
    ]
    .map(String::from)
    .to_vec()
}

/// `emit slurm` pasted `--out` and `--scenario` into shell lines unquoted, so that `--out
/// '/x; rm -rf ~'` reached the shell as a command. The script now passes `bash -n`, and run
/// with a stub `chokepoint` it hands each hostile value over as one argument, runs nothing
/// it holds, and its merge line (in the header) does the same.
#[test]
fn issue_16_emit_slurm_quotes_every_value_for_the_shell() {
    let dir = temp_dir("i16-emit-slurm", &[]);
    let script = emit(&dir, "slurm");
    fs::write(dir.join("job.sbatch"), &script).unwrap();
    let syntax = Command::new("bash")
        .args(["-n", "job.sbatch"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    let bin = stub_bin(&dir);
    let run = Command::new("bash")
        .arg("job.sbatch")
        .current_dir(&dir)
        .env("PATH", path_with(&bin))
        .env("SLURM_ARRAY_TASK_ID", "3")
        .env("SLURM_CPUS_PER_TASK", "2")
        .env("STUB_ARGV", dir.join("argv.txt"))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let argv = fs::read_to_string(dir.join("argv.txt")).unwrap();
    assert_eq!(
        argv.lines().collect::<Vec<_>>(),
        expected_argv("3"),
        "{script}"
    );
    assert!(
        dir.join(HOSTILE_OUT).is_dir(),
        "the script makes the output folder"
    );
    no_pwned(&dir);
    // The merge command of the header, as a user would paste it.
    let merge = script
        .lines()
        .find_map(|l| l.strip_prefix("#   "))
        .expect("a merge line");
    let pasted = Command::new("bash")
        .args(["-c", merge])
        .current_dir(&dir)
        .env("PATH", path_with(&bin))
        .env("STUB_ARGV", dir.join("merge.txt"))
        .status()
        .unwrap();
    assert!(pasted.success());
    let argv = fs::read_to_string(dir.join("merge.txt")).unwrap();
    let want = [
        "merge".to_string(),
        format!("{HOSTILE_OUT}/shard-*"),
        "--out".into(),
        format!("{HOSTILE_OUT}/merged"),
    ];
    assert_eq!(argv.lines().collect::<Vec<_>>(), want);
    no_pwned(&dir);
}

/// Slurm opens a task's `--output` file before the script runs, so a log folder the script
/// creates does not exist yet and every task failed at once. The log now goes to the folder
/// `sbatch` runs in, and the header says so.
#[test]
fn issue_16_emit_slurm_logs_go_where_slurm_can_open_them() {
    let dir = temp_dir("i16-emit-logs", &[]);
    let (code, script, _) = chokepoint(&dir, &["emit", "slurm", "--out", "/shared/mc"]);
    assert_eq!(code, 0);
    let output = script
        .lines()
        .find_map(|l| l.strip_prefix("#SBATCH --output="))
        .expect("an #SBATCH --output line");
    assert!(!output.contains('/'), "log in a folder: {output}");
    assert!(
        script.contains("from a folder every node can write to"),
        "{script}"
    );
    // Nothing after the first command is an #SBATCH line (sbatch stops reading there).
    let first_command = script
        .lines()
        .position(|l| !l.starts_with('#') && !l.trim().is_empty())
        .unwrap();
    assert!(
        script
            .lines()
            .skip(first_command)
            .all(|l| !l.starts_with("#SBATCH"))
    );
}

/// `emit k8s` pasted the values into the shell line of the Job; they now travel as YAML
/// double-quoted environment values, and the shell line, run with those values, hands each
/// over as one argument.
#[test]
fn issue_16_emit_k8s_quotes_every_value_for_yaml_and_the_shell() {
    let dir = temp_dir("i16-emit-k8s", &[]);
    let yaml = emit(&dir, "k8s");
    let env = |name: &str| -> String {
        let prefix = format!("- {{ name: {name}, value: ");
        let line = yaml
            .lines()
            .find_map(|l| l.trim().strip_prefix(prefix.as_str()))
            .unwrap_or_else(|| panic!("no {name} in\n{yaml}"));
        serde_json::from_str(line.strip_suffix(" }").unwrap()).unwrap()
    };
    assert_eq!(env("OUT"), HOSTILE_OUT);
    assert_eq!(env("SCENARIO"), HOSTILE_SCENARIO);
    // The folded scalar under `- >-`: its lines joined by spaces.
    let lines: Vec<&str> = yaml.lines().collect();
    let at = lines.iter().position(|l| l.trim() == "- >-").unwrap();
    let command: Vec<&str> = lines[at + 1..]
        .iter()
        .take_while(|l| l.starts_with("              "))
        .map(|l| l.trim())
        .collect();
    let command = command.join(" ");
    assert!(!command.contains("pwned"), "{command}");
    let bin = stub_bin(&dir);
    let run = Command::new("/bin/sh")
        .args(["-c", &command])
        .current_dir(&dir)
        .env("PATH", path_with(&bin))
        .env("OUT", env("OUT"))
        .env("SCENARIO", env("SCENARIO"))
        .env("JOB_COMPLETION_INDEX", "1")
        .env("STUB_ARGV", dir.join("argv.txt"))
        .status()
        .unwrap();
    assert!(run.success());
    let argv = fs::read_to_string(dir.join("argv.txt")).unwrap();
    assert_eq!(argv.lines().collect::<Vec<_>>(), expected_argv("1"));
    no_pwned(&dir);
}

/// `--shards 0` wrote `--array=0-18446744073709551615`; it, more shards than paths, and values
/// a script cannot hold on one line are refused, all in one message.
#[test]
fn issue_16_emit_refuses_zero_shards_and_more_shards_than_paths() {
    let dir = temp_dir("i16-emit-shards", &[]);
    for target in ["slurm", "k8s"] {
        let err = refused(&dir, &["emit", target, "--shards", "0"], QUICK);
        assert!(err.contains("0 shards"), "{err}");
        let err = refused(
            &dir,
            &[
                "emit", target, "--paths", "5", "--shards", "6", "--out", "a\nb",
            ],
            QUICK,
        );
        assert!(err.contains("--shards 6 is more than --paths 5"), "{err}");
        assert!(
            err.contains("--out \"a\\nb\" holds a control character"),
            "{err}"
        );
        let err = refused(&dir, &["emit", target, "--paths", "0"], QUICK);
        assert!(err.contains("at least 1 path"), "{err}");
    }
}
