//! Uncertain inputs: scenario numbers given as distributions, events with an uncertain date or a
//! probability of happening, and the per-path sampling that turns them into one path's scenario.
//!
//! The parser ([`crate::scenario::parse_scenario_uncertain`]) returns the scenario with every
//! distribution at its *central* value ([`Dist::central`]) plus an [`Uncertainty`]: the list of
//! [`UncertainParam`]s, each a [`Dist`] and the [`Target`] field it sets, in file order.
//! [`Uncertainty::draw`] draws every parameter, in that order, from the path's parameter
//! generator ([`param_rng`], a stream separate from the engine's licence draws so that two
//! scenarios compared on common random numbers see the same licence draws), and
//! [`Uncertainty::apply_to`] sets them: world and scenario-setting numbers here, an event's own
//! numbers through its kind ([`crate::event::EventKind::set`]). `Scenario::for_path` puts the two together. See
//! `docs/scenario.md`, "Uncertainty".

pub use crate::dist::Dist;
use crate::event::{Event, EventTarget, ParamOf};
use crate::model::{Day, Settings, World};
use rand_pcg::Pcg64;

/// The field an uncertain parameter sets. World entities and events are addressed by their index
/// in the scenario's vectors (events: in [`Uncertainty::events`], which keeps improbable ones).
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    FacilityCapacity(usize),
    LinkTariff(usize),
    DemandQuantity(usize),
    DemandGrowth(usize),
    DemandElasticity(usize),
    InventoryInitialDays(usize),
    InventoryTargetDays(usize),
    StockpileQuantity(usize),
    ProductPrice(usize),
    ProductPriceResponse(usize),
    /// A buyer cohort's days of cover: the initial and target days of the stocks the cohort
    /// (sub-region index) holds that [`CohortStocks`] names. Bound by the cohort's code while
    /// the world is read ([`Target::CohortCoverOf`]) and re-pointed to the sub-region once
    /// cohorts are expanded.
    CohortCover(usize, CohortStocks),
    /// A cohort's cover days before expansion, by the cohort's code (`USA/small`); never left
    /// in a parsed scenario.
    CohortCoverOf(String, CohortStocks),
    /// A number of an event's kind; the kind's module says which field it sets
    /// ([`crate::event::EventParam`]).
    Event(EventTarget),
    /// The event's start day (the draw is rounded to a whole day and kept inside the horizon).
    EventStart(usize),
    /// Whether the event happens (draw 1) or not (0) on this path.
    EventOccurs(usize),
    /// The scenario's `adaptation-rate` (how fast buyers move their orders toward suppliers
    /// that deliver): the calibration does not pin it down (docs/calibration.md).
    AdaptationRate,
}

/// Which of a buyer cohort's stocks one of its cover numbers sets: `cover-days` sets every
/// stock, or, beside `products-cover-days`, every stock but those of the cohort's `products`,
/// which `products-cover-days` sets.
#[derive(Debug, Clone, PartialEq)]
pub enum CohortStocks {
    All,
    Of(Vec<crate::model::ProductId>),
    Except(Vec<crate::model::ProductId>),
}

impl CohortStocks {
    /// Whether the cohort's stock of `p` is one of these.
    pub fn holds(&self, p: crate::model::ProductId) -> bool {
        match self {
            CohortStocks::All => true,
            CohortStocks::Of(ps) => ps.contains(&p),
            CohortStocks::Except(ps) => !ps.contains(&p),
        }
    }
}

impl<P> From<ParamOf<P>> for Target
where
    EventTarget: From<ParamOf<P>>,
{
    fn from(p: ParamOf<P>) -> Self {
        Target::Event(EventTarget::from(p))
    }
}

/// One uncertain number: where it was written, what it sets and its distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct UncertainParam {
    /// Name for outputs, e.g. `facility CHN ndfeb-magnet capacity` or `event E003 approval`.
    pub label: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub target: Target,
    pub dist: Dist,
}

/// Every uncertain parameter of a scenario, in file order (the draw order), and the full event
/// list (events whose central value of `probability` is below ½ are absent from the central
/// scenario but may happen on a path).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Uncertainty {
    pub params: Vec<UncertainParam>,
    pub events: Vec<Event>,
}

/// The generator of a path's parameter draws: PCG-64 stream `path` of a state derived from
/// `seed`, distinct from [`crate::rng::path_rng`]'s (licence draws).
pub fn param_rng(seed: u64, path: u64) -> Pcg64 {
    crate::rng::path_rng(seed ^ 0x5A17_C0DE_D15E_A5E5, path)
}

impl Uncertainty {
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    /// Whether every parameter is a number read only when a licence decision is drawn (the
    /// approval odds of a licensing regime, [`crate::event::EventParam::read_at_decision`]):
    /// a path's scenario then differs from the central one in nothing the days before its
    /// first decision read, so Monte Carlo paths can share those days.
    pub fn only_decision_odds(&self) -> bool {
        self.params
            .iter()
            .all(|p| matches!(&p.target, Target::Event(t) if t.param.read_at_decision()))
    }

    /// Draws every parameter in order from `rng`; returns the values (aligned with `params`).
    pub fn draw(&self, rng: &mut Pcg64) -> Vec<f64> {
        self.params.iter().map(|p| p.dist.sample(rng)).collect()
    }

    /// Sets every parameter to its value in `values` (aligned with `params`): world numbers in
    /// `world`, event numbers, dates and occurrences in `events` (the full list,
    /// [`Uncertainty::events`]) for the horizon of `settings`, and scenario settings in
    /// `settings`. Events that do not happen on the path,
    /// or whose start moved onto or past their end, are removed.
    pub fn apply_to(
        &self,
        world: &mut World,
        events: &mut Vec<Event>,
        settings: &mut Settings,
        values: &[f64],
    ) {
        let days: Day = settings.days;
        let mut occurs: Vec<bool> = events.iter().map(|_| true).collect();
        for (p, &v) in self.params.iter().zip(values) {
            let w = &mut *world;
            match &p.target {
                Target::AdaptationRate => settings.adaptation_rate = v,
                Target::FacilityCapacity(i) => w.facilities[*i].capacity = v,
                Target::LinkTariff(i) => w.links[*i].tariff = v,
                Target::DemandQuantity(i) => w.demands[*i].quantity = v,
                Target::DemandGrowth(i) => w.demands[*i].growth = v,
                Target::DemandElasticity(i) => w.demands[*i].elasticity = v,
                Target::InventoryInitialDays(i) => w.inventories[*i].initial_days = v,
                Target::InventoryTargetDays(i) => w.inventories[*i].target_days = v,
                Target::StockpileQuantity(i) => w.stockpiles[*i].quantity = v,
                Target::ProductPrice(i) => w.products[*i].price = v,
                Target::ProductPriceResponse(i) => w.products[*i].price_response = v,
                Target::CohortCover(c, stocks) => {
                    for inv in w.inventories.iter_mut() {
                        if inv.region.ix() == *c && stocks.holds(inv.product) {
                            inv.initial_days = v;
                            inv.target_days = v;
                        }
                    }
                }
                Target::CohortCoverOf(code, _) => {
                    unreachable!("cohort {code}'s cover was not re-pointed after expansion")
                }
                Target::Event(t) => events[t.event].kind.set(&t.param, v),
                Target::EventStart(e) => {
                    let d = v.round().clamp(0.0, f64::from(days.saturating_sub(1))) as Day;
                    events[*e].start = d;
                }
                Target::EventOccurs(e) => occurs[*e] = v >= 0.5,
            }
        }
        let mut k = 0;
        events.retain(|e| {
            let keep = occurs[k] && e.end.is_none_or(|end| e.start < end);
            k += 1;
            keep
        });
    }
}
