//! Interruption. [`install`] starts a thread that waits for SIGINT, SIGTERM or SIGHUP; when one
//! comes it removes the staging folders of the run folders being written (each
//! [`RunFolder`](crate::run_folder::RunFolder) registers its own) and ends the program with
//! exit code 128 + the signal (130 for Ctrl-C), so an interrupted run leaves the destination as
//! it was and no temporaries behind. The list of staging folders sits behind one lock that the
//! swap of a complete folder also holds ([`with_staging`]): a signal either comes before the
//! swap (nothing changes) or after it (the new result is complete), never in between.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

static STAGING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Runs `f` on the list of staging folders with the lock held.
pub fn with_staging<T>(f: impl FnOnce(&mut Vec<PathBuf>) -> T) -> T {
    // A panic while the lock was held leaves a list that is still right.
    let mut list = STAGING.lock().unwrap_or_else(|e| e.into_inner());
    f(&mut list)
}

pub fn register(staging: &Path) {
    with_staging(|l| l.push(staging.to_path_buf()));
}

/// Removes `staging` from the list (`list` is the one [`with_staging`] hands out).
pub fn unregister(list: &mut Vec<PathBuf>, staging: &Path) {
    list.retain(|p| p != staging);
}

/// Starts the thread that handles interruption (once, at the start of `main`).
#[cfg(unix)]
pub fn install() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    use signal_hook::iterator::Signals;
    let Ok(mut signals) = Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            // Exits with the lock held: a run that reaches its swap waits for the end instead
            // of finding its staging folder gone.
            with_staging(|list| {
                for staging in list.iter() {
                    remove_while_written(staging);
                }
                if !list.is_empty() {
                    eprintln!("interrupted: the output folder was left as it was");
                }
                std::process::exit(128 + signal)
            })
        }
    });
}

#[cfg(not(unix))]
pub fn install() {}

/// Removes a folder that the run's other threads may still be adding files to.
fn remove_while_written(dir: &Path) {
    for _ in 0..10 {
        match std::fs::remove_dir_all(dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => continue,
            _ => return,
        }
    }
}
