//! [`Baseline`]: the economy before any shock, built once from an [`Mrio`] and the [`Params`]
//! and read-only while the model runs. It holds the daily tables (`Z0 = Z/365`, the only
//! n × n matrix, `Y0 = Y/365`, `X0 = x/365`), productive capital, the technical coefficients by
//! product with their thresholds, the inventory targets and restoration rates, and it resolves
//! region and sector names to industry indices (for events and the mineral link).
//!
//! ```text
//! K_f      = capital_to_va · max(x_f − Σ_i Z[i,f], 0)                  (yearly)
//! T[s,f]   = Σ_{i: s(i)=s} Z[i,f] / x_f                               (0 where x_f = 0)
//! counts   = Σ_{i: s(i)=s} Z[i,f] > 10⁻⁵ · X0_f                        (yearly Z vs daily X0, as BoARIO)
//! Ω0[s,f]  = X0_f · T[s,f] · inv_s                                    (∞ where that is NaN)
//! ```

use std::collections::HashMap;

use super::params::{InvDuration, ModelKind, Params};
use super::quirks;
use crate::error::{AriError, EventError, ModelError};
use crate::mrio::Mrio;

/// Share of an industry's daily baseline output below which an input does not constrain it.
const TECH_THRESHOLD: f64 = 1e-5;

/// The daily baseline economy (n = R·S industries `i = r·S + s`, region-major).
pub(super) struct Baseline {
    pub(super) regions: Vec<String>,
    pub(super) sectors: Vec<String>,
    pub(super) n_r: usize,
    pub(super) n_s: usize,
    pub(super) n: usize,
    /// Final-demand categories per region.
    pub(super) n_c: usize,
    /// Daily flows, n × n (the only dense square matrix).
    pub(super) z0: Vec<f64>,
    /// Daily final demand, n × (R·C).
    pub(super) y0: Vec<f64>,
    /// Daily output.
    pub(super) x0: Vec<f64>,
    /// Final demand addressed to each industry, `Σ_c Y0[i,c]`.
    pub(super) fd_tot: Vec<f64>,
    /// Productive capital `K` (yearly units).
    pub(super) k: Vec<f64>,
    /// Technical coefficients by product `T` (S × n).
    pub(super) tech: Vec<f64>,
    /// Inputs that constrain production (S × n).
    pub(super) thresh: Vec<bool>,
    /// Inventory target of each input, in days (∞ for inputs that never run short).
    pub(super) inv: Vec<f64>,
    /// `inv` with ∞ as 0 (the inventory constraint ignores such inputs).
    pub(super) inv_fin: Vec<f64>,
    /// Inventory restoration rate per input, `1/τ_inv` (ψ model) or 1 (base model).
    pub(super) restor: Vec<f64>,
}

impl Baseline {
    /// The baseline of `mrio` (consumed: its Z becomes Z0 in place, its allocation kept).
    pub(super) fn new(mrio: Mrio, p: &Params) -> Result<Baseline, AriError> {
        let Mrio {
            regions,
            sectors,
            fd_categories,
            mut z,
            mut y,
            x,
        } = mrio;
        let (n_r, n_s, n_c) = (regions.len(), sectors.len(), fd_categories.len());
        let n = n_r * n_s;
        let f = 1.0 / 365.0;
        let inv = inventory_days(p, &sectors)?;
        let inv_fin: Vec<f64> = inv
            .iter()
            .map(|v| if v.is_finite() { *v } else { 0.0 })
            .collect();
        let restor = match p.model {
            ModelKind::Psi => vec![1.0 / p.inv_restoration_tau as f64; n_s],
            ModelKind::Base => vec![1.0; n_s],
        };
        let k = productive_capital(&z, &x, p.capital_to_va);
        let x0: Vec<f64> = x.iter().map(|v| v * f).collect();
        let (tech, thresh) = coefficients(&z, &x, &x0, n_r, n_s);
        // daily tables in place
        for v in z.iter_mut() {
            *v *= f;
        }
        for v in y.iter_mut() {
            *v *= f;
        }
        let nf = n_r * n_c;
        let fd_tot: Vec<f64> = (0..n)
            .map(|i| y[i * nf..(i + 1) * nf].iter().sum())
            .collect();
        Ok(Baseline {
            regions,
            sectors,
            n_r,
            n_s,
            n,
            n_c,
            z0: z,
            y0: y,
            x0,
            fd_tot,
            k,
            tech,
            thresh,
            inv,
            inv_fin,
            restor,
        })
    }

    /// Inventories at baseline, `Ω0 = X0 · T · inv` (S × n; ∞ where that is NaN).
    pub(super) fn initial_stock(&self) -> Vec<f64> {
        let n = self.n;
        (0..self.n_s * n)
            .map(|q| {
                let v = (self.x0[q % n] * self.tech[q]) * self.inv[q / n];
                if v.is_nan() { f64::INFINITY } else { v }
            })
            .collect()
    }

    /// Inputs ordered at baseline, by buying industry: `Σ_i Z0[i,f]`.
    pub(super) fn column_sums(&self) -> Vec<f64> {
        let n = self.n;
        let mut col = vec![0.0; n];
        for i in 0..n {
            for (c, v) in col.iter_mut().zip(&self.z0[i * n..(i + 1) * n]) {
                *c += v;
            }
        }
        col
    }

    /// `out[s,f] = Σ_{i: s(i)=s} Z0[i,f]` (S × n): the normalisation of baseline (`noalt`)
    /// order weights.
    pub(super) fn flows_by_product(&self, out: &mut [f64]) {
        let n = self.n;
        out.fill(0.0);
        for s in 0..self.n_s {
            let crow = &mut out[s * n..(s + 1) * n];
            for r in 0..self.n_r {
                let i = r * self.n_s + s;
                for (c, z) in crow.iter_mut().zip(&self.z0[i * n..(i + 1) * n]) {
                    *c += z;
                }
            }
        }
    }

    /// `region|sector` of industry `i`.
    pub(super) fn label(&self, i: usize) -> String {
        format!(
            "{}|{}",
            self.regions[i / self.n_s],
            self.sectors[i % self.n_s]
        )
    }

    /// Index of region `name`; event `k` of `kind` names it in the error.
    pub(super) fn region_index(
        &self,
        k: usize,
        kind: &str,
        name: &str,
    ) -> Result<usize, EventError> {
        name_index(&self.regions, "region", k, kind, name)
    }

    /// Index of sector `name`; event `k` of `kind` names it in the error.
    pub(super) fn sector_index(
        &self,
        k: usize,
        kind: &str,
        name: &str,
    ) -> Result<usize, EventError> {
        name_index(&self.sectors, "sector", k, kind, name)
    }

    /// Index of the industry (region, sector), or why there is none (with the known names).
    pub(super) fn industry_index(&self, region: &str, sector: &str) -> Result<usize, String> {
        let unknown = |e: EventError| match e {
            EventError::Unknown {
                what, name, known, ..
            } => format!("unknown MRIO {what} `{name}`; hint: known {what}s are {known}"),
            other => other.to_string(),
        };
        let r = self.region_index(0, "", region).map_err(unknown)?;
        let s = self.sector_index(0, "", sector).map_err(unknown)?;
        Ok(r * self.n_s + s)
    }

    /// The industries of `regions × sectors` (ascending) for event `k` of `kind`.
    pub(super) fn industries(
        &self,
        k: usize,
        kind: &str,
        regions: &[String],
        sectors: &[String],
    ) -> Result<Vec<usize>, EventError> {
        let invalid = EventError::invalid(k, kind);
        if regions.is_empty() || sectors.is_empty() {
            return Err(invalid("needs at least one region and one sector".into()));
        }
        let mut out = Vec::new();
        for r in regions {
            let ri = self.region_index(k, kind, r)?;
            for s in sectors {
                let si = self.sector_index(k, kind, s)?;
                let i = ri * self.n_s + si;
                if out.contains(&i) {
                    return Err(invalid(format!("industry {r}|{s} listed twice")));
                }
                out.push(i);
            }
        }
        out.sort_unstable();
        Ok(out)
    }
}

/// Inventory target per input sector, in days: `main_inv_dur`, the per-sector map, ∞ for the
/// infinite sectors; BoARIO turns targets of at most one day into two.
fn inventory_days(p: &Params, sectors: &[String]) -> Result<Vec<f64>, AriError> {
    let param = |m: String| AriError::Model(ModelError::Param(m));
    let n_s = sectors.len();
    let mut inv = vec![p.main_inv_dur; n_s];
    if let Some(list) = &p.inventory {
        let known: HashMap<&str, usize> = sectors
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i))
            .collect();
        let mut listed = vec![false; n_s];
        for (name, d) in list {
            let Some(&s) = known.get(name.as_str()) else {
                return Err(param(format!(
                    "inventory: unknown sector `{name}`; hint: known sectors are {}",
                    sectors.join(", ")
                )));
            };
            listed[s] = true;
            inv[s] = match d {
                InvDuration::Days(v) => *v,
                InvDuration::Infinite => f64::INFINITY,
            };
        }
        if quirks::inventory_lists_every_sector(p.mode)
            && let Some(s) = listed.iter().position(|l| !l)
        {
            return Err(param(format!(
                "inventory: sector `{}` missing; BoARIO 0.7.2 needs every sector listed; hint: add it or drop --compat",
                sectors[s]
            )));
        }
    }
    for name in &p.infinite_inv_sectors {
        match sectors.iter().position(|s| s == name) {
            Some(s) => inv[s] = f64::INFINITY,
            None => {
                return Err(param(format!(
                    "infinite-inv-sectors: unknown sector `{name}`; hint: known sectors are {}",
                    sectors.join(", ")
                )));
            }
        }
    }
    for v in inv.iter_mut() {
        if *v <= 1.0 {
            *v = 2.0;
        }
    }
    Ok(inv)
}

/// `K_f = capital_to_va · max(x_f − Σ_i Z[i,f], 0)` from the yearly tables (z is n × n).
fn productive_capital(z: &[f64], x: &[f64], capital_to_va: f64) -> Vec<f64> {
    let n = x.len();
    let mut colsum = vec![0.0; n];
    for i in 0..n {
        for (c, v) in colsum.iter_mut().zip(&z[i * n..(i + 1) * n]) {
            *c += v;
        }
    }
    (0..n)
        .map(|j| {
            let va = x[j] - colsum[j];
            (if va < 0.0 { 0.0 } else { va }) * capital_to_va
        })
        .collect()
}

/// Technical coefficients by product `T` and the thresholds above which an input constrains
/// production (yearly `Σ_{i∈s} Z[i,f]` against daily `X0_f`, as BoARIO compares them).
fn coefficients(z: &[f64], x: &[f64], x0: &[f64], n_r: usize, n_s: usize) -> (Vec<f64>, Vec<bool>) {
    let n = n_r * n_s;
    let recix: Vec<f64> = x
        .iter()
        .map(|v| {
            let r = 1.0 / v;
            if r.is_infinite() { 0.0 } else { r }
        })
        .collect();
    let mut tech = vec![0.0; n_s * n];
    let mut zc = vec![0.0; n_s * n];
    for r in 0..n_r {
        for s in 0..n_s {
            let i = r * n_s + s;
            let row = &z[i * n..(i + 1) * n];
            let trow = &mut tech[s * n..(s + 1) * n];
            for j in 0..n {
                trow[j] += row[j] * recix[j];
            }
            let crow = &mut zc[s * n..(s + 1) * n];
            for j in 0..n {
                crow[j] += row[j];
            }
        }
    }
    let thresh: Vec<bool> = (0..n_s * n)
        .map(|q| zc[q] > x0[q % n] * TECH_THRESHOLD)
        .collect();
    (tech, thresh)
}

/// Position of `name` in `names`; event `k` of `kind` names it in the error.
fn name_index(
    names: &[String],
    what: &'static str,
    k: usize,
    kind: &str,
    name: &str,
) -> Result<usize, EventError> {
    names
        .iter()
        .position(|r| r == name)
        .ok_or_else(|| EventError::Unknown {
            index: k,
            kind: kind.into(),
            what,
            name: name.into(),
            known: list_names(names),
        })
}

fn list_names(v: &[String]) -> String {
    if v.len() <= 12 {
        v.join(", ")
    } else {
        format!("{}, … ({} in all)", v[..12].join(", "), v.len())
    }
}
