//! The order book of one link: [`OrderBook`] holds the supplier's open orders, oldest first
//! (FIFO), as [`Segment`]s of exact fixed-point quantity ([`crate::exact`]), with two running
//! totals, all lines and offtake lines. An incoming [`Order`] becomes a line at the back.
//!
//! Lines are kept in fixed point (`fixed(qty)`, 2⁻⁶⁴ resolution in an `i128`), and so is
//! everything that leaves the book, so a total is always exactly the sum of its lines and a
//! shipment exactly what the lines lost, however long the run. That also makes lines
//! mergeable without changing anything: consecutive lines that carry no licence and the same
//! offtake flag are one segment, because shipping `a + b` first-in-first-out from one segment
//! takes exactly what shipping it from `a` then `b` takes. A licensed line stays a segment of
//! its own, because its licence records when the last of it shipped. World scenarios order on
//! every link every day, and a link that is short of supply used to carry one line per day of
//! backlog (up to 14,000 lines on `april-2025`); now most books are one or two segments.

use crate::exact::{fixed, to_f64};
use std::collections::VecDeque;

/// An order as placed by a buyer (step 7) or approved under a licence (step 4), before it joins
/// the supplier's book.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Order {
    pub qty: f64,
    /// The licence this line ships under, if it needed one.
    pub licence: Option<usize>,
    /// Part of an offtake agreement (served before the rationing tiers).
    pub offtake: bool,
}

/// Consecutive lines of one kind: plain or offtake lines merged, or one licensed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment {
    /// Open quantity, `Σ fixed(qty)` of its lines less what shipped (always > 0).
    qty: i128,
    licence: Option<u32>,
    offtake: bool,
}

/// What one shipment took from a licensed line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LicenceTaken {
    pub licence: usize,
    /// The quantity still open under it (0: the line is done).
    pub remaining: f64,
}

/// What a shipment took from the book.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Shipped {
    /// All of it.
    pub total: f64,
    /// The part taken from offtake lines.
    pub offtake: f64,
}

/// Open order lines of one link, oldest first, with exact totals.
#[derive(Debug, Default)]
pub(crate) struct OrderBook {
    segments: VecDeque<Segment>,
    /// `Σ qty` over all segments and over offtake segments.
    all: i128,
    offtake: i128,
    /// Segments with a licence (when none, shipping everything visits no segment).
    licensed: u32,
}

impl Clone for OrderBook {
    fn clone(&self) -> Self {
        OrderBook {
            segments: self.segments.clone(),
            all: self.all,
            offtake: self.offtake,
            licensed: self.licensed,
        }
    }

    /// Reuses this book's buffer (a Monte Carlo worker restarts its engine every path).
    fn clone_from(&mut self, src: &Self) {
        self.segments.clone_from(&src.segments);
        self.all = src.all;
        self.offtake = src.offtake;
        self.licensed = src.licensed;
    }
}

impl OrderBook {
    /// Adds `o` as the newest line (nothing when it rounds to nothing in fixed point).
    #[inline]
    pub fn push(&mut self, o: Order) {
        let q = fixed(o.qty);
        if q <= 0 {
            return;
        }
        self.all += q;
        if o.offtake {
            self.offtake += q;
        }
        let licence = o.licence.map(|i| i as u32);
        if licence.is_none()
            && let Some(back) = self.segments.back_mut()
            && back.licence.is_none()
            && back.offtake == o.offtake
        {
            back.qty += q;
            return;
        }
        self.licensed += u32::from(licence.is_some());
        self.segments.push_back(Segment {
            qty: q,
            licence,
            offtake: o.offtake,
        });
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
        self.segments.clear();
        self.all = 0;
        self.offtake = 0;
        self.licensed = 0;
        q
    }

    /// Removes every line without a licence (a re-export clause refuses them, or sends them
    /// for a licence); returns the quantity they held, exactly what the book lost.
    pub fn cancel_unlicensed(&mut self) -> f64 {
        if self.licensed == 0 {
            return self.cancel_all();
        }
        let before = self.all;
        self.segments.retain(|s| s.licence.is_some());
        self.all = self.segments.iter().map(|s| s.qty).sum();
        self.offtake = self
            .segments
            .iter()
            .filter(|s| s.offtake)
            .map(|s| s.qty)
            .sum();
        to_f64(before - self.all)
    }

    /// Ships every line, calling `done` with each licence whose line it completes; returns
    /// what shipped.
    pub fn ship_all(&mut self, mut done: impl FnMut(usize)) -> Shipped {
        if self.licensed > 0 {
            for s in &self.segments {
                if let Some(i) = s.licence {
                    done(i as usize);
                }
            }
        }
        let shipped = Shipped {
            total: to_f64(self.all),
            offtake: to_f64(self.offtake),
        };
        self.segments.clear();
        self.all = 0;
        self.offtake = 0;
        self.licensed = 0;
        shipped
    }

    /// Ships up to `give` (`f64::INFINITY`: all it can) first in, first out, from offtake lines
    /// only when `offtake_only`, calling `took` for every licensed line it takes from; returns
    /// what shipped. The quantity given is `fixed(give)`: what leaves the book is exact.
    // Inlined for the usual rationed day (a third of the shipments of `april-2025`), which
    // takes from the oldest segment alone; the walk over segments is a call.
    #[inline(always)]
    pub fn ship_fifo(
        &mut self,
        give: f64,
        offtake_only: bool,
        mut took: impl FnMut(LicenceTaken),
    ) -> Shipped {
        let left = if give.is_finite() {
            fixed(give)
        } else {
            i128::MAX
        };
        // The usual rationed day: the oldest segment alone holds more than is given. The loop
        // below would take `left` from it and stop; this takes the same without the loop.
        if let Some(s) = self.segments.front_mut()
            && left > 0
            && left < s.qty
            && (s.offtake || !offtake_only)
        {
            s.qty -= left;
            self.all -= left;
            let total = to_f64(left);
            let offtake = if s.offtake {
                self.offtake -= left;
                total
            } else {
                0.0
            };
            if let Some(licence) = s.licence {
                took(LicenceTaken {
                    licence: licence as usize,
                    remaining: to_f64(s.qty),
                });
            }
            return Shipped { total, offtake };
        }
        self.ship_segments(left, offtake_only, took)
    }

    /// [`OrderBook::ship_fifo`] of fixed-point quantity `left`, segment by segment.
    #[inline(never)]
    fn ship_segments(
        &mut self,
        mut left: i128,
        offtake_only: bool,
        mut took: impl FnMut(LicenceTaken),
    ) -> Shipped {
        let (mut sent, mut sent_offtake) = (0i128, 0i128);
        let mut i = 0;
        while left > 0 && i < self.segments.len() {
            let s = &mut self.segments[i];
            if offtake_only && !s.offtake {
                i += 1;
                continue;
            }
            let take = s.qty.min(left);
            s.qty -= take;
            left -= take;
            sent += take;
            if s.offtake {
                sent_offtake += take;
            }
            let seg = *s;
            if let Some(licence) = seg.licence {
                took(LicenceTaken {
                    licence: licence as usize,
                    remaining: to_f64(seg.qty),
                });
            }
            if seg.qty == 0 {
                self.licensed -= u32::from(seg.licence.is_some());
                if i == 0 {
                    self.segments.pop_front();
                } else {
                    self.segments.remove(i);
                }
            } else {
                i += 1;
            }
        }
        self.all -= sent;
        self.offtake -= sent_offtake;
        Shipped {
            total: to_f64(sent),
            offtake: to_f64(sent_offtake),
        }
    }

    /// Recounts the segments against the running totals (for [`crate::engine::Engine::audit`]).
    pub fn check(&self) -> Result<(), String> {
        let all: i128 = self.segments.iter().map(|s| s.qty).sum();
        let offtake: i128 = self
            .segments
            .iter()
            .filter(|s| s.offtake)
            .map(|s| s.qty)
            .sum();
        let licensed = self.segments.iter().filter(|s| s.licence.is_some()).count();
        if (all, offtake, licensed) != (self.all, self.offtake, self.licensed as usize) {
            return Err(format!(
                "order book totals {} (offtake {}, {} licensed) but its lines add up to {} \
                 (offtake {}, {licensed} licensed)",
                to_f64(self.all),
                to_f64(self.offtake),
                self.licensed,
                to_f64(all),
                to_f64(offtake)
            ));
        }
        if self.segments.iter().any(|s| s.qty <= 0) {
            return Err("order book holds an empty line".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::SCALE;
    use proptest::prelude::*;

    /// The book as it was before segments: one entry per line, shipped one line at a time
    /// (in the same fixed point), to check that merging lines changes nothing.
    #[derive(Default)]
    struct Lines(Vec<(i128, Option<usize>, bool)>);

    impl Lines {
        fn ship(&mut self, give: f64, offtake_only: bool) -> (i128, i128, Vec<(usize, f64)>) {
            let mut left = if give.is_finite() {
                fixed(give)
            } else {
                i128::MAX
            };
            let (mut sent, mut off, mut took) = (0, 0, Vec::new());
            let mut i = 0;
            while left > 0 && i < self.0.len() {
                let (q, lic, o) = &mut self.0[i];
                if offtake_only && !*o {
                    i += 1;
                    continue;
                }
                let take = (*q).min(left);
                *q -= take;
                left -= take;
                sent += take;
                if *o {
                    off += take;
                }
                if let Some(l) = lic {
                    took.push((*l, to_f64(*q)));
                }
                if *q == 0 {
                    self.0.remove(i);
                } else {
                    i += 1;
                }
            }
            (sent, off, took)
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Push(f64, bool, bool),
        Ship(f64, bool),
        ShipAll,
        Cancel,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (0.0..50.0f64, any::<bool>(), prop::bool::weighted(0.2))
                .prop_map(|(q, o, l)| Op::Push(q, o, l)),
            3 => (prop_oneof![0.0..80.0f64, Just(f64::INFINITY)], any::<bool>())
                .prop_map(|(g, o)| Op::Ship(g, o)),
            1 => Just(Op::ShipAll),
            1 => Just(Op::Cancel),
        ]
    }

    proptest! {
        /// Merged segments ship exactly what the lines one by one would: the same totals, the
        /// same offtake part, the same licences with the same quantities left, in the same
        /// order; and the running totals always equal a recount.
        #[test]
        fn merged_lines_ship_as_the_lines_would(ops in prop::collection::vec(op(), 1..120)) {
            let (mut book, mut lines, mut next) = (OrderBook::default(), Lines::default(), 0);
            for op in ops {
                match op {
                    Op::Push(q, offtake, licensed) => {
                        let licence = licensed.then(|| { next += 1; next });
                        book.push(Order { qty: q, licence, offtake });
                        if fixed(q) > 0 {
                            lines.0.push((fixed(q), licence, offtake));
                        }
                    }
                    Op::Ship(give, offtake_only) => {
                        let mut took = Vec::new();
                        let got = book.ship_fifo(give, offtake_only, |t| {
                            took.push((t.licence, t.remaining));
                        });
                        let (sent, off, want) = lines.ship(give, offtake_only);
                        prop_assert_eq!(got.total, to_f64(sent));
                        prop_assert_eq!(got.offtake, to_f64(off));
                        prop_assert_eq!(took, want);
                    }
                    Op::ShipAll => {
                        let mut done = Vec::new();
                        let got = book.ship_all(|i| done.push(i));
                        let want: Vec<usize> = lines.0.iter().filter_map(|l| l.1).collect();
                        let sent: i128 = lines.0.iter().map(|l| l.0).sum();
                        let off: i128 = lines.0.iter().filter(|l| l.2).map(|l| l.0).sum();
                        lines.0.clear();
                        prop_assert_eq!(done, want);
                        prop_assert_eq!(got.total, to_f64(sent));
                        prop_assert_eq!(got.offtake, to_f64(off));
                    }
                    Op::Cancel => {
                        let q: i128 = lines.0.iter().map(|l| l.0).sum();
                        prop_assert_eq!(book.cancel_all(), to_f64(q));
                        lines.0.clear();
                    }
                }
                prop_assert_eq!(book.check(), Ok(()));
                prop_assert_eq!(book.all, lines.0.iter().map(|l| l.0).sum::<i128>());
                prop_assert!(book.segments.len() <= lines.0.len());
            }
        }
    }

    #[test]
    fn plain_lines_are_one_segment_and_licensed_lines_their_own() {
        let mut b = OrderBook::default();
        let line = |qty, licence, offtake| Order {
            qty,
            licence,
            offtake,
        };
        for _ in 0..1000 {
            b.push(line(0.1, None, false));
        }
        b.push(line(2.0, Some(7), false));
        b.push(line(1.0, None, true));
        b.push(line(1.0, None, true));
        b.push(line(1.0, None, false));
        assert_eq!(b.segments.len(), 4);
        assert_eq!(b.check(), Ok(()));
        assert!((b.total() - 105.0).abs() < 1e-9);
        assert_eq!(b.offtake_total(), 2.0);
        // 100.5 takes the plain lines and a quarter of the licensed line.
        let mut took = Vec::new();
        let s = b.ship_fifo(100.5, false, |t| took.push(t));
        assert_eq!(s.total, 100.5);
        assert_eq!(s.offtake, 0.0);
        assert_eq!(
            took,
            vec![LicenceTaken {
                licence: 7,
                remaining: to_f64(fixed(2.0) - (fixed(100.5) - 1000 * fixed(0.1)))
            }]
        );
        // Offtake lines only: the two merged ones, past the licensed line.
        let s = b.ship_fifo(f64::INFINITY, true, |_| unreachable!());
        assert_eq!((s.total, s.offtake), (2.0, 2.0));
        assert!(!b.has_offtake());
        let mut done = Vec::new();
        let s = b.ship_all(|i| done.push(i));
        assert_eq!(done, vec![7]);
        assert_eq!(s.offtake, 0.0);
        assert_eq!((b.total(), b.segments.len(), b.licensed), (0.0, 0, 0));
        assert_eq!(to_f64(-3 << 64), -3.0);
        assert_eq!(to_f64((-3 << 64) + (1 << 63)), -2.5);
        assert_eq!(SCALE, 2f64.powi(64));
    }
}
