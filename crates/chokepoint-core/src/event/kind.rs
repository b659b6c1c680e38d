//! [`Kind`]: what every kind of event provides. A kind's module implements it; `event_kinds!`
//! (in `event/mod.rs`) registers the kind once, which makes it parseable, settable by a
//! distribution and compiled into the day's [`Rules`].

use super::controls::Controls;
use super::rules::{At, Rules};
use super::table::{KindTable, ParamOf};
use crate::model::{Day, RegionId};

pub(crate) trait Kind: Sized {
    /// The kind's name in `kind = "..."`.
    const NAME: &'static str;
    /// Keys of its `[[event]]` table besides the common ones (`name`, `date`, `until`, `kind`,
    /// `probability`).
    const KEYS: &'static [&'static str];
    /// The numbers of the kind that a distribution may set.
    type Param;

    /// Reads the kind's own keys, reporting every problem through the table's context; `None`
    /// when any is wrong. An uncertain number is bound to its `Param` (through `ParamOf`).
    fn parse<B: Clone + From<ParamOf<Self::Param>>>(
        t: &mut KindTable<'_, '_, '_, B>,
    ) -> Option<Self>;

    /// Sets number `param` to a path's draw `value`.
    fn set(&mut self, param: &Self::Param, value: f64);

    /// Whether number `param` is read only when a licence application's decision is drawn
    /// (approval odds): then every path runs the same days until its first decision, whatever
    /// the draw, and Monte Carlo can share them (`montecarlo::Opening`).
    fn read_at_decision(_param: &Self::Param) -> bool {
        false
    }

    /// Declares what outlives the event's active days (a licensing regime, a quota) or what
    /// the engine keeps state for across them (a thrifting trigger, an approval uplift's
    /// window) once, before the first day, for an event active on days `start..end`; returns
    /// its index.
    fn declare<'a>(
        &'a self,
        _start: Day,
        _end: Option<Day>,
        _controls: &mut Controls<'a>,
    ) -> Option<u32> {
        None
    }

    /// The exporter whose origin the engine must trace for this event (one with a re-export
    /// clause), if any: known before the first day, so that a run without one carries no
    /// origin state.
    fn traced_origin(&self) -> Option<RegionId> {
        None
    }

    /// Adds what the event says about the day `at` describes to `rules`.
    fn compile(&self, at: &At<'_>, rules: &mut Rules);
}
