//! What the events of a scenario say about one day, as values the engine's phases read.
//!
//! [`Rules`] are compiled on day 0 and again on each day where an event starts or ends
//! (`Rules::compile`, in `event/mod.rs`): from [`Rules::reset`], each event adds what it says
//! about the day (see [`At`]) in scenario order, so that later events override earlier ones where the kind says so (a licensing
//! regime, a rationing rule) and add up where it adds (tariffs, demand multipliers), exactly
//! as listed:
//!
//! - per link ([`LinkRule`]): banned; the licensing regime that governs it (none under a general
//!   licence); the quotas that count it; tariff = baseline + Σ active tariff events; the
//!   offtake price floor; a tariff exemption (the tariff it removes, set to 0 last); the
//!   re-export clauses of other exporters' controls that reach it
//!   ([`ReExport`]);
//! - per final-demand row: the product of the active demand shocks' factors;
//! - per supplier region: its rationing rule;
//! - the active stockpile releases and purchases and offtake orders, in event order;
//! - the capacity ramps that start today, the recycling in force and the thrifting levers
//!   in force.
//!
//! Derived for the phases: whether any link is banned, the links with a tariff (in the order the
//! need-weighted tariff adds them), and the links where no ban, quota or licensing applies.

use super::selectors::{Exports, ReExportClause};
use crate::model::{Day, Rationing, RegionId, World};
use crate::network::Network;

/// What applies to one link today.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinkRule {
    pub banned: bool,
    /// The licensing regime that governs the link (index in [`Controls::regimes`]).
    pub licensing: Option<u32>,
    /// A general licence covers the link (it then ships as if unlicensed).
    pub general: bool,
    /// The quotas that count the link (indices in [`Controls::quotas`]).
    pub quotas: Vec<u32>,
    pub tariff: f64,
    /// A tariff exemption covers the link: its tariff is 0 and `forgone` is the rate it
    /// removed (baseline plus tariff events), the revenue the ledger prices.
    pub exempt: bool,
    pub forgone: f64,
    /// Highest price floor (USD/kg) of the active offtakes on the link; 0 without one.
    pub offtake_floor: f64,
    /// Re-export clauses of other exporters' controls covering this third-country link, in
    /// event order.
    pub reexport: Vec<ReExport>,
}

/// A re-export clause as it reaches one third-country link: an item shipped on the link whose
/// `origin`-origin content is worth at least `de_minimis` of its value (and is not zero) is
/// refused (`licensing` = `None`: the control is a ban) or needs a licence of `origin`'s
/// regime `licensing`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReExport {
    pub origin: RegionId,
    pub de_minimis: f64,
    pub licensing: Option<u32>,
}

impl ReExport {
    /// Whether an item whose `origin`-origin content is worth `value_share` of its value is
    /// covered (see [`ReExportClause::covers`]).
    pub fn covers(&self, value_share: f64) -> bool {
        ReExportClause {
            only: true,
            de_minimis: self.de_minimis,
        }
        .covers(value_share)
    }
}

/// A stockpile release in force: up to `rate` a day from the strategic stockpile into stock;
/// with triggers, only on days when one holds: days of cover below `trigger_days`, or the
/// node's price at or above `trigger_price` (USD/kg).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Release {
    pub node: usize,
    pub rate: f64,
    pub trigger_days: Option<f64>,
    pub trigger_price: Option<f64>,
}

impl Release {
    /// Whether the release runs today at days of cover `cover` and price `price`: always
    /// without a trigger, else when any of its triggers holds.
    pub fn triggered(&self, cover: f64, price: f64) -> bool {
        match (self.trigger_days, self.trigger_price) {
            (None, None) => true,
            (days, at) => days.is_some_and(|t| cover < t) || at.is_some_and(|p| price >= p),
        }
    }
}

/// A stockpile purchase in force: up to `rate` a day from stock into the strategic stockpile;
/// only up to `refill_to` units held and only while the node's price is at most `below_price`
/// (USD/kg), when given (a refill rule).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Purchase {
    pub node: usize,
    pub rate: f64,
    pub refill_to: Option<f64>,
    pub below_price: Option<f64>,
}

impl Purchase {
    /// What the purchase wants today with `held` units in the stockpile at price `price`:
    ///
    /// ```text
    /// want = 0                                  if price > below_price
    ///      = min(rate, max(0, refill_to − held))  otherwise (rate without refill_to)
    /// ```
    pub fn wanted(&self, held: f64, price: f64) -> f64 {
        if self.below_price.is_some_and(|p| price > p) {
            return 0.0;
        }
        match self.refill_to {
            Some(to) => self.rate.min((to - held).max(0.0)),
            None => self.rate,
        }
    }
}

/// An offtake in force: node `node` orders `rate` a day on link `link` ahead of other orders.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OfftakeOrder {
    pub node: usize,
    pub link: usize,
    pub rate: f64,
}

/// A recycling lever in force: recycled `product` enters node `node`'s stock at `rate` a day
/// at full scale, reached linearly over `ramp_days` from its first day `start`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recycle {
    pub node: usize,
    pub rate: f64,
    pub start: Day,
    pub ramp_days: u32,
}

impl Recycle {
    /// Recycled supply on day `day` (on or after `start`):
    /// `r_d = R · min(1, (d − d0 + 1) / max(ramp, 1))`, so the full rate is reached on the
    /// ramp's last day and a ramp of 0 or 1 day starts at full rate.
    pub fn on(&self, day: Day) -> f64 {
        let ramp = f64::from(self.ramp_days.max(1));
        let done = f64::from(day.saturating_sub(self.start) + 1);
        self.rate * (done / ramp).min(1.0)
    }
}

/// Where a capacity ramp that starts today goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RampTo {
    /// To this capacity (the capacity before it is remembered).
    Capacity(f64),
    /// Back to the capacity before the last ramp of the first kind.
    Before,
}

/// A capacity ramp starting today at facility `facility`, linear over `days`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RampStart {
    pub facility: usize,
    pub to: RampTo,
    pub days: u32,
}

/// The rules in force on a day (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {
    pub links: Vec<LinkRule>,
    /// Demand multiplier per final-demand row.
    pub demand: Vec<f64>,
    /// Rationing rule per supplier region.
    pub rationing: Vec<Rationing>,
    pub releases: Vec<Release>,
    pub purchases: Vec<Purchase>,
    pub offtakes: Vec<OfftakeOrder>,
    /// Capacity ramps starting today, in event order.
    pub ramps: Vec<RampStart>,
    /// Recycling in force, in event order.
    pub recycling: Vec<Recycle>,
    /// Thrifting levers in force (indices in [`Controls::thrifts`]).
    pub thrifts: Vec<u32>,
    /// Whether any link is banned.
    pub any_banned: bool,
    /// Whether any link carries a re-export clause.
    pub any_reexport: bool,
    /// Links with a tariff, by buyer node and then in `Network::links_into` order (the order
    /// in which the need-weighted tariff adds them up).
    pub tariffed: Vec<usize>,
    /// Per link: no ban, quota or licensing applies.
    pub plain: Vec<bool>,
}

/// An event as [`Rules::compile`] presents it to its kind: where it stands on the day being
/// compiled, its declared control, and the world to look things up in.
pub struct At<'w> {
    pub world: &'w World,
    pub net: &'w Network,
    pub day: Day,
    /// The event's first day.
    pub start: Day,
    /// Active on `day`.
    pub active: bool,
    /// Starts on `day`.
    pub starts: bool,
    /// Ends on `day` (its first day no longer active).
    pub ends: bool,
    /// What it declared in [`Controls`] (see [`super::Kind::declare`]).
    pub control: Option<u32>,
}

impl At<'_> {
    /// The links an export control covering `exports` applies to. Links between regions of
    /// one home (a region and its buyer cohorts) are domestic; a cohort of the exporter
    /// exports as the exporter does.
    pub fn exports<'s>(&'s self, exports: &'s Exports) -> impl Iterator<Item = usize> + 's {
        self.foreign_links(exports, |from| from == exports.exporter)
    }

    /// The third-country links a re-export clause on a control covering `exports` reaches:
    /// foreign links from another region than the exporter (or its cohorts), to a destination
    /// the control covers other than the exporter itself, carrying a product it covers.
    pub fn reexports<'s>(&'s self, exports: &'s Exports) -> impl Iterator<Item = usize> + 's {
        self.foreign_links(exports, |from| from != exports.exporter)
    }

    /// Links between two homes (a region and its cohorts are one) whose supplier's home passes
    /// `supplier`, to a destination of `exports` that is not the exporter's home, carrying a
    /// product it covers.
    fn foreign_links<'s>(
        &'s self,
        exports: &'s Exports,
        supplier: impl Fn(RegionId) -> bool + 's,
    ) -> impl Iterator<Item = usize> + 's {
        let world = self.world;
        world.links.iter().enumerate().filter_map(move |(l, link)| {
            let (from, to) = (world.home(link.from), world.home(link.to));
            (from != to
                && supplier(from)
                && to != exports.exporter
                && exports.destinations.contains(link.to)
                && exports.products.selects(world, link.product))
            .then_some(l)
        })
    }

    /// Adds the re-export clause `clause` of a control covering `exports` (refused when
    /// `licensing` is `None`, licensed under that regime otherwise) to the links it reaches.
    pub fn add_reexport(
        &self,
        exports: &Exports,
        clause: &ReExportClause,
        licensing: Option<u32>,
        rules: &mut Rules,
    ) {
        let rule = ReExport {
            origin: exports.exporter,
            de_minimis: clause.de_minimis,
            licensing,
        };
        for l in self.reexports(exports) {
            rules.links[l].reexport.push(rule);
        }
    }
}

impl Rules {
    /// The rules of a day before any event says anything: baseline tariffs, demand
    /// multipliers of 1, `rationing` everywhere. Reuses this value's allocations.
    pub(crate) fn reset(&mut self, world: &World, net: &Network, rationing: &Rationing) {
        self.links.resize_with(world.links.len(), LinkRule::default);
        for (rule, link) in self.links.iter_mut().zip(&world.links) {
            let quotas = std::mem::take(&mut rule.quotas);
            let reexport = std::mem::take(&mut rule.reexport);
            *rule = LinkRule {
                tariff: link.tariff,
                quotas,
                reexport,
                ..LinkRule::default()
            };
            rule.quotas.clear();
            rule.reexport.clear();
        }
        self.demand.clear();
        self.demand.resize(world.demands.len(), 1.0);
        self.rationing.clear();
        self.rationing.resize(net.nr, rationing.clone());
        self.releases.clear();
        self.purchases.clear();
        self.offtakes.clear();
        self.ramps.clear();
        self.recycling.clear();
        self.thrifts.clear();
    }

    /// Once every event has added its part: a general licence lifts licensing, and the fields
    /// the phases read instead of rescanning the links.
    pub(crate) fn finish(&mut self, net: &Network) {
        for rule in &mut self.links {
            if rule.general {
                rule.licensing = None;
            }
            // After every tariff event has added its rate, whatever the scenario order.
            if rule.exempt {
                rule.forgone = rule.tariff;
                rule.tariff = 0.0;
            }
        }
        self.any_banned = self.links.iter().any(|r| r.banned);
        self.any_reexport = self.links.iter().any(|r| !r.reexport.is_empty());
        let links = &self.links;
        self.tariffed.clear();
        self.tariffed.extend(
            net.links_into
                .iter()
                .flatten()
                .filter(|&&l| links[l].tariff != 0.0),
        );
        self.plain.clear();
        self.plain.extend(
            self.links
                .iter()
                .map(|r| !r.banned && r.quotas.is_empty() && r.licensing.is_none()),
        );
    }
}
