//! A shard of a Monte Carlo run and what shards must share to be merged. A [`Shard`] is part
//! `index` of `count` of an N-path run: paths `index, index + count, ...` ([`Shard::paths`]),
//! written `I/N`. A [`RunIdentity`] is what a shard says about the run it belongs to: the
//! scenario, the digests of the inputs it read ([`InputDigest`]), seed, paths, shard count, the
//! [`Program`] that ran it, horizon, stockout threshold and band choice. Shards merge only when their
//! identities are equal; [`RunIdentity::differences`] names the [`IdentityPart`]s that are not,
//! so that a refusal can say why.

use crate::montecarlo::shard_paths;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Part `index` (0-based) of `count` of a Monte Carlo run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ShardText")]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

/// A shard as a manifest states it. A manifest is outside input, so what it says goes through
/// [`Shard::new`]'s check like a command-line `I/N`: `merge` relies on `index < count`.
#[derive(Deserialize)]
struct ShardText {
    index: u64,
    count: u64,
}

impl TryFrom<ShardText> for Shard {
    type Error = ShardError;

    fn try_from(s: ShardText) -> Result<Shard, ShardError> {
        Shard::new(s.index, s.count)
    }
}

/// Why numbers do not name a shard.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("a shard is written I/N with whole numbers I and N")]
    Syntax,
    #[error("a run cannot be split into 0 shards")]
    NoShards,
    #[error("shard {index} does not exist in {count} shards (they are numbered from 0)")]
    OutOfRange { index: u64, count: u64 },
}

impl Shard {
    /// Shard `index` of `count`; `index` counts from 0.
    pub fn new(index: u64, count: u64) -> Result<Shard, ShardError> {
        match (index, count) {
            (_, 0) => Err(ShardError::NoShards),
            (i, n) if i >= n => Err(ShardError::OutOfRange { index, count }),
            _ => Ok(Shard { index, count }),
        }
    }

    /// The paths of this shard out of a run of `paths` paths, ascending.
    pub fn paths(&self, paths: u64) -> Vec<u64> {
        shard_paths(paths, self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = ShardError;

    /// `I/N`, spaces around either number allowed.
    fn from_str(s: &str) -> Result<Shard, ShardError> {
        let (i, n) = s.split_once('/').ok_or(ShardError::Syntax)?;
        let number = |x: &str| x.trim().parse::<u64>().map_err(|_| ShardError::Syntax);
        Shard::new(number(i)?, number(n)?)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// One input a run read, by the digest of its bytes: the same digests mean the same inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputDigest {
    /// `scenario` or `base`.
    pub role: String,
    /// `builtin:NAME`, or the path as written on the command line / in `base = "..."`.
    pub name: String,
    /// SHA-256 of the text, lower-case hex.
    pub sha256: String,
}

/// The program that ran a shard. Another build may simulate or encode differently, so shards
/// of different builds do not merge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Program {
    pub name: String,
    pub version: String,
}

/// What a shard says about the run it is part of.
#[derive(Debug, Clone, PartialEq)]
pub struct RunIdentity {
    /// The scenario's name.
    pub scenario: String,
    /// Every input read, scenario first.
    pub inputs: Vec<InputDigest>,
    pub seed: u64,
    /// Paths of the whole run (all shards together).
    pub paths: u64,
    pub shard_count: u64,
    pub program: Program,
    /// The horizon: `days` days from `start` (`YYYY-MM-DD`).
    pub days: u32,
    pub start: String,
    /// Fraction of a day's need above which unmet demand counts as a stockout.
    pub stockout_threshold: f64,
    /// The series that have bands, as `--bands` writes them (`crate::bands::Bands`).
    pub bands: String,
}

/// A part of a [`RunIdentity`], in the order [`RunIdentity::differences`] lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityPart {
    Inputs,
    Scenario,
    Seed,
    Paths,
    ShardCount,
    Program,
    Horizon,
    StockoutThreshold,
    Bands,
}

impl IdentityPart {
    /// The part as a reader names it (`their input content hashes differ`).
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityPart::Inputs => "input content hashes",
            IdentityPart::Scenario => "scenario",
            IdentityPart::Seed => "seed",
            IdentityPart::Paths => "paths",
            IdentityPart::ShardCount => "shard count",
            IdentityPart::Program => "program version",
            IdentityPart::Horizon => "horizon",
            IdentityPart::StockoutThreshold => "stockout threshold",
            IdentityPart::Bands => "band choices",
        }
    }
}

impl fmt::Display for IdentityPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl RunIdentity {
    /// The parts in which `self` and `other` differ, in [`IdentityPart`] order; empty when
    /// they are the same run.
    pub fn differences(&self, other: &RunIdentity) -> Vec<IdentityPart> {
        let checks = [
            (IdentityPart::Inputs, self.inputs == other.inputs),
            (IdentityPart::Scenario, self.scenario == other.scenario),
            (IdentityPart::Seed, self.seed == other.seed),
            (IdentityPart::Paths, self.paths == other.paths),
            (
                IdentityPart::ShardCount,
                self.shard_count == other.shard_count,
            ),
            (IdentityPart::Program, self.program == other.program),
            (
                IdentityPart::Horizon,
                (self.days, &self.start) == (other.days, &other.start),
            ),
            (
                IdentityPart::StockoutThreshold,
                self.stockout_threshold == other.stockout_threshold,
            ),
            (IdentityPart::Bands, self.bands == other.bands),
        ];
        checks
            .into_iter()
            .filter(|&(_, same)| !same)
            .map(|(part, _)| part)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_written_i_of_n() {
        assert_eq!(
            "3/100".parse(),
            Ok(Shard {
                index: 3,
                count: 100
            })
        );
        assert_eq!(" 0 / 1 ".parse(), Ok(Shard { index: 0, count: 1 }));
        assert_eq!(
            Shard {
                index: 3,
                count: 100
            }
            .to_string(),
            "3/100"
        );
        assert_eq!("3".parse::<Shard>(), Err(ShardError::Syntax));
        assert_eq!("a/4".parse::<Shard>(), Err(ShardError::Syntax));
        assert_eq!("-1/4".parse::<Shard>(), Err(ShardError::Syntax));
        assert_eq!("1/0".parse::<Shard>(), Err(ShardError::NoShards));
        assert_eq!(
            "4/4".parse::<Shard>(),
            Err(ShardError::OutOfRange { index: 4, count: 4 })
        );
    }

    #[test]
    fn the_shards_of_a_run_hold_each_path_once() {
        let shard = |i| Shard::new(i, 4).unwrap();
        assert_eq!(shard(1).paths(10), [1, 5, 9]);
        assert_eq!(shard(3).paths(3), [] as [u64; 0]);
        let mut all: Vec<u64> = (0..4).flat_map(|i| shard(i).paths(10)).collect();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<u64>>());
    }

    fn identity() -> RunIdentity {
        RunIdentity {
            scenario: "April 2025".into(),
            inputs: vec![InputDigest {
                role: "scenario".into(),
                name: "builtin:april-2025".into(),
                sha256: "ab".into(),
            }],
            seed: 9,
            paths: 40,
            shard_count: 3,
            program: Program {
                name: "chokepoint".into(),
                version: "0.1.0".into(),
            },
            days: 365,
            start: "2025-03-01".into(),
            stockout_threshold: 0.01,
            bands: "all".into(),
        }
    }

    #[test]
    fn differences_name_every_part_that_differs_in_order() {
        let a = identity();
        assert_eq!(a.differences(&a.clone()), []);
        let mut b = a.clone();
        b.inputs[0].sha256 = "cd".into();
        b.seed = 10;
        b.start = "2025-03-02".into();
        b.stockout_threshold = 0.5;
        b.bands = "price:*:*".into();
        assert_eq!(
            a.differences(&b),
            [
                IdentityPart::Inputs,
                IdentityPart::Seed,
                IdentityPart::Horizon,
                IdentityPart::StockoutThreshold,
                IdentityPart::Bands
            ]
        );
        let mut c = a.clone();
        c.scenario = "other".into();
        c.paths = 41;
        c.shard_count = 4;
        c.program.version = "0.2.0".into();
        c.days = 366;
        let parts: Vec<&str> = c
            .differences(&a)
            .into_iter()
            .map(IdentityPart::as_str)
            .collect();
        assert_eq!(
            parts,
            [
                "scenario",
                "paths",
                "shard count",
                "program version",
                "horizon"
            ]
        );
    }
}
