//! Scenario and dataset parsing with validation that reports every problem at once.
//!
//! [`parse_scenario`] turns the TOML text of a scenario ([`SourceText`]) into a validated
//! [`Scenario`]; the world sections are merged on top of a base dataset that a caller-supplied
//! [`BaseResolver`] provides (the core does no I/O). [`parse_world`] validates a dataset file on
//! its own. Both walk the `toml` crate's spanned [`DeTable`] tree by hand instead of using serde,
//! so that unknown keys, wrong types, dangling references, unit mismatches and range errors in
//! every table are all collected as [`Diagnostic`]s (file, 1-based line and column, message and
//! an optional hint) and returned together as [`Diagnostics`], sorted by position. The format is
//! described in `docs/scenario.md`.

mod events;
mod world;

#[cfg(test)]
mod tests;

use crate::event::Event;
use crate::model::{Settings, World};
use crate::uncertain::{Target, UncertainParam, Uncertainty, param_rng};
pub use crate::wire::{Diagnostic, Diagnostics};
use world::Cx;

use toml::de::DeTable;

/// A run's whole input: the world (a base dataset with the scenario's edits), its settings and
/// its dated events, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub settings: Settings,
    pub world: World,
    pub events: Vec<Event>,
}

impl Scenario {
    /// This scenario on a path whose uncertain parameters `unc` drew `values` (aligned with
    /// `unc.params`): the events are `unc.events` (improbable ones included, when there are
    /// any) minus those that do not happen on the path.
    pub fn with_draws(&self, unc: &Uncertainty, values: &[f64]) -> Scenario {
        let mut s = Scenario {
            settings: self.settings.clone(),
            world: self.world.clone(),
            events: if unc.events.is_empty() {
                self.events.clone()
            } else {
                unc.events.clone()
            },
        };
        unc.apply_to(&mut s.world, &mut s.events, s.settings.days, values);
        s
    }

    /// Draws the parameters of path `path` of `seed` (from [`param_rng`]) and returns the
    /// path's scenario and the drawn values.
    pub fn for_path(&self, unc: &Uncertainty, seed: u64, path: u64) -> (Scenario, Vec<f64>) {
        let values = unc.draw(&mut param_rng(seed, path));
        (self.with_draws(unc, &values), values)
    }
}

/// The text of one file and the name to report it under.
#[derive(Debug, Clone, Copy)]
pub struct SourceText<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

/// Resolves `base = "builtin:NAME"` (or any other base string) to the dataset's files, each as
/// (display file name, text), in the order they are read; the core does no I/O so the caller
/// supplies them. A dataset may be one file or several (a dataset folder); sections are read
/// across all of them, so a file may refer to ids defined in another, and an entity repeated in
/// a later file replaces the earlier one.
pub trait BaseResolver {
    fn resolve(&self, base: &str) -> Option<Vec<(String, String)>>;
}

/// A resolver that knows no bases (only `base = "none"` works).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBases;

impl BaseResolver for NoBases {
    fn resolve(&self, _base: &str) -> Option<Vec<(String, String)>> {
        None
    }
}

/// Resolves bases from a fixed list of `(base string, display name, text)`, e.g. datasets
/// compiled in with `include_str!`.
#[derive(Debug, Clone, Copy)]
pub struct FixedBases<'a>(pub &'a [(&'a str, &'a str, &'a str)]);

impl BaseResolver for FixedBases<'_> {
    fn resolve(&self, base: &str) -> Option<Vec<(String, String)>> {
        let files: Vec<(String, String)> = self
            .0
            .iter()
            .filter(|(b, _, _)| *b == base)
            .map(|(_, n, t)| (n.to_string(), t.to_string()))
            .collect();
        (!files.is_empty()).then_some(files)
    }
}

/// Sections allowed in both dataset and scenario files.
const WORLD_SECTIONS: [&str; 10] = [
    "source",
    "region",
    "product",
    "recipe",
    "facility",
    "link",
    "demand",
    "inventory",
    "stockpile",
    "segment",
];

/// Reports keys of a dataset file that are not world sections.
fn check_dataset_keys(cx: &mut Cx, f: usize, doc: &DeTable) {
    let mut allowed: Vec<&str> = WORLD_SECTIONS.to_vec();
    allowed.extend(["scenario", "event"]);
    cx.check_keys(f, doc, "a dataset file", &allowed);
    for k in ["scenario", "event"] {
        if let Some((key, _)) = doc.get_key_value(k) {
            cx.err(
                f,
                key.span(),
                format!("`{k}` is not allowed in a dataset file"),
                Some("only scenario files have `[scenario]` and `[[event]]`".into()),
            );
        }
    }
}

/// Parses and validates a scenario file, merging its world sections on top of its base. Numbers
/// given as distributions take their central value; see [`parse_scenario_uncertain`].
pub fn parse_scenario(src: SourceText, bases: &dyn BaseResolver) -> Result<Scenario, Diagnostics> {
    parse_scenario_uncertain(src, bases).map(|(s, _)| s)
}

/// Parses and validates a scenario file and returns, beside the scenario at central values, its
/// uncertain parameters in file order (see [`crate::uncertain`]).
pub fn parse_scenario_uncertain(
    src: SourceText,
    bases: &dyn BaseResolver,
) -> Result<(Scenario, Uncertainty), Diagnostics> {
    let mut cx = Cx::default();
    let sf = cx.add_file(src.name, src.text);
    let doc = cx.parse_doc(sf, src.text);
    let mut allowed: Vec<&str> = WORLD_SECTIONS.to_vec();
    allowed.extend(["scenario", "event"]);
    cx.check_keys(sf, &doc, "the scenario file", &allowed);

    // [scenario] table and its base.
    let scen = cx.section_table(sf, &doc, "scenario");
    let mut base_text: Vec<(String, String)> = Vec::new();
    if let Some(st) = &scen {
        if let Some(v) = cx.req(st, "base")
            && let Some(b) = cx.string(sf, "base", v)
            && b != "none"
        {
            match bases.resolve(b) {
                Some(files) => base_text = files,
                None => cx.err(
                    sf,
                    v.span(),
                    format!("unknown base dataset `{b}`"),
                    Some("use `builtin:NAME` for a bundled dataset, or `none`".into()),
                ),
            }
        }
    } else if !doc.contains_key("scenario") {
        cx.err(
            sf,
            0..src.text.len().min(1),
            "missing required table `[scenario]`",
            Some(
                "a scenario file starts with `[scenario]` giving name, base, start and days".into(),
            ),
        );
    }

    let mut base_docs = Vec::new();
    for (name, text) in &base_text {
        let bf = cx.add_file(name, text);
        let base_doc = cx.parse_doc(bf, text);
        check_dataset_keys(&mut cx, bf, &base_doc);
        base_docs.push((bf, base_doc));
    }
    let mut docs: Vec<(usize, &DeTable)> = base_docs.iter().map(|(f, d)| (*f, d)).collect();
    docs.push((sf, &doc));

    world::walk_world(&mut cx, &docs);
    let settings = world::walk_settings(&mut cx, scen.as_ref());
    let events = match doc.get("event") {
        Some(v) => {
            let entries = cx.entries(sf, "event", v);
            events::walk_events(&mut cx, &entries, &settings)
        }
        None => Vec::new(),
    };
    let params = cx
        .take_uncertain()
        .into_iter()
        .map(|b| UncertainParam {
            label: b.label,
            file: b.file,
            line: b.line,
            column: b.column,
            target: b.target,
            dist: b.dist,
        })
        .collect();
    let (world, diags) = cx.finish();
    if diags.is_empty() {
        let mut unc = Uncertainty {
            params,
            events: Vec::new(),
        };
        let mut central = events.clone();
        if unc
            .params
            .iter()
            .any(|p| matches!(p.target, Target::EventOccurs(_)))
        {
            // Events unlikely to happen (probability < 1/2) are left out of the central scenario.
            let mut k = 0;
            central.retain(|_| {
                k += 1;
                !unc.params
                    .iter()
                    .any(|p| p.target == Target::EventOccurs(k - 1) && p.dist.central() < 0.5)
            });
        }
        if !unc.params.is_empty() {
            unc.events = events;
        }
        Ok((
            Scenario {
                settings: settings.settings,
                world,
                events: central,
            },
            unc,
        ))
    } else {
        Err(Diagnostics(diags))
    }
}

/// Parses and validates a dataset on its own (one or more files; no `[scenario]`, no events).
pub fn parse_world(srcs: &[SourceText]) -> Result<World, Diagnostics> {
    let mut cx = Cx::default();
    let mut docs = Vec::new();
    for src in srcs {
        let f = cx.add_file(src.name, src.text);
        let doc = cx.parse_doc(f, src.text);
        check_dataset_keys(&mut cx, f, &doc);
        docs.push((f, doc));
    }
    let refs: Vec<(usize, &DeTable)> = docs.iter().map(|(f, d)| (*f, d)).collect();
    world::walk_world(&mut cx, &refs);
    cx.world.default_cover_days = world::DEFAULT_COVER_DAYS;
    // Distributions in a dataset are checked here and sampled when a scenario uses the dataset.
    let _ = cx.take_uncertain();
    let (world, diags) = cx.finish();
    if diags.is_empty() {
        Ok(world)
    } else {
        Err(Diagnostics(diags))
    }
}
