//! The daily engine: moves goods through the network one integer day at a time.
//!
//! [`Engine::new`] turns a [`Scenario`] into a [`Network`] (dense indices, a topological product
//! order, the baseline flows that put the network in a steady state), declares the scenario's
//! [`Controls`] (licensing regimes and quotas) and builds the initial [`State`] (stocks at
//! their initial days of cover, pipelines full of baseline shipments, one day of baseline
//! orders in every supplier's inbox, the rules of day 0). [`Engine::step`] advances one day
//! and emits [`Record`](crate::record::Record)s through a [`Sink`]; [`simulate`] runs the whole
//! horizon and returns the [`RunSummary`]. A *node* is one (region, product) pair; a *link* is
//! one supply route.
//!
//! ## One day ([`Engine::step`]; `docs/model.md` has the equations)
//! 1. **Events** (`events.rs`): on a day where an event starts or ends, the events are compiled
//!    into the day's [`Rules`](crate::event::Rules) (bans, licensing regimes, quotas, tariffs,
//!    demand multipliers, rationing, stockpile flows, offtakes); capacity ramps start and move.
//! 2. **Arrivals** (`arrivals.rs`): shipments due today enter the buyer's stock.
//! 3. **Orders received and licensing** (`orders_received.rs`): yesterday's orders reach their
//!    suppliers: rejected (ban, beyond a quota), filed as licence applications (drawn now from
//!    the path's generator), or booked.
//! 4. **Licence decisions** (`decisions.rs`) due today: approved orders are booked, denied ones
//!    cancelled.
//! 5. **Production and allocation** (`production.rs`, `production/allocation.rs`), inputs
//!    first: `q = min(order book, capacity, inputs/recipe)`; output shared over the order book
//!    by offtakes and the rationing rule, and shipped.
//! 6. **Stockpiles and final demand** (`final_demand.rs`): releases, final demand served from
//!    stock (lost if unmet), purchases.
//! 7. **Orders placed** (`orders_placed.rs`): order-up-to `S = N̂ · (target_days + L̄)` against
//!    the position, offtakes first, split by supplier shares.
//! 8. **Supplier shares** (`shares.rs`) move toward suppliers that deliver.
//! 9. **Prices** (`prices.rs`) per (segment, product) follow the inventory gap and tariffs.
//! 10. **Records** (`records.rs`): the run's totals, and the day's records when wanted.
//!
//! The phases read the rules, never an event: what an event does lives in its kind's module
//! (`crate::event`). Mass balance per node and day: `Δstock = arrivals + release −
//! consumption − purchase`, and a facility ships exactly what it produces (no finished-goods
//! stock): `production = Σ shipments`.

mod arrivals;
mod audit;
mod decisions;
mod events;
mod final_demand;
mod orders_placed;
mod orders_received;
mod origin_shares;
mod origins;
mod prices;
mod production;
mod records;
mod shares;
mod state;

use crate::event::{Controls, Day, Rules};
pub use crate::network::Network;
use crate::order_book::{Order, OrderBook};
use crate::record::Sink;
pub use crate::rng::path_rng;
use crate::scenario::Scenario;
use crate::summary::RunSummary;
pub use records::NodeTotals;
use state::{DemandTerms, Scratch};
pub use state::{
    Draws, Engine, Licences, Market, NodeDay, Orders, Origins, Plants, Policy, Records, Spare,
    State, Stocks, Today,
};
use std::collections::VecDeque;

/// Runs `scenario` for its whole horizon as path 0 of `seed`, streaming records to `sink`.
pub fn simulate(scenario: &Scenario, seed: u64, sink: &mut dyn Sink) -> RunSummary {
    let mut engine = Engine::new(scenario, seed, 0);
    while !engine.finished() {
        engine.step(sink);
    }
    engine.finish(sink)
}

impl<'a> Engine<'a> {
    pub fn new(scenario: &'a Scenario, seed: u64, path: u64) -> Engine<'a> {
        let net = Network::new(&scenario.world);
        let controls = Controls::declare(&scenario.events);
        let origin_index = origin_shares::OriginIndex::new(scenario, &net);
        let mut state = initial_state(scenario, &net, &controls, seed, path);
        state.origins =
            Origins::baseline(&origin_index, &scenario.world, &net, state.stocks.ring_len);
        let mut need_den = vec![0.0; net.n_segments * net.np];
        for n in 0..net.nr * net.np {
            need_den[net.price_of[n]] += net.need0[n];
        }
        let demand_terms = DemandTerms::new(&scenario.world, &net);
        let mut engine = Engine {
            scenario,
            demand_terms,
            net,
            state,
            controls,
            seed,
            need_den,
            origin_index,
            qualification: qualification_days(scenario),
        };
        engine.compile_rules();
        // Prices start at base price with the baseline tariffs folded in.
        let mut p = Vec::new();
        engine.target_prices(true, &mut p);
        engine.state.market.price0.clone_from(&p);
        engine.state.market.price = p;
        engine
    }

    /// Advances one day.
    pub fn step(&mut self, sink: &mut dyn Sink) {
        self.apply_events(); // 1
        self.open_day();
        self.receive_arrivals(); // 2
        self.receive_orders(); // 3
        self.decide_licences(); // 4
        self.produce_and_ship(); // 5
        self.serve_final_demand(); // 6
        self.place_orders(); // 7
        self.adapt_shares(); // 8
        self.update_prices(); // 9
        self.record(sink); // 10
        self.state.day += 1;
        self.state.licences.decided_today = false;
    }

    pub fn finished(&self) -> bool {
        self.state.day >= self.scenario.settings.days
    }

    /// This engine with licence decisions deferred: an application is filed as usual, but its
    /// outcome and decision day are drawn only when [`Engine::for_path`] starts a path from
    /// the state. Nothing else in a day depends on an undecided application, so until the
    /// first day one could be decided ([`Engine::earliest_decision`]) the state is the same
    /// for every path, and the draws made later in filing order give each path exactly the
    /// numbers it would have drawn when filing.
    pub fn deferring_draws(mut self) -> Engine<'a> {
        self.state.draws.defer = true;
        self
    }

    /// This engine without the bookkeeping that only records, summaries and audits read. Of
    /// each node's day only need, unmet demand and production are kept (not its opening stock,
    /// arrivals, consumption, shipments, releases, purchases or capacity); per-link arrivals
    /// and top-ups are not kept, nor a decided licence's outcome, nor an approved licence's
    /// remainder and shipping day (its decision reads the quantity queued with it), nor the
    /// summary's total need, first stockout and lowest cover. What drives the simulation and what Monte Carlo
    /// reads (stock, need, unmet demand, production, prices, shipments, order books, licence
    /// decisions, [`Engine::node_totals`]) is computed exactly as with it, and a Monte Carlo
    /// path runs ~5% faster. Such an engine cannot emit records, finish, audit or list its
    /// licences (they panic).
    pub fn without_records(mut self) -> Engine<'a> {
        self.state.draws.records = false;
        self
    }

    /// The earliest day on which a deferred application could be decided (`Day::MAX` when
    /// none is deferred): the state is path-independent only for days before it.
    pub fn earliest_decision(&self) -> Day {
        self.state.draws.earliest_decision
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
        self.begin_path(seed, path);
        true
    }

    /// [`Engine::for_path`] of `scenario`, which is this engine's scenario or one that differs
    /// from it only in numbers read when a licence decision is drawn (a Monte Carlo path's
    /// draws of approval odds, [`crate::uncertain::Uncertainty::only_decision_odds`]): the
    /// network, the state and everything else derived from the world and settings are this
    /// engine's, the licensing regimes (whose terms the deferred draws read) `scenario`'s.
    /// `spare`, what a previous path from this engine left ([`Engine::into_spare`]), lends its
    /// allocations. `None` when this engine cannot start paths.
    pub fn start_path_of<'b>(
        &self,
        scenario: &'b Scenario,
        seed: u64,
        path: u64,
        spare: Option<Spare>,
    ) -> Option<Engine<'b>> {
        if !self.can_start_paths(seed) {
            return None;
        }
        debug_assert_eq!(scenario.events.len(), self.scenario.events.len());
        let Spare {
            net,
            mut state,
            need_den,
            demand_terms,
            origin_index,
            qualification,
        } = match spare {
            Some(s) => s,
            None => self.clone().into_spare(),
        };
        state.copy_from(&self.state);
        let mut e = Engine {
            scenario,
            net,
            state,
            controls: Controls::declare(&scenario.events),
            seed,
            need_den,
            demand_terms,
            origin_index,
            qualification,
        };
        e.begin_path(seed, path);
        Some(e)
    }

    /// What this engine leaves for the next path started from the same engine
    /// ([`Engine::start_path_of`]): everything but the scenario it borrows and its controls.
    pub fn into_spare(self) -> Spare {
        Spare {
            net: self.net,
            state: self.state,
            need_den: self.need_den,
            demand_terms: self.demand_terms,
            origin_index: self.origin_index,
            qualification: self.qualification,
        }
    }

    /// Takes over the licence list's allocation of a previous path's engine (a Monte Carlo
    /// worker without a shared opening builds a new engine every path): world scenarios file
    /// tens of thousands of applications a path, and growing that list again from nothing
    /// copied it a dozen times. Nothing else changes; call it before the first step.
    pub fn reuse_allocations(&mut self, spare: Spare) {
        let licences = &mut self.state.licences;
        debug_assert!(licences.filed.is_empty() && self.state.day == 0);
        let mut filed = spare.state.licences.filed;
        if licences.filed.is_empty() && filed.capacity() > licences.filed.capacity() {
            filed.clear();
            licences.filed = filed;
        }
    }

    /// Whether any of this path's random numbers has been used yet: until then the state does
    /// not depend on the path.
    fn can_start_paths(&self, seed: u64) -> bool {
        let d = &self.state.draws;
        d.drawn == 0 && seed == self.seed && d.earliest_decision >= self.state.day
    }

    /// Gives this state path `path`'s generator and draws the deferred applications' outcomes
    /// from it, in filing order.
    fn begin_path(&mut self, seed: u64, path: u64) {
        self.seed = seed;
        let d = &mut self.state.draws;
        d.rng = path_rng(seed, path);
        d.defer = false;
        d.earliest_decision = Day::MAX;
        let mut deferred = std::mem::take(&mut d.deferred);
        for &idx in &deferred {
            self.decide_later(idx);
        }
        deferred.clear();
        self.state.draws.deferred = deferred;
    }

    /// Resets the day's flows (all of them with records; otherwise those the simulation reads).
    fn open_day(&mut self) {
        let st = &mut self.state;
        if st.draws.records {
            for (nd, &stock) in st.today.nodes.iter_mut().zip(&st.stocks.stock) {
                *nd = NodeDay {
                    stock_start: stock,
                    ..NodeDay::default()
                };
            }
        } else {
            for nd in &mut st.today.nodes {
                (nd.need, nd.unmet, nd.production) = (0.0, 0.0, 0.0);
                (nd.recycled, nd.thrifted) = (0.0, 0.0);
            }
        }
        st.today.shipped.iter_mut().for_each(|v| *v = 0.0);
        if st.origins.no > 0 {
            st.origins.open_day();
        }
        let r = &mut st.records;
        if st.draws.records {
            r.arrived.iter_mut().for_each(|v| *v = 0.0);
            r.topup.iter_mut().for_each(|v| *v = 0.0);
        }
        for v in [&mut r.applied, &mut r.approved, &mut r.denied] {
            v.iter_mut().for_each(|x| *x = 0);
        }
    }

    /// In-transit quantity per link (for invariant checks).
    pub fn in_transit(&self) -> &[f64] {
        &self.state.stocks.in_transit
    }

    /// Quantity shipped on each link today.
    pub fn shipped_today(&self) -> &[f64] {
        &self.state.today.shipped
    }
}

/// The state on day 0, before its rules are compiled: the baseline steady state of `net`.
fn initial_state(
    scenario: &Scenario,
    net: &Network,
    controls: &Controls,
    seed: u64,
    path: u64,
) -> State {
    let world = &scenario.world;
    let nn = net.nr * net.np;
    let nl = world.links.len();
    let ring_len = net.max_transit + 1;
    let mut ring = vec![0.0; nl * ring_len];
    let mut in_transit = vec![0.0; nl];
    let mut inbox = vec![Vec::new(); nl];
    let mut inbox_open = vec![0u64; nl.div_ceil(64)];
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
            inbox_open[l / 64] |= 1 << (l % 64);
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
    // Day 0 is compiled by `Engine::new`; later changes at the start of their day.
    change_days.retain(|&d| d > 0);
    change_days.sort_unstable();
    change_days.dedup();
    change_days.reverse();
    let nq = controls.quotas.len();
    // Thrifting state only where a scenario has thrifting: per (lever, demand row).
    let (nt, nd) = (controls.thrifts.len(), world.demands.len());
    let thrift_rows = if nt > 0 { nt * nd } else { 0 };
    State {
        day: 0,
        stocks: Stocks {
            stock: net.initial_stock.clone(),
            strategic,
            ring,
            ring_len,
            day_slot: 0,
            in_transit,
        },
        plants: Plants {
            cap_before: capacity.clone(),
            capacity,
            ramps: vec![None; world.facilities.len()],
            mix: net
                .recipe_mix0
                .iter()
                .map(|m| m.iter().map(|x| x.1).collect())
                .collect(),
        },
        orders: Orders {
            inbox,
            inbox_open,
            book: vec![OrderBook::default(); nl],
            on_order,
            shares: world.links.iter().map(|l| l.share).collect(),
            ordered_avg: net.flow0.clone(),
            shipped_avg: net.flow0.clone(),
            need_avg: net.need0.clone(),
            tried: if scenario.settings.qualifies_suppliers() {
                vec![Day::MAX; nl]
            } else {
                Vec::new()
            },
        },
        licences: Licences {
            filed: Vec::new(),
            decisions: VecDeque::new(),
            batches: vec![0.0; nl * ne],
            batches_open: 0,
            decided_today: false,
        },
        policy: Policy {
            rules: Rules::default(),
            change_days,
            quota_used: vec![0.0; nq],
            quota_period: vec![0; nq],
            thrift_run: vec![0; thrift_rows],
            thrift_since: vec![Day::MAX; thrift_rows],
            thrift_kept: vec![1.0; if nt > 0 { nd } else { 0 }],
        },
        market: Market {
            price: price0.clone(),
            price0,
        },
        today: Today {
            nodes: vec![NodeDay::default(); nn],
            shipped: vec![0.0; nl],
        },
        origins: Origins::default(),
        records: Records {
            arrived: vec![0.0; nl],
            topup: vec![0.0; nl],
            applied: vec![0; nl],
            approved: vec![0; nl],
            denied: vec![0; nl],
            pending: vec![0; nl],
            seen: vec![false; nl],
            sum_need: vec![0.0; nn],
            sum_unmet: vec![0.0; nn],
            first_stockout: vec![None; nn],
            min_stock: vec![f64::INFINITY; nn],
            peak_price: vec![(0.0, 0); nn],
        },
        draws: Draws {
            rng: path_rng(seed, path),
            records: true,
            drawn: 0,
            defer: false,
            deferred: Vec::new(),
            earliest_decision: Day::MAX,
        },
        scratch: Scratch {
            input_claims: vec![0.0; nn],
            claim_stock: vec![f64::NAN; nn],
            ..Scratch::default()
        },
    }
}

/// Per link, the days a new supplier (zero baseline share) waits before it takes orders;
/// empty when no product has a qualification time.
fn qualification_days(scenario: &Scenario) -> Vec<u32> {
    let settings = &scenario.settings;
    if !settings.qualifies_suppliers() {
        return Vec::new();
    }
    scenario
        .world
        .links
        .iter()
        .map(|l| {
            if l.share > 0.0 {
                0
            } else {
                settings.qualification_days_of(l.product)
            }
        })
        .collect()
}
