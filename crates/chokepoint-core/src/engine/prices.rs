//! Step 9, prices per (segment, product). With `gap` the segment's stock shortfall against
//! the stock its buyers aim for today, as a fraction of it, and `τ̄` the need- and
//! share-weighted tariff on the segment's supply,
//!
//! ```text
//! gap = Σ_n max(0, N̂_n·d_n − stock_n) / Σ_n N̂_n·d_n      (n: the segment's stocked nodes)
//! P*  = P0 · (1 + τ̄) · exp(κ · gap)
//! P   ← P + (P* − P) / adjust_days
//! ```
//!
//! with `N̂` the 7-day average of the usage the node's users want (as in the order-up-to rule
//! of step 7) and `d` its target days of cover. Measured against the baseline stock instead,
//! an exporter's own chain that controls idle (its users want less and let their stocks run
//! down with it) read as scarcity: China's Dy oxide rose 1.9x in May 2025 in the model where
//! SMM's quotes were flat (issue 17, docs/calibration.md).
//!
//! Segments split when controls bite: the exporter's own segment keeps its stock and its price,
//! the rest of the world's gap opens and its price rises. The run starts at `P*` without the
//! scarcity term ([`Engine::target_prices`] with `baseline`).

use super::state::Engine;

impl Engine<'_> {
    /// Target prices per (segment, product) into `out`; with `baseline`, the scarcity term is
    /// left out.
    pub(super) fn target_prices(&mut self, baseline: bool, out: &mut Vec<f64>) {
        let world = &self.scenario.world;
        let np = self.net.np;
        let ns = self.net.n_segments;
        let st = &mut self.state;
        let sc = &mut st.scratch;
        for v in [&mut sc.gap_num, &mut sc.gap_den, &mut sc.tar_num] {
            v.clear();
            v.resize(ns * np, 0.0);
        }
        for &n in &self.net.lists.stocked {
            let s = self.net.price_of[n];
            // The stock the node's buyers aim for today (their order-up-to rule's cover of the
            // usage they now want), not the baseline's: a stock that falls because its users
            // want less (an exporter's chain idled by controls) is no scarcity.
            let t = st.orders.need_avg[n] * self.net.target_days[n];
            sc.gap_num[s] += (t - st.stocks.stock[n]).max(0.0);
            sc.gap_den[s] += t;
        }
        // Untariffed links add +0.0, which changes no sum.
        let rules = &st.policy.rules;
        for &l in &rules.tariffed {
            let n = self.net.buyer_node[l];
            sc.tar_num[self.net.price_of[n]] +=
                self.net.need0[n] * st.orders.shares[l] * rules.links[l].tariff;
        }
        let need_den = &self.need_den;
        out.clear();
        out.extend((0..ns * np).map(|s| {
            let prod = &world.products[s % np];
            let tau = if need_den[s] > 0.0 {
                sc.tar_num[s] / need_den[s]
            } else {
                0.0
            };
            let gap = if baseline || sc.gap_den[s] <= 0.0 {
                0.0
            } else {
                sc.gap_num[s] / sc.gap_den[s]
            };
            // exp(0) = 1 exactly: most segments have no inventory gap on most days.
            let scarcity = if gap == 0.0 {
                1.0
            } else {
                (prod.price_response * gap).exp()
            };
            prod.price * (1.0 + tau) * scarcity
        }));
    }

    pub(super) fn update_prices(&mut self) {
        let mut target = std::mem::take(&mut self.state.scratch.target);
        self.target_prices(false, &mut target);
        let np = self.net.np;
        let products = &self.scenario.world.products;
        for (s, &t) in target.iter().enumerate() {
            let adj = products[s % np].price_adjust_days.max(1.0);
            let p = &mut self.state.market.price[s];
            *p += (t - *p) / adj;
        }
        self.state.scratch.target = target;
    }
}
