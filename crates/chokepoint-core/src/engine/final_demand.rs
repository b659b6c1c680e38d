//! Step 6, stockpiles, recycling and final demand. Active releases move up to their rate from
//! the strategic stockpile into stock (only while days of cover are below the trigger, if one
//! is set); active recycling adds its day's supply to stock (`Recycle::on`). Thrifting levers
//! in force then update their triggers from today's prices (`event::thrifting`). Final demand
//!
//! ```text
//! D = D0 · (1 + growth)^(t/365) · Π shocks · (P / P_start)^(−ε) · Π_levers f_d
//! ```
//!
//! (f_d = 1 without a triggered thrifting lever) is served from stock; what cannot be served is lost (recorded as unmet demand). Active
//! purchases then move up to their rate from stock into the stockpile. [`DemandTerms`] takes
//! each power once per distinct growth rate and (price, elasticity) pair a day.

use super::state::{DemandTerms, Engine, Policy};
use crate::model::{Day, RegionId, World};
use crate::network::Network;

impl DemandTerms {
    pub fn new(world: &World, net: &Network) -> DemandTerms {
        let mut t = DemandTerms::default();
        for d in &world.demands {
            let pi = net.price_of[net.node(d.region, d.product)];
            let rate = match t
                .rates
                .iter()
                .position(|g| g.to_bits() == d.growth.to_bits())
            {
                Some(k) => k,
                None => {
                    t.rates.push(d.growth);
                    t.rates.len() - 1
                }
            };
            let e = d.elasticity;
            let pair = match t
                .pairs
                .iter()
                .position(|&(i, x)| i == pi && x.to_bits() == e.to_bits())
            {
                Some(k) => k,
                None => {
                    t.pairs.push((pi, e));
                    t.pairs.len() - 1
                }
            };
            t.rate_of.push(rate as u32);
            t.pair_of.push(pair as u32);
            let n = net.node(d.region, d.product);
            t.node_of.push(n as u32);
            t.nodes.push(n);
        }
        t.nodes.sort_unstable();
        t.nodes.dedup();
        t
    }
}

impl Engine<'_> {
    pub(super) fn serve_final_demand(&mut self) {
        self.release_stockpiles();
        if !self.state.policy.rules.recycling.is_empty() {
            self.recycle();
        }
        if !self.controls.thrifts.is_empty() {
            self.trigger_thrifts();
        }
        self.serve_demand();
        self.buy_stockpiles();
    }

    fn release_stockpiles(&mut self) {
        for rel in &self.state.policy.rules.releases {
            let n = rel.node;
            let cover = self.cover(n, self.state.stocks.stock[n]);
            if !rel.triggered(cover, self.state.market.price[self.net.price_of[n]]) {
                continue;
            }
            let stocks = &mut self.state.stocks;
            let q = rel.rate.min(stocks.strategic[n]);
            if q > 0.0 {
                if self.state.origins.no > 0 {
                    self.state.origins.release(n, stocks.stock[n], q);
                }
                stocks.strategic[n] -= q;
                stocks.stock[n] += q;
                self.state.today.nodes[n].release += q;
            }
        }
    }

    fn recycle(&mut self) {
        let day = self.state.day;
        for i in 0..self.state.policy.rules.recycling.len() {
            let r = self.state.policy.rules.recycling[i];
            let q = r.on(day);
            if q <= 0.0 {
                continue;
            }
            let n = r.node;
            let st = &mut self.state;
            if st.origins.no > 0 {
                let region = RegionId((n / self.net.np) as u32);
                let home = self.origin_index.slot_of[self.scenario.world.home(region).ix()];
                st.origins.recycle(n, st.stocks.stock[n], home, q);
            }
            st.stocks.stock[n] += q;
            st.today.nodes[n].recycled += q;
        }
    }

    /// Updates each thrifting lever in force from today's prices and sets f_d per demand row
    /// (module docs, `event::thrifting`).
    fn trigger_thrifts(&mut self) {
        let world = &self.scenario.world;
        let nd = world.demands.len();
        let day = self.state.day;
        let price = &self.state.market.price;
        let Policy {
            rules,
            thrift_run,
            thrift_since,
            thrift_kept,
            ..
        } = &mut self.state.policy;
        thrift_kept.iter_mut().for_each(|k| *k = 1.0);
        for &t in &rules.thrifts {
            let lever = self.controls.thrifts[t as usize];
            for (i, d) in world.demands.iter().enumerate() {
                if !lever.covers(world, d) {
                    continue;
                }
                let k = t as usize * nd + i;
                let p = price[self.net.price_of[self.net.node(d.region, lever.price_of)]];
                thrift_run[k] = if p > lever.price {
                    thrift_run[k] + 1
                } else {
                    0
                };
                if thrift_since[k] == Day::MAX && thrift_run[k] > lever.lag_days {
                    thrift_since[k] = day;
                }
                if thrift_since[k] != Day::MAX {
                    thrift_kept[i] *= lever.kept(thrift_since[k], day);
                }
            }
        }
    }

    /// Final demand per node, served proportionally across end uses.
    fn serve_demand(&mut self) {
        let world = &self.scenario.world;
        let st = &mut self.state;
        let years = st.day as f64 / 365.0;
        let sc = &mut st.scratch;
        let mut wanted = std::mem::take(&mut sc.wanted);
        // All zero between days: only the demand nodes are written, and they are reset below.
        wanted.resize(self.net.nr * self.net.np, 0.0);
        let terms = &self.demand_terms;
        let mut growth = std::mem::take(&mut sc.growth);
        growth.clear();
        growth.extend(terms.rates.iter().map(|g| (1.0 + g).powf(years)));
        let mut response = std::mem::take(&mut sc.response);
        response.clear();
        let market = &st.market;
        response.extend(terms.pairs.iter().map(|&(pi, e)| {
            // x^0 = 1 exactly, so inelastic demand skips the power.
            if e == 0.0 {
                1.0
            } else {
                (market.price[pi] / market.price0[pi]).powf(-e)
            }
        }));
        let mult = &st.policy.rules.demand;
        let kept = &st.policy.thrift_kept;
        for (i, d) in world.demands.iter().enumerate() {
            let n = terms.node_of[i] as usize;
            let grown = growth[terms.rate_of[i] as usize];
            let mut q = d.quantity * grown * mult[i] * response[terms.pair_of[i] as usize];
            if let Some(&f) = kept.get(i)
                && f < 1.0
            {
                st.today.nodes[n].thrifted += q * (1.0 - f);
                q *= f;
            }
            wanted[n] += q;
        }
        sc.growth = growth;
        sc.response = response;
        // The demand nodes in node order: every other node wants nothing and was skipped.
        for &n in &terms.nodes {
            let w = std::mem::take(&mut wanted[n]);
            if w <= 0.0 {
                continue;
            }
            let served = w.min(st.stocks.stock[n]);
            st.stocks.stock[n] -= served;
            if st.origins.no > 0 {
                st.origins.consume(n, served);
            }
            let nd = &mut st.today.nodes[n];
            if st.draws.records {
                nd.consumption += served;
            }
            nd.need += w;
            nd.unmet += w - served;
        }
        sc.wanted = wanted;
    }

    fn buy_stockpiles(&mut self) {
        for buy in &self.state.policy.rules.purchases {
            let n = buy.node;
            let price = self.state.market.price[self.net.price_of[n]];
            let stocks = &mut self.state.stocks;
            let q = buy.wanted(stocks.strategic[n], price).min(stocks.stock[n]);
            if q > 0.0 {
                if self.state.origins.no > 0 {
                    self.state.origins.purchase(n, stocks.strategic[n], q);
                }
                stocks.stock[n] -= q;
                stocks.strategic[n] += q;
                self.state.today.nodes[n].purchase += q;
            }
        }
    }

    /// Days of cover of a stock at node `n` against its baseline need.
    pub(super) fn cover(&self, n: usize, stock: f64) -> f64 {
        if self.net.need0[n] > 0.0 {
            stock / self.net.need0[n]
        } else {
            f64::INFINITY
        }
    }
}
