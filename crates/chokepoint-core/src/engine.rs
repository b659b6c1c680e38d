//! The daily engine: moves goods through the network one integer day at a time.
//!
//! [`Engine::new`] turns a [`Scenario`] into a [`Network`] (dense indices, a topological product
//! order, the baseline flows that put the network in a steady state) and an initial [`State`]
//! (stocks at their initial days of cover, pipelines full of baseline shipments, one day of
//! baseline orders in every supplier's inbox). [`Engine::step`] advances one day and emits
//! [`Record`]s through a [`Sink`]; [`simulate`] runs the whole horizon and returns the
//! [`RunSummary`]. A *node* is one (region, product) pair; a *link* is one supply route.
//!
//! ## One day
//! 1. **Events**: on days where an event starts or ends, link policies (bans, licensing, quotas,
//!    tariffs), capacity ramps, demand multipliers, stockpile flows, offtakes and rationing
//!    rules are recomputed.
//! 2. **Arrivals**: shipments due today enter the buyer's commercial stock.
//! 3. **Orders received**: yesterday's orders reach their suppliers. An order to a banned
//!    destination or beyond an export quota is rejected; one under export licensing becomes a
//!    licence application (or joins the current batch), with its decision day and outcome drawn
//!    now from the path's generator (a Monte Carlo opening defers the draw to the start of each
//!    path, [`Engine::deferring_draws`]); other orders join the supplier's order book.
//! 4. **Licence decisions** due today: an approval puts the licensed quantity in the order book,
//!    a denial cancels it (the buyer re-sources through step 8).
//! 5. **Production and shipping**, products in topological order (inputs first): a facility makes
//!    `q = min(order book, capacity, inputs/recipe)` trying recipes by priority, consumes its
//!    inputs from its region's stock and shares `q` out over its order book (offtakes first, then
//!    by the rationing rule: proportional, domestic-first or ally-priority; FIFO within a link).
//!    Shipments leave today and arrive after the link's transit days (0 = today).
//! 6. **Stockpile release**, then **final demand** is served from stock (lost if unmet), then
//!    **stockpile purchases** move stock into the strategic stockpile.
//! 7. **Orders placed**: every node orders up to `S = N̂ · (target_days + L̄)` against its position
//!    (stock + in transit + on order, including pending licences), where `N̂` is the smoothed need
//!    and `L̄ = Σ s_l · (transit_l + 1)`; offtake volumes first, the rest split by current shares.
//! 8. **Shares** move toward suppliers that deliver: with fill rate `f_l = min(1, S̄_l / Ō_l)`
//!    (smoothed shipped over smoothed ordered), `F = Σ s_l f_l`, and `G` the links with
//!    `f_l ≥ ½`, the weights are `w_l = s_l f_l + (1 − F)·[l ∈ G]/|G|` and
//!    `s_l ← (1 − λ) s_l + λ w_l`.
//! 9. **Prices** per (segment, product) follow `P ← P + (P* − P)/adjust_days` with
//!    `P* = P0 · (1 + τ̄) · exp(κ · gap)`, where `gap` is the segment's inventory shortfall
//!    against target stock as a fraction of target stock and `τ̄` its need-weighted tariff.
//! 10. **Records** for the day are emitted.
//!
//! Mass balance per node and day: `Δstock = arrivals + release − consumption − purchase`, and a
//! facility ships exactly what it produces (no finished-goods stock): `production = Σ shipments`.

use crate::event::{Day, EventKind, LeadTime, LicenceTerms, ProductSelector, RegionSelector};
use crate::model::{ProductId, Rationing, RegionId, Scenario, World};
pub use crate::network::Network;
use crate::order_book::{Order, OrderBook, Shipped};
use crate::record::{LicenceOutcome, LicenceRecord, Record, Sink, Variable};
use crate::summary::{RunSummary, SummaryRow};
use rand::RngExt;
use rand_distr::{Distribution, Triangular};
use rand_pcg::Pcg64;
use std::collections::VecDeque;
use std::sync::Arc;

/// Quantities below this are treated as zero when deciding whether anything is left to do.
const EPS: f64 = 1e-12;

/// The generator for one Monte Carlo path: PCG-64 with a state derived from the run seed and a
/// stream selected by the path index, so paths are independent and reproducible on any machine.
pub fn path_rng(seed: u64, path: u64) -> Pcg64 {
    Pcg64::new(
        splitmix(seed) as u128 | ((splitmix(seed ^ 0x9E37_79B9) as u128) << 64),
        path as u128,
    )
}

fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Runs `scenario` for its whole horizon as path 0 of `seed`, streaming records to `sink`.
pub fn simulate(scenario: &Scenario, seed: u64, sink: &mut dyn Sink) -> RunSummary {
    let mut engine = Engine::new(scenario, seed, 0);
    while !engine.finished() {
        engine.step(sink);
    }
    engine.finish(sink)
}

/// One licence application. Kept small (no names): world scenarios file tens of thousands a
/// path, and the [`LicenceRecord`] a sink sees is built from it only when one is wanted.
#[derive(Debug, Clone)]
struct Licence {
    link: usize,
    /// The export-licensing event it was filed under.
    event: u32,
    /// End-use slot in `Network::end_uses`; `u32::MAX` when the regime has no end-use rules.
    end_use: u32,
    quantity: f64,
    filed: Day,
    /// Decision day and outcome as drawn when filed (`Day::MAX` and `false` while the draw is
    /// deferred, see [`Engine::deferring_draws`]).
    decide: Day,
    approve: bool,
    outcome: LicenceOutcome,
    /// Day the last of the licensed quantity shipped.
    shipped: Option<Day>,
    remaining: f64,
}

/// What applies to one link today.
#[derive(Debug, Clone, Default)]
struct LinkPolicy {
    banned: bool,
    /// Index of the export-licence event that governs this link, if any.
    licensing: Option<usize>,
    /// Export-quota events that count this link.
    quotas: Vec<usize>,
    tariff: f64,
}

#[derive(Debug, Clone, Copy)]
struct Ramp {
    from: f64,
    to: f64,
    start: Day,
    days: u32,
}

impl Ramp {
    fn at(&self, day: Day) -> f64 {
        if self.days == 0 || day + 1 >= self.start + self.days {
            return self.to;
        }
        let k = (day + 1 - self.start) as f64 / self.days as f64;
        self.from + (self.to - self.from) * k
    }
}

/// Headline totals of one node so far ([`Engine::node_totals`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeTotals {
    pub shortfall: f64,
    pub price_peak: f64,
}

/// Flows of one node on the current day, kept for invariant checks and records.
#[derive(Debug, Clone, Default)]
pub struct NodeDay {
    pub stock_start: f64,
    pub arrivals: f64,
    pub release: f64,
    pub consumption: f64,
    pub purchase: f64,
    pub production: f64,
    pub shipped: f64,
    pub need: f64,
    pub unmet: f64,
    /// Largest capacity in force today (for the flow ≤ capacity invariant).
    pub capacity: f64,
}

/// Per-day working buffers, kept between days so that a day allocates nothing; each is taken
/// out of the state while in use (`std::mem::take`) and put back, cleared, afterwards.
#[derive(Debug, Clone, Default)]
struct Scratch {
    jobs: Vec<(usize, RegionId, ProductId, f64)>,
    made: Vec<f64>,
    claims: Vec<(usize, f64)>,
    fill: Vec<f64>,
    wanted: Vec<f64>,
    parts: Vec<(usize, f64)>,
    avail: Vec<f64>,
    gap_num: Vec<f64>,
    gap_den: Vec<f64>,
    tar_num: Vec<f64>,
    target: Vec<f64>,
    node_events: Vec<usize>,
    /// Per link: its book's total when production set the supplier's target.
    book_total: Vec<f64>,
    /// Today's `(1 + g)^years` per distinct growth rate and `(P/P0)^(−ε)` per distinct
    /// (price, elasticity) pair, aligned with [`DemandTerms`].
    growth: Vec<f64>,
    response: Vec<f64>,
}

/// Mutable state of one path.
#[derive(Debug, Clone)]
pub struct State {
    pub day: Day,
    pub stock: Vec<f64>,
    pub strategic: Vec<f64>,
    /// `ring[(day % ring_len) · links + link]` = quantity arriving that day.
    ring: Vec<f64>,
    ring_len: usize,
    /// `day % ring_len`.
    day_slot: usize,
    in_transit: Vec<f64>,
    inbox: Vec<Vec<Order>>,
    book: Vec<OrderBook>,
    /// Outstanding quantity per link: inbox + order book + pending licences and batches.
    pub on_order: Vec<f64>,
    pub shares: Vec<f64>,
    ordered_avg: Vec<f64>,
    shipped_avg: Vec<f64>,
    pub price: Vec<f64>,
    price0: Vec<f64>,
    need_avg: Vec<f64>,
    pub capacity: Vec<f64>,
    ramps: Vec<Option<Ramp>>,
    /// Capacity before each capacity event started (to ramp back at its end).
    cap_before: Vec<f64>,
    policy: Vec<LinkPolicy>,
    /// Whether any link is banned today.
    any_banned: bool,
    /// Links with a tariff today, by buyer node and then in `links_into` order (the order in
    /// which the need-weighted tariff adds them up).
    tariffed: Vec<usize>,
    /// Per link: no ban, quota or licensing applies today.
    plain: Vec<bool>,
    demand_mult: Vec<f64>,
    rationing: Vec<Rationing>,
    quota_used: Vec<f64>,
    quota_period: Vec<u32>,
    licences: Vec<Licence>,
    /// Pending licence indices by decision day.
    decisions: VecDeque<Vec<usize>>,
    /// Batched applications per (link, end-use slot): quantity.
    batches: Vec<f64>,
    /// Non-zero entries of `batches` (most days none: the batch pass is skipped).
    batches_open: usize,
    pub nodes: Vec<NodeDay>,
    /// Recipe mix per facility, aligned with `Network::recipe_mix0`.
    pub mix: Vec<Vec<f64>>,
    /// Per node, during one production level: input claimed by the level's facilities, and
    /// the stock when the level started (NaN = not yet looked at).
    claims: Vec<f64>,
    claim_stock: Vec<f64>,
    /// Indices of the events active today (shared, so that iterating them while the state
    /// changes costs no copy).
    active: Arc<[usize]>,
    scratch: Scratch,
    pub(crate) shipped_today: Vec<f64>,
    arrived_today: Vec<f64>,
    lic_applied: Vec<u32>,
    lic_approved: Vec<u32>,
    lic_denied: Vec<u32>,
    lic_pending: Vec<u32>,
    lic_seen: Vec<bool>,
    topup_today: Vec<f64>,
    rng: Pcg64,
    /// Whether the record-only bookkeeping is kept ([`Engine::without_records`]).
    records: bool,
    /// Numbers drawn from `rng` so far: a state with none drawn is the same for every path.
    draws: u64,
    /// Whether licence decisions are being deferred ([`Engine::deferring_draws`]), the
    /// applications filed meanwhile (in filing order), and the earliest day any of them could
    /// be decided.
    defer: bool,
    deferred: Vec<usize>,
    earliest_decision: Day,
    // Summary accumulators per node.
    sum_need: Vec<f64>,
    sum_unmet: Vec<f64>,
    first_stockout: Vec<Option<Day>>,
    /// Lowest commercial stock so far: the lowest days of cover is this over the baseline need
    /// (division by a positive constant keeps order, so that is the lowest daily cover exactly).
    min_stock: Vec<f64>,
    peak_price: Vec<(f64, Day)>,
}

/// Final demand rows share a few growth rates and (price, elasticity) pairs (world-2024: 178
/// rows, 32 pairs), so each power is taken once per distinct value and day.
#[derive(Debug, Clone, Default)]
struct DemandTerms {
    /// Per demand row: index into `rates` and into `pairs`.
    rate_of: Vec<u32>,
    pair_of: Vec<u32>,
    rates: Vec<f64>,
    /// (segment price index, elasticity).
    pairs: Vec<(usize, f64)>,
}

impl DemandTerms {
    fn new(world: &World, net: &Network) -> DemandTerms {
        let mut t = DemandTerms::default();
        for d in &world.demands {
            let pi = net.price_of[net.node(d.region, d.product)];
            let rate = match t
                .rates
                .iter()
                .position(|g| g.to_bits() == d.growth.to_bits())
            {
                Some(k) => k,
                None => {
                    t.rates.push(d.growth);
                    t.rates.len() - 1
                }
            };
            let e = d.elasticity;
            let pair = match t
                .pairs
                .iter()
                .position(|&(i, x)| i == pi && x.to_bits() == e.to_bits())
            {
                Some(k) => k,
                None => {
                    t.pairs.push((pi, e));
                    t.pairs.len() - 1
                }
            };
            t.rate_of.push(rate as u32);
            t.pair_of.push(pair as u32);
        }
        t
    }
}

impl State {
    /// Makes this state a copy of `src`, reusing this one's allocations (the order books,
    /// licences and per-link vectors of a path that ran before), which a fresh clone would
    /// allocate and grow again for every path.
    fn copy_from(&mut self, src: &State) {
        // The pattern is exhaustive on purpose: a field added to `State` must be listed here.
        macro_rules! copy_fields {
            ($($f:ident),*) => {
                let State { $($f),* } = self;
                $($f.clone_from(&src.$f);)*
            };
        }
        #[rustfmt::skip]
        copy_fields!(
            day, stock, strategic, ring, ring_len, day_slot, in_transit,
            inbox, book, on_order, shares, ordered_avg, shipped_avg, price,
            price0, need_avg, capacity, ramps, cap_before, policy, any_banned, tariffed,
            plain, demand_mult, rationing, quota_used, quota_period, licences, decisions,
            batches, batches_open, nodes, mix, claims, claim_stock, active,
            scratch, shipped_today, arrived_today, lic_applied, lic_approved, lic_denied, lic_pending,
            lic_seen, topup_today, rng, records, draws, defer, deferred, earliest_decision,
            sum_need, sum_unmet, first_stockout, min_stock, peak_price
        );
    }

    /// Sends an order placed today to link `l`'s supplier, who receives it tomorrow (step 3).
    /// Where no ban, quota or licensing applies and tomorrow's rules are today's
    /// (`book_now`), receiving it would only book it, so it goes on the book at once: nothing
    /// reads or changes the book before tomorrow's step 3, so the book is the same.
    fn send_order(&mut self, l: usize, o: Order, book_now: bool) {
        if book_now && self.plain[l] && o.qty > EPS {
            self.book[l].push(o);
        } else {
            self.inbox[l].push(o);
        }
    }
}

#[derive(Clone)]
pub struct Engine<'a> {
    pub scenario: &'a Scenario,
    pub net: Network,
    pub state: State,
    change_days: Vec<Day>,
    seed: u64,
    /// Baseline need per (segment, product): the denominator of the need-weighted tariff.
    need_den: Vec<f64>,
    demand_terms: DemandTerms,
}

impl<'a> Engine<'a> {
    pub fn new(scenario: &'a Scenario, seed: u64, path: u64) -> Engine<'a> {
        let world = &scenario.world;
        let net = Network::new(world);
        let nn = net.nr * net.np;
        let nl = world.links.len();
        let ring_len = net.max_transit + 1;
        let mut ring = vec![0.0; nl * ring_len];
        let mut in_transit = vec![0.0; nl];
        let mut inbox = vec![Vec::new(); nl];
        let mut on_order = vec![0.0; nl];
        for (l, link) in world.links.iter().enumerate() {
            // Pipeline full of baseline shipments arriving on days 0..transit-1.
            for d in 0..link.transit_days as usize {
                ring[(d % ring_len) * nl + l] += net.flow0[l];
                in_transit[l] += net.flow0[l];
            }
            if net.flow0[l] > 0.0 {
                inbox[l].push(Order {
                    qty: net.flow0[l],
                    licence: None,
                    offtake: false,
                });
                on_order[l] = net.flow0[l];
            }
        }
        let mut strategic = vec![0.0; nn];
        for s in &world.stockpiles {
            strategic[net.node(s.region, s.product)] += s.quantity;
        }
        let capacity: Vec<f64> = world.facilities.iter().map(|f| f.capacity).collect();
        let price0: Vec<f64> = (0..net.n_segments * net.np)
            .map(|i| world.products[i % net.np].price)
            .collect();
        let ne = net.end_uses.len().max(1);
        let mut change_days: Vec<Day> = scenario
            .events
            .iter()
            .flat_map(|e| std::iter::once(e.start).chain(e.end))
            .collect();
        // Day 0 is applied below; later changes are applied at the start of their day.
        change_days.retain(|&d| d > 0);
        change_days.sort_unstable();
        change_days.dedup();
        change_days.reverse();
        let state = State {
            day: 0,
            stock: net.initial_stock.clone(),
            strategic,
            ring,
            ring_len,
            day_slot: 0,
            in_transit,
            inbox,
            book: vec![OrderBook::default(); nl],
            on_order,
            shares: world.links.iter().map(|l| l.share).collect(),
            ordered_avg: net.flow0.clone(),
            shipped_avg: net.flow0.clone(),
            price: price0.clone(),
            price0,
            need_avg: net.need0.clone(),
            cap_before: capacity.clone(),
            capacity,
            ramps: vec![None; world.facilities.len()],
            policy: vec![LinkPolicy::default(); nl],
            any_banned: false,
            tariffed: Vec::new(),
            plain: vec![true; nl],
            demand_mult: vec![1.0; world.demands.len()],
            rationing: vec![scenario.settings.rationing.clone(); net.nr],
            quota_used: vec![0.0; scenario.events.len()],
            quota_period: vec![0; scenario.events.len()],
            licences: Vec::new(),
            decisions: VecDeque::new(),
            batches: vec![0.0; nl * ne],
            batches_open: 0,
            nodes: vec![NodeDay::default(); nn],
            claims: vec![0.0; nn],
            claim_stock: vec![f64::NAN; nn],
            mix: net
                .recipe_mix0
                .iter()
                .map(|m| m.iter().map(|x| x.1).collect())
                .collect(),
            active: Arc::from(Vec::new()),
            scratch: Scratch::default(),
            shipped_today: vec![0.0; nl],
            arrived_today: vec![0.0; nl],
            lic_applied: vec![0; nl],
            lic_approved: vec![0; nl],
            lic_denied: vec![0; nl],
            lic_pending: vec![0; nl],
            lic_seen: vec![false; nl],
            topup_today: vec![0.0; nl],
            rng: path_rng(seed, path),
            records: true,
            draws: 0,
            defer: false,
            deferred: Vec::new(),
            earliest_decision: Day::MAX,
            sum_need: vec![0.0; nn],
            sum_unmet: vec![0.0; nn],
            first_stockout: vec![None; nn],
            min_stock: vec![f64::INFINITY; nn],
            peak_price: vec![(0.0, 0); nn],
        };
        let mut need_den = vec![0.0; net.n_segments * net.np];
        for n in 0..net.nr * net.np {
            need_den[net.price_of[n]] += net.need0[n];
        }
        let demand_terms = DemandTerms::new(world, &net);
        let mut engine = Engine {
            scenario,
            demand_terms,
            net,
            state,
            change_days,
            seed,
            need_den,
        };
        engine.apply_events();
        // Prices start at base price with the baseline tariffs folded in.
        let mut p = Vec::new();
        engine.target_prices(true, &mut p);
        engine.state.price0.clone_from(&p);
        engine.state.price = p;
        engine
    }

    /// Whether any path's random numbers have been used yet. Until then the state does not
    /// depend on the path, and [`Engine::for_path`] can start other paths from it.
    fn drew_random(&self) -> bool {
        self.state.draws > 0
    }

    /// This engine with licence decisions deferred: an application is filed as usual, but its
    /// outcome and decision day are drawn only when [`Engine::for_path`] starts a path from
    /// the state. Nothing else in a day depends on an undecided application, so until the
    /// first day one could be decided ([`Engine::earliest_decision`]) the state is the same
    /// for every path, and the draws made later in filing order give each path exactly the
    /// numbers it would have drawn when filing.
    pub fn deferring_draws(mut self) -> Engine<'a> {
        self.state.defer = true;
        self
    }

    /// This engine without the bookkeeping that only records, summaries and audits read. Of
    /// each node's day only need, unmet demand and production are kept (not its opening stock,
    /// arrivals, consumption, shipments, releases, purchases or capacity); per-link arrivals
    /// and top-ups are not kept, nor an approved licence's remainder and shipping day (a
    /// pending licence keeps its quantity, which its decision reads), nor the summary's total
    /// need, first stockout and lowest cover. What drives the simulation and what Monte Carlo
    /// reads (stock, need, unmet demand, production, prices, shipments, order books, licence
    /// decisions, [`Engine::node_totals`]) is computed exactly as with it, and a Monte Carlo
    /// path runs ~5% faster. Such an engine cannot emit records, finish, audit or list its
    /// licences (they panic).
    pub fn without_records(mut self) -> Engine<'a> {
        self.state.records = false;
        self
    }

    /// The earliest day on which a deferred application could be decided (`Day::MAX` when
    /// none is deferred): the state is path-independent only for days before it.
    pub fn earliest_decision(&self) -> Day {
        self.state.earliest_decision
    }

    /// A copy of this engine for path `path` of `seed`, to start that path from this state.
    /// Exactly what `Engine::new(scenario, seed, path)` would reach by the same day, provided no
    /// random number has been drawn yet and no deferred application could have been decided
    /// before today; `None` otherwise. Deferred applications get their draws now, in filing
    /// order.
    pub fn for_path(&self, seed: u64, path: u64) -> Option<Engine<'a>> {
        if !self.can_start_paths(seed) {
            return None;
        }
        let mut e = self.clone();
        e.begin_path(seed, path);
        Some(e)
    }

    /// [`Engine::for_path`] into this engine, which must run the same scenario: its state
    /// becomes `from`'s, in the allocations it already has. Returns false (and leaves this
    /// engine as it was) when `from` cannot start a path.
    pub fn restart_from(&mut self, from: &Engine<'a>, seed: u64, path: u64) -> bool {
        if !from.can_start_paths(seed) {
            return false;
        }
        debug_assert!(std::ptr::eq(self.scenario, from.scenario));
        self.state.copy_from(&from.state);
        self.change_days.clone_from(&from.change_days);
        self.begin_path(seed, path);
        true
    }

    fn can_start_paths(&self, seed: u64) -> bool {
        let st = &self.state;
        !self.drew_random() && seed == self.seed && st.earliest_decision >= st.day
    }

    /// Gives this state path `path`'s generator and draws the deferred applications' outcomes
    /// from it, in filing order.
    fn begin_path(&mut self, seed: u64, path: u64) {
        self.seed = seed;
        self.state.rng = path_rng(seed, path);
        self.state.defer = false;
        self.state.earliest_decision = Day::MAX;
        let mut deferred = std::mem::take(&mut self.state.deferred);
        for &idx in &deferred {
            self.decide_later(idx);
        }
        deferred.clear();
        self.state.deferred = deferred;
    }

    pub fn finished(&self) -> bool {
        self.state.day >= self.scenario.settings.days
    }

    fn world(&self) -> &'a World {
        &self.scenario.world
    }

    /// Events active today (recomputed on change days), in scenario order.
    fn active_events(&self) -> impl Iterator<Item = &'a crate::event::Event> + use<'a> {
        let events = &self.scenario.events;
        let ids = Arc::clone(&self.state.active);
        (0..ids.len()).map(move |k| &events[ids[k]])
    }

    /// Advances one day.
    pub fn step(&mut self, sink: &mut dyn Sink) {
        let day = self.state.day;
        if self.change_days.last() == Some(&day) {
            self.change_days.pop();
            self.apply_events();
        }
        self.advance_ramps();
        if self.state.records {
            for (n, nd) in self.state.nodes.iter_mut().enumerate() {
                *nd = NodeDay {
                    stock_start: self.state.stock[n],
                    ..NodeDay::default()
                };
            }
        } else {
            // The day's flows the simulation reads; the others are records only.
            for nd in &mut self.state.nodes {
                (nd.need, nd.unmet, nd.production) = (0.0, 0.0, 0.0);
            }
        }
        self.state.shipped_today.iter_mut().for_each(|v| *v = 0.0);
        if self.state.records {
            self.state.arrived_today.iter_mut().for_each(|v| *v = 0.0);
            self.state.topup_today.iter_mut().for_each(|v| *v = 0.0);
        }
        for v in [
            &mut self.state.lic_applied,
            &mut self.state.lic_approved,
            &mut self.state.lic_denied,
        ] {
            v.iter_mut().for_each(|x| *x = 0);
        }
        self.receive_arrivals();
        self.receive_orders();
        self.decide_licences();
        self.produce_and_ship();
        self.serve_final_demand();
        self.place_orders();
        self.adapt_shares();
        self.update_prices();
        self.accumulate_summary();
        if sink.wants_records() {
            assert!(
                self.state.records,
                "an engine without records cannot emit them"
            );
            self.emit(sink);
        }
        self.state.day += 1;
    }

    // ---- 1. events -------------------------------------------------------------------------

    /// Recomputes everything that depends on which events are active today.
    fn apply_events(&mut self) {
        let day = self.state.day;
        let world = self.world();
        let events = &self.scenario.events;
        self.state.active = (0..events.len())
            .filter(|&i| events[i].active(day))
            .collect::<Vec<_>>()
            .into();
        // Link policies.
        for (l, link) in world.links.iter().enumerate() {
            let p = link.product;
            let mut pol = LinkPolicy {
                tariff: link.tariff,
                ..LinkPolicy::default()
            };
            let mut general = false;
            for (i, e) in events.iter().enumerate() {
                if !e.active(day) {
                    continue;
                }
                let foreign = link.from != link.to;
                let hits = |exporter: RegionId, products: &ProductSelector, to: &RegionSelector| {
                    foreign
                        && exporter == link.from
                        && to.contains(link.to)
                        && selects(world, products, p)
                };
                match &e.kind {
                    EventKind::ExportLicence(lic)
                        if hits(lic.exporter, &lic.products, &RegionSelector::All) =>
                    {
                        pol.licensing = Some(i)
                    }
                    EventKind::GeneralLicence {
                        exporter,
                        products,
                        destinations,
                    } if hits(*exporter, products, destinations) => general = true,
                    EventKind::ExportBan {
                        exporter,
                        products,
                        destinations,
                    } if hits(*exporter, products, destinations) => pol.banned = true,
                    EventKind::ExportQuota {
                        exporter,
                        products,
                        destinations,
                        ..
                    } if hits(*exporter, products, destinations) => pol.quotas.push(i),
                    EventKind::Tariff {
                        importer,
                        exporters,
                        products,
                        rate,
                    } if foreign
                        && *importer == link.to
                        && exporters.contains(link.from)
                        && selects(world, products, p) =>
                    {
                        pol.tariff += rate
                    }
                    _ => {}
                }
            }
            if general {
                pol.licensing = None;
            }
            self.state.policy[l] = pol;
        }
        self.state.any_banned = self.state.policy.iter().any(|p| p.banned);
        let policy = &self.state.policy;
        self.state.tariffed.clear();
        self.state.tariffed.extend(
            self.net
                .links_into
                .iter()
                .flatten()
                .filter(|&&l| policy[l].tariff != 0.0),
        );
        for (plain, p) in self.state.plain.iter_mut().zip(&self.state.policy) {
            *plain = !p.banned && p.quotas.is_empty() && p.licensing.is_none();
        }
        // Demand multipliers.
        for (i, d) in world.demands.iter().enumerate() {
            let mut m = 1.0;
            for e in events.iter().filter(|e| e.active(day)) {
                if let EventKind::DemandShock {
                    regions,
                    products,
                    end_use,
                    factor,
                } = &e.kind
                    && regions.contains(d.region)
                    && selects(world, products, d.product)
                    && end_use.as_ref().is_none_or(|u| *u == d.end_use)
                {
                    m *= factor;
                }
            }
            self.state.demand_mult[i] = m;
        }
        // Rationing rules: scenario default, then active rationing events in order.
        for r in 0..self.net.nr {
            self.state.rationing[r] = self.scenario.settings.rationing.clone();
        }
        for e in events.iter().filter(|e| e.active(day)) {
            if let EventKind::Rationing { region, rule } = &e.kind {
                self.state.rationing[region.ix()] = rule.clone();
            }
        }
        // Capacity events starting or ending today.
        for (i, e) in events.iter().enumerate() {
            let EventKind::Capacity {
                region,
                product,
                capacity,
                ramp_days,
            } = &e.kind
            else {
                continue;
            };
            let Some(f) = self.net.facility_of[self.net.node(*region, *product)] else {
                continue;
            };
            let _ = i;
            if e.start == day {
                self.state.cap_before[f] = self.state.capacity[f];
                self.state.ramps[f] = Some(Ramp {
                    from: self.state.capacity[f],
                    to: *capacity,
                    start: day,
                    days: *ramp_days,
                });
            } else if e.end == Some(day) {
                self.state.ramps[f] = Some(Ramp {
                    from: self.state.capacity[f],
                    to: self.state.cap_before[f],
                    start: day,
                    days: *ramp_days,
                });
            }
        }
    }

    fn advance_ramps(&mut self) {
        let day = self.state.day;
        for (f, ramp) in self.state.ramps.iter_mut().enumerate() {
            if let Some(r) = ramp {
                self.state.capacity[f] = r.at(day).max(0.0);
                if day + 1 >= r.start + r.days {
                    *ramp = None;
                }
            }
        }
    }

    // ---- 2. arrivals -----------------------------------------------------------------------

    fn receive_arrivals(&mut self) {
        let nl = self.net.buyer_node.len();
        let slot = self.state.day as usize % self.state.ring_len;
        let st = &mut self.state;
        st.day_slot = slot;
        for (l, q) in st.ring[slot * nl..(slot + 1) * nl].iter_mut().enumerate() {
            let q = std::mem::take(q);
            if q > 0.0 {
                let n = self.net.buyer_node[l];
                st.stock[n] += q;
                st.in_transit[l] -= q;
                if st.records {
                    st.nodes[n].arrivals += q;
                    st.arrived_today[l] += q;
                }
            }
        }
    }

    // ---- 3. orders received ----------------------------------------------------------------

    fn receive_orders(&mut self) {
        let day = self.state.day;
        let world = self.world();
        for l in 0..world.links.len() {
            if self.state.inbox[l].is_empty() {
                continue;
            }
            // Taken out while filing (which needs the whole state) and put back empty, so that
            // tomorrow's orders reuse its allocation.
            let mut orders = std::mem::take(&mut self.state.inbox[l]);
            for mut o in orders.drain(..) {
                let pol = &self.state.policy[l];
                if pol.banned {
                    self.state.on_order[l] -= o.qty;
                    continue;
                }
                // Quotas: accept up to the tightest remaining allowance.
                let mut allowed = o.qty;
                for &qi in &pol.quotas {
                    if let EventKind::ExportQuota {
                        quantity,
                        period_days,
                        ..
                    } = &self.scenario.events[qi].kind
                    {
                        let start = self.scenario.events[qi].start;
                        let period = (day - start) / (*period_days).max(1);
                        if period != self.state.quota_period[qi] {
                            self.state.quota_period[qi] = period;
                            self.state.quota_used[qi] = 0.0;
                        }
                        allowed = allowed.min((quantity - self.state.quota_used[qi]).max(0.0));
                    }
                }
                if allowed < o.qty {
                    self.state.on_order[l] -= o.qty - allowed;
                    o.qty = allowed;
                }
                if o.qty <= EPS {
                    self.state.on_order[l] -= o.qty;
                    continue;
                }
                for &qi in &self.state.policy[l].quotas {
                    self.state.quota_used[qi] += o.qty;
                }
                // Licensing applies to every export order, offtakes included.
                match self.state.policy[l].licensing {
                    Some(ei) => self.file_applications(l, ei, o.qty),
                    None => self.state.book[l].push(o),
                }
            }
            self.state.inbox[l] = orders;
        }
        // Batches are filed at the end of each batch window since the regime started; a batch
        // left over when its regime ends (or stops batching) is filed or booked at once.
        let ne = self.net.end_uses.len().max(1);
        for l in 0..world.links.len() {
            if self.state.batches_open == 0 {
                break;
            }
            let regime = self.state.policy[l].licensing.and_then(|ei| {
                let ev = &self.scenario.events[ei];
                match &ev.kind {
                    EventKind::ExportLicence(lic) => Some((ei, ev.start, lic.batch_days)),
                    _ => None,
                }
            });
            let due = match regime {
                Some((_, start, b)) if b > 0 => (day - start + 1).is_multiple_of(b),
                _ => true,
            };
            if !due {
                continue;
            }
            for e in 0..ne {
                let q = std::mem::take(&mut self.state.batches[l * ne + e]);
                if q == 0.0 {
                    continue;
                }
                self.state.batches_open -= 1;
                if q <= EPS {
                    self.state.on_order[l] -= q;
                    continue;
                }
                match regime {
                    Some((ei, _, _)) => self.file_one(l, ei, q, e),
                    None => self.state.book[l].push(Order {
                        qty: q,
                        licence: None,
                        offtake: false,
                    }),
                }
            }
        }
    }

    /// Splits an order by the buyer's end-use mix when the regime has end-use rules, and files
    /// (or batches) one application per part.
    fn file_applications(&mut self, link: usize, event: usize, qty: f64) {
        let EventKind::ExportLicence(lic) = &self.scenario.events[event].kind else {
            return;
        };
        if lic.end_uses.is_empty() && lic.batch_days == 0 {
            // One application for the whole order, filed now (the usual regime).
            self.file_one(link, event, qty, usize::MAX);
            return;
        }
        let l = &self.world().links[link];
        let n = self.net.node(l.to, l.product);
        let ne = self.net.end_uses.len().max(1);
        let mut parts = std::mem::take(&mut self.state.scratch.parts);
        parts.clear();
        if lic.end_uses.is_empty() || self.net.need0[n] <= 0.0 {
            parts.push((usize::MAX, qty));
        } else {
            let mix = &self.net.end_use_need0[n];
            let tot: f64 = mix.iter().sum();
            parts.extend(
                mix.iter()
                    .enumerate()
                    .filter(|(_, v)| **v > 0.0)
                    .map(|(e, v)| (e, qty * v / tot)),
            );
        }
        for &(e, q) in &parts {
            if lic.batch_days > 0 {
                let slot = if e == usize::MAX { 0 } else { e };
                let b = &mut self.state.batches[link * ne + slot];
                if *b == 0.0 {
                    self.state.batches_open += 1;
                }
                *b += q;
            } else {
                self.file_one(link, event, q, e);
            }
        }
        self.state.scratch.parts = parts;
    }

    fn end_use_name(&self, slot: u32) -> &str {
        if slot == u32::MAX {
            "any"
        } else {
            &self.net.end_uses[slot as usize]
        }
    }

    /// The licence table's row for licence `idx` as it stands now.
    fn licence_record(&self, idx: usize) -> LicenceRecord {
        let lic = &self.state.licences[idx];
        let link = &self.world().links[lic.link];
        LicenceRecord {
            id: idx as u64 + 1,
            exporter: link.from,
            importer: link.to,
            product: link.product,
            quantity: lic.quantity,
            end_use: self.end_use_name(lic.end_use).to_string(),
            filed: lic.filed,
            // A pending licence's decision day is drawn but not yet known to anyone.
            decided: (lic.outcome != LicenceOutcome::Pending).then_some(lic.decide),
            outcome: lic.outcome,
            shipped: lic.shipped,
        }
    }

    fn file_one(&mut self, link: usize, event: usize, qty: f64, end_use: usize) {
        let day = self.state.day;
        let EventKind::ExportLicence(lic) = &self.scenario.events[event].kind else {
            return;
        };
        let l = &self.world().links[link];
        let end_use = if end_use == usize::MAX || lic.end_uses.is_empty() {
            u32::MAX
        } else {
            end_use as u32
        };
        let idx = self.state.licences.len();
        self.state.licences.push(Licence {
            link,
            event: event as u32,
            end_use,
            quantity: qty,
            filed: day,
            decide: Day::MAX,
            approve: false,
            outcome: LicenceOutcome::Pending,
            shipped: None,
            remaining: qty,
        });
        if self.state.defer {
            let terms = lic.terms_for(l.to, self.end_use_name(end_use));
            let earliest = day.saturating_add(earliest_delay(terms));
            self.state.earliest_decision = self.state.earliest_decision.min(earliest);
            self.state.deferred.push(idx);
        } else {
            self.decide_later(idx);
        }
        self.state.lic_applied[link] += 1;
        self.state.lic_pending[link] += 1;
        self.state.lic_seen[link] = true;
    }

    /// Draws licence `idx`'s outcome and decision day from the path's generator and queues it
    /// for that day.
    fn decide_later(&mut self, idx: usize) {
        let lic = &self.state.licences[idx];
        let EventKind::ExportLicence(regime) = &self.scenario.events[lic.event as usize].kind
        else {
            return;
        };
        let to = self.world().links[lic.link].to;
        let terms = regime.terms_for(to, self.end_use_name(lic.end_use));
        self.state.draws += 1;
        let (approve, wait) = draw_decision(terms, &mut self.state.rng);
        let lic = &mut self.state.licences[idx];
        lic.approve = approve;
        lic.decide = lic.filed + wait;
        // The queue starts at today; a licence filed today waits `wait` days.
        let k = (lic.decide - self.state.day) as usize;
        while self.state.decisions.len() <= k {
            self.state.decisions.push_back(Vec::new());
        }
        self.state.decisions[k].push(idx);
    }

    // ---- 4. licence decisions --------------------------------------------------------------

    fn decide_licences(&mut self) {
        let Some(mut due) = self.state.decisions.pop_front() else {
            return;
        };
        for &idx in &due {
            let lic = &mut self.state.licences[idx];
            debug_assert_eq!(lic.decide, self.state.day);
            let l = lic.link;
            self.state.lic_pending[l] -= 1;
            if lic.approve {
                lic.outcome = LicenceOutcome::Approved;
                self.state.lic_approved[l] += 1;
                self.state.book[l].push(Order {
                    qty: lic.remaining,
                    licence: Some(idx),
                    offtake: false,
                });
            } else {
                lic.outcome = LicenceOutcome::Denied;
                self.state.lic_denied[l] += 1;
                self.state.on_order[l] -= lic.remaining;
                lic.remaining = 0.0;
            }
        }
        // Today's list, emptied, serves a later day (no allocation per decision day).
        due.clear();
        self.state.decisions.push_back(due);
    }

    // ---- 5. production and shipping --------------------------------------------------------

    /// Production level by level (inputs before outputs); within a level, facilities of one
    /// region share its input stocks in proportion to their claims.
    fn produce_and_ship(&mut self) {
        let day = self.state.day;
        let np = self.net.np;
        let nl = self.net.transit_days.len();
        self.state.scratch.book_total.resize(nl, 0.0);
        let mut jobs = std::mem::take(&mut self.state.scratch.jobs);
        let mut made = std::mem::take(&mut self.state.scratch.made);
        for lv in 0..self.net.levels.len() {
            // Targets of every facility of this level, after cancelling banned order lines.
            jobs.clear();
            if self.state.any_banned {
                for &p in &self.net.levels[lv] {
                    for r in 0..self.net.nr {
                        let n = self.net.node(RegionId(r as u32), p);
                        for &l in &self.net.links_from[n] {
                            if self.state.policy[l].banned {
                                let q = self.state.book[l].cancel_all();
                                self.state.on_order[l] -= q;
                            }
                        }
                    }
                }
            }
            for &(n, f) in &self.net.level_facilities[lv] {
                // Kept for the allocation: only this node's allocation changes these books.
                let (book, totals) = (&self.state.book, &mut self.state.scratch.book_total);
                let wanted: f64 = self.net.links_from[n]
                    .iter()
                    .map(|&l| {
                        totals[l] = book[l].total();
                        totals[l]
                    })
                    .sum();
                let cap = self.state.capacity[f];
                if self.state.records {
                    self.state.nodes[n].capacity = cap;
                }
                let target = wanted.min(cap);
                if target > EPS {
                    let (r, p) = (n / np, n % np);
                    jobs.push((f, RegionId(r as u32), ProductId(p as u32), target));
                }
            }
            // Claims on each input node, and the fraction φ of its claim that each can have.
            let world = self.world();
            for &(f, r, _, target) in &jobs {
                for (k, &(rec, _)) in self.net.recipe_mix0[f].iter().enumerate() {
                    let plan = target * self.state.mix[f][k];
                    for &(i, c) in &world.recipes[rec].inputs {
                        self.state.claims[r.ix() * np + i.ix()] += c * plan;
                    }
                }
            }
            made.clear();
            for &(f, r, _, target) in &jobs {
                made.push(self.make_planned(f, r, target));
            }
            for &(f, r, _, _) in &jobs {
                for &(rec, _) in &self.net.recipe_mix0[f] {
                    for &(i, _) in &world.recipes[rec].inputs {
                        self.state.claims[r.ix() * np + i.ix()] = 0.0;
                        self.state.claim_stock[r.ix() * np + i.ix()] = f64::NAN;
                    }
                }
            }
            // Substitution from what is left, then shipping.
            for (j, &(f, r, p, target)) in jobs.iter().enumerate() {
                let extra = self.substitute(f, r, target - made[j]);
                let total = (made[j] + extra).min(target);
                let n = self.net.node(r, p);
                self.state.nodes[n].production = total;
                if total > EPS {
                    self.allocate(r, p, total, day);
                }
            }
        }
        self.state.scratch.jobs = jobs;
        self.state.scratch.made = made;
    }

    /// First pass of production at facility `f`: recipe k is planned for `target · m_k` and
    /// gets the fraction `φ_i = min(1, stock_i / claims_i)` of each input's claim, fixed at the
    /// level's start so that facilities sharing an input are served in proportion. It makes
    /// `plan_k · min_i φ_i`. Needs are booked from the plans; input i is short by
    /// `c_ik · plan_k · (1 − φ_i)`. The recipe mix then adapts: with availability
    /// `a_k = min_i min(1, stock_i / max(claim_i, c_ik · target · max(m_k, m0_k)))`,
    /// `A = Σ m0_k a_k` and `G` the recipes with `a_k ≥ ½`,
    /// `w_k = m0_k a_k + (1 − A)·[k ∈ G]/|G|` and `m ← (1 − λ) m + λ w`, which pulls the mix
    /// toward the baseline and away from recipes whose inputs are missing.
    fn make_planned(&mut self, f: usize, r: RegionId, target: f64) -> f64 {
        let world = self.world();
        let np = self.net.np;
        let mix0 = &self.net.recipe_mix0[f];
        if mix0.is_empty() {
            return target; // primary production (mining, recycling feed): no inputs
        }
        let base = r.ix() * np;
        // The stock each input had when the level started (first facility to look fixes it).
        for &(rec, _) in mix0 {
            for &(i, _) in &world.recipes[rec].inputs {
                let ni = base + i.ix();
                if self.state.claim_stock[ni].is_nan() {
                    self.state.claim_stock[ni] = self.state.stock[ni];
                }
            }
        }
        let phi = |st: &State, ni: usize| -> f64 {
            let claim = st.claims[ni];
            if claim > 0.0 {
                (st.claim_stock[ni] / claim).min(1.0)
            } else {
                1.0
            }
        };
        let mut made = 0.0;
        let mut avail = std::mem::take(&mut self.state.scratch.avail);
        avail.clear();
        for (k, &(rec, m0)) in mix0.iter().enumerate() {
            let m = self.state.mix[f][k];
            let plan = target * m;
            let inputs = &world.recipes[rec].inputs;
            let mut a: f64 = 1.0;
            let mut frac: f64 = 1.0;
            for &(i, c) in inputs {
                let ni = base + i.ix();
                let reference = self.state.claims[ni].max(c * target * m.max(m0));
                let have = self.state.claim_stock[ni];
                a = a.min(if reference > 0.0 {
                    (have / reference).min(1.0)
                } else {
                    1.0
                });
                frac = frac.min(phi(&self.state, ni));
            }
            avail.push(a);
            if plan <= EPS {
                continue;
            }
            let q = plan * frac;
            for &(i, c) in inputs {
                let ni = base + i.ix();
                let use_ = (c * q).min(self.state.stock[ni]);
                self.state.stock[ni] -= use_;
                let short = c * plan * (1.0 - phi(&self.state, ni));
                let records = self.state.records;
                let nd = &mut self.state.nodes[ni];
                if records {
                    nd.consumption += use_;
                }
                nd.need += c * plan;
                nd.unmet += short;
            }
            made += q;
        }
        let lambda = self.scenario.settings.adaptation_rate;
        let a_total: f64 = mix0.iter().zip(&avail).map(|(&(_, m0), a)| m0 * a).sum();
        let good = avail.iter().filter(|&&a| a >= 0.5).count();
        if good > 0 && lambda > 0.0 {
            for (k, &(_, m0)) in mix0.iter().enumerate() {
                let bonus = if avail[k] >= 0.5 {
                    (1.0 - a_total) / good as f64
                } else {
                    0.0
                };
                let w = m0 * avail[k] + bonus;
                self.state.mix[f][k] = (1.0 - lambda) * self.state.mix[f][k] + lambda * w;
            }
        }
        self.state.scratch.avail = avail;
        made
    }

    /// Second pass: makes up to `short` more with whatever inputs are left, recipes in
    /// priority order (substitution). Returns the quantity made.
    fn substitute(&mut self, f: usize, r: RegionId, short: f64) -> f64 {
        if short <= EPS || self.net.recipe_mix0[f].is_empty() {
            return 0.0;
        }
        let world = self.world();
        let base = r.ix() * self.net.np;
        let mut left = short;
        for &(rec, _) in &self.net.recipe_mix0[f] {
            let inputs = &world.recipes[rec].inputs;
            let q = inputs
                .iter()
                .map(|&(i, c)| self.state.stock[base + i.ix()] / c)
                .fold(left, f64::min)
                .max(0.0);
            if q <= EPS {
                continue;
            }
            for &(i, c) in inputs {
                let ni = base + i.ix();
                let use_ = (c * q).min(self.state.stock[ni]);
                self.state.stock[ni] -= use_;
                if self.state.records {
                    self.state.nodes[ni].consumption += use_;
                }
            }
            left -= q;
        }
        short - left
    }

    /// Shares `made` of product `p` from region `r` over the order book and ships it.
    fn allocate(&mut self, r: RegionId, p: ProductId, made: f64, day: Day) {
        let world = self.world();
        let n = self.net.node(r, p);
        let mut claims = std::mem::take(&mut self.state.scratch.claims);
        let mut left = made;
        // Offtake orders first, proportionally (most books have none).
        claims.clear();
        let book = &self.state.book;
        let offtake = if self.net.links_from[n]
            .iter()
            .any(|&l| book[l].has_offtake())
        {
            claims.extend(
                self.net.links_from[n]
                    .iter()
                    .map(|&l| (l, book[l].offtake_total())),
            );
            self.serve_tier(&claims, left, true, day, p)
        } else {
            0.0
        };
        left -= offtake;
        // Book totals are as production saw them unless offtake lines just shipped.
        let fresh = offtake == 0.0;
        // Tier of each link: 0 offtake (handled above), then by rationing rule; proportional
        // rationing has one tier, domestic-first two.
        let tiers = match &self.state.rationing[r.ix()] {
            Rationing::Proportional => 1,
            Rationing::DomesticFirst => 2,
            Rationing::AllyPriority(_) => 3,
        };
        if tiers == 1 && fresh {
            // The common case: one tier of every link, claims as production read them.
            self.serve_every_link(n, left, day);
            self.state.scratch.claims = claims;
            return;
        }
        for tier in 1..=tiers {
            if left <= EPS {
                break;
            }
            let rule = &self.state.rationing[r.ix()];
            let tier_of = |l: usize| -> u8 {
                let to = world.links[l].to;
                match rule {
                    Rationing::Proportional => 1,
                    Rationing::DomesticFirst => {
                        if to == r {
                            1
                        } else {
                            2
                        }
                    }
                    Rationing::AllyPriority(g) => {
                        if to == r {
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
            let (book, totals) = (&self.state.book, &self.state.scratch.book_total);
            for &l in &self.net.links_from[n] {
                if tiers == 1 || tier_of(l) == tier {
                    claims.push((l, if fresh { totals[l] } else { book[l].total() }));
                }
            }
            left -= self.serve_tier(&claims, left, false, day, p);
        }
        self.state.scratch.claims = claims;
    }

    /// [`Engine::serve_tier`] of one tier holding every link out of node `n`, each claiming
    /// its book total as production read it (no offtake line shipped today, so there is none
    /// on these books): the same shipments, without building the list of claims.
    fn serve_every_link(&mut self, n: usize, avail: f64, day: Day) {
        let st = &mut self.state;
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
        day: Day,
        p: ProductId,
    ) -> f64 {
        let total: f64 = claims.iter().map(|c| c.1).sum();
        if total <= EPS || avail <= EPS {
            return 0.0;
        }
        let frac = (avail / total).min(1.0);
        let mut shipped_total = 0.0;
        for &(l, claim) in claims {
            if claim <= 0.0 {
                continue;
            }
            let (floor, price) = if offtake_only {
                let from = self.world().links[l].from;
                (
                    self.offtake_floor(l),
                    self.state.price[self.segment_price_ix(from, p)],
                )
            } else {
                (0.0, 0.0)
            };
            let sent = take_share(&mut self.state, l, claim, frac, offtake_only, day);
            if sent.offtake > 0.0 {
                self.state.topup_today[l] += (floor - price).max(0.0) * sent.offtake * 1000.0;
            }
            ship_on(&mut self.state, &self.net, l, sent.total);
            shipped_total += sent.total;
        }
        shipped_total
    }

    fn offtake_floor(&self, l: usize) -> f64 {
        let link = &self.world().links[l];
        self.active_events()
            .filter_map(|e| match &e.kind {
                EventKind::Offtake {
                    buyer,
                    supplier,
                    product,
                    floor,
                    ..
                } if *buyer == link.to && *supplier == link.from && *product == link.product => {
                    Some(*floor)
                }
                _ => None,
            })
            .fold(0.0, f64::max)
    }

    fn segment_price_ix(&self, r: RegionId, p: ProductId) -> usize {
        self.net.price_of[self.net.node(r, p)]
    }

    // ---- 6. stockpiles and final demand ----------------------------------------------------

    fn serve_final_demand(&mut self) {
        let world = self.world();
        let day = self.state.day;
        // Releases.
        for e in self.active_events() {
            if let EventKind::StockpileRelease {
                region,
                product,
                rate,
                trigger_days,
            } = &e.kind
            {
                let n = self.net.node(*region, *product);
                if let Some(t) = trigger_days {
                    let cover = self.cover(n, self.state.stock[n]);
                    if cover >= *t {
                        continue;
                    }
                }
                let q = rate.min(self.state.strategic[n]);
                if q > 0.0 {
                    self.state.strategic[n] -= q;
                    self.state.stock[n] += q;
                    self.state.nodes[n].release += q;
                }
            }
        }
        // Final demand per node, served proportionally across end uses.
        let years = day as f64 / 365.0;
        let mut wanted = std::mem::take(&mut self.state.scratch.wanted);
        wanted.clear();
        wanted.resize(self.net.nr * self.net.np, 0.0);
        let terms = &self.demand_terms;
        let mut growth = std::mem::take(&mut self.state.scratch.growth);
        growth.clear();
        growth.extend(terms.rates.iter().map(|g| (1.0 + g).powf(years)));
        let mut response = std::mem::take(&mut self.state.scratch.response);
        response.clear();
        response.extend(terms.pairs.iter().map(|&(pi, e)| {
            // x^0 = 1 exactly, so inelastic demand skips the power.
            if e == 0.0 {
                1.0
            } else {
                (self.state.price[pi] / self.state.price0[pi]).powf(-e)
            }
        }));
        for (i, d) in world.demands.iter().enumerate() {
            let n = self.net.node(d.region, d.product);
            let grown = growth[terms.rate_of[i] as usize];
            let q = d.quantity
                * grown
                * self.state.demand_mult[i]
                * response[terms.pair_of[i] as usize];
            wanted[n] += q;
        }
        self.state.scratch.growth = growth;
        self.state.scratch.response = response;
        for (n, &w) in wanted.iter().enumerate() {
            if w <= 0.0 {
                continue;
            }
            let served = w.min(self.state.stock[n]);
            self.state.stock[n] -= served;
            let records = self.state.records;
            let nd = &mut self.state.nodes[n];
            if records {
                nd.consumption += served;
            }
            nd.need += w;
            nd.unmet += w - served;
        }
        self.state.scratch.wanted = wanted;
        // Purchases into strategic stockpiles.
        for e in self.active_events() {
            if let EventKind::StockpilePurchase {
                region,
                product,
                rate,
            } = &e.kind
            {
                let n = self.net.node(*region, *product);
                let q = rate.min(self.state.stock[n]);
                if q > 0.0 {
                    self.state.stock[n] -= q;
                    self.state.strategic[n] += q;
                    self.state.nodes[n].purchase += q;
                }
            }
        }
    }

    /// Days of cover of a stock at node `n` against its baseline need.
    fn cover(&self, n: usize, stock: f64) -> f64 {
        if self.net.need0[n] > 0.0 {
            stock / self.net.need0[n]
        } else {
            f64::INFINITY
        }
    }

    // ---- 7. orders placed ------------------------------------------------------------------

    fn place_orders(&mut self) {
        let world = self.world();
        let alpha = 1.0 / 7.0;
        // Only purchases and offtakes matter per node: pick them out once, in event order, rather
        // than scanning every active event for every node.
        let events = &self.scenario.events;
        let mut node_events = std::mem::take(&mut self.state.scratch.node_events);
        node_events.clear();
        // Tomorrow's rules are today's unless an event starts or ends tomorrow.
        let book_now = self.change_days.last() != Some(&(self.state.day + 1));
        let fill_alpha = 1.0 / self.scenario.settings.fill_memory_days.max(1.0);
        node_events.extend(self.state.active.iter().copied().filter(|&i| {
            matches!(
                events[i].kind,
                EventKind::StockpilePurchase { .. } | EventKind::Offtake { .. }
            )
        }));
        for &n in &self.net.lists.buying {
            let links = &self.net.links_into[n];
            // Today's wanted usage: final demand and inputs for the wanted output, plus purchases.
            let mut usage = self.state.nodes[n].need;
            for e in node_events.iter().map(|&i| &events[i]) {
                if let EventKind::StockpilePurchase {
                    region: r,
                    product: p,
                    rate,
                } = &e.kind
                    && self.net.node(*r, *p) == n
                {
                    usage += rate;
                }
            }
            self.state.need_avg[n] += alpha * (usage - self.state.need_avg[n]);
            let (mut lead, mut pipeline) = (0.0, 0.0);
            for &l in links {
                lead += self.state.shares[l] * (self.net.transit_days[l] as f64 + 1.0);
                pipeline += self.state.in_transit[l] + self.state.on_order[l];
            }
            let level = self.state.need_avg[n] * (self.net.target_days[n] + lead);
            let position = self.state.stock[n] + pipeline;
            let mut gap = (level - position).max(0.0);
            // Offtakes are ordered regardless of position.
            for e in node_events.iter().map(|&i| &events[i]) {
                if let EventKind::Offtake {
                    buyer,
                    supplier,
                    product: p,
                    rate,
                    ..
                } = &e.kind
                    && self.net.node(*buyer, *p) == n
                    && let Some(&l) = links.iter().find(|&&l| world.links[l].from == *supplier)
                {
                    self.state.send_order(
                        l,
                        Order {
                            qty: *rate,
                            licence: None,
                            offtake: true,
                        },
                        book_now,
                    );
                    self.state.on_order[l] += rate;
                    self.state.ordered_avg[l] += rate;
                    gap = (gap - rate).max(0.0);
                }
            }
            for &l in links {
                let q = gap * self.state.shares[l];
                if q > EPS {
                    self.state.send_order(
                        l,
                        Order {
                            qty: q,
                            licence: None,
                            offtake: false,
                        },
                        book_now,
                    );
                    self.state.on_order[l] += q;
                }
                let shipped = self.state.shipped_today[l];
                self.state.ordered_avg[l] += fill_alpha * (q - self.state.ordered_avg[l]);
                self.state.shipped_avg[l] += fill_alpha * (shipped - self.state.shipped_avg[l]);
            }
        }
        self.state.scratch.node_events = node_events;
    }

    // ---- 8. shares -------------------------------------------------------------------------

    fn adapt_shares(&mut self) {
        let lambda = self.scenario.settings.adaptation_rate;
        if lambda <= 0.0 {
            return;
        }
        for &n in &self.net.lists.multi_sourced {
            let links = &self.net.links_into[n];
            let fill = &mut self.state.scratch.fill;
            fill.clear();
            fill.extend(links.iter().map(|&l| {
                let o = self.state.ordered_avg[l];
                if o <= 1e-9 * (1.0 + self.net.need0[n]) {
                    1.0
                } else {
                    (self.state.shipped_avg[l] / o).min(1.0)
                }
            }));
            let fill = &self.state.scratch.fill;
            let big_f: f64 = links
                .iter()
                .zip(fill.iter())
                .map(|(&l, f)| self.state.shares[l] * f)
                .sum();
            let good = fill.iter().filter(|&&f| f >= 0.5).count();
            if good == 0 {
                continue;
            }
            for (k, &l) in links.iter().enumerate() {
                let bonus = if fill[k] >= 0.5 {
                    (1.0 - big_f) / good as f64
                } else {
                    0.0
                };
                let w = self.state.shares[l] * fill[k] + bonus;
                self.state.shares[l] = (1.0 - lambda) * self.state.shares[l] + lambda * w;
            }
        }
    }

    // ---- 9. prices -------------------------------------------------------------------------

    /// Target prices per (segment, product) into `out`; with `baseline`, the scarcity term is
    /// left out.
    fn target_prices(&mut self, baseline: bool, out: &mut Vec<f64>) {
        let world = self.world();
        let np = self.net.np;
        let ns = self.net.n_segments;
        let sc = &mut self.state.scratch;
        for v in [&mut sc.gap_num, &mut sc.gap_den, &mut sc.tar_num] {
            v.clear();
            v.resize(ns * np, 0.0);
        }
        for &n in &self.net.lists.stocked {
            let s = self.net.price_of[n];
            let t = self.net.target_stock[n];
            sc.gap_num[s] += (t - self.state.stock[n]).max(0.0);
            sc.gap_den[s] += t;
        }
        // Untariffed links add +0.0, which changes no sum.
        for &l in &self.state.tariffed {
            let n = self.net.buyer_node[l];
            sc.tar_num[self.net.price_of[n]] +=
                self.net.need0[n] * self.state.shares[l] * self.state.policy[l].tariff;
        }
        let need_den = &self.need_den;
        out.clear();
        out.extend((0..ns * np).map(|s| {
            let prod = &world.products[s % np];
            let tau = if need_den[s] > 0.0 {
                sc.tar_num[s] / need_den[s]
            } else {
                0.0
            };
            let gap = if baseline || sc.gap_den[s] <= 0.0 {
                0.0
            } else {
                sc.gap_num[s] / sc.gap_den[s]
            };
            // exp(0) = 1 exactly: most segments have no inventory gap on most days.
            let scarcity = if gap == 0.0 {
                1.0
            } else {
                (prod.price_response * gap).exp()
            };
            prod.price * (1.0 + tau) * scarcity
        }));
    }

    fn update_prices(&mut self) {
        let mut target = std::mem::take(&mut self.state.scratch.target);
        self.target_prices(false, &mut target);
        let np = self.net.np;
        for (s, &t) in target.iter().enumerate() {
            let adj = self.world().products[s % np].price_adjust_days.max(1.0);
            self.state.price[s] += (t - self.state.price[s]) / adj;
        }
        self.state.scratch.target = target;
    }

    // ---- 10. summary and records -----------------------------------------------------------

    fn accumulate_summary(&mut self) {
        let day = self.state.day;
        let records = self.state.records;
        for &n in &self.net.lists.active {
            let nd = &self.state.nodes[n];
            self.state.sum_unmet[n] += nd.unmet;
            if records {
                self.state.sum_need[n] += nd.need;
                if nd.unmet > 1e-9 * nd.need.max(EPS) && self.state.first_stockout[n].is_none() {
                    self.state.first_stockout[n] = Some(day);
                }
                let stock = self.state.stock[n];
                if stock < self.state.min_stock[n] {
                    self.state.min_stock[n] = stock;
                }
            }
            let price = self.state.price[self.net.price_of[n]];
            if price > self.state.peak_price[n].0 {
                self.state.peak_price[n] = (price, day);
            }
        }
    }

    fn emit(&self, sink: &mut dyn Sink) {
        let world = self.world();
        let day = self.state.day;
        let np = self.net.np;
        let node_ids = |n: usize| (RegionId((n / np) as u32), ProductId((n % np) as u32));
        let mut rec = |region, partner, product, variable, value| {
            sink.record(&Record {
                day,
                region,
                partner,
                product,
                variable,
                value,
            })
        };
        for v in Variable::ALL {
            match v {
                Variable::Production => {
                    for n in 0..self.net.nr * np {
                        if self.net.facility_of[n].is_some() {
                            let (r, p) = node_ids(n);
                            rec(r, None, p, v, self.state.nodes[n].production);
                        }
                    }
                }
                Variable::Shipments | Variable::Arrivals | Variable::LandedCost => {
                    for (l, link) in world.links.iter().enumerate() {
                        let value = match v {
                            Variable::Shipments => self.state.shipped_today[l],
                            Variable::Arrivals => self.state.arrived_today[l],
                            _ => {
                                if link.from == link.to {
                                    continue;
                                }
                                self.state.price[self.segment_price_ix(link.from, link.product)]
                                    * (1.0 + self.state.policy[l].tariff)
                            }
                        };
                        // Shipments: region = exporter; arrivals and landed cost: region = importer.
                        let (region, partner) = match v {
                            Variable::Shipments => (link.from, link.to),
                            _ => (link.to, link.from),
                        };
                        rec(region, Some(partner), link.product, v, value);
                    }
                }
                Variable::Inventory
                | Variable::DaysOfCover
                | Variable::Consumption
                | Variable::UnmetDemand
                | Variable::Price
                | Variable::Stockpile => {
                    for n in 0..self.net.nr * np {
                        if !self.net.active[n] {
                            continue;
                        }
                        let (r, p) = node_ids(n);
                        let value = match v {
                            Variable::Inventory => self.state.stock[n],
                            Variable::DaysOfCover => {
                                if self.net.need0[n] <= 0.0 {
                                    continue;
                                }
                                self.cover(n, self.state.stock[n])
                            }
                            Variable::Consumption => self.state.nodes[n].consumption,
                            Variable::UnmetDemand => self.state.nodes[n].unmet,
                            Variable::Price => self.state.price[self.segment_price_ix(r, p)],
                            _ => {
                                if self.state.strategic[n] <= 0.0
                                    && !world
                                        .stockpiles
                                        .iter()
                                        .any(|s| self.net.node(s.region, s.product) == n)
                                {
                                    continue;
                                }
                                self.state.strategic[n]
                            }
                        };
                        rec(r, None, p, v, value);
                    }
                }
                Variable::LicencesApplied
                | Variable::LicencesApproved
                | Variable::LicencesDenied
                | Variable::LicencesPending => {
                    for (l, link) in world.links.iter().enumerate() {
                        if !self.state.lic_seen[l] {
                            continue;
                        }
                        let value = match v {
                            Variable::LicencesApplied => self.state.lic_applied[l],
                            Variable::LicencesApproved => self.state.lic_approved[l],
                            Variable::LicencesDenied => self.state.lic_denied[l],
                            _ => self.state.lic_pending[l],
                        };
                        rec(link.from, Some(link.to), link.product, v, value as f64);
                    }
                }
                Variable::OfftakeTopUp => {
                    for (l, link) in world.links.iter().enumerate() {
                        if self.state.topup_today[l] > 0.0 {
                            rec(
                                link.to,
                                Some(link.from),
                                link.product,
                                v,
                                self.state.topup_today[l],
                            );
                        }
                    }
                }
            }
        }
    }

    /// Emits the licence table and returns the run summary.
    pub fn finish(&self, sink: &mut dyn Sink) -> RunSummary {
        assert!(
            self.state.records,
            "an engine without records cannot finish a run summary"
        );
        let st = &self.state;
        if sink.wants_licences() {
            for idx in 0..st.licences.len() {
                sink.licence(&self.licence_record(idx));
            }
        }
        let np = self.net.np;
        let nn = self.net.nr * np;
        // Licence counts and waits per importing node in one pass over the licences (world
        // scenarios file thousands); waits are summed in filing order, as before.
        let mut applied = vec![0u64; nn];
        let mut by_outcome = vec![[0u64; 3]; nn];
        let mut wait_sum = vec![0.0f64; nn];
        let mut wait_n = vec![0usize; nn];
        for l in &st.licences {
            let link = &self.world().links[l.link];
            let n = self.net.node(link.to, link.product);
            applied[n] += 1;
            let k = match l.outcome {
                LicenceOutcome::Approved => 0,
                LicenceOutcome::Denied => 1,
                LicenceOutcome::Pending => 2,
            };
            by_outcome[n][k] += 1;
            if l.outcome != LicenceOutcome::Pending {
                wait_sum[n] += (l.decide - l.filed) as f64;
                wait_n[n] += 1;
            }
        }
        // Days of cover as reported: 0 where there is no baseline need.
        let reported_cover = |n: usize, stock: f64| {
            let c = self.cover(n, stock);
            if c.is_finite() { c } else { 0.0 }
        };
        let mut rows = Vec::new();
        for n in 0..nn {
            if !self.net.active[n] {
                continue;
            }
            let region = RegionId((n / np) as u32);
            let product = ProductId((n % np) as u32);
            rows.push(SummaryRow {
                region,
                product,
                need_total: st.sum_need[n],
                shortfall: st.sum_unmet[n],
                first_stockout: st.first_stockout[n],
                min_days_of_cover: reported_cover(n, st.min_stock[n]),
                final_days_of_cover: reported_cover(n, st.stock[n]),
                price_peak: st.peak_price[n].0,
                price_peak_day: st.peak_price[n].1,
                licences_applied: applied[n],
                licences_approved: by_outcome[n][0],
                licences_denied: by_outcome[n][1],
                licences_pending: by_outcome[n][2],
                mean_wait_days: if wait_n[n] == 0 {
                    None
                } else {
                    Some(wait_sum[n] / wait_n[n] as f64)
                },
            });
        }
        RunSummary {
            days: self.state.day,
            seed: self.seed,
            rows,
        }
    }

    /// Shortfall and price peak of node (`r`, `p`) so far, as [`Engine::finish`] reports them,
    /// without its pass over every licence (Monte Carlo reads these for every path); `None`
    /// for a node that `finish` leaves out (no facility, demand or link).
    pub fn node_totals(&self, r: RegionId, p: ProductId) -> Option<NodeTotals> {
        let n = self.net.node(r, p);
        self.net.active[n].then(|| NodeTotals {
            shortfall: self.state.sum_unmet[n],
            price_peak: self.state.peak_price[n].0,
        })
    }

    /// Cross-checks the bookkeeping that the engine keeps incrementally against a recount:
    /// on-order per link = inbox + order book + pending licences + batches, and in-transit per
    /// link = the shipments still scheduled to arrive. Returns the first mismatch.
    pub fn audit(&self) -> Result<(), String> {
        assert!(
            self.state.records,
            "an engine without records cannot be audited"
        );
        let st = &self.state;
        let ne = self.net.end_uses.len().max(1);
        // One pass over the licences, not one per link: world scenarios file thousands.
        let mut pending_by_link = vec![0.0; self.world().links.len()];
        for x in &st.licences {
            if x.outcome == LicenceOutcome::Pending {
                pending_by_link[x.link] += x.remaining;
            }
        }
        for (l, &pending) in pending_by_link.iter().enumerate() {
            st.book[l].check().map_err(|e| format!("link {l}: {e}"))?;
            let book = st.book[l].total();
            let recount = st.inbox[l].iter().map(|o| o.qty).sum::<f64>()
                + book
                + pending
                + st.batches[l * ne..(l + 1) * ne].iter().sum::<f64>();
            let tol = 1e-9 * (1.0 + recount.abs() + self.net.flow0[l]);
            if (recount - st.on_order[l]).abs() > tol {
                return Err(format!(
                    "link {l}: on order {} but recount {recount}",
                    st.on_order[l]
                ));
            }
            let nl = self.net.transit_days.len();
            let scheduled: f64 = (0..st.ring_len).map(|slot| st.ring[slot * nl + l]).sum();
            if (scheduled - st.in_transit[l]).abs() > tol {
                return Err(format!(
                    "link {l}: in transit {} but scheduled {scheduled}",
                    st.in_transit[l]
                ));
            }
        }
        Ok(())
    }

    /// In-transit quantity per link (for invariant checks).
    pub fn in_transit(&self) -> &[f64] {
        &self.state.in_transit
    }

    /// Licences filed so far, as they stand today.
    pub fn licences(&self) -> impl Iterator<Item = LicenceRecord> {
        assert!(
            self.state.records,
            "an engine without records does not track licences"
        );
        (0..self.state.licences.len()).map(|idx| self.licence_record(idx))
    }

    /// Quantity shipped on each link today.
    pub fn shipped_today(&self) -> &[f64] {
        &self.state.shipped_today
    }
}

/// Takes link `l`'s part of a tier served at fraction `frac` of its claims from its book (only
/// offtake lines with `offtake_only`): whole lines when the tier is served in full, otherwise
/// first in, first out up to `claim · frac`, telling each licence what is left of it.
fn take_share(
    st: &mut State,
    l: usize,
    claim: f64,
    frac: f64,
    offtake_only: bool,
    day: Day,
) -> Shipped {
    let (book, licences) = (&mut st.book[l], &mut st.licences);
    let all = frac >= 1.0 && !offtake_only;
    let give = if frac >= 1.0 {
        f64::INFINITY
    } else {
        claim * frac
    };
    // Without records nothing reads an approved licence again: skip visiting them.
    match (all, st.records) {
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
fn ship_on(st: &mut State, net: &Network, l: usize, q: f64) {
    if q <= 0.0 {
        return;
    }
    st.on_order[l] -= q;
    st.shipped_today[l] += q;
    if st.records {
        st.nodes[net.seller_node[l]].shipped += q;
    }
    let transit = net.transit_days[l] as usize;
    if transit == 0 {
        let to = net.buyer_node[l];
        st.stock[to] += q;
        if st.records {
            st.nodes[to].arrivals += q;
            st.arrived_today[l] += q;
        }
    } else {
        // transit < ring_len: one wrap at most, without a division.
        let mut slot = st.day_slot + transit;
        if slot >= st.ring_len {
            slot -= st.ring_len;
        }
        st.ring[slot * net.transit_days.len() + l] += q;
        st.in_transit[l] += q;
    }
}

/// Does the selector pick product `p`?
pub fn selects(world: &World, sel: &ProductSelector, p: ProductId) -> bool {
    match sel {
        ProductSelector::All => true,
        ProductSelector::Ids(v) => v.contains(&p),
        ProductSelector::Elements(els) => world.products[p.ix()].contains_any(els),
    }
}

/// The shortest decision delay [`draw_decision`] can return for `terms`: its rounding and cap
/// applied to the lead time's smallest possible value (rounding, `max` and `min` keep order).
fn earliest_delay(terms: &LicenceTerms) -> Day {
    let lowest = match terms.lead_time {
        LeadTime::Fixed(v) => v,
        LeadTime::Uniform(a, b) => a.min(b),
        // A triangle it cannot build falls back to its mode.
        LeadTime::Triangular(a, m, _) => a.min(m),
    };
    let mut days = lowest.round().max(0.0);
    if let Some(cap) = terms.cap_days {
        days = days.min(cap as f64);
    }
    days as Day
}

/// Draws approval and decision delay (whole days, capped) for one application.
fn draw_decision(terms: &LicenceTerms, rng: &mut Pcg64) -> (bool, Day) {
    let u: f64 = rng.random();
    let approve = u < terms.approval;
    let raw = match terms.lead_time {
        LeadTime::Fixed(v) => v,
        LeadTime::Uniform(a, b) => {
            let u: f64 = rng.random();
            a + (b - a) * u
        }
        LeadTime::Triangular(a, m, b) => {
            if b > a {
                Triangular::new(a, b, m).map(|t| t.sample(rng)).unwrap_or(m)
            } else {
                a
            }
        }
    };
    let mut days = raw.round().max(0.0);
    if let Some(cap) = terms.cap_days {
        days = days.min(cap as f64);
    }
    (approve, days as Day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The shared opening stops before the earliest possible decision: no draw may come
        /// sooner than `earliest_delay` says, whatever the terms, and the bound is reached.
        #[test]
        fn no_decision_comes_before_the_earliest_delay(
            a in 0.0..40.0f64, wide in 0.0..40.0f64, at in 0.0..1.0f64,
            kind in 0..3u8, cap in proptest::option::of(0..60u32), seed in any::<u64>(),
        ) {
            let lead_time = match kind {
                0 => LeadTime::Fixed(a),
                1 => LeadTime::Uniform(a, a + wide),
                _ => LeadTime::Triangular(a, a + wide * at, a + wide),
            };
            let terms = LicenceTerms { approval: 0.5, lead_time, cap_days: cap };
            let earliest = earliest_delay(&terms);
            let mut rng = path_rng(seed, 0);
            let waits: Vec<Day> = (0..200).map(|_| draw_decision(&terms, &mut rng).1).collect();
            prop_assert!(waits.iter().all(|&w| w >= earliest), "{waits:?} vs {earliest}");
            if wide == 0.0 || kind == 0 {
                prop_assert!(waits.iter().all(|&w| w == earliest));
            }
        }
    }
}
