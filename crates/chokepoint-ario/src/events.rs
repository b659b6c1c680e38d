//! Events by name: [`EventSpec`] (what users write, in TOML parsed by [`parse_events_toml`] or
//! as the peer's JSON list parsed by [`parse_events_json`]; the caller reads the text),
//! [`RecoveryFn`] and [`ImpactUnit`]. The model resolves specs against its regions and sectors
//! into index-based shocks.
//!
//! Both readers check the keys of every event before the values: an unknown key (`durration`)
//! is an error at the key, with the accepted keys and the closest one; a missing required key
//! is an error at the event that lacks it. Positions are line:column of the text.
//!
//! Recovery functions of the remaining impact `d(k)` after `k` recovery steps, from `d0`:
//! - linear: `d0·(1 − k/τ)`
//! - convexe (scaled): `d0·(1 − 1/τ)^(4k)`; convexe noscale: `d0·(1 − 1/τ)^k`
//! - concave: `d0·τ / (τ + 10⁻⁶·k^e)`, `e = (ln τ − ln 10⁻⁶) / (ln τ − ln 2)`

use std::path::Path;

use serde::Deserialize;

use crate::error::{EventError, EventPlace};

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

/// The event kinds of the TOML format.
const KINDS: &[&str] = &["arbitrary", "recovery", "rebuild", "trade-link"];

/// The keys of one TOML event kind.
struct KindKeys {
    kind: &'static str,
    /// The required keys, each with what it gives.
    required: &'static [(&'static str, &'static str)],
    /// Every accepted key, `kind` included.
    accepted: &'static [&'static str],
}

/// Per TOML kind: its keys.
const TOML_KEYS: [KindKeys; 4] = [
    KindKeys {
        kind: "arbitrary",
        required: &[REGIONS, SECTORS, IMPACT],
        accepted: &[
            "kind",
            "regions",
            "sectors",
            "impact",
            "occurrence",
            "duration",
            "recovery-tau",
            "recovery-function",
        ],
    },
    KindKeys {
        kind: "recovery",
        required: &[REGIONS, SECTORS, IMPACT],
        accepted: &[
            "kind",
            "regions",
            "sectors",
            "impact",
            "impact-unit",
            "occurrence",
            "duration",
            "recovery-tau",
            "recovery-function",
        ],
    },
    KindKeys {
        kind: "rebuild",
        required: &[
            REGIONS,
            SECTORS,
            IMPACT,
            (
                "rebuilding-sectors",
                "a table of sector shares summing to 1",
            ),
        ],
        accepted: &[
            "kind",
            "regions",
            "sectors",
            "impact",
            "impact-unit",
            "occurrence",
            "duration",
            "rebuild-tau",
            "rebuilding-sectors",
            "rebuilding-factor",
        ],
    },
    KindKeys {
        kind: "trade-link",
        required: &[
            ("from", "a list of exporting region names"),
            ("to", "a list of importing region names"),
            SECTORS,
            ("share", "the share of the flow cut"),
        ],
        accepted: &[
            "kind",
            "from",
            "to",
            "sectors",
            "share",
            "occurrence",
            "duration",
            "recovery-tau",
        ],
    },
];
const REGIONS: (&str, &str) = ("regions", "a list of region names");
const SECTORS: (&str, &str) = ("sectors", "a list of sector names");
const IMPACT: (&str, &str) = ("impact", "the share or amount lost");

/// The keys of the peer's JSON events (run_reference.py's flags, `-` → `_`).
const JSON_KEYS: &[&str] = &[
    "event_type",
    "regions",
    "sectors",
    "impact",
    "impact_unit",
    "occurrence",
    "duration",
    "recovery_tau",
    "recovery_function",
    "event_rebuild_tau",
    "rebuilding_sectors",
];

/// Levenshtein distance in characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The accepted key closest to `key`, if close enough to be a typo (a third of its length).
fn closest(key: &str, accepted: &'static [&'static str]) -> Option<&'static str> {
    let limit = (key.chars().count() / 3).max(1);
    accepted
        .iter()
        .map(|a| (distance(key, a), *a))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

/// 1-based line and column (in characters) of byte `offset` of `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[start..].chars().count() + 1,
    )
}

/// Checks the keys of every `[[event]]` table of a TOML document that parses; what does not
/// parse, or has the wrong shape, is left to the typed reading that follows.
fn check_toml_keys(text: &str, path: &Path) -> Result<(), EventError> {
    use toml::de::{DeTable, DeValue};
    let Ok(doc) = DeTable::parse(text) else {
        return Ok(());
    };
    let Some(DeValue::Array(items)) = doc.get_ref().get("event").map(|v| v.get_ref()) else {
        return Ok(());
    };
    let at = |offset: usize| line_column(text, offset);
    let place = |line, column, index, kind: &str| {
        Box::new(EventPlace {
            path: path.into(),
            line,
            column,
            index,
            kind: kind.into(),
        })
    };
    for (index, item) in items.iter().enumerate() {
        let DeValue::Table(t) = item.get_ref() else {
            continue;
        };
        let (line, column) = at(item.span().start);
        let Some(kind_v) = t.get("kind") else {
            return Err(EventError::MissingKey {
                at: place(line, column, index, "no kind"),
                key: "kind",
                what: "one of arbitrary, recovery, rebuild, trade-link",
            });
        };
        let DeValue::String(kind) = kind_v.get_ref() else {
            continue;
        };
        let kind: &str = kind;
        let Some(KindKeys {
            required, accepted, ..
        }) = TOML_KEYS.iter().find(|k| k.kind == kind)
        else {
            let (line, column) = at(kind_v.span().start);
            return Err(EventError::UnknownKind {
                at: place(line, column, index, kind),
                suggestion: closest(kind, KINDS),
                kinds: KINDS,
            });
        };
        for (key, _) in t.iter() {
            let name: &str = key.get_ref();
            if !accepted.contains(&name) {
                let (line, column) = at(key.span().start);
                return Err(EventError::UnknownKey {
                    at: place(line, column, index, kind),
                    key: name.to_string(),
                    suggestion: closest(name, accepted),
                    accepted,
                });
            }
        }
        if let Some((key, what)) = required.iter().find(|(k, _)| !t.contains_key(*k)) {
            return Err(EventError::MissingKey {
                at: place(line, column, index, kind),
                key,
                what,
            });
        }
    }
    Ok(())
}

/// Parses the TOML events format (`[[event]]` tables, see docs/ario.md); `path` names the
/// text in messages.
pub fn parse_events_toml(text: &str, path: &Path) -> Result<Vec<EventSpec>, EventError> {
    check_toml_keys(text, path)?;
    let f: EventsFile = toml::from_str(text).map_err(|e| EventError::Parse {
        path: path.to_path_buf(),
        message: e.to_string().trim_end().to_string(),
    })?;
    Ok(f.event)
}

/// Where each top-level object of a JSON list starts, and where each of its keys is: byte
/// offsets, keys unescaped. Only for text `serde_json` has already read as a list.
fn json_objects(text: &str) -> Vec<(usize, Vec<(String, usize)>)> {
    let b = text.as_bytes();
    let mut i = 0;
    let ws = |i: &mut usize| {
        while *i < b.len() && b[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    // Past the string starting at `i` (a `"`); returns its end.
    let string = |i: &mut usize| {
        *i += 1;
        while *i < b.len() && b[*i] != b'"' {
            *i += if b[*i] == b'\\' { 2 } else { 1 };
        }
        *i += 1;
    };
    // Past the value starting at `i`.
    let value = |i: &mut usize| match b.get(*i) {
        Some(b'"') => string(i),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            while *i < b.len() {
                match b[*i] {
                    b'"' => {
                        string(i);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            *i += 1;
                            return;
                        }
                    }
                    _ => {}
                }
                *i += 1;
            }
        }
        _ => {
            while *i < b.len() && !matches!(b[*i], b',' | b']' | b'}') {
                *i += 1;
            }
        }
    };
    let mut out = Vec::new();
    ws(&mut i);
    i += 1; // `[`
    loop {
        ws(&mut i);
        match b.get(i) {
            Some(b'{') => {
                let start = i;
                let mut keys = Vec::new();
                i += 1;
                loop {
                    ws(&mut i);
                    if b.get(i) != Some(&b'"') {
                        i += 1; // `}`
                        break;
                    }
                    let k = i;
                    string(&mut i);
                    let key = serde_json::from_str::<String>(&text[k..i])
                        .unwrap_or_else(|_| text[k + 1..i - 1].to_string());
                    keys.push((key, k));
                    ws(&mut i);
                    i += 1; // `:`
                    ws(&mut i);
                    value(&mut i);
                    ws(&mut i);
                    if b.get(i) == Some(&b',') {
                        i += 1;
                    }
                }
                out.push((start, keys));
            }
            Some(b']') | None => break,
            Some(_) => {
                value(&mut i);
                out.push((i, Vec::new()));
            }
        }
        ws(&mut i);
        if b.get(i) == Some(&b',') {
            i += 1;
        }
    }
    out
}

/// One element of `run_reference.py --events-json` (keys as its CLI flags, `-` → `_`). The
/// peer ignores keys it does not know; here they are errors, because a misspelled optional key
/// (`durration`) would silently run with the default.
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
    let objects = json_objects(text);
    for (index, (_, keys)) in objects.iter().enumerate() {
        if let Some((key, offset)) = keys.iter().find(|(k, _)| !JSON_KEYS.contains(&k.as_str())) {
            let (line, column) = line_column(text, *offset);
            return Err(EventError::UnknownKey {
                at: Box::new(EventPlace {
                    path: path.into(),
                    line,
                    column,
                    index,
                    kind: list
                        .get(index)
                        .and_then(|e| e.event_type.clone())
                        .unwrap_or_else(|| "arbitrary".into()),
                }),
                key: key.clone(),
                suggestion: closest(key, JSON_KEYS),
                accepted: JSON_KEYS,
            });
        }
    }
    list.into_iter()
        .enumerate()
        .filter_map(|(k, e)| {
            let at = objects
                .get(k)
                .map_or((1, 1), |(o, _)| line_column(text, *o));
            peer_to_spec(k, e, path, at).transpose()
        })
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

/// Event `k` of the JSON list, which starts at `at` (line, column) of `path`.
fn peer_to_spec(
    k: usize,
    e: PeerEvent,
    path: &Path,
    at: (usize, usize),
) -> Result<Option<EventSpec>, EventError> {
    let kind = e.event_type.clone().unwrap_or_else(|| "arbitrary".into());
    let invalid = EventError::invalid(k, &kind);
    if kind == "none" {
        return Ok(None);
    }
    let missing = |(key, what): (&'static str, &'static str)| EventError::MissingKey {
        at: Box::new(EventPlace {
            path: path.into(),
            line: at.0,
            column: at.1,
            index: k,
            kind: kind.clone(),
        }),
        key,
        what,
    };
    let regions = e.regions.ok_or_else(|| missing(REGIONS))?;
    let sectors = e.sectors.ok_or_else(|| missing(SECTORS))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_objects_find_every_key_past_strings_and_nesting() {
        let text = r#" [ {"a\"b": "x}\"]", "c": {"d": [1, {"e": 2}]}, "f": -1.5e3 } ,
  {} , {"g":true}]"#;
        let got = json_objects(text);
        let keys: Vec<Vec<(&str, &str)>> = got
            .iter()
            .map(|(_, ks)| {
                ks.iter()
                    .map(|(k, at)| (k.as_str(), &text[*at..*at + 3]))
                    .collect()
            })
            .collect();
        assert_eq!(
            keys,
            vec![
                vec![("a\"b", "\"a\\"), ("c", "\"c\""), ("f", "\"f\"")],
                vec![],
                vec![("g", "\"g\"")]
            ]
        );
        assert_eq!(
            got.iter()
                .map(|(o, _)| &text[*o..*o + 2])
                .collect::<Vec<_>>(),
            ["{\"", "{}", "{\""]
        );
    }

    #[test]
    fn issue_16_unknown_event_keys_are_errors_with_a_suggestion() {
        let json = "[{\"regions\": [\"r\"], \"sectors\": [\"s\"], \"impact_unt\": \"mriot\"}]";
        let e = parse_events_json(json, Path::new("e.json")).unwrap_err();
        assert!(
            matches!(
                &e,
                EventError::UnknownKey { at, key, suggestion: Some("impact_unit"), .. }
                    if key == "impact_unt" && (at.line, at.column, at.index) == (1, 39, 0)
            ),
            "{e:?}"
        );
        // Every key the TOML kinds accept reads, and the lists name only such keys.
        let toml = r#"
[[event]]
kind = "arbitrary"
regions = ["r"]
sectors = ["s"]
impact = 0.5
occurrence = 2
duration = 3
recovery-tau = 4
recovery-function = "concave"
[[event]]
kind = "recovery"
regions = ["r"]
sectors = ["s"]
impact = 0.5
impact-unit = "mriot"
occurrence = 2
duration = 3
recovery-tau = 4
recovery-function = "linear"
[[event]]
kind = "rebuild"
regions = ["r"]
sectors = ["s"]
impact = 0.5
impact-unit = "mriot"
occurrence = 2
duration = 3
rebuild-tau = 9
rebuilding-sectors = { s = 1.0 }
rebuilding-factor = 1.0
[[event]]
kind = "trade-link"
from = ["r"]
to = ["q"]
sectors = ["s"]
share = 0.5
occurrence = 2
duration = 3
recovery-tau = 4
"#;
        let specs = parse_events_toml(toml, Path::new("e.toml")).unwrap();
        assert_eq!(specs.len(), 4);
        let keys = toml.lines().filter(|l| l.contains(" = ")).count();
        let listed: usize = TOML_KEYS.iter().map(|k| k.accepted.len()).sum();
        assert_eq!(keys, listed, "each accepted key is exercised once");
        let e = parse_events_toml("[[event]]\nkind = \"recovry\"\n", Path::new("e.toml"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "e.toml:2:8: unknown kind `recovry` of event 0; hint: did you mean `recovery`? accepted: arbitrary, recovery, rebuild, trade-link"
        );
    }
}
