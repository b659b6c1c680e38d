//! A run's progress as lines on stderr for a program that watches it (`chokepoint serve`'s
//! workers run `chokepoint run ... --progress-lines`): `progress DONE/TOTAL paths` for a Monte
//! Carlo run, `progress DONE/TOTAL days` for a single run, at most one line a percent.
//!
//! The [`Meter`] is process-wide because the places that see a path finish (the Monte Carlo
//! workers' callback) or a day pass (the run folder's sink) are far from the flag that asks for
//! it; when the flag is not given nothing is set and each call is one atomic load.

use std::io::Write as _;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// What a run counts and how far it has printed.
struct Meter {
    total: u64,
    unit: &'static str,
    /// Days before the first reported one (a single run's spin-up).
    offset: u64,
    /// The last percent printed, plus one (0: none yet).
    printed: AtomicU64,
}

static METER: OnceLock<Meter> = OnceLock::new();
static ENABLED: OnceLock<()> = OnceLock::new();

/// Asks for progress lines (the `--progress-lines` flag).
pub fn enable() {
    let _ = ENABLED.set(());
}

/// Starts counting `total` units (`paths` or `days`); `offset` is subtracted from what
/// [`advance`] is given. Does nothing unless [`enable`] was called.
pub fn start(total: u64, unit: &'static str, offset: u64) {
    if ENABLED.get().is_some() && total > 0 {
        let _ = METER.set(Meter {
            total,
            unit,
            offset,
            printed: AtomicU64::new(0),
        });
        advance(offset);
    }
}

/// `at` units (less the offset) are done; prints a line when the percent moved on.
pub fn advance(at: u64) {
    let Some(m) = METER.get() else { return };
    let done = at.saturating_sub(m.offset).min(m.total);
    let percent = done * 100 / m.total + 1;
    if m.printed.fetch_max(percent, Ordering::Relaxed) < percent {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "progress {done}/{} {}", m.total, m.unit);
    }
}

/// Reads a progress line: (done, total, unit).
pub fn parse(line: &str) -> Option<(u64, u64, String)> {
    let rest = line.strip_prefix("progress ")?;
    let (count, unit) = rest.split_once(' ')?;
    let (done, total) = count.split_once('/')?;
    Some((
        done.parse().ok()?,
        total.parse().ok()?,
        unit.trim().to_string(),
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_progress_line_reads_back() {
        assert_eq!(
            super::parse("progress 3/8 paths"),
            Some((3, 8, "paths".to_string()))
        );
        assert_eq!(super::parse("error: no"), None);
        assert_eq!(super::parse("progress x/8 paths"), None);
    }
}
