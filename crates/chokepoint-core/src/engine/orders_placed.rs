//! Step 7, orders placed. Each node with suppliers orders up to
//!
//! ```text
//! S = N̂ · (target_days + L̄),   L̄ = Σ_l s_l · (transit_l + 1)
//! ```
//!
//! against its position `stock + in transit + on order` (on order includes pending licences and
//! batches), where N̂ is a 7-day exponential average of today's wanted usage (final demand,
//! inputs for wanted production and stockpile purchases). Offtake volumes are ordered first
//! regardless of position; the rest of `max(0, S − position)` is split by the current shares.
//! With a qualification time (`qualification-days`), a new supplier (a link with a zero
//! baseline share) gets no orders until that many days after the buyer first gave it a share
//! (the day it was first tried); until then the rest is split over the qualified links,
//! `q_l = gap · s_l / Σ_{qualified} s`.
//! The smoothed quantities ordered from and shipped by each link (memory `fill-memory-days`)
//! are updated for step 8.

use super::state::{EPS, Engine, Orders, Policy};
use crate::event::Day;
use crate::order_book::Order;

impl Engine<'_> {
    pub(super) fn place_orders(&mut self) {
        let alpha = 1.0 / 7.0;
        // Tomorrow's rules are today's unless an event starts or ends tomorrow.
        let book_now = self.state.policy.change_days.last() != Some(&(self.state.day + 1));
        let fill_alpha = 1.0 / self.scenario.settings.fill_memory_days.max(1.0);
        let day = self.state.day;
        let qualification = &self.qualification;
        let st = &mut self.state;
        let (orders, policy) = (&mut st.orders, &st.policy);
        let rules = &policy.rules;
        for &n in &self.net.lists.buying {
            let links = &self.net.links_into[n];
            // Today's wanted usage: final demand and inputs for the wanted output, plus purchases.
            let mut usage = st.today.nodes[n].need;
            for buy in &rules.purchases {
                if buy.node == n {
                    let price = st.market.price[self.net.price_of[n]];
                    usage += buy.wanted(st.stocks.strategic[n], price);
                }
            }
            orders.need_avg[n] += alpha * (usage - orders.need_avg[n]);
            let (mut lead, mut pipeline) = (0.0, 0.0);
            for &l in links {
                lead += orders.shares[l] * (self.net.transit_days[l] as f64 + 1.0);
                pipeline += st.stocks.in_transit[l] + orders.on_order[l];
            }
            let level = orders.need_avg[n] * (self.net.target_days[n] + lead);
            let position = st.stocks.stock[n] + pipeline;
            let mut gap = (level - position).max(0.0);
            // Offtakes are ordered regardless of position.
            for o in &rules.offtakes {
                if o.node == n {
                    let order = Order {
                        qty: o.rate,
                        licence: None,
                        offtake: true,
                    };
                    send_order(orders, policy, o.link, order, book_now);
                    orders.on_order[o.link] += o.rate;
                    orders.ordered_avg[o.link] += o.rate;
                    gap = (gap - o.rate).max(0.0);
                }
            }
            let qualified_share = if qualification.is_empty() {
                1.0
            } else {
                qualify(orders, qualification, links, day)
            };
            for &l in links {
                let q = if qualification.is_empty() {
                    gap * orders.shares[l]
                } else if qualified(orders, qualification, l, day) && qualified_share > 0.0 {
                    gap * orders.shares[l] / qualified_share
                } else {
                    0.0
                };
                if q > EPS {
                    let order = Order {
                        qty: q,
                        licence: None,
                        offtake: false,
                    };
                    send_order(orders, policy, l, order, book_now);
                    orders.on_order[l] += q;
                }
                let shipped = st.today.shipped[l];
                orders.ordered_avg[l] += fill_alpha * (q - orders.ordered_avg[l]);
                orders.shipped_avg[l] += fill_alpha * (shipped - orders.shipped_avg[l]);
            }
        }
    }
}

/// Sends an order placed today to link `l`'s supplier, who receives it tomorrow (step 3).
/// Where no ban, quota or licensing applies and tomorrow's rules are today's (`book_now`),
/// receiving it would only book it, so it goes on the book at once: nothing reads or changes
/// the book before tomorrow's step 3, so the book is the same.
fn send_order(orders: &mut Orders, policy: &Policy, l: usize, o: Order, book_now: bool) {
    if book_now && policy.rules.plain[l] && o.qty > EPS {
        orders.book[l].push(o);
    } else {
        orders.inbox[l].push(o);
        orders.inbox_open[l / 64] |= 1 << (l % 64);
    }
}

/// Marks the new suppliers among `links` that buyers give a share to for the first time today
/// as tried, and returns the shares of the qualified links summed.
fn qualify(orders: &mut Orders, qualification: &[u32], links: &[usize], day: Day) -> f64 {
    let mut sum = 0.0;
    for &l in links {
        if qualification[l] > 0 && orders.tried[l] == Day::MAX && orders.shares[l] > 0.0 {
            orders.tried[l] = day;
        }
        if qualified(orders, qualification, l, day) {
            sum += orders.shares[l];
        }
    }
    sum
}

/// Whether link `l`'s supplier takes orders today: no qualification time, or that many days
/// since it was first tried.
fn qualified(orders: &Orders, qualification: &[u32], l: usize, day: Day) -> bool {
    let (need, tried) = (qualification[l], orders.tried[l]);
    need == 0 || (tried != Day::MAX && day >= tried.saturating_add(need))
}
