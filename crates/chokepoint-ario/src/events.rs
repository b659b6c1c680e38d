//! Events by name: [`EventSpec`] (what users write, in TOML parsed by [`parse_events_toml`] or
//! as the peer's JSON list parsed by [`parse_events_json`]; the caller reads the text),
//! [`RecoveryFn`] and [`ImpactUnit`]. The model resolves specs against its regions and sectors
//! into index-based shocks.
//!
//! Recovery functions of the remaining impact `d(k)` after `k` recovery steps, from `d0`:
//! - linear: `d0·(1 − k/τ)`
//! - convexe (scaled): `d0·(1 − 1/τ)^(4k)`; convexe noscale: `d0·(1 − 1/τ)^k`
//! - concave: `d0·τ / (τ + 10⁻⁶·k^e)`, `e = (ln τ − ln 10⁻⁶) / (ln τ − ln 2)`

use std::path::Path;

use serde::Deserialize;

use crate::error::EventError;

/// How an event's remaining impact recovers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum RecoveryFn {
    #[serde(rename = "linear")]
    Linear,
    #[serde(rename = "convexe")]
    Convexe,
    #[serde(rename = "convexe noscale")]
    ConvexeNoscale,
    #[serde(rename = "concave")]
    Concave,
}

impl RecoveryFn {
    pub fn parse(s: &str) -> Option<RecoveryFn> {
        Some(match s {
            "linear" => RecoveryFn::Linear,
            "convexe" => RecoveryFn::Convexe,
            "convexe noscale" => RecoveryFn::ConvexeNoscale,
            "concave" => RecoveryFn::Concave,
            _ => return None,
        })
    }

    /// Remaining impact after `k` recovery steps, evaluated as BoARIO 0.7.2 does.
    pub fn eval(self, d0: f64, k: usize, tau: u32) -> f64 {
        let (k, tau) = (k as f64, tau as f64);
        match self {
            RecoveryFn::Linear => d0 * (1.0 - k / tau),
            RecoveryFn::Convexe => d0 * (1.0 - 1.0 / tau).powf(4.0 * k),
            RecoveryFn::ConvexeNoscale => d0 * (1.0 - 1.0 / tau).powf(k),
            RecoveryFn::Concave => {
                let steep = 0.000001_f64;
                let e = (tau.ln() - steep.ln()) / (tau.ln() - 2f64.ln());
                (d0 * tau) / (tau + steep * k.powf(e))
            }
        }
    }
}

/// Unit of a capital-destruction impact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum ImpactUnit {
    /// Share of each industry's productive capital `K = 4·VA`.
    #[default]
    #[serde(rename = "share-of-capital")]
    ShareOfCapital,
    /// Absolute amount in MRIO units (per industry).
    #[serde(rename = "mriot")]
    Mriot,
}

/// One event, by region and sector names. Steps are integer indices (`occurrence ≥ 1`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum EventSpec {
    /// Arbitrary production-capacity cut: `impact` is the share lost (0–1) of every
    /// (region, sector) pair; recovers after `duration` with `recovery-function` over
    /// `recovery-tau` steps.
    #[serde(rename_all = "kebab-case")]
    Arbitrary {
        regions: Vec<String>,
        sectors: Vec<String>,
        impact: f64,
        #[serde(default = "d_occ")]
        occurrence: usize,
        #[serde(default = "d_dur")]
        duration: usize,
        #[serde(default = "d_tau")]
        recovery_tau: u32,
        #[serde(default = "d_fn")]
        recovery_function: RecoveryFn,
    },
    /// Productive capital destroyed, recovering without reconstruction demand.
    #[serde(rename_all = "kebab-case")]
    Recovery {
        regions: Vec<String>,
        sectors: Vec<String>,
        impact: f64,
        #[serde(default)]
        impact_unit: ImpactUnit,
        #[serde(default = "d_occ")]
        occurrence: usize,
        #[serde(default = "d_dur")]
        duration: usize,
        #[serde(default = "d_tau")]
        recovery_tau: u32,
        #[serde(default = "d_fn")]
        recovery_function: RecoveryFn,
    },
    /// Productive capital destroyed and rebuilt by `rebuilding-sectors` (shares summing to 1)
    /// over `rebuild-tau` steps (default: the model's `--rebuild-tau`).
    #[serde(rename_all = "kebab-case")]
    Rebuild {
        regions: Vec<String>,
        sectors: Vec<String>,
        impact: f64,
        #[serde(default)]
        impact_unit: ImpactUnit,
        #[serde(default = "d_occ")]
        occurrence: usize,
        #[serde(default = "d_dur")]
        duration: usize,
        #[serde(default)]
        rebuild_tau: Option<u32>,
        rebuilding_sectors: std::collections::BTreeMap<String, f64>,
        #[serde(default = "d_factor")]
        rebuilding_factor: f64,
    },
    /// Bilateral trade-link shock: the flow of each of `sectors` from every region in `from`
    /// to every region in `to` is cut by `share` (orders and final demand re-source to the
    /// other suppliers of the product). Lifted after `duration`, linearly over `recovery-tau`
    /// steps if given. Not available in compat mode.
    #[serde(rename_all = "kebab-case")]
    TradeLink {
        from: Vec<String>,
        to: Vec<String>,
        sectors: Vec<String>,
        share: f64,
        #[serde(default = "d_occ")]
        occurrence: usize,
        #[serde(default = "d_dur")]
        duration: usize,
        #[serde(default)]
        recovery_tau: Option<u32>,
    },
}

fn d_occ() -> usize {
    10
}
fn d_dur() -> usize {
    60
}
fn d_tau() -> u32 {
    30
}
fn d_fn() -> RecoveryFn {
    RecoveryFn::Linear
}
fn d_factor() -> f64 {
    1.0
}

impl EventSpec {
    pub fn kind_name(&self) -> &'static str {
        match self {
            EventSpec::Arbitrary { .. } => "arbitrary",
            EventSpec::Recovery { .. } => "recovery",
            EventSpec::Rebuild { .. } => "rebuild",
            EventSpec::TradeLink { .. } => "trade-link",
        }
    }
    pub fn occurrence(&self) -> usize {
        match self {
            EventSpec::Arbitrary { occurrence, .. }
            | EventSpec::Recovery { occurrence, .. }
            | EventSpec::Rebuild { occurrence, .. }
            | EventSpec::TradeLink { occurrence, .. } => *occurrence,
        }
    }
    pub fn duration(&self) -> usize {
        match self {
            EventSpec::Arbitrary { duration, .. }
            | EventSpec::Recovery { duration, .. }
            | EventSpec::Rebuild { duration, .. }
            | EventSpec::TradeLink { duration, .. } => *duration,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsFile {
    #[serde(default)]
    event: Vec<EventSpec>,
}

/// Parses the TOML events format (`[[event]]` tables, see docs/ario.md); `path` names the
/// text in messages.
pub fn parse_events_toml(text: &str, path: &Path) -> Result<Vec<EventSpec>, EventError> {
    let f: EventsFile = toml::from_str(text).map_err(|e| EventError::Parse {
        path: path.to_path_buf(),
        message: e.to_string().trim_end().to_string(),
    })?;
    Ok(f.event)
}

/// One element of `run_reference.py --events-json` (keys as its CLI flags, `-` → `_`;
/// unknown keys are ignored as the peer does).
#[derive(Debug, Deserialize)]
struct PeerEvent {
    event_type: Option<String>,
    regions: Option<Vec<String>>,
    sectors: Option<Vec<String>>,
    impact: Option<f64>,
    impact_unit: Option<String>,
    occurrence: Option<f64>,
    duration: Option<f64>,
    recovery_tau: Option<f64>,
    recovery_function: Option<String>,
    event_rebuild_tau: Option<f64>,
    rebuilding_sectors: Option<serde_json::Value>,
}

/// Parses the peer's JSON event list, applying run_reference.py's defaults; `path` names the
/// text in messages.
pub fn parse_events_json(text: &str, path: &Path) -> Result<Vec<EventSpec>, EventError> {
    let list: Vec<PeerEvent> = serde_json::from_str(text).map_err(|e| EventError::Parse {
        path: path.to_path_buf(),
        message: format!(
            "{e}; hint: expected a JSON list of objects like run_reference.py --events-json takes"
        ),
    })?;
    list.into_iter()
        .enumerate()
        .filter_map(|(k, e)| peer_to_spec(k, e).transpose())
        .collect()
}

fn int_field(
    k: usize,
    kind: &str,
    name: &str,
    v: Option<f64>,
    default: f64,
) -> Result<f64, EventError> {
    let v = v.unwrap_or(default);
    if v.fract() != 0.0 || v < 0.0 {
        return Err(EventError::Invalid {
            index: k,
            kind: kind.into(),
            message: format!("`{name}` = {v} must be a non-negative integer"),
        });
    }
    Ok(v)
}

fn peer_to_spec(k: usize, e: PeerEvent) -> Result<Option<EventSpec>, EventError> {
    let kind = e.event_type.clone().unwrap_or_else(|| "arbitrary".into());
    let invalid = EventError::invalid(k, &kind);
    if kind == "none" {
        return Ok(None);
    }
    let regions = e
        .regions
        .ok_or_else(|| invalid("missing `regions` (a list of region names)".into()))?;
    let sectors = e
        .sectors
        .ok_or_else(|| invalid("missing `sectors` (a list of sector names)".into()))?;
    let occurrence = int_field(k, &kind, "occurrence", e.occurrence, 10.0)? as usize;
    let duration = int_field(k, &kind, "duration", e.duration, 60.0)? as usize;
    let recovery_tau = int_field(k, &kind, "recovery_tau", e.recovery_tau, 30.0)? as u32;
    let recovery_function = match e.recovery_function.as_deref() {
        None => RecoveryFn::Linear,
        Some(s) => RecoveryFn::parse(s).ok_or_else(|| {
            invalid(format!(
                "unknown recovery_function `{s}`; hint: linear, convexe, convexe noscale or concave"
            ))
        })?,
    };
    let impact_unit = match e.impact_unit.as_deref() {
        None | Some("share-of-capital") => ImpactUnit::ShareOfCapital,
        Some("mriot") => ImpactUnit::Mriot,
        Some(s) => {
            return Err(invalid(format!(
                "unknown impact_unit `{s}`; hint: share-of-capital or mriot"
            )));
        }
    };
    let impact = match (e.impact, impact_unit) {
        (Some(v), _) => v,
        (None, ImpactUnit::ShareOfCapital) => 0.5,
        (None, ImpactUnit::Mriot) => {
            return Err(invalid(
                "`impact` is required with impact_unit mriot".into(),
            ));
        }
    };
    Ok(Some(match kind.as_str() {
        "arbitrary" => EventSpec::Arbitrary {
            regions,
            sectors,
            impact,
            occurrence,
            duration,
            recovery_tau,
            recovery_function,
        },
        "recovery" => EventSpec::Recovery {
            regions,
            sectors,
            impact,
            impact_unit,
            occurrence,
            duration,
            recovery_tau,
            recovery_function,
        },
        "rebuild" => {
            let rs = match e.rebuilding_sectors {
                None => serde_json::json!({"construction": 0.55, "manufactoring": 0.45}),
                Some(serde_json::Value::String(s)) => serde_json::from_str(&s)
                    .map_err(|err| invalid(format!("rebuilding_sectors is not JSON: {err}")))?,
                Some(v) => v,
            };
            let rebuilding_sectors: std::collections::BTreeMap<String, f64> =
                serde_json::from_value(rs).map_err(|err| {
                    invalid(format!(
                        "rebuilding_sectors must map sector names to shares: {err}"
                    ))
                })?;
            let rebuild_tau = match e.event_rebuild_tau {
                None => None,
                Some(v) => Some(int_field(k, &kind, "event_rebuild_tau", Some(v), 0.0)? as u32)
                    .filter(|t| *t > 0),
            };
            EventSpec::Rebuild {
                regions,
                sectors,
                impact,
                impact_unit,
                occurrence,
                duration,
                rebuild_tau,
                rebuilding_sectors,
                rebuilding_factor: 1.0,
            }
        }
        other => {
            return Err(invalid(format!(
                "unknown event_type `{other}`; hint: arbitrary, recovery, rebuild or none"
            )));
        }
    }))
}
