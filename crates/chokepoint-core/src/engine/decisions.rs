//! Step 4, licence decisions: the applications whose decision day is today are decided as
//! drawn when they were filed, under the approval odds in force on their day
//! ([`Engine::reconsider_pending`], run in step 1 when the rules change). An approval puts the
//! licensed quantity in the supplier's order book (so a licence never ships before its
//! decision day); a denial cancels it, and the buyer re-sources through its supplier shares
//! (step 8).

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

    /// A decision is made under the licensing regime in force on its day. Regimes change only
    /// on a day an event starts or ends, so on such a day every pending application whose link
    /// is now governed by another regime of its exporter (one that replaced the regime it was
    /// filed under; a re-export clause's on a third country's route) takes that regime's
    /// approval odds for its destination and end use, after the approval uplifts that were in
    /// force on its filing day (a lever counts the applications filed in its window). With the
    /// uniform `u` drawn at filing, `approve = u < p_new`: a later regime's better (worse) odds
    /// turn denials into approvals (or back) without another draw, and equal odds keep the
    /// outcome. The decision day stays the one drawn at filing, under the lead time of the
    /// queue the application joined. An application whose link no regime of its exporter
    /// governs today (a general licence, a ban, the controls lifted) keeps its odds.
    pub(super) fn reconsider_pending(&mut self) {
        let (world, controls) = (&self.scenario.world, &self.controls);
        let rules = &self.state.policy.rules;
        // The regime of `regime`'s exporter that governs `link` today, if it is another one.
        let successor = |link: usize, regime: u32| {
            let exporter = controls.regimes[regime as usize].licensing.exporter;
            let rule = &rules.links[link];
            let own = rule.licensing.filter(|_| !rule.general);
            let reexport = rule.reexport.iter().filter_map(|r| r.licensing);
            own.into_iter()
                .chain(reexport)
                .find(|&r| controls.regimes[r as usize].licensing.exporter == exporter)
                .filter(|&r| r != regime)
        };
        let licences = &mut self.state.licences;
        if self.state.draws.defer {
            // A Monte Carlo opening draws the deferred applications when a path starts, under
            // the regime they were filed under, so none may wait across a change of regime
            // undrawn: the paths start before it.
            let d = &mut self.state.draws;
            let filed = &licences.filed;
            if d.deferred
                .iter()
                .any(|&i| successor(filed[i].link, filed[i].regime).is_some())
            {
                d.earliest_decision = d.earliest_decision.min(self.state.day);
            }
            return;
        }
        for d in licences.decisions.iter_mut().flatten() {
            let lic = &mut licences.filed[d.licence];
            let Some(r) = successor(d.link, lic.regime) else {
                continue;
            };
            let (_, p) = controls.odds_on(world, &self.net, r, d.link, lic.end_use, lic.filed);
            lic.regime = r;
            lic.approve = lic.draw < p;
            d.approve = lic.approve;
        }
    }
}
