//! [`Controls`]: what a scenario's export controls declare once per run, because it outlives
//! their active days: the licensing regimes ([`Regime`]: an application filed under one is
//! decided under its terms after it ends; batch windows count from its start) and the export
//! quotas ([`Quota`]: counted per period from their own start). Each kind declares its own
//! (`Kind::declare`); the day's rules refer to them by index.

use super::licensing::{LicenceTerms, Licensing};
use crate::model::{Day, RegionId};

/// The controls of a scenario that outlive their days, declared once per run.
#[derive(Debug, Clone, Default)]
pub struct Controls<'a> {
    pub regimes: Vec<Regime<'a>>,
    pub quotas: Vec<Quota>,
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

impl Regime<'_> {
    /// The terms for an application to `importer` for end use `end_use`.
    pub fn terms(&self, importer: RegionId, end_use: &str) -> &LicenceTerms {
        self.licensing.terms_for(importer, end_use)
    }
}

/// An export quota: at most `quantity` units accepted per `period_days`, counted from `start`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quota {
    pub quantity: f64,
    pub period_days: u32,
    pub start: Day,
}

impl<'a> Controls<'a> {
    pub(crate) fn add_regime(&mut self, regime: Regime<'a>) -> u32 {
        self.regimes.push(regime);
        self.regimes.len() as u32 - 1
    }

    pub(crate) fn add_quota(&mut self, quota: Quota) -> u32 {
        self.quotas.push(quota);
        self.quotas.len() as u32 - 1
    }
}
