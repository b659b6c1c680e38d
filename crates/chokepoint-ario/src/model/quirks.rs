//! BoARIO 0.7.2's quirks, one named function each: compat mode ([`Mode::Compat`]) reproduces
//! them so that trajectories match the peer to 1e-9; the fixed mode ([`Mode::Fixed`], the
//! default) does what each doc comment says instead. Every place where the two modes differ
//! calls one of these functions (the `Quirk k` in a doc comment is the row of the table in
//! docs/ario.md), so this file is the list of the differences; the rest of the model reads the
//! same in both modes.
//!
//! Most functions take the [`Mode`] and return the mode's value or decision. A few exist only in
//! compat mode and are called from the compat side of a phase: [`lagged_arbitrary_loss`],
//! [`arbitrary_alongside_other_events`] and [`capital_lost_known`] (from the compat capacity
//! loss in `shocks`), [`overproduction_boario`] (from the step). Also here: the bookkeeping of
//! BoARIO's two allclose switches, [`SwitchLog`] (the decisions taken, to count flips against
//! the peer) and [`SwitchOverride`] (decisions forced, to replay the peer's).

use super::params::{Mode, Params};
use crate::error::ModelError;
use crate::events::RecoveryFn;
use crate::mrio::IndustryOrder;

// ---- Quirk 1: events act late ---------------------------------------------------------------

/// Quirk 1: whether a pending event starts at step `t`. BoARIO 0.7.2 starts an event only on its
/// occurrence step or the step after (`occurrence ≤ t ≤ occurrence + 1`), so an event added
/// after that window never starts. The fixed mode starts every pending event whose occurrence
/// has come.
pub(super) fn event_starts(mode: Mode, occurrence: usize, t: usize) -> bool {
    occurrence <= t && (mode == Mode::Fixed || t <= occurrence + 1)
}

/// Quirk 1: the arbitrary capacity loss a step applies, in compat mode. BoARIO 0.7.2 applies
/// the loss that the previous step computed, so an arbitrary event acts one step late at every
/// milestone (full impact from occurrence + 1, its end at occurrence + duration + τ + 2). Keeps
/// `now` for the next step and returns the previous step's loss (`None` at the first step).
/// The fixed mode applies each step's own loss and does not call this.
pub(super) fn lagged_arbitrary_loss(lag: &mut Option<Vec<f64>>, now: Vec<f64>) -> Option<Vec<f64>> {
    lag.replace(now)
}

/// Quirk 1: whether recovering events are updated at the end of a step, after distribution.
/// BoARIO 0.7.2 does, so a capital event's recovery shows from occurrence + duration + 2 (and,
/// with [`lagged_arbitrary_loss`], an arbitrary event's from + 3). The fixed mode updates them
/// at the start of the step: the remaining impact at step t is `d0·f(t − occurrence − duration)`.
pub(super) fn recovers_after_distribution(mode: Mode) -> bool {
    mode == Mode::Compat
}

// ---- Quirk 2: overproduction ----------------------------------------------------------------

/// Quirk 2: overproduction α in compat mode. BoARIO 0.7.2 leaves α alone at steps 0 and 1,
/// relaxes it towards α_base only when scarcity is exactly 0.0 (so round-off keeps α creeping
/// up) and floors it at 1.0:
///
/// ```text
/// sc = (D − x)/D   (0 when D = 0)
/// α ← max(1, α + (α_max − α)·sc/τ_α + (α_base − α)·[sc = 0]/τ_α)
/// ```
///
/// `forced` (the peer's decisions, on replay) replaces the test `sc = 0`. Returns the decisions
/// `sc = 0` per industry when `log` is set and α was updated (else an empty list). The fixed
/// mode updates α every step, relaxes it when scarcity is at most 1e-9 and floors it at α_base.
pub(super) fn overproduction_boario(
    t: usize,
    p: &Params,
    dem: &[f64],
    x: &[f64],
    alpha: &mut [f64],
    forced: Option<&[bool]>,
    log: bool,
) -> Vec<bool> {
    let n = alpha.len();
    let tau = 1.0 / p.alpha_tau as f64;
    let mut relaxed = if log && t > 1 {
        Vec::with_capacity(n)
    } else {
        Vec::new()
    };
    if t > 1 {
        for i in 0..n {
            let d = dem[i];
            let sc = if d != 0.0 { (d - x[i]) / d } else { 0.0 };
            let relax = forced.map_or(sc == 0.0, |f| f[i]);
            if log {
                relaxed.push(sc == 0.0);
            }
            let a = alpha[i];
            let chg = ((p.alpha_max - a) * sc * tau)
                + ((p.alpha_base - a) * (if relax { 1.0 } else { 0.0 }) * tau);
            let a = a + chg;
            alpha[i] = if a < 1.0 { 1.0 } else { a };
        }
    }
    relaxed
}

// ---- Quirk 3: the two allclose switches -----------------------------------------------------

/// `np.allclose`'s relative tolerance.
const RTOL: f64 = 1e-5;
/// `np.allclose`'s absolute tolerance.
const ATOL: f64 = 1e-8;

/// Quirk 3: whether BoARIO's two tolerance switches decide. BoARIO 0.7.2 skips the inventory
/// update when `allclose(deliveries, use)` and zeroes the order gap when `allclose(Ω, Ω*)`
/// (rtol 1e-5, atol 1e-8, over all S × n elements at once). The fixed mode has no tolerance
/// switches: inventories are always updated and the gap always computed.
pub(super) fn allclose_switches(mode: Mode) -> bool {
    mode == Mode::Compat
}

/// Quirk 3: `|a − b| / (atol + rtol·|b|)`, the element test of `np.allclose(a, b)`: ≤ 1 means
/// close (NaN is never close, equal infinities are).
pub(super) fn close_ratio(a: f64, b: f64) -> f64 {
    if a == b {
        return 0.0;
    }
    if !a.is_finite() || !b.is_finite() {
        return f64::INFINITY;
    }
    (a - b).abs() / (ATOL + RTOL * b.abs())
}

/// [`close_ratio`] without branches (the same values), for vectorised loops.
#[inline(always)]
pub(super) fn close_ratio_bf(a: f64, b: f64) -> f64 {
    let d = (a - b).abs() / (ATOL + RTOL * b.abs());
    let d = if a.is_finite() && b.is_finite() {
        d
    } else {
        f64::INFINITY
    };
    if a == b { 0.0 } else { d }
}

/// Folds a row of allclose ratios into (all close, margin) exactly as the element-wise loop
/// `close &= !(nan_open && cr.is_nan()) && cr <= 1; if |cr − 1| < |worst − 1| { worst = cr }`
/// would, in two vectorisable sweeps and a search for the first minimiser.
#[inline(always)]
pub(super) fn scan_close(cr: &[f64], nan_open: bool, close: &mut bool, worst: &mut f64) {
    let mut open = 0usize;
    let mut best = [f64::INFINITY; 4];
    let chunks = cr.chunks_exact(4);
    let rest = chunks.remainder();
    for c in chunks {
        for k in 0..4 {
            open += (c[k] > 1.0 || (nan_open && c[k].is_nan())) as usize;
            let d = (c[k] - 1.0).abs();
            best[k] = if d < best[k] { d } else { best[k] };
        }
    }
    let mut b = best[0].min(best[1]).min(best[2]).min(best[3]);
    for &c in rest {
        open += (c > 1.0 || (nan_open && c.is_nan())) as usize;
        let d = (c - 1.0).abs();
        b = if d < b { d } else { b };
    }
    if open > 0 {
        *close = false;
    }
    if b < (*worst - 1.0).abs()
        && let Some(&c) = cr.iter().find(|c| (**c - 1.0).abs() == b)
    {
        *worst = c;
    }
}

/// Quirk 3: records one allclose decision (`close`, with its margin) and returns the decision
/// the step takes: the forced one (e.g. the peer's) when given, else `close`.
pub(super) fn decide(
    log: &mut Vec<bool>,
    margins: &mut Vec<f64>,
    close: bool,
    margin: f64,
    forced: Option<bool>,
) -> bool {
    log.push(close);
    margins.push(margin);
    forced.unwrap_or(close)
}

/// The two `np.allclose` switches of BoARIO 0.7.2, per step.
#[derive(Debug, Clone, Default)]
pub struct SwitchLog {
    /// `true` when the inventory update was skipped (deliveries ≈ use).
    pub stock_update_skipped: Vec<bool>,
    /// `true` when the order gap was zeroed (inventories ≈ goal).
    pub gap_zeroed: Vec<bool>,
    /// Smallest relative distance of any element to the allclose threshold, per step and
    /// switch (`|a−b| / (atol + rtol·|b|)` closest to 1), to flag near-flips.
    pub stock_margin: Vec<f64>,
    pub gap_margin: Vec<f64>,
    /// Steps whose switch decisions differed from the fused pass's prediction (the previous
    /// step's decisions): the S × n part was redone and the next demand took its own pass.
    pub fused_misses: usize,
    /// Compat overproduction relaxation (`scarcity == 0.0`), per step and industry (empty at
    /// steps 0 and 1, which BoARIO does not update); recorded only when
    /// [`crate::Model::log_alpha_relaxed`] is set. An ulp of difference between demand and the
    /// previous production (summation order) flips it.
    pub alpha_relaxed: Vec<Vec<bool>>,
}

/// Forced switch decisions (e.g. the peer's), step-indexed; `None` = decide normally.
#[derive(Debug, Clone, Default)]
pub struct SwitchOverride {
    pub stock_update_skipped: Vec<Option<bool>>,
    pub gap_zeroed: Vec<Option<bool>>,
    /// Compat overproduction relaxation per step and industry (`None` or empty = decide
    /// normally, by `scarcity == 0.0`).
    pub alpha_relaxed: Vec<Option<Vec<bool>>>,
}

// ---- Quirk 4: rounding ----------------------------------------------------------------------

/// `np.round(v, d)`: scale, round half to even, unscale.
fn np_round(v: f64, d: i32) -> f64 {
    let f = 10f64.powi(d);
    (v * f).round_ties_even() / f
}

/// `int(log10(event_monetary_factor)) + 1`, with the event factor = the model's.
fn capital_precision(monetary_factor: u64) -> i32 {
    let mut d = 0;
    let mut v = monetary_factor;
    while v >= 10 {
        v /= 10;
        d += 1;
    }
    d + 1
}

/// Quirk 4: a capital amount after an update (a recovering event's remaining damage, a
/// rebuild event's remaining demand). BoARIO 0.7.2 rounds it with
/// `np.round(v, int(log10(monetary_factor)) + 1)`; the fixed mode leaves it unrounded.
pub(super) fn round_capital(mode: Mode, v: f64, monetary_factor: u64) -> f64 {
    match mode {
        Mode::Compat => np_round(v, capital_precision(monetary_factor)),
        Mode::Fixed => v,
    }
}

/// Quirk 4: an arbitrary event's remaining capacity-loss share after a recovery update.
/// BoARIO 0.7.2 rounds it to 6 decimals; the fixed mode leaves it unrounded.
pub(super) fn round_arbitrary_share(mode: Mode, v: f64) -> f64 {
    match mode {
        Mode::Compat => np_round(v, 6),
        Mode::Fixed => v,
    }
}

/// Quirk 4: whether a recovering event is over, given its remaining values `v` after
/// `elapsed` recovery steps (`initial`: the impacts it started from). BoARIO 0.7.2 ends it when
/// every (rounded) value is exactly 0.0. The fixed mode ends a linear recovery at τ and any
/// other when every value is at most 1e-9 of its initial impact.
pub(super) fn recovery_finished(
    mode: Mode,
    v: &[f64],
    initial: &[(usize, f64)],
    f: RecoveryFn,
    elapsed: usize,
    tau: u32,
) -> bool {
    match mode {
        Mode::Compat => v.iter().all(|x| *x == 0.0),
        Mode::Fixed if f == RecoveryFn::Linear => elapsed >= tau as usize,
        Mode::Fixed => v.iter().zip(initial).all(|(x, (_, d0))| *x <= 1e-9 * d0),
    }
}

/// Quirk 4: whether a rebuild event is over, given its remaining rebuilding demand `total`
/// (`initial`: the demand it started from). BoARIO 0.7.2 ends it when the rounded total is
/// exactly 0.0; the fixed mode when it is at most 1e-9 of the initial demand.
pub(super) fn rebuild_finished(mode: Mode, total: f64, initial: f64) -> bool {
    match mode {
        Mode::Compat => total == 0.0,
        Mode::Fixed => total <= 1e-9 * initial,
    }
}

// ---- Quirk 5: industry order ----------------------------------------------------------------

/// Quirk 5: the order of regions and sectors an MRIO is read in. BoARIO 0.7.2 sorts every table
/// lexicographically; the fixed mode keeps the MRIO's own order.
pub fn industry_order(mode: Mode) -> IndustryOrder {
    match mode {
        Mode::Compat => IndustryOrder::Lexicographic,
        Mode::Fixed => IndustryOrder::AsGiven,
    }
}

// ---- Quirk 6: combinations BoARIO refuses or crashes on -------------------------------------

/// Quirk 6: an event that outlasts the run. BoARIO 0.7.2 refuses events that do not end inside
/// the horizon (`occurrence + duration > steps`); the fixed mode lets them outlast the run.
pub(super) fn event_must_end_inside_horizon(
    mode: Mode,
    occurrence: usize,
    duration: usize,
    steps: usize,
) -> Result<(), String> {
    if mode == Mode::Compat && occurrence + duration > steps {
        return Err(format!(
            "occurrence + duration = {} exceeds the {steps} steps; BoARIO 0.7.2 refuses events that do not end inside the horizon; hint: raise --steps or drop --compat",
            occurrence + duration
        ));
    }
    Ok(())
}

/// Quirk 6, compat mode: BoARIO 0.7.2 crashes when an arbitrary event is active together with
/// any other event (it sums the arbitrary event's `None` damages). The fixed mode combines
/// every event (the largest loss per industry).
pub(super) fn arbitrary_alongside_other_events(
    step: usize,
    n_arbitrary: usize,
    n_active: usize,
) -> Result<(), ModelError> {
    if n_arbitrary > 0 && n_active > 1 {
        return Err(ModelError::Crash {
            step,
            message: "BoARIO 0.7.2 crashes when an arbitrary event is active together with another event (it sums None damages); hint: drop --compat".into(),
        });
    }
    Ok(())
}

/// Quirk 6: an inventory that would go negative. BoARIO 0.7.2 stops there; the fixed mode
/// clamps it at 0 (the caller does).
pub(super) fn negative_inventory(
    mode: Mode,
    step: usize,
    negative: bool,
) -> Result<(), ModelError> {
    if negative && mode == Mode::Compat {
        return Err(ModelError::Crash {
            step,
            message: "negative inventories (BoARIO stops here)".into(),
        });
    }
    Ok(())
}

// ---- Quirk 7: capital not recorded ----------------------------------------------------------

/// Quirk 7, compat mode: whether the productive capital lost is known this step. BoARIO 0.7.2
/// has no capital figure while an arbitrary event is active and records NaN. The fixed mode
/// always records it (arbitrary events destroy no capital, so it counts capital events only).
pub(super) fn capital_lost_known(n_arbitrary_active: usize) -> bool {
    n_arbitrary_active != 1
}

// ---- Quirks 8 and 9: rebuilding demand ------------------------------------------------------

/// Quirk 8: a region's share of the rebuilding demand for a sector that has no flow into the
/// damaged industry (the share is 0/0). BoARIO 0.7.2 drops that demand (share 0); the fixed
/// mode splits it equally among the `n_regions` regions.
pub(super) fn rebuild_share_without_flow(mode: Mode, n_regions: usize) -> f64 {
    match mode {
        Mode::Fixed => 1.0 / n_regions as f64,
        Mode::Compat => 0.0,
    }
}

/// What a step does with a rebuild event's demand columns (the part of the rebuilding demand it
/// addresses to the rebuilding industries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RebuildColumns {
    /// Left as they are (they decrease only by deliveries).
    Keep,
    /// Set to zero.
    Zero,
    /// Set to the remaining demand / τ.
    Refresh,
}

/// Where a rebuild event stands when its columns are updated at the start of a step.
#[derive(Debug, Clone, Copy)]
pub(super) struct RebuildStanding {
    /// Some rebuild event entered its rebuilding phase at this step.
    pub started_now: bool,
    /// Some rebuild event is rebuilding.
    pub any_rebuilding: bool,
    /// This event has entered its rebuilding phase (now or before).
    pub has_rebuilt: bool,
    pub rebuilding: bool,
    pub finished: bool,
}

/// Quirk 9 (and 6): the update of a rebuild event's demand columns. BoARIO 0.7.2 zeroes every
/// event's columns when an event starts rebuilding; while any event rebuilds it refreshes the
/// columns of every event that has ever rebuilt, and crashes (NaN rebuilding demand) when one
/// of those has finished; otherwise the columns stay, so a finished event's last columns stay
/// in the demand forever, decreasing by deliveries. The fixed mode refreshes the columns of an
/// event that is rebuilding and zeroes all others.
pub(super) fn rebuild_columns(
    mode: Mode,
    step: usize,
    e: RebuildStanding,
) -> Result<RebuildColumns, ModelError> {
    match mode {
        Mode::Fixed if e.rebuilding => Ok(RebuildColumns::Refresh),
        Mode::Fixed => Ok(RebuildColumns::Zero),
        Mode::Compat if e.any_rebuilding && e.has_rebuilt && e.finished => Err(ModelError::Crash {
            step,
            message: "BoARIO 0.7.2 crashes (NaN rebuilding demand) when a rebuild event finishes while another is rebuilding; hint: drop --compat".into(),
        }),
        Mode::Compat if e.any_rebuilding && e.has_rebuilt => Ok(RebuildColumns::Refresh),
        Mode::Compat if e.started_now => Ok(RebuildColumns::Zero),
        Mode::Compat => Ok(RebuildColumns::Keep),
    }
}

// ---- Quirk 10 and inputs BoARIO needs -------------------------------------------------------

/// Quirk 10: bilateral trade-link shocks and daily loss series. BoARIO 0.7.2 has neither, so
/// compat mode refuses them; the fixed mode has both.
pub(super) fn trade_links_and_loss_series_available(mode: Mode) -> bool {
    mode == Mode::Fixed
}

/// Quirk 11: the per-sector inventory map. BoARIO 0.7.2 needs it to list every sector; the
/// fixed mode takes `main_inv_dur` for the sectors it leaves out.
pub(super) fn inventory_lists_every_sector(mode: Mode) -> bool {
    mode == Mode::Compat
}
