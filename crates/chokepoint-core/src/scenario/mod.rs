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
//!
//! Errors are reported at their cause only. A file with TOML syntax errors gets nothing but those
//! (the tree the parser recovered is a guess, and checks of a guess report phantoms); a base
//! dataset that cannot be read gets one error at `base` (every reference into it would fail
//! too); the checks of the whole world ([`supply`]: recipe cycles, needs nothing can supply) run
//! only on a world without errors. Some problems are warnings ([`Severity::Warning`]): the run
//! goes on, and [`validate_scenario`] returns them beside the scenario.

mod cohorts;
mod costs;
mod events;
mod supply;
mod world;

#[cfg(test)]
mod tests;

use crate::costs::Costs;
use crate::event::Event;
use crate::model::{Settings, World};
use crate::uncertain::{Target, UncertainParam, Uncertainty, param_rng};
pub use crate::wire::{Diagnostic, Diagnostics, MAX_DAYS, MAX_MAGNITUDE, Severity};
pub use cohorts::{Expansion, Moved, RESIDUAL, expand_cohorts};
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
        unc.apply_to(&mut s.world, &mut s.events, &mut s.settings, values);
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

/// Where text that is not UTF-8 stops being UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotUtf8 {
    /// 0-based offset of the first byte that is not part of a UTF-8 character.
    pub offset: usize,
    /// That byte.
    pub byte: u8,
    /// 1-based line and column (in characters) of that byte.
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for NotUtf8 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "is not UTF-8 at byte {} (line {}, column {}: 0x{:02x})",
            self.offset, self.line, self.column, self.byte
        )
    }
}

/// `bytes` as text, or where they stop being UTF-8 (a binary file read as a scenario, a
/// dataset saved in Latin-1).
pub fn utf8_text(bytes: &[u8]) -> Result<&str, NotUtf8> {
    std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        // The prefix up to the bad byte is valid UTF-8 by definition.
        let before = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        NotUtf8 {
            offset,
            byte: bytes[offset],
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    })
}

/// Why a base dataset could not be supplied. Paths are as the caller displays them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaseError {
    /// No dataset has this name (an unknown `builtin:` name, or a resolver without files).
    #[error("unknown base dataset `{0}`")]
    Unknown(String),
    /// Nothing exists at the path.
    #[error("base dataset `{path}` does not exist")]
    NotFound { path: String },
    /// The path is a folder without `.toml` files.
    #[error("base dataset `{path}` is a folder without .toml files")]
    EmptyFolder { path: String },
    /// A file of the dataset is not UTF-8.
    #[error("base dataset file `{path}` {at}")]
    NotUtf8 { path: String, at: NotUtf8 },
    /// Any other failure to read it, as the system words it.
    #[error("cannot read base dataset `{path}`: {reason}")]
    Unreadable { path: String, reason: String },
}

impl BaseError {
    fn hint(&self) -> String {
        match self {
            BaseError::Unknown(_) => "use `builtin:NAME` for a bundled dataset, or `none`".into(),
            BaseError::NotFound { .. } => "a relative `base` is read from the scenario file's \
                folder; give a dataset .toml file or a folder of them, `builtin:NAME` or `none`"
                .into(),
            BaseError::EmptyFolder { .. } => {
                "a dataset folder holds .toml files, read in name order".into()
            }
            BaseError::NotUtf8 { .. } => {
                "a dataset is TOML text in UTF-8; save it as UTF-8, or check the path".into()
            }
            BaseError::Unreadable { .. } => "check the path and its permissions".into(),
        }
    }
}

/// Resolves `base = "builtin:NAME"` (or any other base string) to the dataset's files, each as
/// (display file name, text), in the order they are read; the core does no I/O so the caller
/// supplies them. A dataset may be one file or several (a dataset folder); sections are read
/// across all of them, so a file may refer to ids defined in another, and an entity repeated in
/// a later file replaces the earlier one.
pub trait BaseResolver {
    fn resolve(&self, base: &str) -> Option<Vec<(String, String)>>;

    /// [`BaseResolver::resolve`], saying why a base cannot be supplied; the parser calls this.
    /// The default knows only that the name is unknown; a resolver that reads files overrides
    /// it to say what is wrong with the path.
    fn load(&self, base: &str) -> Result<Vec<(String, String)>, BaseError> {
        self.resolve(base)
            .ok_or_else(|| BaseError::Unknown(base.to_string()))
    }
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
const WORLD_SECTIONS: [&str; 11] = [
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
    "cohort",
];

/// The `[[cohort]]` entries of every file (base first), read and checked after the rest of the
/// world they refer to.
fn walk_cohorts<'t>(cx: &mut Cx<'t>, docs: &[(usize, &DeTable<'t>)]) -> Vec<cohorts::Declared> {
    let es = world::merged(cx, docs, "cohort");
    cohorts::walk_cohorts(cx, &es)
}

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
/// given as distributions take their central value; see [`parse_scenario_uncertain`]. Warnings
/// are dropped; see [`validate_scenario`].
pub fn parse_scenario(src: SourceText, bases: &dyn BaseResolver) -> Result<Scenario, Diagnostics> {
    parse_scenario_uncertain(src, bases).map(|(s, _)| s)
}

/// Parses and validates a scenario file and returns, beside the scenario at central values, its
/// uncertain parameters in file order (see [`crate::uncertain`]). Warnings are dropped; see
/// [`validate_scenario`].
pub fn parse_scenario_uncertain(
    src: SourceText,
    bases: &dyn BaseResolver,
) -> Result<(Scenario, Uncertainty), Diagnostics> {
    validate_scenario(src, bases).map(|v| (v.scenario, v.uncertainty))
}

/// A scenario that validated: the scenario at central values, its uncertain parameters, and
/// the warnings (problems the run can live with, which a user should still see).
#[derive(Debug, Clone)]
pub struct Validated {
    pub scenario: Scenario,
    pub uncertainty: Uncertainty,
    pub warnings: Diagnostics,
    /// The `[costs]` table (docs/scenario.md), `None` when the scenario has none.
    pub costs: Option<Costs>,
}

/// Parses and validates a scenario file with its base. On success the warnings come with the
/// scenario; on failure the [`Diagnostics`] hold the errors and the warnings, by position.
pub fn validate_scenario(
    src: SourceText,
    bases: &dyn BaseResolver,
) -> Result<Validated, Diagnostics> {
    let mut cx = Cx::default();
    let sf = cx.add_file(src.name, src.text);
    let doc = cx.parse_doc(sf, src.text);
    if cx.broken(sf) {
        return Err(Diagnostics(cx.finish().1));
    }
    let mut allowed: Vec<&str> = WORLD_SECTIONS.to_vec();
    allowed.extend(["scenario", "event", "costs"]);
    cx.check_keys(sf, &doc, "the scenario file", &allowed);

    // [scenario] table and its base.
    let scen = cx.section_table(sf, &doc, "scenario");
    let mut base_text: Vec<(String, String)> = Vec::new();
    if let Some(st) = &scen {
        if let Some(v) = cx.req(st, "base")
            && let Some(b) = cx.string(sf, "base", v)
            && b != "none"
        {
            match bases.load(b) {
                Ok(files) => base_text = files,
                Err(e) => {
                    cx.err(sf, v.span(), e.to_string(), Some(e.hint()));
                    return Err(Diagnostics(cx.finish().1));
                }
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
        if !cx.broken(bf) {
            check_dataset_keys(&mut cx, bf, &base_doc);
        }
        base_docs.push((bf, base_doc));
    }
    if base_docs.iter().any(|(bf, _)| cx.broken(*bf)) {
        return Err(Diagnostics(cx.finish().1));
    }
    let mut docs: Vec<(usize, &DeTable)> = base_docs.iter().map(|(f, d)| (*f, d)).collect();
    docs.push((sf, &doc));

    let (places, cohort_stockpiles) = world::walk_world(&mut cx, &docs);
    let declared = walk_cohorts(&mut cx, &docs);
    if !cx.has_errors() {
        supply::check(&mut cx, &places, true);
    }
    cohorts::expand_into(&mut cx, &declared);
    world::cohort_stockpiles(&mut cx, &cohort_stockpiles);
    let settings = world::walk_settings(&mut cx, scen.as_ref());
    let events = match doc.get("event") {
        Some(v) => {
            let entries = cx.entries(sf, "event", v);
            events::walk_events(&mut cx, &entries, &settings)
        }
        None => Vec::new(),
    };
    let costs_table = cx.section_table(sf, &doc, "costs");
    let costs = costs::walk_costs(&mut cx, costs_table.as_ref());
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
    if diags.iter().any(|d| d.severity == Severity::Error) {
        return Err(Diagnostics(diags));
    }
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
    Ok(Validated {
        scenario: Scenario {
            settings: settings.settings,
            world,
            events: central,
        },
        uncertainty: unc,
        warnings: Diagnostics(diags),
        costs,
    })
}

/// Parses and validates a dataset on its own (one or more files; no `[scenario]`, no events).
/// Structural checks of the whole world apply (recipe cycles); whether every need has a
/// supplier is `chokepoint data check`'s question for a dataset, and an error only once a
/// scenario runs it. Warnings are dropped.
pub fn parse_world(srcs: &[SourceText]) -> Result<World, Diagnostics> {
    let mut cx = Cx::default();
    let mut docs = Vec::new();
    for src in srcs {
        let f = cx.add_file(src.name, src.text);
        let doc = cx.parse_doc(f, src.text);
        if !cx.broken(f) {
            check_dataset_keys(&mut cx, f, &doc);
        }
        docs.push((f, doc));
    }
    if docs.iter().any(|(f, _)| cx.broken(*f)) {
        return Err(Diagnostics(cx.finish().1));
    }
    let refs: Vec<(usize, &DeTable)> = docs.iter().map(|(f, d)| (*f, d)).collect();
    let (places, cohort_stockpiles) = world::walk_world(&mut cx, &refs);
    let declared = walk_cohorts(&mut cx, &refs);
    if !cx.has_errors() {
        supply::check(&mut cx, &places, false);
    }
    cohorts::expand_into(&mut cx, &declared);
    world::cohort_stockpiles(&mut cx, &cohort_stockpiles);
    cx.world.default_cover_days = world::DEFAULT_COVER_DAYS;
    // Distributions in a dataset are checked here and sampled when a scenario uses the dataset.
    let _ = cx.take_uncertain();
    let (world, diags) = cx.finish();
    if diags.iter().any(|d| d.severity == Severity::Error) {
        Err(Diagnostics(diags))
    } else {
        Ok(world)
    }
}
