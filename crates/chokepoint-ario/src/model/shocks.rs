//! Shocks and their course: [`Shock`] (an index-based event; `resolve` builds one from a named
//! event) and [`Shocks`], the events of a run with their trackers. Each step asks [`Shocks`] for, in order: the status changes
//! (pending → happening → recovering or rebuilding → finished), the recovery of remaining
//! impacts, the capacity loss Δ and the capital lost, the rebuilding demand, the trade-link
//! multipliers; after production, the rebuilding deliveries; after recording, the rebuilding
//! progress.
//!
//! ```text
//! Δ_i      = max(arbitrary share_i, loss-series share_i, min(1, Σ damage_i / K_i))
//! Rb[j,c]  = remaining[j,c] / τ_rebuild                    (rebuilding industry j, damaged c)
//! m[a,s,b] = Π_links (1 − φ)                                (flow of s from region a to b)
//! φ        = share while happening, share·max(0, 1 − k/τ) while recovering (k steps in)
//! ```
//!
//! Compat mode differs where `quirks` says (timing, rounding, crashes, rebuilding columns).

use super::baseline::Baseline;
use super::params::Mode;
use super::quirks::{self, RebuildColumns, RebuildStanding};
use crate::error::ModelError;
use crate::events::RecoveryFn;

/// An index-based shock. Build them with [`crate::Model::add_events`] from names, or directly.
#[derive(Debug, Clone)]
pub enum Shock {
    /// Share of capacity lost per industry.
    Arbitrary {
        impact: Vec<(usize, f64)>,
        occurrence: usize,
        duration: usize,
        recovery_tau: u32,
        recovery_function: RecoveryFn,
    },
    /// Capital destroyed per industry (MRIO units), recovering.
    Recovery {
        damage: Vec<(usize, f64)>,
        occurrence: usize,
        duration: usize,
        recovery_tau: u32,
        recovery_function: RecoveryFn,
    },
    /// Capital destroyed per industry, rebuilt by sectors `(sector index, share)`.
    Rebuild {
        damage: Vec<(usize, f64)>,
        occurrence: usize,
        duration: usize,
        rebuild_tau: u32,
        sectors: Vec<(usize, f64)>,
        factor: f64,
    },
    /// Flows of `(from region, sector, to region)` cut by `share` (fixed mode only).
    TradeLink {
        links: Vec<(usize, usize, usize)>,
        share: f64,
        occurrence: usize,
        duration: usize,
        recovery_tau: Option<u32>,
    },
    /// Daily production-capacity loss shares: `shares[d·k + j]` is the loss of
    /// `industries[j]` on step `start + d` (fixed mode only). This is how a caller (e.g. the
    /// mineral model) feeds daily sector output losses.
    LossSeries {
        industries: Vec<usize>,
        start: usize,
        shares: Vec<f64>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Pending,
    Happening,
    Recovering,
    Rebuilding,
    Finished,
}

#[derive(Debug, Clone)]
struct RebuildState {
    /// Industries that rebuild: every region × rebuilding sector.
    rows: Vec<usize>,
    /// Affected industries.
    cols: Vec<usize>,
    /// Remaining rebuilding demand (rows × cols).
    remaining: Vec<f64>,
    /// The model's rebuilding-demand columns (rows × cols), as BoARIO keeps them.
    model_cols: Vec<f64>,
    tau: u32,
    factor: f64,
    /// Order in which the event entered its rebuilding phase (`None`: not yet).
    id: Option<usize>,
}

/// One shock and where it stands.
#[derive(Debug, Clone)]
struct Tracker {
    shock: Shock,
    status: Status,
    /// Arbitrary: current loss shares (aligned with `impact`).
    arb: Option<Vec<f64>>,
    /// Capital events: current damage (aligned with `damage`, or with `rebuild.cols`).
    dmg: Option<Vec<f64>>,
    rebuild: Option<RebuildState>,
}

impl Tracker {
    fn occ_dur(&self) -> (usize, usize) {
        match &self.shock {
            Shock::Arbitrary {
                occurrence,
                duration,
                ..
            }
            | Shock::Recovery {
                occurrence,
                duration,
                ..
            }
            | Shock::Rebuild {
                occurrence,
                duration,
                ..
            }
            | Shock::TradeLink {
                occurrence,
                duration,
                ..
            } => (*occurrence, *duration),
            Shock::LossSeries {
                start,
                shares,
                industries,
            } => (*start, shares.len() / industries.len().max(1)),
        }
    }
    fn is_arbitrary(&self) -> bool {
        matches!(self.shock, Shock::Arbitrary { .. })
    }
    /// Affects capacity this step.
    fn is_active(&self) -> bool {
        matches!(
            self.status,
            Status::Happening | Status::Rebuilding | Status::Recovering
        )
    }
    /// Indices that `dmg` is aligned with.
    fn dmg_index(&self) -> Vec<usize> {
        match (&self.rebuild, &self.shock) {
            (Some(rb), _) => rb.cols.clone(),
            (None, Shock::Recovery { damage, .. } | Shock::Rebuild { damage, .. }) => {
                damage.iter().map(|(i, _)| *i).collect()
            }
            _ => Vec::new(),
        }
    }
}

/// The shocks of a run, with what they carry from step to step.
#[derive(Debug, Clone)]
pub(super) struct Shocks {
    trackers: Vec<Tracker>,
    /// Rebuild events that have entered their rebuilding phase.
    n_rebuild: usize,
    /// Compat: the arbitrary loss the previous step computed (quirk 1).
    arb_lag: Option<Vec<f64>>,
    /// Productive capital lost per industry this step (`None`: unknown, quirk 7).
    k_lost: Option<Vec<f64>>,
}

impl Shocks {
    /// No shocks, for `n` industries.
    pub(super) fn new(n: usize) -> Shocks {
        Shocks {
            trackers: Vec::new(),
            n_rebuild: 0,
            arb_lag: None,
            k_lost: Some(vec![0.0; n]),
        }
    }

    /// Productive capital lost per industry at this step (`None` where BoARIO records NaN).
    pub(super) fn capital_lost(&self) -> Option<&[f64]> {
        self.k_lost.as_deref()
    }

    /// Checks a shock against the model and adds it (pending).
    pub(super) fn add(&mut self, shock: Shock, base: &Baseline, mode: Mode) -> Result<(), String> {
        let n = base.n;
        let check = |i: usize| {
            if i < n {
                Ok(())
            } else {
                Err(format!("industry index {i} out of range"))
            }
        };
        let mut tr = Tracker {
            shock,
            status: Status::Pending,
            arb: None,
            dmg: None,
            rebuild: None,
        };
        match &tr.shock {
            Shock::Arbitrary { impact, .. } => {
                for (i, _) in impact {
                    check(*i)?;
                }
                tr.arb = Some(impact.iter().map(|(_, v)| *v).collect());
            }
            Shock::Recovery { damage, .. } => {
                for (i, _) in damage {
                    check(*i)?;
                }
                tr.dmg = Some(damage.iter().map(|(_, v)| *v).collect());
            }
            Shock::Rebuild { damage, .. } => {
                for (i, _) in damage {
                    check(*i)?;
                }
                tr.dmg = Some(damage.iter().map(|(_, v)| *v).collect());
                tr.rebuild = Some(rebuild_state(&tr.shock, base, mode));
            }
            Shock::TradeLink { links, share, .. } => {
                if !quirks::trade_links_and_loss_series_available(mode) {
                    return Err("trade-link shocks are not available in compat mode".into());
                }
                for (a, s, b) in links {
                    if *a >= base.n_r || *b >= base.n_r || *s >= base.n_s {
                        return Err("trade link index out of range".into());
                    }
                }
                if !(*share > 0.0 && *share <= 1.0) {
                    return Err(format!("share {share} must be in (0, 1]"));
                }
            }
            Shock::LossSeries {
                industries, shares, ..
            } => {
                if !quirks::trade_links_and_loss_series_available(mode) {
                    return Err("loss series are not available in compat mode".into());
                }
                for i in industries {
                    check(*i)?;
                }
                if industries.is_empty() || shares.len() % industries.len() != 0 {
                    return Err("loss series: shares must be days × industries".into());
                }
                if shares.iter().any(|v| !(0.0..=1.0).contains(v)) {
                    return Err("loss series: shares must be in [0, 1]".into());
                }
            }
        }
        self.trackers.push(tr);
        Ok(())
    }

    /// Status transitions at the start of step t; whether a rebuild event started rebuilding.
    pub(super) fn update_statuses(&mut self, t: usize, mode: Mode) -> bool {
        let mut new_reb = false;
        for tr in &mut self.trackers {
            let (occ, _) = tr.occ_dur();
            if tr.status == Status::Pending && quirks::event_starts(mode, occ, t) {
                tr.status = Status::Happening;
            }
        }
        for tr in &mut self.trackers {
            let (occ, dur) = tr.occ_dur();
            if tr.status == Status::Happening && t >= occ + dur {
                match tr.shock {
                    Shock::Rebuild { .. } => {
                        tr.status = Status::Rebuilding;
                        self.n_rebuild += 1;
                        if let Some(rb) = tr.rebuild.as_mut() {
                            rb.id = Some(self.n_rebuild - 1);
                        }
                        new_reb = true;
                    }
                    Shock::Arbitrary { .. } | Shock::Recovery { .. } | Shock::TradeLink { .. } => {
                        tr.status = Status::Recovering;
                    }
                    Shock::LossSeries { .. } => tr.status = Status::Finished,
                }
            }
        }
        new_reb
    }

    /// Recovery of arbitrary, capital-recovery and trade-link events at step `t`: the remaining
    /// impact `d0·f(t − occurrence − duration)` (`f` the event's [`RecoveryFn`]).
    pub(super) fn recover(&mut self, t: usize, mode: Mode, monetary_factor: u64) {
        for tr in &mut self.trackers {
            if tr.status != Status::Recovering {
                continue;
            }
            let (occ, dur) = tr.occ_dur();
            let el = t - (occ + dur);
            match &tr.shock {
                Shock::Recovery {
                    damage,
                    recovery_tau,
                    recovery_function,
                    ..
                } => {
                    if tr.dmg.is_some() {
                        let round = |v| quirks::round_capital(mode, v, monetary_factor);
                        tr.dmg =
                            remaining(damage, *recovery_function, el, *recovery_tau, mode, round);
                    }
                    if tr.dmg.is_none() {
                        tr.status = Status::Finished;
                    }
                }
                Shock::Arbitrary {
                    impact,
                    recovery_tau,
                    recovery_function,
                    ..
                } => {
                    if tr.arb.is_some() {
                        let round = |v| quirks::round_arbitrary_share(mode, v);
                        tr.arb =
                            remaining(impact, *recovery_function, el, *recovery_tau, mode, round);
                    }
                    if tr.arb.is_none() {
                        tr.status = Status::Finished;
                    }
                }
                Shock::TradeLink { recovery_tau, .. } => {
                    let tau = recovery_tau.unwrap_or(0);
                    if el >= tau as usize {
                        tr.status = Status::Finished;
                    }
                }
                _ => {}
            }
        }
    }

    /// The capacity loss Δ (into `delta`) and the capital lost at step t.
    pub(super) fn capacity_loss(
        &mut self,
        t: usize,
        mode: Mode,
        base: &Baseline,
        delta: &mut [f64],
    ) -> Result<(), ModelError> {
        match mode {
            Mode::Compat => self.capacity_loss_boario(t, base, delta),
            Mode::Fixed => self.capacity_loss_fixed(t, base, delta),
        }
    }

    /// Compat mode (quirks 1, 6 and 7): `Δ = max(capital lost / K, the previous step's
    /// arbitrary loss)`; an arbitrary event alongside another crashes; while an arbitrary event
    /// is active the capital lost is unknown.
    fn capacity_loss_boario(
        &mut self,
        t: usize,
        base: &Baseline,
        delta: &mut [f64],
    ) -> Result<(), ModelError> {
        let n = base.n;
        let active: Vec<&Tracker> = self.trackers.iter().filter(|tr| tr.is_active()).collect();
        let n_arb = active.iter().filter(|tr| tr.is_arbitrary()).count();
        quirks::arbitrary_alongside_other_events(t, n_arb, active.len())?;
        self.k_lost = if quirks::capital_lost_known(n_arb) {
            let mut kl = vec![0.0; n];
            for tr in &active {
                let Some(d) = &tr.dmg else { continue };
                for (i, v) in tr.dmg_index().iter().zip(d) {
                    kl[*i] += v;
                }
            }
            Some(kl)
        } else {
            None
        };
        let k = &base.k;
        let dk: Option<Vec<f64>> = self.k_lost.as_ref().map(|kl| {
            (0..n)
                .map(|i| if k[i] != 0.0 { kl[i] / k[i] } else { 0.0 })
                .collect()
        });
        if let Some((kl, i)) = self
            .k_lost
            .as_ref()
            .and_then(|kl| (0..n).find(|&i| kl[i] > k[i]).map(|i| (kl, i)))
        {
            return Err(capital_overrun(t, kl[i], k[i], base.label(i)));
        }
        // the arbitrary loss of this step, applied at the next
        let mut arb = vec![0.0f64; n];
        for tr in &self.trackers {
            if !matches!(tr.status, Status::Happening | Status::Recovering) {
                continue;
            }
            if let (Shock::Arbitrary { impact, .. }, Some(v)) = (&tr.shock, &tr.arb) {
                for ((i, _), x) in impact.iter().zip(v) {
                    arb[*i] = arb[*i].max(*x);
                }
            }
        }
        let lagged = quirks::lagged_arbitrary_loss(&mut self.arb_lag, arb);
        match (&dk, &lagged) {
            (Some(a), Some(b)) => {
                for i in 0..n {
                    delta[i] = a[i].max(b[i]);
                }
            }
            (Some(a), None) => delta.copy_from_slice(a),
            (None, Some(b)) => delta.copy_from_slice(b),
            (None, None) => delta.fill(0.0),
        }
        Ok(())
    }

    /// Fixed mode: `Δ_i = max(arbitrary share_i, loss-series share_i, min(1, lost_i / K_i))`.
    fn capacity_loss_fixed(
        &mut self,
        t: usize,
        base: &Baseline,
        delta: &mut [f64],
    ) -> Result<(), ModelError> {
        let n = base.n;
        let mut kl = vec![0.0; n];
        delta.fill(0.0);
        for tr in &self.trackers {
            if !tr.is_active() {
                continue;
            }
            match (&tr.shock, &tr.arb, &tr.dmg) {
                (Shock::Arbitrary { impact, .. }, Some(v), _) => {
                    for ((i, _), x) in impact.iter().zip(v) {
                        delta[*i] = delta[*i].max(*x);
                    }
                }
                (
                    Shock::LossSeries {
                        industries,
                        start,
                        shares,
                    },
                    _,
                    _,
                ) => {
                    let d = t - start;
                    let row = &shares[d * industries.len()..(d + 1) * industries.len()];
                    for (i, x) in industries.iter().zip(row) {
                        delta[*i] = delta[*i].max(*x);
                    }
                }
                (_, _, Some(d)) => {
                    for (i, v) in tr.dmg_index().iter().zip(d) {
                        kl[*i] += v;
                    }
                }
                _ => {}
            }
        }
        let k = &base.k;
        for i in 0..n {
            if kl[i] > k[i] * (1.0 + 1e-12) {
                return Err(capital_overrun(t, kl[i], k[i], base.label(i)));
            }
            let dk = if k[i] != 0.0 {
                (kl[i] / k[i]).min(1.0)
            } else {
                0.0
            };
            delta[i] = delta[i].max(dk);
        }
        self.k_lost = Some(kl);
        Ok(())
    }

    /// Trade-link multipliers in force at step t, `m[(a·S + s)·R + b]` (`None` when no link is
    /// cut).
    pub(super) fn link_multipliers(&self, t: usize, n_r: usize, n_s: usize) -> Option<Vec<f64>> {
        let mut m: Option<Vec<f64>> = None;
        for tr in &self.trackers {
            let Shock::TradeLink {
                links,
                share,
                occurrence,
                duration,
                recovery_tau,
            } = &tr.shock
            else {
                continue;
            };
            let phi = match tr.status {
                Status::Happening => *share,
                Status::Recovering => {
                    let el = t - (occurrence + duration);
                    let tau = recovery_tau.unwrap_or(0) as f64;
                    if tau > 0.0 {
                        share * (1.0 - el as f64 / tau).max(0.0)
                    } else {
                        0.0
                    }
                }
                _ => 0.0,
            };
            if phi <= 0.0 {
                continue;
            }
            let mv = m.get_or_insert_with(|| vec![1.0; n_r * n_s * n_r]);
            for (a, s, b) in links {
                mv[(a * n_s + s) * n_r + b] *= 1.0 - phi;
            }
        }
        m
    }

    /// Rebuilding demand at the start of step t: each event's columns are kept, zeroed or
    /// refreshed ([`quirks::rebuild_columns`]), then `rb_dem_i = Σ` of row i's columns.
    pub(super) fn refresh_rebuild_demand(
        &mut self,
        t: usize,
        mode: Mode,
        new_reb: bool,
        rb_dem: &mut [f64],
    ) -> Result<(), ModelError> {
        let any_rebuilding = self
            .trackers
            .iter()
            .any(|tr| tr.status == Status::Rebuilding);
        for tr in &mut self.trackers {
            let status = tr.status;
            let Some(rb) = tr.rebuild.as_mut() else {
                continue;
            };
            let standing = RebuildStanding {
                started_now: new_reb,
                any_rebuilding,
                has_rebuilt: rb.id.is_some(),
                rebuilding: status == Status::Rebuilding,
                finished: status == Status::Finished,
            };
            match quirks::rebuild_columns(mode, t, standing)? {
                RebuildColumns::Keep => {}
                RebuildColumns::Zero => rb.model_cols.fill(0.0),
                RebuildColumns::Refresh => {
                    let f = 1.0 / rb.tau as f64;
                    for (m, r) in rb.model_cols.iter_mut().zip(&rb.remaining) {
                        *m = r * f;
                    }
                }
            }
        }
        rb_dem.fill(0.0);
        for tr in &self.trackers {
            let Some(rb) = &tr.rebuild else { continue };
            let nc = rb.cols.len();
            for (q, &i) in rb.rows.iter().enumerate() {
                rb_dem[i] += rb.model_cols[q * nc..(q + 1) * nc].iter().sum::<f64>();
            }
        }
        Ok(())
    }

    /// Rebuilding deliveries after production (proportional rationing, as every demand):
    /// `del = (Rb[j,c] / D_j)·x_j`, taken off the columns and, while rebuilding, off the
    /// remaining demand; `rb_prod_j = Σ_c del`.
    pub(super) fn deliver_rebuilding(&mut self, dem: &[f64], x: &[f64], rb_prod: &mut [f64]) {
        rb_prod.fill(0.0);
        for tr in &mut self.trackers {
            let Some(rb) = tr.rebuild.as_mut() else {
                continue;
            };
            let nc = rb.cols.len();
            for (q, &i) in rb.rows.iter().enumerate() {
                let d = dem[i];
                let mut sum = 0.0;
                for c in 0..nc {
                    let k = q * nc + c;
                    let del = if d != 0.0 {
                        (rb.model_cols[k] / d) * x[i]
                    } else {
                        0.0
                    };
                    sum += del;
                    rb.model_cols[k] -= del;
                    if tr.status == Status::Rebuilding {
                        rb.remaining[k] -= del;
                    }
                }
                rb_prod[i] += sum;
            }
        }
    }

    /// Rebuilding progress at the end of a step: the remaining demand (clamped at 0) becomes
    /// the damage still to recover (`Σ_rows remaining / factor`), or the event finishes.
    pub(super) fn rebuild_progress(&mut self, mode: Mode, monetary_factor: u64) {
        for tr in &mut self.trackers {
            if tr.status != Status::Rebuilding {
                continue;
            }
            let Some(rb) = tr.rebuild.as_mut() else {
                continue;
            };
            let mut total = 0.0;
            for v in rb.remaining.iter_mut() {
                *v = quirks::round_capital(mode, *v, monetary_factor);
                if *v < 0.0 {
                    *v = 0.0;
                }
                total += *v;
            }
            let init_total: f64 = match &tr.shock {
                Shock::Rebuild { damage, factor, .. } => {
                    damage.iter().map(|(_, d)| d).sum::<f64>() * factor
                }
                _ => 0.0,
            };
            if quirks::rebuild_finished(mode, total, init_total) {
                tr.dmg = None;
                tr.status = Status::Finished;
            } else {
                let nc = rb.cols.len();
                let mut d = vec![0.0; nc];
                for q in 0..rb.rows.len() {
                    for c in 0..nc {
                        d[c] += rb.remaining[q * nc + c];
                    }
                }
                for v in d.iter_mut() {
                    *v /= rb.factor;
                }
                tr.dmg = Some(d);
            }
        }
    }
}

/// The impacts left of `initial` after `el` recovery steps, `d0·f(el)` each (then `round`ed,
/// quirk 4), or `None` once the recovery is over.
fn remaining(
    initial: &[(usize, f64)],
    f: RecoveryFn,
    el: usize,
    tau: u32,
    mode: Mode,
    round: impl Fn(f64) -> f64,
) -> Option<Vec<f64>> {
    let v: Vec<f64> = initial
        .iter()
        .map(|(_, d0)| round(f.eval(*d0, el, tau)))
        .collect();
    (!quirks::recovery_finished(mode, &v, initial, f, el, tau)).then_some(v)
}

/// The rebuilding demand of a rebuild shock: sector s's share of the damage to industry c is
/// split among the regions in proportion to their flows into c,
/// `remaining[(r, s), c] = share_s · damage_c · factor · Z0[(r,s),c] / Σ_r' Z0[(r',s),c]`.
fn rebuild_state(shock: &Shock, base: &Baseline, mode: Mode) -> RebuildState {
    let Shock::Rebuild {
        damage,
        rebuild_tau,
        sectors,
        factor,
        ..
    } = shock
    else {
        unreachable!("rebuild_state of a rebuild shock only");
    };
    let (n, n_r, n_s) = (base.n, base.n_r, base.n_s);
    let rows: Vec<usize> = (0..n_r)
        .flat_map(|r| sectors.iter().map(move |(s, _)| r * n_s + s))
        .collect();
    let cols: Vec<usize> = damage.iter().map(|(i, _)| *i).collect();
    let nc = cols.len();
    let mut remaining = vec![0.0; rows.len() * nc];
    for (si, (s, share)) in sectors.iter().enumerate() {
        for (c, (j, d)) in damage.iter().enumerate() {
            let tot: f64 = (0..n_r).map(|r| base.z0[(r * n_s + s) * n + j]).sum();
            let demand = (share * d) * factor;
            for r in 0..n_r {
                let w = base.z0[(r * n_s + s) * n + j];
                let mut dist = w / tot;
                if !dist.is_finite() {
                    dist = quirks::rebuild_share_without_flow(mode, n_r);
                }
                remaining[(r * sectors.len() + si) * nc + c] = demand * dist;
            }
        }
    }
    RebuildState {
        model_cols: vec![0.0; remaining.len()],
        rows,
        cols,
        remaining,
        tau: *rebuild_tau,
        factor: *factor,
        id: None,
    }
}

fn capital_overrun(step: usize, lost: f64, capital: f64, label: String) -> ModelError {
    ModelError::Crash {
        step,
        message: format!("capital lost {lost} exceeds productive capital {capital} of {label}"),
    }
}
