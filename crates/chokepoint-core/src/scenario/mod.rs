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

mod cx;
mod events;
mod world;

#[cfg(test)]
mod tests;

use crate::model::{Scenario, World};
use crate::uncertain::{Target, Uncertainty};
use cx::Cx;
use std::fmt;
use toml::de::DeTable;

/// One problem found in a scenario or dataset file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Display name of the file (the scenario's name, or the base's display name).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// What is wrong, without a trailing period.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "error: {}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// Every problem found, sorted by (file, line, column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
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
    let params = cx.take_uncertain();
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
