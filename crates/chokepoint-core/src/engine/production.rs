//! Step 5, production and allocation, products in topological order (inputs first) so that a
//! region's own upstream output is usable downstream the same day. A facility makes
//!
//! ```text
//! q = min(order book, capacity, inputs available / recipe)
//! ```
//!
//! Within a production level, facilities of one region share its input stocks in proportion
//! to their claims ([`Engine::make_planned`]); whatever a recipe could not make is offered to
//! the recipes in priority order ([`Engine::substitute`]); the recipe mix adapts toward recipes
//! whose inputs are there. The output is then shared over the order book and shipped
//! (`production/allocation.rs`). Order-book lines to a destination a ban now covers are
//! cancelled first.

mod allocation;

use super::state::{EPS, Engine};
use crate::model::{ProductId, RegionId};

impl Engine<'_> {
    /// Production level by level (inputs before outputs).
    pub(super) fn produce_and_ship(&mut self) {
        let np = self.net.np;
        let nl = self.net.transit_days.len();
        self.state.scratch.book_total.resize(nl, 0.0);
        let mut jobs = std::mem::take(&mut self.state.scratch.jobs);
        let mut made = std::mem::take(&mut self.state.scratch.made);
        for lv in 0..self.net.levels.len() {
            if self.state.policy.rules.any_banned {
                self.cancel_banned(lv);
            }
            // Targets of every facility of this level.
            jobs.clear();
            for &(n, f) in &self.net.level_facilities[lv] {
                // Kept for the allocation: only this node's allocation changes these books.
                let (book, totals) = (&self.state.orders.book, &mut self.state.scratch.book_total);
                let wanted: f64 = self.net.links_from[n]
                    .iter()
                    .map(|&l| {
                        totals[l] = book[l].total();
                        totals[l]
                    })
                    .sum();
                let cap = self.state.plants.capacity[f];
                if self.state.draws.records {
                    self.state.today.nodes[n].capacity = cap;
                }
                let target = wanted.min(cap);
                if target > EPS {
                    let (r, p) = (n / np, n % np);
                    jobs.push((f, RegionId(r as u32), ProductId(p as u32), target));
                }
            }
            self.claim_inputs(&jobs);
            made.clear();
            for &(f, r, _, target) in &jobs {
                made.push(self.make_planned(f, r, target));
            }
            self.release_claims(&jobs);
            // Substitution from what is left, then shipping.
            for (j, &(f, r, p, target)) in jobs.iter().enumerate() {
                let extra = self.substitute(f, r, target - made[j]);
                let mut total = (made[j] + extra).min(target);
                let n = self.net.node(r, p);
                if self.state.origins.no > 0 {
                    total = self.trace_output(n, f, total);
                }
                self.state.today.nodes[n].production = total;
                if total > EPS {
                    self.allocate(r, p, total);
                }
            }
            self.state.origins.draws.clear();
        }
        self.state.scratch.jobs = jobs;
        self.state.scratch.made = made;
    }

    /// Cancels the order-book lines of level `lv`'s products on banned links.
    fn cancel_banned(&mut self, lv: usize) {
        let orders = &mut self.state.orders;
        let rules = &self.state.policy.rules;
        for &p in &self.net.levels[lv] {
            for r in 0..self.net.nr {
                let n = self.net.node(RegionId(r as u32), p);
                for &l in &self.net.links_from[n] {
                    if rules.links[l].banned {
                        let q = orders.book[l].cancel_all();
                        orders.on_order[l] -= q;
                    }
                }
            }
        }
    }

    /// Adds each job's planned input use to its region's claims on that input.
    fn claim_inputs(&mut self, jobs: &[(usize, RegionId, ProductId, f64)]) {
        let (np, world) = (self.net.np, &self.scenario.world);
        let claims = &mut self.state.scratch.input_claims;
        for &(f, r, _, target) in jobs {
            for (k, &(rec, _)) in self.net.recipe_mix0[f].iter().enumerate() {
                let plan = target * self.state.plants.mix[f][k];
                for &(i, c) in &world.recipes[rec].inputs {
                    claims[r.ix() * np + i.ix()] += c * plan;
                }
            }
        }
    }

    /// Clears the level's claims and the stocks they were measured against.
    fn release_claims(&mut self, jobs: &[(usize, RegionId, ProductId, f64)]) {
        let (np, world) = (self.net.np, &self.scenario.world);
        let sc = &mut self.state.scratch;
        for &(f, r, _, _) in jobs {
            for &(rec, _) in &self.net.recipe_mix0[f] {
                for &(i, _) in &world.recipes[rec].inputs {
                    sc.input_claims[r.ix() * np + i.ix()] = 0.0;
                    sc.claim_stock[r.ix() * np + i.ix()] = f64::NAN;
                }
            }
        }
    }

    /// First pass of production at facility `f`: recipe k is planned for `target · m_k` and
    /// gets the fraction `φ_i = min(1, stock_i / claims_i)` of each input's claim, fixed at the
    /// level's start so that facilities sharing an input are served in proportion. It makes
    /// `plan_k · min_i φ_i`. Needs are booked from the plans; input i is short by
    /// `c_ik · plan_k · (1 − φ_i)`. The recipe mix then adapts: with availability
    /// `a_k = min_i min(1, stock_i / max(claim_i, c_ik · target · max(m_k, m0_k)))`,
    /// `A = Σ m0_k a_k` and `G` the recipes with `a_k ≥ ½`,
    /// `w_k = m0_k a_k + (1 − A)·[k ∈ G]/|G|` and `m ← (1 − λ) m + λ w`, which pulls the mix
    /// toward the baseline and away from recipes whose inputs are missing.
    fn make_planned(&mut self, f: usize, r: RegionId, target: f64) -> f64 {
        let world = &self.scenario.world;
        let np = self.net.np;
        let mix0 = &self.net.recipe_mix0[f];
        if mix0.is_empty() {
            return target; // primary production (mining, recycling feed): no inputs
        }
        let base = r.ix() * np;
        let keep = self.keeps_draws();
        let st = &mut self.state;
        let sc = &mut st.scratch;
        let phi = |claims: &[f64], claim_stock: &[f64], ni: usize| -> f64 {
            let claim = claims[ni];
            if claim > 0.0 {
                (claim_stock[ni] / claim).min(1.0)
            } else {
                1.0
            }
        };
        let mut made = 0.0;
        // `Σ m0_k a_k` and the recipes with `a_k ≥ ½`, as the availabilities are found.
        let (mut a_total, mut good) = (0.0, 0);
        // Availability per recipe: on the stack for the usual one to four recipes (a `Vec`
        // push per facility and day cost more than the arithmetic), else in the scratch buffer.
        let mut few = [0.0; 4];
        let mut many = Vec::new();
        let avail: &mut [f64] = if mix0.len() <= few.len() {
            &mut few[..mix0.len()]
        } else {
            many = std::mem::take(&mut sc.avail);
            many.clear();
            many.resize(mix0.len(), 0.0);
            &mut many
        };
        for (k, &(rec, m0)) in mix0.iter().enumerate() {
            let m = st.plants.mix[f][k];
            let plan = target * m;
            let inputs = &world.recipes[rec].inputs;
            let mut a: f64 = 1.0;
            let mut frac: f64 = 1.0;
            for &(i, c) in inputs {
                let ni = base + i.ix();
                // The stock the input had when the level started: the first facility to look
                // fixes it (this one's earlier recipes only used inputs already fixed).
                if sc.claim_stock[ni].is_nan() {
                    sc.claim_stock[ni] = st.stocks.stock[ni];
                }
                let reference = sc.input_claims[ni].max(c * target * m.max(m0));
                let have = sc.claim_stock[ni];
                a = a.min(if reference > 0.0 {
                    (have / reference).min(1.0)
                } else {
                    1.0
                });
                frac = frac.min(phi(&sc.input_claims, &sc.claim_stock, ni));
            }
            avail[k] = a;
            a_total += m0 * a;
            good += usize::from(a >= 0.5);
            if plan <= EPS {
                continue;
            }
            let q = plan * frac;
            for &(i, c) in inputs {
                let ni = base + i.ix();
                let use_ = (c * q).min(st.stocks.stock[ni]);
                st.stocks.stock[ni] -= use_;
                let short = c * plan * (1.0 - phi(&sc.input_claims, &sc.claim_stock, ni));
                if st.origins.no > 0 {
                    st.origins
                        .draw(f, ni, self.origin_index.weight[i.ix()], use_);
                    if keep {
                        st.origins.draws.push((f, ni, use_, c * plan, short));
                    }
                }
                let nd = &mut st.today.nodes[ni];
                if st.draws.records {
                    nd.consumption += use_;
                }
                nd.need += c * plan;
                nd.unmet += short;
            }
            made += q;
        }
        let lambda = self.scenario.settings.adaptation_rate;
        let avail = &*avail;
        if good > 0 && lambda > 0.0 {
            let mix = &mut st.plants.mix[f];
            for (k, &(_, m0)) in mix0.iter().enumerate() {
                let bonus = if avail[k] >= 0.5 {
                    (1.0 - a_total) / good as f64
                } else {
                    0.0
                };
                let w = m0 * avail[k] + bonus;
                mix[k] = (1.0 - lambda) * mix[k] + lambda * w;
            }
        }
        if !many.is_empty() {
            sc.avail = many;
        }
        made
    }

    /// Second pass: makes up to `short` more with whatever inputs are left, recipes in
    /// priority order (substitution). Returns the quantity made.
    fn substitute(&mut self, f: usize, r: RegionId, short: f64) -> f64 {
        if short <= EPS || self.net.recipe_mix0[f].is_empty() {
            return 0.0;
        }
        let world = &self.scenario.world;
        let base = r.ix() * self.net.np;
        let keep = self.keeps_draws();
        let st = &mut self.state;
        let mut left = short;
        for &(rec, _) in &self.net.recipe_mix0[f] {
            let inputs = &world.recipes[rec].inputs;
            let q = inputs
                .iter()
                .map(|&(i, c)| st.stocks.stock[base + i.ix()] / c)
                .fold(left, f64::min)
                .max(0.0);
            if q <= EPS {
                continue;
            }
            for &(i, c) in inputs {
                let ni = base + i.ix();
                let use_ = (c * q).min(st.stocks.stock[ni]);
                st.stocks.stock[ni] -= use_;
                if st.draws.records {
                    st.today.nodes[ni].consumption += use_;
                }
                if st.origins.no > 0 {
                    st.origins
                        .draw(f, ni, self.origin_index.weight[i.ix()], use_);
                    if keep {
                        st.origins.draws.push((f, ni, use_, 0.0, 0.0));
                    }
                }
            }
            left -= q;
        }
        short - left
    }
}
