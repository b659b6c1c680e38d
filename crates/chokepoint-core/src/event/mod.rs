//! Dated policy and market events: what a scenario changes and when, and how each kind of
//! change becomes the rules the engine reads.
//!
//! An [`Event`] is active on days `start..end` (day indices from the scenario start; `end` is
//! `None` for permanent changes) and carries one [`EventKind`]. Each kind lives in one module of
//! this folder, which holds everything about it: its validated values (the struct the variant
//! wraps), its wire keys and parser (`Kind::NAME`, `Kind::KEYS`, `Kind::parse`, reading the
//! `[[event]]` table through a `KindTable`), the numbers a distribution may set (its `Param`,
//! `Kind::set`) and what it contributes to the rules of a day (`Kind::declare`,
//! `Kind::compile`). `event_kinds!` below lists the kinds once and generates [`EventKind`],
//! [`EventParam`] and the dispatch over them.
//!
//! The engine never looks at an event: [`Controls::declare`] asks every event, once per run,
//! for what outlives its days (licensing regimes, quotas), and on day 0 and each day where an
//! event starts or ends [`Rules::compile`] asks every event what it contributes to the day (a
//! link banned or licensed, a tariff, a demand multiplier, a capacity ramp, ...); the day's
//! phases read the result.
//!
//! The modules form layers (each uses only those before it): `selectors` (who and what an
//! event applies to), `licensing` (a regime's terms and the draws of a decision), `levers` (the
//! thrifting and approval-uplift values the controls hold), `table` (how a kind reads its
//! table), `rules`, `controls`, `kind` (the trait), then the kinds, then this registry.

pub mod approval_uplift;
pub mod capacity;
pub mod controls;
pub mod demand_shock;
pub mod export_ban;
pub mod export_licence;
pub mod export_quota;
pub mod general_licence;
mod kind;
pub mod levers;
pub mod licensing;
pub mod offtake;
pub mod rationing;
pub mod recycling;
pub mod rules;
pub mod selectors;
pub mod stockpile_purchase;
pub mod stockpile_release;
mod table;
pub mod tariff;
pub mod tariff_exemption;
pub mod thrifting;

pub use crate::model::Day;
use crate::model::{Rationing, RegionId, World};
use crate::network::Network;
pub use approval_uplift::{ApprovalUplift, UpliftTo};
pub use capacity::Capacity;
pub use controls::{Controls, Pacing, Quota, QuotaBatch, Regime, Uplift};
pub use demand_shock::DemandShock;
pub use export_ban::ExportBan;
pub use export_licence::TermsSlot;
pub use export_quota::ExportQuota;
pub use general_licence::GeneralLicence;
use kind::Kind;
pub use licensing::{LeadTime, LicenceTerms, Licensing};
pub use offtake::Offtake;
pub use rationing::RationingChange;
pub use recycling::Recycling;
pub use rules::{At, ReExport, Recycle, Rules};
pub use selectors::{Exports, ProductSelector, ReExportClause, RegionSelector};
pub use stockpile_purchase::StockpilePurchase;
pub use stockpile_release::StockpileRelease;
pub(crate) use table::KindTable;
pub use table::ParamOf;
pub use tariff::Tariff;
pub use tariff_exemption::TariffExemption;
pub use thrifting::Thrifting;

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

    /// A release from day `start` to the end of the run: the sized stockpiles of
    /// `chokepoint stockpile`, which no scenario file states.
    pub fn release_for_the_whole_run(
        release: StockpileRelease,
        start: Day,
        label: String,
    ) -> Event {
        Event {
            start,
            end: None,
            kind: EventKind::StockpileRelease(release),
            label,
        }
    }
}

/// A number of one event that a distribution sets: the event's index (in the scenario's full
/// event list) and which of its kind's numbers.
pub type EventTarget = ParamOf<EventParam>;

/// Lists every kind once: its variant of [`EventKind`] and [`EventParam`], the struct its module
/// defines and that struct's `Param` type. Adding a kind is a module and a line here.
macro_rules! event_kinds {
    ($($variant:ident($kind:ty, $param:ty),)*) => {
        /// What an event does: one variant per kind, each defined in its own module.
        #[derive(Debug, Clone, PartialEq)]
        pub enum EventKind {
            $($variant($kind),)*
        }

        /// Which number of an event's kind a distribution sets (the kind's `Param`).
        #[derive(Debug, Clone, PartialEq)]
        pub enum EventParam {
            $($variant($param),)*
        }

        $(impl From<ParamOf<$param>> for EventTarget {
            fn from(p: ParamOf<$param>) -> Self {
                ParamOf {
                    event: p.event,
                    param: EventParam::$variant(p.param),
                }
            }
        })*

        impl EventParam {
            /// Whether this number is read only when a licence decision is drawn
            /// (`Kind::read_at_decision`).
            pub fn read_at_decision(&self) -> bool {
                match self {
                    $(EventParam::$variant(p) => <$kind as Kind>::read_at_decision(p),)*
                }
            }
        }

        /// Every kind's name and own keys, in the order the kinds are listed.
        pub(crate) const KINDS: &[(&str, &[&str])] = &[$((<$kind as Kind>::NAME, <$kind as Kind>::KEYS),)*];

        impl EventKind {
            pub fn name(&self) -> &'static str {
                match self {
                    $(EventKind::$variant(_) => <$kind as Kind>::NAME,)*
                }
            }

            /// Parses the keys of kind `name` (one of [`KINDS`]).
            pub(crate) fn parse<B: Clone $(+ From<ParamOf<$param>>)*>(
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

            fn declare<'a>(&'a self, start: Day, end: Option<Day>, controls: &mut Controls<'a>) -> Option<u32> {
                match self {
                    $(EventKind::$variant(k) => k.declare(start, end, controls),)*
                }
            }

            fn compile(&self, at: &At<'_>, rules: &mut Rules) {
                match self {
                    $(EventKind::$variant(k) => k.compile(at, rules),)*
                }
            }

            /// The exporter whose origin this event needs traced (a re-export clause).
            pub fn traced_origin(&self) -> Option<RegionId> {
                match self {
                    $(EventKind::$variant(k) => k.traced_origin(),)*
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
    Recycling(Recycling, recycling::Param),
    Thrifting(Thrifting, thrifting::Param),
    TariffExemption(TariffExemption, tariff_exemption::Param),
    ApprovalUplift(ApprovalUplift, approval_uplift::Param),
}

impl<'a> Controls<'a> {
    /// Declares the controls of `events`, in order.
    pub fn declare(events: &'a [Event]) -> Controls<'a> {
        let mut c = Controls::default();
        for e in events {
            let id = e.kind.declare(e.start, e.end, &mut c);
            c.of_event.push(id);
        }
        c
    }
}

impl Rules {
    /// Compiles the rules of `day` from `events` (declared in `controls`) over `world` and
    /// `net`, with `rationing` the scenario's default rule: from [`Rules::reset`], each event in
    /// scenario order adds what its kind says about the day. Reuses this value's allocations.
    pub fn compile(
        &mut self,
        world: &World,
        net: &Network,
        rationing: &Rationing,
        events: &[Event],
        controls: &Controls,
        day: Day,
    ) {
        self.reset(world, net, rationing);
        for (i, e) in events.iter().enumerate() {
            let at = At {
                world,
                net,
                day,
                start: e.start,
                active: e.active(day),
                starts: e.start == day,
                ends: e.end == Some(day),
                control: controls.of_event.get(i).copied().flatten(),
            };
            e.kind.compile(&at, self);
        }
        self.finish(net);
    }
}
