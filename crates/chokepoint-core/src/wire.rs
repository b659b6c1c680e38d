//! Reading TOML by hand: [`Cx`], the diagnostic context (files, positions, every problem found as
//! a [`Diagnostic`]) with typed accessors over the spanned TOML tree (`toml`'s [`DeTable`]):
//! strings, numbers in canonical units with provenance ([`Num`], [`Dim`]), distributions waiting
//! to be told what they set ([`Pending`], bound to a target of the caller's type `B`), dates,
//! region and product codes and rationing rules. The scenario parser ([`crate::scenario`]) and
//! each event kind's parser ([`crate::event`]) read their tables through it.

use crate::dist::Dist;
use crate::model::Rationing;
use crate::model::{Confidence, ProductId, Provenance, RegionId, World};
use jiff::civil::Date;
use std::collections::HashSet;
use std::fmt;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

pub(crate) type Sp<'t> = Spanned<DeValue<'t>>;

struct FileCx<'t> {
    name: String,
    text: &'t str,
    line_starts: Vec<usize>,
    /// Whether the TOML had syntax errors (then values with empty spans are recovery artefacts).
    broken: bool,
}

/// How bad a problem is: an error stops the run; a warning is printed and the run goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// The largest magnitude a number of a scenario or dataset may have, in its canonical unit.
/// Quantities are summed over links, days and Monte Carlo paths, partly in exact 64.64 fixed
/// point whose integer part ends near 9.2e18 ([`crate::exact::ExactSum`]): 1e12 (a trillion
/// tonnes a day, or dollars a kilogram) is far beyond any real flow and still leaves six orders
/// of magnitude for those sums, where 1e308 overflows to infinity at the first addition.
pub const MAX_MAGNITUDE: f64 = 1e12;

/// The longest run, in days (100 years), and so the longest transit a link may have: a
/// shipment longer than any run would never arrive, and the in-transit pipeline keeps one slot
/// per day of the longest transit on every link.
pub const MAX_DAYS: u32 = 36_500;

/// One problem found in a scenario or dataset file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Whether the problem stops the run.
    pub severity: Severity,
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
            "{}: {}:{}:{}: {}",
            self.severity.as_str(),
            self.file,
            self.line,
            self.column,
            self.message
        )?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// Every problem found, sorted by (file, line, column).
#[derive(Debug, Clone, PartialEq, Eq, Default, thiserror::Error)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// How many of the problems are errors (the rest are warnings).
    pub fn errors(&self) -> usize {
        self.0
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }
}

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

/// One table of an array of tables (or a single table), remembering its file.
#[derive(Clone)]
pub(crate) struct Entry<'a, 't> {
    pub f: usize,
    pub tbl: &'a DeTable<'t>,
    pub span: Range<usize>,
    /// How to name the table in messages, e.g. `[[facility]]`.
    pub ctx: String,
}

/// The physical dimension expected of a number, with the products whose unit applies.
pub(crate) enum Dim {
    /// A quantity in the unit of the listed (code, unit) products.
    Qty(Vec<(String, String)>),
    /// A rate (per day, or per year when the unit says `/yr`).
    Rate(Vec<(String, String)>),
    /// USD/kg.
    Price,
    /// Days.
    Days,
    /// Dimensionless.
    One,
    /// USD (a one-off amount).
    Usd,
    /// USD a year.
    UsdPerYear,
}

/// A number in canonical units with its provenance.
#[derive(Debug, Clone)]
pub(crate) struct Num {
    pub value: f64,
    pub f: usize,
    /// Span of the bare number (inside the table form, the `value`).
    pub span: Range<usize>,
    pub unit: String,
    pub source: Option<String>,
    pub confidence: Option<Confidence>,
    pub note: Option<String>,
    pub tabled: bool,
    /// Index into [`Cx::pending`] when the number was given as a distribution.
    pub dist: Option<usize>,
    /// Smallest and largest value the number can take (both `value` for a plain number).
    pub lo: f64,
    pub hi: f64,
}

/// A distribution found while parsing, waiting for its call site to say what it sets.
pub(crate) struct Pending<B> {
    pub f: usize,
    pub span: Range<usize>,
    pub key: String,
    pub dist: Dist,
    pub bound: Option<(String, B)>,
}

/// A distribution with what it sets, where it was written.
pub(crate) struct Bound<B> {
    pub label: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub target: B,
    pub dist: Dist,
}

/// Keys that make a number table a distribution.
pub(crate) const DIST_FORMS: [&str; 7] = [
    "fixed",
    "uniform",
    "triangular",
    "normal",
    "lognormal",
    "beta",
    "choice",
];

pub(crate) struct Cx<'t, B> {
    files: Vec<FileCx<'t>>,
    diags: Vec<Diagnostic>,
    pub world: World,
    pub sources: HashSet<String>,
    pub pending: Vec<Pending<B>>,
    /// Ordinal of the `[[event]]` being parsed (its index in the scenario's events).
    pub event_ix: usize,
}

impl<B> Default for Cx<'_, B> {
    fn default() -> Self {
        Cx {
            files: Vec::new(),
            diags: Vec::new(),
            world: World::default(),
            sources: HashSet::new(),
            pending: Vec::new(),
            event_ix: 0,
        }
    }
}

/// Levenshtein distance in characters (the reference [`distance_within`] is tested against).
#[cfg(test)]
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Levenshtein distance in characters if it is at most `limit`. Only cells within `limit` of
/// the diagonal can stay within it, and a row whose cells all exceed it ends the search, so a
/// comparison costs `len · (2·limit + 1)` steps at most instead of the product of the lengths:
/// a hostile file may name thousands of long unknown ids against thousands of long known ones.
fn distance_within(a: &[char], b: &[char], limit: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    // Cells beyond `limit` hold `over`, which is all that matters about them.
    let over = limit + 1;
    let mut prev: Vec<usize> = (0..=b.len()).map(|j| j.min(over)).collect();
    let mut cur = vec![over; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        let row = i + 1;
        let lo = row.saturating_sub(limit).max(1);
        let hi = (row + limit).min(b.len());
        cur[lo - 1] = if lo == 1 { row.min(over) } else { over };
        let mut least = cur[lo - 1];
        for j in lo..=hi {
            let sub = prev[j - 1] + usize::from(*ca != b[j - 1]);
            cur[j] = sub.min(prev[j] + 1).min(cur[j - 1] + 1).min(over);
            least = least.min(cur[j]);
        }
        if hi < b.len() {
            cur[hi + 1] = over;
        }
        if least > limit {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    Some(prev[b.len()]).filter(|&d| d <= limit)
}

/// The closest candidate to `name`, if it is close enough to be a plausible typo.
pub(crate) fn suggest<'c, S: AsRef<str>>(name: &str, candidates: &'c [S]) -> Option<&'c str> {
    let n = name.chars().count();
    let limit = if n <= 3 {
        1
    } else if n <= 6 {
        2
    } else {
        3
    };
    let lower = |s: &str| -> Vec<char> { s.to_lowercase().chars().collect() };
    let name = lower(name);
    candidates
        .iter()
        .filter_map(|c| distance_within(&name, &lower(c.as_ref()), limit).map(|d| (d, c.as_ref())))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// "did you mean `x`?" or "known {plural}: a, b, c".
pub(crate) fn unknown_hint<S: AsRef<str>>(plural: &str, name: &str, known: &[S]) -> String {
    if let Some(s) = suggest(name, known) {
        return format!("did you mean `{s}`?");
    }
    if known.is_empty() {
        return format!("no {plural} are defined");
    }
    let mut list: Vec<&str> = known.iter().map(|s| s.as_ref()).take(20).collect();
    if known.len() > 20 {
        list.push("...");
    }
    format!("known {plural}: {}", list.join(", "))
}

/// Formats a float as `{}` does (no trailing `.0`), but in exponent form from 1e16 on, where
/// `{}` would write every one of up to 309 digits.
pub(crate) fn fmt_num(v: f64) -> String {
    if v.is_finite() && v.abs() >= 1e16 {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

fn bare_number(v: &DeValue) -> Option<f64> {
    match v {
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .ok()
            .map(|x| x as f64),
        DeValue::Float(x) => x.as_str().parse::<f64>().ok(),
        _ => None,
    }
}

fn norm_unit(u: &str) -> String {
    u.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl<'t, B: Clone> Cx<'t, B> {
    pub fn add_file(&mut self, name: &str, text: &'t str) -> usize {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        self.files.push(FileCx {
            name: name.to_string(),
            text,
            line_starts,
            broken: false,
        });
        self.files.len() - 1
    }

    fn pos(&self, f: usize, offset: usize) -> (usize, usize) {
        let file = &self.files[f];
        let offset = offset.min(file.text.len());
        let line = file.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = file.line_starts[line - 1];
        let col = file
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        (line, col)
    }

    pub fn line_of(&self, f: usize, offset: usize) -> usize {
        self.pos(f, offset).0
    }

    pub fn err(
        &mut self,
        f: usize,
        span: Range<usize>,
        msg: impl Into<String>,
        hint: Option<String>,
    ) {
        self.report(Severity::Error, f, span, msg.into(), hint);
    }

    /// A problem the run can live with: printed, but the scenario stays valid.
    pub fn warn(
        &mut self,
        f: usize,
        span: Range<usize>,
        msg: impl Into<String>,
        hint: Option<String>,
    ) {
        self.report(Severity::Warning, f, span, msg.into(), hint);
    }

    fn report(
        &mut self,
        severity: Severity,
        f: usize,
        span: Range<usize>,
        message: String,
        hint: Option<String>,
    ) {
        if self.files[f].broken && span.is_empty() {
            // A value the TOML parser made up while recovering; the syntax error says it all.
            return;
        }
        let (line, column) = self.pos(f, span.start);
        self.diags.push(Diagnostic {
            severity,
            file: self.files[f].name.clone(),
            line,
            column,
            message,
            hint,
        });
    }

    /// Whether an error (not a warning) has been reported.
    /// Errors reported so far (a caller compares counts to learn whether a part had any).
    pub fn error_count(&self) -> usize {
        self.diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    pub fn has_errors(&self) -> bool {
        self.diags.iter().any(|d| d.severity == Severity::Error)
    }

    /// Parses a document, turning syntax errors into diagnostics; returns the recovered tree.
    /// Only the leftmost syntax error of a line is kept: the parser's recovery often trips
    /// again further along the same line (`name = = "x"` gives two), and that second error is
    /// a consequence of the first.
    pub fn parse_doc(&mut self, f: usize, text: &'t str) -> DeTable<'t> {
        let (doc, mut errors) = DeTable::parse_recoverable(text);
        errors.sort_by_key(|e| e.span().map_or(0, |s| s.start));
        let mut diags: Vec<Diagnostic> = Vec::new();
        for e in errors {
            let msg = e.message().trim().trim_end_matches('.').to_string();
            let (first, rest) = match msg.split_once('\n') {
                Some((a, b)) => (a.to_string(), Some(b.trim().to_string())),
                None => (msg, None),
            };
            let (line, column) = self.pos(f, e.span().map_or(0, |s| s.start));
            if diags.iter().any(|d| d.line == line) {
                continue;
            }
            diags.push(Diagnostic {
                severity: Severity::Error,
                file: self.files[f].name.clone(),
                line,
                column,
                message: format!("TOML syntax error: {first}"),
                hint: rest,
            });
        }
        self.files[f].broken = !diags.is_empty();
        self.diags.extend(diags);
        doc.into_inner()
    }

    /// Whether file `f` had TOML syntax errors.
    pub fn broken(&self, f: usize) -> bool {
        self.files[f].broken
    }

    pub fn finish(mut self) -> (World, Vec<Diagnostic>) {
        self.diags.sort_by(|a, b| {
            (&a.file, a.line, a.column, a.severity).cmp(&(&b.file, b.line, b.column, b.severity))
        });
        self.diags.dedup();
        (self.world, self.diags)
    }

    /// Reports keys of `tbl` that are not in `allowed`.
    pub fn check_keys(&mut self, f: usize, tbl: &DeTable, ctx: &str, allowed: &[&str]) {
        for (k, _) in tbl.iter() {
            let name: &str = k.get_ref();
            if !allowed.contains(&name) {
                let hint = match suggest(name, allowed) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("allowed keys: {}", allowed.join(", ")),
                };
                self.err(
                    f,
                    k.span(),
                    format!("unknown key `{name}` in {ctx}"),
                    Some(hint),
                );
            }
        }
    }

    /// A single `[name]` table of `doc`.
    pub fn section_table<'a, 'x>(
        &mut self,
        f: usize,
        doc: &'a DeTable<'x>,
        name: &str,
    ) -> Option<Entry<'a, 'x>> {
        let v = doc.get(name)?;
        match v.get_ref() {
            DeValue::Table(t) => Some(Entry {
                f,
                tbl: t,
                span: v.span(),
                ctx: format!("[{name}]"),
            }),
            other => {
                self.err(
                    f,
                    v.span(),
                    format!("`{name}` must be a table, found {}", other.type_str()),
                    None,
                );
                None
            }
        }
    }

    /// The tables of an array of tables `[[name]]`.
    pub fn entries<'a, 'x>(&mut self, f: usize, name: &str, v: &'a Sp<'x>) -> Vec<Entry<'a, 'x>> {
        let ctx = format!("[[{name}]]");
        match v.get_ref() {
            DeValue::Array(items) => {
                let mut out = Vec::new();
                for it in items.iter() {
                    match it.get_ref() {
                        DeValue::Table(t) => out.push(Entry {
                            f,
                            tbl: t,
                            span: it.span(),
                            ctx: ctx.clone(),
                        }),
                        other => self.err(
                            f,
                            it.span(),
                            format!(
                                "items of `{name}` must be tables, found {}",
                                other.type_str()
                            ),
                            Some(format!("write each item as a `[[{name}]]` section")),
                        ),
                    }
                }
                out
            }
            other => {
                self.err(
                    f,
                    v.span(),
                    format!(
                        "`{name}` must be an array of tables, found {}",
                        other.type_str()
                    ),
                    Some(format!("write `[[{name}]]` instead of `[{name}]`")),
                );
                Vec::new()
            }
        }
    }

    pub fn keys(&mut self, e: &Entry, allowed: &[&str]) {
        self.check_keys(e.f, e.tbl, &e.ctx, allowed);
    }

    pub fn req<'a, 'x>(&mut self, e: &Entry<'a, 'x>, key: &str) -> Option<&'a Sp<'x>> {
        let v = e.tbl.get(key);
        if v.is_none() {
            self.err(
                e.f,
                e.span.clone(),
                format!("missing required key `{key}` in {}", e.ctx),
                None,
            );
        }
        v
    }

    pub fn string<'a>(&mut self, f: usize, key: &str, v: &'a Sp<'_>) -> Option<&'a str> {
        match v.get_ref() {
            DeValue::String(s) => Some(s.as_ref()),
            other => {
                self.err(
                    f,
                    v.span(),
                    format!("`{key}` must be a string, found {}", other.type_str()),
                    None,
                );
                None
            }
        }
    }

    pub fn req_str<'a>(&mut self, e: &Entry<'a, '_>, key: &str) -> Option<(&'a str, Range<usize>)> {
        let v = self.req(e, key)?;
        self.string(e.f, key, v).map(|s| (s, v.span()))
    }

    pub fn opt_str<'a>(&mut self, e: &Entry<'a, '_>, key: &str) -> Option<(&'a str, Range<usize>)> {
        let v = e.tbl.get(key)?;
        self.string(e.f, key, v).map(|s| (s, v.span()))
    }

    /// An array of strings.
    pub fn str_list<'a>(
        &mut self,
        f: usize,
        key: &str,
        v: &'a Sp<'_>,
    ) -> Vec<(&'a str, Range<usize>)> {
        match v.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .filter_map(|it| match it.get_ref() {
                    DeValue::String(s) => Some((s.as_ref(), it.span())),
                    other => {
                        self.err(
                            f,
                            it.span(),
                            format!(
                                "items of `{key}` must be strings, found {}",
                                other.type_str()
                            ),
                            None,
                        );
                        None
                    }
                })
                .collect(),
            other => {
                self.err(
                    f,
                    v.span(),
                    format!(
                        "`{key}` must be an array of strings, found {}",
                        other.type_str()
                    ),
                    None,
                );
                Vec::new()
            }
        }
    }

    /// Reports `x` (written at `span`) unless it is finite and within [`MAX_MAGNITUDE`];
    /// `unit` names its canonical unit when a conversion may have scaled it.
    fn sane(&mut self, f: usize, span: Range<usize>, key: &str, x: f64, unit: &str) -> bool {
        let why = "numbers are limited to 1e12 in magnitude, so that sums over links, days and \
                   Monte Carlo paths stay finite and exact";
        if !x.is_finite() {
            self.err(
                f,
                span,
                format!("`{key}` must be a finite number, found {}", fmt_num(x)),
                Some(why.into()),
            );
            return false;
        }
        if x.abs() > MAX_MAGNITUDE {
            let unit = if unit.is_empty() || unit == "1" {
                String::new()
            } else {
                format!(" {unit}")
            };
            self.err(
                f,
                span,
                format!(
                    "`{key}` = {}{unit} is too large: the largest accepted magnitude is 1e12",
                    fmt_num(x)
                ),
                Some(format!("{why}; is the unit right?")),
            );
            return false;
        }
        true
    }

    /// A bare number (no table form), e.g. inside a lead-time distribution.
    pub fn plain_number(&mut self, f: usize, key: &str, v: &Sp<'_>) -> Option<f64> {
        match bare_number(v.get_ref()) {
            Some(x) => self.sane(f, v.span(), key, x, "").then_some(x),
            None => {
                let msg = match v.get_ref() {
                    DeValue::Integer(i) => format!("`{key}` = {i} is out of range"),
                    other => format!("`{key}` must be a number, found {}", other.type_str()),
                };
                self.err(f, v.span(), msg, None);
                None
            }
        }
    }

    /// A number, bare or as `{ value, unit, source, confidence, note }`, converted to the
    /// canonical unit of `dim`.
    pub fn number(&mut self, f: usize, key: &str, v: &Sp<'_>, dim: &Dim) -> Option<Num> {
        let canonical = |d: &Dim| -> String {
            match d {
                Dim::Qty(ps) => ps.first().map_or("units".into(), |(_, u)| norm_unit(u)),
                Dim::Rate(ps) => ps.first().map_or("units".into(), |(_, u)| norm_unit(u)) + "/day",
                Dim::Price => "USD/kg".into(),
                Dim::Days => "days".into(),
                Dim::One => "1".into(),
                Dim::Usd => "USD".into(),
                Dim::UsdPerYear => "USD/yr".into(),
            }
        };
        match v.get_ref() {
            DeValue::Integer(_) | DeValue::Float(_) => {
                let value = self.plain_number(f, key, v)?;
                Some(Num {
                    value,
                    f,
                    span: v.span(),
                    unit: canonical(dim),
                    source: None,
                    confidence: None,
                    note: None,
                    tabled: false,
                    dist: None,
                    lo: value,
                    hi: value,
                })
            }
            DeValue::Table(t) => {
                let ctx = format!("`{key}`");
                let is_dist = t
                    .iter()
                    .any(|(k, _)| DIST_FORMS.contains(&k.get_ref().as_ref()));
                let mut allowed = vec!["value", "unit", "source", "confidence", "note"];
                if is_dist {
                    allowed = vec![
                        "unit",
                        "source",
                        "confidence",
                        "note",
                        "min",
                        "max",
                        "weights",
                    ];
                    allowed.extend(DIST_FORMS);
                }
                self.check_keys(f, t, &ctx, &allowed);
                let mut source = None;
                if let Some(sv) = t.get("source")
                    && let Some(s) = self.string(f, "source", sv)
                {
                    if !self.sources.contains(s) {
                        let mut known: Vec<&String> = self.sources.iter().collect();
                        known.sort();
                        let hint = unknown_hint("sources", s, &known);
                        self.err(f, sv.span(), format!("unknown source `{s}`"), Some(hint));
                    }
                    source = Some(s.to_string());
                }
                let mut confidence = None;
                if let Some(cv) = t.get("confidence")
                    && let Some(c) = self.string(f, "confidence", cv)
                {
                    match Confidence::ALL.iter().find(|(n, _)| *n == c) {
                        Some((_, k)) => confidence = Some(*k),
                        None => {
                            let names: Vec<&str> =
                                Confidence::ALL.iter().map(|(n, _)| *n).collect();
                            let hint = match suggest(c, &names) {
                                Some(s) => format!("did you mean `{s}`?"),
                                None => format!("allowed: {}", names.join(", ")),
                            };
                            self.err(
                                f,
                                cv.span(),
                                format!("unknown confidence `{c}`"),
                                Some(hint),
                            );
                        }
                    }
                }
                let note = t
                    .get("note")
                    .and_then(|nv| self.string(f, "note", nv))
                    .map(str::to_string);
                let mut dist = None;
                let (vv, mut value) = if is_dist {
                    let d = self.dist(f, key, v, t)?;
                    let c = d.central();
                    dist = Some(d);
                    (v, c)
                } else {
                    let Some(vv) = t.get("value") else {
                        self.err(
                            f,
                            v.span(),
                            format!("missing required key `value` in `{key}`"),
                            Some(format!(
                                "write `{key} = {{ value = 1 }}`, or a distribution such as `{key} = {{ uniform = [1, 2] }}`"
                            )),
                        );
                        return None;
                    };
                    (vv, self.plain_number(f, key, vv)?)
                };
                let mut factor = 1.0;
                let mut unit = canonical(dim);
                if let Some(uv) = t.get("unit") {
                    if let Some(u) = self.string(f, "unit", uv)
                        && let Some(k) = self.convert_unit(f, key, u, uv.span(), dim)
                    {
                        value *= k;
                        factor = k;
                    }
                    if let Dim::Qty(ps) | Dim::Rate(ps) = dim
                        && ps.is_empty()
                    {
                        // No product to take the unit from: keep the user's product part.
                        if let Some(u) = uv.get_ref().as_str() {
                            unit = match (dim, u.rsplit_once('/')) {
                                (Dim::Rate(_), Some((p, _))) => format!("{}/day", norm_unit(p)),
                                _ => norm_unit(u),
                            };
                        }
                    }
                }
                let (mut lo, mut hi) = (value, value);
                if !self.sane(f, vv.span(), key, value, &unit) {
                    return None;
                }
                let dist = match dist {
                    Some(d) => {
                        let d = d.scaled(factor);
                        (lo, hi) = d.support();
                        // A finite end of the support beyond the limit is as bad as such a
                        // value; an infinite one (a normal or lognormal without `min`/`max`)
                        // is a tail that draws almost never reach.
                        if let Some(x) = [lo, hi]
                            .into_iter()
                            .find(|x| x.is_finite() && x.abs() > MAX_MAGNITUDE)
                        {
                            self.sane(f, vv.span(), key, x, &unit);
                            return None;
                        }
                        self.pending.push(Pending {
                            f,
                            span: vv.span(),
                            key: key.to_string(),
                            dist: d,
                            bound: None,
                        });
                        Some(self.pending.len() - 1)
                    }
                    None => None,
                };
                Some(Num {
                    value,
                    f,
                    span: vv.span(),
                    unit,
                    source,
                    confidence,
                    note,
                    tabled: true,
                    dist,
                    lo,
                    hi,
                })
            }
            other => {
                self.err(
                    f,
                    v.span(),
                    format!("`{key}` must be a number, found {}", other.type_str()),
                    None,
                );
                None
            }
        }
    }

    /// An array of numbers `[a, b, ...]` (exactly `want` items when given).
    fn num_array(
        &mut self,
        f: usize,
        key: &str,
        v: &Sp<'_>,
        want: Option<usize>,
        shape: &str,
    ) -> Option<Vec<f64>> {
        let bad = |this: &mut Self| {
            this.err(
                f,
                v.span(),
                format!("`{key}` must be an array {shape}"),
                Some(format!("e.g. `{key} = {shape}`")),
            );
        };
        let DeValue::Array(items) = v.get_ref() else {
            bad(self);
            return None;
        };
        if want.is_some_and(|n| n != items.len()) {
            bad(self);
            return None;
        }
        let xs: Vec<Option<f64>> = items.iter().map(|x| self.plain_number(f, key, x)).collect();
        xs.into_iter().collect()
    }

    /// A distribution table (`{ uniform = [a, b] }`, ...; see docs/scenario.md, Uncertainty),
    /// with every degenerate form reported at the table.
    pub fn dist(&mut self, f: usize, key: &str, v: &Sp<'_>, t: &DeTable<'_>) -> Option<Dist> {
        let given: Vec<&str> = t
            .iter()
            .map(|(k, _)| k.get_ref().as_ref())
            .filter(|k| DIST_FORMS.contains(k))
            .collect();
        if given.len() != 1 {
            self.err(
                f,
                v.span(),
                format!(
                    "`{key}` must have exactly one of {}",
                    DIST_FORMS.map(|d| format!("`{d}`")).join(", ")
                ),
                Some(format!("e.g. `{key} = {{ uniform = [1, 2] }}`")),
            );
            return None;
        }
        let form = given[0];
        let dv = t.get(form)?;
        let bound = |this: &mut Self, name: &str| -> Option<Option<f64>> {
            match t.get(name) {
                Some(bv) => this.plain_number(f, name, bv).map(Some),
                None => Some(None),
            }
        };
        let (min, max) = (bound(self, "min")?, bound(self, "max")?);
        let degenerate = |this: &mut Self, what: String, hint: &str| {
            this.err(
                f,
                v.span(),
                format!("degenerate distribution for `{key}`: {what}"),
                Some(hint.into()),
            );
        };
        for extra in ["min", "max"] {
            if t.contains_key(extra) && !matches!(form, "normal" | "lognormal" | "beta") {
                self.err(
                    f,
                    t.get(extra).map_or(v.span(), |x| x.span()),
                    format!("`{extra}` is only used with `normal`, `lognormal` and `beta`"),
                    Some("the bounds of `uniform` and `triangular` are in their arrays".into()),
                );
                return None;
            }
        }
        if t.contains_key("weights") && form != "choice" {
            self.err(
                f,
                t.get("weights").map_or(v.span(), |x| x.span()),
                "`weights` is only used with `choice`",
                Some("write `{ choice = [v1, v2], weights = [w1, w2] }`".into()),
            );
            return None;
        }
        if let (Some(a), Some(b)) = (min, max)
            && a > b
        {
            degenerate(
                self,
                format!("min {} is greater than max {}", fmt_num(a), fmt_num(b)),
                "write `min` below `max`",
            );
            return None;
        }
        let (lo, hi) = (
            min.unwrap_or(f64::NEG_INFINITY),
            max.unwrap_or(f64::INFINITY),
        );
        let d = match form {
            "fixed" => Dist::Fixed(self.plain_number(f, key, dv)?),
            "uniform" => {
                let x = self.num_array(f, "uniform", dv, Some(2), "[min, max]")?;
                if x[0] > x[1] {
                    degenerate(
                        self,
                        format!(
                            "min {} is greater than max {}",
                            fmt_num(x[0]),
                            fmt_num(x[1])
                        ),
                        "write `uniform = [min, max]` with min <= max",
                    );
                    return None;
                }
                Dist::Uniform(x[0], x[1])
            }
            "triangular" => {
                let x = self.num_array(f, "triangular", dv, Some(3), "[min, mode, max]")?;
                if !(x[0] <= x[1] && x[1] <= x[2]) {
                    degenerate(
                        self,
                        format!(
                            "triangular [{}, {}, {}] is not ordered min <= mode <= max",
                            fmt_num(x[0]),
                            fmt_num(x[1]),
                            fmt_num(x[2])
                        ),
                        "write `triangular = [min, mode, max]` with min <= mode <= max",
                    );
                    return None;
                }
                Dist::Triangular(x[0], x[1], x[2])
            }
            "normal" | "lognormal" => {
                let x = self.num_array(
                    f,
                    form,
                    dv,
                    Some(2),
                    if form == "normal" {
                        "[mean, sd]"
                    } else {
                        "[mu, sigma]"
                    },
                )?;
                if x[1] <= 0.0 {
                    let what = if form == "normal" { "sd" } else { "sigma" };
                    degenerate(
                        self,
                        format!("{what} must be > 0, found {}", fmt_num(x[1])),
                        "use `fixed = x` for a number without spread",
                    );
                    return None;
                }
                if form == "normal" {
                    if lo > x[0] + 8.0 * x[1] || hi < x[0] - 8.0 * x[1] {
                        degenerate(
                            self,
                            "the truncation bounds leave almost no probability".into(),
                            "put `min` and `max` around the mean",
                        );
                        return None;
                    }
                    Dist::Normal {
                        mean: x[0],
                        sd: x[1],
                        min: lo,
                        max: hi,
                    }
                } else {
                    if hi <= 0.0 {
                        degenerate(
                            self,
                            format!(
                                "max {} is not above 0, where a lognormal lives",
                                fmt_num(hi)
                            ),
                            "a lognormal value is always > 0",
                        );
                        return None;
                    }
                    Dist::LogNormal {
                        mu: x[0],
                        sigma: x[1],
                        min: lo.max(0.0),
                        max: hi,
                    }
                }
            }
            "beta" => {
                let x = self.num_array(f, "beta", dv, Some(2), "[a, b]")?;
                if x[0] <= 0.0 || x[1] <= 0.0 {
                    degenerate(
                        self,
                        format!(
                            "beta shape parameters must be > 0, found [{}, {}]",
                            fmt_num(x[0]),
                            fmt_num(x[1])
                        ),
                        "write `beta = [a, b]` with a, b > 0",
                    );
                    return None;
                }
                Dist::Beta {
                    a: x[0],
                    b: x[1],
                    min: min.unwrap_or(0.0),
                    max: max.unwrap_or(1.0),
                }
            }
            _ => {
                let values = self.num_array(f, "choice", dv, None, "[v1, v2, ...]")?;
                if values.is_empty() {
                    degenerate(
                        self,
                        "`choice` is empty".into(),
                        "list at least one value, e.g. `choice = [1, 2]`",
                    );
                    return None;
                }
                let weights = match t.get("weights") {
                    Some(wv) => {
                        let w = self.num_array(f, "weights", wv, None, "[w1, w2, ...]")?;
                        if w.len() != values.len() {
                            degenerate(
                                self,
                                format!("{} weights for {} choices", w.len(), values.len()),
                                "give one weight per choice",
                            );
                            return None;
                        }
                        if w.iter().any(|x| *x < 0.0) || w.iter().sum::<f64>() <= 0.0 {
                            degenerate(
                                self,
                                "weights must be >= 0 and sum to more than 0".into(),
                                "weights are relative: `weights = [1, 3]` means 25% and 75%",
                            );
                            return None;
                        }
                        w
                    }
                    None => vec![1.0; values.len()],
                };
                Dist::Choice { values, weights }
            }
        };
        Some(d)
    }

    /// Checks a unit string against `dim`; returns the factor to the canonical unit.
    fn convert_unit(
        &mut self,
        f: usize,
        key: &str,
        u: &str,
        span: Range<usize>,
        dim: &Dim,
    ) -> Option<f64> {
        let nu = norm_unit(u);
        let simple = |allowed: &[&str], canon: &str, this: &mut Self| -> Option<f64> {
            if allowed.contains(&nu.as_str()) {
                Some(1.0)
            } else {
                this.err(
                    f,
                    span.clone(),
                    format!("unit mismatch: `{key}` is in {canon}, found `{u}`"),
                    Some(format!("write `unit = \"{canon}\"` or leave the unit out")),
                );
                None
            }
        };
        let (ps, want_rate) = match dim {
            Dim::Price => return simple(&["USD/kg"], "USD/kg", self),
            Dim::Days => return simple(&["days", "day", "d"], "days", self),
            Dim::One => return simple(&["1", ""], "1", self),
            Dim::Usd => return simple(&["USD"], "USD", self),
            Dim::UsdPerYear => return simple(&["USD/yr", "USD/year"], "USD/yr", self),
            Dim::Qty(ps) => (ps, false),
            Dim::Rate(ps) => (ps, true),
        };
        // Split into product part and optional period.
        let (part, per) = match nu.rsplit_once('/') {
            Some((p, per)) => (norm_unit(p), Some(per.trim().to_string())),
            None => (nu.clone(), None),
        };
        let factor = match per.as_deref() {
            None => None,
            Some("day" | "d") => Some(1.0),
            Some("yr" | "year" | "a") => Some(1.0 / 365.0),
            Some(_) => {
                self.err(
                    f,
                    span,
                    format!("cannot parse unit `{u}`"),
                    Some("rates are written `<product unit>/day` or `<product unit>/yr`".into()),
                );
                return None;
            }
        };
        if part.is_empty() {
            self.err(
                f,
                span,
                format!("cannot parse unit `{u}`"),
                Some("the unit needs a product part".into()),
            );
            return None;
        }
        let product_unit = ps.first().map(|(_, pu)| norm_unit(pu));
        match (want_rate, factor) {
            (false, Some(_)) => {
                let hint = product_unit
                    .as_ref()
                    .map(|pu| format!("`{key}` is a quantity: write `unit = \"{pu}\"`"));
                self.err(
                    f,
                    span,
                    format!("rate unit `{u}` used where a quantity is expected"),
                    hint,
                );
                return None;
            }
            (true, None) => {
                self.err(
                    f,
                    span,
                    format!("quantity unit `{u}` used where a rate is expected"),
                    Some(format!(
                        "`{key}` is a rate: write `{part}/day` or `{part}/yr`"
                    )),
                );
                return None;
            }
            _ => {}
        }
        if let Some((code, pu)) = ps.iter().find(|(_, pu)| norm_unit(pu) != part) {
            self.err(
                f,
                span,
                format!("unit mismatch: `{u}` but product `{code}` is measured in `{pu}`"),
                Some(if want_rate {
                    format!("write `{pu}/day` or `{pu}/yr`")
                } else {
                    format!("write `{pu}`")
                }),
            );
            return None;
        }
        Some(factor.unwrap_or(1.0))
    }

    /// A whole number >= `min` (bare or table form, in days when it has a unit) that fits the
    /// 32 bits days and counts are kept in.
    pub fn count(&mut self, f: usize, key: &str, v: &Sp<'_>, min: u32) -> Option<(u32, Num)> {
        self.count_in(
            f,
            key,
            v,
            min,
            (u32::MAX, "days and counts are 32-bit whole numbers"),
        )
    }

    /// [`Cx::count`] at most `max.0`; `max.1` says why that is the largest value.
    pub fn count_in(
        &mut self,
        f: usize,
        key: &str,
        v: &Sp<'_>,
        min: u32,
        max: (u32, &str),
    ) -> Option<(u32, Num)> {
        let n = self.number(f, key, v, &Dim::Days)?;
        if n.value.fract() != 0.0 {
            self.err(
                f,
                n.span.clone(),
                format!("`{key}` must be a whole number, found {}", fmt_num(n.value)),
                None,
            );
            return None;
        }
        if n.value < f64::from(min) {
            self.err(
                f,
                n.span.clone(),
                format!("`{key}` must be >= {min}, found {}", fmt_num(n.value)),
                None,
            );
            return None;
        }
        if n.value > f64::from(max.0) {
            self.err(
                f,
                n.span.clone(),
                format!(
                    "`{key}` = {} is too large: the largest accepted value is {}",
                    fmt_num(n.value),
                    max.0
                ),
                Some(max.1.to_string()),
            );
            return None;
        }
        Some((n.value as u32, n))
    }

    /// Reports `n` unless `ok(n.value)`; `rule` says what is required, e.g. ">= 0".
    pub fn bound(&mut self, key: &str, n: &Num, ok: bool, rule: &str) -> bool {
        if !ok {
            self.err(
                n.f,
                n.span.clone(),
                format!("`{key}` must be {rule}, found {}", fmt_num(n.value)),
                None,
            );
        }
        ok
    }

    /// Checks `ok` on the whole range a number can take (its distribution's support).
    pub fn range_ok(&mut self, key: &str, n: &Num, ok: impl Fn(f64) -> bool, rule: &str) -> bool {
        if n.dist.is_none() {
            return self.bound(key, n, ok(n.value), rule);
        }
        let bad = [n.lo, n.hi].into_iter().find(|x| !ok(*x));
        if let Some(x) = bad {
            let d = n
                .dist
                .map(|i| self.pending[i].dist.describe())
                .unwrap_or_default();
            self.err(
                n.f,
                n.span.clone(),
                format!(
                    "`{key}` must be {rule}, but its distribution {d} reaches {}",
                    fmt_num(x)
                ),
                Some("narrow the distribution, or truncate it with `min` and `max`".into()),
            );
        }
        bad.is_none()
    }
    pub fn ge0(&mut self, key: &str, n: &Num) -> bool {
        self.range_ok(key, n, |x| x >= 0.0, ">= 0")
    }
    pub fn gt0(&mut self, key: &str, n: &Num) -> bool {
        self.range_ok(key, n, |x| x > 0.0, "> 0")
    }
    pub fn unit_interval(&mut self, key: &str, n: &Num) -> bool {
        self.range_ok(key, n, |x| (0.0..=1.0).contains(&x), "between 0 and 1")
    }

    /// Adds a parameter that the caller built itself (an event date or probability).
    pub fn push_param(
        &mut self,
        f: usize,
        span: Range<usize>,
        key: &str,
        dist: Dist,
        label: String,
        target: B,
    ) {
        self.pending.push(Pending {
            f,
            span,
            key: key.to_string(),
            dist,
            bound: Some((label, target)),
        });
    }

    /// Says what an uncertain number sets; a no-op for plain numbers.
    pub fn bind(&mut self, n: &Num, label: String, target: B) {
        if let Some(i) = n.dist {
            self.pending[i].bound = Some((label, target));
        }
    }

    /// The uncertain parameters in file order; an error for each distribution given where the
    /// model takes no uncertainty.
    pub fn take_uncertain(&mut self) -> Vec<Bound<B>> {
        let pending = std::mem::take(&mut self.pending);
        let mut out = Vec::new();
        let mut order: Vec<(usize, usize, usize)> = Vec::new();
        for (i, p) in pending.iter().enumerate() {
            order.push((p.f, p.span.start, i));
        }
        order.sort_unstable();
        for (_, _, i) in order {
            let p = &pending[i];
            match &p.bound {
                Some((label, target)) => {
                    let (line, column) = self.pos(p.f, p.span.start);
                    out.push(Bound {
                        label: label.clone(),
                        file: self.files[p.f].name.clone(),
                        line,
                        column,
                        target: target.clone(),
                        dist: p.dist.clone(),
                    });
                }
                None => self.err(
                    p.f,
                    p.span.clone(),
                    format!("`{}` cannot be uncertain", p.key),
                    Some(
                        "distributions are allowed for capacities, tariffs, demand, inventory days, stockpiles, prices, licence approvals, event numbers, event dates (`date`) and `probability`; see docs/scenario.md, Uncertainty"
                            .into(),
                    ),
                ),
            }
        }
        out
    }

    pub fn date(&mut self, f: usize, key: &str, v: &Sp<'_>) -> Option<Date> {
        let hint = Some(format!(
            "write a TOML local date without quotes, e.g. `{key} = 2025-04-04`"
        ));
        let DeValue::Datetime(dt) = v.get_ref() else {
            self.err(
                f,
                v.span(),
                format!("`{key}` must be a date, found {}", v.get_ref().type_str()),
                hint,
            );
            return None;
        };
        match (dt.date, dt.time, dt.offset) {
            (Some(d), None, None) => match Date::new(d.year as i16, d.month as i8, d.day as i8) {
                Ok(d) => Some(d),
                Err(e) => {
                    self.err(f, v.span(), format!("invalid date `{dt}`: {e}"), None);
                    None
                }
            },
            _ => {
                self.err(
                    f,
                    v.span(),
                    format!("`{key}` must be a local date, found `{dt}`"),
                    hint,
                );
                None
            }
        }
    }

    fn region_codes(&self) -> Vec<String> {
        self.world.regions.iter().map(|r| r.code.clone()).collect()
    }

    pub fn region_code(&mut self, f: usize, code: &str, span: Range<usize>) -> Option<RegionId> {
        let r = self.world.region(code);
        if r.is_none() {
            let hint = unknown_hint("regions", code, &self.region_codes());
            self.err(f, span, format!("unknown region `{code}`"), Some(hint));
        }
        r
    }

    pub fn product_code(&mut self, f: usize, code: &str, span: Range<usize>) -> Option<ProductId> {
        let p = self.world.product(code);
        if p.is_none() {
            let known: Vec<String> = self.world.products.iter().map(|p| p.code.clone()).collect();
            let hint = unknown_hint("products", code, &known);
            self.err(f, span, format!("unknown product `{code}`"), Some(hint));
        }
        p
    }

    pub fn region(&mut self, f: usize, key: &str, v: &Sp<'_>) -> Option<RegionId> {
        let s = self.string(f, key, v)?;
        self.region_code(f, s, v.span())
    }

    pub fn product(&mut self, f: usize, key: &str, v: &Sp<'_>) -> Option<ProductId> {
        let s = self.string(f, key, v)?;
        self.product_code(f, s, v.span())
    }

    pub fn req_region(&mut self, e: &Entry<'_, '_>, key: &str) -> Option<RegionId> {
        let v = self.req(e, key)?;
        self.region(e.f, key, v)
    }

    pub fn req_product(&mut self, e: &Entry<'_, '_>, key: &str) -> Option<ProductId> {
        let v = self.req(e, key)?;
        self.product(e.f, key, v)
    }

    /// All group names, sorted.
    pub fn groups(&self) -> Vec<String> {
        let mut g: Vec<String> = self
            .world
            .regions
            .iter()
            .flat_map(|r| r.groups.iter().cloned())
            .collect();
        g.sort();
        g.dedup();
        g
    }

    pub fn check_group(&mut self, f: usize, group: &str, span: Range<usize>) -> bool {
        let groups = self.groups();
        let ok = groups.iter().any(|g| g == group);
        if !ok {
            let hint = unknown_hint("groups", group, &groups);
            self.err(f, span, format!("unknown group `{group}`"), Some(hint));
        }
        ok
    }

    /// Product (code, unit) pairs for unit checks.
    pub fn units_of(&self, ids: &[ProductId]) -> Vec<(String, String)> {
        ids.iter()
            .map(|p| {
                let p = &self.world.products[p.ix()];
                (p.code.clone(), p.unit.clone())
            })
            .collect()
    }

    /// Records where a number came from; bare numbers only when `always`.
    pub fn prov(&mut self, what: String, n: &Num, always: bool) {
        if always || n.tabled {
            self.world.provenance.push(Provenance {
                what,
                value: n.value,
                unit: n.unit.clone(),
                source: n.source.clone(),
                confidence: n.confidence,
                note: n.note.clone(),
            });
        }
    }
}

/// A rationing rule from `rule_key` (and `group_key` for ally-priority).
pub(crate) fn rationing<B: Clone>(
    cx: &mut Cx<'_, B>,
    e: &Entry,
    rule_key: &str,
    group_key: &str,
    required: bool,
) -> Option<Rationing> {
    let rule = if required {
        cx.req_str(e, rule_key)
    } else {
        cx.opt_str(e, rule_key)
    };
    let group = cx.opt_str(e, group_key);
    let Some((rule, span)) = rule else {
        if let Some((_, gspan)) = group
            && !required
        {
            cx.err(
                e.f,
                gspan,
                format!("`{group_key}` is only used with `{rule_key} = \"ally-priority\"`"),
                None,
            );
        }
        return if required {
            None
        } else {
            Some(Rationing::Proportional)
        };
    };
    const RULES: [&str; 3] = ["proportional", "domestic-first", "ally-priority"];
    match rule {
        "proportional" | "domestic-first" => {
            if let Some((_, gspan)) = group {
                cx.err(
                    e.f,
                    gspan,
                    format!("`{group_key}` is only used with `{rule_key} = \"ally-priority\"`"),
                    None,
                );
            }
            Some(if rule == "proportional" {
                Rationing::Proportional
            } else {
                Rationing::DomesticFirst
            })
        }
        "ally-priority" => match group {
            Some((g, gspan)) => cx
                .check_group(e.f, g, gspan)
                .then(|| Rationing::AllyPriority(g.to_string())),
            None => {
                cx.err(
                    e.f,
                    span,
                    format!("`{rule_key} = \"ally-priority\"` needs `{group_key}`"),
                    Some(format!(
                        "name the allied group, e.g. `{group_key} = \"allies\"`"
                    )),
                );
                None
            }
        },
        other => {
            let hint = unknown_hint("rules", other, &RULES);
            cx.err(
                e.f,
                span,
                format!("unknown rationing rule `{other}`"),
                Some(hint),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The banded distance agrees with the full one wherever either is within the limit: every
    /// pair of strings up to 5 letters over a 3-letter alphabet, every limit up to 4.
    #[test]
    fn banded_distance_is_the_distance_within_its_limit() {
        let mut words = vec![String::new()];
        for len in 1..=5 {
            let mut next = Vec::new();
            for w in words.iter().filter(|w| w.len() == len - 1) {
                for c in ['a', 'b', 'c'] {
                    next.push(format!("{w}{c}"));
                }
            }
            words.extend(next);
        }
        for a in &words {
            let ac: Vec<char> = a.chars().collect();
            for b in &words {
                let bc: Vec<char> = b.chars().collect();
                let d = distance(a, b);
                for limit in 0..=4 {
                    let want = (d <= limit).then_some(d);
                    assert_eq!(distance_within(&ac, &bc, limit), want, "{a} {b} {limit}");
                }
            }
        }
    }

    #[test]
    fn edit_distance_and_suggestions() {
        assert_eq!(distance("aproval", "approval"), 1);
        assert_eq!(
            suggest("aproval", &["approval", "exporter"]),
            Some("approval")
        );
        assert_eq!(suggest("zzz", &["approval"]), None);
        assert_eq!(
            unknown_hint("regions", "XYZ", &["CHN", "USA"]),
            "known regions: CHN, USA"
        );
    }

    #[test]
    fn positions_count_characters() {
        let mut cx: Cx<()> = Cx::default();
        let f = cx.add_file("a", "ab\n\u{e9}\u{e9}x\n");
        assert_eq!(cx.pos(f, 0), (1, 1));
        assert_eq!(cx.pos(f, 3), (2, 1));
        assert_eq!(cx.pos(f, 7), (2, 3));
        assert_eq!(cx.pos(f, 9), (3, 1));
    }
}
