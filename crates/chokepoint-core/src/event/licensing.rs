//! The terms of an export-licensing regime and the draws of a decision: [`Licensing`] (the
//! regime: exporter, products, default [`LicenceTerms`] and their destination and end-use
//! overrides, batching), [`LicenceTerms`] (approval odds, a [`LeadTime`] distribution and its
//! cap), and [`draw_decision`], which draws an application's outcome and delay from the path's
//! generator. The `export-licence` kind (`export_licence.rs`) reads a regime from a scenario;
//! the engine files applications under it and draws their decisions.

use super::selectors::{ProductSelector, ReExportClause};
use crate::model::{Day, RegionId};
use rand::RngExt;
use rand_distr::{Distribution, Triangular};
use rand_pcg::Pcg64;

/// Licence lead time in calendar days, drawn per application and capped.
#[derive(Debug, Clone, PartialEq)]
pub enum LeadTime {
    Fixed(f64),
    Uniform(f64, f64),
    /// min, mode, max
    Triangular(f64, f64, f64),
}

impl LeadTime {
    pub fn min(&self) -> f64 {
        match *self {
            LeadTime::Fixed(v) => v,
            LeadTime::Uniform(a, _) => a,
            LeadTime::Triangular(a, _, _) => a,
        }
    }
}

/// Approval odds and lead time for one class of applications.
#[derive(Debug, Clone, PartialEq)]
pub struct LicenceTerms {
    /// Probability that an application is approved.
    pub approval: f64,
    pub lead_time: LeadTime,
    /// Upper bound on the decision delay, days (the statutory review period).
    pub cap_days: Option<u32>,
}

/// An export-licensing regime. Terms are looked up end-use override first, then destination
/// override, then the default.
#[derive(Debug, Clone, PartialEq)]
pub struct Licensing {
    pub exporter: RegionId,
    pub products: ProductSelector,
    pub terms: LicenceTerms,
    pub destinations: Vec<(RegionId, LicenceTerms)>,
    pub end_uses: Vec<(String, LicenceTerms)>,
    /// 0 = one application per order; n > 0 = orders are pooled and filed as one application
    /// every n days per (importer, product, end use).
    pub batch_days: u32,
    /// Extends the regime to third countries' exports by their traced origin: an item with
    /// enough content of the exporter's origin needs a licence of this regime (terms by its
    /// destination and end use).
    pub reexport: Option<ReExportClause>,
}

impl Licensing {
    /// The terms of an application from `importer`, a region of home `home` (itself, or the
    /// region a buyer cohort is part of): a destination override naming the cohort applies
    /// before one naming its region.
    pub fn terms_for(&self, importer: RegionId, home: RegionId, end_use: &str) -> &LicenceTerms {
        if let Some((_, t)) = self.end_uses.iter().find(|(e, _)| e == end_use) {
            return t;
        }
        if let Some((_, t)) = self.destinations.iter().find(|(r, _)| *r == importer) {
            return t;
        }
        if home != importer
            && let Some((_, t)) = self.destinations.iter().find(|(r, _)| *r == home)
        {
            return t;
        }
        &self.terms
    }
}

/// The shortest decision delay [`draw_decision`] can return for `terms`: its rounding and cap
/// applied to the lead time's smallest possible value (rounding, `max` and `min` keep order).
pub(crate) fn earliest_delay(terms: &LicenceTerms) -> Day {
    let lowest = match terms.lead_time {
        LeadTime::Fixed(v) => v,
        LeadTime::Uniform(a, b) => a.min(b),
        // A triangle it cannot build falls back to its mode.
        LeadTime::Triangular(a, m, _) => a.min(m),
    };
    let mut days = lowest.round().max(0.0);
    if let Some(cap) = terms.cap_days {
        days = days.min(cap as f64);
    }
    days as Day
}

/// Draws one application's decision: a uniform `u` in [0, 1), approved when `u < p` for the
/// approval odds `p` in force (the filing terms' `approval`, or the odds a later regime gives
/// it while it waits), and the decision delay (whole days, capped) from `terms`' lead time.
pub(crate) fn draw_decision(terms: &LicenceTerms, rng: &mut Pcg64) -> (f64, Day) {
    let u: f64 = rng.random();
    let raw = match terms.lead_time {
        LeadTime::Fixed(v) => v,
        LeadTime::Uniform(a, b) => {
            let u: f64 = rng.random();
            a + (b - a) * u
        }
        LeadTime::Triangular(a, m, b) => {
            if b > a {
                Triangular::new(a, b, m).map(|t| t.sample(rng)).unwrap_or(m)
            } else {
                a
            }
        }
    };
    let mut days = raw.round().max(0.0);
    if let Some(cap) = terms.cap_days {
        days = days.min(cap as f64);
    }
    (u, days as Day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::path_rng;
    use proptest::prelude::*;

    proptest! {
        /// The shared opening stops before the earliest possible decision: no draw may come
        /// sooner than `earliest_delay` says, whatever the terms, and the bound is reached.
        #[test]
        fn no_decision_comes_before_the_earliest_delay(
            a in 0.0..40.0f64, wide in 0.0..40.0f64, at in 0.0..1.0f64,
            kind in 0..3u8, cap in proptest::option::of(0..60u32), seed in any::<u64>(),
        ) {
            let lead_time = match kind {
                0 => LeadTime::Fixed(a),
                1 => LeadTime::Uniform(a, a + wide),
                _ => LeadTime::Triangular(a, a + wide * at, a + wide),
            };
            let terms = LicenceTerms { approval: 0.5, lead_time, cap_days: cap };
            let earliest = earliest_delay(&terms);
            let mut rng = path_rng(seed, 0);
            let waits: Vec<Day> = (0..200).map(|_| draw_decision(&terms, &mut rng).1).collect();
            prop_assert!(waits.iter().all(|&w| w >= earliest), "{waits:?} vs {earliest}");
            if wide == 0.0 || kind == 0 {
                prop_assert!(waits.iter().all(|&w| w == earliest));
            }
        }
    }
}
