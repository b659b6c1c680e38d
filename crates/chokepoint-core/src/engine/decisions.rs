//! Step 4, licence decisions: the applications whose decision day is today are decided as
//! drawn when they were filed. An approval puts the licensed quantity in the supplier's order
//! book (so a licence never ships before its decision day); a denial cancels it, and the
//! buyer re-sources through its supplier shares (step 8).

use super::state::Engine;
use crate::order_book::Order;
use crate::record::LicenceOutcome;

impl Engine<'_> {
    pub(super) fn decide_licences(&mut self) {
        let st = &mut self.state;
        st.licences.decided_today = true;
        let Some(mut due) = st.licences.decisions.pop_front() else {
            return;
        };
        for d in &due {
            let l = d.link;
            st.records.pending[l] -= 1;
            // Only records read a licence's outcome and remainder after its decision.
            if st.draws.records {
                let lic = &mut st.licences.filed[d.licence];
                debug_assert_eq!(lic.decide, st.day);
                debug_assert_eq!(lic.remaining.to_bits(), d.quantity.to_bits());
                if d.approve {
                    lic.outcome = LicenceOutcome::Approved;
                } else {
                    lic.outcome = LicenceOutcome::Denied;
                    lic.remaining = 0.0;
                }
            }
            if d.approve {
                st.records.approved[l] += 1;
                st.orders.book[l].push(Order {
                    qty: d.quantity,
                    licence: Some(d.licence),
                    offtake: false,
                });
            } else {
                st.records.denied[l] += 1;
                st.orders.on_order[l] -= d.quantity;
            }
        }
        // Today's list, emptied, serves a later day (no allocation per decision day).
        due.clear();
        st.licences.decisions.push_back(due);
    }
}
