//! The key parameters of a scenario as the dashboard's form fields (issue 19), and the edits
//! that set them.
//!
//! [`parameters`] reads a scenario's TOML text (with `toml_edit`, which keeps every value's
//! position) and lists each [`Parameter`] an analyst edits first: a licence's approval odds,
//! default and per destination or end use, its lead time and cap, each stockpile's size and
//! each cohort's cover, with its unit, valid range, source and the line and column of its
//! value. An [`Override`] names a parameter by the same dotted key (`event.0.approval`: a number
//! segment indexes an array of tables) and [`apply_overrides`] writes its value into the text
//! with the file's layout kept (comments, key order, every other line where it was), so that the
//! scenario validator's file:line:column of a problem points at the edited field's line and the
//! page can show it beside the field.
//!
//! A distribution is edited as a whole: its field holds the distribution's own TOML
//! (`{ triangular = [20, 50, 63] }`), without the source and note, and a plain number there
//! fixes the parameter. A field left as it was shown is no override, so the file keeps its
//! provenance; an edited value replaces the whole number, its source with it.

use serde::{Deserialize, Serialize};
use std::fmt;
use toml_edit::{Item, TableLike, Value};

/// One edit of the scenario before validation: the value at a dotted path of its TOML
/// (`event.0.destination.USA.approval`: a number segment indexes an array of tables).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Override {
    pub key: String,
    /// A TOML value as text (`0.3`, `{ triangular = [20, 40, 63] }`, `"USA"`).
    pub value: String,
}

/// An override that cannot be written into the scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct OverrideError {
    /// The override's key, or empty when the scenario itself cannot be edited.
    pub key: String,
    pub message: String,
}

impl fmt::Display for OverrideError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "override `{}`: {}", self.key, self.message)
        }
    }
}

/// One key parameter of a scenario, as the form and `GET /api/scenarios/{name}/parameters`
/// show it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Parameter {
    /// The dotted key an [`Override`] names it by.
    pub key: String,
    /// What it is, in words: `Dy licensing: approval odds, destination USA`.
    pub label: String,
    /// `approval`, `lead-time`, `lead-time-cap`, `stockpile` or `cover`.
    pub kind: &'static str,
    pub unit: String,
    /// The editable value as TOML text: a number, or a distribution's inline table.
    pub value: String,
    /// `number` or `distribution`.
    pub form: &'static str,
    /// The distribution's name (`beta`, `triangular`, ...) when `form` is `distribution`.
    pub distribution: Option<String>,
    /// The valid range of the value (every value a distribution can draw must lie in it).
    pub min: f64,
    pub max: f64,
    /// Whole numbers only.
    pub integer: bool,
    /// The rule in words, as the validator checks it.
    pub rule: &'static str,
    /// The value's `source` and `confidence` in the file, when it has them.
    pub source: Option<String>,
    pub confidence: Option<String>,
    /// Where the value is in the scenario file (1-based), and the line its value ends on.
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
}

/// The keys of a number or distribution table that say where it comes from, not what it is.
const PROVENANCE: [&str; 3] = ["source", "confidence", "note"];
/// The keys that make a table a distribution (docs/scenario.md, "Uncertainty").
const DISTRIBUTIONS: [&str; 7] = [
    "fixed",
    "uniform",
    "triangular",
    "normal",
    "lognormal",
    "beta",
    "choice",
];
/// The largest magnitude of any number (docs/scenario.md) and the most days a whole number of
/// days may be.
const MAX_NUMBER: f64 = 1e12;
const MAX_DAYS: f64 = 36500.0;

/// What the form needs to know of one kind of parameter.
struct Spec {
    kind: &'static str,
    what: &'static str,
    unit: &'static str,
    min: f64,
    max: f64,
    integer: bool,
    rule: &'static str,
}

const APPROVAL: Spec = Spec {
    kind: "approval",
    what: "approval odds",
    unit: "1",
    min: 0.0,
    max: 1.0,
    integer: false,
    rule: "a probability in [0, 1] (a distribution must stay in it)",
};
const LEAD_TIME: Spec = Spec {
    kind: "lead-time",
    what: "lead time",
    unit: "days",
    min: 0.0,
    max: MAX_DAYS,
    integer: false,
    rule: "days >= 0, drawn for every application; its minimum at most lead-time-cap",
};
const LEAD_TIME_CAP: Spec = Spec {
    kind: "lead-time-cap",
    what: "lead-time cap",
    unit: "days",
    min: 0.0,
    max: MAX_DAYS,
    integer: true,
    rule: "whole days >= the lead time's minimum",
};
const STOCKPILE: Spec = Spec {
    kind: "stockpile",
    what: "stockpile size",
    unit: "",
    min: 0.0,
    max: MAX_NUMBER,
    integer: false,
    rule: "a quantity >= 0 in the product's unit",
};
const COVER: Spec = Spec {
    kind: "cover",
    what: "cover",
    unit: "days",
    min: 0.0,
    max: MAX_DAYS,
    integer: false,
    rule: "days >= 0: the initial and target cover of every stock the cohort holds",
};

/// The key parameters of a scenario's text, in file order. `unit_of` gives a product's unit
/// (for stockpile sizes) when the scenario's world could be read.
pub fn parameters(
    text: &str,
    unit_of: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Parameter>, String> {
    let doc = toml_edit::Document::parse(text)
        .map_err(|e| format!("the scenario is not TOML: {}", e.message()))?;
    let root = doc.as_table();
    let mut found: Vec<Found> = Vec::new();
    for (i, event) in tables(root, "event") {
        let name = event
            .get("name")
            .and_then(|n| n.as_str())
            .map_or_else(|| format!("event {i}"), str::to_string);
        let key = format!("event.{i}");
        licence_terms(event, &key, &format!("{name}: "), "", &mut found);
        for (group, words) in [("destination", "destination"), ("end-use", "end use")] {
            let Some(overrides) = event.get(group).and_then(Item::as_table_like) else {
                continue;
            };
            for (code, terms) in overrides.iter() {
                let Some(terms) = terms.as_table_like() else {
                    continue;
                };
                // A cohort's code (`USA/small`) is quoted in a dotted key.
                let segment = if code
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    code.to_string()
                } else {
                    format!("\"{code}\"")
                };
                licence_terms(
                    terms,
                    &format!("{key}.{group}.{segment}"),
                    &format!("{name}: "),
                    &format!(", {words} {code}"),
                    &mut found,
                );
            }
        }
    }
    for (i, stockpile) in tables(root, "stockpile") {
        let (region, product) = (code(stockpile, "region"), code(stockpile, "product"));
        if let Some(item) = stockpile.get("quantity") {
            let unit = unit_of(&product).unwrap_or_else(|| format!("{product} units"));
            let label = format!("stockpile {region} {product}: size");
            found.push((
                format!("stockpile.{i}.quantity"),
                label,
                &STOCKPILE,
                unit,
                item,
            ));
        }
    }
    for (i, cohort) in tables(root, "cohort") {
        let (region, name) = (code(cohort, "region"), code(cohort, "name"));
        for (field, what) in [
            ("cover-days", "cover"),
            ("products-cover-days", "cover of its products"),
        ] {
            if let Some(item) = cohort.get(field) {
                found.push((
                    format!("cohort.{i}.{field}"),
                    format!("cohort {region}/{name}: {what}"),
                    &COVER,
                    "days".into(),
                    item,
                ));
            }
        }
    }
    Ok(found
        .into_iter()
        .filter_map(|(key, label, spec, unit, item)| parameter(text, key, label, spec, unit, item))
        .collect())
}

/// A parameter found in the text: key, label, kind, unit and its item.
type Found<'a> = (String, String, &'static Spec, String, &'a Item);

/// A licence's approval odds, lead time and cap in `t` (the event's own terms or one
/// destination's or end use's).
fn licence_terms<'a>(
    t: &'a dyn TableLike,
    key: &str,
    name: &str,
    whose: &str,
    found: &mut Vec<Found<'a>>,
) {
    for (field, spec) in [
        ("approval", &APPROVAL),
        ("lead-time-days", &LEAD_TIME),
        ("lead-time-cap", &LEAD_TIME_CAP),
    ] {
        if let Some(item) = t.get(field) {
            found.push((
                format!("{key}.{field}"),
                format!("{name}{}{whose}", spec.what),
                spec,
                spec.unit.to_string(),
                item,
            ));
        }
    }
}

/// The tables of an array of tables (`[[event]]`), with their index.
fn tables<'a>(
    root: &'a toml_edit::Table,
    name: &str,
) -> impl Iterator<Item = (usize, &'a dyn TableLike)> {
    root.get(name)
        .and_then(Item::as_array_of_tables)
        .into_iter()
        .flat_map(|a| a.iter())
        .map(|t| t as &dyn TableLike)
        .enumerate()
}

fn code(t: &dyn TableLike, key: &str) -> String {
    t.get(key)
        .and_then(|v| v.as_str())
        .unwrap_or("?")
        .to_string()
}

/// One parameter from its item, or none when the value is neither a number nor a number or
/// distribution table (the validator reports it).
fn parameter(
    text: &str,
    key: String,
    label: String,
    spec: &Spec,
    unit: String,
    item: &Item,
) -> Option<Parameter> {
    let value = item.as_value()?;
    let span = item.span().or_else(|| value.span())?;
    let (line, column) = position(text, span.start);
    let (end_line, _) = position(text, span.end.saturating_sub(1).max(span.start));
    let mut p = Parameter {
        key,
        label,
        kind: spec.kind,
        unit,
        value: String::new(),
        form: "number",
        distribution: None,
        min: spec.min,
        max: spec.max,
        integer: spec.integer,
        rule: spec.rule,
        source: None,
        confidence: None,
        line,
        column,
        end_line,
    };
    match value {
        Value::Integer(_) | Value::Float(_) => p.value = number_text(value)?,
        Value::InlineTable(t) => {
            p.source = t.get("source").and_then(|v| v.as_str()).map(String::from);
            p.confidence = t
                .get("confidence")
                .and_then(|v| v.as_str())
                .map(String::from);
            if let Some(v) = t.get("value") {
                p.value = number_text(v)?;
            } else {
                let name = DISTRIBUTIONS.iter().find(|d| t.contains_key(d))?;
                let mut shown = t.clone();
                for k in PROVENANCE {
                    shown.remove(k);
                }
                shown.fmt();
                p.value = Value::InlineTable(shown).decorated("", "").to_string();
                p.form = "distribution";
                p.distribution = Some((*name).to_string());
            }
        }
        _ => return None,
    }
    Some(p)
}

fn number_text(v: &Value) -> Option<String> {
    match v {
        Value::Integer(i) => Some(i.value().to_string()),
        Value::Float(f) => Some(f.value().to_string()),
        _ => None,
    }
}

/// The 1-based line and column (in characters) of a byte offset.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// Sets each override's value in the scenario's TOML, keeping the file's layout: comments, key
/// order and the lines of everything not edited (a value keeps the spacing and trailing comment
/// of the one it replaces). A key that does not exist yet is added as an inline table entry.
pub fn apply_overrides(text: &str, overrides: &[Override]) -> Result<String, OverrideError> {
    if overrides.is_empty() {
        return Ok(text.to_string());
    }
    let mut doc: toml_edit::DocumentMut =
        text.parse()
            .map_err(|e: toml_edit::TomlError| OverrideError {
                key: String::new(),
                message: format!(
                    "the scenario is not TOML, so it cannot be edited: {}",
                    e.message()
                ),
            })?;
    for o in overrides {
        let fail = |message: String| OverrideError {
            key: o.key.clone(),
            message,
        };
        let value: Value = o.value.trim().parse().map_err(|e: toml_edit::TomlError| {
            fail(format!(
                "`{}` is not a TOML value: {}",
                o.value,
                e.message()
            ))
        })?;
        let parts = split_key(&o.key).ok_or_else(|| fail("the key is empty".into()))?;
        let (last, path) = parts.split_last().expect("split_key gives a segment");
        let table = walk(doc.as_table_mut(), path).map_err(&fail)?;
        let decorated = match table.get(last).and_then(Item::as_value) {
            Some(old) => {
                let d = old.decor();
                let (pre, suf) = (
                    d.prefix()
                        .and_then(|r| r.as_str())
                        .unwrap_or(" ")
                        .to_string(),
                    d.suffix()
                        .and_then(|r| r.as_str())
                        .unwrap_or("")
                        .to_string(),
                );
                value.decorated(pre, suf)
            }
            None => value.decorated(" ", " "),
        };
        table.insert(last, Item::Value(decorated));
    }
    Ok(doc.to_string())
}

/// Walks down a dotted key's segments: into a table's key (made an inline table if absent), or
/// through an array of tables by the index that follows its name.
fn walk<'a>(
    mut table: &'a mut dyn TableLike,
    path: &[String],
) -> Result<&'a mut dyn TableLike, String> {
    let mut parts = path.iter();
    while let Some(part) = parts.next() {
        if !table.contains_key(part) {
            let empty = Value::InlineTable(toml_edit::InlineTable::new()).decorated(" ", "");
            table.insert(part, Item::Value(empty));
        }
        let item = table.get_mut(part).expect("inserted above");
        table = match item {
            Item::ArrayOfTables(array) => {
                let n = array.len();
                let index = parts
                    .next()
                    .ok_or_else(|| format!("`{part}` is a list of tables: give an index"))?;
                let i: usize = index
                    .parse()
                    .map_err(|_| format!("`{index}` is not an index"))?;
                array
                    .get_mut(i)
                    .ok_or_else(|| format!("index {i} past the {n} tables"))?
            }
            other => other
                .as_table_like_mut()
                .ok_or_else(|| format!("`{part}` is not a table"))?,
        };
    }
    Ok(table)
}

/// Splits `event.0.destination."USA/small".approval` at dots outside quotes.
fn split_key(key: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in key.chars() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    parts.push(cur);
    let parts: Vec<String> = parts.into_iter().map(|p| p.trim().to_string()).collect();
    (!parts.iter().any(String::is_empty)).then_some(parts)
}
