//! Uncertain inputs: scenario numbers given as distributions, events with an uncertain date or a
//! probability of happening, and the per-path sampling that turns them into one path's scenario.
//!
//! The parser ([`crate::scenario::parse_scenario_uncertain`]) returns the [`Scenario`] with every
//! distribution at its *central* value ([`Dist::central`]) plus an [`Uncertainty`]: the list of
//! [`UncertainParam`]s, each a [`Dist`] and the [`Target`] field it sets, in file order.
//! [`Uncertainty::sample`] draws every parameter, in that order, from the path's parameter
//! generator ([`param_rng`], a stream separate from the engine's licence draws so that two
//! scenarios compared on common random numbers see the same licence draws) and returns that
//! path's scenario. See `docs/scenario.md`, "Uncertainty".

use crate::event::{Day, Event, EventKind};
use crate::model::Scenario;
use rand::RngExt;
use rand_distr::{Beta, Distribution, LogNormal, Normal, Triangular};
use rand_pcg::Pcg64;

/// A distribution of one number. Bounds of truncated forms are inclusive; `±inf` = untruncated.
#[derive(Debug, Clone, PartialEq)]
pub enum Dist {
    Fixed(f64),
    Uniform(f64, f64),
    /// min, mode, max
    Triangular(f64, f64, f64),
    /// Normal(mean, sd) truncated to [min, max].
    Normal {
        mean: f64,
        sd: f64,
        min: f64,
        max: f64,
    },
    /// exp(Normal(mu, sigma)) truncated to [min, max].
    LogNormal {
        mu: f64,
        sigma: f64,
        min: f64,
        max: f64,
    },
    /// Beta(a, b) scaled to [min, max].
    Beta {
        a: f64,
        b: f64,
        min: f64,
        max: f64,
    },
    /// One of `values` with probabilities proportional to `weights`.
    Choice {
        values: Vec<f64>,
        weights: Vec<f64>,
    },
    /// 1 with probability p, else 0 (an event's `probability`).
    Bernoulli(f64),
}

/// Rejection sampling of truncated forms gives up after this many tries and clamps.
const MAX_REJECTIONS: usize = 10_000;

impl Dist {
    /// The value a single (non-Monte-Carlo) run uses: fixed value, uniform midpoint, triangular
    /// mode, normal mean, lognormal median `exp(mu)`, beta mean, the most likely choice (first on
    /// ties), Bernoulli 1 when p ≥ ½; truncated forms clamped into their bounds.
    pub fn central(&self) -> f64 {
        match self {
            Dist::Fixed(x) => *x,
            Dist::Uniform(a, b) => 0.5 * (a + b),
            Dist::Triangular(_, m, _) => *m,
            Dist::Normal { mean, min, max, .. } => mean.clamp(*min, *max),
            Dist::LogNormal { mu, min, max, .. } => mu.exp().clamp(*min, *max),
            Dist::Beta { a, b, min, max } => min + (max - min) * a / (a + b),
            Dist::Choice { values, weights } => {
                let mut best = 0;
                for (i, w) in weights.iter().enumerate() {
                    if *w > weights[best] {
                        best = i;
                    }
                }
                values.get(best).copied().unwrap_or(0.0)
            }
            Dist::Bernoulli(p) => {
                if *p >= 0.5 {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }

    /// Smallest and largest value the distribution can produce.
    pub fn support(&self) -> (f64, f64) {
        match self {
            Dist::Fixed(x) => (*x, *x),
            Dist::Uniform(a, b) | Dist::Triangular(a, _, b) => (*a, *b),
            Dist::Normal { min, max, .. } => (*min, *max),
            Dist::LogNormal { min, max, .. } => (min.max(0.0), *max),
            Dist::Beta { min, max, .. } => (*min, *max),
            Dist::Choice { values, .. } => values
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(*v), hi.max(*v))
                }),
            Dist::Bernoulli(_) => (0.0, 1.0),
        }
    }

    /// Multiplies every value of the distribution by `k > 0` (unit conversion).
    pub fn scaled(self, k: f64) -> Dist {
        if k == 1.0 {
            return self;
        }
        match self {
            Dist::Fixed(x) => Dist::Fixed(x * k),
            Dist::Uniform(a, b) => Dist::Uniform(a * k, b * k),
            Dist::Triangular(a, m, b) => Dist::Triangular(a * k, m * k, b * k),
            Dist::Normal { mean, sd, min, max } => Dist::Normal {
                mean: mean * k,
                sd: sd * k,
                min: min * k,
                max: max * k,
            },
            Dist::LogNormal {
                mu,
                sigma,
                min,
                max,
            } => Dist::LogNormal {
                mu: mu + k.ln(),
                sigma,
                min: min * k,
                max: max * k,
            },
            Dist::Beta { a, b, min, max } => Dist::Beta {
                a,
                b,
                min: min * k,
                max: max * k,
            },
            Dist::Choice { values, weights } => Dist::Choice {
                values: values.into_iter().map(|v| v * k).collect(),
                weights,
            },
            Dist::Bernoulli(p) => Dist::Bernoulli(p),
        }
    }

    /// Draws one value. The number of generator draws depends only on the values drawn, so the
    /// sequence is reproducible.
    pub fn sample(&self, rng: &mut Pcg64) -> f64 {
        match self {
            Dist::Fixed(x) => *x,
            Dist::Uniform(a, b) => {
                let u: f64 = rng.random();
                a + (b - a) * u
            }
            Dist::Triangular(a, m, b) => {
                if b > a {
                    Triangular::new(*a, *b, *m).map_or(*m, |t| t.sample(rng))
                } else {
                    *a
                }
            }
            Dist::Normal { mean, sd, min, max } => match Normal::new(*mean, *sd) {
                Ok(d) => truncated(|r| d.sample(r), *min, *max, rng),
                Err(_) => mean.clamp(*min, *max),
            },
            Dist::LogNormal {
                mu,
                sigma,
                min,
                max,
            } => match LogNormal::new(*mu, *sigma) {
                Ok(d) => truncated(|r| d.sample(r), *min, *max, rng),
                Err(_) => mu.exp().clamp(*min, *max),
            },
            Dist::Beta { a, b, min, max } => match Beta::new(*a, *b) {
                Ok(d) => {
                    let x: f64 = d.sample(rng);
                    min + (max - min) * x
                }
                Err(_) => self.central(),
            },
            Dist::Choice { values, weights } => {
                let total: f64 = weights.iter().sum();
                let u: f64 = rng.random::<f64>() * total;
                let mut acc = 0.0;
                for (v, w) in values.iter().zip(weights) {
                    acc += w;
                    if u < acc {
                        return *v;
                    }
                }
                values.last().copied().unwrap_or(0.0)
            }
            Dist::Bernoulli(p) => {
                let u: f64 = rng.random();
                if u < *p { 1.0 } else { 0.0 }
            }
        }
    }

    /// Short text for messages and tables, e.g. `uniform [1, 2]`.
    pub fn describe(&self) -> String {
        match self {
            Dist::Fixed(x) => format!("fixed {x}"),
            Dist::Uniform(a, b) => format!("uniform [{a}, {b}]"),
            Dist::Triangular(a, m, b) => format!("triangular [{a}, {m}, {b}]"),
            Dist::Normal { mean, sd, .. } => format!("normal [{mean}, {sd}]"),
            Dist::LogNormal { mu, sigma, .. } => format!("lognormal [{mu}, {sigma}]"),
            Dist::Beta { a, b, .. } => format!("beta [{a}, {b}]"),
            Dist::Choice { values, .. } => format!("choice {values:?}"),
            Dist::Bernoulli(p) => format!("probability {p}"),
        }
    }
}

fn truncated(mut draw: impl FnMut(&mut Pcg64) -> f64, min: f64, max: f64, rng: &mut Pcg64) -> f64 {
    let mut x = draw(rng);
    for _ in 0..MAX_REJECTIONS {
        if x >= min && x <= max {
            return x;
        }
        x = draw(rng);
    }
    x.clamp(min, max)
}

/// Which slot of a licensing event an approval applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermsSlot {
    Default,
    Destination(usize),
    EndUse(usize),
}

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
    /// Approval odds of a licensing event, for every slot listed (overrides that do not set
    /// their own `approval` follow the default's draw).
    Approval(usize, Vec<TermsSlot>),
    /// The number of an event's kind: tariff rate, capacity (value × `scale`, for `factor`),
    /// demand-shock factor, stockpile rate, offtake rate, quota quantity.
    EventValue {
        event: usize,
        scale: f64,
    },
    /// Secondary numbers: stockpile-release trigger, offtake floor.
    EventSecondary(usize),
    /// The event's start day (the draw is rounded to a whole day and kept inside the horizon).
    EventStart(usize),
    /// Whether the event happens (draw 1) or not (0) on this path.
    EventOccurs(usize),
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
/// `seed`, distinct from [`crate::engine::path_rng`]'s (licence draws).
pub fn param_rng(seed: u64, path: u64) -> Pcg64 {
    crate::engine::path_rng(seed ^ 0x5A17_C0DE_D15E_A5E5, path)
}

impl Uncertainty {
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    /// Draws every parameter in order from `rng`; returns the values (aligned with `params`).
    pub fn draw(&self, rng: &mut Pcg64) -> Vec<f64> {
        self.params.iter().map(|p| p.dist.sample(rng)).collect()
    }

    /// The scenario of one path: `central` with every parameter set to its draw.
    pub fn apply(&self, central: &Scenario, values: &[f64]) -> Scenario {
        let mut s = Scenario {
            settings: central.settings.clone(),
            world: central.world.clone(),
            events: self.events.clone(),
        };
        if self.events.is_empty() {
            s.events = central.events.clone();
        }
        let mut occurs: Vec<bool> = s.events.iter().map(|_| true).collect();
        let days = s.settings.days;
        for (p, &v) in self.params.iter().zip(values) {
            let w = &mut s.world;
            match &p.target {
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
                Target::Approval(e, slots) => {
                    if let EventKind::ExportLicence(l) = &mut s.events[*e].kind {
                        for slot in slots {
                            match *slot {
                                TermsSlot::Default => l.terms.approval = v,
                                TermsSlot::Destination(k) => l.destinations[k].1.approval = v,
                                TermsSlot::EndUse(k) => l.end_uses[k].1.approval = v,
                            }
                        }
                    }
                }
                Target::EventValue { event, scale } => {
                    let x = v * scale;
                    match &mut s.events[*event].kind {
                        EventKind::Tariff { rate, .. } => *rate = x,
                        EventKind::Capacity { capacity, .. } => *capacity = x,
                        EventKind::DemandShock { factor, .. } => *factor = x,
                        EventKind::StockpileRelease { rate, .. }
                        | EventKind::StockpilePurchase { rate, .. }
                        | EventKind::Offtake { rate, .. } => *rate = x,
                        EventKind::ExportQuota { quantity, .. } => *quantity = x,
                        _ => {}
                    }
                }
                Target::EventSecondary(e) => match &mut s.events[*e].kind {
                    EventKind::StockpileRelease { trigger_days, .. } => *trigger_days = Some(v),
                    EventKind::Offtake { floor, .. } => *floor = v,
                    _ => {}
                },
                Target::EventStart(e) => {
                    let d = v.round().clamp(0.0, f64::from(days.saturating_sub(1))) as Day;
                    s.events[*e].start = d;
                }
                Target::EventOccurs(e) => occurs[*e] = v >= 0.5,
            }
        }
        // An event whose start moved onto or past its end does not happen on this path.
        let mut k = 0;
        s.events.retain(|e| {
            let keep = occurs[k] && e.end.is_none_or(|end| e.start < end);
            k += 1;
            keep
        });
        s
    }

    /// Draws the parameters of `path` and returns its scenario and the drawn values.
    pub fn sample(&self, central: &Scenario, seed: u64, path: u64) -> (Scenario, Vec<f64>) {
        let mut rng = param_rng(seed, path);
        let values = self.draw(&mut rng);
        (self.apply(central, &values), values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_of(d: &Dist, n: usize) -> f64 {
        let mut rng = param_rng(7, 0);
        (0..n).map(|_| d.sample(&mut rng)).sum::<f64>() / n as f64
    }

    #[test]
    fn samples_stay_in_support_and_means_match() {
        let cases = [
            (Dist::Uniform(2.0, 4.0), 3.0),
            (Dist::Triangular(0.0, 3.0, 6.0), 3.0),
            (
                Dist::Normal {
                    mean: 1.0,
                    sd: 0.5,
                    min: f64::NEG_INFINITY,
                    max: f64::INFINITY,
                },
                1.0,
            ),
            (
                Dist::Beta {
                    a: 2.0,
                    b: 2.0,
                    min: 10.0,
                    max: 20.0,
                },
                15.0,
            ),
            (
                Dist::Choice {
                    values: vec![1.0, 3.0],
                    weights: vec![1.0, 1.0],
                },
                2.0,
            ),
            (Dist::Bernoulli(0.25), 0.25),
        ];
        for (d, want) in cases {
            let m = mean_of(&d, 20_000);
            assert!((m - want).abs() < 0.05 * want.abs().max(1.0), "{d:?}: {m}");
            let (lo, hi) = d.support();
            let mut rng = param_rng(1, 3);
            for _ in 0..1000 {
                let x = d.sample(&mut rng);
                assert!(x >= lo && x <= hi, "{d:?}: {x}");
            }
        }
        let t = Dist::Normal {
            mean: 0.0,
            sd: 1.0,
            min: 0.5,
            max: 1.0,
        };
        let mut rng = param_rng(1, 0);
        assert!((0..1000).all(|_| (0.5..=1.0).contains(&t.sample(&mut rng))));
    }

    #[test]
    fn central_values() {
        assert_eq!(Dist::Uniform(1.0, 3.0).central(), 2.0);
        assert_eq!(
            Dist::LogNormal {
                mu: 0.0,
                sigma: 1.0,
                min: 2.0,
                max: 5.0
            }
            .central(),
            2.0
        );
        assert_eq!(
            Dist::Choice {
                values: vec![5.0, 7.0],
                weights: vec![1.0, 3.0]
            }
            .central(),
            7.0
        );
        assert_eq!(Dist::Uniform(1.0, 3.0).scaled(2.0), Dist::Uniform(2.0, 6.0));
    }
}
