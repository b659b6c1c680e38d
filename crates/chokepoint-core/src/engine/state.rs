//! The engine's data: [`Engine`] (the scenario, its network, the controls the rules refer to,
//! demand terms, and the path's [`State`]) and the mutable state of one path, in named parts: [`Stocks`] (commercial stocks, strategic
//! stockpiles and the in-transit pipeline), [`Plants`] (capacity, its ramps, recipe mixes),
//! [`Orders`] (inboxes, order books, what is on order, supplier shares and the smoothed flows
//! that move them), [`Licences`] (applications, the decision queue, open batches), [`Policy`]
//! (the rules in force, the days they change, quota counters), [`Market`] (segment prices),
//! [`Today`] (the day's flows the simulation reads back), [`Origins`] (the origin shares of
//! stocks, shipments and outputs, empty unless origins are traced), [`Records`] (what only records,
//! summaries and audits read, plus the two totals Monte Carlo reads) and [`Draws`] (the path's
//! generator and the Monte Carlo opening's deferred draws). Each phase of the day
//! (`engine/*.rs`) reads and writes the parts it names.
//!
//! [`Spare`] is an engine without the scenario it borrowed, kept between Monte Carlo paths.
//! [`State::copy_from`] copies a state into another's allocations (a Monte Carlo path restarted
//! from the shared opening); each part lists its fields in an exhaustive pattern, so a field
//! added to a part must be copied too.

use super::origin_shares::OriginIndex;
pub use super::origin_shares::Origins;
use crate::event::{Controls, Day, Rules};
use crate::network::Network;
use crate::order_book::{Order, OrderBook};
use crate::record::LicenceOutcome;
use crate::scenario::Scenario;
use rand_pcg::Pcg64;
use std::collections::VecDeque;

/// Quantities below this are treated as zero when deciding whether anything is left to do.
pub(super) const EPS: f64 = 1e-12;

#[derive(Clone)]
pub struct Engine<'a> {
    pub scenario: &'a Scenario,
    pub net: Network,
    pub state: State,
    /// The licensing regimes and quotas the rules refer to.
    pub(super) controls: Controls<'a>,
    pub(super) seed: u64,
    /// Baseline need per (segment, product): the denominator of the need-weighted tariff.
    pub(super) need_den: Vec<f64>,
    pub(super) demand_terms: DemandTerms,
    /// Which origins are traced (none unless a re-export clause or `trace-origins` asks).
    pub(super) origin_index: OriginIndex,
    /// Per link: days before a new supplier takes orders (0 for links with a baseline share);
    /// empty when no product has a qualification time.
    pub(super) qualification: Vec<u32>,
}

/// An engine without its scenario: what a finished Monte Carlo path leaves to the next path
/// started from the same opening (`Engine::into_spare`, `Engine::start_path_of`), so that the
/// next path reuses its allocations (order books, licences, per-link vectors) and its network
/// instead of building them again. It borrows nothing, so it outlives the path's scenario.
#[derive(Debug)]
pub struct Spare {
    pub(super) net: Network,
    pub(super) state: State,
    pub(super) need_den: Vec<f64>,
    pub(super) demand_terms: DemandTerms,
    pub(super) origin_index: OriginIndex,
    pub(super) qualification: Vec<u32>,
}

/// Final demand rows share a few growth rates and (price, elasticity) pairs (world-2024: 178
/// rows, 32 pairs), so each power is taken once per distinct value and day.
#[derive(Debug, Clone, Default)]
pub(super) struct DemandTerms {
    /// Per demand row: index into `rates` and into `pairs`.
    pub rate_of: Vec<u32>,
    pub pair_of: Vec<u32>,
    pub rates: Vec<f64>,
    /// (segment price index, elasticity).
    pub pairs: Vec<(usize, f64)>,
    /// Per demand row: its node; and the nodes with a demand row, ascending (the only nodes
    /// whose wanted quantity can be positive).
    pub node_of: Vec<u32>,
    pub nodes: Vec<usize>,
}

/// Mutable state of one path.
#[derive(Debug, Clone)]
pub struct State {
    pub day: Day,
    pub stocks: Stocks,
    pub plants: Plants,
    pub orders: Orders,
    pub licences: Licences,
    pub policy: Policy,
    pub market: Market,
    pub today: Today,
    pub origins: Origins,
    pub records: Records,
    pub draws: Draws,
    pub(super) scratch: Scratch,
}

/// Commercial stocks, strategic stockpiles and the in-transit pipeline, per node and link.
#[derive(Debug, Clone)]
pub struct Stocks {
    pub stock: Vec<f64>,
    pub strategic: Vec<f64>,
    /// `ring[(day % ring_len) · links + link]` = quantity arriving that day.
    pub(super) ring: Vec<f64>,
    pub(super) ring_len: usize,
    /// `day % ring_len`.
    pub(super) day_slot: usize,
    pub in_transit: Vec<f64>,
}

/// Capacity per facility, the ramps moving it, and the recipe mix per facility.
#[derive(Debug, Clone)]
pub struct Plants {
    pub capacity: Vec<f64>,
    pub(super) ramps: Vec<Option<Ramp>>,
    /// Capacity before each capacity event started (to ramp back at its end).
    pub(super) cap_before: Vec<f64>,
    /// Recipe mix per facility, aligned with `Network::recipe_mix0`.
    pub mix: Vec<Vec<f64>>,
}

/// Orders in flight and the buyers' sourcing.
#[derive(Debug, Clone)]
pub struct Orders {
    /// Orders placed yesterday, reaching their supplier today (step 3).
    pub(super) inbox: Vec<Vec<Order>>,
    /// Bit `l % 64` of word `l / 64` set while link `l`'s inbox holds orders: step 3 visits
    /// those links in ascending order without looking at the others (most links book their
    /// orders when placed).
    pub(super) inbox_open: Vec<u64>,
    pub(super) book: Vec<OrderBook>,
    /// Outstanding quantity per link: inbox + order book + pending licences and batches.
    pub on_order: Vec<f64>,
    pub shares: Vec<f64>,
    /// Exponential averages of quantity ordered from and shipped by each link.
    pub(super) ordered_avg: Vec<f64>,
    pub(super) shipped_avg: Vec<f64>,
    /// 7-day exponential average of each node's wanted usage.
    pub(super) need_avg: Vec<f64>,
    /// Per link with a qualification time: the day a buyer first gave it a share (`Day::MAX`:
    /// not yet); empty without qualification times.
    pub(super) tried: Vec<Day>,
}

/// Licence applications filed so far, the queue of pending decisions, open batches.
#[derive(Debug, Clone)]
pub struct Licences {
    pub(super) filed: Vec<Licence>,
    /// Pending decisions by decision day (front = today).
    pub(super) decisions: VecDeque<Vec<Decision>>,
    /// Batched applications per (link, end-use slot): quantity.
    pub(super) batches: Vec<f64>,
    /// Non-zero entries of `batches` (most days none: the batch pass is skipped).
    pub(super) batches_open: usize,
    /// Today's decisions are made (step 4): the queue's front is tomorrow, and an application
    /// filed now (a re-export clause files at production) is decided tomorrow at the earliest.
    pub(super) decided_today: bool,
}

/// The rules in force, the days they change, and the quotas' counters.
#[derive(Debug, Clone)]
pub struct Policy {
    pub rules: Rules,
    /// Days after day 0 on which an event starts or ends, latest first (popped as reached).
    pub(super) change_days: Vec<Day>,
    /// Per quota: quantity accepted in the current period, and that period's number.
    pub(super) quota_used: Vec<f64>,
    pub(super) quota_period: Vec<u32>,
    /// Per (thrifting lever, final-demand row), empty without thrifting: consecutive active
    /// days with the row's price above the lever's threshold, and the day the row was
    /// triggered (`Day::MAX`: not yet).
    pub(super) thrift_run: Vec<u32>,
    pub(super) thrift_since: Vec<Day>,
    /// Per final-demand row, empty without thrifting: f_d, the share of demand kept today.
    pub(super) thrift_kept: Vec<f64>,
}

/// Prices per (segment, product), and at the start of the run.
#[derive(Debug, Clone)]
pub struct Market {
    pub price: Vec<f64>,
    pub(super) price0: Vec<f64>,
}

/// The day's flows that the simulation reads back: per node (need, unmet demand and
/// production; the rest of [`NodeDay`] only with records) and per link (shipments).
#[derive(Debug, Clone)]
pub struct Today {
    pub nodes: Vec<NodeDay>,
    pub shipped: Vec<f64>,
}

/// What records, summaries and audits read: per-link arrivals, offtake top-ups and licence
/// counts of the day, and the run's totals per node. Monte Carlo reads `sum_unmet` and
/// `peak_price` ([`super::Engine::node_totals`]); an engine without records keeps only those
/// and the licence counts.
#[derive(Debug, Clone)]
pub struct Records {
    pub(super) arrived: Vec<f64>,
    pub(super) topup: Vec<f64>,
    pub(super) applied: Vec<u32>,
    pub(super) approved: Vec<u32>,
    pub(super) denied: Vec<u32>,
    pub(super) pending: Vec<u32>,
    /// Links that have seen a licence application (their licence series are recorded).
    pub(super) seen: Vec<bool>,
    pub(super) sum_need: Vec<f64>,
    pub(super) sum_unmet: Vec<f64>,
    pub(super) first_stockout: Vec<Option<Day>>,
    /// Lowest commercial stock so far: the lowest days of cover is this over the baseline need
    /// (division by a positive constant keeps order, so that is the lowest daily cover exactly).
    pub(super) min_stock: Vec<f64>,
    pub(super) peak_price: Vec<(f64, Day)>,
}

/// The path's generator and what Monte Carlo needs to start paths from a shared opening.
#[derive(Debug, Clone)]
pub struct Draws {
    pub(super) rng: Pcg64,
    /// Whether the record-only bookkeeping is kept ([`super::Engine::without_records`]).
    pub(super) records: bool,
    /// Numbers drawn from `rng` so far: a state with none drawn is the same for every path.
    pub(super) drawn: u64,
    /// Whether licence decisions are being deferred ([`super::Engine::deferring_draws`]), the
    /// applications filed meanwhile (in filing order), and the earliest day any of them could
    /// be decided.
    pub(super) defer: bool,
    pub(super) deferred: Vec<usize>,
    pub(super) earliest_decision: Day,
}

/// One licence application. Kept small (no names): world scenarios file tens of thousands a
/// path, and the `LicenceRecord` a sink sees is built from it only when one is wanted.
#[derive(Debug, Clone)]
pub(super) struct Licence {
    pub link: usize,
    /// The regime it was filed under (index in `Controls::regimes`), or the one of the same
    /// exporter that governs its link since.
    pub regime: u32,
    /// End-use slot in `Network::end_uses`; `u32::MAX` when the regime has no end-use rules.
    pub end_use: u32,
    pub quantity: f64,
    pub filed: Day,
    /// Decision day and outcome as drawn when filed (`Day::MAX` and `false` while the draw is
    /// deferred, see [`super::Engine::deferring_draws`]); the outcome follows the approval
    /// odds of a later regime while it waits ([`super::Engine::reconsider_pending`]).
    pub decide: Day,
    pub approve: bool,
    /// The uniform draw of its outcome: approved when below the approval odds in force.
    pub draw: f64,
    pub outcome: LicenceOutcome,
    /// Day the last of the licensed quantity shipped.
    pub shipped: Option<Day>,
    pub remaining: f64,
}

/// A pending licence decision as queued for its day: what step 4 needs of the licence, kept
/// beside its index so that deciding does not fetch the licence (filed weeks before, far away in
/// a list of tens of thousands) unless records want its outcome.
#[derive(Debug, Clone, Copy)]
pub(super) struct Decision {
    pub licence: usize,
    pub link: usize,
    pub approve: bool,
    /// The licensed quantity (a pending licence's remainder: none of it ships before approval).
    pub quantity: f64,
}

/// A capacity ramp in progress: linear from `from` to `to` over `days` from `start`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ramp {
    pub from: f64,
    pub to: f64,
    pub start: Day,
    pub days: u32,
}

impl Ramp {
    /// Capacity at the end of `day`: `from + (to − from)·(day + 1 − start)/days`, `to` once
    /// the ramp is over.
    pub fn at(&self, day: Day) -> f64 {
        if self.days == 0 || day + 1 >= self.start + self.days {
            return self.to;
        }
        let k = (day + 1 - self.start) as f64 / self.days as f64;
        self.from + (self.to - self.from) * k
    }
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
    /// Recycled supply added to stock today (a `recycling` lever).
    pub recycled: f64,
    /// Final demand a `thrifting` lever avoided today (before it was served).
    pub thrifted: f64,
    /// Largest capacity in force today (for the flow ≤ capacity invariant).
    pub capacity: f64,
}

impl NodeDay {
    /// Whether the node ran short today: unmet demand above 1e-9 of the day's need (of at
    /// least [`EPS`], the dust a rationing fraction can leave for a day). The one rule behind a
    /// single run's `first_stockout` and the Monte Carlo stoppage counts, so that path 0 of a
    /// seed reports the same first day as `chokepoint run`.
    pub fn runs_short(&self) -> bool {
        self.unmet > 1e-9 * self.need.max(EPS)
    }
}

/// Per-day working buffers, kept between days so that a day allocates nothing; each is taken
/// out of the state while in use (`std::mem::take`) and put back, cleared, afterwards.
#[derive(Debug, Clone, Default)]
pub(super) struct Scratch {
    pub jobs: Vec<(usize, crate::model::RegionId, crate::model::ProductId, f64)>,
    pub made: Vec<f64>,
    pub claims: Vec<(usize, f64)>,
    pub fill: Vec<f64>,
    pub wanted: Vec<f64>,
    pub parts: Vec<(usize, f64)>,
    pub avail: Vec<f64>,
    pub gap_num: Vec<f64>,
    pub gap_den: Vec<f64>,
    pub tar_num: Vec<f64>,
    pub target: Vec<f64>,
    /// Per link: its book's total when production set the supplier's target.
    pub book_total: Vec<f64>,
    /// Today's `(1 + g)^years` per distinct growth rate and `(P/P0)^(−ε)` per distinct
    /// (price, elasticity) pair, aligned with `DemandTerms`.
    pub growth: Vec<f64>,
    pub response: Vec<f64>,
    /// Per node, during one production level: input claimed by the level's facilities, and
    /// the stock when the level started (NaN = not yet looked at).
    pub input_claims: Vec<f64>,
    pub claim_stock: Vec<f64>,
}

/// `clone_from` field by field (a derived `Clone` replaces the whole value, dropping the
/// allocations a restarted path would reuse). The pattern is exhaustive on purpose: a field
/// added to a part must be listed here.
macro_rules! copy_from {
    ($($part:ident { $($f:ident),* $(,)? })*) => {
        $(impl $part {
            pub(super) fn copy_from(&mut self, src: &$part) {
                let $part { $($f),* } = self;
                $($f.clone_from(&src.$f);)*
            }
        })*
    };
}

copy_from! {
    Stocks { stock, strategic, ring, ring_len, day_slot, in_transit }
    Plants { capacity, ramps, cap_before, mix }
    Orders {
        inbox, inbox_open, book, on_order, shares, ordered_avg, shipped_avg, need_avg, tried,
    }
    Licences { filed, decisions, batches, batches_open, decided_today }
    Policy { rules, change_days, quota_used, quota_period, thrift_run, thrift_since, thrift_kept }
    Market { price, price0 }
    Today { nodes, shipped }
    Origins {
        no, stock, strategic, ring, output, drawn, draws, inflow, outflow, route_content,
        route_shipped,
    }
    Records {
        arrived, topup, applied, approved, denied, pending, seen, sum_need, sum_unmet,
        first_stockout, min_stock, peak_price,
    }
    Draws { rng, records, drawn, defer, deferred, earliest_decision }
    Scratch {
        jobs, made, claims, fill, wanted, parts, avail, gap_num, gap_den, tar_num, target,
        book_total, growth, response, input_claims, claim_stock,
    }
}

impl State {
    /// Makes this state a copy of `src`, reusing this one's allocations (the order books,
    /// licences and per-link vectors of a path that ran before), which a fresh clone would
    /// allocate and grow again for every path.
    pub(super) fn copy_from(&mut self, src: &State) {
        let State {
            day,
            stocks,
            plants,
            orders,
            licences,
            policy,
            market,
            today,
            origins,
            records,
            draws,
            scratch,
        } = self;
        *day = src.day;
        stocks.copy_from(&src.stocks);
        plants.copy_from(&src.plants);
        orders.copy_from(&src.orders);
        licences.copy_from(&src.licences);
        policy.copy_from(&src.policy);
        market.copy_from(&src.market);
        today.copy_from(&src.today);
        origins.copy_from(&src.origins);
        records.copy_from(&src.records);
        draws.copy_from(&src.draws);
        scratch.copy_from(&src.scratch);
    }
}
