//! Step 2, arrivals: the shipments due today leave the pipeline and enter the buyer's
//! commercial stock (with their origin shares, when origins are traced).

use super::state::Engine;

impl Engine<'_> {
    pub(super) fn receive_arrivals(&mut self) {
        let nl = self.net.buyer_node.len();
        let st = &mut self.state;
        let stocks = &mut st.stocks;
        let slot = st.day as usize % stocks.ring_len;
        stocks.day_slot = slot;
        let records = st.draws.records;
        for (l, q) in stocks.ring[slot * nl..(slot + 1) * nl]
            .iter_mut()
            .enumerate()
        {
            let q = std::mem::take(q);
            if q > 0.0 {
                let n = self.net.buyer_node[l];
                if st.origins.no > 0 {
                    st.origins.arrive(n, stocks.stock[n], slot * nl + l, q);
                }
                stocks.stock[n] += q;
                stocks.in_transit[l] -= q;
                if records {
                    st.today.nodes[n].arrivals += q;
                    st.records.arrived[l] += q;
                }
            }
        }
    }
}
