//! The validated supply-chain network the engine runs on.
//!
//! A [`World`] holds [`Region`]s, [`Product`]s (with element content), [`Recipe`]s (bills of
//! materials, several per output product for substitution), [`Facility`]s (capacity per region and
//! product), [`Link`]s (supplier → buyer for a product with a baseline share, transit days and a
//! tariff), [`Demand`]s (final demand by end use), [`InventoryPolicy`]s (initial and target days of
//! cover), [`Stockpile`]s and price [`Segment`]s. Every entity is referred to by a dense index
//! ([`RegionId`], [`ProductId`]) so the engine can use flat arrays; codes and names are kept for
//! output. A scenario ([`crate::scenario::Scenario`]) is a world plus dated events and
//! [`Settings`].
//!
//! Quantities are in the product's own unit (`t REO`, `t metal`, `t product`, ...), rates per day,
//! prices in USD/kg. Nothing here is validated on construction: [`crate::scenario`] builds these
//! values from TOML and checks them, and tests may build them directly.

use crate::bands::Bands;
use jiff::civil::Date;

/// Day index from the scenario start (day 0 is the start date). Time is never a float.
pub type Day = u32;

/// Dense index of a region in [`World::regions`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionId(pub u32);
/// Dense index of a product in [`World::products`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProductId(pub u32);

impl RegionId {
    pub fn ix(self) -> usize {
        self.0 as usize
    }
}
impl ProductId {
    pub fn ix(self) -> usize {
        self.0 as usize
    }
}

/// How reliable a number is (DESIGN: every number carries a source and a confidence).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Confidence {
    High,
    Medium,
    Low,
    Assumption,
}

impl Confidence {
    pub const ALL: [(&'static str, Confidence); 4] = [
        ("high", Confidence::High),
        ("medium", Confidence::Medium),
        ("low", Confidence::Low),
        ("assumption", Confidence::Assumption),
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
            Confidence::Assumption => "assumption",
        }
    }
}

/// A cited source, referred to by id from numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub id: String,
    pub title: String,
    pub url: String,
}

/// Where one number of the world came from: `what` names the number in the domain's words
/// (for example `facility CHN ndfeb-magnet capacity`).
#[derive(Debug, Clone, PartialEq)]
pub struct Provenance {
    pub what: String,
    pub value: f64,
    pub unit: String,
    pub source: Option<String>,
    pub confidence: Option<Confidence>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    /// ISO 3166-1 alpha-3 or a user-assigned aggregate (`EUU`, `XRW`).
    pub code: String,
    pub name: String,
    /// Named groups this region belongs to (for example `allies`).
    pub groups: Vec<String>,
    /// For a buyer cohort, the region it is part of (its code is `PARENT/name`); `None` for a
    /// region of the dataset. See [`Cohort`].
    pub parent: Option<RegionId>,
    /// Allocation priority of a cohort's firms at their suppliers: when a supplier's output
    /// falls short of its orders, buyers of higher priority are served first within its
    /// rationing tier. 0 for regions of the dataset and cohorts without `priority`.
    pub priority: u8,
}

/// A buyer cohort as declared (`[[cohort]]`): firms of `region` that make `products` and hold
/// their own stocks of those products' inputs. Cohorts are expanded into sub-regions before
/// the network is built (`crate::scenario::expand_cohorts`), so the engine sees ordinary
/// regions whose [`Region::parent`] is `region`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cohort {
    pub region: RegionId,
    /// Lower-case name; the sub-region's code is `REGION/name`.
    pub name: String,
    /// Products the cohort's firms make, each receiving `share` of the region's final demand,
    /// capacity and exports of it.
    pub products: Vec<ProductId>,
    /// Fraction in [0, 1] of the region's final demand and capacity of each of `products`.
    pub share: f64,
    /// Initial and target days of cover of the cohort's stocks (of its inputs, and of its
    /// `products` unless `products_cover_days` is set); the region's [`InventoryPolicy`] (or
    /// the default) when `None`.
    pub cover_days: Option<f64>,
    /// Initial and target days of cover of the cohort's stocks of its `products` (the
    /// components it makes or buys: finished goods and parts waiting for the line), when they
    /// differ from its inputs' `cover_days`; `cover_days` when `None`.
    pub products_cover_days: Option<f64>,
    /// The regions the cohort's firms have supply contracts with (`sources`): they import
    /// their products and inputs from these only, and the region's other buyers take the rest
    /// of its imports. Empty: the region's suppliers in the region's proportions.
    pub sources: Vec<RegionId>,
    /// Allocation priority at suppliers (see [`Region::priority`]); 0 by default.
    pub priority: u8,
}

/// Stage of a product in the chain, upstream first; the engine produces in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    Mining,
    Separation,
    Metal,
    Magnet,
    Component,
    EndUse,
}

impl Stage {
    pub const ALL: [(&'static str, Stage); 6] = [
        ("mining", Stage::Mining),
        ("separation", Stage::Separation),
        ("metal", Stage::Metal),
        ("magnet", Stage::Magnet),
        ("component", Stage::Component),
        ("end-use", Stage::EndUse),
    ];
    pub fn as_str(self) -> &'static str {
        Stage::ALL
            .iter()
            .find(|(_, s)| *s == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub code: String,
    pub name: String,
    /// Unit of one quantity of this product, e.g. `t REO`, `t metal`, `t product`.
    pub unit: String,
    pub stage: Stage,
    /// kg of element per kg (or per unit) of product, by element symbol, sorted by symbol.
    pub content: Vec<(String, f64)>,
    /// Baseline price, USD/kg.
    pub price: f64,
    /// Scarcity response κ of the price: P* = P0 · (1 + τ̄) · exp(κ · gap).
    pub price_response: f64,
    /// Days for the price to close the distance to its target (first-order lag).
    pub price_adjust_days: f64,
}

impl Product {
    pub fn contains_any(&self, elements: &[String]) -> bool {
        self.content
            .iter()
            .any(|(e, c)| *c > 0.0 && elements.iter().any(|x| x == e))
    }
}

/// A bill of materials: one unit of `output` consumes `coef` units of each input. A region's
/// output is split over the recipes that apply there by a *recipe mix* that starts at the
/// baseline shares (see [`crate::network::Network::recipe_mix0`]) and adapts; when a recipe's
/// inputs run short, the others (in ascending `priority`) make up what they can (substitution).
#[derive(Debug, Clone, PartialEq)]
pub struct Recipe {
    pub output: ProductId,
    pub inputs: Vec<(ProductId, f64)>,
    pub priority: u32,
    /// Baseline fraction of a region's output made with this recipe. Where no applicable recipe
    /// sets one, the first by priority makes everything; otherwise the remainder goes to the
    /// first applicable recipe without a share.
    pub share: Option<f64>,
    /// Regions the recipe is restricted to; empty means everywhere.
    pub regions: Vec<RegionId>,
}

/// Production capacity of one (region, product); a named plant is folded into its region's
/// aggregate, keeping the plant name for reporting.
#[derive(Debug, Clone, PartialEq)]
pub struct Facility {
    pub region: RegionId,
    pub product: ProductId,
    /// Units per day.
    pub capacity: f64,
    pub plants: Vec<String>,
}

/// A supply route for `product` from `from` to `to`. `from == to` is domestic supply. The shares of
/// all links into one (buyer, product) sum to one at baseline and adapt during a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub from: RegionId,
    pub to: RegionId,
    pub product: ProductId,
    pub share: f64,
    pub transit_days: u32,
    /// Baseline ad-valorem tariff (0.25 = 25%).
    pub tariff: f64,
}

/// Final demand of a region for an end-use product.
#[derive(Debug, Clone, PartialEq)]
pub struct Demand {
    pub region: RegionId,
    pub product: ProductId,
    /// End-use category (ev, wind, defence, electronics, other): licence rules may depend on it.
    pub end_use: String,
    /// Units per day at the start of the run.
    pub quantity: f64,
    /// Compound growth per year (0.1 = +10%/yr).
    pub growth: f64,
    /// Price elasticity ε ≥ 0: D = D0 · (P/P0)^(−ε).
    pub elasticity: f64,
}

/// Initial and target inventory of a (region, product) as days of its baseline need.
#[derive(Debug, Clone, PartialEq)]
pub struct InventoryPolicy {
    pub region: RegionId,
    pub product: ProductId,
    pub initial_days: f64,
    pub target_days: f64,
}

/// A strategic stockpile held apart from commercial stock; events release it or buy into it.
#[derive(Debug, Clone, PartialEq)]
pub struct Stockpile {
    pub region: RegionId,
    pub product: ProductId,
    pub quantity: f64,
}

/// A price segment: the regions whose prices move together. Regions not in any segment form the
/// implicit segment `world`.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub name: String,
    pub regions: Vec<RegionId>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct World {
    pub regions: Vec<Region>,
    pub products: Vec<Product>,
    pub recipes: Vec<Recipe>,
    pub facilities: Vec<Facility>,
    pub links: Vec<Link>,
    pub demands: Vec<Demand>,
    pub inventories: Vec<InventoryPolicy>,
    pub stockpiles: Vec<Stockpile>,
    pub segments: Vec<Segment>,
    pub sources: Vec<Source>,
    pub provenance: Vec<Provenance>,
    /// Target and initial days of cover where no [`InventoryPolicy`] is given.
    pub default_cover_days: f64,
}

impl World {
    pub fn region(&self, code: &str) -> Option<RegionId> {
        self.regions
            .iter()
            .position(|r| r.code == code)
            .map(|i| RegionId(i as u32))
    }
    pub fn product(&self, code: &str) -> Option<ProductId> {
        self.products
            .iter()
            .position(|p| p.code == code)
            .map(|i| ProductId(i as u32))
    }
    /// The region `region` is part of: its parent for a cohort, itself otherwise. Trade
    /// between regions of one home is domestic (export controls, tariffs and rationing tiers
    /// look at homes).
    pub fn home(&self, region: RegionId) -> RegionId {
        self.regions[region.ix()].parent.unwrap_or(region)
    }
    pub fn in_group(&self, region: RegionId, group: &str) -> bool {
        self.regions[region.ix()].groups.iter().any(|g| g == group)
    }
}

/// How a supplier shares out output when orders exceed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rationing {
    /// Every buyer gets the same fraction of its outstanding orders.
    Proportional,
    /// The supplier's own region first, then everyone else proportionally.
    DomesticFirst,
    /// Own region, then members of the named group, then the rest; proportional within a tier.
    AllyPriority(String),
}

/// Run settings of a scenario. The engine simulates `days` days from `start`; the first
/// `report_from` of them are a spin-up (a warm start): simulated so that a scenario can begin
/// inside a regime, with its licences pending and its queues and stocks as they would be, but
/// not reported. Records and summaries cover days `report_from..days`, the dates
/// [`Settings::reported_start`] onwards.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub name: String,
    /// The first simulated day (the spin-up's first day when there is one).
    pub start: Date,
    /// Days simulated, the spin-up included.
    pub days: u32,
    /// Days of spin-up before the first reported day.
    pub report_from: Day,
    pub seed: u64,
    pub rationing: Rationing,
    /// λ in the daily share update s ← (1−λ)·s + λ·w/Σw.
    pub adaptation_rate: f64,
    /// Smoothing of the fill rate that drives supplier switching, in days.
    pub fill_memory_days: f64,
    /// Regions whose origin is traced and reported without any rule needing it
    /// (`trace-origins`); a re-export clause adds its exporter.
    pub trace_origins: Vec<RegionId>,
    /// Days before a buyer's orders reach a new supplier (a link with a zero baseline share),
    /// counted from the day the buyer first shifted share to it; 0 = at once.
    pub qualification_days: u32,
    /// Per-product overrides of `qualification_days`, in file order.
    pub qualification_by_product: Vec<(ProductId, u32)>,
    /// Which daily series a Monte Carlo run gives bands for (`bands`; the headline set when
    /// the scenario does not say).
    pub bands: Bands,
}

impl Settings {
    /// The first reported date.
    pub fn reported_start(&self) -> Date {
        self.start
            .checked_add(jiff::Span::new().days(i64::from(self.report_from)))
            .unwrap_or(self.start)
    }

    /// Qualification days of a new supplier of product `p`.
    pub fn qualification_days_of(&self, p: ProductId) -> u32 {
        self.qualification_by_product
            .iter()
            .find(|(q, _)| *q == p)
            .map_or(self.qualification_days, |&(_, d)| d)
    }

    /// Whether any product has a qualification time.
    pub fn qualifies_suppliers(&self) -> bool {
        self.qualification_days > 0 || self.qualification_by_product.iter().any(|&(_, d)| d > 0)
    }

    /// Days reported: the run's length after its spin-up.
    pub fn reported_days(&self) -> u32 {
        self.days - self.report_from
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            name: String::new(),
            start: Date::constant(2025, 1, 1),
            days: 365,
            report_from: 0,
            seed: 1,
            rationing: Rationing::Proportional,
            adaptation_rate: 0.02,
            fill_memory_days: 14.0,
            trace_origins: Vec::new(),
            qualification_days: 0,
            qualification_by_product: Vec::new(),
            bands: Bands::default(),
        }
    }
}
