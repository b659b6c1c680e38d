//! Step 3, orders received and licensing: yesterday's orders reach their suppliers. An order to
//! a banned destination is rejected; beyond an export quota's remaining allowance (quotas count
//! accepted quantity per period from their start) the excess is rejected; under a licensing
//! regime it becomes a licence application (split by the buyer's end-use mix when the regime
//! has end-use rules, pooled per `batch-days` window when it batches), with its decision day
//! and outcome drawn now from the path's generator ([`Engine::decide_later`]; a Monte Carlo
//! opening defers the draw, [`Engine::deferring_draws`]); otherwise it joins the order book.
//! Batches are filed at the end of each batch window since their regime started.

use super::state::{Decision, EPS, Engine, Licence};
use crate::event::Day;
use crate::event::licensing::{draw_decision, earliest_delay};
use crate::order_book::Order;
use crate::record::LicenceOutcome;

impl Engine<'_> {
    pub(super) fn receive_orders(&mut self) {
        // The links whose inbox holds orders, ascending; receiving files or books orders but
        // puts none in an inbox, so a word is cleared before its links are visited.
        for w in 0..self.state.orders.inbox_open.len() {
            let mut bits = std::mem::take(&mut self.state.orders.inbox_open[w]);
            while bits != 0 {
                let l = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                // Taken out while filing (which needs the whole state) and put back empty, so
                // that tomorrow's orders reuse its allocation.
                let mut orders = std::mem::take(&mut self.state.orders.inbox[l]);
                for o in orders.drain(..) {
                    self.receive(l, o);
                }
                self.state.orders.inbox[l] = orders;
            }
        }
        if self.state.licences.batches_open > 0 {
            self.file_due_batches();
        }
    }

    /// Receives one order on link `l`: rejects what a ban or quota does not allow, then files
    /// or books the rest.
    fn receive(&mut self, l: usize, mut o: Order) {
        let day = self.state.day;
        let (policy, orders) = (&mut self.state.policy, &mut self.state.orders);
        let rule = &policy.rules.links[l];
        if rule.banned {
            orders.on_order[l] -= o.qty;
            return;
        }
        // Quotas: accept up to the tightest remaining allowance.
        let mut allowed = o.qty;
        for &q in &rule.quotas {
            let q = q as usize;
            let (period, released) = self.controls.quotas[q].allowance(day);
            if period != policy.quota_period[q] {
                policy.quota_period[q] = period;
                policy.quota_used[q] = 0.0;
            }
            allowed = allowed.min((released - policy.quota_used[q]).max(0.0));
        }
        if allowed < o.qty {
            orders.on_order[l] -= o.qty - allowed;
            o.qty = allowed;
        }
        if o.qty <= EPS {
            orders.on_order[l] -= o.qty;
            return;
        }
        for &q in &rule.quotas {
            policy.quota_used[q as usize] += o.qty;
        }
        // Licensing applies to every export order, offtakes included.
        match rule.licensing {
            Some(regime) => self.file_applications(l, regime, o.qty, true),
            None => orders.book[l].push(o),
        }
    }

    /// Files the batches whose window ends today; a batch left over when its regime ends (or
    /// stops batching) is filed or booked at once.
    fn file_due_batches(&mut self) {
        let day = self.state.day;
        let ne = self.net.end_uses.len().max(1);
        for l in 0..self.net.transit_days.len() {
            if self.state.licences.batches_open == 0 {
                break;
            }
            let regime = self.state.policy.rules.links[l].licensing.map(|r| {
                let regime = &self.controls.regimes[r as usize];
                (r, regime.start, regime.licensing.batch_days)
            });
            let due = match regime {
                Some((_, start, b)) if b > 0 => (day - start + 1).is_multiple_of(b),
                _ => true,
            };
            if !due {
                continue;
            }
            for e in 0..ne {
                let q = std::mem::take(&mut self.state.licences.batches[l * ne + e]);
                if q == 0.0 {
                    continue;
                }
                self.state.licences.batches_open -= 1;
                if q <= EPS {
                    self.state.orders.on_order[l] -= q;
                    continue;
                }
                match regime {
                    Some((r, _, _)) => self.file_one(l, r, q, e),
                    None => self.state.orders.book[l].push(Order {
                        qty: q,
                        licence: None,
                        offtake: false,
                    }),
                }
            }
        }
    }

    /// Splits an order by the buyer's end-use mix when the regime has end-use rules, and files
    /// one application per part, or batches it when the regime batches and `batching` (a
    /// re-export clause files at once: a batch is filed under the link's own regime, which a
    /// third country's link does not have).
    pub(super) fn file_applications(&mut self, link: usize, regime: u32, qty: f64, batching: bool) {
        let lic = self.controls.regimes[regime as usize].licensing;
        let batch_days = if batching { lic.batch_days } else { 0 };
        if lic.end_uses.is_empty() && batch_days == 0 {
            // One application for the whole order, filed now (the usual regime).
            self.file_one(link, regime, qty, usize::MAX);
            return;
        }
        let l = &self.scenario.world.links[link];
        let n = self.net.node(l.to, l.product);
        let ne = self.net.end_uses.len().max(1);
        let mut parts = std::mem::take(&mut self.state.scratch.parts);
        parts.clear();
        if lic.end_uses.is_empty() || self.net.need0[n] <= 0.0 {
            parts.push((usize::MAX, qty));
        } else {
            let mix = &self.net.end_use_need0[n];
            let tot: f64 = mix.iter().sum();
            parts.extend(
                mix.iter()
                    .enumerate()
                    .filter(|(_, v)| **v > 0.0)
                    .map(|(e, v)| (e, qty * v / tot)),
            );
        }
        for &(e, q) in &parts {
            if batch_days > 0 {
                let slot = if e == usize::MAX { 0 } else { e };
                let licences = &mut self.state.licences;
                let b = &mut licences.batches[link * ne + slot];
                if *b == 0.0 {
                    licences.batches_open += 1;
                }
                *b += q;
            } else {
                self.file_one(link, regime, q, e);
            }
        }
        self.state.scratch.parts = parts;
    }

    /// Files one application of `qty` on `link` under `regime` for end-use slot `end_use`
    /// (`usize::MAX`: none), and draws (or defers) its decision.
    fn file_one(&mut self, link: usize, regime: u32, qty: f64, end_use: usize) {
        let day = self.state.day;
        let lic = self.controls.regimes[regime as usize].licensing;
        let end_use = if end_use == usize::MAX || lic.end_uses.is_empty() {
            u32::MAX
        } else {
            end_use as u32
        };
        let idx = self.state.licences.filed.len();
        self.state.licences.filed.push(Licence {
            link,
            regime,
            end_use,
            quantity: qty,
            filed: day,
            decide: Day::MAX,
            approve: false,
            draw: 0.0,
            outcome: LicenceOutcome::Pending,
            shipped: None,
            remaining: qty,
        });
        if self.state.draws.defer {
            let world = &self.scenario.world;
            let terms = self
                .controls
                .terms_on(world, &self.net, regime, link, end_use);
            let earliest = day.saturating_add(earliest_delay(terms));
            let draws = &mut self.state.draws;
            draws.earliest_decision = draws.earliest_decision.min(earliest);
            draws.deferred.push(idx);
        } else {
            self.decide_later(idx);
        }
        let r = &mut self.state.records;
        r.applied[link] += 1;
        r.pending[link] += 1;
        r.seen[link] = true;
    }

    /// Draws licence `idx`'s outcome and decision day from the path's generator and queues it
    /// for that day.
    pub(super) fn decide_later(&mut self, idx: usize) {
        let (world, controls) = (&self.scenario.world, &self.controls);
        let lic = &self.state.licences.filed[idx];
        let (terms, p) = controls.odds_on(
            world,
            &self.net,
            lic.regime,
            lic.link,
            lic.end_use,
            lic.filed,
        );
        let draws = &mut self.state.draws;
        draws.drawn += 1;
        let (u, wait) = draw_decision(terms, &mut draws.rng);
        let approve = u < p;
        let licences = &mut self.state.licences;
        let lic = &mut licences.filed[idx];
        lic.approve = approve;
        lic.draw = u;
        lic.decide = lic.filed + wait;
        // The queue starts at today, or at tomorrow once today's decisions are made; a licence
        // filed today waits `wait` days (at least until tomorrow when filed after them).
        let mut first = self.state.day;
        if licences.decided_today {
            first += 1;
            lic.decide = lic.decide.max(first);
        }
        let k = (lic.decide - first) as usize;
        let decision = Decision {
            licence: idx,
            link: lic.link,
            approve,
            quantity: lic.remaining,
        };
        while licences.decisions.len() <= k {
            licences.decisions.push_back(Vec::new());
        }
        licences.decisions[k].push(decision);
    }
}
