//! Step 5b, allocation: a facility's output is shared over its order book and shipped. Offtake
//! orders are served first (proportionally), then the rest by the supplier region's rationing
//! rule: proportional (one tier: everyone gets the same fraction of its outstanding orders),
//! domestic-first (own region, then the rest) or ally-priority (own region, then members of the
//! named group, then the rest); within a tier, buyers of higher allocation priority (a
//! cohort's `priority`) first; proportional within a priority, FIFO within a link. Order-book
//! quantities are exact fixed point, so what ships is exactly what the lines lose; a licence
//! counts as shipped once at most `EPS` of it is left. A shipment arrives after the link's
//! transit days (today when 0). An offtake served below its price floor pays the difference
//! (recorded as a top-up).

use super::super::state::{EPS, Engine, State};
use crate::event::Day;
use crate::model::{ProductId, Rationing, RegionId};
use crate::network::Network;
use crate::order_book::Shipped;

impl Engine<'_> {
    /// Shares `made` of product `p` from region `r` over the order book and ships it.
    pub(super) fn allocate(&mut self, r: RegionId, p: ProductId, made: f64) {
        let world = &self.scenario.world;
        let n = self.net.node(r, p);
        let mut claims = std::mem::take(&mut self.state.scratch.claims);
        let mut left = made;
        // Offtake orders first, proportionally (most books have none).
        claims.clear();
        let book = &self.state.orders.book;
        let offtake = if self.net.links_from[n]
            .iter()
            .any(|&l| book[l].has_offtake())
        {
            claims.extend(
                self.net.links_from[n]
                    .iter()
                    .map(|&l| (l, book[l].offtake_total())),
            );
            self.serve_tier(&claims, left, true, p)
        } else {
            0.0
        };
        left -= offtake;
        // Book totals are as production saw them unless offtake lines just shipped.
        let fresh = offtake == 0.0;
        // Tier of each link: 0 offtake (handled above), then by rationing rule; proportional
        // rationing has one tier, domestic-first two.
        let tiers = match &self.state.policy.rules.rationing[r.ix()] {
            Rationing::Proportional => 1,
            Rationing::DomesticFirst => 2,
            Rationing::AllyPriority(_) => 3,
        };
        let levels = self.net.priorities.len();
        if tiers == 1 && fresh && levels == 1 {
            // The common case: one tier of every link, claims as production read them.
            self.serve_every_link(n, left);
            self.state.scratch.claims = claims;
            return;
        }
        for (tier, level) in (1..=tiers).flat_map(|t| (0..levels).map(move |k| (t, k))) {
            if left <= EPS {
                break;
            }
            let priority = self.net.priorities[level];
            let rule = &self.state.policy.rules.rationing[r.ix()];
            let tier_of = |l: usize| -> u8 {
                let to = world.links[l].to;
                match rule {
                    Rationing::Proportional => 1,
                    Rationing::DomesticFirst => {
                        if world.home(to) == world.home(r) {
                            1
                        } else {
                            2
                        }
                    }
                    Rationing::AllyPriority(g) => {
                        if world.home(to) == world.home(r) {
                            1
                        } else if world.in_group(to, g) {
                            2
                        } else {
                            3
                        }
                    }
                }
            };
            claims.clear();
            let (book, totals) = (&self.state.orders.book, &self.state.scratch.book_total);
            for &l in &self.net.links_from[n] {
                if (tiers == 1 || tier_of(l) == tier)
                    && world.regions[world.links[l].to.ix()].priority == priority
                {
                    claims.push((l, if fresh { totals[l] } else { book[l].total() }));
                }
            }
            left -= self.serve_tier(&claims, left, false, p);
        }
        self.state.scratch.claims = claims;
    }

    /// [`Engine::serve_tier`] of one tier holding every link out of node `n`, each claiming
    /// its book total as production read it (no offtake line shipped today, so there is none
    /// on these books): the same shipments, without building the list of claims.
    fn serve_every_link(&mut self, n: usize, avail: f64) {
        let st = &mut self.state;
        let day = st.day;
        let links = &self.net.links_from[n];
        let total: f64 = links.iter().map(|&l| st.scratch.book_total[l]).sum();
        if total <= EPS || avail <= EPS {
            return;
        }
        let frac = (avail / total).min(1.0);
        // Taken out while shipping changes the state, and put back.
        let totals = std::mem::take(&mut st.scratch.book_total);
        for &l in links {
            let claim = totals[l];
            if claim <= 0.0 {
                continue;
            }
            let sent = take_share(st, l, claim, frac, false, day);
            debug_assert_eq!(sent.offtake, 0.0);
            ship_on(st, &self.net, l, sent.total);
        }
        st.scratch.book_total = totals;
    }

    /// Serves the claims of one tier proportionally from `avail`; returns the quantity shipped.
    fn serve_tier(
        &mut self,
        claims: &[(usize, f64)],
        avail: f64,
        offtake_only: bool,
        p: ProductId,
    ) -> f64 {
        let total: f64 = claims.iter().map(|c| c.1).sum();
        if total <= EPS || avail <= EPS {
            return 0.0;
        }
        let day = self.state.day;
        let frac = (avail / total).min(1.0);
        let mut shipped_total = 0.0;
        for &(l, claim) in claims {
            if claim <= 0.0 {
                continue;
            }
            let (floor, price) = if offtake_only {
                let from = self.scenario.world.links[l].from;
                let segment = self.net.price_of[self.net.node(from, p)];
                (
                    self.state.policy.rules.links[l].offtake_floor,
                    self.state.market.price[segment],
                )
            } else {
                (0.0, 0.0)
            };
            let sent = take_share(&mut self.state, l, claim, frac, offtake_only, day);
            if sent.offtake > 0.0 {
                self.state.records.topup[l] += (floor - price).max(0.0) * sent.offtake * 1000.0;
            }
            ship_on(&mut self.state, &self.net, l, sent.total);
            shipped_total += sent.total;
        }
        shipped_total
    }
}

/// Takes link `l`'s part of a tier served at fraction `frac` of its claims from its book (only
/// offtake lines with `offtake_only`): whole lines when the tier is served in full, otherwise
/// first in, first out up to `claim · frac`, telling each licence what is left of it.
// Inlined into the per-link loops that call it (2-3 million calls a 10-path run): the call
// and the `match` on constant flags cost more than its usual work, one book total moved.
#[inline(always)]
fn take_share(
    st: &mut State,
    l: usize,
    claim: f64,
    frac: f64,
    offtake_only: bool,
    day: Day,
) -> Shipped {
    let (book, licences) = (&mut st.orders.book[l], &mut st.licences.filed);
    let all = frac >= 1.0 && !offtake_only;
    let give = if frac >= 1.0 {
        f64::INFINITY
    } else {
        claim * frac
    };
    // Without records nothing reads an approved licence again: skip visiting them.
    match (all, st.draws.records) {
        (true, true) => book.ship_all(|li| {
            licences[li].remaining = 0.0;
            licences[li].shipped.get_or_insert(day);
        }),
        (true, false) => book.ship_all(|_| {}),
        (false, true) => book.ship_fifo(give, offtake_only, |t| {
            let lic = &mut licences[t.licence];
            lic.remaining = t.remaining;
            // Rationing by a fraction a hair below 1 leaves dust (≤ EPS) on the line: the
            // licence has shipped for every purpose but the last 1e-12.
            if t.remaining <= EPS {
                lic.shipped.get_or_insert(day);
            }
        }),
        (false, false) => book.ship_fifo(give, offtake_only, |_| {}),
    }
}

/// Ships `q` on link `l` today: it leaves the seller's book (done by the caller) and arrives
/// after the link's transit days (today when 0).
// Inlined for the same reason as `take_share`.
#[inline(always)]
fn ship_on(st: &mut State, net: &Network, l: usize, q: f64) {
    if q <= 0.0 {
        return;
    }
    st.orders.on_order[l] -= q;
    // The link's first shipment today: its arrival slot is still empty (see below).
    let first = st.today.shipped[l] == 0.0;
    st.today.shipped[l] += q;
    let records = st.draws.records;
    if records {
        st.today.nodes[net.seller_node[l]].shipped += q;
    }
    let transit = net.transit_days[l] as usize;
    let stocks = &mut st.stocks;
    if transit == 0 {
        let to = net.buyer_node[l];
        if st.origins.no > 0 {
            st.origins
                .deliver(net.seller_node[l], to, stocks.stock[to], q);
        }
        stocks.stock[to] += q;
        if records {
            st.today.nodes[to].arrivals += q;
            st.records.arrived[l] += q;
        }
    } else {
        // transit < ring_len: one wrap at most, without a division.
        let mut slot = stocks.day_slot + transit;
        if slot >= stocks.ring_len {
            slot -= stocks.ring_len;
        }
        let entry = slot * net.transit_days.len() + l;
        if st.origins.no > 0 {
            st.origins
                .dispatch(net.seller_node[l], entry, stocks.ring[entry], q);
        }
        // A link's shipments of one day all arrive on one day, whose slot last held the
        // arrivals of `ring_len` days before and was emptied then, so the day's first shipment
        // finds +0.0 and 0.0 + q = q: a store, without waiting for the entry's old value (the
        // ring is large and that load missed the cache more often than any other in the step).
        if first {
            debug_assert_eq!(stocks.ring[entry].to_bits(), 0);
            stocks.ring[entry] = q;
        } else {
            stocks.ring[entry] += q;
        }
        stocks.in_transit[l] += q;
    }
}
