//! Step 1, events: on day 0 and on each day where an event starts or ends, the events are
//! compiled into the day's [`Rules`](crate::event::Rules) (what each kind contributes is its own
//! module's business, in `crate::event`), the capacity ramps that start that day begin, and the
//! pending licence applications take the approval odds now in force
//! ([`Engine::reconsider_pending`]); every day, ramps in progress move capacity.

use super::state::{Engine, Ramp};
use crate::event::rules::RampTo;

impl Engine<'_> {
    /// Compiles the rules if an event starts or ends today, then moves the capacity ramps.
    pub(super) fn apply_events(&mut self) {
        let day = self.state.day;
        if self.state.policy.change_days.last() == Some(&day) {
            self.state.policy.change_days.pop();
            self.compile_rules();
            self.reconsider_pending();
        }
        self.advance_ramps();
    }

    /// Compiles today's rules and starts the capacity ramps they begin.
    pub(super) fn compile_rules(&mut self) {
        let s = self.scenario;
        self.state.policy.rules.compile(
            &s.world,
            &self.net,
            &s.settings.rationing,
            &s.events,
            &self.controls,
            self.state.day,
        );
        self.start_ramps();
    }

    /// A ramp to a new capacity remembers the capacity before it; a ramp back returns to it.
    /// Both start from today's capacity.
    fn start_ramps(&mut self) {
        let day = self.state.day;
        let (rules, plants) = (&self.state.policy.rules, &mut self.state.plants);
        for r in &rules.ramps {
            let f = r.facility;
            let to = match r.to {
                RampTo::Capacity(c) => {
                    plants.cap_before[f] = plants.capacity[f];
                    c
                }
                RampTo::Before => plants.cap_before[f],
            };
            plants.ramps[f] = Some(Ramp {
                from: plants.capacity[f],
                to,
                start: day,
                days: r.days,
            });
        }
    }

    fn advance_ramps(&mut self) {
        let day = self.state.day;
        let plants = &mut self.state.plants;
        for (f, ramp) in plants.ramps.iter_mut().enumerate() {
            if let Some(r) = ramp {
                plants.capacity[f] = r.at(day).max(0.0);
                if day + 1 >= r.start + r.days {
                    *ramp = None;
                }
            }
        }
    }
}
