//! [`Engine::audit`]: cross-checks the bookkeeping the engine keeps incrementally (what is on
//! order and in transit per link) against a recount from the order books, inboxes, pending
//! licences, batches and the arrival schedule. Property tests call it every day.

use super::state::Engine;
use crate::record::LicenceOutcome;

impl Engine<'_> {
    /// On-order per link = inbox + order book + pending licences + batches, and in-transit per
    /// link = the shipments still scheduled to arrive. Returns the first mismatch.
    pub fn audit(&self) -> Result<(), String> {
        assert!(
            self.state.draws.records,
            "an engine without records cannot be audited"
        );
        let st = &self.state;
        let ne = self.net.end_uses.len().max(1);
        let nl = self.net.transit_days.len();
        // One pass over the licences, not one per link: world scenarios file thousands.
        let mut pending_by_link = vec![0.0; nl];
        for x in &st.licences.filed {
            if x.outcome == LicenceOutcome::Pending {
                pending_by_link[x.link] += x.remaining;
            }
        }
        let (orders, stocks) = (&st.orders, &st.stocks);
        for (l, &pending) in pending_by_link.iter().enumerate() {
            orders.book[l]
                .check()
                .map_err(|e| format!("link {l}: {e}"))?;
            let book = orders.book[l].total();
            let recount = orders.inbox[l].iter().map(|o| o.qty).sum::<f64>()
                + book
                + pending
                + st.licences.batches[l * ne..(l + 1) * ne]
                    .iter()
                    .sum::<f64>();
            let tol = 1e-9 * (1.0 + recount.abs() + self.net.flow0[l]);
            if (recount - orders.on_order[l]).abs() > tol {
                return Err(format!(
                    "link {l}: on order {} but recount {recount}",
                    orders.on_order[l]
                ));
            }
            let scheduled: f64 = (0..stocks.ring_len)
                .map(|slot| stocks.ring[slot * nl + l])
                .sum();
            if (scheduled - stocks.in_transit[l]).abs() > tol {
                return Err(format!(
                    "link {l}: in transit {} but scheduled {scheduled}",
                    stocks.in_transit[l]
                ));
            }
        }
        Ok(())
    }
}
