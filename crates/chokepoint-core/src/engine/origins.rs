//! Origin tracing and the re-export clauses that read it.
//!
//! `OriginIndex` (fixed for a run, in the [`Engine`]) says which origins are traced: the
//! exporters whose controls carry a re-export clause plus the scenario's `trace-origins`, in
//! ascending region order, and a last slot "other" for everything else. It also holds what
//! the arithmetic needs: each product's element content per unit (the weight of an input in
//! its output's origin) and each node's value ratio (what the element-bearing inputs of one
//! unit are worth over the unit's price, at baseline prices and mix). A scenario that traces
//! nothing has `no = 0`: every hook returns at once and no origin state exists.
//!
//! `Origins` (a part of the path's `State`; both types live in `origin_shares.rs`, which this
//! module drives) holds the origin shares of every stock, stockpile, shipment in transit and
//! node's output of the day, as flat `f64` arrays of `no` slots per entry, each summing to one. Inflows mix by mass, `s ← (S·s + q·s_in)/(S + q)`; outflows
//! (consumption, final demand) leave shares unchanged; a facility's output today has the
//! content-weighted share of the inputs it drew,
//!
//! ```text
//! o[x] = Σ_i u_i · w_i · s_i[x] / Σ_i u_i · w_i
//! ```
//!
//! with `u_i` the quantity of input i drawn, `w_i` its element content per unit and `s_i` the
//! stock's shares; a facility without inputs (a mine, a recycling feed) makes output of its own
//! region's origin (`other` when that region is not traced), as does one whose inputs carry no
//! element content.
//!
//! Re-export clauses are enforced at shipping, on the item's exact origin: after a facility
//! made its output, every link out of it that a clause of origin X reaches is tested,
//! `v = ρ_n · o[X]` (ρ_n the node's value ratio) against the clause's de minimis
//! ([`crate::event::ReExport::covers`]). A covered link's unlicensed order-book lines are
//! cancelled (a ban) or filed as licence applications under X's regime; licensed lines ship.
//! What the facility made for the lines it lost is given back: the inputs it drew return to
//! stock in proportion (their shares are unchanged: nothing flowed into an input's stock since
//! the level started), and its production is what is left on its books.

use super::origin_shares::tally;
use super::state::{EPS, Engine, State};
use crate::model::{ProductId, RegionId};
use crate::record::Variable;
use crate::summary::RouteRow;

impl Engine<'_> {
    /// After facility `f` of node `n` made `made` today: its output's origin shares, then the
    /// re-export clauses on its links (see the module documentation). Returns the production
    /// that ships.
    pub(super) fn trace_output(&mut self, n: usize, f: usize, made: f64) -> f64 {
        let home = self.origin_index.slot_of[n / self.net.np];
        self.state.origins.make_output(n, f, home);
        if !self.state.policy.rules.any_reexport {
            return made;
        }
        let ruled = self.net.links_from[n]
            .iter()
            .any(|&l| !self.state.policy.rules.links[l].reexport.is_empty());
        if !ruled {
            return made;
        }
        self.enforce_reexport(n);
        let (book, totals) = (&self.state.orders.book, &mut self.state.scratch.book_total);
        let mut left = 0.0;
        for &l in &self.net.links_from[n] {
            totals[l] = book[l].total();
            left += totals[l];
        }
        if made > left {
            self.give_back(f, 1.0 - left / made);
            return left;
        }
        made
    }

    /// Cancels (ban) or files for a licence (licensing) the unlicensed lines of every link out
    /// of `n` that a re-export clause covers, by the output's origin today.
    fn enforce_reexport(&mut self, n: usize) {
        let no = self.state.origins.no;
        let ratio = self.origin_index.value_ratio[n];
        for k in 0..self.net.links_from[n].len() {
            let l = self.net.links_from[n][k];
            let rule = self.state.policy.rules.links[l]
                .reexport
                .iter()
                .find(|r| {
                    let slot = self.origin_index.slot_of[r.origin.ix()];
                    r.covers(ratio * self.state.origins.output[n * no + slot])
                })
                .copied();
            let Some(rule) = rule else { continue };
            let q = self.state.orders.book[l].cancel_unlicensed();
            if q <= 0.0 {
                continue;
            }
            match rule.licensing {
                None => self.state.orders.on_order[l] -= q,
                Some(regime) => self.file_applications(l, regime, q, false),
            }
        }
    }

    /// Returns the fraction `theta` of what facility `f` drew today to stock, with the need
    /// and shortfall booked for it.
    fn give_back(&mut self, f: usize, theta: f64) {
        let st: &mut State = &mut self.state;
        let o = &mut st.origins;
        let no = o.no;
        for &(g, ni, q, need, short) in &o.draws {
            if g != f {
                continue;
            }
            let r = ni * no..(ni + 1) * no;
            tally(&mut o.outflow[r.clone()], &o.stock[r], -theta * q);
            st.stocks.stock[ni] += theta * q;
            let nd = &mut st.today.nodes[ni];
            nd.need -= theta * need;
            nd.unmet -= theta * short;
            if st.draws.records {
                nd.consumption -= theta * q;
            }
        }
        debug_assert!(theta <= 1.0 + EPS);
    }

    /// Whether the path traces origins and the facilities' draws must be remembered (a
    /// re-export clause is in force).
    pub(super) fn keeps_draws(&self) -> bool {
        self.state.origins.no > 0 && self.state.policy.rules.any_reexport
    }
}

impl Engine<'_> {
    /// Adds today's shipments and their origin content to the run's route totals (a reported
    /// day of an engine with records).
    pub(super) fn accumulate_routes(&mut self) {
        let o = &mut self.state.origins;
        let no = o.no;
        if no == 0 {
            return;
        }
        for (l, &q) in self.state.today.shipped.iter().enumerate() {
            if q <= 0.0 {
                continue;
            }
            let s = self.net.seller_node[l];
            o.route_shipped[l] += q;
            for k in 0..no - 1 {
                o.route_content[l * no + k] += q * o.output[s * no + k];
            }
        }
    }

    /// Emits `shipments_origin_X` per traced origin X: on every link that shipped today, the
    /// X-origin content of what it shipped.
    pub(super) fn emit_origin_shipments(
        &self,
        rec: &mut impl FnMut(RegionId, Option<RegionId>, ProductId, Variable, f64),
    ) {
        let o = &self.state.origins;
        let no = o.no;
        for (k, &origin) in self.origin_index.regions.iter().enumerate() {
            let v = Variable::ShipmentsOfOrigin(origin);
            for (l, link) in self.scenario.world.links.iter().enumerate() {
                let q = self.state.today.shipped[l];
                if q > 0.0 {
                    let s = self.net.seller_node[l];
                    rec(
                        link.from,
                        Some(link.to),
                        link.product,
                        v,
                        q * o.output[s * no + k],
                    );
                }
            }
        }
    }

    /// The leakage table: per traced origin X, every third-country route (exporter ≠ X,
    /// exporter ≠ importer) that shipped X-origin content over the reported days.
    pub(super) fn route_rows(&self) -> Vec<RouteRow> {
        let o = &self.state.origins;
        let no = o.no;
        let world = &self.scenario.world;
        let mut rows = Vec::new();
        let mut into = vec![0.0; self.net.nr * self.net.np];
        for (k, &origin) in self.origin_index.regions.iter().enumerate() {
            into.iter_mut().for_each(|v| *v = 0.0);
            for l in 0..world.links.len() {
                into[self.net.buyer_node[l]] += o.route_content[l * no + k];
            }
            for (l, link) in world.links.iter().enumerate() {
                let content = o.route_content[l * no + k];
                if link.from == link.to || link.from == origin || content <= 0.0 {
                    continue;
                }
                rows.push(RouteRow {
                    origin,
                    exporter: link.from,
                    importer: link.to,
                    product: link.product,
                    shipped: o.route_shipped[l],
                    origin_content: content,
                    importer_origin_total: into[self.net.buyer_node[l]],
                });
            }
        }
        rows
    }

    /// The traced origins (ascending).
    pub fn traced_origins(&self) -> &[RegionId] {
        &self.origin_index.regions
    }
}

impl Engine<'_> {
    /// Checks the origin bookkeeping after a day: every share vector (stocks, stockpiles,
    /// outputs, shipments in transit) sums to one with no negative share, and per node and
    /// origin the content in stock moved by exactly what flowed in less what flowed out since
    /// `stock_before`/`shares_before` (the commercial stocks and their shares at the start of
    /// the day). Returns the first failure.
    pub fn audit_origins(&self, stock_before: &[f64], shares_before: &[f64]) -> Result<(), String> {
        let o = &self.state.origins;
        let no = o.no;
        if no == 0 {
            return Ok(());
        }
        let check = |what: &str, i: usize, s: &[f64]| -> Result<(), String> {
            let sum: f64 = s.iter().sum();
            if (sum - 1.0).abs() > 1e-9 || s.iter().any(|&x| x < -1e-12) {
                return Err(format!("{what} {i}: shares {s:?} sum to {sum}"));
            }
            Ok(())
        };
        let stock = &self.state.stocks.stock;
        for n in 0..stock.len() {
            check("stock", n, &o.stock[n * no..(n + 1) * no])?;
            check("stockpile", n, &o.strategic[n * no..(n + 1) * no])?;
            check("output", n, &o.output[n * no..(n + 1) * no])?;
            let nd = &self.state.today.nodes[n];
            let scale = stock_before[n].abs()
                + nd.arrivals
                + nd.release
                + nd.consumption
                + nd.purchase
                + 1.0;
            for k in 0..no {
                let moved =
                    stock[n] * o.stock[n * no + k] - stock_before[n] * shares_before[n * no + k];
                let flows = o.inflow[n * no + k] - o.outflow[n * no + k];
                if (moved - flows).abs() > 1e-9 * scale {
                    return Err(format!(
                        "node {n} origin slot {k}: content moved {moved} but flows say {flows}"
                    ));
                }
            }
        }
        let ring = &self.state.stocks.ring;
        for (entry, &q) in ring.iter().enumerate() {
            if q > 0.0 {
                check("shipment", entry, &o.ring[entry * no..(entry + 1) * no])?;
            }
        }
        Ok(())
    }
}
