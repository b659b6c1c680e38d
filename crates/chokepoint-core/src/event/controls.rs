//! [`Controls`]: what a scenario's export controls declare once per run, because it outlives
//! their active days: the licensing regimes ([`Regime`]: an application filed under one is
//! decided under its terms after it ends; batch windows count from its start) and the export
//! quotas ([`Quota`]: counted per period from their own start, released as their [`Pacing`] and
//! [`QuotaBatch`]es say), the thrifting levers (whose triggers the engine keeps per demand row)
//! and the approval uplifts ([`Uplift`]: read when an application filed in their window is
//! decided). Each kind declares its own
//! (`Kind::declare`); the day's rules refer to them by index.

use super::levers::{ApprovalUplift, Thrifting};
use super::licensing::{LicenceTerms, Licensing};
use crate::model::{Day, RegionId, World};
use crate::network::Network;

/// The controls of a scenario that outlive their days, declared once per run.
#[derive(Debug, Clone, Default)]
pub struct Controls<'a> {
    pub regimes: Vec<Regime<'a>>,
    pub quotas: Vec<Quota<'a>>,
    /// The thrifting levers: the engine keeps each one's trigger per demand row across days.
    pub thrifts: Vec<&'a Thrifting>,
    /// The approval uplifts with their windows: an application is decided with the uplift in
    /// force on the day it was filed, which may be after the uplift ended (deferred draws).
    pub uplifts: Vec<Uplift<'a>>,
    /// Per event: its index in `regimes` or `quotas` (by its kind), if it declared one.
    pub(crate) of_event: Vec<Option<u32>>,
}

/// An export-licensing regime.
#[derive(Debug, Clone)]
pub struct Regime<'a> {
    pub licensing: &'a Licensing,
    /// Day the regime starts (batch windows count from it).
    pub start: Day,
}

/// How an allocation becomes available within its period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pacing {
    /// All of it on its first day: exporters may ship the whole allowance at once.
    #[default]
    Running,
    /// Evenly, day by day, to the end of the period: exports spread over the period.
    Even,
}

/// One announced allocation: `quantity` released on `day` (a day index from the scenario's
/// start; negative before it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuotaBatch {
    pub day: i64,
    pub quantity: f64,
}

/// An export quota: at most `quantity` units accepted per `period_days`, counted from `start`,
/// released as [`Pacing`] and `batches` say (see [`super::export_quota`] for the equation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quota<'a> {
    pub quantity: f64,
    pub period_days: u32,
    pub start: Day,
    pub pacing: Pacing,
    pub batches: &'a [QuotaBatch],
}

impl Quota<'_> {
    /// The period that day `day` (on or after `start`) falls in, and the allowance released in
    /// it by the end of that day.
    pub fn allowance(&self, day: Day) -> (u32, f64) {
        let len = self.period_days.max(1);
        let period = (day - self.start) / len;
        let from = i64::from(self.start + period * len);
        let to = from + i64::from(len);
        let today = i64::from(day);
        let released = |at: i64, q: f64| match self.pacing {
            Pacing::Running => {
                if today >= at {
                    q
                } else {
                    0.0
                }
            }
            Pacing::Even => {
                let share = (today - at + 1) as f64 / (to - at).max(1) as f64;
                q * share.clamp(0.0, 1.0)
            }
        };
        if self.batches.is_empty() {
            return (period, released(from, self.quantity));
        }
        let first = i64::from(self.start);
        let total = self
            .batches
            .iter()
            // A batch announced before the quota starts counts in its first period.
            .map(|b| (b.day.max(first), b.quantity))
            .filter(|&(at, _)| at >= from && at < to)
            .map(|(at, q)| released(at, q))
            .sum();
        (period, total)
    }
}

/// An approval uplift active on days `start..end`.
#[derive(Debug, Clone, Copy)]
pub struct Uplift<'a> {
    pub uplift: &'a ApprovalUplift,
    pub start: Day,
    pub end: Option<Day>,
}

impl Uplift<'_> {
    pub fn active(&self, day: Day) -> bool {
        day >= self.start && self.end.is_none_or(|e| day < e)
    }
}

impl<'a> Controls<'a> {
    /// The terms regime `regime` gives an application on `link` for `net`'s end-use slot
    /// `end_use` (`u32::MAX`: none), before approval uplifts: its destination is the link's
    /// buyer (a cohort's home region's override applies after its own).
    pub fn terms_on(
        &self,
        world: &World,
        net: &Network,
        regime: u32,
        link: usize,
        end_use: u32,
    ) -> &'a LicenceTerms {
        let to = world.links[link].to;
        let licensing = self.regimes[regime as usize].licensing;
        licensing.terms_for(to, world.home(to), net.end_use_name(end_use))
    }

    /// [`Controls::terms_on`] and the approval odds they give an application filed on day
    /// `filed`, after the uplifts in force on that day ([`Controls::uplifted`]).
    pub fn odds_on(
        &self,
        world: &World,
        net: &Network,
        regime: u32,
        link: usize,
        end_use: u32,
        filed: Day,
    ) -> (&'a LicenceTerms, f64) {
        let terms = self.terms_on(world, net, regime, link, end_use);
        let exporter = self.regimes[regime as usize].licensing.exporter;
        let to = world.links[link].to;
        (
            terms,
            self.uplifted(world, exporter, to, filed, terms.approval),
        )
    }

    /// The approval odds of an application filed on day `filed` under `exporter`'s regime
    /// from `importer` (of home `home`) whose terms say `approval`: each uplift in force on
    /// that day and covering the destination applies in scenario order.
    pub fn uplifted(
        &self,
        world: &World,
        exporter: RegionId,
        importer: RegionId,
        filed: Day,
        approval: f64,
    ) -> f64 {
        self.uplifts
            .iter()
            .filter(|u| u.active(filed) && u.uplift.covers(world, exporter, importer))
            .fold(approval, |p, u| u.uplift.apply(p))
    }

    pub(crate) fn add_regime(&mut self, regime: Regime<'a>) -> u32 {
        self.regimes.push(regime);
        self.regimes.len() as u32 - 1
    }

    pub(crate) fn add_thrift(&mut self, thrift: &'a Thrifting) -> u32 {
        self.thrifts.push(thrift);
        self.thrifts.len() as u32 - 1
    }

    pub(crate) fn add_uplift(&mut self, uplift: Uplift<'a>) -> u32 {
        self.uplifts.push(uplift);
        self.uplifts.len() as u32 - 1
    }

    pub(crate) fn add_quota(&mut self, quota: Quota<'a>) -> u32 {
        self.quotas.push(quota);
        self.quotas.len() as u32 - 1
    }
}
