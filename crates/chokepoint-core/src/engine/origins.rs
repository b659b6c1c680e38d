//! Origin tracing and the re-export clauses that read it.
//!
//! [`OriginIndex`] (fixed for a run, in the [`Engine`]) says which origins are traced: the
//! exporters whose controls carry a re-export clause plus the scenario's `trace-origins`, in
//! ascending region order, and a last slot "other" for everything else. It also holds what
//! the arithmetic needs: each product's element content per unit (the weight of an input in
//! its output's origin) and each node's value ratio (what the element-bearing inputs of one
//! unit are worth over the unit's price, at baseline prices and mix). A scenario that traces
//! nothing has `no = 0`: every hook below returns at once and no origin state exists.
//!
//! [`Origins`] (a part of the path's `State`) holds the origin shares of every stock, stockpile,
//! shipment in transit and node's output of the day, as flat `f64` arrays of `no` slots per
//! entry, each summing to one. Inflows mix by mass, `s ← (S·s + q·s_in)/(S + q)`; outflows
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

use super::state::{EPS, Engine, State};
use crate::model::{ProductId, RegionId, World};
use crate::network::Network;
use crate::record::Variable;
use crate::scenario::Scenario;
use crate::summary::RouteRow;

/// Which origins a run traces, and the constants of the origin arithmetic.
#[derive(Debug, Clone, Default)]
pub(super) struct OriginIndex {
    /// The traced regions, ascending.
    pub regions: Vec<RegionId>,
    /// Slots per entry: `regions.len() + 1` (the last is "other"), or 0 when nothing is traced.
    pub no: usize,
    /// Per region: its slot, or the "other" slot.
    pub slot_of: Vec<usize>,
    /// Per product: element content per unit (kg/kg summed over elements).
    pub weight: Vec<f64>,
    /// Per node: value of the element-bearing inputs of one unit over its price (1 without
    /// inputs), at baseline mix and prices, capped at 1.
    pub value_ratio: Vec<f64>,
}

impl OriginIndex {
    pub fn new(scenario: &Scenario, net: &Network) -> OriginIndex {
        let mut regions: Vec<RegionId> = scenario.settings.trace_origins.clone();
        regions.extend(
            scenario
                .events
                .iter()
                .filter_map(|e| e.kind.traced_origin()),
        );
        regions.sort_unstable();
        regions.dedup();
        if regions.is_empty() {
            return OriginIndex::default();
        }
        let world = &scenario.world;
        let no = regions.len() + 1;
        let mut slot_of = vec![no - 1; net.nr];
        for (k, r) in regions.iter().enumerate() {
            slot_of[r.ix()] = k;
        }
        let weight: Vec<f64> = world
            .products
            .iter()
            .map(|p| p.content.iter().map(|(_, c)| c).sum())
            .collect();
        let mut value_ratio = vec![1.0; net.nr * net.np];
        for (n, ratio) in value_ratio.iter_mut().enumerate() {
            let Some(f) = net.facility_of[n] else {
                continue;
            };
            if net.recipe_mix0[f].is_empty() {
                continue;
            }
            let price = world.products[n % net.np].price;
            let inputs: f64 = net.recipe_mix0[f]
                .iter()
                .map(|&(rec, m0)| {
                    let ins = &world.recipes[rec].inputs;
                    m0 * ins
                        .iter()
                        .filter(|(i, _)| weight[i.ix()] > 0.0)
                        .map(|&(i, c)| c * world.products[i.ix()].price)
                        .sum::<f64>()
                })
                .sum();
            *ratio = if price > 0.0 {
                (inputs / price).min(1.0)
            } else {
                1.0
            };
        }
        OriginIndex {
            regions,
            no,
            slot_of,
            weight,
            value_ratio,
        }
    }
}

/// The origin shares of one path (see the module documentation); empty when nothing is traced.
#[derive(Debug, Clone, Default)]
pub struct Origins {
    /// Slots per entry (0: nothing traced).
    pub no: usize,
    /// Per node × slot: shares of the commercial stock and of the strategic stockpile.
    pub stock: Vec<f64>,
    pub strategic: Vec<f64>,
    /// Per (ring slot, link) × slot: shares of the quantity arriving that day.
    pub(super) ring: Vec<f64>,
    /// Per node × slot: shares of the node's output (today's when it produced today).
    pub output: Vec<f64>,
    /// Per facility × (slot, then the total weight): content drawn as input today.
    pub(super) drawn: Vec<f64>,
    /// Inputs drawn today by facilities whose links carry a re-export clause, while the
    /// level lasts: (facility, input node, quantity, need booked, shortfall booked).
    pub(super) draws: Vec<(usize, usize, f64, f64, f64)>,
    /// Per node × slot: origin content that entered the commercial stock today (arrivals,
    /// same-day deliveries, releases) and that left it (inputs drawn net of what was given
    /// back, final demand, purchases): `Engine::audit_origins` checks the balance.
    pub inflow: Vec<f64>,
    pub outflow: Vec<f64>,
    /// Per link × slot: origin content shipped over the reported days, and per link the
    /// quantity shipped (records only).
    pub(super) route_content: Vec<f64>,
    pub(super) route_shipped: Vec<f64>,
}

/// `tally += q · shares`.
#[inline]
fn tally(dst: &mut [f64], shares: &[f64], q: f64) {
    for (d, s) in dst.iter_mut().zip(shares) {
        *d += q * s;
    }
}

/// `dst ← (have·dst + q·src)/(have + q)`: a mass-weighted mix of shares.
#[inline]
fn mix(dst: &mut [f64], have: f64, src: &[f64], q: f64) {
    let total = have + q;
    if have <= 0.0 || total <= 0.0 {
        dst.copy_from_slice(src);
        return;
    }
    for (d, s) in dst.iter_mut().zip(src) {
        *d = (have * *d + q * s) / total;
    }
}

impl Origins {
    /// The baseline shares: outputs and stocks level by level (inputs first), each stock the
    /// flow-weighted mix of its suppliers' baseline output, the pipelines full of it.
    pub(super) fn baseline(
        idx: &OriginIndex,
        world: &World,
        net: &Network,
        ring_len: usize,
    ) -> Self {
        let no = idx.no;
        if no == 0 {
            return Origins::default();
        }
        let (nn, nl) = (net.nr * net.np, world.links.len());
        let home = |n: usize| idx.slot_of[n / net.np];
        let mut stock = vec![0.0; nn * no];
        let mut output = vec![0.0; nn * no];
        for n in 0..nn {
            stock[n * no + home(n)] = 1.0;
            output[n * no + home(n)] = 1.0;
        }
        let mut acc = vec![0.0; no];
        for level in &net.levels {
            for &p in level {
                for r in 0..net.nr {
                    let n = r * net.np + p.ix();
                    let Some(f) = net.facility_of[n] else {
                        continue;
                    };
                    acc.iter_mut().for_each(|a| *a = 0.0);
                    let mut total = 0.0;
                    for &(rec, m0) in &net.recipe_mix0[f] {
                        for &(i, c) in &world.recipes[rec].inputs {
                            let w = m0 * c * idx.weight[i.ix()];
                            let ni = r * net.np + i.ix();
                            for (a, s) in acc.iter_mut().zip(&stock[ni * no..(ni + 1) * no]) {
                                *a += w * s;
                            }
                            total += w;
                        }
                    }
                    if total > 0.0 {
                        for (o, a) in output[n * no..(n + 1) * no].iter_mut().zip(&acc) {
                            *o = a / total;
                        }
                    }
                }
                for r in 0..net.nr {
                    let n = r * net.np + p.ix();
                    let flow: f64 = net.links_into[n].iter().map(|&l| net.flow0[l]).sum();
                    if flow <= 0.0 {
                        continue;
                    }
                    acc.iter_mut().for_each(|a| *a = 0.0);
                    for &l in &net.links_into[n] {
                        let s = net.seller_node[l];
                        for (a, o) in acc.iter_mut().zip(&output[s * no..(s + 1) * no]) {
                            *a += net.flow0[l] * o;
                        }
                    }
                    for (d, a) in stock[n * no..(n + 1) * no].iter_mut().zip(&acc) {
                        *d = a / flow;
                    }
                }
            }
        }
        let mut ring = vec![0.0; ring_len * nl * no];
        for slot in 0..ring_len {
            for l in 0..nl {
                let s = net.seller_node[l];
                let at = (slot * nl + l) * no;
                ring[at..at + no].copy_from_slice(&output[s * no..(s + 1) * no]);
            }
        }
        Origins {
            no,
            strategic: stock.clone(),
            stock,
            ring,
            output,
            drawn: vec![0.0; world.facilities.len() * (no + 1)],
            draws: Vec::new(),
            inflow: vec![0.0; nn * no],
            outflow: vec![0.0; nn * no],
            route_content: vec![0.0; nl * no],
            route_shipped: vec![0.0; nl],
        }
    }

    /// Clears the day's tallies.
    pub(super) fn open_day(&mut self) {
        self.inflow.iter_mut().for_each(|v| *v = 0.0);
        self.outflow.iter_mut().for_each(|v| *v = 0.0);
    }

    /// `q` leaves node `n`'s stock to final demand.
    #[inline]
    pub(super) fn consume(&mut self, n: usize, q: f64) {
        let no = self.no;
        let r = n * no..(n + 1) * no;
        tally(&mut self.outflow[r.clone()], &self.stock[r], q);
    }

    /// `q` arrives in node `n` (holding `have`) from ring entry `entry` (slot · links + link).
    #[inline]
    pub(super) fn arrive(&mut self, n: usize, have: f64, entry: usize, q: f64) {
        let no = self.no;
        let (stock, ring) = (&mut self.stock, &self.ring);
        let src = &ring[entry * no..(entry + 1) * no];
        tally(&mut self.inflow[n * no..(n + 1) * no], src, q);
        mix(&mut stock[n * no..(n + 1) * no], have, src, q);
    }

    /// `q` of seller node `seller`'s output enters ring entry `entry` (holding `have`).
    #[inline]
    pub(super) fn dispatch(&mut self, seller: usize, entry: usize, have: f64, q: f64) {
        let no = self.no;
        let (ring, output) = (&mut self.ring, &self.output);
        let src = &output[seller * no..(seller + 1) * no];
        mix(&mut ring[entry * no..(entry + 1) * no], have, src, q);
    }

    /// `q` of seller node `seller`'s output enters node `to`'s stock (holding `have`) today.
    #[inline]
    pub(super) fn deliver(&mut self, seller: usize, to: usize, have: f64, q: f64) {
        let no = self.no;
        let (stock, output) = (&mut self.stock, &self.output);
        let src = &output[seller * no..(seller + 1) * no];
        tally(&mut self.inflow[to * no..(to + 1) * no], src, q);
        mix(&mut stock[to * no..(to + 1) * no], have, src, q);
    }

    /// `q` leaves node `n`'s stockpile (holding `have` in stock before) into its stock.
    pub(super) fn release(&mut self, n: usize, have: f64, q: f64) {
        let no = self.no;
        let (stock, strategic) = (&mut self.stock, &self.strategic);
        let src = &strategic[n * no..(n + 1) * no];
        tally(&mut self.inflow[n * no..(n + 1) * no], src, q);
        mix(&mut stock[n * no..(n + 1) * no], have, src, q);
    }

    /// `q` leaves node `n`'s stock into its stockpile (holding `have` before).
    pub(super) fn purchase(&mut self, n: usize, have: f64, q: f64) {
        let no = self.no;
        let (stock, strategic) = (&self.stock, &mut self.strategic);
        let src = &stock[n * no..(n + 1) * no];
        tally(&mut self.outflow[n * no..(n + 1) * no], src, q);
        mix(&mut strategic[n * no..(n + 1) * no], have, src, q);
    }

    /// Facility `f` draws `q` of input node `ni` (product weight `w`) for today's output.
    #[inline]
    pub(super) fn draw(&mut self, f: usize, ni: usize, w: f64, q: f64) {
        let no = self.no;
        tally(
            &mut self.outflow[ni * no..(ni + 1) * no],
            &self.stock[ni * no..(ni + 1) * no],
            q,
        );
        let wq = w * q;
        if wq <= 0.0 {
            return;
        }
        let (drawn, stock) = (&mut self.drawn, &self.stock);
        let acc = &mut drawn[f * (no + 1)..(f + 1) * (no + 1)];
        for (a, s) in acc.iter_mut().zip(&stock[ni * no..(ni + 1) * no]) {
            *a += wq * s;
        }
        acc[no] += wq;
    }

    /// Sets node `n`'s output shares from what facility `f` drew today (its region's own slot
    /// `home` when it drew no element content), and clears the facility's tally.
    pub(super) fn make_output(&mut self, n: usize, f: usize, home: usize) {
        let no = self.no;
        let acc = &mut self.drawn[f * (no + 1)..(f + 1) * (no + 1)];
        let out = &mut self.output[n * no..(n + 1) * no];
        let total = acc[no];
        if total > 0.0 {
            for (o, a) in out.iter_mut().zip(acc.iter()) {
                *o = a / total;
            }
        } else {
            out.iter_mut().for_each(|o| *o = 0.0);
            out[home] = 1.0;
        }
        acc.iter_mut().for_each(|a| *a = 0.0);
    }
}

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
                Some(regime) => self.file_applications(l, regime, q),
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
