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
