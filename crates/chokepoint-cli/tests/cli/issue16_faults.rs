//! Fault injection (issue 16): runs of each kind that writes a folder (a single run, a Monte
//! Carlo run, `merge`, `ario`) are killed at seeded random moments, with SIGKILL and with
//! SIGINT, and made to fail on writing (a file-size limit, `RLIMIT_FSIZE`, makes every write
//! past N bytes fail as a full disk does). Each starts over a complete previous result in its
//! destination. Afterwards the destination must hold exactly the complete old result or
//! exactly the complete new one; a SIGINT ends with exit code 130 (or 0 when the run had
//! finished) and leaves no temporaries; what a SIGKILL leaves is cleared by the next run into
//! the same destination. The test prints how many kill points it tried and their outcomes.

use super::{crate_dir, read_files, temp_dir, without_measurements};
use rand::{RngExt as _, SeedableRng as _};
use rand_pcg::Pcg64;
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::process::{CommandExt as _, ExitStatusExt as _};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// One command that writes `out` in `cwd`, in an old and a new version (different results).
struct Job {
    name: &'static str,
    old: Vec<String>,
    new: Vec<String>,
    /// Kill points tried per signal.
    kills: usize,
}

type Files = BTreeMap<String, Vec<u8>>;

/// A folder's files, `run_info.json` without its timings (they differ from run to run).
fn files(dir: &Path) -> Files {
    read_files(dir)
        .into_iter()
        .map(|(name, bytes)| {
            let bytes = if name == "run_info.json" {
                without_measurements(&bytes)
            } else {
                bytes
            };
            (name, bytes)
        })
        .collect()
}

fn command(cwd: &Path, args: &[String]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chokepoint"));
    c.args(args)
        .current_dir(cwd)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

fn run_ok(cwd: &Path, args: &[String]) -> Duration {
    let t = Instant::now();
    let out = command(cwd, args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    t.elapsed()
}

/// Copies the folder `from` to `to` (flat: run folders have no subfolders).
fn copy_folder(from: &Path, to: &Path) {
    let _ = fs::remove_dir_all(to);
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// Entries of `cwd` other than the destination `out` and the fixtures: what runs left.
fn leftovers(cwd: &Path, keep: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(cwd)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "out" && !keep.contains(&n.as_str()))
        .collect();
    v.sort();
    v
}

#[derive(Debug, Default)]
struct Tally {
    tried: usize,
    old: usize,
    new: usize,
    /// Runs that ended on the signal (exit 130 after SIGINT, killed by SIGKILL) rather than
    /// finishing first.
    stopped: usize,
    leftovers: usize,
}

/// Which complete result `out` holds; panics when it is neither.
fn outcome(out: &Path, old: &Files, new: &Files, what: &str) -> bool {
    let now = files(out);
    if &now == old {
        return false;
    }
    let names = |f: &Files| f.keys().cloned().collect::<Vec<_>>();
    assert!(
        &now == new,
        "{what}: the destination is neither the old nor the new result: {:?} (old {:?}, new {:?})",
        names(&now),
        names(old),
        names(new)
    );
    true
}

fn send(pid: u32, signal: i32) {
    // SAFETY: sends a signal to our own child, which has not been reaped yet.
    unsafe {
        libc::kill(pid as i32, signal);
    }
}

/// Whether the run ended on the signal (`false`: it had finished first).
fn ended_by(signal: i32, status: ExitStatus, stderr: &str, what: &str) -> bool {
    match (signal, status.code(), status.signal()) {
        (_, Some(0), _) => false,
        (libc::SIGINT, Some(130), _) => true,
        // Before the handler is installed the default action ends the process: nothing was
        // written yet.
        (libc::SIGINT, None, Some(libc::SIGINT)) => true,
        (libc::SIGKILL, None, Some(libc::SIGKILL)) => true,
        other => panic!("{what}: unexpected end {other:?}; stderr:\n{stderr}"),
    }
}

fn kill_points(job: &Job, rng: &mut Pcg64, fixtures: &[&str]) -> [Tally; 2] {
    let cwd = temp_dir(&format!("faults-{}", job.name), fixtures);
    // The complete old and new results, and how long the new run takes.
    run_ok(&cwd, &job.new);
    let took = run_ok(&cwd, &job.new);
    let new = files(&cwd.join("out"));
    fs::rename(cwd.join("out"), cwd.join("new.saved")).unwrap();
    run_ok(&cwd, &job.old);
    let old = files(&cwd.join("out"));
    copy_folder(&cwd.join("out"), &cwd.join("old.saved"));
    assert_ne!(old, new, "{}: old and new results must differ", job.name);
    let keep: Vec<&str> = fixtures
        .iter()
        .copied()
        .chain(["old.saved", "new.saved"])
        .collect();

    let mut tallies = [Tally::default(), Tally::default()];
    for (t, signal) in [(0, libc::SIGKILL), (1, libc::SIGINT)] {
        for k in 0..job.kills {
            copy_folder(&cwd.join("old.saved"), &cwd.join("out"));
            // Moments spread over the whole run, a little past its usual end.
            let delay = took.mul_f64(rng.random_range(0.0..1.2));
            let child = command(&cwd, &job.new).spawn().unwrap();
            let pid = child.id();
            std::thread::sleep(delay);
            send(pid, signal);
            let out = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            let what = format!("{} signal {signal} kill {k} at {delay:?}", job.name);
            let stopped = ended_by(signal, out.status, &stderr, &what);
            let tally = &mut tallies[t];
            tally.tried += 1;
            tally.stopped += usize::from(stopped);
            if outcome(&cwd.join("out"), &old, &new, &what) {
                tally.new += 1;
            } else {
                tally.old += 1;
            }
            let left = leftovers(&cwd, &keep);
            if signal == libc::SIGINT {
                assert!(left.is_empty(), "{what}: SIGINT left {left:?}\n{stderr}");
            } else if !left.is_empty() {
                tally.leftovers += 1;
                // The next run into the destination clears them and says so.
                let again = command(&cwd, &job.old).output().unwrap();
                let said = String::from_utf8_lossy(&again.stderr);
                assert!(again.status.success(), "{what}: rerun failed:\n{said}");
                assert!(
                    said.contains("left by an interrupted run"),
                    "{what}:\n{said}"
                );
                assert_eq!(leftovers(&cwd, &keep), Vec::<String>::new(), "{what}");
                assert_eq!(files(&cwd.join("out")), old, "{what}");
            }
        }
    }
    tallies
}

/// Every write past `limit` bytes of one file fails (EFBIG, SIGXFSZ ignored), as on a full
/// disk: the run fails with exit 1 and the old result stays.
fn full_disk(job: &Job, fixtures: &[&str], limits: &[u64]) -> usize {
    let cwd = temp_dir(&format!("full-{}", job.name), fixtures);
    run_ok(&cwd, &job.old);
    let old = files(&cwd.join("out"));
    copy_folder(&cwd.join("out"), &cwd.join("old.saved"));
    let keep: Vec<&str> = fixtures.iter().copied().chain(["old.saved"]).collect();
    let mut failed = 0;
    for &limit in limits {
        copy_folder(&cwd.join("old.saved"), &cwd.join("out"));
        let mut c = command(&cwd, &job.new);
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            c.pre_exec(move || {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                let l = libc::rlimit {
                    rlim_cur: limit,
                    rlim_max: limit,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &l) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let out = c.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let what = format!("{} with writes limited to {limit} bytes", job.name);
        if out.status.success() {
            // Every file fitted: the new result is complete.
            continue;
        }
        failed += 1;
        assert_eq!(out.status.code(), Some(1), "{what}:\n{stderr}");
        assert!(stderr.contains("left as it was"), "{what}:\n{stderr}");
        assert!(stderr.contains("File too large"), "{what}:\n{stderr}");
        assert_eq!(files(&cwd.join("out")), old, "{what}");
        assert_eq!(leftovers(&cwd, &keep), Vec::<String>::new(), "{what}");
    }
    failed
}

fn args(a: &str) -> Vec<String> {
    a.split_whitespace().map(String::from).collect()
}

#[test]
fn issue_16_faults_leave_the_complete_old_or_the_complete_new_result() {
    let mut rng = Pcg64::seed_from_u64(16);
    let single = Job {
        name: "single",
        old: args("run builtin:april-2025 --seed 1 --quiet --out out"),
        new: args("run builtin:april-2025 --seed 2 --quiet --out out"),
        kills: 8,
    };
    let mc = Job {
        name: "monte-carlo",
        old: args("run tiny-mc.toml --paths 300 --seed 1 --threads 2 --quiet --out out"),
        new: args("run tiny-mc.toml --paths 300 --seed 2 --threads 2 --quiet --out out"),
        kills: 8,
    };
    let fixture = |f: &str| {
        crate_dir()
            .join("tests/fixtures")
            .join(f)
            .display()
            .to_string()
    };
    let (mrio, clean, compat) = (
        fixture("mrio-13x6"),
        fixture("ario-events-clean.toml"),
        fixture("ario-events-compat.toml"),
    );
    let ario = Job {
        name: "ario",
        old: args(&format!(
            "ario --mriot {mrio} --events {clean} --steps 365 --out out"
        )),
        new: args(&format!(
            "ario --mriot {mrio} --events {compat} --compat boario-0.7.2 --steps 365 --out out"
        )),
        kills: 8,
    };
    let mut report = Vec::new();
    let mut record = |job: &Job, t: [Tally; 2]| {
        for (signal, t) in ["SIGKILL", "SIGINT"].iter().zip(t) {
            report.push(format!(
                "{:<12} {signal:<8} kill points {:>2}: stopped by it {:>2}, old result kept {:>2}, new result complete {:>2}, leftovers cleared by the next run {:>2}",
                job.name, t.tried, t.stopped, t.old, t.new, t.leftovers
            ));
        }
    };
    record(&single, kill_points(&single, &mut rng, &[]));
    record(&mc, kill_points(&mc, &mut rng, &["tiny-mc.toml"]));
    record(&ario, kill_points(&ario, &mut rng, &[]));

    // merge: shards of two seeds, merged into `out`.
    let merge = {
        let cwd = temp_dir("faults-shards", &["tiny-mc.toml"]);
        let shard = |seed: u64, i: u64| cwd.join(format!("s{seed}-{i}")).display().to_string();
        for seed in [1, 2] {
            for i in 0..2 {
                run_ok(
                    &cwd,
                    &args(&format!(
                        "run tiny-mc.toml --paths 300 --seed {seed} --shard {i}/2 --quiet --out {}",
                        shard(seed, i)
                    )),
                );
            }
        }
        Job {
            name: "merge",
            old: args(&format!("merge {} {} --out out", shard(1, 0), shard(1, 1))),
            new: args(&format!("merge {} {} --out out", shard(2, 0), shard(2, 1))),
            kills: 8,
        }
    };
    record(&merge, kill_points(&merge, &mut rng, &[]));

    let mut full = Vec::new();
    for (job, fixtures) in [
        (&single, &[][..]),
        (&mc, &["tiny-mc.toml"][..]),
        (&ario, &[][..]),
        (&merge, &[][..]),
    ] {
        let n = full_disk(job, fixtures, &[0, 1000, 100_000, 5_000_000]);
        full.push(format!(
            "{:<12} full disk: 4 limits, {n} failed cleanly",
            job.name
        ));
    }
    println!("{}\n{}", report.join("\n"), full.join("\n"));
}
