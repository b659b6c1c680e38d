//! Issue 20, `emit`: the binary the tasks run is named by `--binary` (or found on PATH) and
//! checked before anything runs; `--bands` reaches every shard as one word. The real scheduler
//! runs are `.ci/slurm-e2e.sh` (Slurm) and `.ci/k8s-validate.sh` (the Job schema).

use super::{chokepoint, temp_dir};
use std::fs;
use std::process::Command;

#[test]
fn issue_20_emit_slurm_names_a_missing_binary_and_passes_bands() {
    let dir = temp_dir("issue20-emit", &[]);
    let (code, script, err) = chokepoint(
        &dir,
        &[
            "emit",
            "slurm",
            "--paths",
            "8",
            "--shards",
            "4",
            "--binary",
            "/no such/chokepoint",
            "--bands",
            "headline,shipments:CHN*",
            "--out",
            "mc",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(script.contains("bin='/no such/chokepoint'"), "{script}");
    assert!(
        script.contains("bands='headline,shipments:CHN*'"),
        "{script}"
    );
    assert!(script.contains("--bands \"$bands\""), "{script}");
    assert!(
        script.contains("#   '/no such/chokepoint' merge mc/shard-*"),
        "{script}"
    );
    fs::write(dir.join("job.sbatch"), &script).unwrap();
    let run = Command::new("bash")
        .arg("job.sbatch")
        .current_dir(&dir)
        .env("SLURM_ARRAY_TASK_ID", "1")
        .env("SLURM_CPUS_PER_TASK", "2")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(127));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("`/no such/chokepoint` is not on this node") && stderr.contains("--binary"),
        "{stderr}"
    );
    assert!(
        !dir.join("mc").exists(),
        "nothing is written before the check"
    );
    // A band choice that cannot be read is refused when the job is written, not on the nodes.
    let (code, _, err) = chokepoint(&dir, &["emit", "k8s", "--bands", "prices"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`prices` is not a variable"), "{err}");
}

/// One process and a merge of its shards write the same bytes in every CSV, on the built-in
/// scenario where some per-path metrics are below the CSV's zero floor (found by the Slurm
/// end-to-end run: `distributions.csv` took its means from the exact values in one process and
/// from the CSV-rounded values in a merge, and differed in the last digits).
#[test]
fn issue_20_one_process_and_merged_shards_write_the_same_csv_bytes() {
    let dir = temp_dir("issue20-merge-bytes", &[]);
    let run = |extra: &[&str], out: &str| {
        let mut args = vec![
            "run",
            "builtin:april-2025",
            "--paths",
            "8",
            "--seed",
            "5",
            "-q",
            "--out",
            out,
        ];
        args.extend(extra);
        let (code, _, err) = chokepoint(&dir, &args);
        assert_eq!(code, 0, "{err}");
    };
    run(&[], "single");
    for i in 0..4 {
        run(&["--shard", &format!("{i}/4")], &format!("shard-{i}"));
    }
    let (code, _, err) = chokepoint(
        &dir,
        &[
            "merge", "shard-2", "shard-0", "shard-3", "shard-1", "--out", "merged",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let mut compared = 0;
    for entry in std::fs::read_dir(dir.join("single")).unwrap() {
        let name = entry.unwrap().file_name();
        if !name.to_string_lossy().ends_with(".csv") {
            continue;
        }
        let a = std::fs::read(dir.join("single").join(&name)).unwrap();
        let b = std::fs::read(dir.join("merged").join(&name)).unwrap();
        assert!(a == b, "{name:?} differs");
        compared += 1;
    }
    assert_eq!(compared, 6);
}
