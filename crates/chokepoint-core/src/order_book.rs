//! The order book of one link: [`OrderBook`] holds the supplier's open [`Order`] lines in
//! arrival order (FIFO) together with two running totals, all lines and offtake lines.
//!
//! World scenarios leave tens of thousands of lines open under export licensing, and production
//! needs the totals of every book every day. Adding the lines up each day was most of a run's
//! time; the totals are now kept as lines come, shrink and go. They are kept exactly, in the
//! fixed point of [`crate::exact`] (`Σ_i fixed(qty_i)`, updated by `fixed(new) − fixed(old)` when
//! a line changes), so a total never drifts from its lines however long the run, and it is the
//! same whatever order the lines were added in.

use crate::exact::{fixed, to_f64};
use std::collections::VecDeque;

/// One line of a supplier's order book.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Order {
    pub qty: f64,
    /// The licence this line ships under, if it needed one.
    pub licence: Option<usize>,
    /// Part of an offtake agreement (served before the rationing tiers).
    pub offtake: bool,
}

/// Open order lines of one link, oldest first, with exact totals.
#[derive(Debug, Default)]
pub(crate) struct OrderBook {
    lines: VecDeque<Order>,
    /// `Σ fixed(qty)` over all lines and over offtake lines.
    all: i128,
    offtake: i128,
}

impl Clone for OrderBook {
    fn clone(&self) -> Self {
        OrderBook {
            lines: self.lines.clone(),
            all: self.all,
            offtake: self.offtake,
        }
    }

    /// Reuses this book's line buffer (a Monte Carlo worker restarts its engine every path).
    fn clone_from(&mut self, src: &Self) {
        self.lines.clone_from(&src.lines);
        self.all = src.all;
        self.offtake = src.offtake;
    }
}

impl OrderBook {
    pub fn push(&mut self, o: Order) {
        let q = fixed(o.qty);
        self.all += q;
        if o.offtake {
            self.offtake += q;
        }
        self.lines.push_back(o);
    }

    /// Total quantity on the book.
    pub fn total(&self) -> f64 {
        to_f64(self.all)
    }

    /// Whether any offtake line is open.
    pub fn has_offtake(&self) -> bool {
        self.offtake != 0
    }

    /// Total quantity of the offtake lines.
    pub fn offtake_total(&self) -> f64 {
        to_f64(self.offtake)
    }

    /// Removes every line; returns the quantity they held.
    pub fn cancel_all(&mut self) -> f64 {
        let q = self.total();
        self.lines.clear();
        self.all = 0;
        self.offtake = 0;
        q
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn line(&self, i: usize) -> &Order {
        &self.lines[i]
    }

    pub fn iter(&self) -> impl Iterator<Item = &Order> {
        self.lines.iter()
    }

    /// Ships every line, oldest first, calling `each` on it; returns the quantity shipped
    /// (the lines' quantities added in FIFO order).
    pub fn ship_all(&mut self, mut each: impl FnMut(&Order)) -> f64 {
        let mut sent = 0.0;
        for o in self.lines.drain(..) {
            sent += o.qty;
            each(&o);
        }
        self.all = 0;
        self.offtake = 0;
        sent
    }

    /// Ships `take` from line `i`; a line left with nothing is removed. Returns whether it was.
    pub fn take_from(&mut self, i: usize, take: f64) -> bool {
        let o = &mut self.lines[i];
        let before = fixed(o.qty);
        o.qty -= take;
        let after = if o.qty <= 0.0 { 0 } else { fixed(o.qty) };
        self.all += after - before;
        if o.offtake {
            self.offtake += after - before;
        }
        let done = o.qty <= 0.0;
        if done {
            if i == 0 {
                self.lines.pop_front();
            } else {
                self.lines.remove(i);
            }
        }
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::SCALE;

    fn line(qty: f64, offtake: bool) -> Order {
        Order {
            qty,
            licence: None,
            offtake,
        }
    }

    #[test]
    fn totals_follow_the_lines_exactly() {
        let mut b = OrderBook::default();
        for k in 0..1000 {
            b.push(line(0.1 * k as f64 + 1e-7, k % 3 == 0));
        }
        for k in 0..700 {
            let i = k % b.len().max(1);
            let q = b.line(i).qty;
            b.take_from(i, if k % 2 == 0 { q } else { q / 3.0 });
        }
        let recount: i128 = b.iter().map(|o| fixed(o.qty)).sum();
        let recount_off: i128 = b.iter().filter(|o| o.offtake).map(|o| fixed(o.qty)).sum();
        assert_eq!(b.all, recount);
        assert_eq!(b.offtake, recount_off);
        let float: f64 = b.iter().map(|o| o.qty).sum();
        assert!((b.total() - float).abs() <= 1e-12 * float);
        assert!((b.total() - b.all as f64 / SCALE).abs() <= 1e-15 * b.total());
        assert_eq!(to_f64(-3 << 64), -3.0);
        assert_eq!(to_f64((-3 << 64) + (1 << 63)), -2.5);
        assert!(b.cancel_all() > 0.0);
        assert_eq!((b.len(), b.total(), b.offtake_total()), (0, 0.0, 0.0));
    }
}
