//! Typed errors of the ARIO engine: [`MrioError`] (reading and validating an MRIO),
//! [`EventError`] (event files and their resolution against an MRIO), [`ModelError`]
//! (parameters and the simulation itself), [`LinkError`] (the link from a mineral run) and the
//! umbrella [`AriError`]. This module depends on no other module of the crate, so every module
//! can return its errors.
//!
//! Messages carry no trailing period; where a fix is likely they end with `hint: ...`.

use std::path::PathBuf;

/// Bad MRIO input: every variant is a user error (CLI exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum MrioError {
    #[error("{path}:{line}: {message}")]
    Csv {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{path}:{line}: {what} is {value}; values must be finite and non-negative{hint}")]
    BadValue {
        path: PathBuf,
        line: u64,
        what: String,
        value: f64,
        hint: &'static str,
    },
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// The header lists more industries than the caller allows: the n × n flow matrix would
    /// not fit (checked before it is allocated, so a huge header cannot abort the process).
    #[error(
        "{path}:1: the header lists {industries} industries: the {industries} x {industries} flow matrix alone needs {needed_gib:.1} GiB, more than the {limit_gib:.1} GiB allowed; hint: aggregate the MRIO to fewer regions or sectors, or run on a machine with more memory"
    )]
    TooLarge {
        path: PathBuf,
        industries: usize,
        needed_gib: f64,
        limit_gib: f64,
    },
    #[error(
        "x inconsistent with Z and Y for {count} industr{plural}, worst {region}|{sector}: x = {x}, Z.1 + Y.1 = {sum} (relative difference {rel:.3e} > {tol:e}); hint: export x = Z.1 + Y.1 or omit x.csv so it is computed"
    )]
    Inconsistent {
        count: usize,
        plural: &'static str,
        region: String,
        sector: String,
        x: f64,
        sum: f64,
        rel: f64,
        tol: f64,
    },
}

/// Bad event input (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("event {index} ({kind}): unknown {what} `{name}`; hint: known {what}s are {known}")]
    Unknown {
        index: usize,
        kind: String,
        what: &'static str,
        name: String,
        known: String,
    },
    #[error("event {index} ({kind}): {message}")]
    Invalid {
        index: usize,
        kind: String,
        message: String,
    },
    /// A key no event of its kind takes (a misspelling, most often: `durration`).
    #[error(
        "{}:{}:{}: unknown key `{key}` in event {} ({}); hint: {}",
        .at.path.display(),
        .at.line,
        .at.column,
        .at.index,
        .at.kind,
        key_hint(*.suggestion, .accepted)
    )]
    UnknownKey {
        at: Box<EventPlace>,
        key: String,
        /// The accepted key closest to `key`, when it is close enough to be a typo.
        suggestion: Option<&'static str>,
        accepted: &'static [&'static str],
    },
    /// A required key an event lacks, at the event (a misspelled key is reported as unknown
    /// first).
    #[error(
        "{}:{}:{}: event {} ({}) lacks `{key}`, {what}",
        .at.path.display(),
        .at.line,
        .at.column,
        .at.index,
        .at.kind
    )]
    MissingKey {
        at: Box<EventPlace>,
        key: &'static str,
        /// What the key gives, e.g. `a list of region names`.
        what: &'static str,
    },
    /// An event kind that does not exist (`at.kind` is the kind as written).
    #[error(
        "{}:{}:{}: unknown kind `{}` of event {}; hint: {}",
        .at.path.display(),
        .at.line,
        .at.column,
        .at.kind,
        .at.index,
        key_hint(*.suggestion, .kinds)
    )]
    UnknownKind {
        at: Box<EventPlace>,
        suggestion: Option<&'static str>,
        kinds: &'static [&'static str],
    },
}

/// Where in an events file a problem is (1-based line and column, in characters), and which
/// event it is about: its index in the file and its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventPlace {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub index: usize,
    pub kind: String,
}

/// `did you mean `x`? ` (when there is a close key) then the list of accepted ones.
fn key_hint(suggestion: Option<&str>, accepted: &[&str]) -> String {
    let list = accepted.join(", ");
    match suggestion {
        Some(s) => format!("did you mean `{s}`? accepted: {list}"),
        None => format!("accepted: {list}"),
    }
}

impl EventError {
    /// [`EventError::Invalid`] for event `index` of `kind`, as a function of the message.
    pub fn invalid(index: usize, kind: &str) -> impl Fn(String) -> EventError + Copy + '_ {
        move |message| EventError::Invalid {
            index,
            kind: kind.into(),
            message,
        }
    }
}

/// Bad parameters or a failed simulation.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("invalid parameter: {0}")]
    Param(String),
    #[error("step {step}: {message}")]
    Crash { step: usize, message: String },
    #[error("step {step}: recording failed: {source}")]
    Sink {
        step: usize,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Errors of the link from a mineral run (its loss series and sector mapping): all are input
/// errors (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: mapping {index} ({region} {product}): {message}")]
    Mapping {
        path: PathBuf,
        index: usize,
        region: String,
        product: String,
        message: String,
    },
}

/// Any error of this crate.
#[derive(Debug, thiserror::Error)]
pub enum AriError {
    #[error(transparent)]
    Mrio(#[from] MrioError),
    #[error(transparent)]
    Event(#[from] EventError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Link(#[from] LinkError),
}

impl AriError {
    /// Whether the error is caused by user input (exit code 2) rather than a run failure.
    pub fn is_input_error(&self) -> bool {
        match self {
            AriError::Mrio(_) | AriError::Event(_) | AriError::Link(_) => true,
            AriError::Model(ModelError::Param(_)) => true,
            AriError::Model(_) => false,
        }
    }
}
