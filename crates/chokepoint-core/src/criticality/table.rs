//! The comma-separated tables the criticality inputs are kept in, read from text the caller
//! supplies (no I/O): [`Table::read`] splits a file into [`Row`]s by its header (quoted fields
//! with `""` escapes allowed), refusing unknown and missing columns; a [`Row`] hands out typed
//! fields, and every problem is an [`InputError`] with file, line and column, collected rather
//! than stopping at the first.

use crate::model::Confidence;

/// What is wrong with one field or line of an input table.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Problem {
    #[error("unterminated quoted field")]
    Unterminated,
    #[error("unknown column `{0}`")]
    UnknownColumn(String),
    #[error("missing column `{0}`")]
    MissingColumn(String),
    #[error("{found} fields where the header has {expected}")]
    FieldCount { expected: usize, found: usize },
    #[error("`{column}` is `{value}`, not a number")]
    NotANumber { column: String, value: String },
    #[error("`{column}` is {value}, outside [{min}, {max}]")]
    OutOfRange {
        column: String,
        value: f64,
        min: f64,
        max: f64,
    },
    #[error("`{column}` is empty")]
    Empty { column: String },
    #[error("`{value}` is not one of {allowed}")]
    NotOneOf { value: String, allowed: String },
    #[error("source `{0}` is not in sources.csv")]
    UnknownSource(String),
    #[error("{0}")]
    Inconsistent(String),
}

/// A problem at a place in an input table (1-based line and column).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}:{column}: {problem}")]
pub struct InputError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub problem: Problem,
}

/// Where a field is, to report a problem found later (a check across tables).
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl Place {
    pub fn error(&self, problem: Problem) -> InputError {
        InputError {
            file: self.file.clone(),
            line: self.line,
            column: self.column,
            problem,
        }
    }
}

/// One data line: its fields with their 1-based columns, by header position.
#[derive(Debug, Clone)]
pub struct Row<'h> {
    pub file: String,
    pub line: usize,
    header: &'h [String],
    fields: Vec<(usize, String)>,
}

/// A table read from text: its header and rows.
#[derive(Debug, Clone)]
pub struct Table {
    pub file: String,
    pub header: Vec<String>,
    lines: Vec<(usize, Vec<(usize, String)>)>,
}

/// Splits one line into fields with the character column each starts at.
fn split_line(text: &str) -> Result<Vec<(usize, String)>, usize> {
    let mut fields = Vec::new();
    let mut chars = text.chars().peekable();
    let mut col = 1;
    loop {
        let start = col;
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            col += 1;
            loop {
                match chars.next() {
                    None => return Err(start),
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        col += 2;
                        field.push('"');
                    }
                    Some('"') => {
                        col += 1;
                        break;
                    }
                    Some(c) => {
                        col += 1;
                        field.push(c);
                    }
                }
            }
        }
        while let Some(&c) = chars.peek() {
            if c == ',' {
                break;
            }
            field.push(c);
            chars.next();
            col += 1;
        }
        fields.push((start, field));
        if chars.next().is_none() {
            return Ok(fields);
        }
        col += 1;
    }
}

impl Table {
    /// Reads `text` (named `file` in messages) whose header must hold exactly `columns`, in
    /// any order. Blank lines are skipped.
    pub fn read(file: &str, text: &str, columns: &[&str]) -> Result<Table, Vec<InputError>> {
        let err = |line, column, problem| InputError {
            file: file.to_string(),
            line,
            column,
            problem,
        };
        let mut errors = Vec::new();
        let mut lines = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let raw = raw.trim_end_matches('\r');
            if raw.trim().is_empty() {
                continue;
            }
            match split_line(raw) {
                Ok(f) => lines.push((i + 1, f)),
                Err(col) => errors.push(err(i + 1, col, Problem::Unterminated)),
            }
        }
        if lines.is_empty() {
            errors.push(err(1, 1, Problem::MissingColumn(columns.join(","))));
            return Err(errors);
        }
        let (hline, hfields) = lines.remove(0);
        let header: Vec<String> = hfields.iter().map(|(_, h)| h.trim().to_string()).collect();
        for (col, h) in &hfields {
            if !columns.contains(&h.trim()) {
                errors.push(err(hline, *col, Problem::UnknownColumn(h.trim().into())));
            }
        }
        for c in columns {
            if !header.iter().any(|h| h == c) {
                errors.push(err(hline, 1, Problem::MissingColumn(c.to_string())));
            }
        }
        for (line, fields) in &lines {
            if fields.len() != header.len() {
                let problem = Problem::FieldCount {
                    expected: header.len(),
                    found: fields.len(),
                };
                errors.push(err(*line, 1, problem));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Table {
            file: file.to_string(),
            header,
            lines,
        })
    }

    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.lines.iter().map(move |(line, fields)| Row {
            file: self.file.clone(),
            line: *line,
            header: &self.header,
            fields: fields.clone(),
        })
    }
}

impl Row<'_> {
    fn at(&self, column: &str) -> (usize, &str) {
        let k = self
            .header
            .iter()
            .position(|h| h == column)
            .expect("columns are checked when the table is read");
        let (col, v) = &self.fields[k];
        (*col, v.trim())
    }

    pub fn place(&self, column: &str) -> Place {
        Place {
            file: self.file.clone(),
            line: self.line,
            column: self.at(column).0,
        }
    }

    pub fn error(&self, column: &str, problem: Problem) -> InputError {
        self.place(column).error(problem)
    }

    /// The field as text (may be empty).
    pub fn text(&self, column: &str) -> String {
        self.at(column).1.to_string()
    }

    /// A non-empty field.
    pub fn code(&self, column: &str) -> Result<String, InputError> {
        let v = self.at(column).1;
        if v.is_empty() {
            return Err(self.error(
                column,
                Problem::Empty {
                    column: column.into(),
                },
            ));
        }
        Ok(v.to_string())
    }

    /// A number within `[min, max]`.
    pub fn number(&self, column: &str, min: f64, max: f64) -> Result<f64, InputError> {
        let v = self.at(column).1;
        let x: f64 = v.parse().map_err(|_| {
            self.error(
                column,
                Problem::NotANumber {
                    column: column.into(),
                    value: v.into(),
                },
            )
        })?;
        if !x.is_finite() || x < min || x > max {
            let problem = Problem::OutOfRange {
                column: column.into(),
                value: x,
                min,
                max,
            };
            return Err(self.error(column, problem));
        }
        Ok(x)
    }

    /// One of `allowed` (name, value) pairs.
    pub fn one_of<T: Copy>(&self, column: &str, allowed: &[(&str, T)]) -> Result<T, InputError> {
        let v = self.at(column).1;
        allowed
            .iter()
            .find(|(n, _)| *n == v)
            .map(|(_, t)| *t)
            .ok_or_else(|| {
                let names: Vec<&str> = allowed.iter().map(|(n, _)| *n).collect();
                self.error(
                    column,
                    Problem::NotOneOf {
                        value: v.into(),
                        allowed: names.join(", "),
                    },
                )
            })
    }

    pub fn confidence(&self) -> Result<Confidence, InputError> {
        self.one_of("confidence", &Confidence::ALL)
    }
}
