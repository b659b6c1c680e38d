//! Dated policy and market events: what a scenario changes and when, and how each kind of
//! change becomes the rules the engine reads.
//!
//! An [`Event`] is active on days `start..end` (day indices from the scenario start; `end` is
//! `None` for permanent changes) and carries one [`EventKind`]. Each kind lives in one module of
//! this folder, which holds everything about it: its validated values (the struct the variant
//! wraps), its wire keys and parser ([`Kind::NAME`], [`Kind::KEYS`], [`Kind::parse`], reading
//! the `[[event]]` table through a [`KindTable`]), the numbers a distribution may set
//! ([`Kind::set`], its `Param` type) and what it contributes to the [`Rules`] of a day
//! ([`Kind::declare`], [`Kind::compile`]). [`event_kinds!`] lists the kinds once and generates
//! [`EventKind`], [`EventParam`] and the dispatch over them.
//!
//! The engine never looks at an event: on each day where one starts or ends, [`Rules::compile`]
//! asks every event what it contributes (a link banned or licensed, a tariff, a demand
//! multiplier, a capacity ramp, ...), and the day's phases read the result. Licensing regimes
//! and quotas outlive their days (an application filed under a regime is decided under its
//! terms), so they are declared once, in [`Controls`], and the rules refer to them by index.
//!
//! Products are picked by a [`ProductSelector`] (a list of ids or an element-content rule),
//! regions by a [`RegionSelector`].

pub mod capacity;
pub mod demand_shock;
pub mod export_ban;
pub mod export_licence;
pub mod export_quota;
pub mod general_licence;
pub mod offtake;
pub mod rationing;
pub mod rules;
pub mod stockpile_purchase;
pub mod stockpile_release;
mod table;
pub mod tariff;

pub use crate::model::Day;
use crate::model::{ProductId, RegionId, World};
pub use capacity::Capacity;
pub use demand_shock::DemandShock;
pub use export_ban::ExportBan;
pub use export_licence::{LeadTime, LicenceTerms, Licensing, TermsSlot};
pub use export_quota::ExportQuota;
pub use general_licence::GeneralLicence;
pub use offtake::Offtake;
pub use rationing::RationingChange;
pub use rules::{At, Controls, Rules};
pub use stockpile_purchase::StockpilePurchase;
pub use stockpile_release::StockpileRelease;
pub(crate) use table::KindTable;
pub use tariff::Tariff;

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub start: Day,
    /// First day the event no longer applies; `None` = until the end of the run.
    pub end: Option<Day>,
    pub kind: EventKind,
    /// Label for output and error messages (the event's `name` or `kind@date`).
    pub label: String,
}

impl Event {
    pub fn active(&self, day: Day) -> bool {
        day >= self.start && self.end.is_none_or(|e| day < e)
    }
}

/// Which products an event applies to.
#[derive(Debug, Clone, PartialEq)]
pub enum ProductSelector {
    All,
    Ids(Vec<ProductId>),
    /// Every product with a positive content of any of these elements.
    Elements(Vec<String>),
}

impl ProductSelector {
    /// Does the selector pick product `p` of `world`?
    pub fn selects(&self, world: &World, p: ProductId) -> bool {
        match self {
            ProductSelector::All => true,
            ProductSelector::Ids(v) => v.contains(&p),
            ProductSelector::Elements(els) => world.products[p.ix()].contains_any(els),
        }
    }
}

/// Which exports an export control covers: the exporter's foreign links (supplier region ≠
/// buyer region) to a region `destinations` contains, carrying a product `products` selects.
#[derive(Debug, Clone, PartialEq)]
pub struct Exports {
    pub exporter: RegionId,
    pub products: ProductSelector,
    pub destinations: RegionSelector,
}

impl Exports {
    /// Reads `exporter`, `products` and `destinations` (absent = all); also returns the ids of
    /// the products selected (for units).
    pub(crate) fn parse<B: Clone + From<EventTarget>>(
        t: &mut KindTable<'_, '_, '_, B>,
    ) -> (Option<Exports>, Vec<ProductId>) {
        let exporter = t.req_region("exporter");
        let (products, ids) = t.products("products");
        let destinations = t.regions("destinations");
        let exports = exporter.map(|exporter| Exports {
            exporter,
            products,
            destinations,
        });
        (exports, ids)
    }
}

/// Which regions an event applies to; `All` excludes the actor itself where that matters.
#[derive(Debug, Clone, PartialEq)]
pub enum RegionSelector {
    All,
    Ids(Vec<RegionId>),
}

impl RegionSelector {
    pub fn contains(&self, r: RegionId) -> bool {
        match self {
            RegionSelector::All => true,
            RegionSelector::Ids(v) => v.contains(&r),
        }
    }
}

/// A number of one event that a distribution sets: the event's index (in the scenario's full
/// event list) and which of its kind's numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct EventTarget {
    pub event: usize,
    pub param: EventParam,
}

/// One kind of event. A kind's module implements it; [`event_kinds!`] registers the kind.
pub(crate) trait Kind: Sized {
    /// The kind's name in `kind = "..."`.
    const NAME: &'static str;
    /// Keys of its `[[event]]` table besides the common ones (`name`, `date`, `until`, `kind`,
    /// `probability`).
    const KEYS: &'static [&'static str];
    /// The numbers of the kind that a distribution may set.
    type Param;

    /// Reads the kind's own keys, reporting every problem through the table's context; `None`
    /// when any is wrong.
    fn parse<B: Clone + From<EventTarget>>(t: &mut KindTable<'_, '_, '_, B>) -> Option<Self>;

    /// Sets number `param` to a path's draw `value`.
    fn set(&mut self, param: &Self::Param, value: f64);

    /// Declares what outlives the event's active days (licensing regimes, quotas) once, before
    /// the first day; returns its index there.
    fn declare<'a>(&'a self, _event: &Event, _controls: &mut Controls<'a>) -> Option<u32> {
        None
    }

    /// Adds what the event says about the day `at` describes to `rules`.
    fn compile(&self, at: &rules::At<'_>, rules: &mut Rules);
}

/// Lists every kind once: its variant of [`EventKind`] and [`EventParam`], the struct its module
/// defines and that struct's `Param` type. Adding a kind is a module and a line here.
macro_rules! event_kinds {
    ($($variant:ident($kind:ty, $param:ty),)*) => {
        /// What an event does: one variant per kind, each defined in its own module.
        #[derive(Debug, Clone, PartialEq)]
        pub enum EventKind {
            $($variant($kind),)*
        }

        /// Which number of an event's kind a distribution sets (see [`Kind::set`]).
        #[derive(Debug, Clone, PartialEq)]
        pub enum EventParam {
            $($variant($param),)*
        }

        /// Every kind's name and own keys, in the order the kinds are listed.
        pub(crate) const KINDS: &[(&str, &[&str])] = &[$((<$kind as Kind>::NAME, <$kind as Kind>::KEYS),)*];

        $(impl From<$param> for EventParam {
            fn from(p: $param) -> Self {
                EventParam::$variant(p)
            }
        })*

        impl EventKind {
            pub fn name(&self) -> &'static str {
                match self {
                    $(EventKind::$variant(_) => <$kind as Kind>::NAME,)*
                }
            }

            /// Parses the keys of kind `name` (one of [`KINDS`]).
            pub(crate) fn parse<B: Clone + From<EventTarget>>(
                name: &str,
                t: &mut KindTable<'_, '_, '_, B>,
            ) -> Option<EventKind> {
                $(if name == <$kind as Kind>::NAME {
                    return <$kind as Kind>::parse(t).map(EventKind::$variant);
                })*
                None
            }

            /// Sets the number `param` names to `value`; a parameter of another kind (which
            /// the parser never binds to this event) changes nothing.
            pub fn set(&mut self, param: &EventParam, value: f64) {
                match (self, param) {
                    $((EventKind::$variant(k), EventParam::$variant(p)) => k.set(p, value),)*
                    #[allow(unreachable_patterns)]
                    _ => debug_assert!(false, "parameter of another kind"),
                }
            }

            pub(crate) fn declare<'a>(&'a self, event: &Event, controls: &mut Controls<'a>) -> Option<u32> {
                match self {
                    $(EventKind::$variant(k) => k.declare(event, controls),)*
                }
            }

            pub(crate) fn compile(&self, at: &rules::At<'_>, rules: &mut Rules) {
                match self {
                    $(EventKind::$variant(k) => k.compile(at, rules),)*
                }
            }
        }
    };
}

event_kinds! {
    ExportLicence(Licensing, export_licence::Param),
    GeneralLicence(GeneralLicence, general_licence::Param),
    ExportBan(ExportBan, export_ban::Param),
    ExportQuota(ExportQuota, export_quota::Param),
    Tariff(Tariff, tariff::Param),
    Capacity(Capacity, capacity::Param),
    DemandShock(DemandShock, demand_shock::Param),
    StockpileRelease(StockpileRelease, stockpile_release::Param),
    StockpilePurchase(StockpilePurchase, stockpile_purchase::Param),
    Offtake(Offtake, offtake::Param),
    Rationing(RationingChange, rationing::Param),
}
