//! Step 8, supplier shares move toward suppliers that deliver. With `Ō_l` and `S̄_l` the
//! exponential averages of quantity ordered from and shipped by link l (step 7),
//!
//! ```text
//! f_l = min(1, S̄_l / Ō_l)   (1 when nothing was ordered)
//! F   = Σ s_l f_l,   G = { l : f_l ≥ ½ }
//! w_l = s_l f_l + (1 − F) · [l ∈ G] / |G|
//! s_l ← (1 − λ) s_l + λ w_l          (λ = adaptation-rate)
//! ```
//!
//! Shares keep summing to one. A zero-share candidate link counts as delivering until it is
//! tried, so buyers discover alternative suppliers; if none delivers, shares stay put.

use super::state::Engine;

impl Engine<'_> {
    pub(super) fn adapt_shares(&mut self) {
        let lambda = self.scenario.settings.adaptation_rate;
        if lambda <= 0.0 {
            return;
        }
        let st = &mut self.state;
        let (orders, spill) = (&mut st.orders, &mut st.scratch.fill);
        // Fill rates on the stack for up to eight suppliers (a `Vec` per node and day cost more
        // than the arithmetic), else in the scratch buffer.
        let mut few = [0.0; 8];
        for &n in &self.net.lists.multi_sourced {
            let links = &self.net.links_into[n];
            let fill: &mut [f64] = if links.len() <= few.len() {
                &mut few[..links.len()]
            } else {
                spill.resize(links.len(), 0.0);
                &mut spill[..]
            };
            let idle = 1e-9 * (1.0 + self.net.need0[n]);
            // Fill rates, their share-weighted sum and the delivering links in one pass.
            let (mut big_f, mut good) = (0.0, 0);
            for (f, &l) in fill.iter_mut().zip(links) {
                let o = orders.ordered_avg[l];
                *f = if o <= idle {
                    1.0
                } else {
                    (orders.shipped_avg[l] / o).min(1.0)
                };
                big_f += orders.shares[l] * *f;
                good += usize::from(*f >= 0.5);
            }
            let fill = &*fill;
            if good == 0 {
                continue;
            }
            for (&l, &f) in links.iter().zip(fill) {
                let bonus = if f >= 0.5 {
                    (1.0 - big_f) / good as f64
                } else {
                    0.0
                };
                let w = orders.shares[l] * f + bonus;
                orders.shares[l] = (1.0 - lambda) * orders.shares[l] + lambda * w;
            }
        }
    }
}
