//! One step (day) of the model, [`Model::step`], as its phases in order; each phase is one
//! method here, the streams over `Z0` are in `passes` and the events' course in `shocks`.
//!
//! ```text
//! 1. events       statuses, recovery, capacity loss Δ, rebuilding demand Rb, trade links m;
//!                 value added as BoARIO records it: x(t−1) − inputs ordered
//! 2. demand       D_i = Σ_f O[i,f] + Σ_c Y0[i,c] + Σ Rb[i,·]
//! 3. α            fixed: sc = max(0, (D − x)/D); α ← α + (α_max − α)·sc/τ_α if sc > 1e-9,
//!                 else α + (α_base − α)/τ_α; α ≥ α_base   (compat: quirks::overproduction_boario)
//! 4. production   x̄ = X0·(1 − Δ)·α; x* = min(D, x̄); x = x*·min(1, min_s Ω/(ψ·inv·T·x*))
//! 5. distribution every demand gets E/D·x (rebuilding first); inventories, goal and orders
//!                 in the fused pass, with the compat switches settled after it
//! 6. final demand what the (re-sourced) final demand did not get: unmet and undistributed
//! 7. record       the sink sees the step
//! 8. end          rebuilding progress, compat recovery, t + 1
//! ```

use super::params::{Mode, OrderType};
use super::passes::FusedOut;
use super::quirks;
use super::state::Model;
use crate::error::ModelError;
use crate::record::{Sink, StepView};

impl Model {
    /// One step: the phases listed in this module's documentation, in order. A crash (where
    /// BoARIO would stop) is an error; so is a failing sink.
    pub fn step(&mut self, sink: &mut dyn Sink) -> Result<(), ModelError> {
        let m_now = self.apply_events()?;
        self.total_demand();
        self.update_overproduction();
        self.produce()?;
        self.prepare_distribution();
        self.distribute_and_order(m_now.as_deref())?;
        self.distribute_final_demand();
        self.record(sink)?;
        self.end_step(m_now);
        Ok(())
    }

    /// Phase 1, events: statuses, recovery (fixed mode: at the start of the step), capacity loss,
    /// rebuilding demand, trade-link multipliers (returned) and the final demand they
    /// re-source; inventories at the start of the step (when recorded) and value added.
    fn apply_events(&mut self) -> Result<Option<Vec<f64>>, ModelError> {
        let (t, mode) = (self.t, self.p.mode);
        let new_reb = self.shocks.update_statuses(t, mode);
        if !quirks::recovers_after_distribution(mode) {
            self.shocks.recover(t, mode, self.p.monetary_factor);
        }
        self.shocks
            .capacity_loss(t, mode, &self.base, &mut self.delta)?;
        self.shocks
            .refresh_rebuild_demand(t, mode, new_reb, &mut self.rb_dem)?;
        // compat mode refuses trade links (quirk 10), so it never has multipliers
        let m_now = self
            .shocks
            .link_multipliers(t, self.base.n_r, self.base.n_s);
        self.apply_fd_links(m_now.as_deref());
        if self.record_stocks {
            self.stock_start.clear();
            self.stock_start.extend_from_slice(&self.stock);
        }
        // value added as recorded by BoARIO: previous production − inputs ordered
        for f in 0..self.base.n {
            self.va[f] = self.x[f] - self.col_orders[f];
        }
        Ok(m_now)
    }

    /// Phase 2, demand: intermediate demand from the previous step's fused pass (else a pass over
    /// `Z0`), plus final demand and rebuilding demand.
    fn total_demand(&mut self) {
        if self.od_ready {
            std::mem::swap(&mut self.od, &mut self.od_next);
            self.od_ready = false;
        } else {
            self.pass_demand();
        }
        let fd = self.y_eff.is_some();
        for i in 0..self.base.n {
            let fdi = if fd {
                self.fd_eff_tot(i)
            } else {
                self.base.fd_tot[i]
            };
            self.dem[i] = self.od[i] + fdi + self.rb_dem[i];
        }
    }

    /// Phase 3, overproduction α (compat: quirk 2).
    fn update_overproduction(&mut self) {
        match self.p.mode {
            Mode::Compat => {
                let n = self.base.n;
                let forced = self
                    .overrides
                    .as_ref()
                    .and_then(|o| o.alpha_relaxed.get(self.t))
                    .and_then(|v| v.as_deref())
                    .filter(|v| v.len() == n);
                let relaxed = quirks::overproduction_boario(
                    self.t,
                    &self.p,
                    &self.dem,
                    &self.x,
                    &mut self.alpha,
                    forced,
                    self.log_alpha_relaxed,
                );
                if self.log_alpha_relaxed {
                    self.switches.alpha_relaxed.push(relaxed);
                }
            }
            Mode::Fixed => {
                let tau = 1.0 / self.p.alpha_tau as f64;
                for i in 0..self.base.n {
                    let d = self.dem[i];
                    let sc = if d > 0.0 {
                        ((d - self.x[i]) / d).max(0.0)
                    } else {
                        0.0
                    };
                    let a = self.alpha[i];
                    let a = if sc > 1e-9 {
                        a + (self.p.alpha_max - a) * sc * tau
                    } else {
                        a + (self.p.alpha_base - a) * tau
                    };
                    self.alpha[i] = a.max(self.p.alpha_base);
                }
            }
        }
    }

    /// Phase 4, production: capacity `x̄ = X0·(1 − Δ)·α`, the goal `x* = min(D, x̄)` and the
    /// production the inventories allow.
    fn produce(&mut self) -> Result<(), ModelError> {
        let n = self.base.n;
        for i in 0..n {
            let c = (self.base.x0[i] * (1.0 - self.delta[i])) * self.alpha[i];
            if c < 0.0 {
                return Err(ModelError::Crash {
                    step: self.t,
                    message: format!("negative production capacity for {}", self.base.label(i)),
                });
            }
            self.cap[i] = c;
            self.xopt[i] = self.dem[i].min(c);
        }
        // x_f = x*_f · min_s min(1, Ω[s,f]/C[s,f]) (row-wise over the S × n arrays)
        self.inventory_constraint(self.p.psi_effective());
        let rmin = &self.coef;
        for f in 0..n {
            self.x[f] = self.xopt[f] * rmin[f];
        }
        Ok(())
    }

    /// Phase 5a: before the fused pass: each supplier's delivery factor `ρ·x/D`, the weights ρ' of
    /// the orders to place, the rebuilding deliveries and the goal production
    /// `min(D', x̄)`, `D' = D` minus rebuilding deliveries (BoARIO recomputes the total after
    /// delivering; `xopt` is free after production).
    fn prepare_distribution(&mut self) {
        let n = self.base.n;
        for i in 0..n {
            let d = self.dem[i];
            self.coef[i] = if d != 0.0 {
                self.rho_o[i] * (self.x[i] / d)
            } else {
                0.0
            };
            self.rho_n[i] = match self.p.order_type {
                OrderType::Alt => {
                    if self.base.x0[i] != 0.0 {
                        self.cap[i] / self.base.x0[i]
                    } else {
                        1.0
                    }
                }
                OrderType::NoAlt => 1.0,
            };
        }
        self.shocks
            .deliver_rebuilding(&self.dem, &self.x, &mut self.rb_prod);
        let fd = self.y_eff.is_some();
        for i in 0..n {
            let fdi = if fd {
                self.fd_eff_tot(i)
            } else {
                self.base.fd_tot[i]
            };
            let d2 = self.od[i] + fdi + (self.rb_dem[i] - self.rb_prod[i]);
            self.xopt[i] = d2.min(self.cap[i]);
        }
    }

    /// Phase 5b: the fused pass (deliveries, inventories, orders, next demand) with the compat
    /// switches predicted as the previous step's decisions (or forced, on a peer replay), then
    /// the switches settled.
    fn distribute_and_order(&mut self, m_now: Option<&[f64]>) -> Result<(), ModelError> {
        let t = self.t;
        let forced = self.overrides.as_ref().map_or((None, None), |o| {
            (
                o.stock_update_skipped.get(t).copied().flatten(),
                o.gap_zeroed.get(t).copied().flatten(),
            )
        });
        let pred = if quirks::allclose_switches(self.p.mode) {
            (
                forced.0.unwrap_or(self.pred.0),
                forced.1.unwrap_or(self.pred.1),
            )
        } else {
            (false, false)
        };
        let need_zcp = self.p.order_type == OrderType::Alt || m_now.is_some() || self.m_o.is_some();
        let out = self.pass_fused(m_now, need_zcp, pred);
        self.od_ready = self.fused;
        self.settle_switches(out, pred, forced)
    }

    /// Phase 5c: the compat switches as the data decide them (or as forced): when they differ from
    /// the prediction, the S × n part of the pass is redone from `acc` (= deliveries by
    /// product) and the untouched `stock`, and the next demand takes its own pass.
    fn settle_switches(
        &mut self,
        out: FusedOut,
        pred: (bool, bool),
        forced: (Option<bool>, Option<bool>),
    ) -> Result<(), ModelError> {
        let (t, mode, n) = (self.t, self.p.mode, self.base.n);
        let switches = quirks::allclose_switches(mode);
        let sw = &mut self.switches;
        let skip = switches
            && quirks::decide(
                &mut sw.stock_update_skipped,
                &mut sw.stock_margin,
                out.close_stock,
                out.worst_stock,
                forced.0,
            );
        let stock_missed = skip != pred.0;
        let (close_gap, worst_gap) = if stock_missed {
            self.od_ready = false;
            self.switches.fused_misses += 1;
            if !skip {
                for q in 0..self.base.n_s * n {
                    let use_ = self.x[q % n] * self.base.tech[q];
                    let v = (self.stock[q] - use_) + self.acc[q];
                    quirks::negative_inventory(mode, t, v < 0.0)?;
                    self.stock_next[q] = if v < 0.0 { 0.0 } else { v };
                }
                std::mem::swap(&mut self.stock, &mut self.stock_next);
            }
            self.gap_check()
        } else {
            if !skip {
                quirks::negative_inventory(mode, t, out.neg)?;
                std::mem::swap(&mut self.stock, &mut self.stock_next);
            }
            (out.close_gap, out.worst_gap)
        };
        let sw = &mut self.switches;
        let zero_gap = switches
            && quirks::decide(
                &mut sw.gap_zeroed,
                &mut sw.gap_margin,
                close_gap,
                worst_gap,
                forced.1,
            );
        if stock_missed {
            self.orders(zero_gap);
        } else if zero_gap != pred.1 {
            // the fused pass ordered with the predicted gap switch: redo the orders
            self.od_ready = false;
            self.switches.fused_misses += 1;
            self.gap_check();
            self.orders(zero_gap);
        }
        self.pred = (skip, zero_gap);
        Ok(())
    }

    /// Final demand addressed to industry i, after trade links re-sourced it.
    fn fd_eff_tot(&self, i: usize) -> f64 {
        let nf = self.base.n_r * self.base.n_c;
        match &self.y_eff {
            Some(y) => y[i * nf..(i + 1) * nf].iter().sum(),
            None => self.base.fd_tot[i],
        }
    }

    /// Final demand with trade links re-sourced (fixed mode): for each consumer region b and
    /// product s, the demand on supplier a is scaled by `m[a,s,b]` and the lost part is
    /// re-sourced in proportion to the remaining suppliers (lost when none remains).
    fn apply_fd_links(&mut self, m: Option<&[f64]>) {
        let Some(m) = m else {
            self.y_eff = None;
            return;
        };
        let (n_r, n_s, n_c) = (self.base.n_r, self.base.n_s, self.base.n_c);
        let nf = n_r * n_c;
        let n = self.base.n;
        let y0 = &self.base.y0;
        let mut y = self.y_eff.take().unwrap_or_else(|| vec![0.0; n * nf]);
        for s in 0..n_s {
            for k in 0..nf {
                let rb = k / n_c;
                let mut tot = 0.0;
                let mut kept = 0.0;
                for ra in 0..n_r {
                    let i = ra * n_s + s;
                    let v = y0[i * nf + k];
                    tot += v;
                    kept += v * m[(ra * n_s + s) * n_r + rb];
                }
                let scale = if kept > 0.0 { tot / kept } else { 0.0 };
                for ra in 0..n_r {
                    let i = ra * n_s + s;
                    y[i * nf + k] = y0[i * nf + k] * m[(ra * n_s + s) * n_r + rb] * scale;
                }
            }
        }
        self.y_eff = Some(y);
    }

    /// Phase 6, final demand: each industry delivers `E·(x/D)` of what it was asked (E: final
    /// demand after re-sourcing); the rest of the baseline final demand is undistributed (per
    /// supplier) and unmet (per consumer region and product, as BoARIO 0.7.2 indexes it).
    fn distribute_final_demand(&mut self) {
        let n = self.base.n;
        let (n_s, n_c) = (self.base.n_s, self.base.n_c);
        let nf = self.base.n_r * n_c;
        self.fd_unmet.fill(0.0);
        for i in 0..n {
            let d = self.dem[i];
            let yrow = &self.base.y0[i * nf..(i + 1) * nf];
            let erow = self.y_eff.as_ref().map(|y| &y[i * nf..(i + 1) * nf]);
            let mut undist = 0.0;
            let si = i % n_s;
            // delivered = E·(x/D): one division per industry (BoARIO: (E/D)·x, ~1 ulp apart)
            let share = if d != 0.0 { self.x[i] / d } else { 0.0 };
            for rb in 0..self.base.n_r {
                let mut acc = 0.0;
                for k in rb * n_c..(rb + 1) * n_c {
                    let e = erow.map_or(yrow[k], |r| r[k]);
                    let unmet = yrow[k] - e * share;
                    undist += unmet;
                    acc += unmet;
                }
                self.fd_unmet[rb * n_s + si] += acc;
            }
            self.fd_undist[i] = undist;
        }
    }

    /// Phase 7: hands the step to the sink (BoARIO records before its rebuilding and recovery
    /// updates).
    fn record(&self, sink: &mut dyn Sink) -> Result<(), ModelError> {
        let view = StepView {
            step: self.t,
            regions: &self.base.regions,
            sectors: &self.base.sectors,
            production: &self.x,
            capacity: &self.cap,
            overproduction: &self.alpha,
            final_demand: &self.base.fd_tot,
            intermediate_demand: &self.od,
            rebuild_demand: &self.rb_dem,
            rebuild_prod: &self.rb_prod,
            final_demand_unmet: &self.fd_unmet,
            final_demand_undist: &self.fd_undist,
            productive_capital_lost: self.shocks.capital_lost(),
            value_added: &self.va,
            stocks: if self.record_stocks {
                Some(&self.stock_start)
            } else {
                None
            },
            limiting: if self.record_stocks {
                Some(&self.limiting)
            } else {
                None
            },
        };
        sink.record(&view).map_err(|source| ModelError::Sink {
            step: self.t,
            source,
        })
    }

    /// Phase 8, end of the step: rebuilding progress, recovery (compat mode: after distribution,
    /// quirk 1), the order weights and trade links of the orders placed become current.
    fn end_step(&mut self, m_now: Option<Vec<f64>>) {
        let (t, mode, mf) = (self.t, self.p.mode, self.p.monetary_factor);
        self.shocks.rebuild_progress(mode, mf);
        if quirks::recovers_after_distribution(mode) {
            self.shocks.recover(t, mode, mf);
        }
        std::mem::swap(&mut self.rho_o, &mut self.rho_n);
        self.m_o = m_now;
        self.t += 1;
    }
}
