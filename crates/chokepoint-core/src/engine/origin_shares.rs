//! The origin shares a path carries, without the engine: [`OriginIndex`] (which origins a run
//! traces, fixed for the run) and [`Origins`] (the shares of every stock, stockpile, shipment in
//! transit and output, with the mixing and tallies each flow applies). `origins.rs` holds what
//! the engine's phases do with them (the re-export clauses, the records, the audit); the
//! arithmetic is described there and in docs/model.md, "Origin tracing".

use crate::model::{RegionId, World};
use crate::network::Network;
use crate::scenario::Scenario;

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
pub(super) fn tally(dst: &mut [f64], shares: &[f64], q: f64) {
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

    /// `q` recycled in node `n`'s region (slot `home`) enters its stock (holding `have`):
    /// recycled material is of the recycler's origin, as a facility without element inputs'
    /// output is.
    pub(super) fn recycle(&mut self, n: usize, have: f64, home: usize, q: f64) {
        let no = self.no;
        self.inflow[n * no + home] += q;
        let stock = &mut self.stock[n * no..(n + 1) * no];
        let total = have + q;
        if have <= 0.0 || total <= 0.0 {
            stock.iter_mut().for_each(|s| *s = 0.0);
            stock[home] = 1.0;
            return;
        }
        for (k, s) in stock.iter_mut().enumerate() {
            let own = if k == home { q } else { 0.0 };
            *s = (have * *s + own) / total;
        }
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
        // A subnormal draw (a few 1e-310 t): its products w·q·s lost their relative precision,
        // so the tally no longer sums to `total` (a regression case summed to 1.00003);
        // normalise by what the slots hold instead, or take the home slot if they hold none.
        let held = if total < f64::MIN_POSITIVE {
            acc[..no].iter().sum()
        } else {
            total
        };
        if total > 0.0 && held > 0.0 {
            for (o, a) in out.iter_mut().zip(acc.iter()) {
                *o = a / held;
            }
        } else {
            out.iter_mut().for_each(|o| *o = 0.0);
            out[home] = 1.0;
        }
        acc.iter_mut().for_each(|a| *a = 0.0);
    }
}
